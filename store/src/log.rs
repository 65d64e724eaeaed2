//! The log as every backend presents it: the `Store` trait, and what is
//! built once on top of it: subscriptions and chain verification.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::error::StoreError;
use crate::record::{AppendOutcome, AppendRequest, Hash32, RecordedEvent};
pub use crate::rules::ChainBreak;

/// The committed end of the log: how many records are durable and
/// acknowledged, and the hash of the last one ([`Hash32::ZERO`] when empty).
/// Positions are gapless and start at 0, so the next record gets position
/// `len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHead {
    pub len: u64,
    pub last_hash: Hash32,
}

impl LogHead {
    pub const EMPTY: LogHead = LogHead {
        len: 0,
        last_hash: Hash32::ZERO,
    };
}

/// An append-only, hash-chained event log.
///
/// Contract shared by every backend (checked by `crate::conformance`,
/// feature `conformance`):
/// - `append` is atomic (all events of one request or none) and returns only
///   once its records are on stable storage;
/// - positions are gapless from 0 and totally ordered; stream versions are
///   gapless from 0 within each stream;
/// - readers only ever see acknowledged records: reads stop at [`LogHead::len`];
/// - a repeated idempotency key returns the first outcome and writes nothing;
/// - a keyed request without events appends no record but stores its key,
///   after the same expected-version check and as durably as an append.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Appends the request's events to its stream, checking the expected
    /// version. With no events (admitted only with an idempotency key) it
    /// appends nothing and records the key with an outcome that says so
    /// ([`AppendOutcome::no_events`]).
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError>;

    /// Up to `limit` events of one stream, from `from_version` on, in order.
    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `limit` events of the whole log, from `from_position` on.
    async fn read_all(
        &self,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The records at `positions`, in the order given (a position asked
    /// twice comes twice), leaving out any at or beyond the committed head (a caller that needs them all compares
    /// the count). One batched read where the backend has one (the
    /// evidence bundles read a subject's scattered positions this way);
    /// the default reads each run of consecutive positions with
    /// [`Store::read_all`].
    async fn read_positions(&self, positions: &[u64]) -> Result<Vec<RecordedEvent>, StoreError> {
        let end = self.head().len;
        let mut records = Vec::with_capacity(positions.len());
        let mut run_start = 0usize;
        while run_start < positions.len() {
            let mut run_end = run_start + 1;
            while run_end < positions.len()
                && run_end - run_start < READ_PAGE
                && positions[run_end] == positions[run_end - 1].saturating_add(1)
            {
                run_end += 1;
            }
            if positions[run_start] < end {
                records.extend(
                    self.read_all(positions[run_start], run_end - run_start)
                        .await?
                        .into_iter()
                        .filter(|record| record.position < end),
                );
            }
            run_start = run_end;
        }
        Ok(records)
    }

    /// The stream's last version, `None` when it has no events.
    async fn stream_version(&self, stream_id: &str) -> Result<Option<u64>, StoreError>;

    /// The outcome stored under an idempotency key, with the fingerprint it
    /// was stored with, once that append is durable and within the head
    /// ([`AppendOutcome::within`]); `None` otherwise.
    async fn idempotent_outcome(&self, key: &str) -> Result<Option<StoredOutcome>, StoreError>;

    /// The committed head now.
    fn head(&self) -> LogHead;

    /// A receiver that changes whenever the committed head moves.
    fn watch_head(&self) -> watch::Receiver<LogHead>;

    /// Takes the log-wide **registration lock** and returns once it is held
    /// and [`Store::head`] reflects every record committed before it was
    /// taken. Hold it from a duplicate check until the registration's
    /// append is durable: no other holder, in this process or any other
    /// process sharing the log, can check or register meanwhile. Dropping
    /// the guard releases it.
    ///
    /// The default is for single-process backends whose callers already
    /// serialise registrations in process (e.g. a test store); a backend
    /// several processes share must override it.
    async fn registration_lock(&self) -> Result<RegistrationLock, StoreError> {
        Ok(RegistrationLock::new(()))
    }

    /// Appends already-chained records **verbatim** (their ids, times,
    /// actors and hashes), e.g. when moving a log to another backend. The
    /// records must extend the committed head exactly: next position,
    /// `prev_hash` equal to the head's hash, each hash equal to SHA-256 of
    /// the canonical bytes, next stream versions, `recorded_at` not going
    /// backwards (see [`check_import`]). All or nothing, durable on return;
    /// idempotency keys are not part of the log and are not imported.
    async fn import(&self, records: Vec<RecordedEvent>) -> Result<LogHead, StoreError> {
        let _ = records;
        Err(StoreError::ImportUnsupported)
    }
}

/// A held registration lock ([`Store::registration_lock`]); released on
/// drop.
pub struct RegistrationLock {
    _held: Box<dyn std::any::Any + Send + Sync>,
}

impl RegistrationLock {
    /// A guard that releases the lock when `held` is dropped.
    pub fn new(held: impl std::any::Any + Send + Sync) -> RegistrationLock {
        RegistrationLock {
            _held: Box::new(held),
        }
    }
}

impl std::fmt::Debug for RegistrationLock {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("RegistrationLock")
    }
}

