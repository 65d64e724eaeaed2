//! The rep leaderboard as a table projector: the same rules and the same
//! boards as [`crate::leaderboard`] (checked against it in
//! `projections/tests/tables_leaderboard.rs`), stored as small rows.
//!
//! | table | key | value |
//! |---|---|---|
//! | `figures` | (`YYYY-MM`, rep id) | the rep's three counters that month ([`RepFigures`]) |
//! | `contract_reps` | contract id | the contract's rep (to attribute its payments) |
//! | `lead_reps` | lead id | the routed rep of a lead still open (deleted once won or lost) |
//!
//! A contract, payment or won lead writes one counter row (and a contract
//! its rep). Boards are computed when read, from a scan of the months
//! asked for (one month's rows when a period is given), in key order; a
//! rep's region and name come from the shared directory, as of the read
//! (the model reads its directory when boards are asked for).

use std::collections::BTreeMap;

use salesledger_domain::lead::FunnelStage;
use salesledger_domain::value::{ContractId, LeadId, RepId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;

use super::{directory, Table, TableError, TableProjector, TableRead, Tx};
use crate::directory::{month_of, month_of_date, RepInfo, UNASSIGNED};
use crate::error::ProjectionError;
use crate::leaderboard::{Board, LeaderboardRow, RepFigures};

/// Per month and rep, the figures.
pub const FIGURES: Table<(String, RepId), RepFigures> = Table::new("figures");
/// The rep of every contract.
pub const CONTRACT_REPS: Table<ContractId, RepId> = Table::new("contract_reps");
/// The routed rep of every lead still open.
pub const LEAD_REPS: Table<LeadId, RepId> = Table::new("lead_reps");

/// The leaderboard projector on tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeaderboardTables;

fn add(
    tx: &mut Tx<'_>,
    month: String,
    rep_id: RepId,
    change: impl FnOnce(&mut RepFigures),
) -> Result<(), TableError> {
    let key = (month, rep_id);
    let mut figures = tx.get(&FIGURES, &key)?.unwrap_or_default();
    change(&mut figures);
    tx.put(&FIGURES, &key, &figures)
}

impl TableProjector for LeaderboardTables {
    const NAME: &'static str = "leaderboard";
    const VERSION: u32 = 1;

    fn tables() -> &'static [&'static str] {
        &["figures", "contract_reps", "lead_reps"]
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
            Event::ContractSigned(signed) => {
                // The model keeps the latest rep but counts the first
                // signing only.
                let first = tx.get(&CONTRACT_REPS, &signed.contract_id)?.is_none();
                tx.put(&CONTRACT_REPS, &signed.contract_id, &signed.rep_id)?;
                if first {
                    add(tx, month_of_date(signed.signed_on), signed.rep_id, |f| {
                        f.contract_value_fen =
                            f.contract_value_fen.saturating_add(signed.total_fen);
                    })?;
                }
            }
            Event::PaymentReceived(received) => {
                if let Some(rep_id) = tx.get(&CONTRACT_REPS, &received.contract_id)? {
                    add(tx, month_of_date(received.received_on), rep_id, |f| {
                        f.payments_fen = f.payments_fen.saturating_add(received.amount_fen);
                    })?;
                }
            }
            Event::RoutingConfirmed(confirmed) => {
                tx.put(&LEAD_REPS, &confirmed.lead_id, &confirmed.rep_id)?;
            }
            Event::LeadStageAdvanced(advanced) => match advanced.to {
                FunnelStage::Won => {
                    if let Some(rep_id) = tx.get(&LEAD_REPS, &advanced.lead_id)? {
                        tx.delete(&LEAD_REPS, &advanced.lead_id)?;
                        add(tx, month_of(advanced.advanced_at), rep_id, |f| {
                            f.won_leads = f.won_leads.saturating_add(1);
                        })?;
                    }
                }
                FunnelStage::Lost => {
                    tx.delete(&LEAD_REPS, &advanced.lead_id)?;
                }
                _ => {}
            },
            _ => {}
        }
        Ok(())
    }
}

/// The boards, by region then month, optionally only one region's and/or
/// one month's: the same boards, in the same order, as
/// [`crate::leaderboard::LeaderboardView::boards`] over the same records.
pub fn boards(
    rows: &mut impl TableRead,
    region: Option<&str>,
    period: Option<&str>,
) -> Result<Vec<Board>, TableError> {
    let reps: BTreeMap<RepId, RepInfo> = rows
        .range(&directory::REPS, None, None)?
        .into_iter()
        .collect();
    let figures = match period {
        Some(month) => rows.prefix(&FIGURES, &month.to_owned())?,
        None => rows.range(&FIGURES, None, None)?,
    };
    let mut boards: BTreeMap<(String, String), Vec<LeaderboardRow>> = BTreeMap::new();
    for ((month, rep_id), figures) in figures {
        let rep = reps.get(&rep_id);
        let rep_region = rep.map_or_else(|| UNASSIGNED.to_owned(), |rep| rep.region.clone());
        if region.is_some_and(|wanted| wanted != rep_region) {
            continue;
        }
        boards
            .entry((rep_region, month))
            .or_default()
            .push(LeaderboardRow {
                rank: 0,
                rep_id,
                display_name: rep.map(|rep| rep.display_name.clone()),
                figures,
            });
    }
    Ok(boards
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
        .collect())
}
