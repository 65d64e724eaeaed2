//! Signed checkpoints in the C2SP formats, so existing transparency-log
//! tooling and witnesses can read and check them.
//!
//! - The body is a `tlog-checkpoint` (c2sp.org/tlog-checkpoint): the origin
//!   line, the tree size in decimal, the base64 RFC 9162 root hash, each
//!   ending in a newline; no extension lines.
//! - It is signed as a `signed-note` (c2sp.org/signed-note) with Ed25519
//!   (signature type `0x01`): the note text, a blank line, then
//!   `— <key name> base64(key id || signature)` per signature, where
//!   `key id = SHA-256(key name || 0x0A || 0x01 || public key)[:4]`.
//! - A verifier key is written `<name>+<key id, 8 hex digits>+base64(0x01 ||
//!   public key)`, the form the Go `note` package and witnesses read.
//!
//! This module is pure: no clock, no randomness (keys come from 32-byte
//! seeds the caller draws), no I/O.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signed-note signature type of Ed25519.
const ED25519_TYPE: u8 = 0x01;
/// The em dash that starts every signature line.
pub(crate) const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// What can be wrong with a checkpoint, a note or a key.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CheckpointError {
    #[error("malformed note: {0}")]
    MalformedNote(Flaw),
    #[error("malformed checkpoint body: {0}")]
    MalformedCheckpoint(Flaw),
    #[error("malformed verifier key: {0}")]
    MalformedKey(Flaw),
    #[error("no signature by key {name} ({key_id:08x})")]
    NotSigned { name: String, key_id: u32 },
    #[error("the signature by {name} does not verify")]
    BadSignature { name: String },
}

/// What is wrong with a note, a checkpoint body or a key: one variant per
/// rule of the C2SP formats, so that a person can be told in their
/// language (the English `Display` is the words errors printed before).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Flaw {
    #[error("no final newline")]
    NoFinalNewline,
    #[error("expected exactly origin, tree size and root hash lines")]
    NotThreeLines,
    #[error("origin is empty or contains spaces or '+'")]
    BadOrigin,
    #[error("tree size is not a decimal without leading zeroes")]
    BadTreeSize,
    #[error("tree size out of range")]
    TreeSizeOutOfRange,
    #[error("root hash is not base64")]
    RootNotBase64,
    #[error("root hash is not 32 bytes")]
    RootNot32Bytes,
    #[error("root hash is not canonical base64")]
    RootNotCanonical,
    #[error("expected name+keyid+key")]
    NotNameKeyIdKey,
    #[error("key is not base64")]
    KeyNotBase64,
    #[error("not an Ed25519 (type 0x01) key")]
    NotEd25519Key,
    #[error("not a witness (cosignature/v1, type 0x04) key")]
    NotWitnessKey,
    #[error("Ed25519 keys are 32 bytes")]
    KeyNot32Bytes,
    #[error("not a valid Ed25519 point")]
    NotEd25519Point,
    #[error("key id does not match the key")]
    KeyIdMismatch,
    #[error("signature line")]
    SignatureLine,
    #[error("signature is not base64")]
    SignatureNotBase64,
    #[error("signature too short")]
    SignatureTooShort,
    #[error("control characters")]
    ControlCharacters,
    #[error("no blank line before the signatures")]
    NoBlankLine,
    #[error("no signature lines")]
    NoSignatureLines,
    #[error("key names are non-empty, without spaces or '+'")]
    BadKeyName,
    #[error("text must end in a newline and hold no control characters")]
    BadText,
    #[error("a witness key starts with PRIVATE+KEY+")]
    NotPrivateWitnessKey,
    #[error("expected PRIVATE+KEY+name+keyid+key")]
    NotPrivateKeyParts,
    #[error("not a cosignature/v1 (type 0x04) key")]
    NotCosignatureKey,
    #[error("the seed is not 32 bytes")]
    SeedNot32Bytes,
    #[error("timestamp beyond 2^63 - 1")]
    TimestampOutOfRange,
}

impl Flaw {
    /// Every flaw, for catalogue tests.
    pub const ALL: &'static [Flaw] = &[
        Flaw::NoFinalNewline,
        Flaw::NotThreeLines,
        Flaw::BadOrigin,
        Flaw::BadTreeSize,
        Flaw::TreeSizeOutOfRange,
        Flaw::RootNotBase64,
        Flaw::RootNot32Bytes,
        Flaw::RootNotCanonical,
        Flaw::NotNameKeyIdKey,
        Flaw::KeyNotBase64,
        Flaw::NotEd25519Key,
        Flaw::NotWitnessKey,
        Flaw::KeyNot32Bytes,
        Flaw::NotEd25519Point,
        Flaw::KeyIdMismatch,
        Flaw::SignatureLine,
        Flaw::SignatureNotBase64,
        Flaw::SignatureTooShort,
        Flaw::ControlCharacters,
        Flaw::NoBlankLine,
        Flaw::NoSignatureLines,
        Flaw::BadKeyName,
        Flaw::BadText,
        Flaw::NotPrivateWitnessKey,
        Flaw::NotPrivateKeyParts,
        Flaw::NotCosignatureKey,
        Flaw::SeedNot32Bytes,
        Flaw::TimestampOutOfRange,
    ];
}

