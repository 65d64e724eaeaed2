//! Chain stores (SPEC C13, issue 7): two read models over stores, SKUs,
//! promotions, members and POS tickets, and the pure queries the
//! `/v1/views/stores/...` routes answer from.
//!
//! - [`RetailStores`] (`retail_stores`): stores, SKUs, promotions, the
//!   retail policy, and per store per sale day: tickets, sales, slot mix
//!   (tickets per [`TimeSlot`]), category mix (sales cents per SKU
//!   category) and the tickets containing each *tracked* SKU. Queries:
//!   [`RetailStoresView::penetration`], [`RetailStoresView::leaderboard`],
//!   [`RetailStoresView::battle_map`].
//! - [`RetailMembers`] (`retail_members`): members, the retail policy,
//!   per store per sale day tickets and sales (to know which stores are
//!   high potential), and per member bounded statistics. Query:
//!   [`RetailMembersView::high_potential`]. A separate projector so that
//!   persisting the (large) member model never holds up the small one.
//!
//! # Definitions
//!
//! - **Day and slot** of a ticket: `sold_at`'s store-local date and
//!   [`TimeSlot::of_hour`] of its local hour. Nothing reads the clock:
//!   "the last N days" are the N days ending at the **latest sale day**
//!   seen by the view — for a store, that store's latest ticket day; for a
//!   region, the latest over its stores.
//! - **Tracked SKUs**: SKUs registered as `new_product`, plus every SKU a
//!   promotion names. Tickets containing a tracked SKU are counted per
//!   store and day (a ticket counts once however many lines of the SKU it
//!   has). A promoted SKU that is not a new product is counted only from
//!   the promotion's launch (in log order) on.
//! - **Share** (`share_bp`): `part * 10000 / whole`, truncated, `null`
//!   when `whole` is 0. **Average ticket** (`avg_ticket_cents`):
//!   `sales_cents / tickets`, truncated, `null` without tickets.
//! - **Penetration** of a promotion in a store on a day: tickets
//!   containing the promoted SKU / tickets of that store that day.
//! - **Policy window** of a store: the policy's `window_days` days ending
//!   at the store's latest sale day. A store is **high potential** when its
//!   truncated average ticket over its window is strictly greater than the
//!   policy's `high_potential_avg_ticket_cents` (a store exactly at the
//!   threshold is not). The policy is the defaults of `domain::retail`
//!   (reported as version 0) until a `RetailPolicyPublished` with a greater
//!   version replaces it.
//! - **A store's members**: the members enrolled with it as home store.
//!   A member's statistics count its tickets at every store.
//! - **Member window figures**: `tickets` and `spend_cents` of the member's
//!   tickets whose day falls in its home store's policy window;
//!   `tickets_per_month_x10 = tickets * 300 / window_days` (tickets per 30
//!   days, times ten, truncated: 7 tickets in 90 days is 23, i.e. 2.3).
//!   Only members with at least one ticket in the window are listed.
//! - **Preferred slot**: the slot of most of the member's tickets over its
//!   whole history (ties: the earlier slot of the day, morning first).
//! - **Usual categories**: the (up to) 3 categories on which the member
//!   spent most (more than 0) over its whole history (ties: category name
//!   ascending). A battle map's categories likewise list the categories
//!   with sales in the window.
//! - **Script**: the policy's template filled by
//!   [`salesledger_domain::retail::fill_script`] with the member's display
//!   name, the store's name, the preferred slot and the usual categories.
//!
//! # Memory
//!
//! Categories are interned (an index per category name, in first-seen
//! order): category counters are vectors of cents. `retail_stores` keeps
//! one small entry per store and sale day (327 stores x 365 days a year):
//! tickets, sales, 5 slot counters, one counter per category and one per
//! tracked SKU sold that day. `retail_members` keeps per store and day two
//! counters, and per member: one `(tickets, spend)` pair per sale day
//! inside the home store's policy window (older days are dropped when the
//! member next buys, and ignored by queries before that), 5 slot counters
//! and one spend counter per category. Lengthening the window through a new policy
//! therefore only sees member days not yet dropped.
//!
//! Pure; `BTreeMap` only; integers only in outputs.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use salesledger_domain::calendar::days_before;
use salesledger_domain::retail::{
    fill_script, PosTicketsRecorded, RetailPolicyPublished, StoreFormat, TimeSlot,
    DEFAULT_HIGH_POTENTIAL_AVG_TICKET_CENTS, DEFAULT_SCRIPT_TEMPLATE, DEFAULT_WINDOW_DAYS,
};
use salesledger_domain::value::{MemberRef, PromotionId, SkuCode, StoreCode};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::{Deserialize, Serialize};

use crate::directory::first_sight;
use crate::projector::Projector;

/// The category of a SKU sold before (or without) its registration.
pub const UNCATEGORISED: &str = "uncategorised";
/// The longest date range a penetration query may span.
pub const MAX_QUERY_DAYS: i64 = 731;
/// The days of the battle map's `daily` series and of its region rank.
pub const BATTLE_MAP_DAYS: u32 = 30;
/// How many usual categories a member shows.
pub const USUAL_CATEGORIES: usize = 3;

/// Why a query has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RetailQueryError {
    #[error("no promotion has been launched yet")]
    NoPromotion,
    #[error("no promotion {0}")]
    UnknownPromotion(PromotionId),
    #[error("no store in region {0}")]
    UnknownRegion(String),
    #[error("no store {0}")]
    UnknownStore(String),
    #[error("from {from} is after to {to}")]
    InvalidRange { from: NaiveDate, to: NaiveDate },
    #[error("the range {from} to {to} spans more than {MAX_QUERY_DAYS} days")]
    RangeTooLong { from: NaiveDate, to: NaiveDate },
}

