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

/// Reads a started `salesledger serve`'s stdout (piped) until it prints
/// its address: the admin token it printed before it (a first start prints
/// one) and the gateway's base URL (`None` if stdout closed first). Stdout
/// is drained from then on, so the child never blocks on it.
pub fn serve_banner(child: &mut std::process::Child) -> (Option<String>, Option<String>) {
    use std::io::{BufRead, BufReader};

    let stdout = child.stdout.take().expect("serve's stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let (mut token, mut base) = (None, None);
    for line in lines.by_ref() {
        let line = line.expect("a line of serve's stdout");
        if let Some(rest) = line.trim().strip_prefix("admin token: ") {
            token = Some(rest.to_owned());
        }
        if let Some(rest) = line.strip_prefix("salesledger gateway listening on ") {
            base = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (token, base)
}
