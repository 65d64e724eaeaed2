//! Chain-store views (issue 7) on a hand-computed case: 2 regions, 3
//! stores, 5 SKUs (one new product promoted in `east`), 4 members, 20
//! tickets from 2026-05-31 to 2026-06-04 (all times +08:00).
//!
//! | # | store | ticket | sold at | member | lines (sku cents) | total |
//! |---|---|---|---|---|---|---|
//! | 20 | S1 | S1-00 | 05-31 10:30 morning | M2 | NEW 4000, MILK 5000 | 9000 |
//! | 1 | S1 | S1-01 | 06-01 09:30 morning | M1 | MILK 3000, BREAD 6000 | 9000 |
//! | 2 | S1 | S1-02 | 06-01 12:15 midday | - | BREAD 11000 | 11000 |
//! | 3 | S1 | S1-03 | 06-02 09:05 morning | M1 | NEW 4000, MILK 6000 | 10000 |
//! | 4 | S1 | S1-04 | 06-02 18:30 evening | M2 | NEW 2000, NEW 2000, BREAD 8000 | 12000 |
//! | 5 | S1 | S1-05 | 06-02 19:00 evening | - | MILK 8000 | 8000 |
//! | 6 | S1 | S1-06 | 06-03 10:00 morning | M1 | BREAD 8000, TEA 2000 | 10000 |
//! | 7 | S1 | S1-07 | 06-03 21:30 night | M2 | NEW 5000, MILK 5000 | 10000 |
//! | 8 | S1 | S1-08 | 06-04 08:00 morning | M1 | NEW 3000, BREAD 5000, SOAP 2000 | 10000 |
//! | 9 | S2 | S2-01 | 06-01 11:00 midday | - | MILK 8500 | 8500 |
//! | 10 | S2 | S2-02 | 06-02 15:00 afternoon | - | NEW 4500, BREAD 4000 | 8500 |
//! | 11 | S2 | S2-03 | 06-03 17:00 evening | M4 | BREAD 9000 | 9000 |
//! | 12 | S2 | S2-04 | 06-03 20:59 evening | - | MILK 8000 | 8000 |
//! | 13 | S3 | S3-01 | 06-01 07:00 morning | M3 | MILK 5000 | 5000 |
//! | 14 | S3 | S3-02 | 06-02 13:00 midday | M3 | NEW 3000, BREAD 3000 | 6000 |
//! | 15 | S3 | S3-03 | 06-02 14:30 afternoon | - | BREAD 7000 | 7000 |
//! | 16 | S3 | S3-04 | 06-03 16:00 afternoon | M3 | MILK 4000 | 4000 |
//! | 17 | S3 | S3-05 | 06-04 22:00 night | - | NEW 6000 | 6000 |
//! | 18 | S3 | S3-06 | 06-04 06:00 morning | - | MILK 8000 | 8000 |
//! | 19 | S3 | S3-07 | 06-04 12:30 midday | M1 | MILK 12000 | 12000 |
//!
//! Categories: MILK and NEW are `dairy`, BREAD `bakery`, TEA `drinks`,
//! SOAP `household`. S1 (Bund) and S2 (Pudong) are in `east`, S3
//! (Chengdu) in `west`. M1 (Li Lei) and M2 (Han Meimei) belong to S1, M3
//! (Wang Fang) to S3, M4 (Zhao Min) to S2. Promotion P1 of NEW in `east`,
//! 2026-06-01 to 2026-06-30.
//!
//! Store totals: S1 9 tickets 89,000 (average 9,888); S2 4 tickets
//! 34,000 (average exactly 8,500: NOT above the default threshold); S3 7
//! tickets 48,000 (average 6,857). Every figure asserted below is derived
//! by hand from this table, next to the assertion.

use crate::retail_compare;

use chrono::{DateTime, NaiveDate, Utc};
use salesledger_domain::retail::{fill_script, TimeSlot, DEFAULT_SCRIPT_TEMPLATE};
use salesledger_domain::value::{MemberRef, PromotionId};
use salesledger_projections::retail::{
    PenetrationTotal, RetailMembersView, RetailQueryError, RetailStoresView,
};
use salesledger_projections::tables::retail as tables;
use salesledger_projections::tables::Reader;
use salesledger_projections::{apply_record, fold_all, RetailMembers, RetailStores};
use salesledger_store::{CanonicalJson, Hash32, RecordedEvent};
use serde_json::{json, Value};
use uuid::Uuid;

const P1: &str = "00000000-0000-0000-0000-0000000000f1";

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

fn p1() -> PromotionId {
    PromotionId::from_uuid(Uuid::parse_str(P1).expect("uuid"))
}

