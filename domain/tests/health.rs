//! C7/C8 health score: hand-computed golden breakdowns at the level
//! boundaries, the breakdown sums to the score (property), weights change
//! the score, policy validation and publication, the risk-list helpers.

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use salesledger_domain::config::*;
use salesledger_domain::event::Event;
use salesledger_domain::health::*;
use salesledger_domain::testing::{given, given_no_events};
use salesledger_domain::value::*;

use crate::support::*;

fn as_of() -> NaiveDate {
    date("2027-06-30")
}

/// Logins on the `n_days` days ending on `as_of`, `calls_per_day` key-feature calls each.
fn with_usage(inputs: &mut HealthInputs, n_days: i64, calls_per_day: u32) {
    for offset in 0..n_days {
        inputs.usage.insert(
            as_of() - Duration::days(offset),
            DayUsage {
                logins: 1,
                key_feature_calls: calls_per_day,
            },
        );
    }
}

fn with_references(inputs: &mut HealthInputs, n: usize) {
    for index in 0..n {
        inputs.success_references.insert(
            ReferenceRef::parse(&format!("REF-{index}")).expect("ref"),
            as_of() - Duration::days(10 + index as i64),
        );
    }
}

fn with_resolved_ticket(inputs: &mut HealthInputs, resolution_seconds: i64) {
    let resolved_at = time("2027-06-20T10:00:00+08:00");
    inputs.resolved_tickets.insert(
        TicketRef::parse("T-1").expect("ticket"),
        ResolvedTicket {
            opened_at: resolved_at - Duration::seconds(resolution_seconds),
            resolved_at,
            resolution_seconds: resolution_seconds as u64,
        },
    );
}

fn score(
    indicator: Indicator,
    raw: Option<i64>,
    normalised_bp: u32,
    weight: u32,
    contribution_bp: u32,
) -> IndicatorScore {
    IndicatorScore {
        indicator,
        raw,
        normalised_bp,
        weight,
        contribution_bp,
    }
}

#[test]
fn golden_green_at_exactly_8500() {
    // usage: 20 active days / target 20 -> 10000 bp * 30 % = 3000
    // key features: 20 days x 10 = 200 calls / default target 200 -> 10000 * 25 % = 2500
    // ticket resolution: none resolved -> 10000 * 20 % = 2000
    // renewal: unknown -> 0
    // success references: 2 / target 2 -> 10000 * 10 % = 1000
    // 3000 + 2500 + 2000 + 0 + 1000 = 8500 = green_at_bp -> green
    let mut inputs = HealthInputs::default();
    with_usage(&mut inputs, 20, 10);
    with_references(&mut inputs, 2);
    let breakdown = evaluate(&inputs, as_of(), &HealthPolicy::default_v1());
    assert_eq!(
        breakdown,
        HealthBreakdown {
            as_of: as_of(),
            score_bp: 8500,
            level: Level::Green,
            policy_version: 1,
            indicators: vec![
                score(Indicator::Usage, Some(20), 10000, 30, 3000),
                score(Indicator::KeyFeatures, Some(200), 10000, 25, 2500),
                score(Indicator::TicketResolution, None, 10000, 20, 2000),
                score(Indicator::Renewal, None, 0, 15, 0),
                score(Indicator::SuccessReferences, Some(2), 10000, 10, 1000),
            ],
        }
    );
}

