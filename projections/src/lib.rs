//! `salesledger-projections`: pure, deterministic folds from event records
//! to read models (responsibility log; to come: health, risk list, funnel,
//! receivables, ...).
//!
//! - [`projector`]: the [`Projector`] trait (a named, versioned fold),
//!   record decoding and [`fold_all`];
//! - [`responsibility`]: the responsibility log of SPEC C2 and C3;
//! - [`assets`] (C9), [`funnel`] (C11), [`receivables`] (C10),
//!   [`digest`] (C12), [`leaderboard`]: the business views, with
//!   [`directory`], the rep and customer placement they share;
//! - [`health`]: customer health scores and the health process (SPEC C7);
//! - [`risk`]: the morning risk list of each closed day (SPEC C8);
//! - [`retail`]: chain stores (SPEC C13): penetration, store leaderboard,
//!   battle map, high-potential members;
//! - [`tables`]: read models as keyed tables (projector trait version 2,
//!   storage-free; issue 14);
//! - [`error`]: the crate's error, [`ProjectionError`].
//!
//! Architecture invariant: a projection does no I/O, never reads the clock,
//! draws no random numbers and never lets hash-map order reach an output
//! (read models use `BTreeMap` and `Vec`). Where models are stored and how
//! they follow the log is the runner's business (`salesledger-replay`), not
//! this crate's.
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
