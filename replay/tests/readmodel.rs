//! The read-model table engine (`salesledger_replay::readmodel`) over a real
//! `SledStore` in a temporary directory, with small table projectors
//! defined here and the process-asset view ported to tables.
//!
//! The reference for every comparison is a pure fold of the whole log into
//! `MemoryTables`, dumped in the engine's canonical format: whatever the
//! runner did (follow live, rebuild, resume, crash, fail), its committed
//! tables must dump to the same bytes.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use proptest::prelude::*;
use salesledger_domain::value::{CustomerId, RepId};
use salesledger_domain::Event;
use salesledger_projections::assets::AssetGroup;
use salesledger_projections::tables::assets::{self as assets_tables, AssetsTables};
use salesledger_projections::tables::directory::{self, DirectoryTables};
use salesledger_projections::tables::{
    encode_value, MemoryTables, Reader, Table, TableError, TableKey, TableProjector, TableRead, Tx,
};
use salesledger_projections::{fold_all, Assets, ProjectionError};
use salesledger_replay::readmodel::{
    dump_directory, ReadModelError, TableRunner, TableRunnerOptions, MAX_PAGE_LIMIT,
};
use salesledger_store::conformance::Unsteady;
use salesledger_store::{
    AppendMetadata, AppendRequest, ExpectedVersion, NewEvent, RecordedEvent, SledStore, Store,
};
use serde_json::{json, Value};
use tempfile::TempDir;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(30);

// ---- test projectors ----

const FOLLOW_UPS: Table<CustomerId, u64> = Table::new("follow_ups");
const TYPES: Table<String, u64> = Table::new("types");

fn count_follow_ups(tx: &mut Tx<'_>, event: &Event) -> Result<(), ProjectionError> {
    let key = event.event_type().to_owned();
    let n = tx.get(&TYPES, &key)?.unwrap_or(0);
    tx.put(&TYPES, &key, &(n + 1))?;
    if let Event::FollowUpRecorded(follow_up) = event {
        let n = tx.get(&FOLLOW_UPS, &follow_up.customer_id)?.unwrap_or(0);
        tx.put(&FOLLOW_UPS, &follow_up.customer_id, &(n + 1))?;
    }
    Ok(())
}

/// Counts follow-ups per customer and events per type.
struct Counter;

impl TableProjector for Counter {
    const NAME: &'static str = "counter";
    const VERSION: u32 = 1;
    fn tables() -> &'static [&'static str] {
        &["follow_ups", "types"]
    }
    fn apply(
        tx: &mut Tx<'_>,
        _record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        count_follow_ups(tx, event)
    }
}

/// The counter after a code change: same fold, version bumped.
struct CounterV2;

impl TableProjector for CounterV2 {
    const NAME: &'static str = Counter::NAME;
    const VERSION: u32 = Counter::VERSION + 1;
    fn tables() -> &'static [&'static str] {
        Counter::tables()
    }
    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        Counter::apply(tx, record, event)
    }
}

/// The customer whose follow-ups `Picky` cannot apply.
fn marked_customer() -> CustomerId {
    CustomerId::from_uuid(Uuid::from_u128(0xdead))
}

/// Counts like `Counter`, but fails on a follow-up of the marked customer,
/// after writing (the write must not survive the failure).
struct Picky;

impl TableProjector for Picky {
    const NAME: &'static str = "picky";
    const VERSION: u32 = 1;
    fn tables() -> &'static [&'static str] {
        Counter::tables()
    }
    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        count_follow_ups(tx, event)?;
        match event {
            Event::FollowUpRecorded(follow_up) if follow_up.customer_id == marked_customer() => {
                Err(ProjectionError::CannotApply {
                    position: record.position,
                    reason: "marked customer".into(),
                })
            }
            _ => Ok(()),
        }
    }
}

/// `Picky` after the fix: same name and version, applies everything.
struct PickyFixed;

impl TableProjector for PickyFixed {
    const NAME: &'static str = Picky::NAME;
    const VERSION: u32 = Picky::VERSION;
    fn tables() -> &'static [&'static str] {
        Counter::tables()
    }
    fn apply(
        tx: &mut Tx<'_>,
        _record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        count_follow_ups(tx, event)
    }
}

/// Writes to a table it did not declare.
struct Sloppy;

impl TableProjector for Sloppy {
    const NAME: &'static str = "sloppy";
    const VERSION: u32 = 1;
    fn tables() -> &'static [&'static str] {
        &["types"]
    }
    fn apply(
        tx: &mut Tx<'_>,
        _record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        count_follow_ups(tx, event)
    }
}

/// Panics on its first follow-up.
struct Panicky;

impl TableProjector for Panicky {
    const NAME: &'static str = "panicky";
    const VERSION: u32 = 1;
    fn tables() -> &'static [&'static str] {
        Counter::tables()
    }
    fn apply(
        tx: &mut Tx<'_>,
        _record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        if matches!(event, Event::FollowUpRecorded(_)) {
            panic!("a bug in a projector");
        }
        count_follow_ups(tx, event)
    }
}

/// How many of `Left` and `Right` have started their first record.
static STARTED: AtomicUsize = AtomicUsize::new(0);
const MET: Table<String, bool> = Table::new("met");

/// Waits (up to 10 s) on its first record for the other of the pair to
/// start too, and writes whether it did: both meet only when the two fold
/// the same page at the same time.
fn meet(tx: &mut Tx<'_>) -> Result<(), ProjectionError> {
    if tx.get(&MET, &"first".to_owned())?.is_some() {
        return Ok(());
    }
    STARTED.fetch_add(1, Ordering::SeqCst);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while STARTED.load(Ordering::SeqCst) < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    tx.put(
        &MET,
        &"first".to_owned(),
        &(STARTED.load(Ordering::SeqCst) >= 2),
    )?;
    Ok(())
}

struct Left;

impl TableProjector for Left {
    const NAME: &'static str = "left";
    const VERSION: u32 = 1;
    fn tables() -> &'static [&'static str] {
        &["met"]
    }
    fn apply(
        tx: &mut Tx<'_>,
        _record: &RecordedEvent,
        _event: &Event,
    ) -> Result<(), ProjectionError> {
        meet(tx)
    }
}

struct Right;

impl TableProjector for Right {
    const NAME: &'static str = "right";
    const VERSION: u32 = 1;
    fn tables() -> &'static [&'static str] {
        &["met"]
    }
    fn apply(
        tx: &mut Tx<'_>,
        _record: &RecordedEvent,
        _event: &Event,
    ) -> Result<(), ProjectionError> {
        meet(tx)
    }
}

// ---- the log ----

/// The ids of `projections/tests/business.rs`: `00000000-0000-0000-0000-PPPPPPPPNNNN`.
fn rep_uuid(n: u32) -> Uuid {
    Uuid::from_u128(0x1_0000 + u128::from(n))
}
fn customer_uuid(n: u32) -> Uuid {
    Uuid::from_u128(0x2_0000 + u128::from(n))
}

fn rep_event(n: u32, name: &str, region: &str) -> (String, &'static str, u32, Value) {
    (
        format!("rep-{}", rep_uuid(n)),
        "RepRegistered",
        2,
        json!({"rep_id": rep_uuid(n), "display_name": name, "region": region,
               "capability_tags": ["crm", "erp", "mes"], "registered_at": "2027-01-01T00:00:00Z"}),
    )
}

fn follow_up_event(
    customer: Uuid,
    rep_n: u32,
    occurred_at: &str,
) -> (String, &'static str, u32, Value) {
    (
        format!("customer-{customer}"),
        "FollowUpRecorded",
        1,
        json!({"customer_id": customer, "rep_id": rep_uuid(rep_n), "kind": "call",
               "occurred_at": occurred_at, "visit_id": null, "qualifying": false,
               "protected_until": null, "policy_version": 1}),
    )
}

fn asset_event(
    n: u32,
    customer_n: u32,
    rep_n: u32,
    kind: &str,
    recorded_at: &str,
) -> (String, &'static str, u32, Value) {
    let asset_id = Uuid::from_u128(0x5_0000 + u128::from(n));
    (
        format!("asset-{asset_id}"),
        "ProcessAssetRecorded",
        1,
        json!({"asset_id": asset_id, "customer_id": customer_uuid(customer_n),
               "rep_id": rep_uuid(rep_n), "kind": kind, "title": format!("asset {n}"),
               "recorded_at": recorded_at}),
    )
}

