//! The JSON shapes of the commands and their conversion to domain
//! commands: one `<CommandKind>Request` type per command kind, one file
//! per aggregate (`rep.rs`, `customer.rs`, `lead.rs`, `visit.rs`,
//! `nurture.rs`, `proposal.rs`, `config.rs`, `account.rs`, `contract.rs`,
//! `asset.rs`, `retail.rs`), body decoding in `body.rs`, their tests in
//! `tests/` (each aggregate's rows in `tests/<aggregate>.rs`).
//!
//! A body is decoded with [`parse_body`] into its request type, whose
//! `into_command` builds the domain command. The gateway serves them (the
//! one list of command routes, `gateway::routes`, says for each request
//! where it is served, what it reads before and after the body and which
//! stream its command goes to); the CSV customer import
//! (`customer_import`) converts its rows through the same types. The
//! request types are plain JSON shapes (strings, UUIDs, RFC 3339 times,
//! arrays, objects, small snake_case enums) that derive `utoipa::ToSchema`,
//! so the OpenAPI document is generated from them; domain value objects
//! are built only inside `into_command`, through their `parse`
//! constructors.
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
//!   `gateway::routes`) and are parameters of `into_command` (an
//!   account command's `customer_id` is the path's). Creation requests
//!   accept an optional client-chosen id (`rep_id`, `customer_id`,
//!   `lead_id`, `visit_id`, `pack_id`, `proposal_id`, `contract_id`,
//!   `asset_id`; also `plan_id` of a rescue plan and `quote_id` of a
//!   renewal quote), a public `Option<Uuid>` field that the route's entry
//!   names (`id FIELD` in `gateway::routes`, its
//!   `CommandRoute::requested_id`): the gateway uses it when present (a second creation
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
//! This module knows request *shapes* only: no HTTP server, no storage
//! (status codes appear in the types' documentation, which the OpenAPI
//! document carries, never in code). Reads and answers belong to the
//! routes.

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

mod body;

pub use body::{parse_body, BodyError, BodyErrorKind, DtoError};

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

/// Each item of the list at `field` converted by `convert`, which is given
/// the item's JSON path (`field[i]`) to name in its errors.
fn each_item<I, T>(
    field: &str,
    items: impl IntoIterator<Item = I>,
    mut convert: impl FnMut(&str, I) -> Result<T, DtoError>,
) -> Result<Vec<T>, DtoError> {
    items
        .into_iter()
        .enumerate()
        .map(|(idx, item)| convert(&format!("{field}[{idx}]"), item))
        .collect()
}

/// Each string of the list at `field` through the domain's `parse`.
fn parse_each<T>(
    field: &str,
    raw: &[String],
    parse: fn(&str) -> Result<T, DomainError>,
) -> Result<Vec<T>, DtoError> {
    each_item(field, raw, |at, raw| parse_value(at, raw, parse))
}

fn parse_capability_tags(field: &str, raw_tags: &[String]) -> Result<CapabilityTags, DtoError> {
    let tags = parse_each(field, raw_tags, CapabilityTag::parse)?;
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
                rule: Some(format!("{raw_key} given twice; keys are case-insensitive")),
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

#[cfg(test)]
mod tests;
