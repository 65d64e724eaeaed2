//! A gateway's metrics and what its `/readyz` and `/healthz` say of the
//! log: one `prometheus::Registry` per gateway (no process-global
//! recorder, so several gateways in one test process never mix their
//! figures), and [`MeteredStore`], the store the command pipeline appends
//! through, which counts and times appends (the store crate stays free of
//! metrics). The gateway serves them (`gateway::ops` lists every metric);
//! nothing here knows HTTP but the request figures it is handed.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use salesledger_replay::readmodel::TableRunner;
use salesledger_store::{
    AppendOutcome, AppendRequest, LogHead, RecordedEvent, RegistrationLock, Store, StoreError,
    StoredOutcome,
};
use tokio::sync::watch;

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
                | StoreError::PostgresUnreachable(_)
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

    /// Counts and times one HTTP request by its route template.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
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

    /// Updates the gauges read at scrape time and renders the text format
    /// (the projectors' gauges stay as they were while `views` is `None`,
    /// being reopened).
    pub fn render(&self, views: Option<&TableRunner>) -> Result<String, prometheus::Error> {
        let head = self.store.store().head().len;
        self.log_head.set(to_i64(head));
        for status in views.map(TableRunner::status).unwrap_or_default() {
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
