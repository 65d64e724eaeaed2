//! Where committed rows live: one redb database, `tables.redb` in the
//! runner's directory, with one redb table of byte keys and values per
//! projector (`tables/<NAME>`; the keys are those of the module
//! documentation of [`super`]) and a `meta` table holding the format.
//!
//! Why redb (it replaced sled here, issue 14): a write transaction
//! copies a B-tree page once, not a leaf per row written, and reads are
//! MVCC snapshots, so a commit never holds a view's read (nor a fold's
//! cache miss) up; its page cache is bounded by
//! [`super::TableRunnerOptions::storage_cache_bytes`].
//!
//! **Commits.** A lane writes the dirty rows, checkpoint and version of
//! every projector that changed in **one** write transaction
//! ([`Disk::commit`]): after a crash the database holds the previous
//! commit or this one, whole. A commit is synced to disk (`fsync`) when
//! the last synced one is at least [`SYNC_INTERVAL`] old, and at
//! [`Disk::sync`] (shutdown); the ones between are atomic but not synced,
//! so a crash (SIGKILL, power loss) can take the database back to the
//! last synced commit, up to [`SYNC_INTERVAL`] of folding, which the
//! runner folds again from the log on its next start. The tables are
//! derived data: the log, not they, is what an acknowledgement promises.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use redb::{
    Database, DatabaseError, Durability, ReadOnlyTable, ReadTransaction, ReadableDatabase,
    TableDefinition, TableHandle, WriteTransaction,
};

/// The database file in the runner's directory.
pub const FILE_NAME: &str = "tables.redb";

/// The longest a commit goes unsynced (see the module documentation).
pub const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// How long [`Disk::compact`] waits for the snapshots taken before it.
pub const COMPACT_WAIT: Duration = Duration::from_secs(1);

/// The table holding the storage format.
const META: &str = "meta";

/// Everything a storage call can fail with.
pub type Error = redb::Error;

type Rows<'a> = TableDefinition<'a, &'static [u8], &'static [u8]>;

/// A row range's items: (key, value), owned.
pub type RowItem = Result<(Vec<u8>, Vec<u8>), Error>;

/// The database.
pub struct Disk {
    /// Read-locked only to begin a transaction (transactions do not borrow
    /// the database); write-locked by [`Disk::compact`], which needs it
    /// alone.
    db: RwLock<Database>,
    path: PathBuf,
    /// When the last synced commit ended.
    last_sync: Mutex<Instant>,
}

