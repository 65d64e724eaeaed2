//! One projector's fold state, owned by its lane: the write-back cache, the
//! transaction over it, the fold of a page and the commit of a batch.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use salesledger_domain::Event;
use salesledger_projections::tables::{prefix_end, RawRead, RawRows, RawTx, TableError, Tx};
use salesledger_projections::ProjectionError;
use salesledger_store::RecordedEvent;

use super::cache::RowCache;
use super::{Failure, CHECKPOINT_KEY, VERSION_KEY};

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

/// One projector's state between commits.
pub struct Folder {
    pub name: &'static str,
    pub version: u32,
    pub tables: &'static [&'static str],
    pub apply: ApplyFn,
    pub tree: sled::Tree,
    /// The next position to apply.
    pub next: u64,
    /// The checkpoint of the last commit.
    pub committed: u64,
    pub failed: Option<Failure>,
    pub cache: RowCache,
    dirty: Writes,
    staged: Writes,
}

impl Folder {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &'static str,
        version: u32,
        tables: &'static [&'static str],
        apply: ApplyFn,
        tree: sled::Tree,
        next: u64,
        cache_budget: usize,
    ) -> Self {
        Folder {
            name,
            version,
            tables,
            apply,
            tree,
            next,
            committed: next,
            failed: None,
            cache: RowCache::new(cache_budget),
            dirty: Writes::new(),
            staged: Writes::new(),
        }
    }

    /// Whether a commit would write anything.
    pub fn has_changes(&self) -> bool {
        !self.dirty.is_empty() || self.next != self.committed
    }

    /// Folds the records of `page` this projector has not applied yet, in
    /// order, stopping at the first it cannot apply.
    pub fn fold(&mut self, page: &[Decoded]) {
        for (record, event) in page {
            if self.failed.is_some() {
                return;
            }
            if record.position < self.next {
                continue;
            }
            let outcome = match event {
                Err(reason) => Err(reason.clone()),
                Ok(None) => Ok(()),
                Ok(Some(event)) => {
                    let apply = self.apply;
                    let result = catch_unwind(AssertUnwindSafe(|| {
                        apply(&mut Tx::new(&mut FoldTx { folder: self }), record, event)
                    }));
                    match result {
                        Ok(Ok(())) => Ok(()),
                        Ok(Err(error)) => Err(error.to_string()),
                        Err(_panic) => Err("the projector panicked".to_owned()),
                    }
                }
            };
            match outcome {
                Ok(()) => {
                    let staged = std::mem::take(&mut self.staged);
                    self.dirty.extend(staged);
                    self.next = record.position + 1;
                }
                Err(reason) => {
                    self.staged.clear();
                    tracing::error!(projector = self.name, position = record.position, %reason, "projector failed");
                    self.failed = Some(Failure {
                        position: record.position,
                        reason,
                    });
                }
            }
        }
    }

    /// Writes the dirty rows, the checkpoint and the version in one atomic
    /// batch on this projector's tree; the written rows move to the cache.
    pub fn commit(&mut self) -> Result<(), sled::Error> {
        if !self.has_changes() {
            return Ok(());
        }
        let dirty = std::mem::take(&mut self.dirty);
        let mut batch = sled::Batch::default();
        for (key, value) in &dirty {
            match value {
                Some(value) => batch.insert(key.as_slice(), value.as_slice()),
                None => batch.remove(key.as_slice()),
            }
        }
        batch.insert(VERSION_KEY, &self.version.to_be_bytes());
        batch.insert(CHECKPOINT_KEY, &self.next.to_be_bytes());
        if let Err(error) = self.tree.apply_batch(batch) {
            // Nothing was written: keep the rows dirty for the next try.
            self.dirty = dirty;
            return Err(error);
        }
        self.committed = self.next;
        for (key, value) in dirty {
            self.cache.insert(key, value);
        }
        Ok(())
    }

    fn check_table(&self, table: &'static str) -> Result<(), TableError> {
        if self.tables.contains(&table) {
            Ok(())
        } else {
            Err(TableError::Undeclared(table))
        }
    }
}

