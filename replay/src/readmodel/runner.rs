//! [`TableRunner`]: opens each projector's tree (resume, or rebuild on a
//! version change), runs one task per lane, and answers reads from
//! committed rows. See the module documentation of [`super`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use salesledger_projections::decode_record;
use salesledger_projections::tables::{
    valid_name, RawRead, RawRows, Reader, Table, TableError, TableKey, TableProjector,
};
use salesledger_store::{Store, StoreError};
use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::disk::{self, Disk, ReadPoint, Snapshot, Tree};
use super::fold::{
    commit_lane, commit_parts, fold_page, row_key, scan, ApplyFn, CommitPart, Decoded, Folder,
};
use super::{
    Checkpoint, Failure, FailureCause, Page, ReadModelError, TableProjectorStatus,
    TableRunnerOptions, CHECKPOINT_KEY, FORMAT_KEY, FORMAT_VALUE, MAX_PAGE_LIMIT, ROWS_PREFIX,
    VERSION_KEY,
};

#[derive(Clone, Copy)]
struct Spec {
    name: &'static str,
    version: u32,
    tables: &'static [&'static str],
    reads: &'static [&'static str],
    apply: ApplyFn,
}

/// A lane's folders: the runner slot of each (`None` for a lane's private
/// copy of a provider), sorted by tier.
type Lane = Vec<(Option<usize>, Folder)>;

/// The prefix of the scratch trees of private provider copies.
const PRIVATE_TREE_PREFIX: &str = "tables/~";

#[derive(Clone, Debug, Default)]
struct Progress {
    committed: Checkpoint,
    applied: Checkpoint,
    failed: Option<Failure>,
    cache_bytes: usize,
    cache_peak_bytes: usize,
    fold_ms: u64,
    fold_cpu_ms: u64,
    commit_ms: u64,
    rows_committed: u64,
    memo_hits: u64,
    memo_misses: u64,
}

struct Slot {
    name: &'static str,
    version: u32,
    tables: &'static [&'static str],
    spec: Spec,
    tree: Tree,
    started_from: u64,
    rebuilt_because: Option<String>,
    progress: watch::Sender<Progress>,
}

struct Shared {
    disk: Arc<Disk>,
    /// Compactions done ([`compact`]) and the time they took.
    compactions: AtomicU64,
    compact_nanos: AtomicU64,
    slots: Vec<Slot>,
    options: TableRunnerOptions,
}

impl Shared {
    fn slot(&self, name: &str) -> Result<&Slot, ReadModelError> {
        self.slots
            .iter()
            .find(|slot| slot.name == name)
            .ok_or_else(|| ReadModelError::UnknownProjector(name.to_owned()))
    }

    /// The slot of the projector that writes `table`.
    fn writer_of(&self, table: &str) -> Option<&Slot> {
        self.slots.iter().find(|slot| slot.tables.contains(&table))
    }
}

/// Builds a [`TableRunner`].
pub struct TableRunnerBuilder {
    store: Arc<dyn Store>,
    directory: PathBuf,
    specs: Vec<Spec>,
    options: TableRunnerOptions,
    seeds: Vec<Seed>,
}

/// A row written into a projector's tables before its first record
/// ([`TableRunnerBuilder::seed`]).
struct Seed {
    projector: &'static str,
    table: &'static str,
    key: Vec<u8>,
    value: Vec<u8>,
}

impl TableRunnerBuilder {
    /// Adds a table projector.
    pub fn with<P: TableProjector>(mut self) -> Self {
        self.specs.push(Spec {
            name: P::NAME,
            version: P::VERSION,
            tables: P::tables(),
            reads: P::reads(),
            apply: P::apply,
        });
        self
    }

    pub fn options(mut self, options: TableRunnerOptions) -> Self {
        self.options = options;
        self
    }

    /// Writes a row into projector `P`'s table before it folds its first
    /// record: a parameter of the fold kept in its own tables (the health
    /// what-if's policy override, `replay --weights`). Only for a
    /// projector built from position 0: [`TableRunnerBuilder::start`]
    /// refuses seeds for one that resumes from stored tables (they would
    /// not have been folded with the seed in force).
    pub fn seed<P: TableProjector, K: TableKey, V: serde::Serialize>(
        mut self,
        table: &Table<K, V>,
        key: &K,
        value: &V,
    ) -> Result<Self, ReadModelError> {
        if !P::tables().contains(&table.name()) {
            return Err(TableError::Undeclared(table.name()).into());
        }
        self.seeds.push(Seed {
            projector: P::NAME,
            table: table.name(),
            key: key.to_key_bytes(),
            value: salesledger_projections::tables::encode_value(table.name(), value)?,
        });
        Ok(self)
    }

    /// Opens the database, resumes or rebuilds each projector, and starts
    /// one task per lane. Returns at once; catching up happens in the
    /// background ([`TableRunner::wait_for`]).
    pub async fn start(self) -> Result<TableRunner, ReadModelError> {
        let TableRunnerBuilder {
            store,
            directory,
            specs,
            options,
            seeds,
        } = self;
        let log_len = options.log_end(store.head().len);
        let (shared, lanes) =
            tokio::task::spawn_blocking(move || open(&directory, specs, options, seeds, log_len))
                .await
                .map_err(|error| ReadModelError::Task(error.to_string()))??;
        let shared = Arc::new(shared);
        let (shutdown_sender, shutdown) = watch::channel(false);
        let tasks = lanes
            .into_values()
            .map(|lane| {
                // A lane starts where its earliest folder is: a private
                // copy of a provider starts at 0.
                let from = lane
                    .iter()
                    .map(|(_, folder)| folder.next)
                    .min()
                    .unwrap_or(0);
                tokio::spawn(follow(
                    shared.clone(),
                    lane,
                    from,
                    store.clone(),
                    shutdown.clone(),
                ))
            })
            .collect();
        Ok(TableRunner {
            shared,
            store,
            shutdown: shutdown_sender,
            tasks: std::sync::Mutex::new(tasks),
        })
    }
}

