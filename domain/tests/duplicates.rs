//! C3: duplicate detection (撞单) on normalised name, unified social credit
//! code and phone, and registration requiring a clearance.

use salesledger_domain::customer::*;
use salesledger_domain::duplicate::*;
use salesledger_domain::error::DomainError;
use salesledger_domain::event::Event;
use salesledger_domain::lead::LeadRegistered;
use salesledger_domain::testing::given_no_events;
use salesledger_domain::value::*;

use crate::support::*;

fn registered(name: &str, code: Option<&str>, phone: Option<&str>) -> Event {
    Event::CustomerRegistered(CustomerRegistered {
        customer_id: customer_id(1),
        company_name: CompanyName::parse(name).expect("name"),
        unified_social_credit_code: code
            .map(|code| UnifiedSocialCreditCode::parse(code).expect("code")),
        phone: phone.map(|phone| Phone::parse(phone).expect("phone")),
        contact_email: None,
        attributes: CustomerAttributes::default(),
        registered_at: time("2027-01-04T09:00:00+08:00"),
    })
}

fn index_of(events: &[Event]) -> DuplicateIndex {
    let mut index = DuplicateIndex::new();
    for event in events {
        index.apply(event);
    }
    index
}

fn check(
    index: &DuplicateIndex,
    name: &str,
    code: Option<&str>,
    phone: Option<&str>,
) -> Vec<DuplicateMatch> {
    let name = CompanyName::parse(name).expect("name");
    let code = code.map(|code| UnifiedSocialCreditCode::parse(code).expect("code"));
    let phone = phone.map(|phone| Phone::parse(phone).expect("phone"));
    index.check(&DuplicateCandidate {
        company_name: &name,
        unified_social_credit_code: code.as_ref(),
        phone: phone.as_ref(),
        linked_customer: None,
    })
}

#[test]
fn duplicate_on_normalised_company_name() {
    let index = index_of(&[registered("ABC Medical Co., Ltd.", None, None)]);
    assert_eq!(
        check(&index, "ＡＢＣ　ｍｅｄｉｃａｌ　Ｉｎｃ．", None, None),
        vec![DuplicateMatch {
            existing: RecordRef::Customer(customer_id(1)),
            key: DuplicateKey::CompanyName("abcmedical".to_owned()),
        }]
    );
    assert!(check(&index, "ABC Dental Co., Ltd.", None, None).is_empty());
}

#[test]
fn duplicate_on_unified_social_credit_code() {
    let index = index_of(&[registered(
        "华为技术有限公司",
        Some("9144030071526726XG"),
        None,
    )]);
    let found = check(&index, "深圳某某科技", Some("9144030071526726xg"), None);
    assert_eq!(
        found,
        vec![DuplicateMatch {
            existing: RecordRef::Customer(customer_id(1)),
            key: DuplicateKey::UnifiedSocialCreditCode(
                UnifiedSocialCreditCode::parse("9144030071526726XG").expect("code")
            ),
        }]
    );
}

#[test]
fn duplicate_on_normalised_phone() {
    let index = index_of(&[registered(
        "宁波精工机械有限公司",
        None,
        Some("138 0013 8000"),
    )]);
    let found = check(&index, "甬城精工", None, Some("+86-138-0013-8000"));
    assert_eq!(
        found,
        vec![DuplicateMatch {
            existing: RecordRef::Customer(customer_id(1)),
            key: DuplicateKey::Phone(Phone::parse("13800138000").expect("phone")),
        }]
    );
}

#[test]
fn leads_are_indexed_and_a_lead_of_an_existing_customer_is_not_a_duplicate() {
    let lead = Event::LeadRegistered(LeadRegistered {
        lead_id: lead_id(9),
        company_name: CompanyName::parse("杭州仁和医院").expect("name"),
        unified_social_credit_code: None,
        phone: None,
        contact_email: None,
        attributes: CustomerAttributes::default(),
        customer_id: None,
        registered_by: actor("mkt-liu"),
        registered_at: time("2027-01-04T09:00:00+08:00"),
    });
    let index = index_of(&[registered("宁波精工机械有限公司", None, None), lead]);
    assert_eq!(
        check(&index, "杭州仁和医院", None, None)[0].existing,
        RecordRef::Lead(lead_id(9))
    );
    let name = CompanyName::parse("宁波精工机械股份有限公司").expect("name");
    let linked = DuplicateCandidate {
        company_name: &name,
        unified_social_credit_code: None,
        phone: None,
        linked_customer: Some(customer_id(1)),
    };
    assert!(
        index.check(&linked).is_empty(),
        "a new opportunity of customer 1"
    );
}

#[test]
fn registration_is_refused_on_a_duplicate_and_needs_a_matching_clearance() {
    let index = index_of(&[registered("宁波精工机械有限公司", None, None)]);
    let name = CompanyName::parse("宁波精工机械 有限公司").expect("name");
    let refused = index.clear(&DuplicateCandidate {
        company_name: &name,
        unified_social_credit_code: None,
        phone: None,
        linked_customer: None,
    });
    assert_eq!(
        refused,
        Err(DomainError::DuplicateRecord {
            existing: RecordRef::Customer(customer_id(1)),
            key: DuplicateKey::CompanyName("宁波精工机械".to_owned()),
        })
    );
    // a clearance issued for another name cannot register this one
    let other = CompanyName::parse("温州精密铸造").expect("name");
    let clearance = clearance_for(&index, &other, None, None, None);
    given_no_events::<Customer>()
        .when(
            CustomerCommand::Register(RegisterCustomer {
                customer_id: customer_id(2),
                company_name: name,
                unified_social_credit_code: None,
                phone: None,
                contact_email: None,
                attributes: CustomerAttributes::default(),
                duplicate_clearance: clearance.clone(),
            }),
            time("2027-01-05T09:00:00+08:00"),
        )
        .then_expect_error(DomainError::DuplicateClearanceMismatch);
    let (events, _) = given_no_events::<Customer>()
        .when(
            CustomerCommand::Register(RegisterCustomer {
                customer_id: customer_id(2),
                company_name: other,
                unified_social_credit_code: None,
                phone: None,
                contact_email: None,
                attributes: CustomerAttributes::default(),
                duplicate_clearance: clearance,
            }),
            time("2027-01-05T09:00:00+08:00"),
        )
        .events();
    assert_eq!(events.len(), 1);
}
