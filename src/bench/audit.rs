//! `bench audit`: the audit layer over a log of N records (default 1M)
//! in a temporary data directory, one customer holding 1,000 of them:
//! inclusion proofs per second from the persistent tree, the subject
//! index's fold (`index_build`, records/s), the customer's evidence bundle
//! from the index (`bundle_ms`: index rows, records by position, proofs,
//! signatures; target < 100 ms) and by a scan (`bundle_scan_ms`), full verification (chain,
//! every tree node, checkpoints) against a raw SHA-256 of the same
//! canonical bytes in the same run, and export throughput: the JSON
//! export (`export`) and the Parquet export (`export_parquet`, target
//! >= 0.5x) beside a raw scan (`raw_scan`: read and decode only).

use std::time::Instant;

use anyhow::{bail, Context};
use rand::{Rng, SeedableRng};
use salesledger_projections::tables::subjects::SubjectsTables;
use salesledger_replay::audit::bundle::{build_bundle, Subject};
use salesledger_replay::audit::export::export_to_file;
use salesledger_replay::audit::log_tree::LogTree;
use salesledger_replay::audit::{sign_checkpoint, verify_log_audit, CheckpointKeys, ServerKey};
use salesledger_store::{ExpectedVersion, NewEvent, SledStore, Store, READ_PAGE};
use serde_json::json;
use uuid::Uuid;

use super::emit;

/// Events per append request while filling the log.
const EVENTS_PER_REQUEST: u64 = 500;
/// Events of the bundled customer.
const CUSTOMER_EVENTS: u64 = 1_000;

/// A follow-up on `customer`'s stream: a real domain event, as the
/// subject index folds the log through the domain's decoder.
fn event(n: u64, customer: Uuid) -> NewEvent {
    NewEvent::new(
        "FollowUpRecorded",
        1,
        &json!({
            "customer_id": customer.to_string(),
            "rep_id": Uuid::from_u128(u128::from(n % 40) + 0x5eb0).to_string(),
            "kind": "visit",
            "occurred_at": "2026-03-02T09:00:00Z",
            "visit_id": null,
            "qualifying": n % 3 == 0,
            "protected_until": null,
            "policy_version": n % 17,
        }),
    )
}

/// `bench audit` options.
#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// Records in the log (one customer holds 1,000 of them).
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Keep the log in DATA instead of a temporary directory; a log that
    /// `bench audit --events N --data DATA` left there is reused, not
    /// filled again (to compare bundle builds on the same log, each from a
    /// fresh process).
    #[arg(long, value_name = "DATA")]
    pub data: Option<std::path::PathBuf>,
    /// Time only the bundle (first build, then again); skip the proofs,
    /// scan, verification and export figures.
    #[arg(long)]
    pub bundle_only: bool,
}

/// `bundle_ms` by step (milliseconds): index rows, checkpoint, record
/// reads and proofs (overlapping: each from the start of the step),
/// encoding, manifest signature.
fn emit_bundle_breakdown(timings: &crate::evidence::BundleTimings) {
    let ms = |duration: std::time::Duration| duration.as_secs_f64() * 1e3;
    emit("bundle_index_ms", ms(timings.index));
    emit("bundle_checkpoint_ms", ms(timings.checkpoint));
    emit("bundle_read_ms", ms(timings.prove.read));
    emit("bundle_proofs_ms", ms(timings.prove.proofs));
    emit("bundle_assemble_ms", ms(timings.prove.assemble));
    emit("bundle_sign_ms", ms(timings.prove.sign));
}

/// Inclusion proofs for random leaves against the full tree.
fn proofs_per_s(tree: &LogTree, size: u64) -> anyhow::Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let n_proofs = 100_000u64;
    let started = Instant::now();
    let mut n_hashes = 0usize;
    for _ in 0..n_proofs {
        let leaf = rng.gen_range(0..size);
        n_hashes += tree.inclusion_proof(leaf, size)?.len();
    }
    anyhow::ensure!(n_hashes > 0, "no proof hashes");
    emit(
        "proofs_per_s",
        n_proofs as f64 / started.elapsed().as_secs_f64(),
    );
    Ok(())
}

