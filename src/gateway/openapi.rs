//! The OpenAPI 3.1 document served at `/openapi.json`, generated from the
//! code: command routes and their request schemas from
//! [`ALL_COMMAND_ROUTES`] (the list the router is built from; each request
//! type's `ToSchema` derive gives its schema), the roles allowed from the domain's
//! authorisation table, and response schemas from the response types. The
//! bulk ingestion routes come from [`INGEST_ROUTES`], the views from their
//! route tables.
//!
//! The document describes what is served, so a client generated from it
//! (or schemathesis, `tests/schemathesis/run.sh`) finds no surprise:
//! - a view's answer is `ViewResponse` (`data` an object) or
//!   `ViewListResponse` (`data` an array of objects), as its
//!   [`ViewRoute::data`](super::views::ViewRoute) says;
//! - request bodies come from the request types' derives: required fields,
//!   `additionalProperties: false` (`deny_unknown_fields`), enums, and the
//!   limits set by `#[schema(...)]` attributes beside the fields; every
//!   unsigned integer gets its type's range ([`document`] bounds `uint8` to
//!   `uint64` after generation, utoipa's `non_strict_integers` naming them);
//! - parameters are typed ([`query_schema`]: uuids, dates, enums, bounded
//!   integers, patterns), and the `Idempotency-Key` is
//!   [`idempotency_key_schema`];
//! - each route lists the problem statuses it can answer.
//!
//! The few hand-written schemas (query parameters, the Idempotency-Key,
//! the event stream's events) are compared with the server's answers in
//! tests/http/openapi.rs.

use std::collections::BTreeMap;

use salesledger_domain::retail::{MAX_POS_BATCH_BYTES, MAX_POS_BATCH_LINES};
use salesledger_domain::role::may_issue;
use salesledger_domain::{CommandKind, Role};
use serde_json::json;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayItems, ComponentsBuilder, ObjectBuilder, SchemaFormat, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    Content, ContentBuilder, InfoBuilder, KnownFormat, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    RefOr, Required, ResponseBuilder, Schema,
};
use utoipa::{PartialSchema, ToSchema};

use super::commands::MAX_IDEMPOTENCY_KEY_BYTES;
use super::commands::{CommandOutcomeDoc, EventSummaryDoc};
use super::ingest::{
    IngestKeywordSearchesRequest, IngestOutcome, IngestPaymentsRequest,
    IngestSupportTicketsRequest, IngestUsageReportsRequest, INGEST_ROUTES, MAX_INGEST_ITEMS,
};
use super::problem::Problem;
use super::reads::{AggregateView, BlobView, ConfigView};
use super::routes::{RouteEntry, ALL_COMMAND_ROUTES};
use super::stores::{PosBatchOutcomeDoc, POS_MEDIA_TYPES, POS_SALES_PATH};
use super::views::{view_routes, ViewListResponse, ViewResponse};

type Schemas = Vec<(String, RefOr<Schema>)>;

fn add<T: ToSchema>(schemas: &mut Schemas) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

macro_rules! add_all {
    ($schemas:expr; $($request:ty),* $(,)?) => {
        $( add::<$request>($schemas); )*
    };
}

fn component_schemas() -> Schemas {
    let mut schemas = Schemas::new();
    for route in ALL_COMMAND_ROUTES {
        (route.schemas)(&mut schemas);
    }
    add_all!(&mut schemas;
        IngestUsageReportsRequest, IngestKeywordSearchesRequest, IngestPaymentsRequest,
        IngestSupportTicketsRequest, IngestOutcome,
        CommandOutcomeDoc, EventSummaryDoc, Problem, AggregateView, ConfigView, BlobView,
        super::views::responsibility::OwnershipView, super::views::responsibility::OwnershipEvent,
        super::audit::CheckpointView, super::audit::EvidenceBundleDoc, super::audit::ConsistencyProofView, super::audit::CosignatureRequest, super::audit::CosignatureStored,
        super::dashboard::MeView,
        super::reactions::ReactionOutcomeView, super::reactions::ReactionView,
        ViewResponse, ViewListResponse,
        super::feed::FeedPage, super::feed::FeedRecord,
        super::webhooks::CreateWebhookRequest, super::webhooks::WebhookCreated,
        super::webhooks::WebhookView, super::webhooks::WebhookList,
        crate::tokens::NewToken, super::tokens::TokenCreated, super::tokens::TokenList,
        crate::tokens::TokenView, crate::tokens::TokenStatus,
        crate::customer_import::ImportReport, crate::customer_import::ImportedRow,
        crate::customer_import::RefusedRow, crate::customer_import::ColumnUse,
    );
    schemas
}

