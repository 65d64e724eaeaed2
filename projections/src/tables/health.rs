//! Customer health (SPEC C7) as a table projector: the same rules and the
//! same answers as [`crate::health`] (`HealthScores`), stored as rows, and
//! the **shared health inputs** that the risk list ([`super::risk`]) reads
//! (design, "Shared facts once").
//!
//! # Tables
//!
//! The inputs (`health_inputs`), owned by this projector, read by the risk
//! list; each is keyed by account first, in rolling day buckets or per
//! reference rather than raw events, and pruned exactly as
//! [`HealthInputs::apply`] prunes (the fold loads an account's inputs,
//! applies the domain's own fold and writes the row back if it changed):
//!
//! | table | key | value |
//! |---|---|---|
//! | `health-inputs` | customer | the account's [`HealthInputs`], stored compactly ([`StoredInputs`]: days and times as numbers): usage by day, modules, open and resolved tickets, references, keyword searches by day, last login, renewal (bounded by the windows) |
//! | `health-policy` | `()` | the last published policy (absent: [`HealthPolicy::default_v1`]) |
//! | `health-policy-override` | `()` | a policy in force throughout, whatever is published (absent in every run of `serve`; seeded by the what-if of `replay --weights`, see [`POLICY_OVERRIDE`]) |
//! | `health-meta` | `()` | the last closed day, how many accounts have inputs and how many are below green ([`HealthMeta`]) |
//! | `health-below-green` | (score, customer) | the level of every account whose current level is yellow or red: the risk list's ranking, in key order |
//!
//! The health view's own rows:
//!
//! | table | key | value |
//! |---|---|---|
//! | `health-names` | customer | company name (`CustomerRegistered`; the shared directory has no names) |
//! | `health-customers` | customer | the latest evaluation, `changed_by`, pending inputs, freeze, last score history entry, next due day ([`CustomerState`]) |
//! | `health-daily` | (customer, day) | score history: a row only on a closed day where score, level or policy version changed |
//! | `health-due` | (day, position) | the accounts to evaluate again on that day: one row per day and record that scheduled accounts for it (a close's row holds every account it scheduled for the day), read and deleted whole by the close of that day (see below) |
//! | `health-levels` | (customer, position) | `HealthLevelChanged` |
//! | `health-freezes` | (customer, position) | renewal-quoting freezes |
//! | `health-plans`, `health-plan-ids` | (customer, position), (customer, plan id) | rescue plans and their approval |
//! | `health-tasks`, `health-task-ids` | (customer, position), (customer, task id) | call-back tasks |
//! | `health-success` | (customer, position) | success cases pushed |
//!
//! Owners and regions come from the shared directory
//! ([`super::directory`], declared in [`TableProjector::reads`]). The risk
//! list reads [`INPUT_TABLES`] and must be folded after this projector
//! within each record ([`super::risk`]).
//!
//! # Incremental evaluation
//!
//! The v1 model re-evaluates every account at every `DayClosed`. Here a
//! `DayClosed` of day D evaluates only the accounts in a `health-due`
//! bucket on or before D. The account's due day is kept in its state row
//! ([`CustomerState::due`]), rewritten after each of its evaluations
//! (rather than one row per input and boundary written when the input
//! arrives: the boundaries are computed from the pruned inputs the
//! evaluation loaded anyway), and indexed by day only when it moves: the
//! account is added to the new day's `health-due` bucket (a row per day
//! and scheduling record) and left in the old day's. A close of D reads the buckets
//! it consumes (the next-close bucket and the days since the last close:
//! no bucket of an earlier day is left), deletes them whole, and evaluates
//! the accounts found there whose due day has come; a stale entry (the
//! account moved to another day) is skipped. Rescheduling an account
//! therefore deletes nothing, and the deletions a close makes lie before
//! the range the next close reads, so no close walks the tombstones of
//! earlier ones (version 2 deleted the old row at each move: between two
//! commits the uncommitted writes held a tombstone per account and close,
//! and every close's range walked them all). A close writes one row per
//! day it schedules accounts for and deletes the rows of the buckets it
//! consumes, not a row per account (version 5 kept a row per day and
//! account: two row writes per account and close, most of a close's row
//! traffic); an input that schedules its account writes one row, as
//! before.
//! When an account is due:
//!
//! - an input evaluates the account at once, as v1 does (as of the last
//!   closed day, once one closed; before that it only waits);
//! - after any evaluation the account is due at the **next close**
//!   (`health-due` row on [`NaiveDate::MIN`]) when its score history does
//!   not hold its current score, level and policy version (an input or a
//!   policy changed them; before the first close, every account with
//!   inputs), so that close writes the history row as v1's would (an
//!   account already in the bucket of the day after the last close keeps
//!   it: the next close consumes both, see `schedule`);
//! - otherwise it is due on the first later day on which its breakdown
//!   could change with no new input ([`next_boundary`]): the day a usage
//!   day enters or leaves the 30-day window, a resolved ticket (by local
//!   resolution day) the 90-day window, a success reference the 365-day
//!   window, and, for a known renewal date R under `renewal_days` T, every
//!   day of `R-T ..= R` (the renewal indicator slopes there; constant
//!   before and after). A superset is harmless: an extra evaluation finds
//!   what v1 finds.
//!
//! Between two evaluations the account's score, level and every
//! indicator but one are therefore unchanged, so an account that is not
//! due writes nothing at a close. What v1 would still change for it is
//! derived when read ([`materialise`]): the breakdown's `as_of` is the last
//! closed day, `evaluated_at_position` that close's position, the renewal
//! indicator's raw value (days to renewal) moves with `as_of`, and, since
//! that raw value differs from the previous close's, a known renewal makes
//! `changed_by` the close's position (v1's "the content changed").
//! Everything else is stored as v1 computed it. An evaluation (at a close
//! or an input) first materialises the stored state the same way, so its
//! "did the content change" is v1's.
//!
//! Where v1's answers need the work anyway, it is done: an account whose
//! usage is reported every day (the generated histories report usage for
//! every account every day) has a new usage day entering its window at
//! every close, so its raw values and `changed_by` move every day and it
//! is due at every close. The saving is for quiet accounts (no input since
//! the last close, no boundary crossed). What each evaluation at a close
//! costs is kept down instead: the account's inputs and state are
//! usually still decoded from its last record (the fold's memo,
//! [`super::RowMemo`]: an input keeps the whole inputs and the state);
//! when they are not, it decodes only the fields of the inputs row that
//! [`evaluate`] and [`next_boundary`] read ([`load_evaluation_inputs`]:
//! usage, resolved tickets, renewal, success references), walking over
//! the modules, open tickets and keyword searches without building a
//! string of them.
//!
//! A `DayClosed` that is not after the last closed day (the calendar
//! refuses one, but a log could hold it) evaluates every account, as v1
//! does: correctness over speed; an account whose history row it could not
//! write (v1 writes none for an earlier day) stays due at the next close.
//! A policy publication after a close also re-evaluates every account (v1
//! does; the policy is in force at once).
//!
//! The score history keeps changes only, as v1's `daily`; "as of day D" is
//! the last row at or before D ([`daily_as_of`]).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use salesledger_domain::calendar::DayClosed;
use salesledger_domain::health::{
    evaluate, input_customer_of, local_day, DayUsage, HealthBreakdown, HealthInputs, HealthPolicy,
    Indicator, Level, OpenTicket, Renewal, ResolvedTicket,
};
use salesledger_domain::value::{
    CustomerId, Keyword, ModuleName, PlanName, ReferenceRef, Text, TicketRef,
};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{directory, Table, TableError, TableKey, TableProjector, TableRead, Tx};
use crate::error::ProjectionError;
use crate::health::{
    CallbackStatus, CallbackTaskEntry, ClosedDay, CustomerHealth, DailyEntry, Freeze, HealthDetail,
    HealthSummary, LevelChange, RescuePlanEntry, SuccessCase, MAX_CHANGED_BY,
};

// ---- the shared inputs ----

