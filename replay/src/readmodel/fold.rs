//! One projector's fold state, owned by its lane: the write-back cache, the
//! transaction over it, the fold of a page and the commit of a batch.
//!
//! **Shared tables.** A projector may read tables another projector of its
//! lane writes (`TableProjector::reads`, e.g. the directory). A reader
//! folds a page only once its providers have ([`fold_folders`]); while a
//! provider folds a page it keeps a *journal* of the page's writes to the
//! tables its readers read (each key's values by position, and the value
//! before the page; its other tables are not journaled), so a reader
//! folding record `p` sees the provider's rows exactly as of `p`: never a
//! later record's writes, whatever the page size. Readers do not touch the
//! provider's cache: they read its dirty rows, its commit in flight (see
//! below), the journal and its tree.
//!
//! **Commits beside the fold.** A commit takes the dirty rows out of the
//! folder ([`Folder::begin_commit`]) into a [`CommitPart`] that a
//! blocking thread writes ([`commit_parts`]) while the lane folds its next
//! pages. Until the commit has landed, the rows it writes stay readable in
//! the folder as a layer between the dirty rows and the cache (the
//! *committing* rows), so every read answers as if they were still dirty:
//! a read looks in `dirty`, `committing`, the cache, then the page's
//! snapshot (which may or may not already hold the commit: the two
//! agree). When the commit lands ([`Folder::landed`]) the layer is dropped
//! and its rows refresh the cache; when it fails ([`Folder::restore`]) they
//! go back under the dirty rows (a later write of the same key wins), so
//! the next commit writes them again. At most one commit per folder is in
//! flight.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

use salesledger_domain::Event;
use salesledger_projections::tables::{
    prefix_end, RawRead, RawRows, RawTx, RowMemo, TableError, Tx,
};
use salesledger_projections::ProjectionError;
use salesledger_store::RecordedEvent;

use super::cache::RowCache;
use super::dirty::{DirtyRows, Rows};
use super::disk::{self, Snapshot, Tree};
use super::{Failure, FailureCause, CHECKPOINT_KEY, VERSION_KEY};

/// `P::apply` of a table projector.
pub type ApplyFn = fn(&mut Tx<'_>, &RecordedEvent, &Event) -> Result<(), ProjectionError>;

/// A record of a page with its event decoded once for every projector:
/// `Ok(None)` for a type unknown to this build, `Err` when it does not
/// decode (every projector stops there).
pub type Decoded = (RecordedEvent, Result<Option<Event>, String>);

/// The storage key of a row: `r/<table>/<key>`.
pub fn row_key(table: &str, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(table.len() + key.len() + 3);
    out.extend_from_slice(b"r/");
    out.extend_from_slice(table.as_bytes());
    out.push(b'/');
    out.extend_from_slice(key);
    out
}

type Writes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// What the writes of the record being applied replaced, in order: each
/// write's row key and the dirty entry before it (`None`: the key was not
/// dirty). The keys are copied into one buffer, so a write costs no
/// allocation of its own here.
#[derive(Default)]
struct UndoLog {
    keys: Vec<u8>,
    writes: Vec<(std::ops::Range<usize>, Before)>,
}

/// A row's dirty entry before a write: `None` when it was not dirty.
type Before = Option<Option<Vec<u8>>>;

impl UndoLog {
    fn push(&mut self, key: &[u8], before: Before) {
        let start = self.keys.len();
        self.keys.extend_from_slice(key);
        self.writes.push((start..self.keys.len(), before));
    }

    fn clear(&mut self) {
        self.keys.clear();
        self.writes.clear();
    }

    /// The writes, oldest first: key and dirty entry before.
    fn iter(&self) -> impl Iterator<Item = (&[u8], &Before)> {
        self.writes
            .iter()
            .map(|(range, before)| (self.keys.get(range.clone()).unwrap_or_default(), before))
    }
}

/// Bytes a dirty row is charged beyond its key and value (the map entry).
pub const DIRTY_ENTRY_OVERHEAD: usize = 48;

/// A page's writes of a provider, per row key: (position, value) in order.
type Journal = BTreeMap<Vec<u8>, Vec<(u64, Option<Vec<u8>>)>>;

/// One projector's state between commits.
pub struct Folder {
    pub name: &'static str,
    pub version: u32,
    pub tables: &'static [&'static str],
    /// Shared tables this projector reads (written by a provider).
    pub reads: &'static [&'static str],
    pub apply: ApplyFn,
    /// For each table of `reads`, the index in the lane of the folder that
    /// writes it (always an earlier tier). Set by the lane.
    pub providers: Vec<(&'static str, usize)>,
    /// Whether readers in the lane read this folder (keep a journal).
    pub journaled: bool,
    /// The row-key prefixes (`r/<table>/`) of the tables readers read:
    /// only their writes are journaled (a provider's other tables are
    /// never read as of a record, so journaling them only cost a copy and,
    /// for a new key, a read of its committed value). See
    /// [`Folder::journal_table`].
    journaled_prefixes: Vec<Vec<u8>>,
    /// (address, length) of the names of its own tables `apply` has used
    /// ([`Self::owns`]).
    own_names: Vec<(usize, usize)>,
    /// The tier: 0 without `reads`, else one more than its providers'.
    pub tier: usize,
    /// A lane's private copy of a provider (not a runner slot): its tree is
    /// scratch space, dropped when the lane ends.
    pub private: bool,
    pub tree: Tree,
    /// The committed rows as of the page being folded (taken by
    /// [`fold_page`] for every folder of the lane, dropped at its end): one
    /// read transaction per page, not one per cache miss.
    snapshot: Option<Snapshot>,
    /// The next position to apply.
    pub next: u64,
    /// The checkpoint of the last commit.
    pub committed: u64,
    pub failed: Option<Failure>,
    pub cache: RowCache,
    /// Rows the projector keeps decoded between records
    /// ([`RowMemo`]); cleared when a record fails.
    pub memo: RowMemo,
    /// Nanoseconds spent folding pages.
    pub fold_nanos: u64,
    /// CPU nanoseconds of the threads that folded them: what the folds
    /// cost, without the time spent waiting for a core (on two cores a
    /// lane's folders share them, and a page's wall time is its slowest
    /// folder's).
    pub fold_cpu_nanos: u64,
    /// Nanoseconds spent in commits.
    pub commit_nanos: u64,
    /// Rows written or deleted by commits.
    pub rows_committed: u64,
    dirty: DirtyRows,
    /// What `dirty` holds, in bytes (keys, values and
    /// [`DIRTY_ENTRY_OVERHEAD`] each): what sizes commit batches.
    dirty_bytes: usize,
    /// The rows of the commit in flight ([`Self::begin_commit`]), with the
    /// checkpoint it writes: read between `dirty` and the cache until it
    /// lands or fails.
    committing: Option<(Arc<DirtyRows>, u64)>,
    /// The record being applied writes straight into `dirty`; this undoes
    /// its writes if it fails (a record applies whole or not at all), in
    /// reverse order. Cleared at every record.
    undo: UndoLog,
    /// `dirty_bytes` before the record being applied.
    undo_bytes: usize,
    journal: Journal,
    /// The value of each journaled key before the page.
    before: Writes,
}

