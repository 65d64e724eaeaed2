//! SPEC C3: one owner per customer; concurrent claims, transfers,
//! duplicate checks and the public pool.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::support::{at, spawn_app, Answer, TestApp, CROWD, REP_A, REP_B, REP_E};
use uuid::Uuid;

async fn claim(
    app: &TestApp,
    customer_id: uuid::Uuid,
    token: &str,
    rep_id: uuid::Uuid,
) -> super::support::Answer {
    app.send_json(
        "POST",
        &format!("/v1/customers/{customer_id}/claim"),
        token,
        &json!({"rep_id": rep_id}),
        &[],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_claims_one_winner_and_forty_nine_conflicts_naming_it() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.hospital_customer().await;
    let before = app.log_len();

    let mut tasks = Vec::new();
    for (rep_id, token) in app.crowd.clone() {
        let client = app.client.clone();
        let url = app.url(&format!("/v1/customers/{customer_id}/claim"));
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(&token)
                .json(&json!({"rep_id": rep_id}))
                .send()
                .await
                .expect("send");
            (rep_id, TestApp::answer(response).await)
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }
    let winners: Vec<_> = answers
        .iter()
        .filter(|(_, answer)| answer.status.is_success())
        .collect();
    assert_eq!(winners.len(), 1, "exactly one claim wins");
    let winner = winners[0].0;
    assert_eq!(
        winners[0].1.event("CustomerClaimed")["rep_id"],
        json!(winner)
    );
    let mut codes = BTreeMap::new();
    for (_, answer) in answers.iter().filter(|(_, a)| !a.status.is_success()) {
        answer.assert_problem(409, "customer_already_owned");
        assert_eq!(answer.json["owner"], json!(winner), "{}", answer.text);
        assert_eq!(answer.json["customer_id"], json!(customer_id));
        *codes.entry(answer.code().to_owned()).or_insert(0) += 1;
    }
    assert_eq!(codes.values().sum::<usize>(), CROWD - 1);
    assert_eq!(
        app.log_len(),
        before + 1,
        "one CustomerClaimed, nothing else"
    );
    let customer = app.state_of(&format!("/v1/customers/{customer_id}")).await;
    assert_eq!(customer["ownership"]["owner"], json!(winner));
}

#[tokio::test]
async fn a_rep_claims_only_as_themselves() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.hospital_customer().await;
    let before = app.log_len();
    claim(&app, customer_id, app.token("rep"), REP_B)
        .await
        .assert_problem(403, "not_own_rep");
    claim(&app, customer_id, app.token("rep_no_id"), REP_B)
        .await
        .assert_problem(403, "rep_identity_unknown");
    // Other roles do not claim at all.
    claim(&app, customer_id, app.token("marketing"), REP_A)
        .await
        .assert_problem(403, "forbidden");
    claim(&app, customer_id, app.token("supervisor"), REP_A)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.log_len(), before, "nothing appended");

    let won = claim(&app, customer_id, app.token("rep"), REP_A).await;
    won.ok();
    let event = won.event("CustomerClaimed");
    assert_eq!(event["rep_id"], json!(REP_A));
    assert_eq!(event["claimed_at"], json!("2027-03-16T02:00:00Z"));
    assert_eq!(event["protected_until"], json!("2027-04-15T02:00:00Z"));
    assert_eq!(event["policy_version"], json!(1));

    let lost = claim(&app, customer_id, app.token("rep_b"), REP_B).await;
    lost.assert_problem(409, "customer_already_owned");
    assert_eq!(lost.json["owner"], json!(REP_A));
}

/// A deactivated rep's token still authenticates, but the rep claims no
/// customer from the pool: nobody would follow it up.
#[tokio::test]
async fn a_deactivated_rep_claims_nothing() {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let customer_id = app.hospital_customer().await;
    app.post_json(
        &format!("/v1/reps/{REP_B}/deactivation"),
        "supervisor",
        &json!({}),
    )
    .await
    .ok();
    let before = app.log_len();
    let refused = claim(&app, customer_id, app.token("rep_b"), REP_B).await;
    refused.assert_problem(422, "rep_deactivated");
    assert_eq!(refused.json["path"], json!("rep_id"));
    assert_eq!(app.log_len(), before, "nothing appended");
    claim(&app, customer_id, app.token("rep"), REP_A).await.ok();
}

