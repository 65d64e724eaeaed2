//! A real (non-demo) start (issue 16): the defaults published at a fresh
//! data directory's first start ([`first_start`]) and `salesledger init
//! --data DIR --config FILE`, which publishes an organisation's own reps
//! and configuration from a TOML file (format: docs/INIT.md; example:
//! docs/examples/organisation.toml).
//!
//! The file is read and checked completely before the log is opened: an
//! invalid file is refused with its line, column and field, and nothing is
//! appended. What the file holds is published as `system:config-file`;
//! a configuration the file leaves out gets its default (as `system:init`)
//! when none is published yet. Running `init` again with the same file
//! appends nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use salesledger_commands::system::{
    default_config_command, SYSTEM_CONFIG_FILE_ACTOR, SYSTEM_INIT_ACTOR,
};
use salesledger_commands::{CommandError, CommandService, FirstStart};
use salesledger_domain::config::{Config, ConfigCommand};
use salesledger_domain::customer::{FollowUpKind, PoolPolicy};
use salesledger_domain::extraction::{CompetitorEntry, ConcernEntry, ExtractionDictionary};
use salesledger_domain::health::{HealthPolicy, HealthTargets, HealthWeights, RiskKind};
use salesledger_domain::nurture::{NurtureTemplate, NurtureTemplateStep};
use salesledger_domain::rep::{ChangeRepCapabilities, RegisterRep, Rep, RepCommand};
use salesledger_domain::routing::{MatchRule, RoutingRuleSet};
use salesledger_domain::stream::{
    rep_stream_id, CONFIG_EXTRACTION_STREAM, CONFIG_HEALTH_STREAM, CONFIG_NURTURE_STREAM,
    CONFIG_POOL_POLICY_STREAM, CONFIG_ROUTING_STREAM,
};
use salesledger_domain::value::{ActorId, CapabilityTags, Region, RepId, Text};
use salesledger_domain::{DomainError, Role};
use serde::Deserialize;
use toml::Spanned;
use uuid::Uuid;

use crate::backend::{OpenedStore, StoreChoice};

/// Namespace of the rep ids derived from a rep's name (UUID v5) when the
/// file gives none, so running `init` again finds the same reps.
const REP_ID_NAMESPACE: Uuid = Uuid::from_u128(0x5a1e_51ed_1417_4c0b_a11e_0000_0000_0016);

/// At most this many reps in one file.
const MAX_REPS: usize = 10_000;

/// Publishes the first-start defaults on `service`'s log (see
/// [`CommandService::publish_first_start_defaults`]) and says what it did.
pub async fn first_start(
    service: &CommandService,
    now: DateTime<Utc>,
) -> anyhow::Result<FirstStart> {
    let outcome = service
        .publish_first_start_defaults(now)
        .await
        .with_context(|| crate::t!("cli-init-publishing-first-start"))?;
    match &outcome {
        FirstStart::Published { stream_ids } if !stream_ids.is_empty() => println!(
            "{}",
            crate::t!(
                "cli-init-first-start",
                actor = SYSTEM_INIT_ACTOR,
                streams = stream_ids.join(", ")
            )
        ),
        FirstStart::Published { .. } => {}
        FirstStart::OrganisationConfigured { stream_id, actor } => tracing::info!(
            stream_id,
            actor,
            "the organisation's own configuration is published; no defaults"
        ),
    }
    Ok(outcome)
}

// ---- the file --------------------------------------------------------------

