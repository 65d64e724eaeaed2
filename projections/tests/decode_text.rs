//! Every record of a generated history decodes from its text (the fast
//! path of `decode_record` at the current schema version) to the same
//! event as through a `serde_json::Value` (the path upcasts take).

use crate::support;

#[test]
fn every_generated_record_decodes_from_text_as_through_a_value() {
    let records = support::small_history();
    let mut types = std::collections::BTreeSet::new();
    for record in records {
        let text = record.payload.as_str();
        let direct =
            salesledger_domain::decode_record(&record.event_type, record.schema_version, text);
        let value: serde_json::Value = serde_json::from_str(text).expect("stored JSON");
        let through_value =
            salesledger_domain::decode(&record.event_type, record.schema_version, value);
        assert_eq!(direct, through_value, "record {}", record.position);
        assert!(direct.is_ok(), "record {} decodes", record.position);
        types.insert(record.event_type.clone());
    }
    assert!(types.len() >= 20, "many event types: {types:?}");
}