impl Folder {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &'static str,
        version: u32,
        tables: &'static [&'static str],
        reads: &'static [&'static str],
        apply: ApplyFn,
        tree: Tree,
        next: u64,
        cache_budget: usize,
    ) -> Self {
        Folder {
            name,
            version,
            tables,
            reads,
            apply,
            providers: Vec::new(),
            journaled: false,
            journaled_prefixes: Vec::new(),
            own_names: Vec::new(),
            tier: 0,
            private: false,
            tree,
            snapshot: None,
            next,
            committed: next,
            failed: None,
            cache: RowCache::new(cache_budget),
            memo: RowMemo::default(),
            fold_nanos: 0,
            fold_cpu_nanos: 0,
            commit_nanos: 0,
            rows_committed: 0,
            dirty: DirtyRows::default(),
            dirty_bytes: 0,
            committing: None,
            undo: UndoLog::default(),
            undo_bytes: 0,
            journal: Journal::new(),
            before: Writes::new(),
        }
    }

    /// Marks `table` as read by a reader of the lane: its writes are
    /// journaled from now on.
    pub fn journal_table(&mut self, table: &str) {
        let prefix = row_key(table, &[]);
        // Its readers read it by range too.
        self.dirty.index_prefix(&prefix);
        if !self.journaled_prefixes.contains(&prefix) {
            self.journaled_prefixes.push(prefix);
        }
        self.journaled = true;
    }

    fn is_journaled(&self, key: &[u8]) -> bool {
        self.journaled_prefixes
            .iter()
            .any(|prefix| key.starts_with(prefix))
    }

    /// The bytes of the rows a commit would write now.
    pub fn dirty_bytes(&self) -> usize {
        self.dirty_bytes
    }

    /// Writes a row of the record being applied into the dirty set (a
    /// deletion is `None`), keeping its byte count and what it replaced
    /// ([`Self::undo_record`]). A deletion of a row written since the last
    /// commit and absent from the committed rows leaves nothing to write:
    /// the row is dropped from the dirty set (a due-day bucket or a
    /// ranking entry made and consumed between two commits, the most
    /// common deletions of a rebuild, then cost the commit nothing).
    fn write(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        let key_len = key.len();
        if value.is_none()
            && matches!(self.dirty.get(&key), Some(Some(_)))
            && self.committed_absent(&key)
        {
            if let Some(old) = self.dirty.remove(&key) {
                let old_len = old.as_ref().map_or(0, Vec::len);
                self.dirty_bytes = self
                    .dirty_bytes
                    .saturating_sub(key_len + old_len + DIRTY_ENTRY_OVERHEAD);
                self.undo.push(&key, Some(old));
            }
            return;
        }
        let value_len = value.as_ref().map_or(0, Vec::len);
        self.undo.push(&key, None);
        let old = self.dirty.insert(key, value);
        match &old {
            Some(old) => {
                let old_len = old.as_ref().map_or(0, Vec::len);
                self.dirty_bytes = (self.dirty_bytes + value_len).saturating_sub(old_len);
            }
            None => self.dirty_bytes += key_len + value_len + DIRTY_ENTRY_OVERHEAD,
        }
        if let Some(last) = self.undo.writes.last_mut() {
            last.1 = old;
        }
    }

    /// Undoes the writes of the record being applied, newest first.
    fn undo_record(&mut self) {
        while let Some((range, before)) = self.undo.writes.pop() {
            let key = self.undo.keys.get(range).unwrap_or_default();
            match before {
                Some(value) => {
                    self.dirty.insert(key.to_vec(), value);
                }
                None => {
                    self.dirty.remove(key);
                }
            }
        }
        self.undo.clear();
        self.dirty_bytes = self.undo_bytes;
    }

    /// Whether the committed rows are known to hold nothing under `key`
    /// once the commit in flight has landed (its word, else the cache's,
    /// else the tree's). A failed read answers `false`: the deletion is
    /// then written, which is always correct.
    fn committed_absent(&mut self, key: &[u8]) -> bool {
        if let Some(value) = self.committing_row(key) {
            return value.is_none();
        }
        match self.cache.knows(key) {
            Some(present) => !present,
            None => matches!(
                self.with_snapshot(|snapshot| snapshot.contains_key(key)),
                Ok(false)
            ),
        }
    }

    /// Whether a commit would write anything.
    pub fn has_changes(&self) -> bool {
        let committed = self
            .committing
            .as_ref()
            .map_or(self.committed, |(_, next)| *next);
        !self.dirty.is_empty() || self.next != committed
    }

    /// The value the commit in flight writes under `key`, if it writes it.
    fn committing_row(&self, key: &[u8]) -> Option<&Option<Vec<u8>>> {
        self.committing.as_ref().and_then(|(rows, _)| rows.get(key))
    }

    /// An uncommitted value of `key`: dirty, else being committed.
    fn pending_row(&self, key: &[u8]) -> Option<&Option<Vec<u8>>> {
        self.dirty.get(key).or_else(|| self.committing_row(key))
    }

    /// The layers of uncommitted writes over the committed rows in
    /// `bounds`, oldest first (a later one wins in [`merged_range`]).
    fn overlays<'w>(&'w self, bounds: &'w RowRange) -> Vec<Rows<'w>> {
        let mut layers: Vec<Rows<'w>> = Vec::with_capacity(3);
        let end = bounds.end.as_deref();
        if let Some((rows, _)) = &self.committing {
            layers.push(rows.range(&bounds.prefix, &bounds.start, end));
        }
        layers.push(self.dirty.range(&bounds.prefix, &bounds.start, end));
        layers
    }

    /// Takes the dirty rows, the checkpoint and the version out for a
    /// commit ([`commit_parts`]), keeping the rows readable until it lands
    /// ([`Self::landed`]) or fails ([`Self::restore`]). `None` when there
    /// is nothing to commit, or a commit of this folder is in flight.
    pub fn begin_commit(&mut self) -> Option<CommitPart> {
        if self.committing.is_some() || !self.has_changes() {
            return None;
        }
        let empty = self.dirty.empty_like();
        let rows = Arc::new(std::mem::replace(&mut self.dirty, empty));
        self.dirty_bytes = 0;
        self.committing = Some((rows.clone(), self.next));
        Some(CommitPart {
            tree: self.tree.clone(),
            version: self.version,
            next: self.next,
            rows,
        })
    }

    /// The commit begun by [`Self::begin_commit`] is durable: its rows are
    /// the committed ones. A written row that the read cache holds is
    /// refreshed there; the others are not cached: most rows a commit
    /// writes were written blind (an index row, a new entry) and would only
    /// push out the rows `apply` reads back. `nanos`: the commit's time
    /// charged to this folder.
    pub fn landed(&mut self, nanos: u64) {
        let Some((rows, next)) = self.take_committing() else {
            return;
        };
        self.committed = next;
        self.commit_nanos = self.commit_nanos.saturating_add(nanos);
        self.rows_committed += rows.len() as u64;
        for (key, value) in rows.into_rows() {
            self.cache.refresh(key, value);
        }
        tracing::debug!(
            projector = self.name,
            next_position = self.committed,
            "tables committed"
        );
    }

    /// The rows and checkpoint of the commit in flight, taken out of the
    /// folder (without a copy once [`commit_parts`] has dropped its part).
    fn take_committing(&mut self) -> Option<(DirtyRows, u64)> {
        let (rows, next) = self.committing.take()?;
        Some((
            Arc::try_unwrap(rows).unwrap_or_else(|shared| (*shared).clone()),
            next,
        ))
    }

    /// The commit begun by [`Self::begin_commit`] failed: nothing of it is
    /// committed, its rows are dirty again under any written since.
    pub fn restore(&mut self) {
        let Some((rows, _)) = self.take_committing() else {
            return;
        };
        for (key, value) in rows.into_rows() {
            if self.dirty.get(&key).is_none() {
                self.dirty_bytes +=
                    key.len() + value.as_ref().map_or(0, Vec::len) + DIRTY_ENTRY_OVERHEAD;
                self.dirty.insert(key, value);
            }
        }
    }

    /// Folds the records of `page` this projector has not applied yet, in
    /// order, stopping at the first it cannot apply. `lane`, by lane index,
    /// holds the folders already folded over the page: among them, the
    /// providers of the tables this projector reads.
    pub fn fold(&mut self, page: &[Decoded], lane: &[Option<&Folder>]) {
        let started = std::time::Instant::now();
        let cpu_started = cpu_time::ThreadTime::try_now().ok();
        self.fold_records(page, lane);
        add_elapsed(&mut self.fold_nanos, started);
        if let Some(cpu) = cpu_started.and_then(|started| started.try_elapsed().ok()) {
            let cpu = u64::try_from(cpu.as_nanos()).unwrap_or(u64::MAX);
            self.fold_cpu_nanos = self.fold_cpu_nanos.saturating_add(cpu);
        }
    }

    fn fold_records(&mut self, page: &[Decoded], lane: &[Option<&Folder>]) {
        if self.journaled {
            self.journal.clear();
            self.before.clear();
        }
        // A provider that failed stops its readers at the same position.
        let provider_failure = self
            .providers
            .iter()
            .filter_map(|(_, index)| lane.get(*index).copied().flatten())
            .filter_map(|provider| {
                provider
                    .failed
                    .as_ref()
                    .map(|failure| (failure.position, provider.name))
            })
            .min();
        for (record, event) in page {
            if self.failed.is_some() {
                return;
            }
            if record.position < self.next {
                continue;
            }
            if let Some((position, provider)) = provider_failure {
                if record.position >= position {
                    tracing::error!(
                        projector = self.name,
                        position,
                        provider,
                        "a provider failed"
                    );
                    self.failed = Some(Failure::new(
                        position,
                        FailureCause::ProviderFailed { provider, position },
                    ));
                    return;
                }
            }
            self.undo.clear();
            self.undo_bytes = self.dirty_bytes;
            let outcome = match event {
                Err(reason) => Err(FailureCause::Undecodable {
                    detail: reason.clone(),
                }),
                Ok(None) => Ok(()),
                Ok(Some(event)) => {
                    let apply = self.apply;
                    let position = record.position;
                    let result = catch_unwind(AssertUnwindSafe(|| {
                        let mut tx = FoldTx {
                            folder: self,
                            lane,
                            position,
                        };
                        apply(&mut Tx::new(&mut tx), record, event)
                    }));
                    match result {
                        Ok(Ok(())) => Ok(()),
                        Ok(Err(error)) => Err(FailureCause::Projection {
                            detail: error.to_string(),
                        }),
                        Err(_panic) => Err(FailureCause::Panicked),
                    }
                }
            };
            match outcome {
                Ok(()) => {
                    if self.journaled {
                        if let Err(error) = self.journal_writes(record.position) {
                            self.undo_record();
                            self.memo.clear();
                            self.failed = Some(Failure::new(
                                record.position,
                                FailureCause::Tables {
                                    detail: error.to_string(),
                                },
                            ));
                            return;
                        }
                    }
                    self.undo.clear();
                    self.next = record.position + 1;
                }
                Err(cause) => {
                    self.undo_record();
                    // Entries this record made may be ahead of its
                    // dropped writes.
                    self.memo.clear();
                    tracing::error!(projector = self.name, position = record.position, reason = %cause, "projector failed");
                    self.failed = Some(Failure::new(record.position, cause));
                }
            }
        }
    }

    /// `read` over the page's snapshot of the committed rows, or over a
    /// new one outside a page.
    fn with_snapshot<R>(
        &self,
        read: impl FnOnce(&Snapshot) -> Result<R, disk::Error>,
    ) -> Result<R, disk::Error> {
        match &self.snapshot {
            Some(snapshot) => read(snapshot),
            None => read(&self.tree.snapshot()?),
        }
    }

    /// Whether `table` is one of this projector's own tables. A name
    /// found once is known by its address from then on (`apply` names a
    /// table by a `const`, so the same few addresses come back at every
    /// write and read), so the check compares no text after the first.
    fn owns(&mut self, table: &'static str) -> bool {
        let name = (table.as_ptr() as usize, table.len());
        if self.own_names.contains(&name) {
            return true;
        }
        let declared = self.tables.contains(&table);
        if declared {
            self.own_names.push(name);
        }
        declared
    }

    fn check_table(&mut self, table: &'static str) -> Result<(), TableError> {
        if self.owns(table) {
            Ok(())
        } else {
            Err(TableError::Undeclared(table))
        }
    }

    /// Records the writes of the record at `position` (its undo log) in
    /// the page's journal, with each key's value before the page at its
    /// first write.
    fn journal_writes(&mut self, position: u64) -> Result<(), TableError> {
        let undo = std::mem::take(&mut self.undo);
        let journaled = self.journal_undo(position, &undo);
        self.undo = undo;
        journaled
    }

    fn journal_undo(&mut self, position: u64, undo: &UndoLog) -> Result<(), TableError> {
        // The first entry of a key holds its dirty entry before the record.
        for (key, before_record) in undo.iter() {
            if !self.is_journaled(key) {
                continue;
            }
            // A row the record wrote and then dropped from the dirty set
            // is absent from the committed rows too.
            let value = self.dirty.get(key).cloned().flatten();
            match self.journal.get_mut(key) {
                Some(values) => {
                    if values.last().is_some_and(|(at, _)| *at == position) {
                        // A later write of the same key by this record.
                        continue;
                    }
                    values.push((position, value));
                }
                None => {
                    // The committed value is usually cached: `apply` read it.
                    let before = match before_record {
                        Some(value) => value.clone(),
                        None => match self.committing_row(key) {
                            Some(value) => value.clone(),
                            None => match self.cache.get(key) {
                                Some(value) => value,
                                None => self.committed_row(key)?,
                            },
                        },
                    };
                    self.before.insert(key.to_vec(), before);
                    self.journal.insert(key.to_vec(), vec![(position, value)]);
                }
            }
        }
        Ok(())
    }

    fn committed_row(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TableError> {
        self.with_snapshot(|snapshot| snapshot.get(key))
            .map_err(storage)
    }

    /// A row of this (provider) folder as of the record at `position` of
    /// the page it has just folded: the journal's last value at or before
    /// `position`, else the value before the page.
    fn row_as_of(&self, key: &[u8], position: u64) -> Result<Option<Vec<u8>>, TableError> {
        if let Some(values) = self.journal.get(key) {
            return Ok(self.journaled_as_of(key, values, position).clone());
        }
        match self.pending_row(key) {
            Some(value) => Ok(value.clone()),
            None => self.committed_row(key),
        }
    }

    /// The value of a journaled key (`values`, its journal) as of the
    /// record at `position`: the journal's last value at or before it,
    /// else the value before the page (absent: `None`).
    fn journaled_as_of<'j>(
        &'j self,
        key: &[u8],
        values: &'j [(u64, Option<Vec<u8>>)],
        position: u64,
    ) -> &'j Option<Vec<u8>> {
        const ABSENT: &Option<Vec<u8>> = &None;
        match values.iter().rev().find(|(at, _)| *at <= position) {
            Some((_, value)) => value,
            None => self.before.get(key).unwrap_or(ABSENT),
        }
    }

    /// Rows of this (provider) folder's `table` in `from..to` as of the
    /// record at `position` (see [`Self::row_as_of`]), at most `limit`.
    ///
    /// The journal's keys in range are the top layer, each with its value
    /// as of `position` (absent when it was deleted by then, or written
    /// only later in the page), taken as the merge reaches it: a read of
    /// the first rows of a range looks at no more of the page's writes than
    /// come before them (a risk list of ten reads ten rows of the ranking,
    /// not the value as of its record of every row the page rewrote).
    fn range_as_of(
        &self,
        table: &'static str,
        from: &[u8],
        to: Option<&[u8]>,
        limit: usize,
        position: u64,
    ) -> Result<RawRows, TableError> {
        let bounds = RowRange::new(table, from, to);
        let journal: Rows<'_> =
            Box::new(bounds.of(&self.journal).map(|(key, values)| {
                (key.as_slice(), self.journaled_as_of(key, values, position))
            }));
        let mut overlays = self.overlays(&bounds);
        overlays.push(journal);
        self.with_snapshot(|snapshot| Ok(merged_range(snapshot, &bounds, limit, overlays)))
            .map_err(storage)?
    }
}

