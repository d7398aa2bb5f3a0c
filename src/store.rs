//! The store: conferences, bookings, admin accounts and the mail outbox, in SQLite by default
//! or PostgreSQL by URL, through one sqlx `AnyPool` and one set of migrations.
//!
//! Times are Unix seconds (UTC) in BIGINT columns so that both databases read them the same way.
//! SQLite runs in WAL mode with a busy timeout, so the CLI can change the store while the bridge
//! runs and the bridge sees the change on its next lookup (there is no cache to invalidate).
//!
//! Writing transactions start with a write: on SQLite a deferred transaction that reads first
//! and writes later can fail at once with `SQLITE_BUSY` when another connection wrote in between
//! (the busy timeout does not cover that upgrade), whereas a first write waits for the lock.

mod bookings;
mod outbox;
mod slots;
mod users;

pub use bookings::{Booking, NewBooking, NewMail, NumberAlloc};
pub use outbox::OutboxMail;
pub use users::{Session, User};

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};

/// How early before its start a conference can be joined by default (`--early-join-minutes`).
pub const EARLY_JOIN_SECS: i64 = 10 * 60;

/// What a dialled conference number is, at a given time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberStatus {
    /// No conference has this number.
    NotFound,
    /// The next conference with this number opens later.
    NotStarted(Conference),
    /// The last conference with this number has ended (none is open or upcoming).
    Ended(Conference),
    /// This conference is open now.
    Open(Conference),
}

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or opened.
    #[error("cannot open database {url}: {source}")]
    Connect {
        /// The URL (without password).
        url: String,
        /// Why.
        source: sqlx::Error,
    },
    /// The migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    /// The conference number is taken by a conference that overlaps in time.
    #[error("conference number {0} is already used by a conference at an overlapping time")]
    NumberTaken(String),
    /// A field is out of range.
    #[error("{0}")]
    Invalid(&'static str),
    /// No free conference number was found for these times.
    #[error("no free conference number for these times")]
    NumbersExhausted,
    /// No such booking (or it is cancelled).
    #[error("no such booking")]
    NotFound,
}

/// A conference as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conference {
    /// Opaque id.
    pub id: String,
    /// The number callers dial.
    pub number: String,
    /// Title.
    pub title: String,
    /// Access code (used by the IVR).
    pub access_code: String,
    /// Start, Unix seconds.
    pub starts_at: i64,
    /// End, Unix seconds.
    pub ends_at: i64,
    /// Most participants at once.
    pub capacity: i64,
    /// `audio` or `video` (CLI conferences are `audio`).
    pub kind: String,
    /// Prompt language (`fr`/`en`) chosen at booking; empty = the language of the caller's route.
    pub language: String,
    /// Video layout name (`voice-switched`, `1+n`, `2x2`, `3x3`); empty = the bridge's default.
    pub layout: String,
}

/// A new conference to store.
#[derive(Debug, Clone)]
pub struct NewConference {
    /// The number callers dial (digits).
    pub number: String,
    /// Title.
    pub title: String,
    /// Access code (digits).
    pub access_code: String,
    /// Start, Unix seconds.
    pub starts_at: i64,
    /// Length in minutes.
    pub duration_minutes: i64,
    /// Most participants at once.
    pub capacity: i64,
    /// `audio` or `video`.
    pub kind: String,
    /// Video layout name; empty = the bridge's default.
    pub layout: String,
}

/// The store handle (cheap to clone).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
}

/// Hide the password of a URL for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

/// SQLite URLs get `mode=rwc` so the file is created on first run.
fn normalise_url(url: &str) -> String {
    if url.starts_with("sqlite:") && !url.contains("mode=") && !url.contains(":memory:") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=rwc")
    } else {
        url.to_string()
    }
}

