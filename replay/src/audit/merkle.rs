//! RFC 9162 (Certificate Transparency v2) Merkle tree over the global event
//! log: roots, inclusion proofs, consistency proofs and their verifiers.
//!
//! ```
//! use salesledger_replay::audit::merkle::{verify_consistency, verify_inclusion, MerkleTree};
//!
//! let mut tree = MerkleTree::in_memory();
//! for record in [&b"first"[..], b"second", b"third"] {
//!     tree.append_record(record)?;
//! }
//! let (root2, root3) = (tree.root_at(2)?, tree.root()?);
//! let proof = tree.inclusion_proof(1, 3)?;
//! verify_inclusion(1, 3, &tree.leaf(1)?, &proof, &root3)?;
//! let proof = tree.consistency_proof(2, 3)?;
//! verify_consistency(2, 3, &proof, &root2, &root3)?;
//! # Ok::<(), salesledger_replay::audit::merkle::MerkleError>(())
//! ```
//!
//! # Hashing (RFC 9162 section 2.1.1)
//!
//! - leaf hash: `SHA-256(0x00 || record bytes)` ([`leaf_hash`]); the record
//!   bytes are the canonical encoding of one event;
//! - interior node: `SHA-256(0x01 || left || right)` ([`node_hash`]);
//! - the root of `n > 1` leaves is `node(MTH(D[0:k]), MTH(D[k:n]))` where `k`
//!   is the largest power of two smaller than `n`; the root of one leaf is
//!   its leaf hash; the root of the empty tree is `SHA-256("")`
//!   ([`empty_root`]).
//!
//! The domain-separation bytes make a leaf hash never equal to an interior
//! node hash, so a proof cannot pass an interior node off as a record.
//!
//! # Node layout
//!
//! In an RFC 9162 tree every left child is a *perfect* subtree (its size is a
//! power of two), and every subtree of a tree of size `n` is either perfect
//! or lies on the right edge and splits into the perfect subtrees given by
//! the binary digits of its size. So it is enough to keep the hash of every
//! complete perfect subtree: node `(level, index)` is the hash of the `2^level`
//! leaves `[index * 2^level, (index + 1) * 2^level)`. Level 0 holds the leaf
//! hashes. A log of `n` records holds `n + n/2 + n/4 + ... < 2n` nodes, which
//! never change once written (the log is append-only).
//!
//! [`MerkleTree`] keeps these nodes behind the small [`NodeStore`] trait (an
//! in-memory [`MemoryNodeStore`] is provided; a persistent one lives with the
//! storage backends). This module does no I/O itself.
//!
//! # Complexity
//!
//! For a tree holding `n` leaves and any `size <= n`:
//!
//! - [`MerkleTree::append`]: one leaf write plus one read and one write per
//!   level the new leaf completes: `O(log n)` worst case, `O(1)` amortised;
//! - [`MerkleTree::root_at`]: `popcount(size) <= 64` node reads, the same
//!   number of hashes;
//! - [`MerkleTree::inclusion_proof`] and [`MerkleTree::consistency_proof`]:
//!   `O(log n)` node reads and hashes (at most one proof element is a
//!   non-perfect right-edge subtree, folded from `O(log n)` perfect ones);
//! - verification ([`verify_inclusion`], [`verify_consistency`]): `O(log n)`
//!   hashes, no state.
//!
//! The free functions [`root`], [`inclusion_proof`] and [`consistency_proof`]
//! compute the same values directly from a slice of leaf hashes in `O(n)`;
//! they are the reference for small trees and for offline tools.
//!
//! # Conformance
//!
//! The verifiers follow the algorithms of RFC 9162 sections 2.1.3.2 and
//! 2.1.4.2 literally and pass the transparency-dev/merkle conformance
//! vectors (vendored in `replay/tests/vectors/rfc9162`). Beyond the RFC text, which only
//! defines consistency for `0 < size1 < size2`:
//!
//! - a consistency check from the empty tree (`size1 == 0`) is rejected
//!   ([`MerkleError::EmptyOldTree`]): it proves nothing, and the vectors
//!   require it to fail, even for `0 == 0` with equal roots;
//! - equal sizes are consistent exactly when the proof is empty and the two
//!   roots are byte-for-byte identical.
//!
//! A proof is checked against a `(size, root)` pair and the root alone does
//! not commit to the size: the proof of leaf 1 in a tree of 2 also passes as
//! leaf 2 of a "tree of 3" with the same root, because both claims hash the
//! same way. Sizes must come from the same signed checkpoint as the roots,
//! never from the party supplying the proof. (The tests enumerate every
//! such re-reading for trees up to 8 leaves and check the verifiers accept
//! exactly those and nothing else.) Likewise, when `size1` is a power of
//! two, `root1` is an input of the computation of `root2`, so a wrong
//! `root1` is reported as a `root2` mismatch.

use sha2::{Digest, Sha256};
use std::fmt;

/// Length in bytes of every hash in the tree (SHA-256).
pub const HASH_LEN: usize = 32;

/// A SHA-256 hash: a leaf hash, a node hash or a root.
pub type Hash = [u8; HASH_LEN];