/// `(ticket, sold_at, member, [(sku, cents)])`.
type Ticket<'a> = (&'a str, &'a str, Option<&'a str>, &'a [(&'a str, u64)]);

/// `(rank, store, sales, tickets, average, penetration)`.
type Row<'a> = (u32, &'a str, u64, u64, Option<u64>, Option<u64>);

#[derive(Default)]
struct Log {
    records: Vec<RecordedEvent>,
}

impl Log {
    fn push(&mut self, stream_id: &str, event_type: &str, payload: Value) {
        let position = self.records.len() as u64;
        self.records.push(RecordedEvent {
            position,
            event_id: Uuid::from_u128(0x0190_0000_0000_0000_0000_0000_0000_0000 + position as u128),
            stream_id: stream_id.to_owned(),
            stream_version: 0,
            event_type: event_type.to_owned(),
            schema_version: 1,
            recorded_at: at("2026-06-05T00:00:00Z"),
            actor: "integrator:test".to_owned(),
            command_id: Uuid::nil(),
            correlation_id: Uuid::nil(),
            causation_id: Uuid::nil(),
            payload: CanonicalJson::from_value(&payload),
            prev_hash: Hash32::ZERO,
            hash: Hash32::ZERO,
        });
    }

    fn store(&mut self, code: &str, name: &str, region: &str, format: &str) {
        self.push(
            &format!("store-{code}"),
            "StoreOpened",
            json!({"store": code, "name": name, "region": region, "format": format,
                   "opened_on": "2026-01-01"}),
        );
    }

    fn sku(&mut self, code: &str, name: &str, category: &str, new_product: bool) {
        self.push(
            &format!("sku-{code}"),
            "SkuRegistered",
            json!({"sku": code, "name": name, "category": category, "new_product": new_product}),
        );
    }

    fn member(&mut self, member: &str, home: &str, name: &str) {
        self.push(
            &format!("member-{member}"),
            "MemberEnrolled",
            json!({"member": member, "home_store": home, "display_name": name,
                   "enrolled_on": "2026-02-01"}),
        );
    }

