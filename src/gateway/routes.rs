//! Every command route, one handler each, following
//! [`requests::ALL_COMMAND_ROUTES`](super::requests::ALL_COMMAND_ROUTES). Handlers
//! authorise first, then parse the path, then hand over to
//! [`Incoming::run`] (or `run_registration` when the duplicate check needs
//! the registry). Inputs kept elsewhere in the log (published policies,
//! rep profiles, blobs, consent) are read before the command is built.

use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{post, put};
use axum::Router;
use chrono::NaiveDate;
use salesledger_commands::CommandService;
use salesledger_domain::account::Account;
use salesledger_domain::asset::ProcessAsset;
use salesledger_domain::config::Config;
use salesledger_domain::contract::Contract;
use salesledger_domain::customer::Customer;
use salesledger_domain::lead::Lead;
use salesledger_domain::nurture::NurturePack;
use salesledger_domain::proposal::Proposal;
use salesledger_domain::rep::Rep;
use salesledger_domain::stream::{
    account_stream_id, asset_stream_id, contract_stream_id, customer_stream_id, lead_stream_id,
    nurture_stream_id, proposal_stream_id, rep_stream_id, visit_stream_id,
    CONFIG_EXTRACTION_STREAM, CONFIG_HEALTH_STREAM, CONFIG_NURTURE_STREAM,
    CONFIG_POOL_POLICY_STREAM, CONFIG_ROUTING_STREAM,
};
use salesledger_domain::value::{
    AssetId, CallbackTaskId, ContractId, CustomerId, LeadId, NurturePackId, ProposalId, QuoteId,
    RepId, RescuePlanId, TodoId, VisitId,
};
use salesledger_domain::visit::Visit;
use salesledger_store::Hash32;
use uuid::Uuid;

use super::auth::{Caller, Subject};
use super::commands::{ensure_may_act, ensure_self, Created, Incoming};
use super::problem::ApiError;
use super::requests::*;
use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/reps", post(register_rep))
        .route(
            "/v1/reps/{rep_id}/capabilities",
            put(change_rep_capabilities),
        )
        .route("/v1/reps/{rep_id}/deactivation", post(deactivate_rep))
        .route("/v1/customers", post(register_customer))
        .route(
            "/v1/customers/{customer_id}/attributes",
            put(set_customer_attributes),
        )
        .route("/v1/customers/{customer_id}/claim", post(claim_customer))
        .route(
            "/v1/customers/{customer_id}/transfer",
            post(transfer_customer),
        )
        .route(
            "/v1/customers/{customer_id}/release",
            post(release_customer),
        )
        .route("/v1/customers/{customer_id}/recall", post(recall_customer))
        .route(
            "/v1/customers/{customer_id}/follow-ups",
            post(record_follow_up),
        )
        .route("/v1/days/{date}/close", post(close_day))
        .route(
            "/v1/customers/{customer_id}/tracking-consent",
            post(record_tracking_consent),
        )
        .route(
            "/v1/customers/{customer_id}/tracking-consent/withdrawal",
            post(withdraw_tracking_consent),
        )
        .route(
            "/v1/customers/{customer_id}/stance",
            post(record_customer_stance),
        )
        .route("/v1/leads", post(register_lead))
        .route(
            "/v1/leads/{lead_id}/budget-confirmation",
            post(confirm_lead_budget),
        )
        .route(
            "/v1/leads/{lead_id}/technical-fit-confirmation",
            post(confirm_lead_technical_fit),
        )
        .route(
            "/v1/leads/{lead_id}/routing-proposals",
            post(propose_routing),
        )
        .route(
            "/v1/leads/{lead_id}/routing-confirmation",
            post(confirm_routing),
        )
        .route("/v1/visits", post(log_visit))
        .route(
            "/v1/visits/{visit_id}/extraction-confirmation",
            post(confirm_visit_extraction),
        )
        .route(
            "/v1/visits/{visit_id}/todos/{todo_id}/completion",
            post(complete_todo),
        )
        .route("/v1/nurture-packs", post(start_nurture_pack))
        .route(
            "/v1/nurture-packs/{pack_id}/sent-steps",
            post(record_nurture_step_sent),
        )
        .route(
            "/v1/nurture-packs/{pack_id}/responses",
            post(record_nurture_response),
        )
        .route(
            "/v1/nurture-packs/{pack_id}/close",
            post(close_nurture_pack),
        )
        .route("/v1/proposals", post(create_proposal))
        .route("/v1/proposals/{proposal_id}/pdf", post(record_proposal_pdf))
        .route(
            "/v1/proposals/{proposal_id}/email-receipts",
            post(record_email_delivery_receipt),
        )
        .route(
            "/v1/proposals/{proposal_id}/link-opens",
            post(record_link_opened),
        )
        .route("/v1/config/routing-rules", post(publish_routing_rules))
        .route("/v1/config/pool-policy", post(publish_pool_policy))
        .route(
            "/v1/config/extraction-dictionary",
            post(publish_extraction_dictionary),
        )
        .route(
            "/v1/config/nurture-template",
            post(publish_nurture_template),
        )
        .route(
            "/v1/customers/{customer_id}/usage-reports",
            post(report_usage),
        )
        .route(
            "/v1/customers/{customer_id}/support-tickets",
            post(record_support_ticket),
        )
        .route("/v1/customers/{customer_id}/renewal", put(set_renewal))
        .route(
            "/v1/customers/{customer_id}/success-references",
            post(record_success_reference),
        )
        .route(
            "/v1/customers/{customer_id}/keyword-searches",
            post(record_keyword_searches),
        )
        .route(
            "/v1/customers/{customer_id}/callbacks/{task_id}/completion",
            post(complete_callback),
        )
        .route(
            "/v1/customers/{customer_id}/rescue-plans",
            post(submit_rescue_plan),
        )
        .route(
            "/v1/customers/{customer_id}/rescue-plans/{plan_id}/approval",
            post(approve_rescue_plan),
        )
        .route(
            "/v1/customers/{customer_id}/renewal-quotes",
            post(quote_renewal),
        )
        .route("/v1/contracts", post(sign_contract))
        .route("/v1/contracts/{contract_id}/payments", post(record_payment))
        .route("/v1/process-assets", post(record_process_asset))
        .route("/v1/leads/{lead_id}/stage", post(advance_lead_stage))
        .route("/v1/config/health-policy", post(publish_health_policy))
        .merge(super::ingest::routes())
}

