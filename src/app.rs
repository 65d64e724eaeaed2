//! The composition root: `salesledger serve` opens the log (sled or
//! PostgreSQL) and the data directory, starts the read models, the reaction
//! process manager, the day-close scheduler, the webhook dispatcher and the
//! checkpointer, seeds the demo when asked, and hands an
//! [`AppState`] to the HTTP gateway ([`crate::gateway`], which only serves
//! HTTP); on SIGINT/SIGTERM it stops them all within one deadline.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use salesledger_commands::{CommandService, ReactionManager, ReactionManagerConfig};
use salesledger_replay::readmodel::TableRunnerOptions;
use salesledger_store::{FsBlobStore, SledOptions, Store, DEFAULT_MAX_BLOB_BYTES};

use crate::backend::{OpenedStore, StoreChoice};
use crate::gateway::{
    router, serve_connections, AppState, ConnectionSettings, DEFAULT_MAX_BODY_BYTES,
};
use crate::metrics::{MeteredStore, Ops};
use crate::tokens::{TokenStore, SAVE_LAST_USED_EVERY};

/// How `serve` runs.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// Tokens, blobs, read models and keys (per process); also the log
    /// unless `store` names another.
    pub data_dir: PathBuf,
    /// Where the log is: `None` for the sled log in `data_dir`, or e.g. a
    /// PostgreSQL log shared with other gateway processes.
    pub store: Option<StoreChoice>,
    pub listen: SocketAddr,
    pub tokens_path: Option<PathBuf>,
    pub max_body_bytes: usize,
    pub max_blob_bytes: u64,
    /// The embedded log's page cache, in bytes (`serve --log-cache-mb`):
    /// part of the process's memory; unused on PostgreSQL.
    pub log_cache_bytes: u64,
    /// The read models' memory beside the log's (`serve --view-cache-mb`,
    /// `--view-page-cache-mb`).
    pub view_caches: ViewCaches,
    pub demo: bool,
    /// How much history the demo seeds (`--demo-scale`).
    pub demo_scale: crate::demo::DemoScale,
    /// How often the day-close scheduler looks for days to close; `None`
    /// runs no scheduler (days are then closed by integrators only).
    pub day_close_every: Option<std::time::Duration>,
    /// Webhook delivery: private targets, retries, pausing, timeout
    /// (defaults overridable from the environment, see
    /// [`crate::webhooks::WebhookSettings::from_env`]).
    pub webhooks: crate::webhooks::WebhookSettings,
    /// When the log is checkpointed (a signed tree head appended as a
    /// `CheckpointSigned` event, docs/AUDIT.md); `None`: only on demand
    /// (`salesledger checkpoint`).
    pub checkpoints: Option<salesledger_replay::audit::CheckpointPolicy>,
    /// How connections are accepted: header read timeout, connection cap.
    pub connections: ConnectionSettings,
    /// How long `serve` may take to stop after SIGINT/SIGTERM (HTTP drain,
    /// scheduler, webhooks, checkpointer, read models, log close, all
    /// together); a step still running then is abandoned with an error and
    /// `serve` fails (`--shutdown-timeout-secs`).
    pub shutdown_timeout: std::time::Duration,
    /// How far ahead of the server's clock a business time may lie
    /// (`--future-margin-secs`; [`salesledger_commands::pipeline::DEFAULT_FUTURE_MARGIN`]).
    pub future_margin: chrono::Duration,
}

/// What the read models may keep in memory: each projector's cache of its
/// rows, and the page cache of the tables' database they share. Both are
/// budgets, not reservations. The defaults are the replay crate's, chosen
/// to keep a rebuild's peak under 400 MB with the log's default cache
/// (docs/PERFORMANCE.md, "Smaller caches by default", "The log's cache
/// and appends").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewCaches {
    /// Each table projector's cache of decoded rows, in MiB.
    pub rows_mib: u64,
    /// The tables' database page cache, in MiB.
    pub pages_mib: u64,
}

const MIB: usize = 1024 * 1024;

impl Default for ViewCaches {
    fn default() -> Self {
        let options = TableRunnerOptions::default();
        ViewCaches {
            rows_mib: (options.cache_bytes / MIB) as u64,
            pages_mib: (options.storage_cache_bytes / MIB) as u64,
        }
    }
}

