//! HTTP request shapes of the gateway, and their conversion to domain
//! commands.
//!
//! Every command route reads its body as bytes, decodes it with
//! [`parse_body`] into one `<CommandKind>Request` struct of this module, and
//! calls that struct's `into_command` to get the domain command. The request
//! structs are plain JSON shapes (strings, UUIDs, RFC 3339 times, arrays,
//! objects, small snake_case enums) that derive `utoipa::ToSchema`, so the
//! OpenAPI document is generated from them; domain value objects are built
//! only inside `into_command`, through their `parse` constructors.
//!
//! Where each input comes from:
//!
//! - **Identity comes from the bearer token, never from the body.** Commands
//!   that record who acted (`registered_by`, `confirmed_by`,
//!   `transferred_by`, `recalled_by`, `recorded_by`, `published_by`,
//!   `completed_by`, `submitted_by`, `approved_by`, `quoted_by`,
//!   `advanced_by`) take the authenticated `actor: &ActorId`. A rep that a command *names* as
//!   its subject (the rep claiming, the rep of a visit, the target of a
//!   transfer) is a `rep_id` in the body; whether the caller may act for
//!   that rep is the command layer's check, not this module's.
//! - **Ids of the addressed aggregate come from the URL path** (see
//!   [`ALL_COMMAND_ROUTES`]) and are parameters of `into_command` (an
//!   account command's `customer_id` is the path's). Creation requests
//!   accept an optional client-chosen id (`rep_id`, `customer_id`,
//!   `lead_id`, `visit_id`, `pack_id`, `proposal_id`, `contract_id`,
//!   `asset_id`; also `plan_id` of a rescue plan and `quote_id` of a
//!   renewal quote), exposed by
//!   `requested_id()`: the gateway uses it when present (a second creation
//!   with the same id is refused as `*_already_exists`; safe retries use the
//!   `Idempotency-Key` header) and otherwise generates a UUIDv7; either way
//!   it passes the id to `into_command`.
//! - **Server-side state is a parameter**: duplicate clearance (a closure
//!   over the duplicate index), the routing rule set and rep profiles, the
//!   pool policy, the extraction dictionary, the nurture template, the
//!   customer's tracking-consent time, the stored blob's size, new to-do
//!   ids. None of them is read from the body. No conversion needs `now`:
//!   the domain's `decide` receives it.
//!
//! Errors: a body that does not decode is a [`BodyError`] (codes
//! `malformed_json`, `unknown_field`, `wrong_type`, `missing_field`,
//! `invalid_body`), naming the JSON path. A decoded body whose values break
//! a domain rule is a [`DtoError::Invalid`] naming the JSON path and the
//! domain's stable error code (e.g. `capability_tag_count` at
//! `capability_tags`, `invalid_email` at `contact_email`). Both map to 4xx;
//! nothing is appended.
//!
//! This module knows HTTP request *shapes* only: no axum, no status codes,
//! no storage.

// The module is the complete request vocabulary (every request, its `KIND`,
// every accessor); a route may not call each of them, and in a binary crate
// an unused `pub` item is still reported as dead code.
#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use salesledger_domain::account::AccountCommand;
use salesledger_domain::asset::{self, ProcessAssetCommand};
use salesledger_domain::config::ConfigCommand;
use salesledger_domain::contract::{ContractCommand, InstalmentTerm};
use salesledger_domain::customer::{self, CustomerCommand, PoolPolicy};
use salesledger_domain::duplicate::{DuplicateCandidate, DuplicateClearance};
use salesledger_domain::error::{DomainError, ValueKind};
use salesledger_domain::extraction::{
    CompetitorEntry, ConcernEntry, ExtractionDictionary, PurchaseWindow,
};
use salesledger_domain::health::{
    self, DailyUsage, HealthPolicy, HealthTargets, HealthWeights, KeywordSearch,
};
use salesledger_domain::lead::{self, LeadCommand};
use salesledger_domain::nurture::{self, NurtureCommand, NurtureTemplate, NurtureTemplateStep};
use salesledger_domain::proposal::{self, ProposalCommand};
use salesledger_domain::rep::{self, RepCommand, RepProfile};
use salesledger_domain::retail::{self, RetailCommand};
use salesledger_domain::role::CommandKind;
use salesledger_domain::routing::{MatchRule, RoutingRuleSet};
use salesledger_domain::value::{
    ActorId, AssetId, AttributeKey, AttributeValue, CallbackTaskId, CapabilityTag, CapabilityTags,
    CompanyName, ContractId, CustomerAttributes, CustomerId, Email, IpAddress, Keyword, LeadId,
    ModuleName, NurturePackId, PaymentRef, Phone, PlanName, ProposalId, QuoteId, ReferenceRef,
    Region, RepId, RescuePlanId, Sha256Hex, Text, TicketRef, TodoId, UnifiedSocialCreditCode,
    VisitId,
};
use salesledger_domain::value::{MemberRef, PromotionId, SkuCode, StoreCode};
use salesledger_domain::visit::{self, NextAction, VisitCommand};

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why a decoded request could not become a domain command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DtoError {
    /// A value of the body breaks a domain value rule. `field` is its JSON
    /// path (`contact_email`, `attributes.industry`, `capability_tags[2]`;
    /// empty for a rule over the whole body), `code` the domain's stable
    /// problem code (`invalid_email`, `capability_tag_count`, ...).
    #[error("invalid value at {field}: {message}")]
    Invalid {
        field: String,
        code: &'static str,
        message: String,
    },
    /// Any other refusal by the domain while building the command (e.g. a
    /// duplicate record found while clearing a registration).
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl DtoError {
    /// Stable machine-readable problem code: the domain's code.
    pub fn code(&self) -> &'static str {
        match self {
            DtoError::Invalid { code, .. } => code,
            DtoError::Domain(error) => error.code(),
        }
    }

    /// The JSON path of the offending value, if the error names one.
    pub fn field(&self) -> Option<&str> {
        match self {
            DtoError::Invalid { field, .. } => Some(field),
            DtoError::Domain(_) => None,
        }
    }

    fn invalid(field: impl Into<String>, error: &DomainError) -> Self {
        DtoError::Invalid {
            field: field.into(),
            code: error.code(),
            message: error.to_string(),
        }
    }
}

/// What went wrong while decoding a body, by class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyErrorKind {
    /// Not JSON, truncated JSON, trailing characters, or an empty body for a
    /// request with required fields.
    Syntax,
    /// A field the request does not define (requests deny unknown fields).
    UnknownField,
    /// A value of the wrong JSON type or out of range (a string for a
    /// number, a negative count, an unknown enum variant, a non-object body).
    WrongType,
    /// A required field is absent.
    MissingField,
    /// Anything else the decoder refused (e.g. a string that is not a UUID
    /// or not an RFC 3339 time).
    Other,
}

/// A body that does not decode into its request struct.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BodyError {
    /// JSON path of the offending value (`capability_tags[1]`,
    /// `trigger.visit_id`); for a missing or unknown field, the path of that
    /// field; empty for the body as a whole.
    pub path: String,
    pub message: String,
    pub kind: BodyErrorKind,
}

impl BodyError {
    /// Stable machine-readable problem code.
    pub fn code(&self) -> &'static str {
        match self.kind {
            BodyErrorKind::Syntax => "malformed_json",
            BodyErrorKind::UnknownField => "unknown_field",
            BodyErrorKind::WrongType => "wrong_type",
            BodyErrorKind::MissingField => "missing_field",
            BodyErrorKind::Other => "invalid_body",
        }
    }
}

/// Decodes a request body, naming the JSON path of any error.
///
/// The body must be one JSON object. An empty (or all-whitespace) body is
/// read as `{}`, so bodyless commands (`DeactivateRepRequest`,
/// `WithdrawTrackingConsentRequest`, ...) may be posted without a body; for
/// a request with required fields an empty body is `malformed_json`.
/// A non-object body (`[]`, `"x"`, `42`) is `wrong_type`: serde would
/// otherwise accept a JSON array as a struct, field by position.
pub fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    let first_significant = bytes
        .iter()
        .copied()
        .find(|byte| !byte.is_ascii_whitespace());
    match first_significant {
        None => {
            return decode_object(b"{}").map_err(|_| BodyError {
                path: String::new(),
                message: "the body is empty; expected a JSON object".to_owned(),
                kind: BodyErrorKind::Syntax,
            });
        }
        Some(b'{') => {}
        Some(_) => {
            return Err(
                match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                    Ok(_) => BodyError {
                        path: String::new(),
                        message: "the body must be a JSON object".to_owned(),
                        kind: BodyErrorKind::WrongType,
                    },
                    Err(error) => BodyError {
                        path: String::new(),
                        message: error.to_string(),
                        kind: BodyErrorKind::Syntax,
                    },
                },
            );
        }
    }
    decode_object(bytes)
}

fn decode_object<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(body_error)?;
    deserializer.end().map_err(|error| BodyError {
        path: String::new(),
        message: error.to_string(),
        kind: BodyErrorKind::Syntax,
    })?;
    Ok(value)
}

fn body_error(error: serde_path_to_error::Error<serde_json::Error>) -> BodyError {
    let last_key = match error.path().iter().next_back() {
        Some(serde_path_to_error::Segment::Map { key }) => Some(key.clone()),
        _ => None,
    };
    let mut path = format_path(error.path());
    let inner = error.into_inner();
    let message = inner.to_string();
    let kind = match inner.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            BodyErrorKind::Syntax
        }
        serde_json::error::Category::Io => BodyErrorKind::Other,
        serde_json::error::Category::Data => {
            if message.starts_with("unknown field") {
                BodyErrorKind::UnknownField
            } else if message.starts_with("missing field") {
                BodyErrorKind::MissingField
            } else if message.starts_with("invalid type")
                || message.starts_with("invalid value")
                || message.starts_with("invalid length")
                || message.starts_with("unknown variant")
            {
                BodyErrorKind::WrongType
            } else {
                BodyErrorKind::Other
            }
        }
    };
    // serde names the field in backticks. For a missing field the path is
    // its object; for an unknown field it is usually the field itself, but
    // its object inside an internally tagged enum (buffered content).
    let named_field = message.split('`').nth(1);
    let append = match (kind, named_field) {
        (BodyErrorKind::MissingField, Some(field)) => Some(field),
        (BodyErrorKind::UnknownField, Some(field)) if last_key.as_deref() != Some(field) => {
            Some(field)
        }
        _ => None,
    };
    if let Some(field) = append {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(field);
    }
    BodyError {
        path,
        message,
        kind,
    }
}

/// `a.b[2].c`, empty for the root.
fn format_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut formatted = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => formatted.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !formatted.is_empty() {
                    formatted.push('.');
                }
                formatted.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    formatted
}

// ---------------------------------------------------------------------------
// Parsing helpers: every value through its domain `parse`
// ---------------------------------------------------------------------------

fn parse_value<T>(
    field: &str,
    raw: &str,
    parse: fn(&str) -> Result<T, DomainError>,
) -> Result<T, DtoError> {
    parse(raw).map_err(|error| DtoError::invalid(field, &error))
}

/// An amount of money in fen through the domain's
/// [`salesledger_domain::value::parse_amount_fen`] (1 to 10^13), naming
/// the field's JSON path when it is out of range.
fn parse_amount(field: &str, amount_fen: u64) -> Result<u64, DtoError> {
    salesledger_domain::value::parse_amount_fen(amount_fen)
        .map_err(|error| DtoError::invalid(field, &error))
}

fn parse_optional<T>(
    field: &str,
    raw: Option<&str>,
    parse: fn(&str) -> Result<T, DomainError>,
) -> Result<Option<T>, DtoError> {
    raw.map(|raw| parse_value(field, raw, parse)).transpose()
}

fn parse_capability_tags(field: &str, raw_tags: &[String]) -> Result<CapabilityTags, DtoError> {
    let tags = raw_tags
        .iter()
        .enumerate()
        .map(|(tag_idx, raw)| {
            parse_value(&format!("{field}[{tag_idx}]"), raw, CapabilityTag::parse)
        })
        .collect::<Result<Vec<_>, _>>()?;
    CapabilityTags::from_tags(tags).map_err(|error| DtoError::invalid(field, &error))
}

fn parse_attributes(
    field: &str,
    raw_attributes: &BTreeMap<String, String>,
) -> Result<CustomerAttributes, DtoError> {
    let mut attributes = BTreeMap::new();
    for (raw_key, raw_value) in raw_attributes {
        let key_path = format!("{field}.{raw_key}");
        let key = parse_value(&key_path, raw_key, AttributeKey::parse)?;
        let value = parse_value(&key_path, raw_value, AttributeValue::parse)?;
        if attributes.insert(key, value).is_some() {
            return Err(DtoError::Invalid {
                field: key_path,
                code: ValueKind::AttributeKey.code(),
                message: format!("attribute {raw_key} is given twice (keys are case-insensitive)"),
            });
        }
    }
    CustomerAttributes::from_map(attributes).map_err(|error| DtoError::invalid(field, &error))
}

/// Validation of a whole configuration document (the domain's `validate`);
/// the field is empty because the rule spans the body.
fn validated<T>(document: T, validate: fn(&T) -> Result<(), DomainError>) -> Result<T, DtoError> {
    validate(&document).map_err(|error| DtoError::invalid("", &error))?;
    Ok(document)
}

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

/// How a visit took place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VisitChannel {
    OnSite,
    Phone,
    Video,
}

impl From<VisitChannel> for visit::VisitChannel {
    fn from(channel: VisitChannel) -> Self {
        match channel {
            VisitChannel::OnSite => visit::VisitChannel::OnSite,
            VisitChannel::Phone => visit::VisitChannel::Phone,
            VisitChannel::Video => visit::VisitChannel::Video,
        }
    }
}

/// The kind of a nurture step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NurtureStepKind {
    CaseVideo,
    ThirdPartyReview,
    TimeLimitedOffer,
    Whitepaper,
    ReferenceCall,
}

impl From<NurtureStepKind> for nurture::NurtureStepKind {
    fn from(kind: NurtureStepKind) -> Self {
        match kind {
            NurtureStepKind::CaseVideo => nurture::NurtureStepKind::CaseVideo,
            NurtureStepKind::ThirdPartyReview => nurture::NurtureStepKind::ThirdPartyReview,
            NurtureStepKind::TimeLimitedOffer => nurture::NurtureStepKind::TimeLimitedOffer,
            NurtureStepKind::Whitepaper => nurture::NurtureStepKind::Whitepaper,
            NurtureStepKind::ReferenceCall => nurture::NurtureStepKind::ReferenceCall,
        }
    }
}

/// The customer's response to a nurture step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NurtureResponse {
    Opened,
    Replied,
    Interested,
    NotInterested,
    RequestedMeeting,
}

impl From<NurtureResponse> for nurture::NurtureResponse {
    fn from(response: NurtureResponse) -> Self {
        match response {
            NurtureResponse::Opened => nurture::NurtureResponse::Opened,
            NurtureResponse::Replied => nurture::NurtureResponse::Replied,
            NurtureResponse::Interested => nurture::NurtureResponse::Interested,
            NurtureResponse::NotInterested => nurture::NurtureResponse::NotInterested,
            NurtureResponse::RequestedMeeting => nurture::NurtureResponse::RequestedMeeting,
        }
    }
}

/// Why a nurture pack ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NurtureCloseReason {
    Converted,
    Declined,
    Completed,
    Cancelled,
}

impl From<NurtureCloseReason> for nurture::NurtureCloseReason {
    fn from(reason: NurtureCloseReason) -> Self {
        match reason {
            NurtureCloseReason::Converted => nurture::NurtureCloseReason::Converted,
            NurtureCloseReason::Declined => nurture::NurtureCloseReason::Declined,
            NurtureCloseReason::Completed => nurture::NurtureCloseReason::Completed,
            NurtureCloseReason::Cancelled => nurture::NurtureCloseReason::Cancelled,
        }
    }
}

// ---------------------------------------------------------------------------
// Reps
// ---------------------------------------------------------------------------

/// Registers a sales rep with a region and 3 to 5 capability tags.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRepRequest {
    /// Optional client-chosen id of the new rep; the gateway uses it when
    /// present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Option<Uuid>,
    /// The rep's name as shown to supervisors (1 to 20 000 characters).
    #[schema(example = "王晓明")]
    #[schema(min_length = 1, max_length = 20000)]
    pub display_name: String,
    /// The rep's sales region (1 to 64 characters).
    #[schema(example = "华东")]
    #[schema(min_length = 1, max_length = 64)]
    pub region: String,
    /// 3 to 5 distinct capability tags: 2 to 48 of `a-z 0-9 -`, lowercased.
    #[schema(example = json!(["iso13485", "tier3-hospital-his", "plc-retrofit"]))]
    #[schema(min_items = 3, max_items = 5)]
    pub capability_tags: Vec<String>,
}

impl RegisterRepRequest {
    pub const KIND: CommandKind = CommandKind::RegisterRep;

    /// The client-chosen id, if any.
    pub fn requested_id(&self) -> Option<Uuid> {
        self.rep_id
    }

    pub fn into_command(self, rep_id: RepId) -> Result<RepCommand, DtoError> {
        Ok(RepCommand::Register(rep::RegisterRep {
            rep_id,
            display_name: parse_value("display_name", &self.display_name, Text::parse)?,
            region: parse_value("region", &self.region, Region::parse)?,
            capability_tags: parse_capability_tags("capability_tags", &self.capability_tags)?,
        }))
    }
}

/// Replaces a rep's capability tags.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRepCapabilitiesRequest {
    /// The new set of 3 to 5 distinct capability tags (replaces the old set).
    #[schema(example = json!(["iso13485", "automotive-grade-cert", "plc-retrofit", "iatf16949"]))]
    #[schema(min_items = 3, max_items = 5)]
    pub capability_tags: Vec<String>,
}

impl ChangeRepCapabilitiesRequest {
    pub const KIND: CommandKind = CommandKind::ChangeRepCapabilities;

    pub fn into_command(self) -> Result<RepCommand, DtoError> {
        Ok(RepCommand::ChangeCapabilities(rep::ChangeRepCapabilities {
            capability_tags: parse_capability_tags("capability_tags", &self.capability_tags)?,
        }))
    }
}

/// Takes a rep out of routing. The body is `{}` (or empty).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeactivateRepRequest {}

impl DeactivateRepRequest {
    pub const KIND: CommandKind = CommandKind::DeactivateRep;

