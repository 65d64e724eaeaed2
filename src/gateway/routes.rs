//! The one list of JSON command routes ([`ALL_COMMAND_ROUTES`]): every
//! command route is one entry of the `command_routes!` list below (method,
//! path, what it answers, the id a creation may ask for, the path's
//! parameters and the ownership check's subject, what it reads before the
//! body, and how the decoded request becomes a command on its stream).
//! The list writes each request type's [`CommandRoute`] impl and the
//! [`ALL_COMMAND_ROUTES`] table; the router, the OpenAPI document's
//! command operations and request schemas, and the route tables the HTTP
//! tests iterate (auth, access, content type, fuzz, OpenAPI) are all
//! generated from that table, and the one generic [`handle`] serves every
//! entry. The request types themselves (JSON shapes and their conversion
//! to domain commands) are `crate::requests`, which knows no HTTP.
//! Adding a command: its request type there, one entry here.
//!
//! Why not utoipa-axum's `OpenApiRouter` and `routes!`: they register a
//! handler with the operation of its `#[utoipa::path]` attribute, one
//! annotated function per route. Here there is one generic handler and the
//! operation is generated from the same [`RouteEntry`] as the route (method,
//! path, kind, roles allowed, the request schema, 200 or 201), so a
//! per-route attribute would be a second place to write each route.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::routing::{on, MethodFilter};
use axum::Router;
use chrono::NaiveDate;
use salesledger_commands::builders;
use salesledger_domain::account::{Account, AccountCommand};
use salesledger_domain::asset::{ProcessAsset, ProcessAssetCommand};
use salesledger_domain::config::Config;
use salesledger_domain::contract::{Contract, ContractCommand};
use salesledger_domain::customer::{Customer, CustomerCommand, PoolPolicy};
use salesledger_domain::extraction::ExtractionDictionary;
use salesledger_domain::lead::{Lead, LeadCommand};
use salesledger_domain::nurture::{NurtureCommand, NurturePack, NurtureTemplate};
use salesledger_domain::proposal::{Proposal, ProposalCommand};
use salesledger_domain::rep::{Rep, RepCommand, RepProfile};
use salesledger_domain::retail::{RetailCommand, RetailEntity, RetailPolicy};
use salesledger_domain::routing::RoutingRuleSet;
use salesledger_domain::stream::{
    account_stream_id, asset_stream_id, contract_stream_id, customer_stream_id, lead_stream_id,
    nurture_stream_id, proposal_stream_id, rep_stream_id, visit_stream_id,
    CONFIG_EXTRACTION_STREAM, CONFIG_HEALTH_STREAM, CONFIG_NURTURE_STREAM,
    CONFIG_POOL_POLICY_STREAM, CONFIG_RETAIL_STREAM, CONFIG_ROUTING_STREAM,
};
use salesledger_domain::value::{
    AssetId, CallbackTaskId, ContractId, CustomerId, LeadId, NurturePackId, PromotionId,
    ProposalId, QuoteId, RepId, RescuePlanId, Sha256Hex, TodoId, VisitId,
};
use salesledger_domain::visit::{Visit, VisitCommand};
use salesledger_domain::CommandKind;
use salesledger_store::{Hash32, StoreError};
use utoipa::openapi::{RefOr, Schema};
use uuid::Uuid;

use super::auth::Subject;
use super::commands::{
    created_at, ensure_customer, ensure_own_rep_and_customer, handle, not_published, Answer, Built,
    CommandRoute, PathId, Target,
};
use super::problem::ApiError;
use super::AppState;
use crate::requests::*;

/// One command route, from its request type's [`CommandRoute`] impl.
#[derive(Clone, Copy)]
pub struct RouteEntry {
    /// `POST` or `PUT`.
    pub method: &'static str,
    /// The path template (`{customer_id}` and so on).
    pub path: &'static str,
    pub kind: CommandKind,
    /// Whether it answers `201 Created`.
    pub creates: bool,
    /// Serves the route.
    pub route: fn(Router<AppState>) -> Router<AppState>,
    /// The request type's schema name and its schemas (with the ones it
    /// refers to).
    pub schema_name: fn() -> Cow<'static, str>,
    pub schemas: fn(&mut Vec<(String, RefOr<Schema>)>),
}