/// Appends events, up to 500 per request (one stream per request: the
/// store does not care which stream an event is filed under).
async fn append(store: &Arc<dyn Store>, events: Vec<(String, &'static str, u32, Value)>) {
    let mut events = events.into_iter().peekable();
    while let Some((stream_id, event_type, schema_version, payload)) = events.next() {
        let mut batch = vec![NewEvent::new(event_type, schema_version, &payload)];
        while batch.len() < 500 {
            let Some((next_stream, ..)) = events.peek() else {
                break;
            };
            if *next_stream != stream_id {
                break;
            }
            let Some((_, event_type, schema_version, payload)) = events.next() else {
                break;
            };
            batch.push(NewEvent::new(event_type, schema_version, &payload));
        }
        store
            .append(AppendRequest {
                stream_id,
                expected_version: ExpectedVersion::Any,
                events: batch,
                metadata: AppendMetadata {
                    actor: "integrator:test".into(),
                    command_id: Uuid::now_v7(),
                    correlation_id: Uuid::now_v7(),
                    causation_id: Uuid::now_v7(),
                },
                idempotency: None,
            })
            .await
            .expect("append");
    }
}

/// `n` follow-ups over `customers` customers (each seen n / customers
/// times, spread out), in bulk streams.
fn follow_ups(n: u32, customers: u32, first: u32) -> Vec<(String, &'static str, u32, Value)> {
    (0..n)
        .map(|i| {
            let (_, event_type, version, payload) = follow_up_event(
                customer_uuid((first + i) % customers),
                i % 3 + 1,
                "2027-03-02T02:00:00Z",
            );
            (format!("bulk-{}", i / 500), event_type, version, payload)
        })
        .collect()
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

/// The reference dump: a pure fold of `records` into memory tables, in the
/// engine's canonical format.
fn memory_dump<P: TableProjector>(records: &[RecordedEvent]) -> String {
    let mut tables = MemoryTables::default();
    for record in records {
        tables.apply::<P>(record).expect("folds");
    }
    let mut lines: Vec<(Vec<u8>, String)> = tables
        .rows()
        .map(|(table, key, value)| {
            let sort_key = [b"r/", table.as_bytes(), b"/", key].concat();
            (
                sort_key,
                format!("{table} {} {}\n", hex::encode(key), hex::encode(value)),
            )
        })
        .collect();
    lines.sort();
    lines.into_iter().map(|(_, line)| line).collect()
}

fn setup() -> (TempDir, Arc<dyn Store>) {
    let temp = tempfile::tempdir().expect("tempdir");
    let store = SledStore::open(&temp.path().join("log")).expect("open store");
    (temp, Arc::new(store))
}

fn last_position(records: &[RecordedEvent]) -> u64 {
    records.last().expect("records").position
}

async fn wait_applied(runner: &TableRunner, name: &str, next_position: u64) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let status = runner.status();
        let projector = status.iter().find(|s| s.name == name).expect("projector");
        if projector.applied.next_position >= next_position {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} never applied {next_position}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

// ---- live = rebuilt = resumed ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_equals_rebuilt_equals_resumed() {
    let (temp, store) = setup();
    append(
        &store,
        vec![rep_event(1, "Alice", "华东"), rep_event(2, "Bob", "华北")],
    )
    .await;
    append(&store, follow_ups(1_200, 97, 0)).await;
    let live_dir = temp.path().join("live");
    let resumed_dir = temp.path().join("resumed");
    let live = TableRunner::builder(store.clone(), &live_dir)
        .with::<Counter>()
        .with::<AssetsTables>()
        .start()
        .await
        .expect("start live");
    let resumed = TableRunner::builder(store.clone(), &resumed_dir)
        .with::<Counter>()
        .with::<AssetsTables>()
        .start()
        .await
        .expect("start resumed");
    let half = store.head().len;
    resumed.wait_caught_up(WAIT).await.expect("caught up");
    resumed.shutdown().await.expect("shutdown");

    // The live runner follows appends as they come, a few at a time.
    for round in 0..5 {
        append(&store, follow_ups(150, 61, round * 7)).await;
    }
    append(
        &store,
        vec![asset_event(1, 3, 1, "solution", "2027-03-04T02:00:00Z")],
    )
    .await;
    let records = whole_log(&store).await;
    let last = last_position(&records);
    live.wait_for(Counter::NAME, last, WAIT)
        .await
        .expect("live counter");
    live.wait_for(AssetsTables::NAME, last, WAIT)
        .await
        .expect("live assets");

    let resumed = TableRunner::builder(store.clone(), &resumed_dir)
        .with::<Counter>()
        .with::<AssetsTables>()
        .start()
        .await
        .expect("restart");
    for status in resumed.status() {
        assert_eq!(
            status.started_from, half,
            "{} resumes from its checkpoint",
            status.name
        );
        assert_eq!(status.rebuilt_because, None);
    }
    resumed
        .wait_caught_up(WAIT)
        .await
        .expect("resumed caught up");

    // Rebuilt from zero, folding pages one projector after the other.
    let rebuilt = TableRunner::builder(store.clone(), temp.path().join("rebuilt"))
        .with::<Counter>()
        .with::<AssetsTables>()
        .options(TableRunnerOptions {
            parallel_from_records: usize::MAX,
            page_size: 100,
            ..TableRunnerOptions::default()
        })
        .start()
        .await
        .expect("start rebuilt");
    rebuilt
        .wait_caught_up(WAIT)
        .await
        .expect("rebuilt caught up");

    let reference_counter = memory_dump::<Counter>(&records);
    let reference_assets = memory_dump::<AssetsTables>(&records);
    // 97 customers followed, and three event types.
    assert_eq!(reference_counter.lines().count(), 100);
    for runner in [&live, &resumed, &rebuilt] {
        assert_eq!(runner.dump(Counter::NAME).expect("dump"), reference_counter);
        assert_eq!(
            runner.dump(AssetsTables::NAME).expect("dump"),
            reference_assets
        );
    }
    live.shutdown().await.expect("shutdown");
    resumed.shutdown().await.expect("shutdown");
    rebuilt.shutdown().await.expect("shutdown");
}

// ---- rows made and deleted between two commits ----

const AT: Table<(CustomerId, u64), ()> = Table::new("at");
const SEEN: Table<CustomerId, u64> = Table::new("seen");

/// Keeps one `at` row per customer, keyed by how many follow-ups it had:
/// each follow-up deletes the customer's row and writes the next one (the
/// shape of health's due buckets and ranking rows).
struct Mover;

impl TableProjector for Mover {
    const NAME: &'static str = "mover";
    const VERSION: u32 = 1;
    fn tables() -> &'static [&'static str] {
        &["at", "seen"]
    }
    fn apply(
        tx: &mut Tx<'_>,
        _record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        if let Event::FollowUpRecorded(follow_up) = event {
            let customer = follow_up.customer_id;
            let n = tx.get(&SEEN, &customer)?.unwrap_or(0);
            if n > 0 {
                tx.delete(&AT, &(customer, n))?;
            }
            tx.put(&AT, &(customer, n + 1), &())?;
            tx.put(&SEEN, &customer, &(n + 1))?;
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_made_and_deleted_between_two_commits_are_never_written() {
    let (temp, store) = setup();
    append(&store, follow_ups(1_200, 40, 0)).await;
    let records = whole_log(&store).await;
    let reference = memory_dump::<Mover>(&records);
    // One row of each table per customer.
    assert_eq!(reference.lines().count(), 80);

    // Commits every 7 records: most deletions are of committed rows and
    // must be written; one commit at the end: none are.
    let mut rows_committed = Vec::new();
    for (name, commit_every_events) in [("often", 7), ("once", u64::MAX)] {
        let runner = TableRunner::builder(store.clone(), temp.path().join(name))
            .with::<Mover>()
            .options(TableRunnerOptions {
                commit_every_events,
                page_size: 50,
                commit_interval: Duration::from_secs(3_600),
                catch_up_commit_interval: Duration::from_secs(3_600),
                ..TableRunnerOptions::default()
            })
            .start()
            .await
            .expect("start");
        runner.wait_caught_up(WAIT).await.expect("caught up");
        assert_eq!(runner.dump(Mover::NAME).expect("dump"), reference, "{name}");
        let status = runner.status();
        rows_committed.push(status[0].rows_committed);
        runner.shutdown().await.expect("shutdown");
        // And after a restart from what was committed.
        let reopened = TableRunner::builder(store.clone(), temp.path().join(name))
            .with::<Mover>()
            .start()
            .await
            .expect("restart");
        assert_eq!(
            reopened.dump(Mover::NAME).expect("dump"),
            reference,
            "{name}"
        );
        reopened.shutdown().await.expect("shutdown");
    }
    // Committed once: exactly the final rows, no deletion.
    assert_eq!(rows_committed[1], 80);
    assert!(rows_committed[0] > 1_200, "{rows_committed:?}");
}

// ---- offline: a stop position and seed rows ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_stopped_before_a_position_folds_only_the_records_before_it_with_its_seed_rows() {
    let (temp, store) = setup();
    append(&store, follow_ups(300, 20, 0)).await;
    let records = whole_log(&store).await;
    let stop = records.len() as u64 / 2 + 3;
    let directory = temp.path().join("as-of");
    let seeded = "seeded".to_owned();
    let options = TableRunnerOptions {
        stop_before: Some(stop),
        // Pages straddle the stop position.
        page_size: 7,
        ..TableRunnerOptions::default()
    };
    let runner = TableRunner::builder(store.clone(), &directory)
        .with::<Counter>()
        .options(options.clone())
        .seed::<Counter, _, _>(&TYPES, &seeded, &1_000)
        .expect("a declared table")
        .start()
        .await
        .expect("start");
    runner
        .wait_caught_up(WAIT)
        .await
        .expect("caught up to the stop");
    // Appends after the stop are never folded.
    append(&store, follow_ups(50, 5, 3)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = &runner.status()[0];
    assert_eq!(status.committed.next_position, stop);
    assert_eq!(status.applied.next_position, stop);
    assert_eq!(
        runner
            .get::<Counter, _, _>(&TYPES, &seeded)
            .expect("read")
            .0,
        Some(1_000)
    );
    let seed_line = format!(
        "types {} {}\n",
        hex::encode(seeded.to_key_bytes()),
        hex::encode(encode_value("types", &1_000u64).expect("encodes"))
    );
    let dump = runner.dump(Counter::NAME).expect("dump");
    assert!(dump.contains(&seed_line), "{dump}");
    let reference = memory_dump::<Counter>(&records[..stop as usize]);
    assert_eq!(dump.replace(&seed_line, ""), reference);
    runner.shutdown().await.expect("shutdown");

    // Seeds only where the tables are built from 0.
    let resumed = TableRunner::builder(store.clone(), &directory)
        .with::<Counter>()
        .options(options)
        .seed::<Counter, _, _>(&TYPES, &seeded, &1_000)
        .expect("a declared table")
        .start()
        .await;
    assert!(
        matches!(resumed, Err(ReadModelError::Wiring(_))),
        "a seed for a resumed projector is refused"
    );
    let undeclared = TableRunner::builder(store.clone(), temp.path().join("other"))
        .with::<Counter>()
        .seed::<Counter, _, _>(&FOLLOW_UPS_ELSEWHERE, &seeded, &1);
    assert!(
        undeclared.is_err(),
        "a table the projector does not declare"
    );
}

const FOLLOW_UPS_ELSEWHERE: Table<String, u64> = Table::new("elsewhere");

// ---- versions ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_bump_rebuilds_only_that_projector() {
    let (temp, store) = setup();
    append(&store, vec![rep_event(1, "Alice", "华东")]).await;
    append(&store, follow_ups(300, 40, 0)).await;
    let dir = temp.path().join("tables");
    let runner = TableRunner::builder(store.clone(), &dir)
        .with::<Counter>()
        .with::<AssetsTables>()
        .start()
        .await
        .expect("start");
    runner.wait_caught_up(WAIT).await.expect("caught up");
    runner.shutdown().await.expect("shutdown");
    let len = store.head().len;

    let runner = TableRunner::builder(store.clone(), &dir)
        .with::<CounterV2>()
        .with::<AssetsTables>()
        .start()
        .await
        .expect("restart");
    let status = runner.status();
    let counter = status
        .iter()
        .find(|s| s.name == Counter::NAME)
        .expect("counter");
    assert_eq!(counter.version, 2);
    assert_eq!(counter.started_from, 0);
    assert!(counter
        .rebuilt_because
        .as_deref()
        .is_some_and(|reason| reason.contains("stored version 1 differs from version 2")));
    let assets = status
        .iter()
        .find(|s| s.name == AssetsTables::NAME)
        .expect("assets");
    assert_eq!(assets.started_from, len, "the other projector resumes");
    assert_eq!(assets.rebuilt_because, None);
    runner.wait_caught_up(WAIT).await.expect("caught up");
    let records = whole_log(&store).await;
    assert_eq!(
        runner.dump(Counter::NAME).expect("dump"),
        memory_dump::<Counter>(&records)
    );
    assert_eq!(
        runner.dump(AssetsTables::NAME).expect("dump"),
        memory_dump::<AssetsTables>(&records)
    );
    runner.shutdown().await.expect("shutdown");

    // Same version again: nobody rebuilds.
    let runner = TableRunner::builder(store.clone(), &dir)
        .with::<CounterV2>()
        .with::<AssetsTables>()
        .start()
        .await
        .expect("restart");
    assert!(runner
        .status()
        .iter()
        .all(|s| s.started_from == len && s.rebuilt_because.is_none()));
    runner.shutdown().await.expect("shutdown");
}

// ---- faults ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_projector_stops_at_its_position_while_another_advances() {
    let (temp, store) = setup();
    append(&store, follow_ups(200, 30, 0)).await;
    append(
        &store,
        vec![follow_up_event(
            marked_customer().as_uuid(),
            1,
            "2027-03-05T02:00:00Z",
        )],
    )
    .await;
    let failing_position = store.head().len - 1;
    append(&store, follow_ups(200, 30, 5)).await;
    let records = whole_log(&store).await;
    let last = last_position(&records);
    let dir = temp.path().join("tables");
    let runner = TableRunner::builder(store.clone(), &dir)
        .with::<Picky>()
        .with::<Counter>()
        .start()
        .await
        .expect("start");
    runner
        .wait_for(Counter::NAME, last, WAIT)
        .await
        .expect("counter advances");
    match runner.wait_for(Picky::NAME, last, WAIT).await {
        Err(ReadModelError::Failed {
            projector,
            position,
            reason,
            ..
        }) => {
            assert_eq!(projector, "picky");
            assert_eq!(position, failing_position);
            assert!(reason.contains("marked customer"), "{reason}");
        }
        other => panic!("expected the picky projector to fail, got {other:?}"),
    }
    let status = runner.status();
    let picky = status
        .iter()
        .find(|s| s.name == Picky::NAME)
        .expect("picky");
    let failure = picky.failed.as_ref().expect("failed");
    assert_eq!(failure.position, failing_position);
    assert_eq!(
        picky.committed.next_position, failing_position,
        "everything before it is committed"
    );
    // Its view answers that it failed; the other one answers.
    assert!(matches!(
        runner.get::<Picky, _, _>(&TYPES, &"FollowUpRecorded".to_owned()),
        Err(ReadModelError::Failed { position, .. }) if position == failing_position
    ));
    let (n, checkpoint) = runner
        .get::<Counter, _, _>(&TYPES, &"FollowUpRecorded".to_owned())
        .expect("counter reads");
    assert_eq!(n, Some(401));
    assert_eq!(checkpoint.next_position, last + 1);
    // Its committed rows are those of the records before the failure: the
    // failing record's own writes were dropped.
    let before = records
        .iter()
        .filter(|record| record.position < failing_position)
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(
        runner.dump(Picky::NAME).expect("dump"),
        memory_dump::<Picky>(&before)
    );
    assert_eq!(
        runner.dump(Counter::NAME).expect("dump"),
        memory_dump::<Counter>(&records)
    );
    runner.shutdown().await.expect("shutdown");

    // After the fix, a restart resumes from the failing position.
    let runner = TableRunner::builder(store.clone(), &dir)
        .with::<PickyFixed>()
        .with::<Counter>()
        .start()
        .await
        .expect("restart");
    let status = runner.status();
    let picky = status
        .iter()
        .find(|s| s.name == Picky::NAME)
        .expect("picky");
    assert_eq!(picky.started_from, failing_position);
    assert_eq!(picky.rebuilt_because, None);
    runner
        .wait_for(Picky::NAME, last, WAIT)
        .await
        .expect("resumes");
    assert_eq!(
        runner.dump(Picky::NAME).expect("dump"),
        memory_dump::<PickyFixed>(&records)
    );
    runner.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_commits_resumes_from_the_previous_checkpoint_with_its_rows() {
    let (temp, store) = setup();
    append(&store, follow_ups(125, 17, 0)).await;
    let records = whole_log(&store).await;
    let dir = temp.path().join("tables");
    let runner = TableRunner::builder(store.clone(), &dir)
        .with::<Counter>()
        .options(TableRunnerOptions {
            commit_every_events: 50,
            commit_interval: Duration::from_secs(3_600),
            catch_up_commit_interval: Duration::from_secs(3_600),
            commit_when_caught_up: false,
            page_size: 10,
            ..TableRunnerOptions::default()
        })
        .start()
        .await
        .expect("start");
    wait_applied(&runner, Counter::NAME, 125).await;
    let status = runner.status();
    assert_eq!(
        status[0].committed.next_position, 100,
        "commits at 50 and 100 only"
    );
    // Crash: no final commit.
    runner.abort().await;

    let first_100 = &records[..100];
    let on_disk = dump_directory(&dir, Counter::NAME).expect("dump");
    assert_eq!(
        on_disk,
        memory_dump::<Counter>(first_100),
        "the previous checkpoint's rows"
    );
    assert_ne!(on_disk, memory_dump::<Counter>(&records));

    let runner = TableRunner::builder(store.clone(), &dir)
        .with::<Counter>()
        .start()
        .await
        .expect("reopen");
    assert_eq!(runner.status()[0].started_from, 100);
    runner.wait_caught_up(WAIT).await.expect("caught up");
    assert_eq!(
        runner.dump(Counter::NAME).expect("dump"),
        memory_dump::<Counter>(&records)
    );
    runner.shutdown().await.expect("shutdown");
}

/// A tables directory written by an earlier build (sled's files, format
/// 1) is derived data this build does not read: its files are removed and
/// the tables rebuilt from the log, with the same rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sled_tables_of_an_earlier_build_are_removed_and_rebuilt() {
    let (temp, store) = setup();
    append(&store, follow_ups(30, 4, 0)).await;
    let records = whole_log(&store).await;
    let dir = temp.path().join("tables");
    std::fs::create_dir_all(dir.join("blobs")).expect("blobs");
    for file in ["conf", "db", "snap.0000000000001F2A"] {
        std::fs::write(dir.join(file), b"an earlier build's bytes").expect("file");
    }
    let runner = TableRunner::builder(store.clone(), &dir)
        .with::<Counter>()
        .start()
        .await
        .expect("start");
    let status = runner.status();
    assert_eq!(status[0].started_from, 0);
    assert!(status[0].rebuilt_because.is_some());
    for file in ["conf", "db", "blobs", "snap.0000000000001F2A"] {
        assert!(!dir.join(file).exists(), "{file} is removed");
    }
    runner.wait_caught_up(WAIT).await.expect("caught up");
    assert_eq!(
        runner.dump(Counter::NAME).expect("dump"),
        memory_dump::<Counter>(&records)
    );
    runner.shutdown().await.expect("shutdown");
    let on_disk = dump_directory(&dir, Counter::NAME).expect("dump");
    assert_eq!(on_disk, memory_dump::<Counter>(&records));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_table_or_a_panic_stops_only_that_projector() {
    let (temp, store) = setup();
    append(&store, vec![rep_event(1, "Alice", "华东")]).await;
    append(&store, follow_ups(20, 5, 0)).await;
    let last = store.head().len - 1;
    let runner = TableRunner::builder(store.clone(), temp.path().join("tables"))
        .with::<Sloppy>()
        .with::<Panicky>()
        .with::<Counter>()
        .start()
        .await
        .expect("start");
    runner
        .wait_for(Counter::NAME, last, WAIT)
        .await
        .expect("counter advances");
    for (name, expected) in [("sloppy", "not declared"), ("panicky", "panicked")] {
        match runner.wait_for(name, last, WAIT).await {
            Err(ReadModelError::Failed {
                position, reason, ..
            }) => {
                // Position 0 is the rep; the first follow-up is at 1.
                assert_eq!(position, 1, "{name}");
                assert!(reason.contains(expected), "{name}: {reason}");
            }
            other => panic!("{name} should fail, got {other:?}"),
        }
    }
    runner.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn independent_projectors_fold_a_page_in_parallel() {
    let (temp, store) = setup();
    append(&store, follow_ups(100, 10, 0)).await;
    let runner = TableRunner::builder(store.clone(), temp.path().join("tables"))
        .with::<Left>()
        .with::<Right>()
        .start()
        .await
        .expect("start");
    runner.wait_caught_up(WAIT).await.expect("caught up");
    for name in ["left", "right"] {
        let dump = runner.dump(name).expect("dump");
        let met = format!(
            "{}\n",
            hex::encode(encode_value("met", &true).expect("encodes"))
        );
        assert!(
            dump.ends_with(&met),
            "{name} folded while the other did: {dump}"
        );
    }
    runner.shutdown().await.expect("shutdown");
}

// ---- reads ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_return_every_row_once_in_key_order() {
    let (temp, store) = setup();
    append(&store, follow_ups(700, 233, 0)).await;
    let runner = TableRunner::builder(store.clone(), temp.path().join("tables"))
        .with::<Counter>()
        .start()
        .await
        .expect("start");
    runner.wait_caught_up(WAIT).await.expect("caught up");

    for limit in [1, 7, 100, 233, 10_000] {
        let mut seen: Vec<(CustomerId, u64)> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut n_pages = 0;
        loop {
            let page = runner
                .page::<Counter, _, _>(&FOLLOW_UPS, cursor.as_deref(), limit)
                .expect("page");
            n_pages += 1;
            assert!(page.rows.len() <= limit.min(MAX_PAGE_LIMIT));
            assert_eq!(page.checkpoint.next_position, 700);
            seen.extend(page.rows);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen.len(), 233, "limit {limit}: every row once");
        assert!(
            seen.windows(2).all(|pair| pair[0].0 < pair[1].0),
            "key order"
        );
        assert_eq!(n_pages, 233usize.div_ceil(limit.min(MAX_PAGE_LIMIT)));
        let total: u64 = seen.iter().map(|(_, n)| n).sum();
        assert_eq!(total, 700);
        for (customer, n) in &seen {
            let (stored, _) = runner
                .get::<Counter, _, _>(&FOLLOW_UPS, customer)
                .expect("get");
            assert_eq!(stored, Some(*n));
        }
    }
    // A cursor this table never produced is a typed error.
    for bad in ["zz", "00", "0011"] {
        assert!(
            matches!(
                runner.page::<Counter, _, _>(&FOLLOW_UPS, Some(bad), 10),
                Err(ReadModelError::BadCursor(_))
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        runner.page::<Counter, _, _>(&TYPES, Some("00"), 10),
        Err(ReadModelError::BadCursor(_))
    ));
    // A table of another projector is a typed error, not an empty answer.
    assert!(matches!(
        runner.page::<Counter, _, _>(&MET, None, 10),
        Err(ReadModelError::Table(TableError::Undeclared("met")))
    ));
    assert!(matches!(
        runner.get::<Counter, _, _>(&MET, &"first".to_owned()),
        Err(ReadModelError::Table(TableError::Undeclared("met")))
    ));
    runner.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_cache_stays_within_its_byte_budget() {
    const BUDGET: usize = 8 * 1024;
    let (temp, store) = setup();
    // 3,000 distinct customers, each followed three times far apart: most
    // reads miss the cache and go to committed rows.
    append(&store, follow_ups(9_000, 3_000, 0)).await;
    let runner = TableRunner::builder(store.clone(), temp.path().join("tables"))
        .with::<Counter>()
        .options(TableRunnerOptions {
            cache_bytes: BUDGET,
            commit_every_events: 500,
            page_size: 250,
            ..TableRunnerOptions::default()
        })
        .start()
        .await
        .expect("start");
    runner.wait_caught_up(WAIT).await.expect("caught up");
    let status = runner.status();
    assert!(status[0].cache_peak_bytes <= BUDGET, "{:?}", status[0]);
    assert!(
        status[0].cache_peak_bytes > BUDGET / 2,
        "the cache was used: {:?}",
        status[0]
    );
    let records = whole_log(&store).await;
    assert_eq!(
        runner.dump(Counter::NAME).expect("dump"),
        memory_dump::<Counter>(&records)
    );
    runner.shutdown().await.expect("shutdown");
}

// ---- the process-asset view on tables ----

/// The hand-checked log of `projections/tests/business.rs` (assets).
fn assets_fixture() -> Vec<(String, &'static str, u32, Value)> {
    let c = customer_uuid;
    vec![
        rep_event(1, "Alice", "华东"),
        rep_event(2, "Bob", "华东"),
        rep_event(3, "Carol", "华北"),
        follow_up_event(c(1), 1, "2027-03-02T02:00:00Z"),
        follow_up_event(c(1), 1, "2027-03-09T02:00:00Z"),
        follow_up_event(c(2), 1, "2027-03-10T02:00:00Z"),
        asset_event(1, 1, 1, "solution", "2027-03-03T02:00:00Z"),
        asset_event(2, 2, 1, "solution", "2027-03-04T02:00:00Z"),
        asset_event(3, 1, 1, "objection_answer", "2027-03-05T02:00:00Z"),
        asset_event(4, 1, 1, "won_deal_action", "2027-03-06T02:00:00Z"),
        follow_up_event(c(2), 2, "2027-03-11T02:00:00Z"),
        follow_up_event(c(3), 2, "2027-03-12T02:00:00Z"),
        asset_event(5, 3, 2, "solution", "2027-03-12T03:00:00Z"),
        asset_event(6, 4, 3, "objection_answer", "2027-03-13T02:00:00Z"),
        follow_up_event(c(1), 1, "2027-03-31T17:00:00Z"),
        asset_event(7, 1, 1, "solution", "2027-04-02T02:00:00Z"),
    ]
}

/// A larger deterministic history: 6 reps (one never registered), 50
/// customers, a year of follow-ups and assets.
fn assets_year() -> Vec<(String, &'static str, u32, Value)> {
    let mut events = vec![
        rep_event(11, "Dan", "华南"),
        rep_event(12, "Eve", "华南"),
        rep_event(13, "Fay", "西南"),
        rep_event(14, "Gus", "华东"),
        rep_event(15, "Hal", "华北"),
    ];
    let kinds = ["solution", "objection_answer", "won_deal_action"];
    let mut state: u64 = 0x5eed;
    for n in 0..1_500u32 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (state >> 33) as u32;
        let rep = 11 + r % 6; // rep 16 is never registered
        let day = 1 + (r >> 4) % 365;
        let date = NaiveDate::from_yo_opt(2027, day).expect("day");
        let at = format!("{date}T{:02}:30:00Z", (r >> 12) % 24);
        if r % 3 == 0 {
            events.push(asset_event(
                100 + n,
                (r >> 8) % 50,
                rep,
                kinds[(r >> 20) as usize % 3],
                &at,
            ));
        } else {
            events.push(follow_up_event(customer_uuid((r >> 8) % 50), rep, &at));
        }
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assets_view_on_tables_answers_as_the_model_does() {
    let (temp, store) = setup();
    append(&store, assets_fixture()).await;
    let runner = TableRunner::builder(store.clone(), temp.path().join("tables"))
        .with::<AssetsTables>()
        .start()
        .await
        .expect("start");
    runner.wait_caught_up(WAIT).await.expect("caught up");
    let ((by_rep, by_region), _) = runner
        .read_with::<AssetsTables, _>(|reader| {
            Ok((
                assets_tables::rows(reader, AssetGroup::Rep, None)?,
                assets_tables::rows(reader, AssetGroup::Region, None)?,
            ))
        })
        .expect("reads");
    // The golden answer of the model-based view, hand-checked in
    // projections/tests/fixtures/assets/README.md.
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../projections/tests/fixtures/assets/expected.json"),
        )
        .expect("golden"),
    )
    .expect("golden json");
    assert_eq!(json!({"by_rep": by_rep, "by_region": by_region}), golden);

    // And over a larger history, every grouping and period against the
    // model folded from the same records.
    append(&store, assets_year()).await;
    let records = whole_log(&store).await;
    runner
        .wait_for(AssetsTables::NAME, last_position(&records), WAIT)
        .await
        .expect("follows");
    let model = fold_all::<Assets>(&records).expect("folds");
    for group in [AssetGroup::Rep, AssetGroup::Region] {
        for period in [
            None,
            Some("2027-03"),
            Some("2027-12"),
            Some("total"),
            Some("2031-01"),
        ] {
            let (rows, checkpoint) = runner
                .read_with::<AssetsTables, _>(|reader| assets_tables::rows(reader, group, period))
                .expect("reads");
            assert_eq!(checkpoint.next_position, store.head().len);
            assert_eq!(
                serde_json::to_string(&rows).expect("json"),
                serde_json::to_string(&model.rows(group, period)).expect("json"),
                "{group:?} {period:?}"
            );
        }
    }
    let rows = model.rows(AssetGroup::Rep, None);
    assert!(
        rows.len() > 60,
        "the year covers many rep-months: {}",
        rows.len()
    );
    assert!(rows.iter().any(|row| row.region == "unassigned"));
    runner.shutdown().await.expect("shutdown");
}

// ---- key encoding ----

fn encoded<K: TableKey>(key: &K) -> Vec<u8> {
    key.to_key_bytes()
}

fn check_order<K: TableKey + Ord + std::fmt::Debug + PartialEq>(
    a: K,
    b: K,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        a.cmp(&b),
        encoded(&a).cmp(&encoded(&b)),
        "{:?} vs {:?}",
        a,
        b
    );
    prop_assert_eq!(K::from_key_bytes(&encoded(&a)).expect("decodes"), a);
    Ok(())
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (-100_000i32..1_000_000)
        .prop_map(|days| NaiveDate::from_num_days_from_ce_opt(days).expect("in range"))
}

fn text() -> impl Strategy<Value = String> {
    // Small alphabets make shared prefixes and NUL bytes common.
    prop_oneof![
        proptest::collection::vec(
            prop_oneof![Just('\0'), Just('a'), Just('b'), Just('\u{ff}'), Just('华')],
            0..6
        )
        .prop_map(|chars| chars.into_iter().collect()),
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn integer_keys_order_as_their_values(a: u64, b: u64, c: i64, d: i64, e: u32, f: u32) {
        check_order(a, b)?;
        check_order(c, d)?;
        check_order(e, f)?;
        check_order(c, c.wrapping_neg())?;
    }

    #[test]
    fn string_and_date_keys_order_as_their_values(a in text(), b in text(), c in date(), d in date()) {
        check_order(a.clone(), b.clone())?;
        check_order(c, d)?;
        check_order(a.clone(), format!("{a}{b}"))?;
    }

    #[test]
    fn tuple_keys_order_lexicographically(
        a in (text(), any::<i64>()), b in (text(), any::<i64>()),
        c in (any::<u32>(), text(), any::<u128>()), d in (any::<u32>(), text(), any::<u128>()),
    ) {
        check_order(a.clone(), b.clone())?;
        check_order((a.0.clone(), b.1), (a.0, a.1))?;
        let uuid = |(x, s, n): (u32, String, u128)| (x, s, Uuid::from_u128(n));
        let rep = |n: u128| (RepId::from_uuid(Uuid::from_u128(n)), String::from("2027-03"));
        check_order(rep(c.2), rep(d.2))?;
        check_order(uuid(c), uuid(d))?;
    }

    #[test]
    fn truncated_or_extended_keys_do_not_decode(a in text(), n in any::<u64>()) {
        let bytes = encoded(&(a.clone(), n));
        for len in 0..bytes.len() {
            prop_assert!(<(String, u64)>::from_key_bytes(&bytes[..len]).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        prop_assert!(<(String, u64)>::from_key_bytes(&longer).is_err());
    }
}

#[test]
fn values_are_postcard() {
    // A small, fixed encoding: varints, no field names.
    assert_eq!(
        encode_value("t", &300u64).expect("encodes"),
        vec![0xac, 0x02]
    );
}

// ---- shared tables: a reader sees its provider as of each record ----

/// For each follow-up, the region of the customer as the shared directory
/// places it at that record (its owner's region until a transfer).
const PLACED: Table<(CustomerId, u64), String> = Table::new("placed");

struct Placement;

impl TableProjector for Placement {
    const NAME: &'static str = "placement";
    const VERSION: u32 = 1;
    fn tables() -> &'static [&'static str] {
        &["placed"]
    }
    fn reads() -> &'static [&'static str] {
        directory::TABLES
    }
    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        if let Event::FollowUpRecorded(follow_up) = event {
            let region = directory::customer_region(tx, follow_up.customer_id)?;
            tx.put(&PLACED, &(follow_up.customer_id, record.position), &region)?;
        }
        Ok(())
    }
}

/// The placement after a code change.
struct PlacementV2;

impl TableProjector for PlacementV2 {
    const NAME: &'static str = Placement::NAME;
    const VERSION: u32 = 2;
    fn tables() -> &'static [&'static str] {
        Placement::tables()
    }
    fn reads() -> &'static [&'static str] {
        Placement::reads()
    }
    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        Placement::apply(tx, record, event)
    }
}

