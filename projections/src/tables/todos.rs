//! A rep's work list (issue 16): every open item of work with a due date,
//! wherever in the log it arose, on the list of the rep it is for.
//!
//! | kind | arises on | is for | leaves the list on |
//! |---|---|---|---|
//! | `visit_todo` | `TodoCreated` (a visit's next action, SPEC C4) | the visiting rep (only they complete it) | `TodoCompleted` |
//! | `callback` | `CallbackTaskCreated` (a CSM call-back, C7) | the customer's owner | `CallbackTaskCompleted` |
//! | `task_card` | `OverdueTaskCardIssued` for `sales` (C10) | the customer's owner | the `PaymentReceived` that pays the instalment off |
//! | `nurture_step` | `NurturePackStarted`, one per scheduled step (C5) | the customer's owner | `NurtureStepSent` for the step; `NurturePackClosed` takes the pack's unsent steps off |
//!
//! "The customer's owner" is the shared directory's, as of each record:
//! when a customer is claimed, transferred or returned to the pool, its
//! open call-backs, cards and nurture steps follow the new owner (none
//! while it is in the pool); a visit to-do stays the visiting rep's. An
//! item's region is its customer's ([`directory::customer_region`]),
//! placed again whenever the customer's attributes or owner change.
//! A change of owner rewrites only what moves: an owner-following item's
//! row and its row on the reps' lists, and its row on the regions' lists
//! when the customer has no region of its own (it is placed in its
//! owner's). Version 2; version 1 rewrote every index row of every open
//! item of the customer, read its visit to-dos too, and did not place
//! items again at the customer's registration.
//! Finance and legal cards are the departments' work, not a rep's: they
//! are not on this list (`/v1/views/receivables/task-cards` has them).
//!
//! | table | key | value |
//! |---|---|---|
//! | `last_closed` | `()` | the last closed day (the list's "today" is the day after) |
//! | `items` | item id | one open item ([`StoredItem`]) |
//! | `open` | (due day, position, item id) | `()`: every open item by due day |
//! | `open_by_rep` | (rep id, due day, position, item id) | `()`: a rep's open items |
//! | `open_by_region` | (region, due day, position, item id) | `()`: a region's open items |
//! | `customer_items` | (customer id, item id) | `()`: a customer's open items, to place them again |
//! | `pack_steps` | (pack id, step index) | `()`: a nurture pack's open steps |
//! | `overdue_instalments` | (contract id, instalment index) | what is outstanding and the sales cards it keeps open ([`OverdueInstalment`]) |
//!
//! Item ids are `todo:<todo id>`, `callback:<task id>`, `card:<card id>`
//! and `nurture:<pack id>:<step index>`. A list is in due-day order, then
//! log order (the position of the event the item arose from), then item
//! id. The status of an item is worked out when read, against the last
//! closed day of the log (never the clock): `missed` (a call-back a day
//! close found open past its due time, `CallbackTaskMissed`), `overdue`
//! (its due day has closed), `due` (due on the day after the last closed
//! day), `upcoming` (later, or no day has closed yet).

use chrono::{DateTime, NaiveDate, Utc};
use salesledger_domain::contract::Department;
use salesledger_domain::health::local_day;
use salesledger_domain::value::{ContractId, CustomerId, RepId};
use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::directory::{self, PlacementChange};
use super::responsibility::page_rows;
use super::{Table, TableError, TableProjector, TableRead, Tx};
use crate::error::ProjectionError;

/// The last closed day.
pub const LAST_CLOSED: Table<(), NaiveDate> = Table::new("last_closed");
/// Open items by id.
pub const ITEMS: Table<String, StoredItem> = Table::new("items");
/// Every open item, by due day, position and id.
pub const OPEN: Table<SortKey, ()> = Table::new("open");
/// Open items with a rep, by rep, then as [`OPEN`].
pub const OPEN_BY_REP: Table<(RepId, NaiveDate, u64, String), ()> = Table::new("open_by_rep");
/// Open items by region, then as [`OPEN`].
pub const OPEN_BY_REGION: Table<(String, NaiveDate, u64, String), ()> =
    Table::new("open_by_region");
