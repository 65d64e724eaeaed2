//! The system's own commands: the configuration a fresh data directory
//! starts with (issue 16), and commands an operator issues from the command
//! line (`salesledger init`) rather than through a token.
//!
//! **First start.** A data directory whose log holds no configuration gets
//! the defaults published as events by the actor [`SYSTEM_INIT_ACTOR`]:
//! the pool policy ([`PoolPolicy::default_v1`]), the health policy
//! ([`HealthPolicy::default_v1`]), the routing rules
//! ([`RoutingRuleSet::default_v1`]), the extraction dictionary
//! ([`ExtractionDictionary::default_v1`]) and the nurture template
//! ([`NurtureTemplate::default_v1`]), each on its own stream. Each is
//! appended only on a stream that does not exist yet (expected version "no
//! stream"), so several gateways starting together on one PostgreSQL log
//! publish each default once, and a restart publishes nothing. When any
//! configuration stream holds a publication by another actor (the
//! organisation's own: `serve --demo`, `salesledger init --config`, a
//! supervisor over HTTP), nothing is published: defaults are never layered
//! over an organisation's configuration.

use chrono::{DateTime, Utc};
use salesledger_domain::config::{Config, ConfigCommand};
use salesledger_domain::customer::PoolPolicy;
use salesledger_domain::extraction::ExtractionDictionary;
use salesledger_domain::health::HealthPolicy;
use salesledger_domain::nurture::NurtureTemplate;
use salesledger_domain::routing::RoutingRuleSet;
use salesledger_domain::stream::{
    CONFIG_EXTRACTION_STREAM, CONFIG_HEALTH_STREAM, CONFIG_NURTURE_STREAM,
    CONFIG_POOL_POLICY_STREAM, CONFIG_ROUTING_STREAM,
};
use salesledger_domain::value::ActorId;
use salesledger_domain::{Aggregate, DomainError, Role};
use serde::Serialize;

use crate::error::CommandError;
use crate::pipeline::{CommandMeta, CommandOutcome, CommandService, Principal};

/// The actor of the defaults published at first start.
pub const SYSTEM_INIT_ACTOR: &str = "system:init";

/// The actor of what `salesledger init --config FILE` publishes from the
/// organisation's file.
pub const SYSTEM_CONFIG_FILE_ACTOR: &str = "system:config-file";

/// The prefix of every system actor; no token may take such a name.
pub const SYSTEM_ACTOR_PREFIX: &str = "system:";

/// The configuration streams, in the order the defaults are published.
pub const CONFIG_STREAMS: [&str; 5] = [
    CONFIG_POOL_POLICY_STREAM,
    CONFIG_HEALTH_STREAM,
    CONFIG_ROUTING_STREAM,
    CONFIG_EXTRACTION_STREAM,
    CONFIG_NURTURE_STREAM,
];

/// Records read per page when looking at a configuration stream.
const PAGE: usize = 64;

/// The default publication of `stream_id`, published by `published_by`.
pub fn default_config_command(stream_id: &str, published_by: ActorId) -> Option<ConfigCommand> {
    Some(match stream_id {
        CONFIG_POOL_POLICY_STREAM => ConfigCommand::PublishPoolPolicy {
            policy: PoolPolicy::default_v1(),
            published_by,
        },
        CONFIG_HEALTH_STREAM => ConfigCommand::PublishHealthPolicy {
            policy: HealthPolicy::default_v1(),
            published_by,
        },
        CONFIG_ROUTING_STREAM => ConfigCommand::PublishRoutingRules {
            rule_set: RoutingRuleSet::default_v1(),
            published_by,
        },
        CONFIG_EXTRACTION_STREAM => ConfigCommand::PublishExtractionDictionary {
            dictionary: ExtractionDictionary::default_v1(),
            published_by,
        },
        CONFIG_NURTURE_STREAM => ConfigCommand::PublishNurtureTemplate {
            template: NurtureTemplate::default_v1(),
            published_by,
        },
        _ => return None,
    })
}

