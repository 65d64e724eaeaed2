//! The responsibility log (SPEC C2, C3) as a table projector: the same rules
//! and the same answers as [`crate::responsibility`] (checked against it in
//! `projections/tests/tables_responsibility.rs`), stored as one row per
//! entry instead of one growing list per lead or customer.
//!
//! | table | key | value |
//! |---|---|---|
//! | `leads` | lead id | company name, the customer it was registered for, the routed rep ([`LeadHead`]) |
//! | `lead_entries` | (lead id, position) | one entry of the lead's log ([`StoredEntry`]) |
//! | `customers` | customer id | company name ([`CustomerHead`]) |
//! | `customer_entries` | (customer id, position) | one entry of the customer's log |
//!
//! An event writes its entry (two when a routing entry also goes to the
//! lead's customer) and at most one head row. A log is read back in key
//! order, which is log order (positions only grow). A customer's current
//! owner is the shared directory's ([`super::directory::customer_owner`]):
//! the directory sets and clears it on the same events this log records
//! (claimed, transferred; released, recalled, returned to the pool).
//!
//! Also the two helpers the other business views share: [`page_rows`] (a
//! paged prefix scan with an `after` cursor) and [`JsonText`] (a value kept
//! as JSON text where postcard cannot decode its serde form).

use chrono::{DateTime, Utc};
use salesledger_domain::value::{CustomerId, LeadId, RepId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use super::{directory, Table, TableError, TableKey, TableProjector, TableRead, Tx};
use crate::error::ProjectionError;
use crate::responsibility::{Change, CustomerLog, Entry, LeadLog};

/// Leads: the head of each lead's log.
pub const LEADS: Table<LeadId, LeadHead> = Table::new("leads");
/// The entries of each lead's log, by position.
pub const LEAD_ENTRIES: Table<(LeadId, u64), StoredEntry> = Table::new("lead_entries");
/// Customers: the head of each customer's log.
pub const CUSTOMERS: Table<CustomerId, CustomerHead> = Table::new("customers");
/// The entries of each customer's log, by position.
pub const CUSTOMER_ENTRIES: Table<(CustomerId, u64), StoredEntry> = Table::new("customer_entries");

/// A lead's log without its entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadHead {
    pub company_name: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub routed_to: Option<RepId>,
}

/// A customer's log without its entries and owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerHead {
    pub company_name: Option<String>,
}

/// A value stored as its JSON text. For domain types whose serde form is
/// an internally tagged enum (`#[serde(tag = ...)]`, such as
/// [`Change`] and the routing candidates' match basis): such a form needs
/// a self-describing format to decode, which `postcard` is not. The JSON
/// of these types has no map whose order could vary, so the bytes stay
/// deterministic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText<T>(pub T);

impl<T: Serialize> Serialize for JsonText<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(&self.0).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for JsonText<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        serde_json::from_str(&text)
            .map(JsonText)
            .map_err(D::Error::custom)
    }
}

/// One entry as stored (its position is the key's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEntry {
    pub event_id: Uuid,
    pub actor: String,
    pub recorded_at: DateTime<Utc>,
    pub change: JsonText<Change>,
}

impl StoredEntry {
    fn entry(self, position: u64) -> Entry {
        Entry {
            position,
            event_id: self.event_id,
            actor: self.actor,
            recorded_at: self.recorded_at,
            change: self.change.0,
        }
    }
}

/// The responsibility-log projector on tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResponsibilityTables;

impl TableProjector for ResponsibilityTables {
    const NAME: &'static str = "responsibility";
    const VERSION: u32 = 1;

