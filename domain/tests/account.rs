//! C7 account: inputs, the day-close health evaluation and its process
//! decisions (call-back met and missed, success case, red freeze and CTO
//! rescue), idempotent re-evaluation, and the input rules.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use salesledger_domain::account::*;
use salesledger_domain::customer::PoolPolicy;
use salesledger_domain::event::Event;
use salesledger_domain::health::*;
use salesledger_domain::role::{authorise, CommandKind, Role};
use salesledger_domain::testing::{given, given_no_events};
use salesledger_domain::value::*;
use salesledger_domain::Aggregate;

use crate::support::*;

fn customer() -> CustomerId {
    customer_id(7)
}

fn closes_at(day: NaiveDate) -> DateTime<Utc> {
    PoolPolicy::default_v1().day_closes_at(day)
}

fn evaluate_on(day: NaiveDate, owner: Option<RepId>) -> AccountCommand {
    AccountCommand::EvaluateHealth {
        customer_id: customer(),
        day,
        closes_at: closes_at(day),
        policy: HealthPolicy::default_v1(),
        owner,
    }
}

/// Runs commands in order, each a minute after the previous at least, and
/// returns the log.
struct AccountLog {
    events: Vec<Event>,
}

impl AccountLog {
    fn new() -> Self {
        AccountLog { events: Vec::new() }
    }

    fn state(&self) -> Account {
        Account::from_events(&self.events)
    }

    fn run(&mut self, command: AccountCommand, now: DateTime<Utc>) -> Vec<Event> {
        let (events, _) = given::<Account>(&self.events).when(command, now).events();
        self.events.extend(events.clone());
        events
    }

    fn refuse(&self, command: AccountCommand, now: DateTime<Utc>, code: &str) {
        given::<Account>(&self.events)
            .when(command, now)
            .then_expect_error_code(code);
    }
}

/// 20 active days with `calls` key-feature calls each, ending on `last_day`.
fn usage(last_day: NaiveDate, calls: u32) -> AccountCommand {
    AccountCommand::ReportUsage {
        customer_id: customer(),
        days: (0..20)
            .map(|offset| DailyUsage {
                day: last_day - Duration::days(offset),
                logins: 1,
                key_feature_calls: calls,
            })
            .collect(),
        modules_used: vec![ModuleName::parse("CRM").expect("module")],
        last_login_at: None,
    }
}

fn reference(n: u32, on: NaiveDate) -> AccountCommand {
    AccountCommand::RecordSuccessReference {
        customer_id: customer(),
        reference_ref: ReferenceRef::parse(&format!("CASE-{n}")).expect("ref"),
        title: text("成功案例"),
        referenced_on: on,
    }
}

fn level_changes(events: &[Event]) -> Vec<(Option<Level>, Level, u32)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::HealthLevelChanged(changed) => {
                Some((changed.from, changed.to, changed.score_bp))
            }
            _ => None,
        })
        .collect()
}

const DAY: &str = "2027-06-10";

#[test]
fn green_pushes_a_success_case_to_the_owner_and_re_evaluating_appends_nothing() {
    let day = date(DAY);
    let now = closes_at(day) + Duration::minutes(5);
    let mut account = AccountLog::new();
    // 8500: usage 3000 + key features 2500 + no tickets 2000 + 2 references 1000
    account.run(usage(day, 10), now - Duration::hours(12));
    account.run(reference(1, day), now - Duration::hours(12));
    account.run(reference(2, day), now - Duration::hours(12));
    let events = account.run(evaluate_on(day, Some(rep_id(1))), now);
    let Some(Event::HealthLevelChanged(changed)) = events.first() else {
        panic!("expected a level change, got {events:?}");
    };
    assert_eq!(
        (changed.from, changed.to, changed.score_bp),
        (None, Level::Green, 8500)
    );
    assert_eq!(changed.policy_version, 1);
    assert_eq!(
        changed
            .indicators
            .iter()
            .map(|score| score.contribution_bp)
            .sum::<u32>(),
        8500
    );
    assert_eq!(
        events.get(1),
        Some(&Event::SuccessCasePushed(SuccessCasePushed {
            customer_id: customer(),
            owner: rep_id(1),
            day,
            score_bp: 8500,
        }))
    );
    assert_eq!(events.len(), 2);
    // the same day again, even later: nothing
    assert!(account
        .run(evaluate_on(day, Some(rep_id(1))), now + Duration::hours(1))
        .is_empty());
    // the next day, still green: nothing
    assert!(account
        .run(
            evaluate_on(day + Duration::days(1), Some(rep_id(1))),
            now + Duration::days(1)
        )
        .is_empty());
}

