//! Bearer tokens, each bound to an actor (the token's name) and a role,
//! stored hashed in the token file (`crate::tokens` describes it). With no
//! file, the first start creates one supervisor token named `admin`,
//! prints it once and keeps only its hash.
//!
//! The gateway keeps the file's tokens in memory and re-reads the file
//! when it changes (checked every [`RELOAD_EVERY`]), so `salesledger token
//! create/revoke` take effect within a second without a restart. When each
//! token was last used is kept in memory and saved into the file at most
//! every [`SAVE_LAST_USED_EVERY`] and at shutdown, never per request.
//!
//! Authentication runs as middleware on every `/v1/` route, before any body
//! is read: a request without a valid token gets 401 whatever its body.
//!
//! Which customers a caller may act on or read is the domain's access
//! table (`salesledger_domain::access`); [`relation_to`] works out the
//! caller's relation to a customer from the log (its owner, and the
//! owner's region), and [`ensure_may_read`] / [`may_read_customer`] are the
//! one read check every single read, list, the feed and blobs go through
//! (docs/SECURITY.md, "Access").

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use salesledger_commands::Principal;
use salesledger_domain::access::{
    may_read, owner_scoped, region_scoped, OwnerRelation, RegionRelation, Relation, Resource,
};
use salesledger_domain::contract::Contract;
use salesledger_domain::customer::Customer;
use salesledger_domain::nurture::NurturePack;
use salesledger_domain::proposal::Proposal;
use salesledger_domain::stream::{
    contract_stream_id, customer_stream_id, nurture_stream_id, proposal_stream_id, visit_stream_id,
};
use salesledger_domain::value::{
    ActorId, ContractId, CustomerId, NurturePackId, ProposalId, Region, RepId, VisitId,
};
use salesledger_domain::visit::Visit;
use salesledger_domain::Role;
use salesledger_store::Hash32;

use super::problem::ApiError;
use super::AppState;

pub use crate::tokens::{generate_token, TokenEntry, TokenFile};

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

impl Refusal {
    pub fn problem(self) -> ApiError {
        match self {
            Refusal::Unknown => ApiError::unauthorized(),
            Refusal::Expired => ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "token_expired",
                "this bearer token has expired; ask a supervisor for a new one",
            ),
            Refusal::Revoked => ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "token_revoked",
                "this bearer token was revoked; ask a supervisor for a new one",
            ),
        }
    }
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
            let digest = Hash32::parse_hex_any_case(&entry.token_sha256).with_context(|| {
                format!(
                    "token of {}: token_sha256 is not 64 hex digits",
                    entry.actor
                )
            })?;
            let actor = ActorId::parse(&entry.actor)
                .with_context(|| format!("token actor \"{}\"", entry.actor))?;
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
                    .with_context(|| format!("token region of {}", entry.actor))?,
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
            let _lock = crate::tokens::lock(path)?;
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
                )?;
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
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
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
            crate::tokens::parse(path, &bytes)?
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

/// The only routes a witness token may use: it reads tree heads and
/// proofs and posts cosignatures, and reads nothing about customers.
pub const WITNESS_ROUTES: &[&str] = &[
    "/v1/audit/checkpoints/latest",
    "/v1/audit/consistency",
    "/v1/audit/cosignatures",
];

/// Middleware: resolves the bearer token into a [`Caller`] request
/// extension, or answers 401 before the body is touched (`unauthenticated`,
/// `token_expired` or `token_revoked`).
pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(Refusal::Unknown)
        .and_then(|token| state.tokens.authenticate(token.trim(), state.now()));
    match caller {
        Ok(caller)
            if caller.principal.role == Role::Witness
                && !WITNESS_ROUTES.contains(&request.uri().path()) =>
        {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "the witness role may only use {}",
                    WITNESS_ROUTES.join(", ")
                ),
            )
            .into_response()
        }
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(refusal) => refusal.problem().into_response(),
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(ApiError::unauthorized)
    }
}

/// What a command or read is about, as its route names it: the customer
/// it belongs to is found from the log ([`customer_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Subject {
    /// Not about one customer (or about one named in the body, checked
    /// when the body is parsed).
    #[default]
    None,
    Customer(CustomerId),
    Proposal(ProposalId),
    NurturePack(NurturePackId),
    Visit(VisitId),
    Contract(ContractId),
}

