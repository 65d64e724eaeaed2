//! C13 chain stores: created-once entities, promotion rules, the retail
//! policy's versions, and the POS batch builder (line validation codes,
//! tickets, chunking under the payload limit).

use salesledger_domain::event::{encode, Event};
use salesledger_domain::retail::*;
use salesledger_domain::value::*;
use salesledger_domain::Aggregate;

use crate::support::*;

/// When the test batches are recorded: the morning after their sales.
/// The future margin the command layer passes by default (10 minutes).
fn margin() -> chrono::Duration {
    chrono::Duration::minutes(10)
}

fn recorded_at() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z")
        .expect("a time")
        .with_timezone(&chrono::Utc)
}

fn catalogue() -> Catalogue {
    let mut catalogue = Catalogue::default();
    catalogue.apply(&Event::StoreOpened(StoreOpened {
        store: StoreCode::parse("S1").expect("store"),
        name: text("One"),
        region: Region::parse("east").expect("region"),
        format: StoreFormat::Direct,
        opened_on: date("2026-01-01"),
    }));
    catalogue.apply(&Event::StoreOpened(StoreOpened {
        store: StoreCode::parse("S2").expect("store"),
        name: text("Two"),
        region: Region::parse("west").expect("region"),
        format: StoreFormat::Franchised,
        opened_on: date("2026-01-01"),
    }));
    for sku in ["A", "B"] {
        catalogue.apply(&Event::SkuRegistered(SkuRegistered {
            sku: SkuCode::parse(sku).expect("sku"),
            name: text(sku),
            category: text("cat"),
            new_product: false,
        }));
    }
    catalogue.apply(&Event::MemberEnrolled(MemberEnrolled {
        member: MemberRef::parse("M1").expect("member"),
        home_store: StoreCode::parse("S1").expect("store"),
        display_name: text("Member One"),
        enrolled_on: date("2026-01-01"),
    }));
    catalogue
}

fn line<'a>(n: u64, store: &'a str, ticket: &'a str, sku: &'a str) -> PosInputLine<'a> {
    PosInputLine {
        line: n,
        store: store.into(),
        ticket: ticket.into(),
        sku: sku.into(),
        qty: Some(1),
        amount_cents: Some(1_000),
        member: None,
        sold_at: "2026-03-01T10:15:00+08:00".into(),
    }
}

fn batch_id() -> PosBatchId {
    PosBatchId::parse("B1").expect("batch id")
}

#[test]
fn every_bad_line_is_reported_with_its_number_and_code() {
    let mut lines = vec![
        line(1, "S1", "T1", "A"),
        line(2, "S9", "T2", "A"),
        line(3, "S1", "T3", "ZZZ"),
        line(4, "S1", "T4", "A"),
        line(5, "S1", "T5", "A"),
        line(6, "S1", "T6", "A"),
        line(7, "S1", "T7", "A"),
        line(8, "S2", "T1", "A"),
    ];
    lines[3].member = Some("M404".into());
    lines[4].qty = Some(0);
    lines[5].amount_cents = None;
    lines[6].sold_at = "2026-03-01T10:15:00".into();
    let errors = build_pos_batch(&batch_id(), &lines, &catalogue(), recorded_at(), margin())
        .expect_err("bad lines");
    let codes: Vec<(u64, &str)> = errors
        .iter()
        .map(|error| (error.line, error.code.as_str()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (2, "unknown_store"),
            (3, "unknown_sku"),
            (4, "unknown_member"),
            (5, "invalid_qty"),
            (6, "invalid_amount"),
            (7, "invalid_sold_at"),
            (8, "ticket_mismatch"),
        ]
    );
}

#[test]
fn lines_of_a_ticket_make_one_ticket_and_stores_make_separate_events() {
    let mut lines = vec![
        line(1, "S2", "T1", "A"),
        line(2, "S1", "T2", "A"),
        line(3, "S2", "T1", "B"),
    ];
    lines[1].member = Some("M1".into());
    let batch =
        build_pos_batch(&batch_id(), &lines, &catalogue(), recorded_at(), margin()).expect("valid");
    assert_eq!((batch.lines, batch.tickets), (3, 2));
    let stores: Vec<&str> = batch
        .events
        .iter()
        .map(|event| event.store.as_str())
        .collect();
    assert_eq!(stores, vec!["S1", "S2"]);
    assert_eq!(batch.events[1].tickets[0].lines.len(), 2);
    assert_eq!(batch.events[1].tickets[0].total_cents(), 2_000);
    assert_eq!(
        batch.events[0].tickets[0]
            .member
            .as_ref()
            .map(MemberRef::as_str),
        Some("M1")
    );
}

#[test]
fn a_large_batch_is_chunked_by_whole_tickets_under_48_kib() {
    let tickets: Vec<String> = (0..3_000).map(|n| format!("T{n:05}")).collect();
    let mut lines = Vec::new();
    for (idx, ticket) in tickets.iter().enumerate() {
        lines.push(line(2 * idx as u64 + 1, "S1", ticket, "A"));
        lines.push(line(2 * idx as u64 + 2, "S1", ticket, "B"));
    }
    let batch =
        build_pos_batch(&batch_id(), &lines, &catalogue(), recorded_at(), margin()).expect("valid");
    assert!(batch.events.len() > 1, "split into several events");
    let mut n_tickets = 0;
    for event in &batch.events {
        let payload = encode(&Event::PosTicketsRecorded(event.clone())).expect("encodes");
        let bytes = serde_json::to_string(&payload.payload).expect("json").len();
        assert!(bytes < MAX_POS_EVENT_PAYLOAD_BYTES, "{bytes} bytes");
        assert!(event.tickets.iter().all(|ticket| ticket.lines.len() == 2));
        n_tickets += event.tickets.len();
    }
    assert_eq!(n_tickets, 3_000);
    assert_eq!(batch.events[0].tickets[0].ticket.as_str(), "T00000");
}

