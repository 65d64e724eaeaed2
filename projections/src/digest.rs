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
    const VERSION: u32 = 1;
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
    /// Whether the day has been closed (its digest is final).
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
                self.day(region, business_date(registered.registered_at))
                    .new_leads += 1;
            }
            Event::VisitLogged(visit) => {
                let region = self.directory.customer_region(visit.customer_id);
                self.day(region, business_date(visit.occurred_at)).visits += 1;
            }
            Event::ProposalCreated(created) => {
                self.open_proposals
                    .insert(created.proposal_id, created.customer_id);
                let region = self.directory.customer_region(created.customer_id);
                self.day(region, business_date(created.created_at))
                    .proposals_created += 1;
            }
            Event::ProposalDelivered(delivered) => {
                let region = self
                    .open_proposals
                    .remove(&delivered.proposal_id)
                    .map_or_else(
                        || UNASSIGNED.to_owned(),
                        |customer_id| self.directory.customer_region(customer_id),
                    );
                self.day(region, business_date(delivered.delivered_at))
                    .proposals_delivered += 1;
            }
            Event::PaymentReceived(received) => {
                let region = self.directory.customer_region(received.customer_id);
                let day = self.day(region, received.received_on);
                day.payments += 1;
                day.payments_fen = day.payments_fen.saturating_add(received.amount_fen);
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
