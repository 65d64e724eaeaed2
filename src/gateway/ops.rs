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
//!   `error`): measured around `Store::append` by [`MeteredStore`], the
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
//! append this gateway made ([`MeteredStore`]).

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use salesledger_store::{
    AppendOutcome, AppendRequest, LogHead, RecordedEvent, RegistrationLock, Store, StoreError,
    StoredOutcome,
};
use tokio::sync::watch;

use super::AppState;
use crate::backend::{Backend, OpenedStore};

/// Every metric of one gateway, and what `/readyz` compares with.
pub struct Ops {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    append_events: Histogram,
    append_duration: HistogramVec,
    group_commits: IntCounter,
    records_written: IntCounter,
    log_head: IntGauge,
    projection_checkpoint: IntGaugeVec,
    projection_lag: IntGaugeVec,
    projection_running: IntGaugeVec,
    pool_connections: IntGaugeVec,
    pool_waiting: IntGauge,
    listener_up: IntGauge,
    store: OpenedStore,
    head_at_start: u64,
    /// The last append this gateway made, when it failed for a reason of
    /// the log's own (not a conflict or a bad request); cleared by a success.
    last_append_failure: std::sync::Mutex<Option<String>>,
}

/// Why the log refuses appends now (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogTrouble {
    pub error: String,
    pub storage_full: bool,
}

impl Ops {
    /// Metrics for a gateway on `store`; `head_at_start` is the log's
    /// length when the process started (what `/readyz` waits for).
    pub fn new(store: OpenedStore, head_at_start: u64) -> Result<Ops, prometheus::Error> {
        let registry = Registry::new();
        let http_labels = ["method", "route", "status"];
        let http_requests = IntCounterVec::new(
            Opts::new(
                "salesledger_http_requests_total",
                "HTTP requests by route template and status",
            ),
            &http_labels,
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "salesledger_http_request_duration_seconds",
                "HTTP request latency by route template and status",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &http_labels,
        )?;
        let append_events = Histogram::with_opts(
            HistogramOpts::new(
                "salesledger_append_events",
                "Events per append request made by this gateway",
            )
            .buckets(vec![1.0, 2.0, 3.0, 5.0, 8.0, 16.0, 32.0, 64.0]),
        )?;
        let append_duration = HistogramVec::new(
            HistogramOpts::new(
                "salesledger_append_duration_seconds",
                "Latency of Store::append until durable, by outcome (ok, conflict, error)",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["outcome"],
        )?;
        let group_commits = IntCounter::new(
            "salesledger_store_group_commits_total",
            "Group commits (one durable write each) made by this process's log writer",
        )?;
        let records_written = IntCounter::new(
            "salesledger_store_records_total",
            "Records written by this process's log writer",
        )?;
        let log_head = IntGauge::new(
            "salesledger_log_head",
            "Records committed in the log, as this process knows (the next position)",
        )?;
        let log_head_at_start = IntGauge::new(
            "salesledger_log_head_at_start",
            "Records in the log when this process started (what /readyz waits for)",
        )?;
        log_head_at_start.set(i64::try_from(head_at_start).unwrap_or(i64::MAX));
        let projection_checkpoint = IntGaugeVec::new(
            Opts::new(
                "salesledger_projection_checkpoint",
                "Next position each projector will apply",
            ),
            &["projector"],
        )?;
        let projection_lag = IntGaugeVec::new(
            Opts::new(
                "salesledger_projection_lag_positions",
                "Log head minus the projector's checkpoint",
            ),
            &["projector"],
        )?;
        let projection_running = IntGaugeVec::new(
            Opts::new(
                "salesledger_projection_running",
                "1 while the projector follows the log, 0 once it stopped",
            ),
            &["projector"],
        )?;
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "salesledger_pg_pool_connections",
                "PostgreSQL pool connections: max, open, idle",
            ),
            &["state"],
        )?;
        let pool_waiting = IntGauge::new(
            "salesledger_pg_pool_waiting",
            "Tasks waiting for a PostgreSQL pool connection",
        )?;
        let listener_up = IntGauge::new(
            "salesledger_pg_listener_up",
            "1 while the LISTEN connection (other processes' appends) is up",
        )?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(append_events.clone()))?;
        registry.register(Box::new(append_duration.clone()))?;
        registry.register(Box::new(group_commits.clone()))?;
        registry.register(Box::new(records_written.clone()))?;
        registry.register(Box::new(log_head.clone()))?;
        registry.register(Box::new(log_head_at_start))?;
        registry.register(Box::new(projection_checkpoint.clone()))?;
        registry.register(Box::new(projection_lag.clone()))?;
        registry.register(Box::new(projection_running.clone()))?;
        if matches!(store.backend(), Backend::Postgres(_)) {
            registry.register(Box::new(pool_connections.clone()))?;
            registry.register(Box::new(pool_waiting.clone()))?;
            registry.register(Box::new(listener_up.clone()))?;
        }
        Ok(Ops {
            registry,
            http_requests,
            http_duration,
            append_events,
            append_duration,
            group_commits,
            records_written,
            log_head,
            projection_checkpoint,
            projection_lag,
            projection_running,
            pool_connections,
            pool_waiting,
            listener_up,
            store,
            head_at_start,
            last_append_failure: std::sync::Mutex::new(None),
        })
    }

    /// `None` while the log accepts appends; else why it does not.
    pub fn log_trouble(&self) -> Option<LogTrouble> {
        match self.store.backend() {
            Backend::Sled(store) => store.health().map(|failure| LogTrouble {
                error: failure.error,
                storage_full: failure.storage_full,
            }),
            Backend::Postgres(_) => self
                .last_append_failure
                .lock()
                .map(|failure| failure.clone())
                .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
                .map(|error| LogTrouble {
                    storage_full: false,
                    error,
                }),
        }
    }

    fn record_append_result(&self, result: &Result<AppendOutcome, StoreError>) {
        let failure = match result {
            Ok(_) => None,
            Err(
                error @ (StoreError::Io(_)
                | StoreError::Sled(_)
                | StoreError::Postgres(_)
                | StoreError::InsufficientStorage(_)
                | StoreError::Unavailable(_)
                | StoreError::Poisoned),
            ) => Some(error.to_string()),
            // Conflicts, bad requests and a closing store say nothing of
            // the log's health.
            Err(_) => return,
        };
        match self.last_append_failure.lock() {
            Ok(mut last) => *last = failure,
            Err(poisoned) => *poisoned.into_inner() = failure,
        }
    }

    /// The log's length when the process started.
    pub fn head_at_start(&self) -> u64 {
        self.head_at_start
    }

    fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.http_requests.with_label_values(&labels).inc();
        self.http_duration
            .with_label_values(&labels)
            .observe(seconds);
    }

    fn observe_append(&self, n_events: usize, outcome: &str, seconds: f64) {
        self.append_events.observe(n_events as f64);
        self.append_duration
            .with_label_values(&[outcome])
            .observe(seconds);
    }

    /// Updates the gauges read at scrape time and renders the text format.
    fn render(&self, state: &AppState) -> Result<String, prometheus::Error> {
        let head = self.store.store().head().len;
        self.log_head.set(to_i64(head));
        for status in state.views.status() {
            let checkpoint = status.committed.next_position;
            self.projection_checkpoint
                .with_label_values(&[status.name])
                .set(to_i64(checkpoint));
            self.projection_lag
                .with_label_values(&[status.name])
                .set(to_i64(head.saturating_sub(checkpoint)));
            self.projection_running
                .with_label_values(&[status.name])
                .set(i64::from(status.failed.is_none()));
        }
        let (n_batches, n_records) = self.store.writer_counters();
        catch_up(&self.group_commits, n_batches);
        catch_up(&self.records_written, n_records);
        if let Backend::Postgres(store) = self.store.backend() {
            let pool = store.pool().status();
            for (state, value) in [
                ("max", pool.max_size),
                ("open", pool.size),
                ("idle", pool.available),
            ] {
                self.pool_connections
                    .with_label_values(&[state])
                    .set(i64::try_from(value).unwrap_or(i64::MAX));
            }
            self.pool_waiting
                .set(i64::try_from(pool.waiting).unwrap_or(i64::MAX));
            self.listener_up.set(i64::from(store.listener_connected()));
        }
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        String::from_utf8(buffer).map_err(|error| prometheus::Error::Msg(error.to_string()))
    }
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Moves a counter up to a total kept elsewhere.
fn catch_up(counter: &IntCounter, total: u64) {
    let current = counter.get();
    if total > current {
        counter.inc_by(total - current);
    }
}

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
    match state.ops.render(&state) {
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
    let statuses = state.views.status();
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
    let ready = lagging.is_empty() && trouble.is_none();
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "log_head_at_start": target,
        "log_head": head,
        "lagging": lagging,
        "failed": failed,
        "log": log,
    });
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

