//! `spawn_app()`: the gateway on a loopback port (port 0) over a fresh data
//! directory, with one bearer token per role, and request helpers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use salesledger::app::{open_state, GatewayConfig};
use salesledger::gateway::{router, AppState};
use salesledger::tokens::{generate_token, TokenEntry, TokenFile};
use salesledger_domain::Role;
use salesledger_store::Hash32;
use serde_json::{json, Value};
use tempfile::TempDir;
use uuid::Uuid;

/// The rep behind the `rep` token.
pub const REP_A: Uuid = Uuid::from_u128(0x0192f0a4_0000_7000_8000_00000000000a);
/// The rep behind the `rep_b` token.
pub const REP_B: Uuid = Uuid::from_u128(0x0192f0a4_0000_7000_8000_00000000000b);
/// Further reps, for routing.
pub const REP_C: Uuid = Uuid::from_u128(0x0192f0a4_0000_7000_8000_00000000000c);
pub const REP_D: Uuid = Uuid::from_u128(0x0192f0a4_0000_7000_8000_00000000000d);
pub const REP_E: Uuid = Uuid::from_u128(0x0192f0a4_0000_7000_8000_00000000000e);

/// How many extra rep tokens (`crowd`) exist, for the concurrent-claims test.
pub const CROWD: usize = 50;

/// A running gateway.
pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    /// Token by name: every role's snake_case name (`supervisor`, `rep`,
    /// `auditor`, ...), plus `rep_b` (a second rep), `rep_no_id` (a rep
    /// token naming no rep) and `regional_east` / `regional_north`
    /// (regional supervisors whose tokens name 华东 / 华北).
    pub tokens: HashMap<String, String>,
    /// `CROWD` rep tokens, each with its own rep id.
    pub crowd: Vec<(Uuid, String)>,
    pub data_dir: TempDir,
    pub state: AppState,
    now: Arc<Mutex<DateTime<Utc>>>,
}

/// The answer to one request.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub json: Value,
    pub text: String,
}

impl Answer {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or_default()
    }

    /// Asserts a problem+json answer with `status` and `code`.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status.as_u16(), self.code()),
            (status, code),
            "body: {}",
            self.text
        );
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "body: {}",
            self.text
        );
        assert_eq!(self.json["status"], json!(status), "body: {}", self.text);
    }

    /// Asserts a 2xx and returns the JSON.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert!(
            self.status.is_success(),
            "expected 2xx, got {}: {}",
            self.status,
            self.text
        );
        &self.json
    }

    /// The payload of the first event of `event_type` in a command outcome.
    #[track_caller]
    pub fn event(&self, event_type: &str) -> &Value {
        self.json["events"]
            .as_array()
            .and_then(|events| {
                events
                    .iter()
                    .find(|event| event["event_type"] == json!(event_type))
            })
            .map(|event| &event["payload"])
            .unwrap_or_else(|| panic!("no {event_type} in {}", self.text))
    }

    pub fn event_types(&self) -> Vec<String> {
        self.json["events"]
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .filter_map(|event| event["event_type"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Asserts that a problem's detail names ids and values plainly: no Rust
/// debug text such as `RepId(`, `Customer(CustomerId(`, `Some(`, `None`,
/// a bracketed list or a quoted debug string (issue 16).
#[track_caller]
pub fn assert_plain(detail: &str) {
    let characters: Vec<char> = detail.chars().collect();
    for (index, character) in characters.iter().enumerate() {
        if *character == '(' {
            let mut start = index;
            while start > 0 && characters[start - 1].is_ascii_alphanumeric() {
                start -= 1;
            }
            assert!(
                !(start < index && characters[start].is_ascii_uppercase()),
                "debug text in: {detail}"
            );
        }
        assert!(
            !matches!(character, '[' | ']' | '"' | '{' | '}'),
            "debug text in: {detail}"
        );
    }
    assert!(
        !detail
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| word == "None"),
        "debug text in: {detail}"
    );
}

/// A fixed "now" every test starts at (the gateway's clock).
pub fn default_now() -> DateTime<Utc> {
    at("2027-03-16T02:00:00Z")
}

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("an RFC 3339 time")
        .with_timezone(&Utc)
}

fn entry(token: &str, actor: &str, role: Role, rep_id: Option<Uuid>) -> TokenEntry {
    TokenEntry {
        token_sha256: Hash32::sha256(token.as_bytes()).to_hex(),
        actor: actor.to_owned(),
        role,
        rep_id,
        region: None,
        created_at: None,
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
    }
}

/// Starts the gateway on `127.0.0.1:0` over a fresh data directory, with
/// the clock fixed at [`default_now`].
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], letting the caller adjust the configuration (e.g.
/// the body size limit) before the state is opened.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut GatewayConfig)) -> TestApp {
    spawn_app_with_state(adjust, |state, _| async move { state }).await
}

