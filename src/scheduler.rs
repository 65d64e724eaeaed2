//! The day-close scheduler that `serve` runs: time enters the log only as
//! `DayClosed` events, and this is what issues them when nobody else does.
//!
//! Every tick (a minute by default) it closes, in order, every day after
//! the last closed one whose close time (pool policy time zone) has
//! passed, as the actor `integrator:scheduler`: always the next day not yet
//! closed, as the calendar closes no other (days close in order, none
//! skipped). Integrators may also close days themselves
//! (`POST /v1/days/{date}/close`, the same rule); closing is idempotent,
//! so the scheduler and an integrator never double a decision, and a day
//! an integrator closed first is closed again as a no-op. A log that has
//! never closed a day starts from the local day of its first record. It
//! never closes more than [`MAX_DAYS_PER_TICK`] days at once, so a long
//! backlog is worked off over several ticks without starving requests.
//!
//! A close appends `DayClosed` and then decides for every customer,
//! account and contract; if that fan-out is cut short (a crash after
//! `DayClosed`, a step that failed), the day is closed in the log but some
//! of its decisions are not made. Closing the day again completes them,
//! but only while it is the last closed day (a close of an earlier day
//! runs no fan-out: it would decide that day on today's state). So the
//! scheduler keeps the day whose fan-out it has not seen finish
//! (`unfinished`): at its start, the last closed day (a crash may have
//! cut it short); a last closed day it did not close itself (another
//! gateway on a shared PostgreSQL log, an integrator: one that stopped
//! mid-fan-out leaves it cut short, and no other scheduler would know);
//! then a day of its own whose close failed after its `DayClosed`. At
//! each tick it closes that day again first (each decision
//! is idempotent for its day: what was decided is not decided twice), and
//! closes no later day until it has finished. A listed day that is no
//! longer the last closed one (an integrator closed the next) can no
//! longer be finished: it is dropped, with a warning. An integrator whose
//! close answers an error closes the day again
//! (`POST /v1/days/{date}/close`) before closing the next.

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
    /// The last closed day this scheduler knew of at its last tick.
    known_last: Option<NaiveDate>,
}

impl Unfinished {
    /// The days still listed, oldest first.
    pub fn days(&self) -> impl Iterator<Item = &NaiveDate> {
        self.days.iter()
    }
}

