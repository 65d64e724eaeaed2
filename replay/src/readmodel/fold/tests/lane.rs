//! A provider and its reader in one lane, over random histories: every
//! page size, commits landed after the fold or beside it, commits that
//! fail and give their rows back, folds one after the other or in
//! parallel, a read cache from none to roomy. Whatever the schedule, the
//! committed rows are the pure fold's ([`MemoryTables`], record by record:
//! the provider, then the reader), byte for byte; and what the reader saw
//! at each record is what a plain map says the provider's table held just
//! after that record.

use std::collections::BTreeMap;

use proptest::prelude::*;
use salesledger_projections::tables::{MemoryTables, Reader, Table, TableKey, TableRead, Tx};
use salesledger_projections::ProjectionError;

use super::*;
use crate::readmodel::fold::{row_key, CommitPart};

/// The provider's rows, read by the reader (journaled).
const KV: Table<u64, u64> = Table::new("kv");
/// The provider's sum of `kv` (which it reads back by range), absent
/// while `kv` is empty: a table of its own that no reader reads (not
/// journaled).
const TOTAL: Table<(), u64> = Table::new("total");
/// What the reader saw at each record: the first rows of `kv` in a range
/// of keys (raw, at most a limit) and one key's value.
const SEEN: Table<u64, Seen> = Table::new("seen");
/// How many records the reader applied: its own row, read back.
const COUNT: Table<(), u64> = Table::new("count");

type Seen = (Vec<(Vec<u8>, Vec<u8>)>, Option<u64>);

/// One record's program: the provider's writes, in order, each (0: put,
/// 1: delete, 2: add to the value; key; value), then the reader's probe
/// (from key, span: the range ends `span` keys after it, 0 for no end;
/// limit; key to get).
type Program = (Vec<(u8, u64, u64)>, (u64, u64, usize, u64));

fn program(record: &RecordedEvent) -> Result<Program, ProjectionError> {
    record
        .payload
        .deserialize()
        .map_err(|error| ProjectionError::CannotApply {
            position: record.position,
            reason: error.to_string(),
        })
}

fn provide(tx: &mut Tx<'_>, record: &RecordedEvent, _: &Event) -> Result<(), ProjectionError> {
    let (writes, _) = program(record)?;
    for (op, key, value) in writes {
        match op {
            0 => tx.put(&KV, &key, &value)?,
            1 => tx.delete(&KV, &key)?,
            _ => {
                let before = tx.get(&KV, &key)?.unwrap_or(0);
                tx.put(&KV, &key, &(before + value))?;
            }
        }
    }
    let rows = tx.range(&KV, None, None)?;
    if rows.is_empty() {
        tx.delete(&TOTAL, &())?;
    } else {
        let total: u64 = rows.iter().map(|(_, value)| value).sum();
        tx.put(&TOTAL, &(), &total)?;
    }
    Ok(())
}

fn read(tx: &mut Tx<'_>, record: &RecordedEvent, _: &Event) -> Result<(), ProjectionError> {
    let (_, (from, span, limit, key)) = program(record)?;
    let to = (span > 0).then(|| (from + span).to_key_bytes());
    let first = tx
        .raw_read()
        .range_raw(KV.name(), &from.to_key_bytes(), to.as_deref(), limit)?;
    let value = tx.get(&KV, &key)?;
    tx.put(&SEEN, &record.position, &(first, value))?;
    let count = tx.get(&COUNT, &())?.unwrap_or(0);
    tx.put(&COUNT, &(), &(count + 1))?;
    Ok(())
}

const PROVIDER_TABLES: &[&str] = &["kv", "total"];
const READER_TABLES: &[&str] = &["seen", "count"];
const READS: &[&str] = &["kv"];

/// What a page's commit does.
#[derive(Clone, Copy, Debug)]
enum Commit {
    /// None: the rows stay dirty for a later page.
    Skip,
    /// Begun before the page, written on another thread while it folds.
    Beside,
    /// Begun before the page, written after it folded.
    AfterFold,
    /// Begun before the page, failed after it folded: its rows go back.
    Fails,
    /// Begun and written after the page folded.
    Whole,
    /// Begun before the page, written after it and the next page folded:
    /// in flight across two pages.
    Lingers,
}

fn commit() -> impl Strategy<Value = Commit> {
    prop_oneof![
        Just(Commit::Skip),
        Just(Commit::Beside),
        Just(Commit::AfterFold),
        Just(Commit::Fails),
        Just(Commit::Whole),
        Just(Commit::Lingers),
    ]
}

fn history() -> impl Strategy<Value = Vec<Program>> {
    let write = (0u8..3, 0u64..10, 0u64..100);
    let probe = (0u64..10, 0u64..6, 1usize..5, 0u64..10);
    prop::collection::vec((prop::collection::vec(write, 0..4), probe), 1..60)
}

