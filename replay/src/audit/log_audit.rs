//! The audit layer over the log: the server's signing key, signed
//! checkpoint events, the periodic checkpointer, and the full audit of a
//! log (chain, Merkle tree, every checkpoint).
//!
//! # Checkpoint events
//!
//! A checkpoint is a record like any other, in stream
//! [`CHECKPOINT_STREAM`] (`audit-checkpoints`), event type
//! [`CHECKPOINT_EVENT_TYPE`] (`CheckpointSigned`), schema version 1, with
//! this canonical JSON payload:
//!
//! | field | meaning |
//! |---|---|
//! | `origin` | the log's origin line, `salesledger/<log id>` (also the key name) |
//! | `tree_size` | number of records covered: positions `0 .. tree_size - 1` |
//! | `root_hash` | RFC 9162 root of those records, 64 hex digits |
//! | `note` | the C2SP signed note: the `tlog-checkpoint` body (origin, size, base64 root) and one Ed25519 signature line |
//! | `verifier_key` | the C2SP verifier key (`<name>+<key id>+<base64 key>`) |
//! | `signed_at` | RFC 3339 UTC time of signing (the record's `recorded_at` is the store's time) |
//!
//! **Which records a checkpoint covers.** The tree head is computed first,
//! over the log as it is committed at that moment (`tree_size` = its
//! length), then the checkpoint record is appended. So a checkpoint never
//! covers itself: the record at position `p` covers exactly positions
//! `0 .. tree_size - 1` with `tree_size <= p` (`< p` when other records were
//! appended between the computation and the append). The checkpoint record
//! itself is covered by the next checkpoint. Successive checkpoints in the
//! stream have non-decreasing tree sizes (appends to the stream use the
//! expected version, so two checkpointers cannot interleave).
//!
//! Every other reader of the log skips this event type: it is unknown to
//! the domain's decoder, and both `commands`' registry and `projections`
//! skip unknown event types.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use salesledger_store::{
    AppendMetadata, AppendRequest, ChainBreak, ExpectedVersion, Hash32, NewEvent, RecordedEvent,
    Store, StoreError, READ_PAGE,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::checkpoint::{key_id, Checkpoint, NoteSigner, NoteVerifier};
use super::error::{io_at, AuditError};
use super::log_tree::LogTree;
use super::merkle::{self, leaf_hash, node_hash, Hash};

/// Stream of checkpoint events.
pub const CHECKPOINT_STREAM: &str = "audit-checkpoints";
/// Event type of checkpoint events.
pub const CHECKPOINT_EVENT_TYPE: &str = "CheckpointSigned";
/// Schema version of the checkpoint payload.
pub const CHECKPOINT_SCHEMA_VERSION: u32 = 1;
/// Actor recorded on checkpoint events.
pub const CHECKPOINT_ACTOR: &str = "system:checkpointer";
/// Directory (in the data directory) of the key.
pub const AUDIT_DIR: &str = "audit";
/// The key file, in [`AUDIT_DIR`].
pub const KEY_FILE: &str = "signing.key";
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";

// ---------------------------------------------------------------------------
// The server key
// ---------------------------------------------------------------------------

/// The log's Ed25519 signing key and its name (the checkpoints' origin).
pub struct ServerKey {
    signer: NoteSigner,
    verifier: NoteVerifier,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKey")
            .field("vkey", &self.verifier.to_vkey())
            .finish_non_exhaustive()
    }
}

/// SHA-256 of the raw 32-byte public key, 64 hex digits: what an auditor
/// compares out of band.
pub fn key_fingerprint(verifier: &NoteVerifier) -> String {
    hex::encode(Sha256::digest(verifier.public_key()))
}

