//! Evidence bundles from the subject index (issue 15): the one wiring of
//! index -> positions -> bundle, used by `salesledger evidence` and by the
//! gateway's `GET /v1/audit/evidence/...`; and what the gateway's other
//! audit routes answer, without HTTP ([`EvidenceTree`]: bundles,
//! consistency proofs and witnesses' cosignatures over the gateway's own
//! tree; [`export_chunks`]: the streamed export).
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

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use salesledger_projections::tables::subjects::{selection, SubjectSelection, SubjectsTables};
use salesledger_projections::tables::TableProjector;
use salesledger_replay::audit::bundle::{
    prove_bundle_timed, with_policies, Bundle, ProveTimings, Subject,
};
use salesledger_replay::audit::checkpoint::Checkpoint;
use salesledger_replay::audit::cosignature::{Added, CosignatureFiles, CosignatureVerifier};
use salesledger_replay::audit::export::{record_line, EXPORT_FORMAT};
use salesledger_replay::audit::log_tree::LogTree;
use salesledger_replay::audit::merkle::Hash;
use salesledger_replay::audit::{checkpoint_covering, checkpoint_of_size, AuditError, ServerKey};
use salesledger_replay::readmodel::{ReadModelError, TableRunner};
use salesledger_store::{FsBlobStore, Store, StoreError, READ_PAGE};