// ---- shared pieces ----

/// The retail policy in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetailPolicy {
    /// 0 for the defaults (no publication yet).
    pub version: u32,
    pub high_potential_avg_ticket_cents: u64,
    pub window_days: u32,
    pub script_template: String,
}

impl Default for RetailPolicy {
    fn default() -> Self {
        RetailPolicy {
            version: 0,
            high_potential_avg_ticket_cents: DEFAULT_HIGH_POTENTIAL_AVG_TICKET_CENTS,
            window_days: DEFAULT_WINDOW_DAYS,
            script_template: DEFAULT_SCRIPT_TEMPLATE.to_owned(),
        }
    }
}

impl RetailPolicy {
    pub(crate) fn apply(&mut self, published: &RetailPolicyPublished) {
        if published.version > self.version {
            *self = RetailPolicy {
                version: published.version,
                high_potential_avg_ticket_cents: published.high_potential_avg_ticket_cents,
                window_days: published.window_days,
                script_template: published.script_template.as_str().to_owned(),
            };
        }
    }

    /// The window's length in days (at least 1).
    pub fn days(&self) -> u32 {
        self.window_days.max(1)
    }

    /// The window ending at `end`.
    pub fn window(&self, end: NaiveDate) -> (NaiveDate, NaiveDate) {
        (days_ending(end, self.days()), end)
    }

    /// Whether an average ticket makes a store high potential (strictly greater).
    pub fn is_high_potential(&self, avg_ticket_cents: Option<u64>) -> bool {
        avg_ticket_cents.is_some_and(|avg| avg > self.high_potential_avg_ticket_cents)
    }
}

/// The first of the `days` days ending at `end`.
pub(crate) fn days_ending(end: NaiveDate, days: u32) -> NaiveDate {
    end.checked_sub_days(Days::new(u64::from(days.max(1)) - 1))
        .unwrap_or(NaiveDate::MIN)
}

/// `part * 10000 / whole`, truncated; `None` when `whole` is 0.
pub fn share_bp(part: u64, whole: u64) -> Option<u64> {
    if whole == 0 {
        return None;
    }
    let share = u128::from(part) * 10_000 / u128::from(whole);
    Some(u64::try_from(share).unwrap_or(u64::MAX))
}

/// `sales / tickets`, truncated; `None` without tickets.
pub fn avg_ticket(sales_cents: u64, tickets: u64) -> Option<u64> {
    sales_cents.checked_div(tickets)
}

pub(crate) fn slot_index(slot: TimeSlot) -> usize {
    match slot {
        TimeSlot::Morning => 0,
        TimeSlot::Midday => 1,
        TimeSlot::Afternoon => 2,
        TimeSlot::Evening => 3,
        TimeSlot::Night => 4,
    }
}

/// Every day from `from` to `to` inclusive (empty when `to < from`).
pub(crate) fn day_list(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    from.iter_days().take_while(|day| *day <= to).collect()
}

/// Tickets and sales of one store (or member) on one day; stored as a
/// `[tickets, cents]` pair to keep the models small.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "(u64, u64)", into = "(u64, u64)")]
pub struct DayTotals {
    pub tickets: u64,
    pub cents: u64,
}

impl From<(u64, u64)> for DayTotals {
    fn from((tickets, cents): (u64, u64)) -> Self {
        DayTotals { tickets, cents }
    }
}

impl From<DayTotals> for (u64, u64) {
    fn from(totals: DayTotals) -> Self {
        (totals.tickets, totals.cents)
    }
}

impl DayTotals {
    fn add(&mut self, tickets: u64, cents: u64) {
        self.tickets = self.tickets.saturating_add(tickets);
        self.cents = self.cents.saturating_add(cents);
    }
}

fn sum_days<V>(
    days: Option<&BTreeMap<NaiveDate, V>>,
    from: NaiveDate,
    to: NaiveDate,
    totals: impl Fn(&V) -> DayTotals,
) -> DayTotals {
    let mut sum = DayTotals::default();
    if let Some(days) = days {
        if from <= to {
            for value in days.range(from..=to).map(|(_, value)| value) {
                let day = totals(value);
                sum.add(day.tickets, day.cents);
            }
        }
    }
    sum
}

/// SKU categories, interned: counters per category are vectors indexed
/// by the category's index (names in first-seen order), which keeps the
/// per-day and per-member counters small.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Categories {
    pub names: Vec<String>,
    /// The category index of every registered SKU.
    pub skus: BTreeMap<SkuCode, usize>,
}

impl Categories {
    fn intern(&mut self, name: &str) -> usize {
        match self.names.iter().position(|known| known == name) {
            Some(index) => index,
            None => {
                self.names.push(name.to_owned());
                self.names.len() - 1
            }
        }
    }

    fn register(&mut self, sku: &SkuCode, category: &str) {
        if !self.skus.contains_key(sku) {
            let index = self.intern(category);
            self.skus.insert(sku.clone(), index);
        }
    }

    /// The index of a SKU's category ([`UNCATEGORISED`] when unknown).
    fn of(&mut self, sku: &SkuCode) -> usize {
        match self.skus.get(sku) {
            Some(index) => *index,
            None => self.intern(UNCATEGORISED),
        }
    }

    /// A category's name.
    pub fn name(&self, index: usize) -> &str {
        self.names.get(index).map_or(UNCATEGORISED, String::as_str)
    }
}

/// Adds `cents` to the counter of category `index`.
fn add_at(counters: &mut Vec<u64>, index: usize, cents: u64) {
    if counters.len() <= index {
        counters.resize(index + 1, 0);
    }
    if let Some(counter) = counters.get_mut(index) {
        *counter = counter.saturating_add(cents);
    }
}

