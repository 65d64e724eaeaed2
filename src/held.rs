//! A data directory held by a running gateway.
//!
//! `serve` keeps its data directory's sled databases (the log, the read
//! models, reactions, webhooks) open, and sled locks each one (`flock` on
//! its `db` file) for as long as it runs. A CLI command that opens such a
//! directory (verify, replay, evidence, export, ...) checks first: when
//! any of those locks is held it stops with one message naming the
//! gateway's pid and exits [`HELD_EXIT`], instead of failing on sled's
//! lock error. `serve` writes its pid to `DATA/gateway.pid` once it holds
//! the directory and removes it when it exits; the lock, not the pid file,
//! decides whether the directory is held, so a pid file left by a killed
//! gateway (its process gone, or its pid reused) never blocks anything.

use std::path::{Path, PathBuf};

/// The file `serve` writes its pid to, in the data directory.
pub const PID_FILE: &str = "gateway.pid";

/// The exit status of a CLI command refused because a running gateway
/// holds the data directory.
pub const HELD_EXIT: u8 = 3;

/// The data directory is held by another process (its message in the
/// CLI's language).
#[derive(Debug)]
pub enum Held {
    ByGateway { dir: String, pid: u32 },
    ByAnother { dir: String },
}

impl std::fmt::Display for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Held::ByGateway { dir, pid } => {
                f.write_str(&crate::t!("cli-held-by-gateway", dir = dir, pid = pid))
            }
            Held::ByAnother { dir } => f.write_str(&crate::t!("cli-held-by-another", dir = dir)),
        }
    }
}

impl std::error::Error for Held {}

/// `DATA/gateway.pid` while `serve` runs; removed when dropped (if it
/// still names this process).
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Writes this process's pid into `data_dir` (0600, replacing a stale
    /// file).
    pub fn create(data_dir: &Path) -> std::io::Result<PidFile> {
        use std::io::Write;
        let path = data_dir.join(PID_FILE);
        let mut file = salesledger_store::private_fs::open_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        writeln!(file, "{}", std::process::id())?;
        Ok(PidFile { path })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if read_pid(&self.path) == Some(std::process::id()) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The pid in `DATA/gateway.pid` when that process is alive.
pub fn gateway_pid(data_dir: &Path) -> Option<u32> {
    let pid = read_pid(&data_dir.join(PID_FILE))?;
    is_alive(pid).then_some(pid)
}

#[cfg(unix)]
fn is_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        // It exists, owned by someone else.
        Err(errno) => errno == rustix::io::Errno::PERM,
    }
}

#[cfg(not(unix))]
fn is_alive(_pid: u32) -> bool {
    true
}

/// The sled databases of a data directory: every `db` file beside a
/// `conf` file, up to three levels down.
fn sled_databases(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    if dir.join("db").is_file() && dir.join("conf").is_file() {
        found.push(dir.join("db"));
    }
    if depth == 0 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut subdirectories: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .map(|entry| entry.path())
        .collect();
    subdirectories.sort();
    for subdirectory in subdirectories {
        sled_databases(&subdirectory, depth - 1, found);
    }
}

/// Whether another open file holds sled's lock on `db`.
#[cfg(unix)]
fn is_locked(db: &Path) -> bool {
    let Ok(file) = std::fs::OpenOptions::new().read(true).open(db) else {
        return false;
    };
    // Taken and released at once (closing the file releases it).
    matches!(
        rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive),
        Err(errno) if errno == rustix::io::Errno::WOULDBLOCK
    )
}

#[cfg(not(unix))]
fn is_locked(_db: &Path) -> bool {
    false
}

/// `Err` when a running process holds one of `data_dir`'s databases; a
/// directory that does not exist is not held. Call before opening it.
pub fn ensure_not_held(data_dir: &Path) -> Result<(), Held> {
    let mut databases = Vec::new();
    sled_databases(data_dir, 3, &mut databases);
    if !databases.iter().any(|db| is_locked(db)) {
        return Ok(());
    }
    let dir = data_dir.display().to_string();
    Err(match gateway_pid(data_dir) {
        Some(pid) => Held::ByGateway { dir, pid },
        None => Held::ByAnother { dir },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_directory_is_not_held_whatever_its_pid_file_says() {
        let dir = tempfile::tempdir().expect("dir");
        let db = sled::open(dir.path().join("log")).expect("sled");
        assert!(matches!(
            ensure_not_held(dir.path()),
            Err(Held::ByAnother { .. })
        ));
        // This process's pid: alive, so named.
        let pid_file = PidFile::create(dir.path()).expect("pid file");
        match ensure_not_held(dir.path()) {
            Err(Held::ByGateway { pid, .. }) => assert_eq!(pid, std::process::id()),
            other => panic!("{other:?}"),
        }
        drop(db);
        // Closed (sled's threads let go of the lock within moments): not
        // held, though the pid file remains.
        let mut n_tries = 0;
        while ensure_not_held(dir.path()).is_err() {
            n_tries += 1;
            assert!(n_tries < 100, "still held after the database closed");
            std::thread::sleep(std::time::Duration::from_millis(30));
        }
        drop(pid_file);
        assert!(!dir.path().join(PID_FILE).exists());
        ensure_not_held(&dir.path().join("absent")).expect("absent directory");
    }
}
