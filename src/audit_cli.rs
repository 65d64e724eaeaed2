//! The auditor's and operator's commands over the audit layer
//! (`salesledger_replay::audit`): `key`, `checkpoint`,
//! `evidence`, `verify-bundle`, `export`, and the checkpoint part of
//! `verify`. See docs/AUDIT.md.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::i18n::Said;
use anyhow::{bail, Context};
use clap::Args;
use salesledger_replay::audit::bundle::{
    verify_bundle, verify_bundle_witnesses, write_bundle, KeySource, Subject,
};
use salesledger_replay::audit::checkpoint::NoteVerifier;
use salesledger_replay::audit::cosignature::CosignatureFiles;
use salesledger_replay::audit::export::export_to_file;
use salesledger_replay::audit::log_tree::LogTree;
use salesledger_replay::audit::{
    latest_checkpoint, sign_checkpoint, verify_log_audit, AuditReport, CheckpointKeys, ServerKey,
    AUDIT_DIR, KEY_FILE,
};
use salesledger_store::{FsBlobStore, SledStore, Store, DEFAULT_MAX_BLOB_BYTES};
use uuid::Uuid;

use crate::arg_values::{read_key_arg, witness_keys};
use crate::backend::{OpenedStore, StoreChoice};

#[derive(Args, Debug)]
pub struct KeyArgs {
    /// Data directory (the key is created in DATA/audit/ when absent).
    #[arg(long, required_unless_present = "witness", conflicts_with = "witness")]
    pub data: Option<PathBuf>,
    /// Instead: a witness's key file (C2SP tlog-cosignature), created when
    /// absent (needs `--name`); prints its verifier key.
    #[arg(long, value_name = "FILE")]
    pub witness: Option<PathBuf>,
    /// The new witness key's name, e.g. `witness.example.com/w1`.
    #[arg(long, requires = "witness")]
    pub name: Option<String>,
}

#[derive(Args, Debug)]
pub struct CheckpointArgs {
    /// Data directory of the embedded store (the gateway must be stopped),
    /// or, with `--store`, of the signer: its key and Merkle tree.
    #[arg(long)]
    pub data: PathBuf,
    /// The log elsewhere: `postgres://...[?schema=NAME]` (a log shared by
    /// several gateways, which sign no checkpoints themselves: run this on
    /// the one designated signer) or another data directory.
    #[arg(long, value_name = "DIR_OR_URL")]
    pub store: Option<StoreChoice>,
    /// Print the checkpoint record as JSON instead of the signed note.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("subject").required(true).args(["customer", "lead", "proposal"])))]
#[command(group(clap::ArgGroup::new("source").required(true).args(["data", "url"])))]
pub struct EvidenceArgs {
    /// Data directory of the embedded store (the gateway must be stopped),
    /// or, with `--store`, of the signer: its key and Merkle tree.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The log elsewhere (as for `checkpoint --store`): the bundle is
    /// proven against checkpoints signed with DATA's key.
    #[arg(long, value_name = "DIR_OR_URL", requires = "data")]
    pub store: Option<StoreChoice>,
    /// A running gateway (`https://host:port`): the bundle is downloaded
    /// from `GET /v1/audit/evidence/...` and verified before it is written.
    #[arg(long, requires = "token")]
    pub url: Option<String>,
    /// The bearer token for `--url` (auditor role), or `@FILE` holding it.
    #[arg(long)]
    pub token: Option<String>,
    /// With `--url`: the log's verifier key (or a file holding it) to
    /// check the bundle against; else the key of `--state`.
    #[arg(long)]
    pub pubkey: Option<String>,
    /// With `--url`: the state file of `verify --url` (its saved key).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Every event about this customer: its streams, the streams whose
    /// opening event names it (its lead, proposals, contracts, visits,
    /// nurture packs, assets), and the policies in force.
    #[arg(long)]
    pub customer: Option<Uuid>,
    /// Every event of this lead, and the routing rules in force.
    #[arg(long)]
    pub lead: Option<Uuid>,
    /// Every event of this proposal.
    #[arg(long)]
    pub proposal: Option<Uuid>,
    /// Include the attachments (proposal PDFs) themselves, base64.
    #[arg(long)]
    pub with_files: bool,
    /// The bundle file to write.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct VerifyBundleArgs {
    /// The bundle file.
    pub file: PathBuf,
    /// The log's verifier key (`name+keyid+base64`, or a file holding it),
    /// obtained independently of the bundle. Without it the bundle's own key
    /// is used and only its fingerprint ties it to the log.
    #[arg(long)]
    pub pubkey: Option<String>,
    /// A witness's verifier key (C2SP tlog-cosignature, type 0x04), or a
    /// file holding it: the bundle's checkpoint must carry its
    /// cosignature. Repeatable.
    #[arg(long, value_name = "VKEY")]
    pub witness: Vec<String>,
    /// How many of the `--witness` keys must have cosigned (default: all).
    #[arg(long, value_name = "N", requires = "witness")]
    pub witness_quorum: Option<usize>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Data directory of the embedded store.
    #[arg(long)]
    pub data: PathBuf,
    /// The JSON-lines file to write; with `--format parquet`, the
    /// directory of Parquet files.
    #[arg(long)]
    pub out: PathBuf,
    /// `jsonl` (the portable export, docs/AUDIT.md) or `parquet` (for
    /// analysts: typed columns, files cut by position range, README "For
    /// analysts").
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub format: ExportFormat,
    /// Parquet: at most this many records per file.
    #[arg(long, default_value_t = crate::analytics::log::RECORDS_PER_FILE)]
    pub records_per_file: u64,
    /// Parquet: replace an earlier export in a directory that already
    /// holds files (refused otherwise).
    #[arg(long)]
    pub force: bool,
}

/// What `salesledger export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Parquet,
}

