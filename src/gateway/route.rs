//! The rows of the gateway's route tables: each names its path and its
//! handler, and what the OpenAPI document says of it. The router is folded
//! from the tables and the document reads the same rows, so no route is
//! listed twice. (Command routes are `commands::CommandRoute` impls, view
//! routes `views::ViewRoute`, bulk ingestion `ingest::IngestRoute`.)

use axum::routing::MethodRouter;
use axum::Router;

use super::AppState;

/// A read route (`GET`, any authenticated role; `reads::read_routes`).
pub struct ReadRoute {
    pub path: &'static str,
    pub operation_id: &'static str,
    /// The answer's schema (a component of the OpenAPI document).
    pub schema: &'static str,
    /// Its query parameters, if it takes any.
    pub query: &'static [(&'static str, &'static str)],
    /// Its handler.
    pub serve: fn() -> MethodRouter<AppState>,
}

/// A documented route (the feed, webhooks, tokens, the customer import,
/// audit and the dashboard's reads): method, path, its handler, operation
/// id, what it does, its query parameters, request and response schemas,
/// and its problems.
pub struct DocRoute {
    pub method: &'static str,
    pub path: &'static str,
    /// Its handler (for `method`).
    pub serve: fn() -> MethodRouter<AppState>,
    pub operation_id: &'static str,
    pub description: &'static str,
    pub query: &'static [(&'static str, &'static str)],
    /// Component schema of the JSON request body, if any.
    pub request: Option<&'static str>,
    /// Success status, media type and component schema (`None`: no body
    /// schema, e.g. a text/event-stream).
    pub success: (&'static str, &'static str, Option<&'static str>),
    pub problems: &'static [(&'static str, &'static str)],
    pub tag: &'static str,
}

/// A row of a route table: where it is served and by what.
pub trait Served {
    fn path(&self) -> &'static str;
    fn serve(&self) -> MethodRouter<AppState>;
}

/// The router of a table's `rows` (two methods of one path are merged).
pub fn router<'a, R: Served + 'a>(rows: impl IntoIterator<Item = &'a R>) -> Router<AppState> {
    rows.into_iter().fold(Router::new(), |router, row| {
        router.route(row.path(), row.serve())
    })
}

impl Served for ReadRoute {
    fn path(&self) -> &'static str {
        self.path
    }
    fn serve(&self) -> MethodRouter<AppState> {
        (self.serve)()
    }
}

impl Served for DocRoute {
    fn path(&self) -> &'static str {
        self.path
    }
    fn serve(&self) -> MethodRouter<AppState> {
        (self.serve)()
    }
}
