//! The reaction process manager: makes sure every event that calls for a
//! reaction (a logged visit's follow-up, C3; a "still comparing" nurture
//! pack, C5) gets it decided, whatever happened to the process that
//! appended the trigger.
//!
//! It follows the log from its own durable checkpoint, decodes each record
//! once, and asks [`reactions_called_for`] (the one copy of the rules, also
//! used inline by the pipeline) which reactions a record calls for. For
//! each such trigger:
//!
//! - a record whose causation id is the trigger's event id, on the stream
//!   the reaction is decided on, *is* that reaction: the trigger is decided
//!   as applied without issuing anything (this also covers logs written
//!   before reactions were keyed by their trigger);
//! - after a short grace (so the inline path usually wins), the missing
//!   reactions are issued through [`CommandService`] with the idempotency
//!   key [`reaction_idempotency_key`] (the one the inline path uses: the
//!   two can never both append), on behalf of the trigger's actor (the
//!   record's `role:actor`; nurture packs as `process-manager`), built from
//!   the configuration published before the trigger (pool policy, nurture
//!   template), at `now` = the trigger's `recorded_at` (never earlier than
//!   the visit's `occurred_at`), so the decision is the one the inline path
//!   would have made;
//! - conflicts ([`CommandError::Contention`]) and store failures leave the
//!   trigger pending and are retried with jittered exponential backoff
//!   until it is decided; a domain refusal is a decision, recorded as
//!   refused with its problem code.
//!
//! **Durability.** Decided outcomes are appended to `outcomes.jsonl` in the
//! manager's directory (fsynced) before the checkpoint may pass them; the
//! checkpoint (`checkpoint.json`: the position to scan from) is the lowest
//! position of a still-pending trigger, else the scanned head, written
//! atomically (temporary file, fsync, rename, fsync of the directory). A
//! restart, or a SIGKILL, scans again from there and finds every trigger
//! whose reaction is missing; triggers already in the outcome table are
//! not issued again (and issuing one again would be answered by its key).
//! Several processes sharing one log may each run a manager: the keyed
//! idempotency makes that safe.
//!
//! Outcomes are readable by the causing event's id ([`ReactionManager::outcome`];
//! the gateway serves them at `GET /v1/reactions/{event_id}`).

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use salesledger_domain::value::ActorId;
use salesledger_domain::Role;
use salesledger_store::{RecordedEvent, READ_PAGE};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::time::Instant;
use uuid::Uuid;

use crate::error::decode_record;
use crate::error::CommandError;
use crate::pipeline::{CommandService, Principal};
use crate::reactions::{
    process_manager, reaction_idempotency_key, reactions_called_for, Prepared, ReactionCall,
};

/// The checkpoint's file name in the manager's directory.
pub const CHECKPOINT_FILE: &str = "checkpoint.json";
/// The outcome table's file name in the manager's directory.
pub const OUTCOMES_FILE: &str = "outcomes.jsonl";

/// How the manager paces itself.
#[derive(Clone, Debug)]
pub struct ReactionManagerConfig {
    /// How long after first seeing a trigger the manager waits before it
    /// issues a missing reaction (the inline path usually decides first).
    pub grace: Duration,
    /// The first retry delay after a conflict or a store failure; doubled
    /// per attempt, jittered.
    pub base_backoff: Duration,
    /// The longest retry delay.
    pub max_backoff: Duration,
    /// The least time between two checkpoint writes while work goes on.
    pub checkpoint_every: Duration,
}

impl Default for ReactionManagerConfig {
    fn default() -> Self {
        ReactionManagerConfig {
            grace: Duration::from_secs(1),
            base_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_secs(2),
            checkpoint_every: Duration::from_millis(250),
        }
    }
}

/// How one reaction of a trigger was decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReactionOutcome {
    /// In the log: the reaction's events (none when the decision was a
    /// no-op).
    Applied {
        index: usize,
        reaction: String,
        stream_id: String,
        positions: Vec<u64>,
        event_ids: Vec<Uuid>,
    },
    /// Refused for a domain reason (its problem code); nothing appended.
    Refused {
        index: usize,
        reaction: String,
        stream_id: String,
        code: String,
        message: String,
    },
}

