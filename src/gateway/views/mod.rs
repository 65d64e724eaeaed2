//! Read models over HTTP: `GET /v1/views/...`.
//!
//! Every answer is a [`ViewResponse`]: the view's name, the last log
//! position it reflects, and the data. A caller that has just written
//! (a command's `last_position`) may ask for read-your-writes with
//! `?wait_for_position=N[&timeout_ms=T]`: the answer waits until the view
//! has applied position `N`, or fails with `503 view_not_caught_up` after
//! the timeout (default 5 s, at most 30 s). Query parameters are strict:
//! an unknown one is a `400 invalid_query`.
//!
//! Views about one customer are read-scoped like the aggregates
//! (`salesledger_domain::access`): a single item the caller may not read is
//! its `404` ([`answer_scoped_by_id`]), and a list keeps only the rows the
//! caller may read ([`answer_scoped`]).

use std::time::Duration;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::Router;
use salesledger_domain::access::Resource;
use salesledger_domain::value::CustomerId;
use salesledger_projections::tables::{Reader, TableError, TableKey, TableProjector};
use salesledger_replay::readmodel::{Checkpoint, ReadModelError};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{ensure_may_read, filter_readable, is_scoped, Caller, Subject};
use super::commands::PathParams;
use super::problem::ApiError;
use super::route::{served, Served};
use super::AppState;

/// Declares a view route's query parameters: its own fields plus the
/// read-your-writes pair (`wait_for_position`, `timeout_ms`), strict
/// (`deny_unknown_fields`: an unknown parameter is a `400 invalid_query`),
/// with [`ViewQuery`] implemented. The pair is spelled out rather than a
/// `flatten` of [`WaitQuery`]: serde cannot refuse unknown fields through
/// a flattened struct.
macro_rules! view_query {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $($(#[$field_meta:meta])* $field_vis:vis $field:ident: $ty:ty,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        $vis struct $name {
            $($(#[$field_meta])* $field_vis $field: $ty,)*
            $vis wait_for_position: Option<u64>,
            $vis timeout_ms: Option<u64>,
        }

        impl $crate::gateway::views::ViewQuery for $name {
            fn wait(&self) -> $crate::gateway::views::WaitQuery {
                $crate::gateway::views::WaitQuery {
                    wait_for_position: self.wait_for_position,
                    timeout_ms: self.timeout_ms,
                }
            }
        }
    };
}

pub mod business;
pub mod health;
pub mod responsibility;
pub mod stores;
pub mod todos;

pub use crate::views::answer::{envelope, reflected};

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
    /// The view's data: an object (its fields are described on each
    /// route).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// Only on a page (a paged view asked with `limit` or `cursor`, e.g.
    /// the penetration grid): pass it as `cursor` for the next page;
    /// `null` on the last page.
    pub next_cursor: Option<String>,
}

/// One list view's answer: as [`ViewResponse`], with `data` an array of
/// rows (the routes whose [`ViewRoute::data`] is [`ViewData::List`]).
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewListResponse {
    /// The view's name, e.g. `health`.
    pub view: String,
    /// The last log position the view has applied (`null` before the
    /// first): everything up to and including it is reflected.
    pub position: Option<u64>,
    /// The view's rows (each an object described on the route), in the
    /// order the route states.
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<serde_json::Value>,
    /// Only on a page (a paged list view asked with `limit` or `cursor`;
    /// without them the whole list):
    /// pass it as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The JSON type of a view route's `data`, documented in OpenAPI
/// (`ViewResponse` or `ViewListResponse`) and checked against real
/// answers by tests/http/openapi.rs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewData {
    /// One object.
    Object,
    /// An array of objects.
    List,
}

impl ViewData {
    /// The OpenAPI schema of the whole answer.
    pub fn schema_name(self) -> &'static str {
        match self {
            ViewData::Object => "ViewResponse",
            ViewData::List => "ViewListResponse",
        }
    }
}

view_query! {
    /// Read-your-writes parameters, accepted by every view route.
    pub struct WaitQuery {}
}

/// The query parameters of a view route: each carries the
/// read-your-writes pair (declare them with `view_query!`).
pub trait ViewQuery {
    fn wait(&self) -> WaitQuery;
}

/// What a view handler is given: the state, the caller, the path's
/// parameters `P` and the query parameters `Q`, checked in that order (a
/// malformed path, then a malformed query, is a `400`).
pub struct View<Q = WaitQuery, P = ()> {
    pub state: AppState,
    pub caller: Caller,
    pub path: P,
    pub params: Q,
}

