//! `salesledger`: the binary that wires the libraries together: the HTTP
//! gateway (`serve`) and the CLI for auditors and operators (`verify`,
//! `bench`).
//!
//! Only this package installs a tracing subscriber, uses `anyhow`, and
//! knows command-line shapes.

// `bench` is a module of this binary, not of the library's API; what it
// uses of the library is in scope here, so its `crate::...` paths resolve.
mod bench;

use salesledger::{analytics, app, audit_cli, backend, evidence, gateway, progress, runtime, tls};

/// jemalloc instead of the system allocator (on unix): sled allocates and
/// frees a node per page read and per page evicted, and once its caches are
/// full glibc malloc spends most of a cold evidence bundle consolidating
/// and searching its free lists (docs/PERFORMANCE.md, "Cold bundle after
/// the index fold").
#[cfg(unix)]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
use salesledger::{scratch, verify, views};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use salesledger::i18n::Lang;
use salesledger::t;

#[derive(Parser, Debug)]
#[command(
    name = "salesledger",
    version,
    about = "Sales actions as an immutable, verifiable event log"
)]
struct Cli {
    /// Language of the messages for a person: zh-CN or en (default: from
    /// LC_ALL, LC_MESSAGES or LANG; zh* is zh-CN, anything else English).
    /// JSON, exported files and exit codes never change with it.
    #[arg(long, global = true, value_name = "zh-CN|en", value_parser = parse_lang)]
    lang: Option<Lang>,
    #[command(subcommand)]
    command: Command,
}

fn parse_lang(value: &str) -> Result<Lang, String> {
    Lang::from_flag(value).ok_or_else(|| format!("{value:?}: zh-CN or en"))
}

/// The language `--lang` asks for in `args`, looked at before clap parses
/// them so that the help it prints is already in that language (clap
/// checks the value itself afterwards).
fn lang_in_args(args: &[std::ffi::OsString]) -> Option<Lang> {
    let mut args = args.iter().skip(1).filter_map(|arg| arg.to_str());
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if arg == "--lang" {
            return args.next().and_then(Lang::from_flag);
        }
        if let Some(value) = arg.strip_prefix("--lang=") {
            return Lang::from_flag(value);
        }
    }
    None
}

