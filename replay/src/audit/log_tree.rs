//! The persistent Merkle tree over the global log: one RFC 9162 leaf per
//! record (`SHA-256(0x00 || canonical record bytes)`, leaf index = log
//! position), kept beside the log in `DATA_DIR/merkle/` and brought up to
//! date from any [`Store`] (sled or PostgreSQL) by reading the records it
//! has not seen yet.
//!
//! # Files
//!
//! - `level-NN` (`NN` = 00..63): the hashes of the perfect subtrees of level
//!   `NN`, 32 bytes each, node `i` at offset `32 * i` (level 00 holds the
//!   leaf hashes). A tree of `n` leaves has `n >> NN` nodes in level `NN`:
//!   fewer than `2n` nodes in all. Nodes never change once written.
//! - `synced`: the decimal tree size up to which every level file was
//!   `fdatasync`ed (written to a temporary file, synced, renamed).
//!
//! # Never diverging from the log
//!
//! The tree is derived data: it can always be rebuilt from the log. On open,
//! every level is cut back to the `synced` size (anything after it may be a
//! torn write), the leaf at `synced - 1` is compared with the log's record
//! at that position, and the tree catches up from the log. A leaf that
//! differs, a log shorter than the tree or a missing file makes it start
//! again from nothing (logged as a warning). While catching up, each record
//! must hash to its stored hash and link to the previous one, so the tree
//! only ever covers records whose chain holds. `salesledger verify` compares
//! every node with a recomputation from the log ([`super::verify_log_audit`]).
//!
//! One process at a time maintains a data directory's tree (the same rule
//! as for the sled log, whose lock enforces it; with PostgreSQL, give each
//! gateway process its own data directory).

use std::fs::File;
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use salesledger_store::{Hash32, Store, READ_PAGE};

use super::error::{AuditError, NodeFileError};
use super::merkle::{leaf_hash, Hash, MerkleError, MerkleTree, NodeStore, HASH_LEN};

/// Subdirectory of the data directory that holds the tree.
pub const TREE_DIR: &str = "merkle";
const SYNCED_FILE: &str = "synced";
/// Nodes buffered in memory per level before they are written to the file.
const PENDING_FLUSH: usize = 16 * 1024;
const MAX_LEVELS: u32 = 64;
/// [`FileNodeStore::get_many`] reads nodes of one level that lie at most
/// this many nodes apart (4 KiB) in one read...
const RUN_GAP: u64 = 128;
/// ... of at most this many nodes (1 MiB).
const RUN_MAX: u64 = 32 * 1024;

/// A [`NodeStore`] over one append-only file per level, with a small
/// in-memory tail per level (written by [`FileNodeStore::flush`]).
#[derive(Debug)]
pub struct FileNodeStore {
    dir: PathBuf,
    levels: Vec<Level>,
}

#[derive(Debug)]
struct Level {
    file: File,
    /// Nodes in the file.
    persisted: u64,
    /// Nodes after `persisted`, not yet written.
    pending: Vec<Hash>,
}

impl Level {
    fn len(&self) -> u64 {
        self.persisted + self.pending.len() as u64
    }
}

fn level_path(dir: &Path, level: u32) -> PathBuf {
    dir.join(format!("level-{level:02}"))
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> NodeFileError + '_ {
    move |source| NodeFileError::Io {
        path: path.to_owned(),
        source,
    }
}

