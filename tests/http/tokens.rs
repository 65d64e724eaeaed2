//! `/v1/tokens` (issue 16): supervisors create, list and revoke tokens; a
//! created token works at once and its name is the actor on its events;
//! expired and revoked tokens get 401 with their own codes; changes made
//! to the token file by another process (the CLI) are in force within a
//! second; "last used" is kept in memory and saved on demand, not per
//! request.

use std::time::Duration;

use serde_json::{json, Value};

use super::support::{at, spawn_app, TestApp, REP_A};

async fn create(app: &TestApp, token_name: &str, body: &Value) -> super::support::Answer {
    app.send_json("POST", "/v1/tokens", app.token(token_name), body, &[])
        .await
}

async fn me(app: &TestApp, raw_token: &str) -> super::support::Answer {
    app.send_raw("GET", "/v1/me", Some(raw_token), None, Vec::new(), &[])
        .await
}

fn listed<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .find(|token| token["name"] == json!(name))
        .unwrap_or_else(|| panic!("{name} not listed in {list}"))
}

#[tokio::test]
async fn a_created_token_works_at_once_and_its_name_is_the_actor_on_events() {
    let app = spawn_app().await;
    app.seed_config().await;
    let created = create(
        &app,
        "supervisor",
        &json!({"name": "li.wei", "role": "rep", "rep_id": REP_A, "expires": "2027-06-30"}),
    )
    .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.text);
    let token = created.json["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("sl_") && token.len() == 67, "{token}");
    assert_eq!(created.json["name"], json!("li.wei"));
    assert_eq!(created.json["role"], json!("rep"));
    assert_eq!(created.json["rep_id"], json!(REP_A));
    assert_eq!(created.json["status"], json!("active"));
    assert_eq!(created.json["expires_at"], json!("2027-06-30T00:00:00Z"));
    // Only the digest is stored.
    let file = std::fs::read_to_string(app.data_dir.path().join("tokens.json")).expect("file");
    assert!(!file.contains(&token));

    // The new rep token acts at once, recorded under its name.
    let registered = app
        .send_json(
            "POST",
            "/v1/customers",
            &token,
            &json!({"company_name": "苏州令牌测试有限公司"}),
            &[],
        )
        .await;
    registered.ok();
    let position = registered.json["last_position"]
        .as_u64()
        .expect("last_position");
    let event = app
        .state
        .service
        .store()
        .read_all(position, 1)
        .await
        .expect("read")
        .remove(0);
    assert_eq!(event.actor, "rep:li.wei");

    // Listed with its use, never with a secret.
    let list = app.get("/v1/tokens", "supervisor").await;
    list.ok();
    assert!(!list.text.contains(&token));
    assert!(!list.text.contains("token_sha256"));
    let entry = listed(&list.json, "li.wei");
    assert_eq!(entry["last_used_at"], json!("2027-03-16T02:00:00Z"));
    assert_eq!(entry["created_at"], json!("2027-03-16T02:00:00Z"));
    assert!(entry.get("token").is_none());
}

