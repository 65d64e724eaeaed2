//! The morning risk list (SPEC C8) as a table projector: the same rules and
//! the same answers as [`crate::risk`] (`RiskList`), stored as rows.
//!
//! The risk list keeps no inputs of its own: it reads the health
//! projector's shared inputs ([`super::health::INPUT_TABLES`]: the policy
//! in force, the account counters, the below-green ranking, each account's
//! inputs, company names) and the directory (owner, region), all declared
//! in [`TableProjector::reads`] (design, "Shared facts once").
//!
//! **Fold order:** within each record the runner must fold the directory,
//! then health ([`HealthTables`]), then the risk list, so that at a
//! `DayClosed` the risk list sees health's evaluation of that very close
//! (the ranking of every account as of the closed day). [`apply_all`] does
//! exactly that over [`MemoryTables`] for pure folds and tests.
//!
//! At a `DayClosed` of day D the list is built from the first
//! [`RISK_LIST_SIZE`] rows of `health-below-green` (ascending score, then
//! customer id: v1's order) and the counters of `health-meta` (accounts
//! with inputs, accounts below green); each listed account's inputs are
//! loaded and its risk kinds computed with the domain's
//! [`risk_kinds`] at the day's `closes_at`, as v1 does. Cost: ten accounts
//! per close, whatever the number of accounts.
//!
//! | table | key | value |
//! |---|---|---|
//! | `risk-days` | day | the list's header ([`RiskDayHead`]) |
//! | `risk-entries` | (day, rank) | one listed customer ([`RiskEntry`]) |
//! | `risk-latest` | `()` | the latest day with a list |

use chrono::{DateTime, NaiveDate, Utc};
use salesledger_domain::calendar::DayClosed;
use salesledger_domain::health::{evaluate, risk_kinds, Level};
use salesledger_domain::value::CustomerId;
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::{Deserialize, Serialize};

use super::directory::{self, DirectoryTables};
use super::health::{self, HealthTables, BELOW_GREEN};
use super::{MemoryTables, Table, TableError, TableProjector, TableRead, Tx};
use crate::error::ProjectionError;
use crate::risk::{Risk, RiskDay, RiskEntry, RISK_LIST_SIZE};

/// Each closed day's list header.
pub const DAYS: Table<NaiveDate, RiskDayHead> = Table::new("risk-days");
/// Each closed day's listed customers, by rank.
pub const ENTRIES: Table<(NaiveDate, u32), RiskEntry> = Table::new("risk-entries");
/// The latest day with a list.
pub const LATEST: Table<(), NaiveDate> = Table::new("risk-latest");

/// Every table of this projector.
pub const TABLES: &[&str] = &["risk-days", "risk-entries", "risk-latest"];

/// What the risk list reads: the directory's tables and health's inputs
/// ([`directory::TABLES`] and [`health::INPUT_TABLES`]).
pub const READS: &[&str] = &[
    "dir-reps",
    "dir-customers",
    "health-inputs",
    "health-policy",
    "health-policy-override",
    "health-meta",
    "health-below-green",
    "health-names",
];

/// A day's list without its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskDayHead {
    pub closes_at: DateTime<Utc>,
    pub position: u64,
    pub policy_version: u32,
    pub n_evaluated: u64,
    pub n_at_risk: u64,
}

/// The risk-list projector on tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct RiskTables;

impl TableProjector for RiskTables {
    const NAME: &'static str = <crate::risk::RiskList as crate::projector::Projector>::NAME;
    /// 2: rebuilt with health 2, whose inputs rows it reads.
    const VERSION: u32 = 2;

    fn tables() -> &'static [&'static str] {
        TABLES
    }

    /// The directory and health's shared inputs: fold both before this
    /// projector within each record.
    fn reads() -> &'static [&'static str] {
        READS
    }

    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        if let Event::DayClosed(closed) = event {
            day_closed(tx, record.position, closed)?;
        }
        Ok(())
    }
}