/// The organisation file, as written (docs/INIT.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganisationFile {
    #[serde(default)]
    reps: Vec<Spanned<RepEntry>>,
    pool_policy: Option<Spanned<PoolPolicySection>>,
    health_policy: Option<Spanned<HealthPolicySection>>,
    routing_rules: Option<Spanned<RoutingRulesSection>>,
    extraction_dictionary: Option<Spanned<DictionarySection>>,
    nurture_template: Option<Spanned<NurtureSection>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RepEntry {
    /// The rep's id; derived from `name` when absent.
    id: Option<Uuid>,
    name: Text,
    region: Region,
    tags: CapabilityTags,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolPolicySection {
    protection_days: u32,
    extension_days: u32,
    maximum_protection_days: u32,
    qualifying_follow_up_kinds: BTreeSet<FollowUpKind>,
    day_close_utc_offset_minutes: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthPolicySection {
    weights: HealthWeights,
    targets: HealthTargets,
    green_at_bp: u32,
    yellow_at_bp: u32,
    callback_due_hours: u32,
    core_modules: Vec<String>,
    ticket_overdue_hours: u32,
    risk_scripts: BTreeMap<RiskKind, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingRulesSection {
    #[serde(default)]
    rules: Vec<MatchRule>,
    direct_tag_match_weight: u32,
    region_match_weight: u32,
    minimum_score: u32,
    candidate_count: u8,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DictionarySection {
    #[serde(default)]
    competitors: Vec<CompetitorEntry>,
    #[serde(default)]
    concerns: Vec<ConcernEntry>,
    still_comparing_phrases: Vec<String>,
    utc_offset_minutes: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NurtureSection {
    steps: Vec<NurtureTemplateStep>,
}

/// A rep as the file describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepSpec {
    pub rep_id: RepId,
    pub display_name: Text,
    pub region: Region,
    pub capability_tags: CapabilityTags,
}

/// A checked organisation file. Versions are set when publishing (the next
/// on each stream), so the file carries none.
#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    pub reps: Vec<RepSpec>,
    pub pool_policy: Option<PoolPolicy>,
    pub health_policy: Option<HealthPolicy>,
    pub routing_rules: Option<RoutingRuleSet>,
    pub extraction_dictionary: Option<ExtractionDictionary>,
    pub nurture_template: Option<NurtureTemplate>,
}

/// Why a file was refused: where, which field, what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}, field `{field}`: {message}")]
pub struct FileError {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// The key at that place (`tags`, `reps[2]`, `routing_rules`, ...).
    pub field: String,
    pub message: String,
}

/// 1-based line and column of byte `offset` in `source`.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = source.get(..offset.min(source.len())).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let column = before
        .get(line_start..)
        .map_or(0, |text| text.chars().count())
        + 1;
    (line, column)
}

/// The key named on the line of `offset`: `key = ...`, `[table]` or
/// `[[array]]`; `fallback` when the line names none.
fn field_at(source: &str, offset: usize, fallback: &str) -> String {
    let (line, _) = line_column(source, offset);
    let text = source.lines().nth(line - 1).unwrap_or("").trim();
    if let Some(table) = text.strip_prefix('[') {
        return table
            .trim_matches(|c| c == '[' || c == ']')
            .trim()
            .to_owned();
    }
    match text.split_once('=') {
        Some((key, _)) if !key.trim().is_empty() => key.trim().trim_matches('"').to_owned(),
        _ => fallback.to_owned(),
    }
}

fn error_at(source: &str, offset: usize, field: String, message: String) -> FileError {
    let (line, column) = line_column(source, offset);
    FileError {
        line,
        column,
        field,
        message,
    }
}

/// A domain refusal of the section starting at `span`, named `section`,
/// worded in the CLI's language.
fn section_error(
    source: &str,
    span: std::ops::Range<usize>,
    section: &str,
    error: &DomainError,
) -> FileError {
    let message = crate::i18n::domain_detail(crate::i18n::cli_lang(), error);
    error_at(source, span.start, section.to_owned(), message)
}

/// A section of the file as the domain's `T` (`build` of its raw value),
/// checked with `validate`: `None` when the file has none; an invalid one
/// is an error at the section's start, naming it.
fn section<R, T>(
    source: &str,
    raw: &Option<Spanned<R>>,
    name: &str,
    build: impl FnOnce(&R) -> T,
    validate: impl FnOnce(&T) -> Result<(), DomainError>,
) -> Result<Option<T>, FileError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let value = build(raw.get_ref());
    validate(&value).map_err(|error| section_error(source, raw.span(), name, &error))?;
    Ok(Some(value))
}

/// Parses and checks an organisation file (docs/INIT.md).
pub fn parse_organisation(source: &str) -> Result<Organisation, FileError> {
    let file: OrganisationFile = toml::from_str(source).map_err(|error| {
        let offset = error.span().map_or(0, |span| span.start);
        let message = error.message().trim().to_owned();
        // serde names a missing or unknown field in its message.
        let named = ["missing field `", "unknown field `"]
            .iter()
            .find_map(|prefix| {
                message
                    .split_once(prefix)
                    .and_then(|(_, rest)| rest.split_once('`'))
                    .map(|(field, _)| field.to_owned())
            });
        let field = named.unwrap_or_else(|| field_at(source, offset, "(document)"));
        error_at(source, offset, field, message)
    })?;
    if file.reps.len() > MAX_REPS {
        return Err(error_at(
            source,
            0,
            "reps".into(),
            crate::t!("cli-init-too-many-reps", max = MAX_REPS),
        ));
    }
    let mut reps: Vec<RepSpec> = Vec::with_capacity(file.reps.len());
    for (index, entry) in file.reps.iter().enumerate() {
        let span = entry.span();
        let entry = entry.get_ref();
        let rep_id =
            RepId::from_uuid(entry.id.unwrap_or_else(|| {
                Uuid::new_v5(&REP_ID_NAMESPACE, entry.name.as_str().as_bytes())
            }));
        if let Some(earlier) = reps.iter().position(|rep| rep.rep_id == rep_id) {
            return Err(error_at(
                source,
                span.start,
                format!("reps[{index}]"),
                crate::t!(
                    "cli-init-rep-twice",
                    rep_id = rep_id,
                    name = entry.name.as_str(),
                    earlier = earlier
                ),
            ));
        }
        reps.push(RepSpec {
            rep_id,
            display_name: entry.name.clone(),
            region: entry.region.clone(),
            capability_tags: entry.tags.clone(),
        });
    }
    let pool_policy = section(
        source,
        &file.pool_policy,
        "pool_policy",
        |raw| PoolPolicy {
            version: 1,
            protection_days: raw.protection_days,
            extension_days: raw.extension_days,
            maximum_protection_days: raw.maximum_protection_days,
            qualifying_follow_up_kinds: raw.qualifying_follow_up_kinds.clone(),
            day_close_utc_offset_minutes: raw.day_close_utc_offset_minutes,
        },
        PoolPolicy::validate_publishable,
    )?;
    let health_policy = section(
        source,
        &file.health_policy,
        "health_policy",
        |raw| HealthPolicy {
            version: 2,
            weights: raw.weights.clone(),
            targets: raw.targets.clone(),
            green_at_bp: raw.green_at_bp,
            yellow_at_bp: raw.yellow_at_bp,
            callback_due_hours: raw.callback_due_hours,
            core_modules: raw.core_modules.clone(),
            ticket_overdue_hours: raw.ticket_overdue_hours,
            risk_scripts: raw.risk_scripts.clone(),
        },
        HealthPolicy::validate_publishable,
    )?;
    let routing_rules = section(
        source,
        &file.routing_rules,
        "routing_rules",
        |raw| RoutingRuleSet {
            version: 1,
            rules: raw.rules.clone(),
            direct_tag_match_weight: raw.direct_tag_match_weight,
            region_match_weight: raw.region_match_weight,
            minimum_score: raw.minimum_score,
            candidate_count: raw.candidate_count,
        },
        RoutingRuleSet::validate,
    )?;
    let extraction_dictionary = section(
        source,
        &file.extraction_dictionary,
        "extraction_dictionary",
        |raw| ExtractionDictionary {
            version: 1,
            competitors: raw.competitors.clone(),
            concerns: raw.concerns.clone(),
            still_comparing_phrases: raw.still_comparing_phrases.clone(),
            utc_offset_minutes: raw.utc_offset_minutes,
        },
        ExtractionDictionary::validate,
    )?;
    let nurture_template = section(
        source,
        &file.nurture_template,
        "nurture_template",
        |raw| NurtureTemplate {
            version: 1,
            steps: raw.steps.clone(),
        },
        NurtureTemplate::validate,
    )?;
    Ok(Organisation {
        reps,
        pool_policy,
        health_policy,
        routing_rules,
        extraction_dictionary,
        nurture_template,
    })
}

// ---- publishing ------------------------------------------------------------

/// One configuration kind of the file, versioned for publication.
enum Section {
    Pool(PoolPolicy),
    Health(HealthPolicy),
    Routing(RoutingRuleSet),
    Extraction(ExtractionDictionary),
    Nurture(NurtureTemplate),
}

/// `new` under the version after `current`'s (1 without one), or `None`
/// when `current` already equals it but for the version.
fn next_version<T: Clone + PartialEq>(
    mut new: T,
    current: Option<&T>,
    version: fn(&mut T) -> &mut u32,
) -> Option<T> {
    let next = current.map_or(1, |current| *version(&mut current.clone()) + 1);
    *version(&mut new) = next;
    let same = current.is_some_and(|current| {
        let mut renumbered = current.clone();
        *version(&mut renumbered) = next;
        renumbered == new
    });
    (!same).then_some(new)
}

impl Section {
    /// The file's value under the version after `current`'s, or `None`
    /// when `current` already equals it (but for the version).
    fn next_command(self, current: &Config, published_by: ActorId) -> Option<ConfigCommand> {
        match self {
            Section::Pool(policy) => next_version(policy, current.pool_policy.as_ref(), |policy| {
                &mut policy.version
            })
            .map(|policy| ConfigCommand::PublishPoolPolicy {
                policy,
                published_by,
            }),
            Section::Health(policy) => {
                let in_force = current.health_policy_in_force();
                next_version(policy, Some(&in_force), |policy| &mut policy.version).map(|policy| {
                    ConfigCommand::PublishHealthPolicy {
                        policy,
                        published_by,
                    }
                })
            }
            Section::Routing(rule_set) => {
                next_version(rule_set, current.routing_rules.as_ref(), |rules| {
                    &mut rules.version
                })
                .map(|rule_set| ConfigCommand::PublishRoutingRules {
                    rule_set,
                    published_by,
                })
            }
            Section::Extraction(dictionary) => next_version(
                dictionary,
                current.extraction_dictionary.as_ref(),
                |dictionary| &mut dictionary.version,
            )
            .map(|dictionary| ConfigCommand::PublishExtractionDictionary {
                dictionary,
                published_by,
            }),
            Section::Nurture(template) => {
                next_version(template, current.nurture_template.as_ref(), |template| {
                    &mut template.version
                })
                .map(|template| ConfigCommand::PublishNurtureTemplate {
                    template,
                    published_by,
                })
            }
        }
    }
}

/// Publishes `organisation` on `service`'s log; returns one line per
/// stream saying what was done.
pub async fn apply(
    service: &CommandService,
    organisation: &Organisation,
    now: DateTime<Utc>,
) -> Result<Vec<String>, CommandError> {
    let mut report = Vec::new();
    let from_file = ActorId::parse(SYSTEM_CONFIG_FILE_ACTOR)?;
    let init = ActorId::parse(SYSTEM_INIT_ACTOR)?;
    let sections: [(&str, Option<Section>); 5] = [
        (
            CONFIG_POOL_POLICY_STREAM,
            organisation.pool_policy.clone().map(Section::Pool),
        ),
        (
            CONFIG_HEALTH_STREAM,
            organisation.health_policy.clone().map(Section::Health),
        ),
        (
            CONFIG_ROUTING_STREAM,
            organisation.routing_rules.clone().map(Section::Routing),
        ),
        (
            CONFIG_EXTRACTION_STREAM,
            organisation
                .extraction_dictionary
                .clone()
                .map(Section::Extraction),
        ),
        (
            CONFIG_NURTURE_STREAM,
            organisation.nurture_template.clone().map(Section::Nurture),
        ),
    ];
    for (stream_id, section) in sections {
        let loaded = service.load::<Config>(stream_id).await?;
        let (actor, command) = match section {
            Some(section) => match section.next_command(&loaded.state, from_file.clone()) {
                Some(command) => (SYSTEM_CONFIG_FILE_ACTOR, command),
                None => {
                    report.push(crate::t!("cli-init-unchanged", stream = stream_id));
                    continue;
                }
            },
            None if loaded.version.is_none() => {
                match default_config_command(stream_id, init.clone()) {
                    Some(command) => (SYSTEM_INIT_ACTOR, command),
                    None => continue,
                }
            }
            None => {
                report.push(crate::t!("cli-init-kept", stream = stream_id));
                continue;
            }
        };
        let outcome = service
            .execute_as_system::<Config>(actor, Role::Supervisor, stream_id, command, now)
            .await?;
        let version = outcome
            .events
            .first()
            .and_then(|event| event.payload.pointer_version())
            .map(|version| version.to_string());
        report.push(match version {
            Some(version) => crate::t!(
                "cli-init-published-version",
                stream = stream_id,
                version = version,
                actor = actor
            ),
            None => crate::t!("cli-init-published", stream = stream_id, actor = actor),
        });
    }
    for rep in &organisation.reps {
        let stream_id = rep_stream_id(rep.rep_id);
        let loaded = service.load::<Rep>(&stream_id).await?;
        let command = match &loaded.state.profile {
            None => RepCommand::Register(RegisterRep {
                rep_id: rep.rep_id,
                display_name: rep.display_name.clone(),
                region: rep.region.clone(),
                capability_tags: rep.capability_tags.clone(),
            }),
            Some(profile) => {
                if profile.region != rep.region {
                    report.push(crate::t!(
                        "cli-init-rep-region-kept",
                        rep_id = rep.rep_id,
                        name = rep.display_name.as_str(),
                        registered = profile.region.as_str(),
                        file = rep.region.as_str()
                    ));
                }
                if profile.capability_tags == rep.capability_tags {
                    report.push(crate::t!(
                        "cli-init-rep-unchanged",
                        rep_id = rep.rep_id,
                        name = rep.display_name.as_str()
                    ));
                    continue;
                }
                RepCommand::ChangeCapabilities(ChangeRepCapabilities {
                    capability_tags: rep.capability_tags.clone(),
                })
            }
        };
        let registering = matches!(command, RepCommand::Register(_));
        service
            .execute_as_system::<Rep>(
                SYSTEM_CONFIG_FILE_ACTOR,
                Role::Supervisor,
                &stream_id,
                command,
                now,
            )
            .await?;
        let args = (rep.rep_id, rep.display_name.as_str(), rep.region.as_str());
        report.push(if registering {
            crate::t!(
                "cli-init-rep-registered",
                rep_id = args.0,
                name = args.1,
                region = args.2
            )
        } else {
            crate::t!(
                "cli-init-rep-tags-changed",
                rep_id = args.0,
                name = args.1,
                region = args.2
            )
        });
    }
    Ok(report)
}

/// The version in a configuration event's payload.
trait PayloadVersion {
    fn pointer_version(&self) -> Option<u64>;
}

impl PayloadVersion for serde_json::Value {
    fn pointer_version(&self) -> Option<u64> {
        self.as_object()?
            .values()
            .find_map(|value| value.get("version").and_then(serde_json::Value::as_u64))
    }
}

// ---- the command -----------------------------------------------------------

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Data directory (created if absent).
    #[arg(long)]
    pub data: PathBuf,
    /// The log elsewhere: `postgres://...` (optionally `?schema=NAME`) or a
    /// data directory, as `serve --store`.
    #[arg(long, value_name = "DIR_OR_URL")]
    pub store: Option<StoreChoice>,
    /// The organisation file (TOML; docs/INIT.md).
    #[arg(long)]
    pub config: PathBuf,
}

