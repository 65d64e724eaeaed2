//! Follows the log for every active subscription and delivers what its
//! filter keeps, in order, at-least-once (see the module docs of
//! [`super`]). One worker per active subscription; a supervisor starts and
//! stops workers as subscriptions are created, paused, resumed or deleted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::Rng;
use salesledger_store::{RecordedEvent, Store, Subscription};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::subscriptions::{
    Attempt, StoredWebhook, Subscriptions, SubscriptionsError, WebhookState,
};
use super::target::{check_literal, GuardedResolver};
use super::{signature, EventFilter, WebhookSettings};

/// How often the supervisor looks for workers that stopped on their own.
const RECONCILE_EVERY: Duration = Duration::from_millis(500);
/// Persist the cursor after this many skipped (filtered-out) records.
const SKIP_PERSIST_EVERY: u64 = 512;

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("building the delivery HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("reading the webhook CA file {path}: {reason}")]
    CaFile { path: String, reason: String },
}

/// The delivery client: no redirects, no proxy, resolved addresses checked
/// again at connect time, `https` verified against the system's roots plus
/// `settings.extra_ca_file`.
fn delivery_client(
    settings: &WebhookSettings,
    allow_private: bool,
) -> Result<reqwest::Client, DispatchError> {
    crate::tls::install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .user_agent(concat!("salesledger-webhooks/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = &settings.extra_ca_file {
        let ca_error = |reason: String| DispatchError::CaFile {
            path: path.display().to_string(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|error| ca_error(error.to_string()))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|error| ca_error(error.to_string()))?;
        if certificates.is_empty() {
            return Err(ca_error("no PEM certificate in the file".to_owned()));
        }
        builder = builder.tls_certs_merge(certificates);
    }
    Ok(builder.build()?)
}

/// A running dispatcher. Dropping it aborts every delivery in flight (the
/// cursor only moves after a 2xx, so nothing is lost); [`Dispatcher::stop`]
/// does the same and waits for the tasks to end.
pub struct Dispatcher {
    stop: watch::Sender<bool>,
    supervisor: Option<JoinHandle<()>>,
}

/// A task aborted when dropped.
struct Worker {
    generation: u64,
    handle: JoinHandle<()>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

struct Context {
    store: Arc<dyn Store>,
    subscriptions: Arc<Subscriptions>,
    settings: WebhookSettings,
    client: reqwest::Client,
}

impl Dispatcher {
    /// Starts delivering every active subscription of `subscriptions` from its
    /// cursor. Within a runtime.
    pub fn start(
        store: Arc<dyn Store>,
        subscriptions: Arc<Subscriptions>,
        settings: WebhookSettings,
    ) -> Result<Dispatcher, DispatchError> {
        let client = delivery_client(&settings, subscriptions.allow_private_targets)?;
        let context = Arc::new(Context {
            store,
            subscriptions,
            settings,
            client,
        });
        let (stop, stopped) = watch::channel(false);
        let supervisor = tokio::spawn(supervise(context, stopped));
        Ok(Dispatcher {
            stop,
            supervisor: Some(supervisor),
        })
    }

    /// Stops every worker (a delivery in flight is abandoned and will be
    /// retried by the next start) and waits for the supervisor.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(supervisor) = self.supervisor.take() {
            if let Err(error) = supervisor.await {
                tracing::warn!(%error, "webhook dispatcher stopped abnormally");
            }
        }
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        if let Some(supervisor) = self.supervisor.take() {
            supervisor.abort();
        }
    }
}