impl FileNodeStore {
    /// Opens (creating) the tree files in `dir` and cuts every level back to
    /// the nodes of a tree of `size` leaves. Returns `None` when a level
    /// holds fewer nodes than that size needs (then start from nothing).
    fn open_at(dir: &Path, size: u64) -> Result<Option<FileNodeStore>, NodeFileError> {
        salesledger_store::private_fs::create_dir_all(dir).map_err(io_error(dir))?;
        let mut levels = Vec::new();
        for level in 0..MAX_LEVELS {
            let need = size >> level;
            let path = level_path(dir, level);
            if need == 0 && !path.exists() {
                break;
            }
            let file = salesledger_store::private_fs::open_options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io_error(&path))?;
            let len = file.metadata().map_err(io_error(&path))?.len();
            let need_bytes = need.saturating_mul(HASH_LEN as u64);
            if len < need_bytes {
                return Ok(None);
            }
            if len > need_bytes {
                file.set_len(need_bytes).map_err(io_error(&path))?;
            }
            levels.push(Level {
                file,
                persisted: need,
                pending: Vec::new(),
            });
        }
        Ok(Some(FileNodeStore {
            dir: dir.to_owned(),
            levels,
        }))
    }

    /// Removes every level file and opens an empty store.
    fn create_empty(dir: &Path) -> Result<FileNodeStore, NodeFileError> {
        salesledger_store::private_fs::create_dir_all(dir).map_err(io_error(dir))?;
        for level in 0..MAX_LEVELS {
            let path = level_path(dir, level);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(io_error(&path)(error)),
            }
        }
        write_synced(dir, 0)?;
        Ok(FileNodeStore {
            dir: dir.to_owned(),
            levels: Vec::new(),
        })
    }

    fn level_mut(&mut self, level: u32) -> Result<&mut Level, NodeFileError> {
        while self.levels.len() <= level as usize {
            let path = level_path(&self.dir, self.levels.len() as u32);
            let file = salesledger_store::private_fs::open_options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .map_err(io_error(&path))?;
            self.levels.push(Level {
                file,
                persisted: 0,
                pending: Vec::new(),
            });
        }
        let lvl = level as usize;
        Ok(&mut self.levels[lvl])
    }

    /// Writes every buffered node to its file (no sync).
    pub fn flush(&mut self) -> Result<(), NodeFileError> {
        for (level, nodes) in self.levels.iter_mut().enumerate() {
            if nodes.pending.is_empty() {
                continue;
            }
            let mut bytes = Vec::with_capacity(nodes.pending.len() * HASH_LEN);
            for hash in &nodes.pending {
                bytes.extend_from_slice(hash);
            }
            let offset = nodes.persisted * HASH_LEN as u64;
            nodes
                .file
                .write_all_at(&bytes, offset)
                .map_err(io_error(&level_path(&self.dir, level as u32)))?;
            nodes.persisted += nodes.pending.len() as u64;
            nodes.pending.clear();
        }
        Ok(())
    }

    /// Flushes, `fdatasync`s every level, then records `size` as synced.
    fn sync(&mut self, size: u64) -> Result<(), NodeFileError> {
        self.flush()?;
        for (level, nodes) in self.levels.iter().enumerate() {
            nodes
                .file
                .sync_data()
                .map_err(io_error(&level_path(&self.dir, level as u32)))?;
        }
        write_synced(&self.dir, size)
    }

    /// Reads `count` consecutive nodes of `level` from `index` (for
    /// sequential comparisons).
    pub fn read_run(
        &self,
        level: u32,
        index: u64,
        count: usize,
    ) -> Result<Vec<Hash>, NodeFileError> {
        let mut out = Vec::with_capacity(count);
        let Some(nodes) = self.levels.get(level as usize) else {
            return Ok(out);
        };
        let end = (index + count as u64).min(nodes.len());
        if index >= end {
            return Ok(out);
        }
        let file_end = end.min(nodes.persisted);
        if index < file_end {
            let n_bytes = usize::try_from(file_end - index).unwrap_or(0) * HASH_LEN;
            let mut bytes = vec![0u8; n_bytes];
            nodes
                .file
                .read_exact_at(&mut bytes, index * HASH_LEN as u64)
                .map_err(io_error(&level_path(&self.dir, level)))?;
            for chunk in bytes.chunks_exact(HASH_LEN) {
                let mut hash = [0u8; HASH_LEN];
                hash.copy_from_slice(chunk);
                out.push(hash);
            }
        }
        let from = index.max(nodes.persisted);
        for i in from..end {
            if let Some(hash) = usize::try_from(i - nodes.persisted)
                .ok()
                .and_then(|offset| nodes.pending.get(offset))
            {
                out.push(*hash);
            }
        }
        Ok(out)
    }
}

