//! Counts failures (wrong passwords, wrong ticket lookups) per key in a sliding window and blocks
//! a key that failed too often. In memory: a restart forgives, which is fine for a small office.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Throttle {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Bound on tracked keys, so a flood of distinct addresses cannot grow memory without end.
const MAX_KEYS: usize = 100_000;

impl Throttle {
    pub fn new(max_failures: usize, window: Duration) -> Throttle {
        Throttle {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn with_map<T>(&self, f: impl FnOnce(&mut HashMap<String, VecDeque<Instant>>) -> T) -> T {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut map)
    }

    /// True when `key` has used up its failures in the current window.
    pub fn is_blocked(&self, key: &str) -> bool {
        let window = self.window;
        self.with_map(|map| match map.get_mut(key) {
            Some(times) => {
                while times.front().is_some_and(|t| t.elapsed() > window) {
                    times.pop_front();
                }
                times.len() >= self.max_failures
            }
            None => false,
        })
    }

    pub fn record_failure(&self, key: &str) {
        let window = self.window;
        self.with_map(|map| {
            if map.len() >= MAX_KEYS {
                map.retain(|_, times| times.back().is_some_and(|t| t.elapsed() <= window));
            }
            let times = map.entry(key.to_string()).or_default();
            times.push_back(Instant::now());
            while times.len() > self.max_failures {
                times.pop_front();
            }
        });
    }

    pub fn reset(&self, key: &str) {
        self.with_map(|map| map.remove(key));
    }
}
