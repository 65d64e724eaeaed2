//! `salesledger serve` as a process: it prints the admin token once on a
//! fresh data directory, serves on the address it prints, and on SIGTERM
//! finishes the requests in flight, closes the log and exits 0, with every
//! acknowledged event in a log that verifies.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::salesledger;

/// With small caches (`--log-cache-mb 16`, and 1 MiB for the read models'
/// row and page caches) the gateway starts, takes a command, and after
/// SIGTERM the event is in a log that verifies.
#[test]
fn small_caches_serve_and_keep_what_was_acknowledged() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let data = data_dir.path().to_str().expect("utf-8 path").to_owned();
    let mut child = crate::util::salesledger_command()
        .args(["serve", "--data", &data, "--listen", "127.0.0.1:0"])
        .args(["--log-cache-mb", "16"])
        .args(["--view-cache-mb", "1", "--view-page-cache-mb", "1"])
        .env("SALESLEDGER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let (token, base) = crate::util::serve_banner(&mut child);
    let (token, base) = (token.expect("admin token"), base.expect("address"));
    let status = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            crate::util::http_client()
                .post(format!("{base}/v1/reps"))
                .bearer_auth(&token)
                .json(&serde_json::json!({
                    "display_name": "销售 甲", "region": "华东",
                    "capability_tags": ["iso13485", "plc-retrofit", "robot-cell"]
                }))
                .send()
                .await
                .expect("register a rep")
                .status()
        });
    assert_eq!(status.as_u16(), 201);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(killed.success());
    assert!(child.wait().expect("wait").success(), "serve exits 0");
    let verified = salesledger(&["verify", "--data", &data]);
    assert!(verified.status.success(), "{verified:?}");
}

/// A cache size outside its range (`--log-cache-mb` 8..=65536,
/// `--view-cache-mb` 1..=4096, `--view-page-cache-mb` 1..=65536) is
/// refused before anything opens, naming the option.
#[test]
fn a_cache_size_out_of_range_is_refused() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let data = data_dir.path().to_str().expect("utf-8 path");
    let refused = [
        ("--log-cache-mb", ["0", "7", "65537", "lots"]),
        ("--view-cache-mb", ["0", "-1", "4097", "lots"]),
        ("--view-page-cache-mb", ["0", "-1", "65537", "lots"]),
    ];
    for (option, sizes) in refused {
        for size in sizes {
            let output = crate::util::in_english(crate::util::salesledger_command())
                .args(["serve", "--data", data])
                .arg(format!("{option}={size}"))
                .output()
                .expect("run serve");
            assert_eq!(output.status.code(), Some(2), "{option} {size}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains(option), "{stderr}");
        }
    }
    assert!(
        !data_dir.path().join("log").exists(),
        "a refused start opens no log"
    );
}

/// `bench store --log-cache-mb` sizes the embedded log's cache: with a
/// PostgreSQL log it is refused, before anything connects, rather than
/// ignored.
#[test]
fn bench_store_refuses_a_log_cache_for_postgres() {
    let output = crate::util::in_english(crate::util::salesledger_command())
        .args([
            "bench",
            "store",
            "--store",
            "postgres://nobody@127.0.0.1:1/none",
        ])
        .args(["--log-cache-mb", "64"])
        .output()
        .expect("run bench store");
    assert!(!output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--log-cache-mb sizes the embedded sled log's cache"),
        "{stderr}"
    );
}

/// `bench projections --years K` builds the log one way and `--events N`
/// the other: both at once, or no year at all, are refused before any log
/// is built.
#[test]
fn bench_projections_takes_years_or_events_not_both() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let log = data_dir.path().join("log");
    for (arguments, named) in [
        (&["--years", "2", "--events", "5000"][..], "--events"),
        (&["--years", "0"][..], "--years"),
        (&["--years", "51"][..], "--years"),
    ] {
        let output = crate::util::in_english(crate::util::salesledger_command())
            .args(["bench", "projections", "--data"])
            .arg(&log)
            .args(arguments)
            .output()
            .expect("run bench projections");
        assert_eq!(output.status.code(), Some(2), "{arguments:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{arguments:?}: {stderr}");
        assert!(!log.exists(), "{arguments:?}: a refused run builds no log");
    }
}

#[test]
fn sigterm_finishes_in_flight_commands_and_loses_no_acknowledged_event() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let data = data_dir.path().to_str().expect("utf-8 path").to_owned();
    let mut child = crate::util::salesledger_command()
        .args(["serve", "--data", &data, "--listen", "127.0.0.1:0"])
        .env("SALESLEDGER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let (token, address) = crate::util::serve_banner(&mut child);
    let token = token.expect("the first start prints the admin token");
    let base = address.expect("the gateway prints its address");
    assert!(std::fs::read_to_string(data_dir.path().join("tokens.json"))
        .expect("token file")
        .contains("token_sha256"));
    assert!(
        !std::fs::read_to_string(data_dir.path().join("tokens.json"))
            .expect("token file")
            .contains(&token)
    );

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let acknowledged = runtime.block_on(async {
        let client = crate::util::http_client();
        let health = client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("healthz");
        assert!(health.status().is_success());
        let mut tasks = Vec::new();
        for rep_idx in 0..40 {
            let client = client.clone();
            let url = format!("{base}/v1/reps");
            let token = token.clone();
            tasks.push(tokio::spawn(async move {
                let body = serde_json::json!({
                    "display_name": format!("销售 {rep_idx}"), "region": "华东",
                    "capability_tags": ["iso13485", "plc-retrofit", "robot-cell"]
                });
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .ok()
                    .map(|response| response.status())
            }));
        }
        // Ask the server to stop while those requests are in flight.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        let mut acknowledged = 0;
        for task in tasks {
            if task.await.expect("task") == Some(reqwest::StatusCode::CREATED) {
                acknowledged += 1;
            }
        }
        acknowledged
    });
    let exit = child.wait().expect("wait for serve");
    assert!(exit.success(), "serve exits 0 after SIGTERM: {exit:?}");

    let output = salesledger(&["verify", "--json", "--data", &data]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let n_records = report["n_verified"].as_u64().expect("count");
    eprintln!("{acknowledged} of 40 registrations acknowledged before the shutdown; the log holds {n_records}");
    assert!(
        n_records >= acknowledged,
        "{acknowledged} registrations were acknowledged but the log holds {n_records} records"
    );
}