impl Store {
    /// Connect and run the migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = Self::open_without_migrations(url).await?;
        sqlx::migrate!("./migrations").run(&store.pool).await?;
        Ok(store)
    }

    /// Connect only (tests use it to create databases on a server).
    async fn open_without_migrations(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let is_sqlite = url.starts_with("sqlite:");
        let connect_err = |source| StoreError::Connect {
            url: redact(url),
            source,
        };
        let options: AnyConnectOptions = normalise_url(url).parse().map_err(connect_err)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if is_sqlite { 4 } else { 10 })
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if is_sqlite {
                        // WAL lets the CLI write while the bridge reads; the busy timeout makes
                        // concurrent writers wait instead of failing.
                        sqlx::query("PRAGMA journal_mode=WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout=5000")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(connect_err)?;
        Ok(Store { pool })
    }

    /// Store a conference, refusing a number already used by an overlapping conference.
    pub async fn add_conference(
        &self,
        new: &NewConference,
        now: i64,
    ) -> Result<Conference, StoreError> {
        if new.number.is_empty()
            || !new.number.bytes().all(|b| b.is_ascii_digit())
            || new.number.len() > 16
        {
            return Err(StoreError::Invalid(
                "the conference number must be 1 to 16 digits",
            ));
        }
        if new.access_code.is_empty()
            || !new.access_code.bytes().all(|b| b.is_ascii_digit())
            || new.access_code.len() > 16
        {
            return Err(StoreError::Invalid(
                "the access code must be 1 to 16 digits",
            ));
        }
        if !(1..=24 * 60).contains(&new.duration_minutes) {
            return Err(StoreError::Invalid(
                "the duration must be 1 to 1440 minutes",
            ));
        }
        if !(1..=1000).contains(&new.capacity) {
            return Err(StoreError::Invalid("the capacity must be 1 to 1000"));
        }
        if new.kind != "audio" && new.kind != "video" {
            return Err(StoreError::Invalid("the type must be audio or video"));
        }
        if !new.layout.is_empty() && media::video::Layout::from_name(&new.layout).is_none() {
            return Err(StoreError::Invalid(
                "the layout must be voice-switched, 1+n, 2x2 or 3x3",
            ));
        }
        let conf = Conference {
            id: new_id(),
            number: new.number.clone(),
            title: new.title.clone(),
            access_code: new.access_code.clone(),
            starts_at: new.starts_at,
            ends_at: new.starts_at + new.duration_minutes * 60,
            capacity: new.capacity,
            kind: new.kind.clone(),
            language: String::new(),
            layout: new.layout.clone(),
        };
        let mut tx = self.pool.begin().await?;
        insert_conference(&mut tx, &conf, None, now).await?;
        // The slot claim is the overlap check (early-join window included, since a caller may
        // reach either conference then); the primary key makes it hold under concurrency.
        let (first, last) = slots::window(conf.starts_at, conf.ends_at, EARLY_JOIN_SECS);
        match slots::claim(&mut tx, &conf.number, first, last, &conf.id).await {
            Err(e) if slots::is_clash(&e) => {
                tx.rollback().await?;
                return Err(StoreError::NumberTaken(conf.number));
            }
            other => other?,
        }
        tx.commit().await?;
        Ok(conf)
    }

    /// Every conference, by start.
    pub async fn list_conferences(&self) -> Result<Vec<Conference>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM conferences ORDER BY starts_at, number"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_conference).collect()
    }

    /// Remove the conferences with this number (or this id). Returns how many went.
    /// Their number slots are freed in the same transaction.
    pub async fn remove_conference(&self, number_or_id: &str) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM number_slots WHERE conference_id IN \
             (SELECT id FROM conferences WHERE number = $1 OR id = $1)",
        )
        .bind(number_or_id)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM conferences WHERE number = $1 OR id = $1")
            .bind(number_or_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// The conference a caller dialling `number` at `now` reaches: open from `early_secs`
    /// before its start until its end.
    pub async fn find_open(
        &self,
        number: &str,
        now: i64,
        early_secs: i64,
    ) -> Result<Option<Conference>, StoreError> {
        match self.lookup(number, now, early_secs).await? {
            NumberStatus::Open(c) => Ok(Some(c)),
            _ => Ok(None),
        }
    }

    /// What `number` is at `now`: open (from `early_secs` before its start until its end),
    /// not started yet (the nearest upcoming one), ended (the latest past one), or unknown.
    /// One query whatever the answer, so its cost tells nothing.
    pub async fn lookup(
        &self,
        number: &str,
        now: i64,
        early_secs: i64,
    ) -> Result<NumberStatus, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM conferences WHERE number = $1 ORDER BY starts_at"
        ))
        .bind(number)
        .fetch_all(&self.pool)
        .await?;
        let all = rows
            .iter()
            .map(row_to_conference)
            .collect::<Result<Vec<_>, _>>()?;
        let open = |c: &&Conference| c.starts_at - early_secs <= now && now < c.ends_at;
        if let Some(c) = all.iter().find(open) {
            return Ok(NumberStatus::Open(c.clone()));
        }
        if let Some(c) = all.iter().find(|c| c.starts_at - early_secs > now) {
            return Ok(NumberStatus::NotStarted(c.clone()));
        }
        Ok(match all.into_iter().next_back() {
            Some(last) => NumberStatus::Ended(last),
            None => NumberStatus::NotFound,
        })
    }
}

