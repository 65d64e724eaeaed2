//! SPEC C4: a visit's transcript is extracted (competitors, purchase
//! window resolved against the visit's time, concerns); the rep confirms
//! it in one step and next actions become to-dos with due dates.

use serde_json::{json, Value};
use uuid::Uuid;

use super::support::{spawn_app, stream_uuid, TestApp, REP_A, REP_B};

const TRANSCRIPT: &str =
    "客户说还在比较西门子和 Inovance 的方案。Budget is tight, 价格 is a concern; \
预计下个月采购, 担心交期 and the lead time for spare parts.";

async fn log_visit(app: &TestApp, customer_id: Uuid) -> (Uuid, Value) {
    let logged = app
        .post_json(
            "/v1/visits",
            "rep",
            &json!({
                "customer_id": customer_id,
                "rep_id": REP_A,
                "channel": "on_site",
                // 2027-03-15 10:30 in Shanghai: "next month" is April 2027.
                "occurred_at": "2027-03-15T10:30:00+08:00",
                "transcript": TRANSCRIPT,
                "rep_notes": "带了样机"
            }),
        )
        .await;
    assert_eq!(logged.status.as_u16(), 201, "{}", logged.text);
    let visit_id = stream_uuid(&logged);
    (visit_id, logged.event("VisitExtractionProposed").clone())
}

/// A supervisor transfers `customer_id` to rep B (registered here: a
/// customer goes only to a registered rep).
async fn transfer_to_rep_b(app: &TestApp, customer_id: Uuid) {
    app.register_rep(
        REP_B,
        "陈静",
        "华北",
        &["automotive-grade-cert", "plc-retrofit", "robot-cell"],
    )
    .await;
    app.post_json(
        &format!("/v1/customers/{customer_id}/transfer"),
        "supervisor",
        &json!({"to_rep_id": REP_B, "reason": "原负责人调岗"}),
    )
    .await
    .ok();
}

#[tokio::test]
async fn a_mixed_language_transcript_is_extracted() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.reps_customer().await;
    let (visit_id, proposed) = log_visit(&app, customer_id).await;
    assert_eq!(proposed["dictionary_version"], json!(1));
    assert_eq!(proposed["local_date"], json!("2027-03-15"));
    let extraction = &proposed["extraction"];
    assert_eq!(
        extraction["competitors"],
        json!(["Siemens", "汇川"]),
        "{extraction}"
    );
    assert_eq!(
        extraction["concerns"],
        json!(["price", "交期"]),
        "{extraction}"
    );
    assert_eq!(
        extraction["purchase_window"]["earliest"],
        json!("2027-04-01"),
        "{extraction}"
    );
    assert_eq!(
        extraction["purchase_window"]["latest"],
        json!("2027-04-30"),
        "{extraction}"
    );
    assert_eq!(extraction["stance"], json!("still_comparing"));

    let visit = app.state_of(&format!("/v1/visits/{visit_id}")).await;
    assert_eq!(visit["proposed_extraction"], *extraction);
    assert!(visit["confirmed_extraction"].is_null());
}

