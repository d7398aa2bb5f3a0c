//! The portal's page bodies other than the form: the login box, the list of conferences and the
//! connection sheet. Each function returns a fragment for [`crate::web::html::page`].

use std::fmt::Write;

use crate::booking::layout_label;
use crate::booking::sheet::{layout_key_hint, Sheet};
use crate::booking::Lang;
use crate::store::Booking;
use crate::web::html::esc;
use crate::web::i18n::t;

use super::form::hhmm;

/// The login box; `error` is shown above the fields, `name` is kept.
pub fn login(lang: Lang, csrf: &str, name: &str, error: Option<&str>) -> String {
    let s = t(lang);
    let mut out = format!(
        r#"<div class="card" style="max-width:26rem;margin:2rem auto"><h1>{}</h1>"#,
        esc(s.login_title)
    );
    if let Some(message) = error {
        let _ = write!(
            out,
            r#"<div class="alert" role="alert" id="login-error"><p>{}</p></div>"#,
            esc(message)
        );
    }
    let _ = write!(
        out,
        concat!(
            r#"<form method="post" action="/login"><input type="hidden" name="csrf" value="{csrf}">"#,
            r#"<div class="field"><label for="name">{name_label}</label>"#,
            r#"<input type="text" id="name" name="name" value="{name}" autocomplete="username" autocapitalize="none" spellcheck="false" style="width:100%"></div>"#,
            r#"<div class="field"><label for="password">{password_label}</label>"#,
            r#"<input type="password" id="password" name="password" autocomplete="current-password" style="width:100%"></div>"#,
            r#"<div class="actions"><button type="submit" id="login">{button}</button></div></form></div>"#,
        ),
        csrf = esc(csrf),
        name_label = esc(s.login_name),
        name = esc(name),
        password_label = esc(s.login_password),
        button = esc(s.login_button),
    );
    out
}

/// A booking's first start as people read it: `2026-12-01 10:00`.
pub fn local_start(booking: &Booking) -> String {
    booking.local_start.replacen('T', " ", 1)
}

/// Whether a booking belongs in "upcoming": not cancelled and not all over at `now`.
pub fn is_upcoming(booking: &Booking, now: i64) -> bool {
    booking.cancelled_at.is_none() && booking.occurrences.iter().any(|o| o.ends_at > now)
}

/// One row of the list.
#[derive(Debug)]
pub struct ListRow<'a> {
    /// The booking.
    pub booking: &'a Booking,
    /// The organiser's name, shown to a super-admin (`None` = column hidden).
    pub owner: Option<String>,
}

/// "My conferences": the action buttons, then upcoming and past tables.
pub fn list(lang: Lang, csrf: &str, upcoming: &[ListRow<'_>], past: &[ListRow<'_>]) -> String {
    let s = t(lang);
    let show_owner = upcoming.iter().chain(past).any(|r| r.owner.is_some());
    let mut out = format!(
        concat!(
            r#"<h1>{title}</h1><div class="actions">"#,
            r#"<a class="button" href="/conferences/new" id="plan">{new}</a>"#,
            r#"<form method="post" action="/conferences/instant" class="inline">"#,
            r#"<input type="hidden" name="csrf" value="{csrf}">"#,
            r#"<button type="submit" class="secondary button" id="instant">{instant}</button></form></div>"#,
        ),
        title = esc(s.list_title),
        new = esc(s.nav_new),
        csrf = esc(csrf),
        instant = esc(s.nav_instant),
    );
    for (id, heading, rows, empty) in [
        ("upcoming", s.upcoming, upcoming, s.none_upcoming),
        ("past", s.past, past, s.none_past),
    ] {
        let _ = write!(
            out,
            r#"<section aria-labelledby="h-{id}"><h2 id="h-{id}">{}</h2>"#,
            esc(heading)
        );
        if rows.is_empty() {
            let _ = write!(
                out,
                r#"<p class="muted" id="{id}-none">{}</p></section>"#,
                esc(empty)
            );
            continue;
        }
        let _ = write!(
            out,
            r#"<div class="card" style="padding:.4rem .8rem"><table id="{id}"><thead><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th>"#,
            esc(s.col_title),
            esc(s.col_start),
            esc(s.col_duration),
            esc(s.col_number),
        );
        if show_owner {
            let _ = write!(out, r#"<th scope="col">{}</th>"#, esc(s.col_owner));
        }
        let _ = write!(
            out,
            r#"<th scope="col">{}</th></tr></thead><tbody>"#,
            esc(s.col_status)
        );
        for row in rows.iter() {
            let b = row.booking;
            let dates = if b.occurrences.len() > 1 {
                format!(
                    r#"<br><span class="muted">{} {}</span>"#,
                    b.occurrences.len(),
                    esc(s.dates)
                )
            } else {
                String::new()
            };
            let _ = write!(
                out,
                r#"<tr><td><a href="/conferences/{id}">{title}</a></td><td>{start} <span class="muted">{zone}</span>{dates}</td><td>{duration}</td><td class="mono">{number}</td>"#,
                id = esc(&b.id),
                title = esc(&b.title),
                start = esc(&local_start(b)),
                zone = esc(&b.time_zone),
                dates = dates,
                duration = hhmm(b.duration_minutes),
                number = esc(&b.number),
            );
            if show_owner {
                let owner = row.owner.as_deref().unwrap_or(s.no_owner);
                let _ = write!(out, "<td>{}</td>", esc(owner));
            }
            let status = if b.cancelled_at.is_some() {
                format!(
                    r#"<span class="badge cancelled">{}</span>"#,
                    esc(s.status_cancelled)
                )
            } else {
                format!(r#"<span class="badge">{}</span>"#, esc(s.status_booked))
            };
            let _ = write!(out, "<td>{status}</td></tr>");
        }
        out.push_str("</tbody></table></div></section>");
    }
    out
}

/// What the sheet page offers besides the sheet itself.
#[derive(Debug)]
pub struct SheetActions<'a> {
    /// The `.ics` download.
    pub ics_href: &'a str,
    /// The "Modify" link (`None` when the form is on the same page, or cancelled).
    pub modify_href: Option<&'a str>,
    /// The cancel form's action and CSRF token (`None` once cancelled).
    pub cancel: Option<(&'a str, &'a str)>,
    /// Recipients to list (the organiser's view).
    pub recipients: Option<&'a [String]>,
}

/// How a sheet value is set: addresses and digits in a fixed-width font (easy to read back and
/// to key), the two numbers to key large, prose in the text font.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    /// Title, times, comment.
    Text,
    /// Addresses, phone numbers.
    Mono,
    /// The conference number and the access code.
    Big,
}

