//! The store's error type: one enum for every backend.
//!
//! A version conflict is an expected outcome and has its own variant
//! ([`StoreError::WrongExpectedVersion`]) naming the actual version, so a
//! caller can decide again instead of guessing.

use crate::record::ExpectedVersion;

/// Everything that can go wrong in the event log or the blob store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The stream's current version is not the one the caller expected.
    /// Nothing was appended.
    #[error("wrong expected version for stream {stream_id}: expected {expected}, actual {}", display_version(*.actual))]
    WrongExpectedVersion {
        stream_id: String,
        expected: ExpectedVersion,
        /// The stream's last version, `None` when the stream does not exist.
        actual: Option<u64>,
    },
    /// An idempotency key was reused for a different request.
    #[error("idempotency key {key:?} was already used for a different request")]
    IdempotencyKeyReused { key: String },
    /// The request is malformed (empty append, oversized payload, bad id...).
    #[error("invalid append: {0}")]
    InvalidAppend(String),
    /// A stored record does not decode. Names its position.
    #[error("record at position {position} is corrupt: {reason}")]
    CorruptRecord { position: u64, reason: String },
    /// A blob exceeds the configured size limit.
    #[error("blob of {size} bytes exceeds the limit of {limit} bytes")]
    BlobTooLarge { size: u64, limit: u64 },
    /// No blob with this SHA-256 is stored.
    #[error("no blob with sha256 {0}")]
    BlobNotFound(String),
    /// A stored blob no longer matches its SHA-256.
    #[error("blob {0} is corrupt: its content no longer matches its sha256")]
    CorruptBlob(String),
    /// A previous write failed in a way that leaves its durability unknown;
    /// the store refuses further appends until it is reopened.
    #[error("the store refused the append after an earlier I/O failure; reopen it")]
    Poisoned,
    /// Records given to [`crate::Store::import`] do not extend the log
    /// exactly (names the first offending position). Nothing was imported.
    #[error("import refused at position {position}: {reason}")]
    ImportRejected { position: u64, reason: String },
    /// The store was closed (its writer stopped).
    #[error("the store is closed")]
    Closed,
    /// The data directory holds a log in a format this build cannot read.
    #[error("unsupported store format: {0}")]
    UnsupportedFormat(String),
    /// A PostgreSQL error (connection, query or commit); for an append whose
    /// commit failed, the outcome is unknown: retry with the idempotency key.
    #[error("postgres: {0}")]
    Postgres(String),
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

fn display_version(version: Option<u64>) -> String {
    match version {
        Some(version) => version.to_string(),
        None => "no stream".to_owned(),
    }
}
