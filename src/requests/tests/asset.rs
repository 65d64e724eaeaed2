//! The process-asset request's rows (`requests/asset.rs`).
//!
//! `successes()` (realistic bodies and a check of the command each converts
//! to) and `bad_bodies()` (bodies refused, with the error code and JSON path)
//! are concatenated with the other aggregates' in `tests/mod.rs`.

use super::*;
use salesledger_domain::asset;

/// Realistic bodies and a check of the command each converts to.
pub(super) fn successes() -> Vec<Success> {
    vec![(
        "RecordProcessAssetRequest",
        json!({"customer_id": CUSTOMER, "rep_id": REP, "kind": "objection_answer", "title": "交期顾虑的标准答复"}),
        |command| {
            bind!(
                AnyCommand::Asset(ProcessAssetCommand::RecordProcessAsset {
                    asset_id,
                    rep_id,
                    kind,
                    title,
                    ..
                }) = command
            );
            assert_eq!(asset_id.as_uuid(), Uuid::from_u128(PATH_ID));
            assert_eq!(rep_id.as_uuid(), uuid(REP));
            assert_eq!(kind, asset::ProcessAssetKind::ObjectionAnswer);
            assert_eq!(title.as_str(), "交期顾虑的标准答复");
        },
    )]
}

/// Bodies refused, with the error code and the JSON path it names.
#[rustfmt::skip] // one row per line, as a table
pub(super) fn bad_bodies() -> Vec<BadBody> {
    vec![
        // the new inputs
        ("RecordProcessAssetRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "rep_id": "{REP}", "kind": "slide_deck", "title": "t"}}"#), "wrong_type", "kind"),
    ]
}
