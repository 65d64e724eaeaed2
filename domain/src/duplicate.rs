//! Duplicate detection (撞单, SPEC C3): one company, one record.
//!
//! A [`DuplicateIndex`] is a pure, BTreeMap-based fold of `CustomerRegistered`
//! and `LeadRegistered` events keyed by normalised company name, unified
//! social credit code and phone. Registering a customer or a lead requires a
//! [`DuplicateClearance`], which only [`DuplicateIndex::clear`] can issue, so
//! the command layer cannot forget the check. This module knows no storage:
//! the caller folds the events it has.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::event::Event;
use crate::value::{CompanyName, CustomerId, LeadId, Phone, UnifiedSocialCreditCode};

/// The existing record a new one collides with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum RecordRef {
    Customer(CustomerId),
    Lead(LeadId),
}

/// The key on which two records collided.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "key", content = "value", rename_all = "snake_case")]
pub enum DuplicateKey {
    /// Same company name after [`crate::value::normalise_company_name`].
    CompanyName(String),
    UnifiedSocialCreditCode(UnifiedSocialCreditCode),
    Phone(Phone),
}

impl std::fmt::Display for RecordRef {
    /// `customer <id>` or `lead <id>`.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordRef::Customer(id) => write!(formatter, "customer {id}"),
            RecordRef::Lead(id) => write!(formatter, "lead {id}"),
        }
    }
}

impl std::fmt::Display for DuplicateKey {
    /// The key and its value: `company name 上海瑞康医疗器械有限公司`, ...
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DuplicateKey::CompanyName(name) => write!(formatter, "company name {name}"),
            DuplicateKey::UnifiedSocialCreditCode(code) => {
                write!(formatter, "unified social credit code {code}")
            }
            DuplicateKey::Phone(phone) => write!(formatter, "phone {phone}"),
        }
    }
}

/// One collision found by [`DuplicateIndex::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateMatch {
    pub existing: RecordRef,
    pub key: DuplicateKey,
}

/// What identifies a new customer or lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateCandidate<'a> {
    pub company_name: &'a CompanyName,
    pub unified_social_credit_code: Option<&'a UnifiedSocialCreditCode>,
    pub phone: Option<&'a Phone>,
    /// A lead that belongs to an existing customer does not duplicate it.
    pub linked_customer: Option<CustomerId>,
}

impl DuplicateCandidate<'_> {
    fn keys(&self) -> Vec<DuplicateKey> {
        let mut keys = vec![DuplicateKey::CompanyName(self.company_name.normalised())];
        if let Some(code) = self.unified_social_credit_code {
            keys.push(DuplicateKey::UnifiedSocialCreditCode(code.clone()));
        }
        if let Some(phone) = self.phone {
            keys.push(DuplicateKey::Phone(phone.clone()));
        }
        keys
    }
}

/// Proof that a candidate was checked against the index and matched nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateClearance {
    keys: Vec<DuplicateKey>,
}

impl DuplicateClearance {
    /// Whether this clearance was issued for exactly this candidate's keys.
    pub(crate) fn covers(&self, candidate: &DuplicateCandidate<'_>) -> bool {
        self.keys == candidate.keys()
    }
}

/// Every known company key, folded from registration events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DuplicateIndex {
    records_by_key: BTreeMap<DuplicateKey, RecordRef>,
}

impl DuplicateIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds one event; events other than registrations are ignored.
    pub fn apply(&mut self, event: &Event) {
        let (record, candidate) = match event {
            Event::CustomerRegistered(registered) => (
                RecordRef::Customer(registered.customer_id),
                DuplicateCandidate {
                    company_name: &registered.company_name,
                    unified_social_credit_code: registered.unified_social_credit_code.as_ref(),
                    phone: registered.phone.as_ref(),
                    linked_customer: None,
                },
            ),
            Event::LeadRegistered(registered) => (
                registered
                    .customer_id
                    .map_or(RecordRef::Lead(registered.lead_id), RecordRef::Customer),
                DuplicateCandidate {
                    company_name: &registered.company_name,
                    unified_social_credit_code: registered.unified_social_credit_code.as_ref(),
                    phone: registered.phone.as_ref(),
                    linked_customer: registered.customer_id,
                },
            ),
            _ => return,
        };
        for key in candidate.keys() {
            self.records_by_key.entry(key).or_insert(record);
        }
    }

    /// Every collision of the candidate, in key order name, code, phone.
    pub fn check(&self, candidate: &DuplicateCandidate<'_>) -> Vec<DuplicateMatch> {
        candidate
            .keys()
            .into_iter()
            .filter_map(|key| {
                let existing = *self.records_by_key.get(&key)?;
                if candidate.linked_customer.map(RecordRef::Customer) == Some(existing) {
                    return None;
                }
                Some(DuplicateMatch { existing, key })
            })
            .collect()
    }

    /// Issues a clearance, or refuses with the first collision.
    pub fn clear(
        &self,
        candidate: &DuplicateCandidate<'_>,
    ) -> Result<DuplicateClearance, DomainError> {
        match self.check(candidate).into_iter().next() {
            Some(found) => Err(DomainError::DuplicateRecord {
                existing: found.existing,
                key: found.key,
            }),
            None => Ok(DuplicateClearance {
                keys: candidate.keys(),
            }),
        }
    }
}
