//! The morning risk list (SPEC C8) over hand-built logs: ordering by
//! ascending score then customer id, only customers below green, the
//! TOP 10 cut, region, the script of each risk kind from the policy in
//! force, and the 30-day keyword window.
//!
//! Scores under the default policy v1 with usage only: `a` active days and
//! no key-feature calls, no tickets, renewal or references give
//! `a * 500 * 30 / 100 + 2000 = 150 a + 2000` (tickets score full when
//! none was resolved).

use crate::health_log;

use chrono::Duration;
use health_log::{at, customer, date, rep, Log};
use salesledger_domain::health::{HealthPolicy, Level, RiskKind};
use salesledger_domain::value::CustomerId;
use salesledger_projections::risk::{RiskView, RISK_LIST_SIZE};
use salesledger_projections::{apply_record, fold_all, Projector, RiskList};

const D: &str = "2027-06-30";

fn risk(log: &Log) -> RiskView {
    fold_all::<RiskList>(&log.records).expect("log folds")
}

fn ids(view: &RiskView, day: &str) -> Vec<CustomerId> {
    view.day(date(day))
        .expect("a list for the day")
        .customers
        .iter()
        .map(|entry| entry.customer_id)
        .collect()
}

/// Twelve customers below green (two tied), one green, one without inputs.
fn ranked_log() -> Log {
    let mut log = Log::new();
    let active_days = [
        (1, 12),
        (2, 3),
        (3, 3),
        (4, 1),
        (5, 5),
        (6, 6),
        (7, 7),
        (8, 8),
        (9, 9),
        (10, 10),
        (11, 11),
        (12, 2),
    ];
    for (n, days) in active_days {
        log.customer(customer(n), &format!("测试公司{n}有限公司"), None);
        log.usage(customer(n), date(D), days, 0, &[]);
    }
    // Green: 20 days, 200 calls, two references: 8500.
    log.usage(customer(13), date(D), 20, 200, &["crm"]);
    log.reference(customer(13), "R-1", date(D));
    log.reference(customer(13), "R-2", date(D));
    // Registered, no account inputs: never evaluated.
    log.customer(customer(14), "无数据有限公司", None);
    log.close_day(date(D));
    log
}

#[test]
fn ordered_by_ascending_score_then_customer_id_and_cut_after_ten() {
    let view = risk(&ranked_log());
    let day = view.day(date(D)).expect("the day's list");
    assert_eq!(RISK_LIST_SIZE, 10);
    assert_eq!(day.customers.len(), 10);
    assert_eq!((day.n_evaluated, day.n_at_risk), (13, 12));
    assert_eq!(day.policy_version, 1);
    // a = 1, 2, 3 (ids 2 then 3), 5, 6, 7, 8, 9, 10; 11 and 12 days are cut.
    assert_eq!(
        ids(&view, D),
        [4, 12, 2, 3, 5, 6, 7, 8, 9, 10].map(customer)
    );
    let scores: Vec<u32> = day.customers.iter().map(|entry| entry.score_bp).collect();
    assert_eq!(
        scores,
        [2150, 2300, 2450, 2450, 2750, 2900, 3050, 3200, 3350, 3500]
    );
    let ranks: Vec<u32> = day.customers.iter().map(|entry| entry.rank).collect();
    assert_eq!(ranks, (1..=10).collect::<Vec<u32>>());
    assert!(day
        .customers
        .iter()
        .all(|entry| entry.level == Level::Red && entry.region == "unassigned"));
    assert!(
        !ids(&view, D).contains(&customer(13)),
        "a green customer is not at risk"
    );
    assert_eq!(
        day.customers[0].company_name.as_deref(),
        Some("测试公司4有限公司")
    );
}

#[test]
fn only_below_green_are_listed_and_yellow_counts() {
    let mut log = Log::new();
    // 7000 (yellow, boundary) and 8500 (green, boundary).
    log.usage(customer(1), date(D), 20, 160, &[]);
    log.usage(customer(2), date(D), 20, 200, &[]);
    log.reference(customer(2), "R-1", date(D));
    log.reference(customer(2), "R-2", date(D));
    log.close_day(date(D));
    let view = risk(&log);
    let day = view.day(date(D)).expect("list");
    assert_eq!(ids(&view, D), [customer(1)]);
    assert_eq!(
        (day.customers[0].score_bp, day.customers[0].level),
        (7000, Level::Yellow)
    );
}

/// One customer with every risk kind, plus keywords inside and outside
/// the 30-day window.
fn every_risk_log() -> Log {
    let mut log = Log::new();
    let c = customer(1);
    log.rep(rep(1), "西南");
    log.customer(c, "成都全险科技有限公司", None);
    log.claim(c, rep(1));
    // 4 active days (low usage), 10 calls (low key-feature use), crm only.
    log.usage(c, date(D), 4, 10, &["crm"]);
    // Opened 74 h before the close of D (2027-06-30T16:00Z): overdue (> 72 h).
    log.ticket(c, "T-1", at("2027-06-27T14:00:00Z"), None);
    // Renewal in 30 days (<= 60).
    log.renewal(c, date("2027-07-30"), "standard");
    log.keywords(
        c,
        &[
            ("salesforce", date("2027-06-01"), 2), // D-29: inside on D
            ("salesforce", date(D), 3),
            ("hubspot", date("2027-05-31"), 5), // D-30: outside
            ("hubspot", date("2027-06-29"), 1),
        ],
    );
    log.close_day(date(D));
    log
}

