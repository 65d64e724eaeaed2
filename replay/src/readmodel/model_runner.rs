//! The projection runner: keeps each projector's read model together with
//! its checkpoint in a sled database of its own, catches up from the event
//! log on start, then follows the log's live [`Subscription`].
//!
//! # Storage layout
//!
//! The runner owns one sled database in the directory it is given (never
//! the log's directory). The default tree holds `format` =
//! `salesledger-projections-1`. Each projector has its own tree,
//! `projection/<NAME>`, with three keys:
//!
//! | key | value |
//! |---|---|
//! | `version` | the projector's `VERSION` that built the model (`u32` BE) |
//! | `checkpoint` | the next position to apply, i.e. the last applied position + 1 (`u64` BE) |
//! | `model` | the read model as JSON |
//!
//! The three are always written by **one** `apply_batch` on that tree, so
//! they move together: after a crash sled recovers either the old triple or
//! the new one, never a model from one point in the log with a checkpoint
//! from another. Writes happen every [`RunnerOptions::persist_every_events`]
//! records or every [`RunnerOptions::persist_interval`], whichever comes
//! first (but never sooner than ten times the last write took, so that
//! rewriting a large model stays a small share of a long catch-up), and at
//! shutdown; a crash therefore loses only progress (the
//! runner re-applies the records after the stored checkpoint), never
//! consistency. Projectors are pure folds, so re-applying gives the same
//! model.
//!
//! # Write failures
//! A persist that fails (a full disk, an I/O error) does not stop the
//! projector: it logs a warning, keeps applying records in memory (the view
//! keeps serving, from the log), and retries with exponential backoff (from
//! [`PERSIST_RETRY_FIRST`] to [`PERSIST_RETRY_MAX`]). sled 0.34 keeps an I/O
//! error for the life of its handle, so before retrying the runner reopens
//! the projection database in-process; what is on disk is always a
//! consistent model/checkpoint triple (one batch), so a restart resumes from
//! it. A failed read of the log (the log reopening after its own write
//! failure) is retried the same way.
//!
//! # Versions
//!
//! A projector whose stored `version` differs from the code's `VERSION` (or
//! whose stored model no longer decodes, or whose checkpoint lies beyond the
//! log's end) is rebuilt alone from position 0; the others resume from their
//! checkpoints and keep serving. Projectors that start from the same
//! checkpoint form a *lane*: one task, one subscription, each record read
//! and decoded once for all of them (a full rebuild is one lane). A
//! projector rebuilt from 0 is in a lane of its own, so it never holds the
//! others back.
//!
//! # Reads
//!
//! A read returns the model with the [`Checkpoint`] it reflects, taken under
//! one lock. [`ProjectionRunner::wait_for`] waits until a projector has
//! applied a given position (read-your-writes after an append), or fails
//! with [`RunnerError::WaitTimedOut`].
//!
//! This module knows the store's records and the projector trait; it knows
//! nothing of HTTP, of any particular view's contents, or of the clock
//! beyond the persistence interval and read timeouts.

use std::any::Any;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use salesledger_domain::Event;
use salesledger_projections::{decode_record, ProjectionError, Projector};
use salesledger_store::{RecordedEvent, Store, StoreError, Subscription};
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

const FORMAT_KEY: &[u8] = b"format";
const FORMAT_VALUE: &[u8] = b"salesledger-projections-1";
const MODEL_KEY: &[u8] = b"model";
const CHECKPOINT_KEY: &[u8] = b"checkpoint";
const VERSION_KEY: &[u8] = b"version";