fn write_synced(dir: &Path, size: u64) -> Result<(), NodeFileError> {
    let path = dir.join(SYNCED_FILE);
    let temp = dir.join(format!("{SYNCED_FILE}.tmp"));
    let mut file = salesledger_store::private_fs::open_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temp)
        .map_err(io_error(&temp))?;
    file.write_all(format!("{size}\n").as_bytes())
        .map_err(io_error(&temp))?;
    file.sync_all().map_err(io_error(&temp))?;
    drop(file);
    std::fs::rename(&temp, &path).map_err(io_error(&path))?;
    File::open(dir)
        .and_then(|dir_file| dir_file.sync_all())
        .map_err(io_error(dir))
}

fn read_synced(dir: &Path) -> Option<u64> {
    std::fs::read_to_string(dir.join(SYNCED_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()
}

impl NodeStore for FileNodeStore {
    type Error = NodeFileError;

    /// Nearby nodes (at most `RUN_GAP` apart) in one read each
    /// ([`FileNodeStore::read_run`]): a bundle's proofs need about a
    /// thousand nodes per lower level, dense enough in the upper ones to be
    /// read by the page rather than one `pread` each.
    fn get_many(&self, level: u32, indices: &[u64]) -> Result<Vec<Option<Hash>>, Self::Error> {
        let mut out = Vec::with_capacity(indices.len());
        let mut i = 0;
        while let Some(&first) = indices.get(i) {
            let mut j = i + 1;
            while let Some(&next) = indices.get(j) {
                let near = next
                    .checked_sub(indices[j - 1])
                    .is_some_and(|gap| gap <= RUN_GAP)
                    && next - first < RUN_MAX;
                if !near {
                    break;
                }
                j += 1;
            }
            let last = indices[j - 1];
            let count = usize::try_from(last - first + 1).unwrap_or(usize::MAX);
            let run = self.read_run(level, first, count)?;
            for index in &indices[i..j] {
                out.push(
                    usize::try_from(index - first)
                        .ok()
                        .and_then(|offset| run.get(offset))
                        .copied(),
                );
            }
            i = j;
        }
        Ok(out)
    }

    fn get(&self, level: u32, index: u64) -> Result<Option<Hash>, Self::Error> {
        let Some(nodes) = self.levels.get(level as usize) else {
            return Ok(None);
        };
        if index < nodes.persisted {
            let mut hash = [0u8; HASH_LEN];
            nodes
                .file
                .read_exact_at(&mut hash, index * HASH_LEN as u64)
                .map_err(io_error(&level_path(&self.dir, level)))?;
            return Ok(Some(hash));
        }
        Ok(usize::try_from(index - nodes.persisted)
            .ok()
            .and_then(|offset| nodes.pending.get(offset))
            .copied())
    }

    fn put(&mut self, level: u32, index: u64, hash: Hash) -> Result<(), Self::Error> {
        let nodes = self.level_mut(level)?;
        let len = nodes.len();
        if index == len {
            nodes.pending.push(hash);
            if nodes.pending.len() >= PENDING_FLUSH {
                self.flush()?;
            }
            return Ok(());
        }
        if index > len {
            return Err(NodeFileError::Gap { level, index, len });
        }
        // A retried append rewrites nodes it wrote before: same values.
        if self.get(level, index)? != Some(hash) {
            return Err(NodeFileError::Rewrite { level, index });
        }
        Ok(())
    }
}

/// The Merkle tree of a data directory, kept in step with its log.
pub struct LogTree {
    tree: MerkleTree<FileNodeStore>,
    /// Hash of the record at `size - 1` (zero when empty), to check the
    /// chain link of the next record.
    last_hash: Hash32,
    synced_size: u64,
}

impl std::fmt::Debug for LogTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogTree")
            .field("size", &self.tree.size())
            .field("synced_size", &self.synced_size)
            .finish()
    }
}

impl LogTree {
    /// Opens the tree in `data_dir/merkle`, repairs it (see the module
    /// docs), and catches it up to the store's committed head.
    pub async fn open(data_dir: &Path, store: &dyn Store) -> Result<LogTree, AuditError> {
        Self::open_with_progress(data_dir, store, |_, _| {}).await
    }

