//! The store conformance suite, written once and generic over [`Store`].
//!
//! Every backend runs exactly these checks through
//! [`store_conformance_tests!`](crate::store_conformance_tests): give it an
//! async expression that yields `(Arc<dyn Store>, guard)` for a fresh,
//! empty store (the guard keeps e.g. a temporary directory alive).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;

use crate::log::{verify_log, LogHead, Store, Subscription};
use crate::record::{
    AppendMetadata, AppendRequest, ExpectedVersion, Hash32, Idempotency, NewEvent,
    MAX_PAYLOAD_BYTES,
};
use crate::StoreError;

/// Generates one `#[tokio::test]` per conformance check.
#[macro_export]
macro_rules! store_conformance_tests {
    ($fresh_store:expr) => {
        $crate::store_conformance_tests!(@cases $fresh_store;
            empty_log_reads_nothing,
            expected_version_rules,
            multi_event_append_is_atomic,
            stream_and_global_reads,
            reads_by_position,
            invalid_appends_append_nothing,
            idempotent_append_returns_the_original_outcome,
            a_keyed_append_without_events_records_only_its_key,
            concurrent_appends_with_one_expected_version_have_one_winner,
            subscription_from_the_past_into_the_live_tail,
            verify_passes_on_a_healthy_log,
            import_appends_records_verbatim,
            registration_lock_is_exclusive,
        );
    };
    (@cases $fresh_store:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let (store, _guard) = $fresh_store.await;
                $crate::conformance::$case(store).await;
            }
        )*
    };
}

/// Metadata with fresh ids, for tests.
pub fn metadata(actor: &str) -> AppendMetadata {
    let command_id = Uuid::now_v7();
    AppendMetadata {
        actor: actor.to_owned(),
        command_id,
        correlation_id: command_id,
        causation_id: command_id,
    }
}

/// A request appending one event per payload.
pub fn request(
    stream_id: &str,
    expected_version: ExpectedVersion,
    payloads: &[serde_json::Value],
) -> AppendRequest {
    AppendRequest {
        stream_id: stream_id.to_owned(),
        expected_version,
        events: payloads
            .iter()
            .map(|payload| NewEvent::new("TestEvent", 1, payload))
            .collect(),
        metadata: metadata("tester"),
        idempotency: None,
    }
}

async fn append_ok(store: &dyn Store, request: AppendRequest) -> crate::AppendOutcome {
    match store.append(request).await {
        Ok(outcome) => outcome,
        Err(error) => panic!("append failed: {error}"),
    }
}

fn assert_conflict(result: Result<crate::AppendOutcome, StoreError>, expected_actual: Option<u64>) {
    match result {
        Err(StoreError::WrongExpectedVersion { actual, .. }) => assert_eq!(actual, expected_actual),
        other => panic!("expected a version conflict, got {other:?}"),
    }
}

pub async fn empty_log_reads_nothing(store: Arc<dyn Store>) {
    assert_eq!(store.head(), LogHead::EMPTY);
    assert!(store.read_all(0, 10).await.expect("read_all").is_empty());
    assert!(store
        .read_stream("nothing", 0, 10)
        .await
        .expect("read_stream")
        .is_empty());
    assert_eq!(
        store.stream_version("nothing").await.expect("version"),
        None
    );
}

