//! The HTTP gateway: a small, resource-oriented JSON API under `/v1/` over
//! the command pipeline, plus `/healthz` and `/openapi.json`. It serves
//! HTTP over an [`AppState`] it is given: opening the log, the read models
//! and the background tasks is `crate::app`'s (the composition root).
//!
//! Only this module knows HTTP; the JSON shapes of command requests are
//! `crate::requests`, which this module routes. Every command route
//! runs the same steps ([`commands::handle`]): authenticate (middleware,
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
pub mod ingest;
pub mod localize;
pub mod media;
pub mod openapi;
pub mod ops;
pub mod pos_lines;
pub mod problem;
pub mod query_guard;
pub mod reactions;
pub mod readable;
pub mod reads;
pub mod route;
pub mod routes;
pub mod stores;
pub mod tokens;
pub mod views;
pub mod webhooks;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use salesledger_commands::{CommandService, ReactionManager};
use salesledger_replay::readmodel::TableRunner;
use salesledger_store::FsBlobStore;

use self::problem::ApiError;
use crate::tokens::TokenStore;

/// Default limit on a JSON request body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub service: Arc<CommandService>,
    pub blobs: FsBlobStore,
    pub tokens: Arc<TokenStore>,
    /// The read models as keyed tables, following the log
    /// (`/v1/views/...`, the dashboard's data, `/readyz`, `/metrics`),
    /// reopened in place after their tables could not be written
    /// ([`crate::views::live`]).
    pub views: crate::views::live::LiveViews,
    pub max_body_bytes: usize,
    /// The gateway's clock; decisions receive its reading as `now`.
    pub clock: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>,
    /// Metrics and readiness (`/metrics`, `/readyz`).
    pub ops: Arc<ops::Ops>,
    /// Webhook subscriptions (`/v1/webhooks`, delivered by
    /// [`crate::webhooks::Dispatcher`]).
    pub webhooks: Arc<crate::webhooks::Subscriptions>,
    /// Set to `true` when `serve` begins its graceful shutdown, so
    /// never-ending responses (the SSE feed) end instead of holding it up.
    pub shutting_down: Arc<tokio::sync::watch::Sender<bool>>,
    /// The Merkle tree evidence bundles are proven with (`/v1/audit/evidence/...`).
    pub evidence: Arc<crate::evidence::EvidenceTree>,
    /// The reaction process manager (`DATA/reactions/`): completes every
    /// reaction the inline path could not (`/v1/reactions/{event_id}`).
    pub reactions: Arc<ReactionManager>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The read models now, or `503 views_reopening` while they are
    /// reopened after their tables could not be written.
    pub fn views(&self) -> Result<Arc<TableRunner>, problem::ApiError> {
        self.views.current().ok_or_else(|| {
            problem::ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "views_reopening",
                "the read models are being reopened after their tables could not be written; retry shortly",
            )
        })
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
    let v1 = routes::routes()
        .merge(reads::routes(max_blob_bytes))
        .merge(views::routes())
        .merge(stores::routes())
        .merge(audit::routes())
        .merge(feed::routes())
        .merge(dashboard::api_routes())
        .merge(webhooks::routes())
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
        .layer(axum::middleware::from_fn(localize::localize_problems))
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

/// Runs one JSON `POST` through the router in process, as the holder of
/// `token` (which `state.tokens` must know): how the demo seeds through
/// the gateway's own routes. The answer's status and body (at most 1 MiB).
pub async fn post_in_process(
    state: AppState,
    path: &str,
    token: &str,
    body: &serde_json::Value,
) -> anyhow::Result<(u16, Vec<u8>)> {
    use axum::http::header;
    use tower::ServiceExt;
    let request = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(serde_json::to_vec(body)?))?;
    let response = router(state).oneshot(request).await?;
    let status = response.status().as_u16();
    let answer = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    Ok((status, answer.to_vec()))
}

/// For handlers that only need to say "unexpected".
pub fn internal(error: impl std::error::Error) -> ApiError {
    ApiError::internal(&error)
}

/// An extractor's rejection is a `400` with its code and axum's text.
macro_rules! bad_request_from {
    ($($rejection:ty => $code:literal),+ $(,)?) => {$(
        impl From<$rejection> for ApiError {
            fn from(rejection: $rejection) -> Self {
                ApiError::new(axum::http::StatusCode::BAD_REQUEST, $code, rejection.body_text())
            }
        }
    )+};
}

bad_request_from! {
    axum::extract::rejection::PathRejection => "invalid_path_parameter",
    axum::extract::rejection::QueryRejection => "invalid_query",
}

/// Reads `body` within `limit` bytes: over it, `too_large()`'s problem;
/// a body that cannot be read, `400 unreadable_body`.
pub async fn read_body_within(
    body: axum::body::Body,
    limit: usize,
    too_large: impl FnOnce() -> ApiError,
) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|error| {
        let limit_hit = std::error::Error::source(&error)
            .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
        if limit_hit {
            too_large()
        } else {
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "unreadable_body",
                error.to_string(),
            )
        }
    })
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
