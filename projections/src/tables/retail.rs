//! The chain-store views (SPEC C13) as table projectors: the same rules and
//! the same answers as [`crate::retail`]'s [`RetailStores`] and
//! [`RetailMembers`] (checked against them in `tests/tables_retail.rs`),
//! stored as small rows keyed by store-day, SKU-store-day and member
//! instead of two models. The definitions (days, slots, tracked SKUs,
//! windows, high potential) are in [`crate::retail`]'s module docs.
//!
//! POS tickets are by far the largest part of the log, so no row grows
//! with history: a POS event (one store's tickets of one batch) rewrites
//! the store-day rows of the days it touches, one counter row per tracked
//! SKU and day, and per member its statistics row and its day rows.
//! Penetration, leaderboards, battle maps and high-potential lists are
//! computed at read time from range scans in key order.
//!
//! `retail_stores` ([`RetailStoresTables`]):
//!
//! | table | key | value |
//! |---|---|---|
//! | `rs_policy` | `()` | the retail policy in force |
//! | `rs_stores` | store | name, region, format, opening day |
//! | `rs_region_stores` | (region, store) | `()`: the stores of a region |
//! | `rs_skus` | SKU | its category's index (first registration wins) |
//! | `rs_category_ids` / `rs_category_names` | name / index | categories interned in first-seen order |
//! | `rs_tracked` | SKU | `()`: a new product or a promoted SKU |
//! | `rs_promotions` | promotion id | the launched promotion |
//! | `rs_store_days` | (store, day) | tickets, sales, 5 slot counters, sales per category index |
//! | `rs_tracked_days` | (SKU, store, day) | tickets containing the tracked SKU |
//! | `rs_store_latest` | store | its latest sale day |
//! | `rs_latest_day` | `()` | the latest sale day of any store |
//!
//! `retail_members` ([`RetailMembersTables`]):
//!
//! | table | key | value |
//! |---|---|---|
//! | `rm_policy` | `()` | the retail policy in force |
//! | `rm_stores` | store | name and region |
//! | `rm_skus`, `rm_category_ids`, `rm_category_names` | | as above (this projector's own) |
//! | `rm_store_days` | (store, day) | tickets and sales |
//! | `rm_store_latest` | store | its latest sale day |
//! | `rm_members` | member | home store, name, kept-day bounds, slot and category counters |
//! | `rm_member_days` | (member, day) | tickets and spend, only days inside the home store's policy window (as the model, older days are deleted at the member's next ticket) |
//! | `rm_home_members` | (store, member) | `()`: the members enrolled with a store |
//!
//! Paged reads ([`penetration_page`], [`leaderboard_page`],
//! [`high_potential_members_page`]) give the long lists a page at a time.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use salesledger_domain::retail::{fill_script, PosTicketsRecorded, StoreOpened, TimeSlot};
use salesledger_domain::value::{MemberRef, PromotionId, SkuCode, StoreCode};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{prefix_end, Table, TableError, TableKey, TableProjector, TableRead, Tx};
use crate::error::ProjectionError;
use crate::projector::Projector;
use crate::retail::{
    avg_ticket, day_list, days_ending, preferred_slot, ranked_categories, share_bp, slot_index,
    usual_categories, BattleMap, Categories, CategoryShare, DailyFigures, DayTotals, HighPotential,
    HighPotentialMember, HighPotentialStore, LeaderboardRegion, LeaderboardStore, MemberStoreInfo,
    Penetration, PenetrationCell, PenetrationRegion, PenetrationStore, PenetrationTotal,
    PromotionInfo, PromotionShare, PromotionSummary, RetailMembers, RetailPolicy, RetailQueryError,
    RetailStores, SlotShare, StoreInfo, StoreLeaderboard, WindowFigures, BATTLE_MAP_DAYS,
    MAX_QUERY_DAYS, UNCATEGORISED,
};

// ---- retail_stores tables ----

pub const POLICY: Table<(), RetailPolicy> = Table::new("rs_policy");
pub const STORES: Table<StoreCode, StoreInfo> = Table::new("rs_stores");
pub const REGION_STORES: Table<(String, StoreCode), ()> = Table::new("rs_region_stores");
pub const SKUS: Table<SkuCode, u32> = Table::new("rs_skus");
pub const CATEGORY_IDS: Table<String, u32> = Table::new("rs_category_ids");
pub const CATEGORY_NAMES: Table<u32, String> = Table::new("rs_category_names");
pub const TRACKED: Table<SkuCode, ()> = Table::new("rs_tracked");
pub const PROMOTIONS: Table<PromotionId, PromotionInfo> = Table::new("rs_promotions");
pub const STORE_DAYS: Table<(StoreCode, NaiveDate), StoreDayRow> = Table::new("rs_store_days");
pub const TRACKED_DAYS: Table<(SkuCode, StoreCode, NaiveDate), u64> = Table::new("rs_tracked_days");
pub const STORE_LATEST: Table<StoreCode, NaiveDate> = Table::new("rs_store_latest");
pub const LATEST_DAY: Table<(), NaiveDate> = Table::new("rs_latest_day");

// ---- retail_members tables ----

pub const MEMBER_POLICY: Table<(), RetailPolicy> = Table::new("rm_policy");
pub const MEMBER_STORES: Table<StoreCode, MemberStoreInfo> = Table::new("rm_stores");
pub const MEMBER_SKUS: Table<SkuCode, u32> = Table::new("rm_skus");
pub const MEMBER_CATEGORY_IDS: Table<String, u32> = Table::new("rm_category_ids");
pub const MEMBER_CATEGORY_NAMES: Table<u32, String> = Table::new("rm_category_names");
pub const MEMBER_STORE_DAYS: Table<(StoreCode, NaiveDate), DayTotals> = Table::new("rm_store_days");
pub const MEMBER_STORE_LATEST: Table<StoreCode, NaiveDate> = Table::new("rm_store_latest");
pub const MEMBERS: Table<MemberRef, MemberRow> = Table::new("rm_members");
pub const MEMBER_DAYS: Table<(MemberRef, NaiveDate), DayTotals> = Table::new("rm_member_days");
pub const HOME_MEMBERS: Table<(StoreCode, MemberRef), ()> = Table::new("rm_home_members");

/// One store's figures on one sale day (the model's `StoreDay` without
/// its tracked-SKU counters, which are rows of `rs_tracked_days`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreDayRow {
    pub tickets: u64,
    pub sales_cents: u64,
    /// Tickets per slot, in [`TimeSlot::ALL`] order.
    pub slots: [u64; 5],
    /// Sales cents per category, by category index.
    pub categories: Vec<u64>,
}

