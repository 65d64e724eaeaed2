//! The token file: bearer tokens, each bound to a name (the actor recorded
//! on the events its holder causes), a role, and for reps the rep they
//! are; stored as SHA-256 digests only.
//!
//! `DATA/tokens.json` (or `serve --tokens FILE`):
//!
//! ```json
//! {"version": 2, "tokens": [{"token_sha256": "<64 hex>", "actor": "li.wei",
//!   "role": "rep", "rep_id": "<uuid, for reps>", "region": "<for regional
//!   supervisors>", "created_at": "...", "expires_at": "...",
//!   "revoked_at": "...", "last_used_at": "..."}]}
//! ```
//!
//! Every field after `region` is optional, and so is `version`: a file
//! written by an older salesledger (no version, no dates) reads as is and
//! is rewritten in this form by the next change. Tokens are 256-bit random
//! values, so a fast hash is enough and a leaked file reveals no token.
//!
//! Every change (the CLI's `token create` / `token revoke`, the HTTP
//! routes, the gateway saving "last used" times) is a read-modify-write
//! under an exclusive lock on the sibling `tokens.json.lock` file, and
//! the new file replaces the old one by a rename, so a reader (a running
//! gateway re-reading it) sees either the old or the new file, never a
//! half-written one. The token file is not under sled's lock: the CLI
//! changes it while `serve` runs, and the gateway picks the change up
//! within a second. Files are created 0600 (docs/SECURITY.md).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use rand::RngCore;
use salesledger_domain::value::{ActorId, Region};
use salesledger_domain::Role;
use salesledger_store::Hash32;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

mod store;

pub use store::{Caller, Refusal, TokenStore, RELOAD_EVERY, SAVE_LAST_USED_EVERY};

/// The token file format this build writes (and the newest it reads).
pub const TOKEN_FILE_VERSION: u32 = 2;

/// Names that start with this are the system's own actors
/// (`system:init`, ...); no token may take one.
pub const RESERVED_NAME_PREFIX: &str = "system:";

/// The names the system's own actors record under a role (the day-close
/// scheduler, the reactions' process manager, the CLI's imports): no token
/// takes them.
pub const RESERVED_NAMES: [&str; 3] = [
    "import",
    "scheduler",
    salesledger_commands::reactions::PROCESS_MANAGER_ACTOR,
];

/// One token of the token file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    pub token_sha256: String,
    /// The token's name: the actor recorded on the events it causes.
    pub actor: String,
    pub role: Role,
    /// For rep tokens: the rep this actor is, so a rep can only act as
    /// themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rep_id: Option<Uuid>,
    /// For regional supervisors: the region (as reps are registered with)
    /// whose customers they read. Without one a regional supervisor reads
    /// every customer, as a supervisor does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// When it was created (absent in files from before version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// From this instant on the token is refused (401 `token_expired`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked; a revoked token is refused (401
    /// `token_revoked`) and its entry kept, so `token list` shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// The last request it authenticated, as of the gateway's last save.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
}

impl TokenEntry {
    /// An entry for `token` (stored as its digest) with no dates.
    pub fn new(token: &str, actor: &str, role: Role) -> TokenEntry {
        TokenEntry {
            token_sha256: Hash32::sha256(token.as_bytes()).to_hex(),
            actor: actor.to_owned(),
            role,
            rep_id: None,
            region: None,
            created_at: None,
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
        }
    }

    /// Whether the token is usable at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> TokenStatus {
        if self.revoked_at.is_some() {
            TokenStatus::Revoked
        } else if self.expires_at.is_some_and(|expires| expires <= now) {
            TokenStatus::Expired
        } else {
            TokenStatus::Active
        }
    }
}

/// The token file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenFile {
    /// [`TOKEN_FILE_VERSION`] once written by this build; absent in
    /// older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    pub tokens: Vec<TokenEntry>,
}

/// Whether a token is usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    Active,
    Expired,
    Revoked,
}

impl TokenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Active => "active",
            TokenStatus::Expired => "expired",
            TokenStatus::Revoked => "revoked",
        }
    }
}

/// A token as `token list` and `GET /v1/tokens` show it: never its
/// secret nor its digest.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenView {
    /// The actor recorded on the events its holder causes.
    pub name: String,
    /// `rep`, `supervisor`, ... (as in the role table).
    pub role: String,
    pub rep_id: Option<Uuid>,
    pub region: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub status: TokenStatus,
}