pub async fn expected_version_rules(store: Arc<dyn Store>) {
    let first = append_ok(
        &*store,
        request("order-1", ExpectedVersion::NoStream, &[json!({"n": 0})]),
    )
    .await;
    assert_eq!(
        (
            first.first_position,
            first.first_version,
            first.last_version
        ),
        (0, 0, 0)
    );

    assert_conflict(
        store
            .append(request("order-1", ExpectedVersion::NoStream, &[json!({})]))
            .await,
        Some(0),
    );
    assert_conflict(
        store
            .append(request("order-1", ExpectedVersion::Exact(5), &[json!({})]))
            .await,
        Some(0),
    );
    assert_conflict(
        store
            .append(request("order-2", ExpectedVersion::Exact(0), &[json!({})]))
            .await,
        None,
    );

    let second = append_ok(
        &*store,
        request("order-1", ExpectedVersion::Exact(0), &[json!({"n": 1})]),
    )
    .await;
    assert_eq!((second.first_position, second.last_version), (1, 1));
    assert_conflict(
        store
            .append(request("order-1", ExpectedVersion::Exact(0), &[json!({})]))
            .await,
        Some(1),
    );
    let third = append_ok(
        &*store,
        request("order-1", ExpectedVersion::Any, &[json!({"n": 2})]),
    )
    .await;
    assert_eq!(third.last_version, 2);
    let other = append_ok(
        &*store,
        request("order-2", ExpectedVersion::Any, &[json!({"n": 0})]),
    )
    .await;
    assert_eq!((other.first_position, other.first_version), (3, 0));

    assert_eq!(store.head().len, 4, "conflicts append nothing");
    assert_eq!(
        store.stream_version("order-1").await.expect("version"),
        Some(2)
    );

    match store
        .append(request("order-1", ExpectedVersion::Exact(7), &[json!({})]))
        .await
    {
        Err(error) => assert_eq!(
            error.to_string(),
            "wrong expected version for stream order-1: expected 7, actual 2"
        ),
        Ok(outcome) => panic!("appended despite a conflict: {outcome:?}"),
    }
}

