//! The rules a record keeps in the log, and the words for breaking them:
//! the hash records are chained by ([`Hash32`]), the version an append
//! expects ([`ExpectedVersion`]), the limits on names ([`name_problem`])
//! and how a record fails to extend the chain ([`ChainBreak`]).
//!
//! A leaf: it imports no other module of the crate, so the error type,
//! which names these, and the record and log modules, which check them,
//! form no circle (`tests/architecture.rs`).

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Largest stream id, event type, actor and idempotency key, in bytes.
pub const MAX_NAME_BYTES: usize = 256;

/// A SHA-256 digest, printed and serialised as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash32(pub [u8; 32]);

impl Hash32 {
    /// The `prev_hash` of the record at position 0.
    pub const ZERO: Hash32 = Hash32([0; 32]);

    pub fn sha256(bytes: &[u8]) -> Hash32 {
        Hash32(Sha256::digest(bytes).into())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses the canonical form only: 64 lowercase hex digits. Evidence
    /// (exports, bundles, checkpoints) is compared byte for byte, so
    /// `"AB…"` for `"ab…"` is a change, not a spelling.
    pub fn parse_hex(text: &str) -> Option<Hash32> {
        if text.bytes().any(|byte| byte.is_ascii_uppercase()) {
            return None;
        }
        Hash32::parse_hex_any_case(text)
    }

    /// Parses 64 hex digits in either case: for digests a person types
    /// (a blob's URL, a token file), not for evidence.
    pub fn parse_hex_any_case(text: &str) -> Option<Hash32> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Hash32(bytes))
    }
}

impl fmt::Display for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash32({})", self.to_hex())
    }
}

impl Serialize for Hash32 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash32 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Hash32::parse_hex(&text).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

/// What the caller expects the stream's current version to be.
///
/// Stream versions start at 0: the first event of a stream has version 0,
/// so `Exact(n)` means "the stream's last event has version n".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedVersion {
    /// Append whatever the stream's state.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last version must be exactly this.
    Exact(u64),
}

impl ExpectedVersion {
    /// Whether a stream whose last version is `actual` satisfies this.
    pub fn admits(self, actual: Option<u64>) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => actual.is_none(),
            ExpectedVersion::Exact(version) => actual == Some(version),
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::Exact(version) => write!(f, "{version}"),
        }
    }
}

/// What is wrong with a name (stream id, event type, actor, idempotency
/// key), if anything: the append limits on names.
pub fn name_problem(value: &str) -> Option<NameProblem> {
    if value.is_empty() {
        return Some(NameProblem::Empty);
    }
    if value.len() > MAX_NAME_BYTES {
        return Some(NameProblem::TooLong {
            max: MAX_NAME_BYTES,
        });
    }
    if value.chars().any(char::is_control) {
        return Some(NameProblem::ControlCharacters);
    }
    None
}

/// Why a name breaks the append limits ([`name_problem`]); the English
/// Display follows the name's kind ("stream id is empty").
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NameProblem {
    #[error("is empty")]
    Empty,
    #[error("exceeds {max} bytes")]
    TooLong { max: usize },
    #[error("contains control characters")]
    ControlCharacters,
}

/// Why a record does not extend the chain ([`crate::ChainVerifier::check`],
/// [`crate::verify_log`]). The Display is English (logs, the library's tests);
/// a user interface words it from the variant and its fields (its serde
/// form: the variant's `snake_case` name, then its fields), and
/// [`ChainBreak::kind`] is the stable code machine-readable output carries.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChainBreak {
    /// The record claims another position than the next one.
    #[error("expected position {expected}, found {found}")]
    PositionGap { expected: u64, found: u64 },
    /// `prev_hash` is not the previous record's hash.
    #[error("prev_hash {found} does not match the previous record's hash {expected}")]
    PrevHashMismatch { expected: Hash32, found: Hash32 },
    /// The stored hash is not SHA-256 of the record's canonical bytes.
    #[error("stored hash {stored} but the record hashes to {computed}")]
    HashMismatch { stored: Hash32, computed: Hash32 },
    /// A stream's versions are not gapless.
    #[error("stream {stream} jumps to version {found} (expected {expected})")]
    StreamVersionJump {
        stream: String,
        found: u64,
        expected: u64,
    },
    /// `recorded_at` is earlier than the previous record's.
    #[error("recorded_at goes backwards")]
    TimeGoesBackwards,
    /// The log returned no record where its head says there is one.
    #[error("record missing")]
    RecordMissing,
    /// Every record verified but the last hash is not the store's head.
    #[error("last hash differs from the store's head")]
    HeadMismatch,
    /// The stored record does not decode (`detail`: the decoder's words,
    /// [`crate::StoreError::CorruptRecord`]).
    #[error("{detail}")]
    Undecodable { detail: String },
    /// The record's stream id breaks the append limits on names (an
    /// import checks them; [`crate::check_import`]).
    #[error("stream id {problem}")]
    InvalidStreamId { problem: NameProblem },
}

impl ChainBreak {
    /// The stable machine code of this break (`snake_case`).
    pub fn kind(&self) -> &'static str {
        match self {
            ChainBreak::PositionGap { .. } => "position_gap",
            ChainBreak::PrevHashMismatch { .. } => "prev_hash_mismatch",
            ChainBreak::HashMismatch { .. } => "hash_mismatch",
            ChainBreak::StreamVersionJump { .. } => "stream_version_jump",
            ChainBreak::TimeGoesBackwards => "time_goes_backwards",
            ChainBreak::RecordMissing => "record_missing",
            ChainBreak::HeadMismatch => "head_mismatch",
            ChainBreak::Undecodable { .. } => "undecodable",
            ChainBreak::InvalidStreamId { .. } => "invalid_stream_id",
        }
    }
}
