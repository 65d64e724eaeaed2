//! Files at rest (docs/SECURITY.md, "Files at rest"): `salesledger serve`
//! leaves every directory under its data directory 0700 and every file
//! 0600, tightens an older, looser data directory on the next start,
//! stores webhook secrets only encrypted (their bytes appear in no file)
//! while deliveries still verify with them, migrates plaintext secrets of
//! an old webhook database, and refuses to start with a missing or wrong
//! webhook key rather than strand the existing secrets.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::Mac;
use serde_json::{json, Value};

/// `salesledger serve` over a data directory, its stderr kept in a file.
struct Serve {
    child: Child,
    base: String,
    stderr: PathBuf,
}

const ENV: [(&str, &str); 2] = [
    ("SALESLEDGER_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "1"),
    ("SALESLEDGER_WEBHOOKS_RETRY_BASE_MS", "20"),
];

impl Serve {
    /// Starts the server (and the admin token, when it printed one).
    fn start(data: &Path, logs: &Path, name: &str) -> (Serve, Option<String>) {
        let stderr = logs.join(format!("{name}.stderr"));
        let mut child = serve_command(data, &stderr)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let (token, base) = crate::util::serve_banner(&mut child);
        let Some(base) = base else {
            panic!(
                "serve did not start: {}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        };
        (
            Serve {
                child,
                base,
                stderr,
            },
            token,
        )
    }

    /// SIGTERM once it serves (so its signal handler is installed), and
    /// wait for a clean exit.
    async fn stop(mut self) -> String {
        let health = reqwest::get(format!("{}/healthz", self.base))
            .await
            .expect("healthz");
        assert!(health.status().is_success());
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        let exit = self.child.wait().expect("wait for serve");
        assert!(exit.success(), "serve exits 0 after SIGTERM: {exit:?}");
        std::fs::read_to_string(&self.stderr).expect("stderr")
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_command(data: &Path, stderr: &Path) -> Command {
    let mut command = crate::util::salesledger_command();
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("SALESLEDGER_LOG", "warn")
        .stderr(std::fs::File::create(stderr).expect("stderr file"));
    for (name, value) in ENV {
        command.env(name, value);
    }
    command
}

/// Tokens for a data directory that does not exist yet (the token file
/// is written with the library's own writer): a supervisor's and a rep's.
fn write_tokens(data: &Path) -> (String, String) {
    use salesledger::tokens::{TokenEntry, TokenStore};
    let supervisor = format!("sup-{}", uuid::Uuid::now_v7().simple());
    let rep = format!("rep-{}", uuid::Uuid::now_v7().simple());
    let entry = |token: &str, actor: &str, role, rep_id| TokenEntry {
        token_sha256: salesledger_store::Hash32::sha256(token.as_bytes()).to_hex(),
        actor: actor.to_owned(),
        role,
        rep_id,
        region: None,
        created_at: None,
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
    };
    TokenStore::add_to_file(
        &data.join("tokens.json"),
        vec![
            entry(
                &supervisor,
                "files.supervisor",
                salesledger_domain::role::Role::Supervisor,
                None,
            ),
            entry(
                &rep,
                "files.rep",
                salesledger_domain::role::Role::Rep,
                Some(uuid::Uuid::now_v7()),
            ),
        ],
    )
    .expect("token file");
    (supervisor, rep)
}

/// Starts `serve` expecting it to fail at startup: its exit code and stderr.
fn failed_start(data: &Path, logs: &Path, name: &str) -> (Option<i32>, String) {
    failed_start_with(data, logs, name, &[])
}

/// [`failed_start`] with more environment variables (a locale).
fn failed_start_with(
    data: &Path,
    logs: &Path,
    name: &str,
    env: &[(&str, &str)],
) -> (Option<i32>, String) {
    let stderr = logs.join(format!("{name}.stderr"));
    let mut command = serve_command(data, &stderr);
    for (variable, value) in env {
        command.env(variable, value);
    }
    let mut child = command.stdout(Stdio::null()).spawn().expect("spawn serve");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve kept running; it must refuse to start");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (
        status.code(),
        std::fs::read_to_string(&stderr).expect("stderr"),
    )
}

/// Every path under `root` (and `root`) whose mode is not 0700 for a
/// directory or 0600 for a file, as `path mode`.
fn offenders(root: &Path) -> Vec<String> {
    let mut offenders = Vec::new();
    let mut n_checked = 0;
    let mut pending = vec![root.to_path_buf()];
    while let Some(path) = pending.pop() {
        let metadata = std::fs::symlink_metadata(&path).expect("metadata");
        let mode = metadata.permissions().mode() & 0o7777;
        n_checked += 1;
        let expected = if metadata.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read_dir") {
                pending.push(entry.expect("entry").path());
            }
            0o700
        } else {
            0o600
        };
        if mode != expected {
            offenders.push(format!(
                "{} {mode:o} (expected {expected:o})",
                path.display()
            ));
        }
    }
    assert!(
        n_checked > 10,
        "walked only {n_checked} paths under {root:?}"
    );
    offenders
}

/// Every file under `root` whose bytes contain `needle`.
fn files_containing(root: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read_dir") {
                pending.push(entry.expect("entry").path());
            }
        } else if std::fs::read(&path)
            .expect("read")
            .windows(needle.len())
            .any(|window| window == needle)
        {
            found.push(path);
        }
    }
    found
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Makes a data directory look as an older version left it: directories
/// 0755, files 0644.
fn loosen(root: &Path) {
    let mut pending = vec![root.to_path_buf()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read_dir") {
                pending.push(entry.expect("entry").path());
            }
            chmod(&path, 0o755);
        } else {
            chmod(&path, 0o644);
        }
    }
}

