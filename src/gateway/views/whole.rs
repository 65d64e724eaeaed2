//! Each view's whole answer, read from a [`TableRunner`]'s committed rows
//! with the same read functions and defaults as the view's routes: what
//! offline `rebuild --out DIR` writes to `DIR/<view>.json` and what
//! `replay --view NAME` prints (`src/offline.rs`), so an offline file is
//! what the gateway answers for the same log.
//!
//! The bytes are a [`super::ViewResponse`] (`{view, position, data}`,
//! [`super::envelope`], never paged: no `next_cursor`). `data` is, per view:
//!
//! | view | `data` |
//! |---|---|
//! | `health` | `GET /v1/views/health` (the whole list, not paged) |
//! | `risk` | `GET /v1/views/risk` (the last closed day's list); `null` where the route answers 404 (no day closed) |
//! | `assets`, `funnel` | `GET /v1/views/assets`, `GET /v1/views/funnel` (per rep, every month and the total) |
//! | `receivables` | `{summary, task_cards}`: `GET /v1/views/receivables` and `GET /v1/views/receivables/task-cards` (every card, not paged) |
//! | `digest` | `[GET /v1/views/digest/{region}/{day}]` for every region and business day with activity, by region then day |
//! | `leaderboard` | `GET /v1/views/leaderboard` (every region and month) |
//! | `retail_stores` | `{penetration, leaderboard}`: `GET /v1/views/stores/penetration` (the whole grid; `null` where it answers 404: no promotion) and `GET /v1/views/stores/leaderboard` |
//! | `retail_members` | `GET /v1/views/stores/high-potential` (20 members per store, the route's default) |
//! | `responsibility` | `{customers: {id: GET .../responsibility/customers/{id}}, leads: {id: GET .../responsibility/leads/{id}}}` |
//! | `todos` | `GET /v1/views/todos` as a caller who reads every item (the whole list, not paged) |
//!
//! Per-item routes whose answers are parts of these (a customer's health
//! detail, a contract, a store's battle map) are not written: `serve
//! --data DIR` answers them from the rebuilt tables.

use std::collections::BTreeMap;

use salesledger_domain::value::{CustomerId, LeadId};
use salesledger_projections::assets::AssetGroup;
use salesledger_projections::funnel::FunnelGroup;
use salesledger_projections::responsibility::{CustomerLog, LeadLog};
use salesledger_projections::tables::{
    assets::{self, AssetsTables},
    digest::{self, DigestTables},
    funnel::{self, FunnelTables},
    health::{self, HealthTables},
    leaderboard::{self, LeaderboardTables},
    receivables::{self, ReceivablesTables},
    responsibility::{self, ResponsibilityTables},
    retail::{self, RetailMembersTables, RetailReadError, RetailStoresTables},
    risk::{self, RiskTables},
    todos::{self, TodosTables},
    Reader, TableError, TableProjector,
};
use salesledger_replay::readmodel::{ReadModelError, TableRunner};
use serde::Serialize;

use super::stores::{DEFAULT_DAYS, DEFAULT_MEMBERS, DEFAULT_STORES};
use super::{envelope, reflected};

