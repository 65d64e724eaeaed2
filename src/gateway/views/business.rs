//! `/v1/views/...` for the business views: process assets (C9), funnel
//! (C11), receivables (C10), regional digest (C12), leaderboard.
//!
//! Query parameters are strict (an unknown one, or a malformed value, is a
//! `400 invalid_query`); a period is `YYYY-MM` or `total`
//! (`400 invalid_period` otherwise); an unknown contract or region is a
//! `404 not_found`.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::NaiveDate;
use salesledger_domain::contract::Department;
use salesledger_domain::value::{ContractId, CustomerId};
use salesledger_projections::assets::{AssetGroup, TOTAL};
use salesledger_projections::directory::is_month;
use salesledger_projections::funnel::FunnelGroup;
use salesledger_projections::tables::{
    assets::{self, AssetsTables},
    digest::{self, DigestTables},
    funnel::{self, FunnelTables},
    leaderboard::{self, LeaderboardTables},
    receivables::{self, ReceivablesTables},
    Reader, TableError, TableProjector,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    answer, answer_scoped_by_id, answer_scoped_list, query, Params, View, ViewQuery, ViewRoute,
    WaitQuery,
};
use crate::gateway::auth::{Caller, Subject};
use crate::gateway::problem::ApiError;
use crate::gateway::AppState;
use salesledger_domain::access::Resource;

