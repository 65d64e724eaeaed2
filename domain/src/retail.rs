//! Chain stores (SPEC C13): stores, SKUs and their categories, loyalty
//! members, headquarters' promotions, and POS sales arriving in bulk.
//!
//! Streams: `store-<code>`, `sku-<code>`, `member-<ref>`,
//! `promotion-<uuid>`, one `pos-<batch id>` stream per POS batch (a batch
//! id is accepted once, so the stream is its idempotency), and
//! `config-retail` for the retail policy (high-potential threshold and
//! script template).
//!
//! A POS batch is recorded as one or more [`PosTicketsRecorded`] events on
//! its batch stream, one per store and chunk of tickets, appended together
//! (all or nothing). A ticket is whole inside one batch: its lines share
//! the store, the member and the sale time. Business time is the sale's
//! own local time (`sold_at` keeps the store's UTC offset), so a ticket's
//! day and time slot never depend on the server's time zone.

use chrono::{DateTime, FixedOffset, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::value::{
    ActorId, MemberRef, PosBatchId, PosTicketRef, PromotionId, Region, SkuCode, StoreCode, Text,
};

/// How a store is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreFormat {
    Direct,
    Franchised,
}

/// The part of the (store-local) day a sale falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSlot {
    /// 06:00 to 10:59
    Morning,
    /// 11:00 to 13:59
    Midday,
    /// 14:00 to 16:59
    Afternoon,
    /// 17:00 to 20:59
    Evening,
    /// 21:00 to 05:59
    Night,
}

impl TimeSlot {
    pub const ALL: [TimeSlot; 5] = [
        TimeSlot::Morning,
        TimeSlot::Midday,
        TimeSlot::Afternoon,
        TimeSlot::Evening,
        TimeSlot::Night,
    ];

    /// The slot of a local wall-clock hour (0 to 23).
    pub fn of_hour(hour: u32) -> TimeSlot {
        match hour {
            6..=10 => TimeSlot::Morning,
            11..=13 => TimeSlot::Midday,
            14..=16 => TimeSlot::Afternoon,
            17..=20 => TimeSlot::Evening,
            _ => TimeSlot::Night,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TimeSlot::Morning => "morning",
            TimeSlot::Midday => "midday",
            TimeSlot::Afternoon => "afternoon",
            TimeSlot::Evening => "evening",
            TimeSlot::Night => "night",
        }
    }
}

// ---- events ----

/// A store opened (or was taken into the system) in a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreOpened {
    pub store: StoreCode,
    pub name: Text,
    pub region: Region,
    pub format: StoreFormat,
    pub opened_on: NaiveDate,
}

/// A SKU entered the catalogue, with its category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkuRegistered {
    pub sku: SkuCode,
    pub name: Text,
    pub category: Text,
    /// A new product (the subject of promotions and penetration).
    pub new_product: bool,
}

/// A loyalty member enrolled at a home store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberEnrolled {
    pub member: MemberRef,
    pub home_store: StoreCode,
    pub display_name: Text,
    pub enrolled_on: NaiveDate,
}

/// Headquarters launched a promotion of a (new) product in some regions,
/// from `starts_on` to `ends_on` inclusive (store-local dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromotionLaunched {
    pub promotion_id: PromotionId,
    pub sku: SkuCode,
    pub name: Text,
    /// Sorted, without duplicates, at least one.
    pub regions: Vec<Region>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub launched_by: ActorId,
    pub launched_at: DateTime<Utc>,
}

/// One line of a POS ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PosLine {
    pub sku: SkuCode,
    /// At least 1.
    pub qty: u32,
    /// The line's amount in cents (fen), after discounts; at least 0.
    pub amount_cents: u64,
}

/// One ticket (receipt) of a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PosTicket {
    pub ticket: PosTicketRef,
    /// The sale's local time with the store's UTC offset.
    pub sold_at: DateTime<FixedOffset>,
    pub member: Option<MemberRef>,
    /// At least one line.
    pub lines: Vec<PosLine>,
}

impl PosTicket {
    /// The ticket's total in cents.
    pub fn total_cents(&self) -> u64 {
        self.lines.iter().map(|line| line.amount_cents).sum()
    }

