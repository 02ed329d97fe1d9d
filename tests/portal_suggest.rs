//! The ticket form's suggestions in a real browser: typing a subject shows the matching articles
//! right under the subject field, as text (no Markdown), each with one "This solved my problem"
//! that shows on hover or focus; tabbing from the subject reaches Submit before any suggestion;
//! no other employee's ticket is shown; and axe-core finds nothing serious with them open.

use crate::a11y_axe::{self, MODES};
use crate::common::browser::{Driver, click, type_into, wait_for};
use crate::common::server::Server;
use crate::common::*;
use crate::portal_home::{article, staff};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

async fn js(client: &Client, script: &str) -> Value {
    client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Presses Tab on the keyboard (as a person does: to whatever has the focus).
async fn press_tab(client: &Client) {
    let tab = char::from(Key::Tab);
    let keys = KeyActions::new("keyboard".to_string())
        .then(KeyAction::Down { value: tab })
        .then(KeyAction::Up { value: tab });
    client.perform_actions(keys).await.expect("press Tab");
}

/// Where the focus is: (the element's id or tag, whether it is inside the suggestions).
async fn focused(client: &Client) -> (String, bool) {
    let v = js(
        client,
        "const a = document.activeElement; \
         return [a.id || (a.tagName + ':' + (a.getAttribute('type') || '')), !!a.closest('#suggestions')];",
    )
    .await;
    (
        v[0].as_str().unwrap_or("").to_string(),
        v[1].as_bool().unwrap_or(false),
    )
}

#[test]
fn suggestions_show_under_the_subject_as_text_with_one_solved_button_each() {
    let _heavy = heavy_test_lock();
    let axe = a11y_axe::axe_source();
    let app = TestApp::new();
    let staff = staff(&app);
    article(
        &staff,
        "printer-offline",
        "published",
        "Printer shows offline",
        "Turn the **printer** off and on, then check the *network cable*.",
    );
    article(
        &staff,
        "printer-toner",
        "published",
        "Change the printer toner",
        "Open the front door of the `printer` and pull the cartridge.",
    );
    article(
        &staff,
        "printer-internal",
        "internal",
        "Printer admin page",
        "The printer's admin password is in the vault.",
    );
    // Another employee's open ticket about printers.
    submit_ticket(
        &app.other_client(),
        &TicketInput {
            subject: "Printer jammed on floor 3",
            name: "Someone Else",
            email: "someone@office.example",
            ..TicketInput::default()
        },
        &[],
    );
    let server = Server::start(&app.config.db);
    let driver = Driver::start();
    let profiles = app.dir.path().join("profiles");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let client = a11y_axe::session(&driver, &profiles, MODES[0], &axe).await;
        client
            .goto(&server.url("/tickets/new"))
            .await
            .expect("open the form");
        type_into(&client, "#subject", "printer network cable").await;
        wait_for(
            &client,
            Locator::Css("#suggestions .suggest-item a[href='/kb/printer-offline']"),
            "the suggested articles",
        )
        .await;

        // Right under the subject, above the message.
        let layout = js(
            &client,
            "const r = (s) => document.querySelector(s).getBoundingClientRect(); \
             return [r('#subject').bottom, r('#suggestions').top, r('#suggestions').bottom, \
                     r('label[for=message]').top];",
        )
        .await;
        let [subject, top, bottom, message] =
            [0, 1, 2, 3].map(|i| layout[i].as_f64().expect("a position"));
        assert!(
            subject <= top && top - subject < 40.0 && bottom <= message,
            "the suggestions sit between the subject and the message: {layout}"
        );

        // Text, not Markdown; published articles only; nobody's ticket.
        let text = js(
            &client,
            "return document.getElementById('suggestions').innerText;",
        )
        .await;
        let text = text.as_str().unwrap_or("");
        assert!(
            text.contains("Turn the printer off and on, then check the network cable."),
            "{text}"
        );
        for absent in ["**", "`", "*network", "admin page", "floor 3", "jammed"] {
            assert!(!text.contains(absent), "{absent} in the suggestions: {text}");
        }

        // One "This solved my problem" per article, seen only while the article has the
        // pointer or the focus.
        let buttons = js(
            &client,
            "return [...document.querySelectorAll('#suggestions .suggest-item')].map((li) => \
               [...li.querySelectorAll('button')].map((b) => [b.textContent, getComputedStyle(b).opacity]));",
        )
        .await;
        assert_eq!(
            buttons,
            json!([
                [["This solved my problem", "0"]],
                [["This solved my problem", "0"]]
            ]),
            "one hidden button per article"
        );

        // Tab from the subject: the form's fields, then Submit, and only then the suggestions.
        click(&client, "#subject").await;
        let mut order = Vec::new();
        loop {
            press_tab(&client).await;
            let (what, in_suggestions) = focused(&client).await;
            assert!(
                !in_suggestions,
                "a suggestion comes before Submit in the tab order: {order:?}"
            );
            order.push(what.clone());
            if what == "BUTTON:submit" {
                break;
            }
            assert!(order.len() < 10, "Submit never got the focus: {order:?}");
        }
        assert_eq!(order.first().map(String::as_str), Some("message"));
        press_tab(&client).await;
        assert!(focused(&client).await.1, "after Submit: the suggestions");
        // The focused article shows its button, the other does not.
        let shown = js(
            &client,
            "return [...document.querySelectorAll('#suggestions .suggest-solved')].map((b) => getComputedStyle(b).opacity);",
        )
        .await;
        assert_eq!(shown, json!(["1", "0"]));

        // Accessible with the suggestions open.
        let violations = a11y_axe::serious_violations(&client, &axe).await;
        assert!(violations.is_empty(), "{}", violations.join("\n"));

        // The button thanks the employee.
        click(&client, "#suggestions .suggest-item:first-child .suggest-solved").await;
        wait_for(
            &client,
            Locator::Css("#suggestions .suggest-thanks"),
            "the thanks",
        )
        .await;
        client.close().await.expect("close the browser");
    });
    drop(driver);
    assert_eq!(
        app.count("SELECT deflections FROM kb_articles WHERE slug = 'printer-offline'"),
        1
    );
}
