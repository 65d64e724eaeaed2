//! `salesledger verify --data DIR`: walks the whole log and checks the hash
//! chain, the Merkle tree kept beside it, and every signed checkpoint
//! (signature, root, consistency with the previous one), naming the first
//! thing that does not verify. `--from-checkpoint FILE` also proves that
//! the log extends a checkpoint saved earlier. `--pubkey KEY` (repeatable)
//! requires every checkpoint to be signed by one of the given keys;
//! without it each is checked with the key it carries, and the keys are
//! listed for the reader to compare with the published one (a backup,
//! copy or rebuild holds no signing key, and a restore without the old key
//! signs with a new one).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use salesledger_replay::audit::checkpoint::NoteVerifier;
use salesledger_replay::audit::AuditReport;
use salesledger_store::SledStore;

use crate::arg_values::read_key_arg;

pub fn run(
    data_dir: &Path,
    json: bool,
    from_checkpoint: Option<&Path>,
    pubkeys: &[String],
) -> anyhow::Result<ExitCode> {
    crate::audit_cli::require_log(data_dir)?;
    let published = pubkeys
        .iter()
        .map(|arg| {
            let vkey = read_key_arg(arg)?;
            NoteVerifier::parse_vkey(&vkey).with_context(|| crate::t!("cli-log-verifier-key"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let directory_key = crate::audit_cli::data_dir_verifier(data_dir)?;
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let store = SledStore::open(data_dir)
            .with_context(|| crate::t!("cli-opening-log", dir = data_dir.display()))?;
        let audited = crate::audit_cli::audit_store(
            data_dir,
            &store,
            from_checkpoint,
            (&published, directory_key.as_ref()),
        )
        .await;
        store.close().await;
        let (report, extends) = audited?;
        let extends_ok = !matches!(extends, Some(Err(_)));
        if json {
            let mut value = serde_json::to_value(&report)?;
            if let Some(object) = value.as_object_mut() {
                // How the signers were checked: against `--pubkey`, or
                // each with the key it carries (intact, signer unproven).
                object.insert(
                    "checkpoint_keys_checked".into(),
                    serde_json::json!(if published.is_empty() {
                        "carried"
                    } else {
                        "published"
                    }),
                );
                if let Some(signers) = object
                    .get_mut("checkpoint_keys")
                    .and_then(serde_json::Value::as_array_mut)
                {
                    for signer in signers {
                        let vkey = signer["vkey"].as_str().unwrap_or_default().to_owned();
                        signer["directory_key"] = serde_json::json!(directory_key
                            .as_ref()
                            .is_some_and(|key| key.to_vkey() == vkey));
                    }
                }
            }
            if let (Some(extends), Some(object)) = (&extends, value.as_object_mut()) {
                object.insert(
                    "from_checkpoint".into(),
                    match extends {
                        Ok(message) => serde_json::json!({"ok": true, "message": message.english}),
                        Err(message) => {
                            serde_json::json!({"ok": false, "message": message.english})
                        }
                    },
                );
            }
            crate::outln!("{}", serde_json::to_string_pretty(&value)?)?;
        }
        match &report.failure {
            None => {
                if !json {
                    crate::say!(
                        "cli-verify-ok",
                        n = report.n_verified,
                        head = report.last_hash
                    )?;
                    crate::say!("cli-verify-merkle-ok", n = report.n_verified)?;
                    match report.last_checkpoint {
                        Some((size, root)) => crate::say!(
                            "cli-verify-checkpoints-ok",
                            n = report.n_checkpoints,
                            size = size,
                            root = root
                        )?,
                        None => crate::say!("cli-verify-no-checkpoints")?,
                    }
                    say_signers(&report, &published, directory_key.as_ref())?;
                    match &extends {
                        Some(Ok(message)) => {
                            crate::say!("cli-verify-from-checkpoint-ok", message = message.text)?
                        }
                        Some(Err(message)) => crate::say!(
                            "cli-verify-from-checkpoint-failed",
                            message = message.text
                        )?,
                        None => {}
                    }
                }
                Ok(if extends_ok {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                })
            }
            Some(failure) => {
                if !json {
                    crate::say!(
                        "cli-verify-failed",
                        position = failure.position,
                        what = crate::i18n::errors::audit_what(&failure.cause),
                        reason = crate::i18n::errors::audit_break(&failure.cause),
                        n = report.n_verified
                    )?;
                }
                Ok(ExitCode::from(1))
            }
        }
    })
}

/// The keys that signed the log's checkpoints, each marked when it is one
/// given with `--pubkey` or this directory's; without `--pubkey`, the
/// warning that the keys were the checkpoints' own (on stderr).
fn say_signers(
    report: &AuditReport,
    published: &[NoteVerifier],
    directory_key: Option<&NoteVerifier>,
) -> anyhow::Result<()> {
    for signer in &report.checkpoint_keys {
        let mark = if published.iter().any(|key| key.to_vkey() == signer.vkey) {
            "published"
        } else if directory_key.is_some_and(|key| key.to_vkey() == signer.vkey) {
            "directory"
        } else {
            "other"
        };
        crate::say!(
            "cli-verify-checkpoint-signer",
            key = signer.vkey,
            fingerprint = signer.fingerprint,
            n = signer.n_checkpoints,
            first = signer.first_position,
            last = signer.last_position,
            mark = mark
        )?;
    }
    if published.is_empty() && !report.checkpoint_keys.is_empty() {
        eprintln!("{}", crate::t!("cli-verify-keys-carried"));
    }
    Ok(())
}
