//! Receivables (SPEC C10) as a table projector: the same rules and the same
//! answers as [`crate::receivables`] (checked against it in
//! `projections/tests/tables_receivables.rs`), stored as small rows per
//! contract, instalment, payment, overdue case and task card.
//!
//! | table | key | value |
//! |---|---|---|
//! | `last_closed` | `()` | the last closed day |
//! | `contracts` | contract id | customer, rep, signing day, total, paid, outstanding ([`ContractHead`]) |
//! | `instalments` | (contract id, place in the contract) | one instalment ([`InstalmentEntry`]) |
//! | `payments` | (contract id, position) | one payment with its allocations ([`PaymentEntry`]) |
//! | `overdue` | (contract id, instalment index) | the instalment's overdue case ([`OverdueCase`]) |
//! | `overdue_by_region` | (region, newest first) | the same case, by the region it was flagged in |
//! | `overdue_by_industry` | (industry, newest first) | the same case, by its customer's industry |
//! | `cards` | position | one task card ([`TaskCard`], as JSON text: its case outcome is an internally tagged enum) |
//! | `card_ids` | card id | the card's position (a card is taken once) |
//! | `customer_cards` | (customer id, position) | `()`: the customer's cards |
//!
//! "Newest first" is `u64::MAX - position`, so a forward scan of a region
//! or industry finds the most recent flags first: a card's similar cases
//! read a handful of rows, not every overdue instalment. A customer's
//! region and industry are the shared directory's: as of the record when a
//! case or card is taken (the directory is folded first, as the model
//! applies its own directory first), as of the read for the summary (as the
//! model's `summary`).
//!
//! The summary (aging and DSO per region as of the last closed day) is
//! computed when read, from a scan of the contracts with their instalments
//! and payments.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use salesledger_domain::contract::Department;
use salesledger_domain::value::{ContractId, CustomerId, RepId, TaskCardId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::{Deserialize, Serialize};

use super::responsibility::{page_rows, JsonText};
use super::{directory, Table, TableError, TableProjector, TableRead, Tx};
use crate::error::ProjectionError;
use crate::receivables::{
    dso_days, AgingBuckets, CaseOutcome, ContractEntry, InstalmentEntry, OverdueCase, PaymentEntry,
    ReceivablesSummary, RegionReceivables, SimilarCase, TaskCard, DSO_WINDOW_DAYS,
    MAX_SIMILAR_CASES,
};

/// The last closed day.
pub const LAST_CLOSED: Table<(), NaiveDate> = Table::new("last_closed");
/// Contracts without their instalments and payments.
pub const CONTRACTS: Table<ContractId, ContractHead> = Table::new("contracts");
/// Instalments by contract and place in the signed contract.
pub const INSTALMENTS: Table<(ContractId, u32), InstalmentEntry> = Table::new("instalments");
/// Payments by contract and position.
pub const PAYMENTS: Table<(ContractId, u64), PaymentEntry> = Table::new("payments");
/// Overdue cases by contract and instalment index.
pub const OVERDUE: Table<(ContractId, u32), OverdueCase> = Table::new("overdue");
/// Overdue cases by region, newest first.
pub const OVERDUE_BY_REGION: Table<(String, u64), OverdueCase> = Table::new("overdue_by_region");
/// Overdue cases by industry, newest first.
pub const OVERDUE_BY_INDUSTRY: Table<(String, u64), OverdueCase> =
    Table::new("overdue_by_industry");
/// Task cards by position (log order).
pub const CARDS: Table<u64, JsonText<TaskCard>> = Table::new("cards");
/// The position of every card taken.
pub const CARD_IDS: Table<TaskCardId, u64> = Table::new("card_ids");
/// Each customer's cards, by position.
pub const CUSTOMER_CARDS: Table<(CustomerId, u64), ()> = Table::new("customer_cards");

/// A contract without its instalments and payments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractHead {
    pub customer_id: CustomerId,
    pub rep_id: RepId,
    pub signed_on: NaiveDate,
    pub total_fen: u64,
    pub paid_fen: u64,
    pub outstanding_fen: u64,
}

/// The receivables projector on tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReceivablesTables;

impl TableProjector for ReceivablesTables {
    const NAME: &'static str = "receivables";
    const VERSION: u32 = 1;

