//! Publishing configuration: routing rules, pool policy, extraction dictionary, nurture template, health policy.

use super::*;
use salesledger_domain::health;

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/// One row of the routing rule table.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRuleInput {
    /// The capability tag this rule scores.
    #[schema(example = "iso13485")]
    pub tag: String,
    /// The customer attribute it reads.
    #[schema(example = "compliance")]
    pub attribute_key: String,
    /// Matches when the normalised attribute value contains this text
    /// (normalised the same way).
    #[schema(example = "ISO13485")]
    pub attribute_value_contains: String,
    /// Weight added to the score, 1 to 1000.
    #[schema(example = 40)]
    #[schema(minimum = 1, maximum = 1000)]
    pub weight: u32,
}

/// Publishes a new routing rule set (version strictly increasing).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRoutingRulesRequest {
    /// Version, greater than the published one.
    #[schema(example = 8)]
    pub version: u32,
    /// The rule table (at most 10 000 rows).
    #[schema(max_items = 10000)]
    pub rules: Vec<MatchRuleInput>,
    /// Weight when a tag without a table rule appears literally in an
    /// attribute value; 0 disables it.
    #[schema(example = 10)]
    pub direct_tag_match_weight: u32,
    /// Weight when the rep's region equals the `region` attribute.
    #[schema(example = 5)]
    pub region_match_weight: u32,
    /// Reps scoring below this are not proposed.
    #[schema(example = 1)]
    pub minimum_score: u32,
    /// How many candidates to propose, 1 to 10 (SPEC: 3).
    #[schema(example = 3)]
    #[schema(minimum = 1, maximum = 10)]
    pub candidate_count: u8,
}

impl PublishRoutingRulesRequest {
    /// `actor` is recorded as `published_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<ConfigCommand, DtoError> {
        let rules = each_item("rules", self.rules, |at, rule| {
            Ok(MatchRule {
                tag: parse_value(&format!("{at}.tag"), &rule.tag, CapabilityTag::parse)?,
                attribute_key: parse_value(
                    &format!("{at}.attribute_key"),
                    &rule.attribute_key,
                    AttributeKey::parse,
                )?,
                attribute_value_contains: rule.attribute_value_contains,
                weight: rule.weight,
            })
        })?;
        let rule_set = validated(
            RoutingRuleSet {
                version: self.version,
                rules,
                direct_tag_match_weight: self.direct_tag_match_weight,
                region_match_weight: self.region_match_weight,
                minimum_score: self.minimum_score,
                candidate_count: self.candidate_count,
            },
            RoutingRuleSet::validate,
        )?;
        Ok(ConfigCommand::PublishRoutingRules {
            rule_set,
            published_by: actor.clone(),
        })
    }
}

/// Publishes a new public-pool policy (version strictly increasing).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishPoolPolicyRequest {
    /// Version, greater than the published one.
    #[schema(example = 2)]
    pub version: u32,
    /// Days of protection after a claim or transfer (default 30).
    #[schema(example = 30)]
    pub protection_days: u32,
    /// Days a qualifying follow-up extends protection to (1 to 3650).
    #[schema(example = 30)]
    #[schema(minimum = 1, maximum = 3650)]
    pub extension_days: u32,
    /// Upper bound on protection from the start of ownership.
    #[schema(example = 90)]
    pub maximum_protection_days: u32,
    /// Follow-up kinds that extend protection.
    #[schema(example = json!(["visit", "call", "meeting"]))]
    pub qualifying_follow_up_kinds: Vec<FollowUpKind>,
    /// Local midnight's offset from UTC, in minutes (China: 480).
    #[schema(example = 480)]
    pub day_close_utc_offset_minutes: i32,
}

impl PublishPoolPolicyRequest {
    /// `actor` is recorded as `published_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<ConfigCommand, DtoError> {
        let policy = validated(
            PoolPolicy {
                version: self.version,
                protection_days: self.protection_days,
                extension_days: self.extension_days,
                maximum_protection_days: self.maximum_protection_days,
                qualifying_follow_up_kinds: self
                    .qualifying_follow_up_kinds
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                day_close_utc_offset_minutes: self.day_close_utc_offset_minutes,
            },
            PoolPolicy::validate_publishable,
        )?;
        Ok(ConfigCommand::PublishPoolPolicy {
            policy,
            published_by: actor.clone(),
        })
    }
}

/// A competitor and the names it goes by.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompetitorEntryInput {
    /// Canonical name.
    #[schema(example = "Siemens")]
    pub name: String,
    /// Other names that identify it in transcripts.
    #[serde(default)]
    #[schema(example = json!(["西门子", "SIEMENS Healthineers"]))]
    pub aliases: Vec<String>,
}

