//! Bearer tokens, each bound to an actor (the token's name) and a role,
//! stored hashed in the token file (`crate::tokens` describes it). With no
//! file, the first start creates one supervisor token named `admin`,
//! prints it once and keeps only its hash.
//!
//! The gateway keeps the file's tokens in memory (`TokenStore`, in
//! `crate::tokens`) and re-reads the file when it changes, so `salesledger
//! token create/revoke` take effect within a second without a restart.
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

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use salesledger_domain::access::{
    may_read, owner_scoped, region_scoped, OwnerRelation, RegionRelation, Relation, Resource,
};
use salesledger_domain::contract::Contract;
use salesledger_domain::customer::Customer;
use salesledger_domain::nurture::NurturePack;
use salesledger_domain::proposal::Proposal;
use salesledger_domain::stream::customer_stream_id;
use salesledger_domain::value::{ContractId, CustomerId, NurturePackId, ProposalId, VisitId};
use salesledger_domain::visit::Visit;
use salesledger_domain::Role;

use super::problem::ApiError;
use super::AppState;

pub use crate::tokens::{Caller, Refusal};

/// A refused token's 401 problem (each refusal its own code).
pub fn refusal_problem(refusal: Refusal) -> ApiError {
    match refusal {
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
        Err(refusal) => refusal_problem(refusal).into_response(),
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

/// `403 forbidden` unless the caller's role is `allowed`: "role R may not
/// {refused}" (what the role may not do, and who may). The one role check
/// of the routes that are not commands (tokens, webhooks, customer lists,
/// evidence, cosignatures).
pub fn ensure_role(
    caller: &Caller,
    allowed: impl FnOnce(Role) -> bool,
    refused: impl std::fmt::Display,
) -> Result<(), ApiError> {
    let role = caller.principal.role;
    if allowed(role) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!("role {} may not {refused}", role.as_str()),
    ))
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
    use super::readable::customer_in;
    Ok(match subject {
        Subject::None => None,
        Subject::Customer(customer) => Some(customer),
        Subject::Proposal(id) => customer_in::<Proposal>(state, id.as_uuid()).await?,
        Subject::NurturePack(id) => customer_in::<NurturePack>(state, id.as_uuid()).await?,
        Subject::Visit(id) => customer_in::<Visit>(state, id.as_uuid()).await?,
        Subject::Contract(id) => customer_in::<Contract>(state, id.as_uuid()).await?,
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
    // A rep token that names no rep reads no customer-bound resource
    // (docs/SECURITY.md), not even a pool customer's.
    if owner_scoped(caller.principal.role) && caller.rep_id.is_none() {
        return Ok(false);
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
