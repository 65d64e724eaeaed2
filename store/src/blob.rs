//! Content-addressed blob store for evidence files (proposal PDFs, ...).
//!
//! A blob is stored under its SHA-256, so the event that references it
//! only needs the hash, and anyone holding the file can check it. Writes go
//! to a temporary file that is synced and then renamed into place (and the
//! directory synced), so a blob whose hash was returned is durable, and a
//! blob is only visible under its name once complete and synced.
//!
//! A write that fails (a full disk is [`StoreError::InsufficientStorage`])
//! or is abandoned (the caller's future dropped, e.g. a client that
//! disconnected) removes its temporary file: no `.<sha>.<id>.tmp` is left.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::error::StoreError;
use crate::record::Hash32;

/// Default upper bound on one blob: 25 MiB.
pub const DEFAULT_MAX_BLOB_BYTES: u64 = 25 * 1024 * 1024;

/// A stored blob: its SHA-256 and size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    pub sha256: Hash32,
    pub size: u64,
}

/// Files on disk under `DATA_DIR/blobs/<first two hex digits>/<hex>`.
#[derive(Clone, Debug)]
pub struct FsBlobStore {
    dir: PathBuf,
    max_bytes: u64,
}

impl FsBlobStore {
    pub fn open(data_dir: &Path, max_bytes: u64) -> Result<FsBlobStore, StoreError> {
        let dir = data_dir.join("blobs");
        crate::private_fs::create_dir_all(&dir)?;
        Ok(FsBlobStore { dir, max_bytes })
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    fn path_of(&self, sha256: &Hash32) -> PathBuf {
        let hex = sha256.to_hex();
        self.dir.join(&hex[..2]).join(hex)
    }

    /// Stores `content` and returns its reference. Storing the same content
    /// twice is a no-op that returns the same reference.
    pub async fn put(&self, content: &[u8]) -> Result<BlobRef, StoreError> {
        let size = content.len() as u64;
        if size > self.max_bytes {
            return Err(StoreError::BlobTooLarge {
                size,
                limit: self.max_bytes,
            });
        }
        let sha256 = Hash32::sha256(content);
        let path = self.path_of(&sha256);
        if tokio::fs::try_exists(&path).await? {
            return Ok(BlobRef { sha256, size });
        }
        let shard = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.dir.clone());
        private_dir_builder().create(&shard).await?;
        let temp = TempFile(Some(shard.join(format!(
            ".{}.{}.tmp",
            sha256.to_hex(),
            uuid::Uuid::now_v7()
        ))));
        let written = async {
            let temp_path = temp.path()?;
            let mut file = private_file_options().open(temp_path).await?;
            file.write_all(content).await?;
            file.sync_all().await?;
            drop(file);
            tokio::fs::rename(temp_path, &path).await
        }
        .await;
        match written {
            Ok(()) => temp.renamed(),
            Err(error) => return Err(blob_write_error(error)),
        }
        tokio::fs::File::open(&shard)
            .await?
            .sync_all()
            .await
            .map_err(blob_write_error)?;
        Ok(BlobRef { sha256, size })
    }

    /// The blob's content, checked against its hash.
    pub async fn get(&self, sha256: &Hash32) -> Result<Vec<u8>, StoreError> {
        let content = match tokio::fs::read(self.path_of(sha256)).await {
            Ok(content) => content,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::BlobNotFound(sha256.to_hex()));
            }
            Err(error) => return Err(error.into()),
        };
        if Hash32::sha256(&content) != *sha256 {
            return Err(StoreError::CorruptBlob(sha256.to_hex()));
        }
        Ok(content)
    }

    pub async fn contains(&self, sha256: &Hash32) -> Result<bool, StoreError> {
        Ok(tokio::fs::try_exists(self.path_of(sha256)).await?)
    }
}

/// Creates missing directories with mode 0700 ([`crate::private_fs`]).
fn private_dir_builder() -> tokio::fs::DirBuilder {
    let mut builder = tokio::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(crate::private_fs::DIR_MODE);
    builder
}

