//! The health projector (SPEC C7) over hand-built logs.
//!
//! Every score below is computed by hand under the default policy v1
//! (weights usage 30, key features 25, ticket resolution 20, renewal 15,
//! success references 10; targets 20 active days, 200 key-feature calls
//! (no plan), SLA 24 h = 86 400 s, 180 renewal days, 2 references; green
//! at 8500, yellow at 7000). `normalised = raw * 10000 / target` truncated
//! and clamped; tickets `10000 * (3S - raw) / 2S`; `contribution =
//! normalised * weight / 100` truncated. The day closes are the domain's
//! (see `health_log`), so the level changes, tasks and freezes in these
//! logs are what the day close would append.
//!
//! `fixtures/health/expected.json` is the golden view of the scenario in
//! [`scenario`] (arithmetic in `fixtures/health/README.md`); regenerate it
//! with `UPDATE_GOLDEN=1` after a deliberate change and review the diff.

use crate::health_log;

use std::path::PathBuf;

use chrono::Duration;
use health_log::{at, customer, date, rep, Log};
use salesledger_domain::account::{callback_task_id, AccountCommand};
use salesledger_domain::health::{HealthBreakdown, HealthPolicy, HealthWeights, Indicator, Level};
use salesledger_domain::value::{ActorId, CustomerId, RescuePlanId, Text};
use salesledger_projections::health::{CallbackStatus, DailyEntry, HealthView};
use salesledger_projections::{apply_record, fold_all, HealthScores, Projector};
use serde_json::json;
use uuid::Uuid;

const D: &str = "2027-06-30";

fn health(log: &Log) -> HealthView {
    fold_all::<HealthScores>(&log.records).expect("log folds")
}

fn breakdown(view: &HealthView, customer_id: CustomerId) -> &HealthBreakdown {
    view.customer(customer_id)
        .and_then(|health| health.breakdown.as_ref())
        .expect("a breakdown")
}

/// (normalised_bp, contribution_bp) per indicator, in breakdown order.
fn parts(breakdown: &HealthBreakdown) -> Vec<(Indicator, Option<i64>, u32, u32)> {
    breakdown
        .indicators
        .iter()
        .map(|score| {
            (
                score.indicator,
                score.raw,
                score.normalised_bp,
                score.contribution_bp,
            )
        })
        .collect()
}

#[track_caller]
fn assert_sums(breakdown: &HealthBreakdown) {
    let sum: u32 = breakdown
        .indicators
        .iter()
        .map(|score| score.contribution_bp)
        .sum();
    assert_eq!(sum, breakdown.score_bp, "the breakdown sums to the score");
}

/// 20 active days ending on D and 200 key-feature calls (full usage and
/// key features), then the rest per case.
fn full_usage(log: &mut Log, customer_id: CustomerId, calls: u32) {
    log.usage(customer_id, date(D), 20, calls, &["crm", "reports"]);
}

/// A ticket opened on D-5 and resolved 86 417 s later (24 h 0 min 17 s):
/// `10000 * (259200 - 86417) / 172800 = 9999.01` -> 9999 -> contribution
/// `9999 * 20 / 100 = 1999.8` -> 1999 (one point short of full).
fn slow_ticket(log: &mut Log, customer_id: CustomerId) {
    log.ticket(customer_id, "T-1", at("2027-06-25T02:00:00Z"), Some(86_417));
}

