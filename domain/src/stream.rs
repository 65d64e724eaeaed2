//! Stream id conventions: which stream each aggregate's events go to.
//!
//! `rep-<uuid>`, `customer-<uuid>`, `lead-<uuid>`, `visit-<uuid>`,
//! `nurture-<uuid>`, `proposal-<uuid>`, `account-<customer uuid>`,
//! `contract-<uuid>`, `asset-<uuid>`, the one `calendar` stream, the chain
//! store streams (`store-<code>`, `sku-<code>`, `member-<ref>`,
//! `promotion-<uuid>`, `pos-<batch id>`, `config-retail`), and one
//! stream per configuration kind (`config-routing`, `config-pool-policy`,
//! `config-extraction`, `config-nurture`, `config-health`). UUIDs are
//! lowercase hyphenated. Knows nothing of how the store keeps streams.

use crate::event::Event;
use crate::value::{
    AssetId, ContractId, CustomerId, LeadId, MemberRef, NurturePackId, PosBatchId, PromotionId,
    ProposalId, RepId, SkuCode, StoreCode, VisitId,
};

pub const CONFIG_ROUTING_STREAM: &str = "config-routing";
pub const CONFIG_POOL_POLICY_STREAM: &str = "config-pool-policy";
pub const CONFIG_EXTRACTION_STREAM: &str = "config-extraction";
pub const CONFIG_NURTURE_STREAM: &str = "config-nurture";
pub const CONFIG_HEALTH_STREAM: &str = "config-health";
pub const CALENDAR_STREAM: &str = "calendar";
pub const CONFIG_RETAIL_STREAM: &str = "config-retail";

pub fn store_stream_id(store: &StoreCode) -> String {
    format!("store-{store}")
}

pub fn sku_stream_id(sku: &SkuCode) -> String {
    format!("sku-{sku}")
}

pub fn member_stream_id(member: &MemberRef) -> String {
    format!("member-{member}")
}

pub fn promotion_stream_id(promotion_id: PromotionId) -> String {
    format!("promotion-{promotion_id}")
}

/// The stream of one POS batch: a batch id is accepted once.
pub fn pos_batch_stream_id(batch_id: &PosBatchId) -> String {
    format!("pos-{batch_id}")
}

/// The account (customer-success) stream of a customer.
pub fn account_stream_id(customer_id: CustomerId) -> String {
    format!("account-{customer_id}")
}

pub fn contract_stream_id(contract_id: ContractId) -> String {
    format!("contract-{contract_id}")
}

pub fn asset_stream_id(asset_id: AssetId) -> String {
    format!("asset-{asset_id}")
}

pub fn rep_stream_id(rep_id: RepId) -> String {
    format!("rep-{rep_id}")
}

pub fn customer_stream_id(customer_id: CustomerId) -> String {
    format!("customer-{customer_id}")
}

pub fn lead_stream_id(lead_id: LeadId) -> String {
    format!("lead-{lead_id}")
}

pub fn visit_stream_id(visit_id: VisitId) -> String {
    format!("visit-{visit_id}")
}

pub fn nurture_stream_id(pack_id: NurturePackId) -> String {
    format!("nurture-{pack_id}")
}

pub fn proposal_stream_id(proposal_id: ProposalId) -> String {
    format!("proposal-{proposal_id}")
}

