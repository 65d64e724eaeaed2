//! C5: "still comparing" starts a nurture pack with scheduled steps; each
//! sending and each response is an event.

use salesledger_domain::customer::{CustomerStance, CustomerStanceRecorded};
use salesledger_domain::error::DomainError;
use salesledger_domain::event::Event;
use salesledger_domain::extraction::Extraction;
use salesledger_domain::nurture::*;
use salesledger_domain::testing::given;
use salesledger_domain::value::*;
use salesledger_domain::visit::VisitExtractionConfirmed;

use crate::support::*;

fn pack_id() -> NurturePackId {
    NurturePackId::from_uuid(uuid(0x6001))
}

fn visit_id() -> VisitId {
    VisitId::from_uuid(uuid(0x4001))
}

fn confirmed_with(stance: Option<CustomerStance>) -> Event {
    Event::VisitExtractionConfirmed(VisitExtractionConfirmed {
        visit_id: visit_id(),
        customer_id: customer_id(1),
        rep_id: rep_id(1),
        extraction: Extraction {
            stance,
            ..Extraction::default()
        },
        edited: false,
        confirmed_at: time("2027-03-10T11:05:00+08:00"),
    })
}

fn start() -> NurtureCommand {
    NurtureCommand::Start(StartNurturePack {
        pack_id: pack_id(),
        customer_id: customer_id(1),
        trigger: NurtureTrigger::VisitExtraction {
            visit_id: visit_id(),
        },
        template: NurtureTemplate::default_v1(),
    })
}

fn started_history() -> Vec<Event> {
    let (events, _) = given::<NurturePack>(&[])
        .when(start(), time("2027-03-10T11:06:00+08:00"))
        .events();
    events
}

#[test]
fn still_comparing_triggers_a_nurture_pack_and_nothing_else_does() {
    assert_eq!(
        nurture_trigger(&confirmed_with(Some(CustomerStance::StillComparing))),
        Some((
            customer_id(1),
            NurtureTrigger::VisitExtraction {
                visit_id: visit_id()
            }
        ))
    );
    assert_eq!(nurture_trigger(&confirmed_with(None)), None);
    assert_eq!(
        nurture_trigger(&confirmed_with(Some(CustomerStance::ReadyToBuy))),
        None
    );
    let stance = |visit_id| {
        Event::CustomerStanceRecorded(CustomerStanceRecorded {
            customer_id: customer_id(1),
            stance: CustomerStance::StillComparing,
            recorded_by: actor("rep-zhang"),
            visit_id,
            recorded_at: time("2027-03-10T11:05:00+08:00"),
        })
    };
    assert_eq!(
        nurture_trigger(&stance(None)),
        Some((customer_id(1), NurtureTrigger::CustomerStance))
    );
    assert_eq!(
        nurture_trigger(&stance(Some(visit_id()))),
        None,
        "the visit confirmation already triggers"
    );
}

#[test]
fn the_pack_starts_with_steps_due_per_template() {
    let now = time("2027-03-10T11:06:00+08:00");
    let step = |step_index, kind, content_ref: &str, due_at| ScheduledStep {
        step_index,
        kind,
        content_ref: content_ref.to_owned(),
        due_at: time(due_at),
    };
    given::<NurturePack>(&[])
        .when(start(), now)
        .then_expect_events(&[Event::NurturePackStarted(NurturePackStarted {
            pack_id: pack_id(),
            customer_id: customer_id(1),
            trigger: NurtureTrigger::VisitExtraction {
                visit_id: visit_id(),
            },
            template_version: 1,
            steps: vec![
                step(
                    0,
                    NurtureStepKind::CaseVideo,
                    "case-video/default",
                    "2027-03-11T11:06:00+08:00",
                ),
                step(
                    1,
                    NurtureStepKind::ThirdPartyReview,
                    "review/default",
                    "2027-03-14T11:06:00+08:00",
                ),
                step(
                    2,
                    NurtureStepKind::TimeLimitedOffer,
                    "offer/default",
                    "2027-03-20T11:06:00+08:00",
                ),
            ],
            started_at: now,
        })]);
    given::<NurturePack>(&[])
        .when(
            NurtureCommand::Start(StartNurturePack {
                pack_id: pack_id(),
                customer_id: customer_id(1),
                trigger: NurtureTrigger::CustomerStance,
                template: NurtureTemplate {
                    version: 2,
                    steps: vec![],
                },
            }),
            now,
        )
        .then_expect_error(DomainError::NurtureTemplateEmpty);
}

#[test]
fn sending_and_responses_are_events_in_order() {
    let mut history = started_history();
    given::<NurturePack>(&history)
        .when(
            NurtureCommand::RecordResponse(RecordNurtureResponse {
                step_index: 0,
                response: NurtureResponse::Opened,
                note: None,
            }),
            time("2027-03-11T12:00:00+08:00"),
        )
        .then_expect_error(DomainError::NurtureStepNotSent { step_index: 0 });
    let sent_at = time("2027-03-11T11:10:00+08:00");
    let (events, _) = given::<NurturePack>(&history)
        .when(
            NurtureCommand::RecordStepSent(RecordNurtureStepSent {
                step_index: 0,
                channel: text("wecom"),
            }),
            sent_at,
        )
        .events();
    assert_eq!(
        events,
        vec![Event::NurtureStepSent(NurtureStepSent {
            pack_id: pack_id(),
            step_index: 0,
            kind: NurtureStepKind::CaseVideo,
            channel: text("wecom"),
            due_at: time("2027-03-11T11:06:00+08:00"),
            sent_at,
        })]
    );
    history.extend(events);
    given::<NurturePack>(&history)
        .when(
            NurtureCommand::RecordStepSent(RecordNurtureStepSent {
                step_index: 0,
                channel: text("email"),
            }),
            sent_at,
        )
        .then_expect_error(DomainError::NurtureStepAlreadySent { step_index: 0 });
    let (events, _) = given::<NurturePack>(&history)
        .when(
            NurtureCommand::RecordResponse(RecordNurtureResponse {
                step_index: 0,
                response: NurtureResponse::RequestedMeeting,
                note: Some(text("想约下周现场看设备")),
            }),
            time("2027-03-11T15:00:00+08:00"),
        )
        .events();
    history.extend(events);
    let (events, state) = given::<NurturePack>(&history)
        .when(
            NurtureCommand::Close(CloseNurturePack {
                reason: NurtureCloseReason::Converted,
            }),
            time("2027-03-12T09:00:00+08:00"),
        )
        .events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        state.steps[0].responses,
        vec![NurtureResponse::RequestedMeeting]
    );
    history.extend(events);
    given::<NurturePack>(&history)
        .when(
            NurtureCommand::RecordStepSent(RecordNurtureStepSent {
                step_index: 1,
                channel: text("wecom"),
            }),
            time("2027-03-14T11:06:00+08:00"),
        )
        .then_expect_error(DomainError::NurturePackClosed);
    given::<NurturePack>(&started_history())
        .when(
            NurtureCommand::RecordStepSent(RecordNurtureStepSent {
                step_index: 7,
                channel: text("wecom"),
            }),
            sent_at,
        )
        .then_expect_error(DomainError::NurtureStepNotFound { step_index: 7 });
}
