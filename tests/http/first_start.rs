//! Issue 16: a real (non-demo) start. The first start publishes the
//! default configuration as `system:init`, so routing and visits work at
//! once; a restart publishes nothing; an organisation's own configuration
//! never gets defaults layered over it. Confirming a routing makes the
//! chosen rep the owner of the lead's unowned customer (SPEC C2 then C3);
//! an owned customer is left as is and the answer says so.

use salesledger::init::first_start;
use salesledger_commands::FirstStart;
use serde_json::{json, Value};
use uuid::Uuid;

use super::support::{
    automotive_lead, default_now, routing_rules, spawn_app, TestApp, REP_A, REP_B,
};

/// Registers the automotive lead for `customer_id`, both confirmations,
/// a proposal; returns the lead id.
async fn proposed_lead_of(app: &TestApp, customer_id: Uuid) -> Uuid {
    let mut body = automotive_lead();
    body["customer_id"] = json!(customer_id);
    let lead_id = app.register_lead(&body).await;
    app.post_json(
        &format!("/v1/leads/{lead_id}/budget-confirmation"),
        "marketing",
        &json!({}),
    )
    .await
    .ok();
    app.post_json(
        &format!("/v1/leads/{lead_id}/technical-fit-confirmation"),
        "cto",
        &json!({}),
    )
    .await
    .ok();
    app.post_json(
        &format!("/v1/leads/{lead_id}/routing-proposals"),
        "supervisor",
        &json!({}),
    )
    .await
    .ok();
    lead_id
}

async fn owner_of(app: &TestApp, customer_id: Uuid) -> Value {
    app.state_of(&format!("/v1/customers/{customer_id}"))
        .await
        .pointer("/ownership/owner")
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_fresh_data_directory_is_usable_at_first_start_and_a_restart_publishes_nothing() {
    let app = spawn_app().await;
    let outcome = first_start(&app.state.service, default_now())
        .await
        .expect("first start");
    assert!(
        matches!(&outcome, FirstStart::Published { stream_ids } if stream_ids.len() == 5),
        "{outcome:?}"
    );
    let config = app.get("/v1/config", "supervisor").await;
    let config = &config.ok()["config"];
    for kind in [
        "routing_rules",
        "pool_policy",
        "extraction_dictionary",
        "nurture_template",
        "health_policy",
    ] {
        assert_eq!(config[kind]["version"], json!(1), "{kind}: {config}");
    }
    let competitors = config["extraction_dictionary"]["competitors"].to_string();
    assert!(
        competitors.contains("西门子") && competitors.contains("Siemens"),
        "{competitors}"
    );
    // Published as events by system:init.
    let feed = app.get("/v1/events?limit=10", "auditor").await;
    let actors: Vec<&str> = feed.ok()["records"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter_map(|event| event["actor"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(actors, vec!["system:init"; 5], "{}", feed.text);

    // A restart (or a second gateway on the same log) publishes nothing.
    let before = app.log_len();
    let again = first_start(&app.state.service, default_now())
        .await
        .expect("second start");
    assert_eq!(again, FirstStart::Published { stream_ids: vec![] });
    assert_eq!(app.log_len(), before);

    // Routing works without publishing anything by hand.
    app.register_reps().await;
    let customer_id = app.hospital_customer().await;
    let lead_id = proposed_lead_of(&app, customer_id).await;
    let confirmed = app
        .post_json(
            &format!("/v1/leads/{lead_id}/routing-confirmation"),
            "supervisor",
            &json!({"rep_id": REP_A}),
        )
        .await;
    confirmed.ok();
    assert_eq!(
        confirmed.event("RoutingConfirmed")["customer_id"],
        json!(customer_id)
    );
    // The chosen rep owns the customer now, by an event in its stream
    // caused by the confirmation.
    let reactions = confirmed.json["reactions"].as_array().expect("reactions");
    assert_eq!(reactions.len(), 1, "{}", confirmed.text);
    assert_eq!(reactions[0]["event_type"], json!("CustomerClaimed"));
    assert_eq!(reactions[0]["payload"]["rep_id"], json!(REP_A));
    assert_eq!(owner_of(&app, customer_id).await, json!(REP_A));
    // Rep B cannot claim it any more.
    let claim = app
        .post_json(
            &format!("/v1/customers/{customer_id}/claim"),
            "rep_b",
            &json!({"rep_id": REP_B}),
        )
        .await;
    assert!(claim.status.is_client_error(), "{}", claim.text);
    assert_eq!(owner_of(&app, customer_id).await, json!(REP_A));
}

#[tokio::test]
async fn routing_an_owned_customer_leaves_its_owner_and_the_answer_says_so() {
    let app = spawn_app().await;
    first_start(&app.state.service, default_now())
        .await
        .expect("first start");
    app.register_reps().await;
    let customer_id = app.hospital_customer().await;
    app.claim_for_rep_a(customer_id).await;
    let lead_id = proposed_lead_of(&app, customer_id).await;
    let proposal = app.state_of(&format!("/v1/leads/{lead_id}")).await;
    let other = proposal["routing_proposal"]["candidates"]
        .as_array()
        .and_then(|candidates| {
            candidates
                .iter()
                .map(|candidate| candidate["rep_id"].clone())
                .find(|rep| *rep != json!(REP_A))
        })
        .expect("a candidate other than rep A");
    let confirmed = app
        .post_json(
            &format!("/v1/leads/{lead_id}/routing-confirmation"),
            "supervisor",
            &json!({"rep_id": other}),
        )
        .await;
    confirmed.ok();
    assert!(
        confirmed.json.get("reactions").is_none(),
        "{}",
        confirmed.text
    );
    let refused = &confirmed.json["refused_reactions"][0];
    assert_eq!(
        refused["reaction"],
        json!("routing_owner"),
        "{}",
        confirmed.text
    );
    assert_eq!(refused["code"], json!("customer_already_owned"));
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&REP_A.to_string()),
        "names the owner: {refused}"
    );
    assert_eq!(owner_of(&app, customer_id).await, json!(REP_A));
}

#[tokio::test]
async fn an_organisations_own_configuration_gets_no_defaults_layered_over_it() {
    let app = spawn_app().await;
    app.post_json("/v1/config/routing-rules", "supervisor", &routing_rules(1))
        .await
        .ok();
    let before = app.log_len();
    let outcome = first_start(&app.state.service, default_now())
        .await
        .expect("first start");
    assert!(
        matches!(outcome, FirstStart::OrganisationConfigured { ref stream_id, .. } if stream_id == "config-routing"),
        "{outcome:?}"
    );
    assert_eq!(app.log_len(), before, "nothing published");
    let config = app.get("/v1/config", "supervisor").await;
    assert!(config.ok()["config"]["extraction_dictionary"].is_null());
}
