//! The JSON API mirroring the form: `/api/conferences` GET/POST, `/api/conferences/{id}`
//! GET/PUT/DELETE, authenticated by HTTP Basic (admin credentials) or `Authorization: Bearer`
//! (a token from `pont admin token USER`). Validation failures are 422 with each failing field.
//!
//! The API reads a request body as a JSON value and checks each field's type itself (rather than
//! letting serde stop at the first mismatch) so that one 422 names every failing field: wrong
//! types and unknown fields from here, rule violations from [`crate::booking::validate`]. The
//! operations themselves go through [`crate::booking::service`], exactly as the form's do, so
//! the two cannot drift apart.
//!
//! Status codes: 200 (GET, PUT), 201 (POST, with `Location`), 204 (DELETE), 400 (not JSON / not
//! an object), 401 (no or bad credentials, with `WWW-Authenticate: Basic realm="pont"`), 404 (no
//! such booking, someone else's, or already cancelled for PUT/DELETE), 409 (overlap without
//! `confirm_overlap`, or no conference number free), 422 (`{"errors": {field: message}}`), 429
//! (too many failed logins, with `Retry-After`), 500 (`{"error": "internal error"}`, detail
//! logged only).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::session;
use crate::auth;
use crate::booking::service::{self, BookingError};
use crate::booking::sheet::Sheet;
use crate::booking::{recurrence, validate, BookingInput, Lang};
use crate::config::PortalConfig;
use crate::metrics;
use crate::store::{Booking, StoreError, User};
use crate::App;

/// How long a client refused for too many failed logins is told to wait: the limiter's window
/// (the bridge builds it with 15 minutes). The limiter does not say when its oldest failure
/// expires, so this is an upper bound rather than the exact wait.
const RETRY_AFTER_SECS: u64 = 15 * 60;

/// The API routes.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/api/conferences", get(list).post(create))
        .route(
            "/api/conferences/{id}",
            get(show).put(replace).delete(remove),
        )
        .layer(axum::middleware::from_fn(json_only))
}

/// 415 for a POST or PUT whose body is not declared `application/json`. Besides being the
/// contract, it closes a CSRF path: a cross-site `<form enctype="text/plain">` can carry a
/// JSON-looking body with a browser's cached Basic credentials, but cannot set this type
/// without a CORS preflight, which we never grant.
async fn json_only(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let writes = matches!(
        *request.method(),
        axum::http::Method::POST | axum::http::Method::PUT
    );
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if writes && !is_json {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Json(json!({"error": "the body must be application/json"})),
        )
            .into_response();
    }
    next.run(request).await
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

/// `GET /api/conferences`: the caller's bookings (a super-admin's: everyone's), cancelled ones
/// included, by first start (the store's order).
async fn list(State(app): State<Arc<App>>, ApiUser(user): ApiUser) -> Result<Response, ApiError> {
    let owner = (!user.is_super).then_some(user.id.as_str());
    let bookings = app.store.bookings(owner).await?;
    let body: Vec<ConferenceJson> = bookings
        .iter()
        .map(|b| ConferenceJson::new(b, &app.config.portal))
        .collect();
    Ok(Json(body).into_response())
}

/// `POST /api/conferences`: book; 201 with the conference and its `Location`.
async fn create(
    State(app): State<Arc<App>>,
    ApiUser(user): ApiUser,
    ApiLang(lang): ApiLang,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = read_request(&body, lang, None)?;
    let booking = service::create(&app, &user, &request.input, lang, request.confirm_overlap)
        .await
        .map_err(ApiError::from)?;
    let location = format!("/api/conferences/{}", booking.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(ConferenceJson::new(&booking, &app.config.portal)),
    )
        .into_response())
}

/// `GET /api/conferences/{id}`.
async fn show(
    State(app): State<Arc<App>>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let booking = managed_booking(&app, &user, &id).await?;
    Ok(Json(ConferenceJson::new(&booking, &app.config.portal)).into_response())
}