impl std::fmt::Debug for Disk {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Disk")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The files an earlier build's sled database left in a tables directory
/// (derived data of a format this build does not read).
const SLED_FILES: [&str; 3] = ["conf", "db", "blobs"];

impl Disk {
    /// Opens (or creates) the database in `directory` with a page cache of
    /// `cache_bytes`. A database still held by a previous runner of this
    /// process (a handler may hold the last handle a moment longer) is
    /// retried for up to two seconds. The files of an earlier build's sled
    /// tables in the directory are removed first: they are derived data the
    /// runner rebuilds from the log.
    pub fn open(directory: &Path, cache_bytes: usize) -> Result<Disk, Error> {
        retire_sled_files(directory);
        let path = directory.join(FILE_NAME);
        const RETRIES: u32 = 100;
        let mut n_retries = 0;
        loop {
            match Database::builder()
                .set_cache_size(cache_bytes)
                .create(&path)
            {
                Err(DatabaseError::DatabaseAlreadyOpen) if n_retries < RETRIES => {
                    n_retries += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                opened => {
                    return Ok(Disk {
                        db: RwLock::new(opened?),
                        path,
                        last_sync: Mutex::new(Instant::now()),
                    })
                }
            }
        }
    }

    /// One moment of the database: every table opened from it
    /// ([`ReadPoint::table`]) shows the rows committed at that moment, and
    /// opening one takes no lock (a compaction does not hold it up).
    pub fn read_point(&self) -> Result<ReadPoint, Error> {
        Ok(ReadPoint {
            txn: self.db().begin_read()?,
        })
    }

    /// The value stored under `key` in the `meta` table.
    pub fn meta(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        snapshot_of(&self.db(), META)?.get(key)
    }

    /// Stores `value` under `key` in the `meta` table (synced).
    pub fn set_meta(&self, key: &[u8], value: &[u8]) -> Result<(), Error> {
        self.commit(true, |txn| {
            txn.open_table(Rows::new(META))?.insert(key, value)?;
            Ok(())
        })
    }

    /// The names of the row tables (every table but `meta`).
    pub fn tree_names(&self) -> Result<Vec<String>, Error> {
        let txn = self.db().begin_read()?;
        let names = txn
            .list_tables()?
            .map(|table| table.name().to_owned())
            .filter(|name| name != META)
            .collect();
        Ok(names)
    }

    /// Empties (creates, when absent) the table `name`, and writes
    /// `rows` into it, in one synced commit.
    pub fn reset_tree(&self, name: &str, rows: &[(Vec<u8>, Vec<u8>)]) -> Result<(), Error> {
        self.commit(true, |txn| {
            txn.delete_table(Rows::new(name))?;
            let mut table = txn.open_table(Rows::new(name))?;
            for (key, value) in rows {
                table.insert(key.as_slice(), value.as_slice())?;
            }
            Ok(())
        })
    }

    /// Drops the table `name` (synced).
    pub fn drop_tree(&self, name: &str) -> Result<(), Error> {
        self.commit(true, |txn| {
            txn.delete_table(Rows::new(name))?;
            Ok(())
        })
    }

    /// Runs `write` in one write transaction and commits it: synced when
    /// `sync` or when the last synced commit is [`SYNC_INTERVAL`] old
    /// (see the module documentation). On an error nothing is written.
    pub fn commit(
        &self,
        sync: bool,
        write: impl FnOnce(&WriteTransaction) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut txn = self.db().begin_write()?;
        if sync || self.sync_due() {
            return self.synced_commit(txn, write);
        }
        txn.set_durability(Durability::None)?;
        write(&txn)?;
        txn.commit()?;
        Ok(())
    }

    /// `write` in `txn`, committed and synced with the allocator's state
    /// (so opening after a crash does not walk every page to rebuild it);
    /// the time of the last sync is updated.
    fn synced_commit(
        &self,
        mut txn: WriteTransaction,
        write: impl FnOnce(&WriteTransaction) -> Result<(), Error>,
    ) -> Result<(), Error> {
        txn.set_quick_repair(true);
        write(&txn)?;
        txn.commit()?;
        *self
            .last_sync
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = Instant::now();
        Ok(())
    }

    fn db(&self) -> RwLockReadGuard<'_, Database> {
        self.db.read().unwrap_or_else(|poison| poison.into_inner())
    }