/// The tip an import must extend: the committed head and the last
/// record's `recorded_at`.
#[derive(Clone, Copy, Debug)]
pub struct ImportTip {
    pub head: LogHead,
    pub last_recorded_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Checks that `records` extend `tip` exactly, as [`ChainVerifier`] checks
/// a log: positions next, `prev_hash` linked, hashes recomputed, stream
/// versions next (`stream_head` gives a stream's last stored version) and
/// `recorded_at` non-decreasing; also the append limits on names. Returns
/// the new head.
pub fn check_import(
    records: &[RecordedEvent],
    tip: ImportTip,
    mut stream_head: impl FnMut(&str) -> Result<Option<u64>, StoreError>,
) -> Result<LogHead, StoreError> {
    let mut head = tip.head;
    let mut last_recorded_at = tip.last_recorded_at;
    let mut versions: HashMap<&str, Option<u64>> = HashMap::new();
    for record in records {
        let reject = |cause: ChainBreak| StoreError::ImportRejected {
            position: record.position,
            cause,
        };
        if record.position != head.len {
            return Err(reject(ChainBreak::PositionGap {
                expected: head.len,
                found: record.position,
            }));
        }
        if record.prev_hash != head.last_hash {
            return Err(reject(ChainBreak::PrevHashMismatch {
                expected: head.last_hash,
                found: record.prev_hash,
            }));
        }
        let computed = record.compute_hash();
        if computed != record.hash {
            return Err(reject(ChainBreak::HashMismatch {
                stored: record.hash,
                computed,
            }));
        }
        if let Some(problem) = crate::rules::name_problem(&record.stream_id) {
            return Err(reject(ChainBreak::InvalidStreamId { problem }));
        }
        let current = match versions.get(record.stream_id.as_str()) {
            Some(version) => *version,
            None => stream_head(&record.stream_id)?,
        };
        let expected = current.map_or(0, |version| version + 1);
        if record.stream_version != expected {
            return Err(reject(ChainBreak::StreamVersionJump {
                stream: record.stream_id.clone(),
                found: record.stream_version,
                expected,
            }));
        }
        if last_recorded_at.is_some_and(|last| record.recorded_at < last) {
            return Err(reject(ChainBreak::TimeGoesBackwards));
        }
        versions.insert(&record.stream_id, Some(record.stream_version));
        last_recorded_at = Some(record.recorded_at);
        head = LogHead {
            len: head.len + 1,
            last_hash: record.hash,
        };
    }
    Ok(head)
}

/// What an idempotency key stands for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOutcome {
    pub fingerprint: Option<Hash32>,
    pub outcome: AppendOutcome,
}

/// Page size used by subscriptions and verification.
pub const READ_PAGE: usize = 1024;

/// Everything from a position on, then live records as they commit, with
/// no gap and no duplicate: it reads by position from the log itself and
/// only wakes on head changes, so a record is delivered exactly when its
/// position is next.
pub struct Subscription {
    store: Arc<dyn Store>,
    head: watch::Receiver<LogHead>,
    next_position: u64,
    buffer: VecDeque<RecordedEvent>,
}

impl Subscription {
    pub fn new(store: Arc<dyn Store>, from_position: u64) -> Subscription {
        let head = store.watch_head();
        Subscription {
            store,
            head,
            next_position: from_position,
            buffer: VecDeque::new(),
        }
    }

    /// The position of the next record this subscription will deliver.
    pub fn next_position(&self) -> u64 {
        self.next_position
    }

    /// The next record; `None` once the store has closed and everything
    /// committed has been delivered.
    pub async fn next(&mut self) -> Option<Result<RecordedEvent, StoreError>> {
        loop {
            if let Some(record) = self.buffer.pop_front() {
                self.next_position = record.position + 1;
                return Some(Ok(record));
            }
            let committed = self.head.borrow_and_update().len;
            if committed > self.next_position {
                match self.store.read_all(self.next_position, READ_PAGE).await {
                    Ok(records) => {
                        if records.first().map(|record| record.position) != Some(self.next_position)
                        {
                            return Some(Err(StoreError::CorruptRecord {
                                position: self.next_position,
                                reason: "committed record missing from the log".into(),
                            }));
                        }
                        self.buffer = records.into();
                        continue;
                    }
                    Err(error) => return Some(Err(error)),
                }
            }
            if self.head.changed().await.is_err() {
                // The store closed; deliver anything committed before it did.
                if self.head.borrow().len > self.next_position {
                    continue;
                }
                return None;
            }
        }
    }
}

/// What `verify_log` found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Records that verified, i.e. the position of the first failure when
    /// there is one.
    pub n_verified: u64,
    /// Hash of the last verified record.
    pub last_hash: Hash32,
    pub failure: Option<VerifyFailure>,
}

