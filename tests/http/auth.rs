//! Authorisation before the body: 401 without a valid token whatever the
//! body, 403 for a role that may not issue the command, auditors read but
//! never write; nothing is appended in any of these cases.

use salesledger::gateway::routes::ALL_COMMAND_ROUTES;
use salesledger_domain::role::may_issue;
use salesledger_domain::Role;
use serde_json::json;
use uuid::Uuid;

use super::support::{spawn_app, REP_A};

/// A concrete path for a route template.
pub fn concrete(template: &str, id: Uuid) -> String {
    template
        .replace("{date}", "2027-03-15")
        .replace("{region}", "%E5%8D%8E%E4%B8%9C")
        .replace("{contract_id}", &id.to_string())
        .replace("{rep_id}", &id.to_string())
        .replace("{customer_id}", &id.to_string())
        .replace("{lead_id}", &id.to_string())
        .replace("{visit_id}", &id.to_string())
        .replace("{todo_id}", &id.to_string())
        .replace("{pack_id}", &id.to_string())
        .replace("{proposal_id}", &id.to_string())
        .replace("{task_id}", &id.to_string())
        .replace("{plan_id}", &id.to_string())
        .replace("{asset_id}", &id.to_string())
        .replace("{webhook_id}", &id.to_string())
}

#[tokio::test]
async fn no_token_is_401_whatever_the_body() {
    let app = spawn_app().await;
    app.seed_config().await;
    let before = app.log_len();
    let huge = vec![b'{'; 4 * 1024 * 1024];
    let bodies: Vec<(Option<&str>, Vec<u8>)> = vec![
        (Some("application/json"), b"{}".to_vec()),
        (Some("application/json"), b"{\"rep_id\": ".to_vec()),
        (Some("text/plain"), b"\x00\xff garbage".to_vec()),
        (None, Vec::new()),
        (Some("application/json"), huge),
    ];
    for route in ALL_COMMAND_ROUTES {
        let (method, template) = (&route.method, &route.path);
        let path = concrete(template, Uuid::now_v7());
        for (content_type, body) in &bodies {
            let answer = app
                .send_raw(method, &path, None, *content_type, body.clone(), &[])
                .await;
            answer.assert_problem(401, "unauthenticated");
            assert_eq!(
                answer.headers["www-authenticate"], "Bearer",
                "{method} {path}"
            );
        }
    }
    // Also the blob upload, with a body far over any limit.
    let answer = app
        .send_raw(
            "POST",
            "/v1/blobs",
            None,
            Some("application/pdf"),
            vec![0u8; 8 * 1024 * 1024],
            &[],
        )
        .await;
    answer.assert_problem(401, "unauthenticated");
    assert_eq!(app.log_len(), before, "nothing appended");
    app.assert_healthy().await;
}