/// Exit status of a refused file.
pub const INVALID_FILE_EXIT: u8 = 1;

/// `salesledger init`.
pub fn run(args: &InitArgs) -> anyhow::Result<ExitCode> {
    let source = std::fs::read_to_string(&args.config)
        .with_context(|| crate::t!("cli-reading", path = args.config.display()))?;
    let organisation = match parse_organisation(&source) {
        Ok(organisation) => organisation,
        Err(error) => {
            eprintln!(
                "salesledger: {}",
                crate::t!(
                    "cli-init-refused",
                    path = args.config.display(),
                    line = error.line,
                    column = error.column,
                    field = error.field,
                    message = error.message
                )
            );
            return Ok(ExitCode::from(INVALID_FILE_EXIT));
        }
    };
    crate::runtime()?.block_on(init(args, &organisation))
}

async fn init(args: &InitArgs, organisation: &Organisation) -> anyhow::Result<ExitCode> {
    let choice = args
        .store
        .clone()
        .unwrap_or_else(|| StoreChoice::Sled(args.data.clone()));
    let opened = OpenedStore::open(&choice).await?;
    let service = CommandService::new(opened.store().clone());
    let result = apply(&service, organisation, Utc::now()).await;
    opened.close().await;
    for line in result.with_context(|| crate::t!("cli-init-publishing"))? {
        crate::outln!("{line}")?;
    }
    Ok(ExitCode::SUCCESS)
}
