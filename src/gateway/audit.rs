//! Audit reads: the latest signed checkpoint of the log, for witnesses and
//! auditors (docs/AUDIT.md). Read-only; any authenticated role.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use salesledger_replay::audit::{key_fingerprint, latest_checkpoint};
use salesledger_replay::checkpoint::NoteVerifier;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::problem::ApiError;
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

pub fn routes() -> axum::Router<AppState> {
    Router::new().route("/v1/audit/checkpoints/latest", get(read_latest_checkpoint))
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
