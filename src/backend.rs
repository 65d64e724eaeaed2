//! Which event log a command works on: the embedded sled log in a data
//! directory (the default), or a PostgreSQL log shared by several gateway
//! processes. `serve --store`, `copy --from/--to` and `bench store --store`
//! take the same `DIR_OR_URL`:
//!
//! - `postgres://...` or `postgresql://...`: a libpq-style URL; an extra
//!   query parameter `schema=NAME` puts the log in that schema (created if
//!   missing) instead of the connection's current schema, e.g.
//!   `postgres://postgres@127.0.0.1:5432/test?schema=sales_eu`;
//! - another URL (`SCHEME://...`, e.g. `mysql://...`): refused, rather
//!   than taken for a directory of that name;
//! - anything else: a data directory holding (or to hold) a sled log in
//!   `DIR/log`.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use anyhow::{bail, Context};
use salesledger_store::{PgStore, SledOptions, SledStore, Store};

/// A log's location, parsed from `DIR_OR_URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// The sled log in this data directory.
    Sled(PathBuf),
    /// A PostgreSQL log.
    Postgres {
        /// The connection URL without the `schema` parameter.
        url: String,
        schema: Option<String>,
    },
}

impl StoreChoice {
    /// Parses `DIR_OR_URL` (see the module documentation).
    pub fn parse(text: &str) -> anyhow::Result<StoreChoice> {
        if text.is_empty() {
            bail!(crate::t!("cli-store-location-empty"));
        }
        let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
        if !(lower.starts_with("postgres://") || lower.starts_with("postgresql://")) {
            if let Some((scheme, _)) = text.split_once("://") {
                let is_scheme = !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
                if is_scheme {
                    bail!(crate::t!("cli-store-unknown-scheme", scheme = scheme));
                }
            }
            return Ok(StoreChoice::Sled(PathBuf::from(text)));
        }
        // The scheme in lower case, as the driver reads it.
        let text = match text.split_once("://") {
            Some((scheme, rest)) => format!("{}://{rest}", scheme.to_ascii_lowercase()),
            None => text.to_owned(),
        };
        let text = text.as_str();
        let (base, query) = match text.split_once('?') {
            Some((base, query)) => (base, query),
            None => (text, ""),
        };
        let mut schema = None;
        let mut kept = Vec::new();
        for parameter in query.split('&').filter(|parameter| !parameter.is_empty()) {
            match parameter.strip_prefix("schema=") {
                Some(name) if !name.is_empty() => schema = Some(name.to_owned()),
                Some(_) => bail!(crate::t!("cli-store-schema-empty")),
                None => kept.push(parameter),
            }
        }
        let url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok(StoreChoice::Postgres { url, schema })
    }

    /// For messages: the directory, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            StoreChoice::Sled(dir) => dir.display().to_string(),
            StoreChoice::Postgres { url, schema } => {
                let shown = match (url.find("://"), url.find('@')) {
                    (Some(scheme_end), Some(at)) if at > scheme_end => {
                        let credentials = &url[scheme_end + 3..at];
                        match credentials.split_once(':') {
                            Some((user, _password)) => {
                                format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
                            }
                            None => url.clone(),
                        }
                    }
                    _ => url.clone(),
                };
                match schema {
                    Some(schema) => format!("{shown} (schema {schema})"),
                    None => shown,
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, StoreChoice::Postgres { .. })
    }
}

impl std::str::FromStr for StoreChoice {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<StoreChoice> {
        StoreChoice::parse(text)
    }
}

/// The concrete backend behind an [`OpenedStore`], for what only one of
/// them has (writer counters, the connection pool).
#[derive(Clone)]
pub enum Backend {
    Sled(SledStore),
    Postgres(PgStore),
}

/// An open log: the shared [`Store`] handle and what closes it.
#[derive(Clone)]
pub struct OpenedStore {
    shared: Arc<dyn Store>,
    backend: Backend,
}

impl OpenedStore {
    /// Opens (creating if needed) the log at `choice`. Within a runtime.
    pub async fn open(choice: &StoreChoice) -> anyhow::Result<OpenedStore> {
        Self::open_with(choice, SledOptions::default()).await
    }

