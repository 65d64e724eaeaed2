//! Messages in English and Chinese (issue 20), one home for the gateway
//! and the CLI.
//!
//! Two Fluent catalogues per language (`locales/<lang>/*.ftl`):
//!
//! - `problems.ftl`: the gateway's problem details. Every error answer
//!   keeps its stable `code` and `type`; its `title` and `detail` follow
//!   the request's `Accept-Language` (zh* -> zh-CN, anything else ->
//!   English), keyed by the problem `code` (the detail) and by
//!   `status-<n>` (the title); the problem's structured fields are the
//!   message's variables ([`crate::gateway::localize`]).
//! - `cli.ftl`: every message the CLI writes for a person (errors at the
//!   edge, progress labels, summaries, verdicts, the commands' `about`
//!   lines), keyed `cli-...`, looked up only through [`tr`] and the
//!   [`t!`](crate::t) macro so that tests/i18n.rs can check every key the
//!   code uses. The CLI's language is `--lang`, else the locale
//!   (`LC_ALL`, `LC_MESSAGES`, `LANG`: zh* -> zh-CN, anything else
//!   English). Machine-readable output (JSON, exported files, exit codes)
//!   never changes with the language.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

mod args;
pub mod command_line;
pub mod errors;

pub use args::domain_args;

/// English problem catalogue source.
pub const EN_FTL: &str = include_str!("locales/en/problems.ftl");
/// Simplified Chinese problem catalogue source.
pub const ZH_CN_FTL: &str = include_str!("locales/zh-CN/problems.ftl");
/// English CLI catalogue source.
pub const EN_CLI_FTL: &str = include_str!("locales/en/cli.ftl");
/// Simplified Chinese CLI catalogue source.
pub const ZH_CN_CLI_FTL: &str = include_str!("locales/zh-CN/cli.ftl");

/// Which catalogue a message comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Catalogue {
    /// The gateway's problem details (`problems.ftl`).
    Problems,
    /// The CLI's messages (`cli.ftl`).
    Cli,
}

/// A language the service answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    En,
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The BCP 47 tag (`Content-Language`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The problem catalogue source of this language.
    pub fn source(self) -> &'static str {
        self.catalogue(Catalogue::Problems)
    }

    /// The source of `catalogue` in this language.
    pub fn catalogue(self, catalogue: Catalogue) -> &'static str {
        match (catalogue, self) {
            (Catalogue::Problems, Lang::En) => EN_FTL,
            (Catalogue::Problems, Lang::ZhCn) => ZH_CN_FTL,
            (Catalogue::Cli, Lang::En) => EN_CLI_FTL,
            (Catalogue::Cli, Lang::ZhCn) => ZH_CN_CLI_FTL,
        }
    }

    /// The language `--lang` names: `zh-CN` (also `zh`, `zh_CN`, any
    /// case) or `en`; `None` for anything else.
    pub fn from_flag(value: &str) -> Option<Lang> {
        match value.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "zh" | "zh-cn" | "zh-hans" | "zh-hans-cn" => Some(Lang::ZhCn),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of a POSIX locale name (`zh_CN.UTF-8`, `zh_TW`,
    /// `en_US.UTF-8`, `C`...): zh* -> zh-CN, anything else English.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.trim().to_ascii_lowercase().starts_with("zh") {
            Lang::ZhCn
        } else {
            Lang::En
        }
    }

    /// The language of the environment: the first of `LC_ALL`,
    /// `LC_MESSAGES` and `LANG` that is set and not empty (POSIX order),
    /// through [`Lang::from_locale`]; English when none is.
    pub fn from_env() -> Lang {
        Self::from_env_vars(|name| std::env::var(name).ok())
    }

    /// [`Lang::from_env`] over any source of variables (for tests).
    pub fn from_env_vars(var: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .filter_map(var)
            .find(|value| !value.trim().is_empty())
            .map_or(Lang::En, |value| Lang::from_locale(&value))
    }

    /// The language an `Accept-Language` value asks for: the supported
    /// language of the highest weight (`zh`, `zh-CN`, `zh-Hans-CN`, ...
    /// -> zh-CN; `en*` or `*` -> English); English when nothing matches.
    pub fn negotiate(accept_language: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for item in accept_language.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let mut weight = 1000u16;
            for parameter in parts {
                let parameter = parameter.trim();
                if let Some(q) = parameter
                    .strip_prefix("q=")
                    .or_else(|| parameter.strip_prefix("Q="))
                {
                    weight = q
                        .trim()
                        .parse::<f32>()
                        .ok()
                        .filter(|q| (0.0..=1.0).contains(q))
                        .map_or(0, |q| (q * 1000.0).round() as u16);
                }
            }
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Lang::ZhCn
            } else if tag == "en" || tag.starts_with("en-") || tag == "*" {
                Lang::En
            } else {
                continue;
            };
            if weight == 0 {
                continue;
            }
            // Ties keep the earlier item (the client's order).
            if best.map_or(true, |(best_weight, _)| weight > best_weight) {
                best = Some((weight, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }
}

type Bundle = FluentBundle<FluentResource>;

fn bundle(catalogue: Catalogue, lang: Lang) -> &'static Bundle {
    static PROBLEMS: OnceLock<[Bundle; 2]> = OnceLock::new();
    static CLI: OnceLock<[Bundle; 2]> = OnceLock::new();
    let bundles = match catalogue {
        Catalogue::Problems => &PROBLEMS,
        Catalogue::Cli => &CLI,
    };
    let bundles = bundles.get_or_init(|| Lang::ALL.map(|lang| build_bundle(catalogue, lang)));
    &bundles[lang as usize]
}

