//! Routing by capability matrix (SPEC C2): explainable scoring of reps
//! against a customer's or lead's attributes.
//!
//! The scoring rule is versioned data ([`RoutingRuleSet`], published as
//! `RoutingRulesPublished` on `config-routing`), never constants in code.
//! Each score is the sum of its [`ScoreContribution`]s, each naming the tag,
//! the attribute and the weight, so a supervisor sees why a rep is proposed.
//! Scores are integers and the order is total (score, then number of
//! distinct matched tags, then rep id), so the result is deterministic.
//! Pure functions only: this module knows no streams and no lead lifecycle.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, ValueKind};
use crate::rep::RepProfile;
use crate::value::{
    normalise_attribute_text, AttributeKey, AttributeValue, CapabilityTag, CustomerAttributes,
    RepId,
};

/// One row of the rule table: a tag matches an attribute whose normalised
/// value contains `attribute_value_contains` (normalised the same way:
/// half-width, lowercase, letters and digits only).
///
/// Example: tag `iso13485`, key `compliance`, value `ISO13485`, weight 40
/// matches `compliance = "ISO 13485:2016"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchRule {
    pub tag: CapabilityTag,
    pub attribute_key: AttributeKey,
    pub attribute_value_contains: String,
    pub weight: u32,
}

/// The versioned routing rule set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRuleSet {
    pub version: u32,
    pub rules: Vec<MatchRule>,
    /// Weight when a tag without any matching table rule appears literally in
    /// some attribute value (normalised, `-` ignored). 0 disables it.
    pub direct_tag_match_weight: u32,
    /// Weight when the rep's region equals the `region` attribute.
    pub region_match_weight: u32,
    /// Reps scoring below this are not proposed.
    pub minimum_score: u32,
    /// How many candidates to propose (SPEC: 3).
    pub candidate_count: u8,
}

impl RoutingRuleSet {
    /// The rule set a fresh data directory starts with (published at first
    /// start by `system:init`): no table rows, so a rep scores 10 for each
    /// capability tag found literally in one of the lead's attribute values
    /// and 5 when their region equals the `region` attribute; every active
    /// rep is eligible (minimum score 0), the best three are proposed.
    /// Version 1.
    pub fn default_v1() -> Self {
        RoutingRuleSet {
            version: 1,
            rules: Vec::new(),
            direct_tag_match_weight: 10,
            region_match_weight: 5,
            minimum_score: 0,
            candidate_count: 3,
        }
    }

    pub fn validate(&self) -> Result<(), DomainError> {
        if !(1..=10).contains(&self.candidate_count) {
            return Err(DomainError::invalid(
                ValueKind::RuleSet,
                "candidate_count must be 1 to 10",
            ));
        }
        if self.rules.len() > 10_000 {
            return Err(DomainError::invalid(
                ValueKind::RuleSet,
                "at most 10000 rules",
            ));
        }
        for rule in &self.rules {
            if normalise_attribute_text(&rule.attribute_value_contains).is_empty() {
                return Err(DomainError::invalid(
                    ValueKind::RuleSet,
                    format!("rule for tag {} has an empty value pattern", rule.tag),
                ));
            }
            if rule.weight == 0 || rule.weight > 1_000 {
                return Err(DomainError::invalid(
                    ValueKind::RuleSet,
                    "rule weights are 1 to 1000",
                ));
            }
        }
        if self.direct_tag_match_weight > 1_000 || self.region_match_weight > 1_000 {
            return Err(DomainError::invalid(
                ValueKind::RuleSet,
                "weights are at most 1000",
            ));
        }
        Ok(())
    }
}

/// Why a contribution was counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum MatchBasis {
    /// Row `rule_index` (0-based) of the rule set's table.
    Rule { rule_index: u32 },
    /// The tag appears literally in the attribute value.
    DirectTagMatch,
    /// The rep's region equals the `region` attribute.
    Region,
}

/// One line of a score's explanation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreContribution {
    pub tag: Option<CapabilityTag>,
    pub attribute_key: AttributeKey,
    pub attribute_value: AttributeValue,
    pub weight: u32,
    pub basis: MatchBasis,
}

/// A scored rep with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingCandidate {
    /// 1-based position in the proposal.
    pub rank: u32,
    pub rep_id: RepId,
    pub score: u32,
    pub contributions: Vec<ScoreContribution>,
}

