//! `salesledger-replay`: replays history, into read models and for audit.
//! Two modules that do not import each other (`tests/architecture.rs`
//! holds the boundary); both read the log only through
//! `salesledger_store::Store`:
//!
//! - [`readmodel`]: the read-model engine: table projectors folded into
//!   keyed tables with their checkpoints (`readmodel::TableRunner`), and the
//!   whole-model runner that `serve` still uses
//!   ([`readmodel::model_runner`], to be replaced by the tables; issue 14);
//! - [`audit`]: the audit stack: Merkle tree, signed checkpoints, the log
//!   audit, evidence bundles, the verified export.
#![forbid(unsafe_code)]

pub mod audit;
pub mod readmodel;
