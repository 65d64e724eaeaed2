//! Problem messages in English and Chinese (issue 20).
//!
//! Every error answer keeps its stable `code` and `type`; its `title` and
//! `detail` follow the request's `Accept-Language` (zh* -> zh-CN, anything
//! else -> English). The messages live in one Fluent catalogue per
//! language (`locales/<lang>/problems.ftl`), keyed by the problem `code`
//! (the detail) and by `status-<n>` (the title); the problem's structured
//! fields are the message's variables.
//!
//! Translation happens in one place: [`ApiError`]'s `IntoResponse` leaves
//! the error in the response's extensions and [`localize_problems`], the
//! router's outermost layer, rewrites the body for a Chinese reader. An
//! English reader gets the body untouched: the call site's own sentence,
//! which names the instance.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde_json::Value;

use super::problem::{ApiError, Problem};

mod args;

pub use args::domain_args;

/// English catalogue source.
pub const EN_FTL: &str = include_str!("locales/en/problems.ftl");
/// Simplified Chinese catalogue source.
pub const ZH_CN_FTL: &str = include_str!("locales/zh-CN/problems.ftl");

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

    /// The catalogue source of this language.
    pub fn source(self) -> &'static str {
        match self {
            Lang::En => EN_FTL,
            Lang::ZhCn => ZH_CN_FTL,
        }
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

fn bundle(lang: Lang) -> &'static Bundle {
    static BUNDLES: OnceLock<[Bundle; 2]> = OnceLock::new();
    let bundles = BUNDLES.get_or_init(|| Lang::ALL.map(build_bundle));
    &bundles[lang as usize]
}

fn build_bundle(lang: Lang) -> Bundle {
    let langid = lang
        .tag()
        .parse::<unic_langid::LanguageIdentifier>()
        .unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    // Plain text answers: no Unicode isolation marks around variables.
    bundle.set_use_isolating(false);
    // The catalogues are compiled in and checked by tests/i18n.rs; a
    // syntax error there would leave the faulty entries out, never panic.
    let resource = match FluentResource::try_new(lang.source().to_owned()) {
        Ok(resource) => resource,
        Err((resource, errors)) => {
            tracing::error!(lang = lang.tag(), ?errors, "problem catalogue has errors");
            resource
        }
    };
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(lang = lang.tag(), ?errors, "problem catalogue has errors");
    }
    bundle
}

/// The message `id` in `lang` with `args`; `None` when the catalogue has
/// no such message or a variable it names was not given.
pub fn message(lang: Lang, id: &str, args: &[(String, String)]) -> Option<String> {
    let bundle = bundle(lang);
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

/// A problem's variables: its structured fields (`extra`) and the
/// arguments the error was built with, as text.
fn variables(error: &ApiError) -> Vec<(String, String)> {
    let mut variables: Vec<(String, String)> = error
        .extra
        .iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (name.clone(), text)
        })
        .collect();
    variables.extend(error.args.iter().cloned());
    variables.push(("code".to_owned(), error.code.clone()));
    variables
}

impl ApiError {
    /// The problem body in `lang`: the same `code`, `type`, `status` and
    /// fields; English keeps the call site's detail.
    pub fn problem_in(&self, lang: Lang) -> Problem {
        let mut problem = self.problem();
        if lang == Lang::En {
            return problem;
        }
        let status = format!("status-{}", self.status.as_u16());
        problem.title = message(lang, &status, &[])
            .or_else(|| message(lang, "status-500", &[]))
            .unwrap_or(problem.title);
        let variables = variables(self);
        problem.detail = message(lang, &self.code, &variables)
            .or_else(|| {
                tracing::warn!(code = %self.code, lang = lang.tag(), "no complete message for this problem");
                message(lang, "generic-detail", &variables)
            })
            .unwrap_or(problem.detail);
        problem
    }
}

tokio::task_local! {
    /// The language of the request being answered (set by
    /// [`localize_problems`]), for problems that are not a response of
    /// their own (a bulk answer's per-item problems).
    static REQUEST_LANG: Lang;
}

/// The language the request being answered asked for (English outside a
/// request).
pub fn request_lang() -> Lang {
    REQUEST_LANG.try_with(|lang| *lang).unwrap_or(Lang::En)
}

/// Runs `future` (e.g. a task spawned for the request) in `lang`.
pub async fn with_lang<F: std::future::Future>(lang: Lang, future: F) -> F::Output {
    REQUEST_LANG.scope(lang, future).await
}

/// The error a problem response was built from, left in the response's
/// extensions for [`localize_problems`].
#[derive(Debug, Clone)]
pub struct ProblemSource(pub ApiError);

/// Outermost layer: answers problems in the language the request's
/// `Accept-Language` prefers (`Content-Language` says which;
/// `Vary: Accept-Language` on every problem).
pub async fn localize_problems(request: Request, next: Next) -> Response {
    let lang = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .map_or(Lang::En, Lang::negotiate);
    let mut response = REQUEST_LANG.scope(lang, next.run(request)).await;
    let Some(ProblemSource(error)) = response.extensions_mut().remove::<ProblemSource>() else {
        return response;
    };
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("accept-language"));
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.tag()),
    );
    if lang != Lang::En {
        let body = serde_json::to_vec(&error.problem_in(lang)).unwrap_or_else(|_| b"{}".to_vec());
        headers.remove(header::CONTENT_LENGTH);
        *response.body_mut() = Body::from(body);
    }
    response
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
