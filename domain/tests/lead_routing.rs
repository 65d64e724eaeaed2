//! C1 lead hand-off confirmations and C2 routing by capability matrix.

use salesledger_domain::duplicate::DuplicateIndex;
use salesledger_domain::error::DomainError;
use salesledger_domain::event::Event;
use salesledger_domain::lead::*;
use salesledger_domain::rep::RepProfile;
use salesledger_domain::routing::{rank_reps, MatchBasis, RoutingCandidate, ScoreContribution};
use salesledger_domain::testing::{given, given_no_events};
use salesledger_domain::value::*;

use crate::support::*;

fn lead_attributes() -> CustomerAttributes {
    attributes(&[
        ("industry", "三甲医院 医疗器械"),
        ("compliance", "ISO 13485:2016"),
        ("pain_points", "HIS 接口老旧"),
        ("region", "华东"),
        ("size", "800 beds"),
    ])
}

fn lead_registered() -> Event {
    Event::LeadRegistered(LeadRegistered {
        lead_id: lead_id(1),
        company_name: CompanyName::parse("杭州仁和医院").expect("name"),
        unified_social_credit_code: None,
        phone: None,
        contact_email: Some(email("it@renhe.example.cn")),
        attributes: lead_attributes(),
        customer_id: None,
        registered_by: actor("mkt-liu"),
        registered_at: time("2027-03-01T09:00:00+08:00"),
    })
}

fn budget_confirmed() -> Event {
    Event::LeadBudgetConfirmed(LeadBudgetConfirmed {
        lead_id: lead_id(1),
        confirmed_by: actor("mkt-liu"),
        note: None,
        confirmed_at: time("2027-03-01T10:00:00+08:00"),
    })
}

fn technical_fit_confirmed() -> Event {
    Event::LeadTechnicalFitConfirmed(LeadTechnicalFitConfirmed {
        lead_id: lead_id(1),
        confirmed_by: actor("se-chen"),
        note: Some(text("HIS 5.0 interface checked")),
        confirmed_at: time("2027-03-01T11:00:00+08:00"),
    })
}

fn reps() -> Vec<RepProfile> {
    let mut inactive = rep(
        5,
        "华东",
        &["iso13485", "tier3-hospital-his", "plc-retrofit"],
    );
    inactive.active = false;
    vec![
        rep(4, "华东", &["iso13485", "cold-chain", "ivd-reagents"]),
        rep(6, "华北", &["iso13485", "tier3-hospital-his", "cloud-his"]),
        rep(
            3,
            "华东",
            &["automotive-grade-cert", "plc-retrofit", "mes-integration"],
        ),
        inactive,
        rep(
            2,
            "华南",
            &["iso13485", "tier3-hospital-his", "automotive-grade-cert"],
        ),
        rep(
            1,
            "华东",
            &["iso13485", "tier3-hospital-his", "plc-retrofit"],
        ),
    ]
}

fn ready_lead() -> Vec<Event> {
    vec![
        lead_registered(),
        budget_confirmed(),
        technical_fit_confirmed(),
    ]
}

fn propose() -> LeadCommand {
    LeadCommand::ProposeRouting(ProposeRouting {
        rule_set: rule_set(),
        reps: reps(),
    })
}

fn proposed_events() -> Vec<Event> {
    let (events, _) = given::<Lead>(&ready_lead())
        .when(propose(), time("2027-03-01T14:00:00+08:00"))
        .events();
    events
}

#[test]
fn lead_registration_needs_a_duplicate_clearance() {
    let name = CompanyName::parse("杭州仁和医院").expect("name");
    let clearance = clearance_for(&DuplicateIndex::new(), &name, None, None, None);
    let command = LeadCommand::Register(RegisterLead {
        lead_id: lead_id(1),
        company_name: name,
        unified_social_credit_code: None,
        phone: None,
        contact_email: Some(email("it@renhe.example.cn")),
        attributes: lead_attributes(),
        customer_id: None,
        registered_by: actor("mkt-liu"),
        duplicate_clearance: clearance,
    });
    given_no_events::<Lead>()
        .when(command, time("2027-03-01T09:00:00+08:00"))
        .then_expect_events(&[lead_registered()]);
}