#[test]
fn golden_yellow_at_8499() {
    // usage 3000 + key features 2500 + tickets 2000 (as above)
    // renewal in 60 days: 60 * 10000 / 180 = 3333 (truncated); 3333 * 15 / 100 = 499
    // success references: 1 / 2 -> 5000; 5000 * 10 / 100 = 500
    // 3000 + 2500 + 2000 + 499 + 500 = 8499 < 8500 -> yellow
    let mut inputs = HealthInputs::default();
    with_usage(&mut inputs, 20, 10);
    with_references(&mut inputs, 1);
    inputs.renewal = Some(Renewal {
        renewal_on: as_of() + Duration::days(60),
        plan: PlanName::parse("standard").expect("plan"),
    });
    let breakdown = evaluate(&inputs, as_of(), &HealthPolicy::default_v1());
    assert_eq!(breakdown.score_bp, 8499);
    assert_eq!(breakdown.level, Level::Yellow);
    assert_eq!(
        breakdown.indicators,
        vec![
            score(Indicator::Usage, Some(20), 10000, 30, 3000),
            score(Indicator::KeyFeatures, Some(200), 10000, 25, 2500),
            score(Indicator::TicketResolution, None, 10000, 20, 2000),
            score(Indicator::Renewal, Some(60), 3333, 15, 499),
            score(Indicator::SuccessReferences, Some(1), 5000, 10, 500),
        ]
    );
}

#[test]
fn golden_yellow_at_exactly_7000() {
    // usage: 20 / 20 -> 3000
    // key features: 20 days x 8 = 160 / 200 -> 8000; 8000 * 25 / 100 = 2000
    // tickets: none -> 2000; renewal unknown -> 0; references 0 -> 0
    // 3000 + 2000 + 2000 = 7000 = yellow_at_bp -> yellow
    let mut inputs = HealthInputs::default();
    with_usage(&mut inputs, 20, 8);
    let breakdown = evaluate(&inputs, as_of(), &HealthPolicy::default_v1());
    assert_eq!(breakdown.score_bp, 7000);
    assert_eq!(breakdown.level, Level::Yellow);
    assert_eq!(
        breakdown.indicators,
        vec![
            score(Indicator::Usage, Some(20), 10000, 30, 3000),
            score(Indicator::KeyFeatures, Some(160), 8000, 25, 2000),
            score(Indicator::TicketResolution, None, 10000, 20, 2000),
            score(Indicator::Renewal, None, 0, 15, 0),
            score(Indicator::SuccessReferences, Some(0), 0, 10, 0),
        ]
    );
}

#[test]
fn golden_red_at_6999() {
    // as 7000, but one ticket resolved in 86401 s (SLA S = 24 h = 86400 s):
    // 10000 * (3S - raw) / (2S) = 10000 * 172799 / 172800 = 9999 (truncated)
    // 9999 * 20 / 100 = 1999
    // 3000 + 2000 + 1999 = 6999 < 7000 -> red
    let mut inputs = HealthInputs::default();
    with_usage(&mut inputs, 20, 8);
    with_resolved_ticket(&mut inputs, 86_401);
    let breakdown = evaluate(&inputs, as_of(), &HealthPolicy::default_v1());
    assert_eq!(breakdown.score_bp, 6999);
    assert_eq!(breakdown.level, Level::Red);
    assert_eq!(
        breakdown.indicator(Indicator::TicketResolution),
        Some(&score(
            Indicator::TicketResolution,
            Some(86_401),
            9999,
            20,
            1999
        ))
    );
}

#[test]
fn ticket_resolution_falls_linearly_from_the_sla_to_three_times_it() {
    let policy = HealthPolicy::default_v1();
    let normalised = |seconds: i64| {
        let mut inputs = HealthInputs::default();
        with_resolved_ticket(&mut inputs, seconds);
        evaluate(&inputs, as_of(), &policy)
            .indicator(Indicator::TicketResolution)
            .map(|score| score.normalised_bp)
    };
    assert_eq!(normalised(3600), Some(10000));
    assert_eq!(normalised(86_400), Some(10000));
    // 2S = 172800: 10000 * (259200 - 172800) / 172800 = 5000
    assert_eq!(normalised(172_800), Some(5000));
    assert_eq!(normalised(259_200), Some(0));
    assert_eq!(normalised(1_000_000), Some(0));
}

