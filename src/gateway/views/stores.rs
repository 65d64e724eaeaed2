//! `/v1/views/stores/...`: chain stores (SPEC C13, issue 7): new-product
//! penetration, the regional store leaderboard, a store's battle map and
//! the high-potential member lists, answered from the `retail_stores` and
//! `retail_members` projectors (definitions in
//! `salesledger_projections::retail`).
//!
//! Query parameters are strict (an unknown one, a malformed date, UUID or
//! number is a `400 invalid_query`); `from` after `to`, or a range over
//! 731 days, is a `400 invalid_date_range`; `days` and `limit` out of
//! range are a `400 invalid_query`; an unknown store, region or
//! promotion (or none launched yet) is a `404 not_found`.

use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::NaiveDate;
use salesledger_domain::value::{PromotionId, StoreCode};
use salesledger_projections::retail::RetailQueryError;
use salesledger_projections::tables::retail::{
    self, RetailMembersTables, RetailReadError, RetailStoresTables,
};
use salesledger_projections::tables::{TableError, TableKey, TableProjector};
use uuid::Uuid;

use super::{
    answer, bounded, paging, read, respond_page, Paging, View, ViewQuery, ViewRoute, WaitQuery,
};
use crate::gateway::problem::ApiError;

use crate::views::whole::{DEFAULT_DAYS, DEFAULT_MEMBERS, DEFAULT_STORES};

/// Bound of `days` (leaderboard; its default is [`DEFAULT_DAYS`]).
const MAX_DAYS: u32 = 366;
/// Bound of `limit` (defaults [`DEFAULT_STORES`], [`DEFAULT_MEMBERS`]).
const MAX_LIMIT: usize = 1_000;

