//! End to end through a real browser: headless Chromium driven over WebDriver (chromedriver) against
//! the real binary. An employee submits a ticket with an attachment, an agent answers it and
//! resolves it, adds an internal note, and the employee sees the answer but not the note.
//! The browser and its helpers are in `common::browser`.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common;
use crate::common::browser::{
    Driver, admin_password, click, find, selected_label, staff_logs_in, type_into, wait_for,
    xpath_literal,
};
use crate::common::server::Server;
use fantoccini::{Client, Locator};

const SUBJECT: &str = "Printer on floor 2 is offline";
const MESSAGE: &str = "The printer by the kitchen on floor 2 shows 'offline' since this morning.";
const REPLY: &str = "Restarted the print server, please try again.";
const NOTE: &str = "Switch port 12 replaced";
const ATTACHMENT: &str = "printer-status.txt";
/// XPath of a conversation message of `kind` ("requester", "staff", "note") whose body contains `text`.
fn message_xpath(kind: &str, text: &str) -> String {
    format!(
        "//article[contains(concat(' ', normalize-space(@class), ' '), ' message-{kind} ')]\
         //div[contains(@class, 'message-body')][contains(., {})]",
        xpath_literal(text)
    )
}

async fn employee_submits_ticket(client: &Client, server: &Server, attachment: &Path) -> String {
    client
        .goto(&server.url("/tickets/new"))
        .await
        .expect("open the new ticket form");
    wait_for(
        client,
        Locator::Css("form[action='/tickets']"),
        "the new ticket form",
    )
    .await;
    type_into(client, "#name", "Ana Garcia").await;
    type_into(client, "#email", "ana@office.example").await;
    let category = find(client, "select#category").await;
    category
        .select_by_label("Hardware")
        .await
        .expect("choose the Hardware category");
    assert_eq!(
        category
            .prop("value")
            .await
            .expect("category value")
            .as_deref(),
        Some("2")
    );
    type_into(client, "#subject", SUBJECT).await;
    type_into(client, "#message", MESSAGE).await;
    let file = find(client, "input[name='attachments']").await;
    file.send_keys(attachment.to_str().expect("utf-8 path"))
        .await
        .expect("attach a file");
    click(client, "form[action='/tickets'] button[type='submit']").await;

    let tracking = wait_for(
        client,
        Locator::Css("#tracking-id"),
        "the tracking ID of the new ticket",
    )
    .await;
    let tid = tracking
        .text()
        .await
        .expect("tracking ID text")
        .trim()
        .to_string();
    assert!(
        common::is_tracking_id(&tid),
        "tracking ID {tid:?} should look like XXX-XXX-XXXX"
    );
    let url = client.current_url().await.expect("current url");
    assert_eq!(
        url.path(),
        format!("/tickets/{tid}"),
        "the employee lands on the new ticket's page"
    );
    // The confirmation, the message and the attachment are on the page.
    let confirmation = client
        .find_all(Locator::Css(".alert-success"))
        .await
        .expect("find the confirmation");
    assert!(
        !confirmation.is_empty(),
        "the page after submitting should confirm it with the 'ticket created' banner"
    );
    wait_for(
        client,
        Locator::XPath(&message_xpath("requester", MESSAGE)),
        "the employee's message",
    )
    .await;
    let link = wait_for(
        client,
        Locator::LinkText(ATTACHMENT),
        "the attachment link on the portal",
    )
    .await;
    let href = link.attr("href").await.expect("href").unwrap_or_default();
    assert!(
        href.starts_with(&format!("/tickets/{tid}/attachments/")),
        "portal attachment link: {href}"
    );
    tid
}

async fn agent_logs_in_and_opens_ticket(
    client: &Client,
    server: &Server,
    password: &str,
    tid: &str,
) {
    staff_logs_in(client, server, password).await;
    client
        .goto(&server.url("/staff/tickets"))
        .await
        .expect("open the ticket list");
    let subject_link = format!(
        "//table[contains(@class, 'tickets')]//a[normalize-space(.) = {}]",
        xpath_literal(SUBJECT)
    );
    let link = wait_for(
        client,
        Locator::XPath(&subject_link),
        "the new ticket in the staff list",
    )
    .await;
    link.click().await.expect("click the ticket's subject");

    let head = format!(
        "//header[contains(@class, 'ticket-head')][.//strong[normalize-space(.) = '{tid}']]"
    );
    wait_for(client, Locator::XPath(&head), "the staff ticket page").await;
    let h1 = find(client, ".ticket-head h1").await;
    assert_eq!(h1.text().await.expect("h1").trim(), SUBJECT);
    wait_for(
        client,
        Locator::XPath(&message_xpath("requester", MESSAGE)),
        "the employee's message on the staff page",
    )
    .await;
    let attachment = wait_for(
        client,
        Locator::Css("ul.attachments a"),
        "the attachment list on the staff page",
    )
    .await;
    assert_eq!(
        attachment.text().await.expect("attachment name").trim(),
        ATTACHMENT
    );
}