/// Every reaction of one trigger, decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerOutcome {
    pub trigger_event_id: Uuid,
    pub trigger_position: u64,
    pub reactions: Vec<ReactionOutcome>,
}

impl TriggerOutcome {
    /// `refused` when any reaction was refused, else `applied`.
    pub fn status(&self) -> &'static str {
        if self
            .reactions
            .iter()
            .any(|reaction| matches!(reaction, ReactionOutcome::Refused { .. }))
        {
            "refused"
        } else {
            "applied"
        }
    }
}

/// What the manager knows about a trigger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReactionStatus {
    /// Seen, not decided yet (the manager keeps trying).
    Pending {
        trigger_position: u64,
    },
    Decided(TriggerOutcome),
}

/// How far the manager got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The next position it will scan: every record before it was seen.
    pub scanned: u64,
    /// The durable checkpoint: a restart scans from here.
    pub checkpoint: u64,
    /// Triggers seen and not decided (or not yet durably recorded).
    pub n_pending: usize,
}

#[derive(Default)]
struct Table {
    decided: HashMap<Uuid, TriggerOutcome>,
    pending: HashMap<Uuid, u64>,
}

struct Shared {
    table: std::sync::Mutex<Table>,
    progress: watch::Sender<Progress>,
}

/// The running manager; [`ReactionManager::stop`] ends it cleanly (the
/// gateway stops it before the log closes).
pub struct ReactionManager {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl ReactionManager {
    /// Loads the checkpoint and outcome table from `dir` (created if
    /// missing) and starts following the log of `service`'s store from the
    /// checkpoint.
    pub async fn start(
        service: Arc<CommandService>,
        dir: &Path,
        config: ReactionManagerConfig,
    ) -> Result<ReactionManager, CommandError> {
        let files = Files {
            dir: dir.to_owned(),
        };
        let (checkpoint, decided) = {
            let files = files.clone();
            blocking(move || files.load()).await?
        };
        let head = service.store().head().len;
        let from = if checkpoint > head {
            tracing::warn!(
                checkpoint,
                head,
                "the reaction checkpoint is past the log's head; scanning from the head"
            );
            head
        } else {
            checkpoint
        };
        let progress = Progress {
            scanned: from,
            checkpoint,
            n_pending: 0,
        };
        let shared = Arc::new(Shared {
            table: std::sync::Mutex::new(Table {
                decided,
                pending: HashMap::new(),
            }),
            progress: watch::channel(progress).0,
        });
        let (stop, stop_rx) = watch::channel(false);
        let worker = Worker {
            service,
            shared: shared.clone(),
            files,
            config,
            next: from,
            pending: BTreeMap::new(),
            by_id: HashMap::new(),
            unsaved: Vec::new(),
            written_checkpoint: checkpoint,
            last_checkpoint_write: Instant::now(),
            jitter: RandomState::new(),
        };
        let task = tokio::spawn(worker.run(stop_rx));
        tracing::info!(from, "reaction process manager started");
        Ok(ReactionManager {
            shared,
            stop,
            task: tokio::sync::Mutex::new(Some(task)),
        })
    }

    /// What the manager knows about the reactions to `trigger_event_id`;
    /// `None` for an event it has not seen call for any.
    pub fn outcome(&self, trigger_event_id: Uuid) -> Option<ReactionStatus> {
        let table = self.shared.table.lock().ok()?;
        if let Some(outcome) = table.decided.get(&trigger_event_id) {
            return Some(ReactionStatus::Decided(outcome.clone()));
        }
        table
            .pending
            .get(&trigger_event_id)
            .map(|&trigger_position| ReactionStatus::Pending { trigger_position })
    }

    pub fn progress(&self) -> Progress {
        *self.shared.progress.borrow()
    }

    /// Waits until every record before `position` was scanned and nothing
    /// is pending; false when `timeout` passed first.
    pub async fn settled(&self, position: u64, timeout: Duration) -> bool {
        let mut progress = self.shared.progress.subscribe();
        let waited = tokio::time::timeout(
            timeout,
            progress.wait_for(|progress| progress.scanned >= position && progress.n_pending == 0),
        )
        .await;
        matches!(waited, Ok(Ok(_)))
    }