fn open(
    directory: &Path,
    specs: Vec<Spec>,
    options: TableRunnerOptions,
    seeds: Vec<Seed>,
    log_len: u64,
) -> Result<(Shared, BTreeMap<u64, Lane>), ReadModelError> {
    salesledger_store::private_fs::create_dir_all(directory).map_err(StoreError::Io)?;
    let disk = Arc::new(Disk::open(directory, options.storage_cache_bytes)?);
    // redb creates its file with the process umask: make it private
    // (docs/SECURITY.md, "Files at rest"), as the log's and every other
    // database in a data directory.
    salesledger_store::private_fs::tighten_created(directory).map_err(StoreError::Io)?;
    match disk.meta(FORMAT_KEY)? {
        Some(format) if format == FORMAT_VALUE => {}
        Some(format) => {
            return Err(ReadModelError::UnsupportedFormat(
                String::from_utf8_lossy(&format).into_owned(),
            ))
        }
        None => disk.set_meta(FORMAT_KEY, FORMAT_VALUE)?,
    }
    let mut slots: Vec<Slot> = Vec::with_capacity(specs.len());
    let mut folders = Vec::with_capacity(specs.len());
    for spec in specs {
        if !valid_name(spec.name) {
            return Err(ReadModelError::InvalidName(spec.name));
        }
        if let Some(table) = spec.tables.iter().find(|table| !valid_name(table)) {
            return Err(ReadModelError::InvalidName(table));
        }
        if slots.iter().any(|slot| slot.name == spec.name) {
            return Err(ReadModelError::DuplicateProjector(spec.name));
        }
        let tree = Tree::new(disk.clone(), format!("tables/{}", spec.name));
        let resume = resume_point(&tree, spec.version, log_len)?;
        let seeded: Vec<(Vec<u8>, Vec<u8>)> = seeds
            .iter()
            .filter(|seed| seed.projector == spec.name)
            .map(|seed| (row_key(seed.table, &seed.key), seed.value.clone()))
            .collect();
        if let (Ok(next @ 1..), false) = (&resume, seeded.is_empty()) {
            return Err(ReadModelError::Wiring(format!(
                "projector {} resumes from position {next}: seed rows need tables built from 0",
                spec.name
            )));
        }
        let (next, rebuilt_because) = match resume {
            Ok(next) => {
                if !seeded.is_empty() {
                    disk.commit(true, |txn| {
                        tree.write(
                            txn,
                            seeded
                                .iter()
                                .map(|(key, value)| (key.as_slice(), Some(value.as_slice()))),
                        )
                    })?;
                }
                (next, None)
            }
            Err(reason) => {
                tracing::info!(projector = spec.name, %reason, "rebuilding tables from position 0");
                // One commit empties the table and writes the seeds: a
                // crash leaves the old rows with their version, or none.
                disk.reset_tree(tree.name(), &seeded)?;
                (0, Some(reason))
            }
        };
        tracing::info!(
            projector = spec.name,
            version = spec.version,
            next,
            "tables opened"
        );
        let checkpoint = Checkpoint {
            next_position: next,
        };
        let (progress, _) = watch::channel(Progress {
            committed: checkpoint,
            applied: checkpoint,
            ..Progress::default()
        });
        folders.push(Folder::new(
            spec.name,
            spec.version,
            spec.tables,
            spec.reads,
            spec.apply,
            tree.clone(),
            next,
            options.cache_bytes,
        ));
        slots.push(Slot {
            name: spec.name,
            version: spec.version,
            tables: spec.tables,
            spec,
            tree,
            started_from: next,
            rebuilt_because,
            progress,
        });
    }
    let tiers = tiers(&specs_of(&slots))?;
    // Scratch trees of private copies left by a previous run.
    for name in disk.tree_names()? {
        if name.starts_with(PRIVATE_TREE_PREFIX) {
            disk.drop_tree(&name)?;
        }
    }
    let mut lanes: BTreeMap<u64, Lane> = BTreeMap::new();
    for (slot_index, mut folder) in folders.into_iter().enumerate() {
        folder.tier = tiers.get(slot_index).copied().unwrap_or(0);
        lanes
            .entry(folder.next)
            .or_default()
            .push((Some(slot_index), folder));
    }
    let all_specs = specs_of(&slots);
    for (start, lane) in lanes.iter_mut() {
        wire_lane(&disk, *start, lane, &all_specs, &tiers, options.cache_bytes)?;
    }
    Ok((
        Shared {
            disk,
            slots,
            options,
            compactions: AtomicU64::new(0),
            compact_nanos: AtomicU64::new(0),
        },
        lanes,
    ))
}

fn specs_of(slots: &[Slot]) -> Vec<Spec> {
    slots.iter().map(|slot| slot.spec).collect()
}

