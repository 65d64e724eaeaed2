//! Receivables on tables answer exactly as the model does: the summary
//! (`/v1/views/receivables`), every contract (`.../contracts/{id}`) and the
//! task cards (`.../task-cards`) for every customer and department filter
//! that occurs, over two generated histories; the paged card read follows
//! to the same list.

use crate::support;

use std::collections::BTreeSet;

use salesledger_domain::contract::Department;
use salesledger_domain::value::{ContractId, CustomerId};
use salesledger_projections::receivables::TaskCard;
use salesledger_projections::tables::receivables::{self as tables, ReceivablesTables};
use salesledger_projections::tables::{MemoryTables, Reader, TableProjector};
use salesledger_projections::{fold_all, Projector, Receivables};
use salesledger_store::RecordedEvent;
use uuid::Uuid;

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("serialises")
}

fn assert_same_answers(records: &[RecordedEvent]) {
    let model = fold_all::<Receivables>(records).expect("the model folds");
    let mut tables = MemoryTables::default();
    for record in records {
        tables
            .apply_with_directory::<ReceivablesTables>(record)
            .expect("the receivables tables apply");
    }
    let mut reader = Reader::new(&mut tables);

    let summary = model.summary();
    assert!(
        summary.as_of.is_some() && summary.regions.iter().any(|r| r.outstanding_fen > 0),
        "a real history: {summary:?}"
    );
    assert_eq!(
        json(&tables::summary(&mut reader).expect("reads")),
        json(&summary)
    );

    assert!(model.contracts.len() >= 5, "contracts were signed");
    assert!(
        model.contracts.values().any(|c| !c.payments.is_empty()),
        "payments were received"
    );
    for contract_id in model.contracts.keys() {
        assert_eq!(
            json(&tables::contract(&mut reader, *contract_id).expect("reads")),
            json(&model.contract(*contract_id)),
            "contract {contract_id}"
        );
    }
    assert_eq!(
        tables::contract(&mut reader, ContractId::from_uuid(Uuid::nil())).expect("reads"),
        None
    );

    let all = model.task_cards(None, None);
    assert!(!all.is_empty(), "cards were issued");
    assert!(
        all.iter().any(|card| !card.similar_cases.is_empty()),
        "some cards have similar cases"
    );
    let customers: BTreeSet<CustomerId> = all.iter().map(|card| card.customer_id).collect();
    let mut filters: Vec<Option<CustomerId>> = vec![None, Some(CustomerId::from_uuid(Uuid::nil()))];
    filters.extend(customers.into_iter().map(Some));
    let departments = [
        None,
        Some(Department::Sales),
        Some(Department::Finance),
        Some(Department::Legal),
    ];
    for customer_id in &filters {
        for department in departments {
            let expected: Vec<&TaskCard> = model.task_cards(*customer_id, department);
            let actual = tables::task_cards(&mut reader, *customer_id, department).expect("reads");
            assert_eq!(
                json(&actual),
                json(&expected),
                "cards of {customer_id:?} {department:?}"
            );
            for limit in [1, 2, 7] {
                let mut paged = Vec::new();
                let mut after = None;
                loop {
                    let (page, next) = tables::task_cards_page(
                        &mut reader,
                        *customer_id,
                        department,
                        after,
                        limit,
                    )
                    .expect("a page");
                    assert!(page.len() <= limit);
                    paged.extend(page);
                    match next {
                        Some(next) => after = Some(next),
                        None => break,
                    }
                }
                assert_eq!(json(&paged), json(&expected), "pages of {limit}");
            }
        }
    }
    assert_eq!(ReceivablesTables::NAME, Receivables::NAME);
    assert_eq!(ReceivablesTables::VERSION, 1);
}

#[test]
fn the_small_history_answers_as_the_model() {
    assert_same_answers(support::small_history());
}

#[test]
fn the_spec_history_answers_as_the_model() {
    assert_same_answers(support::spec_history());
}
