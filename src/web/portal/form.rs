//! The booking form: its values as typed (kept on every re-display), the defaults of a new form,
//! and its HTML with each error beside its field.
//!
//! The form splits the start into a date and a time input (what browsers offer without
//! JavaScript); [`FormValues::to_input`] joins them into the `start` the rules check, and an error
//! on `start` is shown under both.

use std::fmt::Write;

use crate::booking::{layout_label, tz, BookingInput, Field, FieldErrors, Lang};
use crate::web::html::esc;
use crate::web::i18n::t;
use crate::web::session::FormData;
use media::video::Layout;

/// Weekday values of the recurrence checkboxes, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The form's fields exactly as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormValues {
    /// `title`
    pub title: String,
    /// `access_code`
    pub access_code: String,
    /// `start_date` (YYYY-MM-DD)
    pub start_date: String,
    /// `start_time` (HH:MM)
    pub start_time: String,
    /// `time_zone`
    pub time_zone: String,
    /// `duration_minutes`
    pub duration_minutes: String,
    /// `kind`
    pub kind: String,
    /// `layout` (empty = the bridge's default)
    pub layout: String,
    /// `capacity`
    pub capacity: String,
    /// `comment`
    pub comment: String,
    /// `recipients`, the textarea's text.
    pub recipients: String,
    /// `weekdays`, each ticked box.
    pub weekdays: Vec<String>,
    /// `until`
    pub until: String,
}

impl FormValues {
    /// The values of a posted form.
    pub fn from_form(f: &FormData) -> FormValues {
        FormValues {
            title: f.text("title"),
            access_code: f.text("access_code"),
            start_date: f.text("start_date"),
            start_time: f.text("start_time"),
            time_zone: f.text("time_zone"),
            duration_minutes: f.text("duration_minutes"),
            kind: f.text("kind"),
            layout: f.text("layout"),
            capacity: f.text("capacity"),
            comment: f.text("comment"),
            recipients: f.text("recipients"),
            weekdays: f.all("weekdays"),
            until: f.text("until"),
        }
    }

    /// The values that show a stored booking (the edit form).
    pub fn from_input(input: &BookingInput) -> FormValues {
        let (date, time) = input
            .start
            .split_once('T')
            .map(|(d, t)| (d.to_string(), t.to_string()))
            .unwrap_or_else(|| (input.start.clone(), String::new()));
        FormValues {
            title: input.title.clone(),
            access_code: input.access_code.clone(),
            start_date: date,
            start_time: time,
            time_zone: input.time_zone.clone(),
            duration_minutes: input.duration_minutes.clone(),
            kind: input.kind.clone(),
            layout: input.layout.clone(),
            capacity: input.capacity.clone(),
            comment: input.comment.clone(),
            recipients: input.recipients.join("\n"),
            weekdays: input.weekdays.clone(),
            until: input.until.clone(),
        }
    }

    /// A new form: the configured zone, the next quarter hour there, 1 hour, audio and video,
    /// 20 connections.
    pub fn defaults(zone: &str, now: i64) -> FormValues {
        // Quarter hours are the same instants in every zone in use (offsets are multiples of
        // 15 minutes), so rounding in UTC gives a quarter hour locally.
        let next_quarter = (now.div_euclid(900) + 1) * 900;
        let (start_date, start_time) = match tz::to_local(next_quarter, zone) {
            Some(local) => (
                local.strftime("%Y-%m-%d").to_string(),
                local.strftime("%H:%M").to_string(),
            ),
            None => (String::new(), String::new()),
        };
        FormValues {
            start_date,
            start_time,
            time_zone: zone.to_string(),
            duration_minutes: "60".into(),
            kind: "video".into(),
            capacity: "20".into(),
            ..FormValues::default()
        }
    }

