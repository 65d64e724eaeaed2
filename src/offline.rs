//! Offline work for analysts and auditors (SPEC C14, C15): rebuilding every
//! view from an exported log on another machine, and replaying a view as it
//! was at a past position or time, optionally under another health policy
//! (what-if).
//!
//! Both fold the table projectors `serve` runs (`crate::views`) with the
//! table engine (`salesledger_replay::readmodel`), and answer each view
//! with the gateway's own read functions
//! ([`crate::views::whole`]), so their output is what the gateway
//! answers for the same records.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use chrono::{DateTime, NaiveDate, Utc};
use salesledger_domain::health::{HealthPolicy, Level};
use salesledger_domain::value::CustomerId;
use salesledger_projections::decode_record;
use salesledger_projections::health::DailyEntry;
use salesledger_projections::tables::health::{self, HealthTables};
use salesledger_projections::tables::TableProjector;
use salesledger_replay::readmodel::{TableRunner, TableRunnerBuilder, TableRunnerOptions};
use salesledger_store::{RecordedEvent, SledStore, Store, READ_PAGE};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Records imported per batch when rebuilding.
const IMPORT_BATCH: usize = 4_096;

/// How long a fold may take before the offline tools give up.
const FOLD_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// What `rebuild` writes besides the log and the tables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum RebuildFormat {
    /// Each view's answer as `DIR/<view>.json`.
    #[default]
    Json,
    /// Every table of every view as `DIR/parquet/<projector>.<table>.parquet`
    /// with `DIR/parquet/tables.json` ([`crate::analytics::tables`]).
    Parquet,
}

/// How `rebuild` runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct RebuildOptions {
    pub format: RebuildFormat,
    /// Replace an earlier rebuild in `out` instead of refusing a directory
    /// that is not empty.
    pub force: bool,
}

/// `salesledger rebuild --from FILE --out DIR [--format json|parquet]
/// [--force]`: imports an export into a fresh data directory's log
/// (`DIR/log`, verifying the chain line by line, then again as the store
/// checks each batch extends its head), folds every table projector
/// `serve` runs into `DIR/tables` (so `serve --data DIR` starts without
/// folding again), then writes the outputs: each view's answer to
/// `DIR/<view>.json` ([`write_json_views`]), or with `parquet` every
/// table as Parquet under `DIR/parquet` ([`crate::analytics::tables`]).
/// A directory that is not empty is refused unless `force`, which first
/// removes what an earlier rebuild wrote there; a directory holding
/// anything else (a served data directory: its signing key, tokens,
/// blobs...) is refused even then. A rebuild that fails (a tampered
/// export, a view that cannot fold) removes what it wrote, so no partial
/// log is left for `serve --data DIR` to serve.
pub fn rebuild(from: &Path, out: &Path, options: RebuildOptions) -> anyhow::Result<()> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out)
            .with_context(|| crate::t!("cli-reading", path = out.display()))?
            .map(|entry| entry.map(|entry| entry.file_name().to_string_lossy().into_owned()))
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| crate::t!("cli-reading", path = out.display()))?;
        if !entries.is_empty() {
            if !options.force {
                bail!(crate::t!("cli-rebuild-not-empty", path = out.display()));
            }
            entries.retain(|name| !is_rebuild_output(name));
            entries.sort();
            if !entries.is_empty() {
                bail!(crate::t!(
                    "cli-rebuild-not-a-rebuild",
                    path = out.display(),
                    names = entries.join(", ")
                ));
            }
            remove_earlier_rebuild(out)?;
        }
    }
    salesledger_store::private_fs::create_dir_all(out)
        .with_context(|| crate::t!("cli-creating", path = out.display()))?;
    let rebuilt = rebuild_into(from, out, options);
    if rebuilt.is_err() {
        if let Err(error) = remove_earlier_rebuild(out) {
            tracing::warn!(error = %format!("{error:#}"), "removing a failed rebuild's files");
        }
    }
    rebuilt
}