pub fn run(args: AuditArgs) -> anyhow::Result<()> {
    let n_events = args.events;
    if n_events < 2 * CUSTOMER_EVENTS {
        bail!(crate::t!(
            "cli-bench-events-at-least",
            n = 2 * CUSTOMER_EVENTS
        ));
    }
    let temporary;
    let data = match &args.data {
        Some(data) => data.as_path(),
        None => {
            temporary = crate::scratch::ScratchDir::new("salesledger-bench-audit-")
                .with_context(|| crate::t!("cli-creating-temporary-directory"))?;
            temporary.path()
        }
    };
    println!("events={n_events}");
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let store = SledStore::open(data)?;
        // A log this bench left in `--data` is reused as it is.
        let reused = store.head().len;
        if reused != 0 && reused < n_events {
            bail!(
                "{} holds a log of {reused} records, fewer than --events {n_events}",
                data.display()
            );
        }
        // Fill: the bundled customer gets every (N / 1000)-th event on its
        // own stream; the rest go to 427 other customers' streams.
        let bundled = Uuid::from_u128(0xb0b);
        let stride = n_events / CUSTOMER_EVENTS;
        let bar = crate::progress::bar(n_events, "filling the log");
        let mut n = if reused == 0 { 0 } else { n_events };
        while n < n_events {
            let count = EVENTS_PER_REQUEST.min(n_events - n);
            let mut by_stream: std::collections::BTreeMap<Uuid, Vec<NewEvent>> =
                std::collections::BTreeMap::new();
            for k in n..n + count {
                let customer = if k % stride == 0 && k / stride < CUSTOMER_EVENTS {
                    bundled
                } else {
                    Uuid::from_u128(u128::from(k % 427) + 1)
                };
                by_stream
                    .entry(customer)
                    .or_default()
                    .push(event(k, customer));
            }
            for (customer, events) in by_stream {
                store
                    .append(super::store::append_request(
                        format!("customer-{customer}"),
                        ExpectedVersion::Any,
                        events,
                    ))
                    .await?;
            }
            n += count;
            bar.set_position(n);
        }
        bar.finish_and_clear();

        let started = Instant::now();
        let mut tree = LogTree::open(data, &store).await?;
        if reused == 0 {
            emit(
                "tree_build",
                n_events as f64 / started.elapsed().as_secs_f64(),
            );
        }
        let key = ServerKey::load_or_create(data)?;
        if reused == 0 {
            sign_checkpoint(&store, &mut tree, &key).await?;
        }
        tree.catch_up(&store).await?;
        tree.sync()?;
        if !args.bundle_only {
            proofs_per_s(&tree, tree.size())?;
        }

        // The customer's bundle from the subject index (latest checkpoint
        // covers it): the index is folded first, then only the bundle is
        // timed.
        let shared: std::sync::Arc<dyn Store> = std::sync::Arc::new(store.clone());
        let started = Instant::now();
        let tables = std::sync::Arc::new(
            salesledger_replay::readmodel::TableRunner::builder(
                shared.clone(),
                data.join(crate::views::TABLES_DIR),
            )
            .with::<SubjectsTables>()
            .start()
            .await?,
        );
        tables
            .wait_caught_up(std::time::Duration::from_secs(24 * 3600))
            .await?;
        if reused == 0 {
            emit(
                "index_build",
                n_events as f64 / started.elapsed().as_secs_f64(),
            );
        }
        let subject = Subject::customer(bundled);
        // Twice: the second time the pages it touched are cached (the
        // figure a second auditor asking for it would see).
        let mut first: Option<Vec<_>> = None;
        for figure in ["bundle_ms", "bundle_again_ms"] {
            let started = Instant::now();
            let (bundle, timings) = crate::evidence::indexed_bundle(
                &store,
                &tables,
                &mut tree,
                &key,
                &subject,
                None,
                std::time::Duration::from_secs(60),
            )
            .await?;
            emit(figure, started.elapsed().as_secs_f64() * 1e3);
            match &first {
                None => {
                    anyhow::ensure!(
                        bundle.events.len() as u64 == CUSTOMER_EVENTS,
                        "the bundle holds {} events",
                        bundle.events.len()
                    );
                    println!("bundle_events={}", bundle.events.len());
                    emit_bundle_breakdown(&timings);
                    first = Some(bundle.events);
                }
                Some(events) => anyhow::ensure!(
                    bundle.events == *events,
                    "the second bundle differs from the first"
                ),
            }
        }
        if args.bundle_only {
            tables.stop().await?;
            store.close().await;
            return anyhow::Ok(());
        }
        // The same bundle by a scan of the log (the reference selection).
        let started = Instant::now();
        let scanned = build_bundle(&store, &mut tree, &key, &subject, None, |_, _| {}).await?;
        emit("bundle_scan_ms", started.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(
            Some(&scanned.events) == first.as_ref(),
            "the index and the scan select different events"
        );
        tables.stop().await?;

        // Full verification against raw SHA-256 of the same bytes.
        let total = store.head().len;
        let started = Instant::now();
        let report = verify_log_audit(
            &store,
            &tree,
            CheckpointKeys::Published(std::slice::from_ref(key.verifier())),
            |_, _| {},
        )
        .await?;
        let verify = total as f64 / started.elapsed().as_secs_f64();
        anyhow::ensure!(
            report.failure.is_none(),
            "verify failed: {:?}",
            report.failure
        );
        // The raw scan: every record read and decoded, nothing else.
        let started = Instant::now();
        let mut next = 0;
        while next < total {
            let records = store.read_all(next, READ_PAGE).await?;
            next += records.len() as u64;
            std::hint::black_box(&records);
            if records.is_empty() {
                break;
            }
        }
        let raw_scan = next as f64 / started.elapsed().as_secs_f64();
        let mut canonical: Vec<Vec<u8>> = Vec::with_capacity(usize::try_from(total)?);
        let mut next = 0;
        while next < total {
            let records = store.read_all(next, READ_PAGE).await?;
            next += records.len() as u64;
            canonical.extend(records.iter().map(|record| record.canonical_bytes()));
            if records.is_empty() {
                break;
            }
        }
        let started = Instant::now();
        let mut acc = 0u8;
        for bytes in &canonical {
            acc ^= salesledger_store::Hash32::sha256(bytes).0[0];
        }
        let raw_sha = canonical.len() as f64 / started.elapsed().as_secs_f64();
        std::hint::black_box(acc);
        emit("verify", verify);
        emit("raw_sha", raw_sha);
        emit("verify_vs_sha", verify / raw_sha);
        println!("record_bytes={}", canonical.first().map_or(0, Vec::len));
        drop(canonical);

        let export_path = data.join("export.jsonl");
        let started = Instant::now();
        export_to_file(&store, &export_path, |_, _| {}).await?;
        let export = total as f64 / started.elapsed().as_secs_f64();
        emit("raw_scan", raw_scan);
        emit("export", export);

        // The analysts' export (issue 19): Parquet with the chain verified
        // while reading; target >= 0.5x the raw scan.
        let parquet_dir = data.join("parquet");
        let started = Instant::now();
        crate::analytics::log::export_log_parquet(
            &store,
            &parquet_dir,
            // a reused --data directory holds the last run's export
            crate::analytics::log::ParquetLogOptions {
                force: true,
                ..Default::default()
            },
            |_, _| {},
        )
        .await?;
        let export_parquet = total as f64 / started.elapsed().as_secs_f64();
        emit("export_parquet", export_parquet);
        emit("export_parquet_vs_scan", export_parquet / raw_scan);
        store.close().await;
        anyhow::Ok(())
    })
}
