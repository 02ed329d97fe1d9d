//! Chat presets: the generic payload told as one line of text, "New ticket ABC-DEF-GHJK: Printer
//! offline — Ana, Printers, High", with a link to the ticket's staff page, in each service's
//! message format: Slack (`{"text"}`, mrkdwn link), Microsoft Teams (an Adaptive Card in the
//! message format that Workflows' "when a Teams webhook request is received" posts), Mattermost
//! (`{"text"}`, Markdown), Discord (`{"content"}`, mentions off) and ntfy (its JSON publishing,
//! sent to the server's root with the topic in the body). The text is in English: the names in it
//! (statuses, priorities, categories) are the stored ones, which receivers share.

use serde_json::{Value, json};

use super::{EventKind, Preset, TEST_EVENT};

/// Longest excerpt of a message in a chat line, in characters.
const EXCERPT_CHARS: usize = 300;

/// A chat line in parts, so each format can link the tracking ID its own way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Before the tracking ID: "New ticket".
    pub before: String,
    pub tracking_id: String,
    /// After it, up to the colon: " updated by Gus".
    pub after: String,
    /// After the colon: "Printer offline — Ana, Printers, High".
    pub detail: String,
    /// A message's first lines.
    pub excerpt: Option<String>,
    /// The ticket's staff page (or, for a test, the webhook's admin page).
    pub link: String,
    /// ntfy's tag (an emoji name).
    pub tag: &'static str,
}

impl Summary {
    /// "New ticket ABC-DEF-GHJK"
    pub fn headline(&self) -> String {
        let space = if self.tracking_id.is_empty() { "" } else { " " };
        format!("{}{space}{}{}", self.before, self.tracking_id, self.after)
    }

    /// "New ticket ABC-DEF-GHJK: Printer offline — Ana, Printers, High"
    pub fn line(&self) -> String {
        format!("{}: {}", self.headline(), self.detail)
    }
}

fn text<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(v, |v, key| &v[*key])
        .as_str()
        .unwrap_or("")
}

/// "New → Open", "nobody → Gus".
fn change_text(c: &Value) -> String {
    let name = |v: &Value| match v["name"].as_str() {
        Some(n) => n.to_string(),
        None if v.is_null() => "nobody".to_string(),
        None => v["id"].to_string(),
    };
    format!(
        "{}: {} → {}",
        text(c, &["field"]),
        name(&c["old"]),
        name(&c["new"])
    )
}

fn excerpt(body: &str) -> Option<String> {
    let body = body.trim();
    if body.is_empty() {
        return None;
    }
    let lines: Vec<&str> = body.lines().take(5).collect();
    let mut out: String = lines.join("\n").chars().take(EXCERPT_CHARS).collect();
    if out.len() < body.len() {
        out.push('…');
    }
    Some(out)
}

/// The chat line of a generic payload, in English.
pub fn summary(payload: &Value, base_url: &str) -> Summary {
    let event = text(payload, &["event"]);
    let ticket = &payload["ticket"];
    let subject = text(ticket, &["subject"]).to_string();
    let by = text(payload, &["actor", "name"]);
    let mut s = Summary {
        before: String::new(),
        tracking_id: text(ticket, &["tracking_id"]).to_string(),
        after: String::new(),
        detail: subject.clone(),
        excerpt: None,
        link: format!("{base_url}/staff/tickets/{}", ticket["id"]),
        tag: "ticket",
    };
    match EventKind::parse(event) {
        Some(EventKind::TicketCreated) => {
            s.before = "New ticket".into();
            s.detail = format!(
                "{subject} — {}, {}, {}",
                text(ticket, &["requester", "name"]),
                text(ticket, &["category", "name"]),
                text(ticket, &["priority", "name"])
            );
        }
        Some(EventKind::TicketUpdated) => {
            s.before = "Ticket".into();
            s.after = format!(" updated by {by}");
            let changes: Vec<String> = payload["changes"]
                .as_array()
                .map(|cs| cs.iter().map(change_text).collect())
                .unwrap_or_default();
            s.detail = format!("{subject} — {}", changes.join("; "));
            s.tag = "pencil2";
        }
        Some(EventKind::MessageCreated) => {
            let m = &payload["message"];
            let author = text(m, &["author", "name"]);
            s.before = match text(m, &["kind"]) {
                "note" => format!("Internal note from {author} on"),
                _ => format!("Reply from {author} on"),
            };
            s.excerpt = excerpt(text(m, &["body"]));
            s.tag = "speech_balloon";
        }
        Some(EventKind::TicketResolved) => {
            s.before = "Ticket".into();
            s.after = format!(" resolved by {by}");
            s.tag = "white_check_mark";
        }
        Some(EventKind::SlaBreached) => {
            s.before = "SLA breached on".into();
            let target = match text(payload, &["breach", "target"]) {
                "first_response" => "first response",
                other => other,
            };
            let assignee = match text(ticket, &["assignee", "name"]) {
                "" => "unassigned",
                name => name,
            };
            s.detail = format!(
                "{subject} — {target} overdue ({}, {assignee})",
                text(ticket, &["priority", "name"])
            );
            s.tag = "rotating_light";
        }
        None if event == TEST_EVENT => {
            s.before = "Test message from the help desk".into();
            s.tracking_id = String::new();
            s.detail = format!(
                "webhook {} works",
                match text(payload, &["webhook", "name"]) {
                    "" => payload["webhook"]["id"].to_string(),
                    name => format!("\"{name}\""),
                }
            );
            s.link = format!("{base_url}/admin/webhooks/{}", payload["webhook"]["id"]);
            s.tag = "wave";
        }
        None => s.before = event.to_string(),
    }
    s
}

