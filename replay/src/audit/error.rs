//! The audit stack's errors, in one place: every module of `audit` uses
//! them and none of them depends on another module for its error type.

use std::path::{Path, PathBuf};

use salesledger_store::{ChainBreak, StoreError};

use super::checkpoint::CheckpointError;
use super::merkle::MerkleError;

/// A failure of the file node store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeFileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("node (level {level}, index {index}) written out of order: the level holds {len}")]
    Gap { level: u32, index: u64, len: u64 },
    #[error("node (level {level}, index {index}) rewritten with a different hash")]
    Rewrite { level: u32, index: u64 },
}

/// Errors of the audit layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Merkle tree: {0}")]
    Merkle(#[from] MerkleError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("Merkle tree files: {0}")]
    TreeStore(#[source] NodeFileError),
    #[error("the Merkle tree cannot follow the log at position {position}: {reason}")]
    TreeDiverged { position: u64, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("key file {path}: {reason}")]
    KeyFile { path: PathBuf, reason: String },
    #[error("checkpoint record at position {position}: {reason}")]
    BadCheckpointRecord { position: u64, reason: String },
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An export that does not read or does not match its header (the
    /// line it names; 0 for a write failure).
    #[error("export file line {line}: {cause}")]
    Export { line: u64, cause: ExportBreak },
    /// An export's record that does not extend the chain of the lines
    /// before it.
    #[error("export file line {line}: position {position}: {cause}")]
    ExportChain {
        line: u64,
        position: u64,
        cause: ChainBreak,
    },
    #[error("evidence: {0}")]
    Evidence(String),
    #[error("the log has no records to checkpoint")]
    EmptyLog,
    #[error("could not append the checkpoint: {0}")]
    CheckpointRace(String),
}

/// Why an export line (or the export as a whole) is refused
/// ([`AuditError::Export`]). The Display is English (logs, the library's
/// tests); a user interface words it from the variant and its fields, and
/// [`ExportBreak::kind`] is a stable code. `detail` is a foreign library's
/// words (JSON, I/O, the record decoder).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExportBreak {
    /// The file has no first line.
    #[error("empty file: no header")]
    NoHeader,
    /// The first line is not an export header.
    #[error("header: {detail}")]
    BadHeader { detail: String },
    /// The header names another format.
    #[error("format {found:?}, expected {expected:?}")]
    WrongFormat {
        found: String,
        expected: &'static str,
    },
    /// A line could not be read (I/O, not UTF-8).
    #[error("{detail}")]
    Read { detail: String },
    /// A line is not a record line.
    #[error("not a record line: {detail}")]
    NotARecordLine { detail: String },
    /// `canonical` is not standard base64.
    #[error("canonical is not base64")]
    NotBase64,
    /// The canonical bytes do not decode into a record.
    #[error("{detail}")]
    Undecodable { detail: String },
    /// The line's `position` is not its record's.
    #[error("the line says position {line_says} but its record is position {record_says}")]
    PositionMismatch { line_says: u64, record_says: u64 },
    /// The file ends before the header's count of records.
    #[error("the file ends after {found} records; the header says {expected}")]
    EndsEarly { found: u64, expected: u64 },
    /// The last record is not the header's head.
    #[error("the last record's hash differs from the header's head_hash")]
    HeadHashDiffers,
    /// More record lines than the header counts.
    #[error("more records than the header's {expected}")]
    TooManyRecords { expected: u64 },
    /// Writing an export failed.
    #[error("writing: {detail}")]
    Write { detail: String },
    /// Exporting: the log returned no record at a position below its head.
    #[error("record {position} missing from the log")]
    RecordMissing { position: u64 },
    /// Exporting: the log returned another position than the next one.
    #[error("the log returned position {found}")]
    LogOutOfOrder { found: u64 },
}

impl ExportBreak {
    /// The stable machine code of this break (`snake_case`).
    pub fn kind(&self) -> &'static str {
        match self {
            ExportBreak::NoHeader => "no_header",
            ExportBreak::BadHeader { .. } => "bad_header",
            ExportBreak::WrongFormat { .. } => "wrong_format",
            ExportBreak::Read { .. } => "read",
            ExportBreak::NotARecordLine { .. } => "not_a_record_line",
            ExportBreak::NotBase64 => "not_base64",
            ExportBreak::Undecodable { .. } => "undecodable",
            ExportBreak::PositionMismatch { .. } => "position_mismatch",
            ExportBreak::EndsEarly { .. } => "ends_early",
            ExportBreak::HeadHashDiffers => "head_hash_differs",
            ExportBreak::TooManyRecords { .. } => "too_many_records",
            ExportBreak::Write { .. } => "write",
            ExportBreak::RecordMissing { .. } => "record_missing",
            ExportBreak::LogOutOfOrder { .. } => "log_out_of_order",
        }
    }
}

pub(crate) fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> AuditError + '_ {
    move |source| AuditError::Io {
        path: path.to_owned(),
        source,
    }
}
