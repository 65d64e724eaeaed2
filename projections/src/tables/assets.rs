//! The process-asset view (SPEC C9) as a table projector: the same rules and
//! the same answer as [`crate::assets`] (checked against it in
//! `replay/tests/readmodel.rs`), stored as rows instead of one model.
//!
//! Tables:
//!
//! | table | key | value |
//! |---|---|---|
//! | `reps` | rep id | display name and region (`RepRegistered`) |
//! | `months` | (rep id, `YYYY-MM`) | the three asset counters |
//! | `followed` | (rep id, `YYYY-MM`, customer id) | `()`: a followed customer |
//!
//! A follow-up or an asset writes one or two small rows: a persist costs
//! what changed. Region and total rows are computed when read, from a scan
//! in key order. The `reps` table is this view's own copy of the directory
//! until the shared directory projector exists (design, "Shared facts
//! once").

use std::collections::{BTreeMap, BTreeSet};

use salesledger_domain::asset::ProcessAssetKind;
use salesledger_domain::value::{CustomerId, RepId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::{Deserialize, Serialize};

use super::{Reader, Table, TableError, TableProjector, Tx};
use crate::assets::{AssetGroup, AssetRow, TOTAL};
use crate::directory::{month_of, ratio_bp, RepInfo, UNASSIGNED};
use crate::error::ProjectionError;

/// Reps as this view shows them.
pub const REPS: Table<RepId, RepInfo> = Table::new("reps");
/// Asset counters per rep and month.
pub const MONTHS: Table<(RepId, String), MonthCounts> = Table::new("months");
/// The customers a rep followed in a month.
pub const FOLLOWED: Table<(RepId, String, CustomerId), ()> = Table::new("followed");

/// One rep's asset counters in one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthCounts {
    pub solutions: u64,
    pub objection_answers: u64,
    pub won_deal_actions: u64,
}

/// The process-asset projector on tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct AssetsTables;

impl TableProjector for AssetsTables {
    const NAME: &'static str = "assets";
    const VERSION: u32 = 1;

    fn tables() -> &'static [&'static str] {
        &["reps", "months", "followed"]
    }

    fn apply(
        tx: &mut Tx<'_>,
        _record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        match event {
            Event::RepRegistered(registered) => {
                let info = RepInfo {
                    display_name: registered.display_name.as_str().to_owned(),
                    region: registered.region.as_str().to_owned(),
                };
                tx.put(&REPS, &registered.rep_id, &info)?;
            }
            Event::ProcessAssetRecorded(recorded) => {
                let key = (recorded.rep_id, month_of(recorded.recorded_at));
                let mut counts = tx.get(&MONTHS, &key)?.unwrap_or_default();
                let counter = match recorded.kind {
                    ProcessAssetKind::Solution => &mut counts.solutions,
                    ProcessAssetKind::ObjectionAnswer => &mut counts.objection_answers,
                    ProcessAssetKind::WonDealAction => &mut counts.won_deal_actions,
                };
                *counter = counter.saturating_add(1);
                tx.put(&MONTHS, &key, &counts)?;
            }
            Event::FollowUpRecorded(follow_up) => {
                let month = month_of(follow_up.occurred_at);
                let key = (follow_up.rep_id, month);
                // A month with follow-ups but no asset is still a row.
                if tx.get(&MONTHS, &key)?.is_none() {
                    tx.put(&MONTHS, &key, &MonthCounts::default())?;
                }
                let (rep_id, month) = key;
                tx.put(&FOLLOWED, &(rep_id, month, follow_up.customer_id), &())?;
            }
            _ => {}
        }
        Ok(())
    }
}

#[derive(Default)]
struct Sum {
    counts: MonthCounts,
    followed: BTreeSet<CustomerId>,
}

impl Sum {
    fn add(&mut self, counts: &MonthCounts, followed: Option<&BTreeSet<CustomerId>>) {
        self.counts.solutions += counts.solutions;
        self.counts.objection_answers += counts.objection_answers;
        self.counts.won_deal_actions += counts.won_deal_actions;
        if let Some(followed) = followed {
            self.followed.extend(followed.iter().copied());
        }
    }

    fn row(
        &self,
        rep_id: Option<RepId>,
        display_name: Option<String>,
        region: String,
        period: String,
    ) -> AssetRow {
        let MonthCounts {
            solutions,
            objection_answers,
            won_deal_actions,
        } = self.counts;
        let assets = solutions + objection_answers + won_deal_actions;
        let active_customers = self.followed.len() as u64;
        AssetRow {
            rep_id,
            display_name,
            region,
            period,
            solutions,
            objection_answers,
            won_deal_actions,
            assets,
            active_customers,
            rate_bp: ratio_bp(assets, active_customers),
        }
    }
}

/// The view's rows from committed tables: the same rows, in the same order,
/// as [`crate::assets::AssetsView::rows`] over the same records.
pub fn rows(
    reader: &mut Reader<'_>,
    group: AssetGroup,
    period: Option<&str>,
) -> Result<Vec<AssetRow>, TableError> {
    let reps: BTreeMap<RepId, RepInfo> = reader.range(&REPS, None, None)?.into_iter().collect();
    let region_of = |rep_id: RepId| {
        reps.get(&rep_id)
            .map_or_else(|| UNASSIGNED.to_owned(), |rep| rep.region.clone())
    };
    let mut followed: BTreeMap<(RepId, String), BTreeSet<CustomerId>> = BTreeMap::new();
    for ((rep_id, month, customer_id), ()) in reader.range(&FOLLOWED, None, None)? {
        followed
            .entry((rep_id, month))
            .or_default()
            .insert(customer_id);
    }
    let mut sums: BTreeMap<(String, Option<RepId>), BTreeMap<String, Sum>> = BTreeMap::new();
    for ((rep_id, month), counts) in reader.range(&MONTHS, None, None)? {
        let key = match group {
            AssetGroup::Rep => (String::new(), Some(rep_id)),
            AssetGroup::Region => (region_of(rep_id), None),
        };
        let month_followed = followed.get(&(rep_id, month.clone()));
        let periods = sums.entry(key).or_default();
        if period.map_or(true, |wanted| wanted == month) {
            periods
                .entry(month.clone())
                .or_default()
                .add(&counts, month_followed);
        }
        if period.map_or(true, |wanted| wanted == TOTAL) {
            periods
                .entry(TOTAL.to_owned())
                .or_default()
                .add(&counts, month_followed);
        }
    }
    let mut out = Vec::new();
    for ((region, rep_id), periods) in sums {
        for (period, sum) in periods {
            out.push(match rep_id {
                Some(rep_id) => sum.row(
                    Some(rep_id),
                    reps.get(&rep_id).map(|rep| rep.display_name.clone()),
                    region_of(rep_id),
                    period,
                ),
                None => sum.row(None, None, region.clone(), period),
            });
        }
    }
    Ok(out)
}
