//! The PostgreSQL backend: the same log (same canonical bytes, same hashes)
//! in a PostgreSQL database, so that several gateway processes, on several
//! machines, can share one totally ordered log.
//!
//! # Schema
//! Created and upgraded by versioned migrations that [`PgStore::connect`]
//! runs on start (under a database-wide advisory lock, so processes starting
//! together do not race), recorded in
//! `salesledger_migrations(version int primary key, applied_at timestamptz)`.
//! Migration 1 creates:
//! - `events(position bigint primary key, event_id uuid unique, stream_id
//!   text, stream_version bigint, event_type text, schema_version int,
//!   recorded_at_micros bigint, actor text, command_id uuid, correlation_id
//!   uuid, causation_id uuid, payload text, prev_hash bytea, hash bytea,
//!   unique(stream_id, stream_version))`: one row per record; `payload` is
//!   the exact canonical JSON text the hash covers; `schema_version` holds
//!   the record's `u32` bit for bit (values above `i32::MAX` read negative
//!   in SQL and come back unchanged);
//! - `idempotency(key text primary key, fingerprint bytea null, outcome
//!   jsonb)`: the original [`AppendOutcome`] of each keyed append (of a
//!   keyed append without events, the only row it writes).
//!
//! Everything lives in one schema: the `schema` given to
//! [`PgStore::connect`] (created if missing and put on the connections'
//! `search_path`), or the connection's current schema.
//!
//! # Sequencing and group commit
//! One writer task per store drains a queue of append requests and writes a
//! whole batch (up to 512 requests) in one transaction:
//! 1. `SET LOCAL synchronous_commit TO on` and
//!    `pg_advisory_xact_lock(<key of this schema>)`: one sequencer at a time
//!    per log, whatever the process or machine;
//! 2. read the tip (last position, hash and `recorded_at`), the last version
//!    of every stream of the batch and every idempotency key of the batch;
//! 3. check each request in order (idempotency key, then expected version
//!    against the stream's head, including earlier requests of the same
//!    batch), and build the admitted requests' records exactly as the sled
//!    writer does: consecutive positions after the tip, UUID v7 event ids,
//!    `recorded_at` in whole microseconds and never earlier than the
//!    previous record's, `prev_hash` chained, [`RecordedEvent::compute_hash`];
//! 4. insert all records (one `INSERT ... SELECT FROM unnest(...)`), the
//!    idempotency entries, `pg_notify('salesledger_events', ...)`, commit;
//! 5. only then answer every caller of the batch (a request refused by its
//!    expected-version check gets `WrongExpectedVersion`, the others of the
//!    batch still commit) and move the head.
//!
//! A batch whose only writes are keys of appends without events commits
//! those rows the same way (no records, no notification: the head does
//! not move); a batch that writes nothing is rolled back.
//!
//! **Durability**: PostgreSQL's commit with `synchronous_commit = on` (set
//! for every append transaction, whatever the server default) returns only
//! once the commit's WAL is flushed: that commit is the flush, one per batch,
//! shared by every append of the batch. If the commit fails (e.g. the
//! connection drops), the batch may or may not have committed: its callers
//! get [`StoreError::Postgres`] and learn the truth by retrying with the
//! same idempotency key. Nothing needs poisoning: the next batch re-reads
//! the tip from the database.
//!
//! # Why no reader can skip a committed record
//! Positions are assigned under the advisory lock, and the lock is held
//! until the transaction commits (PostgreSQL releases transaction locks only
//! after the commit is flushed and visible). So the transaction writing
//! positions `n..m` cannot even read the tip before every transaction
//! holding positions `< n` has committed and is visible: positions are
//! committed in order, and when position `n` is visible every position
//! `< n` is too. A record is never visible with a hole below it.
//!
//! # Reads and the head
//! Reads (`read_all`, `read_stream`, `stream_version`, `idempotent_outcome`)
//! stop at the **committed head this process knows** ([`Store::head`]), as on
//! sled, so `verify_log` and subscriptions see a consistent prefix. The head
//! (a `watch`) moves forward only, and only to committed records:
//! - after each local commit;
//! - from the tip each batch reads under the lock (so a process that writes
//!   also catches up on others' records, e.g. before answering a conflict);
//! - from `LISTEN salesledger_events` on a dedicated connection: every append
//!   transaction notifies `<schema> <new len> <last hash hex>` (the channel
//!   is shared by every schema of the database, hence the schema), and
//!   notifications are delivered in commit order; on every (re)connect of
//!   the listener the head is refreshed from the table.
//!
//! Subscriptions in any process therefore see every record of every process,
//! in position order, with no gap and no duplicate.

use std::collections::HashMap;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, NoTls, Row};
use tracing::Instrument;
use uuid::Uuid;

use crate::error::StoreError;
use crate::log::{check_import, ImportTip, LogHead, RegistrationLock, Store, StoredOutcome};
use crate::record::{
    chain_records, next_recorded_at, no_events_outcome, AppendOutcome, AppendRequest,
    CanonicalJson, Hash32, Idempotency, RecordedEvent,
};

/// The NOTIFY channel every append transaction notifies.
pub const NOTIFY_CHANNEL: &str = "salesledger_events";
/// Most requests one group commit takes from the queue.
const MAX_BATCH_REQUESTS: usize = 512;
/// Requests waiting for the writer; callers wait (asynchronously) beyond it.
const QUEUE_CAPACITY: usize = 8192;
/// Default connection pool size.
pub const DEFAULT_POOL_SIZE: usize = 16;
/// Advisory lock taken by migrations (and schema creation), database-wide.
const MIGRATION_LOCK_KEY: i64 = 0x5a1e_5ed6_e400_0001;
/// Wait before the listener reconnects.
const LISTEN_RETRY: Duration = Duration::from_millis(500);

const COLUMNS: &str = "position, event_id, stream_id, stream_version, event_type, \
    schema_version, recorded_at_micros, actor, command_id, correlation_id, causation_id, \
    payload, prev_hash, hash";
const TIP_SQL: &str =
    "SELECT position, hash, recorded_at_micros FROM events ORDER BY position DESC LIMIT 1";
const INSERT_EVENTS_SQL: &str = "INSERT INTO events (position, event_id, stream_id, \
    stream_version, event_type, schema_version, recorded_at_micros, actor, command_id, \
    correlation_id, causation_id, payload, prev_hash, hash) SELECT * FROM unnest($1::bigint[], \
    $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::int[], $7::bigint[], $8::text[], \
    $9::uuid[], $10::uuid[], $11::uuid[], $12::text[], $13::bytea[], $14::bytea[])";