/// One row per account with inputs: the account's [`HealthInputs`] as the
/// domain keeps them (usage, modules, tickets, references, keyword searches
/// over the windows health reads, pruned by [`HealthInputs::apply`], so a
/// row is bounded by the windows, not by history), read with one point
/// lookup when the account is evaluated. (Rows per account and day were
/// measured first: six prefix scans per evaluation made a rebuild
/// 15 times slower than the model it replaces.)
pub const INPUTS: Table<CustomerId, StoredInputs> = Table::new("health-inputs");
/// The last published health policy.
pub const POLICY: Table<(), HealthPolicy> = Table::new("health-policy");
/// A policy in force throughout the fold, whatever the log publishes: a
/// parameter of the what-if (`salesledger replay --weights`), seeded
/// before the first record (`TableRunnerBuilder::seed`); publications are
/// still recorded in [`POLICY`] but do not replace it. Never written by
/// [`HealthTables::apply`], so absent in `serve`'s tables.
pub const POLICY_OVERRIDE: Table<(), HealthPolicy> = Table::new("health-policy-override");
/// The last closed day and the account counters.
pub const META: Table<(), HealthMeta> = Table::new("health-meta");
/// Accounts whose current level is below green, by ascending score then
/// customer id (the risk list's order).
pub const BELOW_GREEN: Table<(u32, CustomerId), Level> = Table::new("health-below-green");

// ---- the health view's own rows ----

/// Company names.
pub const NAMES: Table<CustomerId, String> = Table::new("health-names");
/// Every customer the health view knows, with its latest evaluation.
pub const CUSTOMERS: Table<CustomerId, CustomerState> = Table::new("health-customers");
/// Score history, changes only, packed per month: (customer, first day of
/// the month) -> that month's changes in day order. One row per customer
/// and month, so a commit rewrites a customer's month once, not a row per
/// change (version 3 wrote a row per change: the most rows of any table on
/// a rebuild).
pub const DAILY: Table<(CustomerId, NaiveDate), Vec<DailyEntry>> = Table::new("health-daily");

/// The first day of `day`'s month: the [`DAILY`] row it belongs to.
fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}
/// The accounts due for evaluation on a day ([`NaiveDate::MIN`]: the next
/// close), one row per day and scheduling record (its position): the
/// accounts that record scheduled for that day (`DueWrites`), read and
/// deleted whole by the close that consumes the day. An entry may be stale
/// (the account moved on since) or in more than one row.
pub const DUE: Table<(NaiveDate, u64), Vec<CustomerId>> = Table::new("health-due");
/// Level changes recorded by the day close.
pub const LEVELS: Table<(CustomerId, u64), LevelChange> = Table::new("health-levels");
/// Renewal-quoting freezes.
pub const FREEZES: Table<(CustomerId, u64), Freeze> = Table::new("health-freezes");
/// Rescue plans.
pub const PLANS: Table<(CustomerId, u64), RescuePlanEntry> = Table::new("health-plans");
/// The position of the first submission of each plan id.
pub const PLAN_IDS: Table<(CustomerId, Uuid), u64> = Table::new("health-plan-ids");
/// Call-back tasks.
pub const TASKS: Table<(CustomerId, u64), CallbackTaskEntry> = Table::new("health-tasks");
/// The position of the first creation of each task id.
pub const TASK_IDS: Table<(CustomerId, Uuid), u64> = Table::new("health-task-ids");
/// Success cases pushed.
pub const SUCCESS: Table<(CustomerId, u64), SuccessCase> = Table::new("health-success");

/// The inputs tables (`health_inputs`) the risk list reads, with the
/// policy, meta and ranking rows and the names.
pub const INPUT_TABLES: &[&str] = &[
    "health-inputs",
    "health-policy",
    "health-policy-override",
    "health-meta",
    "health-below-green",
    "health-names",
];

/// Every table of this projector.
pub const TABLES: &[&str] = &[
    "health-inputs",
    "health-policy",
    "health-policy-override",
    "health-meta",
    "health-below-green",
    "health-names",
    "health-customers",
    "health-daily",
    "health-due",
    "health-levels",
    "health-freezes",
    "health-plans",
    "health-plan-ids",
    "health-tasks",
    "health-task-ids",
    "health-success",
];

/// The last closed day and counters over every account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthMeta {
    pub last_closed: Option<ClosedDay>,
    /// Accounts with at least one input.
    pub n_accounts: u64,
    /// Of those, how many have a yellow or red level now.
    pub n_below_green: u64,
}

/// One customer's health state (small: bounded lists only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerState {
    /// The breakdown of the last evaluation, as of the day it used (see
    /// [`materialise`] for the answer as of the last closed day).
    pub breakdown: Option<HealthBreakdown>,
    pub evaluated_at_position: Option<u64>,
    /// At most [`MAX_CHANGED_BY`].
    pub changed_by: Vec<u64>,
    /// At most [`MAX_CHANGED_BY`].
    pub pending_inputs: Vec<u64>,
    #[serde(with = "salesledger_domain::day_serde::option")]
    pub frozen_since: Option<NaiveDate>,
    /// The key position of the last freeze.
    pub last_freeze: Option<u64>,
    /// The last score history row.
    pub last_daily: Option<DailyEntry>,
    /// The day of the `health-due` bucket this account is in, if any.
    #[serde(with = "salesledger_domain::day_serde::option")]
    pub due: Option<NaiveDate>,
}

/// The health projector on tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct HealthTables;

impl TableProjector for HealthTables {
    const NAME: &'static str = <crate::health::HealthScores as crate::projector::Projector>::NAME;
    /// 2: the inputs row in its compact form ([`StoredInputs`]); 3: due
    /// rows as day buckets consumed whole at a close (`schedule`); 4: the
    /// score history packed per customer and month ([`DAILY`]); 5: the days
    /// of score history and customer rows as day numbers
    /// ([`salesledger_domain::day_serde`]), not ISO text; 6: a due bucket is
    /// a row per day and scheduling record ([`DUE`]), not a row per day and
    /// account.
    const VERSION: u32 = 6;

    fn tables() -> &'static [&'static str] {
        TABLES
    }

    fn reads() -> &'static [&'static str] {
        directory::TABLES
    }

    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        let position = record.position;
        match event {
            Event::CustomerRegistered(registered) => {
                tx.put(
                    &NAMES,
                    &registered.customer_id,
                    &registered.company_name.as_str().to_owned(),
                )?;
            }
            Event::HealthPolicyPublished(published) => {
                policy_published(tx, position, &published.policy)?;
            }
            Event::DayClosed(closed) => day_closed(tx, position, closed)?,
            _ => match input_customer_of(event) {
                Some(customer_id) => input(tx, position, customer_id, event)?,
                None => process(tx, position, event)?,
            },
        }
        Ok(())
    }
}

// ---- reading the inputs ----

/// The meta row (default before any event).
pub fn meta(rows: &mut impl TableRead) -> Result<HealthMeta, TableError> {
    Ok(rows.get(&META, &())?.unwrap_or_default())
}

/// The policy in force: the override when one was seeded
/// ([`POLICY_OVERRIDE`]), else the last published, else
/// [`HealthPolicy::default_v1`].
pub fn policy_in_force(rows: &mut impl TableRead) -> Result<HealthPolicy, TableError> {
    in_force(rows.get(&POLICY_OVERRIDE, &())?, || rows.get(&POLICY, &()))
}

/// The rule of [`policy_in_force`] over the override and (read only
/// without one) the published policy.
fn in_force(
    overridden: Option<HealthPolicy>,
    published: impl FnOnce() -> Result<Option<HealthPolicy>, TableError>,
) -> Result<HealthPolicy, TableError> {
    match overridden {
        Some(policy) => Ok(policy),
        None => Ok(published()?.unwrap_or_else(HealthPolicy::default_v1)),
    }
}

/// A customer's company name.
pub fn company_name(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
) -> Result<Option<String>, TableError> {
    rows.get(&NAMES, &customer_id)
}

/// An account's [`HealthInputs`] rebuilt from the input tables, equal to
/// the v1 fold's; `None` for a customer without inputs.
pub fn load_inputs(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
) -> Result<Option<HealthInputs>, TableError> {
    rows.get(&INPUTS, &customer_id)?
        .map(StoredInputs::into_inputs)
        .transpose()
}

