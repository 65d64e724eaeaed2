//! Customer health (SPEC C7, C8): the versioned [`HealthPolicy`], the pure
//! score [`evaluate`] in integer basis points, the [`HealthInputs`] an account
//! keeps, and the risk kinds of the morning risk list ([`risk_kinds`]).
//!
//! Scores are integers in basis points (`score_bp`, 0..=10000; 85.00 points
//! = 8500) so that a [`HealthBreakdown`] sums exactly to its score. Windows
//! are inclusive and end on `as_of`: "the last 30 days" is
//! `as_of - 29 ..= as_of`. Knows nothing of streams, storage or the clock:
//! `as_of` and the policy are passed in.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::{Bound, RangeBounds};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::days_before;
use crate::error::{DomainError, ValueKind};
use crate::event::Event;
use crate::value::{CustomerId, Keyword, ModuleName, PlanName, ReferenceRef, Text, TicketRef};

/// The UTC offset used to give an instant (a ticket's resolution time, a
/// command's `now`) its local calendar day: China Standard Time, the same
/// offset as [`crate::customer::PoolPolicy::default_v1`]'s day close.
///
/// Decision: the health policy carries no offset of its own (the design
/// lists its fields exactly), so the one instant-to-day mapping the score
/// needs (which resolution falls in the 90-day window) uses this constant.
pub const DAY_UTC_OFFSET_MINUTES: i32 = 8 * 60;

/// The local (China Standard Time) calendar day of an instant.
pub fn local_day(instant: DateTime<Utc>) -> NaiveDate {
    crate::extraction::local_date(instant, DAY_UTC_OFFSET_MINUTES)
}

/// Basis points of a full indicator (100.00 %).
pub const FULL_BP: u32 = 10_000;

/// A kind of risk on the morning risk list; each has a script in the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskKind {
    LowUsage,
    LowModuleUsage,
    OverdueTickets,
    RenewalDue,
    CompetitorInterest,
    LowKeyFeatureUse,
}

impl RiskKind {
    pub const ALL: [RiskKind; 6] = [
        RiskKind::LowUsage,
        RiskKind::LowModuleUsage,
        RiskKind::OverdueTickets,
        RiskKind::RenewalDue,
        RiskKind::CompetitorInterest,
        RiskKind::LowKeyFeatureUse,
    ];
}

/// The five indicators, in the order of every breakdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    Usage,
    KeyFeatures,
    TicketResolution,
    Renewal,
    SuccessReferences,
}

impl Indicator {
    pub const ALL: [Indicator; 5] = [
        Indicator::Usage,
        Indicator::KeyFeatures,
        Indicator::TicketResolution,
        Indicator::Renewal,
        Indicator::SuccessReferences,
    ];
}

/// A health level: green (>= green_at_bp), yellow (>= yellow_at_bp), red.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Green,
    Yellow,
    Red,
}

/// Indicator weights in percent; they sum to 100.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthWeights {
    pub usage: u32,
    pub key_features: u32,
    pub ticket_resolution: u32,
    pub renewal: u32,
    pub success_references: u32,
}

impl HealthWeights {
    /// The weight of one indicator.
    pub fn of(&self, indicator: Indicator) -> u32 {
        match indicator {
            Indicator::Usage => self.usage,
            Indicator::KeyFeatures => self.key_features,
            Indicator::TicketResolution => self.ticket_resolution,
            Indicator::Renewal => self.renewal,
            Indicator::SuccessReferences => self.success_references,
        }
    }

    fn sum(&self) -> u64 {
        Indicator::ALL
            .iter()
            .map(|indicator| u64::from(self.of(*indicator)))
            .sum()
    }
}

/// The targets each raw value is normalised against.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthTargets {
    /// Active days (logins > 0) in the last 30 days for a full usage score.
    pub active_days_30: u32,
    /// Key-feature calls in the last 30 days, for a plan not listed below.
    pub key_feature_calls_30_default: u32,
    /// Key-feature calls in the last 30 days per plan (keys are [`PlanName`]s).
    pub key_feature_calls_30_by_plan: BTreeMap<String, u32>,
    /// The support SLA in hours: a mean resolution at or under it scores full.
    pub ticket_sla_hours: u32,
    /// Days until renewal for a full renewal score.
    pub renewal_days: u32,
    /// Success references in the last 365 days for a full score.
    pub success_references_12m: u32,
}