    /// Compacts the file: moves the live pages to its start and gives the
    /// free space back to the file system. A rebuild leaves about half of
    /// the file free (each commit copies the pages it changes, the old ones
    /// are only reused by later commits). Every other call on this database
    /// waits until it is done. Snapshots already taken (a view's read in
    /// progress) are waited for, up to [`COMPACT_WAIT`], with the lock let
    /// go between tries; when one is still live then it does nothing and
    /// answers `false`.
    pub fn compact(&self) -> Result<bool, Error> {
        let started = Instant::now();
        loop {
            let mut db = self.db.write().unwrap_or_else(|poison| poison.into_inner());
            // An unsynced commit keeps the last synced one's pages alive (as
            // a reader would, for recovery), which compaction refuses: sync
            // first.
            self.synced_commit(db.begin_write()?, |_| Ok(()))?;
            match db.compact() {
                Ok(_) => {
                    // compact() syncs without the allocator's state: save it,
                    // so a crash now does not mean a full repair at the next
                    // open.
                    self.synced_commit(db.begin_write()?, |_| Ok(()))?;
                    return Ok(true);
                }
                Err(redb::CompactionError::TransactionInProgress)
                    if started.elapsed() < COMPACT_WAIT =>
                {
                    // Let go of the lock while waiting: a reader holding a
                    // snapshot may need another one to finish.
                    drop(db);
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(redb::CompactionError::TransactionInProgress) => return Ok(false),
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Syncs every commit so far to disk.
    pub fn sync(&self) -> Result<(), Error> {
        self.commit(true, |_| Ok(()))
    }

    fn sync_due(&self) -> bool {
        self.last_sync
            .lock()
            .map(|last| last.elapsed() >= SYNC_INTERVAL)
            .unwrap_or(true)
    }
}

/// Removes an earlier build's sled files from `directory` (see
/// [`Disk::open`]); a failure is a warning: it wastes space only.
fn retire_sled_files(directory: &Path) {
    if !directory.join("conf").is_file() || !directory.join("db").is_file() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(SLED_FILES.contains(&name.as_ref()) || name.starts_with("snap.")) {
            continue;
        }
        let path = entry.path();
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match removed {
            Ok(()) => {
                tracing::info!(path = %path.display(), "removed an earlier build's read-model file (rebuilt from the log)")
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "could not remove an earlier build's read-model file")
            }
        }
    }
}

/// One projector's table of rows.
#[derive(Clone, Debug)]
pub struct Tree {
    disk: Arc<Disk>,
    name: Arc<str>,
}

impl Tree {
    pub fn new(disk: Arc<Disk>, name: impl Into<Arc<str>>) -> Self {
        Tree {
            disk,
            name: name.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn disk(&self) -> &Arc<Disk> {
        &self.disk
    }

    /// The rows as committed now; later commits do not change what it
    /// reads.
    pub fn snapshot(&self) -> Result<Snapshot, Error> {
        snapshot_of(&self.disk.db(), &self.name)
    }

    /// Writes `rows` (`None`: delete) into this table within `txn`.
    pub fn write<'r>(
        &self,
        txn: &WriteTransaction,
        rows: impl IntoIterator<Item = (&'r [u8], Option<&'r [u8]>)>,
    ) -> Result<(), Error> {
        let mut table = txn.open_table(Rows::new(&self.name))?;
        for (key, value) in rows {
            match value {
                Some(value) => {
                    table.insert(key, value)?;
                }
                None => {
                    table.remove(key)?;
                }
            }
        }
        Ok(())
    }
}

fn snapshot_of(db: &Database, name: &str) -> Result<Snapshot, Error> {
    table_at(&db.begin_read()?, name)
}

fn table_at(txn: &ReadTransaction, name: &str) -> Result<Snapshot, Error> {
    match txn.open_table(Rows::new(name)) {
        Ok(table) => Ok(Snapshot { table: Some(table) }),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(Snapshot { table: None }),
        Err(error) => Err(error.into()),
    }
}

/// A read transaction: tables as committed at one moment
/// ([`Disk::read_point`]).
pub struct ReadPoint {
    txn: ReadTransaction,
}

impl ReadPoint {
    /// The table `name` at this moment.
    pub fn table(&self, name: &str) -> Result<Snapshot, Error> {
        table_at(&self.txn, name)
    }
}

/// A table's committed rows at one moment (an MVCC read: commits after it
/// neither block nor change it). Hold it briefly: the pages it reads are
/// not reused while it lives.
pub struct Snapshot {
    /// `None`: the table did not exist.
    table: Option<ReadOnlyTable<&'static [u8], &'static [u8]>>,
}

impl Snapshot {
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let Some(table) = &self.table else {
            return Ok(None);
        };
        Ok(table.get(key)?.map(|value| value.value().to_vec()))
    }

    pub fn contains_key(&self, key: &[u8]) -> Result<bool, Error> {
        let Some(table) = &self.table else {
            return Ok(false);
        };
        Ok(table.get(key)?.is_some())
    }

    /// Rows with `start <= key < end` (`end` `None`: to the end), in key
    /// order, lazily.
    pub fn range(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
    ) -> Result<impl Iterator<Item = RowItem> + '_, Error> {
        let range = match &self.table {
            Some(table) => {
                let upper = end.map_or(Bound::Unbounded, Bound::Excluded);
                Some(table.range::<&[u8]>((Bound::Included(start), upper))?)
            }
            None => None,
        };
        Ok(range.into_iter().flatten().map(|entry| {
            let (key, value) = entry?;
            Ok((key.value().to_vec(), value.value().to_vec()))
        }))
    }
}
