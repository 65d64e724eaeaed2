//! Audit reads (docs/AUDIT.md), all read-only: the latest signed
//! checkpoint of the log, for witnesses and auditors (any authenticated
//! role); and, for the roles that may read every event type on the feed
//! ([`may_read_evidence`], the auditor among them): the evidence bundle of
//! one customer, lead or proposal (`GET /v1/audit/evidence/{customers|leads|proposals}/{id}`,
//! the same bundle as `salesledger evidence`, from the subject index
//! through [`crate::evidence::indexed_bundle`]), RFC 9162 consistency
//! proofs between two tree sizes (`GET /v1/audit/consistency`, what
//! `salesledger verify --url` checks a saved checkpoint with), and the log
//! as streamed export lines from a position (`GET /v1/audit/export`).

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Json;
use salesledger_domain::lead::Lead;
use salesledger_domain::stream::lead_stream_id;
use salesledger_domain::value::{CustomerId, LeadId, ProposalId};
use salesledger_domain::Role;
use salesledger_replay::audit::bundle::Subject;
use salesledger_replay::audit::checkpoint::NoteVerifier;
use salesledger_replay::audit::cosignature::Added;
use salesledger_replay::audit::{key_fingerprint, latest_checkpoint, AuditError};

use crate::evidence::{
    ConsistencyError, CosignatureAdded, CosignatureError, CosignatureOffer, EvidenceError,
    ExportError,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::problem::ApiError;
use super::route::DocRoute;
use super::route::ReadRoute;
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
    /// line), followed by the witnesses' cosignature lines stored for it
    /// (C2SP tlog-cosignature): save it to check later with `salesledger
    /// verify --from-checkpoint`.
    pub note: String,
    /// The C2SP verifier key (`<name>+<key id>+<base64 key>`).
    pub verifier_key: String,
    /// SHA-256 of the raw public key, hex: compare out of band.
    pub key_fingerprint: String,
    /// When it was signed (RFC 3339, UTC).
    pub signed_at: String,
}

/// An evidence bundle (format `salesledger-evidence/3`, docs/AUDIT.md):
/// check it offline with `salesledger verify-bundle FILE --pubkey KEY`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EvidenceBundle)]
pub struct EvidenceBundleDoc {
    /// `salesledger-evidence/3` (`/2` and `/1`, written before, still verify).
    pub format: String,
    /// `{kind: "customer" | "lead" | "proposal", id}`.
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

/// An RFC 9162 consistency proof between two tree sizes of the log.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsistencyProofView {
    /// The older tree size (`from`).
    pub from: u64,
    /// The newer tree size (`to`).
    pub to: u64,
    /// RFC 9162 root of the first `from` records, 64 hex digits.
    pub from_root: String,
    /// RFC 9162 root of the first `to` records, 64 hex digits.
    pub to_root: String,
    /// The proof's hashes (hex), RFC 9162 section 2.1.4 order; empty when
    /// `from == to`.
    pub proof: Vec<String>,
}

/// `POST /v1/audit/cosignatures`: a witness's cosignature of one of the
/// log's checkpoints.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CosignatureRequest {
    /// The checkpoint's tree size.
    pub tree_size: u64,
    /// The checkpoint's RFC 9162 root, 64 hex digits.
    pub root_hash: String,
    /// The witness's verifier key (`<name>+<key id>+base64(0x04 ||
    /// Ed25519 public key)`, C2SP tlog-cosignature).
    pub witness_key: String,
    /// The cosignature line, `— <name> base64(key id || 8-byte time ||
    /// signature)`, over `cosignature/v1\ntime <time>\n` and the
    /// checkpoint body.
    pub cosignature: String,
}

/// The answer to a stored cosignature.
#[derive(Debug, Serialize, ToSchema)]
pub struct CosignatureStored {
    pub tree_size: u64,
    pub root_hash: String,
    /// The witness's verifier key.
    pub witness_key: String,
    /// The cosignature's time (POSIX seconds).
    pub cosigned_at: u64,
    /// `new`, `already_stored` (the same line was posted before: nothing
    /// changed) or `replaced` (the witness's earlier line for this
    /// checkpoint gave way to this one).
    pub outcome: String,
}

const EVIDENCE_PROBLEMS: &[(&str, &str)] = &[
    ("400", "The id is not a UUID"),
    ("401", "No or unknown bearer token"),
    (
        "403",
        "The caller's role may not read every event type, so not a bundle",
    ),
    ("404", "The log holds no event about this subject"),
    (
        "409",
        "evidence_needs_the_designated_signer: the log is shared with other gateways \
         (PostgreSQL); build the bundle with `salesledger evidence --store` on the \
         designated signer",
    ),
    (
        "503",
        "view_not_caught_up / view_failed: the subject index has not folded the log yet, \
         or stopped",
    ),
];

