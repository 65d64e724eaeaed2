//! The event catalogue: every event type, its stable name and schema
//! version, and the encoding to and from `(event_type, schema_version,
//! payload)` with upcasters for older versions.
//!
//! The event structs live with their aggregates; this module only gathers
//! them. Names never change once published; a changed payload shape gets a
//! new schema version and an upcaster from the previous one. This module
//! knows JSON values (the payload format) but not the store's record format,
//! hashing or envelopes (actor, correlation ids): those are the store's and
//! the command layer's.

use serde_json::Value;

use crate::account::{
    CallbackTaskCompleted, CallbackTaskCreated, CallbackTaskMissed, CompetitorKeywordsSearched,
    HealthLevelChanged, RenewalDateSet, RenewalQuoted, RenewalQuotingFrozen,
    RenewalQuotingUnfrozen, RescuePlanApproved, RescuePlanSubmitted, SuccessCasePushed,
    SuccessReferenceRecorded, SupportTicketOpened, SupportTicketResolved, UsageReported,
};
use crate::asset::ProcessAssetRecorded;
use crate::calendar::DayClosed;
use crate::config::{
    ExtractionDictionaryPublished, HealthPolicyPublished, NurtureTemplatePublished,
    PoolPolicyPublished, RoutingRulesPublished,
};
use crate::contract::{ContractSigned, InstalmentOverdue, OverdueTaskCardIssued, PaymentReceived};
use crate::customer::{
    CustomerAttributesSet, CustomerClaimed, CustomerRecalledToPool, CustomerRegistered,
    CustomerReleased, CustomerReturnedToPool, CustomerStanceRecorded, CustomerTransferred,
    FollowUpRecorded, TrackingConsentRecorded, TrackingConsentWithdrawn,
};
use crate::error::DomainError;
use crate::lead::{
    LeadBudgetConfirmed, LeadRegistered, LeadStageAdvanced, LeadTechnicalFitConfirmed,
    RoutingConfirmed, RoutingProposed,
};
use crate::nurture::{
    NurturePackClosed, NurturePackStarted, NurtureResponseRecorded, NurtureStepSent,
};
use crate::proposal::{
    ProposalCreated, ProposalDelivered, ProposalEmailDelivered, ProposalLinkOpened,
    ProposalLinkOpenedWithoutConsent, ProposalPdfUploaded,
};
use crate::rep::{RepCapabilitiesChanged, RepDeactivated, RepRegistered};
use crate::retail::{
    MemberEnrolled, PosTicketsRecorded, PromotionLaunched, RetailPolicyPublished, SkuRegistered,
    StoreOpened,
};
use crate::visit::{
    TodoCompleted, TodoCreated, VisitExtractionConfirmed, VisitExtractionProposed, VisitLogged,
};

macro_rules! event_catalogue {
    ($( $variant:ident => $version:literal ),* $(,)?) => {
        /// Every domain event. The variant name is the stable event type.
        /// Deliberately not `Serialize`: the only way to bytes is [`encode`],
        /// which records the schema version.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Event {
            $( $variant($variant), )*
        }

        impl Event {
            /// The stable name of this event's type, e.g. `"CustomerClaimed"`.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $( Event::$variant(_) => stringify!($variant), )*
                }
            }

            /// The current schema version of this event's type.
            pub fn schema_version(&self) -> u32 {
                match self {
                    $( Event::$variant(_) => $version, )*
                }
            }
        }

        /// Every event type with its current schema version.
        pub const EVENT_CATALOGUE: &[(&str, u32)] = &[
            $( (stringify!($variant), $version), )*
        ];

        fn encode_payload(event: &Event) -> Result<Value, serde_json::Error> {
            match event {
                $( Event::$variant(inner) => serde_json::to_value(inner), )*
            }
        }

        /// A payload at the current schema version straight from its text
        /// (no `Value` in between).
        fn decode_current_text(event_type: &str, payload: &str) -> Option<Result<Event, serde_json::Error>> {
            match event_type {
                $( stringify!($variant) => Some(serde_json::from_str(payload).map(Event::$variant)), )*
                _ => None,
            }
        }

        fn decode_current(event_type: &str, payload: Value) -> Option<Result<Event, serde_json::Error>> {
            match event_type {
                $( stringify!($variant) => Some(serde_json::from_value(payload).map(Event::$variant)), )*
                _ => None,
            }
        }

        $(
            impl From<$variant> for Event {
                fn from(inner: $variant) -> Event {
                    Event::$variant(inner)
                }
            }
        )*
    };
}

