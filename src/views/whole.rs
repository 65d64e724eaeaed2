//! Each view's whole answer, read from a [`TableRunner`]'s committed rows
//! with the same read functions and defaults as the view's routes: what
//! offline `rebuild --out DIR` writes to `DIR/<view>.json` and what
//! `replay --view NAME` prints (`src/offline.rs`), so an offline file is
//! what the gateway answers for the same log.
//!
//! The bytes are the gateway's `ViewResponse` (`{view, position, data}`,
//! [`super::answer::envelope`], never paged: no `next_cursor`). `data` is, per view:
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

use std::cell::RefCell;
use std::io::Write;

use salesledger_projections::assets::AssetGroup;
use salesledger_projections::funnel::FunnelGroup;
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
    Reader, Table, TableError, TableKey, TableProjector,
};
use salesledger_replay::readmodel::{ReadModelError, TableRunner};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use super::answer::{envelope, envelope_to, reflected};

/// Defaults of the retail view routes (`gateway/views/stores.rs` uses
/// them), which a whole answer applies as the route does without
/// parameters: `days` of the store leaderboard, its `limit`, and the
/// high-potential members per store.
pub const DEFAULT_DAYS: u32 = 30;
pub const DEFAULT_STORES: usize = 10;
pub const DEFAULT_MEMBERS: usize = 20;

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
    let mut bytes = Vec::new();
    answer_to(runner, view, &mut bytes)?;
    Ok(bytes)
}

/// [`answer`] written to `out`. The responsibility logs (every entry of
/// every customer and lead, the answer that grows most with the log) are
/// read and written a page of subjects at a time, so memory does not grow
/// with them; the other answers are built, then written.
pub fn answer_to(runner: &TableRunner, view: &str, out: &mut dyn Write) -> Result<(), WholeError> {
    if view == ResponsibilityTables::NAME {
        return responsibility_to(runner, out);
    }
    let bytes = match view {
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
        TodosTables::NAME => {
            read::<TodosTables, _>(runner, |rows| todos::list(rows, &todos::Filter::default()))
        }
        other => Err(WholeError::UnknownView {
            view: other.to_owned(),
        }),
    }?;
    out.write_all(&bytes).map_err(serde_json::Error::io)?;
    Ok(())
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

/// Subjects read per page while the responsibility logs are written.
const SUBJECTS_PER_PAGE: usize = 256;

/// The responsibility answer written as it is read: `{view, position,
/// data: {customers: {id: log}, leads: {id: log}}}`, ids in key order, the
/// bytes serialising both maps whole would give.
fn responsibility_to(runner: &TableRunner, out: &mut dyn Write) -> Result<(), WholeError> {
    // Offline the runner has stopped folding: the checkpoint read first is
    // the one the rows read next reflect.
    let ((), checkpoint) = runner.read_with::<ResponsibilityTables, _>(|_| Ok(()))?;
    let mut written = Ok(());
    runner.read_with::<ResponsibilityTables, _>(|rows| {
        let logs = Logs {
            rows: RefCell::new(rows),
            failed: RefCell::new(None),
        };
        written = envelope_to(
            &mut *out,
            ResponsibilityTables::NAME,
            &logs,
            reflected(checkpoint),
        );
        match logs.failed.into_inner() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    })?;
    Ok(written?)
}

/// Every customer's and lead's responsibility log, read as serialised.
struct Logs<'a, 'r> {
    rows: RefCell<&'a mut Reader<'r>>,
    /// A read error met while serialising (serde only carries text).
    failed: RefCell<Option<TableError>>,
}

impl Logs<'_, '_> {
    fn fail<E: serde::ser::Error>(&self, error: TableError) -> E {
        let message = error.to_string();
        *self.failed.borrow_mut() = Some(error);
        E::custom(message)
    }
}

#[derive(Clone, Copy)]
enum Subjects {
    Customers,
    Leads,
}

struct LogsOf<'l, 'a, 'r> {
    logs: &'l Logs<'a, 'r>,
    subjects: Subjects,
}

impl Serialize for Logs<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut data = serializer.serialize_struct("Responsibility", 2)?;
        data.serialize_field(
            "customers",
            &LogsOf {
                logs: self,
                subjects: Subjects::Customers,
            },
        )?;
        data.serialize_field(
            "leads",
            &LogsOf {
                logs: self,
                subjects: Subjects::Leads,
            },
        )?;
        data.end()
    }
}

impl Serialize for LogsOf<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self.subjects {
            Subjects::Customers => {
                self.logs
                    .entries(&mut map, &responsibility::CUSTOMERS, |rows, id| {
                        responsibility::customer(rows, id)
                    })?
            }
            Subjects::Leads => {
                self.logs
                    .entries(&mut map, &responsibility::LEADS, |rows, id| {
                        responsibility::lead(rows, id)
                    })?
            }
        }
        map.end()
    }
}

impl Logs<'_, '_> {
    /// Every subject of `table` (a page of keys at a time) with its log
    /// (`log` of the key) into `map`, keyed by the subject's id.
    fn entries<M, K, V, L>(
        &self,
        map: &mut M,
        table: &Table<K, V>,
        log: impl Fn(&mut Reader<'_>, K) -> Result<Option<L>, TableError>,
    ) -> Result<(), M::Error>
    where
        M: SerializeMap,
        K: TableKey + Clone + Serialize,
        V: serde::de::DeserializeOwned,
        L: Serialize,
    {
        let mut rows = self.rows.borrow_mut();
        let mut after: Option<K> = None;
        loop {
            let (page, next) = responsibility::page_rows(
                &mut **rows,
                table,
                &(),
                after.as_ref(),
                SUBJECTS_PER_PAGE,
            )
            .map_err(|error| self.fail(error))?;
            for (id, _) in page {
                let found = log(&mut rows, id.clone()).map_err(|error| self.fail(error))?;
                if let Some(found) = found {
                    map.serialize_entry(&id, &found)?;
                }
            }
            match next {
                Some(next) => after = Some(next),
                None => return Ok(()),
            }
        }
    }
}
