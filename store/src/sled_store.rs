//! The embedded backend: the log in a sled 0.34 database inside a data
//! directory, nothing to install.
//!
//! # Layout
//! One sled tree with prefixed keys, so that one `apply_batch` makes a whole
//! group commit atomic:
//! - `L` + position (u64 BE) -> canonical record bytes + 32-byte hash;
//! - `S` + stream id length (u16 BE) + stream id + version (u64 BE) -> position (u64 BE);
//! - `I` + idempotency key -> JSON `{fingerprint, outcome}`;
//! - `Mformat` -> the layout version.
//!
//! A keyed append without events writes only its `I` entry (an outcome
//! with `no_events`), in the same group commit as any other append.
//!
//! # Group commit and durability
//! One writer thread owns every write. It drains the request queue, checks
//! each request's expected version against the stream heads (including
//! earlier requests of the same batch), assigns positions, hashes the chain,
//! writes the whole batch with one `apply_batch`, calls sled's `flush()`,
//! then `fdatasync`s sled's data file (sled 0.34's flush ends in
//! `sync_file_range`, which flushes neither the device cache nor the file's
//! metadata: sled issue #1452) and any blob file sled created, and only then
//! answers every caller of the batch and moves the committed head. Readers
//! never read past the committed head, so they never see a record that could
//! still be lost. The `I` entry of an append without events moves no head:
//! the writer lists its key as unsynced before `apply_batch` and strikes it
//! off once the batch is durable, and readers take no entry whose key is
//! listed, so such a key too is answered only once it is on stable storage.
//!
//! # Write failures (a full disk, an I/O error)
//! If a write or a sync fails, the batch's callers get an error
//! ([`StoreError::InsufficientStorage`] for `ENOSPC`/`EDQUOT`, else
//! [`StoreError::Unavailable`]) and the committed head does not move, so no
//! reader ever sees the batch. sled 0.34 remembers an I/O error for the
//! life of the database handle (every later operation fails with it), and
//! its memory may hold the batch that was not made durable, so the writer
//! recovers by **reopening sled in-process**, once a probe file of
//! [`REOPEN_FREE_BYTES`] can be written and synced beside it (sled opened on
//! a still-full disk was seen to show fewer records than committed, then to
//! leave a log that no longer opens): it drops every handle (readers
//! wait on a lock meanwhile), opens the directory again, syncs sled's data
//! file, and reads the tip back from disk. If any part of the refused batch
//! reached the disk after all (sled batches are atomic on recovery, so all
//! of it), the batch is **rolled back** (its log, stream and idempotency
//! keys removed in one durable batch) before anything else is written: a
//! refused batch never becomes visible later, and positions stay gapless.
//! A refused batch that held keys of appends without events is rolled back
//! whatever the tip on disk says (such keys leave no record to tell).
//! Recovery is tried at once, then in the background every
//! [`RECOVERY_RETRY`] and before each append, so appends resume by
//! themselves when space returns. [`SledStore::health`] reports the last
//! failure while it lasts. Only if the log on disk does not end where the
//! writer's committed tip does (which a rollback cannot explain) does the
//! store refuse appends until it is reopened ([`StoreError::Poisoned`]).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot, watch};

use crate::error::StoreError;
use crate::log::{check_import, ImportTip, LogHead, RegistrationLock, Store, StoredOutcome};
use crate::record::{
    chain_records, next_recorded_at, no_events_outcome, AppendOutcome, AppendRequest, Hash32,
    Idempotency, RecordedEvent,
};

const LOG_PREFIX: u8 = b'L';
const STREAM_PREFIX: u8 = b'S';
const IDEMPOTENCY_PREFIX: u8 = b'I';
const FORMAT_KEY: &[u8] = b"Mformat";
const FORMAT_VALUE: &[u8] = b"salesledger-sled-1";
/// Most requests one group commit takes from the queue.
const MAX_BATCH_REQUESTS: usize = 512;
/// Stream heads the writer caches before starting its cache afresh.
const MAX_CACHED_STREAM_HEADS: usize = 100_000;
/// Requests waiting for the writer; callers wait (asynchronously) beyond it.
const QUEUE_CAPACITY: usize = 8192;
/// How often a writer whose last write failed tries to recover while no
/// append arrives (an append also tries, at most this often).
pub const RECOVERY_RETRY: Duration = Duration::from_millis(500);
/// How long recovery waits for sled to release the old database handle
/// (dropping it flushes, which can block on a failed device) before it
/// tries to open the directory anyway.
const DROP_WAIT: Duration = Duration::from_secs(5);

/// Options for opening the embedded store.
#[derive(Clone, Debug)]
pub struct SledOptions {
    /// sled page-cache size in bytes. sled keeps more than this in memory,
    /// and more as the log grows (about 200 MB after a scan of a 2.8 GB
    /// log with 32 MiB, 435 MB with 256 MiB).
    pub cache_capacity_bytes: u64,
}

impl Default for SledOptions {
    /// A 32 MiB page cache. Against 256 MiB, in six pairs (each of one
    /// build): appends as fast (64 appenders 34.2k events/s against 35.4k
    /// on average, within a pair's spread), a log that would fit in the
    /// larger cache re-read about 40 % slower (383-507k events/s against
    /// 594-818k), and a rebuild of a 1.08M-event log peaking at 389-398 MB
    /// instead of 680-732 (docs/PERFORMANCE.md, "The log's cache and
    /// appends").
    fn default() -> Self {
        SledOptions::with_cache_mib(SledOptions::DEFAULT_CACHE_MIB)
    }
}

impl SledOptions {
    /// The default page cache, in MiB (see [`SledOptions::default`]).
    pub const DEFAULT_CACHE_MIB: u64 = 32;

    /// A page cache of `mib` MiB (saturating), the unit the command line
    /// takes.
    pub fn with_cache_mib(mib: u64) -> SledOptions {
        SledOptions {
            cache_capacity_bytes: mib.saturating_mul(1024 * 1024),
        }
    }
}

/// Counters of the writer, for benchmarks and metrics.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Group commits that wrote something (each ends with one fdatasync).
    pub n_batches: AtomicU64,
    /// Records written.
    pub n_records: AtomicU64,
    /// fdatasync calls made on sled's files.
    pub n_syncs: AtomicU64,
    /// Time spent in sled's `apply_batch`, in nanoseconds.
    pub apply_nanos: AtomicU64,
    /// Time spent in sled's `flush`, in nanoseconds.
    pub flush_nanos: AtomicU64,
    /// Time spent in `fdatasync`, in nanoseconds.
    pub sync_nanos: AtomicU64,
}

/// The sled-backed [`Store`]. Cheap to clone; the writer stops when the last
/// clone is dropped or [`SledStore::close`] is called.
#[derive(Clone)]
pub struct SledStore {
    inner: Arc<Inner>,
}

/// The database handle readers and the writer share; `None` only while the
/// writer reopens it after a failure (and stays `None` if reopening failed).
type SharedDb = Arc<tokio::sync::RwLock<Option<sled::Db>>>;

/// The writer's state, for health checks: `None` while writes succeed.
type SharedHealth = Arc<Mutex<Option<LogFailure>>>;

/// Why the log currently refuses appends ([`SledStore::health`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFailure {
    /// The error of the write that failed (or of the last recovery attempt).
    pub error: String,
    /// Whether it is a full disk (`ENOSPC`/`EDQUOT`).
    pub storage_full: bool,
    /// When the failure began.
    pub since: DateTime<Utc>,
}

