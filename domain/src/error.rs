//! The one error type of the domain crate.
//!
//! Every refusal of a command and every decoding failure is a typed variant
//! of [`DomainError`]. Each variant has a stable machine-readable
//! [`DomainError::code`] and an [`ErrorKind`] that the gateway maps to an HTTP
//! status (Conflict 409, NotFound 404, Invalid 422, Forbidden 403,
//! PreconditionFailed 409/412, Corrupt 500). This module must not know HTTP:
//! it names classes, never status numbers.

use chrono::{DateTime, NaiveDate, Utc};

use crate::lead::{FunnelStage, LeadConfirmation};
use crate::role::{CommandKind, Role};
use crate::value::{
    CallbackTaskId, CustomerId, PaymentRef, PosBatchId, QuoteId, ReferenceRef, Region, RepId,
    RescuePlanId, SkuCode, StoreCode, TicketRef,
};

/// The class of an error, used by the gateway to pick a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The command contradicts the current state (someone else got there first).
    Conflict,
    /// The addressed aggregate or item does not exist.
    NotFound,
    /// The command's data is malformed or breaks a value rule.
    Invalid,
    /// The role may not issue the command, or the actor is not the right person.
    Forbidden,
    /// A business precondition is not met yet (e.g. a lead is not confirmed).
    PreconditionFailed,
    /// Stored data cannot be decoded: never the caller's fault.
    Corrupt,
}

/// Which kind of value object failed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueKind {
    CapabilityTag,
    CompanyName,
    UnifiedSocialCreditCode,
    Phone,
    Email,
    ActorId,
    AttributeKey,
    AttributeValue,
    Region,
    Sha256Hex,
    Text,
    IpAddress,
    RuleSet,
    PurchaseWindow,
    TicketRef,
    PaymentRef,
    ReferenceRef,
    PlanName,
    ModuleName,
    Keyword,
    HealthPolicy,
    UsageReport,
    KeywordSearches,
    Instalments,
    Amount,
    ValidUntil,
    StoreCode,
    SkuCode,
    MemberRef,
    PosTicketRef,
    PosBatchId,
    RetailPolicy,
}

impl ValueKind {
    /// Stable problem code for an invalid value of this kind.
    pub fn code(self) -> &'static str {
        match self {
            ValueKind::CapabilityTag => "invalid_capability_tag",
            ValueKind::CompanyName => "invalid_company_name",
            ValueKind::UnifiedSocialCreditCode => "invalid_unified_social_credit_code",
            ValueKind::Phone => "invalid_phone",
            ValueKind::Email => "invalid_email",
            ValueKind::ActorId => "invalid_actor_id",
            ValueKind::AttributeKey => "invalid_attribute_key",
            ValueKind::AttributeValue => "invalid_attribute_value",
            ValueKind::Region => "invalid_region",
            ValueKind::Sha256Hex => "invalid_sha256",
            ValueKind::Text => "invalid_text",
            ValueKind::IpAddress => "invalid_ip_address",
            ValueKind::RuleSet => "invalid_rule_set",
            ValueKind::PurchaseWindow => "invalid_purchase_window",
            ValueKind::TicketRef => "invalid_ticket_ref",
            ValueKind::PaymentRef => "invalid_payment_ref",
            ValueKind::ReferenceRef => "invalid_reference_ref",
            ValueKind::PlanName => "invalid_plan_name",
            ValueKind::ModuleName => "invalid_module_name",
            ValueKind::Keyword => "invalid_keyword",
            ValueKind::HealthPolicy => "invalid_health_policy",
            ValueKind::UsageReport => "invalid_usage_report",
            ValueKind::KeywordSearches => "invalid_keyword_searches",
            ValueKind::Instalments => "invalid_instalments",
            ValueKind::Amount => "invalid_amount",
            ValueKind::ValidUntil => "invalid_valid_until",
            ValueKind::StoreCode => "invalid_store_code",
            ValueKind::SkuCode => "invalid_sku_code",
            ValueKind::MemberRef => "invalid_member_ref",
            ValueKind::PosTicketRef => "invalid_pos_ticket_ref",
            ValueKind::PosBatchId => "invalid_pos_batch_id",
            ValueKind::RetailPolicy => "invalid_retail_policy",
        }
    }
}

impl std::fmt::Display for ValueKind {
    /// What the value is, in words: `company name`, `unified social
    /// credit code`, ...
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let words = self.code().trim_start_matches("invalid_").replace('_', " ");
        formatter.write_str(&words)
    }
}

