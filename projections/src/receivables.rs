//! Receivables (SPEC C10): contracts, instalments with what is paid and
//! outstanding, payments; aging buckets and DSO per region as of the last
//! closed day; overdue task cards with similar past cases.
//!
//! - **As of** the last `DayClosed` day `D`: only contracts signed on or
//!   before `D` and payments received on or before `D` count.
//! - **Aging** of an instalment with something outstanding as of `D`:
//!   `D - due_on` days past due: `<= 0` `current`, 1 to 30 `1_30`, 31 to
//!   60 `31_60`, 61 to 90 `61_90`, more `over_90`; buckets hold
//!   outstanding fen, per region of the contract's customer.
//! - **DSO** per region = outstanding / credit sales x 90, where credit
//!   sales are the totals of contracts signed in the 90 days `D - 89 ..= D`;
//!   in days with two decimals (rounded half up), `null` without sales.
//! - **Task cards**: every `OverdueTaskCardIssued`, once per `card_id`
//!   (a record seen again changes nothing). The similar past cases are
//!   attached when the card is first seen, from the state at that point of
//!   the log (so a replay attaches the same ones): up to 5 overdue
//!   instalments flagged earlier in the log, of customers other than the
//!   card's, in the card's region; if there are none, in the card's
//!   industry (`industry` attribute); newest flag first. Each says how it
//!   ended: `paid` after N days past due (the payment that cleared it,
//!   `received_on - due_on`), or `open` as of the card's day with its days
//!   past due and outstanding fen.
//! - Region of a customer: its `region` attribute, else its owner's
//!   region, else `unassigned` (see [`crate::directory`]).
//!
//! Bounded by the contracts, their payments and overdue instalments
//! (a handful of records each); nothing grows per day. Pure; `BTreeMap` and
//! `Vec` only; business dates from the payloads.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use salesledger_domain::calendar::days_before;
use salesledger_domain::contract::{Allocation, Department};
use salesledger_domain::value::{ContractId, CustomerId, RepId, TaskCardId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::{Deserialize, Serialize};

use crate::directory::{first_sight, Directory};
use crate::projector::Projector;

/// The most similar cases a card carries.
pub const MAX_SIMILAR_CASES: usize = 5;
/// The credit-sales window of DSO, in days.
pub const DSO_WINDOW_DAYS: i64 = 90;

/// The receivables projector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Receivables;

impl Projector for Receivables {
    const NAME: &'static str = "receivables";
    const VERSION: u32 = 1;
    type Model = ReceivablesView;

    fn apply(model: &mut ReceivablesView, record: &RecordedEvent, event: &Event) {
        if first_sight(&mut model.last_position, record.position) {
            model.apply(record.position, event);
        }
    }
}

/// One instalment of a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalmentEntry {
    pub index: u32,
    pub due_on: NaiveDate,
    pub amount_fen: u64,
    pub paid_fen: u64,
    pub outstanding_fen: u64,
    /// The `received_on` of the payment that cleared it.
    pub paid_off_on: Option<NaiveDate>,
    /// The day whose close flagged it overdue.
    pub flagged_overdue_on: Option<NaiveDate>,
}

/// One payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEntry {
    pub payment_ref: String,
    pub amount_fen: u64,
    pub received_on: NaiveDate,
    pub allocations: Vec<Allocation>,
    pub position: u64,
}

/// One contract with its instalments and payments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractEntry {
    pub contract_id: ContractId,
    pub customer_id: CustomerId,
    pub rep_id: RepId,
    pub signed_on: NaiveDate,
    pub total_fen: u64,
    pub paid_fen: u64,
    pub outstanding_fen: u64,
    pub instalments: Vec<InstalmentEntry>,
    pub payments: Vec<PaymentEntry>,
}

/// An instalment flagged overdue, as remembered for similar cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueCase {
    pub contract_id: ContractId,
    pub customer_id: CustomerId,
    pub index: u32,
    pub due_on: NaiveDate,
    /// Outstanding when flagged.
    pub outstanding_fen: u64,
    /// The day whose close flagged it.
    pub day: NaiveDate,
    pub region: String,
    pub industry: Option<String>,
    pub position: u64,
}