/// `PUT /api/conferences/{id}`: full replacement (the same fields as POST; an absent optional
/// field is cleared, an absent `access_code` keeps the current code).
async fn replace(
    State(app): State<Arc<App>>,
    ApiUser(user): ApiUser,
    ApiLang(lang): ApiLang,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let booking = managed_booking(&app, &user, &id).await?;
    if booking.cancelled_at.is_some() {
        return Err(ApiError::NotFound);
    }
    let mut request = read_request(&body, lang, Some(&booking))?;
    // "Generate a code" makes sense for a new booking; on a change, leaving the code out must not
    // silently invalidate the code already sent to every participant.
    if request.input.access_code.is_empty() {
        request.input.access_code = booking.access_code.clone();
    }
    // Likewise a client that does not know about layouts (written before them) must not reset
    // the one the organiser chose; `"layout": ""` asks for the default explicitly.
    if !request.layout_given {
        request.input.layout = booking.layout.clone();
    }
    let updated = service::update(
        &app,
        &booking,
        &request.input,
        lang,
        request.confirm_overlap,
    )
    .await
    .map_err(ApiError::from)?;
    Ok(Json(ConferenceJson::new(&updated, &app.config.portal)).into_response())
}

/// `DELETE /api/conferences/{id}`: cancel (the recipients get CANCEL mails); 204.
async fn remove(
    State(app): State<Arc<App>>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let booking = managed_booking(&app, &user, &id).await?;
    if booking.cancelled_at.is_some() {
        return Err(ApiError::NotFound);
    }
    service::cancel(&app, &booking)
        .await
        .map_err(ApiError::from)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The booking `id` if `user` may manage it. Someone else's booking is a 404 exactly like a
/// missing one, so the API does not tell which ids exist.
async fn managed_booking(app: &App, user: &User, id: &str) -> Result<Booking, ApiError> {
    match app.store.booking(id).await? {
        Some(b) if service::can_manage(user, &b) => Ok(b),
        _ => Err(ApiError::NotFound),
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Every way an API request fails, each with its status and JSON body.
#[derive(Debug)]
pub enum ApiError {
    /// No credentials, or wrong ones: 401.
    Unauthorized,
    /// Too many failed logins from this address or for this account: 429.
    TooManyTries,
    /// The body is not JSON, or not an object: 400 with the reason.
    BadRequest(String),
    /// Fields failed (type or rules): 422, field name → message.
    Invalid(BTreeMap<String, String>),
    /// The organiser's own bookings at overlapping times (their ids): 409.
    Overlap(Vec<String>),
    /// No conference number is free for these times: 409.
    NoNumber,
    /// No such booking, someone else's, or (for PUT/DELETE) cancelled: 404.
    NotFound,
    /// The store failed: 500 (the detail is logged, never sent).
    Internal(StoreError),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Internal(e)
    }
}

impl From<BookingError> for ApiError {
    fn from(e: BookingError) -> Self {
        match e {
            BookingError::Invalid(errors) => ApiError::Invalid(
                errors
                    .0
                    .into_iter()
                    .map(|(f, m)| (f.name().to_string(), m))
                    .collect(),
            ),
            BookingError::Overlap(bookings) => {
                ApiError::Overlap(bookings.into_iter().map(|b| b.id).collect())
            }
            BookingError::NotFound => ApiError::NotFound,
            BookingError::NoNumber => ApiError::NoNumber,
            BookingError::Store(e) => ApiError::Internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Basic realm=\"pont\"")],
                Json(json!({ "error": "unauthorized" })),
            )
                .into_response(),
            ApiError::TooManyTries => (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, RETRY_AFTER_SECS.to_string())],
                Json(json!({ "error": "too many failed logins" })),
            )
                .into_response(),
            ApiError::BadRequest(reason) => {
                (StatusCode::BAD_REQUEST, Json(json!({ "error": reason }))).into_response()
            }
            ApiError::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "errors": errors })),
            )
                .into_response(),
            ApiError::Overlap(ids) => (
                StatusCode::CONFLICT,
                Json(json!({ "error": "overlap", "conflicts": ids })),
            )
                .into_response(),
            ApiError::NoNumber => (
                StatusCode::CONFLICT,
                Json(json!({ "error": "no conference number is free for these times" })),
            )
                .into_response(),
            ApiError::NotFound => {
                (StatusCode::NOT_FOUND, Json(json!({ "error": "not found" }))).into_response()
            }
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "api: store error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({ "error": "internal error" })),
                )
                    .into_response()
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Authentication and language
// ---------------------------------------------------------------------------------------------

