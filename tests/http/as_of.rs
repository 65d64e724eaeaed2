//! Issue 15, point 4: ownership and responsibility as of a time over HTTP
//! (`GET /v1/customers/{id}/ownership?as_of=T`, the responsibility views'
//! `as_of`), and strict query strings on every route: an unknown query
//! parameter is a `400 invalid_query`, reads included.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use super::support::{spawn_app, TestApp, REP_A, REP_B};

/// `at` as a query value: RFC 3339 with its `+` escaped.
fn q(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
        .replace('+', "%2B")
}

/// The log's records are stamped with the real clock (the gateway's test
/// clock only feeds decisions): wait until it has moved on.
async fn real_instant() -> DateTime<Utc> {
    tokio::time::sleep(Duration::from_millis(30)).await;
    // Microseconds: what [`q`] writes.
    let at = Utc::now().trunc_subsecs(6);
    tokio::time::sleep(Duration::from_millis(30)).await;
    at
}

/// (position, event id) of the first event of a command's answer.
fn first_event(answer: &super::support::Answer) -> (u64, String) {
    let event = &answer.ok()["events"][0];
    (
        event["position"].as_u64().expect("position"),
        event["event_id"].as_str().expect("event id").to_owned(),
    )
}

/// A customer registered, claimed by rep A, then transferred to rep B;
/// the real times before the registration and between the claim and the
/// transfer; the claim's and the transfer's (position, event id).
struct History {
    customer_id: Uuid,
    before_registration: DateTime<Utc>,
    between: DateTime<Utc>,
    claim: (u64, String),
    transfer: (u64, String),
}

async fn history(app: &TestApp) -> History {
    app.seed_config().await;
    app.register_reps().await;
    let before_registration = real_instant().await;
    let customer_id = app.hospital_customer().await;
    let claimed = app
        .post_json(
            &format!("/v1/customers/{customer_id}/claim"),
            "rep",
            &json!({"rep_id": REP_A}),
        )
        .await;
    let claim = first_event(&claimed);
    let between = real_instant().await;
    let transferred = app
        .post_json(
            &format!("/v1/customers/{customer_id}/transfer"),
            "supervisor",
            &json!({"to_rep_id": REP_B, "reason": "原负责人调岗至华南区"}),
        )
        .await;
    let transfer = first_event(&transferred);
    History {
        customer_id,
        before_registration,
        between,
        claim,
        transfer,
    }
}

fn event_types(ownership: &Value) -> Vec<String> {
    ownership["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| event["event_type"].as_str().expect("type").to_owned())
        .collect()
}

#[tokio::test]
async fn ownership_as_of_a_time_names_the_owner_then_since_when_and_the_events() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let route = format!("/v1/customers/{}/ownership", h.customer_id);

    // Now: rep B, since the transfer.
    let now = app.get(&route, "auditor").await;
    let now = now.ok();
    assert_eq!(now["customer_id"], json!(h.customer_id));
    assert_eq!(now["owner"], json!(REP_B));
    assert!(now["as_of"].is_null());
    assert_eq!(
        event_types(now),
        [
            "CustomerRegistered",
            "CustomerClaimed",
            "CustomerTransferred"
        ]
    );
    assert_eq!(now["made_so_by"]["position"], json!(h.transfer.0));
    assert_eq!(now["made_so_by"]["event_id"], json!(h.transfer.1));
    assert_eq!(
        now["made_so_by"]["event_type"],
        json!("CustomerTransferred")
    );
    assert_eq!(
        now["made_so_by"]["actor"],
        json!("supervisor:test.supervisor")
    );
    assert_eq!(now["since"], now["made_so_by"]["recorded_at"]);
    assert_eq!(now["position"], json!(h.transfer.0));
    assert_eq!(now["made_so_by"]["change"]["kind"], json!("transferred"));

    // Between the claim and the transfer: rep A, since the claim.
    let then = app
        .get(&format!("{route}?as_of={}", q(h.between)), "auditor")
        .await;
    let then = then.ok();
    assert_eq!(then["owner"], json!(REP_A));
    assert_eq!(event_types(then), ["CustomerRegistered", "CustomerClaimed"]);
    assert_eq!(then["made_so_by"]["position"], json!(h.claim.0));
    assert_eq!(then["made_so_by"]["event_id"], json!(h.claim.1));
    assert_eq!(then["position"], json!(h.claim.0));
    let since = DateTime::parse_from_rfc3339(then["since"].as_str().expect("since"))
        .expect("an RFC 3339 time");
    assert!(since <= h.between, "{since} after {}", h.between);
    let as_of = DateTime::parse_from_rfc3339(then["as_of"].as_str().expect("as_of"))
        .expect("an RFC 3339 time");
    assert_eq!(as_of, h.between);

    // The same instant written with an offset is the same answer.
    let china = h
        .between
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset"))
        .to_rfc3339_opts(SecondsFormat::Micros, true)
        .replace('+', "%2B");
    let same = app.get(&format!("{route}?as_of={china}"), "auditor").await;
    assert_eq!(same.ok()["made_so_by"], then["made_so_by"]);

    // Before the registration there was no such customer.
    app.get(
        &format!("{route}?as_of={}", q(h.before_registration)),
        "auditor",
    )
    .await
    .assert_problem(404, "not_found");
    // A malformed time, or a parameter the route does not take.
    app.get(&format!("{route}?as_of=yesterday"), "auditor")
        .await
        .assert_problem(400, "invalid_query");
    app.get(&format!("{route}?at={}", q(h.between)), "auditor")
        .await
        .assert_problem(400, "invalid_query");
    // An unknown customer.
    app.get(
        &format!("/v1/customers/{}/ownership", Uuid::now_v7()),
        "auditor",
    )
    .await
    .assert_problem(404, "not_found");
    // The customer read itself takes no `as_of`: refused, not ignored.
    app.get(
        &format!("/v1/customers/{}?as_of={}", h.customer_id, q(h.between)),
        "auditor",
    )
    .await
    .assert_problem(400, "invalid_query");
}

