//! Cross-crate integration tests of the `salesledger` binary and workspace.
//!
//! Table of contents:
//! - `architecture`: the dependency direction between workspace members
//!   (domain pulls no I/O crates, store knows no salesledger crate, only the
//!   binary uses anyhow) and the top-level layout.
//! - `cli_verify`: `salesledger verify` exit codes and messages on a healthy
//!   log, a tampered log and a missing data directory.
//!
//! The store's own suites (conformance, crash recovery, tamper evidence,
//! model-based property test) live in `store/tests/`.

mod architecture;
mod cli_verify;
mod util;