type IdPath = Result<Path<Uuid>, PathRejection>;

/// Authorises `kind`, then parses a one-id path.
fn authorised_id(
    incoming: &Incoming,
    kind: salesledger_domain::CommandKind,
    path: IdPath,
) -> Result<Uuid, ApiError> {
    incoming.authorise(kind)?;
    Ok(path?.0)
}

/// 409 for configuration nothing was published for yet, naming the
/// route that publishes it.
fn not_published(what: &str, code: &'static str, route: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        code,
        format!("no {what} has been published yet; publish one with POST {route}"),
    )
    .with("publish_with", serde_json::json!(format!("POST {route}")))
}

/// Handlers that need nothing but the path's id and the body (`plain`), or
/// also the caller's actor id (`actor`): authorise, parse the id, run.
/// `$subject` names what the id is, for the ownership check.
macro_rules! id_command {
    ($handler:ident, $aggregate:ty, $request:ty, $stream_of:expr, $subject:expr, plain) => {
        id_command!(@handler $handler, $aggregate, $request, $stream_of, $subject, |request: $request, _caller: &Caller| {
            Ok(request.into_command()?)
        });
    };
    ($handler:ident, $aggregate:ty, $request:ty, $stream_of:expr, $subject:expr, actor) => {
        id_command!(@handler $handler, $aggregate, $request, $stream_of, $subject, |request: $request, caller: &Caller| {
            Ok(request.into_command(&caller.principal.actor)?)
        });
    };
    (@handler $handler:ident, $aggregate:ty, $request:ty, $stream_of:expr, $subject:expr, $build:expr) => {
        async fn $handler(path: IdPath, incoming: Incoming) -> Result<Response, ApiError> {
            let id = authorised_id(&incoming, <$request>::KIND, path)?;
            let stream_of: fn(Uuid) -> String = $stream_of;
            let subject_of: fn(Uuid) -> Subject = $subject;
            incoming
                .on(subject_of(id))
                .run::<$aggregate, $request>(<$request>::KIND, stream_of(id), Created::No, $build)
                .await
        }
    };
}

