//! The account aggregate: a customer's customer-success inputs and the
//! health process (SPEC C7, C8).
//!
//! Stream `account-<customer uuid>`, created by its first event (the gateway
//! checks the customer exists). It keeps the [`HealthInputs`] (usage,
//! modules, tickets, renewal, success references, competitor keyword
//! searches), the current health level, call-back tasks, the renewal-quoting
//! freeze and rescue plans.
//!
//! `EvaluateHealth` (issued by the day-close process manager for every
//! customer) computes [`crate::health::evaluate`] as of the closed day and
//! decides, in order: a call-back task still open and due at or before the
//! day close is missed; if the level changed, `HealthLevelChanged` then green
//! -> `SuccessCasePushed` (when the customer has an owner), yellow ->
//! `CallbackTaskCreated` (when no call-back is open), red ->
//! `RenewalQuotingFrozen` (unless frozen). Evaluating a day at or before
//! the last day an evaluation appended for ([`Account::evaluated_through`])
//! appends nothing, whatever the inputs and the policy are now: that day,
//! or a later one, was decided (an evaluation appends its events at once).
//! An evaluation that changed nothing appends nothing and so leaves no
//! trace: the day-close process manager runs the evaluation of a day only
//! while it is the last closed day, so an earlier day is never evaluated
//! after a later one. Renewal quoting stays frozen until a rescue plan is
//! submitted and approved (the CTO role only, see
//! [`crate::role::AUTHORISATION`]).
//!
//! Decisions refining the design: every command carries the `customer_id`
//! of its stream (an empty stream cannot know it; a command for another
//! customer is refused `account_customer_mismatch`); commands that record a
//! person carry it (`completed_by`, `submitted_by`, `approved_by`,
//! `quoted_by`); `CallbackTaskCompleted` also records the optional `note`;
//! a call-back task that was missed no longer counts as "open" for creating
//! a new one (it can still be completed later, `met: false`). Knows nothing
//! of storage, customers' ownership (the owner is passed in) or the clock.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::calendar::moved_by;
use crate::error::{DomainError, ValueKind};
use crate::event::Event;
use crate::health::{
    evaluate, input_customer_of, local_day, DailyUsage, HealthInputs, HealthPolicy, IndicatorScore,
    KeywordSearch, Level,
};
use crate::role::{CommandKind, Role};
use crate::value::{
    uuid_v5, ActorId, CallbackTaskId, CustomerId, ModuleName, PlanName, QuoteId, ReferenceRef,
    RepId, RescuePlanId, Text, TicketRef,
};

/// The most days one usage report may carry.
pub const MAX_USAGE_DAYS_PER_REPORT: usize = 31;
/// The most keyword searches one report may carry.
pub const MAX_KEYWORD_SEARCHES_PER_REPORT: usize = 100;

/// A CSM call-back task created when a customer turned yellow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackTask {
    pub task_id: CallbackTaskId,
    pub day: NaiveDate,
    pub due_at: DateTime<Utc>,
    /// Set when a day close at or after `due_at` found it open.
    pub missed: bool,
    pub completed_at: Option<DateTime<Utc>>,
    pub met: Option<bool>,
}

impl CallbackTask {
    /// Open: neither completed nor missed.
    pub fn is_open(&self) -> bool {
        self.completed_at.is_none() && !self.missed
    }
}

/// A rescue plan for a frozen customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RescuePlan {
    pub plan_id: RescuePlanId,
    pub summary: Text,
    pub submitted_by: ActorId,
    pub submitted_at: DateTime<Utc>,
    pub approved_by: Option<ActorId>,
    pub approved_at: Option<DateTime<Utc>>,
}

