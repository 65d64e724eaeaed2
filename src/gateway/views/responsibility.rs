//! `/v1/views/responsibility/...`: the responsibility log (SPEC C2, C3).

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use salesledger_domain::value::{CustomerId, LeadId};
use salesledger_projections::tables::responsibility::{self, ResponsibilityTables};

use super::{answer_by_id, answer_scoped_by_id, IdPath, Params, ViewData, ViewRoute};
use crate::gateway::auth::Caller;
use crate::gateway::auth::Subject;
use crate::gateway::problem::ApiError;
use crate::gateway::AppState;
use salesledger_domain::access::Resource;

pub const VIEW_ROUTES: &[ViewRoute] = &[
    ViewRoute {
        path: "/v1/views/responsibility/customers/{customer_id}",
        operation_id: "ViewCustomerResponsibility",
        description: "Responsibility log of a customer (SPEC C2, C3): registration, every ownership change (claimed, transferred with reason and by whom, released, recalled, returned to the pool with the rule) and the routing of leads registered for it. `data`: `{company_name, current_owner, entries: [{position, event_id, actor, recorded_at, change: {kind, ...}}]}`.",
        query: &[],
        data: ViewData::Object,
    },
    ViewRoute {
        path: "/v1/views/responsibility/leads/{lead_id}",
        operation_id: "ViewLeadResponsibility",
        description: "Responsibility log of a lead (SPEC C1, C2): who registered it, who confirmed budget and technical fit, every routing proposal (candidates, scores, explanations, rule version), who confirmed whom and how many seconds after the proposal. `data`: `{company_name, customer_id, routed_to, entries: [...]}`.",
        query: &[],
        data: ViewData::Object,
    },
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/views/responsibility/customers/{customer_id}",
            get(responsibility_customer),
        )
        .route(
            "/v1/views/responsibility/leads/{lead_id}",
            get(responsibility_lead),
        )
}

async fn responsibility_customer(
    State(state): State<AppState>,
    caller: Caller,
    path: IdPath,
    wait: Params,
) -> Result<Response, ApiError> {
    answer_scoped_by_id::<ResponsibilityTables, _>(
        &state,
        &caller,
        Resource::Responsibility,
        |id| Subject::Customer(CustomerId::from_uuid(id)),
        path,
        wait,
        "customer",
        |rows, id| responsibility::customer(rows, CustomerId::from_uuid(id)),
    )
    .await
}

async fn responsibility_lead(
    State(state): State<AppState>,
    _caller: Caller,
    path: IdPath,
    wait: Params,
) -> Result<Response, ApiError> {
    answer_by_id::<ResponsibilityTables, _>(&state, path, wait, "lead", |rows, id| {
        responsibility::lead(rows, LeadId::from_uuid(id))
    })
    .await
}