/// Each customer's open items.
pub const CUSTOMER_ITEMS: Table<(CustomerId, String), ()> = Table::new("customer_items");
/// Each nurture pack's open steps.
pub const PACK_STEPS: Table<(Uuid, u32), ()> = Table::new("pack_steps");
/// Overdue instalments with open sales cards.
pub const OVERDUE_INSTALMENTS: Table<(ContractId, u32), OverdueInstalment> =
    Table::new("overdue_instalments");

/// Where an item sorts in a list (and a page's cursor): due day, the
/// position of the event it arose from, its id.
pub type SortKey = (NaiveDate, u64, String);

/// What kind of work an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A next action from a visit (SPEC C4).
    VisitTodo,
    /// A CSM call-back task (C7).
    Callback,
    /// The sales task card of an overdue instalment (C10).
    TaskCard,
    /// A scheduled step of a nurture pack (C5).
    NurtureStep,
}

impl ItemKind {
    /// Whether the item is the customer's owner's (and follows them).
    fn follows_owner(self) -> bool {
        self != ItemKind::VisitTodo
    }
}

/// The event an item arose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub event_type: String,
    pub event_id: Uuid,
    pub position: u64,
    pub recorded_at: DateTime<Utc>,
}

/// One open item as stored. Every field is plain (no tags, no skipped
/// fields): the value is postcard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredItem {
    pub kind: ItemKind,
    pub customer_id: CustomerId,
    pub rep_id: Option<RepId>,
    pub region: String,
    pub title: String,
    pub due_on: NaiveDate,
    pub due_at: Option<DateTime<Utc>>,
    /// The closed day that found a call-back open past its due time.
    pub missed_on: Option<NaiveDate>,
    pub source: Source,
    /// The visit, call-back task, task card or nurture pack it belongs to.
    pub subject_id: Uuid,
    /// The contract and instalment of a card; the step of a nurture pack.
    pub contract_id: Option<ContractId>,
    pub index: Option<u32>,
}

/// An overdue instalment whose sales cards are open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueInstalment {
    pub customer_id: CustomerId,
    pub due_on: NaiveDate,
    pub outstanding_fen: u64,
    /// The open cards' item ids.
    pub cards: Vec<String>,
}

/// An item's status as of the last closed day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A call-back a day close found open past its due time.
    Missed,
    /// Its due day has closed.
    Overdue,
    /// Due on the day after the last closed day.
    Due,
    /// Due later, or no day has closed yet.
    Upcoming,
}

/// One item of a work list, as answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkItem {
    pub item_id: String,
    pub kind: ItemKind,
    pub status: Status,
    pub customer_id: CustomerId,
    /// The rep whose list it is on (`null`: a pool customer's).
    pub rep_id: Option<RepId>,
    /// The role whose work it is: `csm` for a call-back (on the owner's
    /// list so the rep knows of it; only a CSM completes it), `rep`
    /// otherwise.
    pub for_role: &'static str,
    pub region: String,
    pub title: String,
    pub due_on: NaiveDate,
    /// The due time of a call-back or nurture step.
    pub due_at: Option<DateTime<Utc>>,
    pub missed_on: Option<NaiveDate>,
    pub source: Source,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visit_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub todo_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<ContractId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instalment_index: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pack_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_index: Option<u32>,
    /// Its key in the list's order (what a page's cursor names); not
    /// part of the answer.
    #[serde(skip)]
    pub sort_key: SortKey,
}

/// The work-list projector.
#[derive(Debug, Clone, Copy, Default)]
pub struct TodosTables;

impl TableProjector for TodosTables {
    const NAME: &'static str = "todos";
    // 3: a deadline at local midnight is due on the day it ends.
    const VERSION: u32 = 3;