/// Closes every due day (at most `max_days` new ones) as of `now`; returns
/// what each close did, oldest first. First it closes again the day in
/// `unfinished` (at the first call, the last closed day), returned if
/// that appended anything; if that fails again, the day stays listed and
/// the error is returned before any later day is closed.
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
    } else if last != unfinished.known_last {
        // Closed elsewhere since the last tick (another gateway on a shared
        // log, an integrator): its fan-out may have been cut short there,
        // and it can be completed only while it is the last closed day.
        // Closed again now, soon after its close, it decides what is left
        // on the same inputs (a full fan-out once more, idempotent).
        unfinished.days.extend(last);
    }
    unfinished.known_last = last;
    let mut closed = Vec::new();
    for day in unfinished.days.clone() {
        if Some(day) != last {
            // Its fan-out can no longer run (a later day is closed).
            unfinished.days.remove(&day);
            tracing::warn!(
                day = %day,
                last_closed = ?last,
                "a day close cut short cannot be completed: a later day is closed"
            );
            continue;
        }
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
                // The days after it wait: once the next day is closed,
                // this one's fan-out could not be completed.
                tracing::warn!(day = %day, %error, "a day close is still unfinished; closing no later day until it is finished");
                return Err(error);
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
                    unfinished.known_last = Some(current);
                }
                return Err(error);
            }
        };
        unfinished.known_last = Some(current);
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

    /// Days close in order whoever closes them: an integrator cannot close
    /// a day past the next one while the scheduler works through a
    /// backlog, so the scheduler's next close never fails and no day is
    /// left unclosed; a day the integrator closed first is closed again as
    /// a no-op. A restarted scheduler closes the last closed day again and
    /// decides nothing twice; a listed day that is no longer the last
    /// closed one is dropped, not closed again.
    /// A log in a temporary directory and a command service over it.
    fn scratch_log() -> (tempfile::TempDir, SledStore, CommandService) {
        let directory = tempfile::tempdir().expect("temp dir");
        let store = SledStore::open(directory.path()).expect("open the log");
        let shared: Arc<dyn Store> = Arc::new(store.clone());
        (directory, store, CommandService::new(shared))
    }

    /// A usage report of 20 active days up to `last`: yellow as of `last`.
    fn twenty_active_days(
        customer_id: salesledger_domain::value::CustomerId,
        last: NaiveDate,
    ) -> salesledger_domain::account::AccountCommand {
        salesledger_domain::account::AccountCommand::ReportUsage {
            customer_id,
            days: (0..20)
                .map(|offset| salesledger_domain::health::DailyUsage {
                    day: last - chrono::Duration::days(offset),
                    logins: 1,
                    key_feature_calls: 10,
                })
                .collect(),
            modules_used: Vec::new(),
            last_login_at: None,
        }
    }

    /// Another gateway (or an integrator) appended a day's `DayClosed` and
    /// stopped before its fan-out: this scheduler, which did not close that
    /// day, closes it again at its next tick, so its decisions are made
    /// before the next day is closed.
    #[tokio::test]
    async fn a_day_closed_elsewhere_and_cut_short_is_completed_before_the_next() {
        use salesledger_domain::calendar::{Calendar, CalendarCommand};
        use salesledger_domain::value::CustomerId;

        let (_directory, store, service) = scratch_log();
        let principal = scheduler_principal().expect("principal");
        let day = |d: u32| NaiveDate::from_ymd_opt(2027, 3, d).expect("day");
        // The 12th is closed; this scheduler's first tick knows it.
        service
            .close_day(
                &CommandMeta::new(principal.clone(), at(2027, 3, 13, 0)),
                day(12),
            )
            .await
            .expect("the 12th");
        let mut unfinished = Unfinished::default();
        let first = close_due_days(
            &service,
            &principal,
            at(2027, 3, 13, 1),
            31,
            &mut unfinished,
        )
        .await
        .expect("a first tick");
        assert!(first.is_empty(), "nothing due: {first:?}");
        // 20 active days up to the 13th: yellow as of the 13th.
        let customer_id = CustomerId::from_uuid(uuid::Uuid::from_u128(0x5002));
        service
            .execute::<salesledger_domain::account::Account>(
                &CommandMeta::new(principal.clone(), at(2027, 3, 13, 12)),
                &salesledger_domain::stream::account_stream_id(customer_id),
                twenty_active_days(customer_id, day(13)),
            )
            .await
            .expect("usage");

        // Elsewhere: the 13th's DayClosed alone, its close cut short.
        let policy = service.pool_policy().await.expect("policy");
        service
            .execute::<Calendar>(
                &CommandMeta::new(principal.clone(), at(2027, 3, 13, 17)),
                salesledger_domain::stream::CALENDAR_STREAM,
                CalendarCommand::CloseDay {
                    day: day(13),
                    closes_at: policy.day_closes_at(day(13)),
                },
            )
            .await
            .expect("the DayClosed");
        let closed = close_due_days(
            &service,
            &principal,
            at(2027, 3, 14, 17),
            31,
            &mut unfinished,
        )
        .await
        .expect("the next tick");
        let days: Vec<NaiveDate> = closed.iter().map(|outcome| outcome.day).collect();
        assert_eq!(days, [day(13), day(14)], "the 13th completed first");
        let decided: Vec<&str> = closed[0]
            .events
            .iter()
            .map(|event| event.event_type.as_str())
            .collect();
        assert!(decided.contains(&"HealthLevelChanged"), "{decided:?}");
        store.close().await;
    }

    #[tokio::test]
    async fn days_close_in_order_and_a_restart_decides_nothing_twice() {
        use salesledger_domain::account::AccountCommand;
        use salesledger_domain::value::{CustomerId, ReferenceRef, Text};

        let (_directory, store, service) = scratch_log();
        let principal = scheduler_principal().expect("principal");
        let day = |d: u32| NaiveDate::from_ymd_opt(2027, 3, d).expect("day");
        let customer_id = CustomerId::from_uuid(uuid::Uuid::from_u128(0x5001));
        let account = salesledger_domain::stream::account_stream_id(customer_id);
        let input = |command: AccountCommand, now: DateTime<Utc>| {
            let service = &service;
            let principal = principal.clone();
            let account = account.clone();
            async move {
                service
                    .execute::<salesledger_domain::account::Account>(
                        &CommandMeta::new(principal, now),
                        &account,
                        command,
                    )
                    .await
                    .expect("an input");
            }
        };
        input(
            twenty_active_days(customer_id, day(14)),
            at(2027, 3, 14, 12),
        )
        .await;
        let meta = CommandMeta::new(principal.clone(), at(2027, 3, 14, 17));
        let first = service.close_day(&meta, day(14)).await.expect("closed");
        assert_eq!(first.events.len(), 3, "{first:?}");
        // References dated the 15th: green from the 15th on, not as of the
        // 14th.
        for n in 1..=2 {
            let reference = AccountCommand::RecordSuccessReference {
                customer_id,
                reference_ref: ReferenceRef::parse(&format!("CASE-{n}")).expect("ref"),
                title: Text::parse("成功案例").expect("title"),
                referenced_on: day(15),
            };
            input(reference, at(2027, 3, 15, 6)).await;
        }

        // A backlog: the 15th to the 19th are over. The scheduler closes
        // two of them; an integrator then may close the 17th but not the
        // 19th.
        let now = at(2027, 3, 20, 0);
        let mut unfinished = Unfinished::default();
        let closed = close_due_days(&service, &principal, now, 2, &mut unfinished)
            .await
            .expect("closes");
        assert_eq!(closed.len(), 2);
        let integrator = Principal {
            actor: ActorId::parse("erp").expect("actor"),
            role: Role::Integrator,
        };
        let refused = service
            .close_day(&CommandMeta::new(integrator.clone(), now), day(19))
            .await
            .expect_err("a day past the next one");
        assert!(matches!(refused, CommandError::Domain(_)), "{refused:?}");
        service
            .close_day(&CommandMeta::new(integrator, now), day(17))
            .await
            .expect("the next day");
        let closed = close_due_days(&service, &principal, now, 31, &mut unfinished)
            .await
            .expect("the rest of the backlog");
        let days: Vec<NaiveDate> = closed.iter().map(|outcome| outcome.day).collect();
        assert_eq!(days, [day(18), day(19)]);
        let calendar = service
            .load::<salesledger_domain::calendar::Calendar>(
                salesledger_domain::stream::CALENDAR_STREAM,
            )
            .await
            .expect("calendar")
            .state;
        assert!(day(14).iter_days().take(6).all(|d| calendar.is_closed(d)));

        // A restart closes the last closed day again, and an earlier day
        // listed as unfinished is dropped (closed again, the 14th would
        // now be found yellow): nothing is decided.
        let before = service.store().head().len;
        let mut restarted = Unfinished::default();
        restarted.days.insert(day(14));
        let again = close_due_days(&service, &principal, now, 31, &mut restarted)
            .await
            .expect("a first tick");
        assert!(again.is_empty(), "{again:?}");
        assert_eq!(restarted.days().count(), 0);
        assert_eq!(service.store().head().len, before, "nothing appended");
        store.close().await;
    }
}
