//! Subscriptions, stored durably in their own sled database under the data
//! directory (`DATA_DIR/webhooks/`), separate from the event log: they are
//! state of this server, not facts of the business, and their secrets must
//! never enter the log.
//!
//! Secrets are stored only encrypted ([`super::secrets`]): a record holds
//! `sealed_secret` instead of `secret`. A database from before encryption
//! (plaintext `secret` fields) is migrated when it is opened: every record
//! is sealed and the database rebuilt in a fresh directory that replaces
//! the old one, so no plaintext secret is left in sled's files (an
//! in-place overwrite could leave old values in unreclaimed segments).
//!
//! Every write is durable (flushed, then fsynced: `DurableDb`) before it
//! returns, so a subscription created, paused or removed, and a cursor
//! reported as delivered, survive a power cut. Updates are serialised in process; each
//! subscription carries a `generation`, bumped by pause, resume and
//! delete, which the dispatcher checks so a worker from before the change
//! can never overwrite it.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use salesledger_store::DurableDb;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use utoipa::ToSchema;
use uuid::Uuid;

use super::secrets::{SecretBox, SecretError};
use super::EventFilter;

/// The subscriptions' directory under the data directory.
pub const WEBHOOKS_DIR: &str = "webhooks";
/// Where a migration builds the encrypted database before it replaces
/// [`WEBHOOKS_DIR`]; complete once it is renamed into place.
const MIGRATING_DIR: &str = "webhooks.migrating";
/// The plaintext database set aside during a migration, then removed.
const RETIRED_DIR: &str = "webhooks.plaintext";
/// The tree of subscriptions, keyed by id.
const SUBSCRIPTIONS: &str = "subscriptions";
/// The tree holding [`KEY_CHECK`].
const META: &str = "meta";
/// `<actor>\n<Idempotency-Key>` -> the subscription a create made with it
/// (`IdempotentCreate`).
const IDEMPOTENCY: &str = "idempotency";
/// A value sealed under the key, so a wrong key is found even when there
/// are no subscriptions.
const KEY_CHECK: &[u8] = b"key_check";
const KEY_CHECK_PLAINTEXT: &[u8] = b"salesledger webhook key check";

/// Attempts kept per subscription (oldest dropped first).
pub const ATTEMPT_HISTORY: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum SubscriptionsError {
    #[error("webhook storage: {0}")]
    Storage(#[from] sled::Error),
    #[error("webhook {id}: stored record does not decode: {source}")]
    Corrupt {
        id: String,
        source: serde_json::Error,
    },
    /// A record whose sealed secret does not open with the key that opens
    /// the key check (and so the others): the record is damaged, not the
    /// key file.
    #[error(
        "webhook {id}: its sealed secret does not open with the key file, which opens the \
         others: the record is damaged; it is left out of the list and gets no deliveries \
         (delete it with `DELETE /v1/webhooks/{id}` and subscribe anew, or restore the data \
         directory from a backup)"
    )]
    SecretDamaged { id: String },
    #[error("encoding a webhook: {0}")]
    Encode(serde_json::Error),
    #[error("webhook storage lock poisoned")]
    Poisoned,
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("opening the webhook database: {0}")]
    Open(#[from] salesledger_store::StoreError),
    #[error("webhook storage {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> SubscriptionsError + '_ {
    move |source| SubscriptionsError::Io {
        path: path.to_path_buf(),
        source,
    }
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
    /// A new active subscription with a fresh signing secret
    /// (`whsec_` and 32 random bytes, hex), delivering from `cursor`.
    pub fn new(
        url: String,
        filter: EventFilter,
        cursor: u64,
        created_at: DateTime<Utc>,
        created_by: String,
    ) -> StoredWebhook {
        use rand::RngCore;
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        StoredWebhook {
            id: Uuid::now_v7(),
            url,
            filter,
            secret: format!("whsec_{}", hex::encode(secret)),
            state: WebhookState::Active,
            paused_reason: None,
            cursor,
            created_at,
            created_by,
            generation: 0,
            consecutive_failures: 0,
            n_delivered: 0,
            attempts: VecDeque::new(),
        }
    }
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
pub struct Subscriptions {
    db: DurableDb,
    tree: sled::Tree,
    secrets: SecretBox,
    write: Mutex<()>,
    /// The damaged records already named in the log (by key).
    damaged_named: Mutex<std::collections::BTreeSet<Vec<u8>>>,
    changed: watch::Sender<u64>,
    /// Whether targets may be non-public addresses.
    pub allow_private_targets: bool,
}

impl std::fmt::Debug for Subscriptions {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("webhooks::Subscriptions")
    }
}

