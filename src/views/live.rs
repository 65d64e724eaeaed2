//! The read models `serve` answers from, reopened in place when their
//! tables could not be written.
//!
//! A commit of the tables that fails (a full disk) stops every projector
//! of its lane with [`FailureCause::Tables`], and redb answers nothing more
//! from a database whose write failed until it is opened again. [`reopen`]
//! watches for that: it stops the runner, lets go of its database, and
//! starts a new one on the same directory, each projector resuming from
//! its last commit (rows and checkpoint are committed together, so nothing
//! is folded twice or skipped). While it fails (the disk still full) it
//! tries again, backing off from [`FIRST_RETRY`] to [`LAST_RETRY`];
//! meanwhile the views answer `503 views_reopening` and `/readyz` says so.

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use salesledger_replay::readmodel::{FailureCause, ReadModelError, TableRunner};
use tokio::sync::watch;

/// How often [`reopen`] looks at the projectors' states.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);
/// The wait before the first reopening, and after a reopening that
/// worked and failed again.
pub const FIRST_RETRY: Duration = Duration::from_secs(2);
/// The longest wait between two reopenings that fail.
pub const LAST_RETRY: Duration = Duration::from_secs(60);
/// How long a reopened runner must run without failing before the wait
/// starts again from [`FIRST_RETRY`] (a runner that fails again sooner,
/// the disk still full, is reopened after a longer wait each time).
pub const STABLE_AFTER: Duration = Duration::from_secs(60);
/// How long a reopening waits for requests still holding the old runner
/// (a read waiting for a position waits up to 30 s) before it opens the
/// database again anyway (the open then retries briefly, and the loop
/// later).
pub const HOLDERS_GONE_WITHIN: Duration = Duration::from_secs(35);

/// The current read-model runner, shared by every holder of the gateway's
/// state; `None` while [`reopen`] replaces it.
#[derive(Clone)]
pub struct LiveViews {
    runner: Arc<RwLock<Option<Arc<TableRunner>>>>,
}

impl std::fmt::Debug for LiveViews {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LiveViews")
            .field("open", &self.current().is_some())
            .finish()
    }
}

impl LiveViews {
    pub fn new(runner: TableRunner) -> LiveViews {
        LiveViews::from(Arc::new(runner))
    }

    /// The runner now (`None`: being reopened). The clone keeps it alive:
    /// hold it for one request, not longer.
    pub fn current(&self) -> Option<Arc<TableRunner>> {
        self.runner
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    /// Takes the runner out (the views answer "reopening" until a runner
    /// is put back in).
    pub fn take(&self) -> Option<Arc<TableRunner>> {
        self.runner
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
            .take()
    }

    /// Puts a runner (back) in.
    pub(crate) fn put(&self, runner: Arc<TableRunner>) {
        *self
            .runner
            .write()
            .unwrap_or_else(|poison| poison.into_inner()) = Some(runner);
    }
}

impl From<Arc<TableRunner>> for LiveViews {
    fn from(runner: Arc<TableRunner>) -> LiveViews {
        LiveViews {
            runner: Arc::new(RwLock::new(Some(runner))),
        }
    }
}

/// Whether a projector of `runner` stopped because its tables could not
/// be written: what a reopening may cure (any other failure is the
/// projector's own, and a restart meets it again).
pub fn tables_failed(runner: &TableRunner) -> Option<String> {
    runner.status().into_iter().find_map(|status| {
        status
            .failed
            .filter(|failure| matches!(failure.cause, FailureCause::Tables { .. }))
            .map(|failure| format!("{}: {}", status.name, failure.reason))
    })
}

/// Reopens `views` with `start` whenever a projector stopped because its
/// tables could not be written, until `shutdown` says stop. A reopening
/// that fails (the runner does not start, or stops the same way again)
/// is tried again after a longer wait, up to [`LAST_RETRY`].
pub async fn reopen<F, S>(views: LiveViews, start: S, mut shutdown: watch::Receiver<bool>)
where
    S: Fn() -> F,
    F: Future<Output = Result<TableRunner, ReadModelError>>,
{
    let mut retry = FIRST_RETRY;
    let mut reopened_at: Option<tokio::time::Instant> = None;
    loop {
        let wait = match views.current() {
            Some(runner) => match tables_failed(&runner) {
                Some(reason) => {
                    tracing::warn!(%reason, retry_ms = retry.as_millis() as u64, "a read model could not write its tables; reopening them");
                    retry
                }
                None => {
                    if reopened_at.is_some_and(|at| at.elapsed() >= STABLE_AFTER) {
                        retry = FIRST_RETRY;
                        reopened_at = None;
                    }
                    CHECK_EVERY
                }
            },
            // Taken out by a reopening that did not finish.
            None => retry,
        };
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
                continue;
            }
            () = tokio::time::sleep(wait) => {}
        }
        let due = match views.current() {
            Some(runner) => tables_failed(&runner).is_some(),
            None => true,
        };
        if !due || *shutdown.borrow() {
            continue;
        }
        if let Some(old) = views.take() {
            if let Err(error) = old.stop().await {
                tracing::debug!(%error, "stopping the read models that failed");
            }
            // The database closes with the last handle: wait for requests
            // still reading from (or waiting on) the old runner.
            let deadline = tokio::time::Instant::now() + HOLDERS_GONE_WITHIN;
            while Arc::strong_count(&old) > 1
                && tokio::time::Instant::now() < deadline
                && !*shutdown.borrow()
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            drop(old);
        }
        if *shutdown.borrow() {
            return;
        }
        reopened_at = Some(tokio::time::Instant::now());
        match start().await {
            Ok(runner) => {
                tracing::info!("read models reopened; each resumes from its last commit");
                views.put(Arc::new(runner));
            }
            Err(error) => {
                tracing::warn!(%error, "reopening the read models failed; trying again");
            }
        }
        retry = (retry * 2).min(LAST_RETRY);
    }
}
