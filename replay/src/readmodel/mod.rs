//! The read-model table engine (issue 14, `docs/design/read-model-tables.md`):
//! projectors write rows of typed tables, not one model; the runner commits
//! what changed.
//!
//! It runs [`TableProjector`](salesledger_projections::tables::TableProjector)s
//! (the projector trait version 2, storage-free, in `salesledger-projections`):
//! `serve` answers every view from it, and the offline `rebuild` (into
//! `DIR/tables`) and `replay` (into a scratch directory, stopped at a past
//! position with [`TableRunnerOptions::stop_before`], the health what-if
//! with a policy seeded by [`TableRunnerBuilder::seed`]) fold it too. The
//! whole-model runner it replaced is gone.
//!
//! # Storage layout
//!
//! One redb database of its own, `tables.redb` in the runner's directory
//! (never the log's directory), see [`disk`]; its `meta` table holds
//! `format` = `salesledger-tables-2` (the sled tables of earlier builds,
//! format 1, are removed and rebuilt from the log). Each projector has a
//! table `tables/<NAME>`:
//!
//! | key | value |
//! |---|---|
//! | `m/version` | the `VERSION` that wrote the rows (`u32` BE) |
//! | `m/checkpoint` | the next position to apply (`u64` BE) |
//! | `r/<table>/<key>` | a row: its key in the order-preserving encoding of [`TableKey`](salesledger_projections::tables::TableKey), its value in `postcard` |
//!
//! A lane's commit writes the dirty rows, checkpoint and version of each
//! of its projectors in **one** write transaction: after a crash the
//! database holds the previous commit with its rows or the new one with
//! its rows, never a mix (commits are synced at least every
//! [`disk::SYNC_INTERVAL`]; a crash may go back to the last synced one,
//! and the runner folds the rest again from the log). A commit happens every [`TableRunnerOptions::commit_every_events`]
//! records, once the lane's rows written since the last commit reach
//! [`TableRunnerOptions::commit_bytes`], every
//! [`TableRunnerOptions::commit_interval`] (while the lane is catching up,
//! every [`TableRunnerOptions::catch_up_commit_interval`]; both 1 s by
//! default), when a lane has caught up
//! with the log's head (so `wait_for` answers soon after an append), when a
//! projector fails, and at shutdown.
//!
//! While a lane is catching up (more than a page behind the log's end), a
//! due commit is written on the blocking pool **beside** the folds of the
//! next pages, not between them: its rows stay readable in each folder as
//! a layer between the dirty rows and the cache until it lands, and the
//! checkpoints move (and are published) only then; at most one is in
//! flight, and a failed one leaves its rows dirty again (`fold.rs`,
//! "Commits beside the fold"). Once the lane has caught up, commits run
//! between pages, as the read-your-writes wait wants.
//!
//! Each commit copies the pages it changes, so a catch-up (a rebuild, a
//! resume after downtime) leaves about half of the file free. Once a lane
//! has caught up after folding behind the head at least
//! [`TableRunnerOptions::compact_after_records`] records and half of what
//! it covers, the database is compacted: its live rows are copied into a
//! new file that takes the old one's place, a few megabytes at a time
//! (commits wait while it runs, reads do not; live following never
//! compacts).
//!
//! # Memory
//!
//! Per projector: the rows written since the last commit (bounded by
//! [`TableRunnerOptions::commit_bytes`] for the lane; while catching up,
//! also those of the commit in flight: twice that at most) and a read cache bounded by
//! [`TableRunnerOptions::cache_bytes`] (least recently used out, see
//! [`cache`]); for the database, its page cache
//! ([`TableRunnerOptions::storage_cache_bytes`]). Not the history.
//!
//! # Lanes and pages
//!
//! Projectors that start from the same checkpoint form a lane: one task
//! reads a page of records at a time from the log
//! ([`salesledger_store::Store::read_all`] up to the committed head, then
//! waiting on [`salesledger_store::Store::watch_head`] for more), decodes
//! each record once (the next page is read and decoded while one folds),
//! and folds the page into each of its
//! projectors, in parallel when the page is large enough: one thread per
//! core (at least two) takes the next projector whose providers have
//! folded the page, so a reader waits for its own providers only
//! (`fold.rs`, `fold_folders`). A projector rebuilt from 0 (no stored tables, a
//! `VERSION` change, a checkpoint beyond the log's end) is in a lane of its
//! own, so the others resume from their checkpoints and keep serving.
//!
//! # Faults
//!
//! A projector whose `apply` returns an error (or panics) on a record, or
//! meets a record that does not decode, stops at that position: its writes
//! for that record are dropped, what it applied before is committed, its
//! status is `failed { position, reason }` and its reads answer
//! [`ReadModelError::Failed`]; the other projectors go on. The log is never
//! touched; after a fix a restart resumes from the checkpoint (the failing
//! position).
//!
//! # Reads
//!
//! Reads go to committed rows, never through a lane's state, each through
//! one MVCC snapshot of the projector's table (a commit neither blocks
//! nor changes it), so a rebuild or a burst of writes never holds a reader
//! up. A read names the checkpoint stored in the same snapshot: its rows
//! reflect exactly that checkpoint. The shared tables it reads (the
//! directory) are its writer's, read at the same moment (one read
//! transaction, [`disk::Disk::read_point`]); their checkpoint may be
//! ahead of the projector's own.
//! [`TableRunner::page`] pages a table in key order with an opaque cursor
//! (the hex of the last key) and a limit capped at [`MAX_PAGE_LIMIT`].
//! [`TableRunner::dump`] is the canonical dump of a projector's tables
//! (table, key and value bytes in hex, in key order) that live, rebuilt and
//! resumed runs are compared with byte for byte.
//!
//! This module imports nothing from the audit stack (`merkle`, `log_tree`,
//! `checkpoint`, `audit`, `bundle`, `export`).

