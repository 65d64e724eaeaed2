//! Customer health over HTTP (SPEC C7, C8): the inputs posted to the
//! account routes, days closed with `POST /v1/days/{date}/close`, and the
//! health and risk views read with read-your-writes.
//!
//! Scores under the default policy v1 (see projections/tests/health.rs):
//! one active day and no calls give usage 1/20 -> 500 -> 150, tickets
//! (none) 2000: 2150, red; 20 active days with 160 key-feature calls give
//! 3000 + 2000 + 2000 = 7000, yellow (the boundary).

use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};
use uuid::Uuid;

use super::support::*;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

/// `n` consecutive usage days ending on `last`, one login and `calls`
/// key-feature calls each.
fn usage(last: &str, n: i64, calls: u32) -> Value {
    let last = day(last);
    let days: Vec<Value> = (0..n)
        .map(|offset| {
            json!({"day": last - Duration::days(n - 1 - offset), "logins": 1, "key_feature_calls": calls})
        })
        .collect();
    json!({"days": days, "modules_used": ["crm"], "last_login_at": "2027-03-15T09:30:00+08:00"})
}

async fn customer(app: &TestApp, company: &str) -> Uuid {
    app.register_customer(
        json!({"company_name": company, "attributes": {"industry": "制造", "region": "华东"}}),
    )
    .await
}

async fn report_usage(app: &TestApp, customer_id: Uuid, body: &Value) {
    app.post_json(
        &format!("/v1/customers/{customer_id}/usage-reports"),
        "integrator",
        body,
    )
    .await
    .ok();
}

/// Closes a day as the supervisor; returns the outcome's `last_position`.
async fn close(app: &TestApp, date: &str) -> (u64, Answer) {
    let answer = app
        .post_json(&format!("/v1/days/{date}/close"), "supervisor", &json!({}))
        .await;
    answer.ok();
    let position = answer.json["last_position"]
        .as_u64()
        .unwrap_or_else(|| panic!("no last_position in {}", answer.text));
    (position, answer)
}

/// `GET path` with `wait_for_position`; asserts the view reflects it.
async fn view_at(app: &TestApp, path: &str, position: u64) -> Value {
    let separator = if path.contains('?') { '&' } else { '?' };
    let answer = app
        .get(
            &format!("{path}{separator}wait_for_position={position}&timeout_ms=10000"),
            "auditor",
        )
        .await;
    let body = answer.ok().clone();
    let reflected = body["position"].as_u64().expect("a position");
    assert!(reflected >= position, "{reflected} < {position}");
    body["data"].clone()
}

fn event_types(answer: &Answer) -> Vec<String> {
    answer.event_types()
}

