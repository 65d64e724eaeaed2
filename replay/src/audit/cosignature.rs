//! Witness cosignatures in the C2SP `tlog-cosignature` format
//! (c2sp.org/tlog-cosignature, Ed25519 `cosignature/v1`), and the files a
//! gateway keeps them in.
//!
//! - A cosignature is one more signature line on a checkpoint's signed
//!   note: `— <witness name> base64(key id || timestamp || signature)`,
//!   where `timestamp` is 8 bytes big-endian (POSIX seconds, at most
//!   2^63 - 1) and `signature` is Ed25519 (64 bytes).
//! - The key id is `SHA-256(name || 0x0A || 0x04 || public key)[:4]`
//!   (signature type `0x04`), and the verifier key is
//!   `<name>+<key id hex>+base64(0x04 || public key)`.
//! - The signed message is `cosignature/v1\ntime <timestamp>\n` followed
//!   by the whole checkpoint body (the note text, with its final newline,
//!   without signature lines).
//! - The witness's private key file is `PRIVATE+KEY+<name>+<key id
//!   hex>+base64(0x04 || 32-byte seed)`, the Go `note` private key form
//!   with the cosignature type.
//!
//! The signing and checking functions are pure (the caller gives the
//! time); [`CosignatureFiles`] is the gateway's durable store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::Serialize;

use super::checkpoint::{
    format_vkey, parse_signature_line, parse_typed_vkey, split_note, typed_key_id,
    validate_key_name, validate_text, CheckpointError, Flaw, SIGNATURE_PREFIX,
};
use super::error::{io_at, AuditError};

/// The signed-note signature type of Ed25519 `cosignature/v1`.
pub const COSIGNATURE_TYPE: u8 = 0x04;
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";

/// The message a `cosignature/v1` signs: the header line, the time line,
/// then the checkpoint body.
pub fn cosigned_message(checkpoint_text: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_text}")
}

/// A witness's signing key.
pub struct CosignatureSigner {
    name: String,
    key: SigningKey,
}

impl std::fmt::Debug for CosignatureSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosignatureSigner")
            .field("vkey", &self.verifier().to_vkey())
            .finish_non_exhaustive()
    }
}

impl CosignatureSigner {
    /// A signer from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<CosignatureSigner, CheckpointError> {
        validate_key_name(name)?;
        Ok(CosignatureSigner {
            name: name.to_owned(),
            key: SigningKey::from_bytes(seed),
        })
    }

    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
        }
    }

    /// The private key file's text (one line).
    pub fn private_key_text(&self) -> String {
        let mut private = vec![COSIGNATURE_TYPE];
        private.extend_from_slice(self.key.as_bytes());
        format!(
            "{PRIVATE_KEY_PREFIX}{}+{:08x}+{}\n",
            self.name,
            self.verifier().key_id(),
            BASE64.encode(&private)
        )
    }

    /// Parses a private key file's text.
    pub fn parse_private_key(text: &str) -> Result<CosignatureSigner, CheckpointError> {
        let malformed = CheckpointError::MalformedKey;
        let rest = text
            .trim()
            .strip_prefix(PRIVATE_KEY_PREFIX)
            .ok_or(malformed(Flaw::NotPrivateWitnessKey))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(Flaw::NotPrivateKeyParts));
        };
        let bytes = BASE64
            .decode(key_b64)
            .map_err(|_| malformed(Flaw::KeyNotBase64))?;
        let [COSIGNATURE_TYPE, seed @ ..] = bytes.as_slice() else {
            return Err(malformed(Flaw::NotCosignatureKey));
        };
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| malformed(Flaw::SeedNot32Bytes))?;
        let signer = CosignatureSigner::from_seed(name, &seed)?;
        if id_hex.len() != 8
            || u32::from_str_radix(id_hex, 16).ok() != Some(signer.verifier().key_id())
        {
            return Err(malformed(Flaw::KeyIdMismatch));
        }
        Ok(signer)
    }

    /// The cosignature line (with its final newline) over a checkpoint
    /// body (a note text) at `timestamp` (POSIX seconds).
    pub fn cosign(&self, checkpoint_text: &str, timestamp: u64) -> Result<String, CheckpointError> {
        validate_text(checkpoint_text)?;
        if timestamp > i64::MAX as u64 {
            return Err(CheckpointError::MalformedNote(Flaw::TimestampOutOfRange));
        }
        let signature = self
            .key
            .sign(cosigned_message(checkpoint_text, timestamp).as_bytes());
        let mut blob = self.verifier().key_id().to_be_bytes().to_vec();
        blob.extend_from_slice(&timestamp.to_be_bytes());
        blob.extend_from_slice(&signature.to_bytes());
        Ok(format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            BASE64.encode(blob)
        ))
    }
}

