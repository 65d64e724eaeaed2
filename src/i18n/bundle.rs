//! Why an evidence bundle does not verify ([`BundleError`]: where,
//! [`BundleLocation`], and what, [`BundleBreak`], with the signed-note and
//! Merkle-proof errors it nests), worded from the CLI catalogue with their
//! fields: the one place `verify-bundle` and `evidence --url` turn a bundle
//! failure into a sentence a person reads. The English `Display` stays for
//! logs and JSON (`location`, `reason`, beside the stable `kind`).

use salesledger_replay::audit::bundle::{
    BundleBreak, BundleError, BundleLocation, MissingCosignature,
};
use salesledger_replay::audit::checkpoint::{CheckpointError, Flaw};
use salesledger_replay::audit::merkle::{HashRole, MerkleError, HASH_LEN};

use super::Lang;

/// `error` (location and reason) in the CLI's language.
pub fn bundle_failure(error: &BundleError) -> String {
    bundle_failure_in(super::cli_lang(), error)
}

/// `error` (location and reason) in `lang`.
pub fn bundle_failure_in(lang: Lang, error: &BundleError) -> String {
    crate::t_in!(
        lang,
        "cli-bundle-failure",
        location = bundle_location_in(lang, &error.location),
        reason = bundle_break_in(lang, &error.reason)
    )
}

/// A bundle's subject kind (`customer`, `lead`, `proposal`) in `lang`; an
/// unknown kind as it is.
pub fn subject_kind_in(lang: Lang, kind: &str) -> String {
    match kind {
        "customer" => crate::t_in!(lang, "cli-bundle-subject-customer"),
        "lead" => crate::t_in!(lang, "cli-bundle-subject-lead"),
        "proposal" => crate::t_in!(lang, "cli-bundle-subject-proposal"),
        other => other.to_owned(),
    }
}

/// A bundle's subject kind in the CLI's language.
pub fn subject_kind(kind: &str) -> String {
    subject_kind_in(super::cli_lang(), kind)
}

/// Where in a bundle, in `lang`.
pub fn bundle_location_in(lang: Lang, location: &BundleLocation) -> String {
    match location {
        BundleLocation::Bundle => crate::t_in!(lang, "cli-bundle-at-bundle"),
        BundleLocation::Key => crate::t_in!(lang, "cli-bundle-at-key"),
        BundleLocation::Checkpoint => crate::t_in!(lang, "cli-bundle-at-checkpoint"),
        BundleLocation::Manifest => crate::t_in!(lang, "cli-bundle-at-manifest"),
        BundleLocation::Event { index, position } => crate::t_in!(
            lang,
            "cli-bundle-at-event",
            index = index,
            position = position
        ),
        BundleLocation::Stream { stream } => {
            crate::t_in!(lang, "cli-bundle-at-stream", stream = stream)
        }
        BundleLocation::Attachments => crate::t_in!(lang, "cli-bundle-at-attachments"),
        BundleLocation::Attachment { sha256 } => {
            crate::t_in!(lang, "cli-bundle-at-attachment", sha256 = sha256)
        }
        BundleLocation::SchemaVersions => crate::t_in!(lang, "cli-bundle-at-schema-versions"),
        BundleLocation::Timeline => crate::t_in!(lang, "cli-bundle-at-timeline"),
        BundleLocation::Witnesses => crate::t_in!(lang, "cli-bundle-at-witnesses"),
        // A part a newer library names and this binary does not know yet:
        // its English words rather than nothing.
        other => other.to_string(),
    }
}

