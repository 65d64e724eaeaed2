//! SPEC C6: a proposal is `pending_verification` until 2 of 3 proofs are
//! recorded (watermarked PDF, email receipt, link open after consent), then
//! `delivered`.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::support::{at, spawn_app, stream_uuid, TestApp};

const CONTACT: &str = "purchasing@ruikang-med.cn";

async fn create_proposal(app: &TestApp, customer_id: Uuid) -> Uuid {
    let created = app
        .post_json(
            "/v1/proposals",
            "rep",
            &json!({"customer_id": customer_id, "contact_email": CONTACT, "title": "手术室设备升级方案 v2"}),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.text);
    let proposal_id = stream_uuid(&created);
    assert_pending(app, proposal_id, &[]).await;
    proposal_id
}

/// The proposal is pending with exactly `proofs`.
async fn assert_pending(app: &TestApp, proposal_id: Uuid, proofs: &[&str]) -> Value {
    let proposal = app.state_of(&format!("/v1/proposals/{proposal_id}")).await;
    assert!(
        proposal["delivered_at"].is_null(),
        "still pending: {proposal}"
    );
    assert_eq!(proposal["proofs"], json!(proofs), "{proposal}");
    proposal
}

/// Uploads a PDF and records it with `watermark_email`.
async fn record_pdf(
    app: &TestApp,
    proposal_id: Uuid,
    watermark_email: &str,
) -> super::support::Answer {
    let pdf = format!("%PDF-1.7 proposal {proposal_id} watermark {CONTACT}").into_bytes();
    let sha256 = hex::encode(Sha256::digest(&pdf));
    let uploaded = app
        .send_raw(
            "POST",
            "/v1/blobs",
            Some(app.token("rep")),
            Some("application/pdf"),
            pdf.clone(),
            &[],
        )
        .await;
    assert_eq!(uploaded.status.as_u16(), 201, "{}", uploaded.text);
    assert_eq!(uploaded.json["sha256"], json!(sha256));
    assert_eq!(uploaded.json["size"], json!(pdf.len()));
    app.post_json(
        &format!("/v1/proposals/{proposal_id}/pdf"),
        "rep",
        &json!({"sha256": sha256, "watermark_email": watermark_email}),
    )
    .await
}

#[tokio::test]
async fn pdf_and_email_receipt_deliver_a_proposal() {
    let app = spawn_app().await;
    let customer_id = app.reps_customer().await;
    let proposal_id = create_proposal(&app, customer_id).await;

    // A watermark that is not the contact's email is no proof.
    let before = app.log_len();
    record_pdf(&app, proposal_id, "someone.else@ruikang-med.cn")
        .await
        .assert_problem(422, "watermark_email_mismatch");
    // A PDF that was never uploaded is refused.
    app.post_json(
        &format!("/v1/proposals/{proposal_id}/pdf"),
        "rep",
        &json!({"sha256": "ab".repeat(32), "watermark_email": CONTACT}),
    )
    .await
    .assert_problem(422, "blob_not_uploaded");
    assert_eq!(app.log_len(), before, "nothing appended");

    // One proof: still pending.
    let pdf = record_pdf(&app, proposal_id, CONTACT).await;
    pdf.ok();
    let event = pdf.event("ProposalPdfUploaded");
    assert_eq!(event["watermark_email"], json!(CONTACT));
    assert_eq!(pdf.event_types(), vec!["ProposalPdfUploaded".to_owned()]);
    assert_pending(&app, proposal_id, &["watermarked_pdf"]).await;

    // A receipt for another recipient is no proof.
    let receipts = format!("/v1/proposals/{proposal_id}/email-receipts");
    let before = app.log_len();
    app.post_json(
        &receipts,
        "rep",
        &json!({"message_id": "<m1@mail>", "recipient": "cfo@ruikang-med.cn", "delivered_at": "2027-03-16T09:12:00+08:00"}),
    )
    .await
    .assert_problem(422, "receipt_recipient_mismatch");
    assert_eq!(app.log_len(), before);

    // The second proof delivers it.
    let receipt = app
        .post_json(
            &receipts,
            "integrator",
            &json!({"message_id": "<20270316.8812@mail.salesledger.example>", "recipient": CONTACT, "delivered_at": "2027-03-16T09:12:00+08:00"}),
        )
        .await;
    receipt.ok();
    assert_eq!(
        receipt.event("ProposalEmailDelivered")["message_id"],
        json!("<20270316.8812@mail.salesledger.example>")
    );
    let delivered = receipt.event("ProposalDelivered");
    assert_eq!(
        delivered["proofs"],
        json!(["watermarked_pdf", "email_delivery_receipt"])
    );
    let proposal = app.state_of(&format!("/v1/proposals/{proposal_id}")).await;
    assert!(!proposal["delivered_at"].is_null(), "{proposal}");

    // The stored PDF is downloadable by its hash.
    let sha256 = event["sha256"].as_str().expect("sha256");
    let blob = app.get(&format!("/v1/blobs/{sha256}"), "auditor").await;
    assert_eq!(blob.status.as_u16(), 200);
    assert!(blob.text.starts_with("%PDF-1.7"));
}