impl HealthTargets {
    /// The key-feature target for a plan (the default if no plan or unlisted).
    pub fn key_feature_calls_30(&self, plan: Option<&PlanName>) -> u32 {
        plan.and_then(|plan| self.key_feature_calls_30_by_plan.get(plan.as_str()))
            .copied()
            .unwrap_or(self.key_feature_calls_30_default)
    }
}

/// The health parameters, versioned data (event `HealthPolicyPublished` on
/// `config-health`). [`HealthPolicy::default_v1`] applies while none is
/// published.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthPolicy {
    pub version: u32,
    pub weights: HealthWeights,
    pub targets: HealthTargets,
    pub green_at_bp: u32,
    pub yellow_at_bp: u32,
    /// Hours from the day close that created a call-back task to its due time.
    pub callback_due_hours: u32,
    /// Sorted, unique, normalised ([`ModuleName`]) core module names.
    pub core_modules: Vec<String>,
    /// An open ticket older than this many hours is overdue (risk `overdue_tickets`).
    pub ticket_overdue_hours: u32,
    /// One script (template text) per risk kind.
    pub risk_scripts: BTreeMap<RiskKind, String>,
}

impl HealthPolicy {
    /// SPEC C7 defaults: weights 30/25/20/15/10; 20 active days, 200
    /// key-feature calls (basic 100, standard 200, enterprise 500), 24 h SLA,
    /// 180 renewal days, 2 references; green at 85.00, yellow at 70.00;
    /// call-back due in 48 h; core modules api, crm, mobile, reports,
    /// workflow; tickets overdue after 72 h. Version 1.
    pub fn default_v1() -> Self {
        let scripts = [
            (
                RiskKind::LowUsage,
                "使用频率偏低：约客户做一次 15 分钟的使用回顾，确认登录障碍并安排关键用户培训。",
            ),
            (
                RiskKind::LowModuleUsage,
                "核心模块未启用：发送模块激活指南，预约一次上线辅导（activation guide）。",
            ),
            (
                RiskKind::OverdueTickets,
                "工单超时未解决：走技术支持快速通道（support fast lane），今天内给客户明确答复。",
            ),
            (
                RiskKind::RenewalDue,
                "续约临近：与客户确认续约意向与预算，提前准备续约方案。",
            ),
            (
                RiskKind::CompetitorInterest,
                "客户在搜索竞品：安排一次价值复盘，准备竞品对比材料与成功案例。",
            ),
            (
                RiskKind::LowKeyFeatureUse,
                "关键功能使用不足：演示关键功能的业务收益，提供最佳实践模板。",
            ),
        ];
        HealthPolicy {
            version: 1,
            weights: HealthWeights {
                usage: 30,
                key_features: 25,
                ticket_resolution: 20,
                renewal: 15,
                success_references: 10,
            },
            targets: HealthTargets {
                active_days_30: 20,
                key_feature_calls_30_default: 200,
                key_feature_calls_30_by_plan: [
                    ("basic", 100),
                    ("enterprise", 500),
                    ("standard", 200),
                ]
                .into_iter()
                .map(|(plan, target)| (plan.to_owned(), target))
                .collect(),
                ticket_sla_hours: 24,
                renewal_days: 180,
                success_references_12m: 2,
            },
            green_at_bp: 8500,
            yellow_at_bp: 7000,
            callback_due_hours: 48,
            core_modules: ["api", "crm", "mobile", "reports", "workflow"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
            ticket_overdue_hours: 72,
            risk_scripts: scripts
                .into_iter()
                .map(|(kind, script)| (kind, script.to_owned()))
                .collect(),
        }
    }

    /// Weights sum to 100; every target > 0; `yellow_at_bp < green_at_bp <=
    /// 10000`; `callback_due_hours > 0`; `ticket_overdue_hours > 0`;
    /// `version >= 1`; core modules and plan keys are normalised names,
    /// modules sorted and unique; a non-empty script for every [`RiskKind`].
    pub fn validate(&self) -> Result<(), DomainError> {
        let invalid = |reason: &str| DomainError::invalid(ValueKind::HealthPolicy, reason);
        if self.version == 0 {
            return Err(invalid("version must be at least 1"));
        }
        if self.weights.sum() != 100 {
            return Err(invalid("weights must sum to 100"));
        }
        let targets = &self.targets;
        let targets_positive = targets.active_days_30 > 0
            && targets.key_feature_calls_30_default > 0
            && targets
                .key_feature_calls_30_by_plan
                .values()
                .all(|target| *target > 0)
            && targets.ticket_sla_hours > 0
            && targets.renewal_days > 0
            && targets.success_references_12m > 0;
        if !targets_positive {
            return Err(invalid("every target must be greater than 0"));
        }
        let plans_normalised = targets
            .key_feature_calls_30_by_plan
            .keys()
            .all(|plan| PlanName::parse(plan).is_ok_and(|parsed| parsed.as_str() == plan));
        if !plans_normalised {
            return Err(invalid(
                "plan names must be trimmed, lowercase, 1 to 32 characters",
            ));
        }
        if !(self.yellow_at_bp < self.green_at_bp && self.green_at_bp <= FULL_BP) {
            return Err(invalid(
                "thresholds need yellow_at_bp < green_at_bp <= 10000",
            ));
        }
        if self.callback_due_hours == 0 || self.ticket_overdue_hours == 0 {
            return Err(invalid(
                "callback_due_hours and ticket_overdue_hours must be greater than 0",
            ));
        }
        let modules_normalised = self
            .core_modules
            .iter()
            .all(|module| ModuleName::parse(module).is_ok_and(|parsed| parsed.as_str() == module));
        let modules_sorted_unique = self.core_modules.windows(2).all(|pair| pair[0] < pair[1]);
        if !(modules_normalised && modules_sorted_unique) {
            return Err(invalid(
                "core modules must be sorted, unique, trimmed lowercase names",
            ));
        }
        let scripts_complete = RiskKind::ALL.iter().all(|kind| {
            self.risk_scripts
                .get(kind)
                .is_some_and(|script| !script.trim().is_empty())
        });
        if !scripts_complete {
            return Err(invalid("a non-empty script is needed for every risk kind"));
        }
        Ok(())
    }

    /// [`HealthPolicy::validate`] and what a policy must meet to be
    /// published from now on: `callback_due_hours` and
    /// `ticket_overdue_hours` at most [`MAX_POLICY_HOURS`]. A policy
    /// published before this bound keeps working: evaluations check
    /// `validate` only, and add its hours without overflow.
    pub fn validate_publishable(&self) -> Result<(), DomainError> {
        self.validate()?;
        if self.callback_due_hours > MAX_POLICY_HOURS
            || self.ticket_overdue_hours > MAX_POLICY_HOURS
        {
            return Err(DomainError::invalid(
                ValueKind::HealthPolicy,
                "callback_due_hours and ticket_overdue_hours must be 1 to 8760 (a year)",
            ));
        }
        Ok(())
    }

    /// The level of a score under this policy.
    pub fn level_of(&self, score_bp: u32) -> Level {
        if score_bp >= self.green_at_bp {
            Level::Green
        } else if score_bp >= self.yellow_at_bp {
            Level::Yellow
        } else {
            Level::Red
        }
    }

    /// The script for a risk kind (empty if the policy lacks one; a valid
    /// policy never does).
    pub fn script(&self, kind: RiskKind) -> &str {
        self.risk_scripts
            .get(&kind)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// One indicator of a breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorScore {
    pub indicator: Indicator,
    /// The raw value (see the table in [`evaluate`]); `None` when unknown.
    pub raw: Option<i64>,
    /// Normalised to 0..=10000.
    pub normalised_bp: u32,
    /// Weight in percent.
    pub weight: u32,
    /// `normalised_bp * weight / 100`, truncated.
    pub contribution_bp: u32,
}

/// A health score as of a day, explained indicator by indicator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthBreakdown {
    /// ISO text in JSON; a day number in the read models' binary rows.
    #[serde(with = "crate::day_serde")]
    pub as_of: NaiveDate,
    /// The sum of the contributions.
    pub score_bp: u32,
    pub level: Level,
    pub policy_version: u32,
    /// In [`Indicator::ALL`] order.
    pub indicators: Vec<IndicatorScore>,
}

impl HealthBreakdown {
    /// The score of one indicator.
    pub fn indicator(&self, indicator: Indicator) -> Option<&IndicatorScore> {
        self.indicators
            .iter()
            .find(|score| score.indicator == indicator)
    }
}

// ---- inputs ----

/// One day of product usage, as reported.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailyUsage {
    pub day: NaiveDate,
    pub logins: u32,
    pub key_feature_calls: u32,
}

