//! Event records and their canonical, storage-independent byte encoding.
//!
//! The canonical encoding is what the hash chain (and later the Merkle tree)
//! covers. It is specified byte for byte in `ARCHITECTURE.md` ("Record
//! format"), so an outside verifier can recompute every hash, and the same
//! log moved to another backend keeps the same hashes. It never depends on
//! how a backend lays records out.
//!
//! This module knows nothing about sales: payloads are opaque JSON.

use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::StoreError;
pub use crate::rules::{name_problem, ExpectedVersion, Hash32, NameProblem, MAX_NAME_BYTES};

/// Version byte that starts every canonical record encoding.
pub const RECORD_FORMAT_VERSION: u8 = 1;
/// Largest accepted canonical payload, in bytes. Larger content (PDFs,
/// transcripts with audio) belongs in the blob store, referenced by SHA-256.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// A JSON document in canonical form: no insignificant whitespace, object
/// keys sorted by their UTF-8 bytes, strings and numbers as `serde_json`
/// writes them. Hashes cover these exact bytes, never a re-encoding.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CanonicalJson(String);

impl CanonicalJson {
    /// Canonicalises a JSON value.
    pub fn from_value(value: &serde_json::Value) -> CanonicalJson {
        let mut out = String::new();
        write_canonical(value, &mut out);
        CanonicalJson(out)
    }

    /// Serialises any value, then canonicalises it.
    pub fn from_serialize<T: Serialize>(value: &T) -> Result<CanonicalJson, serde_json::Error> {
        Ok(CanonicalJson::from_value(&serde_json::to_value(value)?))
    }

    /// Accepts text read back from storage as is (its bytes are what the
    /// hash covers); only checks that it is JSON.
    pub fn from_stored(text: String) -> Result<CanonicalJson, serde_json::Error> {
        serde_json::from_str::<serde::de::IgnoredAny>(&text)?;
        Ok(CanonicalJson(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    /// The top-level member `name` when the document is an object and that
    /// member is a string, as `self.to_value()?.get(name)?.as_str()` finds
    /// it (of two members of that name, the last), read without building
    /// the document: the other members are skipped unbuilt and each name
    /// is compared where it lies. Building every payload as a whole value
    /// to read one member was 4.5 % of a read-model rebuild's
    /// instructions.
    pub fn top_level_str(&self, name: &str) -> Option<String> {
        use serde::de::DeserializeSeed;
        let mut reader = serde_json::Deserializer::from_str(&self.0);
        TopLevelMember { name }.deserialize(&mut reader).ok()?
    }
}

/// [`CanonicalJson::top_level_str`]: an object's last member `name`,
/// `Some` when it is a string.
struct TopLevelMember<'n> {
    name: &'n str,
}

impl<'de> serde::de::DeserializeSeed<'de> for TopLevelMember<'_> {
    type Value = Option<String>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TopLevelMember<'_> {
    type Value = Option<String>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut members: A,
    ) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(named) = members.next_key_seed(IsName(self.name))? {
            if named {
                let value: serde_json::Value = members.next_value()?;
                found = Some(value.as_str().map(str::to_owned));
            } else {
                members.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(found.flatten())
    }
}

/// Whether a member's name is the one sought (compared, not copied).
struct IsName<'n>(&'n str);

impl<'de> serde::de::DeserializeSeed<'de> for IsName<'_> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for IsName<'_> {
    type Value = bool;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a member name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<bool, E> {
        Ok(name == self.0)
    }
}

