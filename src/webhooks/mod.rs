//! Signed webhooks: subscriptions managed through the API
//! (`/v1/webhooks`, served by `gateway::webhooks`; this module knows no
//! HTTP server), stored durably in the data directory
//! ([`subscriptions`]), and delivered by a [`dispatcher`] that follows the log
//! from each subscription's cursor.
//!
//! Delivery is an outbox driven by the log position: the log itself is the
//! queue, and each subscription keeps one durable cursor (the next position
//! to deliver). A record is POSTed, and the cursor advanced and flushed
//! only after a 2xx; so delivery is at-least-once and in order per
//! subscription, and a crash duplicates at most the record in flight.
//!
//! Each delivery carries `X-Salesledger-Event-Id` (the receiver's
//! idempotency key), `X-Salesledger-Position`, `X-Salesledger-Timestamp`
//! (Unix seconds) and `X-Salesledger-Signature: v1=<hex>`, the
//! HMAC-SHA256 under the subscription's secret of `timestamp + "." + body`.

pub mod dispatcher;
pub mod secrets;
pub mod subscriptions;
pub mod target;

use std::time::Duration;

use hmac::Mac;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use dispatcher::Dispatcher;
pub use subscriptions::{Subscriptions, SubscriptionsError};

/// How webhooks are delivered. [`WebhookSettings::from_env`] reads
/// overrides from the environment for `salesledger serve`.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// Allow targets on loopback, private, link-local and other
    /// non-public addresses (tests and closed networks only).
    pub allow_private_targets: bool,
    /// First retry delay; doubled per consecutive failure, plus jitter.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// Consecutive failed attempts after which a subscription is paused.
    pub pause_after: u32,
    /// Per-request timeout.
    pub timeout: Duration,
    /// PEM file of extra certificate authorities trusted for `https`
    /// targets, besides the platform's roots (e.g. a company CA).
    pub extra_ca_file: Option<std::path::PathBuf>,
}

impl Default for WebhookSettings {
    fn default() -> WebhookSettings {
        WebhookSettings {
            allow_private_targets: false,
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            pause_after: 8,
            timeout: Duration::from_secs(10),
            extra_ca_file: None,
        }
    }
}

impl WebhookSettings {
    /// The defaults, overridden by `SALESLEDGER_WEBHOOKS_ALLOW_PRIVATE_TARGETS`
    /// (`1`/`true`), `SALESLEDGER_WEBHOOKS_RETRY_BASE_MS`,
    /// `SALESLEDGER_WEBHOOKS_RETRY_MAX_MS`, `SALESLEDGER_WEBHOOKS_PAUSE_AFTER`,
    /// `SALESLEDGER_WEBHOOKS_TIMEOUT_MS` and `SALESLEDGER_WEBHOOKS_CA_FILE`;
    /// unparsable values are ignored with a warning (an unreadable CA file
    /// stops the dispatcher from starting).
    pub fn from_env() -> WebhookSettings {
        let mut settings = WebhookSettings::default();
        let var = |name: &str| std::env::var(name).ok();
        if let Some(value) = var("SALESLEDGER_WEBHOOKS_ALLOW_PRIVATE_TARGETS") {
            settings.allow_private_targets = matches!(value.as_str(), "1" | "true" | "yes");
        }
        let millis = |name: &str| -> Option<Duration> {
            let value = var(name)?;
            match value.parse::<u64>() {
                Ok(ms) => Some(Duration::from_millis(ms)),
                Err(_) => {
                    tracing::warn!(name, value, "ignoring an unparsable setting");
                    None
                }
            }
        };
        if let Some(base) = millis("SALESLEDGER_WEBHOOKS_RETRY_BASE_MS") {
            settings.retry_base = base;
        }
        if let Some(max) = millis("SALESLEDGER_WEBHOOKS_RETRY_MAX_MS") {
            settings.retry_max = max;
        }
        if let Some(timeout) = millis("SALESLEDGER_WEBHOOKS_TIMEOUT_MS") {
            settings.timeout = timeout;
        }
        if let Some(path) = var("SALESLEDGER_WEBHOOKS_CA_FILE") {
            settings.extra_ca_file = Some(path.into());
        }
        if let Some(value) = var("SALESLEDGER_WEBHOOKS_PAUSE_AFTER") {
            match value.parse::<u32>() {
                Ok(n) if n > 0 => settings.pause_after = n,
                _ => tracing::warn!(value, "ignoring SALESLEDGER_WEBHOOKS_PAUSE_AFTER"),
            }
        }
        settings
    }
}

/// A kind of task card a subscription can ask for by name, mapped to event
/// types and payload conditions by [`TaskCardKind::matches`]:
///
/// | kind | events |
/// |---|---|
/// | `csm_callback` | `CallbackTaskCreated` |
/// | `overdue_sales` | `OverdueTaskCardIssued` with `department = "sales"` |
/// | `overdue_finance` | `OverdueTaskCardIssued` with `department = "finance"` |
/// | `overdue_legal` | `OverdueTaskCardIssued` with `department = "legal"` |
/// | `red_alert` | `RenewalQuotingFrozen`, and `HealthLevelChanged` with `to = "red"` |
/// | `todo` | `TodoCreated` |
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TaskCardKind {
    CsmCallback,
    OverdueSales,
    OverdueFinance,
    OverdueLegal,
    RedAlert,
    Todo,
}