/// How often a keyword was searched on a day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeywordSearch {
    pub keyword: Keyword,
    pub searched_on: NaiveDate,
    pub count: u32,
}

/// The usage counters of one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DayUsage {
    pub logins: u32,
    pub key_feature_calls: u32,
}

/// A support ticket still open.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OpenTicket {
    pub opened_at: DateTime<Utc>,
    pub subject: Option<Text>,
}

/// A resolved support ticket.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResolvedTicket {
    pub opened_at: DateTime<Utc>,
    pub resolved_at: DateTime<Utc>,
    pub resolution_seconds: u64,
}

/// The renewal date and plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Renewal {
    pub renewal_on: NaiveDate,
    pub plan: PlanName,
}

/// Total searches of one keyword in a window.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeywordTotal {
    pub keyword: Keyword,
    pub count: u64,
}

/// An open ticket past `ticket_overdue_hours`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OverdueTicket {
    pub ticket_ref: TicketRef,
    pub opened_at: DateTime<Utc>,
    pub age_hours: i64,
}

/// Extra days kept beyond each window when pruning, so that evaluating a
/// day somewhat earlier than the newest data (a delayed day close) still
/// sees its whole window.
pub const PRUNE_MARGIN_DAYS: i64 = 31;

/// The longest `callback_due_hours` and `ticket_overdue_hours` a policy
/// may set: a year (as a nurture step's delay). A call-back's due time is
/// its day's close plus the first, so it must stay a time the calendar
/// holds.
pub const MAX_POLICY_HOURS: u32 = 24 * 365;