    pub fn into_command(self) -> Result<RepCommand, DtoError> {
        Ok(RepCommand::Deactivate(rep::DeactivateRep {}))
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
    pub const KIND: CommandKind = CommandKind::RegisterCustomer;

    /// The client-chosen id, if any.
    pub fn requested_id(&self) -> Option<Uuid> {
        self.customer_id
    }

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
        let company_name = parse_value("company_name", &self.company_name, CompanyName::parse)?;
        let unified_social_credit_code = parse_optional(
            "unified_social_credit_code",
            self.unified_social_credit_code.as_deref(),
            UnifiedSocialCreditCode::parse,
        )?;
        let phone = parse_optional("phone", self.phone.as_deref(), Phone::parse)?;
        let contact_email =
            parse_optional("contact_email", self.contact_email.as_deref(), Email::parse)?;
        let attributes = parse_attributes("attributes", &self.attributes)?;
        let duplicate_clearance = clear_duplicates(&DuplicateCandidate {
            company_name: &company_name,
            unified_social_credit_code: unified_social_credit_code.as_ref(),
            phone: phone.as_ref(),
            linked_customer: None,
        })?;
        Ok(CustomerCommand::Register(customer::RegisterCustomer {
            customer_id,
            company_name,
            unified_social_credit_code,
            phone,
            contact_email,
            attributes,
            duplicate_clearance,
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
    pub const KIND: CommandKind = CommandKind::SetCustomerAttributes;

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
    pub const KIND: CommandKind = CommandKind::ClaimCustomer;

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
    pub const KIND: CommandKind = CommandKind::TransferCustomer;

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
    pub const KIND: CommandKind = CommandKind::ReleaseCustomer;

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
    pub const KIND: CommandKind = CommandKind::RecallCustomerToPool;

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
    pub const KIND: CommandKind = CommandKind::RecordFollowUp;

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
    pub const KIND: CommandKind = CommandKind::CloseDay;

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
    pub const KIND: CommandKind = CommandKind::RecordTrackingConsent;

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
    pub const KIND: CommandKind = CommandKind::WithdrawTrackingConsent;

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
    /// The visit during which the stance was expressed, if any.
    pub visit_id: Option<Uuid>,
}

impl RecordCustomerStanceRequest {
    pub const KIND: CommandKind = CommandKind::RecordCustomerStance;

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
    pub const KIND: CommandKind = CommandKind::RegisterLead;

    /// The client-chosen id, if any.
    pub fn requested_id(&self) -> Option<Uuid> {
        self.lead_id
    }

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
        let company_name = parse_value("company_name", &self.company_name, CompanyName::parse)?;
        let unified_social_credit_code = parse_optional(
            "unified_social_credit_code",
            self.unified_social_credit_code.as_deref(),
            UnifiedSocialCreditCode::parse,
        )?;
        let phone = parse_optional("phone", self.phone.as_deref(), Phone::parse)?;
        let contact_email =
            parse_optional("contact_email", self.contact_email.as_deref(), Email::parse)?;
        let attributes = parse_attributes("attributes", &self.attributes)?;
        let customer_id = self.customer_id.map(CustomerId::from_uuid);
        let duplicate_clearance = clear_duplicates(&DuplicateCandidate {
            company_name: &company_name,
            unified_social_credit_code: unified_social_credit_code.as_ref(),
            phone: phone.as_ref(),
            linked_customer: customer_id,
        })?;
        Ok(LeadCommand::Register(lead::RegisterLead {
            lead_id,
            company_name,
            unified_social_credit_code,
            phone,
            contact_email,
            attributes,
            customer_id,
            registered_by: actor.clone(),
            duplicate_clearance,
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
    pub const KIND: CommandKind = CommandKind::ConfirmLeadBudget;

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
    pub const KIND: CommandKind = CommandKind::ConfirmLeadTechnicalFit;

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
    pub const KIND: CommandKind = CommandKind::ProposeRouting;

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
    pub const KIND: CommandKind = CommandKind::ConfirmRouting;

    /// `actor` is recorded as `confirmed_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<LeadCommand, DtoError> {
        Ok(LeadCommand::ConfirmRouting(lead::ConfirmRouting {
            rep_id: RepId::from_uuid(self.rep_id),
            confirmed_by: actor.clone(),
        }))
    }
}

// ---------------------------------------------------------------------------
// Visits
// ---------------------------------------------------------------------------

/// A rep logs a visit or call with its transcript; the extraction is proposed.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogVisitRequest {
    /// Optional client-chosen id of the new visit; the gateway uses it when
    /// present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-445566778899")]
    pub visit_id: Option<Uuid>,
    /// The customer visited.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccddeeff")]
    pub customer_id: Uuid,
    /// The rep who made the visit.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Uuid,
    /// How the visit took place.
    pub channel: VisitChannel,
    /// When the visit took place (RFC 3339); time phrases in the transcript
    /// are resolved against it.
    #[schema(example = "2027-03-15T10:30:00+08:00")]
    pub occurred_at: DateTime<Utc>,
    /// The transcript text (speech-to-text from the phone), 1 to 20 000
    /// characters.
    #[schema(example = "客户说还在比较西门子的方案，预计下个月采购，担心交期。")]
    #[schema(min_length = 1, max_length = 20000)]
    pub transcript: String,
    /// The rep's own notes, if any.
    pub rep_notes: Option<String>,
}

impl LogVisitRequest {
    pub const KIND: CommandKind = CommandKind::LogVisit;

    /// The client-chosen id, if any.
    pub fn requested_id(&self) -> Option<Uuid> {
        self.visit_id
    }

    /// `dictionary` is the published extraction dictionary.
    pub fn into_command(
        self,
        visit_id: VisitId,
        dictionary: ExtractionDictionary,
    ) -> Result<VisitCommand, DtoError> {
        Ok(VisitCommand::Log(visit::LogVisit {
            visit_id,
            customer_id: CustomerId::from_uuid(self.customer_id),
            rep_id: RepId::from_uuid(self.rep_id),
            channel: self.channel.into(),
            occurred_at: self.occurred_at,
            transcript: parse_value("transcript", &self.transcript, Text::parse)?,
            rep_notes: parse_optional("rep_notes", self.rep_notes.as_deref(), Text::parse)?,
            dictionary,
        }))
    }
}

/// A purchase time window, inclusive on both ends.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseWindowInput {
    /// First day of the window (`YYYY-MM-DD`).
    #[schema(example = "2027-04-01")]
    pub earliest: NaiveDate,
    /// Last day of the window (`YYYY-MM-DD`), not before `earliest`.
    #[schema(example = "2027-04-30")]
    pub latest: NaiveDate,
    /// The phrase it was resolved from; empty or absent when entered by hand.
    #[serde(default)]
    #[schema(example = "下个月")]
    pub phrase: String,
}

/// A next action the rep commits to; it becomes a to-do item.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NextActionInput {
    /// Optional client-chosen id of the to-do item; generated when absent.
    pub todo_id: Option<Uuid>,
    /// What to do (1 to 20 000 characters).
    #[schema(example = "发送交期承诺函")]
    #[schema(min_length = 1, max_length = 20000)]
    pub title: String,
    /// Due date (`YYYY-MM-DD`), not before the visit's local date.
    #[schema(example = "2027-03-20")]
    pub due_on: NaiveDate,
}

/// The rep confirms or edits the proposed extraction in one step; the
/// values sent are the final ones.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmVisitExtractionRequest {
    /// The rep of the visit.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Uuid,
    /// Competitors mentioned (canonical names, 1 to 100 characters each).
    #[schema(example = json!(["Siemens", "汇川"]))]
    pub competitors: Vec<String>,
    /// The purchase window, or null when none was mentioned.
    pub purchase_window: Option<PurchaseWindowInput>,
    /// Technical concerns (canonical names, 1 to 100 characters each).
    #[schema(example = json!(["交期", "HIS integration"]))]
    pub concerns: Vec<String>,
    /// The customer's stance, or null.
    pub stance: Option<CustomerStance>,
    /// Next actions; each becomes a to-do item. Absent means none.
    #[serde(default)]
    pub next_actions: Vec<NextActionInput>,
}

impl ConfirmVisitExtractionRequest {
    pub const KIND: CommandKind = CommandKind::ConfirmVisitExtraction;

    /// `new_todo_id` mints an id for each next action without a `todo_id`.
    pub fn into_command(
        self,
        mut new_todo_id: impl FnMut() -> TodoId,
    ) -> Result<VisitCommand, DtoError> {
        let purchase_window = self
            .purchase_window
            .map(|window| {
                PurchaseWindow::new(window.earliest, window.latest, window.phrase)
                    .map_err(|error| DtoError::invalid("purchase_window", &error))
            })
            .transpose()?;
        let next_actions = self
            .next_actions
            .into_iter()
            .enumerate()
            .map(|(action_idx, action)| {
                Ok(NextAction {
                    todo_id: action
                        .todo_id
                        .map_or_else(&mut new_todo_id, TodoId::from_uuid),
                    title: parse_value(
                        &format!("next_actions[{action_idx}].title"),
                        &action.title,
                        Text::parse,
                    )?,
                    due_on: action.due_on,
                })
            })
            .collect::<Result<Vec<_>, DtoError>>()?;
        Ok(VisitCommand::ConfirmExtraction(
            visit::ConfirmVisitExtraction {
                rep_id: RepId::from_uuid(self.rep_id),
                competitors: self.competitors,
                purchase_window,
                concerns: self.concerns,
                stance: self.stance.map(Into::into),
                next_actions,
            },
        ))
    }
}

/// The rep completes a to-do item (the item is in the path).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteTodoRequest {
    /// The rep of the visit.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Uuid,
}

impl CompleteTodoRequest {
    pub const KIND: CommandKind = CommandKind::CompleteTodo;

    /// `todo_id` comes from the path.
    pub fn into_command(self, todo_id: TodoId) -> Result<VisitCommand, DtoError> {
        Ok(VisitCommand::CompleteTodo(visit::CompleteTodo {
            todo_id,
            rep_id: RepId::from_uuid(self.rep_id),
        }))
    }
}

// ---------------------------------------------------------------------------
// Nurture packs
// ---------------------------------------------------------------------------

/// What started a nurture pack.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(tag = "source", rename_all = "snake_case", deny_unknown_fields)]
pub enum NurtureTriggerInput {
    /// A visit's confirmed extraction recorded "still comparing".
    VisitExtraction {
        /// The visit.
        visit_id: Uuid,
    },
    /// The stance was recorded on the customer directly.
    // A struct variant, not a unit one: serde ignores `deny_unknown_fields`
    // on unit variants of internally tagged enums.
    CustomerStance {},
}

impl From<NurtureTriggerInput> for nurture::NurtureTrigger {
    fn from(trigger: NurtureTriggerInput) -> Self {
        match trigger {
            NurtureTriggerInput::VisitExtraction { visit_id } => {
                nurture::NurtureTrigger::VisitExtraction {
                    visit_id: VisitId::from_uuid(visit_id),
                }
            }
            NurtureTriggerInput::CustomerStance {} => nurture::NurtureTrigger::CustomerStance,
        }
    }
}

/// Starts a nurture pack for a customer who is still comparing.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartNurturePackRequest {
    /// Optional client-chosen id of the new pack; the gateway uses it when
    /// present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-5566778899aa")]
    pub pack_id: Option<Uuid>,
    /// The customer to nurture.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccddeeff")]
    pub customer_id: Uuid,
    /// What started the pack.
    #[schema(example = json!({"source": "customer_stance"}))]
    pub trigger: NurtureTriggerInput,
}

impl StartNurturePackRequest {
    pub const KIND: CommandKind = CommandKind::StartNurturePack;

    /// The client-chosen id, if any.
    pub fn requested_id(&self) -> Option<Uuid> {
        self.pack_id
    }

    /// `template` is the published nurture template.
    pub fn into_command(
        self,
        pack_id: NurturePackId,
        template: NurtureTemplate,
    ) -> Result<NurtureCommand, DtoError> {
        Ok(NurtureCommand::Start(nurture::StartNurturePack {
            pack_id,
            customer_id: CustomerId::from_uuid(self.customer_id),
            trigger: self.trigger.into(),
            template,
        }))
    }
}

/// Records that a step of the pack was sent.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordNurtureStepSentRequest {
    /// 0-based index of the step in the pack's schedule.
    #[schema(example = 0)]
    pub step_index: u32,
    /// The channel it was sent on.
    #[schema(example = "企业微信")]
    pub channel: String,
}

impl RecordNurtureStepSentRequest {
    pub const KIND: CommandKind = CommandKind::RecordNurtureStepSent;

    pub fn into_command(self) -> Result<NurtureCommand, DtoError> {
        Ok(NurtureCommand::RecordStepSent(
            nurture::RecordNurtureStepSent {
                step_index: self.step_index,
                channel: parse_value("channel", &self.channel, Text::parse)?,
            },
        ))
    }
}

/// Records the customer's response to a sent step.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordNurtureResponseRequest {
    /// 0-based index of the step responded to.
    #[schema(example = 1)]
    pub step_index: u32,
    /// The response.
    pub response: NurtureResponse,
    /// Optional note.
    #[schema(example = "Asked for the full third-party test report")]
    pub note: Option<String>,
}

impl RecordNurtureResponseRequest {
    pub const KIND: CommandKind = CommandKind::RecordNurtureResponse;

    pub fn into_command(self) -> Result<NurtureCommand, DtoError> {
        Ok(NurtureCommand::RecordResponse(
            nurture::RecordNurtureResponse {
                step_index: self.step_index,
                response: self.response.into(),
                note: parse_optional("note", self.note.as_deref(), Text::parse)?,
            },
        ))
    }
}

/// Closes a nurture pack.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseNurturePackRequest {
    /// Why the pack ends.
    pub reason: NurtureCloseReason,
}

impl CloseNurturePackRequest {
    pub const KIND: CommandKind = CommandKind::CloseNurturePack;

    pub fn into_command(self) -> Result<NurtureCommand, DtoError> {
        Ok(NurtureCommand::Close(nurture::CloseNurturePack {
            reason: self.reason.into(),
        }))
    }
}

// ---------------------------------------------------------------------------
// Proposals
// ---------------------------------------------------------------------------

/// Creates a proposal; it stays `pending_verification` until 2 of 3 proofs.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProposalRequest {
    /// Optional client-chosen id of the new proposal; the gateway uses it
    /// when present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-66778899aabb")]
    pub proposal_id: Option<Uuid>,
    /// The customer the proposal is for.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccddeeff")]
    pub customer_id: Uuid,
    /// The contact's e-mail: the PDF watermark and the delivery receipt must
    /// carry it.
    #[schema(example = "purchasing@ruikang-med.cn")]
    pub contact_email: String,
    /// Title of the proposal.
    #[schema(example = "手术室设备升级方案 v2")]
    pub title: String,
}

impl CreateProposalRequest {
    pub const KIND: CommandKind = CommandKind::CreateProposal;

    /// The client-chosen id, if any.
    pub fn requested_id(&self) -> Option<Uuid> {
        self.proposal_id
    }

    pub fn into_command(self, proposal_id: ProposalId) -> Result<ProposalCommand, DtoError> {
        Ok(ProposalCommand::Create(proposal::CreateProposal {
            proposal_id,
            customer_id: CustomerId::from_uuid(self.customer_id),
            contact_email: parse_value("contact_email", &self.contact_email, Email::parse)?,
            title: parse_value("title", &self.title, Text::parse)?,
        }))
    }
}

/// Records the proposal PDF as evidence (proof a). The PDF itself is
/// uploaded first to the blob store; this request names it by its SHA-256.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordProposalPdfRequest {
    /// SHA-256 (64 hex characters) of the uploaded PDF blob.
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    #[schema(pattern = r"^[0-9a-fA-F]{64}$")]
    pub sha256: String,
    /// The e-mail address carried by the PDF's watermark; must be the
    /// proposal's contact e-mail.
    #[schema(example = "purchasing@ruikang-med.cn")]
    pub watermark_email: String,
}

impl RecordProposalPdfRequest {
    pub const KIND: CommandKind = CommandKind::RecordProposalPdf;

    /// The blob's digest, parsed, so the gateway can look the blob up
    /// before converting (an unknown blob is the gateway's 4xx).
    pub fn blob_sha256(&self) -> Result<Sha256Hex, DtoError> {
        parse_value("sha256", &self.sha256, Sha256Hex::parse)
    }

    /// `stored_size_bytes` is the size of the stored blob, from the blob
    /// store (never from the body).
    pub fn into_command(self, stored_size_bytes: u64) -> Result<ProposalCommand, DtoError> {
        Ok(ProposalCommand::RecordPdf(proposal::RecordProposalPdf {
            sha256: self.blob_sha256()?,
            watermark_email: parse_value("watermark_email", &self.watermark_email, Email::parse)?,
            size_bytes: stored_size_bytes,
        }))
    }
}

/// Records an e-mail delivery receipt as evidence (proof b).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordEmailDeliveryReceiptRequest {
    /// The message id from the mail server's receipt.
    #[schema(example = "<20270316.8812@mail.salesledger.example>")]
    pub message_id: String,
    /// The recipient the mail was delivered to; must be the contact e-mail.
    #[schema(example = "purchasing@ruikang-med.cn")]
    pub recipient: String,
    /// When the mail was delivered (RFC 3339); at most the server's future
    /// margin (10 minutes by default) ahead of its clock.
    #[schema(example = "2027-03-16T09:12:00+08:00")]
    pub delivered_at: DateTime<Utc>,
}

impl RecordEmailDeliveryReceiptRequest {
    pub const KIND: CommandKind = CommandKind::RecordEmailDeliveryReceipt;

    pub fn into_command(self) -> Result<ProposalCommand, DtoError> {
        Ok(ProposalCommand::RecordEmailDeliveryReceipt(
            proposal::RecordEmailDeliveryReceipt {
                message_id: parse_value("message_id", &self.message_id, Text::parse)?,
                recipient: parse_value("recipient", &self.recipient, Email::parse)?,
                delivered_at: self.delivered_at,
            },
        ))
    }
}

/// Records that the proposal link was opened (proof c; counts only after
/// tracking consent).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordLinkOpenedRequest {
    /// When the link was opened (RFC 3339); at most the server's future
    /// margin (10 minutes by default) ahead of its clock.
    #[schema(example = "2027-03-16T10:02:11+08:00")]
    pub opened_at: DateTime<Utc>,
    /// The opener's IPv4 or IPv6 address.
    #[schema(example = "116.228.111.18")]
    pub ip_address: String,
    /// Coarse location derived from the IP (city level).
    #[schema(example = "上海市")]
    pub coarse_location: String,
}

impl RecordLinkOpenedRequest {
    pub const KIND: CommandKind = CommandKind::RecordLinkOpened;

    /// `tracking_consent_recorded_at` is the customer's consent time, read
    /// from the customer aggregate (never from the body).
    pub fn into_command(
        self,
        tracking_consent_recorded_at: Option<DateTime<Utc>>,
    ) -> Result<ProposalCommand, DtoError> {
        Ok(ProposalCommand::RecordLinkOpened(
            proposal::RecordLinkOpened {
                opened_at: self.opened_at,
                ip_address: parse_value("ip_address", &self.ip_address, IpAddress::parse)?,
                coarse_location: parse_value(
                    "coarse_location",
                    &self.coarse_location,
                    Text::parse,
                )?,
                tracking_consent_recorded_at,
            },
        ))
    }
}

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/// One row of the routing rule table.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRuleInput {
    /// The capability tag this rule scores.
    #[schema(example = "iso13485")]
    pub tag: String,
    /// The customer attribute it reads.
    #[schema(example = "compliance")]
    pub attribute_key: String,
    /// Matches when the normalised attribute value contains this text
    /// (normalised the same way).
    #[schema(example = "ISO13485")]
    pub attribute_value_contains: String,
    /// Weight added to the score, 1 to 1000.
    #[schema(example = 40)]
    #[schema(minimum = 1, maximum = 1000)]
    pub weight: u32,
}

/// Publishes a new routing rule set (version strictly increasing).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRoutingRulesRequest {
    /// Version, greater than the published one.
    #[schema(example = 8)]
    pub version: u32,
    /// The rule table (at most 10 000 rows).
    #[schema(max_items = 10000)]
    pub rules: Vec<MatchRuleInput>,
    /// Weight when a tag without a table rule appears literally in an
    /// attribute value; 0 disables it.
    #[schema(example = 10)]
    pub direct_tag_match_weight: u32,
    /// Weight when the rep's region equals the `region` attribute.
    #[schema(example = 5)]
    pub region_match_weight: u32,
    /// Reps scoring below this are not proposed.
    #[schema(example = 1)]
    pub minimum_score: u32,
    /// How many candidates to propose, 1 to 10 (SPEC: 3).
    #[schema(example = 3)]
    #[schema(minimum = 1, maximum = 10)]
    pub candidate_count: u8,
}

impl PublishRoutingRulesRequest {
    pub const KIND: CommandKind = CommandKind::PublishRoutingRules;

