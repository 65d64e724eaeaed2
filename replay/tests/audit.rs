//! The audit layer end to end on a real sled log: the persistent Merkle
//! tree (restarts, divergence, rebuild), signed checkpoint events (what
//! they cover, verification, a rewritten history caught by them),
//! evidence bundles (verification and tampering of every kind), the
//! export (round trip, tampering), and consistency with a saved checkpoint
//! (extended log accepted, forked log refused).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use rand::{Rng, SeedableRng};
use salesledger_replay::audit::bundle::{build_bundle, verify_bundle, Bundle, Subject};
use salesledger_replay::audit::export::{export_log, ExportReader};
use salesledger_replay::audit::log_tree::{LogTree, TREE_DIR};
use salesledger_replay::audit::merkle;
use salesledger_replay::audit::{
    checkpoint_of_size, latest_checkpoint, prove_extends, sign_checkpoint, verify_log_audit,
    AuditReport, CheckpointKeys, ServerKey, AUDIT_DIR, CHECKPOINT_STREAM, KEY_FILE,
};
use salesledger_store::conformance::metadata;
use salesledger_store::{
    AppendOutcome, AppendRequest, ExpectedVersion, FsBlobStore, Hash32, LogHead, NewEvent,
    RecordedEvent, SledStore, Store, StoreError, StoredOutcome,
};
use serde_json::json;
use tokio::sync::watch;
use uuid::Uuid;

const CUSTOMER_A: Uuid = Uuid::from_u128(0xa);
const CUSTOMER_B: Uuid = Uuid::from_u128(0xb);
const PROPOSAL_A: Uuid = Uuid::from_u128(0x1a);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn append(store: &dyn Store, stream: &str, event_type: &str, payload: serde_json::Value) {
    store
        .append(AppendRequest {
            stream_id: stream.to_owned(),
            expected_version: ExpectedVersion::Any,
            events: vec![NewEvent::new(event_type, 1, &payload)],
            metadata: metadata("rep:li.wei"),
            idempotency: None,
        })
        .await
        .expect("append");
}

/// A small sales history: two customers, a proposal of customer A with a
/// PDF (stored in the blob store), events of other streams naming A.
async fn write_history(store: &dyn Store, blobs: &FsBlobStore, round: u64) {
    let pdf = blobs
        .put(format!("%PDF-1.7 proposal round {round}").as_bytes())
        .await
        .expect("blob");
    for (customer, n) in [(CUSTOMER_A, 3), (CUSTOMER_B, 2)] {
        for step in 0..n {
            append(
                store,
                &format!("customer-{customer}"),
                "FollowUpRecorded",
                json!({"customer_id": customer.to_string(), "note": format!("round {round} step {step}")}),
            )
            .await;
        }
    }
    append(
        store,
        &format!("proposal-{PROPOSAL_A}"),
        "ProposalPdfUploaded",
        json!({"proposal_id": PROPOSAL_A.to_string(), "sha256": pdf.sha256.to_hex(), "size_bytes": pdf.size}),
    )
    .await;
    append(
        store,
        &format!("visit-{}", Uuid::from_u128(u128::from(round) + 100)),
        "VisitLogged",
        json!({"customer_id": CUSTOMER_A.to_string(), "summary": "plant visit"}),
    )
    .await;
    append(
        store,
        &format!("visit-{}", Uuid::from_u128(u128::from(round) + 200)),
        "VisitLogged",
        json!({"customer_id": CUSTOMER_B.to_string(), "summary": format!("mentions {CUSTOMER_A} in text only")}),
    )
    .await;
}

struct Fixture {
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    Fixture { _dir: dir, data }
}

/// Three rounds of history with a checkpoint after each.
async fn log_with_checkpoints(data: &Path) -> (SledStore, LogTree, ServerKey) {
    let store = SledStore::open(data).expect("open");
    let blobs = FsBlobStore::open(data, 1 << 20).expect("blobs");
    let key = ServerKey::load_or_create(data).expect("key");
    let mut tree = LogTree::open(data, &store).await.expect("tree");
    for round in 0..3 {
        write_history(&store, &blobs, round).await;
        sign_checkpoint(&store, &mut tree, &key)
            .await
            .expect("checkpoint");
    }
    (store, tree, key)
}

/// The whole-log audit with checkpoints signed by `key`, published.
async fn audit_against(store: &dyn Store, tree: &LogTree, key: &ServerKey) -> AuditReport {
    verify_log_audit(
        store,
        tree,
        CheckpointKeys::Published(std::slice::from_ref(key.verifier())),
        |_, _| {},
    )
    .await
    .expect("audit")
}