#[test]
fn golden_cases_per_level_and_the_exact_boundaries() {
    let mut log = Log::new();
    let green_exact = customer(1);
    let just_under_green = customer(2);
    let yellow_exact = customer(3);
    let just_under_yellow = customer(4);
    let green_high = customer(5);
    let red_deep = customer(6);

    // 85.00: usage 3000 + key features 2500 + tickets (none) 2000 +
    // renewal (unknown) 0 + references 2/2 1000 = 8500: green.
    full_usage(&mut log, green_exact, 200);
    log.reference(green_exact, "R-1", date("2027-06-20"));
    log.reference(green_exact, "R-2", date("2027-03-22"));
    // The same with one point less on tickets: 8499: yellow.
    full_usage(&mut log, just_under_green, 200);
    log.reference(just_under_green, "R-1", date("2027-06-20"));
    log.reference(just_under_green, "R-2", date("2027-03-22"));
    slow_ticket(&mut log, just_under_green);
    // 70.00: usage 3000 + 160 calls -> 8000 -> 2000 + tickets 2000 = 7000: yellow.
    full_usage(&mut log, yellow_exact, 160);
    // The same with the slow ticket: 6999: red.
    full_usage(&mut log, just_under_yellow, 160);
    slow_ticket(&mut log, just_under_yellow);
    // Enterprise plan (target 500): 500 calls -> 2500; tickets of 3600 s and
    // 7200 s (mean 5400 <= SLA) -> 2000; renewal in 90 days -> 5000 -> 750;
    // one reference -> 5000 -> 500; usage 3000: 8750 green.
    full_usage(&mut log, green_high, 500);
    log.renewal(green_high, date("2027-09-28"), "enterprise");
    log.ticket(green_high, "T-1", at("2027-06-01T01:00:00Z"), Some(3_600));
    log.ticket(green_high, "T-2", at("2027-06-02T01:00:00Z"), Some(7_200));
    log.reference(green_high, "R-1", date("2027-01-15"));
    // 5 active days -> 2500 -> 750; 20 calls -> 1000 -> 250; a ticket of
    // exactly 3S = 259 200 s -> 0; renewal in 18 days -> 1000 -> 150; no
    // references: 1150 red.
    log.usage(red_deep, date(D), 5, 20, &[]);
    log.ticket(red_deep, "T-9", at("2027-06-10T01:00:00Z"), Some(259_200));
    log.renewal(red_deep, date("2027-07-18"), "standard");
    log.close_day(date(D));

    let view = health(&log);
    let expected = [
        (green_exact, 8500, Level::Green),
        (just_under_green, 8499, Level::Yellow),
        (yellow_exact, 7000, Level::Yellow),
        (just_under_yellow, 6999, Level::Red),
        (green_high, 8750, Level::Green),
        (red_deep, 1150, Level::Red),
    ];
    for (customer_id, score_bp, level) in expected {
        let breakdown = breakdown(&view, customer_id);
        assert_eq!(
            (
                breakdown.score_bp,
                breakdown.level,
                breakdown.policy_version
            ),
            (score_bp, level, 1),
            "customer {customer_id}"
        );
        assert_eq!(breakdown.as_of, date(D));
        assert_sums(breakdown);
        // The projector agrees with the day close's own decision.
        let history = &view.customer(customer_id).expect("customer").history;
        assert_eq!(history.len(), 1);
        assert_eq!((history[0].to, history[0].score_bp), (level, score_bp));
    }

    use Indicator::*;
    assert_eq!(
        parts(breakdown(&view, green_exact)),
        [
            (Usage, Some(20), 10_000, 3000),
            (KeyFeatures, Some(200), 10_000, 2500),
            (TicketResolution, None, 10_000, 2000),
            (Renewal, None, 0, 0),
            (SuccessReferences, Some(2), 10_000, 1000),
        ]
    );
    assert_eq!(
        parts(breakdown(&view, just_under_green))[2],
        (TicketResolution, Some(86_417), 9_999, 1999)
    );
    assert_eq!(
        parts(breakdown(&view, yellow_exact)),
        [
            (Usage, Some(20), 10_000, 3000),
            (KeyFeatures, Some(160), 8_000, 2000),
            (TicketResolution, None, 10_000, 2000),
            (Renewal, None, 0, 0),
            (SuccessReferences, Some(0), 0, 0),
        ]
    );
    assert_eq!(
        parts(breakdown(&view, green_high)),
        [
            (Usage, Some(20), 10_000, 3000),
            (KeyFeatures, Some(500), 10_000, 2500),
            (TicketResolution, Some(5_400), 10_000, 2000),
            (Renewal, Some(90), 5_000, 750),
            (SuccessReferences, Some(1), 5_000, 500),
        ]
    );
    assert_eq!(
        parts(breakdown(&view, red_deep)),
        [
            (Usage, Some(5), 2_500, 750),
            (KeyFeatures, Some(20), 1_000, 250),
            (TicketResolution, Some(259_200), 0, 0),
            (Renewal, Some(18), 1_000, 150),
            (SuccessReferences, Some(0), 0, 0),
        ]
    );

    // The health process as the day close decided it.
    let green = view.customer(green_exact).expect("green");
    assert!(green.frozen_since.is_none() && green.callback_tasks.is_empty());
    let yellow = view.customer(yellow_exact).expect("yellow");
    assert_eq!(yellow.callback_tasks.len(), 1);
    assert_eq!(yellow.callback_tasks[0].status, CallbackStatus::Open);
    let red = view.customer(just_under_yellow).expect("red");
    assert_eq!(red.frozen_since, Some(date(D)));
}

