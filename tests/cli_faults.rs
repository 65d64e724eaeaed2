//! Faults on a real full disk: `salesledger serve` on a small tmpfs (needs
//! root to mount it; prints a skip line otherwise). Filled to `ENOSPC`,
//! appends answer 507 `insufficient_storage` and append nothing, `/readyz`
//! says the log is unavailable and `/healthz` is degraded, a blob upload is
//! 507 and leaves no temporary file; freeing space lets appends resume
//! without a restart; SIGTERM on a full disk stops `serve` within its
//! shutdown timeout; after a restart every acknowledged registration is
//! there and `salesledger verify` passes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::util::salesledger;

const SHUTDOWN_TIMEOUT_SECS: u64 = 4;

/// A tmpfs mounted on a temporary directory, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|error| error.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|error| error.to_string())?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
        }
        Ok(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

struct Serve {
    child: Child,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        // A failed assertion must not leave the server running.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn serve(data: &Path, tokens: &Path) -> (Serve, Option<String>) {
    let mut child = crate::util::salesledger_command()
        .arg("serve")
        .arg("--data")
        .arg(data)
        .arg("--tokens")
        .arg(tokens)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--day-close-every-secs",
            "0",
            "--checkpoint-every-records",
            "0",
            "--shutdown-timeout-secs",
            &SHUTDOWN_TIMEOUT_SECS.to_string(),
        ])
        .env("SALESLEDGER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let (token, base) = crate::util::serve_banner(&mut child);
    let base = base.expect("the gateway prints its address");
    (Serve { child, base }, token)
}

/// Fills the file system holding `dir` with one file until `ENOSPC`.
fn fill(dir: &Path, name: &str) -> PathBuf {
    use std::io::Write;
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).expect("ballast");
    let chunk = vec![0u8; 256 * 1024];
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(error) => {
                assert_eq!(error.raw_os_error(), Some(28), "{error}");
                break;
            }
        }
    }
    let _ = file.sync_all();
    path
}

fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(temp_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "tmp") {
            found.push(path);
        }
    }
    found
}

async fn register(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    n: usize,
) -> (StatusCode, serde_json::Value, Option<String>) {
    let response = client
        .post(format!("{base}/v1/reps"))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "display_name": format!("销售 {n}"), "region": "华东",
            "capability_tags": ["iso13485", "plc-retrofit", "robot-cell"]
        }))
        .send()
        .await
        .expect("register");
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, body, location)
}

async fn get_json(client: &reqwest::Client, url: String) -> (StatusCode, serde_json::Value) {
    let response = client.get(url).send().await.expect("get");
    let status = response.status();
    (status, response.json().await.expect("json"))
}

