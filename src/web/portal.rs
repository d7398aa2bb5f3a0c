//! The booking portal pages: log in and out, "My conferences", plan / instant / modify / cancel,
//! the connection sheet and its `.ics`, and the private modification link `/m/{token}`.
//!
//! Access: an organiser sees and changes only their own bookings, a super-admin all of them; a
//! booking that is not the user's answers 404 exactly like one that does not exist. The private
//! link gives whoever holds its token the sheet and the form of that one booking, without an
//! account. Every form carries a CSRF token (the session's, or the `pont_csrf` cookie's on pages
//! without a session).

mod form;
mod pages;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::auth;
use crate::booking::service::{self, BookingError};
use crate::booking::sheet::Sheet;
use crate::booking::{ics, FieldErrors, Lang};
use crate::store::Booking;
use crate::App;

use super::html::{self, NavUser};
use super::i18n::t;
use super::session::{
    self, double_submit_ok, double_submit_token, set_cookie, unix_now, with_cookie, ClientIp,
    CurrentUser, FormData, ReqLang, SESSION_COOKIE, SESSION_SECS,
};
use super::WebError;

use form::{Conflict, FormValues, FormView};

/// The portal routes.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(root))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/conferences", get(list).post(create))
        .route("/conferences/new", get(new_form))
        .route("/conferences/instant", post(instant))
        .route("/conferences/{id}", get(sheet_page))
        .route("/conferences/{id}/edit", get(edit_form).post(update))
        .route("/conferences/{id}/cancel", post(cancel))
        .route("/conferences/{id}/invite.ics", get(invite_ics))
        .route("/m/{token}", get(token_page).post(token_update))
        .route("/m/{token}/cancel", post(token_cancel))
        .route("/m/{token}/invite.ics", get(token_ics))
}