#[test]
fn no_breakdown_before_a_day_closes_then_changed_by_names_the_inputs() {
    let mut log = Log::new();
    let c = customer(1);
    let usage = log.usage(c, date(D), 20, 160, &[]);
    let view = health(&log);
    let health = view.customer(c).expect("known from its input");
    assert!(health.breakdown.is_none());
    assert_eq!(health.pending_inputs, [usage]);
    assert!(view.detail(c).is_none(), "no health yet");

    let closed = log.close_day(date(D));
    let view = health_of(&log, c);
    assert_eq!(view.changed_by, [usage, closed]);
    assert_eq!(view.evaluated_at_position, Some(closed));
    assert!(view.pending_inputs.is_empty());

    // An input after the close re-evaluates as of the closed day.
    let reference = log.reference(c, "R-1", date(D));
    let view = health_of(&log, c);
    let breakdown = view.breakdown.as_ref().expect("breakdown");
    assert_eq!((breakdown.score_bp, breakdown.as_of), (7500, date(D)));
    assert_eq!(view.changed_by, [reference]);

    // A close that changes nothing keeps what last changed it.
    log.close_day(date("2027-07-01"));
    let view = health_of(&log, c);
    assert_eq!(view.changed_by, [reference]);
    assert_eq!(
        view.breakdown.as_ref().map(|b| b.as_of),
        Some(date("2027-07-01"))
    );
    // An input that changes nothing (an open ticket) is not "what changed it".
    log.ticket(c, "T-1", at("2027-07-01T03:00:00Z"), None);
    assert_eq!(health_of(&log, c).changed_by, [reference]);
}

fn health_of(
    log: &Log,
    customer_id: CustomerId,
) -> salesledger_projections::health::CustomerHealth {
    health(log)
        .customer(customer_id)
        .cloned()
        .expect("customer")
}

#[test]
fn a_weight_change_mid_history_changes_scores_from_that_day_on_only() {
    let mut log = Log::new();
    let c = customer(1);
    // 7000 under v1 (see the golden cases).
    full_usage(&mut log, c, 160);
    log.close_day(date("2027-06-30"));
    log.close_day(date("2027-07-01"));

    let mut v2 = HealthPolicy::default_v1();
    v2.version = 2;
    v2.weights = HealthWeights {
        usage: 40,
        key_features: 30,
        ticket_resolution: 10,
        renewal: 10,
        success_references: 10,
    };
    v2.validate().expect("a valid policy");
    let published = log.publish(&v2);

    // In force at once for the current breakdown: 10000*40% + 8000*30% +
    // 10000*10% = 4000 + 2400 + 1000 = 7400 ...
    let now = health_of(&log, c);
    let breakdown = now.breakdown.as_ref().expect("breakdown");
    assert_eq!(
        (
            breakdown.score_bp,
            breakdown.policy_version,
            breakdown.as_of
        ),
        (7400, 2, date("2027-07-01"))
    );
    assert_sums(breakdown);
    assert_eq!(now.changed_by, [published]);
    // ... but the daily history of the days already closed keeps v1.
    assert_eq!(
        now.daily,
        [DailyEntry {
            day: date("2027-06-30"),
            score_bp: 7000,
            level: Level::Yellow,
            policy_version: 1
        }]
    );

    log.close_day(date("2027-07-02"));
    log.close_day(date("2027-07-03"));
    let after = health_of(&log, c);
    assert_eq!(
        after.daily,
        [
            DailyEntry {
                day: date("2027-06-30"),
                score_bp: 7000,
                level: Level::Yellow,
                policy_version: 1
            },
            DailyEntry {
                day: date("2027-07-02"),
                score_bp: 7400,
                level: Level::Yellow,
                policy_version: 2
            },
        ]
    );
    // The level did not change, so the day close recorded one level only.
    assert_eq!(after.history.len(), 1);
}

#[test]
fn callback_met_and_missed_and_the_freeze_lifted_by_a_rescue_plan() {
    let log = scenario();
    let view = health(&log);
    let met = view.customer(customer(2)).expect("yellow, met");
    assert_eq!(met.callback_tasks.len(), 1);
    assert_eq!(met.callback_tasks[0].status, CallbackStatus::Met);
    let missed = view.customer(customer(3)).expect("yellow, missed");
    assert_eq!(missed.callback_tasks[0].status, CallbackStatus::Missed);
    assert_eq!(missed.callback_tasks[0].missed_on, Some(date("2027-07-02")));
    let red = view.customer(customer(4)).expect("red");
    assert_eq!(red.frozen_since, None, "unfrozen by the approved plan");
    assert_eq!(red.freezes.len(), 1);
    assert!(red.freezes[0].unfrozen_by_plan.is_some());
    assert_eq!(
        red.rescue_plans[0]
            .approved_by
            .as_ref()
            .map(ActorId::as_str),
        Some("cto-zhao")
    );
    let green = view.customer(customer(1)).expect("green");
    assert_eq!(green.success_cases.len(), 1);
    assert_eq!(green.success_cases[0].owner, rep(1));
}

