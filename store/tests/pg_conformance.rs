//! The backend-independent conformance suite, run on PostgreSQL, plus two
//! `PgStore`s on one schema standing in for two gateway processes.
//!
//! Runs when `SALESLEDGER_PG_URL` is set (CI sets
//! `postgres://postgres@127.0.0.1:5432/test`); each case gets its own fresh
//! schema `sl_test_<uuid>`, dropped afterwards. Without the variable it
//! prints one line saying the tests were skipped and how to run them.
//!
//! `harness = false`: the conformance macro generates `#[tokio::test]`s with
//! no way to skip, so this file lists the same cases (the conformance
//! functions themselves run unchanged) and reports like a test harness.
//! Arguments that do not start with `-` filter cases by substring.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use salesledger_store::conformance::{metadata, request};
use salesledger_store::{verify_log, ExpectedVersion, PgStore, Store, StoreError, Subscription};
use serde_json::json;

const PG_URL_VAR: &str = "SALESLEDGER_PG_URL";

type Case = Pin<Box<dyn Future<Output = ()> + Send>>;
type CaseFn = fn(String) -> Case;

/// The conformance cases, in the order of `store_conformance_tests!`.
macro_rules! conformance_cases {
    ($($case:ident),* $(,)?) => {
        vec![$(
            (
                stringify!($case),
                (|url: String| -> Case {
                    Box::pin(async move {
                        with_fresh_schema(&url, |store, _url, _schema| async move {
                            salesledger_store::conformance::$case(Arc::new(store)).await;
                        })
                        .await
                    })
                }) as CaseFn,
            )
        ),*]
    };
}

fn main() {
    let Ok(url) = std::env::var(PG_URL_VAR) else {
        eprintln!(
            "pg_conformance: PostgreSQL tests SKIPPED ({PG_URL_VAR} is not set); run them with \
             `{PG_URL_VAR}=postgres://postgres@127.0.0.1:5432/test cargo test -p salesledger-store --test pg_conformance`"
        );
        return;
    };
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let mut cases: Vec<(&str, CaseFn)> = conformance_cases!(
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
    cases.push((
        "two_stores_on_one_schema_share_one_gapless_log",
        |url| -> Case { Box::pin(two_stores_on_one_schema_share_one_gapless_log(url)) },
    ));
    cases.push((
        "a_statement_failing_inside_the_commit_pipeline_acknowledges_nothing",
        |url| -> Case {
            Box::pin(a_statement_failing_inside_the_commit_pipeline_acknowledges_nothing(url))
        },
    ));
    cases.push((
        "a_batch_reads_each_stream_head_from_one_index_entry",
        |url| -> Case { Box::pin(a_batch_reads_each_stream_head_from_one_index_entry(url)) },
    ));
    cases.push((
        "a_registration_lock_abandoned_while_waiting_is_never_held",
        |url| -> Case {
            Box::pin(a_registration_lock_abandoned_while_waiting_is_never_held(
                url,
            ))
        },
    ));
    cases.push((
        "two_stores_sequence_appends_under_a_serializable_default",
        |url| -> Case {
            Box::pin(two_stores_sequence_appends_under_a_serializable_default(
                url,
            ))
        },
    ));
    cases.push((
        "a_query_the_database_refuses_is_not_transient",
        |url| -> Case { Box::pin(a_query_the_database_refuses_is_not_transient(url)) },
    ));
    cases.retain(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f)));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("tokio runtime");
    println!("\nrunning {} PostgreSQL tests", cases.len());
    let mut failed = Vec::new();
    for (name, case) in &cases {
        let started = Instant::now();
        let result = runtime.block_on(async { tokio::spawn(case(url.clone())).await });
        let status = if result.is_ok() { "ok" } else { "FAILED" };
        println!("test {name} ... {status} ({:.2?})", started.elapsed());
        if result.is_err() {
            failed.push(*name);
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed",
        if failed.is_empty() { "ok" } else { "FAILED" },
        cases.len() - failed.len(),
        failed.len()
    );
    if !failed.is_empty() {
        println!("failures: {failed:?}");
        std::process::exit(1);
    }
}

