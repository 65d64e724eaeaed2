//! The event catalogue: stable names and versions, encode/decode, upcasters
//! with golden old-format fixtures, stream id conventions, error codes.

use std::collections::BTreeSet;

use salesledger_domain::error::DomainError;
use salesledger_domain::event::*;
use salesledger_domain::rep::RepRegistered;
use salesledger_domain::stream::*;
use salesledger_domain::value::*;
use salesledger_domain::visit::{VisitChannel, VisitLogged};
use serde::Deserialize;

use crate::support::*;

#[derive(Debug, Deserialize)]
struct StoredEvent {
    event_type: String,
    schema_version: u32,
    payload: serde_json::Value,
}

fn stored(json: &str) -> StoredEvent {
    serde_json::from_str(json).expect("fixture is a stored event")
}

#[test]
fn event_type_names_are_unique_and_versioned() {
    let names: BTreeSet<&str> = EVENT_CATALOGUE.iter().map(|(name, _)| *name).collect();
    assert_eq!(names.len(), EVENT_CATALOGUE.len());
    assert_eq!(EVENT_CATALOGUE.len(), 68);
    assert!(EVENT_CATALOGUE.iter().all(|(_, version)| *version >= 1));
    assert_eq!(current_schema_version("RepRegistered"), Some(2));
    assert_eq!(current_schema_version("VisitLogged"), Some(2));
    assert_eq!(current_schema_version("CustomerClaimed"), Some(1));
    let events_md = include_str!("../EVENTS.md");
    for (name, version) in EVENT_CATALOGUE {
        assert!(
            events_md.contains(&format!("| `{name}` | {version} |")),
            "EVENTS.md documents {name} v{version}"
        );
    }
}

#[test]
fn golden_rep_registered_v1_decodes_with_region_unassigned() {
    let old = stored(include_str!("fixtures/events/RepRegistered.v1.json"));
    let event = decode(&old.event_type, old.schema_version, old.payload).expect("v1 decodes");
    assert_eq!(
        event,
        Event::RepRegistered(RepRegistered {
            rep_id: rep_id(1),
            display_name: text("张伟"),
            region: Region::unassigned(),
            capability_tags: tags(&["iso13485", "tier3-hospital-his", "plc-retrofit"]),
            registered_at: time("2026-05-06T01:30:00Z"),
        })
    );
    let encoded = encode(&event).expect("encodes");
    assert_eq!(
        (encoded.event_type, encoded.schema_version),
        ("RepRegistered", 2)
    );
    assert_eq!(encoded.payload["region"], "unassigned");
}

#[test]
fn golden_visit_logged_v1_decodes_with_notes_as_transcript() {
    let old = stored(include_str!("fixtures/events/VisitLogged.v1.json"));
    let event = decode(&old.event_type, old.schema_version, old.payload).expect("v1 decodes");
    assert_eq!(
        event,
        Event::VisitLogged(VisitLogged {
            visit_id: VisitId::from_uuid(uuid(0x4001)),
            customer_id: customer_id(1),
            rep_id: rep_id(1),
            channel: VisitChannel::OnSite,
            occurred_at: time("2026-06-10T02:00:00Z"),
            transcript: text("客户说下个月采购，还在和西门子比较。"),
            rep_notes: None,
        })
    );
}

#[test]
fn decoding_failures_are_typed() {
    let old = stored(include_str!("fixtures/events/RepRegistered.v1.json"));
    assert_eq!(
        decode("RepExploded", 1, old.payload.clone()),
        Err(DomainError::UnknownEventType {
            event_type: "RepExploded".to_owned()
        })
    );
    assert_eq!(
        decode("RepRegistered", 3, old.payload.clone()),
        Err(DomainError::UnsupportedSchemaVersion {
            event_type: "RepRegistered".to_owned(),
            schema_version: 3
        })
    );
    assert_eq!(
        decode("RepRegistered", 0, old.payload.clone()).map_err(|error| error.code()),
        Err("unsupported_schema_version")
    );
    // a v1 payload labelled v2 lacks `region`
    assert_eq!(
        decode("RepRegistered", 2, old.payload.clone()).map_err(|error| error.code()),
        Err("malformed_event_payload")
    );
    // invalid values inside a payload never decode (2 tags)
    let mut two_tags = old.payload;
    two_tags["capability_tags"] = serde_json::json!(["iso13485", "plc-retrofit"]);
    let error = decode("RepRegistered", 1, two_tags).expect_err("2 tags");
    assert_eq!(error.code(), "malformed_event_payload");
    assert_eq!(error.kind(), salesledger_domain::ErrorKind::Corrupt);
    assert_eq!(
        decode("VisitLogged", 1, serde_json::json!([1, 2])).map_err(|error| error.code()),
        Err("malformed_event_payload")
    );
}

