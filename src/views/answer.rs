//! The bytes of a view's answer, `{view, position, data[, next_cursor]}`
//! (the gateway's `ViewResponse` shape): one writer for the gateway's view
//! routes and for what offline `rebuild` writes and `replay` prints
//! ([`super::whole`]).

use salesledger_replay::readmodel::Checkpoint;
use serde::Serialize;

/// The last position committed rows reflect (`None` before the first).
pub fn reflected(checkpoint: Checkpoint) -> Option<u64> {
    checkpoint.next_position.checked_sub(1)
}

/// The bytes of a view's answer (with `next_cursor` when `Some`): what
/// the gateway answers and what offline `rebuild` writes to
/// `DIR/<view>.json` ([`super::whole`]).
pub fn envelope<R: Serialize>(
    name: &str,
    data: &R,
    position: Option<u64>,
    next_cursor: Option<Option<String>>,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut bytes = Vec::new();
    write_envelope(&mut bytes, name, data, position, next_cursor)?;
    Ok(bytes)
}

/// [`envelope`] of an unpaged answer written to `out` (`data` may be read
/// as it is serialised, see [`super::whole`]).
pub fn envelope_to<R: Serialize>(
    out: &mut dyn std::io::Write,
    name: &str,
    data: &R,
    position: Option<u64>,
) -> Result<(), serde_json::Error> {
    write_envelope(out, name, data, position, None)
}

fn write_envelope<R: Serialize>(
    out: &mut dyn std::io::Write,
    name: &str,
    data: &R,
    position: Option<u64>,
    next_cursor: Option<Option<String>>,
) -> Result<(), serde_json::Error> {
    // Straight to bytes, the `ViewResponse` shape: a large view (a
    // penetration grid of every store is tens of thousands of cells) is
    // not copied into a `serde_json::Value` first.
    #[derive(Serialize)]
    struct Envelope<'a, T> {
        view: &'a str,
        position: Option<u64>,
        data: &'a T,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_cursor: Option<Option<String>>,
    }
    serde_json::to_writer(
        out,
        &Envelope {
            view: name,
            position,
            data,
            next_cursor,
        },
    )
}
