//! Evidence bundles: every event about one customer or one proposal, each
//! with an RFC 9162 inclusion proof against a signed checkpoint, in one
//! self-contained JSON file that anyone can check offline
//! ([`verify_bundle`]: no data directory, no network, only the file and,
//! ideally, the log's verifier key obtained independently).
//!
//! # What a bundle holds (format `salesledger-evidence/3`)
//!
//! - `subject`: `{"kind": "customer"|"lead"|"proposal", "id": "<uuid>"}`;
//! - `log`: the origin, the C2SP verifier key and its fingerprint
//!   (SHA-256 of the raw public key, hex);
//! - `checkpoint`: the signed C2SP checkpoint note the proofs are against,
//!   with its tree size, root (hex) and the position of its own record;
//! - `manifest`: a signed note by the same key listing the subject, the
//!   checkpoint (size, root, its record's position and signing time) and
//!   every included event as
//!   `<position> <leaf hash hex>`, so that dropping, reordering or adding an
//!   event breaks a signature (see [`manifest_text`]);
//! - `events`: in position order, each with its canonical record bytes
//!   (base64), record hash, leaf hash, inclusion proof (hex, leaf to root),
//!   and the record decoded for reading (checked against the bytes);
//! - `attachments`: every SHA-256 referenced by a payload field named
//!   `sha256` (proposal PDFs), with the positions referencing it, and with
//!   `--with-files` the content (base64);
//! - `schema_versions`: event type -> payload schema versions present;
//! - `timeline`: one line per event, for people (checked too).
//!
//! # Which events (its scope, [`Scope`])
//!
//! A customer: its `customer-<id>` and `account-<id>` streams, every
//! stream whose opening event (version 0) names it as top-level
//! `customer_id` (the lead registered for it, its proposals, contracts,
//! visits, nurture packs, process assets: the relations the log records),
//! any other record whose payload names it as `customer_id`, and the
//! publications of the health, pool and routing policies in force while
//! those events happened. A lead: its `lead-<id>` stream and the routing
//! rules in force. A proposal: its `proposal-<id>` stream. The verifier
//! derives the same scope from the bundle's own events and refuses an
//! event outside it; every stream of the subject and linked to it must be
//! whole (versions 0, 1, 2, ... without a gap).
//!
//! The server chooses the events (the binary reads them from its subject
//! index and hands the positions to [`prove_bundle`]; [`build_bundle`] is
//! the reference selection by a scan of the log). Format
//! `salesledger-evidence/1` (customers and proposals only: a customer's own
//! streams and the records naming it) is still verified as it was.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::SecondsFormat;
use salesledger_store::{FsBlobStore, Hash32, RecordedEvent, Store, StoreError, READ_PAGE};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::checkpoint::{Checkpoint, CheckpointError, NoteVerifier};
use super::cosignature::{check_quorum, distinct_witnesses, CosignatureVerifier, QuorumReport};
use super::error::AuditError;
use super::log_audit::{
    checkpoint_covering, key_fingerprint, CheckpointRecord, ServerKey, CHECKPOINT_STREAM,
};
use super::log_tree::LogTree;
use super::merkle::{leaf_hash, verify_inclusion, MerkleError};

/// The `format` of bundles written by this version.
pub const BUNDLE_FORMAT: &str = "salesledger-evidence/3";
/// The format of bundles written before the checkpoint's record position
/// and signing time were signed: still verified, those two fields as
/// given.
pub const BUNDLE_FORMAT_V2: &str = "salesledger-evidence/2";
/// The format of bundles written before the subject index (issue 15):
/// still verified, with its narrower scope.
pub const BUNDLE_FORMAT_V1: &str = "salesledger-evidence/1";
/// First line of a bundle manifest's signed text.
pub const MANIFEST_HEADER: &str = "salesledger evidence manifest v3";
/// First line of a format 2 bundle's manifest.
pub const MANIFEST_HEADER_V2: &str = "salesledger evidence manifest v2";
/// First line of a format 1 bundle's manifest.
pub const MANIFEST_HEADER_V1: &str = "salesledger evidence manifest v1";

/// The bundle formats this version verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    V1,
    V2,
    V3,
}

impl Format {
    fn parse(format: &str) -> Option<Format> {
        match format {
            BUNDLE_FORMAT => Some(Format::V3),
            BUNDLE_FORMAT_V2 => Some(Format::V2),
            BUNDLE_FORMAT_V1 => Some(Format::V1),
            _ => None,
        }
    }

    fn manifest_header(self) -> &'static str {
        match self {
            Format::V1 => MANIFEST_HEADER_V1,
            Format::V2 => MANIFEST_HEADER_V2,
            Format::V3 => MANIFEST_HEADER,
        }
    }
}
/// The streams of published policies: a customer's bundle carries the
/// versions in force of all three, a lead's those of the routing rules.
pub const POLICY_STREAMS: &[&str] = &["config-health", "config-pool-policy", "config-routing"];

/// The subject of a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// `customer` or `proposal`.
    pub kind: String,
    pub id: Uuid,
}

impl Subject {
    pub fn customer(id: Uuid) -> Subject {
        Subject {
            kind: "customer".into(),
            id,
        }
    }

    pub fn proposal(id: Uuid) -> Subject {
        Subject {
            kind: "proposal".into(),
            id,
        }
    }

    pub fn lead(id: Uuid) -> Subject {
        Subject {
            kind: "lead".into(),
            id,
        }
    }

    /// The subject's own streams (whole in a bundle).
    pub fn own_streams(&self) -> Vec<String> {
        match self.kind.as_str() {
            "customer" => vec![
                format!("customer-{}", self.id),
                format!("account-{}", self.id),
            ],
            "lead" => vec![format!("lead-{}", self.id)],
            "proposal" => vec![format!("proposal-{}", self.id)],
            _ => Vec::new(),
        }
    }

    /// The policy streams whose versions in force a bundle of this
    /// subject carries.
    pub fn policy_streams(&self) -> &'static [&'static str] {
        match self.kind.as_str() {
            "customer" => POLICY_STREAMS,
            "lead" => &["config-routing"],
            _ => &[],
        }
    }

    /// Whether `record` is about this subject under format 1's rule: the
    /// customer's own streams or a payload naming it as `customer_id`; a
    /// proposal's stream.
    fn covers_v1(&self, record: &RecordedEvent) -> bool {
        match self.kind.as_str() {
            "customer" => {
                self.own_streams().contains(&record.stream_id)
                    || payload_customer_id(record) == Some(self.id)
            }
            "proposal" => self.own_streams().contains(&record.stream_id),
            _ => false,
        }
    }
}

