//! The command runner. Every JSON command route is a [`CommandRoute`]
//! (written by its request type's entry in `routes.rs`), which says where
//! it is served, what it acts on, what it reads
//! from the log before the body ([`CommandRoute::prepare`]) and how the
//! request becomes a domain command ([`CommandRoute::build`]). One generic
//! handler, [`handle`], serves them all in the same order: authorise the
//! role for the command kind (the caller was authenticated by middleware,
//! before any body was read) -> parse the path -> prepare -> the ownership
//! check -> read the body within the limit -> parse it into the request
//! type -> a repeated `Idempotency-Key` answers the original outcome ->
//! build the command -> the command pipeline -> `200` (or `201` for a
//! creation) with the outcome. The routes are listed once, in
//! [`super::routes::ALL_COMMAND_ROUTES`].
//!
//! Ownership (issue 13, `salesledger_domain::access`): right after the role
//! check and `prepare`, still before the body is read, [`ensure_may_act`]
//! resolves the route's [`Subject`] ([`CommandRoute::subject`]: the path's
//! customer, or the customer of the path's proposal, nurture pack, visit or
//! contract), loads its owner and refuses with `403 not_customer_owner` what
//! the access table does not allow; a rep token without a rep id gets `403
//! rep_identity_unknown` on every customer-scoped command. Routes whose
//! customer is named in the body (visits, nurture packs, proposals,
//! contracts, process assets) call [`ensure_may_act`] on it while building
//! the command. Either way nothing is appended.

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use salesledger_commands::{CommandMeta, CommandOutcome, CommandService, IdempotencyKey, Registry};
use salesledger_domain::stream::customer_stream_id;
use salesledger_domain::value::{CustomerId, RepId};
use salesledger_domain::{access, Aggregate, CommandKind, Role};
use salesledger_store::Hash32;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{customer_of, relation_to, Caller, Subject};
use super::problem::ApiError;
use super::AppState;
use crate::requests::{parse_body, BodyError, DtoError};

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
        })
    }
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
                rule,
            } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
                .with("path", json!(field))
                .with_rule(rule),
            DtoError::Domain(domain) => domain.into(),
        }
    }
}

impl Incoming {
    /// Whether the caller's role may issue `kind`.
    pub fn authorise(&self, kind: CommandKind) -> Result<(), ApiError> {
        Ok(CommandService::authorise(self.caller.principal.role, kind)?)
    }

    /// Authorises, then reads (within `max_body_bytes`) and parses the
    /// body: the bulk ingestion routes (which read up to
    /// [`super::ingest::MAX_INGEST_BODY_BYTES`]).
    pub(super) async fn accept_within<R: DeserializeOwned>(
        &mut self,
        kind: CommandKind,
        max_body_bytes: usize,
    ) -> Result<(R, Bytes), ApiError> {
        self.authorise(kind)?;
        ensure_may_act(&self.state, &self.caller, kind, Subject::None).await?;
        self.read_body(max_body_bytes).await
    }

    /// Reads the body within `max_body_bytes`, checks its media type and
    /// parses it.
    async fn read_body<R: DeserializeOwned>(
        &mut self,
        max_body_bytes: usize,
    ) -> Result<(R, Bytes), ApiError> {
        let body = std::mem::take(&mut self.body);
        let body = super::read_body_within(body, max_body_bytes, || {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body exceeds {max_body_bytes} bytes"),
            )
        })
        .await?;
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
        idempotency_key_of(&self.headers)
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
}

// ---- the command route trait ------------------------------------------------

/// What a command route answers on success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `200 OK` with the [`CommandOutcome`].
    Outcome,
    /// `201 Created` with the [`CommandOutcome`]; a replayed
    /// `Idempotency-Key` answers the same (with `idempotent-replayed:
    /// true`). `location`: `Location: <prefix><id>`, the id being the
    /// created stream's (`<type>-<id>`); `id_field`: the same id also in the
    /// body under this name.
    Created {
        location: Option<&'static str>,
        id_field: Option<&'static str>,
    },
    /// `200 OK` with what closing the day decided
    /// (`salesledger_commands::DayCloseOutcome`).
    DayClosed,
}