/// The authenticated caller: HTTP Basic (admin name and password, rate limited like the portal's
/// login) or a bearer token.
#[derive(Debug, Clone)]
pub struct ApiUser(pub User);

impl FromRequestParts<Arc<App>> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let Some(value) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Err(ApiError::Unauthorized);
        };
        let (scheme, credentials) = value.trim().split_once(' ').unwrap_or((value, ""));
        let credentials = credentials.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            return bearer(app, credentials).await;
        }
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(ApiError::Unauthorized);
        }
        let Some((name, password)) = decode_basic(credentials) else {
            return Err(ApiError::Unauthorized);
        };
        basic(app, session::client_ip(parts), name, password).await
    }
}

/// Check a bearer token (stored only as its digest).
async fn bearer(app: &App, token: &str) -> Result<ApiUser, ApiError> {
    if token.is_empty() {
        return Err(ApiError::Unauthorized);
    }
    match app.store.user_by_token(&auth::digest(token)).await? {
        Some(user) => Ok(ApiUser(user)),
        None => {
            // Tokens are 256-bit random, so guessing is hopeless; the failure is only counted.
            metrics::inc(&app.metrics.logins_failed_total);
            Err(ApiError::Unauthorized)
        }
    }
}

/// Check a name and password (the portal's check, limiter included).
async fn basic(app: &App, ip: IpAddr, name: String, password: String) -> Result<ApiUser, ApiError> {
    match session::check_login(app, ip, &name, password).await? {
        session::Login::Ok(user) => Ok(ApiUser(user)),
        session::Login::Wrong => Err(ApiError::Unauthorized),
        session::Login::Refused => Err(ApiError::TooManyTries),
    }
}

/// `base64(name:password)` → (name, password); the password may contain `:`.
fn decode_basic(credentials: &str) -> Option<(String, String)> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(credentials)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (name, password) = text.split_once(':')?;
    Some((name.to_string(), password.to_string()))
}

/// The language of the messages: the first of `fr`/`en` in `Accept-Language` by preference,
/// else English (API clients are scripts more often than people).
#[derive(Debug, Clone, Copy)]
pub struct ApiLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ApiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(session::accept_language);
        Ok(ApiLang(lang.unwrap_or(Lang::En)))
    }
}

// ---------------------------------------------------------------------------------------------
// Request body
// ---------------------------------------------------------------------------------------------

/// A request body read into the form's input.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ApiRequest {
    /// The fields as the form would have typed them.
    input: BookingInput,
    /// Go on despite the organiser's overlapping bookings.
    confirm_overlap: bool,
    /// Whether the body named a `layout` (not `null`): a PUT without one keeps the booked layout.
    layout_given: bool,
}

/// The fields a request may carry; anything else is a 422 naming it (a typo such as `capacty`
/// must not silently fall back to a default).
const KNOWN_FIELDS: &[&str] = &[
    "title",
    "access_code",
    "start",
    "time_zone",
    "duration_minutes",
    "kind",
    "layout",
    "capacity",
    "comment",
    "recipients",
    "recurrence",
    "confirm_overlap",
];

/// Parse and type-check a body. Type errors (and unknown fields) are reported together with
/// the booking rules' verdict on the well-typed fields, so one 422 lists every failing field.
/// `editing` is the booking being replaced (its start may be kept even if now past).
fn read_request(
    body: &[u8],
    lang: Lang,
    editing: Option<&Booking>,
) -> Result<ApiRequest, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON: {e}")))?;
    let Value::Object(object) = value else {
        return Err(ApiError::BadRequest(
            "the body must be a JSON object".to_string(),
        ));
    };
    let (request, type_errors) = typed_fields(&object, lang);
    if type_errors.is_empty() {
        return Ok(request);
    }
    let keep_past_start = editing.map(|b| b.local_start.as_str());
    let mut errors: BTreeMap<String, String> = match validate::validate(
        &request.input,
        jiff::Timestamp::now(),
        lang,
        keep_past_start,
    ) {
        Ok(_) => BTreeMap::new(),
        Err(e) => {
            e.0.into_iter()
                .map(|(f, m)| (f.name().to_string(), m))
                .collect()
        }
    };
    // A field of the wrong type was left empty, which the rules call "required": the type
    // message says what is really wrong.
    errors.extend(type_errors);
    Err(ApiError::Invalid(errors))
}

