//! The regional digest on tables answers exactly as the model does: the
//! report `/v1/views/digest/{region}/{date}` serves for every region with
//! activity and every day of the history (and a day before and after it),
//! the 404 of an unknown region and the region names it lists, over two
//! generated histories (each day closed, so anything recorded for a day
//! after its close counts in its `late` section, on both sides). The
//! closed-day rule itself is hand-checked in `business.rs`
//! (`digest_of_a_closed_day_stays_final_and_later_records_for_it_count_as_late`).

use crate::support;

use chrono::Duration;
use salesledger_projections::tables::digest::{self as tables, DigestTables};
use salesledger_projections::tables::{MemoryTables, Reader, TableProjector};
use salesledger_projections::{fold_all, Digest, Projector};
use salesledger_store::RecordedEvent;

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("serialises")
}

fn assert_same_answers(records: &[RecordedEvent]) {
    let model = fold_all::<Digest>(records).expect("the model folds");
    let mut tables = MemoryTables::default();
    for record in records {
        tables
            .apply_with_directory::<DigestTables>(record)
            .expect("the digest tables apply");
    }
    let mut reader = Reader::new(&mut tables);
    let names = model.region_names();
    assert!(names.len() >= 2, "a real history: regions {names:?}");
    assert_eq!(tables::region_names(&mut reader).expect("reads"), names);
    let first = model
        .regions
        .values()
        .filter_map(|days| days.keys().next())
        .min()
        .copied()
        .expect("a first day");
    let last = model
        .regions
        .values()
        .filter_map(|days| days.keys().next_back())
        .max()
        .copied()
        .expect("a last day");
    assert!(last - first >= Duration::days(60), "{first}..{last}");
    let (mut visits, mut payments, mut turned, mut overdue, mut closed) = (0, 0, 0, 0, 0);
    for region in names.iter().copied().chain(["nowhere"]) {
        let mut day = first - Duration::days(1);
        while day <= last + Duration::days(1) {
            let expected = model.report(region, day);
            let actual = tables::report(&mut reader, region, day).expect("reads");
            assert_eq!(json(&actual), json(&expected), "{region} {day}");
            if let Some(report) = expected {
                visits += report.figures.visits;
                payments += report.figures.payments;
                turned += report.figures.turned_yellow.len() + report.figures.turned_red.len();
                overdue += report.figures.overdue_instalments;
                closed += u64::from(report.closed);
            }
            day += Duration::days(1);
        }
    }
    assert!(
        visits > 0 && payments > 0 && turned > 0 && overdue > 0 && closed > 0,
        "the digest counted: visits {visits}, payments {payments}, level changes {turned}, \
         overdue {overdue}, closed days {closed}"
    );
    assert_eq!(DigestTables::NAME, Digest::NAME);
    assert_eq!(DigestTables::VERSION, Digest::VERSION);
    assert_eq!(DigestTables::VERSION, 2, "v2: a closed day's late section");
}

#[test]
fn the_small_history_answers_as_the_model() {
    assert_same_answers(support::small_history());
}

#[test]
fn the_spec_history_answers_as_the_model() {
    assert_same_answers(support::spec_history());
}
