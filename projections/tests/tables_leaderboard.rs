//! The rep leaderboard on tables answers exactly as the model does: every
//! board `/v1/views/leaderboard` serves, for every region and month filter
//! that occurs (and none, and unknown ones), over two generated histories.

use crate::support;

use std::collections::BTreeSet;

use salesledger_projections::tables::leaderboard::{self as tables, LeaderboardTables};
use salesledger_projections::tables::{MemoryTables, Reader, TableProjector};
use salesledger_projections::{fold_all, Leaderboard, Projector};
use salesledger_store::RecordedEvent;

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("serialises")
}

fn assert_same_answers(records: &[RecordedEvent]) {
    let model = fold_all::<Leaderboard>(records).expect("the model folds");
    let mut tables = MemoryTables::default();
    for record in records {
        tables
            .apply_with_directory::<LeaderboardTables>(record)
            .expect("the leaderboard tables apply");
    }
    let mut reader = Reader::new(&mut tables);
    let all = model.boards(None, None);
    let regions: BTreeSet<String> = all.iter().map(|board| board.region.clone()).collect();
    let months: BTreeSet<String> = all.iter().map(|board| board.period.clone()).collect();
    assert!(
        regions.len() >= 2 && months.len() >= 3,
        "a real history: {regions:?} {months:?}"
    );
    assert!(
        all.iter().any(|board| board.rows.len() >= 2
            && board.rows.iter().any(|row| row.figures.won_leads > 0)
            && board.rows.iter().any(|row| row.figures.payments_fen > 0)),
        "ranked boards with payments and won leads"
    );
    let mut region_filters: Vec<Option<String>> = vec![None, Some("nowhere".to_owned())];
    region_filters.extend(regions.into_iter().map(Some));
    let mut month_filters: Vec<Option<String>> = vec![None, Some("1999-01".to_owned())];
    month_filters.extend(months.into_iter().map(Some));
    for region in &region_filters {
        for month in &month_filters {
            let expected = model.boards(region.as_deref(), month.as_deref());
            let actual =
                tables::boards(&mut reader, region.as_deref(), month.as_deref()).expect("reads");
            assert_eq!(json(&actual), json(&expected), "{region:?} {month:?}");
        }
    }
    assert_eq!(LeaderboardTables::NAME, Leaderboard::NAME);
    assert_eq!(LeaderboardTables::VERSION, 1);
}

#[test]
fn the_small_history_answers_as_the_model() {
    assert_same_answers(support::small_history());
}

#[test]
fn the_spec_history_answers_as_the_model() {
    assert_same_answers(support::spec_history());
}