impl Subscriptions {
    /// Opens (creating) the subscriptions of `data_dir`: the database in
    /// `data_dir/webhooks` and the key in `data_dir/keys/webhooks.key`
    /// (created when there is none and no secret was sealed yet). Fails
    /// when the key is missing or wrong for the sealed secrets; migrates
    /// plaintext secrets (module docs).
    pub fn open(
        data_dir: &Path,
        allow_private_targets: bool,
    ) -> Result<Subscriptions, SubscriptionsError> {
        let dir = data_dir.join(WEBHOOKS_DIR);
        finish_migration(data_dir)?;
        salesledger_store::private_fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        let mut db = open_db(&dir)?;
        let scan = Scan::of(db.db())?;
        let secrets = match SecretBox::load(data_dir)? {
            Some(secrets) => secrets,
            None if scan.n_sealed > 0 || scan.key_check.is_some() => {
                return Err(SecretError::MissingKey {
                    path: SecretBox::path(data_dir),
                }
                .into());
            }
            None => SecretBox::create(data_dir)?,
        };
        if let Some(check) = &scan.key_check {
            if secrets.open(META.as_bytes(), check)? != KEY_CHECK_PLAINTEXT {
                return Err(SecretError::WrongKey {
                    path: secrets.key_path().to_path_buf(),
                }
                .into());
            }
        }
        if scan.n_plaintext > 0 {
            drop(db);
            migrate(data_dir, &secrets)?;
            db = open_db(&dir)?;
        } else if scan.key_check.is_none() {
            let check = secrets.seal(META.as_bytes(), KEY_CHECK_PLAINTEXT)?;
            db.db()
                .open_tree(META)?
                .insert(KEY_CHECK, check.as_bytes())?;
            db.persist()?;
        }
        let tree = db.db().open_tree(SUBSCRIPTIONS)?;
        let (changed, _) = watch::channel(0);
        let subscriptions = Subscriptions {
            db,
            tree,
            secrets,
            write: Mutex::new(()),
            damaged_named: Mutex::new(std::collections::BTreeSet::new()),
            changed,
            allow_private_targets,
        };
        // Every sealed secret opens with this key, or opening fails now
        // rather than at the first delivery.
        subscriptions.list()?;
        Ok(subscriptions)
    }

