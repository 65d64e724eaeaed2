//! The projections crate's error types: [`ProjectionError`] (folding)
//! and [`TableError`] (a projector's tables; re-exported by `tables`).
//!
//! A record whose type is unknown to this build is skipped, not an error;
//! a known type that does not decode (a malformed payload, a schema version
//! newer than this build) is, because folding past it would produce a view
//! that silently disagrees with the log. Knows nothing of storage.

use salesledger_domain::DomainError;

use crate::tables::key::KeyError;

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
    Table(#[from] TableError),
    /// A table projector met an event it cannot apply.
    #[error("record at position {position} cannot be applied: {reason}")]
    CannotApply { position: u64, reason: String },
}

/// What can go wrong reading or writing a projector's tables.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// A stored key does not decode as the table's key type.
    #[error("table {table}: {source}")]
    Key {
        table: &'static str,
        #[source]
        source: KeyError,
    },
    /// A value does not encode, or a stored value does not decode.
    #[error("table {table}: value (de)serialisation: {source}")]
    Value {
        table: &'static str,
        #[source]
        source: postcard::Error,
    },
    /// The projector used a table it did not declare in `tables()`.
    #[error("table {0} is not declared by this projector")]
    Undeclared(&'static str),
    /// A write through a read-only view of committed rows.
    #[error("table {0}: writes are not allowed through a read-only view")]
    ReadOnly(&'static str),
    /// The storage behind the tables failed.
    #[error("table storage: {0}")]
    Storage(String),
}