#[test]
fn green_without_an_owner_pushes_nothing() {
    let day = date(DAY);
    let now = closes_at(day);
    let mut account = AccountLog::new();
    account.run(usage(day, 10), now - Duration::hours(1));
    account.run(reference(1, day), now - Duration::hours(1));
    account.run(reference(2, day), now - Duration::hours(1));
    let events = account.run(evaluate_on(day, None), now);
    assert_eq!(level_changes(&events), vec![(None, Level::Green, 8500)]);
    assert_eq!(events.len(), 1);
}

#[test]
fn evaluating_before_the_day_closes_is_refused() {
    let day = date(DAY);
    given_no_events::<Account>()
        .when(
            evaluate_on(day, None),
            closes_at(day) - Duration::seconds(1),
        )
        .then_expect_error(salesledger_domain::DomainError::DayNotClosedYet { day });
}

/// A yellow account on `DAY` (7000: usage 3000, key features 160 calls ->
/// 2000, no tickets 2000) with its call-back task.
/// Yellow on `DAY` (7500: 20 active days with 10 key-feature calls, no
/// references); two references would make it green (8500).
fn yellow_on_day() -> AccountLog {
    let day = date(DAY);
    let mut account = AccountLog::new();
    account.run(usage(day, 10), closes_at(day) - Duration::hours(2));
    let events = account.run(evaluate_on(day, Some(rep_id(1))), closes_at(day));
    assert_eq!(level_changes(&events), vec![(None, Level::Yellow, 7500)]);
    assert_eq!(account.state().evaluated_through, Some(day));
    account
}

#[test]
fn a_day_evaluated_again_appends_nothing_whatever_the_inputs_are_now() {
    let day = date(DAY);
    let mut account = yellow_on_day();
    // Two references dated that day, recorded after it closed: its
    // evaluation now would say green.
    let later = closes_at(day) + Duration::hours(1);
    account.run(reference(1, day), later);
    account.run(reference(2, day), later);
    let again = account.run(
        evaluate_on(day, Some(rep_id(1))),
        later + Duration::hours(1),
    );
    assert_eq!(again, Vec::<Event>::new(), "the day was decided");
    // The next day sees them.
    let next = day + Duration::days(1);
    let events = account.run(evaluate_on(next, Some(rep_id(1))), closes_at(next));
    assert_eq!(
        level_changes(&events),
        vec![(Some(Level::Yellow), Level::Green, 8500)]
    );
}

#[test]
fn an_earlier_day_evaluated_after_a_later_one_appends_nothing() {
    let day = date(DAY);
    let next = day + Duration::days(1);
    let mut account = yellow_on_day();
    // References dated the next day: green as of the next day only.
    let later = closes_at(day) + Duration::hours(1);
    account.run(reference(1, next), later);
    account.run(reference(2, next), later);
    let events = account.run(evaluate_on(next, Some(rep_id(1))), closes_at(next));
    assert_eq!(
        level_changes(&events),
        vec![(Some(Level::Yellow), Level::Green, 8500)]
    );
    assert!(matches!(
        events.get(1),
        Some(Event::SuccessCasePushed(SuccessCasePushed { day: pushed, .. })) if *pushed == next
    ));
    let state = account.state();
    assert_eq!(
        (state.level_day, state.evaluated_through),
        (Some(next), Some(next))
    );
    // The first day again (a day close of an old day): as of that day the
    // references do not count (yellow), but it was decided before the
    // next day was; nothing, whatever the policy now.
    let mut policy = HealthPolicy::default_v1();
    policy.version = 2;
    policy.green_at_bp = 9000;
    let old_day = AccountCommand::EvaluateHealth {
        customer_id: customer(),
        day,
        closes_at: closes_at(day),
        policy,
        owner: Some(rep_id(1)),
    };
    assert_eq!(
        account.run(old_day, closes_at(next) + Duration::hours(3)),
        Vec::<Event>::new()
    );
    assert_eq!(account.state().level, Some(Level::Green));
}

