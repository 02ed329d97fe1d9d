//! `helpdesk purge --requester EMAIL [--yes]`: a data-protection erasure. Without `--yes` it
//! only counts what would go; with it, it erases (see `tickets::purge`).

use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::workflow::Ctx;

pub fn run(config: &Config, requester: &str, yes: bool) -> Result<()> {
    let email = requester.trim().to_lowercase();
    if !crate::util::looks_like_email(&email) {
        return Err(Error::BadRequest(format!(
            "{requester:?} is not an email address"
        )));
    }
    let db = Db::open(&config.db)?;
    let lookup = email.clone();
    let found = db.read_blocking(move |c| crate::tickets::purge::count(c, &lookup))?;
    println!(
        "{} tickets, {} messages, {} attachments of {email}.",
        found.tickets, found.messages, found.attachments
    );
    if !yes {
        println!(
            "Dry run: nothing was erased. Run again with --yes to erase them and every other trace of the address."
        );
        return Ok(());
    }
    let config = config.clone();
    let removed = db.write_blocking(move |c| {
        let mail = crate::notify::MailCtx::from_parts(&config, &Settings::load(c)?);
        let ctx = Ctx::new(mail, crate::db::now());
        crate::tickets::purge::erase(c, &ctx, &email)
    })?;
    println!(
        "Erased {} tickets, {} messages, {} attachments, and every other trace of the address.",
        removed.tickets, removed.messages, removed.attachments
    );
    Ok(())
}
