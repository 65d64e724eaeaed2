//! A commit written beside the fold: the rows it takes out stay readable
//! until it lands, and a failed one gives them back. Compared with the
//! same pages folded and committed one after the other.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate};
use salesledger_domain::calendar::DayClosed;
use salesledger_domain::Event;
use salesledger_projections::tables::{Table, Tx};
use salesledger_projections::ProjectionError;
use salesledger_store::{CanonicalJson, Hash32, RecordedEvent};
use tempfile::TempDir;
use uuid::Uuid;

use super::{commit_lane, commit_parts, fold_page, scan, Decoded, Folder};
use crate::readmodel::disk::{Disk, Tree};

mod lane;

const COUNTS: Table<u64, u64> = Table::new("counts");
const SUM: Table<(), u64> = Table::new("sum");
const LIVE: Table<u64, u64> = Table::new("live");
const TABLES: &[&str] = &["counts", "sum", "live"];

/// Reads back what it wrote at earlier records, deletes rows (some made
/// since the last commit, some committed) and reads a range: every read
/// path of the transaction. Driven by the record's position alone.
///
/// `live` has a row per record, written once; the even ones of the
/// previous page are written again at the 4th record of a page and
/// deleted at the 7th. So a commit that loses rows loses some for good,
/// and a deletion of a row that only the commit in flight holds must be
/// written (the row is not in the tables yet, but will be).
fn apply(tx: &mut Tx<'_>, record: &RecordedEvent, _: &Event) -> Result<(), ProjectionError> {
    let position = record.position;
    tx.put(&LIVE, &position, &position)?;
    let start = position - position % PAGE;
    if start >= PAGE {
        let previous_page = (start - PAGE..start).filter(|q| q % 2 == 0);
        match position % PAGE {
            3 => {
                for q in previous_page {
                    tx.put(&LIVE, &q, &position)?;
                }
            }
            6 => {
                for q in previous_page {
                    tx.delete(&LIVE, &q)?;
                }
            }
            _ => {}
        }
    }
    let key = position % 7;
    let n = tx.get(&COUNTS, &key)?.unwrap_or(0);
    tx.put(&COUNTS, &key, &(n + position))?;
    if position % 3 == 0 {
        tx.delete(&COUNTS, &((position + 2) % 7))?;
    }
    let sum: u64 = tx
        .range(&COUNTS, None, None)?
        .into_iter()
        .map(|(_, value)| value)
        .sum();
    let before = tx.get(&SUM, &())?.unwrap_or(0);
    tx.put(&SUM, &(), &(before / 2 + sum))?;
    Ok(())
}

fn page(from: u64, n: u64) -> Vec<Decoded> {
    (from..from + n)
        .map(|position| record(position, serde_json::json!({})))
        .collect()
}

/// A `DayClosed` record at `position` (the folds here read the position
/// and, in [`lane`], the payload, never the event).
fn record(position: u64, payload: serde_json::Value) -> Decoded {
    let record = RecordedEvent {
        position,
        event_id: Uuid::from_u128(u128::from(position) + 1),
        stream_id: "calendar".to_owned(),
        stream_version: position + 1,
        event_type: "DayClosed".to_owned(),
        schema_version: 1,
        recorded_at: DateTime::UNIX_EPOCH,
        actor: "system".to_owned(),
        command_id: Uuid::nil(),
        correlation_id: Uuid::nil(),
        causation_id: Uuid::nil(),
        payload: CanonicalJson::from_value(&payload),
        prev_hash: Hash32::ZERO,
        hash: Hash32::ZERO,
    };
    let event = Event::DayClosed(DayClosed {
        day: NaiveDate::MIN,
        closes_at: DateTime::UNIX_EPOCH,
        closed_at: DateTime::UNIX_EPOCH,
    });
    (record, Ok(Some(event)))
}

fn folder(temp: &TempDir, name: &str) -> Folder {
    let directory = temp.path().join(name);
    std::fs::create_dir_all(&directory).expect("directory");
    let disk = Arc::new(Disk::open(&directory, 1 << 20).expect("open"));
    let tree = Tree::new(disk, "tables/test");
    // A small cache: some reads miss it and go to the snapshot.
    Folder::new("test", 1, TABLES, &[], apply, tree, 0, 512)
}

/// Every committed row, the checkpoint and the version included.
fn committed(folder: &Folder) -> Vec<(Vec<u8>, Vec<u8>)> {
    let snapshot = folder.tree.snapshot().expect("snapshot");
    scan(&snapshot, &[], &[], None, usize::MAX).expect("scan")
}

const PAGES: u64 = 6;
const PAGE: u64 = 10;

/// The pages folded and committed one after the other.
fn reference(temp: &TempDir) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut folders = vec![folder(temp, "reference")];
    for n in 0..PAGES {
        fold_page(&mut folders, &page(n * PAGE, PAGE), false);
        commit_lane(folders.iter_mut()).expect("commit");
    }
    assert!(folders[0].failed.is_none());
    committed(&folders[0])
}