/// Categories with spend, by spend descending then name.
pub(crate) fn ranked_categories(categories: &Categories, cents: &[u64]) -> Vec<(String, u64)> {
    let mut ranked: Vec<(String, u64)> = cents
        .iter()
        .enumerate()
        .filter(|(_, cents)| **cents > 0)
        .map(|(index, cents)| (categories.name(index).to_owned(), *cents))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
}

// ---- retail_stores ----

/// The `retail_stores` projector.
#[derive(Debug, Clone, Copy, Default)]
pub struct RetailStores;

impl Projector for RetailStores {
    const NAME: &'static str = "retail_stores";
    const VERSION: u32 = 1;
    type Model = RetailStoresView;

    fn apply(model: &mut RetailStoresView, record: &RecordedEvent, event: &Event) {
        if first_sight(&mut model.last_position, record.position) {
            model.apply(record.position, event);
        }
    }
}

/// A store's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreInfo {
    pub name: String,
    pub region: String,
    pub format: StoreFormat,
    pub opened_on: NaiveDate,
}

/// A catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuInfo {
    pub name: String,
    pub category: String,
    pub new_product: bool,
}

/// A launched promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionInfo {
    pub sku: SkuCode,
    pub name: String,
    pub regions: Vec<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub launched_at: DateTime<Utc>,
    /// The log position of the launch: the latest launched promotion is
    /// the one with the greatest.
    pub launched_position: u64,
}

/// One store's figures on one sale day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreDay {
    pub tickets: u64,
    pub sales_cents: u64,
    /// Tickets per slot, in [`TimeSlot::ALL`] order.
    pub slots: [u64; 5],
    /// Sales cents per category, by category index.
    pub categories: Vec<u64>,
    /// Tickets containing each tracked SKU (only SKUs sold that day).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub with_sku: BTreeMap<SkuCode, u64>,
}

/// The folded state of `retail_stores`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetailStoresView {
    pub last_position: Option<u64>,
    pub policy: RetailPolicy,
    pub stores: BTreeMap<StoreCode, StoreInfo>,
    pub skus: BTreeMap<SkuCode, SkuInfo>,
    pub categories: Categories,
    pub promotions: BTreeMap<PromotionId, PromotionInfo>,
    /// New products and promoted SKUs.
    pub tracked_skus: BTreeSet<SkuCode>,
    /// Per store, per sale day.
    pub days: BTreeMap<StoreCode, BTreeMap<NaiveDate, StoreDay>>,
    /// The latest sale day of any store.
    pub latest_day: Option<NaiveDate>,
}

// -- answers --

/// A promotion as answers show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionSummary {
    pub promotion_id: PromotionId,
    pub sku: SkuCode,
    pub name: String,
    pub regions: Vec<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Tickets, tickets with the product, and their share.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenetrationTotal {
    pub tickets: u64,
    pub with_product: u64,
    pub share_bp: Option<u64>,
}

impl PenetrationTotal {
    fn add(&mut self, tickets: u64, with_product: u64) {
        self.tickets = self.tickets.saturating_add(tickets);
        self.with_product = self.with_product.saturating_add(with_product);
        self.share_bp = share_bp(self.with_product, self.tickets);
    }
}

/// One store's day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenetrationCell {
    pub day: NaiveDate,
    pub tickets: u64,
    pub with_product: u64,
    pub share_bp: Option<u64>,
}

/// One store's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenetrationStore {
    pub store: StoreCode,
    pub name: String,
    pub format: StoreFormat,
    /// One per day of the answer's `days`.
    pub cells: Vec<PenetrationCell>,
    pub total: PenetrationTotal,
}

/// One region's stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenetrationRegion {
    pub region: String,
    pub stores: Vec<PenetrationStore>,
    /// Over every store and day of the region.
    pub total: PenetrationTotal,
}

/// `GET /v1/views/stores/penetration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Penetration {
    pub promotion: PromotionSummary,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<NaiveDate>,
    pub regions: Vec<PenetrationRegion>,
}

/// One ranked store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderboardStore {
    pub rank: u32,
    pub store: StoreCode,
    pub name: String,
    pub format: StoreFormat,
    pub sales_cents: u64,
    pub tickets: u64,
    pub avg_ticket_cents: Option<u64>,
    /// The region's latest promotion, over the same days (within the
    /// promotion's dates); `null` without a promotion or tickets.
    pub penetration_bp: Option<u64>,
}

/// One region's board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderboardRegion {
    pub region: String,
    /// `null` while no store of the region has sold anything.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The region's latest promotion (of `penetration_bp`), if any.
    pub promotion_id: Option<PromotionId>,
    pub stores: Vec<LeaderboardStore>,
}

/// `GET /v1/views/stores/leaderboard`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreLeaderboard {
    pub days: u32,
    pub regions: Vec<LeaderboardRegion>,
}

/// A store's figures over a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowFigures {
    /// `null` while the store has sold nothing.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub tickets: u64,
    pub sales_cents: u64,
    pub avg_ticket_cents: Option<u64>,
}

/// One day of a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyFigures {
    pub day: NaiveDate,
    pub tickets: u64,
    pub sales_cents: u64,
    pub avg_ticket_cents: Option<u64>,
}

/// A category's part of a store's sales.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryShare {
    pub category: String,
    pub sales_cents: u64,
    pub share_bp: Option<u64>,
}

/// A slot's part of a store's tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotShare {
    pub slot: TimeSlot,
    pub tickets: u64,
    pub share_bp: Option<u64>,
}

/// A promotion of the store's region, as the store and the region did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionShare {
    pub promotion_id: PromotionId,
    pub name: String,
    pub sku: SkuCode,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub share_bp: Option<u64>,
    pub region_share_bp: Option<u64>,
}