impl TaskCardKind {
    /// Whether a record of `event_type` with `payload` is this kind of card.
    pub fn matches(self, event_type: &str, payload: &serde_json::Value) -> bool {
        let department = || payload.get("department").and_then(|value| value.as_str());
        match self {
            TaskCardKind::CsmCallback => event_type == "CallbackTaskCreated",
            TaskCardKind::OverdueSales => {
                event_type == "OverdueTaskCardIssued" && department() == Some("sales")
            }
            TaskCardKind::OverdueFinance => {
                event_type == "OverdueTaskCardIssued" && department() == Some("finance")
            }
            TaskCardKind::OverdueLegal => {
                event_type == "OverdueTaskCardIssued" && department() == Some("legal")
            }
            TaskCardKind::RedAlert => {
                event_type == "RenewalQuotingFrozen"
                    || (event_type == "HealthLevelChanged"
                        && payload.get("to").and_then(|value| value.as_str()) == Some("red"))
            }
            TaskCardKind::Todo => event_type == "TodoCreated",
        }
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskCardKind::CsmCallback => "csm_callback",
            TaskCardKind::OverdueSales => "overdue_sales",
            TaskCardKind::OverdueFinance => "overdue_finance",
            TaskCardKind::OverdueLegal => "overdue_legal",
            TaskCardKind::RedAlert => "red_alert",
            TaskCardKind::Todo => "todo",
        }
    }
}

/// What a subscription receives: records whose type is listed (`"*"` for
/// every type), or that are one of the listed task cards.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFilter {
    pub event_types: Vec<String>,
    pub task_cards: Vec<TaskCardKind>,
}

/// Most event types and task-card kinds one subscription names.
pub const MAX_FILTER_ITEMS: usize = 64;

/// Why a new subscription's filter is refused (`invalid_webhook_filter`).
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("name at least one event type or task-card kind")]
    Empty,
    #[error("at most {MAX_FILTER_ITEMS} event types and task-card kinds")]
    TooMany,
    #[error("{0} is not an event type name")]
    NotAnEventType(String),
}

impl EventFilter {
    /// A new subscription's filter: each list sorted without repeats, at
    /// least one item and at most [`MAX_FILTER_ITEMS`], every event type a
    /// name ([`crate::feed::is_event_type_name`]) or `"*"`.
    pub fn new(
        mut event_types: Vec<String>,
        mut task_cards: Vec<TaskCardKind>,
    ) -> Result<EventFilter, FilterError> {
        event_types.sort();
        event_types.dedup();
        task_cards.sort();
        task_cards.dedup();
        if event_types.is_empty() && task_cards.is_empty() {
            return Err(FilterError::Empty);
        }
        if event_types.len() + task_cards.len() > MAX_FILTER_ITEMS {
            return Err(FilterError::TooMany);
        }
        if let Some(bad) = event_types
            .iter()
            .find(|name| name.as_str() != "*" && !crate::feed::is_event_type_name(name))
        {
            return Err(FilterError::NotAnEventType(bad.clone()));
        }
        Ok(EventFilter {
            event_types,
            task_cards,
        })
    }

    pub fn matches(&self, event_type: &str, payload: &serde_json::Value) -> bool {
        self.event_types
            .iter()
            .any(|name| name == "*" || name == event_type)
            || self
                .task_cards
                .iter()
                .any(|kind| kind.matches(event_type, payload))
    }

    /// The task-card kinds this record is (for the delivery body).
    pub fn card_kinds(event_type: &str, payload: &serde_json::Value) -> Vec<TaskCardKind> {
        [
            TaskCardKind::CsmCallback,
            TaskCardKind::OverdueSales,
            TaskCardKind::OverdueFinance,
            TaskCardKind::OverdueLegal,
            TaskCardKind::RedAlert,
            TaskCardKind::Todo,
        ]
        .into_iter()
        .filter(|kind| kind.matches(event_type, payload))
        .collect()
    }
}

/// `v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail; fall back to
    // an empty signature rather than panic if it ever did.
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
        // Computed independently: python3 -c 'import hmac,hashlib;
        // print(hmac.new(b"whsec_test", b"1700000000.{\"a\":1}",
        // hashlib.sha256).hexdigest())'
        let signed = signature("whsec_test", 1_700_000_000, b"{\"a\":1}");
        assert_eq!(
            signed,
            "v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
        assert_ne!(
            signed,
            signature("whsec_other", 1_700_000_000, b"{\"a\":1}")
        );
    }

    #[test]
    fn task_cards_map_to_event_types_and_payloads() {
        let red = serde_json::json!({"to": "red"});
        let yellow = serde_json::json!({"to": "yellow"});
        assert!(TaskCardKind::RedAlert.matches("HealthLevelChanged", &red));
        assert!(!TaskCardKind::RedAlert.matches("HealthLevelChanged", &yellow));
        let legal = serde_json::json!({"department": "legal"});
        assert!(TaskCardKind::OverdueLegal.matches("OverdueTaskCardIssued", &legal));
        assert!(!TaskCardKind::OverdueSales.matches("OverdueTaskCardIssued", &legal));
        assert_eq!(
            EventFilter::card_kinds("TodoCreated", &serde_json::Value::Null),
            [TaskCardKind::Todo]
        );
    }
}
