//! Command routes. Every one runs [`run`]: authorise the role for the
//! command kind (the caller was authenticated by middleware, before any
//! body was read) -> read the body within the limit -> parse it into the
//! route's request type -> build the domain command -> the command
//! pipeline -> `200` (or `201` for a creation) with the outcome.
//!
//! Ownership (issue 13, `salesledger_domain::access`): right after the role
//! check, still before the body is read, [`ensure_may_act`] resolves the
//! route's [`Subject`] (set with [`Incoming::on`]: the path's customer, or
//! the customer of the path's proposal, nurture pack, visit or contract),
//! loads its owner and refuses with `403 not_customer_owner` what the access
//! table does not allow; a rep token without a rep id gets `403
//! rep_identity_unknown` on every customer-scoped command. Routes whose
//! customer is named in the body (visits, nurture packs, proposals,
//! contracts, process assets) call [`ensure_may_act`] on it while building
//! the command. Either way nothing is appended.

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use salesledger_commands::{CommandMeta, CommandService, IdempotencyKey, Registry};
use salesledger_domain::value::RepId;
use salesledger_domain::{access, Aggregate, CommandKind, Role};
use salesledger_store::Hash32;
use serde::de::DeserializeOwned;
use serde_json::json;
use uuid::Uuid;

use super::auth::{customer_of, relation_to, Caller, Subject};
use super::problem::ApiError;
use super::requests::{parse_body, BodyError, DtoError};
use super::AppState;

pub use super::routes::routes;

/// The longest accepted `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 200;

/// One command request as it arrived; its body is only read once the
/// caller's role is authorised for the command.
pub struct Incoming {
    pub state: AppState,
    pub caller: Caller,
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    body: axum::body::Body,
    /// What the route acts on, for the ownership check ([`Incoming::on`]).
    subject: Subject,
}

impl axum::extract::FromRequest<AppState> for Incoming {
    type Rejection = ApiError;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let caller = parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Incoming {
            state: state.clone(),
            caller,
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
            subject: Subject::None,
        })
    }
}

/// What to answer on success.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// `200 OK`.
    No,
    /// `201 Created` with `Location: <prefix><id>`.
    At(&'static str, Uuid),
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        let code = error.code();
        ApiError::new(StatusCode::BAD_REQUEST, code, error.message.clone())
            .with("path", json!(error.path))
    }
}

impl From<DtoError> for ApiError {
    fn from(error: DtoError) -> Self {
        match error {
            DtoError::Invalid {
                field,
                code,
                message,
            } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
                .with("path", json!(field)),
            DtoError::Domain(domain) => domain.into(),
        }
    }
}

impl Incoming {
    /// Whether the caller's role may issue `kind`.
    pub fn authorise(&self, kind: CommandKind) -> Result<(), ApiError> {
        Ok(CommandService::authorise(self.caller.principal.role, kind)?)
    }

    /// Names what the command acts on: checked against the access table
    /// (with the caller's relation to its customer) before the body is read.
    pub fn on(mut self, subject: Subject) -> Incoming {
        self.subject = subject;
        self
    }

    /// Authorises, then reads (within the limit) and parses the body:
    /// everything before the command is built.
    async fn accept<R: DeserializeOwned>(
        &mut self,
        kind: CommandKind,
    ) -> Result<(R, Bytes), ApiError> {
        let max_body_bytes = self.state.max_body_bytes;
        self.accept_within(kind, max_body_bytes).await
    }

