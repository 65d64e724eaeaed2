//! `/v1/views/responsibility/...`: the responsibility log (SPEC C2, C3),
//! now or as of a past time (`as_of`), and
//! `GET /v1/customers/{customer_id}/ownership[?as_of=T]`: who owned a
//! customer then, since when, and the events that made it so.
//!
//! "As of T" is what the log had recorded by T: the responsibility
//! projector folded over the subject's records up to T with
//! [`crate::offline::fold_until`], the fold `salesledger replay --as-of`
//! uses. Only the subject's streams are read (a customer's own stream and
//! those of the leads registered for it; a lead's stream), not the whole
//! log, and from the log itself, so the answer does not lag behind it.

use axum::response::Response;
use axum::routing::get;
use axum::Json;
use chrono::{DateTime, Utc};
use salesledger_domain::access::Resource;
use salesledger_domain::stream::{customer_stream_id, lead_stream_id};
use salesledger_domain::value::{CustomerId, LeadId, RepId};
use salesledger_projections::responsibility::{CustomerLog, ResponsibilityView};
use salesledger_projections::tables::responsibility::{self as tables, ResponsibilityTables};
use salesledger_projections::tables::subjects::{self, SubjectsTables};
use salesledger_projections::tables::TableProjector;
use salesledger_projections::{Projector, ResponsibilityLog};
use salesledger_store::RecordedEvent;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    answer, not_found, respond_at, view_error, wait_as_asked, View, ViewQuery, ViewRoute, WaitQuery,
};
use crate::gateway::auth::{ensure_may_read, Subject};
use crate::gateway::problem::ApiError;
use crate::gateway::route::ReadRoute;
use crate::gateway::AppState;
use crate::views::as_of;

/// A customer's owner as of a time (one of the read routes: it answers a
/// customer's owner, not a view's rows).
pub const OWNERSHIP_READ: ReadRoute = ReadRoute {
    path: "/v1/customers/{customer_id}/ownership",
    operation_id: "ReadCustomerOwnership",
    schema: "OwnershipView",
    query: &[("as_of", AS_OF_DESCRIPTION)],
    serve: || get(read_ownership),
};

/// The description of `as_of`, in the document.
pub const AS_OF_DESCRIPTION: &str = "RFC 3339 time (a `+` in its offset is `%2B` in a URL): answer as the log stood then, from the records it had recorded by that time; absent: now.";

pub const VIEW_ROUTES: &[ViewRoute] = &[
    ViewRoute::object(
        "/v1/views/responsibility/customers/{customer_id}",
        || get(responsibility_customer),
        "ViewCustomerResponsibility",
        "Responsibility log of a customer (SPEC C2, C3): registration, every ownership change (claimed, transferred with reason and by whom, released, recalled, returned to the pool with the rule) and the routing of leads registered for it; with `as_of`, as the log stood then (`position`: the last record taken into account). `data`: `{company_name, current_owner, entries: [{position, event_id, actor, recorded_at, change: {kind, ...}}]}`.",
    )
    .query(&[
        ("as_of", AS_OF_DESCRIPTION),
    ]),
    ViewRoute::object(
        "/v1/views/responsibility/leads/{lead_id}",
        || get(responsibility_lead),
        "ViewLeadResponsibility",
        "Responsibility log of a lead (SPEC C1, C2): who registered it, who confirmed budget and technical fit, every routing proposal (candidates, scores, explanations, rule version), who confirmed whom and how many seconds after the proposal; with `as_of`, as the log stood then. `data`: `{company_name, customer_id, routed_to, entries: [...]}`.",
    )
    .query(&[
        ("as_of", AS_OF_DESCRIPTION),
    ]),
];

view_query! {
    /// A responsibility view's parameters: `as_of` and read-your-writes.
    pub struct AsOfQuery {
        pub as_of: Option<DateTime<Utc>>,
    }
}

/// `GET /v1/customers/{customer_id}/ownership`'s only parameter.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnershipQuery {
    pub as_of: Option<DateTime<Utc>>,
}