/// The columns `row_to_conference` reads, in its order.
const COLUMNS: &str =
    "id, number, title, access_code, starts_at, ends_at, capacity, kind, language, layout";

fn row_to_conference(row: &sqlx::any::AnyRow) -> Result<Conference, StoreError> {
    Ok(Conference {
        id: row.try_get(0)?,
        number: row.try_get(1)?,
        title: row.try_get(2)?,
        access_code: row.try_get(3)?,
        starts_at: row.try_get(4)?,
        ends_at: row.try_get(5)?,
        capacity: row.try_get(6)?,
        kind: row.try_get(7)?,
        language: row.try_get(8)?,
        layout: row.try_get(9)?,
    })
}

/// Insert one conference row (its slots are claimed separately).
async fn insert_conference(
    conn: &mut sqlx::AnyConnection,
    conf: &Conference,
    booking_id: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO conferences (id, number, title, access_code, starts_at, ends_at, capacity, \
         created_at, booking_id, kind, language, layout) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&conf.id)
    .bind(&conf.number)
    .bind(&conf.title)
    .bind(&conf.access_code)
    .bind(conf.starts_at)
    .bind(conf.ends_at)
    .bind(conf.capacity)
    .bind(now)
    .bind(booking_id.map(str::to_string))
    .bind(&conf.kind)
    .bind(&conf.language)
    .bind(&conf.layout)
    .execute(conn)
    .await?;
    Ok(())
}

