//! The shape every aggregate shares: fold events with `apply`, decide
//! commands with `decide`.
//!
//! `decide` is pure: everything it needs (the time, ids, configuration such as
//! a routing rule set) arrives in its arguments or inside the command. This
//! module must not know storage, streams or versions: loading an aggregate
//! and appending with an expected version is the command layer's job.

use chrono::{DateTime, Utc};

use crate::error::DomainError;
use crate::event::Event;
use crate::role::CommandKind;

/// An aggregate: state folded from its stream's events.
/// `Send + Sync + 'static`: aggregates are plain data, so the command layer
/// may cache folded states across tasks.
pub trait Aggregate: Default + Clone + std::fmt::Debug + Send + Sync + 'static {
    /// The commands this aggregate decides; each lists the business times
    /// it carries ([`crate::business_time`]), which the command layer checks
    /// against its clock before deciding.
    type Command: crate::business_time::BusinessTimes + Clone + Send + 'static;

    /// Folds one event into the state. Events that do not concern this
    /// aggregate are ignored; `apply` never fails (events are facts).
    fn apply(&mut self, event: &Event);

    /// The kind of a command, for the authorisation table
    /// ([`crate::role::authorise`]) before anything is loaded.
    fn command_kind(command: &Self::Command) -> CommandKind;

    /// Decides a command against the current state at time `now`.
    fn decide(&self, command: Self::Command, now: DateTime<Utc>)
        -> Result<Vec<Event>, DomainError>;

    /// Folds a whole stream from the empty state.
    fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut state = Self::default();
        for event in events {
            state.apply(event);
        }
        state
    }
}
