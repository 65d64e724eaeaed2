//! `/v1/views/health...` and `/v1/views/risk...`: customer health (SPEC C7) and the morning risk list (C8).

use axum::Router;

use super::ViewRoute;
use crate::gateway::AppState;

/// This module's view routes (documented in OpenAPI).
pub const VIEW_ROUTES: &[ViewRoute] = &[];

pub fn routes() -> Router<AppState> {
    Router::new()
}
