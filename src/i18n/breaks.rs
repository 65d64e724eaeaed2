//! The typed reasons the library crates give for a log that does not
//! verify ([`ChainBreak`] from the store, [`AuditBreak`] from the audit
//! layer), worded from the CLI catalogue with their fields: the one place
//! the binary turns them into a sentence a person reads. Their English
//! `Display` stays for logs and JSON (`reason`, beside the stable `kind`).
//! Also the refusals that carry them: an import the store refuses
//! ([`StoreError::ImportRejected`]), an export file that does not read
//! ([`ExportBreak`]), and why a view stopped ([`FailureCause`]).

use salesledger_replay::audit::{AuditBreak, AuditError, ExportBreak};
use salesledger_replay::readmodel::FailureCause;
use salesledger_store::{ChainBreak, NameProblem, StoreError};

use super::Lang;

/// `cause` in the CLI's language.
pub fn chain_break(cause: &ChainBreak) -> String {
    chain_break_in(super::cli_lang(), cause)
}

/// `cause` in `lang`.
pub fn chain_break_in(lang: Lang, cause: &ChainBreak) -> String {
    match cause {
        ChainBreak::PositionGap { expected, found } => crate::t_in!(
            lang,
            "cli-chain-position-gap",
            expected = expected,
            found = found
        ),
        ChainBreak::PrevHashMismatch { expected, found } => crate::t_in!(
            lang,
            "cli-chain-prev-hash-mismatch",
            expected = expected,
            found = found
        ),
        ChainBreak::HashMismatch { stored, computed } => crate::t_in!(
            lang,
            "cli-chain-hash-mismatch",
            stored = stored,
            computed = computed
        ),
        ChainBreak::StreamVersionJump {
            stream,
            found,
            expected,
        } => crate::t_in!(
            lang,
            "cli-chain-stream-version-jump",
            stream = stream,
            found = found,
            expected = expected
        ),
        ChainBreak::TimeGoesBackwards => crate::t_in!(lang, "cli-chain-time-goes-backwards"),
        ChainBreak::RecordMissing => crate::t_in!(lang, "cli-chain-record-missing"),
        ChainBreak::HeadMismatch => crate::t_in!(lang, "cli-chain-head-mismatch"),
        ChainBreak::Undecodable { detail } => {
            crate::t_in!(lang, "cli-chain-undecodable", detail = detail)
        }
        ChainBreak::InvalidStreamId { problem } => match problem {
            NameProblem::Empty => crate::t_in!(lang, "cli-chain-stream-id-empty"),
            NameProblem::TooLong { max } => {
                crate::t_in!(lang, "cli-chain-stream-id-too-long", max = max)
            }
            NameProblem::ControlCharacters => crate::t_in!(lang, "cli-chain-stream-id-control"),
            other => other.to_string(),
        },
        // A break a newer store names and this binary does not know yet:
        // its English words rather than nothing.
        other => other.to_string(),
    }
}

/// A store error for a person: an import the store refused worded in the
/// CLI's language, any other error as it is.
pub fn store_error(error: StoreError) -> anyhow::Error {
    match error {
        StoreError::ImportRejected { position, cause } => anyhow::anyhow!(crate::t!(
            "cli-chain-import-refused",
            position = position,
            reason = chain_break(&cause)
        )),
        other => other.into(),
    }
}

/// An audit error for a person: an export that does not read or does not
/// verify, or an import the store refused, worded in the CLI's language;
/// any other error as it is.
pub fn audit_error(error: AuditError) -> anyhow::Error {
    match error {
        AuditError::Export { line, cause } => anyhow::anyhow!(crate::t!(
            "cli-export-line-broken",
            line = line,
            reason = export_break(&cause)
        )),
        AuditError::ExportChain {
            line,
            position,
            cause,
        } => anyhow::anyhow!(crate::t!(
            "cli-export-line-chain-broken",
            line = line,
            position = position,
            reason = chain_break(&cause)
        )),
        AuditError::Store(error) => store_error(error),
        other => other.into(),
    }
}

/// `cause` in the CLI's language.
pub fn export_break(cause: &ExportBreak) -> String {
    export_break_in(super::cli_lang(), cause)
}

