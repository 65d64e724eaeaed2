//! `salesledger backup --url URL --token T --out DIR`: an online backup of
//! a running gateway into a data directory that `verify --data DIR` checks
//! and `serve --data DIR` serves (docs/OPERATIONS.md).
//!
//! - DIR is absent or empty (a first backup), or holds a log written by an
//!   earlier backup (incremental). Any other non-empty directory is
//!   refused. DIR's own log is read and verified first ([`VerifiedLog`]: the chain checked,
//!   the Merkle root folded on the way), and the blobs its records
//!   reference that are missing are fetched.
//! - Then `GET /v1/audit/export?from=HEAD` streams the records after the
//!   backup's head. The header's `prev_hash` must be the backup's head
//!   hash: a gateway whose log was rewritten, rolled back or forked (or a
//!   DIR backing up another log) fails naming the position and both
//!   hashes, writing nothing.
//! - Every record is checked against the chain (position, `prev_hash`,
//!   recomputed hash, stream version, time) as it arrives. Records are
//!   written in pages: first every blob the page's payloads reference
//!   (`GET /v1/blobs/{sha256}`, its SHA-256 checked, stored synced like the
//!   gateway's own), then the page **verbatim** with [`Store::import`], one
//!   durable batch. A backup killed at any point leaves DIR a verified
//!   prefix of the log with all its blobs; running it again continues.
//! - At the end the stream's count and head hash must be the header's.
//!
//! Not in the log, so not in a backup: the checkpoint signing key, the
//! tokens file, webhook subscriptions and secrets, idempotency keys
//! ([`CAVEATS`], printed with the summary).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use salesledger_replay::audit::bundle::referenced_blobs;
use salesledger_replay::audit::export::{decode_record_line, EXPORT_FORMAT};
use salesledger_store::{FsBlobStore, Hash32, LogHead, RecordedEvent, Store, READ_PAGE};
use serde::{Deserialize, Serialize};

