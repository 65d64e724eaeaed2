//! The regional daily digest (SPEC C12): for each region and day, what
//! happened, generated from the day's events instead of hand-merged
//! reports.
//!
//! Per region and business date (China Standard Time):
//! - `new_leads`: `LeadRegistered` (`registered_at`); region: the lead's
//!   `region` attribute, else that of the customer it was registered for,
//!   else `unassigned`;
//! - `visits`: `VisitLogged` (`occurred_at`);
//! - `proposals_created`: `ProposalCreated` (`created_at`);
//!   `proposals_delivered`: `ProposalDelivered` (`delivered_at`);
//! - `payments` and `payments_fen`: `PaymentReceived` (`received_on`);
//! - `turned_yellow`, `turned_red`: customers whose `HealthLevelChanged`
//!   (`day`) went to yellow or red;
//! - `overdue_instalments`: `InstalmentOverdue` (`day`, the close that
//!   flagged it).
//!
//! Customer events count in the customer's region (its `region`
//! attribute, else its owner's region, else `unassigned`) at the time of
//! the event. A day is `closed` once `DayClosed` recorded it.
//!
//! A closed day's figures are final: they stand as they were when its
//! `DayClosed` was folded. A lead, visit, proposal (created or delivered)
//! or payment whose business day was already closed when it was recorded
//! (a visit of yesterday logged this morning, a payment received on a
//! closed day recorded by finance later) counts in that day's `late`
//! section ([`LateFigures`]) instead, and only there: not in the day it
//! was recorded, so `figures + late` is everything that occurred on the
//! day, each event counted once. The close's own decisions for the day
//! (`HealthLevelChanged`, `InstalmentOverdue` of that `day`, appended just
//! after `DayClosed` by the day-close fan-out) are part of the close and
//! count in its figures. "Already closed" is a matter of log order
//! (`DayClosed` before the event), never of a clock.
//!
//! Bounded: one small entry per region and day with activity (a year is
//! at most 366 per region); customer lists hold only the customers whose
//! level changed that day; a proposal's customer is kept only until it is
//! delivered. Pure; `BTreeMap` only; business times from the payloads.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use salesledger_domain::health::Level;
use salesledger_domain::value::{CustomerId, ProposalId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::{Deserialize, Serialize};

use crate::directory::{business_date, first_sight, Directory, UNASSIGNED};
use crate::projector::Projector;

/// The digest projector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Digest;

impl Projector for Digest {
    const NAME: &'static str = "digest";
    /// 2: events recorded for a closed day count in its `late` section.
    const VERSION: u32 = 2;
    type Model = DigestView;

    fn apply(model: &mut DigestView, record: &RecordedEvent, event: &Event) {
        if first_sight(&mut model.last_position, record.position) {
            model.apply(event);
        }
    }
}

/// One region's day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestDay {
    pub new_leads: u64,
    pub visits: u64,
    pub proposals_created: u64,
    pub proposals_delivered: u64,
    pub payments: u64,
    pub payments_fen: u64,
    pub turned_yellow: BTreeSet<CustomerId>,
    pub turned_red: BTreeSet<CustomerId>,
    pub overdue_instalments: u64,
    /// What was recorded for this day after it closed (its figures above
    /// stay as they were at the close).
    pub late: LateFigures,
}

/// The events recorded for a day after its close: the day's business-time
/// counts, as [`DigestDay`] names them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateFigures {
    pub new_leads: u64,
    pub visits: u64,
    pub proposals_created: u64,
    pub proposals_delivered: u64,
    pub payments: u64,
    pub payments_fen: u64,
}

/// An event counted on the business day it occurred, which that day's
/// close makes late.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurred {
    Lead,
    Visit,
    ProposalCreated,
    ProposalDelivered,
    /// A payment of this many fen.
    Payment(u64),
}

impl DigestDay {
    /// Counts `what` in the day's figures, or in its `late` section when
    /// the day was closed before `what` was recorded.
    pub fn count(&mut self, what: Occurred, day_closed: bool) {
        let (new_leads, visits, created, delivered, payments, payments_fen) = if day_closed {
            let late = &mut self.late;
            (
                &mut late.new_leads,
                &mut late.visits,
                &mut late.proposals_created,
                &mut late.proposals_delivered,
                &mut late.payments,
                &mut late.payments_fen,
            )
        } else {
            (
                &mut self.new_leads,
                &mut self.visits,
                &mut self.proposals_created,
                &mut self.proposals_delivered,
                &mut self.payments,
                &mut self.payments_fen,
            )
        };
        let counter = match what {
            Occurred::Lead => new_leads,
            Occurred::Visit => visits,
            Occurred::ProposalCreated => created,
            Occurred::ProposalDelivered => delivered,
            Occurred::Payment(amount_fen) => {
                *payments_fen = payments_fen.saturating_add(amount_fen);
                payments
            }
        };
        *counter = counter.saturating_add(1);
    }
}

