//! Data-driven: one dispatcher (`convert`) turns (schema name, body) into
//! a command with fixed server-side inputs; tables of bodies then assert
//! on the commands or on the error code and JSON path.

use super::*;
use salesledger_domain::duplicate::DuplicateIndex;
use salesledger_domain::role::CommandKind;
use salesledger_domain::{asset, customer, health, lead, nurture, retail, visit};
use serde_json::json;

const REP: &str = "0192f0a4-5b6c-7d8e-9f00-000000000001";
const REP_2: &str = "0192f0a4-5b6c-7d8e-9f00-000000000002";
const CUSTOMER: &str = "0192f0a4-5b6c-7d8e-9f00-0000000000c1";
const VISIT: &str = "0192f0a4-5b6c-7d8e-9f00-0000000000a1";
const TODO: &str = "0192f0a4-5b6c-7d8e-9f00-0000000000d1";
const PATH_ID: u128 = 0x0192_f0a4_5b6c_7d8e_9f00_0000_0000_ffff;
const MINTED_TODO: u128 = 0x0192_f0a4_5b6c_7d8e_9f00_0000_0000_eeee;
const SHA: &str = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";

fn uuid(raw: &str) -> Uuid {
    Uuid::parse_str(raw).expect("test uuid")
}

fn actor() -> ActorId {
    ActorId::parse("zhang.wei").expect("test actor")
}

fn time(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("test time")
        .with_timezone(&Utc)
}

fn date(iso: &str) -> NaiveDate {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").expect("test date")
}

fn rule_set() -> RoutingRuleSet {
    let request: PublishRoutingRulesRequest = parse_body(
        json!({
            "version": 7,
            "rules": [{"tag": "iso13485", "attribute_key": "compliance", "attribute_value_contains": "ISO13485", "weight": 40}],
            "direct_tag_match_weight": 10, "region_match_weight": 5, "minimum_score": 1, "candidate_count": 3
        })
        .to_string()
        .as_bytes(),
    )
    .expect("fixture rule set decodes");
    match request
        .into_command(&actor())
        .expect("fixture rule set is valid")
    {
        ConfigCommand::PublishRoutingRules { rule_set, .. } => rule_set,
        other => panic!("unexpected {other:?}"),
    }
}

fn customer() -> CustomerId {
    CustomerId::from_uuid(uuid(CUSTOMER))
}

fn health_policy_body(version: u32) -> serde_json::Value {
    json!({
        "version": version,
        "weights": {"usage": 30, "key_features": 25, "ticket_resolution": 20, "renewal": 15, "success_references": 10},
        "targets": {
            "active_days_30": 20, "key_feature_calls_30_default": 200,
            "key_feature_calls_30_by_plan": {"basic": 100, "standard": 200, "enterprise": 500},
            "ticket_sla_hours": 24, "renewal_days": 180, "success_references_12m": 2
        },
        "green_at_bp": 8500, "yellow_at_bp": 7000, "callback_due_hours": 48,
        "core_modules": ["api", "crm", "mobile", "reports", "workflow"],
        "ticket_overdue_hours": 72,
        "risk_scripts": {
            "low_usage": "约客户做一次使用回顾", "low_module_usage": "发送模块激活指南",
            "overdue_tickets": "走技术支持快速通道", "renewal_due": "确认续约意向",
            "competitor_interest": "安排价值复盘", "low_key_feature_use": "演示关键功能"
        }
    })
}

fn dictionary() -> ExtractionDictionary {
    ExtractionDictionary {
        version: 1,
        competitors: vec![CompetitorEntry {
            name: "Siemens".to_owned(),
            aliases: vec!["西门子".to_owned()],
        }],
        concerns: Vec::new(),
        still_comparing_phrases: vec!["还在比较".to_owned()],
        utc_offset_minutes: 480,
    }
}

/// Any aggregate's command.
#[derive(Debug)]
enum AnyCommand {
    Rep(RepCommand),
    Customer(CustomerCommand),
    Lead(LeadCommand),
    Visit(VisitCommand),
    Nurture(NurtureCommand),
    Proposal(ProposalCommand),
    Config(ConfigCommand),
    Account(AccountCommand),
    Contract(ContractCommand),
    Asset(ProcessAssetCommand),
    Retail(RetailCommand),
}

impl AnyCommand {
    fn kind(&self) -> CommandKind {
        match self {
            AnyCommand::Rep(command) => command.kind(),
            AnyCommand::Customer(command) => command.kind(),
            AnyCommand::Lead(command) => command.kind(),
            AnyCommand::Visit(command) => command.kind(),
            AnyCommand::Nurture(command) => command.kind(),
            AnyCommand::Proposal(command) => command.kind(),
            AnyCommand::Config(command) => command.kind(),
            AnyCommand::Account(command) => command.kind(),
            AnyCommand::Contract(command) => command.kind(),
            AnyCommand::Asset(command) => command.kind(),
            AnyCommand::Retail(command) => command.kind(),
        }
    }
}

#[derive(Debug)]
enum Failure {
    Body(BodyError),
    Dto(DtoError),
}

impl Failure {
    fn code(&self) -> &'static str {
        match self {
            Failure::Body(error) => error.code(),
            Failure::Dto(error) => error.code(),
        }
    }

    fn path(&self) -> &str {
        match self {
            Failure::Body(error) => &error.path,
            Failure::Dto(error) => error.field().unwrap_or("<none>"),
        }
    }
}

impl From<BodyError> for Failure {
    fn from(error: BodyError) -> Self {
        Failure::Body(error)
    }
}

impl From<DtoError> for Failure {
    fn from(error: DtoError) -> Self {
        Failure::Dto(error)
    }
}

/// `Type => Variant(args)` arms: decodes `body` as `Type` and converts it
/// with `args` into `AnyCommand::Variant`.
macro_rules! convert_arms {
    ($schema:expr, $body:expr, { $($name:ident => $variant:ident($($arg:expr),*)),* $(,)? }) => {
        match $schema {
            $(stringify!($name) => {
                AnyCommand::$variant(parse_body::<$name>($body)?.into_command($($arg),*)?)
            })*
            other => panic!("no request schema named {other}"),
        }
    };
}