/// The directory after a code change (same fold).
struct DirectoryV2;

impl TableProjector for DirectoryV2 {
    const NAME: &'static str = DirectoryTables::NAME;
    const VERSION: u32 = DirectoryTables::VERSION + 1;
    fn tables() -> &'static [&'static str] {
        DirectoryTables::tables()
    }
    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        DirectoryTables::apply(tx, record, event)
    }
}

fn claim_event(customer_n: u32, rep_n: u32) -> (String, &'static str, u32, Value) {
    (
        format!("customer-{}", customer_uuid(customer_n)),
        "CustomerClaimed",
        1,
        json!({"customer_id": customer_uuid(customer_n), "rep_id": rep_uuid(rep_n),
               "claimed_at": "2027-03-01T02:00:00Z", "protected_until": "2027-03-31T02:00:00Z",
               "maximum_protected_until": "2027-06-01T02:00:00Z", "policy_version": 1}),
    )
}

fn transfer_event(customer_n: u32, from: u32, to: u32) -> (String, &'static str, u32, Value) {
    (
        format!("customer-{}", customer_uuid(customer_n)),
        "CustomerTransferred",
        1,
        json!({"customer_id": customer_uuid(customer_n), "from_rep_id": rep_uuid(from),
               "to_rep_id": rep_uuid(to), "transferred_by": "supervisor:s",
               "reason": "rebalancing", "transferred_at": "2027-03-05T02:00:00Z",
               "protected_until": "2027-04-05T02:00:00Z",
               "maximum_protected_until": "2027-06-05T02:00:00Z", "policy_version": 1}),
    )
}

