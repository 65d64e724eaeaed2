//! Issue 13, point 2: ownership-scoped access (`domain::access`), over
//! HTTP. The two generated tests walk the route tables (every command route
//! of `ALL_COMMAND_ROUTES`, every `GET` route of the served OpenAPI
//! document) with every role's token and assert what the access table
//! says; the scenario tests spell out the cases of the issue.
//!
//! The world: rep A (`rep`) owns customer X, which has a proposal with a
//! PDF, a nurture pack, a visit, a contract, a process asset, an account
//! with usage and a health score; rep B (`rep_b`) owns nothing of it;
//! `rep_no_id` is a rep token naming no rep; `regional_east` (华东, rep A's
//! region) and `regional_north` (华北) are regional supervisors with a
//! region on their tokens.

use salesledger::gateway::routes::ALL_COMMAND_ROUTES;
use salesledger_domain::access::{rep_scope, RepScope};
use salesledger_domain::{may_issue, CommandKind, Role};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::support::{spawn_app, stream_uuid, Answer, TestApp, REP_A, REP_B};

const CONTACT: &str = "purchasing@ruikang-med.cn";

/// Rep A's customer and everything hanging off it.
struct World {
    app: TestApp,
    customer: Uuid,
    lead: Uuid,
    proposal: Uuid,
    pack: Uuid,
    visit: Uuid,
    contract: Uuid,
    asset: Uuid,
    /// The PDF of `proposal`.
    pdf_sha256: String,
}

async fn created(answer: Answer) -> Uuid {
    assert_eq!(answer.status.as_u16(), 201, "{}", answer.text);
    stream_uuid(&answer)
}

async fn world() -> World {
    world_with(true).await
}

/// The world; with `close_day`, 2027-03-15 is closed after the usage
/// report (the customer gets a health score, and, being red, frozen
/// renewal quoting).
async fn world_with(close_day: bool) -> World {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let customer = app.reps_customer().await;
    let lead = app.register_lead(&super::support::automotive_lead()).await;
    app.post_json(
        &format!("/v1/customers/{customer}/tracking-consent"),
        "rep",
        &json!({"consent_text": "同意记录打开时间"}),
    )
    .await
    .ok();
    let proposal = created(
        app.post_json(
            "/v1/proposals",
            "rep",
            &json!({"customer_id": customer, "contact_email": CONTACT, "title": "方案 v1"}),
        )
        .await,
    )
    .await;
    let pdf = format!("%PDF-1.7 proposal {proposal} watermark {CONTACT}").into_bytes();
    let pdf_sha256 = hex::encode(Sha256::digest(&pdf));
    let uploaded = app
        .send_raw(
            "POST",
            "/v1/blobs",
            Some(app.token("rep")),
            Some("application/pdf"),
            pdf,
            &[],
        )
        .await;
    assert_eq!(uploaded.status.as_u16(), 201, "{}", uploaded.text);
    app.post_json(
        &format!("/v1/proposals/{proposal}/pdf"),
        "rep",
        &json!({"sha256": pdf_sha256, "watermark_email": CONTACT}),
    )
    .await
    .ok();
    let pack = created(
        app.post_json(
            "/v1/nurture-packs",
            "rep",
            &json!({"customer_id": customer, "trigger": {"source": "customer_stance"}}),
        )
        .await,
    )
    .await;
    let visit = created(
        app.post_json(
            "/v1/visits",
            "rep",
            &json!({"customer_id": customer, "rep_id": REP_A, "channel": "phone",
                    "occurred_at": "2027-03-15T10:30:00+08:00", "transcript": "Call about Q3 budget"}),
        )
        .await,
    )
    .await;
    let contract = created(
        app.post_json(
            "/v1/contracts",
            "rep",
            &json!({"customer_id": customer, "rep_id": REP_A, "signed_on": "2027-03-01",
                    "instalments": [{"due_on": "2027-04-30", "amount_fen": 50_000}]}),
        )
        .await,
    )
    .await;
    let asset = created(
        app.post_json(
            "/v1/process-assets",
            "rep",
            &json!({"customer_id": customer, "rep_id": REP_A, "kind": "solution", "title": "HIS 对接方案"}),
        )
        .await,
    )
    .await;
    app.post_json(
        &format!("/v1/customers/{customer}/usage-reports"),
        "integrator",
        &json!({"days": [{"day": "2027-03-15", "logins": 1, "key_feature_calls": 3}],
                "modules_used": ["CRM"], "last_login_at": "2027-03-15T17:42:00+08:00"}),
    )
    .await
    .ok();
    if close_day {
        app.post_json("/v1/days/2027-03-15/close", "supervisor", &json!({}))
            .await
            .ok();
    }
    World {
        app,
        customer,
        lead,
        proposal,
        pack,
        visit,
        contract,
        asset,
        pdf_sha256,
    }
}