/// Domain-separation prefix of a leaf hash (RFC 9162 section 2.1.1).
const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an interior node hash.
const NODE_PREFIX: u8 = 0x01;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Which hash of a proof or a request an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HashRole {
    /// The hash of the leaf whose inclusion is checked.
    LeafHash,
    /// The root of the tree an inclusion proof is checked against.
    Root,
    /// `root1`: the root of the older (smaller) tree of a consistency proof.
    OldRoot,
    /// `root2`: the root of the newer (larger) tree of a consistency proof.
    NewRoot,
    /// The proof element at this position (0-based).
    ProofElement(usize),
}

impl fmt::Display for HashRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashRole::LeafHash => f.write_str("leaf hash"),
            HashRole::Root => f.write_str("root"),
            HashRole::OldRoot => f.write_str("old root (root1)"),
            HashRole::NewRoot => f.write_str("new root (root2)"),
            HashRole::ProofElement(i) => write!(f, "proof element {i}"),
        }
    }
}

/// Why a proof was rejected, or why a root or proof could not be produced.
#[derive(Debug, thiserror::Error, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MerkleError {
    /// An inclusion proof was asked for, or checked against, a tree of size 0.
    #[error("tree size is 0: the empty tree includes no leaf")]
    EmptyTree,
    /// The leaf index is not smaller than the tree size.
    #[error("leaf index {index} is out of range for tree size {tree_size}")]
    LeafIndexOutOfRange {
        /// The leaf index given.
        index: u64,
        /// The tree size given.
        tree_size: u64,
    },
    /// A consistency proof between a larger old tree and a smaller new one.
    #[error("old tree size {size1} is larger than new tree size {size2}")]
    SizesOutOfOrder {
        /// The old (first) tree size given.
        size1: u64,
        /// The new (second) tree size given.
        size2: u64,
    },
    /// A consistency proof from the empty tree: it proves nothing, so it is
    /// neither produced nor accepted.
    #[error("old tree size is 0: a consistency proof from the empty tree proves nothing")]
    EmptyOldTree,
    /// A root or proof was asked for a tree larger than the leaves available.
    #[error("tree size {requested} is beyond the {available} leaves available")]
    SizeBeyondTree {
        /// The tree size asked for.
        requested: u64,
        /// The number of leaves the tree or slice holds.
        available: u64,
    },
    /// A hash does not have the length of a SHA-256 hash.
    #[error("the {role} is {len} bytes long; a SHA-256 hash is {HASH_LEN}")]
    MalformedHash {
        /// Which hash.
        role: HashRole,
        /// Its length in bytes.
        len: usize,
    },
    /// The proof does not have the number of hashes the sizes (and leaf
    /// index) require: hashes are missing, extra, or the sizes are wrong.
    #[error("wrong proof length: {actual} hashes given, {expected} required for these sizes")]
    WrongProofLength {
        /// The number of hashes the RFC 9162 algorithm consumes.
        expected: usize,
        /// The number of hashes given.
        actual: usize,
    },
    /// Equal tree sizes but different roots: the log was rewritten (or a
    /// root is wrong).
    #[error("tree sizes are equal ({size}) but the roots differ")]
    RootsDiffer {
        /// The common tree size.
        size: u64,
    },
    /// The root recomputed from the proof differs from the one given.
    #[error("{role} mismatch: the proof yields {computed}, expected {expected}")]
    RootMismatch {
        /// [`HashRole::Root`], [`HashRole::OldRoot`] or [`HashRole::NewRoot`].
        role: HashRole,
        /// The root given, hex.
        expected: String,
        /// The root the proof yields, hex.
        computed: String,
    },
    /// A node the tree needs is not in the node store (store truncated or
    /// opened with a size larger than what was appended).
    #[error("node (level {level}, index {index}) is missing from the node store")]
    MissingNode {
        /// Level of the node (0 = leaves).
        level: u32,
        /// Index of the node within its level.
        index: u64,
    },
    /// The tree already holds `u64::MAX` leaves.
    #[error("the tree is full")]
    TreeFull,
    /// The node store failed.
    #[error("node store failed: {0}")]
    Store(
        #[source]
        #[serde(serialize_with = "as_text")]
        Box<dyn std::error::Error + Send + Sync + 'static>,
    ),
}

/// An error's serde form: its words.
#[allow(clippy::borrowed_box)] // serde hands the field itself
fn as_text<S: serde::Serializer>(
    error: &Box<dyn std::error::Error + Send + Sync + 'static>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(error)
}

fn store_err<E: std::error::Error + Send + Sync + 'static>(e: E) -> MerkleError {
    MerkleError::Store(Box::new(e))
}

// ---------------------------------------------------------------------------
// Hashing
// ---------------------------------------------------------------------------

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Leaf hash of one record: `SHA-256(0x00 || bytes)`.
pub fn leaf_hash(bytes: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(bytes);
    h.finalize().into()
}

/// Interior node hash: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Largest power of two strictly smaller than `n` (`n >= 2`).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

// ---------------------------------------------------------------------------
// Proof generation, shared by slices and stores
// ---------------------------------------------------------------------------

/// A source of perfect-subtree hashes: node `(level, index)` covers leaves
/// `[index << level, (index + 1) << level)`.
trait Subtrees {
    fn perfect(&self, level: u32, index: u64) -> Result<Hash, MerkleError>;
}

/// Remembers the perfect-subtree hashes read from `src`, so several proofs
/// of one tree read each node once (proofs of different leaves share their
/// upper nodes and the right edge).
struct Memo<'a, T: Subtrees + ?Sized> {
    src: &'a T,
    seen: std::cell::RefCell<std::collections::HashMap<(u32, u64), Hash>>,
}

