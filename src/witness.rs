//! `salesledger witness --url URL --token T --key FILE --state FILE`: a
//! transparency-log witness (C2SP tlog-witness semantics, pulling from the
//! gateway instead of being pushed to) that cosigns each new checkpoint it
//! has verified to extend the last one it cosigned (C2SP
//! tlog-cosignature), and refuses any other.
//!
//! One round: fetch the latest checkpoint (`GET
//! /v1/audit/checkpoints/latest`), check the log's signature (the key
//! pinned in the state file for that origin, else `--log-vkey`, else the
//! gateway's on first use, said on stderr), then compare with the last
//! cosigned tree head of that origin: a smaller tree, the same size with
//! another root, or a larger tree without a valid RFC 9162 consistency
//! proof (`GET /v1/audit/consistency`) is refused: exit 1, both tree heads
//! printed, nothing cosigned, the state file unchanged. Otherwise the
//! witness cosigns the checkpoint, saves the state (temporary file, fsync,
//! rename), then posts the cosignature (`POST /v1/audit/cosignatures`).
//! A checkpoint it cosigned already is not cosigned again: its saved
//! cosignature is posted again (idempotent), in case the gateway lost it.
//!
//! The state file (JSON, `salesledger-witness-state/1`) holds, per log
//! origin, the log's verifier key and the last cosigned checkpoint (size,
//! root, note, cosignature line).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use salesledger_replay::audit::checkpoint::{Checkpoint, NoteVerifier};
use salesledger_replay::audit::cosignature::CosignatureSigner;
use salesledger_replay::audit::key_fingerprint;
use serde::{Deserialize, Serialize};

use crate::arg_values::{read_key_arg, token_arg};
use crate::remote::{base, client, extends, get};

/// The `format` of a witness state file.
pub const WITNESS_STATE_FORMAT: &str = "salesledger-witness-state/1";

#[derive(clap::Args, Debug)]
pub struct WitnessArgs {
    /// The gateway's base URL.
    #[arg(long)]
    pub url: String,
    /// A witness-role bearer token, or `@FILE`.
    #[arg(long)]
    pub token: String,
    /// The witness's private key file (`salesledger key --witness FILE
    /// --name NAME` makes one).
    #[arg(long)]
    pub key: std::path::PathBuf,
    /// The witness's state: per log origin, the log's key and the last
    /// cosigned checkpoint (created on first use).
    #[arg(long)]
    pub state: std::path::PathBuf,
    /// The log's verifier key (or a file holding it), obtained
    /// independently; without it a log new to the state file is trusted on
    /// first use, with a warning. Once pinned in the state it must match.
    #[arg(long)]
    pub log_vkey: Option<String>,
    /// One round, then exit (the default).
    #[arg(long, conflicts_with = "interval")]
    pub once: bool,
    /// Keep running, one round every SECS seconds; stops (exit 1) at the
    /// first refused checkpoint.
    #[arg(long, value_name = "SECS")]
    pub interval: Option<u64>,
}

/// What the witness keeps between rounds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessState {
    pub format: String,
    /// By log origin.
    pub logs: BTreeMap<String, WitnessedLog>,
}

/// One log's pinned key and last cosigned checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessedLog {
    pub log_key: String,
    pub tree_size: u64,
    /// RFC 9162 root, hex.
    pub root_hash: String,
    /// The log's signed note, as verified.
    pub note: String,
    /// The witness's cosignature line of it.
    pub cosignature: String,
    /// The cosignature's time (POSIX seconds).
    pub cosigned_at: u64,
}

#[derive(Debug, Deserialize)]
struct ServedCheckpoint {
    note: String,
    verifier_key: String,
}

/// Reads the witness's private key file.
pub fn load_witness_key(path: &Path) -> anyhow::Result<CosignatureSigner> {
    let text = std::fs::read_to_string(path)
        .with_context(|| crate::t!("cli-witness-reading-key", path = path.display()))?;
    CosignatureSigner::parse_private_key(&text)
        .with_context(|| crate::t!("cli-witness-not-a-key", path = path.display()))
}

