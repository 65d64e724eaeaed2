//! A whole sales lifecycle (config, reps, lead, routing, customer, pool,
//! visit, nurture, proposal, then funnel stages, health configuration,
//! calendar, account health, contract receivables and process assets)
//! issuing every command kind and producing every event type of the
//! catalogue,
//! compared with the golden file `fixtures/events/lifecycle.jsonl`.
//!
//! The golden file is the stored form `(stream_id, event_type,
//! schema_version, payload)`; every line must keep decoding. When a payload
//! changes on purpose, bump its schema version, add an upcaster and a v(N-1)
//! fixture, then regenerate with `UPDATE_GOLDEN=1 cargo test -p salesledger-domain`.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use salesledger_domain::account::*;
use salesledger_domain::asset::*;
use salesledger_domain::calendar::*;
use salesledger_domain::config::*;
use salesledger_domain::contract::*;
use salesledger_domain::customer::*;
use salesledger_domain::duplicate::DuplicateIndex;
use salesledger_domain::event::*;
use salesledger_domain::health::{local_day, DailyUsage, HealthPolicy, KeywordSearch};
use salesledger_domain::lead::*;
use salesledger_domain::nurture::*;
use salesledger_domain::proposal::*;
use salesledger_domain::rep::*;
use salesledger_domain::retail::*;
use salesledger_domain::role::{may_issue, CommandKind, Role};
use salesledger_domain::stream::{
    member_stream_id, pos_batch_stream_id, promotion_stream_id, sku_stream_id, store_stream_id,
    CONFIG_RETAIL_STREAM,
};
use salesledger_domain::value::*;
use salesledger_domain::visit::*;
use salesledger_domain::Aggregate;

use crate::support::*;

/// Appends decided events to a log, like the command layer would.
struct Log {
    events: Vec<Event>,
    now: DateTime<Utc>,
    command_kinds: BTreeSet<CommandKind>,
}

impl Log {
    fn stream(&self, stream_id: &str) -> Vec<Event> {
        self.events
            .iter()
            .filter(|event| event.stream_id() == stream_id)
            .cloned()
            .collect()
    }

    fn run<A: Aggregate>(&mut self, stream_id: &str, command: A::Command) -> Vec<Event> {
        self.now += Duration::seconds(17);
        let kind = A::command_kind(&command);
        assert!(
            Role::ALL.iter().any(|role| may_issue(*role, kind)),
            "some role may issue {kind:?}"
        );
        self.command_kinds.insert(kind);
        let state = A::from_events(&self.stream(stream_id));
        let events = match state.decide(command, self.now) {
            Ok(events) => events,
            Err(error) => panic!("{stream_id}: {error:?}"),
        };
        for event in &events {
            assert_eq!(event.stream_id(), stream_id);
        }
        self.events.extend(events.clone());
        events
    }
}

