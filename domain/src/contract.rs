//! The contract aggregate: payment terms, payments and overdue instalments
//! (SPEC C10).
//!
//! Stream `contract-<uuid>`. A contract is signed with 1 to 60 instalments
//! (amounts > 0, due dates non-decreasing and not before the signing date).
//! Payments are allocated to the oldest instalment first (FIFO by index) and
//! may not exceed what is outstanding. An instalment due on `D` and not
//! fully paid is overdue from `D + 1`: the close of any day after `D`
//! (`CheckOverdue`) flags it once, ever, with `InstalmentOverdue` and one
//! `OverdueTaskCardIssued` each for sales, finance and legal. Instalment
//! indexes start at 0. Knows nothing of regions or similar past cases (the
//! receivables view attaches those).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::error::{AggregateKind, DomainError, ValueKind};
use crate::event::Event;
use crate::role::CommandKind;
use crate::value::{uuid_v5, ContractId, CustomerId, PaymentRef, RepId, TaskCardId};

/// The most instalments a contract may have.
pub const MAX_INSTALMENTS: usize = 60;

/// A payment term as given in `SignContract`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstalmentTerm {
    pub due_on: NaiveDate,
    pub amount_fen: u64,
}

/// A numbered instalment (index from 0, in due order).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instalment {
    pub index: u32,
    pub due_on: NaiveDate,
    pub amount_fen: u64,
}

/// The part of a payment applied to one instalment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    pub index: u32,
    pub amount_fen: u64,
}

/// The department an overdue task card goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Department {
    Sales,
    Finance,
    Legal,
}

impl Department {
    /// The order cards are issued in.
    pub const ALL: [Department; 3] = [Department::Sales, Department::Finance, Department::Legal];

    pub fn as_str(self) -> &'static str {
        match self {
            Department::Sales => "sales",
            Department::Finance => "finance",
            Department::Legal => "legal",
        }
    }
}

/// The deterministic id of an overdue task card:
/// UUIDv5(NAMESPACE_OID, `"overdue-card:<contract>:<index>:<department>"`).
pub fn overdue_card_id(contract_id: ContractId, index: u32, department: Department) -> TaskCardId {
    TaskCardId::from_uuid(uuid_v5(&format!(
        "overdue-card:{contract_id}:{index}:{}",
        department.as_str()
    )))
}

/// One instalment with what has been paid on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalmentState {
    pub index: u32,
    pub due_on: NaiveDate,
    pub amount_fen: u64,
    pub paid_fen: u64,
    /// The day whose close flagged it overdue.
    pub flagged_overdue_on: Option<NaiveDate>,
}

impl InstalmentState {
    pub fn outstanding_fen(&self) -> u64 {
        self.amount_fen.saturating_sub(self.paid_fen)
    }
}

/// A signed contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractRecord {
    pub contract_id: ContractId,
    pub customer_id: CustomerId,
    pub rep_id: RepId,
    pub signed_on: NaiveDate,
    pub total_fen: u64,
}

/// State of one contract.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Contract {
    pub record: Option<ContractRecord>,
    pub instalments: BTreeMap<u32, InstalmentState>,
    pub payment_refs: BTreeSet<PaymentRef>,
}

impl Contract {
    fn record(&self) -> Result<&ContractRecord, DomainError> {
        self.record.as_ref().ok_or(DomainError::NotFound {
            aggregate: AggregateKind::Contract,
        })
    }

    /// What is still owed on the whole contract.
    pub fn outstanding_fen(&self) -> u64 {
        self.instalments
            .values()
            .map(InstalmentState::outstanding_fen)
            .fold(0u64, u64::saturating_add)
    }
}

// ---- commands ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractCommand {
    /// Decision: carries the `contract_id` of the new stream (the design's
    /// field list names none; an empty stream cannot know its id).
    SignContract {
        contract_id: ContractId,
        customer_id: CustomerId,
        rep_id: RepId,
        signed_on: NaiveDate,
        instalments: Vec<InstalmentTerm>,
    },
    RecordPayment {
        payment_ref: PaymentRef,
        amount_fen: u64,
        received_on: NaiveDate,
    },
    /// At the close of `day` (CommandKind::CloseDay).
    CheckOverdue { day: NaiveDate },
}