impl TokenView {
    pub fn of(entry: &TokenEntry, now: DateTime<Utc>) -> TokenView {
        TokenView {
            name: entry.actor.clone(),
            role: entry.role.as_str().to_owned(),
            rep_id: entry.rep_id,
            region: entry.region.clone(),
            created_at: entry.created_at,
            expires_at: entry.expires_at,
            revoked_at: entry.revoked_at,
            last_used_at: entry.last_used_at,
            status: entry.status(now),
        }
    }

    /// As [`TokenView::of`], with the use seen since the file was saved
    /// (`last_used`, by token digest) where it is the later.
    pub fn with_last_use(
        entry: &TokenEntry,
        now: DateTime<Utc>,
        last_used: &BTreeMap<String, DateTime<Utc>>,
    ) -> TokenView {
        let mut view = TokenView::of(entry, now);
        if let Some(used) = newer_use(entry, last_used) {
            view.last_used_at = Some(used);
        }
        view
    }
}

/// The use of `entry` seen since the file was saved (`last_used`, by
/// token digest), when it is later than the file's.
fn newer_use(
    entry: &TokenEntry,
    last_used: &BTreeMap<String, DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    let used = *last_used.get(&entry.token_sha256)?;
    entry
        .last_used_at
        .map_or(true, |saved| saved < used)
        .then_some(used)
}

/// What a new token is: the body of `POST /v1/tokens` (documented as
/// `CreateTokenRequest`) and what `salesledger token create` is given.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateTokenRequest)]
pub struct NewToken {
    /// The token's name: the actor recorded on the events its holder
    /// causes (1 to 64 printable characters; not `system:...`; unique
    /// among active tokens).
    pub name: String,
    /// `rep`, `supervisor`, `csm`, `finance`, `legal`, `cto`, `marketing`,
    /// `store_manager`, `regional_supervisor`, `auditor`, `analyst`,
    /// `integrator` or `witness` (audit checkpoints, consistency proofs and
    /// cosignatures only).
    pub role: String,
    /// Required for (and only for) `rep`: the rep the holder acts as.
    pub rep_id: Option<Uuid>,
    /// Only for `regional_supervisor`: the region their reads are limited to.
    pub region: Option<String>,
    /// When it stops working: a date (`2027-06-30`, from 00:00 UTC that
    /// day) or an RFC 3339 time; never when absent.
    pub expires: Option<String>,
}

/// Why a token file operation failed. The messages name values plainly.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid token file: {message}")]
    Parse { path: String, message: String },
    #[error(
        "{path} is token file version {version}, written by a newer salesledger; this one reads up to version {TOKEN_FILE_VERSION}"
    )]
    NewerVersion { path: String, version: u32 },
    #[error("invalid token {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("an active token is already named {0}; revoke it first or choose another name")]
    NameTaken(String),
    #[error("no token is named {0}")]
    NotFound(String),
}

impl TokenFileError {
    /// This error for a person at the CLI, in the CLI's language (the
    /// gateway answers its own problem details instead). An invalid
    /// field's own explanation stays as the check wrote it.
    pub fn localized(&self) -> String {
        match self {
            TokenFileError::Io { what, path, source } => {
                let what = match *what {
                    "creating the directory of" => crate::t!("cli-tokens-io-create-dir"),
                    "opening" => crate::t!("cli-tokens-io-open"),
                    "locking" => crate::t!("cli-tokens-io-lock"),
                    "reading" => crate::t!("cli-tokens-io-read"),
                    "creating" => crate::t!("cli-tokens-io-create"),
                    "writing" => crate::t!("cli-tokens-io-write"),
                    "syncing" => crate::t!("cli-tokens-io-sync"),
                    "restricting" => crate::t!("cli-tokens-io-restrict"),
                    "replacing" => crate::t!("cli-tokens-io-replace"),
                    other => other.to_owned(),
                };
                crate::t!("cli-tokens-io", what = what, path = path, source = source)
            }
            TokenFileError::Parse { path, message } => {
                crate::t!("cli-tokens-parse", path = path, message = message)
            }
            TokenFileError::NewerVersion { path, version } => crate::t!(
                "cli-tokens-newer-version",
                path = path,
                version = version,
                supported = TOKEN_FILE_VERSION
            ),
            TokenFileError::Invalid { field, message } => {
                crate::t!("cli-tokens-invalid", field = field, message = message)
            }
            TokenFileError::NameTaken(name) => crate::t!("cli-tokens-name-taken", name = name),
            TokenFileError::NotFound(name) => crate::t!("cli-tokens-not-found", name = name),
        }
    }

