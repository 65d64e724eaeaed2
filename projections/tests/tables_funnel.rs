//! The sales funnel on tables answers exactly as the model does: every row
//! `/v1/views/funnel` serves, for both groupings and every period that
//! occurs (each month, `total`, and all), over two generated histories.

use crate::support;

use std::collections::BTreeSet;

use salesledger_projections::funnel::FunnelGroup;
use salesledger_projections::tables::funnel::{self as tables, FunnelTables};
use salesledger_projections::tables::{MemoryTables, Reader, TableProjector};
use salesledger_projections::{fold_all, Funnel, Projector};
use salesledger_store::RecordedEvent;

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("serialises")
}

fn assert_same_answers(records: &[RecordedEvent]) {
    let model = fold_all::<Funnel>(records).expect("the model folds");
    let mut tables = MemoryTables::default();
    for record in records {
        tables
            .apply_with_directory::<FunnelTables>(record)
            .expect("the funnel tables apply");
    }
    let mut reader = Reader::new(&mut tables);
    let months: BTreeSet<String> = model
        .leads
        .values()
        .map(|lead| lead.month.clone())
        .collect();
    assert!(months.len() >= 3, "a real history: months {months:?}");
    let mut periods: Vec<Option<String>> = vec![None, Some("total".to_owned())];
    periods.extend(months.into_iter().map(Some));
    periods.push(Some("1999-01".to_owned()));
    for group in [FunnelGroup::Rep, FunnelGroup::Region] {
        for period in &periods {
            let expected = model.rows(group, period.as_deref());
            let actual = tables::rows(&mut reader, group, period.as_deref()).expect("reads");
            assert_eq!(json(&actual), json(&expected), "{group:?} {period:?}");
        }
    }
    let all = model.rows(FunnelGroup::Rep, None);
    assert!(
        all.iter()
            .any(|row| row.reached.won > 0 && row.cycle_median_days.is_some()),
        "some leads were won"
    );
    assert!(
        all.iter().any(|row| row.rep_id.is_some()) && all.iter().any(|row| row.reached.lost > 0),
        "routed and lost leads"
    );
    assert_eq!(FunnelTables::NAME, Funnel::NAME);
    assert_eq!(FunnelTables::VERSION, 1);
}

#[test]
fn the_small_history_answers_as_the_model() {
    assert_same_answers(support::small_history());
}

#[test]
fn the_spec_history_answers_as_the_model() {
    assert_same_answers(support::spec_history());
}
