//! Read models as keyed tables (issue 14, `docs/design/read-model-tables.md`):
//! the storage-free half of the table engine.
//!
//! A [`TableProjector`] (the projector trait, version 2) declares typed
//! [`Table`]s and applies each event to rows through a [`Tx`] that the
//! runner hands it. This crate stays a pure fold: the `Tx` wraps a
//! [`RawTx`], an object-safe trait over encoded keys and values, and the
//! storage behind it (sled, with a write-back cache) lives in
//! `salesledger-replay` (`readmodel`). Tests and offline tools can use
//! [`MemoryTables`], a `BTreeMap` behind the same trait.
//!
//! - keys: [`TableKey`], an order-preserving encoding (module [`key`]);
//! - values: `postcard` (compact serde, varints); the bytes are part of the
//!   canonical dump compared across live, rebuilt and resumed runs, so a
//!   value type must serialise deterministically (no hash maps);
//! - [`assets`]: the process-asset view (SPEC C9) ported to tables, the
//!   first real projector on the engine.
//! - [`responsibility`]: the responsibility log (SPEC C2, C3), one row per
//!   entry.
//! - [`funnel`]: the sales funnel (SPEC C11), one row per lead.
//! - [`receivables`]: receivables (SPEC C10), rows per contract,
//!   instalment, payment, overdue case and task card.
//! - [`leaderboard`]: the rep leaderboard, one row per month and rep.
//! - [`digest`]: the regional daily digest (SPEC C12), one row per region
//!   and day.
//! - [`retail`]: the chain-store views (SPEC C13, `retail_stores` and
//!   `retail_members`) on store-day, SKU-store-day and member rows.
//! - [`health`]: customer health (SPEC C7) with the shared health inputs,
//!   evaluated at a close only for the accounts due; [`risk`]: the morning
//!   risk list (C8), reading health's inputs (fold health before risk).
//! - [`todos`]: a rep's work list (issue 16): visit to-dos, CSM call-backs,
//!   sales task cards and nurture steps, open until their completion event.
//! - [`subjects`]: the subject index behind evidence bundles (issue 15):
//!   every record under every subject it concerns, and the streams linked
//!   to a customer.
//!
//! Determinism: a fold sees rows only through the `Tx`, in key order; it
//! never reads the clock or storage directly.

pub mod assets;
pub mod digest;
pub mod directory;
pub mod funnel;
pub mod health;
pub mod key;
pub mod leaderboard;
pub mod memo;
pub mod receivables;
pub mod responsibility;
pub mod retail;
pub mod risk;
pub mod subjects;
pub mod todos;

use std::any::Any;
use std::collections::BTreeMap;
use std::marker::PhantomData;

use salesledger_domain::Event;
use salesledger_store::RecordedEvent;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use key::{prefix_end, KeyError, TableKey};
pub use memo::RowMemo;

use crate::error::ProjectionError;
pub use crate::error::TableError;

/// A typed table: rows of `V` keyed by `K`, named within its projector.
/// Names are lowercase ASCII letters, digits and `_`.
pub struct Table<K, V> {
    name: &'static str,
    types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> Table<K, V> {
    /// A table named `name` (declare it in the projector's `tables()`).
    pub const fn new(name: &'static str) -> Self {
        Table {
            name,
            types: PhantomData,
        }
    }

    pub const fn name(&self) -> &'static str {
        self.name
    }
}

/// Whether `name` is a valid table or projector name: non-empty, at most
/// 64 bytes of lowercase ASCII letters, digits, `_` and `-`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_' || byte == b'-'
        })
}

/// Encoded rows as `(key bytes, value bytes)`, in key order.
pub type RawRows = Vec<(Vec<u8>, Vec<u8>)>;

