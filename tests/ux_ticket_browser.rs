//! The staff ticket page's one form and the desk's keyboard shortcuts in real headless Chromium
//! (issue 15, items 1, 4 and 10): a new priority and a reply saved with one click, "Send and
//! resolve", the confirmation and the focus after a reply; `j`/`k`/Enter in the list, `r`, `n`,
//! `/` and the `?` help, and shortcuts off while typing.

use crate::common;
use crate::common::browser::{
    Driver, admin_password, click, find, selected_label, staff_logs_in, type_into, wait_for,
    xpath_literal,
};
use crate::common::server::Server;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// An employee submits a ticket with `subject` through the portal form.
async fn submit(client: &Client, server: &Server, subject: &str) {
    client
        .goto(&server.url("/tickets/new"))
        .await
        .expect("open the new ticket form");
    type_into(client, "#name", "Ana Garcia").await;
    type_into(client, "#email", "ana@office.example").await;
    find(client, "select#category")
        .await
        .select_by_label("Hardware")
        .await
        .expect("choose Hardware");
    type_into(client, "#subject", subject).await;
    type_into(client, "#message", "It stopped working this morning.").await;
    click(client, "form[action='/tickets'] button[type='submit']").await;
    wait_for(
        client,
        Locator::Css("#tracking-id"),
        "the new ticket's page",
    )
    .await;
}

async fn open_ticket(client: &Client, server: &Server, subject: &str) {
    client
        .goto(&server.url("/staff/tickets"))
        .await
        .expect("open the ticket list");
    let link = format!(
        "//table[contains(@class, 'tickets')]//a[normalize-space(.) = {}]",
        xpath_literal(subject)
    );
    wait_for(client, Locator::XPath(&link), "the ticket in the list")
        .await
        .click()
        .await
        .expect("open the ticket");
    wait_for(client, Locator::Css("form#ticket-form"), "the ticket page").await;
}

/// Waits for the staff message with `text` to be on the page.
async fn message(client: &Client, text: &str) {
    let xpath = format!(
        "//article[contains(@class, 'message-staff')]//div[contains(@class, 'message-body')][contains(., {})]",
        xpath_literal(text)
    );
    wait_for(client, Locator::XPath(&xpath), "the new reply").await;
}

async fn press(client: &Client, key: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    client.perform_actions(keys).await.expect("press a key");
}

async fn active_id(client: &Client) -> String {
    let el = client.active_element().await.expect("active element");
    el.attr("id").await.expect("id").unwrap_or_default()
}

/// The text of the list row holding the focus (its link to the ticket has it).
async fn active_row(client: &Client) -> String {
    let row = client
        .execute(
            "const row = document.activeElement.closest('tr.shortcut-current'); return row ? row.textContent : '';",
            vec![],
        )
        .await
        .expect("the focused row");
    row.as_str().unwrap_or_default().to_string()
}

#[test]
fn one_click_sends_the_reply_and_saves_the_fields() {
    let _heavy = common::heavy_test_lock();
    let driver = Driver::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&dir.path().join("helpdesk.db"));
    let password = admin_password(&server);
    runtime().block_on(async {
        let client = driver.session("one-form").await;
        submit(&client, &server, "Scanner jams").await;
        staff_logs_in(&client, &server, &password).await;
        open_ticket(&client, &server, "Scanner jams").await;

        // A new priority in the sidebar and a reply, sent with one click.
        find(&client, "select#priority")
            .await
            .select_by_label("High")
            .await
            .expect("choose High");
        type_into(&client, "textarea#message", "Cleared the paper path.").await;
        click(&client, "#send-reply").await;
        message(&client, "Cleared the paper path.").await;
        assert_eq!(selected_label(&client, "select#priority").await, "High");
        let entry = "//ol[@class='history']/li[contains(., 'Medium → High')][contains(., 'with a reply')]";
        wait_for(&client, Locator::XPath(entry), "one history entry with both").await;
        // The confirmation, read out, and the new message in view and focused.
        let flash = "//div[@role='status'][contains(@class, 'flash')][normalize-space(.) = 'Reply sent and ticket updated.']";
        wait_for(&client, Locator::XPath(flash), "the confirmation").await;
        let focused = active_id(&client).await;
        let url = client.current_url().await.expect("url");
        assert_eq!(url.fragment(), Some(focused.as_str()), "the new message has the focus");
        assert!(focused.starts_with('m'), "focused: {focused}");

        // "Send and resolve".
        type_into(&client, "textarea#message", "Works again, resolving.").await;
        click(&client, "#send-resolve").await;
        message(&client, "Works again, resolving.").await;
        assert_eq!(selected_label(&client, "select#status").await, "Resolved");
        assert_eq!(selected_label(&client, "select#priority").await, "High");
        let entry = "//ol[@class='history']/li[contains(., 'New → Resolved')][contains(., 'with a reply')]";
        wait_for(&client, Locator::XPath(entry), "the resolution with its reply").await;

        // Refused (an empty reply): the browser keeps it from being sent at all; without that
        // check the server sends the form back with the choice kept (see tests/ux_ticket.rs).
        find(&client, "select#priority")
            .await
            .select_by_label("Low")
            .await
            .expect("choose Low");
        client
            .execute(
                "document.getElementById('message').removeAttribute('required')",
                vec![],
            )
            .await
            .expect("drop the browser's own check");
        click(&client, "#send-reply").await;
        wait_for(
            &client,
            Locator::Css("#message-error"),
            "the error next to the reply box",
        )
        .await;
        assert_eq!(selected_label(&client, "select#priority").await, "Low");
        assert_eq!(active_id(&client).await, "message", "the bad field has the focus");
        client.close().await.expect("close the browser");
    });
}

