//! Chain-store requests (SPEC C13).

use super::*;
use salesledger_domain::retail;

// ---------------------------------------------------------------------------
// Chain stores (SPEC C13, docs/design/chain-stores.md). `RecordPosSales`
// is the NDJSON route `POST /v1/pos/sales` (gateway::stores), not a JSON
// command route.
// ---------------------------------------------------------------------------

/// How a store is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StoreFormat {
    Direct,
    Franchised,
}

impl From<StoreFormat> for retail::StoreFormat {
    fn from(format: StoreFormat) -> Self {
        match format {
            StoreFormat::Direct => retail::StoreFormat::Direct,
            StoreFormat::Franchised => retail::StoreFormat::Franchised,
        }
    }
}

/// Headquarters opens (or takes into the system) a store in a region.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenStoreRequest {
    /// The store's code (1 to 64 of `A-Z a-z 0-9 . _ : -`), unique.
    #[schema(example = "S0001")]
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,64}$")]
    pub store: String,
    /// Its name.
    #[schema(example = "人民路店")]
    pub name: String,
    /// Its region.
    #[schema(example = "east")]
    pub region: String,
    /// Direct or franchised.
    pub format: StoreFormat,
    /// When it opened.
    #[schema(example = "2025-01-15")]
    pub opened_on: NaiveDate,
}

impl OpenStoreRequest {
    pub fn into_command(self) -> Result<RetailCommand, DtoError> {
        Ok(RetailCommand::OpenStore(retail::OpenStore {
            store: parse_value("store", &self.store, StoreCode::parse)?,
            name: parse_value("name", &self.name, Text::parse)?,
            region: parse_value("region", &self.region, Region::parse)?,
            format: self.format.into(),
            opened_on: self.opened_on,
        }))
    }
}

/// A SKU enters the catalogue with its category.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterSkuRequest {
    /// The SKU's code (1 to 64 of `A-Z a-z 0-9 . _ : -`), unique.
    #[schema(example = "SKU-0042")]
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,64}$")]
    pub sku: String,
    /// Its name.
    #[schema(example = "燕麦拿铁")]
    pub name: String,
    /// Its category.
    #[schema(example = "drinks")]
    pub category: String,
    /// A new product (the subject of promotions).
    pub new_product: bool,
}

impl RegisterSkuRequest {
    pub fn into_command(self) -> Result<RetailCommand, DtoError> {
        Ok(RetailCommand::RegisterSku(retail::RegisterSku {
            sku: parse_value("sku", &self.sku, SkuCode::parse)?,
            name: parse_value("name", &self.name, Text::parse)?,
            category: parse_value("category", &self.category, Text::parse)?,
            new_product: self.new_product,
        }))
    }
}

/// A loyalty member enrols at a home store (which must exist).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollMemberRequest {
    /// The member's card number (1 to 64 of `A-Z a-z 0-9 . _ : -`), unique.
    #[schema(example = "M000123")]
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,64}$")]
    pub member: String,
    /// The home store's code (must exist: `422 unknown_store`).
    #[schema(example = "S0001")]
    pub home_store: String,
    /// How the member is addressed.
    #[schema(example = "王芳")]
    pub display_name: String,
    /// When the member enrolled.
    #[schema(example = "2026-02-01")]
    pub enrolled_on: NaiveDate,
}

impl EnrollMemberRequest {
    /// `home_store_known`: whether the catalogue knows the home store.
    pub fn into_command(self, home_store_known: bool) -> Result<RetailCommand, DtoError> {
        Ok(RetailCommand::EnrollMember(retail::EnrollMember {
            member: parse_value("member", &self.member, MemberRef::parse)?,
            home_store: parse_value("home_store", &self.home_store, StoreCode::parse)?,
            display_name: parse_value("display_name", &self.display_name, Text::parse)?,
            enrolled_on: self.enrolled_on,
            home_store_known,
        }))
    }
}

/// Headquarters launches a promotion of a product in some regions, dates
/// inclusive; answers the `promotion_id`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchPromotionRequest {
    /// Optional client-chosen id of the promotion; the gateway uses it when
    /// present and generates a UUIDv7 otherwise.
    #[schema(example = "0192f0a4-5b6c-7d8e-9f00-aabbccdd0003")]
    pub promotion_id: Option<Uuid>,
    /// The promoted SKU (must exist: `422 unknown_sku`).
    #[schema(example = "SKU-NEW-1")]
    pub sku: String,
    /// The promotion's name.
    #[schema(example = "燕麦拿铁上市")]
    pub name: String,
    /// Target regions (at least one; each must have a store:
    /// `422 region_without_stores`).
    #[schema(example = json!(["east"]))]
    pub regions: Vec<String>,
    /// First day (store-local), inclusive.
    #[schema(example = "2026-06-01")]
    pub starts_on: NaiveDate,
    /// Last day (store-local), inclusive; not before `starts_on`.
    #[schema(example = "2026-08-31")]
    pub ends_on: NaiveDate,
}

impl LaunchPromotionRequest {
    /// `catalogue`: the known SKUs and the regions with a store.
    pub fn into_command(
        self,
        promotion_id: PromotionId,
        launched_by: &ActorId,
        catalogue: &retail::Catalogue,
    ) -> Result<RetailCommand, DtoError> {
        let sku = parse_value("sku", &self.sku, SkuCode::parse)?;
        let regions = parse_each("regions", &self.regions, Region::parse)?;
        Ok(RetailCommand::LaunchPromotion(retail::LaunchPromotion {
            promotion_id,
            sku_known: catalogue.has_sku(sku.as_str()),
            sku,
            name: parse_value("name", &self.name, Text::parse)?,
            regions,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            launched_by: launched_by.clone(),
            store_regions: catalogue.store_regions(),
        }))
    }
}

/// Publishes the retail policy: the high-potential threshold, its window
/// and the suggested script (versions strictly increase).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRetailPolicyRequest {
    /// Strictly greater than the last published version (from 1).
    #[schema(example = 1)]
    pub version: u32,
    /// A store is high potential when its average ticket over the window
    /// exceeds this (cents; default 8,500).
    #[schema(example = 8500)]
    pub high_potential_avg_ticket_cents: u64,
    /// The window in days, ending at the store's latest sale day (1 to 1,100; default 90).
    #[schema(example = 90)]
    #[schema(minimum = 1, maximum = 1100)]
    pub window_days: u32,
    /// The script, with placeholders `{member}`, `{store}`, `{slot}`, `{categories}`.
    #[schema(example = "Hello {member}, thank you for shopping at {store}.")]
    pub script_template: String,
}

impl PublishRetailPolicyRequest {
    pub fn into_command(self, published_by: &ActorId) -> Result<RetailCommand, DtoError> {
        Ok(RetailCommand::PublishRetailPolicy(
            retail::PublishRetailPolicy {
                version: self.version,
                high_potential_avg_ticket_cents: self.high_potential_avg_ticket_cents,
                window_days: self.window_days,
                script_template: parse_value(
                    "script_template",
                    &self.script_template,
                    Text::parse,
                )?,
                published_by: published_by.clone(),
            },
        ))
    }
}