#[tokio::test]
async fn ownership_changes_by_a_recorded_transfer_by_a_supervisor() {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let customer_id = app.hospital_customer().await;
    claim(&app, customer_id, app.token("rep"), REP_A).await.ok();
    let transfer = format!("/v1/customers/{customer_id}/transfer");
    let body = json!({"to_rep_id": REP_B, "reason": "原负责人调岗至华南区"});

    let before = app.log_len();
    app.post_json(&transfer, "rep", &body)
        .await
        .assert_problem(403, "forbidden");
    app.post_json(&transfer, "rep_b", &body)
        .await
        .assert_problem(403, "forbidden");
    app.post_json(
        &transfer,
        "supervisor",
        &json!({"to_rep_id": REP_A, "reason": "no change"}),
    )
    .await
    .assert_problem(422, "transfer_to_current_owner");
    // Never to a rep nobody registered, nor to one deactivated.
    let stranger = Uuid::from_u128(0x0192f0a4_0000_7000_8000_0000000000ff);
    let refused = app
        .post_json(
            &transfer,
            "supervisor",
            &json!({"to_rep_id": stranger, "reason": "无此人"}),
        )
        .await;
    refused.assert_problem(422, "unknown_rep");
    assert_eq!(refused.json["path"], json!("to_rep_id"));
    assert_eq!(app.log_len(), before, "nothing appended");
    app.post_json(
        &format!("/v1/reps/{REP_E}/deactivation"),
        "supervisor",
        &json!({}),
    )
    .await
    .ok();
    let before = app.log_len();
    app.post_json(
        &transfer,
        "supervisor",
        &json!({"to_rep_id": REP_E, "reason": "已离职"}),
    )
    .await
    .assert_problem(422, "rep_deactivated");
    assert_eq!(app.log_len(), before, "nothing appended");

    let moved = app.post_json(&transfer, "supervisor", &body).await;
    moved.ok();
    let event = moved.event("CustomerTransferred");
    assert_eq!(event["from_rep_id"], json!(REP_A));
    assert_eq!(event["to_rep_id"], json!(REP_B));
    assert_eq!(event["transferred_by"], json!("test.supervisor"));
    assert_eq!(event["reason"], json!("原负责人调岗至华南区"));
    let customer = app.state_of(&format!("/v1/customers/{customer_id}")).await;
    assert_eq!(customer["ownership"]["owner"], json!(REP_B));

    // The old owner now gets a conflict naming the new one.
    let lost = claim(&app, customer_id, app.token("rep"), REP_A).await;
    lost.assert_problem(409, "customer_already_owned");
    assert_eq!(lost.json["owner"], json!(REP_B));
}

#[tokio::test]
async fn duplicate_customers_and_leads_are_refused() {
    let app = spawn_app().await;
    app.register_customer(json!({
        "company_name": "杭州瑞康医疗器械有限公司",
        "unified_social_credit_code": "91350100M000100Y43",
        "phone": "13800138000"
    }))
    .await;
    let before = app.log_len();
    let cases = [
        // Same company name after normalisation (spacing, full-width brackets).
        json!({"company_name": "杭州瑞康医疗器械 有限公司"}),
        json!({"company_name": " 杭州瑞康医疗器械有限公司 "}),
        // Same unified social credit code.
        json!({"company_name": "瑞康医疗（杭州）", "unified_social_credit_code": "91350100M000100Y43"}),
        // Same phone.
        json!({"company_name": "上海某某贸易有限公司", "phone": "13800138000"}),
    ];
    for body in &cases {
        let refused = app.post_json("/v1/customers", "supervisor", body).await;
        refused.assert_problem(409, "duplicate_record");
        // Named plainly (issue 16): `duplicate of customer <id> on company
        // name ...`, never `Customer(CustomerId(...)) on CompanyName("...")`.
        let detail = refused.json["detail"].as_str().unwrap_or_default();
        assert!(detail.starts_with("duplicate of customer "), "{detail}");
        super::support::assert_plain(detail);
        // A lead for the same company is a duplicate too.
        let refused = app.post_json("/v1/leads", "marketing", body).await;
        refused.assert_problem(409, "duplicate_record");
    }
    assert_eq!(app.log_len(), before, "nothing appended");
    // A lead names the customer it is a new opportunity of: one that is
    // registered, never an id a customer registered later would inherit.
    let refused = app
        .post_json(
            "/v1/leads",
            "marketing",
            &json!({"company_name": "无锡新客户有限公司", "customer_id": Uuid::now_v7()}),
        )
        .await;
    refused.assert_problem(422, "unknown_customer");
    assert_eq!(refused.json["path"], json!("customer_id"));
    assert_eq!(app.log_len(), before, "nothing appended");
    // A different company is fine.
    app.register_customer(
        json!({"company_name": "苏州精锐汽车零部件有限公司", "phone": "051265881234"}),
    )
    .await;
}

