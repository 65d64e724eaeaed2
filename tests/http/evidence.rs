//! `GET /v1/audit/evidence/customers/{id}`: the evidence bundle over HTTP,
//! a download that the offline verifier accepts against the log's key;
//! only the customer's events; later events in a later bundle; 404 for a
//! customer the log never mentions; 403 for roles that may not read every
//! event type.

use salesledger_replay::audit::bundle::verify_bundle;
use salesledger_replay::audit::{ServerKey, AUDIT_DIR, KEY_FILE};
use serde_json::json;
use uuid::Uuid;

use super::support::{spawn_app, Answer, TestApp, REP_A};

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

/// The dispute story (issue 15) over HTTP: marketing registers a lead for
/// the customer, budget and technical fit are confirmed, routing is
/// proposed and confirmed, the customer is claimed, a proposal is
/// delivered with two proofs, the customer is transferred. The customer's
/// bundle holds every one of these events (and the policies in force), the
/// lead's and the proposal's bundles hold theirs, the index selects what a
/// scan of the log selects, and the customer's bundle verifies offline
/// with a copy of the binary and nothing else (the data directory gone).
#[tokio::test]
async fn the_dispute_story_is_in_the_customers_bundle_and_verifies_offline() {
    use sha2::{Digest, Sha256};

    use super::support::REP_B;

    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let customer = app.hospital_customer().await;
    let lead = app
        .register_lead(&json!({
            "company_name": "上海瑞康医疗器械有限公司",
            "contact_email": "purchasing@ruikang-med.cn",
            "attributes": {"industry": "三甲医院 设备", "compliance": "ISO13485", "region": "华东"},
            "customer_id": customer,
        }))
        .await;
    app.post_json(
        &format!("/v1/leads/{lead}/budget-confirmation"),
        "marketing",
        &json!({"note": "预算 380 万元已批"}),
    )
    .await
    .ok();
    app.post_json(
        &format!("/v1/leads/{lead}/technical-fit-confirmation"),
        "cto",
        &json!({}),
    )
    .await
    .ok();
    let proposed = app
        .post_json(
            &format!("/v1/leads/{lead}/routing-proposals"),
            "supervisor",
            &json!({}),
        )
        .await;
    proposed.ok();
    // Routed to rep A when the proposal names them, else to the first
    // candidate: confirming the routing makes the chosen rep the owner (a
    // CustomerClaimed reaction, issue 16); the customer then goes to rep A,
    // who writes the proposal.
    let candidates = proposed.event("RoutingProposed")["candidates"]
        .as_array()
        .expect("candidates")
        .clone();
    let routed_to = candidates
        .iter()
        .map(|candidate| candidate["rep_id"].clone())
        .find(|rep| *rep == json!(REP_A))
        .unwrap_or_else(|| candidates[0]["rep_id"].clone());
    let confirmed = app
        .post_json(
            &format!("/v1/leads/{lead}/routing-confirmation"),
            "supervisor",
            &json!({"rep_id": routed_to}),
        )
        .await;
    assert!(
        confirmed.ok()["reactions"]
            .as_array()
            .expect("reactions")
            .iter()
            .any(|event| event["event_type"] == "CustomerClaimed"),
        "routing assigns the owner: {}",
        confirmed.text
    );
    if routed_to != json!(REP_A) {
        app.post_json(
            &format!("/v1/customers/{customer}/transfer"),
            "supervisor",
            &json!({"to_rep_id": REP_A, "reason": "由李娜跟进方案"}),
        )
        .await
        .ok();
    }
    let created = app
        .post_json(
            "/v1/proposals",
            "rep",
            &json!({"customer_id": customer, "contact_email": "purchasing@ruikang-med.cn", "title": "手术室设备升级方案 v2"}),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.text);
    let proposal = super::support::stream_uuid(&created);
    let pdf = b"%PDF-1.7 proposal watermark purchasing@ruikang-med.cn".to_vec();
    let sha256 = hex::encode(Sha256::digest(&pdf));
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
        &json!({"sha256": sha256, "watermark_email": "purchasing@ruikang-med.cn"}),
    )
    .await
    .ok();
    let receipt = app
        .post_json(
            &format!("/v1/proposals/{proposal}/email-receipts"),
            "integrator",
            &json!({"message_id": "<20270316.8812@mail.example>", "recipient": "purchasing@ruikang-med.cn", "delivered_at": "2027-03-16T09:12:00+08:00"}),
        )
        .await;
    receipt.ok();
    receipt.event("ProposalDelivered");
    app.post_json(
        &format!("/v1/customers/{customer}/transfer"),
        "supervisor",
        &json!({"to_rep_id": REP_B, "reason": "原负责人调岗至华南区"}),
    )
    .await
    .ok();

    let answer = app.get(&evidence_path(customer), "auditor").await;
    answer.ok();
    let key = log_key(&app);
    let report = verify_bundle(answer.text.as_bytes(), Some(&key))
        .unwrap_or_else(|error| panic!("the customer's bundle does not verify: {error}"));
    let types: Vec<String> = answer.json["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| {
            event["record"]["event_type"]
                .as_str()
                .expect("type")
                .to_owned()
        })
        .collect();
    for wanted in [
        "CustomerRegistered",
        "LeadRegistered",
        "LeadBudgetConfirmed",
        "LeadTechnicalFitConfirmed",
        "RoutingProposed",
        "RoutingConfirmed",
        "CustomerClaimed",
        "ProposalCreated",
        "ProposalPdfUploaded",
        "ProposalEmailDelivered",
        "ProposalDelivered",
        "CustomerTransferred",
        "PoolPolicyPublished",
        "RoutingRulesPublished",
    ] {
        assert!(
            types.contains(&wanted.to_owned()),
            "{wanted} missing: {types:?}"
        );
    }
    assert_eq!(answer.json["format"], "salesledger-evidence/3");
    assert_eq!(
        answer.json["attachments"][0]["sha256"],
        json!(sha256),
        "the PDF's hash is committed"
    );

    // The index selects what the reference scan of the log selects.
    let store = app.state.service.store().clone();
    for (subject, answer_path) in [
        (
            salesledger_replay::audit::bundle::Subject::customer(customer),
            evidence_path(customer),
        ),
        (
            salesledger_replay::audit::bundle::Subject::lead(lead),
            format!("/v1/audit/evidence/leads/{lead}"),
        ),
        (
            salesledger_replay::audit::bundle::Subject::proposal(proposal),
            format!("/v1/audit/evidence/proposals/{proposal}"),
        ),
    ] {
        let answer = app.get(&answer_path, "auditor").await;
        answer.ok();
        let report = verify_bundle(answer.text.as_bytes(), Some(&key))
            .unwrap_or_else(|error| panic!("{answer_path}: {error}"));
        let scanned: Vec<u64> =
            salesledger_replay::audit::bundle::select_by_scan(store.as_ref(), &subject, |_, _| {})
                .await
                .expect("scan")
                .into_iter()
                .filter(|position| *position < report.tree_size)
                .collect();
        assert_eq!(report.positions, scanned, "{answer_path}");
    }
    let lead_bundle = app
        .get(&format!("/v1/audit/evidence/leads/{lead}"), "auditor")
        .await;
    assert_eq!(
        lead_bundle.json["events"].as_array().map(Vec::len),
        Some(6),
        "registration, two confirmations, proposal, confirmation, the rules: {}",
        lead_bundle.text
    );
    app.get(&format!("/v1/audit/evidence/proposals/{proposal}"), "rep")
        .await
        .assert_problem(403, "forbidden");

    // Offline: a copy of the binary, the bundle, the key; no data directory.
    let work = tempfile::tempdir().expect("tempdir");
    let bundle_file = work.path().join("customer.json");
    std::fs::write(&bundle_file, &answer.text).expect("write the bundle");
    let binary = work.path().join("salesledger-copy");
    std::fs::copy(env!("CARGO_BIN_EXE_salesledger"), &binary).expect("copy the binary");
    let data_dir = app.data_dir.path().to_owned();
    drop(app);
    std::fs::remove_dir_all(&data_dir).ok();
    assert!(!data_dir.exists());
    let output = (0..100)
        .find_map(|_| {
            match crate::util::in_english(std::process::Command::new(&binary))
                .args([
                    "verify-bundle",
                    bundle_file.to_str().expect("utf-8"),
                    "--pubkey",
                    &key,
                ])
                .current_dir(work.path())
                .output()
            {
                Err(error) if error.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    None
                }
                result => Some(result.expect("run the copy")),
            }
        })
        .expect("the copy runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with(&format!(
            "ok: {} events about customer {customer}",
            report.n_events
        )),
        "{stdout}"
    );
    for wanted in [
        "LeadBudgetConfirmed",
        "RoutingConfirmed",
        "ProposalDelivered",
        "CustomerTransferred",
    ] {
        assert!(
            stdout.contains(wanted),
            "{wanted} not in the timeline: {stdout}"
        );
    }
}