/// Slack's mrkdwn wants `&`, `<` and `>` escaped; a link is `<url|text>`.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Markdown (Mattermost, Discord) with what the ticket's own text holds taken literally.
/// `@` is followed by a zero-width space so "@channel" in a subject notifies nobody.
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\`*_~[]()<>#|".contains(c) {
            out.push('\\');
        }
        out.push(c);
        if c == '@' {
            out.push('\u{200b}');
        }
    }
    out
}

/// An excerpt quoted, each line after `> `.
fn quoted(excerpt: &str) -> String {
    excerpt
        .lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn markdown(s: &Summary) -> String {
    let link = if s.tracking_id.is_empty() {
        format!(" [open]({})", s.link)
    } else {
        format!(" [{}]({})", s.tracking_id, s.link)
    };
    let mut out = format!(
        "{}{link}{}: {}",
        md_escape(&s.before),
        md_escape(&s.after),
        md_escape(&s.detail)
    );
    if let Some(e) = &s.excerpt {
        out.push('\n');
        out.push_str(&quoted(&md_escape(e)));
    }
    out
}

fn slack(s: &Summary) -> Value {
    let link = if s.tracking_id.is_empty() {
        format!(" <{}|open>", s.link)
    } else {
        format!(" <{}|{}>", s.link, s.tracking_id)
    };
    let mut text = format!(
        "{}{link}{}: {}",
        slack_escape(&s.before),
        slack_escape(&s.after),
        slack_escape(&s.detail)
    );
    if let Some(e) = &s.excerpt {
        text.push('\n');
        text.push_str(&quoted(&slack_escape(e)));
    }
    json!({ "text": text })
}

/// An Adaptive Card (1.4, what Teams renders everywhere) in the message envelope Teams'
/// Workflows webhooks take. Its text is left as it is: a card's Markdown subset has no escapes
/// (a backslash would show), and a card's text alone notifies nobody.
fn teams(s: &Summary) -> Value {
    let mut body = vec![
        json!({"type": "TextBlock", "text": s.headline(), "weight": "Bolder", "wrap": true}),
        json!({"type": "TextBlock", "text": s.detail, "wrap": true}),
    ];
    if let Some(e) = &s.excerpt {
        body.push(json!({"type": "TextBlock", "text": e, "isSubtle": true, "wrap": true}));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
                "actions": [{"type": "Action.OpenUrl", "title": "Open", "url": s.link}],
            },
        }],
    })
}

/// Discord's message: 2,000 characters at most, and no pings whatever the text says.
fn discord(s: &Summary) -> Value {
    let content: String = markdown(s).chars().take(2000).collect();
    json!({ "content": content, "allowed_mentions": { "parse": [] } })
}

/// ntfy's JSON publishing: the topic is the last part of the webhook's URL path.
fn ntfy(s: &Summary, hook_url: &str) -> Value {
    let mut message = s.detail.clone();
    if let Some(e) = &s.excerpt {
        message.push_str("\n\n");
        message.push_str(e);
    }
    json!({
        "topic": ntfy_topic(hook_url).unwrap_or_default(),
        "title": s.headline(),
        "message": message,
        "click": s.link,
        "tags": [s.tag],
    })
}

/// The topic of an ntfy URL (`https://ntfy.sh/helpdesk` → `helpdesk`); None when it names none.
pub fn ntfy_topic(hook_url: &str) -> Option<String> {
    let url = url::Url::parse(hook_url).ok()?;
    let topic = url.path_segments()?.rev().find(|s| !s.is_empty())?;
    Some(topic.to_string())
}

/// Where an ntfy webhook's JSON is POSTed: the server's root (the URL without its topic), as
/// JSON publishing wants.
pub fn ntfy_root(hook_url: &str) -> Option<String> {
    let mut url = url::Url::parse(hook_url).ok()?;
    let mut segments: Vec<String> = url.path_segments()?.map(str::to_string).collect();
    while segments.last().is_some_and(|s| s.is_empty()) {
        segments.pop();
    }
    segments.pop()?;
    let path = match segments.is_empty() {
        true => "/".to_string(),
        false => format!("/{}/", segments.join("/")),
    };
    url.set_path(&path);
    url.set_query(None);
    Some(url.to_string())
}

