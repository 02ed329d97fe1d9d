//! The satisfaction survey on the requester's pages (through Rocket's client over a real SQLite
//! file): one answer per resolution, changeable for 7 days, shown to staff on the ticket and in
//! its history, asked again after a reopening; and everything it refuses, with a message and
//! nothing stored. The mail's links, end to end, are in `csat_mail`.

use crate::common::*;
use rocket::http::Status;
use rocket::local::blocking::Client;

const DAY: i64 = 86_400;

/// A ticket submitted by `requester` (which keeps its access cookie) and resolved by the admin.
fn resolved_ticket(app: &TestApp, requester: &Client, admin: &Client) -> (String, i64) {
    let tid = submit_ticket(requester, &TicketInput::default(), &[]);
    let id = ticket_id(app, &tid);
    set_status(app, admin, id, "resolved");
    (tid, id)
}

fn set_status(app: &TestApp, admin: &Client, id: i64, slug: &str) {
    let status = app.count(&format!("SELECT id FROM statuses WHERE slug = '{slug}'"));
    let token = csrf(admin, &format!("/staff/tickets/{id}"));
    let res = post_form(
        admin,
        &format!("/staff/tickets/{id}/update"),
        &[("csrf_token", &token), ("status", &status.to_string())],
    );
    assert_eq!(res.status(), Status::SeeOther);
}

fn admin(app: &TestApp) -> Client {
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    admin
}

/// Posts an answer from `client`; the status and the page (empty for a redirect).
fn rate(
    client: &Client,
    tid: &str,
    rating: &str,
    comment: &str,
    resolution: &str,
) -> (Status, String) {
    let token = csrf(client, &format!("/tickets/{tid}/rate"));
    let res = post_form(
        client,
        &format!("/tickets/{tid}/rate"),
        &[
            ("csrf_token", &token),
            ("rating", rating),
            ("comment", comment),
            ("resolution", resolution),
        ],
    );
    (res.status(), res.into_string().unwrap_or_default())
}

