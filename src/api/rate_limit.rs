//! Requests per token and minute (`api_rate_per_minute`), per API token: a script may make a
//! minute's worth at once, then one every `60 s / rate` (a token bucket, kept as the generic
//! cell rate algorithm: one instant per token, integer arithmetic). In memory and per process
//! (a restart forgives), managed by Rocket beside `App`. A check is one lock and one map
//! lookup; an entry is made only for a token's first request, and the map is bounded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Tokens kept at most. Only tokens that authenticated get an entry, so this is far more than
/// a desk has; past it, the entries of idle tokens (whose bucket is full again) are dropped.
const MAX_TOKENS: usize = 10_000;

/// The window a token's rate is counted over, and the most it may use at once.
const WINDOW: Duration = Duration::from_secs(60);

pub struct RateLimiter {
    /// Time one request uses up (`WINDOW / rate`); None: no limit.
    cost: Option<Duration>,
    /// Per token: when its bucket is full again (the "theoretical arrival time"). It is never
    /// more than `WINDOW` ahead of now, which is the bucket being empty.
    full_at: Mutex<HashMap<i64, Instant>>,
}

impl RateLimiter {
    /// `per_minute` requests per token and minute; 0: no limit.
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            cost: (per_minute > 0).then(|| WINDOW / per_minute),
            full_at: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of token `key` at `now`: `Err(seconds)` when the token has none left,
    /// with the whole seconds until it has one again (for `Retry-After`).
    pub fn check(&self, key: i64, now: Instant) -> Result<(), u64> {
        let Some(cost) = self.cost else {
            return Ok(());
        };
        let mut full_at = self.full_at.lock().unwrap_or_else(|p| p.into_inner());
        if full_at.len() >= MAX_TOKENS && !full_at.contains_key(&key) {
            full_at.retain(|_, at| *at > now);
            if full_at.len() >= MAX_TOKENS {
                // Thousands of busy tokens at once: forgetting them is lenient, never wrong.
                full_at.clear();
            }
        }
        let at = full_at.entry(key).or_insert(now);
        let after = (*at).max(now) + cost;
        let ahead = after.saturating_duration_since(now);
        if ahead <= WINDOW {
            *at = after;
            Ok(())
        } else {
            let wait = ahead - WINDOW;
            Err((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_a_minute_then_the_steady_rate() {
        let limiter = RateLimiter::new(60);
        let start = Instant::now();
        for _ in 0..60 {
            assert_eq!(limiter.check(1, start), Ok(()));
        }
        assert_eq!(limiter.check(1, start), Err(1));
        // Another token has its own bucket.
        assert_eq!(limiter.check(2, start), Ok(()));
        // One request per second comes back.
        let later = start + Duration::from_secs(1);
        assert_eq!(limiter.check(1, later), Ok(()));
        assert_eq!(limiter.check(1, later), Err(1));
        // Idle for long: full again, not more.
        let much_later = start + Duration::from_secs(3600);
        for _ in 0..60 {
            assert_eq!(limiter.check(1, much_later), Ok(()));
        }
        assert!(limiter.check(1, much_later).is_err());
    }

    #[test]
    fn retry_after_counts_until_the_next_request_and_zero_is_off() {
        let limiter = RateLimiter::new(2);
        let start = Instant::now();
        assert!(limiter.check(7, start).is_ok());
        assert!(limiter.check(7, start).is_ok());
        assert_eq!(limiter.check(7, start), Err(30));
        assert_eq!(limiter.check(7, start + Duration::from_secs(20)), Err(10));
        assert!(limiter.check(7, start + Duration::from_secs(30)).is_ok());

        let off = RateLimiter::new(0);
        for _ in 0..10_000 {
            assert!(off.check(7, start).is_ok());
        }
    }

    #[test]
    fn the_map_stays_bounded() {
        let limiter = RateLimiter::new(10);
        let start = Instant::now();
        for key in 0..(MAX_TOKENS as i64 + 50) {
            assert!(limiter.check(key, start).is_ok());
        }
        let n = limiter.full_at.lock().unwrap().len();
        assert!(n <= MAX_TOKENS, "{n} tokens");
    }
}