/// Each projector's tier (0 without `reads`, else one more than the
/// projectors that write what it reads); refuses a table that no projector
/// writes, a projector reading its own tables' writer twice over, and cycles.
fn tiers(specs: &[Spec]) -> Result<Vec<usize>, ReadModelError> {
    let writer = |table: &str| specs.iter().position(|spec| spec.tables.contains(&table));
    // Table names are per projector (each has its own tree); only a table
    // another projector reads must have exactly one writer.
    for spec in specs {
        for table in spec.reads.iter() {
            let writers = specs
                .iter()
                .filter(|other| other.tables.contains(table))
                .count();
            match writers {
                0 => {
                    return Err(ReadModelError::Wiring(format!(
                        "projector {} reads table {table}, which no projector writes",
                        spec.name
                    )))
                }
                1 => {}
                _ => {
                    return Err(ReadModelError::Wiring(format!(
                        "projector {} reads table {table}, which more than one projector writes",
                        spec.name
                    )))
                }
            }
        }
    }
    let mut tiers: Vec<Option<usize>> = vec![None; specs.len()];
    // At most `specs.len()` rounds: a round that settles nothing is a cycle.
    for _ in 0..=specs.len() {
        let mut settled_any = false;
        for index in 0..specs.len() {
            if tiers[index].is_some() {
                continue;
            }
            let reads = specs[index].reads;
            let mut tier = Some(0);
            for table in reads.iter() {
                match writer(table).and_then(|provider| tiers[provider]) {
                    Some(provider_tier) => tier = tier.map(|t: usize| t.max(provider_tier + 1)),
                    None => tier = None,
                }
            }
            if let Some(tier) = tier {
                tiers[index] = Some(tier);
                settled_any = true;
            }
        }
        if !settled_any {
            break;
        }
    }
    tiers
        .iter()
        .zip(specs)
        .map(|(tier, spec)| {
            tier.ok_or_else(|| {
                ReadModelError::Wiring(format!(
                    "projector {} is part of a cycle of reads",
                    spec.name
                ))
            })
        })
        .collect()
}

/// Completes a lane: a private copy (from position 0, on a scratch tree)
/// of every provider its projectors need that is not itself in the lane,
/// sorted by tier, each reader pointed at its providers, each provider
/// journaling.
fn wire_lane(
    disk: &Arc<Disk>,
    start: u64,
    lane: &mut Lane,
    specs: &[Spec],
    tiers: &[usize],
    cache_bytes: usize,
) -> Result<(), ReadModelError> {
    let writer = |table: &str| specs.iter().position(|spec| spec.tables.contains(&table));
    let in_lane = |lane: &Lane, name: &str| lane.iter().any(|(_, folder)| folder.name == name);
    // Transitively add missing providers as private copies.
    let mut index = 0;
    while index < lane.len() {
        let reads = lane[index].1.reads;
        for table in reads {
            let Some(provider) = writer(table) else {
                continue;
            };
            let spec = specs[provider];
            if !in_lane(lane, spec.name) {
                let tree = Tree::new(
                    disk.clone(),
                    format!("{PRIVATE_TREE_PREFIX}{}~{start}", spec.name),
                );
                disk.reset_tree(tree.name(), &[])?;
                let mut copy = Folder::new(
                    spec.name,
                    spec.version,
                    spec.tables,
                    spec.reads,
                    spec.apply,
                    tree,
                    0,
                    cache_bytes,
                );
                copy.private = true;
                copy.tier = tiers.get(provider).copied().unwrap_or(0);
                tracing::info!(
                    provider = spec.name,
                    lane = start,
                    "a private copy of a provider folds from position 0 for this lane"
                );
                lane.push((None, copy));
            }
        }
        index += 1;
    }
    lane.sort_by_key(|(_, folder)| folder.tier);
    let names: Vec<&'static str> = lane.iter().map(|(_, folder)| folder.name).collect();
    for position in 0..lane.len() {
        let reads = lane[position].1.reads;
        let mut providers = Vec::with_capacity(reads.len());
        for table in reads {
            let provider = writer(table)
                .and_then(|slot| names.iter().position(|name| *name == specs[slot].name))
                .ok_or_else(|| ReadModelError::Wiring(format!("no provider of table {table}")))?;
            providers.push((*table, provider));
            lane[provider].1.journal_table(table);
        }
        lane[position].1.providers = providers;
    }
    Ok(())
}

fn stored_u64(rows: &Snapshot, key: &[u8]) -> Result<Option<u64>, disk::Error> {
    Ok(rows
        .get(key)?
        .and_then(|bytes| <[u8; 8]>::try_from(bytes.as_slice()).ok())
        .map(u64::from_be_bytes))
}

/// The stored checkpoint to resume from, or why the projector is rebuilt.
fn resume_point(
    tree: &Tree,
    version: u32,
    log_len: u64,
) -> Result<Result<u64, String>, ReadModelError> {
    let rows = tree.snapshot()?;
    let stored_version = rows
        .get(VERSION_KEY)?
        .and_then(|bytes| <[u8; 4]>::try_from(bytes.as_slice()).ok())
        .map(u32::from_be_bytes);
    match stored_version {
        None => return Ok(Err("no stored tables".into())),
        Some(stored) if stored != version => {
            return Ok(Err(format!(
                "stored version {stored} differs from version {version}"
            )))
        }
        Some(_) => {}
    }
    let Some(next) = stored_u64(&rows, CHECKPOINT_KEY)? else {
        return Ok(Err("stored checkpoint missing".into()));
    };
    if next > log_len {
        return Ok(Err(format!(
            "stored checkpoint {next} is beyond the log's end {log_len}"
        )));
    }
    Ok(Ok(next))
}

fn publish(shared: &Shared, lane: &[(Option<usize>, Folder)]) {
    for (slot_index, folder) in lane {
        if let Some(slot) = slot_index.and_then(|index| shared.slots.get(index)) {
            slot.progress.send_modify(|progress| {
                progress.committed = Checkpoint {
                    next_position: folder.committed,
                };
                progress.applied = Checkpoint {
                    next_position: folder.next,
                };
                progress.failed = folder.failed.clone();
                progress.cache_bytes = folder.cache.bytes();
                progress.cache_peak_bytes = folder.cache.peak();
                progress.fold_ms = folder.fold_nanos / 1_000_000;
                progress.fold_cpu_ms = folder.fold_cpu_nanos / 1_000_000;
                progress.commit_ms = folder.commit_nanos / 1_000_000;
                progress.rows_committed = folder.rows_committed;
                (progress.memo_hits, progress.memo_misses) = folder.memo.counts();
            });
        }
    }
}