/// Each stream's head by one backward scan of the `(stream_id,
/// stream_version)` index per stream (`LIMIT 1`): O(log n) in the log and
/// the stream's length. (`max(...) ... GROUP BY stream_id` read every row of
/// every stream in the batch, so a batch's cost grew with history.) A
/// stream with no events gets a row with a NULL version. Public so that
/// its plan can be checked against a real server (tests/pg_conformance.rs).
pub const STREAM_HEADS_SQL: &str = "SELECT s.stream_id, (SELECT e.stream_version FROM events e \
    WHERE e.stream_id = s.stream_id ORDER BY e.stream_version DESC LIMIT 1) \
    FROM unnest($1::text[]) AS s(stream_id)";

/// The versioned migrations, applied in order; never edit one once shipped,
/// add the next.
const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    "CREATE TABLE events (
        position bigint PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        stream_id text NOT NULL,
        stream_version bigint NOT NULL,
        event_type text NOT NULL,
        schema_version int NOT NULL,
        recorded_at_micros bigint NOT NULL,
        actor text NOT NULL,
        command_id uuid NOT NULL,
        correlation_id uuid NOT NULL,
        causation_id uuid NOT NULL,
        payload text NOT NULL,
        prev_hash bytea NOT NULL,
        hash bytea NOT NULL,
        UNIQUE (stream_id, stream_version)
    );
    CREATE TABLE idempotency (
        key text PRIMARY KEY,
        fingerprint bytea NULL,
        outcome jsonb NOT NULL
    );",
)];

/// Counters of the writer, for benchmarks and metrics.
#[derive(Debug, Default)]
pub struct PgWriterStats {
    /// Group commits that wrote something (one PostgreSQL commit each).
    pub n_batches: AtomicU64,
    /// Records written.
    pub n_records: AtomicU64,
    /// Time spent in batch transactions, commit included, in nanoseconds.
    pub commit_nanos: AtomicU64,
    /// Of `commit_nanos`, the first round trip: `BEGIN`, the sequencing
    /// lock (its wait included) and the tip (span `pg.begin_lock_tip`).
    pub begin_nanos: AtomicU64,
    /// Of `commit_nanos`, the second round trip: stream heads and stored
    /// idempotency keys (span `pg.heads_keys`).
    pub read_nanos: AtomicU64,
    /// Of `commit_nanos`, the last round trip: rows, keys, notification
    /// and `COMMIT` with its WAL flush (span `pg.write_commit`).
    pub write_nanos: AtomicU64,
}

impl PgWriterStats {
    fn add(counter: &AtomicU64, since: std::time::Instant) {
        counter.fetch_add(
            u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }
}

/// The PostgreSQL-backed [`Store`]. Cheap to clone; the writer and the
/// listener stop when the last clone is dropped.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    schema: String,
    requests: Mutex<Option<mpsc::Sender<WriteJob>>>,
    head: watch::Receiver<LogHead>,
    head_sender: Arc<watch::Sender<LogHead>>,
    /// One registration-lock holder (and so one pooled connection waiting
    /// for the advisory lock) at a time in this process.
    registrations: Arc<tokio::sync::Mutex<()>>,
    /// Whether the LISTEN connection is up (for metrics).
    listening: Arc<AtomicBool>,
    listener: Option<JoinHandle<()>>,
    stats: Arc<PgWriterStats>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(mut sender) = self.requests.lock() {
            sender.take();
        }
        if let Some(listener) = &self.listener {
            listener.abort();
        }
    }
}

struct WriteJob {
    request: AppendRequest,
    reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

fn pg_error(error: impl std::fmt::Display) -> StoreError {
    StoreError::Postgres(error.to_string())
}

fn db_error(error: tokio_postgres::Error) -> StoreError {
    match error.as_db_error() {
        Some(db) => {
            let text = format!("{error}: {db}");
            if unreachable_sqlstate(db.code().code()) {
                StoreError::PostgresUnreachable(text)
            } else {
                StoreError::Postgres(text)
            }
        }
        // No answer from the server: the connection closed or failed.
        None if error.is_closed()
            || std::error::Error::source(&error)
                .is_some_and(|source| source.is::<std::io::Error>()) =>
        {
            StoreError::PostgresUnreachable(error.to_string())
        }
        None => StoreError::Postgres(error.to_string()),
    }
}

/// Whether SQLSTATE `code` says the server could not be reached or
/// could not serve for now: connection exceptions (class 08),
/// insufficient resources (53: too many connections, out of memory or
/// disk) and the server shutting down or starting (57P).
fn unreachable_sqlstate(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("53") || code.starts_with("57P")
}

/// No connection from the pool (in time, or at all).
fn unreachable(error: impl std::fmt::Display) -> StoreError {
    StoreError::PostgresUnreachable(error.to_string())
}

/// Whether `name` is a plain SQL identifier (no quoting surprises).
fn valid_schema_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(first) if first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63
}

/// FNV-1a, to derive a stable advisory-lock key from a schema name.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The advisory lock key that serialises sequencing of the log in `schema`.
pub fn sequencing_lock_key(schema: &str) -> i64 {
    i64::from_be_bytes(fnv1a(format!("salesledger-sequencer:{schema}").as_bytes()).to_be_bytes())
}

/// The advisory lock key of the registration lock of the log in `schema`
/// ([`Store::registration_lock`]).
pub fn registration_lock_key(schema: &str) -> i64 {
    i64::from_be_bytes(
        fnv1a(format!("salesledger-registrations:{schema}").as_bytes()).to_be_bytes(),
    )
}

fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::InvalidAppend(format!("{what} out of range")))
}

#[derive(Clone, Copy, Debug)]
struct Tip {
    next_position: u64,
    last_hash: Hash32,
    last_recorded_at: Option<DateTime<Utc>>,
}

impl Tip {
    const EMPTY: Tip = Tip {
        next_position: 0,
        last_hash: Hash32::ZERO,
        last_recorded_at: None,
    };

    fn head(&self) -> LogHead {
        LogHead {
            len: self.next_position,
            last_hash: self.last_hash,
        }
    }
}

fn hash_from(bytes: &[u8], position: u64) -> Result<Hash32, StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map(Hash32)
        .map_err(|_| StoreError::CorruptRecord {
            position,
            reason: "hash is not 32 bytes".into(),
        })
}

fn micros_to_time(micros: i64, position: u64) -> Result<DateTime<Utc>, StoreError> {
    Utc.timestamp_micros(micros)
        .single()
        .ok_or_else(|| StoreError::CorruptRecord {
            position,
            reason: "recorded_at out of range".into(),
        })
}

fn tip_from_row(row: Option<Row>) -> Result<Tip, StoreError> {
    let Some(row) = row else {
        return Ok(Tip::EMPTY);
    };
    let position: i64 = row.try_get(0).map_err(db_error)?;
    let position = u64::try_from(position).map_err(|_| StoreError::CorruptRecord {
        position: 0,
        reason: "negative position".into(),
    })?;
    let hash: Vec<u8> = row.try_get(1).map_err(db_error)?;
    let micros: i64 = row.try_get(2).map_err(db_error)?;
    Ok(Tip {
        next_position: position + 1,
        last_hash: hash_from(&hash, position)?,
        last_recorded_at: Some(micros_to_time(micros, position)?),
    })
}

