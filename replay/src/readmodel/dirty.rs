//! The rows a projector has written since its last commit (or that a
//! commit in flight writes): a hash map by row key, with the keys of the
//! tables read by range also kept in order.
//!
//! A fold writes each row key a few times between two commits and reads
//! it back more often; those are point look-ups, which a hash map answers
//! without comparing the key with a dozen others that share its table's
//! prefix (`r/<table>/`), as the ordered map this replaced did at every
//! write. Only range reads need order: a table read by range
//! ([`DirtyRows::index_prefix`]: the projector's own range reads, and the
//! tables a reader of its lane reads) has its keys kept in a `BTreeSet`
//! too. A range over a table not indexed (the first range read of a table
//! over a commit in flight taken before it was indexed) sorts what it
//! finds. The hash map's order never reaches an output: a commit writes
//! its rows in key order ([`DirtyRows::sorted`]), and every read is by key
//! or in key order.

use std::collections::hash_map::Entry;
use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

/// A row's uncommitted value: `None` is a deletion.
pub type Value = Option<Vec<u8>>;

/// One layer of uncommitted rows (see the module's docs).
#[derive(Debug, Default, Clone)]
pub struct DirtyRows {
    rows: FxHashMap<Vec<u8>, Value>,
    /// The keys of `rows` under a prefix of `ranged`, in order.
    ordered: BTreeSet<Vec<u8>>,
    /// The row-key prefixes (`r/<table>/`) of the tables read by range.
    ranged: Vec<Vec<u8>>,
}

/// A layer's rows in a key range, in key order.
pub type Rows<'a> = Box<dyn Iterator<Item = (&'a [u8], &'a Value)> + 'a>;

impl DirtyRows {
    /// An empty layer that indexes the same tables as `self`.
    pub fn empty_like(&self) -> Self {
        DirtyRows {
            rows: FxHashMap::default(),
            ordered: BTreeSet::new(),
            ranged: self.ranged.clone(),
        }
    }

    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        self.rows.get(key)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn is_indexed(&self, key: &[u8]) -> bool {
        self.ranged.iter().any(|prefix| key.starts_with(prefix))
    }

    /// Sets `key`'s value; answers the value it replaces.
    pub fn insert(&mut self, key: Vec<u8>, value: Value) -> Option<Value> {
        if !self.is_indexed(&key) {
            return self.rows.insert(key, value);
        }
        match self.rows.entry(key) {
            Entry::Occupied(mut slot) => Some(slot.insert(value)),
            Entry::Vacant(slot) => {
                self.ordered.insert(slot.key().clone());
                slot.insert(value);
                None
            }
        }
    }

