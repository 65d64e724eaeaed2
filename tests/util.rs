//! Helpers shared by the integration tests.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the built `salesledger` binary with `args` (in English).
pub fn salesledger(args: &[&str]) -> Output {
    salesledger_command()
        .args(args)
        .output()
        .expect("run salesledger")
}

/// The built `salesledger` binary, in English whatever the locale the
/// tests run in ([`in_english`]).
pub fn salesledger_command() -> Command {
    in_english(Command::new(env!("CARGO_BIN_EXE_salesledger")))
}

/// `command` with the locale variables the CLI takes its language from
/// (`LC_ALL`, `LC_MESSAGES`, `LANG`) set to `C`: the tests that read the
/// CLI's messages read its English ones even on a machine set to Chinese
/// (tests/cli_i18n.rs sets them itself).
pub fn in_english(mut command: Command) -> Command {
    command
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C");
    command
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