/// Like [`spawn_app_with`], letting the caller also change the opened
/// state before the router is built (e.g. read models with a projector
/// that fails, to see how a failed view answers); it is given the data
/// directory too.
pub async fn spawn_app_with_state<F>(
    adjust: impl FnOnce(&mut GatewayConfig),
    change_state: impl FnOnce(AppState, std::path::PathBuf) -> F,
) -> TestApp
where
    F: std::future::Future<Output = AppState>,
{
    let data_dir = tempfile::tempdir().expect("temp data dir");
    let mut tokens = HashMap::new();
    let mut entries = Vec::new();
    for role in Role::ALL {
        let token = generate_token();
        let actor = format!("test.{}", role.as_str().replace('_', "-"));
        let rep_id = (role == Role::Rep).then_some(REP_A);
        entries.push(entry(&token, &actor, role, rep_id));
        tokens.insert(role.as_str().to_owned(), token);
    }
    let rep_b = generate_token();
    entries.push(entry(&rep_b, "test.rep-b", Role::Rep, Some(REP_B)));
    tokens.insert("rep_b".to_owned(), rep_b);
    for (name, region) in [("regional_east", "华东"), ("regional_north", "华北")] {
        let token = generate_token();
        let mut regional = entry(
            &token,
            &format!("test.{}", name.replace('_', "-")),
            Role::RegionalSupervisor,
            None,
        );
        regional.region = Some(region.to_owned());
        entries.push(regional);
        tokens.insert(name.to_owned(), token);
    }
    let rep_no_id = generate_token();
    entries.push(entry(&rep_no_id, "test.rep-no-id", Role::Rep, None));
    tokens.insert("rep_no_id".to_owned(), rep_no_id);
    let supervisor_2 = generate_token();
    entries.push(entry(
        &supervisor_2,
        "test.supervisor-2",
        Role::Supervisor,
        None,
    ));
    tokens.insert("supervisor_2".to_owned(), supervisor_2);
    let mut crowd = Vec::new();
    for rep_idx in 0..CROWD {
        let token = generate_token();
        let rep_id = Uuid::from_u128(0x0192f0a4_0000_7000_8000_100000000000 + rep_idx as u128);
        entries.push(entry(
            &token,
            &format!("test.crowd-{rep_idx}"),
            Role::Rep,
            Some(rep_id),
        ));
        crowd.push((rep_id, token));
    }
    let tokens_path = data_dir.path().join("tokens.json");
    std::fs::write(
        &tokens_path,
        serde_json::to_vec_pretty(&TokenFile {
            tokens: entries,
            ..TokenFile::default()
        })
        .expect("token file"),
    )
    .expect("write the token file");

    let mut config = GatewayConfig::new(
        data_dir.path().join("data"),
        "127.0.0.1:0".parse().expect("an address"),
    );
    config.tokens_path = Some(tokens_path);
    adjust(&mut config);
    let (state, _store) = open_state(&config).await.expect("open the state");
    let mut state = change_state(state, config.data_dir.clone()).await;
    let now = Arc::new(Mutex::new(default_now()));
    let clock_now = now.clone();
    state.clock = Arc::new(move || *clock_now.lock().expect("clock"));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let address = listener.local_addr().expect("local address");
    let app = router(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service())
            .await
            .expect("serve");
    });
    TestApp {
        address,
        client: crate::util::http_client(),
        tokens,
        crowd,
        data_dir,
        state,
        now,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub fn token(&self, name: &str) -> &str {
        self.tokens
            .get(name)
            .unwrap_or_else(|| panic!("no token named {name}"))
    }

    /// Moves the gateway's clock.
    pub fn set_now(&self, now: DateTime<Utc>) {
        *self.now.lock().expect("clock") = now;
    }

    /// The event log's length.
    pub fn log_len(&self) -> u64 {
        self.state.service.store().head().len
    }

    pub async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("read the body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            json,
            text,
        }
    }

    /// `POST path` with a JSON body under the named token.
    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.send_json("POST", path, self.token(token), body, &[])
            .await
    }

    /// `PUT path` with a JSON body under the named token.
    pub async fn put_json(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.send_json("PUT", path, self.token(token), body, &[])
            .await
    }

    /// Any method, a raw token (not a name), extra headers.
    pub async fn send_json(
        &self,
        method: &str,
        path: &str,
        raw_token: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        self.send_raw(
            method,
            path,
            Some(raw_token),
            Some("application/json"),
            serde_json::to_vec(body).expect("JSON"),
            headers,
        )
        .await
    }

    /// Fully raw: method, optional bearer token, optional content type,
    /// body bytes, extra headers.
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        raw_token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = self.client.request(method, self.url(path)).body(body);
        if let Some(token) = raw_token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::answer(request.send().await.expect("send the request")).await
    }

    /// `GET path` under the named token.
    pub async fn get(&self, path: &str, token: &str) -> Answer {
        let request = self
            .client
            .get(self.url(path))
            .header("authorization", format!("Bearer {}", self.token(token)));
        Self::answer(request.send().await.expect("send the request")).await
    }

    /// The `state` of an aggregate's read view (`GET path` as the auditor).
    pub async fn state_of(&self, path: &str) -> Value {
        let answer = self.get(path, "auditor").await;
        answer.ok();
        answer.json["state"].clone()
    }

    /// `GET /healthz` answers 200.
    pub async fn assert_healthy(&self) {
        let response = self
            .client
            .get(self.url("/healthz"))
            .send()
            .await
            .expect("healthz");
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// Publishes routing rules, the pool policy (30 days, day closes at
    /// local midnight UTC+8), the extraction dictionary and the nurture
    /// template, as the supervisor (each unless already published, e.g.
    /// the pool policy by [`TestApp::claim_for_rep_a`]).
    pub async fn seed_config(&self) {
        let config = self.get("/v1/config", "supervisor").await;
        let published = &config.ok()["config"];
        for (path, key, body) in [
            (
                "/v1/config/routing-rules",
                "routing_rules",
                routing_rules(1),
            ),
            ("/v1/config/pool-policy", "pool_policy", pool_policy()),
            (
                "/v1/config/extraction-dictionary",
                "extraction_dictionary",
                extraction_dictionary(),
            ),
            (
                "/v1/config/nurture-template",
                "nurture_template",
                nurture_template(),
            ),
        ] {
            if published[key].is_null() {
                self.post_json(path, "supervisor", &body).await.ok();
            }
        }
    }

    /// Registers a rep as the supervisor.
    pub async fn register_rep(&self, rep_id: Uuid, name: &str, region: &str, tags: &[&str]) {
        self.post_json(
            "/v1/reps",
            "supervisor",
            &json!({"rep_id": rep_id, "display_name": name, "region": region, "capability_tags": tags}),
        )
        .await
        .ok();
    }

    /// Registers five reps (A to E) whose tags overlap the automotive lead
    /// of [`automotive_lead`] to different degrees.
    pub async fn register_reps(&self) {
        self.register_rep(
            REP_A,
            "李娜",
            "华东",
            &["iso13485", "automotive-grade-cert", "plc-retrofit"],
        )
        .await;
        self.register_rep(
            REP_B,
            "陈静",
            "华北",
            &["automotive-grade-cert", "plc-retrofit", "robot-cell"],
        )
        .await;
        self.register_rep(
            REP_C,
            "王晓明",
            "华东",
            &["iso13485", "tier3-hospital-his", "plc-retrofit"],
        )
        .await;
        self.register_rep(
            REP_D,
            "张伟",
            "华南",
            &["tier3-hospital-his", "iso13485", "lab-automation"],
        )
        .await;
        self.register_rep(
            REP_E,
            "赵磊",
            "华南",
            &["automotive-grade-cert", "iso13485", "robot-cell"],
        )
        .await;
    }

    /// Registers a customer as the supervisor; returns its id.
    pub async fn register_customer(&self, body: Value) -> Uuid {
        let answer = self.post_json("/v1/customers", "supervisor", &body).await;
        answer.ok();
        let stream = answer.json["stream_id"].as_str().expect("stream_id");
        Uuid::parse_str(stream.trim_start_matches("customer-")).expect("a customer id")
    }

    /// [`TestApp::hospital_customer`] claimed by rep A (the `rep` token):
    /// reps act only on customers they own (issue 13, `domain::access`).
    pub async fn reps_customer(&self) -> Uuid {
        let customer_id = self.hospital_customer().await;
        self.claim_for_rep_a(customer_id).await;
        customer_id
    }

    /// Rep A claims `customer_id` from the pool (publishing the pool
    /// policy first if none is).
    pub async fn claim_for_rep_a(&self, customer_id: Uuid) {
        let config = self.get("/v1/config", "supervisor").await;
        if config.ok()["config"]["pool_policy"].is_null() {
            self.post_json("/v1/config/pool-policy", "supervisor", &pool_policy())
                .await
                .ok();
        }
        self.post_json(
            &format!("/v1/customers/{customer_id}/claim"),
            "rep",
            &json!({"rep_id": REP_A}),
        )
        .await
        .ok();
    }

    /// A hospital customer with a contact email.
    pub async fn hospital_customer(&self) -> Uuid {
        self.register_customer(json!({
            "company_name": "上海瑞康医疗器械有限公司",
            "contact_email": "purchasing@ruikang-med.cn",
            "attributes": {"industry": "三甲医院 设备", "compliance": "ISO13485", "region": "华东", "size": "500-1000"}
        }))
        .await
    }
}

