//! Time enters the log: closing days in order, idempotently, never early.

use salesledger_domain::calendar::*;
use salesledger_domain::customer::PoolPolicy;
use salesledger_domain::error::DomainError;
use salesledger_domain::event::Event;
use salesledger_domain::role::CommandKind;
use salesledger_domain::testing::{given, given_no_events};
use salesledger_domain::Aggregate;

use crate::support::*;

fn close(day: &str) -> CalendarCommand {
    let day = date(day);
    CalendarCommand::CloseDay {
        day,
        closes_at: PoolPolicy::default_v1().day_closes_at(day),
    }
}

fn closed(day: &str, closed_at: &str) -> Event {
    let day = date(day);
    Event::DayClosed(DayClosed {
        day,
        closes_at: PoolPolicy::default_v1().day_closes_at(day),
        closed_at: time(closed_at),
    })
}

#[test]
fn a_day_closes_once_at_or_after_its_close() {
    assert_eq!(
        Calendar::command_kind(&close("2027-06-10")),
        CommandKind::CloseDay
    );
    given_no_events::<Calendar>()
        .when(close("2027-06-10"), time("2027-06-10T23:59:59+08:00"))
        .then_expect_error(DomainError::DayNotClosedYet {
            day: date("2027-06-10"),
        });
    let state = given_no_events::<Calendar>()
        .when(close("2027-06-10"), time("2027-06-11T00:00:00+08:00"))
        .then_expect_events(&[closed("2027-06-10", "2027-06-11T00:00:00+08:00")]);
    assert_eq!(state.last_closed(), Some(date("2027-06-10")));
    // closing it again appends nothing (the caller still runs the fan-out)
    given::<Calendar>(&[closed("2027-06-10", "2027-06-11T00:00:00+08:00")])
        .when(close("2027-06-10"), time("2027-06-11T00:05:00+08:00"))
        .then_expect_events(&[]);
}

#[test]
fn gaps_are_allowed_but_not_going_back() {
    let history = [
        closed("2027-06-10", "2027-06-11T00:00:00+08:00"),
        closed("2027-06-13", "2027-06-14T00:00:00+08:00"),
    ];
    let state = given::<Calendar>(&history).state().clone();
    assert!(state.is_closed(date("2027-06-10")));
    assert!(!state.is_closed(date("2027-06-11")));
    given::<Calendar>(&history)
        .when(close("2027-06-11"), time("2027-06-14T01:00:00+08:00"))
        .then_expect_error(DomainError::DayOutOfOrder {
            day: date("2027-06-11"),
            last_closed: date("2027-06-13"),
        });
    given::<Calendar>(&history)
        .when(close("2027-06-10"), time("2027-06-14T01:00:00+08:00"))
        .then_expect_events(&[]);
    given::<Calendar>(&history)
        .when(close("2027-06-16"), time("2027-06-17T01:00:00+08:00"))
        .then_expect_events(&[closed("2027-06-16", "2027-06-17T01:00:00+08:00")]);
    let error = DomainError::DayOutOfOrder {
        day: date("2027-06-11"),
        last_closed: date("2027-06-13"),
    };
    assert_eq!(error.code(), "day_out_of_order");
    assert_eq!(error.kind(), salesledger_domain::ErrorKind::Conflict);
}
