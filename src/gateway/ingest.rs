//! Bulk ingestion of the periodic inputs (issue 4, "inputs as events"):
//! usage reports, competitor keyword searches, payments and support
//! tickets, up to [`MAX_INGEST_ITEMS`] per request.
//!
//! `POST /v1/ingest/<input>` takes `{"items": [...]}`; each item is the
//! body of the single route plus the id that route has in its path
//! (`customer_id`, or `contract_id` for payments), e.g. an item of
//! `/v1/ingest/usage-reports` is `{"customer_id": ..., "days": [...]}`.
//! The route is authorised for its command kind before the body is read
//! (a role that may not issue it gets `403` and nothing runs). Then every
//! item goes through the same steps as the single route (strict parsing,
//! the customer must exist, the domain's validation, the command
//! pipeline), independently: a bad item appends nothing and does not stop
//! the others. The answer is `200` with one result per item, in order:
//! `{index, status, outcome}` or `{index, status, problem}`, so a caller
//! retries just the failures.
//!
//! Items of the same stream run in order (an item may resolve a ticket an
//! earlier item opened); different streams run concurrently. An
//! `Idempotency-Key` applies per item as `<key>#<index>`: retrying the
//! same batch with the same key answers the items that succeeded with
//! their original outcomes (`replayed: true`) and runs the others again.
//! All items share one correlation id (`X-Correlation-Id`, else a new one).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use salesledger_commands::{CommandMeta, CommandOutcome, IdempotencyKey, Principal};
use salesledger_domain::CommandKind;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Caller;
use super::commands::{ensure_may_act, Built, CommandRoute, Incoming, Target};
use super::problem::{ApiError, Problem};
use super::route::{served, Served};
use super::AppState;
use crate::requests::{
    parse_body, BodyError, BodyErrorKind, RecordKeywordSearchesRequest, RecordPaymentRequest,
    RecordSupportTicketRequest, ReportUsageRequest,
};

/// The most items one bulk request may carry.
pub const MAX_INGEST_ITEMS: usize = 1_000;

/// The body limit of a bulk request (the configured limit if larger):
/// 1,000 usage reports of 31 days each fit.
pub const MAX_INGEST_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Streams ingested at once.
const INGEST_FAN_OUT: usize = 16;

/// A bulk ingestion route.
#[derive(Debug, Clone, Copy)]
pub struct IngestRoute {
    pub path: &'static str,
    /// The command kind every item runs as (authorised per route).
    pub kind: CommandKind,
    /// The item field naming the addressed aggregate.
    pub id_field: &'static str,
    /// The single route whose body each item carries.
    pub single_route: &'static str,
    /// The request body's schema name.
    pub schema: &'static str,
    /// Its handler: `ingest` of the single route's request type.
    pub serve: fn() -> MethodRouter<AppState>,
}

/// Every bulk ingestion route (all `POST`).
pub const INGEST_ROUTES: &[IngestRoute] = &[
    IngestRoute {
        path: "/v1/ingest/usage-reports",
        kind: CommandKind::ReportUsage,
        id_field: "customer_id",
        single_route: "POST /v1/customers/{customer_id}/usage-reports",
        schema: "IngestUsageReportsRequest",
        serve: || post(ingest::<ReportUsageRequest>),
    },
    IngestRoute {
        path: "/v1/ingest/keyword-searches",
        kind: CommandKind::RecordKeywordSearches,
        id_field: "customer_id",
        single_route: "POST /v1/customers/{customer_id}/keyword-searches",
        schema: "IngestKeywordSearchesRequest",
        serve: || post(ingest::<RecordKeywordSearchesRequest>),
    },
    IngestRoute {
        path: "/v1/ingest/payments",
        kind: CommandKind::RecordPayment,
        id_field: "contract_id",
        single_route: "POST /v1/contracts/{contract_id}/payments",
        schema: "IngestPaymentsRequest",
        serve: || post(ingest::<RecordPaymentRequest>),
    },
    IngestRoute {
        path: "/v1/ingest/support-tickets",
        kind: CommandKind::RecordSupportTicket,
        id_field: "customer_id",
        single_route: "POST /v1/customers/{customer_id}/support-tickets",
        schema: "IngestSupportTicketsRequest",
        serve: || post(ingest::<RecordSupportTicketRequest>),
    },
];

