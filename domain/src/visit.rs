//! The visit aggregate (SPEC C4): a call or visit arrives as transcript
//! text, the extractor proposes competitors, purchase window, concerns and
//! stance; the rep confirms or edits them in one step; next actions become
//! to-do items with due dates, which the rep completes.
//!
//! Stream `visit-<uuid>`; to-do items live on their visit's stream. The
//! extraction dictionary arrives inside the command (it is data from
//! `config-extraction`). Never reads the clock: purchase windows are resolved
//! against the visit's own time.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::customer::CustomerStance;
use crate::error::{AggregateKind, DomainError, ValueKind};
use crate::event::Event;
use crate::extraction::{extract, local_date, Extraction, ExtractionDictionary, PurchaseWindow};
use crate::value::{CustomerId, RepId, Text, TodoId, VisitId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitChannel {
    OnSite,
    Phone,
    Video,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TodoItem {
    pub title: Text,
    pub due_on: NaiveDate,
    pub completed_at: Option<DateTime<Utc>>,
}

/// State of one visit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Visit {
    pub visit_id: Option<VisitId>,
    pub customer_id: Option<CustomerId>,
    pub rep_id: Option<RepId>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub local_date: Option<NaiveDate>,
    pub proposed_extraction: Option<Extraction>,
    pub confirmed_extraction: Option<Extraction>,
    pub todos: BTreeMap<TodoId, TodoItem>,
}

// ---- commands ----

/// A rep logs a visit with its transcript; the extraction is proposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogVisit {
    pub visit_id: VisitId,
    pub customer_id: CustomerId,
    pub rep_id: RepId,
    pub channel: VisitChannel,
    pub occurred_at: DateTime<Utc>,
    pub transcript: Text,
    pub rep_notes: Option<Text>,
    pub dictionary: ExtractionDictionary,
}

/// A next action the rep commits to; becomes a to-do item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextAction {
    pub todo_id: TodoId,
    pub title: Text,
    pub due_on: NaiveDate,
}