    /// [`Incoming::accept`] with another body limit (bulk ingestion reads
    /// up to [`super::ingest::MAX_INGEST_BODY_BYTES`]).
    pub(super) async fn accept_within<R: DeserializeOwned>(
        &mut self,
        kind: CommandKind,
        max_body_bytes: usize,
    ) -> Result<(R, Bytes), ApiError> {
        self.authorise(kind)?;
        ensure_may_act(&self.state, &self.caller, kind, self.subject).await?;
        let body = std::mem::take(&mut self.body);
        let body = axum::body::to_bytes(body, max_body_bytes)
            .await
            .map_err(|error| {
                let too_large = std::error::Error::source(&error)
                    .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
                if too_large {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "body_too_large",
                        format!("the body exceeds {max_body_bytes} bytes"),
                    )
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "unreadable_body",
                        error.to_string(),
                    )
                }
            })?;
        // JSON only (415, see `super::media`); an empty body (a route whose
        // fields are all optional) needs no Content-Type.
        if !body.is_empty() || self.headers.contains_key(header::CONTENT_TYPE) {
            super::media::require_media_type(&self.headers, super::media::JSON)?;
        }
        let request = parse_body::<R>(&body)?;
        Ok((request, body))
    }

    fn meta(&self, body: &[u8]) -> Result<CommandMeta, ApiError> {
        let mut meta = CommandMeta::new(self.caller.principal.clone(), self.state.now());
        if let Some(correlation_id) = uuid_header(&self.headers, "x-correlation-id")? {
            meta.correlation_id = correlation_id;
        }
        if let Some(causation_id) = uuid_header(&self.headers, "x-causation-id")? {
            meta.causation_id = causation_id;
        }
        if let Some(key) = self.idempotency_key()? {
            meta.idempotency = Some(IdempotencyKey {
                fingerprint: self.fingerprint(body),
                key,
            });
        }
        Ok(meta)
    }

    /// The request's `Idempotency-Key`, if any, checked.
    pub(super) fn idempotency_key(&self) -> Result<Option<String>, ApiError> {
        let Some(value) = self.headers.get("idempotency-key") else {
            return Ok(None);
        };
        let key = value
            .to_str()
            .ok()
            .filter(|key| !key.is_empty() && key.len() <= MAX_IDEMPOTENCY_KEY_BYTES)
            .filter(|key| key.chars().all(|character| character.is_ascii_graphic()))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_idempotency_key",
                    format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_BYTES} visible ASCII characters"),
                )
            })?;
        Ok(Some(key.to_owned()))
    }

    /// What an idempotency key stands for: method, path and body.
    pub(super) fn fingerprint(&self, body: &[u8]) -> Hash32 {
        let mut fingerprinted = Vec::with_capacity(body.len() + 64);
        fingerprinted.extend_from_slice(self.method.as_str().as_bytes());
        fingerprinted.push(b'\n');
        fingerprinted.extend_from_slice(self.uri.path().as_bytes());
        fingerprinted.push(b'\n');
        fingerprinted.extend_from_slice(body);
        Hash32::sha256(&fingerprinted)
    }

    /// The correlation and causation ids the headers ask for.
    pub(super) fn trace_headers(&self) -> Result<(Option<Uuid>, Option<Uuid>), ApiError> {
        Ok((
            uuid_header(&self.headers, "x-correlation-id")?,
            uuid_header(&self.headers, "x-causation-id")?,
        ))
    }

    /// Runs a command whose inputs are all in the request.
    pub async fn run<A, R>(
        mut self,
        kind: CommandKind,
        stream_id: String,
        created: Created,
        build: impl FnOnce(R, &Caller) -> Result<A::Command, ApiError>,
    ) -> Result<Response, ApiError>
    where
        A: Aggregate,
        A::Command: Clone,
        R: DeserializeOwned,
    {
        let (request, body) = self.accept::<R>(kind).await?;
        let command = build(request, &self.caller)?;
        let meta = self.meta(&body)?;
        let outcome = self
            .state
            .service
            .execute::<A>(&meta, &stream_id, command)
            .await?;
        Ok(respond(outcome, created))
    }
}