    fn tables() -> &'static [&'static str] {
        &[
            "last_closed",
            "items",
            "open",
            "open_by_rep",
            "open_by_region",
            "customer_items",
            "pack_steps",
            "overdue_instalments",
        ]
    }

    fn reads() -> &'static [&'static str] {
        directory::TABLES
    }

    fn apply(
        tx: &mut Tx<'_>,
        record: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        let source = || Source {
            event_type: event.event_type().to_owned(),
            event_id: record.event_id,
            position: record.position,
            recorded_at: record.recorded_at,
        };
        match event {
            Event::DayClosed(closed) => {
                let last = tx.get(&LAST_CLOSED, &())?;
                if last.map_or(true, |last| closed.day > last) {
                    tx.put(&LAST_CLOSED, &(), &closed.day)?;
                }
            }
            Event::TodoCreated(created) => {
                let item = StoredItem {
                    kind: ItemKind::VisitTodo,
                    customer_id: created.customer_id,
                    rep_id: Some(created.rep_id),
                    region: directory::customer_region(tx, created.customer_id)?,
                    title: created.title.as_str().to_owned(),
                    due_on: created.due_on,
                    due_at: None,
                    missed_on: None,
                    source: source(),
                    subject_id: created.visit_id.as_uuid(),
                    contract_id: None,
                    index: None,
                };
                open(tx, todo_id(created.todo_id.as_uuid()), item)?;
            }
            Event::TodoCompleted(completed) => {
                close(tx, &todo_id(completed.todo_id.as_uuid()))?;
            }
            Event::CallbackTaskCreated(created) => {
                let item = StoredItem {
                    kind: ItemKind::Callback,
                    customer_id: created.customer_id,
                    rep_id: directory::customer_owner(tx, created.customer_id)?,
                    region: directory::customer_region(tx, created.customer_id)?,
                    title: "CSM call-back: the customer's health turned yellow".to_owned(),
                    due_on: deadline_day(created.due_at),
                    due_at: Some(created.due_at),
                    missed_on: None,
                    source: source(),
                    subject_id: created.task_id.as_uuid(),
                    contract_id: None,
                    index: None,
                };
                open(tx, callback_id(created.task_id.as_uuid()), item)?;
            }
            Event::CallbackTaskMissed(missed) => {
                let id = callback_id(missed.task_id.as_uuid());
                if let Some(mut item) = tx.get(&ITEMS, &id)? {
                    if item.missed_on.is_none() {
                        item.missed_on = Some(missed.day);
                        tx.put(&ITEMS, &id, &item)?;
                    }
                }
            }
            Event::CallbackTaskCompleted(completed) => {
                close(tx, &callback_id(completed.task_id.as_uuid()))?;
            }
            Event::InstalmentOverdue(overdue) => {
                let key = (overdue.contract_id, overdue.index);
                if tx.get(&OVERDUE_INSTALMENTS, &key)?.is_none() && overdue.outstanding_fen > 0 {
                    let instalment = OverdueInstalment {
                        customer_id: overdue.customer_id,
                        due_on: overdue.due_on,
                        outstanding_fen: overdue.outstanding_fen,
                        cards: Vec::new(),
                    };
                    tx.put(&OVERDUE_INSTALMENTS, &key, &instalment)?;
                }
            }
            Event::OverdueTaskCardIssued(issued) if issued.department == Department::Sales => {
                let key = (issued.contract_id, issued.index);
                // A card is open while its instalment is: one already paid
                // off (or never flagged) leaves nothing to do.
                let Some(mut instalment) = tx.get(&OVERDUE_INSTALMENTS, &key)? else {
                    return Ok(());
                };
                let id = card_id(issued.card_id.as_uuid());
                if instalment.cards.contains(&id) {
                    return Ok(());
                }
                let item = StoredItem {
                    kind: ItemKind::TaskCard,
                    customer_id: issued.customer_id,
                    rep_id: directory::customer_owner(tx, issued.customer_id)?,
                    region: directory::customer_region(tx, issued.customer_id)?,
                    title: format!(
                        "Overdue instalment {} of contract {}: {} fen outstanding",
                        issued.index, issued.contract_id, instalment.outstanding_fen
                    ),
                    due_on: instalment.due_on,
                    due_at: None,
                    missed_on: None,
                    source: source(),
                    subject_id: issued.card_id.as_uuid(),
                    contract_id: Some(issued.contract_id),
                    index: Some(issued.index),
                };
                open(tx, id.clone(), item)?;
                instalment.cards.push(id);
                tx.put(&OVERDUE_INSTALMENTS, &key, &instalment)?;
            }
            Event::PaymentReceived(received) => {
                for allocation in &received.allocations {
                    let key = (received.contract_id, allocation.index);
                    let Some(mut instalment) = tx.get(&OVERDUE_INSTALMENTS, &key)? else {
                        continue;
                    };
                    instalment.outstanding_fen = instalment
                        .outstanding_fen
                        .saturating_sub(allocation.amount_fen);
                    if instalment.outstanding_fen == 0 {
                        for card in &instalment.cards {
                            close(tx, card)?;
                        }
                        tx.delete(&OVERDUE_INSTALMENTS, &key)?;
                    } else {
                        tx.put(&OVERDUE_INSTALMENTS, &key, &instalment)?;
                    }
                }
            }
            Event::NurturePackStarted(started) => {
                let owner = directory::customer_owner(tx, started.customer_id)?;
                let region = directory::customer_region(tx, started.customer_id)?;
                let pack = started.pack_id.as_uuid();
                for step in &started.steps {
                    if tx.get(&PACK_STEPS, &(pack, step.step_index))?.is_some() {
                        continue;
                    }
                    let kind = serde_json::to_value(step.kind)
                        .ok()
                        .and_then(|value| value.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    let item = StoredItem {
                        kind: ItemKind::NurtureStep,
                        customer_id: started.customer_id,
                        rep_id: owner,
                        region: region.clone(),
                        title: format!(
                            "Nurture step {}: send {kind} ({})",
                            step.step_index, step.content_ref
                        ),
                        due_on: deadline_day(step.due_at),
                        due_at: Some(step.due_at),
                        missed_on: None,
                        source: source(),
                        subject_id: pack,
                        contract_id: None,
                        index: Some(step.step_index),
                    };
                    open(tx, nurture_id(pack, step.step_index), item)?;
                    tx.put(&PACK_STEPS, &(pack, step.step_index), &())?;
                }
            }
            Event::NurtureStepSent(sent) => {
                let pack = sent.pack_id.as_uuid();
                close(tx, &nurture_id(pack, sent.step_index))?;
                tx.delete(&PACK_STEPS, &(pack, sent.step_index))?;
            }
            Event::NurturePackClosed(closed) => {
                let pack = closed.pack_id.as_uuid();
                for ((_, step), ()) in tx.prefix(&PACK_STEPS, &pack)? {
                    close(tx, &nurture_id(pack, step))?;
                    tx.delete(&PACK_STEPS, &(pack, step))?;
                }
            }
            _ => {
                if let Some((customer_id, change)) = directory::placement_change(event) {
                    place_again(tx, customer_id, change)?;
                }
            }
        }
        Ok(())
    }
}