/// Publishing a configuration: the caller is recorded as the publisher.
macro_rules! config_command {
    ($handler:ident, $request:ty, $stream_id:expr) => {
        async fn $handler(incoming: Incoming) -> Result<Response, ApiError> {
            incoming.authorise(<$request>::KIND)?;
            incoming
                .run::<Config, $request>(
                    <$request>::KIND,
                    $stream_id.to_owned(),
                    Created::No,
                    |request, caller| Ok(request.into_command(&caller.principal.actor)?),
                )
                .await
        }
    };
}

// ---- commands that need only the path and the body ------------------------

id_command!(
    change_rep_capabilities,
    Rep,
    ChangeRepCapabilitiesRequest,
    |id| rep_stream_id(RepId::from_uuid(id)),
    |_| Subject::None,
    plain
);
id_command!(
    deactivate_rep,
    Rep,
    DeactivateRepRequest,
    |id| rep_stream_id(RepId::from_uuid(id)),
    |_| Subject::None,
    plain
);
id_command!(
    set_customer_attributes,
    Customer,
    SetCustomerAttributesRequest,
    |id| customer_stream_id(CustomerId::from_uuid(id)),
    |id| Subject::Customer(CustomerId::from_uuid(id)),
    plain
);
id_command!(
    record_tracking_consent,
    Customer,
    RecordTrackingConsentRequest,
    |id| customer_stream_id(CustomerId::from_uuid(id)),
    |id| Subject::Customer(CustomerId::from_uuid(id)),
    plain
);
id_command!(
    withdraw_tracking_consent,
    Customer,
    WithdrawTrackingConsentRequest,
    |id| customer_stream_id(CustomerId::from_uuid(id)),
    |id| Subject::Customer(CustomerId::from_uuid(id)),
    plain
);
id_command!(
    record_nurture_step_sent,
    NurturePack,
    RecordNurtureStepSentRequest,
    |id| nurture_stream_id(NurturePackId::from_uuid(id)),
    |id| Subject::NurturePack(NurturePackId::from_uuid(id)),
    plain
);
id_command!(
    record_nurture_response,
    NurturePack,
    RecordNurtureResponseRequest,
    |id| nurture_stream_id(NurturePackId::from_uuid(id)),
    |id| Subject::NurturePack(NurturePackId::from_uuid(id)),
    plain
);
id_command!(
    close_nurture_pack,
    NurturePack,
    CloseNurturePackRequest,
    |id| nurture_stream_id(NurturePackId::from_uuid(id)),
    |id| Subject::NurturePack(NurturePackId::from_uuid(id)),
    plain
);
id_command!(
    record_email_delivery_receipt,
    Proposal,
    RecordEmailDeliveryReceiptRequest,
    |id| proposal_stream_id(ProposalId::from_uuid(id)),
    |id| Subject::Proposal(ProposalId::from_uuid(id)),
    plain
);
id_command!(
    recall_customer,
    Customer,
    RecallCustomerToPoolRequest,
    |id| customer_stream_id(CustomerId::from_uuid(id)),
    |id| Subject::Customer(CustomerId::from_uuid(id)),
    actor
);
id_command!(
    record_customer_stance,
    Customer,
    RecordCustomerStanceRequest,
    |id| customer_stream_id(CustomerId::from_uuid(id)),
    |id| Subject::Customer(CustomerId::from_uuid(id)),
    actor
);
id_command!(
    confirm_lead_budget,
    Lead,
    ConfirmLeadBudgetRequest,
    |id| lead_stream_id(LeadId::from_uuid(id)),
    |_| Subject::None,
    actor
);
id_command!(
    confirm_lead_technical_fit,
    Lead,
    ConfirmLeadTechnicalFitRequest,
    |id| lead_stream_id(LeadId::from_uuid(id)),
    |_| Subject::None,
    actor
);
id_command!(
    confirm_routing,
    Lead,
    ConfirmRoutingRequest,
    |id| lead_stream_id(LeadId::from_uuid(id)),
    |_| Subject::None,
    actor
);
id_command!(
    advance_lead_stage,
    Lead,
    AdvanceLeadStageRequest,
    |id| lead_stream_id(LeadId::from_uuid(id)),
    |_| Subject::None,
    actor
);
id_command!(
    record_payment,
    Contract,
    RecordPaymentRequest,
    |id| contract_stream_id(ContractId::from_uuid(id)),
    |id| Subject::Contract(ContractId::from_uuid(id)),
    plain
);

