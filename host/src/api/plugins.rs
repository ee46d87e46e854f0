//! `/api/plugins`: the loaded plugin versions.

use axum::Json;
use axum::extract::State;

use crate::app::App;
use crate::runtime::registry::PluginSummary;

/// `GET /api/plugins`: every loaded version with id, version, sha256 and whether active.
pub async fn list(State(app): State<App>) -> Json<Vec<PluginSummary>> {
    Json(app.registry.list())
}
