//! `salesledger-commands`: the one pipeline every command goes through.
//!
//! authenticate (the caller hands in a [`Principal`]) -> authorise the
//! role for the command kind -> answer a repeated idempotency key with the
//! original outcome -> load the aggregate's stream -> `decide` -> append
//! with the expected version -> on a version conflict, reload and decide
//! again, a bounded number of times. Every event records the actor, the
//! command id, and the correlation and causation ids.
//!
//! It also keeps the [`Registry`]: what some decisions need from outside
//! their own stream (the duplicate index, the reps' routing profiles, the
//! streams a day close visits, each proposal's and blob's customers),
//! folded from the log and caught up to the head before it is used, behind
//! the log-wide registration lock ([`CommandService::lock_registry`]).
//! Published configuration is read from its own streams
//! ([`CommandService::published_config`], [`CommandService::pool_policy`]).
//!
//! Reactions (a visit's follow-up, a nurture pack, a routed lead's
//! customer claimed) are issued inline after their trigger and, whatever
//! happens to the process, by the reaction process manager
//! ([`process_manager::ReactionManager`]) that follows the log from its own
//! checkpoint; both use one idempotency key per trigger and reaction, so a
//! reaction is appended once.
//!
//! Also: [`dayclose`] (the day-close process manager), [`system`] (the
//! system's own commands and the first-start defaults), [`builders`]
//! (server-side command inputs read from the log) and [`retail`] (chain
//! stores: the catalogue followed from the log, POS batches recorded from
//! lines the caller parsed).
//!
//! Architecture invariant: it knows the domain and the `Store` trait, never
//! HTTP, JSON request shapes or wire formats (the POS NDJSON is parsed in
//! the gateway) or a storage backend.
#![forbid(unsafe_code)]

pub mod builders;
pub mod catalogue;
pub mod dayclose;
pub mod error;
mod follow;
pub mod pipeline;
pub mod process_manager;
pub mod reactions;
pub mod registry;
pub mod retail;
pub mod system;

pub use dayclose::DayCloseOutcome;
pub use error::CommandError;
pub use pipeline::{
    CommandMeta, CommandOutcome, CommandService, EventSummary, IdempotencyKey, Loaded, Principal,
    RegistryGuard,
};
pub use process_manager::{ReactionManager, ReactionManagerConfig, ReactionStatus};
pub use registry::Registry;
pub use retail::{NewMember, NewPromotion, NewRetailPolicy, PosBatchOutcome};
pub use system::FirstStart;
