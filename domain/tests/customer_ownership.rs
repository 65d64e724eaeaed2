//! C3: one owner per customer, claims, transfers, releases, recalls and the
//! public-pool (公海池) rule at day close.

use chrono::{DateTime, Utc};
use salesledger_domain::customer::*;
use salesledger_domain::error::DomainError;
use salesledger_domain::event::Event;
use salesledger_domain::testing::given;
use salesledger_domain::Aggregate;

use crate::support::*;

fn claimed_at() -> DateTime<Utc> {
    time("2027-01-04T10:00:00+08:00")
}

fn claimed_by(n: u128) -> Event {
    Event::CustomerClaimed(CustomerClaimed {
        customer_id: customer_id(1),
        rep_id: rep_id(n),
        claimed_at: claimed_at(),
        protected_until: time("2027-02-03T10:00:00+08:00"),
        maximum_protected_until: time("2027-04-04T10:00:00+08:00"),
        policy_version: 1,
    })
}

fn owned_by(n: u128) -> Vec<Event> {
    vec![
        customer_registered(1, "宁波精工机械有限公司"),
        claimed_by(n),
    ]
}

fn claim(n: u128) -> CustomerCommand {
    CustomerCommand::Claim(ClaimCustomer {
        rep_id: rep_id(n),
        policy: pool_policy(),
    })
}

fn close_day(day: &str) -> CustomerCommand {
    CustomerCommand::CloseDay(CloseDay {
        day: date(day),
        policy: pool_policy(),
    })
}

/// The instant the local (UTC+8) day closes.
fn end_of(day: &str) -> DateTime<Utc> {
    pool_policy().day_closes_at(date(day))
}

fn follow_up(n: u128, kind: FollowUpKind, at: &str) -> CustomerCommand {
    CustomerCommand::RecordFollowUp(RecordFollowUp {
        rep_id: rep_id(n),
        kind,
        occurred_at: time(at),
        visit_id: None,
        policy: pool_policy(),
    })
}

/// Decides and appends, returning the new history.
fn run(history: &[Event], command: CustomerCommand, now: DateTime<Utc>) -> Vec<Event> {
    let (events, _) = given::<Customer>(history).when(command, now).events();
    let mut next = history.to_vec();
    next.extend(events);
    next
}

#[test]
fn a_rep_claims_a_customer_from_the_pool() {
    given::<Customer>(&[customer_registered(1, "宁波精工机械有限公司")])
        .when(claim(1), claimed_at())
        .then_expect_events(&[claimed_by(1)]);
}

#[test]
fn claim_on_an_owned_customer_conflicts_naming_the_owner() {
    let error = given::<Customer>(&owned_by(1))
        .when(claim(2), time("2027-01-05T10:00:00+08:00"))
        .then_expect_error_code("customer_already_owned");
    assert_eq!(
        error,
        DomainError::CustomerAlreadyOwned {
            customer_id: customer_id(1),
            owner: rep_id(1),
        }
    );
    assert_eq!(error.kind(), salesledger_domain::ErrorKind::Conflict);
    assert!(
        error.to_string().contains(&rep_id(1).to_string()),
        "the message names the owner"
    );
}

#[test]
fn claim_on_an_unknown_customer_is_not_found() {
    given::<Customer>(&[])
        .when(claim(1), claimed_at())
        .then_expect_error_code("customer_not_found");
}

