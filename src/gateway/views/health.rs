//! `/v1/views/health...` and `/v1/views/risk...`: customer health (SPEC C7) and the morning risk list (C8).

use axum::response::Response;
use axum::routing::get;
use chrono::NaiveDate;
use salesledger_domain::value::CustomerId;
use salesledger_projections::tables::{
    health::{self, HealthTables},
    risk::{self, RiskTables},
};

use super::{
    answer_scoped, answer_scoped_by_id, answer_scoped_list, View, ViewQuery, ViewRoute, WaitQuery,
};
use crate::gateway::auth::Subject;
use crate::gateway::problem::ApiError;
use salesledger_domain::access::Resource;
use uuid::Uuid;

/// This module's view routes (documented in OpenAPI).
pub const VIEW_ROUTES: &[ViewRoute] = &[
    ViewRoute::list(
        "/v1/views/health",
        || get(health_list),
        "ListHealth",
        "Health of every customer with customer-success inputs (SPEC C7), sorted by customer id, as of the last closed day under the health policy in force. `data`: `[{customer_id, company_name, score_bp, level, policy_version, frozen}]` (`score_bp`, `level` and `policy_version` are `null` until a day has closed after the customer's first input). Scores are basis points (85.00 = 8500); levels `green` (>= green_at_bp), `yellow` (>= yellow_at_bp), `red`.",
    )
    .query(&[
        ("limit", "a page of at most this many customers, 1 to 1000 (default 100 when `cursor` is given); without `limit` and `cursor`, the whole list"),
        ("cursor", "the `next_cursor` of the previous page (opaque)"),
    ]),
    ViewRoute::object(
        "/v1/views/health/{customer_id}",
        || get(health_customer),
        "ViewCustomerHealth",
        "One customer's health (SPEC C7); 404 `not_found` until it has a score. `data`: `{customer_id, company_name, owner, region, frozen, breakdown: {as_of, score_bp, level, policy_version, indicators: [{indicator, raw, normalised_bp, weight, contribution_bp}]} (the contributions sum to score_bp), evaluated_at_position, changed_by: [positions of the events that last changed the breakdown], pending_inputs, daily: [{day, score_bp, level, policy_version}] (one per closed day on which one of them changed), history: [{position, day, from, to, score_bp, policy_version}] (level changes), frozen_since, freezes: [{position, day, score_bp, unfrozen_by_plan, unfrozen_at}], rescue_plans: [{plan_id, position, summary, submitted_by, submitted_at, approved_by, approved_at}], callback_tasks: [{task_id, position, day, due_at, status: open|met|missed, missed_on, completed_by, completed_at}], success_cases: [{position, day, owner, score_bp}]}`.",
    ),
    ViewRoute::object(
        "/v1/views/risk",
        || get(risk_list),
        "ViewRiskList",
        "The morning risk list of a closed day (SPEC C8): the TOP 10 customers below green, by ascending score_bp then customer id; 404 `not_found` if that day has no list (not closed). `data`: `{day, closes_at, position, policy_version, n_evaluated, n_at_risk, customers: [{rank, customer_id, company_name, owner, region, score_bp, level, last_login_at, core_modules_never_used, competitor_keywords: [{keyword, count}] (last 30 days), risks: [{kind, script}]}]}`; kinds `low_usage`, `low_module_usage`, `overdue_tickets`, `renewal_due`, `competitor_interest`, `low_key_feature_use`, each with the script of the policy in force.",
    )
    .query(&[
        (
            "day",
            "The closed day, `YYYY-MM-DD` (default: the last closed day); a malformed date is `400 invalid_query`.",
        ),
    ]),
];

view_query! {
    /// `?limit=&cursor=` (paging) plus the read-your-writes parameters.
    pub struct ListQuery {
        pub limit: Option<usize>,
        pub cursor: Option<String>,
    }
}

view_query! {
    /// `?day=` plus the read-your-writes parameters.
    pub struct RiskQuery {
        pub day: Option<NaiveDate>,
    }
}

async fn health_list(view: View<ListQuery>) -> Result<Response, ApiError> {
    let page = (view.params.limit, view.params.cursor.as_deref());
    answer_scoped_list::<HealthTables, _, CustomerId, _>(
        &view,
        Resource::Account,
        page,
        |rows, after, limit| health::summaries_page(rows, after, limit),
        |row| row.customer_id,
        |row: &salesledger_projections::health::HealthSummary| row.customer_id,
    )
    .await
}

async fn health_customer(view: View<WaitQuery, Uuid>) -> Result<Response, ApiError> {
    answer_scoped_by_id::<HealthTables, _>(
        view,
        Resource::Account,
        |id| Subject::Customer(CustomerId::from_uuid(id)),
        "customer health for",
        |rows, id| health::detail(rows, CustomerId::from_uuid(id)),
    )
    .await
}

async fn risk_list(view: View<RiskQuery>) -> Result<Response, ApiError> {
    let day = view.params.day;
    answer_scoped::<RiskTables, _, _>(
        &view.state,
        &view.caller,
        Resource::Account,
        &view.params.wait(),
        move |rows| {
            let list = match day {
                Some(day) => risk::day(rows, day)?,
                None => risk::latest(rows)?,
            };
            Ok(list.ok_or_else(|| {
                ApiError::not_found(match day {
                    Some(day) => format!("no risk list for {day}: that day has not closed"),
                    None => "no risk list yet: no day has closed".to_owned(),
                })
            }))
        },
        |list| &mut list.customers,
        |entry| entry.customer_id,
    )
    .await
}
