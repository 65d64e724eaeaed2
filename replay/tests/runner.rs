//! The projection runner over a real `SledStore` in a temporary directory,
//! with the responsibility-log projector and a small counting projector.
//!
//! The reference for every comparison is `fold_all` over the whole log, read
//! back from the store: whatever the runner did (catch up, follow live,
//! resume, rebuild), its model must serialise to the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use salesledger_domain::Event;
use salesledger_projections::responsibility::ResponsibilityView;
use salesledger_projections::{fold_all, Projector, ResponsibilityLog};
use salesledger_replay::readmodel::model_runner::{ProjectionRunner, RunnerError, RunnerOptions};
use salesledger_store::{
    AppendMetadata, AppendOutcome, AppendRequest, ExpectedVersion, NewEvent, RecordedEvent,
    SledStore, Store,
};
use serde::Deserialize;
use tempfile::TempDir;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(20);

/// Counts records and event types: a second projector whose checkpoint
/// must not move when the responsibility log is rebuilt.
struct EventCounter;

impl Projector for EventCounter {
    const NAME: &'static str = "event-counter";
    const VERSION: u32 = 1;
    type Model = BTreeMap<String, u64>;

    fn apply(model: &mut Self::Model, _record: &RecordedEvent, event: &Event) {
        *model.entry(event.event_type().to_owned()).or_default() += 1;
    }
}

/// The responsibility log with its version bumped, as after a code change.
struct ResponsibilityLogV2;

impl Projector for ResponsibilityLogV2 {
    const NAME: &'static str = ResponsibilityLog::NAME;
    const VERSION: u32 = ResponsibilityLog::VERSION + 1;
    type Model = ResponsibilityView;

    fn apply(model: &mut Self::Model, record: &RecordedEvent, event: &Event) {
        ResponsibilityLog::apply(model, record, event);
    }
}

#[derive(Deserialize)]
struct FixtureRecord {
    stream_id: String,
    event_type: String,
    schema_version: u32,
    actor: String,
    payload: serde_json::Value,
}

/// The responsibility golden input, as appends.
fn fixture_appends() -> Vec<AppendRequest> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../projections/tests/fixtures/responsibility/input.jsonl");
    let text = std::fs::read_to_string(path).expect("fixture");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let record: FixtureRecord = serde_json::from_str(line).expect("fixture record");
            AppendRequest {
                stream_id: record.stream_id,
                expected_version: ExpectedVersion::Any,
                events: vec![NewEvent::new(
                    record.event_type,
                    record.schema_version,
                    &record.payload,
                )],
                metadata: AppendMetadata {
                    actor: record.actor,
                    command_id: Uuid::now_v7(),
                    correlation_id: Uuid::now_v7(),
                    causation_id: Uuid::now_v7(),
                },
                idempotency: None,
            }
        })
        .collect()
}

struct Setup {
    _temp: TempDir,
    store: Arc<dyn Store>,
    projections_dir: PathBuf,
}

fn setup() -> Setup {
    let temp = tempfile::tempdir().expect("tempdir");
    let store = SledStore::open(temp.path()).expect("open store");
    Setup {
        projections_dir: temp.path().join("projections"),
        store: Arc::new(store),
        _temp: temp,
    }
}

async fn append(store: &Arc<dyn Store>, requests: Vec<AppendRequest>) -> Vec<AppendOutcome> {
    let mut outcomes = Vec::new();
    for request in requests {
        outcomes.push(store.append(request).await.expect("append"));
    }
    outcomes
}

async fn whole_log(store: &Arc<dyn Store>) -> Vec<RecordedEvent> {
    let mut records = Vec::new();
    loop {
        let page = store
            .read_all(records.len() as u64, 1024)
            .await
            .expect("read");
        if page.is_empty() {
            return records;
        }
        records.extend(page);
    }
}

/// The reference: a fresh fold of the whole log, as JSON bytes.
async fn reference_json<P: Projector>(store: &Arc<dyn Store>) -> Vec<u8> {
    let model = fold_all::<P>(&whole_log(store).await).expect("log folds");
    serde_json::to_vec(&model).expect("serialise")
}