impl ViewCaches {
    /// The runner's options with these caches.
    pub fn runner_options(self) -> TableRunnerOptions {
        let bytes =
            |mib: u64| usize::try_from(mib).map_or(usize::MAX, |mib| mib.saturating_mul(MIB));
        TableRunnerOptions {
            cache_bytes: bytes(self.rows_mib),
            storage_cache_bytes: bytes(self.pages_mib),
            ..TableRunnerOptions::default()
        }
    }
}

/// Default of [`GatewayConfig::shutdown_timeout`].
pub const DEFAULT_SHUTDOWN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

impl GatewayConfig {
    pub fn new(data_dir: PathBuf, listen: SocketAddr) -> GatewayConfig {
        GatewayConfig {
            data_dir,
            store: None,
            listen,
            tokens_path: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_blob_bytes: DEFAULT_MAX_BLOB_BYTES,
            log_cache_bytes: SledOptions::default().cache_capacity_bytes,
            view_caches: ViewCaches::default(),
            demo: false,
            demo_scale: crate::demo::DemoScale::Year,
            day_close_every: Some(std::time::Duration::from_secs(60)),
            webhooks: crate::webhooks::WebhookSettings::from_env(),
            checkpoints: Some(salesledger_replay::audit::CheckpointPolicy::default()),
            connections: ConnectionSettings::default(),
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            future_margin: salesledger_commands::pipeline::DEFAULT_FUTURE_MARGIN,
        }
    }
}

/// Opens the log (`config.store`, by default the sled log in the data
/// directory) and the data directory, starts the read models following
/// the log, and builds the state. The [`OpenedStore`] closes the log.
pub async fn open_state(config: &GatewayConfig) -> anyhow::Result<(AppState, OpenedStore)> {
    // Directories 0700 and files 0600 (docs/SECURITY.md, "Files at rest"):
    // created so, and an older, looser data directory tightened once.
    salesledger_store::private_fs::create_dir_all(&config.data_dir)
        .with_context(|| crate::t!("cli-serve-creating", path = config.data_dir.display()))?;
    salesledger_store::private_fs::tighten_existing(&config.data_dir)
        .with_context(|| crate::t!("cli-serve-restricting", path = config.data_dir.display()))?;
    let choice = config
        .store
        .clone()
        .unwrap_or_else(|| StoreChoice::Sled(config.data_dir.clone()));
    let sled = SledOptions {
        cache_capacity_bytes: config.log_cache_bytes,
    };
    let store = OpenedStore::open_with(&choice, sled).await?;
    let head_at_start = store.store().head().len;
    let blobs = FsBlobStore::open(&config.data_dir, config.max_blob_bytes)
        .with_context(|| crate::t!("cli-serve-opening-blobs"))?;
    let tokens_path = config
        .tokens_path
        .clone()
        .unwrap_or_else(|| config.data_dir.join("tokens.json"));
    let tokens = Arc::new(TokenStore::load_or_create(&tokens_path)?);
    // Token changes (the CLI, the token routes) take effect within a
    // second; "last used" times are saved now and then.
    tokens.watch(SAVE_LAST_USED_EVERY);
    let metered = Arc::new(MeteredStore::new(store.store().clone()));
    let shared: Arc<dyn Store> = metered.clone();
    retire_model_views(&config.data_dir);
    let views = crate::views::table_runner_builder(
        store.store().clone(),
        &config.data_dir.join(crate::views::TABLES_DIR),
    )
    .options(config.view_caches.runner_options())
    .start()
    .await
    .with_context(|| crate::t!("cli-serve-starting-read-models"))?;
    let ops = Arc::new(
        Ops::new(store.clone(), head_at_start).with_context(|| crate::t!("cli-serve-metrics"))?,
    );
    metered.record_into(ops.clone());
    let webhooks = crate::webhooks::Subscriptions::open(
        &config.data_dir,
        config.webhooks.allow_private_targets,
    )
    .with_context(|| crate::t!("cli-serve-opening-webhooks"))?;
    let service = Arc::new(CommandService::new(shared).with_future_margin(config.future_margin));
    // Follows the log from its own checkpoint, so any reaction missing
    // after a crash (or given up inline under contention) is issued.
    let reactions = ReactionManager::start(
        service.clone(),
        &config.data_dir.join("reactions"),
        ReactionManagerConfig::default(),
    )
    .await
    .with_context(|| crate::t!("cli-serve-starting-reactions"))?;
    let state = AppState {
        service,
        blobs,
        tokens,
        views: crate::views::live::LiveViews::new(views),
        max_body_bytes: config.max_body_bytes,
        clock: Arc::new(Utc::now),
        ops,
        webhooks: Arc::new(webhooks),
        shutting_down: Arc::new(tokio::sync::watch::channel(false).0),
        evidence: Arc::new(crate::evidence::EvidenceTree::new(
            &config.data_dir,
            config
                .store
                .as_ref()
                .is_some_and(|choice| choice.is_postgres()),
        )),
        reactions: Arc::new(reactions),
    };
    Ok((state, store))
}

