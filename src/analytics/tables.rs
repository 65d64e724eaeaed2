//! Every read-model table as Parquet: `salesledger rebuild --from FILE
//! --out DIR --format parquet`.
//!
//! # Layout `salesledger-parquet-tables/1`
//!
//! `DIR/parquet/<projector>.<table>.parquet`, one file per table of every
//! table projector `serve` runs ([`crate::views::table_projectors`]), one
//! row per table row in key order, and `DIR/parquet/tables.json`, written
//! last: for each table its projector, name, file, row count and columns
//! (name, Parquet type, nullable). An empty table has no file (`file` is
//! `null`, `rows` 0): its columns are not known without a row.
//!
//! # Columns
//!
//! Read from the rows' own serde `Serialize` (module `flatten`): the key
//! as `key` (a tuple key as `key.0`, `key.1`, ...), the value's struct
//! fields as their names (nested structs as `a.b`; a value that is not a
//! struct as `value`). `Option` is a nullable column (so is a field of an
//! `Option` struct); unit enum variants are strings; sequences, maps and
//! enum variants with data are one JSON column; integers are INT64 (a
//! `u64` column holding a value past `i64::MAX`, such as a newest-first
//! key, is UINT64: INT64 with the unsigned INTEGER(64) logical type),
//! floats DOUBLE, booleans BOOLEAN; dates, times and ids are strings
//! (ISO-8601 dates sort and compare as dates); money is integer fen.
//!
//! Why not `serde-reflection`: its tracer builds values of each type from
//! nothing, which fails on the types that validate what they
//! deserialize (dates, store codes, ids), so it would need a sample of
//! every such type by hand; serialising the rows themselves sees the same
//! shapes (struct, tuple, option, unit variant, sequence, map) with no new
//! dependency and no description to keep in step. The cost: a column's
//! type is the one its rows carry, so a column null in every row is a
//! nullable string and an empty table has no columns.
//!
//! Every file is staged under a hidden name and renamed once complete (as
//! the log export's); a failure removes the files of the run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use salesledger_projections::tables::{
    assets, digest, directory, funnel, health, leaderboard, receivables, responsibility, retail,
    risk, subjects, todos, Table, TableKey, TableProjector,
};
use salesledger_replay::readmodel::{ReadModelError, TableRunner, MAX_PAGE_LIMIT};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::flatten::{flatten_into, Cell, FlattenError};
use super::{prepare_out_dir, remove_written, Staged};

/// The `format` of `tables.json`.
pub const PARQUET_TABLES_FORMAT: &str = "salesledger-parquet-tables/1";
/// The directory, inside a rebuild's output, of the Parquet tables.
pub const PARQUET_DIR: &str = "parquet";
/// The description of the files.
pub const TABLES_MANIFEST: &str = "tables.json";
/// Rows per row group.
const ROW_GROUP: usize = 65_536;

/// Why the tables could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TablesError {
    /// A projector declares a table this module has no row types for.
    #[error("{}", crate::t!("cli-tables-undescribed", projector = projector, table = table))]
    Undescribed {
        projector: &'static str,
        table: &'static str,
    },
    /// A row does not flatten (e.g. an integer past INT64).
    #[error("{}", crate::t!("cli-tables-row", table = table))]
    Row {
        table: String,
        #[source]
        source: FlattenError,
    },
    /// Two cells of a row under one column name.
    #[error("{}", crate::t!("cli-tables-duplicate-column", table = table, column = column))]
    DuplicateColumn { table: String, column: String },
    /// Reading the committed rows failed.
    #[error("{}", crate::t!("cli-tables-read", table = table))]
    Read {
        table: String,
        #[source]
        source: ReadModelError,
    },
    /// Encoding a Parquet file failed.
    #[error("{}", crate::t!("cli-tables-parquet", table = table))]
    Parquet {
        table: String,
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A file or directory could not be written.
    #[error("{}", crate::t!("cli-writing", path = path.display()))]
    Io {
        path: PathBuf,
        #[source]
        source: anyhow::Error,
    },
}

/// A column's Parquet type, as `tables.json` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnType {
    #[serde(rename = "BOOLEAN")]
    Boolean,
    #[serde(rename = "INT64")]
    Int64,
    /// INT64 (INTEGER(64, false)): a `u64` column holding values past
    /// `i64::MAX`.
    #[serde(rename = "UINT64")]
    UInt64,
    #[serde(rename = "DOUBLE")]
    Double,
    /// BYTE_ARRAY (STRING).
    #[serde(rename = "STRING")]
    String,
    /// BYTE_ARRAY (JSON): a sequence, map or enum with data.
    #[serde(rename = "JSON")]
    Json,
}

