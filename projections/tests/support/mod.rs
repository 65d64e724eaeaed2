//! Test support shared by the table-projector comparison tests: a generated
//! history (the fixture generator writing through the command pipeline into
//! a sled log in a temporary directory), read back as records.
#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use salesledger_commands::CommandService;
use salesledger_fixtures::stores::{generate_stores, StoreScale};
use salesledger_fixtures::FixtureConfig;
use salesledger_store::{RecordedEvent, SledStore, Store};

/// Generates `config`'s history (and its chain stores) and returns every
/// record in position order.
pub fn generated(config: &FixtureConfig) -> Vec<RecordedEvent> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let directory = tempfile::tempdir().expect("a temp dir");
        let store = SledStore::open(&directory.path().join("log")).expect("the log");
        let shared: Arc<dyn Store> = Arc::new(store);
        let service = CommandService::new(shared.clone());
        salesledger_fixtures::generate(&service, config, &|_| {})
            .await
            .expect("the fixture history");
        if config.stores.stores > 0 {
            generate_stores(&service, config, &|_| {})
                .await
                .expect("the chain stores' history");
        }
        let mut records = Vec::new();
        loop {
            let page = shared
                .read_all(records.len() as u64, 4096)
                .await
                .expect("read the log");
            if page.is_empty() {
                break;
            }
            records.extend(page);
        }
        records
    })
}

/// The small organisation (2 regions, 5 reps, 30 customers) over 120
/// days with a few chain stores, generated once per test binary.
pub fn small_history() -> &'static [RecordedEvent] {
    static RECORDS: OnceLock<Vec<RecordedEvent>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let mut config = FixtureConfig::small(7);
        config.days = 120;
        config.stores = StoreScale::small();
        generated(&config)
    })
}

/// A larger history: the SPEC's organisation over 150 days with 20
/// stores over its last 60 days.
pub fn spec_history() -> &'static [RecordedEvent] {
    static RECORDS: OnceLock<Vec<RecordedEvent>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let mut config = FixtureConfig::year(42);
        config.days = 150;
        config.stores = StoreScale {
            stores: 20,
            days: 60,
            ..StoreScale::year()
        };
        generated(&config)
    })
}