pub mod cache;
mod dirty;
pub mod disk;
mod fold;
mod runner;

use std::time::Duration;

use salesledger_projections::tables::{KeyError, TableError};
use salesledger_store::StoreError;
use serde::Serialize;

pub use runner::{dump_directory, TableRunner, TableRunnerBuilder};

pub(crate) const FORMAT_KEY: &[u8] = b"format";
pub(crate) const FORMAT_VALUE: &[u8] = b"salesledger-tables-2";
pub(crate) const VERSION_KEY: &[u8] = b"m/version";
pub(crate) const CHECKPOINT_KEY: &[u8] = b"m/checkpoint";
pub(crate) const ROWS_PREFIX: &[u8] = b"r/";

/// The most rows one page answers.
pub const MAX_PAGE_LIMIT: usize = 1_000;

/// Everything that can go wrong running or reading table projectors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadModelError {
    #[error("read-model storage: {0}")]
    Storage(#[from] redb::Error),
    #[error("event log: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Table(#[from] TableError),
    /// The directory holds data this build cannot read.
    #[error("unsupported read-model storage format: {0}")]
    UnsupportedFormat(String),
    #[error("two projectors are named {0}")]
    DuplicateProjector(&'static str),
    /// A projector or table name outside `[a-z0-9_-]{1,64}`.
    #[error("invalid projector or table name {0}")]
    InvalidName(&'static str),
    /// The projectors' shared tables do not fit together (a table read
    /// that nobody writes, written twice, or a cycle of reads).
    #[error("read-model wiring: {0}")]
    Wiring(String),
    #[error("no projector named {0}")]
    UnknownProjector(String),
    /// A paging cursor this table never produced.
    #[error("invalid cursor: {0}")]
    BadCursor(String),
    /// The projector has not committed the position in time; the caller may
    /// wait again.
    #[error("projector {projector} has not committed position {position} within {} ms (it is at {reached})", timeout.as_millis())]
    WaitTimedOut {
        projector: String,
        position: u64,
        timeout: Duration,
        reached: Checkpoint,
    },
    /// The projector stopped at a record it cannot apply.
    #[error("projector {projector} failed at position {position}: {reason}")]
    Failed {
        projector: String,
        position: u64,
        /// In English (`cause`'s Display).
        reason: String,
        cause: FailureCause,
    },
    /// A background task panicked or was cancelled.
    #[error("read-model task failed: {0}")]
    Task(String),
}

impl From<KeyError> for ReadModelError {
    fn from(error: KeyError) -> Self {
        ReadModelError::BadCursor(error.to_string())
    }
}

/// How far a projector's committed rows have followed the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Checkpoint {
    /// The next position to apply: every record before it is in the rows.
    pub next_position: u64,
}

impl Checkpoint {
    /// Whether the record at `position` is in the rows.
    pub fn covers(&self, position: u64) -> bool {
        position < self.next_position
    }
}

impl std::fmt::Display for Checkpoint {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.next_position.checked_sub(1) {
            Some(position) => write!(formatter, "position {position}"),
            None => formatter.write_str("no position yet"),
        }
    }
}

