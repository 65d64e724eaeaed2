//! `Idempotency-Key`: a retried request returns the original response and
//! appends nothing; the same key with another body is a 422.

use serde_json::{json, Value};

use super::support::{spawn_app, Answer, TestApp, REP_A};

/// The body without the `replayed` flag.
fn comparable(answer: &Answer) -> Value {
    let mut body = answer.json.clone();
    if let Some(object) = body.as_object_mut() {
        object.remove("replayed");
    }
    body
}

async fn send_with_key(app: &TestApp, path: &str, token: &str, body: &Value, key: &str) -> Answer {
    app.send_json(
        "POST",
        path,
        app.token(token),
        body,
        &[("idempotency-key", key)],
    )
    .await
}

/// Sends `body` twice under `key`: the retry replays the first answer and
/// appends nothing.
async fn assert_replayed(
    app: &TestApp,
    path: &str,
    token: &str,
    body: &Value,
    key: &str,
) -> Answer {
    let first = send_with_key(app, path, token, body, key).await;
    first.ok();
    assert!(first.headers.get("idempotent-replayed").is_none());
    assert_eq!(first.json["replayed"], json!(false));
    let after_first = app.log_len();
    let retry = send_with_key(app, path, token, body, key).await;
    assert_eq!(retry.status, first.status, "{}", retry.text);
    assert_eq!(
        retry
            .headers
            .get("idempotent-replayed")
            .map(|v| v.to_str().ok()),
        Some(Some("true")),
        "{path}"
    );
    assert_eq!(retry.json["replayed"], json!(true));
    assert_eq!(comparable(&retry), comparable(&first), "{path}");
    assert_eq!(
        retry.headers.get("location"),
        first.headers.get("location"),
        "{path}: the replayed Location is the original one"
    );
    assert_eq!(app.log_len(), after_first, "{path}: nothing appended");
    first
}

#[tokio::test]
async fn a_retried_creation_appends_nothing() {
    let app = spawn_app().await;
    app.seed_config().await;
    let body = json!({"company_name": "上海瑞康医疗器械有限公司", "contact_email": "purchasing@ruikang-med.cn"});
    let first = assert_replayed(
        &app,
        "/v1/customers",
        "supervisor",
        &body,
        "register-ruikang-1",
    )
    .await;
    assert_eq!(first.status.as_u16(), 201);

    // The same key with another body is refused.
    let before = app.log_len();
    send_with_key(
        &app,
        "/v1/customers",
        "supervisor",
        &json!({"company_name": "另一家公司"}),
        "register-ruikang-1",
    )
    .await
    .assert_problem(422, "idempotency_key_reused");
    // So is the same key and body on another route.
    send_with_key(&app, "/v1/leads", "marketing", &body, "register-ruikang-1")
        .await
        .assert_problem(409, "duplicate_record");
    assert_eq!(app.log_len(), before, "nothing appended");
}

#[tokio::test]
async fn retried_commands_on_every_pipeline_path_append_nothing() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.hospital_customer().await;
    // run_with_registry (claim), run (tracking consent), run_creation
    // without a client id (proposal), run_async (link open).
    assert_replayed(
        &app,
        &format!("/v1/customers/{customer_id}/claim"),
        "rep",
        &json!({"rep_id": REP_A}),
        "claim-1",
    )
    .await;
    assert_replayed(
        &app,
        &format!("/v1/customers/{customer_id}/tracking-consent"),
        "rep",
        &json!({"consent_text": "同意记录打开时间"}),
        "consent-1",
    )
    .await;
    let created = app
        .post_json(
            "/v1/proposals",
            "rep",
            &json!({"customer_id": customer_id, "contact_email": "purchasing@ruikang-med.cn", "title": "方案 v1"}),
        )
        .await;
    created.ok();
    let proposal = created.json["stream_id"].as_str().expect("stream_id");
    let proposal_id = proposal.trim_start_matches("proposal-");
    app.set_now(super::support::at("2027-03-16T03:00:00Z"));
    assert_replayed(
        &app,
        &format!("/v1/proposals/{proposal_id}/link-opens"),
        "integrator",
        &json!({"opened_at": "2027-03-16T02:30:00Z", "ip_address": "116.228.111.18", "coarse_location": "上海市"}),
        "open-1",
    )
    .await;
}

