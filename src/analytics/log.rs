//! The log as Parquet: `salesledger export --format parquet --out DIR`.
//!
//! # Layout `salesledger-parquet-log/1`
//!
//! `DIR/log-<first>-<last>.parquet`, one file per position range of at
//! most `records_per_file` records (positions zero-padded to 12 digits, so
//! the names sort in log order), and `DIR/_log.json`, written last: the
//! format, the record count, the head hash and the files with their first
//! position and record count. Its name starts with `_` because dataset
//! readers (pyarrow, so pandas; Spark) read every other file of a
//! directory as Parquet. One row per record, in position order, in
//! row groups of at most [`ROW_GROUP`] rows (`rows_per_group`);
//! Snappy-compressed columns:
//!
//! | column | Parquet type |
//! | --- | --- |
//! | `position` | INT64 |
//! | `event_id` | FIXED_LEN_BYTE_ARRAY(16) (UUID) |
//! | `stream_id` | BYTE_ARRAY (STRING) |
//! | `stream_version` | INT64 |
//! | `event_type` | BYTE_ARRAY (STRING) |
//! | `schema_version` | INT32 |
//! | `recorded_at` | INT64 (TIMESTAMP(MICROS, UTC)) |
//! | `actor` | BYTE_ARRAY (STRING) |
//! | `command_id`, `correlation_id`, `causation_id` | FIXED_LEN_BYTE_ARRAY(16) (UUID) |
//! | `payload` | BYTE_ARRAY (JSON): the canonical JSON of the event |
//! | `hash`, `prev_hash` | BYTE_ARRAY (STRING): 64 lowercase hex digits |
//!
//! The chain is verified while reading, as the JSON export's reader does
//! ([`ChainVerifier`]: position, prev_hash link, recomputed hash, stream
//! versions, time order): a broken log stops the export naming the
//! position, and the files of that run are removed. Memory is bounded by
//! three row groups, whatever the size of the log.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use parquet::basic::Compression;
use parquet::data_type::{
    ByteArray, ByteArrayType, FixedLenByteArray, FixedLenByteArrayType, Int32Type, Int64Type,
};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::{ColumnPath, Type};
use salesledger_store::{ChainVerifier, Hash32, RecordedEvent, Store, READ_PAGE};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{prepare_out_dir, remove_written, Staged};

/// The `format` of `_log.json`.
pub const PARQUET_LOG_FORMAT: &str = "salesledger-parquet-log/1";
/// Records per file unless told otherwise.
pub const RECORDS_PER_FILE: u64 = 1_000_000;
/// Rows per row group: the export holds three at once (one being filled,
/// one waiting, one being encoded).
pub const ROW_GROUP: usize = 32_768;
/// The manifest's file name.
pub const MANIFEST: &str = "_log.json";

/// The manifest's name before it began with `_` (an earlier export
/// `--force` replaces).
const OLD_MANIFEST: &str = "log.json";

const SCHEMA: &str = "
message salesledger_log {
  required int64 position;
  required fixed_len_byte_array(16) event_id (UUID);
  required binary stream_id (STRING);
  required int64 stream_version;
  required binary event_type (STRING);
  required int32 schema_version;
  required int64 recorded_at (TIMESTAMP(MICROS,true));
  required binary actor (STRING);
  required fixed_len_byte_array(16) command_id (UUID);
  required fixed_len_byte_array(16) correlation_id (UUID);
  required fixed_len_byte_array(16) causation_id (UUID);
  required binary payload (JSON);
  required binary hash (STRING);
  required binary prev_hash (STRING);
}
";

/// One file of the export, as listed in `_log.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogFile {
    pub file: String,
    pub first_position: u64,
    pub records: u64,
}

/// `DIR/_log.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogManifest {
    pub format: String,
    pub records: u64,
    pub head_hash: Hash32,
    pub files: Vec<LogFile>,
}

/// How to cut the export.
#[derive(Clone, Copy, Debug)]
pub struct ParquetLogOptions {
    /// At most this many records per file (at least 1).
    pub records_per_file: u64,
    /// At most this many rows per row group (at least 1); [`ROW_GROUP`]
    /// unless a test wants small groups.
    pub rows_per_group: usize,
    /// Replace an earlier export in the directory instead of refusing.
    pub force: bool,
}