#[test]
fn windows_are_inclusive_and_end_on_as_of() {
    let mut inputs = HealthInputs::default();
    // as_of - 29 counts, as_of - 30 does not, as_of + 1 does not
    for offset in [-1i64, 0, 29, 30] {
        inputs.usage.insert(
            as_of() - Duration::days(offset),
            DayUsage {
                logins: 1,
                key_feature_calls: 1,
            },
        );
    }
    // a reference 364 days ago counts, 365 does not
    inputs.success_references.insert(
        ReferenceRef::parse("A").expect("ref"),
        as_of() - Duration::days(364),
    );
    inputs.success_references.insert(
        ReferenceRef::parse("B").expect("ref"),
        as_of() - Duration::days(365),
    );
    let breakdown = evaluate(&inputs, as_of(), &HealthPolicy::default_v1());
    assert_eq!(
        breakdown.indicator(Indicator::Usage).and_then(|s| s.raw),
        Some(2)
    );
    assert_eq!(
        breakdown
            .indicator(Indicator::KeyFeatures)
            .and_then(|s| s.raw),
        Some(2)
    );
    assert_eq!(
        breakdown
            .indicator(Indicator::SuccessReferences)
            .and_then(|s| s.raw),
        Some(1)
    );
}

#[test]
fn the_plan_picks_the_key_feature_target_and_a_passed_renewal_scores_zero() {
    let mut inputs = HealthInputs::default();
    with_usage(&mut inputs, 10, 10); // 100 calls
    inputs.renewal = Some(Renewal {
        renewal_on: as_of() - Duration::days(3),
        plan: PlanName::parse("Enterprise").expect("plan"),
    });
    let breakdown = evaluate(&inputs, as_of(), &HealthPolicy::default_v1());
    // enterprise target 500: 100 * 10000 / 500 = 2000
    assert_eq!(
        breakdown.indicator(Indicator::KeyFeatures),
        Some(&score(Indicator::KeyFeatures, Some(100), 2000, 25, 500))
    );
    assert_eq!(
        breakdown.indicator(Indicator::Renewal),
        Some(&score(Indicator::Renewal, Some(-3), 0, 15, 0))
    );
}

#[test]
fn other_weights_change_the_score() {
    let mut inputs = HealthInputs::default();
    with_usage(&mut inputs, 20, 10);
    with_references(&mut inputs, 2);
    let mut policy = HealthPolicy::default_v1();
    policy.version = 2;
    policy.weights = HealthWeights {
        usage: 10,
        key_features: 10,
        ticket_resolution: 10,
        renewal: 40,
        success_references: 30,
    };
    policy.validate().expect("valid");
    // 1000 + 1000 + 1000 + 0 + 3000 = 6000 (8500 under the default weights)
    let breakdown = evaluate(&inputs, as_of(), &policy);
    assert_eq!(breakdown.score_bp, 6000);
    assert_eq!(breakdown.level, Level::Red);
    assert_eq!(breakdown.policy_version, 2);
    assert_eq!(
        evaluate(&inputs, as_of(), &HealthPolicy::default_v1()).score_bp,
        8500
    );
}

#[test]
fn policy_validation() {
    let default = HealthPolicy::default_v1();
    default.validate().expect("the default is valid");
    let code = |policy: HealthPolicy| policy.validate().map_err(|error| error.code());
    let mut policy = default.clone();
    policy.weights.usage = 31;
    assert_eq!(code(policy), Err("invalid_health_policy"));
    let mut policy = default.clone();
    policy.targets.renewal_days = 0;
    assert_eq!(code(policy), Err("invalid_health_policy"));
    let mut policy = default.clone();
    policy.yellow_at_bp = 8500;
    assert_eq!(code(policy), Err("invalid_health_policy"));
    let mut policy = default.clone();
    policy.green_at_bp = 10001;
    assert_eq!(code(policy), Err("invalid_health_policy"));
    let mut policy = default.clone();
    policy.callback_due_hours = 0;
    assert_eq!(code(policy), Err("invalid_health_policy"));
    let mut policy = default.clone();
    policy.risk_scripts.remove(&RiskKind::RenewalDue);
    assert_eq!(code(policy), Err("invalid_health_policy"));
    let mut policy = default.clone();
    policy.core_modules = vec!["reports".to_owned(), "crm".to_owned()];
    assert_eq!(code(policy), Err("invalid_health_policy"));
}