fn json_ref(schema_name: &str) -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(schema_name)))
        .build()
}

/// An answer of `description` whose body is `content` as `media`.
pub fn answer(description: &str, media: &str, content: Content) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content(media, content)
}

/// A required request body: `content` as `media`.
fn required_body(media: &str, content: Content) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content(media, content)
        .build()
}

/// The bearer token every documented `/v1/` operation takes.
pub fn bearer() -> SecurityRequirement {
    SecurityRequirement::new("bearer", Vec::<String>::new())
}

/// `operation` with its problem answers: (status, what it means), each a
/// `Problem` as application/problem+json.
pub fn problem_responses(
    operation: OperationBuilder,
    statuses: &[(&str, &str)],
) -> OperationBuilder {
    statuses
        .iter()
        .fold(operation, |operation, (status, description)| {
            operation.response(
                *status,
                answer(description, "application/problem+json", json_ref("Problem")),
            )
        })
}

fn path_parameters(path: &str, mut operation: OperationBuilder) -> OperationBuilder {
    for segment in path.split('/') {
        let Some(name) = segment
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
        else {
            continue;
        };
        let (format, description) = match name {
            "date" => (
                SchemaFormat::KnownFormat(KnownFormat::Date),
                "a local day, YYYY-MM-DD",
            ),
            "sha256" => (
                SchemaFormat::Custom("sha256-hex".into()),
                "64 lowercase hex digits",
            ),
            "name" => (
                SchemaFormat::Custom("actor-name".into()),
                "a token's name (the actor on its events)",
            ),
            _ => (
                SchemaFormat::KnownFormat(KnownFormat::Uuid),
                "the aggregate's id",
            ),
        };
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(format));
        operation = operation.parameter(parameter(name, ParameterIn::Path, description, schema));
    }
    operation
}

/// The `Idempotency-Key` header's schema: what
/// `CommandRequest::idempotency_key` accepts (1 to
/// [`MAX_IDEMPOTENCY_KEY_BYTES`] visible ASCII characters, `!` to `~`).
pub fn idempotency_key_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_IDEMPOTENCY_KEY_BYTES))
        .pattern(Some("^[!-~]+$"))
}

fn uuid_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
}

fn header_parameters(mut operation: OperationBuilder) -> OperationBuilder {
    for (name, description, schema) in [
        ("Idempotency-Key", "Repeat a request safely: the same key and body return the original response and append nothing; the same key with another body is a 422. Scoped to the caller. 1 to 200 visible ASCII characters (`400 invalid_idempotency_key` otherwise).", idempotency_key_schema()),
        ("X-Correlation-Id", "Correlation id recorded on every event (defaults to the command id).", uuid_schema()),
        ("X-Causation-Id", "What caused this command (defaults to the command id).", uuid_schema()),
    ] {
        operation = operation.parameter(parameter(name, ParameterIn::Header, description, schema));
    }
    operation
}

/// An unsigned 64-bit integer (a log position, a duration in ms): what a
/// `u64` query field accepts.
fn position_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::Custom("uint64".into())))
        .minimum(Some(0))
        .maximum(Some(u64::MAX))
}

/// A query parameter's schema, by name: what the route's query struct
/// deserialises it as (`Uuid`, `NaiveDate`, an unsigned integer, an enum)
/// and, where the handler checks it, its range or pattern. `month_only`:
/// a `period` that may not be `total` (the leaderboard's).
pub fn query_schema(name: &str, month_only: bool) -> ObjectBuilder {
    let string = || ObjectBuilder::new().schema_type(Type::String);
    let bounded = |minimum: u64, maximum: u64| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(minimum))
            .maximum(Some(maximum))
    };
    match name {
        "day" | "from" | "to" => {
            string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        }
        "customer_id" | "promotion_id" => uuid_schema(),
        "as_of" => string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        "department" => string().enum_values(Some(["sales", "finance", "legal"])),
        "group" => string().enum_values(Some(["rep", "region"])),
        "period" if month_only => string().pattern(Some("^[0-9]{4}-(0[1-9]|1[0-2])$")),
        "period" => string().pattern(Some("^([0-9]{4}-(0[1-9]|1[0-2])|total)$")),
        // `parse_types` trims each name.
        "types" => string().pattern(Some("^ *[A-Za-z0-9_]{1,64} *(, *[A-Za-z0-9_]{1,64} *)*$")),
        "days" => bounded(1, 366),
        "limit" => bounded(1, 1000),
        "after" | "wait_for_position" | "timeout_ms" | "wait_ms" | "from_position" => {
            position_schema()
        }
        _ => string(),
    }
}

