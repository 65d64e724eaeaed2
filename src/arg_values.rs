//! Command-line values that may be read from a file: a bearer token
//! (`@FILE`) and a key (a file holding it, or the key itself), and
//! witness keys parsed; and the JSON state files `verify --url` and the
//! witness keep between runs (read, format checked, written whole). Shared
//! by the audit, remote, witness and backup commands; a leaf (it imports
//! no other command module).

use std::path::Path;

use anyhow::Context;
use salesledger_replay::audit::cosignature::CosignatureVerifier;

/// A token given on the command line, or `@FILE` holding it.
pub(crate) fn token_arg(token: &str) -> anyhow::Result<String> {
    match token.strip_prefix('@') {
        Some(path) => Ok(std::fs::read_to_string(path)
            .with_context(|| crate::t!("cli-reading-token-file", path = path))?
            .trim()
            .to_owned()),
        None => Ok(token.trim().to_owned()),
    }
}

/// A verifier key given on the command line, or a file holding one.
pub(crate) fn read_key_arg(arg: &str) -> anyhow::Result<String> {
    let path = Path::new(arg);
    if path.is_file() {
        let text = std::fs::read_to_string(path)
            .with_context(|| crate::t!("cli-reading-key-file", path = path.display()))?;
        return Ok(text.lines().next().unwrap_or_default().trim().to_owned());
    }
    Ok(arg.trim().to_owned())
}

/// Witness verifier keys given on the command line (`--witness`, each a
/// key or a file holding one), parsed; one given again as it was is
/// dropped. One key under two names stays twice (its cosignature line is
/// found by either name) and counts once towards a quorum
/// ([`distinct_witnesses`], which the default quorum is too).
pub(crate) fn witness_keys(given: &[String]) -> anyhow::Result<Vec<CosignatureVerifier>> {
    let mut witnesses: Vec<CosignatureVerifier> = Vec::new();
    for vkey in given {
        let vkey = read_key_arg(vkey)?;
        let witness = CosignatureVerifier::parse_vkey(&vkey)
            .with_context(|| crate::t!("cli-not-a-witness-vkey", vkey = vkey))?;
        if !witnesses.contains(&witness) {
            witnesses.push(witness);
        }
    }
    Ok(witnesses)
}

/// A JSON state file a command keeps between runs (`verify --url`'s
/// `VerifyState`, the witness's `WitnessState`): its `format` line names
/// the file's kind and version.
pub(crate) trait StateFile: serde::Serialize + serde::de::DeserializeOwned {
    /// The `format` this build reads and writes.
    const FORMAT: &'static str;
    /// The `format` the file named.
    fn format(&self) -> &str;
}

/// Reads a state file: `None` when there is none; an unreadable file, one
/// that is not JSON of `T` (`not_a`) or one of another format is an error.
pub(crate) fn read_state<T: StateFile>(
    path: &Path,
    reading: impl FnOnce() -> String,
    not_a: impl FnOnce() -> String,
) -> anyhow::Result<Option<T>> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).with_context(reading)?;
    let state: T = serde_json::from_str(&text).with_context(not_a)?;
    if state.format() != T::FORMAT {
        anyhow::bail!(crate::t!(
            "cli-state-format",
            path = path.display(),
            format = format!("{:?}", state.format()),
            expected = format!("{:?}", T::FORMAT)
        ));
    }
    Ok(Some(state))
}

/// Writes a state file whole: a temporary file, fsync, rename, fsync of
/// the directory, so a crash leaves the old state or the new one.
pub(crate) fn write_state<T: StateFile>(path: &Path, state: &T) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut text = serde_json::to_string_pretty(state)?;
    text.push('\n');
    let temporary = path.with_extension("tmp");
    {
        let mut file = std::fs::File::create(&temporary)
            .with_context(|| crate::t!("cli-writing", path = temporary.display()))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| crate::t!("cli-writing", path = temporary.display()))?;
    }
    std::fs::rename(&temporary, path)
        .with_context(|| crate::t!("cli-replacing", path = path.display()))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)
        .and_then(|dir| dir.sync_all())
        .with_context(|| crate::t!("cli-syncing", path = dir.display()))?;
    Ok(())
}