/// Commits every projector of the lane in one write transaction
/// ([`commit_lane`]) on the blocking pool, then publishes the new
/// checkpoints. On an error none is committed and every projector keeps
/// its rows dirty for the next try.
async fn commit(shared: &Arc<Shared>, lane: Lane) -> (Lane, Result<(), ReadModelError>) {
    let outcome = tokio::task::spawn_blocking(move || {
        let mut lane = lane;
        let result =
            commit_lane(lane.iter_mut().map(|(_, folder)| folder)).map_err(ReadModelError::from);
        (lane, result)
    })
    .await;
    match outcome {
        Ok((lane, result)) => {
            publish(shared, &lane);
            (lane, result)
        }
        Err(error) => (Vec::new(), Err(ReadModelError::Task(error.to_string()))),
    }
}

/// A commit running on the blocking pool while the lane folds on
/// ([`begin_commit`]): the lane index of each folder in it, in the order
/// of its parts, and the task.
struct InFlight {
    folders: Vec<usize>,
    task: JoinHandle<Result<Vec<u64>, disk::Error>>,
}

/// Hands the dirty rows of every folder of the lane to a commit that runs
/// beside the next folds ([`Folder::begin_commit`]); `None` when none has
/// anything to commit. Only while catching up: the checkpoints move when
/// it lands ([`settle`]: after the first page folded once it has
/// finished, or before the next commit, whichever comes first), so a
/// caller waiting for a position may wait up to a page longer; a lane that
/// has caught up commits between pages.
fn begin_commit(lane: &mut Lane) -> Option<InFlight> {
    let mut folders = Vec::new();
    let mut parts: Vec<CommitPart> = Vec::new();
    for (index, (_, folder)) in lane.iter_mut().enumerate() {
        if let Some(part) = folder.begin_commit() {
            folders.push(index);
            parts.push(part);
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(InFlight {
        folders,
        task: tokio::task::spawn_blocking(move || commit_parts(parts)),
    })
}

/// Waits for the commit in flight, if any: when it landed, its rows are
/// the committed ones and, if `announce`, the new checkpoints are
/// published (not when a projector has just failed: a failure is
/// published by the commit it forces, so a reader that sees it also sees
/// everything before it committed); when it failed, its rows are dirty
/// again (nothing of it was committed) and the error is answered.
async fn settle(
    shared: &Shared,
    lane: &mut Lane,
    in_flight: &mut Option<InFlight>,
    announce: bool,
) -> Result<(), ReadModelError> {
    let Some(InFlight { folders, task }) = in_flight.take() else {
        return Ok(());
    };
    let outcome = match task.await {
        Ok(result) => result.map_err(ReadModelError::from),
        Err(error) => Err(ReadModelError::Task(error.to_string())),
    };
    match outcome {
        Ok(nanos) => {
            for (index, nanos) in folders.into_iter().zip(nanos) {
                if let Some((_, folder)) = lane.get_mut(index) {
                    folder.landed(nanos);
                }
            }
            if announce {
                publish(shared, lane);
            }
            Ok(())
        }
        Err(error) => {
            for index in folders {
                if let Some((_, folder)) = lane.get_mut(index) {
                    folder.restore();
                }
            }
            Err(error)
        }
    }
}

/// Compacts the tables' database after a lane caught up (see
/// [`TableRunnerOptions::compact_after_records`]) on the blocking pool.
/// A failure only postpones it (to the next time the lane catches up):
/// the rows are unchanged.
async fn compact(shared: &Arc<Shared>) {
    let started = std::time::Instant::now();
    let disk = shared.disk.clone();
    let outcome = tokio::task::spawn_blocking(move || disk.compact()).await;
    let elapsed = started.elapsed();
    match outcome {
        Ok(Ok(())) => {
            shared.compactions.fetch_add(1, Ordering::Relaxed);
            shared.compact_nanos.fetch_add(
                u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            tracing::info!(
                elapsed_ms = elapsed.as_millis() as u64,
                "tables compacted after a catch-up"
            );
        }
        Ok(Err(error)) => tracing::warn!(%error, "compacting the tables failed"),
        Err(error) => tracing::warn!(%error, "the compaction task failed"),
    }
}

/// A page being read and decoded ahead: where it starts, and its task.
type Prefetch = (u64, JoinHandle<Result<Vec<Decoded>, PageError>>);

/// Why a page could not be read.
struct PageError {
    detail: String,
    /// The log could not be reached for now (a database restarting, a
    /// connection cut, a disk full or failing for a while): the lane waits
    /// and reads the page again instead of stopping its views.
    transient: bool,
}

impl PageError {
    fn of(error: &StoreError) -> PageError {
        PageError {
            detail: error.to_string(),
            transient: error.is_transient(),
        }
    }

    fn lasting(detail: String) -> PageError {
        PageError {
            detail,
            transient: false,
        }
    }
}

/// The first wait after a page could not be read for now; each failed
/// read doubles it, up to [`MAX_READ_RETRY`].
const FIRST_READ_RETRY: Duration = Duration::from_millis(100);
const MAX_READ_RETRY: Duration = Duration::from_secs(5);

/// Up to `n` records from `from`, none at or past `end` (the head, or
/// `stop_before`), each decoded once for every projector of the lane (an
/// error: the log's, in its words).
async fn read_page(
    store: &dyn Store,
    from: u64,
    n: usize,
    end: u64,
) -> Result<Vec<Decoded>, PageError> {
    let mut records = store
        .read_all(from, n)
        .await
        .map_err(|error| PageError::of(&error))?;
    // The page is folded up to a position the log skips, and the lane
    // stops there when it reads on: a gap would otherwise be folded over
    // without a word.
    let contiguous = (from..)
        .zip(&records)
        .take_while(|(expected, record)| record.position == *expected)
        .count();
    if let Some(after_gap) = records.get(contiguous) {
        if contiguous == 0 {
            return Err(PageError::lasting(format!(
                "the log skips from position {from} to {}",
                after_gap.position
            )));
        }
        records.truncate(contiguous);
    }
    Ok(records
        .into_iter()
        .filter(|record| record.position < end)
        .map(|record| {
            let event = decode_record(&record).map_err(|error| error.to_string());
            (record, event)
        })
        .collect())
}

/// Waits `wait` (or until shutdown) after a page at `position` could not
/// be read for now; returns the wait before the next try.
async fn wait_to_read_again(
    wait: Duration,
    shutdown: &mut watch::Receiver<bool>,
    position: u64,
    detail: &str,
) -> Duration {
    tracing::warn!(
        position,
        reason = detail,
        retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
        "the log could not be read for now; the views wait and read again"
    );
    tokio::select! {
        () = tokio::time::sleep(wait) => {}
        changed = shutdown.changed() => {
            // A closed channel (the runner dropped) says nothing new:
            // still wait, never spin on a log that stays out of reach.
            if changed.is_err() {
                tokio::time::sleep(wait).await;
            }
        }
    }
    wait.saturating_mul(2).min(MAX_READ_RETRY)
}

/// Marks every active projector of the lane failed at `position`.
fn fail_all(lane: &mut [(Option<usize>, Folder)], position: u64, cause: &FailureCause) {
    for (_, folder) in lane.iter_mut() {
        if folder.failed.is_none() {
            tracing::error!(projector = folder.name, position, reason = %cause, "projector failed");
            folder.failed = Some(Failure::new(position, cause.clone()));
        }
    }
}

/// One lane: read a page, decode it once, fold it into every projector,
/// commit when due; then wait for the head to move. Until shutdown (final
/// commit), or until every projector of the lane has failed.
async fn follow(
    shared: Arc<Shared>,
    mut lane: Lane,
    from: u64,
    store: Arc<dyn Store>,
    mut shutdown: watch::Receiver<bool>,
) {
    let options = shared.options.clone();
    let mut head = store.watch_head();
    let mut next = from;
    let mut n_uncommitted: u64 = 0;
    // Records folded while the lane was more than a page behind the head,
    // since the last compaction (see `TableRunnerOptions::compact_after_records`).
    let mut n_caught_up: u64 = 0;
    let mut deadline = Instant::now() + options.commit_interval;
    let mut last_commit = Instant::now();
    // The next page, read and decoded while the current one folds.
    let mut prefetched: Option<Prefetch> = None;
    // The last commit, still being written while the lane folds on.
    let mut in_flight: Option<InFlight> = None;
    // How long to wait before reading again a page that could not be read.
    let mut read_retry = FIRST_READ_RETRY;
    loop {
        if *shutdown.borrow() {
            break;
        }
        if lane
            .iter()
            .filter(|(slot, _)| slot.is_some())
            .all(|(_, folder)| folder.failed.is_some())
        {
            break;
        }
        let head_len = options.log_end(store.head().len);
        if next < head_len {
            let page_size = options.page_size.max(1);
            let page = match prefetched.take() {
                Some((from, task)) if from == next => task.await.unwrap_or_else(|error| {
                    Err(PageError::lasting(format!("reading a page: {error}")))
                }),
                other => {
                    if let Some((_, task)) = other {
                        task.abort();
                    }
                    read_page(&*store, next, page_size, head_len).await
                }
            };
            let page = match page {
                Ok(page) if !page.is_empty() => page,
                // The head says there is more, the log answers nothing yet
                // (a replica behind its primary): wait as for an error.
                Ok(_) => {
                    read_retry =
                        wait_to_read_again(read_retry, &mut shutdown, next, "empty page").await;
                    continue;
                }
                Err(PageError {
                    detail,
                    transient: true,
                }) => {
                    read_retry = wait_to_read_again(read_retry, &mut shutdown, next, &detail).await;
                    continue;
                }
                Err(PageError { detail, .. }) => {
                    fail_all(&mut lane, next, &FailureCause::ReadLog { detail });
                    break;
                }
            };
            read_retry = FIRST_READ_RETRY;
            let Some(last) = page.last().map(|(record, _)| record.position) else {
                continue;
            };
            // While this page folds, the next one is read and decoded (on
            // another thread than the fold's).
            if last + 1 < head_len {
                let store = store.clone();
                prefetched = Some((
                    last + 1,
                    tokio::spawn(
                        async move { read_page(&*store, last + 1, page_size, head_len).await },
                    ),
                ));
            }
            let parallel = page.len() >= options.parallel_from_records;
            let n_failed_before = lane.iter().filter(|(_, f)| f.failed.is_some()).count();
            let folded = tokio::task::spawn_blocking(move || {
                let mut folders: Vec<Folder> = Vec::with_capacity(lane.len());
                let mut indexes = Vec::with_capacity(lane.len());
                for (index, folder) in lane {
                    indexes.push(index);
                    folders.push(folder);
                }
                fold_page(&mut folders, &page, parallel);
                indexes.into_iter().zip(folders).collect::<Vec<_>>()
            })
            .await;
            lane = match folded {
                Ok(lane) => lane,
                Err(error) => {
                    tracing::error!(%error, "fold task failed; lane stopped");
                    // The folders went with the task. A commit in flight
                    // still ends (it writes its rows and checkpoints
                    // whole, or nothing): wait for it, so the tables are
                    // not written after the lane has stopped.
                    if let Some(InFlight { task, .. }) = in_flight.take() {
                        match task.await {
                            Ok(Ok(_)) => {}
                            Ok(Err(error)) => tracing::error!(%error, "commit failed"),
                            Err(error) => tracing::error!(%error, "the commit task failed"),
                        }
                    }
                    return;
                }
            };
            n_uncommitted += last + 1 - next;
            if head_len.saturating_sub(next) > page_size as u64 {
                n_caught_up += last + 1 - next;
            }
            next = last + 1;
            let newly_failed =
                lane.iter().filter(|(_, f)| f.failed.is_some()).count() > n_failed_before;
            // A commit that has finished lands now: its checkpoints are
            // published and its rows let go without waiting for the next
            // commit.
            if in_flight
                .as_ref()
                .is_some_and(|in_flight| in_flight.task.is_finished())
            {
                if let Err(error) = settle(&shared, &mut lane, &mut in_flight, !newly_failed).await
                {
                    let detail = error.to_string();
                    fail_all(&mut lane, next, &FailureCause::Tables { detail });
                    publish(&shared, &lane);
                    break;
                }
            }
            // A failure is published by the commit it forces (below), so a
            // reader that sees it also sees what came before it committed.
            if !newly_failed {
                publish(&shared, &lane);
            }
            let log_end = options.log_end(store.head().len);
            let caught_up = next >= log_end;
            let behind = log_end.saturating_sub(next) > options.page_size.max(1) as u64;
            let interval_due = if behind {
                Instant::now() >= last_commit + options.catch_up_commit_interval
            } else {
                Instant::now() >= deadline
            };
            let dirty_bytes: usize = lane.iter().map(|(_, folder)| folder.dirty_bytes()).sum();
            let due = n_uncommitted >= options.commit_every_events
                || dirty_bytes >= options.commit_bytes
                || interval_due
                || newly_failed
                || (caught_up && options.commit_when_caught_up);
            if due {
                // The previous commit first: one in flight at a time, and
                // a commit that failed is retried by the next (its rows
                // are dirty again).
                let mut result = settle(&shared, &mut lane, &mut in_flight, !newly_failed).await;
                if result.is_ok() {
                    if behind && !newly_failed {
                        // Catching up: written beside the next pages' folds.
                        in_flight = begin_commit(&mut lane);
                    } else {
                        let (committed, outcome) = commit(&shared, lane).await;
                        lane = committed;
                        result = outcome;
                    }
                }
                if let Err(error) = result {
                    let detail = error.to_string();
                    fail_all(&mut lane, next, &FailureCause::Tables { detail });
                    publish(&shared, &lane);
                    break;
                }
                n_uncommitted = 0;
                last_commit = Instant::now();
                deadline = last_commit + options.commit_interval;
                // Worth it once the catch-up rewrote a good part of the
                // tables: at least half of what the lane now covers. Tried
                // once per catch-up (a reader in the way, an error: the next
                // catch-up tries again). Also when shutdown was requested
                // meanwhile: `rebuild --out` stops as soon as it has caught
                // up, and its tables are what `serve` then opens.
                if caught_up
                    && n_caught_up >= options.compact_after_records
                    && n_caught_up.saturating_mul(2) >= next
                {
                    n_caught_up = 0;
                    compact(&shared).await;
                }
            }
            continue;
        }
        // Nothing to fold: the commit in flight lands (and its checkpoints
        // are published) before the lane waits.
        if let Err(error) = settle(&shared, &mut lane, &mut in_flight, true).await {
            let detail = error.to_string();
            fail_all(&mut lane, next, &FailureCause::Tables { detail });
            publish(&shared, &lane);
            break;
        }
        tokio::select! {
            biased;
            changed = shutdown.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            changed = head.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            () = tokio::time::sleep_until(deadline), if n_uncommitted > 0 => {
                let mut result = settle(&shared, &mut lane, &mut in_flight, true).await;
                if result.is_ok() {
                    let (committed, outcome) = commit(&shared, lane).await;
                    lane = committed;
                    result = outcome;
                }
                if let Err(error) = result {
                    let detail = error.to_string();
                    fail_all(&mut lane, next, &FailureCause::Tables { detail });
                    publish(&shared, &lane);
                    break;
                }
                n_uncommitted = 0;
                last_commit = Instant::now();
                deadline = last_commit + options.commit_interval;
            }
        }
    }
    if let Some((_, task)) = prefetched.take() {
        task.abort();
    }
    // A commit in flight that failed leaves its rows dirty: the final
    // commit tries them again.
    if let Err(error) = settle(&shared, &mut lane, &mut in_flight, true).await {
        tracing::error!(%error, "commit failed");
    }
    let (lane, result) = commit(&shared, lane).await;
    if let Err(error) = result {
        tracing::error!(%error, "final commit failed");
    }
    publish(&shared, &lane);
    // Private copies of providers are scratch: nothing resumes from them.
    for (_, folder) in lane.iter().filter(|(slot, _)| slot.is_none()) {
        let name = folder.tree.name();
        if let Err(error) = shared.disk.drop_tree(name) {
            tracing::warn!(%error, tree = name, "dropping a scratch tree");
        }
    }
}

/// Reads of one projector's committed rows and of the committed rows of
/// the shared tables it reads (from their writer's tree: its own
/// checkpoint, which may be ahead of the reader's). Writes refused.
struct CommittedRows<'a> {
    shared: &'a Shared,
    /// The moment the read sees: its own rows and the shared tables'.
    point: ReadPoint,
    /// The projector's own rows, as of the checkpoint the read names.
    own: Snapshot,
    tables: &'static [&'static str],
    reads: &'static [&'static str],
    /// The shared tables' writers' rows at the same moment, opened at their
    /// first read.
    providers: Vec<(&'static str, Snapshot)>,
}

impl CommittedRows<'_> {
    fn rows_of(&mut self, table: &'static str) -> Result<&Snapshot, TableError> {
        if self.tables.contains(&table) {
            return Ok(&self.own);
        }
        if !self.reads.contains(&table) {
            return Err(TableError::Undeclared(table));
        }
        let index = match self.providers.iter().position(|(name, _)| *name == table) {
            Some(index) => index,
            None => {
                let slot = self
                    .shared
                    .writer_of(table)
                    .ok_or(TableError::Undeclared(table))?;
                let snapshot = self.point.table(slot.tree.name()).map_err(storage)?;
                self.providers.push((table, snapshot));
                self.providers.len() - 1
            }
        };
        Ok(&self.providers[index].1)
    }
}

