//! The account-health requests' rows (`requests/account.rs`): usage,
//! support tickets, renewals, success references, keyword searches,
//! callbacks, rescue plans, renewal quotes.
//!
//! `successes()` (realistic bodies and a check of the command each converts
//! to) and `bad_bodies()` (bodies refused, with the error code and JSON path)
//! are concatenated with the other aggregates' in `tests/mod.rs`.

use super::*;

/// Realistic bodies and a check of the command each converts to.
pub(super) fn successes() -> Vec<Success> {
    vec![
        (
            "ReportUsageRequest",
            json!({
                "days": [
                    {"day": "2027-03-14", "logins": 37, "key_feature_calls": 412},
                    {"day": "2027-03-15", "logins": 0, "key_feature_calls": 0}
                ],
                "modules_used": ["CRM", " reports "],
                "last_login_at": "2027-03-14T17:42:00+08:00"
            }),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::ReportUsage {
                        customer_id,
                        days,
                        modules_used,
                        last_login_at,
                    }) = command
                );
                assert_eq!(customer_id, customer());
                assert_eq!(days.len(), 2);
                assert_eq!(days[0].day, date("2027-03-14"));
                assert_eq!((days[0].logins, days[0].key_feature_calls), (37, 412));
                let modules: Vec<_> = modules_used.iter().map(|m| m.as_str()).collect();
                assert_eq!(modules, ["crm", "reports"]);
                assert_eq!(last_login_at, Some(time("2027-03-14T09:42:00Z")));
            },
        ),
        (
            "RecordSupportTicketRequest",
            json!({"action": "open", "ticket_ref": "ZD-20270315-0042", "opened_at": "2027-03-15T09:12:00+08:00", "subject": "报表导出超时"}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::OpenTicket {
                        ticket_ref,
                        opened_at,
                        subject,
                        ..
                    }) = command
                );
                assert_eq!(ticket_ref.as_str(), "ZD-20270315-0042");
                assert_eq!(opened_at, time("2027-03-15T01:12:00Z"));
                assert_eq!(subject.as_ref().map(|s| s.as_str()), Some("报表导出超时"));
            },
        ),
        (
            "RecordSupportTicketRequest",
            json!({"action": "resolve", "ticket_ref": "ZD-20270315-0042", "resolved_at": "2027-03-15T15:40:00+08:00"}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::ResolveTicket {
                        customer_id,
                        ticket_ref,
                        resolved_at,
                    }) = command
                );
                assert_eq!(customer_id, customer());
                assert_eq!(ticket_ref.as_str(), "ZD-20270315-0042");
                assert_eq!(resolved_at, time("2027-03-15T07:40:00Z"));
            },
        ),
        (
            "SetRenewalRequest",
            json!({"renewal_on": "2027-09-30", "plan": "Enterprise"}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::SetRenewal {
                        renewal_on,
                        plan,
                        ..
                    }) = command
                );
                assert_eq!(renewal_on, date("2027-09-30"));
                assert_eq!(plan.as_str(), "enterprise");
            },
        ),
        (
            "RecordSuccessReferenceRequest",
            json!({"reference_ref": "CASE-2027-017", "title": "瑞康医疗：工单时效提升 40%", "referenced_on": "2027-03-10"}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::RecordSuccessReference {
                        reference_ref,
                        title,
                        referenced_on,
                        ..
                    }) = command
                );
                assert_eq!(reference_ref.as_str(), "CASE-2027-017");
                assert!(title.as_str().starts_with("瑞康医疗"));
                assert_eq!(referenced_on, date("2027-03-10"));
            },
        ),
        (
            "RecordKeywordSearchesRequest",
            json!({"searches": [{"keyword": "西门子", "searched_on": "2027-03-14", "count": 3}, {"keyword": "Mindray", "searched_on": "2027-03-15", "count": 1}]}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::RecordKeywordSearches { searches, .. }) =
                        command
                );
                assert_eq!(searches.len(), 2);
                assert_eq!(searches[1].keyword.as_str(), "mindray");
                assert_eq!(searches[0].count, 3);
            },
        ),
        (
            "CompleteCallbackRequest",
            json!({"note": "客户确认下周安排关键用户培训"}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::CompleteCallback {
                        task_id,
                        note,
                        completed_by,
                        ..
                    }) = command
                );
                assert_eq!(task_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert!(note.is_some());
                assert_eq!(completed_by, actor());
            },
        ),
        (
            "SubmitRescuePlanRequest",
            json!({"plan_id": TODO, "summary": "两周内完成关键用户培训"}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::SubmitRescuePlan {
                        plan_id,
                        summary,
                        submitted_by,
                        ..
                    }) = command
                );
                assert_eq!(plan_id.as_uuid(), uuid(TODO));
                assert_eq!(summary.as_str(), "两周内完成关键用户培训");
                assert_eq!(submitted_by, actor());
            },
        ),
        ("ApproveRescuePlanRequest", json!({}), |command| {
            bind!(
                AnyCommand::Account(AccountCommand::ApproveRescuePlan {
                    plan_id,
                    approved_by,
                    ..
                }) = command
            );
            assert_eq!(plan_id.as_uuid(), Uuid::from_u128(PATH_ID));
            assert_eq!(approved_by, actor());
        }),
        (
            "QuoteRenewalRequest",
            json!({"amount_fen": 38_000_000u64, "valid_until": "2027-04-30"}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::QuoteRenewal {
                        quote_id,
                        amount_fen,
                        valid_until,
                        quoted_by,
                        ..
                    }) = command
                );
                assert_eq!(quote_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(amount_fen, 38_000_000);
                assert_eq!(valid_until, date("2027-04-30"));
                assert_eq!(quoted_by, actor());
            },
        ),
    ]
}