fn todo_id(id: Uuid) -> String {
    format!("{TODO_PREFIX}{id}")
}

/// The start of a visit to-do's item id.
const TODO_PREFIX: &str = "todo:";

fn callback_id(id: Uuid) -> String {
    format!("callback:{id}")
}

fn card_id(id: Uuid) -> String {
    format!("card:{id}")
}

fn nurture_id(pack: Uuid, step: u32) -> String {
    format!("nurture:{pack}:{step}")
}

/// `item`'s row in [`OPEN_BY_REP`], when it is on a rep's list.
fn rep_key(id: &str, item: &StoredItem) -> Option<(RepId, NaiveDate, u64, String)> {
    item.rep_id
        .map(|rep_id| (rep_id, item.due_on, item.source.position, id.to_owned()))
}

/// `item`'s row in [`OPEN_BY_REGION`].
fn region_key(id: &str, item: &StoredItem) -> (String, NaiveDate, u64, String) {
    (
        item.region.clone(),
        item.due_on,
        item.source.position,
        id.to_owned(),
    )
}

/// Puts `item`'s index rows.
fn index(tx: &mut Tx<'_>, id: &str, item: &StoredItem) -> Result<(), TableError> {
    tx.put(
        &OPEN,
        &(item.due_on, item.source.position, id.to_owned()),
        &(),
    )?;
    if let Some(key) = rep_key(id, item) {
        tx.put(&OPEN_BY_REP, &key, &())?;
    }
    tx.put(&OPEN_BY_REGION, &region_key(id, item), &())
}

/// Deletes `item`'s index rows.
fn unindex(tx: &mut Tx<'_>, id: &str, item: &StoredItem) -> Result<(), TableError> {
    tx.delete(&OPEN, &(item.due_on, item.source.position, id.to_owned()))?;
    if let Some(key) = rep_key(id, item) {
        tx.delete(&OPEN_BY_REP, &key)?;
    }
    tx.delete(&OPEN_BY_REGION, &region_key(id, item))
}

/// Opens an item (an id already open is left as it is).
fn open(tx: &mut Tx<'_>, id: String, item: StoredItem) -> Result<(), TableError> {
    if tx.get(&ITEMS, &id)?.is_some() {
        return Ok(());
    }
    index(tx, &id, &item)?;
    tx.put(&CUSTOMER_ITEMS, &(item.customer_id, id.clone()), &())?;
    tx.put(&ITEMS, &id, &item)
}