    /// `actor` is recorded as `published_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<ConfigCommand, DtoError> {
        let rules = self
            .rules
            .into_iter()
            .enumerate()
            .map(|(rule_idx, rule)| {
                Ok(MatchRule {
                    tag: parse_value(
                        &format!("rules[{rule_idx}].tag"),
                        &rule.tag,
                        CapabilityTag::parse,
                    )?,
                    attribute_key: parse_value(
                        &format!("rules[{rule_idx}].attribute_key"),
                        &rule.attribute_key,
                        AttributeKey::parse,
                    )?,
                    attribute_value_contains: rule.attribute_value_contains,
                    weight: rule.weight,
                })
            })
            .collect::<Result<Vec<_>, DtoError>>()?;
        let rule_set = validated(
            RoutingRuleSet {
                version: self.version,
                rules,
                direct_tag_match_weight: self.direct_tag_match_weight,
                region_match_weight: self.region_match_weight,
                minimum_score: self.minimum_score,
                candidate_count: self.candidate_count,
            },
            RoutingRuleSet::validate,
        )?;
        Ok(ConfigCommand::PublishRoutingRules {
            rule_set,
            published_by: actor.clone(),
        })
    }
}

/// Publishes a new public-pool policy (version strictly increasing).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishPoolPolicyRequest {
    /// Version, greater than the published one.
    #[schema(example = 2)]
    pub version: u32,
    /// Days of protection after a claim or transfer (default 30).
    #[schema(example = 30)]
    pub protection_days: u32,
    /// Days a qualifying follow-up extends protection to.
    #[schema(example = 30)]
    pub extension_days: u32,
    /// Upper bound on protection from the start of ownership.
    #[schema(example = 90)]
    pub maximum_protection_days: u32,
    /// Follow-up kinds that extend protection.
    #[schema(example = json!(["visit", "call", "meeting"]))]
    pub qualifying_follow_up_kinds: Vec<FollowUpKind>,
    /// Local midnight's offset from UTC, in minutes (China: 480).
    #[schema(example = 480)]
    pub day_close_utc_offset_minutes: i32,
}

impl PublishPoolPolicyRequest {
    pub const KIND: CommandKind = CommandKind::PublishPoolPolicy;

    /// `actor` is recorded as `published_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<ConfigCommand, DtoError> {
        let policy = validated(
            PoolPolicy {
                version: self.version,
                protection_days: self.protection_days,
                extension_days: self.extension_days,
                maximum_protection_days: self.maximum_protection_days,
                qualifying_follow_up_kinds: self
                    .qualifying_follow_up_kinds
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                day_close_utc_offset_minutes: self.day_close_utc_offset_minutes,
            },
            PoolPolicy::validate,
        )?;
        Ok(ConfigCommand::PublishPoolPolicy {
            policy,
            published_by: actor.clone(),
        })
    }
}

/// A competitor and the names it goes by.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompetitorEntryInput {
    /// Canonical name.
    #[schema(example = "Siemens")]
    pub name: String,
    /// Other names that identify it in transcripts.
    #[serde(default)]
    #[schema(example = json!(["西门子", "SIEMENS Healthineers"]))]
    pub aliases: Vec<String>,
}

/// A technical concern and the keywords that reveal it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcernEntryInput {
    /// Canonical concern name.
    #[schema(example = "交期")]
    pub concern: String,
    /// Keywords that reveal it.
    #[schema(example = json!(["交期", "交货", "lead time", "delivery time"]))]
    pub keywords: Vec<String>,
}

/// Publishes a new extraction dictionary (version strictly increasing).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishExtractionDictionaryRequest {
    /// Version, greater than the published one.
    #[schema(example = 3)]
    pub version: u32,
    /// Competitors the extractor recognises.
    pub competitors: Vec<CompetitorEntryInput>,
    /// Technical concerns the extractor recognises.
    pub concerns: Vec<ConcernEntryInput>,
    /// Phrases meaning "still comparing"; `*` matches up to 12 characters.
    #[schema(example = json!(["还在比较", "再考虑", "还在*比较", "still comparing"]))]
    pub still_comparing_phrases: Vec<String>,
    /// Offset of local time from UTC in minutes (China: 480).
    #[schema(example = 480)]
    pub utc_offset_minutes: i32,
}

impl PublishExtractionDictionaryRequest {
    pub const KIND: CommandKind = CommandKind::PublishExtractionDictionary;

    /// `actor` is recorded as `published_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<ConfigCommand, DtoError> {
        let dictionary = validated(
            ExtractionDictionary {
                version: self.version,
                competitors: self
                    .competitors
                    .into_iter()
                    .map(|entry| CompetitorEntry {
                        name: entry.name,
                        aliases: entry.aliases,
                    })
                    .collect(),
                concerns: self
                    .concerns
                    .into_iter()
                    .map(|entry| ConcernEntry {
                        concern: entry.concern,
                        keywords: entry.keywords,
                    })
                    .collect(),
                still_comparing_phrases: self.still_comparing_phrases,
                utc_offset_minutes: self.utc_offset_minutes,
            },
            ExtractionDictionary::validate,
        )?;
        Ok(ConfigCommand::PublishExtractionDictionary {
            dictionary,
            published_by: actor.clone(),
        })
    }
}

/// One step of a nurture template.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NurtureTemplateStepInput {
    /// What is sent.
    pub kind: NurtureStepKind,
    /// Hours after the pack starts (at most a year).
    #[schema(example = 24)]
    pub delay_hours: u32,
    /// Reference to the content (video, review, offer) in the content system.
    #[schema(example = "case-video/tier3-hospital-or")]
    pub content_ref: String,
}

/// Publishes a new nurture template (version strictly increasing).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishNurtureTemplateRequest {
    /// Version, greater than the published one.
    #[schema(example = 2)]
    pub version: u32,
    /// 1 to 20 steps.
    #[schema(min_items = 1, max_items = 20)]
    pub steps: Vec<NurtureTemplateStepInput>,
}

impl PublishNurtureTemplateRequest {
    pub const KIND: CommandKind = CommandKind::PublishNurtureTemplate;

    /// `actor` is recorded as `published_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<ConfigCommand, DtoError> {
        let template = validated(
            NurtureTemplate {
                version: self.version,
                steps: self
                    .steps
                    .into_iter()
                    .map(|step| NurtureTemplateStep {
                        kind: step.kind.into(),
                        delay_hours: step.delay_hours,
                        content_ref: step.content_ref,
                    })
                    .collect(),
            },
            NurtureTemplate::validate,
        )?;
        Ok(ConfigCommand::PublishNurtureTemplate {
            template,
            published_by: actor.clone(),
        })
    }
}

// ---------------------------------------------------------------------------
// Accounts: customer-success inputs and the health process
// ---------------------------------------------------------------------------
//
// Every account command addresses the account of the customer in the path
// (stream `account-<customer id>`); the gateway checks that the customer
// exists before it reads the body.

/// The usage counters of one day.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DailyUsageInput {
    /// The local day (`YYYY-MM-DD`), not after today.
    #[schema(example = "2027-03-15")]
    pub day: NaiveDate,
    /// Logins that day (a day with at least one login is an active day).
    #[schema(example = 37)]
    pub logins: u32,
    /// Key-feature calls that day.
    #[schema(example = 412)]
    pub key_feature_calls: u32,
}

/// Reports product usage for 1 to 31 distinct days (a periodic input; see
/// also `POST /v1/ingest/usage-reports`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportUsageRequest {
    /// 1 to 31 days with distinct dates, none after today.
    #[schema(min_items = 1, max_items = 31)]
    pub days: Vec<DailyUsageInput>,
    /// Product modules used in the period (normalised to lowercase).
    #[serde(default)]
    #[schema(example = json!(["crm", "reports"]))]
    pub modules_used: Vec<String>,
    /// The last login seen (RFC 3339), if known; not in the future.
    #[schema(example = "2027-03-15T17:42:00+08:00")]
    pub last_login_at: Option<DateTime<Utc>>,
}

impl ReportUsageRequest {
    pub const KIND: CommandKind = CommandKind::ReportUsage;

    /// `customer_id` comes from the path.
    pub fn into_command(self, customer_id: CustomerId) -> Result<AccountCommand, DtoError> {
        let modules_used = self
            .modules_used
            .iter()
            .enumerate()
            .map(|(module_idx, raw)| {
                parse_value(
                    &format!("modules_used[{module_idx}]"),
                    raw,
                    ModuleName::parse,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AccountCommand::ReportUsage {
            customer_id,
            days: self
                .days
                .into_iter()
                .map(|day| DailyUsage {
                    day: day.day,
                    logins: day.logins,
                    key_feature_calls: day.key_feature_calls,
                })
                .collect(),
            modules_used,
            last_login_at: self.last_login_at,
        })
    }
}

/// Records a support ticket being opened or resolved (one command kind,
/// two actions, told apart by `action`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecordSupportTicketRequest {
    /// A ticket was opened; its ref must be new on this account.
    Open {
        /// The ticket's number in the ticketing system: 1 to 64 of
        /// `A-Z a-z 0-9 . _ : -`.
        #[schema(example = "ZD-20270315-0042")]
        ticket_ref: String,
        /// When it was opened (RFC 3339), not in the future.
        #[schema(example = "2027-03-15T09:12:00+08:00")]
        opened_at: DateTime<Utc>,
        /// The ticket's subject, if any.
        #[schema(example = "报表导出超时")]
        subject: Option<String>,
    },
    /// An open ticket was resolved, not before it was opened.
    Resolve {
        /// The ticket's number, as when it was opened.
        #[schema(example = "ZD-20270315-0042")]
        ticket_ref: String,
        /// When it was resolved (RFC 3339), not in the future.
        #[schema(example = "2027-03-15T15:40:00+08:00")]
        resolved_at: DateTime<Utc>,
    },
}

impl RecordSupportTicketRequest {
    pub const KIND: CommandKind = CommandKind::RecordSupportTicket;

    /// `customer_id` comes from the path.
    pub fn into_command(self, customer_id: CustomerId) -> Result<AccountCommand, DtoError> {
        Ok(match self {
            RecordSupportTicketRequest::Open {
                ticket_ref,
                opened_at,
                subject,
            } => AccountCommand::OpenTicket {
                customer_id,
                ticket_ref: parse_value("ticket_ref", &ticket_ref, TicketRef::parse)?,
                opened_at,
                subject: parse_optional("subject", subject.as_deref(), Text::parse)?,
            },
            RecordSupportTicketRequest::Resolve {
                ticket_ref,
                resolved_at,
            } => AccountCommand::ResolveTicket {
                customer_id,
                ticket_ref: parse_value("ticket_ref", &ticket_ref, TicketRef::parse)?,
                resolved_at,
            },
        })
    }
}

/// Sets (replaces) the customer's renewal date and plan.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRenewalRequest {
    /// The day the subscription renews (`YYYY-MM-DD`).
    #[schema(example = "2027-09-30")]
    pub renewal_on: NaiveDate,
    /// The plan: 1 to 32 characters, normalised to lowercase (`basic`,
    /// `standard`, `enterprise`, ...).
    #[schema(example = "enterprise")]
    #[schema(min_length = 1, max_length = 32)]
    pub plan: String,
}

impl SetRenewalRequest {
    pub const KIND: CommandKind = CommandKind::SetRenewal;

    /// `customer_id` comes from the path.
    pub fn into_command(self, customer_id: CustomerId) -> Result<AccountCommand, DtoError> {
        Ok(AccountCommand::SetRenewal {
            customer_id,
            renewal_on: self.renewal_on,
            plan: parse_value("plan", &self.plan, PlanName::parse)?,
        })
    }
}

/// Records a success reference (case study, reference call) for the customer.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordSuccessReferenceRequest {
    /// The reference's id, new on this account: 1 to 64 of
    /// `A-Z a-z 0-9 . _ : -`.
    #[schema(example = "CASE-2027-017")]
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,64}$")]
    pub reference_ref: String,
    /// Its title.
    #[schema(example = "瑞康医疗：设备运维工单时效提升 40%")]
    pub title: String,
    /// The day it was given (`YYYY-MM-DD`), not after today.
    #[schema(example = "2027-03-10")]
    pub referenced_on: NaiveDate,
}

impl RecordSuccessReferenceRequest {
    pub const KIND: CommandKind = CommandKind::RecordSuccessReference;

    /// `customer_id` comes from the path.
    pub fn into_command(self, customer_id: CustomerId) -> Result<AccountCommand, DtoError> {
        Ok(AccountCommand::RecordSuccessReference {
            customer_id,
            reference_ref: parse_value("reference_ref", &self.reference_ref, ReferenceRef::parse)?,
            title: parse_value("title", &self.title, Text::parse)?,
            referenced_on: self.referenced_on,
        })
    }
}

/// How often the customer searched a (competitor) keyword on a day.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeywordSearchInput {
    /// The keyword, 1 to 64 characters (normalised to lowercase).
    #[schema(example = "西门子")]
    #[schema(min_length = 1, max_length = 64)]
    pub keyword: String,
    /// The day (`YYYY-MM-DD`), not after today.
    #[schema(example = "2027-03-14")]
    pub searched_on: NaiveDate,
    /// How many searches, at least 1.
    #[schema(example = 3)]
    pub count: u32,
}

/// Records competitor keyword searches by the customer (a periodic input;
/// see also `POST /v1/ingest/keyword-searches`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordKeywordSearchesRequest {
    /// 1 to 100 searches.
    #[schema(min_items = 1, max_items = 100)]
    pub searches: Vec<KeywordSearchInput>,
}

impl RecordKeywordSearchesRequest {
    pub const KIND: CommandKind = CommandKind::RecordKeywordSearches;

    /// `customer_id` comes from the path.
    pub fn into_command(self, customer_id: CustomerId) -> Result<AccountCommand, DtoError> {
        let searches = self
            .searches
            .into_iter()
            .enumerate()
            .map(|(search_idx, search)| {
                Ok(KeywordSearch {
                    keyword: parse_value(
                        &format!("searches[{search_idx}].keyword"),
                        &search.keyword,
                        Keyword::parse,
                    )?,
                    searched_on: search.searched_on,
                    count: search.count,
                })
            })
            .collect::<Result<Vec<_>, DtoError>>()?;
        Ok(AccountCommand::RecordKeywordSearches {
            customer_id,
            searches,
        })
    }
}

/// A CSM completes a call-back task (the task is in the path); met when
/// completed by its due time.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteCallbackRequest {
    /// What was agreed on the call, if anything.
    #[schema(example = "客户确认下周安排关键用户培训")]
    pub note: Option<String>,
}

impl CompleteCallbackRequest {
    pub const KIND: CommandKind = CommandKind::CompleteCallback;

    /// `customer_id` and `task_id` come from the path; `actor` is recorded
    /// as `completed_by`.
    pub fn into_command(
        self,
        customer_id: CustomerId,
        task_id: CallbackTaskId,
        actor: &ActorId,
    ) -> Result<AccountCommand, DtoError> {
        Ok(AccountCommand::CompleteCallback {
            customer_id,
            task_id,
            note: parse_optional("note", self.note.as_deref(), Text::parse)?,
            completed_by: actor.clone(),
        })
    }
}

/// Submits a rescue plan for a customer whose renewal quoting is frozen.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRescuePlanRequest {
    /// Optional client-chosen id of the plan; the gateway uses it when
    /// present and generates a UUIDv7 otherwise. The id is in the answer's
    /// `RescuePlanSubmitted` event; approve it at
    /// `/v1/customers/{customer_id}/rescue-plans/{plan_id}/approval`.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-8899aabbccdd")]
    pub plan_id: Option<Uuid>,
    /// What will be done.
    #[schema(example = "两周内完成关键用户培训，CTO 牵头处理报表性能问题")]
    pub summary: String,
}

impl SubmitRescuePlanRequest {
    pub const KIND: CommandKind = CommandKind::SubmitRescuePlan;

    /// The client-chosen id, if any.
    pub fn requested_id(&self) -> Option<Uuid> {
        self.plan_id
    }

    /// `customer_id` comes from the path, `plan_id` is the requested or a
    /// generated id; `actor` is recorded as `submitted_by`.
    pub fn into_command(
        self,
        customer_id: CustomerId,
        plan_id: RescuePlanId,
        actor: &ActorId,
    ) -> Result<AccountCommand, DtoError> {
        Ok(AccountCommand::SubmitRescuePlan {
            customer_id,
            plan_id,
            summary: parse_value("summary", &self.summary, Text::parse)?,
            submitted_by: actor.clone(),
        })
    }
}

/// The CTO approves a submitted rescue plan (the plan is in the path);
/// renewal quoting is unfrozen. The body is `{}` (or empty).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRescuePlanRequest {}

impl ApproveRescuePlanRequest {
    pub const KIND: CommandKind = CommandKind::ApproveRescuePlan;

    /// `customer_id` and `plan_id` come from the path; `actor` is recorded
    /// as `approved_by`.
    pub fn into_command(
        self,
        customer_id: CustomerId,
        plan_id: RescuePlanId,
        actor: &ActorId,
    ) -> Result<AccountCommand, DtoError> {
        Ok(AccountCommand::ApproveRescuePlan {
            customer_id,
            plan_id,
            approved_by: actor.clone(),
        })
    }
}

/// Quotes the customer's renewal; refused (`renewal_quoting_frozen`) while
/// the customer's renewal quoting is frozen.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRenewalRequest {
    /// Optional client-chosen id of the quote; generated when absent.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-99aabbccddee")]
    pub quote_id: Option<Uuid>,
    /// The amount in fen (0.01 CNY): 1 to 10^13 (100 billion CNY).
    #[schema(example = 38_000_000, minimum = 1, maximum = 10_000_000_000_000.0)]
    pub amount_fen: u64,
    /// Last day the quote is valid (`YYYY-MM-DD`), not before today.
    #[schema(example = "2027-04-30")]
    pub valid_until: NaiveDate,
}

impl QuoteRenewalRequest {
    pub const KIND: CommandKind = CommandKind::QuoteRenewal;

    /// The client-chosen id, if any.
    pub fn requested_id(&self) -> Option<Uuid> {
        self.quote_id
    }

    /// `customer_id` comes from the path, `quote_id` is the requested or a
    /// generated id; `actor` is recorded as `quoted_by`.
    pub fn into_command(
        self,
        customer_id: CustomerId,
        quote_id: QuoteId,
        actor: &ActorId,
    ) -> Result<AccountCommand, DtoError> {
        Ok(AccountCommand::QuoteRenewal {
            customer_id,
            quote_id,
            amount_fen: parse_amount("amount_fen", self.amount_fen)?,
            valid_until: self.valid_until,
            quoted_by: actor.clone(),
        })
    }
}

// ---------------------------------------------------------------------------
// Contracts and receivables
// ---------------------------------------------------------------------------

/// A payment term.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstalmentInput {
    /// Due day (`YYYY-MM-DD`), not before the signing day nor the previous
    /// instalment's.
    #[schema(example = "2027-06-30")]
    pub due_on: NaiveDate,
    /// Amount in fen (0.01 CNY): 1 to 10^13 (100 billion CNY).
    #[schema(example = 12_000_000, minimum = 1, maximum = 10_000_000_000_000.0)]
    pub amount_fen: u64,
}

/// Records a signed contract with its payment terms.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignContractRequest {
    /// Optional client-chosen id of the new contract; the gateway uses it
    /// when present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccdd0001")]
    pub contract_id: Option<Uuid>,
    /// The customer (must exist).
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccddeeff")]
    pub customer_id: Uuid,
    /// The rep credited with the contract (a rep may only sign as itself).
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Uuid,
    /// The signing day (`YYYY-MM-DD`).
    #[schema(example = "2027-03-15")]
    pub signed_on: NaiveDate,
    /// 1 to 60 instalments, in due order.
    #[schema(min_items = 1, max_items = 60)]
    pub instalments: Vec<InstalmentInput>,
}

impl SignContractRequest {
    pub const KIND: CommandKind = CommandKind::SignContract;

    /// The client-chosen id, if any.
    pub fn requested_id(&self) -> Option<Uuid> {
        self.contract_id
    }

