//! `salesledger bench ...`: benchmarks that print one `name=value` line per
//! figure, each with a raw baseline measured in the same run, so ratios
//! hold across machines. Figures and commands go to docs/PERFORMANCE.md.

mod audit;
mod gateway;
mod pg_store;
mod pos;
mod projections;
mod store;

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Inclusion proofs, a 1,000-event customer bundle, full verification
    /// against raw SHA-256, and export, over a log of N records.
    Audit(audit::AuditArgs),
    /// Durable append and read throughput of the event log against raw
    /// sled baselines on the same disk. Leaves its log in DATA so that
    /// `salesledger verify --data DATA` can check it.
    Store {
        /// A fresh (absent or empty) data directory for the log.
        #[arg(long, required_unless_present = "store")]
        data: Option<PathBuf>,
        /// Measure the PostgreSQL log instead: `postgres://...` (a fresh
        /// schema is used and dropped unless `?schema=NAME` names an empty
        /// one), against raw single-row INSERT transactions on the same
        /// server.
        #[arg(long, value_name = "URL", conflicts_with = "data")]
        store: Option<crate::backend::StoreChoice>,
        /// Events appended per phase (1, 16 and 64 appenders).
        #[arg(long, default_value_t = 20_000)]
        events: u64,
        /// More appender counts to measure after the standard three, e.g.
        /// `128,256` (printed as `append_128=`, ...).
        #[arg(long, value_delimiter = ',')]
        extra_appenders: Vec<u64>,
        /// The log's sled page cache, in MiB, 8 to 65536 (default: the
        /// store's, as `serve` uses); the sled log only.
        #[arg(long, value_parser = clap::value_parser!(u64).range(8..=65_536))]
        log_cache_mb: Option<u64>,
    },
    /// A full rebuild of every read model (the projections `serve` runs)
    /// against a raw read + decode of the same log, built from the fixture
    /// year (N events of copies, or K years of one organisation); peak
    /// memory measured in a child process.
    Projections {
        /// Events in the log (the fixture year replicated as needed: each
        /// copy adds its customers, reps and leads to the organisation).
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        /// Instead of copies, the specification's organisation (427
        /// customers, 40 reps) over this many times 365 days, generated
        /// through the command pipeline: a log that grows with time at a
        /// fixed organisation size.
        #[arg(long, conflicts_with = "events", value_parser = clap::value_parser!(u32).range(1..=50))]
        years: Option<u32>,
        /// Keep the log in this directory (reused by later runs when it
        /// already holds enough events, or, with `--years`, when it was
        /// built by the same `--years`); default: a temporary directory.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Internal: measure the log in this directory (the child process).
        #[arg(long, hide = true)]
        measure: Option<PathBuf>,
        /// Which read-model layer to rebuild: `tables` (the keyed-table
        /// engine, every table projector; the only one since the
        /// whole-model runner was removed).
        #[arg(long, value_enum, default_value_t = projections::Engine::Tables)]
        engine: projections::Engine,
        /// The log's sled page cache while measuring, in MiB, 8 to 65536
        /// (default: the store's, as `serve` uses): how much of
        /// `peak_rss_mb` is the log's cache rather than the read models.
        #[arg(long, default_value_t = salesledger_store::SledOptions::DEFAULT_CACHE_MIB, value_parser = clap::value_parser!(u64).range(8..=65_536))]
        log_cache_mb: u64,
        /// Each read model's row cache while measuring, in MiB (default:
        /// `serve`'s).
        #[arg(long, default_value_t = crate::app::ViewCaches::default().rows_mib, value_parser = clap::value_parser!(u64).range(1..=4_096))]
        view_cache_mb: u64,
        /// The read models' page cache while measuring, in MiB (default:
        /// `serve`'s).
        #[arg(long, default_value_t = crate::app::ViewCaches::default().pages_mib, value_parser = clap::value_parser!(u64).range(1..=65_536))]
        view_page_cache_mb: u64,
    },
    /// The gateway on loopback under a mixed command load (visits, proposal
    /// evidence, claims) from concurrent clients, against the store's
    /// group-commit append rate at the same concurrency in the same run.
    Gateway {
        /// Concurrent clients (each a rep with its own token).
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Commands to send in total.
        #[arg(long, default_value_t = 6400)]
        commands: usize,
    },
    /// N generated POS lines through `POST /v1/pos/sales` of an in-process
    /// gateway (views following), against the same batches appended
    /// straight to a fresh store, then the penetration view's p99.
    Pos {
        /// POS lines in total.
        #[arg(long, default_value_t = 10_000_000)]
        lines: u64,
        /// Lines per batch (whole tickets).
        #[arg(long, default_value_t = 10_000)]
        batch_lines: u64,
        /// Batches in flight at once (both phases).
        #[arg(long, default_value_t = 2)]
        clients: usize,
    },
}

pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Pos {
            lines,
            batch_lines,
            clients,
        } => pos::run(lines, batch_lines, clients),
        BenchCommand::Audit(args) => audit::run(args),
        BenchCommand::Store {
            data,
            store,
            events,
            extra_appenders,
            log_cache_mb,
        } => match (store, data) {
            (Some(choice @ crate::backend::StoreChoice::Postgres { .. }), _) => {
                if log_cache_mb.is_some() {
                    anyhow::bail!(crate::t!("cli-bench-log-cache-sled-only"));
                }
                pg_store::run(&choice, events, &extra_appenders)
            }
            (Some(crate::backend::StoreChoice::Sled(data)), _) | (None, Some(data)) => {
                let log_cache_mb =
                    log_cache_mb.unwrap_or(salesledger_store::SledOptions::DEFAULT_CACHE_MIB);
                store::run(&data, events, &extra_appenders, log_cache_mb)
            }
            (None, None) => anyhow::bail!(crate::t!("cli-bench-data-or-store")),
        },
        BenchCommand::Gateway { clients, commands } => gateway::run(clients, commands),
        BenchCommand::Projections {
            events,
            years,
            data,
            measure,
            engine,
            log_cache_mb,
            view_cache_mb,
            view_page_cache_mb,
        } => {
            let caches = projections::Caches {
                log_mib: log_cache_mb,
                views: crate::app::ViewCaches {
                    rows_mib: view_cache_mb,
                    pages_mib: view_page_cache_mb,
                },
            };
            let history = match years {
                Some(years) => projections::History::Years(years),
                None => projections::History::Copies(events),
            };
            projections::run(history, data.as_deref(), measure.as_deref(), engine, caches)
        }
    }
}

/// Prints one `name=value` line.
fn emit(name: &str, value: f64) {
    if value >= 100.0 {
        println!("{name}={value:.0}");
    } else {
        println!("{name}={value:.2}");
    }
}

/// Whether `dir` is absent or an empty directory.
fn is_fresh(dir: &std::path::Path) -> bool {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(_) => !dir.exists(),
    }
}
