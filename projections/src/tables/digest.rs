//! The regional daily digest (SPEC C12) as a table projector: the same rules
//! and the same reports as [`crate::digest`] (checked against it in
//! `projections/tests/tables_digest.rs`), stored as one row per region and
//! day.
//!
//! | table | key | value |
//! |---|---|---|
//! | `days` | (region, business date) | that region's day ([`DigestDay`], its `late` section included) |
//! | `regions` | region | `()`: a region with activity |
//! | `closed_days` | date | `()`: a closed day |
//! | `open_proposals` | proposal id | its customer, until it is delivered |
//!
//! An event writes the one day row it counts in (and its region the first
//! time). A customer's region is the shared directory's as of the record
//! (the directory is folded first), as in the model.
//!
//! A closed day is final: a lead, visit, proposal or payment whose business
//! day is in `closed_days` when it is folded (its `DayClosed` came first in
//! the log) counts in that day's `late` section, not in its figures (and
//! not in the day it was recorded), as in the model ([`crate::digest`]).

use chrono::NaiveDate;
use salesledger_domain::health::Level;
use salesledger_domain::value::{CustomerId, ProposalId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;

use super::{directory, Table, TableError, TableProjector, TableRead, Tx};
use crate::digest::{DigestDay, DigestReport, Occurred};
use crate::directory::{business_date, UNASSIGNED};
use crate::error::ProjectionError;

/// Per region and business date, the day's figures.
pub const DAYS: Table<(String, NaiveDate), DigestDay> = Table::new("days");
/// Every region with activity.
pub const REGIONS: Table<String, ()> = Table::new("regions");
/// Every closed day.
pub const CLOSED_DAYS: Table<NaiveDate, ()> = Table::new("closed_days");
/// Proposals created and not yet delivered: their customer.
pub const OPEN_PROPOSALS: Table<ProposalId, CustomerId> = Table::new("open_proposals");

/// The digest projector on tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct DigestTables;

/// Changes one region's day.
fn count(
    tx: &mut Tx<'_>,
    region: String,
    day: NaiveDate,
    change: impl FnOnce(&mut DigestDay),
) -> Result<(), TableError> {
    if tx.get(&REGIONS, &region)?.is_none() {
        tx.put(&REGIONS, &region, &())?;
    }
    let key = (region, day);
    let mut figures = tx.get(&DAYS, &key)?.unwrap_or_default();
    change(&mut figures);
    tx.put(&DAYS, &key, &figures)
}

/// Counts `what` on `day` in `region`: in the day's figures, or in its
/// `late` section if the day was closed already.
fn occurred(
    tx: &mut Tx<'_>,
    region: String,
    day: NaiveDate,
    what: Occurred,
) -> Result<(), TableError> {
    let closed = tx.get(&CLOSED_DAYS, &day)?.is_some();
    count(tx, region, day, |figures| figures.count(what, closed))
}

impl TableProjector for DigestTables {
    const NAME: &'static str = "digest";
    /// 2: events recorded for a closed day count in its `late` section.
    const VERSION: u32 = 2;

    fn tables() -> &'static [&'static str] {
        &["days", "regions", "closed_days", "open_proposals"]
    }

    fn reads() -> &'static [&'static str] {
        directory::TABLES
    }

    fn apply(
        tx: &mut Tx<'_>,
        _record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        match event {
            Event::DayClosed(closed) => {
                tx.put(&CLOSED_DAYS, &closed.day, &())?;
            }
            Event::LeadRegistered(registered) => {
                let region = match (registered.attributes.get("region"), registered.customer_id) {
                    (Some(region), _) => region.as_str().to_owned(),
                    (None, Some(customer_id)) => directory::customer_region(tx, customer_id)?,
                    (None, None) => UNASSIGNED.to_owned(),
                };
                occurred(
                    tx,
                    region,
                    business_date(registered.registered_at),
                    Occurred::Lead,
                )?;
            }
            Event::VisitLogged(visit) => {
                let region = directory::customer_region(tx, visit.customer_id)?;
                occurred(
                    tx,
                    region,
                    business_date(visit.occurred_at),
                    Occurred::Visit,
                )?;
            }
            Event::ProposalCreated(created) => {
                tx.put(&OPEN_PROPOSALS, &created.proposal_id, &created.customer_id)?;
                let region = directory::customer_region(tx, created.customer_id)?;
                occurred(
                    tx,
                    region,
                    business_date(created.created_at),
                    Occurred::ProposalCreated,
                )?;
            }
            Event::ProposalDelivered(delivered) => {
                let region = match tx.get(&OPEN_PROPOSALS, &delivered.proposal_id)? {
                    Some(customer_id) => {
                        tx.delete(&OPEN_PROPOSALS, &delivered.proposal_id)?;
                        directory::customer_region(tx, customer_id)?
                    }
                    None => UNASSIGNED.to_owned(),
                };
                occurred(
                    tx,
                    region,
                    business_date(delivered.delivered_at),
                    Occurred::ProposalDelivered,
                )?;
            }
            Event::PaymentReceived(received) => {
                let region = directory::customer_region(tx, received.customer_id)?;
                occurred(
                    tx,
                    region,
                    received.received_on,
                    Occurred::Payment(received.amount_fen),
                )?;
            }
            Event::HealthLevelChanged(changed) => {
                let customer_id = changed.customer_id;
                match changed.to {
                    Level::Yellow => {
                        let region = directory::customer_region(tx, customer_id)?;
                        count(tx, region, changed.day, |day| {
                            day.turned_yellow.insert(customer_id);
                        })?;
                    }
                    Level::Red => {
                        let region = directory::customer_region(tx, customer_id)?;
                        count(tx, region, changed.day, |day| {
                            day.turned_red.insert(customer_id);
                        })?;
                    }
                    Level::Green => {}
                }
            }
            Event::InstalmentOverdue(overdue) => {
                let region = directory::customer_region(tx, overdue.customer_id)?;
                count(tx, region, overdue.day, |day| {
                    day.overdue_instalments = day.overdue_instalments.saturating_add(1);
                })?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Every region with activity, in order (what the gateway's 404 lists).
pub fn region_names(rows: &mut impl TableRead) -> Result<Vec<String>, TableError> {
    Ok(rows
        .range(&REGIONS, None, None)?
        .into_iter()
        .map(|(region, ())| region)
        .collect())
}

/// The digest of `region` on `day` (zeros on a day without activity),
/// `None` for a region with no activity at all: the answer of
/// [`crate::digest::DigestView::report`].
pub fn report(
    rows: &mut impl TableRead,
    region: &str,
    day: NaiveDate,
) -> Result<Option<DigestReport>, TableError> {
    let region = region.to_owned();
    if rows.get(&REGIONS, &region)?.is_none() {
        return Ok(None);
    }
    let closed = rows.get(&CLOSED_DAYS, &day)?.is_some();
    let figures = rows.get(&DAYS, &(region.clone(), day))?.unwrap_or_default();
    Ok(Some(DigestReport {
        region,
        day,
        closed,
        figures,
    }))
}
