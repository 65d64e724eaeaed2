//! SPEC C2: routing scores every eligible rep, explains each score and
//! proposes the TOP 3; a supervisor confirms one of them, and the time from
//! proposal to confirmation is recorded.

use chrono::Duration;
use serde_json::{json, Value};

use super::support::{default_now, spawn_app, REP_A, REP_B, REP_C, REP_E};

#[tokio::test]
async fn routing_proposes_three_ranked_candidates_with_explanations() {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let lead_id = app.confirmed_lead().await;
    let proposed = app
        .post_json(
            &format!("/v1/leads/{lead_id}/routing-proposals"),
            "supervisor",
            &json!({}),
        )
        .await;
    proposed.ok();
    let event = proposed.event("RoutingProposed");
    assert_eq!(event["rule_version"], json!(1), "the rule set is versioned");
    assert_eq!(event["n_reps_scored"], json!(5), "every rep is scored");
    let candidates = event["candidates"].as_array().expect("candidates");
    assert_eq!(candidates.len(), 3, "{event}");

    // Ranked 1, 2, 3 by score; A (automotive + PLC + same region) first,
    // B (automotive + PLC) second, E (automotive) third.
    let ranks: Vec<&Value> = candidates.iter().map(|c| &c["rank"]).collect();
    assert_eq!(ranks, vec![&json!(1), &json!(2), &json!(3)]);
    let reps: Vec<String> = candidates
        .iter()
        .map(|c| c["rep_id"].as_str().expect("rep_id").to_owned())
        .collect();
    assert_eq!(
        reps,
        vec![REP_A.to_string(), REP_B.to_string(), REP_E.to_string()]
    );
    let scores: Vec<u64> = candidates
        .iter()
        .map(|c| c["score"].as_u64().expect("score"))
        .collect();
    assert!(
        scores.windows(2).all(|pair| pair[0] >= pair[1]),
        "{scores:?}"
    );

    // Each score is explained: its contributions add up to it, each names
    // the attribute key and value it matched and its weight.
    for candidate in candidates {
        let contributions = candidate["contributions"]
            .as_array()
            .expect("contributions");
        assert!(!contributions.is_empty(), "{candidate}");
        let total: u64 = contributions
            .iter()
            .map(|c| c["weight"].as_u64().expect("weight"))
            .sum();
        assert_eq!(json!(total), candidate["score"], "{candidate}");
        for contribution in contributions {
            assert!(contribution["attribute_key"].is_string(), "{contribution}");
            assert!(
                contribution["attribute_value"].is_string(),
                "{contribution}"
            );
        }
    }
    let top = &candidates[0]["contributions"];
    let automotive = top
        .as_array()
        .expect("contributions")
        .iter()
        .find(|c| c["tag"] == json!("automotive-grade-cert"))
        .unwrap_or_else(|| panic!("the automotive tag explains A's score: {top}"));
    assert_eq!(automotive["attribute_key"], json!("compliance"));
    assert_eq!(automotive["attribute_value"], json!("IATF16949"));
    assert_eq!(automotive["weight"], json!(40));

    // The proposal is on the lead's state too.
    let lead = app.state_of(&format!("/v1/leads/{lead_id}")).await;
    assert!(!lead["routing_proposal"].is_null(), "{lead}");
}

#[tokio::test]
async fn only_a_proposed_rep_can_be_confirmed_and_the_delay_is_recorded() {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let lead_id = app.confirmed_lead().await;
    let confirm = format!("/v1/leads/{lead_id}/routing-confirmation");

    // Nothing proposed yet.
    let before = app.log_len();
    app.post_json(&confirm, "supervisor", &json!({"rep_id": REP_A}))
        .await
        .assert_problem(409, "no_routing_proposal");
    assert_eq!(app.log_len(), before);

    app.post_json(
        &format!("/v1/leads/{lead_id}/routing-proposals"),
        "supervisor",
        &json!({}),
    )
    .await
    .ok();

    // C scored, but not in the TOP 3.
    let before = app.log_len();
    let refused = app
        .post_json(&confirm, "supervisor", &json!({"rep_id": REP_C}))
        .await;
    assert!(refused.status.is_client_error(), "{}", refused.text);
    assert_eq!(refused.code(), "rep_not_proposed", "{}", refused.text);
    assert_eq!(refused.content_type(), "application/problem+json");
    // The ids are named plainly (issue 16), never as `[RepId(...)]`.
    let detail = refused.json["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(&REP_C.to_string()), "{detail}");
    super::support::assert_plain(detail);
    assert_eq!(app.log_len(), before, "nothing appended");

    // Only supervisors confirm.
    app.post_json(&confirm, "marketing", &json!({"rep_id": REP_B}))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.log_len(), before, "nothing appended");

    // A proposed rep deactivated since is not confirmed: the customer
    // would go to someone who cannot follow it up.
    app.post_json(
        &format!("/v1/reps/{REP_A}/deactivation"),
        "supervisor",
        &json!({}),
    )
    .await
    .ok();
    let before = app.log_len();
    app.post_json(&confirm, "supervisor", &json!({"rep_id": REP_A}))
        .await
        .assert_problem(422, "rep_deactivated");
    assert_eq!(app.log_len(), before, "nothing appended");

    // 17 seconds later the supervisor confirms B, ranked second.
    app.set_now(default_now() + Duration::seconds(17));
    let confirmed = app
        .post_json(&confirm, "supervisor", &json!({"rep_id": REP_B}))
        .await;
    confirmed.ok();
    let event = confirmed.event("RoutingConfirmed");
    assert_eq!(event["rep_id"], json!(REP_B));
    assert_eq!(event["confirmed_by"], json!("test.supervisor"));
    assert_eq!(event["candidate_rank"], json!(2));
    assert_eq!(event["rule_version"], json!(1));
    assert_eq!(event["seconds_from_proposal"], json!(17));
    assert_eq!(event["proposed_at"], json!("2027-03-16T02:00:00Z"));
    assert_eq!(event["confirmed_at"], json!("2027-03-16T02:00:17Z"));

    let lead = app.state_of(&format!("/v1/leads/{lead_id}")).await;
    assert_eq!(lead["routed_to"], json!(REP_B));

    // A routed lead is not confirmed again.
    let before = app.log_len();
    let again = app
        .post_json(&confirm, "supervisor", &json!({"rep_id": REP_A}))
        .await;
    assert!(again.status.is_client_error(), "{}", again.text);
    assert_eq!(app.log_len(), before);
}

#[tokio::test]
async fn routing_needs_a_published_rule_set() {
    let app = spawn_app().await;
    app.register_reps().await;
    let lead_id = app.confirmed_lead().await;
    let before = app.log_len();
    let refused = app
        .post_json(
            &format!("/v1/leads/{lead_id}/routing-proposals"),
            "supervisor",
            &json!({}),
        )
        .await;
    refused.assert_problem(409, "routing_rules_not_published");
    // It says how to publish them.
    assert!(
        refused.json["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("publish one with POST /v1/config/routing-rules"),
        "{}",
        refused.text
    );
    assert_eq!(
        refused.json["publish_with"],
        json!("POST /v1/config/routing-rules")
    );
    assert_eq!(app.log_len(), before);
}