/// The documentation of an evidence bundle's download route.
const fn evidence_doc(
    path: &'static str,
    serve: fn() -> MethodRouter<AppState>,
    operation_id: &'static str,
    description: &'static str,
) -> DocRoute {
    DocRoute::new("get", path, serve, operation_id, description)
        .answers("EvidenceBundle")
        .problems(EVIDENCE_PROBLEMS)
        .tag("audit")
}

/// The audit routes documented as [`DocRoute`]s (the checkpoint route is
/// in the read routes' table).
pub const AUDIT_ROUTES: &[DocRoute] = &[
    evidence_doc(
        "/v1/audit/evidence/customers/{customer_id}",
        || evidence_route(EvidenceOf::Customer),
        "DownloadCustomerEvidence",
        "The evidence bundle of one customer (SPEC section 5; docs/AUDIT.md), \
         the same file as `salesledger evidence --customer ID`: every event about \
         the customer (its streams; the lead registered for it, its proposals \
         with their evidence, contracts and payments, visits, nurture packs; the \
         health, pool and routing policies in force) with its canonical bytes and \
         an RFC 9162 inclusion proof against a signed checkpoint (the latest one \
         when it covers them, else a freshly signed one), and a signed manifest. \
         Built from the subject index: it costs the customer's events, not a log \
         scan. Answered as a download (`Content-Disposition: attachment`). Roles \
         allowed: those that may read every event type on the feed (supervisor, \
         regional_supervisor, auditor, analyst, integrator, cto); read-only.",
    ),
    evidence_doc(
        "/v1/audit/evidence/leads/{lead_id}",
        || evidence_route(EvidenceOf::Lead),
        "DownloadLeadEvidence",
        "The evidence bundle of one lead (`salesledger evidence --lead ID`): its \
         registration, budget and technical-fit confirmations, routing proposal \
         and confirmation, stage changes, and the routing rules in force. Roles as \
         for a customer's bundle.",
    ),
    evidence_doc(
        "/v1/audit/evidence/proposals/{proposal_id}",
        || evidence_route(EvidenceOf::Proposal),
        "DownloadProposalEvidence",
        "The evidence bundle of one proposal (`salesledger evidence --proposal \
         ID`): its creation and every proof (PDF uploaded, e-mail receipt, link \
         opens, delivered), the PDFs' SHA-256 listed as attachments. Roles as for a \
         customer's bundle.",
    ),
    DocRoute::new(
        "get",
        "/v1/audit/consistency",
        || get(prove_consistency),
        "ProveConsistency",
        "An RFC 9162 consistency proof that the log's first `from` records are a \
         prefix of its first `to` records, with both roots: how an auditor who \
         saved a checkpoint checks the current one extends it (`salesledger \
         verify --url URL --token T --state FILE` does this). Roles as for \
         evidence bundles.",
    )
    .answers("ConsistencyProofView")
    .query(&[
        ("from", "The older tree size, at least 1"),
        ("to", "The newer tree size, from `from` to the log's length"),
    ])
    .problems(&[
        (
            "400",
            "invalid_query: `from` or `to` missing or not a number",
        ),
        ("401", "No or unknown bearer token"),
        ("403", "The caller's role may not read every event type"),
        (
            "422",
            "invalid_tree_sizes: `from` is 0, greater than `to`, or `to` is beyond the log",
        ),
    ])
    .tag("audit"),
    DocRoute::new(
        "post",
        "/v1/audit/cosignatures",
        || post(add_cosignature),
        "AddCosignature",
        "Stores a witness's cosignature (C2SP tlog-cosignature, Ed25519 \
         `cosignature/v1`) of one of the log's signed checkpoints, named by its \
         tree size and root. The gateway checks the line against the witness key \
         and the checkpoint it signed at that size, keeps one line per witness \
         key (durably, in DATA/audit/cosignatures), and from then on serves the \
         checkpoint's note with it (`GET /v1/audit/checkpoints/latest`, evidence \
         bundles). Posting the same line again changes nothing. `salesledger \
         witness` posts here. Roles: witness.",
    )
    .answers("CosignatureStored")
    .body("CosignatureRequest")
    .problems(&[
        ("400", "malformed_body"),
        ("401", "No or unknown bearer token"),
        ("403", "forbidden: only the witness role posts cosignatures"),
        (
            "404",
            "unknown_checkpoint: the log signed no checkpoint of this tree size",
        ),
        (
            "409",
            "checkpoint_mismatch: the log's checkpoint of this size has another root",
        ),
        ("415", "Body is not application/json"),
        (
            "422",
            "invalid_cosignature: a malformed witness key or root, or a line that does not verify \
             against the key and the checkpoint",
        ),
    ])
    .tag("audit"),
    DocRoute::new(
        "get",
        "/v1/audit/export",
        || get(export_from),
        "ExportLog",
        "The log from a position, streamed as JSON lines in the export format \
         (`salesledger-export/1`, docs/AUDIT.md): a header line, then one \
         `{position, hash, canonical}` line per record up to the log's length \
         when the request arrived. From position 0 it is byte for byte the file \
         `salesledger export` writes; from a later position the header also \
         names `from` and the `prev_hash` the first record must link to. Roles \
         as for evidence bundles.",
    )
    .streams("application/x-ndjson")
    .query(&[("from", "The first position (default 0)")])
    .problems(&[
        ("400", "invalid_query: `from` not a number"),
        ("401", "No or unknown bearer token"),
        ("403", "The caller's role may not read every event type"),
        ("422", "invalid_position: `from` is beyond the log"),
    ])
    .tag("audit"),
];