    pub fn into_command(self, contract_id: ContractId) -> Result<ContractCommand, DtoError> {
        Ok(ContractCommand::SignContract {
            contract_id,
            customer_id: CustomerId::from_uuid(self.customer_id),
            rep_id: RepId::from_uuid(self.rep_id),
            signed_on: self.signed_on,
            instalments: self
                .instalments
                .into_iter()
                .enumerate()
                .map(|(index, term)| {
                    Ok(InstalmentTerm {
                        due_on: term.due_on,
                        amount_fen: parse_amount(
                            &format!("instalments[{index}].amount_fen"),
                            term.amount_fen,
                        )?,
                    })
                })
                .collect::<Result<_, DtoError>>()?,
        })
    }
}

/// Records a payment received on a contract (allocated to the oldest
/// instalment first; a periodic input, see also `POST /v1/ingest/payments`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordPaymentRequest {
    /// The bank transaction or receipt number, new on this contract: 1 to
    /// 64 of `A-Z a-z 0-9 . _ : -`.
    #[schema(example = "ICBC-20270331-778812")]
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,64}$")]
    pub payment_ref: String,
    /// Amount in fen (0.01 CNY): 1 to 10^13 (100 billion CNY) and at most
    /// what is outstanding.
    #[schema(example = 12_000_000, minimum = 1, maximum = 10_000_000_000_000.0)]
    pub amount_fen: u64,
    /// The day the money arrived (`YYYY-MM-DD`).
    #[schema(example = "2027-03-31")]
    pub received_on: NaiveDate,
}

impl RecordPaymentRequest {
    pub const KIND: CommandKind = CommandKind::RecordPayment;

    pub fn into_command(self) -> Result<ContractCommand, DtoError> {
        Ok(ContractCommand::RecordPayment {
            payment_ref: parse_value("payment_ref", &self.payment_ref, PaymentRef::parse)?,
            amount_fen: parse_amount("amount_fen", self.amount_fen)?,
            received_on: self.received_on,
        })
    }
}

// ---------------------------------------------------------------------------
// Process assets and the funnel
// ---------------------------------------------------------------------------

/// What kind of process asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcessAssetKind {
    Solution,
    ObjectionAnswer,
    WonDealAction,
}

impl From<ProcessAssetKind> for asset::ProcessAssetKind {
    fn from(kind: ProcessAssetKind) -> Self {
        match kind {
            ProcessAssetKind::Solution => asset::ProcessAssetKind::Solution,
            ProcessAssetKind::ObjectionAnswer => asset::ProcessAssetKind::ObjectionAnswer,
            ProcessAssetKind::WonDealAction => asset::ProcessAssetKind::WonDealAction,
        }
    }
}

/// A rep records a process asset (a solution, an objection answer, a key
/// won-deal action) for a customer.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordProcessAssetRequest {
    /// Optional client-chosen id of the new asset; the gateway uses it when
    /// present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccdd0002")]
    pub asset_id: Option<Uuid>,
    /// The customer (must exist).
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccddeeff")]
    pub customer_id: Uuid,
    /// The rep who authored it (a rep may only record its own).
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Uuid,
    /// What kind of asset.
    pub kind: ProcessAssetKind,
    /// Its title.
    #[schema(example = "三甲医院 HIS 对接方案（HL7 v2）")]
    pub title: String,
}

impl RecordProcessAssetRequest {
    pub const KIND: CommandKind = CommandKind::RecordProcessAsset;

    /// The client-chosen id, if any.
    pub fn requested_id(&self) -> Option<Uuid> {
        self.asset_id
    }

    pub fn into_command(self, asset_id: AssetId) -> Result<ProcessAssetCommand, DtoError> {
        Ok(ProcessAssetCommand::RecordProcessAsset {
            asset_id,
            customer_id: CustomerId::from_uuid(self.customer_id),
            rep_id: RepId::from_uuid(self.rep_id),
            kind: self.kind.into(),
            title: parse_value("title", &self.title, Text::parse)?,
        })
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
    pub const KIND: CommandKind = CommandKind::AdvanceLeadStage;

    /// `actor` is recorded as `advanced_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<LeadCommand, DtoError> {
        Ok(LeadCommand::AdvanceStage {
            stage: self.stage.into(),
            reason: parse_optional("reason", self.reason.as_deref(), Text::parse)?,
            advanced_by: actor.clone(),
        })
    }
}

// ---------------------------------------------------------------------------
// Health configuration
// ---------------------------------------------------------------------------

/// Indicator weights in percent; they sum to 100.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthWeightsInput {
    /// Active days in the last 30 days.
    #[schema(example = 30)]
    pub usage: u32,
    /// Key-feature calls in the last 30 days.
    #[schema(example = 25)]
    pub key_features: u32,
    /// Mean ticket resolution time (last 90 days).
    #[schema(example = 20)]
    pub ticket_resolution: u32,
    /// Days to renewal.
    #[schema(example = 15)]
    pub renewal: u32,
    /// Success references in the last 365 days.
    #[schema(example = 10)]
    pub success_references: u32,
}

/// The targets each raw value is normalised against (every one > 0).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthTargetsInput {
    /// Active days in the last 30 days for a full usage score.
    #[schema(example = 20)]
    pub active_days_30: u32,
    /// Key-feature calls in the last 30 days, for a plan not listed below.
    #[schema(example = 200)]
    pub key_feature_calls_30_default: u32,
    /// Key-feature calls in the last 30 days per plan (lowercase plan names).
    #[serde(default)]
    #[schema(example = json!({"basic": 100, "standard": 200, "enterprise": 500}))]
    pub key_feature_calls_30_by_plan: BTreeMap<String, u32>,
    /// The support SLA in hours.
    #[schema(example = 24)]
    pub ticket_sla_hours: u32,
    /// Days until renewal for a full renewal score.
    #[schema(example = 180)]
    pub renewal_days: u32,
    /// Success references in the last 365 days for a full score.
    #[schema(example = 2)]
    pub success_references_12m: u32,
}

/// A kind of risk on the morning risk list.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskKind {
    LowUsage,
    LowModuleUsage,
    OverdueTickets,
    RenewalDue,
    CompetitorInterest,
    LowKeyFeatureUse,
}

impl From<RiskKind> for health::RiskKind {
    fn from(kind: RiskKind) -> Self {
        match kind {
            RiskKind::LowUsage => health::RiskKind::LowUsage,
            RiskKind::LowModuleUsage => health::RiskKind::LowModuleUsage,
            RiskKind::OverdueTickets => health::RiskKind::OverdueTickets,
            RiskKind::RenewalDue => health::RiskKind::RenewalDue,
            RiskKind::CompetitorInterest => health::RiskKind::CompetitorInterest,
            RiskKind::LowKeyFeatureUse => health::RiskKind::LowKeyFeatureUse,
        }
    }
}

/// Publishes a new health policy (version strictly increasing): weights,
/// targets, level thresholds, the call-back due time, core modules and the
/// risk scripts. It applies from the next day close on.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishHealthPolicyRequest {
    /// Version, greater than the one in force (the default policy is 1).
    #[schema(example = 2)]
    pub version: u32,
    /// Indicator weights in percent, summing to 100.
    pub weights: HealthWeightsInput,
    /// Normalisation targets.
    pub targets: HealthTargetsInput,
    /// Green from this score (basis points, at most 10000).
    #[schema(example = 8500)]
    #[schema(maximum = 10000)]
    pub green_at_bp: u32,
    /// Yellow from this score (below `green_at_bp`); red below it.
    #[schema(example = 7000)]
    pub yellow_at_bp: u32,
    /// Hours from the day close to a call-back task's due time.
    #[schema(example = 48)]
    pub callback_due_hours: u32,
    /// Core module names: sorted, unique, lowercase.
    #[schema(example = json!(["api", "crm", "mobile", "reports", "workflow"]))]
    pub core_modules: Vec<String>,
    /// An open ticket older than this many hours is overdue.
    #[schema(example = 72)]
    pub ticket_overdue_hours: u32,
    /// One non-empty script (template text) per risk kind.
    #[schema(example = json!({"low_usage": "约客户做一次 15 分钟的使用回顾", "low_module_usage": "发送模块激活指南", "overdue_tickets": "走技术支持快速通道", "renewal_due": "确认续约意向与预算", "competitor_interest": "安排一次价值复盘", "low_key_feature_use": "演示关键功能的业务收益"}))]
    pub risk_scripts: BTreeMap<RiskKind, String>,
}

impl PublishHealthPolicyRequest {
    pub const KIND: CommandKind = CommandKind::PublishHealthPolicy;

    /// `actor` is recorded as `published_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<ConfigCommand, DtoError> {
        let policy = validated(
            HealthPolicy {
                version: self.version,
                weights: HealthWeights {
                    usage: self.weights.usage,
                    key_features: self.weights.key_features,
                    ticket_resolution: self.weights.ticket_resolution,
                    renewal: self.weights.renewal,
                    success_references: self.weights.success_references,
                },
                targets: HealthTargets {
                    active_days_30: self.targets.active_days_30,
                    key_feature_calls_30_default: self.targets.key_feature_calls_30_default,
                    key_feature_calls_30_by_plan: self.targets.key_feature_calls_30_by_plan,
                    ticket_sla_hours: self.targets.ticket_sla_hours,
                    renewal_days: self.targets.renewal_days,
                    success_references_12m: self.targets.success_references_12m,
                },
                green_at_bp: self.green_at_bp,
                yellow_at_bp: self.yellow_at_bp,
                callback_due_hours: self.callback_due_hours,
                core_modules: self.core_modules,
                ticket_overdue_hours: self.ticket_overdue_hours,
                risk_scripts: self
                    .risk_scripts
                    .into_iter()
                    .map(|(kind, script)| (kind.into(), script))
                    .collect(),
            },
            HealthPolicy::validate,
        )?;
        Ok(ConfigCommand::PublishHealthPolicy {
            policy,
            published_by: actor.clone(),
        })
    }
}

// ---------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------

/// Every command route: (method, path, command kind, request schema name).
///
/// Path parameters: `{rep_id}`, `{customer_id}`, `{lead_id}`, `{visit_id}`,
/// `{todo_id}`, `{pack_id}`, `{proposal_id}`, `{contract_id}`, `{task_id}`
/// (a call-back task), `{plan_id}` (a rescue plan) are UUIDs; `{date}` is a
/// `YYYY-MM-DD` local day. `PUT` marks a full replacement (capability tags,
/// attributes, the renewal date); every other command is a `POST`.
///
/// One route per command kind: `RecordSupportTicket` covers both opening
/// and resolving a ticket, told apart by the body's `action`. The bulk
/// ingestion routes (`/v1/ingest/...`) are not command kinds of their own:
/// each item runs as the single route's command (see `gateway::ingest`).
pub const ALL_COMMAND_ROUTES: &[(&str, &str, CommandKind, &str)] = &[
    (
        "POST",
        "/v1/reps",
        CommandKind::RegisterRep,
        "RegisterRepRequest",
    ),
    (
        "PUT",
        "/v1/reps/{rep_id}/capabilities",
        CommandKind::ChangeRepCapabilities,
        "ChangeRepCapabilitiesRequest",
    ),
    (
        "POST",
        "/v1/reps/{rep_id}/deactivation",
        CommandKind::DeactivateRep,
        "DeactivateRepRequest",
    ),
    (
        "POST",
        "/v1/customers",
        CommandKind::RegisterCustomer,
        "RegisterCustomerRequest",
    ),
    (
        "PUT",
        "/v1/customers/{customer_id}/attributes",
        CommandKind::SetCustomerAttributes,
        "SetCustomerAttributesRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/claim",
        CommandKind::ClaimCustomer,
        "ClaimCustomerRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/transfer",
        CommandKind::TransferCustomer,
        "TransferCustomerRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/release",
        CommandKind::ReleaseCustomer,
        "ReleaseCustomerRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/recall",
        CommandKind::RecallCustomerToPool,
        "RecallCustomerToPoolRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/follow-ups",
        CommandKind::RecordFollowUp,
        "RecordFollowUpRequest",
    ),
    (
        "POST",
        "/v1/days/{date}/close",
        CommandKind::CloseDay,
        "CloseDayRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/tracking-consent",
        CommandKind::RecordTrackingConsent,
        "RecordTrackingConsentRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/tracking-consent/withdrawal",
        CommandKind::WithdrawTrackingConsent,
        "WithdrawTrackingConsentRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/stance",
        CommandKind::RecordCustomerStance,
        "RecordCustomerStanceRequest",
    ),
    (
        "POST",
        "/v1/leads",
        CommandKind::RegisterLead,
        "RegisterLeadRequest",
    ),
    (
        "POST",
        "/v1/leads/{lead_id}/budget-confirmation",
        CommandKind::ConfirmLeadBudget,
        "ConfirmLeadBudgetRequest",
    ),
    (
        "POST",
        "/v1/leads/{lead_id}/technical-fit-confirmation",
        CommandKind::ConfirmLeadTechnicalFit,
        "ConfirmLeadTechnicalFitRequest",
    ),
    (
        "POST",
        "/v1/leads/{lead_id}/routing-proposals",
        CommandKind::ProposeRouting,
        "ProposeRoutingRequest",
    ),
    (
        "POST",
        "/v1/leads/{lead_id}/routing-confirmation",
        CommandKind::ConfirmRouting,
        "ConfirmRoutingRequest",
    ),
    (
        "POST",
        "/v1/visits",
        CommandKind::LogVisit,
        "LogVisitRequest",
    ),
    (
        "POST",
        "/v1/visits/{visit_id}/extraction-confirmation",
        CommandKind::ConfirmVisitExtraction,
        "ConfirmVisitExtractionRequest",
    ),
    (
        "POST",
        "/v1/visits/{visit_id}/todos/{todo_id}/completion",
        CommandKind::CompleteTodo,
        "CompleteTodoRequest",
    ),
    (
        "POST",
        "/v1/nurture-packs",
        CommandKind::StartNurturePack,
        "StartNurturePackRequest",
    ),
    (
        "POST",
        "/v1/nurture-packs/{pack_id}/sent-steps",
        CommandKind::RecordNurtureStepSent,
        "RecordNurtureStepSentRequest",
    ),
    (
        "POST",
        "/v1/nurture-packs/{pack_id}/responses",
        CommandKind::RecordNurtureResponse,
        "RecordNurtureResponseRequest",
    ),
    (
        "POST",
        "/v1/nurture-packs/{pack_id}/close",
        CommandKind::CloseNurturePack,
        "CloseNurturePackRequest",
    ),
    (
        "POST",
        "/v1/proposals",
        CommandKind::CreateProposal,
        "CreateProposalRequest",
    ),
    (
        "POST",
        "/v1/proposals/{proposal_id}/pdf",
        CommandKind::RecordProposalPdf,
        "RecordProposalPdfRequest",
    ),
    (
        "POST",
        "/v1/proposals/{proposal_id}/email-receipts",
        CommandKind::RecordEmailDeliveryReceipt,
        "RecordEmailDeliveryReceiptRequest",
    ),
    (
        "POST",
        "/v1/proposals/{proposal_id}/link-opens",
        CommandKind::RecordLinkOpened,
        "RecordLinkOpenedRequest",
    ),
    (
        "POST",
        "/v1/config/routing-rules",
        CommandKind::PublishRoutingRules,
        "PublishRoutingRulesRequest",
    ),
    (
        "POST",
        "/v1/config/pool-policy",
        CommandKind::PublishPoolPolicy,
        "PublishPoolPolicyRequest",
    ),
    (
        "POST",
        "/v1/config/extraction-dictionary",
        CommandKind::PublishExtractionDictionary,
        "PublishExtractionDictionaryRequest",
    ),
    (
        "POST",
        "/v1/config/nurture-template",
        CommandKind::PublishNurtureTemplate,
        "PublishNurtureTemplateRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/usage-reports",
        CommandKind::ReportUsage,
        "ReportUsageRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/support-tickets",
        CommandKind::RecordSupportTicket,
        "RecordSupportTicketRequest",
    ),
    (
        "PUT",
        "/v1/customers/{customer_id}/renewal",
        CommandKind::SetRenewal,
        "SetRenewalRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/success-references",
        CommandKind::RecordSuccessReference,
        "RecordSuccessReferenceRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/keyword-searches",
        CommandKind::RecordKeywordSearches,
        "RecordKeywordSearchesRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/callbacks/{task_id}/completion",
        CommandKind::CompleteCallback,
        "CompleteCallbackRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/rescue-plans",
        CommandKind::SubmitRescuePlan,
        "SubmitRescuePlanRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/rescue-plans/{plan_id}/approval",
        CommandKind::ApproveRescuePlan,
        "ApproveRescuePlanRequest",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/renewal-quotes",
        CommandKind::QuoteRenewal,
        "QuoteRenewalRequest",
    ),
    (
        "POST",
        "/v1/contracts",
        CommandKind::SignContract,
        "SignContractRequest",
    ),
    (
        "POST",
        "/v1/contracts/{contract_id}/payments",
        CommandKind::RecordPayment,
        "RecordPaymentRequest",
    ),
    (
        "POST",
        "/v1/process-assets",
        CommandKind::RecordProcessAsset,
        "RecordProcessAssetRequest",
    ),
    (
        "POST",
        "/v1/leads/{lead_id}/stage",
        CommandKind::AdvanceLeadStage,
        "AdvanceLeadStageRequest",
    ),
    (
        "POST",
        "/v1/config/health-policy",
        CommandKind::PublishHealthPolicy,
        "PublishHealthPolicyRequest",
    ),
    (
        "POST",
        "/v1/stores",
        CommandKind::OpenStore,
        "OpenStoreRequest",
    ),
    (
        "POST",
        "/v1/skus",
        CommandKind::RegisterSku,
        "RegisterSkuRequest",
    ),
    (
        "POST",
        "/v1/members",
        CommandKind::EnrollMember,
        "EnrollMemberRequest",
    ),
    (
        "POST",
        "/v1/promotions",
        CommandKind::LaunchPromotion,
        "LaunchPromotionRequest",
    ),
    (
        "PUT",
        "/v1/config/retail-policy",
        CommandKind::PublishRetailPolicy,
        "PublishRetailPolicyRequest",
    ),
];

// ---------------------------------------------------------------------------
// Chain stores (SPEC C13, docs/design/chain-stores.md). `RecordPosSales`
// is the NDJSON route `POST /v1/pos/sales` (gateway::stores), not a JSON
// command route.
// ---------------------------------------------------------------------------

/// How a store is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StoreFormat {
    Direct,
    Franchised,
}

impl From<StoreFormat> for retail::StoreFormat {
    fn from(format: StoreFormat) -> Self {
        match format {
            StoreFormat::Direct => retail::StoreFormat::Direct,
            StoreFormat::Franchised => retail::StoreFormat::Franchised,
        }
    }
}

/// Headquarters opens (or takes into the system) a store in a region.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenStoreRequest {
    /// The store's code (1 to 64 of `A-Z a-z 0-9 . _ : -`), unique.
    #[schema(example = "S0001")]
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,64}$")]
    pub store: String,
    /// Its name.
    #[schema(example = "人民路店")]
    pub name: String,
    /// Its region.
    #[schema(example = "east")]
    pub region: String,
    /// Direct or franchised.
    pub format: StoreFormat,
    /// When it opened.
    #[schema(example = "2025-01-15")]
    pub opened_on: NaiveDate,
}

impl OpenStoreRequest {
    pub const KIND: CommandKind = CommandKind::OpenStore;

    pub fn into_command(self) -> Result<RetailCommand, DtoError> {
        Ok(RetailCommand::OpenStore(retail::OpenStore {
            store: parse_value("store", &self.store, StoreCode::parse)?,
            name: parse_value("name", &self.name, Text::parse)?,
            region: parse_value("region", &self.region, Region::parse)?,
            format: self.format.into(),
            opened_on: self.opened_on,
        }))
    }
}