impl ContractCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            ContractCommand::SignContract { .. } => CommandKind::SignContract,
            ContractCommand::RecordPayment { .. } => CommandKind::RecordPayment,
            ContractCommand::CheckOverdue { .. } => CommandKind::CloseDay,
        }
    }
}

// ---- events ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractSigned {
    pub contract_id: ContractId,
    pub customer_id: CustomerId,
    pub rep_id: RepId,
    pub signed_on: NaiveDate,
    pub total_fen: u64,
    pub instalments: Vec<Instalment>,
    pub signed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentReceived {
    pub contract_id: ContractId,
    pub customer_id: CustomerId,
    pub payment_ref: PaymentRef,
    pub amount_fen: u64,
    pub received_on: NaiveDate,
    /// Oldest instalment first.
    pub allocations: Vec<Allocation>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstalmentOverdue {
    pub contract_id: ContractId,
    pub customer_id: CustomerId,
    pub index: u32,
    pub due_on: NaiveDate,
    pub outstanding_fen: u64,
    pub day: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverdueTaskCardIssued {
    pub card_id: TaskCardId,
    pub contract_id: ContractId,
    pub customer_id: CustomerId,
    pub index: u32,
    pub department: Department,
    pub day: NaiveDate,
}

fn invalid_instalments(reason: &str) -> DomainError {
    DomainError::invalid(ValueKind::Instalments, reason)
}

impl crate::business_time::BusinessTimes for ContractCommand {
    fn business_times(&self) -> Vec<crate::business_time::BusinessTime> {
        match self {
            // Days: `received_on` is refused after today by the domain
            // (`date_in_future`); `signed_on` and instalment due dates are
            // the contract's terms.
            ContractCommand::SignContract {
                contract_id: _,
                customer_id: _,
                rep_id: _,
                signed_on: _,
                instalments: _,
            }
            | ContractCommand::RecordPayment {
                payment_ref: _,
                amount_fen: _,
                received_on: _,
            }
            | ContractCommand::CheckOverdue { day: _ } => Vec::new(),
        }
    }
}

impl Aggregate for Contract {
    type Command = ContractCommand;

    fn command_kind(command: &ContractCommand) -> CommandKind {
        command.kind()
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::ContractSigned(signed) => {
                self.record = Some(ContractRecord {
                    contract_id: signed.contract_id,
                    customer_id: signed.customer_id,
                    rep_id: signed.rep_id,
                    signed_on: signed.signed_on,
                    total_fen: signed.total_fen,
                });
                self.instalments = signed
                    .instalments
                    .iter()
                    .map(|instalment| {
                        (
                            instalment.index,
                            InstalmentState {
                                index: instalment.index,
                                due_on: instalment.due_on,
                                amount_fen: instalment.amount_fen,
                                paid_fen: 0,
                                flagged_overdue_on: None,
                            },
                        )
                    })
                    .collect();
            }
            Event::PaymentReceived(received) => {
                self.payment_refs.insert(received.payment_ref.clone());
                for allocation in &received.allocations {
                    if let Some(instalment) = self.instalments.get_mut(&allocation.index) {
                        instalment.paid_fen =
                            instalment.paid_fen.saturating_add(allocation.amount_fen);
                    }
                }
            }
            Event::InstalmentOverdue(overdue) => {
                if let Some(instalment) = self.instalments.get_mut(&overdue.index) {
                    instalment.flagged_overdue_on = Some(overdue.day);
                }
            }
            _ => {}
        }
    }

    fn decide(
        &self,
        command: ContractCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        match command {
            ContractCommand::SignContract {
                contract_id,
                customer_id,
                rep_id,
                signed_on,
                instalments,
            } => {
                if self.record.is_some() {
                    return Err(DomainError::AlreadyExists {
                        aggregate: AggregateKind::Contract,
                    });
                }
                if !(1..=MAX_INSTALMENTS).contains(&instalments.len()) {
                    return Err(invalid_instalments("a contract has 1 to 60 instalments"));
                }
                if instalments.iter().any(|term| term.amount_fen == 0) {
                    return Err(invalid_instalments("every instalment amount is > 0 fen"));
                }
                for term in &instalments {
                    crate::value::parse_amount_fen(term.amount_fen)?;
                }
                if instalments.iter().any(|term| term.due_on < signed_on) {
                    return Err(invalid_instalments(
                        "no instalment is due before the signing date",
                    ));
                }
                if instalments
                    .windows(2)
                    .any(|pair| pair[1].due_on < pair[0].due_on)
                {
                    return Err(invalid_instalments("due dates must not decrease"));
                }
                let total_fen = instalments
                    .iter()
                    .try_fold(0u64, |total, term| total.checked_add(term.amount_fen))
                    .ok_or_else(|| invalid_instalments("the total overflows"))?;
                let instalments = instalments
                    .into_iter()
                    .zip(0u32..)
                    .map(|(term, index)| Instalment {
                        index,
                        due_on: term.due_on,
                        amount_fen: term.amount_fen,
                    })
                    .collect();
                Ok(vec![Event::ContractSigned(ContractSigned {
                    contract_id,
                    customer_id,
                    rep_id,
                    signed_on,
                    total_fen,
                    instalments,
                    signed_at: now,
                })])
            }
            ContractCommand::RecordPayment {
                payment_ref,
                amount_fen,
                received_on,
            } => {
                let record = self.record()?;
                if self.payment_refs.contains(&payment_ref) {
                    return Err(DomainError::PaymentAlreadyRecorded { payment_ref });
                }
                crate::value::parse_amount_fen(amount_fen)?;
                let today = crate::health::local_day(now);
                if received_on > today {
                    return Err(DomainError::DateInFuture {
                        what: "payment",
                        date: received_on,
                        today,
                    });
                }
                let outstanding_fen = self.outstanding_fen();
                if amount_fen > outstanding_fen {
                    return Err(DomainError::PaymentExceedsOutstanding {
                        amount_fen,
                        outstanding_fen,
                    });
                }
                let mut remaining = amount_fen;
                let mut allocations = Vec::new();
                for instalment in self.instalments.values() {
                    if remaining == 0 {
                        break;
                    }
                    let applied = remaining.min(instalment.outstanding_fen());
                    if applied > 0 {
                        allocations.push(Allocation {
                            index: instalment.index,
                            amount_fen: applied,
                        });
                        remaining -= applied;
                    }
                }
                Ok(vec![Event::PaymentReceived(PaymentReceived {
                    contract_id: record.contract_id,
                    customer_id: record.customer_id,
                    payment_ref,
                    amount_fen,
                    received_on,
                    allocations,
                    recorded_at: now,
                })])
            }
            ContractCommand::CheckOverdue { day } => {
                let record = self.record()?;
                let mut events = Vec::new();
                for instalment in self.instalments.values() {
                    let overdue = instalment.due_on < day
                        && instalment.outstanding_fen() > 0
                        && instalment.flagged_overdue_on.is_none();
                    if !overdue {
                        continue;
                    }
                    events.push(Event::InstalmentOverdue(InstalmentOverdue {
                        contract_id: record.contract_id,
                        customer_id: record.customer_id,
                        index: instalment.index,
                        due_on: instalment.due_on,
                        outstanding_fen: instalment.outstanding_fen(),
                        day,
                    }));
                    for department in Department::ALL {
                        events.push(Event::OverdueTaskCardIssued(OverdueTaskCardIssued {
                            card_id: overdue_card_id(
                                record.contract_id,
                                instalment.index,
                                department,
                            ),
                            contract_id: record.contract_id,
                            customer_id: record.customer_id,
                            index: instalment.index,
                            department,
                            day,
                        }));
                    }
                }
                Ok(events)
            }
        }
    }
}