/// Reads of encoded rows, in key order. Object-safe, so this crate needs no
/// storage: the runner implements it over its cache and sled.
pub trait RawRead {
    /// The value stored under `key` in `table`.
    fn get_raw(&mut self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, TableError>;
    /// Rows of `table` with `from <= key < to` (no upper bound when `to` is
    /// `None`), in key order, at most `limit`.
    fn range_raw(
        &mut self,
        table: &'static str,
        from: &[u8],
        to: Option<&[u8]>,
        limit: usize,
    ) -> Result<RawRows, TableError>;
}

/// Reads and writes of encoded rows.
pub trait RawTx: RawRead {
    fn put_raw(
        &mut self,
        table: &'static str,
        key: Vec<u8>,
        value: Vec<u8>,
    ) -> Result<(), TableError>;
    fn delete_raw(&mut self, table: &'static str, key: Vec<u8>) -> Result<(), TableError>;
    /// The memo of rows kept decoded between records ([`RowMemo`]) for
    /// rows of `table`, where the storage keeps one for it: the runner
    /// keeps one per projector for its own tables only (a provider's rows
    /// change under a reader, unseen by the reader's memo). `None`: every
    /// read of `table` decodes.
    fn memo(&mut self, _table: &'static str) -> Option<&mut RowMemo> {
        None
    }
}

fn decode_value<V: DeserializeOwned>(table: &'static str, bytes: &[u8]) -> Result<V, TableError> {
    postcard::from_bytes(bytes).map_err(|source| TableError::Value { table, source })
}

/// Whether two table names are the same table: the same address and
/// length (no text compared), else equal text (one name's literal can
/// live at several addresses).
pub(crate) fn same_table(a: &str, b: &str) -> bool {
    (std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()) || a == b
}

/// The encoding of the list `stored` (absent: empty) with `item` appended
/// (see [`Tx::push`]).
fn pushed<T: Serialize>(
    table: &'static str,
    stored: Option<&[u8]>,
    item: &T,
) -> Result<Vec<u8>, TableError> {
    let value_error = |source| TableError::Value { table, source };
    let (length, items) = match stored {
        Some(bytes) => postcard::take_from_bytes::<usize>(bytes).map_err(value_error)?,
        None => (0, &[][..]),
    };
    let length = length
        .checked_add(1)
        .ok_or_else(|| TableError::Storage(format!("table {table}: the list is full")))?;
    // The length's varint (at most 10 bytes), the stored items, and room
    // for a small item, so the vector grows at most once.
    let mut value = Vec::with_capacity(10 + items.len() + 64);
    value = postcard::to_extend(&length, value).map_err(value_error)?;
    value.extend_from_slice(items);
    postcard::to_extend(item, value).map_err(value_error)
}

/// Largest buffer [`encode_value`] keeps between values (a larger one,
/// made by a rare large row, is dropped after use).
const SCRATCH_KEPT: usize = 64 * 1024;

thread_local! {
    /// The buffer [`encode_value`] serialises into: it keeps its capacity
    /// from value to value, so a row is copied out once at its exact size
    /// instead of growing a new vector from empty (a 600-byte row grew
    /// through eight reallocations, most of a write's cost).
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The encoding of a row's value, as stored and dumped.
pub fn encode_value<V: Serialize>(table: &'static str, value: &V) -> Result<Vec<u8>, TableError> {
    let value_error = |source| TableError::Value { table, source };
    SCRATCH.with(|scratch| {
        // Not borrowed twice (serialising a value encodes no row); if it
        // ever were, the value is encoded the plain way.
        let Ok(mut scratch) = scratch.try_borrow_mut() else {
            return postcard::to_allocvec(value).map_err(value_error);
        };
        let mut buffer = std::mem::take(&mut *scratch);
        buffer.clear();
        let buffer = postcard::to_extend(value, buffer).map_err(value_error)?;
        let bytes = buffer.as_slice().to_vec();
        if buffer.capacity() <= SCRATCH_KEPT {
            *scratch = buffer;
        }
        Ok(bytes)
    })
}

fn decode_rows<K: TableKey, V: DeserializeOwned>(
    table: &'static str,
    rows: RawRows,
) -> Result<Vec<(K, V)>, TableError> {
    rows.into_iter()
        .map(|(key, value)| {
            let key =
                K::from_key_bytes(&key).map_err(|source| TableError::Key { table, source })?;
            Ok((key, decode_value(table, &value)?))
        })
        .collect()
}

fn typed_get<K: TableKey, V: DeserializeOwned>(
    raw: &mut dyn RawRead,
    table: &Table<K, V>,
    key: &K,
) -> Result<Option<V>, TableError> {
    raw.get_raw(table.name, &key.to_key_bytes())?
        .map(|bytes| decode_value(table.name, &bytes))
        .transpose()
}

fn typed_prefix<K: TableKey, V: DeserializeOwned, P: TableKey>(
    raw: &mut dyn RawRead,
    table: &Table<K, V>,
    prefix: &P,
) -> Result<Vec<(K, V)>, TableError> {
    let from = prefix.to_key_bytes();
    let to = prefix_end(&from);
    let rows = raw.range_raw(table.name, &from, to.as_deref(), usize::MAX)?;
    decode_rows(table.name, rows)
}

fn typed_range<K: TableKey, V: DeserializeOwned>(
    raw: &mut dyn RawRead,
    table: &Table<K, V>,
    from: Option<&K>,
    to: Option<&K>,
) -> Result<Vec<(K, V)>, TableError> {
    let from = from.map(TableKey::to_key_bytes).unwrap_or_default();
    let to = to.map(TableKey::to_key_bytes);
    let rows = raw.range_raw(table.name, &from, to.as_deref(), usize::MAX)?;
    decode_rows(table.name, rows)
}

/// The transaction a [`TableProjector`] folds one record through: typed
/// reads and writes of its own tables. Reads see the projector's own writes
/// (of this record and of earlier ones) before anything committed.
pub struct Tx<'a> {
    raw: &'a mut dyn RawTx,
}

impl<'a> Tx<'a> {
    pub fn new(raw: &'a mut dyn RawTx) -> Self {
        Tx { raw }
    }

