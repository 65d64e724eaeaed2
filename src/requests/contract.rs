//! Requests addressed to contracts and their receivables.

use super::*;

// ---------------------------------------------------------------------------
// Contracts and receivables
// ---------------------------------------------------------------------------

/// A payment term.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstalmentInput {
    /// Due day (`YYYY-MM-DD`), not before the signing day nor the previous
    /// instalment's.
    #[schema(example = "2027-06-30")]
    pub due_on: NaiveDate,
    /// Amount in fen (0.01 CNY): 1 to 10^13 (100 billion CNY).
    #[schema(example = 12_000_000, minimum = 1, maximum = 10_000_000_000_000.0)]
    pub amount_fen: u64,
}

/// Records a signed contract with its payment terms.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignContractRequest {
    /// Optional client-chosen id of the new contract; the gateway uses it
    /// when present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccdd0001")]
    pub contract_id: Option<Uuid>,
    /// The customer (must exist).
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccddeeff")]
    pub customer_id: Uuid,
    /// The rep credited with the contract (a rep may only sign as itself).
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Uuid,
    /// The signing day (`YYYY-MM-DD`).
    #[schema(example = "2027-03-15")]
    pub signed_on: NaiveDate,
    /// 1 to 60 instalments, in due order.
    #[schema(min_items = 1, max_items = 60)]
    pub instalments: Vec<InstalmentInput>,
}

impl SignContractRequest {
    pub fn into_command(self, contract_id: ContractId) -> Result<ContractCommand, DtoError> {
        Ok(ContractCommand::SignContract {
            contract_id,
            customer_id: CustomerId::from_uuid(self.customer_id),
            rep_id: RepId::from_uuid(self.rep_id),
            signed_on: self.signed_on,
            instalments: each_item("instalments", self.instalments, |at, term| {
                Ok(InstalmentTerm {
                    due_on: term.due_on,
                    amount_fen: parse_amount(&format!("{at}.amount_fen"), term.amount_fen)?,
                })
            })?,
        })
    }
}

/// Records a payment received on a contract (allocated to the oldest
/// instalment first; a periodic input, see also `POST /v1/ingest/payments`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordPaymentRequest {
    /// The bank transaction or receipt number, new on this contract: 1 to
    /// 64 of `A-Z a-z 0-9 . _ : -`.
    #[schema(example = "ICBC-20270331-778812")]
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,64}$")]
    pub payment_ref: String,
    /// Amount in fen (0.01 CNY): 1 to 10^13 (100 billion CNY) and at most
    /// what is outstanding.
    #[schema(example = 12_000_000, minimum = 1, maximum = 10_000_000_000_000.0)]
    pub amount_fen: u64,
    /// The day the money arrived (`YYYY-MM-DD`).
    #[schema(example = "2027-03-31")]
    pub received_on: NaiveDate,
}

impl RecordPaymentRequest {
    pub fn into_command(self) -> Result<ContractCommand, DtoError> {
        Ok(ContractCommand::RecordPayment {
            payment_ref: parse_value("payment_ref", &self.payment_ref, PaymentRef::parse)?,
            amount_fen: parse_amount("amount_fen", self.amount_fen)?,
            received_on: self.received_on,
        })
    }
}
