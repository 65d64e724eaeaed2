//! SPEC C5: a customer recorded as "still comparing" gets a nurture pack;
//! each step's sending and the customer's response are events.

use serde_json::{json, Value};
use uuid::Uuid;

use super::support::{spawn_app, stream_uuid, TestApp, REP_A};

/// The NurturePackStarted payload among a command's reaction events, if
/// the gateway reports reactions.
fn started_by_reaction(outcome: &Value) -> Option<Value> {
    outcome["reactions"].as_array().and_then(|events| {
        events
            .iter()
            .find(|event| event["event_type"] == json!("NurturePackStarted"))
            .map(|event| event["payload"].clone())
    })
}

async fn send_and_respond(app: &TestApp, pack_id: Uuid) {
    let sent = app
        .post_json(
            &format!("/v1/nurture-packs/{pack_id}/sent-steps"),
            "rep",
            &json!({"step_index": 0, "channel": "企业微信"}),
        )
        .await;
    sent.ok();
    let event = sent.event("NurtureStepSent");
    assert_eq!(event["step_index"], json!(0));
    assert_eq!(event["kind"], json!("case_video"));
    assert_eq!(event["channel"], json!("企业微信"));

    // A response to a step not sent yet is refused.
    let before = app.log_len();
    let early = app
        .post_json(
            &format!("/v1/nurture-packs/{pack_id}/responses"),
            "rep",
            &json!({"step_index": 1, "response": "opened"}),
        )
        .await;
    early.assert_problem(409, "nurture_step_not_sent");
    // The same step is not sent twice.
    app.post_json(
        &format!("/v1/nurture-packs/{pack_id}/sent-steps"),
        "rep",
        &json!({"step_index": 0, "channel": "email"}),
    )
    .await
    .assert_problem(409, "nurture_step_already_sent");
    assert_eq!(app.log_len(), before);

    let responded = app
        .post_json(
            &format!("/v1/nurture-packs/{pack_id}/responses"),
            "rep",
            &json!({"step_index": 0, "response": "requested_meeting", "note": "Asked for the full third-party test report"}),
        )
        .await;
    responded.ok();
    let event = responded.event("NurtureResponseRecorded");
    assert_eq!(event["response"], json!("requested_meeting"));

    let pack = app.state_of(&format!("/v1/nurture-packs/{pack_id}")).await;
    assert!(!pack["steps"][0]["sent_at"].is_null(), "{pack}");
    assert_eq!(pack["steps"][0]["responses"], json!(["requested_meeting"]));

    let closed = app
        .post_json(
            &format!("/v1/nurture-packs/{pack_id}/close"),
            "rep",
            &json!({"reason": "converted"}),
        )
        .await;
    closed.ok();
    app.post_json(
        &format!("/v1/nurture-packs/{pack_id}/sent-steps"),
        "rep",
        &json!({"step_index": 1, "channel": "email"}),
    )
    .await
    .assert_problem(409, "nurture_pack_closed");
}

#[tokio::test]
async fn still_comparing_on_the_customer_starts_a_nurture_pack() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.reps_customer().await;
    let recorded = app
        .post_json(
            &format!("/v1/customers/{customer_id}/stance"),
            "rep",
            &json!({"stance": "still_comparing"}),
        )
        .await;
    recorded.ok();
    let stance = recorded.event("CustomerStanceRecorded");
    assert_eq!(stance["stance"], json!("still_comparing"));
    assert_eq!(stance["recorded_by"], json!("test.rep"));
    let customer = app.state_of(&format!("/v1/customers/{customer_id}")).await;
    assert_eq!(customer["stance"], json!("still_comparing"));

    // SPEC C5: the pack starts as a consequence of the stance, without a
    // further request.
    let started = started_by_reaction(&recorded.json)
        .unwrap_or_else(|| panic!("no NurturePackStarted reaction: {}", recorded.text));
    assert_eq!(started["customer_id"], json!(customer_id));
    assert_eq!(
        started["trigger"]["source"],
        json!("customer_stance"),
        "{started}"
    );
    assert_eq!(started["template_version"], json!(1));
    let pack_id = Uuid::parse_str(started["pack_id"].as_str().expect("pack_id")).expect("uuid");
    let pack = app.state_of(&format!("/v1/nurture-packs/{pack_id}")).await;
    assert_eq!(pack["customer_id"], json!(customer_id));
    let steps = pack["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 3, "the template's three steps are scheduled");
    send_and_respond(&app, pack_id).await;
}