/// Whether `name`, an entry of a rebuild's directory, is one a rebuild
/// writes.
fn is_rebuild_output(name: &str) -> bool {
    name == "log"
        || name == crate::views::TABLES_DIR
        || name == crate::analytics::tables::PARQUET_DIR
        || crate::views::view_names()
            .iter()
            .any(|view| name == format!("{view}.json"))
}

fn rebuild_into(from: &Path, out: &Path, options: RebuildOptions) -> anyhow::Result<()> {
    crate::runtime()?.block_on(async {
        // The layout of a data directory: `serve --data OUT` serves it.
        let store = import(from, out).await?;
        let shared: Arc<dyn Store> = Arc::new(store.clone());
        let tables = out.join(crate::views::TABLES_DIR);
        let end = store.head().len;
        let runner = fold(
            crate::views::table_runner_builder(shared, &tables),
            end,
            &crate::t!("cli-progress-rebuilding"),
        )
        .await?;
        match options.format {
            RebuildFormat::Json => write_json_views(&runner, out)?,
            RebuildFormat::Parquet => write_parquet_tables(&runner, end, out)?,
        }
        runner.shutdown().await?;
        store.close().await;
        anyhow::Ok(())
    })
}

/// Removes from `out` what a rebuild writes there (the log, the tables,
/// the views' JSON and the Parquet directory's files), nothing else.
fn remove_earlier_rebuild(out: &Path) -> anyhow::Result<()> {
    for dir in ["log", crate::views::TABLES_DIR] {
        let path = out.join(dir);
        if path.is_dir() {
            std::fs::remove_dir_all(&path)
                .with_context(|| crate::t!("cli-removing", path = path.display()))?;
        }
    }
    for view in crate::views::view_names() {
        let path = out.join(format!("{view}.json"));
        if path.is_file() {
            std::fs::remove_file(&path)
                .with_context(|| crate::t!("cli-removing", path = path.display()))?;
        }
    }
    let parquet = out.join(crate::analytics::tables::PARQUET_DIR);
    if parquet.is_dir() {
        crate::analytics::prepare_out_dir(&parquet, true, crate::analytics::tables::is_ours)?;
    }
    Ok(())
}

/// The Parquet output of a rebuild: every table in `out/parquet`, with a
/// progress bar over the tables; prints the directory and counts.
fn write_parquet_tables(runner: &TableRunner, end: u64, out: &Path) -> anyhow::Result<()> {
    let dir = out.join(crate::analytics::tables::PARQUET_DIR);
    let bar = crate::progress::bar(0, &crate::t!("cli-progress-writing-tables"));
    let manifest =
        crate::analytics::tables::write_tables(runner, end, &dir, true, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        });
    bar.finish_and_clear();
    let manifest = manifest?;
    let files = manifest
        .tables
        .iter()
        .filter(|table| table.file.is_some())
        .count();
    crate::say!(
        "cli-rebuild-wrote-parquet",
        path = dir.display(),
        tables = manifest.tables.len(),
        files = files,
        rows = manifest.tables.iter().map(|table| table.rows).sum::<u64>()
    )?;
    Ok(())
}

/// Imports the export `from` into the log of the data directory `out`,
/// verifying it: a tampered line stops the import naming its position.
async fn import(from: &Path, out: &Path) -> anyhow::Result<SledStore> {
    let store = SledStore::open(out)?;
    let mut reader = salesledger_replay::audit::export::read_export(from)
        .map_err(crate::i18n::errors::audit_error)?;
    let bar = crate::progress::spinner(&crate::t!("cli-progress-importing"));
    let mut batch = Vec::with_capacity(IMPORT_BATCH);
    for record in reader.by_ref() {
        batch.push(record.map_err(crate::i18n::errors::audit_error)?);
        if batch.len() == IMPORT_BATCH {
            store
                .import(std::mem::take(&mut batch))
                .await
                .map_err(crate::i18n::errors::store_error)?;
            bar.set_position(store.head().len);
        }
    }
    if !batch.is_empty() {
        store
            .import(batch)
            .await
            .map_err(crate::i18n::errors::store_error)?;
    }
    bar.finish_and_clear();
    let head = store.head();
    crate::say!(
        "cli-rebuild-imported",
        n = head.len,
        head = head.last_hash.to_hex()
    )?;
    Ok(store)
}

