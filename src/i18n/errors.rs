//! The typed reasons the library crates give for a log, an export or an
//! evidence bundle that does not verify, and for a view that stopped,
//! worded from the CLI catalogue: the one place the binary turns them into
//! a sentence a person reads. Their English `Display` stays for logs and
//! JSON (`reason`, beside the stable `kind`).
//!
//! Nothing here lists a variant. Each error type's serde form (the
//! variant's `snake_case` name, then its fields) names its message and
//! gives its variables: variant `position_gap { expected, found }` of a
//! chain break is message `cli-err-chain-position-gap` with `$expected`
//! and `$found`; a newtype variant's value is `$detail`. A `Family` says
//! which messages word one type, which fields another type words (a
//! Merkle error's `role`, a note error's flaw) and how a field is written
//! when it is not plain text. The tests word one of every variant in both
//! languages and hold every `cli-err-` message to being used.

use salesledger_commands::CommandError;
use salesledger_domain::DomainError;
use salesledger_replay::audit::bundle::{
    BundleError, BUNDLE_FORMAT, BUNDLE_FORMAT_V1, BUNDLE_FORMAT_V2,
};
use salesledger_replay::audit::checkpoint::CheckpointError;
use salesledger_replay::audit::merkle::HASH_LEN;
use salesledger_replay::audit::{AuditBreak, AuditError};
use salesledger_replay::readmodel::FailureCause;
use salesledger_store::{ChainBreak, StoreError};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{catalogue_message, Catalogue, Lang};

/// How a field the family does not word otherwise is written.
#[derive(Clone, Copy)]
enum Form {
    /// Text as it is, numbers in decimal.
    Plain,
    /// Text in double quotes with Rust's escapes (a value read from a
    /// file, shown exactly).
    Quoted,
    /// A number in eight hex digits (a key id).
    Hex8,
}

/// The messages that word one error type.
struct Family {
    /// A struct's message, or the start of an enum's: variant `kind` is
    /// message `<key>-<kind with '-' for '_'>`.
    key: &'static str,
    /// A struct (one message) rather than an enum.
    is_struct: bool,
    /// Fields another family words, by `field` or `variant.field`, and
    /// newtype variants whose value another family words, by the
    /// variant's name; a list's items are worded one by one and joined.
    nested: &'static [(&'static str, &'static Family)],
    /// Fields written in another [`Form`] than plain, by `field` or
    /// `variant.field`.
    forms: &'static [(&'static str, Form)],
    /// Constants some of the family's messages name (named unlike any
    /// field of the type: a field would replace a constant of its name).
    constants: fn() -> Vec<(&'static str, String)>,
    /// Values outside the catalogue are words of their own (subject
    /// kinds): one with no message is written as it is.
    open: bool,
}

fn no_constants() -> Vec<(&'static str, String)> {
    Vec::new()
}

const fn family(key: &'static str) -> Family {
    Family {
        key,
        is_struct: false,
        nested: &[],
        forms: &[],
        constants: no_constants,
        open: false,
    }
}

static NAME: Family = family("cli-err-name");
static CHAIN: Family = Family {
    nested: &[("problem", &NAME)],
    ..family("cli-err-chain")
};
static EXPORT: Family = Family {
    forms: &[
        ("wrong_format.found", Form::Quoted),
        ("wrong_format.expected", Form::Quoted),
    ],
    ..family("cli-err-export")
};
static VIEW: Family = family("cli-err-view");
static AUDIT: Family = Family {
    nested: &[("chain", &CHAIN)],
    ..family("cli-err-audit")
};
static SUBJECT: Family = Family {
    open: true,
    ..family("cli-err-subject")
};
static LOCATION: Family = family("cli-err-at");
static FLAW: Family = family("cli-err-flaw");
static NOTE: Family = Family {
    nested: &[
        ("malformed_note", &FLAW),
        ("malformed_checkpoint", &FLAW),
        ("malformed_key", &FLAW),
    ],
    forms: &[("key_id", Form::Hex8)],
    ..family("cli-err-note")
};
static ROLE: Family = family("cli-err-role");
static MERKLE: Family = Family {
    nested: &[("role", &ROLE)],
    constants: || vec![("hash_len", HASH_LEN.to_string())],
    ..family("cli-err-merkle")
};
static MISSING: Family = Family {
    is_struct: true,
    nested: &[("failure", &NOTE)],
    ..family("cli-err-bundle-not-cosigned-by")
};
static BUNDLE: Family = Family {
    nested: &[
        ("bundle_key_malformed", &NOTE),
        ("given_key_malformed", &NOTE),
        ("signature", &NOTE),
        ("checkpoint_body", &NOTE),
        ("inclusion_proof", &MERKLE),
        ("out_of_scope.kind", &SUBJECT),
        ("quorum_not_met.missing", &MISSING),
    ],
    forms: &[
        ("format", Form::Quoted),
        ("unknown_subject_kind.kind", Form::Quoted),
        ("manifest_line_differs.signed", Form::Quoted),
        ("manifest_line_differs.bundle", Form::Quoted),
    ],
    constants: || {
        vec![
            ("format_v3", format!("{BUNDLE_FORMAT:?}")),
            ("format_v2", format!("{BUNDLE_FORMAT_V2:?}")),
            ("format_v1", format!("{BUNDLE_FORMAT_V1:?}")),
        ]
    },
    ..family("cli-err-bundle")
};
static BUNDLE_FAILURE: Family = Family {
    is_struct: true,
    nested: &[("location", &LOCATION), ("reason", &BUNDLE)],
    ..family("cli-err-bundle-failure")
};