/// The rep confirms (or edits) the extraction in one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmVisitExtraction {
    pub rep_id: RepId,
    pub competitors: Vec<String>,
    pub purchase_window: Option<PurchaseWindow>,
    pub concerns: Vec<String>,
    pub stance: Option<CustomerStance>,
    pub next_actions: Vec<NextAction>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompleteTodo {
    pub todo_id: TodoId,
    pub rep_id: RepId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitCommand {
    Log(LogVisit),
    ConfirmExtraction(ConfirmVisitExtraction),
    CompleteTodo(CompleteTodo),
}

// ---- events ----

/// Schema v2. v1 had one `notes` field holding the transcript; its upcaster
/// moves it to `transcript`, sets `rep_notes: null` and `channel: "on_site"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitLogged {
    pub visit_id: VisitId,
    pub customer_id: CustomerId,
    pub rep_id: RepId,
    pub channel: VisitChannel,
    pub occurred_at: DateTime<Utc>,
    pub transcript: Text,
    pub rep_notes: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitExtractionProposed {
    pub visit_id: VisitId,
    pub dictionary_version: u32,
    pub local_date: NaiveDate,
    pub extraction: Extraction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitExtractionConfirmed {
    pub visit_id: VisitId,
    pub customer_id: CustomerId,
    pub rep_id: RepId,
    /// The final values, as confirmed or edited by the rep.
    pub extraction: Extraction,
    /// Whether the rep changed anything the extractor proposed.
    pub edited: bool,
    pub confirmed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TodoCreated {
    pub todo_id: TodoId,
    pub visit_id: VisitId,
    pub customer_id: CustomerId,
    pub rep_id: RepId,
    pub title: Text,
    pub due_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TodoCompleted {
    pub todo_id: TodoId,
    pub visit_id: VisitId,
    pub rep_id: RepId,
    pub completed_at: DateTime<Utc>,
    /// Whether it was completed after the end of its due day, a local day
    /// (the organisation's, [`crate::health::local_day`]; before 2026-12
    /// builds compared the UTC date, so a to-do completed between local
    /// midnight and 08:00 was not marked).
    pub overdue: bool,
}

fn sorted_distinct(values: Vec<String>) -> Result<Vec<String>, DomainError> {
    let mut cleaned = Vec::new();
    for value in values {
        let trimmed = value.trim();
        if trimmed.is_empty() || trimmed.chars().count() > 100 {
            return Err(DomainError::invalid(
                ValueKind::Text,
                "names are 1 to 100 characters",
            ));
        }
        cleaned.push(trimmed.to_owned());
    }
    cleaned.sort();
    cleaned.dedup();
    Ok(cleaned)
}

impl crate::business_time::BusinessTimes for VisitCommand {
    fn business_times(&self) -> Vec<crate::business_time::BusinessTime> {
        use crate::business_time::BusinessTime;
        match self {
            VisitCommand::Log(LogVisit {
                visit_id: _,
                customer_id: _,
                rep_id: _,
                channel: _,
                occurred_at,
                transcript: _,
                rep_notes: _,
                dictionary: _,
            }) => vec![BusinessTime::new("occurred_at", *occurred_at)],
            VisitCommand::ConfirmExtraction(ConfirmVisitExtraction {
                rep_id: _,
                competitors: _,
                purchase_window: _,
                concerns: _,
                stance: _,
                next_actions: _,
            })
            | VisitCommand::CompleteTodo(CompleteTodo {
                todo_id: _,
                rep_id: _,
            }) => Vec::new(),
        }
    }
}

impl Aggregate for Visit {
    type Command = VisitCommand;

    fn command_kind(command: &VisitCommand) -> crate::role::CommandKind {
        command.kind()
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::VisitLogged(logged) => {
                self.visit_id = Some(logged.visit_id);
                self.customer_id = Some(logged.customer_id);
                self.rep_id = Some(logged.rep_id);
                self.occurred_at = Some(logged.occurred_at);
            }
            Event::VisitExtractionProposed(proposed) => {
                self.local_date = Some(proposed.local_date);
                self.proposed_extraction = Some(proposed.extraction.clone());
            }
            Event::VisitExtractionConfirmed(confirmed) => {
                self.confirmed_extraction = Some(confirmed.extraction.clone());
            }
            Event::TodoCreated(created) => {
                self.todos.insert(
                    created.todo_id,
                    TodoItem {
                        title: created.title.clone(),
                        due_on: created.due_on,
                        completed_at: None,
                    },
                );
            }
            Event::TodoCompleted(completed) => {
                if let Some(todo) = self.todos.get_mut(&completed.todo_id) {
                    todo.completed_at = Some(completed.completed_at);
                }
            }
            _ => {}
        }
    }

    fn decide(&self, command: VisitCommand, now: DateTime<Utc>) -> Result<Vec<Event>, DomainError> {
        match command {
            VisitCommand::Log(log) => {
                if self.visit_id.is_some() {
                    return Err(DomainError::AlreadyExists {
                        aggregate: AggregateKind::Visit,
                    });
                }
                log.dictionary.validate()?;
                if log.occurred_at > now {
                    return Err(DomainError::OccursInFuture {
                        what: "visit",
                        occurred_at: log.occurred_at,
                        now,
                    });
                }
                let visit_date = local_date(log.occurred_at, log.dictionary.utc_offset_minutes);
                let extraction = extract(log.transcript.as_str(), visit_date, &log.dictionary);
                Ok(vec![
                    Event::VisitLogged(VisitLogged {
                        visit_id: log.visit_id,
                        customer_id: log.customer_id,
                        rep_id: log.rep_id,
                        channel: log.channel,
                        occurred_at: log.occurred_at,
                        transcript: log.transcript,
                        rep_notes: log.rep_notes,
                    }),
                    Event::VisitExtractionProposed(VisitExtractionProposed {
                        visit_id: log.visit_id,
                        dictionary_version: log.dictionary.version,
                        local_date: visit_date,
                        extraction,
                    }),
                ])
            }
            VisitCommand::ConfirmExtraction(confirm) => {
                let (Some(visit_id), Some(customer_id), Some(rep_id)) =
                    (self.visit_id, self.customer_id, self.rep_id)
                else {
                    return Err(DomainError::NotFound {
                        aggregate: AggregateKind::Visit,
                    });
                };
                if rep_id != confirm.rep_id {
                    return Err(DomainError::NotVisitRep {
                        rep_id: confirm.rep_id,
                        visit_rep_id: rep_id,
                    });
                }
                if self.confirmed_extraction.is_some() {
                    return Err(DomainError::ExtractionAlreadyConfirmed);
                }
                let proposed = self
                    .proposed_extraction
                    .as_ref()
                    .ok_or(DomainError::ExtractionMissing)?;
                let visit_on = self.local_date.ok_or(DomainError::ExtractionMissing)?;
                if let Some(window) = &confirm.purchase_window {
                    PurchaseWindow::new(window.earliest, window.latest, window.phrase.clone())?;
                }
                let extraction = Extraction {
                    competitors: sorted_distinct(confirm.competitors)?,
                    purchase_window: confirm.purchase_window,
                    concerns: sorted_distinct(confirm.concerns)?,
                    stance: confirm.stance,
                };
                let mut events = vec![Event::VisitExtractionConfirmed(VisitExtractionConfirmed {
                    visit_id,
                    customer_id,
                    rep_id,
                    edited: &extraction != proposed,
                    extraction,
                    confirmed_at: now,
                })];
                let mut seen_todo_ids = std::collections::BTreeSet::new();
                for action in confirm.next_actions {
                    if !seen_todo_ids.insert(action.todo_id) {
                        return Err(DomainError::invalid(
                            ValueKind::Text,
                            "next actions need distinct to-do ids",
                        ));
                    }
                    if action.due_on < visit_on {
                        return Err(DomainError::DueBeforeVisit {
                            due_on: action.due_on,
                            visit_on,
                        });
                    }
                    if self.todos.contains_key(&action.todo_id) {
                        return Err(DomainError::AlreadyExists {
                            aggregate: AggregateKind::Visit,
                        });
                    }
                    events.push(Event::TodoCreated(TodoCreated {
                        todo_id: action.todo_id,
                        visit_id,
                        customer_id,
                        rep_id,
                        title: action.title,
                        due_on: action.due_on,
                        created_at: now,
                    }));
                }
                Ok(events)
            }
            VisitCommand::CompleteTodo(complete) => {
                let (Some(visit_id), Some(rep_id)) = (self.visit_id, self.rep_id) else {
                    return Err(DomainError::NotFound {
                        aggregate: AggregateKind::Visit,
                    });
                };
                // A to-do is the visiting rep's commitment: only they complete it.
                if rep_id != complete.rep_id {
                    return Err(DomainError::NotVisitRep {
                        rep_id: complete.rep_id,
                        visit_rep_id: rep_id,
                    });
                }
                let todo = self
                    .todos
                    .get(&complete.todo_id)
                    .ok_or(DomainError::TodoNotFound {
                        todo_id: complete.todo_id.as_uuid(),
                    })?;
                if todo.completed_at.is_some() {
                    return Err(DomainError::TodoAlreadyCompleted {
                        todo_id: complete.todo_id.as_uuid(),
                    });
                }
                Ok(vec![Event::TodoCompleted(TodoCompleted {
                    todo_id: complete.todo_id,
                    visit_id,
                    rep_id: complete.rep_id,
                    completed_at: now,
                    overdue: crate::health::local_day(now) > todo.due_on,
                })])
            }
        }
    }
}

/// A logged visit is a follow-up on its customer (SPEC C3): this is the
/// command the command layer issues on the customer's stream after
/// `VisitLogged`, so the visit can extend the owner's protection.
pub fn follow_up_for(
    logged: &VisitLogged,
    policy: crate::customer::PoolPolicy,
) -> crate::customer::CustomerCommand {
    use crate::customer::{CustomerCommand, FollowUpKind, RecordFollowUp};
    let kind = match logged.channel {
        VisitChannel::OnSite => FollowUpKind::Visit,
        VisitChannel::Phone => FollowUpKind::Call,
        VisitChannel::Video => FollowUpKind::Meeting,
    };
    CustomerCommand::RecordFollowUp(RecordFollowUp {
        rep_id: logged.rep_id,
        kind,
        occurred_at: logged.occurred_at,
        visit_id: Some(logged.visit_id),
        policy,
    })
}
