//! The shared directory on tables (design, "Shared facts once"): reps and
//! customers as the business views place them, folded once by
//! [`DirectoryTables`] and read by every table projector that needs them.
//!
//! | table | key | value |
//! |---|---|---|
//! | `dir-reps` | rep id | display name and region ([`RepInfo`]) |
//! | `dir-customers` | customer id | region and industry attributes, owner ([`CustomerInfo`]) |
//!
//! The rules are [`crate::directory::Directory`]'s (region of a customer:
//! its `region` attribute, else its owner's region, else `unassigned`).
//! A projector that reads the directory names these tables in
//! [`TableProjector::reads`]; the runner folds the directory first for each
//! record, so a projector sees the directory as of the record it applies
//! (never a later one), and [`MemoryTables::apply_with_directory`] does the
//! same for pure folds.
//!
//! Reads go through [`TableRead`], so the same functions serve a fold (`Tx`)
//! and a view answering from committed rows (`Reader`).

use salesledger_domain::value::{CustomerAttributes, CustomerId, RepId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;

use super::{MemoryTables, Table, TableError, TableProjector, TableRead, Tx};
use crate::directory::{CustomerInfo, RepInfo, UNASSIGNED};
use crate::error::ProjectionError;

/// Reps: display name and region.
pub const REPS: Table<RepId, RepInfo> = Table::new("dir-reps");
/// Customers: region and industry attributes and the current owner.
pub const CUSTOMERS: Table<CustomerId, CustomerInfo> = Table::new("dir-customers");

/// Every directory table, for [`TableProjector::reads`].
pub const TABLES: &[&str] = &["dir-reps", "dir-customers"];

/// The directory projector.
#[derive(Debug, Clone, Copy, Default)]
pub struct DirectoryTables;

impl TableProjector for DirectoryTables {
    const NAME: &'static str = "directory";
    const VERSION: u32 = 1;

    fn tables() -> &'static [&'static str] {
        TABLES
    }

    fn apply(
        tx: &mut Tx<'_>,
        _record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        match event {
            Event::RepRegistered(registered) => {
                let info = RepInfo {
                    display_name: registered.display_name.as_str().to_owned(),
                    region: registered.region.as_str().to_owned(),
                };
                tx.put(&REPS, &registered.rep_id, &info)?;
            }
            Event::CustomerRegistered(registered) => {
                set_attributes(tx, registered.customer_id, &registered.attributes)?;
            }
            Event::CustomerAttributesSet(set) => {
                set_attributes(tx, set.customer_id, &set.attributes)?;
            }
            Event::CustomerClaimed(claimed) => {
                set_owner(tx, claimed.customer_id, Some(claimed.rep_id), true)?;
            }
            Event::CustomerTransferred(transferred) => {
                set_owner(
                    tx,
                    transferred.customer_id,
                    Some(transferred.to_rep_id),
                    true,
                )?;
            }
            Event::CustomerReleased(released) => {
                set_owner(tx, released.customer_id, None, false)?;
            }
            Event::CustomerRecalledToPool(recalled) => {
                set_owner(tx, recalled.customer_id, None, false)?;
            }
            Event::CustomerReturnedToPool(returned) => {
                set_owner(tx, returned.customer_id, None, false)?;
            }
            _ => {}
        }
        Ok(())
    }
}

fn set_attributes(
    tx: &mut Tx<'_>,
    customer_id: CustomerId,
    attributes: &CustomerAttributes,
) -> Result<(), TableError> {
    let mut customer = tx.get(&CUSTOMERS, &customer_id)?.unwrap_or_default();
    customer.region = attributes.get("region").map(|v| v.as_str().to_owned());
    customer.industry = attributes.get("industry").map(|v| v.as_str().to_owned());
    tx.put(&CUSTOMERS, &customer_id, &customer)
}