/// A random id (128 bits, hex).
fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// A fresh SQLite store, plus a fresh PostgreSQL database when `PONT_TEST_POSTGRES` holds a
/// server URL (e.g. `postgres://pont:pont@127.0.0.1/postgres`): every store test runs on both.
#[cfg(test)]
pub(crate) async fn temp_stores() -> (tempfile::TempDir, Vec<Store>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let mut stores = vec![Store::open(&url).await.unwrap()];
    if let Ok(server) = std::env::var("PONT_TEST_POSTGRES") {
        let admin = Store::open_without_migrations(&server).await.unwrap();
        let name = format!("pont_test_{}", new_id());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin.pool)
            .await
            .unwrap();
        let (base, _) = server.rsplit_once('/').unwrap();
        stores.push(Store::open(&format!("{base}/{name}")).await.unwrap());
    }
    (dir, stores)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekly(start: i64) -> NewConference {
        NewConference {
            number: "721051".into(),
            title: "Weekly".into(),
            access_code: "1289".into(),
            starts_at: start,
            duration_minutes: 60,
            capacity: 20,
            kind: "audio".into(),
            layout: String::new(),
        }
    }

    #[tokio::test]
    async fn add_find_list_remove() {
        let (_dir, stores) = temp_stores().await;
        for store in stores {
            let t = 1_800_000_000;
            let c = store.add_conference(&weekly(t), t).await.unwrap();
            assert_eq!(c.ends_at, t + 3600);
            let e = EARLY_JOIN_SECS;
            let status = |at| store.lookup("721051", at, e);
            assert_eq!(
                status(t - e - 1).await.unwrap(),
                NumberStatus::NotStarted(c.clone())
            );
            assert_eq!(status(t - e).await.unwrap(), NumberStatus::Open(c.clone()));
            assert_eq!(
                status(t + 3599).await.unwrap(),
                NumberStatus::Open(c.clone())
            );
            assert_eq!(
                status(t + 3600).await.unwrap(),
                NumberStatus::Ended(c.clone())
            );
            assert_eq!(
                store.find_open("721051", t, e).await.unwrap().as_ref(),
                Some(&c)
            );
            assert_eq!(store.find_open("721051", t + 3600, e).await.unwrap(), None);
            assert_eq!(
                store.lookup("721052", t, e).await.unwrap(),
                NumberStatus::NotFound
            );
            assert_eq!(store.list_conferences().await.unwrap(), vec![c]);
            assert_eq!(store.remove_conference("721051").await.unwrap(), 1);
            assert!(store.list_conferences().await.unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn overlapping_number_refused() {
        let (_dir, stores) = temp_stores().await;
        for store in stores {
            let t = 1_800_000_000;
            store.add_conference(&weekly(t), t).await.unwrap();
            let err = store
                .add_conference(&weekly(t + 1800), t)
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::NumberTaken(_)), "{err}");
            // Ends at t+3600; a conference starting 10 min later would share the early-join window.
            assert!(store
                .add_conference(&weekly(t + 3600 + 300), t)
                .await
                .is_err());
            store
                .add_conference(&weekly(t + 3600 + EARLY_JOIN_SECS), t)
                .await
                .unwrap();
        }
    }

    #[tokio::test]
    async fn bad_fields_refused() {
        let (_dir, stores) = temp_stores().await;
        let store = &stores[0];
        let mut c = weekly(0);
        c.number = "72a".into();
        assert!(matches!(
            store.add_conference(&c, 0).await,
            Err(StoreError::Invalid(_))
        ));
        let mut c = weekly(0);
        c.capacity = 0;
        assert!(matches!(
            store.add_conference(&c, 0).await,
            Err(StoreError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn removing_a_conference_frees_its_number() {
        let (_dir, stores) = temp_stores().await;
        for store in stores {
            let t = 1_800_000_000;
            let c = store.add_conference(&weekly(t), t).await.unwrap();
            assert!(store.add_conference(&weekly(t), t).await.is_err());
            assert_eq!(store.remove_conference(&c.id).await.unwrap(), 1);
            store.add_conference(&weekly(t), t).await.unwrap();
            assert_eq!(store.remove_conference("721051").await.unwrap(), 1);
            let slots = sqlx::query("SELECT COUNT(*) FROM number_slots")
                .fetch_one(&store.pool)
                .await
                .unwrap()
                .try_get::<i64, _>(0)
                .unwrap();
            assert_eq!(slots, 0);
        }
    }

    /// Conferences booked before migration 0002 get their slots, so a new booking cannot take
    /// their number; two old ones that round into one slot do not fail the migration.
    #[tokio::test]
    async fn migration_protects_existing_conferences() {
        let dir = tempfile::tempdir().unwrap();
        let mut urls = vec![format!("sqlite://{}", dir.path().join("old.db").display())];
        if let Ok(server) = std::env::var("PONT_TEST_POSTGRES") {
            let admin = Store::open_without_migrations(&server).await.unwrap();
            let name = format!("pont_test_{}", new_id());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin.pool)
                .await
                .unwrap();
            let (base, _) = server.rsplit_once('/').unwrap();
            urls.push(format!("{base}/{name}"));
        }
        for url in urls {
            let old = Store::open_without_migrations(&url).await.unwrap();
            let mut first_only = sqlx::migrate!("./migrations");
            first_only.migrations = first_only.migrations[..1].to_vec().into();
            first_only.run(&old.pool).await.unwrap();
            let t = 1_800_000_000;
            // The old exact rule allowed these two (the second opens as the first ends), but
            // 00:03 rounds up and 00:13 - 10 min rounds down into the same slot.
            for (id, start, end) in [("a", t, t + 180), ("b", t + 780, t + 3600)] {
                sqlx::query(
                    "INSERT INTO conferences (id, number, title, access_code, starts_at, \
                     ends_at, capacity, created_at) VALUES ($1, '721051', 'Old', '1289', $2, $3, 20, 0)",
                )
                .bind(id)
                .bind(start)
                .bind(end)
                .execute(&old.pool)
                .await
                .unwrap();
            }
            let store = Store::open(&url).await.unwrap();
            let all = store.list_conferences().await.unwrap();
            assert_eq!(all.len(), 2);
            assert!(all
                .iter()
                .all(|c| c.kind == "audio" && c.language.is_empty()));
            let err = store
                .add_conference(&weekly(t + 1800), t)
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::NumberTaken(_)), "{err}");
            store
                .add_conference(&weekly(t + 3600 + EARLY_JOIN_SECS), t)
                .await
                .unwrap();
        }
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://pont:secret@db/pont"),
            "postgres://pont:***@db/pont"
        );
        assert_eq!(redact("sqlite://pont.db"), "sqlite://pont.db");
    }
}
