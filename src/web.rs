//! The web side: the booking portal (server-rendered HTML, no JavaScript needed), the JSON API,
//! `/metrics` (Prometheus text) and `/healthz`.
//!
//! - [`portal`]: login, my conferences, plan / instant / modify / cancel, the connection sheet,
//!   `.ics` download, the private modification link.
//! - [`api`]: `/api/conferences` (HTTP Basic or bearer token).
//! - [`html`], [`i18n`]: page layout, escaping, fr/en strings.
//! - [`session`]: the session cookie, CSRF, the language of a request.

pub mod api;
pub mod html;
pub mod i18n;
pub mod portal;
pub mod session;

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::App;

/// The router.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .merge(portal::router())
        .merge(api::router())
        .with_state(app)
}

async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(),
    )
}