/// `GET /v1/views/stores/{store}`: one store's "battle map".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BattleMap {
    pub store: StoreCode,
    pub name: String,
    pub region: String,
    pub format: StoreFormat,
    pub opened_on: NaiveDate,
    pub latest_sale_day: Option<NaiveDate>,
    /// The store's rank by sales over the [`BATTLE_MAP_DAYS`] days ending
    /// at the region's latest sale day (the default leaderboard's).
    pub rank_in_region: u32,
    pub stores_in_region: u32,
    pub threshold_cents: u64,
    pub window_days: u32,
    /// The policy window.
    pub window: WindowFigures,
    /// Every store of the region over the same dates as `window`.
    pub region_avg_ticket_cents: Option<u64>,
    pub high_potential: bool,
    /// The last [`BATTLE_MAP_DAYS`] days ending at the store's latest sale day.
    pub daily: Vec<DailyFigures>,
    /// Over the window, by sales descending then name.
    pub categories: Vec<CategoryShare>,
    /// Over the window, in [`TimeSlot::ALL`] order.
    pub slots: Vec<SlotShare>,
    /// The region's promotions, latest launched first: penetration from
    /// the start to min(end, the store's latest sale day).
    pub promotions: Vec<PromotionShare>,
    /// The store's high-potential members (filled from `retail_members`;
    /// empty unless high potential).
    pub members: Vec<HighPotentialMember>,
}

impl RetailStoresView {
    fn apply(&mut self, position: u64, event: &Event) {
        match event {
            Event::StoreOpened(opened) => {
                self.stores
                    .entry(opened.store.clone())
                    .or_insert_with(|| StoreInfo {
                        name: opened.name.as_str().to_owned(),
                        region: opened.region.as_str().to_owned(),
                        format: opened.format,
                        opened_on: opened.opened_on,
                    });
            }
            Event::SkuRegistered(registered) => {
                self.skus
                    .entry(registered.sku.clone())
                    .or_insert_with(|| SkuInfo {
                        name: registered.name.as_str().to_owned(),
                        category: registered.category.as_str().to_owned(),
                        new_product: registered.new_product,
                    });
                self.categories
                    .register(&registered.sku, registered.category.as_str());
                if registered.new_product {
                    self.tracked_skus.insert(registered.sku.clone());
                }
            }
            Event::PromotionLaunched(launched) => {
                self.tracked_skus.insert(launched.sku.clone());
                self.promotions
                    .entry(launched.promotion_id)
                    .or_insert_with(|| PromotionInfo {
                        sku: launched.sku.clone(),
                        name: launched.name.as_str().to_owned(),
                        regions: launched
                            .regions
                            .iter()
                            .map(|region| region.as_str().to_owned())
                            .collect::<BTreeSet<_>>()
                            .into_iter()
                            .collect(),
                        starts_on: launched.starts_on,
                        ends_on: launched.ends_on,
                        launched_at: launched.launched_at,
                        launched_position: position,
                    });
            }
            Event::RetailPolicyPublished(published) => self.policy.apply(published),
            Event::PosTicketsRecorded(recorded) => self.record(recorded),
            _ => {}
        }
    }

    fn record(&mut self, recorded: &PosTicketsRecorded) {
        let days = self.days.entry(recorded.store.clone()).or_default();
        let mut tracked: Vec<&SkuCode> = Vec::new();
        for ticket in &recorded.tickets {
            let day_key = ticket.local_day();
            if self.latest_day.map_or(true, |latest| latest < day_key) {
                self.latest_day = Some(day_key);
            }
            let day = days.entry(day_key).or_default();
            day.tickets += 1;
            day.sales_cents = day.sales_cents.saturating_add(ticket.total_cents());
            day.slots[slot_index(ticket.time_slot())] += 1;
            tracked.clear();
            for line in &ticket.lines {
                let category = self.categories.of(&line.sku);
                add_at(&mut day.categories, category, line.amount_cents);
                if self.tracked_skus.contains(&line.sku) && !tracked.contains(&&line.sku) {
                    tracked.push(&line.sku);
                }
            }
            for sku in &tracked {
                match day.with_sku.get_mut(*sku) {
                    Some(count) => *count += 1,
                    None => {
                        day.with_sku.insert((*sku).clone(), 1);
                    }
                }
            }
        }
    }

    /// The latest sale day of a store.
    pub fn store_latest_day(&self, store: &StoreCode) -> Option<NaiveDate> {
        self.days
            .get(store)
            .and_then(|days| days.last_key_value())
            .map(|(day, _)| *day)
    }