pub async fn multi_event_append_is_atomic(store: Arc<dyn Store>) {
    append_ok(
        &*store,
        request("a", ExpectedVersion::NoStream, &[json!({"n": 0})]),
    )
    .await;
    let outcome = append_ok(
        &*store,
        request(
            "b",
            ExpectedVersion::NoStream,
            &[json!({"n": 0}), json!({"n": 1}), json!({"n": 2})],
        ),
    )
    .await;
    assert_eq!((outcome.first_position, outcome.last_position), (1, 3));
    assert_eq!((outcome.first_version, outcome.last_version), (0, 2));
    assert_eq!(outcome.event_ids.len(), 3);

    // A conflicting three-event append writes none of them.
    assert_conflict(
        store
            .append(request(
                "b",
                ExpectedVersion::Exact(0),
                &[json!({}), json!({}), json!({})],
            ))
            .await,
        Some(2),
    );
    assert_eq!(store.head().len, 4);

    let records = store.read_stream("b", 0, 10).await.expect("read");
    assert_eq!(
        records
            .iter()
            .map(|record| record.position)
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(
        records
            .iter()
            .map(|record| record.event_id)
            .collect::<Vec<_>>(),
        outcome.event_ids
    );
    assert!(records
        .iter()
        .all(|record| record.recorded_at == outcome.recorded_at));
    assert_eq!(records[2].hash, outcome.last_hash);
    assert_eq!(store.head().last_hash, outcome.last_hash);
}

pub async fn stream_and_global_reads(store: Arc<dyn Store>) {
    for n in 0..10u64 {
        let stream_id = if n % 2 == 0 { "even" } else { "odd" };
        append_ok(
            &*store,
            request(
                stream_id,
                ExpectedVersion::Any,
                &[json!({"n": n, "text": "订单 ✓"})],
            ),
        )
        .await;
    }
    let mut request_with_metadata = request(
        "meta",
        ExpectedVersion::NoStream,
        &[json!({"z": 1, "a": [1.5, null]})],
    );
    request_with_metadata.events[0].event_type = "LeadRegistered".into();
    request_with_metadata.events[0].schema_version = 3;
    let metadata = request_with_metadata.metadata.clone();
    append_ok(&*store, request_with_metadata).await;

    let even = store.read_stream("even", 0, 100).await.expect("read even");
    assert_eq!(
        even.iter()
            .map(|record| record.stream_version)
            .collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(
        even.iter()
            .map(|record| record.position)
            .collect::<Vec<_>>(),
        vec![0, 2, 4, 6, 8]
    );
    let odd_tail = store.read_stream("odd", 3, 100).await.expect("read odd");
    assert_eq!(
        odd_tail
            .iter()
            .map(|record| record.stream_version)
            .collect::<Vec<_>>(),
        vec![3, 4]
    );
    let odd_page = store.read_stream("odd", 1, 2).await.expect("read odd page");
    assert_eq!(
        odd_page
            .iter()
            .map(|record| record.position)
            .collect::<Vec<_>>(),
        vec![3, 5]
    );
    assert!(store
        .read_stream("od", 0, 10)
        .await
        .expect("prefix stream")
        .is_empty());

    let all = store.read_all(0, 100).await.expect("read all");
    assert_eq!(all.len(), 11);
    assert_eq!(
        all.iter().map(|record| record.position).collect::<Vec<_>>(),
        (0..11).collect::<Vec<_>>()
    );
    let mut prev_hash = Hash32::ZERO;
    for record in &all {
        assert_eq!(
            record.prev_hash, prev_hash,
            "chain link at {}",
            record.position
        );
        assert_eq!(record.hash, record.compute_hash());
        prev_hash = record.hash;
    }
    let page = store.read_all(4, 3).await.expect("read page");
    assert_eq!(
        page.iter()
            .map(|record| record.position)
            .collect::<Vec<_>>(),
        vec![4, 5, 6]
    );
    assert!(store
        .read_all(11, 10)
        .await
        .expect("read past end")
        .is_empty());

    let last = &all[10];
    assert_eq!(last.stream_id, "meta");
    assert_eq!(last.event_type, "LeadRegistered");
    assert_eq!(last.schema_version, 3);
    assert_eq!(last.actor, metadata.actor);
    assert_eq!(last.command_id, metadata.command_id);
    assert_eq!(last.correlation_id, metadata.correlation_id);
    assert_eq!(last.causation_id, metadata.causation_id);
    assert_eq!(last.payload.as_str(), r#"{"a":[1.5,null],"z":1}"#);
    assert_eq!(last.event_id.get_version_num(), 7, "event ids are UUID v7");
    assert_eq!(
        all[0].payload.to_value().expect("json"),
        json!({"n": 0, "text": "订单 ✓"})
    );
    assert!(all
        .windows(2)
        .all(|pair| pair[0].recorded_at <= pair[1].recorded_at));
    let unique_ids: HashSet<Uuid> = all.iter().map(|record| record.event_id).collect();
    assert_eq!(unique_ids.len(), all.len());
}

/// `read_positions`: scattered, unsorted and repeated positions come back
/// in the order given, equal to the records `read_all` returns; positions
/// at or beyond the head are left out.
pub async fn reads_by_position(store: Arc<dyn Store>) {
    assert!(store
        .read_positions(&[0, 5])
        .await
        .expect("empty log")
        .is_empty());
    for n in 0..40u64 {
        append_ok(
            &*store,
            request(
                &format!("stream-{}", n % 3),
                ExpectedVersion::Any,
                &[json!({"n": n})],
            ),
        )
        .await;
    }
    let all = store.read_all(0, 100).await.expect("read all");
    assert_eq!(all.len(), 40);
    let asked = [39u64, 0, 7, 8, 9, 3, 3, 40, 1_000, u64::MAX, 21];
    let found = store.read_positions(&asked).await.expect("read positions");
    let expected: Vec<_> = asked
        .iter()
        .filter(|position| **position < 40)
        .map(|position| all[*position as usize].clone())
        .collect();
    assert_eq!(found, expected);
    assert!(store
        .read_positions(&[])
        .await
        .expect("nothing asked")
        .is_empty());
}

pub async fn invalid_appends_append_nothing(store: Arc<dyn Store>) {
    let cases = [
        request("s", ExpectedVersion::Any, &[]),
        request("", ExpectedVersion::Any, &[json!({})]),
        request("bad\nstream", ExpectedVersion::Any, &[json!({})]),
        request(&"x".repeat(300), ExpectedVersion::Any, &[json!({})]),
        request(
            "s",
            ExpectedVersion::Any,
            &[json!({}), json!({"blob": "x".repeat(MAX_PAYLOAD_BYTES)})],
        ),
    ];
    for case in cases {
        let result = store.append(case).await;
        assert!(
            matches!(result, Err(StoreError::InvalidAppend(_))),
            "{result:?}"
        );
    }
    let mut no_actor = request("s", ExpectedVersion::Any, &[json!({})]);
    no_actor.metadata.actor.clear();
    assert!(matches!(
        store.append(no_actor).await,
        Err(StoreError::InvalidAppend(_))
    ));
    assert_eq!(store.head(), LogHead::EMPTY);
}

pub async fn idempotent_append_returns_the_original_outcome(store: Arc<dyn Store>) {
    let keyed = |key: &str, fingerprint: u8, payload: serde_json::Value| {
        let mut keyed = request("visit-1", ExpectedVersion::Any, &[payload]);
        keyed.idempotency = Some(Idempotency {
            key: key.to_owned(),
            fingerprint: Some(Hash32([fingerprint; 32])),
        });
        keyed
    };
    let original = append_ok(&*store, keyed("key-1", 1, json!({"n": 1}))).await;
    assert!(!original.replayed);
    let repeated = append_ok(&*store, keyed("key-1", 1, json!({"n": 1}))).await;
    assert!(repeated.replayed);
    assert_eq!(
        AppendOutcome {
            replayed: false,
            ..repeated
        },
        original
    );
    assert_eq!(store.head().len, 1, "a repeated key writes nothing");

    let stored = store
        .idempotent_outcome("key-1")
        .await
        .expect("lookup")
        .expect("stored");
    assert_eq!(stored.outcome, original);
    assert_eq!(stored.fingerprint, Some(Hash32([1; 32])));
    assert_eq!(
        store
            .idempotent_outcome("never-used")
            .await
            .expect("lookup"),
        None
    );

    let reused = store.append(keyed("key-1", 2, json!({"n": 2}))).await;
    assert!(
        matches!(reused, Err(StoreError::IdempotencyKeyReused { ref key }) if key == "key-1"),
        "{reused:?}"
    );

    // Many concurrent requests with one key: exactly one write.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        let request = keyed("key-2", 3, json!({"n": 3}));
        tasks.push(tokio::spawn(async move { store.append(request).await }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("task").expect("append"));
    }
    assert_eq!(
        outcomes.iter().filter(|outcome| !outcome.replayed).count(),
        1
    );
    assert!(outcomes
        .iter()
        .all(|outcome| outcome.first_position == outcomes[0].first_position));
    assert_eq!(store.head().len, 2);
}

use crate::AppendOutcome;

/// A keyed request without events (a decision that changed nothing): no
/// record, no head move, the expected version checked as for any append,
/// and the key stored with an outcome that says nothing was appended at
/// the stream's version then. A repeat replays it even after the stream
/// moved on; another fingerprint is refused; a key refused by its
/// expected version is not stored.
pub async fn a_keyed_append_without_events_records_only_its_key(store: Arc<dyn Store>) {
    let keyed = |stream_id: &str, expected: ExpectedVersion, key: &str, fingerprint: u8| {
        let mut keyed = request(stream_id, expected, &[]);
        keyed.idempotency = Some(Idempotency {
            key: key.to_owned(),
            fingerprint: Some(Hash32([fingerprint; 32])),
        });
        keyed
    };
    append_ok(
        &*store,
        request("account-1", ExpectedVersion::NoStream, &[json!({"n": 0})]),
    )
    .await;
    let head = store.head();

    let unchanged = keyed("account-1", ExpectedVersion::Exact(0), "noop-1", 1);
    let command_id = unchanged.metadata.command_id;
    let original = append_ok(&*store, unchanged).await;
    assert!(!original.replayed);
    assert_eq!(
        original.no_events,
        Some(crate::NoEvents {
            stream_version: Some(0),
            log_len: 1,
            command_id,
        })
    );
    assert!(original.event_ids.is_empty());
    assert_eq!(
        (original.positions(), original.stream_version()),
        (None, Some(0))
    );
    assert_eq!(original.stream_id, "account-1");
    assert_eq!(store.head(), head, "nothing appended");
    assert_eq!(store.read_all(0, 10).await.expect("read").len(), 1);
    assert_eq!(
        store.stream_version("account-1").await.expect("version"),
        Some(0)
    );
    let stored = store
        .idempotent_outcome("noop-1")
        .await
        .expect("lookup")
        .expect("the key is stored");
    assert_eq!(stored.outcome, original);
    assert_eq!(stored.fingerprint, Some(Hash32([1; 32])));

    // The stream moves on; the retry (decided on the newer version)
    // replays the original "nothing appended", at the original version.
    append_ok(
        &*store,
        request("account-1", ExpectedVersion::Exact(0), &[json!({"n": 1})]),
    )
    .await;
    let head = store.head();
    let retry = append_ok(
        &*store,
        keyed("account-1", ExpectedVersion::Exact(1), "noop-1", 1),
    )
    .await;
    assert!(retry.replayed);
    assert_eq!(
        AppendOutcome {
            replayed: false,
            ..retry
        },
        original
    );
    // With events this time, still the original answer, nothing appended.
    let mut with_events = request("account-1", ExpectedVersion::Exact(1), &[json!({"n": 2})]);
    with_events.idempotency = keyed("x", ExpectedVersion::Any, "noop-1", 1).idempotency;
    assert!(append_ok(&*store, with_events).await.replayed);
    assert_eq!(store.head(), head, "a replay appends nothing");

    let reused = store
        .append(keyed("account-1", ExpectedVersion::Exact(1), "noop-1", 2))
        .await;
    assert!(
        matches!(reused, Err(StoreError::IdempotencyKeyReused { ref key }) if key == "noop-1"),
        "{reused:?}"
    );

    // Decided on a version the stream has left: a conflict, key not stored.
    assert_conflict(
        store
            .append(keyed("account-1", ExpectedVersion::Exact(0), "noop-2", 3))
            .await,
        Some(1),
    );
    assert_eq!(
        store.idempotent_outcome("noop-2").await.expect("lookup"),
        None
    );

    // On a stream that does not exist: no stream version, no stream made.
    let nothing = append_ok(
        &*store,
        keyed("account-2", ExpectedVersion::NoStream, "noop-3", 4),
    )
    .await;
    assert_eq!(
        (nothing.stream_version(), nothing.positions()),
        (None, None)
    );
    assert_eq!(
        store.stream_version("account-2").await.expect("version"),
        None
    );
    let next = append_ok(
        &*store,
        request("account-2", ExpectedVersion::NoStream, &[json!({"n": 0})]),
    )
    .await;
    assert_eq!((next.first_position, next.first_version), (head.len, 0));

    // Many concurrent requests with one key: one records it, the others
    // replay it; nothing is appended.
    let head = store.head();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        let request = keyed("account-2", ExpectedVersion::Exact(0), "noop-4", 5);
        tasks.push(tokio::spawn(async move { store.append(request).await }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("task").expect("append"));
    }
    assert_eq!(
        outcomes.iter().filter(|outcome| !outcome.replayed).count(),
        1
    );
    assert!(outcomes.iter().all(|outcome| outcome.no_events
        == Some(crate::NoEvents {
            stream_version: Some(0),
            log_len: head.len,
            command_id: outcomes[0].no_events.expect("no events").command_id,
        })));
    assert_eq!(store.head(), head);
    let report = verify_log(&*store, |_, _| {}).await.expect("verify");
    assert_eq!((report.n_verified, report.failure), (head.len, None));
}

pub async fn concurrent_appends_with_one_expected_version_have_one_winner(store: Arc<dyn Store>) {
    append_ok(
        &*store,
        request(
            "customer-7",
            ExpectedVersion::NoStream,
            &[json!({"claimed": false})],
        ),
    )
    .await;
    let mut tasks = Vec::new();
    for task_idx in 0..50 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .append(request(
                    "customer-7",
                    ExpectedVersion::Exact(0),
                    &[json!({"claimant": task_idx})],
                ))
                .await
        }));
    }
    let (mut n_won, mut n_conflicts) = (0, 0);
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => n_won += 1,
            Err(StoreError::WrongExpectedVersion {
                actual: Some(1), ..
            }) => n_conflicts += 1,
            Err(error) => panic!("unexpected error: {error}"),
        }
    }
    assert_eq!((n_won, n_conflicts), (1, 49));
    assert_eq!(store.head().len, 2);
}

