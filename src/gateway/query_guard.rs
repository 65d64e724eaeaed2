//! Strict query strings on every route: a query parameter that the route
//! does not document in `/openapi.json` is a `400 invalid_query`, on reads
//! as on commands, before the handler runs (a parameter a route ignored
//! would otherwise be silently ignored, e.g. an `as_of` on a route that
//! answers the present). The allowed names come from the document itself,
//! so the two cannot drift apart; each handler still checks the values.
//! Routes the document does not list (`/readyz`, `/metrics`, the
//! dashboard's files) take no parameters.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::problem::ApiError;

/// The documented query parameters of each operation, by lower-case
/// method and route template (`/v1/customers/{customer_id}/ownership`).
#[derive(Debug, Default)]
pub struct QueryAllowList {
    operations: BTreeMap<(String, String), BTreeSet<String>>,
}

impl QueryAllowList {
    /// From the OpenAPI document the gateway serves.
    pub fn from_document(document: &utoipa::openapi::OpenApi) -> QueryAllowList {
        let mut operations = BTreeMap::new();
        for (path, item) in &document.paths.paths {
            let by_method = [
                ("get", item.get.as_ref()),
                ("put", item.put.as_ref()),
                ("post", item.post.as_ref()),
                ("delete", item.delete.as_ref()),
                ("patch", item.patch.as_ref()),
            ];
            for (method, operation) in by_method {
                let Some(operation) = operation else { continue };
                let names = operation
                    .parameters
                    .iter()
                    .flatten()
                    .filter(|parameter| {
                        matches!(
                            parameter.parameter_in,
                            utoipa::openapi::path::ParameterIn::Query
                        )
                    })
                    .map(|parameter| parameter.name.clone())
                    .collect();
                operations.insert((method.to_owned(), path.clone()), names);
            }
        }
        QueryAllowList { operations }
    }

    /// The parameters `method route` takes (none for an undocumented one).
    pub fn allowed(&self, method: &Method, route: &str) -> Option<&BTreeSet<String>> {
        let method = if method == Method::HEAD {
            "get".to_owned()
        } else {
            method.as_str().to_ascii_lowercase()
        };
        self.operations.get(&(method, route.to_owned()))
    }
}

/// The middleware: refuses a request naming a query parameter its route
/// does not take.
pub async fn refuse_unknown_query(
    State(allow_list): State<Arc<QueryAllowList>>,
    request: Request,
    next: Next,
) -> Response {
    let (Some(query), Some(route)) = (
        request.uri().query(),
        request.extensions().get::<MatchedPath>(),
    ) else {
        return next.run(request).await;
    };
    let none = BTreeSet::new();
    let allowed = allow_list
        .allowed(request.method(), route.as_str())
        .unwrap_or(&none);
    let unknown: BTreeSet<String> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(name, _)| name.into_owned())
        .filter(|name| !allowed.contains(name))
        .collect();
    if unknown.is_empty() {
        return next.run(request).await;
    }
    let takes = if allowed.is_empty() {
        "no query parameters".to_owned()
    } else {
        allowed.iter().cloned().collect::<Vec<_>>().join(", ")
    };
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        format!(
            "unknown query parameter(s) {}: {} {} takes {takes}",
            unknown.iter().cloned().collect::<Vec<_>>().join(", "),
            request.method(),
            route.as_str()
        ),
    )
    .with("unknown", serde_json::json!(unknown))
    .into_response()
}