impl fmt::Debug for CanonicalJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => write_json_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (item_idx, item) in items.iter().enumerate() {
                if item_idx > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorted explicitly: serde_json's map order depends on a cargo
            // feature (`preserve_order`) that any crate in a build may turn on.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|left, right| left.0.as_bytes().cmp(right.0.as_bytes()));
            out.push('{');
            for (entry_idx, (key, item)) in entries.into_iter().enumerate() {
                if entry_idx > 0 {
                    out.push(',');
                }
                write_json_string(key, out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

fn write_json_string(text: &str, out: &mut String) {
    // serde_json's string escaping: `"`, `\`, and control characters.
    match serde_json::to_string(text) {
        Ok(escaped) => out.push_str(&escaped),
        // Serialising a &str cannot fail; keep the encoding total anyway.
        Err(_) => out.push_str("\"\""),
    }
}

/// One event to append, as the caller describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub event_type: String,
    pub schema_version: u32,
    pub payload: CanonicalJson,
}

impl NewEvent {
    pub fn new(
        event_type: impl Into<String>,
        schema_version: u32,
        payload: &serde_json::Value,
    ) -> NewEvent {
        NewEvent {
            event_type: event_type.into(),
            schema_version,
            payload: CanonicalJson::from_value(payload),
        }
    }
}

/// Who and what caused an append; copied into every record of the append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendMetadata {
    pub actor: String,
    pub command_id: Uuid,
    pub correlation_id: Uuid,
    pub causation_id: Uuid,
}

/// An idempotency key, with an optional fingerprint of the request it
/// stands for. Repeating a stored key returns the original outcome; with a
/// different fingerprint it is [`StoreError::IdempotencyKeyReused`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idempotency {
    pub key: String,
    pub fingerprint: Option<Hash32>,
}

/// Everything one `append` call carries. All its events land together or
/// not at all.
///
/// A request with no events is admitted only with an idempotency key: it
/// appends no record, checks the expected version as any append does, and
/// stores the key (as durably as an append) with an outcome that says
/// nothing was appended ([`AppendOutcome::no_events`]). A caller whose
/// decision changed nothing records it this way, so a repeat of the key is
/// answered with that decision instead of being decided again.
#[derive(Clone, Debug, PartialEq)]
pub struct AppendRequest {
    pub stream_id: String,
    pub expected_version: ExpectedVersion,
    pub events: Vec<NewEvent>,
    pub metadata: AppendMetadata,
    pub idempotency: Option<Idempotency>,
}

impl AppendRequest {
    /// Checks limits that do not depend on the log's state.
    pub fn validate(&self) -> Result<(), StoreError> {
        validate_name("stream id", &self.stream_id)?;
        validate_name("actor", &self.metadata.actor)?;
        if self.events.is_empty() && self.idempotency.is_none() {
            return Err(StoreError::InvalidAppend(
                "an append needs at least one event, or an idempotency key to record".into(),
            ));
        }
        for event in &self.events {
            validate_name("event type", &event.event_type)?;
            if event.payload.len() > MAX_PAYLOAD_BYTES {
                return Err(StoreError::InvalidAppend(format!(
                    "payload of {} bytes exceeds {} bytes; store large content in the blob store",
                    event.payload.len(),
                    MAX_PAYLOAD_BYTES
                )));
            }
        }
        if let Some(idempotency) = &self.idempotency {
            validate_name("idempotency key", &idempotency.key)?;
        }
        Ok(())
    }
}

pub(crate) fn validate_name(what: &str, value: &str) -> Result<(), StoreError> {
    match name_problem(value) {
        Some(problem) => Err(StoreError::InvalidAppend(format!("{what} {problem}"))),
        None => Ok(()),
    }
}

/// What a successful append reports. Repeating an idempotent append returns
/// the same outcome with `replayed: true`.
///
/// An append without events (a keyed no-op, see [`AppendRequest`]) has
/// `no_events` set and `event_ids` empty; its position and version fields
/// then name no record (both positions are the log's length at the time,
/// both versions the stream's version or 0, `last_hash` the log's head):
/// read [`AppendOutcome::no_events`] (or [`AppendOutcome::positions`])
/// before them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendOutcome {
    pub stream_id: String,
    pub first_position: u64,
    pub last_position: u64,
    pub first_version: u64,
    pub last_version: u64,
    pub event_ids: Vec<Uuid>,
    pub last_hash: Hash32,
    pub recorded_at: DateTime<Utc>,
    #[serde(default)]
    pub replayed: bool,
    /// `Some` when the append carried no events: nothing was appended, the
    /// key was recorded. Absent from the stored form of an append of
    /// events, so outcomes stored before it existed read as appends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_events: Option<NoEvents>,
}