/// This module's view routes (documented in OpenAPI).
pub const VIEW_ROUTES: &[ViewRoute] = &[
    ViewRoute::list(
        "/v1/views/assets",
        || get(assets),
        "ViewProcessAssets",
        "Process-asset accumulation rate (SPEC C9) per rep or per region, per month (`YYYY-MM`, China Standard Time) and over the whole period (`total`): rate = (solutions + objection answers + won-deal actions) / actively followed customers (distinct customers with a follow-up by the rep that month; for a region, by any of its reps) x 10000 basis points, truncated, `null` without active customers. `data`: `[{rep_id, display_name, region, period, solutions, objection_answers, won_deal_actions, assets, active_customers, rate_bp}]` ordered by rep id or region, then period (`total` last).",
    )
    .query(&[
        ("group", "`rep` (default) or `region`"),
        ("period", "`YYYY-MM` or `total`; absent: every month and the total"),
    ]),
    ViewRoute::list(
        "/v1/views/funnel",
        || get(funnel),
        "ViewFunnel",
        "Sales funnel (SPEC C11) per routed rep or per region (the rep's; `unassigned` before routing), per month of registration and `total`: how many leads reached each stage (a skipped stage counts as passed; `lost` apart), stage-to-stage conversion in basis points (`null` when nobody reached the earlier stage), cycle time registration to won (mean and median days, 2 decimals) and the mean days spent in each stage. `data`: `[{rep_id, display_name, region, period, reached: {lead, qualified, proposal, negotiation, won, lost}, conversion: {lead_to_qualified_bp, qualified_to_proposal_bp, proposal_to_negotiation_bp, negotiation_to_won_bp, lead_to_won_bp}, won_cycles, cycle_mean_days, cycle_median_days, stage_mean_days: {lead, qualified, proposal, negotiation}}]`.",
    )
    .query(&[
        ("group", "`rep` (default) or `region`"),
        ("period", "`YYYY-MM` or `total`; absent: every month and the total"),
    ]),
    ViewRoute::object(
        "/v1/views/receivables",
        || get(receivables),
        "ViewReceivables",
        "Receivables (SPEC C10) per region as of the last closed day (contracts signed and payments received on or before it): aging of outstanding fen by days past due and DSO = outstanding / credit sales of the last 90 days x 90 (days, 2 decimals; `null` without sales). `data`: `{as_of, regions: [{region, aging: {current, 1_30, 31_60, 61_90, over_90}, outstanding_fen, credit_sales_90d_fen, dso_days}]}`; `as_of` is `null` and `regions` empty before the first day close.",
    ),
    ViewRoute::list(
        "/v1/views/receivables/task-cards",
        || get(task_cards),
        "ViewOverdueTaskCards",
        "Overdue task cards (SPEC C10): one per overdue instalment and department (`sales`, `finance`, `legal`), in log order, each with the similar past cases attached when it was issued: up to 5 earlier overdue instalments of other customers in the same region, else the same industry, newest first, each with its outcome (`paid` after N days past due, or `open` as of the card's day). `data`: `[{card_id, contract_id, customer_id, index, department, day, due_on, outstanding_fen, region, industry, position, similar_cases: [{contract_id, customer_id, index, due_on, flagged_on, matched_on, region, industry, outcome: {status, ...}}]}]`.",
    )
    .query(&[
        ("customer_id", "only this customer's cards (UUID)"),
        ("department", "only `sales`, `finance` or `legal`"),
        ("limit", "a page of at most this many cards, 1 to 1000 (default 100 when `cursor` is given); without `limit` and `cursor`, every card"),
        ("cursor", "the `next_cursor` of the previous page (opaque)"),
    ]),
    ViewRoute::object(
        "/v1/views/receivables/contracts/{contract_id}",
        || get(contract),
        "ViewContractReceivables",
        "One contract's receivables (SPEC C10): its instalments with paid, outstanding, the day it was paid off and the day it was flagged overdue, and its payments with their allocations. `data`: `{contract_id, customer_id, rep_id, signed_on, total_fen, paid_fen, outstanding_fen, instalments: [...], payments: [...]}`.",
    ),
    ViewRoute::object(
        "/v1/views/digest/{region}/{date}",
        || get(digest),
        "ViewRegionalDigest",
        "Regional daily digest (SPEC C12) of one region and business date (China Standard Time): new leads, visits logged, proposals created and delivered, payments (count and fen), customers that turned yellow or red (the day close's evaluation), overdue instalments (flagged by the close), and whether the day is closed. A closed day's figures are final once its close has run (the close's own decisions, levels and overdue instalments, are appended just after its `DayClosed` and count in them): a lead, visit, proposal or payment of that business day recorded after the close (a visit of yesterday logged this morning, a payment received on the day recorded later) counts only in the day's `late` section, not in its figures nor on the day it was recorded, so figures + `late` is everything that occurred on the day, each counted once. A known region on a quiet day answers zeros; a region with no activity ever is a 404. `data`: `{region, day, closed, new_leads, visits, proposals_created, proposals_delivered, payments, payments_fen, turned_yellow: [customer_id], turned_red: [customer_id], overdue_instalments, late: {new_leads, visits, proposals_created, proposals_delivered, payments, payments_fen}}`.",
    ),
    ViewRoute::list(
        "/v1/views/leaderboard",
        || get(leaderboard),
        "ViewLeaderboard",
        "Rep leaderboards per region and month: reps ranked by contract value signed, then payments collected on their contracts, then leads won, then rep id. `data`: `[{region, period, rows: [{rank, rep_id, display_name, contract_value_fen, payments_fen, won_leads}]}]` by region then month.",
    )
    .query(&[
        ("region", "only this region's board"),
        ("period", "only this month (`YYYY-MM`)"),
    ]),
];

/// `rep` or `region`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Group {
    #[default]
    Rep,
    Region,
}

impl From<Group> for AssetGroup {
    fn from(group: Group) -> Self {
        match group {
            Group::Rep => AssetGroup::Rep,
            Group::Region => AssetGroup::Region,
        }
    }
}

impl From<Group> for FunnelGroup {
    fn from(group: Group) -> Self {
        match group {
            Group::Rep => FunnelGroup::Rep,
            Group::Region => FunnelGroup::Region,
        }
    }
}

view_query! {
    struct GroupedQuery {
        #[serde(default)]
        group: Group,
        period: Option<String>,
    }
}

view_query! {
    struct TaskCardQuery {
        customer_id: Option<Uuid>,
        department: Option<Department>,
        limit: Option<usize>,
        cursor: Option<String>,
    }
}

view_query! {
    struct LeaderboardQuery {
        region: Option<String>,
        period: Option<String>,
    }
}

