//! Customer health (SPEC C7): per customer the latest
//! [`HealthBreakdown`] as of the last closed day, what last changed it, its
//! daily history, level changes, the freeze, rescue plans, call-back tasks
//! and success cases pushed.
//!
//! The inputs are folded into a [`HealthSource`] (shared with the risk
//! list, [`crate::risk`]): the health policy in force at each point of the
//! log (the last `HealthPolicyPublished`, else
//! [`HealthPolicy::default_v1`]), the last `DayClosed`, each account's
//! [`HealthInputs`] (folded by [`HealthInputs::apply`], the very fold the
//! `Account` aggregate uses; `Account` itself is not deserialisable, so the
//! model keeps the inputs) and a small directory of customers (company
//! name, owner, `region` attribute) and reps (region).
//!
//! When evaluation happens (always [`salesledger_domain::health::evaluate`],
//! as of the last closed day, under the policy in force):
//! - an account input (`UsageReported`, `SupportTicketOpened`,
//!   `SupportTicketResolved`, `RenewalDateSet`, `SuccessReferenceRecorded`,
//!   `CompetitorKeywordsSearched`) re-evaluates that customer, once a day
//!   has been closed (before that there is no "as of" and no breakdown);
//! - `DayClosed` re-evaluates every customer with inputs, then appends a
//!   [`DailyEntry`] when the score, level or policy version differs from the
//!   previous entry (so the daily history is the score at each close);
//! - `HealthPolicyPublished` re-evaluates every customer with inputs (a
//!   decision: the current breakdown always shows the policy in force; the
//!   daily history changes only from the next close on, so earlier entries
//!   keep their score and version).
//!
//! `changed_by`: the positions of the inputs recorded since the previous
//! evaluation, plus the position that triggered the evaluation (the input
//! itself, the `DayClosed` or the publication); it is replaced only when an
//! evaluation changes the breakdown's content (score, level, policy version
//! or any indicator; the `as_of` day alone does not count), and keeps the
//! newest [`MAX_CHANGED_BY`] positions.
//!
//! The level history, freeze, rescue plans, call-back tasks and success
//! cases are the health process's own events (`HealthLevelChanged`,
//! `RenewalQuoting*`, `RescuePlan*`, `CallbackTask*`, `SuccessCasePushed`),
//! as the day close decided them. A pure fold: business times come from
//! payloads, never from the record's `recorded_at`; maps are `BTreeMap`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use salesledger_domain::health::{
    evaluate, input_customer_of, HealthBreakdown, HealthInputs, HealthPolicy, Level,
};
use salesledger_domain::value::{ActorId, CallbackTaskId, CustomerId, RepId, RescuePlanId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::{Deserialize, Serialize};

use crate::projector::Projector;

/// The most positions kept in `changed_by` (and pending for it).
pub const MAX_CHANGED_BY: usize = 32;

/// The region of a customer with neither a `region` attribute nor an
/// owner with a region.
pub const UNASSIGNED_REGION: &str = "unassigned";

/// The health projector.
#[derive(Debug, Clone, Copy, Default)]
pub struct HealthScores;

impl Projector for HealthScores {
    const NAME: &'static str = "health";
    const VERSION: u32 = 1;
    type Model = HealthView;

    fn apply(model: &mut HealthView, record: &RecordedEvent, event: &Event) {
        model.apply(record, event);
    }
}

// ---- the folded inputs, shared with the risk list ----

/// A closed day as recorded by `DayClosed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedDay {
    pub day: NaiveDate,
    pub closes_at: DateTime<Utc>,
    /// Position of the `DayClosed` record.
    pub position: u64,
}

/// What the directory knows of a customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerFacts {
    pub company_name: Option<String>,
    /// The owner now; `None` while in the pool.
    pub owner: Option<RepId>,
    /// The customer's `region` attribute, if any.
    pub region_attribute: Option<String>,
}

/// Customers and reps, as far as health and risk need them (their own,
/// narrower copy of what [`crate::directory::Directory`] folds for the
/// other views).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthDirectory {
    pub customers: BTreeMap<CustomerId, CustomerFacts>,
    /// Each rep's region (from `RepRegistered`).
    pub rep_regions: BTreeMap<RepId, String>,
}