// ---- configuration ----------------------------------------------------------

config_command!(
    publish_routing_rules,
    PublishRoutingRulesRequest,
    CONFIG_ROUTING_STREAM
);
config_command!(
    publish_pool_policy,
    PublishPoolPolicyRequest,
    CONFIG_POOL_POLICY_STREAM
);
config_command!(
    publish_extraction_dictionary,
    PublishExtractionDictionaryRequest,
    CONFIG_EXTRACTION_STREAM
);
config_command!(
    publish_nurture_template,
    PublishNurtureTemplateRequest,
    CONFIG_NURTURE_STREAM
);
config_command!(
    publish_health_policy,
    PublishHealthPolicyRequest,
    CONFIG_HEALTH_STREAM
);

// ---- reps ----------------------------------------------------------------

async fn register_rep(incoming: Incoming) -> Result<Response, ApiError> {
    incoming.authorise(RegisterRepRequest::KIND)?;
    incoming
        .run_creation::<Rep, RegisterRepRequest>(
            RegisterRepRequest::KIND,
            |request| request.requested_id(),
            |id| rep_stream_id(RepId::from_uuid(id)),
            "/v1/reps/",
            |request, _caller, id| Ok(request.into_command(RepId::from_uuid(id))?),
        )
        .await
}

// ---- customers -------------------------------------------------------------

async fn register_customer(incoming: Incoming) -> Result<Response, ApiError> {
    incoming.authorise(RegisterCustomerRequest::KIND)?;
    incoming
        .run_registration::<Customer, RegisterCustomerRequest>(
            RegisterCustomerRequest::KIND,
            |request| request.requested_id(),
            |id| customer_stream_id(CustomerId::from_uuid(id)),
            "/v1/customers/",
            |request, _caller, registry, id| {
                Ok(
                    request.into_command(CustomerId::from_uuid(id), |candidate| {
                        registry.duplicates().clear(candidate)
                    })?,
                )
            },
        )
        .await
}

async fn claim_customer(path: IdPath, incoming: Incoming) -> Result<Response, ApiError> {
    let customer_id = authorised_id(&incoming, ClaimCustomerRequest::KIND, path)?;
    let policy = incoming.state.service.pool_policy().await?;
    incoming
        .on(Subject::Customer(CustomerId::from_uuid(customer_id)))
        .run::<Customer, ClaimCustomerRequest>(
            ClaimCustomerRequest::KIND,
            customer_stream_id(CustomerId::from_uuid(customer_id)),
            Created::No,
            |request, caller| {
                ensure_self(caller, RepId::from_uuid(request.rep_id))?;
                Ok(request.into_command(policy)?)
            },
        )
        .await
}

async fn transfer_customer(path: IdPath, incoming: Incoming) -> Result<Response, ApiError> {
    let customer_id = authorised_id(&incoming, TransferCustomerRequest::KIND, path)?;
    let policy = incoming.state.service.pool_policy().await?;
    incoming
        .on(Subject::Customer(CustomerId::from_uuid(customer_id)))
        .run::<Customer, TransferCustomerRequest>(
            TransferCustomerRequest::KIND,
            customer_stream_id(CustomerId::from_uuid(customer_id)),
            Created::No,
            |request, caller| Ok(request.into_command(&caller.principal.actor, policy)?),
        )
        .await
}

async fn release_customer(path: IdPath, incoming: Incoming) -> Result<Response, ApiError> {
    let customer_id = authorised_id(&incoming, ReleaseCustomerRequest::KIND, path)?;
    incoming
        .on(Subject::Customer(CustomerId::from_uuid(customer_id)))
        .run::<Customer, ReleaseCustomerRequest>(
            ReleaseCustomerRequest::KIND,
            customer_stream_id(CustomerId::from_uuid(customer_id)),
            Created::No,
            |request, caller| {
                ensure_self(caller, RepId::from_uuid(request.rep_id))?;
                Ok(request.into_command()?)
            },
        )
        .await
}

