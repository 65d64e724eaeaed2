//! Webhook signing secrets at rest.
//!
//! A subscription's `whsec_` secret signs every delivery (HMAC-SHA256), so
//! the server must be able to recover it: it is stored encrypted with
//! XChaCha20-Poly1305 (an AEAD) under a 256-bit key kept in its own file,
//! `DATA/keys/webhooks.key` (64 hex digits, mode 0600, created on first use
//! from the OS's random source). Each secret gets a fresh random 192-bit
//! nonce, and the subscription's id is the associated data, so a sealed
//! secret copied onto another subscription does not open.
//!
//! The key file is the only copy of the key. When it is missing while the
//! webhook database holds secrets sealed under a key, or when it does not
//! open them, opening fails with a clear error rather than creating a new
//! key that would make every existing secret unusable: restore the file
//! from the backup of the data directory.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;

/// The key's directory under the data directory.
pub const KEY_DIR: &str = "keys";
/// The key file in [`KEY_DIR`].
pub const KEY_FILE: &str = "webhooks.key";

/// Prefix of a sealed secret: the format version.
const SEALED_PREFIX: &str = "xc20p1:";
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;

/// Why a key file or a sealed secret could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    #[error("webhook key file {path}: {reason}")]
    KeyFile { path: PathBuf, reason: String },
    #[error(
        "the webhook key file {path} is missing, but the webhook database holds secrets \
         encrypted under a key: restore the key file from a backup of the data directory \
         (a new key would make every existing webhook secret unusable)"
    )]
    MissingKey { path: PathBuf },
    #[error(
        "the webhook key file {path} does not decrypt the secrets in the webhook database \
         (a different key): restore the right key file from a backup of the data directory"
    )]
    WrongKey { path: PathBuf },
    #[error("a sealed webhook secret is malformed: {0}")]
    Malformed(String),
    #[error("no randomness from the operating system: {0}")]
    Random(String),
    #[error("encrypting a webhook secret failed")]
    Seal,
}

/// The webhook key: seals and opens secrets.
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    path: PathBuf,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        write!(formatter, "SecretBox({})", self.path.display())
    }
}

impl SecretBox {
    /// The key file's path for `data_dir`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(KEY_DIR).join(KEY_FILE)
    }

    /// Loads the key file of `data_dir`; `None` when there is none.
    pub fn load(data_dir: &Path) -> Result<Option<SecretBox>, SecretError> {
        let path = Self::path(data_dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(SecretError::KeyFile {
                    path,
                    reason: error.to_string(),
                })
            }
        };
        let key = hex::decode(text.trim())
            .ok()
            .filter(|key| key.len() == KEY_LEN)
            .ok_or_else(|| SecretError::KeyFile {
                path: path.clone(),
                reason: format!("expected {} hex digits", KEY_LEN * 2),
            })?;
        let cipher = XChaCha20Poly1305::new_from_slice(&key).map_err(|_| SecretError::KeyFile {
            path: path.clone(),
            reason: "not a 256-bit key".to_owned(),
        })?;
        Ok(Some(SecretBox { cipher, path }))
    }

    /// Generates a key and writes it to a new key file of `data_dir`
    /// (mode 0600 from the start, synced); fails if the file exists.
    pub fn create(data_dir: &Path) -> Result<SecretBox, SecretError> {
        let path = Self::path(data_dir);
        let io_error = |error: std::io::Error| SecretError::KeyFile {
            path: path.clone(),
            reason: error.to_string(),
        };
        let mut key = [0u8; KEY_LEN];
        rand::rngs::OsRng
            .try_fill_bytes(&mut key)
            .map_err(|error| SecretError::Random(error.to_string()))?;
        let dir = data_dir.join(KEY_DIR);
        salesledger_store::private_fs::create_dir_all(&dir).map_err(io_error)?;
        let mut file = salesledger_store::private_fs::open_options()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_error)?;
        file.write_all(format!("{}\n", hex::encode(key)).as_bytes())
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::File::open(&dir)?.sync_all())
            // The key directory's own entry too, when it was just made.
            .and_then(|()| std::fs::File::open(data_dir)?.sync_all())
            .map_err(io_error)?;
        let cipher = XChaCha20Poly1305::new_from_slice(&key).map_err(|_| SecretError::Seal)?;
        tracing::info!(path = %path.display(), "created the webhook secrets key");
        Ok(SecretBox { cipher, path })
    }

    /// The key file this box was loaded from.
    pub fn key_path(&self) -> &Path {
        &self.path
    }

    /// `secret` encrypted under a fresh nonce, bound to `associated`
    /// (the subscription's id): `xc20p1:<hex nonce><hex ciphertext+tag>`.
    pub fn seal(&self, associated: &[u8], secret: &[u8]) -> Result<String, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|error| SecretError::Random(error.to_string()))?;
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: associated,
                },
            )
            .map_err(|_| SecretError::Seal)?;
        Ok(format!(
            "{SEALED_PREFIX}{}{}",
            hex::encode(nonce),
            hex::encode(sealed)
        ))
    }

    /// The secret sealed by [`SecretBox::seal`] with the same `associated`
    /// data; [`SecretError::WrongKey`] when it does not authenticate.
    pub fn open(&self, associated: &[u8], sealed: &str) -> Result<Vec<u8>, SecretError> {
        let bytes = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or_else(|| SecretError::Malformed(format!("no {SEALED_PREFIX} prefix")))
            .and_then(|hex_text| {
                hex::decode(hex_text).map_err(|error| SecretError::Malformed(error.to_string()))
            })?;
        if bytes.len() < NONCE_LEN {
            return Err(SecretError::Malformed("shorter than its nonce".to_owned()));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: associated,
                },
            )
            .map_err(|_| SecretError::WrongKey {
                path: self.path.clone(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_its_subscription_id() {
        let data = tempfile::tempdir().expect("tempdir");
        assert!(SecretBox::load(data.path()).expect("load").is_none());
        let secrets = SecretBox::create(data.path()).expect("create");
        let sealed = secrets.seal(b"hook-1", b"whsec_abc").expect("seal");
        assert!(!sealed.contains("whsec_abc"));
        assert_ne!(sealed, secrets.seal(b"hook-1", b"whsec_abc").expect("seal"));
        assert_eq!(
            secrets.open(b"hook-1", &sealed).expect("open"),
            b"whsec_abc"
        );
        assert!(matches!(
            secrets.open(b"hook-2", &sealed),
            Err(SecretError::WrongKey { .. })
        ));

        let reloaded = SecretBox::load(data.path()).expect("load").expect("key");
        assert_eq!(
            reloaded.open(b"hook-1", &sealed).expect("open"),
            b"whsec_abc"
        );
        assert!(matches!(
            SecretBox::create(data.path()),
            Err(SecretError::KeyFile { .. })
        ));

        let other = tempfile::tempdir().expect("tempdir");
        let other_key = SecretBox::create(other.path()).expect("create");
        assert!(matches!(
            other_key.open(b"hook-1", &sealed),
            Err(SecretError::WrongKey { .. })
        ));

        std::fs::write(SecretBox::path(other.path()), "not hex\n").expect("write");
        assert!(matches!(
            SecretBox::load(other.path()),
            Err(SecretError::KeyFile { .. })
        ));
    }
}