/// A SKU enters the catalogue with its category.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterSkuRequest {
    /// The SKU's code (1 to 64 of `A-Z a-z 0-9 . _ : -`), unique.
    #[schema(example = "SKU-0042")]
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,64}$")]
    pub sku: String,
    /// Its name.
    #[schema(example = "燕麦拿铁")]
    pub name: String,
    /// Its category.
    #[schema(example = "drinks")]
    pub category: String,
    /// A new product (the subject of promotions).
    pub new_product: bool,
}

impl RegisterSkuRequest {
    pub const KIND: CommandKind = CommandKind::RegisterSku;

    pub fn into_command(self) -> Result<RetailCommand, DtoError> {
        Ok(RetailCommand::RegisterSku(retail::RegisterSku {
            sku: parse_value("sku", &self.sku, SkuCode::parse)?,
            name: parse_value("name", &self.name, Text::parse)?,
            category: parse_value("category", &self.category, Text::parse)?,
            new_product: self.new_product,
        }))
    }
}

/// A loyalty member enrols at a home store (which must exist).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollMemberRequest {
    /// The member's card number (1 to 64 of `A-Z a-z 0-9 . _ : -`), unique.
    #[schema(example = "M000123")]
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,64}$")]
    pub member: String,
    /// The home store's code (must exist: `422 unknown_store`).
    #[schema(example = "S0001")]
    pub home_store: String,
    /// How the member is addressed.
    #[schema(example = "王芳")]
    pub display_name: String,
    /// When the member enrolled.
    #[schema(example = "2026-02-01")]
    pub enrolled_on: NaiveDate,
}

impl EnrollMemberRequest {
    pub const KIND: CommandKind = CommandKind::EnrollMember;

    /// `home_store_known`: whether the catalogue knows the home store.
    pub fn into_command(self, home_store_known: bool) -> Result<RetailCommand, DtoError> {
        Ok(RetailCommand::EnrollMember(retail::EnrollMember {
            member: parse_value("member", &self.member, MemberRef::parse)?,
            home_store: parse_value("home_store", &self.home_store, StoreCode::parse)?,
            display_name: parse_value("display_name", &self.display_name, Text::parse)?,
            enrolled_on: self.enrolled_on,
            home_store_known,
        }))
    }
}

/// Headquarters launches a promotion of a product in some regions, dates
/// inclusive; answers the `promotion_id`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchPromotionRequest {
    /// Optional client-chosen id of the promotion; the gateway uses it when
    /// present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccdd0003")]
    pub promotion_id: Option<Uuid>,
    /// The promoted SKU (must exist: `422 unknown_sku`).
    #[schema(example = "SKU-NEW-1")]
    pub sku: String,
    /// The promotion's name.
    #[schema(example = "燕麦拿铁上市")]
    pub name: String,
    /// Target regions (at least one; each must have a store:
    /// `422 region_without_stores`).
    #[schema(example = json!(["east"]))]
    pub regions: Vec<String>,
    /// First day (store-local), inclusive.
    #[schema(example = "2026-06-01")]
    pub starts_on: NaiveDate,
    /// Last day (store-local), inclusive; not before `starts_on`.
    #[schema(example = "2026-08-31")]
    pub ends_on: NaiveDate,
}

impl LaunchPromotionRequest {
    pub const KIND: CommandKind = CommandKind::LaunchPromotion;

    /// The client-chosen id, if any.
    pub fn requested_id(&self) -> Option<Uuid> {
        self.promotion_id
    }

    /// `catalogue`: the known SKUs and the regions with a store.
    pub fn into_command(
        self,
        promotion_id: PromotionId,
        launched_by: &ActorId,
        catalogue: &retail::Catalogue,
    ) -> Result<RetailCommand, DtoError> {
        let sku = parse_value("sku", &self.sku, SkuCode::parse)?;
        let mut regions = Vec::with_capacity(self.regions.len());
        for (idx, raw) in self.regions.iter().enumerate() {
            regions.push(parse_value(&format!("regions[{idx}]"), raw, Region::parse)?);
        }
        Ok(RetailCommand::LaunchPromotion(retail::LaunchPromotion {
            promotion_id,
            sku_known: catalogue.has_sku(sku.as_str()),
            sku,
            name: parse_value("name", &self.name, Text::parse)?,
            regions,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            launched_by: launched_by.clone(),
            store_regions: catalogue.store_regions(),
        }))
    }
}

/// Publishes the retail policy: the high-potential threshold, its window
/// and the suggested script (versions strictly increase).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRetailPolicyRequest {
    /// Strictly greater than the last published version (from 1).
    #[schema(example = 1)]
    pub version: u32,
    /// A store is high potential when its average ticket over the window
    /// exceeds this (cents; default 8,500).
    #[schema(example = 8500)]
    pub high_potential_avg_ticket_cents: u64,
    /// The window in days, ending at the store's latest sale day (1 to 1,100; default 90).
    #[schema(example = 90)]
    #[schema(minimum = 1, maximum = 1100)]
    pub window_days: u32,
    /// The script, with placeholders `{member}`, `{store}`, `{slot}`, `{categories}`.
    #[schema(example = "Hello {member}, thank you for shopping at {store}.")]
    pub script_template: String,
}

impl PublishRetailPolicyRequest {
    pub const KIND: CommandKind = CommandKind::PublishRetailPolicy;

    pub fn into_command(self, published_by: &ActorId) -> Result<RetailCommand, DtoError> {
        Ok(RetailCommand::PublishRetailPolicy(
            retail::PublishRetailPolicy {
                version: self.version,
                high_potential_avg_ticket_cents: self.high_potential_avg_ticket_cents,
                window_days: self.window_days,
                script_template: parse_value(
                    "script_template",
                    &self.script_template,
                    Text::parse,
                )?,
                published_by: published_by.clone(),
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    //! Data-driven: one dispatcher (`convert`) turns (schema name, body) into
    //! a command with fixed server-side inputs; tables of bodies then assert
    //! on the commands or on the error code and JSON path.

    use super::*;
    use salesledger_domain::duplicate::DuplicateIndex;
    use serde_json::json;

    const REP: &str = "0192f0a4-5b6c-7d8e-9f00-000000000001";
    const REP_2: &str = "0192f0a4-5b6c-7d8e-9f00-000000000002";
    const CUSTOMER: &str = "0192f0a4-5b6c-7d8e-9f00-0000000000c1";
    const VISIT: &str = "0192f0a4-5b6c-7d8e-9f00-0000000000a1";
    const TODO: &str = "0192f0a4-5b6c-7d8e-9f00-0000000000d1";
    const PATH_ID: u128 = 0x0192_f0a4_5b6c_7d8e_9f00_0000_0000_ffff;
    const MINTED_TODO: u128 = 0x0192_f0a4_5b6c_7d8e_9f00_0000_0000_eeee;
    const SHA: &str = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";

    fn uuid(raw: &str) -> Uuid {
        Uuid::parse_str(raw).expect("test uuid")
    }

    fn actor() -> ActorId {
        ActorId::parse("zhang.wei").expect("test actor")
    }

    fn time(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("test time")
            .with_timezone(&Utc)
    }

    fn date(iso: &str) -> NaiveDate {
        NaiveDate::parse_from_str(iso, "%Y-%m-%d").expect("test date")
    }

    fn rule_set() -> RoutingRuleSet {
        let request: PublishRoutingRulesRequest = parse_body(
            json!({
                "version": 7,
                "rules": [{"tag": "iso13485", "attribute_key": "compliance", "attribute_value_contains": "ISO13485", "weight": 40}],
                "direct_tag_match_weight": 10, "region_match_weight": 5, "minimum_score": 1, "candidate_count": 3
            })
            .to_string()
            .as_bytes(),
        )
        .expect("fixture rule set decodes");
        match request
            .into_command(&actor())
            .expect("fixture rule set is valid")
        {
            ConfigCommand::PublishRoutingRules { rule_set, .. } => rule_set,
            other => panic!("unexpected {other:?}"),
        }
    }

    fn customer() -> CustomerId {
        CustomerId::from_uuid(uuid(CUSTOMER))
    }

    fn health_policy_body(version: u32) -> serde_json::Value {
        json!({
            "version": version,
            "weights": {"usage": 30, "key_features": 25, "ticket_resolution": 20, "renewal": 15, "success_references": 10},
            "targets": {
                "active_days_30": 20, "key_feature_calls_30_default": 200,
                "key_feature_calls_30_by_plan": {"basic": 100, "standard": 200, "enterprise": 500},
                "ticket_sla_hours": 24, "renewal_days": 180, "success_references_12m": 2
            },
            "green_at_bp": 8500, "yellow_at_bp": 7000, "callback_due_hours": 48,
            "core_modules": ["api", "crm", "mobile", "reports", "workflow"],
            "ticket_overdue_hours": 72,
            "risk_scripts": {
                "low_usage": "约客户做一次使用回顾", "low_module_usage": "发送模块激活指南",
                "overdue_tickets": "走技术支持快速通道", "renewal_due": "确认续约意向",
                "competitor_interest": "安排价值复盘", "low_key_feature_use": "演示关键功能"
            }
        })
    }

    fn dictionary() -> ExtractionDictionary {
        ExtractionDictionary {
            version: 1,
            competitors: vec![CompetitorEntry {
                name: "Siemens".to_owned(),
                aliases: vec!["西门子".to_owned()],
            }],
            concerns: Vec::new(),
            still_comparing_phrases: vec!["还在比较".to_owned()],
            utc_offset_minutes: 480,
        }
    }

    /// Any aggregate's command.
    #[derive(Debug)]
    enum AnyCommand {
        Rep(RepCommand),
        Customer(CustomerCommand),
        Lead(LeadCommand),
        Visit(VisitCommand),
        Nurture(NurtureCommand),
        Proposal(ProposalCommand),
        Config(ConfigCommand),
        Account(AccountCommand),
        Contract(ContractCommand),
        Asset(ProcessAssetCommand),
        Retail(RetailCommand),
    }

    impl AnyCommand {
        fn kind(&self) -> CommandKind {
            match self {
                AnyCommand::Rep(command) => command.kind(),
                AnyCommand::Customer(command) => command.kind(),
                AnyCommand::Lead(command) => command.kind(),
                AnyCommand::Visit(command) => command.kind(),
                AnyCommand::Nurture(command) => command.kind(),
                AnyCommand::Proposal(command) => command.kind(),
                AnyCommand::Config(command) => command.kind(),
                AnyCommand::Account(command) => command.kind(),
                AnyCommand::Contract(command) => command.kind(),
                AnyCommand::Asset(command) => command.kind(),
                AnyCommand::Retail(command) => command.kind(),
            }
        }
    }

    #[derive(Debug)]
    enum Failure {
        Body(BodyError),
        Dto(DtoError),
    }

    impl Failure {
        fn code(&self) -> &'static str {
            match self {
                Failure::Body(error) => error.code(),
                Failure::Dto(error) => error.code(),
            }
        }

        fn path(&self) -> &str {
            match self {
                Failure::Body(error) => &error.path,
                Failure::Dto(error) => error.field().unwrap_or("<none>"),
            }
        }
    }

    impl From<BodyError> for Failure {
        fn from(error: BodyError) -> Self {
            Failure::Body(error)
        }
    }

    impl From<DtoError> for Failure {
        fn from(error: DtoError) -> Self {
            Failure::Dto(error)
        }
    }

    /// Decodes `body` as the named request and converts it with fixed
    /// path ids (`PATH_ID`) and server-side inputs.
    fn convert(schema: &str, body: &[u8]) -> Result<AnyCommand, Failure> {
        let path_id = Uuid::from_u128(PATH_ID);
        let index = DuplicateIndex::new();
        let clear = |candidate: &DuplicateCandidate<'_>| index.clear(candidate);
        let policy = PoolPolicy::default_v1;
        let command = match schema {
            "RegisterRepRequest" => AnyCommand::Rep(
                parse_body::<RegisterRepRequest>(body)?.into_command(RepId::from_uuid(path_id))?,
            ),
            "ChangeRepCapabilitiesRequest" => {
                AnyCommand::Rep(parse_body::<ChangeRepCapabilitiesRequest>(body)?.into_command()?)
            }
            "DeactivateRepRequest" => {
                AnyCommand::Rep(parse_body::<DeactivateRepRequest>(body)?.into_command()?)
            }
            "RegisterCustomerRequest" => AnyCommand::Customer(
                parse_body::<RegisterCustomerRequest>(body)?
                    .into_command(CustomerId::from_uuid(path_id), clear)?,
            ),
            "SetCustomerAttributesRequest" => AnyCommand::Customer(
                parse_body::<SetCustomerAttributesRequest>(body)?.into_command()?,
            ),
            "ClaimCustomerRequest" => AnyCommand::Customer(
                parse_body::<ClaimCustomerRequest>(body)?.into_command(policy())?,
            ),
            "TransferCustomerRequest" => AnyCommand::Customer(
                parse_body::<TransferCustomerRequest>(body)?.into_command(&actor(), policy())?,
            ),
            "ReleaseCustomerRequest" => {
                AnyCommand::Customer(parse_body::<ReleaseCustomerRequest>(body)?.into_command()?)
            }
            "RecallCustomerToPoolRequest" => AnyCommand::Customer(
                parse_body::<RecallCustomerToPoolRequest>(body)?.into_command(&actor())?,
            ),
            "RecordFollowUpRequest" => AnyCommand::Customer(
                parse_body::<RecordFollowUpRequest>(body)?.into_command(policy())?,
            ),
            "CloseDayRequest" => AnyCommand::Customer(
                parse_body::<CloseDayRequest>(body)?.into_command(date("2027-03-31"), policy())?,
            ),
            "RecordTrackingConsentRequest" => AnyCommand::Customer(
                parse_body::<RecordTrackingConsentRequest>(body)?.into_command()?,
            ),
            "WithdrawTrackingConsentRequest" => AnyCommand::Customer(
                parse_body::<WithdrawTrackingConsentRequest>(body)?.into_command()?,
            ),
            "RecordCustomerStanceRequest" => AnyCommand::Customer(
                parse_body::<RecordCustomerStanceRequest>(body)?.into_command(&actor())?,
            ),
            "RegisterLeadRequest" => {
                AnyCommand::Lead(parse_body::<RegisterLeadRequest>(body)?.into_command(
                    LeadId::from_uuid(path_id),
                    &actor(),
                    clear,
                )?)
            }
            "ConfirmLeadBudgetRequest" => AnyCommand::Lead(
                parse_body::<ConfirmLeadBudgetRequest>(body)?.into_command(&actor())?,
            ),
            "ConfirmLeadTechnicalFitRequest" => AnyCommand::Lead(
                parse_body::<ConfirmLeadTechnicalFitRequest>(body)?.into_command(&actor())?,
            ),
            "ProposeRoutingRequest" => AnyCommand::Lead(
                parse_body::<ProposeRoutingRequest>(body)?.into_command(rule_set(), Vec::new())?,
            ),
            "ConfirmRoutingRequest" => {
                AnyCommand::Lead(parse_body::<ConfirmRoutingRequest>(body)?.into_command(&actor())?)
            }
            "LogVisitRequest" => AnyCommand::Visit(
                parse_body::<LogVisitRequest>(body)?
                    .into_command(VisitId::from_uuid(path_id), dictionary())?,
            ),
            "ConfirmVisitExtractionRequest" => AnyCommand::Visit(
                parse_body::<ConfirmVisitExtractionRequest>(body)?
                    .into_command(|| TodoId::from_uuid(Uuid::from_u128(MINTED_TODO)))?,
            ),
            "CompleteTodoRequest" => AnyCommand::Visit(
                parse_body::<CompleteTodoRequest>(body)?
                    .into_command(TodoId::from_uuid(uuid(TODO)))?,
            ),
            "StartNurturePackRequest" => {
                AnyCommand::Nurture(parse_body::<StartNurturePackRequest>(body)?.into_command(
                    NurturePackId::from_uuid(path_id),
                    NurtureTemplate::default_v1(),
                )?)
            }
            "RecordNurtureStepSentRequest" => AnyCommand::Nurture(
                parse_body::<RecordNurtureStepSentRequest>(body)?.into_command()?,
            ),
            "RecordNurtureResponseRequest" => AnyCommand::Nurture(
                parse_body::<RecordNurtureResponseRequest>(body)?.into_command()?,
            ),
            "CloseNurturePackRequest" => {
                AnyCommand::Nurture(parse_body::<CloseNurturePackRequest>(body)?.into_command()?)
            }
            "CreateProposalRequest" => AnyCommand::Proposal(
                parse_body::<CreateProposalRequest>(body)?
                    .into_command(ProposalId::from_uuid(path_id))?,
            ),
            "RecordProposalPdfRequest" => AnyCommand::Proposal(
                parse_body::<RecordProposalPdfRequest>(body)?.into_command(482_133)?,
            ),
            "RecordEmailDeliveryReceiptRequest" => AnyCommand::Proposal(
                parse_body::<RecordEmailDeliveryReceiptRequest>(body)?.into_command()?,
            ),
            "RecordLinkOpenedRequest" => AnyCommand::Proposal(
                parse_body::<RecordLinkOpenedRequest>(body)?
                    .into_command(Some(time("2027-03-10T09:00:00+08:00")))?,
            ),
            "PublishRoutingRulesRequest" => AnyCommand::Config(
                parse_body::<PublishRoutingRulesRequest>(body)?.into_command(&actor())?,
            ),
            "PublishPoolPolicyRequest" => AnyCommand::Config(
                parse_body::<PublishPoolPolicyRequest>(body)?.into_command(&actor())?,
            ),
            "PublishExtractionDictionaryRequest" => AnyCommand::Config(
                parse_body::<PublishExtractionDictionaryRequest>(body)?.into_command(&actor())?,
            ),
            "PublishNurtureTemplateRequest" => AnyCommand::Config(
                parse_body::<PublishNurtureTemplateRequest>(body)?.into_command(&actor())?,
            ),
            "ReportUsageRequest" => AnyCommand::Account(
                parse_body::<ReportUsageRequest>(body)?.into_command(customer())?,
            ),
            "RecordSupportTicketRequest" => AnyCommand::Account(
                parse_body::<RecordSupportTicketRequest>(body)?.into_command(customer())?,
            ),
            "SetRenewalRequest" => AnyCommand::Account(
                parse_body::<SetRenewalRequest>(body)?.into_command(customer())?,
            ),
            "RecordSuccessReferenceRequest" => AnyCommand::Account(
                parse_body::<RecordSuccessReferenceRequest>(body)?.into_command(customer())?,
            ),
            "RecordKeywordSearchesRequest" => AnyCommand::Account(
                parse_body::<RecordKeywordSearchesRequest>(body)?.into_command(customer())?,
            ),
            "CompleteCallbackRequest" => {
                AnyCommand::Account(parse_body::<CompleteCallbackRequest>(body)?.into_command(
                    customer(),
                    CallbackTaskId::from_uuid(path_id),
                    &actor(),
                )?)
            }
            "SubmitRescuePlanRequest" => {
                let request = parse_body::<SubmitRescuePlanRequest>(body)?;
                let plan_id = request.requested_id().unwrap_or(path_id);
                AnyCommand::Account(request.into_command(
                    customer(),
                    RescuePlanId::from_uuid(plan_id),
                    &actor(),
                )?)
            }
            "ApproveRescuePlanRequest" => {
                AnyCommand::Account(parse_body::<ApproveRescuePlanRequest>(body)?.into_command(
                    customer(),
                    RescuePlanId::from_uuid(path_id),
                    &actor(),
                )?)
            }
            "QuoteRenewalRequest" => {
                let request = parse_body::<QuoteRenewalRequest>(body)?;
                let quote_id = request.requested_id().unwrap_or(path_id);
                AnyCommand::Account(request.into_command(
                    customer(),
                    QuoteId::from_uuid(quote_id),
                    &actor(),
                )?)
            }
            "SignContractRequest" => AnyCommand::Contract(
                parse_body::<SignContractRequest>(body)?
                    .into_command(ContractId::from_uuid(path_id))?,
            ),
            "RecordPaymentRequest" => {
                AnyCommand::Contract(parse_body::<RecordPaymentRequest>(body)?.into_command()?)
            }
            "RecordProcessAssetRequest" => AnyCommand::Asset(
                parse_body::<RecordProcessAssetRequest>(body)?
                    .into_command(AssetId::from_uuid(path_id))?,
            ),
            "AdvanceLeadStageRequest" => AnyCommand::Lead(
                parse_body::<AdvanceLeadStageRequest>(body)?.into_command(&actor())?,
            ),
            "PublishHealthPolicyRequest" => AnyCommand::Config(
                parse_body::<PublishHealthPolicyRequest>(body)?.into_command(&actor())?,
            ),
            "OpenStoreRequest" => {
                AnyCommand::Retail(parse_body::<OpenStoreRequest>(body)?.into_command()?)
            }
            "RegisterSkuRequest" => {
                AnyCommand::Retail(parse_body::<RegisterSkuRequest>(body)?.into_command()?)
            }
            "EnrollMemberRequest" => {
                AnyCommand::Retail(parse_body::<EnrollMemberRequest>(body)?.into_command(true)?)
            }
            "LaunchPromotionRequest" => {
                AnyCommand::Retail(parse_body::<LaunchPromotionRequest>(body)?.into_command(
                    PromotionId::from_uuid(path_id),
                    &actor(),
                    &retail::Catalogue::default(),
                )?)
            }
            "PublishRetailPolicyRequest" => AnyCommand::Retail(
                parse_body::<PublishRetailPolicyRequest>(body)?.into_command(&actor())?,
            ),
            other => panic!("no request schema named {other}"),
        };
        Ok(command)
    }

    /// Calls `$callback!` with every request type.
    macro_rules! with_all_requests {
        ($callback:ident) => {
            $callback!(
                RegisterRepRequest,
                ChangeRepCapabilitiesRequest,
                DeactivateRepRequest,
                RegisterCustomerRequest,
                SetCustomerAttributesRequest,
                ClaimCustomerRequest,
                TransferCustomerRequest,
                ReleaseCustomerRequest,
                RecallCustomerToPoolRequest,
                RecordFollowUpRequest,
                CloseDayRequest,
                RecordTrackingConsentRequest,
                WithdrawTrackingConsentRequest,
                RecordCustomerStanceRequest,
                RegisterLeadRequest,
                ConfirmLeadBudgetRequest,
                ConfirmLeadTechnicalFitRequest,
                ProposeRoutingRequest,
                ConfirmRoutingRequest,
                LogVisitRequest,
                ConfirmVisitExtractionRequest,
                CompleteTodoRequest,
                StartNurturePackRequest,
                RecordNurtureStepSentRequest,
                RecordNurtureResponseRequest,
                CloseNurturePackRequest,
                CreateProposalRequest,
                RecordProposalPdfRequest,
                RecordEmailDeliveryReceiptRequest,
                RecordLinkOpenedRequest,
                PublishRoutingRulesRequest,
                PublishPoolPolicyRequest,
                PublishExtractionDictionaryRequest,
                PublishNurtureTemplateRequest,
                ReportUsageRequest,
                RecordSupportTicketRequest,
                SetRenewalRequest,
                RecordSuccessReferenceRequest,
                RecordKeywordSearchesRequest,
                CompleteCallbackRequest,
                SubmitRescuePlanRequest,
                ApproveRescuePlanRequest,
                QuoteRenewalRequest,
                SignContractRequest,
                RecordPaymentRequest,
                RecordProcessAssetRequest,
                AdvanceLeadStageRequest,
                PublishHealthPolicyRequest,
                OpenStoreRequest,
                RegisterSkuRequest,
                EnrollMemberRequest,
                LaunchPromotionRequest,
                PublishRetailPolicyRequest
            )
        };
    }

    fn route_kind(schema: &str) -> CommandKind {
        ALL_COMMAND_ROUTES
            .iter()
            .find(|(_, _, _, name)| *name == schema)
            .map(|(_, _, kind, _)| *kind)
            .unwrap_or_else(|| panic!("{schema} is not in ALL_COMMAND_ROUTES"))
    }

    // ---- the route table ----

    #[test]
    fn every_command_kind_has_exactly_one_route_and_schema() {
        assert_eq!(ALL_COMMAND_ROUTES.len(), 53);
        // POS sales arrive as NDJSON on their own route (gateway::stores).
        for kind in CommandKind::all().filter(|kind| *kind != CommandKind::RecordPosSales) {
            let routes: Vec<_> = ALL_COMMAND_ROUTES
                .iter()
                .filter(|(_, _, route_kind, _)| *route_kind == kind)
                .collect();
            assert_eq!(routes.len(), 1, "{kind:?}: {routes:?}");
            let (method, path, _, schema) = routes[0];
            assert_eq!(*schema, format!("{kind:?}Request"));
            assert!(["POST", "PUT"].contains(method), "{kind:?}: {method}");
            assert!(path.starts_with("/v1/"), "{kind:?}: {path}");
        }
        let mut method_paths: Vec<_> = ALL_COMMAND_ROUTES
            .iter()
            .map(|(method, path, _, _)| (*method, *path))
            .collect();
        method_paths.sort();
        method_paths.dedup();
        assert_eq!(
            method_paths.len(),
            ALL_COMMAND_ROUTES.len(),
            "duplicate routes"
        );
    }

    #[test]
    fn request_types_carry_their_kind_and_schema_name() {
        macro_rules! check {
            ($($request:ty),* $(,)?) => {{
                let mut n_checked = 0;
                $(
                    let name = <$request as ToSchema>::name();
                    assert_eq!(route_kind(&name), <$request>::KIND, "{name}");
                    n_checked += 1;
                )*
                assert_eq!(n_checked, ALL_COMMAND_ROUTES.len());
            }};
        }
        with_all_requests!(check);
    }

    #[test]
    fn openapi_components_document_every_request_and_property() {
        #[derive(utoipa::OpenApi)]
        #[openapi(components(schemas(
            RegisterRepRequest,
            ChangeRepCapabilitiesRequest,
            DeactivateRepRequest,
            RegisterCustomerRequest,
            SetCustomerAttributesRequest,
            ClaimCustomerRequest,
            TransferCustomerRequest,
            ReleaseCustomerRequest,
            RecallCustomerToPoolRequest,
            RecordFollowUpRequest,
            CloseDayRequest,
            RecordTrackingConsentRequest,
            WithdrawTrackingConsentRequest,
            RecordCustomerStanceRequest,
            RegisterLeadRequest,
            ConfirmLeadBudgetRequest,
            ConfirmLeadTechnicalFitRequest,
            ProposeRoutingRequest,
            ConfirmRoutingRequest,
            LogVisitRequest,
            ConfirmVisitExtractionRequest,
            CompleteTodoRequest,
            StartNurturePackRequest,
            RecordNurtureStepSentRequest,
            RecordNurtureResponseRequest,
            CloseNurturePackRequest,
            CreateProposalRequest,
            RecordProposalPdfRequest,
            RecordEmailDeliveryReceiptRequest,
            RecordLinkOpenedRequest,
            PublishRoutingRulesRequest,
            PublishPoolPolicyRequest,
            PublishExtractionDictionaryRequest,
            PublishNurtureTemplateRequest,
            ReportUsageRequest,
            RecordSupportTicketRequest,
            SetRenewalRequest,
            RecordSuccessReferenceRequest,
            RecordKeywordSearchesRequest,
            CompleteCallbackRequest,
            SubmitRescuePlanRequest,
            ApproveRescuePlanRequest,
            QuoteRenewalRequest,
            SignContractRequest,
            RecordPaymentRequest,
            RecordProcessAssetRequest,
            AdvanceLeadStageRequest,
            PublishHealthPolicyRequest,
            OpenStoreRequest,
            RegisterSkuRequest,
            EnrollMemberRequest,
            LaunchPromotionRequest,
            PublishRetailPolicyRequest,
        )))]
        struct Document;

