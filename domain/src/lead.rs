//! The lead aggregate: hand-off from marketing to sales (SPEC C1) and its
//! routing (C2).
//!
//! Stream `lead-<uuid>`. A lead is routable only once both confirmations
//! (budget, technical fit) are recorded, each naming its person and time.
//! Routing proposes the TOP candidates from [`crate::routing`]; a supervisor
//! confirms one of them, and the seconds from proposal to confirmation are
//! recorded: that confirmation is the responsibility-log entry.
//!
//! Funnel stages (SPEC C11): `lead` (registered), `qualified` (routing
//! confirmed), then `AdvanceStage` moves it forward: `proposal`,
//! `negotiation`, `won` (only after `proposal` or `negotiation`), or `lost`
//! from any non-final stage of a routed lead; nothing moves after `won` or
//! `lost`, and an unrouted lead cannot advance (`lead_stage_not_allowed`).
//! Skipping forward (e.g. `qualified` -> `negotiation`) is allowed. Knows
//! nothing of storage, or of how reps and rule sets are loaded.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::duplicate::{DuplicateCandidate, DuplicateClearance};
use crate::error::{AggregateKind, DomainError};
use crate::event::Event;
use crate::rep::RepProfile;
use crate::routing::{propose_candidates, RoutingCandidate, RoutingRuleSet};
use crate::value::{
    ActorId, CompanyName, CustomerAttributes, CustomerId, Email, LeadId, Phone, RepId, Text,
    UnifiedSocialCreditCode,
};

/// The two confirmations a lead needs before routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadConfirmation {
    Budget,
    TechnicalFit,
}

/// A funnel stage, in order.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum FunnelStage {
    /// Registered.
    #[default]
    Lead,
    /// Routing confirmed.
    Qualified,
    Proposal,
    Negotiation,
    Won,
    Lost,
}

impl std::fmt::Display for LeadConfirmation {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            LeadConfirmation::Budget => "budget",
            LeadConfirmation::TechnicalFit => "technical_fit",
        })
    }
}

impl std::fmt::Display for FunnelStage {
    /// The stage as the API spells it (`qualified`, `negotiation`, ...).
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&crate::error::snake_case(&format!("{self:?}")))
    }
}

impl FunnelStage {
    pub const ALL: [FunnelStage; 6] = [
        FunnelStage::Lead,
        FunnelStage::Qualified,
        FunnelStage::Proposal,
        FunnelStage::Negotiation,
        FunnelStage::Won,
        FunnelStage::Lost,
    ];

    /// `won` and `lost` are final.
    pub fn is_final(self) -> bool {
        matches!(self, FunnelStage::Won | FunnelStage::Lost)
    }

    /// Whether `AdvanceStage` may move a lead from `self` to `to`.
    pub fn may_advance_to(self, to: FunnelStage) -> bool {
        match (self, to) {
            (FunnelStage::Lead, _) => false,
            (from, _) if from.is_final() => false,
            (_, FunnelStage::Lost) => true,
            (from, FunnelStage::Won) => {
                matches!(from, FunnelStage::Proposal | FunnelStage::Negotiation)
            }
            (from, to) => to > from,
        }
    }
}

/// Who confirmed, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfirmationRecord {
    pub confirmed_by: ActorId,
    pub confirmed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeadRecord {
    pub lead_id: LeadId,
    pub company_name: CompanyName,
    pub customer_id: Option<CustomerId>,
    pub attributes: CustomerAttributes,
    pub registered_by: ActorId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingRoutingProposal {
    pub rule_version: u32,
    pub candidates: Vec<RoutingCandidate>,
    pub proposed_at: DateTime<Utc>,
}

/// State of one lead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Lead {
    pub record: Option<LeadRecord>,
    pub budget_confirmation: Option<ConfirmationRecord>,
    pub technical_fit_confirmation: Option<ConfirmationRecord>,
    pub routing_proposal: Option<PendingRoutingProposal>,
    pub routed_to: Option<RepId>,
    /// The current funnel stage.
    pub stage: FunnelStage,
}