#[tokio::test]
async fn an_unfollowed_customer_returns_to_the_pool_when_its_protection_day_closes() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.hospital_customer().await;
    // Claimed 2027-03-16 10:00 (UTC+8): protected until 2027-04-15 10:00.
    claim(&app, customer_id, app.token("rep"), REP_A).await.ok();

    // A day cannot be closed before it ends.
    let before = app.log_len();
    app.post_json("/v1/days/2027-03-16/close", "supervisor", &json!({}))
        .await
        .assert_problem(409, "day_not_closed_yet");
    assert_eq!(app.log_len(), before);

    // 2027-04-14 (local) closes at 2027-04-14T16:00Z: still protected.
    app.set_now(at("2027-04-16T00:00:00Z"));
    let before = app.log_len();
    let closed = app
        .post_json("/v1/days/2027-04-14/close", "supervisor", &json!({}))
        .await;
    closed.ok();
    assert_eq!(decisions(&closed), Vec::<Value>::new(), "{}", closed.text);
    assert_eq!(
        app.log_len(),
        before + 1,
        "only the day's close: nothing returned before the period ends"
    );
    let customer = app.state_of(&format!("/v1/customers/{customer_id}")).await;
    assert_eq!(customer["ownership"]["owner"], json!(REP_A));

    // Only supervisors (and integrators) close days.
    app.post_json("/v1/days/2027-04-15/close", "rep", &json!({}))
        .await
        .assert_problem(403, "forbidden");

    // 2027-04-15 closes at 2027-04-15T16:00Z, after the protection ended.
    let closed = app
        .post_json("/v1/days/2027-04-15/close", "supervisor", &json!({}))
        .await;
    closed.ok();
    assert_eq!(closed.json["events"][0]["event_type"], json!("DayClosed"));
    let events = decisions(&closed);
    assert_eq!(events.len(), 1, "{}", closed.text);
    assert_eq!(events[0]["event_type"], json!("CustomerReturnedToPool"));
    let payload = &events[0]["payload"];
    assert_eq!(payload["customer_id"], json!(customer_id));
    assert_eq!(payload["previous_owner"], json!(REP_A));
    assert_eq!(
        payload["rule"],
        json!("no_follow_up_within_protection_period")
    );
    assert_eq!(payload["day_closed"], json!("2027-04-15"));
    assert_eq!(payload["protected_until"], json!("2027-04-15T02:00:00Z"));
    let customer = app.state_of(&format!("/v1/customers/{customer_id}")).await;
    assert!(customer["ownership"].is_null(), "{customer}");

    // Closing the same day again returns nothing more.
    let before = app.log_len();
    let again = app
        .post_json("/v1/days/2027-04-15/close", "supervisor", &json!({}))
        .await;
    again.ok();
    assert_eq!(app.log_len(), before);

    // From the pool, another rep claims it.
    let claimed = claim(&app, customer_id, app.token("rep_b"), REP_B).await;
    claimed.ok();
}

#[tokio::test]
async fn a_qualifying_follow_up_extends_the_protection() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.hospital_customer().await;
    claim(&app, customer_id, app.token("rep"), REP_A).await.ok();
    app.set_now(at("2027-04-10T02:00:00Z"));
    let followed = app
        .post_json(
            &format!("/v1/customers/{customer_id}/follow-ups"),
            "rep",
            &json!({"rep_id": REP_A, "kind": "call", "occurred_at": "2027-04-10T01:00:00Z"}),
        )
        .await;
    followed.ok();
    let event = followed.event("FollowUpRecorded");
    assert_eq!(event["qualifying"], json!(true));
    // A rep records follow-ups only as themselves, and only on their own
    // customers: rep B naming rep A is refused before the body is read.
    app.post_json(
        &format!("/v1/customers/{customer_id}/follow-ups"),
        "rep_b",
        &json!({"rep_id": REP_A, "kind": "call", "occurred_at": "2027-04-10T01:00:00Z"}),
    )
    .await
    .assert_problem(403, "not_customer_owner");
    let refused = app
        .post_json(
            &format!("/v1/customers/{customer_id}/follow-ups"),
            "rep_b",
            &json!({"rep_id": REP_B, "kind": "call", "occurred_at": "2027-04-10T01:00:00Z"}),
        )
        .await;
    refused.assert_problem(403, "not_customer_owner");
    let detail = refused.json["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("(record_follow_up)"), "{detail}");
    super::support::assert_plain(detail);

    app.set_now(at("2027-04-16T00:00:00Z"));
    let closed = app
        .post_json("/v1/days/2027-04-15/close", "supervisor", &json!({}))
        .await;
    closed.ok();
    assert_eq!(decisions(&closed), Vec::<Value>::new(), "{}", closed.text);
    let customer = app.state_of(&format!("/v1/customers/{customer_id}")).await;
    assert_eq!(customer["ownership"]["owner"], json!(REP_A));
}