fn lifecycle() -> Vec<Event> {
    let mut log = Log {
        events: Vec::new(),
        now: time("2027-03-01T09:00:00+08:00"),
        command_kinds: BTreeSet::new(),
    };
    let supervisor = actor("sup-wang");
    // configuration
    log.run::<Config>(
        "config-routing",
        ConfigCommand::PublishRoutingRules {
            rule_set: rule_set(),
            published_by: supervisor.clone(),
        },
    );
    log.run::<Config>(
        "config-pool-policy",
        ConfigCommand::PublishPoolPolicy {
            policy: pool_policy(),
            published_by: supervisor.clone(),
        },
    );
    log.run::<Config>(
        "config-extraction",
        ConfigCommand::PublishExtractionDictionary {
            dictionary: dictionary(),
            published_by: actor("mkt-liu"),
        },
    );
    log.run::<Config>(
        "config-nurture",
        ConfigCommand::PublishNurtureTemplate {
            template: NurtureTemplate::default_v1(),
            published_by: actor("mkt-liu"),
        },
    );
    // reps
    let profiles = [
        rep(
            1,
            "华东",
            &["iso13485", "tier3-hospital-his", "plc-retrofit"],
        ),
        rep(
            2,
            "华南",
            &["iso13485", "tier3-hospital-his", "automotive-grade-cert"],
        ),
        rep(
            3,
            "华东",
            &["automotive-grade-cert", "plc-retrofit", "mes-integration"],
        ),
    ];
    for profile in &profiles {
        log.run::<Rep>(
            &salesledger_domain::stream::rep_stream_id(profile.rep_id),
            RepCommand::Register(RegisterRep {
                rep_id: profile.rep_id,
                display_name: text(&format!("rep {}", profile.rep_id)),
                region: profile.region.clone(),
                capability_tags: profile.capability_tags.clone(),
            }),
        );
    }
    let rep3_stream = salesledger_domain::stream::rep_stream_id(rep_id(3));
    log.run::<Rep>(
        &rep3_stream,
        RepCommand::ChangeCapabilities(ChangeRepCapabilities {
            capability_tags: tags(&[
                "automotive-grade-cert",
                "plc-retrofit",
                "mes-integration",
                "iatf16949",
            ]),
        }),
    );
    log.run::<Rep>(&rep3_stream, RepCommand::Deactivate(DeactivateRep {}));
    // a lead from marketing, confirmed and routed
    let lead_stream = salesledger_domain::stream::lead_stream_id(lead_id(1));
    let company_name = CompanyName::parse("杭州仁和医院有限公司").expect("name");
    let phone = Phone::parse("+86 571-8888-6666").expect("phone");
    let code = UnifiedSocialCreditCode::parse("91350100M000100Y43").expect("code");
    let lead_attributes = attributes(&[
        ("industry", "三甲医院"),
        ("compliance", "ISO 13485"),
        ("region", "华东"),
    ]);
    let mut index = DuplicateIndex::new();
    let clearance = clearance_for(&index, &company_name, Some(&code), Some(&phone), None);
    log.run::<Lead>(
        &lead_stream,
        LeadCommand::Register(RegisterLead {
            lead_id: lead_id(1),
            company_name: company_name.clone(),
            unified_social_credit_code: Some(code.clone()),
            phone: Some(phone.clone()),
            contact_email: Some(email("li.na@renhe.example.cn")),
            attributes: lead_attributes.clone(),
            customer_id: None,
            registered_by: actor("mkt-liu"),
            duplicate_clearance: clearance,
        }),
    );
    log.run::<Lead>(
        &lead_stream,
        LeadCommand::ConfirmBudget(ConfirmLeadBudget {
            confirmed_by: actor("mkt-liu"),
            note: Some(text("预算 200 万已批")),
        }),
    );
    log.run::<Lead>(
        &lead_stream,
        LeadCommand::ConfirmTechnicalFit(ConfirmLeadTechnicalFit {
            confirmed_by: actor("se-chen"),
            note: None,
        }),
    );
    let mut reps: Vec<RepProfile> = profiles.to_vec();
    reps[2].active = false;
    log.run::<Lead>(
        &lead_stream,
        LeadCommand::ProposeRouting(ProposeRouting {
            rule_set: rule_set(),
            reps,
        }),
    );
    log.run::<Lead>(
        &lead_stream,
        LeadCommand::ConfirmRouting(ConfirmRouting {
            rep_id: rep_id(1),
            confirmed_by: supervisor.clone(),
        }),
    );
    // the customer record, linked to the lead's company
    for event in &log.events {
        index.apply(event);
    }
    let customer_stream = salesledger_domain::stream::customer_stream_id(customer_id(1));
    let customer_name = CompanyName::parse("仁和医院（杭州）").expect("name");
    let customer_clearance =
        clearance_for(&DuplicateIndex::new(), &customer_name, None, None, None);
    log.run::<Customer>(
        &customer_stream,
        CustomerCommand::Register(RegisterCustomer {
            customer_id: customer_id(1),
            company_name: customer_name,
            unified_social_credit_code: None,
            phone: None,
            contact_email: Some(email("li.na@renhe.example.cn")),
            attributes: lead_attributes.clone(),
            duplicate_clearance: customer_clearance,
        }),
    );
    log.run::<Customer>(
        &customer_stream,
        CustomerCommand::SetAttributes(SetCustomerAttributes {
            attributes: attributes(&[
                ("industry", "三甲医院"),
                ("compliance", "ISO 13485"),
                ("region", "华东"),
                ("decision_chain", "信息科 -> 院办"),
            ]),
        }),
    );
    let claim = |n| {
        CustomerCommand::Claim(ClaimCustomer {
            rep_id: rep_id(n),
            policy: pool_policy(),
        })
    };
    log.run::<Customer>(&customer_stream, claim(1));
    let follow_up_at = log.now;
    log.run::<Customer>(
        &customer_stream,
        CustomerCommand::RecordFollowUp(RecordFollowUp {
            rep_id: rep_id(1),
            kind: FollowUpKind::Call,
            occurred_at: follow_up_at,
            visit_id: None,
            policy: pool_policy(),
        }),
    );
    log.run::<Customer>(
        &customer_stream,
        CustomerCommand::Transfer(TransferCustomer {
            to_rep_id: rep_id(2),
            transferred_by: supervisor.clone(),
            reason: text("区域调整"),
            policy: pool_policy(),
        }),
    );
    log.run::<Customer>(
        &customer_stream,
        CustomerCommand::Release(ReleaseCustomer { rep_id: rep_id(2) }),
    );
    log.run::<Customer>(&customer_stream, claim(1));
    log.run::<Customer>(
        &customer_stream,
        CustomerCommand::RecallToPool(RecallCustomerToPool {
            recalled_by: supervisor.clone(),
            reason: text("重点客户重新分配"),
        }),
    );
    log.run::<Customer>(&customer_stream, claim(1));
    log.now += Duration::days(31);
    let day = salesledger_domain::extraction::local_date(log.now, 480) - Duration::days(1);
    log.run::<Customer>(
        &customer_stream,
        CustomerCommand::CloseDay(CloseDay {
            day,
            policy: pool_policy(),
        }),
    );
    log.run::<Customer>(&customer_stream, claim(1));
    log.run::<Customer>(
        &customer_stream,
        CustomerCommand::RecordTrackingConsent(RecordTrackingConsent {
            consent_text: text("同意"),
        }),
    );
    log.run::<Customer>(
        &customer_stream,
        CustomerCommand::WithdrawTrackingConsent(WithdrawTrackingConsent {}),
    );
    log.run::<Customer>(
        &customer_stream,
        CustomerCommand::RecordTrackingConsent(RecordTrackingConsent {
            consent_text: text("再次同意"),
        }),
    );
    let consent_at = log.now;
    log.run::<Customer>(
        &customer_stream,
        CustomerCommand::RecordStance(RecordCustomerStance {
            stance: CustomerStance::StillComparing,
            recorded_by: actor("rep-1"),
            visit_id: None,
        }),
    );
    // a visit with extraction, confirmation and a to-do
    let visit_id = VisitId::from_uuid(uuid(0x4001));
    let visit_stream = salesledger_domain::stream::visit_stream_id(visit_id);
    let visited_at = log.now;
    log.run::<Visit>(
        &visit_stream,
        VisitCommand::Log(LogVisit {
            visit_id,
            customer_id: customer_id(1),
            rep_id: rep_id(1),
            channel: VisitChannel::OnSite,
            occurred_at: visited_at,
            transcript: text("王总说下个月采购，但还在比较，西门子也报了价，担心接口对接。"),
            rep_notes: Some(text("带了样机")),
            dictionary: dictionary(),
        }),
    );
    let todo_id = TodoId::from_uuid(uuid(0x5001));
    let proposed = salesledger_domain::visit::Visit::from_events(&log.stream(&visit_stream))
        .proposed_extraction
        .expect("proposed");
    log.run::<Visit>(
        &visit_stream,
        VisitCommand::ConfirmExtraction(ConfirmVisitExtraction {
            rep_id: rep_id(1),
            competitors: proposed.competitors,
            purchase_window: proposed.purchase_window,
            concerns: proposed.concerns,
            stance: proposed.stance,
            next_actions: vec![NextAction {
                todo_id,
                title: text("发送接口文档"),
                due_on: salesledger_domain::extraction::local_date(visited_at, 480)
                    + Duration::days(2),
            }],
        }),
    );
    log.run::<Visit>(
        &visit_stream,
        VisitCommand::CompleteTodo(CompleteTodo {
            todo_id,
            rep_id: rep_id(1),
        }),
    );
    // the nurture pack the confirmation triggers
    let confirmation = log
        .stream(&visit_stream)
        .into_iter()
        .find_map(|event| nurture_trigger(&event))
        .expect("still comparing triggers a pack");
    let pack_id = NurturePackId::from_uuid(uuid(0x6001));
    let nurture_stream = salesledger_domain::stream::nurture_stream_id(pack_id);
    log.run::<NurturePack>(
        &nurture_stream,
        NurtureCommand::Start(StartNurturePack {
            pack_id,
            customer_id: confirmation.0,
            trigger: confirmation.1,
            template: NurtureTemplate::default_v1(),
        }),
    );
    log.run::<NurturePack>(
        &nurture_stream,
        NurtureCommand::RecordStepSent(RecordNurtureStepSent {
            step_index: 0,
            channel: text("wecom"),
        }),
    );
    log.run::<NurturePack>(
        &nurture_stream,
        NurtureCommand::RecordResponse(RecordNurtureResponse {
            step_index: 0,
            response: NurtureResponse::Interested,
            note: None,
        }),
    );
    log.run::<NurturePack>(
        &nurture_stream,
        NurtureCommand::Close(CloseNurturePack {
            reason: NurtureCloseReason::Converted,
        }),
    );
    // the proposal and its evidence
    let proposal_id = ProposalId::from_uuid(uuid(0x7001));
    let proposal_stream = salesledger_domain::stream::proposal_stream_id(proposal_id);
    log.run::<Proposal>(
        &proposal_stream,
        ProposalCommand::Create(CreateProposal {
            proposal_id,
            customer_id: customer_id(1),
            contact_email: email("li.na@renhe.example.cn"),
            title: text("HIS 接口改造方案"),
        }),
    );
    let opened_at = log.now;
    log.run::<Proposal>(
        &proposal_stream,
        ProposalCommand::RecordLinkOpened(RecordLinkOpened {
            opened_at,
            ip_address: IpAddress::parse("203.0.113.7").expect("ip"),
            coarse_location: text("浙江 杭州"),
            tracking_consent_recorded_at: None,
        }),
    );
    log.run::<Proposal>(
        &proposal_stream,
        ProposalCommand::RecordPdf(RecordProposalPdf {
            sha256: Sha256Hex::parse(
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            )
            .expect("sha"),
            watermark_email: email("li.na@renhe.example.cn"),
            size_bytes: 482_113,
        }),
    );
    let delivered_at = log.now;
    log.run::<Proposal>(
        &proposal_stream,
        ProposalCommand::RecordEmailDeliveryReceipt(RecordEmailDeliveryReceipt {
            message_id: text("<20270312.1234@mail.example>"),
            recipient: email("li.na@renhe.example.cn"),
            delivered_at,
        }),
    );
    let opened_again_at = log.now;
    log.run::<Proposal>(
        &proposal_stream,
        ProposalCommand::RecordLinkOpened(RecordLinkOpened {
            opened_at: opened_again_at,
            ip_address: IpAddress::parse("203.0.113.7").expect("ip"),
            coarse_location: text("浙江 杭州"),
            tracking_consent_recorded_at: Some(consent_at),
        }),
    );
    issue_4_lifecycle(&mut log, &lead_stream);
    issue_7_lifecycle(&mut log);
    let all_kinds: BTreeSet<CommandKind> = CommandKind::all().collect();
    assert_eq!(
        log.command_kinds, all_kinds,
        "the lifecycle issues every command kind"
    );
    log.events
}

