//! Subscriptions, stored durably in their own sled database under the data
//! directory (`DATA_DIR/webhooks/`), separate from the event log: they are
//! state of this server, not facts of the business, and their secrets must
//! never enter the log.
//!
//! Every write is flushed before it returns, so a cursor reported as
//! delivered survives a crash. Updates are serialised in process; each
//! subscription carries a `generation`, bumped by pause, resume and
//! delete, which the dispatcher checks so a worker from before the change
//! can never overwrite it.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use utoipa::ToSchema;
use uuid::Uuid;

use super::EventFilter;

/// Attempts kept per subscription (oldest dropped first).
pub const ATTEMPT_HISTORY: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("webhook storage: {0}")]
    Storage(#[from] sled::Error),
    #[error("webhook {id}: stored record does not decode: {source}")]
    Corrupt {
        id: String,
        source: serde_json::Error,
    },
    #[error("encoding a webhook: {0}")]
    Encode(serde_json::Error),
    #[error("webhook storage lock poisoned")]
    Poisoned,
}

/// Whether a subscription is being delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookState {
    Active,
    Paused,
}

/// One delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Attempt {
    pub position: u64,
    pub event_id: Uuid,
    pub attempted_at: DateTime<Utc>,
    /// `delivered` (a 2xx) or `failed`.
    pub outcome: String,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why it failed (timeout, connection refused, non-2xx, ...).
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// A subscription as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredWebhook {
    pub id: Uuid,
    pub url: String,
    pub filter: EventFilter,
    /// The signing secret (never shown again after creation).
    pub secret: String,
    pub state: WebhookState,
    pub paused_reason: Option<String>,
    /// The next log position to deliver: everything before it that the
    /// filter keeps has been acknowledged with a 2xx.
    pub cursor: u64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub generation: u64,
    pub consecutive_failures: u32,
    pub n_delivered: u64,
    pub attempts: VecDeque<Attempt>,
}

impl StoredWebhook {
    pub fn push_attempt(&mut self, attempt: Attempt) {
        self.attempts.push_back(attempt);
        while self.attempts.len() > ATTEMPT_HISTORY {
            self.attempts.pop_front();
        }
    }
}

/// The durable set of subscriptions.
pub struct Registry {
    db: sled::Db,
    tree: sled::Tree,
    write: Mutex<()>,
    changed: watch::Sender<u64>,
    /// Whether targets may be non-public addresses.
    pub allow_private_targets: bool,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("webhooks::Registry")
    }
}

impl Registry {
    /// Opens (creating) the registry in `dir`.
    pub fn open(dir: &Path, allow_private_targets: bool) -> Result<Registry, RegistryError> {
        let db = sled::open(dir)?;
        let tree = db.open_tree("subscriptions")?;
        let (changed, _) = watch::channel(0);
        Ok(Registry {
            db,
            tree,
            write: Mutex::new(()),
            changed,
            allow_private_targets,
        })
    }

    /// Changes whenever a subscription is added, paused, resumed or removed.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn notify(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn decode(key: &[u8], value: &[u8]) -> Result<StoredWebhook, RegistryError> {
        serde_json::from_slice(value).map_err(|source| RegistryError::Corrupt {
            id: String::from_utf8_lossy(key).into_owned(),
            source,
        })
    }

    /// Every subscription, oldest first (ids are UUIDv7).
    pub fn list(&self) -> Result<Vec<StoredWebhook>, RegistryError> {
        let mut hooks = Vec::new();
        for entry in self.tree.iter() {
            let (key, value) = entry?;
            hooks.push(Self::decode(&key, &value)?);
        }
        Ok(hooks)
    }

    pub fn get(&self, id: Uuid) -> Result<Option<StoredWebhook>, RegistryError> {
        match self.tree.get(id.as_bytes())? {
            Some(value) => Ok(Some(Self::decode(id.as_bytes(), &value)?)),
            None => Ok(None),
        }
    }

    fn put(&self, hook: &StoredWebhook) -> Result<(), RegistryError> {
        let bytes = serde_json::to_vec(hook).map_err(RegistryError::Encode)?;
        self.tree.insert(hook.id.as_bytes(), bytes)?;
        self.db.flush()?;
        Ok(())
    }

    pub fn insert(&self, hook: &StoredWebhook) -> Result<(), RegistryError> {
        {
            let _guard = self.write.lock().map_err(|_| RegistryError::Poisoned)?;
            self.put(hook)?;
        }
        self.notify();
        Ok(())
    }

    /// Applies `change` to subscription `id` and stores it; `None` when
    /// there is no such subscription, or when `generation` is given and
    /// differs (a pause, resume or delete happened meanwhile). With
    /// `control`, the generation is bumped and the dispatcher notified.
    pub fn update(
        &self,
        id: Uuid,
        generation: Option<u64>,
        control: bool,
        change: impl FnOnce(&mut StoredWebhook),
    ) -> Result<Option<StoredWebhook>, RegistryError> {
        let updated = {
            let _guard = self.write.lock().map_err(|_| RegistryError::Poisoned)?;
            let Some(mut hook) = self.get(id)? else {
                return Ok(None);
            };
            if generation.is_some_and(|generation| generation != hook.generation) {
                return Ok(None);
            }
            change(&mut hook);
            if control {
                hook.generation += 1;
            }
            self.put(&hook)?;
            hook
        };
        if control {
            self.notify();
        }
        Ok(Some(updated))
    }

    /// Removes subscription `id`; whether it existed.
    pub fn remove(&self, id: Uuid) -> Result<bool, RegistryError> {
        let existed = {
            let _guard = self.write.lock().map_err(|_| RegistryError::Poisoned)?;
            let existed = self.tree.remove(id.as_bytes())?.is_some();
            self.db.flush()?;
            existed
        };
        self.notify();
        Ok(existed)
    }
}