pub(crate) fn require_log(data_dir: &Path) -> anyhow::Result<()> {
    if !data_dir.join("log").is_dir() {
        bail!(crate::t!("cli-no-log", dir = data_dir.display()));
    }
    Ok(())
}

/// The log to sign or prove: `store` if given (the data directory then
/// holds only the signer's key and tree), else the data directory's own.
async fn open_signed_log(
    data_dir: &Path,
    store: Option<&StoreChoice>,
) -> anyhow::Result<OpenedStore> {
    match store {
        Some(choice) => {
            salesledger_store::private_fs::create_dir_all(data_dir)
                .with_context(|| crate::t!("cli-creating", path = data_dir.display()))?;
            OpenedStore::open_existing(choice).await
        }
        None => {
            require_log(data_dir)?;
            OpenedStore::open(&StoreChoice::Sled(data_dir.to_owned())).await
        }
    }
}

fn open_store(data_dir: &Path) -> anyhow::Result<SledStore> {
    require_log(data_dir)?;
    SledStore::open(data_dir)
        .with_context(|| crate::t!("cli-opening-log", dir = data_dir.display()))
}

/// `salesledger key --data DIR`.
pub fn key(args: &KeyArgs) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.witness {
        let signer = match (path.exists(), &args.name) {
            (true, _) => crate::witness::load_witness_key(path)?,
            (false, Some(name)) => crate::witness::create_witness_key(path, name)?,
            (false, None) => bail!(crate::t!("cli-key-witness-absent", path = path.display())),
        };
        crate::outln!("{}", signer.verifier().to_vkey())?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(data) = &args.data else {
        bail!(crate::t!("cli-key-give-data-or-witness"));
    };
    if !data.is_dir() {
        bail!(crate::t!("cli-not-a-directory", path = data.display()));
    }
    let key =
        ServerKey::load_or_create(data).with_context(|| crate::t!("cli-loading-signing-key"))?;
    crate::outln!("{}", key.vkey())?;
    crate::say!("cli-key-fingerprint", fingerprint = key.fingerprint())?;
    Ok(ExitCode::SUCCESS)
}

