//! Rebuild equals live (issue 4, on the keyed tables of issue 14): the
//! tables `serve` answers from, following the log while the fixture
//! history is written, are byte for byte (the canonical dump of every
//! table projector) the tables rebuilt from position 0 in a fresh
//! directory afterwards and the tables a restarted runner resumes from its
//! checkpoints; and after a `serve` process is SIGKILLed in the middle of
//! its catch-up and started again, its tables equal tables rebuilt from 0.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use salesledger::views::table_runner_builder;
use salesledger_commands::CommandService;
use salesledger_fixtures::stores::{generate_stores, StoreScale};
use salesledger_fixtures::FixtureConfig;
use salesledger_replay::readmodel::TableRunner;
use salesledger_store::{SledStore, Store};

const CATCH_UP: Duration = Duration::from_secs(600);

/// Every table projector's canonical dump (table, key and value bytes in
/// key order), by name.
fn models(runner: &TableRunner) -> BTreeMap<&'static str, String> {
    runner
        .status()
        .into_iter()
        .map(|status| (status.name, runner.dump(status.name).expect("a dump")))
        .collect()
}

async fn start(store: &Arc<dyn Store>, directory: &Path) -> TableRunner {
    table_runner_builder(store.clone(), directory)
        .start()
        .await
        .expect("the runner starts")
}