#[tokio::test]
async fn ownership_of_an_owned_customer_is_read_scoped_like_the_customer() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let customer = format!("/v1/customers/{}", h.customer_id);
    let ownership = format!("{customer}/ownership?as_of={}", q(h.between));
    let mut refused = 0;
    for token in [
        "rep",
        "rep_b",
        "rep_no_id",
        "regional_east",
        "regional_north",
        "supervisor",
        "auditor",
        "csm",
        "finance",
        "legal",
        "marketing",
        "integrator",
    ] {
        let read = app.get(&customer, token).await;
        let asked = app.get(&ownership, token).await;
        assert_eq!(
            asked.status, read.status,
            "{token}: {} vs {}",
            asked.text, read.text
        );
        if read.status.as_u16() == 404 {
            refused += 1;
            asked.assert_problem(404, "not_found");
        }
    }
    assert!(refused > 0, "some role may not read the customer");
}

#[tokio::test]
async fn the_responsibility_views_answer_as_of_a_time() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let view = format!("/v1/views/responsibility/customers/{}", h.customer_id);

    let now = app
        .get(
            &format!("{view}?wait_for_position={}", h.transfer.0),
            "supervisor",
        )
        .await;
    assert_eq!(now.ok()["data"]["current_owner"], json!(REP_B));

    let then = app
        .get(&format!("{view}?as_of={}", q(h.between)), "supervisor")
        .await;
    let then = then.ok();
    assert_eq!(then["view"], json!("responsibility"));
    assert_eq!(then["position"], json!(h.claim.0));
    assert_eq!(then["data"]["current_owner"], json!(REP_A));
    let kinds: Vec<&str> = then["data"]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| entry["change"]["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["customer_registered", "claimed"]);
    // The view as of now equals the live one.
    let later = app
        .get(&format!("{view}?as_of={}", q(Utc::now())), "supervisor")
        .await;
    assert_eq!(later.ok()["data"], now.json["data"]);

    app.get(
        &format!("{view}?as_of={}", q(h.before_registration)),
        "supervisor",
    )
    .await
    .assert_problem(404, "not_found");
    app.get(&format!("{view}?as_of=2027-13-01"), "supervisor")
        .await
        .assert_problem(400, "invalid_query");
    // A rep who may not read the customer's responsibility now may not
    // read it as of any time either.
    let scoped = app
        .get(&format!("{view}?as_of={}", q(h.between)), "rep")
        .await;
    let live = app.get(&view, "rep").await;
    assert_eq!(scoped.status, live.status, "{}", scoped.text);

    // A lead's log as of a time: before its registration it did not exist.
    let before_lead = real_instant().await;
    let lead = app
        .post_json("/v1/leads", "marketing", &super::support::automotive_lead())
        .await;
    let lead_stream = lead.ok()["stream_id"].as_str().expect("stream").to_owned();
    let lead_id = lead_stream.trim_start_matches("lead-");
    let lead_view = format!("/v1/views/responsibility/leads/{lead_id}");
    app.get(
        &format!("{lead_view}?as_of={}", q(before_lead)),
        "supervisor",
    )
    .await
    .assert_problem(404, "not_found");
    let registered = app
        .get(
            &format!("{lead_view}?as_of={}", q(Utc::now())),
            "supervisor",
        )
        .await;
    assert_eq!(
        registered.ok()["data"]["entries"][0]["change"]["kind"],
        json!("lead_registered")
    );
}

