//! The calendar aggregate: time enters the log as closed days.
//!
//! Stream `calendar`. `CloseDay { day, closes_at }` appends `DayClosed` once
//! per day, and days close in order, none skipped: the first day ever
//! closed may be any day; after it, only the day after the last closed one
//! ([`Calendar::next_to_close`]). Closing a day already closed appends
//! nothing (for the last closed day the caller runs its fan-out again,
//! which completes one a crash cut short; for an earlier day it runs none:
//! a later day's decisions are already made). A day after the next one is
//! refused ([`not_the_next_day`]), so a day is never left unclosed behind
//! a later one; a day earlier than the last closed one that was never
//! closed (before the first closed day, or in a gap an older log holds) is
//! refused (`DayOutOfOrder`). `closes_at` is computed by the caller from
//! the pool policy ([`crate::customer::PoolPolicy::day_closes_at`]). Knows
//! nothing of the fan-out to customers, accounts and contracts (the
//! command layer's process manager).

use std::collections::BTreeSet;

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::error::DomainError;
use crate::event::Event;
use crate::role::CommandKind;

/// State of the calendar: every closed day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Calendar {
    pub closed_days: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// The latest closed day.
    pub fn last_closed(&self) -> Option<NaiveDate> {
        self.closed_days.iter().next_back().copied()
    }

    pub fn is_closed(&self, day: NaiveDate) -> bool {
        self.closed_days.contains(&day)
    }

    /// The first day not yet closed after the last closed one (the only
    /// day that may be closed next), `None` before any day is closed (any
    /// day may be the first) or after the last day chrono knows.
    pub fn next_to_close(&self) -> Option<NaiveDate> {
        self.last_closed().and_then(|last| last.succ_opt())
    }
}

/// The refusal of `day`, later than `next_day`, the first day not yet
/// closed after `last_closed`: days close in order, none skipped.
pub fn not_the_next_day(
    day: NaiveDate,
    next_day: NaiveDate,
    last_closed: NaiveDate,
) -> DomainError {
    DomainError::DayNotNext {
        day,
        next_day,
        last_closed,
    }
}

// ---- arithmetic that stays in the calendar ----
//
// Dates and instants come from requests and may be anywhere chrono reads
// (years -262143 to +262142); chrono's `+` and `-` panic past either end.
// The domain adds and subtracts through these, which stop at the end
// instead: a window that would start before the first day starts on it.

/// `day` less `days` days (at least 0), or the first day chrono knows if
/// that is earlier.
pub fn days_before(day: NaiveDate, days: i64) -> NaiveDate {
    day.checked_sub_days(Days::new(u64::try_from(days).unwrap_or(0)))
        .unwrap_or(NaiveDate::MIN)
}

/// `at` moved by `delta`, or the end of time it would pass.
pub fn moved_by(at: DateTime<Utc>, delta: Duration) -> DateTime<Utc> {
    at.checked_add_signed(delta)
        .unwrap_or(if delta < Duration::zero() {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

// ---- commands ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarCommand {
    /// Closes `day`, which closes at `closes_at` (refused before then).
    CloseDay {
        day: NaiveDate,
        closes_at: DateTime<Utc>,
    },
}

impl CalendarCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            CalendarCommand::CloseDay { .. } => CommandKind::CloseDay,
        }
    }
}

// ---- events ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayClosed {
    pub day: NaiveDate,
    pub closes_at: DateTime<Utc>,
    pub closed_at: DateTime<Utc>,
}

impl crate::business_time::BusinessTimes for CalendarCommand {
    fn business_times(&self) -> Vec<crate::business_time::BusinessTime> {
        match self {
            // `closes_at` is derived from `day` by the command layer, and
            // the domain refuses to close a day before it has closed.
            CalendarCommand::CloseDay {
                day: _,
                closes_at: _,
            } => Vec::new(),
        }
    }
}

impl Aggregate for Calendar {
    type Command = CalendarCommand;

    fn command_kind(command: &CalendarCommand) -> CommandKind {
        command.kind()
    }

    fn apply(&mut self, event: &Event) {
        if let Event::DayClosed(closed) = event {
            self.closed_days.insert(closed.day);
        }
    }

    fn decide(
        &self,
        command: CalendarCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        match command {
            CalendarCommand::CloseDay { day, closes_at } => {
                if now < closes_at {
                    return Err(DomainError::DayNotClosedYet { day });
                }
                if self.is_closed(day) {
                    return Ok(Vec::new());
                }
                if let Some(last_closed) = self.last_closed() {
                    if day < last_closed {
                        return Err(DomainError::DayOutOfOrder { day, last_closed });
                    }
                    match self.next_to_close() {
                        Some(next_day) if day == next_day => {}
                        Some(next_day) => {
                            return Err(not_the_next_day(day, next_day, last_closed));
                        }
                        // After the last day chrono knows there is none.
                        None => return Err(DomainError::DayOutOfOrder { day, last_closed }),
                    }
                }
                Ok(vec![Event::DayClosed(DayClosed {
                    day,
                    closes_at,
                    closed_at: now,
                })])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_stops_at_the_ends_of_the_calendar() {
        let first = NaiveDate::MIN;
        assert_eq!(days_before(first, 89), NaiveDate::MIN);
        assert_eq!(
            days_before(first.succ_opt().expect("a day"), 1),
            NaiveDate::MIN
        );
        let day = NaiveDate::from_ymd_opt(2027, 3, 16).expect("a day");
        assert_eq!(
            days_before(day, 89),
            NaiveDate::from_ymd_opt(2026, 12, 17).expect("a day")
        );
        assert_eq!(days_before(day, -5), day, "a negative count is none");

        let start = DateTime::<Utc>::MIN_UTC;
        let end = DateTime::<Utc>::MAX_UTC;
        assert_eq!(moved_by(start, -Duration::minutes(480)), start);
        assert_eq!(moved_by(end, Duration::hours(8760)), end);
        assert_eq!(
            moved_by(start, Duration::hours(1)),
            start + Duration::hours(1)
        );
    }

    /// The bounds on policy durations apply to new publications only: a
    /// policy already in a log (published before them) still passes the
    /// check every decision makes, and its durations are added without
    /// overflow.
    #[test]
    fn policies_published_before_the_bounds_keep_working() {
        let mut pool = crate::customer::PoolPolicy::default_v1();
        pool.extension_days = u32::MAX;
        assert!(pool.validate().is_ok());
        assert!(pool.validate_publishable().is_err());
        pool.extension_days = 3650;
        assert!(pool.validate_publishable().is_ok());

        let mut health = crate::health::HealthPolicy::default_v1();
        health.callback_due_hours = u32::MAX;
        assert!(health.validate().is_ok());
        assert!(health.validate_publishable().is_err());
        let day_end = DateTime::<Utc>::MAX_UTC - Duration::days(1);
        assert_eq!(
            moved_by(
                day_end,
                Duration::hours(i64::from(health.callback_due_hours))
            ),
            DateTime::<Utc>::MAX_UTC
        );
        health.callback_due_hours = crate::health::MAX_POLICY_HOURS;
        assert!(health.validate_publishable().is_ok());
    }
}
