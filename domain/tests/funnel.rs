//! C11 funnel stages on the lead stream: forward only, won after a
//! proposal or negotiation, lost from any non-final stage, nothing after.

use salesledger_domain::error::DomainError;
use salesledger_domain::event::Event;
use salesledger_domain::lead::*;
use salesledger_domain::testing::given;
use salesledger_domain::value::*;
use salesledger_domain::Aggregate;

use crate::support::*;

fn registered() -> Event {
    Event::LeadRegistered(LeadRegistered {
        lead_id: lead_id(1),
        company_name: CompanyName::parse("杭州仁和医院有限公司").expect("name"),
        unified_social_credit_code: None,
        phone: None,
        contact_email: None,
        attributes: attributes(&[("industry", "三甲医院")]),
        customer_id: None,
        registered_by: actor("mkt-liu"),
        registered_at: time("2027-03-01T09:00:00+08:00"),
    })
}

fn routed() -> Event {
    Event::RoutingConfirmed(RoutingConfirmed {
        customer_id: None,
        lead_id: lead_id(1),
        rep_id: rep_id(1),
        confirmed_by: actor("sup-wang"),
        rule_version: 7,
        candidate_rank: 1,
        score: 75,
        proposed_at: time("2027-03-01T10:00:00+08:00"),
        confirmed_at: time("2027-03-01T10:00:12+08:00"),
        seconds_from_proposal: 12,
    })
}

fn advanced(from: FunnelStage, to: FunnelStage) -> Event {
    Event::LeadStageAdvanced(LeadStageAdvanced {
        lead_id: lead_id(1),
        from,
        to,
        reason: None,
        advanced_by: actor("rep-1"),
        advanced_at: time("2027-03-05T09:00:00+08:00"),
    })
}

fn advance(stage: FunnelStage) -> LeadCommand {
    LeadCommand::AdvanceStage {
        stage,
        reason: None,
        advanced_by: actor("rep-1"),
    }
}

/// The events of a routed lead advanced through `stages`.
fn history(stages: &[FunnelStage]) -> Vec<Event> {
    let mut events = vec![registered(), routed()];
    let mut from = FunnelStage::Qualified;
    for stage in stages {
        events.push(advanced(from, *stage));
        from = *stage;
    }
    events
}

fn attempt(stages: &[FunnelStage], to: FunnelStage) -> Result<Vec<Event>, DomainError> {
    given::<Lead>(&history(stages))
        .when(advance(to), time("2027-03-05T09:00:00+08:00"))
        .result()
        .clone()
}

use FunnelStage::{Negotiation, Proposal, Qualified, Won};

#[test]
fn the_stage_follows_registration_routing_and_advances() {
    assert_eq!(
        Lead::from_events(&[registered()]).stage(),
        FunnelStage::Lead
    );
    assert_eq!(Lead::from_events(&history(&[])).stage(), Qualified);
    assert_eq!(
        Lead::from_events(&history(&[Proposal, Negotiation])).stage(),
        Negotiation
    );
    assert_eq!(
        Lead::command_kind(&advance(Won)),
        salesledger_domain::role::CommandKind::AdvanceLeadStage
    );
}

#[test]
fn an_unrouted_lead_cannot_advance() {
    given::<Lead>(&[registered()])
        .when(advance(Proposal), time("2027-03-05T09:00:00+08:00"))
        .then_expect_error(DomainError::LeadStageNotAllowed {
            from: FunnelStage::Lead,
            to: Proposal,
        });
    given::<Lead>(&[registered()])
        .when(
            advance(FunnelStage::Lost),
            time("2027-03-05T09:00:00+08:00"),
        )
        .then_expect_error_code("lead_stage_not_allowed");
    given::<Lead>(&[])
        .when(advance(Proposal), time("2027-03-05T09:00:00+08:00"))
        .then_expect_error_code("lead_not_found");
}

#[test]
fn stages_move_forward_only() {
    assert_eq!(
        attempt(&[], Proposal),
        Ok(vec![advanced(Qualified, Proposal)])
    );
    assert!(
        attempt(&[], Negotiation).is_ok(),
        "skipping forward is allowed"
    );
    assert!(attempt(&[Proposal, Negotiation], Proposal).is_err());
    assert!(attempt(&[Proposal], Proposal).is_err());
    assert!(attempt(&[], Qualified).is_err());
    assert!(attempt(&[], FunnelStage::Lead).is_err());
}

#[test]
fn won_needs_a_proposal_or_negotiation_first() {
    assert_eq!(
        attempt(&[], Won),
        Err(DomainError::LeadStageNotAllowed {
            from: Qualified,
            to: Won
        })
    );
    assert!(attempt(&[Proposal], Won).is_ok());
    assert!(attempt(&[Negotiation], Won).is_ok());
}

#[test]
fn lost_from_any_non_final_stage_and_nothing_after_a_final_one() {
    for stages in [&[][..], &[Proposal], &[Proposal, Negotiation]] {
        assert!(attempt(stages, FunnelStage::Lost).is_ok(), "{stages:?}");
    }
    for final_stages in [&[Proposal, Won][..], &[FunnelStage::Lost]] {
        for to in FunnelStage::ALL {
            assert_eq!(
                attempt(final_stages, to).map_err(|error| error.code()),
                Err("lead_stage_not_allowed"),
                "{final_stages:?} -> {to:?}"
            );
        }
    }
}
