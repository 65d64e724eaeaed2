//! Bringing an organisation's existing customer list in: the spreadsheet
//! every organisation starts from (`.csv` or `.xlsx`), registered row by
//! row through the same path as `POST /v1/customers`: the same validation,
//! the same duplicate check (撞单: normalised company name, unified social
//! credit code, phone) under the log-wide registration lock, and, where a
//! column names the rep, the same transfer a supervisor makes
//! (`CustomerTransferred`, reason "imported from the customer list").
//!
//! Used by `salesledger import customers FILE --data DIR` and
//! `POST /v1/customers/import` (supervisors).
//!
//! - **Columns.** The first row is the header. Common headers are
//!   recognised in English and Chinese (`company_name`, 客户名称, 公司名称;
//!   `unified_social_credit_code`, 统一社会信用代码; `phone`, 电话, 联系电话;
//!   `contact_email`, 邮箱; `owner`, 负责人, 客户经理, ...); `--map
//!   COLUMN=FIELD` names a column's field explicitly, where FIELD is one of
//!   those, `attributes.KEY` (a dynamic attribute) or `ignore`. Other
//!   columns are ignored and listed in the report.
//! - **Rows.** A row is refused, with its line number, code and reason,
//!   when a value is invalid (the API's codes, e.g. `invalid_phone`), when
//!   it duplicates a customer or lead already recorded or a row above it
//!   (`duplicate_record`, naming the existing record and the key), or when
//!   its owner names no rep. Refused rows do not stop the import.
//! - **Idempotent.** A row's customer id and idempotency key are derived
//!   from the row's values (SHA-256), so importing the same list again
//!   appends nothing: its rows answer "already imported". A corrected row
//!   is a new row (and meets the duplicate check if its old version was
//!   registered).
//! - **Dry run.** Every row is validated and checked for duplicates
//!   (against the log and the rows above it) and its owner resolved; nothing
//!   is appended.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::Path;

use chrono::{DateTime, Utc};
use salesledger_commands::{CommandMeta, CommandService, IdempotencyKey, Principal};
use salesledger_domain::aggregate::Aggregate;
use salesledger_domain::customer::{self, Customer, CustomerCommand};
use salesledger_domain::rep::Rep;
use salesledger_domain::stream::{customer_stream_id, rep_stream_id};
use salesledger_domain::value::{CustomerId, RepId, Text};
use salesledger_domain::{CommandKind, DomainError};
use salesledger_store::Hash32;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::gateway::problem::ApiError;
use crate::i18n::Lang;
use crate::requests::RegisterCustomerRequest;

/// The most rows one import takes (a larger list: split it).
pub const MAX_ROWS: usize = 100_000;

/// A spreadsheet's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    Csv,
    Xlsx,
}

/// The media type of an `.xlsx` file.
pub const XLSX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl SheetFormat {
    /// By the file's extension (`.csv`, `.xlsx`).
    pub fn from_path(path: &Path) -> Result<SheetFormat, ImportError> {
        let extension = path
            .extension()
            .and_then(|extension| extension.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("csv") => Ok(SheetFormat::Csv),
            Some("xlsx") => Ok(SheetFormat::Xlsx),
            _ => Err(ImportError::UnknownFormat {
                what: path.display().to_string(),
            }),
        }
    }

    /// By a request's media type (`text/csv` or the `.xlsx` type).
    pub fn from_media_type(media_type: &str) -> Result<SheetFormat, ImportError> {
        let essence = media_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" => Ok(SheetFormat::Csv),
            XLSX_MEDIA_TYPE => Ok(SheetFormat::Xlsx),
            _ => Err(ImportError::UnknownFormat {
                what: format!("media type {media_type}"),
            }),
        }
    }
}

/// Why a list cannot be imported at all (a refused row is not an error:
/// it is in the [`ImportReport`]).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{what} is neither a .csv nor an .xlsx file")]
    UnknownFormat { what: String },
    #[error("the file cannot be read as {format}: {reason}")]
    Unreadable {
        format: &'static str,
        reason: String,
    },
    #[error("the file has no header row")]
    NoHeader,
    #[error("no column holds the company name (header: {header}); name it with --map COLUMN=company_name")]
    NoCompanyName { header: String },
    #[error("--map {mapping}: expected COLUMN=FIELD")]
    MappingWithoutField { mapping: String },
    #[error("--map {mapping}: {field} is not a field (company_name, unified_social_credit_code, phone, contact_email, owner, attributes.KEY, ignore)")]
    UnknownField { mapping: String, field: String },
    #[error("--map {mapping}: no column {column} (header: {header})")]
    UnknownColumn {
        mapping: String,
        column: String,
        header: String,
    },
    #[error(
        "--map {field}: columns {first} and {second} both hold {field}; map one of them to ignore"
    )]
    FieldTwice {
        field: String,
        first: String,
        second: String,
    },
    #[error("the list has {rows} rows; at most {MAX_ROWS} are imported at once: split it")]
    TooManyRows { rows: usize },
    #[error("cell {cell} is beyond column IV: at most {MAX_COLUMNS} columns are read; delete or move what is beyond")]
    TooManyColumns { cell: String },
    #[error("the cells hold more than {} MiB of text; at most that much is imported at once: split the list", MAX_TEXT_BYTES >> 20)]
    TooMuchText,
}

