//! The projections crate's error type.
//!
//! A record whose type is unknown to this build is skipped, not an error;
//! a known type that does not decode (a malformed payload, a schema version
//! newer than this build) is, because folding past it would produce a view
//! that silently disagrees with the log. Knows nothing of storage.

use salesledger_domain::DomainError;

/// What can go wrong while folding records into a read model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProjectionError {
    /// The record's event type is known but the event does not decode
    /// (its payload is not JSON, or not this type's shape at its version).
    #[error("record at position {position} does not decode: {source}")]
    Decode {
        position: u64,
        #[source]
        source: DomainError,
    },
    /// A table projector's rows could not be read or written.
    #[error(transparent)]
    Table(#[from] crate::tables::TableError),
    /// A table projector met an event it cannot apply.
    #[error("record at position {position} cannot be applied: {reason}")]
    CannotApply { position: u64, reason: String },
}