impl World {
    /// `path` with its parameters naming the world's things.
    fn fill(&self, path: &str) -> String {
        let random = Uuid::now_v7().to_string();
        [
            ("{customer_id}", self.customer.to_string()),
            ("{lead_id}", self.lead.to_string()),
            ("{rep_id}", REP_A.to_string()),
            ("{visit_id}", self.visit.to_string()),
            ("{pack_id}", self.pack.to_string()),
            ("{proposal_id}", self.proposal.to_string()),
            ("{contract_id}", self.contract.to_string()),
            ("{asset_id}", self.asset.to_string()),
            ("{sha256}", self.pdf_sha256.clone()),
            ("{todo_id}", random.clone()),
            ("{task_id}", random.clone()),
            ("{plan_id}", random),
            ("{date}", "2027-03-15".to_owned()),
            ("{region}", "华东".to_owned()),
        ]
        .into_iter()
        .fold(path.to_owned(), |path, (parameter, value)| {
            path.replace(parameter, &value)
        })
    }

    /// `path` with its customer-bound parameter naming something that
    /// does not exist.
    fn fill_missing(&self, path: &str) -> String {
        let missing = [
            "{customer_id}",
            "{visit_id}",
            "{pack_id}",
            "{proposal_id}",
            "{contract_id}",
            "{asset_id}",
        ]
        .into_iter()
        .fold(path.to_owned(), |path, parameter| {
            path.replace(parameter, &Uuid::now_v7().to_string())
        });
        self.fill(&missing.replace("{sha256}", &"ab".repeat(32)))
    }
}

/// Every token of the test app: each role's, then the extra ones.
fn tokens() -> Vec<(&'static str, Role, Option<Uuid>)> {
    let mut tokens: Vec<_> = Role::ALL
        .into_iter()
        .map(|role| (role.as_str(), role, (role == Role::Rep).then_some(REP_A)))
        .collect();
    tokens.push(("rep_b", Role::Rep, Some(REP_B)));
    tokens.push(("rep_no_id", Role::Rep, None));
    tokens.push(("regional_east", Role::RegionalSupervisor, None));
    tokens.push(("regional_north", Role::RegionalSupervisor, None));
    tokens
}

/// A valid body for the routes that name their customer in the body (the
/// ownership check needs the body there); `{"access_probe": true}`, which
/// every request type refuses as an unknown field, for the others: their
/// ownership check runs before the body is read, so an allowed caller gets
/// a 4xx about the body and a refused one a 403.
fn body_for(kind: CommandKind, world: &World, acting_rep: Uuid) -> Value {
    let customer = world.customer;
    match kind {
        CommandKind::LogVisit => json!({
            "customer_id": customer, "rep_id": acting_rep, "channel": "phone",
            "occurred_at": "2027-03-15T11:30:00+08:00", "transcript": "Call about Q3 budget"
        }),
        CommandKind::StartNurturePack => {
            json!({"customer_id": customer, "trigger": {"source": "customer_stance"}})
        }
        CommandKind::CreateProposal => {
            json!({"customer_id": customer, "contact_email": CONTACT, "title": "方案 v2"})
        }
        CommandKind::SignContract => json!({
            "customer_id": customer, "rep_id": acting_rep, "signed_on": "2027-03-02",
            "instalments": [{"due_on": "2027-05-30", "amount_fen": 10_000}]
        }),
        CommandKind::RecordProcessAsset => json!({
            "customer_id": customer, "rep_id": acting_rep, "kind": "solution", "title": "方案"
        }),
        _ => json!({"access_probe": true}),
    }
}