async fn supervise(context: Arc<Context>, mut stopped: watch::Receiver<bool>) {
    let mut workers: HashMap<Uuid, Worker> = HashMap::new();
    let mut changes = context.subscriptions.changes();
    loop {
        let _ = changes.borrow_and_update();
        match context.subscriptions.list() {
            Ok(hooks) => {
                let active: HashMap<Uuid, u64> = hooks
                    .iter()
                    .filter(|hook| hook.state == WebhookState::Active)
                    .map(|hook| (hook.id, hook.generation))
                    .collect();
                workers.retain(|id, worker| {
                    active.get(id) == Some(&worker.generation) && !worker.handle.is_finished()
                });
                for (id, generation) in active {
                    if let std::collections::hash_map::Entry::Vacant(entry) = workers.entry(id) {
                        let handle = tokio::spawn(run_worker(context.clone(), id, generation));
                        entry.insert(Worker { generation, handle });
                    }
                }
            }
            Err(error) => tracing::error!(%error, "webhook dispatcher: reading subscriptions"),
        }
        tokio::select! {
            _ = changes.changed() => {}
            _ = stopped.changed() => break,
            () = tokio::time::sleep(RECONCILE_EVERY) => {}
        }
        if *stopped.borrow() {
            break;
        }
    }
    drop(workers);
}

/// The delay before retry number `failures` (1-based): the base doubled
/// per failure, capped, plus up to half of it again as jitter.
pub fn backoff(settings: &WebhookSettings, failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(30);
    let delay = settings
        .retry_base
        .saturating_mul(1u32 << exponent)
        .min(settings.retry_max);
    let jitter_ms = u64::try_from(delay.as_millis() / 2).unwrap_or(u64::MAX);
    let jitter = rand::thread_rng().gen_range(0..=jitter_ms);
    delay + Duration::from_millis(jitter)
}

async fn run_worker(context: Arc<Context>, id: Uuid, generation: u64) {
    let hook = match context.subscriptions.get(id) {
        Ok(Some(hook)) if hook.generation == generation && hook.state == WebhookState::Active => {
            hook
        }
        Ok(_) => return,
        Err(error) => {
            tracing::error!(%error, %id, "webhook worker: reading the subscription");
            return;
        }
    };
    let mut subscription = Subscription::new(context.store.clone(), hook.cursor);
    let mut skipped = 0u64;
    while let Some(next) = subscription.next().await {
        let record = match next {
            Ok(record) => record,
            Err(error) => {
                tracing::error!(%error, %id, "webhook worker: reading the log");
                // The supervisor restarts the worker from its cursor.
                tokio::time::sleep(Duration::from_secs(1)).await;
                return;
            }
        };
        let payload: serde_json::Value =
            serde_json::from_str(record.payload.as_str()).unwrap_or(serde_json::Value::Null);
        if !hook.filter.matches(&record.event_type, &payload) {
            skipped += 1;
            let caught_up = record.position + 1 >= context.store.head().len;
            if skipped >= SKIP_PERSIST_EVERY || caught_up {
                skipped = 0;
                let cursor = record.position + 1;
                match update_off_runtime(&context.subscriptions, id, generation, move |hook| {
                    hook.cursor = hook.cursor.max(cursor)
                })
                .await
                {
                    Ok(Some(_)) => {}
                    Ok(None) => return,
                    Err(error) => {
                        tracing::error!(%error, %id, "webhook worker: saving the cursor");
                        return;
                    }
                }
            }
            continue;
        }
        skipped = 0;
        if !deliver(&context, &hook, generation, &record, &payload).await {
            return;
        }
    }
}

