//! HTTP request shapes of the gateway, their conversion to domain
//! commands, and where each is served: one file per aggregate
//! (`rep.rs`, `customer.rs`, `lead.rs`, `visit.rs`, `nurture.rs`,
//! `proposal.rs`, `config.rs`, `account.rs`, `contract.rs`, `asset.rs`,
//! `retail.rs`), their tests in `tests.rs`.
//!
//! Every command route reads its body as bytes, decodes it with
//! [`parse_body`] into one `<CommandKind>Request` struct of this module, and
//! calls that struct's `into_command` to get the domain command. Beside
//! each request, its [`CommandRoute`] impl says where it is served (method,
//! path, what it answers), what it acts on, what it reads from the log
//! before and after the body, and which stream its command goes to;
//! `gateway::commands::handle` serves every one the same way and
//! `gateway::routes::ALL_COMMAND_ROUTES` lists them. The request
//! structs are plain JSON shapes (strings, UUIDs, RFC 3339 times, arrays,
//! objects, small snake_case enums) that derive `utoipa::ToSchema`, so the
//! OpenAPI document is generated from them; domain value objects are built
//! only inside `into_command`, through their `parse` constructors.
//!
//! Where each input comes from:
//!
//! - **Identity comes from the bearer token, never from the body.** Commands
//!   that record who acted (`registered_by`, `confirmed_by`,
//!   `transferred_by`, `recalled_by`, `recorded_by`, `published_by`,
//!   `completed_by`, `submitted_by`, `approved_by`, `quoted_by`,
//!   `advanced_by`) take the authenticated `actor: &ActorId`. A rep that a command *names* as
//!   its subject (the rep claiming, the rep of a visit, the target of a
//!   transfer) is a `rep_id` in the body; whether the caller may act for
//!   that rep is the command layer's check, not this module's.
//! - **Ids of the addressed aggregate come from the URL path** (see
//!   `gateway::routes::ALL_COMMAND_ROUTES`) and are parameters of `into_command` (an
//!   account command's `customer_id` is the path's). Creation requests
//!   accept an optional client-chosen id (`rep_id`, `customer_id`,
//!   `lead_id`, `visit_id`, `pack_id`, `proposal_id`, `contract_id`,
//!   `asset_id`; also `plan_id` of a rescue plan and `quote_id` of a
//!   renewal quote), exposed by
//!   `requested_id()`: the gateway uses it when present (a second creation
//!   with the same id is refused as `*_already_exists`; safe retries use the
//!   `Idempotency-Key` header) and otherwise generates a UUIDv7; either way
//!   it passes the id to `into_command`.
//! - **Server-side state is a parameter**: duplicate clearance (a closure
//!   over the duplicate index), the routing rule set and rep profiles, the
//!   pool policy, the extraction dictionary, the nurture template, the
//!   customer's tracking-consent time, the stored blob's size, new to-do
//!   ids. None of them is read from the body. No conversion needs `now`:
//!   the domain's `decide` receives it.
//!
//! Errors: a body that does not decode is a [`BodyError`] (codes
//! `malformed_json`, `unknown_field`, `wrong_type`, `missing_field`,
//! `invalid_body`), naming the JSON path. A decoded body whose values break
//! a domain rule is a [`DtoError::Invalid`] naming the JSON path and the
//! domain's stable error code (e.g. `capability_tag_count` at
//! `capability_tags`, `invalid_email` at `contact_email`). Both map to 4xx;
//! nothing is appended.
//!
//! The request types and their `into_command` know HTTP request *shapes*
//! only: no axum, no status codes, no storage. Reads and answers belong to
//! the `CommandRoute` impls.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use salesledger_domain::account::AccountCommand;
use salesledger_domain::asset::ProcessAssetCommand;
use salesledger_domain::config::ConfigCommand;
use salesledger_domain::contract::{ContractCommand, InstalmentTerm};
use salesledger_domain::customer::{CustomerCommand, PoolPolicy};
use salesledger_domain::duplicate::{DuplicateCandidate, DuplicateClearance};
use salesledger_domain::error::{DomainError, ValueKind};
use salesledger_domain::extraction::{
    CompetitorEntry, ConcernEntry, ExtractionDictionary, PurchaseWindow,
};
use salesledger_domain::health::{
    DailyUsage, HealthPolicy, HealthTargets, HealthWeights, KeywordSearch,
};
use salesledger_domain::lead::LeadCommand;
use salesledger_domain::nurture::{NurtureCommand, NurtureTemplate, NurtureTemplateStep};
use salesledger_domain::proposal::ProposalCommand;
use salesledger_domain::rep::{RepCommand, RepProfile};
use salesledger_domain::retail::RetailCommand;
use salesledger_domain::role::CommandKind;
use salesledger_domain::routing::{MatchRule, RoutingRuleSet};
use salesledger_domain::value::{
    ActorId, AssetId, AttributeKey, AttributeValue, CallbackTaskId, CapabilityTag, CapabilityTags,
    CompanyName, ContractId, CustomerAttributes, CustomerId, Email, IpAddress, Keyword, LeadId,
    ModuleName, NurturePackId, PaymentRef, Phone, PlanName, ProposalId, QuoteId, ReferenceRef,
    Region, RepId, RescuePlanId, Sha256Hex, Text, TicketRef, TodoId, UnifiedSocialCreditCode,
    VisitId,
};
use salesledger_domain::value::{MemberRef, PromotionId, SkuCode, StoreCode};
use salesledger_domain::visit::{NextAction, VisitCommand};

