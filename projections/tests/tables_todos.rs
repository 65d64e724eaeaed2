//! The work list on tables (issue 16) against a plain replay of the same
//! history written here: the open items are exactly the to-dos not
//! completed, the call-backs not completed, the sales cards of instalments
//! not yet paid off and the nurture steps neither sent nor closed; each is
//! on the list of the rep it is for (the visiting rep; for the others the
//! customer's owner at the end of the log). Every kind occurs; a rep's,
//! a region's and both filters are the whole list filtered; pages of
//! every size follow to the whole list; statuses are as of the last closed
//! day.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};

use salesledger_domain::contract::Department;
use salesledger_domain::value::{CustomerId, RepId};
use salesledger_domain::Event;
use salesledger_projections::decode_record;
use salesledger_projections::tables::directory::{self, DirectoryTables};
use salesledger_projections::tables::todos::{self, Filter, ItemKind, Status, TodosTables};
use salesledger_projections::tables::{
    MemoryTables, RawRead, RawRows, RawTx, Reader, TableError, TableProjector, Tx,
};
use salesledger_store::{CanonicalJson, RecordedEvent};

/// Open item id -> (kind, customer, the visiting rep of a to-do).
type Expected = BTreeMap<String, (ItemKind, CustomerId, Option<RepId>)>;

/// The open items and each customer's final owner, replayed plainly.
fn replay(records: &[RecordedEvent]) -> (Expected, BTreeMap<CustomerId, Option<RepId>>) {
    let mut open: Expected = BTreeMap::new();
    let mut owners: BTreeMap<CustomerId, Option<RepId>> = BTreeMap::new();
    // (contract, index) -> (outstanding, card ids)
    let mut overdue = BTreeMap::new();
    for record in records {
        let Some(event) = decode_record(record).expect("decodes") else {
            continue;
        };
        match event {
            Event::CustomerClaimed(e) => {
                owners.insert(e.customer_id, Some(e.rep_id));
            }
            Event::CustomerTransferred(e) => {
                owners.insert(e.customer_id, Some(e.to_rep_id));
            }
            Event::CustomerReleased(e) => {
                owners.insert(e.customer_id, None);
            }
            Event::CustomerRecalledToPool(e) => {
                owners.insert(e.customer_id, None);
            }
            Event::CustomerReturnedToPool(e) => {
                owners.insert(e.customer_id, None);
            }
            Event::TodoCreated(e) => {
                open.insert(
                    format!("todo:{}", e.todo_id.as_uuid()),
                    (ItemKind::VisitTodo, e.customer_id, Some(e.rep_id)),
                );
            }
            Event::TodoCompleted(e) => {
                open.remove(&format!("todo:{}", e.todo_id.as_uuid()));
            }
            Event::CallbackTaskCreated(e) => {
                open.insert(
                    format!("callback:{}", e.task_id.as_uuid()),
                    (ItemKind::Callback, e.customer_id, None),
                );
            }
            Event::CallbackTaskCompleted(e) => {
                open.remove(&format!("callback:{}", e.task_id.as_uuid()));
            }
            Event::InstalmentOverdue(e) => {
                overdue.insert((e.contract_id, e.index), (e.outstanding_fen, Vec::new()));
            }
            Event::OverdueTaskCardIssued(e) if e.department == Department::Sales => {
                if let Some((_, cards)) = overdue.get_mut(&(e.contract_id, e.index)) {
                    let id = format!("card:{}", e.card_id.as_uuid());
                    cards.push(id.clone());
                    open.insert(id, (ItemKind::TaskCard, e.customer_id, None));
                }
            }
            Event::PaymentReceived(e) => {
                for allocation in &e.allocations {
                    let key = (e.contract_id, allocation.index);
                    let Some((outstanding, cards)) = overdue.get_mut(&key) else {
                        continue;
                    };
                    *outstanding = outstanding.saturating_sub(allocation.amount_fen);
                    if *outstanding == 0 {
                        for card in cards.iter() {
                            open.remove(card);
                        }
                        overdue.remove(&key);
                    }
                }
            }
            Event::NurturePackStarted(e) => {
                for step in &e.steps {
                    open.insert(
                        format!("nurture:{}:{}", e.pack_id.as_uuid(), step.step_index),
                        (ItemKind::NurtureStep, e.customer_id, None),
                    );
                }
            }
            Event::NurtureStepSent(e) => {
                open.remove(&format!("nurture:{}:{}", e.pack_id.as_uuid(), e.step_index));
            }
            Event::NurturePackClosed(e) => {
                let prefix = format!("nurture:{}:", e.pack_id.as_uuid());
                open.retain(|id, _| !id.starts_with(&prefix));
            }
            _ => {}
        }
    }
    (open, owners)
}

