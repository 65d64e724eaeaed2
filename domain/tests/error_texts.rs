//! What an error says reaches people (problem details, CLI messages):
//! every id and value is written plainly, never as Rust debug text such
//! as `RepId(...)`, `Customer(CustomerId(...))`, `CompanyName("...")`,
//! `Some(...)` or `[...]`.

use chrono::NaiveDate;
use salesledger_domain::duplicate::{DuplicateKey, RecordRef};
use salesledger_domain::error::{AggregateKind, ValueKind};
use salesledger_domain::lead::{FunnelStage, LeadConfirmation};
use salesledger_domain::value::{
    CallbackTaskId, CustomerId, LeadId, Phone, QuoteId, Region, RepId, RescuePlanId, SkuCode,
    StoreCode, TicketRef, UnifiedSocialCreditCode,
};
use salesledger_domain::{CommandKind, DomainError, Role};
use uuid::Uuid;

/// The first piece of debug formatting in `text`: an identifier starting
/// with a capital followed by `(` (`RepId(`, `Some(`), `None`, a quoted
/// debug string or a bracketed list.
fn debug_text(text: &str) -> Option<String> {
    let characters: Vec<char> = text.chars().collect();
    for (index, character) in characters.iter().enumerate() {
        if *character == '(' {
            let mut start = index;
            while start > 0 && characters[start - 1].is_ascii_alphanumeric() {
                start -= 1;
            }
            if start < index && characters[start].is_ascii_uppercase() {
                return Some(characters[start..=index].iter().collect());
            }
        }
        if matches!(character, '[' | ']' | '"' | '{' | '}') {
            return Some(character.to_string());
        }
    }
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .find(|word| *word == "None")
        .map(str::to_owned)
}

fn rep(n: u128) -> RepId {
    RepId::from_uuid(Uuid::from_u128(0x0192f0a4_0000_7000_8000_000000000000 + n))
}

fn customer() -> CustomerId {
    CustomerId::from_uuid(Uuid::from_u128(0x0192f0a4_0000_7000_8000_0000000000c1))
}

