//! The mail to the requester of a ticket merged into another: once per merge, with the
//! surviving ticket's tracking ID and a link that leads there (the merged ticket's own secret
//! link, which now opens the survivor).

use rusqlite::Connection;
use serde_json::json;

use super::templates::Kind;
use super::{MailCtx, load, queue};
use crate::error::{Error, Result};
use crate::tickets;

pub fn ticket_merged(conn: &Connection, ctx: &MailCtx, ticket_id: i64, into: i64) -> Result<()> {
    if !ctx.enabled(conn)? {
        return Ok(());
    }
    let (ticket, requester) = load(conn, ticket_id)?;
    let survivor = tickets::get(conn, into)?.ok_or(Error::NotFound)?;
    let extra = json!({
        "into_tracking_id": survivor.tracking_id,
        "into_subject": survivor.subject,
    });
    queue(conn, ctx, &ticket, &requester, Kind::TicketMerged, extra)
}
