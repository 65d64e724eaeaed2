//! What the business views need to know about reps and customers: a rep's
//! display name and region (`RepRegistered`), a customer's `region` and
//! `industry` attributes and its current owner. Each view that needs it
//! folds its own copy (projections share nothing), so this is a helper
//! type, not a projector.
//!
//! Region of a customer: its `region` attribute, else its owner's region,
//! else `unassigned`. Region of a rep: from `RepRegistered`.
//!
//! Also the one instant-to-day mapping of the business views: an event's
//! business date and month are its China Standard Time date and month
//! (`health::DAY_UTC_OFFSET_MINUTES`, the default day close offset).
//!
//! Bounded by the number of reps and customers. Pure; `BTreeMap` only.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use salesledger_domain::health::local_day;
use salesledger_domain::value::{CustomerId, Region, RepId};
use salesledger_domain::Event;
use serde::{Deserialize, Serialize};

/// The region of a customer or lead nobody can place.
pub const UNASSIGNED: &str = Region::UNASSIGNED;

/// A rep as the business views show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepInfo {
    pub display_name: String,
    pub region: String,
}

/// A customer's placement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerInfo {
    /// The `region` attribute, if set.
    pub region: Option<String>,
    /// The `industry` attribute, if set.
    pub industry: Option<String>,
    /// The current owner (`None` while in the pool).
    pub owner: Option<RepId>,
}

/// Reps and customers, folded from their events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub reps: BTreeMap<RepId, RepInfo>,
    pub customers: BTreeMap<CustomerId, CustomerInfo>,
}

impl Directory {
    /// Folds the events that place reps and customers; ignores the rest.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::RepRegistered(registered) => {
                self.reps.insert(
                    registered.rep_id,
                    RepInfo {
                        display_name: registered.display_name.as_str().to_owned(),
                        region: registered.region.as_str().to_owned(),
                    },
                );
            }
            Event::CustomerRegistered(registered) => {
                let customer = self.customers.entry(registered.customer_id).or_default();
                customer.region = attribute(&registered.attributes, "region");
                customer.industry = attribute(&registered.attributes, "industry");
            }
            Event::CustomerAttributesSet(set) => {
                let customer = self.customers.entry(set.customer_id).or_default();
                customer.region = attribute(&set.attributes, "region");
                customer.industry = attribute(&set.attributes, "industry");
            }
            Event::CustomerClaimed(claimed) => {
                self.customers.entry(claimed.customer_id).or_default().owner = Some(claimed.rep_id);
            }
            Event::CustomerTransferred(transferred) => {
                self.customers
                    .entry(transferred.customer_id)
                    .or_default()
                    .owner = Some(transferred.to_rep_id);
            }
            Event::CustomerReleased(released) => {
                self.set_pooled(released.customer_id);
            }
            Event::CustomerRecalledToPool(recalled) => {
                self.set_pooled(recalled.customer_id);
            }
            Event::CustomerReturnedToPool(returned) => {
                self.set_pooled(returned.customer_id);
            }
            _ => {}
        }
    }

    fn set_pooled(&mut self, customer_id: CustomerId) {
        if let Some(customer) = self.customers.get_mut(&customer_id) {
            customer.owner = None;
        }
    }

    /// A rep's region (`unassigned` for a rep this view never saw registered).
    pub fn rep_region(&self, rep_id: RepId) -> String {
        self.reps
            .get(&rep_id)
            .map_or_else(|| UNASSIGNED.to_owned(), |rep| rep.region.clone())
    }

    /// A rep's display name, if registered.
    pub fn rep_name(&self, rep_id: RepId) -> Option<String> {
        self.reps.get(&rep_id).map(|rep| rep.display_name.clone())
    }

    /// A customer's region: its `region` attribute, else its owner's
    /// region, else `unassigned`.
    pub fn customer_region(&self, customer_id: CustomerId) -> String {
        let Some(customer) = self.customers.get(&customer_id) else {
            return UNASSIGNED.to_owned();
        };
        if let Some(region) = &customer.region {
            return region.clone();
        }
        customer
            .owner
            .map_or_else(|| UNASSIGNED.to_owned(), |owner| self.rep_region(owner))
    }

    /// A customer's `industry` attribute.
    pub fn customer_industry(&self, customer_id: CustomerId) -> Option<String> {
        self.customers
            .get(&customer_id)
            .and_then(|customer| customer.industry.clone())
    }
}

fn attribute(
    attributes: &salesledger_domain::value::CustomerAttributes,
    key: &str,
) -> Option<String> {
    attributes.get(key).map(|value| value.as_str().to_owned())
}

/// The business date of an instant (China Standard Time).
pub fn business_date(instant: DateTime<Utc>) -> NaiveDate {
    local_day(instant)
}

/// `YYYY-MM` of a date.
pub fn month_of_date(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

/// `YYYY-MM` of an instant's business date.
pub fn month_of(instant: DateTime<Utc>) -> String {
    month_of_date(business_date(instant))
}

/// Whether `text` is a well-formed `YYYY-MM` month.
pub fn is_month(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 7
        && bytes[4] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(index, byte)| index == 4 || byte.is_ascii_digit())
        && matches!(text.get(5..7), Some(month) if ("01"..="12").contains(&month))
}

/// `numerator / denominator` in basis points (truncated), `None` when the
/// denominator is 0.
pub fn ratio_bp(numerator: u64, denominator: u64) -> Option<u64> {
    if denominator == 0 {
        return None;
    }
    let bp = u128::from(numerator) * 10_000 / u128::from(denominator);
    Some(u64::try_from(bp).unwrap_or(u64::MAX))
}

/// Guards a fold against a record it has already applied (a runner that
/// delivers a record twice): true when `position` is new, and records it.
pub fn first_sight(last_position: &mut Option<u64>, position: u64) -> bool {
    if last_position.is_some_and(|last| position <= last) {
        return false;
    }
    *last_position = Some(position);
    true
}