    fn tables() -> &'static [&'static str] {
        &["leads", "lead_entries", "customers", "customer_entries"]
    }

    fn reads() -> &'static [&'static str] {
        directory::TABLES
    }

    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        let Some((subject, change)) = change_of(event) else {
            return Ok(());
        };
        let stored = StoredEntry {
            event_id: record.event_id,
            actor: record.actor.clone(),
            recorded_at: record.recorded_at,
            change: JsonText(change),
        };
        let position = record.position;
        match subject {
            Subject::Lead(lead_id, head_change) => {
                let known = tx.get(&LEADS, &lead_id)?;
                let mut head = known.clone().unwrap_or_default();
                if let LeadHeadChange::Registered {
                    company_name,
                    customer_id,
                } = head_change
                {
                    head.company_name = Some(company_name);
                    head.customer_id = customer_id;
                }
                put_if_changed(tx, &LEADS, &lead_id, known.as_ref(), &head)?;
                tx.put(&LEAD_ENTRIES, &(lead_id, position), &stored)?;
            }
            Subject::Routing(lead_id, routed_to) => {
                let known = tx.get(&LEADS, &lead_id)?;
                let mut head = known.clone().unwrap_or_default();
                if let Some(rep_id) = routed_to {
                    head.routed_to = Some(rep_id);
                }
                put_if_changed(tx, &LEADS, &lead_id, known.as_ref(), &head)?;
                if let Some(customer_id) = head.customer_id {
                    let known = tx.get(&CUSTOMERS, &customer_id)?;
                    if known.is_none() {
                        tx.put(&CUSTOMERS, &customer_id, &CustomerHead::default())?;
                    }
                    tx.put(&CUSTOMER_ENTRIES, &(customer_id, position), &stored)?;
                }
                tx.put(&LEAD_ENTRIES, &(lead_id, position), &stored)?;
            }
            Subject::Customer(customer_id, company_name) => {
                let known = tx.get(&CUSTOMERS, &customer_id)?;
                let mut head = known.clone().unwrap_or_default();
                if company_name.is_some() {
                    head.company_name = company_name;
                }
                put_if_changed(tx, &CUSTOMERS, &customer_id, known.as_ref(), &head)?;
                tx.put(&CUSTOMER_ENTRIES, &(customer_id, position), &stored)?;
            }
        }
        Ok(())
    }
}

/// Writes a head row only when it is new or changed (an entry alone
/// writes just its own row).
fn put_if_changed<K: TableKey, V: Serialize + PartialEq>(
    tx: &mut Tx<'_>,
    table: &Table<K, V>,
    key: &K,
    known: Option<&V>,
    head: &V,
) -> Result<(), TableError> {
    if known == Some(head) {
        return Ok(());
    }
    tx.put(table, key, head)
}

/// What an entry changes in the heads.
enum LeadHeadChange {
    Registered {
        company_name: String,
        customer_id: Option<CustomerId>,
    },
    None,
}

/// Whose log an entry goes to.
enum Subject {
    /// A lead's own entry.
    Lead(LeadId, LeadHeadChange),
    /// A routing entry: the lead's, and its customer's when it has one
    /// (with the rep it was routed to, once confirmed).
    Routing(LeadId, Option<RepId>),
    /// A customer's entry (with its company name when registered).
    Customer(CustomerId, Option<String>),
}