/// The latest signed checkpoint (one of the read routes).
pub const CHECKPOINT_READ: ReadRoute = ReadRoute {
    path: "/v1/audit/checkpoints/latest",
    operation_id: "ReadLatestCheckpoint",
    schema: "CheckpointView",
    query: &[],
    serve: || get(read_latest_checkpoint),
};

pub fn routes() -> axum::Router<AppState> {
    super::route::router(AUDIT_ROUTES)
}

/// Whether `role` may download evidence bundles: a bundle holds every
/// event about its subject, whatever its type, so only the roles that may
/// read every event type on the feed ([`crate::feed::VISIBILITY`]) may.
pub fn may_read_evidence(role: Role) -> bool {
    crate::feed::VISIBILITY
        .iter()
        .any(|(listed, patterns)| *listed == role && patterns.contains(&"*"))
}

fn refuse_role(caller: &Caller, what: &str) -> Result<(), ApiError> {
    super::auth::ensure_role(
        caller,
        may_read_evidence,
        format_args!("{what} (they hold every event type)"),
    )
}

/// Which kind of subject an evidence route's path names.
#[derive(Debug, Clone, Copy)]
enum EvidenceOf {
    Customer,
    Lead,
    Proposal,
}

/// The evidence route of `of`'s subjects.
fn evidence_route(of: EvidenceOf) -> axum::routing::MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>, caller: Caller, path: IdPath| {
            download_evidence(state, caller, path, of)
        },
    )
}