fn query_parameter(name: &str, description: &str, month_only: bool) -> ParameterBuilder {
    parameter(
        name,
        ParameterIn::Query,
        description,
        query_schema(name, month_only),
    )
}

/// A documented parameter: a path parameter is required, a header or
/// query parameter is not (the batch id of the POS route is, and says
/// so itself).
pub fn parameter(
    name: &str,
    at: ParameterIn,
    description: &str,
    schema: ObjectBuilder,
) -> ParameterBuilder {
    let required = if matches!(at, ParameterIn::Path) {
        Required::True
    } else {
        Required::False
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(at)
        .required(required)
        .description(Some(description))
        .schema(Some(schema))
}

fn roles_allowed(kind: CommandKind) -> String {
    Role::ALL
        .iter()
        .filter(|role| may_issue(**role, kind))
        .map(|role| role.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn method_of(method: &str) -> HttpMethod {
    match method {
        "PUT" => HttpMethod::Put,
        "GET" => HttpMethod::Get,
        "DELETE" => HttpMethod::Delete,
        "PATCH" => HttpMethod::Patch,
        _ => HttpMethod::Post,
    }
}

const COMMAND_PROBLEMS: &[(&str, &str)] = &[
    ("400", "Malformed JSON, unknown field, wrong type, missing field, bad path parameter or header"),
    ("401", "No or unknown bearer token"),
    ("403", "The caller's role may not issue this command"),
    ("404", "The addressed aggregate does not exist"),
    ("409", "Conflict with the current state (e.g. customer_already_owned names the owner), or a precondition not met"),
    ("413", "Body larger than the limit"),
    ("415", "Body is not application/json"),
    ("422", "A value breaks a domain rule (e.g. time_in_future: a business time such as `delivered_at` more than the server's margin, 10 minutes by default, ahead of its clock; the problem names the `field`), or the Idempotency-Key was used for another body"),
    ("503", "log_unavailable: the event log refuses appends (closed or poisoned)"),
    ("507", "insufficient_storage: the disk holding the log is full; nothing was appended"),
];

const READ_PROBLEMS: &[(&str, &str)] = &[
    (
        "400",
        "Bad path parameter, or an unknown or malformed query parameter",
    ),
    ("401", "No or unknown bearer token"),
    ("403", "The caller may not read this"),
    ("404", "Not found (or not visible to the caller)"),
];

fn command_operation(route: &RouteEntry) -> (HttpMethod, OperationBuilder) {
    let (method, path, kind) = (route.method, route.path, route.kind);
    let schema_name = (route.schema_name)();
    let success = if route.creates { "201" } else { "200" };
    let operation = OperationBuilder::new()
        .operation_id(Some(format!("{kind:?}")))
        .summary(Some(format!("{kind:?}")))
        .description(Some(format!("Roles allowed: {}.", roles_allowed(kind))))
        .tag(path.split('/').nth(2).unwrap_or("commands"))
        .request_body(Some(required_body(
            "application/json",
            json_ref(&schema_name),
        )))
        .response(
            success,
            answer(
                "The command's outcome",
                "application/json",
                json_ref("CommandOutcome"),
            ),
        )
        .security(bearer());
    let operation = path_parameters(path, header_parameters(operation));
    (
        method_of(method),
        problem_responses(operation, COMMAND_PROBLEMS),
    )
}

fn read_operation(
    path: &str,
    operation_id: &str,
    schema_name: &str,
    content_type: &str,
) -> OperationBuilder {
    let operation = OperationBuilder::new()
        .operation_id(Some(operation_id))
        .summary(Some(operation_id))
        .description(Some("Any authenticated role may read."))
        .tag(path.split('/').nth(2).unwrap_or("reads"))
        .response("200", answer("OK", content_type, json_ref(schema_name)))
        .security(bearer());
    problem_responses(path_parameters(path, operation), READ_PROBLEMS)
}

/// A view route: its own query parameters plus read-your-writes.
fn view_operation(route: &super::views::ViewRoute) -> OperationBuilder {
    let mut operation = read_operation(
        route.path,
        route.operation_id,
        route.data.schema_name(),
        "application/json",
    )
    .description(Some(format!(
        "{} Any authenticated role may read.",
        route.description
    )))
    .tag("views")
    .response(
        "503",
        answer("view_not_caught_up: the view has not applied `wait_for_position` within the timeout; view_failed: the view stopped at an event it cannot apply (`projector`, `position`, `reason` in the problem); view_unavailable: the read models have stopped", "application/problem+json", json_ref("Problem")),
    );
    let waits = [
        ("wait_for_position", "Read-your-writes: wait until the view has applied this log position (a command's `last_position`)."),
        ("timeout_ms", "How long to wait for `wait_for_position` (default 5000, at most 30000: a longer one waits 30000)."),
    ];
    // Only the leaderboard's period is a month without `total`.
    let month_only = route.operation_id == "ViewLeaderboard";
    for (name, description) in route.query.iter().copied().chain(waits) {
        operation = operation.parameter(query_parameter(name, description, month_only));
    }
    operation
}

/// A feed or webhook route ([`super::feed::integration_routes`]).
fn integration_operation(route: &super::route::DocRoute) -> OperationBuilder {
    let (status, content_type, schema) = route.success;
    let response = match (schema, content_type) {
        (None, "text/event-stream") => answer(
            "The event stream",
            content_type,
            ContentBuilder::new()
                .schema(Some(sse_event_schema()))
                .build(),
        ),
        (Some(schema), _) => answer("OK", content_type, json_ref(schema)),
        (None, "application/json") => ResponseBuilder::new().description("No content"),
        (None, _) => answer(
            "OK",
            content_type,
            ContentBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        ),
    };
    let mut operation = OperationBuilder::new()
        .operation_id(Some(route.operation_id))
        .summary(Some(route.operation_id))
        .description(Some(route.description))
        .tag(route.tag)
        .response(status, response)
        .security(bearer());
    if let Some(request) = route.request {
        operation =
            operation.request_body(Some(required_body("application/json", json_ref(request))));
    }
    for (name, description) in route.query {
        operation = operation.parameter(query_parameter(name, description, false));
    }
    problem_responses(path_parameters(route.path, operation), route.problems)
}

/// One Server-Sent Event of `/v1/events/stream` (OpenAPI 3.1: a
/// `text/event-stream` schema describes each event): `id` = the record's
/// log position, `event` = its event type, `data` = the record as JSON
/// (a `FeedRecord`). Checked against a real stream by tests/http/openapi.rs.
pub fn sse_event_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "id",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[0-9]+$")),
        )
        .property(
            "event",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1)),
        )
        .property(
            "data",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .content_media_type("application/json")
                .description(Some("The record, as a `FeedRecord` of `/v1/events`")),
        )
        .required("id")
        .required("event")
        .required("data")
}

