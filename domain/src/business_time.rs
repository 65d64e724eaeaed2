//! The business times a command carries: instants the caller asserts about
//! the world (a visit happened, an e-mail was delivered, a link was opened,
//! a ticket was opened or resolved, a till sold something), as opposed to
//! the decision time `now` the command layer passes in.
//!
//! The command layer (`salesledger-commands`) refuses a command any of
//! whose business times lies more than its configured margin ahead of the
//! server's clock (`time_in_future`, naming the field). This module only
//! lists the times: it reads no clock.
//!
//! Every command type implements [`BusinessTimes`] by destructuring each of
//! its variants and structs without `..`: adding a field to a command fails
//! to compile until the field is listed here or explicitly ignored, so the
//! list stays complete. Times that are not the caller's assertions are
//! ignored on purpose, each with its reason (e.g. a day's `closes_at`, which
//! the command layer derives from the day and the policy, and which the
//! domain already refuses before it has passed).

use chrono::{DateTime, Utc};

/// One business time of a command: the request field that carries it and
/// its instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusinessTime {
    /// The request field, as the HTTP API names it (`delivered_at`).
    pub field: &'static str,
    pub at: DateTime<Utc>,
}

impl BusinessTime {
    pub fn new(field: &'static str, at: DateTime<Utc>) -> BusinessTime {
        BusinessTime { field, at }
    }
}

/// The business times a command carries (empty for most commands).
pub trait BusinessTimes {
    fn business_times(&self) -> Vec<BusinessTime>;
}