/// A webhook receiver recording whether each delivery's signature verifies
/// under the secret it was given.
#[derive(Default)]
struct Receiver {
    secret: Mutex<String>,
    /// (position, signature valid)
    received: Mutex<Vec<(u64, bool)>>,
}

impl Receiver {
    fn received(&self) -> Vec<(u64, bool)> {
        self.received.lock().expect("lock").clone()
    }
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let secret = receiver.secret.lock().expect("lock").clone();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("{}.", header("x-salesledger-timestamp")).as_bytes());
    mac.update(&body);
    let valid = header("x-salesledger-signature")
        == format!("v1={}", hex::encode(mac.finalize().into_bytes()));
    let position = header("x-salesledger-position").parse().unwrap_or(u64::MAX);
    receiver
        .received
        .lock()
        .expect("lock")
        .push((position, valid));
    StatusCode::OK
}

async fn spawn_receiver() -> (Arc<Receiver>, String) {
    let receiver = Arc::new(Receiver::default());
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("receiver");
    });
    (receiver, format!("http://{address}/hook"))
}

async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn register_rep(client: &reqwest::Client, base: &str, token: &str, name: &str) -> u64 {
    let response = client
        .post(format!("{base}/v1/reps"))
        .bearer_auth(token)
        .json(&json!({"display_name": name, "region": "华东", "capability_tags": ["iso13485", "plc-retrofit", "robot-cell"]}))
        .send()
        .await
        .expect("register a rep");
    let status = response.status();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    body["events"][0]["position"]
        .as_u64()
        .unwrap_or_else(|| panic!("a position in {body}"))
}