    fn tables() -> &'static [&'static str] {
        &[
            "last_closed",
            "contracts",
            "instalments",
            "payments",
            "overdue",
            "overdue_by_region",
            "overdue_by_industry",
            "cards",
            "card_ids",
            "customer_cards",
        ]
    }

    fn reads() -> &'static [&'static str] {
        directory::TABLES
    }

    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        let position = record.position;
        match event {
            Event::DayClosed(closed) => {
                let last = tx.get(&LAST_CLOSED, &())?;
                if last.map_or(true, |last| closed.day > last) {
                    tx.put(&LAST_CLOSED, &(), &closed.day)?;
                }
            }
            Event::ContractSigned(signed) => {
                if tx.get(&CONTRACTS, &signed.contract_id)?.is_some() {
                    return Ok(());
                }
                let head = ContractHead {
                    customer_id: signed.customer_id,
                    rep_id: signed.rep_id,
                    signed_on: signed.signed_on,
                    total_fen: signed.total_fen,
                    paid_fen: 0,
                    outstanding_fen: signed.total_fen,
                };
                tx.put(&CONTRACTS, &signed.contract_id, &head)?;
                for (place, instalment) in signed.instalments.iter().enumerate() {
                    let place = u32::try_from(place).map_err(|_| ProjectionError::CannotApply {
                        position,
                        reason: format!(
                            "contract {} has more instalments than a u32 counts",
                            signed.contract_id
                        ),
                    })?;
                    let entry = InstalmentEntry {
                        index: instalment.index,
                        due_on: instalment.due_on,
                        amount_fen: instalment.amount_fen,
                        paid_fen: 0,
                        outstanding_fen: instalment.amount_fen,
                        paid_off_on: None,
                        flagged_overdue_on: None,
                    };
                    tx.put(&INSTALMENTS, &(signed.contract_id, place), &entry)?;
                }
            }
            Event::PaymentReceived(received) => {
                let Some(mut head) = tx.get(&CONTRACTS, &received.contract_id)? else {
                    return Ok(());
                };
                let mut instalments = tx.prefix(&INSTALMENTS, &received.contract_id)?;
                let mut changed = vec![false; instalments.len()];
                for allocation in &received.allocations {
                    let Some(place) = instalments
                        .iter()
                        .position(|(_, instalment)| instalment.index == allocation.index)
                    else {
                        continue;
                    };
                    let instalment = &mut instalments[place].1;
                    instalment.paid_fen = instalment.paid_fen.saturating_add(allocation.amount_fen);
                    instalment.outstanding_fen =
                        instalment.amount_fen.saturating_sub(instalment.paid_fen);
                    if instalment.outstanding_fen == 0 && instalment.paid_off_on.is_none() {
                        instalment.paid_off_on = Some(received.received_on);
                    }
                    changed[place] = true;
                }
                for ((key, instalment), changed) in instalments.iter().zip(changed) {
                    if changed {
                        tx.put(&INSTALMENTS, key, instalment)?;
                    }
                }
                head.paid_fen = head.paid_fen.saturating_add(received.amount_fen);
                head.outstanding_fen = head.total_fen.saturating_sub(head.paid_fen);
                tx.put(&CONTRACTS, &received.contract_id, &head)?;
                let payment = PaymentEntry {
                    payment_ref: received.payment_ref.as_str().to_owned(),
                    amount_fen: received.amount_fen,
                    received_on: received.received_on,
                    allocations: received.allocations.clone(),
                    position,
                };
                tx.put(&PAYMENTS, &(received.contract_id, position), &payment)?;
            }
            Event::InstalmentOverdue(overdue) => {
                let key = (overdue.contract_id, overdue.index);
                if tx.get(&OVERDUE, &key)?.is_some() {
                    return Ok(());
                }
                if let Some((place, mut instalment)) =
                    find_instalment(tx, overdue.contract_id, overdue.index)?
                {
                    instalment.flagged_overdue_on = Some(overdue.day);
                    tx.put(&INSTALMENTS, &place, &instalment)?;
                }
                let case = OverdueCase {
                    contract_id: overdue.contract_id,
                    customer_id: overdue.customer_id,
                    index: overdue.index,
                    due_on: overdue.due_on,
                    outstanding_fen: overdue.outstanding_fen,
                    day: overdue.day,
                    region: directory::customer_region(tx, overdue.customer_id)?,
                    industry: directory::customer_industry(tx, overdue.customer_id)?,
                    position,
                };
                let newest_first = u64::MAX - position;
                tx.put(
                    &OVERDUE_BY_REGION,
                    &(case.region.clone(), newest_first),
                    &case,
                )?;
                if let Some(industry) = &case.industry {
                    tx.put(
                        &OVERDUE_BY_INDUSTRY,
                        &(industry.clone(), newest_first),
                        &case,
                    )?;
                }
                tx.put(&OVERDUE, &key, &case)?;
            }
            Event::OverdueTaskCardIssued(issued) => {
                if tx.get(&CARD_IDS, &issued.card_id)?.is_some() {
                    return Ok(());
                }
                let region = directory::customer_region(tx, issued.customer_id)?;
                let industry = directory::customer_industry(tx, issued.customer_id)?;
                let own = tx.get(&OVERDUE, &(issued.contract_id, issued.index))?;
                let similar_cases = similar_cases(
                    tx,
                    issued.customer_id,
                    &region,
                    industry.as_deref(),
                    issued.day,
                )?;
                let card = TaskCard {
                    card_id: issued.card_id,
                    contract_id: issued.contract_id,
                    customer_id: issued.customer_id,
                    index: issued.index,
                    department: issued.department,
                    day: issued.day,
                    due_on: own.as_ref().map(|case| case.due_on),
                    outstanding_fen: own.as_ref().map(|case| case.outstanding_fen),
                    region,
                    industry,
                    position,
                    similar_cases,
                };
                tx.put(&CARDS, &position, &JsonText(card))?;
                tx.put(&CARD_IDS, &issued.card_id, &position)?;
                tx.put(&CUSTOMER_CARDS, &(issued.customer_id, position), &())?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// An instalment row: (contract id, place in the contract) and the entry.
type InstalmentRow = ((ContractId, u32), InstalmentEntry);

/// The first instalment of a contract with `index`, and its key.
fn find_instalment(
    rows: &mut impl TableRead,
    contract_id: ContractId,
    index: u32,
) -> Result<Option<InstalmentRow>, TableError> {
    Ok(rows
        .prefix(&INSTALMENTS, &contract_id)?
        .into_iter()
        .find(|(_, instalment)| instalment.index == index))
}

/// Up to [`MAX_SIMILAR_CASES`] cases of `table` under `group` (a region or
/// an industry), newest first, of customers other than `customer_id`.
fn newest_cases(
    rows: &mut impl TableRead,
    table: &Table<(String, u64), OverdueCase>,
    group: &str,
    customer_id: CustomerId,
) -> Result<Vec<OverdueCase>, TableError> {
    let group = group.to_owned();
    let mut picked = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = page_rows(rows, table, &group, after.as_ref(), 16)?;
        for (_, case) in page {
            if case.customer_id != customer_id {
                picked.push(case);
                if picked.len() == MAX_SIMILAR_CASES {
                    return Ok(picked);
                }
            }
        }
        match next {
            Some(next) => after = Some(next),
            None => return Ok(picked),
        }
    }
}

/// The similar past cases of a card, from the tables as of its record (the
/// model's rule, see [`crate::receivables`]).
fn similar_cases(
    rows: &mut impl TableRead,
    customer_id: CustomerId,
    region: &str,
    industry: Option<&str>,
    day: NaiveDate,
) -> Result<Vec<SimilarCase>, TableError> {
    let by_region = newest_cases(rows, &OVERDUE_BY_REGION, region, customer_id)?;
    let (matched_on, picked) = if !by_region.is_empty() {
        ("region", by_region)
    } else if let Some(industry) = industry {
        (
            "industry",
            newest_cases(rows, &OVERDUE_BY_INDUSTRY, industry, customer_id)?,
        )
    } else {
        ("region", Vec::new())
    };
    let mut out = Vec::with_capacity(picked.len());
    for case in picked {
        let instalment =
            find_instalment(rows, case.contract_id, case.index)?.map(|(_, instalment)| instalment);
        let outcome = match instalment.as_ref().and_then(|i| i.paid_off_on) {
            Some(paid_on) => CaseOutcome::Paid {
                paid_on,
                days_past_due: (paid_on - case.due_on).num_days().max(0),
            },
            None => CaseOutcome::Open {
                as_of: day,
                days_past_due: (day - case.due_on).num_days().max(0),
                outstanding_fen: instalment
                    .as_ref()
                    .map_or(case.outstanding_fen, |i| i.outstanding_fen),
            },
        };
        out.push(SimilarCase {
            contract_id: case.contract_id,
            customer_id: case.customer_id,
            index: case.index,
            due_on: case.due_on,
            flagged_on: case.day,
            matched_on: matched_on.to_owned(),
            region: case.region,
            industry: case.industry,
            outcome,
        });
    }
    Ok(out)
}

/// One contract with its instalments and payments: the answer of
/// [`crate::receivables::ReceivablesView::contract`].
pub fn contract(
    rows: &mut impl TableRead,
    contract_id: ContractId,
) -> Result<Option<ContractEntry>, TableError> {
    let Some(head) = rows.get(&CONTRACTS, &contract_id)? else {
        return Ok(None);
    };
    let instalments = rows
        .prefix(&INSTALMENTS, &contract_id)?
        .into_iter()
        .map(|(_, instalment)| instalment)
        .collect();
    let payments = rows
        .prefix(&PAYMENTS, &contract_id)?
        .into_iter()
        .map(|(_, payment)| payment)
        .collect();
    Ok(Some(ContractEntry {
        contract_id,
        customer_id: head.customer_id,
        rep_id: head.rep_id,
        signed_on: head.signed_on,
        total_fen: head.total_fen,
        paid_fen: head.paid_fen,
        outstanding_fen: head.outstanding_fen,
        instalments,
        payments,
    }))
}

/// Task cards in log order, optionally only a customer's and/or a
/// department's: the answer of
/// [`crate::receivables::ReceivablesView::task_cards`].
pub fn task_cards(
    rows: &mut impl TableRead,
    customer_id: Option<CustomerId>,
    department: Option<Department>,
) -> Result<Vec<TaskCard>, TableError> {
    let (cards, _) = task_cards_page(rows, customer_id, department, None, usize::MAX)?;
    Ok(cards)
}

/// One page of [`task_cards`]: at most `limit` cards after position
/// `after`, in log order, and the position to continue after (`None`: no
/// more cards; with a department filter, the next page may be empty).
pub fn task_cards_page(
    rows: &mut impl TableRead,
    customer_id: Option<CustomerId>,
    department: Option<Department>,
    after: Option<u64>,
    limit: usize,
) -> Result<(Vec<TaskCard>, Option<u64>), TableError> {
    let limit = limit.max(1);
    let chunk = limit.min(256);
    let mut out = Vec::new();
    let mut after = after;
    loop {
        let (cards, next) = cards_chunk(rows, customer_id, after, chunk)?;
        let count = cards.len();
        for (seen, card) in cards.into_iter().enumerate() {
            if department.is_some_and(|wanted| card.department != wanted) {
                continue;
            }
            let position = card.position;
            out.push(card);
            if out.len() == limit {
                let last = seen + 1 == count && next.is_none();
                return Ok((out, (!last).then_some(position)));
            }
        }
        match next {
            Some(next) => after = Some(next),
            None => return Ok((out, None)),
        }
    }
}

/// At most `chunk` cards after `after` (all, or one customer's), in log
/// order, and where the next chunk starts.
fn cards_chunk(
    rows: &mut impl TableRead,
    customer_id: Option<CustomerId>,
    after: Option<u64>,
    chunk: usize,
) -> Result<(Vec<TaskCard>, Option<u64>), TableError> {
    let Some(customer_id) = customer_id else {
        let (page, next) = page_rows(rows, &CARDS, &(), after.as_ref(), chunk)?;
        return Ok((page.into_iter().map(|(_, card)| card.0).collect(), next));
    };
    let (page, next) = page_rows(
        rows,
        &CUSTOMER_CARDS,
        &customer_id,
        after.map(|position| (customer_id, position)).as_ref(),
        chunk,
    )?;
    let mut cards = Vec::with_capacity(page.len());
    for ((_, position), ()) in page {
        let card = rows.get(&CARDS, &position)?.ok_or_else(|| {
            TableError::Storage(format!(
                "the card of customer {customer_id} at position {position} has no row"
            ))
        })?;
        cards.push(card.0);
    }
    Ok((cards, next.map(|(_, position)| position)))
}

/// Aging and DSO per region as of the last closed day: the answer of
/// [`crate::receivables::ReceivablesView::summary`].
pub fn summary(rows: &mut impl TableRead) -> Result<ReceivablesSummary, TableError> {
    let Some(as_of) = rows.get(&LAST_CLOSED, &())? else {
        return Ok(ReceivablesSummary {
            as_of: None,
            regions: Vec::new(),
        });
    };
    let window_start = as_of
        .checked_sub_signed(chrono::Duration::days(DSO_WINDOW_DAYS - 1))
        .unwrap_or(NaiveDate::MIN);
    let mut regions: BTreeMap<String, (AgingBuckets, u64, u64)> = BTreeMap::new();
    for (contract_id, contract) in rows.range(&CONTRACTS, None, None)? {
        if contract.signed_on > as_of {
            continue;
        }
        let region = directory::customer_region(rows, contract.customer_id)?;
        let instalments = rows.prefix(&INSTALMENTS, &contract_id)?;
        let payments = rows.prefix(&PAYMENTS, &contract_id)?;
        let (aging, outstanding, sales) = regions.entry(region).or_default();
        if contract.signed_on >= window_start {
            *sales = sales.saturating_add(contract.total_fen);
        }
        for (_, instalment) in &instalments {
            let paid: u64 = payments
                .iter()
                .map(|(_, payment)| payment)
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
    Ok(ReceivablesSummary {
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
    })
}
