//! Admin accounts, their API tokens and their web sessions. Passwords are stored only as argon2
//! PHC strings (hashed by `crate::auth`); tokens only as SHA-256 hex digests, so a copy of the
//! database gives no way in.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{new_id, Store, StoreError};

/// The columns `row_to_user` reads, in its order (prefixed `u.` in joins).
const USER_COLUMNS: &str = "u.id, u.name, u.password_hash, u.is_super, u.created_at";

/// An admin account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Opaque id.
    pub id: String,
    /// Login name (unique).
    pub name: String,
    /// argon2 PHC string.
    pub password_hash: String,
    /// Sees and changes every booking.
    pub is_super: bool,
    /// Created (Unix seconds).
    pub created_at: i64,
}

/// A live web session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Whose.
    pub user: User,
    /// The session's CSRF token (sent in every form).
    pub csrf: String,
    /// Expiry (Unix seconds).
    pub expires_at: i64,
}

impl Store {
    /// Create an account, or replace the password (and super flag) of an existing one.
    /// Returns the account and whether it was created.
    pub async fn upsert_user(
        &self,
        name: &str,
        password_hash: &str,
        is_super: bool,
        now: i64,
    ) -> Result<(User, bool), StoreError> {
        if name.trim().is_empty() {
            return Err(StoreError::Invalid("the user name must not be empty"));
        }
        // Two tries: two first-time upserts of one name race to the insert, and the loser
        // finds the winner's row on its second pass and updates it.
        let mut tries = 0;
        loop {
            tries += 1;
            let mut tx = self.pool.begin().await?;
            let updated =
                sqlx::query("UPDATE users SET password_hash = $2, is_super = $3 WHERE name = $1")
                    .bind(name)
                    .bind(password_hash)
                    .bind(i64::from(is_super))
                    .execute(&mut *tx)
                    .await?;
            let created = updated.rows_affected() == 0;
            if !created {
                // A new password ends every session opened with the old one (a password is
                // usually changed because it leaked). API tokens are separate credentials.
                sqlx::query(
                    "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = $1)",
                )
                .bind(name)
                .execute(&mut *tx)
                .await?;
            }
            if created {
                let inserted = sqlx::query(
                    "INSERT INTO users (id, name, password_hash, is_super, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(new_id())
                .bind(name)
                .bind(password_hash)
                .bind(i64::from(is_super))
                .bind(now)
                .execute(&mut *tx)
                .await;
                match inserted {
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() && tries < 2 => {
                        tx.rollback().await?;
                        continue;
                    }
                    other => other?,
                };
            }
            let row = sqlx::query(&format!(
                "SELECT {USER_COLUMNS} FROM users u WHERE u.name = $1"
            ))
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
            let user = row_to_user(&row)?;
            tx.commit().await?;
            return Ok((user, created));
        }
    }

    /// An account by login name.
    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.one_user("u.name = $1", name).await
    }

    /// An account by id.
    pub async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        self.one_user("u.id = $1", id).await
    }

    /// Remember an API token (by its digest) for `user_id`.
    pub async fn add_api_token(
        &self,
        user_id: &str,
        token_digest: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO api_tokens (digest, user_id, created_at) VALUES ($1, $2, $3)")
            .bind(token_digest)
            .bind(user_id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The account an API token (by digest) belongs to.
    pub async fn user_by_token(&self, token_digest: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.digest = $1"
        ))
        .bind(token_digest)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(row_to_user).transpose()?)
    }

    /// Open a session (token by digest).
    pub async fn create_session(
        &self,
        token_digest: &str,
        user_id: &str,
        csrf: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (digest, user_id, csrf, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_digest)
        .bind(user_id)
        .bind(csrf)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A session by token digest, if not expired at `now` (expired ones are deleted).
    pub async fn session(
        &self,
        token_digest: &str,
        now: i64,
    ) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, s.csrf, s.expires_at FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.digest = $1"
        ))
        .bind(token_digest)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let session = Session {
            user: row_to_user(&row)?,
            csrf: row.try_get(5)?,
            expires_at: row.try_get(6)?,
        };
        if session.expires_at <= now {
            // Sweep every expired session, not only this one: the write happens only when an
            // expired cookie comes back, never on the path of a live session.
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(&self.pool)
                .await?;
            return Ok(None);
        }
        Ok(Some(session))
    }

    /// Close a session.
    pub async fn delete_session(&self, token_digest: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE digest = $1")
            .bind(token_digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The one user matching `condition` (on alias `u`, one `$1`).
    async fn one_user(&self, condition: &str, value: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE {condition}"
        ))
        .bind(value)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(row_to_user).transpose()?)
    }
}

