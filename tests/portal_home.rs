//! The portal home helps first: a large knowledge-base search (a plain GET form, no script), the
//! most read published articles in order, and the ways to a ticket; and knowledge-base snippets
//! (search results, suggestions) read as text, not Markdown.

use crate::common::*;
use rocket::http::{Accept, Status};
use rocket::local::blocking::Client;
use serde_json::Value;

pub fn staff(app: &TestApp) -> Client {
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    staff
}

/// Saves an article through the staff editor (also for `portal_suggest`).
pub fn article(staff: &Client, slug: &str, state: &str, title: &str, body: &str) {
    let token = csrf(staff, "/staff/kb/new");
    let res = post_form(
        staff,
        "/staff/kb/new",
        &[
            ("csrf_token", &token),
            ("slug", slug),
            ("category", ""),
            ("state", state),
            ("sort", "0"),
            ("title_en", title),
            ("body_en", body),
            ("title_es", ""),
            ("body_es", ""),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther, "article {slug} saved");
}

/// An employee reads the article `times` times.
fn read(app: &TestApp, slug: &str, times: usize) {
    for _ in 0..times {
        get_ok(&app.client, &format!("/kb/{slug}"));
    }
}

#[test]
fn home_offers_search_the_most_read_articles_in_order_and_the_ways_to_a_ticket() {
    let app = TestApp::new();
    let staff = staff(&app);
    // No article yet: no empty "most read" box.
    let home = get_ok(&app.client, "/");
    assert!(!home.contains("Most read articles"));

    article(
        &staff,
        "vpn",
        "published",
        "Connect to the VPN",
        "Use the client.",
    );
    article(
        &staff,
        "printer",
        "published",
        "Fix the printer",
        "Off and on.",
    );
    article(
        &staff,
        "wifi",
        "published",
        "Join the Wi-Fi",
        "Pick Office.",
    );
    article(
        &staff,
        "secret",
        "internal",
        "Internal runbook",
        "Staff only.",
    );
    article(&staff, "draft", "draft", "Half written", "Soon.");
    read(&app, "printer", 3);
    read(&app, "wifi", 2);
    read(&app, "vpn", 1);

    let home = get_ok(&app.client, "/");
    // The search: a GET to the knowledge base's search, labelled, first on the page.
    let search = home
        .find(r#"<form method="get" action="/kb" class="portal-search" role="search">"#)
        .expect("the search form");
    assert!(home.contains(r#"<label for="home-q">Search the help articles</label>"#));
    assert!(home.contains(r#"<input id="home-q" type="search" name="q""#));
    // The most read published articles, most read first; nothing internal or draft.
    let positions: Vec<usize> = ["/kb/printer", "/kb/wifi", "/kb/vpn"]
        .iter()
        .map(|href| {
            home.find(&format!("href=\"{href}\""))
                .unwrap_or_else(|| panic!("{href} on the home page"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "most read first: {positions:?}"
    );
    assert!(home.contains("Most read articles"));
    assert!(!home.contains("Internal runbook") && !home.contains("Half written"));
    // The ways to a ticket, after the search.
    for (href, label) in [
        ("/tickets/new", "Submit a ticket"),
        ("/tickets/mine", "My tickets"),
        ("#check", "Check a ticket"),
    ] {
        let link = format!(r#"<a class="button" href="{href}">{label}</a>"#);
        let at = home.find(&link).unwrap_or_else(|| panic!("{link}"));
        assert!(at > search);
    }
    assert!(home.contains(r#"<form method="post" action="/tickets/lookup" class="form">"#));

    // The search form leads to the results.
    let results = get_ok(&app.client, "/kb?q=printer");
    assert!(results.contains("href=\"/kb/printer\""));

    // In Spanish.
    let res = app.client.get("/").header(accept_language("es")).dispatch();
    let es = res.into_string().unwrap_or_default();
    for text in [
        "Busca en los artículos de ayuda",
        "Artículos más leídos",
        "Mis tickets",
    ] {
        assert!(es.contains(text), "{text} on the Spanish home");
    }
    // An untranslated article is marked as English.
    assert!(es.contains(r#"<a href="/kb/printer" hreflang="en" lang="en">Fix the printer</a>"#));

    // A refused lookup keeps the home whole: search and articles still there.
    let token = csrf_in(&home);
    let res = post_form(
        &app.client,
        "/tickets/lookup",
        &[
            ("csrf_token", &token),
            ("tracking_id", "ABC-DEF-2345"),
            ("email", "nobody@office.example"),
        ],
    );
    assert_eq!(res.status(), Status::NotFound);
    let page = res.into_string().unwrap_or_default();
    assert!(page.contains("role=\"alert\"") && page.contains("class=\"portal-search\""));
    assert!(page.contains("href=\"/kb/printer\""));
}

fn suggest(client: &Client, q: &str) -> Value {
    let res = client
        .get(format!("/suggest?q={}", urlencode(q)))
        .header(Accept::JSON)
        .dispatch();
    assert_eq!(res.status(), Status::Ok);
    serde_json::from_str(&res.into_string().unwrap_or_default()).expect("JSON")
}

#[test]
fn snippets_show_the_articles_text_not_their_markdown() {
    let app = TestApp::new();
    let staff = staff(&app);
    article(
        &staff,
        "vpn",
        "published",
        "Connect from home",
        "Install the **VPN** client, then open [the portal](https://portal.example) and sign \
         in with your *office* account; type `vpn connect` if it asks.",
    );
    // The knowledge base's search: the text, the match marked, no Markdown.
    let page = get_ok(&app.client, "/kb?q=vpn");
    assert!(
        page.contains("Install the <mark>VPN</mark> client, then open the portal and sign in"),
        "{page}"
    );
    for markdown in ["**", "](", "`vpn", "*office*"] {
        assert!(!page.contains(markdown), "{markdown} in the search results");
    }
    // The ticket form's suggestions: plain text.
    let s = suggest(&app.client, "vpn client");
    let snippet = s["articles"][0]["snippet"].as_str().expect("a snippet");
    assert!(
        snippet.contains("Install the VPN client, then open the portal"),
        "{snippet}"
    );
    assert!(!snippet.contains('*') && !snippet.contains("](") && !snippet.contains('<'));
}
