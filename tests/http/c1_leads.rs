//! SPEC C1: a lead is routed only after budget and technical fit are
//! confirmed, each by a named person.

use serde_json::json;

use super::support::{automotive_lead, spawn_app};

#[tokio::test]
async fn a_lead_without_both_confirmations_cannot_be_routed() {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let lead_id = app.register_lead(&automotive_lead()).await;
    let propose = format!("/v1/leads/{lead_id}/routing-proposals");

    // No confirmation yet.
    let before = app.log_len();
    let refused = app.post_json(&propose, "supervisor", &json!({})).await;
    refused.assert_problem(409, "lead_not_confirmed");
    assert_eq!(app.log_len(), before, "nothing appended");

    // Budget only.
    app.post_json(
        &format!("/v1/leads/{lead_id}/budget-confirmation"),
        "marketing",
        &json!({}),
    )
    .await
    .ok();
    let before = app.log_len();
    let refused = app.post_json(&propose, "supervisor", &json!({})).await;
    refused.assert_problem(409, "lead_not_confirmed");
    assert_eq!(app.log_len(), before, "nothing appended");

    // Technical fit only, on another lead.
    let other = app
        .register_lead(&json!({"company_name": "宁波海天精工机械有限公司"}))
        .await;
    app.post_json(
        &format!("/v1/leads/{other}/technical-fit-confirmation"),
        "cto",
        &json!({}),
    )
    .await
    .ok();
    let before = app.log_len();
    app.post_json(
        &format!("/v1/leads/{other}/routing-proposals"),
        "supervisor",
        &json!({}),
    )
    .await
    .assert_problem(409, "lead_not_confirmed");
    assert_eq!(app.log_len(), before, "nothing appended");
}

#[tokio::test]
async fn a_lead_with_both_confirmations_by_named_actors_is_routed() {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let registered = app
        .post_json("/v1/leads", "marketing", &automotive_lead())
        .await;
    assert_eq!(registered.status.as_u16(), 201, "{}", registered.text);
    assert_eq!(
        registered.event("LeadRegistered")["registered_by"],
        json!("test.marketing")
    );
    let lead_id = super::support::stream_uuid(&registered);
    let location = registered.headers["location"].to_str().expect("location");
    assert_eq!(location, format!("/v1/leads/{lead_id}"));

    let budget = app
        .post_json(
            &format!("/v1/leads/{lead_id}/budget-confirmation"),
            "marketing",
            &json!({"note": "客户确认 2027 年预算 380 万元"}),
        )
        .await;
    budget.ok();
    let event = budget.event("LeadBudgetConfirmed");
    assert_eq!(event["confirmed_by"], json!("test.marketing"));
    assert_eq!(event["confirmed_at"], json!("2027-03-16T02:00:00Z"));

    let fit = app
        .post_json(
            &format!("/v1/leads/{lead_id}/technical-fit-confirmation"),
            "cto",
            &json!({"note": "HIS interface spec reviewed"}),
        )
        .await;
    fit.ok();
    assert_eq!(
        fit.event("LeadTechnicalFitConfirmed")["confirmed_by"],
        json!("test.cto")
    );

    // The read view names both people.
    let lead = app.state_of(&format!("/v1/leads/{lead_id}")).await;
    assert_eq!(
        lead["budget_confirmation"]["confirmed_by"],
        json!("test.marketing")
    );
    assert_eq!(
        lead["technical_fit_confirmation"]["confirmed_by"],
        json!("test.cto")
    );

    // A second budget confirmation does not overwrite the first.
    let before = app.log_len();
    let again = app
        .post_json(
            &format!("/v1/leads/{lead_id}/budget-confirmation"),
            "supervisor",
            &json!({}),
        )
        .await;
    again.assert_problem(409, "lead_already_confirmed");
    assert_eq!(app.log_len(), before);

    let proposed = app
        .post_json(
            &format!("/v1/leads/{lead_id}/routing-proposals"),
            "supervisor",
            &json!({}),
        )
        .await;
    proposed.ok();
    assert_eq!(proposed.event_types(), vec!["RoutingProposed".to_owned()]);
}
