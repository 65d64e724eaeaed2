//! The HTTP gateway: a small, resource-oriented JSON API under `/v1/` over
//! the command pipeline, plus `/healthz` and `/openapi.json`.
//!
//! Only this module knows HTTP and JSON request shapes. Every command route
//! runs the same steps ([`commands::run`]): authenticate (middleware,
//! before the body is read) -> authorise the role for the command kind ->
//! read the body within the size limit -> parse it into the route's request
//! type (unknown fields refused) -> build the domain command -> the command
//! pipeline -> a JSON [`CommandOutcome`](salesledger_commands::CommandOutcome).

pub mod audit;
pub mod auth;
pub mod commands;
pub mod customer_import;
pub mod dashboard;
pub mod feed;
pub mod i18n;
pub mod ingest;
pub mod media;
pub mod openapi;
pub mod ops;
pub mod pos_lines;
pub mod problem;
pub mod query_guard;
pub mod reactions;
pub mod reads;
pub mod requests;
pub mod routes;
pub mod stores;
pub mod tokens;
pub mod views;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use salesledger_commands::{CommandService, ReactionManager, ReactionManagerConfig};
use salesledger_replay::readmodel::TableRunner;
use salesledger_store::{FsBlobStore, Store, DEFAULT_MAX_BLOB_BYTES};

use self::auth::TokenStore;
use self::problem::ApiError;
use crate::backend::{OpenedStore, StoreChoice};

/// Default limit on a JSON request body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub service: Arc<CommandService>,
    pub blobs: FsBlobStore,
    pub tokens: Arc<TokenStore>,
    /// The read models as keyed tables, following the log
    /// (`/v1/views/...`, the dashboard's data, `/readyz`, `/metrics`).
    pub views: Arc<TableRunner>,
    pub max_body_bytes: usize,
    /// The gateway's clock; decisions receive its reading as `now`.
    pub clock: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>,
    /// Metrics and readiness (`/metrics`, `/readyz`).
    pub ops: Arc<ops::Ops>,
    /// Webhook subscriptions (`/v1/webhooks`, delivered by
    /// [`crate::webhooks::Dispatcher`]).
    pub webhooks: Arc<crate::webhooks::Registry>,
    /// Set to `true` when `serve` begins its graceful shutdown, so
    /// never-ending responses (the SSE feed) end instead of holding it up.
    pub shutting_down: Arc<tokio::sync::watch::Sender<bool>>,
    /// The Merkle tree evidence bundles are proven with (`/v1/audit/evidence/...`).
    pub evidence: Arc<audit::EvidenceTree>,
    /// The reaction process manager (`DATA/reactions/`): completes every
    /// reaction the inline path could not (`/v1/reactions/{event_id}`).
    pub reactions: Arc<ReactionManager>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }
}

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

/// How the accept loop treats connections ([`serve_connections`]).
#[derive(Clone, Debug)]
pub struct ConnectionSettings {
    /// A client must send a request's complete head (request line and
    /// headers) within this long after it starts one, else the connection
    /// is closed: slow-header (slowloris) clients cannot hold connections.
    pub header_read_timeout: std::time::Duration,
    /// Connections served at once; further clients wait in the listen
    /// backlog until one closes.
    pub max_connections: usize,
}

