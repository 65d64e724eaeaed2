//! Media types (issue 13): every JSON body route answers `415
//! unsupported_media_type` when `Content-Type` is missing or is not
//! `application/json` (the only parameter accepted is `charset=utf-8`), and
//! appends nothing; the NDJSON POS route likewise for its own types. A
//! request with no body at all needs no `Content-Type`.

use salesledger::gateway::ingest::INGEST_ROUTES;
use salesledger::gateway::routes::ALL_COMMAND_ROUTES;
use salesledger_domain::role::may_issue;
use salesledger_domain::Role;

use super::auth::concrete;
use super::support::spawn_app;

const REGISTER_REP: &str = r#"{"display_name": "王晓明", "region": "华东", "capability_tags": ["iso13485", "tier3-hospital-his", "plc-retrofit"]}"#;

/// Content types a JSON route must refuse (`None`: no header).
const NOT_JSON: &[Option<&str>] = &[
    None,
    Some("application/json; charset=latin1"),
    Some("application/json; charset=iso-8859-1"),
    Some("text/plain"),
    Some("text/json"),
];

/// A role that may issue `kind`, preferring roles not scoped to their own
/// customers (so no other check can answer first).
fn issuer(kind: salesledger_domain::role::CommandKind) -> Option<Role> {
    Role::ALL
        .into_iter()
        .filter(|role| *role != Role::Rep)
        .chain([Role::Rep])
        .find(|role| may_issue(*role, kind))
}

#[tokio::test]
async fn every_command_route_refuses_a_missing_or_non_json_content_type() {
    let app = spawn_app().await;
    app.seed_config().await;
    // Routes that find their customer before reading the body get one
    // that exists (the other path ids are not looked up before the body),
    // owned by the `rep` token's rep: the ownership check, like the role
    // check, answers before the body is looked at.
    let customer_id = app.reps_customer().await;
    let before = app.log_len();
    let mut checked = 0;
    for route in ALL_COMMAND_ROUTES {
        let (method, template, kind) = (&route.method, &route.path, &route.kind);
        let role = issuer(*kind).unwrap_or_else(|| panic!("nobody may issue {kind:?}"));
        let path = concrete(template, customer_id);
        for content_type in NOT_JSON {
            let answer = app
                .send_raw(
                    method,
                    &path,
                    Some(app.token(role.as_str())),
                    *content_type,
                    b"{}".to_vec(),
                    &[],
                )
                .await;
            assert_eq!(
                (answer.status.as_u16(), answer.code()),
                (415, "unsupported_media_type"),
                "{method} {path} as {} with {content_type:?}: {}",
                role.as_str(),
                answer.text
            );
            assert_eq!(answer.content_type(), "application/problem+json");
            checked += 1;
        }
    }
    assert_eq!(checked, ALL_COMMAND_ROUTES.len() * NOT_JSON.len());
    for route in INGEST_ROUTES {
        let role = issuer(route.kind).expect("an ingesting role");
        for content_type in NOT_JSON {
            let answer = app
                .send_raw(
                    "POST",
                    route.path,
                    Some(app.token(role.as_str())),
                    *content_type,
                    br#"{"items": []}"#.to_vec(),
                    &[],
                )
                .await;
            answer.assert_problem(415, "unsupported_media_type");
        }
    }
    for content_type in NOT_JSON {
        let answer = app
            .send_raw(
                "POST",
                "/v1/webhooks",
                Some(app.token("integrator")),
                *content_type,
                br#"{"url": "https://example.com/hook", "event_types": ["*"]}"#.to_vec(),
                &[],
            )
            .await;
        answer.assert_problem(415, "unsupported_media_type");
    }
    assert_eq!(app.log_len(), before, "nothing appended");
    app.assert_healthy().await;
}

#[tokio::test]
async fn a_valid_command_is_appended_only_under_json_with_at_most_a_utf8_charset() {
    let app = spawn_app().await;
    let before = app.log_len();
    for content_type in NOT_JSON {
        app.send_raw(
            "POST",
            "/v1/reps",
            Some(app.token("supervisor")),
            *content_type,
            REGISTER_REP.as_bytes().to_vec(),
            &[],
        )
        .await
        .assert_problem(415, "unsupported_media_type");
    }
    assert_eq!(app.log_len(), before, "nothing appended");
    for content_type in ["application/json; charset=UTF-8", "Application/JSON"] {
        let answer = app
            .send_raw(
                "POST",
                "/v1/reps",
                Some(app.token("supervisor")),
                Some(content_type),
                REGISTER_REP.as_bytes().to_vec(),
                &[],
            )
            .await;
        assert_eq!(
            answer.status.as_u16(),
            201,
            "{content_type}: {}",
            answer.text
        );
    }
}

#[tokio::test]
async fn a_command_without_a_body_needs_no_content_type_but_a_named_one_must_be_json() {
    let app = spawn_app().await;
    let rep = app
        .send_raw(
            "POST",
            "/v1/reps",
            Some(app.token("supervisor")),
            Some("application/json"),
            REGISTER_REP.as_bytes().to_vec(),
            &[],
        )
        .await;
    assert_eq!(rep.status.as_u16(), 201, "{}", rep.text);
    let rep_id = super::support::stream_uuid(&rep);
    let path = format!("/v1/reps/{rep_id}/deactivation");
    let before = app.log_len();
    app.send_raw(
        "POST",
        &path,
        Some(app.token("supervisor")),
        Some("text/plain"),
        Vec::new(),
        &[],
    )
    .await
    .assert_problem(415, "unsupported_media_type");
    assert_eq!(app.log_len(), before);
    let answer = app
        .send_raw(
            "POST",
            &path,
            Some(app.token("supervisor")),
            None,
            Vec::new(),
            &[],
        )
        .await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
    assert_eq!(answer.event_types(), vec!["RepDeactivated".to_owned()]);
}

#[tokio::test]
async fn the_pos_route_refuses_other_types_and_parameters() {
    let app = spawn_app().await;
    let before = app.log_len();
    for content_type in [
        None,
        Some("application/json"),
        Some("application/x-ndjson; charset=latin1"),
        Some("text/plain; charset=us-ascii"),
    ] {
        app.send_raw(
            "POST",
            "/v1/pos/sales?batch_id=B-1",
            Some(app.token("integrator")),
            content_type,
            b"{}\n".to_vec(),
            &[],
        )
        .await
        .assert_problem(415, "unsupported_media_type");
    }
    assert_eq!(app.log_len(), before);
}