impl LogFailure {
    fn refusal(&self) -> StoreError {
        if self.storage_full {
            StoreError::InsufficientStorage(self.error.clone())
        } else {
            StoreError::Unavailable(self.error.clone())
        }
    }
}

struct Inner {
    db: SharedDb,
    health: SharedHealth,
    #[cfg(test)]
    faults: faults::Faults,
    requests: Mutex<Option<mpsc::Sender<Job>>>,
    /// The registration lock: one process owns a sled log (sled's file
    /// lock), so an in-process mutex serialises every registration.
    registrations: Arc<tokio::sync::Mutex<()>>,
    head: watch::Receiver<LogHead>,
    /// Keys of appends without events staged but not yet durable.
    unsynced: UnsyncedKeys,
    writer: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<WriterStats>,
    path: PathBuf,
}

/// The idempotency keys of appends without events that the writer has put
/// in sled (readers may see their entries) but not yet made durable, or
/// whose batch was refused and not yet rolled back. Such an entry moves no
/// head, so readers consult this list instead, with its generation (bumped
/// by every change): a reader whose read of an entry straddles a change
/// (a refused batch rolled back meanwhile) does not trust what it read.
#[derive(Clone, Default)]
struct UnsyncedKeys(Arc<Mutex<(HashSet<String>, u64)>>);

impl UnsyncedKeys {
    /// Changes the list (and bumps its generation).
    fn with<T>(&self, f: impl FnOnce(&mut HashSet<String>) -> T) -> T {
        let mut guard = match self.0.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard.1 = guard.1.wrapping_add(1);
        f(&mut guard.0)
    }

    /// Whether `key` is listed, and the list's generation.
    fn state(&self, key: &str) -> (bool, u64) {
        let guard = match self.0.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        (guard.0.contains(key), guard.1)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        stop_writer(&self.requests, &self.writer);
    }
}

fn stop_writer(
    requests: &Mutex<Option<mpsc::Sender<Job>>>,
    writer: &Mutex<Option<JoinHandle<()>>>,
) {
    if let Ok(mut sender) = requests.lock() {
        sender.take();
    }
    let handle = writer.lock().ok().and_then(|mut handle| handle.take());
    if let Some(handle) = handle {
        if handle.join().is_err() {
            tracing::error!("the store's writer thread panicked");
        }
    }
}

struct WriteJob {
    request: AppendRequest,
    reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

/// Records to append verbatim ([`Store::import`]), committed on their own.
struct ImportJob {
    records: Vec<RecordedEvent>,
    reply: oneshot::Sender<Result<LogHead, StoreError>>,
}

enum Job {
    Append(WriteJob),
    Import(ImportJob),
}

impl SledStore {
    /// Opens (or creates) the log in `data_dir/log`.
    pub fn open(data_dir: &Path) -> Result<SledStore, StoreError> {
        SledStore::open_with(data_dir, SledOptions::default())
    }

    pub fn open_with(data_dir: &Path, options: SledOptions) -> Result<SledStore, StoreError> {
        let path = data_dir.join("log");
        crate::private_fs::create_dir_all(&path)?;
        let db = open_sled(
            sled::Config::new()
                .path(&path)
                .cache_capacity(options.cache_capacity_bytes),
        )?;
        // sled creates its files with the process umask: make them private.
        crate::private_fs::tighten_created(&path)?;
        match db.get(FORMAT_KEY)? {
            Some(format) if format.as_ref() == FORMAT_VALUE => {}
            Some(format) => {
                return Err(StoreError::UnsupportedFormat(
                    String::from_utf8_lossy(&format).into_owned(),
                ));
            }
            None => {
                db.insert(FORMAT_KEY, FORMAT_VALUE)?;
                db.flush()?;
            }
        }
        let data_file = File::open(path.join("db"))?;
        data_file.sync_all()?;
        // Make the directory entries of sled's files durable too.
        sync_dir(&path)?;
        sync_dir(data_dir)?;

        let tip = match db.scan_prefix([LOG_PREFIX]).next_back() {
            Some(entry) => {
                let (key, value) = entry?;
                let position = decode_log_key(&key)?;
                let record = decode_at(position, &value)?;
                Tip {
                    next_position: after(position)?,
                    last_hash: record.hash,
                    last_recorded_at: Some(record.recorded_at),
                }
            }
            None => Tip {
                next_position: 0,
                last_hash: Hash32::ZERO,
                last_recorded_at: None,
            },
        };
        let (head_sender, head) = watch::channel(LogHead {
            len: tip.next_position,
            last_hash: tip.last_hash,
        });
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let stats = Arc::new(WriterStats::default());
        let blobs_dir = path.join("blobs");
        let known_blob_files = list_files(&blobs_dir)?;
        let shared_db: SharedDb = Arc::new(tokio::sync::RwLock::new(Some(db.clone())));
        let health: SharedHealth = Arc::new(Mutex::new(None));
        let unsynced = UnsyncedKeys::default();
        #[cfg(test)]
        let faults = faults::Faults::default();
        let writer = Writer {
            db: Some(db),
            shared_db: shared_db.clone(),
            health: health.clone(),
            path: path.clone(),
            cache_capacity_bytes: options.cache_capacity_bytes,
            data_file: Some(data_file),
            blobs_dir,
            known_blob_files,
            tip,
            stream_heads: HashMap::new(),
            head: head_sender,
            unsynced: unsynced.clone(),
            stats: stats.clone(),
            failure: None,
            poisoned: false,
            #[cfg(test)]
            faults: faults.clone(),
        };
        let handle = std::thread::Builder::new()
            .name("salesledger-log-writer".into())
            .spawn(move || writer.run(receiver))?;
        tracing::info!(path = %path.display(), len = tip.next_position, "opened sled event log");
        Ok(SledStore {
            inner: Arc::new(Inner {
                db: shared_db,
                health,
                #[cfg(test)]
                faults,
                requests: Mutex::new(Some(sender)),
                registrations: Arc::new(tokio::sync::Mutex::new(())),
                head,
                unsynced,
                writer: Mutex::new(Some(handle)),
                stats,
                path,
            }),
        })
    }

    /// Stops the writer after it has answered every queued append. Later
    /// appends fail with [`StoreError::Closed`].
    pub async fn close(&self) {
        let inner = self.inner.clone();
        let joined =
            tokio::task::spawn_blocking(move || stop_writer(&inner.requests, &inner.writer)).await;
        if joined.is_err() {
            tracing::error!("closing the store failed");
        }
    }

    pub fn stats(&self) -> &WriterStats {
        &self.inner.stats
    }

    /// The sled database directory (`DATA_DIR/log`).
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The raw sled database, for tests and tools that must bypass the
    /// store (e.g. to prove tampering is detected). `None` while the writer
    /// reopens it after a failed write (or could not).
    pub fn raw_db(&self) -> Option<sled::Db> {
        self.inner.db.blocking_read().clone()
    }

