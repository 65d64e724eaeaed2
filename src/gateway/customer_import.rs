//! `POST /v1/customers/import`: a supervisor brings the organisation's
//! existing customer list in, as `salesledger import customers` does
//! ([`crate::customer_import`]): the body is the `.csv` (`text/csv`) or the
//! `.xlsx` file itself; `?map=COLUMN=FIELD` (repeatable) names columns,
//! `?dry_run=true` checks every row and appends nothing. The answer is the
//! [`ImportReport`]: what was registered, what an earlier import had
//! registered already, and every refused row with its line and reason.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use salesledger_domain::Role;

use super::auth::Caller;
use super::problem::ApiError;
use super::route::DocRoute;
use super::AppState;
use crate::customer_import::{
    import, read_sheet, ImportError, ImportReport, ImportRun, SheetFormat, XLSX_MEDIA_TYPE,
};

/// The path of the route.
pub const IMPORT_ROUTE: &str = "/v1/customers/import";

/// The route, for the OpenAPI document.
pub const IMPORT_ROUTES: &[DocRoute] = &[DocRoute::new(
    "post",
    IMPORT_ROUTE,
    || post(import_customers),
    "ImportCustomers",
    "Imports an existing customer list. The body is the file: `text/csv` (UTF-8, \
     the first row the header) or an `.xlsx` workbook \
     (`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`, its \
     first worksheet). Each row is registered through the same validation and \
     duplicate check (撞单: normalised name, unified social credit code, phone) as \
     `POST /v1/customers`; where a column names the rep (id or display name), the \
     customer is transferred to them. Headers such as company_name/客户名称, \
     unified_social_credit_code/统一社会信用代码, phone/电话, contact_email/邮箱 \
     and owner/负责人 are recognised. A refused row does not stop the import: \
     the answer lists each with its line, code and reason. Importing the same \
     list again appends nothing (`already_imported`). Roles: supervisor.",
)
.answers("ImportReport")
.query(&[
    (
        "map",
        "`COLUMN=FIELD`, repeatable: the header cell COLUMN holds FIELD (`company_name`, \
             `unified_social_credit_code`, `phone`, `contact_email`, `owner`, \
             `attributes.KEY` or `ignore`).",
    ),
    (
        "dry_run",
        "`true`: check every row (values, duplicates against the log and the rows above, \
             owners) and append nothing.",
    ),
])
.problems(&[
    ("400", "invalid_query: a bad `dry_run`"),
    (
        "401",
        "unauthenticated / token_expired / token_revoked: no usable bearer token",
    ),
    ("403", "forbidden: only supervisors import customer lists"),
    (
        "413",
        "body_too_large: the file is larger than the blob limit (`serve --max-blob-bytes`)",
    ),
    ("415", "unsupported_media_type: neither text/csv nor .xlsx"),
    (
        "422",
        "unreadable_sheet / sheet_without_header / no_company_name_column / \
             invalid_column_mapping / too_many_rows / too_many_columns (an .xlsx cell \
             beyond column IV) / too_much_text (more than 64 MiB of cell text)",
    ),
])
.tag("customers")];

/// The route; its body (the file) may be as large as a blob
/// (`serve --max-blob-bytes`), not only a JSON command's limit.
pub fn routes(max_file_bytes: usize) -> Router<AppState> {
    IMPORT_ROUTES.iter().fold(Router::new(), |router, route| {
        router.route(
            route.path,
            (route.serve)().layer(DefaultBodyLimit::max(max_file_bytes)),
        )
    })
}

impl From<ImportError> for ApiError {
    fn from(error: ImportError) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            error.code(),
            error.to_string(),
        )
    }
}

async fn import_customers(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportReport>, ApiError> {
    super::auth::ensure_role(
        &caller,
        |role| role == Role::Supervisor,
        "import customer lists; only supervisors may",
    )?;
    super::media::require_media_type(&headers, &["text/csv", XLSX_MEDIA_TYPE])?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let format = SheetFormat::from_media_type(media_type)?;
    let mut mappings = Vec::new();
    let mut dry_run = false;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "map" => mappings.push(value.into_owned()),
            "dry_run" => {
                dry_run = match value.as_ref() {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(ApiError::new(
                            StatusCode::BAD_REQUEST,
                            "invalid_query",
                            format!("dry_run must be true or false, not {other}"),
                        ))
                    }
                }
            }
            // The query guard refuses undocumented names before this.
            _ => {}
        }
    }
    let body = body.map_err(|rejection| super::body_rejection(&rejection))?;
    let sheet = tokio::task::spawn_blocking(move || read_sheet(&body, format))
        .await
        .map_err(super::internal)??;
    let report = import(
        &state.service,
        &caller.principal,
        &sheet,
        ImportRun {
            mappings: &mappings,
            dry_run,
            now: state.now(),
            lang: super::localize::request_lang(),
        },
        &|_| {},
    )
    .await??;
    tracing::info!(
        by = %caller.principal.actor,
        rows = report.rows,
        registered = report.registered,
        refused = report.refused.len(),
        dry_run,
        "customer list imported"
    );
    Ok(Json(report))
}
