//! `pont admin add` and `pont admin token` as an operator runs them: the real binary on a SQLite
//! file, the password given by flag or on standard input, the account and token really usable
//! (the stored hash verifies, the token's digest finds the account), and clear failures.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{pont_command, run_pont};
use pont::auth;
use pont::store::Store;
use tokio::io::AsyncWriteExt;

fn sqlite_in(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("pont.db").display())
}

/// Run `pont` with `args`, `input` on its standard input; (success, exit code, stdout, stderr).
async fn run_with_stdin(args: &[&str], input: &str) -> (bool, Option<i32>, String, String) {
    let mut child = pont_command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pont runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("pont {args:?} did not finish in 10 s"))
        .unwrap();
    (
        out.status.success(),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn add_with_flag_then_update() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_in(&dir);
    let (ok, out, err) = run_pont(&[
        "admin",
        "add",
        "alice",
        "--password",
        "first pass",
        "--db",
        &db,
    ])
    .await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("created admin alice"), "{out}");
    let store = Store::open(&db).await.unwrap();
    let alice = store.user_by_name("alice").await.unwrap().expect("account");
    assert!(!alice.is_super);
    assert!(auth::verify_password("first pass", &alice.password_hash));
    assert!(!alice.password_hash.contains("first pass"));

    // Again: same account, new password, now a super-admin.
    let (ok, out, err) = run_pont(&[
        "admin",
        "add",
        "alice",
        "--password",
        "second",
        "--super",
        "--db",
        &db,
    ])
    .await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("updated super-admin alice"), "{out}");
    let again = store.user_by_name("alice").await.unwrap().unwrap();
    assert_eq!(again.id, alice.id);
    assert!(again.is_super);
    assert!(auth::verify_password("second", &again.password_hash));
    assert!(!auth::verify_password("first pass", &again.password_hash));
}

#[tokio::test]
async fn password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_in(&dir);
    // One line only: what follows the first line end is not part of the password.
    let (ok, code, out, err) = run_with_stdin(
        &["admin", "add", "bob", "--db", &db],
        "s3cret word\r\nextra\n",
    )
    .await;
    assert!(ok, "{code:?} {out}{err}");
    assert!(out.contains("created admin bob"), "{out}");
    let store = Store::open(&db).await.unwrap();
    let bob = store.user_by_name("bob").await.unwrap().expect("account");
    assert!(auth::verify_password("s3cret word", &bob.password_hash));

    // An empty line, or no input at all, is refused and changes nothing.
    for input in ["\n", ""] {
        let (ok, code, out, err) =
            run_with_stdin(&["admin", "add", "carol", "--db", &db], input).await;
        assert!(!ok, "{out}{err}");
        assert_eq!(code, Some(1));
        assert!(err.contains("empty password"), "{err}");
    }
    assert_eq!(store.user_by_name("carol").await.unwrap(), None);
}

#[tokio::test]
async fn token_for_an_account() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_in(&dir);
    let (ok, out, err) = run_pont(&["admin", "add", "dave", "--password", "pw", "--db", &db]).await;
    assert!(ok, "{out}{err}");
    let (ok, first, err) = run_pont(&["admin", "token", "dave", "--db", &db]).await;
    assert!(ok, "{err}");
    let (ok, second, err) = run_pont(&["admin", "token", "dave", "--db", &db]).await;
    assert!(ok, "{err}");
    let (first, second) = (first.trim(), second.trim());
    // Only the token is printed: 256 bits, URL-safe base64 without padding.
    assert_eq!(first.len(), 43, "{first:?}");
    assert!(first
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_ne!(first, second);
    let store = Store::open(&db).await.unwrap();
    let dave = store.user_by_name("dave").await.unwrap().unwrap();
    for token in [first, second] {
        let owner = store.user_by_token(&auth::digest(token)).await.unwrap();
        assert_eq!(owner.as_ref(), Some(&dave));
        // The token itself is not what is stored.
        assert_eq!(store.user_by_token(token).await.unwrap(), None);
    }
}

#[tokio::test]
async fn token_for_an_unknown_account_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_in(&dir);
    let (ok, code, out, err) = run_with_stdin(&["admin", "token", "nobody", "--db", &db], "").await;
    assert!(!ok);
    assert_eq!(code, Some(1));
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("nobody") && err.contains("pont admin add"),
        "{err}"
    );
}
