//! Data-driven: one dispatcher (`convert`) turns (schema name, body) into
//! a command with fixed server-side inputs; tables of bodies then assert
//! on the commands or on the error code and JSON path.
//!
//! This file holds the shared part: the fixed ids and helpers, `convert`,
//! the list of request types (`with_all_requests!`) and the tests that run
//! every table. Each aggregate's rows live in its own file, named like its
//! request file (`account.rs`, `customer.rs`, ...): its `successes()`,
//! `bad_bodies()` and, where it has them, the request types whose body may
//! be empty (`BODYLESS`). The tables here concatenate them.

use super::*;
use salesledger_domain::duplicate::DuplicateIndex;
use salesledger_domain::role::CommandKind;
use serde_json::json;

/// `bind!(Pattern = command)`: binds the pattern's names or panics with
/// the command that did not match.
macro_rules! bind {
    ($pattern:pat = $command:ident) => {
        let $pattern = $command else {
            panic!("{:?}", $command)
        };
    };
}

// Each aggregate's rows. Declared after `bind!`, which they use: a
// `macro_rules!` macro is in scope only below its definition.
mod account;
mod asset;
mod config;
mod contract;
mod customer;
mod lead;
mod nurture;
mod proposal;
mod rep;
mod retail;
mod visit;

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
            LaunchPromotionRequest => Retail(PromotionId::from_uuid(path_id), &actor(), &salesledger_domain::retail::Catalogue::default()),
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

/// A realistic body of a request type and a check of the command it
/// converts to.
type Success = (&'static str, serde_json::Value, Check);

/// Every aggregate's realistic bodies.
fn successes() -> Vec<Success> {
    [
        rep::successes(),
        customer::successes(),
        lead::successes(),
        visit::successes(),
        nurture::successes(),
        proposal::successes(),
        config::successes(),
        account::successes(),
        contract::successes(),
        asset::successes(),
        retail::successes(),
    ]
    .concat()
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

/// A body a request type refuses: (request type, body, error code, JSON
/// path the error names).
type BadBody = (&'static str, String, &'static str, &'static str);

/// Bodies that are not a JSON object, whatever the request type.
#[rustfmt::skip] // one row per line, as a table
fn bad_envelopes() -> Vec<BadBody> {
    vec![
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
    ]
}

#[test]
fn bad_bodies_fail_with_code_and_path() {
    let cases = [
        bad_envelopes(),
        rep::bad_bodies(),
        customer::bad_bodies(),
        lead::bad_bodies(),
        visit::bad_bodies(),
        nurture::bad_bodies(),
        proposal::bad_bodies(),
        config::bad_bodies(),
        account::bad_bodies(),
        contract::bad_bodies(),
        asset::bad_bodies(),
    ]
    .concat();
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
    let bodyless = [
        rep::BODYLESS,
        customer::BODYLESS,
        lead::BODYLESS,
        account::BODYLESS,
    ]
    .concat();
    for schema in bodyless {
        for body in ["", " \r\n", "{}"] {
            let command = convert(schema, body.as_bytes())
                .unwrap_or_else(|failure| panic!("{schema} {body:?}: {failure:?}"));
            assert_eq!(format!("{:?}Request", command.kind()), schema);
        }
    }
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