/// One member's bounded statistics (the model's `MemberStats` without its
/// days, which are rows of `rm_member_days`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    /// `None` for tickets of a member never enrolled.
    pub home_store: Option<StoreCode>,
    pub display_name: Option<String>,
    /// The first and last of the member's kept days (`None`: none kept).
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    /// Tickets per slot over the whole history, in [`TimeSlot::ALL`] order.
    pub slots: [u64; 5],
    /// Spend cents per category (by index) over the whole history.
    pub categories: Vec<u64>,
}

/// Why a read has no answer: the query's refusal, or the rows'.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RetailReadError {
    #[error(transparent)]
    Query(#[from] RetailQueryError),
    #[error(transparent)]
    Table(#[from] TableError),
}

fn cannot_apply(record: &RecordedEvent, reason: impl Into<String>) -> ProjectionError {
    ProjectionError::CannotApply {
        position: record.position,
        reason: reason.into(),
    }
}

/// Adds `cents` to the counter of category `index`.
fn add_at(counters: &mut Vec<u64>, index: u32, cents: u64) {
    let index = index as usize;
    if counters.len() <= index {
        counters.resize(index + 1, 0);
    }
    if let Some(counter) = counters.get_mut(index) {
        *counter = counter.saturating_add(cents);
    }
}

/// One projector's category tables.
struct CategoryTables {
    skus: Table<SkuCode, u32>,
    ids: Table<String, u32>,
    names: Table<u32, String>,
}

const STORE_CATEGORIES: CategoryTables = CategoryTables {
    skus: SKUS,
    ids: CATEGORY_IDS,
    names: CATEGORY_NAMES,
};

const MEMBER_CATEGORIES: CategoryTables = CategoryTables {
    skus: MEMBER_SKUS,
    ids: MEMBER_CATEGORY_IDS,
    names: MEMBER_CATEGORY_NAMES,
};

impl CategoryTables {
    /// The index of category `name`, interned (next index) when new.
    fn intern(
        &self,
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        name: &str,
    ) -> Result<u32, ProjectionError> {
        let name = name.to_owned();
        if let Some(index) = tx.get(&self.ids, &name)? {
            return Ok(index);
        }
        let next = match tx.range(&self.names, None, None)?.last() {
            Some((last, _)) => last
                .checked_add(1)
                .ok_or_else(|| cannot_apply(record, "too many SKU categories"))?,
            None => 0,
        };
        tx.put(&self.ids, &name, &next)?;
        tx.put(&self.names, &next, &name)?;
        Ok(next)
    }

    /// Registers a SKU's category (the first registration wins).
    fn register(
        &self,
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        sku: &SkuCode,
        category: &str,
    ) -> Result<(), ProjectionError> {
        if tx.get(&self.skus, sku)?.is_none() {
            let index = self.intern(tx, record, category)?;
            tx.put(&self.skus, sku, &index)?;
        }
        Ok(())
    }

    /// A SKU's category index ([`UNCATEGORISED`] when not registered).
    fn of(
        &self,
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        sku: &SkuCode,
    ) -> Result<u32, ProjectionError> {
        match tx.get(&self.skus, sku)? {
            Some(index) => Ok(index),
            None => self.intern(tx, record, UNCATEGORISED),
        }
    }

    /// The category names in index order, as the model's [`Categories`].
    fn read(&self, rows: &mut impl TableRead) -> Result<Categories, TableError> {
        let names = rows
            .range(&self.names, None, None)?
            .into_iter()
            .map(|(_, name)| name)
            .collect();
        Ok(Categories {
            names,
            skus: BTreeMap::new(),
        })
    }
}

fn publish_policy(
    tx: &mut Tx<'_>,
    table: &Table<(), RetailPolicy>,
    published: &salesledger_domain::retail::RetailPolicyPublished,
) -> Result<(), ProjectionError> {
    let mut policy = tx.get(table, &())?.unwrap_or_default();
    if published.version > policy.version {
        policy.apply(published);
        tx.put(table, &(), &policy)?;
    }
    Ok(())
}

fn read_policy(
    rows: &mut impl TableRead,
    table: &Table<(), RetailPolicy>,
) -> Result<RetailPolicy, TableError> {
    Ok(rows.get(table, &())?.unwrap_or_default())
}

/// Moves a "latest day" row forward to `day` (never back).
fn advance<K: TableKey>(
    tx: &mut Tx<'_>,
    table: &Table<K, NaiveDate>,
    key: &K,
    day: NaiveDate,
) -> Result<(), TableError> {
    if tx.get(table, key)?.map_or(true, |latest| latest < day) {
        tx.put(table, key, &day)?;
    }
    Ok(())
}

// ---- retail_stores ----

/// The `retail_stores` projector on tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct RetailStoresTables;

impl TableProjector for RetailStoresTables {
    const NAME: &'static str = RetailStores::NAME;
    const VERSION: u32 = 1;

    fn tables() -> &'static [&'static str] {
        &[
            "rs_policy",
            "rs_stores",
            "rs_region_stores",
            "rs_skus",
            "rs_category_ids",
            "rs_category_names",
            "rs_tracked",
            "rs_promotions",
            "rs_store_days",
            "rs_tracked_days",
            "rs_store_latest",
            "rs_latest_day",
        ]
    }

    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        match event {
            Event::StoreOpened(opened) => open_store(tx, opened)?,
            Event::SkuRegistered(registered) => {
                STORE_CATEGORIES.register(
                    tx,
                    record,
                    &registered.sku,
                    registered.category.as_str(),
                )?;
                if registered.new_product {
                    tx.put(&TRACKED, &registered.sku, &())?;
                }
            }
            Event::PromotionLaunched(launched) => {
                tx.put(&TRACKED, &launched.sku, &())?;
                if tx.get(&PROMOTIONS, &launched.promotion_id)?.is_none() {
                    let mut regions: Vec<String> = launched
                        .regions
                        .iter()
                        .map(|region| region.as_str().to_owned())
                        .collect();
                    regions.sort();
                    regions.dedup();
                    let info = PromotionInfo {
                        sku: launched.sku.clone(),
                        name: launched.name.as_str().to_owned(),
                        regions,
                        starts_on: launched.starts_on,
                        ends_on: launched.ends_on,
                        launched_at: launched.launched_at,
                        launched_position: record.position,
                    };
                    tx.put(&PROMOTIONS, &launched.promotion_id, &info)?;
                }
            }
            Event::RetailPolicyPublished(published) => publish_policy(tx, &POLICY, published)?,
            Event::PosTicketsRecorded(recorded) => record_store_tickets(tx, record, recorded)?,
            _ => {}
        }
        Ok(())
    }
}

