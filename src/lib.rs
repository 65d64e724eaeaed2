//! The `salesledger` package: the HTTP gateway and the CLI's commands,
//! wiring the library crates together. `src/main.rs` is the command line
//! over this library; integration tests drive the gateway through it.
//!
//! Only this package knows HTTP, JSON request shapes and command-line
//! shapes, installs a tracing subscriber, and uses `anyhow`.

pub mod analytics;
pub mod app;
pub mod arg_values;
pub mod audit_cli;
pub mod backend;
pub mod backup;
pub mod copy;
pub mod customer_import;
pub mod demo;
pub mod evidence;
pub mod feed;
pub mod gateway;
pub mod held;
pub mod i18n;
pub mod import;
pub mod init;
pub mod metrics;
pub mod offline;
pub mod output;
pub mod progress;
pub mod remote;
pub mod requests;
pub mod scheduler;
pub mod scratch;
pub mod tls;
pub mod token_cli;
pub mod tokens;
pub mod verify;
pub mod views;
pub mod webhooks;
pub mod witness;

/// A multi-threaded runtime for CLI commands.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .with_context(|| crate::t!("cli-starting-runtime"))
}