    /// [`OpenedStore::open`] with the embedded log's options (its page
    /// cache: `serve --log-cache-mb`); a PostgreSQL log has none.
    pub async fn open_with(choice: &StoreChoice, sled: SledOptions) -> anyhow::Result<OpenedStore> {
        match choice {
            StoreChoice::Sled(dir) => {
                salesledger_store::private_fs::create_dir_all(dir)
                    .with_context(|| crate::t!("cli-store-creating", path = dir.display()))?;
                let store = SledStore::open_with(dir, sled)
                    .with_context(|| crate::t!("cli-store-opening-in", path = dir.display()))?;
                Ok(OpenedStore::from_backend(Backend::Sled(store)))
            }
            StoreChoice::Postgres { url, schema } => {
                let store = PgStore::connect(url, schema.as_deref())
                    .await
                    .with_context(|| {
                        crate::t!("cli-store-opening-at", location = choice.describe())
                    })?;
                Ok(OpenedStore::from_backend(Backend::Postgres(store)))
            }
        }
    }

    /// Opens an existing log: a sled directory must already hold `log/`
    /// (a PostgreSQL log is created by its migrations, empty).
    pub async fn open_existing(choice: &StoreChoice) -> anyhow::Result<OpenedStore> {
        if let StoreChoice::Sled(dir) = choice {
            require_sled_log(dir)?;
        }
        OpenedStore::open(choice).await
    }

    pub fn from_backend(backend: Backend) -> OpenedStore {
        let shared: Arc<dyn Store> = match &backend {
            Backend::Sled(store) => Arc::new(store.clone()),
            Backend::Postgres(store) => Arc::new(store.clone()),
        };
        OpenedStore { shared, backend }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.shared
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Group commits that wrote something, and records written, by this
    /// process's writer.
    pub fn writer_counters(&self) -> (u64, u64) {
        match &self.backend {
            Backend::Sled(store) => (
                store.stats().n_batches.load(Ordering::Relaxed),
                store.stats().n_records.load(Ordering::Relaxed),
            ),
            Backend::Postgres(store) => (
                store.stats().n_batches.load(Ordering::Relaxed),
                store.stats().n_records.load(Ordering::Relaxed),
            ),
        }
    }

    /// Stops accepting appends once the queued ones are answered (sled:
    /// the writer thread is joined).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sled(store) => store.close().await,
            Backend::Postgres(store) => store.close(),
        }
    }
}

/// Fails unless `dir` holds a sled log.
pub fn require_sled_log(dir: &Path) -> anyhow::Result<()> {
    if !dir.join("log").is_dir() {
        bail!(crate::t!("cli-no-log", dir = dir.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_and_urls() {
        assert_eq!(
            StoreChoice::parse("./data").expect("dir"),
            StoreChoice::Sled(PathBuf::from("./data"))
        );
        assert_eq!(
            StoreChoice::parse("postgres://u@h:5432/db?schema=s1&sslmode=disable").expect("url"),
            StoreChoice::Postgres {
                url: "postgres://u@h:5432/db?sslmode=disable".into(),
                schema: Some("s1".into())
            }
        );
        assert_eq!(
            StoreChoice::parse("postgresql://u@h/db").expect("url"),
            StoreChoice::Postgres {
                url: "postgresql://u@h/db".into(),
                schema: None
            }
        );
        assert!(StoreChoice::parse("postgres://h/db?schema=").is_err());
        // Another database's URL is not a directory of that name.
        assert!(StoreChoice::parse("mysql://x").is_err());
        // A scheme's case does not matter (RFC 3986).
        assert_eq!(
            StoreChoice::parse("Postgres://u@h/db").expect("a PostgreSQL URL"),
            StoreChoice::Postgres {
                url: "postgres://u@h/db".into(),
                schema: None
            }
        );
        assert!(StoreChoice::parse("sqlite:///tmp/log.db").is_err());
        assert_eq!(
            StoreChoice::parse("./data").expect("a directory"),
            StoreChoice::Sled(PathBuf::from("./data"))
        );
        let described = StoreChoice::parse("postgres://u:secret@h/db?schema=x")
            .expect("url")
            .describe();
        assert!(!described.contains("secret"), "{described}");
        assert!(described.contains("schema x"), "{described}");
    }
}
