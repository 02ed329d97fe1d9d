//! The agent home (`/staff`): the numbers an agent starts from (their open tickets, the
//! unassigned ones, overdue and due today while service levels exist, those waiting on the
//! requester) and the last 7 days' created and resolved tickets. Each number is counted with the
//! very filter of the list it links to (`list::count` shares the list's conditions), so it is
//! that list's total, in the viewer's categories and days in the viewer's zone.
//!
//! Nothing here is recomputed from the history: the open counts read the tickets' current
//! columns through their indexes, creations the `created_at` index, and resolutions the
//! `ticket_resolutions` rows the ticket actions keep (`csat`), by their time index.

use jiff::tz::TimeZone;
use rusqlite::Connection;
use serde::Serialize;

use super::RefData;
use super::list::{self, Days, Filter, View};
use crate::auth::access::Access;
use crate::error::Result;

/// Who looks, and when.
pub struct Viewer {
    pub id: i64,
    pub access: Access,
    pub now: i64,
    pub zone: TimeZone,
}

/// One number and the list it counts.
#[derive(Debug, Clone, Serialize)]
pub struct Tile {
    /// What it counts: `mine`, `unassigned`, `overdue`, `due_today`, `waiting`.
    pub key: &'static str,
    pub count: i64,
    /// The list's query string (`/staff/tickets?...`).
    pub link: String,
}

/// One of the last 7 days.
#[derive(Debug, Clone, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD` in the viewer's zone, its weekday (1 = Monday) and day of the month.
    pub date: String,
    pub weekday: i8,
    pub day: i8,
    pub created: i64,
    pub created_link: String,
    pub resolved: i64,
    pub resolved_link: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Home {
    pub tiles: Vec<Tile>,
    /// Oldest first, today last.
    pub days: Vec<Day>,
    /// The whole 7 days (a ticket resolved on two of them counts once).
    pub created: i64,
    pub created_link: String,
    pub resolved: i64,
    pub resolved_link: String,
    /// The largest daily number, which a chart scales to.
    pub peak: i64,
}

/// The agent home of `viewer`.
pub fn agent_home(conn: &Connection, viewer: &Viewer, refdata: &RefData) -> Result<Home> {
    let day_end = crate::desk_time::day_end(viewer.now, &viewer.zone);
    let filter = |view: View| Filter::new(view, viewer.access.clone(), viewer.now, day_end);
    let count = |f: &Filter| list::count(conn, f, viewer.id, refdata);
    let mut tiles = Vec::new();
    let mut tile = |key: &'static str, f: Filter| -> Result<()> {
        tiles.push(Tile {
            key,
            count: count(&f)?,
            link: f.link_query(),
        });
        Ok(())
    };
    tile("mine", filter(View::Mine))?;
    tile("unassigned", filter(View::Unassigned))?;
    if crate::sla::policies::any(conn)? {
        tile("overdue", filter(View::Overdue))?;
        tile("due_today", filter(View::DueToday))?;
    }
    let waiting = refdata
        .statuses
        .iter()
        .find(|s| s.slug.as_deref() == Some("waiting"));
    if let Some(waiting) = waiting {
        // Every ticket in that status (an open one): the status's own index, where the open
        // view would walk every open ticket to pick them out.
        tile(
            "waiting",
            Filter {
                status: Some(waiting.id),
                ..filter(View::All)
            },
        )?;
    }

    let today = jiff::Timestamp::from_second(viewer.now)
        .map(|t| viewer.zone.to_datetime(t).date())
        .unwrap_or_default();
    let mut days = Vec::new();
    for back in (0..7).rev() {
        let date = today
            .checked_sub(jiff::Span::new().days(back))
            .unwrap_or(today);
        let text = date.to_string();
        let Some(span) = Days::parse(&text, &text, &viewer.zone) else {
            continue;
        };
        let created = Filter {
            created: Some(span.clone()),
            ..filter(View::All)
        };
        let resolved = Filter {
            resolved: Some(span),
            ..filter(View::All)
        };
        days.push(Day {
            date: text,
            weekday: date.weekday().to_monday_one_offset(),
            day: date.day(),
            created: count(&created)?,
            created_link: created.link_query(),
            resolved: count(&resolved)?,
            resolved_link: resolved.link_query(),
        });
    }
    let week = match (days.first(), days.last()) {
        (Some(first), Some(last)) => Days::parse(&first.date, &last.date, &viewer.zone),
        _ => None,
    };
    let created = Filter {
        created: week.clone(),
        ..filter(View::All)
    };
    let resolved = Filter {
        resolved: week,
        ..filter(View::All)
    };
    let peak = days
        .iter()
        .map(|d| d.created.max(d.resolved))
        .max()
        .unwrap_or(0);
    Ok(Home {
        tiles,
        created: count(&created)?,
        created_link: created.link_query(),
        resolved: count(&resolved)?,
        resolved_link: resolved.link_query(),
        days,
        peak,
    })
}