fn folded(records: &[RecordedEvent]) -> MemoryTables {
    let mut tables = MemoryTables::default();
    for record in records {
        tables
            .apply_with_directory::<TodosTables>(record)
            .expect("the work list applies");
    }
    tables
}

/// Folds `records` and compares the list with the plain replay; returns
/// the kinds open at the end.
fn compare_with_replay(records: &[RecordedEvent]) -> BTreeSet<String> {
    let (expected, owners) = replay(records);
    let mut tables = folded(records);
    let mut reader = Reader::new(&mut tables);
    let all = todos::list(&mut reader, &Filter::default()).expect("reads");
    let actual: BTreeMap<String, (ItemKind, CustomerId, Option<RepId>)> = all
        .iter()
        .map(|item| {
            (
                item.item_id.clone(),
                (item.kind, item.customer_id, item.rep_id),
            )
        })
        .collect();
    assert_eq!(actual.len(), all.len(), "each item once");
    let expected: BTreeMap<String, (ItemKind, CustomerId, Option<RepId>)> = expected
        .into_iter()
        .map(|(id, (kind, customer, visiting_rep))| {
            let rep = match kind {
                ItemKind::VisitTodo => visiting_rep,
                _ => owners.get(&customer).copied().flatten(),
            };
            (id, (kind, customer, rep))
        })
        .collect();
    assert_eq!(actual, expected, "after {} records", records.len());
    all.iter().map(|item| format!("{:?}", item.kind)).collect()
}