impl ImportError {
    /// The stable code of the refusal (HTTP `400`).
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::UnknownFormat { .. } => "unsupported_sheet_format",
            ImportError::Unreadable { .. } => "unreadable_sheet",
            ImportError::NoHeader => "sheet_without_header",
            ImportError::NoCompanyName { .. } => "no_company_name_column",
            ImportError::MappingWithoutField { .. }
            | ImportError::UnknownField { .. }
            | ImportError::UnknownColumn { .. }
            | ImportError::FieldTwice { .. } => "invalid_column_mapping",
            ImportError::TooManyRows { .. } => "too_many_rows",
            ImportError::TooManyColumns { .. } => "too_many_columns",
            ImportError::TooMuchText => "too_much_text",
        }
    }

    /// This refusal for a person at the CLI, in the CLI's language (the
    /// gateway answers its problem details by `code` instead).
    pub fn localized(&self) -> String {
        match self {
            ImportError::UnknownFormat { what } => {
                crate::t!("cli-import-err-unknown-format", what = what)
            }
            ImportError::Unreadable { format, reason } => {
                crate::t!(
                    "cli-import-err-unreadable",
                    format = format,
                    reason = reason
                )
            }
            ImportError::NoHeader => crate::t!("cli-import-err-no-header"),
            ImportError::NoCompanyName { header } => {
                crate::t!("cli-import-err-no-company-name", header = header)
            }
            ImportError::MappingWithoutField { mapping } => {
                crate::t!("cli-import-err-mapping-without-field", mapping = mapping)
            }
            ImportError::UnknownField { mapping, field } => crate::t!(
                "cli-import-err-unknown-field",
                mapping = mapping,
                field = field
            ),
            ImportError::UnknownColumn {
                mapping,
                column,
                header,
            } => crate::t!(
                "cli-import-err-unknown-column",
                mapping = mapping,
                column = column,
                header = header
            ),
            ImportError::FieldTwice {
                field,
                first,
                second,
            } => crate::t!(
                "cli-import-err-field-twice",
                field = field,
                first = first,
                second = second
            ),
            ImportError::TooManyRows { rows } => {
                crate::t!("cli-import-err-too-many-rows", rows = rows, max = MAX_ROWS)
            }
            ImportError::TooManyColumns { cell } => crate::t!(
                "cli-import-err-too-many-columns",
                cell = cell,
                last = "IV",
                max = MAX_COLUMNS
            ),
            ImportError::TooMuchText => {
                crate::t!("cli-import-err-too-much-text", max = MAX_TEXT_BYTES >> 20)
            }
        }
    }
}

/// A spreadsheet's cells as text: the header and each row with its line
/// number in the file (1 is the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub header: Vec<String>,
    pub rows: Vec<(u64, Vec<String>)>,
}

/// Reads the first worksheet of an `.xlsx`, or a CSV (UTF-8, a leading
/// byte-order mark allowed; rows may have fewer cells than the header).
pub fn read_sheet(bytes: &[u8], format: SheetFormat) -> Result<Sheet, ImportError> {
    let mut lines = match format {
        SheetFormat::Csv => read_csv(bytes)?,
        SheetFormat::Xlsx => read_xlsx(bytes)?,
    }
    .into_iter();
    let (_, header) = lines.next().ok_or(ImportError::NoHeader)?;
    let header: Vec<String> = header
        .into_iter()
        .map(|cell| cell.trim().to_owned())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(ImportError::NoHeader);
    }
    let rows: Vec<(u64, Vec<String>)> = lines
        .filter(|(_, cells)| cells.iter().any(|cell| !cell.trim().is_empty()))
        .collect();
    if rows.len() > MAX_ROWS {
        return Err(ImportError::TooManyRows { rows: rows.len() });
    }
    Ok(Sheet { header, rows })
}

fn read_csv(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| ImportError::Unreadable {
            format: "CSV",
            reason: error.to_string(),
        })?;
        let line = record.position().map_or(0, |position| position.line());
        lines.push((line, record.iter().map(str::to_owned).collect()));
    }
    Ok(lines)
}