/// Why a bundle could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// The subject index is not caught up, or failed.
    #[error("subject index: {0}")]
    Index(#[from] ReadModelError),
    /// The audit stack failed.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The log holds no event about the subject (a mistyped id, most
    /// often): the gateway's 404.
    #[error("evidence: the log holds no event about {kind} {id}")]
    NoEvents { kind: String, id: String },
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

/// Where the time of one [`indexed_bundle`] went (`bench audit`'s
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
/// each record against it, saying where its time went. `tree` must be
/// caught up with the log.
pub async fn indexed_bundle(
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
        return Err(no_events(subject));
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

fn no_events(subject: &Subject) -> EvidenceError {
    EvidenceError::NoEvents {
        kind: subject.kind.clone(),
        id: subject.id.to_string(),
    }
}

/// How long a bundle waits for the subject index to fold the log.
pub const INDEX_WAIT: Duration = Duration::from_secs(10);

/// Subdirectory of the data directory holding the gateway's evidence tree.
pub const EVIDENCE_TREE_DIR: &str = "evidence";

/// The Merkle tree a running gateway proves bundles and consistency with.
/// It lives in `DATA/evidence/merkle`, apart from `DATA/merkle`, which
/// `serve`'s checkpointer maintains (one maintainer per tree); it is opened
/// on first use and kept (behind a lock: one bundle is built at a time).
/// The signing key is the data directory's (`DATA/audit`), the
/// checkpointer's.
#[derive(Debug)]
pub struct EvidenceTree {
    data_dir: PathBuf,
    tree: tokio::sync::Mutex<Option<LogTree>>,
    /// The log is shared with other gateways (PostgreSQL): checkpoints are
    /// signed by one designated process only, so this one builds no
    /// bundles (it would sign with its own key).
    shared_log: bool,
    /// Serialises the read-modify-write of cosignature files.
    cosignatures: Arc<std::sync::Mutex<()>>,
}

impl EvidenceTree {
    pub fn new(data_dir: &Path, shared_log: bool) -> EvidenceTree {
        EvidenceTree {
            data_dir: data_dir.to_owned(),
            tree: tokio::sync::Mutex::new(None),
            shared_log,
            cosignatures: Arc::default(),
        }
    }

    /// Whether the log is shared with other processes (then this one
    /// builds no bundles).
    pub fn shares_log(&self) -> bool {
        self.shared_log
    }

    /// The cosignatures witnesses stored for this data directory's
    /// checkpoints (`DATA/audit/cosignatures`).
    pub fn cosignature_files(&self) -> CosignatureFiles {
        CosignatureFiles::new(&self.data_dir)
    }

    /// The evidence bundle of `subject` from the subject index in `tables`
    /// ([`indexed_bundle`]), its checkpoint's note carrying the stored
    /// cosignatures.
    pub async fn bundle(
        &self,
        store: &dyn Store,
        tables: &Arc<TableRunner>,
        subject: &Subject,
    ) -> Result<Bundle, EvidenceError> {
        let mut slot = self.tree.lock().await;
        let key = ServerKey::load_or_create(&self.data_dir)?;
        let tree = caught_up(&mut slot, &self.data_dir, store).await?;
        let built = indexed_bundle(store, tables, tree, &key, subject, None, INDEX_WAIT)
            .await
            .map(|(bundle, _)| bundle);
        tree.sync()?;
        drop(slot);
        let mut bundle = built?;
        bundle.checkpoint.note = self.cosignature_files().cosigned_note(
            &bundle.checkpoint.note,
            bundle.checkpoint.tree_size,
            &bundle.checkpoint.root_hash.0,
        )?;
        Ok(bundle)
    }

    /// The RFC 9162 consistency proof between tree sizes `from` and `to`
    /// of the log, with both roots.
    pub async fn consistency(
        &self,
        store: &dyn Store,
        from: u64,
        to: u64,
    ) -> Result<Consistency, ConsistencyError> {
        if from == 0 || from > to {
            return Err(ConsistencyError::InvalidSizes { from, to });
        }
        let mut slot = self.tree.lock().await;
        let tree = caught_up(&mut slot, &self.data_dir, store).await?;
        if to > tree.size() {
            return Err(ConsistencyError::BeyondLog {
                to,
                size: tree.size(),
            });
        }
        Ok(Consistency {
            from_root: tree.root_at(from)?,
            to_root: tree.root_at(to)?,
            proof: tree.consistency_proof(from, to)?,
        })
    }

    /// Verifies a witness's cosignature of the checkpoint the log signed at
    /// `request.tree_size` and stores it (one line per witness key).
    pub async fn add_cosignature(
        &self,
        store: &dyn Store,
        request: CosignatureOffer<'_>,
    ) -> Result<CosignatureAdded, CosignatureError> {
        let witness = CosignatureVerifier::parse_vkey(request.witness_key)
            .map_err(|error| CosignatureError::WitnessKey(error.to_string()))?;
        let root: [u8; 32] = hex::decode(request.root_hash)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .filter(|root: &[u8; 32]| hex::encode(root) == request.root_hash)
            .ok_or(CosignatureError::RootHash)?;
        let checkpoint = checkpoint_of_size(store, request.tree_size)
            .await?
            .ok_or(CosignatureError::UnknownCheckpoint(request.tree_size))?;
        if checkpoint.payload.root_hash.0 != root {
            return Err(CosignatureError::Mismatch {
                tree_size: request.tree_size,
                logged: checkpoint.payload.root_hash.to_string(),
                offered: request.root_hash.to_owned(),
            });
        }
        // The body the log signed, from its own note.
        let body_text = checkpoint
            .payload
            .note
            .rsplit_once("\n\n")
            .map(|(text, _)| format!("{text}\n"))
            .ok_or(CosignatureError::Stored("a stored note has no body"))?;
        if Checkpoint::parse_body(&body_text)
            .map_err(AuditError::from)?
            .root_hash
            != root
        {
            return Err(CosignatureError::Stored(
                "a stored checkpoint's note and payload disagree",
            ));
        }
        let line = request.cosignature.trim_end_matches('\n');
        if line.contains('\n') {
            return Err(CosignatureError::Lines);
        }
        let cosigned_at = witness
            .verify_line(&body_text, line)
            .map_err(|error| CosignatureError::DoesNotVerify(error.to_string()))?;
        let files = self.cosignature_files();
        let lock = self.cosignatures.clone();
        let (line, tree_size, stored_witness) =
            (line.to_owned(), request.tree_size, witness.clone());
        let added = tokio::task::spawn_blocking(move || {
            let _guard = lock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            files.add(tree_size, &root, &stored_witness, &line)
        })
        .await
        .map_err(|error| CosignatureError::Task(error.to_string()))??;
        Ok(CosignatureAdded {
            witness,
            cosigned_at,
            added,
        })
    }
}

/// The evidence tree, opened on first use, caught up with the log.
async fn caught_up<'a>(
    slot: &'a mut Option<LogTree>,
    data_dir: &Path,
    store: &dyn Store,
) -> Result<&'a mut LogTree, AuditError> {
    Ok(match slot {
        Some(tree) => {
            tree.catch_up(store).await?;
            tree
        }
        None => slot.insert(LogTree::open(&data_dir.join(EVIDENCE_TREE_DIR), store).await?),
    })
}