/// A technical concern and the keywords that reveal it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcernEntryInput {
    /// Canonical concern name.
    #[schema(example = "交期")]
    pub concern: String,
    /// Keywords that reveal it.
    #[schema(example = json!(["交期", "交货", "lead time", "delivery time"]))]
    pub keywords: Vec<String>,
}

/// Publishes a new extraction dictionary (version strictly increasing).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishExtractionDictionaryRequest {
    /// Version, greater than the published one.
    #[schema(example = 3)]
    pub version: u32,
    /// Competitors the extractor recognises.
    pub competitors: Vec<CompetitorEntryInput>,
    /// Technical concerns the extractor recognises.
    pub concerns: Vec<ConcernEntryInput>,
    /// Phrases meaning "still comparing"; `*` matches up to 12 characters.
    #[schema(example = json!(["还在比较", "再考虑", "还在*比较", "still comparing"]))]
    pub still_comparing_phrases: Vec<String>,
    /// Offset of local time from UTC in minutes (China: 480).
    #[schema(example = 480)]
    pub utc_offset_minutes: i32,
}

impl PublishExtractionDictionaryRequest {
    /// `actor` is recorded as `published_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<ConfigCommand, DtoError> {
        let dictionary = validated(
            ExtractionDictionary {
                version: self.version,
                competitors: self
                    .competitors
                    .into_iter()
                    .map(|entry| CompetitorEntry {
                        name: entry.name,
                        aliases: entry.aliases,
                    })
                    .collect(),
                concerns: self
                    .concerns
                    .into_iter()
                    .map(|entry| ConcernEntry {
                        concern: entry.concern,
                        keywords: entry.keywords,
                    })
                    .collect(),
                still_comparing_phrases: self.still_comparing_phrases,
                utc_offset_minutes: self.utc_offset_minutes,
            },
            ExtractionDictionary::validate,
        )?;
        Ok(ConfigCommand::PublishExtractionDictionary {
            dictionary,
            published_by: actor.clone(),
        })
    }
}

/// One step of a nurture template.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NurtureTemplateStepInput {
    /// What is sent.
    pub kind: NurtureStepKind,
    /// Hours after the pack starts (at most a year).
    #[schema(example = 24)]
    pub delay_hours: u32,
    /// Reference to the content (video, review, offer) in the content system.
    #[schema(example = "case-video/tier3-hospital-or")]
    pub content_ref: String,
}

/// Publishes a new nurture template (version strictly increasing).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishNurtureTemplateRequest {
    /// Version, greater than the published one.
    #[schema(example = 2)]
    pub version: u32,
    /// 1 to 20 steps.
    #[schema(min_items = 1, max_items = 20)]
    pub steps: Vec<NurtureTemplateStepInput>,
}

impl PublishNurtureTemplateRequest {
    /// `actor` is recorded as `published_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<ConfigCommand, DtoError> {
        let template = validated(
            NurtureTemplate {
                version: self.version,
                steps: self
                    .steps
                    .into_iter()
                    .map(|step| NurtureTemplateStep {
                        kind: step.kind.into(),
                        delay_hours: step.delay_hours,
                        content_ref: step.content_ref,
                    })
                    .collect(),
            },
            NurtureTemplate::validate,
        )?;
        Ok(ConfigCommand::PublishNurtureTemplate {
            template,
            published_by: actor.clone(),
        })
    }
}

// ---------------------------------------------------------------------------
// Health configuration
// ---------------------------------------------------------------------------

/// Indicator weights in percent; they sum to 100.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthWeightsInput {
    /// Active days in the last 30 days.
    #[schema(example = 30)]
    pub usage: u32,
    /// Key-feature calls in the last 30 days.
    #[schema(example = 25)]
    pub key_features: u32,
    /// Mean ticket resolution time (last 90 days).
    #[schema(example = 20)]
    pub ticket_resolution: u32,
    /// Days to renewal.
    #[schema(example = 15)]
    pub renewal: u32,
    /// Success references in the last 365 days.
    #[schema(example = 10)]
    pub success_references: u32,
}

/// The targets each raw value is normalised against (every one > 0).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthTargetsInput {
    /// Active days in the last 30 days for a full usage score.
    #[schema(example = 20)]
    pub active_days_30: u32,
    /// Key-feature calls in the last 30 days, for a plan not listed below.
    #[schema(example = 200)]
    pub key_feature_calls_30_default: u32,
    /// Key-feature calls in the last 30 days per plan (lowercase plan names).
    #[serde(default)]
    #[schema(example = json!({"basic": 100, "standard": 200, "enterprise": 500}))]
    pub key_feature_calls_30_by_plan: BTreeMap<String, u32>,
    /// The support SLA in hours.
    #[schema(example = 24)]
    pub ticket_sla_hours: u32,
    /// Days until renewal for a full renewal score.
    #[schema(example = 180)]
    pub renewal_days: u32,
    /// Success references in the last 365 days for a full score.
    #[schema(example = 2)]
    pub success_references_12m: u32,
}

