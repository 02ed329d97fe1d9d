//! The process's fan-out of live events to open streams. One task (`run`) waits for the wake
//! that a committed change with live rows sends (`jobs::wake::after_commit(live::WAKE)`), reads
//! the new rows once and broadcasts them; every stream filters the ticket it shows. The channel
//! is bounded: a client that stops reading lags behind and catches up from the database
//! (`store::of_ticket_after`) instead of growing memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

use crate::db::Db;

/// Live events held for slow streams; one that falls further behind replays from the table.
const CAPACITY: usize = 256;
/// Rows read per pass.
const BATCH: i64 = 500;
/// Without a wake (a change written by another process, e.g. the CLI), the hub still looks
/// this often.
const IDLE_LOOK: Duration = Duration::from_secs(2);

/// Who may see an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    /// The staff streams only (internal notes, assignee changes, the requester typing).
    Staff,
    /// The requester's stream only (staff typing).
    Requester,
}

/// One event for the open pages. `id` is the row id of a durable event (`None`: typing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    pub id: Option<i64>,
    pub ticket_id: i64,
    pub kind: String,
    pub audience: Audience,
    /// JSON, as sent.
    pub data: String,
}

impl Live {
    pub fn visible_to_staff(&self) -> bool {
        self.audience != Audience::Requester
    }

    pub fn visible_to_requester(&self) -> bool {
        self.audience != Audience::Staff
    }
}

pub struct Hub {
    tx: broadcast::Sender<Arc<Live>>,
    /// The newest row broadcast so far.
    last: AtomicI64,
    /// Staff members with the desk open (a desk stream), by id: how many pages each.
    desk: Mutex<HashMap<i64, usize>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl Hub {
    pub fn new() -> Hub {
        Hub {
            tx: broadcast::Sender::new(CAPACITY),
            last: AtomicI64::new(-1),
            desk: Mutex::new(HashMap::new()),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Live>> {
        self.tx.subscribe()
    }

    /// Open streams (for the benchmark and tests).
    pub fn streams(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Somebody is typing on ticket `ticket_id`; `to` is the other side.
    pub fn typing(&self, ticket_id: i64, to: Audience, name: &str) {
        let data = serde_json::json!({ "name": name }).to_string();
        // Nobody listening is fine: typing is forgotten at once.
        let _ = self.tx.send(Arc::new(Live {
            id: None,
            ticket_id,
            kind: "typing".into(),
            audience: to,
            data,
        }));
    }

    /// Staff member `staff_id` opened the desk; they count as online until the guard drops
    /// (the page closed or the connection died).
    pub fn desk_open(self: &Arc<Self>, staff_id: i64) -> DeskGuard {
        let mut desk = self.desk.lock().unwrap_or_else(|p| p.into_inner());
        *desk.entry(staff_id).or_default() += 1;
        DeskGuard {
            hub: Arc::clone(self),
            staff_id,
        }
    }

    /// How many staff members have the desk open.
    pub fn agents_online(&self) -> usize {
        self.desk.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// One pass: broadcasts the rows committed since the last; returns how many.
    pub fn publish_new(&self, db: &Db) -> crate::error::Result<usize> {
        let mut last = self.last.load(Ordering::Acquire);
        if last < 0 {
            // The first pass: streams opened from now on replay older rows from the table.
            last = db.read_blocking(super::store::latest_id)?;
            self.last.store(last, Ordering::Release);
            return Ok(0);
        }
        let rows = db.read_blocking(|c| super::store::after(c, last, BATCH))?;
        let n = rows.len();
        for row in rows {
            last = row.id.unwrap_or(last);
            let _ = self.tx.send(Arc::new(row));
        }
        self.last.store(last, Ordering::Release);
        Ok(n)
    }
}

/// Keeps a staff member online while a desk stream is open.
pub struct DeskGuard {
    hub: Arc<Hub>,
    staff_id: i64,
}

impl Drop for DeskGuard {
    fn drop(&mut self) {
        let mut desk = self.hub.desk.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = desk.get_mut(&self.staff_id) {
            *n -= 1;
            if *n == 0 {
                desk.remove(&self.staff_id);
            }
        }
    }
}

/// The hub's task for the life of the server: broadcasts each committed batch of rows.
pub async fn run(hub: Arc<Hub>, db: Db) {
    let mut wakes = crate::jobs::wake::subscribe(super::WAKE);
    loop {
        wakes.clear();
        let (h, d) = (Arc::clone(&hub), db.clone());
        let sent = tokio::task::spawn_blocking(move || h.publish_new(&d)).await;
        if matches!(sent, Ok(Ok(n)) if n as i64 == BATCH) {
            continue;
        }
        let _ = tokio::time::timeout(IDLE_LOOK, wakes.woken()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_goes_to_the_other_side_only() {
        let hub = Hub::new();
        let mut rx = hub.subscribe();
        hub.typing(3, Audience::Staff, "Ann");
        let got = rx.try_recv().expect("typing event");
        assert!(got.visible_to_staff() && !got.visible_to_requester());
        assert_eq!(got.id, None);
    }

    #[test]
    fn a_reader_that_never_reads_lags_instead_of_growing() {
        let hub = Hub::new();
        let mut idle = hub.subscribe();
        for i in 0..(CAPACITY * 4) {
            hub.typing(i as i64, Audience::Staff, "x");
        }
        assert!(matches!(
            idle.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(_))
        ));
    }

    #[test]
    fn the_desk_counts_each_agent_once_while_a_page_is_open() {
        let hub = Arc::new(Hub::new());
        let a = hub.desk_open(1);
        let b = hub.desk_open(1);
        let c = hub.desk_open(2);
        assert_eq!(hub.agents_online(), 2);
        drop(a);
        drop(c);
        assert_eq!(hub.agents_online(), 1);
        drop(b);
        assert_eq!(hub.agents_online(), 0);
    }
}
