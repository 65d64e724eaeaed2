//! `salesledger-store`: an append-only, durable, hash-chained event log.
//!
//! It stores and orders opaque event records: stream ids, event types and
//! JSON payloads are just data here. Architecture invariant: this crate
//! knows nothing of sales (it depends on no other salesledger crate), does
//! no HTTP, and is the only place that touches the log's storage.
//!
//! - [`record`]: the record, its canonical byte encoding and hash;
//! - [`rules`]: the rules a record keeps (its hash, the expected version,
//!   the name limits) and how a record breaks the chain, a leaf that the
//!   error type names;
//! - [`log`]: the backend-independent [`Store`] trait, with
//!   [`Subscription`] and [`verify_log`] built once on top of it;
//! - `SledStore` (feature `sled`): the embedded default, with group commit
//!   and real fsync;
//! - `PgStore` (feature `postgres`): PostgreSQL, for several gateways on one
//!   shared log;
//! - [`FsBlobStore`]: content-addressed evidence files;
//! - [`private_fs`]: directories 0700 and files 0600 under a data directory;
//! - `conformance` (feature `conformance`): the test suite every backend
//!   must pass.
#![forbid(unsafe_code)]

pub mod blob;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod error;
pub mod log;
#[cfg(feature = "postgres")]
pub mod pg_store;
pub mod private_fs;
pub mod record;
pub mod rules;
#[cfg(feature = "sled")]
pub mod sled_store;

pub use blob::{BlobRef, FsBlobStore, DEFAULT_MAX_BLOB_BYTES};
pub use error::StoreError;
pub use log::{
    check_import, verify_log, ChainBreak, ChainVerifier, ImportTip, LogHead, RegistrationLock,
    Store, StoredOutcome, Subscription, VerifyFailure, VerifyReport, READ_PAGE,
};
#[cfg(feature = "postgres")]
pub use pg_store::{PgStore, PgWriterStats};
pub use record::{
    AppendMetadata, AppendOutcome, AppendRequest, CanonicalJson, ExpectedVersion, Hash32,
    Idempotency, NameProblem, NewEvent, NoEvents, RecordedEvent,
};
#[cfg(feature = "sled")]
pub use sled_store::{
    probe_free_space, DurableDb, LogFailure, SledOptions, SledStore, WriterStats,
    INLINE_READ_LIMIT, REOPEN_FREE_BYTES,
};