async fn record_follow_up(path: IdPath, incoming: Incoming) -> Result<Response, ApiError> {
    let customer_id = authorised_id(&incoming, RecordFollowUpRequest::KIND, path)?;
    let policy = incoming.state.service.pool_policy().await?;
    incoming
        .on(Subject::Customer(CustomerId::from_uuid(customer_id)))
        .run::<Customer, RecordFollowUpRequest>(
            RecordFollowUpRequest::KIND,
            customer_stream_id(CustomerId::from_uuid(customer_id)),
            Created::No,
            |request, caller| {
                ensure_self(caller, RepId::from_uuid(request.rep_id))?;
                Ok(request.into_command(policy)?)
            },
        )
        .await
}

async fn close_day(
    path: Result<Path<NaiveDate>, PathRejection>,
    incoming: Incoming,
) -> Result<Response, ApiError> {
    incoming.authorise(CloseDayRequest::KIND)?;
    let Path(day) = path?;
    incoming.close_day(day).await
}

// ---- leads ----------------------------------------------------------------

async fn register_lead(incoming: Incoming) -> Result<Response, ApiError> {
    incoming.authorise(RegisterLeadRequest::KIND)?;
    incoming
        .run_registration::<Lead, RegisterLeadRequest>(
            RegisterLeadRequest::KIND,
            |request| request.requested_id(),
            |id| lead_stream_id(LeadId::from_uuid(id)),
            "/v1/leads/",
            |request, caller, registry, id| {
                Ok(request.into_command(
                    LeadId::from_uuid(id),
                    &caller.principal.actor,
                    |candidate| registry.duplicates().clear(candidate),
                )?)
            },
        )
        .await
}

async fn propose_routing(path: IdPath, incoming: Incoming) -> Result<Response, ApiError> {
    let lead_id = authorised_id(&incoming, ProposeRoutingRequest::KIND, path)?;
    let (rule_set, reps) = salesledger_commands::builders::routing_inputs(&incoming.state.service)
        .await?
        .ok_or_else(|| {
            not_published(
                "routing rule set",
                "routing_rules_not_published",
                "/v1/config/routing-rules",
            )
        })?;
    incoming
        .run::<Lead, ProposeRoutingRequest>(
            ProposeRoutingRequest::KIND,
            lead_stream_id(LeadId::from_uuid(lead_id)),
            Created::No,
            |request, _caller| Ok(request.into_command(rule_set, reps)?),
        )
        .await
}

// ---- visits ---------------------------------------------------------------

async fn log_visit(incoming: Incoming) -> Result<Response, ApiError> {
    incoming.authorise(LogVisitRequest::KIND)?;
    let dictionary =
        salesledger_commands::builders::extraction_dictionary(&incoming.state.service).await?;
    let state = incoming.state.clone();
    incoming
        .run_creation_async::<Visit, LogVisitRequest, _>(
            LogVisitRequest::KIND,
            |request| request.requested_id(),
            |id| visit_stream_id(VisitId::from_uuid(id)),
            "/v1/visits/",
            |request, caller, id| async move {
                ensure_self(&caller, RepId::from_uuid(request.rep_id))?;
                ensure_may_act(
                    &state,
                    &caller,
                    LogVisitRequest::KIND,
                    customer_in(request.customer_id),
                )
                .await?;
                let dictionary = dictionary.ok_or_else(|| {
                    not_published(
                        "extraction dictionary",
                        "extraction_dictionary_not_published",
                        "/v1/config/extraction-dictionary",
                    )
                })?;
                Ok(request.into_command(VisitId::from_uuid(id), dictionary)?)
            },
        )
        .await
}