impl<T: Subtrees + ?Sized> Subtrees for Memo<'_, T> {
    fn perfect(&self, level: u32, index: u64) -> Result<Hash, MerkleError> {
        if let Some(hash) = self.seen.borrow().get(&(level, index)) {
            return Ok(*hash);
        }
        let hash = self.src.perfect(level, index)?;
        self.seen.borrow_mut().insert((level, index), hash);
        Ok(hash)
    }
}

/// `MTH(D[start:end])` for a subtree of an RFC 9162 tree (`start < end`,
/// `start` a multiple of the smallest power of two `>= end - start`): the
/// perfect subtrees given by the binary digits of `end - start`, left to
/// right, folded from the right.
fn range_hash<T: Subtrees + ?Sized>(src: &T, start: u64, end: u64) -> Result<Hash, MerkleError> {
    debug_assert!(start < end);
    let mut pieces: Vec<Hash> = Vec::with_capacity(64);
    let (mut pos, mut rem) = (start, end - start);
    while rem > 0 {
        let level = 63 - rem.leading_zeros();
        debug_assert_eq!(pos & ((1u64 << level) - 1), 0, "unaligned subtree");
        pieces.push(src.perfect(level, pos >> level)?);
        pos += 1u64 << level;
        rem -= 1u64 << level;
    }
    let mut acc = pieces.pop().ok_or(MerkleError::EmptyTree)?;
    while let Some(left) = pieces.pop() {
        acc = node_hash(&left, &acc);
    }
    Ok(acc)
}

/// The perfect subtrees (`level`, `index`) that [`inclusion_path`] of
/// `index` in a tree of `size` leaves reads, in the order it reads them
/// (the same walk, without hashing).
fn inclusion_nodes(index: u64, size: u64, visit: &mut impl FnMut(u32, u64)) {
    let mut range = |start: u64, end: u64| {
        let (mut pos, mut rem) = (start, end - start);
        while rem > 0 {
            let level = 63 - rem.leading_zeros();
            visit(level, pos >> level);
            pos += 1u64 << level;
            rem -= 1u64 << level;
        }
    };
    let (mut start, mut end) = (0u64, size);
    while end - start > 1 {
        let mid = start + split_point(end - start);
        if index < mid {
            range(mid, end);
            end = mid;
        } else {
            range(start, mid);
            start = mid;
        }
    }
}

/// RFC 9162 section 2.1.3.1 `PATH(m, D[n])`, leaf-to-root order
/// (`index < size`, checked by callers).
fn inclusion_path<T: Subtrees + ?Sized>(
    src: &T,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, MerkleError> {
    let mut path = Vec::with_capacity(64);
    let (mut start, mut end) = (0u64, size);
    while end - start > 1 {
        let mid = start + split_point(end - start);
        if index < mid {
            path.push(range_hash(src, mid, end)?);
            end = mid;
        } else {
            path.push(range_hash(src, start, mid)?);
            start = mid;
        }
    }
    path.reverse();
    Ok(path)
}

/// RFC 9162 section 2.1.4.1 `PROOF(m, D[n]) = SUBPROOF(m, D[n], true)`,
/// innermost first (`0 < old < new`, checked by callers). `old` is kept as
/// an absolute leaf count; the current subtree is `D[start:end]`.
fn consistency_path<T: Subtrees + ?Sized>(
    src: &T,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, MerkleError> {
    let mut path = Vec::with_capacity(64);
    let (mut start, mut end) = (0u64, new);
    let mut whole_old_tree = true; // the RFC's `b`
    loop {
        if old == end {
            if !whole_old_tree {
                path.push(range_hash(src, start, end)?);
            }
            break;
        }
        let mid = start + split_point(end - start);
        if old <= mid {
            path.push(range_hash(src, mid, end)?);
            end = mid;
        } else {
            path.push(range_hash(src, start, mid)?);
            start = mid;
            whole_old_tree = false;
        }
    }
    path.reverse();
    Ok(path)
}

/// Checks shared by every inclusion-proof producer.
fn check_inclusion_request(index: u64, size: u64, available: u64) -> Result<(), MerkleError> {
    if size > available {
        return Err(MerkleError::SizeBeyondTree {
            requested: size,
            available,
        });
    }
    if size == 0 {
        return Err(MerkleError::EmptyTree);
    }
    if index >= size {
        return Err(MerkleError::LeafIndexOutOfRange {
            index,
            tree_size: size,
        });
    }
    Ok(())
}

/// Checks shared by every consistency-proof producer. `Ok(false)` means the
/// sizes are equal and the proof is empty.
fn check_consistency_request(old: u64, new: u64, available: u64) -> Result<bool, MerkleError> {
    if old > new {
        return Err(MerkleError::SizesOutOfOrder {
            size1: old,
            size2: new,
        });
    }
    if new > available {
        return Err(MerkleError::SizeBeyondTree {
            requested: new,
            available,
        });
    }
    if old == 0 {
        return Err(MerkleError::EmptyOldTree);
    }
    Ok(old < new)
}

// ---------------------------------------------------------------------------
// Free functions over a slice of leaf hashes (O(n), reference)
// ---------------------------------------------------------------------------

/// Root (`MTH`) of the tree whose leaf hashes are `leaf_hashes`, in `O(n)`
/// hashes; the empty slice gives [`empty_root`].
pub fn root(leaf_hashes: &[Hash]) -> Hash {
    // Binary-counter merge: the stack holds the perfect subtrees of the
    // prefix read so far, largest (leftmost) first.
    let mut stack: Vec<(u32, Hash)> = Vec::with_capacity(64);
    for leaf in leaf_hashes {
        let (mut level, mut hash) = (0u32, *leaf);
        while let Some(&(top_level, left)) = stack.last() {
            if top_level != level {
                break;
            }
            stack.pop();
            hash = node_hash(&left, &hash);
            level += 1;
        }
        stack.push((level, hash));
    }
    let Some((_, mut acc)) = stack.pop() else {
        return empty_root();
    };
    while let Some((_, left)) = stack.pop() {
        acc = node_hash(&left, &acc);
    }
    acc
}

struct SliceSource<'a>(&'a [Hash]);

impl Subtrees for SliceSource<'_> {
    fn perfect(&self, level: u32, index: u64) -> Result<Hash, MerkleError> {
        let missing = MerkleError::MissingNode { level, index };
        let start = index.checked_shl(level).ok_or(MerkleError::TreeFull)?;
        let start = usize::try_from(start).map_err(|_| MerkleError::TreeFull)?;
        let len = 1usize.checked_shl(level).ok_or(MerkleError::TreeFull)?;
        let end = start.checked_add(len).ok_or(MerkleError::TreeFull)?;
        let leaves = self.0.get(start..end).ok_or(missing)?;
        Ok(root(leaves))
    }
}