event_catalogue! {
    // config
    RoutingRulesPublished => 1,
    PoolPolicyPublished => 1,
    ExtractionDictionaryPublished => 1,
    NurtureTemplatePublished => 1,
    // rep
    RepRegistered => 2,
    RepCapabilitiesChanged => 1,
    RepDeactivated => 1,
    // customer
    CustomerRegistered => 1,
    CustomerAttributesSet => 1,
    CustomerClaimed => 1,
    CustomerTransferred => 1,
    CustomerReleased => 1,
    CustomerRecalledToPool => 1,
    CustomerReturnedToPool => 1,
    FollowUpRecorded => 1,
    TrackingConsentRecorded => 1,
    TrackingConsentWithdrawn => 1,
    CustomerStanceRecorded => 1,
    // lead and routing
    LeadRegistered => 1,
    LeadBudgetConfirmed => 1,
    LeadTechnicalFitConfirmed => 1,
    RoutingProposed => 1,
    RoutingConfirmed => 2,
    // visit
    VisitLogged => 2,
    VisitExtractionProposed => 1,
    VisitExtractionConfirmed => 1,
    TodoCreated => 1,
    TodoCompleted => 1,
    // nurture
    NurturePackStarted => 1,
    NurtureStepSent => 1,
    NurtureResponseRecorded => 1,
    NurturePackClosed => 1,
    // proposal
    ProposalCreated => 1,
    ProposalPdfUploaded => 1,
    ProposalEmailDelivered => 1,
    ProposalLinkOpened => 1,
    ProposalLinkOpenedWithoutConsent => 1,
    ProposalDelivered => 1,
    // calendar
    DayClosed => 1,
    // health configuration
    HealthPolicyPublished => 1,
    // account (customer success, health)
    UsageReported => 1,
    SupportTicketOpened => 1,
    SupportTicketResolved => 1,
    RenewalDateSet => 1,
    SuccessReferenceRecorded => 1,
    CompetitorKeywordsSearched => 1,
    CallbackTaskMissed => 1,
    HealthLevelChanged => 1,
    SuccessCasePushed => 1,
    CallbackTaskCreated => 1,
    RenewalQuotingFrozen => 1,
    CallbackTaskCompleted => 1,
    RescuePlanSubmitted => 1,
    RescuePlanApproved => 1,
    RenewalQuotingUnfrozen => 1,
    RenewalQuoted => 1,
    // contract and receivables
    ContractSigned => 1,
    PaymentReceived => 1,
    InstalmentOverdue => 1,
    OverdueTaskCardIssued => 1,
    // process assets
    ProcessAssetRecorded => 1,
    // funnel
    LeadStageAdvanced => 1,
    // chain stores
    StoreOpened => 1,
    SkuRegistered => 1,
    MemberEnrolled => 1,
    PromotionLaunched => 1,
    PosTicketsRecorded => 1,
    RetailPolicyPublished => 1,
}

/// An event as stored: type name, schema version, JSON payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedEvent {
    pub event_type: &'static str,
    pub schema_version: u32,
    pub payload: Value,
}

/// Encodes an event at its current schema version.
pub fn encode(event: &Event) -> Result<EncodedEvent, DomainError> {
    let payload = encode_payload(event).map_err(|error| DomainError::EventEncoding {
        event_type: event.event_type().to_owned(),
        reason: error.to_string(),
    })?;
    Ok(EncodedEvent {
        event_type: event.event_type(),
        schema_version: event.schema_version(),
        payload,
    })
}

/// The current schema version of an event type, if the type exists.
pub fn current_schema_version(event_type: &str) -> Option<u32> {
    EVENT_CATALOGUE
        .iter()
        .find(|(name, _)| *name == event_type)
        .map(|(_, version)| *version)
}

