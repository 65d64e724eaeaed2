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

use crate::remote::{base, client, extends, get, token_arg};

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
        .with_context(|| format!("reading the witness key {}", path.display()))?;
    CosignatureSigner::parse_private_key(&text)
        .with_context(|| format!("{} is not a witness key", path.display()))
}

/// Creates a witness key file (mode 0600; refuses to overwrite one).
pub fn create_witness_key(path: &Path, name: &str) -> anyhow::Result<CosignatureSigner> {
    use rand::RngCore as _;
    use std::io::Write as _;
    let mut seed = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed)
        .context("no randomness for the witness key")?;
    let signer = CosignatureSigner::from_seed(name, &seed).context("the witness name")?;
    let mut file = salesledger_store::private_fs::open_options()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(signer.private_key_text().as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(signer)
}

fn read_state(path: &Path) -> anyhow::Result<WitnessState> {
    if !path.exists() {
        return Ok(WitnessState {
            format: WITNESS_STATE_FORMAT.into(),
            logs: BTreeMap::new(),
        });
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the witness state {}", path.display()))?;
    let state: WitnessState = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a witness state file", path.display()))?;
    if state.format != WITNESS_STATE_FORMAT {
        bail!(
            "{}: format {:?}, expected {WITNESS_STATE_FORMAT:?}",
            path.display(),
            state.format
        );
    }
    Ok(state)
}

/// Temporary file, fsync, rename, fsync of the directory.
fn write_state(path: &Path, state: &WitnessState) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut text = serde_json::to_string_pretty(state)?;
    text.push('\n');
    let temporary = path.with_extension("tmp");
    {
        let mut file = std::fs::File::create(&temporary)
            .with_context(|| format!("writing {}", temporary.display()))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing {}", temporary.display()))?;
    }
    std::fs::rename(&temporary, path).with_context(|| format!("replacing {}", path.display()))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)
        .and_then(|dir| dir.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))?;
    Ok(())
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
    let given = args
        .log_vkey
        .as_deref()
        .map(crate::audit::read_key_arg)
        .transpose()?;
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let client = client()?;
        loop {
            let round = one_round(&client, args, &token, &signer, given.as_deref()).await;
            match (round, args.interval) {
                (Ok(Round::Cosigned(message)), None) => {
                    crate::outln!("ok: {message}")?;
                    return Ok(ExitCode::SUCCESS);
                }
                (Ok(Round::Cosigned(message)), Some(_)) => {
                    crate::outln!("ok: {message}")?;
                }
                (Ok(Round::Refused(message)), _) => {
                    crate::outln!("REFUSED: {message}")?;
                    crate::outln!(
                        "    nothing was cosigned; the state file {} is unchanged",
                        args.state.display()
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
        serde_json::from_slice(&body).context("the checkpoint answer is not JSON")?;
    // The origin, to find the pinned key; the signature is checked next.
    let unverified = served
        .note
        .split_once("\n\n")
        .map(|(text, _)| format!("{text}\n"))
        .context("the served note has no body")?;
    let origin = Checkpoint::parse_body(&unverified)
        .context("the served checkpoint")?
        .origin;
    let pinned = state.logs.get(&origin).map(|log| log.log_key.clone());
    let log_key = match (pinned, given) {
        (Some(pinned), Some(given)) if pinned != given => bail!(
            "--log-vkey {given} differs from the key pinned for {origin} in {}: {pinned}",
            args.state.display()
        ),
        (Some(pinned), _) => pinned,
        (None, Some(given)) => given.to_owned(),
        (None, None) => {
            let verifier = NoteVerifier::parse_vkey(&served.verifier_key)
                .context("the gateway's verifier key")?;
            eprintln!(
                "WARNING: pinning the key the gateway presents for {origin} on first use: {} (fingerprint {}); compare it with the operator's, or pass --log-vkey",
                served.verifier_key,
                key_fingerprint(&verifier)
            );
            served.verifier_key.clone()
        }
    };
    let verifier = NoteVerifier::parse_vkey(&log_key).context("the log's verifier key")?;
    let head = |size: u64, root: &str| format!("size {size}, root {root}");
    let text = match verifier.open(&served.note) {
        Ok(text) => text,
        Err(error) => {
            return Ok(Round::Refused(format!(
                "the served checkpoint is not signed by the log's key {log_key}: {error}"
            )))
        }
    };
    let checkpoint = Checkpoint::parse_body(text).context("the served checkpoint")?;
    if checkpoint.origin != verifier.name() {
        return Ok(Round::Refused(format!(
            "the checkpoint's origin {} is not the log key's name {}",
            checkpoint.origin,
            verifier.name()
        )));
    }
    let new_root = hex::encode(checkpoint.root_hash);
    let served_head = head(checkpoint.tree_size, &new_root);
    if let Some(old) = state.logs.get(&origin) {
        let old_head = head(old.tree_size, &old.root_hash);
        if old.tree_size == checkpoint.tree_size && old.root_hash == new_root {
            let cosignature = old.cosignature.clone();
            post(client, url, token, signer, &checkpoint, &cosignature).await?;
            return Ok(Round::Cosigned(format!(
                "nothing new: {origin} is still at {served_head}, cosigned before (posted again)"
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
                    "{reason}\n    cosigned tree head: {old_head}\n    served tree head:   {served_head}"
                )))
            }
        }
    }
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
    let cosignature = signer
        .cosign(text, now)
        .context("cosigning the checkpoint")?;
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
    write_state(&args.state, &state)?;
    post(client, url, token, signer, &checkpoint, &cosignature).await?;
    Ok(Round::Cosigned(match previous {
        Some(previous) => format!(
            "cosigned {origin} at {served_head}: it extends the {previous} records cosigned before (consistency proof verified)"
        ),
        None => format!("cosigned {origin} at {served_head} (first checkpoint of this log)"),
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
        .with_context(|| format!("POST {target}"))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        bail!("POST {target}: {status}: {}", body.trim());
    }
    Ok(())
}
