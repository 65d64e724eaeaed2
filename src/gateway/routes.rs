//! The one list of JSON command routes ([`ALL_COMMAND_ROUTES`]): the
//! router, the OpenAPI document's command operations and request schemas,
//! and the route tables the HTTP tests iterate (auth, access, content type,
//! fuzz, OpenAPI) are all generated from it. Each entry is a request type
//! implementing [`CommandRoute`] (in `requests/<aggregate>.rs`), served by
//! the one generic [`handle`]. Adding a command: its request type with its
//! `CommandRoute` impl, and one line here.
//!
//! Why not utoipa-axum's `OpenApiRouter` and `routes!`: they register a
//! handler with the operation of its `#[utoipa::path]` attribute, one
//! annotated function per route. Here there is one generic handler and the
//! operation is generated from the same [`RouteEntry`] as the route (method,
//! path, kind, roles allowed, the request schema, 200 or 201), so a
//! per-route attribute would be a second place to write each route.

use std::borrow::Cow;

use axum::routing::{on, MethodFilter};
use axum::Router;
use salesledger_domain::CommandKind;
use utoipa::openapi::{RefOr, Schema};

use super::commands::{handle, Answer, CommandRoute};
use super::requests::*;
use super::AppState;

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

/// Every JSON command route, one per command kind (POS sales arrive as
/// NDJSON on their own route, `gateway::stores`). The bulk ingestion
/// routes (`/v1/ingest/...`) run each item as one of these (see
/// `gateway::ingest`).
pub const ALL_COMMAND_ROUTES: &[RouteEntry] = &[
    RouteEntry::of::<RegisterRepRequest>(),
    RouteEntry::of::<ChangeRepCapabilitiesRequest>(),
    RouteEntry::of::<DeactivateRepRequest>(),
    RouteEntry::of::<RegisterCustomerRequest>(),
    RouteEntry::of::<SetCustomerAttributesRequest>(),
    RouteEntry::of::<ClaimCustomerRequest>(),
    RouteEntry::of::<TransferCustomerRequest>(),
    RouteEntry::of::<ReleaseCustomerRequest>(),
    RouteEntry::of::<RecallCustomerToPoolRequest>(),
    RouteEntry::of::<RecordFollowUpRequest>(),
    RouteEntry::of::<CloseDayRequest>(),
    RouteEntry::of::<RecordTrackingConsentRequest>(),
    RouteEntry::of::<WithdrawTrackingConsentRequest>(),
    RouteEntry::of::<RecordCustomerStanceRequest>(),
    RouteEntry::of::<RegisterLeadRequest>(),
    RouteEntry::of::<ConfirmLeadBudgetRequest>(),
    RouteEntry::of::<ConfirmLeadTechnicalFitRequest>(),
    RouteEntry::of::<ProposeRoutingRequest>(),
    RouteEntry::of::<ConfirmRoutingRequest>(),
    RouteEntry::of::<LogVisitRequest>(),
    RouteEntry::of::<ConfirmVisitExtractionRequest>(),
    RouteEntry::of::<CompleteTodoRequest>(),
    RouteEntry::of::<StartNurturePackRequest>(),
    RouteEntry::of::<RecordNurtureStepSentRequest>(),
    RouteEntry::of::<RecordNurtureResponseRequest>(),
    RouteEntry::of::<CloseNurturePackRequest>(),
    RouteEntry::of::<CreateProposalRequest>(),
    RouteEntry::of::<RecordProposalPdfRequest>(),
    RouteEntry::of::<RecordEmailDeliveryReceiptRequest>(),
    RouteEntry::of::<RecordLinkOpenedRequest>(),
    RouteEntry::of::<PublishRoutingRulesRequest>(),
    RouteEntry::of::<PublishPoolPolicyRequest>(),
    RouteEntry::of::<PublishExtractionDictionaryRequest>(),
    RouteEntry::of::<PublishNurtureTemplateRequest>(),
    RouteEntry::of::<ReportUsageRequest>(),
    RouteEntry::of::<RecordSupportTicketRequest>(),
    RouteEntry::of::<SetRenewalRequest>(),
    RouteEntry::of::<RecordSuccessReferenceRequest>(),
    RouteEntry::of::<RecordKeywordSearchesRequest>(),
    RouteEntry::of::<CompleteCallbackRequest>(),
    RouteEntry::of::<SubmitRescuePlanRequest>(),
    RouteEntry::of::<ApproveRescuePlanRequest>(),
    RouteEntry::of::<QuoteRenewalRequest>(),
    RouteEntry::of::<SignContractRequest>(),
    RouteEntry::of::<RecordPaymentRequest>(),
    RouteEntry::of::<RecordProcessAssetRequest>(),
    RouteEntry::of::<AdvanceLeadStageRequest>(),
    RouteEntry::of::<PublishHealthPolicyRequest>(),
    RouteEntry::of::<OpenStoreRequest>(),
    RouteEntry::of::<RegisterSkuRequest>(),
    RouteEntry::of::<EnrollMemberRequest>(),
    RouteEntry::of::<LaunchPromotionRequest>(),
    RouteEntry::of::<PublishRetailPolicyRequest>(),
];

/// The command routes and the bulk ingestion routes.
pub fn routes() -> Router<AppState> {
    ALL_COMMAND_ROUTES
        .iter()
        .fold(Router::new(), |router, entry| (entry.route)(router))
        .merge(super::ingest::routes())
}