/// The most columns an `.xlsx` list may use: A to IV, the 256 columns of a
/// legacy `.xls` sheet. The import reads a handful of fields (company name,
/// credit code, phone, email, owner) plus any attribute columns; a list
/// beyond IV is not a customer list. With [`MAX_ROWS`] it bounds what a
/// workbook's cells take in memory (about 100,001 × 256 cells), whatever
/// extent the sheet declares: no more than a CSV body of the default blob
/// limit (25 MiB) can make.
pub const MAX_COLUMNS: u32 = 256;

/// The most text (UTF-8 bytes) an `.xlsx` list's cells may hold together.
/// A workbook's cells may all name one long shared string: this bounds
/// what reading them copies. 64 MiB is over twice what a CSV body of the
/// default blob limit can hold, and about 670 bytes a row at [`MAX_ROWS`].
pub const MAX_TEXT_BYTES: usize = 64 * 1024 * 1024;

/// A worksheet's rows (Excel's limit): a cell below the last is malformed.
const WORKSHEET_ROWS: u32 = 1_048_576;

/// The name of a cell, e.g. `XFD1048576` (`row` and `column` from 0).
fn cell_name(row: u32, column: u32) -> String {
    let mut letters = Vec::new();
    let mut rest = u64::from(column) + 1;
    while rest > 0 {
        let digit = u8::try_from((rest - 1) % 26).unwrap_or_default();
        letters.push(char::from(b'A' + digit));
        rest = (rest - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &(u64::from(row) + 1).to_string()
}

/// Reads the first worksheet's cells as they come, keeping only those
/// holding text: memory follows what the sheet holds within [`MAX_ROWS`],
/// [`MAX_COLUMNS`] and [`MAX_TEXT_BYTES`], never the extent it declares (a
/// sheet of two cells, A1 and XFD1048576, is refused as it is read, where a
/// dense range would take 1.7e10 cells). The lines are as calamine's range
/// of the sheet gives them: the first line is the first row holding any
/// cell, each cell at its column; rows without text are left out
/// ([`read_sheet`] skips them).
fn read_xlsx(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
    // The reader's arithmetic on a malformed cell reference (a row number
    // beyond u32) overflows, a panic in a debug build: refused as unreadable
    // like any other malformed workbook.
    std::panic::catch_unwind(|| read_xlsx_cells(bytes)).unwrap_or_else(|_| {
        Err(ImportError::Unreadable {
            format: "an .xlsx workbook",
            reason: "a cell reference is malformed".to_owned(),
        })
    })
}

fn read_xlsx_cells(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
    use calamine::{Data, DataRef, Reader, Xlsx, XlsxError};
    let unreadable = |reason: String| ImportError::Unreadable {
        format: "an .xlsx workbook",
        reason,
    };
    let mut workbook =
        Xlsx::new(Cursor::new(bytes)).map_err(|error| unreadable(error.to_string()))?;
    let Some(first) = workbook.sheet_names().first().cloned() else {
        return Err(unreadable("it has no worksheet".to_owned()));
    };
    let mut reader = match workbook.worksheet_cells_reader(&first) {
        Ok(reader) => reader,
        // A chart sheet first: no cells, as calamine's range reads it.
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()),
        Err(error) => return Err(unreadable(error.to_string())),
    };
    let mut cells = XlsxCells::new();
    while let Some(cell) = reader
        .next_cell()
        .map_err(|error| unreadable(error.to_string()))?
    {
        let value = cell.get_value();
        if matches!(value, DataRef::Empty) {
            continue;
        }
        let (row, column) = cell.get_position();
        if column >= MAX_COLUMNS {
            return Err(ImportError::TooManyColumns {
                cell: cell_name(row, column),
            });
        }
        if row >= WORKSHEET_ROWS {
            return Err(unreadable(format!(
                "cell {} is below a worksheet's last row ({WORKSHEET_ROWS})",
                cell_name(row, column)
            )));
        }
        cells.put(row, column, cell_text(Data::from(value.clone())))?;
    }
    cells.into_lines()
}

/// A cell's value as the import reads it.
fn cell_text(cell: calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text,
        // A phone or a code typed as a number: no `.0`, no exponent.
        Data::Float(value) if value.fract() == 0.0 && value.abs() < 1e15 => {
            format!("{}", value as i64)
        }
        Data::Float(value) => value.to_string(),
        Data::Int(value) => value.to_string(),
        Data::Bool(value) => value.to_string(),
        Data::DateTime(value) => value
            .as_datetime()
            .map_or_else(|| value.to_string(), |time| time.to_string()),
        Data::DateTimeIso(text) | Data::DurationIso(text) => text,
        Data::Error(error) => format!("#{error:?}"),
    }
}