/// Decodes a stored record's event from the three parts the log keeps of
/// it: its type, its schema version and its payload's JSON text
/// (upcasting older versions first). The one decoder of stored records:
/// the command pipeline and every projector call it and map its error to
/// their own (a type unknown to this build is
/// [`DomainError::UnknownEventType`], whatever the payload; text that is
/// not JSON is [`DomainError::MalformedEventPayload`]).
pub fn decode_record(
    event_type: &str,
    schema_version: u32,
    payload_json: &str,
) -> Result<Event, DomainError> {
    let Some(current_version) = current_schema_version(event_type) else {
        return Err(DomainError::UnknownEventType {
            event_type: event_type.to_owned(),
        });
    };
    // The common case, a payload at the current version, decodes from its
    // text in one pass (half the work of text -> Value -> event); anything
    // else, and any payload that fails, takes the path through `Value`, so
    // upcasts and error messages stay exactly as they were.
    if schema_version == current_version {
        if let Some(Ok(event)) = decode_current_text(event_type, payload_json) {
            return Ok(event);
        }
    }
    let payload: Value =
        serde_json::from_str(payload_json).map_err(|error| DomainError::MalformedEventPayload {
            event_type: event_type.to_owned(),
            schema_version,
            reason: error.to_string(),
        })?;
    decode(event_type, schema_version, payload)
}

/// Decodes a stored event, upcasting older schema versions first.
pub fn decode(event_type: &str, schema_version: u32, payload: Value) -> Result<Event, DomainError> {
    let current_version =
        current_schema_version(event_type).ok_or_else(|| DomainError::UnknownEventType {
            event_type: event_type.to_owned(),
        })?;
    if schema_version == 0 || schema_version > current_version {
        return Err(DomainError::UnsupportedSchemaVersion {
            event_type: event_type.to_owned(),
            schema_version,
        });
    }
    let mut version = schema_version;
    let mut payload = payload;
    while version < current_version {
        payload = upcast(event_type, version, payload)?;
        version += 1;
    }
    let malformed = |reason: String| DomainError::MalformedEventPayload {
        event_type: event_type.to_owned(),
        schema_version,
        reason,
    };
    match decode_current(event_type, payload) {
        Some(Ok(event)) => Ok(event),
        Some(Err(error)) => Err(malformed(error.to_string())),
        None => Err(DomainError::UnknownEventType {
            event_type: event_type.to_owned(),
        }),
    }
}

/// One upcasting step: `payload` at `from_version` to `from_version + 1`.
fn upcast(event_type: &str, from_version: u32, payload: Value) -> Result<Value, DomainError> {
    let malformed = |reason: &str| DomainError::MalformedEventPayload {
        event_type: event_type.to_owned(),
        schema_version: from_version,
        reason: reason.to_owned(),
    };
    let Value::Object(mut object) = payload else {
        return Err(malformed("payload is not a JSON object"));
    };
    match (event_type, from_version) {
        // RepRegistered v1 had no region: reps registered then are "unassigned".
        ("RepRegistered", 1) => {
            object
                .entry("region")
                .or_insert_with(|| Value::String(crate::value::Region::UNASSIGNED.to_owned()));
        }
        // RoutingConfirmed v1 did not name the lead's customer: routings
        // confirmed then assign no owner (issue 16).
        ("RoutingConfirmed", 1) => {
            object.entry("customer_id").or_insert(Value::Null);
        }
        // VisitLogged v1 had one free-text `notes` field holding the
        // transcript, and no channel (only on-site visits were logged).
        ("VisitLogged", 1) => {
            let notes = object
                .remove("notes")
                .ok_or_else(|| malformed("v1 VisitLogged without notes"))?;
            object.insert("transcript".to_owned(), notes);
            object.insert("rep_notes".to_owned(), Value::Null);
            object
                .entry("channel")
                .or_insert_with(|| Value::String("on_site".to_owned()));
        }
        _ => {
            return Err(DomainError::UnsupportedSchemaVersion {
                event_type: event_type.to_owned(),
                schema_version: from_version,
            })
        }
    }
    Ok(Value::Object(object))
}
