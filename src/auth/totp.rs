//! Two-factor codes, without storage: TOTP secrets and codes (RFC 6238: SHA-1, 6 digits,
//! 30-second steps, through `totp-rs`), the `otpauth://` URI authenticator apps read, and
//! recovery codes. Everything that depends on the clock takes `now` (Unix seconds).

use rand::Rng;
use rand::rngs::OsRng;
use totp_rs::{Builder, Secret, Totp};

use crate::error::{Error, Result};

/// Seconds per time step (RFC 6238's recommended value, what every authenticator app uses).
pub const STEP_SECS: i64 = 30;
/// Steps of clock skew accepted either side of the server's (RFC 6238 §5.2 recommends one).
const SKEW: i64 = 1;
/// Codes this many steps old (five minutes) are recognised, to be refused as expired rather
/// than as wrong: the message then points at the phone's clock.
const RECOGNISED_PAST: i64 = 10;
/// The issuer authenticator apps show beside the account.
pub const ISSUER: &str = "Helpdesk";
/// Recovery codes given at a time.
pub const RECOVERY_CODES: usize = 10;

/// A new secret: 160 random bits from the operating system's RNG (RFC 4226's recommended
/// length), in base32 as apps and people type it.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    OsRng.fill(&mut bytes);
    Secret::new_stack(bytes).to_base32()
}

fn totp(secret: &str, account: &str) -> Result<Totp> {
    let secret = Secret::try_from_base32(secret)
        .map_err(|e| Error::internal(format!("stored TOTP secret: {e:?}")))?;
    Builder::new()
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| Error::internal(format!("TOTP: {e:?}")))
}

/// The `otpauth://totp/Helpdesk:EMAIL?secret=…&issuer=Helpdesk` URI that the QR code carries.
pub fn otpauth_uri(secret: &str, account: &str) -> Result<String> {
    totp(secret, account)?
        .to_url()
        .map_err(|e| Error::internal(format!("otpauth URI: {e:?}")))
}

/// The time step `now` falls in.
pub fn step_of(now: i64) -> i64 {
    now.div_euclid(STEP_SECS)
}

/// The code of `step` (what the authenticator shows during it).
pub fn code_at_step(secret: &str, step: i64) -> Result<String> {
    let time = u64::try_from(step * STEP_SECS).unwrap_or(0);
    Ok(totp(secret, "")?.generate(time).to_string())
}

/// What a typed code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code of `step`, which is newer than the last one accepted: accept it and store
    /// `step` as the last accepted.
    Accepted { step: i64 },
    /// A valid code, but of a step already accepted (or older than it).
    Reused,
    /// The code of a step before the skew window: the phone's clock is off, or it was old.
    Expired,
    /// Not a code of this secret around now.
    Wrong,
}

