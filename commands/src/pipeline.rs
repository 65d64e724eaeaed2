//! The command pipeline: authorise, idempotency, load, decide, append with
//! the expected version, bounded retry on conflict.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use salesledger_domain::role::authorise;
use salesledger_domain::value::ActorId;
use salesledger_domain::{encode, Aggregate, BusinessTimes, CommandKind, Role};
use salesledger_store::{
    AppendMetadata, AppendOutcome, AppendRequest, ExpectedVersion, Hash32, Idempotency, NewEvent,
    RegistrationLock, Store, StoreError,
};
use serde::Serialize;
use uuid::Uuid;

use salesledger_domain::config::Config;
use salesledger_domain::customer::PoolPolicy;
use salesledger_domain::stream::{
    CONFIG_EXTRACTION_STREAM, CONFIG_NURTURE_STREAM, CONFIG_POOL_POLICY_STREAM,
    CONFIG_ROUTING_STREAM,
};

use crate::error::{decode_record, CommandError};
use crate::registry::Registry;

/// Appends tried per command before giving up with
/// [`CommandError::Contention`]: the first, then retries after conflicts.
pub const MAX_ATTEMPTS: usize = 5;

/// How far ahead of the server's clock (`CommandMeta::now`) a business
/// time may lie before the command is refused with
/// [`CommandError::TimeInFuture`]: clock skew between the systems that
/// report times (mail servers, trackers, tills, phones) and the server.
/// `serve --future-margin-secs` overrides it.
pub const DEFAULT_FUTURE_MARGIN: chrono::Duration = chrono::Duration::minutes(10);

/// Events read per page when loading an aggregate.
const LOAD_PAGE: usize = 64;

/// Who issues a command: an authenticated actor acting in one role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub actor: ActorId,
    pub role: Role,
}

impl Principal {
    /// The actor as written into every event: `role:actor`.
    pub fn recorded_actor(&self) -> String {
        format!("{}:{}", self.role.as_str(), self.actor.as_str())
    }
}

/// A client's idempotency key and a fingerprint of the request it stands
/// for (the gateway hashes method, path and body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub key: String,
    pub fingerprint: Hash32,
}

/// Everything about a command that is not the command itself.
#[derive(Clone, Debug)]
pub struct CommandMeta {
    pub principal: Principal,
    pub command_id: Uuid,
    pub correlation_id: Uuid,
    pub causation_id: Uuid,
    pub idempotency: Option<IdempotencyKey>,
    /// The time the decision is made at (the gateway's clock, passed in).
    pub now: DateTime<Utc>,
    /// For a reaction: the stored key, derived from the triggering event's
    /// id ([`reaction_idempotency_key`]), the same on the
    /// inline path and in the process manager, so a reaction is appended
    /// once and a replay of the command can answer with its reactions.
    pub(crate) reaction_key: Option<String>,
    /// For the system's own commands (`crate::system`): the actor recorded
    /// as is (`system:init`), instead of the principal's `role:actor`.
    pub(crate) system_actor: Option<String>,
}

impl CommandMeta {
    /// A fresh command id that also starts a new correlation.
    pub fn new(principal: Principal, now: DateTime<Utc>) -> CommandMeta {
        let command_id = Uuid::now_v7();
        CommandMeta {
            principal,
            command_id,
            correlation_id: command_id,
            causation_id: command_id,
            idempotency: None,
            now,
            reaction_key: None,
            system_actor: None,
        }
    }

    /// The actor written into the command's events: the principal's
    /// `role:actor`, or the system actor of a system command.
    pub fn recorded_actor(&self) -> String {
        self.system_actor
            .clone()
            .unwrap_or_else(|| self.principal.recorded_actor())
    }

    /// The key as stored: scoped to the actor, so two clients never
    /// collide on the same key.
    pub(crate) fn scoped_idempotency(&self) -> Option<Idempotency> {
        if let Some(key) = &self.reaction_key {
            // No client fingerprint: whoever issues the reaction (inline or
            // the process manager) must meet the same stored key.
            return Some(Idempotency {
                key: key.clone(),
                fingerprint: None,
            });
        }
        self.idempotency.as_ref().map(|idempotency| Idempotency {
            key: format!("{}|{}", self.principal.recorded_actor(), idempotency.key),
            fingerprint: Some(idempotency.fingerprint),
        })
    }
}