fn assert_ok(report: &AuditReport) {
    assert!(report.failure.is_none(), "{:?}", report.failure);
}

/// A cosignature names its checkpoint by tree size: each signed size is
/// found (the latest of equal ones), any other is not.
#[test]
fn checkpoints_are_found_by_their_tree_size() {
    let fixture = fixture();
    runtime().block_on(async {
        let (store, _tree, _key) = log_with_checkpoints(&fixture.data).await;
        let all = store
            .read_stream(CHECKPOINT_STREAM, 0, 100)
            .await
            .expect("read");
        let sizes: Vec<u64> = all
            .iter()
            .map(|record| {
                salesledger_replay::audit::CheckpointRecord::from_record(record)
                    .expect("checkpoint")
                    .payload
                    .tree_size
            })
            .collect();
        assert_eq!(sizes.len(), 3);
        for (record, size) in all.iter().zip(&sizes) {
            let found = checkpoint_of_size(&store, *size)
                .await
                .expect("search")
                .expect("found");
            assert_eq!(found.position, record.position);
        }
        for absent in [0, 1, sizes[0] + 1, sizes[2] + 1, u64::MAX] {
            assert!(
                checkpoint_of_size(&store, absent)
                    .await
                    .expect("search")
                    .is_none(),
                "{absent} in {sizes:?}"
            );
        }
    });
}