pub fn routing_rules(version: u32) -> Value {
    json!({
        "version": version,
        "rules": [
            {"tag": "iso13485", "attribute_key": "compliance", "attribute_value_contains": "ISO13485", "weight": 40},
            {"tag": "tier3-hospital-his", "attribute_key": "industry", "attribute_value_contains": "三甲医院", "weight": 30},
            {"tag": "automotive-grade-cert", "attribute_key": "compliance", "attribute_value_contains": "IATF16949", "weight": 40},
            {"tag": "plc-retrofit", "attribute_key": "pain_points", "attribute_value_contains": "PLC", "weight": 25}
        ],
        "direct_tag_match_weight": 10, "region_match_weight": 5, "minimum_score": 1, "candidate_count": 3
    })
}

pub fn pool_policy() -> Value {
    json!({
        "version": 1, "protection_days": 30, "extension_days": 30, "maximum_protection_days": 90,
        "qualifying_follow_up_kinds": ["visit", "call", "meeting"], "day_close_utc_offset_minutes": 480
    })
}

pub fn extraction_dictionary() -> Value {
    json!({
        "version": 1,
        "competitors": [
            {"name": "Siemens", "aliases": ["西门子"]},
            {"name": "汇川", "aliases": ["Inovance"]},
            {"name": "Mindray", "aliases": ["迈瑞"]}
        ],
        "concerns": [
            {"concern": "交期", "keywords": ["交期", "lead time"]},
            {"concern": "price", "keywords": ["价格", "price", "预算"]}
        ],
        "still_comparing_phrases": ["还在比较", "再考虑", "still comparing"],
        "utc_offset_minutes": 480
    })
}