/// State of one customer's account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Known once the first event is applied.
    pub customer_id: Option<CustomerId>,
    pub inputs: HealthInputs,
    /// Every ticket ref ever recorded (refs are unique per account, even after pruning).
    pub ticket_refs: BTreeSet<TicketRef>,
    /// Every success-reference ref ever recorded.
    pub reference_refs: BTreeSet<ReferenceRef>,
    /// The current level (None before the first evaluation that recorded one).
    pub level: Option<Level>,
    /// The score and day of the last recorded level change.
    pub level_score_bp: Option<u32>,
    pub level_day: Option<NaiveDate>,
    /// The latest day a health evaluation appended events for (the
    /// largest `day` of `HealthLevelChanged`, `CallbackTaskMissed`,
    /// `CallbackTaskCreated`, `SuccessCasePushed`, `RenewalQuotingFrozen`):
    /// an evaluation of this day or an earlier one appends nothing. A later
    /// evaluation that changed nothing appended nothing, so this is at most
    /// the last day evaluated.
    pub evaluated_through: Option<NaiveDate>,
    pub callback_tasks: BTreeMap<CallbackTaskId, CallbackTask>,
    /// The day renewal quoting was frozen, while frozen.
    pub frozen_since: Option<NaiveDate>,
    /// The rescue plans submitted since quoting was last frozen: the only
    /// ones whose approval lifts the freeze in force (C7).
    #[serde(skip)]
    pub plans_of_this_freeze: BTreeSet<RescuePlanId>,
    pub rescue_plans: BTreeMap<RescuePlanId, RescuePlan>,
    pub quotes: BTreeSet<QuoteId>,
}

impl Account {
    /// The call-back task still open, if any.
    pub fn open_callback(&self) -> Option<&CallbackTask> {
        self.callback_tasks.values().find(|task| task.is_open())
    }

    /// Whether the evaluation of `day` was decided already: an evaluation
    /// appended events for it or for a later day.
    pub fn was_evaluated(&self, day: NaiveDate) -> bool {
        self.evaluated_through.is_some_and(|through| day <= through)
    }

    /// Folds the `day` of an evaluation's event (the largest one wins, so a
    /// log whose evaluations are out of order folds the same).
    fn record_evaluation(&mut self, day: NaiveDate) {
        self.evaluated_through = self.evaluated_through.max(Some(day));
    }

    fn check_customer(&self, customer_id: CustomerId) -> Result<(), DomainError> {
        match self.customer_id {
            Some(expected) if expected != customer_id => {
                Err(DomainError::AccountCustomerMismatch {
                    expected,
                    found: customer_id,
                })
            }
            _ => Ok(()),
        }
    }
}

/// The deterministic id of the call-back task created for `customer_id`
/// on `day`: UUIDv5(NAMESPACE_OID, `"callback:<customer>:<day>"`).
pub fn callback_task_id(customer_id: CustomerId, day: NaiveDate) -> CallbackTaskId {
    CallbackTaskId::from_uuid(uuid_v5(&format!("callback:{customer_id}:{day}")))
}