/// The first record that does not verify, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyFailure {
    pub position: u64,
    /// Why, in English (`cause`'s Display): for logs and JSON.
    pub reason: String,
    /// Why, as a stable machine code ([`ChainBreak::kind`]).
    pub kind: &'static str,
    /// Why, typed: what a user interface words in its own language.
    #[serde(skip)]
    pub cause: ChainBreak,
}

impl VerifyFailure {
    pub fn new(position: u64, cause: ChainBreak) -> VerifyFailure {
        VerifyFailure {
            position,
            reason: cause.to_string(),
            kind: cause.kind(),
            cause,
        }
    }
}

/// Walks the whole committed log, recomputing every hash and checking every
/// link: positions gapless from 0, `prev_hash` equal to the previous
/// record's hash, `hash` equal to SHA-256 of the canonical encoding, stream
/// versions gapless within each stream, `recorded_at` non-decreasing.
/// `progress` is called after each page with the number checked so far.
pub async fn verify_log(
    store: &dyn Store,
    mut progress: impl FnMut(u64, u64) + Send,
) -> Result<VerifyReport, StoreError> {
    let head = store.head();
    let mut verifier = ChainVerifier::default();
    while verifier.n_verified < head.len {
        let records = match store.read_all(verifier.n_verified, READ_PAGE).await {
            Ok(records) => records,
            Err(StoreError::CorruptRecord { position, reason }) => {
                // The page did not decode: check the records before the
                // corrupt one, so the report says exactly how far the chain
                // holds.
                let n_before =
                    usize::try_from(position.saturating_sub(verifier.n_verified)).unwrap_or(0);
                if position > verifier.n_verified {
                    for record in store.read_all(verifier.n_verified, n_before).await? {
                        if let Err(cause) = verifier.check(&record) {
                            return Ok(verifier.fail(verifier.n_verified, cause));
                        }
                    }
                }
                return Ok(verifier.fail(position, ChainBreak::Undecodable { detail: reason }));
            }
            Err(error) => return Err(error),
        };
        if records.is_empty() {
            return Ok(verifier.fail(verifier.n_verified, ChainBreak::RecordMissing));
        }
        for record in &records {
            if let Err(cause) = verifier.check(record) {
                return Ok(verifier.fail(verifier.n_verified, cause));
            }
        }
        progress(verifier.n_verified, head.len);
    }
    if verifier.last_hash != head.last_hash {
        return Ok(verifier.fail(head.len.saturating_sub(1), ChainBreak::HeadMismatch));
    }
    Ok(VerifyReport {
        n_verified: verifier.n_verified,
        last_hash: verifier.last_hash,
        failure: None,
    })
}

/// Incremental chain checker, usable on any sequence of records (the log,
/// an export file, a copy in progress).
#[derive(Debug, Default)]
pub struct ChainVerifier {
    n_verified: u64,
    last_hash: Hash32,
    last_recorded_at: Option<chrono::DateTime<chrono::Utc>>,
    stream_versions: HashMap<String, u64>,
}

impl ChainVerifier {
    pub fn n_verified(&self) -> u64 {
        self.n_verified
    }

    pub fn last_hash(&self) -> Hash32 {
        self.last_hash
    }

    /// Checks the next record; on success it becomes the chain's tip.
    pub fn check(&mut self, record: &RecordedEvent) -> Result<(), ChainBreak> {
        if record.position != self.n_verified {
            return Err(ChainBreak::PositionGap {
                expected: self.n_verified,
                found: record.position,
            });
        }
        if record.prev_hash != self.last_hash {
            return Err(ChainBreak::PrevHashMismatch {
                expected: self.last_hash,
                found: record.prev_hash,
            });
        }
        let computed = record.compute_hash();
        if computed != record.hash {
            return Err(ChainBreak::HashMismatch {
                stored: record.hash,
                computed,
            });
        }
        let expected_version = self
            .stream_versions
            .get(&record.stream_id)
            .map_or(0, |version| version + 1);
        if record.stream_version != expected_version {
            return Err(ChainBreak::StreamVersionJump {
                stream: record.stream_id.clone(),
                found: record.stream_version,
                expected: expected_version,
            });
        }
        if self
            .last_recorded_at
            .is_some_and(|last| record.recorded_at < last)
        {
            return Err(ChainBreak::TimeGoesBackwards);
        }
        self.stream_versions
            .insert(record.stream_id.clone(), record.stream_version);
        self.last_recorded_at = Some(record.recorded_at);
        self.last_hash = record.hash;
        self.n_verified += 1;
        Ok(())
    }

    fn fail(&self, position: u64, cause: ChainBreak) -> VerifyReport {
        VerifyReport {
            n_verified: self.n_verified,
            last_hash: self.last_hash,
            failure: Some(VerifyFailure::new(position, cause)),
        }
    }
}
