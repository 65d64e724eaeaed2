//! The subject index (issue 15): from every event to every subject it
//! concerns, and the relations between subjects that the log records, so
//! an evidence bundle costs the subject's events, not a scan of the log.
//!
//! A subject is named like a stream: `customer-<uuid>`, `lead-<uuid>`,
//! `proposal-<uuid>`, `contract-<uuid>`, `visit-<uuid>`, `nurture-<uuid>`,
//! `asset-<uuid>`, `rep-<uuid>`, `store-<code>`, `config-health`, ...
//!
//! | table | key | value |
//! |---|---|---|
//! | `subject-events` | (subject, block) | the offsets in the block of the records that concern `subject`, ascending (`u16` each) |
//! | `subject-links` | (customer subject, stream) | position of the stream's opening event |
//!
//! A block is [`BLOCK_SIZE`] positions (block `b` holds positions
//! `b * BLOCK_SIZE ..`), so a subject has one row per block it has records
//! in, not one per record: a commit rewrites a subject's row once however
//! many of its records it folded (version 1 wrote a row per record and
//! subject, three rows per record on the fixture year, the most of any
//! projector after health).
//!
//! Which subjects a record concerns:
//!
//! - its stream (`account-<id>` is the customer `customer-<id>`'s);
//! - the customer its payload names as top-level `customer_id`;
//! - every rep its payload names ([`salesledger_domain::audience::named_reps`]);
//! - the store a POS batch or a member's enrolment names.
//!
//! **Relations.** A stream whose opening event (version 0) names a customer
//! as `customer_id` belongs to that customer: a lead registered for it
//! (`LeadRegistered`), its proposals, contracts, visits, nurture packs and
//! process assets. The link row is written when the opener is folded, so
//! the rows of that stream, earlier and later, are found through it. The
//! offline verifier applies the same rule to the events a bundle holds
//! (`replay::audit::bundle`), so a bundle proves its own scope.

use salesledger_domain::audience::named_reps;
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use uuid::Uuid;

use super::{Table, TableError, TableProjector, TableRead, Tx};
use crate::error::ProjectionError;

/// Which records concern which subject: (subject, block) -> the offsets
/// of those records in the block, ascending.
pub const EVENTS: Table<(String, u64), Vec<u16>> = Table::new("subject-events");

/// Positions per block of [`EVENTS`] (offsets fit a `u16`).
pub const BLOCK_SIZE: u64 = 4_096;
/// Streams that belong to a customer: (customer subject, stream) -> the
/// position of the stream's opening event.
pub const LINKS: Table<(String, String), u64> = Table::new("subject-links");

/// The streams of published policies, whose versions in force a bundle
/// carries (`config-health`, `config-pool-policy`, `config-routing`).
pub const POLICY_STREAMS: &[&str] = &["config-health", "config-pool-policy", "config-routing"];

/// The subject index projector.
#[derive(Debug, Clone, Copy, Default)]
pub struct SubjectsTables;

impl TableProjector for SubjectsTables {
    const NAME: &'static str = "subjects";
    /// 2: the records of a subject packed per block of positions.
    const VERSION: u32 = 2;

    fn tables() -> &'static [&'static str] {
        &["subject-events", "subject-links"]
    }

    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        let mut subjects = vec![stream_subject(&record.stream_id)];
        let customer = payload_customer_id(record);
        if let Some(customer) = customer {
            subjects.push(format!("customer-{customer}"));
        }
        for rep in named_reps(event) {
            subjects.push(format!("rep-{rep}"));
        }
        match event {
            Event::PosTicketsRecorded(recorded) => {
                subjects.push(format!("store-{}", recorded.store.as_str()));
            }
            Event::MemberEnrolled(enrolled) => {
                subjects.push(format!("store-{}", enrolled.home_store.as_str()));
            }
            _ => {}
        }
        subjects.sort();
        subjects.dedup();
        let block = record.position / BLOCK_SIZE;
        let offset = u16::try_from(record.position % BLOCK_SIZE).unwrap_or(u16::MAX);
        for subject in subjects {
            tx.push(&EVENTS, &(subject, block), &offset)?;
        }
        if let Some(customer) = customer {
            if record.stream_version == 0 && !own_stream_of_customer(&record.stream_id) {
                tx.put(
                    &LINKS,
                    &(format!("customer-{customer}"), record.stream_id.clone()),
                    &record.position,
                )?;
            }
        }
        Ok(())
    }
}