/// A bulk ingestion route: one result per item, each item run as the
/// single route's command.
fn ingest_operation(route: &super::ingest::IngestRoute) -> OperationBuilder {
    let kind = route.kind;
    let operation = OperationBuilder::new()
        .operation_id(Some(format!("Ingest{kind:?}")))
        .summary(Some(format!("Bulk {kind:?}")))
        .description(Some(format!(
            "1 to {MAX_INGEST_ITEMS} items, each `{}` plus the body of `{}`, run independently through the same pipeline (items of one stream in order). Answers 200 with one result per item, in order: `status` and the `outcome`, or the `problem` (nothing appended for that item), so only the failures need a retry. An `Idempotency-Key` applies per item as `<key>#<index>`. Roles allowed: {}.",
            route.id_field,
            route.single_route,
            roles_allowed(kind)
        )))
        .tag("ingest")
        .request_body(Some(
            required_body("application/json", json_ref(route.schema)),
        ))
        .response(
            "200",
            answer("One result per item", "application/json", json_ref("IngestOutcome")),
        )
        .security(bearer());
    problem_responses(
        header_parameters(operation),
        &[
            (
                "400",
                "Malformed JSON, unknown field (only `items` is allowed) or a bad header",
            ),
            ("401", "No or unknown bearer token"),
            ("403", "The caller's role may not issue this command"),
            ("413", "Body larger than the limit"),
            ("415", "Body is not application/json"),
            ("422", "`items` is empty or has more than the maximum"),
            ("503", "log_unavailable: the event log refuses appends"),
            (
                "507",
                "insufficient_storage: the disk holding the log is full",
            ),
        ],
    )
}