// ---- commands ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountCommand {
    /// 1..=31 days with unique dates, none after today (China time).
    ReportUsage {
        customer_id: CustomerId,
        days: Vec<DailyUsage>,
        modules_used: Vec<ModuleName>,
        last_login_at: Option<DateTime<Utc>>,
    },
    /// A ticket ref not yet used on this account; not opened in the future.
    OpenTicket {
        customer_id: CustomerId,
        ticket_ref: TicketRef,
        opened_at: DateTime<Utc>,
        subject: Option<Text>,
    },
    /// Resolves an open ticket; `opened_at <= resolved_at <= now`.
    ResolveTicket {
        customer_id: CustomerId,
        ticket_ref: TicketRef,
        resolved_at: DateTime<Utc>,
    },
    SetRenewal {
        customer_id: CustomerId,
        renewal_on: NaiveDate,
        plan: PlanName,
    },
    /// A reference ref not yet used on this account, not dated after today.
    RecordSuccessReference {
        customer_id: CustomerId,
        reference_ref: ReferenceRef,
        title: Text,
        referenced_on: NaiveDate,
    },
    /// 1..=100 searches, counts >= 1, none after today.
    RecordKeywordSearches {
        customer_id: CustomerId,
        searches: Vec<KeywordSearch>,
    },
    /// The day-close health evaluation (CommandKind::CloseDay).
    EvaluateHealth {
        customer_id: CustomerId,
        day: NaiveDate,
        closes_at: DateTime<Utc>,
        policy: HealthPolicy,
        owner: Option<RepId>,
    },
    CompleteCallback {
        customer_id: CustomerId,
        task_id: CallbackTaskId,
        note: Option<Text>,
        completed_by: ActorId,
    },
    /// Only while renewal quoting is frozen.
    SubmitRescuePlan {
        customer_id: CustomerId,
        plan_id: RescuePlanId,
        summary: Text,
        submitted_by: ActorId,
    },
    /// CTO only; the plan is submitted, not yet approved, and quoting is still frozen.
    ApproveRescuePlan {
        customer_id: CustomerId,
        plan_id: RescuePlanId,
        approved_by: ActorId,
    },
    /// Refused while renewal quoting is frozen.
    QuoteRenewal {
        customer_id: CustomerId,
        quote_id: QuoteId,
        amount_fen: u64,
        valid_until: NaiveDate,
        quoted_by: ActorId,
    },
}

impl AccountCommand {
    /// The customer (and so the stream) this command is for.
    pub fn customer_id(&self) -> CustomerId {
        match self {
            AccountCommand::ReportUsage { customer_id, .. }
            | AccountCommand::OpenTicket { customer_id, .. }
            | AccountCommand::ResolveTicket { customer_id, .. }
            | AccountCommand::SetRenewal { customer_id, .. }
            | AccountCommand::RecordSuccessReference { customer_id, .. }
            | AccountCommand::RecordKeywordSearches { customer_id, .. }
            | AccountCommand::EvaluateHealth { customer_id, .. }
            | AccountCommand::CompleteCallback { customer_id, .. }
            | AccountCommand::SubmitRescuePlan { customer_id, .. }
            | AccountCommand::ApproveRescuePlan { customer_id, .. }
            | AccountCommand::QuoteRenewal { customer_id, .. } => *customer_id,
        }
    }

    pub fn kind(&self) -> CommandKind {
        match self {
            AccountCommand::ReportUsage { .. } => CommandKind::ReportUsage,
            AccountCommand::OpenTicket { .. } | AccountCommand::ResolveTicket { .. } => {
                CommandKind::RecordSupportTicket
            }
            AccountCommand::SetRenewal { .. } => CommandKind::SetRenewal,
            AccountCommand::RecordSuccessReference { .. } => CommandKind::RecordSuccessReference,
            AccountCommand::RecordKeywordSearches { .. } => CommandKind::RecordKeywordSearches,
            AccountCommand::EvaluateHealth { .. } => CommandKind::CloseDay,
            AccountCommand::CompleteCallback { .. } => CommandKind::CompleteCallback,
            AccountCommand::SubmitRescuePlan { .. } => CommandKind::SubmitRescuePlan,
            AccountCommand::ApproveRescuePlan { .. } => CommandKind::ApproveRescuePlan,
            AccountCommand::QuoteRenewal { .. } => CommandKind::QuoteRenewal,
        }
    }
}

