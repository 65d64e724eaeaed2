//! Roles and the pure authorisation table: which role may issue which
//! command.
//!
//! Every command has a [`CommandKind`]; [`may_issue`] answers from one
//! table, [`AUTHORISATION`]. Auditors and analysts never write. This module
//! knows no tokens, no actors and no HTTP: authenticating who holds which
//! role is the gateway's job.

use serde::{Deserialize, Serialize};

use crate::config::ConfigCommand;
use crate::customer::CustomerCommand;
use crate::error::DomainError;
use crate::lead::LeadCommand;
use crate::nurture::NurtureCommand;
use crate::proposal::ProposalCommand;
use crate::rep::RepCommand;
use crate::visit::VisitCommand;

/// The role a person or system acts under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Rep,
    Supervisor,
    Csm,
    Finance,
    Legal,
    Cto,
    Marketing,
    StoreManager,
    RegionalSupervisor,
    Auditor,
    Analyst,
    Integrator,
    /// A transparency-log witness (docs/AUDIT.md, "Witnesses"): reads the
    /// latest checkpoint and consistency proofs, posts cosignatures; the
    /// gateway refuses it every other route.
    Witness,
}

impl Role {
    pub const ALL: [Role; 13] = [
        Role::Rep,
        Role::Supervisor,
        Role::Csm,
        Role::Finance,
        Role::Legal,
        Role::Cto,
        Role::Marketing,
        Role::StoreManager,
        Role::RegionalSupervisor,
        Role::Auditor,
        Role::Analyst,
        Role::Integrator,
        Role::Witness,
    ];

    /// The snake_case name used in token files and serde.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Rep => "rep",
            Role::Supervisor => "supervisor",
            Role::Csm => "csm",
            Role::Finance => "finance",
            Role::Legal => "legal",
            Role::Cto => "cto",
            Role::Marketing => "marketing",
            Role::StoreManager => "store_manager",
            Role::RegionalSupervisor => "regional_supervisor",
            Role::Auditor => "auditor",
            Role::Analyst => "analyst",
            Role::Integrator => "integrator",
            Role::Witness => "witness",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == raw)
    }

    /// Whether the role may read views: every role but the witness, which
    /// sees tree heads and consistency proofs only.
    pub fn may_read(self) -> bool {
        self != Role::Witness
    }
}

/// Every command the domain decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    RegisterRep,
    ChangeRepCapabilities,
    DeactivateRep,
    RegisterCustomer,
    SetCustomerAttributes,
    ClaimCustomer,
    TransferCustomer,
    ReleaseCustomer,
    RecallCustomerToPool,
    RecordFollowUp,
    CloseDay,
    RecordTrackingConsent,
    WithdrawTrackingConsent,
    RecordCustomerStance,
    RegisterLead,
    ConfirmLeadBudget,
    ConfirmLeadTechnicalFit,
    ProposeRouting,
    ConfirmRouting,
    LogVisit,
    ConfirmVisitExtraction,
    CompleteTodo,
    StartNurturePack,
    RecordNurtureStepSent,
    RecordNurtureResponse,
    CloseNurturePack,
    CreateProposal,
    RecordProposalPdf,
    RecordEmailDeliveryReceipt,
    RecordLinkOpened,
    PublishRoutingRules,
    PublishPoolPolicy,
    PublishExtractionDictionary,
    PublishNurtureTemplate,
    ReportUsage,
    RecordSupportTicket,
    SetRenewal,
    RecordSuccessReference,
    RecordKeywordSearches,
    CompleteCallback,
    SubmitRescuePlan,
    ApproveRescuePlan,
    QuoteRenewal,
    SignContract,
    RecordPayment,
    RecordProcessAsset,
    AdvanceLeadStage,
    PublishHealthPolicy,
    OpenStore,
    RegisterSku,
    EnrollMember,
    LaunchPromotion,
    PublishRetailPolicy,
    RecordPosSales,
}

impl std::fmt::Display for CommandKind {
    /// The kind as the API spells it (`register_rep`, `claim_customer`, ...).
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&crate::error::snake_case(&format!("{self:?}")))
    }
}

use CommandKind as K;
use Role as R;

const SUPERVISORS: &[Role] = &[R::Supervisor, R::RegionalSupervisor];