#[test]
fn the_work_list_is_every_open_item_on_the_list_of_the_rep_it_is_for() {
    let records = support::small_history();
    let mut kinds = BTreeSet::new();
    for eighth in 1..=8 {
        kinds.extend(compare_with_replay(&records[..records.len() * eighth / 8]));
    }
    assert_eq!(
        kinds,
        BTreeSet::from(["VisitTodo", "Callback", "TaskCard", "NurtureStep"].map(String::from)),
        "every kind is open at some point"
    );

    let mut tables = folded(records);
    let mut reader = Reader::new(&mut tables);
    let all = todos::list(&mut reader, &Filter::default()).expect("reads");
    assert!(!all.is_empty());

    // In due-day order, then log order.
    let order: Vec<_> = all
        .iter()
        .map(|item| (item.due_on, item.source.position, item.item_id.clone()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);

    // Statuses as of the last closed day.
    let as_of = todos::as_of(&mut reader)
        .expect("reads")
        .expect("closed days");
    for item in &all {
        let status = match () {
            _ if item.missed_on.is_some() => Status::Missed,
            _ if item.due_on <= as_of => Status::Overdue,
            _ if item.due_on == as_of.succ_opt().expect("a next day") => Status::Due,
            _ => Status::Upcoming,
        };
        assert_eq!(item.status, status, "{item:?}");
    }
    assert!(all.iter().any(|item| item.status == Status::Overdue));

    // Filters are the whole list filtered; pages follow to the list.
    let reps: Vec<RepId> = {
        let mut reps: Vec<RepId> = all.iter().filter_map(|item| item.rep_id).collect();
        reps.sort();
        reps.dedup();
        reps
    };
    let regions: Vec<String> = {
        let mut regions: Vec<String> = all.iter().map(|item| item.region.clone()).collect();
        regions.sort();
        regions.dedup();
        regions
    };
    assert!(
        reps.len() >= 2 && regions.len() >= 2,
        "{reps:?} {regions:?}"
    );
    let mut filters = vec![Filter::default()];
    filters.extend(reps.iter().map(|rep| Filter {
        rep_id: Some(*rep),
        ..Filter::default()
    }));
    filters.extend(regions.iter().map(|region| Filter {
        region: Some(region.clone()),
        ..Filter::default()
    }));
    for rep in &reps {
        for region in &regions {
            filters.push(Filter {
                rep_id: Some(*rep),
                region: Some(region.clone()),
                kind: None,
            });
        }
    }
    filters.push(Filter {
        region: Some("nowhere".to_owned()),
        ..Filter::default()
    });
    for kind in [ItemKind::Callback, ItemKind::VisitTodo] {
        filters.push(Filter {
            kind: Some(kind),
            ..Filter::default()
        });
        filters.push(Filter {
            rep_id: reps.first().copied(),
            kind: Some(kind),
            ..Filter::default()
        });
    }
    for filter in &filters {
        let wanted: Vec<_> = all
            .iter()
            .filter(|item| filter.rep_id.map_or(true, |rep| item.rep_id == Some(rep)))
            .filter(|item| filter.region.as_ref().map_or(true, |r| *r == item.region))
            .filter(|item| filter.kind.map_or(true, |kind| item.kind == kind))
            .cloned()
            .collect();
        assert_eq!(
            todos::list(&mut reader, filter).expect("reads"),
            wanted,
            "{filter:?}"
        );
        for limit in [1, 3, 50] {
            let mut paged = Vec::new();
            let mut after = None;
            loop {
                let (page, next) = todos::page(&mut reader, filter, after, limit).expect("reads");
                assert!(page.len() <= limit);
                paged.extend(page);
                match next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            assert_eq!(paged, wanted, "{filter:?}, limit {limit}");
        }
    }
}

#[test]
fn an_item_leaves_the_list_with_its_completion_event() {
    let records = support::small_history();
    // Fold until each completion, checking the item is listed just before
    // it and gone just after.
    let mut tables = MemoryTables::default();
    let mut checked = BTreeMap::new();
    let mut total = 0;
    for record in records {
        let event = decode_record(record).expect("decodes");
        let completes = match &event {
            Some(Event::TodoCompleted(e)) => Some(format!("todo:{}", e.todo_id.as_uuid())),
            Some(Event::CallbackTaskCompleted(e)) => {
                Some(format!("callback:{}", e.task_id.as_uuid()))
            }
            Some(Event::NurtureStepSent(e)) => {
                Some(format!("nurture:{}:{}", e.pack_id.as_uuid(), e.step_index))
            }
            _ => None,
        };
        let listed = |tables: &mut MemoryTables, id: &str| {
            let mut reader = Reader::new(tables);
            todos::list(&mut reader, &Filter::default())
                .expect("reads")
                .iter()
                .any(|item| item.item_id == id)
        };
        if let Some(id) = &completes {
            if total < 60 {
                assert!(listed(&mut tables, id), "{id} is open before it is done");
            }
        }
        tables
            .apply_with_directory::<TodosTables>(record)
            .expect("applies");
        if let Some(id) = completes {
            if total < 60 {
                total += 1;
                assert!(!listed(&mut tables, &id), "{id} left when it was done");
                let kind = id.split(':').next().unwrap_or_default().to_owned();
                *checked.entry(kind).or_insert(0) += 1;
            }
        }
    }
    assert!(
        checked.contains_key("todo") && checked.contains_key("nurture"),
        "completions of to-dos and nurture steps occur: {checked:?}"
    );
}

/// A table store that records which tables each write went to, and the
/// keys of the `items` rows read one by one.
struct RecordingWrites<'a> {
    tables: &'a mut MemoryTables,
    writes: Vec<&'static str>,
    items_read: Vec<Vec<u8>>,
}

impl RawRead for RecordingWrites<'_> {
    fn get_raw(&mut self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, TableError> {
        if table == "items" {
            self.items_read.push(key.to_vec());
        }
        self.tables.get_raw(table, key)
    }

    fn range_raw(
        &mut self,
        table: &'static str,
        from: &[u8],
        to: Option<&[u8]>,
        limit: usize,
    ) -> Result<RawRows, TableError> {
        self.tables.range_raw(table, from, to, limit)
    }
}

impl RawTx for RecordingWrites<'_> {
    fn put_raw(
        &mut self,
        table: &'static str,
        key: Vec<u8>,
        value: Vec<u8>,
    ) -> Result<(), TableError> {
        self.writes.push(table);
        self.tables.put_raw(table, key, value)
    }

    fn delete_raw(&mut self, table: &'static str, key: Vec<u8>) -> Result<(), TableError> {
        self.writes.push(table);
        self.tables.delete_raw(table, key)
    }
}