/// Creates a witness key file (mode 0600; refuses to overwrite one).
pub fn create_witness_key(path: &Path, name: &str) -> anyhow::Result<CosignatureSigner> {
    use rand::RngCore as _;
    use std::io::Write as _;
    let mut seed = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed)
        .with_context(|| crate::t!("cli-witness-no-randomness"))?;
    let signer =
        CosignatureSigner::from_seed(name, &seed).with_context(|| crate::t!("cli-witness-name"))?;
    let mut file = salesledger_store::private_fs::open_options()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| crate::t!("cli-creating", path = path.display()))?;
    file.write_all(signer.private_key_text().as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| crate::t!("cli-writing", path = path.display()))?;
    Ok(signer)
}

impl crate::arg_values::StateFile for WitnessState {
    const FORMAT: &'static str = WITNESS_STATE_FORMAT;
    fn format(&self) -> &str {
        &self.format
    }
}

/// The witness's state, a new one where there is no file yet.
fn read_state(path: &Path) -> anyhow::Result<WitnessState> {
    let state = crate::arg_values::read_state(
        path,
        || crate::t!("cli-witness-reading-state", path = path.display()),
        || crate::t!("cli-witness-not-a-state", path = path.display()),
    )?;
    Ok(state.unwrap_or_else(|| WitnessState {
        format: WITNESS_STATE_FORMAT.into(),
        logs: BTreeMap::new(),
    }))
}

/// How a round ended.
enum Round {
    Cosigned(String),
    Refused(String),
}

/// `salesledger witness ...`.
pub fn run(args: &WitnessArgs) -> anyhow::Result<ExitCode> {
    let token = token_arg(&args.token)?;
    let signer = load_witness_key(&args.key)?;
    let given = args.log_vkey.as_deref().map(read_key_arg).transpose()?;
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let client = client()?;
        loop {
            let round = one_round(&client, args, &token, &signer, given.as_deref()).await;
            match (round, args.interval) {
                (Ok(Round::Cosigned(message)), None) => {
                    crate::say!("cli-ok", message = message)?;
                    return Ok(ExitCode::SUCCESS);
                }
                (Ok(Round::Cosigned(message)), Some(_)) => {
                    crate::say!("cli-ok", message = message)?;
                }
                (Ok(Round::Refused(message)), _) => {
                    crate::say!("cli-witness-refused", message = message)?;
                    crate::say_detail!(
                        "cli-witness-nothing-cosigned",
                        path = args.state.display()
                    )?;
                    return Ok(ExitCode::from(1));
                }
                (Err(error), None) => return Err(error),
                (Err(error), Some(_)) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "witness round failed; retrying"
                    );
                }
            }
            if let Some(seconds) = args.interval {
                tokio::time::sleep(std::time::Duration::from_secs(seconds.max(1))).await;
            }
        }
    })
}