fn release_event(customer_n: u32, rep_n: u32) -> (String, &'static str, u32, Value) {
    (
        format!("customer-{}", customer_uuid(customer_n)),
        "CustomerReleased",
        1,
        json!({"customer_id": customer_uuid(customer_n), "rep_id": rep_uuid(rep_n),
               "released_at": "2027-03-09T02:00:00Z"}),
    )
}

/// Reps in two regions; customers claimed, followed, transferred across
/// regions, followed again, released, followed again: each follow-up's
/// placement depends on the directory exactly at that record.
fn placement_history() -> Vec<(String, &'static str, u32, Value)> {
    let mut events = vec![rep_event(1, "Alice", "华东"), rep_event(2, "Bob", "华南")];
    for customer in 0..12 {
        events.push(claim_event(customer, 1));
        events.push(follow_up_event(
            customer_uuid(customer),
            1,
            "2027-03-02T02:00:00Z",
        ));
        events.push(transfer_event(customer, 1, 2));
        events.push(follow_up_event(
            customer_uuid(customer),
            2,
            "2027-03-06T02:00:00Z",
        ));
        events.push(release_event(customer, 2));
        events.push(follow_up_event(
            customer_uuid(customer),
            2,
            "2027-03-10T02:00:00Z",
        ));
    }
    events
}

