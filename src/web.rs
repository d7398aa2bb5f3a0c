//! The web side: the booking portal (server-rendered HTML, no JavaScript needed), the JSON API,
//! `/metrics` (Prometheus text) and `/healthz`.
//!
//! - [`portal`]: login, my conferences, plan / instant / modify / cancel, the connection sheet,
//!   `.ics` download, the private modification link.
//! - [`api`]: `/api/conferences` (HTTP Basic or bearer token).
//! - [`html`], [`i18n`]: page layout, escaping, fr/en strings.
//! - [`session`]: the session cookie, CSRF, the language of a request.
//!
//! Every response passes one middleware that counts it by status (for
//! `pont_http_requests_total`) and adds the security headers; every failure inside a handler
//! becomes a [`WebError`], whose page never shows the detail (that goes to the log).

pub mod api;
pub mod html;
pub mod i18n;
pub mod portal;
pub mod session;

use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::booking::service::BookingError;
use crate::booking::Lang;
use crate::store::StoreError;
use crate::App;

/// Largest request body accepted (form or JSON): 413 beyond.
pub const MAX_BODY: usize = 64 * 1024;

/// The router.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .merge(portal::router())
        .merge(api::router())
        .fallback(not_found)
        // A booking form or JSON body is a few KiB; refuse anything past 64 KiB before reading it.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            session::remember_lang,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            count_and_harden,
        ))
        .with_state(app)
}

/// A request that ends in an error page.
#[derive(Debug)]
pub enum WebError {
    /// Something failed inside (the store…): the detail is logged, the page says "internal
    /// error" (500).
    Internal(String),
    /// No such page or booking, or not the user's (404: existence is not revealed).
    NotFound(Lang),
    /// A form without the right CSRF token (403).
    Forbidden(Lang),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::Internal(e.to_string())
    }
}

impl From<BookingError> for WebError {
    /// For the booking errors a handler did not turn into a page of its own.
    fn from(e: BookingError) -> Self {
        WebError::Internal(e.to_string())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Internal(detail) => {
                tracing::error!(error = %detail, "web request failed");
                // Both languages: the failure may have happened before the language was known.
                let body = html::page(
                    Lang::En,
                    "Internal error",
                    None,
                    "<h1>Internal error · Erreur interne</h1>\n\
                     <p>The request could not be completed. Please try again later.</p>\n\
                     <p lang=\"fr\">La demande n’a pas pu aboutir. Veuillez réessayer plus tard.</p>",
                );
                (StatusCode::INTERNAL_SERVER_ERROR, Html(body)).into_response()
            }
            WebError::NotFound(lang) => {
                let s = i18n::t(lang);
                let body = html::message_page(lang, s.not_found_title, s.not_found_text, None);
                (StatusCode::NOT_FOUND, Html(body)).into_response()
            }
            WebError::Forbidden(lang) => {
                let s = i18n::t(lang);
                let body = html::message_page(lang, s.forbidden_title, s.forbidden_text, None);
                (StatusCode::FORBIDDEN, Html(body)).into_response()
            }
        }
    }
}

/// Any other path.
async fn not_found(session::ReqLang(lang): session::ReqLang) -> WebError {
    WebError::NotFound(lang)
}

/// Count the response by status, and add the headers every page should carry: no framing, no
/// MIME sniffing, no Referer (a private modification link in the URL must not leak to another
/// site), no caching (pages carry CSRF tokens, access codes and private links), and a
/// Content-Security-Policy that allows only our inline style and our own forms.
async fn count_and_harden(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    {
        let mut counts = app.http_requests.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry(response.status().as_u16()).or_insert(0) += 1;
    }
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ] {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}

/// `/metrics`: the counters, the HTTP responses by status, and the two gauges that come from the
/// store, refreshed now (a failing store leaves their last value).
async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    let now = session::unix_now();
    match app.store.upcoming_booking_count(now).await {
        Ok(n) => app.metrics.bookings_upcoming.store(n, Ordering::Relaxed),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count upcoming bookings"),
    }
    match app.store.outbox_backlog().await {
        Ok(n) => app.metrics.outbox_backlog.store(n, Ordering::Relaxed),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count the outbox backlog"),
    }
    let mut text = app.metrics.render();
    let counts = app
        .http_requests
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    render_http_requests(&mut text, &counts);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}

/// Append `pont_http_requests_total{status="…"}` lines (with their HELP and TYPE).
fn render_http_requests(out: &mut String, counts: &std::collections::BTreeMap<u16, u64>) {
    let _ = writeln!(
        out,
        "# HELP pont_http_requests_total HTTP responses sent, by status code."
    );
    let _ = writeln!(out, "# TYPE pont_http_requests_total counter");
    for (status, n) in counts {
        let _ = writeln!(out, "pont_http_requests_total{{status=\"{status}\"}} {n}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_requests_by_status() {
        let mut out = String::new();
        let counts = [(200u16, 3u64), (303, 1)].into_iter().collect();
        render_http_requests(&mut out, &counts);
        assert_eq!(
            out,
            "# HELP pont_http_requests_total HTTP responses sent, by status code.\n\
             # TYPE pont_http_requests_total counter\n\
             pont_http_requests_total{status=\"200\"} 3\n\
             pont_http_requests_total{status=\"303\"} 1\n"
        );
    }

    #[tokio::test]
    async fn internal_errors_hide_their_detail() {
        let response = WebError::Internal("SELECT secret FROM users".into()).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("Internal error"), "{body}");
        assert!(!body.contains("SELECT"), "{body}");
    }

    #[tokio::test]
    async fn refusals_are_pages_in_the_language_of_the_request() {
        let response = WebError::NotFound(Lang::Fr).into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        assert!(String::from_utf8_lossy(&body).contains("Introuvable"));
        let response = WebError::Forbidden(Lang::En).into_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
}
