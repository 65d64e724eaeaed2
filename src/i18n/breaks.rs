//! The typed reasons the library crates give for a log that does not
//! verify ([`ChainBreak`] from the store, [`AuditBreak`] from the audit
//! layer), worded from the CLI catalogue with their fields: the one place
//! the binary turns them into a sentence a person reads. Their English
//! `Display` stays for logs and JSON (`reason`, beside the stable `kind`).

use salesledger_replay::audit::AuditBreak;
use salesledger_store::ChainBreak;

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
        // A break a newer store names and this binary does not know yet:
        // its English words rather than nothing.
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
}
