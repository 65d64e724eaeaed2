//! The nurture-pack aggregate (SPEC C5): when a customer is recorded as
//! "still comparing" (还在比较 / 再考虑) a pack of scheduled steps starts
//! (case video, third-party review, time-limited offer); each step's sending
//! and the customer's response are events.
//!
//! Stream `nurture-<uuid>`. The steps and their delays come from a
//! [`NurtureTemplate`] (data, published on `config-nurture`). Which events
//! start a pack is decided by [`nurture_trigger`], a pure policy the command
//! layer runs on each appended event. Knows nothing of channels or delivery.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::customer::CustomerStance;
use crate::error::{AggregateKind, DomainError, ValueKind};
use crate::event::Event;
use crate::value::{CustomerId, NurturePackId, Text, VisitId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NurtureStepKind {
    CaseVideo,
    ThirdPartyReview,
    TimeLimitedOffer,
    Whitepaper,
    ReferenceCall,
}

/// One step of a template: what, and how long after the pack starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NurtureTemplateStep {
    pub kind: NurtureStepKind,
    pub delay_hours: u32,
    pub content_ref: String,
}

/// The versioned schedule of a nurture pack.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NurtureTemplate {
    pub version: u32,
    pub steps: Vec<NurtureTemplateStep>,
}

impl NurtureTemplate {
    /// A sensible default: a case video after 1 day, a third-party review
    /// after 4 days, a time-limited offer after 10 days. Version 1.
    pub fn default_v1() -> Self {
        let step = |kind, delay_hours, content_ref: &str| NurtureTemplateStep {
            kind,
            delay_hours,
            content_ref: content_ref.to_owned(),
        };
        NurtureTemplate {
            version: 1,
            steps: vec![
                step(NurtureStepKind::CaseVideo, 24, "case-video/default"),
                step(NurtureStepKind::ThirdPartyReview, 96, "review/default"),
                step(NurtureStepKind::TimeLimitedOffer, 240, "offer/default"),
            ],
        }
    }

    pub fn validate(&self) -> Result<(), DomainError> {
        if self.steps.is_empty() {
            return Err(DomainError::NurtureTemplateEmpty);
        }
        if self.steps.len() > 20
            || self
                .steps
                .iter()
                .any(|step| step.delay_hours > 24 * 365 || step.content_ref.trim().is_empty())
        {
            return Err(DomainError::invalid(
                ValueKind::RuleSet,
                "at most 20 steps, each within a year and with a content reference",
            ));
        }
        Ok(())
    }
}

/// What started a pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum NurtureTrigger {
    /// A visit's confirmed extraction recorded "still comparing".
    VisitExtraction { visit_id: VisitId },
    /// The stance was recorded on the customer directly.
    CustomerStance,
}

/// The customer's response to a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NurtureResponse {
    Opened,
    Replied,
    Interested,
    NotInterested,
    RequestedMeeting,
}

/// Why a pack ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NurtureCloseReason {
    Converted,
    Declined,
    Completed,
    Cancelled,
}

/// A step with its due time, as scheduled when the pack started.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledStep {
    pub step_index: u32,
    pub kind: NurtureStepKind,
    pub content_ref: String,
    pub due_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepProgress {
    pub scheduled: ScheduledStep,
    pub sent_at: Option<DateTime<Utc>>,
    pub responses: Vec<NurtureResponse>,
}

/// State of one nurture pack.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NurturePack {
    pub pack_id: Option<NurturePackId>,
    pub customer_id: Option<CustomerId>,
    pub steps: Vec<StepProgress>,
    pub closed: Option<NurtureCloseReason>,
}

