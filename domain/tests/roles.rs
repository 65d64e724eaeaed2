//! The authorisation table: which role may issue which command.

use std::collections::BTreeSet;

use salesledger_domain::role::*;

#[test]
fn every_command_kind_is_in_the_table_once() {
    let kinds: Vec<CommandKind> = CommandKind::all().collect();
    let distinct: BTreeSet<CommandKind> = kinds.iter().copied().collect();
    assert_eq!(kinds.len(), distinct.len());
    assert_eq!(kinds.len(), 54);
    for (kind, roles) in AUTHORISATION {
        assert!(!roles.is_empty(), "{kind:?} has at least one role");
    }
}

#[test]
fn auditors_and_analysts_never_write() {
    for kind in CommandKind::all() {
        assert!(!may_issue(Role::Auditor, kind), "{kind:?}");
        assert!(!may_issue(Role::Analyst, kind), "{kind:?}");
        assert_eq!(
            authorise(Role::Auditor, kind).map_err(|error| error.code()),
            Err("forbidden")
        );
    }
    assert!(Role::Auditor.may_read());
}

#[test]
fn the_table_matches_the_spec() {
    let allowed = [
        (Role::Marketing, CommandKind::RegisterLead),
        (Role::Supervisor, CommandKind::ConfirmRouting),
        (Role::RegionalSupervisor, CommandKind::ConfirmRouting),
        (Role::Supervisor, CommandKind::TransferCustomer),
        (Role::Supervisor, CommandKind::RecallCustomerToPool),
        (Role::Rep, CommandKind::ClaimCustomer),
        (Role::Rep, CommandKind::LogVisit),
        (Role::Rep, CommandKind::ConfirmVisitExtraction),
        (Role::Integrator, CommandKind::RecordLinkOpened),
        (Role::Cto, CommandKind::ConfirmLeadTechnicalFit),
        (Role::Supervisor, CommandKind::PublishRoutingRules),
    ];
    for (role, kind) in allowed {
        assert!(may_issue(role, kind), "{role:?} may {kind:?}");
    }
    let refused = [
        (Role::Rep, CommandKind::RegisterLead),
        (Role::Rep, CommandKind::ConfirmRouting),
        (Role::Rep, CommandKind::TransferCustomer),
        (Role::Rep, CommandKind::RecallCustomerToPool),
        (Role::Supervisor, CommandKind::ClaimCustomer),
        (Role::Marketing, CommandKind::ConfirmRouting),
        (Role::Finance, CommandKind::ClaimCustomer),
        (Role::StoreManager, CommandKind::LogVisit),
        (Role::Rep, CommandKind::PublishRoutingRules),
    ];
    for (role, kind) in refused {
        assert!(!may_issue(role, kind), "{role:?} may not {kind:?}");
    }
}

#[test]
fn roles_have_snake_case_names() {
    for role in Role::ALL {
        let json = serde_json::to_string(&role).expect("serialises");
        assert_eq!(json, format!("\"{}\"", role.as_str()));
        assert_eq!(Role::parse(role.as_str()), Some(role));
    }
    assert_eq!(Role::StoreManager.as_str(), "store_manager");
    assert_eq!(Role::RegionalSupervisor.as_str(), "regional_supervisor");
    assert_eq!(Role::parse("admin"), None);
    assert_eq!(
        serde_json::to_string(&CommandKind::RecallCustomerToPool).expect("serialises"),
        "\"recall_customer_to_pool\""
    );
}

#[test]
fn the_issue_4_rows_match_the_design() {
    use CommandKind as K;
    use Role as R;
    let expected: &[(CommandKind, &[Role])] = &[
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
        (K::CloseDay, &[R::Supervisor, R::Integrator]),
    ];
    for (kind, roles) in expected {
        let allowed: BTreeSet<Role> = Role::ALL
            .into_iter()
            .filter(|role| may_issue(*role, *kind))
            .collect();
        let expected: BTreeSet<Role> = roles.iter().copied().collect();
        assert_eq!(allowed, expected, "{kind:?}");
    }
    assert!(authorise(Role::Supervisor, CommandKind::ApproveRescuePlan).is_err());
    assert!(authorise(Role::Cto, CommandKind::ApproveRescuePlan).is_ok());
}
