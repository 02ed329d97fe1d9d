//! `X-Helpdesk-Signature: t=UNIX,v1=HEX`: HEX is the HMAC-SHA256, keyed with the webhook's
//! secret, of `"{t}.{body}"`, the time of sending and the raw body. A receiver computes the same
//! over the body it got, compares in constant time, and refuses a `t` more than `TOLERANCE_SECS`
//! from its own clock, so a recorded request cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};
use crate::util::constant_time_eq;

/// How far from the receiver's clock `t` may be (five minutes), as the README advises.
pub const TOLERANCE_SECS: i64 = 300;

/// The HEX part: the HMAC-SHA256 of `"{t}.{body}"` with `secret`, in lower-case hex.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> Result<String> {
    // HMAC takes a key of any length, so this does not fail in practice.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| Error::internal(format!("webhook secret: {e}")))?;
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The header's value: `t=UNIX,v1=HEX`.
pub fn header(secret: &str, t: i64, body: &[u8]) -> Result<String> {
    Ok(format!("t={t},v1={}", sign(secret, t, body)?))
}

/// What a receiver does: whether `header` signs `body` with `secret`, sent within
/// `TOLERANCE_SECS` of `now`.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> bool {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1.push(value),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (now - t).abs() > TOLERANCE_SECS {
        return false;
    }
    let Ok(expected) = sign(secret, t, body) else {
        return false;
    };
    v1.iter()
        .any(|v| constant_time_eq(v.as_bytes(), expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_hmac_sha256_of_the_time_a_dot_and_the_body() {
        // Computed independently: Python's hmac.new(b"key", b'1700000000.{"event":
        // "ticket.created"}', hashlib.sha256).hexdigest().
        assert_eq!(
            sign("key", 1_700_000_000, br#"{"event":"ticket.created"}"#).unwrap(),
            "55321a5f59192335fb5820b697c1739a2750b38d0fc54c5d69e0ea9bea8e38a1"
        );
    }

    #[test]
    fn a_receiver_accepts_a_fresh_signature_and_nothing_else() {
        let body = br#"{"event":"ticket.created"}"#;
        let h = header("s3cret", 1_700_000_000, body).unwrap();
        assert!(h.starts_with("t=1700000000,v1="));
        assert!(verify("s3cret", &h, body, 1_700_000_000 + 299));
        assert!(!verify("s3cret", &h, body, 1_700_000_000 + 301), "too old");
        assert!(
            !verify("s3cret", &h, body, 1_700_000_000 - 301),
            "from the future"
        );
        assert!(!verify("other", &h, body, 1_700_000_000), "another secret");
        assert!(!verify("s3cret", &h, b"{}", 1_700_000_000), "another body");
        let moved = h.replace("t=1700000000", "t=1700000001");
        assert!(
            !verify("s3cret", &moved, body, 1_700_000_000),
            "t is signed"
        );
        assert!(!verify("s3cret", "v1=abc", body, 1_700_000_000), "no t");
    }
}
