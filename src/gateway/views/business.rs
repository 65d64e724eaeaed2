//! `/v1/views/...` for the business views: process assets (C9), funnel (C11), receivables (C10), regional digest (C12), leaderboard.

use axum::Router;

use super::ViewRoute;
use crate::gateway::AppState;

/// This module's view routes (documented in OpenAPI).
pub const VIEW_ROUTES: &[ViewRoute] = &[];

pub fn routes() -> Router<AppState> {
    Router::new()
}