async fn download_evidence(
    state: AppState,
    caller: Caller,
    path: IdPath,
    of: EvidenceOf,
) -> Result<Response, ApiError> {
    refuse_role(&caller, "download evidence bundles")?;
    let id = super::views::path_id(path)?;
    let (subject, scope) = match of {
        EvidenceOf::Customer => (
            Subject::customer(id),
            super::auth::Subject::Customer(CustomerId::from_uuid(id)),
        ),
        // A lead registered for a customer is read as that customer's.
        EvidenceOf::Lead => {
            let customer = state
                .service
                .load::<Lead>(&lead_stream_id(LeadId::from_uuid(id)))
                .await?
                .state
                .record
                .and_then(|record| record.customer_id);
            let scope = customer.map_or(super::auth::Subject::None, super::auth::Subject::Customer);
            (Subject::lead(id), scope)
        }
        EvidenceOf::Proposal => (
            Subject::proposal(id),
            super::auth::Subject::Proposal(ProposalId::from_uuid(id)),
        ),
    };
    // A region-scoped caller gets bundles of their region's customers only
    // (the access table); another customer's is answered as missing.
    let missing = format!(
        "the log holds no event about {} {}",
        subject.kind, subject.id
    );
    super::auth::ensure_may_read(
        &state,
        &caller,
        salesledger_domain::access::Resource::Account,
        scope,
        || ApiError::not_found(missing.clone()),
    )
    .await?;
    if state.evidence.shares_log() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "evidence_needs_the_designated_signer",
            "this gateway shares its PostgreSQL log with others and signs no checkpoints; \
             build the bundle on the designated signer: salesledger evidence --store <url> \
             --data <its data dir> --customer <id>",
        ));
    }
    let store = state.service.store().clone();
    let bundle = match state
        .evidence
        .bundle(store.as_ref(), &state.views()?, &subject)
        .await
    {
        Ok(bundle) => bundle,
        Err(EvidenceError::NoEvents { .. }) => return Err(ApiError::not_found(missing)),
        Err(EvidenceError::Audit(AuditError::Evidence(detail))) => {
            return Err(ApiError::not_found(detail))
        }
        Err(EvidenceError::Index(error)) => return Err(super::views::view_error(error)),
        Err(error) => return Err(super::internal(error)),
    };
    let mut body = serde_json::to_vec_pretty(&bundle).map_err(super::internal)?;
    body.push(b'\n');
    let disposition = format!(
        "attachment; filename=\"evidence-{}-{}.json\"",
        subject.kind, subject.id
    );
    let mut response = not_stored((StatusCode::OK, body), "application/json");
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// An answer of `media_type` that no cache keeps (bundles, the export).
fn not_stored(body: impl IntoResponse, media_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /v1/audit/consistency?from=N&to=M`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    from: u64,
    to: u64,
}

async fn prove_consistency(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ConsistencyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ConsistencyProofView>, ApiError> {
    if caller.principal.role != Role::Witness {
        refuse_role(&caller, "read consistency proofs")?;
    }
    let Query(ConsistencyQuery { from, to }) = query?;
    let store = state.service.store().clone();
    let proof = match state.evidence.consistency(store.as_ref(), from, to).await {
        Ok(proof) => proof,
        Err(
            error @ (ConsistencyError::InvalidSizes { .. } | ConsistencyError::BeyondLog { .. }),
        ) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_tree_sizes",
                error.to_string(),
            ))
        }
        Err(error) => return Err(super::internal(error)),
    };
    Ok(Json(ConsistencyProofView {
        from,
        to,
        from_root: hex::encode(proof.from_root),
        to_root: hex::encode(proof.to_root),
        proof: proof.proof.iter().map(hex::encode).collect(),
    }))
}

/// `GET /v1/audit/export?from=POSITION`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    #[serde(default)]
    from: u64,
}

async fn export_from(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    refuse_role(&caller, "export the log")?;
    let Query(ExportQuery { from }) = query?;
    let pages = match crate::evidence::export_chunks(state.service.store().clone(), from).await {
        Ok(pages) => pages,
        Err(error @ ExportError::BeyondLog { .. }) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_position",
                error.to_string(),
            ))
        }
        Err(error) => return Err(super::internal(error)),
    };
    Ok(not_stored(
        axum::body::Body::from_stream(pages),
        "application/x-ndjson",
    ))
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
    let files = state.evidence.cosignature_files();
    let (note, tree_size, root) = (
        latest.payload.note.clone(),
        latest.payload.tree_size,
        latest.payload.root_hash.0,
    );
    let note = tokio::task::spawn_blocking(move || files.cosigned_note(&note, tree_size, &root))
        .await
        .map_err(super::internal)?
        .map_err(super::internal)?;
    Ok(Json(CheckpointView {
        position: latest.position,
        tree_size: latest.payload.tree_size,
        root_hash: latest.payload.root_hash.to_hex(),
        origin: latest.payload.origin,
        note,
        key_fingerprint: key_fingerprint(&verifier),
        verifier_key: latest.payload.verifier_key,
        signed_at: latest.payload.signed_at,
    }))
}

async fn add_cosignature(
    State(state): State<AppState>,
    caller: Caller,
    body: super::media::JsonBody<CosignatureRequest>,
) -> Result<Json<CosignatureStored>, ApiError> {
    super::auth::ensure_role(
        &caller,
        |role| role == Role::Witness,
        "post cosignatures: only the witness role may",
    )?;
    let request = body.decoded()?;
    let offer = CosignatureOffer {
        tree_size: request.tree_size,
        root_hash: &request.root_hash,
        witness_key: &request.witness_key,
        cosignature: &request.cosignature,
    };
    let store = state.service.store().clone();
    let CosignatureAdded {
        witness,
        cosigned_at,
        added,
    } = match state.evidence.add_cosignature(store.as_ref(), offer).await {
        Ok(added) => added,
        Err(error) => return Err(cosignature_problem(error)),
    };
    let tree_size = request.tree_size;
    let outcome = match added {
        Added::New => "new",
        Added::AlreadyStored => "already_stored",
        Added::Replaced => "replaced",
    };
    tracing::info!(witness = %witness.to_vkey(), tree_size, outcome, "cosignature stored");
    Ok(Json(CosignatureStored {
        tree_size,
        root_hash: request.root_hash,
        witness_key: witness.to_vkey(),
        cosigned_at,
        outcome: outcome.into(),
    }))
}

/// A refused cosignature as a problem: what the witness sent is wrong
/// (422), names no checkpoint of the log (404), or is of another log (409).
fn cosignature_problem(error: CosignatureError) -> ApiError {
    let (status, code) = match &error {
        CosignatureError::WitnessKey(_)
        | CosignatureError::RootHash
        | CosignatureError::Lines
        | CosignatureError::DoesNotVerify(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_cosignature")
        }
        CosignatureError::UnknownCheckpoint(_) => (StatusCode::NOT_FOUND, "unknown_checkpoint"),
        CosignatureError::Mismatch { .. } => (StatusCode::CONFLICT, "checkpoint_mismatch"),
        _ => return super::internal(error),
    };
    ApiError::new(status, code, error.to_string())
}
