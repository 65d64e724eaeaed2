//! C6: proposal evidence and the 2-of-3 delivered rule; link opens count
//! only with tracking consent recorded before them.

use salesledger_domain::error::DomainError;
use salesledger_domain::event::Event;
use salesledger_domain::proposal::*;
use salesledger_domain::testing::given;
use salesledger_domain::value::*;

use crate::support::*;

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn proposal_id() -> ProposalId {
    ProposalId::from_uuid(uuid(0x7001))
}

fn created() -> Event {
    Event::ProposalCreated(ProposalCreated {
        proposal_id: proposal_id(),
        customer_id: customer_id(1),
        contact_email: email("li.na@renhe.example.cn"),
        title: text("HIS 接口改造方案 v2"),
        created_at: time("2027-03-12T09:00:00+08:00"),
    })
}

fn pdf(watermark: &str) -> ProposalCommand {
    ProposalCommand::RecordPdf(RecordProposalPdf {
        sha256: Sha256Hex::parse(SHA).expect("sha"),
        watermark_email: email(watermark),
        size_bytes: 482_113,
    })
}

fn receipt() -> ProposalCommand {
    ProposalCommand::RecordEmailDeliveryReceipt(RecordEmailDeliveryReceipt {
        message_id: text("<20270312.1234@mail.salesledger.example>"),
        recipient: email("Li.Na@renhe.example.cn"),
        delivered_at: time("2027-03-12T10:00:01+08:00"),
    })
}

fn link_opened(consent_at: Option<&str>) -> ProposalCommand {
    ProposalCommand::RecordLinkOpened(RecordLinkOpened {
        opened_at: time("2027-03-12T14:00:00+08:00"),
        ip_address: IpAddress::parse("203.0.113.7").expect("ip"),
        coarse_location: text("浙江 杭州"),
        tracking_consent_recorded_at: consent_at.map(time),
    })
}

/// Applies each command in turn, returning every event produced.
fn run(commands: Vec<ProposalCommand>) -> (Vec<Event>, Proposal) {
    let mut history = vec![created()];
    let mut all = Vec::new();
    for (index, command) in commands.into_iter().enumerate() {
        let now = time("2027-03-12T15:00:00+08:00") + chrono::Duration::minutes(index as i64);
        let (events, _) = given::<Proposal>(&history).when(command, now).events();
        history.extend(events.clone());
        all.extend(events);
    }
    let state = salesledger_domain::Aggregate::from_events(&history);
    (all, state)
}

fn delivered_count(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|event| matches!(event, Event::ProposalDelivered(_)))
        .count()
}

#[test]
fn one_proof_leaves_the_proposal_pending() {
    for command in [
        pdf("li.na@renhe.example.cn"),
        receipt(),
        link_opened(Some("2027-03-01T09:00:00+08:00")),
    ] {
        let (events, state) = run(vec![command]);
        assert_eq!(delivered_count(&events), 0);
        assert_eq!(state.status(), Some(ProposalStatus::PendingVerification));
    }
}

#[test]
fn any_two_of_three_proofs_deliver_once() {
    let consented = || link_opened(Some("2027-03-01T09:00:00+08:00"));
    for (pair, expected_proofs) in [
        (
            vec![pdf("li.na@renhe.example.cn"), receipt()],
            vec![ProofKind::WatermarkedPdf, ProofKind::EmailDeliveryReceipt],
        ),
        (
            vec![receipt(), consented()],
            vec![ProofKind::EmailDeliveryReceipt, ProofKind::LinkOpened],
        ),
        (
            vec![consented(), pdf("li.na@renhe.example.cn")],
            vec![ProofKind::WatermarkedPdf, ProofKind::LinkOpened],
        ),
    ] {
        let (events, state) = run(pair);
        assert_eq!(state.status(), Some(ProposalStatus::Delivered));
        let Some(Event::ProposalDelivered(delivered)) = events.last() else {
            panic!("the second proof delivers: {events:?}");
        };
        assert_eq!(delivered.proofs, expected_proofs);
    }
    let (events, _) = run(vec![pdf("li.na@renhe.example.cn"), receipt(), consented()]);
    assert_eq!(
        delivered_count(&events),
        1,
        "the third proof is recorded but delivers nothing new"
    );
}

#[test]
fn watermark_must_carry_the_contact_email() {
    given::<Proposal>(&[created()])
        .when(
            pdf("someone.else@renhe.example.cn"),
            time("2027-03-12T15:00:00+08:00"),
        )
        .then_expect_error(DomainError::WatermarkEmailMismatch {
            expected: "li.na@renhe.example.cn".to_owned(),
            found: "someone.else@renhe.example.cn".to_owned(),
        });
    given::<Proposal>(&[created()])
        .when(
            ProposalCommand::RecordEmailDeliveryReceipt(RecordEmailDeliveryReceipt {
                message_id: text("<x@y>"),
                recipient: email("other@renhe.example.cn"),
                delivered_at: time("2027-03-12T10:00:01+08:00"),
            }),
            time("2027-03-12T15:00:00+08:00"),
        )
        .then_expect_error_code("receipt_recipient_mismatch");
}

#[test]
fn link_open_without_prior_consent_is_recorded_but_does_not_count() {
    // no consent at all, and consent recorded only after the open
    for consent in [
        None,
        Some("2027-03-12T16:00:00+08:00"),
        Some("2027-03-12T14:00:00+08:00"),
    ] {
        let (events, state) = run(vec![link_opened(consent), receipt()]);
        assert_eq!(
            events[0],
            Event::ProposalLinkOpenedWithoutConsent(ProposalLinkOpenedWithoutConsent {
                proposal_id: proposal_id(),
                opened_at: time("2027-03-12T14:00:00+08:00"),
                recorded_at: time("2027-03-12T15:00:00+08:00"),
            }),
            "consent {consent:?}"
        );
        assert_eq!(delivered_count(&events), 0, "consent {consent:?}");
        assert_eq!(state.status(), Some(ProposalStatus::PendingVerification));
    }
    let (events, state) = run(vec![
        link_opened(Some("2027-03-12T13:59:59+08:00")),
        receipt(),
    ]);
    assert!(matches!(events[0], Event::ProposalLinkOpened(_)));
    assert_eq!(delivered_count(&events), 1);
    assert_eq!(state.status(), Some(ProposalStatus::Delivered));
}

#[test]
fn evidence_on_an_unknown_proposal_is_not_found() {
    given::<Proposal>(&[])
        .when(receipt(), time("2027-03-12T15:00:00+08:00"))
        .then_expect_error_code("proposal_not_found");
}
