//! What some decisions need from beyond their own stream, folded from the
//! whole log: the duplicate index (C3, 撞单), each rep's routing profile
//! (C2), and the streams a day close visits (customers, accounts,
//! contracts), and which customers each stored file (blob) is the proposal
//! PDF of, so a read of a blob can be scoped to its customers' owners
//! without scanning the log. Published configuration
//! is not kept here: commands read it from its own small streams.
//!
//! It is caught up to the log's head right before it is used, so a decision
//! always sees every event acknowledged before the command arrived.

use std::collections::{BTreeMap, BTreeSet};

use salesledger_domain::duplicate::DuplicateIndex;
use salesledger_domain::rep::{Rep, RepProfile};
use salesledger_domain::stream::rep_stream_id;
use salesledger_domain::value::{CustomerId, ProposalId, Region, RepId};
use salesledger_domain::Aggregate;
use salesledger_domain::Event;
use salesledger_store::{RecordedEvent, Store};

use crate::error::CommandError;
use crate::follow::{follow_log, Follower};

/// Cross-stream state for decisions.
#[derive(Debug, Default)]
pub struct Registry {
    next_position: u64,
    duplicates: DuplicateIndex,
    /// Rep aggregates by stream id (ordered, so profiles come out sorted).
    reps: BTreeMap<String, Rep>,

    /// Stream ids of every customer, for day-closing rules.
    customer_streams: BTreeSet<String>,
    /// Stream ids of every account with customer-success inputs (health
    /// is evaluated at day close for these only).
    account_streams: BTreeSet<String>,
    /// Stream ids of every contract (overdue instalments at day close).
    contract_streams: BTreeSet<String>,
    /// Each proposal's customer.
    proposal_customers: BTreeMap<ProposalId, CustomerId>,
    /// Each blob's SHA-256 (hex) to the customers of the proposals whose
    /// PDF it is.
    blob_customers: BTreeMap<String, BTreeSet<CustomerId>>,
}

/// Records of other modules (checkpoints, future event families) are not
/// the registry's business: [`follow_log`] passes over event types it does
/// not know.
impl Follower for Registry {
    fn next_position(&mut self) -> &mut u64 {
        &mut self.next_position
    }

    fn wanted(&self, _stream: &str) -> bool {
        true
    }

    fn apply(&mut self, record: &RecordedEvent, event: &Event) {
        self.duplicates.apply(event);
        self.index_blobs(event);
        if record.stream_id.starts_with("rep-") {
            self.reps
                .entry(record.stream_id.clone())
                .or_default()
                .apply(event);
        } else if record.stream_id.starts_with("customer-") {
            self.customer_streams.insert(record.stream_id.clone());
        } else if record.stream_id.starts_with("account-") {
            self.account_streams.insert(record.stream_id.clone());
        } else if record.stream_id.starts_with("contract-") {
            self.contract_streams.insert(record.stream_id.clone());
        }
    }
}

impl Registry {
    /// Applies records until at least `target` (a log length) is
    /// reflected; does no I/O when it already is.
    pub async fn catch_up_to(
        &mut self,
        store: &dyn Store,
        target: u64,
    ) -> Result<(), CommandError> {
        follow_log(store, self, target).await
    }

    fn index_blobs(&mut self, event: &Event) {
        match event {
            Event::ProposalCreated(created) => {
                self.proposal_customers
                    .insert(created.proposal_id, created.customer_id);
            }
            Event::ProposalPdfUploaded(uploaded) => {
                if let Some(customer) = self.proposal_customers.get(&uploaded.proposal_id) {
                    self.blob_customers
                        .entry(uploaded.sha256.as_str().to_ascii_lowercase())
                        .or_default()
                        .insert(*customer);
                }
            }
            _ => {}
        }
    }

