//! The portable export of a log: JSON lines, independent of any backend,
//! and a reader that verifies the hash chain while it reads.
//!
//! # Format `salesledger-export/1`
//!
//! UTF-8 text, one JSON object per line (`\n`-terminated), keys in this
//! order:
//!
//! 1. the header: `{"format":"salesledger-export/1","records":N,"head_hash":"<hex>"}`
//!    where `N` is the number of records and `head_hash` the hash of the
//!    last one (64 zeros when empty);
//! 2. then exactly `N` record lines, in position order from 0:
//!    `{"position":P,"hash":"<hex>","canonical":"<base64>"}` where
//!    `canonical` is the record's canonical encoding (ARCHITECTURE.md,
//!    "Record format", standard base64 with padding) and `hash` its SHA-256.
//!
//! Everything is in the canonical bytes; `position` and `hash` are repeated
//! for `grep` and checked. Checkpoint records (`CheckpointSigned`) are
//! records, so they are exported like any other: the export carries the
//! log's signed checkpoints, and its Merkle roots can be recomputed from
//! the leaves (`SHA-256(0x00 || canonical)`).
//!
//! [`read_export`] yields the records, checking on the way: each line's
//! shape, position, hash and chain link (prev_hash), stream versions, time
//! order ([`salesledger_store::ChainVerifier`]), then at the end the count
//! and head hash of the header. The first failure is yielded as an error
//! naming the line, and the iteration ends.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use salesledger_store::{ChainVerifier, Hash32, RecordedEvent, Store, READ_PAGE};
use serde::{Deserialize, Serialize};

use super::error::{io_at, AuditError, ExportBreak};

/// The `format` of the header line.
pub const EXPORT_FORMAT: &str = "salesledger-export/1";

/// The first line of an export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportHeader {
    pub format: String,
    pub records: u64,
    pub head_hash: Hash32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportLine {
    position: u64,
    hash: Hash32,
    canonical: String,
}

/// One record line of an export (`{"position":P,"hash":"<hex>","canonical":"<base64>"}`
/// and a newline): the export's and the gateway's streamed export's.
pub fn record_line(record: &RecordedEvent) -> Result<Vec<u8>, AuditError> {
    let mut line = serde_json::to_vec(&ExportLine {
        position: record.position,
        hash: record.hash,
        canonical: BASE64.encode(record.canonical_bytes()),
    })?;
    line.push(b'\n');
    Ok(line)
}

/// Decodes one record line (see [`record_line`]): its shape, base64, and
/// that its record is at the position the line names; `line_no` names the
/// line in the error. The chain is not checked here (that is
/// [`ChainVerifier`]'s work, with the records before it).
pub fn decode_record_line(line: &str, line_no: u64) -> Result<RecordedEvent, AuditError> {
    let bad = |cause: ExportBreak| AuditError::Export {
        line: line_no,
        cause,
    };
    let parsed: ExportLine = serde_json::from_str(line).map_err(|error| {
        bad(ExportBreak::NotARecordLine {
            detail: error.to_string(),
        })
    })?;
    let mut bytes = BASE64
        .decode(parsed.canonical.as_bytes())
        .map_err(|_| bad(ExportBreak::NotBase64))?;
    bytes.extend_from_slice(&parsed.hash.0);
    let record = RecordedEvent::decode_stored(parsed.position, &bytes).map_err(|error| {
        bad(ExportBreak::Undecodable {
            detail: error.to_string(),
        })
    })?;
    if record.position != parsed.position {
        return Err(bad(ExportBreak::PositionMismatch {
            line_says: parsed.position,
            record_says: record.position,
        }));
    }
    Ok(record)
}

