//! Process-asset accumulation rate (SPEC C9), per rep, per region, per
//! month and over the whole period.
//!
//! rate = (solutions authored + objection answers recorded + won-deal
//! actions marked) / actively followed customers x 100%, in basis points
//! (10000 = 100%; truncated; `null` when no customer was actively followed).
//!
//! - Assets: `ProcessAssetRecorded`, counted for its `rep_id`, by kind.
//! - Actively followed customers of a rep in a month: the distinct
//!   customers with a `FollowUpRecorded` by that rep in that month; of a
//!   region: the distinct customers followed by any of its reps; over the
//!   period (`total`): the distinct customers over every month.
//! - Month: `YYYY-MM` of the event's business time (`recorded_at`,
//!   `occurred_at`) in China Standard Time.
//! - A rep's region comes from `RepRegistered` (`unassigned` if unknown).
//!
//! Bounded: per rep and month, three counters and the set of followed
//! customers (at most the customers that rep followed that month).
//! Region and total rows are computed when read. Pure; `BTreeMap` only.

use std::collections::{BTreeMap, BTreeSet};

use salesledger_domain::asset::ProcessAssetKind;
use salesledger_domain::value::{CustomerId, RepId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::{Deserialize, Serialize};

use crate::directory::{first_sight, month_of, ratio_bp, Directory};
use crate::projector::Projector;

/// The `period` of a row covering every month.
pub const TOTAL: &str = "total";

/// The process-asset projector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Assets;

impl Projector for Assets {
    const NAME: &'static str = "assets";
    const VERSION: u32 = 1;
    type Model = AssetsView;

    fn apply(model: &mut AssetsView, record: &RecordedEvent, event: &Event) {
        if first_sight(&mut model.last_position, record.position) {
            model.apply(event);
        }
    }
}

/// One rep's figures in one month.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepMonth {
    pub solutions: u64,
    pub objection_answers: u64,
    pub won_deal_actions: u64,
    pub followed_customers: BTreeSet<CustomerId>,
}

/// The folded state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetsView {
    pub last_position: Option<u64>,
    pub directory: Directory,
    /// Per rep, per month (`YYYY-MM`).
    pub reps: BTreeMap<RepId, BTreeMap<String, RepMonth>>,
}

/// One row of the view: a rep or a region over a month or the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRow {
    /// The rep (rows grouped by rep), else `null`.
    pub rep_id: Option<RepId>,
    pub display_name: Option<String>,
    pub region: String,
    /// `YYYY-MM`, or `total`.
    pub period: String,
    pub solutions: u64,
    pub objection_answers: u64,
    pub won_deal_actions: u64,
    /// The sum of the three.
    pub assets: u64,
    pub active_customers: u64,
    /// assets / active_customers x 10000 (truncated), `null` without
    /// active customers.
    pub rate_bp: Option<u64>,
}

/// How rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetGroup {
    Rep,
    Region,
}

#[derive(Default)]
struct Sum {
    solutions: u64,
    objection_answers: u64,
    won_deal_actions: u64,
    followed: BTreeSet<CustomerId>,
}

impl Sum {
    fn add(&mut self, month: &RepMonth) {
        self.solutions += month.solutions;
        self.objection_answers += month.objection_answers;
        self.won_deal_actions += month.won_deal_actions;
        self.followed
            .extend(month.followed_customers.iter().copied());
    }

    fn row(
        &self,
        rep_id: Option<RepId>,
        display_name: Option<String>,
        region: String,
        period: String,
    ) -> AssetRow {
        let assets = self.solutions + self.objection_answers + self.won_deal_actions;
        let active_customers = self.followed.len() as u64;
        AssetRow {
            rep_id,
            display_name,
            region,
            period,
            solutions: self.solutions,
            objection_answers: self.objection_answers,
            won_deal_actions: self.won_deal_actions,
            assets,
            active_customers,
            rate_bp: ratio_bp(assets, active_customers),
        }
    }
}

impl AssetsView {
    fn apply(&mut self, event: &Event) {
        self.directory.apply(event);
        match event {
            Event::ProcessAssetRecorded(recorded) => {
                let month = self.month(recorded.rep_id, month_of(recorded.recorded_at));
                match recorded.kind {
                    ProcessAssetKind::Solution => month.solutions += 1,
                    ProcessAssetKind::ObjectionAnswer => month.objection_answers += 1,
                    ProcessAssetKind::WonDealAction => month.won_deal_actions += 1,
                }
            }
            Event::FollowUpRecorded(follow_up) => {
                self.month(follow_up.rep_id, month_of(follow_up.occurred_at))
                    .followed_customers
                    .insert(follow_up.customer_id);
            }
            _ => {}
        }
    }

    fn month(&mut self, rep_id: RepId, month: String) -> &mut RepMonth {
        self.reps
            .entry(rep_id)
            .or_default()
            .entry(month)
            .or_default()
    }

    /// Rows grouped by `group`, for one `period` (`YYYY-MM` or `total`) or,
    /// when `None`, every month then the total. Ordered by rep id or region,
    /// then period (months ascending, `total` last).
    pub fn rows(&self, group: AssetGroup, period: Option<&str>) -> Vec<AssetRow> {
        // (key, period) -> sum, where key is a rep or a region.
        let mut sums: BTreeMap<(String, Option<RepId>), BTreeMap<String, Sum>> = BTreeMap::new();
        for (rep_id, months) in &self.reps {
            let region = self.directory.rep_region(*rep_id);
            let key = match group {
                AssetGroup::Rep => (String::new(), Some(*rep_id)),
                AssetGroup::Region => (region, None),
            };
            let periods = sums.entry(key).or_default();
            for (month, figures) in months {
                if period.map_or(true, |wanted| wanted == month) {
                    periods.entry(month.clone()).or_default().add(figures);
                }
                if period.map_or(true, |wanted| wanted == TOTAL) {
                    periods.entry(TOTAL.to_owned()).or_default().add(figures);
                }
            }
        }
        let mut rows = Vec::new();
        for ((region, rep_id), periods) in sums {
            // BTreeMap order puts "total" after every "YYYY-MM".
            for (period, sum) in periods {
                let row = match rep_id {
                    Some(rep_id) => sum.row(
                        Some(rep_id),
                        self.directory.rep_name(rep_id),
                        self.directory.rep_region(rep_id),
                        period,
                    ),
                    None => sum.row(None, None, region.clone(), period),
                };
                rows.push(row);
            }
        }
        rows
    }
}
