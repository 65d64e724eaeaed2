//! Chain stores (SPEC C13, docs/design/chain-stores.md): the bulk POS route
//! `POST /v1/pos/sales?batch_id=B` (NDJSON). The JSON chain-store commands
//! (`POST /v1/stores`, `/v1/skus`, `/v1/members`, `/v1/promotions`, `PUT
//! /v1/config/retail-policy`) are command routes like the others
//! (`crate::requests`, routed by `routes::ALL_COMMAND_ROUTES`).
//!
//! The POS route authorises `RecordPosSales` before anything else, then
//! checks the batch id and the media type (`application/x-ndjson`,
//! `application/jsonl` or `text/plain`, else `415`), reads the body up to
//! [`MAX_POS_BATCH_BYTES`] and counts its lines (at most
//! [`MAX_POS_BATCH_LINES`]; `413 pos_batch_too_large` beyond), and hands it
//! to `CommandService::record_pos_ndjson`, the path `salesledger import pos`
//! shares: any bad line is `422 invalid_pos_batch` listing up to 100 bad
//! lines (`errors: [{line, code, detail}]`, `n_errors`) with nothing
//! appended; a new batch is `201` with `{batch_id, lines, tickets, events,
//! first_position, last_position, replayed: false}`; an identical repeat is
//! `200` with the original outcome and `replayed: true`; the same batch id
//! with other lines is `409 pos_batch_id_reused`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use salesledger_commands::{CommandError, CommandMeta};
use salesledger_domain::retail::{MAX_POS_BATCH_BYTES, MAX_POS_BATCH_LINES};
use salesledger_domain::value::PosBatchId;
use salesledger_domain::{CommandKind, DomainError};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::commands::uuid_header;
use super::pos_lines::RecordPosNdjson;
use super::problem::ApiError;
use super::AppState;

/// The bulk POS route.
pub const POS_SALES_PATH: &str = "/v1/pos/sales";

/// Bad lines listed in a `422 invalid_pos_batch` at most.
pub const MAX_REPORTED_BAD_LINES: usize = 100;

/// Media types the POS route accepts.
pub const POS_MEDIA_TYPES: &[&str] = &["application/x-ndjson", "application/jsonl", "text/plain"];

pub fn routes() -> Router<AppState> {
    Router::new().route(POS_SALES_PATH, post(record_pos_sales))
}

// ---- the POS route ----------------------------------------------------------

/// The answer of `POST /v1/pos/sales` (documents
/// `salesledger_commands::PosBatchOutcome`).
#[derive(Serialize, ToSchema)]
#[schema(as = PosBatchOutcome)]
pub struct PosBatchOutcomeDoc {
    /// The batch id (`pos-<batch id>` is its stream).
    pub batch_id: String,
    /// Sale lines (blank lines not counted).
    pub lines: u64,
    /// Distinct tickets.
    pub tickets: u64,
    /// `PosTicketsRecorded` events appended (one per store and chunk).
    pub events: u64,
    /// Position of the first event.
    pub first_position: u64,
    /// Position of the last event: wait for views to reach it.
    pub last_position: u64,
    /// True when this repeats the answer to an identical, already recorded batch.
    pub replayed: bool,
}

fn batch_id_of(uri: &axum::http::Uri) -> Result<PosBatchId, ApiError> {
    let query = uri.query().unwrap_or_default();
    let raw = form_urlencoded_value(query, "batch_id").ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "missing_batch_id",
            "the query parameter batch_id is required",
        )
    })?;
    PosBatchId::parse(&raw).map_err(|error| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            error.code(),
            error.to_string(),
        )
        .with("path", json!("batch_id"))
    })
}

/// The first value of `name` in a query string (form-urlencoded).
fn form_urlencoded_value(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn check_media_type(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    super::media::require_media_type(headers, POS_MEDIA_TYPES)
}

fn too_large(detail: String) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "pos_batch_too_large", detail)
}

/// `POST /v1/pos/sales?batch_id=B`.
async fn record_pos_sales(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let caller = parts
        .extensions
        .get::<super::auth::Caller>()
        .cloned()
        .ok_or_else(ApiError::unauthorized)?;
    salesledger_commands::CommandService::authorise(
        caller.principal.role,
        CommandKind::RecordPosSales,
    )?;
    let headers = parts.headers;
    let batch_id = batch_id_of(&parts.uri)?;
    check_media_type(&headers)?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_POS_BATCH_BYTES as u64) {
        return Err(too_large(format!(
            "the body exceeds {MAX_POS_BATCH_BYTES} bytes"
        )));
    }
    let body = super::read_body_within(body, MAX_POS_BATCH_BYTES, || {
        too_large(format!("the body exceeds {MAX_POS_BATCH_BYTES} bytes"))
    })
    .await?;
    let n_lines = body
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .count();
    if n_lines > MAX_POS_BATCH_LINES {
        return Err(too_large(format!(
            "the batch has {n_lines} lines; at most {MAX_POS_BATCH_LINES}"
        )));
    }
    let mut meta = CommandMeta::new(caller.principal.clone(), state.now());
    if let Some(correlation_id) = uuid_header(&headers, "x-correlation-id")? {
        meta.correlation_id = correlation_id;
    }
    if let Some(causation_id) = uuid_header(&headers, "x-causation-id")? {
        meta.causation_id = causation_id;
    }
    match state
        .service
        .record_pos_ndjson(&meta, &batch_id, &body)
        .await
    {
        Ok(outcome) => {
            let status = if outcome.replayed {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok((status, Json(outcome)).into_response())
        }
        Err(CommandError::Domain(DomainError::InvalidPosBatch { errors })) => {
            let n_errors = errors.len();
            let lang = super::localize::request_lang();
            let listed: Vec<_> = errors
                .iter()
                .take(MAX_REPORTED_BAD_LINES)
                .map(|error| {
                    let detail = crate::i18n::pos_line_detail(lang, error);
                    json!({"line": error.line, "code": error.code.as_str(), "detail": detail})
                })
                .collect();
            let first = errors
                .first()
                .map(|error| format!(" (first: line {}, {})", error.line, error.code.as_str()))
                .unwrap_or_default();
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_pos_batch",
                format!("{n_errors} bad line(s); nothing was appended{first}"),
            )
            .with("errors", json!(listed))
            .with("n_errors", json!(n_errors)))
        }
        Err(CommandError::Domain(DomainError::PosBatchTooLarge { lines, max })) => Err(too_large(
            format!("the batch has {lines} lines; at most {max}"),
        )),
        Err(error) => Err(error.into()),
    }
}
