//! `GET /v1/reactions/{event_id}`: a reaction's outcome read by its causing
//! event, as the reaction process manager started with the gateway's state
//! records it: applied (naming the reaction's events), refused (with its
//! problem code), 404 for an event that called for nothing.

use std::time::Duration;

use serde_json::{json, Value};

use super::support::{spawn_app, Answer, TestApp, REP_A};

/// Polls until the manager has decided the reactions to `event_id`.
async fn decided(app: &TestApp, event_id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        // Any authenticated role may read it.
        let answer = app
            .get(&format!("/v1/reactions/{event_id}"), "analyst")
            .await;
        if answer.status.as_u16() == 200 && answer.json["status"] != "pending" {
            return answer.json;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{event_id} undecided: {} {}",
            answer.status,
            answer.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn event_id(answer: &Answer, event_type: &str) -> String {
    answer.json["events"]
        .as_array()
        .and_then(|events| {
            events
                .iter()
                .find(|event| event["event_type"] == event_type)
        })
        .and_then(|event| event["event_id"].as_str())
        .unwrap_or_else(|| panic!("no {event_type} in {}", answer.text))
        .to_owned()
}

#[tokio::test]
async fn a_visits_follow_up_is_read_as_applied_by_the_visits_event_id() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.reps_customer().await;
    let logged = app
        .post_json(
            "/v1/visits",
            "rep",
            &json!({
                "customer_id": customer_id, "rep_id": REP_A, "channel": "phone",
                "occurred_at": "2027-03-15T10:30:00+08:00", "transcript": "Call about the Q3 budget"
            }),
        )
        .await;
    assert_eq!(logged.status.as_u16(), 201, "{}", logged.text);
    assert!(
        logged.json.get("pending_reactions").is_none(),
        "{}",
        logged.text
    );
    let follow_up = logged.json["reactions"]
        .as_array()
        .and_then(|events| {
            events
                .iter()
                .find(|event| event["event_type"] == "FollowUpRecorded")
        })
        .expect("the follow-up is in the answer")
        .clone();
    let visit_event = event_id(&logged, "VisitLogged");
    let outcome = decided(&app, &visit_event).await;
    assert_eq!(outcome["status"], "applied", "{outcome}");
    assert_eq!(outcome["trigger_event_id"], json!(visit_event));
    assert_eq!(outcome["reactions"][0]["reaction"], "follow_up");
    assert_eq!(outcome["reactions"][0]["status"], "applied");
    assert_eq!(
        outcome["reactions"][0]["positions"],
        json!([follow_up["position"]])
    );
    assert_eq!(
        outcome["reactions"][0]["event_ids"],
        json!([follow_up["event_id"]])
    );
    assert!(
        outcome["manager_position"].as_u64() > follow_up["position"].as_u64(),
        "{outcome}"
    );

    // The follow-up itself called for nothing.
    let follow_up_id = follow_up["event_id"].as_str().expect("id");
    app.get(&format!("/v1/reactions/{follow_up_id}"), "rep")
        .await
        .assert_problem(404, "reaction_not_found");
    app.get("/v1/reactions/not-a-uuid", "rep")
        .await
        .assert_problem(400, "invalid_path_parameter");
    let anonymous = app
        .send_raw(
            "GET",
            &format!("/v1/reactions/{visit_event}"),
            None,
            None,
            Vec::new(),
            &[],
        )
        .await;
    assert_eq!(anonymous.status.as_u16(), 401);
}

#[tokio::test]
async fn a_reaction_refused_for_want_of_a_template_is_read_as_refused() {
    let app = spawn_app().await;
    // No nurture template is published: "still comparing" cannot start a
    // pack, and that is a decision, not something to retry forever.
    let customer_id = app.reps_customer().await;
    let before = app.log_len();
    let recorded = app
        .post_json(
            &format!("/v1/customers/{customer_id}/stance"),
            "rep",
            &json!({"stance": "still_comparing"}),
        )
        .await;
    recorded.ok();
    assert!(
        recorded.json.get("reactions").is_none(),
        "{}",
        recorded.text
    );
    let outcome = decided(&app, &event_id(&recorded, "CustomerStanceRecorded")).await;
    assert_eq!(outcome["status"], "refused", "{outcome}");
    assert_eq!(outcome["reactions"][0]["reaction"], "nurture_pack");
    assert_eq!(
        outcome["reactions"][0]["code"],
        "nurture_template_not_published"
    );
    assert_eq!(app.log_len(), before + 1, "only the stance was appended");
}
