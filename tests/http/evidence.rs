//! `GET /v1/audit/evidence/customers/{id}`: the evidence bundle over HTTP,
//! a download that the offline verifier accepts against the log's key;
//! only the customer's events; later events in a later bundle; 404 for a
//! customer the log never mentions; 403 for roles that may not read every
//! event type.

use salesledger_replay::audit::bundle::verify_bundle;
use salesledger_replay::audit::{ServerKey, AUDIT_DIR, KEY_FILE};
use serde_json::json;
use uuid::Uuid;

use super::support::{spawn_app, Answer, TestApp};

fn evidence_path(customer_id: Uuid) -> String {
    format!("/v1/audit/evidence/customers/{customer_id}")
}

/// The log's verifier key, read from the data directory (obtained apart
/// from the bundle, as an auditor would).
fn log_key(app: &TestApp) -> String {
    ServerKey::load(
        &app.data_dir
            .path()
            .join("data")
            .join(AUDIT_DIR)
            .join(KEY_FILE),
    )
    .expect("the gateway created the signing key")
    .vkey()
}

fn position_of(answer: &Answer) -> u64 {
    answer.json["last_position"]
        .as_u64()
        .unwrap_or_else(|| panic!("no last_position in {}", answer.text))
}

#[tokio::test]
async fn a_customers_bundle_downloads_and_verifies_offline_with_only_its_events() {
    let app = spawn_app().await;
    let customer = app.hospital_customer().await;
    let other = app
        .register_customer(json!({
            "company_name": "苏州精密汽车零部件有限公司",
            "contact_email": "buyer@szpap.com",
            "attributes": {"industry": "汽车零部件", "region": "华东"}
        }))
        .await;
    let other_position = app.log_len() - 1;

    let answer = app.get(&evidence_path(customer), "auditor").await;
    answer.ok();
    assert_eq!(answer.content_type(), "application/json");
    let disposition = answer
        .headers
        .get(reqwest::header::CONTENT_DISPOSITION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"evidence-customer-{customer}.json\"")
    );
    let key = log_key(&app);
    let report = verify_bundle(answer.text.as_bytes(), Some(&key))
        .unwrap_or_else(|error| panic!("the downloaded bundle does not verify: {error}"));
    assert_eq!(report.subject.kind, "customer");
    assert_eq!(report.subject.id, customer);
    assert!(report.n_events >= 1, "{report:?}");
    assert!(
        !report.positions.contains(&other_position),
        "the other customer's registration is not evidence about this one: {:?}",
        report.positions
    );
    let first_positions = report.positions.clone();

    // An event recorded after the first bundle is in the next one (the
    // tree catches up and a checkpoint covering it is signed).
    let changed = app
        .put_json(
            &format!("/v1/customers/{customer}/attributes"),
            "supervisor",
            &json!({"attributes": {"industry": "三甲医院 设备", "region": "华东", "size": "1000+"}}),
        )
        .await;
    changed.ok();
    let changed_at = position_of(&changed);
    let answer = app.get(&evidence_path(customer), "supervisor").await;
    answer.ok();
    let report = verify_bundle(answer.text.as_bytes(), Some(&key))
        .unwrap_or_else(|error| panic!("the second bundle does not verify: {error}"));
    assert!(report.positions.contains(&changed_at), "{report:?}");
    assert!(first_positions
        .iter()
        .all(|position| report.positions.contains(position)));
    assert!(report.tree_size > changed_at);

    // The other customer's bundle holds its own registration only.
    let answer = app.get(&evidence_path(other), "cto").await;
    answer.ok();
    let report = verify_bundle(answer.text.as_bytes(), Some(&key))
        .unwrap_or_else(|error| panic!("the other bundle does not verify: {error}"));
    assert_eq!(report.positions, vec![other_position]);

    // A bundle signed by another key does not verify against the log's.
    let stranger = ServerKey::load_or_create(tempfile::tempdir().expect("tempdir").path())
        .expect("a key")
        .vkey();
    assert!(verify_bundle(answer.text.as_bytes(), Some(&stranger)).is_err());
}

#[tokio::test]
async fn unknown_customers_are_404_and_other_roles_403() {
    let app = spawn_app().await;
    let customer = app.hospital_customer().await;
    let log_len = app.log_len();

    app.get(&evidence_path(Uuid::now_v7()), "auditor")
        .await
        .assert_problem(404, "not_found");
    app.get("/v1/audit/evidence/customers/not-a-uuid", "auditor")
        .await
        .assert_problem(400, "invalid_path_parameter");
    for role in [
        "rep",
        "csm",
        "finance",
        "legal",
        "marketing",
        "store_manager",
    ] {
        app.get(&evidence_path(customer), role)
            .await
            .assert_problem(403, "forbidden");
    }
    for role in [
        "supervisor",
        "regional_supervisor",
        "auditor",
        "analyst",
        "integrator",
        "cto",
    ] {
        app.get(&evidence_path(customer), role).await.ok();
    }
    // Refusals and 404s append nothing; the bundles appended one
    // checkpoint (the first covers the customer's events; later ones reuse it).
    assert_eq!(app.log_len(), log_len + 1);

    // `/v1/me` tells the dashboard who may download.
    let me = app.get("/v1/me", "rep").await;
    assert_eq!(me.ok()["role"], "rep");
    assert_eq!(me.json["may_download_evidence"], false);
    assert!(me.json["rep_id"].is_string(), "{}", me.text);
    let me = app.get("/v1/me", "auditor").await;
    assert_eq!(me.ok()["may_download_evidence"], true);
    assert_eq!(me.json["rep_id"], serde_json::Value::Null);
}