    fn invalid(field: &'static str, message: impl Into<String>) -> TokenFileError {
        TokenFileError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// A new random token: `sl_` and 64 hex digits.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("sl_{}", hex::encode(bytes))
}

/// `path` with `suffix` added to its file name (`tokens.json.lock`).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|name| name.to_os_string())
        .unwrap_or_else(|| "tokens.json".into());
    name.push(suffix);
    path.with_file_name(name)
}

fn io<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> TokenFileError + 'a {
    move |source| TokenFileError::Io {
        what,
        path: path.display().to_string(),
        source,
    }
}

/// An exclusive lock on the token file (its `.lock` sibling), released
/// when dropped. Held around every read-modify-write, by the CLI and the
/// gateway alike (an advisory `flock`; nothing else takes it).
pub struct TokenFileLock {
    _file: std::fs::File,
}

pub fn lock(path: &Path) -> Result<TokenFileLock, TokenFileError> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        salesledger_store::private_fs::create_dir_all(parent)
            .map_err(io("creating the directory of", path))?;
    }
    let lock_path = sibling(path, ".lock");
    let file = salesledger_store::private_fs::open_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(io("opening", &lock_path))?;
    #[cfg(unix)]
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|errno| io("locking", &lock_path)(std::io::Error::from(errno)))?;
    Ok(TokenFileLock { _file: file })
}

/// Parses the token file's bytes.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<TokenFile, TokenFileError> {
    let file: TokenFile = serde_json::from_slice(bytes).map_err(|error| TokenFileError::Parse {
        path: path.display().to_string(),
        message: error.to_string(),
    })?;
    match file.version {
        Some(version) if version > TOKEN_FILE_VERSION => Err(TokenFileError::NewerVersion {
            path: path.display().to_string(),
            version,
        }),
        _ => Ok(file),
    }
}

/// Reads the token file; a missing file is an empty one.
pub fn read(path: &Path) -> Result<TokenFile, TokenFileError> {
    match std::fs::read(path) {
        Ok(bytes) => parse(path, &bytes),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(TokenFile::default()),
        Err(error) => Err(io("reading", path)(error)),
    }
}

/// Writes the token file (in the current format) through a 0600
/// temporary file renamed over it. Callers hold the [`lock`].
pub fn write(path: &Path, file: &TokenFile) -> Result<(), TokenFileError> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        salesledger_store::private_fs::create_dir_all(parent)
            .map_err(io("creating the directory of", path))?;
    }
    let mut current = file.clone();
    current.version = Some(TOKEN_FILE_VERSION);
    let bytes = serde_json::to_vec_pretty(&current).map_err(|error| TokenFileError::Parse {
        path: path.display().to_string(),
        message: error.to_string(),
    })?;
    let temp = sibling(path, ".tmp");
    // Created 0600, so the file is never readable by others, even briefly.
    let mut out = salesledger_store::private_fs::open_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temp)
        .map_err(io("creating", &temp))?;
    out.write_all(&bytes).map_err(io("writing", &temp))?;
    out.sync_all().map_err(io("syncing", &temp))?;
    drop(out);
    restrict_permissions(&temp).map_err(io("restricting", &temp))?;
    std::fs::rename(&temp, path).map_err(io("replacing", path))?;
    Ok(())
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Reads, changes and writes the token file under its lock. Nothing is
/// written when `change` fails.
pub fn update<T>(
    path: &Path,
    change: impl FnOnce(&mut TokenFile) -> Result<T, TokenFileError>,
) -> Result<T, TokenFileError> {
    let _lock = lock(path)?;
    let mut file = read(path)?;
    let answer = change(&mut file)?;
    write(path, &file)?;
    Ok(answer)
}

/// Parses a role name, listing the roles when it is none.
pub fn parse_role(raw: &str) -> Result<Role, TokenFileError> {
    Role::parse(raw.trim()).ok_or_else(|| {
        let names: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
        TokenFileError::invalid(
            "role",
            format!("{raw} is not a role; one of {}", names.join(", ")),
        )
    })
}