#[tokio::test]
async fn a_link_open_counts_only_after_tracking_consent() {
    let app = spawn_app().await;
    let customer_id = app.reps_customer().await;
    let proposal_id = create_proposal(&app, customer_id).await;
    record_pdf(&app, proposal_id, CONTACT).await.ok();
    let opens = format!("/v1/proposals/{proposal_id}/link-opens");

    // Only integrators report link opens.
    let open_body = json!({"opened_at": "2027-03-16T09:30:00+08:00", "ip_address": "116.228.111.18", "coarse_location": "上海市"});
    let before = app.log_len();
    app.post_json(&opens, "rep", &open_body)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.log_len(), before);

    // No consent yet: recorded, but not as a proof.
    let opened = app.post_json(&opens, "integrator", &open_body).await;
    opened.ok();
    assert_eq!(
        opened.event_types(),
        vec!["ProposalLinkOpenedWithoutConsent".to_owned()]
    );
    assert_pending(&app, proposal_id, &["watermarked_pdf"]).await;

    // Consent is recorded at 10:00 local (the clock's time).
    let consent = app
        .post_json(
            &format!("/v1/customers/{customer_id}/tracking-consent"),
            "legal",
            &json!({"consent_text": "本人同意贵司记录方案链接的打开时间、IP 及大致位置，用于交付确认。"}),
        )
        .await;
    consent.ok();
    assert_eq!(
        consent.event("TrackingConsentRecorded")["recorded_at"],
        json!("2027-03-16T02:00:00Z")
    );

    // An open reported now but that happened before the consent still
    // does not count.
    app.set_now(at("2027-03-16T03:00:00Z"));
    let early = app.post_json(&opens, "integrator", &open_body).await;
    early.ok();
    assert_eq!(
        early.event_types(),
        vec!["ProposalLinkOpenedWithoutConsent".to_owned()]
    );
    assert_pending(&app, proposal_id, &["watermarked_pdf"]).await;

    // An open after the consent is the second proof.
    let counted = app
        .post_json(
            &opens,
            "integrator",
            &json!({"opened_at": "2027-03-16T10:30:00+08:00", "ip_address": "116.228.111.18", "coarse_location": "上海市"}),
        )
        .await;
    counted.ok();
    let event = counted.event("ProposalLinkOpened");
    assert_eq!(event["ip_address"], json!("116.228.111.18"));
    assert_eq!(event["coarse_location"], json!("上海市"));
    assert_eq!(
        event["tracking_consent_recorded_at"],
        json!("2027-03-16T02:00:00Z")
    );
    assert_eq!(
        counted.event("ProposalDelivered")["proofs"],
        json!(["watermarked_pdf", "link_opened"])
    );
    let proposal = app.state_of(&format!("/v1/proposals/{proposal_id}")).await;
    assert!(!proposal["delivered_at"].is_null(), "{proposal}");
}

#[tokio::test]
async fn a_consentless_open_and_a_receipt_deliver_but_the_open_is_no_proof() {
    let app = spawn_app().await;
    let customer_id = app.reps_customer().await;
    let proposal_id = create_proposal(&app, customer_id).await;
    app.post_json(
        &format!("/v1/proposals/{proposal_id}/link-opens"),
        "integrator",
        &json!({"opened_at": "2027-03-16T09:30:00+08:00", "ip_address": "2001:db8::1", "coarse_location": "杭州市"}),
    )
    .await
    .ok();
    assert_pending(&app, proposal_id, &[]).await;
    let receipt = app
        .post_json(
            &format!("/v1/proposals/{proposal_id}/email-receipts"),
            "rep",
            &json!({"message_id": "<m2@mail>", "recipient": CONTACT, "delivered_at": "2027-03-16T09:12:00+08:00"}),
        )
        .await;
    receipt.ok();
    assert_eq!(
        receipt.event_types(),
        vec!["ProposalEmailDelivered".to_owned()],
        "one proof only: the consent-less open does not count"
    );
    assert_pending(&app, proposal_id, &["email_delivery_receipt"]).await;
}

