//! The one list of command routes: one route per command kind, each
//! documented in the served OpenAPI document, creations exposing the id
//! their body asks for.

use super::*;
use crate::requests::parse_body;

const REP: &str = "0192f0a4-5b6c-7d8e-9f00-000000000001";
const CUSTOMER: &str = "0192f0a4-5b6c-7d8e-9f00-0000000000c1";
const TODO: &str = "0192f0a4-5b6c-7d8e-9f00-0000000000d1";

fn todo() -> Option<Uuid> {
    Some(Uuid::parse_str(TODO).expect("test uuid"))
}

/// The route table as (method, path, kind, request schema name).
fn command_routes() -> Vec<(&'static str, &'static str, CommandKind, String)> {
    ALL_COMMAND_ROUTES
        .iter()
        .map(|route| {
            let schema = (route.schema_name)().into_owned();
            (route.method, route.path, route.kind, schema)
        })
        .collect()
}

// ---- the route table ----

#[test]
fn every_command_kind_has_exactly_one_route_and_schema() {
    assert_eq!(ALL_COMMAND_ROUTES.len(), 53);
    // POS sales arrive as NDJSON on their own route (gateway::stores).
    for kind in CommandKind::all().filter(|kind| *kind != CommandKind::RecordPosSales) {
        let routes: Vec<_> = command_routes()
            .into_iter()
            .filter(|(_, _, route_kind, _)| *route_kind == kind)
            .collect();
        assert_eq!(routes.len(), 1, "{kind:?}: {routes:?}");
        let (method, path, _, schema) = &routes[0];
        assert_eq!(*schema, format!("{kind:?}Request"));
        assert!(["POST", "PUT"].contains(method), "{kind:?}: {method}");
        assert!(path.starts_with("/v1/"), "{kind:?}: {path}");
    }
    let mut method_paths: Vec<_> = ALL_COMMAND_ROUTES
        .iter()
        .map(|route| (route.method, route.path))
        .collect();
    method_paths.sort();
    method_paths.dedup();
    assert_eq!(
        method_paths.len(),
        ALL_COMMAND_ROUTES.len(),
        "duplicate routes"
    );
}

#[test]
fn openapi_components_document_every_request_and_property() {
    // The served document: its components come from the route list.
    let document =
        serde_json::to_value(crate::gateway::openapi::document()).expect("the document serialises");
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("components.schemas is an object");
    for (_, _, _, name) in command_routes() {
        let schema = &schemas
            .get(&name)
            .unwrap_or_else(|| panic!("{name} is not a component"));
        assert!(
            schema["description"].is_string(),
            "{name} has no description"
        );
        let properties = schema["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (property, property_schema) in properties {
            let documented = property_schema["description"].is_string()
                || property_schema["allOf"].is_array()
                || property_schema["oneOf"].is_array()
                || property_schema["$ref"].is_string();
            assert!(
                documented,
                "{name}.{property} has no description: {property_schema}"
            );
        }
    }
}

#[test]
fn creation_requests_expose_the_requested_id() {
    let with_id: CreateProposalRequest = parse_body(
        format!(r#"{{"proposal_id": "{TODO}", "customer_id": "{CUSTOMER}", "contact_email": "a@b.cn", "title": "T"}}"#).as_bytes(),
    )
    .expect("decodes");
    assert_eq!(with_id.requested_id(), todo());
    let without_id: LogVisitRequest = parse_body(
        format!(r#"{{"customer_id": "{CUSTOMER}", "rep_id": "{REP}", "channel": "phone", "occurred_at": "2027-03-15T10:30:00Z", "transcript": "Call about Q3 budget"}}"#).as_bytes(),
    )
    .expect("decodes");
    assert_eq!(without_id.requested_id(), None);
    // Ids of things created on an account: a rescue plan, a renewal quote.
    let plan: SubmitRescuePlanRequest =
        parse_body(format!(r#"{{"plan_id": "{TODO}", "summary": "S"}}"#).as_bytes())
            .expect("decodes");
    assert_eq!(plan.requested_id(), todo());
    let quote: QuoteRenewalRequest = parse_body(
        format!(r#"{{"quote_id": "{TODO}", "amount_fen": 100, "valid_until": "2027-04-30"}}"#)
            .as_bytes(),
    )
    .expect("decodes");
    assert_eq!(quote.requested_id(), todo());
}
