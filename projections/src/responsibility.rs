//! The responsibility log (SPEC C2, C3): for each lead and each customer,
//! the ordered list of who took responsibility for what, and when.
//!
//! Leads: who registered it, who confirmed budget and technical fit, every
//! routing proposal (candidates with scores and their explanation, rule
//! version), the routing confirmation (who confirmed whom, how many seconds
//! after the proposal). Customers: their registration and every ownership
//! change (claimed, transferred with reason and by whom, released, recalled
//! with reason, returned to the pool with the rule); a lead registered for
//! an existing customer also puts its routing entries in that customer's
//! log. Every entry carries the record's position, event id, actor and
//! recorded time, plus the business time from the event.
//!
//! A pure fold: no clock, no I/O; maps are `BTreeMap`, lists keep log order.
//! It knows nothing of where the model is stored.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use salesledger_domain::customer::PoolReturnRule;
use salesledger_domain::routing::RoutingCandidate;
use salesledger_domain::value::{ActorId, CustomerId, LeadId, RepId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::projector::Projector;

/// The responsibility-log projector.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResponsibilityLog;

impl Projector for ResponsibilityLog {
    const NAME: &'static str = "responsibility";
    const VERSION: u32 = 1;
    type Model = ResponsibilityView;

    fn apply(model: &mut ResponsibilityView, record: &RecordedEvent, event: &Event) {
        model.apply(record, event);
    }
}

/// The whole view: one log per lead and one per customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponsibilityView {
    pub leads: BTreeMap<LeadId, LeadLog>,
    pub customers: BTreeMap<CustomerId, CustomerLog>,
}

/// One lead's responsibility log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadLog {
    pub company_name: Option<String>,
    /// The existing customer the lead was registered for, if any.
    pub customer_id: Option<CustomerId>,
    /// The rep the lead was routed to, once confirmed.
    pub routed_to: Option<RepId>,
    pub entries: Vec<Entry>,
}

/// One customer's responsibility log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerLog {
    pub company_name: Option<String>,
    /// The owner after the last entry; `None` while in the pool.
    pub current_owner: Option<RepId>,
    pub entries: Vec<Entry>,
}

/// One responsibility entry: where it is in the log, who recorded it, and
/// what changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub position: u64,
    pub event_id: Uuid,
    /// The record's actor (`role:actor`).
    pub actor: String,
    /// When the log recorded it.
    pub recorded_at: DateTime<Utc>,
    pub change: Change,
}

/// What an entry records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    LeadRegistered {
        registered_by: ActorId,
        customer_id: Option<CustomerId>,
        registered_at: DateTime<Utc>,
    },
    BudgetConfirmed {
        confirmed_by: ActorId,
        note: Option<String>,
        confirmed_at: DateTime<Utc>,
    },
    TechnicalFitConfirmed {
        confirmed_by: ActorId,
        note: Option<String>,
        confirmed_at: DateTime<Utc>,
    },
    RoutingProposed {
        lead_id: LeadId,
        rule_version: u32,
        n_reps_scored: u32,
        candidates: Vec<RoutingCandidate>,
        proposed_at: DateTime<Utc>,
    },
    RoutingConfirmed {
        lead_id: LeadId,
        rep_id: RepId,
        confirmed_by: ActorId,
        rule_version: u32,
        candidate_rank: u32,
        score: u32,
        proposed_at: DateTime<Utc>,
        confirmed_at: DateTime<Utc>,
        seconds_from_proposal: u64,
    },
    CustomerRegistered {
        company_name: String,
        registered_at: DateTime<Utc>,
    },
    Claimed {
        rep_id: RepId,
        claimed_at: DateTime<Utc>,
        protected_until: DateTime<Utc>,
        policy_version: u32,
    },
    Transferred {
        from_rep_id: Option<RepId>,
        to_rep_id: RepId,
        transferred_by: ActorId,
        reason: String,
        transferred_at: DateTime<Utc>,
        protected_until: DateTime<Utc>,
        policy_version: u32,
    },
    Released {
        rep_id: RepId,
        released_at: DateTime<Utc>,
    },
    RecalledToPool {
        previous_owner: RepId,
        recalled_by: ActorId,
        reason: String,
        recalled_at: DateTime<Utc>,
    },
    ReturnedToPool {
        previous_owner: RepId,
        rule: PoolReturnRule,
        policy_version: u32,
        protected_until: DateTime<Utc>,
        last_qualifying_follow_up_at: Option<DateTime<Utc>>,
        day_closed: NaiveDate,
        returned_at: DateTime<Utc>,
    },
}

impl ResponsibilityView {
    /// The log of one lead, if any event concerned it.
    pub fn lead(&self, lead_id: LeadId) -> Option<&LeadLog> {
        self.leads.get(&lead_id)
    }

    /// The log of one customer, if any event concerned it.
    pub fn customer(&self, customer_id: CustomerId) -> Option<&CustomerLog> {
        self.customers.get(&customer_id)
    }