/// `salesledger serve`: runs until SIGINT/SIGTERM, then stops accepting,
/// lets in-flight requests (and their appends) finish, and closes the log.
pub async fn serve(config: GatewayConfig) -> anyhow::Result<()> {
    let (state, store) = open_state(&config).await?;
    // Names this process to CLI commands refused the data directory
    // (`crate::held`); removed when `serve` returns.
    let pid_file = crate::held::PidFile::create(&config.data_dir)
        .with_context(|| crate::t!("cli-serve-writing", path = crate::held::PID_FILE))?;
    if config.demo {
        let tokens_path = config
            .tokens_path
            .clone()
            .unwrap_or_else(|| config.data_dir.join("tokens.json"));
        let today = state.now().date_naive();
        crate::demo::seed_with_scale(&state, &tokens_path, today, config.demo_scale).await?;
        state.tokens.reload_if_changed()?;
    }
    // First start (issue 16): a log without configuration gets the
    // defaults, as `system:init` (`crate::init`).
    crate::init::first_start(&state.service, state.now()).await?;
    // Before the address is printed: a signal from now on stops `serve`
    // gracefully (one during the demo seeding above still ends it at once).
    let signalled_by_os = shutdown_signal();
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| crate::t!("cli-serve-binding", address = config.listen))?;
    let address = listener.local_addr()?;
    match &config.store {
        Some(choice) if choice.is_postgres() => println!(
            "{}",
            crate::t!(
                "cli-serve-listening-log-at",
                address = address,
                log = choice.describe(),
                data = config.data_dir.display()
            )
        ),
        _ => println!(
            "{}",
            crate::t!(
                "cli-serve-listening",
                address = address,
                data = config.data_dir.display()
            )
        ),
    }
    tracing::info!(%address, "gateway listening");
    let views = state.views.clone();
    // A read model that could not write its tables (a full disk) is
    // reopened in place, resuming from its last commit.
    let (stop_reopening, reopening_stopped) = tokio::sync::watch::channel(false);
    let reopening = {
        let log = store.store().clone();
        let directory = config.data_dir.join(crate::views::TABLES_DIR);
        let options = config.view_caches.runner_options();
        tokio::spawn(crate::views::live::reopen(
            views.clone(),
            move || {
                crate::views::table_runner_builder(log.clone(), &directory)
                    .options(options.clone())
                    .start()
            },
            reopening_stopped,
        ))
    };
    let reactions = state.reactions.clone();
    let (stop_scheduler, stopped) = tokio::sync::watch::channel(false);
    let scheduler = config.day_close_every.map(|every| {
        tokio::spawn(crate::scheduler::run(
            state.service.clone(),
            state.clock.clone(),
            every,
            stopped,
        ))
    });
    let dispatcher = crate::webhooks::Dispatcher::start(
        state.service.store().clone(),
        state.webhooks.clone(),
        config.webhooks.clone(),
    )
    .with_context(|| crate::t!("cli-serve-starting-webhook-dispatcher"))?;
    // The signing key is created here on first start (DATA/audit). On a
    // shared PostgreSQL log, each gateway has its own data directory, so
    // its own key and tree: checkpoints there are signed on demand by one
    // designated process (`salesledger checkpoint`), not by every gateway.
    let shared_log = config
        .store
        .as_ref()
        .is_some_and(|choice| choice.is_postgres());
    let checkpointer = match &config.checkpoints {
        Some(policy) if !shared_log => Some(
            salesledger_replay::audit::Checkpointer::start(
                state.service.store().clone(),
                &config.data_dir,
                policy.clone(),
            )
            .await
            .with_context(|| crate::t!("cli-serve-starting-checkpointer"))?,
        ),
        _ => None,
    };
    let shutting_down = state.shutting_down.clone();
    // Handles kept until the end, so that dropping the HTTP server (even
    // abandoned) never drops the last handle of a database.
    let webhooks = state.webhooks.clone();
    let service = state.service.clone();
    let service_tokens = state.tokens.clone();
    let (signalled_sender, signalled) = tokio::sync::oneshot::channel::<()>();
    let server = serve_connections(listener, router(state), &config.connections, async move {
        signalled_by_os.await;
        shutting_down.send_replace(true);
        let _ = signalled_sender.send(());
    });
    let mut shutdown = Shutdown::new(config.shutdown_timeout);
    tokio::select! {
        () = server => {}
        () = async {
            if signalled.await.is_ok() {
                shutdown.start();
                tokio::time::sleep(config.shutdown_timeout).await;
            } else {
                std::future::pending::<()>().await;
            }
        } => shutdown.abandoned("HTTP drain (requests still in flight)"),
    }
    shutdown.start();
    // A close in progress finishes its current step; the next start
    // completes whatever it left (closing is idempotent).
    let _ = stop_scheduler.send(true);
    // A delivery in flight is abandoned; its cursor has not moved, so the
    // next start delivers it again (at-least-once).
    shutdown.step("webhook dispatcher", dispatcher.stop()).await;
    // Signs a last checkpoint covering everything appended.
    if let Some(checkpointer) = checkpointer {
        if let Some(Err(error)) = shutdown.step("checkpointer", checkpointer.stop()).await {
            tracing::warn!(%error, "the checkpointer stopped abnormally");
        }
    }
    if let Some(scheduler) = scheduler {
        if let Some(Err(error)) = shutdown.step("day-close scheduler", scheduler).await {
            tracing::warn!(%error, "the day-close scheduler stopped abnormally");
        }
    }
    // The decision in flight finishes and the checkpoint is written while
    // the log is still open; what is still pending is found again on the
    // next start.
    shutdown
        .step("reaction process manager", reactions.stop())
        .await;
    // Stop the read models (each persisted with its checkpoint; other
    // holders of the state may still share the runner). They are derived:
    // abandoned, they resume from their last durable checkpoint.
    let _ = stop_reopening.send(true);
    shutdown.step("read models' reopening", reopening).await;
    if let Some(runner) = views.take() {
        if let Some(Err(error)) = shutdown
            .step("read models' final persist", runner.stop())
            .await
        {
            tracing::warn!(%error, "stopping the read models");
        }
        // Dropped with the other databases below, within the budget.
        views.put(runner);
    }
    // "Last used" times since the last periodic save.
    let tokens = service_tokens;
    if let Some(Ok(Err(error))) = shutdown
        .step(
            "saving token use",
            tokio::task::spawn_blocking(move || tokens.save_last_used()),
        )
        .await
    {
        tracing::warn!(error = %format!("{error:#}"), "saving when tokens were last used");
    }
    // Acknowledged appends were fsynced before their answer: closing only
    // stops the writer.
    shutdown.step("event log close", store.close()).await;
    // sled flushes when its last handle goes, which can block on a failed
    // disk: drop the databases on the blocking pool, within the budget.
    let dropped = tokio::task::spawn_blocking(move || drop((views, service, webhooks, store)));
    shutdown.step("closing the databases", dropped).await;
    drop(pid_file);
    shutdown.finish()
}

