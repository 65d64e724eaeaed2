//! C4: a visit is logged with its transcript, the extraction is proposed,
//! the rep confirms or edits it in one step, next actions become to-dos.

use salesledger_domain::customer::CustomerStance;
use salesledger_domain::error::DomainError;
use salesledger_domain::event::Event;
use salesledger_domain::extraction::{Extraction, PurchaseWindow};
use salesledger_domain::testing::given;
use salesledger_domain::value::*;
use salesledger_domain::visit::*;

use crate::support::*;

fn visit_id() -> VisitId {
    VisitId::from_uuid(uuid(0x4001))
}

fn todo_id(n: u128) -> TodoId {
    TodoId::from_uuid(uuid(0x5000 + n))
}

fn log_visit() -> VisitCommand {
    VisitCommand::Log(LogVisit {
        visit_id: visit_id(),
        customer_id: customer_id(1),
        rep_id: rep_id(1),
        channel: VisitChannel::OnSite,
        occurred_at: time("2027-03-10T10:00:00+08:00"),
        transcript: text("王总说预算已经批了，下个月就可以采购。他们现在用的是西门子的设备，担心接口对接问题，还在比较。"),
        rep_notes: None,
        dictionary: dictionary(),
    })
}

fn logged_history() -> Vec<Event> {
    let (events, _) = given::<Visit>(&[])
        .when(log_visit(), time("2027-03-10T11:00:00+08:00"))
        .events();
    events
}

fn proposed_extraction() -> Extraction {
    Extraction {
        competitors: vec!["Siemens".to_owned()],
        purchase_window: Some(PurchaseWindow {
            earliest: date("2027-04-01"),
            latest: date("2027-04-30"),
            phrase: "下个月".to_owned(),
        }),
        concerns: vec!["integration".to_owned()],
        stance: Some(CustomerStance::StillComparing),
    }
}

#[test]
fn logging_a_visit_proposes_an_extraction_resolved_against_the_visit_time() {
    let events = logged_history();
    let [Event::VisitLogged(logged), Event::VisitExtractionProposed(proposed)] = events.as_slice()
    else {
        panic!("expected VisitLogged and VisitExtractionProposed, got {events:?}");
    };
    assert_eq!(logged.rep_id, rep_id(1));
    assert_eq!(proposed.dictionary_version, 3);
    assert_eq!(proposed.local_date, date("2027-03-10"));
    assert_eq!(proposed.extraction, proposed_extraction());
}

#[test]
fn the_rep_confirms_with_edits_and_next_actions_become_todos() {
    let now = time("2027-03-10T11:05:00+08:00");
    let edited_window =
        PurchaseWindow::new(date("2027-04-15"), date("2027-05-15"), String::new()).expect("window");
    let state = given::<Visit>(&logged_history())
        .when(
            VisitCommand::ConfirmExtraction(ConfirmVisitExtraction {
                rep_id: rep_id(1),
                competitors: vec!["Siemens".to_owned(), "Mindray".to_owned()],
                purchase_window: Some(edited_window.clone()),
                concerns: vec!["integration".to_owned()],
                stance: Some(CustomerStance::StillComparing),
                next_actions: vec![
                    NextAction {
                        todo_id: todo_id(1),
                        title: text("发送HIS接口文档"),
                        due_on: date("2027-03-12"),
                    },
                    NextAction {
                        todo_id: todo_id(2),
                        title: text("Book a demo with the IT team"),
                        due_on: date("2027-03-20"),
                    },
                ],
            }),
            now,
        )
        .then_expect_events(&[
            Event::VisitExtractionConfirmed(VisitExtractionConfirmed {
                visit_id: visit_id(),
                customer_id: customer_id(1),
                rep_id: rep_id(1),
                extraction: Extraction {
                    competitors: vec!["Mindray".to_owned(), "Siemens".to_owned()],
                    purchase_window: Some(edited_window),
                    concerns: vec!["integration".to_owned()],
                    stance: Some(CustomerStance::StillComparing),
                },
                edited: true,
                confirmed_at: now,
            }),
            Event::TodoCreated(TodoCreated {
                todo_id: todo_id(1),
                visit_id: visit_id(),
                customer_id: customer_id(1),
                rep_id: rep_id(1),
                title: text("发送HIS接口文档"),
                due_on: date("2027-03-12"),
                created_at: now,
            }),
            Event::TodoCreated(TodoCreated {
                todo_id: todo_id(2),
                visit_id: visit_id(),
                customer_id: customer_id(1),
                rep_id: rep_id(1),
                title: text("Book a demo with the IT team"),
                due_on: date("2027-03-20"),
                created_at: now,
            }),
        ]);
    assert_eq!(state.todos.len(), 2);
}

fn confirm_as_proposed(next_actions: Vec<NextAction>) -> VisitCommand {
    let extraction = proposed_extraction();
    VisitCommand::ConfirmExtraction(ConfirmVisitExtraction {
        rep_id: rep_id(1),
        competitors: extraction.competitors,
        purchase_window: extraction.purchase_window,
        concerns: extraction.concerns,
        stance: extraction.stance,
        next_actions,
    })
}

