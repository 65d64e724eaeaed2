//! Shared fixtures: deterministic ids and times, reps, rule sets, pools.

use chrono::{DateTime, NaiveDate, Utc};
use salesledger_domain::customer::{CustomerRegistered, PoolPolicy};
use salesledger_domain::duplicate::{DuplicateCandidate, DuplicateIndex};
use salesledger_domain::event::Event;
use salesledger_domain::extraction::ExtractionDictionary;
use salesledger_domain::rep::RepProfile;
use salesledger_domain::routing::{MatchRule, RoutingRuleSet};
use salesledger_domain::value::*;
use uuid::Uuid;

pub fn time(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("test time is RFC 3339")
        .with_timezone(&Utc)
}

pub fn date(iso: &str) -> NaiveDate {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").expect("test date is ISO")
}

pub fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub fn rep_id(n: u128) -> RepId {
    RepId::from_uuid(uuid(0x1000 + n))
}

pub fn customer_id(n: u128) -> CustomerId {
    CustomerId::from_uuid(uuid(0x2000 + n))
}

pub fn lead_id(n: u128) -> LeadId {
    LeadId::from_uuid(uuid(0x3000 + n))
}

pub fn actor(name: &str) -> ActorId {
    ActorId::parse(name).expect("valid actor")
}

pub fn text(raw: &str) -> Text {
    Text::parse(raw).expect("valid text")
}

pub fn email(raw: &str) -> Email {
    Email::parse(raw).expect("valid email")
}

pub fn tags(raw: &[&str]) -> CapabilityTags {
    CapabilityTags::parse(raw).expect("valid tags")
}

pub fn attributes(pairs: &[(&str, &str)]) -> CustomerAttributes {
    CustomerAttributes::parse(pairs).expect("valid attributes")
}

pub fn rep(n: u128, region: &str, raw_tags: &[&str]) -> RepProfile {
    RepProfile {
        rep_id: rep_id(n),
        region: Region::parse(region).expect("valid region"),
        capability_tags: tags(raw_tags),
        active: true,
    }
}

pub fn rule(tag: &str, key: &str, contains: &str, weight: u32) -> MatchRule {
    MatchRule {
        tag: CapabilityTag::parse(tag).expect("valid tag"),
        attribute_key: AttributeKey::parse(key).expect("valid key"),
        attribute_value_contains: contains.to_owned(),
        weight,
    }
}

/// Rule set version 7 used across routing tests.
pub fn rule_set() -> RoutingRuleSet {
    RoutingRuleSet {
        version: 7,
        rules: vec![
            rule("iso13485", "compliance", "ISO13485", 40),
            rule("tier3-hospital-his", "industry", "三甲医院", 30),
            rule("tier3-hospital-his", "pain_points", "HIS", 20),
            rule("automotive-grade-cert", "compliance", "IATF16949", 40),
            rule("automotive-grade-cert", "industry", "汽车", 25),
            rule("plc-retrofit", "pain_points", "PLC", 15),
        ],
        direct_tag_match_weight: 10,
        region_match_weight: 5,
        minimum_score: 1,
        candidate_count: 3,
    }
}

pub fn pool_policy() -> PoolPolicy {
    PoolPolicy::default_v1()
}

pub fn customer_registered(n: u128, name: &str) -> Event {
    Event::CustomerRegistered(CustomerRegistered {
        customer_id: customer_id(n),
        company_name: CompanyName::parse(name).expect("valid name"),
        unified_social_credit_code: None,
        phone: None,
        contact_email: Some(email("buyer@example.cn")),
        attributes: attributes(&[("industry", "医疗器械"), ("region", "华东")]),
        registered_at: time("2027-01-04T09:00:00+08:00"),
    })
}

pub fn clearance_for(
    index: &DuplicateIndex,
    name: &CompanyName,
    code: Option<&UnifiedSocialCreditCode>,
    phone: Option<&Phone>,
    linked_customer: Option<CustomerId>,
) -> salesledger_domain::duplicate::DuplicateClearance {
    index
        .clear(&DuplicateCandidate {
            company_name: name,
            unified_social_credit_code: code,
            phone,
            linked_customer,
        })
        .expect("no duplicate")
}

/// The extraction dictionary shared with the transcript fixtures.
pub fn dictionary() -> ExtractionDictionary {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/transcripts.json")).expect("fixture is JSON");
    serde_json::from_value(fixture["dictionary"].clone()).expect("fixture dictionary decodes")
}
