//! The chain-store views on tables (`retail_stores`, `retail_members`)
//! answer exactly as the models over generated histories, at the end and
//! part-way through (the answers as of earlier positions), and the
//! histories really exercise them.

mod retail_compare;
mod support;

use retail_compare::{compare, Coverage, Folds};
use salesledger_store::RecordedEvent;

/// Folds `records`, comparing every answer at a few positions on the way
/// and at the end; the coverage of the last comparison.
fn compare_along(records: &[RecordedEvent]) -> Coverage {
    let pos_records = records
        .iter()
        .filter(|record| record.event_type == "PosTicketsRecorded")
        .count();
    assert!(pos_records > 0, "the history has POS tickets");
    let mut folds = Folds::default();
    let mut seen = 0;
    let cuts = [pos_records / 3, 2 * pos_records / 3];
    for record in records {
        folds.apply(record);
        if record.event_type == "PosTicketsRecorded" {
            seen += 1;
            if cuts.contains(&seen) {
                let coverage = compare(&mut folds);
                assert!(coverage.answers > 0, "answers part-way: {coverage:?}");
            }
        }
    }
    compare(&mut folds)
}

fn assert_exercised(coverage: &Coverage) {
    eprintln!("compared: {coverage:?}");
    assert!(coverage.answers > 100, "{coverage:?}");
    assert!(coverage.refusals > 0, "{coverage:?}");
    assert!(coverage.penetration_cells_with_product > 0, "{coverage:?}");
    assert!(coverage.ranked_stores_with_sales > 0, "{coverage:?}");
    assert!(coverage.battle_maps_with_promotions > 0, "{coverage:?}");
    assert!(coverage.high_potential_stores > 0, "{coverage:?}");
    assert!(coverage.high_potential_members > 0, "{coverage:?}");
    assert!(coverage.battle_maps_with_members > 0, "{coverage:?}");
    assert!(coverage.pages > 0, "{coverage:?}");
}

#[test]
fn the_retail_tables_answer_as_the_models_over_the_small_history() {
    let coverage = compare_along(support::small_history());
    assert_exercised(&coverage);
}

#[test]
fn the_retail_tables_answer_as_the_models_over_the_spec_history() {
    let coverage = compare_along(support::spec_history());
    assert_exercised(&coverage);
}
