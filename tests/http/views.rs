//! Read models over HTTP: `GET /v1/views/...` reports the position it
//! reflects, waits for read-your-writes, and refuses what it cannot answer.

use serde_json::json;

use super::support::*;

#[tokio::test]
async fn a_view_waits_for_the_callers_write_and_reports_its_position() {
    let app = spawn_app().await;
    let lead_id = app.confirmed_lead().await;
    let written = app.log_len() - 1;

    let answer = app
        .get(
            &format!("/v1/views/responsibility/leads/{lead_id}?wait_for_position={written}&timeout_ms=5000"),
            "auditor",
        )
        .await;
    let body = answer.ok();
    assert_eq!(body["view"], json!("responsibility"));
    let position = body["position"].as_u64().expect("a position");
    assert!(position >= written, "{position} < {written}");
    let kinds: Vec<&str> = body["data"]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| entry["change"]["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        [
            "lead_registered",
            "budget_confirmed",
            "technical_fit_confirmed"
        ],
        "{}",
        answer.text
    );
}

#[tokio::test]
async fn waiting_for_a_position_not_yet_written_times_out_with_a_problem() {
    let app = spawn_app().await;
    let lead_id = app.confirmed_lead().await;
    let beyond = app.log_len() + 10;
    let answer = app
        .get(
            &format!(
                "/v1/views/responsibility/leads/{lead_id}?wait_for_position={beyond}&timeout_ms=50"
            ),
            "auditor",
        )
        .await;
    answer.assert_problem(503, "view_not_caught_up");
}

#[tokio::test]
async fn unknown_subjects_and_query_parameters_are_refused() {
    let app = spawn_app().await;
    let lead_id = app.confirmed_lead().await;
    let written = app.log_len() - 1;
    let missing = uuid::Uuid::now_v7();
    app.get(
        &format!("/v1/views/responsibility/customers/{missing}?wait_for_position={written}"),
        "auditor",
    )
    .await
    .assert_problem(404, "not_found");
    app.get(
        &format!("/v1/views/responsibility/leads/{lead_id}?wait_for=3"),
        "auditor",
    )
    .await
    .assert_problem(400, "invalid_query");
    app.get("/v1/views/responsibility/leads/not-a-uuid", "auditor")
        .await
        .assert_problem(400, "invalid_path_parameter");
    let anonymous = app
        .client
        .get(app.url(&format!("/v1/views/responsibility/leads/{lead_id}")))
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status().as_u16(), 401);
}