    /// Stops following the log: the decision in flight finishes, decided
    /// outcomes and the checkpoint are written. Idempotent.
    pub async fn stop(&self) {
        self.stop.send_replace(true);
        let task = self.task.lock().await.take();
        if let Some(task) = task {
            if let Err(error) = task.await {
                tracing::warn!(%error, "the reaction process manager stopped abnormally");
            }
        }
    }
}

/// A trigger whose reactions are not all decided yet.
struct PendingTrigger {
    event_id: Uuid,
    position: u64,
    recorded_at: DateTime<Utc>,
    actor: String,
    correlation_id: Uuid,
    calls: Vec<ReactionCall>,
    stream_ids: Vec<String>,
    decided: Vec<Option<ReactionOutcome>>,
    first_seen: Instant,
    attempts: u32,
    next_attempt: Instant,
}

impl PendingTrigger {
    fn is_decided(&self) -> bool {
        self.decided.iter().all(Option::is_some)
    }

    fn due_at(&self, grace: Duration) -> Instant {
        (self.first_seen + grace).max(self.next_attempt)
    }

    fn into_outcome(self) -> TriggerOutcome {
        TriggerOutcome {
            trigger_event_id: self.event_id,
            trigger_position: self.position,
            reactions: self.decided.into_iter().flatten().collect(),
        }
    }
}

struct Worker {
    service: Arc<CommandService>,
    shared: Arc<Shared>,
    files: Files,
    config: ReactionManagerConfig,
    /// The next position to scan.
    next: u64,
    /// Undecided triggers by position.
    pending: BTreeMap<u64, PendingTrigger>,
    /// Trigger event id -> position, for the pending ones.
    by_id: HashMap<Uuid, u64>,
    /// Decided, not yet durably in the outcome table.
    unsaved: Vec<TriggerOutcome>,
    written_checkpoint: u64,
    last_checkpoint_write: Instant,
    jitter: RandomState,
}

impl Worker {
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut head = self.service.store().watch_head();
        let mut head_open = true;
        loop {
            if *stop.borrow() {
                break;
            }
            self.scan().await;
            self.decide_due(&stop).await;
            self.save().await;
            let now = Instant::now();
            let mut wake = now + Duration::from_secs(5);
            if let Some(due) = self
                .pending
                .values()
                .map(|trigger| trigger.due_at(self.config.grace))
                .min()
            {
                wake = wake.min(due);
            }
            if !self.unsaved.is_empty() || self.checkpoint() != self.written_checkpoint {
                wake = wake.min(self.last_checkpoint_write + self.config.checkpoint_every);
            }
            let head_changed = async {
                if head_open {
                    head.changed().await.is_ok()
                } else {
                    std::future::pending::<bool>().await
                }
            };
            tokio::select! {
                open = head_changed => head_open = open,
                _ = stop.changed() => {}
                () = tokio::time::sleep_until(wake.max(now)) => {}
            }
        }
        self.save_now().await;
        tracing::info!(
            checkpoint = self.written_checkpoint,
            "reaction process manager stopped"
        );
    }

    /// Reads every committed record from `next` on.
    async fn scan(&mut self) {
        let store = self.service.store().clone();
        while self.next < store.head().len {
            let records = match store.read_all(self.next, READ_PAGE).await {
                Ok(records) => records,
                Err(error) => {
                    tracing::warn!(%error, position = self.next, "the reaction process manager could not read the log; retrying");
                    return;
                }
            };
            if records.is_empty() {
                return;
            }
            for record in records {
                self.next = record.position + 1;
                self.see(record);
            }
            self.collect_decided();
        }
        self.publish_progress();
    }