/// Adds the nanoseconds since `started` to `total` (saturating).
fn add_elapsed(total: &mut u64, started: std::time::Instant) {
    let elapsed = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    *total = total.saturating_add(elapsed);
}

/// The storage keys of a table's rows in `from..to`.
struct RowRange {
    prefix: Vec<u8>,
    start: Vec<u8>,
    end: Option<Vec<u8>>,
}

impl RowRange {
    fn new(table: &str, from: &[u8], to: Option<&[u8]>) -> Self {
        let prefix = row_key(table, &[]);
        let end = match to {
            Some(to) => Some(row_key(table, to)),
            None => prefix_end(&prefix),
        };
        RowRange {
            start: row_key(table, from),
            prefix,
            end,
        }
    }

    /// The entries of `map` whose keys are in range, in order.
    fn of<'m, V>(
        &self,
        map: &'m BTreeMap<Vec<u8>, V>,
    ) -> impl Iterator<Item = (&'m Vec<u8>, &'m V)> {
        let end = self.end.clone();
        map.range(self.start.clone()..)
            .take_while(move |(key, _)| end.as_ref().map_or(true, |end| *key < end))
    }
}

/// Committed rows of `tree` in range with `overlays` (uncommitted writes;
/// a later overlay wins) merged over them, at most `limit`, keys relative
/// to the table. A lazy merge in key order: it reads no more committed
/// rows and copies no more overlay rows than the answer needs (a risk list
/// of 20 reads 20 rows, not every row of the ranking and every dirty one).
fn merged_range(
    committed: &Snapshot,
    bounds: &RowRange,
    limit: usize,
    overlays: Vec<Rows<'_>>,
) -> Result<RawRows, TableError> {
    let prefix_len = bounds.prefix.len();
    let mut committed = committed
        .range(&bounds.start, bounds.end.as_deref())
        .map_err(storage)?;
    let mut layers: Vec<_> = overlays.into_iter().map(Iterator::peekable).collect();
    let mut head = committed.next().transpose().map_err(storage)?;
    let mut rows = Vec::new();
    while rows.len() < limit {
        let mut smallest: Option<&[u8]> = head.as_ref().map(|(key, _)| key.as_ref());
        for layer in &mut layers {
            if let Some((key, _)) = layer.peek() {
                if smallest.map_or(true, |smallest| *key < smallest) {
                    smallest = Some(key);
                }
            }
        }
        let Some(key) = smallest.map(<[u8]>::to_vec) else {
            break;
        };
        // The last overlay holding the key wins over earlier ones and over
        // the committed row.
        let mut written: Option<&Option<Vec<u8>>> = None;
        for layer in &mut layers {
            if layer.peek().is_some_and(|(at, _)| *at == key.as_slice()) {
                written = layer.next().map(|(_, value)| value);
            }
        }
        let stored = if head.as_ref().is_some_and(|(at, _)| *at == key) {
            let stored = head.take().map(|(_, value)| value);
            head = committed.next().transpose().map_err(storage)?;
            stored
        } else {
            None
        };
        let value = match written {
            Some(value) => value.clone(),
            None => stored,
        };
        if let Some(value) = value {
            let relative = key.get(prefix_len..).unwrap_or_default().to_vec();
            rows.push((relative, value));
        }
    }
    Ok(rows)
}

