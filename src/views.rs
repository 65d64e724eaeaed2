//! The set of read models the product serves: one place that lists every
//! projector, used by `serve`, by offline rebuilds and by benchmarks, so
//! they can never disagree on what "all projections" means.

use std::path::Path;
use std::sync::Arc;

use salesledger_projections::{HealthScores, ResponsibilityLog, RiskList};
use salesledger_replay::runner::{ProjectionRunner, RunnerBuilder};
use salesledger_store::Store;

/// The directory, inside a data directory, that holds the read models
/// (a sled database of its own, never the log's).
pub const VIEWS_DIR: &str = "views";

/// A runner builder with every projector registered.
pub fn runner_builder(store: Arc<dyn Store>, directory: &Path) -> RunnerBuilder {
    ProjectionRunner::builder(store, directory)
        .with::<ResponsibilityLog>()
        .with::<HealthScores>()
        .with::<RiskList>()
}