    /// One record: is it a pending trigger's reaction, does it call for
    /// reactions?
    fn see(&mut self, record: RecordedEvent) {
        if let Some(trigger) = self
            .by_id
            .get(&record.causation_id)
            .and_then(|position| self.pending.get_mut(position))
        {
            for (index, stream_id) in trigger.stream_ids.iter().enumerate() {
                if *stream_id != record.stream_id {
                    continue;
                }
                match &mut trigger.decided[index] {
                    Some(ReactionOutcome::Applied {
                        positions,
                        event_ids,
                        ..
                    }) => {
                        // Seen once already when the manager applied it
                        // itself: listed once.
                        if !positions.contains(&record.position) {
                            positions.push(record.position);
                            event_ids.push(record.event_id);
                        }
                    }
                    Some(ReactionOutcome::Refused { .. }) => {}
                    None => {
                        trigger.decided[index] = Some(ReactionOutcome::Applied {
                            index,
                            reaction: trigger.calls[index].name().to_owned(),
                            stream_id: stream_id.clone(),
                            positions: vec![record.position],
                            event_ids: vec![record.event_id],
                        });
                    }
                }
                break;
            }
        }
        // Records that are not domain events (checkpoints) call for nothing.
        let Ok(event) = decode_record(&record) else {
            return;
        };
        let calls = reactions_called_for(&event, record.event_id);
        if calls.is_empty() {
            return;
        }
        let already_decided = self
            .shared
            .table
            .lock()
            .map(|table| table.decided.contains_key(&record.event_id))
            .unwrap_or(false);
        if already_decided {
            return;
        }
        let now = Instant::now();
        if let Ok(mut table) = self.shared.table.lock() {
            table.pending.insert(record.event_id, record.position);
        }
        self.by_id.insert(record.event_id, record.position);
        self.pending.insert(
            record.position,
            PendingTrigger {
                event_id: record.event_id,
                position: record.position,
                recorded_at: record.recorded_at,
                actor: record.actor,
                correlation_id: record.correlation_id,
                stream_ids: calls.iter().map(ReactionCall::stream_id).collect(),
                decided: vec![None; calls.len()],
                calls,
                first_seen: now,
                attempts: 0,
                next_attempt: now,
            },
        );
    }