pub async fn subscription_from_the_past_into_the_live_tail(store: Arc<dyn Store>) {
    for n in 0..100u64 {
        append_ok(
            &*store,
            request("past", ExpectedVersion::Any, &[json!({"n": n})]),
        )
        .await;
    }
    let n_tasks = 8u64;
    let per_task = 100u64;
    let total = 100 + n_tasks * per_task;

    let mut readers = Vec::new();
    for from_position in [0u64, 50, 100] {
        let mut subscription = Subscription::new(store.clone(), from_position);
        readers.push(tokio::spawn(async move {
            let mut positions = Vec::new();
            let mut per_stream: BTreeMap<String, Vec<u64>> = BTreeMap::new();
            while (positions.len() as u64) < total - from_position {
                match tokio::time::timeout(std::time::Duration::from_secs(30), subscription.next())
                    .await
                {
                    Ok(Some(Ok(record))) => {
                        positions.push(record.position);
                        per_stream
                            .entry(record.stream_id)
                            .or_default()
                            .push(record.stream_version);
                    }
                    other => panic!("subscription ended early: {other:?}"),
                }
            }
            (from_position, positions, per_stream)
        }));
    }

    let mut writers = Vec::new();
    for task_idx in 0..n_tasks {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            for n in 0..per_task {
                let stream_id = format!("live-{task_idx}");
                append_ok(
                    &*store,
                    request(&stream_id, ExpectedVersion::Any, &[json!({"n": n})]),
                )
                .await;
            }
        }));
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    for reader in readers {
        let (from_position, positions, per_stream) = reader.await.expect("reader");
        assert_eq!(
            positions,
            (from_position..total).collect::<Vec<_>>(),
            "no gap, no duplicate"
        );
        for (stream_id, versions) in per_stream {
            assert!(
                versions.windows(2).all(|pair| pair[1] == pair[0] + 1),
                "{stream_id} in order"
            );
        }
    }
}