    /// `None` while the log accepts appends; else why it refuses them (a
    /// full disk, an I/O error), until the writer has recovered.
    pub fn health(&self) -> Option<LogFailure> {
        self.inner
            .health
            .lock()
            .map(|health| health.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// The shared database handle for a read: waits while the writer
    /// reopens it.
    async fn read_db(&self) -> tokio::sync::OwnedRwLockReadGuard<Option<sled::Db>> {
        self.inner.db.clone().read_owned().await
    }

    /// The sled key under which the record at `position` is stored.
    pub fn raw_log_key(position: u64) -> [u8; 9] {
        log_key(position)
    }

    fn sender(&self) -> Result<mpsc::Sender<Job>, StoreError> {
        self.inner
            .requests
            .lock()
            .map_err(|_| StoreError::Closed)?
            .clone()
            .ok_or(StoreError::Closed)
    }

    fn read_all_blocking(
        db: &sled::Db,
        from_position: u64,
        end: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut records = Vec::with_capacity(
            limit.min(usize::try_from(end.saturating_sub(from_position)).unwrap_or(limit)),
        );
        if from_position >= end {
            return Ok(records);
        }
        for entry in db.range(log_key(from_position)..log_key(end)).take(limit) {
            let (key, value) = entry?;
            let position = decode_log_key(&key)?;
            records.push(decode_at(position, &value)?);
        }
        Ok(records)
    }

    fn read_stream_blocking(
        db: &sled::Db,
        stream_id: &str,
        from_version: u64,
        end: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let Some(prefix) = stream_prefix(stream_id) else {
            return Ok(Vec::new());
        };
        let mut start = prefix.clone();
        start.extend_from_slice(&from_version.to_be_bytes());
        let mut records = Vec::new();
        for entry in db.range(start..) {
            if records.len() >= limit {
                break;
            }
            let (key, value) = entry?;
            if !key.starts_with(&prefix) {
                break;
            }
            let position = decode_u64(&value).ok_or_else(|| StoreError::CorruptRecord {
                position: 0,
                reason: format!("stream index entry for {stream_id} is not a position"),
            })?;
            if position >= end {
                break;
            }
            let stored = db
                .get(log_key(position))?
                .ok_or_else(|| StoreError::CorruptRecord {
                    position,
                    reason: format!("indexed by stream {stream_id} but missing"),
                })?;
            records.push(decode_at(position, &stored)?);
        }
        Ok(records)
    }
}

#[async_trait]
impl Store for SledStore {
    #[tracing::instrument(skip(self, request), fields(stream_id = %request.stream_id, n_events = request.events.len()))]
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        request.validate()?;
        let (reply, answer) = oneshot::channel();
        self.sender()?
            .send(Job::Append(WriteJob { request, reply }))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    async fn registration_lock(&self) -> Result<RegistrationLock, StoreError> {
        let guard = self.inner.registrations.clone().lock_owned().await;
        Ok(RegistrationLock::new(guard))
    }

    async fn import(&self, records: Vec<RecordedEvent>) -> Result<LogHead, StoreError> {
        if records.is_empty() {
            return Ok(self.head());
        }
        let (reply, answer) = oneshot::channel();
        self.sender()?
            .send(Job::Import(ImportJob { records, reply }))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let db = self.read_db().await;
        let health = self.inner.health.clone();
        let end = self.inner.head.borrow().len;
        let stream_id = stream_id.to_owned();
        run_read(limit, move || {
            SledStore::read_stream_blocking(
                usable(&db, &health)?,
                &stream_id,
                from_version,
                end,
                limit,
            )
        })
        .await
    }

    async fn read_all(
        &self,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let db = self.read_db().await;
        let health = self.inner.health.clone();
        let end = self.inner.head.borrow().len;
        run_read(limit, move || {
            SledStore::read_all_blocking(usable(&db, &health)?, from_position, end, limit)
        })
        .await
    }

    async fn read_positions(&self, positions: &[u64]) -> Result<Vec<RecordedEvent>, StoreError> {
        let db = self.read_db().await;
        let health = self.inner.health.clone();
        let end = self.inner.head.borrow().len;
        let positions = positions.to_vec();
        run_read(positions.len(), move || {
            let db = usable(&db, &health)?;
            let mut records = Vec::with_capacity(positions.len());
            for position in positions.into_iter().filter(|position| *position < end) {
                if let Some(value) = db.get(log_key(position))? {
                    records.push(decode_at(position, &value)?);
                }
            }
            Ok(records)
        })
        .await
    }

    async fn stream_version(&self, stream_id: &str) -> Result<Option<u64>, StoreError> {
        let db = self.read_db().await;
        let health = self.inner.health.clone();
        let end = self.inner.head.borrow().len;
        let stream_id = stream_id.to_owned();
        run_read(1, move || {
            let db = usable(&db, &health)?;
            // The index may hold entries of a batch still being made durable:
            // skip those beyond the committed head.
            let Some(prefix) = stream_prefix(&stream_id) else {
                return Ok(None);
            };
            for entry in db.scan_prefix(&prefix).rev() {
                let (key, value) = entry?;
                let position = decode_u64(&value).unwrap_or(u64::MAX);
                if position < end {
                    return Ok(decode_u64(&key[prefix.len()..]));
                }
            }
            Ok(None)
        })
        .await
    }

    async fn idempotent_outcome(&self, key: &str) -> Result<Option<StoredOutcome>, StoreError> {
        let db = self.read_db().await;
        let health = self.inner.health.clone();
        let end = self.inner.head.borrow().len;
        let unsynced = self.inner.unsynced.clone();
        let key = key.to_owned();
        run_read(1, move || {
            let (listed_before, generation_before) = unsynced.state(&key);
            let stored = read_idempotency(usable(&db, &health)?, &key)?;
            // An entry whose append is not durable yet is not an outcome:
            // records beyond the committed head, or a key without events
            // listed as unsynced (the writer lists it before sled holds the
            // entry) before or after the read, or whose list changed while
            // it was read (it may have been rolled back meanwhile). Not
            // answering is safe: the request is decided again and meets
            // the stored key in the writer.
            let (listed_after, generation_after) = unsynced.state(&key);
            let settled = !listed_before && !listed_after && generation_before == generation_after;
            Ok(stored.filter(|stored| {
                stored.outcome.within(end) && (stored.outcome.no_events.is_none() || settled)
            }))
        })
        .await
    }

    fn head(&self) -> LogHead {
        *self.inner.head.borrow()
    }

    fn watch_head(&self) -> watch::Receiver<LogHead> {
        self.inner.head.clone()
    }
}

/// The database of a read guard, or an error while the writer could not
/// reopen it.
fn usable<'a>(db: &'a Option<sled::Db>, health: &SharedHealth) -> Result<&'a sled::Db, StoreError> {
    db.as_ref().ok_or_else(|| {
        let failure = health
            .lock()
            .map(|health| health.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone());
        match failure {
            Some(failure) => failure.refusal(),
            None => StoreError::Unavailable(
                "the log's database is being reopened after a write failure".into(),
            ),
        }
    })
}

/// Reads of at most this many records run on the caller's task: sled
/// serves them from its page cache in microseconds, far less than a hop to
/// the blocking pool costs. Larger reads move to the blocking pool so they
/// never stall the async workers.
pub const INLINE_READ_LIMIT: usize = 64;

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| StoreError::Io(std::io::Error::other(error.to_string())))?
}

/// Runs `work` inline when it is small, else on the blocking pool.
async fn run_read<T: Send + 'static>(
    limit: usize,
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    if limit <= INLINE_READ_LIMIT {
        work()
    } else {
        run_blocking(work).await
    }
}

#[derive(Clone, Copy, Debug)]
struct Tip {
    next_position: u64,
    last_hash: Hash32,
    last_recorded_at: Option<DateTime<Utc>>,
}