    /// [`LogTree::open`], calling `progress(done, total)` while catching up.
    pub async fn open_with_progress(
        data_dir: &Path,
        store: &dyn Store,
        progress: impl FnMut(u64, u64) + Send,
    ) -> Result<LogTree, AuditError> {
        let dir = data_dir.join(TREE_DIR);
        let synced = read_synced(&dir).unwrap_or(0);
        let head = store.head();
        let mut tree = match Self::reopen(&dir, synced, store, head.len).await? {
            Some(tree) => tree,
            None => {
                if synced > 0 {
                    tracing::warn!(
                        dir = %dir.display(),
                        synced,
                        log_len = head.len,
                        "the Merkle tree does not match the log; rebuilding it from the log"
                    );
                }
                LogTree {
                    tree: MerkleTree::new(FileNodeStore::create_empty(&dir).map_err(tree_io)?),
                    last_hash: Hash32::ZERO,
                    synced_size: 0,
                }
            }
        };
        tree.catch_up_with_progress(store, progress).await?;
        tree.sync()?;
        Ok(tree)
    }

    /// Like [`LogTree::open_with_progress`], but a record that cannot be
    /// added (it does not hash or link) stops the catch-up without failing:
    /// the tree covers the records before it, and the error is returned
    /// beside it. For auditing a log that may be damaged.
    pub async fn open_for_audit(
        data_dir: &Path,
        store: &dyn Store,
        progress: impl FnMut(u64, u64) + Send,
    ) -> Result<(LogTree, Option<AuditError>), AuditError> {
        let dir = data_dir.join(TREE_DIR);
        let synced = read_synced(&dir).unwrap_or(0);
        let head = store.head();
        let reopened = match Self::reopen(&dir, synced, store, head.len).await {
            Ok(reopened) => reopened,
            Err(AuditError::Store(_)) => None,
            Err(error) => return Err(error),
        };
        let mut tree = match reopened {
            Some(tree) => tree,
            None => LogTree {
                tree: MerkleTree::new(FileNodeStore::create_empty(&dir).map_err(tree_io)?),
                last_hash: Hash32::ZERO,
                synced_size: 0,
            },
        };
        let stopped = match tree.catch_up_with_progress(store, progress).await {
            Ok(_) => None,
            Err(error @ (AuditError::TreeDiverged { .. } | AuditError::Store(_))) => Some(error),
            Err(error) => return Err(error),
        };
        tree.sync()?;
        Ok((tree, stopped))
    }

