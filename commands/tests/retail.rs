//! Chain stores through the command layer on sled: the catalogue follows
//! the log, a POS batch is all or nothing, a batch id is accepted once.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use salesledger_commands::{
    CommandError, CommandMeta, CommandService, NewMember, NewPromotion, Principal,
};
use salesledger_domain::retail::{
    OpenStore, PosInputLine, PosLineError, PosLineErrorCode, RegisterSku, StoreFormat,
};
use salesledger_domain::value::{
    ActorId, MemberRef, PosBatchId, PromotionId, Region, SkuCode, StoreCode, Text,
};
use salesledger_domain::{DomainError, Role};
use salesledger_store::{SledStore, Store};
use uuid::Uuid;

fn meta(role: Role) -> CommandMeta {
    let principal = Principal {
        actor: ActorId::parse("someone").expect("actor"),
        role,
    };
    CommandMeta::new(
        principal,
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0)
            .single()
            .expect("time"),
    )
}

fn day(iso: &str) -> NaiveDate {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").expect("date")
}

async fn catalogue(service: &CommandService) {
    let supervisor = meta(Role::Supervisor);
    for (code, region) in [("S1", "east"), ("S2", "west")] {
        service
            .open_store(
                &supervisor,
                OpenStore {
                    store: StoreCode::parse(code).expect("store"),
                    name: Text::parse(code).expect("name"),
                    region: Region::parse(region).expect("region"),
                    format: StoreFormat::Direct,
                    opened_on: day("2026-01-01"),
                },
            )
            .await
            .expect("store opens");
    }
    for sku in ["A", "B"] {
        service
            .register_sku(
                &supervisor,
                RegisterSku {
                    sku: SkuCode::parse(sku).expect("sku"),
                    name: Text::parse(sku).expect("name"),
                    category: Text::parse("cat").expect("category"),
                    new_product: sku == "B",
                },
            )
            .await
            .expect("sku registers");
    }
    service
        .enroll_member(
            &meta(Role::StoreManager),
            NewMember {
                member: MemberRef::parse("M1").expect("member"),
                home_store: StoreCode::parse("S1").expect("store"),
                display_name: Text::parse("Member One").expect("name"),
                enrolled_on: day("2026-01-02"),
            },
        )
        .await
        .expect("member enrols");
}

/// One sale line as the gateway's parser would hand it over.
#[allow(clippy::too_many_arguments)]
fn sale(
    line: u64,
    store: &'static str,
    ticket: &'static str,
    sku: &'static str,
    qty: i64,
    amount_cents: i64,
    member: Option<&'static str>,
    sold_at: &'static str,
) -> PosInputLine<'static> {
    PosInputLine {
        line,
        store: Cow::Borrowed(store),
        ticket: Cow::Borrowed(ticket),
        sku: Cow::Borrowed(sku),
        qty: Some(qty),
        amount_cents: Some(amount_cents),
        member: member.map(Cow::Borrowed),
        sold_at: Cow::Borrowed(sold_at),
    }
}

/// Three good lines (a blank line 3 between them in the body they came from).
fn good() -> Vec<PosInputLine<'static>> {
    vec![
        sale(
            1,
            "S1",
            "T1",
            "A",
            1,
            1250,
            Some("M1"),
            "2026-03-01T10:15:00+08:00",
        ),
        sale(
            2,
            "S1",
            "T1",
            "B",
            2,
            800,
            Some("M1"),
            "2026-03-01T10:15:00+08:00",
        ),
        sale(
            4,
            "S2",
            "T2",
            "A",
            1,
            1250,
            None,
            "2026-03-01T19:00:00+08:00",
        ),
    ]
}

#[tokio::test]
async fn a_pos_batch_is_all_or_nothing_and_accepted_once() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(SledStore::open(data_dir.path()).expect("open"));
    let service = CommandService::new(store.clone());
    catalogue(&service).await;
    let integrator = meta(Role::Integrator);

    // line 2 (a bad SKU) and line 5 (one the parser could not read):
    // nothing appended
    let mut bad = good();
    bad[1].sku = Cow::Borrowed("ZZZ");
    let unreadable = PosLineError::new(5, PosLineErrorCode::MalformedLine, "not json");
    let head = store.head().len;
    let batch_id = PosBatchId::parse("B-1").expect("batch id");
    let error = service
        .record_pos_lines(&integrator, &batch_id, &bad, vec![unreadable])
        .await
        .expect_err("bad lines");
    let CommandError::Domain(DomainError::InvalidPosBatch { errors }) = error else {
        panic!("invalid batch: {error:?}");
    };
    let lines: Vec<(u64, &str)> = errors
        .iter()
        .map(|error| (error.line, error.code.as_str()))
        .collect();
    assert_eq!(lines, vec![(2, "unknown_sku"), (5, "malformed_line")]);
    assert_eq!(store.head().len, head, "nothing appended");

    // the good batch: two stores, one append
    let outcome = service
        .record_pos_lines(&integrator, &batch_id, &good(), Vec::new())
        .await
        .expect("recorded");
    assert_eq!((outcome.lines, outcome.tickets, outcome.events), (3, 2, 2));
    assert!(!outcome.replayed);
    assert_eq!(store.head().len, head + 2);

    // the same batch again: the original outcome, nothing appended
    let again = service
        .record_pos_lines(&integrator, &batch_id, &good(), Vec::new())
        .await
        .expect("replayed");
    assert!(again.replayed);
    assert_eq!(again.first_position, outcome.first_position);
    assert_eq!(store.head().len, head + 2);

    // the batch id with other lines: refused
    let mut other = good();
    other[0].amount_cents = Some(1300);
    let error = service
        .record_pos_batch(&integrator, &batch_id, &other)
        .await
        .expect_err("reused");
    assert!(matches!(
        error,
        CommandError::Domain(DomainError::PosBatchIdReused { .. })
    ));

    // a store opened after a batch is known to the next batch
    service
        .open_store(
            &meta(Role::Supervisor),
            OpenStore {
                store: StoreCode::parse("S3").expect("store"),
                name: Text::parse("S3").expect("name"),
                region: Region::parse("north").expect("region"),
                format: StoreFormat::Franchised,
                opened_on: day("2026-03-01"),
            },
        )
        .await
        .expect("store opens");
    let mut later = good();
    later[2].store = Cow::Borrowed("S3");
    let outcome = service
        .record_pos_batch(&integrator, &PosBatchId::parse("B-3").expect("id"), &later)
        .await
        .expect("the new store is known");
    assert_eq!(outcome.events, 2);
    let head = head + 3;

    // a role that may not record sales
    let error = service
        .record_pos_lines(
            &meta(Role::Analyst),
            &PosBatchId::parse("B-2").expect("id"),
            &good(),
            Vec::new(),
        )
        .await
        .expect_err("forbidden");
    assert!(matches!(error, CommandError::Forbidden { .. }));
    assert_eq!(store.head().len, head + 2);
}