/// The part of an account's inputs that [`evaluate`] and [`next_boundary`]
/// read (usage, resolved tickets, renewal, success references), decoded
/// from its `health-inputs` row; the other fields (modules, last login,
/// open tickets, keyword searches) are empty. A close evaluates nearly
/// every account, and decoding those fields (a validated `String` each)
/// was most of its cost; only an input, which stores the row back, needs
/// them ([`load_inputs`]). `None` for a customer without inputs.
pub fn load_evaluation_inputs(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
) -> Result<Option<HealthInputs>, TableError> {
    let Some(bytes) = rows
        .raw_read()
        .get_raw(INPUTS.name(), &customer_id.to_key_bytes())?
    else {
        return Ok(None);
    };
    let stored: EvaluationInputs =
        postcard::from_bytes(&bytes).map_err(|source| TableError::Value {
            table: INPUTS.name(),
            source,
        })?;
    stored.into_inputs().map(Some)
}

/// [`StoredInputs`] as [`load_evaluation_inputs`] decodes it: the same
/// fields in the same order (postcard encodes a struct as its fields in
/// order, a sequence with its length first), the fields an evaluation
/// does not read walked over without being kept.
#[derive(Deserialize)]
struct EvaluationInputs {
    usage: Vec<(i32, u32, u32)>,
    _modules_used: Skip<Vec<SkipStr>>,
    _last_login_at: Option<StoredTime>,
    _open_tickets: Skip<Vec<(SkipStr, StoredTime, Option<SkipStr>)>>,
    resolved_tickets: Vec<(TicketRef, StoredTime, StoredTime, u64)>,
    renewal: Option<(i32, PlanName)>,
    success_references: Vec<(ReferenceRef, i32)>,
    _keyword_searches: Skip<Vec<(i32, SkippedSearches)>>,
}

/// One day's keyword searches (keyword, count), walked over unread.
type SkippedSearches = Skip<Vec<(SkipStr, u64)>>;

impl EvaluationInputs {
    fn into_inputs(self) -> Result<HealthInputs, TableError> {
        // Stored in key order: collecting builds each map in bulk, where
        // inserting one by one walked the tree for every day.
        let usage = stored_usage(self.usage)?;
        let resolved_tickets = stored_resolved(self.resolved_tickets)?;
        let success_references = stored_references(self.success_references)?;
        Ok(HealthInputs {
            usage,
            resolved_tickets,
            renewal: stored_renewal(self.renewal)?,
            success_references,
            ..HealthInputs::default()
        })
    }
}

/// A sequence of `T` (in `Skip<Vec<T>>`) decoded element by element and
/// dropped: nothing kept, no vector allocated.
struct Skip<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Skip<Vec<T>> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Elements<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Elements<T> {
            type Value = Skip<Vec<T>>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a sequence")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                while seq.next_element::<T>()?.is_some() {}
                Ok(Skip(std::marker::PhantomData))
            }
        }
        deserializer.deserialize_seq(Elements(std::marker::PhantomData))
    }
}

/// A string decoded (its length and UTF-8 checked by the decoder) and
/// dropped, never copied.
struct SkipStr;

impl<'de> Deserialize<'de> for SkipStr {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = SkipStr;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, _text: &str) -> Result<SkipStr, E> {
                Ok(SkipStr)
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// An account's [`HealthInputs`] as stored: days as day numbers and times
/// as seconds and nanoseconds (chrono's serde form is text, which every
/// evaluation would parse back, one date per day of the windows), maps as
/// sorted lists. The same content, exactly: [`StoredInputs::into_inputs`]
/// gives back the inputs [`StoredInputsRef`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredInputs {
    /// (day, logins, key feature calls).
    usage: Vec<(i32, u32, u32)>,
    modules_used: Vec<ModuleName>,
    last_login_at: Option<StoredTime>,
    /// (ticket, opened at, subject).
    open_tickets: Vec<(TicketRef, StoredTime, Option<Text>)>,
    /// (ticket, opened at, resolved at, resolution seconds).
    resolved_tickets: Vec<(TicketRef, StoredTime, StoredTime, u64)>,
    renewal: Option<(i32, PlanName)>,
    success_references: Vec<(ReferenceRef, i32)>,
    keyword_searches: Vec<(i32, Vec<(Keyword, u64)>)>,
}

/// A time as (seconds since the Unix epoch, nanoseconds).
type StoredTime = (i64, u32);

/// An account's inputs written without building their [`StoredInputs`]:
/// serialises exactly as the `StoredInputs` of the same inputs would, field by field, straight
/// from the domain's maps, so writing an account's inputs (at every input
/// event that changes them) builds no list and copies no string. What the
/// fold writes ([`Tx::put_as`]); the test
/// `the_inputs_encode_as_their_stored_form_would` holds the bytes equal.
pub struct StoredInputsRef<'a>(pub &'a HealthInputs);

/// A sequence serialised from the iterator its closure makes (of known
/// length, as a `Vec` of the same items would be).
struct SeqWith<F>(F);

impl<F, I> Serialize for SeqWith<F>
where
    F: Fn() -> I,
    I: ExactSizeIterator,
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let items = (self.0)();
        let mut seq = serializer.serialize_seq(Some(items.len()))?;
        for item in items {
            seq.serialize_element(&item)?;
        }
        seq.end()
    }
}

impl Serialize for StoredInputsRef<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let inputs = self.0;
        // The fields of `StoredInputs`, in its order, each as it holds them.
        let mut fields = serializer.serialize_struct("StoredInputs", 8)?;
        fields.serialize_field(
            "usage",
            &SeqWith(|| {
                inputs
                    .usage
                    .iter()
                    .map(|(day, usage)| (day_number(*day), usage.logins, usage.key_feature_calls))
            }),
        )?;
        fields.serialize_field("modules_used", &SeqWith(|| inputs.modules_used.iter()))?;
        fields.serialize_field("last_login_at", &inputs.last_login_at.map(time_parts))?;
        fields.serialize_field(
            "open_tickets",
            &SeqWith(|| {
                inputs
                    .open_tickets
                    .iter()
                    .map(|(ticket, open)| (ticket, time_parts(open.opened_at), &open.subject))
            }),
        )?;
        fields.serialize_field(
            "resolved_tickets",
            &SeqWith(|| {
                inputs.resolved_tickets.iter().map(|(ticket, resolved)| {
                    (
                        ticket,
                        time_parts(resolved.opened_at),
                        time_parts(resolved.resolved_at),
                        resolved.resolution_seconds,
                    )
                })
            }),
        )?;
        fields.serialize_field(
            "renewal",
            &inputs
                .renewal
                .as_ref()
                .map(|renewal| (day_number(renewal.renewal_on), &renewal.plan)),
        )?;
        fields.serialize_field(
            "success_references",
            &SeqWith(|| {
                inputs
                    .success_references
                    .iter()
                    .map(|(reference, day)| (reference, day_number(*day)))
            }),
        )?;
        fields.serialize_field(
            "keyword_searches",
            &SeqWith(|| {
                inputs.keyword_searches.iter().map(|(day, counts)| {
                    (
                        day_number(*day),
                        SeqWith(move || counts.iter().map(|(keyword, n)| (keyword, *n))),
                    )
                })
            }),
        )?;
        fields.end()
    }
}

fn day_number(day: NaiveDate) -> i32 {
    day.num_days_from_ce()
}

fn time_parts(time: DateTime<Utc>) -> StoredTime {
    (time.timestamp(), time.timestamp_subsec_nanos())
}

fn stored_day(table: &'static str, number: i32) -> Result<NaiveDate, TableError> {
    NaiveDate::from_num_days_from_ce_opt(number).ok_or_else(|| {
        TableError::Storage(format!("table {table}: day number {number} out of range"))
    })
}

fn stored_time(
    table: &'static str,
    (secs, nanos): StoredTime,
) -> Result<DateTime<Utc>, TableError> {
    DateTime::from_timestamp(secs, nanos).ok_or_else(|| {
        TableError::Storage(format!("table {table}: time {secs}.{nanos} out of range"))
    })
}

/// (day, logins, key feature calls) rows back into the usage map.
fn stored_usage(rows: Vec<(i32, u32, u32)>) -> Result<BTreeMap<NaiveDate, DayUsage>, TableError> {
    rows.into_iter()
        .map(|(day, logins, key_feature_calls)| {
            let usage = DayUsage {
                logins,
                key_feature_calls,
            };
            Ok((stored_day(INPUTS.name(), day)?, usage))
        })
        .collect()
}