    /// One batch of tickets of one store: `(ticket, sold_at, member, [(sku, cents)])`.
    fn tickets(&mut self, batch: &str, store: &str, tickets: &[Ticket<'_>]) {
        let tickets: Vec<Value> = tickets
            .iter()
            .map(|(ticket, sold_at, member, lines)| {
                json!({"ticket": ticket, "sold_at": sold_at, "member": member,
                       "lines": lines.iter().map(|(sku, cents)| json!({"sku": sku, "qty": 1, "amount_cents": cents})).collect::<Vec<_>>()})
            })
            .collect();
        self.push(
            &format!("pos-{batch}"),
            "PosTicketsRecorded",
            json!({"batch_id": batch, "store": store, "tickets": tickets}),
        );
    }

    fn policy(&mut self, version: u32, threshold: u64, window_days: u32, template: &str) {
        self.push(
            "config-retail",
            "RetailPolicyPublished",
            json!({"version": version, "high_potential_avg_ticket_cents": threshold,
                   "window_days": window_days, "script_template": template,
                   "published_by": "marketing-1", "published_at": "2026-06-05T01:00:00Z"}),
        );
    }
}

/// The case of the module docs.
fn case() -> Log {
    let mut log = Log::default();
    log.store("S1", "Bund", "east", "direct");
    log.store("S2", "Pudong", "east", "franchised");
    log.store("S3", "Chengdu", "west", "direct");
    log.sku("MILK", "Milk", "dairy", false);
    log.sku("BREAD", "Bread", "bakery", false);
    log.sku("NEW", "Oat yoghurt", "dairy", true);
    log.sku("TEA", "Green tea", "drinks", false);
    log.sku("SOAP", "Soap", "household", false);
    log.member("M1", "S1", "Li Lei");
    log.member("M2", "S1", "Han Meimei");
    log.member("M3", "S3", "Wang Fang");
    log.member("M4", "S2", "Zhao Min");
    log.push(
        &format!("promotion-{P1}"),
        "PromotionLaunched",
        json!({"promotion_id": P1, "sku": "NEW", "name": "Oat summer", "regions": ["east"],
               "starts_on": "2026-06-01", "ends_on": "2026-06-30",
               "launched_by": "marketing-1", "launched_at": "2026-05-20T02:00:00Z"}),
    );
    // Two batches, one with two stores' events (as the route splits them).
    log.tickets(
        "B1",
        "S1",
        &[
            (
                "S1-00",
                "2026-05-31T10:30:00+08:00",
                Some("M2"),
                &[("NEW", 4000), ("MILK", 5000)],
            ),
            (
                "S1-01",
                "2026-06-01T09:30:00+08:00",
                Some("M1"),
                &[("MILK", 3000), ("BREAD", 6000)],
            ),
            (
                "S1-02",
                "2026-06-01T12:15:00+08:00",
                None,
                &[("BREAD", 11000)],
            ),
            (
                "S1-03",
                "2026-06-02T09:05:00+08:00",
                Some("M1"),
                &[("NEW", 4000), ("MILK", 6000)],
            ),
            (
                "S1-04",
                "2026-06-02T18:30:00+08:00",
                Some("M2"),
                &[("NEW", 2000), ("NEW", 2000), ("BREAD", 8000)],
            ),
        ],
    );
    log.tickets(
        "B1",
        "S2",
        &[
            (
                "S2-01",
                "2026-06-01T11:00:00+08:00",
                None,
                &[("MILK", 8500)],
            ),
            (
                "S2-02",
                "2026-06-02T15:00:00+08:00",
                None,
                &[("NEW", 4500), ("BREAD", 4000)],
            ),
            (
                "S2-03",
                "2026-06-03T17:00:00+08:00",
                Some("M4"),
                &[("BREAD", 9000)],
            ),
            (
                "S2-04",
                "2026-06-03T20:59:00+08:00",
                None,
                &[("MILK", 8000)],
            ),
        ],
    );
    log.tickets(
        "B2",
        "S3",
        &[
            (
                "S3-01",
                "2026-06-01T07:00:00+08:00",
                Some("M3"),
                &[("MILK", 5000)],
            ),
            (
                "S3-02",
                "2026-06-02T13:00:00+08:00",
                Some("M3"),
                &[("NEW", 3000), ("BREAD", 3000)],
            ),
            (
                "S3-03",
                "2026-06-02T14:30:00+08:00",
                None,
                &[("BREAD", 7000)],
            ),
            (
                "S3-04",
                "2026-06-03T16:00:00+08:00",
                Some("M3"),
                &[("MILK", 4000)],
            ),
            ("S3-05", "2026-06-04T22:00:00+08:00", None, &[("NEW", 6000)]),
            (
                "S3-06",
                "2026-06-04T06:00:00+08:00",
                None,
                &[("MILK", 8000)],
            ),
            (
                "S3-07",
                "2026-06-04T12:30:00+08:00",
                Some("M1"),
                &[("MILK", 12000)],
            ),
        ],
    );
    log.tickets(
        "B3",
        "S1",
        &[
            (
                "S1-05",
                "2026-06-02T19:00:00+08:00",
                None,
                &[("MILK", 8000)],
            ),
            (
                "S1-06",
                "2026-06-03T10:00:00+08:00",
                Some("M1"),
                &[("BREAD", 8000), ("TEA", 2000)],
            ),
            (
                "S1-07",
                "2026-06-03T21:30:00+08:00",
                Some("M2"),
                &[("NEW", 5000), ("MILK", 5000)],
            ),
            (
                "S1-08",
                "2026-06-04T08:00:00+08:00",
                Some("M1"),
                &[("NEW", 3000), ("BREAD", 5000), ("SOAP", 2000)],
            ),
        ],
    );
    log
}

fn stores(log: &Log) -> RetailStoresView {
    fold_all::<RetailStores>(&log.records).expect("folds")
}

fn members(log: &Log) -> RetailMembersView {
    fold_all::<RetailMembers>(&log.records).expect("folds")
}

/// `(tickets, with_product, share_bp)` of every cell of a store row.
fn cells(row: &salesledger_projections::retail::PenetrationStore) -> Vec<(u64, u64, Option<u64>)> {
    row.cells
        .iter()
        .map(|cell| (cell.tickets, cell.with_product, cell.share_bp))
        .collect()
}

fn total(tickets: u64, with_product: u64, share_bp: Option<u64>) -> PenetrationTotal {
    PenetrationTotal {
        tickets,
        with_product,
        share_bp,
    }
}

#[test]
fn penetration_defaults_to_the_latest_promotion_its_regions_and_its_days_so_far() {
    let view = stores(&case());
    let answer = view.penetration(None, None, None, None).expect("an answer");
    assert_eq!(answer.promotion.promotion_id, p1());
    assert_eq!(answer.promotion.sku.as_str(), "NEW");
    // From the start (06-01) to min(end 06-30, latest sale day 06-04);
    // 05-31's ticket is before the promotion.
    assert_eq!(
        answer.days,
        vec![
            date("2026-06-01"),
            date("2026-06-02"),
            date("2026-06-03"),
            date("2026-06-04")
        ]
    );
    assert_eq!(answer.regions.len(), 1, "only the target region");
    let east = &answer.regions[0];
    assert_eq!(east.region, "east");
    let codes: Vec<&str> = east.stores.iter().map(|row| row.store.as_str()).collect();
    assert_eq!(codes, ["S1", "S2"]);
    // S1: 06-01 S1-01, S1-02 (no NEW); 06-02 S1-03, S1-04 (NEW twice: one
    // ticket), S1-05 -> 2 of 3 = 6666; 06-03 S1-06, S1-07 -> 1 of 2;
    // 06-04 S1-08 -> 1 of 1.
    assert_eq!(
        cells(&east.stores[0]),
        [
            (2, 0, Some(0)),
            (3, 2, Some(6666)),
            (2, 1, Some(5000)),
            (1, 1, Some(10000))
        ]
    );
    assert_eq!(east.stores[0].total, total(8, 4, Some(5000)));
    assert_eq!(east.stores[0].name, "Bund");
    // S2: 06-02 S2-02 has NEW; no ticket on 06-04: share null.
    assert_eq!(
        cells(&east.stores[1]),
        [
            (1, 0, Some(0)),
            (1, 1, Some(10000)),
            (2, 0, Some(0)),
            (0, 0, None)
        ]
    );
    assert_eq!(east.stores[1].total, total(4, 1, Some(2500)));
    // The region: 5 of 12 = 4166.
    assert_eq!(east.total, total(12, 5, Some(4166)));
}

#[test]
fn penetration_of_another_region_or_explicit_days() {
    let view = stores(&case());
    // West is not a target region but may be compared: S3 06-02 S3-02 has
    // NEW (1 of 2), 06-04 S3-05 (1 of 3: S3-05, S3-06, S3-07).
    let west = view
        .penetration(Some(p1()), Some("west"), None, None)
        .expect("an answer");
    assert_eq!(west.regions.len(), 1);
    let s3 = &west.regions[0].stores[0];
    assert_eq!(s3.store.as_str(), "S3");
    assert_eq!(
        cells(s3),
        [
            (1, 0, Some(0)),
            (2, 1, Some(5000)),
            (1, 0, Some(0)),
            (3, 1, Some(3333))
        ]
    );
    assert_eq!(s3.total, total(7, 2, Some(2857)));

    // Explicit days, before the start too: S1 on 05-31 is S1-00 (NEW).
    let early = view
        .penetration(
            None,
            Some("east"),
            Some(date("2026-05-31")),
            Some(date("2026-06-01")),
        )
        .expect("an answer");
    assert_eq!(early.days, vec![date("2026-05-31"), date("2026-06-01")]);
    assert_eq!(
        cells(&early.regions[0].stores[0]),
        [(1, 1, Some(10000)), (2, 0, Some(0))]
    );
    assert_eq!(
        cells(&early.regions[0].stores[1]),
        [(0, 0, None), (1, 0, Some(0))]
    );

    // Refusals.
    let unknown = PromotionId::from_uuid(Uuid::from_u128(7));
    assert_eq!(
        view.penetration(Some(unknown), None, None, None),
        Err(RetailQueryError::UnknownPromotion(unknown))
    );
    assert_eq!(
        view.penetration(None, Some("north"), None, None),
        Err(RetailQueryError::UnknownRegion("north".to_owned()))
    );
    assert_eq!(
        view.penetration(
            None,
            None,
            Some(date("2026-06-03")),
            Some(date("2026-06-02"))
        ),
        Err(RetailQueryError::InvalidRange {
            from: date("2026-06-03"),
            to: date("2026-06-02")
        })
    );
    assert!(matches!(
        view.penetration(
            None,
            None,
            Some(date("2024-01-01")),
            Some(date("2026-06-02"))
        ),
        Err(RetailQueryError::RangeTooLong { .. })
    ));
    let mut no_promotion = case();
    no_promotion
        .records
        .retain(|record| record.event_type != "PromotionLaunched");
    assert_eq!(
        stores(&no_promotion).penetration(None, None, None, None),
        Err(RetailQueryError::NoPromotion)
    );
}

#[test]
fn the_leaderboard_ranks_stores_by_sales_per_region() {
    let view = stores(&case());
    let board = view.leaderboard(None, 30, 10).expect("a board");
    assert_eq!(board.regions.len(), 2);
    let east = &board.regions[0];
    assert_eq!(east.region, "east");
    // 30 days ending at the region's latest sale day (06-04).
    assert_eq!(
        (east.from, east.to),
        (Some(date("2026-05-06")), Some(date("2026-06-04")))
    );
    assert_eq!(east.promotion_id, Some(p1()));
    let rows: Vec<Row<'_>> = east
        .stores
        .iter()
        .map(|row| {
            (
                row.rank,
                row.store.as_str(),
                row.sales_cents,
                row.tickets,
                row.avg_ticket_cents,
                row.penetration_bp,
            )
        })
        .collect();
    // Penetration over 06-01..06-04 (the promotion's days within the 30):
    // S1 4 of 8, S2 1 of 4.
    assert_eq!(
        rows,
        [
            (1, "S1", 89_000, 9, Some(9_888), Some(5_000)),
            (2, "S2", 34_000, 4, Some(8_500), Some(2_500)),
        ]
    );
    let west = &board.regions[1];
    assert_eq!(west.region, "west");
    assert_eq!(west.promotion_id, None);
    assert_eq!(west.stores[0].sales_cents, 48_000);
    assert_eq!(west.stores[0].avg_ticket_cents, Some(6_857));
    assert_eq!(west.stores[0].penetration_bp, None, "no promotion in west");

    // Two days (06-03, 06-04): S1 S1-06..S1-08 = 30,000; S2 S2-03, S2-04 =
    // 17,000; penetration 06-03..06-04: S1 2 of 3, S2 0 of 2. Limit 1.
    let short = view.leaderboard(Some("east"), 2, 1).expect("a board");
    assert_eq!(short.regions.len(), 1);
    let rows = &short.regions[0].stores;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].store.as_str(), rows[0].sales_cents, rows[0].tickets),
        ("S1", 30_000, 3)
    );
    assert_eq!(rows[0].penetration_bp, Some(6_666));
    let both = view.leaderboard(Some("east"), 2, 10).expect("a board");
    assert_eq!(both.regions[0].stores[1].sales_cents, 17_000);
    assert_eq!(both.regions[0].stores[1].penetration_bp, Some(0));
    assert_eq!(
        view.leaderboard(Some("north"), 30, 10),
        Err(RetailQueryError::UnknownRegion("north".to_owned()))
    );
}

