//! CLI output into a pipe whose reader has gone (`salesledger verify ... |
//! head -1`): the command stops quietly with status 141 (128 + SIGPIPE),
//! no panic and no error message (`salesledger::output`).

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use salesledger_store::conformance::request;
use salesledger_store::{ExpectedVersion, SledStore, Store};
use serde_json::json;

fn write_log(data_dir: &std::path::Path) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = SledStore::open(data_dir).expect("open");
        for n in 0..5u64 {
            store
                .append(request(
                    "customer-1",
                    ExpectedVersion::Any,
                    &[json!({"n": n})],
                ))
                .await
                .expect("append");
        }
        store.close().await;
    });
}

fn assert_quiet_sigpipe_exit(output: &std::process::Output, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(!stderr.contains("Broken pipe"), "{what}: {stderr}");
    assert_eq!(output.status.code(), Some(141), "{what}: {stderr}");
}

#[test]
fn verify_into_a_closed_pipe_exits_quietly() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    write_log(data_dir.path());
    let mut child = crate::util::salesledger_command()
        .args(["verify", "--data"])
        .arg(data_dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The reader goes away before verify prints its first line.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    assert_quiet_sigpipe_exit(&output, "verify");
}

#[test]
fn openapi_into_a_reader_that_stops_after_one_line_exits_quietly() {
    let mut child = crate::util::salesledger_command()
        .arg("openapi")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut first = String::new();
    reader.read_line(&mut first).expect("one line");
    assert_eq!(first.trim(), "{");
    // Like `head -1`: close after one line (the document is far larger
    // than a pipe's buffer, so the writer is still writing).
    drop(reader);
    let output = child.wait_with_output().expect("wait");
    assert_quiet_sigpipe_exit(&output, "openapi");
}