/// `value` in `lang` through `family`, its English `Display` when the
/// catalogue lacks a message it needs.
fn worded<T: Serialize + std::fmt::Display>(lang: Lang, family: &Family, value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|form| word(lang, family, &form, &mut Vec::new()))
        .unwrap_or_else(|| value.to_string())
}

/// `value` (a serde form) in `lang`, each message's key pushed on `used`;
/// `None` when a message is missing in both languages.
fn word(lang: Lang, family: &Family, value: &Value, used: &mut Vec<String>) -> Option<String> {
    let empty = Map::new();
    let (key, variant, fields, newtype) = match value {
        Value::Object(fields) if family.is_struct => (family.key.to_owned(), "", fields, None),
        Value::String(kind) => (variant_key(family, kind), kind.as_str(), &empty, None),
        Value::Object(tagged) if tagged.len() == 1 => {
            let (kind, inner) = tagged.iter().next()?;
            // A newtype variant holding a struct or an enum is told from a
            // struct variant by the family naming the variant as nested
            // (one left out would miss its `$detail`: the tests word one
            // of every variant and fail on it).
            let newtype = family.nested.iter().any(|(name, _)| name == kind);
            match inner {
                Value::Object(fields) if !newtype => {
                    (variant_key(family, kind), kind.as_str(), fields, None)
                }
                inner => (
                    variant_key(family, kind),
                    kind.as_str(),
                    &empty,
                    Some(inner),
                ),
            }
        }
        _ => return None,
    };
    let mut args: Vec<(String, String)> = (family.constants)()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    for (name, value) in fields {
        args.push((
            name.clone(),
            argument(lang, family, variant, name, value, used)?,
        ));
    }
    if let Some(inner) = newtype {
        let detail = argument(lang, family, variant, variant, inner, used)?;
        args.push(("detail".to_owned(), detail));
    }
    let text = catalogue_message(Catalogue::Cli, lang, &key, &args)
        .or_else(|| catalogue_message(Catalogue::Cli, Lang::En, &key, &args));
    match (text, value) {
        (Some(text), _) => {
            used.push(key);
            Some(text)
        }
        (None, Value::String(own)) if family.open => Some(own.clone()),
        (None, _) => None,
    }
}

/// The message of variant `kind` of `family`.
fn variant_key(family: &Family, kind: &str) -> String {
    format!("{}-{}", family.key, kind.replace('_', "-"))
}