/// One ownership change of a customer, as the log recorded it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OwnershipEvent {
    pub position: u64,
    pub event_id: Uuid,
    /// `CustomerRegistered`, `CustomerClaimed`, `CustomerTransferred`,
    /// `CustomerReleased`, `CustomerRecalledToPool` or
    /// `CustomerReturnedToPool`.
    pub event_type: String,
    /// Who recorded it (`role:actor`).
    pub actor: String,
    /// When the log recorded it.
    pub recorded_at: DateTime<Utc>,
    /// The change, as in the responsibility view (`{kind, ...}`).
    #[schema(value_type = Object)]
    pub change: serde_json::Value,
}

/// Who owned a customer at a time (`GET /v1/customers/{customer_id}/ownership`).
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnershipView {
    pub customer_id: Uuid,
    /// The time asked for; `null`: now.
    pub as_of: Option<DateTime<Utc>>,
    /// The last position of the customer's records taken into account.
    pub position: Option<u64>,
    /// The owning rep then; `null` while the customer was in the pool.
    #[schema(value_type = Option<Uuid>)]
    pub owner: Option<RepId>,
    /// Since when: when the log recorded the change that made it so.
    pub since: DateTime<Utc>,
    /// That change (the last of `events`).
    pub made_so_by: OwnershipEvent,
    /// Every ownership change up to then, registration first, in log order.
    pub events: Vec<OwnershipEvent>,
}

/// The responsibility view as the log stood at `as_of` (`None`: now):
/// folded over the subject's streams (`streams`, run after the wait
/// asked for), with the last position folded and the records read.
async fn folded(
    state: &AppState,
    wait: &WaitQuery,
    streams: impl std::future::Future<Output = Result<Vec<String>, ApiError>>,
    as_of: Option<DateTime<Utc>>,
) -> Result<(ResponsibilityView, Option<u64>, Vec<RecordedEvent>), ApiError> {
    wait_as_asked(state, ResponsibilityTables::NAME, wait).await?;
    let store = state.service.store();
    let records = as_of::records_of(store.as_ref(), &streams.await?).await?;
    let (view, last) = as_of::fold(&records, as_of).map_err(|error| ApiError::internal(&error))?;
    Ok((view, last, records))
}

/// The streams a customer's responsibility log is folded from: its own,
/// and those of the leads registered for it (their routing entries), looked
/// up in the subject index (a lead's stream is linked to the customer its
/// registration names), on the blocking pool.
async fn customer_streams(
    state: &AppState,
    customer_id: CustomerId,
) -> Result<Vec<String>, ApiError> {
    let views = state.views()?;
    let (leads, _) = tokio::task::spawn_blocking(move || {
        views.read_with::<SubjectsTables, _>(|rows| {
            Ok(subjects::linked_streams(rows, customer_id.as_uuid())?
                .into_iter()
                .filter(|stream| stream.starts_with("lead-"))
                .collect::<Vec<_>>())
        })
    })
    .await
    .map_err(|error| ApiError::internal(&error))?
    .map_err(view_error)?;
    let mut streams = vec![customer_stream_id(customer_id)];
    streams.extend(leads);
    Ok(streams)
}

async fn responsibility_customer(
    View {
        state,
        caller,
        path: id,
        params,
    }: View<AsOfQuery, Uuid>,
) -> Result<Response, ApiError> {
    let customer_id = CustomerId::from_uuid(id);
    // A refusal is the answer a missing customer gets: as of a time when
    // one is asked for.
    let as_of_asked = params.as_of;
    ensure_may_read(
        &state,
        &caller,
        Resource::Responsibility,
        Subject::Customer(customer_id),
        || match as_of_asked {
            Some(as_of) => not_as_of("customer", id, as_of),
            None => not_found("customer", id),
        },
    )
    .await?;
    let Some(as_of) = params.as_of else {
        return answer::<ResponsibilityTables, _>(&state, &params.wait(), move |rows| {
            Ok(tables::customer(rows, customer_id)?.ok_or_else(|| not_found("customer", id)))
        })
        .await;
    };
    let streams = customer_streams(&state, customer_id);
    let (view, last, _) = folded(&state, &params.wait(), streams, Some(as_of)).await?;
    let log = view
        .customer(customer_id)
        .ok_or_else(|| not_as_of("customer", id, as_of))?;
    respond_at(ResponsibilityLog::NAME, log, last)
}