pub fn nurture_template() -> Value {
    json!({"version": 1, "steps": [
        {"kind": "case_video", "delay_hours": 24, "content_ref": "case-video/tier3-hospital-or"},
        {"kind": "third_party_review", "delay_hours": 96, "content_ref": "review/ccid-2026"},
        {"kind": "time_limited_offer", "delay_hours": 240, "content_ref": "offer/2027-q1"}
    ]})
}

/// The body of a lead that the automotive reps match.
pub fn automotive_lead() -> Value {
    json!({
        "company_name": "苏州精锐汽车零部件有限公司",
        "contact_email": "li.na@szpap.com",
        "attributes": {"industry": "automotive parts", "compliance": "IATF16949", "pain_points": "PLC 老化", "region": "华东"}
    })
}

/// The id in an outcome's `stream_id` (`lead-<uuid>` and the like).
pub fn stream_uuid(answer: &Answer) -> Uuid {
    let stream = answer.json["stream_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no stream_id in {}", answer.text));
    let (_, id) = stream.split_once('-').expect("kind-uuid");
    Uuid::parse_str(id).expect("a uuid")
}

impl TestApp {
    /// Marketing registers `body` as a lead; returns its id.
    pub async fn register_lead(&self, body: &Value) -> Uuid {
        let answer = self.post_json("/v1/leads", "marketing", body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
        stream_uuid(&answer)
    }

    /// The automotive lead with both confirmations (budget by marketing,
    /// technical fit by the CTO).
    pub async fn confirmed_lead(&self) -> Uuid {
        let lead_id = self.register_lead(&automotive_lead()).await;
        self.post_json(
            &format!("/v1/leads/{lead_id}/budget-confirmation"),
            "marketing",
            &json!({"note": "预算 380 万元已批"}),
        )
        .await
        .ok();
        self.post_json(
            &format!("/v1/leads/{lead_id}/technical-fit-confirmation"),
            "cto",
            &json!({}),
        )
        .await
        .ok();
        lead_id
    }
}

impl TestApp {
    /// Every row of a paged list view, read `limit` at a time by following
    /// `next_cursor` (after waiting for `position`), and the number of
    /// pages; each page holds at most `limit` rows and answers the same
    /// envelope plus `next_cursor`.
    pub async fn read_pages(
        &self,
        path: &str,
        token: &str,
        limit: usize,
        position: u64,
    ) -> (Vec<Value>, usize) {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut rows = Vec::new();
        let mut pages = 0;
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{path}{separator}limit={limit}&wait_for_position={position}");
            if let Some(cursor) = &cursor {
                url.push_str(&format!("&cursor={cursor}"));
            }
            let answer = self.get(&url, token).await;
            let body = answer.ok().clone();
            let fields: Vec<&str> = body
                .as_object()
                .expect("an object")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(fields, ["data", "next_cursor", "position", "view"], "{url}");
            let page = body["data"].as_array().expect("a page of rows").clone();
            assert!(page.len() <= limit, "{url}: {} rows", page.len());
            pages += 1;
            rows.extend(page);
            match &body["next_cursor"] {
                Value::Null => return (rows, pages),
                Value::String(next) => cursor = Some(next.clone()),
                other => panic!("{url}: next_cursor {other}"),
            }
            assert!(pages < 10_000, "{url}: pages never end");
        }
    }
}