struct Writer {
    /// `None` only during a reopen that failed (see the module docs).
    db: Option<sled::Db>,
    /// The handle readers use; replaced together with `db`.
    shared_db: SharedDb,
    health: SharedHealth,
    path: PathBuf,
    cache_capacity_bytes: u64,
    data_file: Option<File>,
    blobs_dir: PathBuf,
    known_blob_files: HashSet<PathBuf>,
    tip: Tip,
    /// Last version of each stream seen by the writer (a cache of the `S`
    /// index; `None` = no stream).
    stream_heads: HashMap<String, Option<u64>>,
    head: watch::Sender<LogHead>,
    /// Shared with readers: see [`UnsyncedKeys`].
    unsynced: UnsyncedKeys,
    stats: Arc<WriterStats>,
    /// Set while the last write failed and the writer has not recovered.
    failure: Option<Failure>,
    /// The log on disk does not end at the committed tip: refuse appends
    /// until reopened.
    poisoned: bool,
    #[cfg(test)]
    faults: faults::Faults,
}

/// A failed write the writer has not recovered from yet.
struct Failure {
    info: LogFailure,
    /// Every key the refused batches wrote, removed again if any of them
    /// reached the disk.
    rollback: Vec<Vec<u8>>,
    /// When the next recovery attempt is due.
    retry_at: Instant,
}

/// What a request of the batch turned into, waiting for the commit.
enum Pending {
    /// Records staged in the batch; the caller learns the outcome on commit.
    Written(
        oneshot::Sender<Result<AppendOutcome, StoreError>>,
        AppendOutcome,
    ),
    /// Same idempotency key as an earlier request of this batch.
    SameAs(oneshot::Sender<Result<AppendOutcome, StoreError>>, usize),
}

impl Writer {
    fn run(mut self, mut receiver: mpsc::Receiver<Job>) {
        loop {
            let first = if self.failure.is_some() {
                // Recover in the background while no append arrives, so
                // health recovers with the disk.
                match receiver.try_recv() {
                    Ok(job) => job,
                    Err(mpsc::error::TryRecvError::Empty) => {
                        std::thread::sleep(RECOVERY_RETRY / 5);
                        let _ = self.ensure_writable();
                        continue;
                    }
                    Err(mpsc::error::TryRecvError::Disconnected) => break,
                }
            } else {
                match receiver.blocking_recv() {
                    Some(job) => job,
                    None => break,
                }
            };
            let (mut jobs, mut import) = (Vec::new(), None);
            match first {
                Job::Append(job) => jobs.push(job),
                Job::Import(job) => import = Some(job),
            }
            // Appends queued before an import commit first, then the import
            // alone.
            while import.is_none() && jobs.len() < MAX_BATCH_REQUESTS {
                match receiver.try_recv() {
                    Ok(Job::Append(job)) => jobs.push(job),
                    Ok(Job::Import(job)) => import = Some(job),
                    Err(_) => break,
                }
            }
            if !jobs.is_empty() {
                self.commit_batch(jobs);
            }
            if let Some(import) = import {
                let answer = self.import(import.records);
                let _ = import.reply.send(answer);
            }
        }
        tracing::debug!("log writer stopped");
    }

    fn db(&self) -> Result<&sled::Db, StoreError> {
        self.db.as_ref().ok_or_else(|| {
            StoreError::Unavailable("the log's database could not be reopened".into())
        })
    }