/// The top-level `customer_id` of a record's payload, when it is a UUID.
pub fn payload_customer_id(record: &RecordedEvent) -> Option<Uuid> {
    if !record.payload.as_str().contains("\"customer_id\":\"") {
        return None;
    }
    let id = record.payload.top_level_str("customer_id")?;
    Uuid::parse_str(&id).ok()
}

/// The events a bundle of one subject may hold, learnt from the events in
/// position order ([`Scope::admit`]): the subject's own streams, the
/// streams linked to a customer by their opening event, records naming
/// the customer, and the subject's policy streams.
#[derive(Debug, Clone)]
pub struct Scope {
    subject: Subject,
    own: BTreeSet<String>,
    linked: BTreeSet<String>,
}

impl Scope {
    pub fn new(subject: &Subject) -> Scope {
        Scope {
            subject: subject.clone(),
            own: subject.own_streams().into_iter().collect(),
            linked: BTreeSet::new(),
        }
    }

    /// Whether `record` is in scope (records must come in position order:
    /// a stream's opening event links it before its later events).
    pub fn admit(&mut self, record: &RecordedEvent) -> bool {
        if self.own.contains(&record.stream_id) || self.linked.contains(&record.stream_id) {
            return true;
        }
        if self.subject.kind == "customer" && payload_customer_id(record) == Some(self.subject.id) {
            if record.stream_version == 0 {
                self.linked.insert(record.stream_id.clone());
            }
            return true;
        }
        self.subject
            .policy_streams()
            .contains(&record.stream_id.as_str())
    }

    /// The streams that must be whole in the bundle: the subject's own and
    /// the linked ones.
    pub fn whole_streams(&self) -> impl Iterator<Item = &String> {
        self.own.iter().chain(&self.linked)
    }
}

/// The publications of one policy stream in force over a subject's events
/// at `positions` (sorted): the last one published before the first
/// event, and every one published until the last event.
pub fn policies_in_force(positions: &[u64], publications: &[u64]) -> Vec<u64> {
    let (Some(&first), Some(&last)) = (positions.first(), positions.last()) else {
        return Vec::new();
    };
    let before = publications.iter().rev().find(|&&p| p < first).copied();
    before
        .into_iter()
        .chain(
            publications
                .iter()
                .copied()
                .filter(|&p| p >= first && p <= last),
        )
        .collect()
}