    /// The input the rules check: date and time joined, recipients split on lines, commas and
    /// semicolons (how people paste address lists).
    pub fn to_input(&self) -> BookingInput {
        let date = self.start_date.trim();
        let time = self.start_time.trim();
        let start = if date.is_empty() && time.is_empty() {
            String::new()
        } else {
            format!("{date}T{time}")
        };
        BookingInput {
            title: self.title.clone(),
            access_code: self.access_code.trim().to_string(),
            start,
            time_zone: self.time_zone.trim().to_string(),
            duration_minutes: self.duration_minutes.trim().to_string(),
            kind: self.kind.trim().to_string(),
            layout: self.layout.trim().to_string(),
            capacity: self.capacity.trim().to_string(),
            comment: self.comment.clone(),
            recipients: self
                .recipients
                .split(['\n', '\r', ',', ';'])
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
            weekdays: self.weekdays.clone(),
            until: self.until.trim().to_string(),
        }
    }
}

/// One booking the new times overlap, as the warning lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// What to print (already plain text; escaped when rendered).
    pub label: String,
    /// Link to its sheet, when the viewer may open it.
    pub href: Option<String>,
}

/// Everything the form's HTML depends on.
#[derive(Debug)]
pub struct FormView<'a> {
    /// Page language.
    pub lang: Lang,
    /// Where the form posts.
    pub action: &'a str,
    /// The CSRF token to send back.
    pub csrf: &'a str,
    /// The values to show.
    pub values: &'a FormValues,
    /// Messages per field.
    pub errors: &'a FieldErrors,
    /// A message for the whole form (no number free…).
    pub general_error: Option<&'a str>,
    /// The overlap warning's list (empty = no warning, no confirmation box).
    pub conflicts: &'a [Conflict],
    /// Whether this changes an existing booking (the button's label).
    pub is_edit: bool,
}

/// `id="error-FIELD"` paragraph, or nothing.
fn error_of(out: &mut String, errors: &FieldErrors, field: Field) {
    if let Some(message) = errors.get(field) {
        let _ = write!(
            out,
            r#"<p class="error" id="error-{}">{}</p>"#,
            field.name(),
            esc(message)
        );
    }
}