    async fn reopen(
        dir: &Path,
        synced: u64,
        store: &dyn Store,
        log_len: u64,
    ) -> Result<Option<LogTree>, AuditError> {
        if synced == 0 || synced > log_len {
            return Ok(None);
        }
        let Some(nodes) = FileNodeStore::open_at(dir, synced).map_err(tree_io)? else {
            return Ok(None);
        };
        let tree = match MerkleTree::open(nodes, synced) {
            Ok(tree) => tree,
            Err(MerkleError::MissingNode { .. }) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let records = store.read_all(synced - 1, 1).await?;
        let Some(record) = records
            .first()
            .filter(|record| record.position == synced - 1)
        else {
            return Ok(None);
        };
        if tree.leaf(synced - 1)? != leaf_hash(&record.canonical_bytes()) {
            return Ok(None);
        }
        Ok(Some(LogTree {
            tree,
            last_hash: record.hash,
            synced_size: synced,
        }))
    }

    /// Appends the records committed since the tree's size; returns the new
    /// size.
    pub async fn catch_up(&mut self, store: &dyn Store) -> Result<u64, AuditError> {
        self.catch_up_with_progress(store, |_, _| {}).await
    }

    /// [`LogTree::catch_up`] with `progress(done, total)` after each page.
    pub async fn catch_up_with_progress(
        &mut self,
        store: &dyn Store,
        mut progress: impl FnMut(u64, u64) + Send,
    ) -> Result<u64, AuditError> {
        let target = store.head().len;
        while self.tree.size() < target {
            let from = self.tree.size();
            let records = store.read_all(from, READ_PAGE).await?;
            if records.is_empty() {
                return Err(AuditError::TreeDiverged {
                    position: from,
                    reason: "a committed record is missing from the log".into(),
                });
            }
            for record in &records {
                let position = self.tree.size();
                if record.position != position {
                    return Err(AuditError::TreeDiverged {
                        position,
                        reason: format!("the log returned position {}", record.position),
                    });
                }
                if record.prev_hash != self.last_hash {
                    return Err(AuditError::TreeDiverged {
                        position,
                        reason: "prev_hash does not link to the previous record".into(),
                    });
                }
                let bytes = record.canonical_bytes();
                if Hash32::sha256(&bytes) != record.hash {
                    return Err(AuditError::TreeDiverged {
                        position,
                        reason: "the record does not hash to its stored hash".into(),
                    });
                }
                self.tree.append(leaf_hash(&bytes))?;
                self.last_hash = record.hash;
            }
            progress(self.tree.size(), target);
        }
        Ok(self.tree.size())
    }

    /// Writes buffered nodes and `fdatasync`s them, so a reopen resumes
    /// from here.
    pub fn sync(&mut self) -> Result<(), AuditError> {
        let size = self.tree.size();
        if size != self.synced_size {
            self.tree.store_mut().sync(size).map_err(tree_io)?;
            self.synced_size = size;
        }
        Ok(())
    }

    /// Number of leaves (= records covered).
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// Hash of the last record covered.
    pub fn last_hash(&self) -> Hash32 {
        self.last_hash
    }

    pub fn tree(&self) -> &MerkleTree<FileNodeStore> {
        &self.tree
    }

    pub fn root_at(&self, tree_size: u64) -> Result<Hash, AuditError> {
        Ok(self.tree.root_at(tree_size)?)
    }

    pub fn inclusion_proof(
        &self,
        leaf_index: u64,
        tree_size: u64,
    ) -> Result<Vec<Hash>, AuditError> {
        Ok(self.tree.inclusion_proof(leaf_index, tree_size)?)
    }

    /// Several inclusion proofs against one tree size, each shared node
    /// read once ([`MerkleTree::inclusion_proofs`]).
    pub fn inclusion_proofs(
        &self,
        leaves: &[u64],
        tree_size: u64,
    ) -> Result<Vec<Vec<Hash>>, AuditError> {
        Ok(self.tree.inclusion_proofs(leaves, tree_size)?)
    }

    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, AuditError> {
        Ok(self.tree.consistency_proof(old_size, new_size)?)
    }

    /// Consecutive stored nodes of one level (for a full comparison).
    pub fn read_run(&self, level: u32, index: u64, count: usize) -> Result<Vec<Hash>, AuditError> {
        self.tree
            .store()
            .read_run(level, index, count)
            .map_err(tree_io)
    }
}

fn tree_io(error: NodeFileError) -> AuditError {
    AuditError::TreeStore(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_many_answers_as_get_does_across_the_file_and_the_pending_tail() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = FileNodeStore::create_empty(dir.path()).expect("store");
        let node = |index: u64| -> Hash {
            let mut hash = [0u8; HASH_LEN];
            hash[..8].copy_from_slice(&index.to_be_bytes());
            hash
        };
        for index in 0..2_000 {
            store.put(0, index, node(index)).expect("put");
        }
        store.flush().expect("flush");
        // Nodes 2,000..3,000 stay in the pending tail.
        for index in 2_000..3_000 {
            store.put(0, index, node(index)).expect("put");
        }
        let dense: Vec<u64> = (0..3_100).step_by(3).collect();
        let sparse: Vec<u64> = (0..3_100).step_by(400).collect();
        let far = vec![
            0,
            RUN_GAP,
            2 * RUN_GAP + 1,
            RUN_MAX + 5,
            1_999,
            2_000,
            2_999,
            3_000,
        ];
        let unsorted = vec![2_500, 10, 1_999, 10, 0, 4_000];
        for indices in [dense, sparse, far, unsorted, Vec::new()] {
            let one_by_one: Vec<Option<Hash>> = indices
                .iter()
                .map(|index| store.get(0, *index).expect("get"))
                .collect();
            assert_eq!(
                store.get_many(0, &indices).expect("get_many"),
                one_by_one,
                "{indices:?}"
            );
        }
        assert_eq!(
            store.get_many(7, &[0, 1]).expect("absent level"),
            vec![None, None]
        );
    }
}