/// A kind of risk on the morning risk list.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskKind {
    LowUsage,
    LowModuleUsage,
    OverdueTickets,
    RenewalDue,
    CompetitorInterest,
    LowKeyFeatureUse,
}

impl From<RiskKind> for health::RiskKind {
    fn from(kind: RiskKind) -> Self {
        match kind {
            RiskKind::LowUsage => health::RiskKind::LowUsage,
            RiskKind::LowModuleUsage => health::RiskKind::LowModuleUsage,
            RiskKind::OverdueTickets => health::RiskKind::OverdueTickets,
            RiskKind::RenewalDue => health::RiskKind::RenewalDue,
            RiskKind::CompetitorInterest => health::RiskKind::CompetitorInterest,
            RiskKind::LowKeyFeatureUse => health::RiskKind::LowKeyFeatureUse,
        }
    }
}

/// Publishes a new health policy (version strictly increasing): weights,
/// targets, level thresholds, the call-back due time, core modules and the
/// risk scripts. It applies from the next day close on.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishHealthPolicyRequest {
    /// Version, greater than the one in force (the default policy is 1).
    #[schema(example = 2)]
    pub version: u32,
    /// Indicator weights in percent, summing to 100.
    pub weights: HealthWeightsInput,
    /// Normalisation targets.
    pub targets: HealthTargetsInput,
    /// Green from this score (basis points, at most 10000).
    #[schema(example = 8500)]
    #[schema(maximum = 10000)]
    pub green_at_bp: u32,
    /// Yellow from this score (below `green_at_bp`); red below it.
    #[schema(example = 7000)]
    pub yellow_at_bp: u32,
    /// Hours from the day close to a call-back task's due time (1 to
    /// 8760, a year).
    #[schema(example = 48)]
    #[schema(minimum = 1, maximum = 8760)]
    pub callback_due_hours: u32,
    /// Core module names: sorted, unique, lowercase.
    #[schema(example = json!(["api", "crm", "mobile", "reports", "workflow"]))]
    pub core_modules: Vec<String>,
    /// An open ticket older than this many hours is overdue (1 to 8760).
    #[schema(example = 72)]
    #[schema(minimum = 1, maximum = 8760)]
    pub ticket_overdue_hours: u32,
    /// One non-empty script (template text) per risk kind.
    #[schema(example = json!({"low_usage": "约客户做一次 15 分钟的使用回顾", "low_module_usage": "发送模块激活指南", "overdue_tickets": "走技术支持快速通道", "renewal_due": "确认续约意向与预算", "competitor_interest": "安排一次价值复盘", "low_key_feature_use": "演示关键功能的业务收益"}))]
    pub risk_scripts: BTreeMap<RiskKind, String>,
}

impl PublishHealthPolicyRequest {
    /// `actor` is recorded as `published_by`.
    pub fn into_command(self, actor: &ActorId) -> Result<ConfigCommand, DtoError> {
        let policy = validated(
            HealthPolicy {
                version: self.version,
                weights: HealthWeights {
                    usage: self.weights.usage,
                    key_features: self.weights.key_features,
                    ticket_resolution: self.weights.ticket_resolution,
                    renewal: self.weights.renewal,
                    success_references: self.weights.success_references,
                },
                targets: HealthTargets {
                    active_days_30: self.targets.active_days_30,
                    key_feature_calls_30_default: self.targets.key_feature_calls_30_default,
                    key_feature_calls_30_by_plan: self.targets.key_feature_calls_30_by_plan,
                    ticket_sla_hours: self.targets.ticket_sla_hours,
                    renewal_days: self.targets.renewal_days,
                    success_references_12m: self.targets.success_references_12m,
                },
                green_at_bp: self.green_at_bp,
                yellow_at_bp: self.yellow_at_bp,
                callback_due_hours: self.callback_due_hours,
                core_modules: self.core_modules,
                ticket_overdue_hours: self.ticket_overdue_hours,
                risk_scripts: self
                    .risk_scripts
                    .into_iter()
                    .map(|(kind, script)| (kind.into(), script))
                    .collect(),
            },
            HealthPolicy::validate_publishable,
        )?;
        Ok(ConfigCommand::PublishHealthPolicy {
            policy,
            published_by: actor.clone(),
        })
    }
}
