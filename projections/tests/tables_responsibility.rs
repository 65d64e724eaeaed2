//! The responsibility log on tables answers exactly as the model does: every
//! lead's and every customer's log the gateway serves
//! (`/v1/views/responsibility/leads/{id}`, `.../customers/{id}`), over two
//! generated histories and the hand-checked golden fixture.

use crate::support;

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use salesledger_domain::value::{CustomerId, LeadId};
use salesledger_projections::responsibility::{Entry, ResponsibilityView};
use salesledger_projections::tables::responsibility::{
    self as tables, ResponsibilityTables, CUSTOMERS, LEADS,
};
use salesledger_projections::tables::{MemoryTables, Reader, TableProjector};
use salesledger_projections::{fold_all, Projector, ResponsibilityLog};
use salesledger_store::{CanonicalJson, Hash32, RecordedEvent};
use serde::Deserialize;
use uuid::Uuid;

fn fold_tables(records: &[RecordedEvent]) -> MemoryTables {
    let mut tables = MemoryTables::default();
    for record in records {
        tables
            .apply_with_directory::<ResponsibilityTables>(record)
            .expect("the responsibility tables apply");
    }
    tables
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("serialises")
}

/// Every lead's and customer's log from the tables, as the model's whole
/// view (keys from the heads, in key order).
fn view_from_tables(reader: &mut Reader<'_>) -> ResponsibilityView {
    let mut view = ResponsibilityView::default();
    let leads: Vec<LeadId> = reader
        .range(&LEADS, None, None)
        .expect("leads")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    for lead_id in leads {
        let log = tables::lead(reader, lead_id)
            .expect("reads")
            .expect("a log");
        view.leads.insert(lead_id, log);
    }
    let customers: Vec<CustomerId> = reader
        .range(&CUSTOMERS, None, None)
        .expect("customers")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    for customer_id in customers {
        let log = tables::customer(reader, customer_id)
            .expect("reads")
            .expect("a log");
        view.customers.insert(customer_id, log);
    }
    view
}

fn assert_same_answers(records: &[RecordedEvent], min_leads: usize, min_customers: usize) {
    let model = fold_all::<ResponsibilityLog>(records).expect("the model folds");
    let mut tables = fold_tables(records);
    let mut reader = Reader::new(&mut tables);
    assert!(
        model.leads.len() >= min_leads && model.customers.len() >= min_customers,
        "a real history: {} leads, {} customers",
        model.leads.len(),
        model.customers.len()
    );
    let mut owned = 0;
    let mut routed = 0;
    for (lead_id, log) in &model.leads {
        let answer = tables::lead(&mut reader, *lead_id).expect("reads");
        assert_eq!(json(&answer), json(&model.lead(*lead_id)), "lead {lead_id}");
        assert!(!log.entries.is_empty());
        routed += usize::from(log.routed_to.is_some());
        assert_pages_equal(&log.entries, |after, limit| {
            tables::lead_entries_page(&mut reader, *lead_id, after, limit).expect("a page")
        });
    }
    for (customer_id, log) in &model.customers {
        let answer = tables::customer(&mut reader, *customer_id).expect("reads");
        assert_eq!(
            json(&answer),
            json(&model.customer(*customer_id)),
            "customer {customer_id}"
        );
        owned += usize::from(log.current_owner.is_some());
        assert_pages_equal(&log.entries, |after, limit| {
            tables::customer_entries_page(&mut reader, *customer_id, after, limit).expect("a page")
        });
    }
    assert!(owned > 0, "some customers have an owner");
    assert!(routed > 0, "some leads were routed");
    // Nothing the model does not know answers from the tables.
    assert_eq!(
        json(&view_from_tables(&mut reader)),
        json(&model),
        "the whole view"
    );
    assert_eq!(
        tables::lead(&mut reader, LeadId::from_uuid(Uuid::nil())).expect("reads"),
        None
    );
    let known: BTreeSet<CustomerId> = model.customers.keys().copied().collect();
    assert!(!known.contains(&CustomerId::from_uuid(Uuid::nil())));
    assert_eq!(
        tables::customer(&mut reader, CustomerId::from_uuid(Uuid::nil())).expect("reads"),
        None
    );
}

/// Following pages of 1, 2 and 7 entries gives the whole log, in order.
fn assert_pages_equal(
    entries: &[Entry],
    mut page: impl FnMut(Option<u64>, usize) -> (Vec<Entry>, Option<u64>),
) {
    for limit in [1, 2, 7] {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let (rows, next) = page(after, limit);
            assert!(rows.len() <= limit);
            all.extend(rows);
            match next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(json(&all), json(&entries), "pages of {limit}");
    }
}

#[test]
fn the_small_history_answers_as_the_model() {
    assert_same_answers(support::small_history(), 20, 30);
}

#[test]
fn the_spec_history_answers_as_the_model() {
    assert_same_answers(support::spec_history(), 100, 100);
}

#[test]
fn the_golden_fixture_gives_the_expected_view() {
    let records = fixture_records();
    let mut tables = fold_tables(&records);
    let view = view_from_tables(&mut Reader::new(&mut tables));
    let mut actual = serde_json::to_string_pretty(&view).expect("serialises");
    actual.push('\n');
    let expected =
        std::fs::read_to_string(fixture_dir().join("expected.json")).expect("expected.json");
    assert_eq!(actual, expected);
    assert_eq!(ResponsibilityTables::NAME, ResponsibilityLog::NAME);
    assert_eq!(ResponsibilityTables::VERSION, 1);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureRecord {
    position: u64,
    event_id: Uuid,
    stream_id: String,
    stream_version: u64,
    event_type: String,
    schema_version: u32,
    recorded_at: DateTime<Utc>,
    actor: String,
    payload: serde_json::Value,
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/responsibility")
}

fn fixture_records() -> Vec<RecordedEvent> {
    let text = std::fs::read_to_string(fixture_dir().join("input.jsonl")).expect("input.jsonl");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let record: FixtureRecord = serde_json::from_str(line).expect("fixture record");
            RecordedEvent {
                position: record.position,
                event_id: record.event_id,
                stream_id: record.stream_id,
                stream_version: record.stream_version,
                event_type: record.event_type,
                schema_version: record.schema_version,
                recorded_at: record.recorded_at,
                actor: record.actor,
                command_id: Uuid::nil(),
                correlation_id: Uuid::nil(),
                causation_id: Uuid::nil(),
                payload: CanonicalJson::from_value(&record.payload),
                prev_hash: Hash32::ZERO,
                hash: Hash32::ZERO,
            }
        })
        .collect()
}
