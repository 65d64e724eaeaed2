//! The morning dashboard (issue 7; docs/design/chain-stores.md,
//! "Dashboard"): one page served at `/` with its script, style sheet and
//! message catalogues (`i18n/<lang>.json`, zh-CN and English, issue 20)
//! embedded in the binary (`include_str!`, no external network, no build
//! step), plus the two small reads it needs besides the views:
//!
//! - `GET /v1/me`: who the bearer token is (actor, role, rep id),
//!   whether it may download evidence bundles, so the page hides what the
//!   role may not use, and the organisation's UTC offset (the pool
//!   policy's day close), in which the page shows times;
//! - `GET /v1/dashboard/health-trend?days=N`: how many customers were
//!   green, yellow and red at the close of each of the last N closed days,
//!   folded from the health view's per-day history.
//!
//! The static files need no token (they hold no data; every figure comes
//! from the authenticated `/v1/` API) and carry a strict
//! Content-Security-Policy: same origin only, no inline script or style.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use salesledger_domain::calendar::days_before;
use salesledger_projections::tables::health::{self, HealthTables};
use salesledger_projections::tables::{TableError, TableRead};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Caller;
use super::problem::ApiError;
use super::route::DocRoute;
use super::views::{answer, WaitQuery};
use super::AppState;

const INDEX_HTML: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const APP_CSS: &str = include_str!("app.css");
/// The page's message catalogues (issue 20): every text the page shows,
/// one flat JSON object per language with the same keys (tests/i18n.rs).
const MESSAGES_EN: &str = include_str!("i18n/en.json");
const MESSAGES_ZH_CN: &str = include_str!("i18n/zh-CN.json");

/// Same origin only; no inline script, no inline style, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// Longest trend served.
pub const MAX_TREND_DAYS: u32 = 366;
const DEFAULT_TREND_DAYS: u32 = 30;

/// The caller as the token says.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    /// The token's actor name, e.g. `li.wei`.
    pub actor: String,
    /// e.g. `supervisor`, `rep`.
    pub role: String,
    /// For rep tokens: the rep the caller is.
    pub rep_id: Option<Uuid>,
    /// Whether `GET /v1/audit/evidence/customers/{id}` is open to the role.
    pub may_download_evidence: bool,
    /// The organisation's time zone as an offset from UTC in minutes: the
    /// published pool policy's day-close offset (480, China Standard Time,
    /// before one is published). The dashboard shows times in it.
    #[schema(example = 480)]
    pub utc_offset_minutes: i32,
}

/// Level counts at one day's close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TrendDay {
    pub day: NaiveDate,
    pub green: u32,
    pub yellow: u32,
    pub red: u32,
}

/// The health distribution over the last closed days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HealthTrend {
    /// The last closed day (`null` before the first close: no days).
    pub last_closed: Option<NaiveDate>,
    /// Oldest first; customers without a score on a day are not counted.
    pub days: Vec<TrendDay>,
}

/// The dashboard's reads, documented like the integration routes.
pub const DASHBOARD_ROUTES: &[DocRoute] = &[
    DocRoute::new(
        "get",
        "/v1/me",
        || get(me),
        "WhoAmI",
        "The caller as its bearer token says: actor, role, rep id (rep tokens) \
         and whether the role may download evidence bundles. Any authenticated \
         role.",
    )
    .answers("MeView")
    .problems(&[("401", "No or unknown bearer token")])
    .tag("dashboard"),
    DocRoute::new(
        "get",
        "/v1/dashboard/health-trend",
        || get(health_trend),
        "ViewHealthTrend",
        "The health distribution (SPEC C7) at the close of each of the last \
         `days` closed days, from the health view's per-day history (a \
         customer's level on a day is the one of its latest evaluation on or \
         before it). Answered as a view (`{view: \"health\", position, data: \
         {last_closed, days: [{day, green, yellow, red}]}}`), with the same \
         read-your-writes parameters. Any authenticated role.",
    )
    .answers("ViewResponse")
    .query(&[
        ("days", "How many closed days, 1..=366 (default 30)"),
        (
            "wait_for_position",
            "Read-your-writes: wait until the health view has applied this position",
        ),
        (
            "timeout_ms",
            "How long to wait for `wait_for_position` (default 5000, at most 30000)",
        ),
    ])
    .problems(&[
        (
            "400",
            "invalid_query: unknown parameter or `days` out of range",
        ),
        ("401", "No or unknown bearer token"),
        (
            "503",
            "view_not_caught_up, view_failed or view_unavailable (as for every view)",
        ),
    ])
    .tag("dashboard"),
];