/// A log's tree head: what a checkpoint commits to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub tree_size: u64,
    pub root_hash: [u8; 32],
}

impl Checkpoint {
    /// The note text: three lines, each ending in a newline.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.tree_size,
            BASE64.encode(self.root_hash)
        )
    }

    /// Parses a note text (the signed body), refusing anything a strict
    /// reader would: empty or spaced origins, leading zeroes, bad base64,
    /// extension lines (this log writes none).
    pub fn parse_body(text: &str) -> Result<Checkpoint, CheckpointError> {
        let malformed = CheckpointError::MalformedCheckpoint;
        let lines: Vec<&str> = text
            .strip_suffix('\n')
            .ok_or(malformed(Flaw::NoFinalNewline))?
            .split('\n')
            .collect();
        let [origin, size, root] = lines.as_slice() else {
            return Err(malformed(Flaw::NotThreeLines));
        };
        if origin.is_empty()
            || origin
                .chars()
                .any(|character| character.is_whitespace() || character == '+')
        {
            return Err(malformed(Flaw::BadOrigin));
        }
        if size.is_empty()
            || (size.len() > 1 && size.starts_with('0'))
            || !size.bytes().all(|byte| byte.is_ascii_digit())
        {
            return Err(malformed(Flaw::BadTreeSize));
        }
        let tree_size = size
            .parse()
            .map_err(|_| malformed(Flaw::TreeSizeOutOfRange))?;
        let root_bytes = BASE64
            .decode(root)
            .map_err(|_| malformed(Flaw::RootNotBase64))?;
        let root_hash: [u8; 32] = root_bytes
            .try_into()
            .map_err(|_| malformed(Flaw::RootNot32Bytes))?;
        if BASE64.encode(root_hash) != *root {
            return Err(malformed(Flaw::RootNotCanonical));
        }
        Ok(Checkpoint {
            origin: (*origin).to_owned(),
            tree_size,
            root_hash,
        })
    }
}

/// The key id of an Ed25519 note key.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    typed_key_id(name, ED25519_TYPE, public_key)
}

/// `SHA-256(name || 0x0A || signature type || public key)[:4]`, the
/// signed-note key id of a key of any signature type.
pub(crate) fn typed_key_id(name: &str, signature_type: u8, public_key: &[u8; 32]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', signature_type]);
    hasher.update(public_key);
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Signs notes under a key name.
pub struct NoteSigner {
    name: String,
    key: SigningKey,
}

impl NoteSigner {
    /// A signer from a 32-byte Ed25519 seed (RFC 8032 private key).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<NoteSigner, CheckpointError> {
        validate_key_name(name)?;
        Ok(NoteSigner {
            name: name.to_owned(),
            key: SigningKey::from_bytes(seed),
        })
    }

    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
        }
    }

    /// The signed note: the text, a blank line, one signature line.
    pub fn sign(&self, text: &str) -> Result<String, CheckpointError> {
        validate_text(text)?;
        let signature = self.key.sign(text.as_bytes());
        let mut blob = key_id(&self.name, self.key.verifying_key().as_bytes())
            .to_be_bytes()
            .to_vec();
        blob.extend_from_slice(&signature.to_bytes());
        Ok(format!(
            "{text}\n{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            BASE64.encode(blob)
        ))
    }
}

/// Checks notes signed by one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key: VerifyingKey,
}

impl NoteVerifier {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        key_id(&self.name, self.key.as_bytes())
    }

    /// The raw 32-byte Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// `<name>+<key id hex>+base64(0x01 || public key)`.
    pub fn to_vkey(&self) -> String {
        format_vkey(&self.name, ED25519_TYPE, &self.key)
    }

    /// Parses a verifier key, checking its key id against its key.
    pub fn parse_vkey(vkey: &str) -> Result<NoteVerifier, CheckpointError> {
        let (name, key) = parse_typed_vkey(vkey, ED25519_TYPE, Flaw::NotEd25519Key)?;
        Ok(NoteVerifier { name, key })
    }

    /// Verifies a signed note and returns its text. Signatures by other
    /// keys are ignored (as the spec requires); one by this key must exist
    /// and verify.
    pub fn open<'a>(&self, note: &'a str) -> Result<&'a str, CheckpointError> {
        let (text, signatures) = split_note(note)?;
        let own_id = self.key_id();
        let mut found = false;
        for line in signatures.lines() {
            let (name, signer_id, blob) = parse_signature_line(line)?;
            if name != self.name || signer_id != own_id {
                continue;
            }
            found = true;
            let signature =
                Signature::from_slice(&blob).map_err(|_| CheckpointError::BadSignature {
                    name: self.name.clone(),
                })?;
            self.key.verify(text.as_bytes(), &signature).map_err(|_| {
                CheckpointError::BadSignature {
                    name: self.name.clone(),
                }
            })?;
        }
        if !found {
            return Err(CheckpointError::NotSigned {
                name: self.name.clone(),
                key_id: own_id,
            });
        }
        Ok(text)
    }
}

