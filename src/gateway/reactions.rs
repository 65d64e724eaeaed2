//! `GET /v1/reactions/{event_id}`: how the reactions to one event were
//! decided, as the reaction process manager
//! ([`salesledger_commands::ReactionManager`], started with the gateway's
//! state in `DATA/reactions/`) records them: `pending` (seen, still being
//! retried), `applied` (the reactions' events are in the log) or `refused`
//! (a domain refusal, with its problem code). Any authenticated role may
//! read it. An event id the manager has not seen call for a reaction is
//! `404 reaction_not_found`; the answer names the manager's position (every
//! record before it was seen), so a client that just wrote the trigger can
//! tell "not yet seen" from "triggered nothing".

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Json;
use salesledger_commands::process_manager::ReactionOutcome;
use salesledger_commands::ReactionStatus;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Caller;
use super::problem::ApiError;
use super::route::ReadRoute;
use super::AppState;

/// The route this module serves (one of the read routes).
pub const REACTION_READ: ReadRoute = ReadRoute {
    path: "/v1/reactions/{event_id}",
    operation_id: "ReadReactionOutcome",
    schema: "ReactionOutcomeView",
    query: &[],
    serve: || get(read_reaction_outcome),
};

/// The reactions to one event.
#[derive(Serialize, ToSchema)]
pub struct ReactionOutcomeView {
    /// The event that called for the reactions (their causation id).
    pub trigger_event_id: Uuid,
    /// Its log position.
    pub trigger_position: u64,
    /// `pending`, `applied` (every reaction in the log) or `refused` (a
    /// reaction was refused for a domain reason).
    pub status: String,
    /// One entry per reaction once decided; empty while pending.
    pub reactions: Vec<ReactionView>,
    /// The next log position the manager will scan: it has seen every
    /// record before it.
    pub manager_position: u64,
}

/// How one reaction was decided.
#[derive(Serialize, ToSchema)]
pub struct ReactionView {
    /// Its index among the event's reactions (part of its idempotency key
    /// `reaction:<event id>:<index>`).
    pub index: usize,
    /// `follow_up` or `nurture_pack`.
    pub reaction: String,
    /// The stream the reaction was decided on.
    pub stream_id: String,
    /// `applied` or `refused`.
    pub status: String,
    /// Applied: the positions of the reaction's events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positions: Option<Vec<u64>>,
    /// Applied: the ids of the reaction's events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_ids: Option<Vec<Uuid>>,
    /// Refused: the problem code the command was refused with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Refused: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl From<ReactionOutcome> for ReactionView {
    fn from(outcome: ReactionOutcome) -> Self {
        match outcome {
            ReactionOutcome::Applied {
                index,
                reaction,
                stream_id,
                positions,
                event_ids,
            } => ReactionView {
                index,
                reaction,
                stream_id,
                status: "applied".to_owned(),
                positions: Some(positions),
                event_ids: Some(event_ids),
                code: None,
                message: None,
            },
            ReactionOutcome::Refused {
                index,
                reaction,
                stream_id,
                code,
                message,
            } => ReactionView {
                index,
                reaction,
                stream_id,
                status: "refused".to_owned(),
                positions: None,
                event_ids: None,
                code: Some(code),
                message: Some(message),
            },
        }
    }
}

async fn read_reaction_outcome(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<ReactionOutcomeView>, ApiError> {
    let event_id = path?.0;
    // The outcome first: the position read after it covers it.
    let outcome = state.reactions.outcome(event_id);
    let manager_position = state.reactions.progress().scanned;
    let view = match outcome {
        Some(ReactionStatus::Pending { trigger_position }) => ReactionOutcomeView {
            trigger_event_id: event_id,
            trigger_position,
            status: "pending".to_owned(),
            reactions: Vec::new(),
            manager_position,
        },
        Some(ReactionStatus::Decided(outcome)) => ReactionOutcomeView {
            trigger_event_id: event_id,
            trigger_position: outcome.trigger_position,
            status: outcome.status().to_owned(),
            reactions: outcome.reactions.into_iter().map(Into::into).collect(),
            manager_position,
        },
        None => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "reaction_not_found",
                format!(
                    "event {event_id} called for no reaction the reaction manager has seen (it has seen the log up to position {manager_position})"
                ),
            )
            .with("manager_position", serde_json::json!(manager_position)))
        }
    };
    Ok(Json(view))
}
