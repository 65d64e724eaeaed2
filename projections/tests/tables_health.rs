//! Health (SPEC C7) and the risk list (C8) on tables answer exactly as the
//! v1 models `HealthView` and `RiskView` do, although health evaluates at a
//! close only the accounts that are due: every answer the gateway serves
//! (the health list, each customer's detail with its breakdown, factors,
//! `changed_by` and score history, the score as of any closed day, the
//! dashboard's level counts, the risk list of every closed day), compared
//! as JSON after every `DayClosed` of generated histories and after every
//! record of hand-built logs (including the golden scenario of
//! `tests/health.rs`, compared with its `expected.json`).

use crate::health_log;
use crate::support;

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{Duration, NaiveDate};
use health_log::{at, customer, date, rep, Log};
use salesledger_domain::account::{callback_task_id, AccountCommand};
use salesledger_domain::health::{HealthPolicy, HealthWeights, Level};
use salesledger_domain::value::{ActorId, CustomerId, RescuePlanId, Text};
use salesledger_domain::Event;
use salesledger_projections::health::{DailyEntry, HealthView};
use salesledger_projections::risk::RiskView;
use salesledger_projections::tables::health::{self as health_tables, HealthTables, DUE};
use salesledger_projections::tables::risk::{self as risk_tables, RiskTables};
use salesledger_projections::tables::{MemoryTables, Reader, TableProjector, Tx};
use salesledger_projections::{apply_record, decode_record, HealthScores, Projector, RiskList};
use salesledger_store::RecordedEvent;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

fn to_json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("serialises")
}

/// Both folds side by side.
#[derive(Default)]
struct Folds {
    health: HealthView,
    risk: RiskView,
    tables: MemoryTables,
    /// Accounts evaluated at closes by the tables, and by v1.
    evaluated: usize,
    evaluated_v1: usize,
}

/// Every entry of the `health-due` buckets, as (due day, account).
fn due_rows(reader: &mut Reader<'_>) -> BTreeSet<(NaiveDate, CustomerId)> {
    reader
        .range(&DUE, None, None)
        .expect("due rows")
        .into_iter()
        .flat_map(|((day, _), accounts)| accounts.into_iter().map(move |account| (day, account)))
        .collect()
}

impl Folds {
    fn apply(&mut self, record: &RecordedEvent) {
        if let Some(Event::DayClosed(closed)) = decode_record(record).expect("decodes") {
            let mut reader = Reader::new(&mut self.tables);
            let meta = health_tables::meta(&mut reader).expect("meta");
            let monotonic = meta.last_closed.map_or(true, |last| closed.day > last.day);
            self.evaluated += if monotonic {
                // The accounts in the due buckets the close reads whose
                // due day has come (a bucket may hold stale rows of
                // accounts that moved on: they are not evaluated).
                let end = closed.day.succ_opt().expect("a day");
                let found: BTreeSet<CustomerId> = reader
                    .range(&DUE, None, Some(&(end, 0)))
                    .expect("due")
                    .into_iter()
                    .flat_map(|(_, accounts)| accounts)
                    .collect();
                found
                    .into_iter()
                    .filter(|customer_id| {
                        reader
                            .get(&health_tables::CUSTOMERS, customer_id)
                            .expect("state")
                            .and_then(|state| state.due)
                            .is_some_and(|due| due <= closed.day)
                    })
                    .count()
            } else {
                meta.n_accounts as usize
            };
            self.evaluated_v1 += self.health.source.accounts.len();
        }
        apply_record::<HealthScores>(&mut self.health, record).expect("v1 health folds");
        apply_record::<RiskList>(&mut self.risk, record).expect("v1 risk folds");
        risk_tables::apply_all(&mut self.tables, record).expect("the tables fold");
        if let Some(Event::DayClosed(closed)) = decode_record(record).expect("decodes") {
            self.assert_due_buckets_consumed(closed.day);
        }
    }

