//! `salesledger verify --data DIR`: walks the whole log and checks the hash
//! chain, naming the first position that does not verify.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use salesledger_store::{verify_log, SledStore, Store};

pub fn run(data_dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    if !data_dir.join("log").is_dir() {
        bail!(
            "{} holds no salesledger log (no log/ directory)",
            data_dir.display()
        );
    }
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let store = SledStore::open(data_dir)
            .with_context(|| format!("opening the log in {}", data_dir.display()))?;
        let bar = crate::progress::bar(store.head().len, "verifying");
        let report = verify_log(&store, |n_checked, _| bar.set_position(n_checked))
            .await
            .context("reading the log")?;
        bar.finish_and_clear();
        store.close().await;
        if json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        match &report.failure {
            None => {
                if !json {
                    println!(
                        "ok: {} records verify; head hash {}",
                        report.n_verified, report.last_hash
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Some(failure) => {
                if !json {
                    println!(
                        "FAILED at position {}: {} ({} records before it verify)",
                        failure.position, failure.reason, report.n_verified
                    );
                }
                Ok(ExitCode::from(1))
            }
        }
    })
}
