//! The JSON API mirroring the form: `/api/conferences` GET/POST, `/api/conferences/{id}`
//! GET/PUT/DELETE, authenticated by HTTP Basic (admin credentials) or `Authorization: Bearer`
//! (a token from `pont admin token USER`). Validation failures are 422 with each failing field.

use std::sync::Arc;

use axum::Router;

use crate::App;

/// The API routes.
pub fn router() -> Router<Arc<App>> {
    Router::new()
}