impl HealthDirectory {
    /// The company name of a customer, if registered.
    pub fn company_name(&self, customer_id: CustomerId) -> Option<&str> {
        self.customers
            .get(&customer_id)
            .and_then(|facts| facts.company_name.as_deref())
    }

    /// The owner of a customer, if any.
    pub fn owner(&self, customer_id: CustomerId) -> Option<RepId> {
        self.customers
            .get(&customer_id)
            .and_then(|facts| facts.owner)
    }

    /// The customer's `region` attribute, else its owner's region, else
    /// [`UNASSIGNED_REGION`].
    pub fn region(&self, customer_id: CustomerId) -> String {
        let facts = self.customers.get(&customer_id);
        facts
            .and_then(|facts| facts.region_attribute.clone())
            .or_else(|| {
                facts
                    .and_then(|facts| facts.owner)
                    .and_then(|owner| self.rep_regions.get(&owner).cloned())
            })
            .unwrap_or_else(|| UNASSIGNED_REGION.to_owned())
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::RepRegistered(registered) => {
                self.rep_regions
                    .insert(registered.rep_id, registered.region.as_str().to_owned());
            }
            Event::CustomerRegistered(registered) => {
                let facts = self.customers.entry(registered.customer_id).or_default();
                facts.company_name = Some(registered.company_name.as_str().to_owned());
                facts.region_attribute = registered
                    .attributes
                    .get("region")
                    .map(|value| value.as_str().to_owned());
            }
            Event::CustomerAttributesSet(set) => {
                self.customers
                    .entry(set.customer_id)
                    .or_default()
                    .region_attribute = set
                    .attributes
                    .get("region")
                    .map(|value| value.as_str().to_owned());
            }
            Event::CustomerClaimed(claimed) => {
                self.set_owner(claimed.customer_id, Some(claimed.rep_id));
            }
            Event::CustomerTransferred(transferred) => {
                self.set_owner(transferred.customer_id, Some(transferred.to_rep_id));
            }
            Event::CustomerReleased(released) => self.set_owner(released.customer_id, None),
            Event::CustomerRecalledToPool(recalled) => {
                self.set_owner(recalled.customer_id, None);
            }
            Event::CustomerReturnedToPool(returned) => {
                self.set_owner(returned.customer_id, None);
            }
            _ => {}
        }
    }

    fn set_owner(&mut self, customer_id: CustomerId, owner: Option<RepId>) {
        self.customers.entry(customer_id).or_default().owner = owner;
    }
}

/// What changed in a [`HealthSource`] by one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceChange {
    /// An account input of this customer.
    Input(CustomerId),
    /// A day closed (now [`HealthSource::last_closed`]).
    DayClosed,
    /// A health policy was published (now in force).
    PolicyPublished,
    /// Nothing that health depends on (or only the directory).
    Other,
}

/// The health inputs of every account, the policy in force, the last
/// closed day and the directory, folded from the log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthSource {
    /// The last published policy; `None`: [`HealthPolicy::default_v1`].
    pub policy: Option<HealthPolicy>,
    pub last_closed: Option<ClosedDay>,
    pub directory: HealthDirectory,
    /// Every customer with at least one account input.
    pub accounts: BTreeMap<CustomerId, HealthInputs>,
}

impl HealthSource {
    /// The policy in force at this point of the log.
    pub fn policy_in_force(&self) -> HealthPolicy {
        self.policy.clone().unwrap_or_else(HealthPolicy::default_v1)
    }

    /// Folds one event; says what changed.
    pub fn apply(&mut self, event: &Event) -> SourceChange {
        self.directory.apply(event);
        let customer_id = match event {
            Event::HealthPolicyPublished(published) => {
                self.policy = Some(published.policy.clone());
                return SourceChange::PolicyPublished;
            }
            Event::DayClosed(_) => return SourceChange::DayClosed,
            _ => match input_customer_of(event) {
                Some(customer_id) => customer_id,
                None => return SourceChange::Other,
            },
        };
        self.accounts.entry(customer_id).or_default().apply(event);
        SourceChange::Input(customer_id)
    }

    /// Records the day closed at `position` (call after [`Self::apply`]
    /// answered [`SourceChange::DayClosed`]).
    fn close(&mut self, event: &Event, position: u64) {
        if let Event::DayClosed(closed) = event {
            self.last_closed = Some(ClosedDay {
                day: closed.day,
                closes_at: closed.closes_at,
                position,
            });
        }
    }

