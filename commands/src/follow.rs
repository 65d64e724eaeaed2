//! Following the log from a position: what the registry and the retail
//! catalogue fold from it. A leaf of the crate (the store, the domain and
//! the crate's error type only).

use salesledger_domain::{DomainError, Event};
use salesledger_store::{RecordedEvent, Store, READ_PAGE};

use crate::error::{decode_record, CommandError};

/// State folded from the log, record by record.
pub(crate) trait Follower {
    /// The next position to apply (everything before it is applied).
    fn next_position(&mut self) -> &mut u64;
    /// Whether the records of `stream` concern it (the others are not
    /// decoded).
    fn wanted(&self, stream: &str) -> bool;
    /// Applies one decoded record.
    fn apply(&mut self, record: &RecordedEvent, event: &Event);
}

/// Applies the records from the follower's next position until `target`
/// (a log length) is reflected, moving its position past each record as
/// it goes (a fold cut short, e.g. a dropped future, resumes after the
/// last record applied): the records of the streams it wants are decoded
/// and applied; one of an event type this binary does not know (a newer
/// module's) is passed over; any other record that does not decode stops
/// the fold with its error. Does no I/O when `target` is already
/// reflected.
pub(crate) async fn follow_log(
    store: &dyn Store,
    follower: &mut impl Follower,
    target: u64,
) -> Result<(), CommandError> {
    while *follower.next_position() < target {
        let records = store.read_all(*follower.next_position(), READ_PAGE).await?;
        if records.is_empty() {
            break;
        }
        for record in &records {
            if follower.wanted(&record.stream_id) {
                match decode_record(record) {
                    Ok(event) => follower.apply(record, &event),
                    Err(CommandError::Corrupt {
                        source: DomainError::UnknownEventType { .. },
                        ..
                    }) => {}
                    Err(error) => return Err(error),
                }
            }
            *follower.next_position() = record.position + 1;
        }
    }
    Ok(())
}