/// What is wrong with a bundle, in `lang`.
pub fn bundle_break_in(lang: Lang, cause: &BundleBreak) -> String {
    use BundleBreak as B;
    match cause {
        B::NotJson { detail } => crate::t_in!(lang, "cli-bundle-break-not-json", detail = detail),
        B::NotABundle { detail } => {
            crate::t_in!(lang, "cli-bundle-break-not-a-bundle", detail = detail)
        }
        B::UnknownFormat { format } => crate::t_in!(
            lang,
            "cli-bundle-break-unknown-format",
            format = format!("{format:?}"),
            expected = format!("{:?}", salesledger_replay::audit::bundle::BUNDLE_FORMAT),
            expected_v2 = format!("{:?}", salesledger_replay::audit::bundle::BUNDLE_FORMAT_V2),
            expected_v1 = format!("{:?}", salesledger_replay::audit::bundle::BUNDLE_FORMAT_V1)
        ),
        B::UnknownSubjectKind { kind } => crate::t_in!(
            lang,
            "cli-bundle-break-unknown-subject-kind",
            kind = format!("{kind:?}")
        ),
        B::BundleKeyMalformed(error) => crate::t_in!(
            lang,
            "cli-bundle-break-bundle-key-malformed",
            detail = note_error_in(lang, error)
        ),
        B::GivenKeyMalformed(error) => crate::t_in!(
            lang,
            "cli-bundle-break-given-key-malformed",
            detail = note_error_in(lang, error)
        ),
        B::KeyDiffers {
            bundle_key,
            given_key,
        } => crate::t_in!(
            lang,
            "cli-bundle-break-key-differs",
            bundle_key = bundle_key,
            given_key = given_key
        ),
        B::FingerprintMismatch => crate::t_in!(lang, "cli-bundle-break-fingerprint-mismatch"),
        B::OriginNotKeyName => crate::t_in!(lang, "cli-bundle-break-origin-not-key-name"),
        B::Signature(error) => crate::t_in!(
            lang,
            "cli-bundle-break-signature",
            detail = note_error_in(lang, error)
        ),
        B::CheckpointBody(error) => note_error_in(lang, error),
        B::CheckpointOtherOrigin => crate::t_in!(lang, "cli-bundle-break-checkpoint-other-origin"),
        B::CheckpointDiffers => crate::t_in!(lang, "cli-bundle-break-checkpoint-differs"),
        B::CheckpointInsideTree => crate::t_in!(lang, "cli-bundle-break-checkpoint-inside-tree"),
        B::ManifestLineDiffers {
            line,
            signed,
            bundle,
        } => crate::t_in!(
            lang,
            "cli-bundle-break-manifest-line-differs",
            line = line,
            signed = format!("{signed:?}"),
            bundle = format!("{bundle:?}")
        ),
        B::ManifestLength { signed, bundle } => crate::t_in!(
            lang,
            "cli-bundle-break-manifest-length",
            signed = signed,
            bundle = bundle
        ),
        B::PositionOrder => crate::t_in!(lang, "cli-bundle-break-position-order"),
        B::CanonicalNotBase64 => crate::t_in!(lang, "cli-bundle-break-canonical-not-base64"),
        B::LeafHashMismatch => crate::t_in!(lang, "cli-bundle-break-leaf-hash-mismatch"),
        B::RecordHashMismatch => crate::t_in!(lang, "cli-bundle-break-record-hash-mismatch"),
        B::Undecodable { position, detail } => crate::t_in!(
            lang,
            "cli-bundle-break-undecodable",
            position = position,
            detail = detail
        ),
        B::PositionMismatch { found } => {
            crate::t_in!(lang, "cli-bundle-break-position-mismatch", found = found)
        }
        B::PayloadNotJson { detail } => {
            crate::t_in!(lang, "cli-bundle-break-payload-not-json", detail = detail)
        }
        B::ViewDiffers => crate::t_in!(lang, "cli-bundle-break-view-differs"),
        B::OutOfScope { kind, id } => crate::t_in!(
            lang,
            "cli-bundle-break-out-of-scope",
            kind = subject_kind_in(lang, kind),
            id = id
        ),
        B::InclusionProof(error) => crate::t_in!(
            lang,
            "cli-bundle-break-inclusion-proof",
            detail = merkle_error_in(lang, error)
        ),
        B::StreamVersionMissing { expected, found } => crate::t_in!(
            lang,
            "cli-bundle-break-stream-version-missing",
            expected = expected,
            found = found
        ),
        B::PolicyVersionMissing {
            missing,
            before,
            after,
        } => crate::t_in!(
            lang,
            "cli-bundle-break-policy-version-missing",
            missing = missing,
            before = before,
            after = after
        ),
        B::AttachmentsPayload { detail } => crate::t_in!(
            lang,
            "cli-bundle-break-attachments-payload",
            detail = detail
        ),
        B::AttachmentsDiffer => crate::t_in!(lang, "cli-bundle-break-attachments-differ"),
        B::ContentNotBase64 => crate::t_in!(lang, "cli-bundle-break-content-not-base64"),
        B::ContentHashMismatch => crate::t_in!(lang, "cli-bundle-break-content-hash-mismatch"),
        B::SchemaVersionsDiffer => crate::t_in!(lang, "cli-bundle-break-schema-versions-differ"),
        B::TimelineLineDiffers { line } => {
            crate::t_in!(lang, "cli-bundle-break-timeline-line-differs", line = line)
        }
        B::ReEncoding { detail } => {
            crate::t_in!(lang, "cli-bundle-break-re-encoding", detail = detail)
        }
        B::NotCanonical => crate::t_in!(lang, "cli-bundle-break-not-canonical"),
        B::QuorumImpossible { quorum, given } => crate::t_in!(
            lang,
            "cli-bundle-break-quorum-impossible",
            quorum = quorum,
            given = given
        ),
        B::QuorumNotMet {
            cosigned,
            given,
            quorum,
            missing,
        } => crate::t_in!(
            lang,
            "cli-bundle-break-quorum-not-met",
            cosigned = cosigned,
            given = given,
            quorum = quorum,
            missing = missing_in(lang, missing)
        ),
        // A failure a newer library names and this binary does not know
        // yet: its English words rather than nothing.
        other => other.to_string(),
    }
}

