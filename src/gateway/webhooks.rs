//! `/v1/webhooks`: integrators and supervisors create, list, read, pause,
//! resume and delete subscriptions. The signing secret is returned once,
//! by the create call.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use salesledger_domain::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Caller;
use super::problem::ApiError;
use super::route::DocRoute;
use super::AppState;
use crate::webhooks::subscriptions::{
    Attempt, Created, StoredWebhook, SubscriptionsError, WebhookState,
};
use crate::webhooks::target::{validate, TargetError};
use crate::webhooks::{EventFilter, TaskCardKind};

/// `POST /v1/webhooks`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// `http` or `https` URL the records are POSTed to.
    pub url: String,
    /// Event types to deliver (`"*"` for all).
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Task-card kinds to deliver: `csm_callback`, `overdue_sales`,
    /// `overdue_finance`, `overdue_legal`, `red_alert`, `todo`.
    #[serde(default)]
    pub task_cards: Vec<TaskCardKind>,
    /// First log position to deliver (default: the log's current length,
    /// i.e. only records committed from now on; `0` for the whole history).
    pub from: Option<u64>,
}

/// A subscription as the API shows it (never with its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub url: String,
    pub event_types: Vec<String>,
    pub task_cards: Vec<TaskCardKind>,
    /// `active` or `paused`.
    pub state: WebhookState,
    /// Why it was paused (by a caller, or after repeated failures).
    pub paused_reason: Option<String>,
    /// Next log position to deliver.
    pub cursor: u64,
    /// Last position acknowledged or skipped (`cursor - 1`; `null` at 0).
    pub delivered_through: Option<u64>,
    pub n_delivered: u64,
    pub consecutive_failures: u32,
    /// The latest attempts, oldest first (at most 20).
    pub attempts: Vec<Attempt>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub created_by: String,
}

/// The create call's answer: the subscription and, only here, its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The HMAC-SHA256 signing secret; shown only in this answer.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<WebhookView>,
}

/// `POST /v1/webhooks/{webhook_id}/resume` parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResumeQuery {
    pub from: Option<u64>,
}

const MANAGE_PROBLEMS: &[(&str, &str)] = &[
    ("401", "No or unknown bearer token"),
    ("403", "Only integrators and supervisors manage webhooks"),
];
const ID_PROBLEMS: &[(&str, &str)] = &[
    ("400", "invalid_path_parameter / invalid_query"),
    ("401", "No or unknown bearer token"),
    ("403", "Only integrators and supervisors manage webhooks"),
    ("404", "not_found: no such webhook"),
];

/// The webhook routes, for the OpenAPI document.
pub const WEBHOOK_ROUTES: &[DocRoute] = &[
    DocRoute::new(
        "post",
        "/v1/webhooks",
        || post(create),
        "CreateWebhook",
        "Subscribes a URL to event types and/or task-card kinds. The answer carries \
         the signing secret, shown only once. With an `Idempotency-Key` header (scoped \
         to the caller), a retry of the same request answers the subscription the first \
         created, with its secret (`idempotent-replayed: true`); another request with the \
         same key is a 422. Roles: integrator, supervisor.",
    )
    .creates("WebhookCreated")
    .body("CreateWebhookRequest")
    .problems(&[
        ("400", "malformed_body / unknown field"),
        ("401", "No or unknown bearer token"),
        ("403", "Only integrators and supervisors manage webhooks"),
        ("415", "Body is not application/json"),
        (
            "404",
            "not_found: the webhook this Idempotency-Key created was deleted",
        ),
        (
            "422",
            "invalid_webhook_target (scheme, private address, unresolvable) / \
             invalid_webhook_filter / from_beyond_log / idempotency_key_reused",
        ),
    ])
    .tag("webhooks"),
    DocRoute::new(
        "get",
        "/v1/webhooks",
        || get(list),
        "ListWebhooks",
        "Every subscription, oldest first. Roles: integrator, supervisor.",
    )
    .answers("WebhookList")
    .problems(MANAGE_PROBLEMS)
    .tag("webhooks"),
    DocRoute::new(
        "get",
        "/v1/webhooks/{webhook_id}",
        || get(read),
        "ReadWebhook",
        "State, cursor and the latest delivery attempts with their outcomes.",
    )
    .answers("WebhookView")
    .problems(ID_PROBLEMS)
    .tag("webhooks"),
    DocRoute::new(
        "delete",
        "/v1/webhooks/{webhook_id}",
        || delete(remove),
        "DeleteWebhook",
        "Removes the subscription; a delivery in flight is abandoned.",
    )
    .no_content()
    .problems(ID_PROBLEMS)
    .tag("webhooks"),
    DocRoute::new(
        "post",
        "/v1/webhooks/{webhook_id}/pause",
        || post(pause),
        "PauseWebhook",
        "Stops delivering; the cursor is kept.",
    )
    .answers("WebhookView")
    .problems(ID_PROBLEMS)
    .tag("webhooks"),
    DocRoute::new(
        "post",
        "/v1/webhooks/{webhook_id}/resume",
        || post(resume),
        "ResumeWebhook",
        "Delivers again, from the cursor or from position `from` (inclusive).",
    )
    .answers("WebhookView")
    .query(&[("from", "Log position to deliver from (default: the cursor)")])
    .problems(&[
        ("400", "invalid_path_parameter / invalid_query"),
        ("401", "No or unknown bearer token"),
        ("403", "Only integrators and supervisors manage webhooks"),
        ("404", "not_found: no such webhook"),
        ("422", "from_beyond_log: `from` is past the end of the log"),
    ])
    .tag("webhooks"),
];