/// Default [`ConnectionSettings::header_read_timeout`].
pub const DEFAULT_HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Default [`ConnectionSettings::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

impl Default for ConnectionSettings {
    fn default() -> Self {
        ConnectionSettings {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Serves `app` on `listener` over HTTP/1.1 until `shutdown` completes,
/// then stops accepting and waits for the open connections to finish their
/// in-flight requests (idle keep-alive connections are closed).
///
/// `axum::serve` has no header read timeout nor connection cap, so each
/// connection is driven by hyper's HTTP/1 builder with
/// [`ConnectionSettings::header_read_timeout`] (hyper closes a connection
/// whose request head is not complete in time) and a semaphore holds the
/// number of connections to [`ConnectionSettings::max_connections`].
pub async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    settings: &ConnectionSettings,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(settings.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off
                    // instead of spinning.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        // No HTTP upgrades: no route uses them (the event stream is SSE).
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%remote, %error, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// The router with every route and layer.
pub fn router(state: AppState) -> Router {
    let max_body_bytes = state.max_body_bytes;
    let max_blob_bytes = usize::try_from(state.blobs.max_bytes()).unwrap_or(usize::MAX);
    // Every route refuses query parameters it does not document; on /v1
    // after authentication (inner layer), like every other check.
    let allow_list = Arc::new(query_guard::QueryAllowList::from_document(
        &openapi::document(),
    ));
    let strict_query = || {
        axum::middleware::from_fn_with_state(allow_list.clone(), query_guard::refuse_unknown_query)
    };
    let v1 = commands::routes()
        .merge(reads::routes(max_blob_bytes))
        .merge(views::routes())
        .merge(stores::routes())
        .merge(audit::routes())
        .merge(feed::routes())
        .merge(dashboard::api_routes())
        .merge(crate::webhooks::routes::routes())
        .merge(reactions::routes())
        .merge(tokens::routes())
        .merge(customer_import::routes(max_blob_bytes))
        .layer(strict_query())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    let public = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(openapi_document))
        .merge(dashboard::routes())
        .layer(strict_query());
    let ops_state = state.ops.clone();
    Router::new()
        .merge(public)
        .merge(v1)
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        // The blob upload route sets its own, larger limit.
        .layer(DefaultBodyLimit::max(max_body_bytes))
        // Inside routing: the matched route template is known.
        .layer(axum::middleware::from_fn_with_state(ops_state, ops::track))
        .layer(axum::middleware::from_fn(log_request))
        // Outermost: problems in the reader's language (issue 20).
        .layer(axum::middleware::from_fn(i18n::localize_problems))
        .with_state(state)
}

async fn openapi_document() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi::document())
}

async fn unknown_route(request: Request) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "unknown_route",
        format!("no route for {} {}", request.method(), request.uri().path()),
    )
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    )
}

async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(%method, %path, status = response.status().as_u16(), elapsed_ms = started.elapsed().as_secs_f64() * 1e3, "request");
    response
}

/// Opens the log (`config.store`, by default the sled log in the data
/// directory) and the data directory, starts the read models following
/// the log, and builds the state. The [`OpenedStore`] closes the log.
pub async fn open_state(config: &GatewayConfig) -> anyhow::Result<(AppState, OpenedStore)> {
    // Directories 0700 and files 0600 (docs/SECURITY.md, "Files at rest"):
    // created so, and an older, looser data directory tightened once.
    salesledger_store::private_fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    salesledger_store::private_fs::tighten_existing(&config.data_dir)
        .with_context(|| format!("restricting {}", config.data_dir.display()))?;
    let choice = config
        .store
        .clone()
        .unwrap_or_else(|| StoreChoice::Sled(config.data_dir.clone()));
    let store = OpenedStore::open(&choice).await?;
    let head_at_start = store.store().head().len;
    let blobs = FsBlobStore::open(&config.data_dir, config.max_blob_bytes)
        .context("opening the blob store")?;
    let tokens_path = config
        .tokens_path
        .clone()
        .unwrap_or_else(|| config.data_dir.join("tokens.json"));
    let tokens = Arc::new(TokenStore::load_or_create(&tokens_path)?);
    // Token changes (the CLI, the token routes) take effect within a
    // second; "last used" times are saved now and then.
    tokens.watch(auth::SAVE_LAST_USED_EVERY);
    let metered = Arc::new(ops::MeteredStore::new(store.store().clone()));
    let shared: Arc<dyn Store> = metered.clone();
    retire_model_views(&config.data_dir);
    let views = crate::views::table_runner_builder(
        store.store().clone(),
        &config.data_dir.join(crate::views::TABLES_DIR),
    )
    .start()
    .await
    .context("starting the read models")?;
    let ops = Arc::new(ops::Ops::new(store.clone(), head_at_start).context("metrics")?);
    metered.record_into(ops.clone());
    let webhooks =
        crate::webhooks::Registry::open(&config.data_dir, config.webhooks.allow_private_targets)
            .context("opening the webhook subscriptions")?;
    let service = Arc::new(CommandService::new(shared).with_future_margin(config.future_margin));
    // Follows the log from its own checkpoint, so any reaction missing
    // after a crash (or given up inline under contention) is issued.
    let reactions = ReactionManager::start(
        service.clone(),
        &config.data_dir.join("reactions"),
        ReactionManagerConfig::default(),
    )
    .await
    .context("starting the reaction process manager")?;
    let state = AppState {
        service,
        blobs,
        tokens,
        views: Arc::new(views),
        max_body_bytes: config.max_body_bytes,
        clock: Arc::new(Utc::now),
        ops,
        webhooks: Arc::new(webhooks),
        shutting_down: Arc::new(tokio::sync::watch::channel(false).0),
        evidence: Arc::new(audit::EvidenceTree::new(
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
        .with_context(|| format!("writing {}", crate::held::PID_FILE))?;
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
        .with_context(|| format!("binding {}", config.listen))?;
    let address = listener.local_addr()?;
    match &config.store {
        Some(choice) if choice.is_postgres() => println!(
            "salesledger gateway listening on http://{address} (log at {}, data in {})",
            choice.describe(),
            config.data_dir.display()
        ),
        _ => println!(
            "salesledger gateway listening on http://{address} (data in {})",
            config.data_dir.display()
        ),
    }
    tracing::info!(%address, "gateway listening");
    let views = state.views.clone();
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
    .context("starting the webhook dispatcher")?;
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
            .context("starting the checkpointer")?,
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
    if let Some(Err(error)) = shutdown
        .step("read models' final persist", views.stop())
        .await
    {
        tracing::warn!(%error, "stopping the read models");
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
            anyhow::bail!(
                "shutdown incomplete after {:?}: abandoned {} (acknowledged appends are durable; read models and checkpoints resume from their last durable state)",
                self.timeout,
                self.abandoned.join(", ")
            )
        }
    }
}

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

/// For handlers that only need to say "unexpected".
pub fn internal(error: impl std::error::Error) -> ApiError {
    ApiError::internal(&error)
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_path_parameter",
            rejection.body_text(),
        )
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_query",
            rejection.body_text(),
        )
    }
}

/// Maps a body-buffering failure: 413 past the limit, 400 otherwise.
pub fn body_rejection(rejection: &axum::extract::rejection::BytesRejection) -> ApiError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            rejection.body_text(),
        )
    } else {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "unreadable_body",
            rejection.body_text(),
        )
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
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