pub fn routes() -> Router<AppState> {
    super::route::router(INGEST_ROUTES)
}

served!(IngestRoute);

// ---- request and answer shapes ----------------------------------------------

/// What is read: the items stay JSON until each is parsed on its own, so
/// one bad item is that item's problem, not the request's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IngestBody {
    items: Vec<Value>,
}

/// An item of `POST /v1/ingest/usage-reports`: the customer and the body
/// of `POST /v1/customers/{customer_id}/usage-reports`.
#[derive(Serialize, ToSchema)]
pub struct UsageReportItem {
    /// The customer (must exist).
    pub customer_id: Uuid,
    #[serde(flatten)]
    pub report: ReportUsageRequest,
}

/// Usage reports of many customers (1 to 1,000 items).
#[derive(Serialize, ToSchema)]
pub struct IngestUsageReportsRequest {
    /// The reports; each runs as `ReportUsage`.
    pub items: Vec<UsageReportItem>,
}

/// An item of `POST /v1/ingest/keyword-searches`: the customer and the
/// body of `POST /v1/customers/{customer_id}/keyword-searches`.
#[derive(Serialize, ToSchema)]
pub struct KeywordSearchesItem {
    /// The customer (must exist).
    pub customer_id: Uuid,
    #[serde(flatten)]
    pub searches: RecordKeywordSearchesRequest,
}

/// Competitor keyword searches of many customers (1 to 1,000 items).
#[derive(Serialize, ToSchema)]
pub struct IngestKeywordSearchesRequest {
    /// The searches; each item runs as `RecordKeywordSearches`.
    pub items: Vec<KeywordSearchesItem>,
}

/// An item of `POST /v1/ingest/payments`: the contract and the body of
/// `POST /v1/contracts/{contract_id}/payments`.
#[derive(Serialize, ToSchema)]
pub struct PaymentItem {
    /// The contract.
    pub contract_id: Uuid,
    #[serde(flatten)]
    pub payment: RecordPaymentRequest,
}

/// Payments received on many contracts (1 to 1,000 items).
#[derive(Serialize, ToSchema)]
pub struct IngestPaymentsRequest {
    /// The payments; each runs as `RecordPayment`.
    pub items: Vec<PaymentItem>,
}

/// An item of `POST /v1/ingest/support-tickets`: the customer and the body
/// of `POST /v1/customers/{customer_id}/support-tickets` (`action` open or
/// resolve).
#[derive(Serialize, ToSchema)]
pub struct SupportTicketItem {
    /// The customer (must exist).
    pub customer_id: Uuid,
    #[serde(flatten)]
    pub ticket: RecordSupportTicketRequest,
}

/// Support tickets opened and resolved, of many customers (1 to 1,000
/// items; items of one customer run in order).
#[derive(Serialize, ToSchema)]
pub struct IngestSupportTicketsRequest {
    /// The tickets; each runs as `RecordSupportTicket`.
    pub items: Vec<SupportTicketItem>,
}

/// The result of one item.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestItemResult {
    /// The item's position in `items`, from 0.
    pub index: usize,
    /// The status the single route would have answered (200, or the
    /// problem's 4xx).
    pub status: u16,
    /// What the item's command did, when it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<super::commands::CommandOutcomeDoc>)]
    pub outcome: Option<CommandOutcome>,
    /// Why the item was refused (nothing was appended for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

impl IngestItemResult {
    fn of(index: usize, result: Result<CommandOutcome, ApiError>) -> IngestItemResult {
        match result {
            Ok(outcome) => IngestItemResult {
                index,
                status: StatusCode::OK.as_u16(),
                outcome: Some(outcome),
                problem: None,
            },
            Err(error) => IngestItemResult {
                index,
                status: error.status.as_u16(),
                outcome: None,
                problem: Some(error.problem_in(super::localize::request_lang())),
            },
        }
    }
}

