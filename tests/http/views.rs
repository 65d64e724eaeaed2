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

/// Health, deliberately unable to apply anything: a stand-in for a
/// projector meeting an event it cannot apply (real history never makes
/// the real ones fail). Same name as the health view, so the health routes
/// read its status.
struct FailingHealth;

impl salesledger_projections::tables::TableProjector for FailingHealth {
    const NAME: &'static str = "health";
    const VERSION: u32 = 1;
    fn tables() -> &'static [&'static str] {
        &["failing"]
    }
    fn apply(
        _tx: &mut salesledger_projections::tables::Tx<'_>,
        record: &salesledger_store::RecordedEvent,
        _event: &salesledger_domain::Event,
    ) -> Result<(), salesledger_projections::ProjectionError> {
        Err(salesledger_projections::ProjectionError::CannotApply {
            position: record.position,
            reason: "this build cannot apply it".into(),
        })
    }
}

#[tokio::test]
async fn a_failed_view_answers_503_naming_its_position_while_the_others_serve() {
    use salesledger_projections::tables::{assets::AssetsTables, directory::DirectoryTables};
    use salesledger_replay::readmodel::TableRunner;

    let app = spawn_app_with_state(
        |_| {},
        |mut state, data| async move {
            let directory = data.join("failing-tables");
            let runner = TableRunner::builder(state.service.store().clone(), directory)
                .with::<DirectoryTables>()
                .with::<AssetsTables>()
                .with::<FailingHealth>()
                .start()
                .await
                .expect("the read models start");
            state.views = salesledger::views::live::LiveViews::new(runner);
            state
        },
    )
    .await;
    let lead_id = app.confirmed_lead().await;
    let written = app.log_len() - 1;

    // The first record is where it stopped: the view says so, whether the
    // caller waits for a position or not.
    for path in [
        format!("/v1/views/health?wait_for_position={written}"),
        "/v1/views/health".to_owned(),
        "/v1/dashboard/health-trend".to_owned(),
    ] {
        let answer = app.get(&path, "supervisor").await;
        answer.assert_problem(503, "view_failed");
        let body: serde_json::Value = serde_json::from_str(&answer.text).expect("JSON");
        assert_eq!(
            body["projector"],
            json!("health"),
            "{path}: {}",
            answer.text
        );
        assert_eq!(body["position"], json!(0), "{path}: {}", answer.text);
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|detail| detail.contains("health") && detail.contains("position 0")),
            "{}",
            answer.text
        );
    }

    // The others keep serving.
    let assets = app
        .get(
            &format!("/v1/views/assets?wait_for_position={written}"),
            "supervisor",
        )
        .await;
    assert_eq!(assets.ok()["view"], json!("assets"), "{lead_id}");

    // Readiness names it and is 503; the metrics say it is not running.
    let ready = app.get("/readyz", "supervisor").await;
    assert_eq!(ready.status.as_u16(), 503, "{}", ready.text);
    let body: serde_json::Value = serde_json::from_str(&ready.text).expect("JSON");
    assert_eq!(
        body["failed"],
        json!([{
            "projector": "health",
            "position": 0,
            "reason": "record at position 0 cannot be applied: this build cannot apply it"
        }]),
        "{}",
        ready.text
    );
    let metrics = app.get("/metrics", "supervisor").await;
    assert!(
        metrics
            .text
            .contains("salesledger_projection_running{projector=\"health\"} 0"),
        "{}",
        metrics.text
    );
    assert!(
        metrics
            .text
            .contains("salesledger_projection_running{projector=\"assets\"} 1"),
        "{}",
        metrics.text
    );
}