fn build_bundle(catalogue: Catalogue, lang: Lang) -> Bundle {
    let langid = lang
        .tag()
        .parse::<unic_langid::LanguageIdentifier>()
        .unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    // Plain text answers: no Unicode isolation marks around variables.
    bundle.set_use_isolating(false);
    // The catalogues are compiled in and checked by tests/i18n.rs; a
    // syntax error there would leave the faulty entries out, never panic.
    let resource = match FluentResource::try_new(lang.catalogue(catalogue).to_owned()) {
        Ok(resource) => resource,
        Err((resource, errors)) => {
            tracing::error!(
                lang = lang.tag(),
                ?catalogue,
                ?errors,
                "message catalogue has errors"
            );
            resource
        }
    };
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(
            lang = lang.tag(),
            ?catalogue,
            ?errors,
            "message catalogue has errors"
        );
    }
    bundle
}

/// The problem message `id` in `lang` with `args`; `None` when the
/// catalogue has no such message or a variable it names was not given.
pub fn message(lang: Lang, id: &str, args: &[(String, String)]) -> Option<String> {
    catalogue_message(Catalogue::Problems, lang, id, args)
}

/// A bad POS line's `detail` in `lang`: message `pos_line_<code>` of the
/// problems catalogue with the values the line names; English (or a
/// message that cannot be completed) keeps the domain's sentence.
pub fn pos_line_detail(lang: Lang, error: &salesledger_domain::retail::PosLineError) -> String {
    let args: Vec<(String, String)> = error
        .args
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect();
    message_or(
        lang,
        &format!("pos_line_{}", error.code.as_str()),
        &args,
        &error.detail,
    )
}

/// A sentence the code wrote in English, for a reader of `lang`: the
/// English as it is, else message `id` of the problems catalogue with
/// `args` (the English when that cannot be completed).
pub fn message_or(lang: Lang, id: &str, args: &[(String, String)], english: &str) -> String {
    match lang {
        Lang::En => None,
        _ => message(lang, id, args),
    }
    .unwrap_or_else(|| english.to_owned())
}

/// A domain refusal for a reader of `lang`, worded as the gateway words
/// its problem `detail`: the problem message of its `code` with its fields
/// (the domain's English sentence in English, or when the message cannot
/// be completed). An invalid value's message names only what is invalid;
/// the rule it breaks follows in parentheses, as the domain states it.
pub fn domain_detail(lang: Lang, error: &salesledger_domain::DomainError) -> String {
    let mut args = domain_args(error);
    args.push(("code".to_owned(), error.code().to_owned()));
    let english = error.to_string();
    let worded = message_or(lang, error.code(), &args, &english);
    match error {
        salesledger_domain::DomainError::InvalidValue { reason, .. } if worded != english => {
            with_rule(&worded, reason)
        }
        _ => worded,
    }
}

