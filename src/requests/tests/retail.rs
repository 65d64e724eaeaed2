//! The retail requests' rows (`requests/retail.rs`): stores, SKUs,
//! members, promotions, the retail policy.
//!
//! `successes()` (realistic bodies and a check of the command each converts
//! to) is concatenated with the other aggregates' in `tests/mod.rs`; no
//! retail body is in the table of bad bodies yet.

use super::*;
use salesledger_domain::retail;

/// Realistic bodies and a check of the command each converts to.
pub(super) fn successes() -> Vec<Success> {
    vec![
        (
            "OpenStoreRequest",
            json!({"store": "S0001", "name": "人民路店", "region": "east", "format": "franchised", "opened_on": "2025-01-15"}),
            |command| {
                bind!(AnyCommand::Retail(RetailCommand::OpenStore(open)) = command);
                assert_eq!(open.store.as_str(), "S0001");
                assert_eq!(open.format, retail::StoreFormat::Franchised);
            },
        ),
        (
            "RegisterSkuRequest",
            json!({"sku": "SKU-NEW-1", "name": "燕麦拿铁", "category": "drinks", "new_product": true}),
            |command| {
                bind!(AnyCommand::Retail(RetailCommand::RegisterSku(register)) = command);
                assert_eq!(register.sku.as_str(), "SKU-NEW-1");
                assert!(register.new_product);
            },
        ),
        (
            "EnrollMemberRequest",
            json!({"member": "M000123", "home_store": "S0001", "display_name": "王芳", "enrolled_on": "2026-02-01"}),
            |command| {
                bind!(AnyCommand::Retail(RetailCommand::EnrollMember(enroll)) = command);
                assert_eq!(enroll.member.as_str(), "M000123");
                assert_eq!(enroll.home_store.as_str(), "S0001");
            },
        ),
        (
            "LaunchPromotionRequest",
            json!({"sku": "SKU-NEW-1", "name": "燕麦拿铁上市", "regions": ["west", "east"], "starts_on": "2026-06-01", "ends_on": "2026-08-31"}),
            |command| {
                bind!(AnyCommand::Retail(RetailCommand::LaunchPromotion(launch)) = command);
                assert_eq!(launch.promotion_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(launch.regions.len(), 2);
                assert_eq!(launch.launched_by, actor());
            },
        ),
        (
            "PublishRetailPolicyRequest",
            json!({"version": 2, "high_potential_avg_ticket_cents": 9000, "window_days": 60, "script_template": "Hello {member}"}),
            |command| {
                bind!(AnyCommand::Retail(RetailCommand::PublishRetailPolicy(publish)) = command);
                assert_eq!((publish.version, publish.window_days), (2, 60));
                assert_eq!(publish.published_by, actor());
            },
        ),
    ]
}
