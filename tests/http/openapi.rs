//! `/openapi.json` is generated from the code and covers every route.

use std::collections::BTreeSet;

use salesledger::gateway::ingest::INGEST_ROUTES;
use salesledger::gateway::reads::read_routes;
use salesledger::gateway::routes::ALL_COMMAND_ROUTES;
use salesledger::gateway::views::{view_routes, ViewData};
use serde_json::Value;

use super::support::spawn_app;

fn collect_refs(value: &Value, refs: &mut BTreeSet<String>) {
    match value {
        Value::Object(object) => {
            for (key, value) in object {
                if key == "$ref" {
                    if let Some(reference) = value.as_str() {
                        refs.insert(reference.to_owned());
                    }
                } else {
                    collect_refs(value, refs);
                }
            }
        }
        Value::Array(values) => values.iter().for_each(|value| collect_refs(value, refs)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_lists_every_route_and_every_schema_it_references() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("openapi.json");
    assert_eq!(response.status().as_u16(), 200);
    let document: Value = response.json().await.expect("JSON");
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{}",
        document["openapi"]
    );
    let paths = document["paths"].as_object().expect("paths");
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("components.schemas");

    for route in ALL_COMMAND_ROUTES {
        let (method, path, kind) = (&route.method, &route.path, &route.kind);
        let schema = &*(route.schema_name)();
        let operation =
            &paths.get(*path).unwrap_or_else(|| panic!("{path} missing"))[method.to_lowercase()];
        assert!(operation.is_object(), "{method} {path} missing");
        assert_eq!(
            operation["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            Value::String(format!("#/components/schemas/{schema}")),
            "{method} {path} ({kind:?})"
        );
        assert!(schemas.contains_key(schema), "{schema} missing");
        let responses = operation["responses"].as_object().expect("responses");
        for status in ["400", "401", "403", "413", "415"] {
            assert!(responses.contains_key(status), "{method} {path}: {status}");
        }
        assert!(
            responses.contains_key("200") || responses.contains_key("201"),
            "{method} {path}"
        );
    }
    for route in read_routes() {
        assert_eq!(
            paths[route.path]["get"]["operationId"],
            Value::String(route.operation_id.to_owned()),
            "{}",
            route.path
        );
    }
    for route in view_routes() {
        let operation = &paths[route.path]["get"];
        assert_eq!(
            operation["operationId"],
            Value::String(route.operation_id.to_owned()),
            "{}",
            route.path
        );
        let parameters: Vec<&str> = operation["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter_map(|parameter| parameter["name"].as_str())
            .collect();
        assert!(parameters.contains(&"wait_for_position"), "{}", route.path);
    }
    for route in INGEST_ROUTES {
        let operation = &paths[route.path]["post"];
        assert_eq!(
            operation["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            Value::String(format!("#/components/schemas/{}", route.schema)),
            "{}",
            route.path
        );
        assert!(
            schemas.contains_key(route.schema),
            "{} missing",
            route.schema
        );
        assert!(operation["responses"]["200"].is_object(), "{}", route.path);
    }
    assert!(paths["/v1/blobs"]["post"].is_object());
    assert!(paths["/v1/blobs/{sha256}"]["get"].is_object());

    let mut refs = BTreeSet::new();
    collect_refs(&document, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {reference}"));
        assert!(schemas.contains_key(name), "{reference} does not resolve");
    }
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = spawn_app().await;
    let document: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("openapi.json")
        .json()
        .await
        .expect("JSON");
    let id = "0192f0a4-0000-7000-8000-000000000001";
    let mut n_operations = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        let concrete = super::auth::concrete(path, uuid::Uuid::parse_str(id).expect("uuid"))
            .replace("{sha256}", &"ab".repeat(32));
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_none() {
                continue;
            }
            if !path.starts_with("/v1/") {
                // Public: /healthz and the document itself.
                let answer = app
                    .send_raw(
                        &method.to_uppercase(),
                        &concrete,
                        None,
                        None,
                        Vec::new(),
                        &[],
                    )
                    .await;
                assert_eq!(answer.status.as_u16(), 200, "{method} {path}");
                continue;
            }
            n_operations += 1;
            // Without a token: a served route answers 401, never 404/405.
            let answer = app
                .send_raw(
                    &method.to_uppercase(),
                    &concrete,
                    None,
                    None,
                    Vec::new(),
                    &[],
                )
                .await;
            assert_eq!(
                answer.status.as_u16(),
                401,
                "{method} {path}: {}",
                answer.text
            );
        }
    }
    assert_eq!(
        n_operations,
        ALL_COMMAND_ROUTES.len()
            + read_routes().count()
            + view_routes().count()
            + INGEST_ROUTES.len()
            + salesledger::gateway::feed::integration_routes().count()
            + salesledger::gateway::dashboard::DASHBOARD_ROUTES.len()
            + salesledger::gateway::audit::AUDIT_ROUTES.len()
            + 2
            // POST /v1/pos/sales (NDJSON, gateway::stores)
            + 1,
        "commands, reads, views, bulk ingestion, the feed and webhook routes and the two blob routes"
    );
}

async fn served_document(app: &super::support::TestApp) -> Value {
    app.client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("openapi.json")
        .json()
        .await
        .expect("JSON")
}

/// The component schema a `$ref` names.
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unexpected reference {reference}"));
            &document["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// The JSON type a schema's `type` allows, `null` aside.
fn schema_type(schema: &Value) -> Vec<String> {
    match &schema["type"] {
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many
            .iter()
            .filter_map(Value::as_str)
            .filter(|name| *name != "null")
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_u64() || number.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The schema of a view route's `data`, as the served document says.
fn documented_data<'a>(document: &'a Value, path: &str) -> &'a Value {
    let success = &document["paths"][path]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"];
    let envelope = resolve(document, success);
    for field in ["view", "position", "data"] {
        assert!(
            envelope["properties"][field].is_object(),
            "{path}: the envelope documents no {field}: {envelope}"
        );
    }
    &envelope["properties"]["data"]
}

#[tokio::test]
async fn list_views_are_documented_as_arrays_and_the_others_as_objects() {
    let app = spawn_app().await;
    let document = served_document(&app).await;
    let mut lists = BTreeSet::new();
    for route in view_routes() {
        let data = documented_data(&document, route.path);
        let expected = match route.data {
            ViewData::List => {
                lists.insert(route.operation_id);
                assert_eq!(
                    schema_type(&data["items"]),
                    ["object"],
                    "{}: rows are objects",
                    route.path
                );
                "array"
            }
            ViewData::Object => "object",
        };
        assert_eq!(schema_type(data), [expected], "{}: {data}", route.path);
    }
    // The views whose answer the document used to call an object.
    for operation_id in [
        "ListHealth",
        "ViewProcessAssets",
        "ViewFunnel",
        "ViewLeaderboard",
        "ViewOverdueTaskCards",
    ] {
        assert!(lists.contains(operation_id), "{operation_id} is a list");
    }
}

/// Every view route, answered over the small demo's data: the envelope and
/// the JSON type of `data` are what the served document says (and a list
/// view's rows are objects).
#[tokio::test]
async fn every_view_answers_the_shape_its_document_states() {
    let app = spawn_app().await;
    let tokens = app.data_dir.path().join("demo-tokens.json");
    let today = super::support::default_now().date_naive();
    tokio::time::timeout(
        std::time::Duration::from_secs(300),
        salesledger::demo::seed_with_scale(
            &app.state,
            &tokens,
            today,
            salesledger::demo::DemoScale::Small,
        ),
    )
    .await
    .expect("the small demo seeds within 5 minutes")
    .expect("seeded");
    let head = app.log_len();
    let document = served_document(&app).await;
    let read = |path: String| {
        let app = &app;
        async move {
            let separator = if path.contains('?') { '&' } else { '?' };
            let answer = app
                .get(
                    &format!("{path}{separator}wait_for_position={}", head - 1),
                    "supervisor",
                )
                .await;
            assert_eq!(answer.status.as_u16(), 200, "{path}: {}", answer.text);
            answer.ok().clone()
        }
    };

    // Ids for the routes that address one item, from the list views.
    let health = read("/v1/views/health".into()).await;
    let customer = health["data"]
        .as_array()
        .and_then(|rows| rows.iter().find(|row| row["score_bp"].is_u64()))
        .map(|row| row["customer_id"].as_str().expect("an id").to_owned())
        .expect("a customer with a health score");
    let cards = read("/v1/views/receivables/task-cards".into()).await;
    let contract = cards["data"][0]["contract_id"]
        .as_str()
        .expect("an overdue contract")
        .to_owned();
    let boards = read("/v1/views/leaderboard".into()).await;
    let region = boards["data"][0]["region"]
        .as_str()
        .expect("a region")
        .to_owned();
    let stores = read("/v1/views/stores/leaderboard".into()).await;
    let store = stores["data"]["regions"][0]["stores"][0]["store"]
        .as_str()
        .expect("a store")
        .to_owned();
    let leads = app
        .get("/v1/events?types=LeadRegistered&limit=1", "supervisor")
        .await;
    let lead = leads.ok()["records"][0]["payload"]["lead_id"]
        .as_str()
        .unwrap_or_else(|| panic!("a lead: {}", leads.text))
        .to_owned();

    for route in view_routes() {
        let path = route
            .path
            .replace("{customer_id}", &customer)
            .replace("{contract_id}", &contract)
            .replace("{lead_id}", &lead)
            .replace("{region}", &region)
            .replace("{date}", &today.to_string())
            .replace("{store}", &store);
        assert!(!path.contains('{'), "no value for {path}");
        let answer = read(path.clone()).await;
        let fields: BTreeSet<&str> = answer
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            BTreeSet::from(["view", "position", "data"]),
            "{path}"
        );
        let documented = documented_data(&document, route.path);
        let data = &answer["data"];
        assert_eq!(
            schema_type(documented),
            [json_type(data)],
            "{path}: the document says {documented}, the view answers {data}"
        );
        if let Value::Array(rows) = data {
            assert!(!rows.is_empty(), "{path}: the demo fills every list view");
            for row in rows {
                assert_eq!(json_type(row), "object", "{path}: {row}");
            }
        }
    }
}

/// The `Idempotency-Key` schema is the server's rule: at its maxLength of
/// visible ASCII a key is accepted, one more character or a space in it
/// is a `400 invalid_idempotency_key`.
#[tokio::test]
async fn the_idempotency_key_schema_is_what_the_server_accepts() {
    let app = spawn_app().await;
    let document = served_document(&app).await;
    let parameters = document["paths"]["/v1/reps"]["post"]["parameters"]
        .as_array()
        .expect("parameters");
    let schema = &parameters
        .iter()
        .find(|parameter| parameter["name"] == "Idempotency-Key")
        .expect("an Idempotency-Key parameter")["schema"];
    assert_eq!(schema["minLength"], 1);
    assert_eq!(schema["pattern"], "^[!-~]+$");
    let longest =
        usize::try_from(schema["maxLength"].as_u64().expect("a maxLength")).expect("a length");
    let token = app.token("supervisor").to_owned();
    let body = serde_json::json!({
        "display_name": "王晓明", "region": "华东",
        "capability_tags": ["iso13485", "plc-retrofit", "tier3-hospital-his"]
    });
    let key = "~".repeat(longest);
    let accepted = app
        .send_raw(
            "POST",
            "/v1/reps",
            Some(&token),
            Some("application/json"),
            body.to_string().into_bytes(),
            &[("idempotency-key", key.as_str())],
        )
        .await;
    assert_eq!(accepted.status.as_u16(), 201, "{}", accepted.text);
    for key in ["!".repeat(longest + 1), "two words".to_owned()] {
        let refused = app
            .send_raw(
                "POST",
                "/v1/reps",
                Some(&token),
                Some("application/json"),
                body.to_string().into_bytes(),
                &[("idempotency-key", key.as_str())],
            )
            .await;
        refused.assert_problem(400, "invalid_idempotency_key");
    }
}

/// The event stream's events have the fields the document's event schema
/// requires: `id` (digits, the position), `event` (the type) and `data`
/// (the record as JSON).
#[tokio::test]
async fn the_event_stream_answers_the_documented_events() {
    let app = spawn_app().await;
    app.seed_config().await;
    let document = served_document(&app).await;
    let event_schema = &document["paths"]["/v1/events/stream"]["get"]["responses"]["200"]
        ["content"]["text/event-stream"]["schema"];
    let required: BTreeSet<&str> = event_schema["required"]
        .as_array()
        .expect("required fields")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(required, BTreeSet::from(["id", "event", "data"]));

    let mut response = app
        .client
        .get(app.url("/v1/events/stream"))
        .bearer_auth(app.token("auditor"))
        .send()
        .await
        .expect("the stream");
    assert_eq!(response.status().as_u16(), 200);
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), response.chunk())
            .await
            .expect("an event within 10 s")
            .expect("a chunk")
            .expect("the stream is open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let first = text.split("\n\n").next().expect("an event");
    let mut fields = std::collections::BTreeMap::new();
    for line in first.lines().filter(|line| !line.starts_with(':')) {
        let (name, value) = line.split_once(':').expect("name: value");
        fields.insert(name, value.trim_start());
    }
    assert_eq!(
        fields.keys().copied().collect::<BTreeSet<_>>(),
        required,
        "{first}"
    );
    let id_pattern = event_schema["properties"]["id"]["pattern"]
        .as_str()
        .expect("an id pattern");
    assert_eq!(id_pattern, "^[0-9]+$");
    assert!(fields["id"].bytes().all(|byte| byte.is_ascii_digit()));
    let record: Value = serde_json::from_str(fields["data"]).expect("data is JSON");
    assert_eq!(record["event_type"].as_str(), Some(fields["event"]));
    assert_eq!(record["position"].to_string(), fields["id"]);
}

/// Found by schemathesis: a UTC offset of `i32::MIN` overflowed `abs()`
/// while validating a pool policy or extraction dictionary (the
/// connection dropped); it is a `422` like any offset beyond 14 hours.
#[tokio::test]
async fn an_extreme_utc_offset_is_refused() {
    let app = spawn_app().await;
    let before = app.log_len();
    let mut policy = super::support::pool_policy();
    policy["day_close_utc_offset_minutes"] = serde_json::json!(i32::MIN);
    let answer = app
        .post_json("/v1/config/pool-policy", "supervisor", &policy)
        .await;
    assert_eq!(answer.status.as_u16(), 422, "{}", answer.text);
    let mut dictionary = super::support::extraction_dictionary();
    dictionary["utc_offset_minutes"] = serde_json::json!(i32::MIN);
    let answer = app
        .post_json(
            "/v1/config/extraction-dictionary",
            "supervisor",
            &dictionary,
        )
        .await;
    assert_eq!(answer.status.as_u16(), 422, "{}", answer.text);
    assert_eq!(app.log_len(), before, "nothing appended");
}

/// The value a query parameter's documented schema allows at its edge,
/// and values it refuses: (value, documented as valid).
fn query_samples(schema: &Value) -> Vec<(String, bool)> {
    let mut samples = Vec::new();
    if let Some(values) = schema["enum"].as_array() {
        for value in values {
            samples.push((value.as_str().expect("a string enum").to_owned(), true));
        }
        samples.push(("no-such-value".to_owned(), false));
        return samples;
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("integer"), _) => {
            let minimum = schema["minimum"].as_i64().expect("integers have a minimum");
            samples.push((minimum.to_string(), true));
            samples.push(((minimum - 1).to_string(), false));
            if let Some(maximum) = schema["maximum"].as_i64() {
                samples.push((maximum.to_string(), true));
                samples.push(((maximum + 1).to_string(), false));
            }
            samples.push(("ten".to_owned(), false));
        }
        (Some("string"), Some("date")) => {
            samples.push(("2027-02-28".to_owned(), true));
            samples.push(("2027-02-30".to_owned(), false));
        }
        (Some("string"), Some("uuid")) => {
            samples.push(("0192f0a4-0000-7000-8000-000000000001".to_owned(), true));
            samples.push(("not-a-uuid".to_owned(), false));
        }
        (Some("string"), _) => {
            if let Some(pattern) = schema["pattern"].as_str() {
                // No documented pattern allows `!`.
                samples.push(("x!x".to_owned(), false));
                if pattern.contains("(0[1-9]|1[0-2])") {
                    samples.push(("2027-01".to_owned(), true));
                    samples.push(("2027-13".to_owned(), false));
                    samples.push(("total".to_owned(), pattern.contains("total")));
                }
            }
        }
        _ => {}
    }
    samples
}