/// The store the command pipeline appends through: every call goes to
/// the inner store; appends are counted and timed into [`Ops`].
pub struct MeteredStore {
    inner: Arc<dyn Store>,
    ops: std::sync::OnceLock<Arc<Ops>>,
}

impl MeteredStore {
    pub fn new(inner: Arc<dyn Store>) -> MeteredStore {
        MeteredStore {
            inner,
            ops: std::sync::OnceLock::new(),
        }
    }

    /// Starts recording into `ops` (set once; later calls are ignored).
    pub fn record_into(&self, ops: Arc<Ops>) {
        let _ = self.ops.set(ops);
    }
}

#[async_trait]
impl Store for MeteredStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        let n_events = request.events.len();
        let started = Instant::now();
        let result = self.inner.append(request).await;
        if let Some(ops) = self.ops.get() {
            ops.record_append_result(&result);
            let outcome = match &result {
                Ok(_) => "ok",
                Err(StoreError::WrongExpectedVersion { .. }) => "conflict",
                Err(_) => "error",
            };
            ops.observe_append(n_events, outcome, started.elapsed().as_secs_f64());
        }
        result
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream_id, from_version, limit).await
    }

    async fn read_all(
        &self,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(from_position, limit).await
    }

    async fn stream_version(&self, stream_id: &str) -> Result<Option<u64>, StoreError> {
        self.inner.stream_version(stream_id).await
    }

    async fn idempotent_outcome(&self, key: &str) -> Result<Option<StoredOutcome>, StoreError> {
        self.inner.idempotent_outcome(key).await
    }

    fn head(&self) -> LogHead {
        self.inner.head()
    }

    fn watch_head(&self) -> watch::Receiver<LogHead> {
        self.inner.watch_head()
    }

    async fn registration_lock(&self) -> Result<RegistrationLock, StoreError> {
        self.inner.registration_lock().await
    }

    async fn import(&self, records: Vec<RecordedEvent>) -> Result<LogHead, StoreError> {
        self.inner.import(records).await
    }
}
