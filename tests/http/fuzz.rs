//! A property test: random bodies (random JSON, random bytes, truncated
//! valid bodies, objects with the requests' own field names) thrown at
//! every command route and every bulk ingestion route never get a 5xx
//! (nor does any item of a bulk answer); every 4xx is a problem+json with
//! a code; the server keeps answering `/healthz`.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use salesledger::gateway::ingest::INGEST_ROUTES;
use salesledger::gateway::routes::ALL_COMMAND_ROUTES;
use salesledger_domain::role::may_issue;
use salesledger_domain::{CommandKind, Role};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::support::{
    automotive_lead, extraction_dictionary, nurture_template, pool_policy, routing_rules,
    spawn_app, TestApp, REP_A,
};

const FIELD_NAMES: &[&str] = &[
    "rep_id",
    "customer_id",
    "lead_id",
    "visit_id",
    "pack_id",
    "proposal_id",
    "todo_id",
    "display_name",
    "region",
    "capability_tags",
    "company_name",
    "unified_social_credit_code",
    "phone",
    "contact_email",
    "attributes",
    "to_rep_id",
    "reason",
    "kind",
    "occurred_at",
    "consent_text",
    "stance",
    "note",
    "channel",
    "transcript",
    "rep_notes",
    "competitors",
    "purchase_window",
    "concerns",
    "next_actions",
    "trigger",
    "source",
    "step_index",
    "response",
    "title",
    "sha256",
    "watermark_email",
    "message_id",
    "recipient",
    "delivered_at",
    "opened_at",
    "ip_address",
    "coarse_location",
    "version",
    "rules",
    "direct_tag_match_weight",
    "region_match_weight",
    "minimum_score",
    "candidate_count",
    "protection_days",
    "extension_days",
    "maximum_protection_days",
    "qualifying_follow_up_kinds",
    "day_close_utc_offset_minutes",
    "steps",
    "still_comparing_phrases",
    "utc_offset_minutes",
    "earliest",
    "latest",
    "phrase",
    "due_on",
    "items",
    "days",
    "day",
    "logins",
    "key_feature_calls",
    "modules_used",
    "last_login_at",
    "action",
    "ticket_ref",
    "subject",
    "resolved_at",
    "renewal_on",
    "plan",
    "reference_ref",
    "referenced_on",
    "searches",
    "keyword",
    "searched_on",
    "count",
    "plan_id",
    "summary",
    "quote_id",
    "amount_fen",
    "valid_until",
    "contract_id",
    "signed_on",
    "instalments",
    "payment_ref",
    "received_on",
    "asset_id",
    "stage",
    "weights",
    "targets",
    "risk_scripts",
];

