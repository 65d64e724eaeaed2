use std::collections::BTreeSet;

use salesledger_replay::audit::bundle::{BundleBreak, BundleLocation, MissingCosignature};
use salesledger_replay::audit::checkpoint::Flaw;
use salesledger_replay::audit::merkle::{HashRole, MerkleError};
use salesledger_replay::audit::ExportBreak;
use salesledger_store::{Hash32, NameProblem};
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

/// `value` worded in both languages, strictly (every message found in the
/// language asked for), each message's key added to `used`.
fn both<T: Serialize>(family: &Family, value: &T, used: &mut BTreeSet<String>) -> [String; 2] {
    let form = serde_json::to_value(value).expect("a serde form");
    Lang::ALL.map(|lang| {
        let mut keys = Vec::new();
        let text = word(lang, family, &form, &mut keys)
            .unwrap_or_else(|| panic!("{form}: a message is missing ({keys:?})"));
        // No fallback to English hid a missing translation.
        let catalogue = super::super::keys(match lang {
            Lang::En => super::super::EN_CLI_FTL,
            Lang::ZhCn => super::super::ZH_CN_CLI_FTL,
        });
        for key in &keys {
            assert!(catalogue.contains(key), "{key} is not in {}", lang.tag());
        }
        used.extend(keys);
        text
    })
}

/// Chinese with no English word left, English different.
fn assert_chinese(english: &str, chinese: &str, allowed: &[&str]) {
    assert!(has_chinese(chinese), "{chinese}");
    let left: Vec<String> = english_words(chinese)
        .into_iter()
        .filter(|word| !allowed.contains(&word.as_str()))
        .collect();
    assert!(left.is_empty(), "English {left:?} in {chinese}");
    assert_ne!(english, chinese);
}

fn not_signed() -> CheckpointError {
    CheckpointError::NotSigned {
        name: "见证人甲".into(),
        key_id: 0x0a1b_2c3d,
    }
}

fn chain_breaks() -> Vec<ChainBreak> {
    let hash = Hash32::sha256(b"x");
    vec![
        ChainBreak::PositionGap {
            expected: 3,
            found: 4,
        },
        ChainBreak::PrevHashMismatch {
            expected: hash,
            found: Hash32::ZERO,
        },
        ChainBreak::HashMismatch {
            stored: hash,
            computed: Hash32::ZERO,
        },
        ChainBreak::StreamVersionJump {
            stream: "客户-1".into(),
            found: 5,
            expected: 2,
        },
        ChainBreak::TimeGoesBackwards,
        ChainBreak::RecordMissing,
        ChainBreak::HeadMismatch,
        ChainBreak::Undecodable {
            detail: "空记录".into(),
        },
        ChainBreak::InvalidStreamId {
            problem: NameProblem::Empty,
        },
        ChainBreak::InvalidStreamId {
            problem: NameProblem::TooLong { max: 256 },
        },
        ChainBreak::InvalidStreamId {
            problem: NameProblem::ControlCharacters,
        },
    ]
}

fn export_breaks() -> Vec<ExportBreak> {
    let detail = || "第 1 行第 1 列".to_owned();
    vec![
        ExportBreak::NoHeader,
        ExportBreak::BadHeader { detail: detail() },
        ExportBreak::WrongFormat {
            found: "other/1".into(),
            expected: "salesledger-export/1",
        },
        ExportBreak::Read { detail: detail() },
        ExportBreak::NotARecordLine { detail: detail() },
        ExportBreak::NotBase64,
        ExportBreak::Undecodable { detail: detail() },
        ExportBreak::PositionMismatch {
            line_says: 4,
            record_says: 5,
        },
        ExportBreak::EndsEarly {
            found: 3,
            expected: 12,
        },
        ExportBreak::HeadHashDiffers,
        ExportBreak::TooManyRecords { expected: 12 },
        ExportBreak::Write { detail: detail() },
        ExportBreak::RecordMissing { position: 7 },
        ExportBreak::LogOutOfOrder { found: 9 },
    ]
}

fn view_failures() -> Vec<FailureCause> {
    vec![
        FailureCause::Projection {
            detail: "客户 7 没有输入".into(),
        },
        FailureCause::Panicked,
        FailureCause::Undecodable {
            detail: "未知事件".into(),
        },
        FailureCause::ProviderFailed {
            provider: "customers",
            position: 17,
        },
        FailureCause::Tables {
            detail: "磁盘已满".into(),
        },
        FailureCause::ReadLog {
            detail: "已关闭".into(),
        },
    ]
}