/// `201` with `Location: <prefix><id>`.
pub const fn created_at(prefix: &'static str) -> Answer {
    Answer::Created {
        location: Some(prefix),
        id_field: None,
    }
}

/// What a request becomes once built: the command and its stream, or a
/// registration decided against the duplicate index, or a day close.
pub enum Built<A: Aggregate> {
    Command {
        stream_id: String,
        command: A::Command,
    },
    /// Decided with the [`Registry`] held locked until the append is
    /// durable ([`CommandService::execute_with_registry`]).
    Registration {
        stream_id: String,
        build: RegistryBuild<A>,
    },
    /// `POST /v1/days/{date}/close` ([`CommandService::close_day`]).
    DayClose(chrono::NaiveDate),
}

/// Builds a registration's command from the registry.
pub type RegistryBuild<A> =
    Box<dyn FnOnce(&Registry) -> Result<<A as Aggregate>::Command, ApiError> + Send>;

impl<A: Aggregate> Built<A> {
    /// A command on `stream_id`, its errors mapped to the API's.
    pub fn command(
        stream_id: impl Into<String>,
        command: Result<A::Command, impl Into<ApiError>>,
    ) -> Result<Built<A>, ApiError> {
        Ok(Built::Command {
            stream_id: stream_id.into(),
            command: command.map_err(Into::into)?,
        })
    }
}

/// Path parameters of a command or view route: none, one UUID, two, a
/// day, or a name.
pub trait PathParams: Sized + Send + Sync + 'static {
    fn extract(
        parts: &mut axum::http::request::Parts,
    ) -> impl std::future::Future<Output = Result<Self, ApiError>> + Send;
}

impl PathParams for () {
    async fn extract(_parts: &mut axum::http::request::Parts) -> Result<(), ApiError> {
        Ok(())
    }
}

macro_rules! path_params {
    ($($params:ty),*) => {$(
        impl PathParams for $params {
            async fn extract(parts: &mut axum::http::request::Parts) -> Result<Self, ApiError> {
                use axum::extract::FromRequestParts;
                let axum::extract::Path(params) =
                    axum::extract::Path::<$params>::from_request_parts(parts, &()).await?;
                Ok(params)
            }
        }
    )*};
}
path_params!(Uuid, (Uuid, Uuid), chrono::NaiveDate, String);

/// The first id of a command route's path: the addressed aggregate's (the
/// customer of `/v1/customers/{customer_id}/callbacks/{task_id}/...`).
pub trait PathId {
    fn first(&self) -> Uuid;
}

impl PathId for Uuid {
    fn first(&self) -> Uuid {
        *self
    }
}

impl PathId for (Uuid, Uuid) {
    fn first(&self) -> Uuid {
        self.0
    }
}

/// The path parameters, their rejection kept until the role is authorised.
pub struct Params<P>(Result<P, ApiError>);

impl<P: PathParams, S: Send + Sync> axum::extract::FromRequestParts<S> for Params<P> {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Params(P::extract(parts).await))
    }
}

/// What [`CommandRoute::build`] works with.
pub struct Target<'a, R: CommandRoute> {
    pub state: &'a AppState,
    pub caller: &'a Caller,
    pub path: R::Path,
    /// What [`CommandRoute::prepare`] read before the body.
    pub prepared: R::Prepared,
    /// The id a creation gives its aggregate (also a rescue plan's or a
    /// renewal quote's): the body's [`CommandRoute::requested_id`], else a
    /// new UUID v7.
    pub id: Uuid,
}

