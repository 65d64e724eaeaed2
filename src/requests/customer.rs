//! Requests addressed to customers: registration, attributes, ownership (claim, transfer, release, recall, follow-ups), tracking consent, stance.

use super::*;
use salesledger_domain::customer;

// ---------------------------------------------------------------------------
// Small enums shared by requests (mirrors of domain enums, with schemas)
// ---------------------------------------------------------------------------

/// How a follow-up happened.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    Visit,
    Call,
    Meeting,
    Email,
    Message,
}

impl From<FollowUpKind> for customer::FollowUpKind {
    fn from(kind: FollowUpKind) -> Self {
        match kind {
            FollowUpKind::Visit => customer::FollowUpKind::Visit,
            FollowUpKind::Call => customer::FollowUpKind::Call,
            FollowUpKind::Meeting => customer::FollowUpKind::Meeting,
            FollowUpKind::Email => customer::FollowUpKind::Email,
            FollowUpKind::Message => customer::FollowUpKind::Message,
        }
    }
}

/// The customer's stance on buying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerStance {
    /// 还在比较 / 再考虑: starts a nurture pack.
    StillComparing,
    ReadyToBuy,
    NotInterested,
}

impl From<CustomerStance> for customer::CustomerStance {
    fn from(stance: CustomerStance) -> Self {
        match stance {
            CustomerStance::StillComparing => customer::CustomerStance::StillComparing,
            CustomerStance::ReadyToBuy => customer::CustomerStance::ReadyToBuy,
            CustomerStance::NotInterested => customer::CustomerStance::NotInterested,
        }
    }
}

// ---------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------

/// Registers a customer, after the duplicate check (same normalised name,
/// unified social credit code or phone).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterCustomerRequest {
    /// Optional client-chosen id of the new customer; the gateway uses it
    /// when present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccddeeff")]
    pub customer_id: Option<Uuid>,
    /// Legal or trading name (1 to 200 characters).
    #[schema(example = "杭州瑞康医疗器械有限公司")]
    #[schema(min_length = 1, max_length = 200)]
    pub company_name: String,
    /// 统一社会信用代码: 18 characters with a valid check character.
    #[schema(example = "91350100M000100Y43")]
    #[schema(min_length = 18, max_length = 18)]
    pub unified_social_credit_code: Option<String>,
    /// Phone number; `+86`, spaces and dashes are accepted and normalised.
    #[schema(example = "+86 138-0013-8000")]
    pub phone: Option<String>,
    /// The contact's e-mail (watermarks and receipts are checked against it).
    #[schema(example = "purchasing@ruikang-med.cn")]
    pub contact_email: Option<String>,
    /// Up to 12 dynamic attributes; keys are `[a-z0-9_]{1,40}`, values 1 to
    /// 200 characters.
    #[serde(default)]
    #[schema(example = json!({"industry": "三甲医院", "compliance": "ISO 13485:2016", "region": "华东"}))]
    pub attributes: BTreeMap<String, String>,
}

impl RegisterCustomerRequest {
    /// `clear_duplicates` is the duplicate index's check
    /// (`|candidate| index.clear(candidate)`); its refusal
    /// (`duplicate_record`) is returned as [`DtoError::Domain`].
    pub fn into_command(
        self,
        customer_id: CustomerId,
        clear_duplicates: impl FnOnce(
            &DuplicateCandidate<'_>,
        ) -> Result<DuplicateClearance, DomainError>,
    ) -> Result<CustomerCommand, DtoError> {
        let party = raw_party!(self).parse(None, clear_duplicates)?;
        Ok(CustomerCommand::Register(customer::RegisterCustomer {
            customer_id,
            company_name: party.company_name,
            unified_social_credit_code: party.unified_social_credit_code,
            phone: party.phone,
            contact_email: party.contact_email,
            attributes: party.attributes,
            duplicate_clearance: party.duplicate_clearance,
        }))
    }
}

/// Replaces all dynamic attributes of a customer.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetCustomerAttributesRequest {
    /// The complete new attribute set (at most 12); attributes not listed
    /// are removed.
    #[schema(example = json!({"industry": "automotive", "compliance": "IATF16949", "decision_chain": "plant manager -> CFO"}))]
    pub attributes: BTreeMap<String, String>,
}

impl SetCustomerAttributesRequest {
    pub fn into_command(self) -> Result<CustomerCommand, DtoError> {
        Ok(CustomerCommand::SetAttributes(
            customer::SetCustomerAttributes {
                attributes: parse_attributes("attributes", &self.attributes)?,
            },
        ))
    }
}

/// A rep claims a customer from the public pool (公海池).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimCustomerRequest {
    /// The rep who claims the customer.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Uuid,
}

impl ClaimCustomerRequest {
    /// `policy` is the pool policy in force.
    pub fn into_command(self, policy: PoolPolicy) -> Result<CustomerCommand, DtoError> {
        Ok(CustomerCommand::Claim(customer::ClaimCustomer {
            rep_id: RepId::from_uuid(self.rep_id),
            policy,
        }))
    }
}

/// A supervisor transfers a customer to another rep, with a reason.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferCustomerRequest {
    /// The rep who becomes the owner.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-223344556677")]
    pub to_rep_id: Uuid,
    /// Why ownership moves (recorded in the responsibility log).
    #[schema(example = "原负责人调岗至华南区")]
    pub reason: String,
}