    /// Changes whenever a subscription is added, paused, resumed or removed.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn notify(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn decode(&self, key: &[u8], value: &[u8]) -> Result<StoredWebhook, SubscriptionsError> {
        decode(&self.secrets, key, value)
    }

    /// Every subscription, oldest first (ids are UUIDv7). A record whose
    /// secret is damaged is left out, with an error in the log naming it,
    /// so one damaged record neither stops `serve` nor hides the others;
    /// it can still be deleted by id.
    pub fn list(&self) -> Result<Vec<StoredWebhook>, SubscriptionsError> {
        let mut hooks = Vec::new();
        for entry in self.tree.iter() {
            let (key, value) = entry?;
            match self.decode(&key, &value) {
                Ok(hook) => hooks.push(hook),
                Err(error @ SubscriptionsError::SecretDamaged { .. }) => {
                    // Once per record and process: the dispatcher lists
                    // the subscriptions twice a second.
                    let first = self
                        .damaged_named
                        .lock()
                        .map(|mut named| named.insert(key.to_vec()))
                        .unwrap_or(false);
                    if first {
                        tracing::error!(%error, "a webhook subscription is damaged");
                    }
                }
                Err(error) => return Err(error),
            }
        }
        Ok(hooks)
    }

    pub fn get(&self, id: Uuid) -> Result<Option<StoredWebhook>, SubscriptionsError> {
        match self.tree.get(id.as_bytes())? {
            Some(value) => Ok(Some(self.decode(id.as_bytes(), &value)?)),
            None => Ok(None),
        }
    }

    fn put(&self, hook: &StoredWebhook) -> Result<(), SubscriptionsError> {
        let bytes = encode(&self.secrets, hook)?;
        self.tree.insert(hook.id.as_bytes(), bytes)?;
        self.db.persist()?;
        Ok(())
    }

    pub fn insert(&self, hook: &StoredWebhook) -> Result<(), SubscriptionsError> {
        {
            let _guard = self
                .write
                .lock()
                .map_err(|_| SubscriptionsError::Poisoned)?;
            self.put(hook)?;
        }
        self.notify();
        Ok(())
    }

    /// Inserts `hook` unless `key` (the caller's actor and its
    /// `Idempotency-Key`) was used before: then the subscription that
    /// create made (`None` once deleted), or [`Created::KeyReused`] when
    /// it was used with another request (`fingerprint` differs). The
    /// subscription and the key are stored in one durable transaction.
    pub fn insert_once(
        &self,
        hook: &StoredWebhook,
        key: &str,
        fingerprint: &str,
    ) -> Result<Created, SubscriptionsError> {
        let created = {
            let _guard = self
                .write
                .lock()
                .map_err(|_| SubscriptionsError::Poisoned)?;
            let keys = self.db.db().open_tree(IDEMPOTENCY)?;
            if let Some(stored) = keys.get(key.as_bytes())? {
                let stored: IdempotentCreate =
                    serde_json::from_slice(&stored).map_err(|source| {
                        SubscriptionsError::Corrupt {
                            id: key.to_owned(),
                            source,
                        }
                    })?;
                return if stored.fingerprint == fingerprint {
                    Ok(Created::Replayed(
                        self.get(stored.webhook_id)?.map(Box::new),
                    ))
                } else {
                    Ok(Created::KeyReused)
                };
            }
            let bytes = encode(&self.secrets, hook)?;
            let record = serde_json::to_vec(&IdempotentCreate {
                fingerprint: fingerprint.to_owned(),
                webhook_id: hook.id,
            })
            .map_err(SubscriptionsError::Encode)?;
            use sled::Transactional;
            (&self.tree, &keys)
                .transaction(|(hooks, keys)| {
                    hooks.insert(hook.id.as_bytes(), bytes.as_slice())?;
                    keys.insert(key.as_bytes(), record.as_slice())?;
                    Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
                })
                .map_err(|error| match error {
                    sled::transaction::TransactionError::Storage(error) => {
                        SubscriptionsError::Storage(error)
                    }
                    sled::transaction::TransactionError::Abort(()) => SubscriptionsError::Poisoned,
                })?;
            self.db.persist()?;
            Created::New
        };
        self.notify();
        Ok(created)
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
    ) -> Result<Option<StoredWebhook>, SubscriptionsError> {
        let updated = {
            let _guard = self
                .write
                .lock()
                .map_err(|_| SubscriptionsError::Poisoned)?;
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
    pub fn remove(&self, id: Uuid) -> Result<bool, SubscriptionsError> {
        let existed = {
            let _guard = self
                .write
                .lock()
                .map_err(|_| SubscriptionsError::Poisoned)?;
            let existed = self.tree.remove(id.as_bytes())?.is_some();
            self.db.persist()?;
            existed
        };
        self.notify();
        Ok(existed)
    }
}

/// What [`Subscriptions::insert_once`] did.
#[derive(Debug)]
pub enum Created {
    /// Inserted now.
    New,
    /// The key was used before with the same request: the subscription it
    /// created, `None` when it has been deleted since.
    Replayed(Option<Box<StoredWebhook>>),
    /// The key was used before with another request.
    KeyReused,
}

/// An `Idempotency-Key` of a create, as stored.
#[derive(Serialize, Deserialize)]
struct IdempotentCreate {
    fingerprint: String,
    webhook_id: Uuid,
}

/// A record as stored: the subscription without `secret`, with
/// `sealed_secret` (the secret sealed under the key, the id as associated
/// data).
fn encode(secrets: &SecretBox, hook: &StoredWebhook) -> Result<Vec<u8>, SubscriptionsError> {
    let mut value = serde_json::to_value(hook).map_err(SubscriptionsError::Encode)?;
    if let Some(object) = value.as_object_mut() {
        object.remove("secret");
        let sealed = secrets.seal(hook.id.as_bytes(), hook.secret.as_bytes())?;
        object.insert(
            "sealed_secret".to_owned(),
            serde_json::Value::String(sealed),
        );
    }
    serde_json::to_vec(&value).map_err(SubscriptionsError::Encode)
}

/// A record's key as the subscription id it is, else in hex.
fn uuid_or_hex(key: &[u8]) -> String {
    Uuid::from_slice(key).map_or_else(|_| hex::encode(key), |id| id.to_string())
}

/// A stored record with its secret opened (or, before migration, read as
/// it was stored in plaintext).
fn decode(
    secrets: &SecretBox,
    key: &[u8],
    value: &[u8],
) -> Result<StoredWebhook, SubscriptionsError> {
    let corrupt = |source| SubscriptionsError::Corrupt {
        id: hex::encode(key),
        source,
    };
    let mut value: serde_json::Value = serde_json::from_slice(value).map_err(corrupt)?;
    if let Some(object) = value.as_object_mut() {
        if let Some(sealed) = object.remove("sealed_secret") {
            let sealed = sealed.as_str().unwrap_or_default();
            let opened = secrets.open(key, sealed).map_err(|error| match error {
                // The key check passed: this record alone is damaged.
                SecretError::WrongKey { .. } => SubscriptionsError::SecretDamaged {
                    id: uuid_or_hex(key),
                },
                other => other.into(),
            })?;
            let secret = String::from_utf8(opened)
                .map_err(|_| SecretError::Malformed("not UTF-8".to_owned()))?;
            object.insert("secret".to_owned(), serde_json::Value::String(secret));
        }
    }
    serde_json::from_value(value).map_err(corrupt)
}

/// What a database holds, before the key is chosen.
struct Scan {
    n_sealed: usize,
    n_plaintext: usize,
    key_check: Option<String>,
}

impl Scan {
    fn of(db: &sled::Db) -> Result<Scan, SubscriptionsError> {
        let mut scan = Scan {
            n_sealed: 0,
            n_plaintext: 0,
            key_check: db
                .open_tree(META)?
                .get(KEY_CHECK)?
                .map(|value| String::from_utf8_lossy(&value).into_owned()),
        };
        for entry in db.open_tree(SUBSCRIPTIONS)?.iter() {
            let (key, value) = entry?;
            let record: serde_json::Value =
                serde_json::from_slice(&value).map_err(|source| SubscriptionsError::Corrupt {
                    id: hex::encode(&key),
                    source,
                })?;
            if record.get("sealed_secret").is_some() {
                scan.n_sealed += 1;
            }
            if record.get("secret").is_some() {
                scan.n_plaintext += 1;
            }
        }
        Ok(scan)
    }
}

fn open_db(dir: &Path) -> Result<DurableDb, SubscriptionsError> {
    let db = DurableDb::open(dir)?;
    // sled creates its files with the process umask: make them private.
    salesledger_store::private_fs::tighten_created(dir).map_err(io_at(dir))?;
    Ok(db)
}

/// Seals every plaintext secret: writes every subscription, sealed, to a
/// fresh database in [`MIGRATING_DIR`], then swaps it for the old one and
/// removes the old one ([`finish_migration`]).
fn migrate(data_dir: &Path, secrets: &SecretBox) -> Result<(), SubscriptionsError> {
    let dir = data_dir.join(WEBHOOKS_DIR);
    let migrating = data_dir.join(MIGRATING_DIR);
    remove_dir_if_present(&migrating)?;
    let hooks = {
        let db = open_db(&dir)?;
        let mut hooks = Vec::new();
        for entry in db.db().open_tree(SUBSCRIPTIONS)?.iter() {
            let (key, value) = entry?;
            hooks.push(decode(secrets, &key, &value)?);
        }
        hooks
    };
    {
        salesledger_store::private_fs::create_dir_all(&migrating).map_err(io_at(&migrating))?;
        // Durable before the plaintext copy is retired: a power cut after
        // the swap must find every subscription here.
        let db = open_db(&migrating)?;
        let tree = db.db().open_tree(SUBSCRIPTIONS)?;
        for hook in &hooks {
            tree.insert(hook.id.as_bytes(), encode(secrets, hook)?)?;
        }
        let check = secrets.seal(META.as_bytes(), KEY_CHECK_PLAINTEXT)?;
        db.db()
            .open_tree(META)?
            .insert(KEY_CHECK, check.as_bytes())?;
        db.persist()?;
    }
    let retired = data_dir.join(RETIRED_DIR);
    remove_dir_if_present(&retired)?;
    std::fs::rename(&dir, &retired).map_err(io_at(&dir))?;
    sync_dir(data_dir)?;
    finish_migration(data_dir)?;
    tracing::warn!(
        n_subscriptions = hooks.len(),
        key = %secrets.key_path().display(),
        "webhook secrets were stored in plaintext: encrypted them"
    );
    Ok(())
}

/// Completes a migration that stopped part way: a complete encrypted
/// database waiting in [`MIGRATING_DIR`] while [`WEBHOOKS_DIR`] is gone
/// takes its place; an incomplete one (the old database still in place)
/// is removed and redone; the retired plaintext database is removed.
fn finish_migration(data_dir: &Path) -> Result<(), SubscriptionsError> {
    let dir = data_dir.join(WEBHOOKS_DIR);
    let migrating = data_dir.join(MIGRATING_DIR);
    if migrating.exists() {
        if dir.exists() {
            remove_dir_if_present(&migrating)?;
        } else {
            std::fs::rename(&migrating, &dir).map_err(io_at(&migrating))?;
            sync_dir(data_dir)?;
        }
    }
    remove_dir_if_present(&data_dir.join(RETIRED_DIR))
}

fn remove_dir_if_present(dir: &Path) -> Result<(), SubscriptionsError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_at(dir)(error)),
    }
}