#[track_caller]
fn assert_breakdown_sums(breakdown: &Value) {
    let sum: u64 = breakdown["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .map(|indicator| indicator["contribution_bp"].as_u64().expect("contribution"))
        .sum();
    assert_eq!(Some(sum), breakdown["score_bp"].as_u64(), "{breakdown}");
}

#[tokio::test]
async fn red_freezes_renewal_quoting_until_a_cto_approves_a_rescue_plan() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = customer(&app, "宁波红星设备有限公司").await;
    report_usage(&app, customer_id, &usage("2027-03-15", 1, 0)).await;

    // Before any close there is no health yet.
    let written = app.log_len() - 1;
    app.get(
        &format!("/v1/views/health/{customer_id}?wait_for_position={written}"),
        "auditor",
    )
    .await
    .assert_problem(404, "not_found");

    let (closed, answer) = close(&app, "2027-03-15").await;
    let types = event_types(&answer);
    assert!(
        types.contains(&"HealthLevelChanged".to_owned())
            && types.contains(&"RenewalQuotingFrozen".to_owned()),
        "{types:?}"
    );
    assert_eq!(answer.event("HealthLevelChanged")["to"], json!("red"));

    let quote = json!({"amount_fen": 38_000_000u64, "valid_until": "2027-04-30"});
    let quotes = format!("/v1/customers/{customer_id}/renewal-quotes");
    let before = app.log_len();
    app.post_json(&quotes, "csm", &quote)
        .await
        .assert_problem(409, "renewal_quoting_frozen");
    assert_eq!(app.log_len(), before, "a refused quote appends nothing");

    let health = view_at(&app, &format!("/v1/views/health/{customer_id}"), closed).await;
    assert_eq!(health["breakdown"]["score_bp"], json!(2150));
    assert_eq!(health["breakdown"]["level"], json!("red"));
    assert_breakdown_sums(&health["breakdown"]);
    assert_eq!(health["frozen"], json!(true));
    assert_eq!(health["frozen_since"], json!("2027-03-15"));

    let plan_id = Uuid::now_v7();
    app.post_json(
        &format!("/v1/customers/{customer_id}/rescue-plans"),
        "csm",
        &json!({"plan_id": plan_id, "summary": "两周内完成关键用户培训，CTO 牵头处理报表性能问题"}),
    )
    .await
    .ok();
    let approval = format!("/v1/customers/{customer_id}/rescue-plans/{plan_id}/approval");
    app.post_json(&approval, "supervisor", &json!({}))
        .await
        .assert_problem(403, "forbidden");
    app.post_json(&quotes, "csm", &quote)
        .await
        .assert_problem(409, "renewal_quoting_frozen");
    let approved = app.post_json(&approval, "cto", &json!({})).await;
    approved.ok();
    assert_eq!(
        event_types(&approved),
        ["RescuePlanApproved", "RenewalQuotingUnfrozen"]
    );
    let quoted = app.post_json(&quotes, "csm", &quote).await;
    quoted.ok();
    assert_eq!(
        quoted.event("RenewalQuoted")["amount_fen"],
        json!(38_000_000u64)
    );

    let written = app.log_len() - 1;
    let health = view_at(&app, &format!("/v1/views/health/{customer_id}"), written).await;
    assert_eq!(health["frozen"], json!(false));
    assert_eq!(health["freezes"][0]["unfrozen_by_plan"], json!(plan_id));
    assert_eq!(
        health["rescue_plans"][0]["approved_by"],
        json!("test.cto"),
        "{health}"
    );
    assert_eq!(health["history"][0]["to"], json!("red"));
    assert_eq!(health["company_name"], json!("宁波红星设备有限公司"));

    // The risk list of the day: the red customer with its kinds and scripts.
    let risk = view_at(&app, "/v1/views/risk", closed).await;
    assert_eq!(risk["day"], json!("2027-03-15"));
    let entry = &risk["customers"][0];
    assert_eq!(entry["customer_id"], json!(customer_id));
    assert_eq!(entry["region"], json!("华东"));
    assert_eq!(
        entry["core_modules_never_used"],
        json!(["api", "mobile", "reports", "workflow"])
    );
    let kinds: Vec<&str> = entry["risks"]
        .as_array()
        .expect("risks")
        .iter()
        .map(|risk| risk["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        ["low_usage", "low_module_usage", "low_key_feature_use"]
    );
    assert!(entry["risks"][1]["script"]
        .as_str()
        .is_some_and(|script| script.contains("activation guide")));
}

#[tokio::test]
async fn yellow_callbacks_are_met_or_missed_by_day_closes() {
    let app = spawn_app().await;
    app.seed_config().await;
    let met = customer(&app, "苏州黄河机械有限公司").await;
    let missed = customer(&app, "无锡橙子电子有限公司").await;
    for customer_id in [met, missed] {
        report_usage(&app, customer_id, &usage("2027-03-15", 20, 8)).await;
    }
    // Closes at 2027-03-15T16:00Z; the call-backs are due 48 h later.
    let (_, answer) = close(&app, "2027-03-15").await;
    let created: Vec<&Value> = answer.json["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["event_type"] == json!("CallbackTaskCreated"))
        .collect();
    assert_eq!(created.len(), 2, "{}", answer.text);
    assert_eq!(
        created[0]["payload"]["due_at"],
        json!("2027-03-17T16:00:00Z")
    );
    let task_of = |customer_id: Uuid| {
        created
            .iter()
            .find(|event| event["payload"]["customer_id"] == json!(customer_id))
            .map(|event| event["payload"]["task_id"].clone())
            .expect("a task per customer")
    };
    let met_task = task_of(met);
    let met_task = met_task.as_str().expect("task id");

    // The CSM calls back before the due time (now is 2027-03-16T02:00Z).
    let completed = app
        .post_json(
            &format!("/v1/customers/{met}/callbacks/{met_task}/completion"),
            "csm",
            &json!({"note": "客户确认下周安排关键用户培训"}),
        )
        .await;
    completed.ok();
    assert_eq!(completed.event("CallbackTaskCompleted")["met"], json!(true));

    // The next close is before the due time: nothing missed yet.
    app.set_now(at("2027-03-16T17:00:00Z"));
    let (_, answer) = close(&app, "2027-03-16").await;
    assert!(!event_types(&answer).contains(&"CallbackTaskMissed".to_owned()));
    // The close of 2027-03-17 is exactly the due time: missed.
    app.set_now(at("2027-03-17T17:00:00Z"));
    let (closed, answer) = close(&app, "2027-03-17").await;
    assert_eq!(
        answer.event("CallbackTaskMissed")["customer_id"],
        json!(missed)
    );

    let health = view_at(&app, &format!("/v1/views/health/{met}"), closed).await;
    assert_eq!(health["callback_tasks"][0]["status"], json!("met"));
    assert_eq!(health["breakdown"]["score_bp"], json!(7000));
    assert_eq!(health["breakdown"]["level"], json!("yellow"));
    assert_breakdown_sums(&health["breakdown"]);
    let health = view_at(&app, &format!("/v1/views/health/{missed}"), closed).await;
    assert_eq!(health["callback_tasks"][0]["status"], json!("missed"));
    assert_eq!(
        health["callback_tasks"][0]["missed_on"],
        json!("2027-03-17")
    );
    assert_eq!(
        health["daily"],
        json!([{"day": "2027-03-15", "score_bp": 7000, "level": "yellow", "policy_version": 1}]),
        "one daily entry: nothing changed on later days"
    );

    // The list, sorted by customer id.
    let list = view_at(&app, "/v1/views/health", closed).await;
    let mut expected = vec![met.to_string(), missed.to_string()];
    expected.sort();
    let ids: Vec<&str> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|line| line["customer_id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ids, expected);
    assert!(list.as_array().expect("list").iter().all(|line| {
        line["score_bp"] == json!(7000)
            && line["level"] == json!("yellow")
            && line["policy_version"] == json!(1)
            && line["frozen"] == json!(false)
    }));

    // The risk list of any closed day; the last one by default.
    let latest = view_at(&app, "/v1/views/risk", closed).await;
    assert_eq!(latest["day"], json!("2027-03-17"));
    assert_eq!(latest["customers"].as_array().map(Vec::len), Some(2));
    let first = view_at(&app, "/v1/views/risk?day=2027-03-15", closed).await;
    assert_eq!(first["day"], json!("2027-03-15"));
    app.get("/v1/views/risk?day=2027-03-01", "auditor")
        .await
        .assert_problem(404, "not_found");
    app.get("/v1/views/risk?day=2027-02-30", "auditor")
        .await
        .assert_problem(400, "invalid_query");
    app.get("/v1/views/risk?day=2027-03-15&top=3", "auditor")
        .await
        .assert_problem(400, "invalid_query");
    app.get("/v1/views/health?top=3", "auditor")
        .await
        .assert_problem(400, "invalid_query");

    // Paged: one customer a page, the same rows in the same order.
    let (paged, pages) = app
        .read_pages("/v1/views/health", "auditor", 1, closed)
        .await;
    assert_eq!(&paged, list.as_array().expect("list"));
    assert_eq!(pages, 2);
    let (paged, pages) = app
        .read_pages("/v1/views/health", "auditor", 100, closed)
        .await;
    assert_eq!((paged.len(), pages), (2, 1));
    for (query, code) in [
        ("limit=0", "invalid_query"),
        ("limit=1001", "invalid_query"),
        ("cursor=zz", "invalid_cursor"),
        ("cursor=00", "invalid_cursor"),
    ] {
        app.get(&format!("/v1/views/health?{query}"), "auditor")
            .await
            .assert_problem(400, code);
    }
    app.get(&format!("/v1/views/health/{}", Uuid::now_v7()), "auditor")
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn waiting_for_a_position_not_yet_written_times_out() {
    let app = spawn_app().await;
    let beyond = app.log_len() + 10;
    app.get(
        &format!("/v1/views/risk?wait_for_position={beyond}&timeout_ms=50"),
        "auditor",
    )
    .await
    .assert_problem(503, "view_not_caught_up");
    app.get(
        &format!("/v1/views/health?wait_for_position={beyond}&timeout_ms=50"),
        "auditor",
    )
    .await
    .assert_problem(503, "view_not_caught_up");
}

/// A close cut short after its `DayClosed` (a crash, a failed step)
/// leaves the day closed with its decisions unmade: the scheduler's next
/// tick closes that day again first and appends what was left undone,
/// once.
#[tokio::test]
async fn a_close_cut_short_is_completed_by_the_schedulers_next_tick() {
    use salesledger::scheduler::{close_due_days, scheduler_principal};
    use salesledger_commands::CommandMeta;
    use salesledger_domain::calendar::{Calendar, CalendarCommand};
    use salesledger_domain::stream::CALENDAR_STREAM;

    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = customer(&app, "宁波红星设备有限公司").await;
    report_usage(&app, customer_id, &usage("2027-03-15", 1, 0)).await;

    // The 15th's DayClosed alone, as a crash right after it leaves it.
    let service = app.state.service.clone();
    let principal = scheduler_principal().expect("principal");
    let now = default_now();
    let day = day("2027-03-15");
    let closes_at = service
        .pool_policy()
        .await
        .expect("policy")
        .day_closes_at(day);
    service
        .execute::<Calendar>(
            &CommandMeta::new(principal.clone(), now),
            CALENDAR_STREAM,
            CalendarCommand::CloseDay { day, closes_at },
        )
        .await
        .expect("the DayClosed");
    assert_eq!(
        service.last_closed_day().await.expect("calendar"),
        Some(day)
    );

    let mut unfinished = salesledger::scheduler::Unfinished::default();
    let ticked = close_due_days(&service, &principal, now, 31, &mut unfinished)
        .await
        .expect("a tick");
    assert_eq!(ticked.len(), 1, "only the 15th is over: {ticked:?}");
    let outcome = &ticked[0];
    assert_eq!(outcome.day, day);
    assert!(!outcome.newly_closed);
    let types: Vec<&str> = outcome
        .events
        .iter()
        .map(|event| event.event_type.as_str())
        .collect();
    assert!(
        types.contains(&"HealthLevelChanged") && types.contains(&"RenewalQuotingFrozen"),
        "{types:?}"
    );
    assert_eq!(unfinished.days().count(), 0, "finished");

    // Done: the next tick appends nothing, and closing the day yet again
    // (as a restarted scheduler does) decides nothing twice.
    let before = app.log_len();
    let again = close_due_days(&service, &principal, now, 31, &mut unfinished)
        .await
        .expect("a tick");
    assert!(again.is_empty(), "{again:?}");
    let restarted = close_due_days(
        &service,
        &principal,
        now,
        31,
        &mut salesledger::scheduler::Unfinished::default(),
    )
    .await
    .expect("a first tick");
    assert!(restarted.is_empty(), "{restarted:?}");
    assert_eq!(app.log_len(), before);
}
