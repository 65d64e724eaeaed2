//! Tamper evidence and reopening: bytes changed behind the store's back are
//! found by `verify_log`, which names the position; a reopened store
//! continues the same chain.

use std::sync::Arc;

use salesledger_store::conformance::request;
use salesledger_store::sled_store::open_sled;
use salesledger_store::{verify_log, ExpectedVersion, SledStore, Store};
use serde_json::json;

async fn fill(store: &SledStore, n_events: u64) {
    for n in 0..n_events {
        let stream_id = format!("customer-{}", n % 5);
        store
            .append(request(
                &stream_id,
                ExpectedVersion::Any,
                &[json!({"n": n, "note": "visited the plant"})],
            ))
            .await
            .expect("append");
    }
}

#[tokio::test]
async fn reopened_store_continues_the_chain_and_stream_versions() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let head = {
        let store = SledStore::open(data_dir.path()).expect("open");
        fill(&store, 20).await;
        store.close().await;
        store.head()
    };
    let store = SledStore::open(data_dir.path()).expect("reopen");
    assert_eq!(store.head(), head);
    assert_eq!(
        store.stream_version("customer-0").await.expect("version"),
        Some(3)
    );
    let outcome = store
        .append(request(
            "customer-0",
            ExpectedVersion::Exact(3),
            &[json!({"after": "restart"})],
        ))
        .await
        .expect("append after reopen");
    assert_eq!((outcome.first_position, outcome.first_version), (20, 4));
    let report = verify_log(&store, |_, _| {}).await.expect("verify");
    assert_eq!((report.n_verified, report.failure), (21, None));
}

/// Changes one byte of the stored record at `position` directly in sled.
fn flip_byte(data_dir: &std::path::Path, position: u64, byte_idx: usize) {
    let db = open_sled(sled::Config::new().path(data_dir.join("log"))).expect("raw sled");
    let key = SledStore::raw_log_key(position);
    let mut value = db.get(key).expect("get").expect("record present").to_vec();
    let byte_idx = byte_idx % value.len();
    value[byte_idx] ^= 0x01;
    db.insert(key, value).expect("insert");
    db.flush().expect("flush");
}

#[tokio::test]
async fn one_changed_byte_anywhere_in_a_record_is_named_by_verify() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    {
        let store = SledStore::open(data_dir.path()).expect("open");
        fill(&store, 30).await;
        store.close().await;
    }
    let record_len = {
        let db =
            open_sled(sled::Config::new().path(data_dir.path().join("log"))).expect("raw sled");
        db.get(SledStore::raw_log_key(17))
            .expect("get")
            .expect("present")
            .len()
    };
    // Every byte of record 17, one at a time: header, ids, strings, payload,
    // prev hash and the stored hash itself.
    for byte_idx in 0..record_len {
        flip_byte(data_dir.path(), 17, byte_idx);
        let store = Arc::new(SledStore::open(data_dir.path()).expect("open"));
        let report = verify_log(&*store, |_, _| {}).await.expect("verify runs");
        let failure = report
            .failure
            .unwrap_or_else(|| panic!("byte {byte_idx} changed but verify passed"));
        assert_eq!(failure.position, 17, "byte {byte_idx}: {failure:?}");
        assert_eq!(report.n_verified, 17);
        store.close().await;
        drop(store);
        flip_byte(data_dir.path(), 17, byte_idx); // restore
    }
    let store = SledStore::open(data_dir.path()).expect("open");
    assert_eq!(
        verify_log(&store, |_, _| {}).await.expect("verify").failure,
        None
    );
}

#[tokio::test]
async fn a_deleted_record_is_a_gap_named_by_verify() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    {
        let store = SledStore::open(data_dir.path()).expect("open");
        fill(&store, 10).await;
        store.close().await;
    }
    {
        let db =
            open_sled(sled::Config::new().path(data_dir.path().join("log"))).expect("raw sled");
        db.remove(SledStore::raw_log_key(4)).expect("remove");
        db.flush().expect("flush");
    }
    let store = SledStore::open(data_dir.path()).expect("open");
    let report = verify_log(&store, |_, _| {}).await.expect("verify");
    assert_eq!(report.failure.map(|failure| failure.position), Some(4));
}

/// A record copied under a stray key at the very end of the key range
/// (corruption, or a hand edit): opening refuses it as corrupt instead of
/// taking the tip from the key, which would wrap the next position to 0
/// and overwrite the first record.
#[tokio::test]
async fn a_record_under_a_stray_key_is_refused_at_open_never_appended_over() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    {
        let store = SledStore::open(data_dir.path()).expect("open");
        fill(&store, 3).await;
        store.close().await;
    }
    {
        let db =
            open_sled(sled::Config::new().path(data_dir.path().join("log"))).expect("raw sled");
        let record = db
            .get(SledStore::raw_log_key(2))
            .expect("get")
            .expect("record present");
        db.insert(SledStore::raw_log_key(u64::MAX), record)
            .expect("insert");
        db.flush().expect("flush");
    }
    match SledStore::open(data_dir.path()) {
        Err(salesledger_store::StoreError::CorruptRecord { position, reason }) => {
            assert_eq!(position, u64::MAX);
            assert!(reason.contains("says it is at 2"), "{reason}");
        }
        Err(other) => panic!("expected a corrupt record, got {other}"),
        Ok(_) => panic!("a stray key must not open"),
    }
}