/// Decodes `body` as the named request and converts it with fixed
/// path ids (`PATH_ID`) and server-side inputs.
fn convert(schema: &str, body: &[u8]) -> Result<AnyCommand, Failure> {
    let path_id = Uuid::from_u128(PATH_ID);
    let index = DuplicateIndex::new();
    let clear = |candidate: &DuplicateCandidate<'_>| index.clear(candidate);
    let policy = PoolPolicy::default_v1;
    let command = match schema {
        "SubmitRescuePlanRequest" => {
            let request = parse_body::<SubmitRescuePlanRequest>(body)?;
            let plan_id = request.plan_id.unwrap_or(path_id);
            AnyCommand::Account(request.into_command(
                customer(),
                RescuePlanId::from_uuid(plan_id),
                &actor(),
            )?)
        }
        "QuoteRenewalRequest" => {
            let request = parse_body::<QuoteRenewalRequest>(body)?;
            let quote_id = request.quote_id.unwrap_or(path_id);
            AnyCommand::Account(request.into_command(
                customer(),
                QuoteId::from_uuid(quote_id),
                &actor(),
            )?)
        }
        _ => convert_arms!(schema, body, {
            RegisterRepRequest => Rep(RepId::from_uuid(path_id)),
            ChangeRepCapabilitiesRequest => Rep(),
            DeactivateRepRequest => Rep(),
            RegisterCustomerRequest => Customer(CustomerId::from_uuid(path_id), clear),
            SetCustomerAttributesRequest => Customer(),
            ClaimCustomerRequest => Customer(policy()),
            TransferCustomerRequest => Customer(&actor(), policy()),
            ReleaseCustomerRequest => Customer(),
            RecallCustomerToPoolRequest => Customer(&actor()),
            RecordFollowUpRequest => Customer(policy()),
            CloseDayRequest => Customer(date("2027-03-31"), policy()),
            RecordTrackingConsentRequest => Customer(),
            WithdrawTrackingConsentRequest => Customer(),
            RecordCustomerStanceRequest => Customer(&actor()),
            RegisterLeadRequest => Lead(LeadId::from_uuid(path_id), &actor(), clear),
            ConfirmLeadBudgetRequest => Lead(&actor()),
            ConfirmLeadTechnicalFitRequest => Lead(&actor()),
            ProposeRoutingRequest => Lead(rule_set(), Vec::new()),
            ConfirmRoutingRequest => Lead(&actor()),
            LogVisitRequest => Visit(VisitId::from_uuid(path_id), dictionary()),
            ConfirmVisitExtractionRequest => Visit(|| TodoId::from_uuid(Uuid::from_u128(MINTED_TODO))),
            CompleteTodoRequest => Visit(TodoId::from_uuid(uuid(TODO))),
            StartNurturePackRequest => Nurture(NurturePackId::from_uuid(path_id), NurtureTemplate::default_v1()),
            RecordNurtureStepSentRequest => Nurture(),
            RecordNurtureResponseRequest => Nurture(),
            CloseNurturePackRequest => Nurture(),
            CreateProposalRequest => Proposal(ProposalId::from_uuid(path_id)),
            RecordProposalPdfRequest => Proposal(482_133),
            RecordEmailDeliveryReceiptRequest => Proposal(),
            RecordLinkOpenedRequest => Proposal(Some(time("2027-03-10T09:00:00+08:00"))),
            PublishRoutingRulesRequest => Config(&actor()),
            PublishPoolPolicyRequest => Config(&actor()),
            PublishExtractionDictionaryRequest => Config(&actor()),
            PublishNurtureTemplateRequest => Config(&actor()),
            ReportUsageRequest => Account(customer()),
            RecordSupportTicketRequest => Account(customer()),
            SetRenewalRequest => Account(customer()),
            RecordSuccessReferenceRequest => Account(customer()),
            RecordKeywordSearchesRequest => Account(customer()),
            CompleteCallbackRequest => Account(customer(), CallbackTaskId::from_uuid(path_id), &actor()),
            ApproveRescuePlanRequest => Account(customer(), RescuePlanId::from_uuid(path_id), &actor()),
            SignContractRequest => Contract(ContractId::from_uuid(path_id)),
            RecordPaymentRequest => Contract(),
            RecordProcessAssetRequest => Asset(AssetId::from_uuid(path_id)),
            AdvanceLeadStageRequest => Lead(&actor()),
            PublishHealthPolicyRequest => Config(&actor()),
            OpenStoreRequest => Retail(),
            RegisterSkuRequest => Retail(),
            EnrollMemberRequest => Retail(true),
            LaunchPromotionRequest => Retail(PromotionId::from_uuid(path_id), &actor(), &retail::Catalogue::default()),
            PublishRetailPolicyRequest => Retail(&actor()),
        }),
    };
    Ok(command)
}

/// Calls `$callback!` with every request type.
macro_rules! with_all_requests {
    ($callback:ident) => {
        $callback!(
            RegisterRepRequest,
            ChangeRepCapabilitiesRequest,
            DeactivateRepRequest,
            RegisterCustomerRequest,
            SetCustomerAttributesRequest,
            ClaimCustomerRequest,
            TransferCustomerRequest,
            ReleaseCustomerRequest,
            RecallCustomerToPoolRequest,
            RecordFollowUpRequest,
            CloseDayRequest,
            RecordTrackingConsentRequest,
            WithdrawTrackingConsentRequest,
            RecordCustomerStanceRequest,
            RegisterLeadRequest,
            ConfirmLeadBudgetRequest,
            ConfirmLeadTechnicalFitRequest,
            ProposeRoutingRequest,
            ConfirmRoutingRequest,
            LogVisitRequest,
            ConfirmVisitExtractionRequest,
            CompleteTodoRequest,
            StartNurturePackRequest,
            RecordNurtureStepSentRequest,
            RecordNurtureResponseRequest,
            CloseNurturePackRequest,
            CreateProposalRequest,
            RecordProposalPdfRequest,
            RecordEmailDeliveryReceiptRequest,
            RecordLinkOpenedRequest,
            PublishRoutingRulesRequest,
            PublishPoolPolicyRequest,
            PublishExtractionDictionaryRequest,
            PublishNurtureTemplateRequest,
            ReportUsageRequest,
            RecordSupportTicketRequest,
            SetRenewalRequest,
            RecordSuccessReferenceRequest,
            RecordKeywordSearchesRequest,
            CompleteCallbackRequest,
            SubmitRescuePlanRequest,
            ApproveRescuePlanRequest,
            QuoteRenewalRequest,
            SignContractRequest,
            RecordPaymentRequest,
            RecordProcessAssetRequest,
            AdvanceLeadStageRequest,
            PublishHealthPolicyRequest,
            OpenStoreRequest,
            RegisterSkuRequest,
            EnrollMemberRequest,
            LaunchPromotionRequest,
            PublishRetailPolicyRequest
        )
    };
}

/// Every request type's schema name.
fn request_schemas() -> Vec<&'static str> {
    macro_rules! names {
        ($($request:ident),* $(,)?) => {
            vec![$(stringify!($request)),*]
        };
    }
    with_all_requests!(names)
}

// ---- the request types ----

#[test]
fn every_command_kind_has_exactly_one_request_type() {
    // POS sales arrive as NDJSON lines, not one JSON body (gateway::stores).
    let schemas = request_schemas();
    let mut expected: Vec<String> = CommandKind::all()
        .filter(|kind| *kind != CommandKind::RecordPosSales)
        .map(|kind| format!("{kind:?}Request"))
        .collect();
    expected.sort();
    let mut named: Vec<String> = schemas.iter().map(|name| (*name).to_owned()).collect();
    named.sort();
    assert_eq!(named, expected);
    macro_rules! check {
        ($($request:ty),* $(,)?) => {
            $(assert_eq!(<$request as ToSchema>::name(), stringify!($request));)*
        };
    }
    with_all_requests!(check);
}

// ---- successful conversions ----

type Check = fn(AnyCommand);

/// `bind!(Pattern = command)`: binds the pattern's names or panics with
/// the command that did not match.
macro_rules! bind {
    ($pattern:pat = $command:ident) => {
        let $pattern = $command else {
            panic!("{:?}", $command)
        };
    };
}

