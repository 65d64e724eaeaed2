//! The gateway's tokens in memory: the token file as last read (re-read
//! when it changes, every [`RELOAD_EVERY`]) and when each token was last
//! used (saved into the file at most every [`SAVE_LAST_USED_EVERY`] and at
//! shutdown, never per request). What a bearer token stands for is a
//! [`Caller`]; the gateway's middleware (`gateway::auth`) asks
//! [`TokenStore::authenticate`] and answers a [`Refusal`] as a 401.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::{anyhow, Context};
use chrono::{DateTime, Utc};
use salesledger_commands::Principal;
use salesledger_domain::value::{ActorId, Region, RepId};
use salesledger_domain::Role;
use salesledger_store::Hash32;

use super::{generate_token, TokenEntry, TokenFile};

/// How often the gateway checks the token file for changes.
pub const RELOAD_EVERY: Duration = Duration::from_millis(250);
/// How often "last used" times are saved into the token file (when any
/// changed).
pub const SAVE_LAST_USED_EVERY: Duration = Duration::from_secs(30);

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub rep_id: Option<RepId>,
    /// The region a regional supervisor's reads are limited to.
    pub region: Option<Region>,
}

/// Why a bearer token was refused (each a 401 with its own code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No token, or one the file does not hold: `unauthenticated`.
    Unknown,
    /// `token_expired`.
    Expired,
    /// `token_revoked`.
    Revoked,
}

#[derive(Debug, Clone)]
struct Known {
    caller: Caller,
    expires_at: Option<DateTime<Utc>>,
    revoked: bool,
}

/// The tokens of one reading of the file, by digest.
#[derive(Debug, Default)]
struct Snapshot {
    by_digest: HashMap<Hash32, Known>,
}

impl Snapshot {
    fn of(file: &TokenFile) -> anyhow::Result<Snapshot> {
        let mut by_digest = HashMap::new();
        for entry in &file.tokens {
            let digest = Hash32::parse_hex_any_case(&entry.token_sha256)
                .with_context(|| crate::t!("cli-token-entry-bad-sha256", actor = entry.actor))?;
            let actor = ActorId::parse(&entry.actor)
                .with_context(|| crate::t!("cli-token-entry-bad-actor", actor = entry.actor))?;
            let caller = Caller {
                principal: Principal {
                    actor,
                    role: entry.role,
                },
                rep_id: entry.rep_id.map(RepId::from_uuid),
                region: entry
                    .region
                    .as_deref()
                    .map(Region::parse)
                    .transpose()
                    .with_context(|| {
                        crate::t!("cli-token-entry-bad-region", actor = entry.actor)
                    })?,
            };
            by_digest.insert(
                digest,
                Known {
                    caller,
                    expires_at: entry.expires_at,
                    revoked: entry.revoked_at.is_some(),
                },
            );
        }
        Ok(Snapshot { by_digest })
    }
}

/// The gateway's tokens: the token file as last read, and when each token
/// was last used.
#[derive(Debug, Default)]
pub struct TokenStore {
    /// The file re-read on change; `None` for a fixed set of tokens.
    path: Option<PathBuf>,
    snapshot: RwLock<Arc<Snapshot>>,
    /// The bytes the snapshot was read from.
    loaded: Mutex<Option<Vec<u8>>>,
    last_used: Mutex<LastUsed>,
}

#[derive(Debug, Default)]
struct LastUsed {
    by_digest: BTreeMap<String, DateTime<Utc>>,
    unsaved: bool,
}

impl TokenStore {
    /// A fixed set of tokens (never re-read, nothing saved).
    pub fn from_file(file: &TokenFile) -> anyhow::Result<TokenStore> {
        Ok(TokenStore {
            snapshot: RwLock::new(Arc::new(Snapshot::of(file)?)),
            ..TokenStore::default()
        })
    }

    /// Loads the token file, creating it with one admin token (printed
    /// once on stdout) when it does not exist. The store re-reads the file
    /// when [`TokenStore::reload_if_changed`] (or [`TokenStore::watch`])
    /// finds it changed.
    pub fn load_or_create(path: &Path) -> anyhow::Result<TokenStore> {
        {
            let _lock = crate::tokens::lock(path).map_err(|error| anyhow!(error.localized()))?;
            if !path.exists() {
                let token = generate_token();
                let mut admin = TokenEntry::new(&token, "admin", Role::Supervisor);
                admin.created_at = Some(Utc::now());
                crate::tokens::write(
                    path,
                    &TokenFile {
                        tokens: vec![admin],
                        ..TokenFile::default()
                    },
                )
                .map_err(|error| anyhow!(error.localized()))?;
                println!(
                    "{}",
                    crate::t!("cli-serve-admin-token-created", path = path.display())
                );
                println!("{}", crate::t!("cli-serve-admin-token", token = token));
            }
        }
        let store = TokenStore {
            path: Some(path.to_owned()),
            ..TokenStore::default()
        };
        store.reload_if_changed()?;
        Ok(store)
    }