impl<R: CommandRoute> Target<'_, R> {
    /// Who is acting (recorded as `registered_by`, `confirmed_by`, ...).
    pub fn actor(&self) -> &salesledger_domain::value::ActorId {
        &self.caller.principal.actor
    }

    /// The ownership check on a customer named in the body.
    pub async fn may_act_on(&self, customer_id: Uuid) -> Result<(), ApiError> {
        ensure_may_act(self.state, self.caller, R::KIND, customer_in(customer_id)).await
    }

    /// [`Target::may_act_on`] a customer a creation names in its body, who
    /// must be registered (`422 unknown_customer` otherwise): a visit,
    /// a nurture pack or a proposal of an id no customer has yet would be
    /// that customer's once one is registered under it, whoever made it.
    pub async fn may_act_on_registered(&self, customer_id: Uuid) -> Result<(), ApiError> {
        self.may_act_on(customer_id).await?;
        ensure_customer_referenced(&self.state.service, CustomerId::from_uuid(customer_id)).await
    }

    /// A customer named in the body, when one is, must be registered
    /// (`422 unknown_customer`); unlike [`Target::may_act_on_registered`]
    /// it checks no ownership (a lead names the customer it is a new
    /// opportunity of).
    pub async fn ensure_registered_customer(
        &self,
        customer_id: Option<Uuid>,
    ) -> Result<(), ApiError> {
        match customer_id {
            Some(customer_id) => {
                ensure_customer_referenced(&self.state.service, CustomerId::from_uuid(customer_id))
                    .await
            }
            None => Ok(()),
        }
    }

    /// A rep named in the body as a customer's new owner must be
    /// registered (`422 unknown_rep`) and active (`422 rep_deactivated`):
    /// a customer is never handed to someone who cannot follow it up.
    pub async fn ensure_active_rep(&self, rep_id: Uuid, field: &str) -> Result<(), ApiError> {
        self.check_rep(rep_id, field, true).await
    }

    /// A rep claiming a customer must not be deactivated (`422
    /// rep_deactivated`; deactivation does not revoke the rep's tokens). A
    /// rep the log has not registered may claim: a rep's token names its
    /// rep.
    pub async fn ensure_not_deactivated(&self, rep_id: Uuid, field: &str) -> Result<(), ApiError> {
        self.check_rep(rep_id, field, false).await
    }

    async fn check_rep(&self, rep_id: Uuid, field: &str, registered: bool) -> Result<(), ApiError> {
        let rep_id = RepId::from_uuid(rep_id);
        let loaded = self
            .state
            .service
            .load::<salesledger_domain::rep::Rep>(&salesledger_domain::stream::rep_stream_id(
                rep_id,
            ))
            .await?;
        match loaded.state.profile {
            Some(profile) if profile.active => Ok(()),
            Some(_) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "rep_deactivated",
                format!("rep {rep_id} is deactivated"),
            )
            .with("rep_id", json!(rep_id))
            .with("path", json!(field))),
            None if !registered => Ok(()),
            None => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_rep",
                format!("no rep {rep_id} is registered"),
            )
            .with("rep_id", json!(rep_id))
            .with("path", json!(field))),
        }
    }

    /// A rep named in the body must be the caller, if the caller is a rep.
    pub fn ensure_self(&self, rep_id: Uuid) -> Result<(), ApiError> {
        ensure_self(self.caller, RepId::from_uuid(rep_id))
    }
}

impl<R: CommandRoute> Target<'_, R>
where
    R::Path: PathId,
{
    /// The path's (first) id.
    pub fn path_id(&self) -> Uuid {
        self.path.first()
    }
}

/// The request's `Idempotency-Key`, if it has one: 1 to
/// [`MAX_IDEMPOTENCY_KEY_BYTES`] visible ASCII characters, else `400
/// invalid_idempotency_key`. Commands and webhook creation read it alike.
pub fn idempotency_key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
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
                format!(
                    "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_BYTES} visible ASCII characters"
                ),
            )
        })?;
    Ok(Some(key.to_owned()))
}

/// A JSON command route: its request type, where it is served, and how a
/// request becomes a domain command. [`handle`] serves every one the same
/// way; [`super::routes::ALL_COMMAND_ROUTES`] lists them.
pub trait CommandRoute: DeserializeOwned + utoipa::ToSchema + Send + Sized + 'static {
    type Aggregate: Aggregate;
    /// The path parameters (`()`, `Uuid`, `(Uuid, Uuid)`, `NaiveDate`).
    type Path: PathParams;
    /// What [`CommandRoute::prepare`] reads before the body.
    type Prepared: Send + Sync + 'static;
    const KIND: CommandKind;
    /// `POST` or `PUT` (a full replacement).
    const METHOD: &'static str;
    const PATH: &'static str;
    const ANSWER: Answer = Answer::Outcome;

    /// What the route acts on, for the ownership check before the body is
    /// read (a customer named in the body is checked in
    /// [`CommandRoute::build`]).
    fn subject(_path: &Self::Path) -> Subject {
        Subject::None
    }

    /// Reads from the log what the command needs, before the body is read
    /// (the pool policy, published configuration, that the customer
    /// exists).
    fn prepare(
        state: &AppState,
        path: &Self::Path,
    ) -> impl std::future::Future<Output = Result<Self::Prepared, ApiError>> + Send;

    /// The id the body asks a creation to have.
    fn requested_id(&self) -> Option<Uuid> {
        None
    }

    /// The domain command (with reads that need the body: a customer named
    /// in it, a blob, the customer's consent).
    fn build(
        self,
        target: Target<'_, Self>,
    ) -> impl std::future::Future<Output = Result<Built<Self::Aggregate>, ApiError>> + Send;
}

