//! `/v1/views/todos`: a rep's work list (issue 16), from the `todos` table
//! projector ([`salesledger_projections::tables::todos`]).
//!
//! A rep sees their own list (a `rep` naming anyone else is `403
//! not_own_rep`; a rep token without a rep id is `403
//! rep_identity_unknown`), and only items of customers they may read; a
//! regional supervisor whose token names a region sees that region's
//! customers; every other role sees every list and filters by `rep` and
//! `region`. A malformed `rep` is `400 invalid_query`, a malformed
//! `region` `400 invalid_region`.

use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use salesledger_domain::access::Resource;
use salesledger_domain::role::Role;
use salesledger_domain::value::{Region, RepId};
use salesledger_projections::tables::todos::{self, Filter, ItemKind, SortKey, TodosTables};
use uuid::Uuid;

use super::{answer_scoped_list, View, ViewRoute};
use crate::gateway::auth::Caller;
use crate::gateway::commands::{ensure_self, rep_identity_unknown};
use crate::gateway::problem::ApiError;

/// This module's view routes (documented in OpenAPI).
pub const VIEW_ROUTES: &[ViewRoute] = &[
    ViewRoute::list(
        "/v1/views/todos",
        || get(work_list),
        "ViewWorkList",
        "A rep's work list (issue 16): every open item of work with a due date, in due-day order, then the log order of the event it arose from, then item id. Kinds: `visit_todo` (a visit's next action, SPEC C4; the visiting rep's; leaves on `TodoCompleted`), `callback` (a CSM call-back task, C7; on the customer's owner's list so the rep knows of it, but `for_role` `csm`: only a CSM completes it; a CSM lists them with `?kind=callback`; leaves on `CallbackTaskCompleted`), `task_card` (the sales task card of an overdue instalment, C10; the owner's; leaves when a payment pays the instalment off; finance and legal cards are at `/v1/views/receivables/task-cards`), `nurture_step` (a scheduled nurture step, C5; the owner's; leaves on `NurtureStepSent`, or when the pack closes). Items of a customer follow its owner through claims, transfers and the pool (a pool customer's have `rep_id` `null`); `region` is the customer's (its `region` attribute, else its owner's). `status`, as of the last closed day (the log's business time, never the clock): `missed` (a call-back a day close found open past its due time), `overdue` (its due day has closed), `due` (due the day after the last closed day), `upcoming` (later, or before the first close). A rep sees only their own items (`rep` naming another rep: `403 not_own_rep`; a rep token without a rep id: `403 rep_identity_unknown`) of customers they own; a regional supervisor with a region on the token, that region's customers; other roles every item. `data`: `[{item_id, kind, status, customer_id, rep_id, for_role, region, title, due_on, due_at, missed_on, source: {event_type, event_id, position, recorded_at}, visit_id?, todo_id?, task_id?, card_id?, contract_id?, instalment_index?, pack_id?, step_index?}]`.",
    )
    .query(&[
        ("rep", "only this rep's items (a rep id); a rep may name only themselves; malformed: `400 invalid_query`"),
        ("region", "only items of customers in this region (the item's `region`: the customer's `region` attribute, else its owner's); 1 to 64 printable characters, else `400 invalid_region`. A regional supervisor's scope is another thing: the customers of their region's reps (docs/SECURITY.md); an item must pass both"),
        ("kind", "only items of this kind: `visit_todo`, `callback`, `task_card` or `nurture_step`; else `400 invalid_query`"),
        ("limit", "a page of at most this many items, 1 to 1000 (default 100 when `cursor` is given); without `limit` and `cursor`, the whole list"),
        ("cursor", "the `next_cursor` of the previous page (opaque)"),
    ])
];

view_query! {
    /// `?rep=&region=&kind=&limit=&cursor=` plus the read-your-writes parameters.
    pub struct TodoQuery {
        pub rep: Option<Uuid>,
        pub region: Option<String>,
        pub kind: Option<ItemKind>,
        pub limit: Option<usize>,
        pub cursor: Option<String>,
    }
}

/// The caller's filter: a rep's own list, anyone else's as asked.
fn filter(
    caller: &Caller,
    rep: Option<Uuid>,
    region: Option<String>,
    kind: Option<ItemKind>,
) -> Result<Filter, ApiError> {
    let region = match region {
        None => None,
        Some(raw) => Some(
            Region::parse(&raw)
                .map_err(|error| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_region",
                        format!("region {raw:?}: {error}"),
                    )
                })?
                .as_str()
                .to_owned(),
        ),
    };
    let rep_id = rep.map(RepId::from_uuid);
    if caller.principal.role != Role::Rep {
        return Ok(Filter {
            rep_id,
            region,
            kind,
        });
    }
    let own = caller.rep_id.ok_or_else(rep_identity_unknown)?;
    if let Some(asked) = rep_id {
        ensure_self(caller, asked)?;
    }
    Ok(Filter {
        rep_id: Some(own),
        region,
        kind,
    })
}

async fn work_list(view: View<TodoQuery>) -> Result<Response, ApiError> {
    let params = &view.params;
    let filter = filter(&view.caller, params.rep, params.region.clone(), params.kind)?;
    answer_scoped_list::<TodosTables, _, SortKey, _>(
        &view,
        Resource::Visit,
        (params.limit, params.cursor.as_deref()),
        move |rows, after, limit| todos::page(rows, &filter, after, limit),
        |item| item.customer_id,
        |item: &todos::WorkItem| item.sort_key.clone(),
    )
    .await
}
