//! The lead requests' rows (`requests/lead.rs`): registration, budget and
//! technical-fit confirmation, routing, funnel stages; and the duplicate
//! check a lead registration runs against an existing customer.
//!
//! `successes()` (realistic bodies and a check of the command each converts
//! to) and `bad_bodies()` (bodies refused, with the error code and JSON path)
//! are concatenated with the other aggregates' in `tests/mod.rs`.

use super::*;
use salesledger_domain::{customer, lead};

/// Realistic bodies and a check of the command each converts to.
pub(super) fn successes() -> Vec<Success> {
    vec![
        (
            "RegisterLeadRequest",
            json!({
                "company_name": "Suzhou Precision Auto Parts Co., Ltd.",
                "unified_social_credit_code": "9144030071526726XG",
                "phone": "0512-6588 1234",
                "contact_email": "li.na@szpap.com",
                "attributes": {"industry": "汽车零部件", "compliance": "IATF16949"},
                "customer_id": CUSTOMER
            }),
            |command| {
                bind!(AnyCommand::Lead(LeadCommand::Register(register)) = command);
                assert_eq!(register.lead_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(register.registered_by, actor());
                assert_eq!(
                    register.customer_id.map(|id| id.as_uuid()),
                    Some(uuid(CUSTOMER))
                );
                assert_eq!(
                    register.phone.as_ref().map(|phone| phone.as_str()),
                    Some("051265881234")
                );
            },
        ),
        (
            "ConfirmLeadBudgetRequest",
            json!({"note": "客户确认 2027 年预算 380 万元"}),
            |command| {
                bind!(AnyCommand::Lead(LeadCommand::ConfirmBudget(confirm)) = command);
                assert_eq!(confirm.confirmed_by, actor());
                assert_eq!(
                    confirm.note.as_ref().map(|note| note.as_str()),
                    Some("客户确认 2027 年预算 380 万元")
                );
            },
        ),
        (
            "ConfirmLeadTechnicalFitRequest",
            json!({"note": null}),
            |command| {
                bind!(AnyCommand::Lead(LeadCommand::ConfirmTechnicalFit(confirm)) = command);
                assert_eq!(confirm.confirmed_by, actor());
                assert_eq!(confirm.note, None);
            },
        ),
        ("ProposeRoutingRequest", json!({}), |command| {
            bind!(AnyCommand::Lead(LeadCommand::ProposeRouting(propose)) = command);
            assert_eq!(propose.rule_set.version, 7);
        }),
        (
            "ConfirmRoutingRequest",
            json!({"rep_id": REP_2}),
            |command| {
                bind!(AnyCommand::Lead(LeadCommand::ConfirmRouting(confirm)) = command);
                assert_eq!(confirm.rep_id.as_uuid(), uuid(REP_2));
                assert_eq!(confirm.confirmed_by, actor());
            },
        ),
        (
            "AdvanceLeadStageRequest",
            json!({"stage": "lost", "reason": "选择了西门子"}),
            |command| {
                bind!(
                    AnyCommand::Lead(LeadCommand::AdvanceStage {
                        stage,
                        reason,
                        advanced_by,
                    }) = command
                );
                assert_eq!(stage, lead::FunnelStage::Lost);
                assert_eq!(reason.as_ref().map(|r| r.as_str()), Some("选择了西门子"));
                assert_eq!(advanced_by, actor());
            },
        ),
    ]
}

/// Bodies refused, with the error code and the JSON path it names.
#[rustfmt::skip] // one row per line, as a table
pub(super) fn bad_bodies() -> Vec<BadBody> {
    vec![
        // identity never comes from the body
        ("ConfirmLeadBudgetRequest", r#"{"confirmed_by": "someone.else"}"#.to_owned(), "unknown_field", "confirmed_by"),
        // invalid values (domain rules)
        ("RegisterLeadRequest", r#"{"company_name": "瑞康", "attributes": {"industry": ""}}"#.to_owned(), "invalid_attribute_value", "attributes.industry"),
        // the new inputs
        ("AdvanceLeadStageRequest", r#"{"stage": "closed"}"#.to_owned(), "wrong_type", "stage"),
        ("AdvanceLeadStageRequest", r#"{"stage": "won", "advanced_by": "x"}"#.to_owned(), "unknown_field", "advanced_by"),
    ]
}

/// Request types that need no field: an empty body is `{}`.
pub(super) const BODYLESS: &[&str] = &["ProposeRoutingRequest", "ConfirmLeadBudgetRequest"];

#[test]
fn a_duplicate_is_a_domain_error_naming_the_existing_record() {
    let mut index = DuplicateIndex::new();
    let existing: RegisterCustomerRequest = parse_body(
        r#"{"company_name": "杭州瑞康医疗器械有限公司", "phone": "13800138000"}"#.as_bytes(),
    )
    .expect("decodes");
    let existing_id = CustomerId::from_uuid(uuid(CUSTOMER));
    let CustomerCommand::Register(register) = existing
        .into_command(existing_id, |candidate| index.clear(candidate))
        .expect("first registration clears")
    else {
        panic!("not a registration")
    };
    index.apply(&salesledger_domain::event::Event::CustomerRegistered(
        customer::CustomerRegistered {
            customer_id: register.customer_id,
            company_name: register.company_name,
            unified_social_credit_code: None,
            phone: register.phone,
            contact_email: None,
            attributes: register.attributes,
            registered_at: time("2027-01-04T09:00:00+08:00"),
        },
    ));
    let same_company: RegisterLeadRequest =
        parse_body("{\"company_name\": \"杭州瑞康医疗器械 有限公司\"}".as_bytes())
            .expect("decodes");
    let error = same_company
        .into_command(LeadId::from_uuid(uuid(REP)), &actor(), |candidate| {
            index.clear(candidate)
        })
        .expect_err("a duplicate");
    assert_eq!(error.code(), "duplicate_record");
    assert!(matches!(
        error,
        DtoError::Domain(DomainError::DuplicateRecord { .. })
    ));

    let linked: RegisterLeadRequest = parse_body(
        format!(r#"{{"company_name": "杭州瑞康医疗器械有限公司", "customer_id": "{CUSTOMER}"}}"#)
            .as_bytes(),
    )
    .expect("decodes");
    assert!(
        linked
            .into_command(LeadId::from_uuid(uuid(REP)), &actor(), |candidate| index
                .clear(candidate))
            .is_ok(),
        "a lead of the existing customer is not its duplicate"
    );
}