/// A translated sentence that names what is invalid, with the rule it
/// breaks (as the domain states it) in parentheses before its full stop.
pub fn with_rule(worded: &str, rule: &str) -> String {
    format!("{}（{rule}）", worded.trim_end_matches('。'))
}

/// The message `id` of `catalogue` in `lang` with `args`; `None` when the
/// catalogue has no such message or a variable it names was not given.
pub fn catalogue_message(
    catalogue: Catalogue,
    lang: Lang,
    id: &str,
    args: &[(String, String)],
) -> Option<String> {
    let bundle = bundle(catalogue, lang);
    let pattern = bundle.get_message(id)?.value()?;
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(name.clone(), FluentValue::from(value.clone()));
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
    if errors.is_empty() {
        Some(text.into_owned())
    } else {
        None
    }
}

/// The message ids of a catalogue source.
pub fn keys(source: &str) -> BTreeSet<String> {
    source
        .lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|line| line.split_once(" ="))
        .map(|(key, _)| key.trim().to_owned())
        .collect()
}

static CLI_LANG: OnceLock<Lang> = OnceLock::new();

/// Fixes the CLI's language for this process (`--lang`); the first call
/// wins.
pub fn set_cli_lang(lang: Lang) {
    let _ = CLI_LANG.set(lang);
}

/// The CLI's language: the one [`set_cli_lang`] fixed, else the
/// environment's ([`Lang::from_env`]).
pub fn cli_lang() -> Lang {
    *CLI_LANG.get_or_init(Lang::from_env)
}

/// The CLI message `id` in the CLI's language with `args`: English when
/// the Chinese message is missing or incomplete, the id itself when even
/// English is (tests/i18n.rs keeps both from happening). Call it through
/// [`t!`](crate::t) with a literal id.
pub fn tr(id: &str, args: &[(&str, String)]) -> String {
    tr_in(cli_lang(), id, args)
}

/// [`tr`] in `lang`.
pub fn tr_in(lang: Lang, id: &str, args: &[(&str, String)]) -> String {
    let args: Vec<(String, String)> = args
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect();
    catalogue_message(Catalogue::Cli, lang, id, &args)
        .or_else(|| {
            tracing::warn!(id, lang = lang.tag(), "no complete CLI message");
            catalogue_message(Catalogue::Cli, Lang::En, id, &args)
        })
        .unwrap_or_else(|| id.to_owned())
}

/// A message both in English, for machine-readable output (which never
/// changes with the language), and in the CLI's language, for text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    /// The English message (JSON).
    pub english: String,
    /// The message in the CLI's language (text).
    pub text: String,
}

/// A CLI message in `lang`: `t_in!(lang, "cli-key", name = value, ...)`.
#[macro_export]
macro_rules! t_in {
    ($lang:expr, $id:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::tr_in($lang, $id, &[$((stringify!($name), ($value).to_string())),*])
    };
}

/// A CLI message as a [`Said`](crate::i18n::Said): `said!("cli-key",
/// name = value, ...)`; `said!("cli-key", name = worded(english, text))`
/// for a variable that is itself a sentence, written in English in the
/// English message and in the CLI's language in the other.
#[macro_export]
macro_rules! said {
    ($id:literal, $name:ident = worded($english:expr, $text:expr) $(,)?) => {{
        $crate::i18n::Said {
            english: $crate::i18n::tr_in(
                $crate::i18n::Lang::En,
                $id,
                &[(stringify!($name), ($english).to_string())],
            ),
            text: $crate::i18n::tr($id, &[(stringify!($name), ($text).to_string())]),
        }
    }};
    ($id:literal $(, $name:ident = $value:expr)* $(,)?) => {{
        let args: &[(&str, String)] = &[$((stringify!($name), ($value).to_string())),*];
        $crate::i18n::Said {
            english: $crate::i18n::tr_in($crate::i18n::Lang::En, $id, args),
            text: $crate::i18n::tr($id, args),
        }
    }};
}

