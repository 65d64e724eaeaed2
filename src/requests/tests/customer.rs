//! The customer requests' rows (`requests/customer.rs`): registration,
//! attributes, the pool (claim, transfer, release, recall, follow-ups, day
//! close), tracking consent and stance.
//!
//! `successes()` (realistic bodies and a check of the command each converts
//! to) and `bad_bodies()` (bodies refused, with the error code and JSON path)
//! are concatenated with the other aggregates' in `tests/mod.rs`.

use super::*;
use salesledger_domain::customer;

/// Realistic bodies and a check of the command each converts to.
pub(super) fn successes() -> Vec<Success> {
    vec![
        (
            "RegisterCustomerRequest",
            json!({
                "company_name": "杭州瑞康医疗器械有限公司",
                "unified_social_credit_code": "91350100m000100y43",
                "phone": "+86 138-0013-8000",
                "contact_email": "Purchasing@RuiKang-Med.cn",
                "attributes": {"industry": "三甲医院", "Compliance": "ISO 13485:2016", "region": "华东"}
            }),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::Register(register)) = command);
                assert_eq!(register.customer_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(register.company_name.as_str(), "杭州瑞康医疗器械有限公司");
                assert_eq!(
                    register
                        .unified_social_credit_code
                        .as_ref()
                        .map(|code| code.as_str()),
                    Some("91350100M000100Y43")
                );
                assert_eq!(
                    register.phone.as_ref().map(|phone| phone.as_str()),
                    Some("13800138000")
                );
                assert_eq!(
                    register.contact_email.as_ref().map(|email| email.as_str()),
                    Some("purchasing@ruikang-med.cn")
                );
                assert_eq!(register.attributes.len(), 3);
                assert_eq!(
                    register
                        .attributes
                        .get("compliance")
                        .map(|value| value.as_str()),
                    Some("ISO 13485:2016")
                );
            },
        ),
        (
            "RegisterCustomerRequest",
            json!({"customer_id": CUSTOMER, "company_name": "Northwind Medical Devices Ltd."}),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::Register(register)) = command);
                assert_eq!(register.unified_social_credit_code, None);
                assert_eq!(register.phone, None);
                assert!(register.attributes.is_empty());
            },
        ),
        (
            "SetCustomerAttributesRequest",
            json!({"attributes": {"industry": "automotive", "compliance": "IATF16949", "decision_chain": "厂长 -> 财务总监"}}),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::SetAttributes(set)) = command);
                assert_eq!(
                    set.attributes
                        .get("decision_chain")
                        .map(|value| value.as_str()),
                    Some("厂长 -> 财务总监")
                );
            },
        ),
        ("ClaimCustomerRequest", json!({"rep_id": REP}), |command| {
            bind!(AnyCommand::Customer(CustomerCommand::Claim(claim)) = command);
            assert_eq!(claim.rep_id.as_uuid(), uuid(REP));
            assert_eq!(claim.policy, PoolPolicy::default_v1());
        }),
        (
            "TransferCustomerRequest",
            json!({"to_rep_id": REP_2, "reason": "原负责人调岗至华南区"}),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::Transfer(transfer)) = command);
                assert_eq!(transfer.to_rep_id.as_uuid(), uuid(REP_2));
                assert_eq!(transfer.transferred_by, actor());
                assert_eq!(transfer.reason.as_str(), "原负责人调岗至华南区");
            },
        ),
        (
            "ReleaseCustomerRequest",
            json!({"rep_id": REP}),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::Release(release)) = command);
                assert_eq!(release.rep_id.as_uuid(), uuid(REP));
            },
        ),
        (
            "RecallCustomerToPoolRequest",
            json!({"reason": "  No follow-up recorded since the trade fair  "}),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::RecallToPool(recall)) = command);
                assert_eq!(recall.recalled_by, actor());
                assert_eq!(
                    recall.reason.as_str(),
                    "No follow-up recorded since the trade fair"
                );
            },
        ),
        (
            "RecordFollowUpRequest",
            json!({"rep_id": REP, "kind": "call", "occurred_at": "2027-03-15T10:30:00+08:00", "visit_id": VISIT}),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::RecordFollowUp(follow_up)) = command);
                assert_eq!(follow_up.kind, customer::FollowUpKind::Call);
                assert_eq!(follow_up.occurred_at, time("2027-03-15T02:30:00Z"));
                assert_eq!(follow_up.visit_id.map(|id| id.as_uuid()), Some(uuid(VISIT)));
            },
        ),
        ("CloseDayRequest", json!({}), |command| {
            bind!(AnyCommand::Customer(CustomerCommand::CloseDay(close)) = command);
            assert_eq!(close.day, date("2027-03-31"));
        }),
        (
            "RecordTrackingConsentRequest",
            json!({"consent_text": "本人同意贵司记录方案链接的打开时间、IP 及大致位置，用于交付确认。"}),
            |command| {
                bind!(
                    AnyCommand::Customer(CustomerCommand::RecordTrackingConsent(consent)) = command
                );
                assert!(consent.consent_text.as_str().starts_with("本人同意"));
            },
        ),
        ("WithdrawTrackingConsentRequest", json!({}), |command| {
            assert!(matches!(
                command,
                AnyCommand::Customer(CustomerCommand::WithdrawTrackingConsent(_))
            ));
        }),
        (
            "RecordCustomerStanceRequest",
            json!({"stance": "still_comparing", "visit_id": VISIT}),
            |command| {
                bind!(AnyCommand::Customer(CustomerCommand::RecordStance(stance)) = command);
                assert_eq!(stance.stance, customer::CustomerStance::StillComparing);
                assert_eq!(stance.recorded_by, actor());
            },
        ),
    ]
}