impl ServerKey {
    /// Loads `DATA_DIR/audit/signing.key`, or generates it (from the OS's
    /// random source, file mode 0600) when absent. The key name is
    /// `salesledger/<16 random hex digits>`: the log's origin.
    pub fn load_or_create(data_dir: &Path) -> Result<ServerKey, AuditError> {
        let path = data_dir.join(AUDIT_DIR).join(KEY_FILE);
        if path.exists() {
            return Self::load(&path);
        }
        let dir = data_dir.join(AUDIT_DIR);
        salesledger_store::private_fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        let mut seed = [0u8; 32];
        let mut log_id = [0u8; 8];
        {
            use rand::RngCore as _;
            let mut rng = rand::rngs::OsRng;
            rng.try_fill_bytes(&mut seed)
                .and_then(|()| rng.try_fill_bytes(&mut log_id))
                .map_err(|error| AuditError::KeyFile {
                    path: path.clone(),
                    reason: format!("no randomness: {error}"),
                })?;
        }
        let name = format!("salesledger/{}", hex::encode(log_id));
        let signer = NoteSigner::from_seed(&name, &seed)?;
        let verifier = signer.verifier();
        let mut private = vec![0x01u8];
        private.extend_from_slice(&seed);
        let text = format!(
            "{PRIVATE_KEY_PREFIX}{name}+{:08x}+{}\n",
            verifier.key_id(),
            BASE64.encode(&private)
        );
        write_private(&path, text.as_bytes())?;
        tracing::info!(vkey = %verifier.to_vkey(), path = %path.display(), "generated the log's signing key");
        Ok(ServerKey { signer, verifier })
    }

    /// Loads a key file in the Go `note` private key form
    /// `PRIVATE+KEY+<name>+<key id>+base64(0x01 || seed)`.
    pub fn load(path: &Path) -> Result<ServerKey, AuditError> {
        let bad = |reason: &str| AuditError::KeyFile {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path)
                .map_err(io_at(path))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "the signing key is readable by others; chmod 600 it");
            }
        }
        let text = std::fs::read_to_string(path).map_err(io_at(path))?;
        let rest = text
            .trim()
            .strip_prefix(PRIVATE_KEY_PREFIX)
            .ok_or_else(|| bad("does not start with PRIVATE+KEY+"))?;
        // Names hold no '+'; base64 may.
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected PRIVATE+KEY+name+keyid+key"));
        };
        let bytes = BASE64
            .decode(key_b64)
            .map_err(|_| bad("key is not base64"))?;
        let [0x01, seed @ ..] = bytes.as_slice() else {
            return Err(bad("not an Ed25519 key"));
        };
        let seed: [u8; 32] = seed.try_into().map_err(|_| bad("seed is not 32 bytes"))?;
        let signer = NoteSigner::from_seed(name, &seed)?;
        let verifier = signer.verifier();
        if u32::from_str_radix(id_hex, 16).ok() != Some(key_id(name, &verifier.public_key())) {
            return Err(bad("key id does not match the key"));
        }
        Ok(ServerKey { signer, verifier })
    }

    /// The origin line of this log's checkpoints (= the key name).
    pub fn origin(&self) -> &str {
        self.verifier.name()
    }

    pub fn signer(&self) -> &NoteSigner {
        &self.signer
    }

    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// `salesledger key` output: the C2SP verifier key.
    pub fn vkey(&self) -> String {
        self.verifier.to_vkey()
    }

    pub fn fingerprint(&self) -> String {
        key_fingerprint(&self.verifier)
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), AuditError> {
    use std::io::Write as _;
    let mut file = salesledger_store::private_fs::open_options()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_at(path))?;
    file.write_all(bytes).map_err(io_at(path))?;
    file.sync_all().map_err(io_at(path))?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|dir_file| dir_file.sync_all())
            .map_err(io_at(dir))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Checkpoint events
// ---------------------------------------------------------------------------

/// The payload of a `CheckpointSigned` event (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointPayload {
    pub origin: String,
    pub tree_size: u64,
    pub root_hash: Hash32,
    pub note: String,
    pub verifier_key: String,
    pub signed_at: String,
}

/// A checkpoint as found in the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckpointRecord {
    /// Position of the checkpoint record itself (`>= tree_size`).
    pub position: u64,
    pub recorded_at: DateTime<Utc>,
    pub payload: CheckpointPayload,
}

impl CheckpointRecord {
    /// Decodes a `CheckpointSigned` record (any other type is an error).
    pub fn from_record(record: &RecordedEvent) -> Result<CheckpointRecord, AuditError> {
        let bad = |reason: String| AuditError::BadCheckpointRecord {
            position: record.position,
            reason,
        };
        if record.event_type != CHECKPOINT_EVENT_TYPE {
            return Err(bad(format!("event type {}", record.event_type)));
        }
        if record.schema_version != CHECKPOINT_SCHEMA_VERSION {
            return Err(bad(format!(
                "unknown schema version {}",
                record.schema_version
            )));
        }
        let payload: CheckpointPayload = record
            .payload
            .deserialize()
            .map_err(|error| bad(format!("payload: {error}")))?;
        Ok(CheckpointRecord {
            position: record.position,
            recorded_at: record.recorded_at,
            payload,
        })
    }

