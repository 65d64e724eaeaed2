//! `salesledger import pos FILE --data DIR [--batch-lines N]`: back-fills
//! POS history offline through the same validation and append path as
//! `POST /v1/pos/sales` (`CommandService::record_pos_ndjson_from`).
//!
//! The file (NDJSON, one sale line per line) is cut into batches of whole
//! tickets of about N lines (a batch ends once it holds N lines and the
//! next line starts another ticket). A batch's id is
//! `<first 16 hex of the SHA-256 of the file's bytes from its start to the
//! batch's end>-<index>` (index from 0), and a batch id is accepted once:
//! - importing the same file again (same `--batch-lines`) appends nothing;
//! - a bad line stops the import with its line number in the file, and the
//!   batches before it are kept; after correcting that line, a re-run skips
//!   them (the bytes before the correction, so their ids, are unchanged)
//!   and imports the rest;
//! - the ids depend on the cut, so a re-run with another `--batch-lines`
//!   would import everything again, and a file that grew since its import
//!   would re-send its old last batch: import only the new lines instead.
//!
//! The importer acts as `integrator:import`.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Context};
use clap::{Args, Subcommand};
use salesledger_commands::{CommandError, CommandMeta, CommandService, Principal};
use salesledger_domain::value::{ActorId, PosBatchId};
use salesledger_domain::{DomainError, Role};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::backend::{OpenedStore, StoreChoice};
use crate::gateway::pos_lines::RecordPosNdjson;

/// What to import.
#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// POS sale lines (NDJSON, the body format of `POST /v1/pos/sales`).
    Pos(PosImportArgs),
    /// An existing customer list (`.csv` or `.xlsx`, the first row the
    /// header): each row registered through the same path and duplicate
    /// check as `POST /v1/customers`, owners assigned where a column names
    /// the rep; every refused row reported with its line; idempotent.
    Customers(CustomerImportArgs),
}

#[derive(Args, Debug)]
pub struct CustomerImportArgs {
    /// The list: a `.csv` (UTF-8) or an `.xlsx` (its first worksheet).
    pub file: PathBuf,
    /// Data directory of the embedded store.
    #[arg(long)]
    pub data: PathBuf,
    /// `COLUMN=FIELD`: the header cell COLUMN holds FIELD (`company_name`,
    /// `unified_social_credit_code`, `phone`, `contact_email`, `owner` (a
    /// rep's id or display name), `attributes.KEY` or `ignore`).
    /// Repeatable; common headers in English and Chinese are recognised
    /// without it.
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub mappings: Vec<String>,
    /// Check every row (values, duplicates against the log and the rows
    /// above, owners) and append nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args, Debug)]
pub struct PosImportArgs {
    /// The NDJSON file.
    pub file: PathBuf,
    /// Data directory of the embedded store (its catalogue of stores,
    /// SKUs and members validates the lines).
    #[arg(long)]
    pub data: PathBuf,
    /// Lines per batch, about (whole tickets).
    #[arg(long, default_value_t = 10_000)]
    pub batch_lines: usize,
}

/// Bad lines printed at most.
const MAX_PRINTED_BAD_LINES: usize = 100;

pub fn run(command: ImportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ImportCommand::Pos(args) => {
            crate::runtime()?.block_on(import_pos(&args.file, &args.data, args.batch_lines))
        }
        ImportCommand::Customers(args) => crate::runtime()?.block_on(import_customers(&args)),
    }
}