#[test]
fn the_policy_round_trips_through_json() {
    let policy = HealthPolicy::default_v1();
    let json = serde_json::to_value(&policy).expect("serialises");
    assert_eq!(
        json["risk_scripts"].as_object().map(|map| map.len()),
        Some(6)
    );
    assert!(json["risk_scripts"]["low_module_usage"].is_string());
    let back: HealthPolicy = serde_json::from_value(json).expect("deserialises");
    assert_eq!(back, policy);
}

#[test]
fn health_policy_publication_needs_a_newer_version() {
    let publish = |policy: HealthPolicy| ConfigCommand::PublishHealthPolicy {
        policy,
        published_by: actor("cto-zhao"),
    };
    let now = time("2027-06-01T09:00:00+08:00");
    // the default v1 itself may be published first; another v1 may not
    given_no_events::<Config>()
        .when(publish(HealthPolicy::default_v1()), now)
        .events();
    let mut other_v1 = HealthPolicy::default_v1();
    other_v1.green_at_bp = 9000;
    given_no_events::<Config>()
        .when(publish(other_v1.clone()), now)
        .then_expect_error_code("config_version_not_newer");
    let mut v2 = other_v1;
    v2.version = 2;
    let published = Event::HealthPolicyPublished(HealthPolicyPublished {
        policy: v2.clone(),
        published_by: actor("cto-zhao"),
        published_at: now,
    });
    let state = given_no_events::<Config>()
        .when(publish(v2.clone()), now)
        .then_expect_events(std::slice::from_ref(&published));
    assert_eq!(state.health_policy_in_force(), v2);
    assert_eq!(
        Config::default().health_policy_in_force(),
        HealthPolicy::default_v1()
    );
    given::<Config>(&[published])
        .when(publish(v2), now)
        .then_expect_error_code("config_version_not_newer");
}

#[test]
fn risk_list_helpers() {
    let policy = HealthPolicy::default_v1();
    let mut inputs = HealthInputs::default();
    with_usage(&mut inputs, 5, 10); // 5 days: usage 2500, 50 calls: key features 2500
    inputs.modules_used = ["crm", "reports", "bi"]
        .iter()
        .map(|raw| ModuleName::parse(raw).expect("module"))
        .collect();
    inputs.last_login_at = Some(time("2027-06-30T08:00:00+08:00"));
    let keyword = |raw: &str| Keyword::parse(raw).expect("keyword");
    inputs.keyword_searches.insert(
        as_of(),
        [(keyword("西门子"), 2), (keyword("siemens"), 1)]
            .into_iter()
            .collect(),
    );
    inputs
        .keyword_searches
        .insert(as_of() - Duration::days(3), [(keyword("西门子"), 5)].into());
    inputs
        .keyword_searches
        .insert(as_of() - Duration::days(30), [(keyword("ge"), 9)].into());
    let closes_at = time("2027-07-01T00:00:00+08:00");
    inputs.open_tickets.insert(
        TicketRef::parse("T-OLD").expect("ticket"),
        OpenTicket {
            opened_at: closes_at - Duration::hours(73),
            subject: None,
        },
    );
    inputs.open_tickets.insert(
        TicketRef::parse("T-NEW").expect("ticket"),
        OpenTicket {
            opened_at: closes_at - Duration::hours(72),
            subject: None,
        },
    );
    inputs.renewal = Some(Renewal {
        renewal_on: as_of() + Duration::days(60),
        plan: PlanName::parse("basic").expect("plan"),
    });

    assert_eq!(inputs.last_login(), Some(time("2027-06-30T08:00:00+08:00")));
    assert_eq!(
        inputs.core_modules_never_used(&policy),
        vec!["api".to_owned(), "mobile".to_owned(), "workflow".to_owned()]
    );
    assert_eq!(
        inputs.keywords_searched_30(as_of()),
        vec![
            KeywordTotal {
                keyword: keyword("siemens"),
                count: 1
            },
            KeywordTotal {
                keyword: keyword("西门子"),
                count: 7
            },
        ]
    );
    let overdue = inputs.overdue_tickets(closes_at, &policy);
    assert_eq!(overdue.len(), 1, "72 h exactly is not older than 72 h");
    assert_eq!(overdue[0].ticket_ref.as_str(), "T-OLD");
    assert_eq!(overdue[0].age_hours, 73);

    let breakdown = evaluate(&inputs, as_of(), &policy);
    // basic plan target 100: 50 calls -> 5000, not low
    assert_eq!(
        risk_kinds(&inputs, &breakdown, as_of(), closes_at, &policy),
        vec![
            RiskKind::LowUsage,
            RiskKind::LowModuleUsage,
            RiskKind::OverdueTickets,
            RiskKind::RenewalDue,
            RiskKind::CompetitorInterest,
        ]
    );
    // a healthy account has no risk
    let mut healthy = HealthInputs::default();
    with_usage(&mut healthy, 30, 10);
    healthy.modules_used = policy
        .core_modules
        .iter()
        .map(|raw| ModuleName::parse(raw).expect("module"))
        .collect();
    let breakdown = evaluate(&healthy, as_of(), &policy);
    assert!(risk_kinds(&healthy, &breakdown, as_of(), closes_at, &policy).is_empty());
    for kind in RiskKind::ALL {
        assert!(!policy.script(kind).is_empty());
    }
}