    /// Checks the note's signature with `verifier`, and that the note, the
    /// payload fields and the record's place agree. Returns the signed
    /// checkpoint body.
    pub fn check_signed(&self, verifier: &NoteVerifier) -> Result<Checkpoint, AuditError> {
        let bad = |reason: String| AuditError::BadCheckpointRecord {
            position: self.position,
            reason,
        };
        let text = verifier
            .open(&self.payload.note)
            .map_err(|error| bad(format!("signature: {error}")))?;
        let body = Checkpoint::parse_body(text).map_err(|error| bad(error.to_string()))?;
        if body.origin != self.payload.origin || body.origin != verifier.name() {
            return Err(bad(format!(
                "origin {:?} differs from the payload's {:?} or the key's {:?}",
                body.origin,
                self.payload.origin,
                verifier.name()
            )));
        }
        if body.tree_size != self.payload.tree_size {
            return Err(bad("the note's tree size differs from the payload's".into()));
        }
        if body.root_hash != self.payload.root_hash.0 {
            return Err(bad("the note's root differs from the payload's".into()));
        }
        if body.tree_size > self.position {
            return Err(bad(format!(
                "covers {} records but sits at position {}: a checkpoint covers only records before it",
                body.tree_size, self.position
            )));
        }
        if self.payload.verifier_key != verifier.to_vkey() {
            return Err(bad("the payload's verifier key is not the log's key".into()));
        }
        Ok(body)
    }
}

/// The latest checkpoint in the log, if any.
pub async fn latest_checkpoint(store: &dyn Store) -> Result<Option<CheckpointRecord>, AuditError> {
    let Some(version) = store.stream_version(CHECKPOINT_STREAM).await? else {
        return Ok(None);
    };
    let records = store.read_stream(CHECKPOINT_STREAM, version, 1).await?;
    records
        .first()
        .map(CheckpointRecord::from_record)
        .transpose()
}