/// A stored renewal (day number, plan) back into a [`Renewal`].
fn stored_renewal(renewal: Option<(i32, PlanName)>) -> Result<Option<Renewal>, TableError> {
    renewal
        .map(|(day, plan)| {
            let renewal_on = stored_day(INPUTS.name(), day)?;
            Ok(Renewal { renewal_on, plan })
        })
        .transpose()
}

/// Stored resolved tickets back into their map.
fn stored_resolved(
    rows: Vec<(TicketRef, StoredTime, StoredTime, u64)>,
) -> Result<BTreeMap<TicketRef, ResolvedTicket>, TableError> {
    rows.into_iter()
        .map(|(ticket, opened_at, resolved_at, resolution_seconds)| {
            let resolved = ResolvedTicket {
                opened_at: stored_time(INPUTS.name(), opened_at)?,
                resolved_at: stored_time(INPUTS.name(), resolved_at)?,
                resolution_seconds,
            };
            Ok((ticket, resolved))
        })
        .collect()
}

/// Stored success references (reference, day number) back into their map.
fn stored_references(
    rows: Vec<(ReferenceRef, i32)>,
) -> Result<BTreeMap<ReferenceRef, NaiveDate>, TableError> {
    rows.into_iter()
        .map(|(reference, day)| Ok((reference, stored_day(INPUTS.name(), day)?)))
        .collect()
}

impl StoredInputs {
    /// The stored form of `inputs`, built as a value: the reference the
    /// test of [`StoredInputsRef`] (what the fold writes) compares bytes with.
    #[cfg(test)]
    pub fn of(inputs: &HealthInputs) -> StoredInputs {
        StoredInputs {
            usage: inputs
                .usage
                .iter()
                .map(|(day, usage)| (day_number(*day), usage.logins, usage.key_feature_calls))
                .collect(),
            modules_used: inputs.modules_used.iter().cloned().collect(),
            last_login_at: inputs.last_login_at.map(time_parts),
            open_tickets: inputs
                .open_tickets
                .iter()
                .map(|(ticket, open)| {
                    (
                        ticket.clone(),
                        time_parts(open.opened_at),
                        open.subject.clone(),
                    )
                })
                .collect(),
            resolved_tickets: inputs
                .resolved_tickets
                .iter()
                .map(|(ticket, resolved)| {
                    (
                        ticket.clone(),
                        time_parts(resolved.opened_at),
                        time_parts(resolved.resolved_at),
                        resolved.resolution_seconds,
                    )
                })
                .collect(),
            renewal: inputs
                .renewal
                .as_ref()
                .map(|renewal| (day_number(renewal.renewal_on), renewal.plan.clone())),
            success_references: inputs
                .success_references
                .iter()
                .map(|(reference, day)| (reference.clone(), day_number(*day)))
                .collect(),
            keyword_searches: inputs
                .keyword_searches
                .iter()
                .map(|(day, counts)| {
                    (
                        day_number(*day),
                        counts
                            .iter()
                            .map(|(keyword, n)| (keyword.clone(), *n))
                            .collect(),
                    )
                })
                .collect(),
        }
    }

    /// The inputs stored.
    pub fn into_inputs(self) -> Result<HealthInputs, TableError> {
        const TABLE: &str = "health-inputs";
        // Stored in key order: collecting builds each map in bulk, where
        // inserting one by one walked the tree for every day.
        let usage = stored_usage(self.usage)?;
        let mut open_tickets = BTreeMap::new();
        for (ticket, opened_at, subject) in self.open_tickets {
            open_tickets.insert(
                ticket,
                OpenTicket {
                    opened_at: stored_time(TABLE, opened_at)?,
                    subject,
                },
            );
        }
        let resolved_tickets = stored_resolved(self.resolved_tickets)?;
        let success_references = stored_references(self.success_references)?;
        let mut keyword_searches = BTreeMap::new();
        for (day, counts) in self.keyword_searches {
            keyword_searches.insert(stored_day(TABLE, day)?, counts.into_iter().collect());
        }
        Ok(HealthInputs {
            usage,
            modules_used: self.modules_used.into_iter().collect(),
            last_login_at: self
                .last_login_at
                .map(|time| stored_time(TABLE, time))
                .transpose()?,
            open_tickets,
            resolved_tickets,
            renewal: stored_renewal(self.renewal)?,
            success_references,
            keyword_searches,
        })
    }
}

// ---- evaluation ----

/// What v1 shows of a customer's evaluation as of the last closed day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub breakdown: Option<HealthBreakdown>,
    pub evaluated_at_position: Option<u64>,
    pub changed_by: Vec<u64>,
}

/// The evaluation v1 holds for `state` once `closed` is the last closed
/// day: the stored one when it is as of that day; otherwise (the account
/// was not due at the closes since) the stored one moved to that day. Its
/// score, level and normalised values are unchanged by construction of the
/// due days; the renewal raw value (days to renewal) moves with the day,
/// and if it is known the content changed at that close, so `changed_by`
/// is the close. Every account with inputs is evaluated at every close in
/// v1, so `evaluated_at_position` is the close's.
pub fn materialise(state: &CustomerState, closed: Option<ClosedDay>) -> Evaluation {
    let stored = || Evaluation {
        breakdown: state.breakdown.clone(),
        evaluated_at_position: state.evaluated_at_position,
        changed_by: state.changed_by.clone(),
    };
    let (Some(breakdown), Some(closed)) = (&state.breakdown, closed) else {
        return stored();
    };
    if breakdown.as_of >= closed.day {
        return stored();
    }
    let shift = (closed.day - breakdown.as_of).num_days();
    let mut moved = breakdown.clone();
    moved.as_of = closed.day;
    let mut renewal_known = false;
    for score in &mut moved.indicators {
        if score.indicator == Indicator::Renewal {
            if let Some(raw) = score.raw.as_mut() {
                *raw = raw.saturating_sub(shift);
                renewal_known = true;
            }
        }
    }
    Evaluation {
        breakdown: Some(moved),
        evaluated_at_position: Some(closed.position),
        changed_by: if renewal_known {
            vec![closed.position]
        } else {
            state.changed_by.clone()
        },
    }
}

/// Whether two breakdowns differ in content (ignoring the `as_of` day), as
/// v1 decides it.
fn same_content(a: &HealthBreakdown, b: &HealthBreakdown) -> bool {
    a.score_bp == b.score_bp
        && a.level == b.level
        && a.policy_version == b.policy_version
        && a.indicators == b.indicators
}

/// Pushes `position` keeping at most [`MAX_CHANGED_BY`], the newest (v1's
/// rule).
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

fn level_key(breakdown: Option<&HealthBreakdown>) -> Option<(u32, Level)> {
    breakdown.map(|breakdown| (breakdown.score_bp, breakdown.level))
}

/// Moves the account in the below-green ranking.
fn rank(
    tx: &mut Tx<'_>,
    meta: &mut HealthMeta,
    customer_id: CustomerId,
    old: Option<(u32, Level)>,
    new: Option<(u32, Level)>,
) -> Result<(), TableError> {
    if old == new {
        return Ok(());
    }
    if let Some((score_bp, level)) = old {
        if level != Level::Green {
            tx.delete(&BELOW_GREEN, &(score_bp, customer_id))?;
            meta.n_below_green = meta.n_below_green.saturating_sub(1);
        }
    }
    if let Some((score_bp, level)) = new {
        if level != Level::Green {
            tx.put(&BELOW_GREEN, &(score_bp, customer_id), &level)?;
            meta.n_below_green += 1;
        }
    }
    Ok(())
}

