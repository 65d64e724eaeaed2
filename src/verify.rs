//! `salesledger verify --data DIR`: walks the whole log and checks the hash
//! chain, the Merkle tree kept beside it, and every signed checkpoint
//! (signature, root, consistency with the previous one), naming the first
//! thing that does not verify. `--from-checkpoint FILE` also proves that
//! the log extends a checkpoint saved earlier.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use salesledger_store::SledStore;

pub fn run(
    data_dir: &Path,
    json: bool,
    from_checkpoint: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    crate::audit_cli::require_log(data_dir)?;
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let store = SledStore::open(data_dir)
            .with_context(|| crate::t!("cli-opening-log", dir = data_dir.display()))?;
        let audited = crate::audit_cli::audit_store(data_dir, &store, from_checkpoint).await;
        store.close().await;
        let (report, extends) = audited?;
        let extends_ok = !matches!(extends, Some(Err(_)));
        if json {
            let mut value = serde_json::to_value(&report)?;
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
