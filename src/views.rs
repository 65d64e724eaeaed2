//! The set of read models the product serves: one place that lists every
//! table projector, used by `serve`, by offline rebuilds and replays, and
//! by benchmarks, so they can never disagree on what "all projections"
//! means.

pub mod answer;
pub mod as_of;
pub mod live;
pub mod whole;

use std::path::Path;
use std::sync::Arc;

use salesledger_projections::tables::{
    assets::AssetsTables,
    digest::DigestTables,
    directory::DirectoryTables,
    funnel::FunnelTables,
    health::HealthTables,
    leaderboard::LeaderboardTables,
    receivables::ReceivablesTables,
    responsibility::ResponsibilityTables,
    retail::{RetailMembersTables, RetailStoresTables},
    risk::RiskTables,
    subjects::SubjectsTables,
    todos::TodosTables,
    TableProjector,
};
use salesledger_replay::readmodel::{TableRunner, TableRunnerBuilder};
use salesledger_store::Store;

/// The directory of the whole-model read models `serve` answered from
/// before issue 14; `serve` removes an old one at start (the views are in
/// [`TABLES_DIR`]).
pub const VIEWS_DIR: &str = "views";

/// The directory, inside a data directory, that holds the read models as
/// keyed tables: what `serve` answers every view from (issue 14), and what
/// `rebuild --out DIR` folds into `DIR/tables`.
pub const TABLES_DIR: &str = "tables";

/// One table projector as the runner registers it, with what it writes
/// and reads (to register only what a view needs).
#[derive(Clone, Copy)]
pub struct Registered {
    pub name: &'static str,
    tables: fn() -> &'static [&'static str],
    reads: fn() -> &'static [&'static str],
    add: fn(TableRunnerBuilder) -> TableRunnerBuilder,
}

impl Registered {
    /// The tables the projector writes.
    pub fn tables(&self) -> &'static [&'static str] {
        (self.tables)()
    }
}

fn registered<P: TableProjector>() -> Registered {
    Registered {
        name: P::NAME,
        tables: P::tables,
        reads: P::reads,
        add: |builder| builder.with::<P>(),
    }
}

/// Every table projector: the shared directory, then each view (the
/// runner orders them by what they read: directory, health, then the
/// others).
pub fn table_projectors() -> Vec<Registered> {
    vec![
        registered::<DirectoryTables>(),
        registered::<ResponsibilityTables>(),
        registered::<HealthTables>(),
        registered::<RiskTables>(),
        registered::<AssetsTables>(),
        registered::<FunnelTables>(),
        registered::<ReceivablesTables>(),
        registered::<DigestTables>(),
        registered::<LeaderboardTables>(),
        registered::<RetailStoresTables>(),
        registered::<RetailMembersTables>(),
        registered::<TodosTables>(),
        registered::<SubjectsTables>(),
    ]
}

/// The views the gateway answers (the `view` of its answers under
/// `/v1/views/...`), in a fixed order: the projectors of
/// [`table_projectors`] but the shared tables (`directory`, `subjects`),
/// which no route answers as a view.
pub fn view_names() -> Vec<&'static str> {
    table_projectors()
        .into_iter()
        .map(|projector| projector.name)
        .filter(|name| *name != DirectoryTables::NAME && *name != SubjectsTables::NAME)
        .collect()
}

/// A table runner builder with every table projector registered.
pub fn table_runner_builder(store: Arc<dyn Store>, directory: &Path) -> TableRunnerBuilder {
    table_projectors().into_iter().fold(
        TableRunner::builder(store, directory),
        |builder, projector| (projector.add)(builder),
    )
}

/// A table runner builder with the projectors `names` and every projector
/// whose tables they read (transitively), in [`table_projectors`] order:
/// what a replay of one view folds.
pub fn table_runner_builder_for(
    store: Arc<dyn Store>,
    directory: &Path,
    names: &[&str],
) -> TableRunnerBuilder {
    let all = table_projectors();
    let mut needed: Vec<&'static str> = all
        .iter()
        .filter(|projector| names.contains(&projector.name))
        .map(|projector| projector.name)
        .collect();
    loop {
        let reads: Vec<&'static str> = all
            .iter()
            .filter(|projector| needed.contains(&projector.name))
            .flat_map(|projector| (projector.reads)().iter().copied())
            .collect();
        let providers: Vec<&'static str> = all
            .iter()
            .filter(|projector| !needed.contains(&projector.name))
            .filter(|projector| {
                (projector.tables)()
                    .iter()
                    .any(|table| reads.contains(table))
            })
            .map(|projector| projector.name)
            .collect();
        if providers.is_empty() {
            break;
        }
        needed.extend(providers);
    }
    all.into_iter()
        .filter(|projector| needed.contains(&projector.name))
        .fold(
            TableRunner::builder(store, directory),
            |builder, projector| (projector.add)(builder),
        )
}
