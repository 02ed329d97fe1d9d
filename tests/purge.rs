//! `helpdesk purge --requester EMAIL`, through the real binary: a dry run counts and changes
//! nothing; `--yes` erases the person's tickets and every trace of the address, so that no text
//! in any table (each column of each table in `sqlite_master`) nor the search index holds it,
//! while other people's tickets stay.

use rocket::http::Status;

use crate::common::server;
use crate::common::*;

const ERIN: &str = "erin@office.example";

/// How many text values in the whole database contain `needle` (any case), per table.
fn traces(app: &TestApp, needle: &str) -> Vec<(String, i64)> {
    let needle = needle.to_lowercase();
    app.db
        .read_blocking(move |c| {
            let tables: Vec<String> = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut found = Vec::new();
            for table in tables {
                let columns: Vec<String> = c
                    .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                for column in columns {
                    let n: i64 = c.query_row(
                        &format!(
                            "SELECT COUNT(*) FROM \"{table}\" WHERE typeof(\"{column}\") = 'text'
                             AND instr(lower(\"{column}\"), ?1) > 0"
                        ),
                        [&needle],
                        |r| r.get(0),
                    )?;
                    if n > 0 {
                        found.push((format!("{table}.{column}"), n));
                    }
                }
            }
            Ok(found)
        })
        .expect("scan")
}

#[test]
fn purge_counts_first_then_erases_every_trace() {
    // Mail is queued for a server that never answers, so the outbox holds mail to Erin.
    let app = TestApp::with_config(|c| c.smtp_url = "smtp://127.0.0.1:9".into());
    let input = TicketInput {
        name: "Erin Example",
        email: ERIN,
        subject: "Laptop wombat",
        ..TicketInput::default()
    };
    let first = submit_ticket(
        &app.client,
        &input,
        &[("photo.png", "image/png", b"\x89PNG....")],
    );
    submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Second wombat",
            ..input
        },
        &[],
    );
    let others = submit_ticket(&app.client, &TicketInput::default(), &[]);
    // A staff reply, a sign-in link, a ban: every kind of trace.
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let id = ticket_id(&app, &first);
    let token = csrf(&app.client, &format!("/staff/tickets/{id}"));
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("kind", "reply")
        .text("message", "Hello Erin, on it.");
    assert_eq!(
        form.post(&app.client, &format!("/staff/tickets/{id}/reply"))
            .status(),
        Status::SeeOther
    );
    let portal = app.other_client();
    let t = csrf(&portal, "/tickets/mine");
    assert_eq!(
        post_form(
            &portal,
            "/tickets/mine",
            &[("csrf_token", &t), ("email", ERIN)]
        )
        .status(),
        Status::Ok
    );
    let t = csrf(&app.client, "/admin/bans");
    assert_eq!(
        post_form(
            &app.client,
            "/admin/bans",
            &[("csrf_token", &t), ("value", ERIN)]
        )
        .status(),
        Status::SeeOther
    );
    assert!(!traces(&app, ERIN).is_empty());
    assert_eq!(app.count("SELECT COUNT(*) FROM requester_links"), 1);

    // The dry run counts and changes nothing.
    let run = server::run(&app.config.db, &["purge", "--requester", ERIN], &[], b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.contains("2 tickets, 3 messages, 1 attachments"),
        "{run:?}"
    );
    assert!(run.stdout.contains("Dry run"), "{run:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 3);

    let run = server::run(
        &app.config.db,
        &["purge", "--requester", ERIN, "--yes"],
        &[],
        b"",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("Erased 2 tickets"), "{run:?}");
    assert_eq!(
        traces(&app, ERIN),
        Vec::<(String, i64)>::new(),
        "no table holds the address"
    );
    assert_eq!(
        traces(&app, "wombat"),
        Vec::<(String, i64)>::new(),
        "nor their tickets' text"
    );
    for word in ["erin", "wombat"] {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM ticket_search WHERE ticket_search MATCH '{word}'"
            )),
            0,
            "the search index has no {word}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 1);
    assert!(ticket_id(&app, &others) > 0, "other people's tickets stay");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'requester_purged' AND detail = 'tickets=2 messages=3 attachments=1'"),
        1,
        "audited with counts only"
    );
    // A bad address is refused.
    let run = server::run(
        &app.config.db,
        &["purge", "--requester", "nonsense"],
        &[],
        b"",
    );
    assert_eq!(run.code, Some(1), "{run:?}");
}