pub async fn verify_passes_on_a_healthy_log(store: Arc<dyn Store>) {
    for n in 0..2500u64 {
        let stream_id = format!("s-{}", n % 7);
        append_ok(
            &*store,
            request(&stream_id, ExpectedVersion::Any, &[json!({"n": n})]),
        )
        .await;
    }
    let mut n_progress_calls = 0;
    let report = verify_log(&*store, |_, _| n_progress_calls += 1)
        .await
        .expect("verify");
    assert_eq!(report.failure, None);
    assert_eq!(report.n_verified, 2500);
    assert_eq!(report.last_hash, store.head().last_hash);
    assert!(n_progress_calls >= 3, "progress reported per page");
}

/// Records chained as another store would have written them: two streams,
/// fixed times, starting after `head`.
pub fn foreign_records(head: LogHead, n: u64) -> Vec<crate::RecordedEvent> {
    use chrono::TimeZone;
    let mut records = Vec::new();
    let (mut position, mut prev_hash) = (head.len, head.last_hash);
    let mut versions: BTreeMap<String, u64> = BTreeMap::new();
    for idx in 0..n {
        let stream_id = format!("imported-{}", idx % 2);
        let first_version = versions.get(&stream_id).map_or(0, |version| version + 1);
        let recorded_at = chrono::Utc
            .timestamp_micros(1_700_000_000_000_000 + i64::try_from(idx).unwrap_or(0))
            .single()
            .unwrap_or_else(chrono::Utc::now);
        let append = request(&stream_id, ExpectedVersion::Any, &[json!({"idx": idx})]);
        let (chained, _) =
            crate::record::chain_records(&append, position, first_version, prev_hash, recorded_at);
        for record in chained {
            position = record.position + 1;
            prev_hash = record.hash;
            versions.insert(record.stream_id.clone(), record.stream_version);
            records.push(record);
        }
    }
    records
}