/// What the health score reads, folded from the account's events (the
/// `Account` aggregate keeps one; projections can fold their own with
/// [`HealthInputs::apply`]).
///
/// Pruning (deterministic, from events only): usage keeps the 90 latest
/// days up to the newest reported day; resolved tickets, success references
/// and keyword searches keep their window (90, 365, 30 days) plus
/// [`PRUNE_MARGIN_DAYS`] up to the newest date of their kind. Decision: the
/// design prunes "relative to the latest evaluation", but an evaluation that
/// changes nothing appends no event, so `apply` cannot see it; pruning
/// relative to the newest data keeps every window of any `as_of` at or
/// after that data (and a month before it) complete.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthInputs {
    pub usage: BTreeMap<NaiveDate, DayUsage>,
    pub modules_used: BTreeSet<ModuleName>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub open_tickets: BTreeMap<TicketRef, OpenTicket>,
    pub resolved_tickets: BTreeMap<TicketRef, ResolvedTicket>,
    pub renewal: Option<Renewal>,
    pub success_references: BTreeMap<ReferenceRef, NaiveDate>,
    pub keyword_searches: BTreeMap<NaiveDate, BTreeMap<Keyword, u64>>,
}

/// The `n_days` days ending on `as_of` (`as_of` included) as a range of
/// days, for [`BTreeMap::range`] over maps keyed by day (no walk over the
/// days outside it) and for `contains` (the bounds computed once, not at
/// every element).
fn window(as_of: NaiveDate, n_days: i64) -> (Bound<NaiveDate>, Bound<NaiveDate>) {
    let after = as_of
        .checked_sub_signed(Duration::days(n_days))
        .map_or(Bound::Unbounded, Bound::Excluded);
    (after, Bound::Included(as_of))
}

