//! `salesledger-commands`: the one pipeline every command goes through
//! (authenticate, authorise by role, load, decide, append with the expected
//! version, bounded retry on conflict, idempotency).
//!
//! Built in issue 3. It knows the domain and the `Store` trait, never HTTP.
#![forbid(unsafe_code)]