/// A consistency proof between two tree sizes, with both roots.
#[derive(Debug)]
pub struct Consistency {
    pub from_root: Hash,
    pub to_root: Hash,
    pub proof: Vec<Hash>,
}

/// Why a consistency proof could not be given.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsistencyError {
    #[error("a consistency proof needs 1 <= from <= to (got from={from}, to={to})")]
    InvalidSizes { from: u64, to: u64 },
    #[error("to={to} is beyond the log, which holds {size} records")]
    BeyondLog { to: u64, size: u64 },
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// A witness's cosignature as offered (`POST /v1/audit/cosignatures`).
#[derive(Clone, Copy, Debug)]
pub struct CosignatureOffer<'a> {
    pub tree_size: u64,
    pub root_hash: &'a str,
    pub witness_key: &'a str,
    pub cosignature: &'a str,
}

/// A verified cosignature, stored.
#[derive(Debug)]
pub struct CosignatureAdded {
    pub witness: CosignatureVerifier,
    /// When the witness says it cosigned (Unix seconds).
    pub cosigned_at: u64,
    pub added: Added,
}

/// Why a cosignature was not stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CosignatureError {
    #[error("witness_key: {0}")]
    WitnessKey(String),
    #[error("root_hash is not 64 lower-case hex digits")]
    RootHash,
    #[error("one cosignature line per request")]
    Lines,
    #[error("the cosignature does not verify: {0}")]
    DoesNotVerify(String),
    #[error("the log signed no checkpoint of tree size {0}")]
    UnknownCheckpoint(u64),
    #[error(
        "the log's checkpoint of tree size {tree_size} has root {logged}, not {offered}: the witness saw another log"
    )]
    Mismatch {
        tree_size: u64,
        logged: String,
        offered: String,
    },
    /// The log's own checkpoint record is inconsistent.
    #[error("{0}")]
    Stored(&'static str),
    #[error("storing the cosignature: {0}")]
    Task(String),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// Why a log export could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("from={from} is beyond the log, which holds {len} records")]
    BeyondLog { from: u64, len: u64 },
    #[error("the record before `from` is missing")]
    MissingPrevious,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The portable JSON-lines export of the log from position `from` up to
/// the head as it is now, as chunks of bytes: the header line
/// (`ExportHeader`'s key order: format, (from, prev_hash,) records,
/// head_hash), then the records' lines page by page.
pub async fn export_chunks(
    store: Arc<dyn Store>,
    from: u64,
) -> Result<impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> + Send, ExportError> {
    let head = store.head();
    if from > head.len {
        return Err(ExportError::BeyondLog {
            from,
            len: head.len,
        });
    }
    let mut first = format!("{{\"format\":\"{EXPORT_FORMAT}\"");
    if from > 0 {
        let previous = store.read_all(from - 1, 1).await?;
        let prev_hash = previous
            .first()
            .map(|record| record.hash)
            .ok_or(ExportError::MissingPrevious)?;
        first.push_str(&format!(",\"from\":{from},\"prev_hash\":\"{prev_hash}\""));
    }
    first.push_str(&format!(
        ",\"records\":{},\"head_hash\":\"{}\"}}\n",
        head.len - from,
        head.last_hash
    ));
    let first = first.into_bytes();
    let end = head.len;
    Ok(futures_util::stream::try_unfold(
        (store, from, Some(first)),
        move |(store, next, first)| async move {
            if let Some(first) = first {
                return Ok(Some((first, (store, next, None))));
            }
            if next >= end {
                return Ok::<_, std::io::Error>(None);
            }
            let records = store
                .read_all(next, READ_PAGE)
                .await
                .map_err(std::io::Error::other)?;
            let mut chunk = Vec::new();
            let mut after = next;
            for record in records.iter().take_while(|record| record.position < end) {
                chunk.extend(record_line(record).map_err(std::io::Error::other)?);
                after = record.position + 1;
            }
            if after == next {
                return Err(std::io::Error::other(format!(
                    "record {next} missing from the log"
                )));
            }
            Ok(Some((chunk, (store, after, None))))
        },
    ))
}