#[test]
fn transfer_is_explicit_and_recorded() {
    let now = time("2027-01-10T09:00:00+08:00");
    let state = given::<Customer>(&owned_by(1))
        .when(
            CustomerCommand::Transfer(TransferCustomer {
                to_rep_id: rep_id(2),
                transferred_by: actor("sup-wang"),
                reason: text("rep 1 moved to the automotive team"),
                policy: pool_policy(),
            }),
            now,
        )
        .then_expect_events(&[Event::CustomerTransferred(CustomerTransferred {
            customer_id: customer_id(1),
            from_rep_id: Some(rep_id(1)),
            to_rep_id: rep_id(2),
            transferred_by: actor("sup-wang"),
            reason: text("rep 1 moved to the automotive team"),
            transferred_at: now,
            protected_until: time("2027-02-09T09:00:00+08:00"),
            maximum_protected_until: time("2027-04-10T09:00:00+08:00"),
            policy_version: 1,
        })]);
    assert_eq!(state.owner(), Some(rep_id(2)));
    given::<Customer>(&owned_by(1))
        .when(
            CustomerCommand::Transfer(TransferCustomer {
                to_rep_id: rep_id(1),
                transferred_by: actor("sup-wang"),
                reason: text("no-op"),
                policy: pool_policy(),
            }),
            now,
        )
        .then_expect_error(DomainError::TransferToCurrentOwner { rep_id: rep_id(1) });
}

#[test]
fn only_the_owner_releases_and_a_supervisor_recalls() {
    let now = time("2027-01-10T09:00:00+08:00");
    given::<Customer>(&owned_by(1))
        .when(
            CustomerCommand::Release(ReleaseCustomer { rep_id: rep_id(2) }),
            now,
        )
        .then_expect_error(DomainError::NotCustomerOwner {
            rep_id: rep_id(2),
            owner: Some(rep_id(1)),
        });
    let state = given::<Customer>(&owned_by(1))
        .when(
            CustomerCommand::Release(ReleaseCustomer { rep_id: rep_id(1) }),
            now,
        )
        .then_expect_events(&[Event::CustomerReleased(CustomerReleased {
            customer_id: customer_id(1),
            rep_id: rep_id(1),
            released_at: now,
        })]);
    assert_eq!(state.owner(), None);
    let recall = || {
        CustomerCommand::RecallToPool(RecallCustomerToPool {
            recalled_by: actor("sup-wang"),
            reason: text("no activity on a key account"),
        })
    };
    let state = given::<Customer>(&owned_by(1))
        .when(recall(), now)
        .then_expect_events(&[Event::CustomerRecalledToPool(CustomerRecalledToPool {
            customer_id: customer_id(1),
            previous_owner: rep_id(1),
            recalled_by: actor("sup-wang"),
            reason: text("no activity on a key account"),
            recalled_at: now,
        })]);
    assert_eq!(state.owner(), None);
    given::<Customer>(&[customer_registered(1, "宁波精工机械有限公司")])
        .when(recall(), now)
        .then_expect_error(DomainError::CustomerNotOwned {
            customer_id: customer_id(1),
        });
    // once back in the pool, another rep can claim it
    let history = run(&owned_by(1), recall(), now);
    let (events, state) = given::<Customer>(&history).when(claim(2), now).events();
    assert_eq!(events.len(), 1);
    assert_eq!(state.owner(), Some(rep_id(2)));
}

#[test]
fn pool_returns_an_owned_customer_after_30_days_without_follow_up_not_before() {
    given::<Customer>(&owned_by(1))
        .when(close_day("2027-02-02"), end_of("2027-02-02"))
        .then_expect_events(&[]);
    let state = given::<Customer>(&owned_by(1))
        .when(close_day("2027-02-03"), end_of("2027-02-03"))
        .then_expect_events(&[Event::CustomerReturnedToPool(CustomerReturnedToPool {
            customer_id: customer_id(1),
            previous_owner: rep_id(1),
            rule: PoolReturnRule::NoFollowUpWithinProtectionPeriod,
            policy_version: 1,
            protected_until: time("2027-02-03T10:00:00+08:00"),
            last_qualifying_follow_up_at: None,
            day_closed: date("2027-02-03"),
            returned_at: end_of("2027-02-03"),
        })]);
    assert_eq!(state.owner(), None);
    // an unowned customer stays in the pool quietly
    given::<Customer>(&[customer_registered(1, "宁波精工机械有限公司")])
        .when(close_day("2027-02-03"), end_of("2027-02-03"))
        .then_expect_events(&[]);
}