/// The customer whose health inputs this event changes: the events
/// [`HealthInputs::apply`] folds; `None` for any other event.
pub fn input_customer_of(event: &Event) -> Option<CustomerId> {
    Some(match event {
        Event::UsageReported(event) => event.customer_id,
        Event::SupportTicketOpened(event) => event.customer_id,
        Event::SupportTicketResolved(event) => event.customer_id,
        Event::RenewalDateSet(event) => event.customer_id,
        Event::SuccessReferenceRecorded(event) => event.customer_id,
        Event::CompetitorKeywordsSearched(event) => event.customer_id,
        _ => return None,
    })
}

/// `map.retain(keep)`, and whether it removed anything.
fn retain_counted<K: Ord, V>(
    map: &mut BTreeMap<K, V>,
    keep: impl FnMut(&K, &mut V) -> bool,
) -> bool {
    let before = map.len();
    map.retain(keep);
    map.len() != before
}

impl HealthInputs {
    /// Folds one account event into the inputs; other events are ignored.
    /// Answers whether the inputs changed, so that a fold that stores them
    /// writes only a change without comparing a copy. Each window keeps
    /// the days up to its newest: an entry older than that is never added
    /// (adding it and pruning it at once is no change).
    pub fn apply(&mut self, event: &Event) -> bool {
        let mut changed = false;
        match event {
            Event::UsageReported(reported) => {
                let newest = self
                    .usage
                    .keys()
                    .next_back()
                    .copied()
                    .max(reported.days.iter().map(|day| day.day).max());
                let cutoff = newest.map(|newest| days_before(newest, 89));
                // A day listed twice counts as its last listing (as the
                // inserts one after the other left it).
                let days: BTreeMap<NaiveDate, DayUsage> = reported
                    .days
                    .iter()
                    .filter(|day| !cutoff.is_some_and(|cutoff| day.day < cutoff))
                    .map(|day| {
                        let usage = DayUsage {
                            logins: day.logins,
                            key_feature_calls: day.key_feature_calls,
                        };
                        (day.day, usage)
                    })
                    .collect();
                for (day, usage) in days {
                    changed |= self.usage.insert(day, usage) != Some(usage);
                }
                for module in &reported.modules_used {
                    changed |= self.modules_used.insert(module.clone());
                }
                if reported.last_login_at > self.last_login_at {
                    self.last_login_at = reported.last_login_at;
                    changed = true;
                }
                if let Some(cutoff) = cutoff {
                    changed |= retain_counted(&mut self.usage, |day, _| *day >= cutoff);
                }
            }
            Event::SupportTicketOpened(opened) => {
                let ticket = OpenTicket {
                    opened_at: opened.opened_at,
                    subject: opened.subject.clone(),
                };
                changed = self
                    .open_tickets
                    .insert(opened.ticket_ref.clone(), ticket.clone())
                    != Some(ticket);
            }
            Event::SupportTicketResolved(resolved) => {
                changed |= self.open_tickets.remove(&resolved.ticket_ref).is_some();
                let day = local_day(resolved.resolved_at);
                // The newest once this ticket is replaced.
                let newest = self
                    .resolved_tickets
                    .iter()
                    .filter(|(reference, _)| **reference != resolved.ticket_ref)
                    .map(|(_, ticket)| local_day(ticket.resolved_at))
                    .max()
                    .map_or(day, |newest| newest.max(day));
                let cutoff = days_before(newest, 89 + PRUNE_MARGIN_DAYS);
                if day < cutoff {
                    // Too old to keep: it only replaces what the ticket had.
                    changed |= self.resolved_tickets.remove(&resolved.ticket_ref).is_some();
                } else {
                    let ticket = ResolvedTicket {
                        opened_at: resolved.opened_at,
                        resolved_at: resolved.resolved_at,
                        resolution_seconds: resolved.resolution_seconds,
                    };
                    changed |= self
                        .resolved_tickets
                        .insert(resolved.ticket_ref.clone(), ticket.clone())
                        != Some(ticket);
                }
                changed |= retain_counted(&mut self.resolved_tickets, |_, ticket| {
                    local_day(ticket.resolved_at) >= cutoff
                });
            }
            Event::RenewalDateSet(set) => {
                let renewal = Some(Renewal {
                    renewal_on: set.renewal_on,
                    plan: set.plan.clone(),
                });
                changed = self.renewal != renewal;
                self.renewal = renewal;
            }
            Event::SuccessReferenceRecorded(recorded) => {
                let day = recorded.referenced_on;
                // The newest once this reference is replaced.
                let newest = self
                    .success_references
                    .iter()
                    .filter(|(reference, _)| **reference != recorded.reference_ref)
                    .map(|(_, day)| *day)
                    .max()
                    .map_or(day, |newest| newest.max(day));
                let cutoff = days_before(newest, 364 + PRUNE_MARGIN_DAYS);
                let reference = &recorded.reference_ref;
                changed |= if day < cutoff {
                    self.success_references.remove(reference).is_some()
                } else {
                    self.success_references.insert(reference.clone(), day) != Some(day)
                };
                changed |= retain_counted(&mut self.success_references, |_, day| *day >= cutoff);
            }
            Event::CompetitorKeywordsSearched(searched) => {
                let newest = self.keyword_searches.keys().next_back().copied().max(
                    searched
                        .searches
                        .iter()
                        .map(|search| search.searched_on)
                        .max(),
                );
                let cutoff = newest.map(|newest| days_before(newest, 29 + PRUNE_MARGIN_DAYS));
                for search in &searched.searches {
                    if cutoff.is_some_and(|cutoff| search.searched_on < cutoff) {
                        continue;
                    }
                    let day = self.keyword_searches.entry(search.searched_on).or_default();
                    match day.get_mut(&search.keyword) {
                        Some(total) => {
                            let before = *total;
                            *total = total.saturating_add(u64::from(search.count));
                            changed |= *total != before;
                        }
                        None => {
                            day.insert(search.keyword.clone(), u64::from(search.count));
                            changed = true;
                        }
                    }
                }
                if let Some(cutoff) = cutoff {
                    changed |= retain_counted(&mut self.keyword_searches, |day, _| *day >= cutoff);
                }
            }
            _ => {}
        }
        changed
    }