/// `salesledger checkpoint --data DIR`: signs a checkpoint of the log as it
/// is (unless nothing but checkpoints arrived since the last one) and
/// prints its signed note.
pub fn checkpoint(args: &CheckpointArgs) -> anyhow::Result<ExitCode> {
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let opened = open_signed_log(&args.data, args.store.as_ref()).await?;
        let store = opened.store().as_ref();
        let key = ServerKey::load_or_create(&args.data)
            .with_context(|| crate::t!("cli-loading-signing-key"))?;
        let bar = crate::progress::bar(store.head().len, &crate::t!("cli-progress-merkle"));
        let mut tree =
            LogTree::open_with_progress(&args.data, store, |done, _| bar.set_position(done))
                .await
                .with_context(|| crate::t!("cli-opening-merkle"))?;
        bar.finish_and_clear();
        let latest = latest_checkpoint(store).await?;
        let head = store.head().len;
        let record = match latest {
            Some(latest)
                if latest.position + 1 == head && latest.payload.verifier_key == key.vkey() =>
            {
                eprintln!(
                    "{}",
                    crate::t!("cli-checkpoint-no-new-records", position = latest.position)
                );
                latest
            }
            _ => sign_checkpoint(store, &mut tree, &key).await?,
        };
        tree.sync()?;
        opened.close().await;
        if args.json {
            crate::outln!("{}", serde_json::to_string_pretty(&record)?)?;
        } else {
            crate::out!("{}", record.payload.note)?;
            eprintln!(
                "{}",
                crate::t!(
                    "cli-checkpoint-signed",
                    position = record.position,
                    size = record.payload.tree_size,
                    root = record.payload.root_hash
                )
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// `salesledger evidence --data DIR --customer ID|--lead ID|--proposal ID --out FILE`,
/// or `--url URL --token T` against a running gateway.
pub fn evidence(args: &EvidenceArgs) -> anyhow::Result<ExitCode> {
    let subject = match (args.customer, args.lead, args.proposal) {
        (Some(id), None, None) => Subject::customer(id),
        (None, Some(id), None) => Subject::lead(id),
        (None, None, Some(id)) => Subject::proposal(id),
        _ => bail!(crate::t!("cli-evidence-one-subject")),
    };
    if let Some(url) = &args.url {
        let Some(token) = &args.token else {
            bail!(crate::t!("cli-url-needs-token"));
        };
        let request = crate::remote::EvidenceRequest {
            url,
            token,
            pubkey: args.pubkey.as_deref(),
            state: args.state.as_deref(),
            out: &args.out,
        };
        return crate::remote::evidence(&request, &subject);
    }
    let Some(data) = &args.data else {
        bail!(crate::t!("cli-evidence-give-data-or-url"));
    };
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let opened = open_signed_log(data, args.store.as_ref()).await?;
        let store = opened.store().as_ref();
        let key = ServerKey::load_or_create(data)
            .with_context(|| crate::t!("cli-loading-signing-key"))?;
        let head = store.head().len;
        let bar = crate::progress::bar(head, &crate::t!("cli-progress-merkle"));
        let mut tree = LogTree::open_with_progress(data, store, |done, _| bar.set_position(done))
            .await
            .with_context(|| crate::t!("cli-opening-merkle"))?;
        bar.finish_and_clear();
        let blobs = if args.with_files {
            Some(FsBlobStore::open(data, DEFAULT_MAX_BLOB_BYTES)?)
        } else {
            None
        };
        // The subject index (DATA/tables, the gateway's read models):
        // caught up with the log once, then read by subject.
        let tables = std::sync::Arc::new(
            salesledger_replay::readmodel::TableRunner::builder(
                opened.store().clone(),
                data.join(crate::views::TABLES_DIR),
            )
            .with::<salesledger_projections::tables::subjects::SubjectsTables>()
            .start()
            .await
            .with_context(|| crate::t!("cli-opening-subject-index"))?,
        );
        let built = crate::evidence::indexed_bundle(
            store,
            &tables,
            &mut tree,
            &key,
            &subject,
            blobs.as_ref(),
            std::time::Duration::from_secs(3600),
        )
        .await
        .map(|(bundle, _)| bundle);
        tables
            .stop()
            .await
            .with_context(|| crate::t!("cli-closing-subject-index"))?;
        tree.sync()?;
        opened.close().await;
        let mut bundle = built.map_err(|error| match error {
            crate::evidence::EvidenceError::NoEvents { kind, id } => anyhow::anyhow!(crate::t!(
                "cli-evidence-no-events",
                kind = crate::i18n::errors::subject_kind(&kind),
                id = id
            )),
            crate::evidence::EvidenceError::Audit(error) => crate::i18n::errors::audit_error(error),
            other => other.into(),
        })?;
        // The witnesses' cosignatures the gateway stored for this checkpoint.
        bundle.checkpoint.note = CosignatureFiles::new(data).cosigned_note(
            &bundle.checkpoint.note,
            bundle.checkpoint.tree_size,
            &bundle.checkpoint.root_hash.0,
        )?;
        write_bundle(&bundle, &args.out)?;
        crate::say!(
            "cli-evidence-wrote",
            path = args.out.display(),
            n = bundle.events.len(),
            kind = crate::i18n::errors::subject_kind(&subject.kind),
            id = subject.id,
            size = bundle.checkpoint.tree_size,
            root = bundle.checkpoint.root_hash,
            fingerprint = bundle.log.key_fingerprint
        )?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `salesledger verify-bundle FILE [--pubkey KEY]`: offline, no data dir.
pub fn verify_bundle_cmd(args: &VerifyBundleArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| crate::t!("cli-reading", path = args.file.display()))?;
    let pubkey = args.pubkey.as_deref().map(read_key_arg).transpose()?;
    let witnesses = witness_keys(&args.witness)?;
    let quorum =
        args.witness_quorum
            .unwrap_or(salesledger_replay::audit::cosignature::distinct_witnesses(
                &witnesses,
            ));
    let verified = verify_bundle(&bytes, pubkey.as_deref()).and_then(|report| {
        if witnesses.is_empty() {
            return Ok((report, None));
        }
        verify_bundle_witnesses(&bytes, &witnesses, quorum).map(|quorum| (report, Some(quorum)))
    });
    match verified {
        Ok((report, witnessed)) => {
            if args.json {
                crate::outln!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"ok": true, "report": report, "witnesses": witnessed})
                    )?
                )?;
                return Ok(ExitCode::SUCCESS);
            }
            crate::say!(
                "cli-bundle-ok",
                n = report.n_events,
                kind = crate::i18n::errors::subject_kind(&report.subject.kind),
                id = report.subject.id,
                origin = report.origin,
                size = report.tree_size,
                root = report.root_hash
            )?;
            crate::say_detail!(
                "cli-bundle-positions",
                positions = report
                    .positions
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
            crate::say_detail!(
                "cli-bundle-signed-by",
                key = report.verifier_key,
                fingerprint = report.key_fingerprint
            )?;
            match report.key_source {
                KeySource::Given => crate::say_detail!("cli-bundle-key-given")?,
                KeySource::Bundle => crate::say_detail!("cli-bundle-key-from-bundle")?,
            }
            if let Some(witnessed) = &witnessed {
                crate::say_detail!(
                    "cli-bundle-cosigned",
                    cosigned = witnessed.cosigned,
                    given = salesledger_replay::audit::cosignature::distinct_witnesses(&witnesses),
                    quorum = witnessed.quorum
                )?;
                for check in &witnessed.witnesses {
                    match (check.cosigned_at, &check.failure) {
                        (Some(time), _) => crate::outln!(
                            "      {}",
                            crate::t!(
                                "cli-bundle-witness-at",
                                witness = check.witness,
                                time = time
                            )
                        )?,
                        (None, failure) => crate::outln!(
                            "      {}",
                            crate::t!(
                                "cli-bundle-witness-invalid",
                                witness = check.witness,
                                failure = check.cause.as_ref().map_or_else(
                                    || failure.clone().unwrap_or_default(),
                                    crate::i18n::errors::note_error
                                )
                            )
                        )?,
                    }
                }
            }
            for (sha256, included) in &report.attachments {
                if *included {
                    crate::say_detail!("cli-bundle-attachment-included", sha256 = sha256)?;
                } else {
                    crate::say_detail!("cli-bundle-attachment-committed", sha256 = sha256)?;
                }
            }
            crate::say!("cli-bundle-timeline")?;
            for line in &report.timeline {
                crate::outln!("    {line}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            if args.json {
                crate::outln!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "ok": false,
                        "failure": {
                            "location": error.location.to_string(),
                            "reason": error.reason.to_string(),
                            "kind": error.kind(),
                        },
                    }))?
                )?;
            } else {
                crate::say!(
                    "cli-failed",
                    error = crate::i18n::errors::bundle_failure(&error)
                )?;
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// `salesledger export --data DIR --out FILE`.
pub fn export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let store = open_store(&args.data)?;
        let bar = crate::progress::bar(store.head().len, &crate::t!("cli-progress-exporting"));
        if args.format == ExportFormat::Parquet {
            let options = crate::analytics::log::ParquetLogOptions {
                records_per_file: args.records_per_file,
                force: args.force,
                ..Default::default()
            };
            let manifest =
                crate::analytics::log::export_log_parquet(&store, &args.out, options, |done, _| {
                    bar.set_position(done)
                })
                .await;
            bar.finish_and_clear();
            store.close().await;
            let manifest = manifest?;
            crate::say!(
                "cli-export-wrote-parquet",
                path = args.out.display(),
                n = manifest.records,
                files = manifest.files.len(),
                head = manifest.head_hash
            )?;
            return Ok(ExitCode::SUCCESS);
        }
        let header = export_to_file(&store, &args.out, |done, _| bar.set_position(done)).await;
        bar.finish_and_clear();
        store.close().await;
        let header = header?;
        crate::say!(
            "cli-export-wrote",
            path = args.out.display(),
            n = header.records,
            head = header.head_hash
        )?;
        Ok(ExitCode::SUCCESS)
    })
}