impl RoutingCandidate {
    fn n_distinct_matched_tags(&self) -> usize {
        self.contributions
            .iter()
            .filter_map(|contribution| contribution.tag.as_ref())
            .collect::<BTreeSet<_>>()
            .len()
    }
}

/// Explains one rep's score against the attributes.
pub fn explain_score(
    rule_set: &RoutingRuleSet,
    rep: &RepProfile,
    attributes: &CustomerAttributes,
) -> Vec<ScoreContribution> {
    let mut contributions = Vec::new();
    for tag in rep.capability_tags.iter() {
        let mut tag_matched_by_rule = false;
        for (rule_index, rule) in rule_set.rules.iter().enumerate() {
            if &rule.tag != tag {
                continue;
            }
            let Some(value) = attributes.get(rule.attribute_key.as_str()) else {
                continue;
            };
            let pattern = normalise_attribute_text(&rule.attribute_value_contains);
            if value.normalised().contains(&pattern) {
                tag_matched_by_rule = true;
                contributions.push(ScoreContribution {
                    tag: Some(tag.clone()),
                    attribute_key: rule.attribute_key.clone(),
                    attribute_value: value.clone(),
                    weight: rule.weight,
                    basis: MatchBasis::Rule {
                        rule_index: u32::try_from(rule_index).unwrap_or(u32::MAX),
                    },
                });
            }
        }
        if tag_matched_by_rule || rule_set.direct_tag_match_weight == 0 {
            continue;
        }
        let tag_text = normalise_attribute_text(tag.as_str());
        if let Some((key, value)) = attributes
            .iter()
            .find(|(_, value)| value.normalised().contains(&tag_text))
        {
            contributions.push(ScoreContribution {
                tag: Some(tag.clone()),
                attribute_key: key.clone(),
                attribute_value: value.clone(),
                weight: rule_set.direct_tag_match_weight,
                basis: MatchBasis::DirectTagMatch,
            });
        }
    }
    if rule_set.region_match_weight > 0 {
        if let Some((key, value)) = attributes.iter().find(|(key, _)| key.as_str() == "region") {
            if value.normalised() == rep.region.normalised() {
                contributions.push(ScoreContribution {
                    tag: None,
                    attribute_key: key.clone(),
                    attribute_value: value.clone(),
                    weight: rule_set.region_match_weight,
                    basis: MatchBasis::Region,
                });
            }
        }
    }
    contributions
}

/// Scores every active rep and returns them all in proposal order, ranked
/// from 1: score descending, then more distinct matched tags, then rep id.
pub fn rank_reps(
    rule_set: &RoutingRuleSet,
    reps: &[RepProfile],
    attributes: &CustomerAttributes,
) -> Vec<RoutingCandidate> {
    let mut seen = BTreeSet::new();
    let mut candidates: Vec<RoutingCandidate> = reps
        .iter()
        .filter(|rep| rep.active && seen.insert(rep.rep_id))
        .map(|rep| {
            let contributions = explain_score(rule_set, rep, attributes);
            RoutingCandidate {
                rank: 0,
                rep_id: rep.rep_id,
                score: contributions
                    .iter()
                    .map(|contribution| contribution.weight)
                    .sum(),
                contributions,
            }
        })
        .collect();
    candidates.sort_by(|left, right| {
        right
            .score
            .cmp(&left.score)
            .then_with(|| {
                right
                    .n_distinct_matched_tags()
                    .cmp(&left.n_distinct_matched_tags())
            })
            .then_with(|| left.rep_id.cmp(&right.rep_id))
    });
    for (index, candidate) in candidates.iter_mut().enumerate() {
        candidate.rank = u32::try_from(index + 1).unwrap_or(u32::MAX);
    }
    candidates
}

/// The TOP `candidate_count` reps scoring at least `minimum_score`.
pub fn propose_candidates(
    rule_set: &RoutingRuleSet,
    reps: &[RepProfile],
    attributes: &CustomerAttributes,
) -> Result<Vec<RoutingCandidate>, DomainError> {
    rule_set.validate()?;
    let proposed: Vec<RoutingCandidate> = rank_reps(rule_set, reps, attributes)
        .into_iter()
        .filter(|candidate| candidate.score >= rule_set.minimum_score)
        .take(usize::from(rule_set.candidate_count))
        .collect();
    if proposed.is_empty() {
        return Err(DomainError::NoEligibleRep);
    }
    Ok(proposed)
}
