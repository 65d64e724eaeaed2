//! Read routes: each aggregate's current state (including a customer's
//! account, contracts and process assets), the published configuration,
//! and evidence blobs (upload and download).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use salesledger_commands::CommandService;
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

use super::auth::Caller;
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
    _caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    view::<Customer>(
        &state.service,
        customer_stream_id(CustomerId::from_uuid(id(path)?)),
        "customer",
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
    _caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    view::<Visit>(
        &state.service,
        visit_stream_id(VisitId::from_uuid(id(path)?)),
        "visit",
    )
    .await
}

async fn read_nurture_pack(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    view::<NurturePack>(
        &state.service,
        nurture_stream_id(NurturePackId::from_uuid(id(path)?)),
        "nurture pack",
    )
    .await
}

async fn read_proposal(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    let stream_id = proposal_stream_id(ProposalId::from_uuid(id(path)?));
    let loaded = state.service.load::<Proposal>(&stream_id).await?;
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
    _caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    view::<Contract>(
        &state.service,
        contract_stream_id(ContractId::from_uuid(id(path)?)),
        "contract",
    )
    .await
}

/// A customer's account: its customer-success inputs, health level,
/// call-back tasks, renewal-quoting freeze and rescue plans. `404` until
/// the customer has a first input.
async fn read_account(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    view::<Account>(
        &state.service,
        account_stream_id(CustomerId::from_uuid(id(path)?)),
        "account",
    )
    .await
}

async fn read_process_asset(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AggregateView>, ApiError> {
    view::<ProcessAsset>(
        &state.service,
        asset_stream_id(AssetId::from_uuid(id(path)?)),
        "process asset",
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

async fn download_blob(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(raw) = path?;
    let sha256 = Hash32::parse_hex(&raw).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_sha256",
            "expected 64 hex digits",
        )
    })?;
    let content = state.blobs.get(&sha256).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        content,
    )
        .into_response())
}