/// The customer whose owner `event` changes, if it changes one.
fn owner_change(event: &Event) -> Option<CustomerId> {
    match directory::placement_change(event) {
        Some((customer_id, directory::PlacementChange::Owner)) => Some(customer_id),
        _ => None,
    }
}

/// What the changes of owner in a history did (see
/// [`check_changes_of_owner`]).
#[derive(Debug, Default)]
struct OwnerChanges {
    /// Items written by a change of owner.
    moved_items: usize,
    /// Changes of owner of a customer with its own region and an open
    /// visit to-do, which was not read.
    todos_skipped: usize,
    /// Changes of owner of a customer without its own region whose open
    /// items changed region with it.
    regions_moved: usize,
}

/// Folds `records`, checking every change of owner:
/// - afterwards every open item of the customer is on the list of the
///   rep it is for and in the customer's region (as the directory places
///   it: its own region, else its owner's);
/// - only what moved was written: the items' rows and their rep-list rows,
///   and their region-list rows only for a customer without a region of
///   its own (whose region is its owner's); for a customer with one, one
///   rep row per moved item (two on a transfer) and no visit to-do read.
fn check_changes_of_owner(records: &[RecordedEvent]) -> OwnerChanges {
    let mut tables = MemoryTables::default();
    let mut seen = OwnerChanges::default();
    for record in records {
        let event = decode_record(record).expect("decodes");
        let Some((event, customer_id)) =
            event.and_then(|event| owner_change(&event).map(|customer| (event, customer)))
        else {
            tables
                .apply_with_directory::<TodosTables>(record)
                .expect("the work list applies");
            continue;
        };
        let at = format!("{} at {}", event.event_type(), record.position);
        let customer_items = |tables: &mut MemoryTables| {
            todos::list(&mut Reader::new(tables), &Filter::default())
                .expect("reads")
                .into_iter()
                .filter(|item| item.customer_id == customer_id)
                .collect::<Vec<_>>()
        };
        let before = customer_items(&mut tables);
        tables
            .apply::<DirectoryTables>(record)
            .expect("the directory applies");
        let directory::Placement {
            owner,
            region,
            own_region,
        } = directory::customer_placement(&mut Reader::new(&mut tables), customer_id)
            .expect("reads");
        let mut recording = RecordingWrites {
            tables: &mut tables,
            writes: Vec::new(),
            items_read: Vec::new(),
        };
        TodosTables::apply(&mut Tx::new(&mut recording), record, &event)
            .expect("the work list applies");
        let RecordingWrites {
            writes, items_read, ..
        } = recording;

        let after = customer_items(&mut tables);
        assert_eq!(
            before.len(),
            after.len(),
            "{at}: a change of owner opens or closes nothing"
        );
        for item in &after {
            assert_eq!(item.region, region, "{at}: {item:?}");
            if item.kind != ItemKind::VisitTodo {
                assert_eq!(item.rep_id, owner, "{at}: {item:?}");
            }
        }

        let allowed: &[&str] = if own_region {
            &["items", "open_by_rep"]
        } else {
            &["items", "open_by_rep", "open_by_region"]
        };
        assert!(
            writes.iter().all(|table| allowed.contains(table)),
            "{at}: {writes:?}"
        );
        let items = writes.iter().filter(|table| **table == "items").count();
        seen.moved_items += items;
        if own_region {
            let rep_rows = writes.len() - items;
            let per_item = if matches!(event, Event::CustomerTransferred(_)) {
                2
            } else {
                1
            };
            assert_eq!(rep_rows, per_item * items, "{at}: {writes:?}");
            let todos_read = items_read
                .iter()
                .filter(|key| key.windows(5).any(|window| window == b"todo:"))
                .count();
            assert_eq!(todos_read, 0, "{at}");
            if after.iter().any(|item| item.kind == ItemKind::VisitTodo) {
                seen.todos_skipped += 1;
            }
        } else if before
            .iter()
            .zip(&after)
            .any(|(was, is)| was.region != is.region)
        {
            seen.regions_moved += 1;
        }
    }
    seen
}