impl Default for ParquetLogOptions {
    fn default() -> Self {
        ParquetLogOptions {
            records_per_file: RECORDS_PER_FILE,
            rows_per_group: ROW_GROUP,
            force: false,
        }
    }
}

/// Whether `name` is a file this export writes (what `--force` replaces).
fn is_ours(name: &str) -> bool {
    name == MANIFEST
        || name == OLD_MANIFEST
        || (name.starts_with("log-") && name.ends_with(".parquet"))
}

fn file_name(first: u64, last: u64) -> String {
    format!("log-{first:012}-{last:012}.parquet")
}

fn schema() -> anyhow::Result<Arc<Type>> {
    Ok(Arc::new(
        parse_message_type(SCHEMA).context("the Parquet schema of the log")?,
    ))
}

/// Columns whose values are (nearly) all distinct: a dictionary would
/// only cost time before the writer falls back to plain encoding.
const UNIQUE_COLUMNS: [&str; 8] = [
    "position",
    "event_id",
    "command_id",
    "correlation_id",
    "causation_id",
    "payload",
    "hash",
    "prev_hash",
];

fn properties() -> Arc<WriterProperties> {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("salesledger {}", env!("CARGO_PKG_VERSION")));
    for column in UNIQUE_COLUMNS {
        builder = builder.set_column_dictionary_enabled(ColumnPath::from(column), false);
    }
    Arc::new(builder.build())
}

/// One file being written.
struct OpenFile {
    staged: Staged,
    file: std::fs::File,
    writer: SerializedFileWriter<std::fs::File>,
    entry: LogFile,
}

/// A byte column of `batch`: every value appended by `value` to one
/// buffer, handed to the writer as slices of it (one allocation for the
/// column, not one per value).
fn byte_column(
    batch: &[RecordedEvent],
    value_len: usize,
    mut value: impl FnMut(&RecordedEvent, &mut Vec<u8>),
) -> Vec<ByteArray> {
    let mut buffer = Vec::with_capacity(batch.len() * value_len);
    let mut ends = Vec::with_capacity(batch.len());
    for record in batch {
        value(record, &mut buffer);
        ends.push(buffer.len());
    }
    let buffer = bytes::Bytes::from(buffer);
    let mut start = 0;
    ends.into_iter()
        .map(|end| {
            let slice = buffer.slice(start..end);
            start = end;
            ByteArray::from(slice)
        })
        .collect()
}

fn uuid_column(
    batch: &[RecordedEvent],
    field: impl Fn(&RecordedEvent) -> Uuid,
) -> Vec<FixedLenByteArray> {
    byte_column(batch, 16, |record, buffer| {
        buffer.extend_from_slice(field(record).as_bytes())
    })
    .into_iter()
    .map(FixedLenByteArray::from)
    .collect()
}

fn text_column(batch: &[RecordedEvent], field: impl Fn(&RecordedEvent) -> &str) -> Vec<ByteArray> {
    let typical = batch.first().map_or(0, |record| field(record).len());
    byte_column(batch, typical, |record, buffer| {
        buffer.extend_from_slice(field(record).as_bytes())
    })
}

/// A hash as its 64 lowercase hex digits.
fn hex_column(batch: &[RecordedEvent], field: impl Fn(&RecordedEvent) -> Hash32) -> Vec<ByteArray> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    byte_column(batch, 64, |record, buffer| {
        for byte in field(record).0 {
            buffer.push(DIGITS[usize::from(byte >> 4)]);
            buffer.push(DIGITS[usize::from(byte & 0x0f)]);
        }
    })
}