/// A table row whose value sits in an element with `id` (escaped).
fn row(out: &mut String, label: &str, id: &str, value: &str, suffix: &str, look: Look) {
    let class = match look {
        Look::Text => "value",
        Look::Mono => "value mono",
        Look::Big => "value mono big",
    };
    let _ = write!(
        out,
        r#"<tr><th scope="row">{}</th><td><span class="{class}" id="{id}">{}</span>{}</td></tr>"#,
        esc(label),
        esc(value),
        suffix
    );
}

/// A sheet row of several numbers, one a line. The first has the id the contract names
/// (`base`); the others are numbered after it (`base-2`, …), since ids are unique in a page.
fn numbers_row(out: &mut String, label: &str, base: &str, numbers: &[String]) {
    let mut cell = String::new();
    for (i, number) in numbers.iter().enumerate() {
        let id = if i == 0 {
            base.to_string()
        } else {
            format!("{base}-{}", i + 1)
        };
        let _ = write!(
            cell,
            r#"{}<span class="value mono" id="{id}">{}</span>"#,
            if i > 0 { "<br>" } else { "" },
            esc(number)
        );
    }
    let _ = write!(
        out,
        r#"<tr><th scope="row">{}</th><td>{}</td></tr>"#,
        esc(label),
        cell
    );
}