        let document = serde_json::to_value(<Document as utoipa::OpenApi>::openapi())
            .expect("the document serialises");
        let schemas = document["components"]["schemas"]
            .as_object()
            .expect("components.schemas is an object");
        for (_, _, _, name) in ALL_COMMAND_ROUTES {
            let schema = &schemas
                .get(*name)
                .unwrap_or_else(|| panic!("{name} is not a component"));
            assert!(
                schema["description"].is_string(),
                "{name} has no description"
            );
            let properties = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (property, property_schema) in properties {
                let documented = property_schema["description"].is_string()
                    || property_schema["allOf"].is_array()
                    || property_schema["oneOf"].is_array()
                    || property_schema["$ref"].is_string();
                assert!(
                    documented,
                    "{name}.{property} has no description: {property_schema}"
                );
            }
        }
    }

    // ---- successful conversions ----

    type Check = fn(AnyCommand);

    fn successes() -> Vec<(&'static str, serde_json::Value, Check)> {
        vec![
            (
                "RegisterRepRequest",
                json!({"display_name": "王晓明", "region": "华东", "capability_tags": ["ISO13485", "tier3-hospital-his", "plc-retrofit"]}),
                |command| {
                    let AnyCommand::Rep(RepCommand::Register(register)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(register.rep_id.as_uuid(), Uuid::from_u128(PATH_ID));
                    assert_eq!(register.display_name.as_str(), "王晓明");
                    assert_eq!(register.region.as_str(), "华东");
                    let tags: Vec<_> = register
                        .capability_tags
                        .iter()
                        .map(|tag| tag.as_str().to_owned())
                        .collect();
                    assert_eq!(tags, ["iso13485", "plc-retrofit", "tier3-hospital-his"]);
                },
            ),
            (
                "RegisterRepRequest",
                json!({"rep_id": REP, "display_name": "Emily Chen", "region": "east-china", "capability_tags": ["automotive-grade-cert", "iatf16949", "plc-retrofit", "mes-integration", "sap-b1"]}),
                |command| {
                    let AnyCommand::Rep(RepCommand::Register(register)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(register.capability_tags.len(), 5);
                    assert_eq!(register.region.as_str(), "east-china");
                },
            ),
            (
                "ChangeRepCapabilitiesRequest",
                json!({"capability_tags": ["iso13485", "automotive-grade-cert", "plc-retrofit", "iatf16949"]}),
                |command| {
                    let AnyCommand::Rep(RepCommand::ChangeCapabilities(change)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(change.capability_tags.len(), 4);
                },
            ),
            ("DeactivateRepRequest", json!({}), |command| {
                assert!(matches!(
                    command,
                    AnyCommand::Rep(RepCommand::Deactivate(_))
                ))
            }),
            (
                "RegisterCustomerRequest",
                json!({
                    "company_name": "杭州瑞康医疗器械有限公司",
                    "unified_social_credit_code": "91350100m000100y43",
                    "phone": "+86 138-0013-8000",
                    "contact_email": "Purchasing@RuiKang-Med.cn",
                    "attributes": {"industry": "三甲医院", "Compliance": "ISO 13485:2016", "region": "华东"}
                }),
                |command| {
                    let AnyCommand::Customer(CustomerCommand::Register(register)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(register.customer_id.as_uuid(), Uuid::from_u128(PATH_ID));
                    assert_eq!(register.company_name.as_str(), "杭州瑞康医疗器械有限公司");
                    assert_eq!(
                        register
                            .unified_social_credit_code
                            .as_ref()
                            .map(|code| code.as_str()),
                        Some("91350100M000100Y43")
                    );
                    assert_eq!(
                        register.phone.as_ref().map(|phone| phone.as_str()),
                        Some("13800138000")
                    );
                    assert_eq!(
                        register.contact_email.as_ref().map(|email| email.as_str()),
                        Some("purchasing@ruikang-med.cn")
                    );
                    assert_eq!(register.attributes.len(), 3);
                    assert_eq!(
                        register
                            .attributes
                            .get("compliance")
                            .map(|value| value.as_str()),
                        Some("ISO 13485:2016")
                    );
                },
            ),
            (
                "RegisterCustomerRequest",
                json!({"customer_id": CUSTOMER, "company_name": "Northwind Medical Devices Ltd."}),
                |command| {
                    let AnyCommand::Customer(CustomerCommand::Register(register)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(register.unified_social_credit_code, None);
                    assert_eq!(register.phone, None);
                    assert!(register.attributes.is_empty());
                },
            ),
            (
                "SetCustomerAttributesRequest",
                json!({"attributes": {"industry": "automotive", "compliance": "IATF16949", "decision_chain": "厂长 -> 财务总监"}}),
                |command| {
                    let AnyCommand::Customer(CustomerCommand::SetAttributes(set)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(
                        set.attributes
                            .get("decision_chain")
                            .map(|value| value.as_str()),
                        Some("厂长 -> 财务总监")
                    );
                },
            ),
            ("ClaimCustomerRequest", json!({"rep_id": REP}), |command| {
                let AnyCommand::Customer(CustomerCommand::Claim(claim)) = command else {
                    panic!("{command:?}")
                };
                assert_eq!(claim.rep_id.as_uuid(), uuid(REP));
                assert_eq!(claim.policy, PoolPolicy::default_v1());
            }),
            (
                "TransferCustomerRequest",
                json!({"to_rep_id": REP_2, "reason": "原负责人调岗至华南区"}),
                |command| {
                    let AnyCommand::Customer(CustomerCommand::Transfer(transfer)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(transfer.to_rep_id.as_uuid(), uuid(REP_2));
                    assert_eq!(transfer.transferred_by, actor());
                    assert_eq!(transfer.reason.as_str(), "原负责人调岗至华南区");
                },
            ),
            (
                "ReleaseCustomerRequest",
                json!({"rep_id": REP}),
                |command| {
                    let AnyCommand::Customer(CustomerCommand::Release(release)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(release.rep_id.as_uuid(), uuid(REP));
                },
            ),
            (
                "RecallCustomerToPoolRequest",
                json!({"reason": "  No follow-up recorded since the trade fair  "}),
                |command| {
                    let AnyCommand::Customer(CustomerCommand::RecallToPool(recall)) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(recall.recalled_by, actor());
                    assert_eq!(
                        recall.reason.as_str(),
                        "No follow-up recorded since the trade fair"
                    );
                },
            ),
            (
                "RecordFollowUpRequest",
                json!({"rep_id": REP, "kind": "call", "occurred_at": "2027-03-15T10:30:00+08:00", "visit_id": VISIT}),
                |command| {
                    let AnyCommand::Customer(CustomerCommand::RecordFollowUp(follow_up)) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(follow_up.kind, customer::FollowUpKind::Call);
                    assert_eq!(follow_up.occurred_at, time("2027-03-15T02:30:00Z"));
                    assert_eq!(follow_up.visit_id.map(|id| id.as_uuid()), Some(uuid(VISIT)));
                },
            ),
            ("CloseDayRequest", json!({}), |command| {
                let AnyCommand::Customer(CustomerCommand::CloseDay(close)) = command else {
                    panic!("{command:?}")
                };
                assert_eq!(close.day, date("2027-03-31"));
            }),
            (
                "RecordTrackingConsentRequest",
                json!({"consent_text": "本人同意贵司记录方案链接的打开时间、IP 及大致位置，用于交付确认。"}),
                |command| {
                    let AnyCommand::Customer(CustomerCommand::RecordTrackingConsent(consent)) =
                        command
                    else {
                        panic!("{command:?}")
                    };
                    assert!(consent.consent_text.as_str().starts_with("本人同意"));
                },
            ),
            ("WithdrawTrackingConsentRequest", json!({}), |command| {
                assert!(matches!(
                    command,
                    AnyCommand::Customer(CustomerCommand::WithdrawTrackingConsent(_))
                ));
            }),
            (
                "RecordCustomerStanceRequest",
                json!({"stance": "still_comparing", "visit_id": VISIT}),
                |command| {
                    let AnyCommand::Customer(CustomerCommand::RecordStance(stance)) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(stance.stance, customer::CustomerStance::StillComparing);
                    assert_eq!(stance.recorded_by, actor());
                },
            ),
            (
                "RegisterLeadRequest",
                json!({
                    "company_name": "Suzhou Precision Auto Parts Co., Ltd.",
                    "unified_social_credit_code": "9144030071526726XG",
                    "phone": "0512-6588 1234",
                    "contact_email": "li.na@szpap.com",
                    "attributes": {"industry": "汽车零部件", "compliance": "IATF16949"},
                    "customer_id": CUSTOMER
                }),
                |command| {
                    let AnyCommand::Lead(LeadCommand::Register(register)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(register.lead_id.as_uuid(), Uuid::from_u128(PATH_ID));
                    assert_eq!(register.registered_by, actor());
                    assert_eq!(
                        register.customer_id.map(|id| id.as_uuid()),
                        Some(uuid(CUSTOMER))
                    );
                    assert_eq!(
                        register.phone.as_ref().map(|phone| phone.as_str()),
                        Some("051265881234")
                    );
                },
            ),
            (
                "ConfirmLeadBudgetRequest",
                json!({"note": "客户确认 2027 年预算 380 万元"}),
                |command| {
                    let AnyCommand::Lead(LeadCommand::ConfirmBudget(confirm)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(confirm.confirmed_by, actor());
                    assert_eq!(
                        confirm.note.as_ref().map(|note| note.as_str()),
                        Some("客户确认 2027 年预算 380 万元")
                    );
                },
            ),
            (
                "ConfirmLeadTechnicalFitRequest",
                json!({"note": null}),
                |command| {
                    let AnyCommand::Lead(LeadCommand::ConfirmTechnicalFit(confirm)) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(confirm.confirmed_by, actor());
                    assert_eq!(confirm.note, None);
                },
            ),
            ("ProposeRoutingRequest", json!({}), |command| {
                let AnyCommand::Lead(LeadCommand::ProposeRouting(propose)) = command else {
                    panic!("{command:?}")
                };
                assert_eq!(propose.rule_set.version, 7);
            }),
            (
                "ConfirmRoutingRequest",
                json!({"rep_id": REP_2}),
                |command| {
                    let AnyCommand::Lead(LeadCommand::ConfirmRouting(confirm)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(confirm.rep_id.as_uuid(), uuid(REP_2));
                    assert_eq!(confirm.confirmed_by, actor());
                },
            ),
            (
                "LogVisitRequest",
                json!({
                    "customer_id": CUSTOMER, "rep_id": REP, "channel": "on_site",
                    "occurred_at": "2027-03-15T10:30:00+08:00",
                    "transcript": "客户说还在比较西门子的方案，预计下个月采购，担心交期。",
                    "rep_notes": "Bring delivery commitment letter next time"
                }),
                |command| {
                    let AnyCommand::Visit(VisitCommand::Log(log)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(log.visit_id.as_uuid(), Uuid::from_u128(PATH_ID));
                    assert_eq!(log.channel, visit::VisitChannel::OnSite);
                    assert_eq!(log.customer_id.as_uuid(), uuid(CUSTOMER));
                    assert_eq!(log.dictionary.version, 1);
                    assert!(log.transcript.as_str().contains("西门子"));
                },
            ),
            (
                "ConfirmVisitExtractionRequest",
                json!({
                    "rep_id": REP,
                    "competitors": ["Siemens"],
                    "purchase_window": {"earliest": "2027-04-01", "latest": "2027-04-30", "phrase": "下个月"},
                    "concerns": ["交期"],
                    "stance": "still_comparing",
                    "next_actions": [
                        {"title": "发送交期承诺函", "due_on": "2027-03-20"},
                        {"todo_id": TODO, "title": "Book a demo with the CFO", "due_on": "2027-03-25"}
                    ]
                }),
                |command| {
                    let AnyCommand::Visit(VisitCommand::ConfirmExtraction(confirm)) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(confirm.competitors, ["Siemens"]);
                    let window = confirm.purchase_window.as_ref().expect("a window");
                    assert_eq!(
                        (window.earliest, window.latest),
                        (date("2027-04-01"), date("2027-04-30"))
                    );
                    assert_eq!(
                        confirm.stance,
                        Some(customer::CustomerStance::StillComparing)
                    );
                    let todo_ids: Vec<_> = confirm
                        .next_actions
                        .iter()
                        .map(|action| action.todo_id.as_uuid())
                        .collect();
                    assert_eq!(todo_ids, [Uuid::from_u128(MINTED_TODO), uuid(TODO)]);
                    assert_eq!(confirm.next_actions[0].title.as_str(), "发送交期承诺函");
                },
            ),
            (
                "ConfirmVisitExtractionRequest",
                json!({"rep_id": REP, "competitors": [], "purchase_window": null, "concerns": [], "stance": null}),
                |command| {
                    let AnyCommand::Visit(VisitCommand::ConfirmExtraction(confirm)) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(confirm.purchase_window, None);
                    assert!(confirm.next_actions.is_empty());
                },
            ),
            ("CompleteTodoRequest", json!({"rep_id": REP}), |command| {
                let AnyCommand::Visit(VisitCommand::CompleteTodo(complete)) = command else {
                    panic!("{command:?}")
                };
                assert_eq!(complete.todo_id.as_uuid(), uuid(TODO));
                assert_eq!(complete.rep_id.as_uuid(), uuid(REP));
            }),
            (
                "StartNurturePackRequest",
                json!({"customer_id": CUSTOMER, "trigger": {"source": "visit_extraction", "visit_id": VISIT}}),
                |command| {
                    let AnyCommand::Nurture(NurtureCommand::Start(start)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(start.pack_id.as_uuid(), Uuid::from_u128(PATH_ID));
                    assert_eq!(
                        start.trigger,
                        nurture::NurtureTrigger::VisitExtraction {
                            visit_id: VisitId::from_uuid(uuid(VISIT))
                        }
                    );
                    assert_eq!(start.template, NurtureTemplate::default_v1());
                },
            ),
            (
                "StartNurturePackRequest",
                json!({"customer_id": CUSTOMER, "trigger": {"source": "customer_stance"}}),
                |command| {
                    let AnyCommand::Nurture(NurtureCommand::Start(start)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(start.trigger, nurture::NurtureTrigger::CustomerStance);
                },
            ),
            (
                "RecordNurtureStepSentRequest",
                json!({"step_index": 0, "channel": "企业微信"}),
                |command| {
                    let AnyCommand::Nurture(NurtureCommand::RecordStepSent(sent)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(sent.step_index, 0);
                    assert_eq!(sent.channel.as_str(), "企业微信");
                },
            ),
            (
                "RecordNurtureResponseRequest",
                json!({"step_index": 1, "response": "requested_meeting", "note": "Asked for the full third-party test report"}),
                |command| {
                    let AnyCommand::Nurture(NurtureCommand::RecordResponse(response)) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(response.step_index, 1);
                    assert_eq!(
                        response.response,
                        nurture::NurtureResponse::RequestedMeeting
                    );
                },
            ),
            (
                "CloseNurturePackRequest",
                json!({"reason": "converted"}),
                |command| {
                    let AnyCommand::Nurture(NurtureCommand::Close(close)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(close.reason, nurture::NurtureCloseReason::Converted);
                },
            ),
            (
                "CreateProposalRequest",
                json!({"customer_id": CUSTOMER, "contact_email": "purchasing@ruikang-med.cn", "title": "手术室设备升级方案 v2"}),
                |command| {
                    let AnyCommand::Proposal(ProposalCommand::Create(create)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(create.proposal_id.as_uuid(), Uuid::from_u128(PATH_ID));
                    assert_eq!(create.contact_email.as_str(), "purchasing@ruikang-med.cn");
                    assert_eq!(create.title.as_str(), "手术室设备升级方案 v2");
                },
            ),
            (
                "RecordProposalPdfRequest",
                json!({"sha256": SHA, "watermark_email": "Purchasing@ruikang-med.cn"}),
                |command| {
                    let AnyCommand::Proposal(ProposalCommand::RecordPdf(pdf)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(pdf.sha256.as_str(), SHA.to_ascii_lowercase());
                    assert_eq!(pdf.watermark_email.as_str(), "purchasing@ruikang-med.cn");
                    assert_eq!(pdf.size_bytes, 482_133);
                },
            ),
            (
                "RecordEmailDeliveryReceiptRequest",
                json!({"message_id": "<20270316.8812@mail.example.com>", "recipient": "purchasing@ruikang-med.cn", "delivered_at": "2027-03-16T09:12:00+08:00"}),
                |command| {
                    let AnyCommand::Proposal(ProposalCommand::RecordEmailDeliveryReceipt(receipt)) =
                        command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(
                        receipt.message_id.as_str(),
                        "<20270316.8812@mail.example.com>"
                    );
                    assert_eq!(receipt.delivered_at, time("2027-03-16T01:12:00Z"));
                },
            ),
            (
                "RecordLinkOpenedRequest",
                json!({"opened_at": "2027-03-16T10:02:11+08:00", "ip_address": "2001:0db8:0000::1", "coarse_location": "上海市"}),
                |command| {
                    let AnyCommand::Proposal(ProposalCommand::RecordLinkOpened(opened)) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(opened.ip_address.as_str(), "2001:db8::1");
                    assert_eq!(opened.coarse_location.as_str(), "上海市");
                    assert_eq!(
                        opened.tracking_consent_recorded_at,
                        Some(time("2027-03-10T09:00:00+08:00"))
                    );
                },
            ),
            (
                "PublishRoutingRulesRequest",
                json!({
                    "version": 8,
                    "rules": [
                        {"tag": "iso13485", "attribute_key": "compliance", "attribute_value_contains": "ISO13485", "weight": 40},
                        {"tag": "tier3-hospital-his", "attribute_key": "industry", "attribute_value_contains": "三甲医院", "weight": 30}
                    ],
                    "direct_tag_match_weight": 10, "region_match_weight": 5, "minimum_score": 1, "candidate_count": 3
                }),
                |command| {
                    let AnyCommand::Config(ConfigCommand::PublishRoutingRules {
                        rule_set,
                        published_by,
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(published_by, actor());
                    assert_eq!(rule_set.version, 8);
                    assert_eq!(rule_set.rules.len(), 2);
                    assert_eq!(rule_set.rules[1].attribute_value_contains, "三甲医院");
                    assert_eq!(rule_set.candidate_count, 3);
                },
            ),
            (
                "PublishPoolPolicyRequest",
                json!({
                    "version": 2, "protection_days": 30, "extension_days": 30, "maximum_protection_days": 90,
                    "qualifying_follow_up_kinds": ["visit", "call", "meeting"], "day_close_utc_offset_minutes": 480
                }),
                |command| {
                    let AnyCommand::Config(ConfigCommand::PublishPoolPolicy {
                        policy,
                        published_by,
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(published_by, actor());
                    assert_eq!(
                        PoolPolicy {
                            version: 1,
                            ..policy
                        },
                        PoolPolicy::default_v1()
                    );
                },
            ),
            (
                "PublishExtractionDictionaryRequest",
                json!({
                    "version": 3,
                    "competitors": [{"name": "Siemens", "aliases": ["西门子"]}, {"name": "汇川"}],
                    "concerns": [{"concern": "交期", "keywords": ["交期", "lead time"]}],
                    "still_comparing_phrases": ["还在比较", "再考虑", "still comparing"],
                    "utc_offset_minutes": 480
                }),
                |command| {
                    let AnyCommand::Config(ConfigCommand::PublishExtractionDictionary {
                        dictionary,
                        ..
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(dictionary.version, 3);
                    assert_eq!(dictionary.competitors[1].name, "汇川");
                    assert!(dictionary.competitors[1].aliases.is_empty());
                    assert_eq!(dictionary.concerns[0].keywords, ["交期", "lead time"]);
                },
            ),
            (
                "PublishNurtureTemplateRequest",
                json!({"version": 2, "steps": [
                    {"kind": "case_video", "delay_hours": 24, "content_ref": "case-video/tier3-hospital-or"},
                    {"kind": "time_limited_offer", "delay_hours": 240, "content_ref": "offer/2027-q2"}
                ]}),
                |command| {
                    let AnyCommand::Config(ConfigCommand::PublishNurtureTemplate {
                        template, ..
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(template.version, 2);
                    assert_eq!(
                        template.steps[1].kind,
                        nurture::NurtureStepKind::TimeLimitedOffer
                    );
                },
            ),
            (
                "ReportUsageRequest",
                json!({
                    "days": [
                        {"day": "2027-03-14", "logins": 37, "key_feature_calls": 412},
                        {"day": "2027-03-15", "logins": 0, "key_feature_calls": 0}
                    ],
                    "modules_used": ["CRM", " reports "],
                    "last_login_at": "2027-03-14T17:42:00+08:00"
                }),
                |command| {
                    let AnyCommand::Account(AccountCommand::ReportUsage {
                        customer_id,
                        days,
                        modules_used,
                        last_login_at,
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(customer_id, customer());
                    assert_eq!(days.len(), 2);
                    assert_eq!(days[0].day, date("2027-03-14"));
                    assert_eq!((days[0].logins, days[0].key_feature_calls), (37, 412));
                    let modules: Vec<_> = modules_used.iter().map(|m| m.as_str()).collect();
                    assert_eq!(modules, ["crm", "reports"]);
                    assert_eq!(last_login_at, Some(time("2027-03-14T09:42:00Z")));
                },
            ),
            (
                "RecordSupportTicketRequest",
                json!({"action": "open", "ticket_ref": "ZD-20270315-0042", "opened_at": "2027-03-15T09:12:00+08:00", "subject": "报表导出超时"}),
                |command| {
                    let AnyCommand::Account(AccountCommand::OpenTicket {
                        ticket_ref,
                        opened_at,
                        subject,
                        ..
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(ticket_ref.as_str(), "ZD-20270315-0042");
                    assert_eq!(opened_at, time("2027-03-15T01:12:00Z"));
                    assert_eq!(subject.as_ref().map(|s| s.as_str()), Some("报表导出超时"));
                },
            ),
            (
                "RecordSupportTicketRequest",
                json!({"action": "resolve", "ticket_ref": "ZD-20270315-0042", "resolved_at": "2027-03-15T15:40:00+08:00"}),
                |command| {
                    let AnyCommand::Account(AccountCommand::ResolveTicket {
                        customer_id,
                        ticket_ref,
                        resolved_at,
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(customer_id, customer());
                    assert_eq!(ticket_ref.as_str(), "ZD-20270315-0042");
                    assert_eq!(resolved_at, time("2027-03-15T07:40:00Z"));
                },
            ),
            (
                "SetRenewalRequest",
                json!({"renewal_on": "2027-09-30", "plan": "Enterprise"}),
                |command| {
                    let AnyCommand::Account(AccountCommand::SetRenewal {
                        renewal_on, plan, ..
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(renewal_on, date("2027-09-30"));
                    assert_eq!(plan.as_str(), "enterprise");
                },
            ),
            (
                "RecordSuccessReferenceRequest",
                json!({"reference_ref": "CASE-2027-017", "title": "瑞康医疗：工单时效提升 40%", "referenced_on": "2027-03-10"}),
                |command| {
                    let AnyCommand::Account(AccountCommand::RecordSuccessReference {
                        reference_ref,
                        title,
                        referenced_on,
                        ..
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(reference_ref.as_str(), "CASE-2027-017");
                    assert!(title.as_str().starts_with("瑞康医疗"));
                    assert_eq!(referenced_on, date("2027-03-10"));
                },
            ),
            (
                "RecordKeywordSearchesRequest",
                json!({"searches": [{"keyword": "西门子", "searched_on": "2027-03-14", "count": 3}, {"keyword": "Mindray", "searched_on": "2027-03-15", "count": 1}]}),
                |command| {
                    let AnyCommand::Account(AccountCommand::RecordKeywordSearches {
                        searches, ..
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(searches.len(), 2);
                    assert_eq!(searches[1].keyword.as_str(), "mindray");
                    assert_eq!(searches[0].count, 3);
                },
            ),
            (
                "CompleteCallbackRequest",
                json!({"note": "客户确认下周安排关键用户培训"}),
                |command| {
                    let AnyCommand::Account(AccountCommand::CompleteCallback {
                        task_id,
                        note,
                        completed_by,
                        ..
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(task_id.as_uuid(), Uuid::from_u128(PATH_ID));
                    assert!(note.is_some());
                    assert_eq!(completed_by, actor());
                },
            ),
            (
                "SubmitRescuePlanRequest",
                json!({"plan_id": TODO, "summary": "两周内完成关键用户培训"}),
                |command| {
                    let AnyCommand::Account(AccountCommand::SubmitRescuePlan {
                        plan_id,
                        summary,
                        submitted_by,
                        ..
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(plan_id.as_uuid(), uuid(TODO));
                    assert_eq!(summary.as_str(), "两周内完成关键用户培训");
                    assert_eq!(submitted_by, actor());
                },
            ),
            ("ApproveRescuePlanRequest", json!({}), |command| {
                let AnyCommand::Account(AccountCommand::ApproveRescuePlan {
                    plan_id,
                    approved_by,
                    ..
                }) = command
                else {
                    panic!("{command:?}")
                };
                assert_eq!(plan_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(approved_by, actor());
            }),
            (
                "QuoteRenewalRequest",
                json!({"amount_fen": 38_000_000u64, "valid_until": "2027-04-30"}),
                |command| {
                    let AnyCommand::Account(AccountCommand::QuoteRenewal {
                        quote_id,
                        amount_fen,
                        valid_until,
                        quoted_by,
                        ..
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(quote_id.as_uuid(), Uuid::from_u128(PATH_ID));
                    assert_eq!(amount_fen, 38_000_000);
                    assert_eq!(valid_until, date("2027-04-30"));
                    assert_eq!(quoted_by, actor());
                },
            ),
            (
                "SignContractRequest",
                json!({
                    "customer_id": CUSTOMER, "rep_id": REP, "signed_on": "2027-03-15",
                    "instalments": [{"due_on": "2027-03-31", "amount_fen": 12_000_000u64}, {"due_on": "2027-06-30", "amount_fen": 26_000_000u64}]
                }),
                |command| {
                    let AnyCommand::Contract(ContractCommand::SignContract {
                        contract_id,
                        customer_id,
                        rep_id,
                        signed_on,
                        instalments,
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(contract_id.as_uuid(), Uuid::from_u128(PATH_ID));
                    assert_eq!(customer_id, customer());
                    assert_eq!(rep_id.as_uuid(), uuid(REP));
                    assert_eq!(signed_on, date("2027-03-15"));
                    assert_eq!(instalments.len(), 2);
                    assert_eq!(instalments[1].amount_fen, 26_000_000);
                },
            ),
            (
                "RecordPaymentRequest",
                json!({"payment_ref": "ICBC-20270331-778812", "amount_fen": 12_000_000u64, "received_on": "2027-03-31"}),
                |command| {
                    let AnyCommand::Contract(ContractCommand::RecordPayment {
                        payment_ref,
                        amount_fen,
                        received_on,
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(payment_ref.as_str(), "ICBC-20270331-778812");
                    assert_eq!(amount_fen, 12_000_000);
                    assert_eq!(received_on, date("2027-03-31"));
                },
            ),
            (
                "RecordProcessAssetRequest",
                json!({"customer_id": CUSTOMER, "rep_id": REP, "kind": "objection_answer", "title": "交期顾虑的标准答复"}),
                |command| {
                    let AnyCommand::Asset(ProcessAssetCommand::RecordProcessAsset {
                        asset_id,
                        rep_id,
                        kind,
                        title,
                        ..
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(asset_id.as_uuid(), Uuid::from_u128(PATH_ID));
                    assert_eq!(rep_id.as_uuid(), uuid(REP));
                    assert_eq!(kind, asset::ProcessAssetKind::ObjectionAnswer);
                    assert_eq!(title.as_str(), "交期顾虑的标准答复");
                },
            ),
            (
                "AdvanceLeadStageRequest",
                json!({"stage": "lost", "reason": "选择了西门子"}),
                |command| {
                    let AnyCommand::Lead(LeadCommand::AdvanceStage {
                        stage,
                        reason,
                        advanced_by,
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(stage, lead::FunnelStage::Lost);
                    assert_eq!(reason.as_ref().map(|r| r.as_str()), Some("选择了西门子"));
                    assert_eq!(advanced_by, actor());
                },
            ),
            (
                "PublishHealthPolicyRequest",
                health_policy_body(2),
                |command| {
                    let AnyCommand::Config(ConfigCommand::PublishHealthPolicy {
                        policy,
                        published_by,
                    }) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!(published_by, actor());
                    assert_eq!(policy.version, 2);
                    assert_eq!(
                        HealthPolicy {
                            version: 1,
                            risk_scripts: HealthPolicy::default_v1().risk_scripts,
                            ..policy.clone()
                        },
                        HealthPolicy::default_v1()
                    );
                    assert_eq!(
                        policy.script(health::RiskKind::CompetitorInterest),
                        "安排价值复盘"
                    );
                },
            ),
            (
                "OpenStoreRequest",
                json!({"store": "S0001", "name": "人民路店", "region": "east", "format": "franchised", "opened_on": "2025-01-15"}),
                |command| {
                    let AnyCommand::Retail(RetailCommand::OpenStore(open)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(open.store.as_str(), "S0001");
                    assert_eq!(open.format, retail::StoreFormat::Franchised);
                },
            ),
            (
                "RegisterSkuRequest",
                json!({"sku": "SKU-NEW-1", "name": "燕麦拿铁", "category": "drinks", "new_product": true}),
                |command| {
                    let AnyCommand::Retail(RetailCommand::RegisterSku(register)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(register.sku.as_str(), "SKU-NEW-1");
                    assert!(register.new_product);
                },
            ),
            (
                "EnrollMemberRequest",
                json!({"member": "M000123", "home_store": "S0001", "display_name": "王芳", "enrolled_on": "2026-02-01"}),
                |command| {
                    let AnyCommand::Retail(RetailCommand::EnrollMember(enroll)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(enroll.member.as_str(), "M000123");
                    assert_eq!(enroll.home_store.as_str(), "S0001");
                },
            ),
            (
                "LaunchPromotionRequest",
                json!({"sku": "SKU-NEW-1", "name": "燕麦拿铁上市", "regions": ["west", "east"], "starts_on": "2026-06-01", "ends_on": "2026-08-31"}),
                |command| {
                    let AnyCommand::Retail(RetailCommand::LaunchPromotion(launch)) = command else {
                        panic!("{command:?}")
                    };
                    assert_eq!(launch.promotion_id.as_uuid(), Uuid::from_u128(PATH_ID));
                    assert_eq!(launch.regions.len(), 2);
                    assert_eq!(launch.launched_by, actor());
                },
            ),
            (
                "PublishRetailPolicyRequest",
                json!({"version": 2, "high_potential_avg_ticket_cents": 9000, "window_days": 60, "script_template": "Hello {member}"}),
                |command| {
                    let AnyCommand::Retail(RetailCommand::PublishRetailPolicy(publish)) = command
                    else {
                        panic!("{command:?}")
                    };
                    assert_eq!((publish.version, publish.window_days), (2, 60));
                    assert_eq!(publish.published_by, actor());
                },
            ),
        ]
    }

    #[test]
    fn realistic_bodies_convert_to_their_commands() {
        for (schema, body, check) in successes() {
            let command = convert(schema, body.to_string().as_bytes())
                .unwrap_or_else(|failure| panic!("{schema} {body}: {failure:?}"));
            assert_eq!(command.kind(), route_kind(schema), "{schema}");
            check(command);
        }
    }

    #[test]
    fn every_request_type_has_a_successful_body() {
        let covered: std::collections::BTreeSet<_> = successes()
            .into_iter()
            .map(|(schema, _, _)| schema)
            .collect();
        for (_, _, _, schema) in ALL_COMMAND_ROUTES {
            assert!(covered.contains(schema), "{schema} has no success case");
        }
    }

    /// Decodes `body` as the named request and encodes it again.
    fn reencode(schema: &str, body: &[u8]) -> Vec<u8> {
        macro_rules! dispatch {
            ($($request:ident),* $(,)?) => {
                match schema {
                    $(stringify!($request) => serde_json::to_vec(
                        &parse_body::<$request>(body).expect("the body decodes"),
                    )
                    .expect("the request encodes"),)*
                    other => panic!("no request schema named {other}"),
                }
            };
        }
        with_all_requests!(dispatch)
    }

    #[test]
    fn requests_round_trip_through_their_own_serialisation() {
        // What the schema describes (the Serialize side) decodes to the same command.
        for (schema, body, check) in successes() {
            let reencoded = reencode(schema, body.to_string().as_bytes());
            let command = convert(schema, &reencoded).unwrap_or_else(|failure| {
                panic!(
                    "{schema} {}: {failure:?}",
                    String::from_utf8_lossy(&reencoded)
                )
            });
            check(command);
        }
    }

    #[test]
    fn truncated_and_cross_fed_bodies_fail_cleanly() {
        let bodies: Vec<(&str, String)> = successes()
            .into_iter()
            .map(|(schema, body, _)| (schema, body.to_string()))
            .collect();
        for (schema, body) in &bodies {
            for end in 1..body.len() {
                match convert(schema, &body.as_bytes()[..end]) {
                    Ok(command) => panic!("{schema}: prefix {end} accepted as {command:?}"),
                    Err(failure) => {
                        assert_eq!(failure.code(), "malformed_json", "{schema}: prefix {end}")
                    }
                }
            }
        }
        for (_, _, _, schema) in ALL_COMMAND_ROUTES {
            for (body_schema, body) in &bodies {
                if let Err(failure) = convert(schema, body.as_bytes()) {
                    assert!(!failure.code().is_empty(), "{schema} fed {body_schema}");
                }
            }
        }
    }

    // ---- failures ----

    #[test]
    fn bad_bodies_fail_with_code_and_path() {
        let valid_rules = json!({"tag": "iso13485", "attribute_key": "compliance", "attribute_value_contains": "ISO13485", "weight": 40});
        let cases: Vec<(&str, String, &str, &str)> = vec![
            // syntax
            ("ClaimCustomerRequest", "".to_owned(), "malformed_json", ""),
            ("ClaimCustomerRequest", "   \n".to_owned(), "malformed_json", ""),
            ("ClaimCustomerRequest", r#"{"rep_id": "#.to_owned(), "malformed_json", "rep_id"),
            ("ClaimCustomerRequest", format!(r#"{{"rep_id": "{REP}"}} trailing"#), "malformed_json", ""),
            ("ClaimCustomerRequest", "nonsense".to_owned(), "malformed_json", ""),
            // not an object
            ("ClaimCustomerRequest", format!(r#"["{REP}"]"#), "wrong_type", ""),
            ("DeactivateRepRequest", "[]".to_owned(), "wrong_type", ""),
            ("DeactivateRepRequest", "null".to_owned(), "wrong_type", ""),
            // unknown fields, also on empty and nested requests
            ("DeactivateRepRequest", r#"{"reason": "left"}"#.to_owned(), "unknown_field", "reason"),
            ("ClaimCustomerRequest", format!(r#"{{"rep_id": "{REP}", "owner": "me"}}"#), "unknown_field", "owner"),
            (
                "ConfirmVisitExtractionRequest",
                format!(r#"{{"rep_id": "{REP}", "competitors": [], "concerns": [], "next_actions": [{{"title": "x", "due_on": "2027-03-20", "priority": 1}}]}}"#),
                "unknown_field",
                "next_actions[0].priority",
            ),
            (
                "StartNurturePackRequest",
                format!(r#"{{"customer_id": "{CUSTOMER}", "trigger": {{"source": "customer_stance", "extra": 1}}}}"#),
                "unknown_field",
                "trigger.extra",
            ),
            // identity never comes from the body
            ("ConfirmLeadBudgetRequest", r#"{"confirmed_by": "someone.else"}"#.to_owned(), "unknown_field", "confirmed_by"),
            ("TransferCustomerRequest", format!(r#"{{"to_rep_id": "{REP}", "reason": "r", "transferred_by": "x"}}"#), "unknown_field", "transferred_by"),
            // missing fields
            ("ClaimCustomerRequest", "{}".to_owned(), "missing_field", "rep_id"),
            ("RegisterRepRequest", r#"{"display_name": "王晓明", "region": "华东"}"#.to_owned(), "missing_field", "capability_tags"),
            (
                "PublishRoutingRulesRequest",
                r#"{"version": 1, "rules": [{"tag": "iso13485"}], "direct_tag_match_weight": 0, "region_match_weight": 0, "minimum_score": 0, "candidate_count": 3}"#.to_owned(),
                "missing_field",
                "rules[0].attribute_key",
            ),
            ("StartNurturePackRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "trigger": {{"source": "visit_extraction"}}}}"#), "missing_field", "trigger.visit_id"),
            // wrong types
            ("ClaimCustomerRequest", r#"{"rep_id": 42}"#.to_owned(), "wrong_type", "rep_id"),
            ("RegisterRepRequest", r#"{"display_name": "A", "region": "R", "capability_tags": ["iso13485", 7, "x"]}"#.to_owned(), "wrong_type", "capability_tags[1]"),
            ("RecordNurtureStepSentRequest", r#"{"step_index": -1, "channel": "email"}"#.to_owned(), "wrong_type", "step_index"),
            ("RecordNurtureStepSentRequest", r#"{"step_index": "0", "channel": "email"}"#.to_owned(), "wrong_type", "step_index"),
            ("CloseNurturePackRequest", r#"{"reason": "bored"}"#.to_owned(), "wrong_type", "reason"),
            ("SetCustomerAttributesRequest", r#"{"attributes": {"size": 500}}"#.to_owned(), "wrong_type", "attributes.size"),
            ("StartNurturePackRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "trigger": {{"source": "phone_call"}}}}"#), "wrong_type", "trigger.source"),
            // strings that are not UUIDs or times
            ("ClaimCustomerRequest", r#"{"rep_id": "not-a-uuid"}"#.to_owned(), "invalid_body", "rep_id"),
            ("RecordFollowUpRequest", format!(r#"{{"rep_id": "{REP}", "kind": "call", "occurred_at": "yesterday"}}"#), "invalid_body", "occurred_at"),
            // invalid values (domain rules)
            ("RegisterRepRequest", r#"{"display_name": "A", "region": "华东", "capability_tags": ["iso13485", "plc-retrofit"]}"#.to_owned(), "capability_tag_count", "capability_tags"),
            ("RegisterRepRequest", r#"{"display_name": "A", "region": "华东", "capability_tags": ["iso13485", "plc-retrofit", "ISO 13485"]}"#.to_owned(), "invalid_capability_tag", "capability_tags[2]"),
            ("ChangeRepCapabilitiesRequest", r#"{"capability_tags": ["iso13485", "ISO13485", "plc-retrofit"]}"#.to_owned(), "invalid_capability_tag", "capability_tags"),
            ("RegisterRepRequest", r#"{"display_name": "  ", "region": "华东", "capability_tags": ["a1", "b2", "c3"]}"#.to_owned(), "invalid_text", "display_name"),
            ("RegisterCustomerRequest", r#"{"company_name": "瑞康", "unified_social_credit_code": "91350100M000100Y44"}"#.to_owned(), "invalid_unified_social_credit_code", "unified_social_credit_code"),
            ("RegisterCustomerRequest", r#"{"company_name": "瑞康", "contact_email": "purchasing.ruikang-med.cn"}"#.to_owned(), "invalid_email", "contact_email"),
            ("RegisterCustomerRequest", r#"{"company_name": "瑞康", "phone": "138 0013 800"}"#.to_owned(), "invalid_phone", "phone"),
            ("RegisterCustomerRequest", r#"{"company_name": "（——）"}"#.to_owned(), "invalid_company_name", "company_name"),
            ("RegisterCustomerRequest", r#"{"company_name": "瑞康", "attributes": {"Decision Chain": "CFO"}}"#.to_owned(), "invalid_attribute_key", "attributes.Decision Chain"),
            ("RegisterLeadRequest", r#"{"company_name": "瑞康", "attributes": {"industry": ""}}"#.to_owned(), "invalid_attribute_value", "attributes.industry"),
            ("SetCustomerAttributesRequest", r#"{"attributes": {"industry": "a", "INDUSTRY": "b"}}"#.to_owned(), "invalid_attribute_key", "attributes.industry"),
            (
                "SetCustomerAttributesRequest",
                json!({"attributes": (0..13).map(|n| (format!("k{n}"), "v".to_owned())).collect::<BTreeMap<_, _>>()}).to_string(),
                "too_many_attributes",
                "attributes",
            ),
            ("CreateProposalRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "contact_email": "a@b", "title": "T"}}"#), "invalid_email", "contact_email"),
            ("RecordProposalPdfRequest", r#"{"sha256": "abc", "watermark_email": "a@b.cn"}"#.to_owned(), "invalid_sha256", "sha256"),
            ("RecordLinkOpenedRequest", r#"{"opened_at": "2027-03-16T10:02:11Z", "ip_address": "300.1.1.1", "coarse_location": "上海"}"#.to_owned(), "invalid_ip_address", "ip_address"),
            ("RecordEmailDeliveryReceiptRequest", r#"{"message_id": "m", "recipient": "x", "delivered_at": "2027-03-16T10:02:11Z"}"#.to_owned(), "invalid_email", "recipient"),
            (
                "ConfirmVisitExtractionRequest",
                format!(r#"{{"rep_id": "{REP}", "competitors": [], "concerns": [], "purchase_window": {{"earliest": "2027-05-01", "latest": "2027-04-01"}}}}"#),
                "invalid_purchase_window",
                "purchase_window",
            ),
            (
                "ConfirmVisitExtractionRequest",
                format!(r#"{{"rep_id": "{REP}", "competitors": [], "concerns": [], "next_actions": [{{"title": "ok", "due_on": "2027-03-20"}}, {{"title": " ", "due_on": "2027-03-20"}}]}}"#),
                "invalid_text",
                "next_actions[1].title",
            ),
            (
                "PublishRoutingRulesRequest",
                json!({"version": 1, "rules": [valid_rules, {"tag": "-bad", "attribute_key": "industry", "attribute_value_contains": "x", "weight": 1}], "direct_tag_match_weight": 0, "region_match_weight": 0, "minimum_score": 0, "candidate_count": 3}).to_string(),
                "invalid_capability_tag",
                "rules[1].tag",
            ),
            (
                "PublishRoutingRulesRequest",
                json!({"version": 1, "rules": [], "direct_tag_match_weight": 0, "region_match_weight": 0, "minimum_score": 0, "candidate_count": 0}).to_string(),
                "invalid_rule_set",
                "",
            ),
            (
                "PublishPoolPolicyRequest",
                r#"{"version": 2, "protection_days": 0, "extension_days": 30, "maximum_protection_days": 90, "qualifying_follow_up_kinds": [], "day_close_utc_offset_minutes": 480}"#.to_owned(),
                "invalid_rule_set",
                "",
            ),
            ("PublishNurtureTemplateRequest", r#"{"version": 2, "steps": []}"#.to_owned(), "nurture_template_empty", ""),
            // the new inputs
            ("ReportUsageRequest", r#"{"days": [{"day": "2027-03-15", "logins": 1, "key_feature_calls": 2, "sessions": 3}]}"#.to_owned(), "unknown_field", "days[0].sessions"),
            ("ReportUsageRequest", r#"{"days": [{"day": "2027-03-15", "logins": -1, "key_feature_calls": 2}]}"#.to_owned(), "wrong_type", "days[0].logins"),
            ("ReportUsageRequest", r#"{"days": [], "modules_used": ["crm", " "]}"#.to_owned(), "invalid_module_name", "modules_used[1]"),
            ("ReportUsageRequest", r#"{"modules_used": ["crm"]}"#.to_owned(), "missing_field", "days"),
            ("RecordSupportTicketRequest", r#"{"action": "close", "ticket_ref": "T-1"}"#.to_owned(), "wrong_type", "action"),
            ("RecordSupportTicketRequest", r#"{"ticket_ref": "T-1", "opened_at": "2027-03-15T09:12:00Z"}"#.to_owned(), "missing_field", "action"),
            ("RecordSupportTicketRequest", r#"{"action": "resolve", "ticket_ref": "T-1", "opened_at": "2027-03-15T09:12:00Z"}"#.to_owned(), "unknown_field", "opened_at"),
            ("RecordSupportTicketRequest", r#"{"action": "open", "ticket_ref": "T 1", "opened_at": "2027-03-15T09:12:00Z"}"#.to_owned(), "invalid_ticket_ref", "ticket_ref"),
            ("SetRenewalRequest", r#"{"renewal_on": "2027-02-30", "plan": "basic"}"#.to_owned(), "invalid_body", "renewal_on"),
            ("SetRenewalRequest", r#"{"renewal_on": "2027-09-30", "plan": ""}"#.to_owned(), "invalid_plan_name", "plan"),
            ("RecordSuccessReferenceRequest", r#"{"reference_ref": "CASE/1", "title": "t", "referenced_on": "2027-03-10"}"#.to_owned(), "invalid_reference_ref", "reference_ref"),
            ("RecordKeywordSearchesRequest", r#"{"searches": [{"keyword": "siemens", "searched_on": "2027-03-14", "count": 1}, {"keyword": "", "searched_on": "2027-03-14", "count": 1}]}"#.to_owned(), "invalid_keyword", "searches[1].keyword"),
            ("CompleteCallbackRequest", r#"{"completed_by": "someone.else"}"#.to_owned(), "unknown_field", "completed_by"),
            ("SubmitRescuePlanRequest", r#"{"summary": "  "}"#.to_owned(), "invalid_text", "summary"),
            ("ApproveRescuePlanRequest", r#"{"approved_by": "cto"}"#.to_owned(), "unknown_field", "approved_by"),
            ("QuoteRenewalRequest", r#"{"amount_fen": 1.5, "valid_until": "2027-04-30"}"#.to_owned(), "wrong_type", "amount_fen"),
            ("SignContractRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "rep_id": "{REP}", "signed_on": "2027-03-15", "instalments": [{{"due_on": "2027-03-31"}}]}}"#), "missing_field", "instalments[0].amount_fen"),
            ("RecordPaymentRequest", r#"{"payment_ref": "", "amount_fen": 1, "received_on": "2027-03-31"}"#.to_owned(), "invalid_payment_ref", "payment_ref"),
            ("RecordProcessAssetRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "rep_id": "{REP}", "kind": "slide_deck", "title": "t"}}"#), "wrong_type", "kind"),
            ("AdvanceLeadStageRequest", r#"{"stage": "closed"}"#.to_owned(), "wrong_type", "stage"),
            ("AdvanceLeadStageRequest", r#"{"stage": "won", "advanced_by": "x"}"#.to_owned(), "unknown_field", "advanced_by"),
            ("PublishHealthPolicyRequest", {
                let mut body = health_policy_body(2);
                body["weights"]["usage"] = json!(31);
                body.to_string()
            }, "invalid_health_policy", ""),
            ("PublishHealthPolicyRequest", {
                let mut body = health_policy_body(2);
                body["risk_scripts"]["weather"] = json!("x");
                body.to_string()
            }, "wrong_type", "risk_scripts"),
        ];
        for (schema, body, code, path) in cases {
            let failure = match convert(schema, body.as_bytes()) {
                Ok(command) => panic!("{schema} {body}: accepted as {command:?}"),
                Err(failure) => failure,
            };
            assert_eq!(
                (failure.code(), failure.path()),
                (code, path),
                "{schema} {body}: {failure:?}"
            );
        }
    }

    #[test]
    fn empty_body_is_an_empty_object_for_bodyless_requests() {
        for schema in [
            "DeactivateRepRequest",
            "CloseDayRequest",
            "WithdrawTrackingConsentRequest",
            "ProposeRoutingRequest",
            "ConfirmLeadBudgetRequest",
            "ApproveRescuePlanRequest",
            "CompleteCallbackRequest",
        ] {
            for body in ["", " \r\n", "{}"] {
                let command = convert(schema, body.as_bytes())
                    .unwrap_or_else(|failure| panic!("{schema} {body:?}: {failure:?}"));
                assert_eq!(command.kind(), route_kind(schema));
            }
        }
    }

    #[test]
    fn a_duplicate_is_a_domain_error_naming_the_existing_record() {
        let mut index = DuplicateIndex::new();
        let existing: RegisterCustomerRequest = parse_body(
            r#"{"company_name": "杭州瑞康医疗器械有限公司", "phone": "13800138000"}"#.as_bytes(),
        )
        .expect("decodes");
        let existing_id = CustomerId::from_uuid(uuid(CUSTOMER));
        let CustomerCommand::Register(register) = existing
            .into_command(existing_id, |candidate| index.clear(candidate))
            .expect("first registration clears")
        else {
            panic!("not a registration")
        };
        index.apply(&salesledger_domain::event::Event::CustomerRegistered(
            customer::CustomerRegistered {
                customer_id: register.customer_id,
                company_name: register.company_name,
                unified_social_credit_code: None,
                phone: register.phone,
                contact_email: None,
                attributes: register.attributes,
                registered_at: time("2027-01-04T09:00:00+08:00"),
            },
        ));
        let same_company: RegisterLeadRequest =
            parse_body("{\"company_name\": \"杭州瑞康医疗器械 有限公司\"}".as_bytes())
                .expect("decodes");
        let error = same_company
            .into_command(LeadId::from_uuid(uuid(REP)), &actor(), |candidate| {
                index.clear(candidate)
            })
            .expect_err("a duplicate");
        assert_eq!(error.code(), "duplicate_record");
        assert!(matches!(
            error,
            DtoError::Domain(DomainError::DuplicateRecord { .. })
        ));

        let linked: RegisterLeadRequest = parse_body(
            format!(
                r#"{{"company_name": "杭州瑞康医疗器械有限公司", "customer_id": "{CUSTOMER}"}}"#
            )
            .as_bytes(),
        )
        .expect("decodes");
        assert!(
            linked
                .into_command(LeadId::from_uuid(uuid(REP)), &actor(), |candidate| index
                    .clear(candidate))
                .is_ok(),
            "a lead of the existing customer is not its duplicate"
        );
    }

    #[test]
    fn creation_requests_expose_the_requested_id() {
        let with_id: CreateProposalRequest = parse_body(
            format!(r#"{{"proposal_id": "{TODO}", "customer_id": "{CUSTOMER}", "contact_email": "a@b.cn", "title": "T"}}"#).as_bytes(),
        )
        .expect("decodes");
        assert_eq!(with_id.requested_id(), Some(uuid(TODO)));
        let without_id: LogVisitRequest = parse_body(
            format!(r#"{{"customer_id": "{CUSTOMER}", "rep_id": "{REP}", "channel": "phone", "occurred_at": "2027-03-15T10:30:00Z", "transcript": "Call about Q3 budget"}}"#).as_bytes(),
        )
        .expect("decodes");
        assert_eq!(without_id.requested_id(), None);
    }

    #[test]
    fn errors_have_stable_codes_and_readable_messages() {
        let body_error = parse_body::<ClaimCustomerRequest>(b"{").expect_err("truncated");
        assert_eq!(body_error.kind, BodyErrorKind::Syntax);
        assert!(!body_error.to_string().is_empty());
        let dto_error = DtoError::invalid(
            "contact_email",
            &Email::parse("nope").expect_err("not an email"),
        );
        assert_eq!(dto_error.code(), "invalid_email");
        assert!(
            dto_error.to_string().contains("contact_email"),
            "{dto_error}"
        );
    }
}
