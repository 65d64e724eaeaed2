//! Requests addressed to reps: registration, capabilities, deactivation.

use super::*;
use salesledger_domain::rep;

// ---------------------------------------------------------------------------
// Reps
// ---------------------------------------------------------------------------

/// Registers a sales rep with a region and 3 to 5 capability tags.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRepRequest {
    /// Optional client-chosen id of the new rep; the gateway uses it when
    /// present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-112233445566")]
    pub rep_id: Option<Uuid>,
    /// The rep's name as shown to supervisors (1 to 20 000 characters).
    #[schema(example = "王晓明")]
    #[schema(min_length = 1, max_length = 20000)]
    pub display_name: String,
    /// The rep's sales region (1 to 64 characters).
    #[schema(example = "华东")]
    #[schema(min_length = 1, max_length = 64)]
    pub region: String,
    /// 3 to 5 distinct capability tags: 2 to 48 of `a-z 0-9 -`, lowercased.
    #[schema(example = json!(["iso13485", "tier3-hospital-his", "plc-retrofit"]))]
    #[schema(min_items = 3, max_items = 5)]
    pub capability_tags: Vec<String>,
}

impl RegisterRepRequest {
    pub fn into_command(self, rep_id: RepId) -> Result<RepCommand, DtoError> {
        Ok(RepCommand::Register(rep::RegisterRep {
            rep_id,
            display_name: parse_value("display_name", &self.display_name, Text::parse)?,
            region: parse_value("region", &self.region, Region::parse)?,
            capability_tags: parse_capability_tags("capability_tags", &self.capability_tags)?,
        }))
    }
}

/// Replaces a rep's capability tags.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRepCapabilitiesRequest {
    /// The new set of 3 to 5 distinct capability tags (replaces the old set).
    #[schema(example = json!(["iso13485", "automotive-grade-cert", "plc-retrofit", "iatf16949"]))]
    #[schema(min_items = 3, max_items = 5)]
    pub capability_tags: Vec<String>,
}

impl ChangeRepCapabilitiesRequest {
    pub fn into_command(self) -> Result<RepCommand, DtoError> {
        Ok(RepCommand::ChangeCapabilities(rep::ChangeRepCapabilities {
            capability_tags: parse_capability_tags("capability_tags", &self.capability_tags)?,
        }))
    }
}

/// Takes a rep out of routing. The body is `{}` (or empty).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeactivateRepRequest {}

impl DeactivateRepRequest {
    pub fn into_command(self) -> Result<RepCommand, DtoError> {
        Ok(RepCommand::Deactivate(rep::DeactivateRep {}))
    }
}