/// A worksheet's cells as read: the rows holding text, each up to its last
/// cell with text (a later cell at the same place replaces an earlier one),
/// and the bounds of every cell read, text or not.
struct XlsxCells {
    rows: BTreeMap<u32, Vec<String>>,
    /// One bit a row: whether it holds text, to count rows past the limit
    /// without keeping them.
    with_text: Vec<u64>,
    rows_with_text: usize,
    text_bytes: usize,
    first_row: Option<u32>,
    last_column: u32,
}

impl XlsxCells {
    fn new() -> XlsxCells {
        XlsxCells {
            rows: BTreeMap::new(),
            with_text: vec![0; (WORKSHEET_ROWS / 64) as usize],
            rows_with_text: 0,
            text_bytes: 0,
            first_row: None,
            last_column: 0,
        }
    }

    /// More rows with text than a header and [`MAX_ROWS`]: the list is
    /// refused, its rows are only counted.
    fn over_limit(&self) -> bool {
        self.rows_with_text > MAX_ROWS + 1
    }

    fn has_text(&self, row: u32) -> bool {
        self.with_text
            .get((row / 64) as usize)
            .is_some_and(|word| word & (1 << (row % 64)) != 0)
    }

    /// A cell (`column` below [`MAX_COLUMNS`], `row` below the worksheet's
    /// last), not empty.
    fn put(&mut self, row: u32, column: u32, text: String) -> Result<(), ImportError> {
        self.first_row = Some(self.first_row.map_or(row, |first| first.min(row)));
        self.last_column = self.last_column.max(column);
        let column = column as usize;
        if text.trim().is_empty() {
            // Blank replaces what was there, as in calamine's range.
            if let Some(cell) = self
                .rows
                .get_mut(&row)
                .and_then(|cells| cells.get_mut(column))
            {
                cell.clear();
            }
            return Ok(());
        }
        if !self.has_text(row) {
            if let Some(word) = self.with_text.get_mut((row / 64) as usize) {
                *word |= 1 << (row % 64);
            }
            self.rows_with_text += 1;
            if self.over_limit() {
                self.rows = BTreeMap::new();
            }
        }
        if self.over_limit() {
            return Ok(());
        }
        self.text_bytes = self.text_bytes.saturating_add(text.len());
        if self.text_bytes > MAX_TEXT_BYTES {
            return Err(ImportError::TooMuchText);
        }
        let cells = self.rows.entry(row).or_default();
        if cells.len() <= column {
            cells.reserve_exact(column + 1 - cells.len());
            cells.resize(column + 1, String::new());
        }
        cells[column] = text;
        Ok(())
    }

    fn into_lines(self) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
        let Some(first_row) = self.first_row else {
            return Ok(Vec::new());
        };
        if self.over_limit() {
            // As read_sheet refuses: a header without text first.
            if !self.has_text(first_row) {
                return Err(ImportError::NoHeader);
            }
            return Err(ImportError::TooManyRows {
                rows: self.rows_with_text - 1,
            });
        }
        let mut rows = self.rows;
        // The header spans every column read, as the range's first row.
        let mut header = rows.remove(&first_row).unwrap_or_default();
        header.resize(self.last_column as usize + 1, String::new());
        let mut lines = Vec::with_capacity(rows.len() + 1);
        lines.push((u64::from(first_row) + 1, header));
        lines.extend(
            rows.into_iter()
                .map(|(row, cells)| (u64::from(row) + 1, cells)),
        );
        Ok(lines)
    }
}

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    CompanyName,
    UnifiedSocialCreditCode,
    Phone,
    ContactEmail,
    Owner,
    Attribute(String),
    Ignore,
}

impl Field {
    /// The field as `--map` spells it.
    pub fn name(&self) -> String {
        match self {
            Field::CompanyName => "company_name".to_owned(),
            Field::UnifiedSocialCreditCode => "unified_social_credit_code".to_owned(),
            Field::Phone => "phone".to_owned(),
            Field::ContactEmail => "contact_email".to_owned(),
            Field::Owner => "owner".to_owned(),
            Field::Attribute(key) => format!("attributes.{key}"),
            Field::Ignore => "ignore".to_owned(),
        }
    }