/// What can be wrong with a field's JSON type.
#[derive(Debug, Clone, Copy)]
enum TypeError {
    String,
    Integer,
    Bool,
    StringList,
    Recurrence,
    Unknown,
}

impl TypeError {
    fn message(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (TypeError::String, Lang::En) => "must be a string",
            (TypeError::String, Lang::Fr) => "doit être une chaîne de caractères",
            (TypeError::Integer, Lang::En) => "must be a whole number",
            (TypeError::Integer, Lang::Fr) => "doit être un nombre entier",
            (TypeError::Bool, Lang::En) => "must be true or false",
            (TypeError::Bool, Lang::Fr) => "doit valoir true ou false",
            (TypeError::StringList, Lang::En) => "must be a list of strings",
            (TypeError::StringList, Lang::Fr) => "doit être une liste de chaînes de caractères",
            (TypeError::Recurrence, Lang::En) => {
                "must be an object {\"weekdays\": [\"mon\", …], \"until\": \"YYYY-MM-DD\"}"
            }
            (TypeError::Recurrence, Lang::Fr) => {
                "doit être un objet {\"weekdays\": [\"mon\", …], \"until\": \"AAAA-MM-JJ\"}"
            }
            (TypeError::Unknown, Lang::En) => "unknown field",
            (TypeError::Unknown, Lang::Fr) => "champ inconnu",
        }
    }
}

/// Read each known field by its JSON type into the form's strings; `null` counts as absent.
/// Returns the input (wrongly typed fields left empty) and the type errors by field name.
fn typed_fields(object: &Map<String, Value>, lang: Lang) -> (ApiRequest, BTreeMap<String, String>) {
    let mut r = FieldReader {
        object,
        lang,
        errors: BTreeMap::new(),
    };
    for key in object.keys() {
        if !KNOWN_FIELDS.contains(&key.as_str()) {
            r.fail(key, TypeError::Unknown);
        }
    }
    let (weekdays, until) = r.recurrence();
    let input = BookingInput {
        title: r.string("title"),
        access_code: r.string("access_code"),
        start: r.string("start"),
        time_zone: r.string("time_zone"),
        duration_minutes: r.integer("duration_minutes"),
        kind: r.string("kind"),
        layout: r.string("layout"),
        capacity: r.integer("capacity"),
        comment: r.string("comment"),
        recipients: r.string_list("recipients"),
        weekdays,
        until,
    };
    let confirm_overlap = r.bool("confirm_overlap");
    let layout_given = r.get("layout").is_some();
    (
        ApiRequest {
            input,
            confirm_overlap,
            layout_given,
        },
        r.errors,
    )
}

/// Reads fields of one body by type, collecting what is wrong.
struct FieldReader<'a> {
    object: &'a Map<String, Value>,
    lang: Lang,
    errors: BTreeMap<String, String>,
}

impl FieldReader<'_> {
    fn fail(&mut self, field: &str, e: TypeError) {
        self.errors
            .insert(field.to_string(), e.message(self.lang).to_string());
    }

    /// The field's value, `null` being absent.
    fn get(&self, field: &str) -> Option<&Value> {
        self.object.get(field).filter(|v| !v.is_null())
    }

    fn string(&mut self, field: &str) -> String {
        match self.get(field) {
            None => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                self.fail(field, TypeError::String);
                String::new()
            }
        }
    }

    /// Numbers travel as the form's strings; the rules then check their range.
    fn integer(&mut self, field: &str) -> String {
        match self.get(field).map(Value::as_i64) {
            None => String::new(),
            Some(Some(n)) => n.to_string(),
            Some(None) => {
                self.fail(field, TypeError::Integer);
                String::new()
            }
        }
    }

    fn bool(&mut self, field: &str) -> bool {
        match self.get(field) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.fail(field, TypeError::Bool);
                false
            }
        }
    }

    fn string_list(&mut self, field: &str) -> Vec<String> {
        match self.get(field).map(string_list) {
            None => Vec::new(),
            Some(Some(list)) => list,
            Some(None) => {
                self.fail(field, TypeError::StringList);
                Vec::new()
            }
        }
    }

    /// `recurrence` → the form's weekdays and until.
    fn recurrence(&mut self) -> (Vec<String>, String) {
        match self.get("recurrence").map(recurrence_fields) {
            None => (Vec::new(), String::new()),
            Some(Some(r)) => r,
            Some(None) => {
                self.fail("recurrence", TypeError::Recurrence);
                (Vec::new(), String::new())
            }
        }
    }
}