    /// Moves triggers whose reactions are all decided to `unsaved`.
    fn collect_decided(&mut self) {
        let decided: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, trigger)| trigger.is_decided())
            .map(|(&position, _)| position)
            .collect();
        for position in decided {
            if let Some(trigger) = self.pending.remove(&position) {
                self.by_id.remove(&trigger.event_id);
                self.unsaved.push(trigger.into_outcome());
            }
        }
    }

    /// Issues the missing reactions of every trigger that is due.
    async fn decide_due(&mut self, stop: &watch::Receiver<bool>) {
        let now = Instant::now();
        let due: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, trigger)| trigger.due_at(self.config.grace) <= now)
            .map(|(&position, _)| position)
            .collect();
        for position in due {
            if *stop.borrow() {
                return;
            }
            let Some(mut trigger) = self.pending.remove(&position) else {
                continue;
            };
            self.decide(&mut trigger).await;
            self.pending.insert(position, trigger);
        }
        self.collect_decided();
    }

    async fn decide(&mut self, trigger: &mut PendingTrigger) {
        for index in 0..trigger.calls.len() {
            if trigger.decided[index].is_some() {
                continue;
            }
            let call = &trigger.calls[index];
            let stream_id = trigger.stream_ids[index].clone();
            let refused = |code: &str, message: String| ReactionOutcome::Refused {
                index,
                reaction: call.name().to_owned(),
                stream_id: stream_id.clone(),
                code: code.to_owned(),
                message,
            };
            let principal = match principal_of(&trigger.actor, call) {
                Ok(principal) => principal,
                Err(error) => {
                    trigger.decided[index] = Some(refused("invalid_actor", error.to_string()));
                    continue;
                }
            };
            let result = match self
                .service
                .prepare_reaction(call, &principal, (trigger.event_id, trigger.position))
                .await
            {
                Ok(Prepared::Refused { code, message }) => {
                    trigger.decided[index] = Some(refused(code, message));
                    continue;
                }
                Ok(Prepared::Issue(reaction)) => {
                    let now = call
                        .decided_no_earlier_than()
                        .map_or(trigger.recorded_at, |earliest| {
                            earliest.max(trigger.recorded_at)
                        });
                    self.service
                        .issue_reaction(
                            reaction,
                            trigger.event_id,
                            index,
                            trigger.correlation_id,
                            now,
                        )
                        .await
                }
                Err(error) => Err(error),
            };
            match result {
                Ok(outcome) => {
                    tracing::info!(trigger = %trigger.event_id, key = %reaction_idempotency_key(trigger.event_id, index), replayed = outcome.replayed, "reaction decided by the process manager");
                    trigger.decided[index] = Some(ReactionOutcome::Applied {
                        index,
                        reaction: call.name().to_owned(),
                        stream_id,
                        positions: outcome.events.iter().map(|event| event.position).collect(),
                        event_ids: outcome.events.iter().map(|event| event.event_id).collect(),
                    });
                }
                Err(CommandError::Domain(error)) => {
                    tracing::info!(trigger = %trigger.event_id, %error, "reaction refused");
                    trigger.decided[index] = Some(refused(error.code(), error.to_string()));
                }
                Err(error @ CommandError::Forbidden { .. }) => {
                    trigger.decided[index] = Some(refused("forbidden", error.to_string()));
                }
                Err(error) => {
                    // Conflicts, store and I/O failures: still pending.
                    trigger.attempts = trigger.attempts.saturating_add(1);
                    let delay = self.backoff(trigger.attempts, trigger.event_id);
                    if matches!(error, CommandError::Contention { .. }) {
                        tracing::debug!(trigger = %trigger.event_id, %error, attempts = trigger.attempts, "reaction contended; retrying");
                    } else {
                        tracing::warn!(trigger = %trigger.event_id, %error, attempts = trigger.attempts, "reaction failed; retrying");
                    }
                    trigger.next_attempt = Instant::now() + delay;
                    return;
                }
            }
        }
    }

    /// Exponential in `attempts`, capped, with jitter in [1/2, 1].
    fn backoff(&self, attempts: u32, trigger: Uuid) -> Duration {
        let exponential = self
            .config
            .base_backoff
            .saturating_mul(1u32 << attempts.min(16))
            .min(self.config.max_backoff);
        let random = self.jitter.hash_one((trigger, attempts, Instant::now()));
        let fraction = 0.5 + (random % 1024) as f64 / 2048.0;
        exponential.mul_f64(fraction)
    }

    /// The position a restart must scan from.
    fn checkpoint(&self) -> u64 {
        let lowest_pending = self.pending.keys().next().copied();
        let lowest_unsaved = self
            .unsaved
            .iter()
            .map(|outcome| outcome.trigger_position)
            .min();
        [lowest_pending, lowest_unsaved]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(self.next)
            .min(self.next)
    }

    /// Writes decided outcomes and the checkpoint when it is time to.
    async fn save(&mut self) {
        let idle = self.pending.is_empty();
        if idle || self.last_checkpoint_write.elapsed() >= self.config.checkpoint_every {
            self.save_now().await;
        } else {
            self.publish_progress();
        }
    }

    /// Appends the decided outcomes to the table (fsynced), then moves the
    /// checkpoint; on a failure both stay behind and are retried.
    async fn save_now(&mut self) {
        if !self.unsaved.is_empty() {
            let outcomes = self.unsaved.clone();
            let files = self.files.clone();
            match blocking(move || files.append_outcomes(&outcomes)).await {
                Ok(()) => {
                    if let Ok(mut table) = self.shared.table.lock() {
                        for outcome in self.unsaved.drain(..) {
                            table.pending.remove(&outcome.trigger_event_id);
                            table.decided.insert(outcome.trigger_event_id, outcome);
                        }
                    }
                    // Readers see the outcomes with a position that covers
                    // them.
                    self.publish_progress();
                }
                Err(error) => {
                    tracing::error!(%error, "could not record reaction outcomes; retrying");
                }
            }
        }
        let checkpoint = self.checkpoint();
        if checkpoint != self.written_checkpoint {
            let files = self.files.clone();
            match blocking(move || files.write_checkpoint(checkpoint)).await {
                Ok(()) => self.written_checkpoint = checkpoint,
                Err(error) => {
                    tracing::error!(%error, "could not write the reaction checkpoint; retrying")
                }
            }
        }
        self.last_checkpoint_write = Instant::now();
        self.publish_progress();
    }

    fn publish_progress(&self) {
        self.shared.progress.send_replace(Progress {
            scanned: self.next,
            checkpoint: self.written_checkpoint,
            n_pending: self.pending.len() + self.unsaved.len(),
        });
    }
}

