//! Which records of the log a caller sees on the event feed (`GET
//! /v1/events` and its live stream, served by `gateway::feed`; this module
//! knows no HTTP): [`VISIBILITY`] is the one table that says which event
//! types each role may read; for a rep ([`rep_scoped`]) only the events
//! about its own work are shown: those whose payload names the rep, or,
//! for an event naming no rep in a visit or contract stream, whose
//! stream's opening event names it (`salesledger_domain::audience`). A
//! rep token without a rep id sees none of them.

use std::collections::HashMap;

use salesledger_domain::audience::{named_reps, opener_names_owner};
use salesledger_domain::value::RepId;
use salesledger_domain::Role;
use salesledger_store::{RecordedEvent, Store, StoreError};

/// At most this many records are examined per request, so a selective
/// filter over a long log still answers promptly (with `next_after` showing
/// how far it got).
pub const MAX_SCAN: u64 = 16 * 1024;

/// The events of a rep's own work: a rep's feed, and part of a store
/// manager's.
const REP_WORK: &[&str] = &[
    "CustomerClaimed",
    "CustomerTransferred",
    "CustomerReleased",
    "CustomerReturnedToPool",
    "CustomerRecalledToPool",
    "FollowUpRecorded",
    "RoutingConfirmed",
    "Visit*",
    "Todo*",
    "OverdueTaskCardIssued",
    "ProcessAssetRecorded",
];

/// Which event types a role may read on the feed: `"*"` is every type,
/// `"Prefix*"` every type starting with `Prefix`. A role not listed sees
/// nothing; a role listed more than once sees the union. Roles that
/// oversee or integrate the whole system see all; each operational role
/// sees the events of its own work.
pub const VISIBILITY: &[(Role, &[&str])] = &[
    (Role::Supervisor, &["*"]),
    (Role::RegionalSupervisor, &["*"]),
    (Role::Auditor, &["*"]),
    (Role::Analyst, &["*"]),
    (Role::Integrator, &["*"]),
    (Role::Cto, &["*"]),
    (
        Role::Csm,
        &[
            "CustomerRegistered",
            "UsageReported",
            "SupportTicket*",
            "RenewalDateSet",
            "SuccessReferenceRecorded",
            "CompetitorKeywordsSearched",
            "CallbackTask*",
            "HealthLevelChanged",
            "HealthPolicyPublished",
            "SuccessCasePushed",
            "RenewalQuot*",
            "RescuePlan*",
            "DayClosed",
        ],
    ),
    (
        Role::Finance,
        &[
            "ContractSigned",
            "PaymentReceived",
            "InstalmentOverdue",
            "OverdueTaskCardIssued",
            "RenewalQuoted",
            "DayClosed",
        ],
    ),
    (
        Role::Legal,
        &[
            "ContractSigned",
            "InstalmentOverdue",
            "OverdueTaskCardIssued",
        ],
    ),
    (Role::Rep, REP_WORK),
    (Role::StoreManager, REP_WORK),
    (
        Role::StoreManager,
        &[
            "Rep*",
            "LeadStageAdvanced",
            "StoreOpened",
            "SkuRegistered",
            "MemberEnrolled",
            "PromotionLaunched",
            "PosTicketsRecorded",
            "RetailPolicyPublished",
        ],
    ),
    (
        Role::Marketing,
        &[
            "Lead*",
            "Routing*",
            "Nurture*",
            "Proposal*",
            "CustomerRegistered",
            "StoreOpened",
            "SkuRegistered",
            "PromotionLaunched",
            "RetailPolicyPublished",
        ],
    ),
];

/// Whether `role`'s feed is limited to their own work: an event is shown
/// only if it is about the caller's rep (see [`FeedFilter`]). The same rule
/// as single reads and lists: the access table's owner-scoped roles
/// ([`salesledger_domain::access::owner_scoped`]).
pub fn rep_scoped(role: Role) -> bool {
    salesledger_domain::access::owner_scoped(role)
}

/// Whether `role` may read events of `event_type` ([`VISIBILITY`]).
pub fn visible(role: Role, event_type: &str) -> bool {
    VISIBILITY
        .iter()
        .filter(|(listed, _)| *listed == role)
        .flat_map(|(_, patterns)| patterns.iter())
        .any(|pattern| matches_pattern(pattern, event_type))
}

fn matches_pattern(pattern: &str, event_type: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => event_type.starts_with(prefix),
        None => pattern == event_type,
    }
}

/// What one caller's filter keeps.
#[derive(Clone)]
pub struct FeedFilter {
    role: Role,
    types: Option<Vec<String>>,
    /// `Some` for a rep-scoped role: only events about this rep (`None`
    /// inside: a rep token without a rep id, which sees none).
    scope: Option<Option<RepId>>,
    /// Stream openers' reps already looked up (visits and contracts).
    openers: HashMap<String, Vec<RepId>>,
}

impl FeedFilter {
    /// The filter of a caller in `role` (with `rep_id`, if a rep token
    /// names one) asking for `types` (`None`: every type it may read).
    pub fn new(role: Role, rep_id: Option<RepId>, types: Option<Vec<String>>) -> FeedFilter {
        FeedFilter {
            role,
            types,
            scope: rep_scoped(role).then_some(rep_id),
            openers: HashMap::new(),
        }
    }

