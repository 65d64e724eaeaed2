//! `bench projections`: a full rebuild of every read model against a raw
//! read + decode of the same log, in the same run.
//!
//! Building the log, one of two ways:
//!
//! - `--events N` (the default): the fixture year (SPEC section 4) is
//!   generated once through the command pipeline; it is then replayed as
//!   many times as needed to reach N, each copy with every UUID remapped
//!   (UUID v5 of the copy number and the original) and every other stream
//!   suffixed, so each copy adds customers, reps and leads of the same
//!   shape to one organisation: the organisation grows with N. There is
//!   one calendar: the copies' own `DayClosed` events are left out (the
//!   first copy's close every day for everyone; eleven calendars would
//!   close each day eleven times). Copies are appended concurrently (each
//!   copy in its own order), so group commits keep the set-up short.
//! - `--years K`: the fixture's organisation (the SPEC's 427 customers and
//!   40 reps) over K years of history, generated through the command
//!   pipeline as one history (no copies): the log grows with time at a
//!   fixed organisation size, the case in which a read model's memory
//!   must not grow with N.
//!
//! Measuring: a child process (this binary, `bench projections --measure
//! DIR`) opens the log, reads and decodes it all (`raw_scan=`, events/s),
//! rebuilds every table projector of `serve` (`views::table_runner_builder`)
//! from position 0 into a fresh directory (`rebuild=`), reads and decodes
//! again (the better scan is the baseline), and reports its own peak
//! resident memory (`peak_rss_mb=`), which the set-up does not pollute.
//! (The whole-model runner it was compared with is gone, issue 14.)
//!
//! It also reports `views_bytes` (the
//! tables' directory on disk after the rebuild), `log_bytes` (the log's
//! directory), `views_vs_log_bytes`, and `view_read_p99_ms`: the 99th
//! percentile of reads of the health view (a page of 100 accounts) and of
//! the penetration view (a page of 100 stores) from committed rows, made
//! back to back on another thread for as long as the rebuild runs.
//!
//! `rebuild=` is measured until every projector has committed the whole
//! log; the tables' database is then compacted once (a catch-up leaves
//! about half of its file free; commits wait while it runs, reads do
//! not): `compactions=`, `compact_ms=` and `rebuild_with_compaction=`
//! (events/s up to the end of the compaction). `views_bytes` is measured
//! after it, as files' lengths and as their blocks on disk
//! (`views_disk_bytes=`, `log_disk_bytes=`, `views_vs_log_disk_bytes=`:
//! redb's file grows in steps it may not have written yet).
//! `peak_rss_after_scan_mb=` is the peak after the first scan of the
//! log, before the rebuild (the log's share: its page cache and what it
//! keeps per page); `peak_rss_at_catch_up_mb=` is the peak when the rebuild is
//! caught up, before the compaction has gone far; `peak_rss_mb=` the
//! whole run's.
//!
//! `rebuild_cpu_ms=` is the CPU time of the whole process (every thread)
//! over the rebuild: what it cost, less swayed by the machine's load than
//! the rate. It includes the thread that reads the two views meanwhile
//! and the log's own background threads, so it slightly overstates the
//! rebuild's own cost.
//!
//! Per projector it prints `fold_ms_<name>` (time in its folds),
//! `fold_cpu_ms_<name>` (the CPU time of the threads that ran them: the
//! folds' cost without their waits for a core),
//! `commit_ms_<name>` (time in its commits) and `rows_committed_<name>`
//! (rows its commits wrote or deleted): where a rebuild's time goes; and,
//! for a projector whose fold keeps rows decoded between records
//! (`RowMemo`), `memo_hits_<name>` and `memo_misses_<name>`.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use futures_util::FutureExt;
use salesledger_commands::CommandService;
use salesledger_domain::stream::CALENDAR_STREAM;
use salesledger_fixtures::FixtureConfig;
use salesledger_store::{
    AppendMetadata, AppendRequest, ExpectedVersion, NewEvent, RecordedEvent, SledStore, Store,
    READ_PAGE,
};
use serde_json::Value;
use uuid::Uuid;

use super::{emit, is_fresh};