async fn create_webhook(client: &reqwest::Client, base: &str, token: &str, url: &str) -> String {
    let response = client
        .post(format!("{base}/v1/webhooks"))
        .bearer_auth(token)
        .json(&json!({"url": url, "event_types": ["RepRegistered"], "from": 0}))
        .send()
        .await
        .expect("create a webhook");
    let status = response.status();
    let created: Value = response.json().await.expect("JSON");
    assert_eq!(status, reqwest::StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"));
    secret
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_its_data_directory_private_and_webhook_secrets_encrypted() {
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("data");
    let (receiver, url) = spawn_receiver().await;
    let client = crate::util::http_client();

    let (token, rep_token) = write_tokens(&data);
    let (server, _) = Serve::start(&data, root.path(), "first");
    let secret = create_webhook(&client, &server.base, &token, &url).await;
    *receiver.secret.lock().expect("lock") = secret.clone();
    let first = register_rep(&client, &server.base, &token, "销售 1").await;
    let blob = client
        .post(format!("{}/v1/blobs", server.base))
        .bearer_auth(&rep_token)
        .header("content-type", "application/pdf")
        .body(b"%PDF-1.7 a proposal".to_vec())
        .send()
        .await
        .expect("upload");
    assert_eq!(blob.status(), reqwest::StatusCode::CREATED);
    eventually("the first delivery", || {
        receiver
            .received()
            .iter()
            .any(|(position, _)| *position == first)
    })
    .await;
    let stderr = server.stop().await;
    assert!(
        !stderr.contains("removed group and other permissions"),
        "nothing to tighten on a fresh directory: {stderr}"
    );

    for expected in [
        "log/db",
        "tables/tables.redb",
        "webhooks/db",
        "keys/webhooks.key",
        "tokens.json",
        "audit",
    ] {
        assert!(data.join(expected).exists(), "{expected} exists");
    }
    assert!(std::fs::read_dir(data.join("blobs"))
        .expect("blobs")
        .next()
        .is_some());
    let loose = offenders(&data);
    assert!(loose.is_empty(), "not 0700/0600:\n{}", loose.join("\n"));
    assert_eq!(
        files_containing(&data, secret.as_bytes()),
        Vec::<PathBuf>::new(),
        "the webhook secret is stored in plaintext"
    );
    let secret_hex = secret.trim_start_matches("whsec_");
    assert!(files_containing(&data, secret_hex.as_bytes()).is_empty());

    // Restarted, the server recovers the secret: deliveries still verify.
    let (server, _) = Serve::start(&data, root.path(), "second");
    let second = register_rep(&client, &server.base, &token, "销售 2").await;
    eventually("the delivery after the restart", || {
        receiver
            .received()
            .iter()
            .any(|(position, _)| *position == second)
    })
    .await;
    server.stop().await;
    let received = receiver.received();
    assert!(
        received.iter().all(|(_, valid)| *valid),
        "every signature verifies with the secret: {received:?}"
    );
    assert!(offenders(&data).is_empty());
    assert!(files_containing(&data, secret.as_bytes()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_data_directory_is_tightened_and_its_plaintext_secrets_encrypted_on_start() {
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("data");
    let (receiver, url) = spawn_receiver().await;
    let client = crate::util::http_client();
    let (token, _) = write_tokens(&data);
    let (server, _) = Serve::start(&data, root.path(), "first");
    server.stop().await;

    // As an older version left it: a webhook database with the secret in
    // plaintext and no key, every directory 0755 and every file 0644.
    std::fs::remove_dir_all(data.join("webhooks")).expect("remove webhooks");
    std::fs::remove_dir_all(data.join("keys")).expect("remove keys");
    let secret = "whsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab";
    {
        let hook = salesledger::webhooks::subscriptions::StoredWebhook {
            id: uuid::Uuid::now_v7(),
            url: url.clone(),
            filter: salesledger::webhooks::EventFilter {
                event_types: vec!["RepRegistered".to_owned()],
                task_cards: Vec::new(),
            },
            secret: secret.to_owned(),
            state: salesledger::webhooks::subscriptions::WebhookState::Active,
            paused_reason: None,
            cursor: 0,
            created_at: chrono::Utc::now(),
            created_by: "supervisor:admin".to_owned(),
            generation: 0,
            consecutive_failures: 0,
            n_delivered: 0,
            attempts: Default::default(),
        };
        let db = sled::open(data.join("webhooks")).expect("old webhook db");
        db.open_tree("subscriptions")
            .expect("tree")
            .insert(hook.id.as_bytes(), serde_json::to_vec(&hook).expect("JSON"))
            .expect("insert");
        db.flush().expect("flush");
    }
    loosen(&data);
    assert!(
        !files_containing(&data.join("webhooks"), secret.as_bytes()).is_empty(),
        "the old database holds the secret in plaintext"
    );
    assert!(!offenders(&data).is_empty());

    *receiver.secret.lock().expect("lock") = secret.to_owned();
    let (server, _) = Serve::start(&data, root.path(), "second");
    let position = register_rep(&client, &server.base, &token, "销售 1").await;
    eventually("a delivery signed with the migrated secret", || {
        receiver.received().iter().any(|(at, _)| *at == position)
    })
    .await;
    let stderr = server.stop().await;
    let received = receiver.received();
    assert!(received.iter().all(|(_, valid)| *valid), "{received:?}");
    assert_eq!(
        stderr
            .matches("removed group and other permissions")
            .count(),
        1,
        "one warning naming the changes: {stderr}"
    );
    assert!(stderr.contains("tokens.json 644->600"), "{stderr}");
    assert!(stderr.contains("log/db 644->600"), "{stderr}");
    assert!(stderr.contains("encrypted them"), "{stderr}");
    let offenders = offenders(&data);
    assert!(
        offenders.is_empty(),
        "not 0700/0600:\n{}",
        offenders.join("\n")
    );
    assert_eq!(
        files_containing(&data, secret.as_bytes()),
        Vec::<PathBuf>::new(),
        "a plaintext secret survived the migration"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_wrong_webhook_key_stops_the_start_instead_of_stranding_secrets() {
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("data");
    let client = crate::util::http_client();
    let (token, _) = write_tokens(&data);
    let (server, _) = Serve::start(&data, root.path(), "first");
    create_webhook(&client, &server.base, &token, "http://127.0.0.1:9/hook").await;
    server.stop().await;
    let key = data.join("keys/webhooks.key");
    let saved = std::fs::read(&key).expect("the key file");

    std::fs::remove_file(&key).expect("remove the key");
    let (code, stderr) = failed_start(&data, root.path(), "missing");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("webhooks.key is missing"), "{stderr}");
    assert!(!key.exists(), "no new key was created");

    std::fs::write(&key, format!("{}\n", "ab".repeat(32))).expect("another key");
    let (code, stderr) = failed_start(&data, root.path(), "wrong");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("does not decrypt"), "{stderr}");
    // In Chinese, with what to do.
    let (code, stderr) =
        failed_start_with(&data, root.path(), "wrong-zh", &[("LC_ALL", "zh_CN.UTF-8")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("无法解密 Webhook 数据库中的签名密钥")
            && stderr.contains("请从数据目录的备份中恢复"),
        "{stderr}"
    );
    assert!(!stderr.contains("does not decrypt"), "{stderr}");

    std::fs::write(&key, "not a key\n").expect("garbage");
    let (code, stderr) = failed_start(&data, root.path(), "garbage");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("expected 64 hex digits"), "{stderr}");

    std::fs::write(&key, &saved).expect("restore the key");
    let (server, _) = Serve::start(&data, root.path(), "restored");
    let listed: Value = client
        .get(format!("{}/v1/webhooks", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed["webhooks"].as_array().map(Vec::len), Some(1));
    server.stop().await;
}

#[tokio::test]
async fn the_state_opened_in_process_is_private_too() {
    // The test process's umask is not 0o077, so this checks the explicit
    // modes and the tightening after sled opens, not the binary's umask.
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("data");
    let config = salesledger::app::GatewayConfig::new(
        data.clone(),
        "127.0.0.1:0".parse().expect("an address"),
    );
    let (state, store) = salesledger::app::open_state(&config)
        .await
        .expect("open the state");
    state.blobs.put(b"%PDF-1.7 evidence").await.expect("blob");
    let offenders = offenders(&data);
    drop(state);
    store.close().await;
    assert!(
        offenders.is_empty(),
        "not 0700/0600:\n{}",
        offenders.join("\n")
    );
}