    /// The stores of a region, by code.
    fn region_stores<'a>(
        &'a self,
        region: &'a str,
    ) -> impl Iterator<Item = (&'a StoreCode, &'a StoreInfo)> + 'a {
        self.stores
            .iter()
            .filter(move |(_, info)| info.region == region)
    }

    /// Every region with a store, sorted.
    pub fn regions(&self) -> BTreeSet<&str> {
        self.stores
            .values()
            .map(|info| info.region.as_str())
            .collect()
    }

    fn known_region(&self, region: &str) -> Result<(), RetailQueryError> {
        if self.stores.values().any(|info| info.region == region) {
            Ok(())
        } else {
            Err(RetailQueryError::UnknownRegion(region.to_owned()))
        }
    }

    /// The latest sale day over a region's stores.
    pub fn region_latest_day(&self, region: &str) -> Option<NaiveDate> {
        self.region_stores(region)
            .filter_map(|(store, _)| self.store_latest_day(store))
            .max()
    }

    /// The latest launched promotion (of a region, when given).
    pub fn latest_promotion(&self, region: Option<&str>) -> Option<(&PromotionId, &PromotionInfo)> {
        self.promotions
            .iter()
            .filter(|(_, info)| {
                region.map_or(true, |wanted| info.regions.iter().any(|r| r == wanted))
            })
            .max_by_key(|(_, info)| info.launched_position)
    }

    fn store_totals(&self, store: &StoreCode, from: NaiveDate, to: NaiveDate) -> DayTotals {
        sum_days(self.days.get(store), from, to, |day| DayTotals {
            tickets: day.tickets,
            cents: day.sales_cents,
        })
    }

    /// A store's tickets and tickets with `sku` from `from` to `to`.
    fn store_penetration(
        &self,
        store: &StoreCode,
        sku: &SkuCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> PenetrationTotal {
        let mut total = PenetrationTotal::default();
        if let Some(days) = self.days.get(store) {
            if from <= to {
                for day in days.range(from..=to).map(|(_, day)| day) {
                    total.add(day.tickets, day.with_sku.get(sku).copied().unwrap_or(0));
                }
            }
        }
        total
    }

    /// Penetration of a promotion's product per store and day: the
    /// promotion (default: the latest launched), its regions (or one
    /// region), from its start (or `from`) to min(its end, the latest sale
    /// day) (or `to`).
    pub fn penetration(
        &self,
        promotion: Option<PromotionId>,
        region: Option<&str>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Penetration, RetailQueryError> {
        let (promotion_id, info) = match promotion {
            Some(id) => self
                .promotions
                .get_key_value(&id)
                .ok_or(RetailQueryError::UnknownPromotion(id))?,
            None => self
                .latest_promotion(None)
                .ok_or(RetailQueryError::NoPromotion)?,
        };
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                return Err(RetailQueryError::InvalidRange { from, to });
            }
        }
        let regions: Vec<String> = match region {
            Some(region) => {
                self.known_region(region)?;
                vec![region.to_owned()]
            }
            None => info.regions.clone(),
        };
        let to = to.unwrap_or_else(|| {
            self.latest_day
                .map_or(info.ends_on, |latest| latest.min(info.ends_on))
        });
        // Without `from`: the promotion's start, or the longest range that
        // ends at `to` for a promotion longer than that.
        let from = from.unwrap_or_else(|| info.starts_on.max(days_before(to, MAX_QUERY_DAYS - 1)));
        if (to - from).num_days() >= MAX_QUERY_DAYS {
            return Err(RetailQueryError::RangeTooLong { from, to });
        }
        let days = day_list(from, to);
        let regions = regions
            .into_iter()
            .map(|region| {
                let mut region_total = PenetrationTotal::default();
                let stores = self
                    .region_stores(&region)
                    .map(|(store, store_info)| {
                        let row = self.penetration_row(store, store_info, &info.sku, &days);
                        region_total.add(row.total.tickets, row.total.with_product);
                        row
                    })
                    .collect();
                PenetrationRegion {
                    region,
                    stores,
                    total: region_total,
                }
            })
            .collect();
        Ok(Penetration {
            promotion: PromotionSummary {
                promotion_id: *promotion_id,
                sku: info.sku.clone(),
                name: info.name.clone(),
                regions: info.regions.clone(),
                starts_on: info.starts_on,
                ends_on: info.ends_on,
            },
            from,
            to,
            days,
            regions,
        })
    }

    fn penetration_row(
        &self,
        store: &StoreCode,
        info: &StoreInfo,
        sku: &SkuCode,
        days: &[NaiveDate],
    ) -> PenetrationStore {
        let mut total = PenetrationTotal::default();
        let mut cells = Vec::with_capacity(days.len());
        let store_days = self.days.get(store);
        let mut recorded = match (store_days, days.first(), days.last()) {
            (Some(store_days), Some(first), Some(last)) => Some(store_days.range(*first..=*last)),
            _ => None,
        }
        .into_iter()
        .flatten()
        .peekable();
        for day in days {
            let (tickets, with_product) = match recorded.next_if(|(key, _)| *key == day) {
                Some((_, figures)) => (
                    figures.tickets,
                    figures.with_sku.get(sku).copied().unwrap_or(0),
                ),
                None => (0, 0),
            };
            total.add(tickets, with_product);
            cells.push(PenetrationCell {
                day: *day,
                tickets,
                with_product,
                share_bp: share_bp(with_product, tickets),
            });
        }
        PenetrationStore {
            store: store.clone(),
            name: info.name.clone(),
            format: info.format,
            cells,
            total,
        }
    }

    /// A region's stores ranked by sales over the `days` days ending at
    /// the region's latest sale day (ties: store code), every store.
    fn ranked_region(&self, region: &str, days: u32) -> LeaderboardRegion {
        let to = self.region_latest_day(region);
        let from = to.map(|to| days_ending(to, days));
        let promotion = self.latest_promotion(Some(region));
        let mut stores: Vec<LeaderboardStore> = self
            .region_stores(region)
            .map(|(store, info)| {
                let (totals, penetration_bp) = match (from, to) {
                    (Some(from), Some(to)) => (
                        self.store_totals(store, from, to),
                        promotion.and_then(|(_, promotion)| {
                            self.store_penetration(
                                store,
                                &promotion.sku,
                                from.max(promotion.starts_on),
                                to.min(promotion.ends_on),
                            )
                            .share_bp
                        }),
                    ),
                    _ => (DayTotals::default(), None),
                };
                LeaderboardStore {
                    rank: 0,
                    store: store.clone(),
                    name: info.name.clone(),
                    format: info.format,
                    sales_cents: totals.cents,
                    tickets: totals.tickets,
                    avg_ticket_cents: avg_ticket(totals.cents, totals.tickets),
                    penetration_bp,
                }
            })
            .collect();
        stores.sort_by(|a, b| {
            b.sales_cents
                .cmp(&a.sales_cents)
                .then(a.store.cmp(&b.store))
        });
        for (row, rank) in stores.iter_mut().zip(1u32..) {
            row.rank = rank;
        }
        LeaderboardRegion {
            region: region.to_owned(),
            from,
            to,
            promotion_id: promotion.map(|(id, _)| *id),
            stores,
        }
    }

    /// Per region (or one), its stores ranked by sales over the `days`
    /// days ending at the region's latest sale day, the first `limit`.
    pub fn leaderboard(
        &self,
        region: Option<&str>,
        days: u32,
        limit: usize,
    ) -> Result<StoreLeaderboard, RetailQueryError> {
        let regions: Vec<&str> = match region {
            Some(region) => {
                self.known_region(region)?;
                vec![region]
            }
            None => self.regions().into_iter().collect(),
        };
        Ok(StoreLeaderboard {
            days,
            regions: regions
                .into_iter()
                .map(|region| {
                    let mut board = self.ranked_region(region, days);
                    board.stores.truncate(limit);
                    board
                })
                .collect(),
        })
    }

    /// A store's figures over its policy window (and the window).
    pub fn store_window(&self, store: &StoreCode) -> WindowFigures {
        match self.store_latest_day(store) {
            Some(latest) => {
                let (from, to) = self.policy.window(latest);
                let totals = self.store_totals(store, from, to);
                WindowFigures {
                    from: Some(from),
                    to: Some(to),
                    tickets: totals.tickets,
                    sales_cents: totals.cents,
                    avg_ticket_cents: avg_ticket(totals.cents, totals.tickets),
                }
            }
            None => WindowFigures {
                from: None,
                to: None,
                tickets: 0,
                sales_cents: 0,
                avg_ticket_cents: None,
            },
        }
    }

    /// One store's battle map (`members` left empty: they are
    /// `retail_members`' to give).
    pub fn battle_map(&self, store: &str) -> Result<BattleMap, RetailQueryError> {
        let (code, info) = StoreCode::parse(store)
            .ok()
            .and_then(|code| self.stores.get_key_value(&code))
            .ok_or_else(|| RetailQueryError::UnknownStore(store.to_owned()))?;
        let latest = self.store_latest_day(code);
        let board = self.ranked_region(&info.region, BATTLE_MAP_DAYS);
        let rank_in_region = board
            .stores
            .iter()
            .find(|row| &row.store == code)
            .map_or(0, |row| row.rank);
        let stores_in_region = u32::try_from(board.stores.len()).unwrap_or(u32::MAX);
        let window = self.store_window(code);

        let mut region_avg_ticket_cents = None;
        let mut categories: Vec<u64> = Vec::new();
        let mut slots = [0u64; 5];
        if let (Some(from), Some(to)) = (window.from, window.to) {
            let mut region_totals = DayTotals::default();
            for (other, _) in self.region_stores(&info.region) {
                let totals = self.store_totals(other, from, to);
                region_totals.add(totals.tickets, totals.cents);
            }
            region_avg_ticket_cents = avg_ticket(region_totals.cents, region_totals.tickets);
            if let Some(days) = self.days.get(code) {
                for day in days.range(from..=to).map(|(_, day)| day) {
                    for (category, cents) in day.categories.iter().enumerate() {
                        add_at(&mut categories, category, *cents);
                    }
                    for (sum, count) in slots.iter_mut().zip(day.slots) {
                        *sum += count;
                    }
                }
            }
        }
        let categories: Vec<CategoryShare> = ranked_categories(&self.categories, &categories)
            .into_iter()
            .map(|(category, sales_cents)| CategoryShare {
                category,
                sales_cents,
                share_bp: share_bp(sales_cents, window.sales_cents),
            })
            .collect();
        let slot_tickets: u64 = slots.iter().sum();
        let slots = TimeSlot::ALL
            .iter()
            .zip(slots)
            .map(|(slot, tickets)| SlotShare {
                slot: *slot,
                tickets,
                share_bp: share_bp(tickets, slot_tickets),
            })
            .collect();

        let daily = match latest {
            Some(latest) => {
                let days = self.days.get(code);
                day_list(days_ending(latest, BATTLE_MAP_DAYS), latest)
                    .into_iter()
                    .map(|day| {
                        let figures = days.and_then(|days| days.get(&day));
                        let tickets = figures.map_or(0, |figures| figures.tickets);
                        let sales_cents = figures.map_or(0, |figures| figures.sales_cents);
                        DailyFigures {
                            day,
                            tickets,
                            sales_cents,
                            avg_ticket_cents: avg_ticket(sales_cents, tickets),
                        }
                    })
                    .collect()
            }
            None => Vec::new(),
        };

        let mut promotions: Vec<(&PromotionId, &PromotionInfo)> = self
            .promotions
            .iter()
            .filter(|(_, promotion)| promotion.regions.contains(&info.region))
            .collect();
        promotions.sort_by_key(|(_, promotion)| std::cmp::Reverse(promotion.launched_position));
        let promotions = promotions
            .into_iter()
            .map(|(id, promotion)| {
                let (share, region_share) = match latest {
                    Some(latest) => {
                        let to = latest.min(promotion.ends_on);
                        let share = self
                            .store_penetration(code, &promotion.sku, promotion.starts_on, to)
                            .share_bp;
                        let mut region = PenetrationTotal::default();
                        for (other, _) in self.region_stores(&info.region) {
                            let total = self.store_penetration(
                                other,
                                &promotion.sku,
                                promotion.starts_on,
                                to,
                            );
                            region.add(total.tickets, total.with_product);
                        }
                        (share, region.share_bp)
                    }
                    None => (None, None),
                };
                PromotionShare {
                    promotion_id: *id,
                    name: promotion.name.clone(),
                    sku: promotion.sku.clone(),
                    starts_on: promotion.starts_on,
                    ends_on: promotion.ends_on,
                    share_bp: share,
                    region_share_bp: region_share,
                }
            })
            .collect();

        Ok(BattleMap {
            store: code.clone(),
            name: info.name.clone(),
            region: info.region.clone(),
            format: info.format,
            opened_on: info.opened_on,
            latest_sale_day: latest,
            rank_in_region,
            stores_in_region,
            threshold_cents: self.policy.high_potential_avg_ticket_cents,
            window_days: self.policy.days(),
            high_potential: self.policy.is_high_potential(window.avg_ticket_cents),
            window,
            region_avg_ticket_cents,
            daily,
            categories,
            slots,
            promotions,
            members: Vec::new(),
        })
    }
}