/// The witnesses that did not cosign, and why, in `lang`.
fn missing_in(lang: Lang, missing: &[MissingCosignature]) -> String {
    let separator = match lang {
        Lang::En => ", ",
        Lang::ZhCn => "；",
    };
    missing
        .iter()
        .map(|missing| {
            crate::t_in!(
                lang,
                "cli-bundle-break-not-cosigned-by",
                witness = missing.witness,
                failure = note_error_in(lang, &missing.failure)
            )
        })
        .collect::<Vec<_>>()
        .join(separator)
}

/// What is wrong with a signed note, a checkpoint's text or a key, in
/// the CLI's language.
pub fn note_error(error: &CheckpointError) -> String {
    note_error_in(super::cli_lang(), error)
}

/// What is wrong with a signed note, a checkpoint's text or a key, in
/// `lang`. (What exactly is malformed, `detail`, is the checkpoint
/// layer's English words.)
pub fn note_error_in(lang: Lang, error: &CheckpointError) -> String {
    match error {
        CheckpointError::MalformedNote(flaw) => {
            crate::t_in!(lang, "cli-note-malformed", detail = flaw_in(lang, *flaw))
        }
        CheckpointError::MalformedCheckpoint(flaw) => crate::t_in!(
            lang,
            "cli-note-malformed-checkpoint",
            detail = flaw_in(lang, *flaw)
        ),
        CheckpointError::MalformedKey(flaw) => {
            crate::t_in!(
                lang,
                "cli-note-malformed-key",
                detail = flaw_in(lang, *flaw)
            )
        }
        CheckpointError::NotSigned { name, key_id } => crate::t_in!(
            lang,
            "cli-note-not-signed",
            name = name,
            key_id = format!("{key_id:08x}")
        ),
        CheckpointError::BadSignature { name } => {
            crate::t_in!(lang, "cli-note-bad-signature", name = name)
        }
        other => other.to_string(),
    }
}

