//! The process-asset aggregate (SPEC C9): a solution authored, an objection
//! answer recorded, or a key won-deal action marked by a rep for a customer.
//!
//! Stream `asset-<uuid>`. One asset per stream, recorded once. "A rep only
//! for itself" (a rep may record assets only under its own rep id) is the
//! command layer's check: the domain does not know which rep an actor is.
//! Knows nothing of the accumulation rate (the `assets` view computes it).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::error::{AggregateKind, DomainError};
use crate::event::Event;
use crate::role::CommandKind;
use crate::value::{AssetId, CustomerId, RepId, Text};

/// What kind of process asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessAssetKind {
    Solution,
    ObjectionAnswer,
    WonDealAction,
}

/// A recorded process asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessAssetRecord {
    pub asset_id: AssetId,
    pub customer_id: CustomerId,
    pub rep_id: RepId,
    pub kind: ProcessAssetKind,
    pub title: Text,
    pub recorded_at: DateTime<Utc>,
}

/// State of one process asset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProcessAsset {
    pub record: Option<ProcessAssetRecord>,
}

// ---- commands ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessAssetCommand {
    /// Decision: carries the `asset_id` of the new stream.
    RecordProcessAsset {
        asset_id: AssetId,
        customer_id: CustomerId,
        rep_id: RepId,
        kind: ProcessAssetKind,
        title: Text,
    },
}

impl ProcessAssetCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            ProcessAssetCommand::RecordProcessAsset { .. } => CommandKind::RecordProcessAsset,
        }
    }
}

// ---- events ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessAssetRecorded {
    pub asset_id: AssetId,
    pub customer_id: CustomerId,
    pub rep_id: RepId,
    pub kind: ProcessAssetKind,
    pub title: Text,
    pub recorded_at: DateTime<Utc>,
}

impl crate::business_time::BusinessTimes for ProcessAssetCommand {
    fn business_times(&self) -> Vec<crate::business_time::BusinessTime> {
        match self {
            ProcessAssetCommand::RecordProcessAsset {
                asset_id: _,
                customer_id: _,
                rep_id: _,
                kind: _,
                title: _,
            } => Vec::new(),
        }
    }
}

impl Aggregate for ProcessAsset {
    type Command = ProcessAssetCommand;

    fn command_kind(command: &ProcessAssetCommand) -> CommandKind {
        command.kind()
    }

    fn apply(&mut self, event: &Event) {
        if let Event::ProcessAssetRecorded(recorded) = event {
            self.record = Some(ProcessAssetRecord {
                asset_id: recorded.asset_id,
                customer_id: recorded.customer_id,
                rep_id: recorded.rep_id,
                kind: recorded.kind,
                title: recorded.title.clone(),
                recorded_at: recorded.recorded_at,
            });
        }
    }

    fn decide(
        &self,
        command: ProcessAssetCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        match command {
            ProcessAssetCommand::RecordProcessAsset {
                asset_id,
                customer_id,
                rep_id,
                kind,
                title,
            } => {
                if self.record.is_some() {
                    return Err(DomainError::AlreadyExists {
                        aggregate: AggregateKind::ProcessAsset,
                    });
                }
                Ok(vec![Event::ProcessAssetRecorded(ProcessAssetRecorded {
                    asset_id,
                    customer_id,
                    rep_id,
                    kind,
                    title,
                    recorded_at: now,
                })])
            }
        }
    }
}
