//! Dates at the ends of the calendar, and policy durations that would
//! reach past it: chrono reads years from -262143 to +262142, and adding
//! to a time near either end overflows. No such input may bring the
//! server down: a policy whose duration cannot be added to a time is
//! refused when it is published (422, nothing appended), and a date the
//! domain computes from (a day before the first kept usage day, the
//! Monday of a visit's week, a day's closing instant) never panics.

use serde_json::{json, Value};

use super::support::*;

const FIRST_DAY: &str = "-262143-01-01";
const LAST_DAY: &str = "+262142-12-31";
const FIRST_INSTANT: &str = "-262143-01-01T00:00:00Z";

/// The fixture's health policy as version 2 (version 1 is the default
/// in force from the start).
fn health_policy() -> Value {
    let mut policy: Value =
        serde_json::from_str(include_str!("../fixtures/requests/health-policy.json"))
            .expect("the health policy fixture is JSON");
    policy["version"] = json!(2);
    policy
}

/// The server still answers, and every view that the dates reach still
/// reads (200), once it has folded all that was appended.
async fn assert_still_serving(app: &TestApp, customer_id: uuid::Uuid) {
    app.assert_healthy().await;
    let head = app.log_len();
    let mut views: Vec<String> = [
        "health",
        "risk",
        "funnel",
        "leaderboard",
        "assets",
        "receivables",
        "receivables/task-cards",
        "todos",
    ]
    .iter()
    .map(|view| format!("/v1/views/{view}"))
    .collect();
    views.push("/v1/dashboard/health-trend?days=90".to_owned());
    views.push(format!("/v1/views/health/{customer_id}"));
    views.push(format!("/v1/views/responsibility/customers/{customer_id}"));
    for view in views {
        let separator = if view.contains('?') { '&' } else { '?' };
        let path = format!(
            "{view}{separator}wait_for_position={}",
            head.saturating_sub(1)
        );
        let answer = app.get(&path, "supervisor").await;
        assert_eq!(answer.status.as_u16(), 200, "{path}: {}", answer.text);
    }
}

#[tokio::test]
async fn policy_durations_past_the_calendar_are_refused_when_published() {
    let app = spawn_app().await;
    let before = app.log_len();
    for (field, value) in [
        ("callback_due_hours", json!(4_000_000_000_u32)),
        ("ticket_overdue_hours", json!(4_000_000_000_u32)),
        ("callback_due_hours", json!(24 * 365 + 1)),
    ] {
        let mut policy = health_policy();
        policy[field] = value;
        app.post_json("/v1/config/health-policy", "supervisor", &policy)
            .await
            .assert_problem(422, "invalid_health_policy");
    }
    let mut pool = pool_policy();
    pool["extension_days"] = json!(4_000_000_000_u32);
    app.post_json("/v1/config/pool-policy", "supervisor", &pool)
        .await
        .assert_problem(422, "invalid_rule_set");
    assert_eq!(app.log_len(), before, "a refused policy appends nothing");

    // The largest accepted values are usable: a year of hours, ten years
    // of days.
    let mut policy = health_policy();
    policy["callback_due_hours"] = json!(24 * 365);
    policy["ticket_overdue_hours"] = json!(24 * 365);
    app.post_json("/v1/config/health-policy", "supervisor", &policy)
        .await
        .ok();
    let mut pool = pool_policy();
    pool["extension_days"] = json!(3650);
    app.post_json("/v1/config/pool-policy", "supervisor", &pool)
        .await
        .ok();
    app.assert_healthy().await;
}

