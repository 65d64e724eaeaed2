//! Every table projector in the table engine over a generated history
//! (the fixture generator through the command pipeline, chain stores
//! included): followed live while the history is written, rebuilt from
//! zero in another directory, and resumed after a restart, each projector's
//! committed tables dump to the same bytes as a pure fold of the whole log
//! into memory (the directory and health folded first for each record, as
//! the runner does).

use std::sync::Arc;
use std::time::Duration;

use salesledger::views::table_runner_builder;
use salesledger_commands::CommandService;
use salesledger_fixtures::stores::{generate_stores, StoreScale};
use salesledger_fixtures::FixtureConfig;
use salesledger_projections::decode_record;
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
    MemoryTables, TableProjector, Tx,
};
use salesledger_replay::readmodel::TableRunner;
use salesledger_store::{RecordedEvent, SledStore, Store};

const CATCH_UP: Duration = Duration::from_secs(300);

fn fixture() -> FixtureConfig {
    let mut config = FixtureConfig::small(11);
    config.days = 90;
    config.stores = StoreScale::small();
    config
}

type Apply = fn(
    &mut Tx<'_>,
    &RecordedEvent,
    &salesledger_domain::Event,
) -> Result<(), salesledger_projections::ProjectionError>;

/// Every projector's name and a pure fold of `records` into memory, dumped
/// in the engine's canonical format (its own tables only). Each projector
/// folds into its own memory map (table names are per projector), after
/// its providers for each record: the directory, then health (the runner's
/// order).
fn references(records: &[RecordedEvent]) -> Vec<(&'static str, String)> {
    fn entry<P: TableProjector>() -> (&'static str, &'static [&'static str], Apply) {
        (P::NAME, P::tables(), P::apply)
    }
    let projectors = [
        entry::<DirectoryTables>(),
        entry::<HealthTables>(),
        entry::<RiskTables>(),
        entry::<ResponsibilityTables>(),
        entry::<FunnelTables>(),
        entry::<ReceivablesTables>(),
        entry::<RetailStoresTables>(),
        entry::<RetailMembersTables>(),
        entry::<AssetsTables>(),
        entry::<DigestTables>(),
        entry::<LeaderboardTables>(),
        entry::<TodosTables>(),
        entry::<SubjectsTables>(),
    ];
    let events: Vec<_> = records
        .iter()
        .map(|record| decode_record(record).expect("decodes"))
        .collect();
    projectors
        .iter()
        .map(|(name, own_tables, apply)| {
            let mut tables = MemoryTables::default();
            for (record, event) in records.iter().zip(&events) {
                let Some(event) = event else { continue };
                if *name != DirectoryTables::NAME {
                    DirectoryTables::apply(&mut Tx::new(&mut tables), record, event)
                        .expect("directory");
                }
                if *name == RiskTables::NAME {
                    HealthTables::apply(&mut Tx::new(&mut tables), record, event).expect("health");
                }
                apply(&mut Tx::new(&mut tables), record, event)
                    .unwrap_or_else(|error| panic!("{name}: {error}"));
            }
            (*name, dump(&tables, own_tables))
        })
        .collect()
}

fn dump(tables: &MemoryTables, names: &[&str]) -> String {
    let mut lines: Vec<(Vec<u8>, String)> = tables
        .rows()
        .filter(|(table, _, _)| names.contains(table))
        .map(|(table, key, value)| {
            (
                [b"r/", table.as_bytes(), b"/", key].concat(),
                format!("{table} {} {}\n", hex::encode(key), hex::encode(value)),
            )
        })
        .collect();
    lines.sort();
    lines.into_iter().map(|(_, line)| line).collect()
}

fn check(runner: &TableRunner, references: &[(&'static str, String)], what: &str) {
    for (name, reference) in references {
        let dump = runner.dump(name).expect("dump");
        assert!(
            dump == *reference,
            "{what}: {name} differs from the pure fold ({} vs {} bytes)",
            dump.len(),
            reference.len()
        );
    }
    for status in runner.status() {
        assert!(status.failed.is_none(), "{what}: {status:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_view_live_rebuilt_and_resumed_equals_a_pure_fold_of_the_log() {
    let directory = tempfile::tempdir().expect("a temp dir");
    let store = SledStore::open(&directory.path().join("log")).expect("the log");
    let shared: Arc<dyn Store> = Arc::new(store);
    let service = CommandService::new(shared.clone());

    let live_dir = directory.path().join("live");
    let live = table_runner_builder(shared.clone(), &live_dir)
        .start()
        .await
        .expect("the live runner starts");
    salesledger_fixtures::generate(&service, &fixture(), &|_| {})
        .await
        .expect("the fixture history");
    generate_stores(&service, &fixture(), &|_| {})
        .await
        .expect("the chain stores' history");
    live.wait_caught_up(CATCH_UP).await.expect("live caught up");

    let mut records = Vec::new();
    loop {
        let page = shared
            .read_all(records.len() as u64, 4096)
            .await
            .expect("read");
        if page.is_empty() {
            break;
        }
        records.extend(page);
    }
    let references = references(&records);
    for (name, reference) in &references {
        assert!(!reference.is_empty(), "{name}: the history exercised it");
    }
    check(&live, &references, "live");
    live.shutdown().await.expect("live stops");

    let rebuilt = table_runner_builder(shared.clone(), &directory.path().join("rebuilt"))
        .start()
        .await
        .expect("the rebuild starts");
    rebuilt.wait_caught_up(CATCH_UP).await.expect("rebuilt");
    check(&rebuilt, &references, "rebuilt from zero");
    rebuilt.shutdown().await.expect("rebuild stops");

    let resumed = table_runner_builder(shared.clone(), &live_dir)
        .start()
        .await
        .expect("the live runner restarts");
    for status in resumed.status() {
        assert_eq!(
            status.started_from,
            records.len() as u64,
            "{} resumes from its checkpoint",
            status.name
        );
    }
    resumed.wait_caught_up(CATCH_UP).await.expect("resumed");
    check(&resumed, &references, "resumed");
    resumed.shutdown().await.expect("resumed stops");
}