/// The transaction a projector's `apply` runs in (see [`super::cache`]):
/// its own rows, and its providers' rows as of the record it applies.
struct FoldTx<'a> {
    folder: &'a mut Folder,
    lane: &'a [Option<&'a Folder>],
    position: u64,
}

impl<'a> FoldTx<'a> {
    /// The provider of a shared table this projector reads, if it is one.
    fn provider(&mut self, table: &'static str) -> Result<Option<&'a Folder>, TableError> {
        if self.folder.owns(table) {
            return Ok(None);
        }
        self.folder
            .providers
            .iter()
            .find(|(name, _)| *name == table)
            .and_then(|(_, index)| self.lane.get(*index).copied().flatten())
            .map(Some)
            .ok_or(TableError::Undeclared(table))
    }
}

fn storage(error: disk::Error) -> TableError {
    TableError::Storage(error.to_string())
}

/// Rows of `tree` under `prefix` with `from <= key < to` (keys relative
/// to the prefix), at most `limit`.
pub fn scan(
    committed: &Snapshot,
    prefix: &[u8],
    from: &[u8],
    to: Option<&[u8]>,
    limit: usize,
) -> Result<RawRows, TableError> {
    let start = [prefix, from].concat();
    let end = match to {
        Some(to) => Some([prefix, to].concat()),
        None => prefix_end(prefix),
    };
    let mut rows = Vec::new();
    for entry in committed
        .range(&start, end.as_deref())
        .map_err(storage)?
        .take(limit)
    {
        let (mut key, value) = entry.map_err(storage)?;
        key.drain(..prefix.len().min(key.len()));
        rows.push((key, value));
    }
    Ok(rows)
}

impl RawRead for FoldTx<'_> {
    fn get_raw(&mut self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, TableError> {
        if let Some(provider) = self.provider(table)? {
            return provider.row_as_of(&row_key(table, key), self.position);
        }
        let full = row_key(table, key);
        if let Some(value) = self.folder.pending_row(&full) {
            return Ok(value.clone());
        }
        if let Some(value) = self.folder.cache.get(&full) {
            return Ok(value);
        }
        let value = self.folder.committed_row(&full)?;
        self.folder.cache.insert(full, value.clone());
        Ok(value)
    }

    fn range_raw(
        &mut self,
        table: &'static str,
        from: &[u8],
        to: Option<&[u8]>,
        limit: usize,
    ) -> Result<RawRows, TableError> {
        if let Some(provider) = self.provider(table)? {
            return provider.range_as_of(table, from, to, limit, self.position);
        }
        // Uncommitted writes in range, the record's own among them.
        let bounds = RowRange::new(table, from, to);
        self.folder.dirty.index_prefix(&bounds.prefix);
        let folder = &*self.folder;
        folder
            .with_snapshot(|snapshot| {
                Ok(merged_range(
                    snapshot,
                    &bounds,
                    limit,
                    folder.overlays(&bounds),
                ))
            })
            .map_err(storage)?
    }
}

impl RawTx for FoldTx<'_> {
    fn put_raw(
        &mut self,
        table: &'static str,
        key: Vec<u8>,
        value: Vec<u8>,
    ) -> Result<(), TableError> {
        self.folder.check_table(table)?;
        self.folder.write(row_key(table, &key), Some(value));
        Ok(())
    }