#[tokio::test]
async fn still_comparing_in_a_visit_extraction_starts_a_nurture_pack() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.reps_customer().await;
    let logged = app
        .post_json(
            "/v1/visits",
            "rep",
            &json!({
                "customer_id": customer_id, "rep_id": REP_A, "channel": "phone",
                "occurred_at": "2027-03-15T10:30:00+08:00",
                "transcript": "他们说再考虑一下, still comparing with 迈瑞."
            }),
        )
        .await;
    assert_eq!(logged.status.as_u16(), 201, "{}", logged.text);
    let visit_id = stream_uuid(&logged);
    assert_eq!(
        logged.event("VisitExtractionProposed")["extraction"]["stance"],
        json!("still_comparing")
    );
    let confirmed = app
        .post_json(
            &format!("/v1/visits/{visit_id}/extraction-confirmation"),
            "rep",
            &json!({"rep_id": REP_A, "competitors": ["Mindray"], "concerns": [], "stance": "still_comparing"}),
        )
        .await;
    confirmed.ok();
    let started = started_by_reaction(&confirmed.json)
        .unwrap_or_else(|| panic!("no NurturePackStarted reaction: {}", confirmed.text));
    assert_eq!(started["customer_id"], json!(customer_id));
    assert_eq!(
        started["trigger"],
        json!({"source": "visit_extraction", "visit_id": visit_id}),
        "{started}"
    );
    assert_eq!(started["steps"].as_array().map(Vec::len), Some(3));
    let pack_id = Uuid::parse_str(started["pack_id"].as_str().expect("pack_id")).expect("uuid");
    send_and_respond(&app, pack_id).await;
}

#[tokio::test]
async fn a_pack_can_also_be_started_explicitly() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.reps_customer().await;
    let started = app
        .post_json(
            "/v1/nurture-packs",
            "marketing",
            &json!({"customer_id": customer_id, "trigger": {"source": "customer_stance"}}),
        )
        .await;
    assert_eq!(started.status.as_u16(), 201, "{}", started.text);
    let event = started.event("NurturePackStarted");
    assert_eq!(event["template_version"], json!(1));
    assert_eq!(event["steps"].as_array().map(Vec::len), Some(3));
    assert_eq!(event["customer_id"], json!(customer_id));
    send_and_respond(&app, stream_uuid(&started)).await;
}

#[tokio::test]
async fn other_stances_start_no_pack() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.reps_customer().await;
    let before = app.log_len();
    let recorded = app
        .post_json(
            &format!("/v1/customers/{customer_id}/stance"),
            "rep",
            &json!({"stance": "ready_to_buy"}),
        )
        .await;
    recorded.ok();
    assert!(
        started_by_reaction(&recorded.json).is_none(),
        "{}",
        recorded.text
    );
    assert_eq!(app.log_len(), before + 1, "only the stance");
}

#[tokio::test]
async fn a_nurture_pack_needs_a_published_template() {
    let app = spawn_app().await;
    let customer_id = app.reps_customer().await;
    let before = app.log_len();
    app.post_json(
        "/v1/nurture-packs",
        "rep",
        &json!({"customer_id": customer_id, "trigger": {"source": "customer_stance"}}),
    )
    .await
    .assert_problem(409, "nurture_template_not_published");
    assert_eq!(app.log_len(), before);
}