    pub fn get<K: TableKey, V: DeserializeOwned>(
        &mut self,
        table: &Table<K, V>,
        key: &K,
    ) -> Result<Option<V>, TableError> {
        typed_get(self.raw, table, key)
    }

    pub fn put<K: TableKey, V: Serialize>(
        &mut self,
        table: &Table<K, V>,
        key: &K,
        value: &V,
    ) -> Result<(), TableError> {
        self.put_as(table, key, value)
    }

    /// Writes `value` under `key`: `value` is a borrowed form of the
    /// table's value type `V` that encodes to exactly the bytes the `V`
    /// built from the same data would (where building that `V` would
    /// copy what the caller already holds: health's inputs,
    /// [`health::StoredInputsRef`]). Such a form's tests hold the bytes
    /// equal; reads decode a `V` as usual.
    pub fn put_as<K: TableKey, V, W: Serialize>(
        &mut self,
        table: &Table<K, V>,
        key: &K,
        value: &W,
    ) -> Result<(), TableError> {
        let bytes = encode_value(table.name, value)?;
        let key = key.to_key_bytes();
        self.forget(table.name, &key);
        self.raw.put_raw(table.name, key, bytes)
    }

    pub fn delete<K: TableKey, V>(
        &mut self,
        table: &Table<K, V>,
        key: &K,
    ) -> Result<(), TableError> {
        let key = key.to_key_bytes();
        self.forget(table.name, &key);
        self.raw.delete_raw(table.name, key)
    }

    fn forget(&mut self, table: &'static str, key: &[u8]) {
        if let Some(memo) = self.raw.memo(table) {
            memo.forget(table, key);
        }
    }

    /// The row as a `D` the fold kept decoded ([`Tx::keep_memo`],
    /// [`Tx::put_memo`]), taken out of the memo (`None`: not kept; read
    /// the row). Keep it again if it is still what the row holds.
    pub fn take_memo<K: TableKey, V, D: Any>(&mut self, table: &Table<K, V>, key: &K) -> Option<D> {
        let memo = self.raw.memo(table.name)?;
        memo.take(table.name, &key.to_key_bytes())
    }

    /// Keeps `decoded` as what the row holds now (the caller's promise:
    /// decoding the row's bytes, as this fold sees them, gives `decoded`:
    /// it was read from the row or taken from the memo and not changed
    /// since, or just written), so the next [`Tx::take_memo`] need not
    /// decode it.
    pub fn keep_memo<K: TableKey, V, D: Any + Send + Sync>(
        &mut self,
        table: &Table<K, V>,
        key: &K,
        decoded: D,
    ) {
        if let Some(memo) = self.raw.memo(table.name) {
            memo.keep(table.name, key.to_key_bytes(), decoded);
        }
    }

