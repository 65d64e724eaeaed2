//! The day-close process manager: time enters the log as `DayClosed`, and
//! every decision that depends on "today" follows from it.
//!
//! [`CommandService::close_day`] appends `DayClosed` on the `calendar`
//! stream (refused before the day is over, or for a day earlier than the
//! last one closed), then decides, with the close as causation and the
//! same correlation id, for
//! - every customer: the public-pool rule (SPEC C3);
//! - every account with customer-success inputs: the health evaluation and
//!   its policies (SPEC C7: success case, call-back task met or missed,
//!   renewal-quote freeze);
//! - every contract: overdue instalments and their three task cards
//!   (SPEC C10).
//!
//! Each of those decisions is idempotent for a given day (it appends
//! nothing the second time), so closing an already closed day again
//! appends no second `DayClosed` and completes a fan-out that a crash or
//! an error interrupted. A step that fails does not stop the others: every
//! step of every phase runs, then the first error is returned (the close is
//! then incomplete, and is completed by closing the day again; `serve`'s
//! scheduler does so at its next tick). Replaying the log decides
//! nothing: the decisions are events.

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
    /// appended only what an interrupted close had left undone).
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