    /// Folds one record's event: [`Self::apply`], and the position of a
    /// `DayClosed`.
    pub fn apply_record(&mut self, record: &RecordedEvent, event: &Event) -> SourceChange {
        let change = self.apply(event);
        if change == SourceChange::DayClosed {
            self.close(event, record.position);
        }
        change
    }
}

// ---- the health view ----

/// The whole health view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthView {
    /// The folded inputs (kept with the model so it can resume).
    pub source: HealthSource,
    /// Every customer with an account event.
    pub customers: BTreeMap<CustomerId, CustomerHealth>,
}

/// One customer's health.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerHealth {
    /// The latest breakdown, as of the last closed day (`None` before a
    /// day closed while this customer had inputs).
    pub breakdown: Option<HealthBreakdown>,
    /// Position of the record that caused the latest evaluation.
    pub evaluated_at_position: Option<u64>,
    /// The positions of the events that last changed the breakdown
    /// (inputs since the evaluation before, and the trigger), ascending.
    pub changed_by: Vec<u64>,
    /// Inputs recorded since the last evaluation (not yet evaluated).
    pub pending_inputs: Vec<u64>,
    /// One entry per closed day on which score, level or policy version
    /// changed, as evaluated at that day's close.
    pub daily: Vec<DailyEntry>,
    /// The level changes recorded by the day close (`HealthLevelChanged`).
    pub history: Vec<LevelChange>,
    /// The day renewal quoting was frozen, while frozen.
    pub frozen_since: Option<NaiveDate>,
    /// Every freeze, with how it ended.
    pub freezes: Vec<Freeze>,
    pub rescue_plans: Vec<RescuePlanEntry>,
    pub callback_tasks: Vec<CallbackTaskEntry>,
    pub success_cases: Vec<SuccessCase>,
}

/// The score at one day's close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyEntry {
    /// ISO text in JSON; a day number in stored rows.
    #[serde(with = "salesledger_domain::day_serde")]
    pub day: NaiveDate,
    pub score_bp: u32,
    pub level: Level,
    pub policy_version: u32,
}

/// One `HealthLevelChanged`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelChange {
    pub position: u64,
    pub day: NaiveDate,
    pub from: Option<Level>,
    pub to: Level,
    pub score_bp: u32,
    pub policy_version: u32,
}

/// One renewal-quoting freeze.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    pub position: u64,
    pub day: NaiveDate,
    pub score_bp: u32,
    /// The approved rescue plan that ended it.
    pub unfrozen_by_plan: Option<RescuePlanId>,
    pub unfrozen_at: Option<DateTime<Utc>>,
}

/// A rescue plan and its approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RescuePlanEntry {
    pub plan_id: RescuePlanId,
    pub position: u64,
    pub summary: String,
    pub submitted_by: ActorId,
    pub submitted_at: DateTime<Utc>,
    pub approved_by: Option<ActorId>,
    pub approved_at: Option<DateTime<Utc>>,
}

/// The state of a call-back task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackStatus {
    /// Neither completed nor found open past its due time.
    Open,
    /// Completed at or before `due_at`.
    Met,
    /// A day close at or after `due_at` found it open, or it was completed
    /// after `due_at`.
    Missed,
}

/// A CSM call-back task (created when the customer turned yellow).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackTaskEntry {
    pub task_id: CallbackTaskId,
    pub position: u64,
    /// The closed day that created it.
    pub day: NaiveDate,
    pub due_at: DateTime<Utc>,
    pub status: CallbackStatus,
    /// The closed day whose close found it missed.
    pub missed_on: Option<NaiveDate>,
    pub completed_by: Option<ActorId>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A success case pushed to the owner (the customer turned green).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuccessCase {
    pub position: u64,
    pub day: NaiveDate,
    pub owner: RepId,
    pub score_bp: u32,
}

/// One line of the health list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthSummary {
    pub customer_id: CustomerId,
    pub company_name: Option<String>,
    pub score_bp: Option<u32>,
    pub level: Option<Level>,
    pub policy_version: Option<u32>,
    pub frozen: bool,
}

/// One customer's full health, with its directory facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthDetail {
    pub customer_id: CustomerId,
    pub company_name: Option<String>,
    pub owner: Option<RepId>,
    pub region: String,
    pub frozen: bool,
    #[serde(flatten)]
    pub health: CustomerHealth,
}

