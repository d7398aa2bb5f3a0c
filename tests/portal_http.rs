//! The booking portal over real HTTP: a bridge started in-process on loopback (its own SQLite
//! file), driven by reqwest with a cookie jar, as a browser without JavaScript would.
//!
//! Covers login (wrong and right password, rate limiting), CSRF on every kind of form, the form's
//! 422 with each error beside its field, booking and the connection sheet, the overlap warning
//! and its confirmation, access between organisers and for a super-admin, the private
//! modification link without an account, cancel, the `.ics` download, `/metrics` by HTTP
//! status, and the French pages.

mod common;

use std::time::Duration;

use common::{unix_now, TestBridge};
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};

/// A bridge and the base URL of its portal.
struct Portal {
    tb: TestBridge,
    base: String,
}

impl Portal {
    async fn start() -> Portal {
        let tb = TestBridge::start().await;
        let base = format!("http://{}", tb.web());
        Portal { tb, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Add an account.
    async fn user(&self, name: &str, password: &str, is_super: bool) {
        self.tb
            .store
            .upsert_user(
                name,
                &pont::auth::hash_password(password),
                is_super,
                unix_now(),
            )
            .await
            .expect("user stored");
    }

    /// A browser: cookie jar, no redirect following (the tests assert the 303s), bounded waits.
    fn browser(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    /// GET: status and body.
    async fn get(&self, client: &Client, path: &str) -> (StatusCode, String) {
        let r = client.get(self.url(path)).send().await.expect("GET");
        let status = r.status();
        (status, r.text().await.unwrap())
    }

    /// POST a form: the response.
    async fn post(
        &self,
        client: &Client,
        path: &str,
        form: &[(&str, String)],
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// A signed-in browser and its session's CSRF token.
    async fn login(&self, name: &str, password: &str) -> (Client, String) {
        let client = self.browser();
        let r = self.try_login(&client, name, password).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {name}");
        let (status, list) = self.get(&client, "/conferences").await;
        assert_eq!(status, StatusCode::OK);
        let csrf = csrf_of(&list);
        (client, csrf)
    }

    /// Open the login page (for its CSRF cookie) and post the credentials.
    async fn try_login(&self, client: &Client, name: &str, password: &str) -> reqwest::Response {
        let (status, page) = self.get(client, "/login").await;
        assert_eq!(status, StatusCode::OK);
        let csrf = csrf_of(&page);
        self.post(
            client,
            "/login",
            &[
                ("name", name.to_string()),
                ("password", password.to_string()),
                ("csrf", csrf),
            ],
        )
        .await
    }

    /// Every booking in the store.
    async fn bookings(&self) -> Vec<pont::store::Booking> {
        self.tb.store.bookings(None).await.expect("bookings")
    }
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_of(html: &str) -> String {
    let at = html
        .find(r#"name="csrf" value=""#)
        .unwrap_or_else(|| panic!("no csrf field in:\n{html}"));
    let rest = &html[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// The text of the element with `id` (up to the next tag).
fn text_of(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!(r#"id="{id}""#))?;
    let rest = &html[at..];
    let rest = &rest[rest.find('>')? + 1..];
    Some(rest[..rest.find('<')?].to_string())
}

/// A valid form starting `days_ahead` days from now at 10:00 UTC, for an hour.
fn valid_form(title: &str, days_ahead: i64, csrf: &str) -> Vec<(&'static str, String)> {
    let day = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(days_ahead))
        .unwrap();
    vec![
        ("title", title.to_string()),
        ("access_code", "4321".into()),
        ("start_date", day.strftime("%Y-%m-%d").to_string()),
        ("start_time", "10:00".into()),
        ("time_zone", "UTC".into()),
        ("duration_minutes", "60".into()),
        ("kind", "video".into()),
        ("capacity", "8".into()),
        ("comment", "Agenda: budget".into()),
        ("recipients", "alice@example.org".into()),
        ("until", String::new()),
        ("csrf", csrf.to_string()),
    ]
}

/// Book through the form; returns the sheet's path.
async fn book(p: &Portal, client: &Client, csrf: &str, title: &str, days: i64) -> String {
    let r = p
        .post(client, "/conferences", &valid_form(title, days, csrf))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    r.headers()[LOCATION].to_str().unwrap().to_string()
}

#[tokio::test]
async fn login_refuses_a_wrong_password_and_accepts_the_right_one() {
    let p = Portal::start().await;
    p.user("alice", "correct horse", false).await;
    let client = p.browser();

    // Not signed in: every page leads to the login.
    let r = client.get(p.url("/conferences")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/login");
    let r = client.get(p.url("/")).send().await.unwrap();
    assert_eq!(r.headers()[LOCATION], "/login");

    let r = p.try_login(&client, "alice", "wrong").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let page = r.text().await.unwrap();
    assert!(page.contains("Wrong name or password."), "{page}");
    assert!(page.contains(r#"value="alice""#), "the name is kept");

    let r = p.try_login(&client, "nobody", "correct horse").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let r = p.try_login(&client, "alice", "correct horse").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/conferences");
    let cookie = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("pont_session="))
        .expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }

    let (status, list) = p.get(&client, "/conferences").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("My conferences"));
    assert!(list.contains(r#"href="/conferences/new""#));
    assert!(list.contains(r#"action="/conferences/instant""#));
    let r = client.get(p.url("/")).send().await.unwrap();
    assert_eq!(r.headers()[LOCATION], "/conferences");

    // Log out: the session is gone.
    let csrf = csrf_of(&list);
    let r = p.post(&client, "/logout", &[("csrf", csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/login");
    let r = client.get(p.url("/conferences")).send().await.unwrap();
    assert_eq!(r.headers()[LOCATION], "/login");
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_forbidden() {
    let p = Portal::start().await;
    p.user("alice", "pw-alice", false).await;
    let (client, csrf) = p.login("alice", "pw-alice").await;

    let mut form = valid_form("Board", 1, &csrf);
    form.retain(|(k, _)| *k != "csrf");
    let r = p.post(&client, "/conferences", &form).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    form.push(("csrf", "forged".into()));
    let r = p.post(&client, "/conferences", &form).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = p
        .post(
            &client,
            "/conferences/instant",
            &[("csrf", "forged".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = p.post(&client, "/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(p.bookings().await.is_empty(), "nothing saved");

    // The login form: a value that is not the cookie's is refused before any password check.
    let other = p.browser();
    let _ = p.get(&other, "/login").await;
    let r = p
        .post(
            &other,
            "/login",
            &[
                ("name", "alice".into()),
                ("password", "pw-alice".into()),
                ("csrf", "forged".into()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("Form expired"));
}

#[tokio::test]
async fn an_invalid_form_is_shown_again_with_each_error_beside_its_field() {
    let p = Portal::start().await;
    p.user("alice", "pw-alice", false).await;
    let (client, csrf) = p.login("alice", "pw-alice").await;

    let long_comment = "x".repeat(501);
    let form = vec![
        ("title", "A title that is far too long <b>".to_string()),
        ("access_code", "12".into()),
        ("start_date", "2001-01-01".into()),
        ("start_time", "10:00".into()),
        ("time_zone", "UTC".into()),
        ("duration_minutes", "25".into()),
        ("kind", "fax".into()),
        ("capacity", "50".into()),
        ("comment", long_comment.clone()),
        ("recipients", "not-an-address".into()),
        ("weekdays", "mon".into()),
        ("weekdays", "fri".into()),
        ("until", "someday".into()),
        ("csrf", csrf.clone()),
    ];
    let r = p.post(&client, "/conferences", &form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    for field in [
        "title",
        "access_code",
        "start",
        "duration_minutes",
        "kind",
        "capacity",
        "comment",
        "recipients",
        "recurrence",
    ] {
        assert!(
            page.contains(&format!(r#"<p class="error" id="error-{field}">"#)),
            "no error for {field} in:\n{page}"
        );
    }
    assert!(!page.contains("error-time_zone"));
    // What was typed is kept (and escaped).
    assert!(page.contains(r#"value="A title that is far too long &lt;b&gt;""#));
    assert!(page.contains(r#"id="capacity" name="capacity" value="50""#));
    assert!(page.contains(r#"value="12""#));
    assert!(page.contains(r#"value="2001-01-01""#));
    assert!(page.contains(&format!(">{long_comment}</textarea>")));
    assert!(page.contains(">not-an-address</textarea>"));
    assert!(page.contains(r#"value="mon" checked"#));
    assert!(page.contains(r#"value="fri" checked"#));
    assert!(!page.contains(r#"value="wed" checked"#));
    assert!(page.contains(r#"value="someday""#));
    // The error follows its own field, before the next one.
    let title_field = page.find(r#"name="title""#).unwrap();
    let title_error = page.find(r#"id="error-title""#).unwrap();
    let code_field = page.find(r#"name="access_code""#).unwrap();
    assert!(title_field < title_error && title_error < code_field);
    assert!(p.bookings().await.is_empty(), "nothing saved");

    // An unknown zone is named as such, and the form keeps it.
    let mut form = valid_form("Board", 1, &csrf);
    form.retain(|(k, _)| *k != "time_zone");
    form.push(("time_zone", "Mars/Olympus".into()));
    let r = p.post(&client, "/conferences", &form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains(r#"id="error-time_zone""#), "{page}");
    assert!(page.contains(r#"<option value="Mars/Olympus" selected>"#));
    assert!(p.bookings().await.is_empty(), "nothing saved");
}

#[tokio::test]
async fn a_valid_form_books_and_shows_the_connection_sheet() {
    let p = Portal::start().await;
    p.user("alice", "pw-alice", false).await;
    let (client, csrf) = p.login("alice", "pw-alice").await;

    // The new form's defaults.
    let (status, form) = p.get(&client, "/conferences/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"<option selected>Europe/Paris</option>"#));
    assert!(form.contains(r#"<option value="60" selected>01:00</option>"#));
    assert!(form.contains(r#"<option value="480">08:00</option>"#));
    assert!(form.contains(r#"value="video" checked"#));
    assert!(form.contains(r#"id="capacity" name="capacity" value="20""#));
    assert!(form.contains(r#"id="submit""#));
    assert!(!form.contains("confirm_overlap"));

    let sheet_path = book(&p, &client, &csrf, "Budget review", 2).await;
    assert!(sheet_path.starts_with("/conferences/"), "{sheet_path}");
    let stored = p.bookings().await;
    assert_eq!(stored.len(), 1);
    let b = &stored[0];
    assert_eq!(sheet_path, format!("/conferences/{}", b.id));
    assert_eq!(b.access_code, "4321");
    assert_eq!(b.recipients, ["alice@example.org"]);

    let (status, sheet) = p.get(&client, &sheet_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text_of(&sheet, "number").as_deref(),
        Some(b.number.as_str())
    );
    assert_eq!(text_of(&sheet, "access-code").as_deref(), Some("4321"));
    assert_eq!(
        text_of(&sheet, "sip-uri"),
        Some(format!(
            "sip:{}@{}",
            b.number, p.tb.bridge.app.config.portal.sip_domain
        ))
    );
    assert_eq!(text_of(&sheet, "title").as_deref(), Some("Budget review"));
    assert_eq!(text_of(&sheet, "duration").as_deref(), Some("01:00"));
    assert_eq!(text_of(&sheet, "capacity").as_deref(), Some("8"));
    assert_eq!(
        text_of(&sheet, "comment").as_deref(),
        Some("Agenda: budget")
    );
    assert!(text_of(&sheet, "start").unwrap().ends_with("10:00"));
    assert!(sheet.contains("(end with #)"));
    assert!(
        !sheet.contains(r#"id="h323""#),
        "no H.323 address configured"
    );
    let modify = text_of(&sheet, "modify-url").unwrap();
    assert!(
        modify.ends_with(&format!("/m/{}", b.modify_token)),
        "{modify}"
    );
    assert!(sheet.contains(r#"<pre id="sheet-text">"#));
    assert!(sheet.contains(&format!(r#"href="{sheet_path}/invite.ics""#)));
    assert!(sheet.contains(&format!(r#"href="{sheet_path}/edit""#)));
    assert!(sheet.contains(&format!(r#"action="{sheet_path}/cancel""#)));

    let r = client
        .get(p.url(&format!("{sheet_path}/invite.ics")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[CONTENT_TYPE], "text/calendar; charset=utf-8");
    assert!(r.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let ics = r.text().await.unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    // A download is an entry to import (PUBLISH, no attendees), not a meeting request.
    assert!(ics.contains("METHOD:PUBLISH"), "{ics}");
    assert!(ics.contains("STATUS:CONFIRMED"), "{ics}");
    assert!(!ics.contains("ATTENDEE"), "{ics}");

    let (_, list) = p.get(&client, "/conferences").await;
    assert!(list.contains("Budget review"));
    assert!(list.contains(&format!(r#"href="{sheet_path}""#)));

    // Instant conference: one click to a sheet.
    let r = p
        .post(&client, "/conferences/instant", &[("csrf", csrf.clone())])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let instant_path = r.headers()[LOCATION].to_str().unwrap().to_string();
    let (status, sheet) = p.get(&client, &instant_path).await;
    assert_eq!(status, StatusCode::OK);
    let code = text_of(&sheet, "access-code").unwrap();
    assert!(
        (1000..=9999).contains(&code.parse::<u32>().unwrap()),
        "{code}"
    );
    assert_eq!(text_of(&sheet, "duration").as_deref(), Some("01:00"));
    assert_eq!(p.bookings().await.len(), 2);
}

#[tokio::test]
async fn the_video_layout_is_chosen_on_the_form_and_shown_on_the_sheet() {
    let p = Portal::start().await;
    p.user("alice", "pw-alice", false).await;
    let (client, csrf) = p.login("alice", "pw-alice").await;

    // The select, beside the type, with the bridge's default chosen.
    let (_, form) = p.get(&client, "/conferences/new").await;
    assert!(
        form.contains(r#"<select id="layout" name="layout" aria-describedby="hint-layout">"#),
        "{form}"
    );
    assert!(form.contains(r#"<option value="" selected>Default (1 large + 5 small)</option>"#));
    for value in ["voice-switched", "1+n", "2x2", "3x3"] {
        assert!(
            form.contains(&format!(r#"<option value="{value}">"#)),
            "{value}"
        );
    }
    assert!(form.contains("For audio and video conferences only."));

    // Booked in 3×3: the row, each occurrence and the sheet say so.
    let with_layout = |layout: &str, kind: &str, title: &str, days: i64| {
        let mut f = valid_form(title, days, &csrf);
        f.retain(|(k, _)| *k != "kind");
        f.push(("kind", kind.into()));
        f.push(("layout", layout.into()));
        f
    };
    let r = p
        .post(
            &client,
            "/conferences",
            &with_layout("3x3", "video", "Grid", 2),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let sheet_path = r.headers()[LOCATION].to_str().unwrap().to_string();
    let stored = p.bookings().await;
    assert_eq!(stored[0].layout, "3x3");
    assert!(stored[0].occurrences.iter().all(|c| c.layout == "3x3"));
    let (_, sheet) = p.get(&client, &sheet_path).await;
    assert_eq!(text_of(&sheet, "layout").as_deref(), Some("3×3"));
    let key = text_of(&sheet, "layout-key").unwrap();
    assert!(key.contains("press * on the dial pad"), "{key}");
    assert!(
        sheet.contains("Video layout: 3×3\n"),
        "the text version too"
    );
    // The edit form shows it chosen.
    let (_, edit) = p.get(&client, &format!("{sheet_path}/edit")).await;
    assert!(edit.contains(r#"<option value="3x3" selected>3×3</option>"#));

    // A value the select does not offer: the error beside the field, the value kept.
    let r = p
        .post(
            &client,
            "/conferences",
            &with_layout("4x4", "video", "Bad", 3),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(r#"<p class="error" id="error-layout">Unknown video layout: “4x4”"#),
        "{page}"
    );
    assert!(page.contains(r#"<option value="4x4" selected>4x4</option>"#));
    let select = page.find(r#"name="layout""#).unwrap();
    let error = page.find(r#"id="error-layout""#).unwrap();
    let capacity = page.find(r#"name="capacity""#).unwrap();
    assert!(
        select < error && error < capacity,
        "the error sits beside its field"
    );
    assert_eq!(p.bookings().await.len(), 1, "nothing saved");

    // Audio only: the layout is dropped, and the sheet has no layout row.
    let r = p
        .post(
            &client,
            "/conferences",
            &with_layout("2x2", "audio", "Voice", 4),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let audio_path = r.headers()[LOCATION].to_str().unwrap().to_string();
    let audio = p
        .bookings()
        .await
        .into_iter()
        .find(|b| b.title == "Voice")
        .unwrap();
    assert_eq!(audio.layout, "");
    let (_, sheet) = p.get(&client, &audio_path).await;
    assert!(!sheet.contains(r#"id="layout""#), "{sheet}");

    // In French.
    let (_, sheet) = p.get(&client, &format!("{sheet_path}?lang=fr")).await;
    assert_eq!(text_of(&sheet, "layout").as_deref(), Some("3×3"));
    assert!(sheet.contains("Disposition vidéo"));
    let (_, form) = p.get(&client, "/conferences/new?lang=fr").await;
    assert!(
        form.contains(r#"<option value="" selected>Par défaut (1 grande + 5 petites)</option>"#)
    );
}

#[tokio::test]
async fn an_overlap_warns_and_books_once_confirmed() {
    let p = Portal::start().await;
    p.user("alice", "pw-alice", false).await;
    let (client, csrf) = p.login("alice", "pw-alice").await;
    book(&p, &client, &csrf, "First", 3).await;

    let form = valid_form("Second", 3, &csrf);
    let r = p.post(&client, "/conferences", &form).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains(r#"id="overlap-warning""#), "{page}");
    assert!(page.contains("First"), "the conflict is listed");
    assert!(page.contains(r#"name="confirm_overlap""#));
    assert!(page.contains(r#"value="Second""#), "typed values kept");
    assert_eq!(p.bookings().await.len(), 1, "nothing saved yet");

    let mut form = form;
    form.push(("confirm_overlap", "1".into()));
    let r = p.post(&client, "/conferences", &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let all = p.bookings().await;
    assert_eq!(all.len(), 2);
    // Overlapping conferences never share a number.
    assert_ne!(all[0].number, all[1].number);
}

#[tokio::test]
async fn organisers_see_only_their_own_bookings_and_a_super_admin_sees_all() {
    let p = Portal::start().await;
    p.user("alice", "pw-alice", false).await;
    p.user("bob", "pw-bob", false).await;
    p.user("root", "pw-root", true).await;
    let (alice, alice_csrf) = p.login("alice", "pw-alice").await;
    let sheet_path = book(&p, &alice, &alice_csrf, "Alice only", 1).await;

    let (bob, bob_csrf) = p.login("bob", "pw-bob").await;
    for path in [
        sheet_path.clone(),
        format!("{sheet_path}/edit"),
        format!("{sheet_path}/invite.ics"),
        "/conferences/0123456789abcdef".to_string(),
    ] {
        let (status, page) = p.get(&bob, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.contains("Alice only"));
    }
    let r = p
        .post(
            &bob,
            &format!("{sheet_path}/cancel"),
            &[("csrf", bob_csrf.clone())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = p
        .post(
            &bob,
            &format!("{sheet_path}/edit"),
            &valid_form("Taken", 1, &bob_csrf),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_, list) = p.get(&bob, "/conferences").await;
    assert!(!list.contains("Alice only"));
    let b = &p.bookings().await[0];
    assert!(b.cancelled_at.is_none());
    assert_eq!(b.title, "Alice only");

    let (root, _) = p.login("root", "pw-root").await;
    let (status, sheet) = p.get(&root, &sheet_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(sheet.contains("Alice only"));
    let (_, list) = p.get(&root, "/conferences").await;
    assert!(list.contains("Alice only"));
    assert!(
        list.contains("<td>alice</td>"),
        "the organiser's name: {list}"
    );
}

#[tokio::test]
async fn an_organiser_modifies_and_cancels() {
    let p = Portal::start().await;
    p.user("alice", "pw-alice", false).await;
    let (client, csrf) = p.login("alice", "pw-alice").await;
    let sheet_path = book(&p, &client, &csrf, "Weekly", 4).await;
    let number = p.bookings().await[0].number.clone();

    let (status, form) = p.get(&client, &format!("{sheet_path}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"value="Weekly""#));
    assert!(form.contains(r#"value="4321""#));
    assert!(form.contains(">alice@example.org</textarea>"));
    assert!(form.contains(r#"<option value="60" selected>"#));

    let mut changed = valid_form("Weekly", 4, &csrf);
    changed.retain(|(k, _)| *k != "duration_minutes");
    changed.push(("duration_minutes", "90".into()));
    let r = p
        .post(&client, &format!("{sheet_path}/edit"), &changed)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION].to_str().unwrap(), sheet_path);
    let b = &p.bookings().await[0];
    assert_eq!(b.duration_minutes, 90);
    assert_eq!(b.number, number, "the number is kept");
    assert_eq!(b.sequence, 1);

    let r = p
        .post(
            &client,
            &format!("{sheet_path}/cancel"),
            &[("csrf", csrf.clone())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(p.bookings().await[0].cancelled_at.is_some());
    let (status, sheet) = p.get(&client, &sheet_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(sheet.contains("This conference was cancelled."));
    assert!(!sheet.contains(&format!(r#"action="{sheet_path}/cancel""#)));
    let (_, list) = p.get(&client, "/conferences").await;
    assert!(list.contains(r#"<span class="badge cancelled">Cancelled</span>"#));
    let r = client
        .get(p.url(&format!("{sheet_path}/invite.ics")))
        .send()
        .await
        .unwrap();
    let ics = r.text().await.unwrap();
    assert!(ics.contains("METHOD:PUBLISH"), "{ics}");
    assert!(ics.contains("STATUS:CANCELLED"), "{ics}");
}

#[tokio::test]
async fn the_private_link_modifies_and_cancels_without_an_account() {
    let p = Portal::start().await;
    p.user("alice", "pw-alice", false).await;
    let (alice, csrf) = p.login("alice", "pw-alice").await;
    book(&p, &alice, &csrf, "Linked", 5).await;
    let token = p.bookings().await[0].modify_token.clone();
    let link = format!("/m/{token}");

    let guest = p.browser();
    let r = guest.get(p.url(&link)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // The token in the URL must not leak through a Referer, a frame or a cache.
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    assert_eq!(text_of(&page, "access-code").as_deref(), Some("4321"));
    assert!(page.contains(&format!(r#"action="{link}""#)));
    assert!(!page.contains("/logout"), "no session involved");
    let guest_csrf = csrf_of(&page);

    // Without the double-submit token: refused.
    let r = p
        .post(&guest, &link, &valid_form("Renamed", 5, "forged"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // An invalid change: 422, nothing saved.
    let mut bad = valid_form("Renamed", 5, &guest_csrf);
    bad.push(("capacity", "1".into()));
    bad.retain(|(k, v)| !(*k == "capacity" && v == "8"));
    let r = p.post(&guest, &link, &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains(r#"id="error-capacity""#));
    assert_eq!(p.bookings().await[0].title, "Linked");

    let r = p
        .post(&guest, &link, &valid_form("Renamed", 5, &guest_csrf))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION].to_str().unwrap(), link);
    assert_eq!(p.bookings().await[0].title, "Renamed");

    let r = guest
        .get(p.url(&format!("{link}/invite.ics")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()[CONTENT_TYPE], "text/calendar; charset=utf-8");

    let r = p
        .post(
            &guest,
            &format!("{link}/cancel"),
            &[("csrf", "forged".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = p
        .post(
            &guest,
            &format!("{link}/cancel"),
            &[("csrf", guest_csrf.clone())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(p.bookings().await[0].cancelled_at.is_some());
    let (status, page) = p.get(&guest, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("This conference was cancelled."));
    assert!(!page.contains(r#"id="submit""#), "nothing left to modify");

    let (status, _) = p.get(&guest, "/m/not-a-real-token").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn logins_are_rate_limited_after_five_failures() {
    let p = Portal::start().await;
    p.user("alice", "pw-alice", false).await;
    let client = p.browser();
    for _ in 0..5 {
        let r = p.try_login(&client, "alice", "guess").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused now.
    let r = p.try_login(&client, "alice", "pw-alice").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Too many failed attempts"));
    assert_eq!(p.tb.metric("pont_logins_failed_total").await, 5.0);
    assert_eq!(p.tb.metric("pont_logins_refused_total").await, 1.0);
}

#[tokio::test]
async fn metrics_count_responses_by_status_and_bookings() {
    let p = Portal::start().await;
    p.user("alice", "pw-alice", false).await;
    let (client, csrf) = p.login("alice", "pw-alice").await;
    book(&p, &client, &csrf, "Counted", 1).await;
    let (status, _) = p.get(&client, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let text = p.tb.metrics().await;
    assert!(
        text.contains("# TYPE pont_http_requests_total counter"),
        "{text}"
    );
    let count = |status: &str| -> u64 {
        let prefix = format!("pont_http_requests_total{{status=\"{status}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    assert!(count("303") >= 2, "login and booking redirects:\n{text}");
    assert!(count("200") >= 2, "{text}");
    assert!(count("404") >= 1, "{text}");
    assert_eq!(p.tb.metric("pont_bookings_created_total").await, 1.0);
    assert_eq!(p.tb.metric("pont_bookings_upcoming").await, 1.0);
    // One invitation waits for SMTP (none is configured in the tests).
    assert_eq!(p.tb.metric("pont_outbox_backlog").await, 1.0);
}

#[tokio::test]
async fn pages_speak_french_when_asked() {
    let p = Portal::start().await;
    let client = p.browser();

    let (_, page) = p.get(&client, "/login").await;
    assert!(
        page.contains(r#"<html lang="en">"#),
        "the configured language"
    );
    assert!(page.contains("Sign in"));

    let r = client.get(p.url("/login?lang=fr")).send().await.unwrap();
    let remembered = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("pont_lang=fr"));
    assert!(remembered, "the choice is kept in a cookie");
    let page = r.text().await.unwrap();
    assert!(page.contains(r#"<html lang="fr">"#));
    assert!(page.contains("Se connecter"));
    assert!(page.contains("Mot de passe"));

    // The cookie keeps French on the next page.
    let (_, page) = p.get(&client, "/login").await;
    assert!(page.contains("Se connecter"));

    // A browser that prefers French gets it without asking.
    let fresh = p.browser();
    let r = fresh
        .get(p.url("/login"))
        .header("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Se connecter"));

    // And the form, signed in.
    p.user("alice", "pw-alice", false).await;
    let (alice, _) = p.login("alice", "pw-alice").await;
    let (_, form) = p.get(&alice, "/conferences/new?lang=fr").await;
    assert!(form.contains("Planifier une conférence"));
    assert!(form.contains("Fuseau horaire"));
    assert!(form.contains("Audio et vidéo"));
    assert!(form.contains("Réserver la conférence"));
}

#[tokio::test]
async fn weekly_recurrence_from_repeated_checkboxes() {
    let p = Portal::start().await;
    p.user("alice", "pw-alice", false).await;
    let (client, csrf) = p.login("alice", "pw-alice").await;

    let until = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(15))
        .unwrap();
    let mut form = valid_form("Daily standup", 1, &csrf);
    form.retain(|(k, _)| *k != "until");
    for day in ["mon", "tue", "wed", "thu", "fri"] {
        form.push(("weekdays", day.into()));
    }
    form.push(("until", until.strftime("%Y-%m-%d").to_string()));
    let r = p.post(&client, "/conferences", &form).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let sheet_path = r.headers()[LOCATION].to_str().unwrap().to_string();

    let b = &p.bookings().await[0];
    assert_eq!(b.recurrence_weekdays, "mon,tue,wed,thu,fri");
    // Two weeks and a day of weekdays: at least 9 occurrences, none on a weekend.
    assert!(
        b.occurrences.len() >= 9,
        "{} occurrences",
        b.occurrences.len()
    );
    for o in &b.occurrences {
        let day = jiff::Timestamp::from_second(o.starts_at)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .weekday();
        assert!(
            !matches!(
                day,
                jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
            ),
            "an occurrence on {day:?}"
        );
    }
    let (_, sheet) = p.get(&client, &sheet_path).await;
    assert!(sheet.contains(r#"id="dates""#));
    // The edit form shows the ticked days back.
    let (_, edit) = p.get(&client, &format!("{sheet_path}/edit")).await;
    for day in ["mon", "tue", "wed", "thu", "fri"] {
        assert!(edit.contains(&format!(r#"value="{day}" checked"#)), "{day}");
    }
    assert!(!edit.contains(r#"value="sat" checked"#));
}
