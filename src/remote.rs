//! The auditor's commands against a running gateway (docs/AUDIT.md,
//! "Checking a running system"): `salesledger verify --url URL --token T
//! --state FILE` and `salesledger evidence --url URL --token T ...`.
//!
//! `verify --url` fetches the latest signed checkpoint
//! (`GET /v1/audit/checkpoints/latest`), checks its signature with the
//! log's key, and, when FILE holds a checkpoint verified earlier, that the
//! new one extends it (`GET /v1/audit/consistency?from=OLD&to=NEW`, an RFC
//! 9162 consistency proof checked against both signed roots). Only then is
//! the new checkpoint saved. A log that was rewritten, rolled back or
//! forked since fails with both tree heads and leaves FILE as it was.
//!
//! With `--witness VKEY` (repeatable) and `--witness-quorum N` (default:
//! all), the latest checkpoint must also carry valid cosignatures by N of
//! those witnesses (C2SP tlog-cosignature; docs/AUDIT.md, "Witnesses").
//!
//! The state file (JSON, `salesledger-verify-state/1`) keeps the gateway's
//! URL, the log's verifier key and the last verified checkpoint (size,
//! root, signed note). The key is fixed when the file is created: from
//! `--pubkey` (obtained independently), else the gateway's own (trust on
//! first use, said on stderr with the key's fingerprint).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use salesledger_replay::audit::bundle::{verify_bundle, write_bundle, Bundle, Subject};
use salesledger_replay::audit::checkpoint::{Checkpoint, NoteVerifier};
use salesledger_replay::audit::cosignature::{check_quorum, distinct_witnesses};
use salesledger_replay::audit::key_fingerprint;
use salesledger_replay::audit::merkle::verify_consistency;
use serde::{Deserialize, Serialize};

use crate::arg_values::{read_key_arg, token_arg, witness_keys};
use crate::i18n::Said;

/// The `format` of a state file.
pub const STATE_FORMAT: &str = "salesledger-verify-state/1";

/// What `verify --url` keeps between runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyState {
    pub format: String,
    /// The gateway checked (informational).
    pub url: String,
    /// The log's C2SP verifier key, fixed when the file was created.
    pub verifier_key: String,
    /// The last verified checkpoint.
    pub tree_size: u64,
    /// Its RFC 9162 root, hex.
    pub root_hash: String,
    /// Its signed note, as served.
    pub note: String,
    /// When it was verified (this machine's clock, RFC 3339).
    pub verified_at: String,
}

/// The served checkpoint (`GET /v1/audit/checkpoints/latest`), the fields
/// this command reads.
#[derive(Debug, Deserialize)]
struct ServedCheckpoint {
    note: String,
    verifier_key: String,
}

#[derive(Debug, Deserialize)]
struct ServedProof {
    from: u64,
    to: u64,
    proof: Vec<String>,
}

pub(crate) fn client() -> anyhow::Result<reqwest::Client> {
    client_builder()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .with_context(|| crate::t!("cli-building-http-client"))
}

/// Every HTTP client of the CLI starts here: TLS set up, and the CLI's
/// language asked for (`Accept-Language`), so the gateway's problem
/// details come back in the language the person reads.
pub(crate) fn client_builder() -> reqwest::ClientBuilder {
    crate::tls::install_crypto_provider();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT_LANGUAGE,
        reqwest::header::HeaderValue::from_static(crate::i18n::cli_lang().tag()),
    );
    reqwest::Client::builder().default_headers(headers)
}

/// A gateway's refusal for a person: its problem's `detail (code)`, or
/// the body as it is when it is not a problem.
pub(crate) fn problem_text(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Problem {
        code: String,
        detail: String,
    }
    match serde_json::from_slice::<Problem>(body) {
        Ok(problem) => format!("{} ({})", problem.detail, problem.code),
        Err(_) => String::from_utf8_lossy(body).trim().to_owned(),
    }
}

/// Sends GET `url` with the bearer token: the response, whatever its
/// status, or an error naming the request that could not be sent.
pub(crate) async fn send_get(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> anyhow::Result<reqwest::Response> {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| crate::t!("cli-sending-request", method = "GET", url = url))
}