/// Why a projector stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The record it could not apply (its checkpoint stays there).
    pub position: u64,
    /// Why, in English (`cause`'s Display): for logs and JSON.
    pub reason: String,
    /// Why, typed: what a user interface words in its own language.
    #[serde(skip)]
    pub cause: FailureCause,
}

impl Failure {
    pub fn new(position: u64, cause: FailureCause) -> Failure {
        Failure {
            position,
            reason: cause.to_string(),
            cause,
        }
    }
}

/// Why a projector stopped ([`Failure`]). The Display is English (logs,
/// JSON `reason`); a user interface words it from the variant. `detail`
/// is another component's own words: a projector's
/// `ProjectionError` text (projections/), the event decoder's,
/// the table store's or the log's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureCause {
    /// The projector refused the event (its own words).
    #[error("{detail}")]
    Projection { detail: String },
    /// The projector panicked applying the event.
    #[error("the projector panicked")]
    Panicked,
    /// The event does not decode.
    #[error("{detail}")]
    Undecodable { detail: String },
    /// A projector whose tables it reads failed first.
    #[error("reads the tables of projector {provider}, which failed at position {position}")]
    ProviderFailed {
        provider: &'static str,
        position: u64,
    },
    /// Writing its tables (journal or commit) failed.
    #[error("{detail}")]
    Tables { detail: String },
    /// Reading the log failed.
    #[error("reading the log: {detail}")]
    ReadLog { detail: String },
}

/// A projector's start and progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableProjectorStatus {
    pub name: &'static str,
    pub version: u32,
    /// The position it resumed from (0 when built from scratch).
    pub started_from: u64,
    /// Why it was rebuilt from position 0, when it was.
    pub rebuilt_because: Option<String>,
    /// What its committed rows reflect (what reads see).
    pub committed: Checkpoint,
    /// What it has folded, committed or not.
    pub applied: Checkpoint,
    pub failed: Option<Failure>,
    /// Bytes in its read cache now, and the most ever.
    pub cache_bytes: usize,
    pub cache_peak_bytes: usize,
    /// Time spent in this projector's `apply` since the runner started,
    /// in milliseconds (where a rebuild's time goes).
    pub fold_ms: u64,
    /// CPU time of the threads that ran those folds, in milliseconds:
    /// their cost without the waits for a core that `fold_ms` includes.
    pub fold_cpu_ms: u64,
    /// Time spent committing this projector's rows (its batches on its
    /// tree) since the runner started, in milliseconds.
    pub commit_ms: u64,
    /// Rows written (or deleted) by its commits since the runner started:
    /// a row changed many times between two commits counts once.
    pub rows_committed: u64,
    /// Rows its fold found kept decoded ([`RowMemo`](salesledger_projections::tables::RowMemo)) and rows it looked
    /// for there and had to read, since the runner started.
    pub memo_hits: u64,
    pub memo_misses: u64,
}

