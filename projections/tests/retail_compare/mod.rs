//! The chain-store views on tables answer exactly as the models: every
//! answer `/v1/views/stores/...` serves (penetration, leaderboard, battle
//! map with its members, high potential), for every promotion, region,
//! store, day range, `days` and `limit` that matter in a history, compared
//! as JSON; and the paged reads give the same rows as the whole answers.
//! Shared by `tests/tables_retail.rs` (generated histories) and
//! `tests/retail.rs` (the hand-checked case).
#![allow(dead_code)]

use chrono::{Days, NaiveDate};
use salesledger_domain::value::{MemberRef, PromotionId, StoreCode};
use salesledger_projections::retail::{
    BattleMap, HighPotential, RetailMembersView, RetailQueryError, RetailStoresView,
};
use salesledger_projections::tables::retail::{
    self as tables, RetailMembersTables, RetailReadError, RetailStoresTables,
};
use salesledger_projections::tables::{MemoryTables, Reader};
use salesledger_projections::{apply_record, RetailMembers, RetailStores};
use salesledger_store::RecordedEvent;
use serde::Serialize;
use serde_json::Value;

/// Both views folded both ways over the same records.
#[derive(Default)]
pub struct Folds {
    pub stores: RetailStoresView,
    pub members: RetailMembersView,
    pub store_tables: MemoryTables,
    pub member_tables: MemoryTables,
}

impl Folds {
    pub fn of(records: &[RecordedEvent]) -> Folds {
        let mut folds = Folds::default();
        for record in records {
            folds.apply(record);
        }
        folds
    }

    pub fn apply(&mut self, record: &RecordedEvent) {
        apply_record::<RetailStores>(&mut self.stores, record).expect("the model folds");
        apply_record::<RetailMembers>(&mut self.members, record).expect("the model folds");
        self.store_tables
            .apply_with_directory::<RetailStoresTables>(record)
            .expect("retail_stores on tables applies");
        self.member_tables
            .apply_with_directory::<RetailMembersTables>(record)
            .expect("retail_members on tables applies");
    }
}

/// How much of the views the comparisons exercised (answers that were
/// not refusals, and figures that were not zero).
#[derive(Debug, Default, Clone, Copy)]
pub struct Coverage {
    pub answers: usize,
    pub refusals: usize,
    pub penetration_cells_with_product: usize,
    pub ranked_stores_with_sales: usize,
    pub battle_maps_with_promotions: usize,
    pub battle_maps_with_members: usize,
    pub high_potential_stores: usize,
    pub high_potential_members: usize,
    pub pages: usize,
}

fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("an answer serialises")
}

/// Asserts both answers are equal (as JSON, or as the same refusal) and
/// returns the model's answer.
fn same<T: Serialize>(
    coverage: &mut Coverage,
    what: &str,
    model: Result<T, RetailQueryError>,
    table: Result<T, RetailReadError>,
) -> Option<T> {
    match (model, table) {
        (Ok(model), Ok(table)) => {
            assert_eq!(json(&model), json(&table), "{what}");
            coverage.answers += 1;
            Some(model)
        }
        (Err(model), Err(RetailReadError::Query(table))) => {
            assert_eq!(model, table, "{what}");
            coverage.refusals += 1;
            None
        }
        (model, table) => panic!(
            "{what}: the model answers {:?}, the tables {:?}",
            model.map(|answer| json(&answer)),
            table.map(|answer| json(&answer))
        ),
    }
}

fn shift(day: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        day.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        day.checked_sub_days(Days::new(days.unsigned_abs()))
    }
    .unwrap_or(day)
}

/// The battle map as the gateway composes it: the members (from
/// `retail_members`, up to 20) when the store is high potential.
fn composed_map(
    map: Result<BattleMap, RetailQueryError>,
    members: Result<HighPotential, RetailQueryError>,
) -> Result<BattleMap, RetailQueryError> {
    let members = members
        .ok()
        .and_then(|answer| answer.stores.into_iter().next())
        .map(|listed| listed.members)
        .unwrap_or_default();
    map.map(|mut map| {
        if map.high_potential {
            map.members = members;
        }
        map
    })
}