#[test]
fn every_event_an_evaluation_appends_marks_its_day_evaluated() {
    // A missed call-back alone (no level change) marks its day, not the
    // level's.
    let (mut account, _, _) = yellow_account();
    let day = date(DAY);
    let third = day + Duration::days(2);
    let events = account.run(evaluate_on(third, None), closes_at(third));
    assert!(matches!(events.as_slice(), [Event::CallbackTaskMissed(_)]));
    let state = account.state();
    assert_eq!(state.level_day, Some(day));
    assert_eq!(state.evaluated_through, Some(third));
    assert!(state.was_evaluated(third) && state.was_evaluated(day));
    assert!(!state.was_evaluated(third + Duration::days(1)));
    // The fold keeps the latest day whatever the order of a log's events
    // (a log written before evaluations were kept in order).
    let mut events = account.events.clone();
    events.push(Event::HealthLevelChanged(HealthLevelChanged {
        customer_id: customer(),
        day,
        from: Some(Level::Yellow),
        to: Level::Red,
        score_bp: 1000,
        policy_version: 1,
        indicators: Vec::new(),
    }));
    let state = Account::from_events(&events);
    assert_eq!(state.evaluated_through, Some(third));
    assert_eq!(state.level_day, Some(day));
    assert_eq!(AccountLog::new().state().evaluated_through, None);
}

fn yellow_account() -> (AccountLog, CallbackTaskId, DateTime<Utc>) {
    let day = date(DAY);
    let mut account = AccountLog::new();
    account.run(usage(day, 8), closes_at(day) - Duration::hours(2));
    let events = account.run(evaluate_on(day, Some(rep_id(1))), closes_at(day));
    assert_eq!(level_changes(&events), vec![(None, Level::Yellow, 7000)]);
    let task_id = callback_task_id(customer(), day);
    let due_at = closes_at(day) + Duration::hours(48);
    assert_eq!(
        events.get(1),
        Some(&Event::CallbackTaskCreated(CallbackTaskCreated {
            task_id,
            customer_id: customer(),
            day,
            due_at,
            assigned_role: Role::Csm,
        }))
    );
    assert_eq!(
        task_id.as_uuid(),
        uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("callback:{}:{DAY}", customer()).as_bytes()
        )
    );
    (account, task_id, due_at)
}

fn complete(task_id: CallbackTaskId) -> AccountCommand {
    AccountCommand::CompleteCallback {
        customer_id: customer(),
        task_id,
        note: Some(text("已回访")),
        completed_by: actor("csm-zhou"),
    }
}

#[test]
fn yellow_callback_completed_before_it_is_due_is_met() {
    let (mut account, task_id, due_at) = yellow_account();
    let events = account.run(complete(task_id), due_at);
    assert_eq!(
        events,
        vec![Event::CallbackTaskCompleted(CallbackTaskCompleted {
            task_id,
            customer_id: customer(),
            completed_by: actor("csm-zhou"),
            completed_at: due_at,
            due_at,
            met: true,
            note: Some(text("已回访")),
        })]
    );
    account.refuse(
        complete(task_id),
        due_at + Duration::minutes(1),
        "callback_task_already_completed",
    );
    // a completed task is never missed
    let later = date(DAY) + Duration::days(3);
    assert!(account
        .run(evaluate_on(later, None), closes_at(later))
        .is_empty());
}

#[test]
fn yellow_callback_still_open_at_a_close_after_it_is_due_is_missed() {
    let (mut account, task_id, due_at) = yellow_account();
    let day = date(DAY);
    // the next day closes before the due time: still open, nothing
    let next = day + Duration::days(1);
    assert!(account
        .run(evaluate_on(next, None), closes_at(next))
        .is_empty());
    // day + 2 closes exactly at due_at: missed
    let third = day + Duration::days(2);
    assert_eq!(closes_at(third), due_at);
    let events = account.run(evaluate_on(third, None), closes_at(third));
    assert_eq!(
        events,
        vec![Event::CallbackTaskMissed(CallbackTaskMissed {
            task_id,
            customer_id: customer(),
            due_at,
            day: third,
        })]
    );
    // missed once only
    let fourth = day + Duration::days(3);
    assert!(account
        .run(evaluate_on(fourth, None), closes_at(fourth))
        .is_empty());
    // it may still be completed, late
    let completed = account.run(complete(task_id), closes_at(fourth) + Duration::hours(1));
    assert!(matches!(
        completed.as_slice(),
        [Event::CallbackTaskCompleted(CallbackTaskCompleted {
            met: false,
            ..
        })]
    ));
    account.refuse(
        complete(CallbackTaskId::from_uuid(uuid(1))),
        closes_at(fourth) + Duration::hours(2),
        "callback_task_not_found",
    );
}

