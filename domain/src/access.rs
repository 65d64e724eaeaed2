//! Ownership-scoped access: the table next to the role table
//! ([`crate::role::AUTHORISATION`]) that says, once a role may issue a
//! command kind or read a resource, *on which customers*.
//!
//! Pure: the caller's relation to the subject ([`Relation`]) is worked out
//! by whoever knows the caller and the log (the gateway); this module only
//! answers [`may_act`] and [`may_read`].
//!
//! **Commands.** Every [`CommandKind`] has a [`RepScope`] in
//! [`REP_SCOPES`]: what a rep may issue it on. The default is
//! [`RepScope::OwnedCustomer`] (only a customer the rep owns); every
//! exception is commented with the SPEC rule that asks for it. Other roles
//! are not ownership-scoped on commands: supervisors, CSM, finance, legal,
//! marketing and integrators act on any customer their role allows
//! (regional supervisors included: a region on their token scopes their
//! reads only).
//!
//! **Reads.** A rep reads only customer-bound resources of customers they
//! own (and a pool customer's record, to claim it); a regional supervisor
//! whose token names a region reads the customers of that region (a
//! customer is in the region of its owner; pool customers are in every
//! region); every other role reads all.

use serde::{Deserialize, Serialize};

use crate::role::{may_issue, CommandKind, Role};

/// What a rep may issue a command kind on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepScope {
    /// Only a customer the rep owns (the default).
    OwnedCustomer,
    /// Any existing customer: the domain decides (claiming).
    AnyCustomer,
    /// A customer that does not exist yet (registration).
    NewCustomer,
    /// Not about one customer (leads, reps, configuration, stores, days).
    NotCustomerScoped,
}

impl RepScope {
    /// Whether a command of this scope acts on one customer (so a rep
    /// must be identified to issue it).
    pub fn is_customer_scoped(self) -> bool {
        !matches!(self, RepScope::NotCustomerScoped)
    }
}

use CommandKind as K;
use RepScope as S;

/// Each command kind's subject scope for reps. A kind reps may not issue at
/// all ([`crate::role::AUTHORISATION`]) still has its scope here: what the
/// command acts on.
pub const REP_SCOPES: &[(CommandKind, RepScope)] = &[
    (K::RegisterRep, S::NotCustomerScoped),
    (K::ChangeRepCapabilities, S::NotCustomerScoped),
    (K::DeactivateRep, S::NotCustomerScoped),
    // SPEC C3: a rep registers a new customer (checked for duplicates); it
    // has no owner yet, so there is nobody else's customer to protect.
    (K::RegisterCustomer, S::NewCustomer),
    (K::SetCustomerAttributes, S::OwnedCustomer),
    // SPEC C3: "reps claim from" the pool, and concurrent claims on an
    // owned customer must get "a conflict that names the current owner":
    // the domain, not this table, decides a claim.
    (K::ClaimCustomer, S::AnyCustomer),
    (K::TransferCustomer, S::OwnedCustomer),
    (K::ReleaseCustomer, S::OwnedCustomer),
    (K::RecallCustomerToPool, S::OwnedCustomer),
    (K::RecordFollowUp, S::OwnedCustomer),
    (K::CloseDay, S::NotCustomerScoped),
    (K::RecordTrackingConsent, S::OwnedCustomer),
    (K::WithdrawTrackingConsent, S::OwnedCustomer),
    (K::RecordCustomerStance, S::OwnedCustomer),
    // SPEC C1: a lead's budget and technical fit are confirmed "each by a
    // named person" before routing; the lead has no owner yet (routing,
    // C2, assigns one), so these steps are about the lead, not a customer.
    (K::RegisterLead, S::NotCustomerScoped),
    (K::ConfirmLeadBudget, S::NotCustomerScoped),
    (K::ConfirmLeadTechnicalFit, S::NotCustomerScoped),
    (K::ProposeRouting, S::NotCustomerScoped),
    (K::ConfirmRouting, S::NotCustomerScoped),
    (K::LogVisit, S::OwnedCustomer),
    (K::ConfirmVisitExtraction, S::OwnedCustomer),
    (K::CompleteTodo, S::OwnedCustomer),
    (K::StartNurturePack, S::OwnedCustomer),
    (K::RecordNurtureStepSent, S::OwnedCustomer),
    (K::RecordNurtureResponse, S::OwnedCustomer),
    (K::CloseNurturePack, S::OwnedCustomer),
    (K::CreateProposal, S::OwnedCustomer),
    (K::RecordProposalPdf, S::OwnedCustomer),
    (K::RecordEmailDeliveryReceipt, S::OwnedCustomer),
    (K::RecordLinkOpened, S::OwnedCustomer),
    (K::PublishRoutingRules, S::NotCustomerScoped),
    (K::PublishPoolPolicy, S::NotCustomerScoped),
    (K::PublishExtractionDictionary, S::NotCustomerScoped),
    (K::PublishNurtureTemplate, S::NotCustomerScoped),
    (K::ReportUsage, S::OwnedCustomer),
    (K::RecordSupportTicket, S::OwnedCustomer),
    (K::SetRenewal, S::OwnedCustomer),
    (K::RecordSuccessReference, S::OwnedCustomer),
    // Keyword searches are reported per customer (C8).
    (K::RecordKeywordSearches, S::OwnedCustomer),
    (K::CompleteCallback, S::OwnedCustomer),
    (K::SubmitRescuePlan, S::OwnedCustomer),
    (K::ApproveRescuePlan, S::OwnedCustomer),
    (K::QuoteRenewal, S::OwnedCustomer),
    (K::SignContract, S::OwnedCustomer),
    (K::RecordPayment, S::OwnedCustomer),
    (K::RecordProcessAsset, S::OwnedCustomer),
    // The lead's funnel stage (C11) is the lead's, routed to a rep by C2.
    (K::AdvanceLeadStage, S::NotCustomerScoped),
    (K::PublishHealthPolicy, S::NotCustomerScoped),
    // SPEC C13: chain stores are not customers of a rep.
    (K::OpenStore, S::NotCustomerScoped),
    (K::RegisterSku, S::NotCustomerScoped),
    (K::EnrollMember, S::NotCustomerScoped),
    (K::LaunchPromotion, S::NotCustomerScoped),
    (K::PublishRetailPolicy, S::NotCustomerScoped),
    (K::RecordPosSales, S::NotCustomerScoped),
];

