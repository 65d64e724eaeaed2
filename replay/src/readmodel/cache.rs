//! The write-back cache of one projector: what its transaction reads
//! through and writes into.
//!
//! - `dirty`: every write since the last commit (a deletion is `None`); a
//!   commit writes exactly these rows, with the checkpoint, in one batch.
//!   Bounded by the commit interval, never evicted. The record being
//!   applied writes into it directly, with an undo log of what each write
//!   replaced: a record that fails is undone (a record applies whole or
//!   not at all).
//! - the rows of a commit in flight (while catching up, written beside
//!   the next folds; see `fold.rs`), until it lands.
//! - [`RowCache`]: rows read from (or committed to) the database, least recently
//!   used first out, bounded by bytes.
//!
//! A read looks in `dirty`, then the commit in flight, then
//! the cache, then the page's snapshot of the committed rows.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

/// Bytes an entry is charged beyond its key and value (the map entries and
/// the recency index).
pub const ENTRY_OVERHEAD: usize = 64;

/// A least-recently-used cache of rows, bounded by bytes: an entry costs
/// its key twice (map and recency index), its value and
/// [`ENTRY_OVERHEAD`]. Absent rows are cached too (as `None`). The hash
/// map's order never reaches an output: it is only looked up by key.
#[derive(Debug)]
pub struct RowCache {
    budget: usize,
    bytes: usize,
    peak: usize,
    tick: u64,
    /// FxHash: the keys are the projector's own row keys (no adversary) and
    /// long (`r/<table>/` then the key), so SipHash, std's default, was a
    /// visible cost of every cached read. Only lookups hash; the order
    /// never reaches an output.
    entries: FxHashMap<Vec<u8>, (Option<Vec<u8>>, u64)>,
    recency: BTreeMap<u64, Vec<u8>>,
}

fn cost(key: &[u8], value: &Option<Vec<u8>>) -> usize {
    2 * key.len() + value.as_ref().map_or(0, Vec::len) + ENTRY_OVERHEAD
}

impl RowCache {
    pub fn new(budget: usize) -> Self {
        RowCache {
            budget,
            bytes: 0,
            peak: 0,
            tick: 0,
            entries: FxHashMap::default(),
            recency: BTreeMap::new(),
        }
    }

    /// The bytes charged now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The most bytes ever charged at once (never above the budget).
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// The cached row: `Some(None)` when the row is known to be absent,
    /// `None` when the cache does not know.
    pub fn get(&mut self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        self.tick += 1;
        let tick = self.tick;
        let (value, used) = self.entries.get_mut(key)?;
        let previous = std::mem::replace(used, tick);
        let value = value.clone();
        if let Some(key) = self.recency.remove(&previous) {
            self.recency.insert(tick, key);
        }
        Some(value)
    }

    /// Whether the cache knows the row to be present (`Some(true)`) or
    /// absent (`Some(false)`); `None` when it does not know. Leaves the
    /// recency as it is.
    pub fn knows(&self, key: &[u8]) -> Option<bool> {
        self.entries.get(key).map(|(value, _)| value.is_some())
    }

    /// Caches a row (replacing what was cached under its key), then evicts
    /// the least recently used rows until the budget holds. A row larger
    /// than the whole budget is not cached.
    pub fn insert(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.remove(&key);
        let entry_cost = cost(&key, &value);
        if entry_cost > self.budget {
            return;
        }
        while self.bytes + entry_cost > self.budget {
            let Some((_, oldest)) = self.recency.pop_first() else {
                break;
            };
            if let Some((old_value, _)) = self.entries.remove(&oldest) {
                self.bytes -= cost(&oldest, &old_value);
            }
        }
        self.tick += 1;
        self.recency.insert(self.tick, key.clone());
        self.entries.insert(key, (value, self.tick));
        self.bytes += entry_cost;
        self.peak = self.peak.max(self.bytes);
    }

    /// Replaces the cached row under `key` with `value` if the cache holds
    /// that key (keeping its recency); caches nothing new.
    pub fn refresh(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        let Some((cached, _)) = self.entries.get_mut(key.as_slice()) else {
            return;
        };
        let bytes = self.bytes - cost(&key, cached) + cost(&key, &value);
        if bytes <= self.budget {
            *cached = value;
            self.bytes = bytes;
            self.peak = self.peak.max(bytes);
        } else {
            // Grown past the budget: insert evicts what it must.
            self.insert(key, value);
        }
    }

    fn remove(&mut self, key: &[u8]) {
        if let Some((value, used)) = self.entries.remove(key) {
            self.recency.remove(&used);
            self.bytes -= cost(key, &value);
        }
    }

    /// Forgets every row (after the tree was cleared).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.recency.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used_within_budget() {
        let mut cache = RowCache::new(3 * (2 + 1 + ENTRY_OVERHEAD));
        cache.insert(b"a".to_vec(), Some(b"1".to_vec()));
        cache.insert(b"b".to_vec(), Some(b"2".to_vec()));
        cache.insert(b"c".to_vec(), Some(b"3".to_vec()));
        assert_eq!(cache.get(b"a"), Some(Some(b"1".to_vec())));
        cache.insert(b"d".to_vec(), Some(b"4".to_vec()));
        // b was the least recently used.
        assert_eq!(cache.get(b"b"), None);
        assert_eq!(cache.get(b"a"), Some(Some(b"1".to_vec())));
        assert_eq!(cache.get(b"d"), Some(Some(b"4".to_vec())));
        assert!(cache.bytes() <= 3 * (2 + 1 + ENTRY_OVERHEAD));
        cache.insert(b"big".to_vec(), Some(vec![0; 10_000]));
        assert_eq!(cache.get(b"big"), None);
    }

    #[test]
    fn refresh_replaces_only_what_is_cached() {
        let mut cache = RowCache::new(3 * (2 + 2 + ENTRY_OVERHEAD));
        cache.insert(b"a".to_vec(), Some(b"1".to_vec()));
        cache.insert(b"b".to_vec(), None);
        cache.refresh(b"a".to_vec(), Some(b"22".to_vec()));
        cache.refresh(b"b".to_vec(), Some(b"3".to_vec()));
        cache.refresh(b"c".to_vec(), Some(b"4".to_vec()));
        assert_eq!(cache.get(b"a"), Some(Some(b"22".to_vec())));
        assert_eq!(cache.get(b"b"), Some(Some(b"3".to_vec())));
        assert_eq!(cache.get(b"c"), None);
        assert_eq!(
            cache.bytes(),
            (2 + 2 + ENTRY_OVERHEAD) + (2 + 1 + ENTRY_OVERHEAD)
        );
        // A refresh that outgrows the budget evicts the oldest rows.
        cache.refresh(b"b".to_vec(), Some(vec![0; 100]));
        assert!(cache.bytes() <= 3 * (2 + 2 + ENTRY_OVERHEAD));
        assert_eq!(cache.get(b"a"), None);
        assert_eq!(cache.get(b"b"), Some(Some(vec![0; 100])));
    }
}
