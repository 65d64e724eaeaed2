//! The configuration requests' rows (`requests/config.rs`): routing rules,
//! pool policy, extraction dictionary, nurture template, health policy.
//!
//! `successes()` (realistic bodies and a check of the command each converts
//! to) and `bad_bodies()` (bodies refused, with the error code and JSON path)
//! are concatenated with the other aggregates' in `tests/mod.rs`.

use super::*;
use salesledger_domain::{health, nurture};

/// A realistic health policy as published (the HTTP tests publish the same
/// file), at `version`.
fn health_policy_body(version: u32) -> serde_json::Value {
    let mut body: serde_json::Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/requests/health-policy.json"
    ))
    .expect("the health policy fixture is JSON");
    body["version"] = json!(version);
    body
}

/// Realistic bodies and a check of the command each converts to.
pub(super) fn successes() -> Vec<Success> {
    vec![
        (
            "PublishRoutingRulesRequest",
            json!({
                "version": 8,
                "rules": [
                    {"tag": "iso13485", "attribute_key": "compliance", "attribute_value_contains": "ISO13485", "weight": 40},
                    {"tag": "tier3-hospital-his", "attribute_key": "industry", "attribute_value_contains": "三甲医院", "weight": 30}
                ],
                "direct_tag_match_weight": 10, "region_match_weight": 5, "minimum_score": 1, "candidate_count": 3
            }),
            |command| {
                bind!(
                    AnyCommand::Config(ConfigCommand::PublishRoutingRules {
                        rule_set,
                        published_by,
                    }) = command
                );
                assert_eq!(published_by, actor());
                assert_eq!(rule_set.version, 8);
                assert_eq!(rule_set.rules.len(), 2);
                assert_eq!(rule_set.rules[1].attribute_value_contains, "三甲医院");
                assert_eq!(rule_set.candidate_count, 3);
            },
        ),
        (
            "PublishPoolPolicyRequest",
            json!({
                "version": 2, "protection_days": 30, "extension_days": 30, "maximum_protection_days": 90,
                "qualifying_follow_up_kinds": ["visit", "call", "meeting"], "day_close_utc_offset_minutes": 480
            }),
            |command| {
                bind!(
                    AnyCommand::Config(ConfigCommand::PublishPoolPolicy {
                        policy,
                        published_by,
                    }) = command
                );
                assert_eq!(published_by, actor());
                assert_eq!(
                    PoolPolicy {
                        version: 1,
                        ..policy
                    },
                    PoolPolicy::default_v1()
                );
            },
        ),
        (
            "PublishExtractionDictionaryRequest",
            json!({
                "version": 3,
                "competitors": [{"name": "Siemens", "aliases": ["西门子"]}, {"name": "汇川"}],
                "concerns": [{"concern": "交期", "keywords": ["交期", "lead time"]}],
                "still_comparing_phrases": ["还在比较", "再考虑", "still comparing"],
                "utc_offset_minutes": 480
            }),
            |command| {
                bind!(
                    AnyCommand::Config(ConfigCommand::PublishExtractionDictionary {
                        dictionary,
                        ..
                    }) = command
                );
                assert_eq!(dictionary.version, 3);
                assert_eq!(dictionary.competitors[1].name, "汇川");
                assert!(dictionary.competitors[1].aliases.is_empty());
                assert_eq!(dictionary.concerns[0].keywords, ["交期", "lead time"]);
            },
        ),
        (
            "PublishNurtureTemplateRequest",
            json!({"version": 2, "steps": [
                {"kind": "case_video", "delay_hours": 24, "content_ref": "case-video/tier3-hospital-or"},
                {"kind": "time_limited_offer", "delay_hours": 240, "content_ref": "offer/2027-q2"}
            ]}),
            |command| {
                bind!(
                    AnyCommand::Config(ConfigCommand::PublishNurtureTemplate { template, .. }) =
                        command
                );
                assert_eq!(template.version, 2);
                assert_eq!(
                    template.steps[1].kind,
                    nurture::NurtureStepKind::TimeLimitedOffer
                );
            },
        ),
        (
            "PublishHealthPolicyRequest",
            health_policy_body(2),
            |command| {
                bind!(
                    AnyCommand::Config(ConfigCommand::PublishHealthPolicy {
                        policy,
                        published_by,
                    }) = command
                );
                assert_eq!(published_by, actor());
                assert_eq!(policy.version, 2);
                assert_eq!(
                    HealthPolicy {
                        version: 1,
                        risk_scripts: HealthPolicy::default_v1().risk_scripts,
                        ..policy.clone()
                    },
                    HealthPolicy::default_v1()
                );
                assert_eq!(
                    policy.script(health::RiskKind::CompetitorInterest),
                    "安排价值复盘"
                );
            },
        ),
    ]
}

/// Bodies refused, with the error code and the JSON path it names.
#[rustfmt::skip] // one row per line, as a table
pub(super) fn bad_bodies() -> Vec<BadBody> {
    let valid_rules = json!({"tag": "iso13485", "attribute_key": "compliance", "attribute_value_contains": "ISO13485", "weight": 40});
    vec![
        // missing fields
        (
            "PublishRoutingRulesRequest",
            r#"{"version": 1, "rules": [{"tag": "iso13485"}], "direct_tag_match_weight": 0, "region_match_weight": 0, "minimum_score": 0, "candidate_count": 3}"#.to_owned(),
            "missing_field",
            "rules[0].attribute_key",
        ),
        // invalid values (domain rules)
        (
            "PublishRoutingRulesRequest",
            json!({"version": 1, "rules": [valid_rules, {"tag": "-bad", "attribute_key": "industry", "attribute_value_contains": "x", "weight": 1}], "direct_tag_match_weight": 0, "region_match_weight": 0, "minimum_score": 0, "candidate_count": 3}).to_string(),
            "invalid_capability_tag",
            "rules[1].tag",
        ),
        (
            "PublishRoutingRulesRequest",
            json!({"version": 1, "rules": [], "direct_tag_match_weight": 0, "region_match_weight": 0, "minimum_score": 0, "candidate_count": 0}).to_string(),
            "invalid_rule_set",
            "",
        ),
        (
            "PublishPoolPolicyRequest",
            r#"{"version": 2, "protection_days": 0, "extension_days": 30, "maximum_protection_days": 90, "qualifying_follow_up_kinds": [], "day_close_utc_offset_minutes": 480}"#.to_owned(),
            "invalid_rule_set",
            "",
        ),
        ("PublishNurtureTemplateRequest", r#"{"version": 2, "steps": []}"#.to_owned(), "nurture_template_empty", ""),
        // the new inputs
        ("PublishHealthPolicyRequest", {
            let mut body = health_policy_body(2);
            body["weights"]["usage"] = json!(31);
            body.to_string()
        }, "invalid_health_policy", ""),
        ("PublishHealthPolicyRequest", {
            let mut body = health_policy_body(2);
            body["risk_scripts"]["weather"] = json!("x");
            body.to_string()
        }, "wrong_type", "risk_scripts"),
    ]
}
