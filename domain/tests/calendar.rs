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
fn days_close_in_order_none_skipped() {
    // The first day ever closed may be any day.
    given_no_events::<Calendar>()
        .when(close("2027-06-10"), time("2027-06-20T00:00:00+08:00"))
        .then_expect_events(&[closed("2027-06-10", "2027-06-20T00:00:00+08:00")]);
    let history = [closed("2027-06-10", "2027-06-11T00:00:00+08:00")];
    let state = given::<Calendar>(&history).state().clone();
    assert_eq!(state.next_to_close(), Some(date("2027-06-11")));
    assert_eq!(Calendar::default().next_to_close(), None);
    // A day after the next one to close is refused, nothing appended: the
    // days between would never be closed.
    given::<Calendar>(&history)
        .when(close("2027-06-15"), time("2027-06-16T01:00:00+08:00"))
        .then_expect_error(not_the_next_day(
            date("2027-06-15"),
            date("2027-06-11"),
            date("2027-06-10"),
        ));
    given::<Calendar>(&history)
        .when(close("2027-06-12"), time("2027-06-16T01:00:00+08:00"))
        .then_expect_error_code(
            not_the_next_day(date("2027-06-12"), date("2027-06-11"), date("2027-06-10")).code(),
        );
    // The next day closes; closing the last closed day again appends
    // nothing.
    let after = given::<Calendar>(&history)
        .when(close("2027-06-11"), time("2027-06-16T01:00:00+08:00"))
        .then_expect_events(&[closed("2027-06-11", "2027-06-16T01:00:00+08:00")]);
    assert_eq!(after.next_to_close(), Some(date("2027-06-12")));
    given::<Calendar>(&history)
        .when(close("2027-06-10"), time("2027-06-16T01:00:00+08:00"))
        .then_expect_events(&[]);
    let error = not_the_next_day(date("2027-06-15"), date("2027-06-11"), date("2027-06-10"));
    assert_eq!(
        error,
        DomainError::DayNotNext {
            day: date("2027-06-15"),
            next_day: date("2027-06-11"),
            last_closed: date("2027-06-10"),
        }
    );
    assert_eq!(error.code(), "day_not_next");
    assert_eq!(error.kind(), salesledger_domain::ErrorKind::Conflict);
}

#[test]
fn a_log_with_gaps_still_folds_and_is_not_gone_back_into() {
    // Logs written before days closed in order may hold gaps.
    let history = [
        closed("2027-06-10", "2027-06-11T00:00:00+08:00"),
        closed("2027-06-13", "2027-06-14T00:00:00+08:00"),
    ];
    let state = given::<Calendar>(&history).state().clone();
    assert!(state.is_closed(date("2027-06-10")));
    assert!(!state.is_closed(date("2027-06-11")));
    assert_eq!(state.next_to_close(), Some(date("2027-06-14")));
    given::<Calendar>(&history)
        .when(close("2027-06-11"), time("2027-06-14T01:00:00+08:00"))
        .then_expect_error(DomainError::DayOutOfOrder {
            day: date("2027-06-11"),
            last_closed: date("2027-06-13"),
        });
    // An earlier closed day closes again as a no-op.
    given::<Calendar>(&history)
        .when(close("2027-06-10"), time("2027-06-14T01:00:00+08:00"))
        .then_expect_events(&[]);
    given::<Calendar>(&history)
        .when(close("2027-06-16"), time("2027-06-17T01:00:00+08:00"))
        .then_expect_error(not_the_next_day(
            date("2027-06-16"),
            date("2027-06-14"),
            date("2027-06-13"),
        ));
    given::<Calendar>(&history)
        .when(close("2027-06-14"), time("2027-06-17T01:00:00+08:00"))
        .then_expect_events(&[closed("2027-06-14", "2027-06-17T01:00:00+08:00")]);
    let error = DomainError::DayOutOfOrder {
        day: date("2027-06-11"),
        last_closed: date("2027-06-13"),
    };
    assert_eq!(error.code(), "day_out_of_order");
    assert_eq!(error.kind(), salesledger_domain::ErrorKind::Conflict);
}