/// `cause` in `lang`.
pub fn export_break_in(lang: Lang, cause: &ExportBreak) -> String {
    match cause {
        ExportBreak::NoHeader => crate::t_in!(lang, "cli-export-break-no-header"),
        ExportBreak::BadHeader { detail } => {
            crate::t_in!(lang, "cli-export-break-bad-header", detail = detail)
        }
        ExportBreak::WrongFormat { found, expected } => crate::t_in!(
            lang,
            "cli-export-break-wrong-format",
            found = format!("{found:?}"),
            expected = format!("{expected:?}")
        ),
        ExportBreak::Read { detail } => {
            crate::t_in!(lang, "cli-export-break-read", detail = detail)
        }
        ExportBreak::NotARecordLine { detail } => {
            crate::t_in!(lang, "cli-export-break-not-a-record-line", detail = detail)
        }
        ExportBreak::NotBase64 => crate::t_in!(lang, "cli-export-break-not-base64"),
        ExportBreak::Undecodable { detail } => {
            crate::t_in!(lang, "cli-export-break-undecodable", detail = detail)
        }
        ExportBreak::PositionMismatch {
            line_says,
            record_says,
        } => crate::t_in!(
            lang,
            "cli-export-break-position-mismatch",
            line_says = line_says,
            record_says = record_says
        ),
        ExportBreak::EndsEarly { found, expected } => crate::t_in!(
            lang,
            "cli-export-break-ends-early",
            found = found,
            expected = expected
        ),
        ExportBreak::HeadHashDiffers => crate::t_in!(lang, "cli-export-break-head-hash-differs"),
        ExportBreak::TooManyRecords { expected } => {
            crate::t_in!(
                lang,
                "cli-export-break-too-many-records",
                expected = expected
            )
        }
        ExportBreak::Write { detail } => {
            crate::t_in!(lang, "cli-export-break-write", detail = detail)
        }
        ExportBreak::RecordMissing { position } => {
            crate::t_in!(lang, "cli-export-break-record-missing", position = position)
        }
        ExportBreak::LogOutOfOrder { found } => {
            crate::t_in!(lang, "cli-export-break-log-out-of-order", found = found)
        }
        other => other.to_string(),
    }
}

/// Why a view stopped, in the CLI's language.
pub fn failure_cause(cause: &FailureCause) -> String {
    failure_cause_in(super::cli_lang(), cause)
}

/// Why a view stopped, in `lang`. A projector's own refusal
/// ([`FailureCause::Projection`]) is its words (English) in a worded frame.
pub fn failure_cause_in(lang: Lang, cause: &FailureCause) -> String {
    match cause {
        FailureCause::Projection { detail } => {
            crate::t_in!(lang, "cli-view-failure-projection", detail = detail)
        }
        FailureCause::Panicked => crate::t_in!(lang, "cli-view-failure-panicked"),
        FailureCause::Undecodable { detail } => {
            crate::t_in!(lang, "cli-view-failure-undecodable", detail = detail)
        }
        FailureCause::ProviderFailed { provider, position } => crate::t_in!(
            lang,
            "cli-view-failure-provider-failed",
            provider = provider,
            position = position
        ),
        FailureCause::Tables { detail } => {
            crate::t_in!(lang, "cli-view-failure-tables", detail = detail)
        }
        FailureCause::ReadLog { detail } => {
            crate::t_in!(lang, "cli-view-failure-read-log", detail = detail)
        }
        other => other.to_string(),
    }
}

/// What failed (`record`, `merkle-tree`, `checkpoint`) in the CLI's
/// language.
pub fn audit_what(cause: &AuditBreak) -> String {
    let lang = super::cli_lang();
    match cause {
        AuditBreak::Chain(_) => crate::t_in!(lang, "cli-audit-what-record"),
        AuditBreak::MerkleNode { .. } => crate::t_in!(lang, "cli-audit-what-merkle-tree"),
        _ => crate::t_in!(lang, "cli-audit-what-checkpoint"),
    }
}

/// `cause` in the CLI's language.
pub fn audit_break(cause: &AuditBreak) -> String {
    audit_break_in(super::cli_lang(), cause)
}