/// Inclusion proof (RFC 9162 `PATH`) for leaf `leaf_index` in the tree made
/// of the first `tree_size` of `leaf_hashes`, leaf-to-root order. `O(n)`.
///
/// Errors: [`MerkleError::SizeBeyondTree`], [`MerkleError::EmptyTree`],
/// [`MerkleError::LeafIndexOutOfRange`].
pub fn inclusion_proof(
    leaf_index: u64,
    tree_size: u64,
    leaf_hashes: &[Hash],
) -> Result<Vec<Hash>, MerkleError> {
    check_inclusion_request(leaf_index, tree_size, leaf_hashes.len() as u64)?;
    inclusion_path(&SliceSource(leaf_hashes), leaf_index, tree_size)
}

/// Consistency proof (RFC 9162 `PROOF`) between the trees made of the first
/// `old_size` and the first `new_size` of `leaf_hashes`. Empty when the
/// sizes are equal. `O(n)`.
///
/// Errors: [`MerkleError::SizesOutOfOrder`], [`MerkleError::SizeBeyondTree`],
/// [`MerkleError::EmptyOldTree`].
pub fn consistency_proof(
    old_size: u64,
    new_size: u64,
    leaf_hashes: &[Hash],
) -> Result<Vec<Hash>, MerkleError> {
    if !check_consistency_request(old_size, new_size, leaf_hashes.len() as u64)? {
        return Ok(Vec::new());
    }
    consistency_path(&SliceSource(leaf_hashes), old_size, new_size)
}

// ---------------------------------------------------------------------------
// Node store and the append-only tree
// ---------------------------------------------------------------------------

/// Storage of perfect-subtree hashes: node `(level, index)` is the hash of
/// leaves `[index * 2^level, (index + 1) * 2^level)`; level 0 holds the leaf
/// hashes.
///
/// Implementations need no ordering or transactions of their own, but
/// `put` must be idempotent: after a failed [`MerkleTree::append`] the same
/// nodes are written again with the same values.
pub trait NodeStore {
    /// The store's own failure.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The node at `(level, index)`, `None` if it was never written.
    fn get(&self, level: u32, index: u64) -> Result<Option<Hash>, Self::Error>;

    /// The nodes of `level` at `indices` (sorted, unique), in that order.
    /// The default calls [`NodeStore::get`] for each; a persistent store
    /// should override it to read nearby nodes together.
    fn get_many(&self, level: u32, indices: &[u64]) -> Result<Vec<Option<Hash>>, Self::Error> {
        indices
            .iter()
            .map(|index| self.get(level, *index))
            .collect()
    }

    /// Write the node at `(level, index)` (overwriting it if present).
    fn put(&mut self, level: u32, index: u64, hash: Hash) -> Result<(), Self::Error>;

    /// Write the nodes one append creates (the leaf first, then each
    /// completed perfect subtree, lowest level first). The default calls
    /// [`NodeStore::put`] for each; a persistent store should override it to
    /// write them in one atomic batch.
    fn put_nodes(&mut self, nodes: &[(u32, u64, Hash)]) -> Result<(), Self::Error> {
        for &(level, index, hash) in nodes {
            self.put(level, index, hash)?;
        }
        Ok(())
    }
}

/// In-memory [`NodeStore`]: one vector per level, written in append order.
#[derive(Debug, Clone, Default)]
pub struct MemoryNodeStore {
    levels: Vec<Vec<Hash>>,
}

/// A [`MemoryNodeStore`] write that would leave a hole in a level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("node (level {level}, index {index}) written out of order: the level holds {len} nodes")]
pub struct MemoryStoreGap {
    /// Level written.
    pub level: u32,
    /// Index written.
    pub index: u64,
    /// Nodes already in the level.
    pub len: u64,
}

impl MemoryNodeStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of nodes held, over all levels (`< 2n` for `n` leaves).
    pub fn node_count(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }
}

impl NodeStore for MemoryNodeStore {
    type Error = MemoryStoreGap;