async fn one_round(
    client: &reqwest::Client,
    args: &WitnessArgs,
    token: &str,
    signer: &CosignatureSigner,
    given: Option<&str>,
) -> anyhow::Result<Round> {
    let url = base(&args.url);
    let mut state = read_state(&args.state)?;
    let body = get(client, &format!("{url}/v1/audit/checkpoints/latest"), token).await?;
    let served: ServedCheckpoint =
        serde_json::from_slice(&body).with_context(|| crate::t!("cli-checkpoint-not-json"))?;
    // The origin, to find the pinned key; the signature is checked next.
    let unverified = served
        .note
        .split_once("\n\n")
        .map(|(text, _)| format!("{text}\n"))
        .with_context(|| crate::t!("cli-witness-note-no-body"))?;
    let origin = Checkpoint::parse_body(&unverified)
        .with_context(|| crate::t!("cli-witness-served-checkpoint"))?
        .origin;
    let pinned = state.logs.get(&origin).map(|log| log.log_key.clone());
    let log_key = match (pinned, given) {
        (Some(pinned), Some(given)) if pinned != given => bail!(crate::t!(
            "cli-witness-key-differs",
            given = given,
            origin = origin,
            path = args.state.display(),
            pinned = pinned
        )),
        (Some(pinned), _) => pinned,
        (None, Some(given)) => given.to_owned(),
        (None, None) => {
            let verifier = NoteVerifier::parse_vkey(&served.verifier_key)
                .with_context(|| crate::t!("cli-witness-gateway-key"))?;
            eprintln!(
                "{}",
                crate::t!(
                    "cli-witness-tofu",
                    origin = origin,
                    vkey = served.verifier_key,
                    fingerprint = key_fingerprint(&verifier)
                )
            );
            served.verifier_key.clone()
        }
    };
    let verifier =
        NoteVerifier::parse_vkey(&log_key).with_context(|| crate::t!("cli-log-verifier-key"))?;
    let head = |size: u64, root: &str| crate::t!("cli-witness-head", size = size, root = root);
    let text = match verifier.open(&served.note) {
        Ok(text) => text,
        Err(error) => {
            return Ok(Round::Refused(crate::t!(
                "cli-witness-not-signed",
                key = log_key,
                error = crate::i18n::errors::note_error(&error)
            )))
        }
    };
    let checkpoint =
        Checkpoint::parse_body(text).with_context(|| crate::t!("cli-witness-served-checkpoint"))?;
    if checkpoint.origin != verifier.name() {
        return Ok(Round::Refused(crate::t!(
            "cli-witness-other-origin",
            origin = checkpoint.origin,
            name = verifier.name()
        )));
    }
    let new_root = hex::encode(checkpoint.root_hash);
    let served_head = head(checkpoint.tree_size, &new_root);
    if let Some(old) = state.logs.get(&origin) {
        let old_head = head(old.tree_size, &old.root_hash);
        if old.tree_size == checkpoint.tree_size && old.root_hash == new_root {
            let cosignature = old.cosignature.clone();
            post(client, url, token, signer, &checkpoint, &cosignature).await?;
            return Ok(Round::Cosigned(crate::t!(
                "cli-witness-nothing-new",
                origin = origin,
                head = served_head
            )));
        }
        match extends(
            client,
            url,
            token,
            old.tree_size,
            &old.root_hash,
            &checkpoint,
        )
        .await?
        {
            Ok(()) => {}
            Err(reason) => {
                return Ok(Round::Refused(format!(
                    "{}\n    {}\n    {}",
                    reason.text,
                    crate::t!("cli-witness-cosigned-head", head = old_head),
                    crate::t!("cli-witness-served-head", head = served_head)
                )))
            }
        }
    }
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
    let cosignature = signer
        .cosign(text, now)
        .with_context(|| crate::t!("cli-witness-cosigning"))?;
    let previous = state.logs.get(&origin).map(|old| old.tree_size);
    state.logs.insert(
        origin.clone(),
        WitnessedLog {
            log_key: log_key.clone(),
            tree_size: checkpoint.tree_size,
            root_hash: new_root,
            note: served.note.clone(),
            cosignature: cosignature.clone(),
            cosigned_at: now,
        },
    );
    crate::arg_values::write_state(&args.state, &state)?;
    post(client, url, token, signer, &checkpoint, &cosignature).await?;
    Ok(Round::Cosigned(match previous {
        Some(previous) => crate::t!(
            "cli-witness-cosigned-extends",
            origin = origin,
            head = served_head,
            previous = previous
        ),
        None => crate::t!(
            "cli-witness-cosigned-first",
            origin = origin,
            head = served_head
        ),
    }))
}

/// `POST /v1/audit/cosignatures`.
async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    signer: &CosignatureSigner,
    checkpoint: &Checkpoint,
    cosignature: &str,
) -> anyhow::Result<()> {
    let target = format!("{url}/v1/audit/cosignatures");
    let response = client
        .post(&target)
        .bearer_auth(token)
        .json(&serde_json::json!({
            "tree_size": checkpoint.tree_size,
            "root_hash": hex::encode(checkpoint.root_hash),
            "witness_key": signer.verifier().to_vkey(),
            "cosignature": cosignature.trim_end_matches('\n'),
        }))
        .send()
        .await
        .with_context(|| crate::t!("cli-sending-request", method = "POST", url = target))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.bytes().await.unwrap_or_default();
        bail!(crate::t!(
            "cli-post-failed",
            url = target,
            status = status,
            body = crate::remote::problem_text(&body)
        ));
    }
    Ok(())
}