#[test]
fn the_battle_map_of_a_store() {
    let view = stores(&case());
    let map = view.battle_map("S1").expect("a map");
    assert_eq!((map.name.as_str(), map.region.as_str()), ("Bund", "east"));
    assert_eq!((map.rank_in_region, map.stores_in_region), (1, 2));
    assert_eq!(map.latest_sale_day, Some(date("2026-06-04")));
    // Policy window: 90 days ending 06-04.
    assert_eq!(
        (map.window.from, map.window.to),
        (Some(date("2026-03-07")), Some(date("2026-06-04")))
    );
    assert_eq!(
        (
            map.window.tickets,
            map.window.sales_cents,
            map.window.avg_ticket_cents
        ),
        (9, 89_000, Some(9_888))
    );
    // East over the same days: 123,000 / 13.
    assert_eq!(map.region_avg_ticket_cents, Some(9_461));
    assert!(map.high_potential);
    assert_eq!(map.threshold_cents, 8_500);
    // 30 daily entries ending 06-04, quiet days included.
    assert_eq!(map.daily.len(), 30);
    assert_eq!(map.daily[0].day, date("2026-05-06"));
    let tail: Vec<(NaiveDate, u64, u64, Option<u64>)> = map.daily[24..]
        .iter()
        .map(|day| (day.day, day.tickets, day.sales_cents, day.avg_ticket_cents))
        .collect();
    assert_eq!(
        tail,
        [
            (date("2026-05-30"), 0, 0, None),
            (date("2026-05-31"), 1, 9_000, Some(9_000)),
            (date("2026-06-01"), 2, 20_000, Some(10_000)),
            (date("2026-06-02"), 3, 30_000, Some(10_000)),
            (date("2026-06-03"), 2, 20_000, Some(10_000)),
            (date("2026-06-04"), 1, 10_000, Some(10_000)),
        ]
    );
    // dairy 9000+3000+10000+4000+8000+10000+3000 = 47,000; bakery
    // 6000+11000+8000+8000+5000 = 38,000; drinks and household 2,000 each
    // (tie: name order).
    let categories: Vec<(&str, u64, Option<u64>)> = map
        .categories
        .iter()
        .map(|share| (share.category.as_str(), share.sales_cents, share.share_bp))
        .collect();
    assert_eq!(
        categories,
        [
            ("dairy", 47_000, Some(5_280)),
            ("bakery", 38_000, Some(4_269)),
            ("drinks", 2_000, Some(224)),
            ("household", 2_000, Some(224)),
        ]
    );
    // morning S1-00, -01, -03, -06, -08; midday S1-02; evening S1-04, -05;
    // night S1-07.
    let slots: Vec<(TimeSlot, u64, Option<u64>)> = map
        .slots
        .iter()
        .map(|share| (share.slot, share.tickets, share.share_bp))
        .collect();
    assert_eq!(
        slots,
        [
            (TimeSlot::Morning, 5, Some(5_555)),
            (TimeSlot::Midday, 1, Some(1_111)),
            (TimeSlot::Afternoon, 0, Some(0)),
            (TimeSlot::Evening, 2, Some(2_222)),
            (TimeSlot::Night, 1, Some(1_111)),
        ]
    );
    assert_eq!(map.promotions.len(), 1);
    assert_eq!(map.promotions[0].promotion_id, p1());
    assert_eq!(
        (
            map.promotions[0].share_bp,
            map.promotions[0].region_share_bp
        ),
        (Some(5_000), Some(4_166))
    );
    assert!(map.members.is_empty(), "members come from retail_members");

    // S2 sits exactly at the threshold: not high potential; S3 has no
    // promotion in its region.
    let s2 = view.battle_map("S2").expect("a map");
    assert_eq!(s2.window.avg_ticket_cents, Some(8_500));
    assert!(!s2.high_potential);
    assert_eq!((s2.rank_in_region, s2.stores_in_region), (2, 2));
    assert_eq!(s2.latest_sale_day, Some(date("2026-06-03")));
    assert!(view.battle_map("S3").expect("a map").promotions.is_empty());
    assert_eq!(
        view.battle_map("S9"),
        Err(RetailQueryError::UnknownStore("S9".to_owned()))
    );
    assert_eq!(
        view.battle_map("not a code"),
        Err(RetailQueryError::UnknownStore("not a code".to_owned()))
    );
}