/// A CLI message in the CLI's language: `t!("cli-key")` or
/// `t!("cli-key", name = value, ...)` (each value `Display`). The one way
/// the code names a CLI message, so tests/i18n.rs finds every key used.
#[macro_export]
macro_rules! t {
    ($id:literal) => {
        $crate::i18n::tr($id, &[])
    };
    ($id:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::tr($id, &[$((stringify!($name), ($value).to_string())),+])
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(Lang::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Lang::ZhCn);
        assert_eq!(Lang::negotiate("zh"), Lang::ZhCn);
        assert_eq!(Lang::negotiate("ZH-hans-cn"), Lang::ZhCn);
        assert_eq!(Lang::negotiate("en-US,en;q=0.9,zh-CN;q=0.5"), Lang::En);
        assert_eq!(Lang::negotiate("fr-FR, zh-TW;q=0.4"), Lang::ZhCn);
        assert_eq!(Lang::negotiate("fr-FR"), Lang::En);
        assert_eq!(Lang::negotiate("zh;q=0, en"), Lang::En);
        assert_eq!(Lang::negotiate("de;q=0.9, zh-CN;q=0.95"), Lang::ZhCn);
        assert_eq!(Lang::negotiate(""), Lang::En);
        assert_eq!(Lang::negotiate("zhx, *"), Lang::En);
    }

    #[test]
    fn the_cli_language_follows_lc_all_then_lc_messages_then_lang() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            Lang::from_env_vars(move |name| {
                vars.iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            })
        };
        assert_eq!(env(&[]), Lang::En);
        assert_eq!(env(&[("LANG", "zh_CN.UTF-8")]), Lang::ZhCn);
        assert_eq!(env(&[("LANG", "zh_TW")]), Lang::ZhCn);
        assert_eq!(env(&[("LANG", "C")]), Lang::En);
        assert_eq!(env(&[("LANG", "en_US.UTF-8")]), Lang::En);
        assert_eq!(env(&[("LANG", "fr_FR.UTF-8")]), Lang::En);
        assert_eq!(env(&[("LC_ALL", "C"), ("LANG", "zh_CN.UTF-8")]), Lang::En);
        assert_eq!(
            env(&[("LC_MESSAGES", "zh_CN.UTF-8"), ("LANG", "C")]),
            Lang::ZhCn
        );
        // An empty variable counts as unset.
        assert_eq!(env(&[("LC_ALL", ""), ("LANG", "zh_CN.UTF-8")]), Lang::ZhCn);
        assert_eq!(Lang::from_flag("zh-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_flag("ZH_cn"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_flag("en"), Some(Lang::En));
        assert_eq!(Lang::from_flag("fr"), None);
    }

    #[test]
    fn a_cli_message_falls_back_to_english_then_to_its_id() {
        let args = [("n", "3".to_owned()), ("head", "ab".to_owned())];
        assert_eq!(
            tr_in(Lang::ZhCn, "cli-verify-ok", &args),
            "通过：3 条记录校验无误；链头哈希 ab"
        );
        assert_eq!(
            tr_in(Lang::En, "cli-verify-ok", &args),
            "ok: 3 records verify; head hash ab"
        );
        assert_eq!(
            tr_in(Lang::ZhCn, "cli-no-such-message", &[]),
            "cli-no-such-message"
        );
    }

    #[test]
    fn both_catalogues_parse_and_format_their_titles() {
        for lang in Lang::ALL {
            assert!(FluentResource::try_new(lang.source().to_owned()).is_ok());
            for key in keys(lang.source()) {
                if key.starts_with("status-") {
                    assert!(message(lang, &key, &[]).is_some(), "{key}");
                }
            }
        }
        assert_eq!(
            message(Lang::ZhCn, "status-409", &[]).as_deref(),
            Some("冲突")
        );
        let args = [
            ("customer_id".to_owned(), "c-1".to_owned()),
            ("owner".to_owned(), "r-1".to_owned()),
        ];
        assert_eq!(
            message(Lang::ZhCn, "customer_already_owned", &args).as_deref(),
            Some("客户 c-1 已归属销售 r-1（撞单）。")
        );
        // A variable missing: no half-filled sentence.
        assert_eq!(message(Lang::ZhCn, "customer_already_owned", &[]), None);
    }
}
