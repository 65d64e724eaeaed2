//! `salesledger`: the binary that wires the libraries together, the HTTP
//! gateway (`serve`, coming with the gateway issue) and the CLI for
//! auditors and operators (`verify`, `bench`).
//!
//! Only this package installs a tracing subscriber, uses `anyhow`, and
//! knows command-line shapes.

mod bench;
mod progress;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "salesledger",
    version,
    about = "Sales actions as an immutable, verifiable event log"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check the whole log's hash chain; exit 0 when it verifies, 1 with the
    /// first bad position otherwise.
    Verify {
        /// Data directory of the embedded store.
        #[arg(long)]
        data: PathBuf,
        /// Print the report as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks that print `name=value` lines, with raw baselines measured
    /// in the same run.
    Bench {
        #[command(subcommand)]
        bench: bench::BenchCommand,
    },
}

fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Verify { data, json } => verify::run(&data, json),
        Command::Bench { bench } => bench::run(bench).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("salesledger: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("SALESLEDGER_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// A current-thread-free runtime for CLI commands.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}