/// `import customers`: exit 0 when every row is in the log (registered now
/// or before), 1 when a row was refused (each printed with its line), 2
/// when the list cannot be read at all.
async fn import_customers(args: &CustomerImportArgs) -> anyhow::Result<ExitCode> {
    use crate::customer_import::{import, read_sheet, ImportRun, SheetFormat};
    let format = SheetFormat::from_path(&args.file).map_err(|error| anyhow!(error.localized()))?;
    let bytes = std::fs::read(&args.file)
        .with_context(|| crate::t!("cli-reading", path = args.file.display()))?;
    let sheet = read_sheet(&bytes, format).map_err(|error| anyhow!(error.localized()))?;
    let opened = OpenedStore::open(&StoreChoice::Sled(args.data.clone())).await?;
    let service = CommandService::new(opened.store().clone());
    let principal = Principal {
        actor: ActorId::parse("import").context("the importer's actor id")?,
        role: Role::Supervisor,
    };
    let bar = crate::progress::bar(sheet.rows.len() as u64, &crate::t!("cli-progress-rows"));
    let result = import(
        &service,
        &principal,
        &sheet,
        ImportRun {
            mappings: &args.mappings,
            dry_run: args.dry_run,
            now: chrono::Utc::now(),
            lang: crate::i18n::cli_lang(),
        },
        &|done| bar.set_position(done),
    )
    .await;
    bar.finish_and_clear();
    opened.close().await;
    let report = match result {
        Ok(Ok(report)) => report,
        Ok(Err(error)) => {
            eprintln!("{}", error.localized());
            return Ok(ExitCode::from(2));
        }
        // The gateway's problem, its detail in the CLI's language.
        Err(error) => anyhow::bail!(
            "{}: {}",
            error.code,
            error.problem_in(crate::i18n::cli_lang()).detail
        ),
    };
    for column in &report.columns {
        crate::say!(
            "cli-import-column",
            column = format!("{:?}", column.column),
            field = column.field
        )?;
    }
    for row in &report.refused {
        eprintln!(
            "{}",
            crate::t!(
                "cli-import-row-refused",
                line = row.line,
                company = row.company_name.as_deref().unwrap_or("-"),
                code = row.code,
                reason = row.reason
            )
        );
    }
    crate::say!(
        "cli-import-customers-summary",
        dry_run = if report.dry_run { "yes" } else { "no" },
        rows = report.rows,
        registered = report.registered,
        already = report.already_imported,
        owners = report.owners_assigned,
        refused = report.refused.len()
    )?;
    Ok(if report.refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub lines: u64,
    pub batches: u64,
    /// Batches already recorded by an earlier run (nothing appended).
    pub replayed_batches: u64,
    pub events: u64,
}

/// The file's line count (for the progress bar).
fn count_lines(file: &Path) -> anyhow::Result<u64> {
    let mut reader = std::fs::File::open(file)
        .with_context(|| crate::t!("cli-opening", path = file.display()))?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut newlines = 0u64;
    let mut last = b'\n';
    loop {
        let n = reader
            .read(&mut buffer)
            .with_context(|| crate::t!("cli-reading", path = file.display()))?;
        if n == 0 {
            break;
        }
        newlines += buffer[..n].iter().filter(|byte| **byte == b'\n').count() as u64;
        last = buffer[n - 1];
    }
    Ok(newlines + u64::from(last != b'\n'))
}

/// A batch's id: the first 16 hex digits of the SHA-256 of every byte up
/// to the batch's end (`prefix`, already updated with the batch), and the
/// batch's index.
fn batch_id(prefix: &Sha256, index: u64) -> anyhow::Result<PosBatchId> {
    let digest = prefix.clone().finalize();
    let hex: String = digest
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    PosBatchId::parse(&format!("{hex}-{index}")).context("the batch id")
}

#[derive(Deserialize)]
struct TicketOnly<'a> {
    #[serde(borrow)]
    ticket: Option<std::borrow::Cow<'a, str>>,
}

/// The ticket a line names (`None` for a line that does not parse).
fn ticket_of(line: &[u8]) -> Option<String> {
    serde_json::from_slice::<TicketOnly<'_>>(line)
        .ok()
        .and_then(|parsed| parsed.ticket.map(|ticket| ticket.into_owned()))
}

