//! Recurring tickets (Admin > Recurring): a ticket template (subject, message, category,
//! priority, assignee, who it is from) with a schedule in the desk's zone (`schedule`). The
//! `recurring_tickets` job opens each ticket when it falls due, through `workflow::Desk` like any
//! other ticket (auto-assignment and notifications included), with the schedule's name as the
//! actor in the history and "recurring" as the ticket's channel.
//!
//! Exactly once per due time: opening the ticket and moving `next_run_at` on are one
//! transaction, and the move is conditional on `next_run_at` still being the due time served
//! (`store::advance`), so a second pass, a second process or a retry after a crash finds nothing
//! to do.
//!
//! Missed runs (the server was down over one or more due times): only the latest missed due time
//! opens a ticket, once; the earlier ones are skipped. A recurring ticket stands for a chore
//! ("check the backups"); three copies of it after a weekend down are noise that someone has to
//! close, while the latest one still asks for the work.

pub mod schedule;
pub mod store;
pub mod validate;

use rusqlite::Connection;

use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::jobs::JobCtx;
use crate::notify::MailCtx;
use crate::settings::Settings;
use crate::tickets::{Actor, Channel, NewTicket, events};
use crate::workflow::{Ctx, Desk};
pub use schedule::{Repeat, Schedule, Weekdays};

/// What each ticket a schedule opens is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The schedule's own name, shown in the admin list and the tickets' history.
    pub name: String,
    pub subject: String,
    pub message: String,
    pub category_id: i64,
    pub priority_id: i64,
    /// None: the category's auto-assignment decides, as for any new ticket.
    pub assignee_id: Option<i64>,
    /// Who the ticket is from: the admin who set it up, unless changed.
    pub requester_name: String,
    pub requester_email: String,
    /// The language of the requester's mail.
    pub lang: Lang,
    pub schedule: Schedule,
}

/// A stored recurring ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringTicket {
    pub id: i64,
    pub template: Template,
    /// False while paused.
    pub active: bool,
    /// The next due time (UTC); None while paused.
    pub next_run_at: Option<i64>,
    /// The zone `next_run_at` was computed in.
    pub zone: String,
    /// The due time the last ticket was opened for, and that ticket.
    pub last_run_at: Option<i64>,
    pub last_ticket_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The first due time after `now` of `schedule` in the zone named `zone` (the desk's): where a
/// new, changed or resumed schedule starts.
pub fn first_run(schedule: &Schedule, zone: &str, now: i64) -> Option<i64> {
    schedule.next_after(now, &crate::desk_time::zone_or_utc(zone))
}

/// What one pass did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The tickets opened.
    pub opened: Vec<i64>,
    /// Schedules whose ticket could not be opened (`name: why`); they stay due and are tried
    /// again on the next pass.
    pub failed: Vec<String>,
}

/// The job's pass: opens the tickets due by `ctx.now`.
pub fn pass(ctx: &JobCtx) -> Result<String> {
    let outcome = run_due(&ctx.db, &ctx.config, ctx.now)?;
    let opened = match outcome.opened.len() {
        0 => "no recurring ticket due".to_string(),
        1 => "1 recurring ticket opened".to_string(),
        n => format!("{n} recurring tickets opened"),
    };
    if outcome.failed.is_empty() {
        Ok(opened)
    } else {
        Err(Error::internal(format!(
            "{opened}; could not open {}",
            outcome.failed.join("; ")
        )))
    }
}

