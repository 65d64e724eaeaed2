//! `bench store`: group-commit appends at 1, 16 and 64 concurrent
//! appenders against sled with no flush (`raw_insert`), one
//! insert + flush + fdatasync per record (`raw_durable_1`) and the physical
//! limit of a durable log on this disk (`raw_wal_64`: 64 threads appending
//! the same record bytes to a plain file, one leader writing each batch and
//! calling `fdatasync` once for it); full-log read against a raw sled scan
//! + JSON decode of records of the same content.
//!
//! `ratio_64` compares durable appends with inserts that never touch the
//! disk, which no durable log can approach; `ratio_wal_64 = append_64 /
//! raw_wal_64` is the honest comparison.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use salesledger_store::{
    AppendMetadata, AppendRequest, ExpectedVersion, NewEvent, SledOptions, SledStore, Store,
    READ_PAGE,
};
use serde_json::json;
use uuid::Uuid;

use super::{emit, is_fresh};

/// A payload the size of a typical visit note event (~300-byte records).
pub(super) fn payload(n: u64) -> serde_json::Value {
    json!({
        "customer_id": Uuid::from_u128(u128::from(n % 427)).to_string(),
        "rep": format!("rep-{:04}", n % 40),
        "region": format!("region-{:02}", n % 17),
        "summary": "Visited the plant; ISO13485 audit in Q3, budget confirmed",
        "amount_cny": 125_000 + n,
    })
}

fn request(stream_id: &str, expected_version: ExpectedVersion, n: u64) -> AppendRequest {
    append_request(
        stream_id.to_owned(),
        expected_version,
        vec![NewEvent::new("VisitLogged", 1, &payload(n))],
    )
}

/// An append of `events` to `stream_id` by `rep:bench`, as its own command.
pub(super) fn append_request(
    stream_id: String,
    expected_version: ExpectedVersion,
    events: Vec<NewEvent>,
) -> AppendRequest {
    let command_id = Uuid::now_v7();
    AppendRequest {
        stream_id,
        expected_version,
        events,
        metadata: AppendMetadata {
            actor: "rep:bench".into(),
            command_id,
            correlation_id: command_id,
            causation_id: command_id,
        },
        idempotency: None,
    }
}