/// The command line's definition in the CLI's language: every command's
/// `about`, every flag's help and clap's own words from the CLI catalogue
/// (`salesledger::i18n::command_line`); English as the doc comments say.
fn localized_command() -> clap::Command {
    salesledger::i18n::command_line::localize(Cli::command(), salesledger::i18n::cli_lang())
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the HTTP gateway on the embedded store until SIGINT/SIGTERM.
    Serve {
        /// Data directory (created if absent): the log, blobs, tokens.
        #[arg(long, default_value = "./data")]
        data: PathBuf,
        /// The log elsewhere: `postgres://...` (optionally `?schema=NAME`)
        /// to share one PostgreSQL log between several gateway processes,
        /// or a data directory; DATA still holds this process's tokens,
        /// blobs, read models and keys.
        #[arg(long, value_name = "DIR_OR_URL")]
        store: Option<salesledger::backend::StoreChoice>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Token file (default DATA/tokens.json; created with one admin
        /// token when absent).
        #[arg(long)]
        tokens: Option<PathBuf>,
        /// Seed demo configuration, reps and customers (once per data
        /// directory) and print one token per role.
        #[arg(long)]
        demo: bool,
        /// With --demo: `year` seeds SPEC section 4's year (17 regions,
        /// 427 customers, 327 stores and a year of POS tickets; about a
        /// minute in a release build), `small` a small organisation over 60
        /// days with 6 stores over the last 30 (seconds, for tests).
        #[arg(long, value_name = "small|year", default_value = "year")]
        demo_scale: salesledger::demo::DemoScale,
        /// Largest accepted JSON request body, in bytes.
        #[arg(long, default_value_t = gateway::DEFAULT_MAX_BODY_BYTES)]
        max_body_bytes: usize,
        /// Largest accepted evidence file, in bytes.
        #[arg(long, default_value_t = salesledger_store::DEFAULT_MAX_BLOB_BYTES)]
        max_blob_bytes: u64,
        /// The embedded log's page cache, in MiB (part of the process's
        /// memory; the read models keep their own caches beside it).
        #[arg(long, default_value_t = salesledger_store::SledOptions::DEFAULT_CACHE_MIB, value_parser = clap::value_parser!(u64).range(8..=65_536))]
        log_cache_mb: u64,
        /// Each table projector's cache of decoded rows, in MiB (one per
        /// projector, 13 in all, and one more per private copy of a
        /// projector another reads while a view is rebuilt alone).
        #[arg(long, default_value_t = app::ViewCaches::default().rows_mib, value_parser = clap::value_parser!(u64).range(1..=4_096))]
        view_cache_mb: u64,
        /// The page cache of the read models' database, in MiB.
        #[arg(long, default_value_t = app::ViewCaches::default().pages_mib, value_parser = clap::value_parser!(u64).range(1..=65_536))]
        view_page_cache_mb: u64,
        /// Seconds between the day-close scheduler's checks for days whose
        /// close time has passed (0: no scheduler; integrators close days).
        #[arg(long, default_value_t = 60)]
        day_close_every_secs: u64,
        /// Sign a checkpoint of the log after this many new records (0: only
        /// on demand with `salesledger checkpoint`; not run on a shared
        /// PostgreSQL log).
        #[arg(long, default_value_t = 10_000)]
        checkpoint_every_records: u64,
        /// ... or this many seconds after the last one, if records arrived.
        #[arg(long, default_value_t = 300)]
        checkpoint_every_secs: u64,
        /// Seconds a client has to send a request's complete head
        /// (request line and headers) before its connection is closed.
        #[arg(long, default_value_t = gateway::DEFAULT_HEADER_READ_TIMEOUT.as_secs(),
              value_parser = clap::value_parser!(u64).range(1..))]
        header_read_timeout_secs: u64,
        /// Connections served at once (more wait in the listen backlog).
        #[arg(long, default_value_t = gateway::DEFAULT_MAX_CONNECTIONS)]
        max_connections: usize,
        /// Seconds `serve` may take to stop after SIGTERM/SIGINT; a step
        /// still running then (e.g. on a full disk) is abandoned, logged,
        /// and the exit status is 1.
        #[arg(long, default_value_t = app::DEFAULT_SHUTDOWN_TIMEOUT.as_secs())]
        shutdown_timeout_secs: u64,
        /// Seconds a business time (a visit, a follow-up, an e-mail
        /// receipt, a link open, a ticket, a POS sale...) may lie ahead of
        /// this server's clock; later ones are refused with 422
        /// `time_in_future` naming the field. At most a year.
        #[arg(long, default_value_t = salesledger_commands::pipeline::DEFAULT_FUTURE_MARGIN.num_seconds().unsigned_abs(),
              value_parser = clap::value_parser!(u64).range(0..=31_536_000))]
        future_margin_secs: u64,
    },
    /// Check the whole log's hash chain; exit 0 when it verifies, 1 with the
    /// first bad position otherwise.
    ///
    /// With `--url URL --token T --state FILE` instead of `--data`: checks a
    /// running gateway's latest signed checkpoint and its consistency with
    /// the one saved in FILE, then saves it (a rewritten or forked log
    /// fails, exit 1, with both tree heads).
    Verify {
        /// Data directory of the embedded store.
        #[arg(long, required_unless_present = "url", conflicts_with = "url")]
        data: Option<PathBuf>,
        /// A running gateway's base URL (`https://host:port`).
        #[arg(long, requires_all = ["token", "state"])]
        url: Option<String>,
        /// Bearer token for `--url` (any role; an auditor's), or `@FILE`.
        #[arg(long, requires = "url")]
        token: Option<String>,
        /// With `--url`: the file keeping the last verified checkpoint and
        /// the log's key (created on first use).
        #[arg(long, requires = "url")]
        state: Option<PathBuf>,
        /// The log's verifier key (or a file holding it), obtained
        /// independently. With `--url`: without it a new state file trusts
        /// the gateway's key on first use, with a warning. With `--data`
        /// (repeatable, e.g. the keys before and after a restore without
        /// the old key): every checkpoint must be signed by one of them;
        /// without it each checkpoint is checked with the key it carries
        /// and the keys are listed, with a warning.
        #[arg(long)]
        pubkey: Vec<String>,
        /// With `--url`: a witness's verifier key (repeatable); the latest
        /// checkpoint must carry cosignatures by `--witness-quorum` of them.
        #[arg(long, value_name = "VKEY", requires = "url")]
        witness: Vec<String>,
        /// How many `--witness` keys must have cosigned (default: all).
        #[arg(long, value_name = "N", requires = "witness")]
        witness_quorum: Option<usize>,

        /// Print the report as JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Also prove that the log extends this checkpoint, saved earlier
        /// (its signed note, or JSON with a `note` field).
        #[arg(long, conflicts_with = "url")]
        from_checkpoint: Option<PathBuf>,
    },
    /// Print the log's verifier key (C2SP vkey) and its fingerprint,
    /// creating the signing key when absent.
    Key(audit_cli::KeyArgs),
    /// Sign a checkpoint of the log now and print its signed note.
    Checkpoint(audit_cli::CheckpointArgs),
    /// Write an evidence bundle about one customer, lead or proposal.
    Evidence(audit_cli::EvidenceArgs),
    /// Verify an evidence bundle offline (no data directory needed).
    VerifyBundle(audit_cli::VerifyBundleArgs),
    /// Witness a running gateway's log: cosign each new checkpoint that
    /// extends the last one cosigned, refuse any other (docs/AUDIT.md).
    Witness(salesledger::witness::WitnessArgs),
    /// Export the log as portable JSON lines (docs/AUDIT.md).
    Export(audit_cli::ExportArgs),
    /// Rebuild every view on this machine from an exported log (verifying
    /// the chain): the log in OUT/log, the views' tables in OUT/tables (what
    /// `serve --data OUT` answers from) and each view's answer in
    /// OUT/<view>.json.
    Rebuild {
        /// The export file (`salesledger export`).
        #[arg(long)]
        from: PathBuf,
        /// A fresh directory (or, with --force, one an earlier rebuild
        /// wrote).
        #[arg(long)]
        out: PathBuf,
        /// `json`: each view's answer as OUT/<view>.json; `parquet`: every
        /// table of every view as OUT/parquet/<projector>.<table>.parquet
        /// with OUT/parquet/tables.json (README "For analysts").
        #[arg(long, value_enum, default_value_t = salesledger::offline::RebuildFormat::Json)]
        format: salesledger::offline::RebuildFormat,
        /// Replace an earlier rebuild in OUT instead of refusing a
        /// directory that is not empty.
        #[arg(long)]
        force: bool,
    },
    /// Print a view as it was at a past position or time, folded from the
    /// log; with --weights, what health levels a different policy would
    /// have given, customer by customer.
    Replay {
        /// Data directory of the embedded store.
        #[arg(long)]
        data: PathBuf,
        /// The view: responsibility, health, risk, assets, funnel,
        /// receivables, digest, leaderboard, retail_stores, retail_members
        /// or todos.
        #[arg(long)]
        view: String,
        /// Fold records up to and including this position.
        #[arg(long, conflicts_with = "as_of")]
        position: Option<u64>,
        /// Fold records recorded at or before this time (RFC 3339).
        #[arg(long)]
        as_of: Option<chrono::DateTime<chrono::Utc>>,
        /// A health policy (JSON, as published to /v1/config/health-policy)
        /// to apply throughout instead of the published ones.
        #[arg(long)]
        weights: Option<PathBuf>,
    },
    /// Move a whole log between backends (a data directory or
    /// `postgres://...[?schema=NAME]`), verifying the chain as it goes;
    /// prints both sides' chain head and Merkle root.
    Copy(salesledger::copy::CopyArgs),
    /// Back a running gateway up into a data directory (`verify` checks
    /// it, `serve` serves it): the log verified as it streams, and its
    /// blobs; run again into the same directory to continue it.
    Backup(salesledger::backup::BackupArgs),
    /// Publish an organisation's own reps and configuration from a TOML
    /// file (docs/INIT.md), before or between gateway runs; an invalid
    /// file is refused with its line and field (exit 1), appending nothing.
    Init(salesledger::init::InitArgs),
    /// Back-fill history offline (same validation and append path as the
    /// API): `import pos FILE --data DIR [--batch-lines N]`, `import
    /// customers FILE --data DIR [--map COLUMN=FIELD ...] [--dry-run]`.
    Import {
        #[command(subcommand)]
        what: salesledger::import::ImportCommand,
    },
    /// Manage bearer tokens (`token create | list | revoke`); works while
    /// `serve` runs, which picks the change up within a second.
    Token {
        #[command(subcommand)]
        what: salesledger::token_cli::TokenCommand,
    },
    /// Print the gateway's OpenAPI document (the one served at
    /// `/openapi.json`).
    Openapi,
    /// Benchmarks that print `name=value` lines, with raw baselines measured
    /// in the same run.
    Bench {
        #[command(subcommand)]
        bench: bench::BenchCommand,
    },
}