/// How a similar case ended (as of the card's position).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CaseOutcome {
    /// Cleared by a payment received `days_past_due` days after the due date.
    Paid {
        paid_on: NaiveDate,
        days_past_due: i64,
    },
    /// Still unpaid as of the card's day.
    Open {
        as_of: NaiveDate,
        days_past_due: i64,
        outstanding_fen: u64,
    },
}

/// A similar past case attached to a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimilarCase {
    pub contract_id: ContractId,
    pub customer_id: CustomerId,
    pub index: u32,
    pub due_on: NaiveDate,
    pub flagged_on: NaiveDate,
    /// `region` or `industry`: what made it similar.
    pub matched_on: String,
    pub region: String,
    pub industry: Option<String>,
    pub outcome: CaseOutcome,
}

/// One overdue task card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskCard {
    pub card_id: TaskCardId,
    pub contract_id: ContractId,
    pub customer_id: CustomerId,
    pub index: u32,
    pub department: Department,
    pub day: NaiveDate,
    pub due_on: Option<NaiveDate>,
    pub outstanding_fen: Option<u64>,
    pub region: String,
    pub industry: Option<String>,
    pub position: u64,
    pub similar_cases: Vec<SimilarCase>,
}

/// The folded state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivablesView {
    pub last_position: Option<u64>,
    pub directory: Directory,
    pub last_closed_day: Option<NaiveDate>,
    pub contracts: BTreeMap<ContractId, ContractEntry>,
    /// Every overdue instalment, in log order.
    pub overdue_cases: Vec<OverdueCase>,
    pub task_cards: BTreeMap<TaskCardId, TaskCard>,
}

/// Outstanding fen by age.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingBuckets {
    pub current: u64,
    #[serde(rename = "1_30")]
    pub days_1_30: u64,
    #[serde(rename = "31_60")]
    pub days_31_60: u64,
    #[serde(rename = "61_90")]
    pub days_61_90: u64,
    pub over_90: u64,
}

impl AgingBuckets {
    pub(crate) fn add(&mut self, days_past_due: i64, outstanding_fen: u64) {
        let bucket = match days_past_due {
            ..=0 => &mut self.current,
            1..=30 => &mut self.days_1_30,
            31..=60 => &mut self.days_31_60,
            61..=90 => &mut self.days_61_90,
            _ => &mut self.over_90,
        };
        *bucket = bucket.saturating_add(outstanding_fen);
    }
}

/// Aging and DSO of one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionReceivables {
    pub region: String,
    pub aging: AgingBuckets,
    pub outstanding_fen: u64,
    pub credit_sales_90d_fen: u64,
    pub dso_days: Option<f64>,
}

/// Aging and DSO per region as of the last closed day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivablesSummary {
    /// The last closed day (`null` before the first: no regions then).
    pub as_of: Option<NaiveDate>,
    pub regions: Vec<RegionReceivables>,
}

/// `outstanding / sales x 90` days, two decimals rounded half up.
pub fn dso_days(outstanding_fen: u64, sales_fen: u64) -> Option<f64> {
    if sales_fen == 0 {
        return None;
    }
    let window = DSO_WINDOW_DAYS as u128;
    let hundredths = (u128::from(outstanding_fen) * window * 100 * 2 + u128::from(sales_fen))
        / (u128::from(sales_fen) * 2);
    Some(hundredths as f64 / 100.0)
}