#[test]
fn high_potential_members_of_stores_strictly_above_the_threshold() {
    let view = members(&case());
    let answer = view.high_potential(None, None, 20).expect("an answer");
    assert_eq!(
        (
            answer.threshold_cents,
            answer.window_days,
            answer.policy_version
        ),
        (8_500, 90, 0)
    );
    // S1 (9,888) only: S2 is exactly 8,500, S3 6,857.
    let listed: Vec<&str> = answer
        .stores
        .iter()
        .map(|store| store.store.as_str())
        .collect();
    assert_eq!(listed, ["S1"]);
    let s1 = &answer.stores[0];
    assert_eq!(
        (s1.tickets, s1.sales_cents, s1.avg_ticket_cents),
        (9, 89_000, 9_888)
    );
    assert_eq!(s1.members.len(), 2);

    // M1: S1-01, -03, -06, -08 and S3-07 (bought at another store): 5
    // tickets, 9000+10000+10000+10000+12000 = 51,000; 5 * 300 / 90 = 16;
    // morning 4 of 5; dairy 3000+4000+6000+3000+12000 = 28,000, bakery
    // 6000+8000+5000 = 19,000, drinks 2,000 = household 2,000 (name order).
    let m1 = &s1.members[0];
    assert_eq!(
        (m1.member.as_str(), m1.display_name.as_str()),
        ("M1", "Li Lei")
    );
    assert_eq!(
        (m1.tickets, m1.tickets_per_month_x10, m1.spend_cents),
        (5, 16, 51_000)
    );
    assert_eq!(m1.preferred_slot, TimeSlot::Morning);
    assert_eq!(m1.usual_categories, ["dairy", "bakery", "drinks"]);
    assert_eq!(
        m1.script,
        fill_script(
            DEFAULT_SCRIPT_TEMPLATE,
            "Li Lei",
            "Bund",
            TimeSlot::Morning,
            &["dairy", "bakery", "drinks"]
        )
    );
    assert!(
        m1.script
            .starts_with("Hello Li Lei, thank you for shopping at Bund."),
        "{}",
        m1.script
    );
    assert!(
        m1.script
            .contains("in the morning for dairy, bakery, drinks"),
        "{}",
        m1.script
    );

    // M2: S1-00, -04, -07: 3 tickets, 31,000; 3 * 300 / 90 = 10; one
    // ticket each morning, evening, night: the earliest slot; dairy 23,000,
    // bakery 8,000.
    let m2 = &s1.members[1];
    assert_eq!(
        (
            m2.member.as_str(),
            m2.tickets,
            m2.tickets_per_month_x10,
            m2.spend_cents
        ),
        ("M2", 3, 10, 31_000)
    );
    assert_eq!(m2.preferred_slot, TimeSlot::Morning);
    assert_eq!(m2.usual_categories, ["dairy", "bakery"]);

    // Limits and filters.
    let one = view.high_potential(None, Some("S1"), 1).expect("an answer");
    assert_eq!(one.stores[0].members.len(), 1);
    assert_eq!(one.stores[0].members[0].member.as_str(), "M1");
    assert!(view
        .high_potential(Some("west"), None, 20)
        .expect("an answer")
        .stores
        .is_empty());
    assert!(view
        .high_potential(None, Some("S2"), 20)
        .expect("an answer")
        .stores
        .is_empty());
    assert_eq!(
        view.high_potential(Some("north"), None, 20),
        Err(RetailQueryError::UnknownRegion("north".to_owned()))
    );
    assert_eq!(
        view.high_potential(None, Some("S9"), 20),
        Err(RetailQueryError::UnknownStore("S9".to_owned()))
    );
}