/// What an append without events recorded with its idempotency key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoEvents {
    /// The stream's last version the append's expected version was checked
    /// against; `None`: the stream had no events.
    pub stream_version: Option<u64>,
    /// The log's length then: every record the decision could have seen
    /// lies below it.
    pub log_len: u64,
    /// The command that recorded the key ([`AppendMetadata::command_id`]).
    pub command_id: Uuid,
}

impl AppendOutcome {
    /// The positions of the appended records; `None` when nothing was
    /// appended.
    pub fn positions(&self) -> Option<std::ops::RangeInclusive<u64>> {
        match self.no_events {
            Some(_) => None,
            None => Some(self.first_position..=self.last_position),
        }
    }

    /// The stream's last version after the append (`None`: an append
    /// without events on a stream that has none).
    pub fn stream_version(&self) -> Option<u64> {
        match self.no_events {
            Some(no_events) => no_events.stream_version,
            None => Some(self.last_version),
        }
    }

    /// Whether everything this outcome reports lies in a log of `len`
    /// records: its records, or for an append without events the log it
    /// was checked against. A store answers a key only then, so a caller
    /// never learns of records it cannot read yet.
    pub fn within(&self, len: u64) -> bool {
        match self.no_events {
            Some(no_events) => no_events.log_len <= len,
            None => self.last_position < len,
        }
    }
}

/// One stored event: its place in the log, its metadata, its payload and
/// its link in the hash chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedEvent {
    pub position: u64,
    pub event_id: Uuid,
    pub stream_id: String,
    pub stream_version: u64,
    pub event_type: String,
    pub schema_version: u32,
    /// Microsecond precision; non-decreasing along positions.
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    pub command_id: Uuid,
    pub correlation_id: Uuid,
    pub causation_id: Uuid,
    pub payload: CanonicalJson,
    pub prev_hash: Hash32,
    pub hash: Hash32,
}

impl RecordedEvent {
    /// The canonical encoding of this record (everything but `hash`).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160 + self.payload.len() + self.stream_id.len());
        out.push(RECORD_FORMAT_VERSION);
        out.extend_from_slice(&self.position.to_be_bytes());
        out.extend_from_slice(self.event_id.as_bytes());
        put_text(&mut out, &self.stream_id);
        out.extend_from_slice(&self.stream_version.to_be_bytes());
        put_text(&mut out, &self.event_type);
        out.extend_from_slice(&self.schema_version.to_be_bytes());
        out.extend_from_slice(&self.recorded_at.timestamp_micros().to_be_bytes());
        put_text(&mut out, &self.actor);
        out.extend_from_slice(self.command_id.as_bytes());
        out.extend_from_slice(self.correlation_id.as_bytes());
        out.extend_from_slice(self.causation_id.as_bytes());
        put_text(&mut out, self.payload.as_str());
        out.extend_from_slice(&self.prev_hash.0);
        out
    }

    /// SHA-256 of the canonical encoding: what `hash` must equal.
    pub fn compute_hash(&self) -> Hash32 {
        Hash32::sha256(&self.canonical_bytes())
    }

    /// Decodes a canonical encoding followed by the 32-byte hash, the form
    /// the embedded backend stores. `position` is where it was found, for
    /// error messages.
    pub fn decode_stored(position: u64, bytes: &[u8]) -> Result<RecordedEvent, StoreError> {
        let corrupt = |reason: &str| StoreError::CorruptRecord {
            position,
            reason: reason.to_owned(),
        };
        let mut reader = Reader { bytes, offset: 0 };
        let format = reader.take(1).ok_or_else(|| corrupt("empty record"))?[0];
        if format != RECORD_FORMAT_VERSION {
            return Err(corrupt(&format!("unknown record format {format}")));
        }
        let record = (|| {
            Some(RecordedEvent {
                position: reader.u64()?,
                event_id: reader.uuid()?,
                stream_id: reader.text()?,
                stream_version: reader.u64()?,
                event_type: reader.text()?,
                schema_version: reader.u32()?,
                recorded_at: Utc.timestamp_micros(reader.i64()?).single()?,
                actor: reader.text()?,
                command_id: reader.uuid()?,
                correlation_id: reader.uuid()?,
                causation_id: reader.uuid()?,
                payload: CanonicalJson(reader.text()?),
                prev_hash: reader.hash()?,
                hash: reader.hash()?,
            })
        })()
        .ok_or_else(|| corrupt("truncated or not UTF-8"))?;
        if reader.offset != bytes.len() {
            return Err(corrupt("trailing bytes"));
        }
        Ok(record)
    }

    /// The stored form: canonical bytes, then the hash.
    pub fn encode_stored(&self) -> Vec<u8> {
        let mut out = self.canonical_bytes();
        out.extend_from_slice(&self.hash.0);
        out
    }
}

