//! Admin accounts, their API tokens and their web sessions. Passwords are stored only as argon2
//! PHC strings (hashed by `crate::auth`); tokens only as SHA-256 hex digests, so a copy of the
//! database gives no way in.

use super::{Store, StoreError};

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
        let _ = (name, password_hash, is_super, now);
        todo!("issue #4: store helper")
    }

    /// An account by login name.
    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        let _ = name;
        todo!("issue #4: store helper")
    }

    /// An account by id.
    pub async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let _ = id;
        todo!("issue #4: store helper")
    }

    /// Remember an API token (by its digest) for `user_id`.
    pub async fn add_api_token(
        &self,
        user_id: &str,
        token_digest: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let _ = (user_id, token_digest, now);
        todo!("issue #4: store helper")
    }

    /// The account an API token (by digest) belongs to.
    pub async fn user_by_token(&self, token_digest: &str) -> Result<Option<User>, StoreError> {
        let _ = token_digest;
        todo!("issue #4: store helper")
    }

    /// Open a session (token by digest).
    pub async fn create_session(
        &self,
        token_digest: &str,
        user_id: &str,
        csrf: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let _ = (token_digest, user_id, csrf, expires_at);
        todo!("issue #4: store helper")
    }

    /// A session by token digest, if not expired at `now` (expired ones are deleted).
    pub async fn session(&self, token_digest: &str, now: i64) -> Result<Option<Session>, StoreError> {
        let _ = (token_digest, now);
        todo!("issue #4: store helper")
    }

    /// Close a session.
    pub async fn delete_session(&self, token_digest: &str) -> Result<(), StoreError> {
        let _ = token_digest;
        todo!("issue #4: store helper")
    }
}