/// Namespace of the remapped ids of copies.
const COPY_NAMESPACE: Uuid = Uuid::from_u128(0x6265_6e63_6870_726f_6a65_6374_696f_6e73);

/// The file in a data directory that says a `--years K` build finished
/// there (its text: K).
const YEARS_MARK: &str = "bench-years";

/// Seed of the fixture year the log is built from.
const SEED: u64 = 7;

/// Copies appended at once.
const CONCURRENT_COPIES: usize = 64;

/// The memory the measured process may use for caches, as `serve` takes it.
#[derive(Clone, Copy, Debug)]
pub struct Caches {
    /// The log's sled page cache.
    pub log_mib: u64,
    pub views: crate::app::ViewCaches,
}

/// The read-model layer a run rebuilds: the keyed-table engine (the
/// whole-model runner `models` is gone, issue 14; the flag stays so
/// `--engine tables` keeps working).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    Tables,
}

/// How the benchmark's log is built (see the module's documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum History {
    /// The fixture year replicated until the log holds at least this many
    /// events, each copy a further slice of the organisation.
    Copies(u64),
    /// The fixture's organisation over this many years.
    Years(u32),
}

pub fn run(
    history: History,
    data: Option<&Path>,
    measure: Option<&Path>,
    engine: Engine,
    caches: Caches,
) -> anyhow::Result<()> {
    if let Some(dir) = measure {
        return crate::runtime()?.block_on(match engine {
            Engine::Tables => measure_tables(dir, caches).boxed(),
        });
    }
    let kept;
    let data_dir = match data {
        Some(dir) => dir.to_path_buf(),
        None => {
            kept = crate::scratch::ScratchDir::new("salesledger-bench-projections-")?;
            kept.path().to_path_buf()
        }
    };
    let existing = if is_fresh(&data_dir) {
        0
    } else {
        crate::runtime()?.block_on(async {
            let store = SledStore::open(&data_dir)?;
            let len = store.head().len;
            store.close().await;
            anyhow::Ok(len)
        })?
    };
    if existing == 0 {
        match history {
            History::Copies(n_events) => {
                crate::runtime()?.block_on(build_log(&data_dir, n_events))?
            }
            History::Years(years) => crate::runtime()?.block_on(build_years(&data_dir, years))?,
        }
    } else {
        // A kept log is measured again only as what it was built as: a
        // log of copies with enough events, or the same years (an
        // interrupted `--years` build left no mark, so it is refused too).
        let built_years = std::fs::read_to_string(data_dir.join(YEARS_MARK))
            .ok()
            .and_then(|text| text.trim().parse::<u32>().ok());
        let dir = data_dir.display();
        match (history, built_years) {
            (History::Copies(n_events), None) if existing < n_events => bail!(
                "{dir} holds {existing} events, fewer than --events {n_events}: use a fresh directory"
            ),
            (History::Copies(_), None) => {}
            (History::Years(years), Some(built)) if built == years => {}
            (_, Some(built)) => {
                bail!("{dir} holds the log of --years {built}: use a fresh directory")
            }
            (History::Years(years), None) => {
                bail!("{dir} holds a log that --years {years} did not build: use a fresh directory")
            }
        }
        println!("reusing the log in {dir} ({existing} events)");
    }
    let engine_name = match engine {
        Engine::Tables => "tables",
    };
    println!("engine={engine_name}");
    let mut child = Command::new(std::env::current_exe()?);
    child
        .args(["bench", "projections", "--engine", engine_name, "--measure"])
        .arg(&data_dir);
    println!("log_cache_mb={}", caches.log_mib);
    child.args(["--log-cache-mb", &caches.log_mib.to_string()]);
    let crate::app::ViewCaches {
        rows_mib,
        pages_mib,
    } = caches.views;
    println!("view_cache_mb={rows_mib}");
    println!("view_page_cache_mb={pages_mib}");
    child
        .args(["--view-cache-mb", &rows_mib.to_string()])
        .args(["--view-page-cache-mb", &pages_mib.to_string()]);
    let output = child
        .output()
        .with_context(|| crate::t!("cli-bench-running-child"))?;
    if !output.status.success() {
        bail!(
            "the measuring child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    print!("{}", String::from_utf8_lossy(&output.stdout));
    Ok(())
}

/// Generates the fixture year and replicates it into `data_dir` until it
/// holds at least `n_events` events.
async fn build_log(data_dir: &Path, n_events: u64) -> anyhow::Result<()> {
    let seed_dir = crate::scratch::ScratchDir::new("salesledger-bench-seed-")?;
    let started = Instant::now();
    let seed_store = SledStore::open(seed_dir.path())?;
    generate(
        &seed_store,
        &FixtureConfig::year(SEED),
        "fixture year (days)",
    )
    .await?;
    let mut source = Vec::new();
    let mut position = 0;
    loop {
        let page = seed_store.read_all(position, READ_PAGE).await?;
        let Some(last) = page.last() else { break };
        position = last.position + 1;
        source.extend(page);
    }
    seed_store.close().await;
    eprintln!(
        "fixture year: {} events generated in {:.1} s",
        source.len(),
        started.elapsed().as_secs_f64()
    );
    if source.is_empty() {
        bail!("the fixture year generated no events");
    }

    let n_copies = n_events.div_ceil(source.len() as u64);
    let store = Arc::new(SledStore::open(data_dir)?);
    let source = Arc::new(source);
    let bar = crate::progress::bar(n_copies * source.len() as u64, "replicating");
    let started = Instant::now();
    stream::iter(0..n_copies)
        .map(|copy| {
            let store = store.clone();
            let source = source.clone();
            let bar = bar.clone();
            async move { append_copy(&*store, &source, copy, &bar).await }
        })
        .buffer_unordered(CONCURRENT_COPIES)
        .try_collect::<Vec<()>>()
        .await?;
    bar.finish_and_clear();
    let len = store.head().len;
    eprintln!(
        "log built: {len} events ({n_copies} copies) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if let Ok(store) = Arc::try_unwrap(store) {
        store.close().await;
    }
    Ok(())
}

/// Generates `years` years of the fixture's organisation straight into
/// `data_dir`'s log, through the command pipeline.
async fn build_years(data_dir: &Path, years: u32) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = SledStore::open(data_dir)?;
    let config = FixtureConfig {
        days: 365 * years,
        ..FixtureConfig::year(SEED)
    };
    let summary = generate(&store, &config, "history (days)").await?;
    eprintln!(
        "log built: {} events, {years} years of {} customers and {} reps, in {:.1} s",
        store.head().len,
        summary.customer_ids.len(),
        summary.rep_ids.len(),
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    std::fs::write(data_dir.join(YEARS_MARK), format!("{years}\n"))?;
    Ok(())
}

/// Runs the fixture generator `config` into `store` through the command
/// pipeline, with a progress bar of its days.
async fn generate(
    store: &SledStore,
    config: &FixtureConfig,
    label: &'static str,
) -> anyhow::Result<salesledger_fixtures::FixtureSummary> {
    let service = CommandService::new(Arc::new(store.clone()));
    let bar = crate::progress::bar(u64::from(config.days), label);
    let summary = salesledger_fixtures::generate(&service, config, &|progress| {
        bar.set_position(u64::from(progress.day_number));
    })
    .await?;
    bar.finish_and_clear();
    Ok(summary)
}

/// Appends copy `copy` of `source`, one append per run of consecutive
/// events of one stream, in order.
async fn append_copy(
    store: &dyn Store,
    source: &[RecordedEvent],
    copy: u64,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<()> {
    let mut index = 0;
    while index < source.len() {
        let first = &source[index];
        if copy > 0 && first.stream_id == CALENDAR_STREAM {
            index += 1;
            bar.inc(1);
            continue;
        }
        let mut end = index + 1;
        while end < source.len()
            && source[end].stream_id == first.stream_id
            && source[end].command_id == first.command_id
        {
            end += 1;
        }
        let events = source[index..end]
            .iter()
            .map(|record| {
                let payload = remap(record.payload.to_value()?, copy);
                Ok(NewEvent::new(
                    record.event_type.clone(),
                    record.schema_version,
                    &payload,
                ))
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()?;
        store
            .append(AppendRequest {
                stream_id: remap_stream(&first.stream_id, copy),
                expected_version: ExpectedVersion::Any,
                events,
                metadata: AppendMetadata {
                    actor: first.actor.clone(),
                    command_id: remap_uuid(first.command_id, copy),
                    correlation_id: remap_uuid(first.correlation_id, copy),
                    causation_id: remap_uuid(first.causation_id, copy),
                },
                idempotency: None,
            })
            .await?;
        bar.inc((end - index) as u64);
        index = end;
    }
    Ok(())
}

fn remap_uuid(id: Uuid, copy: u64) -> Uuid {
    if copy == 0 {
        return id;
    }
    let mut name = copy.to_be_bytes().to_vec();
    name.extend_from_slice(id.as_bytes());
    Uuid::new_v5(&COPY_NAMESPACE, &name)
}

/// `kind-<uuid>` streams get the remapped id; others (configuration, the
/// calendar) a per-copy suffix.
fn remap_stream(stream_id: &str, copy: u64) -> String {
    if copy == 0 {
        return stream_id.to_owned();
    }
    match stream_id
        .split_once('-')
        .and_then(|(kind, raw)| Some((kind, Uuid::parse_str(raw).ok()?)))
    {
        Some((kind, id)) => format!("{kind}-{}", remap_uuid(id, copy)),
        None => format!("{stream_id}-copy{copy}"),
    }
}

/// Every string that is a UUID, anywhere in the payload, remapped.
fn remap(value: Value, copy: u64) -> Value {
    if copy == 0 {
        return value;
    }
    match value {
        Value::String(text) => match Uuid::parse_str(&text) {
            Ok(id) if text.len() == 36 => Value::String(remap_uuid(id, copy).to_string()),
            _ => Value::String(text),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(|v| remap(v, copy)).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, v)| (key, remap(v, copy)))
                .collect(),
        ),
        other => other,
    }
}

/// The child for `--engine tables`: scan, rebuild every table projector
/// while another thread reads two views, scan; sizes; peak memory.
async fn measure_tables(data_dir: &Path, caches: Caches) -> anyhow::Result<()> {
    use salesledger_projections::tables::{health, retail};
    use std::sync::atomic::{AtomicBool, Ordering};

    let store = SledStore::open_with(
        data_dir,
        salesledger_store::SledOptions::with_cache_mib(caches.log_mib),
    )?;
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    let n_events = store.head().len;
    println!("events={n_events}");
    let scan_1 = scan(&*shared).await?;
    // The log's own share: its page cache and what it keeps per page.
    let peak_rss_after_scan = peak_rss_mb();
    let views_dir = crate::scratch::ScratchDir::new("salesledger-bench-tables-")?;
    let started = Instant::now();
    let cpu_started = cpu_time::ProcessTime::try_now().ok();
    let runner = Arc::new(
        crate::views::table_runner_builder(shared.clone(), views_dir.path())
            .options(caches.views.runner_options())
            .start()
            .await?,
    );
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (runner, done) = (runner.clone(), done.clone());
        std::thread::spawn(move || {
            let mut latencies = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let at = Instant::now();
                let _ = runner.read_with::<health::HealthTables, _>(|rows| {
                    health::summaries_page(rows, None, 100).map(|(page, _)| page.len())
                });
                latencies.push(at.elapsed());
                let at = Instant::now();
                let _ = runner.read_with::<retail::RetailStoresTables, _>(|rows| {
                    Ok(
                        retail::penetration_page(rows, None, None, None, None, None, 100)
                            .map(|(page, _)| page.len())
                            .unwrap_or(0),
                    )
                });
                latencies.push(at.elapsed());
                std::thread::sleep(Duration::from_millis(5));
            }
            latencies
        })
    };
    runner.wait_caught_up(Duration::from_secs(3600)).await?;
    let rebuild_seconds = started.elapsed().as_secs_f64();
    let rebuild_cpu = cpu_started.and_then(|started| started.try_elapsed().ok());
    // The peak so far: the compaction that follows has not gone far yet.
    let peak_rss_at_catch_up = peak_rss_mb();
    done.store(true, Ordering::Relaxed);
    let mut latencies = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the reading thread panicked"))?;
    for status in runner.status() {
        let name = status.name.replace('-', "_");
        println!("fold_ms_{name}={}", status.fold_ms);
        println!("fold_cpu_ms_{name}={}", status.fold_cpu_ms);
        println!("commit_ms_{name}={}", status.commit_ms);
        println!("rows_committed_{name}={}", status.rows_committed);
        if status.memo_hits + status.memo_misses > 0 {
            println!("memo_hits_{name}={}", status.memo_hits);
            println!("memo_misses_{name}={}", status.memo_misses);
        }
        if let Some(failure) = status.failed {
            bail!(crate::t!(
                "cli-fold-view-stopped",
                view = status.name,
                position = failure.position,
                reason = failure.reason
            ));
        }
    }
    // The compaction that follows a catch-up runs after the last commit:
    // stopping the runner waits for it.
    runner.stop().await?;
    let compacted_seconds = started.elapsed().as_secs_f64();
    let (compactions, compact_ms) = runner.compactions();
    println!("compactions={compactions}");
    println!("compact_ms={compact_ms}");
    let runner =
        Arc::try_unwrap(runner).map_err(|_| anyhow::anyhow!("the runner is still shared"))?;
    runner.shutdown().await?;
    let scan_2 = scan(&*shared).await?;
    let raw_scan = n_events as f64 / scan_1.min(scan_2);
    let rebuild = n_events as f64 / rebuild_seconds;
    latencies.sort_unstable();
    let p99 = latencies
        .get((latencies.len() * 99 / 100).min(latencies.len().saturating_sub(1)))
        .map_or(f64::NAN, |latency| latency.as_secs_f64() * 1e3);
    let views_bytes = directory_bytes(views_dir.path());
    let log_bytes = directory_bytes(data_dir);
    emit("raw_scan", raw_scan);
    emit("rebuild", rebuild);
    emit("rebuild_vs_scan", rebuild / raw_scan);
    if let Some(cpu) = rebuild_cpu {
        println!("rebuild_cpu_ms={}", cpu.as_millis());
    }
    emit(
        "rebuild_with_compaction",
        n_events as f64 / compacted_seconds,
    );
    emit(
        "peak_rss_after_scan_mb",
        peak_rss_after_scan.unwrap_or(f64::NAN),
    );
    emit(
        "peak_rss_at_catch_up_mb",
        peak_rss_at_catch_up.unwrap_or(f64::NAN),
    );
    emit("peak_rss_mb", peak_rss_mb().unwrap_or(f64::NAN));
    println!("views_bytes={views_bytes}");
    println!("log_bytes={log_bytes}");
    emit(
        "views_vs_log_bytes",
        views_bytes as f64 / log_bytes.max(1) as f64,
    );
    let views_disk_bytes = directory_disk_bytes(views_dir.path());
    let log_disk_bytes = directory_disk_bytes(data_dir);
    println!("views_disk_bytes={views_disk_bytes}");
    println!("log_disk_bytes={log_disk_bytes}");
    emit(
        "views_vs_log_disk_bytes",
        views_disk_bytes as f64 / log_disk_bytes.max(1) as f64,
    );
    println!("view_reads={}", latencies.len());
    emit("view_read_p99_ms", p99);
    store.close().await;
    Ok(())
}

/// Bytes of every file under `dir`.
fn directory_bytes(dir: &Path) -> u64 {
    directory_sum(dir, &|meta| meta.len())
}

/// What the files below `dir` take on disk (their blocks: room a file
/// grew by and never wrote, as redb's, takes none).
fn directory_disk_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    directory_sum(dir, &|meta| meta.blocks() * 512)
}

fn directory_sum(dir: &Path, size: &dyn Fn(&std::fs::Metadata) -> u64) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => directory_sum(&entry.path(), size),
            Ok(meta) => size(&meta),
            Err(_) => 0,
        })
        .sum()
}

/// Seconds to read and decode every record.
async fn scan(store: &dyn Store) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut position = 0;
    let mut decoded = 0_u64;
    loop {
        let page = store.read_all(position, READ_PAGE).await?;
        let Some(last) = page.last() else { break };
        position = last.position + 1;
        for record in &page {
            if salesledger_projections::decode_record(record)?.is_some() {
                decoded += 1;
            }
        }
    }
    std::hint::black_box(decoded);
    Ok(started.elapsed().as_secs_f64())
}

/// This process's peak resident set (VmHWM), in MiB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