    /// Writes `value` to the row and keeps `decoded`, its decoded form, in
    /// the memo.
    pub fn put_memo<K: TableKey, V: Serialize, D: Any + Send + Sync>(
        &mut self,
        table: &Table<K, V>,
        key: &K,
        value: &V,
        decoded: D,
    ) -> Result<(), TableError> {
        let bytes = encode_value(table.name, value)?;
        let key = key.to_key_bytes();
        self.raw.put_raw(table.name, key.clone(), bytes)?;
        if let Some(memo) = self.raw.memo(table.name) {
            // Replaces whatever was kept for the row.
            memo.keep(table.name, key, decoded);
        }
        Ok(())
    }

    /// [`Tx::get`] through the memo: a copy of the kept value (absence
    /// included), else the row decoded and kept. For small rows read at
    /// most records (a policy, a counter).
    pub fn get_memo<K: TableKey, V: DeserializeOwned + Clone + Send + Sync + 'static>(
        &mut self,
        table: &Table<K, V>,
        key: &K,
    ) -> Result<Option<V>, TableError> {
        self.get_memo_with(table, key, |value| value)
    }

    /// [`Tx::get_memo`] of what `derive` makes of the row (absence
    /// included): a copy of the kept `D`, else the row decoded, derived
    /// and kept. `derive` must depend on the row alone (it is run again
    /// whenever the row is written); for a large row read at most records,
    /// `D` can share it (an `Arc`) so that a hit copies nothing.
    pub fn get_memo_with<K: TableKey, V: DeserializeOwned, D: Clone + Any + Send + Sync>(
        &mut self,
        table: &Table<K, V>,
        key: &K,
        derive: impl FnOnce(Option<V>) -> D,
    ) -> Result<D, TableError> {
        let key_bytes = key.to_key_bytes();
        if let Some(memo) = self.raw.memo(table.name) {
            if let Some(kept) = memo.peek::<D>(table.name, &key_bytes) {
                return Ok(kept.clone());
            }
        }
        let value = derive(typed_get(self.raw, table, key)?);
        if let Some(memo) = self.raw.memo(table.name) {
            memo.keep(table.name, key_bytes, value.clone());
        }
        Ok(value)
    }

    /// Appends `item` to the list stored under `key` (a new list when the
    /// row is absent), as `get`, `push` and `put` would, without decoding
    /// the stored items: postcard writes a sequence as its length (a
    /// varint) then its items, so the new row is the new length, the stored
    /// items' bytes as they are and the new item's. For packed rows that
    /// grow by one item at a time (the subject index's blocks, a month of
    /// score history), where decoding and re-encoding the whole list at
    /// every record cost more than the record's own work.
    pub fn push<K: TableKey, T: Serialize>(
        &mut self,
        table: &Table<K, Vec<T>>,
        key: &K,
        item: &T,
    ) -> Result<(), TableError> {
        let key = key.to_key_bytes();
        self.forget(table.name, &key);
        let stored = self.raw.get_raw(table.name, &key)?;
        let value = pushed(table.name, stored.as_deref(), item)?;
        self.raw.put_raw(table.name, key, value)
    }

    /// Rows with `from <= key < to` (either bound open when `None`), in key
    /// order.
    pub fn range<K: TableKey, V: DeserializeOwned>(
        &mut self,
        table: &Table<K, V>,
        from: Option<&K>,
        to: Option<&K>,
    ) -> Result<Vec<(K, V)>, TableError> {
        typed_range(self.raw, table, from, to)
    }

    /// Rows whose key starts with the encoding of `prefix` (e.g. the first
    /// field of a tuple key), in key order.
    pub fn prefix<K: TableKey, V: DeserializeOwned, P: TableKey>(
        &mut self,
        table: &Table<K, V>,
        prefix: &P,
    ) -> Result<Vec<(K, V)>, TableError> {
        typed_prefix(self.raw, table, prefix)
    }
}

/// Typed reads over either a fold's [`Tx`] or a view's [`Reader`], so
/// helpers over rows (the directory's, say) serve both.
pub trait TableRead {
    /// The untyped rows underneath.
    fn raw_read(&mut self) -> &mut dyn RawRead;