/// The bulk POS route's operation (path, method, operation): NDJSON in,
/// [`PosBatchOutcomeDoc`] out.
fn pos_operation() -> (&'static str, HttpMethod, OperationBuilder) {
    let ndjson = ContentBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .example(Some(json!(
            "{\"store\":\"S0001\",\"ticket\":\"T-20260301-0001\",\"sku\":\"SKU-0042\",\"qty\":1,\"amount_cents\":1250,\"member\":\"M000123\",\"sold_at\":\"2026-03-01T10:15:00+08:00\"}\n"
        )))
        .build();
    let mut body = RequestBodyBuilder::new().required(Some(Required::True));
    for media_type in POS_MEDIA_TYPES {
        body = body.content(*media_type, ndjson.clone());
    }
    let outcome = || {
        ContentBuilder::new()
            .schema(Some(PosBatchOutcomeDoc::schema()))
            .build()
    };
    let operation = OperationBuilder::new()
        .operation_id(Some("RecordPosSales"))
        .summary(Some("RecordPosSales"))
        .description(Some(format!(
            "POS sales in bulk, one JSON sale line per line (`member` optional, blank lines \
             ignored), validated line by line against the known stores, SKUs and members: any \
             bad line rejects the whole batch (nothing appended). One append of \
             `PosTicketsRecorded` events to `pos-<batch id>`; a batch id is accepted once. At \
             most {MAX_POS_BATCH_LINES} lines and {MAX_POS_BATCH_BYTES} bytes. Roles allowed: \
             integrator, store_manager, supervisor."
        )))
        .tag("stores")
        .parameter(
            parameter(
                "batch_id",
                ParameterIn::Query,
                "The batch's id (1 to 64 of `A-Z a-z 0-9 . _ : -`), accepted once",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[A-Za-z0-9._:-]{1,64}$")),
            )
            .required(Required::True),
        )
        .request_body(Some(body.build()))
        .response("201", answer("Recorded", "application/json", outcome()))
        .response(
            "200",
            answer(
                "An identical batch was already recorded: its original outcome, `replayed: true`",
                "application/json",
                outcome(),
            ),
        )
        .security(bearer());
    let operation = problem_responses(
        operation,
        &[
            ("400", "No batch_id, or an unreadable body"),
            ("401", "No or unknown bearer token"),
            ("403", "The caller's role may not record POS sales"),
            (
                "409",
                "pos_batch_id_reused: the batch id was used for other lines",
            ),
            (
                "413",
                "pos_batch_too_large: more lines or bytes than the limits",
            ),
            (
                "415",
                "Not application/x-ndjson, application/jsonl or text/plain",
            ),
            (
                "422",
                "invalid_pos_batch: `errors` lists up to 100 bad lines `{line, code, detail}` \
                 (codes malformed_line, unknown_store, unknown_sku, unknown_member, invalid_qty, \
                 invalid_amount, invalid_sold_at, time_in_future, ticket_mismatch, ticket_too_large), `n_errors` \
                 counts them; or an invalid batch id",
            ),
        ],
    );
    (POS_SALES_PATH, HttpMethod::Post, operation)
}

/// Raw bytes (evidence files).
fn binary_content() -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))),
        ))
        .build()
}

/// Any JSON object.
fn any_object() -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(Type::Object)))
        .build()
}

/// The largest value of an unsigned integer format (the `u8`..`u64`
/// fields of the request and response types, which utoipa's
/// `non_strict_integers` names `uint8`..`uint64`): the range the server's
/// deserialiser accepts, so a document reader does not take a `u32` for an
/// `int32`.
/// Returns the format's name as written in the document (`uint32`;
/// utoipa would write `u-int32`) and its maximum.
fn unsigned_maximum(format: &SchemaFormat) -> Option<(&'static str, usize)> {
    let (name, maximum) = match format {
        SchemaFormat::KnownFormat(KnownFormat::UInt8) => ("uint8", u64::from(u8::MAX)),
        SchemaFormat::KnownFormat(KnownFormat::UInt16) => ("uint16", u64::from(u16::MAX)),
        SchemaFormat::KnownFormat(KnownFormat::UInt32) => ("uint32", u64::from(u32::MAX)),
        SchemaFormat::KnownFormat(KnownFormat::UInt64) => ("uint64", u64::MAX),
        _ => return None,
    };
    Some((name, usize::try_from(maximum).ok()?))
}