fn main() -> ExitCode {
    // Everything this process creates is its owner's only: directories 0700,
    // files 0600, including the files sled creates (our own code also sets
    // these modes explicitly). docs/SECURITY.md, "Files at rest".
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    // One TLS stack: rustls with ring, before any HTTP client is built.
    salesledger::tls::install_crypto_provider();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(lang) = lang_in_args(&args) {
        salesledger::i18n::set_cli_lang(lang);
    }
    let matches = match localized_command().try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(error) => return parse_failed(&error),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => return parse_failed(&error),
    };
    if let Some(lang) = cli.lang {
        salesledger::i18n::set_cli_lang(lang);
    }
    // The gateway logs each request; CLI commands only warnings.
    init_tracing(if matches!(cli.command, Command::Serve { .. }) {
        "info"
    } else {
        "warn"
    });
    // A data directory a running gateway holds: one clear message and
    // its own exit status, before anything tries (and fails) to open it.
    let directories = data_directories(&cli.command);
    if let Some(held) = first_held(&directories) {
        eprintln!("salesledger: {held}");
        return ExitCode::from(salesledger::held::HELD_EXIT);
    }
    let result = match cli.command {
        Command::Serve {
            data,
            store,
            listen,
            tokens,
            demo,
            demo_scale,
            max_body_bytes,
            max_blob_bytes,
            log_cache_mb,
            view_cache_mb,
            view_page_cache_mb,
            day_close_every_secs,
            checkpoint_every_records,
            checkpoint_every_secs,
            header_read_timeout_secs,
            max_connections,
            shutdown_timeout_secs,
            future_margin_secs,
        } => {
            let mut config = app::GatewayConfig::new(data, listen);
            config.store = store;
            config.tokens_path = tokens;
            config.demo = demo;
            config.demo_scale = demo_scale;
            config.max_body_bytes = max_body_bytes;
            config.max_blob_bytes = max_blob_bytes;
            config.log_cache_bytes =
                salesledger_store::SledOptions::with_cache_mib(log_cache_mb).cache_capacity_bytes;
            config.view_caches = app::ViewCaches {
                rows_mib: view_cache_mb,
                pages_mib: view_page_cache_mb,
            };
            config.connections = gateway::ConnectionSettings {
                header_read_timeout: std::time::Duration::from_secs(header_read_timeout_secs),
                max_connections,
            };
            config.day_close_every = (day_close_every_secs > 0)
                .then(|| std::time::Duration::from_secs(day_close_every_secs));
            config.checkpoints = (checkpoint_every_records > 0).then(|| {
                salesledger_replay::audit::CheckpointPolicy {
                    every_records: checkpoint_every_records,
                    every: std::time::Duration::from_secs(checkpoint_every_secs.max(1)),
                }
            });
            config.shutdown_timeout = std::time::Duration::from_secs(shutdown_timeout_secs);
            // At most a year (clap's range): fits chrono's bounds.
            config.future_margin =
                chrono::Duration::seconds(i64::try_from(future_margin_secs).unwrap_or(31_536_000));
            // Never wait on a blocking task abandoned by the shutdown.
            runtime()
                .and_then(|runtime| {
                    let served = runtime.block_on(app::serve(config));
                    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
                    served
                })
                .map_or_else(serve_failed, |()| Ok(ExitCode::SUCCESS))
        }
        Command::Verify {
            data,
            url,
            token,
            state,
            pubkey,
            witness,
            witness_quorum,
            json,
            from_checkpoint,
        } => match (data, url, token, state) {
            (_, Some(url), Some(token), Some(state)) => match pubkey.as_slice() {
                [] | [_] => salesledger::remote::verify(
                    &url,
                    &token,
                    &state,
                    pubkey.first().map(String::as_str),
                    (&witness, witness_quorum),
                    json,
                ),
                _ => Err(anyhow::anyhow!(t!("cli-verify-url-one-pubkey"))),
            },
            (Some(data), _, _, _) => verify::run(&data, json, from_checkpoint.as_deref(), &pubkey),
            _ => Err(anyhow::anyhow!(t!("cli-verify-give-data-or-url"))),
        },
        Command::Key(args) => audit_cli::key(&args),
        Command::Checkpoint(args) => audit_cli::checkpoint(&args),
        Command::Evidence(args) => audit_cli::evidence(&args),
        Command::VerifyBundle(args) => audit_cli::verify_bundle_cmd(&args),
        Command::Witness(args) => salesledger::witness::run(&args),
        Command::Export(args) => audit_cli::export(&args),
        Command::Rebuild {
            from,
            out,
            format,
            force,
        } => salesledger::offline::rebuild(
            &from,
            &out,
            salesledger::offline::RebuildOptions { format, force },
        )
        .map(|()| ExitCode::SUCCESS),
        Command::Replay {
            data,
            view,
            position,
            as_of,
            weights,
        } => {
            let until = match (position, as_of) {
                (Some(position), _) => salesledger::offline::Until::Position(position),
                (None, Some(time)) => salesledger::offline::Until::Time(time),
                (None, None) => salesledger::offline::Until::End,
            };
            salesledger::offline::replay(
                &data,
                &view,
                until,
                weights.as_deref(),
                &mut std::io::stdout().lock(),
            )
            .map(|()| ExitCode::SUCCESS)
        }
        Command::Copy(args) => salesledger::copy::run(&args),
        Command::Backup(args) => salesledger::backup::run(&args),
        Command::Openapi => serde_json::to_string_pretty(&gateway::openapi::document())
            .map_err(anyhow::Error::from)
            .and_then(|document| {
                salesledger::outln!("{document}")?;
                Ok(ExitCode::SUCCESS)
            }),
        Command::Bench { bench } => bench::run(bench).map(|()| ExitCode::SUCCESS),
        Command::Import { what } => salesledger::import::run(what),
        Command::Init(args) => salesledger::init::run(&args),
        Command::Token { what } => salesledger::token_cli::run(&what),
    };
    match result {
        Ok(code) => code,
        // stdout closed by its reader (`| head`): stop quietly, 128 + SIGPIPE
        // (see `salesledger::output`).
        Err(error) if salesledger::output::is_broken_pipe(&error) => {
            ExitCode::from(salesledger::output::BROKEN_PIPE_EXIT)
        }
        // A gateway that took the directory after the check above: the
        // same one message instead of sled's lock error.
        Err(error) if is_lock_error(&error) => match first_held(&directories) {
            Some(held) => {
                eprintln!("salesledger: {held}");
                ExitCode::from(salesledger::held::HELD_EXIT)
            }
            None => {
                eprintln!(
                    "salesledger: {}",
                    salesledger::i18n::errors::error_chain(&error)
                );
                ExitCode::from(2)
            }
        },
        Err(error) => {
            eprintln!(
                "salesledger: {}",
                salesledger::i18n::errors::error_chain(&error)
            );
            ExitCode::from(2)
        }
    }
}

