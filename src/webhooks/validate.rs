//! Checks a webhook as an admin typed it: each problem is a catalog key next to its field, and
//! nothing is saved while there is one.

use super::store::NewWebhook;
use super::{EventKind, Events, Preset, presets};
use crate::error::FieldErrors;

/// The longest URL accepted.
const MAX_URL: usize = 2000;
/// Bounds of a secret typed by the admin.
const MIN_SECRET: usize = 16;
const MAX_SECRET: usize = 200;

/// The form as typed.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub name: String,
    pub url: String,
    /// Empty: keep the current one, or generate one for a new webhook.
    pub secret: String,
    pub events: Vec<String>,
    pub preset: String,
    pub active: bool,
}

/// A new secret: 192 random bits.
pub fn generate_secret() -> String {
    format!("whsec_{}", crate::util::random_hex(24))
}

fn url(raw: &str, preset: Option<Preset>, errors: &mut FieldErrors) -> String {
    let raw = raw.trim();
    if raw.is_empty() {
        errors.add("url", "webhooks_error_url_required");
        return String::new();
    }
    let parsed = match url::Url::parse(raw) {
        Ok(u) if raw.len() <= MAX_URL && !raw.chars().any(char::is_whitespace) => u,
        _ => {
            errors.add("url", "webhooks_error_url");
            return String::new();
        }
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        errors.add("url", "webhooks_error_url_scheme");
    } else if parsed.host_str().is_none_or(str::is_empty) {
        errors.add("url", "webhooks_error_url_host");
    } else if preset == Some(Preset::Ntfy) && presets::ntfy_topic(parsed.as_str()).is_none() {
        errors.add("url", "webhooks_error_url_ntfy");
    }
    parsed.to_string()
}

/// The webhook to save, or what is wrong with the input. `current_secret` is the saved one of a
/// webhook being edited, kept when the field is left empty.
pub fn webhook(input: &Input, current_secret: Option<&str>) -> Result<NewWebhook, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = input.name.trim().to_string();
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.add("name", "webhooks_error_name");
    }
    let preset = Preset::parse(input.preset.trim());
    if preset.is_none() {
        errors.add("preset", "webhooks_error_preset");
    }
    let url = url(&input.url, preset, &mut errors);
    let typed = input.secret.trim();
    let secret = match (typed, current_secret) {
        ("", Some(current)) => current.to_string(),
        ("", None) => generate_secret(),
        (s, _) => {
            let n = s.chars().count();
            if !(MIN_SECRET..=MAX_SECRET).contains(&n)
                || s.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                errors.add("secret", "webhooks_error_secret");
            }
            s.to_string()
        }
    };
    let mut events = Events::NONE;
    for name in &input.events {
        match EventKind::parse(name.trim()) {
            Some(kind) => events = events.with(kind),
            None => errors.add("events", "webhooks_error_events_unknown"),
        }
    }
    if events.is_empty() {
        errors.add("events", "webhooks_error_events");
    }
    match preset {
        Some(preset) if errors.is_empty() => Ok(NewWebhook {
            name,
            url,
            secret,
            events,
            preset,
            active: input.active,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(url: &str) -> Input {
        Input {
            url: url.into(),
            events: vec!["ticket.created".into()],
            preset: "generic".into(),
            active: true,
            ..Input::default()
        }
    }

    fn refused(i: &Input) -> FieldErrors {
        webhook(i, None).expect_err("refused")
    }

    #[test]
    fn a_good_webhook_gets_a_generated_secret() {
        let w = webhook(&input("https://hooks.example.com/helpdesk"), None).expect("valid");
        assert_eq!(w.url, "https://hooks.example.com/helpdesk");
        assert!(w.secret.starts_with("whsec_") && w.secret.len() == 54);
        let kept = webhook(
            &input("http://10.0.0.5:8080/in"),
            Some("old-secret-value-1"),
        )
        .unwrap();
        assert_eq!(
            kept.secret, "old-secret-value-1",
            "empty keeps the saved one"
        );
    }

    #[test]
    fn bad_input_is_refused_field_by_field() {
        let key = |e: &FieldErrors, f: &str| serde_json::to_value(e).unwrap()[f]["key"].clone();
        assert_eq!(
            key(&refused(&input("")), "url"),
            "webhooks_error_url_required"
        );
        assert_eq!(
            key(&refused(&input("not a url")), "url"),
            "webhooks_error_url"
        );
        assert_eq!(
            key(&refused(&input("ftp://example.com/x")), "url"),
            "webhooks_error_url_scheme"
        );
        assert_eq!(
            key(&refused(&input("https://exa mple.com")), "url"),
            "webhooks_error_url"
        );
        let mut ntfy = input("https://ntfy.sh/");
        ntfy.preset = "ntfy".into();
        assert_eq!(key(&refused(&ntfy), "url"), "webhooks_error_url_ntfy");
        let mut no_events = input("https://example.com/x");
        no_events.events.clear();
        assert_eq!(key(&refused(&no_events), "events"), "webhooks_error_events");
        let mut unknown = input("https://example.com/x");
        unknown.events.push("ticket.deleted".into());
        assert_eq!(
            key(&refused(&unknown), "events"),
            "webhooks_error_events_unknown"
        );
        let mut short = input("https://example.com/x");
        short.secret = "short".into();
        assert_eq!(key(&refused(&short), "secret"), "webhooks_error_secret");
        let mut preset = input("https://example.com/x");
        preset.preset = "irc".into();
        assert_eq!(key(&refused(&preset), "preset"), "webhooks_error_preset");
    }
}
