//! The visit requests' rows (`requests/visit.rs`): logging a visit,
//! confirming its extraction, completing a to-do.
//!
//! `successes()` (realistic bodies and a check of the command each converts
//! to) and `bad_bodies()` (bodies refused, with the error code and JSON path)
//! are concatenated with the other aggregates' in `tests/mod.rs`.

use super::*;
use salesledger_domain::{customer, visit};

/// Realistic bodies and a check of the command each converts to.
pub(super) fn successes() -> Vec<Success> {
    vec![
        (
            "LogVisitRequest",
            json!({
                "customer_id": CUSTOMER, "rep_id": REP, "channel": "on_site",
                "occurred_at": "2027-03-15T10:30:00+08:00",
                "transcript": "客户说还在比较西门子的方案，预计下个月采购，担心交期。",
                "rep_notes": "Bring delivery commitment letter next time"
            }),
            |command| {
                bind!(AnyCommand::Visit(VisitCommand::Log(log)) = command);
                assert_eq!(log.visit_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(log.channel, visit::VisitChannel::OnSite);
                assert_eq!(log.customer_id.as_uuid(), uuid(CUSTOMER));
                assert_eq!(log.dictionary.version, 1);
                assert!(log.transcript.as_str().contains("西门子"));
            },
        ),
        (
            "ConfirmVisitExtractionRequest",
            json!({
                "rep_id": REP,
                "competitors": ["Siemens"],
                "purchase_window": {"earliest": "2027-04-01", "latest": "2027-04-30", "phrase": "下个月"},
                "concerns": ["交期"],
                "stance": "still_comparing",
                "next_actions": [
                    {"title": "发送交期承诺函", "due_on": "2027-03-20"},
                    {"todo_id": TODO, "title": "Book a demo with the CFO", "due_on": "2027-03-25"}
                ]
            }),
            |command| {
                bind!(AnyCommand::Visit(VisitCommand::ConfirmExtraction(confirm)) = command);
                assert_eq!(confirm.competitors, ["Siemens"]);
                let window = confirm.purchase_window.as_ref().expect("a window");
                assert_eq!(
                    (window.earliest, window.latest),
                    (date("2027-04-01"), date("2027-04-30"))
                );
                assert_eq!(
                    confirm.stance,
                    Some(customer::CustomerStance::StillComparing)
                );
                let todo_ids: Vec<_> = confirm
                    .next_actions
                    .iter()
                    .map(|action| action.todo_id.as_uuid())
                    .collect();
                assert_eq!(todo_ids, [Uuid::from_u128(MINTED_TODO), uuid(TODO)]);
                assert_eq!(confirm.next_actions[0].title.as_str(), "发送交期承诺函");
            },
        ),
        (
            "ConfirmVisitExtractionRequest",
            json!({"rep_id": REP, "competitors": [], "purchase_window": null, "concerns": [], "stance": null}),
            |command| {
                bind!(AnyCommand::Visit(VisitCommand::ConfirmExtraction(confirm)) = command);
                assert_eq!(confirm.purchase_window, None);
                assert!(confirm.next_actions.is_empty());
            },
        ),
        ("CompleteTodoRequest", json!({"rep_id": REP}), |command| {
            bind!(AnyCommand::Visit(VisitCommand::CompleteTodo(complete)) = command);
            assert_eq!(complete.todo_id.as_uuid(), uuid(TODO));
            assert_eq!(complete.rep_id.as_uuid(), uuid(REP));
        }),
    ]
}

/// Bodies refused, with the error code and the JSON path it names.
#[rustfmt::skip] // one row per line, as a table
pub(super) fn bad_bodies() -> Vec<BadBody> {
    vec![
        // unknown fields, also on empty and nested requests
        (
            "ConfirmVisitExtractionRequest",
            format!(r#"{{"rep_id": "{REP}", "competitors": [], "concerns": [], "next_actions": [{{"title": "x", "due_on": "2027-03-20", "priority": 1}}]}}"#),
            "unknown_field",
            "next_actions[0].priority",
        ),
        // invalid values (domain rules)
        (
            "ConfirmVisitExtractionRequest",
            format!(r#"{{"rep_id": "{REP}", "competitors": [], "concerns": [], "purchase_window": {{"earliest": "2027-05-01", "latest": "2027-04-01"}}}}"#),
            "invalid_purchase_window",
            "purchase_window",
        ),
        (
            "ConfirmVisitExtractionRequest",
            format!(r#"{{"rep_id": "{REP}", "competitors": [], "concerns": [], "next_actions": [{{"title": "ok", "due_on": "2027-03-20"}}, {{"title": " ", "due_on": "2027-03-20"}}]}}"#),
            "invalid_text",
            "next_actions[1].title",
        ),
    ]
}