impl Lead {
    /// The confirmations still missing before routing.
    pub fn missing_confirmations(&self) -> Vec<LeadConfirmation> {
        let mut missing = Vec::new();
        if self.budget_confirmation.is_none() {
            missing.push(LeadConfirmation::Budget);
        }
        if self.technical_fit_confirmation.is_none() {
            missing.push(LeadConfirmation::TechnicalFit);
        }
        missing
    }

    /// The current funnel stage.
    pub fn stage(&self) -> FunnelStage {
        self.stage
    }

    fn record(&self) -> Result<&LeadRecord, DomainError> {
        self.record.as_ref().ok_or(DomainError::NotFound {
            aggregate: AggregateKind::Lead,
        })
    }
}

// ---- commands ----

/// Marketing registers a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterLead {
    pub lead_id: LeadId,
    pub company_name: CompanyName,
    pub unified_social_credit_code: Option<UnifiedSocialCreditCode>,
    pub phone: Option<Phone>,
    pub contact_email: Option<Email>,
    pub attributes: CustomerAttributes,
    /// The existing customer this lead is a new opportunity of, if any.
    pub customer_id: Option<CustomerId>,
    pub registered_by: ActorId,
    pub duplicate_clearance: DuplicateClearance,
}

/// A named person confirms the lead's budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmLeadBudget {
    pub confirmed_by: ActorId,
    pub note: Option<Text>,
}

/// A named person confirms the lead's technical fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmLeadTechnicalFit {
    pub confirmed_by: ActorId,
    pub note: Option<Text>,
}

/// Scores `reps` under `rule_set` and proposes the TOP candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposeRouting {
    pub rule_set: RoutingRuleSet,
    pub reps: Vec<RepProfile>,
}

/// A supervisor confirms one proposed candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmRouting {
    pub rep_id: RepId,
    pub confirmed_by: ActorId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadCommand {
    Register(RegisterLead),
    ConfirmBudget(ConfirmLeadBudget),
    ConfirmTechnicalFit(ConfirmLeadTechnicalFit),
    ProposeRouting(ProposeRouting),
    ConfirmRouting(ConfirmRouting),
    /// Moves a routed lead forward in the funnel (see the module docs).
    AdvanceStage {
        stage: FunnelStage,
        reason: Option<Text>,
        advanced_by: ActorId,
    },
}