async fn confirm_visit_extraction(path: IdPath, incoming: Incoming) -> Result<Response, ApiError> {
    let visit_id = authorised_id(&incoming, ConfirmVisitExtractionRequest::KIND, path)?;
    incoming
        .on(Subject::Visit(VisitId::from_uuid(visit_id)))
        .run::<Visit, ConfirmVisitExtractionRequest>(
            ConfirmVisitExtractionRequest::KIND,
            visit_stream_id(VisitId::from_uuid(visit_id)),
            Created::No,
            |request, caller| {
                ensure_self(caller, RepId::from_uuid(request.rep_id))?;
                Ok(request.into_command(|| TodoId::from_uuid(Uuid::now_v7()))?)
            },
        )
        .await
}

async fn complete_todo(
    path: Result<Path<(Uuid, Uuid)>, PathRejection>,
    incoming: Incoming,
) -> Result<Response, ApiError> {
    incoming.authorise(CompleteTodoRequest::KIND)?;
    let Path((visit_id, todo_id)) = path?;
    incoming
        .on(Subject::Visit(VisitId::from_uuid(visit_id)))
        .run::<Visit, CompleteTodoRequest>(
            CompleteTodoRequest::KIND,
            visit_stream_id(VisitId::from_uuid(visit_id)),
            Created::No,
            |request, caller| {
                ensure_self(caller, RepId::from_uuid(request.rep_id))?;
                Ok(request.into_command(TodoId::from_uuid(todo_id))?)
            },
        )
        .await
}

// ---- nurture packs --------------------------------------------------------

async fn start_nurture_pack(incoming: Incoming) -> Result<Response, ApiError> {
    incoming.authorise(StartNurturePackRequest::KIND)?;
    let template =
        salesledger_commands::builders::nurture_template(&incoming.state.service).await?;
    let state = incoming.state.clone();
    incoming
        .run_creation_async::<NurturePack, StartNurturePackRequest, _>(
            StartNurturePackRequest::KIND,
            |request| request.requested_id(),
            |id| nurture_stream_id(NurturePackId::from_uuid(id)),
            "/v1/nurture-packs/",
            |request, caller, id| async move {
                ensure_may_act(
                    &state,
                    &caller,
                    StartNurturePackRequest::KIND,
                    customer_in(request.customer_id),
                )
                .await?;
                let template = template.ok_or_else(|| {
                    not_published(
                        "nurture template",
                        "nurture_template_not_published",
                        "/v1/config/nurture-template",
                    )
                })?;
                Ok(request.into_command(NurturePackId::from_uuid(id), template)?)
            },
        )
        .await
}

// ---- proposals ------------------------------------------------------------

async fn create_proposal(incoming: Incoming) -> Result<Response, ApiError> {
    incoming.authorise(CreateProposalRequest::KIND)?;
    let state = incoming.state.clone();
    incoming
        .run_creation_async::<Proposal, CreateProposalRequest, _>(
            CreateProposalRequest::KIND,
            |request| request.requested_id(),
            |id| proposal_stream_id(ProposalId::from_uuid(id)),
            "/v1/proposals/",
            |request, caller, id| async move {
                ensure_may_act(
                    &state,
                    &caller,
                    CreateProposalRequest::KIND,
                    customer_in(request.customer_id),
                )
                .await?;
                Ok(request.into_command(ProposalId::from_uuid(id))?)
            },
        )
        .await
}

async fn record_proposal_pdf(path: IdPath, incoming: Incoming) -> Result<Response, ApiError> {
    let proposal_id = authorised_id(&incoming, RecordProposalPdfRequest::KIND, path)?;
    let blobs = incoming.state.blobs.clone();
    incoming
        .on(Subject::Proposal(ProposalId::from_uuid(proposal_id)))
        .run_async::<Proposal, RecordProposalPdfRequest, _>(
            RecordProposalPdfRequest::KIND,
            proposal_stream_id(ProposalId::from_uuid(proposal_id)),
            |request, _caller| async move {
                // The PDF must be in the blob store; its size comes from
                // there, never from the body.
                let sha256 = request.blob_sha256()?;
                let digest = Hash32::parse_hex(sha256.as_str()).ok_or_else(|| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_sha256",
                        "bad digest",
                    )
                })?;
                let content = blobs.get(&digest).await.map_err(|error| match error {
                    salesledger_store::StoreError::BlobNotFound(_) => ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "blob_not_uploaded",
                        format!("no uploaded file has sha256 {digest}; POST it to /v1/blobs first"),
                    ),
                    other => other.into(),
                })?;
                Ok(request.into_command(content.len() as u64)?)
            },
        )
        .await
}