/// The latest checkpoint in the log that covers exactly `tree_size`
/// records, if any. Tree sizes never decrease along the checkpoint stream,
/// so this is a binary search over its versions (one read per probe).
pub async fn checkpoint_of_size(
    store: &dyn Store,
    tree_size: u64,
) -> Result<Option<CheckpointRecord>, AuditError> {
    let Some(version) = store.stream_version(CHECKPOINT_STREAM).await? else {
        return Ok(None);
    };
    let at = |stream_version: u64| async move {
        let records = store
            .read_stream(CHECKPOINT_STREAM, stream_version, 1)
            .await?;
        let record = records.first().ok_or(AuditError::BadCheckpointRecord {
            position: stream_version,
            reason: format!("checkpoint stream version {stream_version} is missing"),
        })?;
        CheckpointRecord::from_record(record)
    };
    // The last version whose tree size is at most `tree_size`.
    let (mut low, mut high) = (0u64, version);
    if at(0).await?.payload.tree_size > tree_size {
        return Ok(None);
    }
    while low < high {
        let middle = low + (high - low).div_ceil(2);
        if at(middle).await?.payload.tree_size <= tree_size {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    let found = at(low).await?;
    Ok((found.payload.tree_size == tree_size).then_some(found))
}

/// Computes the tree head over the log as committed now, signs it, and
/// appends it as a `CheckpointSigned` event. The tree is caught up first.
/// Retries (up to 5 times) when another checkpointer appended in between.
pub async fn sign_checkpoint(
    store: &dyn Store,
    tree: &mut LogTree,
    key: &ServerKey,
) -> Result<CheckpointRecord, AuditError> {
    let mut last_error = String::new();
    for _ in 0..5 {
        let version = store.stream_version(CHECKPOINT_STREAM).await?;
        let tree_size = tree.catch_up(store).await?;
        if tree_size == 0 {
            return Err(AuditError::EmptyLog);
        }
        tree.sync()?;
        let root = tree.root_at(tree_size)?;
        let body = Checkpoint {
            origin: key.origin().to_owned(),
            tree_size,
            root_hash: root,
        }
        .body();
        let note = key.signer().sign(&body)?;
        let payload = CheckpointPayload {
            origin: key.origin().to_owned(),
            tree_size,
            root_hash: Hash32(root),
            note,
            verifier_key: key.vkey(),
            signed_at: Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
        };
        let command_id = Uuid::now_v7();
        let request = AppendRequest {
            stream_id: CHECKPOINT_STREAM.to_owned(),
            expected_version: match version {
                Some(version) => ExpectedVersion::Exact(version),
                None => ExpectedVersion::NoStream,
            },
            events: vec![NewEvent::new(
                CHECKPOINT_EVENT_TYPE,
                CHECKPOINT_SCHEMA_VERSION,
                &serde_json::to_value(&payload)?,
            )],
            metadata: AppendMetadata {
                actor: CHECKPOINT_ACTOR.to_owned(),
                command_id,
                correlation_id: command_id,
                causation_id: command_id,
            },
            idempotency: None,
        };
        match store.append(request).await {
            Ok(outcome) => {
                tracing::info!(
                    tree_size,
                    position = outcome.first_position,
                    root = %Hash32(root),
                    "signed checkpoint"
                );
                return Ok(CheckpointRecord {
                    position: outcome.first_position,
                    recorded_at: outcome.recorded_at,
                    payload,
                });
            }
            Err(StoreError::WrongExpectedVersion { .. }) => {
                last_error = "another checkpointer appended at the same time".into();
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(AuditError::CheckpointRace(last_error))
}

/// The latest checkpoint if it covers every record before `needed` (a log
/// length), else a freshly signed one.
pub async fn checkpoint_covering(
    store: &dyn Store,
    tree: &mut LogTree,
    key: &ServerKey,
    needed: u64,
) -> Result<CheckpointRecord, AuditError> {
    if let Some(latest) = latest_checkpoint(store).await? {
        if latest.payload.tree_size >= needed && latest.payload.verifier_key == key.vkey() {
            return Ok(latest);
        }
    }
    sign_checkpoint(store, tree, key).await
}

// ---------------------------------------------------------------------------
// The periodic checkpointer
// ---------------------------------------------------------------------------

/// When the checkpointer signs: after `every_records` new records, or
/// `every` after the last checkpoint if any record arrived since. Records
/// that are checkpoints themselves do not count, so an idle log gets no
/// new checkpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointPolicy {
    pub every_records: u64,
    pub every: Duration,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        CheckpointPolicy {
            every_records: 10_000,
            every: Duration::from_secs(300),
        }
    }
}

/// A running periodic checkpointer (a tokio task); stop it with
/// [`Checkpointer::stop`], which signs a last checkpoint if anything new
/// arrived.
pub struct Checkpointer {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), AuditError>>,
}

impl Checkpointer {
    /// Opens the key (creating it) and the tree of `data_dir`, then spawns
    /// the task. Call it from `serve` right after opening the store.
    pub async fn start(
        store: Arc<dyn Store>,
        data_dir: &Path,
        policy: CheckpointPolicy,
    ) -> Result<Checkpointer, AuditError> {
        let key = ServerKey::load_or_create(data_dir)?;
        let tree = LogTree::open(data_dir, store.as_ref()).await?;
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(run_checkpointer(store, tree, key, policy, stop_rx));
        Ok(Checkpointer { stop, task })
    }

    /// Stops the task (after a final checkpoint of anything new).
    pub async fn stop(self) -> Result<(), AuditError> {
        let _ = self.stop.send(true);
        match self.task.await {
            Ok(result) => result,
            Err(error) => Err(AuditError::CheckpointRace(format!(
                "checkpointer task failed: {error}"
            ))),
        }
    }
}

/// Records after the latest checkpoint that are not checkpoints.
async fn new_records(store: &dyn Store) -> Result<u64, AuditError> {
    let head = store.head().len;
    Ok(match latest_checkpoint(store).await? {
        Some(latest) => head.saturating_sub(latest.position + 1),
        None => head,
    })
}

async fn run_checkpointer(
    store: Arc<dyn Store>,
    mut tree: LogTree,
    key: ServerKey,
    policy: CheckpointPolicy,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<(), AuditError> {
    let mut head = store.watch_head();
    let mut last_signed = tokio::time::Instant::now();
    let tick = policy.every.max(Duration::from_millis(10));
    loop {
        let stopping = tokio::select! {
            changed = head.changed() => changed.is_err(),
            () = tokio::time::sleep_until(last_signed + tick) => false,
            _ = stop.changed() => true,
        };
        let n_new = match new_records(store.as_ref()).await {
            Ok(n_new) => n_new,
            // The log out of reach for now (a database restarting): the
            // checkpointer carries on at the next tick rather than stopping
            // until the process does.
            Err(AuditError::Store(error)) if error.is_transient() && !stopping => {
                tracing::warn!(%error, "the checkpointer could not read the log; retrying at the next tick");
                last_signed = tokio::time::Instant::now();
                continue;
            }
            Err(error) => return Err(error),
        };
        let due = n_new >= policy.every_records.max(1)
            || (n_new > 0 && (stopping || last_signed.elapsed() >= policy.every));
        if due {
            if let Err(error) = sign_checkpoint(store.as_ref(), &mut tree, &key).await {
                tracing::warn!(%error, "periodic checkpoint failed; retrying at the next tick");
            }
            last_signed = tokio::time::Instant::now();
        } else if last_signed.elapsed() >= policy.every {
            last_signed = tokio::time::Instant::now();
        }
        if stopping {
            return Ok(());
        }
    }
}

// ---------------------------------------------------------------------------
// Auditing a whole log
// ---------------------------------------------------------------------------

/// What [`verify_log_audit`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Records whose chain link, leaf and tree nodes verified.
    pub n_verified: u64,
    pub last_hash: Hash32,
    /// Checkpoints whose signature, root and consistency verified.
    pub n_checkpoints: u64,
    /// The last verified checkpoint: tree size and root.
    pub last_checkpoint: Option<(u64, Hash32)>,
    /// The keys the verified checkpoints are signed by, in the order each
    /// first signed one (more than one after a key was replaced, e.g. a
    /// restore without the old key).
    pub checkpoint_keys: Vec<CheckpointSigner>,
    /// The first failure, if any.
    pub failure: Option<AuditFailure>,
}

/// One key that signed checkpoints of the log ([`AuditReport`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckpointSigner {
    /// Its verifier key (C2SP vkey).
    pub vkey: String,
    /// SHA-256 of its public key ([`key_fingerprint`]).
    pub fingerprint: String,
    /// How many verified checkpoints it signed.
    pub n_checkpoints: u64,
    /// The log positions of the first and the last of them.
    pub first_position: u64,
    pub last_position: u64,
}

/// Which keys may sign the checkpoints of a log ([`verify_log_audit`]).
#[derive(Clone, Copy, Debug)]
pub enum CheckpointKeys<'a> {
    /// Only these keys, obtained apart from the log (published): a
    /// checkpoint signed by any other fails.
    Published(&'a [NoteVerifier]),
    /// Each checkpoint's signature is checked with the key it carries. That
    /// proves the checkpoints are intact and consistent, not who signed
    /// them: the report lists the keys ([`AuditReport::checkpoint_keys`])
    /// for a reader to compare with the published ones.
    Carried,
}

impl AuditReport {
    fn signed_by(&mut self, verifier: &NoteVerifier, position: u64) {
        let vkey = verifier.to_vkey();
        match self
            .checkpoint_keys
            .iter_mut()
            .find(|signer| signer.vkey == vkey)
        {
            Some(signer) => {
                signer.n_checkpoints += 1;
                signer.last_position = position;
            }
            None => self.checkpoint_keys.push(CheckpointSigner {
                fingerprint: key_fingerprint(verifier),
                vkey,
                n_checkpoints: 1,
                first_position: position,
                last_position: position,
            }),
        }
    }
}

/// The first thing that does not verify.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditFailure {
    /// `record`, `merkle-tree`, `checkpoint` ([`AuditBreak::what`]).
    pub what: String,
    pub position: u64,
    /// Why, in English (`cause`'s Display): for logs and JSON.
    pub reason: String,
    /// Why, as a stable machine code ([`AuditBreak::kind`]).
    pub kind: &'static str,
    /// Why, typed: what a user interface words in its own language.
    #[serde(skip)]
    pub cause: AuditBreak,
}