// ---- events ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadRegistered {
    pub lead_id: LeadId,
    pub company_name: CompanyName,
    pub unified_social_credit_code: Option<UnifiedSocialCreditCode>,
    pub phone: Option<Phone>,
    pub contact_email: Option<Email>,
    pub attributes: CustomerAttributes,
    pub customer_id: Option<CustomerId>,
    pub registered_by: ActorId,
    pub registered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadBudgetConfirmed {
    pub lead_id: LeadId,
    pub confirmed_by: ActorId,
    pub note: Option<Text>,
    pub confirmed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadTechnicalFitConfirmed {
    pub lead_id: LeadId,
    pub confirmed_by: ActorId,
    pub note: Option<Text>,
    pub confirmed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingProposed {
    pub lead_id: LeadId,
    pub rule_version: u32,
    pub candidates: Vec<RoutingCandidate>,
    pub n_reps_scored: u32,
    pub proposed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingConfirmed {
    pub lead_id: LeadId,
    /// The lead's customer, whose owner the chosen rep becomes when it has
    /// none (a reaction, SPEC C2 then C3). Schema v2; `null` in v1 events.
    pub customer_id: Option<CustomerId>,
    pub rep_id: RepId,
    pub confirmed_by: ActorId,
    pub rule_version: u32,
    pub candidate_rank: u32,
    pub score: u32,
    pub proposed_at: DateTime<Utc>,
    pub confirmed_at: DateTime<Utc>,
    /// Whole seconds from `proposed_at` to `confirmed_at` (SPEC C2 target: < 30).
    pub seconds_from_proposal: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadStageAdvanced {
    pub lead_id: LeadId,
    pub from: FunnelStage,
    pub to: FunnelStage,
    pub reason: Option<Text>,
    pub advanced_by: ActorId,
    pub advanced_at: DateTime<Utc>,
}

impl crate::business_time::BusinessTimes for LeadCommand {
    fn business_times(&self) -> Vec<crate::business_time::BusinessTime> {
        match self {
            LeadCommand::Register(RegisterLead {
                lead_id: _,
                company_name: _,
                unified_social_credit_code: _,
                phone: _,
                contact_email: _,
                attributes: _,
                customer_id: _,
                registered_by: _,
                duplicate_clearance: _,
            })
            | LeadCommand::ConfirmBudget(ConfirmLeadBudget {
                confirmed_by: _,
                note: _,
            })
            | LeadCommand::ConfirmTechnicalFit(ConfirmLeadTechnicalFit {
                confirmed_by: _,
                note: _,
            })
            | LeadCommand::ProposeRouting(ProposeRouting {
                rule_set: _,
                reps: _,
            })
            | LeadCommand::ConfirmRouting(ConfirmRouting {
                rep_id: _,
                confirmed_by: _,
            })
            | LeadCommand::AdvanceStage {
                stage: _,
                reason: _,
                advanced_by: _,
            } => Vec::new(),
        }
    }
}

impl Aggregate for Lead {
    type Command = LeadCommand;

    fn command_kind(command: &LeadCommand) -> crate::role::CommandKind {
        command.kind()
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::LeadRegistered(registered) => {
                self.record = Some(LeadRecord {
                    lead_id: registered.lead_id,
                    company_name: registered.company_name.clone(),
                    customer_id: registered.customer_id,
                    attributes: registered.attributes.clone(),
                    registered_by: registered.registered_by.clone(),
                });
            }
            Event::LeadBudgetConfirmed(confirmed) => {
                self.budget_confirmation = Some(ConfirmationRecord {
                    confirmed_by: confirmed.confirmed_by.clone(),
                    confirmed_at: confirmed.confirmed_at,
                });
            }
            Event::LeadTechnicalFitConfirmed(confirmed) => {
                self.technical_fit_confirmation = Some(ConfirmationRecord {
                    confirmed_by: confirmed.confirmed_by.clone(),
                    confirmed_at: confirmed.confirmed_at,
                });
            }
            Event::RoutingProposed(proposed) => {
                self.routing_proposal = Some(PendingRoutingProposal {
                    rule_version: proposed.rule_version,
                    candidates: proposed.candidates.clone(),
                    proposed_at: proposed.proposed_at,
                });
            }
            Event::RoutingConfirmed(confirmed) => {
                self.routed_to = Some(confirmed.rep_id);
                if self.stage < FunnelStage::Qualified {
                    self.stage = FunnelStage::Qualified;
                }
            }
            Event::LeadStageAdvanced(advanced) => {
                self.stage = advanced.to;
            }
            _ => {}
        }
    }

    fn decide(&self, command: LeadCommand, now: DateTime<Utc>) -> Result<Vec<Event>, DomainError> {
        match command {
            LeadCommand::Register(register) => {
                if self.record.is_some() {
                    return Err(DomainError::AlreadyExists {
                        aggregate: AggregateKind::Lead,
                    });
                }
                let candidate = DuplicateCandidate {
                    company_name: &register.company_name,
                    unified_social_credit_code: register.unified_social_credit_code.as_ref(),
                    phone: register.phone.as_ref(),
                    linked_customer: register.customer_id,
                };
                if !register.duplicate_clearance.covers(&candidate) {
                    return Err(DomainError::DuplicateClearanceMismatch);
                }
                Ok(vec![Event::LeadRegistered(LeadRegistered {
                    lead_id: register.lead_id,
                    company_name: register.company_name,
                    unified_social_credit_code: register.unified_social_credit_code,
                    phone: register.phone,
                    contact_email: register.contact_email,
                    attributes: register.attributes,
                    customer_id: register.customer_id,
                    registered_by: register.registered_by,
                    registered_at: now,
                })])
            }
            LeadCommand::ConfirmBudget(confirm) => {
                let record = self.record()?;
                if self.budget_confirmation.is_some() {
                    return Err(DomainError::LeadAlreadyConfirmed {
                        confirmation: LeadConfirmation::Budget,
                    });
                }
                Ok(vec![Event::LeadBudgetConfirmed(LeadBudgetConfirmed {
                    lead_id: record.lead_id,
                    confirmed_by: confirm.confirmed_by,
                    note: confirm.note,
                    confirmed_at: now,
                })])
            }
            LeadCommand::ConfirmTechnicalFit(confirm) => {
                let record = self.record()?;
                if self.technical_fit_confirmation.is_some() {
                    return Err(DomainError::LeadAlreadyConfirmed {
                        confirmation: LeadConfirmation::TechnicalFit,
                    });
                }
                Ok(vec![Event::LeadTechnicalFitConfirmed(
                    LeadTechnicalFitConfirmed {
                        lead_id: record.lead_id,
                        confirmed_by: confirm.confirmed_by,
                        note: confirm.note,
                        confirmed_at: now,
                    },
                )])
            }
            LeadCommand::ProposeRouting(propose) => {
                let record = self.record()?;
                if let Some(rep_id) = self.routed_to {
                    return Err(DomainError::LeadAlreadyRouted { rep_id });
                }
                let missing = self.missing_confirmations();
                if !missing.is_empty() {
                    return Err(DomainError::LeadNotConfirmed { missing });
                }
                let candidates =
                    propose_candidates(&propose.rule_set, &propose.reps, &record.attributes)?;
                Ok(vec![Event::RoutingProposed(RoutingProposed {
                    lead_id: record.lead_id,
                    rule_version: propose.rule_set.version,
                    candidates,
                    n_reps_scored: u32::try_from(
                        propose.reps.iter().filter(|rep| rep.active).count(),
                    )
                    .unwrap_or(u32::MAX),
                    proposed_at: now,
                })])
            }
            LeadCommand::ConfirmRouting(confirm) => {
                let record = self.record()?;
                if let Some(rep_id) = self.routed_to {
                    return Err(DomainError::LeadAlreadyRouted { rep_id });
                }
                let proposal = self
                    .routing_proposal
                    .as_ref()
                    .ok_or(DomainError::NoRoutingProposal)?;
                let candidate = proposal
                    .candidates
                    .iter()
                    .find(|candidate| candidate.rep_id == confirm.rep_id)
                    .ok_or_else(|| DomainError::RepNotAmongCandidates {
                        rep_id: confirm.rep_id,
                        candidates: proposal
                            .candidates
                            .iter()
                            .map(|candidate| candidate.rep_id)
                            .collect(),
                    })?;
                let seconds_from_proposal =
                    u64::try_from((now - proposal.proposed_at).num_seconds()).unwrap_or(0);
                Ok(vec![Event::RoutingConfirmed(RoutingConfirmed {
                    lead_id: record.lead_id,
                    customer_id: record.customer_id,
                    rep_id: confirm.rep_id,
                    confirmed_by: confirm.confirmed_by,
                    rule_version: proposal.rule_version,
                    candidate_rank: candidate.rank,
                    score: candidate.score,
                    proposed_at: proposal.proposed_at,
                    confirmed_at: now,
                    seconds_from_proposal,
                })])
            }
            LeadCommand::AdvanceStage {
                stage,
                reason,
                advanced_by,
            } => {
                let record = self.record()?;
                let from = self.stage;
                if self.routed_to.is_none() || !from.may_advance_to(stage) {
                    return Err(DomainError::LeadStageNotAllowed { from, to: stage });
                }
                Ok(vec![Event::LeadStageAdvanced(LeadStageAdvanced {
                    lead_id: record.lead_id,
                    from,
                    to: stage,
                    reason,
                    advanced_by,
                    advanced_at: now,
                })])
            }
        }
    }
}