/// Whether two breakdowns differ in content (ignoring the `as_of` day).
fn same_content(a: &HealthBreakdown, b: &HealthBreakdown) -> bool {
    a.score_bp == b.score_bp
        && a.level == b.level
        && a.policy_version == b.policy_version
        && a.indicators == b.indicators
}

/// Pushes `position` keeping at most [`MAX_CHANGED_BY`], the newest.
fn push_bounded(positions: &mut Vec<u64>, position: u64) {
    if positions.last() == Some(&position) {
        return;
    }
    positions.push(position);
    if positions.len() > MAX_CHANGED_BY {
        let excess = positions.len() - MAX_CHANGED_BY;
        positions.drain(..excess);
    }
}

impl HealthView {
    /// One customer's health, if any account event concerned it.
    pub fn customer(&self, customer_id: CustomerId) -> Option<&CustomerHealth> {
        self.customers.get(&customer_id)
    }

    /// Every customer, sorted by id.
    pub fn summaries(&self) -> Vec<HealthSummary> {
        self.customers
            .iter()
            .map(|(customer_id, health)| HealthSummary {
                customer_id: *customer_id,
                company_name: self
                    .source
                    .directory
                    .company_name(*customer_id)
                    .map(str::to_owned),
                score_bp: health.breakdown.as_ref().map(|b| b.score_bp),
                level: health.breakdown.as_ref().map(|b| b.level),
                policy_version: health.breakdown.as_ref().map(|b| b.policy_version),
                frozen: health.frozen_since.is_some(),
            })
            .collect()
    }

    /// One customer's full health, only once it has a breakdown.
    pub fn detail(&self, customer_id: CustomerId) -> Option<HealthDetail> {
        let health = self.customers.get(&customer_id)?;
        health.breakdown.as_ref()?;
        let directory = &self.source.directory;
        Some(HealthDetail {
            customer_id,
            company_name: directory.company_name(customer_id).map(str::to_owned),
            owner: directory.owner(customer_id),
            region: directory.region(customer_id),
            frozen: health.frozen_since.is_some(),
            health: health.clone(),
        })
    }

    fn apply(&mut self, record: &RecordedEvent, event: &Event) {
        let position = record.position;
        match self.source.apply_record(record, event) {
            SourceChange::Input(customer_id) => {
                let health = self.customers.entry(customer_id).or_default();
                push_bounded(&mut health.pending_inputs, position);
                self.evaluate(customer_id, position);
            }
            SourceChange::DayClosed => {
                let customers: Vec<CustomerId> = self.source.accounts.keys().copied().collect();
                for customer_id in customers {
                    self.evaluate(customer_id, position);
                    self.record_daily(customer_id);
                }
            }
            SourceChange::PolicyPublished => {
                let customers: Vec<CustomerId> = self.source.accounts.keys().copied().collect();
                for customer_id in customers {
                    self.evaluate(customer_id, position);
                }
            }
            SourceChange::Other => self.apply_process(position, event),
        }
    }

    /// Re-evaluates one customer as of the last closed day (nothing before
    /// a day closed), triggered by the record at `trigger`.
    fn evaluate(&mut self, customer_id: CustomerId, trigger: u64) {
        let Some(closed) = self.source.last_closed else {
            return;
        };
        let Some(inputs) = self.source.accounts.get(&customer_id) else {
            return;
        };
        let policy = self.source.policy_in_force();
        let breakdown = evaluate(inputs, closed.day, &policy);
        let health = self.customers.entry(customer_id).or_default();
        let changed = health
            .breakdown
            .as_ref()
            .map_or(true, |previous| !same_content(previous, &breakdown));
        let mut pending = std::mem::take(&mut health.pending_inputs);
        if changed {
            push_bounded(&mut pending, trigger);
            health.changed_by = pending;
        }
        health.breakdown = Some(breakdown);
        health.evaluated_at_position = Some(trigger);
    }

    /// Appends the day's entry when score, level or policy version changed.
    fn record_daily(&mut self, customer_id: CustomerId) {
        let Some(health) = self.customers.get_mut(&customer_id) else {
            return;
        };
        let Some(breakdown) = health.breakdown.as_ref() else {
            return;
        };
        let entry = DailyEntry {
            day: breakdown.as_of,
            score_bp: breakdown.score_bp,
            level: breakdown.level,
            policy_version: breakdown.policy_version,
        };
        let unchanged = health.daily.last().is_some_and(|last| {
            last.day >= entry.day
                || (last.score_bp, last.level, last.policy_version)
                    == (entry.score_bp, entry.level, entry.policy_version)
        });
        if !unchanged {
            health.daily.push(entry);
        }
    }

