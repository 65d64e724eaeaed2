//! Every appended event records its actor (role and name), command id,
//! correlation and causation ids: read back from the log itself.

use salesledger_store::RecordedEvent;
use serde_json::json;
use uuid::Uuid;

use super::support::{spawn_app, TestApp};

async fn recorded(app: &TestApp, position: u64) -> RecordedEvent {
    let mut events = app
        .state
        .service
        .store()
        .read_all(position, 1)
        .await
        .expect("read the log");
    assert_eq!(events.len(), 1, "an event at {position}");
    events.remove(0)
}

#[tokio::test]
async fn events_record_actor_command_correlation_and_causation() {
    let app = spawn_app().await;
    app.seed_config().await;
    let lead_id = app
        .register_lead(&json!({"company_name": "宁波海天精工机械有限公司"}))
        .await;
    let correlation = Uuid::now_v7();
    let causation = Uuid::now_v7();
    let answer = app
        .send_json(
            "POST",
            &format!("/v1/leads/{lead_id}/budget-confirmation"),
            app.token("marketing"),
            &json!({}),
            &[
                ("x-correlation-id", &correlation.to_string()),
                ("x-causation-id", &causation.to_string()),
            ],
        )
        .await;
    answer.ok();
    let position = answer.json["last_position"]
        .as_u64()
        .expect("last_position");
    let event = recorded(&app, position).await;
    assert_eq!(event.event_type, "LeadBudgetConfirmed");
    assert_eq!(event.actor, "marketing:test.marketing");
    assert_eq!(event.correlation_id, correlation);
    assert_eq!(event.causation_id, causation);
    assert_eq!(
        json!(event.command_id),
        answer.json["command_id"],
        "the command id the response names"
    );
    assert_eq!(json!(event.event_id), answer.json["events"][0]["event_id"]);
}

#[tokio::test]
async fn a_reaction_is_caused_by_the_event_that_called_for_it() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.reps_customer().await;
    let correlation = Uuid::now_v7();
    let answer = app
        .send_json(
            "POST",
            &format!("/v1/customers/{customer_id}/stance"),
            app.token("rep"),
            &json!({"stance": "still_comparing"}),
            &[("x-correlation-id", &correlation.to_string())],
        )
        .await;
    answer.ok();
    let trigger_id = answer.json["events"][0]["event_id"].clone();
    let reaction = &answer.json["reactions"][0];
    let position = reaction["position"].as_u64().unwrap_or_else(|| {
        panic!("a reaction: {}", answer.text);
    });
    let event = recorded(&app, position).await;
    assert_eq!(event.event_type, "NurturePackStarted");
    assert_eq!(json!(event.causation_id), trigger_id);
    assert_eq!(event.correlation_id, correlation);
}