/// Every command route: authorise the role -> the path -> [`CommandRoute::prepare`]
/// -> the ownership check -> read and parse the body -> the metadata -> a
/// repeated `Idempotency-Key` answers the original outcome -> build -> run.
pub async fn handle<R: CommandRoute>(
    Params(path): Params<R::Path>,
    mut incoming: Incoming,
) -> Result<Response, ApiError> {
    incoming.authorise(R::KIND)?;
    let path = path?;
    let prepared = R::prepare(&incoming.state, &path).await?;
    ensure_may_act(
        &incoming.state,
        &incoming.caller,
        R::KIND,
        R::subject(&path),
    )
    .await?;
    let max_body_bytes = incoming.state.max_body_bytes;
    let (request, body) = incoming.read_body::<R>(max_body_bytes).await?;
    let meta = incoming.meta(&body)?;
    let service = &incoming.state.service;
    if R::ANSWER != Answer::DayClosed {
        if let Some(outcome) = service.replay_idempotent(&meta).await? {
            return Ok(respond::<R>(outcome));
        }
    }
    let id = request.requested_id().unwrap_or_else(Uuid::now_v7);
    let target = Target {
        state: &incoming.state,
        caller: &incoming.caller,
        path,
        prepared,
        id,
    };
    let outcome = match request.build(target).await? {
        Built::Command { stream_id, command } => {
            service
                .execute::<R::Aggregate>(&meta, &stream_id, command)
                .await?
        }
        Built::Registration { stream_id, build } => {
            service
                .execute_with_registry::<R::Aggregate, ApiError>(&meta, R::KIND, &stream_id, build)
                .await?
        }
        Built::DayClose(day) => {
            let outcome = service.close_day(&meta, day).await?;
            return Ok((StatusCode::OK, Json(outcome)).into_response());
        }
    };
    Ok(respond::<R>(outcome))
}