/// The golden scenario (see fixtures/health/README.md): four customers on
/// D = 2027-06-30, closes of D, D+1, D+2.
fn scenario() -> Log {
    let mut log = Log::new();
    log.rep(rep(1), "华东");
    log.customer(customer(1), "杭州绿叶科技有限公司", None);
    log.claim(customer(1), rep(1));
    log.customer(customer(2), "苏州黄河机械有限公司", Some("华南"));
    log.customer(customer(3), "无锡橙子电子有限公司", None);
    log.customer(customer(4), "宁波红星设备有限公司", Some("华北"));
    // customer 1: 8500 green (owner rep 1, region from the owner).
    full_usage(&mut log, customer(1), 200);
    log.reference(customer(1), "R-1", date("2027-06-20"));
    log.reference(customer(1), "R-2", date("2027-03-22"));
    // customers 2 and 3: 7000 yellow.
    full_usage(&mut log, customer(2), 160);
    full_usage(&mut log, customer(3), 160);
    // customer 4: 6999 red.
    full_usage(&mut log, customer(4), 160);
    slow_ticket(&mut log, customer(4));
    log.close_day(date(D));

    // The CSM calls customer 2 back ten hours after the close (due 48 h after it).
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
    // Customer 3's call-back, due at the close of D + 48 h, is still open at
    // the close of D+2 (which is exactly its due time): missed.
    log.close_day(date("2027-07-02"));
    log
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/health")
}

fn golden_text(view: &HealthView) -> String {
    let customers: Vec<_> = view
        .customers
        .keys()
        .filter_map(|customer_id| view.detail(*customer_id))
        .collect();
    let golden = json!({ "summaries": view.summaries(), "customers": customers });
    let mut text = serde_json::to_string_pretty(&golden).expect("serialises");
    text.push('\n');
    text
}

#[test]
fn health_view_matches_the_golden_file() {
    let view = health(&scenario());
    let actual = golden_text(&view);
    let expected_path = fixture_dir().join("expected.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(fixture_dir()).expect("fixture dir");
        std::fs::write(&expected_path, &actual).expect("write expected.json");
    }
    let expected = std::fs::read_to_string(&expected_path)
        .expect("expected.json exists (run with UPDATE_GOLDEN=1 to create it)");
    assert!(
        actual == expected,
        "the health view differs from {}; rerun with UPDATE_GOLDEN=1 and review the diff\n{actual}",
        expected_path.display()
    );
    let summaries: Vec<(u32, Level)> = view
        .summaries()
        .iter()
        .map(|summary| {
            (
                summary.score_bp.unwrap_or(0),
                summary.level.unwrap_or(Level::Red),
            )
        })
        .collect();
    assert_eq!(
        summaries,
        [
            (8500, Level::Green),
            (7000, Level::Yellow),
            (7000, Level::Yellow),
            (6999, Level::Red)
        ]
    );
    let first = view.detail(customer(1)).expect("detail");
    assert_eq!(first.region, "华东", "the owner's region");
    assert_eq!(view.detail(customer(2)).expect("detail").region, "华南");
    assert_eq!(
        view.detail(customer(3)).expect("detail").region,
        "unassigned"
    );
}

#[test]
fn folding_in_two_parts_equals_folding_at_once_and_the_model_round_trips() {
    let records = scenario().records;
    let whole = fold_all::<HealthScores>(&records).expect("folds");
    let whole_text = serde_json::to_string(&whole).expect("serialise");
    for split in (0..=records.len()).step_by(3) {
        let (head, tail) = records.split_at(split);
        let partial = fold_all::<HealthScores>(head).expect("head folds");
        let stored = serde_json::to_vec(&partial).expect("serialise");
        let mut resumed: HealthView = serde_json::from_slice(&stored).expect("deserialise");
        for record in tail {
            apply_record::<HealthScores>(&mut resumed, record).expect("record folds");
        }
        assert_eq!(
            serde_json::to_string(&resumed).expect("serialise"),
            whole_text,
            "split at {split}"
        );
    }
    assert_eq!((HealthScores::NAME, HealthScores::VERSION), ("health", 1));
}