#[test]
fn lead_is_not_routable_without_both_confirmations() {
    let now = time("2027-03-01T14:00:00+08:00");
    given::<Lead>(&[lead_registered()])
        .when(propose(), now)
        .then_expect_error(DomainError::LeadNotConfirmed {
            missing: vec![LeadConfirmation::Budget, LeadConfirmation::TechnicalFit],
        });
    given::<Lead>(&[lead_registered(), budget_confirmed()])
        .when(propose(), now)
        .then_expect_error(DomainError::LeadNotConfirmed {
            missing: vec![LeadConfirmation::TechnicalFit],
        });
    given::<Lead>(&[lead_registered(), technical_fit_confirmed()])
        .when(propose(), now)
        .then_expect_error(DomainError::LeadNotConfirmed {
            missing: vec![LeadConfirmation::Budget],
        });
    let error = given::<Lead>(&[lead_registered()])
        .when(propose(), now)
        .then_expect_error_code("lead_not_confirmed");
    assert_eq!(
        error.kind(),
        salesledger_domain::ErrorKind::PreconditionFailed
    );
}

#[test]
fn each_confirmation_names_its_person_and_time() {
    given::<Lead>(&[lead_registered()])
        .when(
            LeadCommand::ConfirmBudget(ConfirmLeadBudget {
                confirmed_by: actor("mkt-liu"),
                note: None,
            }),
            time("2027-03-01T10:00:00+08:00"),
        )
        .then_expect_events(&[budget_confirmed()]);
    given::<Lead>(&[lead_registered(), budget_confirmed()])
        .when(
            LeadCommand::ConfirmTechnicalFit(ConfirmLeadTechnicalFit {
                confirmed_by: actor("se-chen"),
                note: Some(text("HIS 5.0 interface checked")),
            }),
            time("2027-03-01T11:00:00+08:00"),
        )
        .then_expect_events(&[technical_fit_confirmed()]);
    given::<Lead>(&[lead_registered(), budget_confirmed()])
        .when(
            LeadCommand::ConfirmBudget(ConfirmLeadBudget {
                confirmed_by: actor("someone-else"),
                note: None,
            }),
            time("2027-03-01T12:00:00+08:00"),
        )
        .then_expect_error(DomainError::LeadAlreadyConfirmed {
            confirmation: LeadConfirmation::Budget,
        });
}

fn contribution(
    tag: Option<&str>,
    key: &str,
    value: &str,
    weight: u32,
    basis: MatchBasis,
) -> ScoreContribution {
    ScoreContribution {
        tag: tag.map(|tag| CapabilityTag::parse(tag).expect("tag")),
        attribute_key: AttributeKey::parse(key).expect("key"),
        attribute_value: AttributeValue::parse(value).expect("value"),
        weight,
        basis,
    }
}

#[test]
fn routing_proposes_three_candidates_with_explanations_in_deterministic_order() {
    let events = proposed_events();
    let [Event::RoutingProposed(proposed)] = events.as_slice() else {
        panic!("expected one RoutingProposed, got {events:?}");
    };
    assert_eq!(proposed.rule_version, 7);
    assert_eq!(
        proposed.n_reps_scored, 5,
        "the inactive rep is not eligible"
    );
    let ranking: Vec<(u32, RepId, u32)> = proposed
        .candidates
        .iter()
        .map(|candidate| (candidate.rank, candidate.rep_id, candidate.score))
        .collect();
    // rep 2 and rep 6 tie on score and matched tags: the lower rep id wins.
    assert_eq!(
        ranking,
        vec![(1, rep_id(1), 95), (2, rep_id(2), 90), (3, rep_id(6), 90)]
    );
    assert_eq!(
        proposed.candidates[0],
        RoutingCandidate {
            rank: 1,
            rep_id: rep_id(1),
            score: 95,
            contributions: vec![
                contribution(
                    Some("iso13485"),
                    "compliance",
                    "ISO 13485:2016",
                    40,
                    MatchBasis::Rule { rule_index: 0 }
                ),
                contribution(
                    Some("tier3-hospital-his"),
                    "industry",
                    "三甲医院 医疗器械",
                    30,
                    MatchBasis::Rule { rule_index: 1 }
                ),
                contribution(
                    Some("tier3-hospital-his"),
                    "pain_points",
                    "HIS 接口老旧",
                    20,
                    MatchBasis::Rule { rule_index: 2 }
                ),
                contribution(None, "region", "华东", 5, MatchBasis::Region),
            ],
        }
    );
    for candidate in &proposed.candidates {
        let explained: u32 = candidate.contributions.iter().map(|part| part.weight).sum();
        assert_eq!(
            explained, candidate.score,
            "the explanation adds up to the score"
        );
    }
    // Input order does not matter.
    let mut reversed = reps();
    reversed.reverse();
    let (events_again, _) = given::<Lead>(&ready_lead())
        .when(
            LeadCommand::ProposeRouting(ProposeRouting {
                rule_set: rule_set(),
                reps: reversed,
            }),
            time("2027-03-01T14:00:00+08:00"),
        )
        .events();
    assert_eq!(events_again, events);
}

