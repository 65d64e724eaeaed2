//! `salesledger-replay`: drives projections over history; Merkle proofs,
//! signed checkpoints, evidence bundles, export and offline rebuild.
//!
//! Built in issues 4 and 5.
#![forbid(unsafe_code)]