impl RouteEntry {
    pub const fn of<R: CommandRoute>() -> RouteEntry {
        RouteEntry {
            method: R::METHOD,
            path: R::PATH,
            kind: R::KIND,
            creates: matches!(R::ANSWER, Answer::Created { .. }),
            route: route::<R>,
            schema_name: <R as utoipa::ToSchema>::name,
            schemas: schemas::<R>,
        }
    }
}

fn route<R: CommandRoute>(router: Router<AppState>) -> Router<AppState> {
    let method = if R::METHOD == "PUT" {
        MethodFilter::PUT
    } else {
        MethodFilter::POST
    };
    router.route(R::PATH, on(method, handle::<R>))
}

fn schemas<R: CommandRoute>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    schemas.push((R::name().into_owned(), R::schema()));
    <R as utoipa::ToSchema>::schemas(schemas);
}

/// Writes every request type's [`CommandRoute`] impl and
/// [`ALL_COMMAND_ROUTES`] from one list of entries:
///
/// ```text
/// Request: Aggregate, CommandKind variant, METHOD "path" [, answer EXPR] [, id FIELD];
///     path PATH_TYPE [, subject Variant(IdType)] [, prepare step -> Prepared];
///     |request, at| how the request becomes a `Built` (may `.await`);
/// ```
///
/// `answer`: what it answers (`Answer::Outcome` when absent); `id`: the
/// body's field holding the id a creation asks for
/// ([`CommandRoute::requested_id`]); `subject`: the ownership check's
/// subject, `Subject::Variant(IdType::from_uuid(first path id))` (none when
/// absent); `prepare`: an async step `(state, path)` run before the body is
/// read ([`customer_exists`], [`pool_policy`], ...; nothing when absent);
/// `at`: the [`Target`].
macro_rules! command_routes {
    (@prepare) => {
        type Prepared = ();
        async fn prepare(_state: &AppState, _path: &Self::Path) -> Result<(), ApiError> {
            Ok(())
        }
    };
    (@prepare $prepare:ident -> $prepared:ty) => {
        type Prepared = $prepared;
        async fn prepare(state: &AppState, path: &Self::Path) -> Result<$prepared, ApiError> {
            $prepare(state, path).await
        }
    };
    ($(
        $request:ident: $aggregate:ident, $kind:ident, $method:ident $path:literal
        $(, answer $answer:expr)? $(, id $id_field:ident)?;
        path $path_ty:ty $(, subject $subject:ident($subject_id:ident))?
        $(, prepare $prepare:ident -> $prepared:ty)?;
        |$this:ident, $at:ident| $build:expr;
    )+) => {
        $(
            impl CommandRoute for $request {
                type Aggregate = $aggregate;
                type Path = $path_ty;
                const KIND: CommandKind = CommandKind::$kind;
                const METHOD: &'static str = stringify!($method);
                const PATH: &'static str = $path;
                $(const ANSWER: Answer = $answer;)?
                command_routes!(@prepare $($prepare -> $prepared)?);
                $(
                    fn subject(path: &$path_ty) -> Subject {
                        Subject::$subject($subject_id::from_uuid(PathId::first(path)))
                    }
                )?
                $(
                    fn requested_id(&self) -> Option<Uuid> {
                        self.$id_field
                    }
                )?
                async fn build(self, $at: Target<'_, Self>) -> Result<Built<$aggregate>, ApiError> {
                    let $this = self;
                    $build
                }
            }
        )+

        /// Every JSON command route, one per command kind (POS sales arrive
        /// as NDJSON on their own route, `gateway::stores`). The bulk
        /// ingestion routes (`/v1/ingest/...`) run each item as one of
        /// these (see `gateway::ingest`).
        pub const ALL_COMMAND_ROUTES: &[RouteEntry] = &[$(RouteEntry::of::<$request>()),+];
    };
}