/// How `serve` ends when it fails: status 1 after a stop that abandoned
/// steps at the shutdown timeout (README, `--shutdown-timeout-secs`: what
/// was acknowledged is durable), the usual error otherwise.
fn serve_failed(error: anyhow::Error) -> anyhow::Result<ExitCode> {
    if error.downcast_ref::<app::ShutdownIncomplete>().is_some() {
        eprintln!("salesledger: {error}");
        return Ok(ExitCode::from(1));
    }
    Err(error)
}

/// A parse error (or the help or version clap was asked for): in the
/// CLI's language when it is not English, with clap's exit status (2 for
/// an error, 0 for help and version).
fn parse_failed(error: &clap::Error) -> ExitCode {
    match salesledger::i18n::command_line::parse_error(error, salesledger::i18n::cli_lang()) {
        Some(message) => {
            eprint!("{message}");
            ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
        }
        None => error.exit(),
    }
}

/// Why the first of `directories` that a running process holds is held.
fn first_held(directories: &[PathBuf]) -> Option<salesledger::held::Held> {
    directories
        .iter()
        .find_map(|dir| salesledger::held::ensure_not_held(dir).err())
}

/// Whether `error` is sled's "could not acquire lock" on a database.
fn is_lock_error(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.to_string().contains("could not acquire lock"))
}

