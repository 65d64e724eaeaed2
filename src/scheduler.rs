//! The day-close scheduler that `serve` runs: time enters the log only as
//! `DayClosed` events, and this is what issues them when nobody else does.
//!
//! Every tick (a minute by default) it closes, in order, every day after
//! the last closed one whose close time (pool policy time zone) has
//! passed, as the actor `integrator:scheduler`. Integrators may also close
//! days themselves (`POST /v1/days/{date}/close`); closing is idempotent,
//! so the scheduler and an integrator never double a decision. A log that
//! has never closed a day starts from the local day of its first record.
//! It never closes more than [`MAX_DAYS_PER_TICK`] days at once, so a long
//! backlog is worked off over several ticks without starving requests.
//!
//! A close appends `DayClosed` and then decides for every customer,
//! account and contract; if that fan-out is cut short (a crash after
//! `DayClosed`, a step that failed), the day is closed in the log but some
//! of its decisions are not made. So the scheduler keeps the days whose
//! fan-out it has not seen finish (`unfinished`): at its start, the last
//! closed day (a crash may have cut it short); then each day of its own
//! whose close failed after its `DayClosed`. At each tick it closes those
//! again first (each decision is idempotent for its day: what was decided
//! is not decided twice), and a day it cannot finish stays listed without
//! holding up the days after it. An integrator whose close answers an
//! error closes the day again (`POST /v1/days/{date}/close`).

use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};
use salesledger_commands::{CommandError, CommandMeta, CommandService, DayCloseOutcome, Principal};
use salesledger_domain::value::ActorId;
use salesledger_domain::Role;
use tokio::sync::watch;

/// Days closed per tick at most.
pub const MAX_DAYS_PER_TICK: usize = 31;

/// The actor the scheduler records.
pub fn scheduler_principal() -> Result<Principal, CommandError> {
    Ok(Principal {
        actor: ActorId::parse("scheduler")?,
        role: Role::Integrator,
    })
}

/// The closed days whose fan-out a scheduler has not seen finish (see
/// the module documentation).
#[derive(Debug, Default)]
pub struct Unfinished {
    started: bool,
    days: std::collections::BTreeSet<NaiveDate>,
}

impl Unfinished {
    /// The days still listed, oldest first.
    pub fn days(&self) -> impl Iterator<Item = &NaiveDate> {
        self.days.iter()
    }
}

/// Closes every due day (at most `max_days` new ones) as of `now`; returns
/// what each close did, oldest first. First it closes again each day in
/// `unfinished` (at the first call, the last closed day), returned if
/// that appended anything; one that fails again is logged and stays
/// listed.
pub async fn close_due_days(
    service: &CommandService,
    principal: &Principal,
    now: DateTime<Utc>,
    max_days: usize,
    unfinished: &mut Unfinished,
) -> Result<Vec<DayCloseOutcome>, CommandError> {
    let policy = service.pool_policy().await?;
    let last = service.last_closed_day().await?;
    if !unfinished.started {
        unfinished.started = true;
        unfinished.days.extend(last);
    }
    let mut closed = Vec::new();
    for day in unfinished.days.clone() {
        let meta = CommandMeta::new(principal.clone(), now);
        match service.close_day(&meta, day).await {
            Ok(outcome) => {
                unfinished.days.remove(&day);
                if !outcome.events.is_empty() {
                    tracing::warn!(
                        day = %day,
                        n_events = outcome.events.len(),
                        "completed a day close whose decisions were cut short"
                    );
                    closed.push(outcome);
                }
            }
            Err(error) => {
                tracing::warn!(day = %day, %error, "a day close is still unfinished; retrying at the next tick");
            }
        }
    }
    let first = match last {
        Some(last) => last.succ_opt(),
        None => first_local_day(service, policy.day_close_utc_offset_minutes).await?,
    };
    let mut day = first;
    let mut n_closed = 0;
    while let Some(current) = day {
        if n_closed >= max_days || policy.day_closes_at(current) > now {
            break;
        }
        let meta = CommandMeta::new(principal.clone(), now);
        let outcome = match service.close_day(&meta, current).await {
            Ok(outcome) => outcome,
            Err(error) => {
                // Closed in the log, its decisions cut short: finish it at
                // the next tick.
                if service.last_closed_day().await? >= Some(current) {
                    unfinished.days.insert(current);
                }
                return Err(error);
            }
        };
        tracing::info!(
            day = %current,
            n_events = outcome.events.len(),
            "day closed by the scheduler"
        );
        closed.push(outcome);
        n_closed += 1;
        day = current.succ_opt();
    }
    Ok(closed)
}