/// A JSON list of strings.
fn string_list(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|item| item.as_str().map(str::to_string))
        .collect()
}

/// `{"weekdays": [...], "until": "YYYY-MM-DD"}` → the form's weekdays and until; no other key.
fn recurrence_fields(v: &Value) -> Option<(Vec<String>, String)> {
    let object = v.as_object()?;
    if object.keys().any(|k| k != "weekdays" && k != "until") {
        return None;
    }
    let weekdays = match object.get("weekdays").filter(|v| !v.is_null()) {
        None => Vec::new(),
        Some(w) => string_list(w)?,
    };
    let until = match object.get("until").filter(|v| !v.is_null()) {
        None => String::new(),
        Some(u) => u.as_str()?.to_string(),
    };
    Some((weekdays, until))
}

// ---------------------------------------------------------------------------------------------
// Response body
// ---------------------------------------------------------------------------------------------

/// A conference as the API returns it: the booking's fields and its connection sheet.
#[derive(Debug, Clone, Serialize)]
struct ConferenceJson {
    id: String,
    number: String,
    access_code: String,
    title: String,
    sip_uri: String,
    h323: Option<String>,
    phone_numbers: Vec<String>,
    gds: Vec<String>,
    /// First occurrence, RFC 3339 with the zone's offset at that instant (`null` only for a
    /// stored booking whose zone is no longer known).
    start: Option<String>,
    end: Option<String>,
    time_zone: String,
    duration_minutes: i64,
    kind: String,
    /// Canonical layout name, `""` = the bridge's default (always `""` for audio).
    layout: String,
    capacity: i64,
    comment: String,
    recipients: Vec<String>,
    recurrence: Option<RecurrenceJson>,
    occurrences: Vec<OccurrenceJson>,
    modify_url: String,
    cancelled: bool,
    /// The invitations' iCalendar SEQUENCE: 0 when booked, +1 per change and on cancel.
    sequence: i64,
}

/// The recurrence as it was asked for.
#[derive(Debug, Clone, Serialize)]
struct RecurrenceJson {
    weekdays: Vec<String>,
    until: String,
}

/// One occurrence, RFC 3339.
#[derive(Debug, Clone, Serialize)]
struct OccurrenceJson {
    start: String,
    end: String,
}

impl ConferenceJson {
    fn new(booking: &Booking, config: &PortalConfig) -> ConferenceJson {
        let sheet = Sheet::new(booking, config);
        let zone = booking.time_zone.as_str();
        let occurrences: Vec<OccurrenceJson> = booking
            .occurrences
            .iter()
            .map(|c| OccurrenceJson {
                start: rfc3339(c.starts_at, zone),
                end: rfc3339(c.ends_at, zone),
            })
            .collect();
        // A cancelled booking has no conferences left: its times are recomputed from what was
        // booked (local start, zone, duration), as its CANCEL mails do.
        let first = recurrence::of_booking(booking).first().copied();
        let start = first.map(|o| rfc3339(o.starts_at, zone));
        let end = first.map(|o| rfc3339(o.ends_at, zone));
        let recurrence = (!booking.recurrence_weekdays.is_empty()).then(|| RecurrenceJson {
            weekdays: booking
                .recurrence_weekdays
                .split(',')
                .map(|d| d.trim().to_string())
                .filter(|d| !d.is_empty())
                .collect(),
            until: booking.recurrence_until.clone(),
        });
        ConferenceJson {
            id: booking.id.clone(),
            number: booking.number.clone(),
            access_code: booking.access_code.clone(),
            title: booking.title.clone(),
            sip_uri: sheet.sip_uri,
            h323: sheet.h323,
            phone_numbers: sheet.phone_numbers,
            gds: sheet.gds,
            start,
            end,
            time_zone: booking.time_zone.clone(),
            duration_minutes: booking.duration_minutes,
            kind: booking.kind.clone(),
            layout: booking.layout.clone(),
            capacity: booking.capacity,
            comment: booking.comment.clone(),
            recipients: booking.recipients.clone(),
            recurrence,
            occurrences,
            modify_url: sheet.modify_url,
            cancelled: booking.cancelled_at.is_some(),
            sequence: booking.sequence,
        }
    }
}

