//! The JSON API `/api/conferences` end to end, against a real bridge on loopback (its own SQLite
//! store) with reqwest: authentication (HTTP Basic, bearer token, refusals, rate limiting),
//! create / read / replace / cancel, the 422 that names every failing field, the overlap 409
//! and its confirmation, organisers seeing only their own bookings (a super-admin all),
//! recurrence, and finally a scripted phone that dials the booked conference's number and code
//! and joins it.

mod common;

use std::time::Duration;

use common::ivr::wait_metric_at_least;
use common::{unix_now, Phone, TestBridge};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Every test runs under this bound, so a stuck server fails the test instead of hanging it.
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

const ZONE: &str = "Europe/Paris";

/// How a request authenticates.
#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Basic(&'a str, &'a str),
    Bearer(&'a str),
}

/// A reqwest client aimed at one bridge's web address.
struct Api {
    client: reqwest::Client,
    base: String,
}

/// An answer: status, headers, JSON body (`Null` when empty).
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Api {
    fn new(b: &TestBridge) -> Api {
        Api {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client"),
            base: format!("http://{}", b.web()),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        auth: Auth<'_>,
        body: Option<&Value>,
    ) -> Answer {
        self.send_raw(method, path, auth, body.map(|b| b.to_string()), None)
            .await
    }

    async fn send_raw(
        &self,
        method: Method,
        path: &str,
        auth: Auth<'_>,
        body: Option<String>,
        accept_language: Option<&str>,
    ) -> Answer {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        req = match auth {
            Auth::None => req,
            Auth::Basic(name, password) => req.basic_auth(name, Some(password)),
            Auth::Bearer(token) => req.bearer_auth(token),
        };
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body);
        }
        if let Some(lang) = accept_language {
            req = req.header("accept-language", lang);
        }
        let resp = req.send().await.expect("request answered");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body read");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {text}"))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    /// `GET path`.
    async fn get(&self, path: &str, auth: Auth<'_>) -> Answer {
        self.send(Method::GET, path, auth, None).await
    }

    /// `GET /api/conferences`.
    async fn list(&self, auth: Auth<'_>) -> Answer {
        self.get("/api/conferences", auth).await
    }

    /// `POST /api/conferences` with `body`.
    async fn create(&self, auth: Auth<'_>, body: &Value) -> Answer {
        self.send(Method::POST, "/api/conferences", auth, Some(body))
            .await
    }

    /// A `POST /api/conferences` that must succeed: the booking it returns.
    async fn book(&self, auth: Auth<'_>, body: &Value) -> Value {
        let a = self.create(auth, body).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        a.body
    }

    /// `PUT /api/conferences/{id}` with `body`.
    async fn replace(&self, id: &str, auth: Auth<'_>, body: &Value) -> Answer {
        self.send(Method::PUT, &conference(id), auth, Some(body))
            .await
    }

    /// `DELETE /api/conferences/{id}`.
    async fn cancel(&self, id: &str, auth: Auth<'_>) -> Answer {
        self.send(Method::DELETE, &conference(id), auth, None).await
    }
}

/// The API path of one booking.
fn conference(id: &str) -> String {
    format!("/api/conferences/{id}")
}

/// The organiser most tests act as (see [`with_alice`]).
const ALICE: Auth<'static> = Auth::Basic("alice", "pw-alice");

/// A bridge with the account [`ALICE`] signs in as, and a client for it.
async fn with_alice() -> (TestBridge, Api) {
    let b = TestBridge::start().await;
    let api = Api::new(&b);
    add_user(&b, "alice", "pw-alice", false).await;
    (b, api)
}

/// Create an account with `password`.
async fn add_user(b: &TestBridge, name: &str, password: &str, is_super: bool) -> pont::store::User {
    let (user, created) = b
        .store
        .upsert_user(
            name,
            &pont::auth::hash_password(password),
            is_super,
            unix_now(),
        )
        .await
        .expect("user stored");
    assert!(created);
    user
}

