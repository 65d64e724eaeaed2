//! Golden-file tests of the responsibility log (SPEC C2, C3).
//!
//! `fixtures/responsibility/input.jsonl` is a hand-built event stream (one
//! record per line: position, event id, stream, type, schema version,
//! recorded time, actor, payload); `expected.json` is the view it must
//! produce, compared byte for byte after pretty-printing. Run with
//! `UPDATE_GOLDEN=1` to regenerate `expected.json` after a deliberate
//! change, and review the diff.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use salesledger_projections::responsibility::{Change, ResponsibilityView};
use salesledger_projections::{fold_all, Projector, ResponsibilityLog};
use salesledger_store::{CanonicalJson, Hash32, RecordedEvent};
use serde::Deserialize;
use uuid::Uuid;

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

fn input_records() -> Vec<RecordedEvent> {
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

fn pretty(view: &ResponsibilityView) -> String {
    let mut text = serde_json::to_string_pretty(view).expect("view serialises");
    text.push('\n');
    text
}

#[test]
fn responsibility_log_matches_the_golden_file() {
    let view = fold_all::<ResponsibilityLog>(&input_records()).expect("fixture folds");
    let actual = pretty(&view);
    let expected_path = fixture_dir().join("expected.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, &actual).expect("write expected.json");
    }
    let expected = std::fs::read_to_string(&expected_path)
        .expect("expected.json exists (run with UPDATE_GOLDEN=1 to create it)");
    assert!(
        actual == expected,
        "the responsibility view differs from {}; rerun with UPDATE_GOLDEN=1 and review the diff\n{actual}",
        expected_path.display()
    );
}

#[test]
fn lead_log_names_every_responsible_person_in_order() {
    let view = fold_all::<ResponsibilityLog>(&input_records()).expect("fixture folds");
    let lead_id = "00000000-0000-0000-0000-000000003001";
    let lead = view
        .leads
        .iter()
        .find(|(id, _)| id.to_string() == lead_id)
        .map(|(_, lead)| lead)
        .expect("lead logged");
    let kinds: Vec<&str> = lead
        .entries
        .iter()
        .map(|entry| kind(&entry.change))
        .collect();
    assert_eq!(
        kinds,
        [
            "lead_registered",
            "budget_confirmed",
            "technical_fit_confirmed",
            "routing_proposed",
            "routing_confirmed"
        ]
    );
    let positions: Vec<u64> = lead.entries.iter().map(|entry| entry.position).collect();
    assert_eq!(
        positions,
        [1, 2, 4, 5, 6],
        "the unknown type at 3 is skipped"
    );
    match &lead.entries[4].change {
        Change::RoutingConfirmed {
            confirmed_by,
            seconds_from_proposal,
            ..
        } => {
            assert_eq!(confirmed_by.as_str(), "sup-wang");
            assert_eq!(*seconds_from_proposal, 17);
        }
        other => panic!("expected a routing confirmation, got {other:?}"),
    }
    assert_eq!(
        lead.routed_to,
        Some(routing_target(&lead.entries[4].change))
    );
}

#[test]
fn customer_log_has_every_ownership_change_and_its_leads_routing() {
    let view = fold_all::<ResponsibilityLog>(&input_records()).expect("fixture folds");
    assert_eq!(view.customers.len(), 1);
    let customer = view.customers.values().next().expect("one customer");
    let kinds: Vec<&str> = customer
        .entries
        .iter()
        .map(|entry| kind(&entry.change))
        .collect();
    assert_eq!(
        kinds,
        [
            "customer_registered",
            "claimed",
            "transferred",
            "released",
            "claimed",
            "recalled_to_pool",
            "claimed",
            "returned_to_pool",
            "claimed",
            "routing_proposed",
            "routing_confirmed"
        ]
    );
    let positions: Vec<u64> = customer
        .entries
        .iter()
        .map(|entry| entry.position)
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "entries keep log order: {positions:?}"
    );
    assert!(customer.current_owner.is_some());
}

#[test]
fn folding_in_two_parts_equals_folding_at_once_and_the_model_round_trips() {
    let records = input_records();
    let whole = fold_all::<ResponsibilityLog>(&records).expect("fixture folds");
    for split in 0..=records.len() {
        let (head, tail) = records.split_at(split);
        let partial = fold_all::<ResponsibilityLog>(head).expect("head folds");
        // What a runner does: persist the model, load it, continue.
        let stored = serde_json::to_vec(&partial).expect("serialise");
        let mut resumed: ResponsibilityView = serde_json::from_slice(&stored).expect("deserialise");
        for record in tail {
            salesledger_projections::apply_record::<ResponsibilityLog>(&mut resumed, record)
                .expect("record folds");
        }
        assert_eq!(pretty(&resumed), pretty(&whole), "split at {split}");
    }
    assert_eq!(ResponsibilityLog::NAME, "responsibility");
}

fn kind(change: &Change) -> &'static str {
    match change {
        Change::LeadRegistered { .. } => "lead_registered",
        Change::BudgetConfirmed { .. } => "budget_confirmed",
        Change::TechnicalFitConfirmed { .. } => "technical_fit_confirmed",
        Change::RoutingProposed { .. } => "routing_proposed",
        Change::RoutingConfirmed { .. } => "routing_confirmed",
        Change::CustomerRegistered { .. } => "customer_registered",
        Change::Claimed { .. } => "claimed",
        Change::Transferred { .. } => "transferred",
        Change::Released { .. } => "released",
        Change::RecalledToPool { .. } => "recalled_to_pool",
        Change::ReturnedToPool { .. } => "returned_to_pool",
    }
}

fn routing_target(change: &Change) -> salesledger_domain::value::RepId {
    match change {
        Change::RoutingConfirmed { rep_id, .. } => *rep_id,
        other => panic!("not a routing confirmation: {other:?}"),
    }
}
