//! The rep requests' rows (`requests/rep.rs`): registering a rep, changing
//! capability tags, deactivating.
//!
//! `successes()` (realistic bodies and a check of the command each converts
//! to) and `bad_bodies()` (bodies refused, with the error code and JSON path)
//! are concatenated with the other aggregates' in `tests/mod.rs`.

use super::*;

/// Realistic bodies and a check of the command each converts to.
pub(super) fn successes() -> Vec<Success> {
    vec![
        (
            "RegisterRepRequest",
            json!({"display_name": "王晓明", "region": "华东", "capability_tags": ["ISO13485", "tier3-hospital-his", "plc-retrofit"]}),
            |command| {
                bind!(AnyCommand::Rep(RepCommand::Register(register)) = command);
                assert_eq!(register.rep_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(register.display_name.as_str(), "王晓明");
                assert_eq!(register.region.as_str(), "华东");
                let tags: Vec<_> = register
                    .capability_tags
                    .iter()
                    .map(|tag| tag.as_str().to_owned())
                    .collect();
                assert_eq!(tags, ["iso13485", "plc-retrofit", "tier3-hospital-his"]);
            },
        ),
        (
            "RegisterRepRequest",
            json!({"rep_id": REP, "display_name": "Emily Chen", "region": "east-china", "capability_tags": ["automotive-grade-cert", "iatf16949", "plc-retrofit", "mes-integration", "sap-b1"]}),
            |command| {
                bind!(AnyCommand::Rep(RepCommand::Register(register)) = command);
                assert_eq!(register.capability_tags.len(), 5);
                assert_eq!(register.region.as_str(), "east-china");
            },
        ),
        (
            "ChangeRepCapabilitiesRequest",
            json!({"capability_tags": ["iso13485", "automotive-grade-cert", "plc-retrofit", "iatf16949"]}),
            |command| {
                bind!(AnyCommand::Rep(RepCommand::ChangeCapabilities(change)) = command);
                assert_eq!(change.capability_tags.len(), 4);
            },
        ),
        ("DeactivateRepRequest", json!({}), |command| {
            assert!(matches!(
                command,
                AnyCommand::Rep(RepCommand::Deactivate(_))
            ))
        }),
    ]
}

/// Bodies refused, with the error code and the JSON path it names.
#[rustfmt::skip] // one row per line, as a table
pub(super) fn bad_bodies() -> Vec<BadBody> {
    vec![
        // unknown fields, also on empty and nested requests
        ("DeactivateRepRequest", r#"{"reason": "left"}"#.to_owned(), "unknown_field", "reason"),
        // missing fields
        ("RegisterRepRequest", r#"{"display_name": "王晓明", "region": "华东"}"#.to_owned(), "missing_field", "capability_tags"),
        // wrong types
        ("RegisterRepRequest", r#"{"display_name": "A", "region": "R", "capability_tags": ["iso13485", 7, "x"]}"#.to_owned(), "wrong_type", "capability_tags[1]"),
        // invalid values (domain rules)
        ("RegisterRepRequest", r#"{"display_name": "A", "region": "华东", "capability_tags": ["iso13485", "plc-retrofit"]}"#.to_owned(), "capability_tag_count", "capability_tags"),
        ("RegisterRepRequest", r#"{"display_name": "A", "region": "华东", "capability_tags": ["iso13485", "plc-retrofit", "ISO 13485"]}"#.to_owned(), "invalid_capability_tag", "capability_tags[2]"),
        ("ChangeRepCapabilitiesRequest", r#"{"capability_tags": ["iso13485", "ISO13485", "plc-retrofit"]}"#.to_owned(), "invalid_capability_tag", "capability_tags"),
        ("RegisterRepRequest", r#"{"display_name": "  ", "region": "华东", "capability_tags": ["a1", "b2", "c3"]}"#.to_owned(), "invalid_text", "display_name"),
    ]
}

/// Request types that need no field: an empty body is `{}`.
pub(super) const BODYLESS: &[&str] = &["DeactivateRepRequest"];