    fn get(&self, level: u32, index: u64) -> Result<Option<Hash>, Self::Error> {
        let Ok(index) = usize::try_from(index) else {
            return Ok(None);
        };
        Ok(self
            .levels
            .get(level as usize)
            .and_then(|l| l.get(index))
            .copied())
    }

    fn put(&mut self, level: u32, index: u64, hash: Hash) -> Result<(), Self::Error> {
        let lvl = level as usize;
        if self.levels.len() <= lvl {
            self.levels.resize_with(lvl + 1, Vec::new);
        }
        let nodes = &mut self.levels[lvl];
        let len = nodes.len() as u64;
        match usize::try_from(index) {
            Ok(i) if i < nodes.len() => nodes[i] = hash,
            Ok(i) if i == nodes.len() => nodes.push(hash),
            _ => return Err(MemoryStoreGap { level, index, len }),
        }
        Ok(())
    }
}

/// Append-only RFC 9162 Merkle tree over a [`NodeStore`]: appends in
/// `O(log n)`, and serves the root for any size and inclusion and
/// consistency proofs for any sizes up to its own in `O(log n)` node reads,
/// without rereading the leaves.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree<S> {
    store: S,
    size: u64,
}

impl MerkleTree<MemoryNodeStore> {
    /// An empty tree held in memory.
    pub fn in_memory() -> Self {
        Self::new(MemoryNodeStore::new())
    }
}

impl<S: NodeStore> MerkleTree<S> {
    /// An empty tree over `store` (which should hold no nodes).
    pub fn new(store: S) -> Self {
        Self { store, size: 0 }
    }