/// `import` appends already-chained records verbatim (ids, times, actors,
/// hashes), refuses anything that does not extend the head exactly and
/// imports nothing then; appends chain on after the imported records.
pub async fn import_appends_records_verbatim(store: Arc<dyn Store>) {
    let records = foreign_records(LogHead::EMPTY, 6);
    let rejected = |result: Result<LogHead, StoreError>| {
        assert!(
            matches!(result, Err(StoreError::ImportRejected { .. })),
            "{result:?}"
        );
    };
    // Not starting at the head.
    rejected(store.import(records[1..].to_vec()).await);
    // A record altered after hashing.
    let mut tampered = records.clone();
    tampered[3].actor = "someone else".into();
    rejected(store.import(tampered).await);
    // A broken link.
    let mut relinked = records.clone();
    relinked[2].prev_hash = Hash32([7; 32]);
    relinked[2].hash = relinked[2].compute_hash();
    rejected(store.import(relinked).await);
    assert_eq!(
        store.head(),
        LogHead::EMPTY,
        "a refused import imports nothing"
    );
    assert!(store.read_all(0, 10).await.expect("read").is_empty());

    let head = store.import(records[..4].to_vec()).await.expect("import");
    assert_eq!(head.len, 4);
    let head = store
        .import(records[4..].to_vec())
        .await
        .expect("import the rest");
    assert_eq!(
        head,
        LogHead {
            len: 6,
            last_hash: records[5].hash
        }
    );
    assert_eq!(store.head(), head);
    assert_eq!(store.read_all(0, 100).await.expect("read"), records);
    assert_eq!(
        store.stream_version("imported-0").await.expect("version"),
        Some(2)
    );
    // The same records again no longer extend the head.
    rejected(store.import(records.clone()).await);

    // Appends chain on, with stream versions continuing.
    let outcome = append_ok(
        &*store,
        request(
            "imported-1",
            ExpectedVersion::Exact(2),
            &[json!({"after": true})],
        ),
    )
    .await;
    assert_eq!(outcome.first_position, 6);
    let appended = store.read_all(6, 1).await.expect("read");
    assert_eq!(appended[0].prev_hash, records[5].hash);
    // Records chained after an append import too.
    // (on new streams, no earlier than the append: re-linked and re-hashed)
    let mut prev = store.head().last_hash;
    let more = foreign_records(store.head(), 2)
        .into_iter()
        .map(|mut record| {
            record.stream_id = format!("more-{}", record.stream_id);
            record.recorded_at = appended[0].recorded_at;
            record.prev_hash = prev;
            record.hash = record.compute_hash();
            prev = record.hash;
            record
        })
        .collect::<Vec<_>>();
    store.import(more).await.expect("import after an append");
    let report = verify_log(&*store, |_, _| {}).await.expect("verify");
    assert_eq!(report.failure, None);
    assert_eq!(report.n_verified, 9);
}