/// The page and its assets: public (they hold no data).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/dashboard/app.js", get(app_js))
        .route("/dashboard/app.css", get(app_css))
        .route("/dashboard/i18n/en.json", get(messages_en))
        .route("/dashboard/i18n/zh-CN.json", get(messages_zh_cn))
}

/// The dashboard's reads under `/v1/` (behind the token middleware).
pub fn api_routes() -> Router<AppState> {
    super::route::router(DASHBOARD_ROUTES)
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn index() -> Response {
    asset(INDEX_HTML, "text/html; charset=utf-8")
}

async fn app_js() -> Response {
    asset(APP_JS, "text/javascript; charset=utf-8")
}

async fn app_css() -> Response {
    asset(APP_CSS, "text/css; charset=utf-8")
}

async fn messages_en() -> Response {
    asset(MESSAGES_EN, "application/json; charset=utf-8")
}

async fn messages_zh_cn() -> Response {
    asset(MESSAGES_ZH_CN, "application/json; charset=utf-8")
}

async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<MeView>, ApiError> {
    let role = caller.principal.role;
    let utc_offset_minutes = state
        .service
        .pool_policy()
        .await?
        .day_close_utc_offset_minutes;
    Ok(Json(MeView {
        actor: caller.principal.actor.as_str().to_owned(),
        role: role.as_str().to_owned(),
        rep_id: caller.rep_id.map(|rep_id| rep_id.as_uuid()),
        may_download_evidence: super::audit::may_read_evidence(role),
        utc_offset_minutes,
    }))
}

/// `?days=` plus the read-your-writes pair (strict).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrendQuery {
    days: Option<u32>,
    wait_for_position: Option<u64>,
    timeout_ms: Option<u64>,
}

async fn health_trend(
    State(state): State<AppState>,
    _caller: Caller,
    params: Result<Query<TrendQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = params?.0;
    let days = params.days.unwrap_or(DEFAULT_TREND_DAYS);
    if !(1..=MAX_TREND_DAYS).contains(&days) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("days must be 1..={MAX_TREND_DAYS}, got {days}"),
        ));
    }
    let wait = WaitQuery {
        wait_for_position: params.wait_for_position,
        timeout_ms: params.timeout_ms,
    };
    answer::<HealthTables, _>(&state, &wait, move |rows| Ok(Ok(trend(rows, days)?))).await
}

/// Level counts at each of the `days` closed days ending at the last one,
/// from the health tables' score history (changes only: a customer's
/// level on a day is the one of its latest change on or before it;
/// `level_counts` is compared with the v1 per-day history in
/// projections/tests/tables_health.rs).
pub fn trend(rows: &mut impl TableRead, days: u32) -> Result<HealthTrend, TableError> {
    let Some(last) = health::last_closed(rows)?.map(|closed| closed.day) else {
        return Ok(HealthTrend {
            last_closed: None,
            days: Vec::new(),
        });
    };
    let first = days_before(last, i64::from(days) - 1);
    let days = health::level_counts(rows, first, last)?
        .into_iter()
        .map(|counts| TrendDay {
            day: counts.day,
            green: counts.green,
            yellow: counts.yellow,
            red: counts.red,
        })
        .collect();
    Ok(HealthTrend {
        last_closed: Some(last),
        days,
    })
}
