//! Requests addressed to visits: logging one, confirming its extraction, completing its to-dos.

use super::*;
use salesledger_domain::visit;

/// How a visit took place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VisitChannel {
    OnSite,
    Phone,
    Video,
}

impl From<VisitChannel> for visit::VisitChannel {
    fn from(channel: VisitChannel) -> Self {
        match channel {
            VisitChannel::OnSite => visit::VisitChannel::OnSite,
            VisitChannel::Phone => visit::VisitChannel::Phone,
            VisitChannel::Video => visit::VisitChannel::Video,
        }
    }
}

// ---------------------------------------------------------------------------
// Visits
// ---------------------------------------------------------------------------

/// A rep logs a visit or call with its transcript; the extraction is proposed.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogVisitRequest {
    /// Optional client-chosen id of the new visit; the gateway uses it when
    /// present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-445566778899")]
    pub visit_id: Option<Uuid>,
    /// The customer visited.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccddeeff")]
    pub customer_id: Uuid,
    /// The rep who made the visit.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Uuid,
    /// How the visit took place.
    pub channel: VisitChannel,
    /// When the visit took place (RFC 3339); time phrases in the transcript
    /// are resolved against it.
    #[schema(example = "2027-03-15T10:30:00+08:00")]
    pub occurred_at: DateTime<Utc>,
    /// The transcript text (speech-to-text from the phone), 1 to 20 000
    /// characters.
    #[schema(example = "客户说还在比较西门子的方案，预计下个月采购，担心交期。")]
    #[schema(min_length = 1, max_length = 20000)]
    pub transcript: String,
    /// The rep's own notes, if any.
    pub rep_notes: Option<String>,
}

impl LogVisitRequest {
    /// `dictionary` is the published extraction dictionary.
    pub fn into_command(
        self,
        visit_id: VisitId,
        dictionary: ExtractionDictionary,
    ) -> Result<VisitCommand, DtoError> {
        Ok(VisitCommand::Log(visit::LogVisit {
            visit_id,
            customer_id: CustomerId::from_uuid(self.customer_id),
            rep_id: RepId::from_uuid(self.rep_id),
            channel: self.channel.into(),
            occurred_at: self.occurred_at,
            transcript: parse_value("transcript", &self.transcript, Text::parse)?,
            rep_notes: parse_optional("rep_notes", self.rep_notes.as_deref(), Text::parse)?,
            dictionary,
        }))
    }
}

/// A purchase time window, inclusive on both ends.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseWindowInput {
    /// First day of the window (`YYYY-MM-DD`).
    #[schema(example = "2027-04-01")]
    pub earliest: NaiveDate,
    /// Last day of the window (`YYYY-MM-DD`), not before `earliest`.
    #[schema(example = "2027-04-30")]
    pub latest: NaiveDate,
    /// The phrase it was resolved from; empty or absent when entered by hand.
    #[serde(default)]
    #[schema(example = "下个月")]
    pub phrase: String,
}

/// A next action the rep commits to; it becomes a to-do item.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NextActionInput {
    /// Optional client-chosen id of the to-do item; generated when absent.
    pub todo_id: Option<Uuid>,
    /// What to do (1 to 20 000 characters).
    #[schema(example = "发送交期承诺函")]
    #[schema(min_length = 1, max_length = 20000)]
    pub title: String,
    /// Due date (`YYYY-MM-DD`), not before the visit's local date.
    #[schema(example = "2027-03-20")]
    pub due_on: NaiveDate,
}

/// The rep confirms or edits the proposed extraction in one step; the
/// values sent are the final ones.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmVisitExtractionRequest {
    /// The rep of the visit.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Uuid,
    /// Competitors mentioned (canonical names, 1 to 100 characters each).
    #[schema(example = json!(["Siemens", "汇川"]))]
    pub competitors: Vec<String>,
    /// The purchase window, or null when none was mentioned.
    pub purchase_window: Option<PurchaseWindowInput>,
    /// Technical concerns (canonical names, 1 to 100 characters each).
    #[schema(example = json!(["交期", "HIS integration"]))]
    pub concerns: Vec<String>,
    /// The customer's stance, or null.
    pub stance: Option<CustomerStance>,
    /// Next actions; each becomes a to-do item. Absent means none.
    #[serde(default)]
    pub next_actions: Vec<NextActionInput>,
}

impl ConfirmVisitExtractionRequest {
    /// `new_todo_id` mints an id for each next action without a `todo_id`.
    pub fn into_command(
        self,
        mut new_todo_id: impl FnMut() -> TodoId,
    ) -> Result<VisitCommand, DtoError> {
        let purchase_window = self
            .purchase_window
            .map(|window| {
                PurchaseWindow::new(window.earliest, window.latest, window.phrase)
                    .map_err(|error| DtoError::invalid("purchase_window", &error))
            })
            .transpose()?;
        let next_actions = each_item("next_actions", self.next_actions, |at, action| {
            Ok(NextAction {
                todo_id: action
                    .todo_id
                    .map_or_else(&mut new_todo_id, TodoId::from_uuid),
                title: parse_value(&format!("{at}.title"), &action.title, Text::parse)?,
                due_on: action.due_on,
            })
        })?;
        Ok(VisitCommand::ConfirmExtraction(
            visit::ConfirmVisitExtraction {
                rep_id: RepId::from_uuid(self.rep_id),
                competitors: self.competitors,
                purchase_window,
                concerns: self.concerns,
                stance: self.stance.map(Into::into),
                next_actions,
            },
        ))
    }
}

/// The rep completes a to-do item (the item is in the path).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteTodoRequest {
    /// The rep of the visit.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Uuid,
}

impl CompleteTodoRequest {
    /// `todo_id` comes from the path.
    pub fn into_command(self, todo_id: TodoId) -> Result<VisitCommand, DtoError> {
        Ok(VisitCommand::CompleteTodo(visit::CompleteTodo {
            todo_id,
            rep_id: RepId::from_uuid(self.rep_id),
        }))
    }
}
