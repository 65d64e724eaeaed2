//! `salesledger backup --url URL --token T --out DIR` against real
//! gateways: a first backup of a demo organisation (proposal PDFs among
//! its blobs) verifies and serves the same customer and blob, without a
//! second set of first-start defaults; an incremental run transfers only
//! the new records; a rolled-back gateway log is refused, and a forked one
//! naming the position and both hashes, writing nothing; a wrong token is a 401 said plainly,
//! exit non-zero, no directory created.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use salesledger_store::{SledStore, Store};

use crate::cli_audit::{copy_dir, path_str, run_ok, write_events};
use crate::util::salesledger;

/// A `serve` child, killed if a test panics.
struct Gateway {
    child: Child,
    base: String,
    stdout: Vec<String>,
}

impl Gateway {
    fn start(data: &Path, extra: &[&str]) -> Gateway {
        let mut child = crate::util::salesledger_command()
            .args([
                "serve",
                "--data",
                path_str(data),
                "--listen",
                "127.0.0.1:0",
                "--day-close-every-secs",
                "0",
                "--checkpoint-every-records",
                "0",
            ])
            .args(extra)
            .env("SALESLEDGER_LOG", "error")
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut stdout = Vec::new();
        let mut base = None;
        for line in lines.by_ref() {
            let line = line.expect("line");
            if let Some(rest) = line.strip_prefix("salesledger gateway listening on ") {
                base = rest.split_whitespace().next().map(str::to_owned);
                break;
            }
            stdout.push(line);
        }
        std::thread::spawn(move || for _ in lines {});
        Gateway {
            child,
            base: base.expect("the gateway prints its address"),
            stdout,
        }
    }

    /// The token printed after `label` (`admin token:`, a demo role).
    fn printed_token(&self, label: &str) -> String {
        self.stdout
            .iter()
            .find_map(|line| {
                let rest = line.trim().strip_prefix(label)?;
                Some(rest.trim().to_owned())
            })
            .unwrap_or_else(|| panic!("no {label} printed: {:?}", self.stdout))
    }

    fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        assert!(self.child.wait().expect("wait").success());
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn get(url: &str, token: &str) -> (u16, Vec<u8>) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let response = crate::util::http_client()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    })
}

fn backup(base: &str, token: &str, out: &Path) -> Output {
    salesledger(&[
        "backup",
        "--url",
        base,
        "--token",
        token,
        "--out",
        path_str(out),
    ])
}

fn stdout_of(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The log of a data directory no process holds: its records.
fn read_log(data: &Path) -> Vec<salesledger_store::RecordedEvent> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = SledStore::open(data).expect("open");
        let mut records = Vec::new();
        loop {
            let page = store
                .read_all(records.len() as u64, salesledger_store::READ_PAGE)
                .await
                .expect("read");
            if page.is_empty() {
                break;
            }
            records.extend(page);
        }
        store.close().await;
        records
    })
}

fn auditor_token(data: &Path) -> String {
    let created = run_ok(&[
        "token",
        "create",
        "--data",
        path_str(data),
        "--name",
        "backup.operator",
        "--role",
        "auditor",
    ]);
    created
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("sl_"))
        .unwrap_or_else(|| panic!("no token printed: {created}"))
        .to_owned()
}