/// The entry an event makes, and whose log it goes to (`None`: not a
/// responsibility event). The same changes as the model's.
fn change_of(event: &Event) -> Option<(Subject, Change)> {
    Some(match event {
        Event::LeadRegistered(event) => (
            Subject::Lead(
                event.lead_id,
                LeadHeadChange::Registered {
                    company_name: event.company_name.as_str().to_owned(),
                    customer_id: event.customer_id,
                },
            ),
            Change::LeadRegistered {
                registered_by: event.registered_by.clone(),
                customer_id: event.customer_id,
                registered_at: event.registered_at,
            },
        ),
        Event::LeadBudgetConfirmed(event) => (
            Subject::Lead(event.lead_id, LeadHeadChange::None),
            Change::BudgetConfirmed {
                confirmed_by: event.confirmed_by.clone(),
                note: event.note.as_ref().map(|note| note.as_str().to_owned()),
                confirmed_at: event.confirmed_at,
            },
        ),
        Event::LeadTechnicalFitConfirmed(event) => (
            Subject::Lead(event.lead_id, LeadHeadChange::None),
            Change::TechnicalFitConfirmed {
                confirmed_by: event.confirmed_by.clone(),
                note: event.note.as_ref().map(|note| note.as_str().to_owned()),
                confirmed_at: event.confirmed_at,
            },
        ),
        Event::RoutingProposed(event) => (
            Subject::Routing(event.lead_id, None),
            Change::RoutingProposed {
                lead_id: event.lead_id,
                rule_version: event.rule_version,
                n_reps_scored: event.n_reps_scored,
                candidates: event.candidates.clone(),
                proposed_at: event.proposed_at,
            },
        ),
        Event::RoutingConfirmed(event) => (
            Subject::Routing(event.lead_id, Some(event.rep_id)),
            Change::RoutingConfirmed {
                lead_id: event.lead_id,
                rep_id: event.rep_id,
                confirmed_by: event.confirmed_by.clone(),
                rule_version: event.rule_version,
                candidate_rank: event.candidate_rank,
                score: event.score,
                proposed_at: event.proposed_at,
                confirmed_at: event.confirmed_at,
                seconds_from_proposal: event.seconds_from_proposal,
            },
        ),
        Event::CustomerRegistered(event) => (
            Subject::Customer(
                event.customer_id,
                Some(event.company_name.as_str().to_owned()),
            ),
            Change::CustomerRegistered {
                company_name: event.company_name.as_str().to_owned(),
                registered_at: event.registered_at,
            },
        ),
        Event::CustomerClaimed(event) => (
            Subject::Customer(event.customer_id, None),
            Change::Claimed {
                rep_id: event.rep_id,
                claimed_at: event.claimed_at,
                protected_until: event.protected_until,
                policy_version: event.policy_version,
            },
        ),
        Event::CustomerTransferred(event) => (
            Subject::Customer(event.customer_id, None),
            Change::Transferred {
                from_rep_id: event.from_rep_id,
                to_rep_id: event.to_rep_id,
                transferred_by: event.transferred_by.clone(),
                reason: event.reason.as_str().to_owned(),
                transferred_at: event.transferred_at,
                protected_until: event.protected_until,
                policy_version: event.policy_version,
            },
        ),
        Event::CustomerReleased(event) => (
            Subject::Customer(event.customer_id, None),
            Change::Released {
                rep_id: event.rep_id,
                released_at: event.released_at,
            },
        ),
        Event::CustomerRecalledToPool(event) => (
            Subject::Customer(event.customer_id, None),
            Change::RecalledToPool {
                previous_owner: event.previous_owner,
                recalled_by: event.recalled_by.clone(),
                reason: event.reason.as_str().to_owned(),
                recalled_at: event.recalled_at,
            },
        ),
        Event::CustomerReturnedToPool(event) => (
            Subject::Customer(event.customer_id, None),
            Change::ReturnedToPool {
                previous_owner: event.previous_owner,
                rule: event.rule,
                policy_version: event.policy_version,
                protected_until: event.protected_until,
                last_qualifying_follow_up_at: event.last_qualifying_follow_up_at,
                day_closed: event.day_closed,
                returned_at: event.returned_at,
            },
        ),
        _ => return None,
    })
}

/// A page of rows in key order, and the key to continue after (`None`:
/// the last page).
pub type Page<K, V> = (Vec<(K, V)>, Option<K>);