/// Unix seconds as RFC 3339 with the offset `zone` has at that instant
/// (`2026-12-01T10:00:00+01:00`); UTC for an unknown zone.
fn rfc3339(unix: i64, zone: &str) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(unix) else {
        return String::new();
    };
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    ts.display_with_offset(tz.to_offset(ts)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn well_typed_body_becomes_form_input() {
        let (req, errors) = typed_fields(
            &object(json!({
                "title": "Weekly",
                "start": "2026-12-01T10:00",
                "time_zone": "Europe/Paris",
                "duration_minutes": 90,
                "kind": "video",
                "layout": "CP4",
                "capacity": 12,
                "recipients": ["a@example.org", "b@example.org"],
                "recurrence": {"weekdays": ["mon", "thu"], "until": "2026-12-31"},
                "confirm_overlap": true,
                "comment": null
            })),
            Lang::En,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert!(req.confirm_overlap);
        assert!(req.layout_given);
        let i = req.input;
        assert_eq!(i.title, "Weekly");
        assert_eq!(i.access_code, "");
        assert_eq!(i.duration_minutes, "90");
        assert_eq!(i.capacity, "12");
        assert_eq!(i.layout, "CP4");
        assert_eq!(i.comment, "");
        assert_eq!(i.recipients, ["a@example.org", "b@example.org"]);
        assert_eq!(i.weekdays, ["mon", "thu"]);
        assert_eq!(i.until, "2026-12-31");
    }

    #[test]
    fn every_wrong_type_and_unknown_field_is_named() {
        let (req, errors) = typed_fields(
            &object(json!({
                "title": 5,
                "duration_minutes": "60",
                "capacity": 2.5,
                "recipients": "a@example.org",
                "recurrence": {"weekdays": ["mon"], "until": "2026-12-31", "every": 2},
                "confirm_overlap": "yes",
                "layout": 4,
                "capacty": 3
            })),
            Lang::En,
        );
        let names: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "capacity",
                "capacty",
                "confirm_overlap",
                "duration_minutes",
                "layout",
                "recipients",
                "recurrence",
                "title"
            ]
        );
        assert_eq!(errors["capacty"], "unknown field");
        assert_eq!(errors["title"], "must be a string");
        assert!(!req.confirm_overlap);
        assert_eq!(req.input.duration_minutes, "");

        let (req, _) = typed_fields(&object(json!({"layout": null})), Lang::En);
        assert!(!req.layout_given, "null is absent");

        let (_, fr) = typed_fields(&object(json!({"capacity": "dix"})), Lang::Fr);
        assert_eq!(fr["capacity"], "doit être un nombre entier");
    }

    #[test]
    fn syntax_errors_and_non_objects_are_400() {
        for body in [&b"{\"title\": "[..], b"[1, 2]", b""] {
            match read_request(body, Lang::En, None) {
                Err(ApiError::BadRequest(_)) => {}
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
            }
        }
    }

    #[test]
    fn basic_credentials_decode() {
        let b64 = base64::engine::general_purpose::STANDARD.encode("alice:pa:ss");
        assert_eq!(
            decode_basic(&b64),
            Some(("alice".to_string(), "pa:ss".to_string()))
        );
        assert_eq!(decode_basic("!!!"), None);
        let no_colon = base64::engine::general_purpose::STANDARD.encode("alice");
        assert_eq!(decode_basic(&no_colon), None);
    }

    #[test]
    fn times_carry_the_zone_offset() {
        // 2026-12-01 09:00 UTC is 10:00 in Paris (winter), 2026-07-01 08:00 UTC is 10:00 (summer).
        assert_eq!(
            rfc3339(1_796_115_600, "Europe/Paris"),
            "2026-12-01T10:00:00+01:00"
        );
        assert_eq!(
            rfc3339(1_782_892_800, "Europe/Paris"),
            "2026-07-01T10:00:00+02:00"
        );
        assert_eq!(
            rfc3339(1_796_115_600, "Nowhere/City"),
            "2026-12-01T09:00:00+00:00"
        );
    }
}
