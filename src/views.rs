//! The set of read models the product serves: one place that lists every
//! projector, used by `serve`, by offline rebuilds and replays, and by
//! benchmarks, so they can never disagree on what "all projections" means.

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
};
use salesledger_projections::{
    Assets, Digest, Funnel, HealthScores, Leaderboard, Receivables, ResponsibilityLog,
    RetailMembers, RetailStores, RiskList,
};
use salesledger_replay::readmodel::model_runner::{
    DynProjector, Folding, ProjectionRunner, RunnerBuilder,
};
use salesledger_replay::readmodel::{TableRunner, TableRunnerBuilder};
use salesledger_store::Store;

/// The directory of the whole-model read models: offline `rebuild --out`
/// builds them there (a sled database of its own, never the log's). In a
/// data directory it is what `serve` answered from before issue 14; `serve`
/// removes it at start (the views are in [`TABLES_DIR`]).
pub const VIEWS_DIR: &str = "views";

/// Every projector, each with an empty model, in a fixed order.
pub fn projectors() -> Vec<Box<dyn DynProjector>> {
    vec![
        Box::new(Folding::<ResponsibilityLog>::default()),
        Box::new(Folding::<HealthScores>::default()),
        Box::new(Folding::<RiskList>::default()),
        Box::new(Folding::<Assets>::default()),
        Box::new(Folding::<Funnel>::default()),
        Box::new(Folding::<Receivables>::default()),
        Box::new(Folding::<Digest>::default()),
        Box::new(Folding::<Leaderboard>::default()),
        Box::new(Folding::<RetailStores>::default()),
        Box::new(Folding::<RetailMembers>::default()),
    ]
}

/// The names of every view, in [`projectors`] order.
pub fn view_names() -> Vec<&'static str> {
    projectors()
        .iter()
        .map(|projector| projector.name())
        .collect()
}

/// A runner builder with every projector registered.
pub fn runner_builder(store: Arc<dyn Store>, directory: &Path) -> RunnerBuilder {
    projectors().into_iter().fold(
        ProjectionRunner::builder(store, directory),
        |builder, projector| builder.with_dyn(projector),
    )
}

/// The directory, inside a data directory, that holds the read models as
/// keyed tables: what `serve` answers every view from (issue 14).
pub const TABLES_DIR: &str = "tables";

/// A table runner builder with every table projector registered: the
/// shared directory, then each view (the runner orders them by what they
/// read: directory, health, then the others).
pub fn table_runner_builder(store: Arc<dyn Store>, directory: &Path) -> TableRunnerBuilder {
    TableRunner::builder(store, directory)
        .with::<DirectoryTables>()
        .with::<ResponsibilityTables>()
        .with::<HealthTables>()
        .with::<RiskTables>()
        .with::<AssetsTables>()
        .with::<FunnelTables>()
        .with::<ReceivablesTables>()
        .with::<DigestTables>()
        .with::<LeaderboardTables>()
        .with::<RetailStoresTables>()
        .with::<RetailMembersTables>()
        .with::<TodosTables>()
        .with::<SubjectsTables>()
}