/// One evaluation, v1's `evaluate`: `previous` is the last closed day
/// before this evaluation (what the stored state is materialised to),
/// `as_of` the day evaluated.
#[allow(clippy::too_many_arguments)]
fn evaluate_account(
    tx: &mut Tx<'_>,
    meta: &mut HealthMeta,
    customer_id: CustomerId,
    state: &mut CustomerState,
    inputs: &HealthInputs,
    previous: Option<ClosedDay>,
    as_of: NaiveDate,
    policy: &HealthPolicy,
    trigger: u64,
) -> Result<(), TableError> {
    let breakdown = evaluate(inputs, as_of, policy);
    let differs = |before: Option<&HealthBreakdown>| {
        before.map_or(true, |previous| !same_content(previous, &breakdown))
    };
    // The state materialised to `previous` (what v1 held before this
    // evaluation): moved to that day if it is older (a copy), else the
    // stored state as it is (no copy: its `changed_by` is taken).
    let moved = matches!(
        (&state.breakdown, previous),
        (Some(stored), Some(closed)) if stored.as_of < closed.day
    );
    let (changed, changed_by_before) = if moved {
        let before = materialise(state, previous);
        (differs(before.breakdown.as_ref()), before.changed_by)
    } else {
        (
            differs(state.breakdown.as_ref()),
            std::mem::take(&mut state.changed_by),
        )
    };
    let mut pending = std::mem::take(&mut state.pending_inputs);
    if changed {
        push_bounded(&mut pending, trigger);
        state.changed_by = pending;
    } else {
        state.changed_by = changed_by_before;
    }
    rank(
        tx,
        meta,
        customer_id,
        level_key(state.breakdown.as_ref()),
        level_key(Some(&breakdown)),
    )?;
    state.breakdown = Some(breakdown);
    state.evaluated_at_position = Some(trigger);
    Ok(())
}

/// v1's `record_daily`: a score history row when score, level or policy
/// version changed since the last row (and the day is later).
fn record_daily(
    tx: &mut Tx<'_>,
    customer_id: CustomerId,
    state: &mut CustomerState,
) -> Result<(), TableError> {
    let Some(breakdown) = state.breakdown.as_ref() else {
        return Ok(());
    };
    let entry = DailyEntry {
        day: breakdown.as_of,
        score_bp: breakdown.score_bp,
        level: breakdown.level,
        policy_version: breakdown.policy_version,
    };
    let unchanged = state.last_daily.is_some_and(|last| {
        last.day >= entry.day
            || (last.score_bp, last.level, last.policy_version)
                == (entry.score_bp, entry.level, entry.policy_version)
    });
    if !unchanged {
        tx.push(&DAILY, &(customer_id, month_of(entry.day)), &entry)?;
        state.last_daily = Some(entry);
    }
    Ok(())
}

/// Whether the last score history row differs from the current score.
fn history_behind(state: &CustomerState) -> bool {
    let current = state
        .breakdown
        .as_ref()
        .map(|b| (b.score_bp, b.level, b.policy_version));
    let recorded = state
        .last_daily
        .map(|entry| (entry.score_bp, entry.level, entry.policy_version));
    current != recorded
}

/// When an account evaluated as of `as_of` is due again: at the next
/// close ([`NaiveDate::MIN`]) when its score history does not hold its
/// score yet (an input or a policy changed it since the last close, or a
/// close out of order wrote no row), else on the next window boundary.
fn due_after(
    state: &CustomerState,
    inputs: &HealthInputs,
    as_of: NaiveDate,
    policy: &HealthPolicy,
) -> Option<NaiveDate> {
    if history_behind(state) {
        Some(NaiveDate::MIN)
    } else {
        next_boundary(inputs, as_of, policy)
    }
}

/// Moves the account to the due bucket of `when` (none: not due), an
/// entry in `due` that the record writes when its accounts are done. The
/// account's entry in its old bucket is **not** removed: a close reads only
/// the buckets it consumes (the next-close bucket and the days since the
/// last close), deletes each of them whole, and evaluates an account found
/// in a bucket only if its [`CustomerState::due`] is still due then; a
/// stale entry of a later day is dropped with its bucket when that day
/// closes. So rescheduling appends one entry and leaves no tombstone in the
/// range any close reads.
///
/// Nor is an entry written when the account's bucket and `when`'s are both
/// consumed by the next close (`last_closed` is the last closed day): the
/// next-close bucket ([`NaiveDate::MIN`]) and the day after the last close
/// are read by the same close, which evaluates the account either way. An
/// account that reports usage every day is due the day after each close
/// (a usage day leaves its window then), so its input keeps that bucket
/// rather than writing a next-close row that the close would delete.
fn schedule(
    due: &mut DueWrites,
    customer_id: CustomerId,
    state: &mut CustomerState,
    when: Option<NaiveDate>,
    last_closed: Option<NaiveDate>,
) {
    if state.due == when {
        return;
    }
    let at_next_close = |day: Option<NaiveDate>| {
        day.is_some_and(|day| {
            day == NaiveDate::MIN || last_closed.and_then(|last| last.succ_opt()) == Some(day)
        })
    };
    if at_next_close(state.due) && at_next_close(when) {
        return;
    }
    if let Some(when) = when {
        due.0.entry(when).or_default().push(customer_id);
    }
    state.due = when;
}

/// The due-bucket entries a record makes ([`schedule`]), by day, written
/// when its accounts are done: one row per day under the record's
/// position, not one per account (a close schedules every account it
/// evaluates, most of them for the next day), and never appended to (a
/// row a later record rewrote would grow with every input of the day).
#[derive(Default)]
struct DueWrites(BTreeMap<NaiveDate, Vec<CustomerId>>);

impl DueWrites {
    fn write(self, tx: &mut Tx<'_>, position: u64) -> Result<(), TableError> {
        for (day, customers) in self.0 {
            tx.put(&DUE, &(day, position), &customers)?;
        }
        Ok(())
    }
}

fn plus_days(day: NaiveDate, days: i64) -> Option<NaiveDate> {
    day.checked_add_signed(Duration::days(days))
}

/// The first day after `as_of` on which `evaluate(inputs, day, policy)`
/// could differ from its value on `as_of` (a superset: an extra day only
/// costs an evaluation that finds nothing new).
pub fn next_boundary(
    inputs: &HealthInputs,
    as_of: NaiveDate,
    policy: &HealthPolicy,
) -> Option<NaiveDate> {
    let mut next: Option<NaiveDate> = None;
    let mut consider = |day: Option<NaiveDate>| {
        if let Some(day) = day.filter(|day| *day > as_of) {
            if next.map_or(true, |next| day < next) {
                next = Some(day);
            }
        }
    };
    // In a window of n days ending on `as_of` from `day` to `day + n - 1`.
    // The usage days are the map's keys, in order: the first one after
    // `as_of` enters next, and the first one after `as_of - 30` is the
    // first to leave (two look-ups, not a walk over the 90 days kept).
    let first_after = |day: Option<NaiveDate>| {
        let from = day.map_or(Bound::Unbounded, Bound::Excluded);
        inputs
            .usage
            .range((from, Bound::Unbounded))
            .next()
            .map(|(day, _)| *day)
    };
    consider(first_after(Some(as_of)));
    consider(first_after(plus_days(as_of, -30)).and_then(|day| plus_days(day, 30)));
    for ticket in inputs.resolved_tickets.values() {
        let day = local_day(ticket.resolved_at);
        consider(Some(day));
        consider(plus_days(day, 90));
    }
    for day in inputs.success_references.values() {
        consider(Some(*day));
        consider(plus_days(*day, 365));
    }
    if let Some(renewal) = &inputs.renewal {
        // The renewal indicator is constant (full) while at least
        // `renewal_days` remain, then changes every day up to the renewal
        // date, then stays 0.
        let renewal_on = renewal.renewal_on;
        if as_of < renewal_on {
            let slope_from = plus_days(renewal_on, -i64::from(policy.targets.renewal_days));
            let tomorrow = plus_days(as_of, 1);
            consider(match slope_from {
                Some(from) if Some(from) > tomorrow => Some(from),
                _ => tomorrow,
            });
        }
    }
    next
}

// ---- the fold ----

fn customer_state(tx: &mut Tx<'_>, customer_id: CustomerId) -> Result<CustomerState, TableError> {
    Ok(tx.get(&CUSTOMERS, &customer_id)?.unwrap_or_default())
}

/// The account's state as the fold last left it: kept decoded between
/// records ([`Tx::take_memo`]), else read. Written back with
/// [`put_state`] (or kept again with [`Tx::keep_memo`] when unchanged).
fn take_state(tx: &mut Tx<'_>, customer_id: CustomerId) -> Result<CustomerState, TableError> {
    match tx.take_memo(&CUSTOMERS, &customer_id) {
        Some(state) => Ok(state),
        None => customer_state(tx, customer_id),
    }
}