/// The whole bundle file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub format: String,
    pub subject: Subject,
    pub log: BundleLog,
    pub checkpoint: BundleCheckpoint,
    pub manifest: String,
    pub events: Vec<BundleEvent>,
    pub attachments: Vec<Attachment>,
    pub schema_versions: BTreeMap<String, Vec<u32>>,
    pub timeline: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleLog {
    pub origin: String,
    pub verifier_key: String,
    pub key_fingerprint: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleCheckpoint {
    /// Position of the checkpoint record in the log.
    pub position: u64,
    pub tree_size: u64,
    pub root_hash: Hash32,
    pub signed_at: String,
    /// The C2SP signed note.
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleEvent {
    pub position: u64,
    /// The canonical record bytes (ARCHITECTURE.md, "Record format"), base64.
    pub canonical: String,
    /// SHA-256 of the canonical bytes (the chain hash).
    pub hash: Hash32,
    /// SHA-256(0x00 || canonical bytes).
    pub leaf_hash: Hash32,
    /// RFC 9162 inclusion proof, leaf to root.
    pub inclusion_proof: Vec<Hash32>,
    /// The record decoded, for reading; must equal the bytes.
    pub record: EventView,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventView {
    pub event_id: Uuid,
    pub stream_id: String,
    pub stream_version: u64,
    pub event_type: String,
    pub schema_version: u32,
    pub recorded_at: String,
    pub actor: String,
    pub command_id: Uuid,
    pub correlation_id: Uuid,
    pub causation_id: Uuid,
    pub prev_hash: Hash32,
    pub payload: serde_json::Value,
}

impl EventView {
    fn of(record: &RecordedEvent) -> Result<EventView, serde_json::Error> {
        Ok(EventView {
            event_id: record.event_id,
            stream_id: record.stream_id.clone(),
            stream_version: record.stream_version,
            event_type: record.event_type.clone(),
            schema_version: record.schema_version,
            recorded_at: record
                .recorded_at
                .to_rfc3339_opts(SecondsFormat::Micros, true),
            actor: record.actor.clone(),
            command_id: record.command_id,
            correlation_id: record.correlation_id,
            causation_id: record.causation_id,
            prev_hash: record.prev_hash,
            payload: record.payload.to_value()?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    pub sha256: Hash32,
    /// Positions of the events whose payload references it.
    pub referenced_by: Vec<u64>,
    /// The file, base64 (only with `--with-files`, when the blob store has it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// The signed text of a bundle's manifest.
///
/// ```text
/// salesledger evidence manifest v3
/// origin <origin>
/// subject <kind> <id>
/// checkpoint <tree size> <base64 root>
/// checkpoint-record <position> <signed_at>
/// events <count>
/// <position> <leaf hash hex>      (one line per event, position order)
/// ```
///
/// The checkpoint note signs its size and root; the `checkpoint-record`
/// line signs what the note does not: where its record stands in the log
/// and when it was signed. Format 2 had no such line (and its first line
/// ends in `v2`), format 1 neither (`v1`). The first line has spaces, so it
/// can never parse as a checkpoint body.
pub fn manifest_text(
    origin: &str,
    subject: &Subject,
    checkpoint: &BundleCheckpoint,
    events: &[(u64, Hash32)],
) -> String {
    manifest_text_in(Format::V3, origin, subject, checkpoint, events)
}

/// [`manifest_text`] as `format` writes it.
fn manifest_text_in(
    format: Format,
    origin: &str,
    subject: &Subject,
    checkpoint: &BundleCheckpoint,
    events: &[(u64, Hash32)],
) -> String {
    let mut text = format!(
        "{}\norigin {origin}\nsubject {} {}\ncheckpoint {} {}\n",
        format.manifest_header(),
        subject.kind,
        subject.id,
        checkpoint.tree_size,
        BASE64.encode(checkpoint.root_hash.0),
    );
    if format == Format::V3 {
        text.push_str(&format!(
            "checkpoint-record {} {}\n",
            checkpoint.position, checkpoint.signed_at
        ));
    }
    text.push_str(&format!("events {}\n", events.len()));
    for (position, leaf) in events {
        text.push_str(&format!("{position} {leaf}\n"));
    }
    text
}

/// One timeline line, from a record.
pub fn timeline_line(record: &RecordedEvent) -> String {
    format!(
        "{} #{} {} v{} {} by {}",
        record
            .recorded_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
        record.position,
        record.stream_id,
        record.stream_version,
        record.event_type,
        record.actor
    )
}

/// Every string value of a field named `sha256` (64 hex digits), anywhere
/// in the payload.
fn referenced_hashes(value: &serde_json::Value, out: &mut Vec<Hash32>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                if key == "sha256" {
                    if let Some(hash) = item.as_str().and_then(Hash32::parse_hex) {
                        out.push(hash);
                    }
                } else {
                    referenced_hashes(item, out);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                referenced_hashes(item, out);
            }
        }
        _ => {}
    }
}

/// The blobs a record's payload references (every field named `sha256`
/// holding 64 hex digits, e.g. a proposal's PDF), sorted, once each: what
/// bundles list as attachments and `salesledger backup` fetches.
pub fn referenced_blobs(record: &RecordedEvent) -> Result<Vec<Hash32>, serde_json::Error> {
    let mut hashes = Vec::new();
    referenced_hashes(&record.payload.to_value()?, &mut hashes);
    hashes.sort();
    hashes.dedup();
    Ok(hashes)
}

fn attachments_of(
    records: &[RecordedEvent],
) -> Result<BTreeMap<Hash32, Vec<u64>>, serde_json::Error> {
    let mut attachments: BTreeMap<Hash32, Vec<u64>> = BTreeMap::new();
    for record in records {
        for hash in referenced_blobs(record)? {
            attachments.entry(hash).or_default().push(record.position);
        }
    }
    Ok(attachments)
}

fn schema_versions_of(records: &[RecordedEvent]) -> BTreeMap<String, Vec<u32>> {
    let mut versions: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    for record in records {
        versions
            .entry(record.event_type.clone())
            .or_default()
            .insert(record.schema_version);
    }
    versions
        .into_iter()
        .map(|(event_type, set)| (event_type, set.into_iter().collect()))
        .collect()
}

/// The positions a bundle of `subject` holds, selected by a scan of the
/// whole log with [`Scope`] (the reference selection: the binary reads the
/// same positions from its subject index without a scan). Checkpoint
/// records are never selected. `progress(done, total)` after each page.
pub async fn select_by_scan(
    store: &dyn Store,
    subject: &Subject,
    mut progress: impl FnMut(u64, u64) + Send,
) -> Result<Vec<u64>, AuditError> {
    let head = store.head().len;
    let mut scope = Scope::new(subject);
    let policy_streams = subject.policy_streams();
    let mut selected = Vec::new();
    let mut policies: Vec<Vec<u64>> = vec![Vec::new(); policy_streams.len()];
    let mut next = 0u64;
    while next < head {
        let records = store.read_all(next, READ_PAGE).await?;
        let Some(last) = records.last() else {
            break;
        };
        next = last.position + 1;
        for record in &records {
            if record.stream_id == CHECKPOINT_STREAM {
                continue;
            }
            if let Some(index) = policy_streams
                .iter()
                .position(|stream| *stream == record.stream_id)
            {
                policies[index].push(record.position);
            } else if scope.admit(record) {
                selected.push(record.position);
            }
        }
        progress(next, head);
    }
    Ok(with_policies(selected, &policies))
}

/// `positions` (a subject's own, sorted) with the publications of each
/// policy stream in force over them ([`policies_in_force`]), sorted.
pub fn with_policies(positions: Vec<u64>, policies: &[Vec<u64>]) -> Vec<u64> {
    let mut all = positions.clone();
    for publications in policies {
        all.extend(policies_in_force(&positions, publications));
    }
    all.sort_unstable();
    all.dedup();
    all
}

/// Reads the records at `positions` (sorted, unique) in one batched read
/// ([`Store::read_positions`]), never a scan; every one must exist.
pub async fn read_positions(
    store: &dyn Store,
    positions: &[u64],
) -> Result<Vec<RecordedEvent>, AuditError> {
    let records = store.read_positions(positions).await?;
    if records.len() != positions.len() {
        let missing = positions
            .iter()
            .zip(
                records
                    .iter()
                    .map(|record| record.position)
                    .chain(std::iter::repeat(u64::MAX)),
            )
            .find(|(asked, got)| *asked != got)
            .map_or(u64::MAX, |(asked, _)| *asked);
        return Err(AuditError::Evidence(format!(
            "the log has no record at position {missing}"
        )));
    }
    Ok(records)
}

/// Builds the bundle of `subject` by a scan of the log
/// ([`select_by_scan`]): uses the latest checkpoint when it covers the
/// subject's events or signs a fresh one, and proves each event's
/// inclusion. `blobs` supplies the attachments' content (`--with-files`).
pub async fn build_bundle(
    store: &dyn Store,
    tree: &mut LogTree,
    key: &ServerKey,
    subject: &Subject,
    blobs: Option<&FsBlobStore>,
    progress: impl FnMut(u64, u64) + Send,
) -> Result<Bundle, AuditError> {
    let positions = select_by_scan(store, subject, progress).await?;
    let Some(last) = positions.last() else {
        return Err(no_events(subject));
    };
    let checkpoint = checkpoint_covering(store, tree, key, last + 1).await?;
    prove_bundle(store, tree, key, subject, &checkpoint, &positions, blobs).await
}

fn no_events(subject: &Subject) -> AuditError {
    AuditError::Evidence(format!(
        "the log holds no event about {} {}",
        subject.kind, subject.id
    ))
}

/// From this many positions on, a bundle reads its records in two
/// concurrent halves.
const SPLIT_READ_MIN: usize = 256;

/// Where the time of one [`prove_bundle_timed`] went (for `bench audit`'s
/// breakdown). `read` and `proofs` overlap: the records are read on a
/// blocking thread while the proofs are computed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProveTimings {
    /// Reading the records by position ([`Store::read_positions`]), from
    /// the start of the step until the records are in.
    pub read: Duration,
    /// The inclusion proofs of every position asked for
    /// ([`LogTree::inclusion_proofs`]).
    pub proofs: Duration,
    /// Encoding the events (canonical bytes, leaf hashes, decoded view),
    /// attachments, schema versions and timeline.
    pub assemble: Duration,
    /// Signing the manifest.
    pub sign: Duration,
}

/// The bundle of `subject` holding the records at `positions` (sorted,
/// unique; chosen by the caller, e.g. from a subject index) that
/// `checkpoint` covers, each with its inclusion proof against it, and the
/// manifest signed with `key`. Records are read by position; checkpoint
/// records are left out. The tree must have caught up to the checkpoint.
pub async fn prove_bundle(
    store: &dyn Store,
    tree: &LogTree,
    key: &ServerKey,
    subject: &Subject,
    checkpoint: &CheckpointRecord,
    positions: &[u64],
    blobs: Option<&FsBlobStore>,
) -> Result<Bundle, AuditError> {
    let (bundle, _) =
        prove_bundle_timed(store, tree, key, subject, checkpoint, positions, blobs).await?;
    Ok(bundle)
}

/// [`prove_bundle`], also saying where its time went.
///
/// The proofs need only the positions, so they are computed while the
/// store reads the records (the read runs on a blocking thread; the proofs
/// read the tree's node files here, as they did before), and those of any
/// checkpoint record among the positions are dropped afterwards.
pub async fn prove_bundle_timed(
    store: &dyn Store,
    tree: &LogTree,
    key: &ServerKey,
    subject: &Subject,
    checkpoint: &CheckpointRecord,
    positions: &[u64],
    blobs: Option<&FsBlobStore>,
) -> Result<(Bundle, ProveTimings), AuditError> {
    let mut timings = ProveTimings::default();
    let tree_size = checkpoint.payload.tree_size;
    let root = checkpoint.payload.root_hash;
    let covered: Vec<u64> = positions
        .iter()
        .copied()
        .filter(|position| *position < tree_size)
        .collect();
    let started = Instant::now();
    // Two halves read concurrently (two blocking threads on sled, two
    // queries on PostgreSQL): a bundle's records are scattered over the
    // log, so its read is a run of cold point gets that two cores share.
    let split = if covered.len() >= SPLIT_READ_MIN {
        covered.len() / 2
    } else {
        0
    };
    let (front, back) = covered.split_at(split);
    let read = async {
        let (front, back) = tokio::join!(read_positions(store, front), read_positions(store, back));
        let records = match (front, back) {
            (Ok(mut front), Ok(back)) => {
                front.extend(back);
                Ok(front)
            }
            (Err(error), _) | (_, Err(error)) => Err(error),
        };
        (records, started.elapsed())
    };
    let prove = async {
        let proofs = if covered.is_empty() {
            Ok(Vec::new())
        } else {
            tree.inclusion_proofs(&covered, tree_size)
        };
        (proofs, started.elapsed())
    };
    // `read` first: its first poll hands the read to a blocking thread,
    // then `prove` runs to completion while the read is under way.
    let ((records, read_took), (proofs, proofs_took)) = tokio::join!(read, prove);
    timings.read = read_took;
    timings.proofs = proofs_took;
    let records = records?;
    let proofs = proofs?;
    if proofs.len() != records.len() {
        return Err(AuditError::Evidence(format!(
            "{} inclusion proofs for {} records",
            proofs.len(),
            records.len()
        )));
    }
    let started = Instant::now();
    let mut selected = Vec::with_capacity(records.len());
    let mut events = Vec::with_capacity(records.len());
    for (record, proof) in records.into_iter().zip(proofs) {
        if record.stream_id == CHECKPOINT_STREAM {
            continue;
        }
        let bytes = record.canonical_bytes();
        events.push(BundleEvent {
            position: record.position,
            canonical: BASE64.encode(&bytes),
            hash: record.hash,
            leaf_hash: Hash32(leaf_hash(&bytes)),
            inclusion_proof: proof.into_iter().map(Hash32).collect(),
            record: EventView::of(&record)?,
        });
        selected.push(record);
    }
    if selected.is_empty() {
        return Err(no_events(subject));
    }
    let listed: Vec<(u64, Hash32)> = events
        .iter()
        .map(|event| (event.position, event.leaf_hash))
        .collect();
    let bundle_checkpoint = BundleCheckpoint {
        position: checkpoint.position,
        tree_size,
        root_hash: root,
        signed_at: checkpoint.payload.signed_at.clone(),
        note: checkpoint.payload.note.clone(),
    };
    let text = manifest_text(key.origin(), subject, &bundle_checkpoint, &listed);
    timings.assemble = started.elapsed();
    let started = Instant::now();
    let manifest = key.signer().sign(&text)?;
    timings.sign = started.elapsed();
    let started = Instant::now();
    let mut attachments = Vec::new();
    for (sha256, referenced_by) in attachments_of(&selected)? {
        let content = match blobs {
            Some(blobs) => match blobs.get(&sha256).await {
                Ok(content) => Some(BASE64.encode(content)),
                Err(error) => {
                    tracing::warn!(%sha256, %error, "attachment not included: not readable from the blob store");
                    None
                }
            },
            None => None,
        };
        attachments.push(Attachment {
            sha256,
            referenced_by,
            content,
        });
    }
    let bundle = Bundle {
        format: BUNDLE_FORMAT.into(),
        subject: subject.clone(),
        log: BundleLog {
            origin: key.origin().to_owned(),
            verifier_key: key.vkey(),
            key_fingerprint: key.fingerprint(),
        },
        checkpoint: bundle_checkpoint,
        manifest,
        events,
        attachments,
        schema_versions: schema_versions_of(&selected),
        timeline: selected.iter().map(timeline_line).collect(),
    };
    timings.assemble += started.elapsed();
    Ok((bundle, timings))
}

/// Writes `bundle` as pretty JSON (deterministic for a given log state).
pub fn write_bundle(bundle: &Bundle, path: &Path) -> Result<(), AuditError> {
    let mut text = serde_json::to_string_pretty(bundle)?;
    text.push('\n');
    std::fs::write(path, text).map_err(super::error::io_at(path))
}

// ---------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------

/// Why a bundle does not verify: where ([`BundleLocation`]), and what
/// ([`BundleBreak`]). The Display is English (logs, the `--json` output's
/// `location` and `reason`); a user interface words both from their
/// variants and fields, and [`BundleError::kind`] is the stable machine
/// code.
#[derive(Debug, thiserror::Error, Serialize)]
#[error("{location}: {reason}")]
pub struct BundleError {
    pub location: BundleLocation,
    pub reason: BundleBreak,
}

impl BundleError {
    /// The stable machine code of the failure (`snake_case`).
    pub fn kind(&self) -> &'static str {
        self.reason.kind()
    }
}

fn fail(location: BundleLocation, reason: BundleBreak) -> BundleError {
    BundleError { location, reason }
}

/// The part of a bundle a failure is about.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BundleLocation {
    /// The document as a whole.
    #[error("bundle")]
    Bundle,
    /// The verifier key (the bundle's or the given one).
    #[error("key")]
    Key,
    /// The signed checkpoint.
    #[error("checkpoint")]
    Checkpoint,
    /// The signed manifest.
    #[error("manifest")]
    Manifest,
    /// The `index`th event (0-based), at `position` in the log.
    #[error("event {index} (position {position})")]
    Event { index: usize, position: u64 },
    /// A stream that must be whole (or a policy stream).
    #[error("stream {stream}")]
    Stream { stream: String },
    /// The list of attachments.
    #[error("attachments")]
    Attachments,
    /// One attachment.
    #[error("attachment {sha256}")]
    Attachment { sha256: Hash32 },
    /// The event types' payload schema versions.
    #[error("schema_versions")]
    SchemaVersions,
    /// The readable timeline.
    #[error("timeline")]
    Timeline,
    /// The witnesses' cosignatures on the checkpoint.
    #[error("witnesses")]
    Witnesses,
}

/// A witness that did not cosign a bundle's checkpoint, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MissingCosignature {
    /// The witness's verifier key.
    pub witness: String,
    pub failure: CheckpointError,
}

impl std::fmt::Display for MissingCosignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.witness, self.failure)
    }
}

