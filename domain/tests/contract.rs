//! C10 receivables: signing rules, FIFO payment allocation, over-payment
//! refused, and overdue instalments flagged once with three task cards.

use chrono::{Duration, NaiveDate};
use salesledger_domain::contract::*;
use salesledger_domain::event::Event;
use salesledger_domain::testing::{given, given_no_events};
use salesledger_domain::value::*;
use salesledger_domain::Aggregate;

use crate::support::*;

fn contract_id() -> ContractId {
    ContractId::from_uuid(uuid(0x9001))
}

fn sign(instalments: &[(&str, u64)]) -> ContractCommand {
    ContractCommand::SignContract {
        contract_id: contract_id(),
        customer_id: customer_id(1),
        rep_id: rep_id(1),
        signed_on: date("2027-01-10"),
        instalments: instalments
            .iter()
            .map(|(due_on, amount_fen)| InstalmentTerm {
                due_on: date(due_on),
                amount_fen: *amount_fen,
            })
            .collect(),
    }
}

fn pay(reference: &str, amount_fen: u64) -> ContractCommand {
    ContractCommand::RecordPayment {
        payment_ref: PaymentRef::parse(reference).expect("payment ref"),
        amount_fen,
        received_on: date("2027-02-01"),
    }
}

fn check(day: &str) -> ContractCommand {
    ContractCommand::CheckOverdue { day: date(day) }
}

/// A contract log driven command by command.
struct ContractLog {
    events: Vec<Event>,
}

impl ContractLog {
    fn signed() -> Self {
        let mut log = ContractLog { events: Vec::new() };
        log.run(sign(&[
            ("2027-02-01", 100_000),
            ("2027-03-01", 200_000),
            ("2027-04-01", 300_000),
        ]));
        log
    }

    fn run(&mut self, command: ContractCommand) -> Vec<Event> {
        let (events, _) = given::<Contract>(&self.events)
            .when(command, time("2027-05-01T09:00:00+08:00"))
            .events();
        self.events.extend(events.clone());
        events
    }

    fn refuse(&self, command: ContractCommand, code: &str) {
        given::<Contract>(&self.events)
            .when(command, time("2027-05-01T09:00:00+08:00"))
            .then_expect_error_code(code);
    }

    fn state(&self) -> Contract {
        Contract::from_events(&self.events)
    }
}

fn overdue_summary(events: &[Event]) -> Vec<(String, u32)> {
    events
        .iter()
        .map(|event| match event {
            Event::InstalmentOverdue(overdue) => ("overdue".to_owned(), overdue.index),
            Event::OverdueTaskCardIssued(card) => (card.department.as_str().to_owned(), card.index),
            other => (other.event_type().to_owned(), u32::MAX),
        })
        .collect()
}

#[test]
fn signing_numbers_the_instalments_and_totals_them() {
    let events = given_no_events::<Contract>()
        .when(
            sign(&[("2027-02-01", 100_000), ("2027-02-01", 50_000)]),
            time("2027-01-10T15:00:00+08:00"),
        )
        .then_expect_events(&[Event::ContractSigned(ContractSigned {
            contract_id: contract_id(),
            customer_id: customer_id(1),
            rep_id: rep_id(1),
            signed_on: date("2027-01-10"),
            total_fen: 150_000,
            instalments: vec![
                Instalment {
                    index: 0,
                    due_on: date("2027-02-01"),
                    amount_fen: 100_000,
                },
                Instalment {
                    index: 1,
                    due_on: date("2027-02-01"),
                    amount_fen: 50_000,
                },
            ],
            signed_at: time("2027-01-10T15:00:00+08:00"),
        })]);
    assert_eq!(events.outstanding_fen(), 150_000);
}

#[test]
fn signing_rules() {
    let now = time("2027-01-10T15:00:00+08:00");
    let refuse = |command, code| {
        given_no_events::<Contract>()
            .when(command, now)
            .then_expect_error_code(code);
    };
    refuse(sign(&[]), "invalid_instalments");
    refuse(sign(&[("2027-02-01", 0)]), "invalid_instalments");
    refuse(sign(&[("2027-01-09", 10)]), "invalid_instalments");
    refuse(
        sign(&[("2027-03-01", 10), ("2027-02-01", 10)]),
        "invalid_instalments",
    );
    let sixty_one: Vec<(String, u64)> = (0..61)
        .map(|month| {
            (
                (date("2027-02-01") + Duration::days(month * 30)).to_string(),
                10,
            )
        })
        .collect();
    let sixty_one: Vec<(&str, u64)> = sixty_one
        .iter()
        .map(|(day, amount)| (day.as_str(), *amount))
        .collect();
    refuse(sign(&sixty_one), "invalid_instalments");
    let (events, _) = given_no_events::<Contract>()
        .when(sign(&sixty_one[..60]), now)
        .events();
    assert_eq!(events.len(), 1, "60 instalments are allowed");
}

#[test]
fn a_contract_is_signed_once_and_must_exist_for_payments() {
    let log = ContractLog::signed();
    log.refuse(sign(&[("2027-02-01", 1)]), "contract_already_exists");
    given_no_events::<Contract>()
        .when(pay("P-1", 1), time("2027-05-01T09:00:00+08:00"))
        .then_expect_error_code("contract_not_found");
    given_no_events::<Contract>()
        .when(check("2027-05-01"), time("2027-05-01T09:00:00+08:00"))
        .then_expect_error_code("contract_not_found");
}