impl AuditFailure {
    pub fn new(position: u64, cause: AuditBreak) -> AuditFailure {
        AuditFailure {
            what: cause.what().to_owned(),
            position,
            reason: cause.to_string(),
            kind: cause.kind(),
            cause,
        }
    }
}

/// Why a log does not verify ([`verify_log_audit`]). The Display is
/// English (logs, tests); a user interface words it from the variant and
/// its fields; [`AuditBreak::kind`] is the stable machine code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditBreak {
    /// A record does not extend the hash chain.
    #[error(transparent)]
    Chain(#[from] ChainBreak),
    /// A node of the persistent Merkle tree is not the one the records
    /// give (`stored` is `None` when the node is missing).
    #[error("node (level {level}, index {index}) is {} but the log gives {computed}", stored.as_deref().unwrap_or("missing"))]
    MerkleNode {
        level: u32,
        index: u64,
        stored: Option<String>,
        computed: String,
    },
    /// A checkpoint signed by a key that is not one of the published
    /// keys the log was checked against ([`CheckpointKeys::Published`]).
    #[error("signed by {key}, which is not one of the published keys given")]
    CheckpointKeyNotPublished { key: String },
    /// A checkpoint record that does not read or whose signature does not
    /// verify (`detail`: the checkpoint layer's words).
    #[error("{detail}")]
    CheckpointUnsigned { detail: String },
    /// A checkpoint of tree size 0.
    #[error("covers no record")]
    CheckpointEmpty,
    /// The signed root is not the log's root at that size.
    #[error("signed root {signed} for tree size {tree_size} but the log gives {computed}")]
    CheckpointRootMismatch {
        signed: String,
        tree_size: u64,
        computed: String,
    },
    /// A checkpoint smaller than the one before it.
    #[error("tree size {tree_size} is smaller than the previous checkpoint's {previous}")]
    CheckpointShrinks { tree_size: u64, previous: u64 },
    /// No consistency proof from the previous checkpoint verifies.
    #[error("not consistent with the previous checkpoint: {detail}")]
    CheckpointInconsistent { detail: String },
    /// The tree could not give a root or proof for a checkpoint.
    #[error("{detail}")]
    CheckpointTree { detail: String },
}