command_routes! {
    // ---- rep: Requests addressed to reps: registration, capabilities, deactivation.

    RegisterRepRequest: Rep, RegisterRep, POST "/v1/reps",
        answer created_at("/v1/reps/"), id rep_id;
    path ();
    |request, at| on_rep(at.id, |rep_id| request.into_command(rep_id));

    ChangeRepCapabilitiesRequest: Rep, ChangeRepCapabilities, PUT "/v1/reps/{rep_id}/capabilities";
    path Uuid;
    |request, at| on_rep(at.path_id(), |_| request.into_command());

    DeactivateRepRequest: Rep, DeactivateRep, POST "/v1/reps/{rep_id}/deactivation";
    path Uuid;
    |request, at| on_rep(at.path_id(), |_| request.into_command());

    // ---- customer: Requests addressed to customers: registration, attributes, ownership (claim, transfer, release, recall, follow-ups), tracking consent, stance.

    RegisterCustomerRequest: Customer, RegisterCustomer, POST "/v1/customers",
        answer created_at("/v1/customers/"), id customer_id;
    path ();
    |request, at| {
        let customer_id = CustomerId::from_uuid(at.id);
        Ok(Built::Registration {
            stream_id: customer_stream_id(customer_id),
            build: Box::new(move |registry| {
                Ok(request.into_command(customer_id, |candidate| {
                    registry.duplicates().clear(candidate)
                })?)
            }),
        })
    };

    SetCustomerAttributesRequest: Customer, SetCustomerAttributes, PUT "/v1/customers/{customer_id}/attributes";
    path Uuid, subject Customer(CustomerId);
    |request, at| on_customer(at.path_id(), request.into_command());

    ClaimCustomerRequest: Customer, ClaimCustomer, POST "/v1/customers/{customer_id}/claim";
    path Uuid, subject Customer(CustomerId), prepare pool_policy -> PoolPolicy;
    |request, at| {
        at.ensure_self(request.rep_id)?;
        at.ensure_not_deactivated(request.rep_id, "rep_id").await?;
        on_customer(at.path_id(), request.into_command(at.prepared))
    };

    TransferCustomerRequest: Customer, TransferCustomer, POST "/v1/customers/{customer_id}/transfer";
    path Uuid, subject Customer(CustomerId), prepare pool_policy -> PoolPolicy;
    |request, at| {
        at.ensure_active_rep(request.to_rep_id, "to_rep_id").await?;
        let actor = at.actor().clone();
        on_customer(at.path_id(), request.into_command(&actor, at.prepared))
    };

    ReleaseCustomerRequest: Customer, ReleaseCustomer, POST "/v1/customers/{customer_id}/release";
    path Uuid, subject Customer(CustomerId);
    |request, at| {
        at.ensure_self(request.rep_id)?;
        on_customer(at.path_id(), request.into_command())
    };

    RecallCustomerToPoolRequest: Customer, RecallCustomerToPool, POST "/v1/customers/{customer_id}/recall";
    path Uuid, subject Customer(CustomerId);
    |request, at| on_customer(at.path_id(), request.into_command(at.actor()));

    RecordFollowUpRequest: Customer, RecordFollowUp, POST "/v1/customers/{customer_id}/follow-ups";
    path Uuid, subject Customer(CustomerId), prepare pool_policy -> PoolPolicy;
    |request, at| {
        at.ensure_self(request.rep_id)?;
        on_customer(at.path_id(), request.into_command(at.prepared))
    };

    CloseDayRequest: Customer, CloseDay, POST "/v1/days/{date}/close", answer Answer::DayClosed;
    path NaiveDate;
    |_request, at| Ok(Built::DayClose(at.path));

    RecordTrackingConsentRequest: Customer, RecordTrackingConsent, POST "/v1/customers/{customer_id}/tracking-consent";
    path Uuid, subject Customer(CustomerId);
    |request, at| on_customer(at.path_id(), request.into_command());

    WithdrawTrackingConsentRequest: Customer, WithdrawTrackingConsent, POST "/v1/customers/{customer_id}/tracking-consent/withdrawal";
    path Uuid, subject Customer(CustomerId);
    |request, at| on_customer(at.path_id(), request.into_command());

    RecordCustomerStanceRequest: Customer, RecordCustomerStance, POST "/v1/customers/{customer_id}/stance";
    path Uuid, subject Customer(CustomerId);
    |request, at| on_customer(at.path_id(), request.into_command(at.actor()));

    // ---- lead: Requests addressed to leads: registration, qualification, routing, the funnel stage.

    RegisterLeadRequest: Lead, RegisterLead, POST "/v1/leads",
        answer created_at("/v1/leads/"), id lead_id;
    path ();
    |request, at| {
        at.ensure_registered_customer(request.customer_id).await?;
        let lead_id = LeadId::from_uuid(at.id);
        let actor = at.actor().clone();
        Ok(Built::Registration {
            stream_id: lead_stream_id(lead_id),
            build: Box::new(move |registry| {
                Ok(request.into_command(lead_id, &actor, |candidate| {
                    registry.duplicates().clear(candidate)
                })?)
            }),
        })
    };

    ConfirmLeadBudgetRequest: Lead, ConfirmLeadBudget, POST "/v1/leads/{lead_id}/budget-confirmation";
    path Uuid;
    |request, at| on_lead(at.path_id(), request.into_command(at.actor()));

    ConfirmLeadTechnicalFitRequest: Lead, ConfirmLeadTechnicalFit, POST "/v1/leads/{lead_id}/technical-fit-confirmation";
    path Uuid;
    |request, at| on_lead(at.path_id(), request.into_command(at.actor()));

    ProposeRoutingRequest: Lead, ProposeRouting, POST "/v1/leads/{lead_id}/routing-proposals";
    path Uuid, prepare routing_inputs -> (RoutingRuleSet, Vec<RepProfile>);
    |request, at| {
        let (rule_set, reps) = at.prepared;
        on_lead(at.path, request.into_command(rule_set, reps))
    };

    ConfirmRoutingRequest: Lead, ConfirmRouting, POST "/v1/leads/{lead_id}/routing-confirmation";
    path Uuid;
    |request, at| {
        at.ensure_active_rep(request.rep_id, "rep_id").await?;
        on_lead(at.path_id(), request.into_command(at.actor()))
    };

    // ---- visit: Requests addressed to visits: logging one, confirming its extraction, completing its to-dos.

    LogVisitRequest: Visit, LogVisit, POST "/v1/visits",
        answer created_at("/v1/visits/"), id visit_id;
    path (), prepare extraction_dictionary -> Option<ExtractionDictionary>;
    |request, at| {
        at.ensure_self(request.rep_id)?;
        at.may_act_on_registered(request.customer_id).await?;
        let dictionary = at.prepared.ok_or_else(|| {
            not_published(
                "extraction dictionary",
                "extraction_dictionary_not_published",
                "/v1/config/extraction-dictionary",
            )
        })?;
        on_visit(at.id, |visit_id| request.into_command(visit_id, dictionary))
    };

    ConfirmVisitExtractionRequest: Visit, ConfirmVisitExtraction, POST "/v1/visits/{visit_id}/extraction-confirmation";
    path Uuid, subject Visit(VisitId);
    |request, at| {
        at.ensure_self(request.rep_id)?;
        on_visit(at.path_id(), |_| {
            request.into_command(|| TodoId::from_uuid(Uuid::now_v7()))
        })
    };

    CompleteTodoRequest: Visit, CompleteTodo, POST "/v1/visits/{visit_id}/todos/{todo_id}/completion";
    path (Uuid, Uuid), subject Visit(VisitId);
    |request, at| {
        at.ensure_self(request.rep_id)?;
        let (visit_id, todo_id) = at.path;
        on_visit(visit_id, |_| request.into_command(TodoId::from_uuid(todo_id)))
    };

    // ---- nurture: Requests addressed to nurture packs.

    StartNurturePackRequest: NurturePack, StartNurturePack, POST "/v1/nurture-packs",
        answer created_at("/v1/nurture-packs/"), id pack_id;
    path (), prepare nurture_template -> Option<NurtureTemplate>;
    |request, at| {
        at.may_act_on_registered(request.customer_id).await?;
        let template = at.prepared.ok_or_else(|| {
            not_published("nurture template", "nurture_template_not_published", "/v1/config/nurture-template")
        })?;
        let pack_id = NurturePackId::from_uuid(at.id);
        Built::command(nurture_stream_id(pack_id), request.into_command(pack_id, template))
    };

    RecordNurtureStepSentRequest: NurturePack, RecordNurtureStepSent, POST "/v1/nurture-packs/{pack_id}/sent-steps";
    path Uuid, subject NurturePack(NurturePackId);
    |request, at| on_pack(at.path_id(), request.into_command());

    RecordNurtureResponseRequest: NurturePack, RecordNurtureResponse, POST "/v1/nurture-packs/{pack_id}/responses";
    path Uuid, subject NurturePack(NurturePackId);
    |request, at| on_pack(at.path_id(), request.into_command());

    CloseNurturePackRequest: NurturePack, CloseNurturePack, POST "/v1/nurture-packs/{pack_id}/close";
    path Uuid, subject NurturePack(NurturePackId);
    |request, at| on_pack(at.path_id(), request.into_command());

    // ---- proposal: Requests addressed to proposals: creation, the PDF, email receipts, link opens.

    CreateProposalRequest: Proposal, CreateProposal, POST "/v1/proposals",
        answer created_at("/v1/proposals/"), id proposal_id;
    path ();
    |request, at| {
        at.may_act_on_registered(request.customer_id).await?;
        let proposal_id = ProposalId::from_uuid(at.id);
        Built::command(proposal_stream_id(proposal_id), request.into_command(proposal_id))
    };

    RecordProposalPdfRequest: Proposal, RecordProposalPdf, POST "/v1/proposals/{proposal_id}/pdf";
    path Uuid, subject Proposal(ProposalId);
    |request, at| {
        // The PDF must be in the blob store; its size comes from there,
        // never from the body.
        let size = uploaded_blob_size(at.state, &request.blob_sha256()?).await?;
        on_proposal(at.path_id(), request.into_command(size))
    };

    RecordEmailDeliveryReceiptRequest: Proposal, RecordEmailDeliveryReceipt, POST "/v1/proposals/{proposal_id}/email-receipts";
    path Uuid, subject Proposal(ProposalId);
    |request, at| on_proposal(at.path_id(), request.into_command());

    RecordLinkOpenedRequest: Proposal, RecordLinkOpened, POST "/v1/proposals/{proposal_id}/link-opens";
    path Uuid, subject Proposal(ProposalId);
    |request, at| {
        // Consent is the customer's fact: read it from the customer the
        // proposal belongs to.
        let stream_id = proposal_stream_id(ProposalId::from_uuid(at.path_id()));
        let consent = builders::proposal_tracking_consent(&at.state.service, &stream_id).await?;
        Built::command(stream_id, request.into_command(consent))
    };

    // ---- config: Publishing configuration: routing rules, pool policy, extraction dictionary, nurture template, health policy.

    PublishRoutingRulesRequest: Config, PublishRoutingRules, POST "/v1/config/routing-rules";
    path ();
    |request, at| Built::command(CONFIG_ROUTING_STREAM, request.into_command(at.actor()));

    PublishPoolPolicyRequest: Config, PublishPoolPolicy, POST "/v1/config/pool-policy";
    path ();
    |request, at| Built::command(CONFIG_POOL_POLICY_STREAM, request.into_command(at.actor()));

    PublishExtractionDictionaryRequest: Config, PublishExtractionDictionary, POST "/v1/config/extraction-dictionary";
    path ();
    |request, at| Built::command(CONFIG_EXTRACTION_STREAM, request.into_command(at.actor()));

    PublishNurtureTemplateRequest: Config, PublishNurtureTemplate, POST "/v1/config/nurture-template";
    path ();
    |request, at| Built::command(CONFIG_NURTURE_STREAM, request.into_command(at.actor()));

    // ---- account: Requests addressed to a customer's account (customer-success inputs and the health process).

    ReportUsageRequest: Account, ReportUsage, POST "/v1/customers/{customer_id}/usage-reports";
    path Uuid, subject Customer(CustomerId), prepare customer_exists -> ();
    |request, at| on_account(at.path_id(), |customer| request.into_command(customer));

    RecordSupportTicketRequest: Account, RecordSupportTicket, POST "/v1/customers/{customer_id}/support-tickets";
    path Uuid, subject Customer(CustomerId), prepare customer_exists -> ();
    |request, at| on_account(at.path_id(), |customer| request.into_command(customer));

    SetRenewalRequest: Account, SetRenewal, PUT "/v1/customers/{customer_id}/renewal";
    path Uuid, subject Customer(CustomerId), prepare customer_exists -> ();
    |request, at| on_account(at.path_id(), |customer| request.into_command(customer));

    RecordSuccessReferenceRequest: Account, RecordSuccessReference, POST "/v1/customers/{customer_id}/success-references";
    path Uuid, subject Customer(CustomerId), prepare customer_exists -> ();
    |request, at| on_account(at.path_id(), |customer| request.into_command(customer));

    RecordKeywordSearchesRequest: Account, RecordKeywordSearches, POST "/v1/customers/{customer_id}/keyword-searches";
    path Uuid, subject Customer(CustomerId), prepare customer_exists -> ();
    |request, at| on_account(at.path_id(), |customer| request.into_command(customer));

    CompleteCallbackRequest: Account, CompleteCallback, POST "/v1/customers/{customer_id}/callbacks/{task_id}/completion";
    path (Uuid, Uuid), subject Customer(CustomerId), prepare customer_exists -> ();
    |request, at| on_account(at.path_id(), |customer| {
        request.into_command(customer, CallbackTaskId::from_uuid(at.path.1), at.actor())
    });

    SubmitRescuePlanRequest: Account, SubmitRescuePlan, POST "/v1/customers/{customer_id}/rescue-plans", id plan_id;
    path Uuid, subject Customer(CustomerId), prepare customer_exists -> ();
    |request, at| on_account(at.path_id(), |customer| {
        request.into_command(customer, RescuePlanId::from_uuid(at.id), at.actor())
    });

    ApproveRescuePlanRequest: Account, ApproveRescuePlan, POST "/v1/customers/{customer_id}/rescue-plans/{plan_id}/approval";
    path (Uuid, Uuid), subject Customer(CustomerId), prepare customer_exists -> ();
    |request, at| on_account(at.path_id(), |customer| {
        request.into_command(customer, RescuePlanId::from_uuid(at.path.1), at.actor())
    });

    QuoteRenewalRequest: Account, QuoteRenewal, POST "/v1/customers/{customer_id}/renewal-quotes", id quote_id;
    path Uuid, subject Customer(CustomerId), prepare customer_exists -> ();
    |request, at| on_account(at.path_id(), |customer| {
        request.into_command(customer, QuoteId::from_uuid(at.id), at.actor())
    });

    // ---- contract: Requests addressed to contracts and their receivables.

    SignContractRequest: Contract, SignContract, POST "/v1/contracts",
        answer created_at("/v1/contracts/"), id contract_id;
    path ();
    |request, at| {
        ensure_own_rep_and_customer(&at, request.rep_id, request.customer_id).await?;
        on_contract(at.id, |contract_id| request.into_command(contract_id))
    };

    RecordPaymentRequest: Contract, RecordPayment, POST "/v1/contracts/{contract_id}/payments";
    path Uuid, subject Contract(ContractId);
    |request, at| on_contract(at.path_id(), |_| request.into_command());

    // ---- asset: Requests recording process assets.

    RecordProcessAssetRequest: ProcessAsset, RecordProcessAsset, POST "/v1/process-assets",
        answer created_at("/v1/process-assets/"), id asset_id;
    path ();
    |request, at| {
        ensure_own_rep_and_customer(&at, request.rep_id, request.customer_id).await?;
        on_asset(at.id, |asset_id| request.into_command(asset_id))
    };

    // ---- lead, config: added after the others, kept here so that
    // ALL_COMMAND_ROUTES (and the OpenAPI document) keep their order.

    AdvanceLeadStageRequest: Lead, AdvanceLeadStage, POST "/v1/leads/{lead_id}/stage";
    path Uuid;
    |request, at| on_lead(at.path_id(), request.into_command(at.actor()));

    PublishHealthPolicyRequest: Config, PublishHealthPolicy, POST "/v1/config/health-policy";
    path ();
    |request, at| Built::command(CONFIG_HEALTH_STREAM, request.into_command(at.actor()));

    // ---- retail: Chain-store requests (SPEC C13).

    OpenStoreRequest: RetailEntity, OpenStore, POST "/v1/stores",
        answer Answer::Created { location: Some("/v1/views/stores/"), id_field: None };
    path ();
    |request, _at| on_retail_entity(request.into_command());

    RegisterSkuRequest: RetailEntity, RegisterSku, POST "/v1/skus",
        answer Answer::Created { location: None, id_field: None };
    path ();
    |request, _at| on_retail_entity(request.into_command());

    EnrollMemberRequest: RetailEntity, EnrollMember, POST "/v1/members",
        answer Answer::Created { location: None, id_field: None };
    path ();
    |request, at| {
        let catalogue = at.state.service.retail_catalogue().await?;
        let home_store_known = catalogue.has_store(request.home_store.trim());
        on_retail_entity(request.into_command(home_store_known))
    };

    LaunchPromotionRequest: RetailEntity, LaunchPromotion, POST "/v1/promotions",
        answer Answer::Created { location: None, id_field: Some("promotion_id") }, id promotion_id;
    path ();
    |request, at| {
        let catalogue = at.state.service.retail_catalogue().await?;
        let promotion_id = PromotionId::from_uuid(at.id);
        on_retail_entity(request.into_command(promotion_id, at.actor(), &catalogue))
    };

    PublishRetailPolicyRequest: RetailPolicy, PublishRetailPolicy, PUT "/v1/config/retail-policy";
    path ();
    |request, at| Built::command(CONFIG_RETAIL_STREAM, request.into_command(at.actor()));
}