    /// The last login reported.
    pub fn last_login(&self) -> Option<DateTime<Utc>> {
        self.last_login_at
    }

    /// The policy's core modules that were never used, sorted.
    pub fn core_modules_never_used(&self, policy: &HealthPolicy) -> Vec<String> {
        policy
            .core_modules
            .iter()
            .filter(|module| {
                !self
                    .modules_used
                    .iter()
                    .any(|used| used.as_str() == module.as_str())
            })
            .cloned()
            .collect()
    }

    /// Keywords searched in the 30 days ending on `as_of`, counts summed per
    /// keyword, sorted by keyword.
    pub fn keywords_searched_30(&self, as_of: NaiveDate) -> Vec<KeywordTotal> {
        let mut totals: BTreeMap<&Keyword, u64> = BTreeMap::new();
        for keywords in self
            .keyword_searches
            .range(window(as_of, 30))
            .map(|(_, k)| k)
        {
            for (keyword, count) in keywords {
                let total = totals.entry(keyword).or_default();
                *total = total.saturating_add(*count);
            }
        }
        totals
            .into_iter()
            .map(|(keyword, count)| KeywordTotal {
                keyword: keyword.clone(),
                count,
            })
            .collect()
    }

    /// Open tickets older than `policy.ticket_overdue_hours` at `at`
    /// (strictly older), sorted by ticket ref.
    pub fn overdue_tickets(&self, at: DateTime<Utc>, policy: &HealthPolicy) -> Vec<OverdueTicket> {
        let limit = Duration::hours(i64::from(policy.ticket_overdue_hours));
        self.open_tickets
            .iter()
            .filter(|(_, ticket)| at - ticket.opened_at > limit)
            .map(|(ticket_ref, ticket)| OverdueTicket {
                ticket_ref: ticket_ref.clone(),
                opened_at: ticket.opened_at,
                age_hours: (at - ticket.opened_at).num_hours(),
            })
            .collect()
    }

