//! Order-preserving key encoding: for every key type, comparing two encoded
//! keys byte by byte (as sled does) gives the same order as comparing the
//! keys themselves, so a range scan of a table is in key order and every
//! output built from one is deterministic without sorting.
//!
//! - unsigned integers: big-endian;
//! - signed integers: big-endian with the sign bit flipped (so -1 < 0);
//! - [`Uuid`] and the domain's UUID ids: the 16 bytes in RFC 9562 order;
//! - [`String`]: the UTF-8 bytes with every `0x00` escaped as `0x00 0xFF`,
//!   ended by `0x00 0x01`: a prefix sorts before its extensions (`"a"` <
//!   `"a\0"` < `"ab"`) and the encoding is self-delimiting, so strings
//!   compose in tuples;
//! - [`NaiveDate`]: the day number since 0001-01-01 as a sign-flipped `i32`;
//! - `()`: nothing (a table used as a set keyed by its tuple);
//! - tuples: their fields' encodings concatenated (every field encoding is
//!   self-delimiting, so the tuple order is lexicographic by field).

use chrono::{Datelike, NaiveDate};
use salesledger_domain::value::{CustomerId, RepId};
use uuid::Uuid;

/// A key that does not decode (a corrupt row or a forged cursor).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// Fewer bytes than the key type needs.
    #[error("key ends early: {needed} more bytes needed")]
    Truncated { needed: usize },
    /// Bytes left over after the whole key was decoded.
    #[error("key has {0} trailing bytes")]
    Trailing(usize),
    /// The bytes are not an encoding this type produces.
    #[error("key is malformed: {0}")]
    Malformed(&'static str),
}

/// A table key with an order-preserving, self-delimiting byte encoding.
pub trait TableKey: Sized {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// Decodes one key from the front of `input` and advances it past it.
    fn decode_from(input: &mut &[u8]) -> Result<Self, KeyError>;

    /// The encoding of `self`. Sized for the common keys (a UUID with a
    /// date or a number, at most 28 bytes) so that encoding one never
    /// grows the vector: growing it from empty, field by field, was a
    /// reallocation or two per key and a visible share of a fold.
    fn to_key_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(KEY_CAPACITY);
        self.encode(&mut out);
        out
    }

    /// Decodes a whole key: every byte must belong to it.
    fn from_key_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let mut input = bytes;
        let key = Self::decode_from(&mut input)?;
        if input.is_empty() {
            Ok(key)
        } else {
            Err(KeyError::Trailing(input.len()))
        }
    }
}

/// The capacity [`TableKey::to_key_bytes`] starts with: a longer key
/// (with a string) grows it as usual.
const KEY_CAPACITY: usize = 32;

fn take<const N: usize>(input: &mut &[u8]) -> Result<[u8; N], KeyError> {
    let Some((head, rest)) = input.split_first_chunk::<N>() else {
        return Err(KeyError::Truncated {
            needed: N - input.len(),
        });
    };
    *input = rest;
    Ok(*head)
}

impl TableKey for u64 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn decode_from(input: &mut &[u8]) -> Result<Self, KeyError> {
        take::<8>(input).map(u64::from_be_bytes)
    }
}

impl TableKey for u32 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn decode_from(input: &mut &[u8]) -> Result<Self, KeyError> {
        take::<4>(input).map(u32::from_be_bytes)
    }
}

const I64_SIGN: u64 = 1 << 63;

impl TableKey for i64 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&((*self as u64) ^ I64_SIGN).to_be_bytes());
    }
    fn decode_from(input: &mut &[u8]) -> Result<Self, KeyError> {
        take::<8>(input).map(|bytes| (u64::from_be_bytes(bytes) ^ I64_SIGN) as i64)
    }
}

impl TableKey for Uuid {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
    fn decode_from(input: &mut &[u8]) -> Result<Self, KeyError> {
        take::<16>(input).map(Uuid::from_bytes)
    }
}

impl TableKey for RepId {
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_uuid().encode(out);
    }
    fn decode_from(input: &mut &[u8]) -> Result<Self, KeyError> {
        Uuid::decode_from(input).map(RepId::from_uuid)
    }
}

impl TableKey for CustomerId {
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_uuid().encode(out);
    }
    fn decode_from(input: &mut &[u8]) -> Result<Self, KeyError> {
        Uuid::decode_from(input).map(CustomerId::from_uuid)
    }
}

const ESCAPE: u8 = 0x00;
const ESCAPED_ZERO: u8 = 0xFF;
const TERMINATOR: u8 = 0x01;