#[test]
fn a_published_policy_changes_the_threshold_and_the_script() {
    let mut log = case();
    log.policy(1, 8_499, 90, "Dear {member}: {store}/{slot}/{categories}");
    let view = members(&log);
    let answer = view.high_potential(None, None, 20).expect("an answer");
    assert_eq!((answer.threshold_cents, answer.policy_version), (8_499, 1));
    // S2's 8,500 now exceeds the threshold.
    let listed: Vec<&str> = answer
        .stores
        .iter()
        .map(|store| store.store.as_str())
        .collect();
    assert_eq!(listed, ["S1", "S2"]);
    let s2 = &answer.stores[1];
    assert_eq!(s2.members.len(), 1);
    // M4: S2-03 only: 1 ticket, 9,000, 1 * 300 / 90 = 3, evening, bakery.
    let m4 = &s2.members[0];
    assert_eq!(
        (
            m4.member.as_str(),
            m4.tickets,
            m4.tickets_per_month_x10,
            m4.spend_cents
        ),
        ("M4", 1, 3, 9_000)
    );
    assert_eq!(m4.preferred_slot, TimeSlot::Evening);
    assert_eq!(m4.script, "Dear Zhao Min: Pudong/evening/bakery");
    assert!(stores(&log).battle_map("S2").expect("a map").high_potential);

    // A stale version changes nothing; a shorter window counts fewer
    // tickets: 2 days (06-03, 06-04) for S1: M1 S1-06, S1-08, S3-07 =
    // 32,000, 3 * 300 / 2 = 450.
    log.policy(1, 1, 90, "stale");
    log.policy(2, 9_999, 2, "{member}");
    let view = members(&log);
    let answer = view.high_potential(None, None, 20).expect("an answer");
    assert_eq!(
        (
            answer.threshold_cents,
            answer.window_days,
            answer.policy_version
        ),
        (9_999, 2, 2)
    );
    // S1 over 06-03..06-04: 30,000 / 3 = 10,000 > 9,999.
    assert_eq!(answer.stores.len(), 1);
    let m1 = &answer.stores[0].members[0];
    assert_eq!(
        (
            m1.member.as_str(),
            m1.tickets,
            m1.tickets_per_month_x10,
            m1.spend_cents
        ),
        ("M1", 3, 450, 32_000)
    );
    assert_eq!(m1.script, "Li Lei");
}