    /// A `--map` field name.
    fn parse(name: &str) -> Option<Field> {
        let name = name.trim();
        if let Some(key) = name.strip_prefix("attributes.") {
            return (!key.is_empty()).then(|| Field::Attribute(key.to_owned()));
        }
        Some(match name {
            "company_name" => Field::CompanyName,
            "unified_social_credit_code" => Field::UnifiedSocialCreditCode,
            "phone" => Field::Phone,
            "contact_email" => Field::ContactEmail,
            "owner" => Field::Owner,
            "ignore" => Field::Ignore,
            _ => return None,
        })
    }

    /// The field a header is recognised as, if any.
    fn recognise(header: &str) -> Option<Field> {
        let header = header.trim().to_lowercase();
        let field = match header.as_str() {
            "company_name" | "company" | "company name" | "customer" | "customer name" | "name"
            | "客户名称" | "公司名称" | "企业名称" | "客户" | "单位名称" | "名称" => {
                Field::CompanyName
            }
            "unified_social_credit_code"
            | "uscc"
            | "unified social credit code"
            | "统一社会信用代码"
            | "信用代码"
            | "社会信用代码" => Field::UnifiedSocialCreditCode,
            "phone" | "telephone" | "tel" | "mobile" | "电话" | "联系电话" | "手机" | "手机号"
            | "手机号码" => Field::Phone,
            "contact_email" | "email" | "e-mail" | "邮箱" | "电子邮箱" | "联系邮箱" => {
                Field::ContactEmail
            }
            "owner" | "rep" | "rep_id" | "sales rep" | "负责人" | "销售" | "客户经理"
            | "归属销售" | "销售负责人" => Field::Owner,
            _ => return None,
        };
        Some(field)
    }
}

/// Which column holds which field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ColumnUse {
    /// The header cell.
    pub column: String,
    /// `company_name`, `unified_social_credit_code`, `phone`,
    /// `contact_email`, `owner`, `attributes.KEY` or `ignore` (a column
    /// neither recognised nor mapped).
    pub field: String,
}

/// The columns' fields: recognised headers, overridden by `mappings`
/// (`COLUMN=FIELD`, each naming a header cell).
pub fn map_columns(header: &[String], mappings: &[String]) -> Result<Vec<Field>, ImportError> {
    let mut fields: Vec<Field> = header
        .iter()
        .map(|column| Field::recognise(column).unwrap_or(Field::Ignore))
        .collect();
    for mapping in mappings {
        let (column, field) =
            mapping
                .rsplit_once('=')
                .ok_or_else(|| ImportError::MappingWithoutField {
                    mapping: mapping.clone(),
                })?;
        let field = Field::parse(field).ok_or_else(|| ImportError::UnknownField {
            mapping: mapping.clone(),
            field: field.to_owned(),
        })?;
        let index = header
            .iter()
            .position(|cell| cell == column.trim())
            .ok_or_else(|| ImportError::UnknownColumn {
                mapping: mapping.clone(),
                column: column.to_owned(),
                header: header.join(", "),
            })?;
        if let Some(slot) = fields.get_mut(index) {
            *slot = field;
        }
    }
    // A field other than attributes and ignore in one column only: the
    // first, explicitly mapped or not, is kept; later ones would silently
    // be lost, so they are refused.
    let mut seen = BTreeMap::new();
    for (index, field) in fields.iter().enumerate() {
        if matches!(field, Field::Ignore) {
            continue;
        }
        if let Some(first) = seen.insert(field.clone(), index) {
            return Err(ImportError::FieldTwice {
                field: field.name(),
                first: header.get(first).map_or("?", String::as_str).to_owned(),
                second: header.get(index).map_or("?", String::as_str).to_owned(),
            });
        }
    }
    if !fields.contains(&Field::CompanyName) {
        return Err(ImportError::NoCompanyName {
            header: header.join(", "),
        });
    }
    Ok(fields)
}

/// One row refused, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RefusedRow {
    /// The row's line in the file (1 is the header).
    pub line: u64,
    /// The row's company name cell, if any.
    pub company_name: Option<String>,
    /// The API's stable code (`invalid_phone`, `duplicate_record`,
    /// `unknown_owner`, ...).
    pub code: String,
    /// What is wrong, naming the value and, for a duplicate, the existing
    /// record and the key.
    pub reason: String,
}

/// One row registered (or already registered by an earlier run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportedRow {
    pub line: u64,
    pub customer_id: Uuid,
    /// `registered`, `already_imported`, or with `dry_run`,
    /// `would_register`.
    pub status: String,
    /// The rep the row names as owner, when it does.
    pub owner: Option<Uuid>,
}

/// What an import did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Data rows read (blank rows skipped).
    pub rows: u64,
    /// Customers registered by this run (with `dry_run`: that would be).
    pub registered: u64,
    /// Rows registered by an earlier import of the same values.
    pub already_imported: u64,
    /// Owners assigned by this run (with `dry_run`: that would be).
    pub owners_assigned: u64,
    pub columns: Vec<ColumnUse>,
    pub imported: Vec<ImportedRow>,
    /// Every refused row, in file order.
    pub refused: Vec<RefusedRow>,
}