pub fn run(
    data_dir: &Path,
    n_events: u64,
    extra_appenders: &[u64],
    log_cache_mb: u64,
) -> anyhow::Result<()> {
    if n_events < 64 {
        bail!(crate::t!("cli-bench-events-at-least", n = 64));
    }
    if !is_fresh(data_dir) {
        bail!(
            "{} is not empty: the benchmark needs a fresh data directory",
            data_dir.display()
        );
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let parent = data_dir
        .canonicalize()?
        .parent()
        .map(Path::to_path_buf)
        .with_context(|| crate::t!("cli-bench-data-no-parent"))?;
    let raw_dir = crate::scratch::ScratchDir::new_in(".salesledger-bench-raw-", &parent)
        .with_context(|| crate::t!("cli-bench-creating-raw-dir"))?;
    println!("events={n_events}");
    println!("log_cache_mb={log_cache_mb}");

    let runtime = crate::runtime()?;
    let (append_1, append_16, append_64, read, store_stats, record_bytes) =
        runtime.block_on(async {
            let options = SledOptions::with_cache_mib(log_cache_mb);
            let store = Arc::new(SledStore::open_with(data_dir, options)?);
            let append_1 = append_phase(&store, "a1", 1, n_events).await?;
            let append_16 = append_phase(&store, "a16", 16, n_events).await?;
            let append_64 = append_phase(&store, "a64", 64, n_events).await?;
            for &n_appenders in extra_appenders.iter().filter(|n| **n > 0) {
                let rate =
                    append_phase(&store, &format!("x{n_appenders}"), n_appenders, n_events).await?;
                println!("append_{n_appenders}={rate:.0}");
            }
            let load = |counter: &std::sync::atomic::AtomicU64| {
                counter.load(std::sync::atomic::Ordering::Relaxed)
            };
            let n_batches = load(&store.stats().n_batches).max(1) as f64;
            println!(
                "writer_apply_us_per_batch={:.1}",
                load(&store.stats().apply_nanos) as f64 / n_batches / 1e3
            );
            println!(
                "writer_flush_us_per_batch={:.1}",
                load(&store.stats().flush_nanos) as f64 / n_batches / 1e3
            );
            println!(
                "writer_fdatasync_us_per_batch={:.1}",
                load(&store.stats().sync_nanos) as f64 / n_batches / 1e3
            );
            let stats = (
                store
                    .stats()
                    .n_batches
                    .load(std::sync::atomic::Ordering::Relaxed),
                store
                    .stats()
                    .n_syncs
                    .load(std::sync::atomic::Ordering::Relaxed),
                store
                    .stats()
                    .n_records
                    .load(std::sync::atomic::Ordering::Relaxed),
            );

            let (read, record_bytes) = read_phase(store.as_ref()).await?;
            store.close().await;
            anyhow::Ok((append_1, append_16, append_64, read, stats, record_bytes))
        })?;

    let raw = raw_baselines(raw_dir.path(), n_events)?;
    emit("append_1", append_1);
    emit("append_16", append_16);
    emit("append_64", append_64);
    emit("raw_insert", raw.insert);
    emit("raw_durable_1", raw.durable_1);
    emit("raw_wal_64", raw.wal_64);
    emit("ratio_64", append_64 / raw.insert);
    emit("ratio_wal_64", append_64 / raw.wal_64);
    emit("ratio_1", append_1 / raw.durable_1);
    emit("group_commit_gain", append_64 / append_1);
    emit("read", read);
    emit("raw_scan", raw.scan);
    emit("read_ratio", read / raw.scan);
    println!("record_bytes={record_bytes}");
    println!("raw_record_bytes={}", raw.record_bytes);
    println!("batches={}", store_stats.0);
    println!("fdatasyncs={}", store_stats.1);
    println!("records={}", store_stats.2);
    Ok(())
}

/// Appends `n_events` single-event appends from `n_appenders` concurrent
/// tasks, each on its own stream with exact expected versions; events/s.
pub(super) async fn append_phase<S: Store + ?Sized>(
    store: &Arc<S>,
    phase: &str,
    n_appenders: u64,
    n_events: u64,
) -> anyhow::Result<f64> {
    let bar = crate::progress::bar(n_events, &format!("append x{n_appenders}"));
    let (start_sender, start) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for appender_idx in 0..n_appenders {
        let store = store.clone();
        let bar = bar.clone();
        let mut start = start.clone();
        let stream_id = format!("bench-{phase}-{appender_idx}");
        let n_own = n_events / n_appenders + u64::from(appender_idx < n_events % n_appenders);
        // Requests are built before the clock starts: the figure is the
        // store's, not the payload generator's.
        let requests: Vec<AppendRequest> = (0..n_own)
            .map(|n| request(&stream_id, ExpectedVersion::Any, n))
            .collect();
        tasks.push(tokio::spawn(async move {
            start.wait_for(|started| *started).await?;
            let mut expected_version = ExpectedVersion::NoStream;
            for mut request in requests {
                request.expected_version = expected_version;
                let outcome = store.append(request).await?;
                expected_version = ExpectedVersion::Exact(outcome.last_version);
                bar.inc(1);
            }
            anyhow::Ok(())
        }));
    }
    timed_together(start_sender, tasks, bar, n_events).await
}

/// Reads the whole log page by page, decoding every payload: records per
/// second, and the stored size of the first record.
pub(super) async fn read_phase<S: Store + ?Sized>(store: &S) -> anyhow::Result<(f64, usize)> {
    let started = Instant::now();
    let mut n_read = 0u64;
    let mut n_payload_fields = 0usize;
    let mut record_bytes = 0usize;
    loop {
        let records = store.read_all(n_read, READ_PAGE).await?;
        if records.is_empty() {
            break;
        }
        for record in &records {
            let payload = record.payload.to_value()?;
            n_payload_fields += payload.as_object().map_or(0, |fields| fields.len());
        }
        if record_bytes == 0 {
            record_bytes = records[0].encode_stored().len();
        }
        n_read += records.len() as u64;
    }
    let read = n_read as f64 / started.elapsed().as_secs_f64();
    anyhow::ensure!(n_payload_fields > 0, "read decoded no payloads");
    Ok((read, record_bytes))
}

/// Releases `tasks` together (they wait for `start_sender`'s `true`) and
/// waits for them all: `n_events` per second of that.
pub(super) async fn timed_together(
    start_sender: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
    bar: indicatif::ProgressBar,
    n_events: u64,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    start_sender.send_replace(true);
    for task in tasks {
        task.await??;
    }
    bar.finish_and_clear();
    Ok(n_events as f64 / started.elapsed().as_secs_f64())
}

struct RawFigures {
    insert: f64,
    durable_1: f64,
    wal_64: f64,
    scan: f64,
    record_bytes: usize,
}

/// The same records' content as a JSON document of the same size class,
/// the form a naive log would store.
fn raw_record(n: u64) -> Vec<u8> {
    let event_id = Uuid::now_v7();
    serde_json::to_vec(&json!({
        "position": n,
        "event_id": event_id,
        "stream_id": format!("bench-raw-{}", n % 64),
        "stream_version": n / 64,
        "event_type": "VisitLogged",
        "schema_version": 1,
        "recorded_at": 1_764_000_000_000_000u64 + n,
        "actor": "rep:bench",
        "command_id": event_id,
        "correlation_id": event_id,
        "causation_id": event_id,
        "payload": payload(n),
    }))
    .unwrap_or_default()
}

fn raw_baselines(raw_dir: &Path, n_events: u64) -> anyhow::Result<RawFigures> {
    let records: Vec<Vec<u8>> = (0..n_events).map(raw_record).collect();
    let record_bytes = records.first().map_or(0, Vec::len);

    let insert_db = sled::open(raw_dir.join("insert"))?;
    let started = Instant::now();
    for (n, record) in records.iter().enumerate() {
        insert_db.insert((n as u64).to_be_bytes(), record.as_slice())?;
    }
    let insert = n_events as f64 / started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut n_scanned = 0u64;
    for entry in insert_db.iter() {
        let (_, value) = entry?;
        let decoded: serde_json::Value = serde_json::from_slice(&value)?;
        n_scanned += u64::from(decoded.is_object());
    }
    let scan = n_scanned as f64 / started.elapsed().as_secs_f64();
    drop(insert_db);

    let durable_path = raw_dir.join("durable");
    let durable_db = sled::open(&durable_path)?;
    let data_file = std::fs::File::open(durable_path.join("db"))?;
    let started = Instant::now();
    for (n, record) in records.iter().enumerate() {
        durable_db.insert((n as u64).to_be_bytes(), record.as_slice())?;
        durable_db.flush()?;
        data_file.sync_data()?;
    }
    let durable_1 = n_events as f64 / started.elapsed().as_secs_f64();
    drop(durable_db);

    let wal_64 = raw_wal(&raw_dir.join("wal"), records, 64)?;
    Ok(RawFigures {
        insert,
        durable_1,
        wal_64,
        scan,
        record_bytes,
    })
}

/// A plain append-only file with group commit: appenders queue their bytes;
/// whoever finds no write in progress becomes the leader, writes everything
/// queued with one `write` and makes it durable with one `fdatasync`, then
/// wakes the appenders it covered. No index, no checksums, no encoding: the
/// most a durable log can do on this disk at this concurrency.
struct GroupCommitFile {
    file: std::fs::File,
    state: std::sync::Mutex<WalState>,
    durable: std::sync::Condvar,
}

#[derive(Default)]
struct WalState {
    queued: Vec<u8>,
    n_queued: u64,
    n_durable: u64,
    writing: bool,
}

impl GroupCommitFile {
    fn append(&self, record: &[u8]) -> anyhow::Result<()> {
        use std::io::Write;
        let mut state = self
            .state
            .lock()
            .map_err(|_| anyhow::anyhow!("raw WAL lock poisoned"))?;
        state.queued.extend_from_slice(record);
        state.n_queued += 1;
        let own = state.n_queued;
        while state.n_durable < own {
            if state.writing {
                state = self
                    .durable
                    .wait(state)
                    .map_err(|_| anyhow::anyhow!("raw WAL lock poisoned"))?;
                continue;
            }
            state.writing = true;
            let batch = std::mem::take(&mut state.queued);
            let covered = state.n_queued;
            drop(state);
            let written = (&self.file)
                .write_all(&batch)
                .and_then(|()| self.file.sync_data());
            state = self
                .state
                .lock()
                .map_err(|_| anyhow::anyhow!("raw WAL lock poisoned"))?;
            state.writing = false;
            written?;
            state.n_durable = covered;
            self.durable.notify_all();
        }
        Ok(())
    }
}

/// Appends/s of `records` from `n_threads` threads to a [`GroupCommitFile`].
fn raw_wal(path: &Path, records: Vec<Vec<u8>>, n_threads: usize) -> anyhow::Result<f64> {
    let file = std::fs::OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    let wal = Arc::new(GroupCommitFile {
        file,
        state: Default::default(),
        durable: std::sync::Condvar::new(),
    });
    let n_records = records.len();
    let mut shares: Vec<Vec<Vec<u8>>> = (0..n_threads).map(|_| Vec::new()).collect();
    for (n, record) in records.into_iter().enumerate() {
        shares[n % n_threads].push(record);
    }
    let barrier = Arc::new(std::sync::Barrier::new(n_threads + 1));
    let threads: Vec<_> = shares
        .into_iter()
        .map(|share| {
            let wal = wal.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                share.iter().try_for_each(|record| wal.append(record))
            })
        })
        .collect();
    barrier.wait();
    let started = Instant::now();
    for thread in threads {
        thread
            .join()
            .map_err(|_| anyhow::anyhow!("a raw WAL appender panicked"))??;
    }
    Ok(n_records as f64 / started.elapsed().as_secs_f64())
}