#[test]
fn folding_is_deterministic_and_survives_a_round_trip() {
    let log = case();
    let first = serde_json::to_vec(&stores(&log)).expect("serialises");
    let second = serde_json::to_vec(&stores(&log)).expect("serialises");
    assert_eq!(first, second);
    let first = serde_json::to_vec(&members(&log)).expect("serialises");
    let second = serde_json::to_vec(&members(&log)).expect("serialises");
    assert_eq!(first, second);

    // A stored model (JSON) read back answers the same and serialises the same.
    let view = stores(&log);
    let restored: RetailStoresView =
        serde_json::from_slice(&serde_json::to_vec(&view).expect("json")).expect("reads back");
    assert_eq!(restored, view);
    assert_eq!(
        serde_json::to_vec(
            &restored
                .penetration(None, None, None, None)
                .expect("an answer")
        )
        .expect("json"),
        serde_json::to_vec(&view.penetration(None, None, None, None).expect("an answer"))
            .expect("json")
    );
    let member_view = members(&log);
    let restored: RetailMembersView =
        serde_json::from_slice(&serde_json::to_vec(&member_view).expect("json"))
            .expect("reads back");
    assert_eq!(restored, member_view);

    // A record seen again (a runner resuming) changes nothing.
    let mut again = stores(&log);
    let mut again_members = members(&log);
    for record in &log.records {
        apply_record::<RetailStores>(&mut again, record).expect("applies");
        apply_record::<RetailMembers>(&mut again_members, record).expect("applies");
    }
    assert_eq!(again, view);
    assert_eq!(again_members, member_view);
}