fn to_jsonl(events: &[Event]) -> String {
    let mut lines = String::new();
    for event in events {
        let encoded = encode(event).expect("encodes");
        let line = serde_json::json!({
            "stream_id": event.stream_id(),
            "event_type": encoded.event_type,
            "schema_version": encoded.schema_version,
            "payload": encoded.payload,
        });
        lines.push_str(&serde_json::to_string(&line).expect("serialises"));
        lines.push('\n');
    }
    lines
}

#[test]
fn the_lifecycle_covers_the_catalogue_and_matches_the_golden_file() {
    let events = lifecycle();
    let emitted: BTreeSet<&str> = events.iter().map(Event::event_type).collect();
    let catalogue: BTreeSet<&str> = EVENT_CATALOGUE.iter().map(|(name, _)| *name).collect();
    let missing: Vec<_> = catalogue.difference(&emitted).collect();
    assert!(
        missing.is_empty(),
        "the lifecycle does not produce {missing:?}"
    );

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/events/lifecycle.jsonl");
    let actual = to_jsonl(&events);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).expect("golden file written");
    }
    let golden =
        std::fs::read_to_string(&path).expect("golden file exists (UPDATE_GOLDEN=1 creates it)");
    for (line, event) in golden.lines().zip(&events) {
        let stored: serde_json::Value = serde_json::from_str(line).expect("golden line is JSON");
        let event_type = stored["event_type"].as_str().expect("event_type");
        let schema_version = stored["schema_version"].as_u64().expect("schema_version") as u32;
        let decoded = decode(event_type, schema_version, stored["payload"].clone());
        assert_eq!(
            decoded.as_ref(),
            Ok(event),
            "golden {event_type} decodes to the same event"
        );
    }
    assert_eq!(
        golden, actual,
        "encoding changed: bump the schema version and add an upcaster"
    );
}