fn audit_breaks() -> Vec<AuditBreak> {
    let hash = Hash32::sha256(b"x").to_hex();
    vec![
        AuditBreak::Chain(ChainBreak::RecordMissing),
        AuditBreak::MerkleNode {
            level: 1,
            index: 2,
            stored: Some(hash.clone()),
            computed: hash.clone(),
        },
        AuditBreak::MerkleNode {
            level: 1,
            index: 2,
            stored: None,
            computed: hash.clone(),
        },
        AuditBreak::CheckpointKeyNotPublished {
            key: "salesledger/x+00000000+AQ".into(),
        },
        AuditBreak::CheckpointUnsigned {
            detail: "签名无效".into(),
        },
        AuditBreak::CheckpointEmpty,
        AuditBreak::CheckpointRootMismatch {
            signed: hash.clone(),
            tree_size: 4,
            computed: hash,
        },
        AuditBreak::CheckpointShrinks {
            tree_size: 3,
            previous: 4,
        },
        AuditBreak::CheckpointInconsistent {
            detail: "证明不符".into(),
        },
        AuditBreak::CheckpointTree {
            detail: "缺节点".into(),
        },
    ]
}

/// One of every [`BundleBreak`], with values that hold no English.
fn bundle_breaks() -> Vec<BundleBreak> {
    let hash = Hash32::sha256(b"x");
    vec![
        BundleBreak::NotJson {
            detail: "第 3 行".into(),
        },
        BundleBreak::DuplicateKey {
            key: "记录".into()
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
            missing: vec![
                MissingCosignature {
                    witness: "见证人甲".into(),
                    failure: not_signed(),
                },
                MissingCosignature {
                    witness: "见证人乙".into(),
                    failure: CheckpointError::MalformedNote(Flaw::NoSignatureLines),
                },
            ],
        },
    ]
}

fn bundle_locations() -> Vec<BundleLocation> {
    vec![
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
    ]
}

fn merkle_errors() -> Vec<MerkleError> {
    vec![
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
        MerkleError::Store(Box::new(std::io::Error::other("磁盘已满"))),
    ]
}

fn note_errors() -> Vec<CheckpointError> {
    vec![
        CheckpointError::MalformedNote(Flaw::NoSignatureLines),
        CheckpointError::MalformedCheckpoint(Flaw::NoFinalNewline),
        CheckpointError::MalformedKey(Flaw::KeyNotBase64),
        not_signed(),
        CheckpointError::BadSignature { name: "甲".into() },
    ]
}

#[test]
fn the_log_and_view_errors_are_worded_in_both_languages() {
    let mut used = BTreeSet::new();
    for cause in chain_breaks() {
        let [english, chinese] = both(&CHAIN, &cause, &mut used);
        assert_chinese(&english, &chinese, &["ID"]);
        assert_eq!(cause.kind(), serde_kind(&cause), "one vocabulary");
    }
    for cause in export_breaks() {
        let [english, chinese] = both(&EXPORT, &cause, &mut used);
        assert_chinese(
            &english,
            &chinese,
            &["other", "salesledger", "export", "canonical"],
        );
        assert_eq!(cause.kind(), serde_kind(&cause), "one vocabulary");
    }
    for cause in view_failures() {
        let [english, chinese] = both(&VIEW, &cause, &mut used);
        assert_chinese(&english, &chinese, &["customers"]);
    }
    for cause in audit_breaks() {
        let [english, chinese] = both(&AUDIT, &cause, &mut used);
        // A key (its name and base64) and a flag are not words.
        assert_chinese(
            &english,
            &chinese,
            &["Merkle", "salesledger", "x", "AQ", "pubkey"],
        );
    }
    // A nested value and an absent one take their own wording.
    let [english, chinese] = both(
        &CHAIN,
        &ChainBreak::InvalidStreamId {
            problem: NameProblem::TooLong { max: 256 },
        },
        &mut used,
    );
    assert_eq!(english, "stream id exceeds 256 bytes");
    assert_eq!(chinese, "流 ID 超过 256 字节");
    let missing = &audit_breaks()[2];
    assert_eq!(both(&AUDIT, missing, &mut used)[0], missing.to_string());
    assert!(!used.is_empty());
}

/// The variant name of `value`'s serde form.
fn serde_kind<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value).expect("a serde form") {
        Value::String(kind) => kind,
        Value::Object(tagged) => tagged.keys().next().cloned().unwrap_or_default(),
        other => panic!("not a variant: {other}"),
    }
}