const INTERESTING: &[&str] = &[
    "0192f0a4-0000-7000-8000-00000000000a",
    "00000000-0000-0000-0000-000000000000",
    "2027-03-15T10:30:00+08:00",
    "2027-03-15",
    "9999-12-31T23:59:59Z",
    "iso13485",
    "purchasing@ruikang-med.cn",
    "still_comparing",
    "customer_stance",
    "visit_extraction",
    "call",
    "case_video",
    "converted",
    "116.228.111.18",
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "",
    " ",
    "还在比较",
    "open",
    "resolve",
    "objection_answer",
    "proposal",
    "won",
    "low_usage",
    "ZD-0042",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u32>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "\\PC{0,16}".prop_map(Value::String),
        prop::sample::select(INTERESTING).prop_map(|s| Value::String(s.to_owned())),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(FIELD_NAMES).prop_map(str::to_owned),
        1 => "[a-z_]{1,10}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn valid_bodies() -> Vec<String> {
    [
        routing_rules(9),
        pool_policy(),
        extraction_dictionary(),
        nurture_template(),
        automotive_lead(),
        json!({"rep_id": REP_A}),
        json!({"display_name": "王晓明", "region": "华东", "capability_tags": ["iso13485", "tier3-hospital-his", "plc-retrofit"]}),
        json!({"rep_id": REP_A, "competitors": ["Siemens"], "concerns": ["交期"], "purchase_window": {"earliest": "2027-04-01", "latest": "2027-04-30", "phrase": "下个月"}, "next_actions": [{"title": "发送交期承诺函", "due_on": "2027-03-20"}]}),
        json!({"customer_id": REP_A, "trigger": {"source": "visit_extraction", "visit_id": REP_A}}),
        json!({"opened_at": "2027-03-16T10:02:11+08:00", "ip_address": "116.228.111.18", "coarse_location": "上海市"}),
        // issue 4 inputs
        json!({"days": [{"day": "2027-03-15", "logins": 3, "key_feature_calls": 9}], "modules_used": ["crm"], "last_login_at": "2027-03-15T17:42:00+08:00"}),
        json!({"action": "open", "ticket_ref": "ZD-0042", "opened_at": "2027-03-15T09:00:00+08:00", "subject": "报表导出超时"}),
        json!({"action": "resolve", "ticket_ref": "ZD-0042", "resolved_at": "2027-03-15T10:00:00+08:00"}),
        json!({"renewal_on": "2027-12-31", "plan": "basic"}),
        json!({"reference_ref": "CASE-1", "title": "案例", "referenced_on": "2027-03-10"}),
        json!({"searches": [{"keyword": "西门子", "searched_on": "2027-03-14", "count": 3}]}),
        json!({"plan_id": REP_A, "summary": "两周内完成关键用户培训"}),
        json!({"amount_fen": 38_000_000u64, "valid_until": "2027-04-30"}),
        json!({"customer_id": REP_A, "rep_id": REP_A, "signed_on": "2027-03-15", "instalments": [{"due_on": "2027-03-31", "amount_fen": 100}]}),
        json!({"payment_ref": "P-1", "amount_fen": 100, "received_on": "2027-03-15"}),
        json!({"customer_id": REP_A, "rep_id": REP_A, "kind": "solution", "title": "方案"}),
        json!({"stage": "proposal", "reason": "方案已提交"}),
        json!({"items": [{"customer_id": REP_A, "days": [{"day": "2027-03-15", "logins": 3, "key_feature_calls": 9}]}, {"contract_id": REP_A, "payment_ref": "P-1", "amount_fen": 1, "received_on": "2027-03-15"}, 7]}),
    ]
    .iter()
    .map(Value::to_string)
    .collect()
}

/// Every route thrown at: the command routes, then the bulk ingestion
/// routes (method, path template, the kind authorised).
fn all_routes() -> Vec<(&'static str, &'static str, CommandKind)> {
    ALL_COMMAND_ROUTES
        .iter()
        .map(|route| (route.method, route.path, route.kind))
        .chain(
            INGEST_ROUTES
                .iter()
                .map(|route| ("POST", route.path, route.kind)),
        )
        .collect()
}

#[derive(Debug, Clone)]
struct Throw {
    route: usize,
    body: Vec<u8>,
    content_type: Option<&'static str>,
    path_id: Uuid,
    date: String,
    /// An `Idempotency-Key` header, valid or not.
    idempotency_key: Option<String>,
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::collection::btree_map(key(), json_value(), 0..8)
            .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>()).to_string().into_bytes()),
        2 => json_value().prop_map(|value| value.to_string().into_bytes()),
        2 => prop::collection::vec(any::<u8>(), 0..200),
        2 => (prop::sample::select(valid_bodies()), any::<prop::sample::Index>())
            .prop_map(|(body, cut)| body.as_bytes()[..cut.index(body.len() + 1)].to_vec()),
    ]
}

fn throw(known_ids: Vec<Uuid>) -> impl Strategy<Value = Throw> {
    (
        0..all_routes().len(),
        body(),
        prop::sample::select(vec![Some("application/json"), None, Some("text/plain")]),
        prop_oneof![
            prop::sample::select(known_ids),
            any::<u128>().prop_map(Uuid::from_u128),
        ],
        prop_oneof![
            prop::sample::select(vec!["2027-03-15", "2026-01-01", "9999-12-31", "2027-02-30"])
                .prop_map(str::to_owned),
            "[0-9a-zA-Z-]{1,12}",
        ],
        prop::option::weighted(0.3, "[ -~]{0,24}"),
    )
        .prop_map(
            |(route, body, content_type, path_id, date, idempotency_key)| Throw {
                route,
                body,
                content_type,
                path_id,
                date,
                idempotency_key,
            },
        )
}

