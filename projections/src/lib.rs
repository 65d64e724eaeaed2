//! `salesledger-projections`: pure, deterministic folds from event records
//! to read models: the responsibility log, health, the risk list, process
//! assets, receivables, the funnel, the regional digest, the leaderboard,
//! chain stores, a rep's work list and the subject index; each as a keyed
//! table projector ([`tables`]), most also as a whole model
//! ([`Projector`]).
//!
//! - [`projector`]: the [`Projector`] trait (a named, versioned fold),
//!   [`decode_record`] (the domain's one decoder, unknown event types
//!   skipped) and [`fold_all`];
//! - [`responsibility`]: the responsibility log of SPEC C2 and C3;
//! - [`assets`] (C9), [`funnel`] (C11), [`receivables`] (C10),
//!   [`digest`] (C12), [`leaderboard`]: the business views, with
//!   [`directory`], the rep and customer placement they share;
//! - [`health`]: customer health scores and the health process (SPEC C7);
//! - [`risk`]: the morning risk list of each closed day (SPEC C8);
//! - [`retail`]: chain stores (SPEC C13): penetration, store leaderboard,
//!   battle map, high-potential members;
//! - [`tables`]: read models as keyed tables (the storage-free side of the
//!   table engine: keys, `Table`, `TableProjector`, `Tx`, `MemoryTables`),
//!   every view above ported, and two that exist only as tables: a rep's
//!   work list (`tables::todos`) and the subject index behind evidence
//!   bundles (`tables::subjects`);
//! - [`error`]: the crate's error, [`ProjectionError`].
//!
//! Architecture invariant: a projection does no I/O, never reads the clock,
//! draws no random numbers and never lets hash-map order reach an output
//! (read models use `BTreeMap` and `Vec`). Where models are stored and how
//! they follow the log is the read-model engine's business
//! (`salesledger-replay`, module `readmodel`), not this crate's.
#![forbid(unsafe_code)]

pub mod assets;
pub mod digest;
pub mod directory;
pub mod error;
pub mod funnel;
pub mod health;
pub mod leaderboard;
pub mod projector;
pub mod receivables;
pub mod responsibility;
pub mod retail;
pub mod risk;
pub mod tables;

pub use assets::Assets;
pub use digest::Digest;
pub use error::ProjectionError;
pub use funnel::Funnel;
pub use health::HealthScores;
pub use leaderboard::Leaderboard;
pub use projector::{apply_record, decode_record, fold_all, Projector};
pub use receivables::Receivables;
pub use responsibility::ResponsibilityLog;
pub use retail::{RetailMembers, RetailStores};
pub use risk::RiskList;