    /// `Ok` when the writer may write: no failure, or recovered from it now.
    fn ensure_writable(&mut self) -> Result<(), StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned);
        }
        let Some(failure) = &self.failure else {
            return Ok(());
        };
        if Instant::now() < failure.retry_at {
            return Err(failure.info.refusal());
        }
        match self.recover() {
            Ok(()) => Ok(()),
            Err(StoreError::Poisoned) => Err(StoreError::Poisoned),
            Err(error) => {
                tracing::debug!(%error, "the log has not recovered yet");
                let storage_full = error.is_storage_full();
                if let Some(failure) = &mut self.failure {
                    failure.retry_at = Instant::now() + RECOVERY_RETRY;
                    failure.info.error = error.to_string();
                    failure.info.storage_full = storage_full;
                    let info = failure.info.clone();
                    self.set_health(Some(info.clone()));
                    return Err(info.refusal());
                }
                Err(error)
            }
        }
    }

    fn set_health(&self, failure: Option<LogFailure>) {
        match self.health.lock() {
            Ok(mut health) => *health = failure,
            Err(poisoned) => *poisoned.into_inner() = failure,
        }
    }

    /// Records a failed write of a batch that wrote `keys`, then tries to
    /// recover at once; returns the error to answer the batch's callers with.
    fn fail(&mut self, error: StoreError, keys: Vec<Vec<u8>>, tip_before: Tip) -> StoreError {
        let storage_full = error.is_storage_full();
        tracing::error!(%error, storage_full, "writing to the event log failed; refusing the batch and recovering");
        self.tip = tip_before;
        self.stream_heads.clear();
        let info = match self.failure.take() {
            Some(mut failure) => {
                failure.rollback.extend(keys);
                failure.info.error = error.to_string();
                failure.info.storage_full = storage_full;
                failure
            }
            None => Failure {
                info: LogFailure {
                    error: error.to_string(),
                    storage_full,
                    since: Utc::now(),
                },
                rollback: keys,
                retry_at: Instant::now(),
            },
        };
        let refusal = info.info.refusal();
        self.set_health(Some(info.info.clone()));
        self.failure = Some(info);
        // A transient error costs one batch: try to recover right away.
        let _ = self.ensure_writable();
        refusal
    }

    /// Reopens sled (its handle remembers an I/O error for good, and its
    /// memory may hold the refused batches), rolls back whatever of the
    /// refused batches reached the disk, and checks that the log on disk
    /// ends at the committed tip.
    fn recover(&mut self) -> Result<(), StoreError> {
        #[cfg(test)]
        self.faults.recovery()?;
        self.reopen()?;
        let on_disk = read_tip(self.db()?)?;
        if on_disk.next_position < self.tip.next_position {
            // Seen on a still-full tmpfs: sled reopened there shows less
            // than was durably committed (and a restart with space shows
            // it all). Never use such a handle: readers get
            // `Unavailable` and the writer reopens again later.
            self.close_handles();
            return Err(StoreError::InsufficientStorage(format!(
                "the reopened log shows {} records of {} committed; the disk is probably still full",
                on_disk.next_position, self.tip.next_position
            )));
        }
        // Keys of appends without events leave no record to show whether
        // their batch reached the disk: roll them back in any case.
        let unlogged_keys = self.unsynced.with(|keys| !keys.is_empty());
        if on_disk.next_position != self.tip.next_position || unlogged_keys {
            let keys = self
                .failure
                .as_ref()
                .map(|failure| failure.rollback.clone())
                .unwrap_or_default();
            let mut batch = sled::Batch::default();
            for key in keys {
                batch.remove(key);
            }
            self.write_durably(batch)?;
            if on_disk.next_position != self.tip.next_position {
                tracing::warn!(
                    from = self.tip.next_position,
                    to = on_disk.next_position,
                    "rolled back a refused batch that had reached the disk"
                );
            } else {
                tracing::info!("rolled back the keys of refused appends without events");
            }
            let after = read_tip(self.db()?)?;
            if after.next_position != self.tip.next_position {
                return self.poison(format!(
                    "the log on disk ends at {} after the rollback, expected {}",
                    after.next_position, self.tip.next_position
                ));
            }
        }
        if read_tip(self.db()?)?.last_hash != self.tip.last_hash {
            return self.poison("the last record on disk is not the last committed one".into());
        }
        // Every unsynced key is of a refused batch, rolled back by now.
        self.unsynced.with(HashSet::clear);
        if let Some(failure) = self.failure.take() {
            tracing::info!(
                since = %failure.info.since,
                "the event log recovered; appends resume"
            );
        }
        self.set_health(None);
        Ok(())
    }

    fn poison(&mut self, reason: String) -> Result<(), StoreError> {
        tracing::error!(%reason, "the event log cannot recover in-process; reopen it");
        self.poisoned = true;
        self.set_health(Some(LogFailure {
            error: reason,
            storage_full: false,
            since: Utc::now(),
        }));
        Err(StoreError::Poisoned)
    }

    /// Drops every handle of the database; readers get `Unavailable` until
    /// the next successful reopen.
    fn close_handles(&mut self) {
        let mut shared = self.shared_db.blocking_write();
        let old = (shared.take(), self.db.take(), self.data_file.take());
        drop(shared);
        let _ = std::thread::Builder::new()
            .name("salesledger-log-drop".into())
            .spawn(move || drop(old));
    }

    /// Drops every handle of the database (readers wait meanwhile) and opens
    /// it again.
    fn reopen(&mut self) -> Result<(), StoreError> {
        // sled opened on a still-full disk was seen to show fewer records
        // than committed and to leave a log that no longer opens: never
        // reopen before the space is there.
        probe_free_space(&self.path, REOPEN_FREE_BYTES)?;
        let mut shared = self.shared_db.blocking_write();
        let old = (shared.take(), self.db.take(), self.data_file.take());
        // Dropping sled's last handle flushes and joins its flusher thread,
        // which can block on a failing device: give it a bounded time.
        let (dropped, wait) = std::sync::mpsc::channel();
        let dropper = std::thread::Builder::new()
            .name("salesledger-log-drop".into())
            .spawn(move || {
                drop(old);
                let _ = dropped.send(());
            })?;
        if wait.recv_timeout(DROP_WAIT).is_ok() {
            let _ = dropper.join();
        } else {
            tracing::error!(
                "sled did not release the log's database within {DROP_WAIT:?}; trying to open it anyway"
            );
        }
        let db = open_sled(
            sled::Config::new()
                .path(&self.path)
                .cache_capacity(self.cache_capacity_bytes),
        )?;
        let data_file = File::open(self.path.join("db"))?;
        data_file.sync_all()?;
        *shared = Some(db.clone());
        self.db = Some(db);
        self.data_file = Some(data_file);
        self.known_blob_files = list_files(&self.blobs_dir)?;
        Ok(())
    }

    /// Appends already-chained records verbatim, after checking that they
    /// extend the tip; one durable batch.
    fn import(&mut self, records: Vec<RecordedEvent>) -> Result<LogHead, StoreError> {
        self.ensure_writable()?;
        let tip = ImportTip {
            head: LogHead {
                len: self.tip.next_position,
                last_hash: self.tip.last_hash,
            },
            last_recorded_at: self.tip.last_recorded_at,
        };
        let new_head = check_import(&records, tip, |stream_id| self.stream_head(stream_id))?;
        let mut batch = sled::Batch::default();
        let mut keys = Vec::with_capacity(records.len() * 2);
        for record in &records {
            let prefix = stream_prefix(&record.stream_id)
                .ok_or_else(|| StoreError::InvalidAppend("stream id too long".into()))?;
            let log_key = log_key(record.position);
            batch.insert(&log_key, record.encode_stored());
            keys.push(log_key.to_vec());
            let mut index_key = prefix;
            index_key.extend_from_slice(&record.stream_version.to_be_bytes());
            batch.insert(index_key.as_slice(), &record.position.to_be_bytes());
            keys.push(index_key);
        }
        if let Err(error) = self.write_durably(batch) {
            let tip_before = self.tip;
            return Err(self.fail(error, keys, tip_before));
        }
        for record in &records {
            self.stream_heads
                .insert(record.stream_id.clone(), Some(record.stream_version));
        }
        self.tip = Tip {
            next_position: new_head.len,
            last_hash: new_head.last_hash,
            last_recorded_at: records
                .last()
                .map(|record| record.recorded_at)
                .or(self.tip.last_recorded_at),
        };
        self.stats.n_batches.fetch_add(1, Ordering::Relaxed);
        self.stats
            .n_records
            .fetch_add(records.len() as u64, Ordering::Relaxed);
        self.head.send_replace(new_head);
        Ok(new_head)
    }

    fn stream_head(&mut self, stream_id: &str) -> Result<Option<u64>, StoreError> {
        if let Some(head) = self.stream_heads.get(stream_id) {
            return Ok(*head);
        }
        let head = match stream_prefix(stream_id) {
            Some(prefix) => match self.db()?.scan_prefix(&prefix).next_back() {
                Some(entry) => {
                    let (key, _) = entry?;
                    decode_u64(&key[prefix.len()..])
                }
                None => None,
            },
            None => None,
        };
        self.stream_heads.insert(stream_id.to_owned(), head);
        Ok(head)
    }

    fn lookup_idempotency(&self, key: &str) -> Result<Option<StoredOutcome>, StoreError> {
        read_idempotency(self.db()?, key)
    }

    fn commit_batch(&mut self, jobs: Vec<WriteJob>) {
        if let Err(error) = self.ensure_writable() {
            let message = error.to_string();
            let storage_full = error.is_storage_full();
            let poisoned = matches!(error, StoreError::Poisoned);
            for job in jobs {
                let refusal = if poisoned {
                    StoreError::Poisoned
                } else if storage_full {
                    StoreError::InsufficientStorage(message.clone())
                } else {
                    StoreError::Unavailable(message.clone())
                };
                let _ = job.reply.send(Err(refusal));
            }
            return;
        }
        if self.stream_heads.len() > MAX_CACHED_STREAM_HEADS {
            self.stream_heads.clear();
        }
        let tip_before = self.tip;
        let mut batch = sled::Batch::default();
        let mut keys: Vec<Vec<u8>> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut batch_keys: HashMap<String, (usize, Option<Hash32>)> = HashMap::new();
        let mut n_records = 0u64;
        // Keys of appends without events, listed as unsynced until durable.
        let mut unlogged: Vec<String> = Vec::new();

        for job in jobs {
            match self.stage(
                &job.request,
                &mut batch,
                &mut keys,
                &mut batch_keys,
                pending.len(),
            ) {
                Ok(Staged::Written(outcome)) if outcome.no_events.is_some() => {
                    if let Some(idempotency) = &job.request.idempotency {
                        unlogged.push(idempotency.key.clone());
                    }
                    pending.push(Pending::Written(job.reply, outcome));
                }
                Ok(Staged::Written(outcome)) => {
                    n_records += outcome.event_ids.len() as u64;
                    pending.push(Pending::Written(job.reply, outcome));
                }
                Ok(Staged::SameAs(idx)) => pending.push(Pending::SameAs(job.reply, idx)),
                Ok(Staged::Replayed(outcome)) => {
                    let _ = job.reply.send(Ok(outcome));
                }
                Err(error) => {
                    let _ = job.reply.send(Err(error));
                }
            }
        }
        if pending.is_empty() {
            return;
        }

        // Listed before sled holds the entries (readers check the list
        // after reading an entry); struck off only once they are durable,
        // or, if the batch is refused, once recovery rolled them back.
        self.unsynced
            .with(|keys| keys.extend(unlogged.iter().cloned()));
        if let Err(error) = self.write_durably(batch) {
            let refusal = self.fail(error, keys, tip_before);
            let (message, storage_full) = (refusal.to_string(), refusal.is_storage_full());
            for entry in pending {
                let reply = match entry {
                    Pending::Written(reply, _) | Pending::SameAs(reply, _) => reply,
                };
                let _ = reply.send(Err(if storage_full {
                    StoreError::InsufficientStorage(message.clone())
                } else {
                    StoreError::Unavailable(message.clone())
                }));
            }
            return;
        }
        self.stats.n_batches.fetch_add(1, Ordering::Relaxed);
        self.stats.n_records.fetch_add(n_records, Ordering::Relaxed);
        let head = LogHead {
            len: self.tip.next_position,
            last_hash: self.tip.last_hash,
        };
        // A batch of appends without events leaves the head where it was.
        self.head.send_if_modified(|current| {
            let moved = *current != head;
            *current = head;
            moved
        });
        if !unlogged.is_empty() {
            self.unsynced.with(|keys| {
                for key in &unlogged {
                    keys.remove(key);
                }
            });
        }

        let outcomes: Vec<Option<AppendOutcome>> = pending
            .iter()
            .map(|entry| match entry {
                Pending::Written(_, outcome) => Some(outcome.clone()),
                Pending::SameAs(_, _) => None,
            })
            .collect();
        for entry in pending {
            match entry {
                Pending::Written(reply, outcome) => {
                    let _ = reply.send(Ok(outcome));
                }
                Pending::SameAs(reply, idx) => {
                    let answer = outcomes
                        .get(idx)
                        .cloned()
                        .flatten()
                        .map(|outcome| AppendOutcome {
                            replayed: true,
                            ..outcome
                        })
                        .ok_or(StoreError::Closed);
                    let _ = reply.send(answer);
                }
            }
        }
    }

    fn stage(
        &mut self,
        request: &AppendRequest,
        batch: &mut sled::Batch,
        keys: &mut Vec<Vec<u8>>,
        batch_keys: &mut HashMap<String, (usize, Option<Hash32>)>,
        pending_idx: usize,
    ) -> Result<Staged, StoreError> {
        if let Some(idempotency) = &request.idempotency {
            let same_request = |stored: Option<Hash32>| match (stored, idempotency.fingerprint) {
                (Some(stored), Some(current)) => stored == current,
                _ => true,
            };
            if let Some((idx, fingerprint)) = batch_keys.get(&idempotency.key) {
                if !same_request(*fingerprint) {
                    return Err(StoreError::IdempotencyKeyReused {
                        key: idempotency.key.clone(),
                    });
                }
                return Ok(Staged::SameAs(*idx));
            }
            if let Some(stored) = self.lookup_idempotency(&idempotency.key)? {
                if !same_request(stored.fingerprint) {
                    return Err(StoreError::IdempotencyKeyReused {
                        key: idempotency.key.clone(),
                    });
                }
                return Ok(Staged::Replayed(AppendOutcome {
                    replayed: true,
                    ..stored.outcome
                }));
            }
        }

        let actual = self.stream_head(&request.stream_id)?;
        if !request.expected_version.admits(actual) {
            return Err(StoreError::WrongExpectedVersion {
                stream_id: request.stream_id.clone(),
                expected: request.expected_version,
                actual,
            });
        }
        let stream_prefix = stream_prefix(&request.stream_id)
            .ok_or_else(|| StoreError::InvalidAppend("stream id too long".into()))?;

        let recorded_at = next_recorded_at(self.tip.last_recorded_at);
        if request.events.is_empty() {
            // Admitted only with a key (`AppendRequest::validate`): the key
            // is recorded at the log's staged end, nothing else moves.
            let outcome = no_events_outcome(
                request,
                actual,
                self.tip.next_position,
                self.tip.last_hash,
                recorded_at,
            );
            if let Some(idempotency) = &request.idempotency {
                let key = self.stage_idempotency(batch, idempotency, &outcome)?;
                keys.push(key);
                batch_keys.insert(
                    idempotency.key.clone(),
                    (pending_idx, idempotency.fingerprint),
                );
            }
            return Ok(Staged::Written(outcome));
        }
        let first_version = actual.map_or(0, |version| version + 1);
        let (records, outcome) = chain_records(
            request,
            self.tip.next_position,
            first_version,
            self.tip.last_hash,
            recorded_at,
        );
        let mut staged_keys = Vec::with_capacity(records.len() * 2 + 1);
        for record in &records {
            let log_key = log_key(record.position);
            batch.insert(&log_key, record.encode_stored());
            staged_keys.push(log_key.to_vec());
            let mut index_key = stream_prefix.clone();
            index_key.extend_from_slice(&record.stream_version.to_be_bytes());
            batch.insert(index_key.as_slice(), &record.position.to_be_bytes());
            staged_keys.push(index_key);
        }
        let (last_hash, n_events) = (outcome.last_hash, records.len() as u64);
        let first_position = outcome.first_position;
        if let Some(idempotency) = &request.idempotency {
            staged_keys.push(self.stage_idempotency(batch, idempotency, &outcome)?);
            batch_keys.insert(
                idempotency.key.clone(),
                (pending_idx, idempotency.fingerprint),
            );
        }
        keys.extend(staged_keys);
        self.tip = Tip {
            next_position: first_position + n_events,
            last_hash,
            last_recorded_at: Some(recorded_at),
        };
        self.stream_heads
            .insert(request.stream_id.clone(), Some(outcome.last_version));
        Ok(Staged::Written(outcome))
    }

    /// Puts the idempotency entry of `outcome` in the batch; returns its
    /// sled key.
    fn stage_idempotency(
        &self,
        batch: &mut sled::Batch,
        idempotency: &Idempotency,
        outcome: &AppendOutcome,
    ) -> Result<Vec<u8>, StoreError> {
        let stored = StoredOutcome {
            fingerprint: idempotency.fingerprint,
            outcome: outcome.clone(),
        };
        let encoded = serde_json::to_vec(&stored)
            .map_err(|error| StoreError::InvalidAppend(format!("idempotency entry: {error}")))?;
        let key = idempotency_key(&idempotency.key);
        batch.insert(key.as_slice(), encoded);
        Ok(key)
    }

    fn write_durably(&mut self, batch: sled::Batch) -> Result<(), StoreError> {
        #[cfg(test)]
        self.faults.before_write()?;
        let started = Instant::now();
        self.db()?.apply_batch(batch)?;
        let applied = Instant::now();
        #[cfg(test)]
        self.faults.after_apply()?;
        self.db()?.flush()?;
        let flushed = Instant::now();
        self.data_file
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("the log's data file is closed".into()))?
            .sync_data()?;
        let synced = Instant::now();
        self.stats.n_syncs.fetch_add(1, Ordering::Relaxed);
        let nanos =
            |from: Instant, to: Instant| u64::try_from((to - from).as_nanos()).unwrap_or(u64::MAX);
        self.stats
            .apply_nanos
            .fetch_add(nanos(started, applied), Ordering::Relaxed);
        self.stats
            .flush_nanos
            .fetch_add(nanos(applied, flushed), Ordering::Relaxed);
        self.stats
            .sync_nanos
            .fetch_add(nanos(flushed, synced), Ordering::Relaxed);
        self.sync_new_blob_files()?;
        Ok(())
    }

    /// sled writes values too large for its log segments to separate files
    /// under `blobs/` and never syncs them; record payloads are bounded well
    /// below that size, but sync any that appear so durability never rests
    /// on that bound.
    fn sync_new_blob_files(&mut self) -> Result<(), StoreError> {
        let files = list_files(&self.blobs_dir)?;
        let mut synced_any = false;
        for file in files.difference(&self.known_blob_files) {
            File::open(file)?.sync_all()?;
            self.stats.n_syncs.fetch_add(1, Ordering::Relaxed);
            synced_any = true;
        }
        if synced_any {
            sync_dir(&self.blobs_dir)?;
        }
        self.known_blob_files = files;
        Ok(())
    }
}

