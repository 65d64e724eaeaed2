//! The nurture requests' rows (`requests/nurture.rs`): starting a pack,
//! recording steps sent and responses, closing it.
//!
//! `successes()` (realistic bodies and a check of the command each converts
//! to) and `bad_bodies()` (bodies refused, with the error code and JSON path)
//! are concatenated with the other aggregates' in `tests/mod.rs`.

use super::*;
use salesledger_domain::nurture;

/// Realistic bodies and a check of the command each converts to.
pub(super) fn successes() -> Vec<Success> {
    vec![
        (
            "StartNurturePackRequest",
            json!({"customer_id": CUSTOMER, "trigger": {"source": "visit_extraction", "visit_id": VISIT}}),
            |command| {
                bind!(AnyCommand::Nurture(NurtureCommand::Start(start)) = command);
                assert_eq!(start.pack_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(
                    start.trigger,
                    nurture::NurtureTrigger::VisitExtraction {
                        visit_id: VisitId::from_uuid(uuid(VISIT))
                    }
                );
                assert_eq!(start.template, NurtureTemplate::default_v1());
            },
        ),
        (
            "StartNurturePackRequest",
            json!({"customer_id": CUSTOMER, "trigger": {"source": "customer_stance"}}),
            |command| {
                bind!(AnyCommand::Nurture(NurtureCommand::Start(start)) = command);
                assert_eq!(start.trigger, nurture::NurtureTrigger::CustomerStance);
            },
        ),
        (
            "RecordNurtureStepSentRequest",
            json!({"step_index": 0, "channel": "企业微信"}),
            |command| {
                bind!(AnyCommand::Nurture(NurtureCommand::RecordStepSent(sent)) = command);
                assert_eq!(sent.step_index, 0);
                assert_eq!(sent.channel.as_str(), "企业微信");
            },
        ),
        (
            "RecordNurtureResponseRequest",
            json!({"step_index": 1, "response": "requested_meeting", "note": "Asked for the full third-party test report"}),
            |command| {
                bind!(AnyCommand::Nurture(NurtureCommand::RecordResponse(response)) = command);
                assert_eq!(response.step_index, 1);
                assert_eq!(
                    response.response,
                    nurture::NurtureResponse::RequestedMeeting
                );
            },
        ),
        (
            "CloseNurturePackRequest",
            json!({"reason": "converted"}),
            |command| {
                bind!(AnyCommand::Nurture(NurtureCommand::Close(close)) = command);
                assert_eq!(close.reason, nurture::NurtureCloseReason::Converted);
            },
        ),
    ]
}

/// Bodies refused, with the error code and the JSON path it names.
#[rustfmt::skip] // one row per line, as a table
pub(super) fn bad_bodies() -> Vec<BadBody> {
    vec![
        // unknown fields, also on empty and nested requests
        (
            "StartNurturePackRequest",
            format!(r#"{{"customer_id": "{CUSTOMER}", "trigger": {{"source": "customer_stance", "extra": 1}}}}"#),
            "unknown_field",
            "trigger.extra",
        ),
        // missing fields
        ("StartNurturePackRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "trigger": {{"source": "visit_extraction"}}}}"#), "missing_field", "trigger.visit_id"),
        // wrong types
        ("RecordNurtureStepSentRequest", r#"{"step_index": -1, "channel": "email"}"#.to_owned(), "wrong_type", "step_index"),
        ("RecordNurtureStepSentRequest", r#"{"step_index": "0", "channel": "email"}"#.to_owned(), "wrong_type", "step_index"),
        ("CloseNurturePackRequest", r#"{"reason": "bored"}"#.to_owned(), "wrong_type", "reason"),
        ("StartNurturePackRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "trigger": {{"source": "phone_call"}}}}"#), "wrong_type", "trigger.source"),
    ]
}
