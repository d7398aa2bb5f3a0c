//! `pont admin add USER` and `pont admin token USER`: the portal's admin accounts, managed from
//! the command line on the same `--db` as the bridge (there is no sign-up page on purpose).

use std::io::{BufRead, IsTerminal, Write};

use clap::Subcommand;

use crate::auth;
use crate::store::Store;

/// Admin account commands.
#[derive(Debug, Subcommand)]
pub(super) enum AdminCmd {
    /// Create an admin account, or set the password (and super flag) of an existing one.
    Add {
        /// Login name.
        user: String,
        /// The password [default: one line read from standard input, so it stays out of the
        /// shell history and the process list].
        #[arg(long)]
        password: Option<String>,
        /// A super-admin sees and changes every booking, not only their own.
        #[arg(long = "super")]
        is_super: bool,
    },
    /// Print a new API bearer token for an existing account (only its digest is stored).
    Token {
        /// Login name.
        user: String,
    },
}

/// Run an admin command on the store at `db`.
pub(super) async fn run(cmd: AdminCmd, db: &str, now: i64) -> anyhow::Result<()> {
    match cmd {
        AdminCmd::Add {
            user,
            password,
            is_super,
        } => {
            let user = user.trim().to_string();
            if user.is_empty() {
                anyhow::bail!("the user name must not be empty");
            }
            let password = match password {
                Some(p) => p,
                None => read_password(&user)?,
            };
            if password.is_empty() {
                anyhow::bail!("refusing an empty password for {user}");
            }
            let store = Store::open(db).await?;
            // argon2 is deliberately slow: keep it off the runtime's worker.
            let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password)).await?;
            let (account, created) = store.upsert_user(&user, &hash, is_super, now).await?;
            let role = if account.is_super {
                "super-admin"
            } else {
                "admin"
            };
            if created {
                println!("created {role} {}", account.name);
            } else {
                println!("updated {role} {} (new password)", account.name);
            }
        }
        AdminCmd::Token { user } => {
            let store = Store::open(db).await?;
            let Some(account) = store.user_by_name(&user).await? else {
                anyhow::bail!("no admin account named {user:?} (create it with `pont admin add`)");
            };
            let token = auth::new_token();
            store
                .add_api_token(&account.id, &auth::digest(&token), now)
                .await?;
            // Only the token on stdout, so `TOKEN=$(pont admin token alice)` works.
            println!("{token}");
        }
    }
    Ok(())
}

/// One line of standard input, without its line end; a prompt on stderr when it is a terminal.
fn read_password(user: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password for {user}: ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(line.strip_suffix('\r').unwrap_or(line).to_string())
}