impl ReceivablesView {
    fn apply(&mut self, position: u64, event: &Event) {
        self.directory.apply(event);
        match event {
            Event::DayClosed(closed) => {
                self.last_closed_day = self.last_closed_day.max(Some(closed.day));
            }
            Event::ContractSigned(signed) => {
                self.contracts
                    .entry(signed.contract_id)
                    .or_insert_with(|| ContractEntry {
                        contract_id: signed.contract_id,
                        customer_id: signed.customer_id,
                        rep_id: signed.rep_id,
                        signed_on: signed.signed_on,
                        total_fen: signed.total_fen,
                        paid_fen: 0,
                        outstanding_fen: signed.total_fen,
                        instalments: signed
                            .instalments
                            .iter()
                            .map(|instalment| InstalmentEntry {
                                index: instalment.index,
                                due_on: instalment.due_on,
                                amount_fen: instalment.amount_fen,
                                paid_fen: 0,
                                outstanding_fen: instalment.amount_fen,
                                paid_off_on: None,
                                flagged_overdue_on: None,
                            })
                            .collect(),
                        payments: Vec::new(),
                    });
            }
            Event::PaymentReceived(received) => {
                let Some(contract) = self.contracts.get_mut(&received.contract_id) else {
                    return;
                };
                for allocation in &received.allocations {
                    let Some(instalment) = contract
                        .instalments
                        .iter_mut()
                        .find(|instalment| instalment.index == allocation.index)
                    else {
                        continue;
                    };
                    instalment.paid_fen = instalment.paid_fen.saturating_add(allocation.amount_fen);
                    instalment.outstanding_fen =
                        instalment.amount_fen.saturating_sub(instalment.paid_fen);
                    if instalment.outstanding_fen == 0 && instalment.paid_off_on.is_none() {
                        instalment.paid_off_on = Some(received.received_on);
                    }
                }
                contract.paid_fen = contract.paid_fen.saturating_add(received.amount_fen);
                contract.outstanding_fen = contract.total_fen.saturating_sub(contract.paid_fen);
                contract.payments.push(PaymentEntry {
                    payment_ref: received.payment_ref.as_str().to_owned(),
                    amount_fen: received.amount_fen,
                    received_on: received.received_on,
                    allocations: received.allocations.clone(),
                    position,
                });
            }
            Event::InstalmentOverdue(overdue) => {
                let already = self.overdue_cases.iter().any(|case| {
                    case.contract_id == overdue.contract_id && case.index == overdue.index
                });
                if already {
                    return;
                }
                if let Some(instalment) =
                    self.contracts
                        .get_mut(&overdue.contract_id)
                        .and_then(|contract| {
                            contract
                                .instalments
                                .iter_mut()
                                .find(|instalment| instalment.index == overdue.index)
                        })
                {
                    instalment.flagged_overdue_on = Some(overdue.day);
                }
                self.overdue_cases.push(OverdueCase {
                    contract_id: overdue.contract_id,
                    customer_id: overdue.customer_id,
                    index: overdue.index,
                    due_on: overdue.due_on,
                    outstanding_fen: overdue.outstanding_fen,
                    day: overdue.day,
                    region: self.directory.customer_region(overdue.customer_id),
                    industry: self.directory.customer_industry(overdue.customer_id),
                    position,
                });
            }
            Event::OverdueTaskCardIssued(issued) => {
                if self.task_cards.contains_key(&issued.card_id) {
                    return;
                }
                let region = self.directory.customer_region(issued.customer_id);
                let industry = self.directory.customer_industry(issued.customer_id);
                let own = self.overdue_cases.iter().find(|case| {
                    case.contract_id == issued.contract_id && case.index == issued.index
                });
                let similar_cases = self.similar_cases(
                    issued.customer_id,
                    &region,
                    industry.as_deref(),
                    issued.day,
                );
                self.task_cards.insert(
                    issued.card_id,
                    TaskCard {
                        card_id: issued.card_id,
                        contract_id: issued.contract_id,
                        customer_id: issued.customer_id,
                        index: issued.index,
                        department: issued.department,
                        day: issued.day,
                        due_on: own.map(|case| case.due_on),
                        outstanding_fen: own.map(|case| case.outstanding_fen),
                        region,
                        industry,
                        position,
                        similar_cases,
                    },
                );
            }
            _ => {}
        }
    }