// ---- retail_members ----

/// The `retail_members` projector.
#[derive(Debug, Clone, Copy, Default)]
pub struct RetailMembers;

impl Projector for RetailMembers {
    const NAME: &'static str = "retail_members";
    const VERSION: u32 = 1;
    type Model = RetailMembersView;

    fn apply(model: &mut RetailMembersView, record: &RecordedEvent, event: &Event) {
        if first_sight(&mut model.last_position, record.position) {
            model.apply(event);
        }
    }
}

/// What the member view needs of a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberStoreInfo {
    pub name: String,
    pub region: String,
}

/// One member's bounded statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberStats {
    /// `None` for tickets of a member never enrolled.
    pub home_store: Option<StoreCode>,
    pub display_name: Option<String>,
    /// Tickets and spend per sale day, only the home store's policy window
    /// (older days are dropped at the member's next ticket).
    pub days: BTreeMap<NaiveDate, DayTotals>,
    /// Tickets per slot over the whole history, in [`TimeSlot::ALL`] order.
    pub slots: [u64; 5],
    /// Spend cents per category (by index) over the whole history.
    pub categories: Vec<u64>,
}

/// The folded state of `retail_members`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetailMembersView {
    pub last_position: Option<u64>,
    pub policy: RetailPolicy,
    pub stores: BTreeMap<StoreCode, MemberStoreInfo>,
    pub categories: Categories,
    /// Per store, per sale day.
    pub store_days: BTreeMap<StoreCode, BTreeMap<NaiveDate, DayTotals>>,
    pub members: BTreeMap<MemberRef, MemberStats>,
}

