//! The "My tickets" sign-in mail to a requester (`portal::mine`): a link that works once, within
//! `auth::requester_links::LINK_SECS`, in the language of the page they asked from.

use rusqlite::Connection;
use serde_json::json;

use super::MailCtx;
use crate::error::Result;
use crate::i18n::Lang;

/// Queues the mail; false when no mail server is configured (nothing is queued then).
pub fn requester_sign_in(
    conn: &Connection,
    ctx: &MailCtx,
    email: &str,
    lang: Lang,
    token: &str,
    now: i64,
) -> Result<bool> {
    if !ctx.enabled(conn)? {
        return Ok(false);
    }
    let link = format!("{}/tickets/mine/signin?token={token}", ctx.base_url);
    let subject = match lang {
        Lang::En => format!("{}: your sign-in link", ctx.desk_name),
        Lang::Es => format!("{}: su enlace de acceso", ctx.desk_name),
    };
    let data = json!({ "desk_name": ctx.desk_name, "link": link, "email": email,
                       "lang": lang.code(), "subject": subject, "tracking_id": "",
                       "minutes": crate::auth::requester_links::LINK_SECS / 60 });
    super::queue_ticketless(
        conn,
        ctx,
        "requester_sign_in",
        "sign-in",
        email,
        lang,
        &data,
        now,
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::super::templates;
    use super::*;

    #[test]
    fn the_sign_in_mail_renders_in_both_languages() {
        let data = json!({ "desk_name": "Desk", "link": "http://x/tickets/mine/signin?token=t",
                           "email": "ana@example.com", "lang": "en", "subject": "S",
                           "tracking_id": "", "minutes": 30 });
        for (lang, words) in [(Lang::En, "30 minutes"), (Lang::Es, "30 minutos")] {
            let (text, html) = templates::render_named("requester_sign_in", lang, &data).unwrap();
            assert!(text.contains("token=t") && text.contains(words), "{text}");
            assert!(html.contains("token=t") && html.contains(words), "{html}");
        }
    }
}
