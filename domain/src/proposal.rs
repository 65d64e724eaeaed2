//! The proposal aggregate (SPEC C6): a proposal stays
//! `pending_verification` until at least 2 of 3 proofs are recorded, then it
//! is `delivered`, by an event.
//!
//! Proofs: (a) a PDF whose watermark carries the contact's e-mail (the blob
//! is stored content-addressed elsewhere; the event carries its SHA-256),
//! (b) an e-mail delivery receipt to the contact, (c) a link open with IP and
//! coarse location, which counts only if the customer's tracking consent was
//! recorded before the open.
//!
//! Decision on (c) without prior consent: the open is recorded as
//! `ProposalLinkOpenedWithoutConsent`, carrying only its time (no IP, no
//! location: without consent we keep no tracking data), and it never counts
//! as a proof. Stream `proposal-<uuid>`. Knows nothing of blob storage or
//! mail servers: the command layer hands in the facts.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::error::{AggregateKind, DomainError};
use crate::event::Event;
use crate::value::{CustomerId, Email, IpAddress, ProposalId, Sha256Hex, Text};

/// The three kinds of delivery proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofKind {
    WatermarkedPdf,
    EmailDeliveryReceipt,
    LinkOpened,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    PendingVerification,
    Delivered,
}

/// How many distinct proofs make a proposal delivered.
pub const PROOFS_REQUIRED: usize = 2;

/// State of one proposal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub proposal_id: Option<ProposalId>,
    pub customer_id: Option<CustomerId>,
    pub contact_email: Option<Email>,
    pub proofs: BTreeSet<ProofKind>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl Proposal {
    pub fn status(&self) -> Option<ProposalStatus> {
        self.proposal_id?;
        Some(if self.delivered_at.is_some() {
            ProposalStatus::Delivered
        } else {
            ProposalStatus::PendingVerification
        })
    }

    fn contact(&self) -> Result<(ProposalId, &Email), DomainError> {
        match (self.proposal_id, self.contact_email.as_ref()) {
            (Some(proposal_id), Some(email)) => Ok((proposal_id, email)),
            _ => Err(DomainError::NotFound {
                aggregate: AggregateKind::Proposal,
            }),
        }
    }

    /// The evidence event, followed by `ProposalDelivered` when this proof
    /// is the one that completes 2 of 3.
    fn with_delivery(&self, proof: ProofKind, evidence: Event, now: DateTime<Utc>) -> Vec<Event> {
        let mut events = vec![evidence];
        if self.delivered_at.is_some() {
            return events;
        }
        let mut proofs = self.proofs.clone();
        proofs.insert(proof);
        if proofs.len() >= PROOFS_REQUIRED {
            if let Some(proposal_id) = self.proposal_id {
                events.push(Event::ProposalDelivered(ProposalDelivered {
                    proposal_id,
                    proofs: proofs.into_iter().collect(),
                    delivered_at: now,
                }));
            }
        }
        events
    }
}

// ---- commands ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateProposal {
    pub proposal_id: ProposalId,
    pub customer_id: CustomerId,
    pub contact_email: Email,
    pub title: Text,
}

/// A PDF was stored; its watermark was read by the command layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProposalPdf {
    pub sha256: Sha256Hex,
    pub watermark_email: Email,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEmailDeliveryReceipt {
    pub message_id: Text,
    pub recipient: Email,
    pub delivered_at: DateTime<Utc>,
}

/// The proposal link was opened. `tracking_consent_recorded_at` is the
/// customer's consent time, from the customer aggregate, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLinkOpened {
    pub opened_at: DateTime<Utc>,
    pub ip_address: IpAddress,
    pub coarse_location: Text,
    pub tracking_consent_recorded_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposalCommand {
    Create(CreateProposal),
    RecordPdf(RecordProposalPdf),
    RecordEmailDeliveryReceipt(RecordEmailDeliveryReceipt),
    RecordLinkOpened(RecordLinkOpened),
}