/// The authorisation table: each command kind and the roles that may issue it.
pub const AUTHORISATION: &[(CommandKind, &[Role])] = &[
    (K::RegisterRep, SUPERVISORS),
    (K::ChangeRepCapabilities, SUPERVISORS),
    (K::DeactivateRep, SUPERVISORS),
    (
        K::RegisterCustomer,
        &[R::Rep, R::Supervisor, R::RegionalSupervisor, R::Csm],
    ),
    (
        K::SetCustomerAttributes,
        &[R::Rep, R::Supervisor, R::RegionalSupervisor, R::Csm],
    ),
    (K::ClaimCustomer, &[R::Rep]),
    (K::TransferCustomer, SUPERVISORS),
    (K::ReleaseCustomer, &[R::Rep]),
    (K::RecallCustomerToPool, SUPERVISORS),
    (K::RecordFollowUp, &[R::Rep, R::Csm]),
    (K::CloseDay, &[R::Supervisor, R::Integrator]),
    (
        K::RecordTrackingConsent,
        &[R::Rep, R::Csm, R::Legal, R::Integrator],
    ),
    (
        K::WithdrawTrackingConsent,
        &[R::Rep, R::Csm, R::Legal, R::Integrator],
    ),
    (K::RecordCustomerStance, &[R::Rep, R::Csm]),
    (K::RegisterLead, &[R::Marketing, R::Integrator]),
    (
        K::ConfirmLeadBudget,
        &[R::Marketing, R::Rep, R::Supervisor, R::RegionalSupervisor],
    ),
    (
        K::ConfirmLeadTechnicalFit,
        &[
            R::Marketing,
            R::Rep,
            R::Supervisor,
            R::RegionalSupervisor,
            R::Cto,
        ],
    ),
    (
        K::ProposeRouting,
        &[R::Supervisor, R::RegionalSupervisor, R::Marketing],
    ),
    (K::ConfirmRouting, SUPERVISORS),
    (K::LogVisit, &[R::Rep, R::Csm]),
    (K::ConfirmVisitExtraction, &[R::Rep, R::Csm]),
    (K::CompleteTodo, &[R::Rep, R::Csm]),
    (
        K::StartNurturePack,
        &[R::Rep, R::Csm, R::Marketing, R::Integrator],
    ),
    (
        K::RecordNurtureStepSent,
        &[R::Rep, R::Csm, R::Marketing, R::Integrator],
    ),
    (
        K::RecordNurtureResponse,
        &[R::Rep, R::Csm, R::Marketing, R::Integrator],
    ),
    (K::CloseNurturePack, &[R::Rep, R::Csm, R::Marketing]),
    (K::CreateProposal, &[R::Rep]),
    (K::RecordProposalPdf, &[R::Rep]),
    (K::RecordEmailDeliveryReceipt, &[R::Rep, R::Integrator]),
    (K::RecordLinkOpened, &[R::Integrator]),
    (K::PublishRoutingRules, &[R::Supervisor]),
    (K::PublishPoolPolicy, &[R::Supervisor]),
    (
        K::PublishExtractionDictionary,
        &[R::Supervisor, R::Marketing],
    ),
    (K::PublishNurtureTemplate, &[R::Supervisor, R::Marketing]),
    (K::ReportUsage, &[R::Integrator, R::Csm]),
    (K::RecordSupportTicket, &[R::Integrator, R::Csm]),
    (K::SetRenewal, &[R::Csm, R::Finance, R::Integrator]),
    (
        K::RecordSuccessReference,
        &[R::Csm, R::Rep, R::Marketing, R::Integrator],
    ),
    (K::RecordKeywordSearches, &[R::Integrator, R::Marketing]),
    (K::CompleteCallback, &[R::Csm]),
    (K::SubmitRescuePlan, &[R::Csm, R::Rep, R::Supervisor]),
    // SPEC C7: only someone in the CTO role approves a rescue plan.
    (K::ApproveRescuePlan, &[R::Cto]),
    (K::QuoteRenewal, &[R::Rep, R::Csm, R::Finance]),
    (K::SignContract, &[R::Finance, R::Rep, R::Integrator]),
    (K::RecordPayment, &[R::Finance, R::Integrator]),
    (K::RecordProcessAsset, &[R::Rep, R::Supervisor]),
    (
        K::AdvanceLeadStage,
        &[R::Rep, R::Supervisor, R::RegionalSupervisor],
    ),
    (K::PublishHealthPolicy, &[R::Supervisor, R::Cto]),
    // SPEC C13: chain stores (docs/design/chain-stores.md).
    (K::OpenStore, SUPERVISORS),
    (K::RegisterSku, &[R::Supervisor, R::Marketing]),
    (
        K::EnrollMember,
        &[R::StoreManager, R::Supervisor, R::Integrator],
    ),
    (K::LaunchPromotion, &[R::Marketing, R::Supervisor]),
    (K::PublishRetailPolicy, &[R::Supervisor, R::Marketing]),
    (
        K::RecordPosSales,
        &[R::Integrator, R::StoreManager, R::Supervisor],
    ),
];

