//! Auto-close: a resolved ticket the requester has not answered for `auto_close_days` days
//! (Admin > Settings; 0 = never) is closed, and the requester told in their language. A reply
//! before that reopens it as always, which takes it out of "resolved" and so out of reach here.

use rusqlite::Connection;

use crate::error::Result;
use crate::jobs::JobCtx;
use crate::notify::{self, MailCtx};
use crate::settings::Settings;
use crate::tickets::actions::Changes;
use crate::tickets::{Actor, store};
use crate::workflow::{Ctx, Desk};

/// Tickets closed per transaction: a backlog (the setting just switched on) goes in batches
/// that never hold the write lock long.
const BATCH: i64 = 200;

/// The job's pass: closes every ticket that fell due by `ctx.now`.
pub fn pass(ctx: &JobCtx) -> Result<String> {
    let config = ctx.config.clone();
    let now = ctx.now;
    let mut closed = 0;
    loop {
        let n = ctx.db.write_blocking(|c| {
            let settings = Settings::load(c)?;
            let mail = MailCtx::from_parts(&config, &settings);
            close_due(c, &mail, settings.auto_close_days, now)
        })?;
        closed += n;
        if n < BATCH as usize {
            break;
        }
    }
    Ok(match closed {
        0 => "no resolved ticket due to close".to_string(),
        1 => "1 resolved ticket closed".to_string(),
        n => format!("{n} resolved tickets closed"),
    })
}

/// Closes up to a batch of tickets resolved at least `days` days before `now`.
pub fn close_due(conn: &Connection, mail: &MailCtx, days: u32, now: i64) -> Result<usize> {
    if days == 0 {
        return Ok(0);
    }
    let due = store::resolved_before(conn, now - i64::from(days) * 86_400, BATCH)?;
    let closed = store::status_id(conn, "closed")?;
    let ctx = Ctx::new(mail.clone(), now);
    let desk = Desk::new(conn, &ctx);
    let by = Actor::auto_close();
    let changes = Changes {
        status: Some(closed),
        ..Changes::default()
    };
    for &id in &due {
        desk.update(&by, id, &changes)?;
        notify::ticket_auto_closed(conn, mail, id, days)?;
    }
    Ok(due.len())
}
