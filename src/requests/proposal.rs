//! Requests addressed to proposals: creation, the PDF, email receipts, link opens.

use super::*;
use salesledger_domain::proposal;

// ---------------------------------------------------------------------------
// Proposals
// ---------------------------------------------------------------------------

/// Creates a proposal; it stays `pending_verification` until 2 of 3 proofs.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProposalRequest {
    /// Optional client-chosen id of the new proposal; the gateway uses it
    /// when present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-66778899aabb")]
    pub proposal_id: Option<Uuid>,
    /// The customer the proposal is for.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccddeeff")]
    pub customer_id: Uuid,
    /// The contact's e-mail: the PDF watermark and the delivery receipt must
    /// carry it.
    #[schema(example = "purchasing@ruikang-med.cn")]
    pub contact_email: String,
    /// Title of the proposal.
    #[schema(example = "手术室设备升级方案 v2")]
    pub title: String,
}

impl CreateProposalRequest {
    pub fn into_command(self, proposal_id: ProposalId) -> Result<ProposalCommand, DtoError> {
        Ok(ProposalCommand::Create(proposal::CreateProposal {
            proposal_id,
            customer_id: CustomerId::from_uuid(self.customer_id),
            contact_email: parse_value("contact_email", &self.contact_email, Email::parse)?,
            title: parse_value("title", &self.title, Text::parse)?,
        }))
    }
}

/// Records the proposal PDF as evidence (proof a). The PDF itself is
/// uploaded first to the blob store; this request names it by its SHA-256.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordProposalPdfRequest {
    /// SHA-256 (64 hex characters) of the uploaded PDF blob.
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    #[schema(pattern = r"^[0-9a-fA-F]{64}$")]
    pub sha256: String,
    /// The e-mail address carried by the PDF's watermark; must be the
    /// proposal's contact e-mail.
    #[schema(example = "purchasing@ruikang-med.cn")]
    pub watermark_email: String,
}

impl RecordProposalPdfRequest {
    /// The blob's digest, parsed, so the gateway can look the blob up
    /// before converting (an unknown blob is the gateway's 4xx).
    pub fn blob_sha256(&self) -> Result<Sha256Hex, DtoError> {
        parse_value("sha256", &self.sha256, Sha256Hex::parse)
    }

    /// `stored_size_bytes` is the size of the stored blob, from the blob
    /// store (never from the body).
    pub fn into_command(self, stored_size_bytes: u64) -> Result<ProposalCommand, DtoError> {
        Ok(ProposalCommand::RecordPdf(proposal::RecordProposalPdf {
            sha256: self.blob_sha256()?,
            watermark_email: parse_value("watermark_email", &self.watermark_email, Email::parse)?,
            size_bytes: stored_size_bytes,
        }))
    }
}

/// Records an e-mail delivery receipt as evidence (proof b).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordEmailDeliveryReceiptRequest {
    /// The message id from the mail server's receipt.
    #[schema(example = "<20270316.8812@mail.salesledger.example>")]
    pub message_id: String,
    /// The recipient the mail was delivered to; must be the contact e-mail.
    #[schema(example = "purchasing@ruikang-med.cn")]
    pub recipient: String,
    /// When the mail was delivered (RFC 3339); at most the server's future
    /// margin (10 minutes by default) ahead of its clock.
    #[schema(example = "2027-03-16T09:12:00+08:00")]
    pub delivered_at: DateTime<Utc>,
}

impl RecordEmailDeliveryReceiptRequest {
    pub fn into_command(self) -> Result<ProposalCommand, DtoError> {
        Ok(ProposalCommand::RecordEmailDeliveryReceipt(
            proposal::RecordEmailDeliveryReceipt {
                message_id: parse_value("message_id", &self.message_id, Text::parse)?,
                recipient: parse_value("recipient", &self.recipient, Email::parse)?,
                delivered_at: self.delivered_at,
            },
        ))
    }
}

/// Records that the proposal link was opened (proof c; counts only after
/// tracking consent).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordLinkOpenedRequest {
    /// When the link was opened (RFC 3339); at most the server's future
    /// margin (10 minutes by default) ahead of its clock.
    #[schema(example = "2027-03-16T10:02:11+08:00")]
    pub opened_at: DateTime<Utc>,
    /// The opener's IPv4 or IPv6 address.
    #[schema(example = "116.228.111.18")]
    pub ip_address: String,
    /// Coarse location derived from the IP (city level).
    #[schema(example = "上海市")]
    pub coarse_location: String,
}

impl RecordLinkOpenedRequest {
    /// `tracking_consent_recorded_at` is the customer's consent time, read
    /// from the customer aggregate (never from the body).
    pub fn into_command(
        self,
        tracking_consent_recorded_at: Option<DateTime<Utc>>,
    ) -> Result<ProposalCommand, DtoError> {
        Ok(ProposalCommand::RecordLinkOpened(
            proposal::RecordLinkOpened {
                opened_at: self.opened_at,
                ip_address: parse_value("ip_address", &self.ip_address, IpAddress::parse)?,
                coarse_location: parse_value(
                    "coarse_location",
                    &self.coarse_location,
                    Text::parse,
                )?,
                tracking_consent_recorded_at,
            },
        ))
    }
}