/// A new bearer token for `user`.
async fn add_token(b: &TestBridge, user: &pont::store::User) -> String {
    let token = pont::auth::new_token();
    b.store
        .add_api_token(&user.id, &pont::auth::digest(&token), unix_now())
        .await
        .expect("token stored");
    token
}

/// `days` days from today at `hh:mm`, local in [`ZONE`], as the API wants it.
fn local_start(days: i64, hh_mm: &str) -> String {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get(ZONE).unwrap())
        .date();
    let day = today.checked_add(jiff::Span::new().days(days)).unwrap();
    format!("{}T{hh_mm}", day.strftime("%Y-%m-%d"))
}

/// Days from today (in [`ZONE`]) to the next Monday, 1 to 7.
fn days_to_next_monday() -> i64 {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get(ZONE).unwrap())
        .date();
    7 - i64::from(today.weekday().to_monday_zero_offset())
}

/// A valid booking body starting at `start`.
fn booking(title: &str, start: &str) -> Value {
    json!({
        "title": title,
        "start": start,
        "time_zone": ZONE,
        "duration_minutes": 60,
        "kind": "audio",
        "capacity": 10,
        "comment": "bring slides",
        "recipients": ["ada@example.org"],
    })
}

/// The error body's field names.
fn error_fields(body: &Value) -> Vec<String> {
    let mut names: Vec<String> = body["errors"]
        .as_object()
        .unwrap_or_else(|| panic!("no errors object in {body}"))
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

/// `f` under [`TEST_TIMEOUT`].
async fn run(f: impl std::future::Future<Output = ()>) {
    tokio::time::timeout(TEST_TIMEOUT, f)
        .await
        .expect("test finished in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_valid_credentials_get_401() {
    run(async {
        let b = TestBridge::start().await;
        let api = Api::new(&b);
        add_user(&b, "alice", "correct horse", false).await;

        let cases = [
            ("no credentials", Auth::None),
            ("wrong password", Auth::Basic("alice", "wrong")),
            ("unknown account", Auth::Basic("mallory", "correct horse")),
            ("unknown token", Auth::Bearer("not-a-token")),
        ];
        for (what, auth) in cases {
            let a = api.list(auth).await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{what}");
            assert_eq!(
                a.headers
                    .get("www-authenticate")
                    .map(|v| v.to_str().unwrap()),
                Some("Basic realm=\"pont\""),
                "{what}"
            );
            assert_eq!(a.body, json!({"error": "unauthorized"}), "{what}");
        }
        // A refused write changes nothing.
        let sneaky = booking("Sneaky", &local_start(2, "10:00"));
        let a = api.create(Auth::Basic("alice", "wrong"), &sneaky).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert!(b.store.bookings(None).await.unwrap().is_empty());
        assert!(b.metric("pont_logins_failed_total").await >= 4.0);

        let a = api.list(Auth::Basic("alice", "correct horse")).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.body, json!([]));
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_wrong_passwords_are_rate_limited() {
    run(async {
        let b = TestBridge::start().await;
        let api = Api::new(&b);
        add_user(&b, "alice", "correct horse", false).await;

        let mut refused = None;
        for attempt in 1..=10 {
            let a = api.list(Auth::Basic("alice", "guess")).await;
            if a.status == StatusCode::TOO_MANY_REQUESTS {
                refused = Some((attempt, a));
                break;
            }
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        }
        let (attempt, a) = refused.expect("a 429 within 10 wrong passwords");
        assert!(attempt > 1, "the first try is never refused");
        let retry: u64 = a.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry > 0);
        // Even the right password waits now: the limit protects the account.
        let a = api.list(Auth::Basic("alice", "correct horse")).await;
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(b.metric("pont_logins_refused_total").await >= 2.0);
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn book_read_replace_and_cancel() {
    run(async {
        let (b, api) = with_alice().await;
        let start = local_start(3, "10:00");

        let a = api.create(ALICE, &booking("Weekly sync", &start)).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        let c = a.body;
        let id = c["id"].as_str().unwrap().to_string();
        assert_eq!(a.headers["location"].to_str().unwrap(), conference(&id));
        let number = c["number"].as_str().unwrap();
        assert!(
            number.len() == 6 && number.bytes().all(|d| d.is_ascii_digit()),
            "{number}"
        );
        let code = c["access_code"].as_str().unwrap();
        let code_value: u32 = code.parse().expect("a numeric code");
        assert!((1000..=9999).contains(&code_value), "{code}");
        let sip_uri = c["sip_uri"].as_str().unwrap();
        assert!(
            sip_uri.starts_with("sip:") && sip_uri.contains(number),
            "{sip_uri}"
        );
        assert!(c["modify_url"].as_str().unwrap().contains("/m/"), "{c}");
        assert_eq!(c["h323"], Value::Null, "no H.323 address is configured");
        assert_eq!(c["title"], "Weekly sync");
        assert_eq!(c["time_zone"], ZONE);
        assert_eq!(c["duration_minutes"], 60);
        assert_eq!(c["kind"], "audio");
        assert_eq!(c["layout"], "", "an audio conference has no layout");
        assert_eq!(c["capacity"], 10);
        assert_eq!(c["comment"], "bring slides");
        assert_eq!(c["recipients"], json!(["ada@example.org"]));
        assert_eq!(c["recurrence"], Value::Null);
        assert_eq!(c["cancelled"], false);
        assert_eq!(c["sequence"], 0);
        // The start is the local time typed, with the zone's offset; the end an hour later.
        let first_start = c["start"].as_str().unwrap();
        assert!(
            first_start.starts_with(&format!("{start}:00+0")),
            "{first_start}"
        );
        let end = c["end"].as_str().unwrap();
        let ts = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_second();
        assert_eq!(ts(end) - ts(first_start), 3600);
        assert_eq!(
            c["occurrences"],
            json!([{"start": first_start, "end": end}])
        );
        assert_eq!(b.metric("pont_bookings_created_total").await, 1.0);

        let a = api.get(&conference(&id), ALICE).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.body, c, "GET shows what POST returned");

        // PUT replaces every field: a new title, 90 minutes, video, no comment, another recipient.
        let mut change = booking("Weekly sync v2", &start);
        change["duration_minutes"] = json!(90);
        change["kind"] = json!("video");
        change["comment"] = Value::Null;
        change["recipients"] = json!(["bob@example.org"]);
        let a = api.replace(&id, ALICE, &change).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let u = a.body;
        assert_eq!(u["id"], c["id"]);
        assert_eq!(u["title"], "Weekly sync v2");
        assert_eq!(u["duration_minutes"], 90);
        assert_eq!(u["kind"], "video");
        assert_eq!(u["comment"], "");
        assert_eq!(u["recipients"], json!(["bob@example.org"]));
        assert_eq!(u["sequence"], 1);
        assert_eq!(u["start"], c["start"]);
        assert_eq!(ts(u["end"].as_str().unwrap()) - ts(first_start), 90 * 60);
        // The number and the code already sent to participants stay.
        assert_eq!(u["number"], c["number"]);
        assert_eq!(u["access_code"], c["access_code"]);

        let a = api.cancel(&id, ALICE).await;
        assert_eq!(a.status, StatusCode::NO_CONTENT);
        assert_eq!(a.body, Value::Null);
        let a = api.get(&conference(&id), ALICE).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.body["cancelled"], true);
        assert_eq!(a.body["occurrences"], json!([]));
        assert_eq!(
            a.body["start"], c["start"],
            "the booked start is still shown"
        );
        assert_eq!(a.body["sequence"], 2);
        assert_eq!(b.metric("pont_bookings_cancelled_total").await, 1.0);
        // No SMTP relay is configured: the invitations wait in the outbox, the cancellation
        // among them, addressed to the recipient of the booking as it was when cancelled.
        let mails = b.store.due_mails(unix_now() + 1, 100).await.unwrap();
        let sent = |to: &str, method: &str| {
            mails
                .iter()
                .any(|m| m.booking_id == id && m.recipient == to && m.ics_method == method)
        };
        assert!(sent("ada@example.org", "REQUEST"), "{mails:#?}");
        assert!(sent("bob@example.org", "REQUEST"), "{mails:#?}");
        assert!(sent("bob@example.org", "CANCEL"), "{mails:#?}");
        // A cancelled booking can be neither cancelled again nor changed.
        let a = api.cancel(&id, ALICE).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        let a = api.replace(&id, ALICE, &change).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        // Still listed, as cancelled.
        let a = api.list(ALICE).await;
        assert_eq!(a.body.as_array().unwrap().len(), 1);
        assert_eq!(a.body[0]["cancelled"], true);
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_failures_name_every_field() {
    run(async {
        let (b, api) = with_alice().await;

        let bad = json!({
            "title": "A title far longer than twenty-four characters",
            "start": local_start(2, "10:00"),
            "time_zone": "Mars/Olympus_Mons",
            "duration_minutes": 10,
            "kind": "audio",
            "capacity": 50,
            "recipients": ["ada@example.org", "not an address"],
        });
        let a = api.create(ALICE, &bad).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(
            error_fields(&a.body),
            [
                "capacity",
                "duration_minutes",
                "recipients",
                "time_zone",
                "title"
            ]
        );
        for (field, message) in a.body["errors"].as_object().unwrap() {
            assert!(!message.as_str().unwrap().is_empty(), "{field}");
        }
        // The messages follow Accept-Language.
        let fr = api
            .send_raw(
                Method::POST,
                "/api/conferences",
                ALICE,
                Some(bad.to_string()),
                Some("fr-FR,fr;q=0.9"),
            )
            .await;
        assert_eq!(fr.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error_fields(&fr.body), error_fields(&a.body));
        assert_ne!(fr.body["errors"]["title"], a.body["errors"]["title"]);

        // Wrong JSON types and unknown fields are named too, together with rule violations.
        let mut typed = booking("Typed", &local_start(2, "10:00"));
        typed["capacity"] = json!("ten");
        typed["duration_minutes"] = json!(5);
        typed["capacty"] = json!(3);
        typed["recurrence"] = json!("weekly");
        let a = api.create(ALICE, &typed).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(
            error_fields(&a.body),
            ["capacity", "capacty", "duration_minutes", "recurrence"]
        );
        assert_eq!(a.body["errors"]["capacty"], "unknown field");
        assert_eq!(a.body["errors"]["capacity"], "must be a whole number");

        // Not JSON, or not an object: 400 with a reason.
        for body in ["{\"title\": ", "[1, 2]"] {
            let a = api
                .send_raw(
                    Method::POST,
                    "/api/conferences",
                    ALICE,
                    Some(body.to_string()),
                    None,
                )
                .await;
            assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}");
            assert!(a.body["error"].as_str().is_some(), "{}", a.body);
        }

        // A start in the past is a rule violation on `start`.
        let past = booking("Past", &local_start(-1, "10:00"));
        let a = api.create(ALICE, &past).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error_fields(&a.body), ["start"]);

        // Nothing was saved by any of these.
        assert!(b.store.bookings(None).await.unwrap().is_empty());
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_must_be_json_small_and_reasonable() {
    run(async {
        let (b, api) = with_alice().await;
        let url = format!("{}/api/conferences", api.base);
        let valid = booking("Typed", &local_start(1, "10:00")).to_string();
        // A JSON body not declared as JSON (what a cross-site text/plain form would send): 415.
        let r = api
            .client
            .post(&url)
            .basic_auth("alice", Some("pw-alice"))
            .header("content-type", "text/plain")
            .body(valid.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        // A body past 64 KiB is refused before it is read: 413.
        let r = api
            .client
            .post(&url)
            .basic_auth("alice", Some("pw-alice"))
            .header("content-type", "application/json")
            .body(format!("{{\"comment\": \"{}\"}}", "x".repeat(100 * 1024)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        // Thousands of pasted addresses: one quick 422 on `recipients`.
        let mut many = booking("Many", &local_start(1, "10:00"));
        many["recipients"] = json!(vec!["a@example.org,"; 2000].concat());
        let a = api.create(ALICE, &many).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(error_fields(&a.body), ["recipients"]);
        assert!(b.store.bookings(None).await.unwrap().is_empty());
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_keeps_the_language_the_booking_was_made_in() {
    run(async {
        let (b, api) = with_alice().await;
        let body = booking("Conseil", &local_start(1, "10:00"));
        let a = api
            .send_raw(
                Method::POST,
                "/api/conferences",
                ALICE,
                Some(body.to_string()),
                Some("fr-FR"),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        let id = a.body["id"].as_str().unwrap().to_string();
        let language = || async { b.store.booking(&id).await.unwrap().unwrap().language };
        assert_eq!(language().await, "fr");
        // Changed by a client that asks for nothing (English messages): still a French booking.
        let mut changed = body.clone();
        changed["capacity"] = json!(8);
        let a = api.replace(&id, ALICE, &changed).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["capacity"], 8);
        assert_eq!(language().await, "fr");
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlap_needs_confirmation() {
    run(async {
        let (b, api) = with_alice().await;

        let first = api
            .book(ALICE, &booking("First", &local_start(4, "10:00")))
            .await;
        // Half an hour later, while the first still runs.
        let mut second = booking("Second", &local_start(4, "10:30"));
        let a = api.create(ALICE, &second).await;
        assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
        assert_eq!(
            a.body,
            json!({"error": "overlap", "conflicts": [first["id"]]})
        );
        assert_eq!(b.store.bookings(None).await.unwrap().len(), 1);

        second["confirm_overlap"] = json!(true);
        let confirmed = api.book(ALICE, &second).await;
        assert_ne!(
            confirmed["number"], first["number"],
            "conferences at overlapping times get different numbers"
        );
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisers_see_only_their_own_and_a_super_admin_sees_all() {
    run(async {
        let (b, api) = with_alice().await;
        add_user(&b, "bob", "pw-bob", false).await;
        add_user(&b, "root", "pw-root", true).await;
        let (bob, root) = (Auth::Basic("bob", "pw-bob"), Auth::Basic("root", "pw-root"));
        let start = local_start(5, "14:00");

        let c = api.book(ALICE, &booking("Alice planning", &start)).await;
        let alice_id = c["id"].as_str().unwrap().to_string();
        // Another organiser at the same time: no overlap (`book` checks the 201).
        let c = api.book(bob, &booking("Bob planning", &start)).await;
        let bob_id = c["id"].as_str().unwrap().to_string();

        // Bob cannot see, change or cancel Alice's booking: it looks like no booking at all.
        let path = conference(&alice_id);
        for (method, body) in [
            (Method::GET, None),
            (Method::PUT, Some(booking("Hijacked", &start))),
            (Method::DELETE, None),
        ] {
            let a = api.send(method.clone(), &path, bob, body.as_ref()).await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "{method}");
            assert_eq!(a.body, json!({"error": "not found"}));
        }
        let a = api.get(&conference("no-such-id"), bob).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);

        let ids = |body: &Value| -> Vec<String> {
            let mut v: Vec<String> = body
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_string())
                .collect();
            v.sort();
            v
        };
        let a = api.list(bob).await;
        assert_eq!(ids(&a.body), std::slice::from_ref(&bob_id));
        let a = api.list(ALICE).await;
        assert_eq!(ids(&a.body), std::slice::from_ref(&alice_id));
        let a = api.list(root).await;
        let mut both = vec![alice_id.clone(), bob_id];
        both.sort();
        assert_eq!(ids(&a.body), both);

        // The super-admin may read and change anyone's booking.
        let a = api.get(&path, root).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.body["title"], "Alice planning");
        let a = api
            .replace(&alice_id, root, &booking("Fixed by root", &start))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["title"], "Fixed by root");
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recurrence_books_one_occurrence_per_day_under_one_number() {
    run(async {
        let (b, api) = with_alice().await;

        // Two weeks of Mondays, Wednesdays and Fridays from next Monday: 6 days. (The start day
        // itself is always an occurrence, so it is a Monday here.)
        let monday = days_to_next_monday();
        let start = local_start(monday, "09:30");
        let until = &local_start(monday + 13, "00:00")[..10];
        let mut body = booking("Standup", &start);
        body["duration_minutes"] = json!(30);
        body["recurrence"] = json!({"weekdays": ["mon", "wed", "fri"], "until": until});
        let c = api.book(ALICE, &body).await;
        assert_eq!(
            c["recurrence"],
            json!({"weekdays": ["mon", "wed", "fri"], "until": until})
        );
        let occurrences = c["occurrences"].as_array().unwrap();
        assert_eq!(occurrences.len(), 6, "{c}");
        for o in occurrences {
            // 09:30 local on each day, whatever the offset that day (DST).
            let start = o["start"].as_str().unwrap();
            assert_eq!(&start[10..19], "T09:30:00", "{start}");
            let zoned: jiff::Zoned = format!("{start}[{ZONE}]").parse().unwrap();
            assert!(
                matches!(
                    zoned.weekday(),
                    jiff::civil::Weekday::Monday
                        | jiff::civil::Weekday::Wednesday
                        | jiff::civil::Weekday::Friday
                ),
                "{start}"
            );
        }
        assert_eq!(c["start"], occurrences[0]["start"]);
        // Each occurrence is a conference of its own, all with the booking's number.
        let conferences = b.store.list_conferences().await.unwrap();
        assert_eq!(conferences.len(), 6);
        assert!(
            conferences
                .iter()
                .all(|k| k.number == c["number"].as_str().unwrap()),
            "{conferences:?}"
        );
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booked_video_layout_reaches_every_occurrence() {
    run(async {
        let (b, api) = with_alice().await;

        // Three Mondays, Wednesdays or Fridays from next Monday, in the 2×2 layout.
        let monday = days_to_next_monday();
        let mut body = booking("Grid", &local_start(monday, "14:00"));
        body["kind"] = json!("video");
        body["layout"] = json!("2x2");
        body["recurrence"] = json!({
            "weekdays": ["mon", "wed", "fri"],
            "until": &local_start(monday + 4, "00:00")[..10],
        });
        let c = api.book(ALICE, &body).await;
        let id = c["id"].as_str().unwrap().to_string();
        assert_eq!(c["layout"], "2x2");
        assert_eq!(c["occurrences"].as_array().unwrap().len(), 3, "{c}");
        assert_eq!(api.get(&conference(&id), ALICE).await.body["layout"], "2x2");
        // Every occurrence row carries it, and the bridge's lookup (what a call reads when it
        // joins; `call.rs` turns the row's layout into the conference's) gives it at each start.
        let rows = b.store.list_conferences().await.unwrap();
        assert_eq!(rows.len(), 3);
        assert!(
            rows.iter().all(|r| r.layout == "2x2" && r.kind == "video"),
            "{rows:?}"
        );
        for row in &rows {
            match b
                .store
                .lookup(&row.number, row.starts_at, 600)
                .await
                .unwrap()
            {
                pont::store::NumberStatus::Open(open) => assert_eq!(open.layout, "2x2"),
                other => panic!("not open at its start: {other:?}"),
            }
        }

        // An alias is stored by its canonical name, on every occurrence.
        body["layout"] = json!("CP9");
        let a = api.replace(&id, ALICE, &body).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["layout"], "3x3");
        let rows = b.store.list_conferences().await.unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.layout == "3x3"), "{rows:?}");

        // An unknown layout is a 422 on `layout` alone, and changes nothing.
        body["layout"] = json!("4x4");
        let a = api.replace(&id, ALICE, &body).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(error_fields(&a.body), ["layout"]);
        assert!(
            a.body["errors"]["layout"].as_str().unwrap().contains("4x4"),
            "{}",
            a.body
        );
        let a = api.create(ALICE, &body).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(error_fields(&a.body), ["layout"]);
        assert_eq!(b.store.bookings(None).await.unwrap().len(), 1);
        assert!(b
            .store
            .list_conferences()
            .await
            .unwrap()
            .iter()
            .all(|r| r.layout == "3x3"));
        // A wrong JSON type is named like any other field.
        body["layout"] = json!(4);
        let a = api.create(ALICE, &body).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(a.body["errors"]["layout"], "must be a string");

        // A PUT without `layout` keeps the booked one (like the access code); `""` asks for
        // the bridge's default.
        body.as_object_mut().unwrap().remove("layout");
        body["title"] = json!("Grid moved");
        let a = api.replace(&id, ALICE, &body).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["title"], "Grid moved");
        assert_eq!(a.body["layout"], "3x3");
        assert!(b
            .store
            .list_conferences()
            .await
            .unwrap()
            .iter()
            .all(|r| r.layout == "3x3"));
        body["layout"] = json!("");
        let a = api.replace(&id, ALICE, &body).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["layout"], "");
        assert!(b
            .store
            .list_conferences()
            .await
            .unwrap()
            .iter()
            .all(|r| r.layout.is_empty()));

        // For audio only the layout is ignored: stored empty.
        let mut audio = booking("Voice", &local_start(monday, "17:00"));
        audio["layout"] = json!("2x2");
        let c = api.book(ALICE, &audio).await;
        assert_eq!(c["layout"], "");
        let stored = b
            .store
            .booking(c["id"].as_str().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.layout, "");
        assert!(stored.occurrences.iter().all(|r| r.layout.is_empty()));
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_token_authenticates() {
    run(async {
        let b = TestBridge::start().await;
        let api = Api::new(&b);
        let alice = add_user(&b, "alice", "pw-alice", false).await;
        let token = add_token(&b, &alice).await;

        api.book(
            Auth::Bearer(&token),
            &booking("By token", &local_start(2, "16:00")),
        )
        .await;
        let a = api.list(Auth::Bearer(&token)).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.body[0]["title"], "By token");
        // The booking is Alice's: her password sees it too.
        let a = api.list(ALICE).await;
        assert_eq!(a.body.as_array().unwrap().len(), 1);
        // A token with one character changed is refused.
        let mut wrong = token.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == 'A' { 'B' } else { 'A' });
        let a = api.list(Auth::Bearer(&wrong)).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_joins_the_booked_conference_with_number_and_code() {
    run(async {
        let (b, api) = with_alice().await;

        // The next whole minute: not in the past, and inside the early-join window already.
        let next_minute = jiff::Timestamp::from_second((unix_now() / 60 + 1) * 60)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::get(ZONE).unwrap());
        let start = next_minute.strftime("%Y-%m-%dT%H:%M").to_string();
        let c = api.book(ALICE, &booking("Call me", &start)).await;
        let number = c["number"].as_str().unwrap();
        let code = c["access_code"].as_str().unwrap();
        assert!(c["sip_uri"].as_str().unwrap().contains(number));

        // `NUMBER**CODE` in the request URI joins at once, without the IVR.
        let mut phone = Phone::call(b.sip(), &format!("{number}**{code}"), 440.0)
            .await
            .expect("call answered");
        let joined =
            wait_metric_at_least(&b, "pont_calls_joined_total", 1.0, Duration::from_secs(5)).await;
        assert_eq!(joined, 1.0, "the caller joined the booked conference");
        assert_eq!(b.metric("pont_participants_active").await, 1.0);
        assert_eq!(b.metric("pont_conferences_active").await, 1.0);
        assert_eq!(phone.hangup(Duration::from_secs(5)).await, Some(200));
        b.wait_metrics(
            &["pont_calls_active", "pont_participants_active"],
            0.0,
            Duration::from_secs(5),
        )
        .await;
    })
    .await
}
