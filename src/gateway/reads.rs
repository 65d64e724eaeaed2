//! Read routes: each aggregate's current state (including a customer's
//! account, contracts and process assets), the published configuration,
//! and evidence blobs (upload and download).
//!
//! Every read of something that belongs to a customer (the customer, its
//! account, visits, nurture packs, proposals, contracts, process assets and
//! the PDFs of its proposals) goes through the caller's read scope
//! ([`super::auth::ensure_may_read`], the access table in
//! `salesledger_domain::access`): what the caller may not read is answered
//! exactly as if it did not exist (`404`).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use salesledger_commands::CommandService;
use salesledger_domain::access::Resource;
use salesledger_domain::account::Account;
use salesledger_domain::asset::ProcessAsset;
use salesledger_domain::config::Config;
use salesledger_domain::contract::Contract;
use salesledger_domain::customer::Customer;
use salesledger_domain::lead::Lead;
use salesledger_domain::nurture::NurturePack;
use salesledger_domain::proposal::Proposal;
use salesledger_domain::rep::Rep;
use salesledger_domain::stream::CONFIG_HEALTH_STREAM;
use salesledger_domain::visit::Visit;
use salesledger_domain::CommandKind;
use salesledger_store::{BlobRef, Hash32};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{ensure_may_read, is_scoped, may_read_customer, Caller, Subject};
use super::problem::ApiError;
use super::readable::Readable;
use super::route::ReadRoute;
use super::{body_rejection, AppState};

/// One aggregate's state as of a log position.
#[derive(Debug, Serialize, ToSchema)]
pub struct AggregateView {
    /// The aggregate's stream, e.g. `customer-<uuid>`.
    pub stream_id: String,
    /// The stream's last version (the first event is version 0).
    pub version: u64,
    /// The log length the state was read at: every event before this
    /// position is reflected.
    pub log_position: u64,
    /// The aggregate's state (shape per aggregate; see domain/EVENTS.md).
    #[schema(value_type = Object)]
    pub state: serde_json::Value,
}

/// The published configuration (routing rules, pool policy, extraction
/// dictionary, nurture template, health policy), each `null` until
/// published (while no health policy is published, the documented default
/// version 1 applies).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigView {
    pub log_position: u64,
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
}

/// A stored evidence file.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlobView {
    /// SHA-256 of the content, 64 hex digits.
    pub sha256: String,
    pub size: u64,
}

/// The route that reads aggregate `A`'s state at `path` (`{id}` last).
const fn aggregate<A: Readable>(path: &'static str, operation_id: &'static str) -> ReadRoute {
    ReadRoute {
        path,
        operation_id,
        schema: "AggregateView",
        query: &[],
        serve: || get(read_aggregate::<A>),
    }
}

/// Every read route: this module's, a reaction's outcome, a customer's
/// owner as of a time and the latest checkpoint.
pub fn read_routes() -> impl Iterator<Item = &'static ReadRoute> {
    READ_ROUTES.iter().chain([
        &super::reactions::REACTION_READ,
        &super::views::responsibility::OWNERSHIP_READ,
        &super::audit::CHECKPOINT_READ,
    ])
}

/// Each aggregate's state, and the published configuration.
const READ_ROUTES: &[ReadRoute] = &[
    aggregate::<Customer>("/v1/customers/{customer_id}", "ReadCustomer"),
    aggregate::<Lead>("/v1/leads/{lead_id}", "ReadLead"),
    aggregate::<Rep>("/v1/reps/{rep_id}", "ReadRep"),
    aggregate::<Visit>("/v1/visits/{visit_id}", "ReadVisit"),
    aggregate::<NurturePack>("/v1/nurture-packs/{pack_id}", "ReadNurturePack"),
    aggregate::<Proposal>("/v1/proposals/{proposal_id}", "ReadProposal"),
    ReadRoute {
        path: "/v1/config",
        operation_id: "ReadConfig",
        schema: "ConfigView",
        query: &[],
        serve: || get(read_config),
    },
    aggregate::<Contract>("/v1/contracts/{contract_id}", "ReadContract"),
    aggregate::<Account>("/v1/customers/{customer_id}/account", "ReadAccount"),
    aggregate::<ProcessAsset>("/v1/process-assets/{asset_id}", "ReadProcessAsset"),
];