/// GET `url` with the bearer token; the body, or an error naming the
/// gateway's problem.
pub(crate) async fn get(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> anyhow::Result<Vec<u8>> {
    let response = send_get(client, url, token).await?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .with_context(|| crate::t!("cli-reading-answer", url = url))?;
    if !status.is_success() {
        bail!(crate::t!(
            "cli-get-failed",
            url = url,
            status = status,
            body = problem_text(&body)
        ));
    }
    Ok(body.to_vec())
}

pub(crate) fn base(url: &str) -> &str {
    url.trim_end_matches('/')
}

impl crate::arg_values::StateFile for VerifyState {
    const FORMAT: &'static str = STATE_FORMAT;
    fn format(&self) -> &str {
        &self.format
    }
}

fn read_state(path: &Path) -> anyhow::Result<Option<VerifyState>> {
    crate::arg_values::read_state(
        path,
        || crate::t!("cli-reading-state-file", path = path.display()),
        || crate::t!("cli-not-a-state-file", path = path.display()),
    )
}

/// The outcome of one check, for the text and JSON reports.
#[derive(Debug, Serialize)]
struct Outcome {
    ok: bool,
    /// In English: the JSON report never changes with the language.
    message: String,
    /// The message in the CLI's language, for the text report.
    #[serde(skip)]
    text: String,
    verifier_key: String,
    key_fingerprint: String,
    /// The saved tree head, if any: (size, root hex).
    saved: Option<(u64, String)>,
    /// The served one.
    served: (u64, String),
}

/// `salesledger verify --url URL --token T --state FILE [--pubkey KEY]`.
pub fn verify(
    url: &str,
    token: &str,
    state_path: &Path,
    pubkey: Option<&str>,
    (witnesses, quorum): (&[String], Option<usize>),
    json: bool,
) -> anyhow::Result<ExitCode> {
    let token = token_arg(token)?;
    let witnesses = witness_keys(witnesses)?;
    let given = distinct_witnesses(&witnesses);
    let quorum = quorum.unwrap_or(given);
    if !witnesses.is_empty() && (quorum == 0 || quorum > given) {
        bail!(crate::t!(
            "cli-quorum-unmeetable",
            quorum = quorum,
            n = given
        ));
    }
    let saved = read_state(state_path)?;
    let given = pubkey.map(read_key_arg).transpose()?;
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let client = client()?;
        let body = get(
            &client,
            &format!("{}/v1/audit/checkpoints/latest", base(url)),
            &token,
        )
        .await?;
        let served: ServedCheckpoint =
            serde_json::from_slice(&body).with_context(|| crate::t!("cli-checkpoint-not-json"))?;
        // The key: the saved one, else the given one, else the gateway's.
        let (vkey, first_use) = match (&saved, &given) {
            (Some(saved), Some(given)) if saved.verifier_key != *given => bail!(crate::t!(
                "cli-pubkey-differs",
                given = given,
                path = state_path.display(),
                saved = saved.verifier_key
            )),
            (Some(saved), _) => (saved.verifier_key.clone(), false),
            (None, Some(given)) => (given.clone(), false),
            (None, None) => (served.verifier_key.clone(), true),
        };
        let verifier =
            NoteVerifier::parse_vkey(&vkey).with_context(|| crate::t!("cli-log-verifier-key"))?;
        let fingerprint = key_fingerprint(&verifier);
        if first_use {
            eprintln!(
                "{}",
                crate::t!("cli-remote-tofu", vkey = vkey, fingerprint = fingerprint)
            );
        }
        let saved_head = saved
            .as_ref()
            .map(|saved| (saved.tree_size, saved.root_hash.clone()));
        let report = |ok: bool, message: Said, served: (u64, String)| Outcome {
            ok,
            message: message.english,
            text: message.text,
            verifier_key: vkey.clone(),
            key_fingerprint: fingerprint.clone(),
            saved: saved_head.clone(),
            served,
        };
        // The signature, and what it signs.
        let outcome = match verifier.open(&served.note).and_then(Checkpoint::parse_body) {
            Err(error) => report(
                false,
                crate::said!(
                    "cli-remote-not-signed",
                    error = worded(&error, crate::i18n::errors::note_error(&error))
                ),
                (0, String::new()),
            ),
            Ok(body) if body.origin != verifier.name() => report(
                false,
                crate::said!(
                    "cli-remote-other-origin",
                    origin = body.origin,
                    key = verifier.name()
                ),
                (body.tree_size, hex::encode(body.root_hash)),
            ),
            Ok(body) => {
                let new = (body.tree_size, hex::encode(body.root_hash));
                match &saved {
                    None => report(
                        true,
                        crate::said!("cli-remote-first-state", size = new.0, root = new.1),
                        new,
                    ),
                    Some(saved) => {
                        match extends(
                            &client,
                            url,
                            &token,
                            saved.tree_size,
                            &saved.root_hash,
                            &body,
                        )
                        .await?
                        {
                            Ok(()) => report(
                                true,
                                crate::said!(
                                    "cli-extends-ok",
                                    old_size = saved.tree_size,
                                    old_root = saved.root_hash,
                                    new_size = new.0,
                                    new_root = new.1
                                ),
                                new,
                            ),
                            Err(reason) => report(false, reason, new),
                        }
                    }
                }
            }
        };
        let mut outcome = outcome;
        if outcome.ok && !witnesses.is_empty() {
            let report = check_quorum(&served.note, &witnesses, quorum);
            if report.met() {
                let said = crate::said!(
                    "cli-remote-cosigned",
                    cosigned = report.cosigned,
                    given = distinct_witnesses(&witnesses),
                    quorum = quorum
                );
                outcome.message.push_str(&said.english);
                outcome.text.push_str(&said.text);
            } else {
                outcome.ok = false;
                let said = crate::said!(
                    "cli-remote-quorum-missed",
                    cosigned = report.cosigned,
                    given = distinct_witnesses(&witnesses),
                    quorum = quorum
                );
                outcome.message = said.english;
                outcome.text = said.text;
            }
        }
        if outcome.ok {
            let (tree_size, root_hash) = outcome.served.clone();
            crate::arg_values::write_state(
                state_path,
                &VerifyState {
                    format: STATE_FORMAT.into(),
                    url: base(url).to_owned(),
                    verifier_key: vkey.clone(),
                    tree_size,
                    root_hash,
                    note: served.note.clone(),
                    verified_at: chrono::Utc::now()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                },
            )?;
        }
        if json {
            crate::outln!("{}", serde_json::to_string_pretty(&outcome)?)?;
        } else if outcome.ok {
            crate::say!("cli-ok", message = outcome.text)?;
            crate::say_detail!(
                "cli-remote-key",
                key = outcome.verifier_key,
                fingerprint = outcome.key_fingerprint
            )?;
            crate::say_detail!("cli-remote-state-saved", path = state_path.display())?;
        } else {
            crate::say!("cli-failed", error = outcome.text)?;
            if let Some((size, root)) = &outcome.saved {
                crate::say_detail!("cli-remote-saved-head", size = size, root = root)?;
            }
            let (size, root) = &outcome.served;
            crate::say_detail!("cli-remote-served-head", size = size, root = root)?;
            crate::say_detail!("cli-remote-state-unchanged", path = state_path.display())?;
        }
        Ok(if outcome.ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

/// Whether the served (signed) checkpoint extends the saved tree head
/// (`saved_size` records, root `saved_root` in hex): `Err` with the reason
/// when it does not. Also what `salesledger witness` checks.
pub(crate) async fn extends(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    saved_size: u64,
    saved_root: &str,
    new: &Checkpoint,
) -> anyhow::Result<Result<(), Said>> {
    let old_root: [u8; 32] = hex::decode(saved_root)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .with_context(|| crate::t!("cli-state-root-not-hex"))?;
    if new.tree_size < saved_size {
        return Ok(Err(crate::said!(
            "cli-remote-shrank",
            saved = saved_size,
            served = new.tree_size
        )));
    }
    if new.tree_size == saved_size {
        return Ok(if new.root_hash == old_root {
            Ok(())
        } else {
            Err(crate::said!("cli-remote-rewritten", size = new.tree_size))
        });
    }
    let body = get(
        client,
        &format!(
            "{}/v1/audit/consistency?from={}&to={}",
            base(url),
            saved_size,
            new.tree_size
        ),
        token,
    )
    .await?;
    let served: ServedProof =
        serde_json::from_slice(&body).with_context(|| crate::t!("cli-consistency-not-json"))?;
    if served.from != saved_size || served.to != new.tree_size {
        return Ok(Err(crate::said!("cli-remote-other-sizes")));
    }
    let proof: Option<Vec<[u8; 32]>> = served
        .proof
        .iter()
        .map(|hash| {
            hex::decode(hash)
                .ok()
                .and_then(|bytes| bytes.try_into().ok())
        })
        .collect();
    let Some(proof) = proof else {
        return Ok(Err(crate::said!("cli-remote-proof-not-hex")));
    };
    Ok(
        verify_consistency(saved_size, new.tree_size, &proof, &old_root, &new.root_hash).map_err(
            |error| {
                crate::said!(
                    "cli-remote-not-extended",
                    error = worded(&error, crate::i18n::errors::merkle_error(&error))
                )
            },
        ),
    )
}

/// What `evidence --url` was given (besides the subject).
pub struct EvidenceRequest<'a> {
    /// The gateway (`https://host:port`).
    pub url: &'a str,
    /// The bearer token (auditor role), or `@FILE` holding it.
    pub token: &'a str,
    /// The log's verifier key (or a file holding it) to check against.
    pub pubkey: Option<&'a str>,
    /// The state file of `verify --url`, whose saved key is used when no
    /// `pubkey` is given.
    pub state: Option<&'a Path>,
    /// Where the verified bundle is written.
    pub out: &'a Path,
}

/// `salesledger evidence --url URL --token T --customer|--lead|--proposal ID --out FILE`:
/// downloads the bundle, verifies it (against `--pubkey`, else the key in
/// `--state`, else the bundle's own with a warning) and writes it.
pub fn evidence(args: &EvidenceRequest<'_>, subject: &Subject) -> anyhow::Result<ExitCode> {
    let url = args.url;
    let token = token_arg(args.token)?;
    let key = match (args.pubkey, args.state) {
        (Some(pubkey), _) => Some(read_key_arg(pubkey)?),
        // Only read here (`verify --url` writes it): a missing file is a
        // mistaken path, not a first use, and must not fall back to the
        // bundle's own key.
        (None, Some(state)) => Some(
            read_state(state)?
                .with_context(|| crate::t!("cli-evidence-state-missing", path = state.display()))?
                .verifier_key,
        ),
        (None, None) => None,
    };
    let kind = match subject.kind.as_str() {
        "customer" => "customers",
        "lead" => "leads",
        _ => "proposals",
    };
    let runtime = crate::runtime()?;
    let bytes = runtime.block_on(async {
        get(
            &client()?,
            &format!("{}/v1/audit/evidence/{kind}/{}", base(url), subject.id),
            &token,
        )
        .await
    })?;
    let report = match verify_bundle(&bytes, key.as_deref()) {
        Ok(report) => report,
        Err(error) => {
            crate::say!(
                "cli-remote-bundle-fails",
                error = crate::i18n::errors::bundle_failure(&error)
            )?;
            return Ok(ExitCode::from(1));
        }
    };
    if key.is_none() {
        eprintln!(
            "{}",
            crate::t!(
                "cli-remote-bundle-own-key",
                fingerprint = report.key_fingerprint
            )
        );
    }
    let bundle: Bundle = serde_json::from_slice(&bytes)?;
    write_bundle(&bundle, args.out)?;
    crate::say!(
        "cli-remote-evidence-wrote",
        path = args.out.display(),
        n = report.n_events,
        kind = crate::i18n::errors::subject_kind(&subject.kind),
        id = subject.id,
        size = report.tree_size,
        root = report.root_hash,
        fingerprint = report.key_fingerprint
    )?;
    Ok(ExitCode::SUCCESS)
}