    /// One row.
    fn get<K: TableKey, V: DeserializeOwned>(
        &mut self,
        table: &Table<K, V>,
        key: &K,
    ) -> Result<Option<V>, TableError> {
        typed_get(self.raw_read(), table, key)
    }

    /// Rows with keys in `from..to` (`None`: unbounded), in key order.
    fn range<K: TableKey, V: DeserializeOwned>(
        &mut self,
        table: &Table<K, V>,
        from: Option<&K>,
        to: Option<&K>,
    ) -> Result<Vec<(K, V)>, TableError> {
        typed_range(self.raw_read(), table, from, to)
    }

    /// Rows whose key starts with `prefix`'s encoding, in key order.
    fn prefix<K: TableKey, V: DeserializeOwned, P: TableKey>(
        &mut self,
        table: &Table<K, V>,
        prefix: &P,
    ) -> Result<Vec<(K, V)>, TableError> {
        typed_prefix(self.raw_read(), table, prefix)
    }
}

impl TableRead for Tx<'_> {
    fn raw_read(&mut self) -> &mut dyn RawRead {
        self.raw
    }
}

impl TableRead for Reader<'_> {
    fn raw_read(&mut self) -> &mut dyn RawRead {
        self.raw
    }
}

/// Typed reads of committed rows (what a view answers from).
pub struct Reader<'a> {
    raw: &'a mut dyn RawRead,
}

impl<'a> Reader<'a> {
    pub fn new(raw: &'a mut dyn RawRead) -> Self {
        Reader { raw }
    }

    pub fn get<K: TableKey, V: DeserializeOwned>(
        &mut self,
        table: &Table<K, V>,
        key: &K,
    ) -> Result<Option<V>, TableError> {
        typed_get(self.raw, table, key)
    }

    pub fn range<K: TableKey, V: DeserializeOwned>(
        &mut self,
        table: &Table<K, V>,
        from: Option<&K>,
        to: Option<&K>,
    ) -> Result<Vec<(K, V)>, TableError> {
        typed_range(self.raw, table, from, to)
    }

    pub fn prefix<K: TableKey, V: DeserializeOwned, P: TableKey>(
        &mut self,
        table: &Table<K, V>,
        prefix: &P,
    ) -> Result<Vec<(K, V)>, TableError> {
        typed_prefix(self.raw, table, prefix)
    }
}

/// A pure fold from records to rows of typed tables (the projector trait,
/// version 2).
///
/// `NAME` names the projector's stored tables (it never changes); `VERSION`
/// is bumped whenever `apply` or a row's shape changes, which makes a runner
/// rebuild this projector, and only this one, from position 0. `apply` sees
/// each record once, in position order, and returns an error instead of
/// panicking on an event it cannot apply: the runner then stops this
/// projector at that position (its writes for that record are discarded)
/// while the others go on.
pub trait TableProjector: Send + Sync + 'static {
    /// Stable name, e.g. `"assets"` ([`valid_name`]).
    const NAME: &'static str;
    /// Version of the fold and of the rows' shapes.
    const VERSION: u32;
    /// The names of every table `apply` writes ([`valid_name`] each).
    fn tables() -> &'static [&'static str];
    /// Shared tables this projector reads but does not write: today the
    /// directory's ([`directory::TABLES`]). The runner folds their owner
    /// first for each record, so `apply` sees them as of that record.
    fn reads() -> &'static [&'static str] {
        &[]
    }
    /// Folds one record (already decoded into `event`) into the tables.
    fn apply(tx: &mut Tx<'_>, record: &RecordedEvent, event: &Event)
        -> Result<(), ProjectionError>;
}

/// Tables in memory: a [`RawTx`] over one `BTreeMap` per table, for pure
/// folds (tests, offline comparisons). Writes go straight to the map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryTables {
    tables: BTreeMap<&'static str, BTreeMap<Vec<u8>, Vec<u8>>>,
    memo: MemoSlot,
}