/// Sets (or clears) the owner. A pooling event about a customer the
/// directory never saw writes nothing, as in the model.
fn set_owner(
    tx: &mut Tx<'_>,
    customer_id: CustomerId,
    owner: Option<RepId>,
    create: bool,
) -> Result<(), TableError> {
    let customer = tx.get(&CUSTOMERS, &customer_id)?;
    let Some(mut customer) = customer.or_else(|| create.then(CustomerInfo::default)) else {
        return Ok(());
    };
    customer.owner = owner;
    tx.put(&CUSTOMERS, &customer_id, &customer)
}

/// A rep's region (`unassigned` for a rep the directory does not know).
pub fn rep_region(rows: &mut impl TableRead, rep_id: RepId) -> Result<String, TableError> {
    Ok(rows
        .get(&REPS, &rep_id)?
        .map_or_else(|| UNASSIGNED.to_owned(), |rep| rep.region))
}

/// A rep's display name.
pub fn rep_name(rows: &mut impl TableRead, rep_id: RepId) -> Result<Option<String>, TableError> {
    Ok(rows.get(&REPS, &rep_id)?.map(|rep| rep.display_name))
}

/// Where the directory places a customer: its owner, and its region with
/// whether that region is its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub owner: Option<RepId>,
    /// Its `region` attribute, else its owner's region, else `unassigned`.
    pub region: String,
    /// Whether `region` is the customer's own attribute (not its owner's).
    pub own_region: bool,
}

/// A customer's owner and region, from one read of its row.
pub fn customer_placement(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
) -> Result<Placement, TableError> {
    let customer = rows.get(&CUSTOMERS, &customer_id)?.unwrap_or_default();
    let own_region = customer.region.is_some();
    let region = match (customer.region, customer.owner) {
        (Some(region), _) => region,
        (None, Some(owner)) => rep_region(rows, owner)?,
        (None, None) => UNASSIGNED.to_owned(),
    };
    Ok(Placement {
        owner: customer.owner,
        region,
        own_region,
    })
}

/// What an event changes of where the directory places a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlacementChange {
    /// Claimed, transferred, released, recalled or returned to the pool.
    Owner,
    /// Registered or its attributes set (its own region may have moved).
    Attributes,
}

/// The customer whose placement `event` changes, and what it changes:
/// the events [`DirectoryTables`] folds into a customer's row.
pub fn placement_change(event: &Event) -> Option<(CustomerId, PlacementChange)> {
    use PlacementChange::{Attributes, Owner};
    match event {
        Event::CustomerRegistered(e) => Some((e.customer_id, Attributes)),
        Event::CustomerAttributesSet(e) => Some((e.customer_id, Attributes)),
        Event::CustomerClaimed(e) => Some((e.customer_id, Owner)),
        Event::CustomerTransferred(e) => Some((e.customer_id, Owner)),
        Event::CustomerReleased(e) => Some((e.customer_id, Owner)),
        Event::CustomerRecalledToPool(e) => Some((e.customer_id, Owner)),
        Event::CustomerReturnedToPool(e) => Some((e.customer_id, Owner)),
        _ => None,
    }
}

/// A customer's region: its `region` attribute, else its owner's region,
/// else `unassigned`.
pub fn customer_region(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
) -> Result<String, TableError> {
    Ok(customer_placement(rows, customer_id)?.region)
}

/// A customer's industry attribute.
pub fn customer_industry(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
) -> Result<Option<String>, TableError> {
    Ok(rows
        .get(&CUSTOMERS, &customer_id)?
        .and_then(|customer| customer.industry))
}

/// A customer's current owner.
pub fn customer_owner(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
) -> Result<Option<RepId>, TableError> {
    Ok(rows
        .get(&CUSTOMERS, &customer_id)?
        .and_then(|customer| customer.owner))
}

impl MemoryTables {
    /// Folds `record` with the directory first, then `P` (which sees the
    /// directory as of this record): the runner's order, for pure folds.
    pub fn apply_with_directory<P: TableProjector>(
        &mut self,
        record: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        if let Some(event) = crate::projector::decode_record(record)? {
            DirectoryTables::apply(&mut Tx::new(self), record, &event)?;
            P::apply(&mut Tx::new(self), record, &event)?;
        }
        Ok(())
    }
}