#[test]
fn every_bundle_break_is_worded_in_chinese_without_english_words() {
    let breaks = bundle_breaks();
    let kinds: BTreeSet<&str> = breaks.iter().map(BundleBreak::kind).collect();
    assert_eq!(kinds.len(), breaks.len(), "one sample per variant");
    assert_eq!(breaks.len(), 39, "a new variant wants a sample here");
    let mut used = BTreeSet::new();
    for cause in &breaks {
        let [english, chinese] = both(&BUNDLE, cause, &mut used);
        assert_chinese(&english, &chinese, &[]);
        // The English wording is the Display the JSON output carries.
        assert_eq!(english, cause.to_string(), "{}", cause.kind());
        assert_eq!(cause.kind(), serde_kind(cause), "one vocabulary");
    }
    for location in &bundle_locations() {
        let [english, chinese] = both(&LOCATION, location, &mut used);
        assert_chinese(&english, &chinese, &[]);
        assert_eq!(english, location.to_string());
    }
    let error = BundleError {
        location: BundleLocation::Event {
            index: 2,
            position: 4,
        },
        reason: BundleBreak::ViewDiffers,
    };
    let [english, chinese] = both(&BUNDLE_FAILURE, &error, &mut used);
    assert_eq!(chinese, "第 2 号事件（位置 4）：可读记录与规范字节不一致");
    assert_eq!(english, error.to_string());
}

#[test]
fn every_merkle_note_and_flaw_error_is_worded_in_both_languages() {
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
    let mut used = BTreeSet::new();
    for flaw in Flaw::ALL {
        let [english, chinese] = both(&FLAW, flaw, &mut used);
        assert_chinese(&english, &chinese, FORMAT_TOKENS);
        assert_eq!(english, flaw.to_string());
    }
    for error in &merkle_errors() {
        let [english, chinese] = both(&MERKLE, error, &mut used);
        assert_chinese(&english, &chinese, &[]);
        assert_eq!(english, error.to_string());
    }
    for error in &note_errors() {
        let [english, chinese] = both(&NOTE, error, &mut used);
        assert_chinese(&english, &chinese, &[]);
        assert_eq!(english, error.to_string());
    }
    let [_, chinese] = both(
        &NOTE,
        &CheckpointError::MalformedKey(Flaw::NotNameKeyIdKey),
        &mut used,
    );
    assert_eq!(chinese, "验证密钥格式有误：格式应为 名称+密钥编号+密钥");
    for kind in ["customer", "lead", "proposal"] {
        let [english, chinese] = both(&SUBJECT, &kind, &mut used);
        assert_eq!(english, kind);
        assert!(has_chinese(&chinese), "{chinese}");
    }
    assert_eq!(worded(Lang::ZhCn, &SUBJECT, &"lead"), "线索");
    assert_eq!(worded(Lang::ZhCn, &SUBJECT, &"合同"), "合同", "open set");
}

#[test]
fn every_error_message_of_the_catalogue_words_a_variant() {
    let mut used = BTreeSet::new();
    for cause in chain_breaks() {
        both(&CHAIN, &cause, &mut used);
    }
    for cause in export_breaks() {
        both(&EXPORT, &cause, &mut used);
    }
    for cause in view_failures() {
        both(&VIEW, &cause, &mut used);
    }
    for cause in audit_breaks() {
        both(&AUDIT, &cause, &mut used);
    }
    for reason in bundle_breaks() {
        for location in bundle_locations() {
            // The serde form of a `BundleError` (the break is not `Clone`).
            let error = serde_json::json!({ "location": location, "reason": &reason });
            both(&BUNDLE_FAILURE, &error, &mut used);
        }
    }
    for flaw in Flaw::ALL {
        both(&FLAW, flaw, &mut used);
    }
    for error in merkle_errors() {
        both(&MERKLE, &error, &mut used);
    }
    for error in note_errors() {
        both(&NOTE, &error, &mut used);
    }
    for kind in ["customer", "lead", "proposal"] {
        both(&SUBJECT, &kind, &mut used);
    }
    let unused: Vec<String> = super::super::keys(super::super::EN_CLI_FTL)
        .into_iter()
        .filter(|key| key.starts_with("cli-err-") && !used.contains(key))
        .collect();
    assert!(unused.is_empty(), "messages no variant uses: {unused:?}");
}

#[test]
fn a_command_refused_by_the_domain_is_said_in_the_cli_language() {
    use salesledger_domain::value::RescuePlanId;
    let plan_id = RescuePlanId::from_uuid(Uuid::from_u128(7));
    let refused = || {
        anyhow::Error::from(CommandError::Domain(
            DomainError::RescuePlanAlreadyApproved { plan_id },
        ))
        .context("publishing the file")
    };
    let english = error_chain_in(Lang::En, &refused());
    assert_eq!(
        english,
        format!("publishing the file: rescue plan {plan_id} is already approved")
    );
    let chinese = error_chain_in(Lang::ZhCn, &refused());
    assert_eq!(
        chinese,
        format!("publishing the file: 挽救方案 {plan_id} 已批准。")
    );
    // Any other error stays as it is.
    let other = anyhow::anyhow!("disk on fire").context("opening");
    assert_eq!(error_chain_in(Lang::ZhCn, &other), "opening: disk on fire");
}
