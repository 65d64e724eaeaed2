//! The day-close process manager: time enters the log as `DayClosed`, and
//! every decision that depends on "today" follows from it.
//!
//! [`CommandService::close_day`] appends `DayClosed` on the `calendar`
//! stream (refused before the day is over, and for any day but the first
//! one ever closed or the day after the last one closed: days close in
//! order, none skipped), then decides, with the close as causation and the
//! same correlation id, for
//! - every customer: the public-pool rule (SPEC C3);
//! - every account with customer-success inputs: the health evaluation and
//!   its policies (SPEC C7: success case, call-back task met or missed,
//!   renewal-quote freeze);
//! - every contract: overdue instalments and their three task cards
//!   (SPEC C10).
//!
//! Each of those decisions is idempotent for a given day (it appends
//! nothing the second time; an account's evaluation of a day at or before
//! the last day it appended for appends nothing), so closing the last
//! closed day again appends no second `DayClosed` and completes a fan-out
//! that a crash or an error interrupted. Closing again a day earlier than
//! the last closed one runs no fan-out at all (answered as closed, with
//! nothing appended): the later day's decisions are made, and deciding the
//! earlier day now, on today's state, would decide it as of today (an
//! account's health for an old day after a later day was evaluated). So a
//! fan-out cut short is completed only while its day is still the last
//! closed one. A step that fails does not stop the others: every step of
//! every phase runs, then the first error is returned (the close is then
//! incomplete, and is completed by closing the day again before the next
//! one; `serve`'s scheduler does so at its next tick and closes no later
//! day until then). Replaying the log decides nothing: the decisions are
//! events.

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::stream::{self, Stream, StreamExt};
use salesledger_domain::account::{Account, AccountCommand};
use salesledger_domain::calendar::{Calendar, CalendarCommand};
use salesledger_domain::config::Config;
use salesledger_domain::contract::{Contract, ContractCommand};
use salesledger_domain::customer::{CloseDay, Customer, CustomerCommand};
use salesledger_domain::health::HealthPolicy;
use salesledger_domain::stream::{CALENDAR_STREAM, CONFIG_HEALTH_STREAM};
use salesledger_domain::value::CustomerId;
use salesledger_domain::CommandKind;
use serde::Serialize;
use uuid::Uuid;

use crate::error::CommandError;
use crate::pipeline::{CommandMeta, CommandOutcome, CommandService, EventSummary};

/// Aggregates decided at once during a day close (their appends share
/// group commits).
const FAN_OUT: usize = 16;

/// Runs every step of a phase, [`FAN_OUT`] at a time, and only then
/// returns the first error, if any: one contended or failing aggregate
/// does not leave the others of its phase undecided (and `close_day` runs
/// every phase before it returns the first phase's error).
async fn every_step<S, F>(steps: S) -> Result<Vec<CommandOutcome>, CommandError>
where
    S: Stream<Item = F>,
    F: std::future::Future<Output = Result<CommandOutcome, CommandError>>,
{
    let results: Vec<Result<CommandOutcome, CommandError>> =
        steps.buffer_unordered(FAN_OUT).collect().await;
    results.into_iter().collect()
}

/// What closing a day did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayCloseOutcome {
    /// The `DayClosed` command's id (the fan-out's causation).
    pub command_id: Uuid,
    pub day: NaiveDate,
    /// When the day closed (from the pool policy's time zone).
    pub closes_at: DateTime<Utc>,
    /// False when the day was already closed (the fan-out ran again and
    /// appended only what an interrupted close had left undone; none ran,
    /// and every count is 0, for a day earlier than the last closed one).
    pub newly_closed: bool,
    pub n_customers_checked: usize,
    pub n_accounts_evaluated: usize,
    pub n_contracts_checked: usize,
    /// Position of the last event appended, for read-your-writes.
    pub last_position: Option<u64>,
    /// Every event appended, `DayClosed` first, then in log order.
    pub events: Vec<EventSummary>,
}

impl CommandService {
    /// The health policy in force: the last one published, else the
    /// documented defaults.
    pub async fn health_policy(&self) -> Result<HealthPolicy, CommandError> {
        let loaded = self.load::<Config>(CONFIG_HEALTH_STREAM).await?;
        Ok(loaded.state.health_policy_in_force())
    }