#[tokio::test]
async fn every_role_against_every_command_route_follows_the_access_table() {
    let world = world().await;
    let app = &world.app;
    let mut checked = 0;
    for route in ALL_COMMAND_ROUTES {
        let (method, template, kind) = (&route.method, &route.path, &route.kind);
        let path = world.fill(template);
        for (token, role, rep) in tokens() {
            let body = body_for(*kind, &world, rep.unwrap_or(REP_A));
            let before = app.log_len();
            let answer = app
                .send_json(method, &path, app.token(token), &body, &[])
                .await;
            let what = format!("{token} {method} {path}: {}", answer.text);
            assert!(answer.status.as_u16() < 500, "{what}");
            let scope = rep_scope(*kind);
            let expected_refusal = if !may_issue(role, *kind) {
                Some("forbidden")
            } else if role == Role::Rep && rep.is_none() && scope.is_customer_scoped() {
                Some("rep_identity_unknown")
            } else if token == "rep_b" && scope == RepScope::OwnedCustomer {
                Some("not_customer_owner")
            } else {
                None
            };
            match expected_refusal {
                Some(code) => {
                    answer.assert_problem(403, code);
                    assert_eq!(app.log_len(), before, "appended: {what}");
                }
                None => assert_ne!(answer.status.as_u16(), 403, "{what}"),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ALL_COMMAND_ROUTES.len() * tokens().len());
}

/// Whether a read route's answer belongs to one customer (its path names
/// the customer or something of it).
fn customer_bound(path: &str) -> bool {
    [
        "{customer_id}",
        "{visit_id}",
        "{pack_id}",
        "{proposal_id}",
        "{contract_id}",
        "{asset_id}",
        "{sha256}",
    ]
    .iter()
    .any(|parameter| path.contains(parameter))
}

#[tokio::test]
async fn every_role_against_every_read_route_sees_only_what_the_access_table_allows() {
    let world = world().await;
    let app = &world.app;
    let written = app.log_len() - 1;
    let document = app.get("/openapi.json", "supervisor").await;
    let paths = document.ok()["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .filter(|(_, item)| item.get("get").is_some())
        .map(|(path, _)| path.clone())
        .collect::<Vec<_>>();
    let with_wait = |path: String| {
        if path.starts_with("/v1/views/") {
            format!("{path}?wait_for_position={written}&timeout_ms=5000")
        } else {
            path
        }
    };
    let mut bound = 0;
    for template in paths.iter().filter(|path| path.starts_with("/v1/")) {
        // The SSE stream never ends; the feed is checked in `feed.rs`.
        if template.ends_with("/stream") || template.contains('{') && !customer_bound(template) {
            continue;
        }
        let path = with_wait(world.fill(template));
        let supervisor = app.get(&path, "supervisor").await;
        if !customer_bound(template) {
            for (token, _, _) in tokens() {
                let answer = app.get(&path, token).await;
                assert!(
                    answer.status.as_u16() < 500,
                    "{token} {path}: {}",
                    answer.text
                );
            }
            continue;
        }
        bound += 1;
        assert!(
            supervisor.status.is_success(),
            "the world has {path}: {}",
            supervisor.text
        );
        let missing = app
            .get(&with_wait(world.fill_missing(template)), "supervisor")
            .await;
        assert_eq!(missing.status.as_u16(), 404, "{template}: {}", missing.text);
        for (token, role, _) in tokens() {
            let answer = app.get(&path, token).await;
            let what = format!("{token} GET {path}: {}", answer.text);
            let hidden = matches!(token, "rep_b" | "rep_no_id" | "regional_north");
            let role_refused = answer.status.as_u16() == 403 && answer.code() == "forbidden";
            if role_refused {
                // A role-level refusal (evidence bundles) does not depend
                // on the customer: the same for every token of the role.
                let owner_token = if role == Role::Rep {
                    "rep"
                } else {
                    role.as_str()
                };
                let owner_answer = app.get(&path, owner_token).await;
                assert_eq!(owner_answer.status.as_u16(), 403, "{what}");
            } else if hidden {
                assert_eq!(answer.status.as_u16(), 404, "{what}");
                assert_eq!(answer.code(), missing.code(), "{what}");
            } else {
                assert!(answer.status.is_success(), "{what}");
            }
        }
    }
    // Customer, account, visit, nurture pack, proposal, contract, process
    // asset, blob, health, responsibility, receivables of a contract,
    // evidence bundle.
    assert!(bound >= 12, "only {bound} customer-bound read routes");
}

/// Sends `method path body` as `token`; asserts a 403 `code` that appends
/// nothing.
async fn refused(app: &TestApp, method: &str, path: &str, token: &str, body: &Value, code: &str) {
    let before = app.log_len();
    app.send_json(method, path, app.token(token), body, &[])
        .await
        .assert_problem(403, code);
    assert_eq!(app.log_len(), before, "{token} {method} {path} appended");
}

#[tokio::test]
async fn rep_b_cannot_touch_rep_as_customer_but_rep_a_and_other_roles_can() {
    // No day closed: the customer has no health score yet (a red one
    // would freeze renewal quoting for everyone).
    let world = world_with(false).await;
    let app = &world.app;
    let customer = world.customer;
    let base = format!("/v1/customers/{customer}");
    let attributes = json!({"attributes": {"industry": "三甲医院 设备"}});
    let quote = json!({"amount_fen": 38_000_000u64, "valid_until": "2027-04-30"});
    let proposal = json!({"customer_id": customer, "contact_email": CONTACT, "title": "方案 v3"});
    let pack = json!({"customer_id": customer, "trigger": {"source": "customer_stance"}});
    // (method, path, body, a non-rep role that may issue it)
    let commands = [
        (
            "POST",
            format!("{base}/tracking-consent/withdrawal"),
            json!({}),
            "legal",
        ),
        (
            "POST",
            format!("{base}/stance"),
            json!({"stance": "ready_to_buy"}),
            "csm",
        ),
        ("POST", format!("{base}/renewal-quotes"), quote, "finance"),
        (
            "PUT",
            format!("{base}/attributes"),
            attributes,
            "supervisor",
        ),
        ("POST", "/v1/proposals".to_owned(), proposal, "rep"),
        ("POST", "/v1/nurture-packs".to_owned(), pack, "marketing"),
    ];
    for (method, path, body, other) in &commands {
        refused(app, method, path, "rep_b", body, "not_customer_owner").await;
        refused(app, method, path, "rep_no_id", body, "rep_identity_unknown").await;
        let answer = app
            .send_json(method, path, app.token("rep"), body, &[])
            .await;
        assert!(answer.status.is_success(), "rep A {path}: {}", answer.text);
        let answer = app
            .send_json(method, path, app.token(other), body, &[])
            .await;
        assert!(
            answer.status.is_success(),
            "{other} {path}: {}",
            answer.text
        );
    }
    // Withdrawn consent: rep B cannot record it again either.
    refused(
        app,
        "POST",
        &format!("{base}/tracking-consent"),
        "rep_b",
        &json!({"consent_text": "同意"}),
        "not_customer_owner",
    )
    .await;

    let reads = [
        base.clone(),
        format!("{base}/account"),
        format!("/v1/views/responsibility/customers/{customer}"),
        format!("/v1/proposals/{}", world.proposal),
        format!("/v1/blobs/{}", world.pdf_sha256),
    ];
    for path in &reads {
        let hidden = app.get(path, "rep_b").await;
        assert_eq!(hidden.status.as_u16(), 404, "rep B {path}: {}", hidden.text);
        for token in ["rep", "supervisor", "regional_east", "auditor"] {
            let answer = app.get(path, token).await;
            assert!(
                answer.status.is_success(),
                "{token} {path}: {}",
                answer.text
            );
        }
    }
    // Health is scored at a day close: once it is, rep B still sees none.
    app.post_json("/v1/days/2027-03-15/close", "supervisor", &json!({}))
        .await
        .ok();
    let health = format!(
        "/v1/views/health/{customer}?wait_for_position={}",
        app.log_len() - 1
    );
    assert_eq!(app.get(&health, "rep_b").await.status.as_u16(), 404);
    for token in ["rep", "supervisor", "regional_east", "auditor"] {
        let answer = app.get(&health, token).await;
        assert!(
            answer.status.is_success(),
            "{token} {health}: {}",
            answer.text
        );
    }
    // The blob's bytes are served to its customer's owner.
    let blob = app
        .get(&format!("/v1/blobs/{}", world.pdf_sha256), "rep")
        .await;
    assert!(blob.text.contains(&world.proposal.to_string()));
}

#[tokio::test]
async fn lists_keep_only_the_rows_the_caller_may_read() {
    let world = world().await;
    let app = &world.app;
    let written = app.log_len() - 1;
    let customer = json!(world.customer);
    // The health list both whole and as a page (`limit`): one scoping for
    // both answers.
    for (path, rows) in [
        ("/v1/views/health?", "/data"),
        ("/v1/views/health?limit=100&", "/data"),
        ("/v1/views/risk?", "/data/customers"),
    ] {
        let path = format!("{path}wait_for_position={written}");
        let ids = |answer: &Answer| -> Vec<Value> {
            answer
                .ok()
                .pointer(rows)
                .and_then(Value::as_array)
                .unwrap_or_else(|| panic!("{rows} in {}", answer.text))
                .iter()
                .map(|row| row["customer_id"].clone())
                .collect()
        };
        for token in ["rep", "supervisor", "regional_east", "analyst"] {
            let answer = app.get(&path, token).await;
            assert!(
                ids(&answer).contains(&customer),
                "{token} {path}: {}",
                answer.text
            );
        }
        for token in ["rep_b", "rep_no_id", "regional_north"] {
            let answer = app.get(&path, token).await;
            assert!(
                !ids(&answer).contains(&customer),
                "{token} {path}: {}",
                answer.text
            );
        }
    }
}

#[tokio::test]
async fn a_pool_customer_is_claimed_by_any_rep_but_worked_only_by_its_owner() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer = app.hospital_customer().await;
    let path = format!("/v1/customers/{customer}");
    // In the pool: its record is visible to reps (to claim it), its account
    // and the commands on it are not; nor is its history of owners, now or
    // as of a time (the 404 a missing customer gets, to the letter); a rep
    // token that names no rep reads none of it.
    assert!(app.get(&path, "rep_b").await.status.is_success());
    let missing = uuid::Uuid::now_v7();
    for (asked, of_missing) in [
        (
            format!("{path}/ownership"),
            format!("/v1/customers/{missing}/ownership"),
        ),
        (
            format!("{path}/ownership?as_of=2027-03-16T00:00:00Z"),
            format!("/v1/customers/{missing}/ownership?as_of=2027-03-16T00:00:00Z"),
        ),
        (
            format!("/v1/views/responsibility/customers/{customer}?as_of=2027-03-16T00:00:00Z"),
            format!("/v1/views/responsibility/customers/{missing}?as_of=2027-03-16T00:00:00Z"),
        ),
    ] {
        let refused = app.get(&asked, "rep_b").await;
        refused.assert_problem(404, "not_found");
        let absent = app.get(&of_missing, "rep_b").await;
        absent.assert_problem(404, "not_found");
        assert_eq!(
            refused.json["detail"]
                .as_str()
                .map(|detail| detail.replace(&customer.to_string(), "ID")),
            absent.json["detail"]
                .as_str()
                .map(|detail| detail.replace(&missing.to_string(), "ID")),
            "{asked}: a refusal reads as a missing customer"
        );
        assert!(
            app.get(&asked, "supervisor").await.status.is_success(),
            "{asked}"
        );
    }
    app.get(&path, "rep_no_id")
        .await
        .assert_problem(404, "not_found");
    refused(
        &app,
        "POST",
        &format!("{path}/stance"),
        "rep_b",
        &json!({"stance": "ready_to_buy"}),
        "not_customer_owner",
    )
    .await;
    app.post_json(&format!("{path}/claim"), "rep_b", &json!({"rep_id": REP_B}))
        .await
        .ok();
    app.post_json(
        &format!("{path}/stance"),
        "rep_b",
        &json!({"stance": "ready_to_buy"}),
    )
    .await
    .ok();
    // Now rep B's: rep A's claim is the domain's conflict naming the owner
    // (SPEC C3), not an access refusal; rep A no longer reads it.
    let conflict = app
        .post_json(&format!("{path}/claim"), "rep", &json!({"rep_id": REP_A}))
        .await;
    assert_eq!(conflict.status.as_u16(), 409, "{}", conflict.text);
    assert_eq!(app.get(&path, "rep").await.status.as_u16(), 404);
}

#[tokio::test]
async fn a_blob_no_proposal_references_is_hidden_from_reps() {
    let app = spawn_app().await;
    let content = b"%PDF-1.7 a draft nobody recorded".to_vec();
    let sha256 = hex::encode(Sha256::digest(&content));
    let uploaded = app
        .send_raw(
            "POST",
            "/v1/blobs",
            Some(app.token("rep")),
            Some("application/pdf"),
            content,
            &[],
        )
        .await;
    assert_eq!(uploaded.status.as_u16(), 201, "{}", uploaded.text);
    let path = format!("/v1/blobs/{sha256}");
    let hidden = app.get(&path, "rep").await;
    hidden.assert_problem(404, "blob_not_found");
    assert!(app.get(&path, "supervisor").await.status.is_success());
}

/// Paging a list a caller sees only part of: the pages hold exactly the
/// rows the caller may read, and no `next_cursor` names a customer the
/// caller may not read (the cursor is the key of the page's last row; a
/// page reads on past rows it may not read to fill itself).
#[tokio::test]
async fn a_scoped_callers_pages_and_cursors_name_only_what_it_may_read() {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let mut own = Vec::new();
    let mut all = Vec::new();
    for index in 0..8 {
        let customer = app
            .register_customer(json!({"company_name": format!("分页测试客户{index}"), "attributes": {"region": "华东"}}))
            .await;
        let (token, rep) = if index % 3 == 0 {
            ("rep", REP_A)
        } else {
            ("rep_b", REP_B)
        };
        app.post_json(
            &format!("/v1/customers/{customer}/claim"),
            token,
            &json!({"rep_id": rep}),
        )
        .await
        .ok();
        app.post_json(
            &format!("/v1/customers/{customer}/usage-reports"),
            "integrator",
            &json!({"days": [{"day": "2027-03-15", "logins": 1, "key_feature_calls": 2}]}),
        )
        .await
        .ok();
        if rep == REP_A {
            own.push(customer.to_string());
        }
        all.push(customer.to_string());
    }
    app.post_json("/v1/days/2027-03-15/close", "supervisor", &json!({}))
        .await
        .ok();
    let written = app.log_len() - 1;
    own.sort();
    all.sort();
    for (token, expected, limit) in [
        ("rep", &own, 1),
        ("rep", &own, 2),
        ("rep", &own, 5),
        ("supervisor", &all, 1),
        ("supervisor", &all, 3),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..20 {
            let path = match &cursor {
                None => format!("/v1/views/health?limit={limit}&wait_for_position={written}"),
                Some(cursor) => format!("/v1/views/health?limit={limit}&cursor={cursor}"),
            };
            let answer = app.get(&path, token).await;
            let page = answer.ok().clone();
            let rows = page["data"].as_array().expect("data");
            assert!(
                rows.len() <= limit,
                "{token}: {} rows, limit {limit}",
                rows.len()
            );
            for row in rows {
                seen.push(row["customer_id"].as_str().expect("id").to_owned());
            }
            cursor = page["next_cursor"].as_str().map(str::to_owned);
            let Some(cursor) = &cursor else { break };
            let named = uuid::Uuid::from_slice(&hex::decode(cursor).expect("hex"))
                .expect("a customer id")
                .to_string();
            assert!(
                expected.contains(&named),
                "{token}'s cursor names {named}, not one of its customers"
            );
        }
        assert!(cursor.is_none(), "{token} reached the end");
        seen.sort();
        assert_eq!(&seen, expected, "{token}, limit {limit}");
    }
}

/// A visit, a nurture pack or a proposal names its customer in the body:
/// one no customer has (yet) is refused, `422 unknown_customer` at
/// `customer_id`, nothing appended; otherwise a customer registered later
/// under that id (client-chosen, or the customer import's derived ids)
/// would carry records someone else made.
#[tokio::test]
async fn a_creation_for_a_customer_nobody_registered_is_refused() {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let nobody = Uuid::now_v7();
    let before = app.log_len();
    for (path, token, body) in [
        (
            "/v1/visits",
            "rep",
            json!({"customer_id": nobody, "rep_id": REP_A, "channel": "on_site",
                   "occurred_at": "2027-03-15T10:00:00+08:00", "transcript": "客户还在比较"}),
        ),
        (
            "/v1/nurture-packs",
            "marketing",
            json!({"customer_id": nobody, "trigger": {"source": "customer_stance"}}),
        ),
        (
            "/v1/proposals",
            "rep",
            json!({"customer_id": nobody, "contact_email": "li.na@szpap.com", "title": "方案 v1"}),
        ),
    ] {
        let answer = app.post_json(path, token, &body).await;
        answer.assert_problem(422, "unknown_customer");
        assert_eq!(answer.json["path"], json!("customer_id"), "{path}");
    }
    assert_eq!(app.log_len(), before, "nothing appended");
}