/// Everything that can go wrong while running projections.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunnerError {
    #[error("projection storage: {0}")]
    Sled(#[from] sled::Error),
    #[error("event log: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("read model (de)serialisation: {0}")]
    Json(#[from] serde_json::Error),
    /// The projection directory holds data this build cannot read.
    #[error("unsupported projection storage format: {0}")]
    UnsupportedFormat(String),
    /// Two projectors share a name.
    #[error("two projectors are named {0}")]
    DuplicateProjector(&'static str),
    /// No projector of this name runs here.
    #[error("no projector named {0}")]
    UnknownProjector(String),
    /// The projector did not reach the position in time. Not a failure of
    /// the projector: the caller may wait again.
    #[error("projector {projector} has not applied position {position} within {} ms (it is at {reached})", timeout.as_millis())]
    WaitTimedOut {
        projector: String,
        position: u64,
        timeout: Duration,
        reached: Checkpoint,
    },
    /// The projector stopped (a record that does not decode, a storage
    /// error); its last model is still readable, it no longer advances.
    #[error("projector {projector} stopped: {reason}")]
    ProjectorStopped { projector: String, reason: String },
    /// A background task panicked or was cancelled.
    #[error("projection task failed: {0}")]
    Task(String),
}

/// How far a read model has followed the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Checkpoint {
    /// The next position to apply: every record before it has been applied.
    pub next_position: u64,
}

impl Checkpoint {
    /// The last position applied, `None` before the first record.
    pub fn last_applied(&self) -> Option<u64> {
        self.next_position.checked_sub(1)
    }

    /// Whether the record at `position` has been applied.
    pub fn covers(&self, position: u64) -> bool {
        position < self.next_position
    }
}

impl std::fmt::Display for Checkpoint {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.last_applied() {
            Some(position) => write!(formatter, "position {position}"),
            None => formatter.write_str("no position yet"),
        }
    }
}

/// When models are written to disk.
#[derive(Clone, Debug)]
pub struct RunnerOptions {
    /// Persist after this many applied records.
    pub persist_every_events: u64,
    /// Persist at least this often while records are being applied.
    pub persist_interval: Duration,
    /// sled's page cache for the projection database. The models live in
    /// memory already; the database only keeps them across restarts, so a
    /// small cache suffices (sled's own default, 1 GiB, would hold copies
    /// of the serialised models).
    pub cache_capacity_bytes: u64,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions {
            persist_every_events: 50_000,
            persist_interval: Duration::from_secs(1),
            cache_capacity_bytes: 32 * 1024 * 1024,
        }
    }
}

/// A projector with its model, behind an object-safe interface so that
/// projectors of different model types run in one runner.
pub trait DynProjector: Send + 'static {
    fn name(&self) -> &'static str;
    fn version(&self) -> u32;
    /// Folds one decoded record into the model.
    fn apply(&mut self, record: &RecordedEvent, event: &Event);
    /// Back to the empty model.
    fn reset(&mut self);
    fn model_json(&self) -> Result<Vec<u8>, serde_json::Error>;
    fn load_model_json(&mut self, bytes: &[u8]) -> Result<(), serde_json::Error>;
    /// The model, for typed reads (a `P::Model`).
    fn model_any(&self) -> &dyn Any;
}

/// A [`Projector`] and its model: the [`DynProjector`] for `P`.
pub struct Folding<P: Projector> {
    model: P::Model,
    projector: PhantomData<fn() -> P>,
}

impl<P: Projector> Default for Folding<P> {
    fn default() -> Self {
        Folding {
            model: P::Model::default(),
            projector: PhantomData,
        }
    }
}

impl<P: Projector> DynProjector for Folding<P> {
    fn name(&self) -> &'static str {
        P::NAME
    }

    fn version(&self) -> u32 {
        P::VERSION
    }

    fn apply(&mut self, record: &RecordedEvent, event: &Event) {
        P::apply(&mut self.model, record, event);
    }

    fn reset(&mut self) {
        self.model = P::Model::default();
    }

    fn model_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&self.model)
    }

    fn load_model_json(&mut self, bytes: &[u8]) -> Result<(), serde_json::Error> {
        self.model = serde_json::from_slice(bytes)?;
        Ok(())
    }

    fn model_any(&self) -> &dyn Any {
        &self.model
    }
}