impl Incoming {
    /// Runs a creation: the new aggregate's id is the client's when the
    /// body names one, else a new UUID v7; answers `201` with its location.
    pub async fn run_creation<A, R>(
        self,
        kind: CommandKind,
        requested_id: impl FnOnce(&R) -> Option<Uuid>,
        stream_of: impl FnOnce(Uuid) -> String,
        location_prefix: &'static str,
        build: impl FnOnce(R, &Caller, Uuid) -> Result<A::Command, ApiError>,
    ) -> Result<Response, ApiError>
    where
        A: Aggregate,
        A::Command: Clone,
        R: DeserializeOwned,
    {
        self.run_creation_async::<A, R, _>(
            kind,
            requested_id,
            stream_of,
            location_prefix,
            |request, caller, id| std::future::ready(build(request, &caller, id)),
        )
        .await
    }

    /// A creation whose building needs reads (e.g. that a customer named
    /// in the body exists); otherwise as [`Incoming::run_creation`].
    pub async fn run_creation_async<A, R, F>(
        mut self,
        kind: CommandKind,
        requested_id: impl FnOnce(&R) -> Option<Uuid>,
        stream_of: impl FnOnce(Uuid) -> String,
        location_prefix: &'static str,
        build: impl FnOnce(R, Caller, Uuid) -> F,
    ) -> Result<Response, ApiError>
    where
        A: Aggregate,
        A::Command: Clone,
        R: DeserializeOwned,
        F: std::future::Future<Output = Result<A::Command, ApiError>>,
    {
        let (request, body) = self.accept::<R>(kind).await?;
        let meta = self.meta(&body)?;
        if let Some(outcome) = self.state.service.replay_idempotent(&meta).await? {
            return Ok(respond_replayed_creation(outcome, location_prefix));
        }
        let id = requested_id(&request).unwrap_or_else(Uuid::now_v7);
        let command = build(request, self.caller.clone(), id).await?;
        let outcome = self
            .state
            .service
            .execute::<A>(&meta, &stream_of(id), command)
            .await?;
        Ok(respond(outcome, Created::At(location_prefix, id)))
    }

    /// A registration: its duplicate check needs the registry, which the
    /// command pipeline keeps locked until the append is durable
    /// ([`CommandService::execute_with_registry`]).
    pub async fn run_registration<A, R>(
        mut self,
        kind: CommandKind,
        requested_id: impl FnOnce(&R) -> Option<Uuid>,
        stream_of: impl FnOnce(Uuid) -> String,
        location_prefix: &'static str,
        build: impl FnOnce(R, &Caller, &Registry, Uuid) -> Result<A::Command, ApiError>,
    ) -> Result<Response, ApiError>
    where
        A: Aggregate,
        A::Command: Clone,
        R: DeserializeOwned,
    {
        let (request, body) = self.accept::<R>(kind).await?;
        let meta = self.meta(&body)?;
        let id = requested_id(&request).unwrap_or_else(Uuid::now_v7);
        let caller = &self.caller;
        let outcome = self
            .state
            .service
            .execute_with_registry::<A, ApiError>(&meta, kind, &stream_of(id), |registry| {
                build(request, caller, registry, id)
            })
            .await?;
        if outcome.replayed {
            return Ok(respond_replayed_creation(outcome, location_prefix));
        }
        Ok(respond(outcome, Created::At(location_prefix, id)))
    }

    /// A command whose building needs reads (e.g. of another aggregate or
    /// of the blob store).
    pub async fn run_async<A, R, F>(
        mut self,
        kind: CommandKind,
        stream_id: String,
        build: impl FnOnce(R, Caller) -> F,
    ) -> Result<Response, ApiError>
    where
        A: Aggregate,
        A::Command: Clone,
        R: DeserializeOwned,
        F: std::future::Future<Output = Result<A::Command, ApiError>>,
    {
        let (request, body) = self.accept::<R>(kind).await?;
        let meta = self.meta(&body)?;
        if let Some(outcome) = self.state.service.replay_idempotent(&meta).await? {
            return Ok(respond(outcome, Created::No));
        }
        let command = build(request, self.caller.clone()).await?;
        let outcome = self
            .state
            .service
            .execute::<A>(&meta, &stream_id, command)
            .await?;
        Ok(respond(outcome, Created::No))
    }