/// The case with a short policy window published first (so members' old
/// days are dropped as they buy), then later batches: a promoted SKU that
/// is not a new product launched part-way, a SKU sold before it is
/// registered, a member who buys before enrolling, tickets of days behind
/// a store's latest.
fn short_window_case() -> Log {
    let mut log = Log::default();
    log.policy(1, 5_000, 2, "{member} at {store}: {slot}, {categories}");
    for record in case().records {
        let position = log.records.len() as u64;
        log.records.push(RecordedEvent { position, ..record });
    }
    log.push(
        "promotion-p2",
        "PromotionLaunched",
        json!({"promotion_id": "00000000-0000-0000-0000-0000000000f2", "sku": "MILK",
               "name": "Milk week", "regions": ["west", "east"],
               "starts_on": "2026-06-02", "ends_on": "2026-06-10",
               "launched_by": "marketing-1", "launched_at": "2026-06-04T02:00:00Z"}),
    );
    log.tickets(
        "B4",
        "S1",
        &[
            (
                "S1-09",
                "2026-06-05T10:00:00+08:00",
                Some("M1"),
                &[("MILK", 7000), ("LATE", 3000)],
            ),
            (
                "S1-10",
                "2026-06-01T12:00:00+08:00",
                Some("M9"),
                &[("MILK", 9000)],
            ),
            (
                "S1-11",
                "2026-06-06T19:00:00+08:00",
                Some("M2"),
                &[("NEW", 3000), ("MILK", 1000)],
            ),
        ],
    );
    log.sku("LATE", "Late snack", "snacks", false);
    log.member("M9", "S1", "Late Member");
    log.tickets(
        "B5",
        "S3",
        &[
            (
                "S3-08",
                "2026-06-07T09:00:00+08:00",
                Some("M1"),
                &[("LATE", 2000)],
            ),
            (
                "S3-09",
                "2026-06-07T13:00:00+08:00",
                Some("M9"),
                &[("MILK", 3000), ("NEW", 9000)],
            ),
        ],
    );
    log.tickets(
        "B6",
        "S1",
        &[
            (
                "S1-12",
                "2026-06-08T09:00:00+08:00",
                Some("M9"),
                &[("MILK", 6000), ("LATE", 6000)],
            ),
            (
                "S1-13",
                "2026-06-03T21:00:00+08:00",
                Some("M1"),
                &[("BREAD", 4000)],
            ),
        ],
    );
    log
}

#[test]
fn the_table_projectors_answer_as_the_models_on_the_hand_checked_cases() {
    let mut with_policies = case();
    with_policies.policy(1, 8_499, 90, "Dear {member}: {store}/{slot}/{categories}");
    with_policies.policy(1, 1, 90, "stale");
    with_policies.policy(2, 9_999, 2, "{member}");
    // The window lengthened again: the days the model dropped stay gone.
    let mut lengthened = short_window_case();
    lengthened.policy(2, 5_000, 90, "{member}");
    for log in [case(), with_policies, short_window_case(), lengthened] {
        let mut folds = retail_compare::Folds::of(&log.records);
        let coverage = retail_compare::compare(&mut folds);
        assert!(
            coverage.answers > 50
                && coverage.high_potential_members > 0
                && coverage.penetration_cells_with_product > 0,
            "{coverage:?}"
        );
    }

    // The hand-checked figures, read from the tables themselves.
    let mut folds = retail_compare::Folds::of(&case().records);
    let mut rows = Reader::new(&mut folds.store_tables);
    let answer = tables::penetration(&mut rows, None, None, None, None).expect("an answer");
    assert_eq!(answer.regions[0].total, total(12, 5, Some(4166)));
    let map = tables::battle_map(&mut rows, "S1").expect("a map");
    assert_eq!(map.region_avg_ticket_cents, Some(9_461));
    let mut member_rows = Reader::new(&mut folds.member_tables);
    let listed = tables::high_potential(&mut member_rows, None, None, 20).expect("an answer");
    let m1 = &listed.stores[0].members[0];
    assert_eq!(
        (m1.member.as_str(), m1.tickets, m1.spend_cents),
        ("M1", 5, 51_000)
    );

    // A 2-day window keeps at most 2 day rows per member: older days are
    // deleted as the member buys, as the model drops them.
    let mut folds = retail_compare::Folds::of(&short_window_case().records);
    let mut member_rows = Reader::new(&mut folds.member_tables);
    for member in ["M1", "M2", "M9"] {
        let member = MemberRef::parse(member).expect("a member ref");
        let kept = member_rows
            .prefix(&tables::MEMBER_DAYS, &member)
            .expect("rows");
        assert!((1..=2).contains(&kept.len()), "{member}: {kept:?}");
        let model_days = folds.members.members[&member].days.len();
        assert_eq!(kept.len(), model_days, "{member}");
    }
}
