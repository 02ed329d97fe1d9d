//! Who has a staff ticket page open right now, and who is typing a reply there: ephemeral, so
//! kept in memory (per server process) rather than in the database. Each open page reports
//! itself every few seconds (`static/presence.js`); a viewer not heard of for `VIEW_SECS` is
//! gone, a typist for `TYPING_SECS`. Times come in as parameters, so tests set them.

use std::collections::HashMap;
use std::sync::Mutex;

/// A page that has not reported for this long is closed (the script reports every 10 s).
pub const VIEW_SECS: i64 = 30;
/// Typing stops counting this long after the last key.
pub const TYPING_SECS: i64 = 15;

#[derive(Debug, Clone)]
struct Seen {
    staff_id: i64,
    name: String,
    at: i64,
    typing_at: Option<i64>,
}

/// The other viewers and typists of a ticket, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Others {
    pub viewers: Vec<String>,
    pub typing: Vec<String>,
}

#[derive(Default)]
pub struct Presence {
    tickets: Mutex<HashMap<i64, Vec<Seen>>>,
}

impl Presence {
    pub fn new() -> Presence {
        Presence::default()
    }

    /// Staff `staff_id` has ticket `ticket` open at `now`, typing or not; returns everybody
    /// else there. Forgets whoever expired, and tickets nobody has open.
    pub fn beat(&self, ticket: i64, staff_id: i64, name: &str, typing: bool, now: i64) -> Others {
        let mut tickets = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        tickets.retain(|_, seen| {
            seen.retain(|s| now - s.at < VIEW_SECS);
            !seen.is_empty()
        });
        let seen = tickets.entry(ticket).or_default();
        let typing_at = typing.then_some(now);
        match seen.iter_mut().find(|s| s.staff_id == staff_id) {
            Some(me) => {
                me.at = now;
                me.name = name.to_string();
                me.typing_at = typing_at;
            }
            None => seen.push(Seen {
                staff_id,
                name: name.to_string(),
                at: now,
                typing_at,
            }),
        }
        let mut others = Others::default();
        for s in seen.iter().filter(|s| s.staff_id != staff_id) {
            others.viewers.push(s.name.clone());
            if s.typing_at.is_some_and(|t| now - t < TYPING_SECS) {
                others.typing.push(s.name.clone());
            }
        }
        others
    }

    /// The viewer closed the page (or left it): gone at once.
    pub fn leave(&self, ticket: i64, staff_id: i64) {
        let mut tickets = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(seen) = tickets.get_mut(&ticket) {
            seen.retain(|s| s.staff_id != staff_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_and_typists_expire() {
        let p = Presence::new();
        assert_eq!(p.beat(7, 1, "Ana", false, 100), Others::default());
        let seen = p.beat(7, 2, "Tom", true, 105);
        assert_eq!(seen.viewers, vec!["Ana".to_string()]);
        assert!(seen.typing.is_empty());
        let seen = p.beat(7, 1, "Ana", false, 110);
        assert_eq!(seen.viewers, vec!["Tom".to_string()]);
        assert_eq!(seen.typing, vec!["Tom".to_string()]);
        // Tom's typing is old news after TYPING_SECS, his page after VIEW_SECS.
        assert!(
            p.beat(7, 1, "Ana", false, 105 + TYPING_SECS)
                .typing
                .is_empty()
        );
        assert!(
            p.beat(7, 1, "Ana", false, 105 + VIEW_SECS)
                .viewers
                .is_empty()
        );
        // Another ticket is another room.
        assert!(p.beat(8, 2, "Tom", false, 140).viewers.is_empty());
        p.leave(8, 2);
        assert!(p.beat(8, 1, "Ana", false, 141).viewers.is_empty());
    }
}