/// `2027-06-30` (00:00 UTC that day) or an RFC 3339 instant.
pub fn parse_expiry(raw: &str) -> Result<DateTime<Utc>, TokenFileError> {
    let raw = raw.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(raw) {
        return Ok(instant.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc())
        .ok_or_else(|| {
            TokenFileError::invalid(
                "expiry",
                format!("{raw} is neither a date (YYYY-MM-DD) nor an RFC 3339 time"),
            )
        })
}

/// Checks a new token's fields into an entry (without its digest).
fn new_entry(new: &NewToken, now: DateTime<Utc>) -> Result<TokenEntry, TokenFileError> {
    let name = ActorId::parse(&new.name)
        .map_err(|_| TokenFileError::invalid("name", "1 to 64 printable characters"))?
        .to_string();
    if name.starts_with(RESERVED_NAME_PREFIX) || RESERVED_NAMES.contains(&name.as_str()) {
        return Err(TokenFileError::invalid(
            "name",
            format!(
                "names starting with {RESERVED_NAME_PREFIX}, and {}, are the system's own actors",
                RESERVED_NAMES.join(", ")
            ),
        ));
    }
    if name.contains('|') {
        // The stored form of a client's idempotency key is `role:name|key`:
        // a name with `|` could meet another caller's key.
        return Err(TokenFileError::invalid("name", "a name holds no `|`"));
    }
    let role = parse_role(&new.role)?;
    match (role, new.rep_id) {
        (Role::Rep, None) => {
            return Err(TokenFileError::invalid(
                "rep id",
                "a rep token names the rep it acts as (--rep-id / rep_id)",
            ))
        }
        (Role::Rep, Some(_)) | (_, None) => {}
        (other, Some(_)) => {
            return Err(TokenFileError::invalid(
                "rep id",
                format!("only rep tokens name a rep, not {} tokens", other.as_str()),
            ))
        }
    }
    let region = match (&new.region, role) {
        (None, _) => None,
        (Some(raw), Role::RegionalSupervisor) => Some(
            Region::parse(raw)
                .map_err(|_| TokenFileError::invalid("region", format!("{raw} is not a region")))?
                .to_string(),
        ),
        (Some(_), other) => {
            return Err(TokenFileError::invalid(
                "region",
                format!(
                    "only regional_supervisor tokens name a region, not {} tokens",
                    other.as_str()
                ),
            ))
        }
    };
    let expires_at = new.expires.as_deref().map(parse_expiry).transpose()?;
    if let Some(expires) = expires_at.filter(|expires| *expires <= now) {
        return Err(TokenFileError::invalid(
            "expiry",
            format!("{} is not in the future", expires.to_rfc3339()),
        ));
    }
    let mut entry = TokenEntry::new("", &name, role);
    entry.rep_id = new.rep_id;
    entry.region = region;
    entry.created_at = Some(now);
    entry.expires_at = expires_at;
    Ok(entry)
}

/// Adds a new token to the file at `path` and returns its secret (shown
/// once; only its digest is stored) and its entry. An active token of the
/// same name is refused; revoked or expired ones of that name stay listed
/// beside the new one.
pub fn create(
    path: &Path,
    new: &NewToken,
    now: DateTime<Utc>,
) -> Result<(String, TokenEntry), TokenFileError> {
    let mut entry = new_entry(new, now)?;
    let token = generate_token();
    entry.token_sha256 = Hash32::sha256(token.as_bytes()).to_hex();
    update(path, |file| {
        if file.tokens.iter().any(|existing| {
            existing.actor == entry.actor && existing.status(now) == TokenStatus::Active
        }) {
            return Err(TokenFileError::NameTaken(entry.actor.clone()));
        }
        // Revoked and expired tokens of that name stay (listed, and
        // refused with their own codes).
        file.tokens.push(entry.clone());
        Ok(())
    })?;
    Ok((token, entry))
}

/// Revokes every token named `name` (already revoked ones keep their
/// time); [`TokenFileError::NotFound`] when none is. Returns how many were
/// revoked now.
pub fn revoke(path: &Path, name: &str, now: DateTime<Utc>) -> Result<usize, TokenFileError> {
    let name = name.trim();
    update(path, |file| {
        let mut found = false;
        let mut n_revoked = 0;
        for entry in file.tokens.iter_mut().filter(|entry| entry.actor == name) {
            found = true;
            if entry.revoked_at.is_none() {
                entry.revoked_at = Some(now);
                n_revoked += 1;
            }
        }
        if found {
            Ok(n_revoked)
        } else {
            Err(TokenFileError::NotFound(name.to_owned()))
        }
    })
}

/// Saves "last used" times (token digest in hex to time) into the file,
/// keeping the later of the file's and the given time. Writes nothing
/// when no time is newer.
pub fn save_last_used(
    path: &Path,
    last_used: &BTreeMap<String, DateTime<Utc>>,
) -> Result<(), TokenFileError> {
    if last_used.is_empty() {
        return Ok(());
    }
    let _lock = lock(path)?;
    let mut file = read(path)?;
    let mut changed = false;
    for entry in &mut file.tokens {
        if let Some(used) = newer_use(entry, last_used) {
            entry.last_used_at = Some(used);
            changed = true;
        }
    }
    if changed {
        write(path, &file)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2027-03-16T02:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    fn rep(name: &str) -> NewToken {
        NewToken {
            name: name.into(),
            role: "rep".into(),
            rep_id: Some(Uuid::from_u128(7)),
            region: None,
            expires: None,
        }
    }

    #[test]
    fn an_old_file_reads_and_is_rewritten_in_the_current_format() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("tokens.json");
        let digest = Hash32::sha256(b"sl_old").to_hex();
        std::fs::write(
            &path,
            format!(r#"{{"tokens":[{{"token_sha256":"{digest}","actor":"admin","role":"supervisor"}}]}}"#),
        )
        .expect("write");
        let (_, _) = create(&path, &rep("li.wei"), now()).expect("create");
        let file = read(&path).expect("read");
        assert_eq!(file.version, Some(TOKEN_FILE_VERSION));
        assert_eq!(file.tokens.len(), 2);
        assert_eq!(file.tokens[0].token_sha256, digest);
        assert_eq!(file.tokens[0].created_at, None);
        assert_eq!(file.tokens[1].created_at, Some(now()));
    }

    #[test]
    fn the_secret_is_not_stored_and_names_are_unique_among_active_tokens() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("tokens.json");
        let (token, entry) = create(&path, &rep("li.wei"), now()).expect("create");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(!text.contains(&token));
        assert!(text.contains(&entry.token_sha256));
        assert!(matches!(
            create(&path, &rep("li.wei"), now()),
            Err(TokenFileError::NameTaken(name)) if name == "li.wei"
        ));
        assert_eq!(revoke(&path, "li.wei", now()).expect("revoke"), 1);
        assert_eq!(
            read(&path).expect("read").tokens[0].status(now()),
            TokenStatus::Revoked
        );
        // A revoked name may be given to a new token.
        create(&path, &rep("li.wei"), now()).expect("create again");
        assert!(matches!(
            revoke(&path, "nobody", now()),
            Err(TokenFileError::NotFound(_))
        ));
    }

    #[test]
    fn invalid_fields_are_refused_plainly() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("tokens.json");
        let mut no_rep = rep("x");
        no_rep.rep_id = None;
        let mut bad_role = rep("x");
        bad_role.role = "boss".into();
        let mut past = rep("x");
        past.expires = Some("2020-01-01".into());
        let mut region_on_rep = rep("x");
        region_on_rep.region = Some("华东".into());
        let mut system = rep("system:init");
        system.role = "supervisor".into();
        system.rep_id = None;
        for (new, expected) in [
            (no_rep, "rep token names the rep"),
            (bad_role, "boss is not a role; one of rep, supervisor"),
            (past, "2020-01-01T00:00:00+00:00 is not in the future"),
            (
                region_on_rep,
                "only regional_supervisor tokens name a region",
            ),
            (system, "system's own actors"),
        ] {
            let error = create(&path, &new, now()).expect_err("refused").to_string();
            assert!(error.contains(expected), "{error}");
        }
        assert!(!path.exists(), "nothing written");
    }

    #[test]
    fn expiry_dates_and_times() {
        assert_eq!(
            parse_expiry("2027-06-30").expect("date").to_rfc3339(),
            "2027-06-30T00:00:00+00:00"
        );
        assert_eq!(
            parse_expiry("2027-06-30T08:00:00+08:00")
                .expect("time")
                .to_rfc3339(),
            "2027-06-30T00:00:00+00:00"
        );
        assert!(parse_expiry("next week").is_err());
    }

    #[test]
    fn last_used_keeps_the_latest_time() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("tokens.json");
        let (_, entry) = create(&path, &rep("li.wei"), now()).expect("create");
        let later = now() + chrono::Duration::minutes(5);
        let mut used = BTreeMap::new();
        used.insert(entry.token_sha256.clone(), later);
        save_last_used(&path, &used).expect("save");
        used.insert(entry.token_sha256.clone(), now());
        save_last_used(&path, &used).expect("save");
        assert_eq!(
            read(&path).expect("read").tokens[0].last_used_at,
            Some(later)
        );
    }
}