/// What is wrong with a note, checkpoint body or key, in `lang`.
pub fn flaw_in(lang: Lang, flaw: Flaw) -> String {
    match flaw {
        Flaw::NoFinalNewline => crate::t_in!(lang, "cli-flaw-no-final-newline"),
        Flaw::NotThreeLines => crate::t_in!(lang, "cli-flaw-not-three-lines"),
        Flaw::BadOrigin => crate::t_in!(lang, "cli-flaw-bad-origin"),
        Flaw::BadTreeSize => crate::t_in!(lang, "cli-flaw-bad-tree-size"),
        Flaw::TreeSizeOutOfRange => crate::t_in!(lang, "cli-flaw-tree-size-out-of-range"),
        Flaw::RootNotBase64 => crate::t_in!(lang, "cli-flaw-root-not-base64"),
        Flaw::RootNot32Bytes => crate::t_in!(lang, "cli-flaw-root-not-32-bytes"),
        Flaw::RootNotCanonical => crate::t_in!(lang, "cli-flaw-root-not-canonical"),
        Flaw::NotNameKeyIdKey => crate::t_in!(lang, "cli-flaw-not-name-keyid-key"),
        Flaw::KeyNotBase64 => crate::t_in!(lang, "cli-flaw-key-not-base64"),
        Flaw::NotEd25519Key => crate::t_in!(lang, "cli-flaw-not-ed25519-key"),
        Flaw::NotWitnessKey => crate::t_in!(lang, "cli-flaw-not-witness-key"),
        Flaw::KeyNot32Bytes => crate::t_in!(lang, "cli-flaw-key-not-32-bytes"),
        Flaw::NotEd25519Point => crate::t_in!(lang, "cli-flaw-not-ed25519-point"),
        Flaw::KeyIdMismatch => crate::t_in!(lang, "cli-flaw-key-id-mismatch"),
        Flaw::SignatureLine => crate::t_in!(lang, "cli-flaw-signature-line"),
        Flaw::SignatureNotBase64 => crate::t_in!(lang, "cli-flaw-signature-not-base64"),
        Flaw::SignatureTooShort => crate::t_in!(lang, "cli-flaw-signature-too-short"),
        Flaw::ControlCharacters => crate::t_in!(lang, "cli-flaw-control-characters"),
        Flaw::NoBlankLine => crate::t_in!(lang, "cli-flaw-no-blank-line"),
        Flaw::NoSignatureLines => crate::t_in!(lang, "cli-flaw-no-signature-lines"),
        Flaw::BadKeyName => crate::t_in!(lang, "cli-flaw-bad-key-name"),
        Flaw::BadText => crate::t_in!(lang, "cli-flaw-bad-text"),
        Flaw::NotPrivateWitnessKey => crate::t_in!(lang, "cli-flaw-not-private-witness-key"),
        Flaw::NotPrivateKeyParts => crate::t_in!(lang, "cli-flaw-not-private-key-parts"),
        Flaw::NotCosignatureKey => crate::t_in!(lang, "cli-flaw-not-cosignature-key"),
        Flaw::SeedNot32Bytes => crate::t_in!(lang, "cli-flaw-seed-not-32-bytes"),
        Flaw::TimestampOutOfRange => crate::t_in!(lang, "cli-flaw-timestamp-out-of-range"),
        // A flaw a newer library names and this binary does not know yet.
        other => other.to_string(),
    }
}