#[test]
fn aggregate_states_serialise_for_read_views() {
    let events = lifecycle();
    let streams: BTreeSet<String> = events.iter().map(Event::stream_id).collect();
    for stream_id in streams {
        let stream: Vec<Event> = events
            .iter()
            .filter(|event| event.stream_id() == stream_id)
            .cloned()
            .collect();
        let kind = stream_id.split('-').next().unwrap_or_default();
        let json = match kind {
            "rep" => serde_json::to_value(Rep::from_events(&stream)),
            "customer" => serde_json::to_value(Customer::from_events(&stream)),
            "lead" => serde_json::to_value(Lead::from_events(&stream)),
            "visit" => serde_json::to_value(Visit::from_events(&stream)),
            "nurture" => serde_json::to_value(NurturePack::from_events(&stream)),
            "proposal" => serde_json::to_value(Proposal::from_events(&stream)),
            "config" => serde_json::to_value(Config::from_events(&stream)),
            "calendar" => serde_json::to_value(Calendar::from_events(&stream)),
            "account" => serde_json::to_value(Account::from_events(&stream)),
            "contract" => serde_json::to_value(Contract::from_events(&stream)),
            "asset" => serde_json::to_value(ProcessAsset::from_events(&stream)),
            "store" | "sku" | "member" | "promotion" | "pos" => {
                serde_json::to_value(RetailEntity::from_events(&stream))
            }
            other => panic!("unexpected stream kind {other}"),
        };
        let json = json.expect("state serialises");
        assert!(json.is_object(), "{stream_id}");
    }
    let proposal_stream: Vec<Event> = events
        .iter()
        .filter(|event| {
            matches!(
                event,
                Event::ProposalCreated(_) | Event::ProposalDelivered(_)
            )
        })
        .cloned()
        .collect();
    assert_eq!(
        Proposal::from_events(&proposal_stream).status(),
        Some(ProposalStatus::Delivered)
    );
}