/// What `table` says of field `name` of `variant`: under `variant.name`,
/// else under `name`.
fn lookup<'t, T>(table: &'t [(&'static str, T)], variant: &str, name: &str) -> Option<&'t T> {
    let qualified = format!("{variant}.{name}");
    let find = |wanted: &str| table.iter().find(|(at, _)| *at == wanted);
    find(&qualified)
        .or_else(|| find(name))
        .map(|(_, entry)| entry)
}

/// Field `name` of `variant` as a message variable.
fn argument(
    lang: Lang,
    family: &Family,
    variant: &str,
    name: &str,
    value: &Value,
    used: &mut Vec<String>,
) -> Option<String> {
    if let Some(nested) = lookup(family.nested, variant, name) {
        return match value {
            Value::Array(items) => {
                let items = items
                    .iter()
                    .map(|item| word(lang, nested, item, used))
                    .collect::<Option<Vec<_>>>()?;
                Some(items.join(match lang {
                    Lang::En => ", ",
                    Lang::ZhCn => "；",
                }))
            }
            value => word(lang, nested, value, used),
        };
    }
    let form = lookup(family.forms, variant, name).copied();
    Some(match (value, form.unwrap_or(Form::Plain)) {
        (Value::String(text), Form::Quoted) => format!("{text:?}"),
        (Value::String(text), _) => text.clone(),
        (Value::Number(number), Form::Hex8) => format!("{:08x}", number.as_u64()?),
        // An absent value: messages select their wording on it.
        (Value::Null, _) => "none".to_owned(),
        (other, _) => other.to_string(),
    })
}

/// `cause` in the CLI's language.
pub fn chain_break(cause: &ChainBreak) -> String {
    worded(super::cli_lang(), &CHAIN, cause)
}

/// Why a view stopped, in the CLI's language.
pub fn failure_cause(cause: &FailureCause) -> String {
    failure_cause_in(super::cli_lang(), cause)
}

/// Why a view stopped, in `lang`. A projector's own refusal
/// ([`FailureCause::Projection`]) is its words (English) in a worded frame.
pub fn failure_cause_in(lang: Lang, cause: &FailureCause) -> String {
    worded(lang, &VIEW, cause)
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
    worded(super::cli_lang(), &AUDIT, cause)
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
    let lang = super::cli_lang();
    match error {
        AuditError::Export { line, cause } => anyhow::anyhow!(crate::t!(
            "cli-export-line-broken",
            line = line,
            reason = worded(lang, &EXPORT, &cause)
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

/// An error and its causes on one line, `: ` between them, as `{:#}`
/// writes them, with each domain refusal among them (alone or as a
/// command's) worded in the CLI's language: what the CLI prints when a
/// command fails.
pub fn error_chain(error: &anyhow::Error) -> String {
    error_chain_in(super::cli_lang(), error)
}

/// [`error_chain`] in `lang`.
pub fn error_chain_in(lang: Lang, error: &anyhow::Error) -> String {
    error
        .chain()
        .map(|cause| {
            let domain = cause.downcast_ref::<DomainError>().or_else(|| {
                match cause.downcast_ref::<CommandError>() {
                    Some(CommandError::Domain(domain)) => Some(domain),
                    _ => None,
                }
            });
            if let Some(text) = webhook_key_error(lang, cause) {
                return text;
            }
            domain.map_or_else(
                || cause.to_string(),
                |domain| super::domain_detail(lang, domain),
            )
        })
        .collect::<Vec<_>>()
        .join(": ")
}

/// The webhook key file missing or not the one that sealed the secrets
/// (what stops `serve`, with what the operator must do), in `lang`; any
/// other error `None`.
fn webhook_key_error(lang: Lang, cause: &(dyn std::error::Error + 'static)) -> Option<String> {
    use crate::webhooks::secrets::SecretError;
    use crate::webhooks::subscriptions::SubscriptionsError;
    let secret = cause.downcast_ref::<SecretError>().or_else(|| {
        match cause.downcast_ref::<SubscriptionsError>() {
            Some(SubscriptionsError::Secret(secret)) => Some(secret),
            _ => None,
        }
    })?;
    match secret {
        SecretError::MissingKey { path } => Some(crate::t_in!(
            lang,
            "cli-webhook-key-missing",
            path = path.display()
        )),
        SecretError::WrongKey { path } => Some(crate::t_in!(
            lang,
            "cli-webhook-key-wrong",
            path = path.display()
        )),
        _ => None,
    }
}

/// Why a Merkle proof does not verify, in the CLI's language.
pub fn merkle_error(error: &salesledger_replay::audit::merkle::MerkleError) -> String {
    worded(super::cli_lang(), &MERKLE, error)
}

/// A bundle's failure (where and what) in the CLI's language.
pub fn bundle_failure(error: &BundleError) -> String {
    worded(super::cli_lang(), &BUNDLE_FAILURE, error)
}

/// A bundle's subject kind (`customer`, `lead`, `proposal`) in the CLI's
/// language; an unknown kind as it is.
pub fn subject_kind(kind: &str) -> String {
    worded(super::cli_lang(), &SUBJECT, &kind)
}

/// What is wrong with a signed note, a checkpoint's text or a key, in
/// the CLI's language.
pub fn note_error(error: &CheckpointError) -> String {
    worded(super::cli_lang(), &NOTE, error)
}

#[cfg(test)]
mod tests;
