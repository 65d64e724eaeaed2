//! Bearer tokens, each bound to an actor and a role, stored hashed.
//!
//! The token file (`DATA_DIR/tokens.json` unless `--tokens FILE`) holds
//! `{"tokens": [{"token_sha256": "<hex>", "actor": "li.wei", "role": "rep",
//! "rep_id": "<uuid, for reps>"}]}`. Only SHA-256 digests are stored:
//! tokens are 256-bit random values, so a fast hash is enough and a leaked
//! file reveals no token. With no file, the first start creates one
//! supervisor token named `admin`, prints it once and keeps only its hash.
//!
//! Authentication runs as middleware on every `/v1/` route, before any body
//! is read: a request without a valid token gets 401 whatever its body.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use salesledger_commands::Principal;
use salesledger_domain::value::{ActorId, RepId};
use salesledger_domain::Role;
use salesledger_store::Hash32;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::problem::ApiError;

/// One line of the token file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    pub token_sha256: String,
    pub actor: String,
    pub role: Role,
    /// For rep tokens: the rep this actor is, so a rep can only act as
    /// themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rep_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenFile {
    pub tokens: Vec<TokenEntry>,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub rep_id: Option<RepId>,
}

/// Token digests to callers.
#[derive(Debug, Default)]
pub struct TokenStore {
    by_digest: HashMap<Hash32, Caller>,
}

/// A new random token: `sl_` and 64 hex digits.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("sl_{}", hex::encode(bytes))
}

impl TokenStore {
    pub fn from_file(file: &TokenFile) -> anyhow::Result<TokenStore> {
        let mut by_digest = HashMap::new();
        for entry in &file.tokens {
            let digest = Hash32::parse_hex(&entry.token_sha256).with_context(|| {
                format!(
                    "token of {}: token_sha256 is not 64 hex digits",
                    entry.actor
                )
            })?;
            let actor = ActorId::parse(&entry.actor)
                .with_context(|| format!("token actor {:?}", entry.actor))?;
            let caller = Caller {
                principal: Principal {
                    actor,
                    role: entry.role,
                },
                rep_id: entry.rep_id.map(RepId::from_uuid),
            };
            by_digest.insert(digest, caller);
        }
        Ok(TokenStore { by_digest })
    }

    /// Loads the token file, creating it with one admin token (printed
    /// once on stdout) when it does not exist.
    pub fn load_or_create(path: &Path) -> anyhow::Result<TokenStore> {
        if !path.exists() {
            let token = generate_token();
            let file = TokenFile {
                tokens: vec![TokenEntry {
                    token_sha256: Hash32::sha256(token.as_bytes()).to_hex(),
                    actor: "admin".into(),
                    role: Role::Supervisor,
                    rep_id: None,
                }],
            };
            write_token_file(path, &file)?;
            println!(
                "created {} with one admin token (supervisor role); it is shown only now:",
                path.display()
            );
            println!("  admin token: {token}");
        }
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: TokenFile =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        TokenStore::from_file(&file)
    }

    /// Adds `entries` (replacing entries of the same actor) to the file.
    pub fn add_to_file(path: &Path, entries: Vec<TokenEntry>) -> anyhow::Result<()> {
        let mut file: TokenFile = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", path.display()))?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => TokenFile::default(),
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        };
        file.tokens
            .retain(|existing| !entries.iter().any(|entry| entry.actor == existing.actor));
        file.tokens.extend(entries);
        write_token_file(path, &file)
    }

    pub fn authenticate(&self, token: &str) -> Option<&Caller> {
        self.by_digest.get(&Hash32::sha256(token.as_bytes()))
    }
}

fn write_token_file(path: &Path, file: &TokenFile) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        salesledger_store::private_fs::create_dir_all(parent)?;
    }
    let temp = path.with_extension("json.tmp");
    // Created 0600, so the file is never readable by others, even briefly.
    std::io::Write::write_all(
        &mut salesledger_store::private_fs::open_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)?,
        &serde_json::to_vec_pretty(file)?,
    )?;
    restrict_permissions(&temp)?;
    std::fs::rename(&temp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Middleware: resolves the bearer token into a [`Caller`] request
/// extension, or answers 401 before the body is touched.
pub async fn require_token(
    State(tokens): State<Arc<TokenStore>>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| tokens.authenticate(token.trim()))
        .cloned();
    match caller {
        Some(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        None => ApiError::unauthorized().into_response(),
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(ApiError::unauthorized)
    }
}