#[tokio::test]
async fn a_supervisor_recalls_a_customer_to_the_pool() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.hospital_customer().await;
    claim(&app, customer_id, app.token("rep"), REP_A).await.ok();
    let recall = format!("/v1/customers/{customer_id}/recall");
    let body = json!({"reason": "No follow-up recorded since the trade fair"});
    app.post_json(&recall, "rep", &body)
        .await
        .assert_problem(403, "forbidden");
    let recalled = app.post_json(&recall, "supervisor", &body).await;
    recalled.ok();
    let event = recalled.event("CustomerRecalledToPool");
    assert_eq!(event["previous_owner"], json!(REP_A));
    assert_eq!(event["recalled_by"], json!("test.supervisor"));
    claim(&app, customer_id, app.token("rep_b"), REP_B)
        .await
        .ok();
}

#[tokio::test]
async fn a_logged_visit_is_a_follow_up_that_extends_the_protection() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.hospital_customer().await;
    claim(&app, customer_id, app.token("rep"), REP_A).await.ok();
    app.set_now(at("2027-04-10T02:00:00Z"));
    let logged = app
        .post_json(
            "/v1/visits",
            "rep",
            &json!({"customer_id": customer_id, "rep_id": REP_A, "channel": "on_site",
                    "occurred_at": "2027-04-10T01:00:00Z", "transcript": "复盘试用情况, discussed the Q3 rollout"}),
        )
        .await;
    assert_eq!(logged.status.as_u16(), 201, "{}", logged.text);
    let follow_up = logged.json["reactions"]
        .as_array()
        .and_then(|events| {
            events
                .iter()
                .find(|event| event["event_type"] == json!("FollowUpRecorded"))
        })
        .unwrap_or_else(|| panic!("no FollowUpRecorded reaction: {}", logged.text));
    assert_eq!(follow_up["payload"]["qualifying"], json!(true));
    assert_eq!(follow_up["payload"]["kind"], json!("visit"));

    app.set_now(at("2027-04-16T00:00:00Z"));
    let closed = app
        .post_json("/v1/days/2027-04-15/close", "supervisor", &json!({}))
        .await;
    closed.ok();
    assert_eq!(decisions(&closed), Vec::<Value>::new(), "{}", closed.text);
}

#[tokio::test]
async fn follow_ups_extend_protection_only_up_to_the_maximum() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.hospital_customer().await;
    // Claimed 2027-03-16T02:00Z: at most 90 days, until 2027-06-14T02:00Z.
    let claimed = claim(&app, customer_id, app.token("rep"), REP_A).await;
    assert_eq!(
        claimed.event("CustomerClaimed")["maximum_protected_until"],
        json!("2027-06-14T02:00:00Z")
    );
    for day in ["2027-04-10", "2027-05-05", "2027-06-01"] {
        app.set_now(at(&format!("{day}T02:00:00Z")));
        app.post_json(
            &format!("/v1/customers/{customer_id}/follow-ups"),
            "rep",
            &json!({"rep_id": REP_A, "kind": "meeting", "occurred_at": format!("{day}T01:00:00Z")}),
        )
        .await
        .ok();
    }
    let customer = app.state_of(&format!("/v1/customers/{customer_id}")).await;
    assert_eq!(
        customer["ownership"]["protected_until"],
        json!("2027-06-14T02:00:00Z"),
        "{customer}"
    );
    app.set_now(at("2027-06-15T00:00:00Z"));
    let closed = app
        .post_json("/v1/days/2027-06-13/close", "supervisor", &json!({}))
        .await;
    closed.ok();
    assert_eq!(decisions(&closed), Vec::<Value>::new(), "{}", closed.text);
    let closed = app
        .post_json("/v1/days/2027-06-14/close", "integrator", &json!({}))
        .await;
    closed.ok();
    assert_eq!(
        decisions(&closed)[0]["payload"]["rule"],
        json!("maximum_protection_period_reached"),
        "{}",
        closed.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_of_one_company_leave_one_record() {
    let app = spawn_app().await;
    let before = app.log_len();
    let mut tasks = Vec::new();
    for attempt in 0..20 {
        let client = app.client.clone();
        let url = app.url("/v1/customers");
        let token = app.token("csm").to_owned();
        // The same company; half with its phone, half without.
        let body = if attempt % 2 == 0 {
            json!({"company_name": "杭州瑞康医疗器械有限公司"})
        } else {
            json!({"company_name": "杭州瑞康医疗器械有限公司", "phone": "13800138000"})
        };
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("send");
            TestApp::answer(response).await
        }));
    }
    let mut n_created = 0;
    for task in tasks {
        let answer = task.await.expect("task");
        if answer.status.as_u16() == 201 {
            n_created += 1;
        } else {
            answer.assert_problem(409, "duplicate_record");
        }
    }
    assert_eq!(n_created, 1, "one record per company (撞单)");
    assert_eq!(app.log_len(), before + 1);
}

/// The decisions a day close made: its events after `DayClosed`.
fn decisions(closed: &Answer) -> Vec<Value> {
    closed.json["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["event_type"] != json!("DayClosed"))
        .cloned()
        .collect()
}