fn record_from_row(row: &Row) -> Result<RecordedEvent, StoreError> {
    let position: i64 = row.try_get(0).map_err(db_error)?;
    let position = u64::try_from(position).map_err(|_| StoreError::CorruptRecord {
        position: 0,
        reason: "negative position".into(),
    })?;
    let corrupt = |reason: String| StoreError::CorruptRecord { position, reason };
    let get_err = |error: tokio_postgres::Error| corrupt(error.to_string());
    let stream_version: i64 = row.try_get(3).map_err(get_err)?;
    let schema_version: i32 = row.try_get(5).map_err(get_err)?;
    let micros: i64 = row.try_get(6).map_err(get_err)?;
    let payload: String = row.try_get(11).map_err(get_err)?;
    let prev_hash: Vec<u8> = row.try_get(12).map_err(get_err)?;
    let hash: Vec<u8> = row.try_get(13).map_err(get_err)?;
    Ok(RecordedEvent {
        position,
        event_id: row.try_get(1).map_err(get_err)?,
        stream_id: row.try_get(2).map_err(get_err)?,
        stream_version: u64::try_from(stream_version)
            .map_err(|_| corrupt("negative stream version".into()))?,
        event_type: row.try_get(4).map_err(get_err)?,
        schema_version: u32::from_be_bytes(schema_version.to_be_bytes()),
        recorded_at: micros_to_time(micros, position)?,
        actor: row.try_get(7).map_err(get_err)?,
        command_id: row.try_get(8).map_err(get_err)?,
        correlation_id: row.try_get(9).map_err(get_err)?,
        causation_id: row.try_get(10).map_err(get_err)?,
        payload: CanonicalJson::from_stored(payload)
            .map_err(|error| corrupt(format!("payload is not JSON: {error}")))?,
        prev_hash: hash_from(&prev_hash, position)?,
        hash: hash_from(&hash, position)?,
    })
}

/// Moves the head forward (never back).
fn advance(head: &watch::Sender<LogHead>, new: LogHead) {
    head.send_if_modified(|current| {
        if new.len > current.len {
            *current = new;
            true
        } else {
            false
        }
    });
}

impl PgStore {
    /// Connects to `url` (a libpq-style URL or key=value string), with the
    /// log in `schema` (created if missing) or, without one, in the
    /// connection's current schema; runs pending migrations and starts the
    /// writer and the NOTIFY listener. Must be called within a tokio runtime.
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<PgStore, StoreError> {
        PgStore::connect_with(url, schema, DEFAULT_POOL_SIZE).await
    }

    pub async fn connect_with(
        url: &str,
        schema: Option<&str>,
        pool_size: usize,
    ) -> Result<PgStore, StoreError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(db_error)?;
        if let Some(schema) = schema {
            if !valid_schema_name(schema) {
                return Err(StoreError::Postgres(format!(
                    "invalid schema name {schema:?}: letters, digits and _ only"
                )));
            }
            let options = match config.get_options() {
                Some(existing) if !existing.is_empty() => {
                    format!("{existing} -c search_path={schema}")
                }
                _ => format!("-c search_path={schema}"),
            };
            config.options(options);
        }
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(2))
            .build()
            .map_err(pg_error)?;

        let schema = migrate(&pool, schema).await?;
        let tip = {
            let client = pool.get().await.map_err(unreachable)?;
            tip_from_row(client.query_opt(TIP_SQL, &[]).await.map_err(db_error)?)?
        };
        let (head_sender, head) = watch::channel(tip.head());
        let head_sender = Arc::new(head_sender);
        let stats = Arc::new(PgWriterStats::default());
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let writer = Writer {
            pool: pool.clone(),
            lock_key: sequencing_lock_key(&schema),
            schema: schema.clone(),
            head: head_sender.clone(),
            stats: stats.clone(),
        };
        tokio::spawn(writer.run(receiver));
        let listening = Arc::new(AtomicBool::new(false));
        let listener = tokio::spawn(listen(
            config,
            schema.clone(),
            head_sender.clone(),
            listening.clone(),
        ));
        tracing::info!(%schema, len = tip.next_position, "opened PostgreSQL event log");
        Ok(PgStore {
            inner: Arc::new(Inner {
                pool,
                schema,
                requests: Mutex::new(Some(sender)),
                head,
                head_sender,
                registrations: Arc::new(tokio::sync::Mutex::new(())),
                listening,
                listener: Some(listener),
                stats,
            }),
        })
    }

    /// The schema holding this log.
    pub fn schema(&self) -> &str {
        &self.inner.schema
    }

    pub fn stats(&self) -> &PgWriterStats {
        &self.inner.stats
    }

    /// The connection pool (for tools, tests and metrics).
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// Whether the LISTEN connection (other processes' appends) is up now.
    pub fn listener_connected(&self) -> bool {
        self.inner.listening.load(Ordering::Relaxed)
    }

    /// Stops accepting appends; queued ones are still answered.
    pub fn close(&self) {
        if let Ok(mut sender) = self.inner.requests.lock() {
            sender.take();
        }
    }

    fn sender(&self) -> Result<mpsc::Sender<WriteJob>, StoreError> {
        self.inner
            .requests
            .lock()
            .map_err(|_| StoreError::Closed)?
            .clone()
            .ok_or(StoreError::Closed)
    }

    fn end(&self) -> Result<i64, StoreError> {
        to_i64(self.inner.head.borrow().len, "head")
    }
}

/// A transaction at READ COMMITTED whatever the server's default: each
/// statement after an advisory lock sees what was committed before the
/// lock was granted (a snapshot taken at the lock's statement, as under
/// REPEATABLE READ, would read a stale tip).
async fn read_committed(
    client: &mut deadpool_postgres::Object,
) -> Result<deadpool_postgres::Transaction<'_>, StoreError> {
    client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::ReadCommitted)
        .start()
        .await
        .map_err(db_error)
}