/// Issue 4: funnel stages, health configuration, the calendar, account
/// health (red freeze and rescue, yellow call-back missed then completed,
/// green success case), a contract with an overdue instalment, a process asset.
fn issue_4_lifecycle(log: &mut Log, lead_stream: &str) {
    log.run::<Lead>(
        lead_stream,
        LeadCommand::AdvanceStage {
            stage: FunnelStage::Proposal,
            reason: None,
            advanced_by: actor("rep-1"),
        },
    );
    log.run::<Lead>(
        lead_stream,
        LeadCommand::AdvanceStage {
            stage: FunnelStage::Won,
            reason: Some(text("合同已签")),
            advanced_by: actor("rep-1"),
        },
    );
    let mut health_policy = HealthPolicy::default_v1();
    health_policy.version = 2;
    log.run::<Config>(
        salesledger_domain::stream::CONFIG_HEALTH_STREAM,
        ConfigCommand::PublishHealthPolicy {
            policy: health_policy.clone(),
            published_by: actor("cto-zhao"),
        },
    );
    let calendar = salesledger_domain::stream::CALENDAR_STREAM;
    let customer = customer_id(1);
    let account = salesledger_domain::stream::account_stream_id(customer);
    let first_day = local_day(log.now) - Duration::days(1);
    let close = |log: &mut Log, day| {
        let closes_at = pool_policy().day_closes_at(day);
        if log.now < closes_at {
            log.now = closes_at;
        }
        log.run::<Calendar>(calendar, CalendarCommand::CloseDay { day, closes_at });
        log.run::<Account>(
            &account,
            AccountCommand::EvaluateHealth {
                customer_id: customer,
                day,
                closes_at,
                policy: health_policy.clone(),
                owner: Some(rep_id(1)),
            },
        )
    };
    // day 1: no inputs yet, red (score 2000: only the ticket indicator), frozen
    close(log, first_day);
    log.run::<Account>(
        &account,
        AccountCommand::SubmitRescuePlan {
            customer_id: customer,
            plan_id: RescuePlanId::from_uuid(uuid(0x8001)),
            summary: text("两周内完成关键用户培训，CTO 跟进接口问题"),
            submitted_by: actor("csm-zhou"),
        },
    );
    log.run::<Account>(
        &account,
        AccountCommand::ApproveRescuePlan {
            customer_id: customer,
            plan_id: RescuePlanId::from_uuid(uuid(0x8001)),
            approved_by: actor("cto-zhao"),
        },
    );
    log.run::<Account>(
        &account,
        AccountCommand::QuoteRenewal {
            customer_id: customer,
            quote_id: QuoteId::from_uuid(uuid(0x8101)),
            amount_fen: 12_000_000,
            valid_until: first_day + Duration::days(30),
            quoted_by: actor("rep-1"),
        },
    );
    // inputs
    let usage_days = (0..20)
        .map(|offset| DailyUsage {
            day: first_day - Duration::days(offset),
            logins: 2,
            key_feature_calls: 10,
        })
        .collect();
    log.run::<Account>(
        &account,
        AccountCommand::ReportUsage {
            customer_id: customer,
            days: usage_days,
            modules_used: vec![
                ModuleName::parse("crm").expect("module"),
                ModuleName::parse("reports").expect("module"),
            ],
            last_login_at: Some(log.now - Duration::hours(3)),
        },
    );
    let ticket = |raw: &str| TicketRef::parse(raw).expect("ticket ref");
    log.run::<Account>(
        &account,
        AccountCommand::OpenTicket {
            customer_id: customer,
            ticket_ref: ticket("T-1001"),
            opened_at: log.now - Duration::hours(30),
            subject: Some(text("接口超时")),
        },
    );
    let resolved_at = log.now;
    log.run::<Account>(
        &account,
        AccountCommand::ResolveTicket {
            customer_id: customer,
            ticket_ref: ticket("T-1001"),
            resolved_at,
        },
    );
    log.run::<Account>(
        &account,
        AccountCommand::OpenTicket {
            customer_id: customer,
            ticket_ref: ticket("T-1002"),
            opened_at: log.now,
            subject: None,
        },
    );
    log.run::<Account>(
        &account,
        AccountCommand::SetRenewal {
            customer_id: customer,
            renewal_on: first_day + Duration::days(90),
            plan: PlanName::parse("standard").expect("plan"),
        },
    );
    log.run::<Account>(
        &account,
        AccountCommand::RecordSuccessReference {
            customer_id: customer,
            reference_ref: ReferenceRef::parse("CASE-2027-01").expect("ref"),
            title: text("HIS 接口改造案例"),
            referenced_on: first_day,
        },
    );
    log.run::<Account>(
        &account,
        AccountCommand::RecordKeywordSearches {
            customer_id: customer,
            searches: vec![KeywordSearch {
                keyword: Keyword::parse("西门子").expect("keyword"),
                searched_on: first_day,
                count: 3,
            }],
        },
    );
    // day 2: yellow, a call-back task for the CSM
    let second_day = first_day + Duration::days(1);
    close(log, second_day);
    // day 3 (days close in order): the call-back is not due yet, no change
    close(log, second_day + Duration::days(1));
    // day 4: the call-back is due at the close of day 2 + 48 h -> missed
    close(log, second_day + Duration::days(2));
    let task_id = callback_task_id(customer, second_day);
    log.run::<Account>(
        &account,
        AccountCommand::CompleteCallback {
            customer_id: customer,
            task_id,
            note: Some(text("客户确认培训时间")),
            completed_by: actor("csm-zhou"),
        },
    );
    log.run::<Account>(
        &account,
        AccountCommand::RecordSuccessReference {
            customer_id: customer,
            reference_ref: ReferenceRef::parse("CASE-2027-02").expect("ref"),
            title: text("院内推广案例"),
            referenced_on: second_day,
        },
    );
    // day 5: green, a success case for the owner
    close(log, second_day + Duration::days(3));
    // a contract with an overdue instalment
    let contract_id = ContractId::from_uuid(uuid(0x9001));
    let contract = salesledger_domain::stream::contract_stream_id(contract_id);
    log.run::<Contract>(
        &contract,
        ContractCommand::SignContract {
            contract_id,
            customer_id: customer,
            rep_id: rep_id(1),
            signed_on: first_day - Duration::days(40),
            instalments: vec![
                InstalmentTerm {
                    due_on: first_day - Duration::days(10),
                    amount_fen: 10_000_000,
                },
                InstalmentTerm {
                    due_on: first_day + Duration::days(30),
                    amount_fen: 20_000_000,
                },
            ],
        },
    );
    log.run::<Contract>(
        &contract,
        ContractCommand::RecordPayment {
            payment_ref: PaymentRef::parse("BANK-20270401-0001").expect("payment ref"),
            amount_fen: 5_000_000,
            received_on: first_day,
        },
    );
    log.run::<Contract>(
        &contract,
        ContractCommand::CheckOverdue {
            day: second_day + Duration::days(3),
        },
    );
    // a process asset
    let asset_id = AssetId::from_uuid(uuid(0xa001));
    log.run::<ProcessAsset>(
        &salesledger_domain::stream::asset_stream_id(asset_id),
        ProcessAssetCommand::RecordProcessAsset {
            asset_id,
            customer_id: customer,
            rep_id: rep_id(1),
            kind: ProcessAssetKind::Solution,
            title: text("HIS 接口改造方案模板"),
        },
    );
}