/// Why a whole answer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WholeError {
    #[error("no view named {view:?}; views: {}", crate::views::view_names().join(", "))]
    UnknownView { view: String },
    #[error(transparent)]
    Read(#[from] ReadModelError),
    #[error("encoding the answer: {0}")]
    Json(#[from] serde_json::Error),
}

/// The whole answer of `view` (a name of [`crate::views::view_names`]) as
/// JSON bytes: see the module documentation for what `data` holds.
pub fn answer(runner: &TableRunner, view: &str) -> Result<Vec<u8>, WholeError> {
    match view {
        HealthTables::NAME => read::<HealthTables, _>(runner, |rows| health::summaries(rows)),
        RiskTables::NAME => read::<RiskTables, _>(runner, |rows| risk::latest(rows)),
        AssetsTables::NAME => {
            read::<AssetsTables, _>(runner, |rows| assets::rows(rows, AssetGroup::Rep, None))
        }
        FunnelTables::NAME => {
            read::<FunnelTables, _>(runner, |rows| funnel::rows(rows, FunnelGroup::Rep, None))
        }
        ReceivablesTables::NAME => read::<ReceivablesTables, _>(runner, |rows| {
            Ok(Receivables {
                summary: receivables::summary(rows)?,
                task_cards: receivables::task_cards(rows, None, None)?,
            })
        }),
        DigestTables::NAME => read::<DigestTables, _>(runner, |rows| {
            let keys: Vec<(String, chrono::NaiveDate)> = rows
                .range(&digest::DAYS, None, None)?
                .into_iter()
                .map(|(key, _)| key)
                .collect();
            let mut reports = Vec::with_capacity(keys.len());
            for (region, day) in keys {
                reports.extend(digest::report(rows, &region, day)?);
            }
            Ok(reports)
        }),
        LeaderboardTables::NAME => {
            read::<LeaderboardTables, _>(runner, |rows| leaderboard::boards(rows, None, None))
        }
        RetailStoresTables::NAME => read::<RetailStoresTables, _>(runner, |rows| {
            Ok(RetailStores {
                penetration: found(retail::penetration(rows, None, None, None, None))?,
                leaderboard: found(retail::leaderboard(
                    rows,
                    None,
                    DEFAULT_DAYS,
                    DEFAULT_STORES,
                ))?,
            })
        }),
        RetailMembersTables::NAME => read::<RetailMembersTables, _>(runner, |rows| {
            found(retail::high_potential(rows, None, None, DEFAULT_MEMBERS))
        }),
        ResponsibilityTables::NAME => read::<ResponsibilityTables, _>(runner, |rows| {
            let customer_ids: Vec<CustomerId> = rows
                .range(&responsibility::CUSTOMERS, None, None)?
                .into_iter()
                .map(|(customer_id, _)| customer_id)
                .collect();
            let mut customers = BTreeMap::new();
            for customer_id in customer_ids {
                if let Some(log) = responsibility::customer(rows, customer_id)? {
                    customers.insert(customer_id, log);
                }
            }
            let lead_ids: Vec<LeadId> = rows
                .range(&responsibility::LEADS, None, None)?
                .into_iter()
                .map(|(lead_id, _)| lead_id)
                .collect();
            let mut leads = BTreeMap::new();
            for lead_id in lead_ids {
                if let Some(log) = responsibility::lead(rows, lead_id)? {
                    leads.insert(lead_id, log);
                }
            }
            Ok(Responsibility { customers, leads })
        }),
        TodosTables::NAME => {
            read::<TodosTables, _>(runner, |rows| todos::list(rows, &todos::Filter::default()))
        }
        other => Err(WholeError::UnknownView {
            view: other.to_owned(),
        }),
    }
}

/// `query` over projector `P`'s committed rows, answered as the gateway
/// answers it (the position the rows reflect).
fn read<P: TableProjector, R: Serialize>(
    runner: &TableRunner,
    query: impl FnOnce(&mut Reader<'_>) -> Result<R, TableError>,
) -> Result<Vec<u8>, WholeError> {
    let (data, checkpoint) = runner.read_with::<P, _>(query)?;
    Ok(envelope(P::NAME, &data, reflected(checkpoint), None)?)
}

/// A retail answer, `None` where its route answers a 4xx (nothing to show
/// yet, as `stores::refused` maps it), the storage's error otherwise.
fn found<R>(result: Result<R, RetailReadError>) -> Result<Option<R>, TableError> {
    match result {
        Ok(answer) => Ok(Some(answer)),
        Err(RetailReadError::Query(_)) => Ok(None),
        Err(RetailReadError::Table(error)) => Err(error),
        Err(other) => Err(TableError::Storage(other.to_string())),
    }
}

#[derive(Serialize)]
struct Receivables {
    summary: salesledger_projections::receivables::ReceivablesSummary,
    task_cards: Vec<salesledger_projections::receivables::TaskCard>,
}

#[derive(Serialize)]
struct RetailStores {
    penetration: Option<salesledger_projections::retail::Penetration>,
    leaderboard: Option<salesledger_projections::retail::StoreLeaderboard>,
}

#[derive(Serialize)]
struct Responsibility {
    customers: BTreeMap<CustomerId, CustomerLog>,
    leads: BTreeMap<LeadId, LeadLog>,
}