/// When rows are committed, how much is cached, how pages are folded.
#[derive(Clone, Debug)]
pub struct TableRunnerOptions {
    /// Commit after this many folded records.
    pub commit_every_events: u64,
    /// Commit at least this often while records are folded and the lane
    /// has caught up with the log's head.
    pub commit_interval: Duration,
    /// Commit at least this often while a lane is catching up (more
    /// records than one page behind the head).
    pub catch_up_commit_interval: Duration,
    /// Commit once the rows the lane's projectors wrote since the last
    /// commit reach this many bytes (keys, values and a per-row overhead):
    /// batches sized by bytes, so memory stays bounded whatever the rows.
    pub commit_bytes: usize,
    /// Commit as soon as a lane has folded everything up to the log's head
    /// (read-your-writes). Turned off only to test crash recovery.
    pub commit_when_caught_up: bool,
    /// Records read and decoded per page.
    pub page_size: usize,
    /// The read-cache budget of each projector, in bytes.
    pub cache_bytes: usize,
    /// Fold a page in parallel (one thread per core, at least two, each
    /// taking the next projector whose providers are done) from this many
    /// records on.
    pub parallel_from_records: usize,
    /// The page cache of the tables' database ([`disk`]).
    pub storage_cache_bytes: usize,
    /// Compact the tables' database once a lane has caught up after
    /// folding, while more than a page behind the head, at least this many
    /// records and at least half of the records it now covers (a rebuild, a
    /// resume after a long downtime, a large import): such a catch-up
    /// leaves about half of the file free. Live following never compacts.
    /// Commits wait while it runs, reads do not ([`disk::Disk::compact`]).
    pub compact_after_records: u64,
    /// Fold only the records before this position, as if the log ended
    /// there (offline `replay --position/--as-of`): lanes never read past
    /// it, [`TableRunner::wait_caught_up`] waits for it. `None`: follow the
    /// log.
    pub stop_before: Option<u64>,
}

impl TableRunnerOptions {
    /// Where the log ends for this runner: its head, or
    /// [`TableRunnerOptions::stop_before`] when that is earlier.
    pub fn log_end(&self, head_len: u64) -> u64 {
        self.stop_before.map_or(head_len, |stop| stop.min(head_len))
    }
}

impl Default for TableRunnerOptions {
    fn default() -> Self {
        TableRunnerOptions {
            commit_every_events: 50_000,
            commit_interval: Duration::from_secs(1),
            // Measured (docs/PERFORMANCE.md): 10 s made the rebuild slower,
            // not faster, while health's due rows left a tombstone per
            // account and close in the dirty set, which each close's range
            // read. Measured again with health version 5 (2026-12-05): 5 s
            // and 0.5 s both fold health slower than 1 s at N = 98,728.
            catch_up_commit_interval: Duration::from_secs(1),
            commit_bytes: 32 * 1024 * 1024,
            commit_when_caught_up: true,
            page_size: 1_024,
            // Both caches measured at 1.08M events (docs/PERFORMANCE.md,
            // "Smaller caches by default"): 2 and 8 MiB instead of 8 and
            // 32 keep a rebuild's peak under 400 MB with the log's 32 MiB
            // cache, at a cost of about a tenth of the rebuild rate.
            cache_bytes: 2 * 1024 * 1024,
            parallel_from_records: 64,
            storage_cache_bytes: 8 * 1024 * 1024,
            compact_after_records: 10_000,
            stop_before: None,
        }
    }
}

/// One page of a table, in key order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Page<K, V> {
    pub rows: Vec<(K, V)>,
    /// Pass it back for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// What the rows reflect (at least).
    pub checkpoint: Checkpoint,
}