/// The log's verifier key when the data directory has one.
pub(crate) fn data_dir_verifier(data_dir: &Path) -> anyhow::Result<Option<NoteVerifier>> {
    let path = data_dir.join(AUDIT_DIR).join(KEY_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let key = ServerKey::load(&path).with_context(|| crate::t!("cli-loading-signing-key"))?;
    Ok(Some(key.verifier().clone()))
}

/// The chain, tree and checkpoint audit behind `salesledger verify`:
/// checkpoints signed by one of `published`, or when none is given each
/// by the key it carries; `directory_key` is the data directory's own
/// ([`data_dir_verifier`]).
pub(crate) async fn audit_store(
    data_dir: &Path,
    store: &SledStore,
    from_checkpoint: Option<&Path>,
    (published, directory_key): (&[NoteVerifier], Option<&NoteVerifier>),
) -> anyhow::Result<(AuditReport, Option<Result<Said, Said>>)> {
    let keys = if published.is_empty() {
        CheckpointKeys::Carried
    } else {
        CheckpointKeys::Published(published)
    };
    let total = store.head().len;
    let bar = crate::progress::bar(total, &crate::t!("cli-progress-merkle"));
    let (tree, _stopped) =
        LogTree::open_for_audit(data_dir, store, |done, _| bar.set_position(done))
            .await
            .with_context(|| crate::t!("cli-opening-merkle"))?;
    bar.finish_and_clear();
    let bar = crate::progress::bar(total, &crate::t!("cli-progress-verifying"));
    let report = verify_log_audit(store, &tree, keys, |done, _| bar.set_position(done))
        .await
        .with_context(|| crate::t!("cli-reading-log"))?;
    bar.finish_and_clear();
    let extends = match from_checkpoint {
        None => None,
        Some(path) => {
            // The saved note's key: a published one, else this directory's,
            // else one the log's checkpoints carry.
            let mut candidates = published.to_vec();
            if candidates.is_empty() {
                candidates.extend(directory_key.cloned());
                candidates.extend(
                    report
                        .checkpoint_keys
                        .iter()
                        .filter_map(|signer| NoteVerifier::parse_vkey(&signer.vkey).ok()),
                );
            }
            Some(prove_from_file(&tree, &candidates, path, &report)?)
        }
    };
    Ok((report, extends))
}

fn prove_from_file(
    tree: &LogTree,
    candidates: &[NoteVerifier],
    path: &Path,
    report: &AuditReport,
) -> anyhow::Result<Result<Said, Said>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| crate::t!("cli-reading-checkpoint", path = path.display()))?;
    // Accept the note itself, or a JSON document with a `note` field (the
    // checkpoint endpoint's or `checkpoint --json`'s output).
    let note = if text.trim_start().starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| crate::t!("cli-not-json", path = path.display()))?;
        value
            .get("note")
            .or_else(|| value.get("payload").and_then(|payload| payload.get("note")))
            .and_then(|note| note.as_str())
            .map(str::to_owned)
            .with_context(|| crate::t!("cli-json-has-no-note"))?
    } else {
        text
    };
    let Some(verifier) = candidates
        .iter()
        .find(|candidate| candidate.open(&note).is_ok())
        .or(candidates.first())
    else {
        return Ok(Err(crate::said!("cli-extends-no-key")));
    };
    if report.failure.is_some() {
        return Ok(Err(crate::said!("cli-extends-log-fails")));
    }
    Ok(
        match salesledger_replay::audit::prove_extends(tree, verifier, &note) {
            Ok(((old_size, old_root), (new_size, new_root))) => Ok(crate::said!(
                "cli-extends-ok",
                old_size = old_size,
                old_root = old_root,
                new_size = new_size,
                new_root = new_root
            )),
            Err(error) => Err(crate::said!("cli-extends-not", error = error)),
        },
    )
}