    /// After a close of `day`, no due row is left on a day up to it (other
    /// than the next-close bucket): the next close can read from the day
    /// after, past every row this one deleted. And every account whose
    /// state names a due day has a row in that day's bucket.
    fn assert_due_buckets_consumed(&mut self, day: NaiveDate) {
        let mut reader = Reader::new(&mut self.tables);
        let last = health_tables::meta(&mut reader)
            .expect("meta")
            .last_closed
            .expect("a closed day");
        assert_eq!(last.day, day);
        let rows = due_rows(&mut reader);
        let early: Vec<_> = rows
            .iter()
            .filter(|(due, _)| *due != NaiveDate::MIN && *due <= day)
            .collect();
        assert!(
            early.is_empty(),
            "due rows left on or before {day}: {early:?}"
        );
        for (customer_id, state) in reader
            .range(&health_tables::CUSTOMERS, None, None)
            .expect("states")
        {
            if let Some(due) = state.due {
                assert!(
                    rows.contains(&(due, customer_id)),
                    "{customer_id} is due on {due} without a row there"
                );
            }
        }
    }

    /// Every health answer of the current state.
    fn assert_health(&mut self, at: &str) {
        let view = &self.health;
        let mut reader = Reader::new(&mut self.tables);
        assert_eq!(
            to_json(&health_tables::summaries(&mut reader).expect("summaries")),
            to_json(&view.summaries()),
            "summaries {at}"
        );
        assert_eq!(
            health_tables::last_closed(&mut reader).expect("meta"),
            view.source.last_closed,
            "last closed {at}"
        );
        for customer_id in view.customers.keys() {
            assert_eq!(
                to_json(&health_tables::customer(&mut reader, *customer_id).expect("reads")),
                to_json(&view.customer(*customer_id)),
                "customer {customer_id} {at}"
            );
            assert_eq!(
                to_json(&health_tables::detail(&mut reader, *customer_id).expect("reads")),
                to_json(&view.detail(*customer_id)),
                "detail {customer_id} {at}"
            );
        }
        let meta = health_tables::meta(&mut reader).expect("meta");
        assert_eq!(meta.n_accounts as usize, view.source.accounts.len(), "{at}");
    }

    /// The risk list of `day` (and the latest).
    fn assert_risk_day(&mut self, day: NaiveDate, at: &str) {
        let mut reader = Reader::new(&mut self.tables);
        assert_eq!(
            to_json(&risk_tables::day(&mut reader, day).expect("reads")),
            to_json(&self.risk.day(day)),
            "risk list of {day} {at}"
        );
        assert_eq!(
            to_json(&risk_tables::latest(&mut reader).expect("reads")),
            to_json(&self.risk.latest()),
            "latest risk list {at}"
        );
    }