/// One column in `tables.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    pub nullable: bool,
    /// What the column holds: part of the row's key, or of its value.
    pub part: String,
}

/// One table in `tables.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableInfo {
    pub projector: String,
    pub table: String,
    /// The file in the directory; `None` for an empty table.
    pub file: Option<String>,
    pub rows: u64,
    pub columns: Vec<ColumnInfo>,
}

/// `DIR/parquet/tables.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TablesManifest {
    pub format: String,
    /// The position after the last record folded.
    pub position: u64,
    pub tables: Vec<TableInfo>,
}

type Row = Vec<(String, Cell)>;
type ReadPage = fn(&TableRunner, &'static str, Option<&str>) -> Result<Page, TablesError>;

struct Page {
    rows: Vec<Row>,
    next: Option<String>,
}

/// A table with the function that reads and flattens its rows.
struct Source {
    projector: &'static str,
    table: &'static str,
    read: ReadPage,
}

fn read_page<P, K, V>(
    runner: &TableRunner,
    name: &'static str,
    cursor: Option<&str>,
) -> Result<Page, TablesError>
where
    P: TableProjector,
    K: TableKey + Serialize,
    V: DeserializeOwned + Serialize,
{
    let table = Table::<K, V>::new(name);
    let qualified = || format!("{}.{}", P::NAME, name);
    let page = runner
        .page::<P, K, V>(&table, cursor, MAX_PAGE_LIMIT)
        .map_err(|source| TablesError::Read {
            table: qualified(),
            source,
        })?;
    let rows = page
        .rows
        .iter()
        .map(|(key, value)| {
            let mut cells = Vec::new();
            flatten_into("key", "key", key, &mut cells)?;
            flatten_into("", "value", value, &mut cells)?;
            Ok(cells)
        })
        .collect::<Result<Vec<Row>, FlattenError>>()
        .map_err(|source| TablesError::Row {
            table: qualified(),
            source,
        })?;
    Ok(Page {
        rows,
        next: page.next_cursor,
    })
}

fn source<P, K, V>(table: &Table<K, V>) -> Source
where
    P: TableProjector,
    K: TableKey + Serialize,
    V: DeserializeOwned + Serialize,
{
    Source {
        projector: P::NAME,
        table: table.name(),
        read: read_page::<P, K, V>,
    }
}

macro_rules! sources {
    ($($projector:ty => [$($table:expr),* $(,)?]);* $(;)?) => {
        vec![$($(source::<$projector, _, _>(&$table)),*),*]
    };
}

/// Every table of every projector, with its row types.
fn sources() -> Vec<Source> {
    sources![
        directory::DirectoryTables => [directory::REPS, directory::CUSTOMERS];
        responsibility::ResponsibilityTables => [
            responsibility::LEADS,
            responsibility::LEAD_ENTRIES,
            responsibility::CUSTOMERS,
            responsibility::CUSTOMER_ENTRIES,
        ];
        health::HealthTables => [
            health::INPUTS,
            health::POLICY,
            health::POLICY_OVERRIDE,
            health::META,
            health::BELOW_GREEN,
            health::NAMES,
            health::CUSTOMERS,
            health::DAILY,
            health::DUE,
            health::LEVELS,
            health::FREEZES,
            health::PLANS,
            health::PLAN_IDS,
            health::TASKS,
            health::TASK_IDS,
            health::SUCCESS,
        ];
        risk::RiskTables => [risk::DAYS, risk::ENTRIES, risk::LATEST];
        assets::AssetsTables => [assets::REPS, assets::MONTHS, assets::FOLLOWED];
        funnel::FunnelTables => [funnel::LEADS];
        receivables::ReceivablesTables => [
            receivables::LAST_CLOSED,
            receivables::CONTRACTS,
            receivables::INSTALMENTS,
            receivables::PAYMENTS,
            receivables::OVERDUE,
            receivables::OVERDUE_BY_REGION,
            receivables::OVERDUE_BY_INDUSTRY,
            receivables::CARDS,
            receivables::CARD_IDS,
            receivables::CUSTOMER_CARDS,
        ];
        digest::DigestTables => [
            digest::DAYS,
            digest::REGIONS,
            digest::CLOSED_DAYS,
            digest::OPEN_PROPOSALS,
        ];
        leaderboard::LeaderboardTables => [
            leaderboard::FIGURES,
            leaderboard::CONTRACT_REPS,
            leaderboard::LEAD_REPS,
        ];
        retail::RetailStoresTables => [
            retail::POLICY,
            retail::STORES,
            retail::REGION_STORES,
            retail::SKUS,
            retail::CATEGORY_IDS,
            retail::CATEGORY_NAMES,
            retail::TRACKED,
            retail::PROMOTIONS,
            retail::STORE_DAYS,
            retail::TRACKED_DAYS,
            retail::STORE_LATEST,
            retail::LATEST_DAY,
        ];
        retail::RetailMembersTables => [
            retail::MEMBER_POLICY,
            retail::MEMBER_STORES,
            retail::MEMBER_SKUS,
            retail::MEMBER_CATEGORY_IDS,
            retail::MEMBER_CATEGORY_NAMES,
            retail::MEMBER_STORE_DAYS,
            retail::MEMBER_STORE_LATEST,
            retail::MEMBERS,
            retail::MEMBER_DAYS,
            retail::HOME_MEMBERS,
        ];
        todos::TodosTables => [
            todos::LAST_CLOSED,
            todos::ITEMS,
            todos::OPEN,
            todos::OPEN_BY_REP,
            todos::OPEN_BY_REGION,
            todos::CUSTOMER_ITEMS,
            todos::PACK_STEPS,
            todos::OVERDUE_INSTALMENTS,
        ];
        subjects::SubjectsTables => [subjects::EVENTS, subjects::LINKS];
    ]
}

/// The sources of every table the projectors `serve` runs declare, in
/// their order; a declared table without a source is an error (so a new
/// table cannot be left out of the files silently).
fn checked_sources() -> Result<Vec<Source>, TablesError> {
    let mut all = sources();
    let mut ordered = Vec::with_capacity(all.len());
    for projector in crate::views::table_projectors() {
        for &table in projector.tables() {
            let Some(index) = all
                .iter()
                .position(|source| source.projector == projector.name && source.table == table)
            else {
                return Err(TablesError::Undescribed {
                    projector: projector.name,
                    table,
                });
            };
            ordered.push(all.swap_remove(index));
        }
    }
    Ok(ordered)
}

/// What the rows of a table showed of one column.
#[derive(Default)]
struct Seen {
    kind: Option<ColumnType>,
    non_null: u64,
}

fn kind_of(cell: &Cell) -> Option<ColumnType> {
    match cell {
        Cell::Null => None,
        Cell::Bool(_) => Some(ColumnType::Boolean),
        Cell::Int(_) => Some(ColumnType::Int64),
        Cell::UInt(_) => Some(ColumnType::UInt64),
        Cell::Float(_) => Some(ColumnType::Double),
        Cell::Str(_) => Some(ColumnType::String),
        Cell::Json(_) => Some(ColumnType::Json),
    }
}

fn unify(a: ColumnType, b: ColumnType) -> ColumnType {
    match (a, b) {
        (a, b) if a == b => a,
        (ColumnType::Int64, ColumnType::UInt64) | (ColumnType::UInt64, ColumnType::Int64) => {
            ColumnType::UInt64
        }
        (ColumnType::Int64 | ColumnType::UInt64, ColumnType::Double)
        | (ColumnType::Double, ColumnType::Int64 | ColumnType::UInt64) => ColumnType::Double,
        _ => ColumnType::String,
    }
}

/// The columns of a table, from its rows (first pass).
struct Columns {
    order: Vec<String>,
    seen: BTreeMap<String, Seen>,
    rows: u64,
}

impl Columns {
    fn add(&mut self, table: &str, row: &Row) -> Result<(), TablesError> {
        self.rows += 1;
        let mut names: Vec<&str> = row.iter().map(|(name, _)| name.as_str()).collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(TablesError::DuplicateColumn {
                table: table.to_owned(),
                column: pair[0].to_owned(),
            });
        }
        for (name, cell) in row {
            if !self.seen.contains_key(name) {
                self.order.push(name.clone());
            }
            let seen = self.seen.entry(name.clone()).or_default();
            if let Some(kind) = kind_of(cell) {
                seen.non_null += 1;
                seen.kind = Some(seen.kind.map_or(kind, |known| unify(known, kind)));
            }
        }
        Ok(())
    }

    /// The final columns: a column null in every row that prefixes others
    /// (an `Option` struct's `None`) is dropped; one that does not is a
    /// nullable string.
    fn finish(self) -> Vec<ColumnInfo> {
        let mut columns = Vec::new();
        for name in &self.order {
            let Some(seen) = self.seen.get(name) else {
                continue;
            };
            if seen.kind.is_none() {
                let prefix = format!("{name}.");
                if self.order.iter().any(|other| other.starts_with(&prefix)) {
                    continue;
                }
            }
            columns.push(ColumnInfo {
                name: name.clone(),
                column_type: seen.kind.unwrap_or(ColumnType::String),
                nullable: seen.non_null < self.rows,
                part: if name == "key" || name.starts_with("key.") {
                    "key".into()
                } else {
                    "value".into()
                },
            });
        }
        columns
    }
}

