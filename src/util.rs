//! Small helpers shared by several modules.

use std::collections::HashMap;

use rand::Rng;
use rand::rngs::OsRng;

/// `n` random bytes from the OS's cryptographic RNG, as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    OsRng.fill(bytes.as_mut_slice());
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A password people can type: 16 characters from an alphabet without look-alikes.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..16)
        .map(|_| ALPHABET[OsRng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn url_encode(s: &str) -> String {
    rocket::http::RawStr::new(s).percent_encode().to_string()
}

/// Only same-site paths are followed after login, never `//host` or absolute URLs. A `next`
/// that is not a valid URI reference (a space, a quote, `<`, non-ASCII…) counts as none: the
/// redirect could not carry it.
pub fn safe_next(next: &str, fallback: &str) -> String {
    if next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && rocket::http::uri::Reference::parse(next).is_ok()
    {
        next.to_string()
    } else {
        fallback.to_string()
    }
}

pub fn format_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{:.0} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

pub fn filesize_filter(
    value: &tera::Value,
    _: &HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    Ok(tera::Value::String(format_size(
        value.as_u64().unwrap_or(0),
    )))
}

/// Trims and caps user text at `max` characters (on a character boundary).
pub fn clean(s: &str, max: usize) -> String {
    let s = s.trim();
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// A deliberately simple email check: one @, something on each side, a dot in the domain, no
/// spaces. Real validation happens when mail is delivered.
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.len() <= 254
}