    /// The token file this store follows, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Re-reads the token file when its bytes differ from the last
    /// reading; `Ok(true)` when the tokens were replaced. A file that does
    /// not parse leaves the tokens as they were (and is an error).
    pub fn reload_if_changed(&self) -> anyhow::Result<bool> {
        let Some(path) = &self.path else {
            return Ok(false);
        };
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            // A deleted file holds no tokens.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(error) => {
                return Err(error).with_context(|| crate::t!("cli-reading", path = path.display()))
            }
        };
        let mut loaded = self
            .loaded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if loaded.as_deref() == Some(bytes.as_slice()) {
            return Ok(false);
        }
        let file = if bytes.is_empty() {
            TokenFile::default()
        } else {
            crate::tokens::parse(path, &bytes).map_err(|error| anyhow!(error.localized()))?
        };
        let snapshot = Snapshot::of(&file)?;
        *self
            .snapshot
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(snapshot);
        *loaded = Some(bytes);
        Ok(true)
    }

    /// Adds `entries` (replacing entries of the same actor) to the file.
    pub fn add_to_file(path: &Path, entries: Vec<TokenEntry>) -> anyhow::Result<()> {
        crate::tokens::update(path, |file| {
            file.tokens
                .retain(|existing| !entries.iter().any(|entry| entry.actor == existing.actor));
            file.tokens.extend(entries);
            Ok(())
        })?;
        Ok(())
    }

    /// The caller `token` stands for at `now`, or why it is refused. A
    /// token that authenticates is noted as used at `now` (in memory).
    pub fn authenticate(&self, token: &str, now: DateTime<Utc>) -> Result<Caller, Refusal> {
        let digest = Hash32::sha256(token.as_bytes());
        let snapshot = self
            .snapshot
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let known = snapshot.by_digest.get(&digest).ok_or(Refusal::Unknown)?;
        if known.revoked {
            return Err(Refusal::Revoked);
        }
        if known.expires_at.is_some_and(|expires| expires <= now) {
            return Err(Refusal::Expired);
        }
        let mut last_used = self
            .last_used
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let previous = last_used.by_digest.insert(digest.to_hex(), now);
        if previous != Some(now) {
            last_used.unsaved = true;
        }
        Ok(known.caller.clone())
    }

    /// When each token (by digest, in hex) was last used since this
    /// gateway started.
    pub fn last_used(&self) -> BTreeMap<String, DateTime<Utc>> {
        self.last_used
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .by_digest
            .clone()
    }

    /// Saves the "last used" times into the token file when any changed
    /// since the last save.
    pub fn save_last_used(&self) -> anyhow::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let used = {
            let mut last_used = self
                .last_used
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if !last_used.unsaved {
                return Ok(());
            }
            last_used.unsaved = false;
            last_used.by_digest.clone()
        };
        if let Err(error) = crate::tokens::save_last_used(path, &used) {
            self.last_used
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .unsaved = true;
            return Err(error.into());
        }
        Ok(())
    }

    /// Follows the token file: re-reads it when it changes (every
    /// [`RELOAD_EVERY`]) and saves "last used" times every
    /// `save_every`. The task ends when the store is dropped.
    pub fn watch(self: &Arc<Self>, save_every: Duration) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut last_save = tokio::time::Instant::now();
            let mut reported: Option<String> = None;
            loop {
                tokio::time::sleep(RELOAD_EVERY).await;
                let Some(store) = weak.upgrade() else { break };
                if store.path.is_none() {
                    break;
                }
                let save = last_save.elapsed() >= save_every;
                if save {
                    last_save = tokio::time::Instant::now();
                }
                let outcome = tokio::task::spawn_blocking(move || {
                    let reloaded = store.reload_if_changed();
                    let saved = if save { store.save_last_used() } else { Ok(()) };
                    (reloaded, saved)
                })
                .await;
                let Ok((reloaded, saved)) = outcome else {
                    continue;
                };
                match reloaded {
                    Ok(true) => {
                        reported = None;
                        tracing::info!("token file changed; tokens reloaded");
                    }
                    Ok(false) => {}
                    Err(error) => {
                        let message = format!("{error:#}");
                        if reported.as_deref() != Some(message.as_str()) {
                            tracing::warn!(error = %message, "the token file does not load; the previous tokens stay in force");
                            reported = Some(message);
                        }
                    }
                }
                if let Err(error) = saved {
                    tracing::warn!(error = %format!("{error:#}"), "saving when tokens were last used");
                }
            }
        })
    }
}