fn successes() -> Vec<(&'static str, serde_json::Value, Check)> {
    vec![
        (
            "RegisterRepRequest",
            json!({"display_name": "王晓明", "region": "华东", "capability_tags": ["ISO13485", "tier3-hospital-his", "plc-retrofit"]}),
            |command| {
                bind!(AnyCommand::Rep(RepCommand::Register(register)) = command);
                assert_eq!(register.rep_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(register.display_name.as_str(), "王晓明");
                assert_eq!(register.region.as_str(), "华东");
                let tags: Vec<_> = register
                    .capability_tags
                    .iter()
                    .map(|tag| tag.as_str().to_owned())
                    .collect();
                assert_eq!(tags, ["iso13485", "plc-retrofit", "tier3-hospital-his"]);
            },
        ),
        (
            "RegisterRepRequest",
            json!({"rep_id": REP, "display_name": "Emily Chen", "region": "east-china", "capability_tags": ["automotive-grade-cert", "iatf16949", "plc-retrofit", "mes-integration", "sap-b1"]}),
            |command| {
                bind!(AnyCommand::Rep(RepCommand::Register(register)) = command);
                assert_eq!(register.capability_tags.len(), 5);
                assert_eq!(register.region.as_str(), "east-china");
            },
        ),
        (
            "ChangeRepCapabilitiesRequest",
            json!({"capability_tags": ["iso13485", "automotive-grade-cert", "plc-retrofit", "iatf16949"]}),
            |command| {
                bind!(AnyCommand::Rep(RepCommand::ChangeCapabilities(change)) = command);
                assert_eq!(change.capability_tags.len(), 4);
            },
        ),
        ("DeactivateRepRequest", json!({}), |command| {
            assert!(matches!(
                command,
                AnyCommand::Rep(RepCommand::Deactivate(_))
            ))
        }),
        (
            "RegisterCustomerRequest",
            json!({
                "company_name": "杭州瑞康医疗器械有限公司",
                "unified_social_credit_code": "91350100m000100y43",
                "phone": "+86 138-0013-8000",
                "contact_email": "Purchasing@RuiKang-Med.cn",
                "attributes": {"industry": "三甲医院", "Compliance": "ISO 13485:2016", "region": "华东"}
            }),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::Register(register)) = command);
                assert_eq!(register.customer_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(register.company_name.as_str(), "杭州瑞康医疗器械有限公司");
                assert_eq!(
                    register
                        .unified_social_credit_code
                        .as_ref()
                        .map(|code| code.as_str()),
                    Some("91350100M000100Y43")
                );
                assert_eq!(
                    register.phone.as_ref().map(|phone| phone.as_str()),
                    Some("13800138000")
                );
                assert_eq!(
                    register.contact_email.as_ref().map(|email| email.as_str()),
                    Some("purchasing@ruikang-med.cn")
                );
                assert_eq!(register.attributes.len(), 3);
                assert_eq!(
                    register
                        .attributes
                        .get("compliance")
                        .map(|value| value.as_str()),
                    Some("ISO 13485:2016")
                );
            },
        ),
        (
            "RegisterCustomerRequest",
            json!({"customer_id": CUSTOMER, "company_name": "Northwind Medical Devices Ltd."}),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::Register(register)) = command);
                assert_eq!(register.unified_social_credit_code, None);
                assert_eq!(register.phone, None);
                assert!(register.attributes.is_empty());
            },
        ),
        (
            "SetCustomerAttributesRequest",
            json!({"attributes": {"industry": "automotive", "compliance": "IATF16949", "decision_chain": "厂长 -> 财务总监"}}),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::SetAttributes(set)) = command);
                assert_eq!(
                    set.attributes
                        .get("decision_chain")
                        .map(|value| value.as_str()),
                    Some("厂长 -> 财务总监")
                );
            },
        ),
        ("ClaimCustomerRequest", json!({"rep_id": REP}), |command| {
            bind!(AnyCommand::Customer(CustomerCommand::Claim(claim)) = command);
            assert_eq!(claim.rep_id.as_uuid(), uuid(REP));
            assert_eq!(claim.policy, PoolPolicy::default_v1());
        }),
        (
            "TransferCustomerRequest",
            json!({"to_rep_id": REP_2, "reason": "原负责人调岗至华南区"}),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::Transfer(transfer)) = command);
                assert_eq!(transfer.to_rep_id.as_uuid(), uuid(REP_2));
                assert_eq!(transfer.transferred_by, actor());
                assert_eq!(transfer.reason.as_str(), "原负责人调岗至华南区");
            },
        ),
        (
            "ReleaseCustomerRequest",
            json!({"rep_id": REP}),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::Release(release)) = command);
                assert_eq!(release.rep_id.as_uuid(), uuid(REP));
            },
        ),
        (
            "RecallCustomerToPoolRequest",
            json!({"reason": "  No follow-up recorded since the trade fair  "}),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::RecallToPool(recall)) = command);
                assert_eq!(recall.recalled_by, actor());
                assert_eq!(
                    recall.reason.as_str(),
                    "No follow-up recorded since the trade fair"
                );
            },
        ),
        (
            "RecordFollowUpRequest",
            json!({"rep_id": REP, "kind": "call", "occurred_at": "2027-03-15T10:30:00+08:00", "visit_id": VISIT}),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::RecordFollowUp(follow_up)) = command);
                assert_eq!(follow_up.kind, customer::FollowUpKind::Call);
                assert_eq!(follow_up.occurred_at, time("2027-03-15T02:30:00Z"));
                assert_eq!(follow_up.visit_id.map(|id| id.as_uuid()), Some(uuid(VISIT)));
            },
        ),
        ("CloseDayRequest", json!({}), |command| {
            bind!(AnyCommand::Customer(CustomerCommand::CloseDay(close)) = command);
            assert_eq!(close.day, date("2027-03-31"));
        }),
        (
            "RecordTrackingConsentRequest",
            json!({"consent_text": "本人同意贵司记录方案链接的打开时间、IP 及大致位置，用于交付确认。"}),
            |command| {
                bind!(
                    AnyCommand::Customer(CustomerCommand::RecordTrackingConsent(consent)) = command
                );
                assert!(consent.consent_text.as_str().starts_with("本人同意"));
            },
        ),
        ("WithdrawTrackingConsentRequest", json!({}), |command| {
            assert!(matches!(
                command,
                AnyCommand::Customer(CustomerCommand::WithdrawTrackingConsent(_))
            ));
        }),
        (
            "RecordCustomerStanceRequest",
            json!({"stance": "still_comparing", "visit_id": VISIT}),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::RecordStance(stance)) = command);
                assert_eq!(stance.stance, customer::CustomerStance::StillComparing);
                assert_eq!(stance.recorded_by, actor());
            },
        ),
        (
            "RegisterLeadRequest",
            json!({
                "company_name": "Suzhou Precision Auto Parts Co., Ltd.",
                "unified_social_credit_code": "9144030071526726XG",
                "phone": "0512-6588 1234",
                "contact_email": "li.na@szpap.com",
                "attributes": {"industry": "汽车零部件", "compliance": "IATF16949"},
                "customer_id": CUSTOMER
            }),
            |command| {
                bind!(AnyCommand::Lead(LeadCommand::Register(register)) = command);
                assert_eq!(register.lead_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(register.registered_by, actor());
                assert_eq!(
                    register.customer_id.map(|id| id.as_uuid()),
                    Some(uuid(CUSTOMER))
                );
                assert_eq!(
                    register.phone.as_ref().map(|phone| phone.as_str()),
                    Some("051265881234")
                );
            },
        ),
        (
            "ConfirmLeadBudgetRequest",
            json!({"note": "客户确认 2027 年预算 380 万元"}),
            |command| {
                bind!(AnyCommand::Lead(LeadCommand::ConfirmBudget(confirm)) = command);
                assert_eq!(confirm.confirmed_by, actor());
                assert_eq!(
                    confirm.note.as_ref().map(|note| note.as_str()),
                    Some("客户确认 2027 年预算 380 万元")
                );
            },
        ),
        (
            "ConfirmLeadTechnicalFitRequest",
            json!({"note": null}),
            |command| {
                bind!(AnyCommand::Lead(LeadCommand::ConfirmTechnicalFit(confirm)) = command);
                assert_eq!(confirm.confirmed_by, actor());
                assert_eq!(confirm.note, None);
            },
        ),
        ("ProposeRoutingRequest", json!({}), |command| {
            bind!(AnyCommand::Lead(LeadCommand::ProposeRouting(propose)) = command);
            assert_eq!(propose.rule_set.version, 7);
        }),
        (
            "ConfirmRoutingRequest",
            json!({"rep_id": REP_2}),
            |command| {
                bind!(AnyCommand::Lead(LeadCommand::ConfirmRouting(confirm)) = command);
                assert_eq!(confirm.rep_id.as_uuid(), uuid(REP_2));
                assert_eq!(confirm.confirmed_by, actor());
            },
        ),
        (
            "LogVisitRequest",
            json!({
                "customer_id": CUSTOMER, "rep_id": REP, "channel": "on_site",
                "occurred_at": "2027-03-15T10:30:00+08:00",
                "transcript": "客户说还在比较西门子的方案，预计下个月采购，担心交期。",
                "rep_notes": "Bring delivery commitment letter next time"
            }),
            |command| {
                bind!(AnyCommand::Visit(VisitCommand::Log(log)) = command);
                assert_eq!(log.visit_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(log.channel, visit::VisitChannel::OnSite);
                assert_eq!(log.customer_id.as_uuid(), uuid(CUSTOMER));
                assert_eq!(log.dictionary.version, 1);
                assert!(log.transcript.as_str().contains("西门子"));
            },
        ),
        (
            "ConfirmVisitExtractionRequest",
            json!({
                "rep_id": REP,
                "competitors": ["Siemens"],
                "purchase_window": {"earliest": "2027-04-01", "latest": "2027-04-30", "phrase": "下个月"},
                "concerns": ["交期"],
                "stance": "still_comparing",
                "next_actions": [
                    {"title": "发送交期承诺函", "due_on": "2027-03-20"},
                    {"todo_id": TODO, "title": "Book a demo with the CFO", "due_on": "2027-03-25"}
                ]
            }),
            |command| {
                bind!(AnyCommand::Visit(VisitCommand::ConfirmExtraction(confirm)) = command);
                assert_eq!(confirm.competitors, ["Siemens"]);
                let window = confirm.purchase_window.as_ref().expect("a window");
                assert_eq!(
                    (window.earliest, window.latest),
                    (date("2027-04-01"), date("2027-04-30"))
                );
                assert_eq!(
                    confirm.stance,
                    Some(customer::CustomerStance::StillComparing)
                );
                let todo_ids: Vec<_> = confirm
                    .next_actions
                    .iter()
                    .map(|action| action.todo_id.as_uuid())
                    .collect();
                assert_eq!(todo_ids, [Uuid::from_u128(MINTED_TODO), uuid(TODO)]);
                assert_eq!(confirm.next_actions[0].title.as_str(), "发送交期承诺函");
            },
        ),
        (
            "ConfirmVisitExtractionRequest",
            json!({"rep_id": REP, "competitors": [], "purchase_window": null, "concerns": [], "stance": null}),
            |command| {
                bind!(AnyCommand::Visit(VisitCommand::ConfirmExtraction(confirm)) = command);
                assert_eq!(confirm.purchase_window, None);
                assert!(confirm.next_actions.is_empty());
            },
        ),
        ("CompleteTodoRequest", json!({"rep_id": REP}), |command| {
            bind!(AnyCommand::Visit(VisitCommand::CompleteTodo(complete)) = command);
            assert_eq!(complete.todo_id.as_uuid(), uuid(TODO));
            assert_eq!(complete.rep_id.as_uuid(), uuid(REP));
        }),
        (
            "StartNurturePackRequest",
            json!({"customer_id": CUSTOMER, "trigger": {"source": "visit_extraction", "visit_id": VISIT}}),
            |command| {
                bind!(AnyCommand::Nurture(NurtureCommand::Start(start)) = command);
                assert_eq!(start.pack_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(
                    start.trigger,
                    nurture::NurtureTrigger::VisitExtraction {
                        visit_id: VisitId::from_uuid(uuid(VISIT))
                    }
                );
                assert_eq!(start.template, NurtureTemplate::default_v1());
            },
        ),
        (
            "StartNurturePackRequest",
            json!({"customer_id": CUSTOMER, "trigger": {"source": "customer_stance"}}),
            |command| {
                bind!(AnyCommand::Nurture(NurtureCommand::Start(start)) = command);
                assert_eq!(start.trigger, nurture::NurtureTrigger::CustomerStance);
            },
        ),
        (
            "RecordNurtureStepSentRequest",
            json!({"step_index": 0, "channel": "企业微信"}),
            |command| {
                bind!(AnyCommand::Nurture(NurtureCommand::RecordStepSent(sent)) = command);
                assert_eq!(sent.step_index, 0);
                assert_eq!(sent.channel.as_str(), "企业微信");
            },
        ),
        (
            "RecordNurtureResponseRequest",
            json!({"step_index": 1, "response": "requested_meeting", "note": "Asked for the full third-party test report"}),
            |command| {
                bind!(AnyCommand::Nurture(NurtureCommand::RecordResponse(response)) = command);
                assert_eq!(response.step_index, 1);
                assert_eq!(
                    response.response,
                    nurture::NurtureResponse::RequestedMeeting
                );
            },
        ),
        (
            "CloseNurturePackRequest",
            json!({"reason": "converted"}),
            |command| {
                bind!(AnyCommand::Nurture(NurtureCommand::Close(close)) = command);
                assert_eq!(close.reason, nurture::NurtureCloseReason::Converted);
            },
        ),
        (
            "CreateProposalRequest",
            json!({"customer_id": CUSTOMER, "contact_email": "purchasing@ruikang-med.cn", "title": "手术室设备升级方案 v2"}),
            |command| {
                bind!(AnyCommand::Proposal(ProposalCommand::Create(create)) = command);
                assert_eq!(create.proposal_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(create.contact_email.as_str(), "purchasing@ruikang-med.cn");
                assert_eq!(create.title.as_str(), "手术室设备升级方案 v2");
            },
        ),
        (
            "RecordProposalPdfRequest",
            json!({"sha256": SHA, "watermark_email": "Purchasing@ruikang-med.cn"}),
            |command| {
                bind!(AnyCommand::Proposal(ProposalCommand::RecordPdf(pdf)) = command);
                assert_eq!(pdf.sha256.as_str(), SHA.to_ascii_lowercase());
                assert_eq!(pdf.watermark_email.as_str(), "purchasing@ruikang-med.cn");
                assert_eq!(pdf.size_bytes, 482_133);
            },
        ),
        (
            "RecordEmailDeliveryReceiptRequest",
            json!({"message_id": "<20270316.8812@mail.example.com>", "recipient": "purchasing@ruikang-med.cn", "delivered_at": "2027-03-16T09:12:00+08:00"}),
            |command| {
                bind!(
                    AnyCommand::Proposal(ProposalCommand::RecordEmailDeliveryReceipt(receipt)) =
                        command
                );
                assert_eq!(
                    receipt.message_id.as_str(),
                    "<20270316.8812@mail.example.com>"
                );
                assert_eq!(receipt.delivered_at, time("2027-03-16T01:12:00Z"));
            },
        ),
        (
            "RecordLinkOpenedRequest",
            json!({"opened_at": "2027-03-16T10:02:11+08:00", "ip_address": "2001:0db8:0000::1", "coarse_location": "上海市"}),
            |command| {
                bind!(AnyCommand::Proposal(ProposalCommand::RecordLinkOpened(opened)) = command);
                assert_eq!(opened.ip_address.as_str(), "2001:db8::1");
                assert_eq!(opened.coarse_location.as_str(), "上海市");
                assert_eq!(
                    opened.tracking_consent_recorded_at,
                    Some(time("2027-03-10T09:00:00+08:00"))
                );
            },
        ),
        (
            "PublishRoutingRulesRequest",
            json!({
                "version": 8,
                "rules": [
                    {"tag": "iso13485", "attribute_key": "compliance", "attribute_value_contains": "ISO13485", "weight": 40},
                    {"tag": "tier3-hospital-his", "attribute_key": "industry", "attribute_value_contains": "三甲医院", "weight": 30}
                ],
                "direct_tag_match_weight": 10, "region_match_weight": 5, "minimum_score": 1, "candidate_count": 3
            }),
            |command| {
                bind!(
                    AnyCommand::Config(ConfigCommand::PublishRoutingRules {
                        rule_set,
                        published_by,
                    }) = command
                );
                assert_eq!(published_by, actor());
                assert_eq!(rule_set.version, 8);
                assert_eq!(rule_set.rules.len(), 2);
                assert_eq!(rule_set.rules[1].attribute_value_contains, "三甲医院");
                assert_eq!(rule_set.candidate_count, 3);
            },
        ),
        (
            "PublishPoolPolicyRequest",
            json!({
                "version": 2, "protection_days": 30, "extension_days": 30, "maximum_protection_days": 90,
                "qualifying_follow_up_kinds": ["visit", "call", "meeting"], "day_close_utc_offset_minutes": 480
            }),
            |command| {
                bind!(
                    AnyCommand::Config(ConfigCommand::PublishPoolPolicy {
                        policy,
                        published_by,
                    }) = command
                );
                assert_eq!(published_by, actor());
                assert_eq!(
                    PoolPolicy {
                        version: 1,
                        ..policy
                    },
                    PoolPolicy::default_v1()
                );
            },
        ),
        (
            "PublishExtractionDictionaryRequest",
            json!({
                "version": 3,
                "competitors": [{"name": "Siemens", "aliases": ["西门子"]}, {"name": "汇川"}],
                "concerns": [{"concern": "交期", "keywords": ["交期", "lead time"]}],
                "still_comparing_phrases": ["还在比较", "再考虑", "still comparing"],
                "utc_offset_minutes": 480
            }),
            |command| {
                bind!(
                    AnyCommand::Config(ConfigCommand::PublishExtractionDictionary {
                        dictionary,
                        ..
                    }) = command
                );
                assert_eq!(dictionary.version, 3);
                assert_eq!(dictionary.competitors[1].name, "汇川");
                assert!(dictionary.competitors[1].aliases.is_empty());
                assert_eq!(dictionary.concerns[0].keywords, ["交期", "lead time"]);
            },
        ),
        (
            "PublishNurtureTemplateRequest",
            json!({"version": 2, "steps": [
                {"kind": "case_video", "delay_hours": 24, "content_ref": "case-video/tier3-hospital-or"},
                {"kind": "time_limited_offer", "delay_hours": 240, "content_ref": "offer/2027-q2"}
            ]}),
            |command| {
                bind!(
                    AnyCommand::Config(ConfigCommand::PublishNurtureTemplate { template, .. }) =
                        command
                );
                assert_eq!(template.version, 2);
                assert_eq!(
                    template.steps[1].kind,
                    nurture::NurtureStepKind::TimeLimitedOffer
                );
            },
        ),
        (
            "ReportUsageRequest",
            json!({
                "days": [
                    {"day": "2027-03-14", "logins": 37, "key_feature_calls": 412},
                    {"day": "2027-03-15", "logins": 0, "key_feature_calls": 0}
                ],
                "modules_used": ["CRM", " reports "],
                "last_login_at": "2027-03-14T17:42:00+08:00"
            }),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::ReportUsage {
                        customer_id,
                        days,
                        modules_used,
                        last_login_at,
                    }) = command
                );
                assert_eq!(customer_id, customer());
                assert_eq!(days.len(), 2);
                assert_eq!(days[0].day, date("2027-03-14"));
                assert_eq!((days[0].logins, days[0].key_feature_calls), (37, 412));
                let modules: Vec<_> = modules_used.iter().map(|m| m.as_str()).collect();
                assert_eq!(modules, ["crm", "reports"]);
                assert_eq!(last_login_at, Some(time("2027-03-14T09:42:00Z")));
            },
        ),
        (
            "RecordSupportTicketRequest",
            json!({"action": "open", "ticket_ref": "ZD-20270315-0042", "opened_at": "2027-03-15T09:12:00+08:00", "subject": "报表导出超时"}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::OpenTicket {
                        ticket_ref,
                        opened_at,
                        subject,
                        ..
                    }) = command
                );
                assert_eq!(ticket_ref.as_str(), "ZD-20270315-0042");
                assert_eq!(opened_at, time("2027-03-15T01:12:00Z"));
                assert_eq!(subject.as_ref().map(|s| s.as_str()), Some("报表导出超时"));
            },
        ),
        (
            "RecordSupportTicketRequest",
            json!({"action": "resolve", "ticket_ref": "ZD-20270315-0042", "resolved_at": "2027-03-15T15:40:00+08:00"}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::ResolveTicket {
                        customer_id,
                        ticket_ref,
                        resolved_at,
                    }) = command
                );
                assert_eq!(customer_id, customer());
                assert_eq!(ticket_ref.as_str(), "ZD-20270315-0042");
                assert_eq!(resolved_at, time("2027-03-15T07:40:00Z"));
            },
        ),
        (
            "SetRenewalRequest",
            json!({"renewal_on": "2027-09-30", "plan": "Enterprise"}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::SetRenewal {
                        renewal_on,
                        plan,
                        ..
                    }) = command
                );
                assert_eq!(renewal_on, date("2027-09-30"));
                assert_eq!(plan.as_str(), "enterprise");
            },
        ),
        (
            "RecordSuccessReferenceRequest",
            json!({"reference_ref": "CASE-2027-017", "title": "瑞康医疗：工单时效提升 40%", "referenced_on": "2027-03-10"}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::RecordSuccessReference {
                        reference_ref,
                        title,
                        referenced_on,
                        ..
                    }) = command
                );
                assert_eq!(reference_ref.as_str(), "CASE-2027-017");
                assert!(title.as_str().starts_with("瑞康医疗"));
                assert_eq!(referenced_on, date("2027-03-10"));
            },
        ),
        (
            "RecordKeywordSearchesRequest",
            json!({"searches": [{"keyword": "西门子", "searched_on": "2027-03-14", "count": 3}, {"keyword": "Mindray", "searched_on": "2027-03-15", "count": 1}]}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::RecordKeywordSearches { searches, .. }) =
                        command
                );
                assert_eq!(searches.len(), 2);
                assert_eq!(searches[1].keyword.as_str(), "mindray");
                assert_eq!(searches[0].count, 3);
            },
        ),
        (
            "CompleteCallbackRequest",
            json!({"note": "客户确认下周安排关键用户培训"}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::CompleteCallback {
                        task_id,
                        note,
                        completed_by,
                        ..
                    }) = command
                );
                assert_eq!(task_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert!(note.is_some());
                assert_eq!(completed_by, actor());
            },
        ),
        (
            "SubmitRescuePlanRequest",
            json!({"plan_id": TODO, "summary": "两周内完成关键用户培训"}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::SubmitRescuePlan {
                        plan_id,
                        summary,
                        submitted_by,
                        ..
                    }) = command
                );
                assert_eq!(plan_id.as_uuid(), uuid(TODO));
                assert_eq!(summary.as_str(), "两周内完成关键用户培训");
                assert_eq!(submitted_by, actor());
            },
        ),
        ("ApproveRescuePlanRequest", json!({}), |command| {
            bind!(
                AnyCommand::Account(AccountCommand::ApproveRescuePlan {
                    plan_id,
                    approved_by,
                    ..
                }) = command
            );
            assert_eq!(plan_id.as_uuid(), Uuid::from_u128(PATH_ID));
            assert_eq!(approved_by, actor());
        }),
        (
            "QuoteRenewalRequest",
            json!({"amount_fen": 38_000_000u64, "valid_until": "2027-04-30"}),
            |command| {
                bind!(
                    AnyCommand::Account(AccountCommand::QuoteRenewal {
                        quote_id,
                        amount_fen,
                        valid_until,
                        quoted_by,
                        ..
                    }) = command
                );
                assert_eq!(quote_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(amount_fen, 38_000_000);
                assert_eq!(valid_until, date("2027-04-30"));
                assert_eq!(quoted_by, actor());
            },
        ),
        (
            "SignContractRequest",
            json!({
                "customer_id": CUSTOMER, "rep_id": REP, "signed_on": "2027-03-15",
                "instalments": [{"due_on": "2027-03-31", "amount_fen": 12_000_000u64}, {"due_on": "2027-06-30", "amount_fen": 26_000_000u64}]
            }),
            |command| {
                bind!(
                    AnyCommand::Contract(ContractCommand::SignContract {
                        contract_id,
                        customer_id,
                        rep_id,
                        signed_on,
                        instalments,
                    }) = command
                );
                assert_eq!(contract_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(customer_id, customer());
                assert_eq!(rep_id.as_uuid(), uuid(REP));
                assert_eq!(signed_on, date("2027-03-15"));
                assert_eq!(instalments.len(), 2);
                assert_eq!(instalments[1].amount_fen, 26_000_000);
            },
        ),
        (
            "RecordPaymentRequest",
            json!({"payment_ref": "ICBC-20270331-778812", "amount_fen": 12_000_000u64, "received_on": "2027-03-31"}),
            |command| {
                bind!(
                    AnyCommand::Contract(ContractCommand::RecordPayment {
                        payment_ref,
                        amount_fen,
                        received_on,
                    }) = command
                );
                assert_eq!(payment_ref.as_str(), "ICBC-20270331-778812");
                assert_eq!(amount_fen, 12_000_000);
                assert_eq!(received_on, date("2027-03-31"));
            },
        ),
        (
            "RecordProcessAssetRequest",
            json!({"customer_id": CUSTOMER, "rep_id": REP, "kind": "objection_answer", "title": "交期顾虑的标准答复"}),
            |command| {
                bind!(
                    AnyCommand::Asset(ProcessAssetCommand::RecordProcessAsset {
                        asset_id,
                        rep_id,
                        kind,
                        title,
                        ..
                    }) = command
                );
                assert_eq!(asset_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(rep_id.as_uuid(), uuid(REP));
                assert_eq!(kind, asset::ProcessAssetKind::ObjectionAnswer);
                assert_eq!(title.as_str(), "交期顾虑的标准答复");
            },
        ),
        (
            "AdvanceLeadStageRequest",
            json!({"stage": "lost", "reason": "选择了西门子"}),
            |command| {
                bind!(
                    AnyCommand::Lead(LeadCommand::AdvanceStage {
                        stage,
                        reason,
                        advanced_by,
                    }) = command
                );
                assert_eq!(stage, lead::FunnelStage::Lost);
                assert_eq!(reason.as_ref().map(|r| r.as_str()), Some("选择了西门子"));
                assert_eq!(advanced_by, actor());
            },
        ),
        (
            "PublishHealthPolicyRequest",
            health_policy_body(2),
            |command| {
                bind!(
                    AnyCommand::Config(ConfigCommand::PublishHealthPolicy {
                        policy,
                        published_by,
                    }) = command
                );
                assert_eq!(published_by, actor());
                assert_eq!(policy.version, 2);
                assert_eq!(
                    HealthPolicy {
                        version: 1,
                        risk_scripts: HealthPolicy::default_v1().risk_scripts,
                        ..policy.clone()
                    },
                    HealthPolicy::default_v1()
                );
                assert_eq!(
                    policy.script(health::RiskKind::CompetitorInterest),
                    "安排价值复盘"
                );
            },
        ),
        (
            "OpenStoreRequest",
            json!({"store": "S0001", "name": "人民路店", "region": "east", "format": "franchised", "opened_on": "2025-01-15"}),
            |command| {
                bind!(AnyCommand::Retail(RetailCommand::OpenStore(open)) = command);
                assert_eq!(open.store.as_str(), "S0001");
                assert_eq!(open.format, retail::StoreFormat::Franchised);
            },
        ),
        (
            "RegisterSkuRequest",
            json!({"sku": "SKU-NEW-1", "name": "燕麦拿铁", "category": "drinks", "new_product": true}),
            |command| {
                bind!(AnyCommand::Retail(RetailCommand::RegisterSku(register)) = command);
                assert_eq!(register.sku.as_str(), "SKU-NEW-1");
                assert!(register.new_product);
            },
        ),
        (
            "EnrollMemberRequest",
            json!({"member": "M000123", "home_store": "S0001", "display_name": "王芳", "enrolled_on": "2026-02-01"}),
            |command| {
                bind!(AnyCommand::Retail(RetailCommand::EnrollMember(enroll)) = command);
                assert_eq!(enroll.member.as_str(), "M000123");
                assert_eq!(enroll.home_store.as_str(), "S0001");
            },
        ),
        (
            "LaunchPromotionRequest",
            json!({"sku": "SKU-NEW-1", "name": "燕麦拿铁上市", "regions": ["west", "east"], "starts_on": "2026-06-01", "ends_on": "2026-08-31"}),
            |command| {
                bind!(AnyCommand::Retail(RetailCommand::LaunchPromotion(launch)) = command);
                assert_eq!(launch.promotion_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(launch.regions.len(), 2);
                assert_eq!(launch.launched_by, actor());
            },
        ),
        (
            "PublishRetailPolicyRequest",
            json!({"version": 2, "high_potential_avg_ticket_cents": 9000, "window_days": 60, "script_template": "Hello {member}"}),
            |command| {
                bind!(AnyCommand::Retail(RetailCommand::PublishRetailPolicy(publish)) = command);
                assert_eq!((publish.version, publish.window_days), (2, 60));
                assert_eq!(publish.published_by, actor());
            },
        ),
    ]
}

#[test]
fn realistic_bodies_convert_to_their_commands() {
    for (schema, body, check) in successes() {
        let command = convert(schema, body.to_string().as_bytes())
            .unwrap_or_else(|failure| panic!("{schema} {body}: {failure:?}"));
        assert_eq!(format!("{:?}Request", command.kind()), schema);
        check(command);
    }
}

#[test]
fn every_request_type_has_a_successful_body() {
    let covered: std::collections::BTreeSet<_> = successes()
        .into_iter()
        .map(|(schema, _, _)| schema)
        .collect();
    for schema in request_schemas() {
        assert!(covered.contains(schema), "{schema} has no success case");
    }
}

/// Decodes `body` as the named request and encodes it again.
fn reencode(schema: &str, body: &[u8]) -> Vec<u8> {
    macro_rules! dispatch {
        ($($request:ident),* $(,)?) => {
            match schema {
                $(stringify!($request) => serde_json::to_vec(
                    &parse_body::<$request>(body).expect("the body decodes"),
                )
                .expect("the request encodes"),)*
                other => panic!("no request schema named {other}"),
            }
        };
    }
    with_all_requests!(dispatch)
}

#[test]
fn requests_round_trip_through_their_own_serialisation() {
    // What the schema describes (the Serialize side) decodes to the same command.
    for (schema, body, check) in successes() {
        let reencoded = reencode(schema, body.to_string().as_bytes());
        let command = convert(schema, &reencoded).unwrap_or_else(|failure| {
            panic!(
                "{schema} {}: {failure:?}",
                String::from_utf8_lossy(&reencoded)
            )
        });
        check(command);
    }
}

#[test]
fn truncated_and_cross_fed_bodies_fail_cleanly() {
    let bodies: Vec<(&str, String)> = successes()
        .into_iter()
        .map(|(schema, body, _)| (schema, body.to_string()))
        .collect();
    for (schema, body) in &bodies {
        for end in 1..body.len() {
            match convert(schema, &body.as_bytes()[..end]) {
                Ok(command) => panic!("{schema}: prefix {end} accepted as {command:?}"),
                Err(failure) => {
                    assert_eq!(failure.code(), "malformed_json", "{schema}: prefix {end}")
                }
            }
        }
    }
    for schema in request_schemas() {
        for (body_schema, body) in &bodies {
            if let Err(failure) = convert(schema, body.as_bytes()) {
                assert!(!failure.code().is_empty(), "{schema} fed {body_schema}");
            }
        }
    }
}

// ---- failures ----

#[test]
fn bad_bodies_fail_with_code_and_path() {
    let valid_rules = json!({"tag": "iso13485", "attribute_key": "compliance", "attribute_value_contains": "ISO13485", "weight": 40});
    let cases: Vec<(&str, String, &str, &str)> = vec![
        // syntax
        ("ClaimCustomerRequest", "".to_owned(), "malformed_json", ""),
        ("ClaimCustomerRequest", "   \n".to_owned(), "malformed_json", ""),
        ("ClaimCustomerRequest", r#"{"rep_id": "#.to_owned(), "malformed_json", "rep_id"),
        ("ClaimCustomerRequest", format!(r#"{{"rep_id": "{REP}"}} trailing"#), "malformed_json", ""),
        ("ClaimCustomerRequest", "nonsense".to_owned(), "malformed_json", ""),
        // not an object
        ("ClaimCustomerRequest", format!(r#"["{REP}"]"#), "wrong_type", ""),
        ("DeactivateRepRequest", "[]".to_owned(), "wrong_type", ""),
        ("DeactivateRepRequest", "null".to_owned(), "wrong_type", ""),
        // unknown fields, also on empty and nested requests
        ("DeactivateRepRequest", r#"{"reason": "left"}"#.to_owned(), "unknown_field", "reason"),
        ("ClaimCustomerRequest", format!(r#"{{"rep_id": "{REP}", "owner": "me"}}"#), "unknown_field", "owner"),
        (
            "ConfirmVisitExtractionRequest",
            format!(r#"{{"rep_id": "{REP}", "competitors": [], "concerns": [], "next_actions": [{{"title": "x", "due_on": "2027-03-20", "priority": 1}}]}}"#),
            "unknown_field",
            "next_actions[0].priority",
        ),
        (
            "StartNurturePackRequest",
            format!(r#"{{"customer_id": "{CUSTOMER}", "trigger": {{"source": "customer_stance", "extra": 1}}}}"#),
            "unknown_field",
            "trigger.extra",
        ),
        // identity never comes from the body
        ("ConfirmLeadBudgetRequest", r#"{"confirmed_by": "someone.else"}"#.to_owned(), "unknown_field", "confirmed_by"),
        ("TransferCustomerRequest", format!(r#"{{"to_rep_id": "{REP}", "reason": "r", "transferred_by": "x"}}"#), "unknown_field", "transferred_by"),
        // missing fields
        ("ClaimCustomerRequest", "{}".to_owned(), "missing_field", "rep_id"),
        ("RegisterRepRequest", r#"{"display_name": "王晓明", "region": "华东"}"#.to_owned(), "missing_field", "capability_tags"),
        (
            "PublishRoutingRulesRequest",
            r#"{"version": 1, "rules": [{"tag": "iso13485"}], "direct_tag_match_weight": 0, "region_match_weight": 0, "minimum_score": 0, "candidate_count": 3}"#.to_owned(),
            "missing_field",
            "rules[0].attribute_key",
        ),
        ("StartNurturePackRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "trigger": {{"source": "visit_extraction"}}}}"#), "missing_field", "trigger.visit_id"),
        // wrong types
        ("ClaimCustomerRequest", r#"{"rep_id": 42}"#.to_owned(), "wrong_type", "rep_id"),
        ("RegisterRepRequest", r#"{"display_name": "A", "region": "R", "capability_tags": ["iso13485", 7, "x"]}"#.to_owned(), "wrong_type", "capability_tags[1]"),
        ("RecordNurtureStepSentRequest", r#"{"step_index": -1, "channel": "email"}"#.to_owned(), "wrong_type", "step_index"),
        ("RecordNurtureStepSentRequest", r#"{"step_index": "0", "channel": "email"}"#.to_owned(), "wrong_type", "step_index"),
        ("CloseNurturePackRequest", r#"{"reason": "bored"}"#.to_owned(), "wrong_type", "reason"),
        ("SetCustomerAttributesRequest", r#"{"attributes": {"size": 500}}"#.to_owned(), "wrong_type", "attributes.size"),
        ("StartNurturePackRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "trigger": {{"source": "phone_call"}}}}"#), "wrong_type", "trigger.source"),
        // strings that are not UUIDs or times
        ("ClaimCustomerRequest", r#"{"rep_id": "not-a-uuid"}"#.to_owned(), "invalid_body", "rep_id"),
        ("RecordFollowUpRequest", format!(r#"{{"rep_id": "{REP}", "kind": "call", "occurred_at": "yesterday"}}"#), "invalid_body", "occurred_at"),
        // invalid values (domain rules)
        ("RegisterRepRequest", r#"{"display_name": "A", "region": "华东", "capability_tags": ["iso13485", "plc-retrofit"]}"#.to_owned(), "capability_tag_count", "capability_tags"),
        ("RegisterRepRequest", r#"{"display_name": "A", "region": "华东", "capability_tags": ["iso13485", "plc-retrofit", "ISO 13485"]}"#.to_owned(), "invalid_capability_tag", "capability_tags[2]"),
        ("ChangeRepCapabilitiesRequest", r#"{"capability_tags": ["iso13485", "ISO13485", "plc-retrofit"]}"#.to_owned(), "invalid_capability_tag", "capability_tags"),
        ("RegisterRepRequest", r#"{"display_name": "  ", "region": "华东", "capability_tags": ["a1", "b2", "c3"]}"#.to_owned(), "invalid_text", "display_name"),
        ("RegisterCustomerRequest", r#"{"company_name": "瑞康", "unified_social_credit_code": "91350100M000100Y44"}"#.to_owned(), "invalid_unified_social_credit_code", "unified_social_credit_code"),
        ("RegisterCustomerRequest", r#"{"company_name": "瑞康", "contact_email": "purchasing.ruikang-med.cn"}"#.to_owned(), "invalid_email", "contact_email"),
        ("RegisterCustomerRequest", r#"{"company_name": "瑞康", "phone": "138 0013 800"}"#.to_owned(), "invalid_phone", "phone"),
        ("RegisterCustomerRequest", r#"{"company_name": "（——）"}"#.to_owned(), "invalid_company_name", "company_name"),
        ("RegisterCustomerRequest", r#"{"company_name": "瑞康", "attributes": {"Decision Chain": "CFO"}}"#.to_owned(), "invalid_attribute_key", "attributes.Decision Chain"),
        ("RegisterLeadRequest", r#"{"company_name": "瑞康", "attributes": {"industry": ""}}"#.to_owned(), "invalid_attribute_value", "attributes.industry"),
        ("SetCustomerAttributesRequest", r#"{"attributes": {"industry": "a", "INDUSTRY": "b"}}"#.to_owned(), "invalid_attribute_key", "attributes.industry"),
        (
            "SetCustomerAttributesRequest",
            json!({"attributes": (0..13).map(|n| (format!("k{n}"), "v".to_owned())).collect::<BTreeMap<_, _>>()}).to_string(),
            "too_many_attributes",
            "attributes",
        ),
        ("CreateProposalRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "contact_email": "a@b", "title": "T"}}"#), "invalid_email", "contact_email"),
        ("RecordProposalPdfRequest", r#"{"sha256": "abc", "watermark_email": "a@b.cn"}"#.to_owned(), "invalid_sha256", "sha256"),
        ("RecordLinkOpenedRequest", r#"{"opened_at": "2027-03-16T10:02:11Z", "ip_address": "300.1.1.1", "coarse_location": "上海"}"#.to_owned(), "invalid_ip_address", "ip_address"),
        ("RecordEmailDeliveryReceiptRequest", r#"{"message_id": "m", "recipient": "x", "delivered_at": "2027-03-16T10:02:11Z"}"#.to_owned(), "invalid_email", "recipient"),
        (
            "ConfirmVisitExtractionRequest",
            format!(r#"{{"rep_id": "{REP}", "competitors": [], "concerns": [], "purchase_window": {{"earliest": "2027-05-01", "latest": "2027-04-01"}}}}"#),
            "invalid_purchase_window",
            "purchase_window",
        ),
        (
            "ConfirmVisitExtractionRequest",
            format!(r#"{{"rep_id": "{REP}", "competitors": [], "concerns": [], "next_actions": [{{"title": "ok", "due_on": "2027-03-20"}}, {{"title": " ", "due_on": "2027-03-20"}}]}}"#),
            "invalid_text",
            "next_actions[1].title",
        ),
        (
            "PublishRoutingRulesRequest",
            json!({"version": 1, "rules": [valid_rules, {"tag": "-bad", "attribute_key": "industry", "attribute_value_contains": "x", "weight": 1}], "direct_tag_match_weight": 0, "region_match_weight": 0, "minimum_score": 0, "candidate_count": 3}).to_string(),
            "invalid_capability_tag",
            "rules[1].tag",
        ),
        (
            "PublishRoutingRulesRequest",
            json!({"version": 1, "rules": [], "direct_tag_match_weight": 0, "region_match_weight": 0, "minimum_score": 0, "candidate_count": 0}).to_string(),
            "invalid_rule_set",
            "",
        ),
        (
            "PublishPoolPolicyRequest",
            r#"{"version": 2, "protection_days": 0, "extension_days": 30, "maximum_protection_days": 90, "qualifying_follow_up_kinds": [], "day_close_utc_offset_minutes": 480}"#.to_owned(),
            "invalid_rule_set",
            "",
        ),
        ("PublishNurtureTemplateRequest", r#"{"version": 2, "steps": []}"#.to_owned(), "nurture_template_empty", ""),
        // the new inputs
        ("ReportUsageRequest", r#"{"days": [{"day": "2027-03-15", "logins": 1, "key_feature_calls": 2, "sessions": 3}]}"#.to_owned(), "unknown_field", "days[0].sessions"),
        ("ReportUsageRequest", r#"{"days": [{"day": "2027-03-15", "logins": -1, "key_feature_calls": 2}]}"#.to_owned(), "wrong_type", "days[0].logins"),
        ("ReportUsageRequest", r#"{"days": [], "modules_used": ["crm", " "]}"#.to_owned(), "invalid_module_name", "modules_used[1]"),
        ("ReportUsageRequest", r#"{"modules_used": ["crm"]}"#.to_owned(), "missing_field", "days"),
        ("RecordSupportTicketRequest", r#"{"action": "close", "ticket_ref": "T-1"}"#.to_owned(), "wrong_type", "action"),
        ("RecordSupportTicketRequest", r#"{"ticket_ref": "T-1", "opened_at": "2027-03-15T09:12:00Z"}"#.to_owned(), "missing_field", "action"),
        ("RecordSupportTicketRequest", r#"{"action": "resolve", "ticket_ref": "T-1", "opened_at": "2027-03-15T09:12:00Z"}"#.to_owned(), "unknown_field", "opened_at"),
        ("RecordSupportTicketRequest", r#"{"action": "open", "ticket_ref": "T 1", "opened_at": "2027-03-15T09:12:00Z"}"#.to_owned(), "invalid_ticket_ref", "ticket_ref"),
        ("SetRenewalRequest", r#"{"renewal_on": "2027-02-30", "plan": "basic"}"#.to_owned(), "invalid_body", "renewal_on"),
        ("SetRenewalRequest", r#"{"renewal_on": "2027-09-30", "plan": ""}"#.to_owned(), "invalid_plan_name", "plan"),
        ("RecordSuccessReferenceRequest", r#"{"reference_ref": "CASE/1", "title": "t", "referenced_on": "2027-03-10"}"#.to_owned(), "invalid_reference_ref", "reference_ref"),
        ("RecordKeywordSearchesRequest", r#"{"searches": [{"keyword": "siemens", "searched_on": "2027-03-14", "count": 1}, {"keyword": "", "searched_on": "2027-03-14", "count": 1}]}"#.to_owned(), "invalid_keyword", "searches[1].keyword"),
        ("CompleteCallbackRequest", r#"{"completed_by": "someone.else"}"#.to_owned(), "unknown_field", "completed_by"),
        ("SubmitRescuePlanRequest", r#"{"summary": "  "}"#.to_owned(), "invalid_text", "summary"),
        ("ApproveRescuePlanRequest", r#"{"approved_by": "cto"}"#.to_owned(), "unknown_field", "approved_by"),
        ("QuoteRenewalRequest", r#"{"amount_fen": 1.5, "valid_until": "2027-04-30"}"#.to_owned(), "wrong_type", "amount_fen"),
        ("SignContractRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "rep_id": "{REP}", "signed_on": "2027-03-15", "instalments": [{{"due_on": "2027-03-31"}}]}}"#), "missing_field", "instalments[0].amount_fen"),
        ("RecordPaymentRequest", r#"{"payment_ref": "", "amount_fen": 1, "received_on": "2027-03-31"}"#.to_owned(), "invalid_payment_ref", "payment_ref"),
        ("RecordProcessAssetRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "rep_id": "{REP}", "kind": "slide_deck", "title": "t"}}"#), "wrong_type", "kind"),
        ("AdvanceLeadStageRequest", r#"{"stage": "closed"}"#.to_owned(), "wrong_type", "stage"),
        ("AdvanceLeadStageRequest", r#"{"stage": "won", "advanced_by": "x"}"#.to_owned(), "unknown_field", "advanced_by"),
        ("PublishHealthPolicyRequest", {
            let mut body = health_policy_body(2);
            body["weights"]["usage"] = json!(31);
            body.to_string()
        }, "invalid_health_policy", ""),
        ("PublishHealthPolicyRequest", {
            let mut body = health_policy_body(2);
            body["risk_scripts"]["weather"] = json!("x");
            body.to_string()
        }, "wrong_type", "risk_scripts"),
    ];
    for (schema, body, code, path) in cases {
        let failure = match convert(schema, body.as_bytes()) {
            Ok(command) => panic!("{schema} {body}: accepted as {command:?}"),
            Err(failure) => failure,
        };
        assert_eq!(
            (failure.code(), failure.path()),
            (code, path),
            "{schema} {body}: {failure:?}"
        );
    }
}

#[test]
fn empty_body_is_an_empty_object_for_bodyless_requests() {
    for schema in [
        "DeactivateRepRequest",
        "CloseDayRequest",
        "WithdrawTrackingConsentRequest",
        "ProposeRoutingRequest",
        "ConfirmLeadBudgetRequest",
        "ApproveRescuePlanRequest",
        "CompleteCallbackRequest",
    ] {
        for body in ["", " \r\n", "{}"] {
            let command = convert(schema, body.as_bytes())
                .unwrap_or_else(|failure| panic!("{schema} {body:?}: {failure:?}"));
            assert_eq!(format!("{:?}Request", command.kind()), schema);
        }
    }
}

#[test]
fn a_duplicate_is_a_domain_error_naming_the_existing_record() {
    let mut index = DuplicateIndex::new();
    let existing: RegisterCustomerRequest = parse_body(
        r#"{"company_name": "杭州瑞康医疗器械有限公司", "phone": "13800138000"}"#.as_bytes(),
    )
    .expect("decodes");
    let existing_id = CustomerId::from_uuid(uuid(CUSTOMER));
    let CustomerCommand::Register(register) = existing
        .into_command(existing_id, |candidate| index.clear(candidate))
        .expect("first registration clears")
    else {
        panic!("not a registration")
    };
    index.apply(&salesledger_domain::event::Event::CustomerRegistered(
        customer::CustomerRegistered {
            customer_id: register.customer_id,
            company_name: register.company_name,
            unified_social_credit_code: None,
            phone: register.phone,
            contact_email: None,
            attributes: register.attributes,
            registered_at: time("2027-01-04T09:00:00+08:00"),
        },
    ));
    let same_company: RegisterLeadRequest =
        parse_body("{\"company_name\": \"杭州瑞康医疗器械 有限公司\"}".as_bytes())
            .expect("decodes");
    let error = same_company
        .into_command(LeadId::from_uuid(uuid(REP)), &actor(), |candidate| {
            index.clear(candidate)
        })
        .expect_err("a duplicate");
    assert_eq!(error.code(), "duplicate_record");
    assert!(matches!(
        error,
        DtoError::Domain(DomainError::DuplicateRecord { .. })
    ));

    let linked: RegisterLeadRequest = parse_body(
        format!(r#"{{"company_name": "杭州瑞康医疗器械有限公司", "customer_id": "{CUSTOMER}"}}"#)
            .as_bytes(),
    )
    .expect("decodes");
    assert!(
        linked
            .into_command(LeadId::from_uuid(uuid(REP)), &actor(), |candidate| index
                .clear(candidate))
            .is_ok(),
        "a lead of the existing customer is not its duplicate"
    );
}

#[test]
fn errors_have_stable_codes_and_readable_messages() {
    let body_error = parse_body::<ClaimCustomerRequest>(b"{").expect_err("truncated");
    assert_eq!(body_error.kind, BodyErrorKind::Syntax);
    assert!(!body_error.to_string().is_empty());
    let dto_error = DtoError::invalid(
        "contact_email",
        &Email::parse("nope").expect_err("not an email"),
    );
    assert_eq!(dto_error.code(), "invalid_email");
    assert!(
        dto_error.to_string().contains("contact_email"),
        "{dto_error}"
    );
}