/// Why a Merkle proof was rejected, in `lang`.
pub fn merkle_error_in(lang: Lang, error: &MerkleError) -> String {
    match error {
        MerkleError::EmptyTree => crate::t_in!(lang, "cli-merkle-empty-tree"),
        MerkleError::LeafIndexOutOfRange { index, tree_size } => crate::t_in!(
            lang,
            "cli-merkle-leaf-index-out-of-range",
            index = index,
            tree_size = tree_size
        ),
        MerkleError::SizesOutOfOrder { size1, size2 } => crate::t_in!(
            lang,
            "cli-merkle-sizes-out-of-order",
            size1 = size1,
            size2 = size2
        ),
        MerkleError::EmptyOldTree => crate::t_in!(lang, "cli-merkle-empty-old-tree"),
        MerkleError::SizeBeyondTree {
            requested,
            available,
        } => crate::t_in!(
            lang,
            "cli-merkle-size-beyond-tree",
            requested = requested,
            available = available
        ),
        MerkleError::MalformedHash { role, len } => crate::t_in!(
            lang,
            "cli-merkle-malformed-hash",
            role = hash_role_in(lang, *role),
            len = len,
            hash_len = HASH_LEN
        ),
        MerkleError::WrongProofLength { expected, actual } => crate::t_in!(
            lang,
            "cli-merkle-wrong-proof-length",
            expected = expected,
            actual = actual
        ),
        MerkleError::RootsDiffer { size } => {
            crate::t_in!(lang, "cli-merkle-roots-differ", size = size)
        }
        MerkleError::RootMismatch {
            role,
            expected,
            computed,
        } => crate::t_in!(
            lang,
            "cli-merkle-root-mismatch",
            role = hash_role_in(lang, *role),
            expected = expected,
            computed = computed
        ),
        MerkleError::MissingNode { level, index } => crate::t_in!(
            lang,
            "cli-merkle-missing-node",
            level = level,
            index = index
        ),
        MerkleError::TreeFull => crate::t_in!(lang, "cli-merkle-tree-full"),
        MerkleError::Store(source) => {
            crate::t_in!(lang, "cli-merkle-store", detail = source)
        }
        other => other.to_string(),
    }
}