    /// The answers over the whole history: every risk list, the score as
    /// of every closed day, the level counts, and the paged reads.
    fn assert_history(&mut self) {
        let days: Vec<NaiveDate> = self.risk.days.keys().copied().collect();
        let mut reader = Reader::new(&mut self.tables);
        for day in &days {
            assert_eq!(
                to_json(&risk_tables::day(&mut reader, *day).expect("reads")),
                to_json(&self.risk.day(*day)),
                "risk list of {day}"
            );
        }
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let (page, next) = risk_tables::days_page(&mut reader, after, 7).expect("page");
            paged.extend(page);
            match next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(paged, days, "the days with a list, paged");

        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let (page, next) = health_tables::summaries_page(&mut reader, after, 7).expect("page");
            assert!(page.len() <= 7);
            paged.extend(page);
            match next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(
            to_json(&paged),
            to_json(&self.health.summaries()),
            "paged list"
        );

        for (customer_id, health) in &self.health.customers {
            let mut paged: Vec<DailyEntry> = Vec::new();
            let mut after = None;
            loop {
                let (page, next) =
                    health_tables::daily_page(&mut reader, *customer_id, after, 5).expect("page");
                paged.extend(page);
                match next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            assert_eq!(paged, health.daily, "score history of {customer_id}, paged");
            for day in &days {
                let v1 = health.daily.iter().rev().find(|entry| entry.day <= *day);
                assert_eq!(
                    health_tables::daily_as_of(&mut reader, *customer_id, *day)
                        .expect("reads")
                        .as_ref(),
                    v1,
                    "score of {customer_id} as of {day}"
                );
            }
        }
        if let (Some(first), Some(last)) = (days.first(), days.last()) {
            for window in [1, 7, 30, 400] {
                let from = (*last - Duration::days(window - 1)).max(*first - Duration::days(3));
                assert_eq!(
                    health_tables::level_counts(&mut reader, from, *last)
                        .expect("counts")
                        .iter()
                        .map(|counts| (counts.day, counts.green, counts.yellow, counts.red))
                        .collect::<Vec<_>>(),
                    trend_v1(&self.health, from, *last),
                    "level counts from {from}"
                );
            }
        }
    }
}

/// The dashboard's trend rule over the v1 model (`src/gateway/dashboard`):
/// each customer's last daily level at or before each day.
fn trend_v1(
    view: &HealthView,
    first: NaiveDate,
    last: NaiveDate,
) -> Vec<(NaiveDate, u32, u32, u32)> {
    first
        .iter_days()
        .take_while(|day| *day <= last)
        .map(|day| {
            let mut counts = (day, 0, 0, 0);
            for health in view.customers.values() {
                match health.daily.iter().rev().find(|entry| entry.day <= day) {
                    Some(entry) if entry.level == Level::Green => counts.1 += 1,
                    Some(entry) if entry.level == Level::Yellow => counts.2 += 1,
                    Some(_) => counts.3 += 1,
                    None => {}
                }
            }
            counts
        })
        .collect()
}

/// Folds a generated history, comparing every answer after every close
/// (and the whole state every `every` records).
fn compare_generated(records: &[RecordedEvent], every: usize) -> Folds {
    // Through a memo, as the runner folds (rows kept decoded between
    // records), small enough to fill and start again many times; the other
    // comparisons fold without one.
    let mut folds = Folds {
        tables: MemoryTables::with_memo(48),
        ..Folds::default()
    };
    let mut closes = 0;
    for record in records {
        folds.apply(record);
        let event = decode_record(record).expect("decodes");
        if let Some(Event::DayClosed(closed)) = event {
            closes += 1;
            let at = format!(
                "after the close of {} (position {})",
                closed.day, record.position
            );
            folds.assert_health(&at);
            folds.assert_risk_day(closed.day, &at);
        } else if record.position % every as u64 == 0 {
            folds.assert_health(&format!("at position {}", record.position));
        }
    }
    folds.assert_health("at the end");
    folds.assert_history();
    assert!(closes >= 100, "the history closes days ({closes})");
    folds
}

/// The generated history exercised the view: scores, every level, score
/// history, risk lists with entries, renewals, and incremental evaluation
/// did skip accounts.
fn assert_exercised(folds: &Folds) {
    let view = &folds.health;
    let scored = view
        .customers
        .values()
        .filter(|health| health.breakdown.is_some())
        .count();
    assert!(scored >= 20, "scored customers: {scored}");
    let levels: BTreeSet<Level> = view
        .customers
        .values()
        .flat_map(|health| health.daily.iter().map(|entry| entry.level))
        .collect();
    assert!(levels.len() >= 2, "several levels: {levels:?}");
    let with_history = view
        .customers
        .values()
        .filter(|health| health.daily.len() >= 2)
        .count();
    assert!(with_history > 0, "score histories with changes");
    let listed: usize = folds
        .risk
        .days
        .values()
        .map(|day| day.customers.len())
        .sum();
    assert!(listed > 0, "risk lists with entries");
    assert!(
        folds.evaluated < folds.evaluated_v1,
        "health evaluated {} accounts at closes where v1 evaluated {}",
        folds.evaluated,
        folds.evaluated_v1
    );
    println!(
        "closes evaluated {} accounts on tables, {} in v1 ({:.1} %)",
        folds.evaluated,
        folds.evaluated_v1,
        100.0 * folds.evaluated as f64 / folds.evaluated_v1.max(1) as f64
    );
}

#[test]
fn health_and_risk_on_tables_answer_as_the_models_over_the_small_history() {
    let folds = compare_generated(support::small_history(), 50);
    assert_exercised(&folds);
}

#[test]
fn health_and_risk_on_tables_answer_as_the_models_over_the_spec_history() {
    let folds = compare_generated(support::spec_history(), 2000);
    assert_exercised(&folds);
}

// ---- hand-built logs ----

/// Compares every answer after every record of a hand-built log.
fn compare_every_record(log: &Log) -> Folds {
    let mut folds = Folds::default();
    for record in &log.records {
        folds.apply(record);
        let at = format!("after position {}", record.position);
        folds.assert_health(&at);
        if let Some(day) = folds.risk.latest().map(|day| day.day) {
            folds.assert_risk_day(day, &at);
        }
    }
    folds.assert_history();
    folds
}

const D: &str = "2027-06-30";

fn full_usage(log: &mut Log, customer_id: CustomerId, calls: u32) {
    log.usage(customer_id, date(D), 20, calls, &["crm", "reports"]);
}

/// The golden scenario of `tests/health.rs` (fixtures/health/README.md).
fn scenario() -> Log {
    let mut log = Log::new();
    log.rep(rep(1), "华东");
    log.customer(customer(1), "杭州绿叶科技有限公司", None);
    log.claim(customer(1), rep(1));
    log.customer(customer(2), "苏州黄河机械有限公司", Some("华南"));
    log.customer(customer(3), "无锡橙子电子有限公司", None);
    log.customer(customer(4), "宁波红星设备有限公司", Some("华北"));
    full_usage(&mut log, customer(1), 200);
    log.reference(customer(1), "R-1", date("2027-06-20"));
    log.reference(customer(1), "R-2", date("2027-03-22"));
    full_usage(&mut log, customer(2), 160);
    full_usage(&mut log, customer(3), 160);
    full_usage(&mut log, customer(4), 160);
    log.ticket(customer(4), "T-1", at("2027-06-25T02:00:00Z"), Some(86_417));
    log.close_day(date(D));
    let closes_at = salesledger_domain::customer::PoolPolicy::default_v1().day_closes_at(date(D));
    log.account(
        AccountCommand::CompleteCallback {
            customer_id: customer(2),
            task_id: callback_task_id(customer(2), date(D)),
            note: Some(Text::parse("已回访").expect("text")),
            completed_by: ActorId::parse("csm-li").expect("actor"),
        },
        closes_at + Duration::hours(10),
    );
    let plan_id = RescuePlanId::from_uuid(Uuid::from_u128(0x0000_3001));
    log.account(
        AccountCommand::SubmitRescuePlan {
            customer_id: customer(4),
            plan_id,
            summary: Text::parse("两周内完成工单积压清理").expect("text"),
            submitted_by: ActorId::parse("csm-li").expect("actor"),
        },
        closes_at + Duration::hours(11),
    );
    log.account(
        AccountCommand::ApproveRescuePlan {
            customer_id: customer(4),
            plan_id,
            approved_by: ActorId::parse("cto-zhao").expect("actor"),
        },
        closes_at + Duration::hours(12),
    );
    log.close_day(date("2027-07-01"));
    log.close_day(date("2027-07-02"));
    log
}

#[test]
fn the_golden_scenario_on_tables_matches_expected_json() {
    let log = scenario();
    let mut folds = compare_every_record(&log);
    let mut reader = Reader::new(&mut folds.tables);
    let summaries = health_tables::summaries(&mut reader).expect("summaries");
    let mut customers = Vec::new();
    for summary in &summaries {
        if let Some(detail) =
            health_tables::detail(&mut reader, summary.customer_id).expect("reads")
        {
            customers.push(detail);
        }
    }
    let golden = json!({ "summaries": summaries, "customers": customers });
    let mut text = serde_json::to_string_pretty(&golden).expect("serialises");
    text.push('\n');
    let expected_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/health/expected.json");
    let expected = std::fs::read_to_string(&expected_path).expect("expected.json");
    assert!(
        text == expected,
        "the tables differ from the golden file\n{text}"
    );
}

#[test]
fn inputs_before_the_first_close_then_changed_by_and_quiet_closes() {
    let mut log = Log::new();
    let c = customer(1);
    log.usage(c, date(D), 20, 160, &[]);
    log.close_day(date(D));
    log.reference(c, "R-1", date(D));
    log.close_day(date("2027-07-01"));
    log.ticket(c, "T-1", at("2027-07-01T03:00:00Z"), None);
    log.close_day(date("2027-07-02"));
    log.close_day(date("2027-07-05"));
    compare_every_record(&log);
}

#[test]
fn a_policy_published_mid_history_applies_at_once_and_in_the_next_history_row() {
    let mut log = Log::new();
    let c = customer(1);
    full_usage(&mut log, c, 160);
    log.renewal(customer(2), date("2027-12-01"), "basic");
    let mut v0 = HealthPolicy::default_v1();
    v0.version = 7;
    log.publish(&v0); // before any close: nothing evaluated
    log.close_day(date("2027-06-30"));
    log.close_day(date("2027-07-01"));
    let mut v2 = HealthPolicy::default_v1();
    v2.version = 8;
    v2.weights = HealthWeights {
        usage: 40,
        key_features: 30,
        ticket_resolution: 10,
        renewal: 10,
        success_references: 10,
    };
    v2.targets.renewal_days = 90;
    v2.validate().expect("a valid policy");
    log.publish(&v2);
    log.close_day(date("2027-07-02"));
    log.close_day(date("2027-07-03"));
    let folds = compare_every_record(&log);
    assert_eq!(folds.health.customers[&c].daily.len(), 2);
}

/// The what-if of `replay --weights`: a policy seeded in
/// `health-policy-override` is in force throughout, publications are
/// recorded but do not replace it, and the score history is the one a log
/// publishing only that policy, before anything else, gives.
#[test]
fn a_seeded_policy_override_stays_in_force_through_publications() {
    let mut what_if = HealthPolicy::default_v1();
    what_if.version = 42;
    what_if.weights = HealthWeights {
        usage: 100,
        key_features: 0,
        ticket_resolution: 0,
        renewal: 0,
        success_references: 0,
    };
    what_if.validate().expect("a valid policy");
    let mut published = HealthPolicy::default_v1();
    published.version = 8;
    published.targets.renewal_days = 90;
    let history = |first: Option<&HealthPolicy>, later: Option<&HealthPolicy>| {
        let mut log = Log::new();
        if let Some(policy) = first {
            log.publish(policy);
        }
        log.usage(customer(1), date(D), 20, 40, &["crm"]);
        log.renewal(customer(1), date("2027-08-01"), "basic");
        log.close_day(date("2027-06-30"));
        log.close_day(date("2027-07-01"));
        if let Some(policy) = later {
            log.publish(policy);
        }
        log.close_day(date("2027-07-02"));
        log.close_day(date("2027-07-03"));
        log
    };
    let fold = |log: &Log, seed: Option<&HealthPolicy>| {
        let mut tables = MemoryTables::default();
        if let Some(policy) = seed {
            Tx::new(&mut tables)
                .put(&health_tables::POLICY_OVERRIDE, &(), policy)
                .expect("seeds");
        }
        for record in &log.records {
            risk_tables::apply_all(&mut tables, record).expect("the tables fold");
        }
        tables
    };
    let daily = |tables: &mut MemoryTables| {
        let mut reader = Reader::new(tables);
        let health = health_tables::customer(&mut reader, customer(1))
            .expect("reads")
            .expect("a customer");
        to_json(&health.daily)
    };

    let log = history(None, Some(&published));
    let mut overridden = fold(&log, Some(&what_if));
    let mut reader = Reader::new(&mut overridden);
    assert_eq!(
        health_tables::policy_in_force(&mut reader).expect("reads"),
        what_if
    );
    assert_eq!(
        reader.get(&health_tables::POLICY, &()).expect("reads"),
        Some(published.clone()),
        "the publication is recorded"
    );
    let overridden_daily = daily(&mut overridden);
    assert!(
        overridden_daily
            .as_array()
            .is_some_and(|days| !days.is_empty()
                && days.iter().all(|day| day["policy_version"] == json!(42))),
        "{overridden_daily}"
    );
    assert_eq!(
        overridden_daily,
        daily(&mut fold(&history(Some(&what_if), None), None)),
        "as if only the override had ever been published"
    );
    assert_ne!(
        overridden_daily,
        daily(&mut fold(&log, None)),
        "the override changes the history"
    );
}

/// Windows crossing boundaries with no input: usage leaving the 30-day
/// window, a ticket the 90-day window, a reference the 365-day window, the
/// renewal slope, future-dated usage entering, gaps between closes, a
/// renewal date passing, and risk kinds at each close.
#[test]
fn scores_move_with_the_windows_alone_on_the_days_they_cross() {
    let mut log = Log::new();
    log.rep(rep(1), "华东");
    for n in 1..=14 {
        log.customer(customer(n), &format!("测试{n}"), None);
    }
    log.claim(customer(1), rep(1));
    let start = date("2027-01-10");
    for n in 1..=12u32 {
        let c = customer(u128::from(n));
        log.usage(c, start + Duration::days(i64::from(n)), n, n * 15, &["crm"]);
    }
    // Usage reported for days after the first closes (entering later).
    log.usage(customer(13), date("2027-02-20"), 10, 100, &["api"]);
    log.ticket(
        customer(2),
        "T-1",
        at("2027-01-05T02:00:00Z"),
        Some(200_000),
    );
    log.ticket(customer(3), "T-2", at("2027-01-07T02:00:00Z"), None);
    log.reference(customer(4), "R-1", date("2026-01-20"));
    log.reference(customer(5), "R-2", date("2027-03-01"));
    log.renewal(customer(6), date("2027-03-15"), "enterprise");
    log.renewal(customer(7), date("2027-09-15"), "basic");
    log.renewal(customer(8), date("2027-01-25"), "standard");
    log.keywords(
        customer(9),
        &[
            ("salesforce", date("2027-01-12"), 2),
            ("hubspot", date("2027-02-10"), 1),
        ],
    );
    let mut day = start;
    let end = date("2027-05-01");
    let mut step = 0;
    while day <= end {
        log.close_day(day);
        step += 1;
        // Mostly daily, with gaps.
        day += Duration::days(if step % 9 == 0 { 4 } else { 1 });
        if step == 40 {
            log.usage(customer(1), day, 15, 300, &["reports"]);
            log.renewal(customer(6), date("2027-04-01"), "standard");
        }
    }
    let folds = compare_every_record(&log);
    println!(
        "closes evaluated {} accounts on tables, {} in v1",
        folds.evaluated, folds.evaluated_v1
    );
    assert!(folds.evaluated * 2 < folds.evaluated_v1, "incremental");
    let histories: usize = folds
        .health
        .customers
        .values()
        .map(|health| health.daily.len())
        .sum();
    assert!(
        histories > 30,
        "the windows moved scores ({histories} history rows)"
    );
}

/// An account due the day after the last close (here: a usage day reported
/// ahead enters its window then) whose score an input changes keeps that
/// bucket: the next close reads it as it reads the next-close bucket, so
/// no next-close row is written for it, and the close still writes the
/// history row v1 writes.
#[test]
fn an_input_keeps_the_day_after_bucket_the_next_close_reads() {
    let c = customer(1);
    let mut log = Log::new();
    log.usage(c, date(D), 20, 160, &["crm"]);
    log.usage(c, date("2027-07-01"), 20, 160, &["crm"]);
    log.close_day(date(D));
    log.reference(c, "R-1", date(D));
    let mut folds = compare_every_record(&log);
    let mut reader = Reader::new(&mut folds.tables);
    let state = reader
        .get(&health_tables::CUSTOMERS, &c)
        .expect("state")
        .expect("an account");
    assert_eq!(state.due, Some(date("2027-07-01")), "due the day after");
    assert_eq!(
        due_rows(&mut reader),
        BTreeSet::from([(date("2027-07-01"), c)]),
        "no next-close row"
    );
    log.close_day(date("2027-07-01"));
    log.close_day(date("2027-07-02"));
    let folds = compare_every_record(&log);
    let history = &folds.health.customers[&c].daily;
    assert!(
        history.iter().any(|entry| entry.day == date("2027-07-01")),
        "the close after the input recorded its score: {history:?}"
    );
}

/// A `DayClosed` not after the last one (the calendar refuses it, a log
/// may hold it): every account is evaluated, as v1 does.
#[test]
fn a_close_out_of_order_evaluates_every_account() {
    let mut log = Log::new();
    let c = customer(1);
    log.usage(c, date(D), 12, 100, &[]);
    log.renewal(customer(2), date("2027-08-01"), "basic");
    log.close_day(date(D));
    log.close_day(date("2027-07-03"));
    for day in ["2027-07-01", "2027-07-03", "2027-07-04"] {
        log.event(
            "DayClosed",
            json!({ "day": day, "closes_at": "2027-07-10T16:00:00Z", "closed_at": "2027-07-10T16:00:00Z" }),
        );
    }
    log.close_day(date("2027-07-20"));
    compare_every_record(&log);
}

/// Twelve below green, one green, one registered without inputs: the
/// ranking, the cut after ten and every risk kind (`tests/risk.rs`'s logs).
#[test]
fn the_risk_logs_on_tables_answer_as_the_model() {
    let mut log = Log::new();
    for (n, days) in [
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
    ] {
        log.customer(customer(n), &format!("测试公司{n}有限公司"), None);
        log.usage(customer(n), date(D), days, 0, &[]);
    }
    log.usage(customer(13), date(D), 20, 200, &["crm"]);
    log.reference(customer(13), "R-1", date(D));
    log.reference(customer(13), "R-2", date(D));
    log.customer(customer(14), "无数据有限公司", None);
    log.close_day(date(D));
    let folds = compare_every_record(&log);
    let day = folds.risk.day(date(D)).expect("a list");
    assert_eq!((day.customers.len(), day.n_at_risk), (10, 12));

    let mut log = Log::new();
    let c = customer(1);
    log.rep(rep(1), "西南");
    log.customer(c, "成都全险科技有限公司", None);
    log.claim(c, rep(1));
    log.usage(c, date(D), 4, 10, &["crm"]);
    log.ticket(c, "T-1", at("2027-06-27T14:00:00Z"), None);
    log.renewal(c, date("2027-07-30"), "standard");
    log.keywords(
        c,
        &[
            ("salesforce", date("2027-06-01"), 2),
            ("salesforce", date(D), 3),
            ("hubspot", date("2027-05-31"), 5),
            ("hubspot", date("2027-06-29"), 1),
        ],
    );
    log.close_day(date(D));
    let mut v2 = HealthPolicy::default_v1();
    v2.version = 2;
    for (kind, script) in v2.risk_scripts.iter_mut() {
        *script = format!("v2 script for {kind:?}");
    }
    log.publish(&v2);
    log.close_day(date("2027-07-01"));
    log.close_day(date("2027-07-31"));
    let folds = compare_every_record(&log);
    assert_eq!(folds.risk.days.len(), 3);
}

#[test]
fn the_projectors_keep_the_v1_names_and_declare_what_they_read() {
    assert_eq!(HealthTables::NAME, HealthScores::NAME);
    assert_eq!(RiskTables::NAME, RiskList::NAME);
    // 2: the compact inputs rows; risk reads them, so both rebuild.
    // Health 3: due rows as day buckets; 4: the score history packed per
    // month; 5: days in its rows as day numbers; 6: a due bucket as a row
    // per day and scheduling record (risk reads none of them).
    assert_eq!((HealthTables::VERSION, RiskTables::VERSION), (6, 2));
    assert_eq!(HealthTables::reads(), ["dir-reps", "dir-customers"]);
    for table in RiskTables::reads() {
        assert!(
            HealthTables::tables().contains(table) || HealthTables::reads().contains(table),
            "{table}: risk reads only the directory and health"
        );
    }
}

/// The risk list refuses a close that health has not folded (the runner
/// must fold health first).
#[test]
fn risk_before_health_is_an_error_not_a_wrong_list() {
    let mut log = Log::new();
    log.usage(customer(1), date(D), 3, 0, &[]);
    log.close_day(date(D));
    let close = log
        .records
        .iter()
        .find(|record| record.event_type == "DayClosed")
        .expect("a close");
    let mut tables = MemoryTables::default();
    for record in log
        .records
        .iter()
        .take_while(|record| record.position < close.position)
    {
        risk_tables::apply_all(&mut tables, record).expect("folds");
    }
    let error = tables.apply::<RiskTables>(close).expect_err("refused");
    assert!(
        error.to_string().contains("fold health before risk"),
        "{error}"
    );
}
