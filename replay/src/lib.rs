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
//! Still to come (issues 4 and 5): checkpoint events and key management,
//! evidence bundles, export and offline rebuild, point-in-time replay.
#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod merkle;
pub mod runner;
