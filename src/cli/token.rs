//! `helpdesk token`: API tokens for scripts. `create` prints the token alone on standard output
//! (so `TOKEN=$(helpdesk token create ...)` works) and what it made on standard error.

use super::TokenCommand;
use crate::auth::api_tokens::{self, Scope};
use crate::auth::users;
use crate::config::Config;
use crate::db::{Db, now};
use crate::desk_time::format::iso;
use crate::error::{Error, Result};

pub fn run(config: &Config, cmd: TokenCommand) -> Result<()> {
    let db = Db::open(&config.db)?;
    match cmd {
        TokenCommand::Create { email, name, scope } => {
            let scope = Scope::parse(scope.trim()).ok_or_else(|| {
                Error::BadRequest(format!("scope must be read or read-write, not {scope:?}"))
            })?;
            let name = crate::util::clean(&name, 100);
            if name.is_empty() {
                return Err(Error::BadRequest("the token's name is empty".into()));
            }
            let account = active_account(&db, &email)?;
            let (id, secret) = db.write_blocking(|c| {
                let (id, secret) = api_tokens::create(c, account.id, &name, scope, now())?;
                let detail = format!(
                    "id={id} staff_id={} scope={} name={name}",
                    account.id,
                    scope.as_str()
                );
                crate::audit::record(c, None, "cli_api_token_created", &detail, None)?;
                Ok((id, secret))
            })?;
            println!("{secret}");
            eprintln!(
                "Token {id} ({}) for {}: shown only this once.",
                scope.as_str(),
                account.email
            );
        }
        TokenCommand::List { email } => {
            let account = account(&db, &email)?;
            for t in db.read_blocking(|c| api_tokens::of_staff(c, account.id))? {
                let state = match t.revoked_at {
                    Some(at) => format!("revoked {}", iso(at)),
                    None => "live".to_string(),
                };
                let used = t.last_used_at.map(iso).unwrap_or_else(|| "never".into());
                println!(
                    "{}\t{}\t{}…\t{}\tcreated {}\tlast used {used}\t{}",
                    t.id,
                    t.scope.as_str(),
                    t.prefix,
                    state,
                    iso(t.created_at),
                    t.name
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let revoked = db.write_blocking(move |c| {
                let revoked = api_tokens::revoke(c, id, now())?;
                if revoked {
                    crate::audit::record(
                        c,
                        None,
                        "cli_api_token_revoked",
                        &format!("id={id}"),
                        None,
                    )?;
                }
                Ok(revoked)
            })?;
            if !revoked {
                return Err(Error::BadRequest(format!(
                    "no live token {id} (see `helpdesk token list --email E`)"
                )));
            }
            println!("Revoked token {id}; it stops working at once.");
        }
    }
    Ok(())
}

fn account(db: &Db, email: &str) -> Result<users::StaffAccount> {
    let email = email.trim().to_lowercase();
    db.read_blocking(|c| users::find_by_email(c, &email))?
        .ok_or_else(|| Error::BadRequest(format!("no staff account with email {email}")))
}

/// A token of a deactivated account would be refused on every request: say so now.
fn active_account(db: &Db, email: &str) -> Result<users::StaffAccount> {
    let account = account(db, email)?;
    if !account.active {
        return Err(Error::BadRequest(format!(
            "the staff account {} is deactivated",
            account.email
        )));
    }
    Ok(account)
}