#[test]
fn payments_are_allocated_oldest_instalment_first() {
    let mut log = ContractLog::signed();
    let events = log.run(pay("BANK-1", 150_000));
    let Some(Event::PaymentReceived(received)) = events.first() else {
        panic!("expected PaymentReceived");
    };
    assert_eq!(
        received.allocations,
        vec![
            Allocation {
                index: 0,
                amount_fen: 100_000
            },
            Allocation {
                index: 1,
                amount_fen: 50_000
            },
        ]
    );
    let events = log.run(pay("BANK-2", 200_000));
    let Some(Event::PaymentReceived(received)) = events.first() else {
        panic!("expected PaymentReceived");
    };
    assert_eq!(
        received.allocations,
        vec![
            Allocation {
                index: 1,
                amount_fen: 150_000
            },
            Allocation {
                index: 2,
                amount_fen: 50_000
            },
        ]
    );
    assert_eq!(log.state().outstanding_fen(), 250_000);
    log.refuse(pay("BANK-2", 1), "payment_already_recorded");
    given::<Contract>(&log.events)
        .when(pay("BANK-3", 250_001), time("2027-05-01T09:00:00+08:00"))
        .then_expect_error(salesledger_domain::DomainError::PaymentExceedsOutstanding {
            amount_fen: 250_001,
            outstanding_fen: 250_000,
        });
    log.refuse(pay("BANK-3", 0), "invalid_amount");
    log.refuse(
        ContractCommand::RecordPayment {
            payment_ref: PaymentRef::parse("BANK-9").expect("payment ref"),
            amount_fen: 1,
            received_on: date("2027-05-02"),
        },
        "date_in_future",
    );
    log.run(pay("BANK-3", 250_000));
    assert_eq!(log.state().outstanding_fen(), 0);
    log.refuse(pay("BANK-4", 1), "payment_exceeds_outstanding");
}

#[test]
fn an_unpaid_instalment_is_overdue_from_the_day_after_with_three_cards_once() {
    let mut log = ContractLog::signed();
    // due 2027-02-01: not overdue at the close of its due day
    assert!(log.run(check("2027-02-01")).is_empty());
    // the close of 2027-02-02 flags it, with one card per department
    let events = log.run(check("2027-02-02"));
    assert_eq!(
        overdue_summary(&events),
        vec![
            ("overdue".to_owned(), 0),
            ("sales".to_owned(), 0),
            ("finance".to_owned(), 0),
            ("legal".to_owned(), 0),
        ]
    );
    assert_eq!(
        events[0],
        Event::InstalmentOverdue(InstalmentOverdue {
            contract_id: contract_id(),
            customer_id: customer_id(1),
            index: 0,
            due_on: date("2027-02-01"),
            outstanding_fen: 100_000,
            day: date("2027-02-02"),
        })
    );
    let Event::OverdueTaskCardIssued(card) = &events[3] else {
        panic!("expected a card");
    };
    assert_eq!(
        card.card_id,
        overdue_card_id(contract_id(), 0, Department::Legal)
    );
    assert_eq!(
        card.card_id.as_uuid(),
        uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("overdue-card:{}:0:legal", contract_id()).as_bytes()
        )
    );
    // re-running the close, or a later close, never flags it again
    assert!(log.run(check("2027-02-02")).is_empty());
    assert!(log.run(check("2027-02-20")).is_empty());
    // replaying the stream gives the same state: still flagged once
    assert_eq!(
        log.state().instalments[&0].flagged_overdue_on,
        Some(date("2027-02-02"))
    );
}

#[test]
fn a_paid_instalment_is_never_flagged_and_a_partly_paid_one_is() {
    let mut log = ContractLog::signed();
    // pays instalment 0 fully and 150 000 of instalment 1 (200 000)
    log.run(pay("BANK-1", 250_000));
    let events = log.run(check("2027-03-02"));
    assert_eq!(
        overdue_summary(&events),
        vec![
            ("overdue".to_owned(), 1),
            ("sales".to_owned(), 1),
            ("finance".to_owned(), 1),
            ("legal".to_owned(), 1),
        ]
    );
    let Event::InstalmentOverdue(overdue) = &events[0] else {
        panic!("expected InstalmentOverdue");
    };
    assert_eq!(overdue.outstanding_fen, 50_000);
    // a late close that skipped days flags every instalment overdue by then, once each
    let mut late = ContractLog::signed();
    let events = late.run(check("2027-04-02"));
    let flagged: Vec<u32> = events
        .iter()
        .filter_map(|event| match event {
            Event::InstalmentOverdue(overdue) => Some(overdue.index),
            _ => None,
        })
        .collect();
    assert_eq!(flagged, vec![0, 1, 2]);
    assert_eq!(
        events.len(),
        12,
        "exactly three cards per overdue instalment"
    );
    let cards: std::collections::BTreeSet<TaskCardId> = events
        .iter()
        .filter_map(|event| match event {
            Event::OverdueTaskCardIssued(card) => Some(card.card_id),
            _ => None,
        })
        .collect();
    assert_eq!(cards.len(), 9, "card ids are distinct");
}

#[test]
fn days_before_due_never_flag() {
    let mut log = ContractLog::signed();
    let due: NaiveDate = date("2027-02-01");
    for offset in 0..=31 {
        assert!(log
            .run(ContractCommand::CheckOverdue {
                day: due - Duration::days(offset)
            })
            .is_empty());
    }
}