/// Gives every unsigned integer in `schema` (recursively) its minimum 0 and
/// its type's maximum, unless an attribute set a narrower bound.
fn bound_unsigned(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(object) => {
            if let Some((name, maximum)) = object.format.as_ref().and_then(unsigned_maximum) {
                object.format = Some(SchemaFormat::Custom(name.to_owned()));
                object.minimum.get_or_insert(utoipa::Number::UInt(0));
                object.maximum.get_or_insert(utoipa::Number::UInt(maximum));
            }
            object.properties.values_mut().for_each(bound_unsigned);
            if let Some(AdditionalProperties::RefOr(additional)) =
                object.additional_properties.as_deref_mut()
            {
                bound_unsigned(additional);
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                bound_unsigned(items);
            }
        }
        Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(bound_unsigned),
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(bound_unsigned),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(bound_unsigned),
        _ => {}
    }
}

/// [`bound_unsigned`] over every schema of the document: the components
/// and the inline request and response bodies.
fn bound_all_unsigned(document: &mut OpenApi) {
    if let Some(components) = document.components.as_mut() {
        components.schemas.values_mut().for_each(bound_unsigned);
    }
    for item in document.paths.paths.values_mut() {
        let operations = [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ];
        for operation in operations.into_iter().flatten() {
            let bodies = operation
                .request_body
                .iter_mut()
                .flat_map(|body| body.content.values_mut());
            let answers = operation
                .responses
                .responses
                .values_mut()
                .flat_map(|response| match response {
                    RefOr::T(response) => Some(response.content.values_mut()),
                    RefOr::Ref(_) => None,
                })
                .flatten();
            for content in bodies.chain(answers) {
                if let Some(schema) = content.schema.as_mut() {
                    bound_unsigned(schema);
                }
            }
        }
    }
}

/// The whole document.
pub fn document() -> OpenApi {
    let mut document = unbounded_document();
    bound_all_unsigned(&mut document);
    document
}