/// `serve`'s shutdown: one deadline for every step; a step still running
/// at the deadline is abandoned with an error naming it, and `serve` then
/// fails (a non-zero exit) instead of hanging.
struct Shutdown {
    timeout: std::time::Duration,
    deadline: Option<tokio::time::Instant>,
    abandoned: Vec<&'static str>,
}

impl Shutdown {
    fn new(timeout: std::time::Duration) -> Shutdown {
        Shutdown {
            timeout,
            deadline: None,
            abandoned: Vec::new(),
        }
    }

    /// Starts the clock (once).
    fn start(&mut self) {
        if self.deadline.is_none() {
            self.deadline = Some(tokio::time::Instant::now() + self.timeout);
        }
    }

    fn abandoned(&mut self, step: &'static str) {
        tracing::error!(
            step,
            timeout_secs = self.timeout.as_secs_f64(),
            "shutdown step did not finish within the shutdown timeout; abandoned"
        );
        self.abandoned.push(step);
    }

    /// Runs `step` until the deadline; `None` when it was abandoned.
    async fn step<T>(
        &mut self,
        name: &'static str,
        step: impl std::future::IntoFuture<Output = T>,
    ) -> Option<T> {
        self.start();
        let deadline = self.deadline.unwrap_or_else(tokio::time::Instant::now);
        match tokio::time::timeout_at(deadline, step.into_future()).await {
            Ok(output) => Some(output),
            Err(_elapsed) => {
                self.abandoned(name);
                None
            }
        }
    }