#[tokio::test]
async fn members_and_promotions_are_checked_against_the_catalogue() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(SledStore::open(data_dir.path()).expect("open"));
    let service = CommandService::new(store.clone());
    catalogue(&service).await;
    let error = service
        .enroll_member(
            &meta(Role::StoreManager),
            NewMember {
                member: MemberRef::parse("M2").expect("member"),
                home_store: StoreCode::parse("S404").expect("store"),
                display_name: Text::parse("Nobody").expect("name"),
                enrolled_on: day("2026-01-02"),
            },
        )
        .await
        .expect_err("unknown store");
    assert!(matches!(error, CommandError::Domain(ref e) if e.code() == "unknown_store"));
    let promotion = |regions: &[&str]| NewPromotion {
        promotion_id: PromotionId::from_uuid(Uuid::now_v7()),
        sku: SkuCode::parse("B").expect("sku"),
        name: Text::parse("New B").expect("name"),
        regions: regions
            .iter()
            .map(|region| Region::parse(region).expect("region"))
            .collect(),
        starts_on: day("2026-03-01"),
        ends_on: day("2026-03-31"),
    };
    let error = service
        .launch_promotion(&meta(Role::Marketing), promotion(&["north"]))
        .await
        .expect_err("no store in north");
    assert!(matches!(error, CommandError::Domain(ref e) if e.code() == "region_without_stores"));
    let outcome = service
        .launch_promotion(&meta(Role::Marketing), promotion(&["west", "east"]))
        .await
        .expect("launched");
    assert_eq!(
        outcome.events[0].payload["regions"],
        serde_json::json!(["east", "west"])
    );
    assert_eq!(outcome.events[0].payload["launched_by"], "someone");
}

#[test]
fn pos_events_are_written_in_the_generic_canonical_encoding() {
    use salesledger_commands::retail::pos_new_event;
    use salesledger_domain::retail::{build_pos_batch, Catalogue, StoreOpened};
    use salesledger_domain::{encode, Event};
    use salesledger_store::NewEvent;

    let mut catalogue = Catalogue::default();
    catalogue.apply(&Event::StoreOpened(StoreOpened {
        store: StoreCode::parse("S1").expect("store"),
        name: Text::parse("S1").expect("name"),
        region: Region::parse("east").expect("region"),
        format: StoreFormat::Direct,
        opened_on: day("2026-01-01"),
    }));
    let mut lines = Vec::new();
    for (n, (sku, member, sold_at)) in [
        ("A", None, "2026-03-01T10:15:00+08:00"),
        ("A:b.c_d-1", Some("M1"), "2026-03-01T23:59:59.250-05:30"),
        ("A", Some("M1"), "2026-03-01T00:00:00Z"),
    ]
    .into_iter()
    .enumerate()
    {
        catalogue.apply(&Event::SkuRegistered(
            salesledger_domain::retail::SkuRegistered {
                sku: SkuCode::parse(sku).expect("sku"),
                name: Text::parse("n").expect("name"),
                category: Text::parse("c").expect("category"),
                new_product: false,
            },
        ));
        catalogue.apply(&Event::MemberEnrolled(
            salesledger_domain::retail::MemberEnrolled {
                member: MemberRef::parse("M1").expect("member"),
                home_store: StoreCode::parse("S1").expect("store"),
                display_name: Text::parse("m").expect("name"),
                enrolled_on: day("2026-01-01"),
            },
        ));
        let n = n as u64;
        lines.push(PosInputLine {
            line: n + 1,
            store: Cow::Borrowed("S1"),
            ticket: Cow::Owned(format!("T{n}")),
            sku: Cow::Borrowed(sku),
            qty: Some(n as i64 + 1),
            amount_cents: Some(n as i64 * 1_000_000_007),
            member: member.map(Cow::Borrowed),
            sold_at: Cow::Borrowed(sold_at),
        });
    }
    let batch = build_pos_batch(
        &PosBatchId::parse("B").expect("id"),
        &lines,
        &catalogue,
        chrono::Utc::now(),
        salesledger_commands::pipeline::DEFAULT_FUTURE_MARGIN,
    )
    .expect("valid");
    for event in &batch.events {
        let encoded = encode(&Event::PosTicketsRecorded(event.clone())).expect("encodes");
        let generic = NewEvent::new(encoded.event_type, encoded.schema_version, &encoded.payload);
        assert_eq!(pos_new_event(event).expect("encodes"), generic);
    }
}
