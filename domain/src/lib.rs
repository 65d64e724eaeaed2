//! `salesledger-domain`: the sales domain as pure code.
//!
//! Events, aggregates and business rules (SPEC C1 to C7, C9 to C11, C13).
//! Deciding is synchronous and pure: `Aggregate::decide(&state, command,
//! now) -> Result<Vec<Event>, DomainError>` and `Aggregate::apply(&mut
//! state, &event)`. Time, ids and configuration (routing rules, pool
//! policy, extraction dictionary, nurture template, health policy, retail
//! policy) are passed in; time enters the log as closed days (`calendar`).
//!
//! Architecture invariant: this crate does no I/O, has no async, never reads
//! the clock, draws no random numbers, and knows nothing of storage, HTTP or
//! JSON request shapes. It knows JSON only as the payload format of events
//! (`event::encode`; `event::decode_record`, the one decoder of stored
//! records, and `event::decode` over a parsed payload).
//!
//! Module map: `value` (ids and value objects), `day_serde` (dates as day
//! numbers in binary formats), `error`, `role`
//! (authorisation table), `access` (ownership scopes of commands and
//! reads), `audience` (the reps an event names), `business_time` (the
//! business times each command carries), `event` (catalogue, encode /
//! decode, upcasters), `stream` (stream ids), `aggregate` (the trait), one
//! module per aggregate (`rep`, `customer`, `lead` with its funnel stages,
//! `visit`, `nurture`, `proposal`, `config`, `calendar`, `account`,
//! `contract`, `asset`, `retail` for chain stores), the pure rules they use
//! (`duplicate`, `routing`, `extraction`, `health`) and `testing` (a
//! given/when/then helper for tests).
#![forbid(unsafe_code)]

pub mod access;
pub mod account;
pub mod aggregate;
pub mod asset;
pub mod audience;
pub mod business_time;
pub mod calendar;
pub mod config;
pub mod contract;
pub mod customer;
pub mod day_serde;
pub mod duplicate;
pub mod error;
pub mod event;
pub mod extraction;
pub mod health;
pub mod lead;
pub mod nurture;
pub mod proposal;
pub mod rep;
pub mod retail;
pub mod role;
pub mod routing;
pub mod stream;
pub mod testing;
pub mod value;
pub mod visit;

pub use aggregate::Aggregate;
pub use business_time::{BusinessTime, BusinessTimes};
pub use error::{DomainError, ErrorKind};
pub use event::{decode, decode_record, encode, EncodedEvent, Event};
pub use role::{may_issue, CommandKind, Role};