/// Which hash of a proof, in `lang`.
fn hash_role_in(lang: Lang, role: HashRole) -> String {
    match role {
        HashRole::LeafHash => crate::t_in!(lang, "cli-merkle-role-leaf-hash"),
        HashRole::Root => crate::t_in!(lang, "cli-merkle-role-root"),
        HashRole::OldRoot => crate::t_in!(lang, "cli-merkle-role-old-root"),
        HashRole::NewRoot => crate::t_in!(lang, "cli-merkle-role-new-root"),
        HashRole::ProofElement(index) => {
            crate::t_in!(lang, "cli-merkle-role-proof-element", index = index)
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use salesledger_store::Hash32;
    use uuid::Uuid;

    use super::*;

    /// ASCII words a Chinese sentence may keep: technical names, and the
    /// `0x00` of a formula.
    const KEPT: &[&str] = &["json", "sha", "base64", "0x00"];

    /// The English words of `text`: ASCII words outside double quotes
    /// (quoted values are data) that are not hex (hashes, ids) nor
    /// [`KEPT`].
    fn english_words(text: &str) -> Vec<String> {
        let mut unquoted = String::new();
        let mut quoted = false;
        for c in text.chars() {
            if c == '"' {
                quoted = !quoted;
            } else if !quoted {
                unquoted.push(c);
            }
        }
        unquoted
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|word| word.chars().any(|c| c.is_ascii_alphabetic()))
            .filter(|word| !word.chars().all(|c| c.is_ascii_hexdigit()))
            .filter(|word| !KEPT.contains(&word.to_lowercase().as_str()))
            .map(str::to_owned)
            .collect()
    }

    fn has_chinese(text: &str) -> bool {
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    fn not_signed() -> CheckpointError {
        CheckpointError::NotSigned {
            name: "见证人甲".into(),
            key_id: 0x0a1b_2c3d,
        }
    }

    /// One of every [`BundleBreak`], with values that hold no English.
    fn every_break() -> Vec<BundleBreak> {
        let hash = Hash32::sha256(b"x");
        vec![
            BundleBreak::NotJson {
                detail: "第 3 行".into(),
            },
            BundleBreak::NotABundle {
                detail: "第 3 行".into(),
            },
            BundleBreak::UnknownFormat {
                format: "证据包/9".into(),
            },
            BundleBreak::UnknownSubjectKind {
                kind: "合同".into(),
            },
            BundleBreak::BundleKeyMalformed(not_signed()),
            BundleBreak::GivenKeyMalformed(CheckpointError::BadSignature { name: "甲".into() }),
            BundleBreak::KeyDiffers {
                bundle_key: "密钥甲".into(),
                given_key: "密钥乙".into(),
            },
            BundleBreak::FingerprintMismatch,
            BundleBreak::OriginNotKeyName,
            BundleBreak::Signature(not_signed()),
            BundleBreak::CheckpointBody(CheckpointError::BadSignature { name: "甲".into() }),
            BundleBreak::CheckpointOtherOrigin,
            BundleBreak::CheckpointDiffers,
            BundleBreak::CheckpointInsideTree,
            BundleBreak::ManifestLineDiffers {
                line: 7,
                signed: "17 ab".into(),
                bundle: "18 cd".into(),
            },
            BundleBreak::ManifestLength {
                signed: 9,
                bundle: 8,
            },
            BundleBreak::PositionOrder,
            BundleBreak::CanonicalNotBase64,
            BundleBreak::LeafHashMismatch,
            BundleBreak::RecordHashMismatch,
            BundleBreak::Undecodable {
                position: 17,
                detail: "截断".into(),
            },
            BundleBreak::PositionMismatch { found: 18 },
            BundleBreak::PayloadNotJson {
                detail: "第 3 行".into(),
            },
            BundleBreak::ViewDiffers,
            BundleBreak::OutOfScope {
                kind: "customer".into(),
                id: Uuid::from_u128(0xc0ffee),
            },
            BundleBreak::InclusionProof(MerkleError::RootMismatch {
                role: HashRole::Root,
                expected: hash.to_string(),
                computed: Hash32::ZERO.to_string(),
            }),
            BundleBreak::StreamVersionMissing {
                expected: 2,
                found: 3,
            },
            BundleBreak::PolicyVersionMissing {
                missing: 4,
                before: 3,
                after: 5,
            },
            BundleBreak::AttachmentsPayload {
                detail: "第 3 行".into(),
            },
            BundleBreak::AttachmentsDiffer,
            BundleBreak::ContentNotBase64,
            BundleBreak::ContentHashMismatch,
            BundleBreak::SchemaVersionsDiffer,
            BundleBreak::TimelineLineDiffers { line: 4 },
            BundleBreak::ReEncoding {
                detail: "第 3 行".into(),
            },
            BundleBreak::NotCanonical,
            BundleBreak::QuorumImpossible {
                quorum: 3,
                given: 2,
            },
            BundleBreak::QuorumNotMet {
                cosigned: 1,
                given: 2,
                quorum: 2,
                missing: vec![MissingCosignature {
                    witness: "见证人甲".into(),
                    failure: not_signed(),
                }],
            },
        ]
    }

    #[test]
    fn every_bundle_break_is_worded_in_chinese_without_english_words() {
        let breaks = every_break();
        let kinds: std::collections::BTreeSet<&str> =
            breaks.iter().map(BundleBreak::kind).collect();
        assert_eq!(kinds.len(), breaks.len(), "one sample per variant");
        assert_eq!(breaks.len(), 38, "a new variant wants a sample here");
        for cause in &breaks {
            let chinese = bundle_break_in(Lang::ZhCn, cause);
            assert!(has_chinese(&chinese), "{}: {chinese}", cause.kind());
            let left = english_words(&chinese);
            assert!(
                left.is_empty(),
                "{}: English {left:?} in {chinese}",
                cause.kind()
            );
            // The English wording is the Display the JSON output carries.
            let english = bundle_break_in(Lang::En, cause);
            assert_eq!(english, cause.to_string(), "{}", cause.kind());
        }
    }

    #[test]
    fn every_bundle_location_is_worded_in_both_languages() {
        let locations = [
            BundleLocation::Bundle,
            BundleLocation::Key,
            BundleLocation::Checkpoint,
            BundleLocation::Manifest,
            BundleLocation::Event {
                index: 2,
                position: 4,
            },
            BundleLocation::Stream {
                stream: "流-1".into(),
            },
            BundleLocation::Attachments,
            BundleLocation::Attachment {
                sha256: Hash32::sha256(b"x"),
            },
            BundleLocation::SchemaVersions,
            BundleLocation::Timeline,
            BundleLocation::Witnesses,
        ];
        for location in &locations {
            let chinese = bundle_location_in(Lang::ZhCn, location);
            assert!(has_chinese(&chinese), "{chinese}");
            assert!(english_words(&chinese).is_empty(), "{chinese}");
            assert_eq!(bundle_location_in(Lang::En, location), location.to_string());
        }
        let error = BundleError {
            location: BundleLocation::Event {
                index: 2,
                position: 4,
            },
            reason: BundleBreak::ViewDiffers,
        };
        assert_eq!(
            bundle_failure_in(Lang::ZhCn, &error),
            "第 2 号事件（位置 4）：可读记录与规范字节不一致"
        );
        assert_eq!(bundle_failure_in(Lang::En, &error), error.to_string());
    }

    #[test]
    fn every_flaw_of_a_note_checkpoint_or_key_is_worded_in_both_languages() {
        // Names of formats and literal prefixes stay as written.
        const FORMAT_TOKENS: &[&str] = &[
            "Ed25519",
            "cosignature",
            "v1",
            "0x01",
            "0x04",
            "PRIVATE",
            "KEY",
        ];
        for flaw in Flaw::ALL {
            let chinese = flaw_in(Lang::ZhCn, *flaw);
            assert!(has_chinese(&chinese), "{flaw:?}: {chinese}");
            let left: Vec<String> = english_words(&chinese)
                .into_iter()
                .filter(|word| !FORMAT_TOKENS.contains(&word.as_str()))
                .collect();
            assert!(left.is_empty(), "{flaw:?}: English {left:?} in {chinese}");
            assert_eq!(flaw_in(Lang::En, *flaw), flaw.to_string());
        }
        let error = CheckpointError::MalformedKey(Flaw::NotNameKeyIdKey);
        assert_eq!(
            note_error_in(Lang::ZhCn, &error),
            "验证密钥格式有误：格式应为 名称+密钥编号+密钥"
        );
    }

    #[test]
    fn merkle_and_note_errors_are_worded_in_both_languages() {
        let merkle = [
            MerkleError::EmptyTree,
            MerkleError::LeafIndexOutOfRange {
                index: 9,
                tree_size: 8,
            },
            MerkleError::SizesOutOfOrder { size1: 9, size2: 8 },
            MerkleError::EmptyOldTree,
            MerkleError::SizeBeyondTree {
                requested: 9,
                available: 8,
            },
            MerkleError::MalformedHash {
                role: HashRole::LeafHash,
                len: 31,
            },
            MerkleError::MalformedHash {
                role: HashRole::ProofElement(2),
                len: 31,
            },
            MerkleError::WrongProofLength {
                expected: 3,
                actual: 2,
            },
            MerkleError::RootsDiffer { size: 8 },
            MerkleError::RootMismatch {
                role: HashRole::OldRoot,
                expected: "ab".into(),
                computed: "cd".into(),
            },
            MerkleError::RootMismatch {
                role: HashRole::NewRoot,
                expected: "ab".into(),
                computed: "cd".into(),
            },
            MerkleError::MissingNode { level: 1, index: 2 },
            MerkleError::TreeFull,
        ];
        for error in &merkle {
            let chinese = merkle_error_in(Lang::ZhCn, error);
            assert!(has_chinese(&chinese), "{chinese}");
            assert!(english_words(&chinese).is_empty(), "{chinese}");
            assert_eq!(merkle_error_in(Lang::En, error), error.to_string());
        }
        for error in [
            CheckpointError::MalformedNote(Flaw::NoSignatureLines),
            CheckpointError::MalformedCheckpoint(Flaw::NoFinalNewline),
            CheckpointError::MalformedKey(Flaw::KeyNotBase64),
            not_signed(),
            CheckpointError::BadSignature { name: "甲".into() },
        ] {
            let chinese = note_error_in(Lang::ZhCn, &error);
            assert!(has_chinese(&chinese), "{chinese}");
            assert!(english_words(&chinese).is_empty(), "{chinese}");
            assert_eq!(note_error_in(Lang::En, &error), error.to_string());
        }
        assert_eq!(subject_kind_in(Lang::ZhCn, "lead"), "线索");
        assert_eq!(subject_kind_in(Lang::En, "lead"), "lead");
    }
}
