//! The subject index (issue 15) packs a subject's records per block of
//! positions (version 2): every record of a stream is found under the
//! stream's subject, in position order, across block boundaries, and a
//! row is written once per subject and block however many records the
//! block holds.

use crate::support;

use std::collections::BTreeMap;

use salesledger_projections::tables::subjects::{
    positions_of, stream_subject, SubjectsTables, BLOCK_SIZE, EVENTS,
};
use salesledger_projections::tables::{MemoryTables, Reader, TableProjector};

#[test]
fn every_stream_finds_its_records_in_order_across_blocks() {
    let records = support::spec_history();
    assert!(
        records.len() as u64 > 2 * BLOCK_SIZE,
        "the history spans several blocks: {} records",
        records.len()
    );
    let mut tables = MemoryTables::default();
    for record in records {
        tables
            .apply::<SubjectsTables>(record)
            .expect("the subject index applies");
    }
    let mut by_stream: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for record in records {
        by_stream
            .entry(record.stream_id.as_str())
            .or_default()
            .push(record.position);
    }
    let mut reader = Reader::new(&mut tables);
    let mut crossing = 0;
    for (stream, expected) in &by_stream {
        let positions = positions_of(&mut reader, &stream_subject(stream)).expect("reads");
        assert!(
            positions.windows(2).all(|pair| pair[0] < pair[1]),
            "{stream}: ascending, no repeats"
        );
        for position in expected {
            assert!(
                positions.binary_search(position).is_ok(),
                "{stream}: record {position} is under its stream's subject"
            );
        }
        let first_block = expected.first().map(|p| p / BLOCK_SIZE);
        let last_block = expected.last().map(|p| p / BLOCK_SIZE);
        if first_block != last_block {
            crossing += 1;
        }
    }
    assert!(crossing > 0, "some stream has records in several blocks");
    // One row per subject and block, never one per record.
    let rows = reader.range(&EVENTS, None, None).expect("reads");
    let n_entries: usize = rows.iter().map(|(_, offsets)| offsets.len()).sum();
    assert!(n_entries >= records.len());
    assert!(
        rows.len() < n_entries / 2,
        "{} rows for {n_entries} entries",
        rows.len()
    );
    assert!(rows
        .iter()
        .all(|(_, offsets)| offsets.iter().all(|offset| u64::from(*offset) < BLOCK_SIZE)));
    assert_eq!(SubjectsTables::VERSION, 2);
}