    /// `POST /v1/days/{date}/close`: appends `DayClosed` and runs every
    /// decision that follows from it (public-pool returns, health
    /// evaluations and their policies, overdue instalments and task cards;
    /// see `salesledger_commands::dayclose`). Closing a closed day again
    /// appends nothing new (it completes an interrupted close).
    pub async fn close_day(mut self, day: chrono::NaiveDate) -> Result<Response, ApiError> {
        let (_request, body) = self
            .accept::<super::requests::CloseDayRequest>(CommandKind::CloseDay)
            .await?;
        let meta = self.meta(&body)?;
        let outcome = self.state.service.close_day(&meta, day).await?;
        Ok((StatusCode::OK, Json(outcome)).into_response())
    }
}

/// A replayed creation answers like the original: `201` at the id the
/// original created (taken from its stream id).
fn respond_replayed_creation(
    outcome: salesledger_commands::CommandOutcome,
    location_prefix: &'static str,
) -> Response {
    let created =
        outcome_location_id(&outcome).map_or(Created::No, |id| Created::At(location_prefix, id));
    respond(outcome, created)
}

/// The aggregate id of a replayed creation, from its stream id.
fn outcome_location_id(outcome: &salesledger_commands::CommandOutcome) -> Option<Uuid> {
    outcome
        .stream_id
        .split_once('-')
        .and_then(|(_, id)| Uuid::parse_str(id).ok())
}

fn uuid_header(headers: &HeaderMap, name: &str) -> Result<Option<Uuid>, ApiError> {
    let Some(value) = headers.get(name) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|text| Uuid::parse_str(text).ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_header",
                format!("{name} must be a UUID"),
            )
        })
}

fn respond(outcome: salesledger_commands::CommandOutcome, created: Created) -> Response {
    let replayed = outcome.replayed;
    let mut response = match created {
        Created::No => (StatusCode::OK, Json(outcome)).into_response(),
        Created::At(prefix, id) => {
            let mut response = (StatusCode::CREATED, Json(outcome)).into_response();
            if let Ok(location) = HeaderValue::from_str(&format!("{prefix}{id}")) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
    };
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// The ownership check of a command ([`salesledger_domain::access`]):
/// a rep token without a rep id may issue no customer-scoped command
/// (`403 rep_identity_unknown`); a caller the table limits to their own
/// customers is refused on any other (`403 not_customer_owner`). A subject
/// that does not exist passes: the domain answers it as missing, and no
/// one else's customer is touched.
pub async fn ensure_may_act(
    state: &AppState,
    caller: &Caller,
    kind: CommandKind,
    subject: Subject,
) -> Result<(), ApiError> {
    let role = caller.principal.role;
    if !access::owner_scoped(role) {
        return Ok(());
    }
    if caller.rep_id.is_none() && access::rep_scope(kind).is_customer_scoped() {
        return Err(rep_identity_unknown());
    }
    let Some(customer) = customer_of(state, subject).await? else {
        return Ok(());
    };
    let Some(relation) = relation_to(state, caller, customer).await? else {
        return Ok(());
    };
    if access::may_act(role, kind, relation.owner) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_customer_owner",
            format!("a rep may only act on a customer they own ({kind})"),
        ))
    }
}

fn rep_identity_unknown() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "rep_identity_unknown",
        "this rep token names no rep_id; add one to the token file",
    )
}

/// A rep acts only as themselves: a command naming a rep must name the
/// caller's own rep id. Other roles act on behalf of reps as their
/// authorisation allows.
pub fn ensure_self(caller: &Caller, rep_id: RepId) -> Result<(), ApiError> {
    if caller.principal.role != Role::Rep {
        return Ok(());
    }
    match caller.rep_id {
        Some(own) if own == rep_id => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_own_rep",
            "a rep may only act as themselves",
        )),
        None => Err(rep_identity_unknown()),
    }
}
