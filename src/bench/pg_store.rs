//! `bench store --store postgres://...`: the PostgreSQL log's durable
//! appends at 1, 16 and 64 concurrent appenders (group commit: one
//! transaction and one WAL flush per batch) against raw single-row INSERT
//! transactions of records of the same content on the same server in the
//! same run (one commit, so one WAL flush, per event: at 1 connection and
//! at 16 connections, the store's pool size), and full-log read
//! throughput against a raw `SELECT` + JSON decode of the same rows.
//!
//! Without `?schema=` in the URL the benchmark uses a fresh schema
//! `sl_bench_<uuid>` and drops it afterwards; a named schema must hold no
//! log yet and is kept (so `salesledger copy --from URL?schema=...` can
//! take it).
//!
//! `pg_ratio_64` = group-commit appends/s at 64 appenders / raw
//! single-row INSERT transactions/s at 1 connection (the target is
//! at least 3); `pg_ratio_64_vs_raw_16` compares with 16 concurrent raw
//! connections, where PostgreSQL already shares WAL flushes between
//! concurrent commits.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use salesledger_store::{PgStore, Store};
use serde_json::json;
use uuid::Uuid;

use super::emit;
use super::store::{append_phase, payload, read_phase, timed_together};
use crate::backend::StoreChoice;

pub fn run(choice: &StoreChoice, n_events: u64, extra_appenders: &[u64]) -> anyhow::Result<()> {
    let StoreChoice::Postgres { url, schema } = choice else {
        bail!(crate::t!("cli-bench-not-postgres"));
    };
    if n_events < 64 {
        bail!(crate::t!("cli-bench-events-at-least", n = 64));
    }
    let (schema, temporary) = match schema {
        Some(schema) => (schema.clone(), false),
        None => (format!("sl_bench_{}", Uuid::now_v7().simple()), true),
    };
    println!("backend=postgres");
    println!("events={n_events}");
    let runtime = crate::runtime()?;
    let result = runtime.block_on(measure(url, &schema, n_events, extra_appenders));
    if temporary {
        runtime.block_on(async {
            if let Err(error) = drop_schema(url, &schema).await {
                eprintln!("could not drop the benchmark schema {schema}: {error:#}");
            }
        });
    }
    result
}

async fn drop_schema(url: &str, schema: &str) -> anyhow::Result<()> {
    let store = PgStore::connect(url, None).await?;
    let client = store.pool().get().await?;
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .await?;
    Ok(())
}

async fn measure(
    url: &str,
    schema: &str,
    n_events: u64,
    extra_appenders: &[u64],
) -> anyhow::Result<()> {
    let pg = PgStore::connect(url, Some(schema))
        .await
        .with_context(|| crate::t!("cli-bench-connecting-postgres"))?;
    if pg.head().len > 0 {
        bail!(crate::t!("cli-bench-schema-not-empty", schema = schema));
    }
    let store = Arc::new(pg.clone());
    let append_1 = append_phase(&store, "a1", 1, n_events).await?;
    let append_16 = append_phase(&store, "a16", 16, n_events).await?;
    let append_64 = append_phase(&store, "a64", 64, n_events).await?;
    for &n_appenders in extra_appenders.iter().filter(|n| **n > 0) {
        let rate = append_phase(&store, &format!("x{n_appenders}"), n_appenders, n_events).await?;
        println!("append_{n_appenders}={rate:.0}");
    }
    let load =
        |counter: &std::sync::atomic::AtomicU64| counter.load(std::sync::atomic::Ordering::Relaxed);
    let (n_batches, n_records) = (load(&pg.stats().n_batches), load(&pg.stats().n_records));
    let per_batch_us = |counter: &std::sync::atomic::AtomicU64| {
        load(counter) as f64 / n_batches.max(1) as f64 / 1e3
    };
    let commit_us_per_batch = per_batch_us(&pg.stats().commit_nanos);
    let begin_us = per_batch_us(&pg.stats().begin_nanos);
    let read_us = per_batch_us(&pg.stats().read_nanos);
    let write_us = per_batch_us(&pg.stats().write_nanos);

    let (read, _) = read_phase(store.as_ref()).await?;

    let raw = raw_baselines(&pg, n_events).await?;
    pg.close();

    emit("append_1", append_1);
    emit("append_16", append_16);
    emit("append_64", append_64);
    emit("raw_insert_tx_1", raw.insert_1);
    emit("raw_insert_tx_16", raw.insert_16);
    emit("pg_ratio_64", append_64 / raw.insert_1);
    emit("pg_ratio_64_vs_raw_16", append_64 / raw.insert_16);
    emit("pg_ratio_1", append_1 / raw.insert_1);
    emit("group_commit_gain", append_64 / append_1);
    emit("read", read);
    emit("raw_select", raw.select);
    emit("read_ratio", read / raw.select);
    println!("batches={n_batches}");
    println!("records={n_records}");
    println!("commit_us_per_batch={commit_us_per_batch:.1}");
    // Where a batch's time goes, one figure per round trip (the spans
    // pg.begin_lock_tip, pg.heads_keys, pg.write_commit).
    println!("phase_us_begin_lock_tip={begin_us:.1}");
    println!("phase_us_heads_keys={read_us:.1}");
    println!("phase_us_write_commit={write_us:.1}");
    Ok(())
}