    /// Distinct days with logins in the 30 days ending on `as_of`.
    pub fn active_days_30(&self, as_of: NaiveDate) -> u64 {
        self.usage_30(as_of).0
    }

    /// Key-feature calls in the 30 days ending on `as_of`.
    pub fn key_feature_calls_30(&self, as_of: NaiveDate) -> u64 {
        self.usage_30(as_of).1
    }

    /// ([`Self::active_days_30`], [`Self::key_feature_calls_30`]) in one
    /// walk over the window (an evaluation needs both).
    pub fn usage_30(&self, as_of: NaiveDate) -> (u64, u64) {
        self.usage
            .range(window(as_of, 30))
            .fold((0, 0), |(active, calls), (_, usage)| {
                (
                    active + u64::from(usage.logins > 0),
                    calls + u64::from(usage.key_feature_calls),
                )
            })
    }

    /// Mean resolution seconds (truncated) of tickets resolved (by local
    /// resolution day) in the 90 days ending on `as_of`; `None` if none.
    pub fn mean_resolution_seconds_90(&self, as_of: NaiveDate) -> Option<u64> {
        let days = window(as_of, 90);
        let (count, total) = self
            .resolved_tickets
            .values()
            .filter(|ticket| days.contains(&local_day(ticket.resolved_at)))
            .fold((0u64, 0u128), |(count, total), ticket| {
                (count + 1, total + u128::from(ticket.resolution_seconds))
            });
        if count == 0 {
            return None;
        }
        u64::try_from(total / u128::from(count)).ok()
    }

    /// Days from `as_of` to the renewal date (negative once passed).
    pub fn days_to_renewal(&self, as_of: NaiveDate) -> Option<i64> {
        self.renewal
            .as_ref()
            .map(|renewal| (renewal.renewal_on - as_of).num_days())
    }

    /// Success references dated in the 365 days ending on `as_of`.
    pub fn success_references_365(&self, as_of: NaiveDate) -> u64 {
        let days = window(as_of, 365);
        self.success_references
            .values()
            .filter(|day| days.contains(*day))
            .count() as u64
    }
}