/// The tip of the log as stored: the last `L` record.
fn read_tip(db: &sled::Db) -> Result<Tip, StoreError> {
    Ok(match db.scan_prefix([LOG_PREFIX]).next_back() {
        Some(entry) => {
            let (key, value) = entry?;
            let position = decode_log_key(&key)?;
            let record = decode_at(position, &value)?;
            Tip {
                next_position: after(position)?,
                last_hash: record.hash,
                last_recorded_at: Some(record.recorded_at),
            }
        }
        None => Tip {
            next_position: 0,
            last_hash: Hash32::ZERO,
            last_recorded_at: None,
        },
    })
}

enum Staged {
    Written(AppendOutcome),
    SameAs(usize),
    Replayed(AppendOutcome),
}

/// Opens a sled database. sled's background threads can hold its file lock
/// for a moment after the last handle of the previous opener in this
/// process is dropped (a closed store reopened at once, a tool reading the
/// raw database after the store closed), so a held lock is retried for up
/// to two seconds before it is an error.
pub fn open_sled(config: sled::Config) -> Result<sled::Db, StoreError> {
    const LOCK_RETRIES: u32 = 100;
    let mut n_retries = 0;
    loop {
        match config.open() {
            Err(sled::Error::Io(error))
                if n_retries < LOCK_RETRIES
                    && error.to_string().contains("could not acquire lock") =>
            {
                n_retries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            opened => return Ok(opened?),
        }
    }
}

/// A sled database beside the log (webhook subscriptions and the like)
/// whose writes [`DurableDb::persist`] makes durable: sled 0.34's `flush`
/// is not a full fsync on Linux, so it is followed by an fsync of sled's
/// data file, as the log's own writes are. Its directory entries are
/// synced when it opens.
pub struct DurableDb {
    db: sled::Db,
    data_file: File,
}

impl DurableDb {
    /// Opens (creating) the database in `dir`.
    pub fn open(dir: &Path) -> Result<DurableDb, StoreError> {
        let db = open_sled(sled::Config::new().path(dir))?;
        db.flush()?;
        let data_file = File::open(dir.join("db"))?;
        data_file.sync_all()?;
        sync_dir(dir)?;
        if let Some(parent) = dir.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
        Ok(DurableDb { db, data_file })
    }

    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    /// Makes every write so far durable: flush, then fsync.
    pub fn persist(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        self.data_file.sync_data()?;
        Ok(())
    }
}

/// Free space the log directory must have before the writer reopens sled
/// after a failure (a probe file of this size is written, synced, removed).
pub const REOPEN_FREE_BYTES: u64 = 8 * 1024 * 1024;

/// Checks that `bytes` can be written in `dir` by writing, syncing and
/// removing a probe file; a full disk is [`StoreError::InsufficientStorage`].
pub fn probe_free_space(dir: &Path, bytes: u64) -> Result<(), StoreError> {
    use std::io::Write;
    let path = dir.join(".space-probe.tmp");
    let written = (|| {
        let mut file = File::create(&path)?;
        let chunk = vec![0u8; 64 * 1024];
        let mut left = bytes;
        while left > 0 {
            let n = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
            file.write_all(&chunk[..n])?;
            left -= n as u64;
        }
        file.sync_all()
    })();
    let _ = std::fs::remove_file(&path);
    written.map_err(|error| {
        if crate::error::io_is_storage_full(&error) {
            StoreError::InsufficientStorage(format!(
                "less than {bytes} bytes free in {}: {error}",
                dir.display()
            ))
        } else {
            StoreError::Io(error)
        }
    })
}

fn list_files(dir: &Path) -> Result<HashSet<PathBuf>, StoreError> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut files = HashSet::new();
            for entry in entries {
                files.insert(entry?.path());
            }
            Ok(files)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(HashSet::new()),
        Err(error) => Err(error.into()),
    }
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// The record stored under log key `position`, which must say it is at
/// that position: a record under another key (a stray or tampered key)
/// is corrupt, never read as if it were there.
fn decode_at(position: u64, bytes: &[u8]) -> Result<RecordedEvent, StoreError> {
    let record = RecordedEvent::decode_stored(position, bytes)?;
    if record.position != position {
        return Err(StoreError::CorruptRecord {
            position,
            reason: format!("the record stored here says it is at {}", record.position),
        });
    }
    Ok(record)
}