/// A store's identity and its place in its region (the first opening
/// wins).
fn open_store(tx: &mut Tx<'_>, opened: &StoreOpened) -> Result<(), TableError> {
    if tx.get(&STORES, &opened.store)?.is_some() {
        return Ok(());
    }
    let info = StoreInfo {
        name: opened.name.as_str().to_owned(),
        region: opened.region.as_str().to_owned(),
        format: opened.format,
        opened_on: opened.opened_on,
    };
    tx.put(
        &REGION_STORES,
        &(info.region.clone(), opened.store.clone()),
        &(),
    )?;
    tx.put(&STORES, &opened.store, &info)
}

/// Folds one store's tickets: each touched store-day row read once and
/// written once, one counter row per tracked SKU and day.
fn record_store_tickets(
    tx: &mut Tx<'_>,
    record: &RecordedEvent,
    recorded: &PosTicketsRecorded,
) -> Result<(), ProjectionError> {
    let store = &recorded.store;
    // Per SKU of this event: (category index, tracked).
    let mut skus: BTreeMap<&SkuCode, (u32, bool)> = BTreeMap::new();
    let mut days: BTreeMap<NaiveDate, StoreDayRow> = BTreeMap::new();
    let mut with_sku: BTreeMap<(&SkuCode, NaiveDate), u64> = BTreeMap::new();
    let mut tracked: Vec<&SkuCode> = Vec::new();
    for ticket in &recorded.tickets {
        let day = ticket.local_day();
        if let Entry::Vacant(vacant) = days.entry(day) {
            vacant.insert(
                tx.get(&STORE_DAYS, &(store.clone(), day))?
                    .unwrap_or_default(),
            );
        }
        tracked.clear();
        let mut lines = Vec::with_capacity(ticket.lines.len());
        for line in &ticket.lines {
            let (category, is_tracked) = match skus.get(&line.sku) {
                Some(known) => *known,
                None => {
                    let known = (
                        STORE_CATEGORIES.of(tx, record, &line.sku)?,
                        tx.get(&TRACKED, &line.sku)?.is_some(),
                    );
                    skus.insert(&line.sku, known);
                    known
                }
            };
            lines.push((category, line.amount_cents));
            if is_tracked && !tracked.contains(&&line.sku) {
                tracked.push(&line.sku);
            }
        }
        let row = days
            .get_mut(&day)
            .ok_or_else(|| cannot_apply(record, "a store day vanished"))?;
        row.tickets = row.tickets.saturating_add(1);
        row.sales_cents = row.sales_cents.saturating_add(ticket.total_cents());
        if let Some(slot) = row.slots.get_mut(slot_index(ticket.time_slot())) {
            *slot = slot.saturating_add(1);
        }
        for (category, cents) in lines {
            add_at(&mut row.categories, category, cents);
        }
        for sku in &tracked {
            let count = with_sku.entry((*sku, day)).or_default();
            *count = count.saturating_add(1);
        }
    }
    for ((sku, day), count) in with_sku {
        let key = (sku.clone(), store.clone(), day);
        let before = tx.get(&TRACKED_DAYS, &key)?.unwrap_or(0);
        tx.put(&TRACKED_DAYS, &key, &before.saturating_add(count))?;
    }
    if let Some(latest) = days.keys().next_back().copied() {
        advance(tx, &STORE_LATEST, store, latest)?;
        advance(tx, &LATEST_DAY, &(), latest)?;
    }
    for (day, row) in days {
        tx.put(&STORE_DAYS, &(store.clone(), day), &row)?;
    }
    Ok(())
}

// -- reads: scans --

fn decode_rows<K: TableKey, V: DeserializeOwned>(
    table: &'static str,
    rows: super::RawRows,
) -> Result<Vec<(K, V)>, TableError> {
    rows.into_iter()
        .map(|(key, value)| {
            let key =
                K::from_key_bytes(&key).map_err(|source| TableError::Key { table, source })?;
            let value = postcard::from_bytes(&value)
                .map_err(|source| TableError::Value { table, source })?;
            Ok((key, value))
        })
        .collect()
}

/// Rows with `from <= key <= to`, in key order, at most `limit`.
fn scan<K: TableKey, V: DeserializeOwned>(
    rows: &mut impl TableRead,
    table: &Table<K, V>,
    from: &K,
    to: &K,
    limit: usize,
) -> Result<Vec<(K, V)>, TableError> {
    let from = from.to_key_bytes();
    let to = prefix_end(&to.to_key_bytes());
    let raw = rows
        .raw_read()
        .range_raw(table.name(), &from, to.as_deref(), limit)?;
    decode_rows(table.name(), raw)
}

/// Rows whose key starts with `prefix`, after `after` (exclusive) when
/// given, in key order, at most `limit`.
fn scan_after<K: TableKey, V: DeserializeOwned, P: TableKey>(
    rows: &mut impl TableRead,
    table: &Table<K, V>,
    prefix: &P,
    after: Option<&K>,
    limit: usize,
) -> Result<Vec<(K, V)>, TableError> {
    let start = prefix.to_key_bytes();
    let end = prefix_end(&start);
    let from = match after {
        // The smallest key greater than `after` and every key it prefixes
        // (keys are self-delimiting: none extends another).
        Some(after) => {
            let mut key = after.to_key_bytes();
            key.push(0);
            key.max(start)
        }
        None => start,
    };
    let raw = rows
        .raw_read()
        .range_raw(table.name(), &from, end.as_deref(), limit)?;
    decode_rows(table.name(), raw)
}

/// A store's days from `from` to `to` (none when `from > to`).
fn store_days(
    rows: &mut impl TableRead,
    store: &StoreCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, StoreDayRow)>, TableError> {
    if from > to {
        return Ok(Vec::new());
    }
    Ok(scan(
        rows,
        &STORE_DAYS,
        &(store.clone(), from),
        &(store.clone(), to),
        usize::MAX,
    )?
    .into_iter()
    .map(|((_, day), row)| (day, row))
    .collect())
}