/// Checks one witness's cosignatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key: VerifyingKey,
}

impl CosignatureVerifier {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        typed_key_id(&self.name, COSIGNATURE_TYPE, self.key.as_bytes())
    }

    /// `<name>+<key id hex>+base64(0x04 || public key)`.
    pub fn to_vkey(&self) -> String {
        format_vkey(&self.name, COSIGNATURE_TYPE, &self.key)
    }

    /// Parses a witness verifier key, checking its key id against its key.
    pub fn parse_vkey(vkey: &str) -> Result<CosignatureVerifier, CheckpointError> {
        let (name, key) = parse_typed_vkey(vkey, COSIGNATURE_TYPE, Flaw::NotWitnessKey)?;
        Ok(CosignatureVerifier { name, key })
    }

    /// Whether a signature line is by this key (name and key id), without
    /// checking it.
    pub fn is_mine(&self, line: &str) -> Result<bool, CheckpointError> {
        let (name, key_id, _) = parse_signature_line(line.trim_end_matches('\n'))?;
        Ok(name == self.name && key_id == self.key_id())
    }

    /// Checks one cosignature line over a checkpoint body; its timestamp.
    pub fn verify_line(&self, checkpoint_text: &str, line: &str) -> Result<u64, CheckpointError> {
        let bad = || CheckpointError::BadSignature {
            name: self.name.clone(),
        };
        let (name, key_id, blob) = parse_signature_line(line.trim_end_matches('\n'))?;
        if name != self.name || key_id != self.key_id() {
            return Err(CheckpointError::NotSigned {
                name: self.name.clone(),
                key_id: self.key_id(),
            });
        }
        let [t0, t1, t2, t3, t4, t5, t6, t7, signature @ ..] = blob.as_slice() else {
            return Err(bad());
        };
        let timestamp = u64::from_be_bytes([*t0, *t1, *t2, *t3, *t4, *t5, *t6, *t7]);
        if timestamp > i64::MAX as u64 {
            return Err(bad());
        }
        let signature = Signature::from_slice(signature).map_err(|_| bad())?;
        self.key
            .verify(
                cosigned_message(checkpoint_text, timestamp).as_bytes(),
                &signature,
            )
            .map_err(|_| bad())?;
        Ok(timestamp)
    }

    /// Checks this witness's cosignature on a signed note (other lines are
    /// ignored, as signed-note requires): its timestamp. Every line by this
    /// key must verify, and one must exist.
    pub fn open(&self, note: &str) -> Result<u64, CheckpointError> {
        let (text, signatures) = split_note(note)?;
        let mut newest = None;
        for line in signatures.lines() {
            if !self.is_mine(line)? {
                continue;
            }
            let timestamp = self.verify_line(text, line)?;
            newest = Some(newest.map_or(timestamp, |newest: u64| newest.max(timestamp)));
        }
        newest.ok_or_else(|| CheckpointError::NotSigned {
            name: self.name.clone(),
            key_id: self.key_id(),
        })
    }
}