/// One signature line `— <name> base64(key id || signature)`: the name,
/// the key id and the signature bytes after it.
/// A verifier key: `<name>+<key id hex>+base64(<signature type> || public key)`.
pub(crate) fn format_vkey(name: &str, signature_type: u8, key: &VerifyingKey) -> String {
    let mut bytes = vec![signature_type];
    bytes.extend_from_slice(key.as_bytes());
    format!(
        "{name}+{:08x}+{}",
        typed_key_id(name, signature_type, key.as_bytes()),
        BASE64.encode(bytes)
    )
}

/// Parses a verifier key of one signature type (`wrong_type` names the
/// type expected), checking its key id against its name, type and key.
pub(crate) fn parse_typed_vkey(
    vkey: &str,
    signature_type: u8,
    wrong_type: Flaw,
) -> Result<(String, VerifyingKey), CheckpointError> {
    let malformed = CheckpointError::MalformedKey;
    let mut parts = vkey.trim().splitn(3, '+');
    let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(Flaw::NotNameKeyIdKey));
    };
    validate_key_name(name)?;
    let key_bytes = BASE64
        .decode(key_b64)
        .map_err(|_| malformed(Flaw::KeyNotBase64))?;
    let [found_type, public_key @ ..] = key_bytes.as_slice() else {
        return Err(malformed(wrong_type));
    };
    if *found_type != signature_type {
        return Err(malformed(wrong_type));
    }
    let public_key: [u8; 32] = public_key
        .try_into()
        .map_err(|_| malformed(Flaw::KeyNot32Bytes))?;
    let key =
        VerifyingKey::from_bytes(&public_key).map_err(|_| malformed(Flaw::NotEd25519Point))?;
    let key_id = typed_key_id(name, signature_type, &public_key);
    if id_hex.len() != 8 || u32::from_str_radix(id_hex, 16).ok() != Some(key_id) {
        return Err(malformed(Flaw::KeyIdMismatch));
    }
    Ok((name.to_owned(), key))
}

pub(crate) fn parse_signature_line(line: &str) -> Result<(&str, u32, Vec<u8>), CheckpointError> {
    let rest = line
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or(CheckpointError::MalformedNote(Flaw::SignatureLine))?;
    let (name, blob) = rest
        .split_once(' ')
        .ok_or(CheckpointError::MalformedNote(Flaw::SignatureLine))?;
    let blob = BASE64
        .decode(blob)
        .map_err(|_| CheckpointError::MalformedNote(Flaw::SignatureNotBase64))?;
    let [a, b, c, d, signature @ ..] = blob.as_slice() else {
        return Err(CheckpointError::MalformedNote(Flaw::SignatureTooShort));
    };
    Ok((
        name,
        u32::from_be_bytes([*a, *b, *c, *d]),
        signature.to_vec(),
    ))
}

/// Splits a signed note into its text (with its final newline) and its
/// signature lines.
pub(crate) fn split_note(note: &str) -> Result<(&str, &str), CheckpointError> {
    if note
        .chars()
        .any(|character| character.is_control() && character != '\n')
    {
        return Err(CheckpointError::MalformedNote(Flaw::ControlCharacters));
    }
    let split = note
        .rfind("\n\n")
        .ok_or(CheckpointError::MalformedNote(Flaw::NoBlankLine))?;
    let (text, signatures) = (&note[..=split], &note[split + 2..]);
    if signatures.is_empty() || !signatures.ends_with('\n') {
        return Err(CheckpointError::MalformedNote(Flaw::NoSignatureLines));
    }
    Ok((text, signatures))
}

pub(crate) fn validate_key_name(name: &str) -> Result<(), CheckpointError> {
    if name.is_empty()
        || name
            .chars()
            .any(|character| character.is_whitespace() || character == '+')
    {
        return Err(CheckpointError::MalformedKey(Flaw::BadKeyName));
    }
    Ok(())
}