impl<Q, P> axum::extract::FromRequestParts<AppState> for View<Q, P>
where
    Q: serde::de::DeserializeOwned + Send,
    P: PathParams,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let path = P::extract(parts).await?;
        let Query(params) = Query::<Q>::from_request_parts(parts, state).await?;
        Ok(View {
            state: state.clone(),
            caller,
            path,
            params,
        })
    }
}

/// A path of one id, checked in the handler (after the caller's role).
pub type IdPath = Result<Path<Uuid>, PathRejection>;

/// A view route's query parameters, checked in the handler (a malformed
/// one is a `400 invalid_query`).
pub type Params<Q = WaitQuery> = Result<Query<Q>, QueryRejection>;

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
    /// What `data` is: an object or an array of objects.
    pub data: ViewData,
    /// Its handler: the router is built from this table.
    pub serve: fn() -> MethodRouter<AppState>,
}

/// A [`ViewRoute`] is written as `ViewRoute::object(...)` or
/// `ViewRoute::list(...)` (path, handler, operation id, description), with
/// `.query(...)` when it takes parameters of its own.
impl ViewRoute {
    /// A route whose `data` is one object.
    pub const fn object(
        path: &'static str,
        serve: fn() -> MethodRouter<AppState>,
        operation_id: &'static str,
        description: &'static str,
    ) -> Self {
        ViewRoute {
            path,
            operation_id,
            description,
            query: &[],
            data: ViewData::Object,
            serve,
        }
    }

    /// A route whose `data` is an array of objects.
    pub const fn list(
        path: &'static str,
        serve: fn() -> MethodRouter<AppState>,
        operation_id: &'static str,
        description: &'static str,
    ) -> Self {
        let mut route = Self::object(path, serve, operation_id, description);
        route.data = ViewData::List;
        route
    }

    /// Its own query parameters (name, description).
    pub const fn query(mut self, query: &'static [(&'static str, &'static str)]) -> Self {
        self.query = query;
        self
    }
}

/// Every view route, for the OpenAPI document (the router must serve
/// exactly these; a test checks it).
pub fn view_routes() -> impl Iterator<Item = &'static ViewRoute> {
    responsibility::VIEW_ROUTES
        .iter()
        .chain(health::VIEW_ROUTES)
        .chain(business::VIEW_ROUTES)
        .chain(stores::VIEW_ROUTES)
        .chain(todos::VIEW_ROUTES)
}

/// Every view route, from the table the OpenAPI document reads too.
pub fn routes() -> Router<AppState> {
    crate::gateway::route::router(view_routes())
}

served!(ViewRoute);

/// What a read of committed rows gives: the answer, or the caller's
/// refusal (a `404`, a `400`) inside; the outer error is the storage's.
pub type Rows<R> = Result<Result<R, ApiError>, TableError>;