/// `max_blob_bytes` bounds an upload before it is buffered.
pub fn routes(max_blob_bytes: usize) -> Router<AppState> {
    super::route::router(read_routes())
        .route(
            "/v1/blobs",
            post(upload_blob).layer(DefaultBodyLimit::max(max_blob_bytes)),
        )
        .route("/v1/blobs/{sha256}", get(download_blob))
}

/// `GET` an aggregate's state by the id in the path: answered only if the
/// caller may read it (its customer's [`Readable::RESOURCE`]), else as
/// missing.
async fn read_aggregate<A: Readable>(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    let Path(id) = path?;
    let stream_id = A::stream_id(id);
    let loaded = state.service.load::<A>(&stream_id).await?;
    let missing = || ApiError::not_found(format!("no {} at {stream_id}", A::WHAT));
    if let (Some(resource), Some(customer)) = (A::RESOURCE, loaded.state.customer_of(id)) {
        let subject = Subject::Customer(customer);
        ensure_may_read(&state, &caller, resource, subject, missing).await?;
    }
    let Some(version) = loaded.version else {
        return Err(missing());
    };
    let mut view = serde_json::to_value(&loaded.state).map_err(super::internal)?;
    if let Some(fields) = view.as_object_mut() {
        loaded.state.amend(fields)?;
    }
    Ok(Json(AggregateView {
        stream_id,
        version,
        log_position: loaded.log_len,
        state: view,
    }))
}

async fn read_config(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<ConfigView>, ApiError> {
    let log_position = state.service.store().head().len;
    let mut config = state.service.published_config().await?;
    config.health_policy = state
        .service
        .load::<Config>(CONFIG_HEALTH_STREAM)
        .await?
        .state
        .health_policy;
    let config = serde_json::to_value(&config).map_err(super::internal)?;
    Ok(Json(ConfigView {
        log_position,
        config,
    }))
}

/// `POST /v1/blobs`: stores an evidence file (e.g. a proposal PDF) by its
/// SHA-256; the proposal's PDF command then references the hash.
async fn upload_blob(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    CommandService::authorise(caller.principal.role, CommandKind::RecordProposalPdf)?;
    let body = body.map_err(|rejection| body_rejection(&rejection))?;
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_blob",
            "the uploaded file is empty",
        ));
    }
    let BlobRef { sha256, size } = state.blobs.put(&body).await?;
    let view = BlobView {
        sha256: sha256.to_hex(),
        size,
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/v1/blobs/{}", view.sha256))],
        Json(view),
    )
        .into_response())
}

/// `GET /v1/blobs/{sha256}`. A caller with a read scope (a rep, a
/// regional supervisor with a region) reads a blob only as the PDF of a
/// proposal of a customer they may read (the `Registry` indexes which
/// customers' proposals reference each blob); any other blob is answered
/// as missing.
async fn download_blob(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(raw) = path?;
    let sha256 = Hash32::parse_hex_any_case(&raw).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_sha256",
            "expected 64 hex digits",
        )
    })?;
    if is_scoped(&caller) && !may_read_blob(&state, &caller, &sha256).await? {
        return Err(salesledger_store::StoreError::BlobNotFound(sha256.to_hex()).into());
    }
    let content = state.blobs.get(&sha256).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        content,
    )
        .into_response())
}

/// Whether the caller may read the blob `sha256`: it is the PDF of a
/// proposal of at least one customer whose [`Resource::Blob`] they may read.
async fn may_read_blob(
    state: &AppState,
    caller: &Caller,
    sha256: &Hash32,
) -> Result<bool, ApiError> {
    let hex = sha256.to_hex();
    let customers = state
        .service
        .with_registry(|registry| registry.blob_customers(&hex))
        .await?;
    for customer in customers {
        if may_read_customer(state, caller, Resource::Blob, customer).await? {
            return Ok(true);
        }
    }
    Ok(false)
}
