//! Evidence bundles from the subject index (issue 15): the one wiring of
//! index -> positions -> bundle, used by `salesledger evidence` and by the
//! gateway's `GET /v1/audit/evidence/...`.
//!
//! The read-model engine (the `subjects` table projector,
//! `salesledger_projections::tables::subjects`) and the audit stack
//! (`salesledger_replay::audit::bundle::prove_bundle`) do not know each
//! other; this module reads the positions from the one and hands them to
//! the other. Building a bundle reads the subject's index rows and its
//! records by position: it costs the subject's events, not a log scan.
//!
//! Completeness: the bundle's manifest says "these are the subject's
//! events in the tree of size T", so the index must have folded every
//! record below T before the positions are read: the builder waits for it
//! (and reads again when a freshly signed checkpoint covers more than the
//! index had).

use std::sync::Arc;
use std::time::{Duration, Instant};

use salesledger_projections::tables::subjects::{selection, SubjectSelection, SubjectsTables};
use salesledger_projections::tables::TableProjector;
use salesledger_replay::audit::bundle::{
    prove_bundle_timed, with_policies, Bundle, ProveTimings, Subject,
};
use salesledger_replay::audit::log_tree::LogTree;
use salesledger_replay::audit::{checkpoint_covering, AuditError, ServerKey};
use salesledger_replay::readmodel::{ReadModelError, TableRunner};
use salesledger_store::{FsBlobStore, Store};

/// Why a bundle could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// The subject index is not caught up, or failed.
    #[error("subject index: {0}")]
    Index(#[from] ReadModelError),
    /// The audit stack failed, or (`AuditError::Evidence`) the log holds no
    /// event about the subject.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// The subject's selection from the index, once it has folded every record
/// below `covering`; and the position the index had reached.
async fn read_selection(
    tables: &Arc<TableRunner>,
    subject: &Subject,
    covering: u64,
    wait: Duration,
) -> Result<(SubjectSelection, u64), EvidenceError> {
    if let Some(last) = covering.checked_sub(1) {
        tables.wait_for(SubjectsTables::NAME, last, wait).await?;
    }
    let tables = tables.clone();
    let (kind, id) = (subject.kind.clone(), subject.id);
    let (found, checkpoint) = tokio::task::spawn_blocking(move || {
        tables.read_with::<SubjectsTables, _>(|rows| selection(rows, &kind, id))
    })
    .await
    .map_err(|error| ReadModelError::Task(error.to_string()))??;
    Ok((found, checkpoint.next_position))
}

/// The positions a bundle of `subject` holds: its own (from the index)
/// and the policy publications in force over them.
fn positions_of(found: SubjectSelection) -> Vec<u64> {
    with_policies(found.positions, &found.policies)
}

/// Where the time of one [`indexed_bundle_timed`] went (`bench audit`'s
/// breakdown of `bundle_ms`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BundleTimings {
    /// Reading the subject's positions from the index (both reads when a
    /// fresh checkpoint made a second one necessary).
    pub index: Duration,
    /// Finding (or signing) the checkpoint that covers them.
    pub checkpoint: Duration,
    /// Records, proofs, encoding and the manifest's signature.
    pub prove: ProveTimings,
}

/// Builds the bundle of `subject` from the subject index in `tables`
/// (which must run the `subjects` projector): waits (up to `wait`) for the
/// index to cover the log, reads the positions, takes the latest
/// checkpoint if it covers them (else signs one with `key`), and proves
/// each record against it. `tree` must be caught up with the log.
pub async fn indexed_bundle(
    store: &dyn Store,
    tables: &Arc<TableRunner>,
    tree: &mut LogTree,
    key: &ServerKey,
    subject: &Subject,
    blobs: Option<&FsBlobStore>,
    wait: Duration,
) -> Result<Bundle, EvidenceError> {
    let (bundle, _) = indexed_bundle_timed(store, tables, tree, key, subject, blobs, wait).await?;
    Ok(bundle)
}

/// [`indexed_bundle`], also saying where its time went.
pub async fn indexed_bundle_timed(
    store: &dyn Store,
    tables: &Arc<TableRunner>,
    tree: &mut LogTree,
    key: &ServerKey,
    subject: &Subject,
    blobs: Option<&FsBlobStore>,
    wait: Duration,
) -> Result<(Bundle, BundleTimings), EvidenceError> {
    let mut timings = BundleTimings::default();
    let started = Instant::now();
    let head = store.head().len;
    let (found, indexed) = read_selection(tables, subject, head, wait).await?;
    let mut positions = positions_of(found);
    timings.index = started.elapsed();
    let Some(last) = positions.last().copied() else {
        return Err(no_events(subject).into());
    };
    let started = Instant::now();
    let checkpoint = checkpoint_covering(store, tree, key, last + 1).await?;
    timings.checkpoint = started.elapsed();
    if checkpoint.payload.tree_size > indexed {
        // A fresh checkpoint covers records the index had not folded yet.
        let started = Instant::now();
        let (found, _) =
            read_selection(tables, subject, checkpoint.payload.tree_size, wait).await?;
        positions = positions_of(found);
        timings.index += started.elapsed();
    }
    let (bundle, prove) =
        prove_bundle_timed(store, tree, key, subject, &checkpoint, &positions, blobs).await?;
    timings.prove = prove;
    Ok((bundle, timings))
}

fn no_events(subject: &Subject) -> AuditError {
    AuditError::Evidence(format!(
        "the log holds no event about {} {}",
        subject.kind, subject.id
    ))
}
