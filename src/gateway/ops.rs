//! Operating gateways: `GET /metrics` (Prometheus text format) and
//! `GET /readyz`, both unauthenticated like `/healthz`, on every gateway
//! whatever its backend.
//!
//! # Metrics
//! One `prometheus::Registry` per gateway (no process-global recorder, so
//! several gateways in one test process never mix their figures):
//! - `salesledger_http_requests_total{method,route,status}` and
//!   `salesledger_http_request_duration_seconds{method,route,status}`: by
//!   **route template** (axum's `MatchedPath`, e.g.
//!   `/v1/customers/{id}/claim`), never the raw URI; requests that match no
//!   route count under `route="unmatched"`;
//! - `salesledger_append_events` (events per append request) and
//!   `salesledger_append_duration_seconds{outcome}` (`ok`, `conflict`,
//!   `error`): measured around `Store::append` by
//!   [`MeteredStore`], the
//!   store the command pipeline appends through (the store crate stays
//!   free of metrics); `salesledger_store_group_commits_total` and
//!   `salesledger_store_records_total`: this process's writer, so records
//!   per group commit is their ratio;
//! - `salesledger_log_head` (records committed, as this process knows),
//!   `salesledger_log_head_at_start`,
//!   `salesledger_projection_checkpoint{projector}`,
//!   `salesledger_projection_lag_positions{projector}` (log head minus the
//!   projector's checkpoint), `salesledger_projection_running{projector}`;
//! - PostgreSQL: `salesledger_pg_pool_connections{state="max|open|idle"}`,
//!   `salesledger_pg_pool_waiting`, `salesledger_pg_listener_up` (the
//!   LISTEN connection that carries other processes' appends).
//!
//! # Readiness and health
//! `/readyz` is 200 once every table projector has committed everything
//! the log held when the process started (and none has failed) and the log
//! accepts appends, else 503 with a JSON body naming each lagging projector
//! and by how many positions, each failed one under `failed` with the
//! position it stopped at and why (`{projector, position, reason}`), and, while appends fail, `"log": {"status":
//! "unavailable", "reason": ...}` (reason names the log and the error, e.g.
//! a full disk). `/healthz` stays 200 (the process is up and reads work)
//! but says `"status": "degraded"` with `last_append_error` while appends
//! fail. Both recover by themselves when appends succeed again: on sled the
//! log writer's own state ([`salesledger_store::SledStore::health`], which
//! recovers in the background when space returns); on PostgreSQL the last
//! append this gateway made (`crate::metrics::MeteredStore`).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::AppState;
pub use crate::metrics::{LogTrouble, MeteredStore, Ops};

/// Middleware: counts and times every request by its route template.
pub async fn track(State(ops): State<Arc<Ops>>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    ops.observe_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Response {
    match state.ops.render(state.views.current().as_deref()) {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "rendering metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `GET /readyz`.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let target = state.ops.head_at_start();
    let head = state.service.store().head().len;
    let runner = state.views.current();
    let statuses = runner
        .as_ref()
        .map(|runner| runner.status())
        .unwrap_or_default();
    let lagging: Vec<serde_json::Value> = statuses
        .iter()
        .filter(|status| status.committed.next_position < target || status.failed.is_some())
        .map(|status| {
            serde_json::json!({
                "projector": status.name,
                "checkpoint": status.committed.next_position,
                "behind_by": target.saturating_sub(status.committed.next_position),
                "stopped_because": status.failed.as_ref().map(|failure| failure.reason.clone()),
            })
        })
        .collect();
    let failed: Vec<serde_json::Value> = statuses
        .iter()
        .filter_map(|status| {
            status.failed.as_ref().map(|failure| {
                serde_json::json!({
                    "projector": status.name,
                    "position": failure.position,
                    "reason": failure.reason,
                })
            })
        })
        .collect();
    let trouble = state.ops.log_trouble();
    let log = match &trouble {
        None => serde_json::json!({"status": "available"}),
        Some(trouble) => serde_json::json!({
            "status": "unavailable",
            "storage_full": trouble.storage_full,
            "reason": format!("the event log refuses appends: {}", trouble.error),
        }),
    };
    let ready = lagging.is_empty() && trouble.is_none() && runner.is_some();
    let mut body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "log_head_at_start": target,
        "log_head": head,
        "lagging": lagging,
        "failed": failed,
        "log": log,
    });
    if runner.is_none() {
        body["views"] = serde_json::json!({
            "status": "reopening",
            "reason": "the read models are being reopened after their tables could not be written",
        });
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// `GET /healthz`: the process is up and the log is readable; `degraded`
/// (still 200) with the last append error while appends fail.
pub async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    let head = state.service.store().head();
    let mut body =
        serde_json::json!({"status": "ok", "log_len": head.len, "head_hash": head.last_hash});
    if let Some(trouble) = state.ops.log_trouble() {
        body["status"] = serde_json::json!("degraded");
        body["last_append_error"] = serde_json::json!(trouble.error);
        body["storage_full"] = serde_json::json!(trouble.storage_full);
    }
    Json(body)
}