/// `records` with the `region` attribute taken off every other customer's
/// registration and attribute sets: those customers are placed in their
/// owner's region.
fn without_own_regions(records: &[RecordedEvent]) -> Vec<RecordedEvent> {
    let mut registered = 0;
    let mut stripped = BTreeSet::new();
    records
        .iter()
        .map(|record| {
            let mut record = record.clone();
            if !matches!(
                record.event_type.as_str(),
                "CustomerRegistered" | "CustomerAttributesSet"
            ) {
                return record;
            }
            let mut payload = record.payload.to_value().expect("json");
            let customer = payload["customer_id"]
                .as_str()
                .expect("a customer")
                .to_owned();
            if record.event_type == "CustomerRegistered" {
                registered += 1;
                if registered % 2 == 0 {
                    stripped.insert(customer.clone());
                }
            }
            if stripped.contains(&customer) {
                if let Some(attributes) = payload["attributes"].as_object_mut() {
                    attributes.remove("region");
                }
                record.payload = CanonicalJson::from_value(&payload);
            }
            record
        })
        .collect()
}

/// When a customer changes hands (claimed, transferred, released, recalled
/// or returned to the pool) its open items follow the new owner, and only
/// what moved is written. In the generated history every customer has a
/// region of its own, so a change of owner writes each owner-following
/// item's row and its rep-list row, never the due-day or region lists,
/// and does not read a visit to-do (it stays the visiting rep's): the cost
/// of a change of owner is the items that move. With the region taken off
/// half the customers, their items also move to the new owner's region.
#[test]
fn a_change_of_owner_writes_only_the_rows_that_move() {
    let records = support::small_history();
    let seen = check_changes_of_owner(records);
    assert!(
        seen.moved_items > 0,
        "no change of owner moved an open item: {seen:?}"
    );
    assert!(seen.todos_skipped > 0, "no visit to-do to skip: {seen:?}");

    let seen = check_changes_of_owner(&without_own_regions(records));
    assert!(seen.moved_items > 0, "{seen:?}");
    assert!(
        seen.regions_moved > 0,
        "no change of owner moved a customer's items to another region: {seen:?}"
    );
}

