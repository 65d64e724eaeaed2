//! The aggregates that can be read by id (`GET /v1/customers/{id}`,
//! `/v1/visits/{id}`, ...): each one's stream, how an answer names it, the
//! customer it belongs to, whose read scope decides who may read it, and
//! what an answer shows beyond the state's own fields.
//!
//! It imports no gateway module but the problem type and what the gateway
//! root shares (its state, `internal`): the read routes
//! ([`super::reads`]) answer with it, and the access checks
//! ([`super::auth::customer_of`]) find the customer of a proposal, nurture
//! pack, visit or contract through it, so neither imports the other.

use salesledger_domain::access::Resource;
use salesledger_domain::account::Account;
use salesledger_domain::asset::ProcessAsset;
use salesledger_domain::contract::Contract;
use salesledger_domain::customer::Customer;
use salesledger_domain::lead::Lead;
use salesledger_domain::nurture::NurturePack;
use salesledger_domain::proposal::Proposal;
use salesledger_domain::rep::Rep;
use salesledger_domain::stream::{
    account_stream_id, asset_stream_id, contract_stream_id, customer_stream_id, lead_stream_id,
    nurture_stream_id, proposal_stream_id, rep_stream_id, visit_stream_id,
};
use salesledger_domain::value::{
    AssetId, ContractId, CustomerId, LeadId, NurturePackId, ProposalId, RepId, VisitId,
};
use salesledger_domain::visit::Visit;
use salesledger_domain::Aggregate;
use serde::Serialize;
use uuid::Uuid;

use super::problem::ApiError;
use super::AppState;

/// An aggregate read by id: its stream, how an answer names it, and the
/// customer it belongs to, whose read scope decides who may read it.
pub(super) trait Readable: Aggregate + Serialize + Send + Sync + 'static {
    /// "no {WHAT} at {stream}" when missing or out of the caller's scope.
    const WHAT: &'static str;
    /// The part of the read scope that applies; `None`: any caller.
    const RESOURCE: Option<Resource>;
    fn stream_id(id: Uuid) -> String;
    /// The customer it belongs to (`id` is the path's).
    fn customer_of(&self, _id: Uuid) -> Option<CustomerId> {
        None
    }
    /// What the answer shows beyond the state's own fields.
    fn amend(
        &self,
        _fields: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), ApiError> {
        Ok(())
    }
}

/// The customer the aggregate `A` with this id belongs to, from its
/// folded state (`None` when it names none or does not exist): the one
/// answer of reads and of [`super::auth::customer_of`].
pub(super) async fn customer_in<A: Readable>(
    state: &AppState,
    id: Uuid,
) -> Result<Option<CustomerId>, ApiError> {
    let loaded = state.service.load::<A>(&A::stream_id(id)).await?;
    Ok(loaded.state.customer_of(id))
}

/// [`Readable`] of an aggregate: `readable!(Type, "its name",
/// Some(Resource::...) or None, stream_fn(IdType), |state, path id| its
/// customer)`.
macro_rules! readable {
    ($aggregate:ty, $what:literal, $resource:expr, $stream:ident($id:ident),
     |$state:pat_param, $path:pat_param| $customer:expr) => {
        impl Readable for $aggregate {
            const WHAT: &'static str = $what;
            const RESOURCE: Option<Resource> = $resource;
            fn stream_id(id: Uuid) -> String {
                $stream($id::from_uuid(id))
            }
            fn customer_of(&self, path_id: Uuid) -> Option<CustomerId> {
                let ($state, $path) = (self, path_id);
                $customer
            }
        }
    };
}

readable!(
    Customer,
    "customer",
    Some(Resource::Customer),
    customer_stream_id(CustomerId),
    |_, id| Some(CustomerId::from_uuid(id))
);
readable!(Lead, "lead", None, lead_stream_id(LeadId), |_, _| None);
readable!(Rep, "rep", None, rep_stream_id(RepId), |_, _| None);
readable!(
    Visit,
    "visit",
    Some(Resource::Visit),
    visit_stream_id(VisitId),
    |visit, _| visit.customer_id
);
readable!(
    NurturePack,
    "nurture pack",
    Some(Resource::NurturePack),
    nurture_stream_id(NurturePackId),
    |pack, _| pack.customer_id
);
readable!(
    Contract,
    "contract",
    Some(Resource::Contract),
    contract_stream_id(ContractId),
    |contract, _| contract.record.as_ref().map(|record| record.customer_id)
);
// A customer's account: its customer-success inputs, health level,
// call-back tasks, renewal-quoting freeze and rescue plans; `404` until
// the customer has a first input.
readable!(
    Account,
    "account",
    Some(Resource::Account),
    account_stream_id(CustomerId),
    |_, id| Some(CustomerId::from_uuid(id))
);
readable!(
    ProcessAsset,
    "process asset",
    Some(Resource::ProcessAsset),
    asset_stream_id(AssetId),
    |asset, _| asset.record.as_ref().map(|record| record.customer_id)
);

impl Readable for Proposal {
    const WHAT: &'static str = "proposal";
    const RESOURCE: Option<Resource> = Some(Resource::Proposal);
    fn stream_id(id: Uuid) -> String {
        proposal_stream_id(ProposalId::from_uuid(id))
    }
    fn customer_of(&self, _id: Uuid) -> Option<CustomerId> {
        self.customer_id
    }
    /// SPEC C6's names: pending_verification until 2 of 3 proofs, then
    /// delivered.
    fn amend(
        &self,
        fields: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), ApiError> {
        if let Some(status) = self.status() {
            let status = serde_json::to_value(status).map_err(super::internal)?;
            fields.insert("status".into(), status);
        }
        Ok(())
    }
}