/// One listed member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HighPotentialMember {
    pub member: MemberRef,
    pub display_name: String,
    /// Tickets in the home store's policy window.
    pub tickets: u64,
    /// `tickets * 300 / window_days`, truncated.
    pub tickets_per_month_x10: u64,
    /// Spend in the window.
    pub spend_cents: u64,
    pub preferred_slot: TimeSlot,
    /// Up to 3, by spend over the whole history.
    pub usual_categories: Vec<String>,
    pub script: String,
}

/// One high-potential store and its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HighPotentialStore {
    pub store: StoreCode,
    pub name: String,
    pub region: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub tickets: u64,
    pub sales_cents: u64,
    pub avg_ticket_cents: u64,
    pub members: Vec<HighPotentialMember>,
}

/// `GET /v1/views/stores/high-potential`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HighPotential {
    pub threshold_cents: u64,
    pub window_days: u32,
    pub policy_version: u32,
    pub stores: Vec<HighPotentialStore>,
}

impl RetailMembersView {
    fn apply(&mut self, event: &Event) {
        match event {
            Event::StoreOpened(opened) => {
                self.stores
                    .entry(opened.store.clone())
                    .or_insert_with(|| MemberStoreInfo {
                        name: opened.name.as_str().to_owned(),
                        region: opened.region.as_str().to_owned(),
                    });
            }
            Event::SkuRegistered(registered) => {
                self.categories
                    .register(&registered.sku, registered.category.as_str());
            }
            Event::MemberEnrolled(enrolled) => {
                let stats = self.members.entry(enrolled.member.clone()).or_default();
                if stats.home_store.is_none() {
                    stats.home_store = Some(enrolled.home_store.clone());
                    stats.display_name = Some(enrolled.display_name.as_str().to_owned());
                }
            }
            Event::RetailPolicyPublished(published) => self.policy.apply(published),
            Event::PosTicketsRecorded(recorded) => self.record(recorded),
            _ => {}
        }
    }

    fn record(&mut self, recorded: &PosTicketsRecorded) {
        let store_days = self.store_days.entry(recorded.store.clone()).or_default();
        for ticket in &recorded.tickets {
            store_days
                .entry(ticket.local_day())
                .or_default()
                .add(1, ticket.total_cents());
        }
        let window_days = self.policy.days();
        for ticket in &recorded.tickets {
            let Some(member) = &ticket.member else {
                continue;
            };
            let day = ticket.local_day();
            let stats = match self.members.get_mut(member) {
                Some(stats) => stats,
                None => self.members.entry(member.clone()).or_default(),
            };
            let home_latest = stats
                .home_store
                .as_ref()
                .and_then(|home| self.store_days.get(home))
                .and_then(|days| days.last_key_value())
                .map(|(day, _)| *day);
            // The home store's window (its latest day may be behind this
            // ticket, bought elsewhere: never drop a day it still needs);
            // without a home store, the member's own latest day's.
            let anchor = home_latest.unwrap_or_else(|| {
                stats
                    .days
                    .last_key_value()
                    .map_or(day, |(last, _)| (*last).max(day))
            });
            let horizon = days_ending(anchor, window_days);
            while stats
                .days
                .first_key_value()
                .is_some_and(|(first, _)| *first < horizon)
            {
                stats.days.pop_first();
            }
            if day >= horizon {
                stats
                    .days
                    .entry(day)
                    .or_default()
                    .add(1, ticket.total_cents());
            }
            stats.slots[slot_index(ticket.time_slot())] += 1;
            for line in &ticket.lines {
                let category = self.categories.of(&line.sku);
                add_at(&mut stats.categories, category, line.amount_cents);
            }
        }
    }