/// Waits as asked, runs `query` over table projector `P`'s committed rows
/// (on the blocking pool: a read may scan), and answers the result.
pub async fn answer<P, R>(
    state: &AppState,
    wait: &WaitQuery,
    query: impl FnOnce(&mut Reader<'_>) -> Rows<R> + Send + 'static,
) -> Result<Response, ApiError>
where
    P: TableProjector,
    R: Serialize + Send + 'static,
{
    let (data, checkpoint) = read::<P, R>(state, wait, query).await?;
    respond(P::NAME, &data, checkpoint)
}

/// Waits as asked and runs `query` over projector `P`'s committed rows, on
/// the blocking pool: the data and the checkpoint they reflect (at least),
/// not yet answered (so rows can still be filtered by the caller's read
/// scope). Never under a fold's lock: a rebuild does not hold it up.
pub async fn read<P, R>(
    state: &AppState,
    wait: &WaitQuery,
    query: impl FnOnce(&mut Reader<'_>) -> Rows<R> + Send + 'static,
) -> Result<(R, Checkpoint), ApiError>
where
    P: TableProjector,
    R: Send + 'static,
{
    wait_as_asked(state, P::NAME, wait).await?;
    let tables = state.views()?;
    let (data, checkpoint) = tokio::task::spawn_blocking(move || tables.read_with::<P, _>(query))
        .await
        .map_err(|error| ApiError::internal(&error))?
        .map_err(view_error)?;
    Ok((data?, checkpoint))
}

/// Waits, when asked to, until projector `name` has applied
/// `wait_for_position` (`503 view_not_caught_up` after the timeout).
pub async fn wait_as_asked(state: &AppState, name: &str, wait: &WaitQuery) -> Result<(), ApiError> {
    if let Some(position) = wait.wait_for_position {
        state
            .views()?
            .wait_for(name, position, wait.timeout())
            .await
            .map_err(view_error)?;
    }
    Ok(())
}

/// [`answer`] of a list whose rows each belong to a customer: `rows`
/// (taken out of the data by `rows_of`) are kept only where the caller may
/// read `resource` of the row's customer
/// ([`crate::gateway::auth::filter_readable`], the same rule as single
/// reads).
pub async fn answer_scoped<P, R, T>(
    state: &AppState,
    caller: &Caller,
    resource: Resource,
    wait: &WaitQuery,
    query: impl FnOnce(&mut Reader<'_>) -> Rows<R> + Send + 'static,
    rows_of: impl FnOnce(&mut R) -> &mut Vec<T>,
    customer_of_row: impl Fn(&T) -> CustomerId,
) -> Result<Response, ApiError>
where
    P: TableProjector,
    R: Serialize + Send + 'static,
{
    let (mut data, checkpoint) = read::<P, R>(state, wait, query).await?;
    if is_scoped(caller) {
        let rows = rows_of(&mut data);
        let all = std::mem::take(rows);
        *rows = filter_readable(state, caller, resource, all, customer_of_row).await?;
    }
    respond(P::NAME, &data, checkpoint)
}

/// A route that reads one item by the id in its path, with only the
/// read-your-writes parameters: an item `find` does not find is a `404
/// not_found` naming `what`. The item belongs to a customer (`subject_of`
/// the path's id): a caller who may not read `resource` of it gets the
/// same `404`, as if it did not exist.
pub async fn answer_scoped_by_id<P, R>(
    view: View<WaitQuery, Uuid>,
    resource: Resource,
    subject_of: impl FnOnce(Uuid) -> Subject,
    what: &'static str,
    find: impl FnOnce(&mut Reader<'_>, Uuid) -> Result<Option<R>, TableError> + Send + 'static,
) -> Result<Response, ApiError>
where
    P: TableProjector,
    R: Serialize + Send + 'static,
{
    let View {
        state,
        caller,
        path: id,
        params: wait,
    } = view;
    ensure_may_read(&state, &caller, resource, subject_of(id), || {
        not_found(what, id)
    })
    .await?;
    answer::<P, _>(&state, &wait, move |rows| {
        Ok(find(rows, id)?.ok_or_else(|| not_found(what, id)))
    })
    .await
}

/// Default and maximum `limit` of a paged list view.
pub const DEFAULT_PAGE: usize = 100;
pub const MAX_PAGE: usize = 1_000;

/// One page asked of a list view: at most `limit` rows after the key
/// `after` (decoded from the opaque `cursor`: the hex of the key's
/// order-preserving encoding, [`TableKey`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging<K> {
    pub after: Option<K>,
    pub limit: usize,
}

/// A number parameter `name` (`default` when absent) from `min` to
/// `max`, else `400 invalid_query`.
pub fn bounded<T: PartialOrd + Copy + std::fmt::Display>(
    name: &str,
    value: Option<T>,
    default: T,
    min: T,
    max: T,
) -> Result<T, ApiError> {
    let value = value.unwrap_or(default);
    if value < min || value > max {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("{name} must be {min} to {max}, not {value}"),
        ));
    }
    Ok(value)
}

/// `?limit=&cursor=` of a list view: `None` (the whole list, as before
/// paging) when neither is given; otherwise a page of `limit` rows
/// (default [`DEFAULT_PAGE`], 1 to [`MAX_PAGE`], else `400 invalid_query`)
/// after `cursor` (the `next_cursor` of the previous page; one this view
/// never gave is a `400 invalid_cursor`).
pub fn paging<K: TableKey>(
    limit: Option<usize>,
    cursor: Option<&str>,
) -> Result<Option<Paging<K>>, ApiError> {
    if limit.is_none() && cursor.is_none() {
        return Ok(None);
    }
    let limit = bounded("limit", limit, DEFAULT_PAGE, 1, MAX_PAGE)?;
    let after = match cursor {
        None => None,
        Some(cursor) => {
            let invalid = |reason: String| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_cursor",
                    format!("cursor {cursor:?} was not given by this view: {reason}"),
                )
            };
            let bytes = hex::decode(cursor).map_err(|error| invalid(error.to_string()))?;
            Some(K::from_key_bytes(&bytes).map_err(|error| invalid(error.to_string()))?)
        }
    };
    Ok(Some(Paging { after, limit }))
}