/// Takes an item off every list (an id not open is nothing to do).
fn close(tx: &mut Tx<'_>, id: &str) -> Result<(), TableError> {
    let id = id.to_owned();
    let Some(item) = tx.get(&ITEMS, &id)? else {
        return Ok(());
    };
    unindex(tx, &id, &item)?;
    tx.delete(&CUSTOMER_ITEMS, &(item.customer_id, id.clone()))?;
    tx.delete(&ITEMS, &id)
}

/// Places a customer's open items again after its owner or attributes
/// changed (the directory, folded first, has the change): the owner's
/// items follow the owner, every item its customer's region.
///
/// A change of owner of a customer with a region of its own reads only
/// the owner's items: the region did not move (every item of such a
/// customer holds it, since each change of it places them all again), and
/// a visit to-do stays the visiting rep's, so it cannot move. A customer
/// without a region of its own is placed in its owner's, so then every
/// item is read.
fn place_again(
    tx: &mut Tx<'_>,
    customer_id: CustomerId,
    change: PlacementChange,
) -> Result<(), TableError> {
    let open_items = tx.prefix(&CUSTOMER_ITEMS, &customer_id)?;
    if open_items.is_empty() {
        return Ok(());
    }
    let directory::Placement {
        owner,
        region,
        own_region,
    } = directory::customer_placement(tx, customer_id)?;
    let owners_items_only = change == PlacementChange::Owner && own_region;
    for ((_, id), ()) in open_items {
        if owners_items_only && id.starts_with(TODO_PREFIX) {
            continue;
        }
        let Some(item) = tx.get(&ITEMS, &id)? else {
            continue;
        };
        let mut placed = item.clone();
        if item.kind.follows_owner() {
            placed.rep_id = owner;
        }
        placed.region = region.clone();
        if placed == item {
            continue;
        }
        // Only the index rows whose key moved are rewritten: the due-day
        // list's row stays, and so does the other list's when only the
        // owner (or only the region) changed.
        if placed.rep_id != item.rep_id {
            if let Some(key) = rep_key(&id, &item) {
                tx.delete(&OPEN_BY_REP, &key)?;
            }
            if let Some(key) = rep_key(&id, &placed) {
                tx.put(&OPEN_BY_REP, &key, &())?;
            }
        }
        if placed.region != item.region {
            tx.delete(&OPEN_BY_REGION, &region_key(&id, &item))?;
            tx.put(&OPEN_BY_REGION, &region_key(&id, &placed), &())?;
        }
        tx.put(&ITEMS, &id, &placed)?;
    }
    Ok(())
}

/// Which open items a list holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this rep's.
    pub rep_id: Option<RepId>,
    /// Only this region's.
    pub region: Option<String>,
    /// Only items of this kind (a CSM's call-backs: `Callback`).
    pub kind: Option<ItemKind>,
}

/// The last closed day (`None` before the first close).
pub fn as_of(rows: &mut impl TableRead) -> Result<Option<NaiveDate>, TableError> {
    rows.get(&LAST_CLOSED, &())
}

/// The last local day on which work due by `due_at` can be done: the day
/// the instant falls in, except that a deadline at local midnight (a
/// call-back due 48 hours after a day's close, for one) ends the day
/// before it, not the day it starts.
pub fn deadline_day(due_at: DateTime<Utc>) -> NaiveDate {
    local_day(due_at - chrono::Duration::nanoseconds(1))
}

/// `item`'s status as of `as_of` (the last closed day).
pub fn status(item: &StoredItem, as_of: Option<NaiveDate>) -> Status {
    if item.missed_on.is_some() {
        return Status::Missed;
    }
    match as_of {
        Some(closed) if item.due_on <= closed => Status::Overdue,
        Some(closed) if closed.succ_opt() == Some(item.due_on) => Status::Due,
        _ => Status::Upcoming,
    }
}

