//! Offline work for analysts and auditors (SPEC C14, C15): rebuilding every
//! view from an exported log on another machine, and replaying a view as it
//! was at a past position or time, optionally under another health policy
//! (what-if).
//!
//! Both fold the same projectors `serve` runs (`crate::views`), so their
//! output equals the live views byte for byte for the same records.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use chrono::{DateTime, NaiveDate, Utc};
use salesledger_domain::health::{HealthPolicy, Level};
use salesledger_domain::value::CustomerId;
use salesledger_projections::health::HealthView;
use salesledger_projections::{decode_record, HealthScores, Projector};
use salesledger_store::{RecordedEvent, SledStore, Store, READ_PAGE};
use serde::Serialize;

/// Records imported per batch when rebuilding.
const IMPORT_BATCH: usize = 4_096;

/// `salesledger rebuild --from FILE --out DIR`: imports an export into a
/// fresh data directory's log (`DIR/log`, verifying the chain line by line, then again as
/// the store checks each batch extends its head), rebuilds every view into
/// `DIR/views`, and writes each view's model to `DIR/<view>.json`.
pub fn rebuild(from: &Path, out: &Path) -> anyhow::Result<()> {
    if out.exists()
        && std::fs::read_dir(out)
            .with_context(|| format!("reading {}", out.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} is not empty: rebuild needs a fresh directory",
            out.display()
        );
    }
    salesledger_store::private_fs::create_dir_all(out)
        .with_context(|| format!("creating {}", out.display()))?;
    crate::runtime()?.block_on(async {
        // The layout of a data directory: `serve --data OUT` serves it.
        let store = SledStore::open(out)?;
        let mut reader = salesledger_replay::audit::export::read_export(from)?;
        let bar = crate::progress::spinner("importing");
        let mut batch = Vec::with_capacity(IMPORT_BATCH);
        for record in reader.by_ref() {
            batch.push(record?);
            if batch.len() == IMPORT_BATCH {
                store.import(std::mem::take(&mut batch)).await?;
                bar.set_position(store.head().len);
            }
        }
        if !batch.is_empty() {
            store.import(batch).await?;
        }
        bar.finish_and_clear();
        let head = store.head();
        crate::outln!(
            "imported {} records, chain verified; head hash {}",
            head.len,
            head.last_hash.to_hex()
        )?;
        let shared: Arc<dyn Store> = Arc::new(store.clone());
        let runner = crate::views::runner_builder(shared, &out.join(crate::views::VIEWS_DIR))
            .start()
            .await?;
        let bar = crate::progress::bar(head.len, "rebuilding views");
        loop {
            let done = runner
                .status()
                .iter()
                .map(|status| status.checkpoint.next_position)
                .min()
                .unwrap_or(head.len);
            bar.set_position(done);
            if done >= head.len {
                break;
            }
            if let Some(stopped) = runner
                .status()
                .into_iter()
                .find(|status| status.stopped_because.is_some())
            {
                bail!(
                    "view {} stopped: {}",
                    stopped.name,
                    stopped.stopped_because.unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        bar.finish_and_clear();
        for status in runner.status() {
            let (json, _) = runner.read_json(status.name)?;
            let path = out.join(format!("{}.json", status.name));
            std::fs::write(&path, &json).with_context(|| format!("writing {}", path.display()))?;
            crate::outln!(
                "{:<16} {:>10} bytes  sha256 {}",
                status.name,
                json.len(),
                salesledger_store::Hash32::sha256(&json).to_hex()
            )?;
        }
        runner.shutdown().await?;
        store.close().await;
        anyhow::Ok(())
    })
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
/// it too). `replay --as-of` folds with it, and so do the gateway's
/// "as of" reads (`GET /v1/customers/{id}/ownership`, the responsibility
/// views with `as_of`), over the records of the subject's streams: one
/// definition of "the log as of T" (what it had recorded by then).
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

/// `salesledger replay --data DIR --view NAME [--position N | --as-of TIME]
/// [--weights FILE]`: prints the view as it was (its model as JSON, with
/// the last position folded). With `--weights` (health only), folds health
/// a second time with that policy in force throughout and prints which
/// customers would have had another level, from which day.
pub fn replay(
    data: &Path,
    view: &str,
    until: Until,
    weights: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut projector = crate::views::projectors()
        .into_iter()
        .find(|projector| projector.name() == view)
        .with_context(|| {
            format!(
                "no view named {view:?}; views: {}",
                crate::views::view_names().join(", ")
            )
        })?;
    let what_if = match weights {
        None => None,
        Some(_) if view != HealthScores::NAME => {
            bail!("--weights applies to the health view only")
        }
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let policy: HealthPolicy = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a health policy", path.display()))?;
            policy
                .validate()
                .with_context(|| format!("{} is not a valid health policy", path.display()))?;
            Some(policy)
        }
    };
    let mut alternative = HealthView::default();
    let last = crate::runtime()?.block_on(async {
        if !data.join("log").is_dir() {
            bail!(
                "{} holds no salesledger log (no log/ directory)",
                data.display()
            );
        }
        let store = SledStore::open(data)
            .with_context(|| format!("opening the log in {}", data.display()))?;
        let mut last = None;
        let mut position = 0;
        loop {
            let page = store.read_all(position, READ_PAGE).await?;
            let Some(tail) = page.last() else { break };
            position = tail.position + 1;
            let (folded, go_on) = fold_until(&page, until, |record, event| {
                projector.apply(record, event);
                if let Some(policy) = &what_if {
                    alternative.source.policy = Some(policy.clone());
                    HealthScores::apply(&mut alternative, record, event);
                }
            })?;
            last = folded.or(last);
            if !go_on {
                break;
            }
        }
        store.close().await;
        anyhow::Ok(last)
    })?;
    let model: serde_json::Value = serde_json::from_slice(&projector.model_json()?)?;
    let mut answer = serde_json::json!({ "view": view, "position": last, "data": model });
    if what_if.is_some() {
        let actual: HealthView = serde_json::from_slice(&projector.model_json()?)?;
        answer["what_if"] = serde_json::to_value(level_differences(&actual, &alternative))?;
    }
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
/// view, with the first day it does.
pub fn level_differences(actual: &HealthView, what_if: &HealthView) -> Vec<LevelDifference> {
    let mut differences = Vec::new();
    for (customer_id, health) in &what_if.customers {
        let actual_daily = actual
            .customers
            .get(customer_id)
            .map(|health| levels_by_day(&health.daily))
            .unwrap_or_default();
        let what_if_daily = levels_by_day(&health.daily);
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
        if let Some((first_day, actual, what_if)) = first {
            differences.push(LevelDifference {
                customer_id: *customer_id,
                first_day,
                actual,
                what_if,
                n_days,
            });
        }
    }
    differences
}

fn levels_by_day(
    daily: &[salesledger_projections::health::DailyEntry],
) -> BTreeMap<NaiveDate, Level> {
    daily.iter().map(|entry| (entry.day, entry.level)).collect()
}

/// The level in force on `day`: the last entry on or before it.
fn level_on(levels: &BTreeMap<NaiveDate, Level>, day: NaiveDate) -> Option<Level> {
    levels.range(..=day).next_back().map(|(_, level)| *level)
}