use crate::arg_values::token_arg;
use crate::backend::{OpenedStore, StoreChoice};
use crate::copy::VerifiedLog;
use crate::remote::{base, send_get};

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The running gateway's base URL (`https://host:port`).
    #[arg(long)]
    pub url: String,
    /// Bearer token of a role that may read every event type and every
    /// blob (an auditor's; a supervisor's works too), or `@FILE`.
    #[arg(long)]
    pub token: String,
    /// The backup's data directory: absent or empty the first time, the
    /// same directory again to continue it.
    #[arg(long)]
    pub out: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What a data directory restored from a backup lacks (none of it is in
/// the log), said with every summary.
pub const CAVEATS: &[&str] = &[
    "the checkpoint signing key (DATA/audit/signing.key) is not in the log: copy it out of band to keep signing with the published key; without it, `serve` on the backup signs new checkpoints with a new key (the log's old checkpoints still verify with the published one)",
    "the tokens file (DATA/tokens.json) is not in the log: `serve` on the backup creates a new admin token at its first start, or copy the tokens file out of band",
    "webhook subscriptions and their secrets, and idempotency keys, are not in the log: re-create the subscriptions; a retried request acknowledged before the backup appends again",
];

/// The backup's log after the run.
#[derive(Clone, Debug, Serialize)]
pub struct BackupReport {
    /// Records the backup held before this run.
    pub records_before: u64,
    /// Records written by this run.
    pub records_added: u64,
    /// Records the backup holds now.
    pub records: u64,
    pub head_hash: Hash32,
    /// RFC 9162 root of all the backup's records.
    pub merkle_root: Hash32,
    /// Distinct blobs the backup's records reference (all present in DIR).
    pub blobs_referenced: u64,
    /// Blobs fetched by this run, and their bytes.
    pub blobs_fetched: u64,
    pub blob_bytes_fetched: u64,
    pub caveats: Vec<String>,
}

/// The export's header line; `from` and `prev_hash` when it starts after 0.
#[derive(Debug, Deserialize)]
struct StreamHeader {
    format: String,
    #[serde(default)]
    from: Option<u64>,
    #[serde(default)]
    prev_hash: Option<Hash32>,
    records: u64,
    head_hash: Hash32,
}

/// `salesledger backup`.
pub fn run(args: &BackupArgs) -> anyhow::Result<ExitCode> {
    let token = token_arg(&args.token)?;
    let runtime = crate::runtime()?;
    let report = runtime.block_on(backup(&args.url, &token, &args.out))?;
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    for line in [
        crate::t!(
            "cli-backup-done",
            added = report.records_added,
            url = base(&args.url),
            path = args.out.display(),
            before = report.records_before,
            now = report.records
        ),
        crate::t!(
            "cli-backup-summary",
            records = report.records,
            head = report.head_hash,
            root = report.merkle_root
        ),
        crate::t!(
            "cli-backup-blobs",
            referenced = report.blobs_referenced,
            fetched = report.blobs_fetched,
            bytes = report.blob_bytes_fetched
        ),
        crate::t!("cli-backup-not-included"),
    ] {
        crate::outln!("{line}")?;
    }
    // The JSON report's caveats stay English (CAVEATS); the text, in the
    // CLI's language, says the same in the same order.
    for caveat in [
        crate::t!("cli-backup-caveat-key"),
        crate::t!("cli-backup-caveat-tokens"),
        crate::t!("cli-backup-caveat-webhooks"),
    ] {
        crate::outln!("  - {caveat}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// An HTTP client for long streams: no overall deadline, but one on
/// connecting and on each read.
fn stream_client() -> anyhow::Result<reqwest::Client> {
    crate::remote::client_builder()
        .connect_timeout(std::time::Duration::from_secs(30))
        .read_timeout(std::time::Duration::from_secs(120))
        .build()
        .with_context(|| crate::t!("cli-building-http-client"))
}

/// The gateway's answer as an error: status, problem code and detail.
async fn refusal(what: &str, response: reqwest::Response) -> anyhow::Error {
    let status = response.status();
    let body = response.bytes().await.unwrap_or_default();
    let why = crate::remote::problem_text(&body);
    match status.as_u16() {
        401 => anyhow::anyhow!(crate::t!(
            "cli-backup-refused-401",
            what = what,
            status = status,
            why = why
        )),
        403 => anyhow::anyhow!(crate::t!(
            "cli-backup-refused-403",
            what = what,
            status = status,
            why = why
        )),
        _ => anyhow::anyhow!(crate::t!(
            "cli-backup-refused",
            what = what,
            status = status,
            why = why
        )),
    }
}

/// Fails unless `out` may receive a backup: absent, empty, or holding a log.
fn check_out_dir(out: &Path) -> anyhow::Result<()> {
    if !out.exists() || out.join("log").is_dir() {
        return Ok(());
    }
    let mut entries =
        std::fs::read_dir(out).with_context(|| crate::t!("cli-reading", path = out.display()))?;
    if entries.next().is_some() {
        bail!(crate::t!("cli-backup-not-a-backup", path = out.display()));
    }
    Ok(())
}

/// Backs the gateway at `url` up into `out`; see the module docs.
pub async fn backup(url: &str, token: &str, out: &Path) -> anyhow::Result<BackupReport> {
    check_out_dir(out)?;
    let client = stream_client()?;
    // A first backup asks before it creates anything: a refused token or
    // an unreachable gateway leaves no directory behind.
    let early = if out.join("log").is_dir() {
        None
    } else {
        Some(open_export(&client, url, token, LogHead::EMPTY, out).await?)
    };
    let opened = OpenedStore::open(&StoreChoice::Sled(out.to_owned()))
        .await
        .with_context(|| crate::t!("cli-backup-opening-log", path = out.display()))?;
    let blobs = FsBlobStore::open(out, u64::MAX)
        .with_context(|| crate::t!("cli-backup-opening-blobs", path = out.display()))?;
    let result = backup_into(
        (&client, url, token),
        out,
        opened.store().as_ref(),
        &blobs,
        early,
    )
    .await;
    opened.close().await;
    result
}

/// The backup's state while it runs.
struct Progress {
    log: VerifiedLog,
    referenced: BTreeSet<Hash32>,
    blobs_fetched: u64,
    blob_bytes_fetched: u64,
}

impl Progress {
    /// Checks the next record and folds it in; `Err` with the reason.
    fn check(&mut self, record: &RecordedEvent) -> anyhow::Result<Vec<Hash32>> {
        self.log.take(record, |position, reason| {
            crate::t!("cli-backup-position", position = position, reason = reason)
        })?;
        let hashes = referenced_blobs(record)
            .with_context(|| crate::t!("cli-backup-payload", position = record.position))?;
        self.referenced.extend(hashes.iter().copied());
        Ok(hashes)
    }
}

/// `GET /v1/audit/export?from=HEAD`, its refusals as errors.
async fn open_export(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    local: LogHead,
    out: &Path,
) -> anyhow::Result<reqwest::Response> {
    let export_url = format!("{}/v1/audit/export?from={}", base(url), local.len);
    let response = send_get(client, &export_url, token).await?;
    if response.status().as_u16() == 422 && local.len > 0 {
        let error = refusal(&format!("GET {export_url}"), response).await;
        bail!(crate::t!(
            "cli-backup-gateway-shorter",
            records = local.len,
            head = local.last_hash,
            path = out.display(),
            error = format!("{error:#}")
        ));
    }
    if !response.status().is_success() {
        return Err(refusal(&format!("GET {export_url}"), response).await);
    }
    Ok(response)
}

/// The gateway a backup reads: client, URL and bearer token.
type Gateway<'a> = (&'a reqwest::Client, &'a str, &'a str);

async fn backup_into(
    gateway: Gateway<'_>,
    out: &Path,
    store: &dyn Store,
    blobs: &FsBlobStore,
    early: Option<reqwest::Response>,
) -> anyhow::Result<BackupReport> {
    let (client, url, token) = gateway;
    let mut state = Progress {
        log: VerifiedLog::default(),
        referenced: BTreeSet::new(),
        blobs_fetched: 0,
        blob_bytes_fetched: 0,
    };

    // The backup so far: verified, and its blobs complete.
    let local = store.head();
    let bar = crate::progress::bar(local.len, &crate::t!("cli-progress-backup-check"));
    let mut missing = Vec::new();
    while state.log.chain.n_verified() < local.len {
        let records = state
            .log
            .next_page(
                store,
                READ_PAGE,
                |position| crate::t!("cli-backup-reading", position = position),
                |position| {
                    crate::t!(
                        "cli-backup-record-missing",
                        position = position,
                        head = local.len
                    )
                },
            )
            .await?;
        for record in records.iter().take_while(|r| r.position < local.len) {
            for hash in state
                .check(record)
                .with_context(|| crate::t!("cli-backup-does-not-verify", path = out.display()))?
            {
                if !blobs.contains(&hash).await? {
                    missing.push(hash);
                }
            }
        }
        bar.set_position(state.log.chain.n_verified());
    }
    bar.finish_and_clear();
    if state.log.chain.last_hash() != local.last_hash {
        bail!(crate::t!("cli-backup-head-mismatch"));
    }
    missing.sort();
    missing.dedup();
    for hash in &missing {
        fetch_blob(gateway, blobs, hash, &mut state).await?;
    }

    // What the gateway holds after it.
    let mut response = match early {
        Some(response) => response,
        None => open_export(client, url, token, local, out).await?,
    };
    let mut lines = LineReader::default();
    let header_line = loop {
        if let Some(line) = lines.next_line() {
            break line;
        }
        let Some(chunk) = response
            .chunk()
            .await
            .with_context(|| crate::t!("cli-backup-reading-export"))?
        else {
            bail!(crate::t!("cli-backup-no-header"));
        };
        lines.push(&chunk);
    };
    let header: StreamHeader = serde_json::from_slice(&header_line)
        .with_context(|| crate::t!("cli-backup-first-line-not-header"))?;
    if header.format != EXPORT_FORMAT {
        bail!(crate::t!(
            "cli-backup-export-format",
            format = format!("{:?}", header.format),
            expected = format!("{EXPORT_FORMAT:?}")
        ));
    }
    if local.len > 0 {
        let (Some(from), Some(prev_hash)) = (header.from, header.prev_hash) else {
            bail!(crate::t!("cli-backup-header-no-from"));
        };
        if from != local.len {
            bail!(crate::t!(
                "cli-backup-other-from",
                from = from,
                expected = local.len
            ));
        }
        if prev_hash != local.last_hash {
            bail!(crate::t!(
                "cli-backup-not-extended",
                position = local.len - 1,
                ours = local.last_hash,
                theirs = prev_hash,
                path = out.display()
            ));
        }
    }

    let total = local.len + header.records;
    let bar = crate::progress::bar(total, &crate::t!("cli-progress-backing-up"));
    bar.set_position(local.len);
    let mut page = Page {
        records: Vec::with_capacity(READ_PAGE),
        blobs: Vec::new(),
    };
    let mut line_no = 1u64;
    let mut stream_done = false;
    loop {
        while let Some(line) = lines.next_line() {
            line_no += 1;
            if state.log.chain.n_verified() >= total {
                bail!(crate::t!("cli-backup-too-many", records = header.records));
            }
            let text = std::str::from_utf8(&line)
                .with_context(|| crate::t!("cli-backup-line-not-utf8", line = line_no))?;
            let record = decode_record_line(text, line_no)
                .map_err(crate::i18n::errors::audit_error)
                .with_context(|| crate::t!("cli-backup-gateway-export"))?;
            let hashes = state
                .check(&record)
                .with_context(|| crate::t!("cli-backup-export-does-not-verify"))?;
            page.blobs.extend(hashes);
            page.records.push(record);
            if page.records.len() >= READ_PAGE {
                write_page(gateway, store, blobs, &mut page, &mut state).await?;
                bar.set_position(state.log.chain.n_verified());
            }
        }
        if stream_done {
            break;
        }
        match response
            .chunk()
            .await
            .with_context(|| crate::t!("cli-backup-reading-export"))?
        {
            Some(chunk) => lines.push(&chunk),
            None => {
                lines.finish();
                stream_done = true;
            }
        }
    }
    write_page(gateway, store, blobs, &mut page, &mut state).await?;
    bar.finish_and_clear();
    if state.log.chain.n_verified() != total {
        bail!(crate::t!(
            "cli-backup-export-short",
            got = state.log.chain.n_verified() - local.len,
            announced = header.records,
            held = state.log.chain.n_verified()
        ));
    }
    if state.log.chain.last_hash() != header.head_hash {
        bail!(crate::t!("cli-backup-export-head-mismatch"));
    }
    let head = store.head();
    if head.len != total || head.last_hash != state.log.chain.last_hash() {
        bail!(crate::t!("cli-backup-end-mismatch"));
    }
    Ok(BackupReport {
        records_before: local.len,
        records_added: total - local.len,
        records: total,
        head_hash: head.last_hash,
        merkle_root: Hash32(state.log.tree.root()),
        blobs_referenced: state.referenced.len() as u64,
        blobs_fetched: state.blobs_fetched,
        blob_bytes_fetched: state.blob_bytes_fetched,
        caveats: CAVEATS.iter().map(|caveat| (*caveat).to_owned()).collect(),
    })
}

/// Verified records not yet written, and the blobs they reference.
struct Page {
    records: Vec<RecordedEvent>,
    blobs: Vec<Hash32>,
}

/// Stores the blobs `page` references, then the page itself (one durable
/// batch): a record is never in the backup without its blobs.
async fn write_page(
    gateway: Gateway<'_>,
    store: &dyn Store,
    blobs: &FsBlobStore,
    page: &mut Page,
    state: &mut Progress,
) -> anyhow::Result<()> {
    page.blobs.sort();
    page.blobs.dedup();
    for hash in page.blobs.drain(..) {
        if !blobs.contains(&hash).await? {
            fetch_blob(gateway, blobs, &hash, state).await?;
        }
    }
    if page.records.is_empty() {
        return Ok(());
    }
    let first = page.records[0].position;
    store
        .import(std::mem::take(&mut page.records))
        .await
        .map_err(crate::i18n::errors::store_error)
        .with_context(|| crate::t!("cli-backup-writing", position = first))?;
    Ok(())
}

/// Downloads one blob, checks its SHA-256, stores it (synced).
async fn fetch_blob(
    (client, url, token): Gateway<'_>,
    blobs: &FsBlobStore,
    hash: &Hash32,
    state: &mut Progress,
) -> anyhow::Result<()> {
    let blob_url = format!("{}/v1/blobs/{hash}", base(url));
    let response = send_get(client, &blob_url, token).await?;
    if !response.status().is_success() {
        return Err(refusal(
            &crate::t!("cli-backup-fetching-blob", hash = hash, url = blob_url),
            response,
        )
        .await);
    }
    let content = response
        .bytes()
        .await
        .with_context(|| crate::t!("cli-backup-reading-blob", hash = hash))?;
    let actual = Hash32::sha256(&content);
    if actual != *hash {
        bail!(crate::t!(
            "cli-backup-blob-mismatch",
            hash = hash,
            actual = actual
        ));
    }
    blobs
        .put(&content)
        .await
        .with_context(|| crate::t!("cli-backup-storing-blob", hash = hash))?;
    state.blobs_fetched += 1;
    state.blob_bytes_fetched += content.len() as u64;
    Ok(())
}

/// Splits a byte stream into `\n`-terminated lines.
#[derive(Default)]
struct LineReader {
    buffer: Vec<u8>,
    start: usize,
}

impl LineReader {
    fn push(&mut self, chunk: &[u8]) {
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        self.buffer.extend_from_slice(chunk);
    }

    /// A last line without its newline becomes a line.
    fn finish(&mut self) {
        if self.start < self.buffer.len() {
            self.buffer.push(b'\n');
        }
    }

    fn next_line(&mut self) -> Option<Vec<u8>> {
        let rest = &self.buffer[self.start..];
        let end = rest.iter().position(|&byte| byte == b'\n')?;
        let line = rest[..end].to_vec();
        self.start += end + 1;
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_across_chunks_come_out_whole() {
        let mut reader = LineReader::default();
        reader.push(b"{\"a\":1}\n{\"b\"");
        assert_eq!(reader.next_line().as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(reader.next_line(), None);
        reader.push(b":2}\n{\"c\":3}");
        assert_eq!(reader.next_line().as_deref(), Some(&b"{\"b\":2}"[..]));
        assert_eq!(reader.next_line(), None);
        reader.finish();
        assert_eq!(reader.next_line().as_deref(), Some(&b"{\"c\":3}"[..]));
        assert_eq!(reader.next_line(), None);
    }

    #[test]
    fn a_directory_that_is_not_a_backup_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        check_out_dir(&dir.path().join("new")).expect("absent");
        check_out_dir(dir.path()).expect("empty");
        std::fs::write(dir.path().join("notes.txt"), "x").expect("write");
        let error = check_out_dir(dir.path()).expect_err("refused");
        assert!(error.to_string().contains("not a backup"), "{error}");
        std::fs::create_dir(dir.path().join("log")).expect("mkdir");
        check_out_dir(dir.path()).expect("a log: a backup to continue");
    }
}