#[test]
fn a_tag_appearing_literally_in_an_attribute_is_a_direct_match() {
    let mut rules = rule_set();
    rules.rules.clear();
    let lead_attributes = attributes(&[("compliance", "ISO-13485 required")]);
    let ranked = rank_reps(
        &rules,
        &[rep(1, "华东", &["iso13485", "a1", "b2"])],
        &lead_attributes,
    );
    assert_eq!(
        ranked[0].contributions,
        vec![contribution(
            Some("iso13485"),
            "compliance",
            "ISO-13485 required",
            10,
            MatchBasis::DirectTagMatch
        )]
    );
}

#[test]
fn the_rule_set_is_data_and_its_version_is_recorded() {
    let mut rules = rule_set();
    rules.version = 8;
    rules.region_match_weight = 100;
    let (events, _) = given::<Lead>(&ready_lead())
        .when(
            LeadCommand::ProposeRouting(ProposeRouting {
                rule_set: rules,
                reps: reps(),
            }),
            time("2027-03-01T14:00:00+08:00"),
        )
        .events();
    let [Event::RoutingProposed(proposed)] = events.as_slice() else {
        panic!("expected one RoutingProposed");
    };
    assert_eq!(proposed.rule_version, 8);
    let order: Vec<RepId> = proposed
        .candidates
        .iter()
        .map(|candidate| candidate.rep_id)
        .collect();
    assert_eq!(order, vec![rep_id(1), rep_id(4), rep_id(3)]);
}

#[test]
fn supervisor_confirmation_records_seconds_from_proposal() {
    let mut history = ready_lead();
    history.extend(proposed_events());
    given::<Lead>(&history)
        .when(
            LeadCommand::ConfirmRouting(ConfirmRouting {
                rep_id: rep_id(2),
                confirmed_by: actor("sup-wang"),
            }),
            time("2027-03-01T14:00:27+08:00"),
        )
        .then_expect_events(&[Event::RoutingConfirmed(RoutingConfirmed {
            lead_id: lead_id(1),
            customer_id: None,
            rep_id: rep_id(2),
            confirmed_by: actor("sup-wang"),
            rule_version: 7,
            candidate_rank: 2,
            score: 90,
            proposed_at: time("2027-03-01T14:00:00+08:00"),
            confirmed_at: time("2027-03-01T14:00:27+08:00"),
            seconds_from_proposal: 27,
        })]);
}

#[test]
fn confirming_a_rep_not_proposed_is_refused() {
    let mut history = ready_lead();
    history.extend(proposed_events());
    let error = given::<Lead>(&history)
        .when(
            LeadCommand::ConfirmRouting(ConfirmRouting {
                rep_id: rep_id(4),
                confirmed_by: actor("sup-wang"),
            }),
            time("2027-03-01T14:00:20+08:00"),
        )
        .then_expect_error_code("rep_not_proposed");
    assert_eq!(
        error,
        DomainError::RepNotAmongCandidates {
            rep_id: rep_id(4),
            candidates: vec![rep_id(1), rep_id(2), rep_id(6)],
        }
    );
}

#[test]
fn confirming_without_a_proposal_or_twice_is_refused() {
    let confirm = || {
        LeadCommand::ConfirmRouting(ConfirmRouting {
            rep_id: rep_id(1),
            confirmed_by: actor("sup-wang"),
        })
    };
    given::<Lead>(&ready_lead())
        .when(confirm(), time("2027-03-01T14:00:00+08:00"))
        .then_expect_error(DomainError::NoRoutingProposal);
    let mut history = ready_lead();
    history.extend(proposed_events());
    let (confirmed, _) = given::<Lead>(&history)
        .when(confirm(), time("2027-03-01T14:00:10+08:00"))
        .events();
    history.extend(confirmed);
    given::<Lead>(&history)
        .when(confirm(), time("2027-03-01T14:00:20+08:00"))
        .then_expect_error(DomainError::LeadAlreadyRouted { rep_id: rep_id(1) });
    given::<Lead>(&history)
        .when(propose(), time("2027-03-01T14:00:20+08:00"))
        .then_expect_error(DomainError::LeadAlreadyRouted { rep_id: rep_id(1) });
}

#[test]
fn no_rep_above_the_minimum_score_is_an_error() {
    let mut rules = rule_set();
    rules.minimum_score = 1_000;
    given::<Lead>(&ready_lead())
        .when(
            LeadCommand::ProposeRouting(ProposeRouting {
                rule_set: rules,
                reps: reps(),
            }),
            time("2027-03-01T14:00:00+08:00"),
        )
        .then_expect_error(DomainError::NoEligibleRep);
}
