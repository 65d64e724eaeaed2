//! Scratch directories, removed when dropped: `replay`'s fold directories
//! and the benchmarks' data directories. What `tempfile` gave them, without
//! making it a runtime dependency (tempfile is a dev-dependency only).

use std::io;
use std::path::{Path, PathBuf};

/// A new, empty directory (0700) removed with its contents on drop.
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// `<temp dir>/<prefix><unique>`.
    pub fn new(prefix: &str) -> io::Result<ScratchDir> {
        ScratchDir::new_in(prefix, &std::env::temp_dir())
    }

    /// `<parent>/<prefix><unique>`.
    pub fn new_in(prefix: &str, parent: &Path) -> io::Result<ScratchDir> {
        let mut last_error = None;
        for _attempt in 0..8 {
            let name = format!(
                "{prefix}{}-{}",
                std::process::id(),
                uuid::Uuid::now_v7().simple()
            );
            let path = parent.join(name);
            match create_private_dir(&path) {
                Ok(()) => return Ok(ScratchDir { path }),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    last_error = Some(error);
                }
                Err(error) => return Err(error),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("no unique scratch directory name")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.path) {
            tracing::warn!(path = %self.path.display(), %error, "removing a scratch directory");
        }
    }
}

fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

#[cfg(test)]
mod tests {
    use super::ScratchDir;

    #[test]
    fn a_scratch_directory_is_new_private_and_removed_on_drop() {
        let first = ScratchDir::new("salesledger-scratch-test-").expect("scratch");
        let second = ScratchDir::new("salesledger-scratch-test-").expect("scratch");
        assert_ne!(first.path(), second.path());
        std::fs::write(first.path().join("file"), b"x").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(first.path())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let path = first.path().to_path_buf();
        drop(first);
        assert!(!path.exists());
        assert!(second.path().is_dir());
    }
}
