//! Configuration as events: routing rule sets, pool policies, extraction
//! dictionaries and nurture templates are versioned data published into the
//! log, never constants in code.
//!
//! Streams: `config-routing`, `config-pool-policy`, `config-extraction`,
//! `config-nurture`, `config-health`. Each publication must carry a version
//! strictly greater than the last one on its stream. For the health policy,
//! [`HealthPolicy::default_v1`] is in force while none is published, so the
//! first publication needs a version greater than 1, unless it is exactly
//! the default v1 (publishing the default is harmless; a different policy
//! under version 1 would make `policy_version` ambiguous). Knows nothing of how the command layer
//! hands the current configuration to other aggregates.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::customer::PoolPolicy;
use crate::error::DomainError;
use crate::event::Event;
use crate::extraction::ExtractionDictionary;
use crate::health::HealthPolicy;
use crate::nurture::NurtureTemplate;
use crate::routing::RoutingRuleSet;
use crate::value::ActorId;

/// The latest published configuration of each kind (each kind on its own stream).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Config {
    pub routing_rules: Option<RoutingRuleSet>,
    pub pool_policy: Option<PoolPolicy>,
    pub extraction_dictionary: Option<ExtractionDictionary>,
    pub nurture_template: Option<NurtureTemplate>,
    pub health_policy: Option<HealthPolicy>,
}

impl Config {
    /// The health policy in force: the last published, else the default v1.
    pub fn health_policy_in_force(&self) -> HealthPolicy {
        self.health_policy
            .clone()
            .unwrap_or_else(HealthPolicy::default_v1)
    }
}

// ---- commands ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigCommand {
    PublishRoutingRules {
        rule_set: RoutingRuleSet,
        published_by: ActorId,
    },
    PublishPoolPolicy {
        policy: PoolPolicy,
        published_by: ActorId,
    },
    PublishExtractionDictionary {
        dictionary: ExtractionDictionary,
        published_by: ActorId,
    },
    PublishNurtureTemplate {
        template: NurtureTemplate,
        published_by: ActorId,
    },
    PublishHealthPolicy {
        policy: HealthPolicy,
        published_by: ActorId,
    },
}

// ---- events ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRulesPublished {
    pub rule_set: RoutingRuleSet,
    pub published_by: ActorId,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolPolicyPublished {
    pub policy: PoolPolicy,
    pub published_by: ActorId,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractionDictionaryPublished {
    pub dictionary: ExtractionDictionary,
    pub published_by: ActorId,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NurtureTemplatePublished {
    pub template: NurtureTemplate,
    pub published_by: ActorId,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthPolicyPublished {
    pub policy: HealthPolicy,
    pub published_by: ActorId,
    pub published_at: DateTime<Utc>,
}

fn ensure_newer(current: Option<u32>, proposed: u32) -> Result<(), DomainError> {
    match current {
        Some(current) if proposed <= current => {
            Err(DomainError::ConfigVersionNotNewer { current, proposed })
        }
        _ => Ok(()),
    }
}

impl crate::business_time::BusinessTimes for ConfigCommand {
    fn business_times(&self) -> Vec<crate::business_time::BusinessTime> {
        match self {
            ConfigCommand::PublishRoutingRules {
                rule_set: _,
                published_by: _,
            }
            | ConfigCommand::PublishPoolPolicy {
                policy: _,
                published_by: _,
            }
            | ConfigCommand::PublishExtractionDictionary {
                dictionary: _,
                published_by: _,
            }
            | ConfigCommand::PublishNurtureTemplate {
                template: _,
                published_by: _,
            }
            | ConfigCommand::PublishHealthPolicy {
                policy: _,
                published_by: _,
            } => Vec::new(),
        }
    }
}

impl Aggregate for Config {
    type Command = ConfigCommand;

    fn command_kind(command: &ConfigCommand) -> crate::role::CommandKind {
        command.kind()
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::RoutingRulesPublished(published) => {
                self.routing_rules = Some(published.rule_set.clone())
            }
            Event::PoolPolicyPublished(published) => {
                self.pool_policy = Some(published.policy.clone())
            }
            Event::ExtractionDictionaryPublished(published) => {
                self.extraction_dictionary = Some(published.dictionary.clone());
            }
            Event::NurtureTemplatePublished(published) => {
                self.nurture_template = Some(published.template.clone())
            }
            Event::HealthPolicyPublished(published) => {
                self.health_policy = Some(published.policy.clone())
            }
            _ => {}
        }
    }

    fn decide(
        &self,
        command: ConfigCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        match command {
            ConfigCommand::PublishRoutingRules {
                rule_set,
                published_by,
            } => {
                rule_set.validate()?;
                ensure_newer(
                    self.routing_rules.as_ref().map(|current| current.version),
                    rule_set.version,
                )?;
                Ok(vec![Event::RoutingRulesPublished(RoutingRulesPublished {
                    rule_set,
                    published_by,
                    published_at: now,
                })])
            }
            ConfigCommand::PublishPoolPolicy {
                policy,
                published_by,
            } => {
                policy.validate_publishable()?;
                ensure_newer(
                    self.pool_policy.as_ref().map(|current| current.version),
                    policy.version,
                )?;
                Ok(vec![Event::PoolPolicyPublished(PoolPolicyPublished {
                    policy,
                    published_by,
                    published_at: now,
                })])
            }
            ConfigCommand::PublishExtractionDictionary {
                dictionary,
                published_by,
            } => {
                dictionary.validate()?;
                ensure_newer(
                    self.extraction_dictionary
                        .as_ref()
                        .map(|current| current.version),
                    dictionary.version,
                )?;
                Ok(vec![Event::ExtractionDictionaryPublished(
                    ExtractionDictionaryPublished {
                        dictionary,
                        published_by,
                        published_at: now,
                    },
                )])
            }
            ConfigCommand::PublishNurtureTemplate {
                template,
                published_by,
            } => {
                template.validate()?;
                ensure_newer(
                    self.nurture_template
                        .as_ref()
                        .map(|current| current.version),
                    template.version,
                )?;
                Ok(vec![Event::NurtureTemplatePublished(
                    NurtureTemplatePublished {
                        template,
                        published_by,
                        published_at: now,
                    },
                )])
            }
            ConfigCommand::PublishHealthPolicy {
                policy,
                published_by,
            } => {
                policy.validate_publishable()?;
                match &self.health_policy {
                    Some(current) => ensure_newer(Some(current.version), policy.version)?,
                    None if policy != HealthPolicy::default_v1() => {
                        ensure_newer(Some(HealthPolicy::default_v1().version), policy.version)?
                    }
                    None => {}
                }
                Ok(vec![Event::HealthPolicyPublished(HealthPolicyPublished {
                    policy,
                    published_by,
                    published_at: now,
                })])
            }
        }
    }
}
