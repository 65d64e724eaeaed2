//! The morning risk list (SPEC C8): at each `DayClosed`, the TOP
//! [`RISK_LIST_SIZE`] at-risk customers of that day.
//!
//! Who is listed: every customer with account inputs (see
//! [`crate::health`]) whose score as of the closed day, under the policy in
//! force at that point of the log, is **below green** (`yellow` or `red`);
//! a green customer is not at risk, whatever its risk kinds. They are
//! ordered by ascending `score_bp`, ties by customer id, and cut after
//! [`RISK_LIST_SIZE`] (`n_at_risk` says how many were below green).
//!
//! Each entry carries the company name, owner, region (the customer's
//! `region` attribute, else its owner's region, else `unassigned`), score
//! and level, last login, the policy's core modules never used, the
//! competitor keywords searched in the 30 days ending on the day (summed
//! per keyword), the risk kinds ([`salesledger_domain::health::risk_kinds`],
//! open tickets judged at the day's `closes_at`) and, for each kind, the
//! script of the policy in force (`risk_scripts`: templates are data).
//!
//! Every closed day's list is kept (one per `DayClosed` in the log), so a
//! reader can ask for any day. A pure fold, like [`crate::health`].

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use salesledger_domain::health::{evaluate, risk_kinds, KeywordTotal, Level, RiskKind};
use salesledger_domain::value::{CustomerId, RepId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::{Deserialize, Serialize};

use crate::health::{HealthSource, SourceChange};
use crate::projector::Projector;

/// How many customers a day's list holds at most.
pub const RISK_LIST_SIZE: usize = 10;

/// The risk-list projector.
#[derive(Debug, Clone, Copy, Default)]
pub struct RiskList;

impl Projector for RiskList {
    const NAME: &'static str = "risk";
    const VERSION: u32 = 1;
    type Model = RiskView;

    fn apply(model: &mut RiskView, record: &RecordedEvent, event: &Event) {
        model.apply(record, event);
    }
}

/// Every closed day's risk list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskView {
    /// The folded inputs (kept with the model so it can resume).
    pub source: HealthSource,
    pub days: BTreeMap<NaiveDate, RiskDay>,
}

/// The list of one closed day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskDay {
    pub day: NaiveDate,
    pub closes_at: DateTime<Utc>,
    /// Position of the `DayClosed` record.
    pub position: u64,
    /// The version of the health policy used.
    pub policy_version: u32,
    /// Customers with inputs evaluated that day.
    pub n_evaluated: usize,
    /// Of those, how many were below green (the list holds the first
    /// [`RISK_LIST_SIZE`]).
    pub n_at_risk: usize,
    pub customers: Vec<RiskEntry>,
}

/// One at-risk customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskEntry {
    /// 1-based rank in the day's list.
    pub rank: u32,
    pub customer_id: CustomerId,
    pub company_name: Option<String>,
    pub owner: Option<RepId>,
    pub region: String,
    pub score_bp: u32,
    pub level: Level,
    pub last_login_at: Option<DateTime<Utc>>,
    pub core_modules_never_used: Vec<String>,
    /// Competitor keywords searched in the 30 days ending on the day.
    pub competitor_keywords: Vec<KeywordTotal>,
    /// In [`RiskKind::ALL`] order, each with its script.
    pub risks: Vec<Risk>,
}

/// A risk kind and its suggested script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    pub kind: RiskKind,
    pub script: String,
}

impl RiskView {
    /// The list of one day, if that day closed.
    pub fn day(&self, day: NaiveDate) -> Option<&RiskDay> {
        self.days.get(&day)
    }

    /// The list of the last closed day.
    pub fn latest(&self) -> Option<&RiskDay> {
        self.days.values().next_back()
    }

    fn apply(&mut self, record: &RecordedEvent, event: &Event) {
        if self.source.apply_record(record, event) != SourceChange::DayClosed {
            return;
        }
        let Some(closed) = self.source.last_closed else {
            return;
        };
        let policy = self.source.policy_in_force();
        let directory = &self.source.directory;
        let mut at_risk: Vec<(u32, CustomerId, Level, Vec<RiskKind>)> = Vec::new();
        for (customer_id, inputs) in &self.source.accounts {
            let breakdown = evaluate(inputs, closed.day, &policy);
            if breakdown.level == Level::Green {
                continue;
            }
            let kinds = risk_kinds(inputs, &breakdown, closed.day, closed.closes_at, &policy);
            at_risk.push((breakdown.score_bp, *customer_id, breakdown.level, kinds));
        }
        at_risk.sort_by_key(|(score_bp, customer_id, _, _)| (*score_bp, *customer_id));
        let n_at_risk = at_risk.len();
        let customers = at_risk
            .into_iter()
            .take(RISK_LIST_SIZE)
            .zip(1u32..)
            .map(|((score_bp, customer_id, level, kinds), rank)| {
                let inputs = self.source.accounts.get(&customer_id);
                RiskEntry {
                    rank,
                    customer_id,
                    company_name: directory.company_name(customer_id).map(str::to_owned),
                    owner: directory.owner(customer_id),
                    region: directory.region(customer_id),
                    score_bp,
                    level,
                    last_login_at: inputs.and_then(|inputs| inputs.last_login()),
                    core_modules_never_used: inputs
                        .map(|inputs| inputs.core_modules_never_used(&policy))
                        .unwrap_or_default(),
                    competitor_keywords: inputs
                        .map(|inputs| inputs.keywords_searched_30(closed.day))
                        .unwrap_or_default(),
                    risks: kinds
                        .into_iter()
                        .map(|kind| Risk {
                            kind,
                            script: policy.script(kind).to_owned(),
                        })
                        .collect(),
                }
            })
            .collect();
        self.days.insert(
            closed.day,
            RiskDay {
                day: closed.day,
                closes_at: closed.closes_at,
                position: closed.position,
                policy_version: policy.version,
                n_evaluated: self.source.accounts.len(),
                n_at_risk,
                customers,
            },
        );
    }
}
