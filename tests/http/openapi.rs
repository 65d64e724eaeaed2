//! `/openapi.json` is generated from the code and covers every route.

use std::collections::BTreeSet;

use salesledger::gateway::dto::ALL_COMMAND_ROUTES;
use salesledger::gateway::ingest::INGEST_ROUTES;
use salesledger::gateway::openapi::READ_ROUTES;
use salesledger::gateway::views::view_routes;
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

    for (method, path, kind, schema) in ALL_COMMAND_ROUTES {
        let operation =
            &paths.get(*path).unwrap_or_else(|| panic!("{path} missing"))[method.to_lowercase()];
        assert!(operation.is_object(), "{method} {path} missing");
        assert_eq!(
            operation["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            Value::String(format!("#/components/schemas/{schema}")),
            "{method} {path} ({kind:?})"
        );
        assert!(schemas.contains_key(*schema), "{schema} missing");
        let responses = operation["responses"].as_object().expect("responses");
        for status in ["400", "401", "403", "413", "415"] {
            assert!(responses.contains_key(status), "{method} {path}: {status}");
        }
        assert!(
            responses.contains_key("200") || responses.contains_key("201"),
            "{method} {path}"
        );
    }
    for (path, operation_id, _) in READ_ROUTES {
        assert_eq!(
            paths[*path]["get"]["operationId"],
            Value::String((*operation_id).to_owned()),
            "{path}"
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
            + READ_ROUTES.len()
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
