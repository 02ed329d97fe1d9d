//! A data-protection erasure (`helpdesk purge --requester EMAIL`): every ticket the person is
//! the requester of, deleted through the ticket action like an admin's deletion (messages,
//! attachments, history, search rows, clocks, reports, ratings, mail and webhook deliveries
//! about them), then every other trace of the address: mail queued to it, its sign-in links and
//! sessions, a ban of it, quarantined mail and webhook bodies naming it, and its mentions in the
//! audit log. The audit entry of the erasure holds counts only, never the address.

use rusqlite::Connection;

use super::actions::Removed;
use super::{Actor, store};
use crate::error::Result;
use crate::workflow::{Ctx, Desk};

/// What an erasure of `email` would remove (the dry run): tickets, messages, attachments.
pub fn count(conn: &Connection, email: &str) -> Result<Removed> {
    let mut out = Removed::default();
    for id in store::ids_of_requester(conn, email)? {
        let (messages, attachments) = store::content_counts(conn, id)?;
        out.tickets += 1;
        out.messages += messages;
        out.attachments += attachments;
    }
    Ok(out)
}

/// Erases `email` from the desk, in the caller's transaction; returns what went.
pub fn erase(conn: &Connection, ctx: &Ctx, email: &str) -> Result<Removed> {
    let email = email.trim().to_lowercase();
    let mut removed = Removed::default();
    let desk = Desk::new(conn, ctx);
    let system = Actor::system();
    for id in store::ids_of_requester(conn, &email)? {
        desk.delete_ticket(&system, id, &mut removed)?;
    }
    crate::outbox::forget_recipient(conn, &email)?;
    crate::auth::requester_links::forget(conn, &email)?;
    super::bans::forget(conn, &email)?;
    crate::webhooks::store::forget_mentioning(conn, &email)?;
    crate::mail::incoming::forget_quarantined_mentioning(conn, &email)?;
    crate::audit::scrub(conn, &email)?;
    crate::audit::record(
        conn,
        None,
        "requester_purged",
        &format!(
            "tickets={} messages={} attachments={}",
            removed.tickets, removed.messages, removed.attachments
        ),
        None,
    )?;
    Ok(removed)
}