    fn finish(self) -> anyhow::Result<()> {
        if self.abandoned.is_empty() {
            tracing::info!("gateway stopped; event log closed");
            Ok(())
        } else {
            Err(ShutdownIncomplete {
                timeout: self.timeout,
                abandoned: self.abandoned,
            }
            .into())
        }
    }
}

/// A stop that abandoned steps still running at the shutdown timeout
/// (`serve` then exits with status 1): worded in the CLI's language.
#[derive(Debug)]
pub struct ShutdownIncomplete {
    pub timeout: std::time::Duration,
    /// The steps abandoned, by the names the stop gives them.
    pub abandoned: Vec<&'static str>,
}

impl ShutdownIncomplete {
    /// A step's name for a person.
    fn step_name(step: &str) -> String {
        match step {
            "HTTP drain (requests still in flight)" => crate::t!("cli-shutdown-step-http-drain"),
            "webhook dispatcher" => crate::t!("cli-shutdown-step-webhooks"),
            "checkpointer" => crate::t!("cli-shutdown-step-checkpointer"),
            "day-close scheduler" => crate::t!("cli-shutdown-step-scheduler"),
            "reaction process manager" => crate::t!("cli-shutdown-step-reactions"),
            "read models' final persist" => crate::t!("cli-shutdown-step-read-models"),
            "event log close" => crate::t!("cli-shutdown-step-log-close"),
            "closing the databases" => crate::t!("cli-shutdown-step-databases"),
            "saving token use" => crate::t!("cli-shutdown-step-token-use"),
            other => other.to_owned(),
        }
    }
}

impl std::fmt::Display for ShutdownIncomplete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let steps: Vec<String> = self
            .abandoned
            .iter()
            .map(|step| Self::step_name(step))
            .collect();
        f.write_str(&crate::t!(
            "cli-serve-shutdown-incomplete",
            secs = self.timeout.as_secs_f64(),
            steps = steps.join(", ")
        ))
    }
}

impl std::error::Error for ShutdownIncomplete {}

/// Resolves at the first SIGINT or SIGTERM. The handlers are installed
/// when this is called (not when it is first polled), so a signal that
/// arrives while `serve` is still starting (after it printed its address)
/// begins the graceful shutdown instead of killing the process.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send {
    #[cfg(unix)]
    let (terminate, interrupt) = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            async fn received(signal: Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = received(terminate) => {},
                () = received(interrupt) => {},
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        tracing::info!("shutdown requested; finishing in-flight requests");
    }
}

/// Removes `DATA/views`, the database of the read models before the table
/// engine (serve reads `DATA/tables` now): derived data that nothing reads
/// any more, which can be as large as the log. A failure to remove it is
/// only a warning: it wastes space, it does not change an answer.
fn retire_model_views(data_dir: &std::path::Path) {
    let old = data_dir.join(crate::views::VIEWS_DIR);
    if !old.is_dir() {
        return;
    }
    match std::fs::remove_dir_all(&old) {
        Ok(()) => tracing::info!(
            path = %old.display(),
            "removed the retired read-model database (the views are in tables/ now, rebuilt from the log)"
        ),
        Err(error) => tracing::warn!(
            path = %old.display(),
            %error,
            "could not remove the retired read-model database; it is not used any more and can be deleted"
        ),
    }
}

#[cfg(test)]
mod shutdown_tests {
    use super::Shutdown;
    use std::time::Duration;

    /// A step that never finishes is abandoned at the deadline, the next
    /// steps get what is left, and the shutdown fails naming them.
    #[tokio::test]
    async fn a_step_that_never_finishes_is_abandoned_at_the_deadline() {
        let started = std::time::Instant::now();
        let mut shutdown = Shutdown::new(Duration::from_millis(300));
        assert_eq!(shutdown.step("quick", async { 7 }).await, Some(7));
        assert_eq!(
            shutdown.step("stuck", std::future::pending::<()>()).await,
            None
        );
        // Past the deadline, a step that is done at once still completes;
        // one that would wait is abandoned at once.
        assert_eq!(shutdown.step("after", async { 8 }).await, Some(8));
        let waiting = tokio::time::sleep(Duration::from_secs(60));
        assert_eq!(shutdown.step("waiting", waiting).await, None);
        let error = shutdown.finish().expect_err("incomplete");
        assert!(error.to_string().contains("stuck, waiting"), "{error}");
        let incomplete = error
            .downcast_ref::<super::ShutdownIncomplete>()
            .expect("serve exits 1 on it");
        assert_eq!(incomplete.abandoned, ["stuck", "waiting"]);
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