/// The provider (lane index 0) and the reader (1), wired as the runner
/// wires a lane.
fn lane(temp: &TempDir, cache_budget: usize) -> Vec<Folder> {
    let disk = Arc::new(Disk::open(temp.path(), 1 << 20).expect("open"));
    let mut provider = Folder::new(
        "provider",
        1,
        PROVIDER_TABLES,
        &[],
        provide,
        Tree::new(disk.clone(), "tables/provider"),
        0,
        cache_budget,
    );
    provider.journal_table("kv");
    let mut reader = Folder::new(
        "reader",
        1,
        READER_TABLES,
        READS,
        read,
        Tree::new(disk, "tables/reader"),
        0,
        cache_budget,
    );
    reader.providers = vec![("kv", 0)];
    reader.tier = 1;
    vec![provider, reader]
}

/// The folders' rows that a commit may write now, by lane index.
fn begin(folders: &mut [Folder]) -> Vec<(usize, CommitPart)> {
    folders
        .iter_mut()
        .enumerate()
        .filter_map(|(index, folder)| folder.begin_commit().map(|part| (index, part)))
        .collect()
}

fn land(folders: &mut [Folder], indexes: &[usize], nanos: Vec<u64>) {
    for (index, nanos) in indexes.iter().zip(nanos) {
        folders[*index].landed(nanos);
    }
}

/// Writes the parts in one transaction (as the runner does, a lane's
/// parts together) and says which folders they were for.
fn write(parts: Vec<(usize, CommitPart)>) -> (Vec<usize>, Vec<u64>) {
    let (indexes, parts): (Vec<usize>, Vec<CommitPart>) = parts.into_iter().unzip();
    (indexes, commit_parts(parts).expect("commit"))
}

/// The committed rows of `folder`'s tables (no checkpoint, no version).
fn committed_rows(folder: &Folder) -> Vec<(Vec<u8>, Vec<u8>)> {
    committed(folder)
        .into_iter()
        .filter(|(key, _)| key.starts_with(b"r/"))
        .collect()
}

/// The pure fold's rows of `tables`, as the engine keys them.
fn reference_rows(tables: &MemoryTables, names: &[&str]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut rows: Vec<(Vec<u8>, Vec<u8>)> = tables
        .rows()
        .filter(|(table, _, _)| names.contains(table))
        .map(|(table, key, value)| (row_key(table, key), value.to_vec()))
        .collect();
    rows.sort();
    rows
}

