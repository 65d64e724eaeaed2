//! Requests recording process assets.

use super::*;
use salesledger_domain::asset;

// ---------------------------------------------------------------------------
// Process assets and the funnel
// ---------------------------------------------------------------------------

/// What kind of process asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcessAssetKind {
    Solution,
    ObjectionAnswer,
    WonDealAction,
}

impl From<ProcessAssetKind> for asset::ProcessAssetKind {
    fn from(kind: ProcessAssetKind) -> Self {
        match kind {
            ProcessAssetKind::Solution => asset::ProcessAssetKind::Solution,
            ProcessAssetKind::ObjectionAnswer => asset::ProcessAssetKind::ObjectionAnswer,
            ProcessAssetKind::WonDealAction => asset::ProcessAssetKind::WonDealAction,
        }
    }
}

/// A rep records a process asset (a solution, an objection answer, a key
/// won-deal action) for a customer.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordProcessAssetRequest {
    /// Optional client-chosen id of the new asset; the gateway uses it when
    /// present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccdd0002")]
    pub asset_id: Option<Uuid>,
    /// The customer (must exist).
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccddeeff")]
    pub customer_id: Uuid,
    /// The rep who authored it (a rep may only record its own).
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Uuid,
    /// What kind of asset.
    pub kind: ProcessAssetKind,
    /// Its title.
    #[schema(example = "三甲医院 HIS 对接方案（HL7 v2）")]
    pub title: String,
}

impl RecordProcessAssetRequest {
    pub fn into_command(self, asset_id: AssetId) -> Result<ProcessAssetCommand, DtoError> {
        Ok(ProcessAssetCommand::RecordProcessAsset {
            asset_id,
            customer_id: CustomerId::from_uuid(self.customer_id),
            rep_id: RepId::from_uuid(self.rep_id),
            kind: self.kind.into(),
            title: parse_value("title", &self.title, Text::parse)?,
        })
    }
}
