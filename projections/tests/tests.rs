//! Table of contents of the projections crate's integration tests: one
//! binary (as the domain's), so the generated histories the comparisons
//! fold (`support`, each built once behind a `OnceLock`) are built once
//! for all of them, not once per file.
//!
//! - `support`: the generated histories and the helpers of the table
//!   comparisons.
//! - `health_log`, `retail_compare`: hand-built health logs, and the
//!   chain-store comparison, each shared by a model test and a table test.
//! - `business`: process assets (C9), funnel (C11), receivables (C10),
//!   regional digest (C12) and leaderboard on hand-checked scenarios.
//! - `decode_text`: every record of a generated history decodes from its
//!   text as through a `serde_json::Value`.
//! - `health`, `risk`: health (C7) and the morning risk list (C8) over
//!   hand-built logs.
//! - `responsibility`: the responsibility log (C2, C3) against golden files.
//! - `retail`: the chain-store views (C13) on a hand-computed case.
//! - `tables_*`: each view on tables answers exactly as its model does
//!   (`tables_digest`, `tables_directory`, `tables_funnel`,
//!   `tables_health`, `tables_leaderboard`, `tables_receivables`,
//!   `tables_responsibility`, `tables_retail`); `tables_subjects`: the
//!   subject index behind evidence bundles; `tables_todos`: the work list
//!   against a plain replay.

mod health_log;
mod retail_compare;
mod support;

mod business;
mod decode_text;
mod health;
mod responsibility;
mod retail;
mod risk;
mod tables_digest;
mod tables_directory;
mod tables_funnel;
mod tables_health;
mod tables_leaderboard;
mod tables_receivables;
mod tables_responsibility;
mod tables_retail;
mod tables_subjects;
mod tables_todos;