// ---- commands ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartNurturePack {
    pub pack_id: NurturePackId,
    pub customer_id: CustomerId,
    pub trigger: NurtureTrigger,
    pub template: NurtureTemplate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordNurtureStepSent {
    pub step_index: u32,
    pub channel: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordNurtureResponse {
    pub step_index: u32,
    pub response: NurtureResponse,
    pub note: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseNurturePack {
    pub reason: NurtureCloseReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NurtureCommand {
    Start(StartNurturePack),
    RecordStepSent(RecordNurtureStepSent),
    RecordResponse(RecordNurtureResponse),
    Close(CloseNurturePack),
}

// ---- events ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NurturePackStarted {
    pub pack_id: NurturePackId,
    pub customer_id: CustomerId,
    pub trigger: NurtureTrigger,
    pub template_version: u32,
    pub steps: Vec<ScheduledStep>,
    pub started_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NurtureStepSent {
    pub pack_id: NurturePackId,
    pub step_index: u32,
    pub kind: NurtureStepKind,
    pub channel: Text,
    pub due_at: DateTime<Utc>,
    pub sent_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NurtureResponseRecorded {
    pub pack_id: NurturePackId,
    pub step_index: u32,
    pub response: NurtureResponse,
    pub note: Option<Text>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NurturePackClosed {
    pub pack_id: NurturePackId,
    pub reason: NurtureCloseReason,
    pub closed_at: DateTime<Utc>,
}

/// The policy "still comparing starts a nurture pack": which customer and
/// trigger an event calls for, if any. The command layer, on seeing
/// `Some`, issues [`StartNurturePack`] with a fresh pack id.
pub fn nurture_trigger(event: &Event) -> Option<(CustomerId, NurtureTrigger)> {
    match event {
        Event::VisitExtractionConfirmed(confirmed)
            if confirmed.extraction.stance == Some(CustomerStance::StillComparing) =>
        {
            Some((
                confirmed.customer_id,
                NurtureTrigger::VisitExtraction {
                    visit_id: confirmed.visit_id,
                },
            ))
        }
        Event::CustomerStanceRecorded(recorded)
            if recorded.stance == CustomerStance::StillComparing && recorded.visit_id.is_none() =>
        {
            Some((recorded.customer_id, NurtureTrigger::CustomerStance))
        }
        _ => None,
    }
}

impl NurturePack {
    fn step(&self, step_index: u32) -> Result<&StepProgress, DomainError> {
        self.steps
            .get(step_index as usize)
            .ok_or(DomainError::NurtureStepNotFound { step_index })
    }

    fn open_pack_id(&self) -> Result<NurturePackId, DomainError> {
        let pack_id = self.pack_id.ok_or(DomainError::NotFound {
            aggregate: AggregateKind::NurturePack,
        })?;
        if self.closed.is_some() {
            return Err(DomainError::NurturePackClosed);
        }
        Ok(pack_id)
    }
}

impl crate::business_time::BusinessTimes for NurtureCommand {
    fn business_times(&self) -> Vec<crate::business_time::BusinessTime> {
        match self {
            NurtureCommand::Start(StartNurturePack {
                pack_id: _,
                customer_id: _,
                trigger: _,
                template: _,
            })
            | NurtureCommand::RecordStepSent(RecordNurtureStepSent {
                step_index: _,
                channel: _,
            })
            | NurtureCommand::RecordResponse(RecordNurtureResponse {
                step_index: _,
                response: _,
                note: _,
            })
            | NurtureCommand::Close(CloseNurturePack { reason: _ }) => Vec::new(),
        }
    }
}

impl Aggregate for NurturePack {
    type Command = NurtureCommand;

    fn command_kind(command: &NurtureCommand) -> crate::role::CommandKind {
        command.kind()
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::NurturePackStarted(started) => {
                self.pack_id = Some(started.pack_id);
                self.customer_id = Some(started.customer_id);
                self.steps = started
                    .steps
                    .iter()
                    .map(|scheduled| StepProgress {
                        scheduled: scheduled.clone(),
                        sent_at: None,
                        responses: Vec::new(),
                    })
                    .collect();
            }
            Event::NurtureStepSent(sent) => {
                if let Some(step) = self.steps.get_mut(sent.step_index as usize) {
                    step.sent_at = Some(sent.sent_at);
                }
            }
            Event::NurtureResponseRecorded(recorded) => {
                if let Some(step) = self.steps.get_mut(recorded.step_index as usize) {
                    step.responses.push(recorded.response);
                }
            }
            Event::NurturePackClosed(closed) => {
                self.closed = Some(closed.reason);
            }
            _ => {}
        }
    }

    fn decide(
        &self,
        command: NurtureCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        match command {
            NurtureCommand::Start(start) => {
                if self.pack_id.is_some() {
                    return Err(DomainError::AlreadyExists {
                        aggregate: AggregateKind::NurturePack,
                    });
                }
                start.template.validate()?;
                let steps = start
                    .template
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(index, step)| ScheduledStep {
                        step_index: u32::try_from(index).unwrap_or(u32::MAX),
                        kind: step.kind,
                        content_ref: step.content_ref.clone(),
                        due_at: crate::calendar::moved_by(
                            now,
                            Duration::hours(i64::from(step.delay_hours)),
                        ),
                    })
                    .collect();
                Ok(vec![Event::NurturePackStarted(NurturePackStarted {
                    pack_id: start.pack_id,
                    customer_id: start.customer_id,
                    trigger: start.trigger,
                    template_version: start.template.version,
                    steps,
                    started_at: now,
                })])
            }
            NurtureCommand::RecordStepSent(sent) => {
                let pack_id = self.open_pack_id()?;
                let step = self.step(sent.step_index)?;
                if step.sent_at.is_some() {
                    return Err(DomainError::NurtureStepAlreadySent {
                        step_index: sent.step_index,
                    });
                }
                Ok(vec![Event::NurtureStepSent(NurtureStepSent {
                    pack_id,
                    step_index: sent.step_index,
                    kind: step.scheduled.kind,
                    channel: sent.channel,
                    due_at: step.scheduled.due_at,
                    sent_at: now,
                })])
            }
            NurtureCommand::RecordResponse(response) => {
                let pack_id = self.open_pack_id()?;
                let step = self.step(response.step_index)?;
                if step.sent_at.is_none() {
                    return Err(DomainError::NurtureStepNotSent {
                        step_index: response.step_index,
                    });
                }
                Ok(vec![Event::NurtureResponseRecorded(
                    NurtureResponseRecorded {
                        pack_id,
                        step_index: response.step_index,
                        response: response.response,
                        note: response.note,
                        recorded_at: now,
                    },
                )])
            }
            NurtureCommand::Close(close) => {
                let pack_id = self.open_pack_id()?;
                Ok(vec![Event::NurturePackClosed(NurturePackClosed {
                    pack_id,
                    reason: close.reason,
                    closed_at: now,
                })])
            }
        }
    }
}
