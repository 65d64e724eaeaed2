//! `salesledger-replay`: replays history, into read models and for audit.
//! Two modules that do not import each other (`tests/architecture.rs`
//! holds the boundary); both read the log only through
//! `salesledger_store::Store`:
//!
//! - [`readmodel`]: the read-model engine: table projectors folded into
//!   keyed tables with their checkpoints (`readmodel::TableRunner`), what
//!   `serve` answers every view from and what offline `rebuild` and
//!   `replay` fold (issue 14; the whole-model runner is gone);
//! - [`audit`]: the audit stack: Merkle tree, the persistent log tree,
//!   signed checkpoints, witness cosignatures, the log
//!   audit, evidence bundles, the verified export.
#![forbid(unsafe_code)]

pub mod audit;
pub mod readmodel;