impl CommandKind {
    /// Every command kind, in table order.
    pub fn all() -> impl Iterator<Item = CommandKind> {
        AUTHORISATION.iter().map(|(kind, _)| *kind)
    }
}

/// Whether `role` may issue commands of `kind`.
pub fn may_issue(role: Role, kind: CommandKind) -> bool {
    AUTHORISATION
        .iter()
        .any(|(table_kind, roles)| *table_kind == kind && roles.contains(&role))
}

/// [`may_issue`] as a `Result`, for `?` in the command pipeline.
pub fn authorise(role: Role, kind: CommandKind) -> Result<(), DomainError> {
    if may_issue(role, kind) {
        Ok(())
    } else {
        Err(DomainError::Forbidden {
            role,
            command: kind,
        })
    }
}

impl RepCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            RepCommand::Register(_) => K::RegisterRep,
            RepCommand::ChangeCapabilities(_) => K::ChangeRepCapabilities,
            RepCommand::Deactivate(_) => K::DeactivateRep,
        }
    }
}

impl CustomerCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            CustomerCommand::Register(_) => K::RegisterCustomer,
            CustomerCommand::SetAttributes(_) => K::SetCustomerAttributes,
            CustomerCommand::Claim(_) => K::ClaimCustomer,
            // The consequence of confirming a routing, by the same supervisor.
            CustomerCommand::AssignFromRouting(_) => K::ConfirmRouting,
            CustomerCommand::Transfer(_) => K::TransferCustomer,
            CustomerCommand::Release(_) => K::ReleaseCustomer,
            CustomerCommand::RecallToPool(_) => K::RecallCustomerToPool,
            CustomerCommand::RecordFollowUp(_) => K::RecordFollowUp,
            CustomerCommand::CloseDay(_) => K::CloseDay,
            CustomerCommand::RecordTrackingConsent(_) => K::RecordTrackingConsent,
            CustomerCommand::WithdrawTrackingConsent(_) => K::WithdrawTrackingConsent,
            CustomerCommand::RecordStance(_) => K::RecordCustomerStance,
        }
    }
}

impl LeadCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            LeadCommand::Register(_) => K::RegisterLead,
            LeadCommand::ConfirmBudget(_) => K::ConfirmLeadBudget,
            LeadCommand::ConfirmTechnicalFit(_) => K::ConfirmLeadTechnicalFit,
            LeadCommand::ProposeRouting(_) => K::ProposeRouting,
            LeadCommand::ConfirmRouting(_) => K::ConfirmRouting,
            LeadCommand::AdvanceStage { .. } => K::AdvanceLeadStage,
        }
    }
}

impl VisitCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            VisitCommand::Log(_) => K::LogVisit,
            VisitCommand::ConfirmExtraction(_) => K::ConfirmVisitExtraction,
            VisitCommand::CompleteTodo(_) => K::CompleteTodo,
        }
    }
}

impl NurtureCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            NurtureCommand::Start(_) => K::StartNurturePack,
            NurtureCommand::RecordStepSent(_) => K::RecordNurtureStepSent,
            NurtureCommand::RecordResponse(_) => K::RecordNurtureResponse,
            NurtureCommand::Close(_) => K::CloseNurturePack,
        }
    }
}

impl ProposalCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            ProposalCommand::Create(_) => K::CreateProposal,
            ProposalCommand::RecordPdf(_) => K::RecordProposalPdf,
            ProposalCommand::RecordEmailDeliveryReceipt(_) => K::RecordEmailDeliveryReceipt,
            ProposalCommand::RecordLinkOpened(_) => K::RecordLinkOpened,
        }
    }
}

impl ConfigCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            ConfigCommand::PublishRoutingRules { .. } => K::PublishRoutingRules,
            ConfigCommand::PublishPoolPolicy { .. } => K::PublishPoolPolicy,
            ConfigCommand::PublishExtractionDictionary { .. } => K::PublishExtractionDictionary,
            ConfigCommand::PublishNurtureTemplate { .. } => K::PublishNurtureTemplate,
            ConfigCommand::PublishHealthPolicy { .. } => K::PublishHealthPolicy,
        }
    }
}
