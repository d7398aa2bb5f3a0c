//! The web side: `/metrics` (Prometheus text) and a plain status page. The booking portal
//! (issue #4) grows here.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;

use crate::App;

/// The router.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
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

async fn index(State(app): State<Arc<App>>) -> Html<String> {
    use std::sync::atomic::Ordering::Relaxed;
    let m = &app.metrics;
    Html(format!(
        "<!doctype html><html lang=en><meta charset=utf-8><title>Pont</title>\
         <h1>Pont conference bridge</h1>\
         <p>SIP on {sip} (UDP and TCP). Calls in progress: {calls}. Conferences: {confs}. \
         Participants: {parts}.</p><p><a href=/metrics>Metrics</a></p></html>",
        sip = app.config.sip,
        calls = m.calls_active.load(Relaxed),
        confs = m.conferences_active.load(Relaxed),
        parts = m.participants_active.load(Relaxed),
    ))
}