/// The transaction a projector's `apply` runs in (see [`super::cache`]).
struct FoldTx<'a> {
    folder: &'a mut Folder,
}

fn storage(error: sled::Error) -> TableError {
    TableError::Storage(error.to_string())
}

/// Rows of `tree` under `prefix` with `from <= key < to` (keys relative
/// to the prefix), at most `limit`.
pub fn scan(
    tree: &sled::Tree,
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
    let iter = match &end {
        Some(end) => tree.range(start.as_slice()..end.as_slice()),
        None => tree.range(start.as_slice()..),
    };
    let mut rows = Vec::new();
    for entry in iter.take(limit) {
        let (key, value) = entry.map_err(storage)?;
        let relative = key.get(prefix.len()..).unwrap_or_default().to_vec();
        rows.push((relative, value.to_vec()));
    }
    Ok(rows)
}

impl RawRead for FoldTx<'_> {
    fn get_raw(&mut self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, TableError> {
        self.folder.check_table(table)?;
        let full = row_key(table, key);
        if let Some(value) = self.folder.staged.get(&full) {
            return Ok(value.clone());
        }
        if let Some(value) = self.folder.dirty.get(&full) {
            return Ok(value.clone());
        }
        if let Some(value) = self.folder.cache.get(&full) {
            return Ok(value);
        }
        let value = self
            .folder
            .tree
            .get(&full)
            .map_err(storage)?
            .map(|value| value.to_vec());
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
        self.folder.check_table(table)?;
        let prefix = row_key(table, &[]);
        let start = row_key(table, from);
        let end = match to {
            Some(to) => Some(row_key(table, to)),
            None => prefix_end(&prefix),
        };
        let in_range = |key: &Vec<u8>| {
            key.as_slice() >= start.as_slice() && end.as_ref().map_or(true, |end| key < end)
        };
        // Uncommitted writes in range, the record's own last.
        let mut overlay: Writes = Writes::new();
        for writes in [&self.folder.dirty, &self.folder.staged] {
            for (key, value) in writes
                .range(start.clone()..)
                .take_while(|(key, _)| in_range(key))
            {
                overlay.insert(key.clone(), value.clone());
            }
        }
        let committed = scan(
            &self.folder.tree,
            &prefix,
            from,
            to,
            limit.saturating_add(overlay.len()),
        )?;
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = committed
            .into_iter()
            .map(|(key, value)| ([prefix.as_slice(), &key].concat(), value))
            .collect();
        for (key, value) in overlay {
            match value {
                Some(value) => merged.insert(key, value),
                None => merged.remove(&key),
            };
        }
        Ok(merged
            .into_iter()
            .take(limit)
            .map(|(key, value)| (key.get(prefix.len()..).unwrap_or_default().to_vec(), value))
            .collect())
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
        self.folder.staged.insert(row_key(table, &key), Some(value));
        Ok(())
    }

    fn delete_raw(&mut self, table: &'static str, key: Vec<u8>) -> Result<(), TableError> {
        self.folder.check_table(table)?;
        self.folder.staged.insert(row_key(table, &key), None);
        Ok(())
    }
}

/// Folds `page` into every folder: in parallel (one scoped thread each)
/// when `parallel` and there is more than one, else one after the other.
/// Each record was decoded once, for all of them.
pub fn fold_page(folders: &mut [Folder], page: &[Decoded], parallel: bool) {
    let active = folders
        .iter()
        .filter(|folder| folder.failed.is_none())
        .count();
    if parallel && active > 1 {
        std::thread::scope(|scope| {
            for folder in folders.iter_mut().filter(|folder| folder.failed.is_none()) {
                scope.spawn(move || folder.fold(page));
            }
        });
    } else {
        for folder in folders.iter_mut() {
            folder.fold(page);
        }
    }
}
