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
use salesledger_domain::stream::{
    account_stream_id, asset_stream_id, contract_stream_id, customer_stream_id, lead_stream_id,
    nurture_stream_id, proposal_stream_id, rep_stream_id, visit_stream_id, CONFIG_HEALTH_STREAM,
};
use salesledger_domain::value::{
    AssetId, ContractId, CustomerId, LeadId, NurturePackId, ProposalId, RepId, VisitId,
};
use salesledger_domain::visit::Visit;
use salesledger_domain::{Aggregate, CommandKind};
use salesledger_store::{BlobRef, Hash32};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{ensure_may_read, is_scoped, may_read_customer, Caller, Subject};
use super::problem::ApiError;
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

/// `max_blob_bytes` bounds an upload before it is buffered.
pub fn routes(max_blob_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/v1/customers/{customer_id}", get(read_customer))
        .route("/v1/leads/{lead_id}", get(read_lead))
        .route("/v1/reps/{rep_id}", get(read_rep))
        .route("/v1/visits/{visit_id}", get(read_visit))
        .route("/v1/nurture-packs/{pack_id}", get(read_nurture_pack))
        .route("/v1/proposals/{proposal_id}", get(read_proposal))
        .route("/v1/config", get(read_config))
        .route("/v1/contracts/{contract_id}", get(read_contract))
        .route("/v1/customers/{customer_id}/account", get(read_account))
        .route("/v1/process-assets/{asset_id}", get(read_process_asset))
        .route(
            "/v1/blobs",
            post(upload_blob).layer(DefaultBodyLimit::max(max_blob_bytes)),
        )
        .route("/v1/blobs/{sha256}", get(download_blob))
}

async fn view<A: Aggregate + Serialize>(
    service: &CommandService,
    stream_id: String,
    what: &str,
) -> Result<Json<AggregateView>, ApiError> {
    let loaded = service.load::<A>(&stream_id).await?;
    into_view(loaded, stream_id, what)
}

/// [`view`] of an aggregate that belongs to a customer (`customer_of` its
/// state): answered only if the caller may read `resource` of that
/// customer, else as missing.
async fn scoped_view<A: Aggregate + Serialize>(
    state: &AppState,
    caller: &Caller,
    resource: Resource,
    stream_id: String,
    what: &str,
    customer_of: impl FnOnce(&A) -> Option<CustomerId>,
) -> Result<Json<AggregateView>, ApiError> {
    let loaded = state.service.load::<A>(&stream_id).await?;
    if let Some(customer) = customer_of(&loaded.state) {
        let missing = || ApiError::not_found(format!("no {what} at {stream_id}"));
        ensure_may_read(
            state,
            caller,
            resource,
            Subject::Customer(customer),
            missing,
        )
        .await?;
    }
    into_view(loaded, stream_id, what)
}

fn into_view<A: Serialize>(
    loaded: salesledger_commands::Loaded<A>,
    stream_id: String,
    what: &str,
) -> Result<Json<AggregateView>, ApiError> {
    let Some(version) = loaded.version else {
        return Err(ApiError::not_found(format!("no {what} at {stream_id}")));
    };
    let state = serde_json::to_value(&loaded.state).map_err(super::internal)?;
    Ok(Json(AggregateView {
        stream_id,
        version,
        log_position: loaded.log_len,
        state,
    }))
}

fn id(path: Result<Path<Uuid>, PathRejection>) -> Result<Uuid, ApiError> {
    Ok(path?.0)
}

async fn read_customer(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    let customer = CustomerId::from_uuid(id(path)?);
    scoped_view::<Customer>(
        &state,
        &caller,
        Resource::Customer,
        customer_stream_id(customer),
        "customer",
        |_| Some(customer),
    )
    .await
}

async fn read_lead(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    view::<Lead>(
        &state.service,
        lead_stream_id(LeadId::from_uuid(id(path)?)),
        "lead",
    )
    .await
}

async fn read_rep(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    view::<Rep>(
        &state.service,
        rep_stream_id(RepId::from_uuid(id(path)?)),
        "rep",
    )
    .await
}

async fn read_visit(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    scoped_view::<Visit>(
        &state,
        &caller,
        Resource::Visit,
        visit_stream_id(VisitId::from_uuid(id(path)?)),
        "visit",
        |visit| visit.customer_id,
    )
    .await
}

async fn read_nurture_pack(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    scoped_view::<NurturePack>(
        &state,
        &caller,
        Resource::NurturePack,
        nurture_stream_id(NurturePackId::from_uuid(id(path)?)),
        "nurture pack",
        |pack| pack.customer_id,
    )
    .await
}

async fn read_proposal(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    let stream_id = proposal_stream_id(ProposalId::from_uuid(id(path)?));
    let loaded = state.service.load::<Proposal>(&stream_id).await?;
    if let Some(customer) = loaded.state.customer_id {
        let missing = || ApiError::not_found(format!("no proposal at {stream_id}"));
        let subject = Subject::Customer(customer);
        ensure_may_read(&state, &caller, Resource::Proposal, subject, missing).await?;
    }
    let status = loaded.state.status();
    let Json(mut view) = into_view(loaded, stream_id, "proposal")?;
    // SPEC C6's names: pending_verification until 2 of 3 proofs, then delivered.
    if let (Some(status), Some(fields)) = (status, view.state.as_object_mut()) {
        fields.insert(
            "status".into(),
            serde_json::to_value(status).map_err(super::internal)?,
        );
    }
    Ok(Json(view))
}

async fn read_contract(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    scoped_view::<Contract>(
        &state,
        &caller,
        Resource::Contract,
        contract_stream_id(ContractId::from_uuid(id(path)?)),
        "contract",
        |contract| contract.record.as_ref().map(|record| record.customer_id),
    )
    .await
}

/// A customer's account: its customer-success inputs, health level,
/// call-back tasks, renewal-quoting freeze and rescue plans. `404` until
/// the customer has a first input.
async fn read_account(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    let customer = CustomerId::from_uuid(id(path)?);
    scoped_view::<Account>(
        &state,
        &caller,
        Resource::Account,
        account_stream_id(customer),
        "account",
        |_| Some(customer),
    )
    .await
}

async fn read_process_asset(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    scoped_view::<ProcessAsset>(
        &state,
        &caller,
        Resource::ProcessAsset,
        asset_stream_id(AssetId::from_uuid(id(path)?)),
        "process asset",
        |asset| asset.record.as_ref().map(|record| record.customer_id),
    )
    .await
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
