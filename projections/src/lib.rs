//! `salesledger-projections`: pure, deterministic folds from event records
//! to read models (responsibility log; to come: health, risk list, funnel,
//! receivables, ...).
//!
//! - [`projector`]: the [`Projector`] trait (a named, versioned fold),
//!   record decoding and [`fold_all`];
//! - [`responsibility`]: the responsibility log of SPEC C2 and C3;
//! - [`error`]: the crate's error, [`ProjectionError`].
//!
//! Architecture invariant: a projection does no I/O, never reads the clock,
//! draws no random numbers and never lets hash-map order reach an output
//! (read models use `BTreeMap` and `Vec`). Where models are stored and how
//! they follow the log is the runner's business (`salesledger-replay`), not
//! this crate's.
#![forbid(unsafe_code)]

pub mod error;
pub mod projector;
pub mod responsibility;

pub use error::ProjectionError;
pub use projector::{apply_record, decode_record, fold_all, Projector};
pub use responsibility::ResponsibilityLog;