fn schema(columns: &[ColumnInfo]) -> Result<Arc<Type>, parquet::errors::ParquetError> {
    let mut fields = Vec::with_capacity(columns.len());
    for column in columns {
        let (physical, logical) = match column.column_type {
            ColumnType::Boolean => (PhysicalType::BOOLEAN, None),
            ColumnType::Int64 => (PhysicalType::INT64, None),
            ColumnType::UInt64 => (PhysicalType::INT64, Some(LogicalType::integer(64, false))),
            ColumnType::Double => (PhysicalType::DOUBLE, None),
            ColumnType::String => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
            ColumnType::Json => (PhysicalType::BYTE_ARRAY, Some(LogicalType::Json)),
        };
        let repetition = if column.nullable {
            Repetition::OPTIONAL
        } else {
            Repetition::REQUIRED
        };
        fields.push(Arc::new(
            Type::primitive_type_builder(&column.name, physical)
                .with_repetition(repetition)
                .with_logical_type(logical)
                .build()?,
        ));
    }
    Ok(Arc::new(
        Type::group_type_builder("salesledger_table")
            .with_fields(fields)
            .build()?,
    ))
}

fn properties() -> Arc<WriterProperties> {
    Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("salesledger {}", env!("CARGO_PKG_VERSION")))
            .build(),
    )
}