pub fn routes() -> Router<AppState> {
    super::route::router(WEBHOOK_ROUTES)
}

fn view(hook: &StoredWebhook) -> WebhookView {
    WebhookView {
        id: hook.id,
        url: hook.url.clone(),
        event_types: hook.filter.event_types.clone(),
        task_cards: hook.filter.task_cards.clone(),
        state: hook.state,
        paused_reason: hook.paused_reason.clone(),
        cursor: hook.cursor,
        delivered_through: hook.cursor.checked_sub(1),
        n_delivered: hook.n_delivered,
        consecutive_failures: hook.consecutive_failures,
        attempts: hook.attempts.iter().cloned().collect(),
        created_at: hook.created_at,
        created_by: hook.created_by.clone(),
    }
}

fn authorise(caller: &Caller) -> Result<(), ApiError> {
    super::auth::ensure_role(
        caller,
        |role| matches!(role, Role::Integrator | Role::Supervisor),
        "manage webhooks",
    )
}

fn storage(error: SubscriptionsError) -> ApiError {
    ApiError::internal(&error)
}

/// How long a `from` beyond this gateway's end of the log is waited for:
/// on a shared PostgreSQL log, a position another gateway just answered
/// reaches this one a moment later.
const FROM_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// `from` once the log reaches it (`from` = the log's length: the next
/// record); `422 from_beyond_log` when it does not within [`FROM_WAIT`].
/// Otherwise a typo'd position would deliver nothing until the log grew
/// that long, while the subscription reported everything before it as
/// delivered.
async fn within_log(state: &AppState, from: u64) -> Result<u64, ApiError> {
    let store = state.service.store();
    let mut head = store.watch_head();
    let reached = tokio::time::timeout(FROM_WAIT, async {
        loop {
            if head.borrow_and_update().len >= from {
                return true;
            }
            if head.changed().await.is_err() {
                return false;
            }
        }
    })
    .await
    .unwrap_or(false);
    if reached {
        return Ok(from);
    }
    let log_len = store.head().len;
    Err(unprocessable(
        "from_beyond_log",
        format!("position {from} is beyond the end of the log ({log_len} records)"),
    )
    .with("from", serde_json::json!(from))
    .with("log_len", serde_json::json!(log_len)))
}

fn unprocessable(code: &str, detail: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
}

/// A call on one webhook: a caller who may manage webhooks (else `403`),
/// then the webhook id in the path (else `400`).
struct OnWebhook {
    state: AppState,
    caller: Caller,
    id: Uuid,
}

impl axum::extract::FromRequestParts<AppState> for OnWebhook {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        authorise(&caller)?;
        let Path(id) = Path::<Uuid>::from_request_parts(parts, state).await?;
        Ok(OnWebhook {
            state: state.clone(),
            caller,
            id,
        })
    }
}

/// Applies the control `change` to webhook `id` (a `404` when there is
/// none) and answers its view.
fn control(
    state: &AppState,
    id: Uuid,
    change: impl FnOnce(&mut StoredWebhook),
) -> Result<Json<WebhookView>, ApiError> {
    let hook = state
        .webhooks
        .update(id, None, true, change)
        .map_err(storage)?
        .ok_or_else(|| missing(id))?;
    Ok(Json(view(&hook)))
}