#[test]
fn every_risk_kind_has_the_script_of_the_policy_in_force() {
    let mut log = every_risk_log();
    let view = risk(&log);
    let entry = &view.day(date(D)).expect("list").customers[0];
    let kinds: Vec<RiskKind> = entry.risks.iter().map(|risk| risk.kind).collect();
    assert_eq!(kinds, RiskKind::ALL);
    let v1 = HealthPolicy::default_v1();
    for risk in &entry.risks {
        assert_eq!(risk.script, v1.script(risk.kind), "{:?}", risk.kind);
    }
    assert!(entry.risks[1].script.contains("activation guide"));
    assert!(entry.risks[2].script.contains("support fast lane"));
    assert_eq!(
        entry.core_modules_never_used,
        ["api", "mobile", "reports", "workflow"]
    );
    assert_eq!(entry.last_login_at, Some(at("2027-06-30T01:30:00Z")));
    assert_eq!(entry.owner, Some(rep(1)));
    assert_eq!(entry.region, "西南", "the owner's region");

    // New scripts (templates are data) apply from the next close on.
    let mut v2 = HealthPolicy::default_v1();
    v2.version = 2;
    for (kind, script) in v2.risk_scripts.iter_mut() {
        *script = format!("v2 script for {kind:?}");
    }
    v2.validate().expect("valid");
    log.publish(&v2);
    log.close_day(date("2027-07-01"));
    let view = risk(&log);
    let before = &view.day(date(D)).expect("D kept").customers[0];
    assert_eq!(before.risks[0].script, v1.script(RiskKind::LowUsage));
    let after_day = view.day(date("2027-07-01")).expect("D+1");
    assert_eq!(after_day.policy_version, 2);
    let after = &after_day.customers[0];
    assert_eq!(after.risks[0].script, "v2 script for LowUsage");
    assert_eq!(view.latest().map(|day| day.day), Some(date("2027-07-01")));
}

#[test]
fn keywords_are_summed_over_the_30_days_ending_on_the_day() {
    let mut log = every_risk_log();
    let view = risk(&log);
    let keywords: Vec<(String, u64)> = view.day(date(D)).expect("list").customers[0]
        .competitor_keywords
        .iter()
        .map(|total| (total.keyword.as_str().to_owned(), total.count))
        .collect();
    assert_eq!(
        keywords,
        [("hubspot".to_owned(), 1), ("salesforce".to_owned(), 5)]
    );
    // A day later 2027-06-01 leaves the window.
    log.close_day(date("2027-07-01"));
    let view = risk(&log);
    let keywords: Vec<(String, u64)> = view.day(date("2027-07-01")).expect("list").customers[0]
        .competitor_keywords
        .iter()
        .map(|total| (total.keyword.as_str().to_owned(), total.count))
        .collect();
    assert_eq!(
        keywords,
        [("hubspot".to_owned(), 1), ("salesforce".to_owned(), 3)]
    );
    // 31 days on, nothing is left and the kind disappears.
    let mut day = date("2027-07-01");
    while day < date("2027-07-30") {
        day += Duration::days(1);
        log.close_day(day);
    }
    let view = risk(&log);
    let entry = &view.day(date("2027-07-30")).expect("list").customers[0];
    assert!(entry.competitor_keywords.is_empty());
    assert!(!entry
        .risks
        .iter()
        .any(|risk| risk.kind == RiskKind::CompetitorInterest));
    assert_eq!(view.days.len(), 31, "one list per closed day");
}

#[test]
fn region_is_the_attribute_else_the_owners_else_unassigned() {
    let mut log = Log::new();
    log.rep(rep(1), "华东");
    log.customer(customer(1), "甲有限公司", Some("华北"));
    log.claim(customer(1), rep(1));
    log.customer(customer(2), "乙有限公司", None);
    log.claim(customer(2), rep(1));
    log.customer(customer(3), "丙有限公司", None);
    for n in 1..=3 {
        log.usage(customer(n), date(D), n as u32, 0, &[]);
    }
    log.close_day(date(D));
    let view = risk(&log);
    let regions: Vec<&str> = view
        .day(date(D))
        .expect("list")
        .customers
        .iter()
        .map(|entry| entry.region.as_str())
        .collect();
    assert_eq!(regions, ["华北", "华东", "unassigned"]);
}

#[test]
fn folding_in_two_parts_equals_folding_at_once() {
    let records = ranked_log().records;
    let whole =
        serde_json::to_string(&fold_all::<RiskList>(&records).expect("folds")).expect("serialise");
    for split in (0..=records.len()).step_by(4) {
        let (head, tail) = records.split_at(split);
        let stored =
            serde_json::to_vec(&fold_all::<RiskList>(head).expect("folds")).expect("serialise");
        let mut resumed: RiskView = serde_json::from_slice(&stored).expect("deserialise");
        for record in tail {
            apply_record::<RiskList>(&mut resumed, record).expect("folds");
        }
        assert_eq!(serde_json::to_string(&resumed).expect("serialise"), whole);
    }
    assert_eq!(RiskList::NAME, "risk");
}
