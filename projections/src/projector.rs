//! The [`Projector`] trait: a named, versioned, pure fold from event records
//! to a serialisable read model, and the decoding every projector shares.
//!
//! A projector sees each record once, in position order, together with its
//! decoded domain event. It must be deterministic: the same records always
//! give the same model, byte for byte once serialised. It must not know
//! where its model is stored, when it is persisted, or the clock.

use salesledger_domain::{DomainError, Event};
use salesledger_store::RecordedEvent;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ProjectionError;

/// A pure fold from records to a read model.
///
/// `NAME` identifies the projector's stored model (it never changes);
/// `VERSION` is bumped whenever `apply` or the model's shape changes, which
/// makes a runner rebuild this projector, and only this one, from position 0.
pub trait Projector: Send + Sync + 'static {
    /// Stable name, e.g. `"responsibility"`. Lowercase, no spaces.
    const NAME: &'static str;
    /// Version of the fold and of the model's shape.
    const VERSION: u32;
    /// The read model. Its serialisation must not depend on hash-map order.
    type Model: Default + Clone + Serialize + DeserializeOwned + Send + Sync + 'static;

    /// Folds one record (already decoded into `event`) into the model.
    fn apply(model: &mut Self::Model, record: &RecordedEvent, event: &Event);
}

/// Decodes a record's domain event through the domain's one decoder
/// ([`salesledger_domain::decode_record`]). `Ok(None)` when the event type
/// is unknown to this build (the record is skipped by every projector).
pub fn decode_record(record: &RecordedEvent) -> Result<Option<Event>, ProjectionError> {
    match salesledger_domain::decode_record(
        &record.event_type,
        record.schema_version,
        record.payload.as_str(),
    ) {
        Ok(event) => Ok(Some(event)),
        Err(DomainError::UnknownEventType { .. }) => Ok(None),
        Err(source) => Err(ProjectionError::Decode {
            position: record.position,
            source,
        }),
    }
}

/// Decodes one record and folds it into `model` (skipping unknown types).
pub fn apply_record<P: Projector>(
    model: &mut P::Model,
    record: &RecordedEvent,
) -> Result<(), ProjectionError> {
    if let Some(event) = decode_record(record)? {
        P::apply(model, record, &event);
    }
    Ok(())
}

/// Folds records, in the order given, into a fresh model.
pub fn fold_all<'a, P: Projector>(
    records: impl IntoIterator<Item = &'a RecordedEvent>,
) -> Result<P::Model, ProjectionError> {
    let mut model = P::Model::default();
    for record in records {
        apply_record::<P>(&mut model, record)?;
    }
    Ok(model)
}