#[tokio::test]
async fn the_proposal_view_names_its_status() {
    let app = spawn_app().await;
    let customer_id = app.reps_customer().await;
    let proposal_id = create_proposal(&app, customer_id).await;
    let path = format!("/v1/proposals/{proposal_id}");
    // SPEC C6 names the states; a reader should not have to derive them.
    let proposal = app.state_of(&path).await;
    assert_eq!(
        proposal["status"],
        json!("pending_verification"),
        "{proposal}"
    );
    record_pdf(&app, proposal_id, CONTACT).await.ok();
    let proposal = app.state_of(&path).await;
    assert_eq!(
        proposal["status"],
        json!("pending_verification"),
        "{proposal}"
    );
    app.post_json(
        &format!("/v1/proposals/{proposal_id}/email-receipts"),
        "rep",
        &json!({"message_id": "<m3@mail>", "recipient": CONTACT, "delivered_at": "2027-03-16T09:12:00+08:00"}),
    )
    .await
    .ok();
    let proposal = app.state_of(&path).await;
    assert_eq!(proposal["status"], json!("delivered"), "{proposal}");
}

/// SPEC C6 with issue 15's time sanity: an e-mail receipt or a link open
/// dated more than the margin (10 minutes by default) ahead of the
/// server's clock is no proof: `422 time_in_future` naming the field,
/// nothing appended, the proposal still pending. Within the margin (a mail
/// server's clock a few minutes fast) it counts.
#[tokio::test]
async fn proofs_dated_in_the_future_are_refused_beyond_the_margin() {
    let app = spawn_app().await;
    let customer_id = app.reps_customer().await;
    let proposal_id = create_proposal(&app, customer_id).await;
    record_pdf(&app, proposal_id, CONTACT).await.ok();
    let receipts = format!("/v1/proposals/{proposal_id}/email-receipts");
    let opens = format!("/v1/proposals/{proposal_id}/link-opens");

    // The gateway's clock: 2027-03-16 10:00 China time.
    let before = app.log_len();
    let year_ahead = app
        .post_json(
            &receipts,
            "integrator",
            &json!({"message_id": "<m1@mail>", "recipient": CONTACT, "delivered_at": "2028-03-16T09:12:00+08:00"}),
        )
        .await;
    year_ahead.assert_problem(422, "time_in_future");
    assert_eq!(year_ahead.json["field"], json!("delivered_at"));
    assert_eq!(year_ahead.json["value"], json!("2028-03-16T01:12:00Z"));
    assert_eq!(
        year_ahead.json["server_time"],
        json!("2027-03-16T02:00:00Z")
    );
    assert_eq!(year_ahead.json["margin_secs"], json!(600));
    let opened = app
        .post_json(
            &opens,
            "integrator",
            &json!({"opened_at": "2027-03-16T10:10:01+08:00", "ip_address": "116.228.111.18", "coarse_location": "上海市"}),
        )
        .await;
    opened.assert_problem(422, "time_in_future");
    assert_eq!(opened.json["field"], json!("opened_at"));
    assert_eq!(app.log_len(), before, "nothing appended");
    assert_pending(&app, proposal_id, &["watermarked_pdf"]).await;

    // Five minutes ahead: within the margin, the second proof.
    let receipt = app
        .post_json(
            &receipts,
            "integrator",
            &json!({"message_id": "<m2@mail>", "recipient": CONTACT, "delivered_at": "2027-03-16T10:05:00+08:00"}),
        )
        .await;
    receipt.ok();
    receipt.event("ProposalDelivered");
}

/// `serve --future-margin-secs 0`: a receipt one second ahead is refused.
#[tokio::test]
async fn the_future_margin_is_configurable() {
    let app = super::support::spawn_app_with(|config| {
        config.future_margin = chrono::Duration::zero();
    })
    .await;
    let customer_id = app.reps_customer().await;
    let proposal_id = create_proposal(&app, customer_id).await;
    let receipts = format!("/v1/proposals/{proposal_id}/email-receipts");
    let refused = app
        .post_json(
            &receipts,
            "integrator",
            &json!({"message_id": "<m1@mail>", "recipient": CONTACT, "delivered_at": "2027-03-16T10:00:01+08:00"}),
        )
        .await;
    refused.assert_problem(422, "time_in_future");
    assert_eq!(refused.json["margin_secs"], json!(0));
    app.post_json(
        &receipts,
        "integrator",
        &json!({"message_id": "<m1@mail>", "recipient": CONTACT, "delivered_at": "2027-03-16T10:00:00+08:00"}),
    )
    .await
    .ok();
}