#[test]
fn a_stored_payload_decodes_from_its_text_as_through_a_value() {
    let current = stored(include_str!("fixtures/events/RepRegistered.v1.json"));
    let event = decode(&current.event_type, 1, current.payload.clone()).expect("v1 decodes");
    let encoded = encode(&event).expect("encodes");
    let text = encoded.payload.to_string();
    // At the current version: straight from the text, the same event.
    assert_eq!(
        decode_record(encoded.event_type, encoded.schema_version, &text),
        Ok(event.clone())
    );
    // An older version still goes through its upcaster.
    assert_eq!(
        decode_record("RepRegistered", 1, &current.payload.to_string()),
        Ok(event)
    );
    // A payload that fails is told exactly as through a `Value`.
    let mut two_tags = encoded.payload.clone();
    two_tags["capability_tags"] = serde_json::json!(["iso13485", "plc-retrofit"]);
    for payload in [two_tags, serde_json::json!([1, 2]), serde_json::json!({})] {
        assert_eq!(
            decode_record("RepRegistered", 2, &payload.to_string()),
            decode("RepRegistered", 2, payload.clone()),
            "{payload}"
        );
    }
}

#[test]
fn stream_ids_follow_the_convention() {
    assert_eq!(
        customer_stream_id(customer_id(1)),
        "customer-00000000-0000-0000-0000-000000002001"
    );
    assert_eq!(
        rep_stream_id(rep_id(1)),
        "rep-00000000-0000-0000-0000-000000001001"
    );
    assert_eq!(
        lead_stream_id(lead_id(1)),
        "lead-00000000-0000-0000-0000-000000003001"
    );
    assert_eq!(
        visit_stream_id(VisitId::from_uuid(uuid(1))),
        "visit-00000000-0000-0000-0000-000000000001"
    );
    assert_eq!(
        nurture_stream_id(NurturePackId::from_uuid(uuid(1))),
        "nurture-00000000-0000-0000-0000-000000000001"
    );
    assert_eq!(
        proposal_stream_id(ProposalId::from_uuid(uuid(1))),
        "proposal-00000000-0000-0000-0000-000000000001"
    );
    assert_eq!(CONFIG_ROUTING_STREAM, "config-routing");
    let registered = customer_registered(1, "宁波精工机械有限公司");
    assert_eq!(registered.stream_id(), customer_stream_id(customer_id(1)));
}

#[test]
fn error_codes_are_stable_snake_case() {
    let samples = [
        DomainError::LeadNotConfirmed { missing: vec![] },
        DomainError::CustomerAlreadyOwned {
            customer_id: customer_id(1),
            owner: rep_id(1),
        },
        DomainError::RepNotAmongCandidates {
            rep_id: rep_id(1),
            candidates: vec![],
        },
        DomainError::NoRoutingProposal,
        DomainError::CapabilityTagCount { count: 2 },
        DomainError::TooManyAttributes { count: 13, max: 12 },
    ];
    let codes: Vec<&str> = samples.iter().map(DomainError::code).collect();
    assert_eq!(
        codes,
        vec![
            "lead_not_confirmed",
            "customer_already_owned",
            "rep_not_proposed",
            "no_routing_proposal",
            "capability_tag_count",
            "too_many_attributes"
        ]
    );
    use salesledger_domain::ErrorKind;
    let kinds: Vec<ErrorKind> = samples.iter().map(DomainError::kind).collect();
    assert_eq!(
        kinds,
        vec![
            ErrorKind::PreconditionFailed,
            ErrorKind::Conflict,
            ErrorKind::Invalid,
            ErrorKind::PreconditionFailed,
            ErrorKind::Invalid,
            ErrorKind::Invalid
        ]
    );
}