// What the `CommandRoute` impls beside each request use.
use super::auth::Subject;
use super::commands::{
    created_at, ensure_customer, ensure_own_rep_and_customer, not_published, Answer, Built,
    CommandRoute, PathId, Target,
};
use super::problem::ApiError;
use super::AppState;
use axum::http::StatusCode;
use salesledger_commands::builders;
use salesledger_domain::account::Account;
use salesledger_domain::asset::ProcessAsset;
use salesledger_domain::config::Config;
use salesledger_domain::contract::Contract;
use salesledger_domain::customer::Customer;
use salesledger_domain::lead::Lead;
use salesledger_domain::nurture::NurturePack;
use salesledger_domain::proposal::Proposal;
use salesledger_domain::rep::Rep;
use salesledger_domain::retail::{RetailEntity, RetailPolicy};
use salesledger_domain::stream::{
    account_stream_id, asset_stream_id, contract_stream_id, customer_stream_id, lead_stream_id,
    nurture_stream_id, proposal_stream_id, rep_stream_id, visit_stream_id,
    CONFIG_EXTRACTION_STREAM, CONFIG_HEALTH_STREAM, CONFIG_NURTURE_STREAM,
    CONFIG_POOL_POLICY_STREAM, CONFIG_RETAIL_STREAM, CONFIG_ROUTING_STREAM,
};
use salesledger_domain::visit::Visit;
use salesledger_store::{Hash32, StoreError};