/// Runs `body` against a store in a fresh schema, then drops the schema
/// (even when `body` panics).
async fn with_fresh_schema<F, Fut>(url: &str, body: F)
where
    F: FnOnce(PgStore, String, String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let schema = format!("sl_test_{}", uuid::Uuid::now_v7().simple());
    let store = PgStore::connect(url, Some(&schema))
        .await
        .expect("connect to PostgreSQL");
    let outcome = tokio::spawn(body(store, url.to_owned(), schema.clone())).await;
    drop_schema(url, &schema).await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

async fn drop_schema(url: &str, schema: &str) {
    let Ok((client, connection)) = tokio_postgres::connect(url, tokio_postgres::NoTls).await else {
        eprintln!("could not connect to drop schema {schema}");
        return;
    };
    let driver = tokio::spawn(connection);
    if let Err(error) = client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .await
    {
        eprintln!("could not drop schema {schema}: {error}");
    }
    drop(client);
    let _ = driver.await;
}

async fn wait_for_len(store: &dyn Store, len: u64) {
    let mut head = store.watch_head();
    tokio::time::timeout(Duration::from_secs(30), async {
        while head.borrow_and_update().len < len {
            head.changed().await.expect("head channel open");
        }
    })
    .await
    .expect("head catches up");
}

/// A registration whose caller goes away while it waits on the other
/// process's lock (a client disconnects, a deadline passes) must not
/// leave the lock to an idle pooled session: once the holder releases
/// it, both processes take it again.
async fn a_registration_lock_abandoned_while_waiting_is_never_held(url: String) {
    with_fresh_schema(&url, |store_a, url, schema| async move {
        let store_b = PgStore::connect(&url, Some(&schema))
            .await
            .expect("connect B");
        let held = store_a.registration_lock().await.expect("A locks");
        let abandoned =
            tokio::time::timeout(Duration::from_millis(300), store_b.registration_lock()).await;
        assert!(abandoned.is_err(), "B waits while A holds the lock");
        drop(held);
        for (name, store) in [("A", &store_a), ("B", &store_b), ("A", &store_a)] {
            let again = tokio::time::timeout(Duration::from_secs(10), store.registration_lock())
                .await
                .unwrap_or_else(|_| panic!("{name} cannot take the lock: a session still holds it"))
                .expect("lock");
            drop(again);
        }
    })
    .await;
}

/// Two stores on one schema stand in for two gateway processes: their
/// interleaved concurrent appends get gapless positions and one verifying
/// chain; a subscription on B sees what is appended through A (B learns of
/// it only by NOTIFY); one winner among claims split across both.
async fn two_stores_on_one_schema_share_one_gapless_log(url: String) {
    with_fresh_schema(&url, |store_a, url, schema| async move {
        let pg_a = store_a.clone();
        let store_a: Arc<dyn Store> = Arc::new(store_a);
        let store_b: Arc<dyn Store> = Arc::new(
            PgStore::connect(&url, Some(&schema))
                .await
                .expect("connect B"),
        );
        let mut subscription = Subscription::new(store_b.clone(), 0);

        // Phase 1: only A writes; B's subscription must see every record.
        let n_from_a = 100u64;
        for n in 0..n_from_a {
            store_a
                .append(request("from-a", ExpectedVersion::Any, &[json!({"n": n})]))
                .await
                .expect("append via A");
        }
        for expected in 0..n_from_a {
            let record = tokio::time::timeout(Duration::from_secs(30), subscription.next())
                .await
                .expect("B's subscription sees A's records (NOTIFY)")
                .expect("open")
                .expect("record");
            assert_eq!(record.position, expected);
            assert_eq!(record.stream_id, "from-a");
        }

        // The LISTEN connections drop (e.g. a PostgreSQL restart or a
        // network cut): the listeners reconnect and refresh the head from
        // the table, so B still sees what A appends meanwhile.
        {
            let client = pg_a.pool().get().await.expect("pool");
            let n_killed: i64 = client
                .query_one(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                     WHERE application_name = $1",
                    &[&salesledger_store::pg_store::listener_application_name(
                        &schema,
                    )],
                )
                .await
                .expect("terminate listeners")
                .get(0);
            assert_eq!(n_killed, 2, "A's and B's listeners");
            // Append once the old connections are gone (the listeners wait
            // before reconnecting), so B learns of it by the refresh.
            tokio::time::timeout(Duration::from_secs(10), async {
                loop {
                    let n_left: i64 = client
                        .query_one(
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                            &[&salesledger_store::pg_store::listener_application_name(
                                &schema,
                            )],
                        )
                        .await
                        .expect("pg_stat_activity")
                        .get(0);
                    if n_left == 0 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
            .await
            .expect("listeners terminated");
        }
        store_a
            .append(request(
                "from-a",
                ExpectedVersion::Any,
                &[json!({"n": n_from_a})],
            ))
            .await
            .expect("append via A while B's listener is down");
        let record = tokio::time::timeout(Duration::from_secs(30), subscription.next())
            .await
            .expect("B's subscription sees A's record after its listener reconnects")
            .expect("open")
            .expect("record");
        assert_eq!(record.position, n_from_a);
        let n_from_a = n_from_a + 1;

        // Phase 2: both write concurrently, and race for one claim.
        store_a
            .append(request(
                "customer-1",
                ExpectedVersion::NoStream,
                &[json!({})],
            ))
            .await
            .expect("create customer");
        let (n_tasks, per_task) = (4u64, 50u64);
        let mut writers = Vec::new();
        for (label, store) in [("a", &store_a), ("b", &store_b)] {
            for task_idx in 0..n_tasks {
                let store = store.clone();
                writers.push(tokio::spawn(async move {
                    for n in 0..per_task {
                        let mut append = request(
                            &format!("w-{label}-{task_idx}"),
                            ExpectedVersion::Any,
                            &[json!({"n": n})],
                        );
                        append.metadata = metadata(label);
                        store.append(append).await.expect("concurrent append");
                    }
                }));
            }
        }
        let mut claims = Vec::new();
        for claim_idx in 0..50u64 {
            let store = if claim_idx % 2 == 0 {
                store_a.clone()
            } else {
                store_b.clone()
            };
            claims.push(tokio::spawn(async move {
                store
                    .append(request(
                        "customer-1",
                        ExpectedVersion::Exact(0),
                        &[json!({"claimant": claim_idx})],
                    ))
                    .await
            }));
        }
        for writer in writers {
            writer.await.expect("writer");
        }
        let (mut n_won, mut n_conflicts) = (0, 0);
        for claim in claims {
            match claim.await.expect("claim task") {
                Ok(_) => n_won += 1,
                Err(StoreError::WrongExpectedVersion {
                    actual: Some(1), ..
                }) => n_conflicts += 1,
                Err(error) => panic!("unexpected claim error: {error}"),
            }
        }
        assert_eq!((n_won, n_conflicts), (1, 49), "exactly one claim wins");

        let (n_batches, n_records) = (
            pg_a.stats().n_batches.load(Ordering::Relaxed),
            pg_a.stats().n_records.load(Ordering::Relaxed),
        );
        assert!(
            n_records > n_batches,
            "concurrent appends share commits: {n_records} records in {n_batches} batches"
        );

        let total = n_from_a + 1 + 2 * n_tasks * per_task + 1;
        wait_for_len(&*store_a, total).await;
        wait_for_len(&*store_b, total).await;
        assert_eq!(store_a.head(), store_b.head());

        for store in [&store_a, &store_b] {
            let report = verify_log(&**store, |_, _| {}).await.expect("verify");
            assert_eq!(report.failure, None);
            assert_eq!(report.n_verified, total);
        }
        let all = store_b
            .read_all(0, usize::try_from(total).expect("fits") + 10)
            .await
            .expect("read all");
        assert_eq!(
            all.iter().map(|record| record.position).collect::<Vec<_>>(),
            (0..total).collect::<Vec<_>>(),
            "gapless positions"
        );
        let mut per_stream: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for record in &all {
            per_stream
                .entry(&record.stream_id)
                .or_default()
                .push(record.stream_version);
        }
        for (stream_id, versions) in &per_stream {
            assert_eq!(
                *versions,
                (0..versions.len() as u64).collect::<Vec<_>>(),
                "{stream_id}"
            );
        }
        let by_actor = |actor: &str| all.iter().filter(|record| record.actor == actor).count();
        assert_eq!(by_actor("a"), (n_tasks * per_task) as usize);
        assert_eq!(by_actor("b"), (n_tasks * per_task) as usize);
        let interleaved = all
            .windows(2)
            .filter(|pair| pair[0].actor != pair[1].actor)
            .count();
        assert!(interleaved > 2, "appends of A and B interleave");

        // B's subscription continues into the shared tail, in order.
        for expected in n_from_a..total {
            let record = tokio::time::timeout(Duration::from_secs(30), subscription.next())
                .await
                .expect("subscription keeps up")
                .expect("open")
                .expect("record");
            assert_eq!(record.position, expected, "no gap, no duplicate");
        }

        // A third process starting now finds the head in the table, and the
        // migrations ran once.
        let store_c = PgStore::connect(&url, Some(&schema))
            .await
            .expect("connect C");
        assert_eq!(store_c.head(), store_a.head());
        let client = store_c.pool().get().await.expect("pool");
        let n_migrations: i64 = client
            .query_one("SELECT count(*) FROM salesledger_migrations", &[])
            .await
            .expect("migrations")
            .get(0);
        assert_eq!(n_migrations, 1);
    })
    .await;
}

/// A server (or role) whose default isolation is SERIALIZABLE: a
/// transaction that took its snapshot before waiting for the sequencing
/// lock would read a stale tip and collide on the position. Two stores
/// appending at once must still both succeed, gapless.
async fn two_stores_sequence_appends_under_a_serializable_default(url: String) {
    let separator = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{separator}options=-c%20default_transaction_isolation%3Dserializable");
    with_fresh_schema(&url, |store_a, url, schema| async move {
        let store_a: Arc<dyn Store> = Arc::new(store_a);
        let store_b: Arc<dyn Store> = Arc::new(
            PgStore::connect(&url, Some(&schema))
                .await
                .expect("connect B"),
        );
        {
            let client = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("connect");
            let driver = tokio::spawn(client.1);
            let row = client
                .0
                .query_one("SHOW default_transaction_isolation", &[])
                .await
                .expect("show");
            assert_eq!(
                row.get::<_, String>(0),
                "serializable",
                "the URL's option holds"
            );
            drop(client.0);
            let _ = driver.await;
        }
        let (n_tasks, per_task) = (3u64, 30u64);
        let mut writers = Vec::new();
        for (label, store) in [("a", &store_a), ("b", &store_b)] {
            for task_idx in 0..n_tasks {
                let store = store.clone();
                writers.push(tokio::spawn(async move {
                    for n in 0..per_task {
                        store
                            .append(request(
                                &format!("s-{label}-{task_idx}"),
                                ExpectedVersion::Any,
                                &[json!({"n": n})],
                            ))
                            .await
                            .expect("an append under a serializable default");
                    }
                }));
            }
        }
        for writer in writers {
            writer.await.expect("writer");
        }
        let total = 2 * n_tasks * per_task;
        wait_for_len(&*store_a, total).await;
        let all = store_a
            .read_all(0, usize::try_from(total).expect("fits") + 10)
            .await
            .expect("read all");
        assert_eq!(
            all.iter().map(|record| record.position).collect::<Vec<_>>(),
            (0..total).collect::<Vec<_>>(),
            "gapless positions"
        );
        let report = verify_log(&*store_b, |_, _| {}).await.expect("verify");
        assert_eq!(report.failure, None);
    })
    .await;
}

/// What follows the log (read models, the checkpointer) waits out a
/// database it cannot reach but stops on a query the database refuses
/// (`StoreError::is_transient`; which SQLSTATEs are "for now" is a unit
/// test of `pg_store`, a cut connection cannot be staged reliably here).
async fn a_query_the_database_refuses_is_not_transient(url: String) {
    with_fresh_schema(&url, |store, url, schema| async move {
        store
            .append(request("s-1", ExpectedVersion::Any, &[json!({"n": 1})]))
            .await
            .expect("append");
        store.read_all(0, 10).await.expect("read");
        let (admin, driver) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        let driver = tokio::spawn(driver);
        // The schema's table gone: refused for good, not waited on.
        admin
            .batch_execute(&format!("DROP TABLE \"{schema}\".events CASCADE"))
            .await
            .expect("drop");
        let error = store.read_all(0, 10).await.expect_err("no table");
        assert!(
            !error.is_transient(),
            "a missing table is not for now: {error}"
        );
        drop(admin);
        let _ = driver.await;
    })
    .await;
}

/// A batch's last round trip sends the rows, the keys, the notification
/// and `COMMIT` back to back. When the row insert fails there (a trigger
/// raising once, standing in for any server-side error), the append is an
/// error, nothing of it is visible, the connection goes back clean, and
/// the next append lands at the position the failed one would have had.
async fn a_statement_failing_inside_the_commit_pipeline_acknowledges_nothing(url: String) {
    with_fresh_schema(&url, |store, _url, _schema| async move {
        let pg = store.clone();
        let store: Arc<dyn Store> = Arc::new(store);
        store
            .append(request("s", ExpectedVersion::NoStream, &[json!({"n": 0})]))
            .await
            .expect("first append");
        let client = pg.pool().get().await.expect("pool");
        client
            .batch_execute(
                "CREATE SEQUENCE fail_once; \
                 CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF nextval('fail_once') = 1 THEN RAISE EXCEPTION 'injected failure'; \
                 END IF; RETURN NEW; END $$; \
                 CREATE TRIGGER fail_once BEFORE INSERT ON events \
                 FOR EACH ROW EXECUTE FUNCTION fail_once();",
            )
            .await
            .expect("install the failing trigger");
        drop(client);

        let failed = store
            .append(request("s", ExpectedVersion::Exact(0), &[json!({"n": 1})]))
            .await;
        assert!(
            matches!(failed, Err(StoreError::Postgres(ref message)) if message.contains("injected")),
            "{failed:?}"
        );
        assert_eq!(store.head().len, 1, "nothing acknowledged");
        assert_eq!(store.read_all(0, 10).await.expect("read").len(), 1);
        assert_eq!(store.stream_version("s").await.expect("version"), Some(0));

        // Every pooled connection is usable: no transaction left open.
        for n in 1..=8u64 {
            let outcome = store
                .append(request("s", ExpectedVersion::Exact(n - 1), &[json!({"n": n})]))
                .await
                .expect("appends after the failure");
            assert_eq!(outcome.first_position, n);
        }
        let report = verify_log(store.as_ref(), |_, _| {}).await.expect("verify");
        assert!(report.failure.is_none(), "{report:?}");
        assert_eq!(report.n_verified, 9);
    })
    .await;
}

/// A batch's cost must not grow with the log: the stream-heads statement
/// reads each stream's last version by one backward index probe, not every
/// row of the stream (`max(...) GROUP BY` read 2,133 rows for 34 streams on
/// a 12,000-event log). Checked on the server's own plan and buffer counts
/// over streams of 1,500 events each.
async fn a_batch_reads_each_stream_head_from_one_index_entry(url: String) {
    with_fresh_schema(&url, |store, _url, schema| async move {
        let streams = ["long-a", "long-b", "long-c"];
        for stream in streams {
            for chunk in 0..15 {
                let payloads: Vec<_> = (0..100)
                    .map(|n| json!({"n": chunk * 100 + n, "pad": "x".repeat(200)}))
                    .collect();
                store
                    .append(request(stream, ExpectedVersion::Any, &payloads))
                    .await
                    .expect("append");
            }
        }
        let client = store.pool().get().await.expect("pool");
        client
            .batch_execute(&format!("SET search_path TO {schema}; ANALYZE events"))
            .await
            .expect("analyze");
        let wanted: Vec<&str> = vec!["long-a", "long-b", "long-c", "no-such-stream"];
        let heads = client
            .query(salesledger_store::pg_store::STREAM_HEADS_SQL, &[&wanted])
            .await
            .expect("stream heads");
        let mut by_stream: BTreeMap<String, Option<i64>> = BTreeMap::new();
        for row in &heads {
            by_stream.insert(row.get(0), row.get(1));
        }
        assert_eq!(by_stream.len(), 4, "one row per stream asked for");
        for stream in streams {
            assert_eq!(by_stream[stream], Some(1_499), "{stream}'s head");
        }
        assert_eq!(by_stream["no-such-stream"], None);

        let plan_row = client
            .query_one(
                &format!(
                    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {}",
                    salesledger_store::pg_store::STREAM_HEADS_SQL
                ),
                &[&wanted],
            )
            .await
            .expect("explain");
        let plan: serde_json::Value = plan_row.get(0);
        let text = plan.to_string();
        assert!(
            text.contains("Backward") && !text.contains("Bitmap Heap Scan"),
            "expected one backward index probe per stream, got {text}"
        );
        let blocks = plan[0]["Plan"]["Shared Hit Blocks"].as_u64().unwrap_or(0)
            + plan[0]["Plan"]["Shared Read Blocks"].as_u64().unwrap_or(0);
        assert!(
            blocks < 40,
            "{blocks} buffers read for 4 stream heads over 4,500 events: {text}"
        );
    })
    .await;
}
