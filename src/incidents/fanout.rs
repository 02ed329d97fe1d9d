//! The job `incident_fanout`: a staff reply on an incident goes to every attached ticket, and
//! resolving the incident resolves each, as the normal Desk action per ticket (its own history,
//! its requester's mail in their own language through the outbox), one ticket per transaction
//! so the request that asked for it returns at once and a waiting request gets the writer
//! between tickets. A batch remembers the last ticket it did: a restart goes on from there.

use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::store::{self, Batch};
use crate::error::{Error, Result};
use crate::jobs::JobCtx;
use crate::notify::MailCtx;
use crate::settings::Settings;
use crate::tickets::actions::{Changes, NewMessage};
use crate::tickets::{Actor, MessageKind};
use crate::workflow::{Ctx, Desk};

/// A pass works for this long at most; the next goes on.
const PASS_BUDGET: Duration = Duration::from_secs(20);

/// Queues the reply `body` to every ticket of the incident, as `staff_id`, and wakes the job.
pub fn queue_reply(
    conn: &Connection,
    incident_id: i64,
    staff_id: i64,
    body: &str,
    now: i64,
) -> Result<i64> {
    let id = store::queue_batch(conn, incident_id, "reply", staff_id, body, now)?;
    crate::jobs::wake::after_commit(crate::jobs::INCIDENT_FANOUT);
    Ok(id)
}

/// Resolves the incident and queues the resolving of each of its tickets.
pub fn queue_resolve(conn: &Connection, incident_id: i64, staff_id: i64, now: i64) -> Result<i64> {
    store::set_status(conn, incident_id, super::Status::Resolved, now)?;
    let id = store::queue_batch(conn, incident_id, "resolve", staff_id, "", now)?;
    crate::jobs::wake::after_commit(crate::jobs::INCIDENT_FANOUT);
    Ok(id)
}

/// Does the batch's action to one ticket, as the staff member who asked (who must still be
/// active and allowed the ticket's category).
fn apply(conn: &Connection, ctx: &Ctx, batch: &Batch, ticket_id: i64) -> Result<()> {
    let staff = crate::auth::users::get(conn, batch.staff_id)?
        .filter(|s| s.active)
        .ok_or(Error::Forbidden)?;
    let category: i64 = conn
        .prepare_cached("SELECT category_id FROM tickets WHERE id = ?1")?
        .query_row([ticket_id], |r| r.get(0))?;
    if !crate::auth::access::staff_may_see(conn, staff.id, category)? {
        return Err(Error::Forbidden);
    }
    let actor = Actor::staff(staff.id, &staff.name);
    let desk = Desk::new(conn, ctx);
    if batch.action == "resolve" {
        desk.resolve(&actor, ticket_id)?;
    } else {
        let message = NewMessage {
            kind: MessageKind::Staff,
            body: batch.body.clone(),
            attachments: Vec::new(),
        };
        desk.reply(&actor, ticket_id, &message, &Changes::default())?;
    }
    Ok(())
}

/// One ticket of a batch and the batch's mark, in one transaction; a refused one (a ticket
/// already resolved, gone, or out of the staff member's reach) is counted as failed instead.
fn work_one(ctx: &JobCtx, batch: &Batch, ticket_id: i64) -> Result<()> {
    let config = ctx.config.clone();
    let attempt = ctx.db.write_blocking(|c| {
        let mail = MailCtx::from_parts(&config, &Settings::load(c)?);
        let desk_ctx = Ctx::new(mail, crate::db::now());
        apply(c, &desk_ctx, batch, ticket_id)?;
        store::advance_batch(c, batch.id, ticket_id, 1, 0, None)
    });
    match attempt {
        Ok(()) => Ok(()),
        Err(e @ (Error::Internal(_) | Error::StorageFull | Error::ReadOnly)) => Err(e),
        Err(e) => {
            log::info!("incident batch {}: ticket {ticket_id}: {e}", batch.id);
            ctx.db
                .write_blocking(|c| store::advance_batch(c, batch.id, ticket_id, 0, 1, None))
        }
    }
}

/// The job's pass: works through the unfinished batches, oldest first, for up to
/// `PASS_BUDGET`.
pub fn pass(ctx: &JobCtx) -> Result<String> {
    let started = Instant::now();
    let mut tickets = 0;
    while started.elapsed() < PASS_BUDGET {
        let next = ctx.db.read_blocking(|c| {
            let Some(batch) = store::next_batch(c)? else {
                return Ok(None);
            };
            let ids = store::attached_after(c, batch.incident_id, batch.last_ticket_id, 50)?;
            Ok(Some((batch, ids)))
        })?;
        let Some((batch, ids)) = next else {
            break;
        };
        if ids.is_empty() {
            let last = batch.last_ticket_id;
            ctx.db.write_blocking(|c| {
                store::advance_batch(c, batch.id, last, 0, 0, Some(crate::db::now()))
            })?;
            continue;
        }
        for ticket in ids {
            work_one(ctx, &batch, ticket)?;
            tickets += 1;
            std::thread::yield_now();
            if started.elapsed() >= PASS_BUDGET {
                break;
            }
        }
    }
    Ok(match tickets {
        0 => "no incident reply waiting".to_string(),
        1 => "1 ticket of an incident answered".to_string(),
        n => format!("{n} tickets of incidents answered"),
    })
}