async fn agent_replies_and_resolves(client: &Client) {
    type_into(client, "textarea#message", REPLY).await;
    click(client, "button[name='kind'][value='resolve']").await;
    wait_for(
        client,
        Locator::XPath(&message_xpath("staff", REPLY)),
        "the agent's reply on the staff page",
    )
    .await;
    // The reload after the redirect shows the new status in the properties form.
    assert_eq!(selected_label(client, "select#status").await, "Resolved");
}

async fn agent_adds_note(client: &Client) {
    type_into(client, "textarea#message", NOTE).await;
    // On a closed ticket the form shows the current status; a note must not reopen it.
    assert_eq!(selected_label(client, "select#status").await, "Resolved");
    click(client, "button[name='kind'][value='note']").await;
    wait_for(
        client,
        Locator::XPath(&message_xpath("note", NOTE)),
        "the internal note on the staff page",
    )
    .await;
    assert_eq!(
        selected_label(client, "select#status").await,
        "Resolved",
        "a note must not change the status"
    );
}

/// The employee reloads the ticket and sees the agent's answer and the Resolved status.
async fn employee_sees_answer(client: &Client, tid: &str) {
    client.refresh().await.expect("reload the ticket page");
    wait_for(
        client,
        Locator::XPath(&message_xpath("staff", REPLY)),
        "the agent's reply on the portal",
    )
    .await;
    let tracking = find(client, "#tracking-id").await;
    assert_eq!(tracking.text().await.expect("tracking ID").trim(), tid);
    let status = find(client, ".ticket-head .status").await;
    assert_eq!(status.text().await.expect("status").trim(), "Resolved");
    let class = status
        .attr("class")
        .await
        .expect("class")
        .unwrap_or_default();
    assert!(
        class.contains("status-resolved"),
        "status badge class: {class}"
    );
    // A resolved ticket offers to reopen it instead of resolving it.
    find(client, &format!("form[action='/tickets/{tid}/reopen']")).await;
}

#[test]
fn employee_and_agent_in_the_browser() {
    let _heavy = common::heavy_test_lock();
    let started = Instant::now();
    let driver = Driver::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&dir.path().join("helpdesk.db"));
    let password = admin_password(&server);
    let attachment = dir.path().join(ATTACHMENT);
    std::fs::write(&attachment, "Printer 2F-KITCHEN: offline since 08:12\n")
        .expect("write the attachment");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let employee = driver.session("employee").await;
        let agent = driver.session("agent").await;

        let tid = employee_submits_ticket(&employee, &server, &attachment).await;

        agent_logs_in_and_opens_ticket(&agent, &server, &password, &tid).await;
        agent_replies_and_resolves(&agent).await;

        employee_sees_answer(&employee, &tid).await;

        agent_adds_note(&agent).await;

        // The employee's page shows the answer, and nothing of the internal note.
        employee_sees_answer(&employee, &tid).await;
        let notes = employee
            .find_all(Locator::Css("article.message-note"))
            .await
            .expect("find notes");
        assert!(
            notes.is_empty(),
            "the portal shows {} internal note(s)",
            notes.len()
        );
        let source = employee.source().await.expect("page source");
        assert!(
            !source.contains(NOTE),
            "the portal must not show the internal note; page:\n{source}"
        );
        let messages = employee
            .find_all(Locator::Css("article.message"))
            .await
            .expect("find messages");
        assert_eq!(
            messages.len(),
            2,
            "the employee sees their message and the agent's reply only"
        );

        let png = employee.screenshot().await.expect("screenshot");
        let shot = dir.path().join("employee-ticket.png");
        std::fs::write(&shot, &png).expect("save the screenshot");
        let saved = std::fs::read(&shot).expect("read the screenshot");
        assert!(
            saved.len() > 1000,
            "screenshot is only {} bytes",
            saved.len()
        );
        assert!(
            saved.starts_with(b"\x89PNG\r\n\x1a\n"),
            "screenshot is not a PNG"
        );

        agent.close().await.expect("close the agent's browser");
        employee
            .close()
            .await
            .expect("close the employee's browser");
    });
    drop(driver);
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(30),
        "the browser test took {elapsed:?}; keep it under 30 s"
    );
}

