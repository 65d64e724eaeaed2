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
    #[error("export file line {line}: {reason}")]
    Export { line: u64, reason: String },
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

pub(crate) fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> AuditError + '_ {
    move |source| AuditError::Io {
        path: path.to_owned(),
        source,
    }
}