/// The aggregate an error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateKind {
    Rep,
    Customer,
    Lead,
    Visit,
    NurturePack,
    Proposal,
    Config,
    Account,
    Contract,
    ProcessAsset,
    Store,
    Sku,
    Member,
    Promotion,
    PosBatch,
}

impl AggregateKind {
    fn not_found_code(self) -> &'static str {
        match self {
            AggregateKind::Rep => "rep_not_found",
            AggregateKind::Customer => "customer_not_found",
            AggregateKind::Lead => "lead_not_found",
            AggregateKind::Visit => "visit_not_found",
            AggregateKind::NurturePack => "nurture_pack_not_found",
            AggregateKind::Proposal => "proposal_not_found",
            AggregateKind::Config => "config_not_found",
            AggregateKind::Account => "account_not_found",
            AggregateKind::Contract => "contract_not_found",
            AggregateKind::ProcessAsset => "process_asset_not_found",
            AggregateKind::Store => "store_not_found",
            AggregateKind::Sku => "sku_not_found",
            AggregateKind::Member => "member_not_found",
            AggregateKind::Promotion => "promotion_not_found",
            AggregateKind::PosBatch => "pos_batch_not_found",
        }
    }

    fn already_exists_code(self) -> &'static str {
        match self {
            AggregateKind::Rep => "rep_already_exists",
            AggregateKind::Customer => "customer_already_exists",
            AggregateKind::Lead => "lead_already_exists",
            AggregateKind::Visit => "visit_already_exists",
            AggregateKind::NurturePack => "nurture_pack_already_exists",
            AggregateKind::Proposal => "proposal_already_exists",
            AggregateKind::Config => "config_already_exists",
            AggregateKind::Account => "account_already_exists",
            AggregateKind::Contract => "contract_already_exists",
            AggregateKind::ProcessAsset => "process_asset_already_exists",
            AggregateKind::Store => "store_already_exists",
            AggregateKind::Sku => "sku_already_exists",
            AggregateKind::Member => "member_already_exists",
            AggregateKind::Promotion => "promotion_already_exists",
            AggregateKind::PosBatch => "pos_batch_already_exists",
        }
    }
}

impl std::fmt::Display for AggregateKind {
    /// The aggregate in words: `customer`, `nurture pack`, `SKU`, ...
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let words = match self {
            AggregateKind::Sku => "SKU".to_owned(),
            AggregateKind::PosBatch => "POS batch".to_owned(),
            other => other
                .not_found_code()
                .trim_end_matches("_not_found")
                .replace('_', " "),
        };
        formatter.write_str(&words)
    }
}

/// `items` in their display form, separated by `separator`.
fn join<T: std::fmt::Display>(items: &[T], separator: &str) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(separator)
}

fn owner_text(owner: &Option<RepId>) -> String {
    match owner {
        Some(owner) => format!("its owner is rep {owner}"),
        None => "it has no owner".to_owned(),
    }
}

/// `RegisterRep` -> `register_rep`: a unit variant's name as the API
/// spells it (the serde `snake_case` name).
pub(crate) fn snake_case(camel: &str) -> String {
    let mut snake = String::with_capacity(camel.len() + 4);
    for (index, character) in camel.chars().enumerate() {
        if character.is_ascii_uppercase() {
            if index > 0 {
                snake.push('_');
            }
            snake.push(character.to_ascii_lowercase());
        } else {
            snake.push(character);
        }
    }
    snake
}