/// Creates the schema if asked, runs pending migrations; returns the
/// schema's name.
async fn migrate(pool: &Pool, schema: Option<&str>) -> Result<String, StoreError> {
    let mut client = pool.get().await.map_err(unreachable)?;
    let tx = read_committed(&mut client).await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK_KEY])
        .await
        .map_err(db_error)?;
    if let Some(schema) = schema {
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
            .await
            .map_err(db_error)?;
    }
    let current: Option<String> = tx
        .query_one("SELECT current_schema()", &[])
        .await
        .map_err(db_error)?
        .try_get(0)
        .map_err(db_error)?;
    let Some(current) = current else {
        return Err(StoreError::Postgres(
            "no current schema: the search_path names no existing schema".into(),
        ));
    };
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS salesledger_migrations (
            version int PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(db_error)?;
    let applied: Vec<i32> = tx
        .query("SELECT version FROM salesledger_migrations", &[])
        .await
        .map_err(db_error)?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(db_error)?;
    let newest_known = MIGRATIONS.last().map_or(0, |(version, _)| *version);
    if let Some(newer) = applied.iter().find(|version| **version > newest_known) {
        return Err(StoreError::UnsupportedFormat(format!(
            "schema {current} has migration {newer}; this build knows up to {newest_known}"
        )));
    }
    for (version, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        tx.batch_execute(sql).await.map_err(db_error)?;
        tx.execute(
            "INSERT INTO salesledger_migrations (version, applied_at) VALUES ($1, now())",
            &[version],
        )
        .await
        .map_err(db_error)?;
        tracing::info!(schema = %current, version, "applied migration");
    }
    tx.commit().await.map_err(db_error)?;
    Ok(current)
}

/// Keeps a `LISTEN` connection open (reconnecting as needed) and moves the
/// head on every notification for this schema; refreshes the head from
/// the table on every (re)connect.
async fn listen(
    mut config: tokio_postgres::Config,
    schema: String,
    head: Arc<watch::Sender<LogHead>>,
    listening_flag: Arc<AtomicBool>,
) {
    config.application_name(listener_application_name(&schema));
    // A connection cut without a reset (a NAT's idle timeout, a failover
    // behind a virtual address) is found by TCP keepalives within a
    // minute or so rather than the OS default of two hours, and by the
    // head poll below.
    config
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30))
        .keepalives_interval(Duration::from_secs(10))
        .keepalives_retries(3);
    loop {
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                let (notifications, mut received) = mpsc::unbounded_channel::<String>();
                let driver = tokio::spawn(async move {
                    loop {
                        match poll_fn(|cx| connection.poll_message(cx)).await {
                            Some(Ok(AsyncMessage::Notification(notification))) => {
                                if notifications
                                    .send(notification.payload().to_owned())
                                    .is_err()
                                {
                                    break;
                                }
                            }
                            Some(Ok(_)) => {}
                            Some(Err(error)) => {
                                tracing::warn!(%error, "LISTEN connection failed");
                                break;
                            }
                            None => break,
                        }
                    }
                });
                let listening = async {
                    client
                        .batch_execute(&format!("LISTEN {NOTIFY_CHANNEL}"))
                        .await
                        .map_err(db_error)?;
                    let tip =
                        tip_from_row(client.query_opt(TIP_SQL, &[]).await.map_err(db_error)?)?;
                    advance(&head, tip.head());
                    Ok::<(), StoreError>(())
                }
                .await;
                match listening {
                    Ok(()) => {
                        listening_flag.store(true, Ordering::Relaxed);
                        // The head also moves by a read of the table every
                        // HEAD_POLL: a lost notification, or a connection
                        // that died silently (the read times out), costs
                        // at most that long, never the keepalive's wait.
                        let mut poll = tokio::time::interval(HEAD_POLL);
                        poll.tick().await;
                        loop {
                            tokio::select! {
                                payload = received.recv() => {
                                    let Some(payload) = payload else { break };
                                    if let Some(new) = parse_notification(&payload, &schema) {
                                        advance(&head, new);
                                    }
                                }
                                _ = poll.tick() => {
                                    let read = tokio::time::timeout(
                                        HEAD_POLL,
                                        client.query_opt(TIP_SQL, &[]),
                                    )
                                    .await;
                                    match read {
                                        Ok(Ok(row)) => match tip_from_row(row) {
                                            Ok(tip) => advance(&head, tip.head()),
                                            Err(error) => {
                                                tracing::warn!(%error, "reading the log's head");
                                            }
                                        },
                                        Ok(Err(error)) => {
                                            tracing::warn!(error = %db_error(error), "LISTEN connection failed a head read");
                                            break;
                                        }
                                        Err(_) => {
                                            tracing::warn!("LISTEN connection did not answer a head read");
                                            break;
                                        }
                                    }
                                }
                            }
                        }
                        listening_flag.store(false, Ordering::Relaxed);
                        tracing::warn!("LISTEN connection closed; reconnecting");
                    }
                    Err(error) => tracing::warn!(%error, "LISTEN failed; reconnecting"),
                }
                driver.abort();
            }
            Err(error) => tracing::warn!(error = %db_error(error), "LISTEN connect failed"),
        }
        tokio::time::sleep(LISTEN_RETRY).await;
    }
}

/// How often the listener reads the log's head from the table besides
/// the notifications (and how long it waits for that read).
const HEAD_POLL: Duration = Duration::from_secs(5);

/// The `application_name` of the LISTEN connection of a store on `schema`
/// (visible in `pg_stat_activity`).
pub fn listener_application_name(schema: &str) -> String {
    format!("salesledger-listener-{schema}")
}

fn notification_payload(schema: &str, head: LogHead) -> String {
    format!("{schema} {} {}", head.len, head.last_hash)
}

fn parse_notification(payload: &str, schema: &str) -> Option<LogHead> {
    let mut parts = payload.rsplitn(3, ' ');
    let hash = Hash32::parse_hex(parts.next()?)?;
    let len = parts.next()?.parse().ok()?;
    (parts.next()? == schema).then_some(LogHead {
        len,
        last_hash: hash,
    })
}

