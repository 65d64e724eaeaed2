//! Helpers shared by the integration tests.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the built `salesledger` binary with `args`.
pub fn salesledger(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_salesledger"))
        .args(args)
        .output()
        .expect("run salesledger")
}

/// The workspace root.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// An HTTP client for the tests: rustls with the `ring` provider, installed
/// first as `main` does (reqwest is built without a provider of its own).
pub fn http_client() -> reqwest::Client {
    salesledger::tls::install_crypto_provider();
    reqwest::Client::new()
}