#[test]
fn checkpoints_cover_the_records_before_them_and_verify() {
    let fixture = fixture();
    runtime().block_on(async {
        let (store, mut tree, key) = log_with_checkpoints(&fixture.data).await;
        tree.catch_up(&store).await.expect("catch up");
        let latest = latest_checkpoint(&store)
            .await
            .expect("read")
            .expect("a checkpoint");
        assert_eq!(
            latest.payload.tree_size, latest.position,
            "covers exactly the records before it"
        );
        assert_eq!(latest.position + 1, store.head().len);
        assert_eq!(latest.payload.origin, key.origin());
        let report = audit_against(&store, &tree, &key).await;
        assert_ok(&report);
        assert_eq!(report.n_checkpoints, 3);
        assert_eq!(report.n_verified, store.head().len);
        // Each checkpoint names its signer.
        assert_eq!(report.checkpoint_keys.len(), 1);
        assert_eq!(report.checkpoint_keys[0].vkey, key.verifier().to_vkey());
        assert_eq!(report.checkpoint_keys[0].n_checkpoints, 3);
        // Without a published key, the checkpoints verify with the key
        // they carry, which the report names.
        let report = verify_log_audit(&store, &tree, CheckpointKeys::Carried, |_, _| {})
            .await
            .expect("audit");
        assert_ok(&report);
        assert_eq!(report.n_checkpoints, 3);
        assert_eq!(report.checkpoint_keys[0].vkey, key.verifier().to_vkey());
        // Against another published key, the first checkpoint fails.
        let other = ServerKey::load_or_create(&fixture.data.join("other")).expect("other key");
        let report = audit_against(&store, &tree, &other).await;
        let failure = report.failure.expect("fails");
        assert_eq!(failure.what, "checkpoint");
        assert_eq!(failure.kind, "checkpoint_key_not_published");
        // The key file is private and reloads to the same key.
        let path = fixture.data.join(AUDIT_DIR).join(KEY_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("key").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(ServerKey::load(&path).expect("reload").vkey(), key.vkey());
        store.close().await;
    });
}

#[test]
fn the_tree_catches_up_after_a_restart_and_rebuilds_when_it_diverges() {
    let fixture = fixture();
    let rt = runtime();
    let (root_before, size_before) = rt.block_on(async {
        let (store, tree, _key) = log_with_checkpoints(&fixture.data).await;
        let answer = (tree.root_at(tree.size()).expect("root"), tree.size());
        store.close().await;
        answer
    });
    rt.block_on(async {
        // Records appended while no tree was maintained are caught up.
        let store = SledStore::open(&fixture.data).expect("open");
        let blobs = FsBlobStore::open(&fixture.data, 1 << 20).expect("blobs");
        write_history(&store, &blobs, 9).await;
        let tree = LogTree::open(&fixture.data, &store).await.expect("tree");
        assert_eq!(tree.size(), store.head().len);
        assert_eq!(tree.root_at(size_before).expect("old root"), root_before);
        let all = store.read_all(0, 10_000).await.expect("read");
        let leaves: Vec<merkle::Hash> = all
            .iter()
            .map(|record| merkle::leaf_hash(&record.canonical_bytes()))
            .collect();
        assert_eq!(
            tree.root_at(tree.size()).expect("root"),
            merkle::root(&leaves)
        );
        drop(tree);

        // A damaged interior node is reported by the audit...
        let level1 = fixture.data.join(TREE_DIR).join("level-01");
        let mut bytes = std::fs::read(&level1).expect("level file");
        bytes[40] ^= 0x01;
        std::fs::write(&level1, &bytes).expect("write");
        let key = ServerKey::load_or_create(&fixture.data).expect("key");
        let (tree, stopped) = LogTree::open_for_audit(&fixture.data, &store, |_, _| {})
            .await
            .expect("tree");
        assert!(stopped.is_none());
        let report = audit_against(&store, &tree, &key).await;
        let failure = report.failure.expect("damaged node found");
        assert_eq!(failure.what, "merkle-tree", "{failure:?}");
        assert!(failure.reason.contains("level 1"), "{failure:?}");
        drop(tree);

        // ...and a tree whose last synced leaf differs from the log is
        // rebuilt from the log on open.
        let level0 = fixture.data.join(TREE_DIR).join("level-00");
        let mut bytes = std::fs::read(&level0).expect("level file");
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        std::fs::write(&level0, &bytes).expect("write");
        let tree = LogTree::open(&fixture.data, &store).await.expect("rebuilt");
        let report = audit_against(&store, &tree, &key).await;
        assert_ok(&report);
        store.close().await;
    });
}

/// A history rewritten by someone with write access to the database, with
/// every later hash recomputed so the chain holds: the signed checkpoints
/// expose it.
#[test]
fn a_rewritten_history_with_a_valid_chain_is_caught_by_the_checkpoints() {
    let fixture = fixture();
    runtime().block_on(async {
        let (store, _tree, key) = log_with_checkpoints(&fixture.data).await;
        let mut records = store.read_all(0, 10_000).await.expect("read");
        store.close().await;
        records[3].payload =
            salesledger_store::CanonicalJson::from_value(&json!({"customer_id": "forged"}));
        let mut prev = Hash32::ZERO;
        for record in &mut records {
            record.prev_hash = prev;
            record.hash = record.compute_hash();
            prev = record.hash;
        }
        let forged = MemStore::from_records(&records);
        let other = fixture.data.join("forged");
        std::fs::create_dir_all(&other).expect("mkdir");
        let (tree, _) = LogTree::open_for_audit(&other, &forged, |_, _| {})
            .await
            .expect("tree");
        let report = audit_against(&forged, &tree, &key).await;
        let failure = report.failure.expect("caught");
        assert_eq!(failure.what, "checkpoint", "{failure:?}");
        assert!(failure.reason.contains("signed root"), "{failure:?}");
    });
}

/// A read-only store over stored record bytes, to tamper with them freely.
struct MemStore {
    stored: Vec<Vec<u8>>,
    head: watch::Sender<LogHead>,
}

impl MemStore {
    fn from_records(records: &[RecordedEvent]) -> MemStore {
        let head = LogHead {
            len: records.len() as u64,
            last_hash: records.last().map_or(Hash32::ZERO, |record| record.hash),
        };
        MemStore {
            stored: records.iter().map(RecordedEvent::encode_stored).collect(),
            head: watch::channel(head).0,
        }
    }

    fn decode_all(&self) -> Result<Vec<RecordedEvent>, StoreError> {
        self.stored
            .iter()
            .enumerate()
            .map(|(position, bytes)| RecordedEvent::decode_stored(position as u64, bytes))
            .collect()
    }
}

#[async_trait]
impl Store for MemStore {
    async fn append(&self, _request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        Err(StoreError::InvalidAppend("read-only".into()))
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self
            .decode_all()?
            .into_iter()
            .filter(|record| record.stream_id == stream_id && record.stream_version >= from_version)
            .take(limit)
            .collect())
    }

    async fn read_all(
        &self,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let from = usize::try_from(from_position).unwrap_or(usize::MAX);
        self.stored
            .iter()
            .enumerate()
            .skip(from)
            .take(limit)
            .map(|(position, bytes)| RecordedEvent::decode_stored(position as u64, bytes))
            .collect()
    }

    async fn stream_version(&self, stream_id: &str) -> Result<Option<u64>, StoreError> {
        Ok(self
            .decode_all()?
            .iter()
            .filter(|record| record.stream_id == stream_id)
            .map(|record| record.stream_version)
            .max())
    }

    async fn idempotent_outcome(&self, _key: &str) -> Result<Option<StoredOutcome>, StoreError> {
        Ok(None)
    }

    fn head(&self) -> LogHead {
        *self.head.borrow()
    }

    fn watch_head(&self) -> watch::Receiver<LogHead> {
        self.head.subscribe()
    }
}