impl AuditBreak {
    /// What failed: `record`, `merkle-tree` or `checkpoint`.
    pub fn what(&self) -> &'static str {
        match self {
            AuditBreak::Chain(_) => "record",
            AuditBreak::MerkleNode { .. } => "merkle-tree",
            _ => "checkpoint",
        }
    }

    /// The stable machine code of this failure (`snake_case`).
    pub fn kind(&self) -> &'static str {
        match self {
            AuditBreak::Chain(cause) => cause.kind(),
            AuditBreak::MerkleNode { .. } => "merkle_node_mismatch",
            AuditBreak::CheckpointKeyNotPublished { .. } => "checkpoint_key_not_published",
            AuditBreak::CheckpointUnsigned { .. } => "checkpoint_unsigned",
            AuditBreak::CheckpointEmpty => "checkpoint_empty",
            AuditBreak::CheckpointRootMismatch { .. } => "checkpoint_root_mismatch",
            AuditBreak::CheckpointShrinks { .. } => "checkpoint_shrinks",
            AuditBreak::CheckpointInconsistent { .. } => "checkpoint_inconsistent",
            AuditBreak::CheckpointTree { .. } => "checkpoint_tree",
        }
    }
}

/// Walks the whole log once and checks: the hash chain (as
/// [`salesledger_store::verify_log`]); that the persistent Merkle tree
/// holds exactly the nodes recomputed from the records (every leaf and
/// every perfect subtree); for every `CheckpointSigned` record, its
/// signature by one of `keys` (or by the key it carries), that it covers
/// only records before it, that its
/// root is the recomputed root at its tree size, and a consistency proof
/// from the previous checkpoint. `progress(done, total)` after each page.
pub async fn verify_log_audit(
    store: &dyn Store,
    tree: &LogTree,
    keys: CheckpointKeys<'_>,
    mut progress: impl FnMut(u64, u64) + Send,
) -> Result<AuditReport, AuditError> {
    let head = store.head();
    let mut chain = salesledger_store::ChainVerifier::default();
    let mut report = AuditReport::default();
    let mut stack: Vec<(u32, Hash)> = Vec::with_capacity(64);
    let mut cursors = LevelCursors::default();
    let fail = |report: &mut AuditReport, position: u64, cause: ChainBreak| {
        report.failure = Some(AuditFailure::new(position, cause.into()));
    };
    let mut previous: Option<(u64, Hash)> = None;
    while chain.n_verified() < head.len {
        let from = chain.n_verified();
        let records = match store.read_all(from, READ_PAGE).await {
            Ok(records) => records,
            Err(StoreError::CorruptRecord { position, reason }) => {
                // Check what precedes the corrupt record, then report it.
                let n_before = usize::try_from(position.saturating_sub(from)).unwrap_or(0);
                let before = if n_before > 0 {
                    store.read_all(from, n_before).await?
                } else {
                    Vec::new()
                };
                if !audit_page(
                    &before,
                    &mut chain,
                    &mut stack,
                    &mut cursors,
                    tree,
                    keys,
                    &mut previous,
                    &mut report,
                )? {
                    return Ok(report);
                }
                fail(
                    &mut report,
                    position,
                    ChainBreak::Undecodable { detail: reason },
                );
                return Ok(report);
            }
            Err(error) => return Err(error.into()),
        };
        if records.is_empty() {
            fail(&mut report, from, ChainBreak::RecordMissing);
            return Ok(report);
        }
        if !audit_page(
            &records,
            &mut chain,
            &mut stack,
            &mut cursors,
            tree,
            keys,
            &mut previous,
            &mut report,
        )? {
            return Ok(report);
        }
        progress(chain.n_verified(), head.len);
    }
    if chain.last_hash() != head.last_hash {
        fail(
            &mut report,
            head.len.saturating_sub(1),
            ChainBreak::HeadMismatch,
        );
    }
    Ok(report)
}

