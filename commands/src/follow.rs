//! Following the log from a position: what the registry and the retail
//! catalogue fold from it. A leaf of the crate (the store, the domain and
//! the crate's error type only).

use salesledger_domain::{DomainError, Event};
use salesledger_store::{RecordedEvent, Store, READ_PAGE};

use crate::error::{decode_record, CommandError};

/// Applies the records from `*next_position` until `target` (a log
/// length) is reflected, advancing `*next_position` past each: the
/// records whose stream `wanted` names are decoded and given to `apply`;
/// one of an event type this binary does not know (a newer module's) is
/// passed over; any other record that does not decode stops the fold with
/// its error. Does no I/O when `target` is already reflected.
pub(crate) async fn follow_log(
    store: &dyn Store,
    next_position: &mut u64,
    target: u64,
    wanted: impl Fn(&str) -> bool,
    mut apply: impl FnMut(&RecordedEvent, Event),
) -> Result<(), CommandError> {
    while *next_position < target {
        let records = store.read_all(*next_position, READ_PAGE).await?;
        if records.is_empty() {
            break;
        }
        for record in &records {
            if wanted(&record.stream_id) {
                match decode_record(record) {
                    Ok(event) => apply(record, event),
                    Err(CommandError::Corrupt {
                        source: DomainError::UnknownEventType { .. },
                        ..
                    }) => {}
                    Err(error) => return Err(error),
                }
            }
            *next_position = record.position + 1;
        }
    }
    Ok(())
}