/// An item is in its customer's region from the customer's registration
/// on, even when it was opened first (then it starts `unassigned`), and
/// an attribute set that drops the customer's own region moves its items
/// to its owner's region: each of these places the customer's items
/// again, as the directory places the customer.
#[test]
fn a_customers_items_take_its_region_at_registration_and_when_it_is_dropped() {
    let records = support::small_history();
    let customer_of = |record: &RecordedEvent| {
        record.payload.to_value().expect("json")["customer_id"]
            .as_str()
            .map(str::to_owned)
    };
    let todo = records
        .iter()
        .find(|record| record.event_type == "TodoCreated")
        .expect("a visit to-do");
    let customer = customer_of(todo).expect("the to-do's customer");
    // Where the first `event_type` about the to-do's customer is.
    let first = |event_type: &str| {
        records
            .iter()
            .position(|record| {
                record.event_type == event_type
                    && customer_of(record).as_deref() == Some(customer.as_str())
            })
            .unwrap_or_else(|| panic!("no {event_type} of the customer"))
    };
    let registered = first("CustomerRegistered");
    let claimed = &records[first("CustomerClaimed")];
    let mut registration = records[registered].payload.to_value().expect("json");
    let mut attributes = registration["attributes"].take();
    assert!(
        attributes
            .as_object_mut()
            .expect("attributes")
            .remove("region")
            .is_some(),
        "the generated customer has a region of its own"
    );
    let mut dropped = claimed.clone();
    dropped.event_type = "CustomerAttributesSet".to_owned();
    dropped.payload = CanonicalJson::from_value(&serde_json::json!({
        "customer_id": customer,
        "attributes": attributes,
        "set_at": registration["registered_at"],
    }));

    // Everything before the registration, the to-do, then the
    // registration, the claim and the attribute set.
    let mut tables = MemoryTables::default();
    let mut regions = Vec::new();
    let customer_id: CustomerId =
        serde_json::from_value(serde_json::Value::String(customer.clone())).expect("an id");
    let checked = [&records[registered], claimed, &dropped];
    for (index, record) in records[..registered]
        .iter()
        .chain([todo])
        .chain(checked)
        .enumerate()
    {
        tables
            .apply_with_directory::<TodosTables>(record)
            .expect("the work list applies");
        if index <= registered {
            continue;
        }
        let mut reader = Reader::new(&mut tables);
        let expected = directory::customer_region(&mut reader, customer_id).expect("reads");
        let items: Vec<_> = todos::list(&mut reader, &Filter::default())
            .expect("reads")
            .into_iter()
            .filter(|item| item.customer_id == customer_id)
            .collect();
        assert_eq!(items.len(), 1, "{}: {items:?}", record.event_type);
        assert_eq!(items[0].region, expected, "after {}", record.event_type);
        regions.push((record.event_type.clone(), expected));
    }
    assert_eq!(regions.len(), 3, "{regions:?}");
    assert_ne!(regions[0].1, "unassigned", "{regions:?}");
}

/// A call-back's due day is the last day a day close still finds it in
/// time: the close of that day is the one that records it missed (C7: due
/// within 48 hours of the close that turned the customer yellow, which
/// ends at local midnight, the end of the second day after).
#[test]
fn a_call_back_is_due_on_the_day_whose_close_finds_it_missed() {
    let records = support::small_history();
    let mut due_at = BTreeMap::new();
    let mut n_missed = 0;
    for record in records {
        match decode_record(record).ok().flatten() {
            Some(Event::CallbackTaskCreated(created)) => {
                due_at.insert(created.task_id, created.due_at);
            }
            Some(Event::CallbackTaskMissed(missed)) => {
                let due = due_at[&missed.task_id];
                assert_eq!(todos::deadline_day(due), missed.day, "due at {due}");
                n_missed += 1;
            }
            _ => {}
        }
    }
    assert!(n_missed > 0, "the history misses call-backs");
    // On the list, a missed call-back was due on the day that missed it.
    let mut tables = folded(records);
    let mut reader = Reader::new(&mut tables);
    let all = todos::list(&mut reader, &Filter::default()).expect("reads");
    let missed: Vec<_> = all.iter().filter(|item| item.missed_on.is_some()).collect();
    assert!(!missed.is_empty(), "a missed call-back stays listed");
    for item in missed {
        assert_eq!(Some(item.due_on), item.missed_on, "{item:?}");
    }
    // Due at local midnight (16:00 UTC in China): the day that ends then.
    let midnight = chrono::DateTime::parse_from_rfc3339("2027-03-04T00:00:00+08:00")
        .expect("time")
        .with_timezone(&chrono::Utc);
    let day = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("day");
    assert_eq!(todos::deadline_day(midnight), day("2027-03-03"));
    assert_eq!(
        todos::deadline_day(midnight + chrono::Duration::seconds(1)),
        day("2027-03-04")
    );
}