fn text(cell: &Cell) -> String {
    match cell {
        Cell::Null => String::new(),
        Cell::Bool(value) => value.to_string(),
        Cell::Int(value) => value.to_string(),
        Cell::UInt(value) => value.to_string(),
        Cell::Float(value) => value.to_string(),
        Cell::Str(value) | Cell::Json(value) => value.clone(),
    }
}

/// Writes `rows` (cells in `columns` order, `None` for a null) as one
/// row group.
fn write_row_group(
    writer: &mut SerializedFileWriter<std::fs::File>,
    columns: &[ColumnInfo],
    rows: &[Vec<Option<Cell>>],
) -> Result<(), parquet::errors::ParquetError> {
    let mut group = writer.next_row_group()?;
    let mut index = 0;
    while let Some(mut writer) = group.next_column()? {
        let Some(column) = columns.get(index) else {
            return Err(parquet::errors::ParquetError::General(format!(
                "no column {index}"
            )));
        };
        let cells = rows
            .iter()
            .map(|row| row.get(index).and_then(Option::as_ref));
        let levels: Vec<i16> = cells
            .clone()
            .map(|cell| i16::from(cell.is_some()))
            .collect();
        let levels = column.nullable.then_some(levels.as_slice());
        let present = cells.flatten();
        match column.column_type {
            ColumnType::Boolean => write_cells::<BoolType>(&mut writer, present, levels, |cell| {
                matches!(cell, Cell::Bool(true))
            })?,
            // UINT64 is stored as the same 64 bits (Parquet's unsigned
            // INT64), so a value past i64::MAX keeps its bits.
            ColumnType::Int64 | ColumnType::UInt64 => {
                write_cells::<Int64Type>(&mut writer, present, levels, |cell| match cell {
                    Cell::Int(value) => *value,
                    Cell::UInt(value) => i64::from_ne_bytes(value.to_ne_bytes()),
                    _ => 0,
                })?
            }
            ColumnType::Double => {
                write_cells::<DoubleType>(&mut writer, present, levels, |cell| match cell {
                    Cell::Float(value) => *value,
                    Cell::Int(value) => *value as f64,
                    Cell::UInt(value) => *value as f64,
                    _ => 0.0,
                })?
            }
            ColumnType::String | ColumnType::Json => {
                write_cells::<ByteArrayType>(&mut writer, present, levels, |cell| {
                    ByteArray::from(text(cell).into_bytes())
                })?
            }
        }
        writer.close()?;
        index += 1;
    }
    group.close()?;
    Ok(())
}