/// The data directories `command` opens (the token commands touch only
/// the token file, never a database, so they run beside a gateway).
fn data_directories(command: &Command) -> Vec<PathBuf> {
    use salesledger::backend::StoreChoice;
    let sled = |choice: Option<&StoreChoice>| match choice {
        Some(StoreChoice::Sled(dir)) => Some(dir.clone()),
        _ => None,
    };
    let with_store = |data: &PathBuf, store: Option<&StoreChoice>| -> Vec<PathBuf> {
        [Some(data.clone()), sled(store)]
            .into_iter()
            .flatten()
            .collect()
    };
    match command {
        Command::Serve { data, store, .. } => with_store(data, store.as_ref()),
        Command::Verify { data, .. } => data.iter().cloned().collect(),
        Command::Replay { data, .. } => vec![data.clone()],
        Command::Checkpoint(args) => with_store(&args.data, args.store.as_ref()),
        Command::Evidence(args) => match &args.data {
            Some(data) => with_store(data, args.store.as_ref()),
            None => Vec::new(),
        },
        Command::Export(args) => vec![args.data.clone()],
        Command::Init(args) => with_store(&args.data, args.store.as_ref()),
        Command::Rebuild { out, .. } => vec![out.clone()],
        Command::Backup(args) => vec![args.out.clone()],
        Command::Copy(args) => [sled(Some(&args.from)), sled(Some(&args.to))]
            .into_iter()
            .flatten()
            .collect(),
        Command::Import { what } => match what {
            salesledger::import::ImportCommand::Pos(args) => vec![args.data.clone()],
            salesledger::import::ImportCommand::Customers(args) => vec![args.data.clone()],
        },
        // `key` reads or creates DATA/audit/signing.key only.
        Command::Key(_)
        | Command::VerifyBundle(_)
        | Command::Witness(_)
        | Command::Token { .. }
        | Command::Openapi
        | Command::Bench { .. } => Vec::new(),
    }
}