/// The subject a stream's events concern: the stream itself, except that a
/// customer's account stream is the customer's.
pub fn stream_subject(stream_id: &str) -> String {
    match stream_id.strip_prefix("account-") {
        Some(id) => format!("customer-{id}"),
        None => stream_id.to_owned(),
    }
}

fn own_stream_of_customer(stream_id: &str) -> bool {
    stream_id.starts_with("customer-") || stream_id.starts_with("account-")
}

/// The top-level `customer_id` of a record's payload, when it is a UUID.
/// (A cheap text test first: most payloads name no customer, and POS
/// batches are large; then the member read without building the payload,
/// [`salesledger_store::CanonicalJson::top_level_str`].)
pub fn payload_customer_id(record: &RecordedEvent) -> Option<Uuid> {
    if !record.payload.as_str().contains("\"customer_id\":\"") {
        return None;
    }
    let id = record.payload.top_level_str("customer_id")?;
    Uuid::parse_str(&id).ok()
}

/// The positions of every record about `subject`, in position order.
pub fn positions_of(rows: &mut impl TableRead, subject: &str) -> Result<Vec<u64>, TableError> {
    Ok(rows
        .prefix(&EVENTS, &subject.to_owned())?
        .into_iter()
        .flat_map(|((_, block), offsets)| {
            offsets
                .into_iter()
                .map(move |offset| block * BLOCK_SIZE + u64::from(offset))
        })
        .collect())
}

/// The streams that belong to customer `customer_id` (their opening event
/// names it), in name order.
pub fn linked_streams(
    rows: &mut impl TableRead,
    customer_id: Uuid,
) -> Result<Vec<String>, TableError> {
    Ok(rows
        .prefix(&LINKS, &format!("customer-{customer_id}"))?
        .into_iter()
        .map(|((_, stream), _)| stream)
        .collect())
}

/// What a bundle of one subject is drawn from: the subject's own positions
/// and, per policy stream, the positions of its publications (the bundle
/// builder keeps the versions in force).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectSelection {
    /// Every record about the subject and the streams linked to it, sorted
    /// and without duplicates.
    pub positions: Vec<u64>,
    /// Per policy stream (in [`POLICY_STREAMS`] order), its publications.
    pub policies: Vec<Vec<u64>>,
}

/// The selection for a bundle of `kind` (`customer`, `lead`, `proposal`)
/// about `id`: a customer's own records, those of every stream linked to
/// it, and the policy publications; a lead's records and the routing rules;
/// a proposal's records.
pub fn selection(
    rows: &mut impl TableRead,
    kind: &str,
    id: Uuid,
) -> Result<SubjectSelection, TableError> {
    let subject = format!("{kind}-{id}");
    let mut positions = positions_of(rows, &subject)?;
    if kind == "customer" {
        for stream in linked_streams(rows, id)? {
            positions.extend(positions_of(rows, &stream)?);
        }
    }
    positions.sort_unstable();
    positions.dedup();
    let wanted: &[&str] = match kind {
        "customer" => POLICY_STREAMS,
        "lead" => &["config-routing"],
        _ => &[],
    };
    let mut policies = Vec::new();
    for stream in POLICY_STREAMS {
        policies.push(if wanted.contains(stream) {
            positions_of(rows, stream)?
        } else {
            Vec::new()
        });
    }
    Ok(SubjectSelection {
        positions,
        policies,
    })
}