#[test]
fn entities_are_created_once_and_promotions_need_a_known_sku_and_stored_regions() {
    let open = RetailCommand::OpenStore(OpenStore {
        store: StoreCode::parse("S1").expect("store"),
        name: text("One"),
        region: Region::parse("east").expect("region"),
        format: StoreFormat::Direct,
        opened_on: date("2026-01-01"),
    });
    let now = time("2026-03-01T00:00:00Z");
    let events = RetailEntity::default()
        .decide(open.clone(), now)
        .expect("opens");
    let state = RetailEntity::from_events(&events);
    assert_eq!(
        state.decide(open, now).map_err(|error| error.code()),
        Err("store_already_exists")
    );
    let launch = |sku_known: bool, regions: &[&str], starts_on: &str| {
        RetailCommand::LaunchPromotion(LaunchPromotion {
            promotion_id: PromotionId::from_uuid(uuid(1)),
            sku: SkuCode::parse("A").expect("sku"),
            name: text("New"),
            regions: regions
                .iter()
                .map(|region| Region::parse(region).expect("region"))
                .collect(),
            starts_on: date(starts_on),
            ends_on: date("2026-06-30"),
            launched_by: actor("mkt"),
            sku_known,
            store_regions: catalogue().store_regions(),
        })
    };
    let code = |command| {
        RetailEntity::default()
            .decide(command, now)
            .map(|_| "ok")
            .map_err(|error| error.code())
    };
    assert_eq!(
        code(launch(false, &["east"], "2026-06-01")),
        Err("unknown_sku")
    );
    assert_eq!(
        code(launch(true, &[], "2026-06-01")),
        Err("promotion_without_regions")
    );
    assert_eq!(
        code(launch(true, &["north"], "2026-06-01")),
        Err("region_without_stores")
    );
    assert_eq!(
        code(launch(true, &["east"], "2026-07-01")),
        Err("promotion_dates_reversed")
    );
    let events = RetailEntity::default()
        .decide(launch(true, &["west", "east", "west"], "2026-06-01"), now)
        .expect("launches");
    let Event::PromotionLaunched(launched) = &events[0] else {
        panic!("a promotion launch");
    };
    let regions: Vec<&str> = launched.regions.iter().map(Region::as_str).collect();
    assert_eq!(regions, vec!["east", "west"], "sorted, unique");
}

#[test]
fn retail_policy_versions_strictly_increase() {
    let publish = |version: u32| {
        RetailCommand::PublishRetailPolicy(PublishRetailPolicy {
            version,
            high_potential_avg_ticket_cents: 9_000,
            window_days: 90,
            script_template: text("Hi {member}"),
            published_by: actor("sup"),
        })
    };
    let now = time("2026-03-01T00:00:00Z");
    let events = RetailPolicy::default()
        .decide(publish(2), now)
        .expect("publishes");
    let state = RetailPolicy::from_events(&events);
    assert_eq!(state.high_potential_avg_ticket_cents(), 9_000);
    assert_eq!(
        state.decide(publish(2), now).map_err(|error| error.code()),
        Err("config_version_not_newer")
    );
    assert!(state.decide(publish(3), now).is_ok());
    assert_eq!(
        RetailPolicy::default().high_potential_avg_ticket_cents(),
        DEFAULT_HIGH_POTENTIAL_AVG_TICKET_CENTS
    );
}

#[test]
fn amounts_beyond_the_limit_and_sales_dated_after_their_recording_are_refused() {
    // One line per rule, and their accepted neighbours: an amount at the
    // limit, a sale dated less than the margin after the recording
    // (09:00 China time): 09:09 passes, 09:11 and 2099 do not.
    let mut lines = vec![
        line(1, "S1", "T1", "A"),
        line(2, "S1", "T2", "A"),
        line(3, "S1", "T3", "A"),
        line(4, "S1", "T4", "A"),
        line(5, "S1", "T5", "A"),
    ];
    lines[0].amount_cents = Some(i64::try_from(MAX_LINE_AMOUNT_CENTS).expect("fits") + 1);
    lines[1].amount_cents = Some(i64::try_from(MAX_LINE_AMOUNT_CENTS).expect("fits"));
    lines[2].sold_at = "2099-03-01T10:15:00+08:00".into();
    lines[3].sold_at = "2026-03-02T09:09:00+08:00".into();
    lines[4].sold_at = "2026-03-02T09:11:00+08:00".into();
    let errors = build_pos_batch(&batch_id(), &lines, &catalogue(), recorded_at(), margin())
        .expect_err("bad lines");
    let codes: Vec<(u64, &str)> = errors
        .iter()
        .map(|error| (error.line, error.code.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            (1, "invalid_amount"),
            (3, "time_in_future"),
            (5, "time_in_future")
        ]
    );
    lines.remove(4);
    lines.remove(2);
    lines.remove(0);
    let batch =
        build_pos_batch(&batch_id(), &lines, &catalogue(), recorded_at(), margin()).expect("valid");
    assert_eq!(batch.tickets, 2);
}
