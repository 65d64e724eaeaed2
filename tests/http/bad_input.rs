//! Bad input on command routes: each a 4xx `application/problem+json` with
//! a stable code, nothing appended, and the server still answering.

use serde_json::json;

use super::support::{spawn_app, REP_A};

/// One bad request: path, token name, content type, body, expected
/// status, code and JSON path of the error.
type BadBody<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    String,
    u16,
    &'a str,
    Option<&'a str>,
);

const REGISTER_REP: &str = r#"{"display_name": "王晓明", "region": "华东", "capability_tags": ["iso13485", "tier3-hospital-his", "plc-retrofit"]}"#;

#[tokio::test]
async fn bad_bodies_are_4xx_problems_with_stable_codes() {
    let app = spawn_app().await;
    app.seed_config().await;
    let customer_id = app.hospital_customer().await;
    let claim = format!("/v1/customers/{customer_id}/claim");
    let before = app.log_len();
    let oversized = format!(
        r#"{{"display_name": "{}", "region": "华东", "capability_tags": ["iso13485", "tier3-hospital-his", "plc-retrofit"]}}"#,
        "王".repeat(100_000)
    );
    // (path, token, content type, body, status, code, JSON path)
    let cases: Vec<BadBody<'_>> = vec![
        ("/v1/reps", "supervisor", Some("application/json"), r#"{"display_name": "#.into(), 400, "malformed_json", None),
        ("/v1/reps", "supervisor", Some("application/json"), "not json at all".into(), 400, "malformed_json", None),
        ("/v1/reps", "supervisor", Some("application/json"), format!("{REGISTER_REP} trailing"), 400, "malformed_json", None),
        ("/v1/reps", "supervisor", Some("application/json"), "".into(), 400, "malformed_json", None),
        ("/v1/reps", "supervisor", Some("application/json"), "[1, 2]".into(), 400, "wrong_type", None),
        ("/v1/reps", "supervisor", Some("application/json"), "null".into(), 400, "wrong_type", None),
        ("/v1/reps", "supervisor", Some("application/json"), b"\xff\xfe{}".iter().map(|b| *b as char).collect(), 400, "malformed_json", None),
        (
            "/v1/reps", "supervisor", Some("application/json"),
            r#"{"display_name": "A", "region": "华东", "capability_tags": ["a1", "b2", "c3"], "salary": 1}"#.into(),
            400, "unknown_field", Some("salary"),
        ),
        (
            "/v1/reps", "supervisor", Some("application/json"),
            r#"{"display_name": "A", "region": "华东", "capability_tags": ["a1", 7, "c3"]}"#.into(),
            400, "wrong_type", Some("capability_tags[1]"),
        ),
        ("/v1/reps", "supervisor", Some("application/json"), r#"{"display_name": "A", "region": "华东"}"#.into(), 400, "missing_field", Some("capability_tags")),
        (
            "/v1/reps", "supervisor", Some("application/json"),
            r#"{"display_name": "A", "region": "华东", "capability_tags": ["a1", "b2"]}"#.into(),
            422, "capability_tag_count", Some("capability_tags"),
        ),
        ("/v1/reps", "supervisor", Some("application/json"), oversized, 413, "body_too_large", None),
        ("/v1/reps", "supervisor", Some("text/plain"), REGISTER_REP.into(), 415, "unsupported_media_type", None),
        ("/v1/reps", "supervisor", Some("application/x-www-form-urlencoded"), "display_name=A".into(), 415, "unsupported_media_type", None),
        (&claim, "rep", Some("application/json"), r#"{"rep_id": "not-a-uuid"}"#.into(), 400, "invalid_body", Some("rep_id")),
        (&claim, "rep", Some("application/json"), r#"{"rep_id": 42}"#.into(), 400, "wrong_type", Some("rep_id")),
        (&claim, "rep", Some("application/json"), format!(r#"{{"rep_id": "{REP_A}", "owner": "me"}}"#), 400, "unknown_field", Some("owner")),
        (
            "/v1/customers", "supervisor", Some("application/json"),
            r#"{"company_name": "瑞康", "contact_email": "purchasing.ruikang-med.cn"}"#.into(),
            422, "invalid_email", Some("contact_email"),
        ),
        (
            "/v1/leads", "marketing", Some("application/json"),
            r#"{"company_name": "瑞康", "confirmed_by": "someone.else"}"#.into(),
            400, "unknown_field", Some("confirmed_by"),
        ),
    ];
    for (path, token, content_type, body, status, code, json_path) in cases {
        let answer = app
            .send_raw(
                "POST",
                path,
                Some(app.token(token)),
                content_type,
                body.into_bytes(),
                &[],
            )
            .await;
        answer.assert_problem(status, code);
        if let Some(json_path) = json_path {
            assert_eq!(answer.json["path"], json!(json_path), "{}", answer.text);
        }
        assert_eq!(app.log_len(), before, "{path} {code}: nothing appended");
    }
    app.assert_healthy().await;
    // The server still accepts a good request.
    let good = app
        .send_raw(
            "POST",
            "/v1/reps",
            Some(app.token("supervisor")),
            Some("application/json; charset=utf-8"),
            REGISTER_REP.as_bytes().to_vec(),
            &[],
        )
        .await;
    assert_eq!(good.status.as_u16(), 201, "{}", good.text);
}

#[tokio::test]
async fn a_smaller_configured_body_limit_is_enforced() {
    let app = super::support::spawn_app_with(|config| config.max_body_bytes = 64).await;
    let before = app.log_len();
    app.send_raw(
        "POST",
        "/v1/reps",
        Some(app.token("supervisor")),
        Some("application/json"),
        REGISTER_REP.as_bytes().to_vec(),
        &[],
    )
    .await
    .assert_problem(413, "body_too_large");
    assert_eq!(app.log_len(), before);
    app.assert_healthy().await;
}

#[tokio::test]
async fn bad_paths_unknown_routes_and_wrong_methods() {
    let app = spawn_app().await;
    let before = app.log_len();
    let rep = app.token("rep").to_owned();
    let supervisor = app.token("supervisor").to_owned();
    // (method, path, token, status, code)
    let cases: Vec<(&str, String, &str, u16, &str)> = vec![
        (
            "POST",
            "/v1/customers/not-a-uuid/claim".into(),
            &rep,
            400,
            "invalid_path_parameter",
        ),
        (
            "POST",
            "/v1/customers/0192f0a4-0000-7000-8000-00000000000/claim".into(),
            &rep,
            400,
            "invalid_path_parameter",
        ),
        (
            "POST",
            "/v1/leads/123/routing-proposals".into(),
            &supervisor,
            400,
            "invalid_path_parameter",
        ),
        (
            "POST",
            "/v1/days/2027-02-30/close".into(),
            &supervisor,
            400,
            "invalid_path_parameter",
        ),
        (
            "POST",
            "/v1/days/yesterday/close".into(),
            &supervisor,
            400,
            "invalid_path_parameter",
        ),
        (
            "POST",
            format!("/v1/visits/{REP_A}/todos/nope/completion"),
            &rep,
            400,
            "invalid_path_parameter",
        ),
        (
            "GET",
            "/v1/customers/not-a-uuid".into(),
            &rep,
            400,
            "invalid_path_parameter",
        ),
        (
            "GET",
            "/v1/blobs/not-a-hash".into(),
            &rep,
            400,
            "invalid_sha256",
        ),
        (
            "POST",
            "/v1/nothing-here".into(),
            &supervisor,
            404,
            "unknown_route",
        ),
        (
            "GET",
            "/v2/customers".into(),
            &supervisor,
            404,
            "unknown_route",
        ),
        (
            "POST",
            format!("/v1/customers/{REP_A}/hug"),
            &supervisor,
            404,
            "unknown_route",
        ),
        (
            "GET",
            "/v1/reps".into(),
            &supervisor,
            405,
            "method_not_allowed",
        ),
        (
            "DELETE",
            format!("/v1/customers/{REP_A}"),
            &supervisor,
            405,
            "method_not_allowed",
        ),
        (
            "PUT",
            "/v1/customers".into(),
            &supervisor,
            405,
            "method_not_allowed",
        ),
        (
            "GET",
            format!("/v1/customers/{REP_A}/claim"),
            &rep,
            405,
            "method_not_allowed",
        ),
        (
            "POST",
            "/v1/reps/{rep_id}/capabilities".into(),
            &supervisor,
            405,
            "method_not_allowed",
        ),
    ];
    for (method, path, token, status, code) in cases {
        let answer = app
            .send_json(method, &path, token, &json!({"rep_id": REP_A}), &[])
            .await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (status, code),
            "{method} {path}: {}",
            answer.text
        );
        assert_eq!(
            answer.content_type(),
            "application/problem+json",
            "{method} {path}"
        );
    }
    // Unknown routes answer 404 without a token too (no route to protect).
    let answer = app
        .send_raw("POST", "/v1/nothing-here", None, None, Vec::new(), &[])
        .await;
    assert!(
        matches!(answer.status.as_u16(), 401 | 404),
        "{}",
        answer.text
    );
    assert_eq!(app.log_len(), before, "nothing appended");
    app.assert_healthy().await;
}

#[tokio::test]
async fn bad_headers_are_refused() {
    let app = spawn_app().await;
    let before = app.log_len();
    let body = serde_json::from_str(REGISTER_REP).expect("JSON");
    let supervisor = app.token("supervisor").to_owned();
    let long_key = "k".repeat(201);
    for (header, value, code) in [
        ("x-correlation-id", "not-a-uuid", "invalid_header"),
        ("x-causation-id", "123", "invalid_header"),
        (
            "idempotency-key",
            long_key.as_str(),
            "invalid_idempotency_key",
        ),
        ("idempotency-key", "has space", "invalid_idempotency_key"),
    ] {
        app.send_json("POST", "/v1/reps", &supervisor, &body, &[(header, value)])
            .await
            .assert_problem(400, code);
    }
    assert_eq!(app.log_len(), before);
}

#[tokio::test]
async fn invalid_values_on_put_routes_are_422_with_their_path() {
    let app = spawn_app().await;
    let customer_id = app.hospital_customer().await;
    let before = app.log_len();
    let attributes: serde_json::Map<String, serde_json::Value> =
        (0..13).map(|n| (format!("k{n}"), json!("v"))).collect();
    let answer = app
        .put_json(
            &format!("/v1/customers/{customer_id}/attributes"),
            "supervisor",
            &json!({ "attributes": attributes }),
        )
        .await;
    answer.assert_problem(422, "too_many_attributes");
    assert_eq!(answer.json["path"], json!("attributes"));
    let answer = app
        .put_json(
            &format!("/v1/reps/{REP_A}/capabilities"),
            "supervisor",
            &json!({"capability_tags": ["iso13485", "ISO13485", "plc-retrofit"]}),
        )
        .await;
    answer.assert_problem(422, "invalid_capability_tag");
    assert_eq!(app.log_len(), before);
}

#[tokio::test]
async fn blob_uploads_are_bounded_and_never_empty() {
    let app = super::support::spawn_app_with(|config| config.max_blob_bytes = 1024).await;
    let before = app.log_len();
    app.send_raw(
        "POST",
        "/v1/blobs",
        Some(app.token("rep")),
        Some("application/pdf"),
        vec![b'%'; 4096],
        &[],
    )
    .await
    .assert_problem(413, "body_too_large");
    app.send_raw(
        "POST",
        "/v1/blobs",
        Some(app.token("rep")),
        Some("application/pdf"),
        Vec::new(),
        &[],
    )
    .await
    .assert_problem(422, "empty_blob");
    app.get(&format!("/v1/blobs/{}", "ab".repeat(32)), "rep")
        .await
        .assert_problem(404, "blob_not_found");
    assert_eq!(app.log_len(), before);
    app.assert_healthy().await;
}

/// Amounts in fen are 1 to 10^13 (`domain::value::MAX_AMOUNT_FEN`): one
/// above, or anything beyond i64 or u64, is a 422 `invalid_amount` naming
/// the field's JSON path (a number that does not fit u64 at all is a type
/// error, 400 `wrong_type`, like any other); nothing is appended.
#[tokio::test]
async fn amounts_outside_their_documented_range_are_422_naming_the_field() {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let customer_id = app.hospital_customer().await;
    let contract = app
        .post_json(
            "/v1/contracts",
            "finance",
            &json!({"customer_id": customer_id, "rep_id": REP_A, "signed_on": "2027-03-01",
                    "instalments": [{"due_on": "2027-04-01", "amount_fen": 100_000}]}),
        )
        .await;
    assert_eq!(contract.status.as_u16(), 201, "{}", contract.text);
    let contract_id = super::support::stream_uuid(&contract);
    let before = app.log_len();
    let sign = |amount: &str| {
        format!(
            r#"{{"customer_id": "{customer_id}", "rep_id": "{REP_A}", "signed_on": "2027-03-01",
                "instalments": [{{"due_on": "2027-04-01", "amount_fen": 5}}, {{"due_on": "2027-05-01", "amount_fen": {amount}}}]}}"#
        )
    };
    let payments = format!("/v1/contracts/{contract_id}/payments");
    let quotes = format!("/v1/customers/{customer_id}/renewal-quotes");
    let pay = |amount: &str| {
        format!(
            r#"{{"payment_ref": "PAY-1", "amount_fen": {amount}, "received_on": "2027-03-10"}}"#
        )
    };
    let quote =
        |amount: &str| format!(r#"{{"amount_fen": {amount}, "valid_until": "2027-04-30"}}"#);
    let cases: Vec<(&str, String, u16, &str, &str)> = vec![
        (
            "/v1/contracts",
            sign("10000000000001"),
            422,
            "invalid_amount",
            "instalments[1].amount_fen",
        ),
        (
            "/v1/contracts",
            sign("9223372036854775808"),
            422,
            "invalid_amount",
            "instalments[1].amount_fen",
        ),
        (
            "/v1/contracts",
            sign("18446744073709551615"),
            422,
            "invalid_amount",
            "instalments[1].amount_fen",
        ),
        (
            "/v1/contracts",
            sign("18446744073709551616"),
            400,
            "wrong_type",
            "instalments[1].amount_fen",
        ),
        (
            &payments,
            pay("18446744073709551615"),
            422,
            "invalid_amount",
            "amount_fen",
        ),
        (
            &payments,
            pay("9223372036854775808"),
            422,
            "invalid_amount",
            "amount_fen",
        ),
        (
            &quotes,
            quote("9223372036854775808"),
            422,
            "invalid_amount",
            "amount_fen",
        ),
        (
            &quotes,
            quote("10000000000001"),
            422,
            "invalid_amount",
            "amount_fen",
        ),
    ];
    for (path, body, status, code, json_path) in cases {
        let answer = app
            .send_raw(
                "POST",
                path,
                Some(app.token("finance")),
                Some("application/json"),
                body.clone().into_bytes(),
                &[],
            )
            .await;
        answer.assert_problem(status, code);
        assert_eq!(
            answer.json["path"],
            json!(json_path),
            "{body}: {}",
            answer.text
        );
        assert_eq!(app.log_len(), before, "{body}: nothing appended");
    }
    // The maximum itself is accepted (a quote answers 200).
    let answer = app
        .send_raw(
            "POST",
            &quotes,
            Some(app.token("finance")),
            Some("application/json"),
            quote("10000000000000").into_bytes(),
            &[],
        )
        .await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
    assert_eq!(
        answer.event("RenewalQuoted")["amount_fen"],
        json!(10_000_000_000_000u64)
    );
}