fn join_missing(missing: &[MissingCosignature]) -> String {
    missing
        .iter()
        .map(MissingCosignature::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What is wrong with a bundle ([`verify_bundle`],
/// [`verify_bundle_witnesses`]), with the fields a sentence about it
/// needs. The Display is English; `detail` only ever holds a foreign
/// library's words (the JSON parser's). [`BundleBreak::kind`] is the
/// stable machine code.
#[derive(Debug, thiserror::Error, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BundleBreak {
    /// The bytes are not JSON.
    #[error("not a JSON document: {detail}")]
    NotJson { detail: String },
    /// JSON, but not the shape of a bundle.
    #[error("not a bundle: {detail}")]
    NotABundle { detail: String },
    /// A `format` this version does not know.
    #[error(
        "format {format:?}, expected {:?}, {:?} or {:?}",
        BUNDLE_FORMAT,
        BUNDLE_FORMAT_V2,
        BUNDLE_FORMAT_V1
    )]
    UnknownFormat { format: String },
    /// A subject kind the bundle's format does not have.
    #[error("unknown subject kind {kind:?}")]
    UnknownSubjectKind { kind: String },
    /// The bundle's own verifier key does not read.
    #[error("the bundle's verifier key: {0}")]
    BundleKeyMalformed(CheckpointError),
    /// The key given to check the bundle with does not read.
    #[error("the given key: {0}")]
    GivenKeyMalformed(CheckpointError),
    /// The bundle names another key than the one given.
    #[error("the bundle names key {bundle_key} but the given key is {given_key}")]
    KeyDiffers {
        bundle_key: String,
        given_key: String,
    },
    /// The key's fingerprint is not the one the bundle states.
    #[error("the fingerprint does not match the key")]
    FingerprintMismatch,
    /// The log's origin is not the key's name.
    #[error("the origin is not the key's name")]
    OriginNotKeyName,
    /// A signed note (the checkpoint, the manifest) does not open with
    /// the key.
    #[error("signature: {0}")]
    Signature(CheckpointError),
    /// The checkpoint's signed text does not read.
    #[error("{0}")]
    CheckpointBody(CheckpointError),
    /// The checkpoint is signed for another log.
    #[error("signed for another origin")]
    CheckpointOtherOrigin,
    /// The tree size or root the bundle states is not the signed one.
    #[error("tree size or root differs from the signed note")]
    CheckpointDiffers,
    /// The checkpoint record's own position is inside the tree it signs.
    #[error("its record position is inside the tree it covers")]
    CheckpointInsideTree,
    /// The signed manifest and the bundle's events differ at `line`
    /// (1-based).
    #[error("the signed manifest says {signed:?} at line {line} but the bundle gives {bundle:?} (an event was dropped, added, reordered or altered)")]
    ManifestLineDiffers {
        line: usize,
        signed: String,
        bundle: String,
    },
    /// The signed manifest and the bundle's events have a different number
    /// of lines.
    #[error("the signed manifest lists {signed} lines, the bundle {bundle} (an event was dropped or added)")]
    ManifestLength { signed: usize, bundle: usize },
    /// An event's position is not above the one before it.
    #[error("events are not in increasing position order")]
    PositionOrder,
    /// An event's canonical bytes are not base64.
    #[error("canonical bytes are not base64")]
    CanonicalNotBase64,
    /// An event's leaf hash is not the one of its bytes.
    #[error("leaf hash is not SHA-256(0x00 || canonical bytes)")]
    LeafHashMismatch,
    /// An event's record hash is not the one of its bytes.
    #[error("record hash is not SHA-256(canonical bytes)")]
    RecordHashMismatch,
    /// An event's canonical bytes do not decode as a record: the record
    /// at `position` is corrupt (`detail`: the store decoder's words).
    #[error("canonical bytes do not decode: record at position {position} is corrupt: {detail}")]
    Undecodable { position: u64, detail: String },
    /// An event's bytes are the record at another position.
    #[error("the canonical bytes are the record at position {found}")]
    PositionMismatch { found: u64 },
    /// An event's payload is not JSON.
    #[error("payload is not JSON: {detail}")]
    PayloadNotJson { detail: String },
    /// An event's readable record is not its canonical bytes decoded.
    #[error("the readable record differs from the canonical bytes")]
    ViewDiffers,
    /// An event outside the subject's scope.
    #[error("not about {kind} {id}")]
    OutOfScope { kind: String, id: Uuid },
    /// An event's inclusion proof does not verify against the signed root.
    #[error("inclusion proof: {0}")]
    InclusionProof(MerkleError),
    /// A stream that must be whole misses a version.
    #[error("version {expected} is missing (found {found})")]
    StreamVersionMissing { expected: u64, found: u64 },
    /// A policy stream misses a version between two it holds.
    #[error("version {missing} is missing between {before} and {after}")]
    PolicyVersionMissing {
        missing: u64,
        before: u64,
        after: u64,
    },
    /// A payload does not read while listing the attachments.
    #[error("payload: {detail}")]
    AttachmentsPayload { detail: String },
    /// The attachments listed are not those the events reference.
    #[error("the list differs from the SHA-256 values the events reference")]
    AttachmentsDiffer,
    /// An attachment's content is not base64.
    #[error("content is not base64")]
    ContentNotBase64,
    /// An attachment's content does not hash to its SHA-256.
    #[error("the file's SHA-256 differs")]
    ContentHashMismatch,
    /// The schema versions listed are not those of the events.
    #[error("differ from the events'")]
    SchemaVersionsDiffer,
    /// The timeline's `line` (0-based) is not the events'.
    #[error("line {line} differs from the events")]
    TimelineLineDiffers { line: usize },
    /// The bundle could not be encoded again.
    #[error("re-encoding: {detail}")]
    ReEncoding { detail: String },
    /// A value written otherwise than the writer writes it.
    #[error("a value is not in its canonical form (e.g. upper-case hex)")]
    NotCanonical,
    /// An object names `key` twice: a JSON reader keeps the last, a person
    /// may read the first, so neither is trusted.
    #[error("the key {key} is given twice in one object")]
    DuplicateKey { key: String },
    /// A quorum of 0, or more than the witnesses given.
    #[error("a quorum of {quorum} out of {given} given witnesses cannot be met")]
    QuorumImpossible { quorum: usize, given: usize },
    /// Fewer than `quorum` of the witnesses cosigned the checkpoint.
    #[error("{cosigned} of the {given} given witnesses cosigned the checkpoint, {quorum} required; not cosigned by: {}", join_missing(.missing))]
    QuorumNotMet {
        cosigned: usize,
        given: usize,
        quorum: usize,
        missing: Vec<MissingCosignature>,
    },
}