fn missing(id: Uuid) -> ApiError {
    ApiError::not_found(format!("no webhook {id}"))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: super::media::JsonBody<CreateWebhookRequest>,
) -> Result<Response, ApiError> {
    authorise(&caller)?;
    let idempotency_key = super::commands::idempotency_key_of(&headers)?;
    let request = body.decoded()?;
    // What the key is held to: the request as decoded, so spacing and
    // field order do not matter.
    let fingerprint = {
        use sha2::Digest;
        let canonical = serde_json::to_vec(&request).map_err(|error| ApiError::internal(&error))?;
        hex::encode(sha2::Sha256::digest(&canonical))
    };
    let filter = EventFilter::new(request.event_types, request.task_cards)
        .map_err(|error| unprocessable("invalid_webhook_filter", error.to_string()))?;
    let url = validate(&request.url, state.webhooks.allow_private_targets)
        .await
        .map_err(|error| {
            let reason = match &error {
                TargetError::Scheme(_) => "scheme",
                TargetError::Forbidden(_) => "private_address",
                TargetError::Unresolvable { .. } => "unresolvable",
                TargetError::Invalid(_) | TargetError::NoHost => "invalid_url",
            };
            unprocessable("invalid_webhook_target", error.to_string())
                .with("reason", serde_json::json!(reason))
        })?;
    let from = match request.from {
        Some(from) => within_log(&state, from).await?,
        None => state.service.store().head().len,
    };
    let hook = StoredWebhook::new(
        url.to_string(),
        filter,
        from,
        state.now(),
        caller.principal.actor.to_string(),
    );
    match &idempotency_key {
        None => state.webhooks.insert(&hook).map_err(storage)?,
        Some(key) => {
            let scoped = format!("{}\n{key}", caller.principal.actor);
            match state
                .webhooks
                .insert_once(&hook, &scoped, &fingerprint)
                .map_err(storage)?
            {
                Created::New => {}
                // A retry: the subscription the first request created,
                // with its secret, as the first answer gave it.
                Created::Replayed(Some(created)) => {
                    let mut response = (
                        StatusCode::CREATED,
                        Json(WebhookCreated {
                            webhook: view(&created),
                            secret: created.secret.clone(),
                        }),
                    )
                        .into_response();
                    response.headers_mut().insert(
                        "idempotent-replayed",
                        axum::http::HeaderValue::from_static("true"),
                    );
                    return Ok(response);
                }
                Created::Replayed(None) => {
                    return Err(ApiError::not_found(
                        "the webhook this Idempotency-Key created has been deleted",
                    ))
                }
                Created::KeyReused => {
                    return Err(unprocessable(
                        "idempotency_key_reused",
                        "this Idempotency-Key was already used for a different request".to_owned(),
                    ))
                }
            }
        }
    }
    tracing::info!(
        id = %hook.id,
        url = %crate::webhooks::target::redacted(&hook.url),
        actor = %hook.created_by,
        "webhook created"
    );
    let created = WebhookCreated {
        webhook: view(&hook),
        secret: hook.secret.clone(),
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<WebhookList>, ApiError> {
    authorise(&caller)?;
    let hooks = state.webhooks.list().map_err(storage)?;
    Ok(Json(WebhookList {
        webhooks: hooks.iter().map(view).collect(),
    }))
}

async fn read(OnWebhook { state, id, .. }: OnWebhook) -> Result<Json<WebhookView>, ApiError> {
    let hook = state
        .webhooks
        .get(id)
        .map_err(storage)?
        .ok_or_else(|| missing(id))?;
    Ok(Json(view(&hook)))
}

async fn remove(OnWebhook { state, caller, id }: OnWebhook) -> Result<StatusCode, ApiError> {
    if state.webhooks.remove(id).map_err(storage)? {
        tracing::info!(%id, actor = %caller.principal.actor, "webhook deleted");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(missing(id))
    }
}

async fn pause(OnWebhook { state, caller, id }: OnWebhook) -> Result<Json<WebhookView>, ApiError> {
    let actor = caller.principal.actor.to_string();
    control(&state, id, |hook| {
        hook.state = WebhookState::Paused;
        hook.paused_reason = Some(format!("paused by {actor}"));
    })
}

async fn resume(
    OnWebhook { state, id, .. }: OnWebhook,
    query: Result<Query<ResumeQuery>, QueryRejection>,
) -> Result<Json<WebhookView>, ApiError> {
    let from = query?.0.from;
    if let Some(from) = from {
        within_log(&state, from).await?;
    }
    control(&state, id, |hook| {
        hook.state = WebhookState::Active;
        hook.paused_reason = None;
        hook.consecutive_failures = 0;
        if let Some(from) = from {
            hook.cursor = from;
        }
    })
}