#[test]
fn red_freezes_renewal_quoting_until_a_cto_approves_a_rescue_plan() {
    let day = date(DAY);
    let mut account = AccountLog::new();
    // nothing reported: only the ticket indicator (no tickets: 2000) -> red
    let events = account.run(evaluate_on(day, Some(rep_id(1))), closes_at(day));
    assert_eq!(level_changes(&events), vec![(None, Level::Red, 2000)]);
    assert_eq!(
        events.get(1),
        Some(&Event::RenewalQuotingFrozen(RenewalQuotingFrozen {
            customer_id: customer(),
            day,
            score_bp: 2000,
        }))
    );
    let now = closes_at(day) + Duration::hours(1);
    let quote = |n: u128| AccountCommand::QuoteRenewal {
        customer_id: customer(),
        quote_id: QuoteId::from_uuid(uuid(0x8100 + n)),
        amount_fen: 9_800_000,
        valid_until: day + Duration::days(30),
        quoted_by: actor("rep-1"),
    };
    given::<Account>(&account.events)
        .when(quote(1), now)
        .then_expect_error(salesledger_domain::DomainError::RenewalQuotingFrozen {
            customer_id: customer(),
            since: day,
        });
    let plan_id = RescuePlanId::from_uuid(uuid(0x8001));
    let approve = AccountCommand::ApproveRescuePlan {
        customer_id: customer(),
        plan_id,
        approved_by: actor("cto-zhao"),
    };
    account.refuse(approve.clone(), now, "rescue_plan_not_found");
    // only the CTO role may approve
    assert_eq!(
        authorise(Role::Supervisor, CommandKind::ApproveRescuePlan).map_err(|e| e.code()),
        Err("forbidden")
    );
    assert_eq!(authorise(Role::Cto, CommandKind::ApproveRescuePlan), Ok(()));
    assert_eq!(
        Account::command_kind(&approve),
        CommandKind::ApproveRescuePlan
    );
    account.run(
        AccountCommand::SubmitRescuePlan {
            customer_id: customer(),
            plan_id,
            summary: text("两周内完成培训"),
            submitted_by: actor("csm-zhou"),
        },
        now,
    );
    // still frozen after the submission
    account.refuse(quote(1), now, "renewal_quoting_frozen");
    let events = account.run(approve.clone(), now + Duration::minutes(5));
    assert_eq!(
        events,
        vec![
            Event::RescuePlanApproved(RescuePlanApproved {
                plan_id,
                customer_id: customer(),
                approved_by: actor("cto-zhao"),
                approved_at: now + Duration::minutes(5),
            }),
            Event::RenewalQuotingUnfrozen(RenewalQuotingUnfrozen {
                customer_id: customer(),
                plan_id,
                unfrozen_at: now + Duration::minutes(5),
            }),
        ]
    );
    assert_eq!(account.state().frozen_since, None);
    account.refuse(approve, now, "rescue_plan_already_approved");
    let quoted = account.run(quote(1), now + Duration::minutes(6));
    assert!(matches!(quoted.as_slice(), [Event::RenewalQuoted(_)]));
    account.refuse(quote(1), now, "quote_already_recorded");
    // still red the next day: no new freeze (the level did not change)
    let next = day + Duration::days(1);
    assert!(account
        .run(evaluate_on(next, None), closes_at(next))
        .is_empty());
    // a rescue plan needs a freeze
    account.refuse(
        AccountCommand::SubmitRescuePlan {
            customer_id: customer(),
            plan_id: RescuePlanId::from_uuid(uuid(0x8002)),
            summary: text("再来一次"),
            submitted_by: actor("csm-zhou"),
        },
        now,
        "not_frozen",
    );
}

