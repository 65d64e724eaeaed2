//! Audit reads (docs/AUDIT.md): the latest signed checkpoint of the log,
//! for witnesses and auditors (any authenticated role), and the evidence
//! bundle of one customer (`GET /v1/audit/evidence/customers/{id}`, the
//! same bundle as `salesledger evidence --customer`, built by
//! [`salesledger_replay::audit::bundle::build_bundle`]) for the roles that may
//! read every event type on the feed ([`may_read_evidence`]).

use std::path::{Path, PathBuf};

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use salesledger_domain::Role;
use salesledger_replay::audit::bundle::{build_bundle, Subject};
use salesledger_replay::audit::checkpoint::NoteVerifier;
use salesledger_replay::audit::log_tree::LogTree;
use salesledger_replay::audit::{key_fingerprint, latest_checkpoint, AuditError, ServerKey};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::feed::DocRoute;
use super::problem::ApiError;
use super::views::IdPath;
use super::AppState;

/// The latest `CheckpointSigned` record of the log.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointView {
    /// Position of the checkpoint record itself (>= `tree_size`).
    pub position: u64,
    /// Records covered: positions `0 .. tree_size - 1`.
    pub tree_size: u64,
    /// RFC 9162 root of those records, 64 hex digits.
    pub root_hash: String,
    /// The checkpoint's origin line, `salesledger/<log id>`.
    pub origin: String,
    /// The C2SP signed note (tlog-checkpoint body + Ed25519 signature
    /// line): save it to check later with `salesledger verify
    /// --from-checkpoint`.
    pub note: String,
    /// The C2SP verifier key (`<name>+<key id>+<base64 key>`).
    pub verifier_key: String,
    /// SHA-256 of the raw public key, hex: compare out of band.
    pub key_fingerprint: String,
    /// When it was signed (RFC 3339, UTC).
    pub signed_at: String,
}

/// An evidence bundle (format `salesledger-evidence/1`, docs/AUDIT.md):
/// check it offline with `salesledger verify-bundle FILE --pubkey KEY`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EvidenceBundle)]
pub struct EvidenceBundleDoc {
    /// `salesledger-evidence/1`.
    pub format: String,
    /// `{kind: "customer", id}`.
    #[schema(value_type = Object)]
    pub subject: serde_json::Value,
    /// `{origin, verifier_key, key_fingerprint}`.
    #[schema(value_type = Object)]
    pub log: serde_json::Value,
    /// The signed checkpoint the proofs are against: `{position,
    /// tree_size, root_hash, signed_at, note}`.
    #[schema(value_type = Object)]
    pub checkpoint: serde_json::Value,
    /// Signed note listing the subject, the checkpoint and every event.
    pub manifest: String,
    /// In position order: `{position, canonical (base64), hash, leaf_hash,
    /// inclusion_proof, record}`.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub attachments: Vec<serde_json::Value>,
    #[schema(value_type = Object)]
    pub schema_versions: serde_json::Value,
    /// One line per event, for people.
    pub timeline: Vec<String>,
}

/// The audit routes documented as [`DocRoute`]s (the checkpoint route is
/// in the read routes' table).
pub const AUDIT_ROUTES: &[DocRoute] = &[DocRoute {
    method: "get",
    path: "/v1/audit/evidence/customers/{customer_id}",
    operation_id: "DownloadCustomerEvidence",
    description: "The evidence bundle of one customer (SPEC section 5; docs/AUDIT.md), \
                  the same file as `salesledger evidence --customer ID`: every event about \
                  the customer with its canonical bytes and an RFC 9162 inclusion proof \
                  against a signed checkpoint (the latest one when it covers them, else a \
                  freshly signed one), and a signed manifest. Answered as a download \
                  (`Content-Disposition: attachment`). Roles allowed: those that may read \
                  every event type on the feed (supervisor, regional_supervisor, auditor, \
                  analyst, integrator, cto).",
    query: &[],
    request: None,
    success: ("200", "application/json", Some("EvidenceBundle")),
    problems: &[
        ("400", "The customer id is not a UUID"),
        ("401", "No or unknown bearer token"),
        (
            "403",
            "The caller's role may not read every event type, so not a bundle",
        ),
        ("404", "The log holds no event about this customer"),
        (
            "409",
            "evidence_needs_the_designated_signer: the log is shared with other gateways \
             (PostgreSQL); build the bundle with `salesledger evidence --store` on the \
             designated signer",
        ),
    ],
    tag: "audit",
}];

pub fn routes() -> axum::Router<AppState> {
    Router::new()
        .route("/v1/audit/checkpoints/latest", get(read_latest_checkpoint))
        .route(
            "/v1/audit/evidence/customers/{customer_id}",
            get(download_customer_evidence),
        )
}