    /// The health process's own events.
    fn apply_process(&mut self, position: u64, event: &Event) {
        match event {
            Event::HealthLevelChanged(changed) => {
                self.customers
                    .entry(changed.customer_id)
                    .or_default()
                    .history
                    .push(LevelChange {
                        position,
                        day: changed.day,
                        from: changed.from,
                        to: changed.to,
                        score_bp: changed.score_bp,
                        policy_version: changed.policy_version,
                    });
            }
            Event::SuccessCasePushed(pushed) => {
                self.customers
                    .entry(pushed.customer_id)
                    .or_default()
                    .success_cases
                    .push(SuccessCase {
                        position,
                        day: pushed.day,
                        owner: pushed.owner,
                        score_bp: pushed.score_bp,
                    });
            }
            Event::CallbackTaskCreated(created) => {
                self.customers
                    .entry(created.customer_id)
                    .or_default()
                    .callback_tasks
                    .push(CallbackTaskEntry {
                        task_id: created.task_id,
                        position,
                        day: created.day,
                        due_at: created.due_at,
                        status: CallbackStatus::Open,
                        missed_on: None,
                        completed_by: None,
                        completed_at: None,
                    });
            }
            Event::CallbackTaskMissed(missed) => {
                if let Some(task) = self.task(missed.customer_id, missed.task_id) {
                    task.status = CallbackStatus::Missed;
                    task.missed_on = Some(missed.day);
                }
            }
            Event::CallbackTaskCompleted(completed) => {
                if let Some(task) = self.task(completed.customer_id, completed.task_id) {
                    task.completed_by = Some(completed.completed_by.clone());
                    task.completed_at = Some(completed.completed_at);
                    task.status = if completed.met && task.missed_on.is_none() {
                        CallbackStatus::Met
                    } else {
                        CallbackStatus::Missed
                    };
                }
            }
            Event::RenewalQuotingFrozen(frozen) => {
                let health = self.customers.entry(frozen.customer_id).or_default();
                health.frozen_since = Some(frozen.day);
                health.freezes.push(Freeze {
                    position,
                    day: frozen.day,
                    score_bp: frozen.score_bp,
                    unfrozen_by_plan: None,
                    unfrozen_at: None,
                });
            }
            Event::RenewalQuotingUnfrozen(unfrozen) => {
                let health = self.customers.entry(unfrozen.customer_id).or_default();
                health.frozen_since = None;
                if let Some(freeze) = health
                    .freezes
                    .last_mut()
                    .filter(|freeze| freeze.unfrozen_at.is_none())
                {
                    freeze.unfrozen_by_plan = Some(unfrozen.plan_id);
                    freeze.unfrozen_at = Some(unfrozen.unfrozen_at);
                }
            }
            Event::RescuePlanSubmitted(submitted) => {
                self.customers
                    .entry(submitted.customer_id)
                    .or_default()
                    .rescue_plans
                    .push(RescuePlanEntry {
                        plan_id: submitted.plan_id,
                        position,
                        summary: submitted.summary.as_str().to_owned(),
                        submitted_by: submitted.submitted_by.clone(),
                        submitted_at: submitted.submitted_at,
                        approved_by: None,
                        approved_at: None,
                    });
            }
            Event::RescuePlanApproved(approved) => {
                if let Some(plan) =
                    self.customers
                        .get_mut(&approved.customer_id)
                        .and_then(|health| {
                            health
                                .rescue_plans
                                .iter_mut()
                                .find(|plan| plan.plan_id == approved.plan_id)
                        })
                {
                    plan.approved_by = Some(approved.approved_by.clone());
                    plan.approved_at = Some(approved.approved_at);
                }
            }
            _ => {}
        }
    }

    fn task(
        &mut self,
        customer_id: CustomerId,
        task_id: CallbackTaskId,
    ) -> Option<&mut CallbackTaskEntry> {
        self.customers
            .get_mut(&customer_id)?
            .callback_tasks
            .iter_mut()
            .find(|task| task.task_id == task_id)
    }
}
