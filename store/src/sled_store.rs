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
//! still be lost.
//!
//! If a write or a sync fails, the outcome of that batch on disk is unknown:
//! the store poisons itself and refuses further appends until reopened
//! (reopening recovers whatever sled made durable, and the chain is intact).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot, watch};

use crate::error::StoreError;
use crate::record::{
    chain_records, next_recorded_at, AppendOutcome, AppendRequest, Hash32, RecordedEvent,
};
use crate::store::{check_import, ImportTip, LogHead, RegistrationLock, Store, StoredOutcome};

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

/// Options for opening the embedded store.
#[derive(Clone, Debug)]
pub struct SledOptions {
    /// sled page-cache size in bytes.
    pub cache_capacity_bytes: u64,
}

impl Default for SledOptions {
    fn default() -> Self {
        SledOptions {
            cache_capacity_bytes: 256 * 1024 * 1024,
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

struct Inner {
    db: sled::Db,
    requests: Mutex<Option<mpsc::Sender<Job>>>,
    /// The registration lock: one process owns a sled log (sled's file
    /// lock), so an in-process mutex serialises every registration.
    registrations: Arc<tokio::sync::Mutex<()>>,
    head: watch::Receiver<LogHead>,
    writer: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<WriterStats>,
    path: PathBuf,
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
                let record = RecordedEvent::decode_stored(position, &value)?;
                Tip {
                    next_position: position + 1,
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
        let writer = Writer {
            db: db.clone(),
            data_file,
            blobs_dir,
            known_blob_files,
            tip,
            stream_heads: HashMap::new(),
            head: head_sender,
            stats: stats.clone(),
            poisoned: AtomicBool::new(false),
        };
        let handle = std::thread::Builder::new()
            .name("salesledger-log-writer".into())
            .spawn(move || writer.run(receiver))?;
        tracing::info!(path = %path.display(), len = tip.next_position, "opened sled event log");
        Ok(SledStore {
            inner: Arc::new(Inner {
                db,
                requests: Mutex::new(Some(sender)),
                registrations: Arc::new(tokio::sync::Mutex::new(())),
                head,
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
    /// store (e.g. to prove tampering is detected).
    pub fn raw_db(&self) -> &sled::Db {
        &self.inner.db
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
            records.push(RecordedEvent::decode_stored(position, &value)?);
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
            records.push(RecordedEvent::decode_stored(position, &stored)?);
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
        let db = self.inner.db.clone();
        let end = self.inner.head.borrow().len;
        let stream_id = stream_id.to_owned();
        run_read(limit, move || {
            SledStore::read_stream_blocking(&db, &stream_id, from_version, end, limit)
        })
        .await
    }

    async fn read_all(
        &self,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let db = self.inner.db.clone();
        let end = self.inner.head.borrow().len;
        run_read(limit, move || {
            SledStore::read_all_blocking(&db, from_position, end, limit)
        })
        .await
    }

    async fn stream_version(&self, stream_id: &str) -> Result<Option<u64>, StoreError> {
        let db = self.inner.db.clone();
        let end = self.inner.head.borrow().len;
        let stream_id = stream_id.to_owned();
        run_read(1, move || {
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
        let db = self.inner.db.clone();
        let end = self.inner.head.borrow().len;
        let key = key.to_owned();
        run_read(1, move || {
            let stored = read_idempotency(&db, &key)?;
            // An entry whose append is not durable yet is not an outcome.
            Ok(stored.filter(|stored| stored.outcome.last_position < end))
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
    db: sled::Db,
    data_file: File,
    blobs_dir: PathBuf,
    known_blob_files: HashSet<PathBuf>,
    tip: Tip,
    /// Last version of each stream seen by the writer (a cache of the `S`
    /// index; `None` = no stream).
    stream_heads: HashMap<String, Option<u64>>,
    head: watch::Sender<LogHead>,
    stats: Arc<WriterStats>,
    poisoned: AtomicBool,
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
        while let Some(first) = receiver.blocking_recv() {
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

    /// Appends already-chained records verbatim, after checking that they
    /// extend the tip; one durable batch.
    fn import(&mut self, records: Vec<RecordedEvent>) -> Result<LogHead, StoreError> {
        if self.poisoned.load(Ordering::Relaxed) {
            return Err(StoreError::Poisoned);
        }
        let tip = ImportTip {
            head: LogHead {
                len: self.tip.next_position,
                last_hash: self.tip.last_hash,
            },
            last_recorded_at: self.tip.last_recorded_at,
        };
        let new_head = check_import(&records, tip, |stream_id| self.stream_head(stream_id))?;
        let mut batch = sled::Batch::default();
        for record in &records {
            let prefix = stream_prefix(&record.stream_id)
                .ok_or_else(|| StoreError::InvalidAppend("stream id too long".into()))?;
            batch.insert(&log_key(record.position), record.encode_stored());
            let mut index_key = prefix;
            index_key.extend_from_slice(&record.stream_version.to_be_bytes());
            batch.insert(index_key, &record.position.to_be_bytes());
        }
        if let Err(error) = self.write_durably(batch) {
            tracing::error!(%error, "import failed; poisoning the store");
            self.poisoned.store(true, Ordering::Relaxed);
            self.stream_heads.clear();
            return Err(StoreError::Io(std::io::Error::other(error.to_string())));
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
            Some(prefix) => match self.db.scan_prefix(&prefix).next_back() {
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
        read_idempotency(&self.db, key)
    }

    fn commit_batch(&mut self, jobs: Vec<WriteJob>) {
        if self.poisoned.load(Ordering::Relaxed) {
            for job in jobs {
                let _ = job.reply.send(Err(StoreError::Poisoned));
            }
            return;
        }
        if self.stream_heads.len() > MAX_CACHED_STREAM_HEADS {
            self.stream_heads.clear();
        }
        let tip_before = self.tip;
        let mut batch = sled::Batch::default();
        let mut pending: Vec<Pending> = Vec::new();
        let mut staged_heads: Vec<(String, Option<u64>)> = Vec::new();
        let mut batch_keys: HashMap<String, (usize, Option<Hash32>)> = HashMap::new();
        let mut n_records = 0u64;

        for job in jobs {
            match self.stage(
                &job.request,
                &mut batch,
                &mut batch_keys,
                &mut staged_heads,
                pending.len(),
            ) {
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

        if let Err(error) = self.write_durably(batch) {
            tracing::error!(%error, "group commit failed; poisoning the store");
            self.poisoned.store(true, Ordering::Relaxed);
            self.tip = tip_before;
            for (stream_id, _) in staged_heads {
                self.stream_heads.remove(&stream_id);
            }
            for entry in pending {
                let reply = match entry {
                    Pending::Written(reply, _) | Pending::SameAs(reply, _) => reply,
                };
                let _ = reply.send(Err(StoreError::Io(std::io::Error::other(
                    error.to_string(),
                ))));
            }
            return;
        }
        self.stats.n_batches.fetch_add(1, Ordering::Relaxed);
        self.stats.n_records.fetch_add(n_records, Ordering::Relaxed);
        self.head.send_replace(LogHead {
            len: self.tip.next_position,
            last_hash: self.tip.last_hash,
        });

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
        batch_keys: &mut HashMap<String, (usize, Option<Hash32>)>,
        staged_heads: &mut Vec<(String, Option<u64>)>,
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
        let first_version = actual.map_or(0, |version| version + 1);
        let (records, outcome) = chain_records(
            request,
            self.tip.next_position,
            first_version,
            self.tip.last_hash,
            recorded_at,
        );
        for record in &records {
            batch.insert(&log_key(record.position), record.encode_stored());
            let mut index_key = stream_prefix.clone();
            index_key.extend_from_slice(&record.stream_version.to_be_bytes());
            batch.insert(index_key, &record.position.to_be_bytes());
        }
        let (last_hash, n_events) = (outcome.last_hash, records.len() as u64);
        let first_position = outcome.first_position;
        if let Some(idempotency) = &request.idempotency {
            let stored = StoredOutcome {
                fingerprint: idempotency.fingerprint,
                outcome: outcome.clone(),
            };
            let encoded = serde_json::to_vec(&stored).map_err(|error| {
                StoreError::InvalidAppend(format!("idempotency entry: {error}"))
            })?;
            batch.insert(idempotency_key(&idempotency.key), encoded);
            batch_keys.insert(
                idempotency.key.clone(),
                (pending_idx, idempotency.fingerprint),
            );
        }
        self.tip = Tip {
            next_position: first_position + n_events,
            last_hash,
            last_recorded_at: Some(recorded_at),
        };
        self.stream_heads
            .insert(request.stream_id.clone(), Some(outcome.last_version));
        staged_heads.push((request.stream_id.clone(), actual));
        Ok(Staged::Written(outcome))
    }

    fn write_durably(&mut self, batch: sled::Batch) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        self.db.apply_batch(batch)?;
        let applied = std::time::Instant::now();
        self.db.flush()?;
        let flushed = std::time::Instant::now();
        self.data_file.sync_data()?;
        let synced = std::time::Instant::now();
        self.stats.n_syncs.fetch_add(1, Ordering::Relaxed);
        let nanos = |from: std::time::Instant, to: std::time::Instant| {
            u64::try_from((to - from).as_nanos()).unwrap_or(u64::MAX)
        };
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
