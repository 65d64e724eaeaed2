//! The backend-independent conformance suite, run on the sled backend.

use std::sync::Arc;

use salesledger_store::{SledStore, Store};

async fn fresh_sled_store() -> (Arc<dyn Store>, tempfile::TempDir) {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let store = SledStore::open(data_dir.path()).expect("open sled store");
    (Arc::new(store), data_dir)
}

salesledger_store::store_conformance_tests!(fresh_sled_store());