    /// Reopen a tree of `size` leaves over a store that holds its nodes
    /// (the size is the length of the log, which the caller knows). Checks
    /// in `O(log n)` reads that the nodes making up the root are present.
    ///
    /// Errors: [`MerkleError::MissingNode`], [`MerkleError::Store`].
    pub fn open(store: S, size: u64) -> Result<Self, MerkleError> {
        let tree = Self { store, size };
        if size > 0 {
            tree.root_at(size)?;
        }
        Ok(tree)
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The node store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The node store, mutably (to flush or sync a persistent one; writing
    /// nodes through it bypasses the tree's bookkeeping).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Give the node store back.
    pub fn into_store(self) -> S {
        self.store
    }

    /// Append a leaf hash; returns its index. Writes the leaf and every
    /// perfect subtree it completes in one [`NodeStore::put_nodes`] call
    /// (`O(log n)` worst case, `O(1)` amortised).
    ///
    /// Errors: [`MerkleError::TreeFull`], [`MerkleError::MissingNode`],
    /// [`MerkleError::Store`] (the size is then unchanged; retrying rewrites
    /// the same nodes).
    pub fn append(&mut self, leaf: Hash) -> Result<u64, MerkleError> {
        let index = self.size;
        let new_size = index.checked_add(1).ok_or(MerkleError::TreeFull)?;
        let mut nodes = Vec::with_capacity(1 + index.trailing_ones() as usize);
        nodes.push((0u32, index, leaf));
        let (mut level, mut i, mut hash) = (0u32, index, leaf);
        while i & 1 == 1 {
            let left = self.node(level, i - 1)?;
            hash = node_hash(&left, &hash);
            level += 1;
            i >>= 1;
            nodes.push((level, i, hash));
        }
        self.store.put_nodes(&nodes).map_err(store_err)?;
        self.size = new_size;
        Ok(index)
    }

    /// Append a record: [`leaf_hash`] of `bytes`, then [`MerkleTree::append`].
    pub fn append_record(&mut self, bytes: &[u8]) -> Result<u64, MerkleError> {
        self.append(leaf_hash(bytes))
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Result<Hash, MerkleError> {
        if index >= self.size {
            return Err(MerkleError::LeafIndexOutOfRange {
                index,
                tree_size: self.size,
            });
        }
        self.node(0, index)
    }

    /// The current root.
    pub fn root(&self) -> Result<Hash, MerkleError> {
        self.root_at(self.size)
    }

    /// The root of the tree made of the first `tree_size` leaves
    /// ([`empty_root`] for 0), from `popcount(tree_size)` node reads.
    ///
    /// Errors: [`MerkleError::SizeBeyondTree`], [`MerkleError::MissingNode`],
    /// [`MerkleError::Store`].
    pub fn root_at(&self, tree_size: u64) -> Result<Hash, MerkleError> {
        if tree_size > self.size {
            return Err(MerkleError::SizeBeyondTree {
                requested: tree_size,
                available: self.size,
            });
        }
        if tree_size == 0 {
            return Ok(empty_root());
        }
        range_hash(self, 0, tree_size)
    }

    /// Inclusion proof of leaf `leaf_index` in the tree of the first
    /// `tree_size` leaves, leaf-to-root order, in `O(log n)` node reads.
    ///
    /// Errors: [`MerkleError::SizeBeyondTree`], [`MerkleError::EmptyTree`],
    /// [`MerkleError::LeafIndexOutOfRange`], store errors.
    pub fn inclusion_proof(
        &self,
        leaf_index: u64,
        tree_size: u64,
    ) -> Result<Vec<Hash>, MerkleError> {
        check_inclusion_request(leaf_index, tree_size, self.size)?;
        inclusion_path(self, leaf_index, tree_size)
    }

    /// The inclusion proofs of `leaves` (in the order given) in the tree
    /// of the first `tree_size` leaves: each equal to
    /// [`MerkleTree::inclusion_proof`]'s, but a node shared by several
    /// proofs (the upper levels, the right edge) is read once.
    ///
    /// Errors: as [`MerkleTree::inclusion_proof`], for the first leaf that
    /// fails.
    ///
    /// The nodes the proofs need are listed first and read level by level
    /// in position order ([`NodeStore::get_many`]: a file store reads
    /// nearby nodes in one read), then the proofs are computed from them.
    pub fn inclusion_proofs(
        &self,
        leaves: &[u64],
        tree_size: u64,
    ) -> Result<Vec<Vec<Hash>>, MerkleError> {
        let mut wanted: std::collections::BTreeMap<u32, Vec<u64>> = Default::default();
        for leaf in leaves {
            check_inclusion_request(*leaf, tree_size, self.size)?;
            inclusion_nodes(*leaf, tree_size, &mut |level, index| {
                wanted.entry(level).or_default().push(index);
            });
        }
        let mut seen = std::collections::HashMap::new();
        for (level, mut indices) in wanted {
            indices.sort_unstable();
            indices.dedup();
            let hashes = self.store.get_many(level, &indices).map_err(store_err)?;
            for (index, hash) in indices.into_iter().zip(hashes) {
                let hash = hash.ok_or(MerkleError::MissingNode { level, index })?;
                seen.insert((level, index), hash);
            }
        }
        // Any node the listing missed is read on demand by the memo.
        let memo = Memo {
            src: self,
            seen: std::cell::RefCell::new(seen),
        };
        leaves
            .iter()
            .map(|leaf| inclusion_path(&memo, *leaf, tree_size))
            .collect()
    }

    /// Consistency proof between the trees of the first `old_size` and the
    /// first `new_size` leaves (empty when equal), in `O(log n)` node reads.
    ///
    /// Errors: [`MerkleError::SizesOutOfOrder`], [`MerkleError::SizeBeyondTree`],
    /// [`MerkleError::EmptyOldTree`], store errors.
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, MerkleError> {
        if !check_consistency_request(old_size, new_size, self.size)? {
            return Ok(Vec::new());
        }
        consistency_path(self, old_size, new_size)
    }

    fn node(&self, level: u32, index: u64) -> Result<Hash, MerkleError> {
        self.store
            .get(level, index)
            .map_err(store_err)?
            .ok_or(MerkleError::MissingNode { level, index })
    }
}

impl<S: NodeStore> Subtrees for MerkleTree<S> {
    fn perfect(&self, level: u32, index: u64) -> Result<Hash, MerkleError> {
        self.node(level, index)
    }
}

// ---------------------------------------------------------------------------
// Verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2)
// ---------------------------------------------------------------------------

fn to_hash(bytes: &[u8], role: HashRole) -> Result<Hash, MerkleError> {
    Hash::try_from(bytes).map_err(|_| MerkleError::MalformedHash {
        role,
        len: bytes.len(),
    })
}

fn to_hashes<P: AsRef<[u8]>>(proof: &[P]) -> Result<Vec<Hash>, MerkleError> {
    proof
        .iter()
        .enumerate()
        .map(|(i, p)| to_hash(p.as_ref(), HashRole::ProofElement(i)))
        .collect()
}

fn check_root(role: HashRole, expected: &Hash, computed: &Hash) -> Result<(), MerkleError> {
    if expected == computed {
        Ok(())
    } else {
        Err(MerkleError::RootMismatch {
            role,
            expected: hex::encode(expected),
            computed: hex::encode(computed),
        })
    }
}

fn lsb(x: u64) -> bool {
    x & 1 == 1
}

/// The RFC loop's step when the path hash goes on the left: "if LSB(fn) is
/// not set, right-shift both fn and sn equally until either LSB(fn) is set
/// or fn is 0".
fn shift_to_set_bit(fn_: &mut u64, sn: &mut u64) {
    while !lsb(*fn_) && *fn_ != 0 {
        *fn_ >>= 1;
        *sn >>= 1;
    }
}

/// Number of hashes the RFC 9162 loop (inclusion step 4, consistency step 6)
/// consumes from `(fn, sn)` before `sn` reaches 0: a dry run of the loop.
fn loop_length(mut fn_: u64, mut sn: u64) -> usize {
    let mut n = 0;
    while sn != 0 {
        if lsb(fn_) || fn_ == sn {
            shift_to_set_bit(&mut fn_, &mut sn);
        }
        fn_ >>= 1;
        sn >>= 1;
        n += 1;
    }
    n
}

/// Number of hashes an inclusion proof for `leaf_index < tree_size` has.
pub fn inclusion_proof_len(leaf_index: u64, tree_size: u64) -> usize {
    if leaf_index >= tree_size {
        return 0;
    }
    loop_length(leaf_index, tree_size - 1)
}

/// Number of hashes a consistency proof for `0 < size1 <= size2` has.
pub fn consistency_proof_len(size1: u64, size2: u64) -> usize {
    if size1 == 0 || size1 >= size2 {
        return 0;
    }
    let (mut fn_, mut sn) = (size1 - 1, size2 - 1);
    while lsb(fn_) {
        fn_ >>= 1;
        sn >>= 1;
    }
    // The path is the seed followed by one hash per loop iteration; when
    // size1 is a power of two the seed is root1 itself, not sent.
    let seed = usize::from(!size1.is_power_of_two());
    seed + loop_length(fn_, sn)
}

/// Verify that `leaf_hash` is the leaf at `leaf_index` of the tree of
/// `tree_size` leaves whose root is `root`, given the inclusion `proof`
/// (leaf-to-root order), following RFC 9162 section 2.1.3.2.
///
/// Hashes are taken as byte slices so that values decoded from untrusted
/// input can be passed as they are; a leaf hash, root or proof element that
/// is not 32 bytes long is rejected. A `[u8; 32]` coerces: pass `&hash`.
///
/// Errors, in the order checked: [`MerkleError::EmptyTree`],
/// [`MerkleError::LeafIndexOutOfRange`], [`MerkleError::WrongProofLength`],
/// [`MerkleError::MalformedHash`], [`MerkleError::RootMismatch`].
pub fn verify_inclusion<P: AsRef<[u8]>>(
    leaf_index: u64,
    tree_size: u64,
    leaf_hash: &[u8],
    proof: &[P],
    root: &[u8],
) -> Result<(), MerkleError> {
    if tree_size == 0 {
        return Err(MerkleError::EmptyTree);
    }
    if leaf_index >= tree_size {
        return Err(MerkleError::LeafIndexOutOfRange {
            index: leaf_index,
            tree_size,
        });
    }
    let expected = inclusion_proof_len(leaf_index, tree_size);
    let wrong_length = || MerkleError::WrongProofLength {
        expected,
        actual: proof.len(),
    };
    if proof.len() != expected {
        return Err(wrong_length());
    }
    let leaf = to_hash(leaf_hash, HashRole::LeafHash)?;
    let root = to_hash(root, HashRole::Root)?;
    let proof = to_hashes(proof)?;

    // RFC 9162 section 2.1.3.2, steps 2 to 5.
    let (mut fn_, mut sn) = (leaf_index, tree_size - 1);
    let mut r = leaf;
    for p in &proof {
        if sn == 0 {
            return Err(wrong_length());
        }
        if lsb(fn_) || fn_ == sn {
            r = node_hash(p, &r);
            shift_to_set_bit(&mut fn_, &mut sn);
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(wrong_length());
    }
    check_root(HashRole::Root, &root, &r)
}

/// Verify that the tree of `size2` leaves with root `root2` extends the tree
/// of `size1` leaves with root `root1`, given the consistency `proof`,
/// following RFC 9162 section 2.1.4.2.
///
/// `size1 == 0` is rejected (a proof from the empty tree proves nothing);
/// equal sizes need an empty proof and identical roots (compared as bytes).
/// Otherwise a root or proof element that is not 32 bytes long is rejected.
///
/// Errors, in the order checked: [`MerkleError::SizesOutOfOrder`],
/// [`MerkleError::EmptyOldTree`], [`MerkleError::WrongProofLength`],
/// [`MerkleError::RootsDiffer`], [`MerkleError::MalformedHash`],
/// [`MerkleError::RootMismatch`] (old root first).
pub fn verify_consistency<P: AsRef<[u8]>>(
    size1: u64,
    size2: u64,
    proof: &[P],
    root1: &[u8],
    root2: &[u8],
) -> Result<(), MerkleError> {
    if size1 > size2 {
        return Err(MerkleError::SizesOutOfOrder { size1, size2 });
    }
    if size1 == 0 {
        return Err(MerkleError::EmptyOldTree);
    }
    let expected = consistency_proof_len(size1, size2);
    let wrong_length = || MerkleError::WrongProofLength {
        expected,
        actual: proof.len(),
    };
    if proof.len() != expected {
        return Err(wrong_length());
    }
    if size1 == size2 {
        return if root1 == root2 {
            Ok(())
        } else {
            Err(MerkleError::RootsDiffer { size: size1 })
        };
    }
    let root1 = to_hash(root1, HashRole::OldRoot)?;
    let root2 = to_hash(root2, HashRole::NewRoot)?;
    let proof = to_hashes(proof)?;

    // Step 1: an empty path fails. Step 2: when size1 is a power of two,
    // root1 is the seed of the path.
    let mut path = proof.iter();
    let seed = if size1.is_power_of_two() {
        root1
    } else {
        *path.next().ok_or_else(wrong_length)?
    };
    // Steps 3 and 4.
    let (mut fn_, mut sn) = (size1 - 1, size2 - 1);
    while lsb(fn_) {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    let (mut fr, mut sr) = (seed, seed);
    // Step 6.
    for c in path {
        if sn == 0 {
            return Err(wrong_length());
        }
        if lsb(fn_) || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            shift_to_set_bit(&mut fn_, &mut sn);
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(wrong_length());
    }
    check_root(HashRole::OldRoot, &root1, &fr)?;
    check_root(HashRole::NewRoot, &root2, &sr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(root(&[]), empty_root());
        assert_eq!(MerkleTree::in_memory().root().ok(), Some(empty_root()));
    }

    #[test]
    fn split_point_is_largest_power_below() {
        for (n, k) in [
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 4),
            (8, 4),
            (9, 8),
            (u64::MAX, 1 << 63),
        ] {
            assert_eq!(split_point(n), k, "n = {n}");
        }
    }

    #[test]
    fn proof_lengths_match_generated_proofs() {
        let leaves: Vec<Hash> = (0u32..40).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for n in 1..=40u64 {
            for m in 0..n {
                let p = inclusion_proof(m, n, &leaves).expect("in range");
                assert_eq!(p.len(), inclusion_proof_len(m, n), "incl {m} {n}");
            }
            for m in 1..=n {
                let p = consistency_proof(m, n, &leaves).expect("in range");
                assert_eq!(p.len(), consistency_proof_len(m, n), "cons {m} {n}");
            }
        }
    }

    #[test]
    fn memory_store_rejects_gaps() {
        let mut s = MemoryNodeStore::new();
        assert!(s.put(0, 1, [0; 32]).is_err());
        assert!(s.put(0, 0, [0; 32]).is_ok());
        assert!(s.put(0, 0, [1; 32]).is_ok());
        assert_eq!(s.get(0, 0).ok().flatten(), Some([1; 32]));
        assert_eq!(s.node_count(), 1);
    }

    /// Counts node reads (one by one, and listed ones read by `get_many`).
    #[derive(Default)]
    struct Counting {
        inner: MemoryNodeStore,
        reads: std::cell::Cell<u64>,
        listed: std::cell::Cell<u64>,
    }

    impl NodeStore for Counting {
        type Error = MemoryStoreGap;
        fn get(&self, level: u32, index: u64) -> Result<Option<Hash>, MemoryStoreGap> {
            self.reads.set(self.reads.get() + 1);
            self.inner.get(level, index)
        }
        fn get_many(
            &self,
            level: u32,
            indices: &[u64],
        ) -> Result<Vec<Option<Hash>>, MemoryStoreGap> {
            self.listed.set(self.listed.get() + indices.len() as u64);
            indices
                .iter()
                .map(|index| self.inner.get(level, *index))
                .collect()
        }
        fn put(&mut self, level: u32, index: u64, hash: Hash) -> Result<(), MemoryStoreGap> {
            self.inner.put(level, index, hash)
        }
    }

    #[test]
    fn batched_inclusion_proofs_equal_single_ones_with_fewer_node_reads() {
        let mut t = MerkleTree::new(Counting::default());
        let n = 5_000u64;
        for i in 0..n {
            t.append(leaf_hash(&i.to_be_bytes())).expect("append");
        }
        for tree_size in [1, 2, 3, 1_000, 4_096, 4_097, n] {
            // Every 7th leaf, and a few repeated, unsorted.
            let mut leaves: Vec<u64> = (0..tree_size).step_by(7).collect();
            leaves.extend([tree_size - 1, 0, tree_size / 2, 0]);
            t.store.reads.set(0);
            let single: Vec<Vec<Hash>> = leaves
                .iter()
                .map(|leaf| t.inclusion_proof(*leaf, tree_size).expect("proof"))
                .collect();
            let single_reads = t.store.reads.get();
            t.store.reads.set(0);
            t.store.listed.set(0);
            let batched = t.inclusion_proofs(&leaves, tree_size).expect("proofs");
            // Every node was listed up front: none read on demand.
            assert_eq!(t.store.reads.get(), 0, "tree size {tree_size}");
            let batched_reads = t.store.listed.get();
            assert_eq!(batched, single, "tree size {tree_size}");
            if tree_size >= 1_000 {
                assert!(
                    batched_reads * 2 < single_reads,
                    "tree size {tree_size}: {batched_reads} reads batched, {single_reads} single"
                );
            }
        }
        assert!(matches!(
            t.inclusion_proofs(&[0, n], n),
            Err(MerkleError::LeafIndexOutOfRange { .. })
        ));
    }

    /// A store whose writes fail while `broken` is set.
    #[derive(Default)]
    struct Flaky {
        inner: MemoryNodeStore,
        broken: bool,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("disk on fire")]
    struct Fire;

    impl NodeStore for Flaky {
        type Error = Fire;
        fn get(&self, level: u32, index: u64) -> Result<Option<Hash>, Fire> {
            self.inner.get(level, index).map_err(|_| Fire)
        }
        fn put(&mut self, level: u32, index: u64, hash: Hash) -> Result<(), Fire> {
            if self.broken {
                return Err(Fire);
            }
            self.inner.put(level, index, hash).map_err(|_| Fire)
        }
    }

    #[test]
    fn failed_append_leaves_the_size_and_can_be_retried() {
        let mut t = MerkleTree::new(Flaky::default());
        let leaves: Vec<Hash> = (0u8..7).map(|i| leaf_hash(&[i])).collect();
        for l in &leaves[..6] {
            t.append(*l).expect("append");
        }
        t.store.broken = true;
        let err = t.append(leaves[6]).expect_err("store fails");
        assert!(matches!(err, MerkleError::Store(_)), "{err}");
        assert_eq!(err.to_string(), "node store failed: disk on fire");
        assert_eq!(t.size(), 6);
        assert_eq!(t.root().ok(), Some(root(&leaves[..6])));
        t.store.broken = false;
        assert_eq!(t.append(leaves[6]).ok(), Some(6));
        assert_eq!(t.root().ok(), Some(root(&leaves)));
    }

    #[test]
    fn open_checks_the_frontier() {
        let mut t = MerkleTree::in_memory();
        for i in 0u8..11 {
            t.append_record(&[i]).expect("append");
        }
        let root = t.root().expect("root");
        let store = t.into_store();
        let reopened = MerkleTree::open(store.clone(), 11).expect("open");
        assert_eq!(reopened.root().ok(), Some(root));
        assert!(matches!(
            MerkleTree::open(store, 12),
            Err(MerkleError::MissingNode { level: 2, index: 2 })
        ));
    }
}