/// Tickets containing `sku` at `store` per day from `from` to `to`.
fn tracked_days(
    rows: &mut impl TableRead,
    sku: &SkuCode,
    store: &StoreCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<NaiveDate, u64>, TableError> {
    if from > to {
        return Ok(BTreeMap::new());
    }
    Ok(scan(
        rows,
        &TRACKED_DAYS,
        &(sku.clone(), store.clone(), from),
        &(sku.clone(), store.clone(), to),
        usize::MAX,
    )?
    .into_iter()
    .map(|((_, _, day), count)| (day, count))
    .collect())
}

fn store_totals(
    rows: &mut impl TableRead,
    store: &StoreCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<DayTotals, TableError> {
    let mut totals = DayTotals::default();
    for (_, day) in store_days(rows, store, from, to)? {
        totals.tickets = totals.tickets.saturating_add(day.tickets);
        totals.cents = totals.cents.saturating_add(day.sales_cents);
    }
    Ok(totals)
}

fn penetration_total(tickets: u64, with_product: u64) -> PenetrationTotal {
    PenetrationTotal {
        tickets,
        with_product,
        share_bp: share_bp(with_product, tickets),
    }
}

fn add_total(total: &mut PenetrationTotal, tickets: u64, with_product: u64) {
    *total = penetration_total(
        total.tickets.saturating_add(tickets),
        total.with_product.saturating_add(with_product),
    );
}

/// A store's tickets and tickets with `sku` from `from` to `to`.
fn store_penetration(
    rows: &mut impl TableRead,
    store: &StoreCode,
    sku: &SkuCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<PenetrationTotal, TableError> {
    let mut total = PenetrationTotal::default();
    for (_, day) in store_days(rows, store, from, to)? {
        add_total(&mut total, day.tickets, 0);
    }
    for count in tracked_days(rows, sku, store, from, to)?.into_values() {
        add_total(&mut total, 0, count);
    }
    Ok(total)
}

/// The stores of a region, by code.
fn region_stores(
    rows: &mut impl TableRead,
    region: &str,
) -> Result<Vec<(StoreCode, StoreInfo)>, TableError> {
    let codes = rows.prefix(&REGION_STORES, &region.to_owned())?;
    let mut stores = Vec::with_capacity(codes.len());
    for ((_, code), ()) in codes {
        if let Some(info) = rows.get(&STORES, &code)? {
            stores.push((code, info));
        }
    }
    Ok(stores)
}

/// Every region with a store, sorted.
fn regions(rows: &mut impl TableRead) -> Result<Vec<String>, TableError> {
    let mut regions: Vec<String> = Vec::new();
    for ((region, _), ()) in rows.range(&REGION_STORES, None, None)? {
        if regions.last() != Some(&region) {
            regions.push(region);
        }
    }
    Ok(regions)
}

fn known_region(rows: &mut impl TableRead, region: &str) -> Result<(), RetailReadError> {
    if scan_after(rows, &REGION_STORES, &region.to_owned(), None, 1)?.is_empty() {
        Err(RetailQueryError::UnknownRegion(region.to_owned()).into())
    } else {
        Ok(())
    }
}

/// The latest sale day of a store.
pub fn store_latest_day(
    rows: &mut impl TableRead,
    store: &StoreCode,
) -> Result<Option<NaiveDate>, TableError> {
    rows.get(&STORE_LATEST, store)
}

/// The latest sale day over some stores.
fn latest_of(
    rows: &mut impl TableRead,
    stores: &[(StoreCode, StoreInfo)],
) -> Result<Option<NaiveDate>, TableError> {
    let mut latest = None;
    for (store, _) in stores {
        latest = latest.max(store_latest_day(rows, store)?);
    }
    Ok(latest)
}

/// The latest launched promotion (of a region, when given).
fn latest_promotion(
    rows: &mut impl TableRead,
    region: Option<&str>,
) -> Result<Option<(PromotionId, PromotionInfo)>, TableError> {
    Ok(rows
        .range(&PROMOTIONS, None, None)?
        .into_iter()
        .filter(|(_, info)| region.map_or(true, |wanted| info.regions.iter().any(|r| r == wanted)))
        .max_by_key(|(_, info)| info.launched_position))
}

// -- reads: penetration --

/// A penetration query resolved: the promotion, its regions and days.
struct PenetrationQuery {
    promotion: PromotionSummary,
    sku: SkuCode,
    regions: Vec<String>,
    from: NaiveDate,
    to: NaiveDate,
    days: Vec<NaiveDate>,
}

fn resolve_penetration(
    rows: &mut impl TableRead,
    promotion: Option<PromotionId>,
    region: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<PenetrationQuery, RetailReadError> {
    let (promotion_id, info) = match promotion {
        Some(id) => (
            id,
            rows.get(&PROMOTIONS, &id)?
                .ok_or(RetailQueryError::UnknownPromotion(id))?,
        ),
        None => latest_promotion(rows, None)?.ok_or(RetailQueryError::NoPromotion)?,
    };
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(RetailQueryError::InvalidRange { from, to }.into());
        }
    }
    let regions = match region {
        Some(region) => {
            known_region(rows, region)?;
            vec![region.to_owned()]
        }
        None => info.regions.clone(),
    };
    let to = match to {
        Some(to) => to,
        None => rows
            .get(&LATEST_DAY, &())?
            .map_or(info.ends_on, |latest| latest.min(info.ends_on)),
    };
    let from = from.unwrap_or_else(|| {
        let longest = to
            .checked_sub_signed(Duration::days(MAX_QUERY_DAYS - 1))
            .unwrap_or(NaiveDate::MIN);
        info.starts_on.max(longest)
    });
    if (to - from).num_days() >= MAX_QUERY_DAYS {
        return Err(RetailQueryError::RangeTooLong { from, to }.into());
    }
    Ok(PenetrationQuery {
        promotion: PromotionSummary {
            promotion_id,
            sku: info.sku.clone(),
            name: info.name.clone(),
            regions: info.regions.clone(),
            starts_on: info.starts_on,
            ends_on: info.ends_on,
        },
        sku: info.sku,
        regions,
        from,
        to,
        days: day_list(from, to),
    })
}

fn penetration_row(
    rows: &mut impl TableRead,
    store: &StoreCode,
    info: &StoreInfo,
    sku: &SkuCode,
    days: &[NaiveDate],
) -> Result<PenetrationStore, TableError> {
    let (recorded, with_sku) = match (days.first(), days.last()) {
        (Some(first), Some(last)) => (
            store_days(rows, store, *first, *last)?
                .into_iter()
                .collect::<BTreeMap<_, _>>(),
            tracked_days(rows, sku, store, *first, *last)?,
        ),
        _ => (BTreeMap::new(), BTreeMap::new()),
    };
    let mut total = PenetrationTotal::default();
    let mut cells = Vec::with_capacity(days.len());
    for day in days {
        let (tickets, with_product) = match recorded.get(day) {
            Some(figures) => (figures.tickets, with_sku.get(day).copied().unwrap_or(0)),
            None => (0, 0),
        };
        add_total(&mut total, tickets, with_product);
        cells.push(PenetrationCell {
            day: *day,
            tickets,
            with_product,
            share_bp: share_bp(with_product, tickets),
        });
    }
    Ok(PenetrationStore {
        store: store.clone(),
        name: info.name.clone(),
        format: info.format,
        cells,
        total,
    })
}

/// `GET /v1/views/stores/penetration`: the same answer as
/// [`crate::retail::RetailStoresView::penetration`].
pub fn penetration(
    rows: &mut impl TableRead,
    promotion: Option<PromotionId>,
    region: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Penetration, RetailReadError> {
    let query = resolve_penetration(rows, promotion, region, from, to)?;
    let mut regions = Vec::with_capacity(query.regions.len());
    for region in query.regions {
        let mut total = PenetrationTotal::default();
        let mut stores = Vec::new();
        for (store, info) in region_stores(rows, &region)? {
            let row = penetration_row(rows, &store, &info, &query.sku, &query.days)?;
            add_total(&mut total, row.total.tickets, row.total.with_product);
            stores.push(row);
        }
        regions.push(PenetrationRegion {
            region,
            stores,
            total,
        });
    }
    Ok(Penetration {
        promotion: query.promotion,
        from: query.from,
        to: query.to,
        days: query.days,
        regions,
    })
}

/// One store of a penetration page, with its region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenetrationPageRow {
    pub region: String,
    #[serde(flatten)]
    pub store: PenetrationStore,
}

/// A page of penetration rows and the `after` of the next page.
pub type PenetrationPage = (Vec<PenetrationPageRow>, Option<(String, StoreCode)>);

/// A page of a penetration answer's store rows, in (region, store) order:
/// the rows after `after`, at most `limit` (at least 1), and the key to
/// pass as `after` for the next page (`None` on the last one). The same
/// query parameters and refusals as [`penetration`]; the promotion, days
/// and totals are [`penetration`]'s to give.
pub fn penetration_page(
    rows: &mut impl TableRead,
    promotion: Option<PromotionId>,
    region: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    after: Option<&(String, StoreCode)>,
    limit: usize,
) -> Result<PenetrationPage, RetailReadError> {
    let query = resolve_penetration(rows, promotion, region, from, to)?;
    let limit = limit.max(1);
    let mut page = Vec::new();
    for region in &query.regions {
        if after.is_some_and(|(after_region, _)| after_region > region) {
            continue;
        }
        let after_store = after.filter(|(after_region, _)| after_region == region);
        let wanted = limit + 1 - page.len();
        let keys = scan_after(rows, &REGION_STORES, region, after_store, wanted)?;
        for ((region, store), ()) in keys {
            if let Some(info) = rows.get(&STORES, &store)? {
                let row = penetration_row(rows, &store, &info, &query.sku, &query.days)?;
                page.push(PenetrationPageRow { region, store: row });
            }
        }
        if page.len() > limit {
            break;
        }
    }
    Ok(page_of(page, limit, |row| {
        (row.region.clone(), row.store.store.clone())
    }))
}

// -- reads added for the gateway's paging (issue 14 step 4): a helper
// over the same resolution as `penetration`; it changes no answer. --

/// What a page of penetration rows is about: the promotion and the days
/// (resolved, and refused, exactly as [`penetration`] does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenetrationHeader {
    pub promotion: PromotionSummary,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<NaiveDate>,
}

/// The header of [`penetration`]'s answer without its store rows: what
/// [`penetration_page`]'s rows are cells of.
pub fn penetration_header(
    rows: &mut impl TableRead,
    promotion: Option<PromotionId>,
    region: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<PenetrationHeader, RetailReadError> {
    let query = resolve_penetration(rows, promotion, region, from, to)?;
    Ok(PenetrationHeader {
        promotion: query.promotion,
        from: query.from,
        to: query.to,
        days: query.days,
    })
}

/// Cuts `rows` (at most `limit + 1`) to `limit`, with the next cursor
/// when there was more.
fn page_of<T, K>(mut rows: Vec<T>, limit: usize, key: impl Fn(&T) -> K) -> (Vec<T>, Option<K>) {
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(key);
        (rows, next)
    } else {
        (rows, None)
    }
}

// -- reads: leaderboard --

/// A region's stores ranked by sales over the `days` days ending at the
/// region's latest sale day (ties: store code), every store.
fn ranked_region(
    rows: &mut impl TableRead,
    region: &str,
    days: u32,
) -> Result<LeaderboardRegion, TableError> {
    let region_stores = region_stores(rows, region)?;
    let to = latest_of(rows, &region_stores)?;
    let from = to.map(|to| days_ending(to, days));
    let promotion = latest_promotion(rows, Some(region))?;
    let mut stores = Vec::with_capacity(region_stores.len());
    for (store, info) in region_stores {
        let (totals, penetration_bp) = match (from, to) {
            (Some(from), Some(to)) => {
                // One scan of the store's days serves both figures.
                let days = store_days(rows, &store, from, to)?;
                let mut totals = DayTotals::default();
                for (_, day) in &days {
                    totals.tickets = totals.tickets.saturating_add(day.tickets);
                    totals.cents = totals.cents.saturating_add(day.sales_cents);
                }
                let penetration_bp = match &promotion {
                    Some((_, promotion)) => {
                        let (first, last) =
                            (from.max(promotion.starts_on), to.min(promotion.ends_on));
                        let tickets = days
                            .iter()
                            .filter(|(day, _)| first <= *day && *day <= last)
                            .fold(0u64, |sum, (_, row)| sum.saturating_add(row.tickets));
                        let with_product = tracked_days(rows, &promotion.sku, &store, first, last)?
                            .into_values()
                            .fold(0u64, u64::saturating_add);
                        penetration_total(tickets, with_product).share_bp
                    }
                    None => None,
                };
                (totals, penetration_bp)
            }
            _ => (DayTotals::default(), None),
        };
        stores.push(LeaderboardStore {
            rank: 0,
            store,
            name: info.name,
            format: info.format,
            sales_cents: totals.cents,
            tickets: totals.tickets,
            avg_ticket_cents: avg_ticket(totals.cents, totals.tickets),
            penetration_bp,
        });
    }
    stores.sort_by(|a, b| {
        b.sales_cents
            .cmp(&a.sales_cents)
            .then(a.store.cmp(&b.store))
    });
    for (row, rank) in stores.iter_mut().zip(1u32..) {
        row.rank = rank;
    }
    Ok(LeaderboardRegion {
        region: region.to_owned(),
        from,
        to,
        promotion_id: promotion.map(|(id, _)| id),
        stores,
    })
}

/// `GET /v1/views/stores/leaderboard`: the same answer as
/// [`crate::retail::RetailStoresView::leaderboard`].
pub fn leaderboard(
    rows: &mut impl TableRead,
    region: Option<&str>,
    days: u32,
    limit: usize,
) -> Result<StoreLeaderboard, RetailReadError> {
    let regions = match region {
        Some(region) => {
            known_region(rows, region)?;
            vec![region.to_owned()]
        }
        None => regions(rows)?,
    };
    let mut boards = Vec::with_capacity(regions.len());
    for region in regions {
        let mut board = ranked_region(rows, &region, days)?;
        board.stores.truncate(limit);
        boards.push(board);
    }
    Ok(StoreLeaderboard {
        days,
        regions: boards,
    })
}

/// A page of one region's leaderboard, in rank order: the stores ranked
/// after `after` (a rank), at most `limit` (at least 1), and the rank to
/// pass as `after` for the next page (`None` on the last one).
pub fn leaderboard_page(
    rows: &mut impl TableRead,
    region: &str,
    days: u32,
    after: Option<u32>,
    limit: usize,
) -> Result<(Vec<LeaderboardStore>, Option<u32>), RetailReadError> {
    known_region(rows, region)?;
    let limit = limit.max(1);
    let board = ranked_region(rows, region, days)?;
    let page: Vec<LeaderboardStore> = board
        .stores
        .into_iter()
        .filter(|row| after.map_or(true, |after| row.rank > after))
        .take(limit + 1)
        .collect();
    Ok(page_of(page, limit, |row| row.rank))
}

// -- reads: battle map --

/// A store's figures over its policy window (and the window).
fn store_window(
    rows: &mut impl TableRead,
    policy: &RetailPolicy,
    store: &StoreCode,
) -> Result<WindowFigures, TableError> {
    Ok(match store_latest_day(rows, store)? {
        Some(latest) => {
            let (from, to) = policy.window(latest);
            let totals = store_totals(rows, store, from, to)?;
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
    })
}

/// `GET /v1/views/stores/{store}`: the same answer as
/// [`crate::retail::RetailStoresView::battle_map`] (`members` left empty:
/// they are `retail_members`' to give, [`high_potential`]).
pub fn battle_map(rows: &mut impl TableRead, store: &str) -> Result<BattleMap, RetailReadError> {
    let unknown = || RetailQueryError::UnknownStore(store.to_owned());
    let code = StoreCode::parse(store).map_err(|_| unknown())?;
    let info = rows.get(&STORES, &code)?.ok_or_else(unknown)?;
    let policy = read_policy(rows, &POLICY)?;
    let latest = store_latest_day(rows, &code)?;
    let board = ranked_region(rows, &info.region, BATTLE_MAP_DAYS)?;
    let rank_in_region = board
        .stores
        .iter()
        .find(|row| row.store == code)
        .map_or(0, |row| row.rank);
    let stores_in_region = u32::try_from(board.stores.len()).unwrap_or(u32::MAX);
    let window = store_window(rows, &policy, &code)?;
    let region = region_stores(rows, &info.region)?;

    let mut region_avg_ticket_cents = None;
    let mut categories: Vec<u64> = Vec::new();
    let mut slots = [0u64; 5];
    if let (Some(from), Some(to)) = (window.from, window.to) {
        let mut region_totals = DayTotals::default();
        for (other, _) in &region {
            let totals = store_totals(rows, other, from, to)?;
            region_totals.tickets = region_totals.tickets.saturating_add(totals.tickets);
            region_totals.cents = region_totals.cents.saturating_add(totals.cents);
        }
        region_avg_ticket_cents = avg_ticket(region_totals.cents, region_totals.tickets);
        for (_, day) in store_days(rows, &code, from, to)? {
            for (category, cents) in (0u32..).zip(&day.categories) {
                add_at(&mut categories, category, *cents);
            }
            for (sum, count) in slots.iter_mut().zip(day.slots) {
                *sum = sum.saturating_add(count);
            }
        }
    }
    let names = STORE_CATEGORIES.read(rows)?;
    let categories: Vec<CategoryShare> = ranked_categories(&names, &categories)
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
            let first = days_ending(latest, BATTLE_MAP_DAYS);
            let recorded: BTreeMap<NaiveDate, StoreDayRow> =
                store_days(rows, &code, first, latest)?
                    .into_iter()
                    .collect();
            day_list(first, latest)
                .into_iter()
                .map(|day| {
                    let figures = recorded.get(&day);
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

    let mut promotions: Vec<(PromotionId, PromotionInfo)> = rows
        .range(&PROMOTIONS, None, None)?
        .into_iter()
        .filter(|(_, promotion)| promotion.regions.contains(&info.region))
        .collect();
    promotions.sort_by_key(|(_, promotion)| std::cmp::Reverse(promotion.launched_position));
    let mut shares = Vec::with_capacity(promotions.len());
    for (id, promotion) in promotions {
        let (share, region_share) = match latest {
            Some(latest) => {
                let to = latest.min(promotion.ends_on);
                let share =
                    store_penetration(rows, &code, &promotion.sku, promotion.starts_on, to)?
                        .share_bp;
                let mut total = PenetrationTotal::default();
                for (other, _) in &region {
                    let other =
                        store_penetration(rows, other, &promotion.sku, promotion.starts_on, to)?;
                    add_total(&mut total, other.tickets, other.with_product);
                }
                (share, total.share_bp)
            }
            None => (None, None),
        };
        shares.push(PromotionShare {
            promotion_id: id,
            name: promotion.name,
            sku: promotion.sku,
            starts_on: promotion.starts_on,
            ends_on: promotion.ends_on,
            share_bp: share,
            region_share_bp: region_share,
        });
    }

    Ok(BattleMap {
        store: code,
        name: info.name,
        region: info.region,
        format: info.format,
        opened_on: info.opened_on,
        latest_sale_day: latest,
        rank_in_region,
        stores_in_region,
        threshold_cents: policy.high_potential_avg_ticket_cents,
        window_days: policy.days(),
        high_potential: policy.is_high_potential(window.avg_ticket_cents),
        window,
        region_avg_ticket_cents,
        daily,
        categories,
        slots,
        promotions: shares,
        members: Vec::new(),
    })
}

// ---- retail_members ----

/// The `retail_members` projector on tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct RetailMembersTables;

impl TableProjector for RetailMembersTables {
    const NAME: &'static str = RetailMembers::NAME;
    const VERSION: u32 = 1;

    fn tables() -> &'static [&'static str] {
        &[
            "rm_policy",
            "rm_stores",
            "rm_skus",
            "rm_category_ids",
            "rm_category_names",
            "rm_store_days",
            "rm_store_latest",
            "rm_members",
            "rm_member_days",
            "rm_home_members",
        ]
    }

    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        match event {
            Event::StoreOpened(opened) => open_member_store(tx, opened)?,
            Event::SkuRegistered(registered) => {
                MEMBER_CATEGORIES.register(
                    tx,
                    record,
                    &registered.sku,
                    registered.category.as_str(),
                )?;
            }
            Event::MemberEnrolled(enrolled) => {
                let mut member = tx.get(&MEMBERS, &enrolled.member)?.unwrap_or_default();
                if member.home_store.is_none() {
                    member.home_store = Some(enrolled.home_store.clone());
                    member.display_name = Some(enrolled.display_name.as_str().to_owned());
                    tx.put(
                        &HOME_MEMBERS,
                        &(enrolled.home_store.clone(), enrolled.member.clone()),
                        &(),
                    )?;
                    tx.put(&MEMBERS, &enrolled.member, &member)?;
                }
            }
            Event::RetailPolicyPublished(published) => {
                publish_policy(tx, &MEMBER_POLICY, published)?;
            }
            Event::PosTicketsRecorded(recorded) => record_member_tickets(tx, record, recorded)?,
            _ => {}
        }
        Ok(())
    }
}

/// A store as the member view shows it (the first opening wins).
fn open_member_store(tx: &mut Tx<'_>, opened: &StoreOpened) -> Result<(), TableError> {
    if tx.get(&MEMBER_STORES, &opened.store)?.is_some() {
        return Ok(());
    }
    let info = MemberStoreInfo {
        name: opened.name.as_str().to_owned(),
        region: opened.region.as_str().to_owned(),
    };
    tx.put(&MEMBER_STORES, &opened.store, &info)
}

/// Folds one store's tickets into the store-day rows, then ticket by
/// ticket into the members' rows (the model's order: a member's home
/// store window already includes this event's days).
fn record_member_tickets(
    tx: &mut Tx<'_>,
    record: &RecordedEvent,
    recorded: &PosTicketsRecorded,
) -> Result<(), ProjectionError> {
    let store = &recorded.store;
    let mut days: BTreeMap<NaiveDate, DayTotals> = BTreeMap::new();
    for ticket in &recorded.tickets {
        let day = ticket.local_day();
        let totals = days.entry(day).or_default();
        totals.tickets = totals.tickets.saturating_add(1);
        totals.cents = totals.cents.saturating_add(ticket.total_cents());
    }
    if let Some(latest) = days.keys().next_back().copied() {
        advance(tx, &MEMBER_STORE_LATEST, store, latest)?;
    }
    for (day, added) in days {
        let key = (store.clone(), day);
        let mut totals = tx.get(&MEMBER_STORE_DAYS, &key)?.unwrap_or_default();
        totals.tickets = totals.tickets.saturating_add(added.tickets);
        totals.cents = totals.cents.saturating_add(added.cents);
        tx.put(&MEMBER_STORE_DAYS, &key, &totals)?;
    }

    let window_days = read_policy(tx, &MEMBER_POLICY)?.days();
    let mut members: BTreeMap<&MemberRef, MemberRow> = BTreeMap::new();
    let mut categories: BTreeMap<&SkuCode, u32> = BTreeMap::new();
    for ticket in &recorded.tickets {
        let Some(member) = &ticket.member else {
            continue;
        };
        let day = ticket.local_day();
        let mut lines = Vec::with_capacity(ticket.lines.len());
        for line in &ticket.lines {
            let category = match categories.get(&line.sku) {
                Some(category) => *category,
                None => {
                    let category = MEMBER_CATEGORIES.of(tx, record, &line.sku)?;
                    categories.insert(&line.sku, category);
                    category
                }
            };
            lines.push((category, line.amount_cents));
        }
        if !members.contains_key(member) {
            let row = tx.get(&MEMBERS, member)?.unwrap_or_default();
            members.insert(member, row);
        }
        let row = members
            .get_mut(member)
            .ok_or_else(|| cannot_apply(record, "a member row vanished"))?;
        let home_latest = match &row.home_store {
            Some(home) => tx.get(&MEMBER_STORE_LATEST, home)?,
            None => None,
        };
        // The model's anchor: the home store's latest day, else the
        // member's own latest kept day (or this ticket's, if later).
        let anchor = home_latest.unwrap_or_else(|| row.last_day.map_or(day, |last| last.max(day)));
        let horizon = days_ending(anchor, window_days);
        if row.first_day.is_some_and(|first| first < horizon) {
            let mut kept = Vec::new();
            for ((_, kept_day), _) in tx.prefix(&MEMBER_DAYS, member)? {
                if kept_day < horizon {
                    tx.delete(&MEMBER_DAYS, &(member.clone(), kept_day))?;
                } else {
                    kept.push(kept_day);
                }
            }
            row.first_day = kept.first().copied();
            row.last_day = kept.last().copied();
        }
        if day >= horizon {
            let key = (member.clone(), day);
            let mut totals = tx.get(&MEMBER_DAYS, &key)?.unwrap_or_default();
            totals.tickets = totals.tickets.saturating_add(1);
            totals.cents = totals.cents.saturating_add(ticket.total_cents());
            tx.put(&MEMBER_DAYS, &key, &totals)?;
            row.first_day = Some(row.first_day.map_or(day, |first| first.min(day)));
            row.last_day = Some(row.last_day.map_or(day, |last| last.max(day)));
        }
        if let Some(slot) = row.slots.get_mut(slot_index(ticket.time_slot())) {
            *slot = slot.saturating_add(1);
        }
        for (category, cents) in lines {
            add_at(&mut row.categories, category, cents);
        }
    }
    for (member, row) in members {
        tx.put(&MEMBERS, member, &row)?;
    }
    Ok(())
}

// -- reads: high potential --

/// What a member row needs of its view: the policy and category names.
struct MemberContext {
    policy: RetailPolicy,
    categories: Categories,
}

impl MemberContext {
    fn read(rows: &mut impl TableRead) -> Result<Self, TableError> {
        Ok(MemberContext {
            policy: read_policy(rows, &MEMBER_POLICY)?,
            categories: MEMBER_CATEGORIES.read(rows)?,
        })
    }
}

/// A high-potential store's window figures; `None` when it is not one.
fn high_potential_store(
    rows: &mut impl TableRead,
    policy: &RetailPolicy,
    store: &StoreCode,
    info: &MemberStoreInfo,
) -> Result<Option<HighPotentialStore>, TableError> {
    let Some(latest) = rows.get(&MEMBER_STORE_LATEST, store)? else {
        return Ok(None);
    };
    let (from, to) = policy.window(latest);
    let mut totals = DayTotals::default();
    if from <= to {
        for (_, day) in scan(
            rows,
            &MEMBER_STORE_DAYS,
            &(store.clone(), from),
            &(store.clone(), to),
            usize::MAX,
        )? {
            totals.tickets = totals.tickets.saturating_add(day.tickets);
            totals.cents = totals.cents.saturating_add(day.cents);
        }
    }
    let avg = avg_ticket(totals.cents, totals.tickets);
    if !policy.is_high_potential(avg) {
        return Ok(None);
    }
    Ok(Some(HighPotentialStore {
        store: store.clone(),
        name: info.name.clone(),
        region: info.region.clone(),
        from,
        to,
        tickets: totals.tickets,
        sales_cents: totals.cents,
        avg_ticket_cents: avg.unwrap_or(0),
        members: Vec::new(),
    }))
}

/// A member's line of a high-potential store (`None` without tickets in
/// the store's window).
fn member_row(
    rows: &mut impl TableRead,
    context: &MemberContext,
    member: &MemberRef,
    store: &HighPotentialStore,
) -> Result<Option<HighPotentialMember>, TableError> {
    let Some(stats) = rows.get(&MEMBERS, member)? else {
        return Ok(None);
    };
    let mut totals = DayTotals::default();
    if store.from <= store.to {
        for (_, day) in scan(
            rows,
            &MEMBER_DAYS,
            &(member.clone(), store.from),
            &(member.clone(), store.to),
            usize::MAX,
        )? {
            totals.tickets = totals.tickets.saturating_add(day.tickets);
            totals.cents = totals.cents.saturating_add(day.cents);
        }
    }
    if totals.tickets == 0 {
        return Ok(None);
    }
    let preferred_slot = preferred_slot(&stats.slots);
    let usual_categories = usual_categories(&context.categories, &stats.categories);
    let display_name = stats
        .display_name
        .unwrap_or_else(|| member.as_str().to_owned());
    let category_names: Vec<&str> = usual_categories.iter().map(String::as_str).collect();
    let script = fill_script(
        &context.policy.script_template,
        &display_name,
        &store.name,
        preferred_slot,
        &category_names,
    );
    Ok(Some(HighPotentialMember {
        member: member.clone(),
        display_name,
        tickets: totals.tickets,
        tickets_per_month_x10: totals.tickets.saturating_mul(300)
            / u64::from(context.policy.days()),
        spend_cents: totals.cents,
        preferred_slot,
        usual_categories,
        script,
    }))
}

/// Ranks members: tickets, then spend (both descending), then member ref.
fn rank_members(members: &mut [HighPotentialMember]) {
    members.sort_by(|a, b| {
        b.tickets
            .cmp(&a.tickets)
            .then(b.spend_cents.cmp(&a.spend_cents))
            .then(a.member.cmp(&b.member))
    });
}

/// A known store's code, from the query's text.
fn member_store(
    rows: &mut impl TableRead,
    store: &str,
) -> Result<(StoreCode, MemberStoreInfo), RetailReadError> {
    let unknown = || RetailQueryError::UnknownStore(store.to_owned());
    let code = StoreCode::parse(store).map_err(|_| unknown())?;
    let info = rows.get(&MEMBER_STORES, &code)?.ok_or_else(unknown)?;
    Ok((code, info))
}

/// `GET /v1/views/stores/high-potential` (and a battle map's `members`):
/// the same answer as
/// [`crate::retail::RetailMembersView::high_potential`].
pub fn high_potential(
    rows: &mut impl TableRead,
    region: Option<&str>,
    store: Option<&str>,
    limit: usize,
) -> Result<HighPotential, RetailReadError> {
    let all = rows.range(&MEMBER_STORES, None, None)?;
    if let Some(region) = region {
        if !all.iter().any(|(_, info)| info.region == region) {
            return Err(RetailQueryError::UnknownRegion(region.to_owned()).into());
        }
    }
    let only_store = match store {
        Some(store) => Some(member_store(rows, store)?.0),
        None => None,
    };
    let context = MemberContext::read(rows)?;
    let mut stores = Vec::new();
    for (code, info) in all {
        if region.is_some_and(|wanted| info.region != wanted)
            || only_store.as_ref().is_some_and(|only| *only != code)
        {
            continue;
        }
        let Some(mut listed) = high_potential_store(rows, &context.policy, &code, &info)? else {
            continue;
        };
        for ((_, member), ()) in rows.prefix(&HOME_MEMBERS, &code)? {
            if let Some(row) = member_row(rows, &context, &member, &listed)? {
                listed.members.push(row);
            }
        }
        rank_members(&mut listed.members);
        listed.members.truncate(limit);
        stores.push(listed);
    }
    stores.sort_by(|a, b| a.region.cmp(&b.region).then(a.store.cmp(&b.store)));
    Ok(HighPotential {
        threshold_cents: context.policy.high_potential_avg_ticket_cents,
        window_days: context.policy.days(),
        policy_version: context.policy.version,
        stores,
    })
}

/// A page of a store's high-potential members in member-ref order (not
/// ranked): the members enrolled with `store` who bought in its window,
/// after `after`, at most `limit` (at least 1), and the member to pass as
/// `after` for the next page (`None` on the last one). Empty when the
/// store is not high potential; an unknown store is refused.
pub fn high_potential_members_page(
    rows: &mut impl TableRead,
    store: &str,
    after: Option<&MemberRef>,
    limit: usize,
) -> Result<(Vec<HighPotentialMember>, Option<MemberRef>), RetailReadError> {
    let (code, info) = member_store(rows, store)?;
    let limit = limit.max(1);
    let context = MemberContext::read(rows)?;
    let Some(listed) = high_potential_store(rows, &context.policy, &code, &info)? else {
        return Ok((Vec::new(), None));
    };
    let mut page = Vec::new();
    let mut cursor = after.map(|member| (code.clone(), member.clone()));
    loop {
        let wanted = limit + 1 - page.len();
        let keys = scan_after(rows, &HOME_MEMBERS, &code, cursor.as_ref(), wanted)?;
        let exhausted = keys.len() < wanted;
        for ((home, member), ()) in keys {
            if let Some(row) = member_row(rows, &context, &member, &listed)? {
                page.push(row);
            }
            cursor = Some((home, member));
        }
        if exhausted || page.len() > limit {
            break;
        }
    }
    Ok(page_of(page, limit, |row| row.member.clone()))
}
