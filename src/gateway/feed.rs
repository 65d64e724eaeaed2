//! The event feed for integrators: `GET /v1/events` (pages of the log in
//! global order, optionally long-polled with `wait_ms`) and
//! `GET /v1/events/stream` (the same records as Server-Sent Events, live).
//!
//! `after` is exclusive: `?after=41` answers records from position 42 on;
//! without it the feed starts at position 0. A page's `next_after` is the
//! last position the server examined (matching or not), so a reader that
//! stores it and passes it back as `after` misses nothing and sees nothing
//! twice, across restarts of either side.
//!
//! What a caller sees depends on its role and, for a rep, on whom the
//! record is about: [`crate::feed`] decides it ([`FeedFilter`]); this
//! module is the HTTP side.

use std::convert::Infallible;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use salesledger_store::RecordedEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::feed::FeedFilter;

use super::auth::Caller;
use super::problem::ApiError;
use super::route::DocRoute;
use super::views::View;
use super::AppState;

/// Default and maximum page size.
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;
/// Longest `wait_ms` honoured (longer waits are cut to this).
pub const MAX_WAIT_MS: u64 = 30_000;
/// Heartbeat comment interval on the live stream.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// One record of the log as the feed shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedRecord {
    /// Global position, gapless from 0.
    pub position: u64,
    /// The event's id: a receiver's idempotency key.
    pub event_id: Uuid,
    pub stream_id: String,
    pub stream_version: u64,
    pub event_type: String,
    pub schema_version: u32,
    pub actor: String,
    pub recorded_at: DateTime<Utc>,
    pub command_id: Uuid,
    pub correlation_id: Uuid,
    pub causation_id: Uuid,
    /// The event's payload (shapes in domain/EVENTS.md).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// SHA-256 of the record's canonical encoding, hex.
    pub hash: String,
    /// The previous record's hash (zeros for position 0).
    pub prev_hash: String,
}

impl FeedRecord {
    pub fn from_record(record: &RecordedEvent) -> FeedRecord {
        FeedRecord {
            position: record.position,
            event_id: record.event_id,
            stream_id: record.stream_id.clone(),
            stream_version: record.stream_version,
            event_type: record.event_type.clone(),
            schema_version: record.schema_version,
            actor: record.actor.clone(),
            recorded_at: record.recorded_at,
            command_id: record.command_id,
            correlation_id: record.correlation_id,
            causation_id: record.causation_id,
            payload: serde_json::from_str(record.payload.as_str())
                .unwrap_or(serde_json::Value::Null),
            hash: record.hash.to_hex(),
            prev_hash: record.prev_hash.to_hex(),
        }
    }
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedPage {
    /// Matching, visible records in position order.
    pub records: Vec<FeedRecord>,
    /// Pass as `after` to continue: the last position examined (`null`
    /// when nothing has been examined yet and no `after` was given).
    pub next_after: Option<u64>,
    /// The log's committed length when the page was read.
    pub log_len: u64,
}

/// `GET /v1/events` parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    pub after: Option<u64>,
    /// Comma-separated event types.
    pub types: Option<String>,
    pub limit: Option<usize>,
    pub wait_ms: Option<u64>,
}

/// `GET /v1/events/stream` parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    pub after: Option<u64>,
    pub types: Option<String>,
}

/// Every documented integration route: the feed's, the webhooks' and the
/// tokens'.
pub fn integration_routes() -> impl Iterator<Item = &'static DocRoute> {
    FEED_ROUTES
        .iter()
        .chain(super::webhooks::WEBHOOK_ROUTES)
        .chain(super::tokens::TOKEN_ROUTES)
        .chain(super::customer_import::IMPORT_ROUTES)
}

const FEED_PROBLEMS: &[(&str, &str)] = &[
    (
        "400",
        "invalid_query: unknown parameter, bad `types`, `limit` out of range",
    ),
    ("401", "No or unknown bearer token"),
];

const AFTER_DOC: &str = "Exclusive position: records after it (default: from position 0)";
const TYPES_DOC: &str = "Comma-separated event types, e.g. `TodoCreated,OverdueTaskCardIssued`";

