//! The command pipeline's error: the domain's verdicts, authorisation,
//! idempotency misuse, exhausted retries and the store's failures, each a
//! variant so the gateway can map it to one status and problem code.

use salesledger_domain::{CommandKind, DomainError, Role};
use salesledger_store::StoreError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The caller's role may not issue this kind of command.
    #[error("role {} may not issue {kind}", role.as_str())]
    Forbidden { role: Role, kind: CommandKind },
    /// The domain refused the command (its kind says why: conflict, not
    /// found, invalid, forbidden, precondition).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A business time (the request field `field`) lies more than the
    /// future margin ahead of the server's clock; nothing was appended.
    #[error("{field} {at} is more than {margin_secs} s ahead of the server's clock ({now})")]
    TimeInFuture {
        field: &'static str,
        at: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
        margin_secs: i64,
    },
    /// The idempotency key was already used for a different request.
    #[error("idempotency key {key} was already used for a different request")]
    IdempotencyKeyReused { key: String },
    /// The stream kept moving under us; every retry met a newer version.
    #[error("stream {stream_id} changed concurrently {n_attempts} times; try again")]
    Contention {
        stream_id: String,
        n_attempts: usize,
    },
    /// Stored events that do not decode: never the caller's fault.
    #[error("stored event at position {position} does not decode: {source}")]
    Corrupt { position: u64, source: DomainError },
    #[error(transparent)]
    Store(StoreError),
    /// The reaction process manager could not read or write its own files
    /// (checkpoint, outcome table) in its directory.
    #[error("reaction process manager state at {}: {source}", path.display())]
    ReactionState {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl From<StoreError> for CommandError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::IdempotencyKeyReused { key } => CommandError::IdempotencyKeyReused { key },
            other => CommandError::Store(other),
        }
    }
}

/// Decodes a stored record into a domain event through the domain's one
/// decoder ([`salesledger_domain::decode_record`]); any failure, an unknown
/// type included, is a corrupt stored event.
pub fn decode_record(
    record: &salesledger_store::RecordedEvent,
) -> Result<salesledger_domain::Event, CommandError> {
    salesledger_domain::decode_record(
        &record.event_type,
        record.schema_version,
        record.payload.as_str(),
    )
    .map_err(|source| CommandError::Corrupt {
        position: record.position,
        source,
    })
}