/// `kind`'s subject scope for reps ([`REP_SCOPES`]; a kind missing from
/// the table is owner-only, the safe default).
pub fn rep_scope(kind: CommandKind) -> RepScope {
    REP_SCOPES
        .iter()
        .find(|(listed, _)| *listed == kind)
        .map_or(RepScope::OwnedCustomer, |(_, scope)| *scope)
}

/// Whether `role`'s access to customers is limited to the customers the
/// caller owns (reps). The feed shows such a role only its own work.
pub fn owner_scoped(role: Role) -> bool {
    role == Role::Rep
}

/// Whether `role`'s reads are limited to a region when its token names one.
pub fn region_scoped(role: Role) -> bool {
    role == Role::RegionalSupervisor
}

/// The caller's relation to a customer's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerRelation {
    /// The caller is the rep who owns the customer.
    Owner,
    /// Another rep owns the customer (or the caller is no identified rep).
    NotOwner,
    /// Nobody owns the customer: it is in the pool or was never claimed.
    Unowned,
}

/// Where the customer lies relative to the caller's region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionRelation {
    /// The caller's token names no region.
    Unrestricted,
    /// The customer is in the caller's region (its owner works there, or
    /// it has no owner).
    Inside,
    /// The customer's owner works in another region.
    Outside,
}

/// The caller's relation to the subject of a command or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    pub owner: OwnerRelation,
    pub region: RegionRelation,
}

/// What a read answers about; every one of them belongs to one customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// `GET /v1/customers/{id}`.
    Customer,
    /// The customer's account, health, risk-list row and evidence.
    Account,
    /// The responsibility log of a customer.
    Responsibility,
    Proposal,
    Visit,
    NurturePack,
    Contract,
    ProcessAsset,
    /// A stored file: readable as the PDF of a proposal of its customer.
    Blob,
}

impl Resource {
    pub const ALL: [Resource; 9] = [
        Resource::Customer,
        Resource::Account,
        Resource::Responsibility,
        Resource::Proposal,
        Resource::Visit,
        Resource::NurturePack,
        Resource::Contract,
        Resource::ProcessAsset,
        Resource::Blob,
    ];
}

/// Whether `role` may issue `kind` on a customer to which the caller
/// stands in `owner` relation (the role table first, then [`REP_SCOPES`]
/// for reps). Commands that are not customer-scoped ignore `owner`.
pub fn may_act(role: Role, kind: CommandKind, owner: OwnerRelation) -> bool {
    if !may_issue(role, kind) {
        return false;
    }
    if !owner_scoped(role) {
        return true;
    }
    match rep_scope(kind) {
        RepScope::OwnedCustomer => owner == OwnerRelation::Owner,
        RepScope::AnyCustomer | RepScope::NewCustomer | RepScope::NotCustomerScoped => true,
    }
}

/// Whether `role` may read `resource` of a customer in `relation` to the
/// caller. Reads refused here are answered as if the resource did not
/// exist.
pub fn may_read(role: Role, resource: Resource, relation: Relation) -> bool {
    if owner_scoped(role) {
        return match relation.owner {
            OwnerRelation::Owner => true,
            // SPEC C3: reps claim from the pool, so a pool customer's
            // record (not its account, proposals or files) is theirs to see.
            OwnerRelation::Unowned => resource == Resource::Customer,
            OwnerRelation::NotOwner => false,
        };
    }
    if region_scoped(role) {
        return relation.region != RegionRelation::Outside;
    }
    true
}