/// The JSON body of a delivery.
fn body(hook: &StoredWebhook, record: &RecordedEvent, payload: &serde_json::Value) -> Vec<u8> {
    let body = serde_json::json!({
        "webhook_id": hook.id,
        "event_id": record.event_id,
        "position": record.position,
        "event_type": record.event_type,
        "schema_version": record.schema_version,
        "stream_id": record.stream_id,
        "stream_version": record.stream_version,
        "recorded_at": record.recorded_at,
        "actor": record.actor,
        "payload": payload,
        "task_cards": EventFilter::card_kinds(&record.event_type, payload),
        "hash": record.hash.to_hex(),
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// Delivers one record until a 2xx (returns true) or until the worker
/// must stop: paused after too many failures, or the subscription changed
/// (returns false).
async fn deliver(
    context: &Context,
    hook: &StoredWebhook,
    generation: u64,
    record: &RecordedEvent,
    payload: &serde_json::Value,
) -> bool {
    let body = body(hook, record, payload);
    loop {
        let attempted_at = Utc::now();
        let timestamp = attempted_at.timestamp();
        let started = Instant::now();
        let result = send(context, hook, record, timestamp, &body).await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (status, error) = match result {
            Ok(status) if (200..300).contains(&status) => (Some(status), None),
            Ok(status) => (Some(status), Some(format!("HTTP {status}"))),
            Err(error) => (None, Some(error)),
        };
        let delivered = error.is_none();
        let attempt = Attempt {
            position: record.position,
            event_id: record.event_id,
            attempted_at,
            outcome: if delivered { "delivered" } else { "failed" }.into(),
            status,
            error: error.clone(),
            duration_ms,
        };
        let pause_after = context.settings.pause_after;
        let next_cursor = record.position + 1;
        let last_error = error.clone();
        let saved =
            update_off_runtime(&context.subscriptions, hook.id, generation, move |stored| {
                stored.push_attempt(attempt);
                if delivered {
                    stored.cursor = stored.cursor.max(next_cursor);
                    stored.consecutive_failures = 0;
                    stored.n_delivered += 1;
                } else {
                    stored.consecutive_failures += 1;
                    if stored.consecutive_failures >= pause_after {
                        stored.state = WebhookState::Paused;
                        stored.paused_reason = Some(format!(
                            "{} consecutive failed attempts; last: {}",
                            stored.consecutive_failures,
                            last_error.as_deref().unwrap_or("unknown")
                        ));
                        // A pause is a control change: bump the generation
                        // so the supervisor stops this worker.
                        stored.generation += 1;
                    }
                }
            })
            .await;
        // Paused by this very attempt (it bumped the generation).
        let paused = matches!(&saved, Ok(Some(stored)) if stored.generation != generation);
        let failures = match saved {
            Ok(Some(stored)) => stored.consecutive_failures,
            Ok(None) => return false,
            Err(error) => {
                tracing::error!(%error, id = %hook.id, "webhook worker: saving an attempt");
                return false;
            }
        };
        if delivered {
            tracing::debug!(id = %hook.id, position = record.position, "webhook delivered");
            return true;
        }
        if paused {
            tracing::warn!(id = %hook.id, position = record.position, failures, "webhook paused after repeated failures");
            return false;
        }
        let delay = backoff(&context.settings, failures);
        tracing::info!(id = %hook.id, position = record.position, failures, delay_ms = delay.as_millis() as u64, error = error.as_deref().unwrap_or(""), "webhook delivery failed; retrying");
        tokio::time::sleep(delay).await;
    }
}

/// [`Subscriptions::update`] (not a control change, checked against
/// `generation`) on the blocking pool: each save is flushed and fsynced,
/// which a runtime thread should not wait on.
async fn update_off_runtime(
    subscriptions: &Arc<Subscriptions>,
    id: Uuid,
    generation: u64,
    change: impl FnOnce(&mut StoredWebhook) + Send + 'static,
) -> Result<Option<StoredWebhook>, SubscriptionsError> {
    let subscriptions = subscriptions.clone();
    tokio::task::spawn_blocking(move || subscriptions.update(id, Some(generation), false, change))
        .await
        .unwrap_or(Err(SubscriptionsError::Poisoned))
}

async fn send(
    context: &Context,
    hook: &StoredWebhook,
    record: &RecordedEvent,
    timestamp: i64,
    body: &[u8],
) -> Result<u16, String> {
    let url = reqwest::Url::parse(&hook.url).map_err(|error| error.to_string())?;
    check_literal(&url, context.subscriptions.allow_private_targets)
        .map_err(|error| error.to_string())?;
    let response = context
        .client
        .post(url)
        .header("content-type", "application/json")
        .header("x-salesledger-event-id", record.event_id.to_string())
        .header("x-salesledger-position", record.position.to_string())
        .header("x-salesledger-timestamp", timestamp.to_string())
        .header(
            "x-salesledger-signature",
            signature(&hook.secret, timestamp, body),
        )
        .header("x-salesledger-webhook-id", hook.id.to_string())
        .body(body.to_vec())
        .send()
        .await
        .map_err(|error| {
            // Without the URL: its query may hold a chat bot's token, and
            // this text is logged and kept in the subscription's attempts.
            let error = error.without_url();
            let mut text = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        })?;
    Ok(response.status().as_u16())
}