/// Who issues a trigger's reaction: a follow-up as the trigger's recorded
/// `role:actor` (the caller who logged the visit; the visit's rep when the
/// actor does not parse), a nurture pack as `process-manager`.
fn principal_of(actor: &str, call: &ReactionCall) -> Result<Principal, CommandError> {
    match call {
        ReactionCall::FollowUp { visit } => {
            let recorded = actor.split_once(':').and_then(|(role, name)| {
                Some(Principal {
                    role: Role::parse(role)?,
                    actor: ActorId::parse(name).ok()?,
                })
            });
            match recorded {
                Some(principal) => Ok(principal),
                None => Ok(Principal {
                    actor: ActorId::parse(&visit.rep_id.to_string())?,
                    role: Role::Rep,
                }),
            }
        }
        ReactionCall::AssignOwner { .. } => {
            // As the supervisor who confirmed the routing (an actor that
            // does not parse is the process manager's, which may not).
            let recorded = actor.split_once(':').and_then(|(role, name)| {
                Some(Principal {
                    role: Role::parse(role)?,
                    actor: ActorId::parse(name).ok()?,
                })
            });
            match recorded {
                Some(principal) => Ok(principal),
                None => process_manager(),
            }
        }
        ReactionCall::StartNurture { .. } => process_manager(),
    }
}

#[derive(Serialize, Deserialize)]
struct CheckpointFile {
    next_position: u64,
}

/// The manager's directory.
#[derive(Clone)]
struct Files {
    dir: PathBuf,
}

impl Files {
    fn error(&self, name: &str, source: std::io::Error) -> CommandError {
        CommandError::ReactionState {
            path: self.dir.join(name),
            source,
        }
    }

    /// The checkpoint (0 when there is none) and the outcome table (the
    /// last line of a trigger wins; a line torn by a crash is skipped).
    fn load(&self) -> Result<(u64, HashMap<Uuid, TriggerOutcome>), CommandError> {
        salesledger_store::private_fs::create_dir_all(&self.dir)
            .map_err(|source| self.error("", source))?;
        let checkpoint = match std::fs::read(self.dir.join(CHECKPOINT_FILE)) {
            Ok(bytes) => {
                serde_json::from_slice::<CheckpointFile>(&bytes)
                    .map_err(|error| {
                        self.error(
                            CHECKPOINT_FILE,
                            std::io::Error::new(std::io::ErrorKind::InvalidData, error),
                        )
                    })?
                    .next_position
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => 0,
            Err(error) => return Err(self.error(CHECKPOINT_FILE, error)),
        };
        let mut decided = HashMap::new();
        match std::fs::read(self.dir.join(OUTCOMES_FILE)) {
            Ok(bytes) => {
                for (line_idx, line) in bytes.split(|&byte| byte == b'\n').enumerate() {
                    if line.is_empty() {
                        continue;
                    }
                    match serde_json::from_slice::<TriggerOutcome>(line) {
                        Ok(outcome) => {
                            decided.insert(outcome.trigger_event_id, outcome);
                        }
                        Err(error) => {
                            tracing::warn!(line = line_idx + 1, %error, "skipping an unreadable reaction outcome (torn by a crash?)")
                        }
                    }
                }
                if bytes.last().is_some_and(|&byte| byte != b'\n') {
                    // A torn last line: end it, so the next line starts clean.
                    self.append_bytes(b"\n")?;
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(self.error(OUTCOMES_FILE, error)),
        }
        Ok((checkpoint, decided))
    }

    fn append_outcomes(&self, outcomes: &[TriggerOutcome]) -> Result<(), CommandError> {
        let mut bytes = Vec::new();
        for outcome in outcomes {
            serde_json::to_writer(&mut bytes, outcome).map_err(|error| {
                self.error(
                    OUTCOMES_FILE,
                    std::io::Error::new(std::io::ErrorKind::InvalidData, error),
                )
            })?;
            bytes.push(b'\n');
        }
        self.append_bytes(&bytes)
    }

    fn append_bytes(&self, bytes: &[u8]) -> Result<(), CommandError> {
        let path = self.dir.join(OUTCOMES_FILE);
        let created = !path.exists();
        let result = (|| {
            let mut file = salesledger_store::private_fs::open_options()
                .create(true)
                .append(true)
                .open(&path)?;
            append_whole(&mut file, bytes)?;
            if created {
                sync_dir(&self.dir)?;
            }
            Ok(())
        })();
        result.map_err(|source| self.error(OUTCOMES_FILE, source))
    }

    /// Temporary file, fsync, rename over the checkpoint, fsync the
    /// directory: the checkpoint is the old one or the new one.
    fn write_checkpoint(&self, next_position: u64) -> Result<(), CommandError> {
        let temporary = self.dir.join(format!("{CHECKPOINT_FILE}.tmp"));
        let result = (|| {
            let bytes = serde_json::to_vec(&CheckpointFile { next_position })
                .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error))?;
            let mut file = salesledger_store::private_fs::open_options()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&temporary)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&temporary, self.dir.join(CHECKPOINT_FILE))?;
            sync_dir(&self.dir)
        })();
        result.map_err(|source| self.error(CHECKPOINT_FILE, source))
    }
}