fn inputs_strategy() -> impl Strategy<Value = (HealthInputs, HealthPolicy)> {
    (
        prop::collection::btree_map(0i64..120, (0u32..5, 0u32..500), 0..40),
        prop::option::of(0u64..400_000),
        prop::option::of((-100i64..400, 0usize..3)),
        0usize..5,
        prop::sample::select(vec![
            [30u32, 25, 20, 15, 10],
            [20, 20, 20, 20, 20],
            [100, 0, 0, 0, 0],
            [0, 0, 0, 1, 99],
            [33, 33, 33, 1, 0],
        ]),
        1u32..50,
    )
        .prop_map(
            |(usage, resolution, renewal, references, weights, sla_hours)| {
                let mut inputs = HealthInputs::default();
                for (offset, (logins, calls)) in usage {
                    inputs.usage.insert(
                        as_of() - Duration::days(offset),
                        DayUsage {
                            logins,
                            key_feature_calls: calls,
                        },
                    );
                }
                if let Some(seconds) = resolution {
                    with_resolved_ticket(&mut inputs, seconds as i64);
                }
                if let Some((days, plan)) = renewal {
                    inputs.renewal = Some(Renewal {
                        renewal_on: as_of() + Duration::days(days),
                        plan: PlanName::parse(["basic", "enterprise", "unknown"][plan])
                            .expect("plan"),
                    });
                }
                with_references(&mut inputs, references);
                let mut policy = HealthPolicy::default_v1();
                policy.weights = HealthWeights {
                    usage: weights[0],
                    key_features: weights[1],
                    ticket_resolution: weights[2],
                    renewal: weights[3],
                    success_references: weights[4],
                };
                policy.targets.ticket_sla_hours = sla_hours;
                (inputs, policy)
            },
        )
}