#[tokio::test]
async fn dates_at_the_ends_of_the_calendar_never_bring_the_server_down() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.reps_customer().await;
    let account = |route: &str| format!("/v1/customers/{customer_id}/{route}");
    let bodies = [
        (
            account("usage-reports"),
            json!({"days": [{"day": "-262143-01-05", "logins": 1, "key_feature_calls": 3}], "modules_used": ["crm"]}),
        ),
        (
            account("usage-reports"),
            json!({"days": [{"day": FIRST_DAY, "logins": 1, "key_feature_calls": 3}], "last_login_at": FIRST_INSTANT}),
        ),
        (
            account("keyword-searches"),
            json!({"searches": [{"keyword": "西门子", "searched_on": FIRST_DAY, "count": 1}]}),
        ),
        (
            account("success-references"),
            json!({"reference_ref": "CASE-EDGE", "title": "边界", "referenced_on": FIRST_DAY}),
        ),
        (
            account("support-tickets"),
            json!({"action": "open", "ticket_ref": "ZD-EDGE-1", "opened_at": FIRST_INSTANT}),
        ),
        (
            account("support-tickets"),
            json!({"action": "resolve", "ticket_ref": "ZD-EDGE-1", "resolved_at": FIRST_INSTANT}),
        ),
        (
            "/v1/visits".to_owned(),
            json!({
                "customer_id": customer_id, "rep_id": REP_A, "channel": "on_site",
                "occurred_at": FIRST_INSTANT, "transcript": "客户说下周再约，还在比较西门子，交期是关键"
            }),
        ),
    ];
    for (path, body) in &bodies {
        let token = if path.starts_with("/v1/visits") {
            "rep"
        } else {
            "integrator"
        };
        let answer = app.post_json(path, token, body).await;
        assert!(
            answer.status.as_u16() < 500,
            "POST {path} {body} answered {}: {}",
            answer.status,
            answer.text
        );
    }
    for day in [FIRST_DAY, "-262143-01-02", LAST_DAY] {
        let answer = app
            .post_json(&format!("/v1/days/{day}/close"), "supervisor", &json!({}))
            .await;
        assert!(
            answer.status.as_u16() < 500,
            "closing {day} answered {}: {}",
            answer.status,
            answer.text
        );
    }
    assert_still_serving(&app, customer_id).await;
}

/// Views asked about days at the ends of the calendar answer (a 200 or a
/// 4xx problem), never fail: the risk list of a day, a region's digest,
/// and the penetration of a promotion that starts on the first day.
#[tokio::test]
async fn views_asked_about_the_ends_of_the_calendar_answer() {
    let app = spawn_app().await;
    for (path, token, body) in [
        (
            "/v1/stores",
            "regional_supervisor",
            json!({"store": "S0001", "name": "一号店", "region": "east", "format": "direct", "opened_on": FIRST_DAY}),
        ),
        (
            "/v1/skus",
            "marketing",
            json!({"sku": "SKU-NEW-1", "name": "燕麦拿铁", "category": "drinks", "new_product": true}),
        ),
        (
            "/v1/promotions",
            "marketing",
            json!({"sku": "SKU-NEW-1", "name": "上新", "regions": ["east"], "starts_on": FIRST_DAY, "ends_on": "-262143-01-10"}),
        ),
    ] {
        let answer = app.post_json(path, token, &body).await;
        assert_eq!(answer.status.as_u16(), 201, "{path}: {}", answer.text);
    }
    let promotion = app.get("/v1/views/stores/penetration", "supervisor").await;
    assert!(promotion.status.as_u16() < 500, "{}", promotion.text);
    // (`+` in a query is a space: written %2B)
    for day in [FIRST_DAY, &LAST_DAY.replace('+', "%2B")] {
        for view in [
            format!("/v1/views/risk?day={day}"),
            format!("/v1/views/digest/east/{day}"),
            format!("/v1/views/stores/penetration?to={day}"),
            format!("/v1/views/stores/penetration?from={day}&to={day}"),
        ] {
            let answer = app.get(&view, "supervisor").await;
            assert!(
                answer.status.as_u16() < 500,
                "{view} answered {}: {}",
                answer.status,
                answer.text
            );
        }
    }
    app.assert_healthy().await;
}