/// One row's values by field.
#[derive(Debug, Default)]
struct RowValues {
    company_name: Option<String>,
    unified_social_credit_code: Option<String>,
    phone: Option<String>,
    contact_email: Option<String>,
    owner: Option<String>,
    attributes: BTreeMap<String, String>,
}

fn row_values(fields: &[Field], cells: &[String]) -> RowValues {
    let mut values = RowValues::default();
    for (field, cell) in fields.iter().zip(cells) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        let value = Some(cell.to_owned());
        match field {
            Field::CompanyName => values.company_name = value,
            Field::UnifiedSocialCreditCode => values.unified_social_credit_code = value,
            Field::Phone => values.phone = value,
            Field::ContactEmail => values.contact_email = value,
            Field::Owner => values.owner = value,
            Field::Attribute(key) => {
                values.attributes.insert(key.clone(), cell.to_owned());
            }
            Field::Ignore => {}
        }
    }
    values
}

/// The reps an owner cell may name: by id, or by display name when it is
/// unique.
struct Reps {
    ids: Vec<RepId>,
    by_name: BTreeMap<String, Vec<RepId>>,
    /// Deactivated reps, and their names: they take no customers.
    inactive: Vec<RepId>,
    inactive_names: BTreeSet<String>,
}

impl Reps {
    async fn load(service: &CommandService) -> Result<Reps, ApiError> {
        let profiles = service
            .with_registry(|registry| registry.rep_profiles())
            .await?;
        let mut ids = Vec::new();
        let mut by_name: BTreeMap<String, Vec<RepId>> = BTreeMap::new();
        let mut inactive = Vec::new();
        let mut inactive_names = BTreeSet::new();
        for profile in profiles {
            let loaded = service.load::<Rep>(&rep_stream_id(profile.rep_id)).await?;
            let name = loaded
                .state
                .display_name
                .map(|name| name.as_str().trim().to_owned());
            if !profile.active {
                inactive.push(profile.rep_id);
                inactive_names.extend(name);
                continue;
            }
            ids.push(profile.rep_id);
            if let Some(name) = name {
                by_name.entry(name).or_default().push(profile.rep_id);
            }
        }
        Ok(Reps {
            ids,
            by_name,
            inactive,
            inactive_names,
        })
    }

    /// A deactivated rep named by `cell`: no customer goes to one.
    fn deactivated(cell: &str) -> RowRefusal {
        RowRefusal::new(
            "owner_deactivated",
            format!("owner {cell} is a deactivated rep and cannot take customers"),
            [("owner", cell.to_owned())],
        )
    }

    fn resolve(&self, cell: &str) -> Result<RepId, RowRefusal> {
        let owner = ("owner", cell.to_owned());
        if let Ok(id) = Uuid::parse_str(cell) {
            let rep = RepId::from_uuid(id);
            return if self.ids.contains(&rep) {
                Ok(rep)
            } else if self.inactive.contains(&rep) {
                Err(Reps::deactivated(cell))
            } else {
                Err(RowRefusal::new(
                    "unknown_owner",
                    format!("owner {cell} is not a registered rep"),
                    [owner],
                ))
            };
        }
        match self.by_name.get(cell).map(Vec::as_slice) {
            Some([rep]) => Ok(*rep),
            Some(several) => Err(RowRefusal::new(
                "ambiguous_owner",
                format!(
                    "owner {cell} names {} reps; give the rep's id instead",
                    several.len()
                ),
                [owner, ("count", several.len().to_string())],
            )),
            None if self.inactive_names.contains(cell) => Err(Reps::deactivated(cell)),
            None => Err(RowRefusal::new(
                "unknown_owner",
                format!("owner {cell} names no registered rep (by id or display name)"),
                [owner],
            )),
        }
    }
}

/// The SHA-256 of a row's values (the owner aside), as hex: the row's
/// identity across runs.
fn row_digest(request: &RegisterCustomerRequest) -> Result<[u8; 32], ApiError> {
    let canonical = serde_json::to_vec(request).map_err(|error| ApiError::internal(&error))?;
    Ok(Sha256::digest(&canonical).into())
}

/// A UUID (version 8) from the first 16 bytes of `digest`.
fn id_from(digest: &[u8; 32]) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

fn idempotency(key: String, digest: [u8; 32]) -> Option<IdempotencyKey> {
    Some(IdempotencyKey {
        key,
        fingerprint: Hash32(digest),
    })
}