    /// The store-local date of the sale.
    pub fn local_day(&self) -> NaiveDate {
        self.sold_at.date_naive()
    }

    /// The store-local time slot of the sale.
    pub fn time_slot(&self) -> TimeSlot {
        TimeSlot::of_hour(self.sold_at.hour())
    }

    /// Whether any line is of `sku`.
    pub fn contains(&self, sku: &SkuCode) -> bool {
        self.lines.iter().any(|line| &line.sku == sku)
    }
}

/// Tickets of one store from one POS batch (a batch of many stores, or of
/// many tickets, is several of these events, appended together).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PosTicketsRecorded {
    pub batch_id: PosBatchId,
    pub store: StoreCode,
    /// At least one; in the order the batch gave their first lines.
    pub tickets: Vec<PosTicket>,
}

/// The retail policy: which stores are "high potential" and the script a
/// store suggests to their best members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetailPolicyPublished {
    /// Strictly increasing per publication, from 1.
    pub version: u32,
    /// A store is high potential when its average ticket over the window
    /// exceeds this (default 8,500 cents: SPEC C13's 85).
    pub high_potential_avg_ticket_cents: u64,
    /// The window, in days, ending at the store's latest sale day (default 90: "3 months").
    pub window_days: u32,
    /// The suggested script, with placeholders `{member}`, `{store}`,
    /// `{slot}` and `{categories}`.
    pub script_template: Text,
    pub published_by: ActorId,
    pub published_at: DateTime<Utc>,
}

/// The policy in force before any publication.
pub const DEFAULT_HIGH_POTENTIAL_AVG_TICKET_CENTS: u64 = 8_500;
pub const DEFAULT_WINDOW_DAYS: u32 = 90;
pub const DEFAULT_SCRIPT_TEMPLATE: &str = "Hello {member}, thank you for shopping at {store}. \
As you usually come in the {slot} for {categories}, we have set aside this week's new \
arrivals in those aisles for you; may we show you when you next visit?";

/// Fills a script template (unknown placeholders are left as they are).
pub fn fill_script(
    template: &str,
    member: &str,
    store: &str,
    slot: TimeSlot,
    categories: &[&str],
) -> String {
    template
        .replace("{member}", member)
        .replace("{store}", store)
        .replace("{slot}", slot.as_str())
        .replace("{categories}", &categories.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_cover_the_day_at_the_documented_hours() {
        let slots: Vec<TimeSlot> = (0..24).map(TimeSlot::of_hour).collect();
        assert_eq!(slots[5], TimeSlot::Night);
        assert_eq!(slots[6], TimeSlot::Morning);
        assert_eq!(slots[10], TimeSlot::Morning);
        assert_eq!(slots[11], TimeSlot::Midday);
        assert_eq!(slots[14], TimeSlot::Afternoon);
        assert_eq!(slots[17], TimeSlot::Evening);
        assert_eq!(slots[20], TimeSlot::Evening);
        assert_eq!(slots[21], TimeSlot::Night);
    }

    #[test]
    fn a_ticket_keeps_its_local_day_and_slot_whatever_the_offset() {
        let ticket = PosTicket {
            ticket: PosTicketRef::parse("T1").unwrap(),
            sold_at: DateTime::parse_from_rfc3339("2026-03-01T23:30:00+08:00").unwrap(),
            member: None,
            lines: vec![PosLine {
                sku: SkuCode::parse("A").unwrap(),
                qty: 2,
                amount_cents: 1_250,
            }],
        };
        assert_eq!(ticket.local_day(), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(ticket.time_slot(), TimeSlot::Night);
        assert_eq!(ticket.total_cents(), 1_250);
    }

    #[test]
    fn the_script_template_is_filled() {
        let script = fill_script(
            "{member} at {store}: {slot}, {categories} {unknown}",
            "Li Lei",
            "S1",
            TimeSlot::Evening,
            &["dairy", "bakery"],
        );
        assert_eq!(script, "Li Lei at S1: evening, dairy, bakery {unknown}");
    }
}