/// The customer `subject` belongs to; `None` when it names none or does
/// not exist (the command or read then answers as for a missing one).
pub async fn customer_of(
    state: &AppState,
    subject: Subject,
) -> Result<Option<CustomerId>, ApiError> {
    let service = &state.service;
    Ok(match subject {
        Subject::None => None,
        Subject::Customer(customer) => Some(customer),
        Subject::Proposal(id) => {
            service
                .load::<Proposal>(&proposal_stream_id(id))
                .await?
                .state
                .customer_id
        }
        Subject::NurturePack(id) => {
            service
                .load::<NurturePack>(&nurture_stream_id(id))
                .await?
                .state
                .customer_id
        }
        Subject::Visit(id) => {
            service
                .load::<Visit>(&visit_stream_id(id))
                .await?
                .state
                .customer_id
        }
        Subject::Contract(id) => service
            .load::<Contract>(&contract_stream_id(id))
            .await?
            .state
            .record
            .map(|record| record.customer_id),
    })
}

/// Whether the caller's access depends on who owns a customer (reps) or
/// where (a regional supervisor whose token names a region). For other
/// callers no relation needs to be looked up.
pub fn is_scoped(caller: &Caller) -> bool {
    let role = caller.principal.role;
    owner_scoped(role) || (region_scoped(role) && caller.region.is_some())
}

/// The caller's relation to `customer`: whether the caller is its owning
/// rep, and whether its owner works in the caller's region. `None` when
/// the customer is not registered. The customer is loaded through
/// [`salesledger_commands::CommandService::load`] (cached folded state).
pub async fn relation_to(
    state: &AppState,
    caller: &Caller,
    customer: CustomerId,
) -> Result<Option<Relation>, ApiError> {
    let loaded = state
        .service
        .load::<Customer>(&customer_stream_id(customer))
        .await?;
    if loaded.version.is_none() {
        return Ok(None);
    }
    let owner_rep = loaded.state.ownership.map(|ownership| ownership.owner);
    let owner = match owner_rep {
        None => OwnerRelation::Unowned,
        Some(rep) if owner_scoped(caller.principal.role) && caller.rep_id == Some(rep) => {
            OwnerRelation::Owner
        }
        Some(_) => OwnerRelation::NotOwner,
    };
    let region = match (&caller.region, owner_rep) {
        (Some(_), _) if !region_scoped(caller.principal.role) => RegionRelation::Unrestricted,
        (None, _) => RegionRelation::Unrestricted,
        // A pool customer is every region's to see.
        (Some(_), None) => RegionRelation::Inside,
        (Some(own), Some(rep)) => {
            let owners_region = state
                .service
                .with_registry(|registry| registry.rep_region(rep))
                .await?;
            if owners_region.as_ref() == Some(own) {
                RegionRelation::Inside
            } else {
                RegionRelation::Outside
            }
        }
    };
    Ok(Some(Relation { owner, region }))
}

/// Whether the caller may read `resource` of `customer`
/// ([`salesledger_domain::access::may_read`]). An unregistered customer
/// is readable (there is nothing to hide: the read answers 404 itself).
pub async fn may_read_customer(
    state: &AppState,
    caller: &Caller,
    resource: Resource,
    customer: CustomerId,
) -> Result<bool, ApiError> {
    if !is_scoped(caller) {
        return Ok(true);
    }
    Ok(match relation_to(state, caller, customer).await? {
        Some(relation) => may_read(caller.principal.role, resource, relation),
        None => true,
    })
}

/// The one read check: `Ok` when the caller may read `resource` of the
/// customer `subject` belongs to, else `missing` (the very answer the
/// route gives for a resource that does not exist, so a refusal does not
/// reveal that it does).
pub async fn ensure_may_read(
    state: &AppState,
    caller: &Caller,
    resource: Resource,
    subject: Subject,
    missing: impl FnOnce() -> ApiError,
) -> Result<(), ApiError> {
    if !is_scoped(caller) {
        return Ok(());
    }
    let Some(customer) = customer_of(state, subject).await? else {
        return Ok(());
    };
    if may_read_customer(state, caller, resource, customer).await? {
        Ok(())
    } else {
        Err(missing())
    }
}

/// Keeps the rows of a list whose customer the caller may read
/// (`resource` of it): the list form of [`ensure_may_read`].
pub async fn filter_readable<T>(
    state: &AppState,
    caller: &Caller,
    resource: Resource,
    rows: Vec<T>,
    customer_of_row: impl Fn(&T) -> CustomerId,
) -> Result<Vec<T>, ApiError> {
    if !is_scoped(caller) {
        return Ok(rows);
    }
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        if may_read_customer(state, caller, resource, customer_of_row(&row)).await? {
            kept.push(row);
        }
    }
    Ok(kept)
}
