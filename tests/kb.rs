//! The knowledge base: staff write articles, employees read and search the published ones, and
//! the ticket form's suggestions.

use crate::common::*;
use rocket::http::{Accept, Status};
use rocket::local::blocking::Client;
use serde_json::Value;

struct Article<'a> {
    slug: &'a str,
    state: &'a str,
    category: &'a str,
    title_en: &'a str,
    body_en: &'a str,
    title_es: &'a str,
    body_es: &'a str,
}

impl Default for Article<'_> {
    fn default() -> Self {
        Article {
            slug: "",
            state: "published",
            category: "",
            title_en: "Fix a printer that shows offline",
            body_en: "1. Turn the printer off and on.\n2. Check the **network cable**.",
            title_es: "",
            body_es: "",
        }
    }
}

/// Saves a new article through the staff editor; returns its id.
fn create_article(staff: &Client, a: &Article<'_>) -> i64 {
    let token = csrf(staff, "/staff/kb/new");
    let res = post_form(
        staff,
        "/staff/kb/new",
        &[
            ("csrf_token", &token),
            ("slug", a.slug),
            ("category", a.category),
            ("state", a.state),
            ("sort", "0"),
            ("title_en", a.title_en),
            ("body_en", a.body_en),
            ("title_es", a.title_es),
            ("body_es", a.body_es),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther, "article should be saved");
    location(&res)
        .trim_start_matches("/staff/kb/")
        .parse()
        .expect("redirect to the article's editor")
}

fn staff_client(app: &TestApp) -> Client {
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    staff
}

fn add_category(staff: &Client, name: &str) {
    let token = csrf(staff, "/staff/kb");
    let res = post_form(
        staff,
        "/staff/kb/categories",
        &[("csrf_token", &token), ("name", name), ("sort", "1")],
    );
    assert_eq!(res.status(), Status::SeeOther);
}

#[test]
fn published_articles_are_listed_and_searchable_drafts_and_internal_never() {
    let app = TestApp::new();
    let staff = staff_client(&app);
    add_category(&staff, "Printing");
    create_article(
        &staff,
        &Article {
            category: "1",
            ..Article::default()
        },
    );
    create_article(
        &staff,
        &Article {
            state: "draft",
            title_en: "Draft printer secrets",
            body_en: "Unfinished printer text.",
            ..Article::default()
        },
    );
    create_article(
        &staff,
        &Article {
            state: "internal",
            title_en: "Internal printer admin password",
            body_en: "Printer admin notes for staff.",
            ..Article::default()
        },
    );
    let index = get_ok(&app.client, "/kb");
    assert!(index.contains("Fix a printer that shows offline") && index.contains("Printing"));
    assert!(!index.contains("Draft printer") && !index.contains("Internal printer"));
    let results = get_ok(&app.client, "/kb?q=printer");
    assert!(results.contains("Fix a printer that shows offline"));
    assert!(!results.contains("Draft printer") && !results.contains("Internal printer"));
    assert!(results.contains("<mark>"), "matches are highlighted");
    let results = get_ok(&app.client, "/kb?q=cable");
    assert!(results.contains("<mark>cable</mark>"));
    assert!(get_ok(&app.client, "/kb?q=unfinished").contains("No article matches"));
    let page = get_ok(
        &app.client,
        &format!("/kb?q={}", urlencode("<script>alert(1)</script> printer")),
    );
    assert!(!page.contains("<script>alert") && page.contains("&lt;script&gt;"));
    for slug in [
        "draft-printer-secrets",
        "internal-printer-admin-password",
        "nope",
    ] {
        let res = app.client.get(format!("/kb/{slug}")).dispatch();
        assert_eq!(res.status(), Status::NotFound, "/kb/{slug}");
    }
    // Staff see internal articles and can preview drafts.
    assert!(get_ok(&staff, "/kb?q=printer").contains("Internal printer"));
    assert!(get_ok(&staff, "/kb/draft-printer-secrets").contains("Draft printer secrets"));
    let list = get_ok(&staff, "/staff/kb");
    assert!(list.contains("Draft printer secrets") && list.contains("Internal printer"));
}

#[test]
fn article_page_renders_markdown_without_scripts_and_counts_views_and_votes() {
    let app = TestApp::new();
    let staff = staff_client(&app);
    add_category(&staff, "Printing");
    create_article(
        &staff,
        &Article {
            slug: "offline-printer",
            category: "1",
            body_en: "# Steps\n\n<script>alert('x')</script>\n\nPress **Reset**. <img src=x onerror=alert(1)> [bad](javascript:alert(1))",
            ..Article::default()
        },
    );
    create_article(
        &staff,
        &Article {
            slug: "toner",
            category: "1",
            title_en: "Replace the toner",
            body_en: "Open the front door.",
            ..Article::default()
        },
    );
    let page = get_ok(&app.client, "/kb/offline-printer");
    assert!(page.contains("<h1>Steps</h1>") && page.contains("<strong>Reset</strong>"));
    assert!(
        !page.contains("<script>alert")
            && !page.contains("onerror")
            && !page.contains("javascript:")
    );
    assert!(page.contains("Related articles") && page.contains("/kb/toner"));
    get_ok(&app.client, "/kb/offline-printer");
    assert_eq!(
        app.count("SELECT view_count FROM kb_articles WHERE slug = 'offline-printer'"),
        2
    );
    // Votes need the CSRF token.
    let res = post_form(
        &app.client,
        "/kb/offline-printer/helpful",
        &[("helpful", "yes")],
    );
    assert_eq!(res.status(), Status::Forbidden);
    let token = csrf_in(&page);
    let res = post_form(
        &app.client,
        "/kb/offline-printer/helpful",
        &[("csrf_token", &token), ("helpful", "yes")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count("SELECT helpful_yes FROM kb_articles WHERE slug = 'offline-printer'"),
        1
    );
    assert!(get_ok(&app.client, "/kb/offline-printer").contains("Thank you for your feedback."));
    // A second vote from the same browser is not counted; another browser's is.
    post_form(
        &app.client,
        "/kb/offline-printer/helpful",
        &[("csrf_token", &token), ("helpful", "no")],
    );
    let other = app.other_client();
    let token = csrf(&other, "/kb/offline-printer");
    post_form(
        &other,
        "/kb/offline-printer/helpful",
        &[("csrf_token", &token), ("helpful", "no")],
    );
    assert_eq!(
        app.count(
            "SELECT helpful_yes * 10 + helpful_no FROM kb_articles WHERE slug = 'offline-printer'"
        ),
        11
    );
}

#[test]
fn spanish_translation_with_english_fallback() {
    let app = TestApp::new();
    let staff = staff_client(&app);
    create_article(
        &staff,
        &Article {
            slug: "vpn",
            title_en: "Connect to the VPN",
            body_en: "Open the VPN app and sign in.",
            title_es: "Conectarse a la VPN",
            body_es: "Abra la aplicación de VPN e inicie sesión.",
            ..Article::default()
        },
    );
    create_article(
        &staff,
        &Article {
            slug: "printer",
            ..Article::default()
        },
    );
    let es = |path: &str| {
        let res = app
            .client
            .get(path.to_string())
            .header(accept_language("es"))
            .dispatch();
        assert_eq!(res.status(), Status::Ok);
        res.into_string().unwrap_or_default()
    };
    let page = es("/kb/vpn");
    assert!(page.contains("Conectarse a la VPN") && page.contains("inicie sesión"));
    assert!(get_ok(&app.client, "/kb/vpn").contains("Connect to the VPN"));
    let page = es("/kb/printer");
    assert!(page.contains("Fix a printer that shows offline"));
    assert!(page.contains("todavía no está disponible en tu idioma"));
    let index = es("/kb");
    assert!(index.contains("Conectarse a la VPN") && index.contains("Fix a printer"));
    // Spanish search folds accents and answers in Spanish.
    let results = es("/kb?q=aplicacion");
    assert!(results.contains("Conectarse a la VPN"));
}

#[test]
fn the_editor_validates_and_keeps_slugs_unique() {
    let app = TestApp::new();
    let staff = staff_client(&app);
    let id = create_article(
        &staff,
        &Article {
            slug: "printer",
            ..Article::default()
        },
    );
    let token = csrf(&staff, "/staff/kb/new");
    let res = post_form(
        &staff,
        "/staff/kb/new",
        &[
            ("csrf_token", &token),
            ("slug", "printer"),
            ("state", "published"),
            ("title_en", "Other"),
            ("body_en", "x"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("Another article already uses this address.")
    );
    let res = post_form(
        &staff,
        "/staff/kb/new",
        &[("csrf_token", &token), ("state", "published")],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let res = post_form(
        &staff,
        &format!("/staff/kb/{id}"),
        &[("state", "draft"), ("title_en", "x"), ("body_en", "y")],
    );
    assert_eq!(res.status(), Status::Forbidden, "no CSRF token");
    // Editing: unpublish, and the page disappears for employees.
    let res = post_form(
        &staff,
        &format!("/staff/kb/{id}"),
        &[
            ("csrf_token", &token),
            ("slug", "printer"),
            ("state", "draft"),
            ("title_en", "Printer"),
            ("body_en", "Text"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.client.get("/kb/printer").dispatch().status(),
        Status::NotFound
    );
    // Employees cannot reach the staff pages.
    assert_eq!(
        app.client.get("/staff/kb").dispatch().status(),
        Status::SeeOther
    );
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
fn suggestions_offer_published_articles_and_never_tickets() {
    let app = TestApp::new();
    let staff = staff_client(&app);
    create_article(
        &staff,
        &Article {
            slug: "printer",
            ..Article::default()
        },
    );
    create_article(
        &staff,
        &Article {
            state: "internal",
            title_en: "Printer admin secrets",
            body_en: "x",
            ..Article::default()
        },
    );
    submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Printer on floor 4 jams",
            message: "Secret message text about the printer.",
            email: "private@office.example",
            name: "Private Person",
            ..TicketInput::default()
        },
        &[],
    );
    let closed = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Printer closed case",
            ..TicketInput::default()
        },
        &[],
    );
    let id = ticket_id(&app, &closed);
    app.db
        .write_blocking(move |c| {
            Ok(c.execute(
                "UPDATE tickets SET status_id = (SELECT id FROM statuses WHERE slug = 'closed') WHERE id = ?1",
                [id],
            )?)
        })
        .expect("close");
    let s = suggest(&app.client, "my printer is offline");
    let articles = s["articles"].as_array().expect("articles");
    assert_eq!(articles.len(), 1, "{s}");
    assert_eq!(articles[0]["title"], "Fix a printer that shows offline");
    assert_eq!(articles[0]["url"], "/kb/printer");
    // Nobody else's ticket, open or closed: not its subject, status, requester or text.
    assert!(s.get("tickets").is_none(), "{s}");
    let text = s.to_string();
    for private in [
        "floor 4",
        "closed case",
        "private",
        "Private",
        "Secret",
        "New",
    ] {
        assert!(!text.contains(private), "{private} in {s}");
    }
    // Long, empty and odd queries are fine.
    suggest(&app.client, &"printer ".repeat(100));
    assert!(
        suggest(&app.client, "")["articles"]
            .as_array()
            .expect("a")
            .is_empty()
    );
    suggest(&app.client, "\"( NEAR* :");
    // The form loads the script and has the suggestion box.
    let form = get_ok(&app.client, "/tickets/new");
    assert!(form.contains("/static/suggest.js") && form.contains("id=\"suggestions\""));
    let js = get_ok(&app.client, "/static/suggest.js");
    assert!(js.contains("/suggest?q="));
}

#[test]
fn this_solved_my_problem_counts_a_deflection() {
    let app = TestApp::new();
    let staff = staff_client(&app);
    create_article(
        &staff,
        &Article {
            slug: "printer",
            ..Article::default()
        },
    );
    let token = csrf(&app.client, "/tickets/new");
    let res = post_form(&app.client, "/suggest/solved", &[("slug", "printer")]);
    assert_eq!(res.status(), Status::Forbidden);
    let res = post_form(
        &app.client,
        "/suggest/solved",
        &[("csrf_token", &token), ("slug", "printer")],
    );
    assert_eq!(res.status(), Status::NoContent);
    let res = post_form(
        &app.client,
        "/suggest/solved",
        &[("csrf_token", &token), ("slug", "nope")],
    );
    assert_eq!(res.status(), Status::NotFound);
    assert_eq!(
        app.count("SELECT deflections FROM kb_articles WHERE slug = 'printer'"),
        1
    );
    assert!(get_ok(&staff, "/staff/kb").contains("Solved without a ticket"));
}
