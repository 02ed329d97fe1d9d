//! What the admin pages say to the office: each help text says what a field does, not which
//! configuration key or environment variable backs it (the README keeps those).

use std::collections::HashMap;

use crate::common::*;

/// Every catalog part of `lang` merged (the admin pages read all of them).
fn catalog(lang: &str) -> HashMap<String, String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/i18n");
    let mut map = HashMap::new();
    for entry in std::fs::read_dir(dir).expect("catalog dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with(&format!("{lang}.")) && name.ends_with(".json") {
            let text = std::fs::read_to_string(&path).expect("catalog file");
            let part: HashMap<String, String> = serde_json::from_str(&text).expect("flat JSON");
            map.extend(part);
        }
    }
    map
}

/// Words of the server's configuration that mean nothing to an office.
const CONFIG_TALK: &[&str] = &[
    "HELPDESK_",
    "smtp_url",
    "mail_from",
    "mail_reply_to",
    "imap_host",
    "base_url",
    ".toml",
    "--config",
    "configuration file",
    "archivo de configuración",
];

#[test]
fn no_text_on_the_admin_pages_speaks_of_configuration_keys() {
    for lang in ["en", "es"] {
        let mut found: Vec<String> = catalog(lang)
            .iter()
            .filter(|(_, text)| CONFIG_TALK.iter().any(|w| text.contains(w)))
            .map(|(key, text)| format!("{lang}: {key}: {text}"))
            .collect();
        found.sort();
        assert!(
            found.is_empty(),
            "configuration talk:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn the_mail_page_says_what_the_server_is_for() {
    let app = TestApp::with_config(|c| c.smtp_url = "smtp://mail.office.example:25".into());
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let page = get_ok(&app.client, "/admin/mail");
    assert!(page.contains("The desk sends every mail through this server."));
    assert!(page.contains("Set up with the server when it was installed"));
    for word in CONFIG_TALK {
        assert!(!page.contains(word), "{word} on the mail page");
    }
    // The README still names the keys for whoever installs the desk.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    assert!(readme.contains("`smtp_url`") && readme.contains("HELPDESK_SMTP_URL"));
}
