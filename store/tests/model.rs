//! Model-based property test: random sequences of appends, reads and
//! restarts against the sled store and against a tiny in-memory model
//! (a `Vec` of events and a map of stream heads) must agree on every
//! outcome (sled's `prop_tree_matches_btreemap`, with a `Restart` op).

use std::collections::HashMap;

use proptest::prelude::*;
use salesledger_store::conformance::request;
use salesledger_store::{verify_log, ExpectedVersion, Idempotency, SledStore, Store, StoreError};
use serde_json::json;

#[derive(Clone, Debug)]
enum Expectation {
    Any,
    NoStream,
    /// The stream's actual version (a request that should succeed).
    Current,
    /// A fixed version, usually wrong.
    Exact(u64),
}

#[derive(Clone, Debug)]
enum Op {
    Append {
        stream_idx: u8,
        expectation: Expectation,
        n_events: u8,
        idempotency_key: Option<u8>,
    },
    ReadStream {
        stream_idx: u8,
        from_version: u64,
        limit: usize,
    },
    ReadAll {
        from_position: u64,
        limit: usize,
    },
    Restart,
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let expectation = prop_oneof![
        Just(Expectation::Any),
        Just(Expectation::NoStream),
        Just(Expectation::Current),
        (0u64..4).prop_map(Expectation::Exact),
    ];
    prop_oneof![
        6 => (0u8..4, expectation, 1u8..4, proptest::option::weighted(0.3, 0u8..4)).prop_map(
            |(stream_idx, expectation, n_events, idempotency_key)| Op::Append { stream_idx, expectation, n_events, idempotency_key }
        ),
        2 => (0u8..4, 0u64..6, 1usize..5).prop_map(|(stream_idx, from_version, limit)| Op::ReadStream { stream_idx, from_version, limit }),
        2 => (0u64..30, 1usize..8).prop_map(|(from_position, limit)| Op::ReadAll { from_position, limit }),
        1 => Just(Op::Restart),
    ]
}

/// The reference: what the log must contain.
#[derive(Default)]
struct Model {
    /// (stream id, stream version, payload) by position.
    events: Vec<(String, u64, serde_json::Value)>,
    heads: HashMap<String, u64>,
    /// key -> (stream, first position, last position)
    idempotency: HashMap<String, (String, u64, u64)>,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn sled_store_matches_the_model(ops in proptest::collection::vec(op_strategy(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        runtime.block_on(async {
            let data_dir = tempfile::tempdir().expect("tempdir");
            let mut store = SledStore::open(data_dir.path()).expect("open");
            let mut model = Model::default();
            for (op_idx, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Append { stream_idx, expectation, n_events, idempotency_key } => {
                        let stream_id = format!("stream-{stream_idx}");
                        let actual = model.heads.get(&stream_id).copied();
                        let expected_version = match expectation {
                            Expectation::Any => ExpectedVersion::Any,
                            Expectation::NoStream => ExpectedVersion::NoStream,
                            Expectation::Current => actual.map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact),
                            Expectation::Exact(version) => ExpectedVersion::Exact(version),
                        };
                        let payloads: Vec<_> = (0..n_events).map(|event_idx| json!({"op": op_idx, "event": event_idx})).collect();
                        let mut append = request(&stream_id, expected_version, &payloads);
                        let key = idempotency_key.map(|key| format!("key-{key}"));
                        append.idempotency = key.clone().map(|key| Idempotency { key, fingerprint: None });
                        let result = store.append(append).await;

                        if let Some((_, first, last)) = key.as_ref().and_then(|key| model.idempotency.get(key)) {
                            let outcome = result.expect("a stored key replays");
                            assert!(outcome.replayed, "op {op_idx}");
                            assert_eq!((outcome.first_position, outcome.last_position), (*first, *last));
                        } else if expected_version.admits(actual) {
                            let outcome = result.expect("admitted append succeeds");
                            let first_position = model.events.len() as u64;
                            let first_version = actual.map_or(0, |version| version + 1);
                            assert_eq!(outcome.first_position, first_position, "op {op_idx}");
                            assert_eq!(outcome.first_version, first_version, "op {op_idx}");
                            for (event_idx, payload) in payloads.into_iter().enumerate() {
                                model.events.push((stream_id.clone(), first_version + event_idx as u64, payload));
                            }
                            model.heads.insert(stream_id.clone(), outcome.last_version);
                            if let Some(key) = key {
                                model.idempotency.insert(key, (stream_id, outcome.first_position, outcome.last_position));
                            }
                        } else {
                            match result {
                                Err(StoreError::WrongExpectedVersion { actual: reported, .. }) => assert_eq!(reported, actual),
                                other => panic!("op {op_idx}: expected a conflict, got {other:?}"),
                            }
                        }
                    }
                    Op::ReadStream { stream_idx, from_version, limit } => {
                        let stream_id = format!("stream-{stream_idx}");
                        let records = store.read_stream(&stream_id, from_version, limit).await.expect("read_stream");
                        let expected: Vec<(u64, serde_json::Value)> = model
                            .events
                            .iter()
                            .filter(|(stream, version, _)| *stream == stream_id && *version >= from_version)
                            .take(limit)
                            .map(|(_, version, payload)| (*version, payload.clone()))
                            .collect();
                        let actual: Vec<(u64, serde_json::Value)> = records
                            .iter()
                            .map(|record| (record.stream_version, record.payload.to_value().expect("json")))
                            .collect();
                        assert_eq!(actual, expected, "op {op_idx}");
                    }
                    Op::ReadAll { from_position, limit } => {
                        let records = store.read_all(from_position, limit).await.expect("read_all");
                        let expected: Vec<u64> = (from_position..model.events.len() as u64).take(limit).collect();
                        assert_eq!(records.iter().map(|record| record.position).collect::<Vec<_>>(), expected, "op {op_idx}");
                        for record in records {
                            let (stream, version, payload) = &model.events[record.position as usize];
                            assert_eq!((&record.stream_id, &record.stream_version), (stream, version));
                            assert_eq!(&record.payload.to_value().expect("json"), payload);
                        }
                    }
                    Op::Restart => {
                        store.close().await;
                        drop(store);
                        store = SledStore::open(data_dir.path()).expect("reopen");
                    }
                }
                assert_eq!(store.head().len, model.events.len() as u64, "op {op_idx}: head");
            }
            let report = verify_log(&store, |_, _| {}).await.expect("verify");
            assert_eq!(report.failure, None);
            assert_eq!(report.last_hash, store.head().last_hash);
        });
    }
}