#[tokio::test]
async fn keys_are_scoped_to_the_caller() {
    let app = spawn_app().await;
    let customer_id = app.reps_customer().await;
    let path = format!("/v1/customers/{customer_id}/stance");
    let body = json!({"stance": "ready_to_buy"});
    let first = send_with_key(&app, &path, "rep", &body, "stance-1").await;
    first.ok();
    let before = app.log_len();
    // Another caller with the same key and body is a new command (a CSM:
    // another rep may not record the stance of rep A's customer).
    let other = send_with_key(&app, &path, "csm", &body, "stance-1").await;
    other.ok();
    assert!(other.headers.get("idempotent-replayed").is_none());
    assert_eq!(
        other.event("CustomerStanceRecorded")["recorded_by"],
        json!("test.csm")
    );
    assert!(app.log_len() > before);
}

#[tokio::test]
async fn a_retried_creation_without_a_client_id_replays_the_original_location() {
    let app = spawn_app().await;
    let customer_id = app.reps_customer().await;
    // run_creation: the server picks the id; the retry must point at the
    // proposal the first request created.
    let first = assert_replayed(
        &app,
        "/v1/proposals",
        "rep",
        &json!({"customer_id": customer_id, "contact_email": "purchasing@ruikang-med.cn", "title": "方案 v1"}),
        "proposal-1",
    )
    .await;
    assert_eq!(first.status.as_u16(), 201);
}

#[tokio::test]
async fn a_replay_repeats_the_reactions_of_the_original() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.reps_customer().await;
    // The stance starts a nurture pack (a reaction); a client retrying
    // after a lost response must still learn which pack started.
    let first = assert_replayed(
        &app,
        &format!("/v1/customers/{customer_id}/stance"),
        "rep",
        &json!({"stance": "still_comparing"}),
        "stance-comparing-1",
    )
    .await;
    assert!(first.json["reactions"].is_array(), "{}", first.text);
}

/// A command that changes nothing still stores its key: the retry after
/// someone else changed the customer replays "nothing appended" instead of
/// writing the old attributes back, and another body under the key is a
/// 422.
#[tokio::test]
async fn a_retried_command_that_changed_nothing_replays_nothing_appended() {
    let app = spawn_app().await;
    let customer_id = app.hospital_customer().await;
    let path = format!("/v1/customers/{customer_id}/attributes");
    // The attributes `hospital_customer` registered: nothing changes.
    let unchanged = json!({"attributes": {"industry": "三甲医院 设备", "compliance": "ISO13485", "region": "华东", "size": "500-1000"}});
    let put_with_key = |body: Value| {
        let (app, path) = (&app, &path);
        async move {
            app.send_json(
                "PUT",
                path,
                app.token("supervisor"),
                &body,
                &[("idempotency-key", "attributes-1")],
            )
            .await
        }
    };
    let first = put_with_key(unchanged.clone()).await;
    first.ok();
    assert_eq!(first.json["events"], json!([]), "{}", first.text);
    assert_eq!(first.json["replayed"], json!(false));

    // Someone else changes the attributes.
    let changed = app
        .put_json(
            &path,
            "csm",
            &json!({"attributes": {"industry": "三甲医院 设备", "region": "华南"}}),
        )
        .await;
    changed.ok();
    assert_eq!(changed.json["events"].as_array().map(Vec::len), Some(1));
    let after_change = app.log_len();

    let retry = put_with_key(unchanged).await;
    assert_eq!(retry.status, first.status, "{}", retry.text);
    assert_eq!(
        retry
            .headers
            .get("idempotent-replayed")
            .map(|v| v.to_str().ok()),
        Some(Some("true"))
    );
    assert_eq!(retry.json["replayed"], json!(true));
    assert_eq!(comparable(&retry), comparable(&first));
    assert_eq!(
        app.log_len(),
        after_change,
        "the old attributes are not written back"
    );

    put_with_key(json!({"attributes": {"industry": "汽车"}}))
        .await
        .assert_problem(422, "idempotency_key_reused");
    assert_eq!(app.log_len(), after_change);
}
