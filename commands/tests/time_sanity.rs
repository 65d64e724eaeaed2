//! Business times ahead of the server's clock (issue 15, point 5): every
//! command kind that carries one is refused with `TimeInFuture` naming the
//! field once the time is more than the margin ahead of `now`, before
//! anything is loaded or appended; the list of kinds is complete.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use salesledger_commands::pipeline::DEFAULT_FUTURE_MARGIN;
use salesledger_commands::{CommandError, CommandMeta, CommandService, Principal};
use salesledger_domain::account::{Account, AccountCommand};
use salesledger_domain::customer::{
    Customer, CustomerCommand, FollowUpKind, PoolPolicy, RecordFollowUp,
};
use salesledger_domain::extraction::ExtractionDictionary;
use salesledger_domain::proposal::{
    Proposal, ProposalCommand, RecordEmailDeliveryReceipt, RecordLinkOpened,
};
use salesledger_domain::retail::{
    PosLine, PosTicket, PosTicketsRecorded, RecordPosSales, RetailCommand, RetailEntity,
};
use salesledger_domain::role::AUTHORISATION;
use salesledger_domain::value::{
    ActorId, CustomerId, Email, IpAddress, PosBatchId, PosTicketRef, ProposalId, RepId, SkuCode,
    StoreCode, Text, TicketRef, VisitId,
};
use salesledger_domain::visit::{LogVisit, Visit, VisitChannel, VisitCommand};
use salesledger_domain::{BusinessTimes, CommandKind, Role};
use salesledger_store::{SledStore, Store};
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 16, 2, 0, 0)
        .single()
        .expect("time")
}

/// One command of a kind that carries business times, all set to `at`.
enum Sample {
    Customer(CustomerCommand),
    Visit(VisitCommand),
    Proposal(ProposalCommand),
    Account(AccountCommand),
    Retail(RetailCommand),
}

impl Sample {
    fn business_times(&self) -> Vec<salesledger_domain::BusinessTime> {
        match self {
            Sample::Customer(command) => command.business_times(),
            Sample::Visit(command) => command.business_times(),
            Sample::Proposal(command) => command.business_times(),
            Sample::Account(command) => command.business_times(),
            Sample::Retail(command) => command.business_times(),
        }
    }

    async fn execute(
        self,
        service: &CommandService,
        meta: &CommandMeta,
    ) -> Result<salesledger_commands::CommandOutcome, CommandError> {
        let id = Uuid::now_v7();
        match self {
            Sample::Customer(command) => {
                service
                    .execute::<Customer>(meta, &format!("customer-{id}"), command)
                    .await
            }
            Sample::Visit(command) => {
                service
                    .execute::<Visit>(meta, &format!("visit-{id}"), command)
                    .await
            }
            Sample::Proposal(command) => {
                service
                    .execute::<Proposal>(meta, &format!("proposal-{id}"), command)
                    .await
            }
            Sample::Account(command) => {
                service
                    .execute::<Account>(meta, &format!("account-{id}"), command)
                    .await
            }
            Sample::Retail(command) => {
                service
                    .execute::<RetailEntity>(meta, &format!("pos-{id}"), command)
                    .await
            }
        }
    }
}