/// An HTML response.
fn html_response(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

/// 403 unless a signed-in user's form carries the session's CSRF token.
fn check_csrf(user: &CurrentUser, form: &FormData, lang: Lang) -> Result<(), WebError> {
    if user.csrf_ok(form) {
        Ok(())
    } else {
        Err(WebError::Forbidden(lang))
    }
}

/// `/`: the list when signed in, else the login page.
async fn root(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Redirect, WebError> {
    Ok(match session::current_user(&headers, &app).await? {
        Some(_) => Redirect::to("/conferences"),
        None => Redirect::to("/login"),
    })
}

/// `GET /login`: the form, with a fresh double-submit CSRF cookie when there is none.
async fn login_page(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    if session::current_user(&headers, &app).await?.is_some() {
        return Ok(Redirect::to("/conferences").into_response());
    }
    let (csrf, cookie) = double_submit_token(&headers, &app);
    let s = t(lang);
    let body = html::page(
        lang,
        s.login_title,
        None,
        &pages::login(lang, &csrf, "", None),
    );
    let response = html_response(StatusCode::OK, body);
    Ok(match cookie {
        Some(c) => with_cookie(response, c),
        None => response,
    })
}

/// `POST /login`: rate limited per address and account; 401 on wrong credentials, 429 when
/// refused, else a 12-hour session and 303 to the list.
async fn login(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, WebError> {
    if !double_submit_ok(&headers, &form) {
        return Err(WebError::Forbidden(lang));
    }
    let s = t(lang);
    let name = form.text("name").trim().to_string();
    let password = form.text("password");
    let csrf = form.text("csrf");
    let refuse = |status: StatusCode, message: &str| {
        let body = html::page(
            lang,
            s.login_title,
            None,
            &pages::login(lang, &csrf, &name, Some(message)),
        );
        html_response(status, body)
    };

    let user = match session::check_login(&app, ip, &name, password.to_string()).await? {
        session::Login::Ok(user) => user,
        session::Login::Wrong => return Ok(refuse(StatusCode::UNAUTHORIZED, s.login_failed)),
        session::Login::Refused => {
            return Ok(refuse(StatusCode::TOO_MANY_REQUESTS, s.login_refused))
        }
    };

    let token = auth::new_token();
    let session_csrf = auth::new_token();
    app.store
        .create_session(
            &auth::digest(&token),
            &user.id,
            &session_csrf,
            unix_now() + SESSION_SECS,
        )
        .await?;
    tracing::info!(user = %user.name, "portal login");
    Ok(with_cookie(
        Redirect::to("/conferences").into_response(),
        set_cookie(
            SESSION_COOKIE,
            &token,
            Some(SESSION_SECS),
            app.config.portal.secure_cookies,
        ),
    ))
}

/// `POST /logout`: close the session and forget the cookie.
async fn logout(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    user: CurrentUser,
    form: FormData,
) -> Result<Response, WebError> {
    check_csrf(&user, &form, lang)?;
    app.store.delete_session(&user.token_digest).await?;
    Ok(with_cookie(
        Redirect::to("/login").into_response(),
        set_cookie(
            SESSION_COOKIE,
            "",
            Some(0),
            app.config.portal.secure_cookies,
        ),
    ))
}

/// `GET /conferences`: upcoming (soonest first) and past or cancelled (latest first); a
/// super-admin sees everyone's, with the organiser's name.
async fn list(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    user: CurrentUser,
) -> Result<Response, WebError> {
    let owner = (!user.user.is_super).then_some(user.user.id.as_str());
    let bookings = app.store.bookings(owner).await?;
    let mut names: HashMap<String, Option<String>> = HashMap::new();
    if user.user.is_super {
        for id in bookings.iter().filter_map(|b| b.owner_id.as_deref()) {
            if !names.contains_key(id) {
                let name = app.store.user(id).await?.map(|u| u.name);
                names.insert(id.to_string(), name);
            }
        }
    }
    let now = unix_now();
    let owner_name = |b: &Booking| -> Option<String> {
        if !user.user.is_super {
            return None;
        }
        // A CLI booking has no owner; a deleted account shows its id.
        Some(match &b.owner_id {
            Some(id) => names
                .get(id)
                .cloned()
                .flatten()
                .unwrap_or_else(|| id.clone()),
            None => t(lang).no_owner.to_string(),
        })
    };
    let first = |b: &Booking| b.occurrences.first().map(|o| o.starts_at);
    let mut upcoming: Vec<&Booking> = bookings
        .iter()
        .filter(|b| pages::is_upcoming(b, now))
        .collect();
    let mut past: Vec<&Booking> = bookings
        .iter()
        .filter(|b| !pages::is_upcoming(b, now))
        .collect();
    upcoming.sort_by_key(|b| (first(b), b.local_start.clone()));
    past.sort_by_key(|b| std::cmp::Reverse((first(b), b.local_start.clone())));
    let upcoming: Vec<pages::ListRow> = upcoming
        .into_iter()
        .map(|booking| pages::ListRow {
            booking,
            owner: owner_name(booking),
        })
        .collect();
    let past: Vec<pages::ListRow> = past
        .into_iter()
        .map(|booking| pages::ListRow {
            booking,
            owner: owner_name(booking),
        })
        .collect();
    let body = pages::list(lang, &user.csrf, &upcoming, &past);
    Ok(html_response(
        StatusCode::OK,
        html::page(lang, t(lang).list_title, Some(user.nav()), &body),
    ))
}

/// The form (new or edit) with the messages of a failed submission, if any. `with_details`:
/// whether the overlap warning may name the conflicting bookings (see [`conflicts`]).
fn render_form(
    lang: Lang,
    action: &str,
    csrf: &str,
    values: &FormValues,
    outcome: Option<&FormOutcome>,
    with_details: bool,
    is_edit: bool,
) -> String {
    let no_errors = FieldErrors::default();
    let (errors, general_error, overlaps) = match outcome {
        Some(o) => (
            &o.errors,
            o.general,
            conflicts(lang, &o.overlaps, with_details),
        ),
        None => (&no_errors, None, Vec::new()),
    };
    form::render(&FormView {
        lang,
        action,
        csrf,
        values,
        errors,
        general_error,
        conflicts: &overlaps,
        is_edit,
    })
}

/// The signed-in form page (new or edit), with the messages of a failed submission, if any.
fn form_page(
    lang: Lang,
    nav: NavUser<'_>,
    action: &str,
    values: &FormValues,
    outcome: Option<&FormOutcome>,
    is_edit: bool,
) -> String {
    let s = t(lang);
    let title = if is_edit {
        s.form_edit_title
    } else {
        s.form_new_title
    };
    let body = format!(
        "<h1>{}</h1>{}",
        html::esc(title),
        render_form(lang, action, nav.csrf, values, outcome, true, is_edit)
    );
    html::page(lang, title, Some(nav), &body)
}

/// `GET /conferences/new`: the defaults of the configured zone.
async fn new_form(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    user: CurrentUser,
) -> Response {
    let values = FormValues::defaults(&app.config.portal.time_zone, unix_now());
    html_response(
        StatusCode::OK,
        form_page(lang, user.nav(), "/conferences", &values, None, false),
    )
}

/// How the overlap warning lists the conflicting bookings: with their titles and links for their
/// organiser (or a super-admin), by time only for a private-link holder.
fn conflicts(lang: Lang, overlaps: &[Booking], with_details: bool) -> Vec<Conflict> {
    let s = t(lang);
    overlaps
        .iter()
        .map(|b| {
            let when = format!(
                "{} ({}) — {} {}",
                pages::local_start(b),
                b.time_zone,
                s.col_duration,
                form::hhmm(b.duration_minutes),
            );
            if with_details {
                Conflict {
                    label: format!("{} — {} — {} {}", b.title, when, s.col_number, b.number),
                    href: Some(format!("/conferences/{}", b.id)),
                }
            } else {
                Conflict {
                    label: when,
                    href: None,
                }
            }
        })
        .collect()
}

/// What a failed create/update shows: the status and the form's messages. `Ok` carries the
/// other outcomes to the caller (404, internal errors).
struct FormOutcome {
    status: StatusCode,
    errors: FieldErrors,
    general: Option<&'static str>,
    overlaps: Vec<Booking>,
}

/// Sort a booking error into a form re-display or a plain error.
fn form_outcome(lang: Lang, e: BookingError) -> Result<FormOutcome, WebError> {
    let base = FormOutcome {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        errors: FieldErrors::default(),
        general: None,
        overlaps: Vec::new(),
    };
    match e {
        BookingError::Invalid(errors) => Ok(FormOutcome { errors, ..base }),
        // A warning, not an error: the same form, 200, with the confirmation box.
        BookingError::Overlap(overlaps) => Ok(FormOutcome {
            status: StatusCode::OK,
            overlaps,
            ..base
        }),
        BookingError::NoNumber => Ok(FormOutcome {
            status: StatusCode::CONFLICT,
            general: Some(t(lang).no_number),
            ..base
        }),
        BookingError::NotFound => Err(WebError::NotFound(lang)),
        BookingError::Store(e) => Err(e.into()),
    }
}

/// The end of every form submission: 303 to `then` (given the saved booking) when it went
/// through, else the page `show_again` renders with the form's messages, at the outcome's
/// status; 404 and internal errors stay errors.
fn submitted(
    lang: Lang,
    result: Result<Booking, BookingError>,
    then: impl FnOnce(&Booking) -> String,
    show_again: impl FnOnce(&FormOutcome) -> String,
) -> Result<Response, WebError> {
    match result {
        Ok(booking) => Ok(Redirect::to(&then(&booking)).into_response()),
        Err(e) => {
            let outcome = form_outcome(lang, e)?;
            Ok(html_response(outcome.status, show_again(&outcome)))
        }
    }
}

/// `POST /conferences`: book, or show the form again.
async fn create(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    user: CurrentUser,
    data: FormData,
) -> Result<Response, WebError> {
    check_csrf(&user, &data, lang)?;
    let values = FormValues::from_form(&data);
    let confirm = data.checked("confirm_overlap");
    let result = service::create(&app, &user.user, &values.to_input(), lang, confirm).await;
    submitted(
        lang,
        result,
        |b| format!("/conferences/{}", b.id),
        |o| form_page(lang, user.nav(), "/conferences", &values, Some(o), false),
    )
}

/// `POST /conferences/instant`: one click, then the sheet.
async fn instant(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    user: CurrentUser,
    data: FormData,
) -> Result<Response, WebError> {
    check_csrf(&user, &data, lang)?;
    match service::instant(&app, &user.user, lang).await {
        Ok(booking) => Ok(Redirect::to(&format!("/conferences/{}", booking.id)).into_response()),
        Err(BookingError::NoNumber) => {
            let s = t(lang);
            Ok(html_response(
                StatusCode::CONFLICT,
                html::message_page(lang, s.nav_instant, s.no_number, Some(user.nav())),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// The booking `id` if `user` may manage it; 404 otherwise (absent or someone else's alike).
async fn my_booking(
    app: &App,
    user: &CurrentUser,
    id: &str,
    lang: Lang,
) -> Result<Booking, WebError> {
    match app.store.booking(id).await? {
        Some(b) if service::can_manage(&user.user, &b) => Ok(b),
        _ => Err(WebError::NotFound(lang)),
    }
}

/// The booking a signed-in form posts to: 403 without the session's CSRF token, then as
/// [`my_booking`].
async fn my_posted_booking(
    app: &App,
    user: &CurrentUser,
    id: &str,
    lang: Lang,
    data: &FormData,
) -> Result<Booking, WebError> {
    check_csrf(user, data, lang)?;
    my_booking(app, user, id, lang).await
}

/// `GET /conferences/{id}`: the connection sheet.
async fn sheet_page(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let booking = my_booking(&app, &user, &id, lang).await?;
    let sheet = Sheet::new(&booking, &app.config.portal);
    let ics_href = format!("/conferences/{}/invite.ics", booking.id);
    let modify_href = format!("/conferences/{}/edit", booking.id);
    let cancel_action = format!("/conferences/{}/cancel", booking.id);
    let body = pages::sheet(
        lang,
        &booking,
        &sheet,
        &pages::SheetActions {
            ics_href: &ics_href,
            modify_href: Some(&modify_href),
            cancel: Some((&cancel_action, &user.csrf)),
            recipients: Some(&booking.recipients),
        },
    );
    Ok(html_response(
        StatusCode::OK,
        html::page(lang, &booking.title, Some(user.nav()), &body),
    ))
}

/// `GET /conferences/{id}/edit`: the form filled with the booking (a cancelled one goes back to
/// its sheet: there is nothing left to change).
async fn edit_form(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let booking = my_booking(&app, &user, &id, lang).await?;
    if booking.cancelled_at.is_some() {
        return Ok(Redirect::to(&format!("/conferences/{}", booking.id)).into_response());
    }
    let values = FormValues::from_input(&service::input_of(&booking));
    Ok(html_response(
        StatusCode::OK,
        form_page(
            lang,
            user.nav(),
            &format!("/conferences/{}/edit", booking.id),
            &values,
            None,
            true,
        ),
    ))
}

/// `POST /conferences/{id}/edit`: change, or show the form again.
async fn update(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    user: CurrentUser,
    Path(id): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let booking = my_posted_booking(&app, &user, &id, lang, &data).await?;
    let values = FormValues::from_form(&data);
    let confirm = data.checked("confirm_overlap");
    let result = service::update(&app, &booking, &values.to_input(), lang, confirm).await;
    let action = format!("/conferences/{}/edit", booking.id);
    submitted(
        lang,
        result,
        |b| format!("/conferences/{}", b.id),
        |o| form_page(lang, user.nav(), &action, &values, Some(o), true),
    )
}

/// `POST /conferences/{id}/cancel`.
async fn cancel(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    user: CurrentUser,
    Path(id): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let booking = my_posted_booking(&app, &user, &id, lang, &data).await?;
    cancel_then(
        &app,
        &booking,
        lang,
        &format!("/conferences/{}", booking.id),
    )
    .await
}

/// Cancel (an already cancelled booking is left as it is) and go to `then`.
async fn cancel_then(
    app: &App,
    booking: &Booking,
    lang: Lang,
    then: &str,
) -> Result<Response, WebError> {
    // Cancelling twice (a double click) lands on the same cancelled sheet.
    if booking.cancelled_at.is_some() {
        return Ok(Redirect::to(then).into_response());
    }
    match service::cancel(app, booking).await {
        Ok(_) => Ok(Redirect::to(then).into_response()),
        Err(BookingError::NotFound) => Err(WebError::NotFound(lang)),
        Err(e) => Err(e.into()),
    }
}

/// The `.ics` of a booking as a download: PUBLISH (an entry to import, not a request to
/// answer), STATUS:CANCELLED once cancelled.
fn ics_response(app: &App, booking: &Booking, lang: Lang) -> Response {
    let text = ics::calendar(
        booking,
        &app.config.portal,
        ics::Method::Publish,
        lang,
        unix_now(),
    );
    (
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"conference-{}.ics\"",
                    booking
                        .number
                        .replace(|c: char| !c.is_ascii_alphanumeric(), "")
                ),
            ),
        ],
        text,
    )
        .into_response()
}

/// `GET /conferences/{id}/invite.ics`.
async fn invite_ics(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let booking = my_booking(&app, &user, &id, lang).await?;
    Ok(ics_response(&app, &booking, lang))
}

/// The booking a private link opens; 404 for an unknown token.
async fn by_token(app: &App, token: &str, lang: Lang) -> Result<Booking, WebError> {
    // Tokens are URL-safe base64; anything else cannot match and need not reach the store.
    if token.is_empty()
        || token.len() > 128
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(WebError::NotFound(lang));
    }
    app.store
        .booking_by_token(token)
        .await?
        .ok_or(WebError::NotFound(lang))
}

/// The booking a private-link form posts to: as [`by_token`] (an unknown token is 404 before
/// anything else), then 403 without the double-submit CSRF token.
async fn posted_by_token(
    app: &App,
    token: &str,
    lang: Lang,
    headers: &HeaderMap,
    data: &FormData,
) -> Result<Booking, WebError> {
    let booking = by_token(app, token, lang).await?;
    if !double_submit_ok(headers, data) {
        return Err(WebError::Forbidden(lang));
    }
    Ok(booking)
}

/// What the private-link page shows below its sheet.
struct TokenForm<'a> {
    values: &'a FormValues,
    outcome: Option<&'a FormOutcome>,
    csrf: &'a str,
}

/// The private-link page: the sheet, then (unless cancelled) the form and the cancel button.
fn token_page_html(
    app: &App,
    lang: Lang,
    booking: &Booking,
    token: &str,
    f: &TokenForm<'_>,
) -> String {
    let s = t(lang);
    let sheet = Sheet::new(booking, &app.config.portal);
    let ics_href = format!("/m/{token}/invite.ics");
    let cancel_action = format!("/m/{token}/cancel");
    let mut body = format!(
        r#"<div class="notice noprint" id="token-intro"><p>{}</p></div>"#,
        html::esc(s.token_intro)
    );
    body.push_str(&pages::sheet(
        lang,
        booking,
        &sheet,
        &pages::SheetActions {
            ics_href: &ics_href,
            // The form is further down the same page.
            modify_href: Some("#edit-title"),
            cancel: Some((&cancel_action, f.csrf)),
            recipients: None,
        },
    ));
    if booking.cancelled_at.is_none() {
        // A link holder is not the organiser: the overlap warning gives times, not other titles.
        let form = render_form(
            lang,
            &format!("/m/{token}"),
            f.csrf,
            f.values,
            f.outcome,
            false,
            true,
        );
        body.push_str(&format!(
            r#"<section class="noprint" aria-labelledby="edit-title"><h2 id="edit-title">{}</h2>{}</section>"#,
            html::esc(s.token_edit_title),
            form
        ));
    }
    html::page(lang, &booking.title, None, &body)
}

/// `GET /m/{token}`: sheet and form, no account needed.
async fn token_page(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let booking = by_token(&app, &token, lang).await?;
    let (csrf, cookie) = double_submit_token(&headers, &app);
    let page = token_page_html(
        &app,
        lang,
        &booking,
        &token,
        &TokenForm {
            values: &FormValues::from_input(&service::input_of(&booking)),
            outcome: None,
            csrf: &csrf,
        },
    );
    let response = html_response(StatusCode::OK, page);
    Ok(match cookie {
        Some(c) => with_cookie(response, c),
        None => response,
    })
}

/// `POST /m/{token}`: change the booking, or show the page again with the form's messages.
async fn token_update(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    Path(token): Path<String>,
    headers: HeaderMap,
    data: FormData,
) -> Result<Response, WebError> {
    let booking = posted_by_token(&app, &token, lang, &headers, &data).await?;
    let values = FormValues::from_form(&data);
    let confirm = data.checked("confirm_overlap");
    let result = service::update(&app, &booking, &values.to_input(), lang, confirm).await;
    let csrf = data.text("csrf");
    submitted(
        lang,
        result,
        |_| format!("/m/{token}"),
        |o| {
            let f = TokenForm {
                values: &values,
                outcome: Some(o),
                csrf: &csrf,
            };
            token_page_html(&app, lang, &booking, &token, &f)
        },
    )
}

/// `POST /m/{token}/cancel`.
async fn token_cancel(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    Path(token): Path<String>,
    headers: HeaderMap,
    data: FormData,
) -> Result<Response, WebError> {
    let booking = posted_by_token(&app, &token, lang, &headers, &data).await?;
    cancel_then(&app, &booking, lang, &format!("/m/{token}")).await
}

/// `GET /m/{token}/invite.ics`.
async fn token_ics(
    State(app): State<Arc<App>>,
    ReqLang(lang): ReqLang,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let booking = by_token(&app, &token, lang).await?;
    Ok(ics_response(&app, &booking, lang))
}