/// A file the outcome table is appended to.
trait AppendFile: Write {
    fn len(&self) -> std::io::Result<u64>;
    fn sync_data(&self) -> std::io::Result<()>;
    fn set_len(&self, len: u64) -> std::io::Result<()>;
}

impl AppendFile for std::fs::File {
    fn len(&self) -> std::io::Result<u64> {
        Ok(self.metadata()?.len())
    }

    fn sync_data(&self) -> std::io::Result<()> {
        std::fs::File::sync_data(self)
    }

    fn set_len(&self, len: u64) -> std::io::Result<()> {
        std::fs::File::set_len(self, len)
    }
}

/// Appends `bytes` and syncs them, or leaves the file as it was: a write
/// that fails part-way (a full disk) is cut back off, so the retry's lines
/// are not joined to torn bytes (a line `load` would skip, losing an
/// outcome the checkpoint has already passed).
fn append_whole(file: &mut impl AppendFile, bytes: &[u8]) -> std::io::Result<()> {
    let before = file.len()?;
    let written = file.write_all(bytes).and_then(|()| file.sync_data());
    if let Err(error) = written {
        if let Err(cut) = file.set_len(before) {
            tracing::error!(%cut, "could not cut a torn reaction outcome off the table");
        }
        return Err(error);
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Runs file I/O off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CommandError> + Send + 'static,
) -> Result<T, CommandError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| CommandError::ReactionState {
            path: PathBuf::new(),
            source: std::io::Error::other(error),
        })?
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::io::Write;

    use super::{append_whole, AppendFile};

    /// A file with room for `room` more bytes: a write past it fails
    /// part-way, as on a full disk.
    struct Filling {
        bytes: RefCell<Vec<u8>>,
        room: usize,
    }

    impl Write for Filling {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::other("no space left on device"));
            }
            let n = buf.len().min(self.room);
            self.bytes.borrow_mut().extend_from_slice(&buf[..n]);
            self.room -= n;
            Ok(n)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl AppendFile for Filling {
        fn len(&self) -> std::io::Result<u64> {
            Ok(self.bytes.borrow().len() as u64)
        }

        fn sync_data(&self) -> std::io::Result<()> {
            Ok(())
        }

        fn set_len(&self, len: u64) -> std::io::Result<()> {
            self.bytes.borrow_mut().truncate(len as usize);
            Ok(())
        }
    }

    #[test]
    fn an_append_that_fails_part_way_leaves_the_table_as_it_was() {
        let mut file = Filling {
            bytes: RefCell::new(b"{\"a\":1}\n".to_vec()),
            room: 3,
        };
        assert!(append_whole(&mut file, b"{\"b\":2}\n").is_err());
        assert_eq!(file.bytes.borrow().as_slice(), b"{\"a\":1}\n");
        // The retry's line starts a line of its own.
        file.room = 64;
        append_whole(&mut file, b"{\"b\":2}\n").expect("room now");
        assert_eq!(file.bytes.borrow().as_slice(), b"{\"a\":1}\n{\"b\":2}\n");
    }
}