/// The connection sheet of `booking` with its actions, and its text for copy-paste.
pub fn sheet(lang: Lang, booking: &Booking, sheet: &Sheet, actions: &SheetActions<'_>) -> String {
    let s = t(lang);
    let hash = format!(r#" <span class="muted">{}</span>"#, esc(s.end_with_hash));
    let mut out = String::with_capacity(8 * 1024);
    if booking.cancelled_at.is_some() {
        let _ = write!(
            out,
            r#"<div class="alert" role="status" id="cancelled"><p><strong>{}</strong></p></div>"#,
            esc(s.cancelled_banner)
        );
    }
    let _ = write!(
        out,
        r#"<article class="card sheet" aria-labelledby="title"><p class="muted" style="margin:0">{}</p><h1 id="title">{}</h1>"#,
        esc(s.sheet_title),
        esc(&sheet.title)
    );

    // The two numbers every participant needs come first, large.
    out.push_str(r#"<table class="sheet">"#);
    row(
        &mut out,
        s.s_number,
        "number",
        &sheet.number,
        &hash,
        Look::Big,
    );
    row(
        &mut out,
        s.s_access_code,
        "access-code",
        &sheet.access_code,
        &hash,
        Look::Big,
    );
    out.push_str("</table>");

    let _ = write!(
        out,
        "<h2>{}</h2><table class=\"sheet\">",
        esc(s.sheet_video_systems)
    );
    row(&mut out, s.s_sip, "sip-uri", &sheet.sip_uri, "", Look::Mono);
    row(
        &mut out,
        s.s_sip_direct,
        "sip-uri-direct",
        &sheet.sip_uri_with_code,
        "",
        Look::Mono,
    );
    if let Some(h323) = &sheet.h323 {
        row(&mut out, s.s_h323, "h323", h323, "", Look::Mono);
    }
    out.push_str("</table>");

    if !sheet.phone_numbers.is_empty() {
        let _ = write!(
            out,
            "<h2>{}</h2><table class=\"sheet\">",
            esc(s.sheet_phone)
        );
        numbers_row(&mut out, s.s_phone, "phone", &sheet.phone_numbers);
        if !sheet.gds.is_empty() {
            numbers_row(&mut out, s.s_gds, "gds", &sheet.gds);
        }
        out.push_str("</table>");
    }

    let _ = write!(
        out,
        "<h2>{}</h2><table class=\"sheet\">",
        esc(s.sheet_conference)
    );
    let zone = format!(r#" <span class="muted">({})</span>"#, esc(&sheet.time_zone));
    row(
        &mut out,
        s.s_start,
        "start",
        &sheet.start_local,
        &zone,
        Look::Text,
    );
    row(
        &mut out,
        s.s_duration,
        "duration",
        &sheet.duration,
        "",
        Look::Text,
    );
    let kind = if sheet.kind == "audio" {
        s.kind_audio
    } else {
        s.kind_video
    };
    row(&mut out, s.s_kind, "kind", kind, "", Look::Text);
    if let Some(layout) = sheet.layout {
        let hint = format!(
            r#"<br><span class="muted" id="layout-key">{}</span>"#,
            esc(&layout_key_hint(lang))
        );
        row(
            &mut out,
            s.s_layout,
            "layout",
            layout_label(layout, lang),
            &hint,
            Look::Text,
        );
    }
    row(
        &mut out,
        s.s_capacity,
        "capacity",
        &sheet.capacity.to_string(),
        "",
        Look::Text,
    );
    if !sheet.comment.is_empty() {
        row(
            &mut out,
            s.s_comment,
            "comment",
            &sheet.comment,
            "",
            Look::Text,
        );
    }
    if !sheet.occurrences_local.is_empty() {
        let dates: Vec<String> = sheet
            .occurrences_local
            .iter()
            .map(|d| esc(d).to_string())
            .collect();
        let _ = write!(
            out,
            r#"<tr><th scope="row">{}</th><td id="dates">{}</td></tr>"#,
            esc(s.s_dates),
            dates.join("<br>")
        );
    }
    if let Some(recipients) = actions.recipients.filter(|r| !r.is_empty()) {
        let list: Vec<String> = recipients.iter().map(|r| esc(r).to_string()).collect();
        let _ = write!(
            out,
            r#"<tr><th scope="row">{}</th><td id="recipients">{}</td></tr>"#,
            esc(s.s_recipients),
            list.join("<br>")
        );
    }
    let _ = write!(
        out,
        r#"<tr><th scope="row">{}</th><td><a id="modify-url" href="{url}">{url}</a><span class="hint">{}</span></td></tr>"#,
        esc(s.s_modify_url),
        esc(s.s_modify_hint),
        url = esc(&sheet.modify_url),
    );
    out.push_str("</table></article>");

    out.push_str(r#"<div class="actions noprint">"#);
    let _ = write!(
        out,
        r#"<a class="button secondary" id="ics" href="{}" download>{}</a>"#,
        esc(actions.ics_href),
        esc(s.s_ics)
    );
    if let (Some(href), None) = (actions.modify_href, booking.cancelled_at) {
        let _ = write!(
            out,
            r#"<a class="button" id="modify" href="{}">{}</a>"#,
            esc(href),
            esc(s.modify)
        );
    }
    out.push_str("</div>");
    if let (Some((action, csrf)), None) = (actions.cancel, booking.cancelled_at) {
        let _ = write!(
            out,
            concat!(
                r#"<form method="post" action="{action}" class="actions noprint" id="cancel-form">"#,
                r#"<input type="hidden" name="csrf" value="{csrf}">"#,
                r#"<label><input type="checkbox" name="confirm" value="1" required> {confirm}</label>"#,
                r#"<button type="submit" class="danger" id="cancel">{cancel}</button></form>"#,
            ),
            action = esc(action),
            csrf = esc(csrf),
            confirm = esc(s.cancel_confirm),
            cancel = esc(s.cancel),
        );
    }

    let _ = write!(
        out,
        r#"<section class="noprint"><h2>{}</h2><p class="hint">{}</p><pre id="sheet-text">{}</pre></section>"#,
        esc(s.s_text),
        esc(s.s_text_hint),
        esc(&sheet.to_text(lang))
    );
    out
}
