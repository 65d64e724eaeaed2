//! Command-line values that may be read from a file: a bearer token
//! (`@FILE`) and a key (a file holding it, or the key itself), and
//! witness keys parsed. Shared by
//! the audit, remote, witness and backup commands; a leaf (it imports no
//! other command module).

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
/// key or a file holding one), parsed.
pub(crate) fn witness_keys(given: &[String]) -> anyhow::Result<Vec<CosignatureVerifier>> {
    given
        .iter()
        .map(|vkey| {
            let vkey = read_key_arg(vkey)?;
            CosignatureVerifier::parse_vkey(&vkey)
                .with_context(|| crate::t!("cli-not-a-witness-vkey", vkey = vkey))
        })
        .collect()
}