/// Whether `role` may download evidence bundles: a bundle holds every
/// event about its subject, whatever its type, so only the roles that may
/// read every event type on the feed ([`super::feed::VISIBILITY`]) may.
pub fn may_read_evidence(role: Role) -> bool {
    super::feed::VISIBILITY
        .iter()
        .any(|(listed, patterns)| *listed == role && patterns.contains(&"*"))
}

/// The Merkle tree the gateway proves bundles with. It lives in
/// `DATA/evidence/merkle`, apart from `DATA/merkle`, which `serve`'s
/// checkpointer maintains (one maintainer per tree); it is opened on the
/// first bundle and kept (behind a lock: one bundle is built at a time).
/// The signing key is the data directory's (`DATA/audit`), the
/// checkpointer's.
#[derive(Debug)]
pub struct EvidenceTree {
    data_dir: PathBuf,
    tree: tokio::sync::Mutex<Option<LogTree>>,
    /// The log is shared with other gateways (PostgreSQL): checkpoints are
    /// signed by one designated process only, so this gateway builds no
    /// bundles (it would sign with its own key).
    shared_log: bool,
}

/// Subdirectory of the data directory holding the gateway's evidence tree.
pub const EVIDENCE_TREE_DIR: &str = "evidence";

impl EvidenceTree {
    pub fn new(data_dir: &Path, shared_log: bool) -> EvidenceTree {
        EvidenceTree {
            data_dir: data_dir.to_owned(),
            tree: tokio::sync::Mutex::new(None),
            shared_log,
        }
    }
}

async fn download_customer_evidence(
    State(state): State<AppState>,
    caller: Caller,
    path: IdPath,
) -> Result<Response, ApiError> {
    if !may_read_evidence(caller.principal.role) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "role {} may not download evidence bundles (they hold every event type)",
                caller.principal.role.as_str()
            ),
        ));
    }
    let customer_id = super::views::path_id(path)?;
    // A region-scoped caller gets bundles of their region's customers only
    // (the access table); another customer's is answered as missing.
    super::auth::ensure_may_read(
        &state,
        &caller,
        salesledger_domain::access::Resource::Account,
        super::auth::Subject::Customer(salesledger_domain::value::CustomerId::from_uuid(
            customer_id,
        )),
        || {
            ApiError::not_found(format!(
                "the log holds no event about customer {customer_id}"
            ))
        },
    )
    .await?;
    if state.evidence.shared_log {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "evidence_needs_the_designated_signer",
            "this gateway shares its PostgreSQL log with others and signs no checkpoints; \
             build the bundle on the designated signer: salesledger evidence --store <url> \
             --data <its data dir> --customer <id>",
        ));
    }
    let subject = Subject::customer(customer_id);
    let store = state.service.store().clone();
    let evidence = state.evidence.clone();
    let mut slot = evidence.tree.lock().await;
    let key = ServerKey::load_or_create(&evidence.data_dir).map_err(super::internal)?;
    let tree = match slot.as_mut() {
        Some(tree) => {
            tree.catch_up(store.as_ref())
                .await
                .map_err(super::internal)?;
            tree
        }
        None => slot.insert(
            LogTree::open(&evidence.data_dir.join(EVIDENCE_TREE_DIR), store.as_ref())
                .await
                .map_err(super::internal)?,
        ),
    };
    let built = build_bundle(store.as_ref(), tree, &key, &subject, None, |_, _| {}).await;
    tree.sync().map_err(super::internal)?;
    drop(slot);
    let bundle = match built {
        Ok(bundle) => bundle,
        Err(AuditError::Evidence(detail)) => return Err(ApiError::not_found(detail)),
        Err(error) => return Err(super::internal(error)),
    };
    let mut body = serde_json::to_vec_pretty(&bundle).map_err(super::internal)?;
    body.push(b'\n');
    let disposition = format!("attachment; filename=\"evidence-customer-{customer_id}.json\"");
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn read_latest_checkpoint(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<CheckpointView>, ApiError> {
    let latest = latest_checkpoint(state.service.store().as_ref())
        .await
        .map_err(super::internal)?
        .ok_or_else(|| ApiError::not_found("no checkpoint has been signed yet"))?;
    let verifier =
        NoteVerifier::parse_vkey(&latest.payload.verifier_key).map_err(super::internal)?;
    Ok(Json(CheckpointView {
        position: latest.position,
        tree_size: latest.payload.tree_size,
        root_hash: latest.payload.root_hash.to_hex(),
        origin: latest.payload.origin,
        note: latest.payload.note,
        key_fingerprint: key_fingerprint(&verifier),
        verifier_key: latest.payload.verifier_key,
        signed_at: latest.payload.signed_at,
    }))
}