    fn memo(&mut self, table: &'static str) -> Option<&mut RowMemo> {
        // Its own tables only: a provider's rows change under it.
        if self.folder.owns(table) {
            Some(&mut self.folder.memo)
        } else {
            None
        }
    }

    fn delete_raw(&mut self, table: &'static str, key: Vec<u8>) -> Result<(), TableError> {
        self.folder.check_table(table)?;
        self.folder.write(row_key(table, &key), None);
        Ok(())
    }
}

/// Folds `page` into every folder (see [`fold_folders`]). Each record was
/// decoded once, for all of them. Every folder reads the committed rows
/// through one snapshot taken here (a folder whose snapshot cannot be
/// taken reads through one per read, which reports the storage's error).
pub fn fold_page(folders: &mut [Folder], page: &[Decoded], parallel: bool) {
    for folder in folders.iter_mut() {
        folder.snapshot = folder.tree.snapshot().ok();
    }
    fold_folders(folders, page, parallel);
    // A snapshot keeps the pages it reads from being reused: none is held
    // between pages.
    for folder in folders.iter_mut() {
        folder.snapshot = None;
    }
}

/// How many threads fold a page in parallel: one per core, at least two
/// (independent projectors always fold side by side).
fn fold_workers() -> usize {
    static WORKERS: OnceLock<usize> = OnceLock::new();
    *WORKERS.get_or_init(|| {
        std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
            .max(2)
    })
}

