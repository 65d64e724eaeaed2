//! The audit commands as processes: `key`, `checkpoint`, `evidence`,
//! `verify-bundle` (from a copy of the binary with the data directory
//! deleted), `verify` with checkpoints and `--from-checkpoint`, `export`;
//! and that checkpoint records do not disturb the log's other readers.

use std::path::Path;
use std::process::Command;

use salesledger_store::conformance::metadata;
use salesledger_store::{AppendRequest, ExpectedVersion, NewEvent, SledStore, Store};
use serde_json::json;
use uuid::Uuid;

use crate::util::salesledger;

pub(crate) const CUSTOMER: Uuid = Uuid::from_u128(0xc0ffee);

pub(crate) fn write_events(data_dir: &Path, n_events: u64, start: u64) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = SledStore::open(data_dir).expect("open");
        for n in start..start + n_events {
            let customer = if n % 2 == 0 {
                CUSTOMER
            } else {
                Uuid::from_u128(u128::from(n))
            };
            store
                .append(AppendRequest {
                    stream_id: format!("customer-{customer}"),
                    expected_version: ExpectedVersion::Any,
                    // A real domain event (the subject index folds the
                    // log through the domain's decoder); `policy_version`
                    // carries `n`.
                    events: vec![NewEvent::new(
                        "FollowUpRecorded",
                        1,
                        &json!({
                            "customer_id": customer.to_string(),
                            "rep_id": Uuid::from_u128(0x5eb).to_string(),
                            "kind": "call",
                            "occurred_at": "2026-03-02T09:00:00Z",
                            "visit_id": null,
                            "qualifying": false,
                            "protected_until": null,
                            "policy_version": n,
                        }),
                    )],
                    metadata: metadata("rep:li.wei"),
                    idempotency: None,
                })
                .await
                .expect("append");
        }
        store.close().await;
    });
}

pub(crate) fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