/// Waits until `/readyz` answers 200, failing after `limit` with `when`
/// and the last answer.
async fn ready_within(client: &reqwest::Client, base: &str, limit: Duration, when: &str) {
    let deadline = Instant::now() + limit;
    loop {
        let (status, ready) = get_json(client, format!("{base}/readyz")).await;
        if status == StatusCode::OK {
            return;
        }
        assert!(Instant::now() < deadline, "never ready {when}: {ready}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Posts registrations until one answers 507; every other answer must be
/// 201 (its location is kept as acknowledged).
async fn post_until_full(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    counter: &mut usize,
    acknowledged: &mut Vec<String>,
) -> serde_json::Value {
    for _ in 0..2000 {
        *counter += 1;
        let (status, body, location) = register(client, base, token, *counter).await;
        match status {
            StatusCode::CREATED => acknowledged.push(location.expect("location")),
            StatusCode::INSUFFICIENT_STORAGE => return body,
            other => panic!("a registration on a filling disk answered {other}: {body}"),
        }
    }
    panic!("2000 registrations and the disk never refused one");
}

fn terminate_within(serve: &mut Serve, limit: Duration) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &serve.child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let started = Instant::now();
    loop {
        if let Some(exit) = serve.child.try_wait().expect("wait") {
            eprintln!(
                "serve stopped {:?} after SIGTERM: {exit}",
                started.elapsed()
            );
            return exit;
        }
        if started.elapsed() > limit {
            let _ = serve.child.kill();
            let _ = serve.child.wait();
            panic!("serve still running {limit:?} after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_full_disk_refuses_with_507_recovers_without_restart_and_never_blocks_shutdown() {
    let tmpfs = match Tmpfs::mount("24m") {
        Ok(tmpfs) => tmpfs,
        Err(reason) => {
            eprintln!("skipping cli_faults: cannot mount a tmpfs ({reason}); run as root to test a full disk");
            return;
        }
    };
    let data = tmpfs.path().join("data");
    // Tokens on another disk: an admin (supervisor) and a rep, who may
    // upload proposal PDFs.
    let tokens_dir = tempfile::tempdir().expect("tempdir");
    let tokens = tokens_dir.path().join("tokens.json");
    let (token, rep_token) = ("sl_faults_admin_token", "sl_faults_rep_token");
    let entry = |token: &str, actor: &str, role: salesledger_domain::Role, rep_id| {
        salesledger::tokens::TokenEntry {
            token_sha256: salesledger_store::Hash32::sha256(token.as_bytes()).to_hex(),
            actor: actor.into(),
            role,
            rep_id,
            region: None,
            created_at: None,
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
        }
    };
    salesledger::tokens::TokenStore::add_to_file(
        &tokens,
        vec![
            entry(token, "admin", salesledger_domain::Role::Supervisor, None),
            entry(
                rep_token,
                "rep.faults",
                salesledger_domain::Role::Rep,
                Some(uuid::Uuid::now_v7()),
            ),
        ],
    )
    .expect("token file");
    let token = token.to_owned();
    let (mut first, _) = serve(&data, &tokens);
    let base = first.base.clone();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let client = crate::util::http_client();
    let mut acknowledged: Vec<String> = Vec::new();
    let mut counter = 0;

    runtime.block_on(async {
        for _ in 0..5 {
            counter += 1;
            let (status, body, location) = register(&client, &base, &token, counter).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            acknowledged.push(location.expect("location"));
        }
        let ballast = fill(tmpfs.path(), "ballast");
        let problem =
            post_until_full(&client, &base, &token, &mut counter, &mut acknowledged).await;
        assert_eq!(problem["code"], "insufficient_storage", "{problem}");
        assert_eq!(problem["status"], 507, "{problem}");
        let (_, health) = get_json(&client, format!("{base}/healthz")).await;
        let head_when_full = health["log_len"].as_u64().expect("log_len");

        // Refused appends append nothing; readiness and health say why.
        let (status, body, _) = register(&client, &base, &token, 999_999).await;
        assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
        let (status, ready) = get_json(&client, format!("{base}/readyz")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
        assert_eq!(ready["log"]["status"], "unavailable", "{ready}");
        assert!(
            ready["log"]["reason"]
                .as_str()
                .is_some_and(|reason| reason.contains("event log")),
            "{ready}"
        );
        let (status, health) = get_json(&client, format!("{base}/healthz")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(health["status"], "degraded", "{health}");
        assert!(health["last_append_error"].is_string(), "{health}");
        assert_eq!(health["log_len"].as_u64(), Some(head_when_full), "{health}");

        // A blob upload on the full disk: 507, no temporary file left.
        // (sled may release space while it retries; fill that too and
        // upload again.)
        let mut ballasts = Vec::new();
        let mut refused = None;
        for attempt in 0..5u8 {
            ballasts.push(fill(tmpfs.path(), &format!("ballast-blob-{attempt}")));
            let upload = client
                .post(format!("{base}/v1/blobs"))
                .bearer_auth(rep_token)
                .header("content-type", "application/pdf")
                .body(vec![attempt; 4 * 1024 * 1024])
                .send()
                .await
                .expect("upload");
            let status = upload.status();
            let body: serde_json::Value = upload.json().await.expect("json");
            if status == StatusCode::INSUFFICIENT_STORAGE {
                refused = Some(body);
                break;
            }
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let body = refused.expect("an upload on a full disk is refused");
        assert_eq!(body["code"], "insufficient_storage", "{body}");
        assert_eq!(temp_files(&data.join("blobs")), Vec::<PathBuf>::new());

        // Space returns: appends resume without a restart.
        std::fs::remove_file(&ballast).expect("free space");
        for ballast in ballasts {
            std::fs::remove_file(&ballast).expect("free space");
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            counter += 1;
            let (status, body, location) = register(&client, &base, &token, counter).await;
            if status == StatusCode::CREATED {
                acknowledged.push(location.expect("location"));
                break;
            }
            assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
            assert!(Instant::now() < deadline, "appends never resumed: {body}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let (status, ready) = get_json(&client, format!("{base}/readyz")).await;
        assert_eq!(ready["log"]["status"], "available", "{status} {ready}");
        let (_, health) = get_json(&client, format!("{base}/healthz")).await;
        assert_eq!(health["status"], "ok", "{health}");
        // The read models too, without a restart: one that could not
        // commit its tables on the full disk is reopened in place and
        // resumes from its last commit (`views::live`).
        let views_failed = ready["failed"]
            .as_array()
            .is_some_and(|failed| !failed.is_empty())
            || ready["views"]["status"] == "reopening";
        ready_within(
            &client,
            &base,
            Duration::from_secs(60),
            "the read models recovering without a restart",
        )
        .await;
        eprintln!(
            "read models {} on the full disk; ready again without a restart",
            if views_failed {
                "failed"
            } else {
                "did not fail"
            }
        );

        // Full again, then SIGTERM: serve stops within its timeout.
        fill(tmpfs.path(), "ballast");
        post_until_full(&client, &base, &token, &mut counter, &mut acknowledged).await;
    });
    terminate_within(&mut first, Duration::from_secs(SHUTDOWN_TIMEOUT_SECS + 6));
    std::fs::remove_file(tmpfs.path().join("ballast")).expect("free space");

    // Restart: every acknowledged registration is there; appends work.
    let (mut second, _) = serve(&data, &tokens);
    let base = second.base.clone();
    runtime.block_on(async {
        for location in &acknowledged {
            let response = client
                .get(format!("{base}{location}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("read rep");
            assert_eq!(response.status(), StatusCode::OK, "{location} lost");
        }
        let (status, body, _) = register(&client, &base, &token, counter + 1).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        // The read models resume from their last durable checkpoints.
        ready_within(&client, &base, Duration::from_secs(30), "after the restart").await;
    });
    let exit = terminate_within(&mut second, Duration::from_secs(SHUTDOWN_TIMEOUT_SECS + 6));
    assert!(exit.success(), "a clean shutdown exits 0: {exit}");
    eprintln!(
        "{} registrations acknowledged around two full disks",
        acknowledged.len()
    );
    let output = salesledger(&["verify", "--data", data.to_str().expect("utf-8")]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The read models' tables on a file system of their own that fills up
/// while the log's still has room: a commit of the tables fails, redb
/// refuses every later one (`PreviousIo`), and the views stop (`503`).
/// When space returns, they are reopened in place, without a restart, and
/// resume from their last commit: every registration made meanwhile is
/// folded (`views::live`).
#[test]
fn read_models_whose_tables_could_not_be_written_reopen_without_a_restart() {
    let data_fs = match Tmpfs::mount("64m") {
        Ok(tmpfs) => tmpfs,
        Err(reason) => {
            eprintln!("skipping cli_faults: cannot mount a tmpfs ({reason}); run as root to test a full disk");
            return;
        }
    };
    let tables_fs = Tmpfs::mount("16m").expect("a second tmpfs");
    let data = data_fs.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    std::os::unix::fs::symlink(tables_fs.path(), data.join("tables")).expect("link the tables");
    let tokens = data_fs.path().join("tokens.json");
    let (mut server, token) = serve(&data, &tokens);
    let token = token.expect("the first start prints an admin token");
    let base = server.base.clone();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let client = crate::util::http_client();
    runtime.block_on(async {
        let mut counter = 0;
        ready_within(&client, &base, Duration::from_secs(30), "at the start").await;

        // The tables' file system full; registrations go on (the log has
        // room) until a commit of the tables fails.
        let ballast = fill(tables_fs.path(), "ballast");
        let deadline = Instant::now() + Duration::from_secs(60);
        let stopped = loop {
            counter += 1;
            let (status, body, _) = register(&client, &base, &token, counter).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            let (_, ready) = get_json(&client, format!("{base}/readyz")).await;
            let failed = ready["failed"]
                .as_array()
                .is_some_and(|failed| !failed.is_empty());
            if failed || ready["views"]["status"] == "reopening" {
                break ready;
            }
            assert!(
                Instant::now() < deadline,
                "the tables never failed to commit on a full file system: {ready}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let response = client
            .get(format!("{base}/v1/views/health"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("read");
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{stopped}"
        );
        let problem: serde_json::Value = response.json().await.expect("json");
        assert!(
            problem["code"] == "view_failed" || problem["code"] == "views_reopening",
            "{problem}"
        );

        // Space returns: reopened in place, caught up with the log.
        std::fs::remove_file(&ballast).expect("free space");
        counter += 1;
        let (status, body, _) = register(&client, &base, &token, counter).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ready_within(
            &client,
            &base,
            Duration::from_secs(90),
            "once space returned",
        )
        .await;
        let (_, health) = get_json(&client, format!("{base}/healthz")).await;
        let last = health["log_len"].as_u64().expect("log_len") - 1;
        let response = client
            .get(format!(
                "{base}/v1/views/health?wait_for_position={last}&timeout_ms=30000"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .expect("read");
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::OK, "{body}");
        eprintln!("the tables failed after {counter} registrations and reopened without a restart");
    });
    let exit = terminate_within(&mut server, Duration::from_secs(SHUTDOWN_TIMEOUT_SECS + 6));
    assert!(exit.success(), "a clean shutdown exits 0: {exit}");
    drop(tables_fs);
}