fn init_tracing(default_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("SALESLEDGER_LOG")
        .unwrap_or_else(|_| EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[cfg(test)]
mod tests {
    //! The command line in both languages (issue 20): every command and
    //! argument of the real definition has its message in both catalogues,
    //! the English one is the definition's own text, no `cli-arg-` or
    //! `cli-about-` message is left naming nothing, and the Chinese help of
    //! every command has no line in English only.

    use super::*;
    use salesledger::i18n::command_line::{keys_of, localize};
    use salesledger::i18n::{catalogue_message, keys, Catalogue, EN_CLI_FTL};

    fn definition_keys() -> Vec<(String, String)> {
        keys_of(&Cli::command())
    }

    #[test]
    fn every_command_and_argument_has_a_message_in_both_languages() {
        let keys = definition_keys();
        // The walk sees what it must (a sanity check of the walker).
        for key in [
            "cli-about",
            "cli-arg-lang",
            "cli-arg-help",
            "cli-arg-version",
            "cli-about-help",
            "cli-about-token-create",
            "cli-arg-serve-demo-scale",
            "cli-arg-token-create-rep-id",
            "cli-about-bench-pos",
        ] {
            assert!(
                keys.iter().any(|(found, _)| found == key),
                "walk missed {key}"
            );
        }
        let mut missing = Vec::new();
        for (key, _) in &keys {
            for lang in Lang::ALL {
                if catalogue_message(Catalogue::Cli, lang, key, &[]).is_none() {
                    missing.push(format!("{key} ({})", lang.tag()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "commands or arguments without a message in src/i18n/locales/*/cli.ftl: {missing:?}"
        );
    }

    #[test]
    fn the_english_messages_are_the_definitions_own_words() {
        // English help is clap's from the doc comments; its catalogue
        // entries must say the same (a trailing full stop aside), so that
        // the Chinese ones translate what English readers see.
        let mut differing = Vec::new();
        for (key, text) in definition_keys() {
            if text.is_empty() {
                continue;
            }
            let english =
                catalogue_message(Catalogue::Cli, Lang::En, &key, &[]).unwrap_or_default();
            if english.trim_end_matches('.') != text.trim_end_matches('.') {
                differing.push(format!("{key}: catalogue {english:?}, definition {text:?}"));
            }
        }
        assert!(differing.is_empty(), "{differing:#?}");
    }

    #[test]
    fn no_command_line_message_names_nothing() {
        let used: std::collections::BTreeSet<String> =
            definition_keys().into_iter().map(|(key, _)| key).collect();
        let unused: Vec<String> = keys(EN_CLI_FTL)
            .into_iter()
            .filter(|key| key.starts_with("cli-arg-") || key.starts_with("cli-about"))
            .filter(|key| !used.contains(key))
            .collect();
        assert!(
            unused.is_empty(),
            "messages of no command or argument: {unused:?}"
        );
    }

    fn is_cjk(c: char) -> bool {
        matches!(c, '\u{3000}'..='\u{303f}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}')
    }

    /// A help line a Chinese reader would read as English: no Chinese
    /// character, and ASCII letters left once the flag names (`-x`,
    /// `--name`), placeholders (`<VALUE>`, `[OPTIONS]`) and command names
    /// (the program's and its commands') are taken out.
    pub(crate) fn english_only(line: &str, names: &[String]) -> bool {
        if line.chars().any(is_cjk) {
            return false;
        }
        line.split(|c: char| c.is_whitespace() || c == ',')
            .filter(|word| {
                !(word.starts_with('-')
                    || word.starts_with('<')
                    || word.starts_with('[')
                    || names.iter().any(|name| name == word))
            })
            .any(|word| word.chars().any(|c| c.is_ascii_alphabetic()))
    }

    fn command_names(command: &clap::Command, names: &mut Vec<String>) {
        names.push(command.get_name().to_owned());
        for sub in command.get_subcommands() {
            command_names(sub, names);
        }
    }

    fn english_lines(command: &clap::Command, names: &[String], found: &mut Vec<String>) {
        for help in [
            command.clone().render_help(),
            command.clone().render_long_help(),
        ] {
            for line in help.to_string().lines() {
                if english_only(line, names) {
                    found.push(format!("{}: {line}", command.get_name()));
                }
            }
        }
        for sub in command.get_subcommands() {
            english_lines(sub, names, found);
        }
    }

    #[test]
    fn the_chinese_help_of_every_command_has_no_english_only_line() {
        let command = localize(Cli::command(), Lang::ZhCn);
        let mut names = Vec::new();
        command_names(&command, &mut names);
        let mut found = Vec::new();
        english_lines(&command, &names, &mut found);
        assert!(found.is_empty(), "{found:#?}");
        // And the check catches an English line.
        let english = localize(Cli::command(), Lang::En);
        let mut found = Vec::new();
        english_lines(&english, &names, &mut found);
        assert!(found.iter().any(|line| line.contains("Print help")));
    }

    #[test]
    fn the_english_only_check() {
        let names = vec!["salesledger".to_owned(), "serve".to_owned()];
        assert!(english_only("  --data <DATA>  Data directory", &names));
        assert!(english_only("Usage: salesledger serve [OPTIONS]", &names));
        assert!(!english_only("用法： salesledger serve [OPTIONS]", &names));
        assert!(!english_only("  -h, --help  打印帮助", &names));
        assert!(!english_only("  -h, --help", &names));
        assert!(!english_only("", &names));
    }

    #[test]
    fn a_parse_error_is_said_in_chinese_with_its_token_and_status() {
        let error = localize(Cli::command(), Lang::ZhCn)
            .try_get_matches_from(["salesledger", "verify", "--bogus"])
            .expect_err("an unknown flag");
        assert_eq!(error.exit_code(), 2);
        let message = salesledger::i18n::command_line::parse_error(&error, Lang::ZhCn)
            .expect("a Chinese message");
        assert!(message.contains("无法识别的参数“--bogus”"), "{message}");
        assert!(message.contains("用法："), "{message}");
        assert!(!message.contains("error:"), "{message}");
        assert_eq!(
            salesledger::i18n::command_line::parse_error(&error, Lang::En),
            None
        );
        let error = localize(Cli::command(), Lang::ZhCn)
            .try_get_matches_from(["salesledger", "serve", "--demo-scale", "huge"])
            .expect_err("a bad value");
        let message = salesledger::i18n::command_line::parse_error(&error, Lang::ZhCn)
            .expect("a Chinese message");
        assert!(message.contains("huge"), "{message}");
    }
}