fn storage(error: disk::Error) -> TableError {
    TableError::Storage(error.to_string())
}

impl RawRead for CommittedRows<'_> {
    fn get_raw(&mut self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, TableError> {
        self.rows_of(table)?
            .get(&row_key(table, key))
            .map_err(storage)
    }

    fn range_raw(
        &mut self,
        table: &'static str,
        from: &[u8],
        to: Option<&[u8]>,
        limit: usize,
    ) -> Result<RawRows, TableError> {
        scan(self.rows_of(table)?, &row_key(table, &[]), from, to, limit)
    }
}

/// Runs table projectors over the log: see the module documentation.
pub struct TableRunner {
    shared: Arc<Shared>,
    store: Arc<dyn Store>,
    shutdown: watch::Sender<bool>,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl TableRunner {
    /// A runner over `store` keeping its tables in `directory` (a redb
    /// database of its own, [`super::disk`]).
    pub fn builder(store: Arc<dyn Store>, directory: impl Into<PathBuf>) -> TableRunnerBuilder {
        TableRunnerBuilder {
            store,
            directory: directory.into(),
            specs: Vec::new(),
            options: TableRunnerOptions::default(),
            seeds: Vec::new(),
        }
    }

    /// The committed rows of a projector that has not failed, and the
    /// checkpoint they reflect (read from the same snapshot: exactly).
    fn readable(&self, name: &str) -> Result<(ReadPoint, Snapshot, Checkpoint), ReadModelError> {
        let slot = self.shared.slot(name)?;
        let progress = slot.progress.borrow().clone();
        if let Some(failure) = progress.failed {
            return Err(ReadModelError::Failed {
                projector: name.to_owned(),
                position: failure.position,
                reason: failure.reason,
                cause: failure.cause,
            });
        }
        let point = self.shared.disk.read_point()?;
        let rows = point.table(slot.tree.name())?;
        let stored = stored_u64(&rows, CHECKPOINT_KEY)?.unwrap_or(0);
        Ok((
            point,
            rows,
            Checkpoint {
                next_position: stored,
            },
        ))
    }

    /// `query` over projector `P`'s committed rows, and the checkpoint
    /// they reflect (at least). Runs on the caller's thread: call it from
    /// a blocking context for large scans.
    pub fn read_with<P: TableProjector, R>(
        &self,
        query: impl FnOnce(&mut Reader<'_>) -> Result<R, TableError>,
    ) -> Result<(R, Checkpoint), ReadModelError> {
        let (point, own, checkpoint) = self.readable(P::NAME)?;
        let mut rows = CommittedRows {
            shared: &self.shared,
            point,
            own,
            tables: P::tables(),
            reads: P::reads(),
            providers: Vec::new(),
        };
        let answer = query(&mut Reader::new(&mut rows))?;
        Ok((answer, checkpoint))
    }

    /// One committed row of projector `P`.
    pub fn get<P: TableProjector, K: TableKey, V: DeserializeOwned>(
        &self,
        table: &Table<K, V>,
        key: &K,
    ) -> Result<(Option<V>, Checkpoint), ReadModelError> {
        self.read_with::<P, _>(|reader| reader.get(table, key))
    }

    /// A page of a table of projector `P` in key order: at most `limit`
    /// rows (1 to [`MAX_PAGE_LIMIT`]) after `cursor` (the `next_cursor` of
    /// the previous page; `None` for the first).
    pub fn page<P: TableProjector, K: TableKey, V: DeserializeOwned>(
        &self,
        table: &Table<K, V>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<K, V>, ReadModelError> {
        let limit = limit.clamp(1, MAX_PAGE_LIMIT);
        let from = match cursor {
            None => Vec::new(),
            Some(cursor) => {
                let mut last = hex::decode(cursor)
                    .map_err(|error| ReadModelError::BadCursor(error.to_string()))?;
                K::from_key_bytes(&last)?;
                // The smallest key after `last`.
                last.push(0);
                last
            }
        };
        if !P::tables().contains(&table.name()) {
            return Err(TableError::Undeclared(table.name()).into());
        }
        let (_, rows, checkpoint) = self.readable(P::NAME)?;
        let raw = scan(&rows, &row_key(table.name(), &[]), &from, None, limit + 1)?;
        let more = raw.len() > limit;
        let mut rows = Vec::with_capacity(limit);
        let mut last_key = None;
        for (key, value) in raw.into_iter().take(limit) {
            let typed_key = K::from_key_bytes(&key).map_err(|source| TableError::Key {
                table: table.name(),
                source,
            })?;
            let value = postcard::from_bytes(&value).map_err(|source| TableError::Value {
                table: table.name(),
                source,
            })?;
            rows.push((typed_key, value));
            last_key = Some(key);
        }
        Ok(Page {
            rows,
            next_cursor: if more {
                last_key.map(hex::encode)
            } else {
                None
            },
            checkpoint,
        })
    }

    /// The canonical dump of projector `name`'s committed tables.
    pub fn dump(&self, name: &str) -> Result<String, ReadModelError> {
        dump_tree(&self.shared.slot(name)?.tree.snapshot()?)
    }

    /// How many times the tables' database was compacted after a catch-up,
    /// and the milliseconds it took in all.
    pub fn compactions(&self) -> (u64, u64) {
        (
            self.shared.compactions.load(Ordering::Relaxed),
            self.shared.compact_nanos.load(Ordering::Relaxed) / 1_000_000,
        )
    }

    /// Every projector's start and progress.
    pub fn status(&self) -> Vec<TableProjectorStatus> {
        self.shared
            .slots
            .iter()
            .map(|slot| {
                let progress = slot.progress.borrow().clone();
                TableProjectorStatus {
                    name: slot.name,
                    version: slot.version,
                    started_from: slot.started_from,
                    rebuilt_because: slot.rebuilt_because.clone(),
                    committed: progress.committed,
                    applied: progress.applied,
                    failed: progress.failed,
                    cache_bytes: progress.cache_bytes,
                    cache_peak_bytes: progress.cache_peak_bytes,
                    fold_ms: progress.fold_ms,
                    fold_cpu_ms: progress.fold_cpu_ms,
                    commit_ms: progress.commit_ms,
                    rows_committed: progress.rows_committed,
                    memo_hits: progress.memo_hits,
                    memo_misses: progress.memo_misses,
                }
            })
            .collect()
    }

    /// Waits until projector `name` has committed the record at `position`
    /// (read-your-writes: pass the `last_position` of an append).
    pub async fn wait_for(
        &self,
        name: &str,
        position: u64,
        timeout: Duration,
    ) -> Result<Checkpoint, ReadModelError> {
        let slot = self.shared.slot(name)?;
        let mut progress = slot.progress.subscribe();
        let reached = tokio::time::timeout(
            timeout,
            progress.wait_for(|progress| {
                progress.committed.covers(position) || progress.failed.is_some()
            }),
        )
        .await;
        match reached {
            Ok(Ok(progress)) => match &progress.failed {
                Some(failure) if !progress.committed.covers(position) => {
                    Err(ReadModelError::Failed {
                        projector: name.to_owned(),
                        position: failure.position,
                        reason: failure.reason.clone(),
                        cause: failure.cause.clone(),
                    })
                }
                _ => Ok(progress.committed),
            },
            Ok(Err(_closed)) => Err(ReadModelError::Task("the runner has stopped".into())),
            Err(_elapsed) => Err(ReadModelError::WaitTimedOut {
                projector: name.to_owned(),
                position,
                timeout,
                reached: slot.progress.borrow().committed,
            }),
        }
    }

    /// Waits until every projector that has not failed has committed
    /// everything the log held when this was called.
    pub async fn wait_caught_up(&self, timeout: Duration) -> Result<(), ReadModelError> {
        let end = self.shared.options.log_end(self.store.head().len);
        let Some(last) = end.checked_sub(1) else {
            return Ok(());
        };
        let deadline = Instant::now() + timeout;
        for slot in &self.shared.slots {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match self.wait_for(slot.name, last, remaining).await {
                Ok(_) | Err(ReadModelError::Failed { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Stops following, commits what every lane folded, flushes and closes
    /// the database.
    pub async fn shutdown(self) -> Result<(), ReadModelError> {
        self.stop().await
    }

    /// [`TableRunner::shutdown`] through a shared handle (`serve` keeps the
    /// runner in its state, which handlers may still hold): the lanes stop
    /// and commit, the database is flushed; reads of the committed rows
    /// still answer until the last handle goes. Calling it again is a
    /// no-op flush.
    pub async fn stop(&self) -> Result<(), ReadModelError> {
        let _ = self.shutdown.send(true);
        let tasks = match self.tasks.lock() {
            Ok(mut tasks) => std::mem::take(&mut *tasks),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        for task in tasks {
            task.await
                .map_err(|error| ReadModelError::Task(error.to_string()))?;
        }
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || shared.disk.sync())
            .await
            .map_err(|error| ReadModelError::Task(error.to_string()))??;
        Ok(())
    }

    /// Stops every lane at its next await point **without** a final commit,
    /// as a crash would: what was folded since the last commit is lost, the
    /// committed rows and checkpoints stay. (A commit already running on
    /// the blocking pool, such as one written beside a catch-up's folds,
    /// completes, atomically, or not at all, possibly after this returns:
    /// it holds the tables' database open until then, and opening it again
    /// waits for it, see [`disk::Disk::open`].)
    pub async fn abort(self) {
        let tasks = match self.tasks.lock() {
            Ok(mut tasks) => std::mem::take(&mut *tasks),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
    }
}

impl Drop for TableRunner {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

fn dump_tree(rows: &Snapshot) -> Result<String, ReadModelError> {
    let mut out = String::new();
    let end = salesledger_projections::tables::prefix_end(ROWS_PREFIX);
    for entry in rows.range(ROWS_PREFIX, end.as_deref())? {
        let (key, value) = entry?;
        let relative = key.get(ROWS_PREFIX.len()..).unwrap_or_default();
        // `<table>/<key>`: table names never contain '/'.
        let split = relative
            .iter()
            .position(|byte| *byte == b'/')
            .unwrap_or(relative.len());
        let (table, row_key) = relative.split_at(split);
        let row_key = row_key.get(1..).unwrap_or_default();
        out.push_str(&String::from_utf8_lossy(table));
        out.push(' ');
        out.push_str(&hex::encode(row_key));
        out.push(' ');
        out.push_str(&hex::encode(value));
        out.push('\n');
    }
    Ok(out)
}

/// The canonical dump of projector `name`'s committed tables in the
/// database at `directory` (no runner may have it open): one line per row,
/// `<table> <key hex> <value hex>`, tables by name, rows in key order.
pub fn dump_directory(directory: &Path, name: &str) -> Result<String, ReadModelError> {
    let disk = Arc::new(Disk::open(directory, 8 * 1024 * 1024)?);
    let tree = Tree::new(disk, format!("tables/{name}"));
    dump_tree(&tree.snapshot()?)
}