/// The answer to a bulk request: one result per item, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestOutcome {
    pub n_items: usize,
    pub n_succeeded: usize,
    pub n_failed: usize,
    /// One per item, in the order of `items`.
    pub results: Vec<IngestItemResult>,
}

// ---- the routes -------------------------------------------------------------

/// Runs one parsed item as its single route runs it once the body is
/// parsed: [`CommandRoute::prepare`] with the item's id as the path (an
/// account item's customer must exist: `404 not_found`), then
/// [`CommandRoute::build`] and the command pipeline.
async fn run_item<R: CommandRoute<Path = Uuid>>(
    state: AppState,
    id: Uuid,
    request: R,
    caller: Caller,
    meta: CommandMeta,
) -> Result<CommandOutcome, ApiError> {
    // Each item's ownership check, as its own route runs it (none of the
    // ingested kinds is a rep's today; the check holds if one becomes so).
    ensure_may_act(&state, &caller, R::KIND, R::subject(&id)).await?;
    let prepared = R::prepare(&state, &id).await?;
    let target = Target {
        state: &state,
        caller: &caller,
        path: id,
        prepared,
        id: Uuid::now_v7(),
    };
    match request.build(target).await? {
        Built::Command { stream_id, command } => Ok(state
            .service
            .execute::<R::Aggregate>(&meta, &stream_id, command)
            .await?),
        // The ingested routes build plain commands; a registration or a
        // day close is not ingested.
        Built::Registration { .. } | Built::DayClose(_) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("{:?} cannot be ingested", R::KIND),
        )),
    }
}

/// What every item's metadata shares.
struct BatchMeta {
    principal: Principal,
    now: DateTime<Utc>,
    correlation_id: Uuid,
    causation_id: Option<Uuid>,
    idempotency_key: Option<String>,
}

impl BatchMeta {
    fn item(&self, incoming: &Incoming, index: usize, item: &Value) -> CommandMeta {
        let mut meta = CommandMeta::new(self.principal.clone(), self.now);
        meta.correlation_id = self.correlation_id;
        if let Some(causation_id) = self.causation_id {
            meta.causation_id = causation_id;
        }
        if let Some(key) = &self.idempotency_key {
            // Serialising a `Value` cannot fail; an empty fingerprint input
            // would only make a reused key with another item undetected.
            let item_bytes = serde_json::to_vec(item).unwrap_or_default();
            meta.idempotency = Some(IdempotencyKey {
                key: format!("{key}#{index}"),
                fingerprint: incoming.fingerprint(&item_bytes),
            });
        }
        meta
    }
}

/// The bulk route whose items run as `kind` (a function of its own: the
/// table names [`ingest`], so `ingest` must not read the table itself).
fn route_of(kind: CommandKind) -> Result<&'static IngestRoute, ApiError> {
    INGEST_ROUTES
        .iter()
        .find(|route| route.kind == kind)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("no bulk route runs {kind:?}"),
            )
        })
}

