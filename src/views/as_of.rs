//! A subject's responsibility log as the log stood at a time ("as of T"),
//! without HTTP: the subject's own records read from the log, and the
//! responsibility projector folded over them up to T with
//! [`crate::offline::fold_until`] (the fold `salesledger replay --as-of`
//! uses). The gateway's `as_of` reads answer from it
//! (`gateway/views/responsibility.rs`).

use chrono::{DateTime, Utc};
use salesledger_projections::responsibility::{Change, Entry, ResponsibilityView};
use salesledger_projections::{ProjectionError, Projector, ResponsibilityLog};
use salesledger_store::{RecordedEvent, Store, StoreError, READ_PAGE};

use crate::offline::{fold_until, Until};

/// The records of `stream_ids`, in log order.
pub async fn records_of(
    store: &dyn Store,
    stream_ids: &[String],
) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut records = Vec::new();
    for stream_id in stream_ids {
        let mut from_version = 0;
        loop {
            let page = store
                .read_stream(stream_id, from_version, READ_PAGE)
                .await?;
            let n_records = page.len();
            if let Some(last) = page.last() {
                from_version = last.stream_version + 1;
            }
            records.extend(page);
            if n_records < READ_PAGE {
                break;
            }
        }
    }
    records.sort_by_key(|record| record.position);
    Ok(records)
}

/// The responsibility projector folded over `records` up to `as_of` (to
/// their end without it), and the last position folded.
pub fn fold(
    records: &[RecordedEvent],
    as_of: Option<DateTime<Utc>>,
) -> Result<(ResponsibilityView, Option<u64>), ProjectionError> {
    let mut view = ResponsibilityView::default();
    let until = as_of.map_or(Until::End, Until::Time);
    let (last, _) = fold_until(records, until, |record, event| {
        ResponsibilityLog::apply(&mut view, record, event)
    })?;
    Ok((view, last))
}

/// An entry that changes who owns the customer (or registers it).
pub fn is_ownership_change(entry: &Entry) -> bool {
    match &entry.change {
        Change::CustomerRegistered { .. }
        | Change::Claimed { .. }
        | Change::Transferred { .. }
        | Change::Released { .. }
        | Change::RecalledToPool { .. }
        | Change::ReturnedToPool { .. } => true,
        Change::LeadRegistered { .. }
        | Change::BudgetConfirmed { .. }
        | Change::TechnicalFitConfirmed { .. }
        | Change::RoutingProposed { .. }
        | Change::RoutingConfirmed { .. } => false,
    }
}