impl TransferCustomerRequest {
    /// `actor` is recorded as `transferred_by`; `policy` is the pool policy
    /// in force.
    pub fn into_command(
        self,
        actor: &ActorId,
        policy: PoolPolicy,
    ) -> Result<CustomerCommand, DtoError> {
        Ok(CustomerCommand::Transfer(customer::TransferCustomer {
            to_rep_id: RepId::from_uuid(self.to_rep_id),
            transferred_by: actor.clone(),
            reason: parse_value("reason", &self.reason, Text::parse)?,
            policy,
        }))
    }
}

/// The owner gives a customer back to the pool.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseCustomerRequest {
    /// The owning rep who releases the customer.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Uuid,
}

impl ReleaseCustomerRequest {
    pub fn into_command(self) -> Result<CustomerCommand, DtoError> {
        Ok(CustomerCommand::Release(customer::ReleaseCustomer {
            rep_id: RepId::from_uuid(self.rep_id),
        }))
    }
}

/// A supervisor recalls a customer to the pool, with a reason.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecallCustomerToPoolRequest {
    /// Why the customer is recalled.
    #[schema(example = "No follow-up recorded since the trade fair")]
    pub reason: String,
}

impl RecallCustomerToPoolRequest {
    /// `actor` is recorded as `recalled_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<CustomerCommand, DtoError> {
        Ok(CustomerCommand::RecallToPool(
            customer::RecallCustomerToPool {
                recalled_by: actor.clone(),
                reason: parse_value("reason", &self.reason, Text::parse)?,
            },
        ))
    }
}

/// A rep records a follow-up (extends ownership protection when it qualifies).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordFollowUpRequest {
    /// The rep who followed up.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Uuid,
    /// How the follow-up happened.
    pub kind: FollowUpKind,
    /// When it happened (RFC 3339; not in the future).
    #[schema(example = "2027-03-15T10:30:00+08:00")]
    pub occurred_at: DateTime<Utc>,
    /// The visit this follow-up was logged as, if any.
    pub visit_id: Option<Uuid>,
}

impl RecordFollowUpRequest {
    /// `policy` is the pool policy in force.
    pub fn into_command(self, policy: PoolPolicy) -> Result<CustomerCommand, DtoError> {
        Ok(CustomerCommand::RecordFollowUp(customer::RecordFollowUp {
            rep_id: RepId::from_uuid(self.rep_id),
            kind: self.kind.into(),
            occurred_at: self.occurred_at,
            visit_id: self.visit_id.map(VisitId::from_uuid),
            policy,
        }))
    }
}

/// Closes a local day: owned customers past their protection return to the
/// pool. The day is in the path; the body is `{}` (or empty).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseDayRequest {}

impl CloseDayRequest {
    /// One command per customer: the gateway (or command layer) calls this
    /// for each customer stream. `day` comes from the path, `policy` is the
    /// pool policy in force.
    pub fn into_command(
        self,
        day: NaiveDate,
        policy: PoolPolicy,
    ) -> Result<CustomerCommand, DtoError> {
        Ok(CustomerCommand::CloseDay(customer::CloseDay {
            day,
            policy,
        }))
    }
}

/// Records that the customer's contact agreed to link-open tracking.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordTrackingConsentRequest {
    /// The consent wording the contact agreed to. The consent time is the
    /// time the command is decided.
    #[schema(example = "本人同意贵司记录方案链接的打开时间、IP 及大致位置，用于交付确认。")]
    pub consent_text: String,
}

impl RecordTrackingConsentRequest {
    pub fn into_command(self) -> Result<CustomerCommand, DtoError> {
        Ok(CustomerCommand::RecordTrackingConsent(
            customer::RecordTrackingConsent {
                consent_text: parse_value("consent_text", &self.consent_text, Text::parse)?,
            },
        ))
    }
}

/// Withdraws the customer's tracking consent. The body is `{}` (or empty).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawTrackingConsentRequest {}

impl WithdrawTrackingConsentRequest {
    pub fn into_command(self) -> Result<CustomerCommand, DtoError> {
        Ok(CustomerCommand::WithdrawTrackingConsent(
            customer::WithdrawTrackingConsent {},
        ))
    }
}

/// Records the customer's stance; `still_comparing` starts a nurture pack.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordCustomerStanceRequest {
    /// The stance (还在比较 is `still_comparing`).
    pub stance: CustomerStance,
    /// The visit during which the stance was expressed, if any. A stance
    /// naming a visit starts no nurture pack: that visit's extraction,
    /// confirmed as still comparing, is what starts one (once per visit).
    /// Leave it out to start a pack from this stance.
    pub visit_id: Option<Uuid>,
}

impl RecordCustomerStanceRequest {
    /// `actor` is recorded as `recorded_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<CustomerCommand, DtoError> {
        Ok(CustomerCommand::RecordStance(
            customer::RecordCustomerStance {
                stance: self.stance.into(),
                recorded_by: actor.clone(),
                visit_id: self.visit_id.map(VisitId::from_uuid),
            },
        ))
    }
}