/// Why a domain command was refused or an event could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    #[error("invalid {value_kind}: {reason}")]
    InvalidValue {
        value_kind: ValueKind,
        reason: String,
    },

    #[error("a rep carries 3 to 5 capability tags, got {count}")]
    CapabilityTagCount { count: usize },

    #[error("a customer carries at most {max} attributes, got {count}")]
    TooManyAttributes { count: usize, max: usize },

    #[error("{aggregate} not found")]
    NotFound { aggregate: AggregateKind },

    #[error("{aggregate} already exists")]
    AlreadyExists { aggregate: AggregateKind },

    #[error("customer {customer_id} is already owned by rep {owner}")]
    CustomerAlreadyOwned {
        customer_id: CustomerId,
        owner: RepId,
    },

    #[error("customer {customer_id} has no owner")]
    CustomerNotOwned { customer_id: CustomerId },

    #[error(
        "rep {rep_id} is not the owner of the customer ({})",
        owner_text(owner)
    )]
    NotCustomerOwner { rep_id: RepId, owner: Option<RepId> },

    #[error("rep {rep_id} is not the rep of this visit ({visit_rep_id})")]
    NotVisitRep { rep_id: RepId, visit_rep_id: RepId },

    #[error("rep {rep_id} already owns the customer")]
    TransferToCurrentOwner { rep_id: RepId },

    #[error("duplicate of {existing} on {key}")]
    DuplicateRecord {
        existing: crate::duplicate::RecordRef,
        key: crate::duplicate::DuplicateKey,
    },

    #[error("duplicate clearance does not match the record being registered")]
    DuplicateClearanceMismatch,

    #[error("lead is not confirmed yet, missing: {}", join(missing, " and "))]
    LeadNotConfirmed { missing: Vec<LeadConfirmation> },

    #[error("lead confirmation {confirmation} already recorded")]
    LeadAlreadyConfirmed { confirmation: LeadConfirmation },

    #[error("lead already routed to rep {rep_id}")]
    LeadAlreadyRouted { rep_id: RepId },

    #[error("no routing has been proposed for this lead")]
    NoRoutingProposal,

    #[error("no eligible rep scored at least the rule set's minimum")]
    NoEligibleRep,

    #[error(
        "rep {rep_id} is not among the proposed candidates ({})",
        join(candidates, ", ")
    )]
    RepNotAmongCandidates {
        rep_id: RepId,
        candidates: Vec<RepId>,
    },

    #[error("config version {proposed} is not newer than the current version {current}")]
    ConfigVersionNotNewer { current: u32, proposed: u32 },

    #[error("watermark email {found} does not match the contact email {expected}")]
    WatermarkEmailMismatch { expected: String, found: String },

    #[error("receipt recipient {found} does not match the contact email {expected}")]
    ReceiptRecipientMismatch { expected: String, found: String },

    #[error("the visit's extraction is already confirmed")]
    ExtractionAlreadyConfirmed,

    #[error("the visit has no extraction to confirm")]
    ExtractionMissing,

    #[error("to-do item {todo_id} not found")]
    TodoNotFound { todo_id: uuid::Uuid },

    #[error("to-do item {todo_id} is already completed")]
    TodoAlreadyCompleted { todo_id: uuid::Uuid },

    #[error("due date {due_on} is before the visit date {visit_on}")]
    DueBeforeVisit {
        due_on: chrono::NaiveDate,
        visit_on: chrono::NaiveDate,
    },

    #[error("{what} at {occurred_at} is later than now ({now})")]
    OccursInFuture {
        what: &'static str,
        occurred_at: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    },

    #[error("day {day} has not closed yet")]
    DayNotClosedYet { day: chrono::NaiveDate },

    #[error("nurture step {step_index} does not exist")]
    NurtureStepNotFound { step_index: u32 },

    #[error("nurture step {step_index} was already sent")]
    NurtureStepAlreadySent { step_index: u32 },

    #[error("nurture step {step_index} has not been sent yet")]
    NurtureStepNotSent { step_index: u32 },

    #[error("the nurture pack is closed")]
    NurturePackClosed,

    #[error("the nurture template has no steps")]
    NurtureTemplateEmpty,

    #[error("{what} dated {date} is later than today ({today})")]
    DateInFuture {
        what: &'static str,
        date: NaiveDate,
        today: NaiveDate,
    },

    #[error("day {day} is earlier than the last closed day {last_closed} and was never closed")]
    DayOutOfOrder {
        day: NaiveDate,
        last_closed: NaiveDate,
    },

    /// Days close in order: after `last_closed`, only `next_day` (the
    /// first day not yet closed) may be closed.
    #[error("day {day} cannot be closed before {next_day}, the first day not yet closed after {last_closed}")]
    DayNotNext {
        day: NaiveDate,
        next_day: NaiveDate,
        last_closed: NaiveDate,
    },

    #[error("the command is for customer {found}, this account is customer {expected}'s")]
    AccountCustomerMismatch {
        expected: CustomerId,
        found: CustomerId,
    },

    #[error("support ticket {ticket_ref} is already recorded on this account")]
    TicketAlreadyRecorded { ticket_ref: TicketRef },

    #[error("support ticket {ticket_ref} not found")]
    TicketNotFound { ticket_ref: TicketRef },

    #[error("support ticket {ticket_ref} is already resolved")]
    TicketAlreadyResolved { ticket_ref: TicketRef },

    #[error("resolved at {resolved_at}, before the ticket was opened ({opened_at})")]
    ResolvedBeforeOpened {
        opened_at: DateTime<Utc>,
        resolved_at: DateTime<Utc>,
    },

    #[error("success reference {reference_ref} is already recorded on this account")]
    SuccessReferenceAlreadyRecorded { reference_ref: ReferenceRef },

    #[error("call-back task {task_id} not found")]
    CallbackTaskNotFound { task_id: CallbackTaskId },

    #[error("call-back task {task_id} is already completed")]
    CallbackTaskAlreadyCompleted { task_id: CallbackTaskId },

    #[error("renewal quoting of customer {customer_id} is not frozen")]
    NotFrozen { customer_id: CustomerId },

    #[error("rescue plan {plan_id} is already submitted")]
    RescuePlanAlreadySubmitted { plan_id: RescuePlanId },

    #[error("rescue plan {plan_id} not found")]
    RescuePlanNotFound { plan_id: RescuePlanId },

    #[error("rescue plan {plan_id} is already approved")]
    RescuePlanAlreadyApproved { plan_id: RescuePlanId },

    /// The plan was submitted during an earlier freeze: only a plan
    /// submitted since quoting was last frozen lifts the freeze (C7).
    #[error(
        "rescue plan {plan_id} was submitted for an earlier freeze; submit a plan for this one"
    )]
    RescuePlanOfEarlierFreeze { plan_id: RescuePlanId },

    #[error("renewal quoting of customer {customer_id} is frozen since {since}")]
    RenewalQuotingFrozen {
        customer_id: CustomerId,
        since: NaiveDate,
    },

    #[error("quote {quote_id} is already recorded")]
    QuoteAlreadyRecorded { quote_id: QuoteId },

    #[error("payment {payment_ref} is already recorded on this contract")]
    PaymentAlreadyRecorded { payment_ref: PaymentRef },

    #[error("payment of {amount_fen} fen exceeds the outstanding {outstanding_fen} fen")]
    PaymentExceedsOutstanding {
        amount_fen: u64,
        outstanding_fen: u64,
    },

    #[error("a lead may not move from stage {from} to {to}")]
    LeadStageNotAllowed { from: FunnelStage, to: FunnelStage },

    #[error("role {} may not issue {command}", role.as_str())]
    Forbidden { role: Role, command: CommandKind },

    #[error("store {store} is not known")]
    UnknownStore { store: StoreCode },

    #[error("SKU {sku} is not known")]
    UnknownSku { sku: SkuCode },

    #[error("a promotion needs at least one target region")]
    PromotionWithoutRegions,

    #[error("region {region} has no store")]
    RegionWithoutStores { region: Region },

    #[error("the promotion starts on {starts_on}, after it ends ({ends_on})")]
    PromotionDatesReversed {
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    },

    #[error("the POS batch has {n_errors} bad line(s)", n_errors = errors.len())]
    InvalidPosBatch {
        errors: Vec<crate::retail::PosLineError>,
    },

    #[error("a POS batch needs at least one sale line")]
    EmptyPosBatch,

    #[error("a POS batch holds at most {max} lines, got {lines}")]
    PosBatchTooLarge { lines: usize, max: usize },

    #[error("POS batch id {batch_id} was already used for other lines")]
    PosBatchIdReused { batch_id: PosBatchId },

    #[error("unknown event type {event_type}")]
    UnknownEventType { event_type: String },

    #[error("unsupported schema version {schema_version} of {event_type}")]
    UnsupportedSchemaVersion {
        event_type: String,
        schema_version: u32,
    },

    #[error("malformed payload of {event_type} v{schema_version}: {reason}")]
    MalformedEventPayload {
        event_type: String,
        schema_version: u32,
        reason: String,
    },

    #[error("event {event_type} could not be encoded: {reason}")]
    EventEncoding { event_type: String, reason: String },
}