// ---- events ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalCreated {
    pub proposal_id: ProposalId,
    pub customer_id: CustomerId,
    pub contact_email: Email,
    pub title: Text,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalPdfUploaded {
    pub proposal_id: ProposalId,
    pub sha256: Sha256Hex,
    pub watermark_email: Email,
    pub size_bytes: u64,
    pub uploaded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalEmailDelivered {
    pub proposal_id: ProposalId,
    pub message_id: Text,
    pub recipient: Email,
    pub delivered_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalLinkOpened {
    pub proposal_id: ProposalId,
    pub opened_at: DateTime<Utc>,
    pub ip_address: IpAddress,
    pub coarse_location: Text,
    pub tracking_consent_recorded_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

/// An open without prior consent: recorded, no tracking data, never a proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalLinkOpenedWithoutConsent {
    pub proposal_id: ProposalId,
    pub opened_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalDelivered {
    pub proposal_id: ProposalId,
    pub proofs: Vec<ProofKind>,
    pub delivered_at: DateTime<Utc>,
}

impl crate::business_time::BusinessTimes for ProposalCommand {
    fn business_times(&self) -> Vec<crate::business_time::BusinessTime> {
        use crate::business_time::BusinessTime;
        match self {
            ProposalCommand::Create(CreateProposal {
                proposal_id: _,
                customer_id: _,
                contact_email: _,
                title: _,
            })
            | ProposalCommand::RecordPdf(RecordProposalPdf {
                sha256: _,
                watermark_email: _,
                size_bytes: _,
            }) => Vec::new(),
            ProposalCommand::RecordEmailDeliveryReceipt(RecordEmailDeliveryReceipt {
                message_id: _,
                recipient: _,
                delivered_at,
            }) => vec![BusinessTime::new("delivered_at", *delivered_at)],
            // The consent time is read from the customer's stream (the
            // log), not asserted by the caller.
            ProposalCommand::RecordLinkOpened(RecordLinkOpened {
                opened_at,
                ip_address: _,
                coarse_location: _,
                tracking_consent_recorded_at: _,
            }) => vec![BusinessTime::new("opened_at", *opened_at)],
        }
    }
}

impl Aggregate for Proposal {
    type Command = ProposalCommand;

    fn command_kind(command: &ProposalCommand) -> crate::role::CommandKind {
        command.kind()
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::ProposalCreated(created) => {
                self.proposal_id = Some(created.proposal_id);
                self.customer_id = Some(created.customer_id);
                self.contact_email = Some(created.contact_email.clone());
            }
            Event::ProposalPdfUploaded(_) => {
                self.proofs.insert(ProofKind::WatermarkedPdf);
            }
            Event::ProposalEmailDelivered(_) => {
                self.proofs.insert(ProofKind::EmailDeliveryReceipt);
            }
            Event::ProposalLinkOpened(_) => {
                self.proofs.insert(ProofKind::LinkOpened);
            }
            Event::ProposalDelivered(delivered) => {
                self.delivered_at = Some(delivered.delivered_at);
            }
            _ => {}
        }
    }

    fn decide(
        &self,
        command: ProposalCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        match command {
            ProposalCommand::Create(create) => {
                if self.proposal_id.is_some() {
                    return Err(DomainError::AlreadyExists {
                        aggregate: AggregateKind::Proposal,
                    });
                }
                Ok(vec![Event::ProposalCreated(ProposalCreated {
                    proposal_id: create.proposal_id,
                    customer_id: create.customer_id,
                    contact_email: create.contact_email,
                    title: create.title,
                    created_at: now,
                })])
            }
            ProposalCommand::RecordPdf(pdf) => {
                let (proposal_id, contact_email) = self.contact()?;
                if &pdf.watermark_email != contact_email {
                    return Err(DomainError::WatermarkEmailMismatch {
                        expected: contact_email.to_string(),
                        found: pdf.watermark_email.to_string(),
                    });
                }
                let evidence = Event::ProposalPdfUploaded(ProposalPdfUploaded {
                    proposal_id,
                    sha256: pdf.sha256,
                    watermark_email: pdf.watermark_email,
                    size_bytes: pdf.size_bytes,
                    uploaded_at: now,
                });
                Ok(self.with_delivery(ProofKind::WatermarkedPdf, evidence, now))
            }
            ProposalCommand::RecordEmailDeliveryReceipt(receipt) => {
                let (proposal_id, contact_email) = self.contact()?;
                if &receipt.recipient != contact_email {
                    return Err(DomainError::ReceiptRecipientMismatch {
                        expected: contact_email.to_string(),
                        found: receipt.recipient.to_string(),
                    });
                }
                let evidence = Event::ProposalEmailDelivered(ProposalEmailDelivered {
                    proposal_id,
                    message_id: receipt.message_id,
                    recipient: receipt.recipient,
                    delivered_at: receipt.delivered_at,
                    recorded_at: now,
                });
                Ok(self.with_delivery(ProofKind::EmailDeliveryReceipt, evidence, now))
            }
            ProposalCommand::RecordLinkOpened(opened) => {
                let (proposal_id, _) = self.contact()?;
                match opened.tracking_consent_recorded_at {
                    Some(consent_at) if consent_at < opened.opened_at => {
                        let evidence = Event::ProposalLinkOpened(ProposalLinkOpened {
                            proposal_id,
                            opened_at: opened.opened_at,
                            ip_address: opened.ip_address,
                            coarse_location: opened.coarse_location,
                            tracking_consent_recorded_at: consent_at,
                            recorded_at: now,
                        });
                        Ok(self.with_delivery(ProofKind::LinkOpened, evidence, now))
                    }
                    _ => Ok(vec![Event::ProposalLinkOpenedWithoutConsent(
                        ProposalLinkOpenedWithoutConsent {
                            proposal_id,
                            opened_at: opened.opened_at,
                            recorded_at: now,
                        },
                    )]),
                }
            }
        }
    }
}