impl TableKey for String {
    fn encode(&self, out: &mut Vec<u8>) {
        for byte in self.bytes() {
            out.push(byte);
            if byte == ESCAPE {
                out.push(ESCAPED_ZERO);
            }
        }
        out.extend_from_slice(&[ESCAPE, TERMINATOR]);
    }
    fn decode_from(input: &mut &[u8]) -> Result<Self, KeyError> {
        let mut bytes = Vec::new();
        let mut rest = *input;
        loop {
            match rest {
                [ESCAPE, TERMINATOR, tail @ ..] => {
                    rest = tail;
                    break;
                }
                [ESCAPE, ESCAPED_ZERO, tail @ ..] => {
                    bytes.push(0);
                    rest = tail;
                }
                [ESCAPE, ..] => return Err(KeyError::Malformed("bad escape in string key")),
                [byte, tail @ ..] => {
                    bytes.push(*byte);
                    rest = tail;
                }
                [] => return Err(KeyError::Truncated { needed: 2 }),
            }
        }
        let text =
            String::from_utf8(bytes).map_err(|_| KeyError::Malformed("string key is not UTF-8"))?;
        *input = rest;
        Ok(text)
    }
}

impl TableKey for NaiveDate {
    fn encode(&self, out: &mut Vec<u8>) {
        let days = self.num_days_from_ce();
        out.extend_from_slice(&((days as u32) ^ (1 << 31)).to_be_bytes());
    }
    fn decode_from(input: &mut &[u8]) -> Result<Self, KeyError> {
        let days = (u32::from_be_bytes(take::<4>(input)?) ^ (1 << 31)) as i32;
        NaiveDate::from_num_days_from_ce_opt(days)
            .ok_or(KeyError::Malformed("date key out of range"))
    }
}

impl TableKey for () {
    fn encode(&self, _out: &mut Vec<u8>) {}
    fn decode_from(_input: &mut &[u8]) -> Result<Self, KeyError> {
        Ok(())
    }
}

impl<A: TableKey, B: TableKey> TableKey for (A, B) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }
    fn decode_from(input: &mut &[u8]) -> Result<Self, KeyError> {
        Ok((A::decode_from(input)?, B::decode_from(input)?))
    }
}

impl<A: TableKey, B: TableKey, C: TableKey> TableKey for (A, B, C) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
        self.2.encode(out);
    }
    fn decode_from(input: &mut &[u8]) -> Result<Self, KeyError> {
        Ok((
            A::decode_from(input)?,
            B::decode_from(input)?,
            C::decode_from(input)?,
        ))
    }
}

impl<A: TableKey, B: TableKey, C: TableKey, D: TableKey> TableKey for (A, B, C, D) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
        self.2.encode(out);
        self.3.encode(out);
    }
    fn decode_from(input: &mut &[u8]) -> Result<Self, KeyError> {
        Ok((
            A::decode_from(input)?,
            B::decode_from(input)?,
            C::decode_from(input)?,
            D::decode_from(input)?,
        ))
    }
}

/// The smallest encoded key strictly greater than every key that starts
/// with `prefix` (the exclusive end of a prefix scan), `None` when no such
/// key exists (the prefix is all `0xFF`).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

// ---- further ids of the business and chain-store views ----

use salesledger_domain::value::{
    ContractId, LeadId, MemberRef, PromotionId, ProposalId, SkuCode, StoreCode, TaskCardId,
};

/// A UUID id newtype encodes as its UUID.
macro_rules! uuid_id_key {
    ($($name:ident),* $(,)?) => {
        $(
            impl TableKey for $name {
                fn encode(&self, out: &mut Vec<u8>) {
                    self.as_uuid().encode(out);
                }
                fn decode_from(input: &mut &[u8]) -> Result<Self, KeyError> {
                    Uuid::decode_from(input).map($name::from_uuid)
                }
            }
        )*
    };
}

uuid_id_key!(LeadId, ContractId, ProposalId, TaskCardId, PromotionId);

// The string codes are validated value objects: they encode as their
// string (so their key order is their `Ord`, the string's) and decode
// through their own `parse`, which refuses what the domain never accepts.

macro_rules! string_code_key {
    ($name:ident, $what:literal) => {
        impl TableKey for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                encode_str(self.as_str(), out);
            }
            fn decode_from(input: &mut &[u8]) -> Result<Self, KeyError> {
                let text = String::decode_from(input)?;
                $name::parse(&text)
                    .ok()
                    .filter(|code| code.as_str() == text)
                    .ok_or(KeyError::Malformed($what))
            }
        }
    };
}

/// The [`String`] encoding of a `&str`.
fn encode_str(text: &str, out: &mut Vec<u8>) {
    for byte in text.bytes() {
        out.push(byte);
        if byte == ESCAPE {
            out.push(ESCAPED_ZERO);
        }
    }
    out.extend_from_slice(&[ESCAPE, TERMINATOR]);
}

string_code_key!(StoreCode, "not a store code");
string_code_key!(SkuCode, "not a SKU code");
string_code_key!(MemberRef, "not a member ref");
