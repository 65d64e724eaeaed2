//! The audit stack: history as evidence a customer or a court can verify.
//!
//! - [`merkle`]: RFC 9162 Merkle tree over the global log (roots, inclusion
//!   and consistency proofs, their verifiers, an append-only node layout).
//! - [`checkpoint`]: C2SP `tlog-checkpoint` bodies signed as C2SP signed
//!   notes with Ed25519 (interoperable with Go's `note` package), verifier
//!   keys.
//! - [`cosignature`]: C2SP `tlog-cosignature` (Ed25519 `cosignature/v1`)
//!   witness keys, cosigning and checking (with a quorum), and the files a
//!   gateway stores cosignatures in.
//! - [`log_tree`]: the persistent Merkle tree of a data directory, kept in
//!   step with the log from any `Store`, rebuilt when it diverges.
//! - the items at this module's root (from `log_audit`): the server's
//!   signing key, `CheckpointSigned` events (which records a checkpoint
//!   covers), the periodic [`Checkpointer`], the full audit of a log and
//!   consistency with a saved checkpoint.
//! - [`bundle`]: evidence bundles about one customer or proposal and their
//!   offline verification.
//! - [`export`]: the portable JSON-lines export and [`export::read_export`],
//!   which verifies the chain while reading.
//! - [`error`]: [`AuditError`] and the node files' error, shared by all of
//!   the above (so no module depends on another for its error type).
//!
//! Boundary: nothing here imports the read-model engine
//! (`readmodel`) or the reverse; `tests/architecture.rs` holds it.
//! Both read the log only through `salesledger_store::Store`.

pub mod bundle;
pub mod checkpoint;
pub mod cosignature;
pub mod error;
pub mod export;
mod log_audit;
pub mod log_tree;
pub mod merkle;

pub use error::{AuditError, ExportBreak, NodeFileError};
pub use log_audit::*;