/// The reference: the directory then the reader, record by record.
fn memory_dump_with_directory<P: TableProjector>(records: &[RecordedEvent]) -> (String, String) {
    let mut tables = MemoryTables::default();
    for record in records {
        tables.apply_with_directory::<P>(record).expect("folds");
    }
    let dump = |names: &[&str]| {
        let mut lines: Vec<(Vec<u8>, String)> = tables
            .rows()
            .filter(|(table, _, _)| names.contains(table))
            .map(|(table, key, value)| {
                let sort_key = [b"r/", table.as_bytes(), b"/", key].concat();
                (
                    sort_key,
                    format!("{table} {} {}\n", hex::encode(key), hex::encode(value)),
                )
            })
            .collect();
        lines.sort();
        lines.into_iter().map(|(_, line)| line).collect::<String>()
    };
    (dump(P::tables()), dump(DirectoryTables::tables()))
}

/// A runner of a reader and its provider in `dir`, folding pages of
/// `page_size` records one projector after the other and committing every
/// `commit_every_events`, caught up with the log.
async fn caught_up_lane<R: TableProjector, P: TableProjector>(
    store: &Arc<dyn Store>,
    dir: &Path,
    page_size: usize,
    commit_every_events: u64,
) -> TableRunner {
    let runner = TableRunner::builder(store.clone(), dir)
        .with::<R>()
        .with::<P>()
        .options(TableRunnerOptions {
            page_size,
            commit_every_events,
            parallel_from_records: 1,
            ..TableRunnerOptions::default()
        })
        .start()
        .await
        .expect("start");
    runner.wait_caught_up(WAIT).await.expect("caught up");
    runner
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_sees_the_shared_directory_as_of_each_record_whatever_the_page_size() {
    let (temp, store) = setup();
    append(&store, placement_history()).await;
    let records = whole_log(&store).await;
    let (reference, reference_directory) = memory_dump_with_directory::<Placement>(&records);
    // The history really moves customers between regions.
    for region in ["华东", "华南", "unassigned"] {
        assert!(
            reference.contains(&hex::encode(
                encode_value("placed", &region.to_owned()).expect("encodes")
            )),
            "{region} placements in {reference}"
        );
    }
    // Committed at the end, or after every page: then, while the lane is
    // behind, each commit is written while the next page folds, and the
    // rows it writes are read (as of each record) through it.
    let defaults = TableRunnerOptions::default().commit_every_events;
    for (n, (page_size, commit_every_events)) in [
        (1usize, defaults),
        (7, defaults),
        (1024, defaults),
        (1, 1),
        (3, 1),
        (7, 1),
    ]
    .into_iter()
    .enumerate()
    {
        let runner = caught_up_lane::<Placement, DirectoryTables>(
            &store,
            &temp.path().join(format!("tables-{n}")),
            page_size,
            commit_every_events,
        )
        .await;
        assert_eq!(
            runner.dump(Placement::NAME).expect("dump"),
            reference,
            "page size {page_size}, commits every {commit_every_events}"
        );
        assert_eq!(
            runner.dump(DirectoryTables::NAME).expect("dump"),
            reference_directory
        );
        // A view reads the shared tables through its reader too.
        let (region, _) = runner
            .read_with::<Placement, _>(|reader| {
                directory::rep_region(reader, RepId::from_uuid(rep_uuid(2)))
            })
            .expect("reads the directory");
        assert_eq!(region, "华南");
        runner.shutdown().await.expect("shutdown");
    }
}

/// A ranking a reader reads by range: a claim puts the customer at rank 1,
/// a transfer moves it to rank 0 (a deletion and a put), a release
/// deletes it.
const RANKED: Table<(u32, CustomerId), ()> = Table::new("ranked");

struct Ranking;

impl TableProjector for Ranking {
    const NAME: &'static str = "ranking";
    const VERSION: u32 = 1;
    fn tables() -> &'static [&'static str] {
        &["ranked"]
    }
    fn apply(
        tx: &mut Tx<'_>,
        _record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        match event {
            Event::CustomerClaimed(claim) => tx.put(&RANKED, &(1, claim.customer_id), &())?,
            Event::CustomerTransferred(transfer) => {
                tx.delete(&RANKED, &(1, transfer.customer_id))?;
                tx.put(&RANKED, &(0, transfer.customer_id), &())?;
            }
            Event::CustomerReleased(release) => tx.delete(&RANKED, &(0, release.customer_id))?,
            _ => {}
        }
        Ok(())
    }
}