    /// The latest sale day of a store.
    pub fn store_latest_day(&self, store: &StoreCode) -> Option<NaiveDate> {
        self.store_days
            .get(store)
            .and_then(|days| days.last_key_value())
            .map(|(day, _)| *day)
    }

    /// A high-potential store's window figures; `None` when it is not one.
    fn high_potential_store(
        &self,
        store: &StoreCode,
        info: &MemberStoreInfo,
    ) -> Option<HighPotentialStore> {
        let latest = self.store_latest_day(store)?;
        let (from, to) = self.policy.window(latest);
        let totals = sum_days(self.store_days.get(store), from, to, |day| *day);
        let avg = avg_ticket(totals.cents, totals.tickets);
        if !self.policy.is_high_potential(avg) {
            return None;
        }
        Some(HighPotentialStore {
            store: store.clone(),
            name: info.name.clone(),
            region: info.region.clone(),
            from,
            to,
            tickets: totals.tickets,
            sales_cents: totals.cents,
            avg_ticket_cents: avg.unwrap_or(0),
            members: Vec::new(),
        })
    }

    /// The stores (of a region, or one store) whose average ticket over
    /// the policy window exceeds the threshold, by region then code, each
    /// with its first `limit` members by tickets in the window, then
    /// spend, then member ref.
    pub fn high_potential(
        &self,
        region: Option<&str>,
        store: Option<&str>,
        limit: usize,
    ) -> Result<HighPotential, RetailQueryError> {
        if let Some(region) = region {
            if !self.stores.values().any(|info| info.region == region) {
                return Err(RetailQueryError::UnknownRegion(region.to_owned()));
            }
        }
        let only_store = match store {
            Some(store) => Some(
                StoreCode::parse(store)
                    .ok()
                    .filter(|code| self.stores.contains_key(code))
                    .ok_or_else(|| RetailQueryError::UnknownStore(store.to_owned()))?,
            ),
            None => None,
        };
        let mut stores: BTreeMap<StoreCode, HighPotentialStore> = self
            .stores
            .iter()
            .filter(|(code, info)| {
                region.map_or(true, |wanted| info.region == wanted)
                    && only_store.as_ref().map_or(true, |only| only == *code)
            })
            .filter_map(|(code, info)| {
                self.high_potential_store(code, info)
                    .map(|listed| (code.clone(), listed))
            })
            .collect();
        if !stores.is_empty() {
            for (member, stats) in &self.members {
                let Some(listed) = stats
                    .home_store
                    .as_ref()
                    .and_then(|home| stores.get_mut(home))
                else {
                    continue;
                };
                if let Some(row) = self.member_row(member, stats, listed) {
                    listed.members.push(row);
                }
            }
        }
        let mut stores: Vec<HighPotentialStore> = stores.into_values().collect();
        stores.sort_by(|a, b| a.region.cmp(&b.region).then(a.store.cmp(&b.store)));
        for listed in &mut stores {
            listed.members.sort_by(|a, b| {
                b.tickets
                    .cmp(&a.tickets)
                    .then(b.spend_cents.cmp(&a.spend_cents))
                    .then(a.member.cmp(&b.member))
            });
            listed.members.truncate(limit);
        }
        Ok(HighPotential {
            threshold_cents: self.policy.high_potential_avg_ticket_cents,
            window_days: self.policy.days(),
            policy_version: self.policy.version,
            stores,
        })
    }

    fn member_row(
        &self,
        member: &MemberRef,
        stats: &MemberStats,
        store: &HighPotentialStore,
    ) -> Option<HighPotentialMember> {
        let totals = sum_days(Some(&stats.days), store.from, store.to, |day| *day);
        if totals.tickets == 0 {
            return None;
        }
        let preferred_slot = preferred_slot(&stats.slots);
        let usual_categories = usual_categories(&self.categories, &stats.categories);
        let display_name = stats
            .display_name
            .clone()
            .unwrap_or_else(|| member.as_str().to_owned());
        let category_names: Vec<&str> = usual_categories.iter().map(String::as_str).collect();
        let script = fill_script(
            &self.policy.script_template,
            &display_name,
            &store.name,
            preferred_slot,
            &category_names,
        );
        Some(HighPotentialMember {
            member: member.clone(),
            display_name,
            tickets: totals.tickets,
            tickets_per_month_x10: totals.tickets.saturating_mul(300)
                / u64::from(self.policy.days()),
            spend_cents: totals.cents,
            preferred_slot,
            usual_categories,
            script,
        })
    }
}

/// The slot with the most tickets (ties: the earlier slot of the day).
pub fn preferred_slot(slots: &[u64; 5]) -> TimeSlot {
    let mut best = 0;
    for (index, count) in slots.iter().enumerate() {
        if *count > slots[best] {
            best = index;
        }
    }
    TimeSlot::ALL[best]
}

/// The (up to) 3 categories of most spend (ties: name ascending), only
/// categories with spend.
pub fn usual_categories(categories: &Categories, cents: &[u64]) -> Vec<String> {
    ranked_categories(categories, cents)
        .into_iter()
        .take(USUAL_CATEGORIES)
        .map(|(category, _)| category)
        .collect()
}
