//! Sessions (cookie), CSRF tokens, and the language of a request.
//!
//! - The session cookie `pont_session` holds a random token; the store keeps only its SHA-256
//!   digest, with the user and the session's CSRF token. Sessions last 12 hours.
//! - CSRF: forms of a signed-in user carry the session's token; the login form and the private
//!   modification-link forms (no session there) use a double-submit cookie `pont_csrf`: the
//!   form's hidden value must equal the cookie, which another site can neither read nor set.
//! - Language: `?lang=` (remembered in the `pont_lang` cookie by [`remember_lang`]), else that
//!   cookie, else `Accept-Language`, else the configured language.
//!
//! Cookies are parsed here (a few lines) rather than through another crate. Every cookie is
//! `HttpOnly; SameSite=Lax; Path=/`, plus `Secure` when the portal is served over https.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth;
use crate::booking::Lang;
use crate::store::User;
use crate::App;

use super::WebError;

/// The session cookie.
pub const SESSION_COOKIE: &str = "pont_session";
/// The double-submit CSRF cookie (login and private-link forms).
pub const CSRF_COOKIE: &str = "pont_csrf";
/// The language cookie.
pub const LANG_COOKIE: &str = "pont_lang";
/// How long a session lasts (seconds).
pub const SESSION_SECS: i64 = 12 * 3600;
/// How long the language choice is remembered (seconds).
const LANG_SECS: i64 = 365 * 24 * 3600;

/// The wall clock in Unix seconds (re-exported for the web handlers).
pub use crate::unix_now;

/// The value of cookie `name`, from every `Cookie` header of the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_string())
}

/// A `Set-Cookie` value: `HttpOnly; SameSite=Lax; Path=/`, `Max-Age` when given (0 deletes),
/// `Secure` when asked. Values are our own tokens and codes (URL-safe), never user text.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    // Names and values are ASCII tokens we made; a failure here would be a programming error, and
    // an empty cookie is harmless.
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Add a `Set-Cookie` header to a response.
pub fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(SET_COOKIE, cookie);
    response
}

/// `lang` from a query string, if it names a portal language.
fn query_lang(query: Option<&str>) -> Option<Lang> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(&v))
}

/// The best portal language in an `Accept-Language` header (highest q; the first on a tie).
pub fn accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(Lang::parse) else {
            continue;
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

/// The language of a request: `?lang=`, else the `pont_lang` cookie, else `Accept-Language`,
/// else the configured language (English if that is not a portal language).
pub fn request_lang(parts: &Parts, app: &App) -> Lang {
    query_lang(parts.uri.query())
        .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(|c| Lang::parse(&c)))
        .or_else(|| {
            parts
                .headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(accept_language)
        })
        .or_else(|| Lang::parse(&app.config.language))
        .unwrap_or(Lang::En)
}

/// The language of the request (an extractor; never fails).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReqLang(pub Lang);

impl FromRequestParts<Arc<App>> for ReqLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(request_lang(parts, app)))
    }
}

/// Middleware: a request with `?lang=fr|en` gets the choice remembered in `pont_lang`.
pub async fn remember_lang(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let chosen = query_lang(req.uri().query());
    let response = next.run(req).await;
    match chosen {
        Some(lang) => with_cookie(
            response,
            set_cookie(
                LANG_COOKIE,
                lang.code(),
                Some(LANG_SECS),
                app.config.portal.secure_cookies,
            ),
        ),
        None => response,
    }
}

/// The signed-in user of a request (an extractor). Without a live session it redirects to
/// `/login` (303).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account.
    pub user: User,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
    /// The session token's digest (to close the session).
    pub token_digest: String,
}

impl CurrentUser {
    /// The header's view of the user.
    pub fn nav(&self) -> super::html::NavUser<'_> {
        super::html::NavUser {
            name: &self.user.name,
            csrf: &self.csrf,
        }
    }

    /// Whether a posted form's CSRF token is this session's.
    pub fn csrf_ok(&self, form: &FormData) -> bool {
        csrf_matches(&self.csrf, form.get("csrf"))
    }
}

/// The session of a request, if any (store errors are internal errors).
pub async fn current_user(headers: &HeaderMap, app: &App) -> Result<Option<CurrentUser>, WebError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let token_digest = auth::digest(&token);
    Ok(app
        .store
        .session(&token_digest, unix_now())
        .await?
        .map(|s| CurrentUser {
            user: s.user,
            csrf: s.csrf,
            token_digest,
        }))
}

impl FromRequestParts<Arc<App>> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        match current_user(&parts.headers, app).await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Whether a submitted CSRF value equals the expected one (never for an empty expectation),
/// compared in constant time.
pub fn csrf_matches(expected: &str, got: Option<&str>) -> bool {
    match got {
        Some(got) if !expected.is_empty() => {
            auth::constant_time_eq(expected.as_bytes(), got.as_bytes())
        }
        _ => false,
    }
}

/// The double-submit token of a session-less page: the `pont_csrf` cookie's value, or a new one
/// with the `Set-Cookie` that stores it.
pub fn double_submit_token(headers: &HeaderMap, app: &App) -> (String, Option<HeaderValue>) {
    match cookie(headers, CSRF_COOKIE).filter(|c| !c.is_empty()) {
        Some(token) => (token, None),
        None => {
            let token = auth::new_token();
            let header = set_cookie(CSRF_COOKIE, &token, None, app.config.portal.secure_cookies);
            (token, Some(header))
        }
    }
}