fn work_item(sort_key: SortKey, item: StoredItem, as_of: Option<NaiveDate>) -> WorkItem {
    let id = sort_key.2.clone();
    let status = status(&item, as_of);
    let subject = Some(item.subject_id);
    let (visit_id, todo_id, task_id, card_id, pack_id) = match item.kind {
        ItemKind::VisitTodo => {
            let todo = id
                .strip_prefix(TODO_PREFIX)
                .and_then(|raw| Uuid::parse_str(raw).ok());
            (subject, todo, None, None, None)
        }
        ItemKind::Callback => (None, None, subject, None, None),
        ItemKind::TaskCard => (None, None, None, subject, None),
        ItemKind::NurtureStep => (None, None, None, None, subject),
    };
    let (instalment_index, step_index) = match item.kind {
        ItemKind::TaskCard => (item.index, None),
        ItemKind::NurtureStep => (None, item.index),
        _ => (None, None),
    };
    WorkItem {
        item_id: id,
        kind: item.kind,
        status,
        customer_id: item.customer_id,
        rep_id: item.rep_id,
        for_role: match item.kind {
            ItemKind::Callback => "csm",
            _ => "rep",
        },
        region: item.region,
        title: item.title,
        due_on: item.due_on,
        due_at: item.due_at,
        missed_on: item.missed_on,
        source: item.source,
        visit_id,
        todo_id,
        task_id,
        card_id,
        contract_id: item.contract_id,
        instalment_index,
        pack_id,
        step_index,
        sort_key,
    }
}

/// At most `chunk` sort keys of the list's index after `after`, and where
/// the next chunk starts.
fn keys_chunk(
    rows: &mut impl TableRead,
    filter: &Filter,
    after: Option<&SortKey>,
    chunk: usize,
) -> Result<(Vec<SortKey>, Option<SortKey>), TableError> {
    if let Some(rep_id) = filter.rep_id {
        let after = after.map(|(day, position, id)| (rep_id, *day, *position, id.clone()));
        let (page, next) = page_rows(rows, &OPEN_BY_REP, &rep_id, after.as_ref(), chunk)?;
        return Ok((
            page.into_iter()
                .map(|((_, day, position, id), ())| (day, position, id))
                .collect(),
            next.map(|(_, day, position, id)| (day, position, id)),
        ));
    }
    if let Some(region) = &filter.region {
        let after = after.map(|(day, position, id)| (region.clone(), *day, *position, id.clone()));
        let (page, next) = page_rows(rows, &OPEN_BY_REGION, region, after.as_ref(), chunk)?;
        return Ok((
            page.into_iter()
                .map(|((_, day, position, id), ())| (day, position, id))
                .collect(),
            next.map(|(_, day, position, id)| (day, position, id)),
        ));
    }
    let (page, next) = page_rows(rows, &OPEN, &(), after, chunk)?;
    Ok((page.into_iter().map(|(key, ())| key).collect(), next))
}

/// One page of the work list: at most `limit` open items that pass
/// `filter`, after `after`, in list order (due day, position, id); and the
/// key to continue after (`None`: no more items; with both a rep and a
/// region, the next page may be empty).
pub fn page(
    rows: &mut impl TableRead,
    filter: &Filter,
    after: Option<SortKey>,
    limit: usize,
) -> Result<(Vec<WorkItem>, Option<SortKey>), TableError> {
    let as_of = as_of(rows)?;
    let limit = limit.max(1);
    let chunk = limit.min(256);
    let mut out = Vec::new();
    let mut after = after;
    loop {
        let (keys, next) = keys_chunk(rows, filter, after.as_ref(), chunk)?;
        let count = keys.len();
        for (seen, key) in keys.into_iter().enumerate() {
            let item = rows.get(&ITEMS, &key.2)?.ok_or_else(|| {
                TableError::Storage(format!("work item {} is listed but has no row", key.2))
            })?;
            if filter
                .region
                .as_ref()
                .is_some_and(|region| *region != item.region)
                || filter.kind.is_some_and(|kind| kind != item.kind)
            {
                continue;
            }
            out.push(work_item(key.clone(), item, as_of));
            if out.len() == limit {
                let last = seen + 1 == count && next.is_none();
                return Ok((out, (!last).then_some(key)));
            }
        }
        match next {
            Some(next) => after = Some(next),
            None => return Ok((out, None)),
        }
    }
}

/// The whole work list that passes `filter`, in list order.
pub fn list(rows: &mut impl TableRead, filter: &Filter) -> Result<Vec<WorkItem>, TableError> {
    Ok(page(rows, filter, None, usize::MAX)?.0)
}