#[test]
fn a_commit_written_while_the_next_page_folds_commits_the_same_rows() {
    let temp = TempDir::new().expect("temp");
    let expected = reference(&temp);
    let mut folders = vec![folder(&temp, "beside")];
    for n in 0..PAGES {
        let part = folders[0].begin_commit();
        // The previous page's rows are written while this page folds,
        // reading them back: on another thread (the page's snapshot may or
        // may not hold them), or after the fold (it does not: every read
        // of them goes through the commit in flight).
        let nanos = if n % 2 == 0 {
            std::thread::scope(|scope| {
                let writer = scope.spawn(move || part.map(|part| commit_parts(vec![part])));
                fold_page(&mut folders, &page(n * PAGE, PAGE), false);
                writer.join().expect("writer")
            })
        } else {
            fold_page(&mut folders, &page(n * PAGE, PAGE), false);
            part.map(|part| commit_parts(vec![part]))
        };
        if let Some(nanos) = nanos {
            folders[0].landed(nanos.expect("commit")[0]);
        }
        assert!(folders[0].failed.is_none());
    }
    commit_lane(folders.iter_mut()).expect("commit");
    assert_eq!(folders[0].committed, PAGES * PAGE);
    assert_eq!(committed(&folders[0]), expected);
}

#[test]
fn a_failed_commit_gives_its_rows_back_and_the_next_commit_writes_them() {
    let temp = TempDir::new().expect("temp");
    let expected = reference(&temp);
    let mut folders = vec![folder(&temp, "failed")];
    for n in 0..PAGES {
        // The commits begun before pages 1, 3 and 5 fail: their parts are
        // never written.
        let part = folders[0].begin_commit();
        fold_page(&mut folders, &page(n * PAGE, PAGE), false);
        match part {
            Some(part) if n % 2 == 1 => {
                drop(part);
                folders[0].restore();
            }
            Some(part) => {
                let nanos = commit_parts(vec![part]).expect("commit");
                folders[0].landed(nanos[0]);
            }
            None => {}
        }
        assert!(folders[0].failed.is_none());
    }
    commit_lane(folders.iter_mut()).expect("commit");
    assert_eq!(committed(&folders[0]), expected);
}

#[test]
fn a_commit_in_flight_is_neither_committed_nor_dirty_until_it_lands() {
    let temp = TempDir::new().expect("temp");
    let mut folders = vec![folder(&temp, "pending")];
    fold_page(&mut folders, &page(0, PAGE), false);
    let part = folders[0].begin_commit().expect("rows to commit");
    // Its rows left the dirty set: nothing else to commit, and one commit
    // in flight at a time.
    assert!(!folders[0].has_changes());
    assert!(folders[0].begin_commit().is_none());
    assert!(committed(&folders[0]).is_empty());
    assert_eq!(folders[0].committed, 0);
    let nanos = commit_parts(vec![part]).expect("commit");
    folders[0].landed(nanos[0]);
    assert_eq!(folders[0].committed, PAGE);
    assert!(!committed(&folders[0]).is_empty());
    assert!(!folders[0].has_changes());
}

/// The record that fails: [`apply`]'s writes (at the 6th record of a page,
/// deletions of rows made since the last commit, dropped from the dirty
/// set), then more, then an error or a panic.
const FAIL_AT: u64 = 2 * PAGE + 6;

fn apply_then_fail(
    tx: &mut Tx<'_>,
    record: &RecordedEvent,
    event: &Event,
) -> Result<(), ProjectionError> {
    apply(tx, record, event)?;
    if record.position == FAIL_AT {
        tx.put(&LIVE, &0, &999)?;
        tx.put(&LIVE, &10_000, &1)?;
        tx.delete(&COUNTS, &1)?;
        return Err(ProjectionError::CannotApply {
            position: record.position,
            reason: "test".to_owned(),
        });
    }
    Ok(())
}

fn apply_then_panic(
    tx: &mut Tx<'_>,
    record: &RecordedEvent,
    event: &Event,
) -> Result<(), ProjectionError> {
    if record.position == FAIL_AT {
        tx.put(&SUM, &(), &7)?;
        tx.delete(&LIVE, &(PAGE + 2))?;
        panic!("test panic after writes");
    }
    apply(tx, record, event)
}

/// A record that fails leaves nothing of its writes: what the folder
/// commits after it is what the records before it wrote, its checkpoint
/// the failed record, and its dirty set's size what theirs was.
#[test]
fn a_record_that_fails_after_writing_leaves_none_of_its_writes() {
    let temp = TempDir::new().expect("temp");
    // No commit between the pages: the failing record deletes rows that
    // only the dirty set holds.
    let mut reference = vec![folder(&temp, "reference")];
    for from in [0, PAGE] {
        fold_page(&mut reference, &page(from, PAGE), false);
    }
    fold_page(&mut reference, &page(2 * PAGE, FAIL_AT - 2 * PAGE), false);
    let dirty_bytes = reference[0].dirty_bytes();
    commit_lane(reference.iter_mut()).expect("commit");
    let expected = committed(&reference[0]);

    for (name, apply) in [
        ("fails", apply_then_fail as super::ApplyFn),
        ("panics", apply_then_panic),
    ] {
        let directory = temp.path().join(name);
        std::fs::create_dir_all(&directory).expect("directory");
        let disk = Arc::new(Disk::open(&directory, 1 << 20).expect("open"));
        let tree = Tree::new(disk, "tables/test");
        let mut folders = vec![Folder::new("test", 1, TABLES, &[], apply, tree, 0, 512)];
        for from in [0, PAGE, 2 * PAGE] {
            fold_page(&mut folders, &page(from, PAGE), false);
        }
        let failure = folders[0].failed.as_ref().expect("failed");
        assert_eq!(failure.position, FAIL_AT, "{name}");
        assert_eq!(folders[0].next, FAIL_AT, "{name}");
        assert_eq!(folders[0].dirty_bytes(), dirty_bytes, "{name}");
        commit_lane(folders.iter_mut()).expect("commit");
        assert_eq!(committed(&folders[0]), expected, "{name}");
    }
}