/// The history to check: the fixture year by default, with a chain of 40
/// stores over its last 120 days (the chain-store views fold real POS
/// batches; the full 327-store year is `serve --demo`'s);
/// `SALESLEDGER_FIXTURE_DAYS` shortens it for a quick local run.
fn fixture() -> FixtureConfig {
    let mut config = FixtureConfig::year(42);
    config.stores = StoreScale {
        stores: 40,
        days: 120,
        ..StoreScale::year()
    };
    if let Some(days) = std::env::var("SALESLEDGER_FIXTURE_DAYS")
        .ok()
        .and_then(|raw| raw.parse().ok())
    {
        config.days = days;
    }
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_rebuilt_from_zero_equal_the_live_views_byte_for_byte() {
    let directory = tempfile::tempdir().expect("a temp dir");
    let store = SledStore::open(&directory.path().join("log")).expect("the log");
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    let service = CommandService::new(shared.clone());

    // Live: the runner follows the log while the history is written.
    let live = start(&shared, &directory.path().join("live")).await;
    let summary = salesledger_fixtures::generate(&service, &fixture(), &|_| {})
        .await
        .expect("the fixture history");
    assert!(summary.last_day_closed.is_some(), "days were closed");
    let stores = generate_stores(&service, &fixture(), &|_| {})
        .await
        .expect("the chain stores' history");
    assert!(stores.tickets > 10_000, "{stores:?}");
    live.wait_caught_up(CATCH_UP).await.expect("live caught up");
    let live_models = models(&live);
    assert!(
        live_models.contains_key("responsibility"),
        "{:?}",
        live_models.keys()
    );
    for retail in ["retail_stores", "retail_members"] {
        let model = live_models.get(retail).map_or(0, String::len);
        assert!(
            model > 10_000,
            "{retail} folded the POS history ({model} bytes)"
        );
    }
    let head = shared.head().len;
    for status in live.status() {
        assert_eq!(status.committed.next_position, head, "{}", status.name);
        assert!(status.failed.is_none(), "{status:?}");
    }
    live.shutdown().await.expect("live stops");

    // Rebuilt: a fresh directory, every projector from position 0.
    let rebuilt = start(&shared, &directory.path().join("rebuilt")).await;
    rebuilt.wait_caught_up(CATCH_UP).await.expect("rebuilt");
    for status in rebuilt.status() {
        assert_eq!(status.started_from, 0, "{}", status.name);
    }
    let rebuilt_models = models(&rebuilt);
    rebuilt.shutdown().await.expect("rebuilt stops");
    assert_eq!(
        live_models.keys().collect::<Vec<_>>(),
        rebuilt_models.keys().collect::<Vec<_>>()
    );
    for (name, live_json) in &live_models {
        assert!(
            live_json == &rebuilt_models[name],
            "view {name} differs between live and rebuilt ({} vs {} bytes)",
            live_json.len(),
            rebuilt_models[name].len()
        );
    }

    // Restarted: the live directory resumes from its checkpoints and
    // answers the same bytes.
    let resumed = start(&shared, &directory.path().join("live")).await;
    resumed.wait_caught_up(CATCH_UP).await.expect("resumed");
    for status in resumed.status() {
        assert_eq!(status.started_from, head, "{} resumed", status.name);
    }
    assert_eq!(models(&resumed), live_models);
    resumed.shutdown().await.expect("resumed stops");
    drop(service);
    drop(shared);
    store.close().await;
    drop(store);

    // Killed: `serve` catching up from position 0 is SIGKILLed part way
    // (after its first persisted checkpoint), started again, and stopped.
    let data = directory.path().join("log");
    let served_tables = data.join(salesledger::views::TABLES_DIR);
    let mut first = serve(&data);
    let first_base = address_of(&mut first);
    let client = crate::util::http_client();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let readiness = client
        .get(format!("{first_base}/readyz"))
        .send()
        .await
        .expect("readyz")
        .status();
    assert_eq!(
        readiness.as_u16(),
        503,
        "serve must still be catching up when it is killed"
    );
    first.kill().expect("SIGKILL serve");
    first.wait().expect("reaped");
    let mut second = serve(&data);
    let base = address_of(&mut second);
    let deadline = std::time::Instant::now() + CATCH_UP;
    loop {
        let ready = client.get(format!("{base}/readyz")).send().await;
        if ready.is_ok_and(|answer| answer.status().is_success()) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status = Command::new("kill")
        .args(["-TERM", &second.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    assert!(second.wait().expect("serve exits").success());

    // What `serve` answers from: its tables resume from where the killed
    // process committed, and end up equal, byte for byte (the canonical
    // dump), to tables rebuilt from 0 in a fresh directory.
    let store = SledStore::open(&data).expect("the log again");
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    let after_kill = table_runner_builder(shared.clone(), &served_tables)
        .start()
        .await
        .expect("the served tables open");
    after_kill
        .wait_caught_up(CATCH_UP)
        .await
        .expect("caught up");
    let resumed_from: Vec<u64> = after_kill
        .status()
        .iter()
        .map(|status| status.started_from)
        .collect();
    let appended_by_serve: Vec<String> = shared
        .read_all(head, 100)
        .await
        .expect("read")
        .into_iter()
        .map(|record| format!("{} {} {}", record.position, record.event_type, record.actor))
        .collect();
    assert!(
        resumed_from.iter().all(|position| *position == head),
        "the restarted serve finished the catch-up: {resumed_from:?}, head {head}, appended by serve: {appended_by_serve:?}"
    );
    let rebuilt = table_runner_builder(shared.clone(), &directory.path().join("rebuilt-tables"))
        .start()
        .await
        .expect("rebuilt tables");
    rebuilt.wait_caught_up(CATCH_UP).await.expect("rebuilt");
    for status in after_kill.status() {
        assert!(status.failed.is_none(), "{status:?}");
        let served = after_kill.dump(status.name).expect("a dump");
        assert!(!served.is_empty(), "{} has rows", status.name);
        assert!(
            served == rebuilt.dump(status.name).expect("a dump"),
            "table view {} after a SIGKILL mid catch-up differs from a rebuild",
            status.name
        );
    }
    after_kill.shutdown().await.expect("stops");
    rebuilt.shutdown().await.expect("stops");
    drop(shared);
    store.close().await;
}

/// `salesledger serve` over `data`, with no scheduler or checkpointer
/// appending anything (so the log is the one the views were built from).
fn serve(data: &Path) -> Child {
    crate::util::salesledger_command()
        .arg("serve")
        .arg("--data")
        .arg(data)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--day-close-every-secs",
            "0",
            "--checkpoint-every-records",
            "0",
        ])
        .env("SALESLEDGER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn serve")
}

/// The address `serve` prints (its stdout is drained in the background).
fn address_of(child: &mut Child) -> String {
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut address = None;
    for line in lines.by_ref() {
        let line = line.expect("a line");
        if let Some(rest) = line.strip_prefix("salesledger gateway listening on ") {
            address = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    address.expect("serve prints its address")
}