#[test]
fn confirming_unchanged_is_not_an_edit_and_happens_once() {
    let now = time("2027-03-10T11:05:00+08:00");
    let (events, _) = given::<Visit>(&logged_history())
        .when(confirm_as_proposed(vec![]), now)
        .events();
    let [Event::VisitExtractionConfirmed(confirmed)] = events.as_slice() else {
        panic!("expected one confirmation");
    };
    assert!(!confirmed.edited);
    let mut history = logged_history();
    history.extend(events);
    given::<Visit>(&history)
        .when(confirm_as_proposed(vec![]), now)
        .then_expect_error(DomainError::ExtractionAlreadyConfirmed);
}

#[test]
fn only_the_visit_rep_confirms_and_due_dates_are_not_before_the_visit() {
    let now = time("2027-03-10T11:05:00+08:00");
    let VisitCommand::ConfirmExtraction(mut by_other_rep) = confirm_as_proposed(vec![]) else {
        panic!("confirmation command");
    };
    by_other_rep.rep_id = rep_id(2);
    given::<Visit>(&logged_history())
        .when(VisitCommand::ConfirmExtraction(by_other_rep), now)
        .then_expect_error(DomainError::NotVisitRep {
            rep_id: rep_id(2),
            visit_rep_id: rep_id(1),
        });
    given::<Visit>(&logged_history())
        .when(
            confirm_as_proposed(vec![NextAction {
                todo_id: todo_id(1),
                title: text("late"),
                due_on: date("2027-03-09"),
            }]),
            now,
        )
        .then_expect_error(DomainError::DueBeforeVisit {
            due_on: date("2027-03-09"),
            visit_on: date("2027-03-10"),
        });
}

#[test]
fn todos_are_completed_once() {
    let mut history = logged_history();
    let (events, _) = given::<Visit>(&history)
        .when(
            confirm_as_proposed(vec![NextAction {
                todo_id: todo_id(1),
                title: text("发送报价"),
                due_on: date("2027-03-12"),
            }]),
            time("2027-03-10T11:05:00+08:00"),
        )
        .events();
    history.extend(events);
    let complete = || {
        VisitCommand::CompleteTodo(CompleteTodo {
            todo_id: todo_id(1),
            rep_id: rep_id(1),
        })
    };
    let now = time("2027-03-13T09:00:00+08:00");
    // A to-do is the visiting rep's: another rep cannot complete it.
    given::<Visit>(&history)
        .when(
            VisitCommand::CompleteTodo(CompleteTodo {
                todo_id: todo_id(1),
                rep_id: rep_id(2),
            }),
            now,
        )
        .then_expect_error_code("not_visit_rep");
    let (events, _) = given::<Visit>(&history).when(complete(), now).events();
    assert_eq!(
        events,
        vec![Event::TodoCompleted(TodoCompleted {
            todo_id: todo_id(1),
            visit_id: visit_id(),
            rep_id: rep_id(1),
            completed_at: now,
            overdue: true,
        })]
    );
    // Due 2027-03-12: completed at 07:30 on the 13th in China (23:30 UTC
    // on the 12th) it is overdue, the local day being over.
    let (early, _) = given::<Visit>(&history)
        .when(complete(), time("2027-03-13T07:30:00+08:00"))
        .events();
    assert!(
        matches!(&early[..], [Event::TodoCompleted(done)] if done.overdue),
        "{early:?}"
    );
    // At 23:30 on its due day it is not.
    let (in_time, _) = given::<Visit>(&history)
        .when(complete(), time("2027-03-12T23:30:00+08:00"))
        .events();
    assert!(
        matches!(&in_time[..], [Event::TodoCompleted(done)] if !done.overdue),
        "{in_time:?}"
    );
    history.extend(events);
    given::<Visit>(&history)
        .when(complete(), now)
        .then_expect_error_code("todo_already_completed");
    given::<Visit>(&history)
        .when(
            VisitCommand::CompleteTodo(CompleteTodo {
                todo_id: todo_id(9),
                rep_id: rep_id(1),
            }),
            now,
        )
        .then_expect_error_code("todo_not_found");
}

#[test]
fn a_visit_cannot_be_logged_in_the_future() {
    given::<Visit>(&[])
        .when(log_visit(), time("2027-03-10T09:00:00+08:00"))
        .then_expect_error_code("occurs_in_future");
}

#[test]
fn a_logged_visit_is_a_follow_up_on_its_customer() {
    use salesledger_domain::customer::{CustomerCommand, FollowUpKind, RecordFollowUp};
    let events = logged_history();
    let Event::VisitLogged(logged) = &events[0] else {
        panic!("expected VisitLogged");
    };
    assert_eq!(
        follow_up_for(logged, pool_policy()),
        CustomerCommand::RecordFollowUp(RecordFollowUp {
            rep_id: rep_id(1),
            kind: FollowUpKind::Visit,
            occurred_at: time("2027-03-10T10:00:00+08:00"),
            visit_id: Some(visit_id()),
            policy: pool_policy(),
        })
    );
}
