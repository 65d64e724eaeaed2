//! `salesledger verify --data DIR`: exit 0 on a healthy log, 1 naming the
//! first bad position, 2 when there is no log to verify.

use salesledger_store::conformance::request;
use salesledger_store::sled_store::open_sled;
use salesledger_store::{ExpectedVersion, SledStore, Store};
use serde_json::json;

use crate::util::salesledger;

/// Appends `n_events` small events over three streams to a fresh sled log
/// in `data_dir` (also used by the CLI language tests).
pub(crate) fn write_log(data_dir: &std::path::Path, n_events: u64) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = SledStore::open(data_dir).expect("open");
        for n in 0..n_events {
            store
                .append(request(
                    &format!("customer-{}", n % 3),
                    ExpectedVersion::Any,
                    &[json!({"n": n})],
                ))
                .await
                .expect("append");
        }
        store.close().await;
    });
}

/// Flips one bit inside the stored `prev_hash` of the record at `position`
/// in the sled log of `data_dir`, behind the store's back.
pub(crate) fn tamper_log_record(data_dir: &std::path::Path, position: u64) {
    let db = open_sled(sled::Config::new().path(data_dir.join("log"))).expect("raw sled");
    let key = SledStore::raw_log_key(position);
    let mut value = db.get(key).expect("get").expect("present").to_vec();
    let inside_prev_hash = value.len() - 40;
    value[inside_prev_hash] ^= 0x80;
    db.insert(key, value).expect("insert");
    db.flush().expect("flush");
}

#[test]
fn verify_passes_on_a_healthy_log() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    write_log(data_dir.path(), 12);
    let output = salesledger(&[
        "verify",
        "--data",
        data_dir.path().to_str().expect("utf-8 path"),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with("ok: 12 records verify; head hash "),
        "{stdout}"
    );
}

#[test]
fn verify_names_the_first_tampered_position_and_exits_1() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    write_log(data_dir.path(), 12);
    tamper_log_record(data_dir.path(), 5);
    let output = salesledger(&[
        "verify",
        "--data",
        data_dir.path().to_str().expect("utf-8 path"),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.starts_with("FAILED at position 5: "), "{stdout}");

    let output = salesledger(&[
        "verify",
        "--json",
        "--data",
        data_dir.path().to_str().expect("utf-8 path"),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json report");
    assert_eq!(report["failure"]["position"], 5);
    assert_eq!(report["n_verified"], 5);
}

#[test]
fn verify_without_a_log_is_an_error_not_a_pass() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let output = salesledger(&[
        "verify",
        "--data",
        data_dir.path().to_str().expect("utf-8 path"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("holds no salesledger log"), "{stderr}");
    assert!(
        !data_dir.path().join("log").exists(),
        "verify must not create a log"
    );
}
