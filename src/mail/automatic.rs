//! Automatic mail that must never open a ticket or add to one: auto-replies, mailing lists,
//! bounces and the desk's own notifications (which would loop).

use mail_parser::{Message, MimeHeaders};

fn header_text(message: &Message<'_>, name: &str) -> Option<String> {
    message
        .header_raw(name)
        .map(|v| v.trim().to_ascii_lowercase())
}

/// Why the message is automatic mail that must not open tickets (loops, bounces, lists).
/// `own` are the desk's sender addresses (`addr` or `Name <addr>`).
pub fn automatic(message: &Message<'_>, email: &str, own: &[&str]) -> Option<String> {
    if let Some(v) = header_text(message, "Auto-Submitted")
        && v.split(';').next().unwrap_or("").trim() != "no"
    {
        return Some(format!("Auto-Submitted: {v}"));
    }
    if let Some(v) = header_text(message, "Precedence")
        && ["bulk", "junk", "list", "auto_reply"].contains(&v.as_str())
    {
        return Some(format!("Precedence: {v}"));
    }
    if let Some(v) = header_text(message, "X-Auto-Response-Suppress")
        && v.split([',', ' ']).any(|t| t == "all" || t == "autoreply")
    {
        return Some(format!("X-Auto-Response-Suppress: {v}"));
    }
    for h in ["X-Autoreply", "X-Autorespond", "X-Autoreply-From"] {
        if message.header_raw(h).is_some() {
            return Some(format!("{h} is set"));
        }
    }
    if !email.is_empty() && own.iter().any(|o| email == own_address(o)) {
        return Some("sent by this help desk".into());
    }
    let local = email.split('@').next().unwrap_or("");
    if local == "mailer-daemon" || local == "postmaster" {
        return Some(format!("bounce from {email}"));
    }
    if let Some(ct) = message.root_part().content_type()
        && ct.ctype().eq_ignore_ascii_case("multipart")
        && ct
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    {
        return Some("bounce (multipart/report)".into());
    }
    None
}

/// The address of `mail_from` (`addr` or `Name <addr>`), lowercase.
fn own_address(mail_from: &str) -> String {
    let addr = match (mail_from.rfind('<'), mail_from.rfind('>')) {
        (Some(a), Some(b)) if a < b => &mail_from[a + 1..b],
        _ => mail_from,
    };
    addr.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::own_address;

    #[test]
    fn own_address_of_mail_from() {
        assert_eq!(own_address("Help <Help@X.com>"), "help@x.com");
        assert_eq!(own_address("help@x.com"), "help@x.com");
    }
}
