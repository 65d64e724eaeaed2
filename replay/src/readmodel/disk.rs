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
//!
//! **Compaction** ([`Disk::compact`], after a catch-up) copies the live
//! rows into a new file, at most `COPY_BATCH_BYTES` per transaction, and
//! renames it over the old one: its memory does not grow with the tables.
//! Reads go on meanwhile (a snapshot of the old file keeps it open);
//! commits wait.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use redb::{
    Database, DatabaseError, Durability, ReadOnlyTable, ReadTransaction, ReadableDatabase,
    TableDefinition, TableHandle, WriteTransaction,
};

/// The database file in the runner's directory.
pub const FILE_NAME: &str = "tables.redb";

/// The longest a commit goes unsynced (see the module documentation).
pub const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// Where [`Disk::compact`] writes the compacted copy before it takes the
/// file's place (removed at [`Disk::open`] if a crash left it).
const COMPACTING_FILE_NAME: &str = "tables.redb.compacting";

/// The bytes of rows a compaction copies per write transaction: what it
/// holds in memory at once, whatever the size of the tables (besides
/// redb's list of the copy's pages not yet synced, well under 1 % of it).
/// Tests copy in small batches, so that every table spans several.
const COPY_BATCH_BYTES: usize = if cfg!(test) {
    64 * 1024
} else {
    8 * 1024 * 1024
};

/// The table holding the storage format.
const META: &str = "meta";

/// Everything a storage call can fail with.
pub type Error = redb::Error;

type Rows<'a> = TableDefinition<'a, &'static [u8], &'static [u8]>;

/// A row range's items: (key, value), owned.
pub type RowItem = Result<(Vec<u8>, Vec<u8>), Error>;