/// Folds `history` in pages of `page_sizes` (in turn) with `commits` (in
/// turn, one a page), checks the committed rows against the pure fold and
/// answers how many commits of each kind had rows to write (a commit begun
/// when nothing is dirty writes nothing).
fn run(
    history: &[Program],
    page_sizes: &[usize],
    commits: &[Commit],
    parallel: bool,
    cache: usize,
) -> BTreeMap<&'static str, usize> {
    let records: Vec<Decoded> = history
        .iter()
        .enumerate()
        .map(|(position, program)| {
            let payload = serde_json::to_value(program).expect("program");
            record(position as u64, payload)
        })
        .collect();

    // The pure fold, and the plain map it must agree with.
    let mut tables = MemoryTables::default();
    let mut model: BTreeMap<u64, u64> = BTreeMap::new();
    for ((record, event), (writes, (from, span, limit, key))) in records.iter().zip(history) {
        let event = event.as_ref().expect("decoded").as_ref().expect("known");
        provide(&mut Tx::new(&mut tables), record, event).expect("provides");
        read(&mut Tx::new(&mut tables), record, event).expect("reads");
        for (op, key, value) in writes {
            match op {
                0 => {
                    model.insert(*key, *value);
                }
                1 => {
                    model.remove(key);
                }
                _ => *model.entry(*key).or_insert(0) += value,
            }
        }
        let end = if *span > 0 {
            std::ops::Bound::Excluded(from + span)
        } else {
            std::ops::Bound::Unbounded
        };
        let first: Vec<(u64, u64)> = model
            .range((std::ops::Bound::Included(*from), end))
            .take(*limit)
            .map(|(key, value)| (*key, *value))
            .collect();
        let (seen_first, seen_value): Seen = Reader::new(&mut tables)
            .get(&SEEN, &record.position)
            .expect("reads")
            .expect("a row per record");
        let seen_first: Vec<(u64, u64)> = seen_first
            .iter()
            .map(|(key, value)| {
                let key = u64::decode_from(&mut key.as_slice()).expect("key");
                let value: u64 = postcard::from_bytes(value).expect("value");
                (key, value)
            })
            .collect();
        assert_eq!(seen_first, first, "the reference at {}", record.position);
        assert_eq!(seen_value, model.get(key).copied());
    }

    let temp = TempDir::new().expect("temp");
    let mut folders = lane(&temp, cache);
    let mut with_rows: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut count = |kind: &'static str, parts: &[(usize, CommitPart)]| {
        if !parts.is_empty() {
            *with_rows.entry(kind).or_insert(0) += 1;
        }
    };
    let mut from = 0;
    let mut page_number = 0;
    let mut next_page = |from: &mut usize| {
        let size = page_sizes[page_number % page_sizes.len()];
        let plan = commits[page_number % commits.len()];
        page_number += 1;
        let page = &records[*from..(*from + size).min(records.len())];
        *from += page.len();
        (page, plan)
    };
    while from < records.len() {
        let (page, plan) = next_page(&mut from);
        match plan {
            Commit::Skip => fold_page(&mut folders, page, parallel),
            Commit::Whole => {
                fold_page(&mut folders, page, parallel);
                commit_lane(folders.iter_mut()).expect("commit");
            }
            Commit::Beside => {
                let parts = begin(&mut folders);
                count("beside", &parts);
                let (indexes, nanos) = std::thread::scope(|scope| {
                    let writer = scope.spawn(move || write(parts));
                    fold_page(&mut folders, page, parallel);
                    writer.join().expect("writer")
                });
                land(&mut folders, &indexes, nanos);
            }
            Commit::AfterFold => {
                let parts = begin(&mut folders);
                count("after fold", &parts);
                fold_page(&mut folders, page, parallel);
                let (indexes, nanos) = write(parts);
                land(&mut folders, &indexes, nanos);
            }
            Commit::Fails => {
                let parts = begin(&mut folders);
                count("fails", &parts);
                fold_page(&mut folders, page, parallel);
                for (index, part) in parts {
                    drop(part);
                    folders[index].restore();
                }
            }
            Commit::Lingers => {
                let parts = begin(&mut folders);
                count("lingers", &parts);
                fold_page(&mut folders, page, parallel);
                // The next page too (its own plan is passed over) before
                // the commit lands.
                if from < records.len() {
                    let (page, _) = next_page(&mut from);
                    fold_page(&mut folders, page, parallel);
                }
                let (indexes, nanos) = write(parts);
                land(&mut folders, &indexes, nanos);
            }
        }
        for folder in &folders {
            assert!(
                folder.failed.is_none(),
                "{}: {:?}",
                folder.name,
                folder.failed
            );
        }
    }
    commit_lane(folders.iter_mut()).expect("commit");
    let last = records.len() as u64;
    for (folder, names) in folders.iter().zip([PROVIDER_TABLES, READER_TABLES]) {
        assert_eq!(folder.committed, last, "{}", folder.name);
        assert_eq!(
            committed_rows(folder),
            reference_rows(&tables, names),
            "{}",
            folder.name
        );
    }
    with_rows
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_lane_commits_the_pure_folds_rows_whatever_the_pages_and_commits(
        history in history(),
        page_sizes in prop::collection::vec(1usize..9, 1..4),
        commits in prop::collection::vec(commit(), 1..6),
        parallel in any::<bool>(),
        cache in prop_oneof![Just(0usize), Just(256), Just(1 << 16)],
    ) {
        run(&history, &page_sizes, &commits, parallel, cache);
    }
}

/// One history by hand, so the property's every path is taken at least
/// once whatever proptest draws: a key written, deleted and written again
/// in one record; pages of one and of several records; ranges with and
/// without an end; every kind of commit with rows to write, a failed one
/// followed by one that lands, one in flight across two pages.
#[test]
fn a_lane_of_one_history_takes_every_commit_path() {
    let mut history: Vec<Program> = Vec::new();
    for n in 0..24u64 {
        let key = n % 7;
        history.push((
            vec![
                (0, key, n),
                (1, key, 0),
                (2, key, n + 1),
                (2, (n + 3) % 10, 5),
            ],
            (n % 5, n % 3, 3, (n + 1) % 7),
        ));
        if n % 4 == 3 {
            history.push((vec![(1, (n + 3) % 10, 0)], (0, 0, 4, key)));
        }
    }
    let with_rows = run(
        &history,
        &[1, 3, 5, 2],
        &[
            Commit::Skip,
            Commit::Beside,
            Commit::Fails,
            Commit::AfterFold,
            Commit::Fails,
            Commit::Lingers,
            Commit::Whole,
        ],
        true,
        256,
    );
    for kind in ["beside", "after fold", "fails", "lingers"] {
        assert!(
            with_rows.get(kind).is_some_and(|n| *n > 0),
            "no {kind} commit had rows: {with_rows:?}"
        );
    }
}