/// Whether `role` may create, list and revoke bearer tokens
/// (`/v1/tokens`). Only supervisors: a token grants any role, so whoever
/// mints them holds every role's rights; a regional supervisor, whose
/// reads stop at a region, could otherwise mint an unrestricted
/// supervisor token.
pub fn may_manage_tokens(role: Role) -> bool {
    role == Role::Supervisor
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNERS: [OwnerRelation; 3] = [
        OwnerRelation::Owner,
        OwnerRelation::NotOwner,
        OwnerRelation::Unowned,
    ];

    fn relation(owner: OwnerRelation, region: RegionRelation) -> Relation {
        Relation { owner, region }
    }

    #[test]
    fn only_supervisors_manage_tokens() {
        for role in Role::ALL {
            assert_eq!(
                may_manage_tokens(role),
                role == Role::Supervisor,
                "{role:?}"
            );
        }
    }

    #[test]
    fn every_command_kind_has_exactly_one_scope() {
        for kind in CommandKind::all() {
            let n = REP_SCOPES.iter().filter(|(k, _)| *k == kind).count();
            assert_eq!(n, 1, "{kind:?}");
        }
        assert_eq!(REP_SCOPES.len(), CommandKind::all().count());
    }

    #[test]
    fn a_rep_acts_on_other_reps_customers_only_by_claiming() {
        for kind in CommandKind::all() {
            if !may_issue(Role::Rep, kind) {
                for owner in OWNERS {
                    assert!(!may_act(Role::Rep, kind, owner), "{kind:?}");
                }
                continue;
            }
            assert!(may_act(Role::Rep, kind, OwnerRelation::Owner), "{kind:?}");
            let on_other = may_act(Role::Rep, kind, OwnerRelation::NotOwner);
            let expected = matches!(
                kind,
                K::ClaimCustomer
                    | K::RegisterCustomer
                    | K::ConfirmLeadBudget
                    | K::ConfirmLeadTechnicalFit
                    | K::AdvanceLeadStage
            );
            assert_eq!(on_other, expected, "{kind:?}");
        }
    }

    #[test]
    fn the_commands_of_the_issue_are_owner_only_for_reps() {
        for kind in [
            K::RecordTrackingConsent,
            K::WithdrawTrackingConsent,
            K::RecordCustomerStance,
            K::QuoteRenewal,
            K::SetCustomerAttributes,
            K::CreateProposal,
            K::StartNurturePack,
        ] {
            assert!(may_act(Role::Rep, kind, OwnerRelation::Owner), "{kind:?}");
            assert!(
                !may_act(Role::Rep, kind, OwnerRelation::NotOwner),
                "{kind:?}"
            );
            assert!(
                !may_act(Role::Rep, kind, OwnerRelation::Unowned),
                "{kind:?}"
            );
        }
        assert!(may_act(Role::Rep, K::ClaimCustomer, OwnerRelation::Unowned));
    }

    #[test]
    fn other_roles_follow_the_role_table_whatever_the_owner() {
        for role in Role::ALL.into_iter().filter(|role| *role != Role::Rep) {
            for kind in CommandKind::all() {
                for owner in OWNERS {
                    assert_eq!(may_act(role, kind, owner), may_issue(role, kind));
                }
            }
        }
    }

    #[test]
    fn a_rep_reads_only_their_customers_and_a_pool_customers_record() {
        for resource in Resource::ALL {
            for region in [RegionRelation::Unrestricted, RegionRelation::Outside] {
                assert!(may_read(
                    Role::Rep,
                    resource,
                    relation(OwnerRelation::Owner, region)
                ));
                assert!(!may_read(
                    Role::Rep,
                    resource,
                    relation(OwnerRelation::NotOwner, region)
                ));
                assert_eq!(
                    may_read(
                        Role::Rep,
                        resource,
                        relation(OwnerRelation::Unowned, region)
                    ),
                    resource == Resource::Customer
                );
            }
        }
    }

    #[test]
    fn a_regional_supervisor_reads_their_region_and_others_read_all() {
        for resource in Resource::ALL {
            for owner in OWNERS {
                for region in [
                    RegionRelation::Unrestricted,
                    RegionRelation::Inside,
                    RegionRelation::Outside,
                ] {
                    let relation = relation(owner, region);
                    assert_eq!(
                        may_read(Role::RegionalSupervisor, resource, relation),
                        region != RegionRelation::Outside
                    );
                    for role in Role::ALL
                        .into_iter()
                        .filter(|role| !matches!(role, Role::Rep | Role::RegionalSupervisor))
                    {
                        assert!(may_read(role, resource, relation), "{role:?}");
                    }
                }
            }
        }
    }
}