/// The bulk route of `R`'s items: every item is `R`'s body with its
/// aggregate's id beside it.
async fn ingest<R: CommandRoute<Path = Uuid>>(
    mut incoming: Incoming,
) -> Result<Response, ApiError> {
    let route = route_of(R::KIND)?;
    let limit = incoming.state.max_body_bytes.max(MAX_INGEST_BODY_BYTES);
    let (body, _) = incoming
        .accept_within::<IngestBody>(route.kind, limit)
        .await?;
    let n_items = body.items.len();
    if !(1..=MAX_INGEST_ITEMS).contains(&n_items) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_batch_size",
            format!("a bulk request carries 1 to {MAX_INGEST_ITEMS} items, not {n_items}"),
        )
        .with("path", json!("items")));
    }
    let (correlation_id, causation_id) = incoming.trace_headers()?;
    let batch = BatchMeta {
        principal: incoming.caller.principal.clone(),
        now: incoming.state.now(),
        correlation_id: correlation_id.unwrap_or_else(Uuid::now_v7),
        causation_id,
        idempotency_key: incoming.idempotency_key()?,
    };

    // Parse every item; the good ones are grouped by the stream they
    // address, in order.
    let mut results: Vec<Option<IngestItemResult>> = (0..n_items).map(|_| None).collect();
    let mut groups: BTreeMap<Uuid, Vec<(usize, R, CommandMeta)>> = BTreeMap::new();
    for (index, item) in body.items.into_iter().enumerate() {
        let meta = batch.item(&incoming, index, &item);
        match parse_item::<R>(item, route.id_field) {
            Ok((id, request)) => groups.entry(id).or_default().push((index, request, meta)),
            Err(error) => {
                if let Some(slot) = results.get_mut(index) {
                    *slot = Some(IngestItemResult::of(index, Err(error)));
                }
            }
        }
    }

    // One task per stream, its items in order; a few streams at once.
    let permits = Arc::new(tokio::sync::Semaphore::new(INGEST_FAN_OUT));
    let mut tasks = tokio::task::JoinSet::new();
    let lang = super::localize::request_lang();
    for (id, items) in groups {
        let state = incoming.state.clone();
        let caller = incoming.caller.clone();
        let permits = permits.clone();
        tasks.spawn(super::localize::with_lang(lang, async move {
            // The semaphore is never closed; without a permit the stream
            // still runs (only the bound on concurrency is lost).
            let _permit = permits.acquire_owned().await.ok();
            let mut done = Vec::with_capacity(items.len());
            for (index, request, meta) in items {
                let result = run_item(state.clone(), id, request, caller.clone(), meta).await;
                done.push(IngestItemResult::of(index, result));
            }
            done
        }));
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(done) => {
                for result in done {
                    let index = result.index;
                    if let Some(slot) = results.get_mut(index) {
                        *slot = Some(result);
                    }
                }
            }
            Err(error) => {
                // Its items stay without a result and are reported below.
                tracing::error!(%error, "a bulk ingestion task failed");
            }
        }
    }
    let results: Vec<IngestItemResult> = results
        .into_iter()
        .enumerate()
        .map(|(index, result)| {
            result.unwrap_or_else(|| {
                IngestItemResult::of(
                    index,
                    Err(ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "this item was not run to the end; it may be retried",
                    )),
                )
            })
        })
        .collect();
    let n_succeeded = results
        .iter()
        .filter(|result| result.outcome.is_some())
        .count();
    let outcome = IngestOutcome {
        n_items,
        n_succeeded,
        n_failed: n_items - n_succeeded,
        results,
    };
    Ok((StatusCode::OK, Json(outcome)).into_response())
}

/// Splits an item into the addressed aggregate's id (`id_field`) and the
/// single route's request, parsed as strictly as that route parses it.
fn parse_item<R: DeserializeOwned>(item: Value, id_field: &str) -> Result<(Uuid, R), ApiError> {
    let body_error = |path: &str, message: String, kind: BodyErrorKind| BodyError {
        path: path.to_owned(),
        message,
        kind,
    };
    let Value::Object(mut fields) = item else {
        return Err(body_error(
            "",
            "an item must be a JSON object".to_owned(),
            BodyErrorKind::WrongType,
        )
        .into());
    };
    let id = match fields.remove(id_field) {
        None => {
            return Err(body_error(
                id_field,
                format!("missing field `{id_field}`"),
                BodyErrorKind::MissingField,
            )
            .into())
        }
        Some(Value::String(raw)) => Uuid::parse_str(&raw).map_err(|error| {
            body_error(
                id_field,
                format!("{raw} is not a UUID: {error}"),
                BodyErrorKind::Other,
            )
        })?,
        Some(other) => {
            return Err(body_error(
                id_field,
                format!("expected a UUID string, got {other}"),
                BodyErrorKind::WrongType,
            )
            .into())
        }
    };
    let rest = serde_json::to_vec(&Value::Object(fields)).map_err(super::internal)?;
    Ok((id, parse_body::<R>(&rest)?))
}