/// Writes the whole committed log to `out`; returns the header written.
pub async fn export_log<W: Write + Send>(
    store: &dyn Store,
    out: W,
    mut progress: impl FnMut(u64, u64) + Send,
) -> Result<ExportHeader, AuditError> {
    let head = store.head();
    let header = ExportHeader {
        format: EXPORT_FORMAT.into(),
        records: head.len,
        head_hash: head.last_hash,
    };
    let write_error = |error: std::io::Error| AuditError::Export {
        line: 0,
        cause: ExportBreak::Write {
            detail: error.to_string(),
        },
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    serde_json::to_writer(&mut out, &header)?;
    out.write_all(b"\n").map_err(write_error)?;
    let mut next = 0u64;
    while next < head.len {
        let records = store.read_all(next, READ_PAGE).await?;
        if records.is_empty() {
            return Err(AuditError::Export {
                line: next + 2,
                cause: ExportBreak::RecordMissing { position: next },
            });
        }
        for record in records
            .iter()
            .take_while(|record| record.position < head.len)
        {
            if record.position != next {
                return Err(AuditError::Export {
                    line: next + 2,
                    cause: ExportBreak::LogOutOfOrder {
                        found: record.position,
                    },
                });
            }
            let line = ExportLine {
                position: record.position,
                hash: record.hash,
                canonical: BASE64.encode(record.canonical_bytes()),
            };
            serde_json::to_writer(&mut out, &line)?;
            out.write_all(b"\n").map_err(write_error)?;
            next += 1;
        }
        progress(next, head.len);
    }
    out.flush().map_err(write_error)?;
    Ok(header)
}

/// Writes the log to a file (see [`export_log`]), synced.
pub async fn export_to_file(
    store: &dyn Store,
    path: &Path,
    progress: impl FnMut(u64, u64) + Send,
) -> Result<ExportHeader, AuditError> {
    let file = File::create(path).map_err(io_at(path))?;
    let header = export_log(store, &file, progress).await?;
    file.sync_all().map_err(io_at(path))?;
    Ok(header)
}

/// Reads an export, verifying while reading (see the module docs).
pub struct ExportReader<R> {
    lines: std::io::Lines<R>,
    header: ExportHeader,
    chain: ChainVerifier,
    line_no: u64,
    done: bool,
}

/// Opens an export file and reads its header.
///
/// ```no_run
/// for record in salesledger_replay::audit::export::read_export("log.jsonl".as_ref())? {
///     let record = record?; // a RecordedEvent whose chain verified so far
///     println!("{} {}", record.position, record.event_type);
/// }
/// # Ok::<(), salesledger_replay::audit::AuditError>(())
/// ```
pub fn read_export(path: &Path) -> Result<ExportReader<BufReader<File>>, AuditError> {
    let file = File::open(path).map_err(io_at(path))?;
    ExportReader::new(BufReader::with_capacity(1 << 20, file))
}

impl<R: BufRead> ExportReader<R> {
    /// Reads the header from `reader`.
    pub fn new(reader: R) -> Result<ExportReader<R>, AuditError> {
        let mut lines = reader.lines();
        let bad = |cause: ExportBreak| AuditError::Export { line: 1, cause };
        let first = lines
            .next()
            .ok_or_else(|| bad(ExportBreak::NoHeader))?
            .map_err(|error| {
                bad(ExportBreak::Read {
                    detail: error.to_string(),
                })
            })?;
        let header: ExportHeader = serde_json::from_str(&first).map_err(|error| {
            bad(ExportBreak::BadHeader {
                detail: error.to_string(),
            })
        })?;
        if header.format != EXPORT_FORMAT {
            return Err(bad(ExportBreak::WrongFormat {
                found: header.format,
                expected: EXPORT_FORMAT,
            }));
        }
        Ok(ExportReader {
            lines,
            header,
            chain: ChainVerifier::default(),
            line_no: 1,
            done: false,
        })
    }

    pub fn header(&self) -> &ExportHeader {
        &self.header
    }

    /// Records read and verified so far.
    pub fn n_verified(&self) -> u64 {
        self.chain.n_verified()
    }

    fn next_record(&mut self) -> Option<Result<RecordedEvent, AuditError>> {
        let line_no = self.line_no + 1;
        let bad = |cause: ExportBreak| AuditError::Export {
            line: line_no,
            cause,
        };
        let Some(line) = self.lines.next() else {
            if self.chain.n_verified() != self.header.records {
                return Some(Err(bad(ExportBreak::EndsEarly {
                    found: self.chain.n_verified(),
                    expected: self.header.records,
                })));
            }
            if self.chain.last_hash() != self.header.head_hash {
                return Some(Err(bad(ExportBreak::HeadHashDiffers)));
            }
            return None;
        };
        self.line_no = line_no;
        let line = match line {
            Ok(line) => line,
            Err(error) => {
                return Some(Err(bad(ExportBreak::Read {
                    detail: error.to_string(),
                })))
            }
        };
        if self.chain.n_verified() >= self.header.records {
            return Some(Err(bad(ExportBreak::TooManyRecords {
                expected: self.header.records,
            })));
        }
        let record = match decode_record_line(&line, line_no) {
            Ok(record) => record,
            Err(error) => return Some(Err(error)),
        };
        if let Err(cause) = self.chain.check(&record) {
            return Some(Err(AuditError::ExportChain {
                line: line_no,
                position: record.position,
                cause,
            }));
        }
        Some(Ok(record))
    }
}

impl<R: BufRead> Iterator for ExportReader<R> {
    type Item = Result<RecordedEvent, AuditError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_record();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}
