//! Requests addressed to nurture packs.

use super::*;
use salesledger_domain::nurture;

/// The kind of a nurture step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NurtureStepKind {
    CaseVideo,
    ThirdPartyReview,
    TimeLimitedOffer,
    Whitepaper,
    ReferenceCall,
}

impl From<NurtureStepKind> for nurture::NurtureStepKind {
    fn from(kind: NurtureStepKind) -> Self {
        match kind {
            NurtureStepKind::CaseVideo => nurture::NurtureStepKind::CaseVideo,
            NurtureStepKind::ThirdPartyReview => nurture::NurtureStepKind::ThirdPartyReview,
            NurtureStepKind::TimeLimitedOffer => nurture::NurtureStepKind::TimeLimitedOffer,
            NurtureStepKind::Whitepaper => nurture::NurtureStepKind::Whitepaper,
            NurtureStepKind::ReferenceCall => nurture::NurtureStepKind::ReferenceCall,
        }
    }
}

/// The customer's response to a nurture step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NurtureResponse {
    Opened,
    Replied,
    Interested,
    NotInterested,
    RequestedMeeting,
}

impl From<NurtureResponse> for nurture::NurtureResponse {
    fn from(response: NurtureResponse) -> Self {
        match response {
            NurtureResponse::Opened => nurture::NurtureResponse::Opened,
            NurtureResponse::Replied => nurture::NurtureResponse::Replied,
            NurtureResponse::Interested => nurture::NurtureResponse::Interested,
            NurtureResponse::NotInterested => nurture::NurtureResponse::NotInterested,
            NurtureResponse::RequestedMeeting => nurture::NurtureResponse::RequestedMeeting,
        }
    }
}

/// Why a nurture pack ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NurtureCloseReason {
    Converted,
    Declined,
    Completed,
    Cancelled,
}

impl From<NurtureCloseReason> for nurture::NurtureCloseReason {
    fn from(reason: NurtureCloseReason) -> Self {
        match reason {
            NurtureCloseReason::Converted => nurture::NurtureCloseReason::Converted,
            NurtureCloseReason::Declined => nurture::NurtureCloseReason::Declined,
            NurtureCloseReason::Completed => nurture::NurtureCloseReason::Completed,
            NurtureCloseReason::Cancelled => nurture::NurtureCloseReason::Cancelled,
        }
    }
}

// ---------------------------------------------------------------------------
// Nurture packs
// ---------------------------------------------------------------------------

/// What started a nurture pack.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(tag = "source", rename_all = "snake_case", deny_unknown_fields)]
pub enum NurtureTriggerInput {
    /// A visit's confirmed extraction recorded "still comparing".
    VisitExtraction {
        /// The visit.
        visit_id: Uuid,
    },
    /// The stance was recorded on the customer directly.
    // A struct variant, not a unit one: serde ignores `deny_unknown_fields`
    // on unit variants of internally tagged enums.
    CustomerStance {},
}

impl From<NurtureTriggerInput> for nurture::NurtureTrigger {
    fn from(trigger: NurtureTriggerInput) -> Self {
        match trigger {
            NurtureTriggerInput::VisitExtraction { visit_id } => {
                nurture::NurtureTrigger::VisitExtraction {
                    visit_id: VisitId::from_uuid(visit_id),
                }
            }
            NurtureTriggerInput::CustomerStance {} => nurture::NurtureTrigger::CustomerStance,
        }
    }
}

/// Starts a nurture pack for a customer who is still comparing.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartNurturePackRequest {
    /// Optional client-chosen id of the new pack; the gateway uses it when
    /// present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-5566778899aa")]
    pub pack_id: Option<Uuid>,
    /// The customer to nurture.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccddeeff")]
    pub customer_id: Uuid,
    /// What started the pack.
    #[schema(example = json!({"source": "customer_stance"}))]
    pub trigger: NurtureTriggerInput,
}

impl StartNurturePackRequest {
    /// `template` is the published nurture template.
    pub fn into_command(
        self,
        pack_id: NurturePackId,
        template: NurtureTemplate,
    ) -> Result<NurtureCommand, DtoError> {
        Ok(NurtureCommand::Start(nurture::StartNurturePack {
            pack_id,
            customer_id: CustomerId::from_uuid(self.customer_id),
            trigger: self.trigger.into(),
            template,
        }))
    }
}

/// Records that a step of the pack was sent.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordNurtureStepSentRequest {
    /// 0-based index of the step in the pack's schedule.
    #[schema(example = 0)]
    pub step_index: u32,
    /// The channel it was sent on.
    #[schema(example = "企业微信")]
    pub channel: String,
}

impl RecordNurtureStepSentRequest {
    pub fn into_command(self) -> Result<NurtureCommand, DtoError> {
        Ok(NurtureCommand::RecordStepSent(
            nurture::RecordNurtureStepSent {
                step_index: self.step_index,
                channel: parse_value("channel", &self.channel, Text::parse)?,
            },
        ))
    }
}

/// Records the customer's response to a sent step.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordNurtureResponseRequest {
    /// 0-based index of the step responded to.
    #[schema(example = 1)]
    pub step_index: u32,
    /// The response.
    pub response: NurtureResponse,
    /// Optional note.
    #[schema(example = "Asked for the full third-party test report")]
    pub note: Option<String>,
}

impl RecordNurtureResponseRequest {
    pub fn into_command(self) -> Result<NurtureCommand, DtoError> {
        Ok(NurtureCommand::RecordResponse(
            nurture::RecordNurtureResponse {
                step_index: self.step_index,
                response: self.response.into(),
                note: parse_optional("note", self.note.as_deref(), Text::parse)?,
            },
        ))
    }
}

/// Closes a nurture pack.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseNurturePackRequest {
    /// Why the pack ends.
    pub reason: NurtureCloseReason,
}

impl CloseNurturePackRequest {
    pub fn into_command(self) -> Result<NurtureCommand, DtoError> {
        Ok(NurtureCommand::Close(nurture::CloseNurturePack {
            reason: self.reason.into(),
        }))
    }
}