proptest! {
    #[test]
    fn the_breakdown_always_sums_to_the_score((inputs, policy) in inputs_strategy()) {
        prop_assert!(policy.validate().is_ok());
        let breakdown = evaluate(&inputs, as_of(), &policy);
        let sum: u32 = breakdown.indicators.iter().map(|score| score.contribution_bp).sum();
        prop_assert_eq!(sum, breakdown.score_bp);
        prop_assert!(breakdown.score_bp <= 10_000);
        prop_assert_eq!(breakdown.level, policy.level_of(breakdown.score_bp));
        let order: Vec<Indicator> = breakdown.indicators.iter().map(|score| score.indicator).collect();
        prop_assert_eq!(order, Indicator::ALL.to_vec());
        for score in &breakdown.indicators {
            prop_assert!(score.normalised_bp <= 10_000);
            prop_assert_eq!(score.contribution_bp, score.normalised_bp * score.weight / 100);
        }
    }
}

/// One account input event, from small domains so that repeats, re-opened
/// tickets and pruned windows happen.
fn input_event_strategy() -> impl Strategy<Value = Event> {
    use salesledger_domain::account::*;
    let day = |offset: i64| as_of() - Duration::days(offset);
    let at = |offset: i64| time("2027-06-30T09:00:00+08:00") - Duration::days(offset);
    let ticket = |n: u8| TicketRef::parse(&format!("T-{n}")).expect("ticket");
    prop_oneof![
        (
            // Some days close together (a day listed twice), some far
            // apart (a day older than the window).
            prop::collection::vec((prop_oneof![0i64..3, 0i64..200], 0u32..2, 0u32..3), 0..4),
            prop::collection::vec(0usize..3, 0..2),
            prop::option::of(0i64..5),
        )
            .prop_map(move |(days, modules, login)| {
                Event::UsageReported(UsageReported {
                    customer_id: customer_id(1),
                    days: days
                        .into_iter()
                        .map(|(offset, logins, key_feature_calls)| DailyUsage {
                            day: day(offset),
                            logins,
                            key_feature_calls,
                        })
                        .collect(),
                    modules_used: modules
                        .into_iter()
                        .map(|n| ModuleName::parse(["crm", "bi", "api"][n]).expect("module"))
                        .collect(),
                    last_login_at: login.map(at),
                    reported_at: at(0),
                })
            }),
        (0u8..3, 0i64..2).prop_map(move |(n, offset)| {
            Event::SupportTicketOpened(SupportTicketOpened {
                customer_id: customer_id(1),
                ticket_ref: ticket(n),
                subject: None,
                opened_at: at(offset),
            })
        }),
        (0u8..3, 0i64..200, 0u64..2).prop_map(move |(n, offset, seconds)| {
            Event::SupportTicketResolved(SupportTicketResolved {
                customer_id: customer_id(1),
                ticket_ref: ticket(n),
                opened_at: at(offset + 1),
                resolved_at: at(offset),
                resolution_seconds: seconds,
            })
        }),
        (0i64..2, 0usize..2).prop_map(move |(offset, plan)| {
            Event::RenewalDateSet(RenewalDateSet {
                customer_id: customer_id(1),
                renewal_on: day(-offset),
                plan: PlanName::parse(["basic", "enterprise"][plan]).expect("plan"),
                set_at: at(0),
            })
        }),
        (0u8..3, 0i64..600).prop_map(move |(n, offset)| {
            Event::SuccessReferenceRecorded(SuccessReferenceRecorded {
                customer_id: customer_id(1),
                reference_ref: ReferenceRef::parse(&format!("REF-{n}")).expect("ref"),
                title: Text::parse("案例").expect("title"),
                referenced_on: day(offset),
                recorded_at: at(0),
            })
        }),
        prop::collection::vec((0usize..2, 0i64..150, 0u32..3), 0..3).prop_map(move |searches| {
            Event::CompetitorKeywordsSearched(CompetitorKeywordsSearched {
                customer_id: customer_id(1),
                searches: searches
                    .into_iter()
                    .map(|(keyword, offset, count)| KeywordSearch {
                        keyword: Keyword::parse(["价格", "迁移"][keyword]).expect("keyword"),
                        searched_on: day(offset),
                        count,
                    })
                    .collect(),
                recorded_at: at(0),
            })
        }),
    ]
}