/// A token of a role allowed to issue the route's command (the supervisor
/// when it may), so the body is read rather than refused by role.
fn token_for(app: &TestApp, route: usize) -> String {
    let kind = all_routes()[route].2;
    let role = if may_issue(Role::Supervisor, kind) {
        Role::Supervisor
    } else {
        Role::ALL
            .into_iter()
            .find(|role| may_issue(*role, kind))
            .expect("some role issues every command")
    };
    app.token(role.as_str()).to_owned()
}

async fn check(app: &TestApp, throw: Throw) -> Result<(), TestCaseError> {
    let (method, template, _) = all_routes()[throw.route];
    let path = super::auth::concrete(template, throw.path_id).replace("2027-03-15", &throw.date);
    let token = token_for(app, throw.route);
    let headers: Vec<(&str, &str)> = throw
        .idempotency_key
        .as_deref()
        .map(|key| ("idempotency-key", key))
        .into_iter()
        .collect();
    let answer = app
        .send_raw(
            method,
            &path,
            Some(&token),
            throw.content_type,
            throw.body.clone(),
            &headers,
        )
        .await;
    let status = answer.status.as_u16();
    prop_assert!(status < 500, "{method} {path}: {status} {}", answer.text);
    if status >= 400 {
        prop_assert_eq!(
            answer.content_type(),
            "application/problem+json",
            "{} {}: {}",
            method,
            path,
            answer.text
        );
        prop_assert!(
            !answer.code().is_empty(),
            "{method} {path}: {}",
            answer.text
        );
        prop_assert_eq!(answer.json["status"].as_u64(), Some(u64::from(status)));
    }
    // A bulk answer: every item's own status is below 500 too.
    if let Some(results) = answer.json["results"].as_array() {
        for result in results {
            let item_status = result["status"].as_u64().unwrap_or(500);
            prop_assert!(item_status < 500, "{method} {path}: {result}");
        }
    }
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .map_err(|error| TestCaseError::fail(format!("healthz: {error}")))?;
    prop_assert_eq!(health.status().as_u16(), 200);
    Ok(())
}

#[test]
fn random_bodies_at_every_command_route_never_get_a_5xx() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (app, known_ids) = runtime.block_on(async {
        let app = spawn_app().await;
        app.seed_config().await;
        app.register_reps().await;
        let customer_id = app.hospital_customer().await;
        let lead_id = app.confirmed_lead().await;
        let contract = app
            .post_json(
                "/v1/contracts",
                "finance",
                &json!({"customer_id": customer_id, "rep_id": REP_A, "signed_on": "2027-03-01", "instalments": [{"due_on": "2027-04-01", "amount_fen": 1_000_000}]}),
            )
            .await;
        let contract_id = super::support::stream_uuid(&contract);
        (app, vec![REP_A, customer_id, lead_id, contract_id])
    });

    // Every route once with each class of body, deterministically.
    for route in 0..all_routes().len() {
        for (body, content_type) in [
            (b"".to_vec(), Some("application/json")),
            (b"{".to_vec(), Some("application/json")),
            (b"{}".to_vec(), Some("application/json")),
            (b"[]".to_vec(), Some("application/json")),
            (b"\xff\x00".to_vec(), None),
        ] {
            let throw = Throw {
                route,
                body,
                content_type,
                path_id: known_ids[route % known_ids.len()],
                date: "2027-03-15".to_owned(),
                idempotency_key: None,
            };
            if let Err(failure) = runtime.block_on(check(&app, throw.clone())) {
                panic!("{throw:?}: {failure}");
            }
        }
    }

    let mut runner = TestRunner::new(Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&throw(known_ids), |throw| {
        runtime.block_on(check(&app, throw))
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