/// `cause` in `lang`.
pub fn audit_break_in(lang: Lang, cause: &AuditBreak) -> String {
    match cause {
        AuditBreak::Chain(cause) => chain_break_in(lang, cause),
        AuditBreak::MerkleNode {
            level,
            index,
            stored: Some(stored),
            computed,
        } => crate::t_in!(
            lang,
            "cli-audit-merkle-node",
            level = level,
            index = index,
            stored = stored,
            computed = computed
        ),
        AuditBreak::MerkleNode {
            level,
            index,
            stored: None,
            computed,
        } => crate::t_in!(
            lang,
            "cli-audit-merkle-node-missing",
            level = level,
            index = index,
            computed = computed
        ),
        AuditBreak::NoSigningKey => crate::t_in!(lang, "cli-audit-no-signing-key"),
        AuditBreak::CheckpointUnsigned { detail } => {
            crate::t_in!(lang, "cli-audit-checkpoint-unsigned", detail = detail)
        }
        AuditBreak::CheckpointEmpty => crate::t_in!(lang, "cli-audit-checkpoint-empty"),
        AuditBreak::CheckpointRootMismatch {
            signed,
            tree_size,
            computed,
        } => crate::t_in!(
            lang,
            "cli-audit-checkpoint-root-mismatch",
            signed = signed,
            tree_size = tree_size,
            computed = computed
        ),
        AuditBreak::CheckpointShrinks {
            tree_size,
            previous,
        } => crate::t_in!(
            lang,
            "cli-audit-checkpoint-shrinks",
            tree_size = tree_size,
            previous = previous
        ),
        AuditBreak::CheckpointInconsistent { detail } => {
            crate::t_in!(lang, "cli-audit-checkpoint-inconsistent", detail = detail)
        }
        AuditBreak::CheckpointTree { detail } => {
            crate::t_in!(lang, "cli-audit-checkpoint-tree", detail = detail)
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use salesledger_store::Hash32;

    use super::*;

    #[test]
    fn every_chain_break_is_worded_in_both_languages() {
        let hash = Hash32::sha256(b"x");
        let breaks = [
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
                stream: "customer-1".into(),
                found: 5,
                expected: 2,
            },
            ChainBreak::TimeGoesBackwards,
            ChainBreak::RecordMissing,
            ChainBreak::HeadMismatch,
            ChainBreak::Undecodable {
                detail: "empty record".into(),
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
        ];
        for cause in breaks {
            let english = chain_break_in(Lang::En, &cause);
            let chinese = chain_break_in(Lang::ZhCn, &cause);
            assert!(!english.starts_with("cli-"), "{english}");
            assert!(
                chinese
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{chinese}"
            );
            assert_ne!(english, chinese);
        }
    }

    fn assert_worded(english: &str, chinese: &str) {
        assert!(!english.starts_with("cli-"), "{english}");
        assert!(
            chinese
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{chinese}"
        );
        assert_ne!(english, chinese);
    }

    #[test]
    fn every_export_break_is_worded_in_both_languages() {
        let detail = || "expected value at line 1 column 1".to_owned();
        let breaks = [
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
        ];
        for cause in breaks {
            assert_worded(
                &export_break_in(Lang::En, &cause),
                &export_break_in(Lang::ZhCn, &cause),
            );
        }
    }

    #[test]
    fn every_view_failure_is_worded_in_both_languages() {
        let causes = [
            FailureCause::Projection {
                detail: "health: customer 7 is due but has no inputs".into(),
            },
            FailureCause::Panicked,
            FailureCause::Undecodable {
                detail: "unknown event type".into(),
            },
            FailureCause::ProviderFailed {
                provider: "customers",
                position: 17,
            },
            FailureCause::Tables {
                detail: "disk full".into(),
            },
            FailureCause::ReadLog {
                detail: "closed".into(),
            },
        ];
        for cause in causes {
            assert_worded(
                &failure_cause_in(Lang::En, &cause),
                &failure_cause_in(Lang::ZhCn, &cause),
            );
        }
    }

    #[test]
    fn an_import_refusal_is_worded_in_chinese() {
        let error = store_error(StoreError::ImportRejected {
            position: 4,
            cause: ChainBreak::TimeGoesBackwards,
        });
        let text = error.to_string();
        // The CLI's language is the process's (English under tests unless
        // LANG says otherwise): either way a worded sentence.
        assert!(!text.starts_with("cli-"), "{text}");
        assert!(text.contains('4'), "{text}");
    }
}