/// Rows a scoped caller's page may scan beyond its `limit` to fill it
/// (then it answers what it found and a cursor after its last row).
pub const SCOPED_SCAN_PER_ROW: usize = 10;

/// Rows a scoped caller's page reads at least at a time (a page that
/// finds none it may read goes on to the end of the list, as the whole
/// list does; in reads of this many rows, not of `limit`).
pub const SCOPED_SCAN_CHUNK: usize = 256;

/// A list whose rows each belong to a customer, read by `page` (at most
/// `limit` rows after a key, and the key to continue after): a page when
/// `?limit=` or `?cursor=` is given ([`paging`]), answered as
/// `{view, position, data, next_cursor}`, else the whole list
/// ([`answer_scoped`]). Either way only the rows the caller may read
/// `resource` of are kept. For a scoped caller the page goes on reading
/// past rows it may not read,
/// up to `limit` rows or [`SCOPED_SCAN_PER_ROW`] times as many scanned
/// (never stopping before one row when there are more), and `next_cursor`
/// is the key of its last row (`key_of_row`): a cursor never names a row
/// the caller may not read. A page may still hold fewer than `limit` rows: follow
/// `next_cursor` until it is `null`.
pub async fn answer_scoped_list<P, T, K, Q: ViewQuery>(
    view: &View<Q>,
    resource: Resource,
    (limit, cursor): (Option<usize>, Option<&str>),
    page: impl Fn(&mut Reader<'_>, Option<K>, usize) -> Result<(Vec<T>, Option<K>), TableError>
        + Clone
        + Send
        + 'static,
    customer_of_row: impl Fn(&T) -> CustomerId,
    key_of_row: fn(&T) -> K,
) -> Result<Response, ApiError>
where
    P: TableProjector,
    T: Serialize + Send + 'static,
    K: TableKey + Clone + Send + 'static,
{
    let (state, caller, wait) = (&view.state, &view.caller, &view.params.wait());
    let Some(Paging { after, limit }) = paging::<K>(limit, cursor)? else {
        let whole = move |rows: &mut Reader<'_>| Ok(Ok(page(rows, None, usize::MAX)?.0));
        return answer_scoped::<P, _, _>(
            state,
            caller,
            resource,
            wait,
            whole,
            |rows| rows,
            customer_of_row,
        )
        .await;
    };
    if !is_scoped(caller) {
        let ((rows, next), checkpoint) = read::<P, _>(state, wait, move |reader| {
            Ok(Ok(page(reader, after, limit)?))
        })
        .await?;
        let next_cursor = next.map(|key| hex::encode(key.to_key_bytes()));
        return respond_page(P::NAME, &rows, checkpoint, next_cursor);
    }
    let budget = limit.saturating_mul(SCOPED_SCAN_PER_ROW);
    let (mut kept, mut scanned, mut after) = (Vec::new(), 0usize, after);
    loop {
        // At least a chunk per read: few reads for a caller who may read
        // few rows; what is read past `limit` is cut off below.
        let want = (limit - kept.len()).max(SCOPED_SCAN_CHUNK);
        let read_page = page.clone();
        let from = after.clone();
        let ((rows, next), checkpoint) = read::<P, _>(state, wait, move |reader| {
            Ok(Ok(read_page(reader, from, want)?))
        })
        .await?;
        scanned += rows.len();
        kept.extend(filter_readable(state, caller, resource, rows, &customer_of_row).await?);
        let more_kept = kept.len() > limit;
        kept.truncate(limit);
        let done = kept.len() == limit || next.is_none() || (scanned >= budget && !kept.is_empty());
        if done {
            // More rows after the last one kept: read past it (ours, cut
            // off), or not read yet.
            let more = more_kept || next.is_some();
            let next_cursor = kept
                .last()
                .filter(|_| more)
                .map(|row| hex::encode(key_of_row(row).to_key_bytes()));
            return respond_page(P::NAME, &kept, checkpoint, next_cursor);
        }
        after = next;
    }
}

pub fn respond<R: Serialize>(
    name: &str,
    data: &R,
    checkpoint: Checkpoint,
) -> Result<Response, ApiError> {
    respond_with(name, data, reflected(checkpoint), None)
}

/// The [`ViewResponse`] of `data` reflecting the log up to `position`.
pub fn respond_at<R: Serialize>(
    name: &str,
    data: &R,
    position: Option<u64>,
) -> Result<Response, ApiError> {
    respond_with(name, data, position, None)
}

/// A page's answer: [`respond`] plus `next_cursor` (`null` on the last
/// page).
pub fn respond_page<R: Serialize>(
    name: &str,
    data: &R,
    checkpoint: Checkpoint,
    next_cursor: Option<String>,
) -> Result<Response, ApiError> {
    respond_with(name, data, reflected(checkpoint), Some(next_cursor))
}

/// The [`ViewResponse`] of `data` reflecting the log up to `position`,
/// with `next_cursor` when the answer is a page (`Some`: the field is
/// there, `null` on the last page).
fn respond_with<R: Serialize>(
    name: &str,
    data: &R,
    position: Option<u64>,
    next_cursor: Option<Option<String>>,
) -> Result<Response, ApiError> {
    let body =
        envelope(name, data, position, next_cursor).map_err(|error| ApiError::internal(&error))?;
    Ok((
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// A read-model error as a problem: waiting too long or a failed projector
/// is the service being unavailable for this read, not the caller's fault.
pub fn view_error(error: ReadModelError) -> ApiError {
    match error {
        ReadModelError::WaitTimedOut {
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
        .with("reached", serde_json::json!(reflected(reached))),
        ReadModelError::Failed {
            projector,
            position,
            reason,
            cause,
        } => {
            let mut error = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "view_failed",
                format!(
                    "view {projector} stopped at log position {position}, an event it cannot apply: {reason}"
                ),
            )
            .with("projector", serde_json::json!(projector))
            .with("position", serde_json::json!(position))
            .with("reason", serde_json::json!(reason));
            // `reason` stays English (integrators read it); the detail of
            // a Chinese answer words the cause in the request's language.
            error.args.push((
                "why".to_owned(),
                crate::i18n::errors::failure_cause_in(
                    crate::gateway::localize::request_lang(),
                    &cause,
                ),
            ));
            error
        }
        ReadModelError::Task(reason) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "view_unavailable",
            format!("the read models have stopped: {reason}"),
        ),
        ReadModelError::BadCursor(reason) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_cursor",
            format!("cursor: {reason}"),
        ),
        other => ApiError::internal(&other),
    }
}

pub fn not_found(what: &str, id: Uuid) -> ApiError {
    ApiError::not_found(format!("no {what} {id} in this view"))
}

pub fn path_id(path: IdPath) -> Result<Uuid, ApiError> {
    Ok(path?.0)
}

pub fn query<T>(query: Params<T>) -> Result<T, ApiError> {
    Ok(query?.0)
}

#[cfg(test)]
mod tests {
    use salesledger_replay::readmodel::FailureCause;

    use super::*;
    use crate::gateway::localize::with_lang;
    use crate::i18n::Lang;

    fn failed() -> ReadModelError {
        let cause = FailureCause::ProviderFailed {
            provider: "customers",
            position: 17,
        };
        ReadModelError::Failed {
            projector: "health".into(),
            position: 17,
            reason: cause.to_string(),
            cause,
        }
    }

    #[tokio::test]
    async fn a_failed_view_is_worded_in_the_request_language_and_keeps_its_english_reason() {
        let chinese = with_lang(Lang::ZhCn, async { view_error(failed()) }).await;
        let problem = chinese.problem_in(Lang::ZhCn);
        assert_eq!(
            problem.detail,
            "视图 health 在日志位置 17 停止，无法应用该处的事件：所依赖的视图 customers 已在位置 17 停止"
        );
        assert_eq!(
            chinese.extra.get("reason"),
            Some(&serde_json::json!(
                "reads the tables of projector customers, which failed at position 17"
            ))
        );
        let english = with_lang(Lang::En, async { view_error(failed()) }).await;
        assert_eq!(
            english.problem_in(Lang::En).detail,
            "view health stopped at log position 17, an event it cannot apply: \
             reads the tables of projector customers, which failed at position 17"
        );
    }
}