impl BundleBreak {
    /// The stable machine code of this failure (`snake_case` of the
    /// variant).
    pub fn kind(&self) -> &'static str {
        match self {
            BundleBreak::NotJson { .. } => "not_json",
            BundleBreak::NotABundle { .. } => "not_a_bundle",
            BundleBreak::UnknownFormat { .. } => "unknown_format",
            BundleBreak::UnknownSubjectKind { .. } => "unknown_subject_kind",
            BundleBreak::BundleKeyMalformed(_) => "bundle_key_malformed",
            BundleBreak::GivenKeyMalformed(_) => "given_key_malformed",
            BundleBreak::KeyDiffers { .. } => "key_differs",
            BundleBreak::FingerprintMismatch => "fingerprint_mismatch",
            BundleBreak::OriginNotKeyName => "origin_not_key_name",
            BundleBreak::Signature(_) => "signature",
            BundleBreak::CheckpointBody(_) => "checkpoint_body",
            BundleBreak::CheckpointOtherOrigin => "checkpoint_other_origin",
            BundleBreak::CheckpointDiffers => "checkpoint_differs",
            BundleBreak::CheckpointInsideTree => "checkpoint_inside_tree",
            BundleBreak::ManifestLineDiffers { .. } => "manifest_line_differs",
            BundleBreak::ManifestLength { .. } => "manifest_length",
            BundleBreak::PositionOrder => "position_order",
            BundleBreak::CanonicalNotBase64 => "canonical_not_base64",
            BundleBreak::LeafHashMismatch => "leaf_hash_mismatch",
            BundleBreak::RecordHashMismatch => "record_hash_mismatch",
            BundleBreak::Undecodable { .. } => "undecodable",
            BundleBreak::PositionMismatch { .. } => "position_mismatch",
            BundleBreak::PayloadNotJson { .. } => "payload_not_json",
            BundleBreak::ViewDiffers => "view_differs",
            BundleBreak::OutOfScope { .. } => "out_of_scope",
            BundleBreak::InclusionProof(_) => "inclusion_proof",
            BundleBreak::StreamVersionMissing { .. } => "stream_version_missing",
            BundleBreak::PolicyVersionMissing { .. } => "policy_version_missing",
            BundleBreak::AttachmentsPayload { .. } => "attachments_payload",
            BundleBreak::AttachmentsDiffer => "attachments_differ",
            BundleBreak::ContentNotBase64 => "content_not_base64",
            BundleBreak::ContentHashMismatch => "content_hash_mismatch",
            BundleBreak::SchemaVersionsDiffer => "schema_versions_differ",
            BundleBreak::TimelineLineDiffers { .. } => "timeline_line_differs",
            BundleBreak::ReEncoding { .. } => "re_encoding",
            BundleBreak::NotCanonical => "not_canonical",
            BundleBreak::DuplicateKey { .. } => "duplicate_key",
            BundleBreak::QuorumImpossible { .. } => "quorum_impossible",
            BundleBreak::QuorumNotMet { .. } => "quorum_not_met",
        }
    }
}

