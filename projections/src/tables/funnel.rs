//! The sales funnel (SPEC C11) as a table projector: the same rules and the
//! same rows as [`crate::funnel`] (checked against it in
//! `projections/tests/tables_funnel.rs`), stored as one row per lead.
//!
//! | table | key | value |
//! |---|---|---|
//! | `leads` | lead id | the lead's way through the funnel ([`LeadFunnel`]: registration, routed rep, furthest stage, lost, when it entered each stage) |
//!
//! A registration, routing confirmation or stage advance writes its lead's
//! row only. A lead's row is bounded by its stages (registration, routing
//! and one entry per stage advance). The rows per rep or region are
//! computed when read, from a scan of the leads in key order; a routed
//! rep's region and name come from the shared directory, as of the read
//! (the model's rule: it reads its directory when rows are asked for).

use std::collections::BTreeMap;

use salesledger_domain::lead::FunnelStage;
use salesledger_domain::value::{LeadId, RepId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;

use super::{directory, Table, TableError, TableProjector, TableRead, Tx};
use crate::assets::TOTAL;
use crate::directory::{month_of, RepInfo, UNASSIGNED};
use crate::error::ProjectionError;
use crate::funnel::{Acc, FunnelGroup, FunnelRow, LeadFunnel};

/// Every lead's way through the funnel.
pub const LEADS: Table<LeadId, LeadFunnel> = Table::new("leads");

/// The funnel projector on tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct FunnelTables;

impl TableProjector for FunnelTables {
    const NAME: &'static str = "funnel";
    const VERSION: u32 = 1;

    fn tables() -> &'static [&'static str] {
        &["leads"]
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
            Event::LeadRegistered(registered) => {
                let known = tx.get(&LEADS, &registered.lead_id)?;
                if known.is_none() {
                    let lead = LeadFunnel {
                        registered_at: registered.registered_at,
                        month: month_of(registered.registered_at),
                        rep_id: None,
                        furthest: FunnelStage::Lead,
                        lost: false,
                        entered: vec![(FunnelStage::Lead, registered.registered_at)],
                    };
                    tx.put(&LEADS, &registered.lead_id, &lead)?;
                }
            }
            Event::RoutingConfirmed(confirmed) => {
                if let Some(mut lead) = tx.get(&LEADS, &confirmed.lead_id)? {
                    lead.rep_id = Some(confirmed.rep_id);
                    if lead.furthest < FunnelStage::Qualified && !lead.lost {
                        lead.furthest = FunnelStage::Qualified;
                        lead.entered
                            .push((FunnelStage::Qualified, confirmed.confirmed_at));
                    }
                    tx.put(&LEADS, &confirmed.lead_id, &lead)?;
                }
            }
            Event::LeadStageAdvanced(advanced) => {
                if let Some(mut lead) = tx.get(&LEADS, &advanced.lead_id)? {
                    if advanced.to == FunnelStage::Lost {
                        lead.lost = true;
                    } else if advanced.to > lead.furthest {
                        lead.furthest = advanced.to;
                    }
                    lead.entered.push((advanced.to, advanced.advanced_at));
                    tx.put(&LEADS, &advanced.lead_id, &lead)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The directory's reps, read once per answer (bounded by the reps).
fn reps(rows: &mut impl TableRead) -> Result<BTreeMap<RepId, RepInfo>, TableError> {
    Ok(rows
        .range(&directory::REPS, None, None)?
        .into_iter()
        .collect())
}

/// The funnel rows: the same rows, in the same order, as
/// [`crate::funnel::FunnelView::rows`] over the same records (rows grouped
/// by `group`, for one `period`, `YYYY-MM` or `total`, or every month then
/// the total; by rep id, unrouted first, or region, then period).
pub fn rows(
    rows: &mut impl TableRead,
    group: FunnelGroup,
    period: Option<&str>,
) -> Result<Vec<FunnelRow>, TableError> {
    let reps = reps(rows)?;
    let region_of = |rep_id: RepId| {
        reps.get(&rep_id)
            .map_or_else(|| UNASSIGNED.to_owned(), |rep| rep.region.clone())
    };
    let mut accs: BTreeMap<(String, Option<RepId>), BTreeMap<String, Acc>> = BTreeMap::new();
    for (_, lead) in rows.range(&LEADS, None, None)? {
        let key = match group {
            FunnelGroup::Rep => (String::new(), lead.rep_id),
            FunnelGroup::Region => (
                lead.rep_id.map_or_else(|| UNASSIGNED.to_owned(), region_of),
                None,
            ),
        };
        let periods = accs.entry(key).or_default();
        if period.map_or(true, |wanted| wanted == lead.month) {
            periods.entry(lead.month.clone()).or_default().add(&lead);
        }
        if period.map_or(true, |wanted| wanted == TOTAL) {
            periods.entry(TOTAL.to_owned()).or_default().add(&lead);
        }
    }
    let mut out = Vec::new();
    for ((region, rep_id), periods) in accs {
        for (period, acc) in periods {
            out.push(match (group, rep_id) {
                (FunnelGroup::Rep, Some(rep_id)) => acc.row(
                    Some(rep_id),
                    reps.get(&rep_id).map(|rep| rep.display_name.clone()),
                    region_of(rep_id),
                    period,
                ),
                (FunnelGroup::Rep, None) => acc.row(None, None, UNASSIGNED.to_owned(), period),
                (FunnelGroup::Region, _) => acc.row(None, None, region.clone(), period),
            });
        }
    }
    Ok(out)
}