/// Folds `page` into every folder of the lane (sorted by tier: providers
/// before their readers).
///
/// Not `parallel`: one after the other in that order. `parallel`: up to
/// [`fold_workers`] threads each take the next folder whose providers
/// have folded the page (a reader waits for its own providers only, not
/// for every folder of an earlier tier), providers first, then the
/// folders that have cost the most so far. So the lane's longest chain
/// (the directory, then health, then the risk list that reads health)
/// starts at once, and the other folders fill the other cores meanwhile;
/// waiting for whole tiers kept the costly tier-0 folders (the subject
/// index) ahead of health on every page. The order changes only when a
/// folder is folded, never what it folds: a folder reads its own rows and
/// its providers' rows as of each record.
fn fold_folders(folders: &mut [Folder], page: &[Decoded], parallel: bool) {
    let n = folders.len();
    let active = folders.iter().filter(|f| f.failed.is_none()).count();
    let workers = if parallel && active > 1 {
        fold_workers().min(active)
    } else {
        1
    };
    if workers <= 1 {
        for index in 0..n {
            let (earlier, rest) = folders.split_at_mut(index);
            let lane: Vec<Option<&Folder>> = earlier.iter().map(Some).collect();
            if let Some(folder) = rest.first_mut() {
                folder.fold(page, &lane);
            }
        }
        return;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&index| {
        let folder = &folders[index];
        (
            !folder.journaled,
            std::cmp::Reverse(folder.fold_nanos),
            index,
        )
    });
    let needs: Vec<Vec<usize>> = folders
        .iter()
        .map(|folder| folder.providers.iter().map(|(_, index)| *index).collect())
        .collect();
    let schedule = Schedule {
        order,
        needs,
        done: (0..n).map(|_| OnceLock::new()).collect(),
        slots: folders.iter_mut().map(|f| Mutex::new(Some(f))).collect(),
        taken: Mutex::new(vec![false; n]),
        moved: Condvar::new(),
        broken: AtomicBool::new(false),
    };
    std::thread::scope(|scope| {
        for _ in 1..workers {
            scope.spawn(|| schedule.work(page));
        }
        schedule.work(page);
    });
}