/// Where the verifier key came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// Given by the auditor (`--pubkey`) and equal to the bundle's.
    Given,
    /// Taken from the bundle itself: proves integrity relative to that key
    /// only; compare its fingerprint with one obtained independently.
    Bundle,
}

/// What a verified bundle proves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BundleReport {
    pub subject: Subject,
    pub origin: String,
    pub verifier_key: String,
    pub key_fingerprint: String,
    pub key_source: KeySource,
    pub tree_size: u64,
    pub root_hash: Hash32,
    pub n_events: usize,
    pub positions: Vec<u64>,
    /// (sha256, content included and matching)
    pub attachments: Vec<(Hash32, bool)>,
    pub timeline: Vec<String>,
}

/// The prefix of the error [`UniqueKeys`] raises for a key given twice.
const DUPLICATE_KEY: &str = "duplicate key ";

/// A JSON document read as a [`serde_json::Value`], except that an object
/// naming a key twice is an error (serde_json keeps the last silently).
struct UniqueKeys(serde_json::Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(UniqueKeysVisitor)
            .map(UniqueKeys)
    }
}

struct UniqueKeysVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueKeysVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_i64<E>(self, value: i64) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_u64<E>(self, value: u64) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_f64<E>(self, value: f64) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_string<E>(self, value: String) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let UniqueKeys(value) = map.next_value()?;
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "{DUPLICATE_KEY}{}",
                    serde_json::Value::String(key)
                )));
            }
            object.insert(key, value);
        }
        Ok(serde_json::Value::Object(object))
    }
}

/// The key of a [`UniqueKeys`] error for a key given twice.
fn duplicate_key_of(error: &serde_json::Error) -> Option<String> {
    let message = error.to_string();
    let quoted = message.strip_prefix(DUPLICATE_KEY)?;
    // serde_json appends " at line L column C".
    let quoted = quoted
        .rsplit_once(" at line ")
        .map_or(quoted, |(key, _)| key);
    serde_json::from_str(quoted).ok()
}