async fn import_pos(file: &Path, data: &Path, batch_lines: usize) -> anyhow::Result<ExitCode> {
    if !data.join("log").exists() {
        anyhow::bail!(crate::t!("cli-import-pos-no-log", dir = data.display()));
    }
    let total_lines = count_lines(file)?;
    let opened = OpenedStore::open(&StoreChoice::Sled(data.to_path_buf())).await?;
    let service = CommandService::new(opened.store().clone());
    let principal = Principal {
        actor: ActorId::parse("import").context("the importer's actor id")?,
        role: Role::Integrator,
    };
    let result = import_batches(&service, &principal, file, total_lines, batch_lines.max(1)).await;
    opened.close().await;
    match result? {
        Ok(summary) => {
            crate::say!(
                "cli-import-pos-done",
                lines = summary.lines,
                batches = summary.batches,
                replayed = summary.replayed_batches,
                events = summary.events
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(message) => {
            eprintln!("{message}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Imports batch by batch; `Ok(Err(message))` for a bad batch.
async fn import_batches(
    service: &CommandService,
    principal: &Principal,
    file: &Path,
    total_lines: u64,
    batch_lines: usize,
) -> anyhow::Result<Result<ImportSummary, String>> {
    let mut reader = BufReader::new(
        std::fs::File::open(file)
            .with_context(|| crate::t!("cli-opening", path = file.display()))?,
    );
    let bar = crate::progress::bar(total_lines, &crate::t!("cli-progress-pos-lines"));
    let mut summary = ImportSummary::default();
    let mut prefix = Sha256::new();
    let mut batch: Vec<u8> = Vec::new();
    let mut batch_first_line = 1u64;
    let mut batch_n_lines = 0usize;
    let mut last_ticket: Option<String> = None;
    let mut line_no = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .with_context(|| crate::t!("cli-reading", path = file.display()))?;
        let at_end = n == 0;
        let blank = line.iter().all(u8::is_ascii_whitespace);
        let ticket = if at_end || blank {
            None
        } else {
            ticket_of(&line)
        };
        // A line whose ticket cannot be read never ends a batch: it joins
        // the pending one, which then fails as a whole. Were it to end the
        // batch before it, correcting it could move the cut, give that
        // already recorded batch new bytes and a new id, and import it twice.
        let boundary = at_end
            || (!blank
                && batch_n_lines >= batch_lines
                && ticket.is_some()
                && ticket != last_ticket);
        if boundary && batch_n_lines > 0 {
            let index = summary.batches;
            prefix.update(&batch);
            let batch_id = batch_id(&prefix, index)?;
            let meta = CommandMeta::new(principal.clone(), chrono::Utc::now());
            match service
                .record_pos_ndjson_from(&meta, &batch_id, &batch, batch_first_line)
                .await
            {
                Ok(outcome) => {
                    summary.batches += 1;
                    summary.lines += outcome.lines;
                    if outcome.replayed {
                        summary.replayed_batches += 1;
                    } else {
                        summary.events += outcome.events;
                    }
                }
                Err(error) => {
                    bar.abandon();
                    return Ok(Err(describe_failure(
                        &error,
                        index,
                        batch_first_line,
                        line_no,
                        &summary,
                    )));
                }
            }
            bar.set_position(line_no);
            batch.clear();
            batch_n_lines = 0;
            batch_first_line = line_no + 1;
        }
        if at_end {
            break;
        }
        line_no += 1;
        if batch.is_empty() && batch_n_lines == 0 {
            batch_first_line = line_no;
        }
        batch.extend_from_slice(&line);
        if !line.ends_with(b"\n") {
            batch.push(b'\n');
        }
        if !blank {
            batch_n_lines += 1;
            last_ticket = ticket;
        }
    }
    bar.finish_and_clear();
    Ok(Ok(summary))
}

fn describe_failure(
    error: &CommandError,
    index: u64,
    first_line: u64,
    last_line: u64,
    summary: &ImportSummary,
) -> String {
    let kept = crate::t!(
        "cli-import-pos-kept",
        batches = summary.batches,
        last = first_line.saturating_sub(1)
    );
    match error {
        CommandError::Domain(DomainError::InvalidPosBatch { errors }) => {
            let mut message = format!(
                "salesledger: {}",
                crate::t!(
                    "cli-import-pos-bad-lines",
                    index = index,
                    first = first_line,
                    last = last_line,
                    n = errors.len(),
                    kept = kept
                )
            );
            for bad in errors.iter().take(MAX_PRINTED_BAD_LINES) {
                message.push('\n');
                message.push_str(&crate::t!(
                    "cli-import-pos-bad-line",
                    line = bad.line,
                    code = bad.code.as_str(),
                    detail = crate::i18n::pos_line_detail(crate::i18n::cli_lang(), bad)
                ));
            }
            message
        }
        CommandError::Domain(DomainError::PosBatchIdReused { batch_id }) => format!(
            "salesledger: {}",
            crate::t!(
                "cli-import-pos-batch-reused",
                batch_id = batch_id,
                first = first_line,
                last = last_line,
                kept = kept
            )
        ),
        other => format!(
            "salesledger: {}",
            crate::t!(
                "cli-import-pos-stopped",
                index = index,
                first = first_line,
                last = last_line,
                error = other,
                kept = kept
            )
        ),
    }
}