/// The folders of one page being folded by several workers
/// ([`fold_folders`]).
struct Schedule<'f> {
    /// Lane indexes in the order workers take them.
    order: Vec<usize>,
    /// The lane indexes of each folder's providers.
    needs: Vec<Vec<usize>>,
    /// The folders that have folded the page, readable by their readers.
    done: Vec<OnceLock<&'f Folder>>,
    /// The folders not taken yet.
    slots: Vec<Mutex<Option<&'f mut Folder>>>,
    /// Which folders a worker has taken.
    taken: Mutex<Vec<bool>>,
    /// Signalled when a folder is done.
    moved: Condvar,
    /// A worker panicked outside `apply` (a bug): the others stop rather
    /// than wait for its folder (the panic then stops the lane).
    broken: AtomicBool,
}

impl<'f> Schedule<'f> {
    /// Takes and folds ready folders until none is left to take.
    fn work(&self, page: &[Decoded]) {
        loop {
            // Covers `next` too: whatever panics, the others are woken.
            let _finish = Finish(self);
            let Some(index) = self.next() else {
                return;
            };
            let folder = lock(&self.slots[index]).take();
            if let Some(folder) = folder {
                let lane: Vec<Option<&Folder>> =
                    self.done.iter().map(|done| done.get().copied()).collect();
                folder.fold(page, &lane);
                let folder: &'f Folder = folder;
                let _ = self.done[index].set(folder);
            }
        }
    }