/// The query parameters' documented types, ranges, enums and patterns are
/// what the server checks: for every documented GET route without path
/// parameters under `/v1/views`, `/v1/events` (not the stream) and
/// `/v1/dashboard`, each parameter's edge values are not a
/// `400 invalid_query` and the values its schema refuses are.
#[tokio::test]
async fn documented_query_parameters_are_what_the_server_checks() {
    let app = spawn_app().await;
    let document = served_document(&app).await;
    let mut checked = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        let in_scope = ["/v1/views", "/v1/events", "/v1/dashboard"]
            .iter()
            .any(|prefix| path.starts_with(prefix));
        if !in_scope || path.contains('{') || path == "/v1/events/stream" {
            continue;
        }
        let Some(parameters) = item["get"]["parameters"].as_array() else {
            continue;
        };
        for parameter in parameters.iter().filter(|p| p["in"] == "query") {
            let name = parameter["name"].as_str().expect("a name");
            let schema = &parameter["schema"];
            for (value, valid) in query_samples(schema) {
                // A position is waited for: not long.
                let extra = if name == "wait_for_position" {
                    "&timeout_ms=1"
                } else {
                    ""
                };
                let url = format!("{path}?{name}={value}{extra}");
                let answer = app.get(&url, "supervisor").await;
                if valid {
                    assert_ne!(
                        answer.status.as_u16(),
                        400,
                        "{url}: the document allows {value:?} ({schema}): {}",
                        answer.text
                    );
                } else {
                    assert_eq!(
                        answer.status.as_u16(),
                        400,
                        "{url}: the document refuses {value:?} ({schema}): {}",
                        answer.text
                    );
                }
                checked.insert(format!("{path}?{name}"));
            }
        }
    }
    for expected in [
        "/v1/views/stores/leaderboard?days",
        "/v1/views/stores/high-potential?limit",
        "/v1/views/leaderboard?period",
        "/v1/views/funnel?period",
        "/v1/views/funnel?group",
        "/v1/views/receivables/task-cards?department",
        "/v1/views/receivables/task-cards?customer_id",
        "/v1/views/risk?day",
        "/v1/views/health?wait_for_position",
        "/v1/events?limit",
        "/v1/events?types",
        "/v1/dashboard/health-trend?days",
    ] {
        assert!(checked.contains(expected), "{expected} was not checked");
    }
}