/// Every command kind that carries a business time, its fields, and a
/// sample with every business time set to `at`.
fn samples(at: DateTime<Utc>) -> Vec<(CommandKind, Vec<&'static str>, Role, Sample)> {
    let customer_id = CustomerId::from_uuid(Uuid::now_v7());
    let rep_id = RepId::from_uuid(Uuid::now_v7());
    let ticket_ref = TicketRef::parse("ZD-1").expect("ticket ref");
    let china = FixedOffset::east_opt(8 * 3600).expect("offset");
    vec![
        (
            CommandKind::RecordFollowUp,
            vec!["occurred_at"],
            Role::Rep,
            Sample::Customer(CustomerCommand::RecordFollowUp(RecordFollowUp {
                rep_id,
                kind: FollowUpKind::Call,
                occurred_at: at,
                visit_id: None,
                policy: PoolPolicy::default_v1(),
            })),
        ),
        (
            CommandKind::LogVisit,
            vec!["occurred_at"],
            Role::Rep,
            Sample::Visit(VisitCommand::Log(LogVisit {
                visit_id: VisitId::from_uuid(Uuid::now_v7()),
                customer_id,
                rep_id,
                channel: VisitChannel::Phone,
                occurred_at: at,
                transcript: Text::parse("客户还在比较").expect("text"),
                rep_notes: None,
                dictionary: ExtractionDictionary {
                    version: 1,
                    competitors: Vec::new(),
                    concerns: Vec::new(),
                    still_comparing_phrases: Vec::new(),
                    utc_offset_minutes: 480,
                },
            })),
        ),
        (
            CommandKind::RecordEmailDeliveryReceipt,
            vec!["delivered_at"],
            Role::Integrator,
            Sample::Proposal(ProposalCommand::RecordEmailDeliveryReceipt(
                RecordEmailDeliveryReceipt {
                    message_id: Text::parse("<1@mail.example.com>").expect("text"),
                    recipient: Email::parse("buyer@example.com").expect("email"),
                    delivered_at: at,
                },
            )),
        ),
        (
            CommandKind::RecordLinkOpened,
            vec!["opened_at"],
            Role::Integrator,
            Sample::Proposal(ProposalCommand::RecordLinkOpened(RecordLinkOpened {
                opened_at: at,
                ip_address: IpAddress::parse("192.0.2.1").expect("ip"),
                coarse_location: Text::parse("上海市").expect("text"),
                tracking_consent_recorded_at: None,
            })),
        ),
        (
            CommandKind::ReportUsage,
            vec!["last_login_at"],
            Role::Integrator,
            Sample::Account(AccountCommand::ReportUsage {
                customer_id,
                days: Vec::new(),
                modules_used: Vec::new(),
                last_login_at: Some(at),
            }),
        ),
        (
            CommandKind::RecordSupportTicket,
            vec!["opened_at"],
            Role::Integrator,
            Sample::Account(AccountCommand::OpenTicket {
                customer_id,
                ticket_ref: ticket_ref.clone(),
                opened_at: at,
                subject: None,
            }),
        ),
        (
            CommandKind::RecordSupportTicket,
            vec!["resolved_at"],
            Role::Integrator,
            Sample::Account(AccountCommand::ResolveTicket {
                customer_id,
                ticket_ref,
                resolved_at: at,
            }),
        ),
        (
            CommandKind::RecordPosSales,
            vec!["sold_at"],
            Role::Integrator,
            Sample::Retail(RetailCommand::RecordPosSales(RecordPosSales {
                batch_id: PosBatchId::parse("B1").expect("batch"),
                events: vec![PosTicketsRecorded {
                    batch_id: PosBatchId::parse("B1").expect("batch"),
                    store: StoreCode::parse("S1").expect("store"),
                    tickets: vec![PosTicket {
                        ticket: PosTicketRef::parse("T1").expect("ticket"),
                        sold_at: at.with_timezone(&china),
                        member: None,
                        lines: vec![PosLine {
                            sku: SkuCode::parse("SKU-1").expect("sku"),
                            qty: 1,
                            amount_cents: 100,
                        }],
                    }],
                }],
            })),
        ),
    ]
}

/// The command kinds that carry no business time (only ids, texts,
/// configuration, or calendar days that the domain checks against today).
const WITHOUT_BUSINESS_TIME: &[CommandKind] = &[
    CommandKind::RegisterRep,
    CommandKind::ChangeRepCapabilities,
    CommandKind::DeactivateRep,
    CommandKind::RegisterCustomer,
    CommandKind::SetCustomerAttributes,
    CommandKind::ClaimCustomer,
    CommandKind::TransferCustomer,
    CommandKind::ReleaseCustomer,
    CommandKind::RecallCustomerToPool,
    CommandKind::CloseDay,
    CommandKind::RecordTrackingConsent,
    CommandKind::WithdrawTrackingConsent,
    CommandKind::RecordCustomerStance,
    CommandKind::RegisterLead,
    CommandKind::ConfirmLeadBudget,
    CommandKind::ConfirmLeadTechnicalFit,
    CommandKind::ProposeRouting,
    CommandKind::ConfirmRouting,
    CommandKind::ConfirmVisitExtraction,
    CommandKind::CompleteTodo,
    CommandKind::StartNurturePack,
    CommandKind::RecordNurtureStepSent,
    CommandKind::RecordNurtureResponse,
    CommandKind::CloseNurturePack,
    CommandKind::CreateProposal,
    CommandKind::RecordProposalPdf,
    CommandKind::PublishRoutingRules,
    CommandKind::PublishPoolPolicy,
    CommandKind::PublishExtractionDictionary,
    CommandKind::PublishNurtureTemplate,
    CommandKind::SetRenewal,
    CommandKind::RecordSuccessReference,
    CommandKind::RecordKeywordSearches,
    CommandKind::CompleteCallback,
    CommandKind::SubmitRescuePlan,
    CommandKind::ApproveRescuePlan,
    CommandKind::QuoteRenewal,
    CommandKind::SignContract,
    CommandKind::RecordPayment,
    CommandKind::RecordProcessAsset,
    CommandKind::AdvanceLeadStage,
    CommandKind::PublishHealthPolicy,
    CommandKind::OpenStore,
    CommandKind::RegisterSku,
    CommandKind::EnrollMember,
    CommandKind::LaunchPromotion,
    CommandKind::PublishRetailPolicy,
];