/// The `aria-*` attributes of an input: its hint, its error, whether it is invalid.
fn described(errors: &FieldErrors, field: Field, hint: Option<&str>) -> String {
    let mut ids = Vec::new();
    if let Some(h) = hint {
        ids.push(h.to_string());
    }
    let invalid = errors.get(field).is_some();
    if invalid {
        ids.push(format!("error-{}", field.name()));
    }
    let mut attrs = String::new();
    if !ids.is_empty() {
        let _ = write!(attrs, r#" aria-describedby="{}""#, ids.join(" "));
    }
    if invalid {
        attrs.push_str(r#" aria-invalid="true""#);
    }
    attrs
}

/// ` invalid` when the field failed (the CSS outlines it).
fn invalid_class(errors: &FieldErrors, field: Field) -> &'static str {
    if errors.get(field).is_some() {
        " invalid"
    } else {
        ""
    }
}

/// A field with its label, its control, its error and its hint. The label, the control and the
/// hint (`hint-NAME`) take the field's name; `control` gets the `aria-*` attributes to end its
/// opening tag with.
fn hinted_field(
    out: &mut String,
    errors: &FieldErrors,
    field: Field,
    label: &str,
    hint: &str,
    control: impl FnOnce(&str) -> String,
) {
    let name = field.name();
    let aria = described(errors, field, Some(&format!("hint-{name}")));
    let _ = write!(
        out,
        r#"<div class="field{}"><label for="{name}">{}</label>{}"#,
        invalid_class(errors, field),
        esc(label),
        control(&aria)
    );
    error_of(out, errors, field);
    let _ = write!(
        out,
        r#"<span class="hint" id="hint-{name}">{}</span></div>"#,
        esc(hint)
    );
}

/// A select field named after `field`: its label, its options (see [`options`]), its error.
fn select_field(
    out: &mut String,
    errors: &FieldErrors,
    field: Field,
    label: &str,
    current: &str,
    choices: &[(String, String)],
) {
    let name = field.name();
    let _ = write!(
        out,
        r#"<div class="field{}"><label for="{name}">{}</label><select id="{name}" name="{name}"{}>"#,
        invalid_class(errors, field),
        esc(label),
        described(errors, field, None),
    );
    options(out, current, choices);
    out.push_str("</select>");
    error_of(out, errors, field);
    out.push_str("</div>");
}

/// A select's options, `current` selected. A value that is none of them (a hand-made request)
/// is still shown back, first and selected. An option whose label is its value carries no
/// `value` attribute: the time zone list is long.
fn options(out: &mut String, current: &str, choices: &[(String, String)]) {
    if !choices.iter().any(|(value, _)| value == current) {
        let _ = write!(
            out,
            r#"<option value="{0}" selected>{0}</option>"#,
            esc(current)
        );
    }
    for (value, label) in choices {
        let selected = if value == current { " selected" } else { "" };
        if value == label {
            let _ = write!(out, r#"<option{selected}>{}</option>"#, esc(label));
        } else {
            let _ = write!(
                out,
                r#"<option value="{}"{selected}>{}</option>"#,
                esc(value),
                esc(label)
            );
        }
    }
}

/// A radio button or checkbox (`input_type`) with its label after it.
fn choice(out: &mut String, input_type: &str, name: &str, value: &str, checked: bool, label: &str) {
    let checked = if checked { " checked" } else { "" };
    let _ = write!(
        out,
        r#"<label><input type="{input_type}" name="{name}" value="{value}"{checked}> {}</label>"#,
        esc(label)
    );
}

/// `HH:MM` of a number of minutes.
pub fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The form's HTML (a fragment for `<main>`).
pub fn render(v: &FormView<'_>) -> String {
    let s = t(v.lang);
    let e = v.errors;
    let val = v.values;
    let mut out = String::with_capacity(64 * 1024);

    if !e.is_empty() {
        let _ = write!(
            out,
            r#"<div class="alert" role="alert" id="form-errors"><p>{}</p></div>"#,
            esc(s.form_has_errors)
        );
    }
    if let Some(message) = v.general_error {
        let _ = write!(
            out,
            r#"<div class="alert" role="alert" id="form-error"><p>{}</p></div>"#,
            esc(message)
        );
    }
    if !v.conflicts.is_empty() {
        let _ = write!(
            out,
            r#"<div class="warning" role="alert" id="overlap-warning"><p><strong>{}</strong></p><ul>"#,
            esc(s.overlap_title)
        );
        for c in v.conflicts {
            match &c.href {
                Some(href) => {
                    let _ = write!(
                        out,
                        r#"<li><a href="{}">{}</a></li>"#,
                        esc(href),
                        esc(&c.label)
                    );
                }
                None => {
                    let _ = write!(out, "<li>{}</li>", esc(&c.label));
                }
            }
        }
        let _ = write!(out, "</ul><p>{}</p></div>", esc(s.overlap_text));
    }

    let _ = write!(
        out,
        r#"<form method="post" action="{}" class="booking" novalidate><input type="hidden" name="csrf" value="{}">"#,
        esc(v.action),
        esc(v.csrf)
    );

    // What.
    let _ = write!(out, "<fieldset><legend>{}</legend>", esc(s.legend_what));
    hinted_field(
        &mut out,
        e,
        Field::Title,
        s.f_title,
        s.f_title_hint,
        |aria| {
            format!(
                r#"<input type="text" id="title" name="title" value="{}" maxlength="24" autocomplete="off"{aria}>"#,
                esc(&val.title)
            )
        },
    );
    hinted_field(
        &mut out,
        e,
        Field::AccessCode,
        s.f_access_code,
        s.f_access_code_hint,
        |aria| {
            format!(
                r#"<input type="text" id="access_code" name="access_code" value="{}" inputmode="numeric" maxlength="4" size="6" autocomplete="off"{aria}>"#,
                esc(&val.access_code)
            )
        },
    );

    let _ = write!(
        out,
        r#"<fieldset class="field choices{}"{}><legend>{}</legend>"#,
        invalid_class(e, Field::Kind),
        described(e, Field::Kind, None),
        esc(s.f_kind)
    );
    for (value, label) in [("audio", s.kind_audio), ("video", s.kind_video)] {
        choice(&mut out, "radio", "kind", value, val.kind == value, label);
    }
    error_of(&mut out, e, Field::Kind);
    out.push_str("</fieldset>");

    // The layout sits beside the type it depends on; without JavaScript it cannot hide for
    // audio, so its hint says when it applies (the rules ignore it for audio).
    let mut layouts = vec![(String::new(), s.layout_default.to_string())];
    layouts.extend(
        Layout::ALL
            .iter()
            .map(|l| (l.name().to_string(), layout_label(*l, v.lang).to_string())),
    );
    hinted_field(
        &mut out,
        e,
        Field::Layout,
        s.f_layout,
        s.f_layout_hint,
        |aria| {
            let mut select = format!(r#"<select id="layout" name="layout"{aria}>"#);
            options(&mut select, &val.layout, &layouts);
            select.push_str("</select>");
            select
        },
    );

    hinted_field(
        &mut out,
        e,
        Field::Capacity,
        s.f_capacity,
        s.f_capacity_hint,
        |aria| {
            format!(
                r#"<input type="number" id="capacity" name="capacity" value="{}" min="2" max="20" step="1"{aria}>"#,
                esc(&val.capacity)
            )
        },
    );
    hinted_field(
        &mut out,
        e,
        Field::Comment,
        s.f_comment,
        s.f_comment_hint,
        |aria| {
            format!(
                r#"<textarea id="comment" name="comment" rows="3"{aria}>{}</textarea>"#,
                esc(&val.comment)
            )
        },
    );
    out.push_str("</fieldset>");

    // When.
    let _ = write!(out, "<fieldset><legend>{}</legend>", esc(s.legend_when));
    // The start is two inputs (date, time) sharing the error and the hint under the row.
    let start_invalid = invalid_class(e, Field::Start);
    let start_aria = described(e, Field::Start, Some("hint-start"));
    out.push_str(r#"<div class="row">"#);
    for (name, input_type, extra, label, value) in [
        ("start_date", "date", "", s.f_start_date, &val.start_date),
        (
            "start_time",
            "time",
            r#" step="60""#,
            s.f_start_time,
            &val.start_time,
        ),
    ] {
        let _ = write!(
            out,
            r#"<div class="field{start_invalid}"><label for="{name}">{}</label><input type="{input_type}" id="{name}" name="{name}" value="{}"{extra}{start_aria}></div>"#,
            esc(label),
            esc(value),
        );
    }
    let zones: Vec<(String, String)> = tz::zone_names()
        .into_iter()
        .map(|zone| (zone.clone(), zone))
        .collect();
    select_field(
        &mut out,
        e,
        Field::TimeZone,
        s.f_time_zone,
        &val.time_zone,
        &zones,
    );
    out.push_str("</div>");
    error_of(&mut out, e, Field::Start);
    let _ = write!(
        out,
        r#"<span class="hint" id="hint-start">{}</span>"#,
        esc(s.f_start_hint)
    );

    let durations: Vec<(String, String)> = (30..=480)
        .step_by(15)
        .map(|d| (d.to_string(), hhmm(d)))
        .collect();
    select_field(
        &mut out,
        e,
        Field::Duration,
        s.f_duration,
        &val.duration_minutes,
        &durations,
    );

    let _ = write!(
        out,
        r#"<fieldset class="field choices{}"{}><legend>{}</legend><span class="hint" id="hint-recurrence">{}</span>"#,
        invalid_class(e, Field::Recurrence),
        described(e, Field::Recurrence, Some("hint-recurrence")),
        esc(s.f_recurrence),
        esc(s.f_recurrence_hint),
    );
    for (value, label) in WEEKDAYS.iter().zip(s.weekdays) {
        let checked = val.weekdays.iter().any(|w| w == value);
        choice(&mut out, "checkbox", "weekdays", value, checked, label);
    }
    let _ = write!(
        out,
        r#"<div class="field"><label for="until">{}</label><input type="date" id="until" name="until" value="{}"></div>"#,
        esc(s.f_until),
        esc(&val.until)
    );
    error_of(&mut out, e, Field::Recurrence);
    out.push_str("</fieldset></fieldset>");

    // Who.
    let _ = write!(out, "<fieldset><legend>{}</legend>", esc(s.legend_who));
    hinted_field(
        &mut out,
        e,
        Field::Recipients,
        s.f_recipients,
        s.f_recipients_hint,
        |aria| {
            format!(
                r#"<textarea id="recipients" name="recipients" rows="4" autocomplete="off"{aria}>{}</textarea>"#,
                esc(&val.recipients)
            )
        },
    );
    out.push_str("</fieldset>");

    out.push_str(r#"<div class="actions">"#);
    if !v.conflicts.is_empty() {
        let _ = write!(
            out,
            r#"<label class="confirm"><input type="checkbox" id="confirm_overlap" name="confirm_overlap" value="1"> {}</label>"#,
            esc(s.confirm_overlap)
        );
    }
    let _ = write!(
        out,
        r#"<button type="submit" id="submit">{}</button></div></form>"#,
        esc(if v.is_edit {
            s.submit_update
        } else {
            s.submit_create
        })
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(
        values: &'a FormValues,
        errors: &'a FieldErrors,
        conflicts: &'a [Conflict],
    ) -> FormView<'a> {
        FormView {
            lang: Lang::En,
            action: "/conferences",
            csrf: "tok",
            values,
            errors,
            general_error: None,
            conflicts,
            is_edit: false,
        }
    }

    #[test]
    fn posted_values_become_the_input() {
        let f = FormData::parse(
            b"title=Board&access_code=+1234+&start_date=2026-12-01&start_time=10%3A00&time_zone=Europe%2FParis\
              &duration_minutes=90&kind=audio&layout=2x2&capacity=8&comment=Hi&recipients=a%40x.org%0D%0Ab%40y.org%2C+c%40z.org\
              &weekdays=mon&weekdays=fri&until=2026-12-31",
        );
        let input = FormValues::from_form(&f).to_input();
        assert_eq!(input.title, "Board");
        assert_eq!(input.access_code, "1234");
        assert_eq!(input.start, "2026-12-01T10:00");
        assert_eq!(input.time_zone, "Europe/Paris");
        assert_eq!(input.duration_minutes, "90");
        assert_eq!(input.layout, "2x2");
        assert_eq!(input.recipients, ["a@x.org", "b@y.org", "c@z.org"]);
        assert_eq!(input.weekdays, ["mon", "fri"]);
        assert_eq!(input.until, "2026-12-31");
    }

    #[test]
    fn empty_start_stays_empty() {
        assert_eq!(FormValues::default().to_input().start, "");
    }

    #[test]
    fn a_stored_booking_shows_back() {
        let input = BookingInput {
            start: "2026-12-01T10:00".into(),
            recipients: vec!["a@x.org".into(), "b@y.org".into()],
            ..BookingInput::default()
        };
        let v = FormValues::from_input(&input);
        assert_eq!(v.start_date, "2026-12-01");
        assert_eq!(v.start_time, "10:00");
        assert_eq!(v.recipients, "a@x.org\nb@y.org");
        assert_eq!(v.to_input().recipients, input.recipients);
    }

    #[test]
    fn defaults_start_at_the_next_quarter_hour() {
        // 2026-12-01 09:07:30 UTC = 10:07:30 in Paris → 10:15.
        let now = 1_796_116_050;
        let v = FormValues::defaults("Europe/Paris", now);
        assert_eq!(v.start_date, "2026-12-01");
        assert_eq!(v.start_time, "10:15");
        assert_eq!(v.duration_minutes, "60");
        assert_eq!(v.kind, "video");
        assert_eq!(v.capacity, "20");
    }

    #[test]
    fn errors_sit_beside_their_fields_and_values_are_escaped() {
        let values = FormValues {
            title: "<script>".into(),
            capacity: "50".into(),
            weekdays: vec!["wed".into()],
            ..FormValues::defaults("Europe/Paris", 1_796_116_050)
        };
        let errors = FieldErrors(vec![
            (Field::Title, "Too long".into()),
            (Field::Capacity, "2 to 20".into()),
            (Field::Start, "In the past".into()),
        ]);
        let html = render(&view(&values, &errors, &[]));
        assert!(html.contains(r#"value="&lt;script&gt;""#));
        assert!(!html.contains("<script>"));
        assert!(html.contains(r#"<p class="error" id="error-title">Too long</p>"#));
        assert!(html.contains(r#"id="error-capacity""#));
        assert!(html.contains(r#"id="error-start""#));
        // The error follows its own input, before the next field starts.
        let title_input = html.find(r#"name="title""#).unwrap();
        let title_error = html.find("error-title\">").unwrap();
        let code_input = html.find(r#"name="access_code""#).unwrap();
        assert!(title_input < title_error && title_error < code_input);
        assert!(html.contains(r#"value="wed" checked"#));
        assert!(html.contains(r#"<option value="60" selected>01:00</option>"#));
        assert!(html.contains(r#"<option selected>Europe/Paris</option>"#));
        assert!(html.contains(r#"id="submit""#));
        assert!(!html.contains("confirm_overlap"));
    }

    #[test]
    fn the_layout_select_offers_every_layout_and_keeps_a_bad_value() {
        let values = FormValues::defaults("Europe/Paris", 1_796_116_050);
        assert_eq!(values.layout, "");
        let html = render(&view(&values, &FieldErrors::default(), &[]));
        assert!(
            html.contains(r#"<select id="layout" name="layout" aria-describedby="hint-layout">"#)
        );
        assert!(html.contains(r#"<option value="" selected>Default (1 large + 5 small)</option>"#));
        for (value, label) in [
            ("voice-switched", "Voice-switched full screen"),
            ("1+n", "1 large + 5 small"),
            ("2x2", "2×2"),
            ("3x3", "3×3"),
        ] {
            assert!(
                html.contains(&format!(r#"<option value="{value}">{label}</option>"#)),
                "{value}"
            );
        }
        // The default's label names the bridge's default layout.
        let default = layout_label(crate::call::DEFAULT_LAYOUT, Lang::En);
        assert!(t(Lang::En).layout_default.contains(default));
        let default_fr = layout_label(crate::call::DEFAULT_LAYOUT, Lang::Fr);
        assert!(t(Lang::Fr).layout_default.contains(default_fr));
        // Beside the type: after the kind radios, before the capacity.
        let kind = html.find(r#"name="kind""#).unwrap();
        let layout = html.find(r#"name="layout""#).unwrap();
        let capacity = html.find(r#"name="capacity""#).unwrap();
        assert!(kind < layout && layout < capacity);

        let values = FormValues {
            layout: "4x4".into(),
            ..values
        };
        let errors = FieldErrors(vec![(Field::Layout, "Unknown".into())]);
        let html = render(&view(&values, &errors, &[]));
        assert!(html.contains(r#"<option value="4x4" selected>4x4</option>"#));
        assert!(html.contains(r#"<p class="error" id="error-layout">Unknown</p>"#));
        assert!(html.contains(r#"aria-describedby="hint-layout error-layout" aria-invalid="true""#));
    }

    #[test]
    fn the_overlap_warning_brings_the_confirmation_box() {
        let values = FormValues::defaults("UTC", 0);
        let conflicts = [Conflict {
            label: "Staff <1>".into(),
            href: Some("/conferences/abc".into()),
        }];
        let html = render(&view(&values, &FieldErrors::default(), &conflicts));
        assert!(html.contains(r#"id="overlap-warning""#));
        assert!(html.contains(r#"<a href="/conferences/abc">Staff &lt;1&gt;</a>"#));
        assert!(html.contains(r#"name="confirm_overlap""#));
    }
}
