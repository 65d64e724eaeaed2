//! Signed webhooks: subscriptions through `/v1/webhooks`, delivered by the
//! dispatcher to a receiver on loopback (the tests allow private targets
//! explicitly). A receiver failing its first 3 attempts still gets every
//! event in order with valid signatures; one that never answers is paused,
//! and resuming delivers the backlog; restarting the dispatcher, or killing
//! the whole server, mid-delivery loses nothing and duplicates only the
//! event in flight. Private, loopback and link-local targets and non-http
//! schemes are refused without the allowance.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::Mac;
use salesledger::webhooks::{Dispatcher, WebhookSettings};
use serde_json::{json, Value};
use uuid::Uuid;

use super::feed::{register_rep_at, ServeProcess};
use super::support::*;

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    event_id: String,
    position: u64,
    signature_valid: bool,
    answered: u16,
    body: Value,
}

#[derive(Default)]
struct Receiver {
    received: Mutex<Vec<Received>>,
    /// Answer 500 to this many requests first.
    fail_first: AtomicUsize,
    /// While set, hold every request for 30 s (longer than any timeout).
    hang: AtomicBool,
    /// Hang on (only) the first request for this position.
    hang_once_at: Mutex<Option<u64>>,
    /// Hang on (only) the request with this index (0-based).
    hang_on_request: Mutex<Option<usize>>,
    secret: Mutex<String>,
}

impl Receiver {
    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    fn delivered(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|received| received.answered == 200)
            .collect()
    }
}

fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let timestamp = header("x-salesledger-timestamp");
    let Some(signature) = header("x-salesledger-signature")
        .strip_prefix("v1=")
        .map(str::to_owned)
    else {
        return false;
    };
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes()) == signature
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let json_for_record = json.clone();
    let position = json["position"].as_u64().unwrap_or(u64::MAX);
    let header_position = headers
        .get("x-salesledger-position")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let event_id = headers
        .get("x-salesledger-event-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let secret = receiver.secret.lock().expect("lock").clone();
    let signature_valid = verify(&secret, &headers, &body)
        && header_position == Some(position)
        && json["event_id"] == json!(event_id);
    let nth_request = receiver.received.lock().expect("lock").len();
    let hang_nth = {
        let mut nth = receiver.hang_on_request.lock().expect("lock");
        if *nth == Some(nth_request) {
            *nth = None;
            true
        } else {
            false
        }
    };
    let hang_now = hang_nth || receiver.hang.load(Ordering::SeqCst) || {
        let mut once = receiver.hang_once_at.lock().expect("lock");
        if *once == Some(position) {
            *once = None;
            true
        } else {
            false
        }
    };
    let failing = receiver
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let answered = if hang_now {
        0
    } else if failing {
        500
    } else {
        200
    };
    receiver.received.lock().expect("lock").push(Received {
        event_id,
        position,
        signature_valid,
        answered,
        body: json_for_record,
    });
    if hang_now {
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    StatusCode::from_u16(answered.max(200)).unwrap_or(StatusCode::OK)
}

fn receiver_app(receiver: &Arc<Receiver>) -> axum::Router {
    axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(receiver.clone())
}

/// A receiver on `127.0.0.1:0`; returns it and its URL.
async fn spawn_receiver() -> (Arc<Receiver>, String) {
    let receiver = Arc::new(Receiver::default());
    let app = receiver_app(&receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("receiver");
    });
    (receiver, format!("http://{address}/hook"))
}

/// The test certificates (tests/fixtures/tls): a CA and a server
/// certificate it signed for `127.0.0.1` and `localhost`.
fn tls_fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