/// Issue 7 (SPEC C13): a store, two SKUs, a member, a promotion, the
/// retail policy and one POS batch of two tickets.
fn issue_7_lifecycle(log: &mut Log) {
    let store = StoreCode::parse("S0001").expect("store");
    log.run::<RetailEntity>(
        &store_stream_id(&store),
        RetailCommand::OpenStore(OpenStore {
            store: store.clone(),
            name: text("人民路店"),
            region: Region::parse("east").expect("region"),
            format: StoreFormat::Direct,
            opened_on: date("2025-01-15"),
        }),
    );
    for (code, name, category, new_product) in [
        ("SKU-0042", "全麦面包", "bakery", false),
        ("SKU-NEW-1", "燕麦拿铁", "drinks", true),
    ] {
        let sku = SkuCode::parse(code).expect("sku");
        log.run::<RetailEntity>(
            &sku_stream_id(&sku),
            RetailCommand::RegisterSku(RegisterSku {
                sku,
                name: text(name),
                category: text(category),
                new_product,
            }),
        );
    }
    let member = MemberRef::parse("M000123").expect("member");
    log.run::<RetailEntity>(
        &member_stream_id(&member),
        RetailCommand::EnrollMember(EnrollMember {
            member: member.clone(),
            home_store: store.clone(),
            display_name: text("王芳"),
            enrolled_on: date("2026-02-01"),
            home_store_known: true,
        }),
    );
    let promotion_id = PromotionId::from_uuid(uuid(0xb001));
    log.run::<RetailEntity>(
        &promotion_stream_id(promotion_id),
        RetailCommand::LaunchPromotion(LaunchPromotion {
            promotion_id,
            sku: SkuCode::parse("SKU-NEW-1").expect("sku"),
            name: text("燕麦拿铁上市"),
            regions: vec![Region::parse("east").expect("region")],
            starts_on: date("2027-04-01"),
            ends_on: date("2027-04-30"),
            launched_by: actor("mkt-zhao"),
            sku_known: true,
            store_regions: [Region::parse("east").expect("region")]
                .into_iter()
                .collect(),
        }),
    );
    log.run::<RetailPolicy>(
        CONFIG_RETAIL_STREAM,
        RetailCommand::PublishRetailPolicy(PublishRetailPolicy {
            version: 1,
            high_potential_avg_ticket_cents: DEFAULT_HIGH_POTENTIAL_AVG_TICKET_CENTS,
            window_days: DEFAULT_WINDOW_DAYS,
            script_template: text(DEFAULT_SCRIPT_TEMPLATE),
            published_by: actor("sup-wang"),
        }),
    );
    let mut catalogue = Catalogue::default();
    for event in &log.events {
        catalogue.apply(event);
    }
    let batch_id = PosBatchId::parse("pos-2027-04-02-S0001").expect("batch id");
    let line = |line: u64,
                ticket: &'static str,
                sku: &'static str,
                amount: i64,
                member: Option<&'static str>,
                sold_at: &'static str| PosInputLine {
        line,
        store: "S0001".into(),
        ticket: ticket.into(),
        sku: sku.into(),
        qty: Some(1),
        amount_cents: Some(amount),
        member: member.map(Into::into),
        sold_at: sold_at.into(),
    };
    let lines = vec![
        line(
            1,
            "T-0001",
            "SKU-0042",
            1_250,
            Some("M000123"),
            "2027-04-02T08:15:00+08:00",
        ),
        line(
            2,
            "T-0001",
            "SKU-NEW-1",
            1_800,
            Some("M000123"),
            "2027-04-02T08:15:00+08:00",
        ),
        line(
            3,
            "T-0002",
            "SKU-0042",
            1_250,
            None,
            "2027-04-02T19:40:00+08:00",
        ),
    ];
    let recorded_at = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .expect("a time")
        .with_timezone(&chrono::Utc);
    let batch = build_pos_batch(
        &batch_id,
        &lines,
        &catalogue,
        recorded_at,
        chrono::Duration::minutes(10),
    )
    .expect("valid batch");
    assert_eq!((batch.lines, batch.tickets, batch.events.len()), (3, 2, 1));
    log.run::<RetailEntity>(
        &pos_batch_stream_id(&batch_id),
        RetailCommand::RecordPosSales(RecordPosSales {
            batch_id: batch_id.clone(),
            events: batch.events,
        }),
    );
}
