//! The chain-store views on tables (`retail_stores`, `retail_members`)
//! answer exactly as the models over generated histories, at the end and
//! part-way through (the answers as of earlier positions), and the
//! histories really exercise them.

use crate::retail_compare;
use crate::support;

use std::collections::BTreeSet;

use retail_compare::{compare, Coverage, Folds};
use salesledger_domain::Event;
use salesledger_projections::decode_record;
use salesledger_projections::tables::retail::{RetailMembersTables, RetailStoresTables};
use salesledger_projections::tables::{directory, valid_name, MemoryTables, TableProjector};
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

type Rows = std::collections::BTreeMap<(&'static str, Vec<u8>), Vec<u8>>;

fn rows_of(tables: &MemoryTables) -> Rows {
    tables
        .rows()
        .map(|(table, key, value)| ((table, key.to_vec()), value.to_vec()))
        .collect()
}

/// The tables of the rows that differ between `before` and `after`, and
/// how many rows differ.
fn changed(before: &Rows, after: &Rows) -> (BTreeSet<&'static str>, usize) {
    let mut tables = BTreeSet::new();
    let mut count = 0;
    for key in before.keys().chain(after.keys()).collect::<BTreeSet<_>>() {
        if before.get(key) != after.get(key) {
            tables.insert(key.0);
            count += 1;
        }
    }
    (tables, count)
}

#[test]
fn rows_stay_small_and_a_pos_batch_writes_only_the_rows_it_changes() {
    let records = support::small_history();
    let mut stores = MemoryTables::default();
    let mut members = MemoryTables::default();
    let mut batches = 0;
    for record in records {
        let pos = record.event_type == "PosTicketsRecorded";
        let before = pos.then(|| (rows_of(&stores), rows_of(&members)));
        stores
            .apply_with_directory::<RetailStoresTables>(record)
            .expect("applies");
        members
            .apply_with_directory::<RetailMembersTables>(record)
            .expect("applies");
        let Some((stores_before, members_before)) = before else {
            continue;
        };
        let event = decode_record(record)
            .expect("decodes")
            .expect("a known event");
        let Event::PosTicketsRecorded(recorded) = event else {
            panic!("a POS event");
        };
        let tickets = recorded.tickets.len();
        let days: BTreeSet<_> = recorded.tickets.iter().map(|t| t.local_day()).collect();
        let (tables, count) = changed(&stores_before, &rows_of(&stores));
        let allowed: BTreeSet<&str> = [
            "dir-reps",
            "dir-customers",
            "rs_store_days",
            "rs_tracked_days",
            "rs_store_latest",
            "rs_latest_day",
            "rs_category_ids",
            "rs_category_names",
        ]
        .into();
        assert!(tables.is_subset(&allowed), "{tables:?}");
        // A store-day row per day, tracked counters per day, latest days,
        // at most one new category (uncategorised, two rows).
        assert!(
            count <= days.len() * 4 + 4,
            "{count} rows for {tickets} tickets"
        );
        let (tables, count) = changed(&members_before, &rows_of(&members));
        let allowed: BTreeSet<&str> = [
            "dir-reps",
            "dir-customers",
            "rm_store_days",
            "rm_store_latest",
            "rm_members",
            "rm_member_days",
            "rm_category_ids",
            "rm_category_names",
        ]
        .into();
        assert!(tables.is_subset(&allowed), "{tables:?}");
        assert!(count <= days.len() + 1 + 3 * tickets + 2, "{count} rows");
        batches += 1;
    }
    assert!(batches > 10, "POS batches folded: {batches}");
    // Every table written is declared (the runner refuses the others).
    for (tables, declared) in [
        (&stores, RetailStoresTables::tables()),
        (&members, RetailMembersTables::tables()),
    ] {
        let written: BTreeSet<&str> = tables.rows().map(|(table, _, _)| table).collect();
        let declared: BTreeSet<&str> = declared.iter().chain(directory::TABLES).copied().collect();
        assert!(written.is_subset(&declared), "{written:?}");
        assert!(written.len() >= 8, "{written:?}");
        assert!(declared.iter().all(|name| valid_name(name)));
    }
    // No row grows with history: every value stays small.
    for tables in [&stores, &members] {
        let (table, key, value) = tables
            .rows()
            .max_by_key(|(_, _, value)| value.len())
            .expect("rows");
        assert!(value.len() <= 512, "{table} {key:?}: {} bytes", value.len());
    }
}

#[test]
fn chain_store_keys_sort_as_their_values_and_refuse_what_the_domain_refuses() {
    use salesledger_domain::value::{MemberRef, PromotionId, SkuCode, StoreCode};
    use salesledger_projections::tables::{KeyError, TableKey};

    let codes = ["S1", "S10", "S2", "S2-a", "s1"];
    let mut keys: Vec<(Vec<u8>, StoreCode)> = codes
        .iter()
        .map(|code| {
            let code = StoreCode::parse(code).expect("a code");
            ((code.clone(), 7u32).to_key_bytes(), code)
        })
        .collect();
    keys.sort();
    let by_bytes: Vec<&StoreCode> = keys.iter().map(|(_, code)| code).collect();
    let mut by_value: Vec<&StoreCode> = keys.iter().map(|(_, code)| code).collect();
    by_value.sort();
    assert_eq!(by_bytes, by_value, "byte order is the codes' order");
    for (bytes, code) in &keys {
        assert_eq!(
            <(StoreCode, u32)>::from_key_bytes(bytes),
            Ok((code.clone(), 7))
        );
    }
    let sku = SkuCode::parse("SKU-0042").expect("a SKU");
    assert_eq!(SkuCode::from_key_bytes(&sku.to_key_bytes()), Ok(sku));
    let member = MemberRef::parse("M:0001").expect("a member");
    assert_eq!(
        MemberRef::from_key_bytes(&member.to_key_bytes()),
        Ok(member)
    );
    let promotion = PromotionId::from_uuid(uuid::Uuid::from_u128(0xf1));
    assert_eq!(
        PromotionId::from_key_bytes(&promotion.to_key_bytes()),
        Ok(promotion)
    );
    // A forged key: a string the domain does not accept as a code.
    let forged = "not a code".to_owned().to_key_bytes();
    assert_eq!(
        StoreCode::from_key_bytes(&forged),
        Err(KeyError::Malformed("not a store code"))
    );
}