/// A TCP listener that completes a TLS handshake before handing a
/// connection to axum (failed handshakes are dropped).
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, address)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, address);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// The same receiver behind TLS with the fixture's server certificate;
/// returns it and its `https://127.0.0.1:<port>/hook` URL.
async fn spawn_tls_receiver() -> (Arc<Receiver>, String) {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let certificates: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(tls_fixture("server.pem"))
            .expect("server.pem")
            .collect::<Result<_, _>>()
            .expect("certificates");
    let key = PrivateKeyDer::from_pem_file(tls_fixture("server.key")).expect("server.key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(certificates, key)
    .expect("server config");
    let receiver = Arc::new(Receiver::default());
    let app = receiver_app(&receiver);
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = tcp.local_addr().expect("address");
    let listener = TlsListener {
        tcp,
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    };
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("receiver");
    });
    (receiver, format!("https://{address}/hook"))
}

fn fast_settings() -> WebhookSettings {
    WebhookSettings {
        allow_private_targets: true,
        retry_base: Duration::from_millis(10),
        retry_max: Duration::from_millis(100),
        pause_after: 5,
        timeout: Duration::from_millis(500),
        extra_ca_file: None,
    }
}

async fn webhook_app() -> TestApp {
    spawn_app_with(|config| config.webhooks = fast_settings()).await
}

fn start_dispatcher(app: &TestApp, settings: WebhookSettings) -> Dispatcher {
    Dispatcher::start(
        app.state.service.store().clone(),
        app.state.webhooks.clone(),
        settings,
    )
    .expect("start the dispatcher")
}

/// Creates a subscription as the integrator; returns (id, secret).
async fn subscribe(app: &TestApp, body: Value) -> (String, String) {
    let answer = app.post_json("/v1/webhooks", "integrator", &body).await;
    assert_eq!(answer.status.as_u16(), 201, "{}", answer.text);
    (
        answer.json["id"].as_str().expect("id").to_owned(),
        answer.json["secret"].as_str().expect("secret").to_owned(),
    )
}