#[tokio::test]
async fn a_bad_token_is_401() {
    let app = spawn_app().await;
    let before = app.log_len();
    let body = json!({"display_name": "王晓明", "region": "华东", "capability_tags": ["iso13485", "tier3-hospital-his", "plc-retrofit"]});
    let supervisor = app.token("supervisor").to_owned();
    for header in [
        "Bearer sl_0000000000000000000000000000000000000000000000000000000000000000".to_owned(),
        format!("Bearer {supervisor}x"),
        format!("Basic {supervisor}"),
        format!("bearer{supervisor}"),
        supervisor.clone(),
        "Bearer ".to_owned(),
    ] {
        let answer = crate::http::support::TestApp::answer(
            app.client
                .post(app.url("/v1/reps"))
                .header("authorization", header.clone())
                .json(&body)
                .send()
                .await
                .expect("send"),
        )
        .await;
        answer.assert_problem(401, "unauthenticated");
    }
    // Reads need a token too.
    let answer = crate::http::support::TestApp::answer(
        app.client
            .get(app.url("/v1/config"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    answer.assert_problem(401, "unauthenticated");
    assert_eq!(app.log_len(), before);
}

#[tokio::test]
async fn every_role_outside_a_commands_authorisation_gets_403_before_the_body() {
    let app = spawn_app().await;
    app.seed_config().await;
    let before = app.log_len();
    for route in ALL_COMMAND_ROUTES {
        let (method, template, kind) = (&route.method, &route.path, &route.kind);
        let path = concrete(template, Uuid::now_v7());
        for role in Role::ALL {
            if may_issue(role, *kind) {
                continue;
            }
            // A malformed body: the role is refused before it is read.
            let answer = app
                .send_raw(
                    method,
                    &path,
                    Some(app.token(role.as_str())),
                    Some("application/json"),
                    b"{not json".to_vec(),
                    &[],
                )
                .await;
            assert_eq!(
                (answer.status.as_u16(), answer.code()),
                (403, "forbidden"),
                "{} {method} {path}: {}",
                role.as_str(),
                answer.text
            );
            assert_eq!(answer.content_type(), "application/problem+json");
        }
    }
    assert_eq!(app.log_len(), before, "nothing appended");
}

#[tokio::test]
async fn marketing_cannot_claim_a_customer() {
    let app = spawn_app().await;
    let customer_id = app.hospital_customer().await;
    let before = app.log_len();
    app.post_json(
        &format!("/v1/customers/{customer_id}/claim"),
        "marketing",
        &json!({"rep_id": REP_A}),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(app.log_len(), before);
}

#[tokio::test]
async fn an_auditor_reads_everything_and_writes_nothing() {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let customer_id = app.hospital_customer().await;
    let lead_id = app.confirmed_lead().await;
    let before = app.log_len();

    for path in [
        format!("/v1/customers/{customer_id}"),
        format!("/v1/leads/{lead_id}"),
        format!("/v1/reps/{REP_A}"),
        "/v1/config".to_owned(),
    ] {
        let answer = app.get(&path, "auditor").await;
        assert_eq!(answer.status.as_u16(), 200, "{path}: {}", answer.text);
    }
    let config = app.get("/v1/config", "auditor").await;
    assert_eq!(config.json["config"]["routing_rules"]["version"], json!(1));
    let missing = app
        .get(&format!("/v1/customers/{}", Uuid::now_v7()), "auditor")
        .await;
    missing.assert_problem(404, "not_found");

    for route in ALL_COMMAND_ROUTES {
        let (method, template) = (&route.method, &route.path);
        let path = concrete(template, customer_id);
        let answer = app
            .send_json(method, &path, app.token("auditor"), &json!({}), &[])
            .await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (403, "forbidden"),
            "{method} {path}: {}",
            answer.text
        );
    }
    let upload = app
        .send_raw(
            "POST",
            "/v1/blobs",
            Some(app.token("auditor")),
            Some("application/pdf"),
            b"%PDF".to_vec(),
            &[],
        )
        .await;
    upload.assert_problem(403, "forbidden");
    assert_eq!(app.log_len(), before, "nothing appended");
}

#[tokio::test]
async fn the_token_file_keeps_only_hashes() {
    let app = spawn_app().await;
    let text = std::fs::read_to_string(app.data_dir.path().join("tokens.json")).expect("tokens");
    for token in app.tokens.values() {
        assert!(!text.contains(token.as_str()), "a plaintext token on disk");
    }
    assert!(text.contains("token_sha256"));
}

#[tokio::test]
async fn every_role_may_read() {
    let app = spawn_app().await;
    let customer_id = app.hospital_customer().await;
    for role in Role::ALL {
        let answer = app
            .get(&format!("/v1/customers/{customer_id}"), role.as_str())
            .await;
        if !role.may_read() {
            // The witness: tree heads and proofs only.
            assert_eq!(answer.status.as_u16(), 403, "{}", role.as_str());
            continue;
        }
        assert_eq!(answer.status.as_u16(), 200, "{}", role.as_str());
        assert_eq!(
            answer.json["stream_id"],
            json!(format!("customer-{customer_id}"))
        );
    }
}
