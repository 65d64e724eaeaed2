//! The store's error type: one enum for every backend.
//!
//! A version conflict is an expected outcome and has its own variant
//! ([`StoreError::WrongExpectedVersion`]) naming the actual version, so a
//! caller can decide again instead of guessing.

use crate::rules::{ChainBreak, ExpectedVersion};

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
    #[error("idempotency key {key} was already used for a different request")]
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
    /// A previous write failed and the store could not bring the log on
    /// disk back to its last committed record; it refuses appends until it
    /// is reopened.
    #[error("the store refused the append after an earlier I/O failure; reopen it")]
    Poisoned,
    /// The disk holding the log (or the blob store) is full. Nothing was
    /// appended (or stored); the store tries again on the next append once
    /// space returns, without a restart.
    #[error("insufficient storage: {0}")]
    InsufficientStorage(String),
    /// The log cannot write after an I/O error (other than a full disk).
    /// Nothing was appended; the store keeps trying to recover in the
    /// background and appends resume when it does.
    #[error("the event log is unavailable: {0}")]
    Unavailable(String),
    /// Records given to [`crate::Store::import`] do not extend the log
    /// exactly (names the first offending position and why, typed as a
    /// log that does not verify). Nothing was imported.
    #[error("import refused at position {position}: {cause}")]
    ImportRejected { position: u64, cause: ChainBreak },
    /// This backend does not implement [`crate::Store::import`].
    #[error("this backend cannot import records")]
    ImportUnsupported,
    /// The store was closed (its writer stopped).
    #[error("the store is closed")]
    Closed,
    /// The data directory holds a log in a format this build cannot read.
    #[error("unsupported store format: {0}")]
    UnsupportedFormat(String),
    /// A PostgreSQL error (a query or commit the server refused); for an
    /// append whose commit failed, the outcome is unknown: retry with the
    /// idempotency key.
    #[error("postgres: {0}")]
    Postgres(String),
    /// PostgreSQL could not be reached for now: no connection from the
    /// pool in time, a connection closed or refused, the server shutting
    /// down or starting, out of connections or resources (SQLSTATE classes
    /// 08, 53, 57P). Nothing was done; asking again later may succeed.
    #[error("postgres unreachable: {0}")]
    PostgresUnreachable(String),
    #[cfg(feature = "sled")]
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// Whether this error (or the I/O error under it) says the disk is full
    /// (`ENOSPC`, or `EDQUOT`: a quota).
    pub fn is_storage_full(&self) -> bool {
        match self {
            StoreError::InsufficientStorage(_) => true,
            StoreError::Io(error) => io_is_storage_full(error),
            #[cfg(feature = "sled")]
            StoreError::Sled(sled::Error::Io(error)) => io_is_storage_full(error),
            _ => false,
        }
    }

    /// Whether the log could not be reached for now (a database restarting
    /// or out of reach, a disk full or failing for a while) rather than
    /// refusing for good: a reader that waits and asks again may succeed.
    /// A query PostgreSQL refused, a read task that panicked (an `Io`
    /// error of kind `Other`) or a corrupt record is not.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::PostgresUnreachable(_)
            | StoreError::Unavailable(_)
            | StoreError::InsufficientStorage(_) => true,
            StoreError::Io(error) => error.kind() != std::io::ErrorKind::Other,
            #[cfg(feature = "sled")]
            StoreError::Sled(sled::Error::Io(_)) => true,
            _ => false,
        }
    }
}

/// `ENOSPC` or `EDQUOT`, also when sled re-wrapped the OS error in a custom
/// error of the same kind.
pub fn io_is_storage_full(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    ) || matches!(error.raw_os_error(), Some(28 | 122))
}

fn display_version(version: Option<u64>) -> String {
    match version {
        Some(version) => version.to_string(),
        None => "no stream".to_owned(),
    }
}