#[test]
fn a_day_cannot_be_closed_before_it_ends() {
    given::<Customer>(&owned_by(1))
        .when(close_day("2027-02-03"), time("2027-02-03T23:59:59+08:00"))
        .then_expect_error(DomainError::DayNotClosedYet {
            day: date("2027-02-03"),
        });
}

/// The `FollowUpRecorded` that ends `history`.
fn last_follow_up(history: &[Event]) -> &FollowUpRecorded {
    match history.last() {
        Some(Event::FollowUpRecorded(recorded)) => recorded,
        other => panic!("expected FollowUpRecorded, got {other:?}"),
    }
}

#[test]
fn a_qualifying_follow_up_extends_protection() {
    let history = run(
        &owned_by(1),
        follow_up(1, FollowUpKind::Call, "2027-01-25T10:00:00+08:00"),
        time("2027-01-25T10:05:00+08:00"),
    );
    let recorded = last_follow_up(&history);
    assert!(recorded.qualifying);
    assert_eq!(
        recorded.protected_until,
        Some(time("2027-02-24T10:00:00+08:00"))
    );
    given::<Customer>(&history)
        .when(close_day("2027-02-03"), end_of("2027-02-03"))
        .then_expect_events(&[]);
    given::<Customer>(&history)
        .when(close_day("2027-02-23"), end_of("2027-02-23"))
        .then_expect_events(&[]);
    let (events, _) = given::<Customer>(&history)
        .when(close_day("2027-02-24"), end_of("2027-02-24"))
        .events();
    assert!(matches!(
        events.as_slice(),
        [Event::CustomerReturnedToPool(CustomerReturnedToPool {
            rule: PoolReturnRule::NoFollowUpWithinProtectionPeriod,
            ..
        })]
    ));
}

#[test]
fn a_follow_up_after_protection_ran_out_does_not_bring_it_back() {
    // Protection runs to 2027-02-03T10:00+08:00 (owned_by: 30 days). A call
    // that afternoon, recorded before the day closes, is outside the period
    // (C3): it is recorded, does not qualify, and the day close returns the
    // customer, as a close run before the call would have.
    let history = run(
        &owned_by(1),
        follow_up(1, FollowUpKind::Call, "2027-02-03T15:00:00+08:00"),
        time("2027-02-03T15:05:00+08:00"),
    );
    let recorded = last_follow_up(&history);
    assert!(!recorded.qualifying);
    assert_eq!(recorded.protected_until, None);
    let (events, _) = given::<Customer>(&history)
        .when(close_day("2027-02-03"), end_of("2027-02-03"))
        .events();
    assert!(matches!(
        events.as_slice(),
        [Event::CustomerReturnedToPool(CustomerReturnedToPool {
            rule: PoolReturnRule::NoFollowUpWithinProtectionPeriod,
            ..
        })]
    ));
    // The last moment of the period still counts.
    let history = run(
        &owned_by(1),
        follow_up(1, FollowUpKind::Call, "2027-02-03T10:00:00+08:00"),
        time("2027-02-03T15:05:00+08:00"),
    );
    let recorded = last_follow_up(&history);
    assert!(recorded.qualifying);
}

#[test]
fn follow_ups_that_do_not_qualify_do_not_extend() {
    // an e-mail is not a qualifying kind under the default policy
    let history = run(
        &owned_by(1),
        follow_up(1, FollowUpKind::Email, "2027-01-25T10:00:00+08:00"),
        time("2027-01-25T10:05:00+08:00"),
    );
    // a visit by a rep who is not the owner does not protect the owner
    let history = run(
        &history,
        follow_up(2, FollowUpKind::Visit, "2027-01-26T10:00:00+08:00"),
        time("2027-01-26T10:05:00+08:00"),
    );
    for event in &history[2..] {
        let Event::FollowUpRecorded(recorded) = event else {
            panic!("expected FollowUpRecorded");
        };
        assert!(!recorded.qualifying);
        assert_eq!(recorded.protected_until, None);
    }
    let (events, _) = given::<Customer>(&history)
        .when(close_day("2027-02-03"), end_of("2027-02-03"))
        .events();
    assert_eq!(events.len(), 1, "returned to the pool on day 30");
}