/// The `recorded_at` of the next append: the store's clock in whole
/// microseconds (what the canonical encoding keeps), never earlier than
/// the previous record's, so it is non-decreasing along positions.
pub fn next_recorded_at(last: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let now_micros = Utc::now().timestamp_micros();
    let now = Utc
        .timestamp_micros(now_micros)
        .single()
        .unwrap_or_else(Utc::now);
    match last {
        Some(last) if last > now => last,
        _ => now,
    }
}

/// Builds the records of one admitted append, chained after `prev_hash`,
/// and its outcome. Every backend builds records here, so the same log has
/// the same bytes and hashes whatever stores it.
pub fn chain_records(
    request: &AppendRequest,
    first_position: u64,
    first_version: u64,
    prev_hash: Hash32,
    recorded_at: DateTime<Utc>,
) -> (Vec<RecordedEvent>, AppendOutcome) {
    let mut records = Vec::with_capacity(request.events.len());
    let mut last_hash = prev_hash;
    for (event_idx, event) in request.events.iter().enumerate() {
        let mut record = RecordedEvent {
            position: first_position + event_idx as u64,
            event_id: Uuid::now_v7(),
            stream_id: request.stream_id.clone(),
            stream_version: first_version + event_idx as u64,
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            recorded_at,
            actor: request.metadata.actor.clone(),
            command_id: request.metadata.command_id,
            correlation_id: request.metadata.correlation_id,
            causation_id: request.metadata.causation_id,
            payload: event.payload.clone(),
            prev_hash: last_hash,
            hash: Hash32::ZERO,
        };
        record.hash = record.compute_hash();
        last_hash = record.hash;
        records.push(record);
    }
    let n_events = records.len() as u64;
    let outcome = AppendOutcome {
        stream_id: request.stream_id.clone(),
        first_position,
        last_position: first_position + n_events.saturating_sub(1),
        first_version,
        last_version: first_version + n_events.saturating_sub(1),
        event_ids: records.iter().map(|record| record.event_id).collect(),
        last_hash,
        recorded_at,
        replayed: false,
        no_events: None,
    };
    (records, outcome)
}