/// The position after `position`, the last record's: a key at the very
/// end of the range leaves no room for another and is corrupt, rather
/// than wrapping round to overwrite record 0.
fn after(position: u64) -> Result<u64, StoreError> {
    position
        .checked_add(1)
        .ok_or_else(|| StoreError::CorruptRecord {
            position,
            reason: "no position can follow it".to_owned(),
        })
}

fn log_key(position: u64) -> [u8; 9] {
    let mut key = [LOG_PREFIX; 9];
    key[1..].copy_from_slice(&position.to_be_bytes());
    key
}

fn decode_log_key(key: &[u8]) -> Result<u64, StoreError> {
    key.get(1..)
        .and_then(decode_u64)
        .ok_or_else(|| StoreError::CorruptRecord {
            position: 0,
            reason: "malformed log key".into(),
        })
}

fn decode_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// `S` + length (u16 BE) + stream id: the length keeps `ab` and `abc`
/// apart. `None` for ids longer than u16 (refused at validation anyway).
fn stream_prefix(stream_id: &str) -> Option<Vec<u8>> {
    let len = u16::try_from(stream_id.len()).ok()?;
    let mut prefix = Vec::with_capacity(3 + stream_id.len() + 8);
    prefix.push(STREAM_PREFIX);
    prefix.extend_from_slice(&len.to_be_bytes());
    prefix.extend_from_slice(stream_id.as_bytes());
    Some(prefix)
}

fn read_idempotency(db: &sled::Db, key: &str) -> Result<Option<StoredOutcome>, StoreError> {
    let Some(stored) = db.get(idempotency_key(key))? else {
        return Ok(None);
    };
    serde_json::from_slice(&stored)
        .map(Some)
        .map_err(|error| StoreError::CorruptRecord {
            position: 0,
            reason: format!("idempotency entry {key:?}: {error}"),
        })
}

fn idempotency_key(key: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + key.len());
    out.push(IDEMPOTENCY_PREFIX);
    out.extend_from_slice(key.as_bytes());
    out
}

/// Injected write failures for the writer's unit tests.
#[cfg(test)]
mod faults {
    use std::sync::{Arc, Mutex};

    use crate::error::StoreError;

    /// How many of the next operations fail, per hook.
    #[derive(Debug, Default)]
    pub struct Plan {
        /// Writes that fail before sled sees the batch.
        pub before_write: u32,
        /// Writes that fail after `apply_batch` put the batch in sled's
        /// memory (a failed flush or fsync: the batch may be on disk or not).
        pub after_apply: u32,
        /// Recovery attempts that fail (the disk still full).
        pub recovery: u32,
    }

    #[derive(Clone, Debug, Default)]
    pub struct Faults(pub Arc<Mutex<Plan>>);

    fn enospc() -> StoreError {
        StoreError::Io(std::io::Error::from_raw_os_error(28))
    }

    impl Faults {
        fn hit(&self, pick: impl FnOnce(&mut Plan) -> &mut u32) -> Result<(), StoreError> {
            let mut plan = self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let left = pick(&mut plan);
            if *left > 0 {
                *left -= 1;
                return Err(enospc());
            }
            Ok(())
        }

        pub fn before_write(&self) -> Result<(), StoreError> {
            self.hit(|plan| &mut plan.before_write)
        }