    /// The customers whose proposals have the blob `sha256` (hex) as their
    /// PDF, in order; empty when no proposal references it.
    pub fn blob_customers(&self, sha256: &str) -> Vec<CustomerId> {
        self.blob_customers
            .get(&sha256.to_ascii_lowercase())
            .map(|customers| customers.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The log position up to which the registry has applied records.
    pub fn position(&self) -> u64 {
        self.next_position
    }

    pub fn duplicates(&self) -> &DuplicateIndex {
        &self.duplicates
    }

    /// Every registered rep's routing profile, in stream order.
    pub fn rep_profiles(&self) -> Vec<RepProfile> {
        self.reps
            .values()
            .filter_map(|rep| rep.profile.clone())
            .collect()
    }

    /// The region `rep` is registered in, if registered.
    pub fn rep_region(&self, rep: RepId) -> Option<Region> {
        self.reps
            .get(&rep_stream_id(rep))
            .and_then(|rep| rep.profile.as_ref())
            .map(|profile| profile.region.clone())
    }

    /// Every customer's stream id, in order.
    pub fn customer_streams(&self) -> impl Iterator<Item = &str> {
        self.customer_streams.iter().map(String::as_str)
    }

    /// Every account stream (customers with success inputs), in order.
    pub fn account_streams(&self) -> impl Iterator<Item = &str> {
        self.account_streams.iter().map(String::as_str)
    }

    /// Every contract stream, in order.
    pub fn contract_streams(&self) -> impl Iterator<Item = &str> {
        self.contract_streams.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use salesledger_domain::proposal::{ProposalCreated, ProposalPdfUploaded};
    use salesledger_domain::value::{Email, Sha256Hex, Text};
    use uuid::Uuid;

    use super::*;

    fn created(proposal_id: ProposalId, customer_id: CustomerId) -> Event {
        Event::ProposalCreated(ProposalCreated {
            proposal_id,
            customer_id,
            contact_email: Email::parse("buyer@example.cn").expect("email"),
            title: Text::parse("方案").expect("title"),
            created_at: Utc
                .with_ymd_and_hms(2027, 3, 1, 2, 0, 0)
                .single()
                .expect("time"),
        })
    }

    fn pdf(proposal_id: ProposalId, sha256: &str) -> Event {
        Event::ProposalPdfUploaded(ProposalPdfUploaded {
            proposal_id,
            sha256: Sha256Hex::parse(sha256).expect("sha256"),
            watermark_email: Email::parse("buyer@example.cn").expect("email"),
            size_bytes: 10,
            uploaded_at: Utc
                .with_ymd_and_hms(2027, 3, 1, 3, 0, 0)
                .single()
                .expect("time"),
        })
    }

    #[test]
    fn a_blob_belongs_to_the_customers_of_the_proposals_whose_pdf_it_is() {
        let mut registry = Registry::default();
        let (first, second) = (
            CustomerId::from_uuid(Uuid::from_u128(1)),
            CustomerId::from_uuid(Uuid::from_u128(2)),
        );
        let (proposal_1, proposal_2, unknown) = (
            ProposalId::from_uuid(Uuid::from_u128(11)),
            ProposalId::from_uuid(Uuid::from_u128(12)),
            ProposalId::from_uuid(Uuid::from_u128(13)),
        );
        let shared = "ab".repeat(32);
        let only_first = "cd".repeat(32);
        for event in [
            created(proposal_1, first),
            created(proposal_2, second),
            pdf(proposal_2, &shared),
            pdf(proposal_1, &shared),
            pdf(proposal_1, &only_first),
            // A PDF of a proposal the log never created indexes nothing.
            pdf(unknown, &"ef".repeat(32)),
        ] {
            registry.index_blobs(&event);
        }
        assert_eq!(registry.blob_customers(&shared), vec![first, second]);
        assert_eq!(
            registry.blob_customers(&only_first.to_ascii_uppercase()),
            vec![first]
        );
        assert!(registry.blob_customers(&"ef".repeat(32)).is_empty());
        assert!(registry.blob_customers(&"00".repeat(32)).is_empty());
    }
}