/// At each follow-up, the first three rows of the ranking as it is at that
/// record (raw keys), as the risk list reads the first rows of health's
/// ranking at a close.
const TOP: Table<u64, Vec<Vec<u8>>> = Table::new("top");

struct TopThree;

impl TableProjector for TopThree {
    const NAME: &'static str = "top-three";
    const VERSION: u32 = 1;
    fn tables() -> &'static [&'static str] {
        &["top"]
    }
    fn reads() -> &'static [&'static str] {
        &["ranked"]
    }
    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        if let Event::FollowUpRecorded(_) = event {
            let top: Vec<Vec<u8>> = tx
                .raw_read()
                .range_raw("ranked", &[], None, 3)?
                .into_iter()
                .map(|(key, _)| key)
                .collect();
            tx.put(&TOP, &record.position, &top)?;
        }
        Ok(())
    }
}

/// Eight customers claimed, then some moved to the top rank and some
/// released, a follow-up after every change: the ranking holds up to
/// eight rows, so the first three are a truncated answer most of the time.
fn ranking_history() -> Vec<(String, &'static str, u32, Value)> {
    let mut events = vec![rep_event(1, "Alice", "华东"), rep_event(2, "Bob", "华南")];
    let follow_up =
        |customer_n: u32| follow_up_event(customer_uuid(customer_n), 1, "2027-03-02T02:00:00Z");
    for customer in [5, 2, 7, 0, 3, 6, 1, 4] {
        events.push(claim_event(customer, 1));
        events.push(follow_up(customer));
    }
    for customer in [6, 1, 3] {
        events.push(transfer_event(customer, 1, 2));
        events.push(follow_up(customer));
    }
    for (customer, rep) in [(1, 2), (6, 2), (3, 2), (0, 1)] {
        events.push(release_event(customer, rep));
        events.push(follow_up(customer));
    }
    events
}