#[test]
fn two_hundred_random_byte_changes_in_stored_records_and_checkpoints_are_named() {
    let fixture = fixture();
    runtime().block_on(async {
        let (store, _tree, key) = log_with_checkpoints(&fixture.data).await;
        let records = store.read_all(0, 10_000).await.expect("read");
        store.close().await;
        let checkpoint_positions: Vec<usize> = records
            .iter()
            .filter(|record| record.stream_id == CHECKPOINT_STREAM)
            .map(|record| record.position as usize)
            .collect();
        let clean = MemStore::from_records(&records);
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5a1e5);
        let tree_dir = fixture.data.join("tamper");
        for change in 0..200 {
            let mut stored = clean.stored.clone();
            // Every fourth change hits a checkpoint record.
            let position = if change % 4 == 0 {
                checkpoint_positions[rng.gen_range(0..checkpoint_positions.len())]
            } else {
                rng.gen_range(0..stored.len())
            };
            let byte = rng.gen_range(0..stored[position].len());
            let value = loop {
                let value: u8 = rng.gen();
                if value != stored[position][byte] {
                    break value;
                }
            };
            stored[position][byte] = value;
            let tampered = MemStore {
                stored,
                head: watch::channel(clean.head()).0,
            };
            let _ = std::fs::remove_dir_all(&tree_dir);
            let (tree, _) = LogTree::open_for_audit(&tree_dir, &tampered, |_, _| {})
                .await
                .expect("tree");
            let report = audit_against(&tampered, &tree, &key).await;
            let failure = report.failure.unwrap_or_else(|| {
                panic!("change {change}: byte {byte} of record {position} went unnoticed")
            });
            assert!(
                failure.position <= position as u64 + 1,
                "change {change} at {position}, reported at {}: {}",
                failure.position,
                failure.reason
            );
            assert!(!failure.reason.is_empty());
        }
    });
}

async fn bundle_of(data: &Path, subject: &Subject, with_files: bool) -> (Bundle, String) {
    let store = SledStore::open(data).expect("open");
    let key = ServerKey::load_or_create(data).expect("key");
    let mut tree = LogTree::open(data, &store).await.expect("tree");
    let blobs = FsBlobStore::open(data, 1 << 20).expect("blobs");
    let bundle = build_bundle(
        &store,
        &mut tree,
        &key,
        subject,
        with_files.then_some(&blobs),
        |_, _| {},
    )
    .await
    .expect("bundle");
    store.close().await;
    (bundle, key.vkey())
}

fn to_bytes(bundle: &Bundle) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(bundle).expect("json");
    text.push('\n');
    text.into_bytes()
}

