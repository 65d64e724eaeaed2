//! The regional daily digest (SPEC C12) as a table projector: the same rules
//! and the same reports as [`crate::digest`] (checked against it in
//! `projections/tests/tables_digest.rs`), stored as one row per region and
//! day.
//!
//! | table | key | value |
//! |---|---|---|
//! | `days` | (region, business date) | that region's day ([`DigestDay`]) |
//! | `regions` | region | `()`: a region with activity |
//! | `closed_days` | date | `()`: a closed day |
//! | `open_proposals` | proposal id | its customer, until it is delivered |
//!
//! An event writes the one day row it counts in (and its region the first
//! time). A customer's region is the shared directory's as of the record
//! (the directory is folded first), as in the model.

use chrono::NaiveDate;
use salesledger_domain::health::Level;
use salesledger_domain::value::{CustomerId, ProposalId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;

use super::{directory, Table, TableError, TableProjector, TableRead, Tx};
use crate::digest::{DigestDay, DigestReport};
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

impl TableProjector for DigestTables {
    const NAME: &'static str = "digest";
    const VERSION: u32 = 1;

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
                count(tx, region, business_date(registered.registered_at), |day| {
                    day.new_leads = day.new_leads.saturating_add(1);
                })?;
            }
            Event::VisitLogged(visit) => {
                let region = directory::customer_region(tx, visit.customer_id)?;
                count(tx, region, business_date(visit.occurred_at), |day| {
                    day.visits = day.visits.saturating_add(1);
                })?;
            }
            Event::ProposalCreated(created) => {
                tx.put(&OPEN_PROPOSALS, &created.proposal_id, &created.customer_id)?;
                let region = directory::customer_region(tx, created.customer_id)?;
                count(tx, region, business_date(created.created_at), |day| {
                    day.proposals_created = day.proposals_created.saturating_add(1);
                })?;
            }
            Event::ProposalDelivered(delivered) => {
                let region = match tx.get(&OPEN_PROPOSALS, &delivered.proposal_id)? {
                    Some(customer_id) => {
                        tx.delete(&OPEN_PROPOSALS, &delivered.proposal_id)?;
                        directory::customer_region(tx, customer_id)?
                    }
                    None => UNASSIGNED.to_owned(),
                };
                count(tx, region, business_date(delivered.delivered_at), |day| {
                    day.proposals_delivered = day.proposals_delivered.saturating_add(1);
                })?;
            }
            Event::PaymentReceived(received) => {
                let region = directory::customer_region(tx, received.customer_id)?;
                count(tx, region, received.received_on, |day| {
                    day.payments = day.payments.saturating_add(1);
                    day.payments_fen = day.payments_fen.saturating_add(received.amount_fen);
                })?;
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