/// This module's view routes (documented in OpenAPI).
pub const VIEW_ROUTES: &[ViewRoute] = &[
    ViewRoute::object(
        "/v1/views/stores/penetration",
        || get(penetration),
        "ViewStorePenetration",
        "New-product penetration (SPEC C13) from the `retail_stores` view: per store and store-local sale day, the tickets, the tickets containing the promotion's SKU (a ticket counts once) and their share in basis points (truncated; `null` on a day without tickets), with each store's and region's total. Default: the latest launched promotion, its target regions, from its start to min(its end, the latest sale day seen). `data`: `{promotion: {promotion_id, sku, name, regions, starts_on, ends_on}, from, to, days: [day], regions: [{region, stores: [{store, name, format, cells: [{day, tickets, with_product, share_bp}] (one per day), total: {tickets, with_product, share_bp}}], total}]}`; regions by name, stores by code.",
    )
    .query(&[
        ("promotion_id", "the promotion (UUID); default the latest launched"),
        ("region", "one region (any region with a store); default the promotion's regions"),
        ("from", "first day, `YYYY-MM-DD`; default the promotion's start"),
        ("to", "last day, `YYYY-MM-DD`; default min(the promotion's end, the latest sale day)"),
        ("limit", "a page of at most this many stores, 1 to 1000 (default 100 when `cursor` is given): `data` is then `{promotion, from, to, days, stores: [{region, store, name, format, cells, total}]}` (no region totals) and the answer carries `next_cursor` (`null` on the last page); without `limit` and `cursor`, the whole grid"),
        ("cursor", "the `next_cursor` of the previous page (opaque)"),
    ]),
    ViewRoute::object(
        "/v1/views/stores/leaderboard",
        || get(leaderboard),
        "ViewStoreLeaderboard",
        "Regional store leaderboard (SPEC C13) from the `retail_stores` view: per region, its stores ranked by sales over the `days` days ending at the region's latest sale day (ties: store code). `penetration_bp` is the region's latest promotion over the same days (within the promotion's dates; `null` without one). `data`: `{days, regions: [{region, from, to, promotion_id, stores: [{rank, store, name, format, sales_cents, tickets, avg_ticket_cents, penetration_bp}]}]}`.",
    )
    .query(&[
        ("region", "one region; default every region"),
        ("days", "1 to 366 (default 30)"),
        ("limit", "stores per region, 1 to 1000 (default 10)"),
    ]),
    ViewRoute::object(
        "/v1/views/stores/high-potential",
        || get(high_potential),
        "ViewHighPotentialMembers",
        "High-potential member lists (SPEC C13) from the `retail_members` view: the stores whose average ticket (truncated) over the retail policy's window (ending at the store's latest sale day) is strictly greater than the policy's threshold, by region then code, each with its members (enrolled there) who bought in the window, ranked by tickets, then spend, then member ref: `tickets_per_month_x10` = tickets x 300 / window days; `preferred_slot` (most tickets ever; ties: earlier slot), `usual_categories` (top 3 by spend ever; ties: name), `script` (the policy's template filled in). `data`: `{threshold_cents, window_days, policy_version, stores: [{store, name, region, from, to, tickets, sales_cents, avg_ticket_cents, members: [{member, display_name, tickets, tickets_per_month_x10, spend_cents, preferred_slot, usual_categories, script}]}]}`.",
    )
    .query(&[
        ("region", "only this region's stores"),
        ("store", "only this store (empty `stores` when it is not high potential)"),
        ("limit", "members per store, 1 to 1000 (default 20)"),
    ]),
    ViewRoute::object(
        "/v1/views/stores/{store}",
        || get(battle_map),
        "ViewStoreBattleMap",
        "One store's battle map (SPEC C13) from the `retail_stores` view (its `members` from `retail_members`): identity, `rank_in_region` of `stores_in_region` (by sales over the 30 days ending at the region's latest sale day), the policy `window` `{from, to, tickets, sales_cents, avg_ticket_cents}` ending at the store's latest sale day, `region_avg_ticket_cents` over the same days, `high_potential` (average strictly above `threshold_cents`), `daily` (the last 30 days, quiet days included: `{day, tickets, sales_cents, avg_ticket_cents}`), `categories` (`{category, sales_cents, share_bp}` over the window, by sales), `slots` (`{slot, tickets, share_bp}` over the window, morning to night), `promotions` of its region, latest first (`{promotion_id, name, sku, starts_on, ends_on, share_bp, region_share_bp}` from the start to min(end, the store's latest sale day)), and `members`: its high-potential list (up to 20) when high potential, else empty.",
    ),
];

view_query! {
    struct PenetrationQuery {
        promotion_id: Option<Uuid>,
        region: Option<String>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        limit: Option<usize>,
        cursor: Option<String>,
    }
}

/// A page of penetration: the header and some store rows, each with its
/// region (no region totals: they need every store).
#[derive(serde::Serialize)]
struct PenetrationPageData {
    #[serde(flatten)]
    header: retail::PenetrationHeader,
    stores: Vec<retail::PenetrationPageRow>,
}

view_query! {
    struct LeaderboardQuery {
        region: Option<String>,
        days: Option<u32>,
        limit: Option<usize>,
    }
}

view_query! {
    struct HighPotentialQuery {
        region: Option<String>,
        store: Option<String>,
        limit: Option<usize>,
    }
}

/// A table read's answer: a refused query is the caller's problem, a
/// storage error the server's.
fn refused<R>(result: Result<R, RetailReadError>) -> Result<Result<R, ApiError>, TableError> {
    match result {
        Ok(answer) => Ok(Ok(answer)),
        Err(RetailReadError::Query(error)) => Ok(Err(retail_error(error))),
        Err(RetailReadError::Table(error)) => Err(error),
        Err(other) => Err(TableError::Storage(other.to_string())),
    }
}

/// A query's answer error as a problem.
fn retail_error(error: RetailQueryError) -> ApiError {
    match error {
        RetailQueryError::InvalidRange { .. } | RetailQueryError::RangeTooLong { .. } => {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_date_range",
                error.to_string(),
            )
        }
        other => ApiError::not_found(other.to_string()),
    }
}