#[async_trait]
impl Store for PgStore {
    #[tracing::instrument(skip(self, request), fields(stream_id = %request.stream_id, n_events = request.events.len()))]
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        request.validate()?;
        let (reply, answer) = oneshot::channel();
        self.sender()?
            .send(WriteJob { request, reply })
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
        let end = self.end()?;
        let Ok(from_version) = i64::try_from(from_version) else {
            return Ok(Vec::new());
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.inner.pool.get().await.map_err(unreachable)?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM events WHERE stream_id = $1 AND stream_version >= $2 \
                 AND position < $3 ORDER BY stream_version LIMIT $4"
            ))
            .await
            .map_err(db_error)?;
        let rows = client
            .query(&statement, &[&stream_id, &from_version, &end, &limit])
            .await
            .map_err(db_error)?;
        rows.iter().map(record_from_row).collect()
    }

    async fn read_all(
        &self,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let end = self.end()?;
        let Ok(from_position) = i64::try_from(from_position) else {
            return Ok(Vec::new());
        };
        if from_position >= end || limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.inner.pool.get().await.map_err(unreachable)?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM events WHERE position >= $1 AND position < $2 \
                 ORDER BY position LIMIT $3"
            ))
            .await
            .map_err(db_error)?;
        let rows = client
            .query(&statement, &[&from_position, &end, &limit])
            .await
            .map_err(db_error)?;
        rows.iter().map(record_from_row).collect()
    }

    async fn read_positions(&self, positions: &[u64]) -> Result<Vec<RecordedEvent>, StoreError> {
        let end = self.end()?;
        let wanted: Vec<i64> = positions
            .iter()
            .filter_map(|position| i64::try_from(*position).ok())
            .filter(|position| *position < end)
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.inner.pool.get().await.map_err(unreachable)?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM events WHERE position = ANY($1) AND position < $2"
            ))
            .await
            .map_err(db_error)?;
        let rows = client
            .query(&statement, &[&wanted, &end])
            .await
            .map_err(db_error)?;
        let mut by_position = std::collections::BTreeMap::new();
        for row in &rows {
            let record = record_from_row(row)?;
            by_position.insert(record.position, record);
        }
        // In the order given (a position asked twice comes twice).
        Ok(wanted
            .iter()
            .filter_map(|position| {
                u64::try_from(*position)
                    .ok()
                    .and_then(|position| by_position.get(&position).cloned())
            })
            .collect())
    }

    async fn stream_version(&self, stream_id: &str) -> Result<Option<u64>, StoreError> {
        let end = self.end()?;
        let client = self.inner.pool.get().await.map_err(unreachable)?;
        let statement = client
            .prepare_cached(
                "SELECT stream_version FROM events WHERE stream_id = $1 AND position < $2 \
                 ORDER BY stream_version DESC LIMIT 1",
            )
            .await
            .map_err(db_error)?;
        let version: Option<i64> = client
            .query_opt(&statement, &[&stream_id, &end])
            .await
            .map_err(db_error)?
            .map(|row| row.try_get(0))
            .transpose()
            .map_err(db_error)?;
        Ok(version.and_then(|version| u64::try_from(version).ok()))
    }

    async fn idempotent_outcome(&self, key: &str) -> Result<Option<StoredOutcome>, StoreError> {
        let end = self.inner.head.borrow().len;
        let client = self.inner.pool.get().await.map_err(unreachable)?;
        let statement = client
            .prepare_cached(
                "SELECT key, fingerprint, outcome::text FROM idempotency WHERE key = $1",
            )
            .await
            .map_err(db_error)?;
        let Some(row) = client
            .query_opt(&statement, &[&key])
            .await
            .map_err(db_error)?
        else {
            return Ok(None);
        };
        let (_, stored) = stored_outcome_from_row(&row)?;
        // An entry beyond the head this process knows is not an outcome
        // yet (rows are visible only once committed, hence durable).
        Ok(Some(stored).filter(|stored| stored.outcome.within(end)))
    }

    fn head(&self) -> LogHead {
        *self.inner.head.borrow()
    }

    fn watch_head(&self) -> watch::Receiver<LogHead> {
        self.inner.head.clone()
    }

    /// A session-level `pg_advisory_lock` on a pooled connection (one per
    /// process at a time: the others wait in process, not on the pool),
    /// then the head is refreshed from the table: whoever held the lock
    /// before released it only after its append committed, so the caller
    /// sees that append even before its NOTIFY arrives.
    async fn registration_lock(&self) -> Result<RegistrationLock, StoreError> {
        let turn = self.inner.registrations.clone().lock_owned().await;
        let client = self.inner.pool.get().await.map_err(unreachable)?;
        let key = registration_lock_key(&self.inner.schema);
        // While the lock is asked for, dropping the guard (the caller gone,
        // or the request failed) closes the connection rather than pooling
        // it: its session may still be waiting, and would otherwise hold
        // the lock, idle in the pool, once it is granted.
        let mut guard = PgRegistrationGuard {
            asking: Some(client),
            held: None,
            key,
        };
        if let Some(client) = &guard.asking {
            client
                .execute("SELECT pg_advisory_lock($1)", &[&key])
                .await
                .map_err(db_error)?;
        }
        // From here on, dropping the guard unlocks.
        guard.held = guard.asking.take().map(|client| (client, turn));
        if let Some((client, _)) = &guard.held {
            let statement = client.prepare_cached(TIP_SQL).await.map_err(db_error)?;
            let tip = tip_from_row(client.query_opt(&statement, &[]).await.map_err(db_error)?)?;
            advance(&self.inner.head_sender, tip.head());
        }
        Ok(RegistrationLock::new(guard))
    }

    /// One transaction under the sequencing lock: read the tip and the
    /// streams' heads, [`check_import`], insert the rows as they are,
    /// notify, commit.
    async fn import(&self, records: Vec<RecordedEvent>) -> Result<LogHead, StoreError> {
        if records.is_empty() {
            return Ok(self.head());
        }
        let mut client = self.inner.pool.get().await.map_err(unreachable)?;
        let tx = read_committed(&mut client).await?;
        tx.batch_execute(&format!(
            "SET LOCAL synchronous_commit TO on; SELECT pg_advisory_xact_lock({})",
            sequencing_lock_key(&self.inner.schema)
        ))
        .await
        .map_err(db_error)?;
        let tip_statement = tx.prepare_cached(TIP_SQL).await.map_err(db_error)?;
        let tip = tip_from_row(tx.query_opt(&tip_statement, &[]).await.map_err(db_error)?)?;
        advance(&self.inner.head_sender, tip.head());
        let mut stream_ids: Vec<&str> = records.iter().map(|r| r.stream_id.as_str()).collect();
        stream_ids.sort_unstable();
        stream_ids.dedup();
        let stream_heads = read_stream_heads(&tx, &stream_ids).await?;
        let new_head = check_import(
            &records,
            ImportTip {
                head: tip.head(),
                last_recorded_at: tip.last_recorded_at,
            },
            |stream_id| Ok(stream_heads.get(stream_id).copied().flatten()),
        )?;
        let mut columns = Columns::default();
        for record in &records {
            columns.push(record)?;
        }
        insert_events(&tx, &columns).await?;
        let notify = tx
            .prepare_cached("SELECT pg_notify($1, $2)")
            .await
            .map_err(db_error)?;
        tx.execute(
            &notify,
            &[
                &NOTIFY_CHANNEL,
                &notification_payload(&self.inner.schema, new_head),
            ],
        )
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        advance(&self.inner.head_sender, new_head);
        Ok(new_head)
    }
}

fn stored_outcome_from_row(row: &Row) -> Result<(String, StoredOutcome), StoreError> {
    let key: String = row.try_get(0).map_err(db_error)?;
    let corrupt = |reason: String| StoreError::CorruptRecord {
        position: 0,
        reason: format!("idempotency entry {key:?}: {reason}"),
    };
    let fingerprint: Option<Vec<u8>> = row.try_get(1).map_err(db_error)?;
    let fingerprint = fingerprint
        .map(|bytes| {
            <[u8; 32]>::try_from(bytes.as_slice())
                .map(Hash32)
                .map_err(|_| corrupt("fingerprint is not 32 bytes".into()))
        })
        .transpose()?;
    let outcome: String = row.try_get(2).map_err(db_error)?;
    let outcome: AppendOutcome =
        serde_json::from_str(&outcome).map_err(|error| corrupt(error.to_string()))?;
    Ok((
        key,
        StoredOutcome {
            fingerprint,
            outcome,
        },
    ))
}