/// What the first-start step did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FirstStart {
    /// Defaults were published on these streams (possibly none: every
    /// stream already held its default, e.g. from another gateway).
    Published { stream_ids: Vec<String> },
    /// The organisation published its own configuration (`actor` on
    /// `stream_id`): no default was published.
    OrganisationConfigured { stream_id: String, actor: String },
}

impl CommandService {
    /// Decides `command` on `stream_id` and appends the result as the
    /// system actor `actor` (`system:...`, recorded as is), without a
    /// token: for the operator's own commands (`salesledger init`) and
    /// the first-start defaults. Load, decide and append with the expected
    /// version as every command. `role` is the role whose authority the
    /// command carries (checked against the authorisation table).
    pub async fn execute_as_system<A>(
        &self,
        actor: &str,
        role: Role,
        stream_id: &str,
        command: A::Command,
        now: DateTime<Utc>,
    ) -> Result<CommandOutcome, CommandError>
    where
        A: Aggregate,
    {
        // A name outside the system's namespace is not a system actor:
        // recorded as `system:<name>` then.
        let name = actor.strip_prefix(SYSTEM_ACTOR_PREFIX).unwrap_or(actor);
        Self::authorise(role, A::command_kind(&command))?;
        let mut meta = CommandMeta::new(
            Principal {
                actor: ActorId::parse(name)?,
                role,
            },
            now,
        );
        meta.system_actor = Some(format!("{SYSTEM_ACTOR_PREFIX}{name}"));
        self.decide_and_append::<A>(&meta, stream_id, command).await
    }

    /// The first actor other than [`SYSTEM_INIT_ACTOR`] who published on a
    /// configuration stream, if any: the organisation configured itself.
    pub async fn organisation_config_actor(
        &self,
    ) -> Result<Option<(String, String)>, CommandError> {
        for stream_id in CONFIG_STREAMS {
            let mut from_version = 0;
            loop {
                let records = self
                    .store()
                    .read_stream(stream_id, from_version, PAGE)
                    .await?;
                let n_records = records.len();
                for record in records {
                    if record.actor != SYSTEM_INIT_ACTOR {
                        return Ok(Some((stream_id.to_owned(), record.actor)));
                    }
                    from_version = record.stream_version + 1;
                }
                if n_records < PAGE {
                    break;
                }
            }
        }
        Ok(None)
    }

    /// Publishes the default configuration on every configuration stream
    /// that does not exist yet, as [`SYSTEM_INIT_ACTOR`], unless the
    /// organisation published configuration of its own (module docs).
    /// Idempotent, and safe with several processes on one log: each append
    /// expects its stream not to exist, and one that lost the race finds
    /// the default already there and skips it.
    pub async fn publish_first_start_defaults(
        &self,
        now: DateTime<Utc>,
    ) -> Result<FirstStart, CommandError> {
        if let Some((stream_id, actor)) = self.organisation_config_actor().await? {
            return Ok(FirstStart::OrganisationConfigured { stream_id, actor });
        }
        let published_by = ActorId::parse(SYSTEM_INIT_ACTOR)?;
        let mut stream_ids = Vec::new();
        for stream_id in CONFIG_STREAMS {
            if self.load::<Config>(stream_id).await?.version.is_some() {
                continue;
            }
            let Some(command) = default_config_command(stream_id, published_by.clone()) else {
                continue;
            };
            match self
                .execute_as_system::<Config>(
                    SYSTEM_INIT_ACTOR,
                    Role::Supervisor,
                    stream_id,
                    command,
                    now,
                )
                .await
            {
                Ok(outcome) if !outcome.events.is_empty() => {
                    tracing::info!(stream_id, "first start: default configuration published");
                    stream_ids.push(stream_id.to_owned());
                }
                Ok(_) => {}
                // Another process published it first (the append expected
                // no stream; deciding again met the published version).
                Err(CommandError::Domain(DomainError::ConfigVersionNotNewer { .. })) => {
                    tracing::info!(stream_id, "first start: default already published");
                }
                Err(error) => return Err(error),
            }
        }
        Ok(FirstStart::Published { stream_ids })
    }
}