/// The registration lock has one holder at a time and is released on drop.
pub async fn registration_lock_is_exclusive(store: Arc<dyn Store>) {
    use std::time::Duration;
    let held = store.registration_lock().await.expect("lock");
    let contender = store.clone();
    let waiting = tokio::spawn(async move { contender.registration_lock().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "a second holder waits");
    drop(held);
    let second = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the lock is released on drop")
        .expect("task")
        .expect("lock");
    drop(second);
    let third = tokio::time::timeout(Duration::from_secs(10), store.registration_lock())
        .await
        .expect("released again");
    assert!(third.is_ok());
}

/// A test double over another store: whole-log reads (`read_all`) fail as
/// [`StoreError::Unavailable`] while `failing_log_reads` is above zero,
/// stream reads (`read_stream`) while `failing_stream_reads` is, one
/// failure per read; whole-log reads leave out position `hidden`. For the
/// tests of what follows the log (read models, the checkpointer) through
/// a database restarting or a log that skips a position.
pub struct Unsteady {
    inner: Arc<dyn Store>,
    failing_log_reads: std::sync::atomic::AtomicUsize,
    failing_stream_reads: std::sync::atomic::AtomicUsize,
    hidden: Option<u64>,
}

impl Unsteady {
    /// `inner`, steady: nothing fails, nothing is hidden.
    pub fn new(inner: Arc<dyn Store>) -> Unsteady {
        Unsteady {
            inner,
            failing_log_reads: 0.into(),
            failing_stream_reads: 0.into(),
            hidden: None,
        }
    }

    /// The next `n` whole-log reads fail.
    pub fn failing_log_reads(self, n: usize) -> Unsteady {
        self.failing_log_reads
            .store(n, std::sync::atomic::Ordering::SeqCst);
        self
    }

    /// The next `n` stream reads fail.
    pub fn failing_stream_reads(self, n: usize) -> Unsteady {
        self.failing_stream_reads
            .store(n, std::sync::atomic::Ordering::SeqCst);
        self
    }

    /// Whole-log reads leave out `position`.
    pub fn hiding(mut self, position: u64) -> Unsteady {
        self.hidden = Some(position);
        self
    }

    /// Whether a read counted by `failures` fails now (one fewer to come).
    fn fails(failures: &std::sync::atomic::AtomicUsize) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering;
        match failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)) {
            Ok(_) => Err(StoreError::Unavailable("the database restarts".into())),
            Err(_) => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl Store for Unsteady {
    async fn append(
        &self,
        request: AppendRequest,
    ) -> Result<crate::record::AppendOutcome, StoreError> {
        self.inner.append(request).await
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<crate::record::RecordedEvent>, StoreError> {
        Unsteady::fails(&self.failing_stream_reads)?;
        self.inner.read_stream(stream_id, from_version, limit).await
    }

    async fn read_all(
        &self,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<crate::record::RecordedEvent>, StoreError> {
        Unsteady::fails(&self.failing_log_reads)?;
        let mut records = self.inner.read_all(from_position, limit).await?;
        records.retain(|record| Some(record.position) != self.hidden);
        Ok(records)
    }

    async fn stream_version(&self, stream_id: &str) -> Result<Option<u64>, StoreError> {
        self.inner.stream_version(stream_id).await
    }

    async fn idempotent_outcome(
        &self,
        key: &str,
    ) -> Result<Option<crate::log::StoredOutcome>, StoreError> {
        self.inner.idempotent_outcome(key).await
    }

    fn head(&self) -> LogHead {
        self.inner.head()
    }

    fn watch_head(&self) -> tokio::sync::watch::Receiver<LogHead> {
        self.inner.watch_head()
    }
}