/// `raw * 10000 / target`, truncated, clamped to 0..=10000 (negative raw -> 0).
fn ratio_bp(raw: i64, target: u32) -> u32 {
    if raw <= 0 || target == 0 {
        return 0;
    }
    let scaled = i128::from(raw) * i128::from(FULL_BP) / i128::from(target);
    u32::try_from(scaled.min(i128::from(FULL_BP))).unwrap_or(FULL_BP)
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The health score of `inputs` as of `as_of` under `policy`.
///
/// | indicator | raw | normalised (bp, clamped 0..=10000) |
/// |---|---|---|
/// | usage | distinct days with logins > 0 in the last 30 days | raw * 10000 / active_days_30 |
/// | key_features | key-feature calls in the last 30 days | raw * 10000 / target of the plan (default if none) |
/// | ticket_resolution | mean resolution seconds of tickets resolved in the last 90 days; `None` if none | `None` or `<= S` -> 10000; `>= 3S` -> 0; else `10000 * (3S - raw) / (2S)`, S = SLA seconds |
/// | renewal | days from `as_of` to the renewal date; `None` if unknown | `None` -> 0; raw * 10000 / renewal_days (negative -> 0) |
/// | success_references | references dated in the last 365 days | raw * 10000 / success_references_12m |
///
/// Integer division truncates; `contribution_bp = normalised_bp * weight /
/// 100`; `score_bp` is the sum of the contributions.
pub fn evaluate(inputs: &HealthInputs, as_of: NaiveDate, policy: &HealthPolicy) -> HealthBreakdown {
    let targets = &policy.targets;
    let plan = inputs.renewal.as_ref().map(|renewal| &renewal.plan);
    let (active_days, key_feature_calls) = inputs.usage_30(as_of);
    let usage = to_i64(active_days);
    let key_features = to_i64(key_feature_calls);
    let resolution = inputs.mean_resolution_seconds_90(as_of).map(to_i64);
    let renewal = inputs.days_to_renewal(as_of);
    let references = to_i64(inputs.success_references_365(as_of));

    let resolution_bp = match resolution {
        None => FULL_BP,
        Some(raw) => {
            let sla = i128::from(targets.ticket_sla_hours) * 3600;
            let raw = i128::from(raw);
            if raw <= sla {
                FULL_BP
            } else if raw >= 3 * sla {
                0
            } else {
                let scaled = i128::from(FULL_BP) * (3 * sla - raw) / (2 * sla);
                u32::try_from(scaled.clamp(0, i128::from(FULL_BP))).unwrap_or(0)
            }
        }
    };
    let measured = [
        (
            Indicator::Usage,
            Some(usage),
            ratio_bp(usage, targets.active_days_30),
        ),
        (
            Indicator::KeyFeatures,
            Some(key_features),
            ratio_bp(key_features, targets.key_feature_calls_30(plan)),
        ),
        (Indicator::TicketResolution, resolution, resolution_bp),
        (
            Indicator::Renewal,
            renewal,
            renewal.map_or(0, |days| ratio_bp(days, targets.renewal_days)),
        ),
        (
            Indicator::SuccessReferences,
            Some(references),
            ratio_bp(references, targets.success_references_12m),
        ),
    ];
    let indicators: Vec<IndicatorScore> = measured
        .into_iter()
        .map(|(indicator, raw, normalised_bp)| {
            let weight = policy.weights.of(indicator);
            let contribution = u64::from(normalised_bp) * u64::from(weight) / 100;
            IndicatorScore {
                indicator,
                raw,
                normalised_bp,
                weight,
                contribution_bp: u32::try_from(contribution).unwrap_or(u32::MAX),
            }
        })
        .collect();
    let score_bp = indicators
        .iter()
        .fold(0u32, |sum, score| sum.saturating_add(score.contribution_bp));
    HealthBreakdown {
        as_of,
        score_bp,
        level: policy.level_of(score_bp),
        policy_version: policy.version,
        indicators,
    }
}

/// Below this normalised value an indicator counts as a risk.
pub const RISK_THRESHOLD_BP: u32 = 5000;

/// Days before the renewal date from which `renewal_due` is raised.
pub const RENEWAL_DUE_DAYS: i64 = 60;

/// The risk kinds of a customer for the risk list of the day `as_of`
/// (closing at `closes_at`), in [`RiskKind::ALL`] order:
///
/// - `low_usage`: the usage indicator's normalised value < 5000;
/// - `low_module_usage`: at least one of the policy's core modules never used;
/// - `overdue_tickets`: an open ticket strictly older than
///   `ticket_overdue_hours` at `closes_at`;
/// - `renewal_due`: a known renewal date at most 60 days after `as_of`
///   (a renewal date already passed counts too);
/// - `competitor_interest`: any keyword searched in the 30 days ending on `as_of`;
/// - `low_key_feature_use`: the key-features indicator's normalised value < 5000.
pub fn risk_kinds(
    inputs: &HealthInputs,
    breakdown: &HealthBreakdown,
    as_of: NaiveDate,
    closes_at: DateTime<Utc>,
    policy: &HealthPolicy,
) -> Vec<RiskKind> {
    let low = |indicator| {
        breakdown
            .indicator(indicator)
            .is_some_and(|score| score.normalised_bp < RISK_THRESHOLD_BP)
    };
    let mut kinds = Vec::new();
    if low(Indicator::Usage) {
        kinds.push(RiskKind::LowUsage);
    }
    if !inputs.core_modules_never_used(policy).is_empty() {
        kinds.push(RiskKind::LowModuleUsage);
    }
    if !inputs.overdue_tickets(closes_at, policy).is_empty() {
        kinds.push(RiskKind::OverdueTickets);
    }
    if inputs
        .days_to_renewal(as_of)
        .is_some_and(|days| days <= RENEWAL_DUE_DAYS)
    {
        kinds.push(RiskKind::RenewalDue);
    }
    if !inputs.keywords_searched_30(as_of).is_empty() {
        kinds.push(RiskKind::CompetitorInterest);
    }
    if low(Indicator::KeyFeatures) {
        kinds.push(RiskKind::LowKeyFeatureUse);
    }
    kinds
}
