//! Table of contents of the domain tests (one binary, ripgrep style).
//!
//! - `support`: deterministic fixtures (ids, times, reps, rule sets).
//! - `values`: value objects (tags 3..5, attributes <= 12, USCC, phone, e-mail, names).
//! - `lead_routing`: C1 hand-off confirmations and C2 routing.
//! - `customer_ownership`: C3 one owner, claim conflicts, transfer, pool rule.
//! - `duplicates`: C3 duplicate detection on name, code and phone.
//! - `visits`: C4 visit log, extraction confirmation, to-dos.
//! - `extraction_transcripts`: C4 extractor on 30+ transcripts (fixtures/transcripts.json).
//! - `golden_lifecycle`: a lifecycle producing every event type, against fixtures/events/lifecycle.jsonl.
//! - `nurture`: C5 nurture packs.
//! - `proposals`: C6 proposal evidence and the 2-of-3 rule.
//! - `reps_and_config`: reps and versioned configuration publications.
//! - `roles`: the authorisation table.
//! - `catalogue`: event names, versions, upcasters, golden old-format fixtures, stream ids.
//! - `properties`: property tests (normalisation idempotent, ownership model).
//! - `health`: C7/C8 health score goldens at the level boundaries, sums, weights, policy, risk helpers.
//! - `account`: C7 account inputs and the day-close health process (call-back, freeze, rescue).
//! - `contract`: C10 contracts, FIFO payments, overdue instalments and task cards.
//! - `calendar`: closed days (order, idempotence, never early).
//! - `funnel`: C11 lead funnel stages.
//! - `error_texts`: error messages name ids and values plainly, never Rust debug text.
//! - `retail`: C13 chain stores (entities, promotions, retail policy, POS batch builder).

mod support;

mod account;
mod calendar;
mod catalogue;
mod contract;
mod customer_ownership;
mod duplicates;
mod error_texts;
mod extraction_transcripts;
mod funnel;
mod golden_lifecycle;
mod health;
mod lead_routing;
mod nurture;
mod properties;
mod proposals;
mod reps_and_config;
mod retail;
mod roles;
mod values;
mod visits;