fn sync_dir(dir: &Path) -> Result<(), SubscriptionsError> {
    std::fs::File::open(dir)
        .and_then(|file| file.sync_all())
        .map_err(io_at(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(secret: &str) -> StoredWebhook {
        let filter = EventFilter {
            event_types: vec!["*".to_owned()],
            task_cards: Vec::new(),
        };
        let mut hook = StoredWebhook::new(
            "http://127.0.0.1:9/hook".to_owned(),
            filter,
            0,
            Utc::now(),
            "supervisor:test".to_owned(),
        );
        hook.secret = secret.to_owned();
        hook
    }

    /// A data directory holding one subscription with `secret` (closed
    /// again), and that subscription.
    fn holding_one(secret: &str) -> (tempfile::TempDir, StoredWebhook) {
        let data = tempfile::tempdir().expect("tempdir");
        let stored = hook(secret);
        let subscriptions = Subscriptions::open(data.path(), false).expect("open");
        subscriptions.insert(&stored).expect("insert");
        drop(subscriptions);
        (data, stored)
    }

    #[test]
    fn a_migration_interrupted_before_the_swap_is_completed_on_open() {
        let (data, _) = holding_one("whsec_interrupted");
        // As a crash between setting the plaintext database aside and
        // renaming the complete encrypted one into place leaves it.
        std::fs::rename(
            data.path().join(WEBHOOKS_DIR),
            data.path().join(MIGRATING_DIR),
        )
        .expect("rename");
        std::fs::create_dir(data.path().join(RETIRED_DIR)).expect("retired");
        std::fs::write(
            data.path().join(RETIRED_DIR).join("db"),
            "whsec_interrupted",
        )
        .expect("plaintext");

        let subscriptions = Subscriptions::open(data.path(), false).expect("reopen");
        let hooks = subscriptions.list().expect("list");
        assert_eq!(hooks.len(), 1);
        assert_eq!(hooks[0].secret, "whsec_interrupted");
        assert!(!data.path().join(MIGRATING_DIR).exists());
        assert!(!data.path().join(RETIRED_DIR).exists());
    }

    #[test]
    fn an_incomplete_migration_beside_the_database_is_discarded() {
        let (data, stored) = holding_one("whsec_kept");
        std::fs::create_dir(data.path().join(MIGRATING_DIR)).expect("migrating");
        std::fs::write(data.path().join(MIGRATING_DIR).join("db"), "partial").expect("partial");

        let subscriptions = Subscriptions::open(data.path(), false).expect("reopen");
        assert_eq!(
            subscriptions
                .get(stored.id)
                .expect("get")
                .map(|hook| hook.secret),
            Some("whsec_kept".to_owned())
        );
        assert!(!data.path().join(MIGRATING_DIR).exists());
    }

    #[test]
    fn one_damaged_secret_is_left_out_and_stops_nothing() {
        let (data, damaged) = holding_one("whsec_damaged");
        let kept = hook("whsec_kept");
        {
            let subscriptions = Subscriptions::open(data.path(), false).expect("open");
            subscriptions.insert(&kept).expect("insert");
            // The sealed secret's last hex digit changed on disk.
            let raw = subscriptions
                .tree
                .get(damaged.id.as_bytes())
                .expect("get")
                .expect("stored");
            let mut record: serde_json::Value = serde_json::from_slice(&raw).expect("json");
            let sealed = record["sealed_secret"].as_str().expect("sealed").to_owned();
            let last = if sealed.ends_with('0') { '1' } else { '0' };
            record["sealed_secret"] =
                serde_json::Value::String(format!("{}{last}", &sealed[..sealed.len() - 1]));
            subscriptions
                .tree
                .insert(
                    damaged.id.as_bytes(),
                    serde_json::to_vec(&record).expect("encode"),
                )
                .expect("insert");
            subscriptions.db.persist().expect("persist");
        }
        // `serve` still opens them; the damaged one is named, not blamed on
        // the key file, and can be deleted.
        let subscriptions = Subscriptions::open(data.path(), false).expect("reopen");
        let listed: Vec<Uuid> = subscriptions
            .list()
            .expect("list")
            .iter()
            .map(|hook| hook.id)
            .collect();
        assert_eq!(listed, vec![kept.id]);
        match subscriptions.get(damaged.id) {
            Err(SubscriptionsError::SecretDamaged { id }) => assert_eq!(id, damaged.id.to_string()),
            other => panic!("expected a damaged record, got {other:?}"),
        }
        assert!(subscriptions.remove(damaged.id).expect("remove"));
        assert_eq!(subscriptions.list().expect("list").len(), 1);
    }
}