async fn responsibility_lead(
    View {
        state,
        path: id,
        params,
        ..
    }: View<AsOfQuery, Uuid>,
) -> Result<Response, ApiError> {
    let lead_id = LeadId::from_uuid(id);
    let Some(as_of) = params.as_of else {
        return answer::<ResponsibilityTables, _>(&state, &params.wait(), move |rows| {
            Ok(tables::lead(rows, lead_id)?.ok_or_else(|| not_found("lead", id)))
        })
        .await;
    };
    let streams = std::future::ready(Ok(vec![lead_stream_id(lead_id)]));
    let (view, last, _) = folded(&state, &params.wait(), streams, Some(as_of)).await?;
    let log = view
        .lead(lead_id)
        .ok_or_else(|| not_as_of("lead", id, as_of))?;
    respond_at(ResponsibilityLog::NAME, log, last)
}

fn not_as_of(what: &str, id: Uuid, as_of: DateTime<Utc>) -> ApiError {
    ApiError::not_found(format!(
        "no {what} {id} as of {}",
        as_of.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    ))
}

fn ownership_view(
    customer_id: CustomerId,
    as_of: Option<DateTime<Utc>>,
    position: Option<u64>,
    log: &CustomerLog,
    records: &[RecordedEvent],
) -> Result<Option<OwnershipView>, ApiError> {
    let mut events = Vec::new();
    for entry in log
        .entries
        .iter()
        .filter(|entry| as_of::is_ownership_change(entry))
    {
        let event_type = records
            .binary_search_by_key(&entry.position, |record| record.position)
            .ok()
            .and_then(|idx| records.get(idx))
            .map(|record| record.event_type.clone())
            .unwrap_or_default();
        events.push(OwnershipEvent {
            position: entry.position,
            event_id: entry.event_id,
            event_type,
            actor: entry.actor.clone(),
            recorded_at: entry.recorded_at,
            change: serde_json::to_value(&entry.change).map_err(crate::gateway::internal)?,
        });
    }
    let Some(made_so_by) = events.last().cloned() else {
        return Ok(None);
    };
    Ok(Some(OwnershipView {
        customer_id: customer_id.as_uuid(),
        as_of,
        position,
        owner: log.current_owner,
        since: made_so_by.recorded_at,
        made_so_by,
        events,
    }))
}

/// `GET /v1/customers/{customer_id}/ownership[?as_of=T]`: read-scoped as
/// the customer's responsibility log (its owners past and present: a rep
/// reads it for the customers they own, not for a pool customer, whose
/// record is all a rep sees of it); a customer the caller may not read is
/// the `404` a missing one gets, as of `as_of` when it is asked.
async fn read_ownership(
    View {
        state,
        caller,
        path: id,
        params: OwnershipQuery { as_of },
    }: View<OwnershipQuery, Uuid>,
) -> Result<Json<OwnershipView>, ApiError> {
    let customer_id = CustomerId::from_uuid(id);
    let missing = || {
        ApiError::not_found(format!(
            "no customer at {}",
            customer_stream_id(customer_id)
        ))
    };
    ensure_may_read(
        &state,
        &caller,
        Resource::Responsibility,
        Subject::Customer(customer_id),
        || match as_of {
            Some(as_of) => not_as_of("customer", id, as_of),
            None => missing(),
        },
    )
    .await?;
    // Ownership changes are all in the customer's own stream.
    let streams = std::future::ready(Ok(vec![customer_stream_id(customer_id)]));
    let (view, last, records) = folded(&state, &WaitQuery::default(), streams, as_of).await?;
    let found = match view.customer(customer_id) {
        Some(log) => ownership_view(customer_id, as_of, last, log, &records)?,
        None => None,
    };
    found.map(Json).ok_or_else(|| match as_of {
        Some(as_of) => not_as_of("customer", id, as_of),
        None => missing(),
    })
}