    /// The last day closed, if any.
    pub async fn last_closed_day(&self) -> Result<Option<NaiveDate>, CommandError> {
        Ok(self
            .load::<Calendar>(CALENDAR_STREAM)
            .await?
            .state
            .last_closed())
    }

    /// Closes `day` and runs every decision that follows from it: see the
    /// module documentation.
    #[tracing::instrument(skip(self, meta), fields(command_id = %meta.command_id))]
    pub async fn close_day(
        &self,
        meta: &CommandMeta,
        day: NaiveDate,
    ) -> Result<DayCloseOutcome, CommandError> {
        Self::authorise(meta.principal.role, CommandKind::CloseDay)?;
        let pool_policy = self.pool_policy().await?;
        let health_policy = self.health_policy().await?;
        let closes_at = pool_policy.day_closes_at(day);
        let closed = self
            .execute::<Calendar>(
                meta,
                CALENDAR_STREAM,
                CalendarCommand::CloseDay { day, closes_at },
            )
            .await?;
        let newly_closed = !closed.events.is_empty() && !closed.replayed;
        if !newly_closed && self.last_closed_day().await? != Some(day) {
            // A later day is closed: its fan-out made the decisions; this
            // day's are not made again on today's state.
            tracing::debug!(%day, "closed before a later day; no fan-out");
            return Ok(DayCloseOutcome {
                command_id: closed.command_id,
                day,
                closes_at,
                newly_closed,
                n_customers_checked: 0,
                n_accounts_evaluated: 0,
                n_contracts_checked: 0,
                last_position: None,
                events: Vec::new(),
            });
        }

        let (customers, accounts, contracts) = self
            .with_registry(|registry| {
                (
                    owned(registry.customer_streams()),
                    registry
                        .account_streams()
                        .filter_map(account_customer)
                        .collect::<Vec<_>>(),
                    owned(registry.contract_streams()),
                )
            })
            .await?;
        let follow = |stream_id: &str| {
            let mut step = CommandMeta::new(meta.principal.clone(), meta.now);
            step.correlation_id = meta.correlation_id;
            step.causation_id = meta.command_id;
            tracing::trace!(stream_id, "day close step");
            step
        };

        // The pool rule first: health policies address the owner after it.
        let pool = every_step(stream::iter(customers.clone()).map(|stream_id| {
            let step = follow(&stream_id);
            let command = CustomerCommand::CloseDay(CloseDay {
                day,
                policy: pool_policy.clone(),
            });
            async move { self.execute::<Customer>(&step, &stream_id, command).await }
        }))
        .await;
        let health = every_step(
            stream::iter(accounts.clone()).map(|(stream_id, customer_id)| {
                let step = follow(&stream_id);
                let health_policy = health_policy.clone();
                async move {
                    let owner = self
                        .load::<Customer>(&salesledger_domain::stream::customer_stream_id(
                            customer_id,
                        ))
                        .await?
                        .state
                        .owner();
                    let command = AccountCommand::EvaluateHealth {
                        customer_id,
                        day,
                        closes_at,
                        policy: health_policy,
                        owner,
                    };
                    self.execute::<Account>(&step, &stream_id, command).await
                }
            }),
        )
        .await;
        let overdue = every_step(stream::iter(contracts.clone()).map(|stream_id| {
            let step = follow(&stream_id);
            async move {
                self.execute::<Contract>(&step, &stream_id, ContractCommand::CheckOverdue { day })
                    .await
            }
        }))
        .await;

        // Every phase ran, whatever another's steps did; then the first
        // error, if any (the close is then unfinished: closing the day
        // again finishes it).
        let (pool, health, overdue) = (pool?, health?, overdue?);
        let mut events = closed.events.clone();
        let mut fanned: Vec<EventSummary> = pool
            .iter()
            .chain(&health)
            .chain(&overdue)
            .flat_map(|outcome| outcome.events.iter().cloned())
            .collect();
        fanned.sort_by_key(|event| event.position);
        events.extend(fanned);
        Ok(DayCloseOutcome {
            command_id: closed.command_id,
            day,
            closes_at,
            newly_closed,
            n_customers_checked: customers.len(),
            n_accounts_evaluated: accounts.len(),
            n_contracts_checked: contracts.len(),
            last_position: events.iter().map(|event| event.position).max(),
            events,
        })
    }
}