async fn record_link_opened(path: IdPath, incoming: Incoming) -> Result<Response, ApiError> {
    let proposal_id = authorised_id(&incoming, RecordLinkOpenedRequest::KIND, path)?;
    let service = incoming.state.service.clone();
    let stream_id = proposal_stream_id(ProposalId::from_uuid(proposal_id));
    let proposal_stream = stream_id.clone();
    incoming
        .on(Subject::Proposal(ProposalId::from_uuid(proposal_id)))
        .run_async::<Proposal, RecordLinkOpenedRequest, _>(
            RecordLinkOpenedRequest::KIND,
            stream_id,
            |request, _caller| async move {
                // Consent is the customer's fact: read it from the customer
                // the proposal belongs to.
                let consent_recorded_at =
                    salesledger_commands::builders::proposal_tracking_consent(
                        &service,
                        &proposal_stream,
                    )
                    .await?;
                Ok(request.into_command(consent_recorded_at)?)
            },
        )
        .await
}

// ---- accounts (customer-success inputs and the health process) ------------

/// Answers `404 not_found` unless the customer is registered: an account
/// (stream `account-<customer id>`) only exists for a known customer.
pub(super) async fn ensure_customer(
    service: &CommandService,
    customer_id: CustomerId,
) -> Result<(), ApiError> {
    let stream_id = customer_stream_id(customer_id);
    match service.store().stream_version(&stream_id).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::not_found(format!("no customer at {stream_id}"))),
    }
}

/// A customer named in a body must be registered: `422 unknown_customer`
/// at `customer_id` otherwise.
pub(super) async fn ensure_customer_referenced(
    service: &CommandService,
    customer_id: CustomerId,
) -> Result<(), ApiError> {
    let stream_id = customer_stream_id(customer_id);
    match service.store().stream_version(&stream_id).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_customer",
            format!("no customer at {stream_id}"),
        )
        .with("path", serde_json::json!("customer_id"))),
    }
}

/// Account commands addressed by the customer in the path: authorise,
/// parse the id, check the customer exists, then run on its account
/// stream. `$build` turns the request into the command, given the customer
/// id and the caller.
macro_rules! account_command {
    ($handler:ident, $request:ty, |$req:ident, $customer:ident, $caller:ident| $build:expr) => {
        async fn $handler(path: IdPath, incoming: Incoming) -> Result<Response, ApiError> {
            let $customer =
                CustomerId::from_uuid(authorised_id(&incoming, <$request>::KIND, path)?);
            ensure_customer(&incoming.state.service, $customer).await?;
            incoming
                .on(Subject::Customer($customer))
                .run::<Account, $request>(
                    <$request>::KIND,
                    account_stream_id($customer),
                    Created::No,
                    |$req: $request, $caller: &Caller| Ok($build?),
                )
                .await
        }
    };
}

account_command!(
    report_usage,
    ReportUsageRequest,
    |request, customer_id, _caller| request.into_command(customer_id)
);
account_command!(
    record_support_ticket,
    RecordSupportTicketRequest,
    |request, customer_id, _caller| request.into_command(customer_id)
);
account_command!(
    set_renewal,
    SetRenewalRequest,
    |request, customer_id, _caller| request.into_command(customer_id)
);
account_command!(
    record_success_reference,
    RecordSuccessReferenceRequest,
    |request, customer_id, _caller| request.into_command(customer_id)
);
account_command!(
    record_keyword_searches,
    RecordKeywordSearchesRequest,
    |request, customer_id, _caller| request.into_command(customer_id)
);
account_command!(
    submit_rescue_plan,
    SubmitRescuePlanRequest,
    |request, customer_id, caller| {
        let plan_id = RescuePlanId::from_uuid(request.requested_id().unwrap_or_else(Uuid::now_v7));
        request.into_command(customer_id, plan_id, &caller.principal.actor)
    }
);
account_command!(
    quote_renewal,
    QuoteRenewalRequest,
    |request, customer_id, caller| {
        let quote_id = QuoteId::from_uuid(request.requested_id().unwrap_or_else(Uuid::now_v7));
        request.into_command(customer_id, quote_id, &caller.principal.actor)
    }
);