/// The local day of the log's first record, `None` for an empty log.
async fn first_local_day(
    service: &CommandService,
    offset_minutes: i32,
) -> Result<Option<NaiveDate>, CommandError> {
    let first = service.store().read_all(0, 1).await?;
    let offset = FixedOffset::east_opt(offset_minutes.saturating_mul(60)).unwrap_or(Utc.fix());
    Ok(first
        .first()
        .map(|record| record.recorded_at.with_timezone(&offset).date_naive()))
}

/// Runs [`close_due_days`] every `every` until `stop` turns true. Errors
/// are logged and retried at the next tick (a refused close appends
/// nothing; a half-done one is listed as unfinished and closed again
/// first).
pub async fn run(
    service: std::sync::Arc<CommandService>,
    clock: std::sync::Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let principal = match scheduler_principal() {
        Ok(principal) => principal,
        Err(error) => {
            tracing::error!(%error, "the day-close scheduler cannot name itself");
            return;
        }
    };
    let mut unfinished = Unfinished::default();
    loop {
        let closing = close_due_days(
            &service,
            &principal,
            clock(),
            MAX_DAYS_PER_TICK,
            &mut unfinished,
        );
        if let Err(error) = closing.await {
            tracing::warn!(%error, "closing due days failed; retrying at the next tick");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use salesledger_store::{SledStore, Store};

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("a valid time")
    }

    #[tokio::test]
    async fn closes_each_due_day_once_in_order_and_never_a_day_not_over() {
        let directory = tempfile::tempdir().expect("temp dir");
        let store = SledStore::open(directory.path()).expect("open the log");
        let shared: Arc<dyn Store> = Arc::new(store.clone());
        let service = CommandService::new(shared);
        let principal = scheduler_principal().expect("principal");
        let mut unfinished = Unfinished::default();

        // An empty log has no first day: nothing to close.
        let none = close_due_days(
            &service,
            &principal,
            at(2027, 3, 20, 0),
            31,
            &mut unfinished,
        )
        .await
        .expect("no days");
        assert!(none.is_empty());

        // Integrators close a first day; the scheduler goes on from there.
        let meta = CommandMeta::new(principal.clone(), at(2027, 3, 16, 0));
        service
            .close_day(&meta, NaiveDate::from_ymd_opt(2027, 3, 14).expect("day"))
            .await
            .expect("closed");
        // 2027-03-17 (China time) closes at 2027-03-17T16:00Z: at 15:00Z
        // only the 15th and the 16th are over.
        let closed = close_due_days(
            &service,
            &principal,
            at(2027, 3, 17, 15),
            31,
            &mut unfinished,
        )
        .await
        .expect("closes");
        let days: Vec<String> = closed
            .iter()
            .map(|outcome| outcome.day.to_string())
            .collect();
        assert_eq!(days, ["2027-03-15", "2027-03-16"]);
        assert!(closed.iter().all(|outcome| outcome.newly_closed));

        // Again at the same time: nothing more; the calendar holds 3 days.
        let again = close_due_days(
            &service,
            &principal,
            at(2027, 3, 17, 15),
            31,
            &mut unfinished,
        )
        .await
        .expect("nothing due");
        assert!(again.is_empty());
        assert_eq!(
            service.last_closed_day().await.expect("calendar"),
            NaiveDate::from_ymd_opt(2027, 3, 16)
        );

        // A long backlog is closed at most `max_days` at a time.
        let first = close_due_days(&service, &principal, at(2027, 4, 30, 0), 5, &mut unfinished)
            .await
            .expect("closes");
        assert_eq!(first.len(), 5);
        assert_eq!(first[4].day.to_string(), "2027-03-21");
        let records = service.store().read_all(0, 1_000).await.expect("read");
        let closes = records
            .iter()
            .filter(|record| record.event_type == "DayClosed")
            .count();
        assert_eq!(closes, 8, "one DayClosed per day, never twice");
        assert!(records
            .iter()
            .filter(|record| record.event_type == "DayClosed")
            .skip(1)
            .all(|record| record.actor == "integrator:scheduler"));
        store.close().await;
    }
}