// ---- what routes read before the body ([`CommandRoute::prepare`]) ----------

/// Answers `404 not_found` unless the path's customer is registered.
async fn customer_exists<P: PathId>(state: &AppState, path: &P) -> Result<(), ApiError> {
    ensure_customer(&state.service, CustomerId::from_uuid(path.first())).await
}

/// The published pool policy (or its first-start default).
async fn pool_policy<P>(state: &AppState, _path: &P) -> Result<PoolPolicy, ApiError> {
    Ok(state.service.pool_policy().await?)
}

/// The published nurture template, if any.
async fn nurture_template<P>(
    state: &AppState,
    _path: &P,
) -> Result<Option<NurtureTemplate>, ApiError> {
    Ok(builders::nurture_template(&state.service).await?)
}

/// The published extraction dictionary, if any.
async fn extraction_dictionary<P>(
    state: &AppState,
    _path: &P,
) -> Result<Option<ExtractionDictionary>, ApiError> {
    Ok(builders::extraction_dictionary(&state.service).await?)
}

/// The published routing rule set and the rep profiles (`409
/// routing_rules_not_published` before any).
async fn routing_inputs<P>(
    state: &AppState,
    _path: &P,
) -> Result<(RoutingRuleSet, Vec<RepProfile>), ApiError> {
    builders::routing_inputs(&state.service)
        .await?
        .ok_or_else(|| {
            not_published(
                "routing rule set",
                "routing_rules_not_published",
                "/v1/config/routing-rules",
            )
        })
}