/// Every operation of the document, and the routes it does not list,
/// refuse a query parameter they do not take with `400 invalid_query`
/// (after authentication on /v1), before any other check of the request.
#[tokio::test]
async fn an_unknown_query_parameter_is_refused_on_every_route() {
    let app = spawn_app().await;
    let document = app.get("/openapi.json", "auditor").await.json;
    let id = Uuid::parse_str("0192f0a4-0000-7000-8000-000000000001").expect("uuid");
    let mut n_checked = 0;
    let mut n_get = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        let concrete = super::auth::concrete(path, id).replace("{sha256}", &"ab".repeat(32));
        for method in ["get", "post", "put", "delete", "patch"] {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let documented: Vec<&str> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|parameter| parameter["in"] == "query")
                .filter_map(|parameter| parameter["name"].as_str())
                .collect();
            assert!(!documented.contains(&"bogus"));
            let token = path.starts_with("/v1/").then(|| app.token("supervisor"));
            let answer = app
                .send_raw(
                    &method.to_uppercase(),
                    &format!("{concrete}?bogus=1"),
                    token,
                    Some("application/json"),
                    b"{}".to_vec(),
                    &[],
                )
                .await;
            answer.assert_problem(400, "invalid_query");
            assert!(
                answer.json["detail"]
                    .as_str()
                    .is_some_and(|detail| detail.contains("bogus")),
                "{method} {path}: {}",
                answer.text
            );
            n_checked += 1;
            n_get += usize::from(method == "get");
        }
    }
    assert!(n_get > 40, "{n_get} GET routes checked");
    assert!(n_checked > n_get);
    // Routes the document does not list take no parameters.
    for path in ["/readyz", "/metrics", "/", "/dashboard/app.js"] {
        app.send_raw(
            "GET",
            &format!("{path}?bogus=1"),
            None,
            None,
            Vec::new(),
            &[],
        )
        .await
        .assert_problem(400, "invalid_query");
    }
    // Without a token, /v1 answers 401 first.
    app.send_raw(
        "GET",
        &format!("/v1/customers/{id}?bogus=1"),
        None,
        None,
        Vec::new(),
        &[],
    )
    .await
    .assert_problem(401, "unauthenticated");
    // A documented parameter passes the check (its value is the route's).
    let events = app.get("/v1/events?limit=1", "supervisor").await;
    events.ok();
}

/// A customer's responsibility log as of a time holds the routing of the
/// leads registered for it (found through the subject index), and only
/// what was recorded by then.
#[tokio::test]
async fn a_customers_log_as_of_a_time_holds_its_leads_routing() {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let customer = app.hospital_customer().await;
    let lead = app
        .register_lead(&json!({
            "company_name": "上海瑞康医疗器械有限公司",
            "attributes": {"industry": "三甲医院 设备", "compliance": "ISO13485", "region": "华东"},
            "customer_id": customer,
        }))
        .await;
    for (path, token) in [
        ("budget-confirmation", "marketing"),
        ("technical-fit-confirmation", "cto"),
    ] {
        app.post_json(&format!("/v1/leads/{lead}/{path}"), token, &json!({}))
            .await
            .ok();
    }
    let before_routing = real_instant().await;
    app.post_json(
        &format!("/v1/leads/{lead}/routing-proposals"),
        "supervisor",
        &json!({}),
    )
    .await
    .ok();
    let after_routing = real_instant().await;
    let kinds = |answer: &Value| -> Vec<String> {
        answer["data"]["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|entry| entry["change"]["kind"].as_str().expect("kind").to_owned())
            .collect()
    };
    let view = format!("/v1/views/responsibility/customers/{customer}");
    let then = app
        .get(&format!("{view}?as_of={}", q(after_routing)), "auditor")
        .await;
    assert!(
        kinds(then.ok()).contains(&"routing_proposed".to_owned()),
        "{}",
        then.text
    );
    let before = app
        .get(&format!("{view}?as_of={}", q(before_routing)), "auditor")
        .await;
    assert!(
        !kinds(before.ok()).contains(&"routing_proposed".to_owned()),
        "{}",
        before.text
    );
}