    fn apply(&mut self, record: &RecordedEvent, event: &Event) {
        let entry = |change: Change| Entry {
            position: record.position,
            event_id: record.event_id,
            actor: record.actor.clone(),
            recorded_at: record.recorded_at,
            change,
        };
        match event {
            Event::LeadRegistered(event) => {
                let lead = self.leads.entry(event.lead_id).or_default();
                lead.company_name = Some(event.company_name.as_str().to_owned());
                lead.customer_id = event.customer_id;
                lead.entries.push(entry(Change::LeadRegistered {
                    registered_by: event.registered_by.clone(),
                    customer_id: event.customer_id,
                    registered_at: event.registered_at,
                }));
            }
            Event::LeadBudgetConfirmed(event) => {
                self.push_lead(
                    event.lead_id,
                    entry(Change::BudgetConfirmed {
                        confirmed_by: event.confirmed_by.clone(),
                        note: event.note.as_ref().map(|note| note.as_str().to_owned()),
                        confirmed_at: event.confirmed_at,
                    }),
                );
            }
            Event::LeadTechnicalFitConfirmed(event) => {
                self.push_lead(
                    event.lead_id,
                    entry(Change::TechnicalFitConfirmed {
                        confirmed_by: event.confirmed_by.clone(),
                        note: event.note.as_ref().map(|note| note.as_str().to_owned()),
                        confirmed_at: event.confirmed_at,
                    }),
                );
            }
            Event::RoutingProposed(event) => {
                self.push_routing(
                    event.lead_id,
                    entry(Change::RoutingProposed {
                        lead_id: event.lead_id,
                        rule_version: event.rule_version,
                        n_reps_scored: event.n_reps_scored,
                        candidates: event.candidates.clone(),
                        proposed_at: event.proposed_at,
                    }),
                );
            }
            Event::RoutingConfirmed(event) => {
                self.leads.entry(event.lead_id).or_default().routed_to = Some(event.rep_id);
                self.push_routing(
                    event.lead_id,
                    entry(Change::RoutingConfirmed {
                        lead_id: event.lead_id,
                        rep_id: event.rep_id,
                        confirmed_by: event.confirmed_by.clone(),
                        rule_version: event.rule_version,
                        candidate_rank: event.candidate_rank,
                        score: event.score,
                        proposed_at: event.proposed_at,
                        confirmed_at: event.confirmed_at,
                        seconds_from_proposal: event.seconds_from_proposal,
                    }),
                );
            }
            Event::CustomerRegistered(event) => {
                let customer = self.customers.entry(event.customer_id).or_default();
                customer.company_name = Some(event.company_name.as_str().to_owned());
                customer.entries.push(entry(Change::CustomerRegistered {
                    company_name: event.company_name.as_str().to_owned(),
                    registered_at: event.registered_at,
                }));
            }
            Event::CustomerClaimed(event) => {
                self.push_customer(
                    event.customer_id,
                    Some(event.rep_id),
                    entry(Change::Claimed {
                        rep_id: event.rep_id,
                        claimed_at: event.claimed_at,
                        protected_until: event.protected_until,
                        policy_version: event.policy_version,
                    }),
                );
            }
            Event::CustomerTransferred(event) => {
                self.push_customer(
                    event.customer_id,
                    Some(event.to_rep_id),
                    entry(Change::Transferred {
                        from_rep_id: event.from_rep_id,
                        to_rep_id: event.to_rep_id,
                        transferred_by: event.transferred_by.clone(),
                        reason: event.reason.as_str().to_owned(),
                        transferred_at: event.transferred_at,
                        protected_until: event.protected_until,
                        policy_version: event.policy_version,
                    }),
                );
            }
            Event::CustomerReleased(event) => {
                self.push_customer(
                    event.customer_id,
                    None,
                    entry(Change::Released {
                        rep_id: event.rep_id,
                        released_at: event.released_at,
                    }),
                );
            }
            Event::CustomerRecalledToPool(event) => {
                self.push_customer(
                    event.customer_id,
                    None,
                    entry(Change::RecalledToPool {
                        previous_owner: event.previous_owner,
                        recalled_by: event.recalled_by.clone(),
                        reason: event.reason.as_str().to_owned(),
                        recalled_at: event.recalled_at,
                    }),
                );
            }
            Event::CustomerReturnedToPool(event) => {
                self.push_customer(
                    event.customer_id,
                    None,
                    entry(Change::ReturnedToPool {
                        previous_owner: event.previous_owner,
                        rule: event.rule,
                        policy_version: event.policy_version,
                        protected_until: event.protected_until,
                        last_qualifying_follow_up_at: event.last_qualifying_follow_up_at,
                        day_closed: event.day_closed,
                        returned_at: event.returned_at,
                    }),
                );
            }
            _ => {}
        }
    }

    fn push_lead(&mut self, lead_id: LeadId, entry: Entry) {
        self.leads.entry(lead_id).or_default().entries.push(entry);
    }

    /// Routing entries go to the lead and, when the lead was registered for
    /// an existing customer, to that customer too.
    fn push_routing(&mut self, lead_id: LeadId, entry: Entry) {
        let lead = self.leads.entry(lead_id).or_default();
        if let Some(customer_id) = lead.customer_id {
            self.customers
                .entry(customer_id)
                .or_default()
                .entries
                .push(entry.clone());
        }
        lead.entries.push(entry);
    }

    fn push_customer(&mut self, customer_id: CustomerId, owner_after: Option<RepId>, entry: Entry) {
        let customer = self.customers.entry(customer_id).or_default();
        customer.current_owner = owner_after;
        customer.entries.push(entry);
    }
}