/// What each required witness said about a note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WitnessCheck {
    pub witness: String,
    /// The cosignature's time (POSIX seconds), when it verified.
    pub cosigned_at: Option<u64>,
    /// Why it did not, otherwise, in English (JSON).
    pub failure: Option<String>,
    /// Why it did not, typed: what a user interface words in its own
    /// language.
    #[serde(skip)]
    pub cause: Option<CheckpointError>,
}

/// The witnesses' verdicts on a note, and whether `quorum` of them
/// cosigned it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuorumReport {
    pub quorum: usize,
    pub cosigned: usize,
    pub witnesses: Vec<WitnessCheck>,
}

impl QuorumReport {
    pub fn met(&self) -> bool {
        self.cosigned >= self.quorum
    }
}

/// How many different witnesses `witnesses` names: one key given twice
/// (under one name or two) is one witness.
pub fn distinct_witnesses(witnesses: &[CosignatureVerifier]) -> usize {
    witnesses
        .iter()
        .map(|witness| witness.key.to_bytes())
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// Checks each witness's cosignature on `note`. A quorum counts
/// different witnesses: a key given twice that cosigned counts once.
pub fn check_quorum(note: &str, witnesses: &[CosignatureVerifier], quorum: usize) -> QuorumReport {
    let checks: Vec<WitnessCheck> = witnesses
        .iter()
        .map(|witness| match witness.open(note) {
            Ok(timestamp) => WitnessCheck {
                witness: witness.to_vkey(),
                cosigned_at: Some(timestamp),
                failure: None,
                cause: None,
            },
            Err(error) => WitnessCheck {
                witness: witness.to_vkey(),
                cosigned_at: None,
                failure: Some(error.to_string()),
                cause: Some(error),
            },
        })
        .collect();
    let cosigned: Vec<CosignatureVerifier> = witnesses
        .iter()
        .zip(&checks)
        .filter(|(_, check)| check.cosigned_at.is_some())
        .map(|(witness, _)| witness.clone())
        .collect();
    QuorumReport {
        quorum,
        cosigned: distinct_witnesses(&cosigned),
        witnesses: checks,
    }
}

// ---------------------------------------------------------------------------
// The gateway's cosignature files
// ---------------------------------------------------------------------------

/// Where cosignatures are kept, in the data directory:
/// `DATA/audit/cosignatures/<tree size>-<root hex>.txt`, one file per
/// checkpoint holding its cosignature lines, one per witness key, sorted.
/// They are derived data (each line verifies on its own against the
/// checkpoint in the log), written durably: temporary file, fsync,
/// rename, fsync of the directory.
#[derive(Clone, Debug)]
pub struct CosignatureFiles {
    dir: PathBuf,
}

/// Subdirectory of `DATA/audit` holding cosignatures.
pub const COSIGNATURE_DIR: &str = "cosignatures";

/// What [`CosignatureFiles::add`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// The witness's first cosignature of this checkpoint.
    New,
    /// The very same line was stored already.
    AlreadyStored,
    /// The witness cosigned again (a later timestamp): its line replaced.
    Replaced,
}

impl CosignatureFiles {
    pub fn new(data_dir: &Path) -> CosignatureFiles {
        CosignatureFiles {
            dir: data_dir.join(super::AUDIT_DIR).join(COSIGNATURE_DIR),
        }
    }

    fn path(&self, tree_size: u64, root_hash: &[u8; 32]) -> PathBuf {
        self.dir
            .join(format!("{tree_size}-{}.txt", hex::encode(root_hash)))
    }

    /// The stored cosignature lines of a checkpoint (each with its final
    /// newline), in file order.
    pub fn lines(&self, tree_size: u64, root_hash: &[u8; 32]) -> Result<Vec<String>, AuditError> {
        let path = self.path(tree_size, root_hash);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(text.lines().map(|line| format!("{line}\n")).collect()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(error) => Err(io_at(&path)(error)),
        }
    }