proptest! {
    /// `apply` says exactly whether the inputs changed (the fold writes
    /// the row only then): never `false` for a change, never `true` for
    /// an event that left them as they were (a repeat, an entry too old
    /// for its window).
    #[test]
    fn apply_says_exactly_whether_the_inputs_changed(
        events in prop::collection::vec(input_event_strategy(), 1..40)
    ) {
        let mut inputs = HealthInputs::default();
        let mut as_before = HealthInputs::default();
        for event in &events {
            let before = inputs.clone();
            let changed = inputs.apply(event);
            prop_assert_eq!(changed, inputs != before, "{:?}", event);
            // And the inputs are what the fold that added everything, then
            // pruned, made of them.
            apply_as_before(&mut as_before, event);
            prop_assert_eq!(&inputs, &as_before, "{:?}", event);
        }
    }
}

/// The fold as it was before it said whether anything changed (add
/// every entry, then prune each window to its newest): the oracle of the
/// inputs `apply` must leave.
fn apply_as_before(inputs: &mut HealthInputs, event: &Event) {
    match event {
        Event::UsageReported(reported) => {
            for day in &reported.days {
                inputs.usage.insert(
                    day.day,
                    DayUsage {
                        logins: day.logins,
                        key_feature_calls: day.key_feature_calls,
                    },
                );
            }
            inputs
                .modules_used
                .extend(reported.modules_used.iter().cloned());
            if reported.last_login_at > inputs.last_login_at {
                inputs.last_login_at = reported.last_login_at;
            }
            if let Some(newest) = inputs.usage.keys().next_back().copied() {
                let cutoff = newest - Duration::days(89);
                inputs.usage.retain(|day, _| *day >= cutoff);
            }
        }
        Event::SupportTicketOpened(opened) => {
            inputs.open_tickets.insert(
                opened.ticket_ref.clone(),
                OpenTicket {
                    opened_at: opened.opened_at,
                    subject: opened.subject.clone(),
                },
            );
        }
        Event::SupportTicketResolved(resolved) => {
            inputs.open_tickets.remove(&resolved.ticket_ref);
            inputs.resolved_tickets.insert(
                resolved.ticket_ref.clone(),
                ResolvedTicket {
                    opened_at: resolved.opened_at,
                    resolved_at: resolved.resolved_at,
                    resolution_seconds: resolved.resolution_seconds,
                },
            );
            if let Some(newest) = inputs
                .resolved_tickets
                .values()
                .map(|ticket| local_day(ticket.resolved_at))
                .max()
            {
                let cutoff = newest - Duration::days(89 + PRUNE_MARGIN_DAYS);
                inputs
                    .resolved_tickets
                    .retain(|_, ticket| local_day(ticket.resolved_at) >= cutoff);
            }
        }
        Event::RenewalDateSet(set) => {
            inputs.renewal = Some(Renewal {
                renewal_on: set.renewal_on,
                plan: set.plan.clone(),
            });
        }
        Event::SuccessReferenceRecorded(recorded) => {
            inputs
                .success_references
                .insert(recorded.reference_ref.clone(), recorded.referenced_on);
            if let Some(newest) = inputs.success_references.values().max().copied() {
                let cutoff = newest - Duration::days(364 + PRUNE_MARGIN_DAYS);
                inputs.success_references.retain(|_, day| *day >= cutoff);
            }
        }
        Event::CompetitorKeywordsSearched(searched) => {
            for search in &searched.searches {
                let total = inputs
                    .keyword_searches
                    .entry(search.searched_on)
                    .or_default()
                    .entry(search.keyword.clone())
                    .or_default();
                *total = total.saturating_add(u64::from(search.count));
            }
            if let Some(newest) = inputs.keyword_searches.keys().next_back().copied() {
                let cutoff = newest - Duration::days(29 + PRUNE_MARGIN_DAYS);
                inputs.keyword_searches.retain(|day, _| *day >= cutoff);
            }
        }
        _ => {}
    }
}