type TwoIdPath = Result<Path<(Uuid, Uuid)>, PathRejection>;

async fn complete_callback(path: TwoIdPath, incoming: Incoming) -> Result<Response, ApiError> {
    incoming.authorise(CompleteCallbackRequest::KIND)?;
    let Path((customer_id, task_id)) = path?;
    let customer_id = CustomerId::from_uuid(customer_id);
    ensure_customer(&incoming.state.service, customer_id).await?;
    incoming
        .on(Subject::Customer(customer_id))
        .run::<Account, CompleteCallbackRequest>(
            CompleteCallbackRequest::KIND,
            account_stream_id(customer_id),
            Created::No,
            |request, caller| {
                Ok(request.into_command(
                    customer_id,
                    CallbackTaskId::from_uuid(task_id),
                    &caller.principal.actor,
                )?)
            },
        )
        .await
}

async fn approve_rescue_plan(path: TwoIdPath, incoming: Incoming) -> Result<Response, ApiError> {
    incoming.authorise(ApproveRescuePlanRequest::KIND)?;
    let Path((customer_id, plan_id)) = path?;
    let customer_id = CustomerId::from_uuid(customer_id);
    ensure_customer(&incoming.state.service, customer_id).await?;
    incoming
        .on(Subject::Customer(customer_id))
        .run::<Account, ApproveRescuePlanRequest>(
            ApproveRescuePlanRequest::KIND,
            account_stream_id(customer_id),
            Created::No,
            |request, caller| {
                Ok(request.into_command(
                    customer_id,
                    RescuePlanId::from_uuid(plan_id),
                    &caller.principal.actor,
                )?)
            },
        )
        .await
}

// ---- contracts and process assets ------------------------------------------

/// A body that names the acting rep (a rep may only act as itself) and a
/// customer that must exist (and, for a rep, be theirs): contracts and
/// process assets.
async fn ensure_own_rep_and_customer(
    state: &AppState,
    caller: &Caller,
    kind: salesledger_domain::CommandKind,
    rep_id: Uuid,
    customer_id: Uuid,
) -> Result<(), ApiError> {
    ensure_self(caller, RepId::from_uuid(rep_id))?;
    ensure_may_act(state, caller, kind, customer_in(customer_id)).await?;
    ensure_customer_referenced(&state.service, CustomerId::from_uuid(customer_id)).await
}

/// The subject of a command whose customer is named in its body.
fn customer_in(customer_id: Uuid) -> Subject {
    Subject::Customer(CustomerId::from_uuid(customer_id))
}

async fn sign_contract(incoming: Incoming) -> Result<Response, ApiError> {
    incoming.authorise(SignContractRequest::KIND)?;
    let state = incoming.state.clone();
    incoming
        .run_creation_async::<Contract, SignContractRequest, _>(
            SignContractRequest::KIND,
            |request| request.requested_id(),
            |id| contract_stream_id(ContractId::from_uuid(id)),
            "/v1/contracts/",
            |request, caller, id| async move {
                ensure_own_rep_and_customer(
                    &state,
                    &caller,
                    SignContractRequest::KIND,
                    request.rep_id,
                    request.customer_id,
                )
                .await?;
                Ok(request.into_command(ContractId::from_uuid(id))?)
            },
        )
        .await
}

async fn record_process_asset(incoming: Incoming) -> Result<Response, ApiError> {
    incoming.authorise(RecordProcessAssetRequest::KIND)?;
    let state = incoming.state.clone();
    incoming
        .run_creation_async::<ProcessAsset, RecordProcessAssetRequest, _>(
            RecordProcessAssetRequest::KIND,
            |request| request.requested_id(),
            |id| asset_stream_id(AssetId::from_uuid(id)),
            "/v1/process-assets/",
            |request, caller, id| async move {
                ensure_own_rep_and_customer(
                    &state,
                    &caller,
                    RecordProcessAssetRequest::KIND,
                    request.rep_id,
                    request.customer_id,
                )
                .await?;
                Ok(request.into_command(AssetId::from_uuid(id))?)
            },
        )
        .await
}
