//! The POS NDJSON wire format (`POST /v1/pos/sales`, `salesledger import
//! pos`): one JSON object per line, parsed into the domain's
//! [`PosInputLine`]s. Only the gateway knows this request shape; the
//! command layer validates the parsed lines against the catalogue and
//! records them ([`CommandService::record_pos_lines`]).
//!
//! [`RecordPosNdjson`] puts the two together on the [`CommandService`]:
//! parse a body, then record its lines, the malformed ones reported with
//! the other bad lines.

use std::borrow::Cow;
use std::future::Future;

use salesledger_commands::retail::PosBatchOutcome;
use salesledger_commands::{CommandError, CommandMeta, CommandService};
use salesledger_domain::retail::{PosInputLine, PosLineError, PosLineErrorCode};
use salesledger_domain::value::PosBatchId;
use serde::Deserialize;

/// One sale line as it arrives on the wire.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine<'a> {
    #[serde(borrow)]
    store: Cow<'a, str>,
    #[serde(borrow)]
    ticket: Cow<'a, str>,
    #[serde(borrow)]
    sku: Cow<'a, str>,
    qty: serde_json::Number,
    amount_cents: serde_json::Number,
    #[serde(default, borrow)]
    member: Option<Cow<'a, str>>,
    #[serde(borrow)]
    sold_at: Cow<'a, str>,
}

/// Parses an NDJSON body, one sale line per line (blank lines ignored,
/// line numbers 1-based over the whole body, `\r\n` accepted): the parsed
/// lines and the malformed ones. Numbers that are not integers become
/// `None` (refused later as `invalid_qty` / `invalid_amount`).
pub fn parse_pos_ndjson(body: &[u8]) -> (Vec<PosInputLine<'_>>, Vec<PosLineError>) {
    parse_pos_ndjson_from(body, 1)
}

/// [`parse_pos_ndjson`] numbering the body's first line `first_line`
/// (for a slice of a larger file).
pub fn parse_pos_ndjson_from(
    body: &[u8],
    first_line: u64,
) -> (Vec<PosInputLine<'_>>, Vec<PosLineError>) {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (idx, raw) in body.split(|byte| *byte == b'\n').enumerate() {
        let line = first_line + idx as u64;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<RawLine<'_>>(raw) {
            Ok(parsed) => lines.push(PosInputLine {
                line,
                store: parsed.store,
                ticket: parsed.ticket,
                sku: parsed.sku,
                qty: parsed.qty.as_i64(),
                amount_cents: parsed.amount_cents.as_i64(),
                member: parsed.member,
                sold_at: parsed.sold_at,
            }),
            Err(error) => {
                let reason = truncated(&error.to_string(), MAX_DETAIL_CHARS);
                errors.push(
                    PosLineError::new(line, PosLineErrorCode::MalformedLine, reason.clone())
                        .with("field", "line")
                        .with("reason", reason),
                )
            }
        }
    }
    (lines, errors)
}

/// The longest detail of a malformed line (serde's messages quote the
/// offending input, e.g. an unknown field's whole name).
const MAX_DETAIL_CHARS: usize = 200;

fn truncated(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Recording an NDJSON body of POS sale lines through the command
/// service: parsed here, validated and appended by
/// [`CommandService::record_pos_lines`] (authorisation, the batch id's
/// idempotency, every bad line reported, all or nothing).
pub trait RecordPosNdjson {
    /// Parses `body` ([`parse_pos_ndjson`]) and records its lines.
    fn record_pos_ndjson(
        &self,
        meta: &CommandMeta,
        batch_id: &PosBatchId,
        body: &[u8],
    ) -> impl Future<Output = Result<PosBatchOutcome, CommandError>> + Send;

    /// [`RecordPosNdjson::record_pos_ndjson`] for a slice of a larger file
    /// whose first line is line `first_line` (bad lines are reported with
    /// their numbers in the file).
    fn record_pos_ndjson_from(
        &self,
        meta: &CommandMeta,
        batch_id: &PosBatchId,
        body: &[u8],
        first_line: u64,
    ) -> impl Future<Output = Result<PosBatchOutcome, CommandError>> + Send;
}

impl RecordPosNdjson for CommandService {
    fn record_pos_ndjson(
        &self,
        meta: &CommandMeta,
        batch_id: &PosBatchId,
        body: &[u8],
    ) -> impl Future<Output = Result<PosBatchOutcome, CommandError>> + Send {
        self.record_pos_ndjson_from(meta, batch_id, body, 1)
    }

    async fn record_pos_ndjson_from(
        &self,
        meta: &CommandMeta,
        batch_id: &PosBatchId,
        body: &[u8],
        first_line: u64,
    ) -> Result<PosBatchOutcome, CommandError> {
        let (lines, malformed) = parse_pos_ndjson_from(body, first_line);
        self.record_pos_lines(meta, batch_id, &lines, malformed)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_over_the_body_and_blank_lines_skipped() {
        let body = concat!(
            r#"{"store":"S1","ticket":"T1","sku":"A","qty":1,"amount_cents":1250,"member":"M1","sold_at":"2026-03-01T10:15:00+08:00"}"#,
            "\r\n\n  \n",
            r#"{"store":"S2","ticket":"T2","sku":"A","qty":1.5,"amount_cents":-3,"sold_at":"2026-03-01T19:00:00+08:00"}"#,
            "\nnot json\n",
        );
        let (lines, malformed) = parse_pos_ndjson_from(body.as_bytes(), 10);
        // (line, store, qty, amount_cents, member)
        type Numbered<'a> = (u64, &'a str, Option<i64>, Option<i64>, Option<&'a str>);
        let numbered: Vec<Numbered> = lines
            .iter()
            .map(|line| {
                (
                    line.line,
                    line.store.as_ref(),
                    line.qty,
                    line.amount_cents,
                    line.member.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            numbered,
            vec![
                (10, "S1", Some(1), Some(1250), Some("M1")),
                (13, "S2", None, Some(-3), None),
            ]
        );
        let bad: Vec<(u64, &str)> = malformed
            .iter()
            .map(|error| (error.line, error.code.as_str()))
            .collect();
        assert_eq!(bad, vec![(14, "malformed_line")]);
    }

    #[test]
    fn unknown_fields_are_malformed_with_a_bounded_detail() {
        let long = "x".repeat(500);
        let body = format!(
            r#"{{"store":"S1","ticket":"T1","sku":"A","qty":1,"amount_cents":1,"sold_at":"2026-03-01T10:15:00Z","{long}":1}}"#
        );
        let (lines, malformed) = parse_pos_ndjson(body.as_bytes());
        assert!(lines.is_empty());
        assert_eq!(malformed.len(), 1);
        assert_eq!(malformed[0].line, 1);
        assert_eq!(malformed[0].code, PosLineErrorCode::MalformedLine);
        let detail = malformed[0].detail.as_str();
        assert!(detail.ends_with("..."), "{detail}");
        assert_eq!(detail.chars().count(), MAX_DETAIL_CHARS + 3);
    }
}