/// The answer to a command, the original's when `replayed`.
fn respond<R: CommandRoute>(outcome: CommandOutcome) -> Response {
    let replayed = outcome.replayed;
    // The created aggregate's id: its stream is `<type>-<id>`.
    let created_id = outcome
        .stream_id
        .split_once('-')
        .map(|(_, id)| id.to_owned())
        .unwrap_or_default();
    let mut response = match R::ANSWER {
        Answer::Outcome | Answer::DayClosed => (StatusCode::OK, Json(outcome)).into_response(),
        Answer::Created { location, id_field } => {
            let mut response = match id_field {
                None => (StatusCode::CREATED, Json(outcome)).into_response(),
                Some(field) => {
                    let mut body = serde_json::to_value(&outcome).unwrap_or_else(|_| json!({}));
                    if let Some(object) = body.as_object_mut() {
                        object.insert(field.to_owned(), json!(created_id));
                    }
                    (StatusCode::CREATED, Json(body)).into_response()
                }
            };
            let location = location
                .and_then(|prefix| HeaderValue::from_str(&format!("{prefix}{created_id}")).ok());
            if let Some(location) = location {
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

/// 409 for configuration nothing was published for yet, naming the
/// route that publishes it.
pub fn not_published(what: &str, code: &'static str, route: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        code,
        format!("no {what} has been published yet; publish one with POST {route}"),
    )
    .with("publish_with", json!(format!("POST {route}")))
}

/// Answers `404 not_found` unless the customer is registered: an account
/// (stream `account-<customer id>`) only exists for a known customer.
pub async fn ensure_customer(
    service: &CommandService,
    customer_id: CustomerId,
) -> Result<(), ApiError> {
    ensure_registered(service, customer_id, ApiError::not_found).await
}

/// A customer named in a body must be registered: `422 unknown_customer`
/// at `customer_id` otherwise.
pub async fn ensure_customer_referenced(
    service: &CommandService,
    customer_id: CustomerId,
) -> Result<(), ApiError> {
    ensure_registered(service, customer_id, |detail| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_customer", detail)
            .with("path", json!("customer_id"))
    })
    .await
}

/// `missing("no customer at <stream>")` unless the customer's stream exists.
async fn ensure_registered(
    service: &CommandService,
    customer_id: CustomerId,
    missing: impl FnOnce(String) -> ApiError,
) -> Result<(), ApiError> {
    let stream_id = customer_stream_id(customer_id);
    match service.store().stream_version(&stream_id).await? {
        Some(_) => Ok(()),
        None => Err(missing(format!("no customer at {stream_id}"))),
    }
}

/// The subject of a command whose customer is named in its body.
pub fn customer_in(customer_id: Uuid) -> Subject {
    Subject::Customer(CustomerId::from_uuid(customer_id))
}

/// A body that names the acting rep (a rep may only act as itself) and a
/// customer that must exist (and, for a rep, be theirs): contracts and
/// process assets.
pub async fn ensure_own_rep_and_customer<R: CommandRoute>(
    at: &Target<'_, R>,
    rep_id: Uuid,
    customer_id: Uuid,
) -> Result<(), ApiError> {
    at.ensure_self(rep_id)?;
    at.may_act_on(customer_id).await?;
    ensure_customer_referenced(&at.state.service, CustomerId::from_uuid(customer_id)).await
}

/// A header that must be a UUID when present (`400 invalid_header`).
pub(super) fn uuid_header(headers: &HeaderMap, name: &str) -> Result<Option<Uuid>, ApiError> {
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

/// `403 rep_identity_unknown`: a rep token that names no rep id.
pub fn rep_identity_unknown() -> ApiError {
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

/// One appended event in a command's response (documents
/// `salesledger_commands::EventSummary`).
#[derive(Serialize, ToSchema)]
#[schema(as = EventSummary)]
pub struct EventSummaryDoc {
    /// Global log position.
    pub position: u64,
    pub event_id: Uuid,
    /// e.g. `CustomerClaimed` (catalogue: domain/EVENTS.md).
    pub event_type: String,
    pub schema_version: u32,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// What a command did (documents `salesledger_commands::CommandOutcome`).
#[derive(Serialize, ToSchema)]
#[schema(as = CommandOutcome)]
pub struct CommandOutcomeDoc {
    /// The command's id (the original command's when `replayed`).
    pub command_id: Uuid,
    pub stream_id: String,
    /// The stream's version after the command.
    pub stream_version: Option<u64>,
    /// Position of the last appended event: wait for views to reach it
    /// for read-your-writes.
    pub last_position: Option<u64>,
    pub events: Vec<EventSummaryDoc>,
    /// True when this repeats the answer to an earlier request with the
    /// same `Idempotency-Key`.
    pub replayed: bool,
    /// Events appended by reactions to this command's events (a logged
    /// visit's follow-up on the customer; a nurture pack started by "still
    /// comparing"). Absent when there were none.
    pub reactions: Option<Vec<EventSummaryDoc>>,
    /// Ids of this command's events whose reactions could not be decided
    /// within the request (e.g. under contention on the customer): the
    /// reaction process manager completes them; read their outcome at
    /// `GET /v1/reactions/{event_id}`. Absent when there were none.
    pub pending_reactions: Option<Vec<Uuid>>,
    /// Reactions refused for a domain reason within the request, each
    /// with `trigger_event_id`, `reaction` (`follow_up`, `nurture_pack`,
    /// `routing_owner`), `stream_id`, `code` and `message`: e.g. confirming
    /// a routing whose customer already has an owner leaves the owner as
    /// is (`routing_owner`, `customer_already_owned`). Absent when there
    /// were none.
    #[schema(value_type = Option<Vec<Object>>)]
    pub refused_reactions: Option<Vec<serde_json::Value>>,
}
