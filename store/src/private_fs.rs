//! Private files: everything salesledger keeps under a data directory is
//! readable by its owner only (directories 0700, files 0600).
//!
//! Our own code creates directories and files with those modes from the
//! start ([`create_dir_all`], [`open_options`]); files that a library
//! creates (sled's `conf`, `db`, `snap.*`, `blobs/`) are covered by the
//! binary's process umask (0o077) and, for library users that open a data
//! directory in-process, by [`tighten`] right after the library opened
//! them. [`tighten`] also brings a data directory created by an older
//! version (0755 and 0644) down to these modes.
//!
//! On non-Unix platforms these are plain creations and [`tighten`] changes
//! nothing.

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};

/// Mode of every directory under a data directory (and of the directory).
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file under a data directory.
pub const FILE_MODE: u32 = 0o600;
/// The permission bits that must never be set under a data directory.
const GROUP_AND_OTHER: u32 = 0o077;

/// Creates `path` and any missing parents with mode 0700 (existing
/// directories are left as they are; [`tighten`] is for those).
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(DIR_MODE);
    }
    builder.create(path)
}

/// `OpenOptions` whose created file gets mode 0600 (set the access flags on
/// the result as usual).
pub fn open_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(FILE_MODE);
    }
    options
}

/// One permission change made by [`tighten`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tightened {
    pub path: PathBuf,
    /// The permission bits before (e.g. `0o644`).
    pub from: u32,
    /// The permission bits after (e.g. `0o600`).
    pub to: u32,
}

impl std::fmt::Display for Tightened {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{} {:o}->{:o}",
            self.path.display(),
            self.from,
            self.to
        )
    }
}

/// Removes the group and other permission bits from `root` and from every
/// directory and file below it (symbolic links are neither followed nor
/// changed), and returns what it changed. A missing `root` changes nothing.
pub fn tighten(root: &Path) -> io::Result<Vec<Tightened>> {
    let mut changed = Vec::new();
    #[cfg(unix)]
    {
        let mut pending = vec![root.to_path_buf()];
        while let Some(path) = pending.pop() {
            let metadata = match std::fs::symlink_metadata(&path) {
                Ok(metadata) => metadata,
                // Removed meanwhile (a temporary file renamed into place).
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error),
            };
            if metadata.file_type().is_symlink() {
                continue;
            }
            if metadata.is_dir() {
                for entry in std::fs::read_dir(&path)? {
                    pending.push(entry?.path());
                }
            }
            if let Some(change) = tighten_one(&path, &metadata)? {
                changed.push(change);
            }
        }
        changed.sort_by(|a, b| a.path.cmp(&b.path));
    }
    #[cfg(not(unix))]
    {
        let _ = root;
    }
    Ok(changed)
}

#[cfg(unix)]
fn tighten_one(path: &Path, metadata: &std::fs::Metadata) -> io::Result<Option<Tightened>> {
    use std::os::unix::fs::PermissionsExt as _;
    let from = metadata.permissions().mode() & 0o7777;
    if from & GROUP_AND_OTHER == 0 {
        return Ok(None);
    }
    let to = from & !GROUP_AND_OTHER;
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(to)) {
        Ok(()) => Ok(Some(Tightened {
            path: path.to_path_buf(),
            from,
            to,
        })),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// [`tighten`] for what a library just created under `root`: logs the
/// changes at debug level (expected when the process umask is looser than
/// 0o077, e.g. in tests) and returns how many there were.
pub fn tighten_created(root: &Path) -> io::Result<usize> {
    let changed = tighten(root)?;
    for change in &changed {
        tracing::debug!(change = %change, "made private");
    }
    Ok(changed.len())
}

/// [`tighten`] for a data directory being opened: an existing directory
/// with looser modes (from an older version, or copied with another umask)
/// is brought to 0700/0600 with one warning that names every change.
pub fn tighten_existing(root: &Path) -> io::Result<Vec<Tightened>> {
    let changed = tighten(root)?;
    if !changed.is_empty() {
        let changes = changed
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        tracing::warn!(
            directory = %root.display(),
            n_changed = changed.len(),
            %changes,
            "the data directory was readable by others: removed group and other permissions"
        );
    }
    Ok(changed)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o7777
    }

    #[test]
    fn created_directories_and_files_are_private_whatever_the_umask() {
        let root = tempfile::tempdir().expect("tempdir");
        let nested = root.path().join("a/b");
        create_dir_all(&nested).expect("create");
        assert_eq!(mode(&root.path().join("a")), DIR_MODE);
        assert_eq!(mode(&nested), DIR_MODE);
        let file = nested.join("f");
        open_options()
            .write(true)
            .create_new(true)
            .open(&file)
            .expect("open");
        assert_eq!(mode(&file), FILE_MODE);
    }

    #[test]
    fn tighten_removes_group_and_other_bits_and_reports_each_change() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("old");
        std::fs::create_dir(&dir).expect("dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let file = dir.join("db");
        std::fs::write(&file, b"x").expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let private = dir.join("key");
        std::fs::write(&private, b"x").expect("write");
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        std::os::unix::fs::symlink("/etc/hostname", dir.join("link")).expect("symlink");

        let changed = tighten(&dir).expect("tighten");
        assert_eq!(
            changed,
            vec![
                Tightened {
                    path: dir.clone(),
                    from: 0o755,
                    to: 0o700
                },
                Tightened {
                    path: file.clone(),
                    from: 0o644,
                    to: 0o600
                },
            ]
        );
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);
        assert!(tighten(&dir).expect("again").is_empty());
        assert!(tighten(&root.path().join("missing"))
            .expect("missing")
            .is_empty());
    }
}