#[test]
fn keyboard_shortcuts_in_the_desk() {
    let _heavy = common::heavy_test_lock();
    let driver = Driver::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&dir.path().join("helpdesk.db"));
    let password = admin_password(&server);
    runtime().block_on(async {
        let client = driver.session("shortcuts").await;
        submit(&client, &server, "First printer").await;
        submit(&client, &server, "Second printer").await;
        staff_logs_in(&client, &server, &password).await;
        client
            .goto(&server.url("/staff/tickets?sort=created&dir=asc"))
            .await
            .expect("open the list");
        wait_for(&client, Locator::Css("table.tickets"), "the list").await;

        // j / k move the highlight (and the focus) through the list.
        press(&client, 'j').await;
        assert!(active_row(&client).await.contains("First printer"));
        press(&client, 'j').await;
        assert!(active_row(&client).await.contains("Second printer"));
        press(&client, 'k').await;
        assert!(active_row(&client).await.contains("First printer"));
        let rows = client
            .find_all(Locator::Css("tr.shortcut-current"))
            .await
            .expect("highlighted rows");
        assert_eq!(rows.len(), 1, "one highlighted row");
        // / goes to the search box, and types nothing there.
        press(&client, '/').await;
        assert_eq!(active_id(&client).await, "q");
        let q = find(&client, "#q")
            .await
            .prop("value")
            .await
            .expect("value");
        assert_eq!(q.as_deref(), Some(""));
        client
            .execute("document.activeElement.blur()", vec![])
            .await
            .expect("leave the search box");
        // The highlight stayed on the first row: k keeps it there, Enter opens it.
        press(&client, 'k').await;
        assert!(active_row(&client).await.contains("First printer"));
        press(&client, Key::Enter.into()).await;
        wait_for(
            &client,
            Locator::Css("form#ticket-form"),
            "the opened ticket",
        )
        .await;
        assert_eq!(
            find(&client, ".ticket-head h1")
                .await
                .text()
                .await
                .expect("h1"),
            "First printer"
        );

        // r: the reply box; a j typed there is a j.
        press(&client, 'r').await;
        assert_eq!(active_id(&client).await, "message");
        press(&client, 'j').await;
        let text = find(&client, "#message")
            .await
            .prop("value")
            .await
            .expect("value");
        assert_eq!(text.as_deref(), Some("j"));
        assert!(
            client
                .current_url()
                .await
                .expect("url")
                .path()
                .starts_with("/staff/tickets/"),
            "still on the ticket"
        );

        // ? opens the help (a modal dialog), Escape closes it.
        client
            .execute("document.activeElement.blur()", vec![])
            .await
            .expect("leave the reply box");
        press(&client, '?').await;
        let help = find(&client, "#shortcuts-help").await;
        assert_eq!(
            help.prop("open").await.expect("open").as_deref(),
            Some("true")
        );
        assert!(
            help.text()
                .await
                .expect("help text")
                .contains("Next ticket in the list")
        );
        press(&client, Key::Escape.into()).await;
        assert_eq!(
            help.prop("open").await.expect("open").as_deref(),
            Some("false")
        );

        // n: the reply box in note mode.
        press(&client, 'n').await;
        assert_eq!(active_id(&client).await, "message");
        let mode = find(&client, "#note-mode").await;
        assert!(
            mode.is_displayed().await.expect("displayed"),
            "note mode is shown"
        );
        client.close().await.expect("close the browser");
    });
}
