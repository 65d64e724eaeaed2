//! The rep leaderboard: per region and month, reps ranked by contract
//! value signed, then payments collected on their contracts, then leads
//! won, then rep id (ascending), so every rank is distinct and the order
//! is total.
//!
//! - Contract value: `ContractSigned.total_fen` for its `rep_id`, in the
//!   month of `signed_on`.
//! - Payments: `PaymentReceived.amount_fen` for the rep of the contract,
//!   in the month of `received_on`.
//! - Won leads: `LeadStageAdvanced` to `won`, for the rep the lead was
//!   routed to (`RoutingConfirmed`), in the month of `advanced_at` (China
//!   Standard Time).
//! - Region and display name: the rep's (`RepRegistered`; `unassigned`
//!   and `null` for a rep never registered).
//!
//! Bounded: three counters per rep and month; a contract's rep (to
//! attribute its payments); a lead's rep only until it is won or lost.
//! Pure; `BTreeMap` only; business times from the payloads.

use std::collections::BTreeMap;

use salesledger_domain::lead::FunnelStage;
use salesledger_domain::value::{ContractId, LeadId, RepId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::{Deserialize, Serialize};

use crate::directory::{first_sight, month_of, month_of_date, Directory};
use crate::projector::Projector;

/// The leaderboard projector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Leaderboard;

impl Projector for Leaderboard {
    const NAME: &'static str = "leaderboard";
    const VERSION: u32 = 1;
    type Model = LeaderboardView;

    fn apply(model: &mut LeaderboardView, record: &RecordedEvent, event: &Event) {
        if first_sight(&mut model.last_position, record.position) {
            model.apply(event);
        }
    }
}

/// One rep's figures in one month.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepFigures {
    pub contract_value_fen: u64,
    pub payments_fen: u64,
    pub won_leads: u64,
}

/// The folded state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderboardView {
    pub last_position: Option<u64>,
    pub directory: Directory,
    /// The rep of every contract.
    pub contract_reps: BTreeMap<ContractId, RepId>,
    /// The routed rep of every lead still open.
    pub lead_reps: BTreeMap<LeadId, RepId>,
    /// Per month (`YYYY-MM`), per rep.
    pub months: BTreeMap<String, BTreeMap<RepId, RepFigures>>,
}

/// One ranked row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderboardRow {
    /// 1 for the first.
    pub rank: u32,
    pub rep_id: RepId,
    pub display_name: Option<String>,
    #[serde(flatten)]
    pub figures: RepFigures,
}

/// One region's board for one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub region: String,
    pub period: String,
    pub rows: Vec<LeaderboardRow>,
}

impl LeaderboardView {
    fn apply(&mut self, event: &Event) {
        self.directory.apply(event);
        match event {
            Event::ContractSigned(signed) => {
                let first = self
                    .contract_reps
                    .insert(signed.contract_id, signed.rep_id)
                    .is_none();
                if first {
                    let figures = self.figures(month_of_date(signed.signed_on), signed.rep_id);
                    figures.contract_value_fen =
                        figures.contract_value_fen.saturating_add(signed.total_fen);
                }
            }
            Event::PaymentReceived(received) => {
                if let Some(rep_id) = self.contract_reps.get(&received.contract_id).copied() {
                    let figures = self.figures(month_of_date(received.received_on), rep_id);
                    figures.payments_fen = figures.payments_fen.saturating_add(received.amount_fen);
                }
            }
            Event::RoutingConfirmed(confirmed) => {
                self.lead_reps.insert(confirmed.lead_id, confirmed.rep_id);
            }
            Event::LeadStageAdvanced(advanced) => match advanced.to {
                FunnelStage::Won => {
                    if let Some(rep_id) = self.lead_reps.remove(&advanced.lead_id) {
                        self.figures(month_of(advanced.advanced_at), rep_id)
                            .won_leads += 1;
                    }
                }
                FunnelStage::Lost => {
                    self.lead_reps.remove(&advanced.lead_id);
                }
                _ => {}
            },
            _ => {}
        }
    }

    fn figures(&mut self, month: String, rep_id: RepId) -> &mut RepFigures {
        self.months
            .entry(month)
            .or_default()
            .entry(rep_id)
            .or_default()
    }

    /// The boards, by region then month, optionally only one region's
    /// and/or one month's.
    pub fn boards(&self, region: Option<&str>, period: Option<&str>) -> Vec<Board> {
        let mut boards: BTreeMap<(String, String), Vec<LeaderboardRow>> = BTreeMap::new();
        for (month, reps) in &self.months {
            if period.is_some_and(|wanted| wanted != month) {
                continue;
            }
            for (rep_id, figures) in reps {
                let rep_region = self.directory.rep_region(*rep_id);
                if region.is_some_and(|wanted| wanted != rep_region) {
                    continue;
                }
                boards
                    .entry((rep_region, month.clone()))
                    .or_default()
                    .push(LeaderboardRow {
                        rank: 0,
                        rep_id: *rep_id,
                        display_name: self.directory.rep_name(*rep_id),
                        figures: figures.clone(),
                    });
            }
        }
        boards
            .into_iter()
            .map(|((region, period), mut rows)| {
                rows.sort_by(|a, b| {
                    b.figures
                        .contract_value_fen
                        .cmp(&a.figures.contract_value_fen)
                        .then(b.figures.payments_fen.cmp(&a.figures.payments_fen))
                        .then(b.figures.won_leads.cmp(&a.figures.won_leads))
                        .then(a.rep_id.cmp(&b.rep_id))
                });
                for (row, rank) in rows.iter_mut().zip(1u32..) {
                    row.rank = rank;
                }
                Board {
                    region,
                    period,
                    rows,
                }
            })
            .collect()
    }
}