/// Writes a request type's [`CommandRoute`] impl from one declaration:
///
/// ```text
/// command_route! {
///     Request: Aggregate, CommandKind variant, METHOD "path" [, answer EXPR] [, id FIELD];
///     path PATH_TYPE [, subject Variant(IdType)] [, prepare step -> Prepared];
///     |request, at| how the request becomes a `Built` (may `.await`)
/// }
/// ```
///
/// `answer`: what it answers (`Answer::Outcome` when absent); `id`: the
/// body's field holding the id a creation asks for
/// ([`CommandRoute::requested_id`]); `subject`: the ownership check's
/// subject, `Subject::Variant(IdType::from_uuid(first path id))` (none when
/// absent); `prepare`: an async step `(state, path)` run before the body is
/// read ([`customer_exists`], [`pool_policy`], ...; nothing when absent);
/// `at`: the [`Target`].
macro_rules! command_route {
    (
        $request:ident: $aggregate:ident, $kind:ident, $method:ident $path:literal
        $(, answer $answer:expr)? $(, id $id_field:ident)?;
        path $path_ty:ty $(, subject $subject:ident($subject_id:ident))?
        $(, prepare $prepare:ident -> $prepared:ty)?;
        |$this:ident, $at:ident| $build:expr
    ) => {
        impl CommandRoute for $request {
            type Aggregate = $aggregate;
            type Path = $path_ty;
            const KIND: CommandKind = CommandKind::$kind;
            const METHOD: &'static str = stringify!($method);
            const PATH: &'static str = $path;
            $(const ANSWER: Answer = $answer;)?
            command_route!(@prepare $($prepare -> $prepared)?);
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
    };
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

/// The [`RawParty`] of a registration request (a struct with the fields
/// `company_name`, `unified_social_credit_code`, `phone`, `contact_email`
/// and `attributes`).
macro_rules! raw_party {
    ($request:expr) => {
        RawParty {
            company_name: &$request.company_name,
            unified_social_credit_code: $request.unified_social_credit_code.as_deref(),
            phone: $request.phone.as_deref(),
            contact_email: $request.contact_email.as_deref(),
            attributes: &$request.attributes,
        }
    };
}

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

pub use account::*;
pub use asset::*;
pub use config::*;
pub use contract::*;
pub use customer::*;
pub use lead::*;
pub use nurture::*;
pub use proposal::*;
pub use rep::*;
pub use retail::*;
pub use visit::*;

pub use super::body::{parse_body, BodyError, BodyErrorKind, DtoError};

#[cfg(test)]
mod tests;

// ---------------------------------------------------------------------------
// Parsing helpers: every value through its domain `parse`
// ---------------------------------------------------------------------------

fn parse_value<T>(
    field: &str,
    raw: &str,
    parse: fn(&str) -> Result<T, DomainError>,
) -> Result<T, DtoError> {
    parse(raw).map_err(|error| DtoError::invalid(field, &error))
}

/// An amount of money in fen through the domain's
/// [`salesledger_domain::value::parse_amount_fen`] (1 to 10^13), naming
/// the field's JSON path when it is out of range.
fn parse_amount(field: &str, amount_fen: u64) -> Result<u64, DtoError> {
    salesledger_domain::value::parse_amount_fen(amount_fen)
        .map_err(|error| DtoError::invalid(field, &error))
}

fn parse_optional<T>(
    field: &str,
    raw: Option<&str>,
    parse: fn(&str) -> Result<T, DomainError>,
) -> Result<Option<T>, DtoError> {
    raw.map(|raw| parse_value(field, raw, parse)).transpose()
}

fn parse_capability_tags(field: &str, raw_tags: &[String]) -> Result<CapabilityTags, DtoError> {
    let tags = raw_tags
        .iter()
        .enumerate()
        .map(|(tag_idx, raw)| {
            parse_value(&format!("{field}[{tag_idx}]"), raw, CapabilityTag::parse)
        })
        .collect::<Result<Vec<_>, _>>()?;
    CapabilityTags::from_tags(tags).map_err(|error| DtoError::invalid(field, &error))
}

fn parse_attributes(
    field: &str,
    raw_attributes: &BTreeMap<String, String>,
) -> Result<CustomerAttributes, DtoError> {
    let mut attributes = BTreeMap::new();
    for (raw_key, raw_value) in raw_attributes {
        let key_path = format!("{field}.{raw_key}");
        let key = parse_value(&key_path, raw_key, AttributeKey::parse)?;
        let value = parse_value(&key_path, raw_value, AttributeValue::parse)?;
        if attributes.insert(key, value).is_some() {
            return Err(DtoError::Invalid {
                field: key_path,
                code: ValueKind::AttributeKey.code(),
                message: format!("attribute {raw_key} is given twice (keys are case-insensitive)"),
            });
        }
    }
    CustomerAttributes::from_map(attributes).map_err(|error| DtoError::invalid(field, &error))
}

/// Validation of a whole configuration document (the domain's `validate`);
/// the field is empty because the rule spans the body.
fn validated<T>(document: T, validate: fn(&T) -> Result<(), DomainError>) -> Result<T, DtoError> {
    validate(&document).map_err(|error| DtoError::invalid("", &error))?;
    Ok(document)
}

/// The party a customer or lead registration names, parsed and cleared by
/// the duplicate index (`linked_customer`: the customer a lead is a new
/// opportunity of, which it does not duplicate).
struct Party {
    company_name: CompanyName,
    unified_social_credit_code: Option<UnifiedSocialCreditCode>,
    phone: Option<Phone>,
    contact_email: Option<Email>,
    attributes: CustomerAttributes,
    duplicate_clearance: DuplicateClearance,
}

/// The raw party fields of a registration body, borrowed.
struct RawParty<'a> {
    company_name: &'a str,
    unified_social_credit_code: Option<&'a str>,
    phone: Option<&'a str>,
    contact_email: Option<&'a str>,
    attributes: &'a BTreeMap<String, String>,
}

impl RawParty<'_> {
    fn parse(
        self,
        linked_customer: Option<CustomerId>,
        clear_duplicates: impl FnOnce(
            &DuplicateCandidate<'_>,
        ) -> Result<DuplicateClearance, DomainError>,
    ) -> Result<Party, DtoError> {
        let company_name = parse_value("company_name", self.company_name, CompanyName::parse)?;
        let unified_social_credit_code = parse_optional(
            "unified_social_credit_code",
            self.unified_social_credit_code,
            UnifiedSocialCreditCode::parse,
        )?;
        let phone = parse_optional("phone", self.phone, Phone::parse)?;
        let contact_email = parse_optional("contact_email", self.contact_email, Email::parse)?;
        let attributes = parse_attributes("attributes", self.attributes)?;
        let duplicate_clearance = clear_duplicates(&DuplicateCandidate {
            company_name: &company_name,
            unified_social_credit_code: unified_social_credit_code.as_ref(),
            phone: phone.as_ref(),
            linked_customer,
        })?;
        Ok(Party {
            company_name,
            unified_social_credit_code,
            phone,
            contact_email,
            attributes,
            duplicate_clearance,
        })
    }
}