impl DomainError {
    /// Stable machine-readable problem code (never changes once published).
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::InvalidValue { value_kind, .. } => value_kind.code(),
            DomainError::CapabilityTagCount { .. } => "capability_tag_count",
            DomainError::TooManyAttributes { .. } => "too_many_attributes",
            DomainError::NotFound { aggregate } => aggregate.not_found_code(),
            DomainError::AlreadyExists { aggregate } => aggregate.already_exists_code(),
            DomainError::CustomerAlreadyOwned { .. } => "customer_already_owned",
            DomainError::CustomerNotOwned { .. } => "customer_not_owned",
            DomainError::NotCustomerOwner { .. } => "not_customer_owner",
            DomainError::NotVisitRep { .. } => "not_visit_rep",
            DomainError::TransferToCurrentOwner { .. } => "transfer_to_current_owner",
            DomainError::DuplicateRecord { .. } => "duplicate_record",
            DomainError::DuplicateClearanceMismatch => "duplicate_clearance_mismatch",
            DomainError::LeadNotConfirmed { .. } => "lead_not_confirmed",
            DomainError::LeadAlreadyConfirmed { .. } => "lead_already_confirmed",
            DomainError::LeadAlreadyRouted { .. } => "lead_already_routed",
            DomainError::NoRoutingProposal => "no_routing_proposal",
            DomainError::NoEligibleRep => "no_eligible_rep",
            DomainError::RepNotAmongCandidates { .. } => "rep_not_proposed",
            DomainError::ConfigVersionNotNewer { .. } => "config_version_not_newer",
            DomainError::WatermarkEmailMismatch { .. } => "watermark_email_mismatch",
            DomainError::ReceiptRecipientMismatch { .. } => "receipt_recipient_mismatch",
            DomainError::ExtractionAlreadyConfirmed => "extraction_already_confirmed",
            DomainError::ExtractionMissing => "extraction_missing",
            DomainError::TodoNotFound { .. } => "todo_not_found",
            DomainError::TodoAlreadyCompleted { .. } => "todo_already_completed",
            DomainError::DueBeforeVisit { .. } => "due_before_visit",
            DomainError::OccursInFuture { .. } => "occurs_in_future",
            DomainError::DayNotClosedYet { .. } => "day_not_closed_yet",
            DomainError::NurtureStepNotFound { .. } => "nurture_step_not_found",
            DomainError::NurtureStepAlreadySent { .. } => "nurture_step_already_sent",
            DomainError::NurtureStepNotSent { .. } => "nurture_step_not_sent",
            DomainError::NurturePackClosed => "nurture_pack_closed",
            DomainError::NurtureTemplateEmpty => "nurture_template_empty",
            DomainError::DateInFuture { .. } => "date_in_future",
            DomainError::DayOutOfOrder { .. } => "day_out_of_order",
            DomainError::DayNotNext { .. } => "day_not_next",
            DomainError::AccountCustomerMismatch { .. } => "account_customer_mismatch",
            DomainError::TicketAlreadyRecorded { .. } => "ticket_already_recorded",
            DomainError::TicketNotFound { .. } => "ticket_not_found",
            DomainError::TicketAlreadyResolved { .. } => "ticket_already_resolved",
            DomainError::ResolvedBeforeOpened { .. } => "resolved_before_opened",
            DomainError::SuccessReferenceAlreadyRecorded { .. } => {
                "success_reference_already_recorded"
            }
            DomainError::CallbackTaskNotFound { .. } => "callback_task_not_found",
            DomainError::CallbackTaskAlreadyCompleted { .. } => "callback_task_already_completed",
            DomainError::NotFrozen { .. } => "not_frozen",
            DomainError::RescuePlanAlreadySubmitted { .. } => "rescue_plan_already_submitted",
            DomainError::RescuePlanNotFound { .. } => "rescue_plan_not_found",
            DomainError::RescuePlanAlreadyApproved { .. } => "rescue_plan_already_approved",
            DomainError::RescuePlanOfEarlierFreeze { .. } => "rescue_plan_of_earlier_freeze",
            DomainError::RenewalQuotingFrozen { .. } => "renewal_quoting_frozen",
            DomainError::QuoteAlreadyRecorded { .. } => "quote_already_recorded",
            DomainError::PaymentAlreadyRecorded { .. } => "payment_already_recorded",
            DomainError::PaymentExceedsOutstanding { .. } => "payment_exceeds_outstanding",
            DomainError::LeadStageNotAllowed { .. } => "lead_stage_not_allowed",
            DomainError::Forbidden { .. } => "forbidden",
            DomainError::UnknownStore { .. } => "unknown_store",
            DomainError::UnknownSku { .. } => "unknown_sku",
            DomainError::PromotionWithoutRegions => "promotion_without_regions",
            DomainError::RegionWithoutStores { .. } => "region_without_stores",
            DomainError::PromotionDatesReversed { .. } => "promotion_dates_reversed",
            DomainError::InvalidPosBatch { .. } => "invalid_pos_batch",
            DomainError::PosBatchIdReused { .. } => "pos_batch_id_reused",
            DomainError::EmptyPosBatch => "empty_pos_batch",
            DomainError::PosBatchTooLarge { .. } => "pos_batch_too_large",
            DomainError::UnknownEventType { .. } => "unknown_event_type",
            DomainError::UnsupportedSchemaVersion { .. } => "unsupported_schema_version",
            DomainError::MalformedEventPayload { .. } => "malformed_event_payload",
            DomainError::EventEncoding { .. } => "event_encoding_failed",
        }
    }

    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            DomainError::InvalidValue { .. }
            | DomainError::CapabilityTagCount { .. }
            | DomainError::TooManyAttributes { .. }
            | DomainError::TransferToCurrentOwner { .. }
            | DomainError::DuplicateClearanceMismatch
            | DomainError::RepNotAmongCandidates { .. }
            | DomainError::WatermarkEmailMismatch { .. }
            | DomainError::ReceiptRecipientMismatch { .. }
            | DomainError::DueBeforeVisit { .. }
            | DomainError::OccursInFuture { .. }
            | DomainError::NurtureTemplateEmpty
            | DomainError::DateInFuture { .. }
            | DomainError::AccountCustomerMismatch { .. }
            | DomainError::ResolvedBeforeOpened { .. }
            | DomainError::UnknownStore { .. }
            | DomainError::UnknownSku { .. }
            | DomainError::PromotionWithoutRegions
            | DomainError::RegionWithoutStores { .. }
            | DomainError::PromotionDatesReversed { .. }
            | DomainError::InvalidPosBatch { .. }
            | DomainError::EmptyPosBatch
            | DomainError::PosBatchTooLarge { .. } => ErrorKind::Invalid,
            DomainError::NotFound { .. }
            | DomainError::TodoNotFound { .. }
            | DomainError::NurtureStepNotFound { .. }
            | DomainError::TicketNotFound { .. }
            | DomainError::CallbackTaskNotFound { .. }
            | DomainError::RescuePlanNotFound { .. } => ErrorKind::NotFound,
            DomainError::AlreadyExists { .. }
            | DomainError::CustomerAlreadyOwned { .. }
            | DomainError::DuplicateRecord { .. }
            | DomainError::LeadAlreadyConfirmed { .. }
            | DomainError::LeadAlreadyRouted { .. }
            | DomainError::ConfigVersionNotNewer { .. }
            | DomainError::ExtractionAlreadyConfirmed
            | DomainError::TodoAlreadyCompleted { .. }
            | DomainError::NurtureStepAlreadySent { .. }
            | DomainError::NurturePackClosed
            | DomainError::DayOutOfOrder { .. }
            | DomainError::DayNotNext { .. }
            | DomainError::TicketAlreadyRecorded { .. }
            | DomainError::TicketAlreadyResolved { .. }
            | DomainError::SuccessReferenceAlreadyRecorded { .. }
            | DomainError::CallbackTaskAlreadyCompleted { .. }
            | DomainError::NotFrozen { .. }
            | DomainError::RescuePlanAlreadySubmitted { .. }
            | DomainError::RescuePlanAlreadyApproved { .. }
            | DomainError::RescuePlanOfEarlierFreeze { .. }
            | DomainError::RenewalQuotingFrozen { .. }
            | DomainError::QuoteAlreadyRecorded { .. }
            | DomainError::PaymentAlreadyRecorded { .. }
            | DomainError::PaymentExceedsOutstanding { .. }
            | DomainError::LeadStageNotAllowed { .. }
            | DomainError::PosBatchIdReused { .. } => ErrorKind::Conflict,
            DomainError::NotCustomerOwner { .. }
            | DomainError::NotVisitRep { .. }
            | DomainError::Forbidden { .. } => ErrorKind::Forbidden,
            DomainError::CustomerNotOwned { .. }
            | DomainError::LeadNotConfirmed { .. }
            | DomainError::NoRoutingProposal
            | DomainError::NoEligibleRep
            | DomainError::ExtractionMissing
            | DomainError::DayNotClosedYet { .. }
            | DomainError::NurtureStepNotSent { .. } => ErrorKind::PreconditionFailed,
            DomainError::UnknownEventType { .. }
            | DomainError::UnsupportedSchemaVersion { .. }
            | DomainError::MalformedEventPayload { .. }
            | DomainError::EventEncoding { .. } => ErrorKind::Corrupt,
        }
    }

    pub(crate) fn invalid(value_kind: ValueKind, reason: impl Into<String>) -> Self {
        DomainError::InvalidValue {
            value_kind,
            reason: reason.into(),
        }
    }
}