/// sled's background threads may hold a database's file lock for a moment
/// after its last handle is dropped (or its process killed).
fn retry_open<T, E: std::fmt::Debug>(mut open: impl FnMut() -> Result<T, E>) -> Result<T, E> {
    for _ in 0..100 {
        match open() {
            Ok(opened) => return Ok(opened),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    open()
}

fn options() -> RunnerOptions {
    RunnerOptions {
        persist_every_events: 5,
        persist_interval: Duration::from_millis(50),
        ..RunnerOptions::default()
    }
}

async fn start(setup: &Setup) -> ProjectionRunner {
    ProjectionRunner::builder(setup.store.clone(), &setup.projections_dir)
        .with::<ResponsibilityLog>()
        .with::<EventCounter>()
        .options(options())
        .start()
        .await
        .expect("runner starts")
}

fn status_of(
    runner: &ProjectionRunner,
    name: &str,
) -> salesledger_replay::readmodel::model_runner::ProjectorStatus {
    runner
        .status()
        .into_iter()
        .find(|status| status.name == name)
        .expect("projector runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_from_an_existing_log() {
    let setup = setup();
    let n_events = fixture_appends().len() as u64;
    append(&setup.store, fixture_appends()).await;

    let runner = start(&setup).await;
    runner.wait_caught_up(WAIT).await.expect("catches up");

    let (model, checkpoint) = runner.read::<ResponsibilityLog>().expect("read");
    assert_eq!(checkpoint.next_position, n_events);
    assert_eq!(checkpoint.last_applied(), Some(n_events - 1));
    assert_eq!(
        serde_json::to_vec(&model).expect("serialise"),
        reference_json::<ResponsibilityLog>(&setup.store).await
    );
    assert!(!model.leads.is_empty() && !model.customers.is_empty());
    let ((n_leads, n_customer_entries), read_at) = runner
        .read_with::<ResponsibilityLog, _>(|view| {
            let customer_entries = view.customers.values().map(|log| log.entries.len()).sum();
            (view.leads.len(), customer_entries)
        })
        .expect("query");
    assert_eq!(read_at, checkpoint);
    assert_eq!((n_leads, n_customer_entries), (2, 11));
    let (counts, _) = runner.read::<EventCounter>().expect("read");
    // One record of the fixture has an event type unknown to this build.
    assert_eq!(counts.values().sum::<u64>(), n_events - 1);
    runner.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_following_while_appends_run_gives_read_your_writes() {
    let setup = setup();
    let runner = Arc::new(start(&setup).await);

    let writer = {
        let store = setup.store.clone();
        let runner = runner.clone();
        tokio::spawn(async move {
            for round in 0..4 {
                for request in fixture_appends() {
                    let outcome = store.append(request).await.expect("append");
                    // Read-your-writes: once wait_for returns, the view
                    // reflects this append.
                    let checkpoint = runner
                        .wait_for(ResponsibilityLog::NAME, outcome.last_position, WAIT)
                        .await
                        .expect("view catches up with the append");
                    assert!(checkpoint.covers(outcome.last_position), "round {round}");
                    let (_, read_at) = runner.read::<ResponsibilityLog>().expect("read");
                    assert!(read_at.covers(outcome.last_position));
                }
            }
        })
    };
    // Meanwhile, reads always report a position no further than the log.
    for _ in 0..50 {
        let (_, checkpoint) = runner.read::<ResponsibilityLog>().expect("read");
        assert!(checkpoint.next_position <= setup.store.head().len);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    writer.await.expect("writer");

    runner.wait_caught_up(WAIT).await.expect("caught up");
    let (json, checkpoint) = runner
        .read_json(ResponsibilityLog::NAME)
        .expect("read json");
    assert_eq!(checkpoint.next_position, setup.store.head().len);
    assert_eq!(
        json,
        reference_json::<ResponsibilityLog>(&setup.store).await
    );
    let Ok(runner) = Arc::try_unwrap(runner) else {
        panic!("runner still shared");
    };
    runner.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_resumes_from_the_checkpoint_with_an_identical_model() {
    let setup = setup();
    let mut requests = fixture_appends();
    let second_half = requests.split_off(requests.len() / 2);
    let n_first = requests.len() as u64;
    append(&setup.store, requests).await;

    let runner = start(&setup).await;
    runner.wait_caught_up(WAIT).await.expect("caught up");
    let (before, _) = runner.read_json(ResponsibilityLog::NAME).expect("read");
    runner.shutdown().await.expect("shutdown");

    // On disk: model, checkpoint and version of each projector in its tree.
    {
        let db = retry_open(|| sled::open(&setup.projections_dir)).expect("open projections");
        let tree = db.open_tree("projection/responsibility").expect("tree");
        let checkpoint = tree.get("checkpoint").expect("get").expect("checkpoint");
        assert_eq!(checkpoint.as_ref(), n_first.to_be_bytes());
        let version = tree.get("version").expect("get").expect("version");
        assert_eq!(version.as_ref(), ResponsibilityLog::VERSION.to_be_bytes());
        let model = tree.get("model").expect("get").expect("model");
        assert_eq!(model.as_ref(), before.as_slice());
    }

    append(&setup.store, second_half).await;
    let runner = start(&setup).await;
    for name in [ResponsibilityLog::NAME, EventCounter::NAME] {
        let status = status_of(&runner, name);
        assert_eq!(status.started_from, n_first, "{name} resumes");
        assert_eq!(status.rebuilt_because, None, "{name} is not rebuilt");
    }
    runner.wait_caught_up(WAIT).await.expect("caught up");
    let (after, checkpoint) = runner.read_json(ResponsibilityLog::NAME).expect("read");
    assert_eq!(checkpoint.next_position, setup.store.head().len);
    assert_eq!(
        after,
        reference_json::<ResponsibilityLog>(&setup.store).await
    );
    let (counts, _) = runner.read_json(EventCounter::NAME).expect("read");
    assert_eq!(counts, reference_json::<EventCounter>(&setup.store).await);
    runner.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bumping_a_version_rebuilds_that_projector_alone() {
    let setup = setup();
    append(&setup.store, fixture_appends()).await;
    let n_events = setup.store.head().len;
    let runner = start(&setup).await;
    runner.wait_caught_up(WAIT).await.expect("caught up");
    let (before, _) = runner.read_json(ResponsibilityLog::NAME).expect("read");
    runner.shutdown().await.expect("shutdown");

    let runner = ProjectionRunner::builder(setup.store.clone(), &setup.projections_dir)
        .with::<ResponsibilityLogV2>()
        .with::<EventCounter>()
        .options(options())
        .start()
        .await
        .expect("runner starts");
    let rebuilt = status_of(&runner, ResponsibilityLog::NAME);
    assert_eq!(rebuilt.version, ResponsibilityLog::VERSION + 1);
    assert_eq!(rebuilt.started_from, 0);
    let reason = rebuilt.rebuilt_because.expect("rebuilt");
    assert!(reason.contains("version"), "{reason}");
    let untouched = status_of(&runner, EventCounter::NAME);
    assert_eq!(untouched.started_from, n_events);
    assert_eq!(untouched.rebuilt_because, None);
    // The untouched projector serves at once, from its checkpoint.
    let (_, counter_at) = runner.read::<EventCounter>().expect("read");
    assert_eq!(counter_at.next_position, n_events);

    runner.wait_caught_up(WAIT).await.expect("caught up");
    let (after, _) = runner.read_json(ResponsibilityLog::NAME).expect("read");
    assert_eq!(after, before, "same fold, same bytes");
    runner.shutdown().await.expect("shutdown");

    // And the bumped version is what is stored now: no rebuild next time.
    let runner = ProjectionRunner::builder(setup.store.clone(), &setup.projections_dir)
        .with::<ResponsibilityLogV2>()
        .options(options())
        .start()
        .await
        .expect("runner starts");
    let status = status_of(&runner, ResponsibilityLog::NAME);
    assert_eq!(status.started_from, n_events);
    assert_eq!(status.rebuilt_because, None);
    runner.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_returns_once_caught_up_and_times_out_otherwise() {
    let setup = setup();
    let runner = start(&setup).await;

    // Nothing is written yet: position 0 is never reached.
    let started = tokio::time::Instant::now();
    let error = runner
        .wait_for(ResponsibilityLog::NAME, 0, Duration::from_millis(150))
        .await
        .expect_err("times out");
    assert!(started.elapsed() >= Duration::from_millis(150));
    match error {
        RunnerError::WaitTimedOut {
            projector,
            position,
            reached,
            ..
        } => {
            assert_eq!(projector, ResponsibilityLog::NAME);
            assert_eq!(position, 0);
            assert_eq!(reached.last_applied(), None);
        }
        other => panic!("expected WaitTimedOut, got {other:?}"),
    }
    assert!(matches!(
        runner.wait_for("no-such-view", 0, WAIT).await,
        Err(RunnerError::UnknownProjector(name)) if name == "no-such-view"
    ));

    let outcomes = append(&setup.store, fixture_appends()).await;
    let last = outcomes.last().expect("appended").last_position;
    let checkpoint = runner
        .wait_for(ResponsibilityLog::NAME, last, WAIT)
        .await
        .expect("caught up");
    assert_eq!(checkpoint.last_applied(), Some(last));
    // Waiting again for a position already applied returns at once.
    let checkpoint = runner
        .wait_for(EventCounter::NAME, 0, Duration::from_millis(1))
        .await
        .expect("already there");
    assert!(checkpoint.covers(0));
    // One past the end times out, naming where the view is.
    match runner
        .wait_for(ResponsibilityLog::NAME, last + 1, Duration::from_millis(50))
        .await
    {
        Err(RunnerError::WaitTimedOut { reached, .. }) => {
            assert_eq!(reached.last_applied(), Some(last));
        }
        other => panic!("expected WaitTimedOut, got {other:?}"),
    }
    runner.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_projection_directory_and_rebuilding_is_byte_identical() {
    let setup = setup();
    // Built live, in three steps with restarts in between.
    let requests = fixture_appends();
    let mut chunks = requests.chunks(8);
    let mut live = None;
    for chunk in &mut chunks {
        append(&setup.store, chunk.to_vec()).await;
        let runner = start(&setup).await;
        runner.wait_caught_up(WAIT).await.expect("caught up");
        live = Some(runner.read_json(ResponsibilityLog::NAME).expect("read"));
        runner.shutdown().await.expect("shutdown");
    }
    let (live, live_at) = live.expect("at least one chunk");

    std::fs::remove_dir_all(&setup.projections_dir).expect("delete projections");
    let runner = start(&setup).await;
    let status = status_of(&runner, ResponsibilityLog::NAME);
    assert_eq!(status.started_from, 0);
    assert!(status.rebuilt_because.is_some());
    runner.wait_caught_up(WAIT).await.expect("caught up");
    let (rebuilt, rebuilt_at) = runner.read_json(ResponsibilityLog::NAME).expect("read");
    assert_eq!(rebuilt_at, live_at);
    assert_eq!(rebuilt, live, "rebuild equals live, byte for byte");
    assert_eq!(
        rebuilt,
        reference_json::<ResponsibilityLog>(&setup.store).await
    );
    runner.shutdown().await.expect("shutdown");
}

/// Set in the child process of the kill test: the data directory to run
/// the runner on.
const CHILD_DIR_VAR: &str = "SALESLEDGER_RUNNER_KILL_CHILD_DIR";

/// The responsibility log, slowed down so that a catch-up lasts long enough
/// to be killed in the middle. Same name and version: its stored model is
/// the real projector's.
struct ThrottledResponsibilityLog;

impl Projector for ThrottledResponsibilityLog {
    const NAME: &'static str = ResponsibilityLog::NAME;
    const VERSION: u32 = ResponsibilityLog::VERSION;
    type Model = ResponsibilityView;

    fn apply(model: &mut Self::Model, record: &RecordedEvent, event: &Event) {
        std::thread::sleep(Duration::from_micros(400));
        ResponsibilityLog::apply(model, record, event);
    }
}

/// Not a test on its own: the child process of
/// `killed_mid_catch_up_resumes_from_the_checkpoint_with_identical_results`.
/// Without the environment variable it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_process_of_the_kill_test() {
    let Some(dir) = std::env::var_os(CHILD_DIR_VAR) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let store: Arc<dyn Store> = Arc::new(retry_open(|| SledStore::open(&dir)).expect("open store"));
    let runner = ProjectionRunner::builder(store, dir.join("projections"))
        .with::<ThrottledResponsibilityLog>()
        .options(RunnerOptions {
            persist_every_events: 100,
            persist_interval: Duration::from_millis(20),
            ..RunnerOptions::default()
        })
        .start()
        .await
        .expect("runner starts");
    loop {
        let checkpoint = runner
            .checkpoint(ResponsibilityLog::NAME)
            .expect("checkpoint");
        println!("checkpoint {}", checkpoint.next_position);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_catch_up_resumes_from_the_checkpoint_with_identical_results() {
    use std::io::BufRead;

    let temp = tempfile::tempdir().expect("tempdir");
    let n_rounds = 150;
    {
        let store = SledStore::open(temp.path()).expect("open store");
        let shared: Arc<dyn Store> = Arc::new(store.clone());
        for _ in 0..n_rounds {
            let mut appends = tokio::task::JoinSet::new();
            for request in fixture_appends() {
                let store = shared.clone();
                appends.spawn(async move { store.append(request).await.expect("append") });
            }
            while let Some(joined) = appends.join_next().await {
                joined.expect("append task");
            }
        }
        drop(shared);
        store.close().await;
    }
    let n_events = (fixture_appends().len() * n_rounds) as u64;
    let kill_after = n_events / 4;

    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "child_process_of_the_kill_test", "--nocapture"])
        .env(CHILD_DIR_VAR, temp.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let mut seen = 0;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.expect("child output");
        if let Some(position) = line.strip_prefix("checkpoint ") {
            seen = position.parse().expect("a position");
            if seen >= kill_after {
                break;
            }
        }
    }
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");
    assert!(
        seen >= kill_after && seen < n_events,
        "killed mid catch-up (at {seen} of {n_events})"
    );

    let store: Arc<dyn Store> =
        Arc::new(retry_open(|| SledStore::open(temp.path())).expect("reopen store"));
    let runner = ProjectionRunner::builder(store.clone(), temp.path().join("projections"))
        .with::<ResponsibilityLog>()
        .start()
        .await
        .expect("runner starts");
    let status = status_of(&runner, ResponsibilityLog::NAME);
    assert_eq!(
        status.rebuilt_because, None,
        "the stored model is consistent"
    );
    assert!(
        status.started_from > 0 && status.started_from < n_events,
        "resumed from the checkpoint, {} of {n_events}",
        status.started_from
    );
    runner.wait_caught_up(WAIT).await.expect("caught up");
    let (json, checkpoint) = runner.read_json(ResponsibilityLog::NAME).expect("read");
    assert_eq!(checkpoint.next_position, n_events);
    assert_eq!(json, reference_json::<ResponsibilityLog>(&store).await);
    runner.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_that_does_not_decode_stops_the_projector_visibly() {
    let setup = setup();
    let outcomes = append(&setup.store, fixture_appends()).await;
    let last_good = outcomes.last().expect("appended").last_position;
    let mut broken = fixture_appends().remove(0);
    broken.events = vec![NewEvent::new(
        "CustomerClaimed",
        1,
        &serde_json::json!({ "customer_id": "not a uuid" }),
    )];
    let broken_at = append(&setup.store, vec![broken]).await[0].last_position;

    let runner = start(&setup).await;
    match runner
        .wait_for(ResponsibilityLog::NAME, broken_at, WAIT)
        .await
    {
        Err(RunnerError::ProjectorStopped { projector, reason }) => {
            assert_eq!(projector, ResponsibilityLog::NAME);
            assert!(reason.contains(&broken_at.to_string()), "{reason}");
        }
        other => panic!("expected ProjectorStopped, got {other:?}"),
    }
    // What was folded before the bad record is still served.
    let (_, checkpoint) = runner.read::<ResponsibilityLog>().expect("read");
    assert_eq!(checkpoint.last_applied(), Some(last_good));
    let status = status_of(&runner, ResponsibilityLog::NAME);
    assert!(status.stopped_because.is_some());
    runner.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_projectors_with_one_name_are_refused() {
    let setup = setup();
    let refused = ProjectionRunner::builder(setup.store.clone(), &setup.projections_dir)
        .with::<ResponsibilityLog>()
        .with::<ResponsibilityLogV2>()
        .start()
        .await;
    assert!(matches!(
        refused,
        Err(RunnerError::DuplicateProjector(name)) if name == ResponsibilityLog::NAME
    ));
}
