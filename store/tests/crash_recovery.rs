//! Crash safety: a child process appends in a loop and reports every
//! acknowledged append; it is killed with SIGKILL at a random moment, ten
//! times over on the same data directory. After each kill the log must hold
//! every acknowledged event, positions stay gapless and the chain verifies.
//!
//! This file has its own `main` (`harness = false`): the same executable is
//! the parent test and, when `SALESLEDGER_CRASH_CHILD_DIR` is set, the child.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use salesledger_store::conformance::request;
use salesledger_store::{verify_log, ExpectedVersion, SledStore, Store};
use serde_json::json;
use uuid::Uuid;

const CHILD_ENV: &str = "SALESLEDGER_CRASH_CHILD_DIR";
const N_ROUNDS: usize = 10;
const N_APPENDERS: usize = 8;

fn main() {
    if let Ok(data_dir) = std::env::var(CHILD_ENV) {
        child_appends_until_killed(Path::new(&data_dir));
        return;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let name = "sigkill_during_appends_loses_no_acknowledged_event";
    if !filter.is_empty() && !filter.iter().any(|pattern| name.contains(pattern.as_str())) {
        println!("\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out\n");
        return;
    }
    println!("\nrunning 1 test");
    let started = Instant::now();
    sigkill_during_appends_loses_no_acknowledged_event();
    println!("test {name} ... ok");
    println!(
        "\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in {:.2}s\n",
        started.elapsed().as_secs_f64()
    );
}

/// One acknowledged append as the child reported it.
#[derive(Debug, Clone, Copy)]
struct Ack {
    first_position: u64,
    last_position: u64,
    last_event_id: Uuid,
}

fn child_appends_until_killed(data_dir: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let store = Arc::new(SledStore::open(data_dir).expect("child opens the store"));
        let stdout = Arc::new(Mutex::new(std::io::stdout()));
        let mut tasks = Vec::new();
        for appender_idx in 0..N_APPENDERS {
            let store = store.clone();
            let stdout = stdout.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0u64.. {
                    let payloads: Vec<_> =
                        (0..=(n % 3)).map(|event_idx| json!({"appender": appender_idx, "n": n, "event": event_idx})).collect();
                    let stream_id = format!("crash-{appender_idx}");
                    let outcome = store.append(request(&stream_id, ExpectedVersion::Any, &payloads)).await.expect("append");
                    let last_event_id = outcome.event_ids.last().copied().expect("one event at least");
                    let mut stdout = stdout.lock().expect("stdout");
                    writeln!(stdout, "ack {} {} {}", outcome.first_position, outcome.last_position, last_event_id)
                        .expect("write ack");
                    stdout.flush().expect("flush ack");
                }
            }));
        }
        for task in tasks {
            task.await.expect("appender");
        }
    });
}

fn parse_ack(line: &str) -> Option<Ack> {
    let mut parts = line.strip_prefix("ack ")?.split(' ');
    Some(Ack {
        first_position: parts.next()?.parse().ok()?,
        last_position: parts.next()?.parse().ok()?,
        last_event_id: parts.next()?.parse().ok()?,
    })
}

fn sigkill_during_appends_loses_no_acknowledged_event() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("current exe");
    let mut rng = rand::thread_rng();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut n_acked_total = 0usize;

    for round in 0..N_ROUNDS {
        let mut child = Command::new(&exe)
            .env(CHILD_ENV, data_dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn child");
        let child_stdout = child.stdout.take().expect("child stdout");
        let acks = Arc::new(Mutex::new(Vec::<Ack>::new()));
        let reader = {
            let acks = acks.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(child_stdout).lines() {
                    let Ok(line) = line else { break };
                    // A line cut by the kill is simply not an acknowledgement.
                    if let Some(ack) = parse_ack(&line) {
                        acks.lock().expect("acks").push(ack);
                    }
                }
            })
        };
        // Wait for the first acknowledgement so each round kills a writer
        // that is busy, then let it run a random while longer.
        let waiting_since = Instant::now();
        while acks.lock().expect("acks").is_empty() {
            assert!(
                waiting_since.elapsed() < Duration::from_secs(60),
                "child never acknowledged an append"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        let kill_after = Duration::from_millis(rng.gen_range(5..400));
        std::thread::sleep(kill_after);
        child.kill().expect("SIGKILL the child");
        child.wait().expect("reap child");
        reader.join().expect("reader thread");
        let acks = acks.lock().expect("acks").clone();
        n_acked_total += acks.len();

        runtime.block_on(async {
            let store = SledStore::open(data_dir.path()).expect("reopen after SIGKILL");
            let len = store.head().len;
            let report = verify_log(&store, |_, _| {}).await.expect("verify runs");
            assert_eq!(report.failure, None, "round {round}: chain verifies after the kill");
            assert_eq!(report.n_verified, len, "round {round}: positions gapless up to the head");
            for ack in &acks {
                assert!(
                    ack.last_position < len,
                    "round {round}: acknowledged position {} lost (log has {len})",
                    ack.last_position
                );
                let records = store
                    .read_all(ack.first_position, (ack.last_position - ack.first_position + 1) as usize)
                    .await
                    .expect("read acknowledged records");
                assert_eq!(records.last().map(|record| record.event_id), Some(ack.last_event_id), "round {round}");
            }
            eprintln!(
                "round {round}: killed after {kill_after:?}, {} appends acknowledged, log holds {len} records",
                acks.len()
            );
            store.close().await;
        });
    }
    assert!(n_acked_total > N_ROUNDS, "the child acknowledged appends");
}
