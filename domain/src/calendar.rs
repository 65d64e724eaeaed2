//! The calendar aggregate: time enters the log as closed days.
//!
//! Stream `calendar`. `CloseDay { day, closes_at }` appends `DayClosed` once
//! per day: closing an already closed day appends nothing (the caller still
//! runs the day's fan-out, which is idempotent); a day earlier than the last
//! closed one that was never closed is refused (`DayOutOfOrder`); gaps are
//! allowed. `closes_at` is computed by the caller from the pool policy
//! ([`crate::customer::PoolPolicy::day_closes_at`]). Knows nothing of the
//! fan-out to customers, accounts and contracts (the command layer's
//! process manager).

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
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