        pub fn after_apply(&self) -> Result<(), StoreError> {
            self.hit(|plan| &mut plan.after_apply)
        }

        pub fn recovery(&self) -> Result<(), StoreError> {
            self.hit(|plan| &mut plan.recovery)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::verify_log;
    use crate::record::{AppendMetadata, ExpectedVersion, Idempotency, NewEvent};

    fn request(stream_id: &str, expected: ExpectedVersion, key: Option<&str>) -> AppendRequest {
        AppendRequest {
            stream_id: stream_id.to_owned(),
            expected_version: expected,
            events: vec![NewEvent::new(
                "TestEvent",
                1,
                &serde_json::json!({"stream": stream_id}),
            )],
            metadata: AppendMetadata {
                actor: "tester".into(),
                command_id: uuid::Uuid::now_v7(),
                correlation_id: uuid::Uuid::now_v7(),
                causation_id: uuid::Uuid::now_v7(),
            },
            idempotency: key.map(|key| Idempotency {
                key: key.to_owned(),
                fingerprint: Some(Hash32::sha256(key.as_bytes())),
            }),
        }
    }

    fn plan(store: &SledStore) -> std::sync::MutexGuard<'_, faults::Plan> {
        store.inner.faults.0.lock().expect("fault plan")
    }

    async fn positions(store: &SledStore) -> Vec<(u64, String)> {
        store
            .read_all(0, 100)
            .await
            .expect("read")
            .into_iter()
            .map(|record| (record.position, record.stream_id))
            .collect()
    }

    /// A log in a temporary directory holding one record, on stream `a`.
    async fn log_with_a() -> (tempfile::TempDir, SledStore) {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(data_dir.path()).expect("open");
        store
            .append(request("a", ExpectedVersion::NoStream, None))
            .await
            .expect("first append");
        (data_dir, store)
    }

    /// A batch that reached sled's memory (and, through the flush when the
    /// old handle is dropped, its disk) but failed to sync is refused, rolled
    /// back, and the next append takes its position: no hole, no ghost
    /// stream version or idempotency entry, and the log verifies after a
    /// reopen.
    #[tokio::test]
    async fn a_failed_sync_refuses_the_batch_and_the_next_append_succeeds() {
        let (data_dir, store) = log_with_a().await;

        plan(&store).after_apply = 1;
        let error = store
            .append(request("b", ExpectedVersion::NoStream, Some("key-b")))
            .await
            .expect_err("the failed sync refuses the batch");
        assert!(
            matches!(error, StoreError::InsufficientStorage(_)),
            "{error:?}"
        );
        assert_eq!(store.head().len, 1);
        assert_eq!(store.idempotent_outcome("key-b").await.expect("read"), None);
        assert_eq!(store.stream_version("b").await.expect("read"), None);

        // No restart: the next appends go through, from position 1.
        let c = store
            .append(request("c", ExpectedVersion::NoStream, None))
            .await
            .expect("append after the failure");
        assert_eq!(c.first_position, 1);
        let b = store
            .append(request("b", ExpectedVersion::NoStream, Some("key-b")))
            .await
            .expect("the refused request again");
        assert!(!b.replayed, "the refused append was not stored");
        assert_eq!((b.first_position, b.first_version), (2, 0));
        assert_eq!(store.health(), None);
        let expected = vec![(0, "a".into()), (1, "c".into()), (2, "b".into())];
        assert_eq!(positions(&store).await, expected);

        store.close().await;
        drop(store);
        let reopened = SledStore::open(data_dir.path()).expect("reopen");
        assert_eq!(positions(&reopened).await, expected);
        let report = verify_log(&reopened, |_, _| {}).await.expect("verify");
        assert_eq!((report.n_verified, report.failure), (3, None));
    }

    /// The request `request` builds, without events and keyed `key`: a
    /// decision that changed nothing.
    fn no_events(stream_id: &str, expected: ExpectedVersion, key: &str) -> AppendRequest {
        let mut request = request(stream_id, expected, Some(key));
        request.events.clear();
        request
    }

    /// A key recorded without events is durable like an append: it is
    /// there after the store is closed and reopened.
    #[tokio::test]
    async fn a_key_without_events_survives_a_reopen() {
        let (data_dir, store) = log_with_a().await;
        let recorded = store
            .append(no_events("a", ExpectedVersion::Exact(0), "key-a"))
            .await
            .expect("the key is recorded");
        assert!(recorded.no_events.is_some() && !recorded.replayed);
        assert_eq!(store.head().len, 1);
        store.close().await;
        drop(store);
        let reopened = SledStore::open(data_dir.path()).expect("reopen");
        let stored = reopened
            .idempotent_outcome("key-a")
            .await
            .expect("read")
            .expect("stored durably");
        assert_eq!(stored.outcome, recorded);
        assert_eq!(reopened.head().len, 1);
    }

    /// A batch holding only a key without events that fails to sync is
    /// refused and rolled back although the log's tip shows nothing (the
    /// drop of the old handle flushes it to disk): the key is not
    /// answered, not after a reopen either, and the request succeeds
    /// when sent again.
    #[tokio::test]
    async fn a_failed_sync_of_a_key_without_events_leaves_no_key() {
        let (data_dir, store) = log_with_a().await;
        plan(&store).after_apply = 1;
        let error = store
            .append(no_events("a", ExpectedVersion::Exact(0), "key-a"))
            .await
            .expect_err("the failed sync refuses the batch");
        assert!(
            matches!(error, StoreError::InsufficientStorage(_)),
            "{error:?}"
        );
        assert_eq!(store.idempotent_outcome("key-a").await.expect("read"), None);
        assert_eq!(store.health(), None, "recovered at once");
        store.close().await;
        drop(store);

        let store = SledStore::open(data_dir.path()).expect("reopen");
        assert_eq!(store.idempotent_outcome("key-a").await.expect("read"), None);
        let recorded = store
            .append(no_events("a", ExpectedVersion::Exact(0), "key-a"))
            .await
            .expect("the refused request again");
        assert!(!recorded.replayed, "the refused key was not stored");
        assert_eq!(
            store
                .idempotent_outcome("key-a")
                .await
                .expect("read")
                .map(|stored| stored.outcome),
            Some(recorded)
        );
        assert_eq!(positions(&store).await, vec![(0, "a".into())]);
    }

    /// While the disk stays full the writer refuses appends with a typed
    /// error and reports it; once recovery succeeds (in the background, with
    /// no append arriving) health clears and appends resume.
    #[tokio::test]
    async fn the_writer_recovers_by_itself_when_space_returns() {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(data_dir.path()).expect("open");
        {
            let mut plan = plan(&store);
            plan.before_write = 1;
            plan.recovery = 3;
        }
        let error = store
            .append(request("a", ExpectedVersion::NoStream, None))
            .await
            .expect_err("disk full");
        assert!(error.is_storage_full(), "{error:?}");
        let failure = store.health().expect("the failure is reported");
        assert!(failure.storage_full, "{failure:?}");
        let refused = store
            .append(request("a", ExpectedVersion::NoStream, None))
            .await
            .expect_err("still full");
        assert!(
            matches!(refused, StoreError::InsufficientStorage(_)),
            "{refused:?}"
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while store.health().is_some() {
            assert!(Instant::now() < deadline, "the writer never recovered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let outcome = store
            .append(request("a", ExpectedVersion::NoStream, None))
            .await
            .expect("appends resume");
        assert_eq!(outcome.first_position, 0);
        assert_eq!(plan(&store).recovery, 0);
    }
}
