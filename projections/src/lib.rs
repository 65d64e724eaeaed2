//! `salesledger-projections`: pure, deterministic folds from event records
//! to read models (health, risk list, funnel, receivables, ...).
//!
//! Built in issue 4. No clock, no randomness, ordered outputs.
#![forbid(unsafe_code)]