const KB_TITLE: &str = "Fix an offline printer";
const KB_SLUG: &str = "fix-an-offline-printer";

/// The knowledge base's scripts: the ticket form remembers which articles it suggested (counted
/// when the ticket is sent), and an agent inserts an article link into a reply at the cursor.
#[test]
fn knowledge_base_scripts_in_the_browser() {
    let _heavy = common::heavy_test_lock();
    let driver = Driver::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&dir.path().join("helpdesk.db"));
    let password = admin_password(&server);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let agent = driver.session("kb-agent").await;
        let employee = driver.session("kb-employee").await;

        // The agent publishes an article.
        staff_logs_in(&agent, &server, &password).await;
        agent
            .goto(&server.url("/staff/kb/new"))
            .await
            .expect("open the article editor");
        type_into(&agent, "#title_en", KB_TITLE).await;
        type_into(&agent, "#body_en", "Turn the printer off and on again.").await;
        find(&agent, "select#state")
            .await
            .select_by_label("Published")
            .await
            .expect("choose Published");
        click(&agent, "form.card button[type='submit']").await;
        wait_for(
            &agent,
            Locator::Css("#kb-files-input"),
            "the saved article's editor",
        )
        .await;

        // The employee writes a ticket; the suggestion is shown and remembered in the form.
        employee
            .goto(&server.url("/tickets/new"))
            .await
            .expect("open the new ticket form");
        type_into(&employee, "#name", "Ana Garcia").await;
        type_into(&employee, "#email", "ana@office.example").await;
        find(&employee, "select#category")
            .await
            .select_by_label("Hardware")
            .await
            .expect("choose Hardware");
        type_into(&employee, "#subject", SUBJECT).await;
        type_into(&employee, "#message", MESSAGE).await;
        wait_for(
            &employee,
            Locator::Css(&format!("#suggestions a[href='/kb/{KB_SLUG}']")),
            "the suggested article",
        )
        .await;
        let shown = find(&employee, "#shown_articles")
            .await
            .prop("value")
            .await
            .expect("hidden field value");
        assert_eq!(shown.as_deref(), Some(KB_SLUG));
        click(&employee, "form[action='/tickets'] button[type='submit']").await;
        wait_for(
            &employee,
            Locator::Css("#tracking-id"),
            "the new ticket's page",
        )
        .await;

        // Staff see that the article was shown to someone who still needed a ticket.
        agent
            .goto(&server.url("/staff/kb"))
            .await
            .expect("open the staff knowledge base");
        let shown_cell = format!(
            "//tr[.//a[normalize-space(.) = {}]]//dd[@data-count = 'shown']",
            xpath_literal(KB_TITLE)
        );
        let cell = wait_for(&agent, Locator::XPath(&shown_cell), "the shown count").await;
        assert_eq!(cell.text().await.expect("shown count").trim(), "1");

        // On the ticket, the agent searches the knowledge base and inserts the link.
        agent
            .goto(&server.url("/staff/tickets"))
            .await
            .expect("open the ticket list");
        let subject_link = format!(
            "//table[contains(@class, 'tickets')]//a[normalize-space(.) = {}]",
            xpath_literal(SUBJECT)
        );
        wait_for(&agent, Locator::XPath(&subject_link), "the ticket")
            .await
            .click()
            .await
            .expect("open the ticket");
        type_into(&agent, "textarea#message", "Please see ").await;
        click(&agent, "#kb-links summary").await;
        type_into(&agent, "#kb-links-q", "printer").await;
        wait_for(
            &agent,
            Locator::Css("#kb-links-results button"),
            "a search result to insert",
        )
        .await
        .click()
        .await
        .expect("insert the link");
        let text = find(&agent, "textarea#message")
            .await
            .prop("value")
            .await
            .expect("reply text")
            .unwrap_or_default();
        assert!(
            text.starts_with(&format!("Please see {KB_TITLE}: http"))
                && text.ends_with(&format!("/kb/{KB_SLUG}")),
            "reply text after inserting the link: {text:?}"
        );

        agent.close().await.expect("close the agent's browser");
        employee
            .close()
            .await
            .expect("close the employee's browser");
    });
    drop(driver);
}