struct Writer {
    pool: Pool,
    lock_key: i64,
    schema: String,
    head: Arc<watch::Sender<LogHead>>,
    stats: Arc<PgWriterStats>,
}

/// What one request of a batch turned into.
enum Answer {
    Done(Result<AppendOutcome, StoreError>),
    /// Same idempotency key as the earlier request at this index.
    SameAs(usize),
}

/// The rows of one batch, column by column, for one `unnest` insert.
#[derive(Default)]
struct Columns {
    position: Vec<i64>,
    event_id: Vec<Uuid>,
    stream_id: Vec<String>,
    stream_version: Vec<i64>,
    event_type: Vec<String>,
    schema_version: Vec<i32>,
    recorded_at_micros: Vec<i64>,
    actor: Vec<String>,
    command_id: Vec<Uuid>,
    correlation_id: Vec<Uuid>,
    causation_id: Vec<Uuid>,
    payload: Vec<String>,
    prev_hash: Vec<Vec<u8>>,
    hash: Vec<Vec<u8>>,
}

impl Columns {
    /// The statement parameters of [`INSERT_EVENTS_SQL`], in order.
    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 14] {
        [
            &self.position,
            &self.event_id,
            &self.stream_id,
            &self.stream_version,
            &self.event_type,
            &self.schema_version,
            &self.recorded_at_micros,
            &self.actor,
            &self.command_id,
            &self.correlation_id,
            &self.causation_id,
            &self.payload,
            &self.prev_hash,
            &self.hash,
        ]
    }

    fn push(&mut self, record: &RecordedEvent) -> Result<(), StoreError> {
        self.position.push(to_i64(record.position, "position")?);
        self.event_id.push(record.event_id);
        self.stream_id.push(record.stream_id.clone());
        self.stream_version
            .push(to_i64(record.stream_version, "stream version")?);
        self.event_type.push(record.event_type.clone());
        self.schema_version
            .push(i32::from_be_bytes(record.schema_version.to_be_bytes()));
        self.recorded_at_micros
            .push(record.recorded_at.timestamp_micros());
        self.actor.push(record.actor.clone());
        self.command_id.push(record.command_id);
        self.correlation_id.push(record.correlation_id);
        self.causation_id.push(record.causation_id);
        self.payload.push(record.payload.as_str().to_owned());
        self.prev_hash.push(record.prev_hash.0.to_vec());
        self.hash.push(record.hash.0.to_vec());
        Ok(())
    }
}

/// A batch's answers, the tip after it, its records and whether it wrote
/// (and committed) anything.
type BatchWritten = (Vec<Answer>, Tip, u64, bool);

/// What a batch transaction staged.
struct Staged {
    answers: Vec<Answer>,
    columns: Columns,
    keys: Vec<String>,
    fingerprints: Vec<Option<Vec<u8>>>,
    outcomes: Vec<String>,
}