impl Event {
    /// The stream this event belongs to.
    pub fn stream_id(&self) -> String {
        match self {
            Event::RoutingRulesPublished(_) => CONFIG_ROUTING_STREAM.to_owned(),
            Event::PoolPolicyPublished(_) => CONFIG_POOL_POLICY_STREAM.to_owned(),
            Event::ExtractionDictionaryPublished(_) => CONFIG_EXTRACTION_STREAM.to_owned(),
            Event::NurtureTemplatePublished(_) => CONFIG_NURTURE_STREAM.to_owned(),
            Event::RepRegistered(event) => rep_stream_id(event.rep_id),
            Event::RepCapabilitiesChanged(event) => rep_stream_id(event.rep_id),
            Event::RepDeactivated(event) => rep_stream_id(event.rep_id),
            Event::CustomerRegistered(event) => customer_stream_id(event.customer_id),
            Event::CustomerAttributesSet(event) => customer_stream_id(event.customer_id),
            Event::CustomerClaimed(event) => customer_stream_id(event.customer_id),
            Event::CustomerTransferred(event) => customer_stream_id(event.customer_id),
            Event::CustomerReleased(event) => customer_stream_id(event.customer_id),
            Event::CustomerRecalledToPool(event) => customer_stream_id(event.customer_id),
            Event::CustomerReturnedToPool(event) => customer_stream_id(event.customer_id),
            Event::FollowUpRecorded(event) => customer_stream_id(event.customer_id),
            Event::TrackingConsentRecorded(event) => customer_stream_id(event.customer_id),
            Event::TrackingConsentWithdrawn(event) => customer_stream_id(event.customer_id),
            Event::CustomerStanceRecorded(event) => customer_stream_id(event.customer_id),
            Event::LeadRegistered(event) => lead_stream_id(event.lead_id),
            Event::LeadBudgetConfirmed(event) => lead_stream_id(event.lead_id),
            Event::LeadTechnicalFitConfirmed(event) => lead_stream_id(event.lead_id),
            Event::RoutingProposed(event) => lead_stream_id(event.lead_id),
            Event::RoutingConfirmed(event) => lead_stream_id(event.lead_id),
            Event::VisitLogged(event) => visit_stream_id(event.visit_id),
            Event::VisitExtractionProposed(event) => visit_stream_id(event.visit_id),
            Event::VisitExtractionConfirmed(event) => visit_stream_id(event.visit_id),
            Event::TodoCreated(event) => visit_stream_id(event.visit_id),
            Event::TodoCompleted(event) => visit_stream_id(event.visit_id),
            Event::NurturePackStarted(event) => nurture_stream_id(event.pack_id),
            Event::NurtureStepSent(event) => nurture_stream_id(event.pack_id),
            Event::NurtureResponseRecorded(event) => nurture_stream_id(event.pack_id),
            Event::NurturePackClosed(event) => nurture_stream_id(event.pack_id),
            Event::ProposalCreated(event) => proposal_stream_id(event.proposal_id),
            Event::ProposalPdfUploaded(event) => proposal_stream_id(event.proposal_id),
            Event::ProposalEmailDelivered(event) => proposal_stream_id(event.proposal_id),
            Event::ProposalLinkOpened(event) => proposal_stream_id(event.proposal_id),
            Event::ProposalLinkOpenedWithoutConsent(event) => proposal_stream_id(event.proposal_id),
            Event::ProposalDelivered(event) => proposal_stream_id(event.proposal_id),
            Event::DayClosed(_) => CALENDAR_STREAM.to_owned(),
            Event::HealthPolicyPublished(_) => CONFIG_HEALTH_STREAM.to_owned(),
            Event::UsageReported(event) => account_stream_id(event.customer_id),
            Event::SupportTicketOpened(event) => account_stream_id(event.customer_id),
            Event::SupportTicketResolved(event) => account_stream_id(event.customer_id),
            Event::RenewalDateSet(event) => account_stream_id(event.customer_id),
            Event::SuccessReferenceRecorded(event) => account_stream_id(event.customer_id),
            Event::CompetitorKeywordsSearched(event) => account_stream_id(event.customer_id),
            Event::CallbackTaskMissed(event) => account_stream_id(event.customer_id),
            Event::HealthLevelChanged(event) => account_stream_id(event.customer_id),
            Event::SuccessCasePushed(event) => account_stream_id(event.customer_id),
            Event::CallbackTaskCreated(event) => account_stream_id(event.customer_id),
            Event::RenewalQuotingFrozen(event) => account_stream_id(event.customer_id),
            Event::CallbackTaskCompleted(event) => account_stream_id(event.customer_id),
            Event::RescuePlanSubmitted(event) => account_stream_id(event.customer_id),
            Event::RescuePlanApproved(event) => account_stream_id(event.customer_id),
            Event::RenewalQuotingUnfrozen(event) => account_stream_id(event.customer_id),
            Event::RenewalQuoted(event) => account_stream_id(event.customer_id),
            Event::ContractSigned(event) => contract_stream_id(event.contract_id),
            Event::PaymentReceived(event) => contract_stream_id(event.contract_id),
            Event::InstalmentOverdue(event) => contract_stream_id(event.contract_id),
            Event::OverdueTaskCardIssued(event) => contract_stream_id(event.contract_id),
            Event::ProcessAssetRecorded(event) => asset_stream_id(event.asset_id),
            Event::LeadStageAdvanced(event) => lead_stream_id(event.lead_id),
            Event::StoreOpened(event) => store_stream_id(&event.store),
            Event::SkuRegistered(event) => sku_stream_id(&event.sku),
            Event::MemberEnrolled(event) => member_stream_id(&event.member),
            Event::PromotionLaunched(event) => promotion_stream_id(event.promotion_id),
            Event::PosTicketsRecorded(event) => pos_batch_stream_id(&event.batch_id),
            Event::RetailPolicyPublished(_) => CONFIG_RETAIL_STREAM.to_owned(),
        }
    }
}