/// Writes the account's state and keeps it decoded for its next record.
fn put_state(
    tx: &mut Tx<'_>,
    customer_id: CustomerId,
    state: CustomerState,
) -> Result<(), TableError> {
    tx.put(&CUSTOMERS, &customer_id, &state)?;
    tx.keep_memo(&CUSTOMERS, &customer_id, state);
    Ok(())
}

/// The meta row as a fold reads it at most records: through the memo.
fn fold_meta(tx: &mut Tx<'_>) -> Result<HealthMeta, TableError> {
    Ok(tx.get_memo(&META, &())?.unwrap_or_default())
}

/// [`policy_in_force`] as a fold reads it at every input and close:
/// through the memo, shared, so that reading it copies no policy (a
/// policy is a few dozen strings and maps; copying it, or building the
/// default, at every record was a measurable part of the fold).
fn fold_policy(tx: &mut Tx<'_>) -> Result<Arc<HealthPolicy>, TableError> {
    let shared = |policy: Option<HealthPolicy>| policy.map(Arc::new);
    if let Some(overridden) = tx.get_memo_with(&POLICY_OVERRIDE, &(), shared)? {
        return Ok(overridden);
    }
    tx.get_memo_with(&POLICY, &(), |published| {
        Arc::new(published.unwrap_or_else(HealthPolicy::default_v1))
    })
}

/// Writes the meta row and keeps it decoded.
fn put_meta(tx: &mut Tx<'_>, meta: HealthMeta) -> Result<(), TableError> {
    tx.put_memo(&META, &(), &meta, Some(meta))
}

/// An account input: fold it into the account's inputs, evaluate once a
/// day has closed, due at the next close. The account's inputs and state
/// are kept decoded for its next record (the memo: an account reports
/// usage every day and is evaluated at every close).
fn input(
    tx: &mut Tx<'_>,
    position: u64,
    customer_id: CustomerId,
    event: &Event,
) -> Result<(), ProjectionError> {
    let mut meta = fold_meta(tx)?;
    let meta_before = meta;
    let old = match tx.take_memo::<_, _, HealthInputs>(&INPUTS, &customer_id) {
        Some(kept) => Some(kept),
        None => load_inputs(tx, customer_id)?,
    };
    let new_account = old.is_none();
    let mut inputs = old.unwrap_or_default();
    // Written when they changed (a new account's, always).
    if inputs.apply(event) || new_account {
        tx.put_as(&INPUTS, &customer_id, &StoredInputsRef(&inputs))?;
    }
    if new_account {
        meta.n_accounts += 1;
    }
    let mut state = take_state(tx, customer_id)?;
    push_bounded(&mut state.pending_inputs, position);
    let due = match meta.last_closed {
        Some(closed) => {
            let policy = fold_policy(tx)?;
            evaluate_account(
                tx,
                &mut meta,
                customer_id,
                &mut state,
                &inputs,
                Some(closed),
                closed.day,
                &policy,
                position,
            )?;
            due_after(&state, &inputs, closed.day, &policy)
        }
        // Evaluated at the first close.
        None => Some(NaiveDate::MIN),
    };
    let last_closed = meta.last_closed.map(|closed| closed.day);
    let mut due_writes = DueWrites::default();
    schedule(&mut due_writes, customer_id, &mut state, due, last_closed);
    due_writes.write(tx, position)?;
    put_state(tx, customer_id, state)?;
    // The row holds `inputs` now (written above, or unchanged).
    tx.keep_memo(&INPUTS, &customer_id, inputs);
    if meta != meta_before {
        put_meta(tx, meta)?;
    }
    Ok(())
}

fn cannot_apply(position: u64, reason: String) -> ProjectionError {
    ProjectionError::CannotApply { position, reason }
}

/// Every account with inputs, in id order.
fn all_accounts(tx: &mut Tx<'_>) -> Result<Vec<CustomerId>, TableError> {
    Ok(tx
        .range(&INPUTS, None, None)?
        .into_iter()
        .map(|(customer_id, _)| customer_id)
        .collect())
}

/// The accounts in the due buckets a close of `day` consumes (after a
/// close of `previous`, or none): the next-close bucket
/// ([`NaiveDate::MIN`]) and the days `previous + 1 ..= day` (no bucket of
/// an earlier day is left: each close consumes its days, and every due day
/// written is after the close or input that wrote it). Every bucket read
/// is deleted; the caller evaluates the accounts still due and schedules
/// them again. Stale entries (the account moved on) and repeated ones cost
/// a look-up here and nothing more.
fn consume_due_buckets(
    tx: &mut Tx<'_>,
    previous: Option<NaiveDate>,
    day: NaiveDate,
) -> Result<BTreeSet<CustomerId>, TableError> {
    let mut rows = tx.prefix(&DUE, &NaiveDate::MIN)?;
    let first = previous
        .unwrap_or(NaiveDate::MIN)
        .succ_opt()
        .map(|first| (first, 0));
    let end = day.succ_opt().map(|next| (next, 0));
    if let Some(first) = first {
        rows.extend(tx.range(&DUE, Some(&first), end.as_ref())?);
    }
    let mut due = BTreeSet::new();
    for (key, accounts) in rows {
        tx.delete(&DUE, &key)?;
        due.extend(accounts);
    }
    Ok(due)
}

fn day_closed(tx: &mut Tx<'_>, position: u64, closed: &DayClosed) -> Result<(), ProjectionError> {
    let mut meta = fold_meta(tx)?;
    let previous = meta.last_closed;
    let day = closed.day;
    meta.last_closed = Some(ClosedDay {
        day,
        closes_at: closed.closes_at,
        position,
    });
    let policy = fold_policy(tx)?;
    let in_order = previous.map_or(true, |previous| day > previous.day);
    let due: BTreeSet<CustomerId> = if in_order {
        consume_due_buckets(tx, previous.map(|previous| previous.day), day)?
    } else {
        // Not after the last closed day: every account, as v1 (no bucket
        // is consumed: each account's due day stays what it was or is
        // moved below).
        all_accounts(tx)?.into_iter().collect()
    };
    let mut due_writes = DueWrites::default();
    for customer_id in due {
        let mut state = take_state(tx, customer_id)?;
        if in_order {
            // Found in a consumed bucket: due if its due day has come (else
            // the entry was stale: the account moved to a later day, whose
            // bucket still holds it).
            if !state.due.is_some_and(|due| due <= day) {
                tx.keep_memo(&CUSTOMERS, &customer_id, state);
                continue;
            }
            // Its bucket is deleted: whatever it is due at next gets a new
            // entry.
            state.due = None;
        }
        // The inputs as the last input left them (kept whole), else the
        // part an evaluation reads (not kept: it is not the whole row).
        let (inputs, whole) = match tx.take_memo::<_, _, HealthInputs>(&INPUTS, &customer_id) {
            Some(inputs) => (inputs, true),
            None => match load_evaluation_inputs(tx, customer_id)? {
                Some(inputs) => (inputs, false),
                None => {
                    return Err(cannot_apply(
                        position,
                        format!("health: customer {customer_id} is due but has no inputs"),
                    ))
                }
            },
        };
        evaluate_account(
            tx,
            &mut meta,
            customer_id,
            &mut state,
            &inputs,
            previous,
            day,
            &policy,
            position,
        )?;
        record_daily(tx, customer_id, &mut state)?;
        let next = due_after(&state, &inputs, day, &policy);
        schedule(&mut due_writes, customer_id, &mut state, next, Some(day));
        put_state(tx, customer_id, state)?;
        if whole {
            tx.keep_memo(&INPUTS, &customer_id, inputs);
        }
    }
    due_writes.write(tx, position)?;
    put_meta(tx, meta)?;
    Ok(())
}