#[test]
fn a_rescue_plan_of_an_earlier_freeze_does_not_lift_a_later_one() {
    let day = date(DAY);
    let mut account = AccountLog::new();
    let plan = |n: u128| RescuePlanId::from_uuid(uuid(0x8200 + n));
    let submit = |n: u128| AccountCommand::SubmitRescuePlan {
        customer_id: customer(),
        plan_id: plan(n),
        summary: text("两周内完成培训"),
        submitted_by: actor("csm-zhou"),
    };
    let approve = |n: u128| AccountCommand::ApproveRescuePlan {
        customer_id: customer(),
        plan_id: plan(n),
        approved_by: actor("cto-zhao"),
    };
    // Red: frozen. Two plans; the first approved lifts the freeze.
    account.run(evaluate_on(day, None), closes_at(day));
    let now = closes_at(day) + Duration::hours(1);
    account.run(submit(1), now);
    account.run(submit(2), now);
    account.run(approve(1), now + Duration::minutes(5));
    assert_eq!(account.state().frozen_since, None);
    // Yellow the next day, red again once the usage is 30 days old.
    account.run(usage(day, 8), now + Duration::hours(1));
    let next = day + Duration::days(1);
    account.run(evaluate_on(next, None), closes_at(next));
    let later = day + Duration::days(40);
    let events = account.run(evaluate_on(later, None), closes_at(later));
    assert!(
        events
            .iter()
            .any(|event| matches!(event, Event::RenewalQuotingFrozen(_))),
        "red again: frozen again: {events:?}"
    );
    // The plan left from the first freeze does not lift this one ...
    let after = closes_at(later) + Duration::hours(1);
    account.refuse(approve(2), after, "rescue_plan_of_earlier_freeze");
    assert_eq!(account.state().frozen_since, Some(later));
    // ... a plan submitted for it does.
    account.run(submit(3), after);
    let events = account.run(approve(3), after + Duration::minutes(5));
    assert!(matches!(
        events.as_slice(),
        [
            Event::RescuePlanApproved(_),
            Event::RenewalQuotingUnfrozen(_)
        ]
    ));
}

#[test]
fn a_level_round_trip_creates_one_callback_per_yellow_turn() {
    let day = date(DAY);
    let mut account = AccountLog::new();
    // red first
    account.run(evaluate_on(day, None), closes_at(day));
    // then yellow: a call-back
    account.run(usage(day, 8), closes_at(day) + Duration::hours(1));
    let next = day + Duration::days(1);
    let events = account.run(evaluate_on(next, None), closes_at(next));
    assert_eq!(
        level_changes(&events),
        vec![(Some(Level::Red), Level::Yellow, 7000)]
    );
    assert!(events
        .iter()
        .any(|event| matches!(event, Event::CallbackTaskCreated(_))));
    assert_eq!(
        account.state().frozen_since,
        Some(day),
        "turning yellow does not unfreeze"
    );
}

#[test]
fn tickets_open_and_resolve_once_each() {
    let now = time("2027-06-10T12:00:00+08:00");
    let mut account = AccountLog::new();
    let ticket = TicketRef::parse("T-77").expect("ticket");
    let open = AccountCommand::OpenTicket {
        customer_id: customer(),
        ticket_ref: ticket.clone(),
        opened_at: now - Duration::hours(2),
        subject: Some(text("打印失败")),
    };
    account.run(open.clone(), now);
    account.refuse(open, now, "ticket_already_recorded");
    let resolve = |at| AccountCommand::ResolveTicket {
        customer_id: customer(),
        ticket_ref: ticket.clone(),
        resolved_at: at,
    };
    account.refuse(
        resolve(now - Duration::hours(3)),
        now,
        "resolved_before_opened",
    );
    account.refuse(resolve(now + Duration::hours(1)), now, "occurs_in_future");
    let events = account.run(resolve(now), now);
    assert_eq!(
        events,
        vec![Event::SupportTicketResolved(SupportTicketResolved {
            customer_id: customer(),
            ticket_ref: ticket.clone(),
            opened_at: now - Duration::hours(2),
            resolved_at: now,
            resolution_seconds: 7200,
        })]
    );
    account.refuse(resolve(now), now, "ticket_already_resolved");
    account.refuse(
        AccountCommand::ResolveTicket {
            customer_id: customer(),
            ticket_ref: TicketRef::parse("T-78").expect("ticket"),
            resolved_at: now,
        },
        now,
        "ticket_not_found",
    );
    let state = account.state();
    assert!(state.inputs.open_tickets.is_empty());
    assert_eq!(state.inputs.resolved_tickets.len(), 1);
}