/// Creates (truncating) a file with mode 0600 ([`crate::private_fs`]).
fn private_file_options() -> tokio::fs::OpenOptions {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(crate::private_fs::FILE_MODE);
    options
}

/// A blob write's error: a full disk is [`StoreError::InsufficientStorage`].
fn blob_write_error(error: std::io::Error) -> StoreError {
    if crate::error::io_is_storage_full(&error) {
        StoreError::InsufficientStorage(format!("storing a blob: {error}"))
    } else {
        StoreError::Io(error)
    }
}

/// A temporary file removed when dropped, unless it was renamed into place
/// (also when the writing future is dropped midway).
struct TempFile(Option<PathBuf>);

impl TempFile {
    fn path(&self) -> std::io::Result<&Path> {
        self.0
            .as_deref()
            .ok_or_else(|| std::io::Error::other("temporary file already renamed"))
    }

    fn renamed(mut self) {
        self.0 = None;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    tracing::warn!(%error, path = %path.display(), "removing a blob's temporary file");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_by_sha256_and_checks_on_read() {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let blobs = FsBlobStore::open(data_dir.path(), 1024).expect("open");
        let blob = blobs.put(b"%PDF-1.7 proposal").await.expect("put");
        assert_eq!(blob.sha256, Hash32::sha256(b"%PDF-1.7 proposal"));
        assert_eq!(blob.size, 17);
        assert_eq!(
            blobs.put(b"%PDF-1.7 proposal").await.expect("put again"),
            blob
        );
        assert_eq!(
            blobs.get(&blob.sha256).await.expect("get"),
            b"%PDF-1.7 proposal"
        );

        let path = blobs.path_of(&blob.sha256);
        std::fs::write(&path, b"%PDF-1.7 forged").expect("tamper");
        assert!(matches!(
            blobs.get(&blob.sha256).await,
            Err(StoreError::CorruptBlob(_))
        ));
    }

    #[tokio::test]
    async fn refuses_blobs_over_the_limit_and_unknown_hashes() {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let blobs = FsBlobStore::open(data_dir.path(), 8).expect("open");
        let error = blobs.put(b"123456789").await.expect_err("too large");
        assert!(
            matches!(error, StoreError::BlobTooLarge { size: 9, limit: 8 }),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            "blob of 9 bytes exceeds the limit of 8 bytes"
        );
        assert!(matches!(
            blobs.get(&Hash32::ZERO).await,
            Err(StoreError::BlobNotFound(_))
        ));
    }

    fn temp_files(dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for shard in std::fs::read_dir(dir.join("blobs")).expect("blobs dir") {
            let shard = shard.expect("entry").path();
            if shard.is_dir() {
                for file in std::fs::read_dir(&shard).expect("shard") {
                    let file = file.expect("entry").path();
                    if file.extension().is_some_and(|ext| ext == "tmp") {
                        found.push(file);
                    }
                }
            }
        }
        found
    }

    /// A write abandoned midway (the future dropped, as when a client
    /// disconnects mid-upload) leaves no temporary file and no blob.
    #[tokio::test]
    async fn an_abandoned_write_leaves_no_temporary_file() {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let blobs = FsBlobStore::open(data_dir.path(), 64 << 20).expect("open");
        let mut n_abandoned = 0;
        for attempt in 0..5u8 {
            let content = vec![attempt; 24 << 20];
            let sha256 = Hash32::sha256(&content);
            let task = tokio::spawn({
                let blobs = blobs.clone();
                async move { blobs.put(&content).await }
            });
            while !task.is_finished() && temp_files(data_dir.path()).is_empty() {
                tokio::time::sleep(std::time::Duration::from_micros(200)).await;
            }
            if task.is_finished() {
                continue;
            }
            task.abort();
            let _ = task.await;
            n_abandoned += 1;
            assert!(
                temp_files(data_dir.path()).is_empty(),
                "the abandoned write left its temporary file"
            );
            assert!(!blobs.contains(&sha256).await.expect("contains"));
        }
        assert!(n_abandoned > 0, "no write could be caught midway");
    }
}