#[test]
fn a_customer_bundle_holds_exactly_its_events_and_verifies() {
    let fixture = fixture();
    let rt = runtime();
    rt.block_on(async {
        let (store, _tree, _key) = log_with_checkpoints(&fixture.data).await;
        // Events after the last checkpoint: the bundle signs a fresh one.
        let blobs = FsBlobStore::open(&fixture.data, 1 << 20).expect("blobs");
        write_history(&store, &blobs, 3).await;
        store.close().await;
    });
    let (bundle, vkey) = rt.block_on(bundle_of(
        &fixture.data,
        &Subject::customer(CUSTOMER_A),
        false,
    ));
    // 4 rounds x (3 follow-ups + 1 visit naming A); not B's events, not
    // the proposal (its payload names no customer), not the visit that
    // mentions A only in free text.
    assert_eq!(bundle.events.len(), 16);
    for event in &bundle.events {
        let record = &event.record;
        assert!(
            record.stream_id == format!("customer-{CUSTOMER_A}")
                || record.payload["customer_id"] == CUSTOMER_A.to_string(),
            "{record:?}"
        );
    }
    let report = verify_bundle(&to_bytes(&bundle), Some(&vkey)).expect("verifies");
    assert_eq!(report.n_events, 16);
    assert_eq!(report.tree_size, bundle.checkpoint.tree_size);
    assert!(bundle
        .events
        .iter()
        .all(|event| event.position < report.tree_size));
    // The same log state gives the same bytes.
    let (again, _) = rt.block_on(bundle_of(
        &fixture.data,
        &Subject::customer(CUSTOMER_A),
        false,
    ));
    assert_eq!(to_bytes(&again), to_bytes(&bundle), "deterministic");

    // A proposal bundle with its PDF.
    let (bundle, vkey) = rt.block_on(bundle_of(
        &fixture.data,
        &Subject::proposal(PROPOSAL_A),
        true,
    ));
    assert_eq!(bundle.events.len(), 4);
    assert_eq!(bundle.attachments.len(), 4);
    let report = verify_bundle(&to_bytes(&bundle), Some(&vkey)).expect("verifies");
    assert!(report.attachments.iter().all(|(_, included)| *included));
    // A swapped file is caught.
    let mut swapped = bundle.clone();
    swapped.attachments[0].content = swapped.attachments[1].content.clone();
    let error = verify_bundle(&to_bytes(&swapped), Some(&vkey)).expect_err("swapped file");
    assert!(
        error.location.to_string().starts_with("attachment "),
        "{error}"
    );
    // Another key is refused.
    let other = NoteSignerFixture::vkey();
    let error = verify_bundle(&to_bytes(&bundle), Some(&other)).expect_err("other key");
    assert_eq!(error.location.to_string(), "key", "{error}");
}

struct NoteSignerFixture;

impl NoteSignerFixture {
    fn vkey() -> String {
        salesledger_replay::audit::checkpoint::NoteSigner::from_seed(
            "salesledger/0000000000000000",
            &[3; 32],
        )
        .expect("signer")
        .verifier()
        .to_vkey()
    }
}

#[test]
fn the_checkpoint_record_position_and_signing_time_are_signed_from_format_3() {
    let fixture = fixture();
    let rt = runtime();
    rt.block_on(async {
        let (store, _tree, _key) = log_with_checkpoints(&fixture.data).await;
        store.close().await;
    });
    let (bundle, vkey) = rt.block_on(bundle_of(
        &fixture.data,
        &Subject::proposal(PROPOSAL_A),
        false,
    ));
    assert_eq!(bundle.format, "salesledger-evidence/3");
    verify_bundle(&to_bytes(&bundle), Some(&vkey)).expect("the original verifies");
    // A later signing time (still a valid time) and another record
    // position (still past the tree it covers): both are refused.
    let mut later = bundle.clone();
    later.checkpoint.signed_at = later.checkpoint.signed_at.replacen("20", "21", 1);
    assert_ne!(later.checkpoint.signed_at, bundle.checkpoint.signed_at);
    let error = verify_bundle(&to_bytes(&later), Some(&vkey)).expect_err("signed_at");
    assert!(error.to_string().starts_with("manifest"), "{error}");
    let mut moved = bundle.clone();
    moved.checkpoint.position += 1;
    let error = verify_bundle(&to_bytes(&moved), Some(&vkey)).expect_err("position");
    assert!(error.to_string().starts_with("manifest"), "{error}");

    // A format 2 bundle (no `checkpoint-record` line, first line `v2`),
    // signed by the same key, still verifies, and there those two fields
    // are as given.
    let key = ServerKey::load_or_create(&fixture.data).expect("key");
    let v3_text = bundle
        .manifest
        .split("\n\n")
        .next()
        .expect("the note's text")
        .to_owned()
        + "\n";
    assert!(v3_text.starts_with("salesledger evidence manifest v3\n"));
    let v2_text: String = v3_text
        .replacen("manifest v3", "manifest v2", 1)
        .lines()
        .filter(|line| !line.starts_with("checkpoint-record "))
        .map(|line| format!("{line}\n"))
        .collect();
    let mut v2 = bundle.clone();
    v2.format = "salesledger-evidence/2".into();
    v2.manifest = key.signer().sign(&v2_text).expect("sign");
    verify_bundle(&to_bytes(&v2), Some(&vkey)).expect("format 2 verifies");
    let mut v2_later = v2.clone();
    v2_later.checkpoint.signed_at = later.checkpoint.signed_at.clone();
    verify_bundle(&to_bytes(&v2_later), Some(&vkey)).expect("format 2 does not sign it");
    // The v3 manifest under the v2 format name is refused.
    let mut relabelled = bundle.clone();
    relabelled.format = "salesledger-evidence/2".into();
    let error = verify_bundle(&to_bytes(&relabelled), Some(&vkey)).expect_err("relabelled");
    assert!(error.to_string().starts_with("manifest"), "{error}");
}