/// A period is `YYYY-MM`, or `total` where `total_allowed`.
fn period(raw: Option<String>, total_allowed: bool) -> Result<Option<String>, ApiError> {
    match raw {
        None => Ok(None),
        Some(text) if is_month(&text) || (total_allowed && text == TOTAL) => Ok(Some(text)),
        Some(text) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_period",
            if total_allowed {
                format!("period {text} is neither YYYY-MM nor `total`")
            } else {
                format!("period {text} is not YYYY-MM")
            },
        )),
    }
}

/// `assets` and `funnel`: projector `P`'s rows by group and period
/// (`YYYY-MM` or `total`, checked before any wait).
async fn grouped_rows<P, G, R>(
    View { state, params, .. }: View<GroupedQuery>,
    rows: fn(&mut Reader<'_>, G, Option<&str>) -> Result<R, TableError>,
) -> Result<Response, ApiError>
where
    P: TableProjector,
    G: From<Group> + Send + 'static,
    R: Serialize + Send + 'static,
{
    let period = period(params.period.clone(), true)?;
    let group = G::from(params.group);
    answer::<P, _>(&state, &params.wait(), move |reader| {
        Ok(Ok(rows(reader, group, period.as_deref())?))
    })
    .await
}

async fn assets(view: View<GroupedQuery>) -> Result<Response, ApiError> {
    grouped_rows::<AssetsTables, AssetGroup, _>(view, assets::rows).await
}

async fn funnel(view: View<GroupedQuery>) -> Result<Response, ApiError> {
    grouped_rows::<FunnelTables, FunnelGroup, _>(view, |reader, group, period| {
        funnel::rows(reader, group, period)
    })
    .await
}

async fn receivables(View { state, params, .. }: View) -> Result<Response, ApiError> {
    answer::<ReceivablesTables, _>(&state, &params, |rows| Ok(Ok(receivables::summary(rows)?)))
        .await
}

async fn task_cards(view: View<TaskCardQuery>) -> Result<Response, ApiError> {
    let customer_id = view.params.customer_id.map(CustomerId::from_uuid);
    let department = view.params.department;
    let page = (view.params.limit, view.params.cursor.as_deref());
    answer_scoped_list::<ReceivablesTables, _, u64, _>(
        &view,
        Resource::Contract,
        page,
        move |rows, after, limit| {
            receivables::task_cards_page(rows, customer_id, department, after, limit)
        },
        |card| card.customer_id,
        |card: &salesledger_projections::receivables::TaskCard| card.position,
    )
    .await
}

async fn contract(view: View<WaitQuery, Uuid>) -> Result<Response, ApiError> {
    answer_scoped_by_id::<ReceivablesTables, _>(
        view,
        Resource::Contract,
        |id| Subject::Contract(ContractId::from_uuid(id)),
        "contract",
        |rows, id| receivables::contract(rows, ContractId::from_uuid(id)),
    )
    .await
}

async fn digest(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<(String, String)>, PathRejection>,
    params: Params,
) -> Result<Response, ApiError> {
    let Path((region, date)) = path?;
    let day = NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path_parameter",
            format!("date {date} is not YYYY-MM-DD"),
        )
    })?;
    let wait = query(params)?;
    answer::<DigestTables, _>(&state, &wait, move |rows| {
        Ok(match digest::report(rows, &region, day)? {
            Some(report) => Ok(report),
            None => Err(ApiError::not_found(format!(
                "no activity was ever recorded in region {region} (regions: {})",
                digest::region_names(rows)?.join(", ")
            ))),
        })
    })
    .await
}

async fn leaderboard(
    View { state, params, .. }: View<LeaderboardQuery>,
) -> Result<Response, ApiError> {
    let wait = params.wait();
    let period = period(params.period, false)?;
    let region = params.region;
    answer::<LeaderboardTables, _>(&state, &wait, move |rows| {
        Ok(Ok(leaderboard::boards(
            rows,
            region.as_deref(),
            period.as_deref(),
        )?))
    })
    .await
}
