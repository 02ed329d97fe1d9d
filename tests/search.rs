//! Full-text search on the staff ticket list: accent folding, prefixes, safe highlighted
//! snippets, notes and replies in the index, and `helpdesk reindex`.

use crate::common::*;
use rocket::http::Status;
use rocket::local::blocking::Client;

fn search(client: &Client, q: &str) -> String {
    get_ok(
        client,
        &format!("/staff/tickets?view=all&q={}", urlencode(q)),
    )
}

fn reply(app: &TestApp, staff: &Client, id: i64, kind: &str, message: &str) {
    let token = csrf(staff, &format!("/staff/tickets/{id}"));
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("kind", kind)
        .text("message", message);
    let res = form.post(staff, &format!("/staff/tickets/{id}/reply"));
    assert_eq!(res.status(), Status::SeeOther, "{kind} should be saved");
    let _ = app;
}

fn two_tickets(app: &TestApp) -> (String, String) {
    let a = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Error de impresión en la planta 3",
            message: "La impresora del pasillo no imprime nada desde ayer.",
            ..TicketInput::default()
        },
        &[],
    );
    let b = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Portatil sin conexion",
            message: "El portatil nuevo no se conecta a la red.",
            category: "3",
            email: "ben@office.example",
            ..TicketInput::default()
        },
        &[],
    );
    (a, b)
}

#[test]
fn accents_are_folded_both_ways_and_terms_match_as_prefixes() {
    let app = TestApp::new();
    let (a, b) = two_tickets(&app);
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let page = search(&app.client, "impresion");
    assert!(
        page.contains(&a) && !page.contains(&b),
        "no accent finds the accented word"
    );
    let page = search(&app.client, "conexión");
    assert!(
        page.contains(&b) && !page.contains(&a),
        "an accent finds the plain word"
    );
    let page = search(&app.client, "impres");
    assert!(page.contains(&a), "a prefix finds the whole word");
    // Every word must match, but each may be in the subject or any message.
    let page = search(&app.client, "planta pasillo");
    assert!(page.contains(&a));
    let page = search(&app.client, "planta red");
    assert!(!page.contains(&a) && !page.contains(&b));
    // Other filters still apply to the matches.
    let page = get_ok(&app.client, "/staff/tickets?view=all&q=impres&category=3");
    assert!(!page.contains(&a));
    // Email, name and tracking ID still work.
    assert!(search(&app.client, "ben@office").contains(&b));
    assert!(search(&app.client, &b.to_lowercase()).contains(&b));
}

#[test]
fn search_shows_newest_first_and_offers_relevance() {
    let app = TestApp::new();
    let strong = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Toner empty",
            message: "The toner is empty, toner needed.",
            ..TicketInput::default()
        },
        &[],
    );
    let weak = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Printer makes noise",
            message: "It also said something about toner once.",
            ..TicketInput::default()
        },
        &[],
    );
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    // Newest first by default: the weak match is the newer one.
    let page = search(&app.client, "toner");
    let (s, w) = (page.find(&strong), page.find(&weak));
    assert!(s.is_some() && w.is_some() && w < s, "newest first");
    assert!(page.contains("value=\"relevance\""));
    // By relevance when asked: the subject match ranks first.
    let page = get_ok(
        &app.client,
        "/staff/tickets?view=all&q=toner&sort=relevance",
    );
    assert!(page.contains("value=\"relevance\" selected"));
    assert!(
        page.find(&strong) < page.find(&weak),
        "the subject match ranks first"
    );
    // No relevance choice without a search.
    assert!(!get_ok(&app.client, "/staff/tickets").contains("value=\"relevance\""));
}

#[test]
fn snippets_highlight_matches_and_stay_escaped() {
    let app = TestApp::new();
    let tid = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Cartridge problem",
            message: "<script>alert('x')</script> the magenta cartridge leaks <b>ink</b>",
            ..TicketInput::default()
        },
        &[],
    );
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let page = search(&app.client, "magenta");
    assert!(page.contains(&tid));
    assert!(page.contains("<mark>magenta</mark>"), "{page}");
    assert!(page.contains("&lt;script&gt;"));
    assert!(!page.contains("<script>alert"));
    assert!(!page.contains("<b>ink"));
    // Text that looks like FTS syntax is just words.
    for q in [
        "\"magenta",
        "magenta AND (",
        "NEAR(magenta",
        "magenta*",
        "-magenta",
        "col:magenta",
        "\"\"",
    ] {
        let res = app
            .client
            .get(format!("/staff/tickets?view=all&q={}", urlencode(q)))
            .dispatch();
        assert_eq!(res.status(), Status::Ok, "query {q:?}");
    }
    assert!(search(&app.client, "(\"magenta* cartridge:").contains(&tid));
}

#[test]
fn the_index_follows_replies_and_notes() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    assert!(!search(&staff, "spooler").contains(&tid));
    reply(&app, &staff, id, "reply", "Restarted the spooler service.");
    assert!(search(&staff, "spooler").contains(&tid));
    // Staff see internal notes, so they search them too.
    reply(&app, &staff, id, "note", "Switch port 12 was dead.");
    assert!(search(&staff, "switch port").contains(&tid));
    let notes = app.count(&format!(
        "SELECT COUNT(*) FROM ticket_search WHERE rowid >> 24 = {id} AND notes MATCH 'switch'"
    ));
    let body = app.count(&format!(
        "SELECT COUNT(*) FROM ticket_search WHERE rowid >> 24 = {id} AND body MATCH 'switch'"
    ));
    assert_eq!(
        (notes, body),
        (1, 0),
        "notes are kept apart from the public text"
    );
}

#[test]
fn migration_indexes_existing_tickets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(include_str!("../schema.sql"))
            .expect("baseline");
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO tickets (tracking_id, access_token, subject, requester_name, requester_email,
                 category_id, priority_id, status_id, created_at, updated_at)
             VALUES ('AAA-BBB-CCCC', 'x', 'Monitor flickers', 'Ana', 'ana@x.example', 1, 1, 1, 0, 0);
             INSERT INTO messages (ticket_id, kind, author_name, body, created_at)
             VALUES (1, 'requester', 'Ana', 'Since the update the screen flickers.', 0),
                    (1, 'note', 'Gus', 'Cable replaced.', 0);",
        )
        .expect("old data");
    }
    let db = helpdesk::db::Db::open(&path).expect("migrate");
    let hits = |q: &'static str| {
        db.read_blocking(move |c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM ticket_search WHERE ticket_search MATCH ?1",
                [q],
                |r| r.get::<_, i64>(0),
            )?)
        })
        .expect("query")
    };
    assert_eq!(
        (hits("monitor"), hits("update"), hits("notes:cable")),
        (1, 1, 1)
    );
}

#[test]
fn reindex_rebuilds_the_index() {
    let app = TestApp::new();
    let (a, _) = two_tickets(&app);
    app.db
        .write_blocking(|c| Ok(c.execute("DELETE FROM ticket_search", [])?))
        .expect("empty the index");
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    assert!(!search(&app.client, "impresora").contains(&a));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .arg("--db")
        .arg(&app.config.db)
        .arg("reindex")
        .env_remove("HELPDESK_CONFIG")
        .env("HELPDESK_LOG_LEVEL", "off")
        .output()
        .expect("run helpdesk reindex");
    assert!(
        out.status.success(),
        "reindex failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Reindexed 2 tickets"));
    assert!(search(&app.client, "impresora").contains(&a));
}