impl Writer {
    async fn run(self, mut receiver: mpsc::Receiver<WriteJob>) {
        while let Some(first) = receiver.recv().await {
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH_REQUESTS {
                match receiver.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            self.commit_batch(jobs).await;
        }
        tracing::debug!(schema = %self.schema, "PostgreSQL log writer stopped");
    }

    async fn commit_batch(&self, jobs: Vec<WriteJob>) {
        let (requests, replies): (Vec<AppendRequest>, Vec<_>) =
            jobs.into_iter().map(|job| (job.request, job.reply)).unzip();
        let started = std::time::Instant::now();
        match self.write_batch(&requests).await {
            Ok((answers, tip, n_records, wrote)) => {
                if wrote {
                    self.stats.n_batches.fetch_add(1, Ordering::Relaxed);
                    self.stats.n_records.fetch_add(n_records, Ordering::Relaxed);
                    self.stats.commit_nanos.fetch_add(
                        u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX),
                        Ordering::Relaxed,
                    );
                }
                advance(&self.head, tip.head());
                let outcomes: Vec<Option<AppendOutcome>> = answers
                    .iter()
                    .map(|answer| match answer {
                        Answer::Done(Ok(outcome)) => Some(outcome.clone()),
                        _ => None,
                    })
                    .collect();
                for (reply, answer) in replies.into_iter().zip(answers) {
                    let answer = match answer {
                        Answer::Done(result) => result,
                        Answer::SameAs(idx) => outcomes
                            .get(idx)
                            .cloned()
                            .flatten()
                            .map(|outcome| AppendOutcome {
                                replayed: true,
                                ..outcome
                            })
                            .ok_or(StoreError::Closed),
                    };
                    let _ = reply.send(answer);
                }
            }
            Err(error) => {
                tracing::error!(%error, "group commit failed; its appends may or may not have committed");
                let message = match &error {
                    StoreError::Postgres(message) => message.clone(),
                    other => other.to_string(),
                };
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Postgres(message.clone())));
                }
            }
        }
    }

    /// One transaction in three round trips, each a pipeline of
    /// statements sent back to back on the connection (tokio-postgres
    /// sends requests in the order their futures are first polled):
    /// 1. `BEGIN`, `SET LOCAL synchronous_commit`, the sequencing lock and
    ///    the tip (read once the lock is held);
    /// 2. the batch's stream heads and idempotency keys;
    /// 3. the rows, the new keys, the notification and `COMMIT`.
    ///
    /// If a statement of the last pipeline fails, PostgreSQL answers the
    /// `COMMIT` that follows it with a rollback, and the error is reported;
    /// the caller's appends are acknowledged only after `COMMIT` succeeded.
    /// After any failure the transaction is rolled back, and a connection
    /// that cannot roll back is taken out of the pool.
    async fn write_batch(&self, requests: &[AppendRequest]) -> Result<BatchWritten, StoreError> {
        let client = self.pool.get().await.map_err(unreachable)?;
        let result = self.write_batch_on(&client, requests).await;
        let must_roll_back = match &result {
            Ok((_, _, _, wrote)) => !*wrote,
            Err(_) => true,
        };
        if must_roll_back && client.batch_execute("ROLLBACK").await.is_err() {
            drop(deadpool_postgres::Object::take(client));
        }
        result
    }

    /// [`Self::write_batch`] on one connection; leaves the transaction
    /// open when it fails or has nothing to write.
    async fn write_batch_on(
        &self,
        client: &deadpool_postgres::Object,
        requests: &[AppendRequest],
    ) -> Result<BatchWritten, StoreError> {
        let tip_statement = client.prepare_cached(TIP_SQL).await.map_err(db_error)?;
        let heads_statement = client
            .prepare_cached(STREAM_HEADS_SQL)
            .await
            .map_err(db_error)?;
        let keys_statement = client
            .prepare_cached(
                "SELECT key, fingerprint, outcome::text FROM idempotency WHERE key = ANY($1)",
            )
            .await
            .map_err(db_error)?;
        let insert_statement = client
            .prepare_cached(INSERT_EVENTS_SQL)
            .await
            .map_err(db_error)?;
        let insert_keys_statement = client
            .prepare_cached(
                "INSERT INTO idempotency (key, fingerprint, outcome) \
                 SELECT k, f, o::jsonb FROM unnest($1::text[], $2::bytea[], $3::text[]) \
                 AS t(k, f, o)",
            )
            .await
            .map_err(db_error)?;
        let notify_statement = client
            .prepare_cached("SELECT pg_notify($1, $2)")
            .await
            .map_err(db_error)?;

        // 1. Begin, lock, tip.
        let begin = format!(
            "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit TO on; \
             SELECT pg_advisory_xact_lock({})",
            self.lock_key
        );
        let phase = std::time::Instant::now();
        let tip_row = async {
            // In statement order: a failed BEGIN, not the statement the
            // server then refused because of it (see the commit below).
            let (begun, tip) = tokio::join!(
                client.batch_execute(&begin),
                client.query_opt(&tip_statement, &[])
            );
            begun?;
            tip
        }
        .instrument(tracing::debug_span!("pg.begin_lock_tip"))
        .await
        .map_err(db_error)?;
        PgWriterStats::add(&self.stats.begin_nanos, phase);
        let tip = tip_from_row(tip_row)?;
        // Everything up to the tip is committed (we hold the lock): a
        // process that writes catches up on other processes' records.
        advance(&self.head, tip.head());

        // 2. Stream heads and stored idempotency keys.
        let mut stream_ids: Vec<&str> = requests.iter().map(|r| r.stream_id.as_str()).collect();
        stream_ids.sort_unstable();
        stream_ids.dedup();
        let mut keys: Vec<&str> = requests
            .iter()
            .filter_map(|r| r.idempotency.as_ref().map(|i| i.key.as_str()))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let heads_params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&stream_ids];
        let phase = std::time::Instant::now();
        let (head_rows, key_rows) = async {
            tokio::try_join!(client.query(&heads_statement, &heads_params), async {
                if keys.is_empty() {
                    Ok(Vec::new())
                } else {
                    client.query(&keys_statement, &[&keys]).await
                }
            })
        }
        .instrument(tracing::debug_span!(
            "pg.heads_keys",
            n_streams = stream_ids.len(),
            n_keys = keys.len()
        ))
        .await
        .map_err(db_error)?;
        PgWriterStats::add(&self.stats.read_nanos, phase);
        let mut stream_heads = stream_heads_from_rows(&head_rows)?;
        let mut stored_keys: HashMap<String, StoredOutcome> = HashMap::new();
        for row in &key_rows {
            let (key, stored) = stored_outcome_from_row(row)?;
            stored_keys.insert(key, stored);
        }

        let mut new_tip = tip;
        let staged = stage_batch(requests, &mut new_tip, &mut stream_heads, &stored_keys)?;
        let n_records = staged.columns.position.len() as u64;
        if n_records == 0 && staged.keys.is_empty() {
            return Ok((staged.answers, tip, 0, false));
        }

        // 3. Rows, keys, notification, commit (keys of appends without
        // events only: keys and commit).
        let columns = &staged.columns;
        let notification = notification_payload(&self.schema, new_tip.head());
        let insert_params = columns.params();
        let notify_params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] =
            [&NOTIFY_CHANNEL, &notification];
        let phase = std::time::Instant::now();
        // Every reply is awaited and the first error in statement order is
        // the one reported: after a failed statement the server answers the
        // later ones "current transaction is aborted", and `try_join!`
        // (which polls from a rotating start) could report one of those
        // instead of the cause.
        async {
            let (rows, keys, notify, commit) = tokio::join!(
                async {
                    if n_records == 0 {
                        Ok(0)
                    } else {
                        client.execute(&insert_statement, &insert_params).await
                    }
                },
                async {
                    if staged.keys.is_empty() {
                        Ok(0)
                    } else {
                        client
                            .execute(
                                &insert_keys_statement,
                                &[&staged.keys, &staged.fingerprints, &staged.outcomes],
                            )
                            .await
                    }
                },
                async {
                    if n_records == 0 {
                        Ok(0)
                    } else {
                        client.execute(&notify_statement, &notify_params).await
                    }
                },
                client.batch_execute("COMMIT"),
            );
            rows?;
            keys?;
            notify?;
            commit
        }
        .instrument(tracing::debug_span!("pg.write_commit", n_records))
        .await
        .map_err(db_error)?;
        PgWriterStats::add(&self.stats.write_nanos, phase);
        Ok((staged.answers, new_tip, n_records, true))
    }
}

/// Inserts a batch's rows with one `unnest` statement.
async fn insert_events(
    tx: &deadpool_postgres::Transaction<'_>,
    columns: &Columns,
) -> Result<(), StoreError> {
    let statement = tx
        .prepare_cached(INSERT_EVENTS_SQL)
        .await
        .map_err(db_error)?;
    tx.execute(&statement, &columns.params())
        .await
        .map_err(db_error)?;
    Ok(())
}

/// The last version of each of `stream_ids` that has events.
async fn read_stream_heads(
    tx: &deadpool_postgres::Transaction<'_>,
    stream_ids: &[&str],
) -> Result<HashMap<String, Option<u64>>, StoreError> {
    let statement = tx
        .prepare_cached(STREAM_HEADS_SQL)
        .await
        .map_err(db_error)?;
    let rows = tx
        .query(&statement, &[&stream_ids])
        .await
        .map_err(db_error)?;
    stream_heads_from_rows(&rows)
}

/// Stream id -> last version, from rows of [`STREAM_HEADS_SQL`].
fn stream_heads_from_rows(rows: &[Row]) -> Result<HashMap<String, Option<u64>>, StoreError> {
    let mut stream_heads = HashMap::new();
    for row in rows {
        let stream_id: String = row.try_get(0).map_err(db_error)?;
        let version: Option<i64> = row.try_get(1).map_err(db_error)?;
        stream_heads.insert(
            stream_id,
            version.and_then(|version| u64::try_from(version).ok()),
        );
    }
    Ok(stream_heads)
}

/// A registration lock asked for or held: the pooled connection asking
/// for the session-level advisory lock, then holding it with this
/// process's turn. Dropping it while asking closes the connection; once
/// held, dropping it unlocks on a task, and a connection whose unlock
/// fails is closed instead of going back to the pool (closing a session
/// releases its locks, and ends a wait for one once the server next
/// speaks to it).
struct PgRegistrationGuard {
    asking: Option<deadpool_postgres::Object>,
    held: Option<(deadpool_postgres::Object, tokio::sync::OwnedMutexGuard<()>)>,
    key: i64,
}