/// Bodies refused, with the error code and the JSON path it names.
#[rustfmt::skip] // one row per line, as a table
pub(super) fn bad_bodies() -> Vec<BadBody> {
    vec![
        // the new inputs
        ("ReportUsageRequest", r#"{"days": [{"day": "2027-03-15", "logins": 1, "key_feature_calls": 2, "sessions": 3}]}"#.to_owned(), "unknown_field", "days[0].sessions"),
        ("ReportUsageRequest", r#"{"days": [{"day": "2027-03-15", "logins": -1, "key_feature_calls": 2}]}"#.to_owned(), "wrong_type", "days[0].logins"),
        ("ReportUsageRequest", r#"{"days": [], "modules_used": ["crm", " "]}"#.to_owned(), "invalid_module_name", "modules_used[1]"),
        ("ReportUsageRequest", r#"{"modules_used": ["crm"]}"#.to_owned(), "missing_field", "days"),
        ("RecordSupportTicketRequest", r#"{"action": "close", "ticket_ref": "T-1"}"#.to_owned(), "wrong_type", "action"),
        ("RecordSupportTicketRequest", r#"{"ticket_ref": "T-1", "opened_at": "2027-03-15T09:12:00Z"}"#.to_owned(), "missing_field", "action"),
        ("RecordSupportTicketRequest", r#"{"action": "resolve", "ticket_ref": "T-1", "opened_at": "2027-03-15T09:12:00Z"}"#.to_owned(), "unknown_field", "opened_at"),
        ("RecordSupportTicketRequest", r#"{"action": "open", "ticket_ref": "T 1", "opened_at": "2027-03-15T09:12:00Z"}"#.to_owned(), "invalid_ticket_ref", "ticket_ref"),
        ("SetRenewalRequest", r#"{"renewal_on": "2027-02-30", "plan": "basic"}"#.to_owned(), "invalid_body", "renewal_on"),
        ("SetRenewalRequest", r#"{"renewal_on": "2027-09-30", "plan": ""}"#.to_owned(), "invalid_plan_name", "plan"),
        ("RecordSuccessReferenceRequest", r#"{"reference_ref": "CASE/1", "title": "t", "referenced_on": "2027-03-10"}"#.to_owned(), "invalid_reference_ref", "reference_ref"),
        ("RecordKeywordSearchesRequest", r#"{"searches": [{"keyword": "siemens", "searched_on": "2027-03-14", "count": 1}, {"keyword": "", "searched_on": "2027-03-14", "count": 1}]}"#.to_owned(), "invalid_keyword", "searches[1].keyword"),
        ("CompleteCallbackRequest", r#"{"completed_by": "someone.else"}"#.to_owned(), "unknown_field", "completed_by"),
        ("SubmitRescuePlanRequest", r#"{"summary": "  "}"#.to_owned(), "invalid_text", "summary"),
        ("ApproveRescuePlanRequest", r#"{"approved_by": "cto"}"#.to_owned(), "unknown_field", "approved_by"),
        ("QuoteRenewalRequest", r#"{"amount_fen": 1.5, "valid_until": "2027-04-30"}"#.to_owned(), "wrong_type", "amount_fen"),
    ]
}

/// Request types that need no field: an empty body is `{}`.
pub(super) const BODYLESS: &[&str] = &["ApproveRescuePlanRequest", "CompleteCallbackRequest"];
