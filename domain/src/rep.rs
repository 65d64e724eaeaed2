//! The rep aggregate: a salesperson with a region and 3 to 5 capability tags
//! (SPEC C2).
//!
//! Stream `rep-<uuid>`. Knows nothing of customers or routing scores; it only
//! offers a [`RepProfile`] that routing reads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::error::{AggregateKind, DomainError};
use crate::event::Event;
use crate::value::{CapabilityTags, Region, RepId, Text};

/// What routing needs to know about a rep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepProfile {
    pub rep_id: RepId,
    pub region: Region,
    pub capability_tags: CapabilityTags,
    pub active: bool,
}

/// State of one rep.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rep {
    pub profile: Option<RepProfile>,
    pub display_name: Option<Text>,
}

// ---- commands ----

/// Registers a rep with a region and 3 to 5 capability tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRep {
    pub rep_id: RepId,
    pub display_name: Text,
    pub region: Region,
    pub capability_tags: CapabilityTags,
}

/// Replaces a rep's capability tags (still 3 to 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRepCapabilities {
    pub capability_tags: CapabilityTags,
}

/// Takes a rep out of routing (left the company, long leave).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeactivateRep {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepCommand {
    Register(RegisterRep),
    ChangeCapabilities(ChangeRepCapabilities),
    Deactivate(DeactivateRep),
}

// ---- events ----

/// Schema v2 (v1 had no `region`; its upcaster sets `"unassigned"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepRegistered {
    pub rep_id: RepId,
    pub display_name: Text,
    pub region: Region,
    pub capability_tags: CapabilityTags,
    pub registered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepCapabilitiesChanged {
    pub rep_id: RepId,
    pub capability_tags: CapabilityTags,
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepDeactivated {
    pub rep_id: RepId,
    pub deactivated_at: DateTime<Utc>,
}

impl crate::business_time::BusinessTimes for RepCommand {
    fn business_times(&self) -> Vec<crate::business_time::BusinessTime> {
        match self {
            RepCommand::Register(RegisterRep {
                rep_id: _,
                display_name: _,
                region: _,
                capability_tags: _,
            })
            | RepCommand::ChangeCapabilities(ChangeRepCapabilities { capability_tags: _ })
            | RepCommand::Deactivate(DeactivateRep {}) => Vec::new(),
        }
    }
}

impl Aggregate for Rep {
    type Command = RepCommand;

    fn command_kind(command: &RepCommand) -> crate::role::CommandKind {
        command.kind()
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::RepRegistered(registered) => {
                self.profile = Some(RepProfile {
                    rep_id: registered.rep_id,
                    region: registered.region.clone(),
                    capability_tags: registered.capability_tags.clone(),
                    active: true,
                });
                self.display_name = Some(registered.display_name.clone());
            }
            Event::RepCapabilitiesChanged(changed) => {
                if let Some(profile) = self.profile.as_mut() {
                    profile.capability_tags = changed.capability_tags.clone();
                }
            }
            Event::RepDeactivated(_) => {
                if let Some(profile) = self.profile.as_mut() {
                    profile.active = false;
                }
            }
            _ => {}
        }
    }

    fn decide(&self, command: RepCommand, now: DateTime<Utc>) -> Result<Vec<Event>, DomainError> {
        let not_found = DomainError::NotFound {
            aggregate: AggregateKind::Rep,
        };
        match command {
            RepCommand::Register(register) => {
                if self.profile.is_some() {
                    return Err(DomainError::AlreadyExists {
                        aggregate: AggregateKind::Rep,
                    });
                }
                Ok(vec![Event::RepRegistered(RepRegistered {
                    rep_id: register.rep_id,
                    display_name: register.display_name,
                    region: register.region,
                    capability_tags: register.capability_tags,
                    registered_at: now,
                })])
            }
            RepCommand::ChangeCapabilities(change) => {
                let profile = self.profile.as_ref().ok_or(not_found)?;
                if change.capability_tags == profile.capability_tags {
                    return Ok(Vec::new());
                }
                Ok(vec![Event::RepCapabilitiesChanged(
                    RepCapabilitiesChanged {
                        rep_id: profile.rep_id,
                        capability_tags: change.capability_tags,
                        changed_at: now,
                    },
                )])
            }
            RepCommand::Deactivate(DeactivateRep {}) => {
                let profile = self.profile.as_ref().ok_or(not_found)?;
                if !profile.active {
                    return Ok(Vec::new());
                }
                Ok(vec![Event::RepDeactivated(RepDeactivated {
                    rep_id: profile.rep_id,
                    deactivated_at: now,
                })])
            }
        }
    }
}