// ---- where commands go ------------------------------------------------------

/// `fn on_x(id, command)`: a command on the aggregate with the path's
/// `id`, on its stream; with `of`, the command is made from the typed id.
macro_rules! on_stream {
    ($($(#[$doc:meta])* $name:ident: $aggregate:ty, $command:ty, $stream:ident($id:ident) $(, $of:ident)?;)+) => {$(
        on_stream!(@one $(#[$doc])* $name, $aggregate, $command, $stream, $id $(, $of)?);
    )+};
    (@one $(#[$doc:meta])* $name:ident, $aggregate:ty, $command:ty, $stream:ident, $id:ident) => {
        $(#[$doc])*
        fn $name(id: Uuid, command: Result<$command, DtoError>) -> Result<Built<$aggregate>, ApiError> {
            Built::command($stream($id::from_uuid(id)), command)
        }
    };
    (@one $(#[$doc:meta])* $name:ident, $aggregate:ty, $command:ty, $stream:ident, $id:ident, of) => {
        $(#[$doc])*
        fn $name(
            id: Uuid,
            command: impl FnOnce($id) -> Result<$command, DtoError>,
        ) -> Result<Built<$aggregate>, ApiError> {
            let id = $id::from_uuid(id);
            Built::command($stream(id), command(id))
        }
    };
}

on_stream! {
    /// A command on the account of the customer `id` (stream
    /// `account-<customer id>`), made from the customer's id.
    on_account: Account, AccountCommand, account_stream_id(CustomerId), of;
    /// A command on the customer `id`.
    on_customer: Customer, CustomerCommand, customer_stream_id(CustomerId);
    /// A command on the nurture pack `id`.
    on_pack: NurturePack, NurtureCommand, nurture_stream_id(NurturePackId);
    /// A command on the proposal `id`.
    on_proposal: Proposal, ProposalCommand, proposal_stream_id(ProposalId);
    /// A command on the lead `id`.
    on_lead: Lead, LeadCommand, lead_stream_id(LeadId);
    /// A command on the rep `id`, made from the rep's id.
    on_rep: Rep, RepCommand, rep_stream_id(RepId), of;
    /// A command on the process asset `id`, made from its id.
    on_asset: ProcessAsset, ProcessAssetCommand, asset_stream_id(AssetId), of;
    /// A command on the contract `id`, made from its id.
    on_contract: Contract, ContractCommand, contract_stream_id(ContractId), of;
    /// A command on the visit `id`, made from its id.
    on_visit: Visit, VisitCommand, visit_stream_id(VisitId), of;
}

/// A chain-store command on the stream it names.
fn on_retail_entity(
    command: Result<RetailCommand, DtoError>,
) -> Result<Built<RetailEntity>, ApiError> {
    let command = command?;
    Built::command(command.stream_id(), Ok::<_, ApiError>(command))
}

/// The size of an uploaded blob: `422 invalid_sha256` for a bad digest,
/// `422 blob_not_uploaded` when it is not in the blob store.
async fn uploaded_blob_size(state: &AppState, sha256: &Sha256Hex) -> Result<u64, ApiError> {
    let digest = Hash32::parse_hex_any_case(sha256.as_str()).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_sha256",
            "bad digest",
        )
    })?;
    let content = state
        .blobs
        .get(&digest)
        .await
        .map_err(|error| match error {
            StoreError::BlobNotFound(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "blob_not_uploaded",
                format!("no uploaded file has sha256 {digest}; POST it to /v1/blobs first"),
            ),
            other => other.into(),
        })?;
    Ok(content.len() as u64)
}

/// The command routes and the bulk ingestion routes.
pub fn routes() -> Router<AppState> {
    ALL_COMMAND_ROUTES
        .iter()
        .fold(Router::new(), |router, entry| (entry.route)(router))
        .merge(super::ingest::routes())
}

#[cfg(test)]
mod tests;