async fn penetration(
    View { state, params, .. }: View<PenetrationQuery>,
) -> Result<Response, ApiError> {
    if let (Some(from), Some(to)) = (params.from, params.to) {
        if from > to {
            return Err(retail_error(RetailQueryError::InvalidRange { from, to }));
        }
    }
    let promotion = params.promotion_id.map(PromotionId::from_uuid);
    let wait = params.wait();
    let paged = paging::<(String, StoreCode)>(params.limit, params.cursor.as_deref())?;
    let PenetrationQuery {
        region, from, to, ..
    } = params;
    if let Some(Paging { after, limit }) = paged {
        let ((data, next), checkpoint) =
            read::<RetailStoresTables, _>(&state, &wait, move |rows| {
                let header = match refused(retail::penetration_header(
                    rows,
                    promotion,
                    region.as_deref(),
                    from,
                    to,
                ))? {
                    Ok(header) => header,
                    Err(problem) => return Ok(Err(problem)),
                };
                let page = refused(retail::penetration_page(
                    rows,
                    promotion,
                    region.as_deref(),
                    from,
                    to,
                    after.as_ref(),
                    limit,
                ))?;
                Ok(page.map(|(stores, next)| (PenetrationPageData { header, stores }, next)))
            })
            .await?;
        return respond_page(
            RetailStoresTables::NAME,
            &data,
            checkpoint,
            next.map(|key| hex::encode(key.to_key_bytes())),
        );
    }
    answer::<RetailStoresTables, _>(&state, &wait, move |rows| {
        refused(retail::penetration(
            rows,
            promotion,
            region.as_deref(),
            from,
            to,
        ))
    })
    .await
}

async fn leaderboard(
    View { state, params, .. }: View<LeaderboardQuery>,
) -> Result<Response, ApiError> {
    let days = bounded("days", params.days, DEFAULT_DAYS, 1, MAX_DAYS)?;
    let limit = bounded("limit", params.limit, DEFAULT_STORES, 1, MAX_LIMIT)?;
    let wait = params.wait();
    let region = params.region;
    answer::<RetailStoresTables, _>(&state, &wait, move |rows| {
        refused(retail::leaderboard(rows, region.as_deref(), days, limit))
    })
    .await
}

async fn high_potential(
    View { state, params, .. }: View<HighPotentialQuery>,
) -> Result<Response, ApiError> {
    let limit = bounded("limit", params.limit, DEFAULT_MEMBERS, 1, MAX_LIMIT)?;
    let wait = params.wait();
    let HighPotentialQuery { region, store, .. } = params;
    answer::<RetailMembersTables, _>(&state, &wait, move |rows| {
        refused(retail::high_potential(
            rows,
            region.as_deref(),
            store.as_deref(),
            limit,
        ))
    })
    .await
}

async fn battle_map(
    View {
        state,
        path: store,
        params: wait,
        ..
    }: View<WaitQuery, String>,
) -> Result<Response, ApiError> {
    // The members come from the other view: wait for it too and read it
    // first (two reads of committed rows, one after the other).
    let members_of = store.clone();
    let (members, _) = read::<RetailMembersTables, _>(&state, &wait, move |rows| {
        Ok(Ok(
            match retail::high_potential(rows, None, Some(&members_of), DEFAULT_MEMBERS) {
                Ok(answer) => answer
                    .stores
                    .into_iter()
                    .next()
                    .map(|listed| listed.members)
                    .unwrap_or_default(),
                Err(RetailReadError::Table(error)) => return Err(error),
                // Not a member store, or none listed: no members.
                Err(_) => Vec::new(),
            },
        ))
    })
    .await?;
    answer::<RetailStoresTables, _>(&state, &wait, move |rows| {
        Ok(refused(retail::battle_map(rows, &store))?.map(|mut map| {
            if map.high_potential {
                map.members = members;
            }
            map
        }))
    })
    .await
}