fn day_closed(tx: &mut Tx<'_>, position: u64, closed: &DayClosed) -> Result<(), ProjectionError> {
    let day = closed.day;
    let policy = health::policy_in_force(tx)?;
    let meta = health::meta(tx)?;
    if meta.last_closed.map(|last| last.position) != Some(position) {
        return Err(ProjectionError::CannotApply {
            position,
            reason: "risk: health has not folded this DayClosed yet (fold health before risk)"
                .to_owned(),
        });
    }
    let ranked = health::rows_from(tx, &BELOW_GREEN, &[], None, RISK_LIST_SIZE)?;
    for (key, _) in tx.prefix(&ENTRIES, &day)? {
        tx.delete(&ENTRIES, &key)?;
    }
    for (((score_bp, customer_id), level), rank) in ranked.into_iter().zip(1u32..) {
        let entry = entry(
            tx,
            position,
            closed,
            rank,
            customer_id,
            score_bp,
            level,
            &policy,
        )?;
        tx.put(&ENTRIES, &(day, rank), &entry)?;
    }
    let head = RiskDayHead {
        closes_at: closed.closes_at,
        position,
        policy_version: policy.version,
        n_evaluated: meta.n_accounts,
        n_at_risk: meta.n_below_green,
    };
    tx.put(&DAYS, &day, &head)?;
    if tx.get(&LATEST, &())?.map_or(true, |latest| day > latest) {
        tx.put(&LATEST, &(), &day)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn entry(
    tx: &mut Tx<'_>,
    position: u64,
    closed: &DayClosed,
    rank: u32,
    customer_id: CustomerId,
    score_bp: u32,
    level: Level,
    policy: &salesledger_domain::health::HealthPolicy,
) -> Result<RiskEntry, ProjectionError> {
    let day = closed.day;
    let Some(inputs) = health::load_inputs(tx, customer_id)? else {
        return Err(ProjectionError::CannotApply {
            position,
            reason: format!("risk: ranked customer {customer_id} has no health inputs"),
        });
    };
    let breakdown = evaluate(&inputs, day, policy);
    if (breakdown.score_bp, breakdown.level) != (score_bp, level) {
        return Err(ProjectionError::CannotApply {
            position,
            reason: format!(
                "risk: health ranks {customer_id} at {score_bp} but it scores {} on {day}",
                breakdown.score_bp
            ),
        });
    }
    let kinds = risk_kinds(&inputs, &breakdown, day, closed.closes_at, policy);
    Ok(RiskEntry {
        rank,
        customer_id,
        company_name: health::company_name(tx, customer_id)?,
        owner: directory::customer_owner(tx, customer_id)?,
        region: directory::customer_region(tx, customer_id)?,
        score_bp,
        level,
        last_login_at: inputs.last_login(),
        core_modules_never_used: inputs.core_modules_never_used(policy),
        competitor_keywords: inputs.keywords_searched_30(day),
        risks: kinds
            .into_iter()
            .map(|kind| Risk {
                kind,
                script: policy.script(kind).to_owned(),
            })
            .collect(),
    })
}

// ---- reads ----

fn usize_of(count: u64) -> usize {
    usize::try_from(count).unwrap_or(usize::MAX)
}

/// The list of one day, if that day closed: v1's `RiskView::day`
/// (`/v1/views/risk?day=`).
pub fn day(rows: &mut impl TableRead, day: NaiveDate) -> Result<Option<RiskDay>, TableError> {
    let Some(head) = rows.get(&DAYS, &day)? else {
        return Ok(None);
    };
    let customers = rows
        .prefix(&ENTRIES, &day)?
        .into_iter()
        .map(|(_, entry)| entry)
        .collect();
    Ok(Some(RiskDay {
        day,
        closes_at: head.closes_at,
        position: head.position,
        policy_version: head.policy_version,
        n_evaluated: usize_of(head.n_evaluated),
        n_at_risk: usize_of(head.n_at_risk),
        customers,
    }))
}

/// The list of the latest closed day: v1's `RiskView::latest`
/// (`/v1/views/risk`).
pub fn latest(rows: &mut impl TableRead) -> Result<Option<RiskDay>, TableError> {
    match rows.get(&LATEST, &())? {
        Some(latest) => day(rows, latest),
        None => Ok(None),
    }
}

/// A page of the days that have a list, in day order: at most `limit`
/// days after `after`, and the day to continue after when more follow.
pub fn days_page(
    rows: &mut impl TableRead,
    after: Option<NaiveDate>,
    limit: usize,
) -> Result<(Vec<NaiveDate>, Option<NaiveDate>), TableError> {
    let from = after.as_ref().map(health::after_key).unwrap_or_default();
    let (found, next) = health::page(rows, &DAYS, &from, None, limit)?;
    Ok((found.into_iter().map(|(day, _)| day).collect(), next))
}

/// Folds `record` the way the runner must: the directory, then health,
/// then the risk list, each seeing the others' rows as of this record.
pub fn apply_all(tables: &mut MemoryTables, record: &RecordedEvent) -> Result<(), ProjectionError> {
    if let Some(event) = crate::projector::decode_record(record)? {
        DirectoryTables::apply(&mut Tx::new(tables), record, &event)?;
        HealthTables::apply(&mut Tx::new(tables), record, &event)?;
        RiskTables::apply(&mut Tx::new(tables), record, &event)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_reads_the_directory_and_the_health_inputs_and_writes_none_of_them() {
        let expected: Vec<&str> = directory::TABLES
            .iter()
            .chain(health::INPUT_TABLES)
            .copied()
            .collect();
        assert_eq!(READS, expected.as_slice());
        for table in health::INPUT_TABLES {
            assert!(health::TABLES.contains(table), "{table} is health's");
            assert!(!TABLES.contains(table));
        }
    }
}