pub(crate) fn validate_text(text: &str) -> Result<(), CheckpointError> {
    if !text.ends_with('\n')
        || text
            .chars()
            .any(|character| character.is_control() && character != '\n')
    {
        return Err(CheckpointError::MalformedNote(Flaw::BadText));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> NoteSigner {
        NoteSigner::from_seed("salesledger.example/log", &[7u8; 32]).expect("signer")
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            origin: "salesledger.example/log".into(),
            tree_size: 20852163,
            root_hash: [0xab; 32],
        }
    }

    #[test]
    fn a_signed_checkpoint_opens_with_its_key_and_parses_back() {
        let signer = signer();
        let note = signer.sign(&checkpoint().body()).expect("sign");
        assert!(note.starts_with("salesledger.example/log\n20852163\n"));
        assert!(note.contains("\n\n\u{2014} salesledger.example/log "));
        let verifier =
            NoteVerifier::parse_vkey(&signer.verifier().to_vkey()).expect("vkey round trip");
        let text = verifier.open(&note).expect("verifies");
        assert_eq!(Checkpoint::parse_body(text).expect("parses"), checkpoint());
    }

    #[test]
    fn every_changed_byte_of_a_signed_note_is_refused() {
        let signer = signer();
        let verifier = signer.verifier();
        let note = signer.sign(&checkpoint().body()).expect("sign");
        let bytes = note.as_bytes();
        for byte_idx in 0..bytes.len() {
            let mut tampered = bytes.to_vec();
            tampered[byte_idx] ^= 0x01;
            let Ok(tampered) = String::from_utf8(tampered) else {
                continue;
            };
            let opened = verifier.open(&tampered).and_then(Checkpoint::parse_body);
            assert!(
                opened.is_err(),
                "byte {byte_idx} changed but the note still verified"
            );
        }
    }

    #[test]
    fn other_keys_signatures_are_ignored_but_one_from_ours_is_required() {
        let ours = signer();
        let theirs = NoteSigner::from_seed("witness.example/w1", &[9u8; 32]).expect("witness");
        let text = checkpoint().body();
        let by_them = theirs.sign(&text).expect("sign");
        assert!(matches!(
            ours.verifier().open(&by_them),
            Err(CheckpointError::NotSigned { .. })
        ));
        // Cosigned: our line plus a witness line; ours verifies.
        let cosigned = format!(
            "{}{}",
            ours.sign(&text).expect("sign"),
            by_them
                .rsplit_once("\n\n")
                .map(|(_, line)| line)
                .unwrap_or_default()
        );
        assert_eq!(
            ours.verifier().open(&cosigned).expect("cosigned verifies"),
            text
        );
    }

    /// The known-answer vector of Go's golang.org/x/mod/sumdb/note (its
    /// package documentation): same key, same text, same bytes.
    #[test]
    fn signs_the_go_note_packages_known_answer_byte_for_byte() {
        let private = BASE64
            .decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
            .expect("base64");
        let seed: [u8; 32] = private[1..].try_into().expect("32-byte seed");
        let signer = NoteSigner::from_seed("PeterNeumann", &seed).expect("signer");
        assert_eq!(
            signer.verifier().to_vkey(),
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        );
        let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
        let expected = format!(
            "{text}\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        );
        assert_eq!(signer.sign(text).expect("sign"), expected);
        let verifier = NoteVerifier::parse_vkey(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .expect("vkey");
        assert_eq!(verifier.open(&expected).expect("verifies"), text);
    }

    #[test]
    fn key_ids_follow_the_signed_note_recipe() {
        // SHA-256("a" || 0x0A || 0x01 || 32 zero bytes)[:4], computed independently.
        let mut expected = Sha256::new();
        expected.update(b"a\n\x01");
        expected.update([0u8; 32]);
        let digest = expected.finalize();
        assert_eq!(
            key_id("a", &[0u8; 32]),
            u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
        );
    }

    #[test]
    fn strict_bodies_and_keys() {
        for bad in [
            "",
            "origin\n1\n",
            "origin\n01\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",
            "has space\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",
            "o\n1\nnot base64\n",
            "o\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\nextension\n",
        ] {
            assert!(Checkpoint::parse_body(bad).is_err(), "{bad:?}");
        }
        let vkey = signer().verifier().to_vkey();
        assert!(NoteVerifier::parse_vkey(&format!("{vkey}x")).is_err());
        assert!(NoteVerifier::parse_vkey("name+00000000+AQ==").is_err());
        let mut parts: Vec<&str> = vkey.splitn(3, '+').collect();
        parts[1] = "00000000";
        assert!(
            NoteVerifier::parse_vkey(&parts.join("+")).is_err(),
            "a key id that does not match its key"
        );
    }
}