/// The memo of [`MemoryTables::with_memo`]: not part of the rows (equal
/// whatever it holds), and a clone starts with an empty one (dropping a
/// memo changes no answer).
#[derive(Debug, Default)]
struct MemoSlot(Option<RowMemo>);

impl Clone for MemoSlot {
    fn clone(&self) -> Self {
        MemoSlot(self.0.as_ref().map(|_| RowMemo::default()))
    }
}

impl PartialEq for MemoSlot {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Eq for MemoSlot {}

impl MemoryTables {
    /// Empty tables whose folds keep at most `limit` rows decoded between
    /// records, as the runner's do ([`RowMemo`]): for tests that the memo
    /// changes nothing (one memo for every projector folded here).
    pub fn with_memo(limit: usize) -> Self {
        MemoryTables {
            tables: BTreeMap::new(),
            memo: MemoSlot(Some(RowMemo::new(limit))),
        }
    }

    /// Every row, table by table in name order, keys in order.
    pub fn rows(&self) -> impl Iterator<Item = (&'static str, &[u8], &[u8])> {
        self.tables.iter().flat_map(|(table, rows)| {
            rows.iter()
                .map(move |(key, value)| (*table, key.as_slice(), value.as_slice()))
        })
    }

    /// Folds `record` into the tables with `P` (unknown event types skipped).
    pub fn apply<P: TableProjector>(
        &mut self,
        record: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        if let Some(event) = crate::projector::decode_record(record)? {
            P::apply(&mut Tx::new(self), record, &event)?;
        }
        Ok(())
    }
}

impl RawRead for MemoryTables {
    fn get_raw(&mut self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, TableError> {
        Ok(self
            .tables
            .get(table)
            .and_then(|rows| rows.get(key).cloned()))
    }

    fn range_raw(
        &mut self,
        table: &'static str,
        from: &[u8],
        to: Option<&[u8]>,
        limit: usize,
    ) -> Result<RawRows, TableError> {
        let Some(rows) = self.tables.get(table) else {
            return Ok(Vec::new());
        };
        Ok(rows
            .range(from.to_vec()..)
            .take_while(|(key, _)| to.map_or(true, |to| key.as_slice() < to))
            .take(limit)
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect())
    }
}

impl RawTx for MemoryTables {
    fn put_raw(
        &mut self,
        table: &'static str,
        key: Vec<u8>,
        value: Vec<u8>,
    ) -> Result<(), TableError> {
        self.tables.entry(table).or_default().insert(key, value);
        Ok(())
    }

    fn delete_raw(&mut self, table: &'static str, key: Vec<u8>) -> Result<(), TableError> {
        if let Some(rows) = self.tables.get_mut(table) {
            rows.remove(&key);
        }
        Ok(())
    }