    /// The similar past cases of a card, from the current state (see the
    /// module documentation).
    fn similar_cases(
        &self,
        customer_id: CustomerId,
        region: &str,
        industry: Option<&str>,
        day: NaiveDate,
    ) -> Vec<SimilarCase> {
        let others = || {
            self.overdue_cases
                .iter()
                .rev()
                .filter(move |case| case.customer_id != customer_id)
        };
        let (matched_on, picked): (&str, Vec<&OverdueCase>) = {
            let by_region: Vec<&OverdueCase> = others()
                .filter(|case| case.region == region)
                .take(MAX_SIMILAR_CASES)
                .collect();
            if !by_region.is_empty() {
                ("region", by_region)
            } else if let Some(industry) = industry {
                (
                    "industry",
                    others()
                        .filter(|case| case.industry.as_deref() == Some(industry))
                        .take(MAX_SIMILAR_CASES)
                        .collect(),
                )
            } else {
                ("region", Vec::new())
            }
        };
        picked
            .into_iter()
            .map(|case| SimilarCase {
                contract_id: case.contract_id,
                customer_id: case.customer_id,
                index: case.index,
                due_on: case.due_on,
                flagged_on: case.day,
                matched_on: matched_on.to_owned(),
                region: case.region.clone(),
                industry: case.industry.clone(),
                outcome: self.outcome(case, day),
            })
            .collect()
    }

    fn outcome(&self, case: &OverdueCase, day: NaiveDate) -> CaseOutcome {
        let instalment = self.contracts.get(&case.contract_id).and_then(|contract| {
            contract
                .instalments
                .iter()
                .find(|instalment| instalment.index == case.index)
        });
        match instalment.and_then(|instalment| instalment.paid_off_on) {
            Some(paid_on) => CaseOutcome::Paid {
                paid_on,
                days_past_due: (paid_on - case.due_on).num_days().max(0),
            },
            None => CaseOutcome::Open {
                as_of: day,
                days_past_due: (day - case.due_on).num_days().max(0),
                outstanding_fen: instalment.map_or(case.outstanding_fen, |instalment| {
                    instalment.outstanding_fen
                }),
            },
        }
    }

    /// One contract.
    pub fn contract(&self, contract_id: ContractId) -> Option<&ContractEntry> {
        self.contracts.get(&contract_id)
    }

    /// Task cards in log order, optionally only a customer's and/or a
    /// department's.
    pub fn task_cards(
        &self,
        customer_id: Option<CustomerId>,
        department: Option<Department>,
    ) -> Vec<&TaskCard> {
        let mut cards: Vec<&TaskCard> = self
            .task_cards
            .values()
            .filter(|card| customer_id.map_or(true, |wanted| card.customer_id == wanted))
            .filter(|card| department.map_or(true, |wanted| card.department == wanted))
            .collect();
        cards.sort_by_key(|card| (card.position, card.department));
        cards
    }

    /// Aging and DSO per region as of the last closed day.
    pub fn summary(&self) -> ReceivablesSummary {
        let Some(as_of) = self.last_closed_day else {
            return ReceivablesSummary {
                as_of: None,
                regions: Vec::new(),
            };
        };
        let window_start = days_before(as_of, DSO_WINDOW_DAYS - 1);
        let mut regions: BTreeMap<String, (AgingBuckets, u64, u64)> = BTreeMap::new();
        for contract in self.contracts.values() {
            if contract.signed_on > as_of {
                continue;
            }
            let region = self.directory.customer_region(contract.customer_id);
            let (aging, outstanding, sales) = regions.entry(region).or_default();
            if contract.signed_on >= window_start {
                *sales = sales.saturating_add(contract.total_fen);
            }
            for instalment in &contract.instalments {
                let paid: u64 = contract
                    .payments
                    .iter()
                    .filter(|payment| payment.received_on <= as_of)
                    .flat_map(|payment| &payment.allocations)
                    .filter(|allocation| allocation.index == instalment.index)
                    .map(|allocation| allocation.amount_fen)
                    .fold(0, u64::saturating_add);
                let open = instalment.amount_fen.saturating_sub(paid);
                if open == 0 {
                    continue;
                }
                aging.add((as_of - instalment.due_on).num_days(), open);
                *outstanding = outstanding.saturating_add(open);
            }
        }
        ReceivablesSummary {
            as_of: Some(as_of),
            regions: regions
                .into_iter()
                .map(
                    |(region, (aging, outstanding_fen, sales))| RegionReceivables {
                        region,
                        aging,
                        outstanding_fen,
                        credit_sales_90d_fen: sales,
                        dso_days: dso_days(outstanding_fen, sales),
                    },
                )
                .collect(),
        }
    }
}