/// One appended event, as a command's response shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventSummary {
    pub position: u64,
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u32,
    pub payload: serde_json::Value,
}

/// What a command did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommandOutcome {
    pub command_id: Uuid,
    pub stream_id: String,
    /// The stream's version after the command; `None` for a no-op on a
    /// stream that does not exist.
    pub stream_version: Option<u64>,
    /// Global position of the last appended event, for read-your-writes.
    pub last_position: Option<u64>,
    pub events: Vec<EventSummary>,
    /// True when this answers a repeated idempotency key.
    pub replayed: bool,
    /// Events appended by the reactions this command's events called for
    /// (a visit's follow-up, a nurture pack); on a replay, those found in
    /// the log under the reactions' keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<EventSummary>,
    /// Ids of this command's events whose reactions could not be decided
    /// inline (e.g. the customer kept changing under the follow-up): the
    /// reaction process manager completes them; their outcome is readable
    /// by the event id (`crate::process_manager::ReactionManager::outcome`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending_reactions: Vec<Uuid>,
    /// Reactions refused for a domain reason when decided inline (a
    /// confirmed routing whose customer already has an owner is left as
    /// is: `routing_owner`, `customer_already_owned`). Not repeated on a
    /// replay (read them at `GET /v1/reactions/{event_id}`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused_reactions: Vec<RefusedReaction>,
}

/// A reaction decided inline and refused for a domain reason (e.g. a
/// routing's customer already owned: `customer_already_owned`, naming the
/// owner); its trigger stands.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RefusedReaction {
    pub trigger_event_id: Uuid,
    /// `follow_up`, `nurture_pack` or `routing_owner`.
    pub reaction: &'static str,
    pub stream_id: String,
    pub code: String,
    pub message: String,
}

/// The store idempotency key of the `index`-th reaction to the event
/// `trigger_event_id`: the same on the inline path and in the process
/// manager, so a reaction is appended at most once.
pub fn reaction_idempotency_key(trigger_event_id: Uuid, index: usize) -> String {
    format!("reaction:{trigger_event_id}:{index}")
}

/// An aggregate's state, its stream's version and the log length it was
/// read at.
#[derive(Clone, Debug)]
pub struct Loaded<A> {
    pub state: A,
    pub version: Option<u64>,
    pub log_len: u64,
}

/// The registry, locked in process and log-wide
/// ([`CommandService::lock_registry`]); both are released on drop.
pub struct RegistryGuard<'a> {
    registry: tokio::sync::MutexGuard<'a, Registry>,
    _lock: RegistrationLock,
}

impl std::ops::Deref for RegistryGuard<'_> {
    type Target = Registry;

    fn deref(&self) -> &Registry {
        &self.registry
    }
}

/// The command pipeline over one store.
pub struct CommandService {
    store: Arc<dyn Store>,
    /// Also serialises registrations, whose duplicate check spans streams.
    registry: tokio::sync::Mutex<Registry>,
    /// Folded aggregates by stream id, so a load only reads the events
    /// appended since. Only states folded from durable records are kept.
    aggregates: std::sync::Mutex<HashMap<String, CachedAggregate>>,
    /// The chain-store catalogue POS batches are validated against,
    /// following the log (`crate::retail`).
    pub(crate) catalogue: tokio::sync::Mutex<crate::catalogue::CatalogueFollower>,
    /// See [`DEFAULT_FUTURE_MARGIN`].
    future_margin: chrono::Duration,
}

struct CachedAggregate {
    version: u64,
    state: Box<dyn Any + Send + Sync>,
}

/// Folded aggregates kept before the cache starts afresh.
const MAX_CACHED_AGGREGATES: usize = 50_000;

impl CommandService {
    pub fn new(store: Arc<dyn Store>) -> CommandService {
        CommandService {
            store,
            registry: tokio::sync::Mutex::new(Registry::default()),
            aggregates: std::sync::Mutex::new(HashMap::new()),
            catalogue: tokio::sync::Mutex::new(Default::default()),
            future_margin: DEFAULT_FUTURE_MARGIN,
        }
    }