/// Waits until `done` holds (10 s at most).
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..400 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn rep_positions(app: &TestApp) -> Vec<u64> {
    let answer = app
        .get("/v1/events?types=RepRegistered&limit=1000", "integrator")
        .await;
    answer.ok()["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|record| record["position"].as_u64())
        .collect()
}

#[tokio::test]
async fn a_receiver_failing_three_times_still_gets_every_event_in_order_signed() {
    let app = webhook_app().await;
    let (receiver, url) = spawn_receiver().await;
    receiver.fail_first.store(3, Ordering::SeqCst);
    let (id, secret) = subscribe(
        &app,
        json!({"url": url, "event_types": ["RepRegistered"], "from": 0}),
    )
    .await;
    *receiver.secret.lock().expect("lock") = secret;
    let _dispatcher = start_dispatcher(&app, fast_settings());
    app.register_reps().await;
    let expected = rep_positions(&app).await;
    assert_eq!(expected.len(), 5);
    eventually("5 deliveries", || receiver.delivered().len() >= 5).await;

    let received = receiver.received();
    assert!(
        received.iter().all(|received| received.signature_valid),
        "{received:?}"
    );
    assert_eq!(received.iter().filter(|r| r.answered == 500).count(), 3);
    // In order: every attempt is for the next undelivered event.
    let attempted: Vec<u64> = received.iter().map(|r| r.position).collect();
    let mut sorted = attempted.clone();
    sorted.sort();
    assert_eq!(attempted, sorted, "attempts in position order");
    let delivered: Vec<u64> = receiver.delivered().iter().map(|r| r.position).collect();
    assert_eq!(delivered, expected);
    let mut event_ids: Vec<String> = receiver
        .delivered()
        .into_iter()
        .map(|r| r.event_id)
        .collect();
    event_ids.sort();
    event_ids.dedup();
    assert_eq!(event_ids.len(), 5, "one event id per event");

    // The subscription shows the attempts and its cursor.
    let view = app.get(&format!("/v1/webhooks/{id}"), "integrator").await;
    let view = view.ok();
    assert_eq!(view["state"], json!("active"));
    assert!(
        view.get("secret").is_none(),
        "the secret is shown only once"
    );
    assert_eq!(view["n_delivered"], json!(5));
    assert_eq!(view["consecutive_failures"], json!(0));
    let outcomes: Vec<&str> = view["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .filter_map(|attempt| attempt["outcome"].as_str())
        .collect();
    assert_eq!(
        outcomes,
        [
            "failed",
            "failed",
            "failed",
            "delivered",
            "delivered",
            "delivered",
            "delivered",
            "delivered"
        ]
    );
    let list = app.get("/v1/webhooks", "supervisor").await;
    assert_eq!(list.ok()["webhooks"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn https_targets_are_delivered_over_verified_tls() {
    // Trusting the test CA: every event arrives over TLS, signed, in order.
    let settings = WebhookSettings {
        extra_ca_file: Some(tls_fixture("ca.pem")),
        ..fast_settings()
    };
    let app = spawn_app_with(|config| config.webhooks = settings.clone()).await;
    let (receiver, url) = spawn_tls_receiver().await;
    assert!(url.starts_with("https://"));
    let (id, secret) = subscribe(
        &app,
        json!({"url": url, "event_types": ["RepRegistered"], "from": 0}),
    )
    .await;
    *receiver.secret.lock().expect("lock") = secret;
    let _dispatcher = start_dispatcher(&app, settings);
    app.register_reps().await;
    let expected = rep_positions(&app).await;
    eventually("5 deliveries over https", || {
        receiver.delivered().len() >= 5
    })
    .await;
    let delivered = receiver.delivered();
    assert!(delivered.iter().all(|received| received.signature_valid));
    let positions: Vec<u64> = delivered.iter().map(|r| r.position).collect();
    assert_eq!(positions, expected);
    let view = app.get(&format!("/v1/webhooks/{id}"), "integrator").await;
    assert_eq!(view.ok()["n_delivered"], json!(5));
}

#[tokio::test]
async fn an_https_target_with_an_untrusted_certificate_gets_nothing() {
    // Without the test CA the server's certificate does not verify: no
    // request reaches the receiver's handler, and the attempts say why.
    let app = webhook_app().await;
    let (receiver, url) = spawn_tls_receiver().await;
    let (id, _secret) = subscribe(
        &app,
        json!({"url": url, "event_types": ["RepRegistered"], "from": 0}),
    )
    .await;
    let _dispatcher = start_dispatcher(&app, fast_settings());
    app.register_reps().await;
    let mut attempts = Vec::new();
    for _ in 0..200 {
        let view = app.get(&format!("/v1/webhooks/{id}"), "integrator").await;
        attempts = view.ok()["attempts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if attempts.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        attempts.len() >= 2,
        "failed attempts are recorded: {attempts:?}"
    );
    assert!(attempts
        .iter()
        .all(|attempt| attempt["outcome"] == json!("failed")));
    assert!(receiver.received().is_empty(), "nothing crossed TLS");
}

#[tokio::test]
async fn a_missing_or_empty_ca_file_stops_the_dispatcher_from_starting() {
    let app = webhook_app().await;
    let empty = tempfile::NamedTempFile::new().expect("temp file");
    for path in [
        std::path::PathBuf::from("/nonexistent/ca.pem"),
        empty.path().to_owned(),
    ] {
        let settings = WebhookSettings {
            extra_ca_file: Some(path),
            ..fast_settings()
        };
        let started = Dispatcher::start(
            app.state.service.store().clone(),
            app.state.webhooks.clone(),
            settings,
        );
        assert!(started.is_err(), "a bad CA file is an error at start");
    }
}

#[tokio::test]
async fn a_receiver_that_never_answers_is_paused_and_resuming_delivers_the_backlog() {
    let app = webhook_app().await;
    let (receiver, url) = spawn_receiver().await;
    receiver.hang.store(true, Ordering::SeqCst);
    let settings = WebhookSettings {
        pause_after: 3,
        timeout: Duration::from_millis(200),
        ..fast_settings()
    };
    let (id, secret) = subscribe(
        &app,
        json!({"url": url, "event_types": ["RepRegistered"], "from": 0}),
    )
    .await;
    *receiver.secret.lock().expect("lock") = secret;
    let _dispatcher = start_dispatcher(&app, settings);
    app.register_reps().await;

    let mut paused = Value::Null;
    for _ in 0..200 {
        paused = app
            .get(&format!("/v1/webhooks/{id}"), "integrator")
            .await
            .json;
        if paused["state"] == json!("paused") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(paused["state"], json!("paused"), "{paused}");
    assert_eq!(paused["consecutive_failures"], json!(3));
    assert_eq!(paused["n_delivered"], json!(0));
    assert!(paused["paused_reason"]
        .as_str()
        .is_some_and(|reason| reason.contains("3 consecutive")));
    let n_attempts = receiver.received().len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received().len(),
        n_attempts,
        "no attempts while paused"
    );

    receiver.hang.store(false, Ordering::SeqCst);
    let resumed = app
        .post_json(
            &format!("/v1/webhooks/{id}/resume"),
            "integrator",
            &json!({}),
        )
        .await;
    assert_eq!(resumed.ok()["state"], json!("active"));
    eventually("the backlog", || receiver.delivered().len() >= 5).await;
    let delivered: Vec<u64> = receiver.delivered().iter().map(|r| r.position).collect();
    assert_eq!(delivered, rep_positions(&app).await);

    // Resume from a position replays from there.
    app.post_json(
        &format!("/v1/webhooks/{id}/pause"),
        "integrator",
        &json!({}),
    )
    .await
    .ok();
    let second = delivered[3];
    app.post_json(
        &format!("/v1/webhooks/{id}/resume?from={second}"),
        "integrator",
        &json!({}),
    )
    .await
    .ok();
    eventually("the replay", || receiver.delivered().len() >= 7).await;
    let replayed: Vec<u64> = receiver.delivered()[5..]
        .iter()
        .map(|r| r.position)
        .collect();
    assert_eq!(replayed, delivered[3..].to_vec());
}

#[tokio::test]
async fn restarting_the_dispatcher_mid_delivery_loses_nothing_and_duplicates_only_the_event_in_flight(
) {
    let app = webhook_app().await;
    let (receiver, url) = spawn_receiver().await;
    let (_, secret) = subscribe(
        &app,
        json!({"url": url, "event_types": ["RepRegistered"], "from": 0}),
    )
    .await;
    *receiver.secret.lock().expect("lock") = secret;
    app.register_reps().await;
    let expected = rep_positions(&app).await;
    let in_flight = expected[2];
    *receiver.hang_once_at.lock().expect("lock") = Some(in_flight);
    let settings = WebhookSettings {
        timeout: Duration::from_secs(20),
        ..fast_settings()
    };
    let dispatcher = start_dispatcher(&app, settings.clone());
    eventually("the third delivery in flight", || {
        receiver.received().iter().any(|r| r.position == in_flight)
    })
    .await;
    drop(dispatcher);
    let _dispatcher = start_dispatcher(&app, settings);
    eventually("every event", || receiver.delivered().len() >= 5).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen: Vec<u64> = receiver.received().iter().map(|r| r.position).collect();
    let mut expected_seen = expected.clone();
    expected_seen.insert(3, in_flight);
    assert_eq!(seen, expected_seen, "only the event in flight comes twice");
    let delivered: Vec<u64> = receiver.delivered().iter().map(|r| r.position).collect();
    assert_eq!(delivered, expected);
    assert!(receiver.received().iter().all(|r| r.signature_valid));
}

#[tokio::test]
async fn killing_the_server_mid_delivery_loses_nothing_and_duplicates_only_the_event_in_flight() {
    let (receiver, url) = spawn_receiver().await;
    let data_dir = tempfile::tempdir().expect("tempdir");
    let data = data_dir.path().to_str().expect("utf-8").to_owned();
    let env = [
        ("SALESLEDGER_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "1"),
        ("SALESLEDGER_WEBHOOKS_RETRY_BASE_MS", "20"),
        ("SALESLEDGER_WEBHOOKS_TIMEOUT_MS", "20000"),
    ];
    let client = crate::util::http_client();
    let (server, token) = ServeProcess::start(&data, &env);
    let token = token.expect("admin token");
    let created: Value = client
        .post(format!("{}/v1/webhooks", server.base))
        .bearer_auth(&token)
        .json(&json!({"url": url, "event_types": ["RepRegistered"], "from": 0}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("JSON");
    *receiver.secret.lock().expect("lock") = created["secret"].as_str().expect("secret").to_owned();
    // The second delivery is held by the receiver when the server dies.
    *receiver.hang_on_request.lock().expect("lock") = Some(1);
    for idx in 0..4 {
        register_rep_at(&client, &server.base, &token, &format!("销售 {idx}")).await;
    }
    let page: Value = client
        .get(format!("{}/v1/events?types=RepRegistered", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("feed")
        .json()
        .await
        .expect("JSON");
    let expected: Vec<u64> = page["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|record| record["position"].as_u64())
        .collect();
    assert_eq!(expected.len(), 4);
    eventually("the second delivery in flight", || {
        receiver.received().len() >= 2
    })
    .await;
    let hang_at = Some(expected[1]);
    assert_eq!(receiver.received()[1].position, expected[1]);
    assert_eq!(receiver.received()[1].answered, 0, "held, not answered");
    server.kill();
    let before_restart = receiver.received().len();

    let (server, _) = ServeProcess::start(&data, &env);
    eventually("every event after the restart", || {
        let delivered: Vec<u64> = receiver.delivered().iter().map(|r| r.position).collect();
        expected.iter().all(|position| delivered.contains(position))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let received = receiver.received();
    assert!(received.iter().all(|r| r.signature_valid));
    let delivered: Vec<u64> = receiver.delivered().iter().map(|r| r.position).collect();
    // Each event acknowledged once, except the one in flight at the kill,
    // which is delivered (acknowledged) after the restart.
    let mut unique = delivered.clone();
    unique.dedup();
    assert_eq!(unique, expected, "in order, nothing lost: {received:?}");
    assert_eq!(
        delivered, expected,
        "nothing acknowledged twice: {received:?}"
    );
    let duplicates: Vec<u64> = received
        .iter()
        .map(|r| r.position)
        .filter(|position| received.iter().filter(|r| r.position == *position).count() > 1)
        .collect();
    assert!(
        duplicates.iter().all(|position| Some(*position) == hang_at),
        "only the event in flight is sent twice: {received:?} (kill after {before_restart})"
    );
    assert_eq!(
        duplicates.len(),
        2,
        "the event in flight is sent again: {received:?}"
    );
    assert_eq!(
        before_restart, 2,
        "nothing after the held delivery before the kill"
    );
    drop(server);
}

#[tokio::test]
async fn private_loopback_link_local_and_non_http_targets_are_refused_without_the_allowance() {
    let app = spawn_app().await;
    assert!(!app.state.webhooks.allow_private_targets);
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "http://[2002:7f00:1::]/",
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
        "http://[::ffff:10.1.2.3]/hook",
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "not a url",
    ] {
        let answer = app
            .post_json(
                "/v1/webhooks",
                "integrator",
                &json!({"url": url, "event_types": ["*"]}),
            )
            .await;
        answer.assert_problem(422, "invalid_webhook_target");
    }
    // In Chinese, why: not the reason's code.
    let chinese = app
        .send_json(
            "POST",
            "/v1/webhooks",
            app.token("integrator"),
            &json!({"url": "http://10.1.2.3/hook", "event_types": ["*"]}),
            &[("accept-language", "zh-CN")],
        )
        .await;
    chinese.assert_problem(422, "invalid_webhook_target");
    assert_eq!(
        chinese.json["detail"],
        json!("不允许的 Webhook 目标地址（指向本机、内网或保留地址）。")
    );
    assert_eq!(
        app.get("/v1/webhooks", "integrator").await.ok()["webhooks"],
        json!([])
    );
}

#[tokio::test]
async fn only_integrators_and_supervisors_manage_webhooks_and_bad_requests_are_problems() {
    let app = webhook_app().await;
    let body = json!({"url": "http://127.0.0.1:9/hook", "task_cards": ["todo", "red_alert"]});
    for role in ["rep", "csm", "auditor", "analyst", "finance"] {
        app.post_json("/v1/webhooks", role, &body)
            .await
            .assert_problem(403, "forbidden");
        app.get("/v1/webhooks", role)
            .await
            .assert_problem(403, "forbidden");
    }
    let created = app.post_json("/v1/webhooks", "supervisor", &body).await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.text);
    assert_eq!(created.json["task_cards"], json!(["red_alert", "todo"]));
    assert!(created.json["secret"]
        .as_str()
        .is_some_and(|secret| secret.starts_with("whsec_")));
    // Without `from`: only records committed from now on.
    assert_eq!(created.json["cursor"], json!(app.log_len()));
    let id = created.json["id"].as_str().expect("id").to_owned();

    app.post_json(
        "/v1/webhooks",
        "integrator",
        &json!({"url": "http://127.0.0.1:9/hook"}),
    )
    .await
    .assert_problem(422, "invalid_webhook_filter");
    app.post_json(
        "/v1/webhooks",
        "integrator",
        &json!({"url": "http://127.0.0.1:9/hook", "task_cards": ["coffee"]}),
    )
    .await
    .assert_problem(400, "malformed_body");
    app.post_json(
        "/v1/webhooks",
        "integrator",
        &json!({"url": "http://127.0.0.1:9/hook", "event_types": ["*"], "secret": "mine"}),
    )
    .await
    .assert_problem(400, "malformed_body");
    app.post_json(
        "/v1/webhooks",
        "integrator",
        &json!({"url": "http://127.0.0.1:9/hook", "event_types": ["no such type!"]}),
    )
    .await
    .assert_problem(422, "invalid_webhook_filter");
    let missing = Uuid::now_v7();
    app.get(&format!("/v1/webhooks/{missing}"), "integrator")
        .await
        .assert_problem(404, "not_found");
    app.post_json(
        &format!("/v1/webhooks/{missing}/pause"),
        "integrator",
        &json!({}),
    )
    .await
    .assert_problem(404, "not_found");
    app.get("/v1/webhooks/not-a-uuid", "integrator")
        .await
        .assert_problem(400, "invalid_path_parameter");
    app.post_json(
        &format!("/v1/webhooks/{id}/resume?from=x"),
        "integrator",
        &json!({}),
    )
    .await
    .assert_problem(400, "invalid_query");
    // A `from` past the end of the log is refused, not kept waiting.
    let beyond = app.log_len() + 1_000;
    let refused = app
        .post_json(
            &format!("/v1/webhooks/{id}/resume?from={beyond}"),
            "integrator",
            &json!({}),
        )
        .await;
    refused.assert_problem(422, "from_beyond_log");
    assert_eq!(refused.json["from"], json!(beyond));
    app.post_json(
        "/v1/webhooks",
        "integrator",
        &json!({"url": "http://127.0.0.1:9/hook", "event_types": ["*"], "from": beyond}),
    )
    .await
    .assert_problem(422, "from_beyond_log");
    // With an Idempotency-Key, a retry creates nothing new: it answers the
    // first subscription, secret and all; another body is refused.
    let body = json!({"url": "http://127.0.0.1:9/retry", "event_types": ["*"]});
    let key = [("idempotency-key", "create-retry-1")];
    let first = app
        .send_json("POST", "/v1/webhooks", app.token("integrator"), &body, &key)
        .await;
    assert_eq!(first.status.as_u16(), 201, "{}", first.text);
    let again = app
        .send_json("POST", "/v1/webhooks", app.token("integrator"), &body, &key)
        .await;
    assert_eq!(again.status.as_u16(), 201, "{}", again.text);
    assert_eq!(again.json["id"], first.json["id"]);
    assert_eq!(again.json["secret"], first.json["secret"]);
    let listed = app.get("/v1/webhooks", "integrator").await;
    let n_retry = listed.ok()["webhooks"]
        .as_array()
        .expect("webhooks")
        .iter()
        .filter(|hook| hook["url"] == json!("http://127.0.0.1:9/retry"))
        .count();
    assert_eq!(n_retry, 1, "one subscription for two tries");
    app.send_json(
        "POST",
        "/v1/webhooks",
        app.token("integrator"),
        &json!({"url": "http://127.0.0.1:9/other", "event_types": ["*"]}),
        &key,
    )
    .await
    .assert_problem(422, "idempotency_key_reused");
    // The same key from another caller is that caller's own.
    let other = app
        .send_json("POST", "/v1/webhooks", app.token("supervisor"), &body, &key)
        .await;
    assert_eq!(other.status.as_u16(), 201, "{}", other.text);
    assert_ne!(other.json["id"], first.json["id"]);
    // The end of the log itself is fine: the next record on.
    let at_end = app
        .post_json(
            "/v1/webhooks",
            "integrator",
            &json!({"url": "http://127.0.0.1:9/hook", "event_types": ["*"], "from": app.log_len()}),
        )
        .await;
    assert_eq!(at_end.status.as_u16(), 201, "{}", at_end.text);

    let paused = app
        .post_json(
            &format!("/v1/webhooks/{id}/pause"),
            "integrator",
            &json!({}),
        )
        .await;
    assert_eq!(paused.ok()["state"], json!("paused"));
    let deleted = app
        .send_json(
            "DELETE",
            &format!("/v1/webhooks/{id}"),
            app.token("integrator"),
            &json!({}),
            &[],
        )
        .await;
    assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.text);
    app.get(&format!("/v1/webhooks/{id}"), "integrator")
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn task_cards_are_delivered_by_kind_with_their_kind_named() {
    let app = webhook_app().await;
    let (receiver, url) = spawn_receiver().await;
    let (_, secret) = subscribe(
        &app,
        json!({"url": url, "task_cards": ["overdue_finance", "overdue_legal"], "from": 0}),
    )
    .await;
    *receiver.secret.lock().expect("lock") = secret;
    let _dispatcher = start_dispatcher(&app, fast_settings());
    app.seed_config().await;
    app.register_reps().await;
    app.set_now(at("2027-03-11T02:00:00Z"));
    let customer_id = app.hospital_customer().await;
    app.post_json(
        "/v1/contracts",
        "finance",
        &json!({"customer_id": customer_id, "rep_id": REP_A, "signed_on": "2027-03-01",
                "instalments": [{"due_on": "2027-03-05", "amount_fen": 100_000}]}),
    )
    .await
    .ok();
    // The day close finds the instalment overdue: three task cards (sales,
    // finance, legal); this subscription wants two of them.
    app.post_json("/v1/days/2027-03-10/close", "supervisor", &json!({}))
        .await
        .ok();
    eventually("two task cards", || receiver.delivered().len() >= 2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let delivered = receiver.delivered();
    assert_eq!(delivered.len(), 2, "{delivered:?}");
    let kinds: Vec<(Value, Value)> = delivered
        .iter()
        .map(|r| (r.body["event_type"].clone(), r.body["task_cards"].clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (json!("OverdueTaskCardIssued"), json!(["overdue_finance"])),
            (json!("OverdueTaskCardIssued"), json!(["overdue_legal"])),
        ]
    );
    assert!(delivered
        .iter()
        .all(|r| r.signature_valid && r.body["payload"]["customer_id"] == json!(customer_id)));
}