pub(crate) fn run_ok(args: &[&str]) -> String {
    let output = salesledger(args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn a_bundle_verifies_from_a_copy_of_the_binary_with_the_data_dir_deleted() {
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    write_events(&data, 20, 0);
    let key_output = run_ok(&["key", "--data", path_str(&data)]);
    let vkey = key_output.lines().next().expect("vkey line").to_owned();
    assert!(vkey.starts_with("salesledger/"), "{vkey}");
    assert!(key_output.contains("fingerprint: "), "{key_output}");
    let bundle = work.path().join("bundle.json");
    let customer = CUSTOMER.to_string();
    let out = run_ok(&[
        "evidence",
        "--data",
        path_str(&data),
        "--customer",
        &customer,
        "--out",
        path_str(&bundle),
    ]);
    assert!(out.contains("10 events"), "{out}");
    // A customer the log knows nothing of (a mistyped id): said plainly,
    // in English and in Chinese, exit 2, no bundle.
    let unknown = "0192f0a4-0000-7000-8000-0000000000c9";
    let missing = work.path().join("missing.json");
    for (lang, expected) in [
        (
            "en",
            format!("the log holds no event about customer {unknown}"),
        ),
        ("zh-CN", format!("日志中没有关于客户 {unknown} 的任何事件")),
    ] {
        let output = salesledger(&[
            "--lang",
            lang,
            "evidence",
            "--data",
            path_str(&data),
            "--customer",
            unknown,
            "--out",
            path_str(&missing),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&expected), "{stderr}");
        assert!(!missing.exists());
    }

    // A copy of the binary, somewhere else, and no data directory at all.
    let bin_dir = tempfile::tempdir().expect("tempdir");
    let binary = bin_dir.path().join("salesledger-copy");
    std::fs::copy(env!("CARGO_BIN_EXE_salesledger"), &binary).expect("copy binary");
    std::fs::remove_dir_all(&data).expect("delete data");
    let key_file = work.path().join("log.vkey");
    std::fs::write(&key_file, format!("{vkey}\n")).expect("key file");
    // Another test's fork may briefly hold an inherited write handle on the
    // fresh copy ("Text file busy"): retry the exec for a moment.
    let run = |args: &[&str]| {
        let mut attempts = 0;
        loop {
            match crate::util::in_english(Command::new(&binary))
                .args(args)
                .current_dir(bin_dir.path())
                .output()
            {
                Err(error)
                    if error.kind() == std::io::ErrorKind::ExecutableFileBusy && attempts < 100 =>
                {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                result => break result.expect("run copy"),
            }
        }
    };
    let output = run(&[
        "verify-bundle",
        path_str(&bundle),
        "--pubkey",
        path_str(&key_file),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with("ok: 10 events about customer"),
        "{stdout}"
    );
    assert!(stdout.contains("the key is the one given"), "{stdout}");
    let output = run(&["verify-bundle", path_str(&bundle)]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("WARNING: the key was taken from the bundle"),
        "{stdout}"
    );

    // One changed digit in a payload: exit 1 naming the event.
    let text = std::fs::read_to_string(&bundle).expect("bundle");
    let tampered = text.replacen("\"policy_version\": 4", "\"policy_version\": 5", 1);
    assert_ne!(tampered, text);
    std::fs::write(&bundle, tampered).expect("write");
    let output = run(&["verify-bundle", path_str(&bundle), "--pubkey", &vkey]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with("FAILED: event 2 (position 4)"),
        "{stdout}"
    );
}

#[test]
fn verify_checks_checkpoints_and_proves_a_saved_one_is_extended() {
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    write_events(&data, 8, 0);
    let note = run_ok(&["checkpoint", "--data", path_str(&data)]);
    assert!(note.contains("\n8\n"), "{note}");
    let saved = work.path().join("saved.note");
    std::fs::write(&saved, &note).expect("save");
    write_events(&data, 8, 8);
    run_ok(&["checkpoint", "--data", path_str(&data)]);
    // Nothing new: no second checkpoint in a row.
    run_ok(&["checkpoint", "--data", path_str(&data)]);

    let stdout = run_ok(&[
        "verify",
        "--data",
        path_str(&data),
        "--from-checkpoint",
        path_str(&saved),
    ]);
    assert!(stdout.starts_with("ok: 18 records verify"), "{stdout}");
    assert!(stdout.contains("checkpoints: 2 verify"), "{stdout}");
    assert!(stdout.contains("from checkpoint: ok"), "{stdout}");

    // A fork signed with the same key: same length, other records.
    let fork = work.path().join("fork");
    std::fs::create_dir_all(fork.join("audit")).expect("mkdir");
    std::fs::copy(
        data.join("audit").join("signing.key"),
        fork.join("audit").join("signing.key"),
    )
    .expect("copy key");
    write_events(&fork, 20, 100);
    let output = salesledger(&[
        "verify",
        "--data",
        path_str(&fork),
        "--from-checkpoint",
        path_str(&saved),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("from checkpoint: FAILED"), "{stdout}");

    // Export, then read back through the library reader.
    let export = work.path().join("log.jsonl");
    run_ok(&[
        "export",
        "--data",
        path_str(&data),
        "--out",
        path_str(&export),
    ]);
    let records: Vec<_> = salesledger_replay::audit::export::read_export(&export)
        .expect("header")
        .collect::<Result<_, _>>()
        .expect("verifies");
    assert_eq!(records.len(), 18);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = SledStore::open(&data).expect("open");
        assert_eq!(store.read_all(0, 100).await.expect("read"), records);
        store.close().await;
    });
}

/// A backup, copy or rebuild holds the log's checkpoints but not the
/// signing key, and a restore without the old key signs with a new one:
/// `verify --data` checks each checkpoint with the key it carries and
/// names the keys, or with `--pubkey` requires the published ones.
#[test]
fn verify_checks_checkpoints_without_the_signing_key_and_against_published_keys() {
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    write_events(&data, 6, 0);
    run_ok(&["checkpoint", "--data", path_str(&data)]);
    let old_key = run_ok(&["key", "--data", path_str(&data)]);
    let old_key = old_key.lines().next().expect("vkey").to_owned();
    // The restored directory has no key: the next checkpoint is signed by
    // a new one.
    std::fs::remove_file(data.join("audit").join("signing.key")).expect("remove key");
    let stdout = run_ok(&["verify", "--data", path_str(&data)]);
    assert!(stdout.contains("checkpoints: 1 verify"), "{stdout}");
    assert!(stdout.contains(&format!("signed by {old_key}")), "{stdout}");
    write_events(&data, 3, 6);
    run_ok(&["checkpoint", "--data", path_str(&data)]);
    let new_key = run_ok(&["key", "--data", path_str(&data)]);
    let new_key = new_key.lines().next().expect("vkey").to_owned();
    assert_ne!(old_key, new_key);

    let output = salesledger(&["verify", "--data", path_str(&data)]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("checkpoints: 2 verify"), "{stdout}");
    assert!(
        stdout.contains(&format!("signed by {old_key}"))
            && stdout.contains(&format!("signed by {new_key}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("this data directory's signing key"),
        "{stdout}"
    );
    assert!(stderr.contains("pass --pubkey"), "{stderr}");

    // Both published keys: every checkpoint is signed by one of them.
    let stdout = run_ok(&[
        "verify",
        "--data",
        path_str(&data),
        "--pubkey",
        &old_key,
        "--pubkey",
        &new_key,
    ]);
    assert!(stdout.contains("a key given with --pubkey"), "{stdout}");
    // Only the old one: the checkpoint signed by the new key fails.
    let output = salesledger(&[
        "verify",
        "--data",
        path_str(&data),
        "--pubkey",
        &old_key,
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(
        report["failure"]["kind"], "checkpoint_key_not_published",
        "{report}"
    );
    assert_eq!(
        report["checkpoint_keys"][0]["vkey"],
        old_key.as_str(),
        "{report}"
    );
    assert_eq!(report["checkpoint_keys_checked"], "published", "{report}");
    // Without --pubkey the JSON says the keys were the checkpoints' own,
    // and which is the directory's.
    let output = salesledger(&["verify", "--data", path_str(&data), "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["checkpoint_keys_checked"], "carried", "{report}");
    assert_eq!(
        report["checkpoint_keys"][0]["directory_key"], false,
        "{report}"
    );
    assert_eq!(
        report["checkpoint_keys"][1]["directory_key"], true,
        "{report}"
    );

    // Flags of the other mode are refused, not ignored.
    let output = salesledger(&["verify", "--data", path_str(&data), "--state", "s.json"]);
    assert_eq!(output.status.code(), Some(2));
}

/// Checkpoint records are skipped by every reader of the whole log: the
/// commands' registry and the projections.
#[test]
fn checkpoint_records_are_skipped_by_the_registry_and_projections() {
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = SledStore::open(data).expect("open");
        let command_id = Uuid::now_v7();
        store
            .append(AppendRequest {
                stream_id: format!("rep-{}", Uuid::from_u128(1)),
                expected_version: ExpectedVersion::NoStream,
                events: vec![NewEvent::new("SomethingNew", 1, &json!({}))],
                metadata: salesledger_store::AppendMetadata {
                    actor: "admin:root".into(),
                    command_id,
                    correlation_id: command_id,
                    causation_id: command_id,
                },
                idempotency: None,
            })
            .await
            .expect("append");
        let key = salesledger_replay::audit::ServerKey::load_or_create(data).expect("key");
        let mut tree = salesledger_replay::audit::log_tree::LogTree::open(data, &store)
            .await
            .expect("tree");
        let checkpoint = salesledger_replay::audit::sign_checkpoint(&store, &mut tree, &key)
            .await
            .expect("checkpoint");
        let records = store.read_all(0, 10).await.expect("read");
        let record = &records[usize::try_from(checkpoint.position).expect("small")];
        assert_eq!(record.event_type, "CheckpointSigned");
        assert!(matches!(
            salesledger_projections::decode_record(record),
            Ok(None)
        ));
        let mut registry = salesledger_commands::Registry::default();
        registry
            .catch_up_to(&store, store.head().len)
            .await
            .expect("the registry skips checkpoint records");
        assert_eq!(registry.position(), store.head().len);
        store.close().await;
    });
}

/// `GET /v1/audit/checkpoints/latest`: 404 before any checkpoint, then the
/// latest one, readable by any role and verifiable with its key.
#[tokio::test]
async fn the_latest_checkpoint_is_served_to_any_role() {
    let app = crate::http::support::spawn_app().await;
    let path = "/v1/audit/checkpoints/latest";
    let answer = app.get(path, "auditor").await;
    assert_eq!(answer.status.as_u16(), 404, "{}", answer.text);
    let store = app.state.service.store().clone();
    store
        .append(salesledger_store::conformance::request(
            "customer-x",
            ExpectedVersion::Any,
            &[json!({"n": 1})],
        ))
        .await
        .expect("append");
    let key =
        salesledger_replay::audit::ServerKey::load_or_create(app.data_dir.path()).expect("key");
    let mut tree =
        salesledger_replay::audit::log_tree::LogTree::open(app.data_dir.path(), store.as_ref())
            .await
            .expect("tree");
    let signed = salesledger_replay::audit::sign_checkpoint(store.as_ref(), &mut tree, &key)
        .await
        .expect("checkpoint");
    for role in ["auditor", "rep", "supervisor"] {
        let answer = app.get(path, role).await;
        assert_eq!(answer.status.as_u16(), 200, "{role}: {}", answer.text);
        assert_eq!(answer.json["tree_size"], signed.payload.tree_size);
        assert_eq!(answer.json["position"], signed.position);
        let vkey = answer.json["verifier_key"].as_str().expect("vkey");
        assert_eq!(vkey, key.vkey());
        let verifier =
            salesledger_replay::audit::checkpoint::NoteVerifier::parse_vkey(vkey).expect("vkey");
        let note = answer.json["note"].as_str().expect("note");
        let body = salesledger_replay::audit::checkpoint::Checkpoint::parse_body(
            verifier.open(note).expect("signature verifies"),
        )
        .expect("checkpoint body");
        assert_eq!(
            hex::encode(body.root_hash),
            answer.json["root_hash"].as_str().expect("root")
        );
    }
    let answer = app.send_raw("GET", path, None, None, Vec::new(), &[]).await;
    assert_eq!(answer.status.as_u16(), 401);
}

/// `serve` on a loopback port over `data` (whose token file exists): the
/// child and the base URL.
pub(crate) fn start_serve(data: &Path) -> (Serving, String) {
    use std::io::{BufRead, BufReader};
    let mut child = crate::util::salesledger_command()
        .args([
            "serve",
            "--data",
            path_str(data),
            "--listen",
            "127.0.0.1:0",
            "--day-close-every-secs",
            "0",
        ])
        .env("SALESLEDGER_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut address = None;
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(rest) = line.strip_prefix("salesledger gateway listening on ") {
            address = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (
        Serving(child),
        address.expect("the gateway prints its address"),
    )
}

/// Kills a `serve` child left running when a test panics.
pub(crate) struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

pub(crate) fn stop_serve(child: &mut Serving) {
    let child = &mut child.0;
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let exit = child.wait().expect("wait for serve");
    assert!(exit.success(), "serve exits 0 after SIGTERM: {exit:?}");
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// `verify --url --token --state` against a running gateway: the first run
/// saves the signed checkpoint, the next proves the log extends it (RFC
/// 9162 consistency proof from the gateway), `evidence --url` downloads a
/// bundle that verifies; then the data directory is restored from an older
/// copy, other events appended and re-signed with the same key: the fork
/// fails loudly with both tree heads and the state file is left as it was.
#[test]
fn verify_url_follows_a_live_gateway_and_catches_a_forked_log() {
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    write_events(&data, 8, 0);
    run_ok(&["checkpoint", "--data", path_str(&data)]);
    let created = run_ok(&[
        "token",
        "create",
        "--data",
        path_str(&data),
        "--name",
        "outside.auditor",
        "--role",
        "auditor",
    ]);
    let token = created
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("sl_"))
        .unwrap_or_else(|| panic!("no token printed: {created}"))
        .to_owned();
    let backup = work.path().join("backup");
    copy_dir(&data, &backup);
    write_events(&data, 8, 8);
    run_ok(&["checkpoint", "--data", path_str(&data)]);

    let state = work.path().join("auditor.state");
    let verify_url = |base: &str| {
        salesledger(&[
            "verify",
            "--url",
            base,
            "--token",
            &token,
            "--state",
            path_str(&state),
        ])
    };
    let (mut child, base) = start_serve(&data);
    let output = verify_url(&base);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.starts_with("ok: the latest checkpoint is signed"),
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("trusting the key"),
        "the first use says whose key it trusts"
    );
    let first_state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).expect("state")).expect("json");
    assert_eq!(first_state["tree_size"], 17);

    // `evidence --url` downloads and checks against the saved key.
    let bundle = work.path().join("bundle.json");
    let customer = CUSTOMER.to_string();
    let out = run_ok(&[
        "evidence",
        "--url",
        &base,
        "--token",
        &token,
        "--state",
        path_str(&state),
        "--customer",
        &customer,
        "--out",
        path_str(&bundle),
    ]);
    assert!(out.contains("8 events about customer"), "{out}");
    // A mistyped state path is an error, not a silent fall-back to the
    // bundle's own key.
    let elsewhere = work.path().join("elsewhere.json");
    let output = salesledger(&[
        "evidence",
        "--url",
        &base,
        "--token",
        &token,
        "--state",
        path_str(&work.path().join("no-such-state.json")),
        "--customer",
        &customer,
        "--out",
        path_str(&elsewhere),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(!elsewhere.exists(), "no bundle written");
    stop_serve(&mut child);

    // The log grows: the next run proves it extends the saved checkpoint.
    write_events(&data, 4, 16);
    run_ok(&["checkpoint", "--data", path_str(&data)]);
    let (mut child, base) = start_serve(&data);
    let output = verify_url(&base);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with("ok: the log extends the saved checkpoint: its first 17 records"),
        "{stdout}"
    );
    stop_serve(&mut child);
    let saved = std::fs::read_to_string(&state).expect("state");
    let saved_json: serde_json::Value = serde_json::from_str(&saved).expect("json");
    let saved_size = saved_json["tree_size"].as_u64().expect("size");
    assert!(saved_size > 17, "{saved}");

    // The operator restores the older copy, appends other events and
    // signs them with the same key: a longer log, but not an extension.
    write_events(&backup, 30, 100);
    run_ok(&["checkpoint", "--data", path_str(&backup)]);
    let (mut child, base) = start_serve(&backup);
    let output = verify_url(&base);
    stop_serve(&mut child);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with("FAILED: the log does not extend the saved checkpoint"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "saved tree head:  size {saved_size}, root {}",
            saved_json["root_hash"].as_str().expect("root")
        )),
        "{stdout}"
    );
    assert!(stdout.contains("served tree head: size "), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(&state).expect("state"),
        saved,
        "a failed check leaves the state as it was"
    );

    // In Chinese, the proof's failure too: not the Merkle error's English.
    let (mut child, base) = start_serve(&backup);
    let output = salesledger(&[
        "--lang",
        "zh-CN",
        "verify",
        "--url",
        &base,
        "--token",
        &token,
        "--state",
        path_str(&state),
    ]);
    stop_serve(&mut child);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let line = stdout
        .lines()
        .find(|line| line.contains("日志没有延续所保存的检查点"))
        .unwrap_or_else(|| panic!("the failure in Chinese: {stdout}"));
    let reason = line.rsplit('：').next().unwrap_or_default();
    assert!(
        reason
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "the proof's failure is worded in Chinese: {line}"
    );
}
