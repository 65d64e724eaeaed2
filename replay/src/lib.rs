//! `salesledger-replay`: drives projections over history; Merkle proofs,
//! signed checkpoints, evidence bundles, export and offline rebuild.
//!
//! - [`merkle`]: RFC 9162 Merkle tree over the global log (roots, inclusion
//!   and consistency proofs, their verifiers, an append-only node layout).
//!
//! Built in issues 4 and 5.
#![forbid(unsafe_code)]

pub mod merkle;
pub mod runner;