    /// The next folder whose providers are done, marked taken; `None` when
    /// every folder is taken (or a worker broke).
    fn next(&self) -> Option<usize> {
        let mut taken = lock(&self.taken);
        loop {
            if self.broken.load(Ordering::SeqCst) {
                return None;
            }
            let ready = self.order.iter().copied().find(|&index| {
                !taken[index]
                    && self.needs[index]
                        .iter()
                        .all(|&provider| self.done[provider].get().is_some())
            });
            if let Some(index) = ready {
                taken[index] = true;
                return Some(index);
            }
            if taken.iter().all(|taken| *taken) {
                return None;
            }
            taken = self
                .moved
                .wait(taken)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Wakes the waiting workers when a folder is done, or when its worker
/// unwinds (then marks the schedule broken).
struct Finish<'s, 'f>(&'s Schedule<'f>);

impl Drop for Finish<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.broken.store(true, Ordering::SeqCst);
        }
        // Under the lock: a worker between its look at `done` and its wait
        // holds it, so the wake-up is not lost.
        let _taken = lock(&self.0.taken);
        self.0.moved.notify_all();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One folder's share of a commit ([`Folder::begin_commit`]): its rows,
/// checkpoint and version, written into its table by [`commit_parts`] on
/// any thread while the folder folds on.
pub struct CommitPart {
    tree: Tree,
    version: u32,
    next: u64,
    rows: Arc<DirtyRows>,
}

impl CommitPart {
    /// Writes the rows, the checkpoint and the version into the folder's
    /// table within `txn`.
    fn write_into(&self, txn: &redb::WriteTransaction) -> Result<(), disk::Error> {
        let version = self.version.to_be_bytes();
        let next = self.next.to_be_bytes();
        let rows = self.rows.sorted().into_iter().chain([
            (VERSION_KEY, Some(&version[..])),
            (CHECKPOINT_KEY, Some(&next[..])),
        ]);
        self.tree.write(txn, rows)
    }
}

/// Writes the parts of a lane's folders in **one** write transaction (each
/// folder's rows, checkpoint and version in its own table): all of them
/// or, on an error, none. Answers the nanoseconds to charge each part, in
/// order: the time of writing its rows and an equal share of the
/// transaction's commit. The parts are dropped before it answers, so
/// [`Folder::landed`] and [`Folder::restore`] get their rows back without
/// a copy.
pub fn commit_parts(parts: Vec<CommitPart>) -> Result<Vec<u64>, disk::Error> {
    let Some(disk) = parts.first().map(|part| part.tree.disk().clone()) else {
        return Ok(Vec::new());
    };
    let mut write_nanos = vec![0u64; parts.len()];
    let started = std::time::Instant::now();
    disk.commit(false, |txn| {
        for (part, nanos) in parts.iter().zip(write_nanos.iter_mut()) {
            let writing = std::time::Instant::now();
            part.write_into(txn)?;
            add_elapsed(nanos, writing);
        }
        Ok(())
    })?;
    drop(parts);
    let total = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let share = total.saturating_sub(write_nanos.iter().sum()) / write_nanos.len() as u64;
    Ok(write_nanos.into_iter().map(|nanos| nanos + share).collect())
}

/// Commits the changes of every folder of a lane in one write transaction
/// ([`commit_parts`]) on this thread: all of them or, on an error, none
/// (their rows stay dirty for the next try). A commit in flight for one of
/// them must have landed or failed first: a folder with one is skipped.
pub fn commit_lane<'f>(
    folders: impl IntoIterator<Item = &'f mut Folder>,
) -> Result<(), disk::Error> {
    let mut changed: Vec<&mut Folder> = Vec::new();
    let mut parts = Vec::new();
    for folder in folders {
        if let Some(part) = folder.begin_commit() {
            parts.push(part);
            changed.push(folder);
        }
    }
    match commit_parts(parts) {
        Ok(nanos) => {
            for (folder, nanos) in changed.into_iter().zip(nanos) {
                folder.landed(nanos);
            }
            Ok(())
        }
        Err(error) => {
            for folder in changed {
                folder.restore();
            }
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests;
