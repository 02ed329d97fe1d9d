//! Server-Sent Events for open pages (`crate::live`): a ticket's stream (requester or staff)
//! and the desk's stream of new chats. Each durable event carries its row id, so the browser's
//! automatic reconnection sends `Last-Event-ID` and gets what it missed; heartbeat comments
//! let a dead client's connection be noticed and dropped.

use std::sync::Arc;
use std::time::Duration;

use rocket::Shutdown;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::stream::{Event, EventStream};
use tokio::sync::broadcast::error::RecvError;

use crate::db::Db;
use crate::live::{Hub, Live, store};

/// Rows replayed per read when a stream catches up.
const REPLAY: i64 = 200;
/// How long the browser waits before reconnecting (the SSE `retry` field), in milliseconds.
const RETRY_MS: u64 = 2000;

/// The `Last-Event-ID` header a reconnecting EventSource sends (absent or unreadable: none).
pub struct LastEventId(pub Option<i64>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for LastEventId {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let id = req
            .headers()
            .get_one("Last-Event-ID")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|id| *id >= 0);
        Outcome::Success(LastEventId(id))
    }
}

/// A comment this often on an idle stream: the write fails once the client is gone.
pub fn heartbeat(config: &crate::Config) -> Duration {
    Duration::from_secs(config.live_heartbeat_secs.max(1))
}

/// Where a ticket stream starts.
#[derive(Debug, Clone, Copy)]
pub enum Start {
    /// After this event id (a reconnection).
    After(i64),
    /// With the events written at or after this time (Unix seconds): the page's render time,
    /// on its first connection.
    Since(i64),
    /// From now on.
    Now,
}

impl Start {
    pub fn of(last: &LastEventId, since: Option<i64>) -> Start {
        match (last.0, since) {
            (Some(id), _) => Start::After(id),
            (None, Some(t)) if t > 0 => Start::Since(t),
            _ => Start::Now,
        }
    }
}

/// Who a ticket stream is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Requester,
    Staff,
}

impl Viewer {
    fn sees(self, e: &Live) -> bool {
        match self {
            Viewer::Requester => e.visible_to_requester(),
            Viewer::Staff => e.visible_to_staff(),
        }
    }
}

fn event_of(e: &Live) -> Event {
    let event = Event::data(e.data.clone()).event(e.kind.clone());
    match e.id {
        Some(id) => event.id(id.to_string()),
        None => event,
    }
}

/// The rows to replay for a ticket stream starting at `start`, and the id it is at.
fn replay(
    db: &Db,
    ticket_id: i64,
    staff: bool,
    start: Start,
) -> crate::error::Result<(Vec<Live>, i64)> {
    db.read_blocking(|c| {
        let latest = store::latest_id(c)?;
        let rows = match start {
            Start::After(id) => store::of_ticket_after(c, ticket_id, id, staff, REPLAY)?,
            Start::Since(t) => store::of_ticket_since(c, ticket_id, t, staff, REPLAY)?,
            Start::Now => Vec::new(),
        };
        // After a replay cut short at REPLAY rows, the stream goes on from the last one sent.
        let at = match (start, rows.len() as i64 == REPLAY) {
            (_, true) => rows.last().and_then(|r| r.id).unwrap_or(latest),
            (Start::After(id), false) => id.max(latest),
            _ => latest,
        };
        Ok((rows, at))
    })
}

/// The live stream of ticket `ticket_id` for a viewer whose access was checked.
pub fn ticket_stream(
    heartbeat: Duration,
    db: Db,
    hub: Arc<Hub>,
    ticket_id: i64,
    viewer: Viewer,
    start: Start,
    mut shutdown: Shutdown,
) -> EventStream![] {
    let staff = viewer == Viewer::Staff;
    EventStream! {
        // Subscribed before reading the table: a row committed in between comes both ways,
        // and the ids drop the copy.
        let mut rx = hub.subscribe();
        yield Event::empty().with_retry(Duration::from_millis(RETRY_MS));
        let first = {
            let db = db.clone();
            tokio::task::spawn_blocking(move || replay(&db, ticket_id, staff, start)).await
        };
        let Ok(Ok((rows, mut last))) = first else { return; };
        for row in &rows {
            last = last.max(row.id.unwrap_or(0));
            yield event_of(row);
        }
        loop {
            let got = tokio::select! {
                got = rx.recv() => got,
                _ = &mut shutdown => break,
            };
            match got {
                Ok(e) => {
                    if e.ticket_id != ticket_id || !viewer.sees(&e) {
                        continue;
                    }
                    if let Some(id) = e.id {
                        if id <= last {
                            continue;
                        }
                        last = id;
                    }
                    yield event_of(&e);
                }
                // Fell behind the bounded channel: catch up from the table, in order.
                Err(RecvError::Lagged(_)) => {
                    let db = db.clone();
                    let after = Start::After(last);
                    let caught = tokio::task::spawn_blocking(move || replay(&db, ticket_id, staff, after)).await;
                    let Ok(Ok((rows, at))) = caught else { break; };
                    for row in &rows {
                        yield event_of(row);
                    }
                    last = at;
                }
                Err(RecvError::Closed) => break,
            }
        }
    }
    .heartbeat(heartbeat)
}

/// The desk's stream for a staff member: every new chat in a category they may see, after
/// `Last-Event-ID` if given. While it is open, the staff member counts as online.
pub fn desk_stream(
    heartbeat: Duration,
    db: Db,
    hub: Arc<Hub>,
    staff_id: i64,
    allows: impl Fn(i64) -> bool + Send + 'static,
    last_seen: Option<i64>,
    mut shutdown: Shutdown,
) -> EventStream![] {
    EventStream! {
        let _online = hub.desk_open(staff_id);
        let mut rx = hub.subscribe();
        yield Event::empty().with_retry(Duration::from_millis(RETRY_MS));
        let first = {
            let db = db.clone();
            tokio::task::spawn_blocking(move || db.read_blocking(|c| {
                let latest = store::latest_id(c)?;
                let rows = match last_seen {
                    Some(id) => store::chats_after(c, id, REPLAY)?,
                    None => Vec::new(),
                };
                Ok((rows, latest))
            })).await
        };
        let Ok(Ok((rows, mut last))) = first else { return; };
        let visible = |e: &Live| {
            e.kind == "chat"
                && serde_json::from_str::<serde_json::Value>(&e.data)
                    .ok()
                    .and_then(|d| d["category_id"].as_i64())
                    .is_some_and(&allows)
        };
        for row in rows.iter().filter(|r| visible(r)) {
            yield event_of(row);
        }
        loop {
            let got = tokio::select! {
                got = rx.recv() => got,
                _ = &mut shutdown => break,
            };
            match got {
                Ok(e) if e.id.is_some_and(|id| id > last) && visible(&e) => {
                    last = e.id.unwrap_or(last);
                    yield event_of(&e);
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            }
        }
    }
    .heartbeat(heartbeat)
}