#[test]
fn a_backup_of_a_running_gateway_verifies_serves_continues_and_refuses_a_fork() {
    let work = tempfile::tempdir().expect("tempdir");
    let source = work.path().join("source");
    let out = work.path().join("backup");
    let token = auditor_token(&source);

    let gateway = Gateway::start(&source, &["--demo", "--demo-scale", "small"]);
    // A wrong token: 401 said plainly, a non-zero exit, nothing created.
    let refused = backup(&gateway.base, "sl_not_a_token", &out);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_ne!(refused.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    assert!(
        stderr.contains("token is missing, unknown or revoked"),
        "{stderr}"
    );
    assert!(!out.exists(), "a refused first backup creates nothing");
    // In Chinese: the CLI asks the gateway for Chinese, so the gateway's
    // own detail is Chinese too, not only the CLI's sentence around it.
    let refused = salesledger(&[
        "--lang",
        "zh-CN",
        "backup",
        "--url",
        &gateway.base,
        "--token",
        "sl_not_a_token",
        "--out",
        path_str(&out),
    ]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_ne!(refused.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("需要有效的 `Authorization: Bearer <令牌>` 请求头。 (unauthenticated)"),
        "{stderr}"
    );
    assert!(!out.exists());

    let first = stdout_of(&backup(&gateway.base, &token, &out));
    assert!(first.contains("not in the backup:"), "{first}");
    assert!(first.contains("signing key"), "{first}");
    let records: u64 = first
        .split_whitespace()
        .find_map(|word| word.strip_prefix("records=")?.parse().ok())
        .unwrap_or_else(|| panic!("no records= in {first}"));
    assert!(records > 100, "the demo wrote a history: {first}");
    assert!(
        first.contains(&format!("backed up {records} new records")),
        "{first}"
    );
    let backed_up = read_log(&out);
    assert_eq!(backed_up.len() as u64, records);
    let customer = backed_up
        .iter()
        .find(|record| record.event_type == "CustomerRegistered")
        .map(|record| record.stream_id.trim_start_matches("customer-").to_owned())
        .expect("a customer");
    let pdf = backed_up
        .iter()
        .find(|record| record.event_type == "ProposalPdfUploaded")
        .and_then(|record| {
            let payload = record.payload.to_value().ok()?;
            payload["sha256"].as_str().map(str::to_owned)
        })
        .expect("a proposal PDF");
    assert!(
        first.contains("blobs: ") && !first.contains("blobs: 0 referenced"),
        "{first}"
    );
    let (status, source_customer) =
        get(&format!("{}/v1/customers/{customer}", gateway.base), &token);
    assert_eq!(status, 200);
    let (status, source_pdf) = get(&format!("{}/v1/blobs/{pdf}", gateway.base), &token);
    assert_eq!(status, 200);
    gateway.stop();
    // The backup is the source's log, record for record (the source may
    // have gone on after it).
    let source_log = read_log(&source);
    let source_len = source_log.len() as u64;
    assert!(source_len >= records);
    for (backed, original) in backed_up.iter().zip(&source_log) {
        assert_eq!(backed.hash, original.hash, "position {}", backed.position);
    }
    let at_first_backup = work.path().join("at-first-backup");
    copy_dir(&source, &at_first_backup);

    // The backup verifies offline, and serves the same customer and PDF
    // with a new admin token; its first start publishes no second set of
    // defaults (its log already holds them): the log is unchanged.
    let verified = run_ok(&["verify", "--data", path_str(&out)]);
    assert!(
        verified.contains(&format!("ok: {records} records verify")),
        "{verified}"
    );
    let restored_dir = work.path().join("restored");
    copy_dir(&out, &restored_dir);
    let restored = Gateway::start(&restored_dir, &[]);
    let admin = restored.printed_token("admin token:");
    let (status, customer_view) = get(
        &format!("{}/v1/customers/{customer}", restored.base),
        &admin,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&customer_view));
    let as_json =
        |bytes: &[u8]| -> serde_json::Value { serde_json::from_slice(bytes).expect("json") };
    assert_eq!(as_json(&customer_view), as_json(&source_customer));
    let (status, pdf_bytes) = get(&format!("{}/v1/blobs/{pdf}", restored.base), &admin);
    assert_eq!(status, 200);
    assert_eq!(pdf_bytes, source_pdf);
    restored.stop();
    assert_eq!(
        read_log(&restored_dir).len() as u64,
        records,
        "serving the restored directory appended nothing (no second defaults)"
    );

    // More records on the source: the next run transfers only those.
    write_events(&source, 5, 0);
    let gateway = Gateway::start(&source, &[]);
    let second = stdout_of(&backup(&gateway.base, &token, &out));
    assert!(
        second.contains(&format!(
            "backed up {} new records from {} into {} ({records} before, {} now)",
            source_len + 5 - records,
            gateway.base,
            out.display(),
            source_len + 5
        )),
        "{second}"
    );
    assert!(second.contains("0 fetched now"), "{second}");
    let again = stdout_of(&backup(&gateway.base, &token, &out));
    assert!(again.contains("backed up 0 new records"), "{again}");
    gateway.stop();
    let backed_up = read_log(&out);
    assert_eq!(backed_up.len() as u64, source_len + 5);
    let source_log = read_log(&source);
    assert_eq!(
        backed_up.last().map(|record| record.hash),
        source_log.last().map(|record| record.hash)
    );

    // A fork: the source as it was at the first backup, other records
    // appended since. The backup is refused, naming the position and both
    // hashes, and nothing is written.
    // The source rolled back to that state: shorter than the backup.
    let rolled_back = Gateway::start(&at_first_backup, &[]);
    let refused = backup(&rolled_back.base, &token, &out);
    rolled_back.stop();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_ne!(refused.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the gateway's log is shorter than this backup ({} records",
            source_len + 5
        )),
        "{stderr}"
    );
    write_events(&at_first_backup, 7, 100);
    let forked_log = read_log(&at_first_backup);
    let position = source_len + 4;
    let backup_hash = backed_up[position as usize].hash;
    let forked_hash = forked_log[position as usize].hash;
    assert_ne!(backup_hash, forked_hash);
    let forked = Gateway::start(&at_first_backup, &[]);
    let refused = backup(&forked.base, &token, &out);
    forked.stop();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_ne!(refused.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("does not extend this backup"), "{stderr}");
    assert!(
        stderr.contains(&format!("at position {position}")),
        "{stderr}"
    );
    assert!(stderr.contains(&backup_hash.to_string()), "{stderr}");
    assert!(stderr.contains(&forked_hash.to_string()), "{stderr}");
    assert_eq!(
        read_log(&out).len() as u64,
        source_len + 5,
        "nothing written"
    );
    run_ok(&["verify", "--data", path_str(&out)]);
}

