//! The booking portal pages.

use std::sync::Arc;

use axum::Router;

use crate::App;

/// The portal routes.
pub fn router() -> Router<Arc<App>> {
    Router::new()
}