struct RawFigures {
    insert_1: f64,
    insert_16: f64,
    select: f64,
}

/// Single-row INSERT transactions (autocommit, `synchronous_commit = on`:
/// one WAL flush each) of rows with the log's columns and the same
/// payloads, then a full `SELECT` + JSON decode of them.
async fn raw_baselines(pg: &PgStore, n_events: u64) -> anyhow::Result<RawFigures> {
    {
        let client = pg.pool().get().await?;
        client
            .batch_execute(
                // The log's own table shape (same columns, keys and
                // indexes), without its sequencing, chain or group commit.
                "CREATE TABLE raw_events (LIKE events INCLUDING ALL)",
            )
            .await?;
    }
    let insert_1 = raw_insert_phase(pg, 0, 1, n_events).await?;
    let insert_16 = raw_insert_phase(pg, n_events, 16, n_events).await?;

    let client = pg.pool().get().await?;
    let started = Instant::now();
    let rows = client
        .query("SELECT * FROM raw_events ORDER BY position", &[])
        .await?;
    let mut n_decoded = 0u64;
    for row in &rows {
        let payload: String = row.try_get(11)?;
        let decoded: serde_json::Value = serde_json::from_str(&payload)?;
        n_decoded += u64::from(decoded.is_object());
    }
    let select = n_decoded as f64 / started.elapsed().as_secs_f64();
    Ok(RawFigures {
        insert_1,
        insert_16,
        select,
    })
}

/// `n_events` INSERT transactions from `n_connections` pooled
/// connections; rows/s.
async fn raw_insert_phase(
    pg: &PgStore,
    first_position: u64,
    n_connections: u64,
    n_events: u64,
) -> anyhow::Result<f64> {
    let bar = crate::progress::bar(n_events, &format!("raw INSERT x{n_connections}"));
    let (start_sender, start) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for connection_idx in 0..n_connections {
        let pool = pg.pool().clone();
        let bar = bar.clone();
        let mut start = start.clone();
        let positions: Vec<u64> = (0..n_events)
            .filter(|n| n % n_connections == connection_idx)
            .map(|n| first_position + n)
            .collect();
        tasks.push(tokio::spawn(async move {
            let client = pool.get().await?;
            client.batch_execute("SET synchronous_commit TO on").await?;
            let statement = client
                .prepare(
                    "INSERT INTO raw_events VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                     $11, $12, $13, $14)",
                )
                .await?;
            start.wait_for(|started| *started).await?;
            let stream_id = format!("raw-{first_position}-{connection_idx}");
            for (version, position) in positions.into_iter().enumerate() {
                let id = Uuid::now_v7();
                let body = json!(payload(position)).to_string();
                let hash = vec![0u8; 32];
                client
                    .execute(
                        &statement,
                        &[
                            &i64::try_from(position)?,
                            &id,
                            &stream_id,
                            &i64::try_from(version)?,
                            &"VisitLogged",
                            &1i32,
                            &1_764_000_000_000_000i64,
                            &"rep:bench",
                            &id,
                            &id,
                            &id,
                            &body,
                            &hash,
                            &hash,
                        ],
                    )
                    .await?;
                bar.inc(1);
            }
            anyhow::Ok(())
        }));
    }
    timed_together(start_sender, tasks, bar, n_events).await
}