/// A row refused by the import itself (not by the command path): its
/// code, the English sentence, and the variables of the catalogue's
/// message `message` (`problems.ftl`) that words it in another language.
struct RowRefusal {
    code: &'static str,
    message: &'static str,
    english: String,
    args: Vec<(String, String)>,
}

impl RowRefusal {
    fn new<const N: usize>(
        code: &'static str,
        english: String,
        args: [(&str, String); N],
    ) -> RowRefusal {
        RowRefusal {
            code,
            message: code,
            english,
            args: args
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        }
    }

    fn into_row(self, line: u64, company_name: Option<String>, lang: Lang) -> RefusedRow {
        RefusedRow {
            line,
            company_name,
            code: self.code.to_owned(),
            reason: crate::i18n::message_or(lang, self.message, &self.args, &self.english),
        }
    }
}

/// A row the command path refused: its problem, worded in `lang`.
fn refused(line: u64, values: &RowValues, error: ApiError, lang: Lang) -> RefusedRow {
    let reason = error.problem_in(lang).detail;
    RefusedRow {
        line,
        company_name: values.company_name.clone(),
        code: error.code,
        reason,
    }
}

/// How one import runs: the caller's column mappings, whether it only
/// checks, its time, and the language refused rows are worded in.
pub struct ImportRun<'a> {
    /// `COLUMN=FIELD`, each naming a header cell.
    pub mappings: &'a [String],
    /// Check every row and append nothing.
    pub dry_run: bool,
    pub now: DateTime<Utc>,
    pub lang: Lang,
}

