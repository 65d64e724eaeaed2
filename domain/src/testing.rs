//! A given/when/then test helper over events, in the manner of cqrs-es's
//! `TestFramework`: given past events, when a command is decided at a time,
//! then expect events or an error.
//!
//! Every event the command produces is also pushed through
//! [`crate::event::encode`] and [`crate::event::decode`] and must come back
//! equal, so each scenario checks the catalogue too. Public so the command
//! layer's tests can use it; it does no I/O and reads no clock.

use chrono::{DateTime, Utc};

use crate::aggregate::Aggregate;
use crate::error::DomainError;
use crate::event::{decode, encode, Event};

/// The "given" half of a scenario.
#[derive(Debug, Clone)]
pub struct Given<A: Aggregate> {
    state: A,
    n_given_events: usize,
}

/// Starts a scenario with the given past events.
pub fn given<A: Aggregate>(events: &[Event]) -> Given<A> {
    Given {
        state: A::from_events(events),
        n_given_events: events.len(),
    }
}

/// Starts a scenario on an empty stream.
pub fn given_no_events<A: Aggregate>() -> Given<A> {
    given(&[])
}

impl<A: Aggregate> Given<A> {
    /// The folded state, for assertions on `apply`.
    pub fn state(&self) -> &A {
        &self.state
    }

    /// Decides `command` at `now`.
    pub fn when(&self, command: A::Command, now: DateTime<Utc>) -> Then<A> {
        let result = self.state.decide(command, now);
        if let Ok(events) = &result {
            for event in events {
                let encoded = match encode(event) {
                    Ok(encoded) => encoded,
                    Err(error) => panic!("{} does not encode: {error}", event.event_type()),
                };
                let decoded = decode(
                    encoded.event_type,
                    encoded.schema_version,
                    encoded.payload.clone(),
                );
                assert_eq!(
                    decoded.as_ref(),
                    Ok(event),
                    "{} does not round-trip through its payload {}",
                    event.event_type(),
                    encoded.payload
                );
            }
        }
        Then {
            state: self.state.clone(),
            result,
            n_given_events: self.n_given_events,
        }
    }
}

/// The outcome of a scenario.
#[derive(Debug, Clone)]
pub struct Then<A: Aggregate> {
    state: A,
    result: Result<Vec<Event>, DomainError>,
    n_given_events: usize,
}

impl<A: Aggregate> Then<A> {
    /// Asserts the command produced exactly these events.
    pub fn then_expect_events(self, expected: &[Event]) -> A {
        match self.result {
            Ok(events) => {
                assert_eq!(
                    events, expected,
                    "unexpected events after {} given",
                    self.n_given_events
                );
                let mut state = self.state;
                for event in &events {
                    state.apply(event);
                }
                state
            }
            Err(error) => panic!("expected events, got error {error:?}"),
        }
    }

    /// Asserts the command was refused with exactly this error.
    pub fn then_expect_error(self, expected: DomainError) {
        match self.result {
            Ok(events) => panic!("expected error {expected:?}, got events {events:?}"),
            Err(error) => assert_eq!(error, expected),
        }
    }

    /// Asserts the command was refused with this stable error code.
    pub fn then_expect_error_code(self, expected_code: &str) -> DomainError {
        match self.result {
            Ok(events) => panic!("expected error {expected_code}, got events {events:?}"),
            Err(error) => {
                assert_eq!(error.code(), expected_code, "unexpected error {error:?}");
                error
            }
        }
    }

    /// The produced events (panics on an error), and the state after them.
    pub fn events(self) -> (Vec<Event>, A) {
        match self.result {
            Ok(events) => {
                let mut state = self.state;
                for event in &events {
                    state.apply(event);
                }
                (events, state)
            }
            Err(error) => panic!("expected events, got error {error:?}"),
        }
    }

    /// The raw result.
    pub fn result(&self) -> &Result<Vec<Event>, DomainError> {
        &self.result
    }
}