/// Writes a column's present cells as values of the physical type `T`
/// (`value` of each), with its definition levels (`None`: required).
fn write_cells<'c, T: parquet::data_type::DataType>(
    writer: &mut parquet::file::writer::SerializedColumnWriter<'_>,
    present: impl Iterator<Item = &'c Cell>,
    levels: Option<&[i16]>,
    value: impl Fn(&Cell) -> T::T,
) -> Result<(), parquet::errors::ParquetError> {
    let values: Vec<T::T> = present.map(value).collect();
    writer.typed::<T>().write_batch(&values, levels, None)?;
    Ok(())
}

/// Whether `name` is a file this writer puts in its directory.
pub(crate) fn is_ours(name: &str) -> bool {
    name == TABLES_MANIFEST || name.ends_with(".parquet")
}

fn io(path: &Path) -> impl FnOnce(anyhow::Error) -> TablesError + '_ {
    move |source| TablesError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes every table of `runner` (folded up to `position`) into `dir`
/// (see the module docs); `progress(done, total)` after each table.
/// Returns the manifest written; on failure, removes the files it wrote.
pub fn write_tables(
    runner: &TableRunner,
    position: u64,
    dir: &Path,
    force: bool,
    mut progress: impl FnMut(u64, u64),
) -> Result<TablesManifest, TablesError> {
    let sources = checked_sources()?;
    prepare_out_dir(dir, force, is_ours).map_err(io(dir))?;
    let mut written: Vec<PathBuf> = Vec::new();
    let result = (|| {
        let mut tables = Vec::with_capacity(sources.len());
        let total = sources.len() as u64;
        for (done, source) in sources.iter().enumerate() {
            tables.push(write_table(runner, source, dir, &mut written)?);
            progress(done as u64 + 1, total);
        }
        let manifest = TablesManifest {
            format: PARQUET_TABLES_FORMAT.into(),
            position,
            tables,
        };
        let path = dir.join(TABLES_MANIFEST);
        let (staged, mut file) = Staged::new(path.clone()).map_err(io(&path))?;
        serde_json::to_writer_pretty(&mut file, &manifest)
            .map_err(|error| io(&path)(error.into()))?;
        staged.commit(&file).map_err(io(&path))?;
        Ok(manifest)
    })();
    if result.is_err() {
        remove_written(&written);
    }
    result
}

fn write_table(
    runner: &TableRunner,
    source: &Source,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<TableInfo, TablesError> {
    let name = format!("{}.{}", source.projector, source.table);
    // First pass: the columns.
    let mut seen = Columns {
        order: Vec::new(),
        seen: BTreeMap::new(),
        rows: 0,
    };
    let mut cursor: Option<String> = None;
    loop {
        let page = (source.read)(runner, source.table, cursor.as_deref())?;
        for row in &page.rows {
            seen.add(&name, row)?;
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let rows = seen.rows;
    let columns = seen.finish();
    let mut info = TableInfo {
        projector: source.projector.into(),
        table: source.table.into(),
        file: None,
        rows,
        columns,
    };
    if rows == 0 {
        return Ok(info);
    }
    // Second pass: the rows.
    let file_name = format!("{name}.parquet");
    let path = dir.join(&file_name);
    let parquet = |source| TablesError::Parquet {
        table: name.clone(),
        source,
    };
    let (staged, file) = Staged::new(path.clone()).map_err(io(&path))?;
    let mut writer = SerializedFileWriter::new(
        file.try_clone().map_err(|error| io(&path)(error.into()))?,
        schema(&info.columns).map_err(parquet)?,
        properties(),
    )
    .map_err(parquet)?;
    let index: BTreeMap<&str, usize> = info
        .columns
        .iter()
        .enumerate()
        .map(|(index, column)| (column.name.as_str(), index))
        .collect();
    let mut batch: Vec<Vec<Option<Cell>>> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = (source.read)(runner, source.table, cursor.as_deref())?;
        for row in page.rows {
            let mut cells = vec![None; info.columns.len()];
            for (column, cell) in row {
                if let (Some(&at), false) = (index.get(column.as_str()), cell == Cell::Null) {
                    if let Some(slot) = cells.get_mut(at) {
                        *slot = Some(cell);
                    }
                }
            }
            batch.push(cells);
            if batch.len() == ROW_GROUP {
                write_row_group(&mut writer, &info.columns, &batch).map_err(parquet)?;
                batch.clear();
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if !batch.is_empty() {
        write_row_group(&mut writer, &info.columns, &batch).map_err(parquet)?;
    }
    writer.close().map_err(parquet)?;
    written.push(staged.commit(&file).map_err(io(&path))?);
    info.file = Some(file_name);
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_table_has_its_row_types() {
        let checked = checked_sources().expect("every table described");
        assert_eq!(checked.len(), sources().len(), "no table described twice");
    }
}