#[test]
fn dropping_reordering_inserting_or_altering_bundle_events_is_detected() {
    let fixture = fixture();
    let rt = runtime();
    rt.block_on(async {
        let (store, _tree, _key) = log_with_checkpoints(&fixture.data).await;
        store.close().await;
    });
    let (bundle, vkey) = rt.block_on(bundle_of(
        &fixture.data,
        &Subject::customer(CUSTOMER_A),
        false,
    ));
    let (other, _) = rt.block_on(bundle_of(
        &fixture.data,
        &Subject::customer(CUSTOMER_B),
        false,
    ));
    let check = |tampered: &Bundle, what: &str| {
        let error = verify_bundle(&to_bytes(tampered), Some(&vkey)).expect_err(what);
        assert!(!error.reason.to_string().is_empty(), "{what}");
        error
    };
    // Dropped: the last, the first, one in the middle (with the timeline,
    // schema list and attachments made to match, as a careful forger would).
    for index in [0, bundle.events.len() / 2, bundle.events.len() - 1] {
        let mut dropped = bundle.clone();
        dropped.events.remove(index);
        dropped.timeline.remove(index);
        let error = check(&dropped, "dropped");
        assert_eq!(error.location.to_string(), "manifest", "{error}");
    }
    // Reordered.
    let mut reordered = bundle.clone();
    reordered.events.swap(1, 2);
    reordered.timeline.swap(1, 2);
    let error = check(&reordered, "reordered");
    assert_eq!(error.location.to_string(), "manifest", "{error}");
    // Inserted: a genuine, proven event of another customer.
    let mut inserted = bundle.clone();
    inserted.events.push(other.events[0].clone());
    inserted.events.sort_by_key(|event| event.position);
    let error = check(&inserted, "inserted");
    assert_eq!(error.location.to_string(), "manifest", "{error}");
    // Altered payload in the readable view only.
    let mut altered = bundle.clone();
    altered.events[1].record.payload["note"] = json!("rewritten");
    let error = check(&altered, "altered view");
    assert!(error.location.to_string().starts_with("event 1"), "{error}");
    assert!(
        error.reason.to_string().contains("readable record"),
        "{error}"
    );
    // A proof for another position.
    let mut wrong_proof = bundle.clone();
    wrong_proof.events[1].inclusion_proof = bundle.events[2].inclusion_proof.clone();
    check(&wrong_proof, "wrong proof");
    // A forged readable record written before the genuine one, under the
    // same key: a JSON reader keeps the genuine (last) one, a person reads
    // the forged one first.
    let text = String::from_utf8(to_bytes(&bundle)).expect("utf-8");
    let mut forged_record = bundle.events[1].record.clone();
    forged_record.payload["note"] = json!("rewritten");
    let forged = serde_json::to_string(&forged_record).expect("json");
    let first_record = text.find("\"record\": ").expect("a record key");
    let second_record = first_record
        + 1
        + text[first_record + 1..]
            .find("\"record\": ")
            .expect("a second record key");
    let mut doubled = text.clone();
    doubled.insert_str(second_record, &format!("\"record\": {forged},\n      "));
    let error = verify_bundle(doubled.as_bytes(), Some(&vkey)).expect_err("a key given twice");
    assert_eq!(error.reason.kind(), "duplicate_key", "{error}");
    assert!(error.reason.to_string().contains("key record "), "{error}");
    // The same bytes without the forged key verify.
    verify_bundle(text.as_bytes(), Some(&vkey)).expect("the original verifies");
}