/// Whether a session-less form's CSRF value equals its `pont_csrf` cookie.
pub fn double_submit_ok(headers: &HeaderMap, form: &FormData) -> bool {
    match cookie(headers, CSRF_COOKIE) {
        Some(expected) => csrf_matches(&expected, form.get("csrf")),
        None => false,
    }
}

/// The address a request came from (for login rate limiting); unspecified when the server was
/// not started with connection info.
pub fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The client address (an extractor; never fails).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// An `application/x-www-form-urlencoded` body as ordered pairs. Unlike `axum::Form`, repeated
/// keys (the `weekdays` checkboxes) are all kept.
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// Parse a body.
    pub fn parse(body: &[u8]) -> FormData {
        FormData(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, or empty.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether a checkbox `name` was ticked (present with any value but empty).
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !v.is_empty())
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // The body size is bounded by axum's default limit (2 MB), far above any form of ours.
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| (StatusCode::BAD_REQUEST, e.body_text()).into_response())?;
        Ok(FormData::parse(&body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn cookies_from_every_header() {
        let h = headers(&[
            ("cookie", "a=1; pont_session=abc"),
            ("cookie", "pont_lang=fr"),
        ]);
        assert_eq!(cookie(&h, "pont_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "pont_lang").as_deref(), Some("fr"));
        assert_eq!(cookie(&h, "a").as_deref(), Some("1"));
        assert_eq!(cookie(&h, "pont"), None);
    }

    #[test]
    fn set_cookie_attributes() {
        let c = set_cookie("pont_session", "t", Some(43200), true);
        assert_eq!(
            c.to_str().unwrap(),
            "pont_session=t; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200; Secure"
        );
        let c = set_cookie("pont_csrf", "t", None, false);
        assert_eq!(
            c.to_str().unwrap(),
            "pont_csrf=t; Path=/; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn accept_language_takes_the_best_supported() {
        assert_eq!(accept_language("fr-FR,fr;q=0.9,en;q=0.8"), Some(Lang::Fr));
        assert_eq!(accept_language("de-DE, en;q=0.5, fr;q=0.7"), Some(Lang::Fr));
        assert_eq!(accept_language("en-GB,fr"), Some(Lang::En));
        assert_eq!(accept_language("de, es"), None);
        assert_eq!(accept_language("fr;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(accept_language(""), None);
    }

    #[test]
    fn query_language() {
        assert_eq!(query_lang(Some("lang=fr")), Some(Lang::Fr));
        assert_eq!(query_lang(Some("x=1&lang=en")), Some(Lang::En));
        assert_eq!(query_lang(Some("lang=de")), None);
        assert_eq!(query_lang(None), None);
    }

    #[test]
    fn forms_keep_repeated_keys_and_decode() {
        let f = FormData::parse(
            b"title=Caf%C3%A9+du+lundi&weekdays=mon&weekdays=wed&confirm_overlap=on&e=",
        );
        assert_eq!(f.text("title"), "Café du lundi");
        assert_eq!(f.all("weekdays"), ["mon", "wed"]);
        assert!(f.checked("confirm_overlap"));
        assert!(!f.checked("e"));
        assert!(!f.checked("missing"));
        assert_eq!(f.text("missing"), "");
    }
}

/// What a name + password check says.
#[derive(Debug)]
pub enum Login {
    /// The right password.
    Ok(crate::store::User),
    /// Unknown name or wrong password (counted).
    Wrong,
    /// Too many failures from this address or for this account: not even checked.
    Refused,
}

/// Check a name and password for the portal and the API alike: under the login limiter (the try
/// counted before the check, so concurrent guesses cannot slip through), one argon2 check at a
/// time per core, off the async workers, and an unknown name costs the same as a wrong password.
pub async fn check_login(
    app: &App,
    ip: std::net::IpAddr,
    name: &str,
    password: String,
) -> Result<Login, crate::store::StoreError> {
    let allowed = app
        .login_limiter
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .attempt(std::time::Instant::now(), ip, name);
    if !allowed {
        crate::metrics::inc(&app.metrics.logins_refused_total);
        tracing::warn!(%ip, "login refused by rate limiting");
        return Ok(Login::Refused);
    }
    let user = app.store.user_by_name(name).await?;
    let phc = user.as_ref().map(|u| u.password_hash.clone());
    let matches = match app.password_checks.acquire().await {
        Ok(_permit) => tokio::task::spawn_blocking(move || {
            let phc = phc.as_deref().unwrap_or_else(|| crate::auth::dummy_hash());
            crate::auth::verify_password(&password, phc)
        })
        .await
        .unwrap_or(false),
        // Closed only at shutdown.
        Err(_) => false,
    };
    match user {
        Some(user) if matches => {
            app.login_limiter
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .succeeded(ip, name);
            Ok(Login::Ok(user))
        }
        _ => {
            crate::metrics::inc(&app.metrics.logins_failed_total);
            tracing::info!(%ip, "login failed");
            Ok(Login::Wrong)
        }
    }
}