fn owned<'a>(streams: impl Iterator<Item = &'a str>) -> Vec<String> {
    streams.map(str::to_owned).collect()
}

/// An `account-<uuid>` stream and the customer it belongs to (streams
/// are only ever named by `stream::account_stream_id`).
fn account_customer(stream_id: &str) -> Option<(String, CustomerId)> {
    let customer_id = stream_id
        .strip_prefix("account-")
        .and_then(|raw| Uuid::parse_str(raw).ok())
        .map(CustomerId::from_uuid);
    if customer_id.is_none() {
        tracing::warn!(
            stream_id,
            "an account stream not named after a customer; skipped"
        );
    }
    customer_id.map(|customer_id| (stream_id.to_owned(), customer_id))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::Duration;
    use salesledger_domain::calendar::{not_the_next_day, Calendar, CalendarCommand};
    use salesledger_domain::customer::PoolPolicy;
    use salesledger_domain::health::DailyUsage;
    use salesledger_domain::stream::{account_stream_id, CALENDAR_STREAM};
    use salesledger_domain::value::{ActorId, ModuleName, ReferenceRef, Text};
    use salesledger_domain::Role;
    use salesledger_store::{SledStore, Store};

    use super::*;
    use crate::pipeline::Principal;

    struct World {
        service: CommandService,
        customer_id: CustomerId,
        _directory: tempfile::TempDir,
    }

    fn world() -> World {
        let directory = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> =
            Arc::new(SledStore::open(directory.path()).expect("open the log"));
        World {
            service: CommandService::new(store),
            customer_id: CustomerId::from_uuid(Uuid::from_u128(0x7001)),
            _directory: directory,
        }
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
    }

    fn closes_at(day: NaiveDate) -> DateTime<Utc> {
        PoolPolicy::default_v1().day_closes_at(day)
    }

    fn integrator(now: DateTime<Utc>) -> CommandMeta {
        let principal = Principal {
            actor: ActorId::parse("feed").expect("actor"),
            role: Role::Integrator,
        };
        CommandMeta::new(principal, now)
    }

    impl World {
        async fn account(&self, command: AccountCommand, now: DateTime<Utc>) {
            self.service
                .execute::<Account>(
                    &integrator(now),
                    &account_stream_id(self.customer_id),
                    command,
                )
                .await
                .expect("an account input");
        }

        /// 20 active days with 10 key-feature calls each up to `last`:
        /// yellow (7500) as of `last`; two references make it green.
        async fn usage(&self, last: NaiveDate, now: DateTime<Utc>) {
            let days = (0..20)
                .map(|offset| DailyUsage {
                    day: last - Duration::days(offset),
                    logins: 1,
                    key_feature_calls: 10,
                })
                .collect();
            let command = AccountCommand::ReportUsage {
                customer_id: self.customer_id,
                days,
                modules_used: vec![ModuleName::parse("crm").expect("module")],
                last_login_at: None,
            };
            self.account(command, now).await;
        }

        async fn references(&self, on: NaiveDate, now: DateTime<Utc>) {
            for n in 1..=2 {
                let command = AccountCommand::RecordSuccessReference {
                    customer_id: self.customer_id,
                    reference_ref: ReferenceRef::parse(&format!("CASE-{on}-{n}")).expect("ref"),
                    title: Text::parse("成功案例").expect("title"),
                    referenced_on: on,
                };
                self.account(command, now).await;
            }
        }

        async fn close(&self, day: NaiveDate, now: DateTime<Utc>) -> DayCloseOutcome {
            self.service
                .close_day(&integrator(now), day)
                .await
                .expect("the day closes")
        }

        fn log_len(&self) -> u64 {
            self.service.store().head().len
        }
    }

    fn types(outcome: &DayCloseOutcome) -> Vec<&str> {
        outcome
            .events
            .iter()
            .map(|event| event.event_type.as_str())
            .collect()
    }

    /// An earlier day closed again, after a later one, decides nothing on
    /// today's state, even for an account its close left unchanged (the
    /// account itself cannot tell it was evaluated then).
    #[tokio::test]
    async fn closing_an_earlier_day_again_decides_nothing() {
        let world = world();
        let first = day("2027-03-14");
        let (second, third) = (first + Duration::days(1), first + Duration::days(2));
        // One idle day: red, quoting frozen.
        let idle = AccountCommand::ReportUsage {
            customer_id: world.customer_id,
            days: vec![DailyUsage {
                day: first,
                logins: 0,
                key_feature_calls: 0,
            }],
            modules_used: Vec::new(),
            last_login_at: None,
        };
        world
            .account(idle, closes_at(first) - Duration::hours(2))
            .await;
        let closed = world.close(first, closes_at(first)).await;
        assert_eq!(
            types(&closed),
            ["DayClosed", "HealthLevelChanged", "RenewalQuotingFrozen"]
        );
        // Still red: the days close alone.
        for day in [second, third] {
            let closed = world.close(day, closes_at(day)).await;
            assert_eq!(types(&closed), ["DayClosed"], "{day}");
        }
        // Usage up to the second day, reported late: as of the first and
        // the second days the account would be yellow.
        let now = closes_at(third) + Duration::hours(2);
        world.usage(second, now).await;
        let before = world.log_len();
        for day in [second, first] {
            let again = world.close(day, now).await;
            assert!(!again.newly_closed);
            assert_eq!(types(&again), Vec::<&str>::new(), "{day}: {again:?}");
            assert_eq!(again.n_accounts_evaluated, 0);
        }
        assert_eq!(world.log_len(), before, "nothing appended");
    }

    /// The last closed day closed again completes a fan-out a crash cut
    /// short, and afterwards appends nothing for an account it evaluated,
    /// whatever its inputs are now.
    #[tokio::test]
    async fn the_last_closed_day_again_completes_a_cut_short_close_once() {
        let world = world();
        let first = day("2027-03-14");
        world
            .usage(first, closes_at(first) - Duration::hours(2))
            .await;
        // The DayClosed alone, as a crash right after it leaves it.
        let now = closes_at(first) + Duration::minutes(5);
        world
            .service
            .execute::<Calendar>(
                &integrator(now),
                CALENDAR_STREAM,
                CalendarCommand::CloseDay {
                    day: first,
                    closes_at: closes_at(first),
                },
            )
            .await
            .expect("the DayClosed");
        let completed = world.close(first, now).await;
        assert!(!completed.newly_closed);
        assert_eq!(
            types(&completed),
            ["HealthLevelChanged", "CallbackTaskCreated"]
        );
        assert_eq!(completed.n_accounts_evaluated, 1);
        // References dated that day, recorded after its close: the day
        // closed again (a restarted scheduler does so) decides nothing.
        world.references(first, now + Duration::hours(1)).await;
        let before = world.log_len();
        let again = world.close(first, now + Duration::hours(2)).await;
        assert_eq!(types(&again), Vec::<&str>::new(), "{again:?}");
        assert_eq!(world.log_len(), before);
        // The next day sees them.
        let second = first + Duration::days(1);
        let closed = world.close(second, closes_at(second)).await;
        assert_eq!(
            types(&closed),
            ["DayClosed", "HealthLevelChanged"],
            "green, no owner to push a success case to"
        );
    }

    /// Days close in order: a day after the next one to close is refused
    /// and nothing is appended.
    #[tokio::test]
    async fn a_day_after_the_next_one_to_close_is_refused() {
        let world = world();
        let first = day("2027-03-14");
        world.close(first, closes_at(first)).await;
        let later = first + Duration::days(3);
        let before = world.log_len();
        let refused = world
            .service
            .close_day(&integrator(closes_at(later)), later)
            .await
            .expect_err("a skipped day");
        let expected = not_the_next_day(later, first + Duration::days(1), first);
        assert!(
            matches!(&refused, CommandError::Domain(error) if *error == expected),
            "{refused:?}"
        );
        assert_eq!(world.log_len(), before, "nothing appended");
        assert_eq!(
            world.service.last_closed_day().await.expect("calendar"),
            Some(first)
        );
        for day in first.iter_days().skip(1).take(3) {
            assert!(
                world.close(day, closes_at(later)).await.newly_closed,
                "{day}"
            );
        }
    }
}