fn service() -> (CommandService, tempfile::TempDir) {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(SledStore::open(data_dir.path()).expect("open"));
    (CommandService::new(store), data_dir)
}

fn meta(role: Role) -> CommandMeta {
    CommandMeta::new(
        Principal {
            actor: ActorId::parse("someone").expect("actor"),
            role,
        },
        now(),
    )
}

#[test]
fn every_command_kind_is_classified_once() {
    let with_times: BTreeSet<String> = samples(now())
        .iter()
        .map(|(kind, ..)| format!("{kind:?}"))
        .collect();
    let without: BTreeSet<String> = WITHOUT_BUSINESS_TIME
        .iter()
        .map(|kind| format!("{kind:?}"))
        .collect();
    assert!(
        with_times.is_disjoint(&without),
        "{:?}",
        with_times.intersection(&without).collect::<Vec<_>>()
    );
    let all: BTreeSet<String> = CommandKind::all().map(|kind| format!("{kind:?}")).collect();
    let classified: BTreeSet<String> = with_times.union(&without).cloned().collect();
    assert_eq!(
        all, classified,
        "a command kind is missing from this test's lists"
    );
    let authorised: BTreeSet<String> = AUTHORISATION
        .iter()
        .map(|(kind, _)| format!("{kind:?}"))
        .collect();
    assert_eq!(all, authorised);
}

#[test]
fn each_sample_lists_exactly_its_business_times() {
    let at = now() + Duration::days(365);
    for (kind, fields, _, sample) in samples(at) {
        let times = sample.business_times();
        let listed: Vec<&str> = times.iter().map(|time| time.field).collect();
        assert_eq!(listed, fields, "{kind:?}");
        assert!(times.iter().all(|time| time.at == at), "{kind:?}");
    }
}

#[tokio::test]
async fn every_business_time_a_year_ahead_is_refused_naming_its_field_and_appends_nothing() {
    let (service, _dir) = service();
    let at = now() + Duration::days(365);
    for (kind, fields, role, sample) in samples(at) {
        let error = sample
            .execute(&service, &meta(role))
            .await
            .expect_err("refused");
        match error {
            CommandError::TimeInFuture {
                field,
                at: refused_at,
                now: refused_now,
                margin_secs,
            } => {
                assert_eq!(field, fields[0], "{kind:?}");
                assert_eq!(refused_at, at);
                assert_eq!(refused_now, now());
                assert_eq!(margin_secs, DEFAULT_FUTURE_MARGIN.num_seconds());
            }
            other => panic!("{kind:?}: {other:?}"),
        }
    }
    assert_eq!(service.store().head().len, 0, "nothing appended");
}

#[tokio::test]
async fn just_past_the_margin_is_refused_and_the_margin_is_configurable() {
    let (service, _dir) = service();
    // One second past the default margin: refused. Within it, the
    // pipeline lets the command through to the domain (which decides
    // by its own rules; a receipt on a missing proposal is not found).
    let past = now() + DEFAULT_FUTURE_MARGIN + Duration::seconds(1);
    let within = now() + DEFAULT_FUTURE_MARGIN;
    let receipt = |at| {
        ProposalCommand::RecordEmailDeliveryReceipt(RecordEmailDeliveryReceipt {
            message_id: Text::parse("<1@mail.example.com>").expect("text"),
            recipient: Email::parse("buyer@example.com").expect("email"),
            delivered_at: at,
        })
    };
    let stream = format!("proposal-{}", ProposalId::from_uuid(Uuid::now_v7()));
    let meta = meta(Role::Integrator);
    assert!(matches!(
        service
            .execute::<Proposal>(&meta, &stream, receipt(past))
            .await,
        Err(CommandError::TimeInFuture {
            field: "delivered_at",
            ..
        })
    ));
    assert!(matches!(
        service
            .execute::<Proposal>(&meta, &stream, receipt(within))
            .await,
        Err(CommandError::Domain(_))
    ));
    assert!(service
        .check_business_times(&receipt(within), now())
        .is_ok());
    let strict = {
        let (service, dir) = self::service();
        (service.with_future_margin(Duration::zero()), dir)
    };
    assert!(matches!(
        strict
            .0
            .check_business_times(&receipt(now() + Duration::seconds(1)), now()),
        Err(CommandError::TimeInFuture { margin_secs: 0, .. })
    ));
    assert!(strict
        .0
        .check_business_times(&receipt(now()), now())
        .is_ok());
    let (lenient, _lenient_dir) = self::service();
    let lenient = lenient.with_future_margin(Duration::days(400));
    assert!(lenient
        .check_business_times(&receipt(now() + Duration::days(365)), now())
        .is_ok());
}