/// A new policy is in force at once: every account is re-evaluated (once a
/// day has closed) and due at the next close, whose score history row
/// carries the new version.
fn policy_published(
    tx: &mut Tx<'_>,
    position: u64,
    policy: &HealthPolicy,
) -> Result<(), ProjectionError> {
    tx.put(&POLICY, &(), policy)?;
    // The policy now in force: the published one, unless an override is.
    let policy = &policy_in_force(tx)?;
    let mut meta = meta(tx)?;
    let Some(closed) = meta.last_closed else {
        return Ok(());
    };
    let mut due_writes = DueWrites::default();
    for customer_id in all_accounts(tx)? {
        let Some(inputs) = load_inputs(tx, customer_id)? else {
            continue;
        };
        let mut state = customer_state(tx, customer_id)?;
        evaluate_account(
            tx,
            &mut meta,
            customer_id,
            &mut state,
            &inputs,
            Some(closed),
            closed.day,
            policy,
            position,
        )?;
        let due = due_after(&state, &inputs, closed.day, policy);
        schedule(
            &mut due_writes,
            customer_id,
            &mut state,
            due,
            Some(closed.day),
        );
        tx.put(&CUSTOMERS, &customer_id, &state)?;
    }
    due_writes.write(tx, position)?;
    tx.put(&META, &(), &meta)?;
    Ok(())
}

/// Makes sure the customer has a state row (v1's `entry().or_default()`).
fn touch(tx: &mut Tx<'_>, customer_id: CustomerId) -> Result<CustomerState, TableError> {
    match tx.get(&CUSTOMERS, &customer_id)? {
        Some(state) => Ok(state),
        None => {
            let state = CustomerState::default();
            tx.put(&CUSTOMERS, &customer_id, &state)?;
            Ok(state)
        }
    }
}

/// The position of the first task (or plan) with this id.
fn first_with_id(
    tx: &mut Tx<'_>,
    table: &Table<(CustomerId, Uuid), u64>,
    customer_id: CustomerId,
    id: Uuid,
) -> Result<Option<u64>, TableError> {
    tx.get(table, &(customer_id, id))
}