/// A reader's range read of a provider's table (the first rows, at most a
/// limit) sees the rows as of its record, whatever the page size: not the
/// rows a later record of the page puts, and not the ones it deletes
/// before they are deleted; and the limit cuts the answer where a pure
/// fold's does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_readers_range_of_a_providers_rows_is_as_of_each_record_whatever_the_page_size() {
    let (temp, store) = setup();
    append(&store, ranking_history()).await;
    let records = whole_log(&store).await;
    let mut tables = MemoryTables::default();
    let mut largest = 0;
    for record in &records {
        tables.apply::<Ranking>(record).expect("folds");
        tables.apply::<TopThree>(record).expect("folds");
        let ranked = Reader::new(&mut tables)
            .range(&RANKED, None, None)
            .expect("reads");
        largest = largest.max(ranked.len());
    }
    let reference: Vec<(u64, Vec<Vec<u8>>)> = records
        .iter()
        .filter_map(|record| {
            Reader::new(&mut tables)
                .get(&TOP, &record.position)
                .expect("reads")
                .map(|top| (record.position, top))
        })
        .collect();
    // The ranking outgrows the limit, and the first three change as
    // customers are claimed, moved and released.
    assert_eq!(largest, 8);
    let distinct: BTreeSet<&Vec<Vec<u8>>> = reference.iter().map(|(_, top)| top).collect();
    assert!(distinct.len() >= 5, "{reference:?}");
    assert!(reference.iter().any(|(_, top)| top.len() < 3));
    assert!(reference.iter().filter(|(_, top)| top.len() == 3).count() >= 10);
    let defaults = TableRunnerOptions::default().commit_every_events;
    for (n, (page_size, commit_every_events)) in
        [(1usize, defaults), (5, defaults), (1024, defaults), (5, 1)]
            .into_iter()
            .enumerate()
    {
        let runner = caught_up_lane::<TopThree, Ranking>(
            &store,
            &temp.path().join(format!("top-{n}")),
            page_size,
            commit_every_events,
        )
        .await;
        let folded: Vec<(u64, Vec<Vec<u8>>)> = runner
            .read_with::<TopThree, _>(|rows| rows.range(&TOP, None, None))
            .expect("reads")
            .0;
        assert_eq!(
            folded, reference,
            "page size {page_size}, commits every {commit_every_events}"
        );
        runner.shutdown().await.expect("shutdown");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_rebuilt_alone_folds_a_private_directory_and_the_directory_resumes() {
    let (temp, store) = setup();
    append(&store, placement_history()).await;
    let dir = temp.path().join("tables");
    let runner = TableRunner::builder(store.clone(), &dir)
        .with::<DirectoryTables>()
        .with::<Placement>()
        .start()
        .await
        .expect("start");
    runner.wait_caught_up(WAIT).await.expect("caught up");
    runner.shutdown().await.expect("shutdown");
    let len = store.head().len;

    // The reader's version changes: it rebuilds from 0 reading a private
    // copy of the directory; the directory itself resumes at the head.
    let runner = TableRunner::builder(store.clone(), &dir)
        .with::<DirectoryTables>()
        .with::<PlacementV2>()
        .start()
        .await
        .expect("restart");
    let status = runner.status();
    let find = |name: &str| {
        status
            .iter()
            .find(|s| s.name == name)
            .expect("status")
            .clone()
    };
    assert_eq!(find(Placement::NAME).started_from, 0);
    assert_eq!(find(DirectoryTables::NAME).started_from, len);
    runner.wait_caught_up(WAIT).await.expect("caught up");
    // More history while both lanes follow the head.
    append(
        &store,
        vec![
            transfer_event(3, 2, 1),
            follow_up_event(customer_uuid(3), 1, "2027-03-12T02:00:00Z"),
        ],
    )
    .await;
    runner.wait_caught_up(WAIT).await.expect("caught up");
    let records = whole_log(&store).await;
    let (reference, reference_directory) = memory_dump_with_directory::<Placement>(&records);
    assert_eq!(runner.dump(Placement::NAME).expect("dump"), reference);
    assert_eq!(
        runner.dump(DirectoryTables::NAME).expect("dump"),
        reference_directory
    );
    runner.shutdown().await.expect("shutdown");

    // The directory's version changes: it rebuilds from 0 while the reader,
    // at the head, reads a private copy; both end equal to the reference.
    let runner = TableRunner::builder(store.clone(), &dir)
        .with::<DirectoryV2>()
        .with::<PlacementV2>()
        .start()
        .await
        .expect("restart");
    let status = runner.status();
    let find = |name: &str| {
        status
            .iter()
            .find(|s| s.name == name)
            .expect("status")
            .clone()
    };
    assert_eq!(find(DirectoryTables::NAME).started_from, 0);
    assert_eq!(find(Placement::NAME).started_from, store.head().len);
    append(
        &store,
        vec![
            transfer_event(4, 2, 1),
            follow_up_event(customer_uuid(4), 1, "2027-03-13T02:00:00Z"),
        ],
    )
    .await;
    runner.wait_caught_up(WAIT).await.expect("caught up");
    let records = whole_log(&store).await;
    let (reference, reference_directory) = memory_dump_with_directory::<Placement>(&records);
    assert_eq!(runner.dump(Placement::NAME).expect("dump"), reference);
    assert_eq!(
        runner.dump(DirectoryTables::NAME).expect("dump"),
        reference_directory
    );
    runner.shutdown().await.expect("shutdown");
}

/// Reads a table nobody writes.
struct Orphan;

impl TableProjector for Orphan {
    const NAME: &'static str = "orphan";
    const VERSION: u32 = 1;
    fn tables() -> &'static [&'static str] {
        &["mine"]
    }
    fn reads() -> &'static [&'static str] {
        &["nobody-writes-this"]
    }
    fn apply(_: &mut Tx<'_>, _: &RecordedEvent, _: &Event) -> Result<(), ProjectionError> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_of_a_table_nobody_writes_is_refused_at_start() {
    let (temp, store) = setup();
    let result = TableRunner::builder(store, temp.path().join("tables"))
        .with::<Orphan>()
        .start()
        .await;
    match result {
        Err(ReadModelError::Wiring(reason)) => {
            assert!(reason.contains("nobody-writes-this"), "{reason}")
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("started with a read nobody serves"),
    }
}

/// The directory with a bug: it cannot apply a follow-up of the marked
/// customer.
struct BrokenDirectory;

impl TableProjector for BrokenDirectory {
    const NAME: &'static str = DirectoryTables::NAME;
    const VERSION: u32 = DirectoryTables::VERSION;
    fn tables() -> &'static [&'static str] {
        DirectoryTables::tables()
    }
    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        match event {
            Event::FollowUpRecorded(follow_up) if follow_up.customer_id == marked_customer() => {
                Err(ProjectionError::CannotApply {
                    position: record.position,
                    reason: "marked customer".into(),
                })
            }
            _ => DirectoryTables::apply(tx, record, event),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_provider_stops_its_readers_at_the_same_position() {
    let (temp, store) = setup();
    append(&store, placement_history()).await;
    let before = store.head().len;
    append(
        &store,
        vec![follow_up_event(
            marked_customer().as_uuid(),
            1,
            "2027-03-11T02:00:00Z",
        )],
    )
    .await;
    append(
        &store,
        vec![follow_up_event(customer_uuid(1), 1, "2027-03-12T02:00:00Z")],
    )
    .await;
    let runner = TableRunner::builder(store.clone(), temp.path().join("tables"))
        .with::<BrokenDirectory>()
        .with::<Placement>()
        .with::<Counter>()
        .start()
        .await
        .expect("start");
    runner.wait_caught_up(WAIT).await.expect("caught up");
    let status = runner.status();
    let find = |name: &str| {
        status
            .iter()
            .find(|s| s.name == name)
            .expect("status")
            .clone()
    };
    let directory_failure = find(DirectoryTables::NAME)
        .failed
        .expect("the directory failed");
    assert_eq!(directory_failure.position, before);
    let placement = find(Placement::NAME);
    let failure = placement.failed.expect("the reader stopped");
    assert_eq!(failure.position, before);
    assert!(failure.reason.contains("directory"), "{}", failure.reason);
    assert_eq!(
        placement.committed.next_position, before,
        "what came before is committed"
    );
    assert!(
        find(Counter::NAME).failed.is_none(),
        "an independent projector goes on"
    );
    match runner.read_with::<Placement, _>(|reader| {
        reader.get(&PLACED, &(CustomerId::from_uuid(customer_uuid(0)), 3))
    }) {
        Err(ReadModelError::Failed { position, .. }) => assert_eq!(position, before),
        other => panic!("a failed view answers its failure: {other:?}"),
    }
    runner.shutdown().await.expect("shutdown");
}

/// The bytes a file takes on disk (its blocks: the room a redb file grew
/// by and never wrote takes none).
fn disk_bytes(path: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).expect("metadata").blocks() * 512
}

/// After a catch-up of at least `compact_after_records` records the
/// tables' file is compacted once: smaller on disk, the same rows, and the
/// runner resumes from it. Live following below the threshold does not
/// compact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_up_compacts_the_tables_and_keeps_every_row() {
    let (temp, store) = setup();
    append(&store, follow_ups(40_000, 10_000, 0)).await;
    let records = whole_log(&store).await;
    let dir = temp.path().join("tables");
    let file = dir.join("tables.redb");
    let options = TableRunnerOptions {
        page_size: 16,
        commit_every_events: 64,
        compact_after_records: 1_000,
        ..TableRunnerOptions::default()
    };
    let runner = TableRunner::builder(store.clone(), &dir)
        .with::<Counter>()
        .with::<Mover>()
        .options(options.clone())
        .start()
        .await
        .expect("start");
    runner.wait_caught_up(WAIT).await.expect("caught up");
    runner.stop().await.expect("stop");
    assert_eq!(
        runner.compactions().0,
        1,
        "one compaction after the catch-up"
    );
    assert_eq!(
        runner.dump(Counter::NAME).expect("dump"),
        memory_dump::<Counter>(&records)
    );
    assert_eq!(
        runner.dump(Mover::NAME).expect("dump"),
        memory_dump::<Mover>(&records)
    );
    runner.shutdown().await.expect("shutdown");
    let compacted = disk_bytes(&file);

    // The same fold without compaction leaves a larger file.
    let uncompacted_dir = temp.path().join("uncompacted");
    let runner = TableRunner::builder(store.clone(), &uncompacted_dir)
        .with::<Counter>()
        .with::<Mover>()
        .options(TableRunnerOptions {
            compact_after_records: u64::MAX,
            ..options.clone()
        })
        .start()
        .await
        .expect("start");
    runner.wait_caught_up(WAIT).await.expect("caught up");
    assert_eq!(runner.compactions().0, 0);
    runner.shutdown().await.expect("shutdown");
    let uncompacted = disk_bytes(&uncompacted_dir.join("tables.redb"));
    assert!(
        compacted < uncompacted * 3 / 4,
        "compacted {compacted} bytes on disk, not compacted {uncompacted}"
    );

    // Reopened, it resumes at the end with the same rows; a few live
    // records (below the threshold) do not compact again.
    let runner = TableRunner::builder(store.clone(), &dir)
        .with::<Counter>()
        .with::<Mover>()
        .options(options)
        .start()
        .await
        .expect("reopen");
    assert_eq!(runner.status()[0].started_from, records.len() as u64);
    append(&store, follow_ups(20, 5, 40_000)).await;
    runner.wait_caught_up(WAIT).await.expect("caught up");
    assert_eq!(runner.compactions().0, 0);
    let records = whole_log(&store).await;
    assert_eq!(
        runner.dump(Counter::NAME).expect("dump"),
        memory_dump::<Counter>(&records)
    );
    runner.shutdown().await.expect("shutdown");
}