fn row_to_user(row: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        password_hash: row.try_get(2)?,
        is_super: row.try_get::<i64, _>(3)? != 0,
        created_at: row.try_get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::store::temp_stores;

    const T: i64 = 1_800_000_000;

    #[tokio::test]
    async fn users_tokens_sessions() {
        let (_dir, stores) = temp_stores().await;
        for store in stores {
            let (alice, created) = store.upsert_user("alice", "hash1", false, T).await.unwrap();
            assert!(created);
            assert_eq!(
                (alice.name.as_str(), alice.password_hash.as_str()),
                ("alice", "hash1")
            );
            assert!(!alice.is_super);
            assert_eq!(alice.created_at, T);
            // Again: same account, new password and flag, creation time kept.
            let (again, created) = store
                .upsert_user("alice", "hash2", true, T + 5)
                .await
                .unwrap();
            assert!(!created);
            assert_eq!(again.id, alice.id);
            assert_eq!(again.password_hash, "hash2");
            assert!(again.is_super);
            assert_eq!(again.created_at, T);
            let (bob, _) = store.upsert_user("bob", "hash3", false, T).await.unwrap();
            assert_ne!(bob.id, alice.id);
            assert_eq!(
                store.user_by_name("alice").await.unwrap(),
                Some(again.clone())
            );
            assert_eq!(store.user(&bob.id).await.unwrap(), Some(bob.clone()));
            assert_eq!(store.user_by_name("carol").await.unwrap(), None);
            assert_eq!(store.user("nobody").await.unwrap(), None);
            assert!(store.upsert_user(" ", "h", false, T).await.is_err());

            // API tokens: many per account, found by digest only.
            store.add_api_token(&bob.id, "d1", T).await.unwrap();
            store.add_api_token(&bob.id, "d2", T).await.unwrap();
            assert_eq!(store.user_by_token("d1").await.unwrap(), Some(bob.clone()));
            assert_eq!(store.user_by_token("d2").await.unwrap(), Some(bob.clone()));
            assert_eq!(store.user_by_token("d3").await.unwrap(), None);
            assert!(store.add_api_token(&bob.id, "d1", T).await.is_err());

            // Sessions: valid until their expiry, then gone; closing one ends it at once.
            store
                .create_session("s1", &alice.id, "csrf1", T + 100)
                .await
                .unwrap();
            store
                .create_session("s2", &bob.id, "csrf2", T + 50)
                .await
                .unwrap();
            let s = store.session("s1", T + 99).await.unwrap().unwrap();
            assert_eq!(s.user, again);
            assert_eq!((s.csrf.as_str(), s.expires_at), ("csrf1", T + 100));
            assert_eq!(store.session("s1", T + 100).await.unwrap(), None);
            // The sweep took the other expired one too, and the expired one stays gone.
            assert_eq!(store.session("s2", T).await.unwrap(), None);
            assert_eq!(store.session("s1", T).await.unwrap(), None);
            store
                .create_session("s3", &bob.id, "csrf3", T + 100)
                .await
                .unwrap();
            assert!(store.session("s3", T).await.unwrap().is_some());
            store.delete_session("s3").await.unwrap();
            assert_eq!(store.session("s3", T).await.unwrap(), None);
            store.delete_session("never").await.unwrap();
            // A new password closes the account's sessions, not other accounts'.
            store
                .create_session("s4", &bob.id, "csrf4", T + 100)
                .await
                .unwrap();
            store
                .create_session("s5", &alice.id, "csrf5", T + 100)
                .await
                .unwrap();
            store
                .upsert_user("bob", "new-hash", false, T)
                .await
                .unwrap();
            assert_eq!(store.session("s4", T).await.unwrap(), None);
            assert!(store.session("s5", T).await.unwrap().is_some());
        }
    }

    #[tokio::test]
    async fn concurrent_first_upserts_make_one_account() {
        let (_dir, stores) = temp_stores().await;
        for store in stores {
            let tasks: Vec<_> = (0..4)
                .map(|i| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        store
                            .upsert_user("carol", &format!("h{i}"), false, T)
                            .await
                            .unwrap()
                    })
                })
                .collect();
            let mut ids = Vec::new();
            for task in tasks {
                ids.push(task.await.unwrap().0.id);
            }
            ids.dedup();
            assert_eq!(ids.len(), 1, "{ids:?}");
        }
    }
}