/// Sequential readers of the persisted levels, one buffered run per level.
#[derive(Default)]
struct LevelCursors {
    runs: Vec<(u64, Vec<Hash>)>,
}

impl LevelCursors {
    fn get(&mut self, tree: &LogTree, level: u32, index: u64) -> Result<Option<Hash>, AuditError> {
        let lvl = level as usize;
        if self.runs.len() <= lvl {
            self.runs.resize_with(lvl + 1, || (0, Vec::new()));
        }
        let (start, run) = &self.runs[lvl];
        let cached = index
            .checked_sub(*start)
            .and_then(|offset| usize::try_from(offset).ok())
            .and_then(|offset| run.get(offset).copied());
        if cached.is_some() {
            return Ok(cached);
        }
        let run = tree.read_run(level, index, 4096)?;
        let first = run.first().copied();
        self.runs[lvl] = (index, run);
        Ok(first)
    }
}

#[allow(clippy::too_many_arguments)]
fn audit_page(
    records: &[RecordedEvent],
    chain: &mut salesledger_store::ChainVerifier,
    stack: &mut Vec<(u32, Hash)>,
    cursors: &mut LevelCursors,
    tree: &LogTree,
    keys: CheckpointKeys<'_>,
    previous: &mut Option<(u64, Hash)>,
    report: &mut AuditReport,
) -> Result<bool, AuditError> {
    // The chain is checked in order on this thread while another computes
    // the leaf hashes (both hash every record: on two cores verification
    // then costs about one SHA-256 pass).
    let base = chain.n_verified();
    let (chain_failure, leaves) = std::thread::scope(|scope| {
        let leaves = scope.spawn(|| {
            records
                .iter()
                .map(|record| leaf_hash(&record.canonical_bytes()))
                .collect::<Vec<Hash>>()
        });
        let mut failure = None;
        for (record_idx, record) in records.iter().enumerate() {
            // The position the record should be at (a tampered record may
            // claim another).
            let position = chain.n_verified();
            if let Err(cause) = chain.check(record) {
                failure = Some((record_idx, position, cause));
                break;
            }
        }
        (failure, leaves.join())
    });
    let leaves = leaves.map_err(|_| AuditError::Evidence("the hashing thread panicked".into()))?;
    let n_linked = chain_failure
        .as_ref()
        .map_or(records.len(), |(record_idx, _, _)| *record_idx);
    for (record_idx, (record, leaf)) in records.iter().zip(&leaves).enumerate().take(n_linked) {
        let position = base + record_idx as u64;
        // The leaf, and each perfect subtree this leaf completes, must be
        // the node the tree holds.
        let mut level = 0u32;
        let mut index = position;
        let mut hash = *leaf;
        loop {
            let stored = cursors.get(tree, level, index)?;
            if stored != Some(hash) {
                report.failure = Some(AuditFailure::new(
                    position,
                    AuditBreak::MerkleNode {
                        level,
                        index,
                        stored: stored.map(hex::encode),
                        computed: hex::encode(hash),
                    },
                ));
                return Ok(false);
            }
            match stack.last() {
                Some(&(top, left)) if top == level => {
                    stack.pop();
                    hash = node_hash(&left, &hash);
                    level += 1;
                    index >>= 1;
                }
                _ => break,
            }
        }
        stack.push((level, hash));
        if record.stream_id == CHECKPOINT_STREAM && record.event_type == CHECKPOINT_EVENT_TYPE {
            match check_checkpoint(record, tree, keys, previous) {
                Ok(signer) => report.signed_by(&signer, position),
                Err(cause) => {
                    report.failure = Some(AuditFailure::new(position, cause));
                    return Ok(false);
                }
            }
            report.n_checkpoints += 1;
            report.last_checkpoint = previous.map(|(size, root)| (size, Hash32(root)));
        }
        report.n_verified = position + 1;
        report.last_hash = record.hash;
    }
    if let Some((_, position, cause)) = chain_failure {
        report.failure = Some(AuditFailure::new(position, cause.into()));
        return Ok(false);
    }
    Ok(true)
}