/// Checks a bundle's bytes completely, offline. `pubkey` is the log's
/// verifier key obtained independently (recommended).
///
/// In order: the JSON shape and format; the key (the given one must equal
/// the bundle's; the fingerprint must match); the checkpoint note's
/// signature and fields; the manifest's signature and that it lists exactly
/// the events present, in order; for each event: base64, leaf hash of the
/// bytes, record decoding, position, chain hash, the readable view, that it
/// is about the subject, and its inclusion proof against the signed root;
/// whole subject streams have no version gap; attachments, schema versions
/// and timeline equal what the records say; attachment contents hash to
/// their declared SHA-256.
pub fn verify_bundle(bytes: &[u8], pubkey: Option<&str>) -> Result<BundleReport, BundleError> {
    let raw = match serde_json::from_slice::<UniqueKeys>(bytes) {
        Ok(UniqueKeys(raw)) => raw,
        Err(error) => {
            let cause = match duplicate_key_of(&error) {
                Some(key) => BundleBreak::DuplicateKey { key },
                None => BundleBreak::NotJson {
                    detail: error.to_string(),
                },
            };
            return Err(fail(BundleLocation::Bundle, cause));
        }
    };
    let bundle: Bundle = serde_json::from_value(raw.clone()).map_err(|error| {
        fail(
            BundleLocation::Bundle,
            BundleBreak::NotABundle {
                detail: error.to_string(),
            },
        )
    })?;
    let Some(format) = Format::parse(&bundle.format) else {
        return Err(fail(
            BundleLocation::Bundle,
            BundleBreak::UnknownFormat {
                format: bundle.format.clone(),
            },
        ));
    };
    let v1 = format == Format::V1;
    let kinds: &[&str] = if v1 {
        &["customer", "proposal"]
    } else {
        &["customer", "lead", "proposal"]
    };
    if !kinds.contains(&bundle.subject.kind.as_str()) {
        return Err(fail(
            BundleLocation::Bundle,
            BundleBreak::UnknownSubjectKind {
                kind: bundle.subject.kind.clone(),
            },
        ));
    }
    // The key.
    let bundle_key = NoteVerifier::parse_vkey(&bundle.log.verifier_key)
        .map_err(|error| fail(BundleLocation::Key, BundleBreak::BundleKeyMalformed(error)))?;
    let (verifier, key_source) = match pubkey {
        Some(given) => {
            let given = NoteVerifier::parse_vkey(given).map_err(|error| {
                fail(BundleLocation::Key, BundleBreak::GivenKeyMalformed(error))
            })?;
            if given != bundle_key {
                return Err(fail(
                    BundleLocation::Key,
                    BundleBreak::KeyDiffers {
                        bundle_key: bundle_key.to_vkey(),
                        given_key: given.to_vkey(),
                    },
                ));
            }
            (given, KeySource::Given)
        }
        None => (bundle_key, KeySource::Bundle),
    };
    if key_fingerprint(&verifier) != bundle.log.key_fingerprint {
        return Err(fail(BundleLocation::Key, BundleBreak::FingerprintMismatch));
    }
    if bundle.log.origin != verifier.name() {
        return Err(fail(BundleLocation::Key, BundleBreak::OriginNotKeyName));
    }
    // The checkpoint.
    let text = verifier
        .open(&bundle.checkpoint.note)
        .map_err(|error| fail(BundleLocation::Checkpoint, BundleBreak::Signature(error)))?;
    let signed = Checkpoint::parse_body(text).map_err(|error| {
        fail(
            BundleLocation::Checkpoint,
            BundleBreak::CheckpointBody(error),
        )
    })?;
    if signed.origin != bundle.log.origin {
        return Err(fail(
            BundleLocation::Checkpoint,
            BundleBreak::CheckpointOtherOrigin,
        ));
    }
    if signed.tree_size != bundle.checkpoint.tree_size
        || signed.root_hash != bundle.checkpoint.root_hash.0
    {
        return Err(fail(
            BundleLocation::Checkpoint,
            BundleBreak::CheckpointDiffers,
        ));
    }
    if bundle.checkpoint.position < signed.tree_size {
        return Err(fail(
            BundleLocation::Checkpoint,
            BundleBreak::CheckpointInsideTree,
        ));
    }
    let (tree_size, root) = (signed.tree_size, signed.root_hash);
    // The manifest.
    let manifest = verifier
        .open(&bundle.manifest)
        .map_err(|error| fail(BundleLocation::Manifest, BundleBreak::Signature(error)))?;
    let listed: Vec<(u64, Hash32)> = bundle
        .events
        .iter()
        .map(|event| (event.position, event.leaf_hash))
        .collect();
    // Its size and root are the signed note's (checked above).
    let expected_manifest = manifest_text_in(
        format,
        &signed.origin,
        &bundle.subject,
        &bundle.checkpoint,
        &listed,
    );
    if manifest != expected_manifest {
        return Err(fail(
            BundleLocation::Manifest,
            manifest_difference(manifest, &expected_manifest),
        ));
    }
    // The events.
    let mut records = Vec::with_capacity(bundle.events.len());
    let mut scope = Scope::new(&bundle.subject);
    let mut previous: Option<u64> = None;
    for (event_idx, event) in bundle.events.iter().enumerate() {
        let location = || BundleLocation::Event {
            index: event_idx,
            position: event.position,
        };
        if previous.is_some_and(|previous| event.position <= previous) {
            return Err(fail(location(), BundleBreak::PositionOrder));
        }
        previous = Some(event.position);
        let canonical = BASE64
            .decode(&event.canonical)
            .map_err(|_| fail(location(), BundleBreak::CanonicalNotBase64))?;
        let leaf = leaf_hash(&canonical);
        if leaf != event.leaf_hash.0 {
            return Err(fail(location(), BundleBreak::LeafHashMismatch));
        }
        let hash = Hash32::sha256(&canonical);
        if hash != event.hash {
            return Err(fail(location(), BundleBreak::RecordHashMismatch));
        }
        let mut stored = canonical;
        stored.extend_from_slice(&hash.0);
        let record = RecordedEvent::decode_stored(event.position, &stored).map_err(|error| {
            let (position, detail) = match error {
                StoreError::CorruptRecord { position, reason } => (position, reason),
                other => (event.position, other.to_string()),
            };
            fail(location(), BundleBreak::Undecodable { position, detail })
        })?;
        if record.position != event.position {
            return Err(fail(
                location(),
                BundleBreak::PositionMismatch {
                    found: record.position,
                },
            ));
        }
        let view = EventView::of(&record).map_err(|error| {
            fail(
                location(),
                BundleBreak::PayloadNotJson {
                    detail: error.to_string(),
                },
            )
        })?;
        if view != event.record {
            return Err(fail(location(), BundleBreak::ViewDiffers));
        }
        let in_scope = if v1 {
            bundle.subject.covers_v1(&record)
        } else {
            scope.admit(&record)
        };
        if !in_scope {
            return Err(fail(
                location(),
                BundleBreak::OutOfScope {
                    kind: bundle.subject.kind.clone(),
                    id: bundle.subject.id,
                },
            ));
        }
        let proof: Vec<[u8; 32]> = event.inclusion_proof.iter().map(|hash| hash.0).collect();
        verify_inclusion(event.position, tree_size, &leaf, &proof, &root)
            .map_err(|error| fail(location(), BundleBreak::InclusionProof(error)))?;
        records.push(record);
    }
    // Whole streams: no version gap.
    for stream in scope.whole_streams() {
        let versions: Vec<u64> = records
            .iter()
            .filter(|record| &record.stream_id == stream)
            .map(|record| record.stream_version)
            .collect();
        for (expected, version) in versions.iter().enumerate() {
            if *version != expected as u64 {
                return Err(fail(
                    BundleLocation::Stream {
                        stream: stream.clone(),
                    },
                    BundleBreak::StreamVersionMissing {
                        expected: expected as u64,
                        found: *version,
                    },
                ));
            }
        }
    }
    // Policies: the versions in force, one after another.
    for stream in bundle.subject.policy_streams() {
        let versions: Vec<u64> = records
            .iter()
            .filter(|record| record.stream_id == *stream)
            .map(|record| record.stream_version)
            .collect();
        for pair in versions.windows(2) {
            if pair[1] != pair[0] + 1 {
                return Err(fail(
                    BundleLocation::Stream {
                        stream: (*stream).to_owned(),
                    },
                    BundleBreak::PolicyVersionMissing {
                        missing: pair[0] + 1,
                        before: pair[0],
                        after: pair[1],
                    },
                ));
            }
        }
    }
    // Attachments.
    let referenced = attachments_of(&records).map_err(|error| {
        fail(
            BundleLocation::Attachments,
            BundleBreak::AttachmentsPayload {
                detail: error.to_string(),
            },
        )
    })?;
    let declared: BTreeMap<Hash32, Vec<u64>> = bundle
        .attachments
        .iter()
        .map(|attachment| (attachment.sha256, attachment.referenced_by.clone()))
        .collect();
    if declared.len() != bundle.attachments.len() || declared != referenced {
        return Err(fail(
            BundleLocation::Attachments,
            BundleBreak::AttachmentsDiffer,
        ));
    }
    let mut attachments = Vec::new();
    for attachment in &bundle.attachments {
        let location = || BundleLocation::Attachment {
            sha256: attachment.sha256,
        };
        let included = match &attachment.content {
            Some(content) => {
                let content = BASE64
                    .decode(content)
                    .map_err(|_| fail(location(), BundleBreak::ContentNotBase64))?;
                if Hash32::sha256(&content) != attachment.sha256 {
                    return Err(fail(location(), BundleBreak::ContentHashMismatch));
                }
                true
            }
            None => false,
        };
        attachments.push((attachment.sha256, included));
    }
    if schema_versions_of(&records) != bundle.schema_versions {
        return Err(fail(
            BundleLocation::SchemaVersions,
            BundleBreak::SchemaVersionsDiffer,
        ));
    }
    let timeline: Vec<String> = records.iter().map(timeline_line).collect();
    if timeline != bundle.timeline {
        let line = timeline
            .iter()
            .zip(&bundle.timeline)
            .position(|(ours, theirs)| ours != theirs)
            .unwrap_or(timeline.len().min(bundle.timeline.len()));
        return Err(fail(
            BundleLocation::Timeline,
            BundleBreak::TimelineLineDiffers { line },
        ));
    }
    // Values the checks above read leniently (upper-case hex) must be
    // written exactly as the bundle writer writes them.
    let rewritten = serde_json::to_value(&bundle).map_err(|error| {
        fail(
            BundleLocation::Bundle,
            BundleBreak::ReEncoding {
                detail: error.to_string(),
            },
        )
    })?;
    if rewritten != raw {
        return Err(fail(BundleLocation::Bundle, BundleBreak::NotCanonical));
    }
    Ok(BundleReport {
        subject: bundle.subject.clone(),
        origin: signed.origin,
        verifier_key: verifier.to_vkey(),
        key_fingerprint: bundle.log.key_fingerprint.clone(),
        key_source,
        tree_size,
        root_hash: Hash32(root),
        n_events: records.len(),
        positions: records.iter().map(|record| record.position).collect(),
        attachments,
        timeline,
    })
}