/// Writes `batch` as one row group.
fn write_row_group(
    writer: &mut SerializedFileWriter<std::fs::File>,
    batch: &[RecordedEvent],
) -> anyhow::Result<()> {
    let mut group = writer.next_row_group()?;
    let mut index = 0;
    while let Some(mut column) = group.next_column()? {
        match index {
            0 | 3 => {
                let values = batch
                    .iter()
                    .map(|record| {
                        let value = if index == 0 {
                            record.position
                        } else {
                            record.stream_version
                        };
                        i64::try_from(value).context("a position or version past i64")
                    })
                    .collect::<anyhow::Result<Vec<i64>>>()?;
                column
                    .typed::<Int64Type>()
                    .write_batch(&values, None, None)?;
            }
            1 | 8 | 9 | 10 => {
                let values = uuid_column(batch, |record| match index {
                    1 => record.event_id,
                    8 => record.command_id,
                    9 => record.correlation_id,
                    _ => record.causation_id,
                });
                column
                    .typed::<FixedLenByteArrayType>()
                    .write_batch(&values, None, None)?;
            }
            2 | 4 | 7 | 11 => {
                let values = text_column(batch, |record| match index {
                    2 => record.stream_id.as_str(),
                    4 => record.event_type.as_str(),
                    7 => record.actor.as_str(),
                    _ => record.payload.as_str(),
                });
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, None, None)?;
            }
            5 => {
                let values = batch
                    .iter()
                    .map(|record| {
                        i32::try_from(record.schema_version).context("a schema version past i32")
                    })
                    .collect::<anyhow::Result<Vec<i32>>>()?;
                column
                    .typed::<Int32Type>()
                    .write_batch(&values, None, None)?;
            }
            6 => {
                let values: Vec<i64> = batch
                    .iter()
                    .map(|record| record.recorded_at.timestamp_micros())
                    .collect();
                column
                    .typed::<Int64Type>()
                    .write_batch(&values, None, None)?;
            }
            12 | 13 => {
                let values = hex_column(batch, |record| {
                    if index == 12 {
                        record.hash
                    } else {
                        record.prev_hash
                    }
                });
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, None, None)?;
            }
            other => bail!("the log schema has no column {other}"),
        }
        column.close()?;
        index += 1;
    }
    group.close()?;
    Ok(())
}

/// Pages in flight between the reader and the verifier, at most: with
/// three row groups (one being filled, one waiting, one being encoded),
/// what bounds the export's memory.
const PAGES_IN_FLIGHT: usize = 4;

/// Writes the committed log (up to the head when called) into `out` as
/// Parquet (see the module docs); returns the manifest written.
/// `progress(done, total)` is called after each page read.
///
/// Three stages on three threads, so that both cores (or more) work:
/// this task reads and decodes pages from the store; a verifier thread
/// checks the chain (the hashes are most of that work); a writer thread
/// encodes and compresses the files. Only verified pages reach the
/// writer, and the last one only once the head hash has been matched, so
/// a broken log never gets a manifest.
pub async fn export_log_parquet(
    store: &dyn Store,
    out: &Path,
    options: ParquetLogOptions,
    mut progress: impl FnMut(u64, u64) + Send,
) -> anyhow::Result<LogManifest> {
    if options.records_per_file == 0 {
        bail!(crate::t!("cli-export-records-per-file"));
    }
    if options.rows_per_group == 0 {
        // not a command-line option: only code sets it
        bail!("rows per group must be at least 1");
    }
    prepare_out_dir(out, options.force, is_ours)?;
    let head = store.head();
    let (pages, to_verify) = std::sync::mpsc::sync_channel::<Vec<RecordedEvent>>(PAGES_IN_FLIGHT);
    // one row group waits while the writer encodes another
    let (verified, to_write) = std::sync::mpsc::sync_channel::<Vec<RecordedEvent>>(1);
    let rows_per_group = options.rows_per_group;
    let verifier = std::thread::Builder::new()
        .name("export-verify".into())
        .spawn(move || {
            verify_pages(
                head.len,
                head.last_hash,
                rows_per_group,
                to_verify,
                verified,
            )
        })
        .context("starting the export's chain verifier")?;
    let writer = {
        let out = out.to_owned();
        std::thread::Builder::new()
            .name("export-parquet".into())
            .spawn(move || write_files(&out, options, head.len, head.last_hash, to_write))
            .context("starting the Parquet writer")?
    };
    let mut next = 0u64;
    let read = async {
        while next < head.len {
            let records = store.read_all(next, READ_PAGE).await?;
            if records.is_empty() {
                bail!(crate::t!("cli-export-record-missing", position = next));
            }
            next += records.len() as u64;
            if pages.send(records).is_err() {
                // a later stage stopped: its error is the one to report
                break;
            }
            progress(next.min(head.len), head.len);
        }
        anyhow::Ok(())
    }
    .await;
    drop(pages);
    let verified = verifier
        .join()
        .map_err(|_| anyhow::anyhow!("the chain verifier thread panicked"));
    let written = writer
        .join()
        .map_err(|_| anyhow::anyhow!("the Parquet writer thread panicked"));
    match (read, verified, written) {
        (Ok(()), Ok(Ok(())), Ok(Ok(manifest))) => Ok(manifest),
        // the first stage's error first: the later ones then saw the
        // pages end early, and the writer removed its files
        (Err(error), _, _)
        | (_, Ok(Err(error)), _)
        | (_, Err(error), _)
        | (_, _, Ok(Err(error)))
        | (_, _, Err(error)) => Err(error),
    }
}

