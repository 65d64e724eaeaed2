//! Requests addressed to leads: registration, qualification, routing, the funnel stage.

use super::*;
use salesledger_domain::lead;

// ---------------------------------------------------------------------------
// Leads
// ---------------------------------------------------------------------------

/// Marketing registers a lead, after the duplicate check.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterLeadRequest {
    /// Optional client-chosen id of the new lead; the gateway uses it when
    /// present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-334455667788")]
    pub lead_id: Option<Uuid>,
    /// Legal or trading name (1 to 200 characters).
    #[schema(example = "Suzhou Precision Auto Parts Co., Ltd.")]
    #[schema(min_length = 1, max_length = 200)]
    pub company_name: String,
    /// 统一社会信用代码: 18 characters with a valid check character.
    #[schema(example = "9144030071526726XG")]
    #[schema(min_length = 18, max_length = 18)]
    pub unified_social_credit_code: Option<String>,
    /// Phone number; `+86`, spaces and dashes are accepted and normalised.
    #[schema(example = "0512-6588 1234")]
    pub phone: Option<String>,
    /// The contact's e-mail.
    #[schema(example = "li.na@szpap.com")]
    pub contact_email: Option<String>,
    /// Up to 12 dynamic attributes, used for routing.
    #[serde(default)]
    #[schema(example = json!({"industry": "汽车零部件", "compliance": "IATF16949", "pain_points": "PLC retrofit"}))]
    pub attributes: BTreeMap<String, String>,
    /// The existing customer this lead is a new opportunity of, if any (it
    /// then does not count as a duplicate of that customer).
    pub customer_id: Option<Uuid>,
}

impl RegisterLeadRequest {
    /// `actor` is recorded as `registered_by`; `clear_duplicates` as for
    /// [`RegisterCustomerRequest::into_command`].
    pub fn into_command(
        self,
        lead_id: LeadId,
        actor: &ActorId,
        clear_duplicates: impl FnOnce(
            &DuplicateCandidate<'_>,
        ) -> Result<DuplicateClearance, DomainError>,
    ) -> Result<LeadCommand, DtoError> {
        let customer_id = self.customer_id.map(CustomerId::from_uuid);
        let party = raw_party!(self).parse(customer_id, clear_duplicates)?;
        Ok(LeadCommand::Register(lead::RegisterLead {
            lead_id,
            duplicate_clearance: party.duplicate_clearance,
            company_name: party.company_name,
            unified_social_credit_code: party.unified_social_credit_code,
            phone: party.phone,
            contact_email: party.contact_email,
            attributes: party.attributes,
            customer_id,
            registered_by: actor.clone(),
        }))
    }
}

/// The caller confirms the lead's budget (C1: a named person).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmLeadBudgetRequest {
    /// Optional note, e.g. how the budget was verified.
    #[schema(example = "客户确认 2027 年预算 380 万元，已过采购委员会")]
    pub note: Option<String>,
}

impl ConfirmLeadBudgetRequest {
    /// `actor` is recorded as `confirmed_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<LeadCommand, DtoError> {
        Ok(LeadCommand::ConfirmBudget(lead::ConfirmLeadBudget {
            confirmed_by: actor.clone(),
            note: parse_optional("note", self.note.as_deref(), Text::parse)?,
        }))
    }
}

/// The caller confirms the lead's technical fit (C1: a named person).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmLeadTechnicalFitRequest {
    /// Optional note, e.g. which requirement was checked.
    #[schema(example = "HIS interface spec reviewed; HL7 v2 supported")]
    pub note: Option<String>,
}

impl ConfirmLeadTechnicalFitRequest {
    /// `actor` is recorded as `confirmed_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<LeadCommand, DtoError> {
        Ok(LeadCommand::ConfirmTechnicalFit(
            lead::ConfirmLeadTechnicalFit {
                confirmed_by: actor.clone(),
                note: parse_optional("note", self.note.as_deref(), Text::parse)?,
            },
        ))
    }
}

/// Scores every eligible rep and proposes the TOP candidates. The body is
/// `{}` (or empty): the rule set and the reps are server-side state.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeRoutingRequest {}

impl ProposeRoutingRequest {
    /// `rule_set` is the published routing rule set, `reps` the current rep
    /// profiles.
    pub fn into_command(
        self,
        rule_set: RoutingRuleSet,
        reps: Vec<RepProfile>,
    ) -> Result<LeadCommand, DtoError> {
        Ok(LeadCommand::ProposeRouting(lead::ProposeRouting {
            rule_set,
            reps,
        }))
    }
}

/// A supervisor confirms one of the proposed candidates.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRoutingRequest {
    /// The chosen rep; must be among the proposed candidates.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Uuid,
}

impl ConfirmRoutingRequest {
    /// `actor` is recorded as `confirmed_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<LeadCommand, DtoError> {
        Ok(LeadCommand::ConfirmRouting(lead::ConfirmRouting {
            rep_id: RepId::from_uuid(self.rep_id),
            confirmed_by: actor.clone(),
        }))
    }
}

/// A funnel stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FunnelStage {
    Lead,
    Qualified,
    Proposal,
    Negotiation,
    Won,
    Lost,
}

impl From<FunnelStage> for lead::FunnelStage {
    fn from(stage: FunnelStage) -> Self {
        match stage {
            FunnelStage::Lead => lead::FunnelStage::Lead,
            FunnelStage::Qualified => lead::FunnelStage::Qualified,
            FunnelStage::Proposal => lead::FunnelStage::Proposal,
            FunnelStage::Negotiation => lead::FunnelStage::Negotiation,
            FunnelStage::Won => lead::FunnelStage::Won,
            FunnelStage::Lost => lead::FunnelStage::Lost,
        }
    }
}

/// Moves a routed lead forward in the funnel (`proposal`, `negotiation`,
/// `won` after `proposal` or `negotiation`, or `lost`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceLeadStageRequest {
    /// The stage to move to.
    #[schema(example = "proposal")]
    pub stage: FunnelStage,
    /// Why, e.g. what was lost to whom.
    #[schema(example = "方案已提交采购委员会")]
    pub reason: Option<String>,
}

impl AdvanceLeadStageRequest {
    /// `actor` is recorded as `advanced_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<LeadCommand, DtoError> {
        Ok(LeadCommand::AdvanceStage {
            stage: self.stage.into(),
            reason: parse_optional("reason", self.reason.as_deref(), Text::parse)?,
            advanced_by: actor.clone(),
        })
    }
}