/// The health process's own events.
fn process(tx: &mut Tx<'_>, position: u64, event: &Event) -> Result<(), TableError> {
    match event {
        Event::HealthLevelChanged(changed) => {
            touch(tx, changed.customer_id)?;
            let change = LevelChange {
                position,
                day: changed.day,
                from: changed.from,
                to: changed.to,
                score_bp: changed.score_bp,
                policy_version: changed.policy_version,
            };
            tx.put(&LEVELS, &(changed.customer_id, position), &change)?;
        }
        Event::SuccessCasePushed(pushed) => {
            touch(tx, pushed.customer_id)?;
            let case = SuccessCase {
                position,
                day: pushed.day,
                owner: pushed.owner,
                score_bp: pushed.score_bp,
            };
            tx.put(&SUCCESS, &(pushed.customer_id, position), &case)?;
        }
        Event::CallbackTaskCreated(created) => {
            let customer_id = created.customer_id;
            touch(tx, customer_id)?;
            let task = CallbackTaskEntry {
                task_id: created.task_id,
                position,
                day: created.day,
                due_at: created.due_at,
                status: CallbackStatus::Open,
                missed_on: None,
                completed_by: None,
                completed_at: None,
            };
            tx.put(&TASKS, &(customer_id, position), &task)?;
            let id = created.task_id.as_uuid();
            if first_with_id(tx, &TASK_IDS, customer_id, id)?.is_none() {
                tx.put(&TASK_IDS, &(customer_id, id), &position)?;
            }
        }
        Event::CallbackTaskMissed(missed) => {
            let customer_id = missed.customer_id;
            if let Some(at) = first_with_id(tx, &TASK_IDS, customer_id, missed.task_id.as_uuid())? {
                if let Some(mut task) = tx.get(&TASKS, &(customer_id, at))? {
                    task.status = CallbackStatus::Missed;
                    task.missed_on = Some(missed.day);
                    tx.put(&TASKS, &(customer_id, at), &task)?;
                }
            }
        }
        Event::CallbackTaskCompleted(completed) => {
            let customer_id = completed.customer_id;
            let id = completed.task_id.as_uuid();
            if let Some(at) = first_with_id(tx, &TASK_IDS, customer_id, id)? {
                if let Some(mut task) = tx.get(&TASKS, &(customer_id, at))? {
                    task.completed_by = Some(completed.completed_by.clone());
                    task.completed_at = Some(completed.completed_at);
                    task.status = if completed.met && task.missed_on.is_none() {
                        CallbackStatus::Met
                    } else {
                        CallbackStatus::Missed
                    };
                    tx.put(&TASKS, &(customer_id, at), &task)?;
                }
            }
        }
        Event::RenewalQuotingFrozen(frozen) => {
            let customer_id = frozen.customer_id;
            let mut state = customer_state(tx, customer_id)?;
            state.frozen_since = Some(frozen.day);
            state.last_freeze = Some(position);
            let freeze = Freeze {
                position,
                day: frozen.day,
                score_bp: frozen.score_bp,
                unfrozen_by_plan: None,
                unfrozen_at: None,
            };
            tx.put(&FREEZES, &(customer_id, position), &freeze)?;
            tx.put(&CUSTOMERS, &customer_id, &state)?;
        }
        Event::RenewalQuotingUnfrozen(unfrozen) => {
            let customer_id = unfrozen.customer_id;
            let mut state = customer_state(tx, customer_id)?;
            state.frozen_since = None;
            if let Some(at) = state.last_freeze {
                if let Some(mut freeze) = tx.get(&FREEZES, &(customer_id, at))? {
                    if freeze.unfrozen_at.is_none() {
                        freeze.unfrozen_by_plan = Some(unfrozen.plan_id);
                        freeze.unfrozen_at = Some(unfrozen.unfrozen_at);
                        tx.put(&FREEZES, &(customer_id, at), &freeze)?;
                    }
                }
            }
            tx.put(&CUSTOMERS, &customer_id, &state)?;
        }
        Event::RescuePlanSubmitted(submitted) => {
            let customer_id = submitted.customer_id;
            touch(tx, customer_id)?;
            let plan = RescuePlanEntry {
                plan_id: submitted.plan_id,
                position,
                summary: submitted.summary.as_str().to_owned(),
                submitted_by: submitted.submitted_by.clone(),
                submitted_at: submitted.submitted_at,
                approved_by: None,
                approved_at: None,
            };
            tx.put(&PLANS, &(customer_id, position), &plan)?;
            let id = submitted.plan_id.as_uuid();
            if first_with_id(tx, &PLAN_IDS, customer_id, id)?.is_none() {
                tx.put(&PLAN_IDS, &(customer_id, id), &position)?;
            }
        }
        Event::RescuePlanApproved(approved) => {
            let customer_id = approved.customer_id;
            let id = approved.plan_id.as_uuid();
            if let Some(at) = first_with_id(tx, &PLAN_IDS, customer_id, id)? {
                if let Some(mut plan) = tx.get(&PLANS, &(customer_id, at))? {
                    plan.approved_by = Some(approved.approved_by.clone());
                    plan.approved_at = Some(approved.approved_at);
                    tx.put(&PLANS, &(customer_id, at), &plan)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

// ---- reads (the answers the gateway serves) ----

/// Rows of `table` from `from` (inclusive, encoded) within `prefix`, at
/// most `limit` (the engine's bounded range).
pub(crate) fn rows_from<K: TableKey, V: DeserializeOwned>(
    rows: &mut impl TableRead,
    table: &Table<K, V>,
    from: &[u8],
    to: Option<&[u8]>,
    limit: usize,
) -> Result<Vec<(K, V)>, TableError> {
    let name = table.name();
    rows.raw_read()
        .range_raw(name, from, to, limit)?
        .into_iter()
        .map(|(key, value)| {
            let key = K::from_key_bytes(&key).map_err(|source| TableError::Key {
                table: name,
                source,
            })?;
            let value = postcard::from_bytes(&value).map_err(|source| TableError::Value {
                table: name,
                source,
            })?;
            Ok((key, value))
        })
        .collect()
}

/// The smallest encoding after every key that starts with `key`'s (keys
/// are self-delimiting, so this is the first key after `key`).
pub(crate) fn after_key(key: &impl TableKey) -> Vec<u8> {
    let mut bytes = key.to_key_bytes();
    bytes.push(0);
    bytes
}

/// Rows of a page and the key to continue after.
pub(crate) type Page<K, V> = (Vec<(K, V)>, Option<K>);

/// A page of `limit` rows from `from` (encoded, inclusive) up to `to`,
/// with the key to continue after when more rows follow.
pub(crate) fn page<K: TableKey + Clone, V: DeserializeOwned>(
    rows: &mut impl TableRead,
    table: &Table<K, V>,
    from: &[u8],
    to: Option<&[u8]>,
    limit: usize,
) -> Result<Page<K, V>, TableError> {
    let mut found = rows_from(rows, table, from, to, limit.saturating_add(1))?;
    let next = if found.len() > limit {
        found.truncate(limit);
        found.last().map(|(key, _)| key.clone())
    } else {
        None
    };
    Ok((found, next))
}

/// The last closed day, if any.
pub fn last_closed(rows: &mut impl TableRead) -> Result<Option<ClosedDay>, TableError> {
    Ok(meta(rows)?.last_closed)
}

fn summary(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
    state: &CustomerState,
) -> Result<HealthSummary, TableError> {
    let breakdown = state.breakdown.as_ref();
    Ok(HealthSummary {
        customer_id,
        company_name: company_name(rows, customer_id)?,
        score_bp: breakdown.map(|b| b.score_bp),
        level: breakdown.map(|b| b.level),
        policy_version: breakdown.map(|b| b.policy_version),
        frozen: state.frozen_since.is_some(),
    })
}

/// Every customer, sorted by id: v1's `HealthView::summaries` (the
/// `/v1/views/health` list). Score, level and version do not move between
/// evaluations, so the stored ones are the answer.
pub fn summaries(rows: &mut impl TableRead) -> Result<Vec<HealthSummary>, TableError> {
    let states = rows.range(&CUSTOMERS, None, None)?;
    states
        .into_iter()
        .map(|(customer_id, state)| summary(rows, customer_id, &state))
        .collect()
}

/// A page of [`summaries`]: at most `limit` customers after `after`, and
/// the id to continue after when more follow.
pub fn summaries_page(
    rows: &mut impl TableRead,
    after: Option<CustomerId>,
    limit: usize,
) -> Result<(Vec<HealthSummary>, Option<CustomerId>), TableError> {
    let from = after.as_ref().map(after_key).unwrap_or_default();
    let (states, next) = page(rows, &CUSTOMERS, &from, None, limit)?;
    let summaries = states
        .into_iter()
        .map(|(customer_id, state)| summary(rows, customer_id, &state))
        .collect::<Result<_, _>>()?;
    Ok((summaries, next))
}

fn values<K, V>(rows: Vec<(K, V)>) -> Vec<V> {
    rows.into_iter().map(|(_, value)| value).collect()
}

/// One customer's whole health, v1's `HealthView::customer` (as of the
/// last closed day), if any account event concerned it.
pub fn customer(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
) -> Result<Option<CustomerHealth>, TableError> {
    let Some(state) = rows.get(&CUSTOMERS, &customer_id)? else {
        return Ok(None);
    };
    let evaluation = materialise(&state, last_closed(rows)?);
    Ok(Some(CustomerHealth {
        breakdown: evaluation.breakdown,
        evaluated_at_position: evaluation.evaluated_at_position,
        changed_by: evaluation.changed_by,
        pending_inputs: state.pending_inputs,
        daily: daily_of(rows, customer_id)?,
        history: values(rows.prefix(&LEVELS, &customer_id)?),
        frozen_since: state.frozen_since,
        freezes: values(rows.prefix(&FREEZES, &customer_id)?),
        rescue_plans: values(rows.prefix(&PLANS, &customer_id)?),
        callback_tasks: values(rows.prefix(&TASKS, &customer_id)?),
        success_cases: values(rows.prefix(&SUCCESS, &customer_id)?),
    }))
}

/// One customer's full health with its directory facts, only once it has
/// a breakdown: v1's `HealthView::detail` (`/v1/views/health/{id}`).
pub fn detail(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
) -> Result<Option<HealthDetail>, TableError> {
    let Some(health) = customer(rows, customer_id)? else {
        return Ok(None);
    };
    if health.breakdown.is_none() {
        return Ok(None);
    }
    Ok(Some(HealthDetail {
        customer_id,
        company_name: company_name(rows, customer_id)?,
        owner: directory::customer_owner(rows, customer_id)?,
        region: directory::customer_region(rows, customer_id)?,
        frozen: health.frozen_since.is_some(),
        health,
    }))
}

/// One customer's score history (changes only), in day order.
pub fn daily_of(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
) -> Result<Vec<DailyEntry>, TableError> {
    Ok(rows
        .prefix(&DAILY, &customer_id)?
        .into_iter()
        .flat_map(|(_, month)| month)
        .collect())
}

/// A customer's score history changes on days in `from..to` (`to`: none,
/// no end), in day order, from at most `max_months` month rows: only the
/// rows that can hold those days are read.
fn daily_between(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
    from: NaiveDate,
    to: Option<NaiveDate>,
    max_months: usize,
) -> Result<Vec<DailyEntry>, TableError> {
    let start = (customer_id, month_of(from)).to_key_bytes();
    // Up to and including `to`'s month, else to the customer's last row.
    let end = match to.and_then(|to| month_of(to).checked_add_months(chrono::Months::new(1))) {
        Some(next) => Some((customer_id, next).to_key_bytes()),
        None => super::prefix_end(&customer_id.to_key_bytes()),
    };
    Ok(rows_from(rows, &DAILY, &start, end.as_deref(), max_months)?
        .into_iter()
        .flat_map(|(_, month)| month)
        .filter(|entry| entry.day >= from && to.map_or(true, |to| entry.day < to))
        .collect())
}

/// A page of one customer's score history (changes only), in day order:
/// at most `limit` rows after the day `after`, and the day to continue
/// after when more follow.
pub fn daily_page(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
    after: Option<NaiveDate>,
    limit: usize,
) -> Result<(Vec<DailyEntry>, Option<NaiveDate>), TableError> {
    let from = match after {
        Some(day) => match day.succ_opt() {
            Some(next) => next,
            None => return Ok((Vec::new(), None)),
        },
        None => NaiveDate::MIN,
    };
    // Every month row holds at least one change, and the first may hold
    // none after `after`: `limit + 2` rows hold `limit + 1` changes if
    // there are that many.
    let mut found = daily_between(rows, customer_id, from, None, limit.saturating_add(2))?;
    let next = if found.len() > limit {
        found.truncate(limit);
        found.last().map(|entry| entry.day)
    } else {
        None
    };
    Ok((found, next))
}

/// The score history entry in force on `day`: the last change at or
/// before it (what v1's daily history answers for that day).
pub fn daily_as_of(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
    day: NaiveDate,
) -> Result<Option<DailyEntry>, TableError> {
    let found = daily_between(
        rows,
        customer_id,
        NaiveDate::MIN,
        day.succ_opt(),
        usize::MAX,
    )?;
    Ok(found.into_iter().next_back())
}

/// How many customers were at each level on a day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelCounts {
    pub day: NaiveDate,
    pub green: u32,
    pub yellow: u32,
    pub red: u32,
}

/// Level counts on each day of `first..=last`, each customer counted at
/// the level of its last score history entry at or before the day (the
/// dashboard's health trend; customers never scored are not counted).
pub fn level_counts(
    rows: &mut impl TableRead,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<LevelCounts>, TableError> {
    let mut out: Vec<LevelCounts> = first
        .iter_days()
        .take_while(|day| *day <= last)
        .map(|day| LevelCounts {
            day,
            ..LevelCounts::default()
        })
        .collect();
    let customers: Vec<CustomerId> = rows
        .range(&CUSTOMERS, None, None)?
        .into_iter()
        .map(|(customer_id, _)| customer_id)
        .collect();
    for customer_id in customers {
        let mut level = daily_as_of(rows, customer_id, first)?.map(|entry| entry.level);
        let changes = match first.succ_opt() {
            Some(from) => daily_between(rows, customer_id, from, last.succ_opt(), usize::MAX)?,
            None => Vec::new(),
        };
        let mut changes = changes.into_iter().peekable();
        for slot in &mut out {
            while let Some(entry) = changes.next_if(|entry| entry.day <= slot.day) {
                level = Some(entry.level);
            }
            match level {
                Some(Level::Green) => slot.green += 1,
                Some(Level::Yellow) => slot.yellow += 1,
                Some(Level::Red) => slot.red += 1,
                None => {}
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