    /// The same service with another future margin (negative margins are
    /// taken as zero).
    pub fn with_future_margin(mut self, margin: chrono::Duration) -> CommandService {
        self.future_margin = margin.max(chrono::Duration::zero());
        self
    }

    /// How far ahead of `now` a business time may lie.
    pub fn future_margin(&self) -> chrono::Duration {
        self.future_margin
    }

    /// Refuses a command one of whose business times
    /// ([`salesledger_domain::business_time`]) lies more than the future
    /// margin ahead of `now`; the first such field is named.
    pub fn check_business_times(
        &self,
        command: &impl BusinessTimes,
        now: DateTime<Utc>,
    ) -> Result<(), CommandError> {
        let latest = now + self.future_margin;
        match command
            .business_times()
            .into_iter()
            .find(|time| time.at > latest)
        {
            Some(time) => Err(CommandError::TimeInFuture {
                field: time.field,
                at: time.at,
                now,
                margin_secs: self.future_margin.num_seconds(),
            }),
            None => Ok(()),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Checks the authorisation table; the gateway calls it before it reads
    /// a request's body.
    pub fn authorise(role: Role, kind: CommandKind) -> Result<(), CommandError> {
        authorise(role, kind).map_err(|_| CommandError::Forbidden { role, kind })
    }

    /// Folds a stream into its aggregate.
    #[tracing::instrument(skip(self), fields(stream_id))]
    pub async fn load<A: Aggregate>(&self, stream_id: &str) -> Result<Loaded<A>, CommandError> {
        let log_len = self.store.head().len;
        let cached = self.aggregates.lock().ok().and_then(|cache| {
            let entry = cache.get(stream_id)?;
            let state = entry.state.downcast_ref::<A>()?.clone();
            Some((state, entry.version))
        });
        let (mut state, mut version) = match cached {
            Some((state, version)) => (state, Some(version)),
            None => (A::default(), None),
        };
        let cached_version = version;
        loop {
            let from_version = version.map_or(0, |version: u64| version + 1);
            let records = self
                .store
                .read_stream(stream_id, from_version, LOAD_PAGE)
                .await?;
            let n_records = records.len();
            for record in records {
                state.apply(&decode_record(&record)?);
                version = Some(record.stream_version);
            }
            if n_records < LOAD_PAGE {
                break;
            }
        }
        if let (Some(version), true) = (version, version != cached_version) {
            if let Ok(mut cache) = self.aggregates.lock() {
                if cache.len() >= MAX_CACHED_AGGREGATES {
                    cache.clear();
                }
                cache.insert(
                    stream_id.to_owned(),
                    CachedAggregate {
                        version,
                        state: Box::new(state.clone()),
                    },
                );
            }
        }
        Ok(Loaded {
            state,
            version,
            log_len,
        })
    }

    /// The published configuration, read from its streams (each a handful
    /// of events) rather than from the registry, so commands that only need
    /// a policy never wait for each other.
    pub async fn published_config(&self) -> Result<Config, CommandError> {
        let mut config = Config::default();
        for stream_id in [
            CONFIG_ROUTING_STREAM,
            CONFIG_POOL_POLICY_STREAM,
            CONFIG_EXTRACTION_STREAM,
            CONFIG_NURTURE_STREAM,
        ] {
            let loaded = self.load::<Config>(stream_id).await?.state;
            config.routing_rules = config.routing_rules.or(loaded.routing_rules);
            config.pool_policy = config.pool_policy.or(loaded.pool_policy);
            config.extraction_dictionary = config
                .extraction_dictionary
                .or(loaded.extraction_dictionary);
            config.nurture_template = config.nurture_template.or(loaded.nurture_template);
        }
        Ok(config)
    }

    /// The published pool policy, or the default one.
    pub async fn pool_policy(&self) -> Result<PoolPolicy, CommandError> {
        let loaded = self.load::<Config>(CONFIG_POOL_POLICY_STREAM).await?;
        Ok(loaded
            .state
            .pool_policy
            .unwrap_or_else(PoolPolicy::default_v1))
    }

    /// Runs `f` on the registry caught up to the log's head.
    pub async fn with_registry<T>(
        &self,
        f: impl FnOnce(&Registry) -> T,
    ) -> Result<T, CommandError> {
        // A read: the registry's mutex suffices, no log-wide lock.
        let mut registry = self.registry.lock().await;
        let target = self.store.head().len;
        registry.catch_up_to(&*self.store, target).await?;
        Ok(f(&registry))
    }

    /// Decides `command` on `stream_id` and appends the result.
    #[tracing::instrument(skip(self, meta, command), fields(stream_id, command_id = %meta.command_id, actor = %meta.principal.recorded_actor()))]
    pub async fn execute<A>(
        &self,
        meta: &CommandMeta,
        stream_id: &str,
        command: A::Command,
    ) -> Result<CommandOutcome, CommandError>
    where
        A: Aggregate,
    {
        Self::authorise(meta.principal.role, A::command_kind(&command))?;
        self.check_business_times(&command, meta.now)?;
        if let Some(outcome) = self.replay_idempotent(meta).await? {
            return Ok(outcome);
        }
        self.decide_and_append::<A>(meta, stream_id, command).await
    }

    /// Locks the registry, takes the log's registration lock
    /// ([`Store::registration_lock`]: log-wide, across every process
    /// sharing the log) and catches the registry up to the log's head.
    /// Hold the guard from building a command that depends on it until the
    /// command's append is durable: then two registrations of the same
    /// company cannot both pass the duplicate check, in one process or in
    /// several gateway processes on one PostgreSQL log.
    pub async fn lock_registry(&self) -> Result<RegistryGuard<'_>, CommandError> {
        // In-process first, so one task per process waits for the
        // log-wide lock.
        let mut registry = self.registry.lock().await;
        let lock = self.store.registration_lock().await?;
        // The head is read after the lock is taken (the store refreshes it
        // when taking the lock): a registration that held the lock before
        // us, in any process, is durable by now and must be reflected.
        let target = self.store.head().len;
        registry.catch_up_to(&*self.store, target).await?;
        Ok(RegistryGuard {
            registry,
            _lock: lock,
        })
    }

    /// A command whose inputs come from the registry (a registration needs
    /// a duplicate clearance), built and executed under
    /// [`CommandService::lock_registry`], which stays held until the append
    /// is durable: two registrations of one company cannot both pass, in
    /// one process or across processes sharing the log. A repeated idempotency key is answered before anything is
    /// built (a repeated registration would otherwise meet its own record).
    /// `build` may fail with the caller's own error type.
    pub async fn execute_with_registry<A, E>(
        &self,
        meta: &CommandMeta,
        kind: CommandKind,
        stream_id: &str,
        build: impl FnOnce(&Registry) -> Result<A::Command, E>,
    ) -> Result<CommandOutcome, E>
    where
        A: Aggregate,
        E: From<CommandError>,
    {
        Self::authorise(meta.principal.role, kind)?;
        if let Some(outcome) = self.replay_idempotent(meta).await? {
            return Ok(outcome);
        }
        let registry = self.lock_registry().await?;
        let command = build(&registry)?;
        let outcome = self.execute::<A>(meta, stream_id, command).await;
        drop(registry);
        Ok(outcome?)
    }

    pub(crate) async fn decide_and_append<A>(
        &self,
        meta: &CommandMeta,
        stream_id: &str,
        command: A::Command,
    ) -> Result<CommandOutcome, CommandError>
    where
        A: Aggregate,
    {
        let idempotency = meta.scoped_idempotency();
        for attempt in 1..=MAX_ATTEMPTS {
            let loaded = self.load::<A>(stream_id).await?;
            let events = loaded.state.decide(command.clone(), meta.now)?;
            // A decision that changes nothing appends nothing. Without a
            // key there is nothing to record either; with one, the key is
            // stored by an append without events (below, checked against
            // the version decided on like any append), so a retry replays
            // "nothing appended" instead of being decided again on a state
            // that may have moved, and another body under the key is
            // refused.
            if events.is_empty() && idempotency.is_none() {
                return Ok(CommandOutcome {
                    command_id: meta.command_id,
                    stream_id: stream_id.to_owned(),
                    stream_version: loaded.version,
                    last_position: None,
                    events: Vec::new(),
                    replayed: false,
                    reactions: Vec::new(),
                    pending_reactions: Vec::new(),
                    refused_reactions: Vec::new(),
                });
            }
            let mut new_events = Vec::with_capacity(events.len());
            let mut encoded_events = Vec::with_capacity(events.len());
            for event in &events {
                let encoded = encode(event)?;
                new_events.push(NewEvent::new(
                    encoded.event_type,
                    encoded.schema_version,
                    &encoded.payload,
                ));
                encoded_events.push(encoded);
            }
            let request = AppendRequest {
                stream_id: stream_id.to_owned(),
                expected_version: loaded
                    .version
                    .map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact),
                events: new_events,
                metadata: AppendMetadata {
                    actor: meta.recorded_actor(),
                    command_id: meta.command_id,
                    correlation_id: meta.correlation_id,
                    causation_id: meta.causation_id,
                },
                idempotency: idempotency.clone(),
            };
            match self.store.append(request).await {
                Ok(outcome) if !outcome.replayed => {
                    let mut outcome = fresh_outcome(meta, outcome, encoded_events);
                    (
                        outcome.reactions,
                        outcome.pending_reactions,
                        outcome.refused_reactions,
                    ) = self.react(meta, &outcome.events).await;
                    return Ok(outcome);
                }
                Ok(outcome) => {
                    let mut outcome = self.outcome_of(meta, outcome).await?;
                    (
                        outcome.reactions,
                        outcome.pending_reactions,
                        outcome.refused_reactions,
                    ) = self.react(meta, &outcome.events).await;
                    return Ok(outcome);
                }
                Err(StoreError::WrongExpectedVersion { actual, .. }) => {
                    tracing::debug!(attempt, ?actual, "version conflict; deciding again");
                    // The winning append may not be durable yet, and reads
                    // only see durable records: wait until it is, so the
                    // next decision sees it instead of conflicting again.
                    self.wait_for_stream_version(stream_id, actual).await?;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(CommandError::Contention {
            stream_id: stream_id.to_owned(),
            n_attempts: MAX_ATTEMPTS,
        })
    }

    /// Waits (a bounded time) until reads see `stream_id` at `version`.
    async fn wait_for_stream_version(
        &self,
        stream_id: &str,
        version: Option<u64>,
    ) -> Result<(), CommandError> {
        let Some(version) = version else {
            return Ok(());
        };
        let mut head = self.store.watch_head();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
        while self.store.stream_version(stream_id).await? < Some(version) {
            match tokio::time::timeout_at(deadline, head.changed()).await {
                Ok(Ok(())) => {}
                // Timed out, or the store closed: decide again anyway.
                Ok(Err(_)) | Err(_) => break,
            }
        }
        Ok(())
    }

    /// The original outcome of a repeated idempotency key, if any; a
    /// different request under the same key is refused.
    pub async fn replay_idempotent(
        &self,
        meta: &CommandMeta,
    ) -> Result<Option<CommandOutcome>, CommandError> {
        let Some(idempotency) = meta.scoped_idempotency() else {
            return Ok(None);
        };
        let Some(stored) = self.store.idempotent_outcome(&idempotency.key).await? else {
            return Ok(None);
        };
        if stored.fingerprint != idempotency.fingerprint {
            let key = meta
                .idempotency
                .as_ref()
                .map(|key| key.key.clone())
                .unwrap_or_default();
            return Err(CommandError::IdempotencyKeyReused { key });
        }
        let outcome = AppendOutcome {
            replayed: true,
            ..stored.outcome
        };
        let mut outcome = self.outcome_of(meta, outcome).await?;
        // The reactions the original command's events triggered, in order,
        // by their event-derived keys (whoever issued them).
        let trigger_ids: Vec<Uuid> = outcome.events.iter().map(|event| event.event_id).collect();
        for trigger_id in trigger_ids {
            for reaction_idx in 0.. {
                let key = reaction_idempotency_key(trigger_id, reaction_idx);
                if !self.replay_reaction(meta, &key, &mut outcome).await? {
                    break;
                }
            }
        }
        // Logs written before reactions were keyed by their trigger: the
        // keys were derived from the command's own.
        if outcome.reactions.is_empty() {
            for reaction_idx in 0.. {
                let key = legacy_reaction_key(&idempotency.key, reaction_idx);
                if !self.replay_reaction(meta, &key, &mut outcome).await? {
                    break;
                }
            }
        }
        Ok(Some(outcome))
    }

    /// Adds the events stored under the reaction key `key` to `outcome`'s
    /// reactions; false when the key is unknown.
    async fn replay_reaction(
        &self,
        meta: &CommandMeta,
        key: &str,
        outcome: &mut CommandOutcome,
    ) -> Result<bool, CommandError> {
        let Some(reaction) = self.store.idempotent_outcome(key).await? else {
            return Ok(false);
        };
        let reaction = AppendOutcome {
            replayed: true,
            ..reaction.outcome
        };
        outcome
            .reactions
            .extend(self.outcome_of(meta, reaction).await?.events);
        Ok(true)
    }

    /// Reads back the appended records so a replayed response equals the
    /// original one.
    async fn outcome_of(
        &self,
        meta: &CommandMeta,
        outcome: AppendOutcome,
    ) -> Result<CommandOutcome, CommandError> {
        let Some(positions) = outcome.positions() else {
            // A decision that appended nothing, recorded with its key: the
            // stream's version it was decided on, no events.
            return Ok(CommandOutcome {
                command_id: outcome
                    .no_events
                    .map_or(meta.command_id, |no_events| no_events.command_id),
                stream_version: outcome.stream_version(),
                stream_id: outcome.stream_id,
                last_position: None,
                events: Vec::new(),
                replayed: outcome.replayed,
                reactions: Vec::new(),
                pending_reactions: Vec::new(),
                refused_reactions: Vec::new(),
            });
        };
        let n_events =
            usize::try_from(positions.end() - positions.start() + 1).unwrap_or(usize::MAX);
        let records = self.store.read_all(*positions.start(), n_events).await?;
        // The original command's id, also when answering a repeat.
        let command_id = records
            .first()
            .map_or(meta.command_id, |record| record.command_id);
        let mut events = Vec::with_capacity(records.len());
        for record in records {
            let payload = record.payload.to_value().map_err(|error| {
                CommandError::Store(StoreError::CorruptRecord {
                    position: record.position,
                    reason: error.to_string(),
                })
            })?;
            events.push(EventSummary {
                position: record.position,
                event_id: record.event_id,
                event_type: record.event_type,
                schema_version: record.schema_version,
                payload,
            });
        }
        Ok(CommandOutcome {
            command_id,
            stream_version: outcome.stream_version(),
            stream_id: outcome.stream_id,
            last_position: Some(*positions.end()),
            events,
            replayed: outcome.replayed,
            reactions: Vec::new(),
            pending_reactions: Vec::new(),
            refused_reactions: Vec::new(),
        })
    }
}

/// The stored idempotency key of a command's `reaction_idx`-th reaction,
/// as logs written before reactions were keyed by their trigger hold it.
fn legacy_reaction_key(command_key: &str, reaction_idx: usize) -> String {
    format!("{command_key}#reaction-{reaction_idx}")
}

/// The outcome of a fresh append, from what was appended: no read-back.
fn fresh_outcome(
    meta: &CommandMeta,
    outcome: AppendOutcome,
    encoded_events: Vec<salesledger_domain::EncodedEvent>,
) -> CommandOutcome {
    let events = encoded_events
        .into_iter()
        .zip(outcome.event_ids.iter())
        .enumerate()
        .map(|(event_idx, (encoded, event_id))| EventSummary {
            position: outcome.first_position + event_idx as u64,
            event_id: *event_id,
            event_type: encoded.event_type.to_owned(),
            schema_version: encoded.schema_version,
            payload: encoded.payload,
        })
        .collect();
    CommandOutcome {
        command_id: meta.command_id,
        stream_version: outcome.stream_version(),
        last_position: outcome.positions().map(|positions| *positions.end()),
        stream_id: outcome.stream_id,
        events,
        replayed: false,
        reactions: Vec::new(),
        pending_reactions: Vec::new(),
        refused_reactions: Vec::new(),
    }
}