#[test]
fn usage_reports_are_validated_and_folded() {
    let now = time("2027-06-10T12:00:00+08:00");
    let today = date("2027-06-10");
    let day = |offset: i64| DailyUsage {
        day: today - Duration::days(offset),
        logins: 3,
        key_feature_calls: 7,
    };
    let report = |days: Vec<DailyUsage>| AccountCommand::ReportUsage {
        customer_id: customer(),
        days,
        modules_used: vec![
            ModuleName::parse("reports").expect("module"),
            ModuleName::parse("crm").expect("module"),
            ModuleName::parse("CRM").expect("module"),
        ],
        last_login_at: Some(now - Duration::hours(1)),
    };
    let mut account = AccountLog::new();
    account.refuse(report(vec![]), now, "invalid_usage_report");
    account.refuse(
        report((0..32).map(day).collect()),
        now,
        "invalid_usage_report",
    );
    account.refuse(report(vec![day(1), day(1)]), now, "invalid_usage_report");
    account.refuse(report(vec![day(-1)]), now, "date_in_future");
    let events = account.run(report(vec![day(0), day(1)]), now);
    let Some(Event::UsageReported(reported)) = events.first() else {
        panic!("expected UsageReported");
    };
    assert_eq!(
        reported
            .modules_used
            .iter()
            .map(ModuleName::as_str)
            .collect::<Vec<_>>(),
        vec!["crm", "reports"],
        "modules are normalised, sorted and unique"
    );
    let state = account.state();
    assert_eq!(state.customer_id, Some(customer()));
    assert_eq!(state.inputs.usage.len(), 2);
    assert_eq!(state.inputs.last_login(), Some(now - Duration::hours(1)));
    // another customer's command on this stream is refused
    given::<Account>(&account.events)
        .when(
            AccountCommand::SetRenewal {
                customer_id: customer_id(8),
                renewal_on: today,
                plan: PlanName::parse("basic").expect("plan"),
            },
            now,
        )
        .then_expect_error_code("account_customer_mismatch");
}

#[test]
fn keyword_searches_renewal_and_references_follow_their_rules() {
    let now = time("2027-06-10T12:00:00+08:00");
    let today = date("2027-06-10");
    let mut account = AccountLog::new();
    let search = |count: u32, on: NaiveDate| KeywordSearch {
        keyword: Keyword::parse("西门子").expect("keyword"),
        searched_on: on,
        count,
    };
    let record = |searches| AccountCommand::RecordKeywordSearches {
        customer_id: customer(),
        searches,
    };
    account.refuse(record(vec![]), now, "invalid_keyword_searches");
    account.refuse(
        record(vec![search(0, today)]),
        now,
        "invalid_keyword_searches",
    );
    account.refuse(
        record(vec![search(1, today + Duration::days(1))]),
        now,
        "date_in_future",
    );
    account.run(record(vec![search(2, today), search(3, today)]), now);
    assert_eq!(
        account.state().inputs.keywords_searched_30(today),
        vec![KeywordTotal {
            keyword: Keyword::parse("西门子").expect("keyword"),
            count: 5
        }]
    );
    let renewal = AccountCommand::SetRenewal {
        customer_id: customer(),
        renewal_on: today + Duration::days(90),
        plan: PlanName::parse("Standard").expect("plan"),
    };
    assert_eq!(account.run(renewal.clone(), now).len(), 1);
    assert!(
        account.run(renewal, now).is_empty(),
        "the same renewal again changes nothing"
    );
    account.run(reference(1, today), now);
    account.refuse(
        reference(1, today),
        now,
        "success_reference_already_recorded",
    );
    account.refuse(
        reference(2, today + Duration::days(1)),
        now,
        "date_in_future",
    );
}

#[test]
fn value_rules_of_refs_and_names() {
    assert!(TicketRef::parse("INC-2027:0001_a.b").is_ok());
    assert_eq!(
        TicketRef::parse("T 1").map_err(|error| error.code()),
        Err("invalid_ticket_ref")
    );
    assert_eq!(
        TicketRef::parse(&"x".repeat(65)).map_err(|error| error.code()),
        Err("invalid_ticket_ref")
    );
    assert_eq!(
        PaymentRef::parse("").map_err(|error| error.code()),
        Err("invalid_payment_ref")
    );
    assert_eq!(
        PlanName::parse(&"p".repeat(33)).map_err(|error| error.code()),
        Err("invalid_plan_name")
    );
    assert_eq!(
        PlanName::parse(" Enterprise ").map(|plan| plan.as_str().to_owned()),
        Ok("enterprise".to_owned())
    );
    assert!(serde_json::from_value::<TicketRef>(serde_json::json!("bad ref")).is_err());
}
