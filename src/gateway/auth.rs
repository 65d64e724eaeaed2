//! Bearer tokens, each bound to an actor and a role, stored hashed.
//!
//! The token file (`DATA_DIR/tokens.json` unless `--tokens FILE`) holds
//! `{"tokens": [{"token_sha256": "<hex>", "actor": "li.wei", "role": "rep",
//! "rep_id": "<uuid, for reps>", "region": "<optional, for regional
//! supervisors>"}]}`. Only SHA-256 digests are stored:
//! tokens are 256-bit random values, so a fast hash is enough and a leaked
//! file reveals no token. With no file, the first start creates one
//! supervisor token named `admin`, prints it once and keeps only its hash.
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

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngCore;
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
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::problem::ApiError;
use super::AppState;

/// One line of the token file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    pub token_sha256: String,
    pub actor: String,
    pub role: Role,
    /// For rep tokens: the rep this actor is, so a rep can only act as
    /// themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rep_id: Option<Uuid>,
    /// For regional supervisors: the region (as reps are registered with)
    /// whose customers they read. Without one a regional supervisor reads
    /// every customer, as a supervisor does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenFile {
    pub tokens: Vec<TokenEntry>,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub rep_id: Option<RepId>,
    /// The region a regional supervisor's reads are limited to.
    pub region: Option<Region>,
}

/// Token digests to callers.
#[derive(Debug, Default)]
pub struct TokenStore {
    by_digest: HashMap<Hash32, Caller>,
}

/// A new random token: `sl_` and 64 hex digits.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("sl_{}", hex::encode(bytes))
}

impl TokenStore {
    pub fn from_file(file: &TokenFile) -> anyhow::Result<TokenStore> {
        let mut by_digest = HashMap::new();
        for entry in &file.tokens {
            let digest = Hash32::parse_hex(&entry.token_sha256).with_context(|| {
                format!(
                    "token of {}: token_sha256 is not 64 hex digits",
                    entry.actor
                )
            })?;
            let actor = ActorId::parse(&entry.actor)
                .with_context(|| format!("token actor {:?}", entry.actor))?;
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
            by_digest.insert(digest, caller);
        }
        Ok(TokenStore { by_digest })
    }

    /// Loads the token file, creating it with one admin token (printed
    /// once on stdout) when it does not exist.
    pub fn load_or_create(path: &Path) -> anyhow::Result<TokenStore> {
        if !path.exists() {
            let token = generate_token();
            let file = TokenFile {
                tokens: vec![TokenEntry {
                    token_sha256: Hash32::sha256(token.as_bytes()).to_hex(),
                    actor: "admin".into(),
                    role: Role::Supervisor,
                    rep_id: None,
                    region: None,
                }],
            };
            write_token_file(path, &file)?;
            println!(
                "created {} with one admin token (supervisor role); it is shown only now:",
                path.display()
            );
            println!("  admin token: {token}");
        }
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: TokenFile =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        TokenStore::from_file(&file)
    }

    /// Adds `entries` (replacing entries of the same actor) to the file.
    pub fn add_to_file(path: &Path, entries: Vec<TokenEntry>) -> anyhow::Result<()> {
        let mut file: TokenFile = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", path.display()))?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => TokenFile::default(),
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        };
        file.tokens
            .retain(|existing| !entries.iter().any(|entry| entry.actor == existing.actor));
        file.tokens.extend(entries);
        write_token_file(path, &file)
    }

    pub fn authenticate(&self, token: &str) -> Option<&Caller> {
        self.by_digest.get(&Hash32::sha256(token.as_bytes()))
    }
}

fn write_token_file(path: &Path, file: &TokenFile) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        salesledger_store::private_fs::create_dir_all(parent)?;
    }
    let temp = path.with_extension("json.tmp");
    // Created 0600, so the file is never readable by others, even briefly.
    std::io::Write::write_all(
        &mut salesledger_store::private_fs::open_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)?,
        &serde_json::to_vec_pretty(file)?,
    )?;
    restrict_permissions(&temp)?;
    std::fs::rename(&temp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Middleware: resolves the bearer token into a [`Caller`] request
/// extension, or answers 401 before the body is touched.
pub async fn require_token(
    State(tokens): State<Arc<TokenStore>>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| tokens.authenticate(token.trim()))
        .cloned();
    match caller {
        Some(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        None => ApiError::unauthorized().into_response(),
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