fn composed_table_map(
    map: Result<BattleMap, RetailReadError>,
    members: Result<HighPotential, RetailReadError>,
) -> Result<BattleMap, RetailReadError> {
    let members = members
        .ok()
        .and_then(|answer| answer.stores.into_iter().next())
        .map(|listed| listed.members)
        .unwrap_or_default();
    map.map(|mut map| {
        if map.high_potential {
            map.members = members;
        }
        map
    })
}

/// Compares every served answer over `folds` and the paged reads.
pub fn compare(folds: &mut Folds) -> Coverage {
    let mut coverage = Coverage::default();
    let Folds {
        stores: model,
        members: member_model,
        store_tables,
        member_tables,
    } = folds;
    let mut rows = Reader::new(store_tables);
    let mut member_rows = Reader::new(member_tables);

    let mut regions: Vec<Option<String>> = vec![None, Some("nowhere".to_owned())];
    regions.extend(
        model
            .regions()
            .into_iter()
            .map(|region| Some(region.to_owned())),
    );
    let codes: Vec<StoreCode> = model.stores.keys().cloned().collect();
    let mut promotions: Vec<Option<PromotionId>> = vec![None];
    promotions.extend(model.promotions.keys().copied().map(Some));
    let unknown = PromotionId::from_uuid(uuid::Uuid::from_u128(0xdead));
    promotions.push(Some(unknown));

    // Penetration: every promotion, region and a spread of day ranges.
    for promotion in &promotions {
        let info = promotion
            .and_then(|id| model.promotions.get(&id))
            .or_else(|| model.latest_promotion(None).map(|(_, info)| info));
        let anchor = info.map_or(NaiveDate::MIN, |info| info.starts_on);
        let end = info.map_or(NaiveDate::MIN, |info| info.ends_on);
        let latest = model.latest_day.unwrap_or(anchor);
        let ranges = [
            (None, None),
            (Some(anchor), None),
            (None, Some(end)),
            (Some(shift(latest, -6)), Some(latest)),
            (Some(shift(anchor, -3)), Some(shift(anchor, 3))),
            (Some(shift(latest, 1)), Some(latest)),
            (Some(shift(latest, -800)), Some(latest)),
            (Some(shift(end, 5)), None),
        ];
        for region in &regions {
            for (from, to) in ranges {
                let what = format!("penetration {promotion:?} {region:?} {from:?} {to:?}");
                if let Some(answer) = same(
                    &mut coverage,
                    &what,
                    model.penetration(*promotion, region.as_deref(), from, to),
                    tables::penetration(&mut rows, *promotion, region.as_deref(), from, to),
                ) {
                    coverage.penetration_cells_with_product += answer
                        .regions
                        .iter()
                        .flat_map(|region| &region.stores)
                        .flat_map(|store| &store.cells)
                        .filter(|cell| cell.with_product > 0)
                        .count();
                }
            }
        }
    }

    // Penetration pages: the whole answer's store rows, in order.
    for region in &regions {
        let Ok(whole) = model.penetration(None, region.as_deref(), None, None) else {
            continue;
        };
        let expected: Vec<Value> = whole
            .regions
            .iter()
            .flat_map(|answer| {
                answer.stores.iter().map(|store| {
                    let mut row = json(store);
                    row["region"] = Value::String(answer.region.clone());
                    row
                })
            })
            .collect();
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let (page, next) = tables::penetration_page(
                &mut rows,
                None,
                region.as_deref(),
                None,
                None,
                after.as_ref(),
                2,
            )
            .expect("a page");
            assert!(page.len() <= 2);
            coverage.pages += 1;
            paged.extend(page.iter().map(json));
            match next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(paged, expected, "penetration pages of {region:?}");
    }

    // Leaderboard: every region, days and limit.
    for region in &regions {
        for days in [1, 2, 7, 30, 90, 366] {
            for limit in [1, 3, 10, 1_000] {
                let what = format!("leaderboard {region:?} {days} {limit}");
                if let Some(board) = same(
                    &mut coverage,
                    &what,
                    model.leaderboard(region.as_deref(), days, limit),
                    tables::leaderboard(&mut rows, region.as_deref(), days, limit),
                ) {
                    if region.is_none() && limit == 1_000 && days == 30 {
                        coverage.ranked_stores_with_sales += board
                            .regions
                            .iter()
                            .flat_map(|region| &region.stores)
                            .filter(|store| store.sales_cents > 0)
                            .count();
                    }
                }
            }
        }
        // Pages of the ranking.
        if let Some(region) = region {
            let Ok(whole) = model.leaderboard(Some(region), 30, 1_000) else {
                assert!(tables::leaderboard_page(&mut rows, region, 30, None, 2).is_err());
                continue;
            };
            let expected: Vec<Value> = whole.regions[0].stores.iter().map(json).collect();
            let mut paged = Vec::new();
            let mut after = None;
            loop {
                let (page, next) =
                    tables::leaderboard_page(&mut rows, region, 30, after, 2).expect("a page");
                coverage.pages += 1;
                paged.extend(page.iter().map(json));
                match next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            assert_eq!(paged, expected, "leaderboard pages of {region}");
        }
    }

    // Battle maps, composed with their members as the gateway does.
    let mut stores: Vec<String> = codes.iter().map(|code| code.as_str().to_owned()).collect();
    stores.push("S9999".to_owned());
    stores.push("not a code".to_owned());
    for store in &stores {
        let what = format!("battle map {store}");
        let map = composed_map(
            model.battle_map(store),
            member_model.high_potential(None, Some(store), 20),
        );
        let table_map = composed_table_map(
            tables::battle_map(&mut rows, store),
            tables::high_potential(&mut member_rows, None, Some(store), 20),
        );
        if let Some(map) = same(&mut coverage, &what, map, table_map) {
            coverage.battle_maps_with_promotions += usize::from(!map.promotions.is_empty());
            coverage.battle_maps_with_members += usize::from(!map.members.is_empty());
        }
    }

    // High potential: every region, every store (alone, with its region,
    // with another region), every limit.
    let mut filters: Vec<(Option<String>, Option<String>)> = regions
        .iter()
        .map(|region| (region.clone(), None))
        .collect();
    for store in &stores {
        filters.push((None, Some(store.clone())));
        if let Some(info) = StoreCode::parse(store)
            .ok()
            .and_then(|code| model.stores.get(&code))
        {
            filters.push((Some(info.region.clone()), Some(store.clone())));
            if let Some(other) = regions
                .iter()
                .flatten()
                .find(|region| **region != info.region)
            {
                filters.push((Some(other.clone()), Some(store.clone())));
            }
        }
    }
    for (region, store) in &filters {
        for limit in [1, 2, 20, 1_000] {
            let what = format!("high potential {region:?} {store:?} {limit}");
            if let Some(answer) = same(
                &mut coverage,
                &what,
                member_model.high_potential(region.as_deref(), store.as_deref(), limit),
                tables::high_potential(
                    &mut member_rows,
                    region.as_deref(),
                    store.as_deref(),
                    limit,
                ),
            ) {
                if region.is_none() && store.is_none() && limit == 1_000 {
                    coverage.high_potential_stores += answer.stores.len();
                    coverage.high_potential_members += answer
                        .stores
                        .iter()
                        .map(|store| store.members.len())
                        .sum::<usize>();
                }
            }
        }
    }

    // Member pages: a store's listed members, in member order.
    for store in &stores {
        let whole = member_model.high_potential(None, Some(store), 1_000);
        let paged = tables::high_potential_members_page(&mut member_rows, store, None, 2);
        let Ok(whole) = whole else {
            assert!(paged.is_err(), "an unknown store is refused: {store}");
            continue;
        };
        let mut expected: Vec<Value> = whole
            .stores
            .first()
            .map(|listed| listed.members.iter().map(json).collect())
            .unwrap_or_default();
        expected.sort_by(|a, b| a["member"].as_str().cmp(&b["member"].as_str()));
        let mut paged = Vec::new();
        let mut after: Option<MemberRef> = None;
        loop {
            let (page, next) =
                tables::high_potential_members_page(&mut member_rows, store, after.as_ref(), 2)
                    .expect("a page");
            assert!(page.len() <= 2);
            coverage.pages += 1;
            paged.extend(page.iter().map(json));
            match next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(paged, expected, "member pages of {store}");
    }
    coverage
}
