//! The sales funnel (SPEC C11): leads by stage, per rep, region and month
//! of registration, with stage-to-stage conversion and cycle times.
//!
//! Stages: `lead` (`LeadRegistered`), `qualified` (`RoutingConfirmed`),
//! then `LeadStageAdvanced` to `proposal`, `negotiation`, `won` or `lost`.
//!
//! - A lead *reaches* a stage of the chain lead < qualified < proposal <
//!   negotiation < won when its furthest stage is that one or a later one
//!   (a lead that skipped `proposal` counts as having passed it); `lost`
//!   is counted apart and keeps the stages reached before.
//! - Conversion from a stage to the next = reached(next) / reached(stage)
//!   in basis points (truncated; `null` when nobody reached the stage);
//!   `lead_to_won_bp` is the overall win rate.
//! - Cycle time: from `registered_at` to the `won` advance's
//!   `advanced_at`, in days (seconds / 86400, 2 decimals); mean and
//!   median (the mean of the two middle values for an even count) over
//!   the won leads.
//! - Per-stage mean days: for each stage, the mean time from entering it
//!   to entering the next stage the lead actually entered, over the leads
//!   that have left it.
//! - Grouping: the rep is the routed rep (`null` before routing); the
//!   region is that rep's region (`unassigned` before routing); the month
//!   is `YYYY-MM` of the registration's business time (China Standard
//!   Time). `total` covers every month.
//!
//! Bounded: one small entry per lead (its rep, registration and the times
//! it entered each stage). Rows are computed when read. Pure; `BTreeMap`
//! only; business times from the payloads.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use salesledger_domain::lead::FunnelStage;
use salesledger_domain::value::{LeadId, RepId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::{Deserialize, Serialize};

use crate::assets::TOTAL;
use crate::directory::{first_sight, month_of, ratio_bp, Directory, UNASSIGNED};
use crate::projector::Projector;

/// The funnel projector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Funnel;

impl Projector for Funnel {
    const NAME: &'static str = "funnel";
    const VERSION: u32 = 1;
    type Model = FunnelView;

    fn apply(model: &mut FunnelView, record: &RecordedEvent, event: &Event) {
        if first_sight(&mut model.last_position, record.position) {
            model.apply(event);
        }
    }
}

/// The chain of stages a lead moves along (`lost` leaves it).
const CHAIN: [FunnelStage; 5] = [
    FunnelStage::Lead,
    FunnelStage::Qualified,
    FunnelStage::Proposal,
    FunnelStage::Negotiation,
    FunnelStage::Won,
];

/// One lead's way through the funnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadFunnel {
    pub registered_at: DateTime<Utc>,
    /// `YYYY-MM` of the registration.
    pub month: String,
    pub rep_id: Option<RepId>,
    /// The furthest stage of the chain reached (never `lost`).
    pub furthest: FunnelStage,
    pub lost: bool,
    /// When it entered each stage it actually entered, in order.
    pub entered: Vec<(FunnelStage, DateTime<Utc>)>,
}

/// The folded state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelView {
    pub last_position: Option<u64>,
    pub directory: Directory,
    pub leads: BTreeMap<LeadId, LeadFunnel>,
}

/// How many leads reached each stage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageCounts {
    pub lead: u64,
    pub qualified: u64,
    pub proposal: u64,
    pub negotiation: u64,
    pub won: u64,
    pub lost: u64,
}

/// Stage-to-stage conversion in basis points.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversions {
    pub lead_to_qualified_bp: Option<u64>,
    pub qualified_to_proposal_bp: Option<u64>,
    pub proposal_to_negotiation_bp: Option<u64>,
    pub negotiation_to_won_bp: Option<u64>,
    pub lead_to_won_bp: Option<u64>,
}

/// Mean days spent in each stage before the next one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageDays {
    pub lead: Option<f64>,
    pub qualified: Option<f64>,
    pub proposal: Option<f64>,
    pub negotiation: Option<f64>,
}

/// One row: a rep or a region over a month or the total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelRow {
    /// The routed rep (rows grouped by rep; `null`: not routed yet).
    pub rep_id: Option<RepId>,
    pub display_name: Option<String>,
    pub region: String,
    /// `YYYY-MM` of registration, or `total`.
    pub period: String,
    pub reached: StageCounts,
    pub conversion: Conversions,
    /// Number of won leads the cycle times are computed over.
    pub won_cycles: u64,
    pub cycle_mean_days: Option<f64>,
    pub cycle_median_days: Option<f64>,
    pub stage_mean_days: StageDays,
}

/// How rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunnelGroup {
    Rep,
    Region,
}

/// Seconds as days with two decimals.
pub fn days(seconds: i64) -> f64 {
    // Hundredths of a day, rounded half away from zero, in integers.
    let hundredths = (i128::from(seconds) * 100 * 2 + 86_400) / (86_400 * 2);
    hundredths as f64 / 100.0
}

