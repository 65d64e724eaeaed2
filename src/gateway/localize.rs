//! Problem details in the request's language: [`ApiError`]'s `IntoResponse`
//! leaves the error in the response's extensions and [`localize_problems`],
//! the router's outermost layer, rewrites the body for a Chinese reader. An
//! English reader gets the body untouched: the call site's own sentence,
//! which names the instance.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use super::problem::{ApiError, Problem, ProblemSource};
use crate::i18n::{message, with_rule, Lang};

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
        problem.detail = match message(lang, &self.code, &variables) {
            Some(worded) => match self.rule() {
                Some(rule) => with_rule(&worded, rule),
                None => worded,
            },
            None => {
                tracing::warn!(code = %self.code, lang = lang.tag(), "no complete message for this problem");
                message(lang, "generic-detail", &variables).unwrap_or(problem.detail)
            }
        };
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
