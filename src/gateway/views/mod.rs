//! Read models over HTTP: `GET /v1/views/...`.
//!
//! Every answer is a [`ViewResponse`]: the view's name, the last log
//! position it reflects, and the data. A caller that has just written
//! (a command's `last_position`) may ask for read-your-writes with
//! `?wait_for_position=N[&timeout_ms=T]`: the answer waits until the view
//! has applied position `N`, or fails with `503 view_not_caught_up` after
//! the timeout (default 5 s, at most 30 s). Query parameters are strict:
//! an unknown one is a `400 invalid_query`.

use std::time::Duration;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use salesledger_projections::Projector;
use salesledger_replay::runner::{Checkpoint, RunnerError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::problem::ApiError;
use super::AppState;

pub mod business;
pub mod health;
pub mod responsibility;

/// Default and maximum wait for `wait_for_position`.
const DEFAULT_WAIT: Duration = Duration::from_secs(5);
const MAX_WAIT: Duration = Duration::from_secs(30);

/// One view's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewResponse {
    /// The view's name, e.g. `health`.
    pub view: String,
    /// The last log position the view has applied (`null` before the
    /// first): everything up to and including it is reflected.
    pub position: Option<u64>,
    /// The view's data; its shape is described on each route.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// Read-your-writes parameters, accepted by every view route.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitQuery {
    pub wait_for_position: Option<u64>,
    pub timeout_ms: Option<u64>,
}

impl WaitQuery {
    fn timeout(&self) -> Duration {
        self.timeout_ms
            .map_or(DEFAULT_WAIT, Duration::from_millis)
            .min(MAX_WAIT)
    }
}

/// A documented view route: path, operation id, what it answers, and its
/// own query parameters (besides `wait_for_position` and `timeout_ms`).
pub struct ViewRoute {
    pub path: &'static str,
    pub operation_id: &'static str,
    pub description: &'static str,
    pub query: &'static [(&'static str, &'static str)],
}

/// Every view route, for the OpenAPI document (the router below must
/// serve exactly these; a test checks it).
/// Every view route, for the OpenAPI document (the router must serve
/// exactly these; a test checks it).
pub fn view_routes() -> impl Iterator<Item = &'static ViewRoute> {
    responsibility::VIEW_ROUTES
        .iter()
        .chain(health::VIEW_ROUTES)
        .chain(business::VIEW_ROUTES)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(responsibility::routes())
        .merge(health::routes())
        .merge(business::routes())
}

/// Waits as asked, then runs `query` on projector `P`'s model.
pub async fn answer<P, R>(
    state: &AppState,
    wait: &WaitQuery,
    query: impl FnOnce(&P::Model) -> Result<R, ApiError>,
) -> Result<Response, ApiError>
where
    P: Projector,
    R: Serialize,
{
    if let Some(position) = wait.wait_for_position {
        state
            .views
            .wait_for(P::NAME, position, wait.timeout())
            .await
            .map_err(view_error)?;
    }
    let (data, checkpoint) = state.views.read_with::<P, _>(query).map_err(view_error)?;
    respond(P::NAME, &data?, checkpoint)
}

fn respond<R: Serialize>(
    name: &str,
    data: &R,
    checkpoint: Checkpoint,
) -> Result<Response, ApiError> {
    let data = serde_json::to_value(data).map_err(|error| ApiError::internal(&error))?;
    let body = ViewResponse {
        view: name.to_owned(),
        position: checkpoint.last_applied(),
        data,
    };
    Ok((StatusCode::OK, Json(body)).into_response())
}

/// A runner error as a problem: waiting too long or a stopped projector
/// is the service being unavailable for this read, not the caller's fault.
pub fn view_error(error: RunnerError) -> ApiError {
    match error {
        RunnerError::WaitTimedOut {
            projector,
            position,
            timeout,
            reached,
        } => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "view_not_caught_up",
            format!(
                "view {projector} has not applied position {position} within {} ms (it is at {reached})",
                timeout.as_millis()
            ),
        )
        .with("reached", serde_json::json!(reached.last_applied())),
        RunnerError::ProjectorStopped { projector, reason } => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "view_unavailable",
            format!("view {projector} has stopped: {reason}"),
        ),
        other => ApiError::internal(&other),
    }
}

pub fn not_found(what: &str, id: Uuid) -> ApiError {
    ApiError::not_found(format!("no {what} {id} in this view"))
}

pub fn path_id(path: Result<Path<Uuid>, PathRejection>) -> Result<Uuid, ApiError> {
    Ok(path?.0)
}

pub fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    Ok(query?.0)
}