/// Checks that at least `quorum` of `witnesses` cosigned the bundle's
/// checkpoint (C2SP tlog-cosignature lines on its note). Call it on a
/// bundle [`verify_bundle`] accepted: the cosignatures are over the same
/// checkpoint body the log's signature covers.
pub fn verify_bundle_witnesses(
    bytes: &[u8],
    witnesses: &[CosignatureVerifier],
    quorum: usize,
) -> Result<QuorumReport, BundleError> {
    let bundle: Bundle = serde_json::from_slice(bytes).map_err(|error| {
        fail(
            BundleLocation::Bundle,
            BundleBreak::NotABundle {
                detail: error.to_string(),
            },
        )
    })?;
    let given = distinct_witnesses(witnesses);
    if quorum == 0 || quorum > given {
        return Err(fail(
            BundleLocation::Witnesses,
            BundleBreak::QuorumImpossible { quorum, given },
        ));
    }
    let report = check_quorum(&bundle.checkpoint.note, witnesses, quorum);
    if !report.met() {
        let missing = report
            .witnesses
            .iter()
            .filter_map(|check| {
                check.cause.as_ref().map(|failure| MissingCosignature {
                    witness: check.witness.clone(),
                    failure: failure.clone(),
                })
            })
            .collect();
        return Err(fail(
            BundleLocation::Witnesses,
            BundleBreak::QuorumNotMet {
                cosigned: report.cosigned,
                given,
                quorum,
                missing,
            },
        ));
    }
    Ok(report)
}

/// Names the first line where a signed manifest and the bundle disagree.
fn manifest_difference(signed: &str, from_bundle: &str) -> BundleBreak {
    let signed_lines: Vec<&str> = signed.lines().collect();
    let bundle_lines: Vec<&str> = from_bundle.lines().collect();
    for (line_idx, (ours, theirs)) in signed_lines.iter().zip(&bundle_lines).enumerate() {
        if ours != theirs {
            return BundleBreak::ManifestLineDiffers {
                line: line_idx + 1,
                signed: (*ours).to_owned(),
                bundle: (*theirs).to_owned(),
            };
        }
    }
    BundleBreak::ManifestLength {
        signed: signed_lines.len(),
        bundle: bundle_lines.len(),
    }
}