fn mean_seconds(values: &[i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let sum: i128 = values.iter().map(|value| i128::from(*value)).sum();
    i64::try_from(sum / values.len() as i128).ok()
}

#[derive(Default)]
pub(crate) struct Acc {
    counts: StageCounts,
    cycles: Vec<i64>,
    stage_seconds: BTreeMap<FunnelStage, Vec<i64>>,
}

impl Acc {
    pub(crate) fn add(&mut self, lead: &LeadFunnel) {
        for stage in CHAIN {
            if lead.furthest >= stage {
                match stage {
                    FunnelStage::Lead => self.counts.lead += 1,
                    FunnelStage::Qualified => self.counts.qualified += 1,
                    FunnelStage::Proposal => self.counts.proposal += 1,
                    FunnelStage::Negotiation => self.counts.negotiation += 1,
                    FunnelStage::Won | FunnelStage::Lost => self.counts.won += 1,
                }
            }
        }
        if lead.lost {
            self.counts.lost += 1;
        }
        for pair in lead.entered.windows(2) {
            let ((stage, since), (_, until)) = (pair[0], pair[1]);
            self.stage_seconds
                .entry(stage)
                .or_default()
                .push((until - since).num_seconds());
        }
        if let Some((_, won_at)) = lead
            .entered
            .iter()
            .find(|(stage, _)| *stage == FunnelStage::Won)
        {
            self.cycles
                .push((*won_at - lead.registered_at).num_seconds());
        }
    }

    pub(crate) fn row(
        mut self,
        rep_id: Option<RepId>,
        display_name: Option<String>,
        region: String,
        period: String,
    ) -> FunnelRow {
        let counts = &self.counts;
        let conversion = Conversions {
            lead_to_qualified_bp: ratio_bp(counts.qualified, counts.lead),
            qualified_to_proposal_bp: ratio_bp(counts.proposal, counts.qualified),
            proposal_to_negotiation_bp: ratio_bp(counts.negotiation, counts.proposal),
            negotiation_to_won_bp: ratio_bp(counts.won, counts.negotiation),
            lead_to_won_bp: ratio_bp(counts.won, counts.lead),
        };
        self.cycles.sort_unstable();
        let median = match self.cycles.len() {
            0 => None,
            n if n % 2 == 1 => Some(days(self.cycles[n / 2])),
            n => mean_seconds(&self.cycles[n / 2 - 1..=n / 2]).map(days),
        };
        let stage_mean = |stage: FunnelStage| {
            self.stage_seconds
                .get(&stage)
                .and_then(|values| mean_seconds(values))
                .map(days)
        };
        FunnelRow {
            rep_id,
            display_name,
            region,
            period,
            reached: self.counts.clone(),
            conversion,
            won_cycles: self.cycles.len() as u64,
            cycle_mean_days: mean_seconds(&self.cycles).map(days),
            cycle_median_days: median,
            stage_mean_days: StageDays {
                lead: stage_mean(FunnelStage::Lead),
                qualified: stage_mean(FunnelStage::Qualified),
                proposal: stage_mean(FunnelStage::Proposal),
                negotiation: stage_mean(FunnelStage::Negotiation),
            },
        }
    }
}

impl FunnelView {
    fn apply(&mut self, event: &Event) {
        self.directory.apply(event);
        match event {
            Event::LeadRegistered(registered) => {
                self.leads
                    .entry(registered.lead_id)
                    .or_insert_with(|| LeadFunnel {
                        registered_at: registered.registered_at,
                        month: month_of(registered.registered_at),
                        rep_id: None,
                        furthest: FunnelStage::Lead,
                        lost: false,
                        entered: vec![(FunnelStage::Lead, registered.registered_at)],
                    });
            }
            Event::RoutingConfirmed(confirmed) => {
                if let Some(lead) = self.leads.get_mut(&confirmed.lead_id) {
                    lead.rep_id = Some(confirmed.rep_id);
                    if lead.furthest < FunnelStage::Qualified && !lead.lost {
                        lead.furthest = FunnelStage::Qualified;
                        lead.entered
                            .push((FunnelStage::Qualified, confirmed.confirmed_at));
                    }
                }
            }
            Event::LeadStageAdvanced(advanced) => {
                if let Some(lead) = self.leads.get_mut(&advanced.lead_id) {
                    if advanced.to == FunnelStage::Lost {
                        lead.lost = true;
                    } else if advanced.to > lead.furthest {
                        lead.furthest = advanced.to;
                    }
                    lead.entered.push((advanced.to, advanced.advanced_at));
                }
            }
            _ => {}
        }
    }

    /// Rows grouped by `group`, for one `period` (`YYYY-MM` or `total`) or,
    /// when `None`, every month then the total. Ordered by rep id (unrouted
    /// first) or region, then period (`total` last).
    pub fn rows(&self, group: FunnelGroup, period: Option<&str>) -> Vec<FunnelRow> {
        let mut accs: BTreeMap<(String, Option<RepId>), BTreeMap<String, Acc>> = BTreeMap::new();
        for lead in self.leads.values() {
            let region = lead.rep_id.map_or_else(
                || UNASSIGNED.to_owned(),
                |rep| self.directory.rep_region(rep),
            );
            let key = match group {
                FunnelGroup::Rep => (String::new(), lead.rep_id),
                FunnelGroup::Region => (region, None),
            };
            let periods = accs.entry(key).or_default();
            if period.map_or(true, |wanted| wanted == lead.month) {
                periods.entry(lead.month.clone()).or_default().add(lead);
            }
            if period.map_or(true, |wanted| wanted == TOTAL) {
                periods.entry(TOTAL.to_owned()).or_default().add(lead);
            }
        }
        let mut rows = Vec::new();
        for ((region, rep_id), periods) in accs {
            for (period, acc) in periods {
                rows.push(match (group, rep_id) {
                    (FunnelGroup::Rep, Some(rep_id)) => acc.row(
                        Some(rep_id),
                        self.directory.rep_name(rep_id),
                        self.directory.rep_region(rep_id),
                        period,
                    ),
                    (FunnelGroup::Rep, None) => acc.row(None, None, UNASSIGNED.to_owned(), period),
                    (FunnelGroup::Region, _) => acc.row(None, None, region.clone(), period),
                });
            }
        }
        rows
    }
}