/// The body a chat preset sends for a generic payload (`Preset::Generic` gets the payload).
pub fn render(preset: Preset, payload: &Value, base_url: &str, hook_url: &str) -> String {
    let s = summary(payload, base_url);
    let body = match preset {
        Preset::Generic => payload.clone(),
        Preset::Slack => slack(&s),
        Preset::Mattermost => json!({ "text": markdown(&s) }),
        Preset::Teams => teams(&s),
        Preset::Discord => discord(&s),
        Preset::Ntfy => ntfy(&s, hook_url),
    };
    body.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created() -> Value {
        json!({
            "event": "ticket.created",
            "actor": {"kind": "requester", "name": "Ana"},
            "ticket": {
                "id": 12, "tracking_id": "ABC-DEF-GHJK", "subject": "Printer offline",
                "requester": {"name": "Ana", "email": "ana@example.com"},
                "category": {"id": 2, "name": "Printers"},
                "priority": {"id": 3, "name": "High"},
                "assignee": null,
            },
        })
    }

    #[test]
    fn a_new_ticket_reads_as_the_issue_asks() {
        let s = summary(&created(), "https://help.example.com");
        assert_eq!(
            s.line(),
            "New ticket ABC-DEF-GHJK: Printer offline — Ana, Printers, High"
        );
        assert_eq!(s.link, "https://help.example.com/staff/tickets/12");
    }

    #[test]
    fn each_service_gets_its_own_format() {
        let p = created();
        let base = "https://help.example.com";
        let body = |preset, url| -> Value {
            serde_json::from_str(&render(preset, &p, base, url)).expect("json")
        };
        let slack = body(Preset::Slack, "https://hooks.slack.com/services/T/B/X");
        assert_eq!(
            slack["text"],
            "New ticket <https://help.example.com/staff/tickets/12|ABC-DEF-GHJK>: Printer \
             offline — Ana, Printers, High"
        );
        let mm = body(Preset::Mattermost, "https://mm.example.com/hooks/x");
        assert_eq!(
            mm["text"],
            "New ticket [ABC-DEF-GHJK](https://help.example.com/staff/tickets/12): Printer \
             offline — Ana, Printers, High"
        );
        let discord = body(Preset::Discord, "https://discord.com/api/webhooks/1/x");
        assert_eq!(discord["content"], mm["text"]);
        assert_eq!(discord["allowed_mentions"]["parse"], json!([]));
        let teams = body(Preset::Teams, "https://example.logic.azure.com/workflows/x");
        assert_eq!(teams["type"], "message");
        let card = &teams["attachments"][0];
        assert_eq!(
            card["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(card["content"]["type"], "AdaptiveCard");
        assert_eq!(
            card["content"]["body"][0]["text"],
            "New ticket ABC-DEF-GHJK"
        );
        assert_eq!(
            card["content"]["actions"][0]["url"],
            "https://help.example.com/staff/tickets/12"
        );
        let ntfy = body(Preset::Ntfy, "https://ntfy.sh/helpdesk-alerts");
        assert_eq!(ntfy["topic"], "helpdesk-alerts");
        assert_eq!(ntfy["title"], "New ticket ABC-DEF-GHJK");
        assert_eq!(ntfy["message"], "Printer offline — Ana, Printers, High");
        assert_eq!(ntfy["click"], "https://help.example.com/staff/tickets/12");
    }

    #[test]
    fn the_tickets_own_text_cannot_format_or_ping() {
        let mut p = created();
        p["ticket"]["subject"] = json!("<!channel> *urgent* @here");
        let slack: Value =
            serde_json::from_str(&render(Preset::Slack, &p, "http://h", "http://s/x")).unwrap();
        assert!(
            slack["text"]
                .as_str()
                .unwrap()
                .contains("&lt;!channel&gt; *urgent*")
        );
        let mm: Value =
            serde_json::from_str(&render(Preset::Mattermost, &p, "http://h", "http://m/x"))
                .unwrap();
        assert!(
            mm["text"]
                .as_str()
                .unwrap()
                .contains("\\*urgent\\* @\u{200b}here")
        );
    }

    #[test]
    fn ntfy_urls_split_into_root_and_topic() {
        assert_eq!(
            ntfy_root("https://ntfy.sh/alerts").as_deref(),
            Some("https://ntfy.sh/")
        );
        assert_eq!(
            ntfy_root("https://example.com/ntfy/alerts/?x=1").as_deref(),
            Some("https://example.com/ntfy/")
        );
        assert_eq!(
            ntfy_topic("https://example.com/ntfy/alerts/").as_deref(),
            Some("alerts")
        );
        assert_eq!(ntfy_topic("https://ntfy.sh/"), None);
        assert_eq!(ntfy_root("https://ntfy.sh"), None);
    }
}