// ---- events ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageReported {
    pub customer_id: CustomerId,
    pub days: Vec<DailyUsage>,
    pub modules_used: Vec<ModuleName>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub reported_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportTicketOpened {
    pub customer_id: CustomerId,
    pub ticket_ref: TicketRef,
    pub subject: Option<Text>,
    pub opened_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportTicketResolved {
    pub customer_id: CustomerId,
    pub ticket_ref: TicketRef,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: DateTime<Utc>,
    pub resolution_seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalDateSet {
    pub customer_id: CustomerId,
    pub renewal_on: NaiveDate,
    pub plan: PlanName,
    pub set_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuccessReferenceRecorded {
    pub customer_id: CustomerId,
    pub reference_ref: ReferenceRef,
    pub title: Text,
    pub referenced_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetitorKeywordsSearched {
    pub customer_id: CustomerId,
    pub searches: Vec<KeywordSearch>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackTaskMissed {
    pub task_id: CallbackTaskId,
    pub customer_id: CustomerId,
    pub due_at: DateTime<Utc>,
    /// The closed day whose evaluation found it open past its due time.
    pub day: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthLevelChanged {
    pub customer_id: CustomerId,
    pub day: NaiveDate,
    pub from: Option<Level>,
    pub to: Level,
    pub score_bp: u32,
    pub policy_version: u32,
    pub indicators: Vec<IndicatorScore>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuccessCasePushed {
    pub customer_id: CustomerId,
    pub owner: RepId,
    pub day: NaiveDate,
    pub score_bp: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackTaskCreated {
    pub task_id: CallbackTaskId,
    pub customer_id: CustomerId,
    pub day: NaiveDate,
    pub due_at: DateTime<Utc>,
    /// Always `csm`.
    pub assigned_role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalQuotingFrozen {
    pub customer_id: CustomerId,
    pub day: NaiveDate,
    pub score_bp: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackTaskCompleted {
    pub task_id: CallbackTaskId,
    pub customer_id: CustomerId,
    pub completed_by: ActorId,
    pub completed_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// Completed at or before `due_at`.
    pub met: bool,
    /// The CSM's note on the call (an addition to the design's field list).
    pub note: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescuePlanSubmitted {
    pub plan_id: RescuePlanId,
    pub customer_id: CustomerId,
    pub summary: Text,
    pub submitted_by: ActorId,
    pub submitted_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescuePlanApproved {
    pub plan_id: RescuePlanId,
    pub customer_id: CustomerId,
    pub approved_by: ActorId,
    pub approved_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalQuotingUnfrozen {
    pub customer_id: CustomerId,
    pub plan_id: RescuePlanId,
    pub unfrozen_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalQuoted {
    pub quote_id: QuoteId,
    pub customer_id: CustomerId,
    pub amount_fen: u64,
    pub valid_until: NaiveDate,
    pub quoted_by: ActorId,
    pub quoted_at: DateTime<Utc>,
}

fn not_after_today(
    what: &'static str,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let today = local_day(now);
    if date > today {
        return Err(DomainError::DateInFuture { what, date, today });
    }
    Ok(())
}

fn not_in_future(
    what: &'static str,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    if occurred_at > now {
        return Err(DomainError::OccursInFuture {
            what,
            occurred_at,
            now,
        });
    }
    Ok(())
}

/// The events of the health evaluation of `day` (see the module docs).
fn evaluate_health(
    account: &Account,
    customer_id: CustomerId,
    day: NaiveDate,
    closes_at: DateTime<Utc>,
    policy: &HealthPolicy,
    owner: Option<RepId>,
) -> Vec<Event> {
    let breakdown = evaluate(&account.inputs, day, policy);
    let mut events = Vec::new();
    let mut callback_open = false;
    if let Some(task) = account.open_callback() {
        if task.due_at <= closes_at {
            events.push(Event::CallbackTaskMissed(CallbackTaskMissed {
                task_id: task.task_id,
                customer_id,
                due_at: task.due_at,
                day,
            }));
        } else {
            callback_open = true;
        }
    }
    if account.level == Some(breakdown.level) {
        return events;
    }
    events.push(Event::HealthLevelChanged(HealthLevelChanged {
        customer_id,
        day,
        from: account.level,
        to: breakdown.level,
        score_bp: breakdown.score_bp,
        policy_version: breakdown.policy_version,
        indicators: breakdown.indicators.clone(),
    }));
    match breakdown.level {
        Level::Green => {
            if let Some(owner) = owner {
                events.push(Event::SuccessCasePushed(SuccessCasePushed {
                    customer_id,
                    owner,
                    day,
                    score_bp: breakdown.score_bp,
                }));
            }
        }
        Level::Yellow => {
            let task_id = callback_task_id(customer_id, day);
            if !callback_open && !account.callback_tasks.contains_key(&task_id) {
                events.push(Event::CallbackTaskCreated(CallbackTaskCreated {
                    task_id,
                    customer_id,
                    day,
                    due_at: moved_by(
                        closes_at,
                        Duration::hours(i64::from(policy.callback_due_hours)),
                    ),
                    assigned_role: Role::Csm,
                }));
            }
        }
        Level::Red => {
            if account.frozen_since.is_none() {
                events.push(Event::RenewalQuotingFrozen(RenewalQuotingFrozen {
                    customer_id,
                    day,
                    score_bp: breakdown.score_bp,
                }));
            }
        }
    }
    events
}

/// The customer whose account this event concerns: its health inputs
/// ([`input_customer_of`]) and the account's own events; `None` for the
/// events of other aggregates.
pub fn account_customer_of(event: &Event) -> Option<CustomerId> {
    if let Some(customer_id) = input_customer_of(event) {
        return Some(customer_id);
    }
    Some(match event {
        Event::CallbackTaskMissed(event) => event.customer_id,
        Event::HealthLevelChanged(event) => event.customer_id,
        Event::SuccessCasePushed(event) => event.customer_id,
        Event::CallbackTaskCreated(event) => event.customer_id,
        Event::RenewalQuotingFrozen(event) => event.customer_id,
        Event::CallbackTaskCompleted(event) => event.customer_id,
        Event::RescuePlanSubmitted(event) => event.customer_id,
        Event::RescuePlanApproved(event) => event.customer_id,
        Event::RenewalQuotingUnfrozen(event) => event.customer_id,
        Event::RenewalQuoted(event) => event.customer_id,
        _ => return None,
    })
}

impl crate::business_time::BusinessTimes for AccountCommand {
    fn business_times(&self) -> Vec<crate::business_time::BusinessTime> {
        use crate::business_time::BusinessTime;
        match self {
            AccountCommand::ReportUsage {
                customer_id: _,
                days: _,
                modules_used: _,
                last_login_at,
            } => last_login_at
                .iter()
                .map(|at| BusinessTime::new("last_login_at", *at))
                .collect(),
            AccountCommand::OpenTicket {
                customer_id: _,
                ticket_ref: _,
                opened_at,
                subject: _,
            } => vec![BusinessTime::new("opened_at", *opened_at)],
            AccountCommand::ResolveTicket {
                customer_id: _,
                ticket_ref: _,
                resolved_at,
            } => vec![BusinessTime::new("resolved_at", *resolved_at)],
            // Days (`renewal_on`, `referenced_on`, `searched_on`, usage
            // days) are checked against today by the domain; the health
            // evaluation's `closes_at` is derived from the closed day.
            AccountCommand::SetRenewal {
                customer_id: _,
                renewal_on: _,
                plan: _,
            }
            | AccountCommand::RecordSuccessReference {
                customer_id: _,
                reference_ref: _,
                title: _,
                referenced_on: _,
            }
            | AccountCommand::RecordKeywordSearches {
                customer_id: _,
                searches: _,
            }
            | AccountCommand::EvaluateHealth {
                customer_id: _,
                day: _,
                closes_at: _,
                policy: _,
                owner: _,
            }
            | AccountCommand::CompleteCallback {
                customer_id: _,
                task_id: _,
                note: _,
                completed_by: _,
            }
            | AccountCommand::SubmitRescuePlan {
                customer_id: _,
                plan_id: _,
                summary: _,
                submitted_by: _,
            }
            | AccountCommand::ApproveRescuePlan {
                customer_id: _,
                plan_id: _,
                approved_by: _,
            }
            | AccountCommand::QuoteRenewal {
                customer_id: _,
                quote_id: _,
                amount_fen: _,
                valid_until: _,
                quoted_by: _,
            } => Vec::new(),
        }
    }
}

impl Aggregate for Account {
    type Command = AccountCommand;

    fn command_kind(command: &AccountCommand) -> CommandKind {
        command.kind()
    }

    fn apply(&mut self, event: &Event) {
        let Some(customer_id) = account_customer_of(event) else {
            return;
        };
        self.customer_id.get_or_insert(customer_id);
        self.inputs.apply(event);
        match event {
            Event::SupportTicketOpened(opened) => {
                self.ticket_refs.insert(opened.ticket_ref.clone());
            }
            Event::SuccessReferenceRecorded(recorded) => {
                self.reference_refs.insert(recorded.reference_ref.clone());
            }
            Event::CallbackTaskMissed(missed) => {
                self.record_evaluation(missed.day);
                if let Some(task) = self.callback_tasks.get_mut(&missed.task_id) {
                    task.missed = true;
                }
            }
            Event::HealthLevelChanged(changed) => {
                self.record_evaluation(changed.day);
                self.level = Some(changed.to);
                self.level_score_bp = Some(changed.score_bp);
                self.level_day = Some(changed.day);
            }
            Event::SuccessCasePushed(pushed) => {
                self.record_evaluation(pushed.day);
            }
            Event::CallbackTaskCreated(created) => {
                self.record_evaluation(created.day);
                self.callback_tasks.insert(
                    created.task_id,
                    CallbackTask {
                        task_id: created.task_id,
                        day: created.day,
                        due_at: created.due_at,
                        missed: false,
                        completed_at: None,
                        met: None,
                    },
                );
            }
            Event::RenewalQuotingFrozen(frozen) => {
                self.record_evaluation(frozen.day);
                self.frozen_since = Some(frozen.day);
                self.plans_of_this_freeze.clear();
            }
            Event::CallbackTaskCompleted(completed) => {
                if let Some(task) = self.callback_tasks.get_mut(&completed.task_id) {
                    task.completed_at = Some(completed.completed_at);
                    task.met = Some(completed.met);
                }
            }
            Event::RescuePlanSubmitted(submitted) => {
                self.plans_of_this_freeze.insert(submitted.plan_id);
                self.rescue_plans.insert(
                    submitted.plan_id,
                    RescuePlan {
                        plan_id: submitted.plan_id,
                        summary: submitted.summary.clone(),
                        submitted_by: submitted.submitted_by.clone(),
                        submitted_at: submitted.submitted_at,
                        approved_by: None,
                        approved_at: None,
                    },
                );
            }
            Event::RescuePlanApproved(approved) => {
                if let Some(plan) = self.rescue_plans.get_mut(&approved.plan_id) {
                    plan.approved_by = Some(approved.approved_by.clone());
                    plan.approved_at = Some(approved.approved_at);
                }
            }
            Event::RenewalQuotingUnfrozen(_) => {
                self.frozen_since = None;
            }
            Event::RenewalQuoted(quoted) => {
                self.quotes.insert(quoted.quote_id);
            }
            _ => {}
        }
    }

    fn decide(
        &self,
        command: AccountCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        let customer_id = command.customer_id();
        self.check_customer(customer_id)?;
        match command {
            AccountCommand::ReportUsage {
                customer_id,
                days,
                modules_used,
                last_login_at,
            } => {
                if !(1..=MAX_USAGE_DAYS_PER_REPORT).contains(&days.len()) {
                    return Err(DomainError::invalid(
                        ValueKind::UsageReport,
                        "a usage report carries 1 to 31 days",
                    ));
                }
                let distinct: BTreeSet<NaiveDate> = days.iter().map(|day| day.day).collect();
                if distinct.len() != days.len() {
                    return Err(DomainError::invalid(
                        ValueKind::UsageReport,
                        "the days of a usage report must be distinct",
                    ));
                }
                for day in &days {
                    not_after_today("usage day", day.day, now)?;
                }
                if let Some(last_login_at) = last_login_at {
                    not_in_future("last login", last_login_at, now)?;
                }
                let modules_used: Vec<ModuleName> = modules_used
                    .into_iter()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                Ok(vec![Event::UsageReported(UsageReported {
                    customer_id,
                    days,
                    modules_used,
                    last_login_at,
                    reported_at: now,
                })])
            }
            AccountCommand::OpenTicket {
                customer_id,
                ticket_ref,
                opened_at,
                subject,
            } => {
                if self.ticket_refs.contains(&ticket_ref) {
                    return Err(DomainError::TicketAlreadyRecorded { ticket_ref });
                }
                not_in_future("ticket opening", opened_at, now)?;
                Ok(vec![Event::SupportTicketOpened(SupportTicketOpened {
                    customer_id,
                    ticket_ref,
                    subject,
                    opened_at,
                })])
            }
            AccountCommand::ResolveTicket {
                customer_id,
                ticket_ref,
                resolved_at,
            } => {
                let Some(open) = self.inputs.open_tickets.get(&ticket_ref) else {
                    if self.ticket_refs.contains(&ticket_ref) {
                        return Err(DomainError::TicketAlreadyResolved { ticket_ref });
                    }
                    return Err(DomainError::TicketNotFound { ticket_ref });
                };
                not_in_future("ticket resolution", resolved_at, now)?;
                if resolved_at < open.opened_at {
                    return Err(DomainError::ResolvedBeforeOpened {
                        opened_at: open.opened_at,
                        resolved_at,
                    });
                }
                let resolution_seconds =
                    u64::try_from((resolved_at - open.opened_at).num_seconds()).unwrap_or(0);
                Ok(vec![Event::SupportTicketResolved(SupportTicketResolved {
                    customer_id,
                    ticket_ref,
                    opened_at: open.opened_at,
                    resolved_at,
                    resolution_seconds,
                })])
            }
            AccountCommand::SetRenewal {
                customer_id,
                renewal_on,
                plan,
            } => {
                let unchanged = self.inputs.renewal.as_ref().is_some_and(|renewal| {
                    renewal.renewal_on == renewal_on && renewal.plan == plan
                });
                if unchanged {
                    return Ok(Vec::new());
                }
                Ok(vec![Event::RenewalDateSet(RenewalDateSet {
                    customer_id,
                    renewal_on,
                    plan,
                    set_at: now,
                })])
            }
            AccountCommand::RecordSuccessReference {
                customer_id,
                reference_ref,
                title,
                referenced_on,
            } => {
                if self.reference_refs.contains(&reference_ref) {
                    return Err(DomainError::SuccessReferenceAlreadyRecorded { reference_ref });
                }
                not_after_today("success reference", referenced_on, now)?;
                Ok(vec![Event::SuccessReferenceRecorded(
                    SuccessReferenceRecorded {
                        customer_id,
                        reference_ref,
                        title,
                        referenced_on,
                        recorded_at: now,
                    },
                )])
            }
            AccountCommand::RecordKeywordSearches {
                customer_id,
                searches,
            } => {
                if !(1..=MAX_KEYWORD_SEARCHES_PER_REPORT).contains(&searches.len()) {
                    return Err(DomainError::invalid(
                        ValueKind::KeywordSearches,
                        "a report carries 1 to 100 keyword searches",
                    ));
                }
                if searches.iter().any(|search| search.count == 0) {
                    return Err(DomainError::invalid(
                        ValueKind::KeywordSearches,
                        "every search count is at least 1",
                    ));
                }
                for search in &searches {
                    not_after_today("keyword search", search.searched_on, now)?;
                }
                Ok(vec![Event::CompetitorKeywordsSearched(
                    CompetitorKeywordsSearched {
                        customer_id,
                        searches,
                        recorded_at: now,
                    },
                )])
            }
            AccountCommand::EvaluateHealth {
                customer_id,
                day,
                closes_at,
                policy,
                owner,
            } => {
                policy.validate()?;
                if now < closes_at {
                    return Err(DomainError::DayNotClosedYet { day });
                }
                if self.was_evaluated(day) {
                    // Decided already (this day or a later one): today's
                    // inputs and policy say nothing about that day.
                    return Ok(Vec::new());
                }
                Ok(evaluate_health(
                    self,
                    customer_id,
                    day,
                    closes_at,
                    &policy,
                    owner,
                ))
            }
            AccountCommand::CompleteCallback {
                customer_id,
                task_id,
                note,
                completed_by,
            } => {
                let task = self
                    .callback_tasks
                    .get(&task_id)
                    .ok_or(DomainError::CallbackTaskNotFound { task_id })?;
                if task.completed_at.is_some() {
                    return Err(DomainError::CallbackTaskAlreadyCompleted { task_id });
                }
                Ok(vec![Event::CallbackTaskCompleted(CallbackTaskCompleted {
                    task_id,
                    customer_id,
                    completed_by,
                    completed_at: now,
                    due_at: task.due_at,
                    met: now <= task.due_at,
                    note,
                })])
            }
            AccountCommand::SubmitRescuePlan {
                customer_id,
                plan_id,
                summary,
                submitted_by,
            } => {
                if self.frozen_since.is_none() {
                    return Err(DomainError::NotFrozen { customer_id });
                }
                if self.rescue_plans.contains_key(&plan_id) {
                    return Err(DomainError::RescuePlanAlreadySubmitted { plan_id });
                }
                Ok(vec![Event::RescuePlanSubmitted(RescuePlanSubmitted {
                    plan_id,
                    customer_id,
                    summary,
                    submitted_by,
                    submitted_at: now,
                })])
            }
            AccountCommand::ApproveRescuePlan {
                customer_id,
                plan_id,
                approved_by,
            } => {
                let plan = self
                    .rescue_plans
                    .get(&plan_id)
                    .ok_or(DomainError::RescuePlanNotFound { plan_id })?;
                if plan.approved_at.is_some() {
                    return Err(DomainError::RescuePlanAlreadyApproved { plan_id });
                }
                if self.frozen_since.is_none() {
                    return Err(DomainError::NotFrozen { customer_id });
                }
                if !self.plans_of_this_freeze.contains(&plan_id) {
                    return Err(DomainError::RescuePlanOfEarlierFreeze { plan_id });
                }
                Ok(vec![
                    Event::RescuePlanApproved(RescuePlanApproved {
                        plan_id,
                        customer_id,
                        approved_by,
                        approved_at: now,
                    }),
                    Event::RenewalQuotingUnfrozen(RenewalQuotingUnfrozen {
                        customer_id,
                        plan_id,
                        unfrozen_at: now,
                    }),
                ])
            }
            AccountCommand::QuoteRenewal {
                customer_id,
                quote_id,
                amount_fen,
                valid_until,
                quoted_by,
            } => {
                if let Some(since) = self.frozen_since {
                    return Err(DomainError::RenewalQuotingFrozen { customer_id, since });
                }
                if self.quotes.contains(&quote_id) {
                    return Err(DomainError::QuoteAlreadyRecorded { quote_id });
                }
                crate::value::parse_amount_fen(amount_fen)?;
                let today = local_day(now);
                if valid_until < today {
                    return Err(DomainError::invalid(
                        ValueKind::ValidUntil,
                        format!(
                            "the quote's validity ({valid_until}) ended before today ({today})"
                        ),
                    ));
                }
                Ok(vec![Event::RenewalQuoted(RenewalQuoted {
                    quote_id,
                    customer_id,
                    amount_fen,
                    valid_until,
                    quoted_by,
                    quoted_at: now,
                })])
            }
        }
    }
}