/// How a projector started, and how it is doing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProjectorStatus {
    pub name: &'static str,
    pub version: u32,
    /// The position it resumed from (0 when built from scratch).
    pub started_from: u64,
    /// Why it was rebuilt from position 0, when it was.
    pub rebuilt_because: Option<String>,
    pub checkpoint: Checkpoint,
    /// Why it stopped, when it did.
    pub stopped_because: Option<String>,
}

#[derive(Clone, Debug, Default)]
struct Progress {
    checkpoint: Checkpoint,
    stopped_because: Option<String>,
}

struct SlotState {
    projector: Box<dyn DynProjector>,
    checkpoint: Checkpoint,
}

struct Slot {
    name: &'static str,
    version: u32,
    started_from: u64,
    rebuilt_because: Option<String>,
    state: Mutex<SlotState>,
    progress: watch::Sender<Progress>,
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, SlotState> {
        // A panic inside `apply` poisons the lock; the state is still the
        // last consistent one the panicking task left, and that task has
        // stopped, so reading it is safe.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes model, checkpoint and version in one atomic batch.
    fn persist(&self, tree: &sled::Tree) -> Result<Checkpoint, RunnerError> {
        let (model, checkpoint) = {
            let state = self.lock();
            (state.projector.model_json()?, state.checkpoint)
        };
        let mut batch = sled::Batch::default();
        batch.insert(VERSION_KEY, &self.version.to_be_bytes());
        batch.insert(CHECKPOINT_KEY, &checkpoint.next_position.to_be_bytes());
        batch.insert(MODEL_KEY, model);
        tree.apply_batch(batch)?;
        Ok(checkpoint)
    }
}

struct Shared {
    /// `None` only while (or after failing) reopening it after a failure.
    storage: std::sync::RwLock<Option<Storage>>,
    directory: PathBuf,
    slots: Vec<Slot>,
    options: RunnerOptions,
}

/// The projection database and each slot's tree (by slot index).
struct Storage {
    db: sled::Db,
    trees: Vec<sled::Tree>,
}

/// First wait before retrying a failed persist (or log read).
pub const PERSIST_RETRY_FIRST: Duration = Duration::from_millis(500);
/// Longest wait between retries.
pub const PERSIST_RETRY_MAX: Duration = Duration::from_secs(30);
/// How long reopening waits for sled to release the old handle.
const DROP_WAIT: Duration = Duration::from_secs(5);

impl Shared {
    fn with_storage<T>(
        &self,
        work: impl FnOnce(&Storage) -> Result<T, RunnerError>,
    ) -> Result<T, RunnerError> {
        let storage = self
            .storage
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match storage.as_ref() {
            Some(storage) => work(storage),
            None => Err(RunnerError::Task(
                "the projection database is not open (reopening failed)".into(),
            )),
        }
    }

    /// Drops the projection database (bounded wait: dropping flushes) and
    /// opens it again with every slot's tree.
    fn reopen(&self) -> Result<(), RunnerError> {
        // Never reopen sled on a still-full disk (see the store's writer).
        salesledger_store::probe_free_space(&self.directory, salesledger_store::REOPEN_FREE_BYTES)?;
        let mut storage = self
            .storage
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let old = storage.take();
        let (dropped, wait) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("salesledger-views-drop".into())
            .spawn(move || {
                drop(old);
                let _ = dropped.send(());
            })
            .map_err(|error| RunnerError::Task(error.to_string()))?;
        if wait.recv_timeout(DROP_WAIT).is_err() {
            tracing::error!(
                "sled did not release the projection database in time; opening it anyway"
            );
        }
        let db = open_db(&self.directory, self.options.cache_capacity_bytes)?;
        let trees = self
            .slots
            .iter()
            .map(|slot| db.open_tree(format!("projection/{}", slot.name)))
            .collect::<Result<Vec<_>, _>>()?;
        *storage = Some(Storage { db, trees });
        Ok(())
    }

