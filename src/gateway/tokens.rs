//! `/v1/tokens`: supervisors create, list and revoke bearer tokens, as
//! `salesledger token ...` does on the command line. The token itself is
//! in the create call's answer only; the file keeps its SHA-256 digest
//! (`crate::tokens`). Who may: [`salesledger_domain::access::may_manage_tokens`].

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use salesledger_domain::access::may_manage_tokens;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::problem::ApiError;
use super::route::DocRoute;
use super::AppState;
use crate::tokens::{NewToken, TokenFileError, TokenView};

/// The create call's answer: the token's entry and, only here, the token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    #[serde(flatten)]
    pub view: TokenView,
    /// The bearer token; shown only in this answer (the server keeps its
    /// SHA-256 digest).
    pub token: String,
}

/// `GET /v1/tokens`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    /// Every token of the file, revoked and expired ones included, in
    /// file order (oldest first).
    pub tokens: Vec<TokenView>,
}

const MANAGE_PROBLEMS: &[(&str, &str)] = &[
    (
        "401",
        "unauthenticated / token_expired / token_revoked: no usable bearer token",
    ),
    ("403", "forbidden: only supervisors manage tokens"),
];

/// The token routes, for the OpenAPI document.
pub const TOKEN_ROUTES: &[DocRoute] = &[
    DocRoute::new(
        "post",
        "/v1/tokens",
        || post(create),
        "CreateToken",
        "Creates a bearer token; the answer carries the token, shown only once. \
         The gateway accepts it at once. Roles: supervisor.",
    )
    .creates("TokenCreated")
    .body("CreateTokenRequest")
    .problems(&[
        ("400", "malformed_body / unknown field"),
        (
            "401",
            "unauthenticated / token_expired / token_revoked: no usable bearer token",
        ),
        ("403", "forbidden: only supervisors manage tokens"),
        ("409", "token_name_taken: an active token has that name"),
        ("415", "Body is not application/json"),
        (
            "422",
            "invalid_token: bad name, role, rep id, region or expiry",
        ),
    ])
    .tag("tokens"),
    DocRoute::new(
        "get",
        "/v1/tokens",
        || get(list),
        "ListTokens",
        "Every token's name, role, rep id, region, dates and status (never a \
         secret); `last_used_at` includes this gateway's unsaved uses. Roles: \
         supervisor.",
    )
    .answers("TokenList")
    .problems(MANAGE_PROBLEMS)
    .tag("tokens"),
    DocRoute::new(
        "delete",
        "/v1/tokens/{name}",
        || delete(revoke),
        "RevokeToken",
        "Revokes the token of that name: from now on it gets 401 `token_revoked`. \
         Its entry stays listed. Roles: supervisor.",
    )
    .no_content()
    .problems(&[
        ("400", "invalid_path_parameter"),
        (
            "401",
            "unauthenticated / token_expired / token_revoked: no usable bearer token",
        ),
        ("403", "forbidden: only supervisors manage tokens"),
        ("404", "not_found: no token has that name"),
    ])
    .tag("tokens"),
];

pub fn routes() -> Router<AppState> {
    super::route::router(TOKEN_ROUTES)
}

fn authorise(caller: &Caller) -> Result<(), ApiError> {
    super::auth::ensure_role(
        caller,
        may_manage_tokens,
        "manage tokens; only supervisors may",
    )
}

impl From<TokenFileError> for ApiError {
    fn from(error: TokenFileError) -> Self {
        match &error {
            TokenFileError::Invalid { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_token",
                error.to_string(),
            ),
            TokenFileError::NameTaken(name) => {
                let name = serde_json::json!(name);
                ApiError::new(StatusCode::CONFLICT, "token_name_taken", error.to_string())
                    .with("name", name)
            }
            TokenFileError::NotFound(_) => ApiError::not_found(error.to_string()),
            TokenFileError::Io { .. }
            | TokenFileError::Parse { .. }
            | TokenFileError::NewerVersion { .. } => ApiError::internal(&error),
        }
    }
}

/// The token file this gateway follows; a gateway with a fixed set of
/// tokens has none to change.
fn token_file(state: &AppState) -> Result<std::path::PathBuf, ApiError> {
    state.tokens.path().map(ToOwned::to_owned).ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "tokens_fixed",
            "this gateway's tokens are fixed (no token file)",
        )
    })
}

/// Runs a token file change off the async threads, then re-reads the
/// file so the change is in force when the answer is sent.
async fn change<T: Send + 'static>(
    state: &AppState,
    change: impl FnOnce(&std::path::Path) -> Result<T, TokenFileError> + Send + 'static,
) -> Result<T, ApiError> {
    let path = token_file(state)?;
    let tokens = state.tokens.clone();
    tokio::task::spawn_blocking(move || {
        let answer = change(&path)?;
        tokens
            .reload_if_changed()
            .map_err(|error| ApiError::internal(error.as_ref() as &dyn std::error::Error))?;
        Ok(answer)
    })
    .await
    .map_err(super::internal)?
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: super::media::JsonBody<NewToken>,
) -> Result<Response, ApiError> {
    authorise(&caller)?;
    let new = body.decoded()?;
    let now = state.now();
    let (token, entry) = change(&state, move |path| crate::tokens::create(path, &new, now)).await?;
    tracing::info!(name = %entry.actor, role = entry.role.as_str(), by = %caller.principal.actor, "token created");
    let created = TokenCreated {
        view: TokenView::of(&entry, now),
        token,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<TokenList>, ApiError> {
    authorise(&caller)?;
    let path = token_file(&state)?;
    let file = tokio::task::spawn_blocking(move || crate::tokens::read(&path))
        .await
        .map_err(super::internal)??;
    let used = state.tokens.last_used();
    let now = state.now();
    let tokens = file
        .tokens
        .iter()
        .map(|entry| TokenView::with_last_use(entry, now, &used))
        .collect();
    Ok(Json(TokenList { tokens }))
}

async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    authorise(&caller)?;
    let name = path?.0;
    let now = state.now();
    let revoked_name = name.clone();
    change(&state, move |path| {
        crate::tokens::revoke(path, &revoked_name, now)
    })
    .await?;
    tracing::info!(%name, by = %caller.principal.actor, "token revoked");
    Ok(StatusCode::NO_CONTENT)
}