/// The stored answers of ticket `id`, oldest resolution first: (number, rating, comment).
fn answers(app: &TestApp, id: i64) -> Vec<(i64, Option<String>, String)> {
    app.db
        .read_blocking(move |c| {
            let mut stmt = c.prepare(
                "SELECT number, rating, comment FROM ticket_resolutions WHERE ticket_id = ?1 ORDER BY number",
            )?;
            let rows = stmt
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .expect("answers")
}

fn one_answer(rating: &str, comment: &str) -> Vec<(i64, Option<String>, String)> {
    vec![(1, Some(rating.to_string()), comment.to_string())]
}

/// Moves ticket `id`'s resolutions `days` days into the past.
fn resolved_days_ago(app: &TestApp, id: i64, days: i64) {
    let at = helpdesk::db::now() - days * DAY;
    app.db
        .write_blocking(move |c| {
            c.execute(
                "UPDATE ticket_resolutions SET resolved_at = ?2 WHERE ticket_id = ?1",
                [id, at],
            )?;
            Ok(())
        })
        .expect("backdate");
}

#[test]
fn the_resolved_ticket_page_takes_an_answer_and_a_change_for_7_days() {
    let app = TestApp::new();
    let admin = admin(&app);
    let (tid, id) = resolved_ticket(&app, &app.client, &admin);

    // The contract: the resolved ticket's page has a form with `rating` and `comment`.
    let page = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(
        page.contains(&format!(r#"action="/tickets/{tid}/rate""#)),
        "{page}"
    );
    assert!(page.contains(r#"name="rating" value="good""#), "{page}");
    assert!(page.contains(r#"name="rating" value="bad""#), "{page}");
    assert!(page.contains(r#"<textarea id="rating-comment" name="comment""#));

    let (status, _) = rate(&app.client, &tid, "bad", "Took three days.", "1");
    assert_eq!(status, Status::SeeOther);
    assert_eq!(answers(&app, id), one_answer("bad", "Took three days."));
    let first_at = app.count(&format!(
        "SELECT rated_at FROM ticket_resolutions WHERE ticket_id = {id}"
    ));

    // Within the 7 days a second answer is a change of the same one.
    resolved_days_ago(&app, id, 6);
    let (status, _) = rate(&app.client, &tid, "good", "It works now, actually.", "1");
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        answers(&app, id),
        one_answer("good", "It works now, actually.")
    );
    assert_eq!(
        app.count(&format!(
            "SELECT rated_at FROM ticket_resolutions WHERE ticket_id = {id}"
        )),
        first_at,
        "the first answer's time stays"
    );
    let page = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(
        page.contains("Your answer is changed. Thank you!"),
        "{page}"
    );
    assert!(page.contains("Change my answer"), "{page}");
    // The history has both, the change from the old answer.
    let staff = get_ok(&admin, &format!("/staff/tickets/{id}"));
    assert!(
        staff.contains("Rating: <span class=\"badge rating-bad\">Bad</span> — “Took three days.”"),
        "{staff}"
    );
    assert!(
        staff.contains("Rating: Bad → <span class=\"badge rating-good\">Good</span> — “It works now, actually.”"),
        "{staff}"
    );
    assert!(staff.contains("It works now, actually."));

    // After 7 days: refused, with the reason, and nothing changes.
    resolved_days_ago(&app, id, 8);
    let (status, page) = rate(&app.client, &tid, "bad", "Changed my mind.", "1");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("This survey is closed"), "{page}");
    assert_eq!(
        answers(&app, id),
        one_answer("good", "It works now, actually.")
    );
    // The mail's link has expired with it: it says so and offers no form.
    let page = get_ok(
        &app.client,
        &format!("/tickets/{tid}/rate?rating=bad&resolution=1"),
    );
    assert!(page.contains("This survey is closed"), "{page}");
    assert!(!page.contains(r#"name="rating""#), "{page}");
    // The ticket page shows the answer, no longer a form.
    let page = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(page.contains("You told us we did well"), "{page}");
    assert!(!page.contains(r#"name="rating""#), "{page}");
}

#[test]
fn bad_answers_wrong_links_open_tickets_and_a_survey_turned_off_store_nothing() {
    let app = TestApp::new();
    let admin = admin(&app);

    // An open ticket: nothing to rate.
    let open = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let open_id = ticket_id(&app, &open);
    let page = get_ok(&app.client, &format!("/tickets/{open}/rate?rating=good"));
    assert!(page.contains("This ticket is open"), "{page}");
    assert!(!page.contains(r#"name="rating""#), "{page}");
    let (status, page) = rate(&app.client, &open, "good", "", "");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("it cannot be rated now"), "{page}");
    assert!(answers(&app, open_id).is_empty());

    let (tid, id) = resolved_ticket(&app, &app.client, &admin);
    // Neither answer: a message next to the field.
    for rating in ["", "excellent"] {
        let (status, page) = rate(&app.client, &tid, rating, "hm", "1");
        assert_eq!(status, Status::UnprocessableEntity);
        assert!(page.contains("Choose Good or Bad."), "{page}");
        assert!(page.contains(r#"<textarea id="rating-comment" name="comment" rows="3" maxlength="2000" >hm</textarea>"#), "{page}");
    }
    let (status, page) = rate(&app.client, &tid, "good", &"x".repeat(2001), "1");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("under 2000 characters"), "{page}");
    assert_eq!(answers(&app, id), vec![(1, None, String::new())]);

    // A stranger with a wrong token, or none: the link does not work, nothing is stored.
    let stranger = app.other_client();
    for link in [
        format!("/tickets/{tid}/rate?rating=good&resolution=1&token=0123456789abcdef"),
        format!("/tickets/{tid}/rate?rating=good&resolution=1"),
        "/tickets/not-a-ticket/rate?rating=good&token=x".to_string(),
    ] {
        let res = stranger.get(link.clone()).dispatch();
        assert_eq!(res.status(), Status::NotFound, "{link}");
        let page = res.into_string().unwrap_or_default();
        assert!(page.contains("This rating link does not work"), "{page}");
    }
    let token = csrf(&stranger, "/tickets/new");
    let res = post_form(
        &stranger,
        &format!("/tickets/{tid}/rate"),
        &[
            ("csrf_token", &token),
            ("rating", "bad"),
            ("resolution", "1"),
            ("token", "0123456789abcdef"),
        ],
    );
    assert_eq!(res.status(), Status::NotFound);
    // Without the CSRF token: refused before anything is read.
    let res = post_form(
        &app.client,
        &format!("/tickets/{tid}/rate"),
        &[("rating", "bad"), ("resolution", "1")],
    );
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(answers(&app, id), vec![(1, None, String::new())]);

    // The survey turned off: no form, no answer taken. (Turned off on the requester's own
    // client: each client is a server of its own, with the settings in its memory.)
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = csrf(&app.client, "/admin/settings");
    let res = post_form(
        &app.client,
        "/admin/settings",
        &[
            ("csrf_token", &token),
            ("desk_name", "Helpdesk"),
            ("max_attachment_mb", "10"),
            ("allowed_extensions", "pdf"),
            ("timezone", "UTC"),
            ("auto_close_days", "7"),
            ("csat_shown", "true"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let settings = get_ok(&app.client, "/admin/settings");
    assert!(
        settings.contains(r#"name="csat_enabled" value="true" aria-describedby="csat-help" >"#),
        "{settings}"
    );
    let res = post_form(&app.client, "/staff/logout", &[("csrf_token", &token)]);
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(!page.contains(r#"name="rating""#), "{page}");
    let page = get_ok(&app.client, &format!("/tickets/{tid}/rate?rating=good"));
    assert!(page.contains("does not ask for ratings"), "{page}");
    let (status, page) = rate(&app.client, &tid, "good", "", "1");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("does not ask for ratings"), "{page}");
    assert_eq!(answers(&app, id), vec![(1, None, String::new())]);

    // A settings form that does not know the survey leaves it as it is (off here).
    admin_renames_desk_and_hardware(&app);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM settings WHERE key = 'csat_enabled' AND value = '0'"),
        1
    );
}

#[test]
fn a_reopened_and_re_resolved_ticket_is_rated_again_and_old_links_say_so() {
    let app = TestApp::new();
    let admin = admin(&app);
    let (tid, id) = resolved_ticket(&app, &app.client, &admin);
    let (status, _) = rate(&app.client, &tid, "good", "", "1");
    assert_eq!(status, Status::SeeOther);

    // The requester reopens it: nothing to rate while it is open.
    let token = csrf(&app.client, &format!("/tickets/{tid}"));
    let res = post_form(
        &app.client,
        &format!("/tickets/{tid}/reopen"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let (status, page) = rate(&app.client, &tid, "bad", "", "1");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("it cannot be rated now"), "{page}");
    // Staff still see the first answer, marked as being about an earlier resolution.
    let staff = get_ok(&admin, &format!("/staff/tickets/{id}"));
    assert!(staff.contains("About an earlier resolution"), "{staff}");

    // Resolved again: a second resolution, a second answer. The first mail's link (resolution
    // 1) says what happened and offers the latest instead.
    set_status(&app, &admin, id, "resolved");
    let page = get_ok(
        &app.client,
        &format!("/tickets/{tid}/rate?rating=bad&resolution=1"),
    );
    assert!(
        page.contains("an earlier resolution of the ticket"),
        "{page}"
    );
    assert!(page.contains(r#"name="resolution" value="2""#), "{page}");
    let (status, page) = rate(&app.client, &tid, "bad", "Broke again.", "1");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        page.contains("an earlier resolution of the ticket"),
        "{page}"
    );
    let (status, _) = rate(&app.client, &tid, "bad", "Broke again.", "2");
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        answers(&app, id),
        vec![
            (1, Some("good".into()), String::new()),
            (2, Some("bad".into()), "Broke again.".into())
        ]
    );
    let staff = get_ok(&admin, &format!("/staff/tickets/{id}"));
    assert!(
        staff.contains(r#"<span class="badge rating-bad">Bad</span>"#)
            && staff.contains("Broke again."),
        "{staff}"
    );
    assert!(!staff.contains("About an earlier resolution"), "{staff}");
}

#[test]
fn an_answer_sets_off_no_rule() {
    let app = TestApp::new();
    let admin = admin(&app);
    let (tid, id) = resolved_ticket(&app, &app.client, &admin);
    // A rule on any update by the requester that would put the ticket back in progress.
    let in_progress = app.count("SELECT id FROM statuses WHERE slug = 'in_progress'");
    app.db
        .write_blocking(move |c| {
            c.execute(
                "INSERT INTO rules (name, active, position, event, by_whom, match_mode, conditions,
                     actions, created_at, updated_at)
                 VALUES ('Back to work', 1, 0, 'updated', 'requester', 'all', '[]', ?1, 0, 0)",
                [format!(r#"[{{"set_status": {in_progress}}}]"#)],
            )?;
            Ok(())
        })
        .expect("rule");
    let (status, _) = rate(&app.client, &tid, "good", "", "1");
    assert_eq!(status, Status::SeeOther);
    let resolved = app.count("SELECT id FROM statuses WHERE slug = 'resolved'");
    assert_eq!(
        app.count(&format!("SELECT status_id FROM tickets WHERE id = {id}")),
        resolved
    );
}

#[test]
fn the_survey_pages_are_complete_in_spanish() {
    let app = TestApp::new();
    let admin = admin(&app);
    let requester = app.other_client();
    let lang = || accept_language("es-ES,es;q=0.9");
    let tid = {
        let token = csrf(&requester, "/tickets/new");
        let mut form = Multipart::new();
        form.text("csrf_token", &token)
            .text("name", "Luis")
            .text("email", "luis@office.example")
            .text("category", "1")
            .text("priority", "")
            .text("subject", "Sin red")
            .text("message", "No hay red en la sala 3.");
        let res = form.post(&requester, "/tickets");
        assert_eq!(res.status(), Status::SeeOther);
        location(&res)
            .trim_start_matches("/tickets/")
            .split('?')
            .next()
            .unwrap_or("")
            .to_string()
    };
    let id = ticket_id(&app, &tid);
    set_status(&app, &admin, id, "resolved");
    let page = requester
        .get(format!("/tickets/{tid}/rate?rating=bad"))
        .header(lang())
        .dispatch()
        .into_string()
        .unwrap_or_default();
    for words in [
        "¿Qué tal lo hicimos?",
        "Bien",
        "Mal",
        "Comentario (opcional)",
        "Guardar mi respuesta",
        "Puede cambiar su respuesta hasta el",
        "Volver al ticket",
    ] {
        assert!(page.contains(words), "{words}: {page}");
    }
    for english in ["How did we do", "Good", "Bad", "Comment", "Save my answer"] {
        assert!(!page.contains(english), "{english} in: {page}");
    }
    let token = csrf_in(&page);
    let res = requester
        .post(format!("/tickets/{tid}/rate"))
        .header(rocket::http::ContentType::Form)
        .header(lang())
        .body(format!("csrf_token={token}&rating=x&comment=&resolution=1"))
        .dispatch();
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("Elija Bien o Mal.")
    );
    let (status, _) = rate(&requester, &tid, "bad", "Tardó mucho.", "1");
    assert_eq!(status, Status::SeeOther);
    let page = requester
        .get(format!("/tickets/{tid}"))
        .header(lang())
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(
        page.contains("¡Gracias! Su respuesta se ha guardado."),
        "{page}"
    );
    assert!(page.contains("Nos dijo que lo hicimos mal"), "{page}");
    assert!(page.contains("Cambiar mi respuesta"), "{page}");

    // The staff page in Spanish: the card and the history.
    let token = csrf(&admin, "/staff/preferences");
    let _ = post_form(
        &admin,
        "/lang",
        &[("csrf_token", &token), ("lang", "es"), ("next", "/staff")],
    );
    let staff = get_ok(&admin, &format!("/staff/tickets/{id}"));
    assert!(staff.contains("Valoración del solicitante"), "{staff}");
    assert!(
        staff.contains("Valoración: <span class=\"badge rating-bad\">Mal</span> — “Tardó mucho.”"),
        "{staff}"
    );
}