    fn slot(&self, name: &str) -> Result<&Slot, RunnerError> {
        self.slots
            .iter()
            .find(|slot| slot.name == name)
            .ok_or_else(|| RunnerError::UnknownProjector(name.to_owned()))
    }
}

/// Builds a [`ProjectionRunner`].
pub struct RunnerBuilder {
    store: Arc<dyn Store>,
    directory: PathBuf,
    projectors: Vec<Box<dyn DynProjector>>,
    options: RunnerOptions,
}

impl RunnerBuilder {
    /// Adds a projector.
    pub fn with<P: Projector>(self) -> Self {
        self.with_dyn(Box::new(Folding::<P>::default()))
    }

    /// Adds a projector behind the object-safe interface.
    pub fn with_dyn(mut self, projector: Box<dyn DynProjector>) -> Self {
        self.projectors.push(projector);
        self
    }

    pub fn options(mut self, options: RunnerOptions) -> Self {
        self.options = options;
        self
    }

    /// Opens the projection database, loads each projector's model and
    /// checkpoint (or decides to rebuild it), and starts following the log.
    /// Returns at once: catching up happens in the background (see
    /// [`ProjectionRunner::wait_for`], [`ProjectionRunner::wait_caught_up`]).
    pub async fn start(self) -> Result<ProjectionRunner, RunnerError> {
        let RunnerBuilder {
            store,
            directory,
            projectors,
            options,
        } = self;
        let log_len = store.head().len;
        let shared = tokio::task::spawn_blocking(move || {
            open_slots(&directory, projectors, options, log_len)
        })
        .await
        .map_err(|error| RunnerError::Task(error.to_string()))??;
        let shared = Arc::new(shared);
        let (shutdown_sender, shutdown) = watch::channel(false);
        // One lane per distinct starting checkpoint: projectors that start
        // together share one read and one decode of each record, and a
        // projector rebuilt from 0 never holds back the others.
        let mut lanes: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
        for (slot_index, slot) in shared.slots.iter().enumerate() {
            lanes.entry(slot.started_from).or_default().push(slot_index);
        }
        let tasks = lanes
            .into_iter()
            .map(|(from, lane)| {
                tokio::spawn(follow(
                    shared.clone(),
                    lane,
                    from,
                    store.clone(),
                    shutdown.clone(),
                ))
            })
            .collect();
        Ok(ProjectionRunner {
            shared,
            store,
            shutdown: shutdown_sender,
            tasks: std::sync::Mutex::new(tasks),
        })
    }
}

fn open_slots(
    directory: &Path,
    projectors: Vec<Box<dyn DynProjector>>,
    options: RunnerOptions,
    log_len: u64,
) -> Result<Shared, RunnerError> {
    salesledger_store::private_fs::create_dir_all(directory).map_err(StoreError::Io)?;
    let db = open_db(directory, options.cache_capacity_bytes)?;
    // sled creates its files with the process umask: make them private.
    salesledger_store::private_fs::tighten_created(directory).map_err(StoreError::Io)?;
    match db.get(FORMAT_KEY)? {
        Some(format) if format.as_ref() == FORMAT_VALUE => {}
        Some(format) => {
            return Err(RunnerError::UnsupportedFormat(
                String::from_utf8_lossy(&format).into_owned(),
            ))
        }
        None => {
            db.insert(FORMAT_KEY, FORMAT_VALUE)?;
        }
    }
    let mut slots: Vec<Slot> = Vec::with_capacity(projectors.len());
    let mut trees: Vec<sled::Tree> = Vec::with_capacity(projectors.len());
    for mut projector in projectors {
        let name = projector.name();
        if slots.iter().any(|slot| slot.name == name) {
            return Err(RunnerError::DuplicateProjector(name));
        }
        let version = projector.version();
        let tree = db.open_tree(format!("projection/{name}"))?;
        let (checkpoint, rebuilt_because) = match load(&tree, projector.as_mut(), version, log_len)?
        {
            Ok(checkpoint) => (checkpoint, None),
            Err(reason) => {
                tracing::info!(projector = name, %reason, "rebuilding projection from position 0");
                projector.reset();
                (Checkpoint::default(), Some(reason))
            }
        };
        tracing::info!(
            projector = name,
            version,
            next_position = checkpoint.next_position,
            "projection opened"
        );
        let (progress, _) = watch::channel(Progress {
            checkpoint,
            stopped_because: None,
        });
        trees.push(tree);
        slots.push(Slot {
            name,
            version,
            started_from: checkpoint.next_position,
            rebuilt_because,
            state: Mutex::new(SlotState {
                projector,
                checkpoint,
            }),
            progress,
        });
    }
    Ok(Shared {
        storage: std::sync::RwLock::new(Some(Storage { db, trees })),
        directory: directory.to_path_buf(),
        slots,
        options,
    })
}

/// Opens the projection database. sled's background threads can hold its
/// file lock for a moment after the last handle of a previous runner in this
/// process is dropped, so a held lock is retried for up to two seconds.
fn open_db(directory: &Path, cache_capacity_bytes: u64) -> Result<sled::Db, RunnerError> {
    const LOCK_RETRIES: u32 = 100;
    let mut n_retries = 0;
    loop {
        match sled::Config::new()
            .path(directory)
            .cache_capacity(cache_capacity_bytes)
            .open()
        {
            Err(sled::Error::Io(error))
                if n_retries < LOCK_RETRIES
                    && error.to_string().contains("could not acquire lock") =>
            {
                n_retries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            opened => return Ok(opened?),
        }
    }
}

/// The stored checkpoint with the model loaded into `projector`, or why the
/// projector must be rebuilt.
fn load(
    tree: &sled::Tree,
    projector: &mut dyn DynProjector,
    version: u32,
    log_len: u64,
) -> Result<Result<Checkpoint, String>, RunnerError> {
    let stored_version = tree
        .get(VERSION_KEY)?
        .and_then(|bytes| <[u8; 4]>::try_from(bytes.as_ref()).ok())
        .map(u32::from_be_bytes);
    match stored_version {
        None => return Ok(Err("no stored model".into())),
        Some(stored) if stored != version => {
            return Ok(Err(format!(
                "stored version {stored} differs from version {version}"
            )))
        }
        Some(_) => {}
    }
    let checkpoint = tree
        .get(CHECKPOINT_KEY)?
        .and_then(|bytes| <[u8; 8]>::try_from(bytes.as_ref()).ok())
        .map(u64::from_be_bytes);
    let (Some(next_position), Some(model)) = (checkpoint, tree.get(MODEL_KEY)?) else {
        return Ok(Err("stored model or checkpoint missing".into()));
    };
    if next_position > log_len {
        return Ok(Err(format!(
            "stored checkpoint {next_position} is beyond the log's end {log_len}"
        )));
    }
    if let Err(error) = projector.load_model_json(&model) {
        return Ok(Err(format!("stored model does not decode: {error}")));
    }
    Ok(Ok(Checkpoint { next_position }))
}

/// Follows the log for one lane (the projectors that start from the same
/// checkpoint) until shutdown, the store closing, or a failure. Each record
/// is read and decoded once per lane, then applied to every projector in it.
async fn follow(
    shared: Arc<Shared>,
    lane: Vec<usize>,
    from: u64,
    store: Arc<dyn Store>,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots: Vec<&Slot> = lane
        .iter()
        .filter_map(|slot_index| shared.slots.get(*slot_index))
        .collect();
    let mut subscription = Subscription::new(store, from);
    let mut n_unpersisted: u64 = 0;
    // Persisting writes the whole model, so its cost grows with the model:
    // the next persist waits at least PERSIST_COST_FACTOR times as long as
    // the last one took, which keeps persisting under ~10% of the time
    // during a long catch-up. Progress at risk stays bounded by that gap.
    let mut min_gap = Duration::ZERO;
    let mut last_persist = Instant::now();
    let mut deadline = last_persist + shared.options.persist_interval;
    let mut stopped_because: Option<String> = None;
    // Set while persisting (or reading the log) fails: the next wait.
    let mut backoff: Option<Duration> = None;
    loop {
        tokio::select! {
            biased;
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
            next = subscription.next() => {
                let record = match next {
                    Some(Ok(record)) => record,
                    Some(Err(error @ (StoreError::CorruptRecord { .. } | StoreError::Closed))) => {
                        stopped_because = Some(error.to_string());
                        break;
                    }
                    Some(Err(error)) => {
                        // The log may be reopening after a write failure:
                        // the subscription reads the same position again.
                        let wait = next_backoff(&mut backoff);
                        tracing::warn!(%error, retry_in = ?wait, "reading the log for the read models failed; retrying");
                        tokio::select! {
                            _ = shutdown.changed() => {}
                            () = tokio::time::sleep(wait) => {}
                        }
                        continue;
                    }
                    None => break,
                };
                let event = match decode_record(&record) {
                    Ok(event) => event,
                    Err(error) => {
                        stopped_because = Some(error.to_string());
                        break;
                    }
                };
                let checkpoint = Checkpoint { next_position: record.position + 1 };
                for slot in &slots {
                    {
                        let mut state = slot.lock();
                        if let Some(event) = &event {
                            state.projector.apply(&record, event);
                        }
                        state.checkpoint = checkpoint;
                    }
                    slot.progress.send_modify(|progress| progress.checkpoint = checkpoint);
                }
                n_unpersisted += 1;
                let now = Instant::now();
                let due = n_unpersisted >= shared.options.persist_every_events || now >= deadline;
                if due && now >= last_persist + min_gap {
                    match persist(&shared, &lane).await {
                        Ok(()) => {
                            n_unpersisted = 0;
                            backoff = None;
                            (last_persist, min_gap, deadline) = after_persist(now, &shared.options);
                        }
                        Err(error) => {
                            (last_persist, min_gap, deadline) =
                                after_failed_persist(&shared, &slots, &error, &mut backoff).await;
                        }
                    }
                }
            }
            () = tokio::time::sleep_until(deadline.max(last_persist + min_gap)), if n_unpersisted > 0 => {
                let now = Instant::now();
                match persist(&shared, &lane).await {
                    Ok(()) => {
                        n_unpersisted = 0;
                        if backoff.take().is_some() {
                            tracing::info!(lane = ?slots.iter().map(|slot| slot.name).collect::<Vec<_>>(), "read models persist again");
                        }
                        (last_persist, min_gap, deadline) = after_persist(now, &shared.options);
                    }
                    Err(error) => {
                        (last_persist, min_gap, deadline) =
                            after_failed_persist(&shared, &slots, &error, &mut backoff).await;
                    }
                }
            }
        }
    }
    if n_unpersisted > 0 {
        if let Err(error) = persist(&shared, &lane).await {
            stopped_because.get_or_insert(error.to_string());
        }
    }
    if let Some(reason) = stopped_because {
        for slot in &slots {
            tracing::error!(projector = slot.name, %reason, "projection stopped");
            slot.progress
                .send_modify(|progress| progress.stopped_because = Some(reason.clone()));
        }
    }
}

/// The next wait of a retry loop: doubles from [`PERSIST_RETRY_FIRST`] up to
/// [`PERSIST_RETRY_MAX`].
fn next_backoff(backoff: &mut Option<Duration>) -> Duration {
    let next = backoff.map_or(PERSIST_RETRY_FIRST, |last| {
        (last * 2).min(PERSIST_RETRY_MAX)
    });
    *backoff = Some(next);
    next
}

/// After a failed persist: warns, reopens the projection database (sled
/// keeps an I/O error for the life of a handle), and schedules the retry.
/// Returns (last persist, minimum gap, deadline) for the follow loop.
async fn after_failed_persist(
    shared: &Arc<Shared>,
    slots: &[&Slot],
    error: &RunnerError,
    backoff: &mut Option<Duration>,
) -> (Instant, Duration, Instant) {
    let wait = next_backoff(backoff);
    let names: Vec<&str> = slots.iter().map(|slot| slot.name).collect();
    tracing::warn!(%error, projectors = ?names, retry_in = ?wait, "persisting read models failed; they keep serving from memory and retry");
    let reopening = shared.clone();
    match tokio::task::spawn_blocking(move || reopening.reopen()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::warn!(%error, "reopening the projection database failed; retrying later")
        }
        Err(error) => {
            tracing::warn!(%error, "reopening the projection database failed; retrying later")
        }
    }
    let now = Instant::now();
    (now, wait, now + wait)
}

/// How much longer than a persist took the runner waits before the next.
const PERSIST_COST_FACTOR: u32 = 10;

/// After a persist that started at `started`: when it ended, the minimum gap
/// before the next one, and the next deadline.
fn after_persist(started: Instant, options: &RunnerOptions) -> (Instant, Duration, Instant) {
    let ended = Instant::now();
    let min_gap = (ended - started) * PERSIST_COST_FACTOR;
    (
        ended,
        min_gap,
        ended + options.persist_interval.max(min_gap),
    )
}

/// Persists each projector of the lane (one atomic batch per projector:
/// model, checkpoint, version), then flushes the database once.
async fn persist(shared: &Arc<Shared>, lane: &[usize]) -> Result<(), RunnerError> {
    let shared = shared.clone();
    let lane = lane.to_vec();
    tokio::task::spawn_blocking(move || {
        shared.with_storage(|storage| {
            for slot_index in lane {
                let (Some(slot), Some(tree)) =
                    (shared.slots.get(slot_index), storage.trees.get(slot_index))
                else {
                    return Err(RunnerError::Task("projector slot missing".into()));
                };
                let checkpoint = slot.persist(tree)?;
                tracing::debug!(
                    projector = slot.name,
                    next_position = checkpoint.next_position,
                    "projection persisted"
                );
            }
            storage.db.flush()?;
            Ok(())
        })
    })
    .await
    .map_err(|error| RunnerError::Task(error.to_string()))?
}

/// Runs projectors over the log: see the module documentation.
pub struct ProjectionRunner {
    shared: Arc<Shared>,
    store: Arc<dyn Store>,
    shutdown: watch::Sender<bool>,
    /// Taken (once) by [`ProjectionRunner::shutdown`].
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl ProjectionRunner {
    /// A runner over `store` keeping its models in `directory` (a sled
    /// database of its own, never the log's directory).
    pub fn builder(store: Arc<dyn Store>, directory: impl Into<PathBuf>) -> RunnerBuilder {
        RunnerBuilder {
            store,
            directory: directory.into(),
            projectors: Vec::new(),
            options: RunnerOptions::default(),
        }
    }

    /// A copy of the model of projector `P` and the checkpoint it reflects.
    pub fn read<P: Projector>(&self) -> Result<(P::Model, Checkpoint), RunnerError> {
        self.read_with::<P, _>(P::Model::clone)
    }

    /// `query` run on the model of projector `P` (e.g. one customer's
    /// entries, without copying the whole model), and the checkpoint the
    /// answer reflects. The projector waits while `query` runs: keep it short.
    pub fn read_with<P: Projector, R>(
        &self,
        query: impl FnOnce(&P::Model) -> R,
    ) -> Result<(R, Checkpoint), RunnerError> {
        let slot = self.shared.slot(P::NAME)?;
        let state = slot.lock();
        let model = state
            .projector
            .model_any()
            .downcast_ref::<P::Model>()
            .ok_or_else(|| RunnerError::UnknownProjector(P::NAME.to_owned()))?;
        Ok((query(model), state.checkpoint))
    }

    /// A projector's model as JSON (by name), and the checkpoint it reflects.
    pub fn read_json(&self, name: &str) -> Result<(Vec<u8>, Checkpoint), RunnerError> {
        let slot = self.shared.slot(name)?;
        let state = slot.lock();
        Ok((state.projector.model_json()?, state.checkpoint))
    }

    /// Where a projector is now.
    pub fn checkpoint(&self, name: &str) -> Result<Checkpoint, RunnerError> {
        Ok(self.shared.slot(name)?.progress.borrow().checkpoint)
    }

    /// Every projector's start and progress.
    pub fn status(&self) -> Vec<ProjectorStatus> {
        self.shared
            .slots
            .iter()
            .map(|slot| {
                let progress = slot.progress.borrow().clone();
                ProjectorStatus {
                    name: slot.name,
                    version: slot.version,
                    started_from: slot.started_from,
                    rebuilt_because: slot.rebuilt_because.clone(),
                    checkpoint: progress.checkpoint,
                    stopped_because: progress.stopped_because,
                }
            })
            .collect()
    }

    /// Waits until projector `name` has applied the record at `position`
    /// (read-your-writes: pass the `last_position` of an append).
    pub async fn wait_for(
        &self,
        name: &str,
        position: u64,
        timeout: Duration,
    ) -> Result<Checkpoint, RunnerError> {
        let slot = self.shared.slot(name)?;
        let mut progress = slot.progress.subscribe();
        let reached = tokio::time::timeout(
            timeout,
            progress.wait_for(|progress| {
                progress.checkpoint.covers(position) || progress.stopped_because.is_some()
            }),
        )
        .await;
        match reached {
            Ok(Ok(progress)) => match &progress.stopped_because {
                Some(reason) if !progress.checkpoint.covers(position) => {
                    Err(RunnerError::ProjectorStopped {
                        projector: name.to_owned(),
                        reason: reason.clone(),
                    })
                }
                _ => Ok(progress.checkpoint),
            },
            Ok(Err(_closed)) => Err(RunnerError::Task("the runner has stopped".into())),
            Err(_elapsed) => Err(RunnerError::WaitTimedOut {
                projector: name.to_owned(),
                position,
                timeout,
                reached: slot.progress.borrow().checkpoint,
            }),
        }
    }

    /// Waits until every projector has applied everything the log held
    /// when this was called.
    pub async fn wait_caught_up(&self, timeout: Duration) -> Result<(), RunnerError> {
        let Some(last) = self.store.head().len.checked_sub(1) else {
            return Ok(());
        };
        let deadline = Instant::now() + timeout;
        for slot in &self.shared.slots {
            let remaining = deadline.saturating_duration_since(Instant::now());
            self.wait_for(slot.name, last, remaining).await?;
        }
        Ok(())
    }

    /// Stops following, persists every model with its checkpoint, flushes,
    /// and closes the projection database (the runner is consumed, so the
    /// directory can be opened again at once).
    pub async fn shutdown(self) -> Result<(), RunnerError> {
        self.stop().await
    }

    /// Like [`ProjectionRunner::shutdown`] for a runner shared behind an
    /// `Arc` (as `serve` shares it with every handler): everything but
    /// closing the database, which happens when the last handle goes. A
    /// second call only flushes again.
    pub async fn stop(&self) -> Result<(), RunnerError> {
        // Receivers may all be gone already (tasks that stopped on their own).
        let _ = self.shutdown.send(true);
        let tasks = match self.tasks.lock() {
            Ok(mut tasks) => std::mem::take(&mut *tasks),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        for task in tasks {
            task.await
                .map_err(|error| RunnerError::Task(error.to_string()))?;
        }
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || {
            shared.with_storage(|storage| Ok(storage.db.flush().map(|_| ())?))
        })
        .await
        .map_err(|error| RunnerError::Task(error.to_string()))??;
        Ok(())
    }
}

impl Drop for ProjectionRunner {
    fn drop(&mut self) {
        // Without `shutdown`, the tasks still persist what they applied and
        // stop on their own.
        let _ = self.shutdown.send(true);
    }
}
