//! The print view of a ticket, for the paper file: the conversation without internal notes
//! (with them on `notes=1`, for staff only), no navigation, laid out for A4.

use rocket::http::Status;

use crate::common::*;

#[test]
fn the_print_view_leaves_internal_notes_out_unless_staff_ask() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    for (kind, text) in [
        ("reply", "We replaced the toner."),
        ("note", "Secret note: toner was stolen."),
    ] {
        let token = csrf(&staff, &format!("/staff/tickets/{id}"));
        let mut form = Multipart::new();
        form.text("csrf_token", &token)
            .text("kind", kind)
            .text("message", text);
        assert_eq!(
            form.post(&staff, &format!("/staff/tickets/{id}/reply"))
                .status(),
            Status::SeeOther
        );
    }
    let ticket_page = get_ok(&staff, &format!("/staff/tickets/{id}"));
    assert!(ticket_page.contains(&format!("href=\"/staff/tickets/{id}/print\"")));

    let print = get_ok(&staff, &format!("/staff/tickets/{id}/print"));
    assert!(
        print.contains("We replaced the toner.") && print.contains("The printer by the kitchen")
    );
    assert!(
        !print.contains("Secret note"),
        "no internal notes by default"
    );
    assert!(!print.contains("class=\"topbar\""), "no navigation");
    assert!(print.contains("/static/print.css"));
    let with = get_ok(&staff, &format!("/staff/tickets/{id}/print?notes=1"));
    assert!(with.contains("Secret note: toner was stolen."));
    let css = get_ok(&staff, "/static/print.css");
    assert!(css.contains("@page") && css.contains("size: A4"), "{css}");

    // The requester's print view (their browser holds the ticket from submitting it).
    let portal = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(portal.contains(&format!("href=\"/tickets/{tid}/print\"")));
    let print = get_ok(&app.client, &format!("/tickets/{tid}/print"));
    assert!(print.contains("We replaced the toner.") && !print.contains("Secret note"));
    let print = get_ok(&app.client, &format!("/tickets/{tid}/print?notes=1"));
    assert!(!print.contains("Secret note"), "never notes for requesters");
    // Somebody else cannot print it; Spanish works.
    assert_eq!(
        app.other_client()
            .get(format!("/tickets/{tid}/print"))
            .dispatch()
            .status(),
        Status::NotFound
    );
    let es = staff
        .get(format!("/staff/tickets/{id}/print"))
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap();
    assert!(
        es.contains("Imprimir") && es.contains("Volver a la solicitud"),
        "{es}"
    );
}