/// Imports (or with `dry_run`, checks) every row of `sheet`, acting as
/// `principal` (a supervisor: registering and assigning owners) at `now`;
/// `progress` is told each row done.
pub async fn import(
    service: &CommandService,
    principal: &Principal,
    sheet: &Sheet,
    run: ImportRun<'_>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Result<ImportReport, ImportError>, ApiError> {
    let ImportRun {
        mappings,
        dry_run,
        now,
        lang,
    } = run;
    let fields = match map_columns(&sheet.header, mappings) {
        Ok(fields) => fields,
        Err(error) => return Ok(Err(error)),
    };
    CommandService::authorise(principal.role, CommandKind::RegisterCustomer)?;
    let mut report = ImportReport {
        dry_run,
        rows: sheet.rows.len() as u64,
        columns: sheet
            .header
            .iter()
            .zip(&fields)
            .map(|(column, field)| ColumnUse {
                column: column.clone(),
                field: field.name(),
            })
            .collect(),
        ..ImportReport::default()
    };
    let has_owners = fields.contains(&Field::Owner);
    if has_owners {
        CommandService::authorise(principal.role, CommandKind::TransferCustomer)?;
    }
    let reps = if has_owners {
        Some(Reps::load(service).await?)
    } else {
        None
    };
    // For a dry run: the duplicate index as the log has it, plus the rows
    // above (each registered in this copy only).
    let mut dry_index = if dry_run {
        Some(
            service
                .with_registry(|registry| registry.duplicates().clone())
                .await?,
        )
    } else {
        None
    };
    let policy = service.pool_policy().await?;
    // The line of each row's values seen so far: the same values twice in
    // one list are one customer, the second a duplicate of the first.
    let mut lines_by_digest: BTreeMap<[u8; 32], u64> = BTreeMap::new();
    for (done, (line, cells)) in sheet.rows.iter().enumerate() {
        progress(done as u64 + 1);
        let line = *line;
        let values = row_values(&fields, cells);
        let Some(company_name) = values.company_name.clone() else {
            let refusal = RowRefusal::new(
                "missing_company_name",
                format!("line {line} has no company name"),
                [("line", line.to_string())],
            );
            report.refused.push(refusal.into_row(line, None, lang));
            continue;
        };
        let owner = match (&reps, values.owner.as_deref()) {
            (Some(reps), Some(cell)) => match reps.resolve(cell) {
                Ok(rep) => Some(rep),
                Err(refusal) => {
                    report
                        .refused
                        .push(refusal.into_row(line, Some(company_name), lang));
                    continue;
                }
            },
            _ => None,
        };
        let mut request = RegisterCustomerRequest {
            customer_id: None,
            company_name,
            unified_social_credit_code: values.unified_social_credit_code.clone(),
            phone: values.phone.clone(),
            contact_email: values.contact_email.clone(),
            attributes: values.attributes.clone(),
        };
        let digest = row_digest(&request)?;
        if let Some(first) = lines_by_digest.insert(digest, line) {
            lines_by_digest.insert(digest, first);
            let refusal = RowRefusal {
                code: "duplicate_record",
                message: "duplicate_record_in_list",
                english: format!("the same customer as line {first}"),
                args: vec![("first".to_owned(), first.to_string())],
            };
            report
                .refused
                .push(refusal.into_row(line, Some(request.company_name), lang));
            continue;
        }
        let id = id_from(&digest);
        request.customer_id = Some(id);
        let customer_id = CustomerId::from_uuid(id);
        // The id follows from the row's values: a row registered by an
        // earlier import, whoever ran it (the CLI's `supervisor:import`, a
        // supervisor over HTTP), is already imported. Its owner is set
        // only if nothing has happened to it since its registration (an
        // import stopped between the two steps): an owner assigned since,
        // by hand or by the earlier import, stays, and so does a customer
        // returned, released or recalled to the pool.
        let existing = service
            .load::<Customer>(&customer_stream_id(customer_id))
            .await?;
        if existing.version.is_some() {
            report.already_imported += 1;
            report.imported.push(ImportedRow {
                line,
                customer_id: id,
                status: "already_imported".to_owned(),
                owner: owner.map(|rep| rep.as_uuid()),
            });
            // The registration is the stream's first event (version 0).
            if dry_run || existing.version != Some(0) {
                continue;
            }
        }
        if let Some(index) = dry_index.as_mut() {
            let decided = request
                .into_command(customer_id, |candidate| index.clear(candidate))
                .map_err(ApiError::from)
                .and_then(|command| {
                    Customer::default().decide(command, now).map_err(|error| {
                        ApiError::from(salesledger_commands::CommandError::from(error))
                    })
                });
            match decided {
                Ok(events) => {
                    for event in &events {
                        index.apply(event);
                    }
                    report.registered += 1;
                    report.owners_assigned += u64::from(owner.is_some());
                    report.imported.push(ImportedRow {
                        line,
                        customer_id: id,
                        status: "would_register".to_owned(),
                        owner: owner.map(|rep| rep.as_uuid()),
                    });
                }
                Err(error) => report.refused.push(refused(line, &values, error, lang)),
            }
            continue;
        }
        let mut meta = CommandMeta::new(principal.clone(), now);
        meta.idempotency = idempotency(
            format!("import-customer-{}", hex::encode(&digest[..16])),
            digest,
        );
        if existing.version.is_none() {
            let registered = service
                .execute_with_registry::<Customer, ApiError>(
                    &meta,
                    CommandKind::RegisterCustomer,
                    &customer_stream_id(customer_id),
                    |registry| {
                        Ok(request.into_command(customer_id, |candidate| {
                            registry.duplicates().clear(candidate)
                        })?)
                    },
                )
                .await;
            let outcome = match registered {
                Ok(outcome) => outcome,
                Err(error) if error.status.is_client_error() => {
                    report.refused.push(refused(line, &values, error, lang));
                    continue;
                }
                Err(error) => return Err(error),
            };
            let status = if outcome.replayed {
                report.already_imported += 1;
                "already_imported"
            } else {
                report.registered += 1;
                "registered"
            };
            report.imported.push(ImportedRow {
                line,
                customer_id: id,
                status: status.to_owned(),
                owner: owner.map(|rep| rep.as_uuid()),
            });
        }
        let Some(owner) = owner else { continue };
        let mut owner_digest = Sha256::new();
        owner_digest.update(digest);
        owner_digest.update(owner.as_uuid().as_bytes());
        let owner_digest: [u8; 32] = owner_digest.finalize().into();
        let mut meta = CommandMeta::new(principal.clone(), now);
        meta.idempotency = idempotency(
            format!("import-owner-{}", hex::encode(&owner_digest[..16])),
            owner_digest,
        );
        let reason = Text::parse(&format!("imported from the customer list (line {line})"))
            .map_err(|error| ApiError::internal(&error))?;
        let transfer = CustomerCommand::Transfer(customer::TransferCustomer {
            to_rep_id: owner,
            transferred_by: principal.actor.clone(),
            reason,
            policy: policy.clone(),
        });
        match service
            .execute::<Customer>(&meta, &customer_stream_id(customer_id), transfer)
            .await
        {
            Ok(outcome) if outcome.replayed => {}
            Ok(_) => report.owners_assigned += 1,
            // Already the owner (e.g. assigned since by hand): as asked.
            Err(salesledger_commands::CommandError::Domain(
                DomainError::TransferToCurrentOwner { .. },
            )) => {}
            Err(error) => {
                let error = ApiError::from(error);
                if !error.status.is_client_error() {
                    return Err(error);
                }
                report.refused.push(refused(line, &values, error, lang));
            }
        }
    }
    Ok(Ok(report))
}
