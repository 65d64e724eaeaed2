//! Rows kept decoded between records ([`RowMemo`]): a fold that reads the
//! same rows record after record (health reads an account's inputs and
//! state at every input and at every close) takes them from here instead
//! of decoding their bytes again.
//!
//! The memo is a cache of the projector's **own** rows and never the
//! truth: every write still goes to the rows underneath as bytes, so a
//! commit, a read by a view, a range scan and a resume see exactly what
//! they saw without it, and dropping the memo at any moment changes no
//! output. What keeps an entry true:
//!
//! - an entry is made only from a value the fold has just read from its
//!   row, or has just written to it ([`super::Tx::put_memo`]), or holds
//!   unchanged ([`super::Tx::keep_memo`]);
//! - every write through [`super::Tx::put`], [`super::Tx::delete`] or
//!   [`super::Tx::push`] forgets the row's entry;
//! - the runner clears the memo when a record fails (its staged writes are
//!   dropped, so entries made by that record may be ahead of the rows),
//!   and a memo lives no longer than the folder that owns it.
//!
//! Bounded by a count of entries: when full, it is emptied whole (a
//! deterministic and cheap rule; the next reads decode again).

use std::any::Any;

use rustc_hash::FxHashMap;

use super::same_table;

/// How many rows a memo keeps by default.
pub const DEFAULT_MEMO_ENTRIES: usize = 16_384;

/// One table's decoded rows by encoded key.
type Rows = FxHashMap<Vec<u8>, Box<dyn Any + Send + Sync>>;

/// Decoded rows by (table, encoded key); see the module documentation.
/// The hash map's order never reaches an output: it is only looked up by
/// key.
pub struct RowMemo {
    /// Per table, found by [`same_table`]: a projector has a handful of
    /// tables, and hashing the name at every look-up cost more than the
    /// row's own look-up.
    tables: Vec<(&'static str, Rows)>,
    /// Rows held, over every table.
    entries: usize,
    limit: usize,
    hits: u64,
    misses: u64,
}

impl std::fmt::Debug for RowMemo {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RowMemo")
            .field("entries", &self.entries)
            .field("limit", &self.limit)
            .field("hits", &self.hits)
            .field("misses", &self.misses)
            .finish()
    }
}

impl Default for RowMemo {
    fn default() -> Self {
        RowMemo::new(DEFAULT_MEMO_ENTRIES)
    }
}

impl RowMemo {
    /// A memo of at most `limit` rows (0: it keeps nothing).
    pub fn new(limit: usize) -> Self {
        RowMemo {
            tables: Vec::new(),
            entries: 0,
            limit,
            hits: 0,
            misses: 0,
        }
    }

    /// Whether it holds no row.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// How many rows it holds.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// (hits, misses) of [`RowMemo::take`] and [`RowMemo::peek`] since it
    /// was made.
    pub fn counts(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }

    /// Forgets every row.
    pub fn clear(&mut self) {
        self.tables.clear();
        self.entries = 0;
    }

    fn rows(&mut self, table: &str) -> Option<&mut Rows> {
        self.tables
            .iter_mut()
            .find(|(name, _)| same_table(name, table))
            .map(|(_, rows)| rows)
    }

    fn remove(&mut self, table: &'static str, key: &[u8]) -> Option<Box<dyn Any + Send + Sync>> {
        let removed = self.rows(table)?.remove(key)?;
        self.entries -= 1;
        Some(removed)
    }

    /// Takes the row out of the memo as a `D` (`None`: not kept, or kept
    /// as another type, which is forgotten too).
    pub fn take<D: Any>(&mut self, table: &'static str, key: &[u8]) -> Option<D> {
        let found = self
            .remove(table, key)
            .and_then(|value| value.downcast::<D>().ok());
        match found {
            Some(value) => {
                self.hits += 1;
                Some(*value)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// The row as a `D`, left in the memo (`None`: not kept as a `D`).
    pub fn peek<D: Any>(&mut self, table: &'static str, key: &[u8]) -> Option<&D> {
        let found = self
            .tables
            .iter()
            .find(|(name, _)| same_table(name, table))
            .and_then(|(_, rows)| rows.get(key))
            .and_then(|value| value.downcast_ref::<D>());
        match found {
            Some(_) => self.hits += 1,
            None => self.misses += 1,
        }
        found
    }

    /// Keeps `value` as the decoded form of the row (the caller's promise:
    /// it is what the row holds now, as the fold sees it).
    pub fn keep<D: Any + Send + Sync>(&mut self, table: &'static str, key: Vec<u8>, value: D) {
        if self.limit == 0 {
            return;
        }
        if self.entries >= self.limit {
            self.clear();
        }
        let index = match self
            .tables
            .iter()
            .position(|(name, _)| same_table(name, table))
        {
            Some(index) => index,
            None => {
                self.tables.push((table, Rows::default()));
                self.tables.len() - 1
            }
        };
        let Some((_, rows)) = self.tables.get_mut(index) else {
            return;
        };
        if rows.insert(key, Box::new(value)).is_none() {
            self.entries += 1;
        }
    }

    /// Forgets the row (it is being written as bytes).
    pub fn forget(&mut self, table: &'static str, key: &[u8]) {
        if self.entries > 0 {
            self.remove(table, key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_taken_once_in_the_type_it_was_kept_as() {
        let mut memo = RowMemo::new(4);
        memo.keep("t", vec![1], 7u32);
        assert_eq!(memo.take::<u64>("t", &[1]), None, "another type is a miss");
        assert_eq!(memo.take::<u32>("t", &[1]), None, "and forgotten");
        memo.keep("t", vec![1], 7u32);
        assert_eq!(memo.take::<u32>("u", &[1]), None, "another table");
        assert_eq!(memo.take::<u32>("t", &[1]), Some(7));
        assert_eq!(memo.take::<u32>("t", &[1]), None, "taken, not copied");
        assert_eq!(memo.counts(), (1, 4));
        memo.keep("t", vec![2], 9u32);
        assert_eq!(memo.peek::<u32>("t", &[2]), Some(&9));
        assert_eq!(memo.peek::<u32>("t", &[2]), Some(&9), "left in the memo");
        assert_eq!(memo.peek::<u64>("t", &[2]), None);
        assert_eq!(memo.counts(), (3, 5));
    }

    #[test]
    fn a_full_memo_starts_again_and_a_forgotten_row_is_gone() {
        let mut memo = RowMemo::new(2);
        memo.keep("t", vec![1], 1u8);
        memo.keep("t", vec![2], 2u8);
        memo.keep("t", vec![3], 3u8);
        assert_eq!(memo.len(), 1);
        assert_eq!(memo.take::<u8>("t", &[1]), None);
        memo.forget("t", &[3]);
        assert!(memo.is_empty());
        let mut none = RowMemo::new(0);
        none.keep("t", vec![1], 1u8);
        assert!(none.is_empty());
    }
}