/// Bodies refused, with the error code and the JSON path it names.
#[rustfmt::skip] // one row per line, as a table
pub(super) fn bad_bodies() -> Vec<BadBody> {
    vec![
        // unknown fields, also on empty and nested requests
        ("ClaimCustomerRequest", format!(r#"{{"rep_id": "{REP}", "owner": "me"}}"#), "unknown_field", "owner"),
        // identity never comes from the body
        ("TransferCustomerRequest", format!(r#"{{"to_rep_id": "{REP}", "reason": "r", "transferred_by": "x"}}"#), "unknown_field", "transferred_by"),
        // missing fields
        ("ClaimCustomerRequest", "{}".to_owned(), "missing_field", "rep_id"),
        // wrong types
        ("ClaimCustomerRequest", r#"{"rep_id": 42}"#.to_owned(), "wrong_type", "rep_id"),
        ("SetCustomerAttributesRequest", r#"{"attributes": {"size": 500}}"#.to_owned(), "wrong_type", "attributes.size"),
        // strings that are not UUIDs or times
        ("ClaimCustomerRequest", r#"{"rep_id": "not-a-uuid"}"#.to_owned(), "invalid_body", "rep_id"),
        ("RecordFollowUpRequest", format!(r#"{{"rep_id": "{REP}", "kind": "call", "occurred_at": "yesterday"}}"#), "invalid_body", "occurred_at"),
        // invalid values (domain rules)
        ("RegisterCustomerRequest", r#"{"company_name": "瑞康", "unified_social_credit_code": "91350100M000100Y44"}"#.to_owned(), "invalid_unified_social_credit_code", "unified_social_credit_code"),
        ("RegisterCustomerRequest", r#"{"company_name": "瑞康", "contact_email": "purchasing.ruikang-med.cn"}"#.to_owned(), "invalid_email", "contact_email"),
        ("RegisterCustomerRequest", r#"{"company_name": "瑞康", "phone": "138 0013 800"}"#.to_owned(), "invalid_phone", "phone"),
        ("RegisterCustomerRequest", r#"{"company_name": "（——）"}"#.to_owned(), "invalid_company_name", "company_name"),
        ("RegisterCustomerRequest", r#"{"company_name": "瑞康", "attributes": {"Decision Chain": "CFO"}}"#.to_owned(), "invalid_attribute_key", "attributes.Decision Chain"),
        ("SetCustomerAttributesRequest", r#"{"attributes": {"industry": "a", "INDUSTRY": "b"}}"#.to_owned(), "invalid_attribute_key", "attributes.industry"),
        (
            "SetCustomerAttributesRequest",
            json!({"attributes": (0..13).map(|n| (format!("k{n}"), "v".to_owned())).collect::<BTreeMap<_, _>>()}).to_string(),
            "too_many_attributes",
            "attributes",
        ),
    ]
}

/// Request types that need no field: an empty body is `{}`.
pub(super) const BODYLESS: &[&str] = &["CloseDayRequest", "WithdrawTrackingConsentRequest"];