/// The outcome of an admitted append without events (an idempotency key
/// recorded, nothing appended) on a stream whose last version is
/// `stream_version`, in a log of `log_len` records (those committed and
/// those staged before it in its batch) ending with `last_hash`. Every
/// backend builds it here.
pub fn no_events_outcome(
    request: &AppendRequest,
    stream_version: Option<u64>,
    log_len: u64,
    last_hash: Hash32,
    recorded_at: DateTime<Utc>,
) -> AppendOutcome {
    AppendOutcome {
        stream_id: request.stream_id.clone(),
        first_position: log_len,
        last_position: log_len,
        first_version: stream_version.unwrap_or(0),
        last_version: stream_version.unwrap_or(0),
        event_ids: Vec::new(),
        last_hash,
        recorded_at,
        replayed: false,
        no_events: Some(NoEvents {
            stream_version,
            log_len,
            command_id: request.metadata.command_id,
        }),
    }
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    // Lengths are bounded by MAX_PAYLOAD_BYTES / MAX_NAME_BYTES at append,
    // so they always fit in a u32.
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n_bytes: usize) -> Option<&'a [u8]> {
        let end = self.offset.checked_add(n_bytes)?;
        let slice = self.bytes.get(self.offset..end)?;
        self.offset = end;
        Some(slice)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.array()?))
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_be_bytes(self.array()?))
    }

    fn uuid(&mut self) -> Option<Uuid> {
        Some(Uuid::from_bytes(self.array()?))
    }

    fn hash(&mut self) -> Option<Hash32> {
        Some(Hash32(self.array()?))
    }

    fn text(&mut self) -> Option<String> {
        let len = usize::try_from(self.u32()?).ok()?;
        let raw = self.take(len)?;
        String::from_utf8(raw.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A member is found exactly where the whole JSON value finds it: top
    /// level only, a string only, the last of two members of the name, an
    /// escaped name, and nothing in what is not an object.
    #[test]
    fn a_top_level_member_is_the_one_the_json_value_names() {
        let id = "0192f0a4-5b6c-7d8e-9f00-112233445566";
        let other = "0192f0a4-5b6c-7d8e-9f00-665544332211";
        let documents = [
            format!(r#"{{"customer_id":"{id}","rep_id":"x","lines":[1,2,{{"a":null}}]}}"#),
            format!(r#"{{"lead_id":"y","customer_id":"{id}"}}"#),
            format!(r#"{{"nested":{{"customer_id":"{id}"}},"n":1}}"#),
            format!(r#"{{"nested":{{"customer_id":"{id}"}},"customer_id":"{other}"}}"#),
            format!(r#"{{"customer_id":"{id}","customer_id":"{other}"}}"#),
            format!(r#"{{"customer_id":"{id}","customer_id":7}}"#),
            format!(r#"{{"customer_id":7,"customer_id":"{id}"}}"#),
            format!(r#"{{"customer\u005fid":"{id}","x":"\"customer_id\":\""}}"#),
            r#"{"customer_id":"not a uuid","x":"a\"b"}"#.to_owned(),
            r#"{"customer_id":""}"#.to_owned(),
            r#"{"customer_id":null}"#.to_owned(),
            format!(r#"["customer_id","{id}"]"#),
            r#""customer_id""#.to_owned(),
            "7".to_owned(),
        ];
        let mut found = 0;
        for text in documents {
            let document = CanonicalJson::from_stored(text.clone()).expect("JSON");
            let expected = document
                .to_value()
                .expect("JSON")
                .get("customer_id")
                .and_then(|value| value.as_str())
                .map(str::to_owned);
            assert_eq!(document.top_level_str("customer_id"), expected, "{text}");
            found += usize::from(expected.is_some());
        }
        assert!(found >= 7, "the documents name a customer {found} times");
    }

    /// Outcomes stored before appends without events existed (every
    /// stored key of an older log) read as appends of events, and an
    /// append's stored form is unchanged; an outcome without events
    /// round-trips.
    #[test]
    fn stored_outcomes_read_the_same_with_and_without_events() {
        let old = r#"{"stream_id":"customer-1","first_position":3,"last_position":4,"first_version":0,"last_version":1,"event_ids":["0192f0a4-5b6c-7d8e-9f00-112233445566","0192f0a4-5b6c-7d8e-9f00-665544332211"],"last_hash":"0909090909090909090909090909090909090909090909090909090909090909","recorded_at":"2026-03-02T09:30:00Z","replayed":false}"#;
        let outcome: AppendOutcome = serde_json::from_str(old).expect("an old stored outcome");
        assert_eq!(outcome.no_events, None);
        assert_eq!(outcome.positions(), Some(3..=4));
        assert_eq!(outcome.stream_version(), Some(1));
        assert!(outcome.within(5) && !outcome.within(4));
        let written = serde_json::to_value(&outcome).expect("JSON");
        assert_eq!(
            written,
            serde_json::from_str::<serde_json::Value>(old).expect("JSON")
        );

        let mut request = AppendRequest {
            stream_id: "customer-1".into(),
            expected_version: ExpectedVersion::NoStream,
            events: Vec::new(),
            metadata: AppendMetadata {
                actor: "rep:li.wei".into(),
                command_id: Uuid::from_u128(2),
                correlation_id: Uuid::from_u128(3),
                causation_id: Uuid::from_u128(4),
            },
            idempotency: None,
        };
        assert!(
            matches!(request.validate(), Err(StoreError::InvalidAppend(_))),
            "no events and no key"
        );
        request.idempotency = Some(Idempotency {
            key: "k".into(),
            fingerprint: None,
        });
        request.validate().expect("no events with a key");
        let nothing = no_events_outcome(&request, None, 7, Hash32([9; 32]), outcome.recorded_at);
        assert_eq!(
            (nothing.positions(), nothing.stream_version()),
            (None, None)
        );
        assert!(nothing.within(7) && !nothing.within(6));
        let text = serde_json::to_string(&nothing).expect("JSON");
        assert_eq!(
            serde_json::from_str::<AppendOutcome>(&text).expect("round trip"),
            nothing
        );
    }

    #[test]
    fn evidence_hashes_are_lowercase_only_and_typed_digests_either_case() {
        let hash = Hash32::sha256(b"salesledger");
        let lower = hash.to_hex();
        let upper = lower.to_ascii_uppercase();
        assert_eq!(Hash32::parse_hex(&lower), Some(hash));
        assert_eq!(Hash32::parse_hex(&upper), None);
        let quoted = format!("\"{upper}\"");
        assert!(serde_json::from_str::<Hash32>(&quoted).is_err());
        assert_eq!(Hash32::parse_hex_any_case(&upper), Some(hash));
        assert_eq!(Hash32::parse_hex_any_case(&lower[1..]), None);
    }

    fn sample() -> RecordedEvent {
        let mut record = RecordedEvent {
            position: 7,
            event_id: Uuid::from_u128(1),
            stream_id: "customer-42".into(),
            stream_version: 3,
            event_type: "CustomerClaimed".into(),
            schema_version: 2,
            recorded_at: Utc
                .timestamp_micros(1_700_000_000_123_456)
                .single()
                .expect("valid"),
            actor: "rep:li.wei".into(),
            command_id: Uuid::from_u128(2),
            correlation_id: Uuid::from_u128(3),
            causation_id: Uuid::from_u128(4),
            payload: CanonicalJson::from_value(
                &serde_json::json!({"b": 1, "a": [true, null, "x"]}),
            ),
            prev_hash: Hash32([9; 32]),
            hash: Hash32::ZERO,
        };
        record.hash = record.compute_hash();
        record
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let value: serde_json::Value =
            serde_json::from_str(r#"{ "b": {"z": 1, "y": "é\n"}, "a": [1.5, -2] }"#).expect("json");
        assert_eq!(
            CanonicalJson::from_value(&value).as_str(),
            r#"{"a":[1.5,-2],"b":{"y":"é\n","z":1}}"#
        );
    }

    #[test]
    fn stored_form_round_trips() {
        let record = sample();
        let decoded = RecordedEvent::decode_stored(7, &record.encode_stored()).expect("decodes");
        assert_eq!(decoded, record);
        assert_eq!(decoded.compute_hash(), record.hash);
    }

    #[test]
    fn canonical_layout_is_the_documented_one() {
        let record = sample();
        let bytes = record.canonical_bytes();
        assert_eq!(bytes[0], 1);
        assert_eq!(&bytes[1..9], &7u64.to_be_bytes());
        assert_eq!(&bytes[9..25], Uuid::from_u128(1).as_bytes());
        assert_eq!(&bytes[25..29], &11u32.to_be_bytes());
        assert_eq!(&bytes[29..40], b"customer-42");
        assert_eq!(&bytes[bytes.len() - 32..], &[9u8; 32]);
        // Pinned: if this changes, every stored hash changes.
        assert_eq!(
            record.hash.to_hex(),
            "eaecf62ca520cd7a235aabb71a7ebf92b47e143d6bcb572a3d9545633316b628"
        );
    }

    #[test]
    fn truncated_record_names_its_position() {
        let stored = sample().encode_stored();
        let error =
            RecordedEvent::decode_stored(7, &stored[..stored.len() - 1]).expect_err("truncated");
        assert!(
            matches!(error, StoreError::CorruptRecord { position: 7, .. }),
            "{error}"
        );
    }
}