    /// The signed note with the stored cosignatures appended.
    pub fn cosigned_note(
        &self,
        note: &str,
        tree_size: u64,
        root_hash: &[u8; 32],
    ) -> Result<String, AuditError> {
        let mut note = note.to_owned();
        for line in self.lines(tree_size, root_hash)? {
            if !note.contains(&line) {
                note.push_str(&line);
            }
        }
        Ok(note)
    }

    /// Stores `line`, a cosignature by `witness` already verified against
    /// this checkpoint; one line per witness key.
    pub fn add(
        &self,
        tree_size: u64,
        root_hash: &[u8; 32],
        witness: &CosignatureVerifier,
        line: &str,
    ) -> Result<Added, AuditError> {
        let line = format!("{}\n", line.trim_end_matches('\n'));
        let mut by_witness: BTreeMap<String, String> = BTreeMap::new();
        for stored in self.lines(tree_size, root_hash)? {
            let (name, key_id, _) = parse_signature_line(stored.trim_end_matches('\n'))?;
            by_witness.insert(format!("{name}+{key_id:08x}"), stored);
        }
        let own = format!("{}+{:08x}", witness.name(), witness.key_id());
        let added = match by_witness.insert(own, line.clone()) {
            None => Added::New,
            Some(previous) if previous == line => return Ok(Added::AlreadyStored),
            Some(_) => Added::Replaced,
        };
        let text: String = by_witness.into_values().collect();
        salesledger_store::private_fs::create_dir_all(&self.dir).map_err(io_at(&self.dir))?;
        let path = self.path(tree_size, root_hash);
        let temporary = path.with_extension("tmp");
        {
            use std::io::Write as _;
            let mut file = std::fs::File::create(&temporary).map_err(io_at(&temporary))?;
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(io_at(&temporary))?;
        }
        std::fs::rename(&temporary, &path).map_err(io_at(&path))?;
        std::fs::File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(io_at(&self.dir))?;
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::super::checkpoint::{Checkpoint, NoteSigner};
    use super::*;

    fn witness(seed: u8) -> CosignatureSigner {
        CosignatureSigner::from_seed("witness.example/w1", &[seed; 32]).expect("witness")
    }

    fn signed_checkpoint() -> (String, String) {
        let log = NoteSigner::from_seed("salesledger/0123456789abcdef", &[7u8; 32]).expect("log");
        let text = Checkpoint {
            origin: "salesledger/0123456789abcdef".into(),
            tree_size: 20852163,
            root_hash: [0xab; 32],
        }
        .body();
        let note = log.sign(&text).expect("sign");
        (text, note)
    }

    #[test]
    fn a_cosignature_round_trips_through_the_vkey_and_keeps_its_time() {
        let signer = witness(9);
        let (text, note) = signed_checkpoint();
        let line = signer.cosign(&text, 1_679_315_147).expect("cosign");
        assert!(line.starts_with("\u{2014} witness.example/w1 "));
        let cosigned = format!("{note}{line}");
        let verifier =
            CosignatureVerifier::parse_vkey(&signer.verifier().to_vkey()).expect("vkey round trip");
        assert_eq!(verifier.open(&cosigned), Ok(1_679_315_147));
        // The log's own signature still verifies on the cosigned note.
        let log = NoteSigner::from_seed("salesledger/0123456789abcdef", &[7u8; 32]).expect("log");
        assert_eq!(log.verifier().open(&cosigned), Ok(text.as_str()));
        // The private key file round-trips.
        let reloaded =
            CosignatureSigner::parse_private_key(&signer.private_key_text()).expect("reload");
        assert_eq!(reloaded.verifier(), signer.verifier());
    }

    #[test]
    fn the_signed_message_and_key_id_follow_tlog_cosignature() {
        // The message of the spec's example.
        assert_eq!(
            cosigned_message("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", 1679315147),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
        // The key id uses signature type 0x04, not Ed25519's 0x01.
        let signer = witness(9);
        let verifier = signer.verifier();
        let vkey = verifier.to_vkey();
        let key_b64 = vkey.rsplit('+').next().expect("key part");
        let key = BASE64.decode(key_b64).expect("base64");
        assert_eq!(key[0], 0x04);
        let public: [u8; 32] = key[1..].try_into().expect("32 bytes");
        use sha2::Digest as _;
        let mut hasher = sha2::Sha256::new();
        hasher.update(b"witness.example/w1\n\x04");
        hasher.update(public);
        let digest = hasher.finalize();
        assert_eq!(
            verifier.key_id(),
            u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
        );
        // The line's blob: key id, 8-byte big-endian time, 64-byte signature.
        let (text, _) = signed_checkpoint();
        let line = signer.cosign(&text, 1679315147).expect("cosign");
        let blob = BASE64
            .decode(line.trim_end().rsplit(' ').next().expect("blob"))
            .expect("base64");
        assert_eq!(blob.len(), 4 + 8 + 64);
        assert_eq!(blob[..4], verifier.key_id().to_be_bytes());
        assert_eq!(blob[4..12], 1679315147u64.to_be_bytes());
        assert!(verifier
            .key
            .verify(
                cosigned_message(&text, 1679315147).as_bytes(),
                &Signature::from_slice(&blob[12..]).expect("signature"),
            )
            .is_ok());
    }

    /// A vector computed independently of this code, with Python's
    /// `cryptography` (Ed25519 is deterministic): from the seed, the key id
    /// `SHA-256(name || 0x0A || 0x04 || public key)[:4]`, the vkey, and the
    /// line over `cosignature/v1\ntime 1767225600\n` + the body.
    #[test]
    fn cosigns_an_independently_computed_vector_byte_for_byte() {
        let private =
            "PRIVATE+KEY+witness.example/w1+af8a33fd+BAQWc5FszaDM+T96vTdncUhUqBEWwhYjT6RlgDxcXMdK";
        let signer = CosignatureSigner::parse_private_key(private).expect("key file");
        assert_eq!(
            signer.verifier().to_vkey(),
            "witness.example/w1+af8a33fd+BE05HvVcsV+8apeiyCBPvBmsce1m4Lmn3JVEQYf3qqPI"
        );
        assert_eq!(signer.private_key_text().trim_end(), private);
        let body =
            "salesledger/0123456789abcdef\n5\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n";
        let expected = "\u{2014} witness.example/w1 r4oz/QAAAABpVbkApu2zvr/Nb2Rg5dZNGhptX/iKntI+UMQyLGSD6nNDPSz5in5OjHvtSEY+TEir0Io6BwyDlbidtHBJ8fBYBeoRAA==\n";
        assert_eq!(
            signer.cosign(body, 1_767_225_600).expect("cosign"),
            expected
        );
        let verifier = CosignatureVerifier::parse_vkey(
            "witness.example/w1+af8a33fd+BE05HvVcsV+8apeiyCBPvBmsce1m4Lmn3JVEQYf3qqPI",
        )
        .expect("vkey");
        assert_eq!(verifier.verify_line(body, expected), Ok(1_767_225_600));
    }

    #[test]
    fn the_spec_examples_cosignature_line_parses_to_its_time() {
        // c2sp.org/tlog-cosignature's example line: key id, then time
        // 1679315147 (the example message's), then the signature.
        let line = "\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
        let (name, _key_id, rest) = parse_signature_line(line).expect("parses");
        assert_eq!(name, "witness.example.com/w1");
        assert_eq!(rest.len(), 8 + 64);
        let time: [u8; 8] = rest[..8].try_into().expect("8 bytes");
        assert_eq!(u64::from_be_bytes(time), 1679315147);
    }

    #[test]
    fn another_witness_a_changed_time_or_checkpoint_fails() {
        let signer = witness(9);
        let other = witness(10);
        let (text, note) = signed_checkpoint();
        let line = signer.cosign(&text, 1_700_000_000).expect("cosign");
        let cosigned = format!("{note}{line}");
        assert!(matches!(
            other.verifier().open(&cosigned),
            Err(CheckpointError::NotSigned { .. })
        ));
        // Every changed byte of the checkpoint body or of the cosignature
        // line is refused (the log's own line is not what a witness signs).
        let bytes = cosigned.as_bytes();
        let log_line = text.len() + 1..note.len();
        for byte_idx in (0..bytes.len()).filter(|idx| !log_line.contains(idx)) {
            let mut tampered = bytes.to_vec();
            tampered[byte_idx] ^= 0x01;
            let Ok(tampered) = String::from_utf8(tampered) else {
                continue;
            };
            assert!(
                signer.verifier().open(&tampered).is_err(),
                "byte {byte_idx} changed but the cosignature still verified"
            );
        }
        // A log's Ed25519 key is not a witness key, nor the reverse.
        let log = NoteSigner::from_seed("salesledger/0123456789abcdef", &[7u8; 32]).expect("log");
        assert!(CosignatureVerifier::parse_vkey(&log.verifier().to_vkey()).is_err());
        assert!(
            super::super::checkpoint::NoteVerifier::parse_vkey(&signer.verifier().to_vkey())
                .is_err()
        );
    }

    #[test]
    fn a_quorum_counts_only_the_given_witnesses_that_cosigned() {
        let (first, second, third) = (witness(1), witness(2), witness(3));
        let (text, note) = signed_checkpoint();
        let cosigned = format!(
            "{note}{}{}",
            first.cosign(&text, 1).expect("cosign"),
            second.cosign(&text, 2).expect("cosign")
        );
        let all = [first.verifier(), second.verifier(), third.verifier()];
        let report = check_quorum(&cosigned, &all, 2);
        assert!(report.met());
        assert_eq!(report.cosigned, 2);
        assert!(report.witnesses[2].failure.is_some());
        assert!(!check_quorum(&cosigned, &all, 3).met());
        assert!(!check_quorum(&note, &all[..1], 1).met());
        // One witness given twice is one witness: its cosignature does not
        // make a quorum of two.
        let twice = [first.verifier(), first.verifier()];
        let report = check_quorum(&cosigned, &twice, 2);
        assert_eq!(report.cosigned, 1);
        assert!(!report.met());
        assert_eq!(distinct_witnesses(&twice), 1);
    }

    #[test]
    fn stored_cosignatures_are_one_line_per_witness_and_idempotent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = CosignatureFiles::new(dir.path());
        let (text, note) = signed_checkpoint();
        let (first, second) = (witness(1), witness(2));
        let root = [0xab; 32];
        let line = first.cosign(&text, 5).expect("cosign");
        assert_eq!(
            files
                .add(20852163, &root, &first.verifier(), &line)
                .expect("add"),
            Added::New
        );
        assert_eq!(
            files
                .add(20852163, &root, &first.verifier(), &line)
                .expect("add"),
            Added::AlreadyStored
        );
        let later = first.cosign(&text, 6).expect("cosign");
        assert_eq!(
            files
                .add(20852163, &root, &first.verifier(), &later)
                .expect("add"),
            Added::Replaced
        );
        let line2 = second.cosign(&text, 7).expect("cosign");
        files
            .add(20852163, &root, &second.verifier(), &line2)
            .expect("add");
        // A new handle (a restarted gateway) reads the same lines.
        let reopened = CosignatureFiles::new(dir.path());
        let stored = reopened.lines(20852163, &root).expect("lines");
        assert_eq!(stored.len(), 2);
        let cosigned = reopened
            .cosigned_note(&note, 20852163, &root)
            .expect("note");
        assert_eq!(first.verifier().open(&cosigned), Ok(6));
        assert_eq!(second.verifier().open(&cosigned), Ok(7));
        assert!(reopened.lines(1, &root).expect("lines").is_empty());
    }
}