/// A typed TOTP code with spaces removed, if it has the shape of one (six digits).
pub fn as_totp_code(input: &str) -> Option<String> {
    let code: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// Checks `code` against `secret` at `now`: the current step and one either side are valid,
/// each step only when it is newer than `last_step` (a code is accepted once).
pub fn check(secret: &str, code: &str, last_step: i64, now: i64) -> Result<CodeCheck> {
    let Some(code) = as_totp_code(code) else {
        return Ok(CodeCheck::Wrong);
    };
    let current = step_of(now);
    let matches = |step: i64| -> Result<bool> {
        let expected = code_at_step(secret, step)?;
        Ok(crate::util::constant_time_eq(
            expected.as_bytes(),
            code.as_bytes(),
        ))
    };
    // Newest first: a code that is both in the window and (by chance) an older step's counts
    // as the window's.
    for step in (current - SKEW..=current + SKEW).rev() {
        if matches(step)? {
            return Ok(if step > last_step {
                CodeCheck::Accepted { step }
            } else {
                CodeCheck::Reused
            });
        }
    }
    // Before the window a code is expired, unless it is the very one accepted last.
    for step in (current - SKEW - RECOGNISED_PAST..current - SKEW).rev() {
        if matches(step)? {
            return Ok(if step == last_step {
                CodeCheck::Reused
            } else {
                CodeCheck::Expired
            });
        }
    }
    Ok(CodeCheck::Wrong)
}

/// Recovery codes' alphabet: lowercase letters and digits without look-alikes (0/o, 1/l/i).
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Ten new recovery codes, `xxxxx-xxxxx`: ten characters of a 31-letter alphabet, about 50
/// random bits each, plenty against guessing through the login throttle.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| RECOVERY_ALPHABET[OsRng.gen_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// A typed recovery code as stored: lowercase, without the dash or spaces.
pub fn normalize_recovery_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A recovery code's stored form: the SHA-256 of its normalised text.
pub fn hash_recovery_code(code: &str) -> String {
    super::sessions::hash(&normalize_recovery_code(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's SHA-1 test secret, "12345678901234567890", in base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_follow_rfc_6238() {
        // Appendix B: 94287082 at T=59 and 07081804 at T=1111111109 (8 digits; 6 are the last 6).
        assert_eq!(code_at_step(RFC_SECRET, step_of(59)).unwrap(), "287082");
        assert_eq!(
            code_at_step(RFC_SECRET, step_of(1_111_111_109)).unwrap(),
            "081804"
        );
    }

    #[test]
    fn secrets_are_160_random_bits_in_base32() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), 32, "{a}");
        assert_ne!(a, b);
        assert!(Secret::try_from_base32(&a).is_ok());
    }

    #[test]
    fn the_uri_names_the_issuer_and_the_account() {
        let uri = otpauth_uri(RFC_SECRET, "ana@example.com").unwrap();
        assert_eq!(
            uri,
            format!(
                "otpauth://totp/Helpdesk:ana%40example.com?secret={RFC_SECRET}&issuer=Helpdesk"
            )
        );
    }

    #[test]
    fn one_step_of_skew_either_way_is_accepted() {
        let now = 1_700_000_015;
        let step = step_of(now);
        for offset in [-1, 0, 1] {
            let code = code_at_step(RFC_SECRET, step + offset).unwrap();
            assert_eq!(
                check(RFC_SECRET, &code, 0, now).unwrap(),
                CodeCheck::Accepted {
                    step: step + offset
                },
                "offset {offset}"
            );
        }
        let later = code_at_step(RFC_SECRET, step + 2).unwrap();
        assert_eq!(check(RFC_SECRET, &later, 0, now).unwrap(), CodeCheck::Wrong);
        // Spaces as some apps show them are fine.
        let code = code_at_step(RFC_SECRET, step).unwrap();
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(matches!(
            check(RFC_SECRET, &spaced, 0, now).unwrap(),
            CodeCheck::Accepted { .. }
        ));
    }

    #[test]
    fn a_code_is_accepted_once_and_not_after_a_newer_one() {
        let now = 1_700_000_015;
        let step = step_of(now);
        let code = code_at_step(RFC_SECRET, step).unwrap();
        assert_eq!(
            check(RFC_SECRET, &code, step, now).unwrap(),
            CodeCheck::Reused
        );
        let previous = code_at_step(RFC_SECRET, step - 1).unwrap();
        assert_eq!(
            check(RFC_SECRET, &previous, step, now).unwrap(),
            CodeCheck::Reused
        );
        let next = code_at_step(RFC_SECRET, step + 1).unwrap();
        assert_eq!(
            check(RFC_SECRET, &next, step, now).unwrap(),
            CodeCheck::Accepted { step: step + 1 }
        );
    }

    #[test]
    fn old_codes_are_expired_and_others_wrong() {
        let issued = 1_700_000_015;
        let code = code_at_step(RFC_SECRET, step_of(issued)).unwrap();
        // Still fine 30 s on, expired 60 s on, unrecognised after ten more minutes.
        assert!(matches!(
            check(RFC_SECRET, &code, 0, issued + 30).unwrap(),
            CodeCheck::Accepted { .. }
        ));
        assert_eq!(
            check(RFC_SECRET, &code, 0, issued + 60).unwrap(),
            CodeCheck::Expired
        );
        assert_eq!(
            check(RFC_SECRET, &code, 0, issued + 900).unwrap(),
            CodeCheck::Wrong
        );
        // The code accepted last stays "already used"; one older than it is expired.
        let step = step_of(issued);
        assert_eq!(
            check(RFC_SECRET, &code, step, issued + 60).unwrap(),
            CodeCheck::Reused
        );
        assert_eq!(
            check(RFC_SECRET, &code, step + 1, issued + 60).unwrap(),
            CodeCheck::Expired
        );
        for bad in ["", "12345", "1234567", "abcdef", "12345x"] {
            assert_eq!(check(RFC_SECRET, bad, 0, issued).unwrap(), CodeCheck::Wrong);
        }
    }

    #[test]
    fn recovery_codes_are_random_and_compare_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        let code = &codes[0];
        assert_eq!(code.len(), 11);
        assert_eq!(
            hash_recovery_code(code),
            hash_recovery_code(&format!(" {} ", code.to_uppercase().replace('-', " ")))
        );
        assert_ne!(hash_recovery_code(code), hash_recovery_code(&codes[1]));
    }
}
