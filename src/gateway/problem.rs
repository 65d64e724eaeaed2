//! Errors as `application/problem+json` (RFC 9457) with a stable,
//! machine-readable `code`. Each error class maps to exactly one status;
//! unexpected errors are a 500 and a `tracing::error!` with the cause
//! chain, never a panic.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use salesledger_commands::CommandError;
use salesledger_domain::{DomainError, ErrorKind};
use salesledger_store::StoreError;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

/// The body of every error response (title and detail translated by
/// `localize::localize_problems`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:salesledger:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem class, in the language of the
    /// request's `Accept-Language` (zh-CN or English).
    pub title: String,
    /// The HTTP status, repeated.
    pub status: u16,
    /// Stable machine-readable code, e.g. `customer_already_owned`.
    #[schema(example = "customer_already_owned")]
    pub code: String,
    /// What happened in this instance, in the language of the request's
    /// `Accept-Language` (zh-CN or English; `code` is the same in both).
    pub detail: String,
    /// Extra facts some problems carry (e.g. `owner` on an ownership
    /// conflict, `path` on a body error).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: serde_json::Map<String, Value>,
}

/// An error the gateway answers with.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
    pub extra: serde_json::Map<String, Value>,
    /// Variables of the translated messages that are not in the body
    /// (e.g. a domain refusal's fields; see [`crate::i18n`]). Under
    /// [`RULE_ARG`], the rule an invalid value breaks.
    pub args: Vec<(String, String)>,
}

/// The argument of an [`ApiError`] that holds the rule an invalid value
/// breaks, as the domain states it: a translated detail names only what is
/// invalid, and the rule follows it in parentheses
/// ([`crate::i18n::with_rule`]).
pub const RULE_ARG: &str = "rule";

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.into(),
            detail: detail.into(),
            extra: serde_json::Map::new(),
            args: Vec::new(),
        }
    }

    pub fn with(mut self, key: &str, value: Value) -> ApiError {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// With the rule an invalid value breaks ([`RULE_ARG`]), if any.
    pub fn with_rule(mut self, rule: Option<String>) -> ApiError {
        if let Some(rule) = rule {
            self.args.push((RULE_ARG.to_owned(), rule));
        }
        self
    }

    /// The rule an invalid value breaks ([`RULE_ARG`]), if any.
    pub fn rule(&self) -> Option<&str> {
        self.args
            .iter()
            .find(|(name, _)| name == RULE_ARG)
            .map(|(_, rule)| rule.as_str())
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "a valid `Authorization: Bearer <token>` header is required",
        )
    }

    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn internal(error: &dyn std::error::Error) -> ApiError {
        let mut chain = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        tracing::error!(error = %chain, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; it was logged",
        )
    }

    fn title(&self) -> &'static str {
        match self.status {
            StatusCode::BAD_REQUEST => "Bad request",
            StatusCode::UNAUTHORIZED => "Unauthenticated",
            StatusCode::FORBIDDEN => "Forbidden",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::METHOD_NOT_ALLOWED => "Method not allowed",
            StatusCode::CONFLICT => "Conflict",
            StatusCode::PAYLOAD_TOO_LARGE => "Payload too large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported media type",
            StatusCode::UNPROCESSABLE_ENTITY => "Unprocessable request",
            StatusCode::SERVICE_UNAVAILABLE => "Service unavailable",
            StatusCode::INSUFFICIENT_STORAGE => "Insufficient storage",
            _ => "Internal error",
        }
    }
}

impl ApiError {
    /// The problem body this error answers with (bulk ingestion reports
    /// one per failed item).
    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("urn:salesledger:problem:{}", self.code),
            title: self.title().to_owned(),
            status: self.status.as_u16(),
            code: self.code.clone(),
            detail: self.detail.clone(),
            extra: self.extra.clone(),
        }
    }
}

/// The error a problem response was built from, left in the response's
/// extensions for the language layer (`localize::localize_problems`).
#[derive(Debug, Clone)]
pub struct ProblemSource(pub ApiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (self.status, body).into_response();
        let status = self.status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        // For the language layer (localize::localize_problems).
        response.extensions_mut().insert(ProblemSource(self));
        response
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        let status = match error.kind() {
            ErrorKind::Conflict | ErrorKind::PreconditionFailed => StatusCode::CONFLICT,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            _ => return ApiError::internal(&error),
        };
        let mut api_error = ApiError::new(status, error.code(), error.to_string());
        api_error.args = crate::i18n::domain_args(&error);
        if let DomainError::InvalidValue { reason, .. } = &error {
            api_error = api_error.with_rule(Some(reason.clone()));
        }
        if let DomainError::CustomerAlreadyOwned { owner, customer_id } = &error {
            api_error = api_error
                .with("owner", json!(owner))
                .with("customer_id", json!(customer_id));
        }
        api_error
    }
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::Forbidden { .. } => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", error.to_string())
            }
            CommandError::Domain(domain) => domain.into(),
            CommandError::IdempotencyKeyReused { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                error.to_string(),
            ),
            CommandError::TimeInFuture {
                field,
                at,
                now,
                margin_secs,
            } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "time_in_future",
                error.to_string(),
            )
            .with("field", json!(field))
            .with("value", json!(at))
            .with("server_time", json!(now))
            .with("margin_secs", json!(margin_secs)),
            CommandError::Contention { .. } => {
                ApiError::new(StatusCode::CONFLICT, "contention", error.to_string())
            }
            CommandError::Store(store) => store.into(),
            other => ApiError::internal(&other),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::BlobTooLarge { .. } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "blob_too_large",
                error.to_string(),
            ),
            StoreError::BlobNotFound(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "blob_not_found", error.to_string())
            }
            StoreError::InvalidAppend(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_append",
                error.to_string(),
            ),
            // A full disk: nothing was appended (or stored); the log
            // resumes by itself when space returns, so the client may retry.
            StoreError::InsufficientStorage(_) => {
                tracing::error!(%error, "the disk is full; refused");
                ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "insufficient_storage",
                    "the server's disk is full; nothing was stored. Retry later (with the same Idempotency-Key)",
                )
            }
            other if other.is_storage_full() => {
                tracing::error!(error = %other, "the disk is full; refused");
                ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "insufficient_storage",
                    "the server's disk is full; nothing was stored. Retry later (with the same Idempotency-Key)",
                )
            }
            StoreError::Poisoned
            | StoreError::Closed
            | StoreError::Unavailable(_)
            | StoreError::PostgresUnreachable(_) => {
                tracing::error!(%error, "the event log refused an append");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "log_unavailable",
                    error.to_string(),
                )
            }
            other => ApiError::internal(&other),
        }
    }
}
