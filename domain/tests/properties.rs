//! Property tests: normalisation is idempotent, the extractor never panics,
//! and ownership follows a tiny reference model over random command
//! sequences (sled's `prop_tree_matches_btreemap` in spirit).

use chrono::Duration;
use proptest::prelude::*;
use salesledger_domain::customer::*;
use salesledger_domain::error::DomainError;
use salesledger_domain::extraction::extract;
use salesledger_domain::value::*;
use salesledger_domain::Aggregate;

use crate::support::*;

fn name_fragment() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("有限公司".to_owned()),
            Just("股份".to_owned()),
            Just("公司".to_owned()),
            Just(" Co., Ltd.".to_owned()),
            Just(" Inc".to_owned()),
            Just("ltd".to_owned()),
            Just("（中国）".to_owned()),
            Just("　".to_owned()),
            Just("ＡＢＣ".to_owned()),
            "[a-zA-Z0-9 .,()-]{0,6}",
            "[\\u{4e00}-\\u{4e20}]{0,3}",
        ],
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

fn transcript_fragment() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("下个月".to_owned()),
            Just("明年".to_owned()),
            Just("3月15日".to_owned()),
            Just("2027年".to_owned()),
            Just("12月".to_owned()),
            Just("月份".to_owned()),
            Just("2027-02-30".to_owned()),
            Just("March 32".to_owned()),
            Just("in may".to_owned()),
            Just("31 ".to_owned()),
            Just("q5".to_owned()),
            Just("西门子".to_owned()),
            Just("年".to_owned()),
            Just("日".to_owned()),
            "[0-9]{1,5}",
            "[a-z ]{0,8}",
            "\\PC{0,4}",
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn company_name_normalisation_is_idempotent(raw in name_fragment()) {
        let once = normalise_company_name(&raw);
        prop_assert_eq!(normalise_company_name(&once), once.clone());
    }

    #[test]
    fn phone_normalisation_is_idempotent(raw in "[+]?[0-9 ()-]{5,20}") {
        if let Ok(phone) = Phone::parse(&raw) {
            prop_assert_eq!(Phone::parse(phone.as_str()), Ok(phone.clone()));
        }
    }

    #[test]
    fn the_extractor_never_panics_and_windows_are_ordered(
        transcript in transcript_fragment(),
        day_offset in 0_i64..1500,
    ) {
        let visit_date = date("2026-01-01") + Duration::days(day_offset);
        let extraction = extract(&transcript, visit_date, &dictionary());
        if let Some(window) = extraction.purchase_window {
            prop_assert!(window.earliest <= window.latest, "{:?}", window);
        }
    }
}

/// The last local (UTC+8) day that has closed at `now`.
fn yesterday(now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    salesledger_domain::extraction::local_date(now, 480) - Duration::days(1)
}

#[derive(Debug, Clone)]
enum Operation {
    Claim(u128),
    Transfer(u128),
    Release(u128),
    Recall,
    FollowUp(u128),
    CloseDay,
    Wait(i64),
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        (1_u128..4).prop_map(Operation::Claim),
        (1_u128..4).prop_map(Operation::Transfer),
        (1_u128..4).prop_map(Operation::Release),
        Just(Operation::Recall),
        (1_u128..4).prop_map(Operation::FollowUp),
        Just(Operation::CloseDay),
        (1_i64..40).prop_map(Operation::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn ownership_matches_a_reference_model(operations in prop::collection::vec(operation(), 1..40)) {
        let policy = pool_policy();
        let mut history = vec![customer_registered(1, "宁波精工机械有限公司")];
        let mut customer = Customer::from_events(&history);
        // the reference: the owner and the deadline
        let mut model_owner: Option<RepId> = None;
        let mut now = time("2027-01-04T10:00:00+08:00");
        for operation in operations {
            let command = match &operation {
                Operation::Wait(days) => {
                    now += Duration::days(*days);
                    continue;
                }
                Operation::Claim(n) => CustomerCommand::Claim(ClaimCustomer { rep_id: rep_id(*n), policy: policy.clone() }),
                Operation::Transfer(n) => CustomerCommand::Transfer(TransferCustomer {
                    to_rep_id: rep_id(*n),
                    transferred_by: actor("sup-wang"),
                    reason: text("rebalancing"),
                    policy: policy.clone(),
                }),
                Operation::Release(n) => CustomerCommand::Release(ReleaseCustomer { rep_id: rep_id(*n) }),
                Operation::Recall => CustomerCommand::RecallToPool(RecallCustomerToPool {
                    recalled_by: actor("sup-wang"),
                    reason: text("recall"),
                }),
                Operation::FollowUp(n) => CustomerCommand::RecordFollowUp(RecordFollowUp {
                    rep_id: rep_id(*n),
                    kind: FollowUpKind::Visit,
                    occurred_at: now,
                    visit_id: None,
                    policy: policy.clone(),
                }),
                Operation::CloseDay => CustomerCommand::CloseDay(CloseDay {
                    day: yesterday(now),
                    policy: policy.clone(),
                }),
            };
            let protected_until = customer.ownership.as_ref().map(|ownership| ownership.protected_until);
            let result = customer.decide(command, now);
            match (&operation, model_owner, &result) {
                (Operation::Claim(n), None, Ok(_)) => model_owner = Some(rep_id(*n)),
                (Operation::Claim(_), Some(owner), Err(error)) => {
                    prop_assert_eq!(error, &DomainError::CustomerAlreadyOwned { customer_id: customer_id(1), owner });
                }
                (Operation::Transfer(n), owner, Ok(_)) if owner != Some(rep_id(*n)) => model_owner = Some(rep_id(*n)),
                (Operation::Transfer(n), owner, Err(_)) if owner == Some(rep_id(*n)) => {}
                (Operation::Release(n), Some(owner), Ok(_)) if owner == rep_id(*n) => model_owner = None,
                (Operation::Release(n), owner, Err(_)) if owner != Some(rep_id(*n)) => {}
                (Operation::Recall, Some(_), Ok(_)) => model_owner = None,
                (Operation::Recall, None, Err(_)) => {}
                (Operation::FollowUp(_), _, Ok(_)) => {}
                (Operation::CloseDay, None, Ok(events)) => prop_assert!(events.is_empty()),
                (Operation::CloseDay, Some(_), Ok(events)) => {
                    let day_closes_at = policy.day_closes_at(yesterday(now));
                    let expired = protected_until.is_some_and(|deadline| deadline <= day_closes_at);
                    prop_assert_eq!(events.len(), usize::from(expired));
                    if expired {
                        model_owner = None;
                    }
                }
                (operation, owner, result) => {
                    prop_assert!(false, "{:?} with owner {:?} gave {:?}", operation, owner, result);
                }
            }
            if let Ok(events) = result {
                for event in &events {
                    customer.apply(event);
                }
                history.extend(events);
            }
            prop_assert_eq!(customer.owner(), model_owner);
            prop_assert_eq!(&Customer::from_events(&history), &customer, "replay equals incremental state");
            if let Some(ownership) = &customer.ownership {
                prop_assert!(ownership.protected_until <= ownership.maximum_protected_until);
            }
        }
    }
}
