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

/// A [`DocRoute`] is written as a chain of `const` calls: its method
/// (`"get"`, `"post"`, `"delete"`), path, handler, operation id and
/// description, then what differs from the defaults (no query parameters,
/// no request body, `200` JSON with no schema named, no problems, no tag).
impl DocRoute {
    pub const fn new(
        method: &'static str,
        path: &'static str,
        serve: fn() -> MethodRouter<AppState>,
        operation_id: &'static str,
        description: &'static str,
    ) -> Self {
        DocRoute {
            method,
            path,
            serve,
            operation_id,
            description,
            query: &[],
            request: None,
            success: ("200", "application/json", None),
            problems: &[],
            tag: "",
        }
    }

    /// Answers `200` with a JSON body of component `schema`.
    pub const fn answers(mut self, schema: &'static str) -> Self {
        self.success = ("200", "application/json", Some(schema));
        self
    }

    /// Answers `201 Created` with a JSON body of component `schema`.
    pub const fn creates(mut self, schema: &'static str) -> Self {
        self.success = ("201", "application/json", Some(schema));
        self
    }

    /// Answers `204 No Content`.
    pub const fn no_content(mut self) -> Self {
        self.success = ("204", "application/json", None);
        self
    }

    /// Answers `200` with a body of `media` (a stream, no JSON schema).
    pub const fn streams(mut self, media: &'static str) -> Self {
        self.success = ("200", media, None);
        self
    }

    /// Takes these query parameters (name, description).
    pub const fn query(mut self, query: &'static [(&'static str, &'static str)]) -> Self {
        self.query = query;
        self
    }

    /// Takes a JSON body of component `schema`.
    pub const fn body(mut self, schema: &'static str) -> Self {
        self.request = Some(schema);
        self
    }

    /// Its problems (status, what they mean).
    pub const fn problems(mut self, problems: &'static [(&'static str, &'static str)]) -> Self {
        self.problems = problems;
        self
    }

    /// Its OpenAPI tag.
    pub const fn tag(mut self, tag: &'static str) -> Self {
        self.tag = tag;
        self
    }
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

/// `Served` for row types with `path` and `serve` fields (where it is
/// used, `Served`, `MethodRouter` and `AppState` are in scope).
macro_rules! served {
    ($($row:ty),+) => {$(
        impl Served for $row {
            fn path(&self) -> &'static str {
                self.path
            }
            fn serve(&self) -> MethodRouter<AppState> {
                (self.serve)()
            }
        }
    )+};
}
pub(crate) use served;

served!(ReadRoute, DocRoute);