/// Unsigned integers are documented with their type's range (a `u32` is
/// `uint32` up to 4294967295, not an `int32`), and the server's range is
/// the documented one: the maximum is read as a number, one more is a
/// `400`.
#[tokio::test]
async fn unsigned_integers_are_documented_with_the_range_the_server_accepts() {
    let app = spawn_app().await;
    let document = served_document(&app).await;
    let version =
        &document["components"]["schemas"]["PublishPoolPolicyRequest"]["properties"]["version"];
    assert_eq!(version["format"], "uint32", "{version}");
    assert_eq!(version["minimum"], 0);
    let maximum = version["maximum"].as_u64().expect("a maximum");
    assert_eq!(maximum, u64::from(u32::MAX));
    let mut policy = super::support::pool_policy();
    policy["version"] = serde_json::json!(maximum);
    let answer = app
        .post_json("/v1/config/pool-policy", "supervisor", &policy)
        .await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
    policy["version"] = serde_json::json!(maximum + 1);
    let answer = app
        .post_json("/v1/config/pool-policy", "supervisor", &policy)
        .await;
    assert_eq!(answer.status.as_u16(), 400, "{}", answer.text);

    // Every unsigned integer of every schema is bounded the same way.
    let mut unbounded = Vec::new();
    fn walk(value: &Value, at: &str, unbounded: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                if let Some(format) = object.get("format").and_then(Value::as_str) {
                    let expected = match format {
                        "uint8" => Some(u64::from(u8::MAX)),
                        "uint16" => Some(u64::from(u16::MAX)),
                        "uint32" => Some(u64::from(u32::MAX)),
                        "uint64" => Some(u64::MAX),
                        "u-int8" | "u-int16" | "u-int32" | "u-int64" => None,
                        _ => Some(0),
                    };
                    let maximum = object.get("maximum").and_then(Value::as_u64);
                    let bounded = match expected {
                        Some(0) => true,
                        Some(limit) => {
                            object.get("minimum").and_then(Value::as_u64).is_some()
                                && maximum.is_some_and(|maximum| maximum <= limit)
                        }
                        None => false,
                    };
                    if !bounded {
                        unbounded.push(format!("{at}: {value}"));
                    }
                }
                for (key, value) in object {
                    walk(value, &format!("{at}/{key}"), unbounded);
                }
            }
            Value::Array(values) => values.iter().for_each(|value| walk(value, at, unbounded)),
            _ => {}
        }
    }
    walk(&document, "", &mut unbounded);
    assert!(unbounded.is_empty(), "{unbounded:#?}");
}