/// Opens every recurring ticket due at `now`, each schedule in its own transaction (one that
/// fails does not hold up the others). First moves the schedules computed in another zone than
/// the desk's onto the desk's (an admin changed it).
pub fn run_due(db: &Db, config: &Config, now: i64) -> Result<Outcome> {
    let settings = db.read_blocking(Settings::load)?;
    let zone = settings.timezone.clone();
    db.write_blocking(|c| realign(c, &zone, now))?;
    let mail = MailCtx::from_parts(config, &settings);
    let mut outcome = Outcome::default();
    for (id, due) in db.read_blocking(|c| store::due(c, now))? {
        match db.write_blocking(|c| serve(c, &mail, &zone, id, due, now)) {
            Ok(Some(ticket)) => outcome.opened.push(ticket),
            Ok(None) => {}
            Err(e) => {
                let name = db
                    .read_blocking(|c| store::get(c, id))
                    .ok()
                    .flatten()
                    .map_or_else(|| format!("#{id}"), |r| format!("{:?}", r.template.name));
                outcome.failed.push(format!("{name}: {e}"));
            }
        }
    }
    Ok(outcome)
}

/// Serves due time `due` of recurring ticket `id`: moves its next run past `now` and opens its
/// ticket, in the caller's transaction. None when the schedule is gone, paused or already moved
/// past `due` (another pass served it). A schedule that missed several due times opens one
/// ticket, for the latest of them (see the module's comment).
pub fn serve(
    conn: &Connection,
    mail: &MailCtx,
    zone_name: &str,
    id: i64,
    due: i64,
    now: i64,
) -> Result<Option<i64>> {
    if due > now {
        return Ok(None);
    }
    let Some(recurring) = store::get(conn, id)? else {
        return Ok(None);
    };
    let schedule = recurring.template.schedule;
    let zone = crate::desk_time::zone_or_utc(zone_name);
    let latest = schedule.latest_due(due, now, &zone);
    let next = schedule.next_after(now, &zone);
    if !store::advance(conn, id, due, next, zone_name)? {
        return Ok(None);
    }
    let ticket = open_ticket(conn, mail, &recurring.template, now)?;
    store::served(conn, id, latest, ticket)?;
    Ok(Some(ticket))
}

/// Opens the template's ticket through the ticket actions. An assignee who can no longer take
/// it (deactivated, or no longer working the category) is left out, so the ticket still comes,
/// to whoever auto-assignment picks; the admin list shows the problem.
fn open_ticket(conn: &Connection, mail: &MailCtx, t: &Template, now: i64) -> Result<i64> {
    let assignee = match t.assignee_id {
        Some(a) if assignee_can_take(conn, a, t.category_id)? => Some(a),
        _ => None,
    };
    let ticket = NewTicket {
        requester_name: t.requester_name.clone(),
        requester_email: t.requester_email.clone(),
        category_id: t.category_id,
        priority_id: t.priority_id,
        subject: t.subject.clone(),
        message: t.message.clone(),
        attachments: Vec::new(),
        channel: Channel::Recurring,
        assignee_id: assignee,
        lang: t.lang,
    };
    let ctx = Ctx::new(mail.clone(), now);
    let found = Desk::new(conn, &ctx).open(&Actor::recurring(&t.name), &ticket)?;
    events::created(&found)
        .next()
        .map(|(id, _)| id)
        .ok_or_else(|| Error::internal("opening the ticket reported no new ticket"))
}

/// Whether staff member `staff_id` is active and works category `category_id`.
pub fn assignee_can_take(conn: &Connection, staff_id: i64, category_id: i64) -> Result<bool> {
    Ok(
        crate::tickets::store::staff_active(conn, staff_id)? == Some(true)
            && crate::auth::access::staff_may_see(conn, staff_id, category_id)?,
    )
}

/// After the desk's zone changed: each active schedule whose next run lies ahead and was
/// computed in another zone runs next at its local time in `zone`. One already due is left to
/// `serve`, which was due under the old zone and computes its next run in the new one.
fn realign(conn: &Connection, zone_name: &str, now: i64) -> Result<()> {
    let zone = crate::desk_time::zone_or_utc(zone_name);
    for r in store::in_other_zone(conn, zone_name)? {
        if let Some(next) = r.next_run_at.filter(|next| *next > now) {
            let moved = r.template.schedule.next_after(now, &zone);
            store::advance(conn, r.id, next, moved, zone_name)?;
        }
    }
    Ok(())
}