fn errors() -> Vec<DomainError> {
    let day = NaiveDate::from_ymd_opt(2027, 3, 15).expect("date");
    vec![
        DomainError::InvalidValue {
            value_kind: ValueKind::CompanyName,
            reason: "must not be empty".into(),
        },
        DomainError::InvalidValue {
            value_kind: ValueKind::UnifiedSocialCreditCode,
            reason: "18 characters".into(),
        },
        DomainError::NotFound {
            aggregate: AggregateKind::NurturePack,
        },
        DomainError::NotFound {
            aggregate: AggregateKind::PosBatch,
        },
        DomainError::AlreadyExists {
            aggregate: AggregateKind::Customer,
        },
        DomainError::CustomerAlreadyOwned {
            customer_id: customer(),
            owner: rep(1),
        },
        DomainError::CustomerNotOwned {
            customer_id: customer(),
        },
        DomainError::NotCustomerOwner {
            rep_id: rep(2),
            owner: Some(rep(1)),
        },
        DomainError::NotCustomerOwner {
            rep_id: rep(2),
            owner: None,
        },
        DomainError::NotVisitRep {
            rep_id: rep(2),
            visit_rep_id: rep(1),
        },
        DomainError::TransferToCurrentOwner { rep_id: rep(1) },
        DomainError::DuplicateRecord {
            existing: RecordRef::Customer(customer()),
            key: DuplicateKey::CompanyName("上海瑞康医疗器械有限公司".into()),
        },
        DomainError::DuplicateRecord {
            existing: RecordRef::Lead(LeadId::from_uuid(Uuid::from_u128(9))),
            key: DuplicateKey::UnifiedSocialCreditCode(
                UnifiedSocialCreditCode::parse("9144030071526726XG").expect("USCC"),
            ),
        },
        DomainError::DuplicateRecord {
            existing: RecordRef::Customer(customer()),
            key: DuplicateKey::Phone(Phone::parse("+86 571-8888-6666").expect("phone")),
        },
        DomainError::LeadNotConfirmed {
            missing: vec![LeadConfirmation::Budget, LeadConfirmation::TechnicalFit],
        },
        DomainError::LeadAlreadyConfirmed {
            confirmation: LeadConfirmation::TechnicalFit,
        },
        DomainError::LeadAlreadyRouted { rep_id: rep(1) },
        DomainError::RepNotAmongCandidates {
            rep_id: rep(4),
            candidates: vec![rep(1), rep(2), rep(3)],
        },
        DomainError::TodoNotFound {
            todo_id: Uuid::from_u128(5),
        },
        DomainError::DayNotClosedYet { day },
        DomainError::DayNotNext {
            day,
            next_day: day,
            last_closed: day,
        },
        DomainError::TicketNotFound {
            ticket_ref: TicketRef::parse("T-1001").expect("ticket"),
        },
        DomainError::CallbackTaskNotFound {
            task_id: CallbackTaskId::from_uuid(Uuid::from_u128(6)),
        },
        DomainError::RescuePlanNotFound {
            plan_id: RescuePlanId::from_uuid(Uuid::from_u128(7)),
        },
        DomainError::QuoteAlreadyRecorded {
            quote_id: QuoteId::from_uuid(Uuid::from_u128(8)),
        },
        DomainError::RenewalQuotingFrozen {
            customer_id: customer(),
            since: day,
        },
        DomainError::LeadStageNotAllowed {
            from: FunnelStage::Won,
            to: FunnelStage::Negotiation,
        },
        DomainError::Forbidden {
            role: Role::Auditor,
            command: CommandKind::ClaimCustomer,
        },
        DomainError::UnknownStore {
            store: StoreCode::parse("S0001").expect("store"),
        },
        DomainError::UnknownSku {
            sku: SkuCode::parse("SKU-0042").expect("sku"),
        },
        DomainError::RegionWithoutStores {
            region: Region::parse("华东").expect("region"),
        },
    ]
}

#[test]
fn no_error_message_carries_debug_text() {
    for error in errors() {
        let text = error.to_string();
        assert_eq!(debug_text(&text), None, "{}: {text}", error.code());
    }
}

#[test]
fn ids_and_values_are_named_plainly() {
    let texts: Vec<String> = errors().iter().map(ToString::to_string).collect();
    let customer = customer().to_string();
    for expected in [
        format!("duplicate of customer {customer} on company name 上海瑞康医疗器械有限公司"),
        "on unified social credit code 9144030071526726XG".to_owned(),
        format!(
            "rep {} is not the owner of the customer (its owner is rep {})",
            rep(2),
            rep(1)
        ),
        "is not the owner of the customer (it has no owner)".to_owned(),
        format!(
            "is not among the proposed candidates ({}, {}, {})",
            rep(1),
            rep(2),
            rep(3)
        ),
        "lead is not confirmed yet, missing: budget and technical_fit".to_owned(),
        "nurture pack not found".to_owned(),
        "POS batch not found".to_owned(),
        "invalid unified social credit code: 18 characters".to_owned(),
        "a lead may not move from stage won to negotiation".to_owned(),
        "role auditor may not issue claim_customer".to_owned(),
        "store S0001 is not known".to_owned(),
    ] {
        assert!(
            texts.iter().any(|text| text.contains(&expected)),
            "no message says {expected}:\n{}",
            texts.join("\n")
        );
    }
}

#[test]
fn the_checker_finds_debug_text() {
    for (text, found) in [
        ("rep RepId(0192f0a4)", "RepId("),
        ("duplicate of Customer(CustomerId(x))", "Customer("),
        ("owner: Some(x)", "Some("),
        ("owner: None", "None"),
        ("candidates [a, b]", "["),
        ("on \"x\"", "\""),
    ] {
        assert_eq!(debug_text(text).as_deref(), Some(found), "{text}");
    }
    assert_eq!(debug_text("rep 0192f0a4 (its owner is rep 1)"), None);
}