fn unbounded_document() -> OpenApi {
    let mut items: BTreeMap<String, Vec<(HttpMethod, OperationBuilder)>> = BTreeMap::new();
    for route in ALL_COMMAND_ROUTES {
        items
            .entry(route.path.to_owned())
            .or_default()
            .push(command_operation(route));
    }
    for route in super::reads::read_routes() {
        let mut operation = read_operation(
            route.path,
            route.operation_id,
            route.schema,
            "application/json",
        );
        for (name, description) in route.query {
            operation = operation.parameter(query_parameter(name, description, false));
        }
        items
            .entry(route.path.to_owned())
            .or_default()
            .push((HttpMethod::Get, operation));
    }
    for route in view_routes() {
        items
            .entry(route.path.to_owned())
            .or_default()
            .push((HttpMethod::Get, view_operation(route)));
    }
    for route in super::feed::integration_routes()
        .chain(super::dashboard::DASHBOARD_ROUTES)
        .chain(super::audit::AUDIT_ROUTES)
    {
        let method = match route.method {
            "post" => HttpMethod::Post,
            "delete" => HttpMethod::Delete,
            _ => HttpMethod::Get,
        };
        items
            .entry(route.path.to_owned())
            .or_default()
            .push((method, integration_operation(route)));
    }
    for route in INGEST_ROUTES {
        items
            .entry(route.path.to_owned())
            .or_default()
            .push((HttpMethod::Post, ingest_operation(route)));
    }
    let (pos_path, pos_method, pos_operation) = pos_operation();
    items
        .entry(pos_path.to_owned())
        .or_default()
        .push((pos_method, pos_operation));
    let upload = OperationBuilder::new()
        .operation_id(Some("UploadBlob"))
        .summary(Some("UploadBlob"))
        .description(Some(format!(
            "Stores an evidence file (e.g. a proposal PDF) by its SHA-256. Roles allowed: {}.",
            roles_allowed(CommandKind::RecordProposalPdf)
        )))
        .tag("blobs")
        .request_body(Some(required_body(
            "application/octet-stream",
            binary_content(),
        )))
        .response(
            "201",
            answer("Stored", "application/json", json_ref("BlobView")),
        )
        .security(bearer());
    items.entry("/v1/blobs".into()).or_default().push((
        HttpMethod::Post,
        problem_responses(
            upload,
            &[
                ("401", "No or unknown bearer token"),
                ("403", "Role may not upload"),
                ("400", "Unreadable body"),
                ("413", "File larger than the limit"),
                ("422", "Empty file"),
                ("503", "The blob store is unavailable"),
                (
                    "507",
                    "insufficient_storage: the disk is full; nothing was stored",
                ),
            ],
        ),
    ));
    let download = OperationBuilder::new()
        .operation_id(Some("DownloadBlob"))
        .summary(Some("DownloadBlob"))
        .description(Some("The stored file, checked against its SHA-256."))
        .tag("blobs")
        .response(
            "200",
            answer("The file", "application/octet-stream", binary_content()),
        )
        .security(bearer());
    items.entry("/v1/blobs/{sha256}".into()).or_default().push((
        HttpMethod::Get,
        problem_responses(
            path_parameters("/v1/blobs/{sha256}", download),
            READ_PROBLEMS,
        ),
    ));
    for (path, operation_id, summary, description) in [
        (
            "/healthz",
            "Healthz",
            "Liveness, with the log's length and head hash",
            "Up",
        ),
        ("/openapi.json", "OpenApi", "This document", "OpenAPI 3.1"),
    ] {
        let operation = OperationBuilder::new()
            .operation_id(Some(operation_id))
            .summary(Some(summary))
            .tag("operations")
            .response("200", answer(description, "application/json", any_object()));
        items
            .entry(path.into())
            .or_default()
            .push((HttpMethod::Get, operation));
    }
    // Operating several gateways (src/gateway/ops.rs): unauthenticated.
    let readyz = OperationBuilder::new()
        .operation_id(Some("Readyz"))
        .summary(Some(
            "Ready once every read model has caught up with the log as it was at start",
        ))
        .tag("operations")
        .response(
            "200",
            ResponseBuilder::new()
                .description(
                    "Ready: `{status: \"ready\", log_head_at_start, log_head, lagging: []}`",
                )
                .content("application/json", any_object()),
        )
        .response(
            "503",
            ResponseBuilder::new()
                .description(
                    "Not ready: `lagging` names each projector behind the start head \
                     (`checkpoint`, `behind_by`) or stopped (`stopped_because`)",
                )
                .content("application/json", any_object()),
        );
    items
        .entry("/readyz".into())
        .or_default()
        .push((HttpMethod::Get, readyz));
    let metrics = OperationBuilder::new()
        .operation_id(Some("Metrics"))
        .summary(Some(
            "Prometheus text format: requests by route template and status, appends, \
             projection lag, pool and subscription state",
        ))
        .tag("operations")
        .response(
            "200",
            answer(
                "Prometheus text exposition format 0.0.4",
                "text/plain",
                ContentBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .build(),
            ),
        );
    items
        .entry("/metrics".into())
        .or_default()
        .push((HttpMethod::Get, metrics));

    let mut paths = PathsBuilder::new();
    for (path, operations) in items {
        let mut operations = operations.into_iter();
        let Some((method, first)) = operations.next() else {
            continue;
        };
        let mut item = PathItem::new(method, first.build());
        for (method, operation) in operations {
            item.merge_operations(PathItem::new(method, operation.build()));
        }
        paths = paths.path(path, item);
    }
    let mut components = ComponentsBuilder::new()
        .schemas_from_iter(component_schemas())
        .build();
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("salesledger gateway")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Every sales action is an immutable, hash-chained event. Errors are application/problem+json with a stable `code`. \
                     Languages: a problem's `title` and `detail` follow the request's `Accept-Language` \
                     (`zh`, `zh-CN` or any `zh-*` gives Simplified Chinese, anything else English, the default); \
                     its `code`, `type`, `status` and other fields are the same in every language. \
                     Problem answers carry `Content-Language` and `Vary: Accept-Language`.",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components))
        .build()
}
