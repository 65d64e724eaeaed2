//! Files for analysts (issue 19): the log as Apache Parquet, read by
//! DuckDB, pandas, Spark or DataFusion without salesledger.
//!
//! [`log`]: `salesledger export --format parquet --out DIR`, every
//! envelope field a typed column and the payload a JSON string column,
//! cut into files by position range.
//!
//! [`tables`]: `salesledger rebuild --from FILE --out DIR --format
//! parquet`, every read-model table as its own Parquet file with typed
//! columns read from the rows' serde form ([`flatten`]), and
//! `tables.json` describing them.
//!
//! Every file is written to a hidden temporary name beside its final one,
//! synced, then renamed: a reader never sees a partial Parquet file, and a
//! failed run removes what it wrote.

pub mod flatten;
pub mod log;
pub mod tables;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// Prepares `out` for a run that writes files named by `ours`: creates it
/// if missing; refuses it if it holds any file unless `force`, in which
/// case the earlier files that `ours` recognises are removed (so a query
/// over `DIR/*.parquet` never mixes two runs).
pub(crate) fn prepare_out_dir(
    out: &Path,
    force: bool,
    ours: impl Fn(&str) -> bool,
) -> anyhow::Result<()> {
    fs::create_dir_all(out).with_context(|| crate::t!("cli-creating", path = out.display()))?;
    let mut entries = Vec::new();
    for entry in
        fs::read_dir(out).with_context(|| crate::t!("cli-reading", path = out.display()))?
    {
        let entry = entry.with_context(|| crate::t!("cli-reading", path = out.display()))?;
        entries.push(entry.path());
    }
    if entries.is_empty() {
        return Ok(());
    }
    if !force {
        bail!(crate::t!(
            "cli-parquet-out-not-empty",
            dir = out.display(),
            n = entries.len()
        ));
    }
    for path in entries {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        if path.is_file() && ours(name) {
            fs::remove_file(&path)
                .with_context(|| crate::t!("cli-removing", path = path.display()))?;
        }
    }
    Ok(())
}

/// Removes the files a failed run had already renamed into place (its
/// staged files remove themselves, [`Staged`]).
pub(crate) fn remove_written(paths: &[PathBuf]) {
    for path in paths {
        if let Err(error) = fs::remove_file(path) {
            tracing::warn!(path = %path.display(), %error, "removing a file of a failed run");
        }
    }
}

/// A file being written under a temporary name, renamed into place by
/// [`Staged::commit`] and removed if dropped before that.
pub(crate) struct Staged {
    temp: PathBuf,
    path: PathBuf,
    committed: bool,
}

impl Staged {
    pub(crate) fn new(path: PathBuf) -> anyhow::Result<(Staged, fs::File)> {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .context("an output file without a name")?;
        let temp = path.with_file_name(format!(".{name}.tmp"));
        let file = fs::File::create(&temp)
            .with_context(|| crate::t!("cli-creating", path = temp.display()))?;
        Ok((
            Staged {
                temp,
                path,
                committed: false,
            },
            file,
        ))
    }

    /// Syncs `file` (the one [`Staged::new`] returned) and renames it into
    /// place.
    pub(crate) fn commit(mut self, file: &fs::File) -> anyhow::Result<PathBuf> {
        file.sync_all()
            .with_context(|| crate::t!("cli-syncing", path = self.temp.display()))?;
        fs::rename(&self.temp, &self.path)
            .with_context(|| crate::t!("cli-renaming", path = self.temp.display()))?;
        self.committed = true;
        Ok(self.path.clone())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            if let Err(error) = fs::remove_file(&self.temp) {
                tracing::warn!(path = %self.temp.display(), %error, "removing a partial file");
            }
        }
    }
}