    /// Forgets `key`; answers the value it had.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        let old = self.rows.remove(key)?;
        if self.is_indexed(key) {
            self.ordered.remove(key);
        }
        Some(old)
    }

    /// Keeps the keys under `prefix` (a table's `r/<table>/`) in order
    /// from now on, for range reads; this layer's and every layer's made
    /// by [`Self::empty_like`] after it.
    pub fn index_prefix(&mut self, prefix: &[u8]) {
        if self.ranged.iter().any(|known| known == prefix) {
            return;
        }
        self.ranged.push(prefix.to_vec());
        for key in self.rows.keys() {
            if key.starts_with(prefix) {
                self.ordered.insert(key.clone());
            }
        }
    }

    /// The rows with `start <= key < end` (`end`: `None` for no bound),
    /// all under `prefix`, in key order.
    pub fn range<'a>(&'a self, prefix: &[u8], start: &[u8], end: Option<&[u8]>) -> Rows<'a> {
        let before_end = |key: &[u8], end: Option<&[u8]>| end.map_or(true, |end| key < end);
        if self.ranged.iter().any(|known| known.as_slice() == prefix) {
            let end = end.map(<[u8]>::to_vec);
            return Box::new(
                self.ordered
                    .range::<[u8], _>((
                        std::ops::Bound::Included(start),
                        std::ops::Bound::Unbounded,
                    ))
                    .take_while(move |key| before_end(key, end.as_deref()))
                    .filter_map(|key| {
                        self.rows
                            .get_key_value(key.as_slice())
                            .map(|(key, value)| (key.as_slice(), value))
                    }),
            );
        }
        let mut found: Vec<(&[u8], &Value)> = self
            .rows
            .iter()
            .filter(|(key, _)| key.as_slice() >= start && before_end(key, end))
            .map(|(key, value)| (key.as_slice(), value))
            .collect();
        found.sort_unstable_by(|a, b| a.0.cmp(b.0));
        Box::new(found.into_iter())
    }

    /// Every row, in key order: what a commit writes.
    pub fn sorted(&self) -> Vec<(&[u8], Option<&[u8]>)> {
        let mut rows: Vec<(&[u8], Option<&[u8]>)> = self
            .rows
            .iter()
            .map(|(key, value)| (key.as_slice(), value.as_deref()))
            .collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(b.0));
        rows
    }

    /// Every row, in no particular order.
    pub fn into_rows(self) -> impl Iterator<Item = (Vec<u8>, Value)> {
        self.rows.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A deterministic mix of writes, overwrites and removals over two
    /// tables, one indexed before the writes and one after some.
    #[test]
    fn ranges_and_sorted_rows_are_the_ordered_maps() {
        let mut dirty = DirtyRows::default();
        let mut reference: BTreeMap<Vec<u8>, Value> = BTreeMap::new();
        dirty.index_prefix(b"r/a/");
        let mut state: u32 = 7;
        for step in 0..2_000u32 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let table = if state & 1 == 0 { "a" } else { "b" };
            let key = format!("r/{table}/{:03}", (state >> 8) % 300).into_bytes();
            match (state >> 4) % 4 {
                0 => {
                    assert_eq!(dirty.remove(&key), reference.remove(&key));
                }
                1 => {
                    assert_eq!(dirty.insert(key.clone(), None), reference.insert(key, None));
                }
                _ => {
                    let value = Some(step.to_be_bytes().to_vec());
                    assert_eq!(
                        dirty.insert(key.clone(), value.clone()),
                        reference.insert(key, value)
                    );
                }
            }
            if step == 1_000 {
                dirty.index_prefix(b"r/b/");
            }
        }
        assert_eq!(dirty.len(), reference.len());
        let expected: Vec<(&[u8], Option<&[u8]>)> = reference
            .iter()
            .map(|(key, value)| (key.as_slice(), value.as_deref()))
            .collect();
        assert_eq!(dirty.sorted(), expected);
        // Indexed, indexed later, and a layer that indexes neither.
        let mut plain = DirtyRows::default();
        for (key, value) in &reference {
            plain.insert(key.clone(), value.clone());
        }
        for (prefix, start, end) in [
            (&b"r/a/"[..], &b"r/a/100"[..], Some(&b"r/a/200"[..])),
            (b"r/a/", b"r/a/", None),
            (b"r/b/", b"r/b/050", Some(b"r/b/051")),
            (b"r/b/", b"r/b/", Some(b"r/b0")),
        ] {
            let expected: Vec<(&[u8], &Value)> = reference
                .range(start.to_vec()..)
                .take_while(|(key, _)| end.map_or(true, |end| key.as_slice() < end))
                .map(|(key, value)| (key.as_slice(), value))
                .collect();
            assert_eq!(
                dirty.range(prefix, start, end).collect::<Vec<_>>(),
                expected
            );
            assert_eq!(
                plain.range(prefix, start, end).collect::<Vec<_>>(),
                expected
            );
        }
        // A layer made after both were indexed indexes them from its
        // first write.
        let mut next = dirty.empty_like();
        next.insert(b"r/b/007".to_vec(), Some(vec![1]));
        next.insert(b"r/b/003".to_vec(), None);
        let keys: Vec<&[u8]> = next
            .range(b"r/b/", b"r/b/", None)
            .map(|(key, _)| key)
            .collect();
        assert_eq!(keys, [&b"r/b/003"[..], b"r/b/007"]);
    }
}