/// A TCP proxy to `upstream` (`host:port`) that cuts its first connection
/// after `cut_after` bytes of the answer; its base URL.
fn cutting_proxy(upstream: String, cut_after: usize) -> String {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for (n, client) in listener.incoming().enumerate() {
            let Ok(client) = client else { break };
            let Ok(server) = TcpStream::connect(&upstream) else {
                break;
            };
            let (mut from_client, mut to_server) = (
                client.try_clone().expect("clone"),
                server.try_clone().expect("clone"),
            );
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from_client, &mut to_server);
            });
            let (mut from_server, mut to_client) = (server, client);
            let mut left = if n == 0 { cut_after } else { usize::MAX };
            std::thread::spawn(move || {
                let mut buffer = vec![0u8; 16 * 1024];
                while left > 0 {
                    let Ok(read) = from_server.read(&mut buffer) else {
                        break;
                    };
                    if read == 0 {
                        break;
                    }
                    let sent = read.min(left);
                    if to_client.write_all(&buffer[..sent]).is_err() {
                        break;
                    }
                    left -= sent;
                }
                let _ = to_client.shutdown(Shutdown::Both);
                let _ = from_server.shutdown(Shutdown::Both);
            });
        }
    });
    format!("http://{address}")
}

#[test]
fn a_backup_cut_mid_stream_leaves_a_verified_prefix_and_a_rerun_completes_it() {
    let work = tempfile::tempdir().expect("tempdir");
    let source = work.path().join("source");
    let out = work.path().join("backup");
    let token = auditor_token(&source);
    let gateway = Gateway::start(&source, &["--demo", "--demo-scale", "small"]);
    let (status, export) = get(&format!("{}/v1/audit/export", gateway.base), &token);
    assert_eq!(status, 200);
    let total = String::from_utf8_lossy(&export).lines().count() as u64 - 1;
    assert!(total > 1500, "more than one page of records: {total}");
    // The connection drops about 80% into the export.
    let proxy = cutting_proxy(
        gateway.base.trim_start_matches("http://").to_owned(),
        export.len() * 4 / 5,
    );
    let cut = backup(&proxy, &token, &out);
    let stderr = String::from_utf8_lossy(&cut.stderr);
    assert_ne!(cut.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("reading the export"), "{stderr}");
    let prefix = read_log(&out);
    assert!(
        !prefix.is_empty() && (prefix.len() as u64) < total,
        "a prefix: {} of {total}",
        prefix.len()
    );
    let verified = run_ok(&["verify", "--data", path_str(&out)]);
    assert!(
        verified.contains(&format!("ok: {} records verify", prefix.len())),
        "{verified}"
    );
    // Every blob the prefix references is there already.
    for record in &prefix {
        let payload = record.payload.to_value().expect("payload");
        if let Some(sha256) = payload["sha256"].as_str() {
            assert!(
                out.join("blobs").join(&sha256[..2]).join(sha256).is_file(),
                "blob {sha256} of position {}",
                record.position
            );
        }
    }
    let rerun = stdout_of(&backup(&gateway.base, &token, &out));
    gateway.stop();
    assert!(
        rerun.contains(&format!(
            "backed up {} new records",
            total - prefix.len() as u64
        )),
        "{rerun}"
    );
    let source_log = read_log(&source);
    let backed_up = read_log(&out);
    assert_eq!(backed_up.len() as u64, total);
    assert_eq!(
        backed_up.last().map(|record| record.hash),
        source_log
            .get(backed_up.len() - 1)
            .map(|record| record.hash)
    );
    run_ok(&["verify", "--data", path_str(&out)]);
}