/// The database.
pub struct Disk {
    /// Read-locked only to take the database (transactions do not borrow
    /// it); write-locked by [`Disk::compact`] only to replace it. Every
    /// snapshot holds the database it reads (an `Arc`), so a compaction's
    /// old file stays open until the last read of it ends.
    db: RwLock<Arc<Database>>,
    /// Held by every commit and by a whole compaction, so no commit lands
    /// in a file being copied.
    writing: Mutex<()>,
    /// The page cache given at [`Disk::open`] (a compaction's new file
    /// gets the same).
    cache_bytes: usize,
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
        remove_if_present(&directory.join(COMPACTING_FILE_NAME))?;
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
                        db: RwLock::new(Arc::new(opened?)),
                        writing: Mutex::new(()),
                        cache_bytes,
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
        let db = self.db();
        Ok(ReadPoint {
            txn: db.begin_read()?,
            db,
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
        // Held while reading: a compaction may replace it meanwhile.
        let db = self.db();
        let txn = db.begin_read()?;
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
        let _writing = self.writing();
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

    fn writing(&self) -> MutexGuard<'_, ()> {
        self.writing
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The database now (a compaction may replace it afterwards; the
    /// clone keeps this one open).
    fn db(&self) -> Arc<Database> {
        Arc::clone(&self.db.read().unwrap_or_else(|poison| poison.into_inner()))
    }

    /// Compacts the file: copies the live rows, table by table in key
    /// order, into a new file beside it (`COMPACTING_FILE_NAME`), syncs
    /// it, and renames it over the old one. A rebuild leaves about half
    /// of the file free (each commit copies the pages it changes, the old
    /// ones are only reused by later commits).
    ///
    /// Why a copy and not redb's own `compact` (used before): that one
    /// relocates every movable page in one write transaction and needs no
    /// reader live, so every read waited for it (3 s at 1M events); the
    /// copy lets reads go on, holds at most `COPY_BATCH_BYTES` of rows
    /// at once besides the two files' page caches, and leaves a file
    /// about a fifth smaller. It takes about twice as long (docs/
    /// PERFORMANCE.md, "Compaction by copy, and where the peak is").
    ///
    /// Commits wait until it is done; reads do not: a snapshot taken before
    /// the new file takes the old one's place reads the old file, which
    /// stays open until that snapshot is dropped. A crash before the rename
    /// leaves the old file, whole, and a stray copy that [`Disk::open`]
    /// removes; after it, the new file, synced. A failed copy is removed.
    /// The old file, once replaced, is closed by whichever reader drops
    /// the last snapshot of it (redb then saves its allocator state into
    /// the unlinked file); until then that reader also holds its lock.
    ///
    /// The copy's pages are dense; its file grew in redb's steps (doubling,
    /// up to a region of 4 GiB), so up to half of it is room for the
    /// commits that follow, never written (a sparse file on Linux): its
    /// length is at most twice its live rows, and its blocks on disk are
    /// the live rows.
    pub fn compact(&self) -> Result<(), Error> {
        let _writing = self.writing();
        let db = self.db();
        let directory = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let copy_path = directory.join(COMPACTING_FILE_NAME);
        remove_if_present(&copy_path)?;
        let copied = Database::builder()
            .set_cache_size(self.cache_bytes)
            .create(&copy_path)
            .map_err(Error::from)
            .and_then(|copy| copy_rows(&db, &copy).map(|()| copy));
        let copy = match copied {
            Ok(copy) => copy,
            Err(error) => {
                // Most likely the disk is full: give the room back to the
                // commits that follow.
                if let Err(removal) = remove_if_present(&copy_path) {
                    tracing::warn!(%removal, path = %copy_path.display(), "could not remove a failed compaction's copy");
                }
                return Err(error);
            }
        };
        std::fs::rename(&copy_path, &self.path).map_err(redb::StorageError::from)?;
        // From here the file's name is the copy's: commits must go to it,
        // whatever follows.
        *self.db.write().unwrap_or_else(|poison| poison.into_inner()) = Arc::new(copy);
        if let Err(error) = sync_directory(directory) {
            // The rename may be undone by a crash; both files hold every
            // committed row.
            tracing::warn!(%error, "could not sync the tables' directory after compacting");
        }
        *self
            .last_sync
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = Instant::now();
        Ok(())
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

/// Copies every table of `from` (as last committed) into `to`, at most
/// [`COPY_BATCH_BYTES`] of rows per write transaction; the last commit is
/// synced, with the allocator's state (see [`Disk::synced_commit`]).
fn copy_rows(from: &Database, to: &Database) -> Result<(), Error> {
    let read = from.begin_read()?;
    let names: Vec<String> = read
        .list_tables()?
        .map(|table| table.name().to_owned())
        .collect();
    for name in &names {
        let rows = read.open_table(Rows::new(name))?;
        let mut rows = rows.range::<&[u8]>(..)?;
        loop {
            let mut txn = to.begin_write()?;
            txn.set_durability(Durability::None)?;
            let mut n_bytes = 0;
            let mut more = false;
            {
                // Opening the table creates it: an empty one is copied too.
                let mut table = txn.open_table(Rows::new(name))?;
                for entry in rows.by_ref() {
                    let (key, value) = entry?;
                    table.insert(key.value(), value.value())?;
                    n_bytes += key.value().len() + value.value().len();
                    if n_bytes >= COPY_BATCH_BYTES {
                        more = true;
                        break;
                    }
                }
            }
            txn.commit()?;
            if !more {
                break;
            }
        }
    }
    let mut txn = to.begin_write()?;
    txn.set_quick_repair(true);
    txn.commit()?;
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(redb::StorageError::from(error).into())
        }
        _ => Ok(()),
    }
}

/// Makes a rename in `directory` durable.
fn sync_directory(directory: &Path) -> Result<(), Error> {
    std::fs::File::open(directory)
        .and_then(|directory| directory.sync_all())
        .map_err(|error| redb::StorageError::from(error).into())
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

fn snapshot_of(db: &Arc<Database>, name: &str) -> Result<Snapshot, Error> {
    table_at(&db.begin_read()?, db, name)
}

fn table_at(txn: &ReadTransaction, db: &Arc<Database>, name: &str) -> Result<Snapshot, Error> {
    let table = match txn.open_table(Rows::new(name)) {
        Ok(table) => Some(table),
        Err(redb::TableError::TableDoesNotExist(_)) => None,
        Err(error) => return Err(error.into()),
    };
    Ok(Snapshot {
        table,
        _db: Arc::clone(db),
    })
}

/// A read transaction: tables as committed at one moment
/// ([`Disk::read_point`]).
pub struct ReadPoint {
    txn: ReadTransaction,
    /// Kept open while this reads it (dropped after `txn`).
    db: Arc<Database>,
}

impl ReadPoint {
    /// The table `name` at this moment.
    pub fn table(&self, name: &str) -> Result<Snapshot, Error> {
        table_at(&self.txn, &self.db, name)
    }
}

/// A table's committed rows at one moment (an MVCC read: commits after it
/// neither block nor change it). Hold it briefly: the pages it reads are
/// not reused while it lives, and a file a compaction has replaced stays
/// open (and locked) until its last snapshot is dropped.
pub struct Snapshot {
    /// `None`: the table did not exist.
    table: Option<ReadOnlyTable<&'static [u8], &'static [u8]>>,
    /// Kept open while this reads it (dropped after `table`).
    _db: Arc<Database>,
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

#[cfg(test)]
mod tests {
    use super::*;

    type RowList = Vec<(Vec<u8>, Vec<u8>)>;

    fn rows(disk: &Disk, name: &str) -> RowList {
        all_rows(&snapshot_of(&disk.db(), name).expect("snapshot"))
    }

    fn all_rows(snapshot: &Snapshot) -> RowList {
        let rows = snapshot.range(b"", None).expect("range");
        rows.collect::<Result<_, _>>().expect("rows")
    }

    /// The bytes a file takes on disk (its blocks: the room a file grew
    /// by and never wrote takes none).
    fn disk_bytes(path: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).expect("metadata").blocks() * 512
    }

    fn key(index: u32) -> Vec<u8> {
        format!("k{index:06}").into_bytes()
    }

    /// Writes rows into `big`, then drops three in four of them (the free
    /// space a catch-up leaves; what is left spans many copy batches), and
    /// creates `empty` with no rows.
    fn fill(disk: &Disk) {
        let value = vec![7u8; 4096];
        let n_rows = 6_144;
        disk.commit(false, |txn| {
            let mut table = txn.open_table(Rows::new("big"))?;
            for index in 0..n_rows {
                table.insert(key(index).as_slice(), value.as_slice())?;
            }
            txn.open_table(Rows::new("empty"))?;
            Ok(())
        })
        .expect("fill");
        disk.commit(true, |txn| {
            let mut table = txn.open_table(Rows::new("big"))?;
            for index in (0..n_rows).filter(|index| index % 4 != 0) {
                table.remove(key(index).as_slice())?;
            }
            Ok(())
        })
        .expect("drop");
        disk.set_meta(b"format", b"1").expect("meta");
    }

    /// A database in a new directory after [`fill`], and its `big` rows.
    fn filled() -> (tempfile::TempDir, Disk, RowList) {
        let directory = tempfile::tempdir().expect("tempdir");
        let disk = Disk::open(directory.path(), 1 << 20).expect("open");
        fill(&disk);
        let before = rows(&disk, "big");
        (directory, disk, before)
    }

    /// A compaction copies every table, rows and empty ones, into a smaller
    /// file; a snapshot taken before it still reads what it read, later
    /// snapshots and commits use the new file, and the directory reopens
    /// with every row.
    #[test]
    fn a_compaction_keeps_every_row_and_the_reads_in_progress() {
        let (directory, disk, before) = filled();
        assert!(
            before.len() * 4096 > COPY_BATCH_BYTES * 4,
            "several batches"
        );
        let names = disk.tree_names().expect("names");
        let old_snapshot = snapshot_of(&disk.db(), "big").expect("snapshot");
        let old_bytes = disk_bytes(&directory.path().join(FILE_NAME));

        disk.compact().expect("compact");

        let new_bytes = disk_bytes(&directory.path().join(FILE_NAME));
        assert!(
            new_bytes < old_bytes / 2,
            "{new_bytes} bytes on disk against {old_bytes}"
        );
        assert!(!directory.path().join(COMPACTING_FILE_NAME).exists());
        assert_eq!(rows(&disk, "big"), before);
        assert_eq!(disk.tree_names().expect("names"), names);
        assert_eq!(disk.meta(b"format").expect("meta"), Some(b"1".to_vec()));

        disk.commit(true, |txn| {
            txn.open_table(Rows::new("big"))?
                .insert(b"z-new".as_slice(), b"after".as_slice())?;
            Ok(())
        })
        .expect("commit after");
        assert_eq!(
            all_rows(&old_snapshot),
            before,
            "the old snapshot reads the old file"
        );
        assert_eq!(old_snapshot.get(b"z-new").expect("get"), None);
        drop(old_snapshot);

        drop(disk);
        let disk = Disk::open(directory.path(), 1 << 20).expect("reopen");
        let mut after = before;
        after.push((b"z-new".to_vec(), b"after".to_vec()));
        assert_eq!(rows(&disk, "big"), after);
        assert_eq!(disk.tree_names().expect("names"), names);
    }

    /// Commits made while a compaction copies wait for it, then land in
    /// the new file: none is written into the old one after its rows were
    /// read (which the swap would lose).
    #[test]
    fn commits_during_a_compaction_land_in_the_new_file() {
        let (directory, disk, before) = filled();
        let disk = Arc::new(disk);
        let start = Arc::new(std::sync::Barrier::new(2));
        let compaction = {
            let (disk, start) = (Arc::clone(&disk), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                disk.compact()
            })
        };
        start.wait();
        // Commit one row after another until the compaction is over, so
        // some commits are made while it copies.
        let mut written = RowList::new();
        let mut index = 0u32;
        while !compaction.is_finished() || index < 10 {
            assert!(index < 1_000_000, "the compaction does not end");
            let row = (format!("z{index:08}").into_bytes(), b"during".to_vec());
            disk.commit(false, |txn| {
                txn.open_table(Rows::new("big"))?
                    .insert(row.0.as_slice(), row.1.as_slice())?;
                Ok(())
            })
            .expect("commit during the compaction");
            written.push(row);
            index += 1;
        }
        compaction
            .join()
            .expect("the compaction's thread")
            .expect("compact");
        disk.sync().expect("sync");
        let disk = Arc::into_inner(disk).expect("one owner");
        drop(disk);

        let disk = Disk::open(directory.path(), 1 << 20).expect("reopen");
        let after = rows(&disk, "big");
        let lost: Vec<String> = written
            .iter()
            .filter(|row| !after.contains(row))
            .map(|(key, _)| String::from_utf8_lossy(key).into_owned())
            .collect();
        assert!(
            lost.is_empty(),
            "{} of {} commits lost: {lost:?}",
            lost.len(),
            written.len()
        );
        let mut expected = before;
        expected.extend(written);
        assert!(after == expected, "the rows before are kept, once each");
    }

    /// A copy that a crash left beside the file is removed when the
    /// directory is opened; the file it was copied from is whole.
    #[test]
    fn a_copy_left_by_a_crash_is_removed_at_open() {
        let (directory, disk, before) = filled();
        drop(disk);
        let stray = directory.path().join(COMPACTING_FILE_NAME);
        std::fs::write(&stray, b"half a copy").expect("stray copy");

        let disk = Disk::open(directory.path(), 1 << 20).expect("reopen");
        assert!(!stray.exists());
        assert_eq!(rows(&disk, "big"), before);
        disk.compact().expect("compact");
        assert_eq!(rows(&disk, "big"), before);
    }
}