impl Drop for PgRegistrationGuard {
    fn drop(&mut self) {
        if let Some(client) = self.asking.take() {
            drop(deadpool_postgres::Object::take(client));
        }
        let Some((client, turn)) = self.held.take() else {
            return;
        };
        let key = self.key;
        let release = async move {
            let unlocked = match client
                .query_one("SELECT pg_advisory_unlock($1)", &[&key])
                .await
            {
                Ok(row) => row.try_get::<_, bool>(0).unwrap_or(false),
                Err(error) => {
                    tracing::warn!(error = %db_error(error), "registration unlock failed");
                    false
                }
            };
            if !unlocked {
                // Never pool a connection that may still hold the lock.
                drop(deadpool_postgres::Object::take(client));
            }
            drop(turn);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(release);
            }
            Err(_) => {
                // No runtime left: the connection dies with it, and the
                // server releases the session's locks.
            }
        }
    }
}

/// Checks each request in order and builds the admitted requests' records,
/// exactly as the sled writer does.
fn stage_batch(
    requests: &[AppendRequest],
    tip: &mut Tip,
    stream_heads: &mut HashMap<String, Option<u64>>,
    stored_keys: &HashMap<String, StoredOutcome>,
) -> Result<Staged, StoreError> {
    let mut staged = Staged {
        answers: Vec::with_capacity(requests.len()),
        columns: Columns::default(),
        keys: Vec::new(),
        fingerprints: Vec::new(),
        outcomes: Vec::new(),
    };
    let mut batch_keys: HashMap<&str, (usize, Option<Hash32>)> = HashMap::new();
    for (request_idx, request) in requests.iter().enumerate() {
        if let Some(idempotency) = &request.idempotency {
            let same_request = |stored: Option<Hash32>| match (stored, idempotency.fingerprint) {
                (Some(stored), Some(current)) => stored == current,
                _ => true,
            };
            let reused = || {
                Answer::Done(Err(StoreError::IdempotencyKeyReused {
                    key: idempotency.key.clone(),
                }))
            };
            if let Some((idx, fingerprint)) = batch_keys.get(idempotency.key.as_str()) {
                staged.answers.push(if same_request(*fingerprint) {
                    Answer::SameAs(*idx)
                } else {
                    reused()
                });
                continue;
            }
            if let Some(stored) = stored_keys.get(&idempotency.key) {
                staged.answers.push(if same_request(stored.fingerprint) {
                    Answer::Done(Ok(AppendOutcome {
                        replayed: true,
                        ..stored.outcome.clone()
                    }))
                } else {
                    reused()
                });
                continue;
            }
        }

        let actual = stream_heads.get(&request.stream_id).copied().flatten();
        if !request.expected_version.admits(actual) {
            staged
                .answers
                .push(Answer::Done(Err(StoreError::WrongExpectedVersion {
                    stream_id: request.stream_id.clone(),
                    expected: request.expected_version,
                    actual,
                })));
            continue;
        }

        let recorded_at = next_recorded_at(tip.last_recorded_at);
        if request.events.is_empty() {
            // Admitted only with a key (`AppendRequest::validate`): the key
            // is recorded at the log's staged end, nothing else moves.
            let outcome = no_events_outcome(
                request,
                actual,
                tip.next_position,
                tip.last_hash,
                recorded_at,
            );
            if let Some(idempotency) = &request.idempotency {
                stage_key(&mut staged, idempotency, &outcome)?;
                batch_keys.insert(
                    idempotency.key.as_str(),
                    (request_idx, idempotency.fingerprint),
                );
            }
            staged.answers.push(Answer::Done(Ok(outcome)));
            continue;
        }
        let first_version = actual.map_or(0, |version| version + 1);
        let (records, outcome) = chain_records(
            request,
            tip.next_position,
            first_version,
            tip.last_hash,
            recorded_at,
        );
        for record in &records {
            staged.columns.push(record)?;
        }
        let (first_position, last_hash, n_events) = (
            outcome.first_position,
            outcome.last_hash,
            records.len() as u64,
        );
        if let Some(idempotency) = &request.idempotency {
            stage_key(&mut staged, idempotency, &outcome)?;
            batch_keys.insert(
                idempotency.key.as_str(),
                (request_idx, idempotency.fingerprint),
            );
        }
        *tip = Tip {
            next_position: first_position + n_events,
            last_hash,
            last_recorded_at: Some(recorded_at),
        };
        stream_heads.insert(request.stream_id.clone(), Some(outcome.last_version));
        staged.answers.push(Answer::Done(Ok(outcome)));
    }
    Ok(staged)
}

/// Stages the idempotency row of `outcome`.
fn stage_key(
    staged: &mut Staged,
    idempotency: &Idempotency,
    outcome: &AppendOutcome,
) -> Result<(), StoreError> {
    staged.keys.push(idempotency.key.clone());
    staged
        .fingerprints
        .push(idempotency.fingerprint.map(|hash| hash.0.to_vec()));
    staged.outcomes.push(
        serde_json::to_string(outcome)
            .map_err(|error| StoreError::InvalidAppend(format!("idempotency entry: {error}")))?,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_round_trips_and_filters_by_schema() {
        let head = LogHead {
            len: 42,
            last_hash: Hash32([7; 32]),
        };
        let payload = notification_payload("sl_a", head);
        assert_eq!(parse_notification(&payload, "sl_a"), Some(head));
        assert_eq!(parse_notification(&payload, "sl_b"), None);
        assert_eq!(parse_notification("garbage", "sl_a"), None);
    }

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert!(valid_schema_name("sl_test_0123abcd"));
        assert!(!valid_schema_name("bad\"name"));
        assert!(!valid_schema_name("1abc"));
        assert!(!valid_schema_name(""));
    }

    #[test]
    fn lock_keys_differ_by_schema() {
        assert_ne!(sequencing_lock_key("a"), sequencing_lock_key("b"));
        assert_eq!(sequencing_lock_key("a"), sequencing_lock_key("a"));
    }

    #[test]
    fn only_connection_resource_and_shutdown_states_are_for_now() {
        // Connection failure, too many connections, admin shutdown,
        // cannot connect now: for now.
        for code in ["08006", "08001", "53300", "53100", "57P01", "57P03"] {
            assert!(unreachable_sqlstate(code), "{code}");
        }
        // Undefined table, insufficient privilege, unique violation,
        // serialization failure, query canceled: refused.
        for code in ["42P01", "42501", "23505", "40001", "57014"] {
            assert!(!unreachable_sqlstate(code), "{code}");
        }
    }
}