/// Rows of `table` whose key starts with `prefix` and comes after
/// `after` (itself within the prefix), at most `limit`, in key order; and
/// the key to pass as `after` for the next page (`None`: no more rows).
pub fn page_rows<K, V, P, A>(
    rows: &mut impl TableRead,
    table: &Table<K, V>,
    prefix: &P,
    after: Option<&A>,
    limit: usize,
) -> Result<Page<K, V>, TableError>
where
    K: TableKey + Clone,
    V: DeserializeOwned,
    P: TableKey,
    A: TableKey,
{
    let start = prefix.to_key_bytes();
    let end = super::prefix_end(&start);
    let from = match after {
        // The smallest key after `after` and its extensions.
        Some(after) => match super::prefix_end(&after.to_key_bytes()) {
            Some(from) => from,
            None => return Ok((Vec::new(), None)),
        },
        None => start,
    };
    let limit = limit.max(1);
    let raw =
        rows.raw_read()
            .range_raw(table.name(), &from, end.as_deref(), limit.saturating_add(1))?;
    let mut out = Vec::with_capacity(raw.len().min(limit));
    for (key, value) in raw {
        let key = K::from_key_bytes(&key).map_err(|source| TableError::Key {
            table: table.name(),
            source,
        })?;
        let value = postcard::from_bytes(&value).map_err(|source| TableError::Value {
            table: table.name(),
            source,
        })?;
        out.push((key, value));
    }
    let next = if out.len() > limit {
        out.truncate(limit);
        out.last().map(|(key, _)| key.clone())
    } else {
        None
    };
    Ok((out, next))
}

/// The log of one lead, if any event concerned it: the answer of
/// [`crate::responsibility::ResponsibilityView::lead`].
pub fn lead(rows: &mut impl TableRead, lead_id: LeadId) -> Result<Option<LeadLog>, TableError> {
    let Some(head) = rows.get(&LEADS, &lead_id)? else {
        return Ok(None);
    };
    let entries = rows
        .prefix(&LEAD_ENTRIES, &lead_id)?
        .into_iter()
        .map(|((_, position), stored)| stored.entry(position))
        .collect();
    Ok(Some(LeadLog {
        company_name: head.company_name,
        customer_id: head.customer_id,
        routed_to: head.routed_to,
        entries,
    }))
}

/// The log of one customer, if any event concerned it: the answer of
/// [`crate::responsibility::ResponsibilityView::customer`].
pub fn customer(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
) -> Result<Option<CustomerLog>, TableError> {
    let Some(head) = rows.get(&CUSTOMERS, &customer_id)? else {
        return Ok(None);
    };
    let entries = rows
        .prefix(&CUSTOMER_ENTRIES, &customer_id)?
        .into_iter()
        .map(|((_, position), stored)| stored.entry(position))
        .collect();
    Ok(Some(CustomerLog {
        company_name: head.company_name,
        current_owner: directory::customer_owner(rows, customer_id)?,
        entries,
    }))
}

/// One page of a lead's entries after position `after`, in log order, and
/// the position to continue after (`None`: the last page).
pub fn lead_entries_page(
    rows: &mut impl TableRead,
    lead_id: LeadId,
    after: Option<u64>,
    limit: usize,
) -> Result<(Vec<Entry>, Option<u64>), TableError> {
    let (page, next) = page_rows(
        rows,
        &LEAD_ENTRIES,
        &lead_id,
        after.map(|position| (lead_id, position)).as_ref(),
        limit,
    )?;
    Ok((
        page.into_iter()
            .map(|((_, position), stored)| stored.entry(position))
            .collect(),
        next.map(|(_, position)| position),
    ))
}

/// One page of a customer's entries after position `after`, in log order,
/// and the position to continue after (`None`: the last page).
pub fn customer_entries_page(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
    after: Option<u64>,
    limit: usize,
) -> Result<(Vec<Entry>, Option<u64>), TableError> {
    let (page, next) = page_rows(
        rows,
        &CUSTOMER_ENTRIES,
        &customer_id,
        after.map(|position| (customer_id, position)).as_ref(),
        limit,
    )?;
    Ok((
        page.into_iter()
            .map(|((_, position), stored)| stored.entry(position))
            .collect(),
        next.map(|(_, position)| position),
    ))
}