/// Starts `builder` and waits, with a progress bar, until every projector
/// has committed the records before `end`; a projector that fails stops
/// the fold naming it and the position.
async fn fold(builder: TableRunnerBuilder, end: u64, what: &str) -> anyhow::Result<TableRunner> {
    let runner = builder.start().await?;
    let bar = crate::progress::bar(end, what);
    let started = std::time::Instant::now();
    loop {
        let status = runner.status();
        if let Some((name, failure)) = status
            .iter()
            .find_map(|status| Some((status.name, status.failed.clone()?)))
        {
            bar.finish_and_clear();
            bail!(crate::t!(
                "cli-fold-view-stopped",
                view = name,
                position = failure.position,
                reason = crate::i18n::errors::failure_cause(&failure.cause)
            ));
        }
        let done = status
            .iter()
            .map(|status| status.committed.next_position)
            .min()
            .unwrap_or(end);
        bar.set_position(done.min(end));
        if done >= end {
            break;
        }
        if started.elapsed() > FOLD_TIMEOUT {
            bail!(crate::t!(
                "cli-fold-timeout",
                timeout = format!("{FOLD_TIMEOUT:?}")
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bar.finish_and_clear();
    Ok(runner)
}

/// The JSON output of a rebuild: each view's whole answer (what the
/// gateway answers for it, [`crate::views::whole`]) in
/// `out/<view>.json`, written as it is read, with its size and SHA-256
/// printed.
pub fn write_json_views(runner: &TableRunner, out: &Path) -> anyhow::Result<()> {
    for view in crate::views::view_names() {
        let path = out.join(format!("{view}.json"));
        let file = std::fs::File::create(&path)
            .with_context(|| crate::t!("cli-creating", path = path.display()))?;
        let mut writer = HashingWriter {
            inner: std::io::BufWriter::new(file),
            hasher: Sha256::new(),
            n_bytes: 0,
        };
        crate::views::whole::answer_to(runner, view, &mut writer)
            .with_context(|| crate::t!("cli-writing", path = path.display()))?;
        let file = writer
            .inner
            .into_inner()
            .map_err(|error| error.into_error())
            .with_context(|| crate::t!("cli-writing", path = path.display()))?;
        file.sync_all()
            .with_context(|| crate::t!("cli-writing", path = path.display()))?;
        crate::outln!(
            "{:<16} {:>10} bytes  sha256 {}",
            view,
            writer.n_bytes,
            salesledger_store::Hash32(writer.hasher.finalize().into()).to_hex()
        )?;
    }
    Ok(())
}

/// A writer that hashes and counts what goes through it.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    n_bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(bytes)?;
        let written = bytes.get(..n).unwrap_or_default();
        self.hasher.update(written);
        self.n_bytes += written.len() as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Where a replay stops.
#[derive(Clone, Copy, Debug)]
pub enum Until {
    /// Every record (the view as it is now).
    End,
    /// Records up to and including this position.
    Position(u64),
    /// Records the log recorded at or before this time.
    Time(DateTime<Utc>),
}

impl Until {
    fn includes(&self, record: &RecordedEvent) -> bool {
        match self {
            Until::End => true,
            Until::Position(last) => record.position <= *last,
            Until::Time(time) => record.recorded_at <= *time,
        }
    }
}

/// Folds `records` (in log order) into `apply` up to `until`, decoded
/// (records of other modules are skipped). Answers the last position it
/// went through, or `None` for none, and whether the fold may go on:
/// `false` once a record past `until` was met (every later record is past
/// it too). The gateway's "as of" reads fold with it
/// (`GET /v1/customers/{id}/ownership`, the responsibility views with
/// `as_of`), over the records of the subject's streams, and `replay`
/// stops its table fold at the same record (`end_of`): one definition of
/// "the log as of T" (what it had recorded by then).
pub fn fold_until(
    records: &[RecordedEvent],
    until: Until,
    mut apply: impl FnMut(&RecordedEvent, &salesledger_domain::Event),
) -> Result<(Option<u64>, bool), salesledger_projections::ProjectionError> {
    let mut last = None;
    for record in records {
        if !until.includes(record) {
            return Ok((last, false));
        }
        if let Some(event) = decode_record(record)? {
            apply(record, &event);
        }
        last = Some(record.position);
    }
    Ok((last, true))
}

/// Where the records `until` takes end: the position after the last of
/// them (0 for none), by [`Until::includes`], the one definition (log
/// order up to the first record past it, as [`fold_until`] stops).
async fn end_of(store: &dyn Store, until: Until) -> anyhow::Result<u64> {
    let head = store.head().len;
    match until {
        Until::End => return Ok(head),
        Until::Position(last) => return Ok(last.saturating_add(1).min(head)),
        Until::Time(_) => {}
    }
    let mut position = 0;
    loop {
        let page = store.read_all(position, READ_PAGE).await?;
        let Some(tail) = page.last() else {
            return Ok(position);
        };
        if let Some(past) = page.iter().find(|record| !until.includes(record)) {
            return Ok(past.position);
        }
        position = tail.position + 1;
    }
}

/// `salesledger replay --data DIR --view NAME [--position N | --as-of TIME]
/// [--weights FILE]`: folds the view's table projectors (and those whose
/// tables they read) over the log up to the position or time into a
/// scratch directory, and prints the view's whole answer (as
/// `rebuild` writes it: `{view, position, data}`, `position` the last
/// record folded). With `--weights` (health only), folds health a second
/// time with that policy in force throughout ([`health::POLICY_OVERRIDE`])
/// and adds `what_if`: which customers would have had another level, from
/// which day ([`LevelDifference`]).
pub fn replay(
    data: &Path,
    view: &str,
    until: Until,
    weights: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let views = crate::views::view_names();
    if !views.contains(&view) {
        bail!(crate::t!(
            "cli-replay-no-view",
            view = format!("{view:?}"),
            views = views.join(", ")
        ));
    }
    let what_if = match weights {
        None => None,
        Some(_) if view != HealthTables::NAME => {
            bail!(crate::t!("cli-replay-weights-health-only", view = view))
        }
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| crate::t!("cli-reading", path = path.display()))?;
            let policy: HealthPolicy = serde_json::from_str(&text)
                .with_context(|| crate::t!("cli-replay-not-a-policy", path = path.display()))?;
            policy
                .validate()
                .with_context(|| crate::t!("cli-replay-invalid-policy", path = path.display()))?;
            Some(policy)
        }
    };
    let answer = crate::runtime()?.block_on(async {
        if !data.join("log").is_dir() {
            bail!(crate::t!("cli-no-log", dir = data.display()));
        }
        let store = SledStore::open(data)
            .with_context(|| crate::t!("cli-opening-log", dir = data.display()))?;
        let shared: Arc<dyn Store> = Arc::new(store.clone());
        let end = end_of(&*shared, until).await?;
        let scratch = crate::scratch::ScratchDir::new("salesledger-replay-")
            .with_context(|| crate::t!("cli-creating-scratch"))?;
        let options = TableRunnerOptions {
            stop_before: Some(end),
            // A scratch directory, removed after the answer: compacting it
            // would only cost time and memory.
            compact_after_records: u64::MAX,
            ..TableRunnerOptions::default()
        };
        let runner = fold(
            crate::views::table_runner_builder_for(
                shared.clone(),
                &scratch.path().join("as-of"),
                &[view],
            )
            .options(options.clone()),
            end,
            &crate::t!("cli-progress-replaying"),
        )
        .await?;
        let json = crate::views::whole::answer(&runner, view)?;
        let mut answer: serde_json::Value = serde_json::from_slice(&json)?;
        if let Some(policy) = &what_if {
            let alternative = fold(
                crate::views::table_runner_builder_for(
                    shared.clone(),
                    &scratch.path().join("what-if"),
                    &[HealthTables::NAME],
                )
                .options(options)
                .seed::<HealthTables, _, _>(
                    &health::POLICY_OVERRIDE,
                    &(),
                    policy,
                )?,
                end,
                &crate::t!("cli-progress-what-if"),
            )
            .await?;
            answer["what_if"] = serde_json::to_value(level_differences(&runner, &alternative)?)?;
            alternative.shutdown().await?;
        }
        runner.shutdown().await?;
        drop(shared);
        store.close().await;
        anyhow::Ok(answer)
    })?;
    serde_json::to_writer_pretty(&mut *out, &answer)?;
    writeln!(out)?;
    Ok(())
}

/// One customer whose level would have differed under another policy.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct LevelDifference {
    pub customer_id: CustomerId,
    /// The first closed day on which the levels differ.
    pub first_day: NaiveDate,
    pub actual: Level,
    pub what_if: Level,
    /// Closed days (among those where either score changed) on which the
    /// levels differ.
    pub n_days: usize,
}

/// Customers whose daily level differs between two folds of the health
/// tables (`actual`, `what_if`), with the first day it does, by customer
/// id; one customer's score history at a time from each.
pub fn level_differences(
    actual: &TableRunner,
    what_if: &TableRunner,
) -> anyhow::Result<Vec<LevelDifference>> {
    let mut differences = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = what_if.page::<HealthTables, CustomerId, health::CustomerState>(
            &health::CUSTOMERS,
            cursor.as_deref(),
            salesledger_replay::readmodel::MAX_PAGE_LIMIT,
        )?;
        for (customer_id, _) in &page.rows {
            let daily = |runner: &TableRunner| {
                runner
                    .read_with::<HealthTables, _>(|rows| health::daily_of(rows, *customer_id))
                    .map(|(daily, _)| daily)
            };
            if let Some(difference) =
                level_difference(*customer_id, &daily(actual)?, &daily(what_if)?)
            {
                differences.push(difference);
            }
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(differences)
}

/// Whether one customer's daily levels differ between two score histories
/// (changes only: the level on a day is the last entry on or before it),
/// over the days either history names.
fn level_difference(
    customer_id: CustomerId,
    actual: &[DailyEntry],
    what_if: &[DailyEntry],
) -> Option<LevelDifference> {
    let actual_daily = levels_by_day(actual);
    let what_if_daily = levels_by_day(what_if);
    let days: std::collections::BTreeSet<NaiveDate> = actual_daily
        .keys()
        .chain(what_if_daily.keys())
        .copied()
        .collect();
    let mut first: Option<(NaiveDate, Level, Level)> = None;
    let mut n_days = 0;
    for day in days {
        let (Some(a), Some(w)) = (level_on(&actual_daily, day), level_on(&what_if_daily, day))
        else {
            continue;
        };
        if a != w {
            n_days += 1;
            first.get_or_insert((day, a, w));
        }
    }
    first.map(|(first_day, actual, what_if)| LevelDifference {
        customer_id,
        first_day,
        actual,
        what_if,
        n_days,
    })
}

fn levels_by_day(daily: &[DailyEntry]) -> BTreeMap<NaiveDate, Level> {
    daily.iter().map(|entry| (entry.day, entry.level)).collect()
}

/// The level in force on `day`: the last entry on or before it.
fn level_on(levels: &BTreeMap<NaiveDate, Level>, day: NaiveDate) -> Option<Level> {
    levels.range(..=day).next_back().map(|(_, level)| *level)
}
