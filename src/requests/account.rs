//! Requests addressed to a customer's account (customer-success inputs and the health process).

use super::*;

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
    /// `customer_id` comes from the path.
    pub fn into_command(self, customer_id: CustomerId) -> Result<AccountCommand, DtoError> {
        let modules_used = parse_each("modules_used", &self.modules_used, ModuleName::parse)?;
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
    /// `customer_id` comes from the path.
    pub fn into_command(self, customer_id: CustomerId) -> Result<AccountCommand, DtoError> {
        let searches = each_item("searches", self.searches, |at, search| {
            Ok(KeywordSearch {
                keyword: parse_value(&format!("{at}.keyword"), &search.keyword, Keyword::parse)?,
                searched_on: search.searched_on,
                count: search.count,
            })
        })?;
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