/// The feed's routes (the router below serves exactly these).
pub const FEED_ROUTES: &[DocRoute] = &[
    DocRoute::new(
        "get",
        "/v1/events",
        || get(read_events),
        "ReadEvents",
        "Records of the log in global order with their hashes, filtered by the \
         caller's role (see the feed visibility table in the README). `next_after` \
         continues the feed. With `wait_ms`, an empty page waits up to that long \
         (at most 30 s) for a matching record (long poll).",
    )
    .answers("FeedPage")
    .query(&[
        ("after", AFTER_DOC),
        ("types", TYPES_DOC),
        ("limit", "Records per page, 1..=1000 (default 100)"),
        (
            "wait_ms",
            "Long poll: wait up to this long for a record (max 30000)",
        ),
    ])
    .problems(FEED_PROBLEMS)
    .tag("events"),
    DocRoute::new(
        "get",
        "/v1/events/stream",
        || get(stream_events),
        "StreamEvents",
        "Server-Sent Events: every visible, matching record from `after` on, then \
         live as records commit. Each event has `id` = position (so `Last-Event-ID` \
         resumes), `event` = the event type and `data` = the record as in \
         `/v1/events`; comment lines are heartbeats.",
    )
    .streams("text/event-stream")
    .query(&[("after", AFTER_DOC), ("types", TYPES_DOC)])
    .problems(FEED_PROBLEMS)
    .tag("events"),
];

pub fn routes() -> Router<AppState> {
    super::route::router(FEED_ROUTES)
}

/// The `types` filter: `None` for every type.
pub fn parse_types(types: Option<&str>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(types) = types else {
        return Ok(None);
    };
    let mut parsed = Vec::new();
    for name in types.split(',').map(str::trim) {
        if !crate::feed::is_event_type_name(name) {
            return Err(invalid_query(format!(
                "types: {name} is not an event type name"
            )));
        }
        parsed.push(name.to_owned());
    }
    parsed.sort();
    parsed.dedup();
    Ok(Some(parsed))
}

/// What `caller` sees of the records of the `types` asked for.
fn filter_for(caller: &Caller, types: Option<&str>) -> Result<FeedFilter, ApiError> {
    Ok(FeedFilter::new(
        caller.principal.role,
        caller.rep_id,
        parse_types(types)?,
    ))
}

fn invalid_query(detail: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", detail)
}

async fn read_events(
    View {
        state,
        caller,
        params: query,
        ..
    }: View<FeedQuery>,
) -> Result<Json<FeedPage>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid_query(format!(
            "limit must be 1..={MAX_LIMIT}, got {limit}"
        )));
    }
    let mut filter = filter_for(&caller, query.types.as_deref())?;
    let wait = Duration::from_millis(query.wait_ms.unwrap_or(0).min(MAX_WAIT_MS));
    let store = state.service.store();
    let (records, next_after, log_len) =
        crate::feed::page(store.as_ref(), query.after, limit, &mut filter, wait)
            .await
            .map_err(super::internal)?;
    Ok(Json(FeedPage {
        records: records.iter().map(FeedRecord::from_record).collect(),
        next_after,
        log_len,
    }))
}

async fn stream_events(
    headers: HeaderMap,
    View {
        state,
        caller,
        params: query,
        ..
    }: View<StreamQuery>,
) -> Result<Response, ApiError> {
    let filter = filter_for(&caller, query.types.as_deref())?;
    // `Last-Event-ID` (sent by EventSource clients on reconnect) wins over
    // `after`: it is the last position this client received.
    let last_event_id = match headers.get("last-event-id") {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_last_event_id",
                        "Last-Event-ID must be a log position",
                    )
                })?,
        ),
        None => None,
    };
    let after = last_event_id.or(query.after);
    let from = after.map_or(0, |after| after.saturating_add(1));
    let records = crate::feed::live(
        state.service.store().clone(),
        from,
        filter,
        state.shutting_down.subscribe(),
    );
    // A record that does not encode ends the stream (logged).
    let stream = records
        .map(|record| {
            Event::default()
                .id(record.position.to_string())
                .event(record.event_type.clone())
                .json_data(FeedRecord::from_record(&record))
                .map_err(|error| tracing::warn!(%error, "event stream: encoding a record"))
        })
        .take_while(|event| std::future::ready(event.is_ok()))
        .filter_map(|event| std::future::ready(event.ok().map(Ok::<Event, Infallible>)));
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat"))
        .into_response())
}