/// One checkpoint record, against the tree verified up to it: the key
/// that signed it.
fn check_checkpoint(
    record: &RecordedEvent,
    tree: &LogTree,
    keys: CheckpointKeys<'_>,
    previous: &mut Option<(u64, Hash)>,
) -> Result<NoteVerifier, AuditBreak> {
    let unsigned = |error: &dyn std::fmt::Display| AuditBreak::CheckpointUnsigned {
        detail: error.to_string(),
    };
    let tree_error = |error: &dyn std::fmt::Display| AuditBreak::CheckpointTree {
        detail: error.to_string(),
    };
    let checkpoint = CheckpointRecord::from_record(record).map_err(|error| unsigned(&error))?;
    let carried = &checkpoint.payload.verifier_key;
    let verifier = match keys {
        CheckpointKeys::Published(published) => published
            .iter()
            .find(|key| key.to_vkey() == *carried)
            .cloned()
            .ok_or_else(|| AuditBreak::CheckpointKeyNotPublished {
                key: carried.clone(),
            })?,
        CheckpointKeys::Carried => {
            NoteVerifier::parse_vkey(carried).map_err(|error| unsigned(&error))?
        }
    };
    let body = checkpoint
        .check_signed(&verifier)
        .map_err(|error| unsigned(&error))?;
    if body.tree_size == 0 {
        return Err(AuditBreak::CheckpointEmpty);
    }
    // Every node below this position was compared with the log already.
    let root = tree
        .root_at(body.tree_size)
        .map_err(|error| tree_error(&error))?;
    if root != body.root_hash {
        return Err(AuditBreak::CheckpointRootMismatch {
            signed: hex::encode(body.root_hash),
            tree_size: body.tree_size,
            computed: hex::encode(root),
        });
    }
    if let Some((old_size, old_root)) = *previous {
        if body.tree_size < old_size {
            return Err(AuditBreak::CheckpointShrinks {
                tree_size: body.tree_size,
                previous: old_size,
            });
        }
        let proof = tree
            .consistency_proof(old_size, body.tree_size)
            .map_err(|error| tree_error(&error))?;
        merkle::verify_consistency(old_size, body.tree_size, &proof, &old_root, &body.root_hash)
            .map_err(|error| AuditBreak::CheckpointInconsistent {
                detail: error.to_string(),
            })?;
    }
    *previous = Some((body.tree_size, body.root_hash));
    Ok(verifier)
}

/// A tree size and its root.
pub type TreeHead = (u64, Hash32);

/// Proves that the log (through `tree`) extends a checkpoint note saved
/// earlier: the note must be signed by `verifier`, its size must not exceed
/// the tree's, and a consistency proof from it to the current head must
/// verify. Returns the old and new `(size, root)`.
pub fn prove_extends(
    tree: &LogTree,
    verifier: &NoteVerifier,
    note: &str,
) -> Result<(TreeHead, TreeHead), AuditError> {
    let text = verifier.open(note)?;
    let old = Checkpoint::parse_body(text)?;
    if old.origin != verifier.name() {
        return Err(AuditError::Evidence(format!(
            "the saved checkpoint is for origin {}, this log is {}",
            old.origin,
            verifier.name()
        )));
    }
    let new_size = tree.size();
    if old.tree_size > new_size {
        return Err(AuditError::Evidence(format!(
            "the saved checkpoint covers {} records but the log holds only {new_size}: records were removed",
            old.tree_size
        )));
    }
    let new_root = tree.root_at(new_size)?;
    let proof = tree.consistency_proof(old.tree_size, new_size)?;
    merkle::verify_consistency(old.tree_size, new_size, &proof, &old.root_hash, &new_root)?;
    Ok((
        (old.tree_size, Hash32(old.root_hash)),
        (new_size, Hash32(new_root)),
    ))
}