    /// Whether the caller sees `record` (reading its stream's opener
    /// when it names no rep itself).
    pub async fn keeps(
        &mut self,
        store: &dyn Store,
        record: &RecordedEvent,
    ) -> Result<bool, StoreError> {
        let by_type = visible(self.role, &record.event_type)
            && self
                .types
                .as_ref()
                .map_or(true, |types| types.contains(&record.event_type));
        match self.scope {
            _ if !by_type => Ok(false),
            None => Ok(true),
            Some(None) => Ok(false),
            Some(Some(rep)) => about_rep(store, record, rep, &mut self.openers).await,
        }
    }
}

/// Whether `record` is about `rep`: its payload names the rep, or it names
/// none and its visit or contract stream's opening event does.
async fn about_rep(
    store: &dyn Store,
    record: &RecordedEvent,
    rep: RepId,
    openers: &mut HashMap<String, Vec<RepId>>,
) -> Result<bool, StoreError> {
    let named = reps_of(record);
    if !named.is_empty() || !opener_names_owner(&record.stream_id) || record.stream_version == 0 {
        return Ok(named.contains(&rep));
    }
    if let Some(reps) = openers.get(&record.stream_id) {
        return Ok(reps.contains(&rep));
    }
    let opener = store.read_stream(&record.stream_id, 0, 1).await?;
    let reps = opener.first().map(reps_of).unwrap_or_default();
    let about = reps.contains(&rep);
    if openers.len() >= MAX_OPENERS_CACHED {
        openers.clear();
    }
    openers.insert(record.stream_id.clone(), reps);
    Ok(about)
}

/// Stream openers remembered per feed request or stream.
const MAX_OPENERS_CACHED: usize = 4096;

/// The reps a record's event names (none if it does not decode), decoded
/// as every reader decodes a record (`salesledger_projections::decode_record`).
fn reps_of(record: &RecordedEvent) -> Vec<RepId> {
    match salesledger_projections::decode_record(record) {
        Ok(Some(event)) => named_reps(&event),
        Ok(None) | Err(_) => Vec::new(),
    }
}

/// Whether `name` may be an event type: 1 to 64 ASCII letters, digits or
/// underscores (the feed's `types` filter and a webhook's event types).
pub fn is_event_type_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Scans from `from` (inclusive) up to the head, at most `MAX_SCAN`
/// records, collecting up to `limit` kept records. Returns them and the
/// last position examined.
pub async fn scan(
    store: &dyn Store,
    from: u64,
    limit: usize,
    filter: &mut FeedFilter,
) -> Result<(Vec<RecordedEvent>, Option<u64>), StoreError> {
    let head = store.head().len;
    let mut next = from;
    let mut last_examined = None;
    let mut records = Vec::new();
    while next < head && records.len() < limit && next - from < MAX_SCAN {
        let page = store.read_all(next, salesledger_store::READ_PAGE).await?;
        if page.is_empty() {
            break;
        }
        for record in &page {
            if record.position >= head {
                break;
            }
            last_examined = Some(record.position);
            next = record.position + 1;
            if filter.keeps(store, record).await? {
                records.push(record.clone());
                if records.len() >= limit {
                    break;
                }
            }
        }
    }
    Ok((records, last_examined))
}

/// A page of the feed after `after` (exclusive; from position 0 without
/// it): at most `limit` kept records, waiting up to `wait` for the head to
/// move while there are none. Returns them, the last position examined
/// (`after` while nothing has been) and the log's length when it was read.
pub async fn page(
    store: &dyn Store,
    after: Option<u64>,
    limit: usize,
    filter: &mut FeedFilter,
    wait: std::time::Duration,
) -> Result<(Vec<RecordedEvent>, Option<u64>, u64), StoreError> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut head = store.watch_head();
    let mut last = after;
    loop {
        let _ = head.borrow_and_update();
        let scan_from = last.map_or(0, |last| last.saturating_add(1));
        let (records, examined) = scan(store, scan_from, limit, filter).await?;
        if examined.is_some() {
            last = examined;
        }
        if !records.is_empty() || wait.is_zero() || tokio::time::Instant::now() >= deadline {
            return Ok((records, last, store.head().len));
        }
        // Wait for the head to move (or the deadline).
        match tokio::time::timeout_at(deadline, head.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) | Err(_) => return Ok((Vec::new(), last, store.head().len)),
        }
    }
}

/// The kept records from position `from` on, live: it ends when the log
/// cannot be read (logged) or when `shutting_down` turns true (the client
/// then reconnects from the last position it received).
pub fn live(
    store: std::sync::Arc<dyn Store>,
    from: u64,
    filter: FeedFilter,
    shutting_down: tokio::sync::watch::Receiver<bool>,
) -> impl futures_util::Stream<Item = RecordedEvent> {
    let subscription = salesledger_store::Subscription::new(store.clone(), from);
    futures_util::stream::unfold(
        (subscription, filter, shutting_down, store),
        |(mut subscription, mut filter, mut shutting_down, store)| async move {
            loop {
                let next = tokio::select! {
                    next = subscription.next() => next,
                    _ = shutting_down.wait_for(|stopping| *stopping) => return None,
                };
                match next {
                    None => return None,
                    Some(Err(error)) => {
                        tracing::warn!(%error, "event stream: reading the log failed");
                        return None;
                    }
                    Some(Ok(record)) => match filter.keeps(store.as_ref(), &record).await {
                        Ok(true) => {
                            return Some((record, (subscription, filter, shutting_down, store)))
                        }
                        Ok(false) => continue,
                        Err(_) => {
                            tracing::warn!("event stream: reading a stream's opener failed");
                            return None;
                        }
                    },
                }
            }
        },
    )
}
