//! `salesledger-replay`: drives projections over history; Merkle proofs,
//! signed checkpoints, evidence bundles, export and offline rebuild.
//!
//! - [`merkle`]: RFC 9162 Merkle tree over the global log (roots, inclusion
//!   and consistency proofs, their verifiers, an append-only node layout).
//! - [`checkpoint`]: C2SP `tlog-checkpoint` bodies signed as C2SP signed
//!   notes with Ed25519 (interoperable with Go's `note` package), verifier
//!   keys.
//! - [`runner`]: the projection runner: each projector's model and
//!   checkpoint stored together, catch-up then live following, per-projector
//!   rebuild on a version bump, read-your-writes waits.
//!
//! - [`log_tree`]: the persistent Merkle tree of a data directory, kept in
//!   step with the log from any `Store`, rebuilt when it diverges.
//! - [`audit`]: the server's signing key, `CheckpointSigned` events (which
//!   records a checkpoint covers), the periodic [`audit::Checkpointer`], the
//!   full audit of a log and consistency with a saved checkpoint.
//! - [`bundle`]: evidence bundles about one customer or proposal and their
//!   offline verification.
//! - [`export`]: the portable JSON-lines export and [`export::read_export`],
//!   which verifies the chain while reading.
//!
//! Still to come (issues 4 and 5): offline rebuild from an export,
//! point-in-time replay.
#![forbid(unsafe_code)]

pub mod audit;
pub mod bundle;
pub mod checkpoint;
pub mod export;
pub mod log_tree;
pub mod merkle;
pub mod readmodel;
pub mod runner;