    fn memo(&mut self, _table: &'static str) -> Option<&mut RowMemo> {
        self.memo.0.as_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NUMBERS: Table<u64, Vec<u16>> = Table::new("numbers");
    /// A word and an optional count.
    type Word = (String, Option<u32>);
    const WORDS: Table<(String, u64), Vec<Word>> = Table::new("words");

    /// `push` leaves exactly the bytes that reading the list, pushing the
    /// item and writing the list back would: across the length's varint
    /// growing from one byte to two (127 -> 128) and three (16,383 ->
    /// 16,384), for fixed and variable-size items.
    #[test]
    fn push_writes_what_get_push_put_writes() -> Result<(), TableError> {
        let mut pushed = MemoryTables::default();
        let mut rewritten = MemoryTables::default();
        let mut expected = Vec::new();
        for n in 0..16_500u32 {
            let item = u16::try_from(n % 5_000).unwrap_or(0) * 13;
            Tx::new(&mut pushed).push(&NUMBERS, &7, &item)?;
            expected.push(item);
            if n < 300 {
                let mut tx = Tx::new(&mut rewritten);
                let mut list = tx.get(&NUMBERS, &7)?.unwrap_or_default();
                list.push(item);
                tx.put(&NUMBERS, &7, &list)?;
                assert_eq!(pushed, rewritten, "after {} items", n + 1);
            }
        }
        let stored = pushed.get_raw("numbers", &7u64.to_key_bytes())?;
        assert_eq!(stored, Some(encode_value("numbers", &expected)?));
        let key = ("word".to_owned(), 3);
        for (n, word) in ["", "一", "two words", "ĉapelo"].iter().enumerate() {
            let item = ((*word).to_owned(), (n % 2 == 0).then_some(n as u32 * 1_000));
            Tx::new(&mut pushed).push(&WORDS, &key, &item)?;
        }
        let list = Tx::new(&mut pushed).get(&WORDS, &key)?.unwrap_or_default();
        assert_eq!(list.len(), 4);
        assert_eq!(list[1], ("一".to_owned(), None));
        assert_eq!(list[2], ("two words".to_owned(), Some(2_000)));
        Ok(())
    }

    /// The kept buffer changes no byte: each value encodes as postcard
    /// alone would, after a larger one (a buffer grown past what is kept,
    /// then a fresh one) and after a smaller one (stale bytes beyond the
    /// new end never leak into it).
    #[test]
    fn values_encode_as_postcard_alone_whatever_was_encoded_before() -> Result<(), TableError> {
        let large: Vec<u16> = (0..40_000).collect();
        let values: Vec<Vec<u16>> = vec![
            vec![1, 2, 3],
            large.clone(),
            vec![],
            vec![9; 300],
            vec![4],
            large,
            vec![65_535, 0, 128],
        ];
        for value in &values {
            let expected = postcard::to_allocvec(value).map_err(|source| TableError::Value {
                table: "numbers",
                source,
            })?;
            let encoded = encode_value("numbers", value)?;
            assert_eq!(encoded, expected);
            assert_eq!(encoded.capacity(), encoded.len(), "copied out at its size");
        }
        Ok(())
    }

    /// A table is found by its name's text, not only by its address.
    #[test]
    fn a_table_is_the_same_by_its_name_wherever_the_text_lives() {
        let owned = String::from("health-inputs");
        let elsewhere: &str = owned.as_str();
        assert!(same_table("health-inputs", elsewhere));
        assert!(same_table(elsewhere, elsewhere));
        assert!(!same_table("health-inputs", "health-inputz"));
        assert!(!same_table("health-inputs", "health-input"));
    }

    /// What `get_memo_with` derives is kept until the row is written:
    /// the derivation runs once per write, and a write is seen at once.
    #[test]
    fn a_derived_row_is_kept_until_the_row_is_written() -> Result<(), TableError> {
        let mut tables = MemoryTables::with_memo(8);
        let mut derived = 0;
        let sum = |tx: &mut Tx<'_>, derived: &mut u32| {
            tx.get_memo_with(&NUMBERS, &1, |row| {
                *derived += 1;
                std::sync::Arc::new(
                    row.unwrap_or_default()
                        .iter()
                        .map(|n| u32::from(*n))
                        .sum::<u32>(),
                )
            })
        };
        let mut tx = Tx::new(&mut tables);
        assert_eq!(*sum(&mut tx, &mut derived)?, 0);
        assert_eq!(*sum(&mut tx, &mut derived)?, 0);
        assert_eq!(derived, 1, "kept");
        tx.put(&NUMBERS, &1, &vec![2, 3])?;
        assert_eq!(*sum(&mut tx, &mut derived)?, 5);
        assert_eq!(*sum(&mut tx, &mut derived)?, 5);
        assert_eq!(derived, 2, "derived again after the write, once");
        Ok(())
    }

    /// A stored row that does not start with a length is an error, not a
    /// silently different list.
    #[test]
    fn push_onto_a_row_that_is_no_list_is_an_error() -> Result<(), TableError> {
        let mut tables = MemoryTables::default();
        tables.put_raw("numbers", 7u64.to_key_bytes(), vec![0xff; 11])?;
        let error = Tx::new(&mut tables).push(&NUMBERS, &7, &1);
        assert!(matches!(
            error,
            Err(TableError::Value {
                table: "numbers",
                ..
            })
        ));
        Ok(())
    }
}
