//! Similar solved tickets in real headless Chromium: the list loads into the staff ticket page
//! after it is shown, and "Use this reply" puts the solving reply into the reply box in place,
//! after what the agent already typed, without leaving the page.

use crate::common;
use crate::common::browser::{
    Driver, admin_password, click, find, staff_logs_in, type_into, wait_for, xpath_literal,
};
use crate::common::server::Server;
use fantoccini::{Client, Locator};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

async fn submit(client: &Client, server: &Server, subject: &str, message: &str) {
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
    type_into(client, "#message", message).await;
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
        .goto(&server.url("/staff/tickets?view=all"))
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

#[test]
fn use_this_reply_fills_the_reply_box_in_place() {
    let _heavy = common::heavy_test_lock();
    let driver = Driver::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&dir.path().join("helpdesk.db"));
    let password = admin_password(&server);
    runtime().block_on(async {
        let client = driver.session("similar").await;
        submit(
            &client,
            &server,
            "Scanner streaks",
            "The scanner leaves streaks on every scan.",
        )
        .await;
        submit(
            &client,
            &server,
            "Scanner streaks again",
            "Streaks on scans from the scanner.",
        )
        .await;
        staff_logs_in(&client, &server, &password).await;
        open_ticket(&client, &server, "Scanner streaks").await;
        type_into(&client, "textarea#message", "Cleaned the scanner glass.").await;
        click(&client, "#send-resolve").await;
        wait_for(
            &client,
            Locator::Css(".message-staff"),
            "the resolving reply",
        )
        .await;

        open_ticket(&client, &server, "Scanner streaks again").await;
        let before = client.current_url().await.expect("url");
        wait_for(
            &client,
            Locator::Css("a.similar-reuse"),
            "the similar solved ticket",
        )
        .await;
        type_into(&client, "textarea#message", "Hello Ana,").await;
        click(&client, "a.similar-reuse").await;
        let text = client
            .execute("return document.getElementById('message').value;", vec![])
            .await
            .expect("the reply box");
        assert_eq!(
            text.as_str(),
            Some("Hello Ana,\n\nCleaned the scanner glass.")
        );
        assert_eq!(
            client.current_url().await.expect("url"),
            before,
            "still the same page"
        );
        client.close().await.expect("close the browser");
    });
}