#[test]
fn two_hundred_random_byte_changes_in_a_bundle_are_detected_and_named() {
    let fixture = fixture();
    let rt = runtime();
    rt.block_on(async {
        let (store, _tree, _key) = log_with_checkpoints(&fixture.data).await;
        store.close().await;
    });
    let (bundle, vkey) = rt.block_on(bundle_of(
        &fixture.data,
        &Subject::proposal(PROPOSAL_A),
        true,
    ));
    let bytes = to_bytes(&bundle);
    let original: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    verify_bundle(&bytes, Some(&vkey)).expect("the original verifies");
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xb0b);
    let mut by_location: BTreeMap<String, u32> = BTreeMap::new();
    let mut n_changes = 0;
    while n_changes < 200 {
        let mut tampered = bytes.clone();
        let byte = rng.gen_range(0..tampered.len());
        let value: u8 = rng.gen_range(0x20..0x7f);
        if value == tampered[byte] {
            continue;
        }
        tampered[byte] = value;
        // Reformatting (whitespace between tokens) changes no content.
        if serde_json::from_slice::<serde_json::Value>(&tampered).ok() == Some(original.clone()) {
            continue;
        }
        n_changes += 1;
        for key in [Some(vkey.as_str()), None] {
            let error = verify_bundle(&tampered, key).unwrap_err_or_else(|| {
                panic!(
                    "byte {byte} changed to {:?} went unnoticed",
                    char::from(value)
                )
            });
            assert!(!error.location.to_string().is_empty() && !error.reason.to_string().is_empty());
            if key.is_some() {
                *by_location
                    .entry(
                        error
                            .location
                            .to_string()
                            .split(' ')
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                    )
                    .or_default() += 1;
            }
        }
    }
    // The changes were spread over the document and named accordingly.
    assert!(by_location.len() >= 3, "{by_location:?}");
}

trait UnwrapErr<E> {
    fn unwrap_err_or_else(self, f: impl FnOnce()) -> E;
}

impl<T, E> UnwrapErr<E> for Result<T, E> {
    fn unwrap_err_or_else(self, f: impl FnOnce()) -> E {
        match self {
            Ok(_) => {
                f();
                unreachable!("the closure panics")
            }
            Err(error) => error,
        }
    }
}

#[test]
fn export_reads_back_equal_to_the_log_and_tampering_is_named() {
    let fixture = fixture();
    runtime().block_on(async {
        let (store, _tree, _key) = log_with_checkpoints(&fixture.data).await;
        let mut out = Vec::new();
        let header = export_log(&store, &mut out, |_, _| {})
            .await
            .expect("export");
        let records = store.read_all(0, 10_000).await.expect("read");
        assert_eq!(header.records, records.len() as u64);
        let read: Vec<RecordedEvent> = ExportReader::new(&out[..])
            .expect("header")
            .collect::<Result<_, _>>()
            .expect("verifies");
        assert_eq!(read, records);
        store.close().await;

        let lines: Vec<&[u8]> = out.split(|byte| *byte == b'\n').collect();
        // A dropped line, a truncated file, a changed byte.
        let dropped: Vec<u8> = [&lines[..5], &lines[6..]].concat().join(&b'\n');
        let error = ExportReader::new(&dropped[..])
            .expect("header")
            .find_map(Result::err)
            .expect("dropped line");
        assert!(error.to_string().contains("line 6"), "{error}");
        let truncated: Vec<u8> = lines[..lines.len() - 3].join(&b'\n');
        assert!(ExportReader::new(&truncated[..])
            .expect("header")
            .any(|item| item.is_err()));
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        // 200 changes: a hex digit's case among them (uppercase hex once
        // passed, since it decodes to the same bytes).
        for _ in 0..200 {
            let mut changed = out.clone();
            let byte = rng.gen_range(lines[0].len() + 1..changed.len() - 1);
            let value: u8 = rng.gen_range(0x20..0x7f);
            if changed[byte] == value || changed[byte] == b'\n' {
                continue;
            }
            changed[byte] = value;
            let original: Vec<serde_json::Value> = out
                .split(|byte| *byte == b'\n')
                .filter_map(|line| serde_json::from_slice(line).ok())
                .collect();
            let now: Vec<serde_json::Value> = changed
                .split(|byte| *byte == b'\n')
                .filter_map(|line| serde_json::from_slice(line).ok())
                .collect();
            if original == now {
                continue;
            }
            let failed = match ExportReader::new(&changed[..]) {
                Err(_) => true,
                Ok(reader) => reader.into_iter().any(|item| item.is_err()),
            };
            assert!(failed, "byte {byte} changed unnoticed");
        }
    });
}