#[tokio::test]
async fn expired_and_revoked_tokens_get_401_with_their_own_codes() {
    let app = spawn_app().await;
    let created = create(
        &app,
        "supervisor",
        &json!({"name": "short.lived", "role": "auditor", "expires": "2027-03-17T00:00:00Z"}),
    )
    .await;
    let short_lived = created.json["token"].as_str().expect("token").to_owned();
    me(&app, &short_lived).await.ok();
    app.set_now(at("2027-03-17T00:00:00Z"));
    me(&app, &short_lived)
        .await
        .assert_problem(401, "token_expired");
    let list = app.get("/v1/tokens", "supervisor").await;
    assert_eq!(
        listed(&list.json, "short.lived")["status"],
        json!("expired")
    );

    let created = create(
        &app,
        "supervisor",
        &json!({"name": "leaver", "role": "finance"}),
    )
    .await;
    let leaver = created.json["token"].as_str().expect("token").to_owned();
    me(&app, &leaver).await.ok();
    let revoked = app
        .send_raw(
            "DELETE",
            "/v1/tokens/leaver",
            Some(app.token("supervisor")),
            None,
            Vec::new(),
            &[],
        )
        .await;
    assert_eq!(revoked.status.as_u16(), 204, "{}", revoked.text);
    me(&app, &leaver).await.assert_problem(401, "token_revoked");
    let list = app.get("/v1/tokens", "supervisor").await;
    assert_eq!(listed(&list.json, "leaver")["status"], json!("revoked"));
    // An unknown name.
    app.send_raw(
        "DELETE",
        "/v1/tokens/nobody",
        Some(app.token("supervisor")),
        None,
        Vec::new(),
        &[],
    )
    .await
    .assert_problem(404, "not_found");
    // The revoked name may be given to a new token, which works.
    let again = create(
        &app,
        "supervisor",
        &json!({"name": "leaver", "role": "finance"}),
    )
    .await;
    let new_token = again.json["token"].as_str().expect("token").to_owned();
    me(&app, &new_token).await.ok();
    me(&app, &leaver).await.assert_problem(401, "token_revoked");
    // An unknown token is still plain `unauthenticated`.
    me(&app, "sl_not-a-token")
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn only_supervisors_manage_tokens() {
    let app = spawn_app().await;
    for name in [
        "regional_supervisor",
        "regional_east",
        "rep",
        "auditor",
        "integrator",
        "analyst",
    ] {
        create(&app, name, &json!({"name": "x", "role": "supervisor"}))
            .await
            .assert_problem(403, "forbidden");
        app.get("/v1/tokens", name)
            .await
            .assert_problem(403, "forbidden");
        app.send_raw(
            "DELETE",
            "/v1/tokens/test.auditor",
            Some(app.token(name)),
            None,
            Vec::new(),
            &[],
        )
        .await
        .assert_problem(403, "forbidden");
    }
    // Nothing was created or revoked.
    let list = app.get("/v1/tokens", "supervisor").await;
    assert_eq!(
        listed(&list.json, "test.auditor")["status"],
        json!("active")
    );
    assert!(!list.text.contains("\"name\":\"x\""));
}

#[tokio::test]
async fn bad_token_requests_are_refused_plainly() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"name": "a", "role": "boss"}),
            422,
            "invalid_token",
            "boss is not a role",
        ),
        (
            json!({"name": "a", "role": "rep"}),
            422,
            "invalid_token",
            "names the rep",
        ),
        (
            json!({"name": "a", "role": "auditor", "rep_id": REP_A}),
            422,
            "invalid_token",
            "only rep tokens name a rep",
        ),
        (
            json!({"name": "a", "role": "auditor", "expires": "2020-01-01"}),
            422,
            "invalid_token",
            "is not in the future",
        ),
        (
            json!({"name": "system:init", "role": "supervisor"}),
            422,
            "invalid_token",
            "system's own actors",
        ),
        (
            json!({"name": "scheduler", "role": "integrator"}),
            422,
            "invalid_token",
            "system's own actors",
        ),
        (
            json!({"name": "import", "role": "supervisor"}),
            422,
            "invalid_token",
            "system's own actors",
        ),
        (
            json!({"name": "process-manager", "role": "integrator"}),
            422,
            "invalid_token",
            "system's own actors",
        ),
        (
            json!({"name": "ci|bot", "role": "integrator"}),
            422,
            "invalid_token",
            "holds no `|`",
        ),
        (
            json!({"name": "test.auditor", "role": "auditor"}),
            409,
            "token_name_taken",
            "an active token is already named test.auditor",
        ),
        (
            json!({"name": "a", "role": "auditor", "colour": "red"}),
            400,
            "malformed_body",
            "colour",
        ),
    ];
    for (body, status, code, detail) in cases {
        let answer = create(&app, "supervisor", &body).await;
        answer.assert_problem(status, code);
        assert!(
            answer.json["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(detail),
            "{body}: {}",
            answer.text
        );
    }
}

#[tokio::test]
async fn a_change_of_the_token_file_by_another_process_is_in_force_within_a_second() {
    let app = spawn_app().await;
    let path = app.data_dir.path().join("tokens.json");
    let new = salesledger::tokens::NewToken {
        name: "from.cli".into(),
        role: "analyst".into(),
        rep_id: None,
        region: None,
        expires: None,
    };
    let (token, _) =
        salesledger::tokens::create(&path, &new, chrono::Utc::now()).expect("create in the file");
    let started = std::time::Instant::now();
    loop {
        let answer = me(&app, &token).await;
        if answer.status.is_success() {
            break;
        }
        answer.assert_problem(401, "unauthenticated");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "not accepted within a second"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    salesledger::tokens::revoke(&path, "from.cli", chrono::Utc::now()).expect("revoke in the file");
    let started = std::time::Instant::now();
    loop {
        let answer = me(&app, &token).await;
        if answer.status.as_u16() == 401 {
            answer.assert_problem(401, "token_revoked");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "still accepted a second after its revocation"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn requests_do_not_write_the_token_file_and_last_used_is_saved_on_demand() {
    let app = spawn_app().await;
    let path = app.data_dir.path().join("tokens.json");
    let before = std::fs::read(&path).expect("file");
    for _ in 0..20 {
        app.get("/v1/me", "auditor").await.ok();
    }
    assert_eq!(
        std::fs::read(&path).expect("file"),
        before,
        "no write per request"
    );
    app.state.tokens.save_last_used().expect("save");
    let file = salesledger::tokens::read(&path).expect("read");
    let auditor = file
        .tokens
        .iter()
        .find(|entry| entry.actor == "test.auditor")
        .expect("auditor");
    assert_eq!(auditor.last_used_at, Some(at("2027-03-16T02:00:00Z")));
    let unused = file
        .tokens
        .iter()
        .find(|entry| entry.actor == "test.finance")
        .expect("finance");
    assert_eq!(unused.last_used_at, None);
    // The first version's entries were kept as they were, in the current format.
    assert_eq!(file.version, Some(salesledger::tokens::TOKEN_FILE_VERSION));
    assert_eq!(auditor.created_at, None);
}