/// The verifier stage of [`export_log_parquet`]: checks the chain of the
/// records received, up to `head_len`, and passes them on a row group at
/// a time, so that the reader and this stage fill the next row group
/// while the writer encodes the last one. The row group that holds the
/// last record is passed on only once the chain's tip equals `head_hash`,
/// so the writer never completes a broken export.
fn verify_pages(
    head_len: u64,
    head_hash: Hash32,
    rows_per_group: usize,
    pages: std::sync::mpsc::Receiver<Vec<RecordedEvent>>,
    verified: std::sync::mpsc::SyncSender<Vec<RecordedEvent>>,
) -> anyhow::Result<()> {
    let mut chain = ChainVerifier::default();
    let mut group = Vec::with_capacity(rows_per_group);
    while chain.n_verified() < head_len {
        let Ok(records) = pages.recv() else {
            // the reader stopped early: its error is reported
            return Ok(());
        };
        for record in records {
            if chain.n_verified() == head_len {
                break;
            }
            chain.check(&record).map_err(|cause| {
                anyhow::anyhow!(crate::t!(
                    "cli-export-chain-broken",
                    position = record.position,
                    reason = crate::i18n::errors::chain_break(&cause)
                ))
            })?;
            group.push(record);
        }
        let last = chain.n_verified() == head_len;
        if last && chain.last_hash() != head_hash {
            bail!(crate::t!("cli-export-head-differs"));
        }
        if group.len() >= rows_per_group || last {
            let full = std::mem::replace(&mut group, Vec::with_capacity(rows_per_group));
            if verified.send(full).is_err() {
                // the writer stopped: its error is reported
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The writer stage of [`export_log_parquet`]: writes the verified
/// records received, up to `head_len`; removes its files on failure.
fn write_files(
    out: &Path,
    options: ParquetLogOptions,
    head_len: u64,
    head_hash: Hash32,
    pages: std::sync::mpsc::Receiver<Vec<RecordedEvent>>,
) -> anyhow::Result<LogManifest> {
    let schema = schema()?;
    let properties = properties();
    let mut written: Vec<PathBuf> = Vec::new();
    let result = (|| {
        let mut files = Vec::new();
        let mut open: Option<OpenFile> = None;
        let mut batch: Vec<RecordedEvent> = Vec::with_capacity(options.rows_per_group);
        let mut next = 0u64;
        while next < head_len {
            let Ok(records) = pages.recv() else {
                bail!(crate::t!(
                    "cli-export-log-ended",
                    position = next,
                    n = head_len
                ));
            };
            for record in records {
                if open.is_none() {
                    let last = (next + options.records_per_file).min(head_len) - 1;
                    let path = out.join(file_name(next, last));
                    let (staged, file) = Staged::new(path.clone())?;
                    let writer = SerializedFileWriter::new(
                        file.try_clone()
                            .with_context(|| crate::t!("cli-creating", path = path.display()))?,
                        schema.clone(),
                        properties.clone(),
                    )?;
                    open = Some(OpenFile {
                        staged,
                        file,
                        writer,
                        entry: LogFile {
                            file: file_name(next, last),
                            first_position: next,
                            records: 0,
                        },
                    });
                }
                batch.push(record);
                next += 1;
                let Some(current) = open.as_mut() else {
                    bail!("no open Parquet file");
                };
                current.entry.records += 1;
                let file_full = current.entry.records == options.records_per_file;
                if batch.len() == options.rows_per_group || file_full || next == head_len {
                    write_row_group(&mut current.writer, &batch)?;
                    batch.clear();
                }
                if file_full || next == head_len {
                    if let Some(done) = open.take() {
                        done.writer.close()?;
                        written.push(done.staged.commit(&done.file)?);
                        files.push(done.entry);
                    }
                }
            }
        }
        let manifest = LogManifest {
            format: PARQUET_LOG_FORMAT.into(),
            records: head_len,
            head_hash,
            files,
        };
        let (staged, mut file) = Staged::new(out.join(MANIFEST))?;
        serde_json::to_writer_pretty(&mut file, &manifest)?;
        staged.commit(&file)?;
        anyhow::Ok(manifest)
    })();
    if result.is_err() {
        remove_written(&written);
    }
    // the reader sees a closed channel and stops
    drop(pages);
    result
}

#[cfg(test)]
mod tests {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::RowAccessor;
    use salesledger_store::{AppendMetadata, AppendRequest, ExpectedVersion, NewEvent, SledStore};

    use super::*;

    /// A log of `n` records over three streams.
    async fn log_of(dir: &Path, n: u64) -> SledStore {
        let store = SledStore::open(&dir.join("log")).expect("open the store");
        for k in 0..n {
            let command_id = Uuid::now_v7();
            store
                .append(AppendRequest {
                    stream_id: format!("customer-{}", k % 3),
                    expected_version: ExpectedVersion::Any,
                    events: vec![NewEvent::new(
                        "FollowUpRecorded",
                        1,
                        &serde_json::json!({ "n": k }),
                    )],
                    metadata: AppendMetadata {
                        actor: "rep:test".into(),
                        command_id,
                        correlation_id: command_id,
                        causation_id: command_id,
                    },
                    idempotency: None,
                })
                .await
                .expect("append");
        }
        store
    }

    /// The stages hand over row groups and cut files where the options
    /// say: every record once, in order, in groups of at most
    /// `rows_per_group` that restart at each file, and the manifest names
    /// the store's head.
    #[test]
    fn files_and_row_groups_are_cut_as_asked_with_every_record_in_order() {
        let scratch = crate::scratch::ScratchDir::new("parquet-log-").expect("scratch");
        let runtime = crate::runtime().expect("runtime");
        let (manifest, head) = runtime.block_on(async {
            let store = log_of(scratch.path(), 100).await;
            let options = ParquetLogOptions {
                records_per_file: 40,
                rows_per_group: 7,
                force: false,
            };
            let out = scratch.path().join("out");
            let manifest = export_log_parquet(&store, &out, options, |_, _| {})
                .await
                .expect("export");
            (manifest, store.head())
        });
        assert_eq!(manifest.records, 100);
        assert_eq!(manifest.head_hash, head.last_hash);
        let cut: Vec<(u64, u64)> = manifest
            .files
            .iter()
            .map(|file| (file.first_position, file.records))
            .collect();
        assert_eq!(cut, [(0, 40), (40, 40), (80, 20)]);
        let mut next = 0i64;
        for file in &manifest.files {
            let reader = SerializedFileReader::new(
                std::fs::File::open(scratch.path().join("out").join(&file.file)).expect("open"),
            )
            .expect("a Parquet file");
            let groups: Vec<i64> = reader
                .metadata()
                .row_groups()
                .iter()
                .map(|group| group.num_rows())
                .collect();
            let mut expected = vec![7; usize::try_from(file.records / 7).expect("small")];
            if file.records % 7 != 0 {
                expected.push(i64::try_from(file.records % 7).expect("small"));
            }
            assert_eq!(groups, expected, "{}", file.file);
            for row in reader.get_row_iter(None).expect("rows") {
                let row = row.expect("a row");
                assert_eq!(row.get_long(0).expect("position"), next);
                next += 1;
            }
        }
        assert_eq!(next, 100);
    }
}