#[test]
fn protection_is_capped_at_the_maximum_period() {
    let mut history = owned_by(1);
    for at in [
        "2027-01-24T10:00:00+08:00",
        "2027-02-13T10:00:00+08:00",
        "2027-03-05T10:00:00+08:00",
        "2027-03-25T10:00:00+08:00",
    ] {
        history = run(&history, follow_up(1, FollowUpKind::Visit, at), time(at));
    }
    let state = Customer::from_events(&history);
    let ownership = state.ownership.expect("owned");
    // 2027-03-25 + 30 days would be 2027-04-24; the maximum is claim + 90 days.
    assert_eq!(ownership.protected_until, time("2027-04-04T10:00:00+08:00"));
    given::<Customer>(&history)
        .when(close_day("2027-04-03"), end_of("2027-04-03"))
        .then_expect_events(&[]);
    let (events, _) = given::<Customer>(&history)
        .when(close_day("2027-04-04"), end_of("2027-04-04"))
        .events();
    let [Event::CustomerReturnedToPool(returned)] = events.as_slice() else {
        panic!("expected CustomerReturnedToPool, got {events:?}");
    };
    assert_eq!(
        returned.rule,
        PoolReturnRule::MaximumProtectionPeriodReached
    );
    assert_eq!(
        returned.last_qualifying_follow_up_at,
        Some(time("2027-03-25T10:00:00+08:00"))
    );
}

#[test]
fn pool_policy_is_data() {
    let policy = PoolPolicy {
        version: 2,
        protection_days: 7,
        extension_days: 7,
        maximum_protection_days: 14,
        qualifying_follow_up_kinds: [FollowUpKind::Email].into_iter().collect(),
        day_close_utc_offset_minutes: 0,
    };
    let (events, _) = given::<Customer>(&[customer_registered(1, "宁波精工机械有限公司")])
        .when(
            CustomerCommand::Claim(ClaimCustomer {
                rep_id: rep_id(1),
                policy: policy.clone(),
            }),
            time("2027-01-04T10:00:00Z"),
        )
        .events();
    let [Event::CustomerClaimed(claimed)] = events.as_slice() else {
        panic!("expected CustomerClaimed");
    };
    assert_eq!(claimed.protected_until, time("2027-01-11T10:00:00Z"));
    assert_eq!(
        claimed.maximum_protected_until,
        time("2027-01-18T10:00:00Z")
    );
    assert_eq!(claimed.policy_version, 2);
    let incoherent = PoolPolicy {
        maximum_protection_days: 3,
        ..policy
    };
    given::<Customer>(&[customer_registered(1, "宁波精工机械有限公司")])
        .when(
            CustomerCommand::Claim(ClaimCustomer {
                rep_id: rep_id(1),
                policy: incoherent,
            }),
            time("2027-01-04T10:00:00Z"),
        )
        .then_expect_error_code("invalid_rule_set");
}

#[test]
fn tracking_consent_is_recorded_on_the_customer() {
    let now = time("2027-01-05T10:00:00+08:00");
    let state = given::<Customer>(&owned_by(1))
        .when(
            CustomerCommand::RecordTrackingConsent(RecordTrackingConsent {
                consent_text: text("同意追踪方案链接打开情况"),
            }),
            now,
        )
        .then_expect_events(&[Event::TrackingConsentRecorded(TrackingConsentRecorded {
            customer_id: customer_id(1),
            consent_text: text("同意追踪方案链接打开情况"),
            recorded_at: now,
        })]);
    assert_eq!(state.tracking_consent_recorded_at, Some(now));
}