/// The folded state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestView {
    pub last_position: Option<u64>,
    pub directory: Directory,
    /// Proposals created and not yet delivered: their customer.
    pub open_proposals: BTreeMap<ProposalId, CustomerId>,
    pub closed_days: BTreeSet<NaiveDate>,
    /// Per region, per business date.
    pub regions: BTreeMap<String, BTreeMap<NaiveDate, DigestDay>>,
}

/// One region's digest for one day, as served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestReport {
    pub region: String,
    pub day: NaiveDate,
    /// Whether the day has been closed: its figures are final, and what is
    /// recorded for it later counts in `late`.
    pub closed: bool,
    #[serde(flatten)]
    pub figures: DigestDay,
}

impl DigestView {
    fn apply(&mut self, event: &Event) {
        self.directory.apply(event);
        match event {
            Event::DayClosed(closed) => {
                self.closed_days.insert(closed.day);
            }
            Event::LeadRegistered(registered) => {
                let region = match (registered.attributes.get("region"), registered.customer_id) {
                    (Some(region), _) => region.as_str().to_owned(),
                    (None, Some(customer_id)) => self.directory.customer_region(customer_id),
                    (None, None) => UNASSIGNED.to_owned(),
                };
                self.occurred(
                    region,
                    business_date(registered.registered_at),
                    Occurred::Lead,
                );
            }
            Event::VisitLogged(visit) => {
                let region = self.directory.customer_region(visit.customer_id);
                self.occurred(region, business_date(visit.occurred_at), Occurred::Visit);
            }
            Event::ProposalCreated(created) => {
                self.open_proposals
                    .insert(created.proposal_id, created.customer_id);
                let region = self.directory.customer_region(created.customer_id);
                self.occurred(
                    region,
                    business_date(created.created_at),
                    Occurred::ProposalCreated,
                );
            }
            Event::ProposalDelivered(delivered) => {
                let region = self
                    .open_proposals
                    .remove(&delivered.proposal_id)
                    .map_or_else(
                        || UNASSIGNED.to_owned(),
                        |customer_id| self.directory.customer_region(customer_id),
                    );
                self.occurred(
                    region,
                    business_date(delivered.delivered_at),
                    Occurred::ProposalDelivered,
                );
            }
            Event::PaymentReceived(received) => {
                let region = self.directory.customer_region(received.customer_id);
                self.occurred(
                    region,
                    received.received_on,
                    Occurred::Payment(received.amount_fen),
                );
            }
            Event::HealthLevelChanged(changed) => {
                let region = self.directory.customer_region(changed.customer_id);
                match changed.to {
                    Level::Yellow => {
                        self.day(region, changed.day)
                            .turned_yellow
                            .insert(changed.customer_id);
                    }
                    Level::Red => {
                        self.day(region, changed.day)
                            .turned_red
                            .insert(changed.customer_id);
                    }
                    Level::Green => {}
                }
            }
            Event::InstalmentOverdue(overdue) => {
                let region = self.directory.customer_region(overdue.customer_id);
                self.day(region, overdue.day).overdue_instalments += 1;
            }
            _ => {}
        }
    }

    /// Counts `what` on `day`: in its figures, or in its `late` section if
    /// `day` was closed already.
    fn occurred(&mut self, region: String, day: NaiveDate, what: Occurred) {
        let closed = self.closed_days.contains(&day);
        self.day(region, day).count(what, closed);
    }

    fn day(&mut self, region: String, day: NaiveDate) -> &mut DigestDay {
        self.regions
            .entry(region)
            .or_default()
            .entry(day)
            .or_default()
    }

    /// Whether any event ever counted in `region`.
    pub fn knows_region(&self, region: &str) -> bool {
        self.regions.contains_key(region)
    }

    /// Every region with activity.
    pub fn region_names(&self) -> Vec<&str> {
        self.regions.keys().map(String::as_str).collect()
    }

    /// The digest of `region` on `day` (zeros on a day without activity),
    /// `None` for a region with no activity at all.
    pub fn report(&self, region: &str, day: NaiveDate) -> Option<DigestReport> {
        let days = self.regions.get(region)?;
        Some(DigestReport {
            region: region.to_owned(),
            day,
            closed: self.closed_days.contains(&day),
            figures: days.get(&day).cloned().unwrap_or_default(),
        })
    }
}