// ---- a log that cannot be read for a while, or that skips a position ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_out_of_reach_for_a_while_delays_the_views_and_fails_none() {
    let (temp, store) = setup();
    append(&store, follow_ups(300, 20, 0)).await;
    let unsteady: Arc<dyn Store> = Arc::new(Unsteady::new(store.clone()).failing_log_reads(4));
    let runner = TableRunner::builder(unsteady.clone(), temp.path().join("tables"))
        .with::<Counter>()
        .start()
        .await
        .expect("start");
    let last = last_position(&whole_log(&store).await);
    runner
        .wait_for(Counter::NAME, last, WAIT)
        .await
        .expect("the view catches up once the log answers again");
    // And it goes on following the live log.
    append(&store, follow_ups(10, 20, 1)).await;
    let records = whole_log(&store).await;
    runner
        .wait_for(Counter::NAME, last_position(&records), WAIT)
        .await
        .expect("follows on");
    assert!(runner.status().iter().all(|status| status.failed.is_none()));
    assert_eq!(
        runner.dump(Counter::NAME).expect("dump"),
        memory_dump::<Counter>(&records)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_that_skips_a_position_stops_its_views_there() {
    let (temp, store) = setup();
    append(&store, follow_ups(50, 5, 0)).await;
    let hidden = 20;
    let unsteady: Arc<dyn Store> = Arc::new(Unsteady::new(store.clone()).hiding(hidden));
    let runner = TableRunner::builder(unsteady, temp.path().join("tables"))
        .with::<Counter>()
        .start()
        .await
        .expect("start");
    let last = last_position(&whole_log(&store).await);
    match runner.wait_for(Counter::NAME, last, WAIT).await {
        Err(ReadModelError::Failed {
            position, reason, ..
        }) => {
            assert_eq!(position, hidden);
            assert!(reason.contains("skips"), "{reason}");
        }
        other => panic!("expected the view to stop at the gap, got {other:?}"),
    }
}