#[tokio::test]
async fn a_rep_logs_visits_only_as_themselves_and_needs_a_dictionary() {
    let app = spawn_app().await;
    let customer_id = app.reps_customer().await;
    let body = json!({
        "customer_id": customer_id, "rep_id": REP_A, "channel": "phone",
        "occurred_at": "2027-03-15T10:30:00+08:00", "transcript": "Call about Q3 budget"
    });
    let before = app.log_len();
    let refused = app.post_json("/v1/visits", "rep", &body).await;
    refused.assert_problem(409, "extraction_dictionary_not_published");
    assert!(
        refused.json["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("publish one with POST /v1/config/extraction-dictionary"),
        "{}",
        refused.text
    );
    app.seed_config().await;
    let before_config = app.log_len();
    assert!(before_config > before);
    app.post_json("/v1/visits", "rep_b", &body)
        .await
        .assert_problem(403, "not_own_rep");
    // A visit in the future (the gateway's clock is 2027-03-16 10:00
    // local): more than the margin (10 minutes) ahead, refused naming the
    // field; within it, the visit's own rule (not after now) refuses it.
    let mut future = body.clone();
    future["occurred_at"] = json!("2027-03-17T10:30:00+08:00");
    let refused = app.post_json("/v1/visits", "rep", &future).await;
    refused.assert_problem(422, "time_in_future");
    assert_eq!(refused.json["field"], json!("occurred_at"));
    future["occurred_at"] = json!("2027-03-16T10:05:00+08:00");
    app.post_json("/v1/visits", "rep", &future)
        .await
        .assert_problem(422, "occurs_in_future");
    assert_eq!(app.log_len(), before_config, "nothing appended");
}

#[tokio::test]
async fn confirming_the_extraction_creates_todos_that_can_be_completed() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.reps_customer().await;
    let (visit_id, _) = log_visit(&app, customer_id).await;
    let confirm = format!("/v1/visits/{visit_id}/extraction-confirmation");
    let body = json!({
        "rep_id": REP_A,
        "competitors": ["Siemens", "汇川"],
        "purchase_window": {"earliest": "2027-04-01", "latest": "2027-04-30", "phrase": "下个月"},
        "concerns": ["交期", "price"],
        "stance": "still_comparing",
        "next_actions": [
            {"title": "发送交期承诺函", "due_on": "2027-03-20"},
            {"title": "Send the price comparison vs Siemens", "due_on": "2027-03-22"}
        ]
    });

    // Due dates before the visit are refused; another rep cannot confirm.
    let before = app.log_len();
    let mut early = body.clone();
    early["next_actions"][0]["due_on"] = json!("2027-03-01");
    app.post_json(&confirm, "rep", &early)
        .await
        .assert_problem(422, "due_before_visit");
    let by_other = app
        .post_json(
            &confirm,
            "rep_b",
            &json!({
                "rep_id": REP_B, "competitors": [], "concerns": []
            }),
        )
        .await;
    assert_eq!(by_other.status.as_u16(), 403, "{}", by_other.text);
    assert_eq!(app.log_len(), before, "nothing appended");

    let confirmed = app.post_json(&confirm, "rep", &body).await;
    confirmed.ok();
    let extraction = confirmed.event("VisitExtractionConfirmed");
    assert_eq!(extraction["rep_id"], json!(REP_A));
    assert_eq!(
        extraction["extraction"]["competitors"],
        json!(["Siemens", "汇川"])
    );
    let todos: Vec<&Value> = confirmed.json["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["event_type"] == json!("TodoCreated"))
        .map(|event| &event["payload"])
        .collect();
    assert_eq!(todos.len(), 2, "{}", confirmed.text);
    assert_eq!(todos[0]["title"], json!("发送交期承诺函"));
    assert_eq!(todos[0]["due_on"], json!("2027-03-20"));
    assert_eq!(todos[0]["rep_id"], json!(REP_A));
    assert_eq!(todos[0]["customer_id"], json!(customer_id));
    assert_eq!(todos[1]["due_on"], json!("2027-03-22"));

    // Confirmed once only.
    let before = app.log_len();
    app.post_json(&confirm, "rep", &body)
        .await
        .assert_problem(409, "extraction_already_confirmed");
    assert_eq!(app.log_len(), before);

    let todo_id = todos[0]["todo_id"].as_str().expect("todo_id");
    let complete = format!("/v1/visits/{visit_id}/todos/{todo_id}/completion");
    // Rep B may not act on rep A's customer's visit (whoever the body names).
    app.post_json(&complete, "rep_b", &json!({"rep_id": REP_A}))
        .await
        .assert_problem(403, "not_customer_owner");
    let done = app
        .post_json(&complete, "rep", &json!({"rep_id": REP_A}))
        .await;
    done.ok();
    let completed = done.event("TodoCompleted");
    assert_eq!(completed["todo_id"], json!(todo_id));
    assert_eq!(completed["overdue"], json!(false));
    app.post_json(&complete, "rep", &json!({"rep_id": REP_A}))
        .await
        .assert_problem(409, "todo_already_completed");
    let unknown = format!("/v1/visits/{visit_id}/todos/{}/completion", Uuid::now_v7());
    app.post_json(&unknown, "rep", &json!({"rep_id": REP_A}))
        .await
        .assert_problem(404, "todo_not_found");

    let visit = app.state_of(&format!("/v1/visits/{visit_id}")).await;
    assert!(
        !visit["todos"][todo_id]["completed_at"].is_null(),
        "{visit}"
    );
}

#[tokio::test]
async fn a_rep_cannot_confirm_another_reps_visit_by_naming_that_rep() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.reps_customer().await;
    let (visit_id, _) = log_visit(&app, customer_id).await;
    // The customer moves to rep B, so the ownership check lets rep B act
    // on it: what is left to refuse is rep B naming rep A.
    transfer_to_rep_b(&app, customer_id).await;
    let before = app.log_len();
    // The token is rep B's; the body names rep A, the visit's rep.
    let answer = app
        .post_json(
            &format!("/v1/visits/{visit_id}/extraction-confirmation"),
            "rep_b",
            &json!({"rep_id": REP_A, "competitors": [], "concerns": []}),
        )
        .await;
    answer.assert_problem(403, "not_own_rep");
    assert_eq!(app.log_len(), before, "nothing appended");
}

#[tokio::test]
async fn only_the_visits_rep_completes_its_todos() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.reps_customer().await;
    let (visit_id, _) = log_visit(&app, customer_id).await;
    let confirmed = app
        .post_json(
            &format!("/v1/visits/{visit_id}/extraction-confirmation"),
            "rep",
            &json!({"rep_id": REP_A, "competitors": [], "concerns": [],
                    "next_actions": [{"title": "发送交期承诺函", "due_on": "2027-03-20"}]}),
        )
        .await;
    confirmed.ok();
    let todo_id = confirmed.event("TodoCreated")["todo_id"]
        .as_str()
        .expect("todo_id")
        .to_owned();
    // The customer moves to rep B (so ownership lets rep B act on it); the
    // to-do is still the visit's rep's, rep A's.
    transfer_to_rep_b(&app, customer_id).await;
    let before = app.log_len();
    // Rep B, acting as themselves, on rep A's to-do.
    let answer = app
        .post_json(
            &format!("/v1/visits/{visit_id}/todos/{todo_id}/completion"),
            "rep_b",
            &json!({"rep_id": REP_B}),
        )
        .await;
    answer.assert_problem(403, "not_visit_rep");
    assert_eq!(app.log_len(), before, "nothing appended");
}