#[test]
fn a_saved_checkpoint_is_extended_by_the_log_and_not_by_a_fork() {
    let fixture = fixture();
    let fork = fixture.data.with_file_name("fork");
    std::fs::create_dir_all(fork.join(AUDIT_DIR)).expect("mkdir");
    runtime().block_on(async {
        let (store, mut tree, key) = log_with_checkpoints(&fixture.data).await;
        let saved = latest_checkpoint(&store).await.expect("read").expect("cp");
        // The log grows: it still extends the saved checkpoint.
        let blobs = FsBlobStore::open(&fixture.data, 1 << 20).expect("blobs");
        write_history(&store, &blobs, 7).await;
        sign_checkpoint(&store, &mut tree, &key)
            .await
            .expect("checkpoint");
        tree.catch_up(&store).await.expect("catch up");
        let (old, new) =
            prove_extends(&tree, key.verifier(), &saved.payload.note).expect("extends");
        assert_eq!(old.0, saved.payload.tree_size);
        assert_eq!(new.0, store.head().len);
        store.close().await;

        // A fork: the same key, another history of the same length and more.
        std::fs::copy(
            fixture.data.join(AUDIT_DIR).join(KEY_FILE),
            fork.join(AUDIT_DIR).join(KEY_FILE),
        )
        .expect("copy key");
        let forked = SledStore::open(&fork).expect("open");
        let fork_blobs = FsBlobStore::open(&fork, 1 << 20).expect("blobs");
        for round in 0..6 {
            write_history(&forked, &fork_blobs, round + 50).await;
        }
        let fork_tree = LogTree::open(&fork, &forked).await.expect("tree");
        assert!(fork_tree.size() > saved.payload.tree_size);
        let error = prove_extends(&fork_tree, key.verifier(), &saved.payload.note)
            .expect_err("a fork does not extend it");
        assert!(error.to_string().contains("mismatch"), "{error}");
        forked.close().await;
    });
}

/// Waits (5 s at most, else fails with `why`) for a checkpoint of at
/// least `tree_size` records.
async fn wait_for_checkpoint(store: &dyn Store, tree_size: u64, why: &str) {
    for _ in 0..250 {
        let latest = latest_checkpoint(store).await.expect("read");
        if latest.is_some_and(|checkpoint| checkpoint.payload.tree_size >= tree_size) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{why}");
}

#[test]
fn the_periodic_checkpointer_signs_on_count_and_stays_quiet_when_idle() {
    let fixture = fixture();
    runtime().block_on(async {
        let store = Arc::new(SledStore::open(&fixture.data).expect("open"));
        let shared: Arc<dyn Store> = store.clone();
        let checkpointer = salesledger_replay::audit::Checkpointer::start(
            shared,
            &fixture.data,
            salesledger_replay::audit::CheckpointPolicy {
                every_records: 5,
                every: std::time::Duration::from_secs(3600),
            },
        )
        .await
        .expect("start");
        for n in 0..5 {
            append(
                store.as_ref(),
                "customer-x",
                "FollowUpRecorded",
                json!({"n": n}),
            )
            .await;
        }
        wait_for_checkpoint(store.as_ref(), 1, "no checkpoint after 5 records").await;
        let first = latest_checkpoint(store.as_ref())
            .await
            .expect("read")
            .expect("cp");
        assert_eq!(first.payload.tree_size, 5);
        // Idle: the checkpoint record itself triggers nothing more.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(store.head().len, 6);
        // One more record, then stop: a final checkpoint covers it.
        append(
            store.as_ref(),
            "customer-x",
            "FollowUpRecorded",
            json!({"n": 5}),
        )
        .await;
        checkpointer.stop().await.expect("stop");
        let last = latest_checkpoint(store.as_ref())
            .await
            .expect("read")
            .expect("cp");
        assert_eq!(last.payload.tree_size, 7);
        store.close().await;
    });
}

#[test]
fn the_periodic_checkpointer_carries_on_after_the_log_was_out_of_reach() {
    let fixture = fixture();
    runtime().block_on(async {
        let store = Arc::new(SledStore::open(&fixture.data).expect("open"));
        let inner: Arc<dyn Store> = store.clone();
        let checkpointer = salesledger_replay::audit::Checkpointer::start(
            Arc::new(salesledger_store::conformance::Unsteady::new(inner).failing_stream_reads(3)),
            &fixture.data,
            salesledger_replay::audit::CheckpointPolicy {
                every_records: 1,
                every: std::time::Duration::from_millis(20),
            },
        )
        .await
        .expect("start");
        // Each record wakes the checkpointer; its first reads fail.
        for n in 0..5 {
            append(
                store.as_ref(),
                "customer-x",
                "FollowUpRecorded",
                json!({"n": n}),
            )
            .await;
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        }
        wait_for_checkpoint(
            store.as_ref(),
            5,
            "no checkpoint once the log answered again",
        )
        .await;
        checkpointer.stop().await.expect("stop");
        store.close().await;
    });
}
