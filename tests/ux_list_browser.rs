//! The staff ticket list in a real headless Chromium: with a page of demo tickets it fits a
//! 1280 px and a 1366 px wide window in English and in Spanish (every default column heading
//! inside the window, nothing scrolling sideways, not even inside the table's frame), and at
//! 390 px (a phone) it is a list of cards showing subject, status and requester without
//! sideways scrolling.

use crate::common;
use crate::common::browser::{Driver, click, staff_logs_in, wait_for};
use crate::common::server::{Server, run};
use fantoccini::{Client, Locator};
use serde_json::Value;

const PASSWORD: &str = "list-fits-admin-1";

/// The headings of the default columns, in page order (the bulk actions' checkboxes first).
const HEADINGS_EN: [&str; 8] = [
    "Select", "ID", "Subject", "Status", "Priority", "Due", "Assignee", "Updated",
];
const HEADINGS_ES: [&str; 8] = [
    "Seleccionar",
    "Código",
    "Asunto",
    "Estado",
    "Prioridad",
    "Vence",
    "Responsable",
    "Actualizado",
];

/// Makes the page's viewport `width` x `height` CSS pixels (the window's frame, if any, added).
async fn viewport(client: &Client, width: u32, height: u32) {
    client
        .set_window_size(width, height)
        .await
        .expect("resize the window");
    let inner = client
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await
        .expect("read the viewport");
    let (w, h) = (
        inner[0].as_i64().unwrap_or(0),
        inner[1].as_i64().unwrap_or(0),
    );
    if (w, h) != (i64::from(width), i64::from(height)) {
        let dw = (i64::from(width) - w).max(0) as u32;
        let dh = (i64::from(height) - h).max(0) as u32;
        client
            .set_window_size(width + dw, height + dh)
            .await
            .expect("resize the window to fit the viewport");
    }
}

/// What the list page measures in the browser: the page's and the table frame's widths and
/// each column heading's text and right edge.
async fn measure(client: &Client) -> Value {
    client
        .execute(
            r#"
            const doc = document.documentElement;
            const wrap = document.querySelector('.table-wrap');
            return {
              inner: window.innerWidth,
              client: doc.clientWidth,
              scroll: doc.scrollWidth,
              wrap_scroll: wrap ? wrap.scrollWidth : -1,
              wrap_client: wrap ? wrap.clientWidth : -1,
              rows: document.querySelectorAll('table.tickets tbody tr').length,
              heads: [...document.querySelectorAll('table.tickets thead th')].map(th => {
                const r = th.getBoundingClientRect();
                return { text: th.textContent.trim(), left: r.left, right: r.right };
              }),
            };"#,
            vec![],
        )
        .await
        .expect("measure the list")
}

async fn list_fits(client: &Client, server: &Server, width: u32, headings: &[&str]) {
    viewport(client, width, 900).await;
    client
        .goto(&server.url("/staff/tickets?view=all"))
        .await
        .expect("open the list");
    wait_for(client, Locator::Css("table.tickets"), "the ticket list").await;
    let m = measure(client).await;
    let what = format!("at {width} px: {m}");
    assert_eq!(m["inner"].as_i64(), Some(i64::from(width)), "{what}");
    assert_eq!(m["rows"].as_i64(), Some(25), "a full page: {what}");
    let client_width = m["client"].as_f64().unwrap_or(0.0);
    assert!(
        m["scroll"].as_f64().unwrap_or(f64::MAX) <= client_width,
        "the page scrolls sideways {what}"
    );
    assert!(
        m["wrap_scroll"].as_i64() <= m["wrap_client"].as_i64(),
        "the table scrolls inside its frame {what}"
    );
    let heads = m["heads"].as_array().cloned().unwrap_or_default();
    let texts: Vec<&str> = heads.iter().filter_map(|h| h["text"].as_str()).collect();
    assert_eq!(texts, headings, "{what}");
    for h in &heads {
        let right = h["right"].as_f64().unwrap_or(f64::MAX);
        assert!(
            h["left"].as_f64().unwrap_or(-1.0) >= 0.0 && right <= client_width,
            "heading {} is cut off {what}",
            h["text"]
        );
    }
}

/// At phone width: no sideways scrolling, and each ticket a card whose subject, status and
/// requester are inside the screen.
async fn cards_on_a_phone(client: &Client, server: &Server) {
    viewport(client, 390, 844).await;
    client
        .goto(&server.url("/staff/tickets?view=all"))
        .await
        .expect("open the list");
    wait_for(client, Locator::Css("table.tickets"), "the ticket list").await;
    let m = client
        .execute(
            r#"
            const doc = document.documentElement;
            const seen = el => {
              if (!el) return false;
              const r = el.getBoundingClientRect();
              return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= doc.clientWidth;
            };
            const rows = [...document.querySelectorAll('table.tickets tbody tr')];
            return {
              client: doc.clientWidth,
              scroll: doc.scrollWidth,
              rows: rows.length,
              cards: rows.every(tr => getComputedStyle(tr).display === 'flex'),
              heads_hidden: document.querySelector('table.tickets thead')
                .getBoundingClientRect().width <= 1,
              complete: rows.filter(tr => seen(tr.querySelector('.tk-subject'))
                && seen(tr.querySelector('.status'))
                && seen(tr.querySelector('.tk-requester'))
                && seen(tr.querySelector('.col-updated time'))).length,
            };"#,
            vec![],
        )
        .await
        .expect("measure the cards");
    let what = format!("at 390 px: {m}");
    assert!(
        m["scroll"].as_i64() <= m["client"].as_i64(),
        "the page scrolls sideways {what}"
    );
    assert_eq!(m["rows"].as_i64(), Some(25), "{what}");
    assert_eq!(m["cards"], Value::Bool(true), "rows are cards {what}");
    assert_eq!(m["heads_hidden"], Value::Bool(true), "{what}");
    assert_eq!(
        m["complete"].as_i64(),
        Some(25),
        "every card shows subject, status, requester and time {what}"
    );
}

#[test]
fn the_staff_list_fits_1280_and_1366_px_in_both_languages_and_is_cards_on_a_phone() {
    let _heavy = common::heavy_test_lock();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    // Demo tickets (varied subjects, requesters, agents, deadlines) and an admin to look.
    let demo = run(
        &db,
        &["demo", "--tickets", "40", "--articles", "0"],
        &[],
        b"",
    );
    assert_eq!(demo.code, Some(0), "{demo:?}");
    let admin = run(
        &db,
        &[
            "user",
            "add",
            "--role",
            "admin",
            "--email",
            "admin@localhost",
            "--name",
            "Administración del servicio",
            "--password-stdin",
        ],
        &[],
        format!("{PASSWORD}\n").as_bytes(),
    );
    assert_eq!(admin.code, Some(0), "{admin:?}");
    let server = Server::start(&db);
    let driver = Driver::start();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let client = driver.session("list-fits").await;
        staff_logs_in(&client, &server, PASSWORD).await;
        for width in [1280, 1366] {
            list_fits(&client, &server, width, &HEADINGS_EN).await;
        }
        cards_on_a_phone(&client, &server).await;
        click(&client, "form.lang-switch button[value='es']").await;
        wait_for(&client, Locator::Css("html[lang='es']"), "the Spanish page").await;
        for width in [1280, 1366] {
            list_fits(&client, &server, width, &HEADINGS_ES).await;
        }
        cards_on_a_phone(&client, &server).await;
        client.close().await.expect("close the browser");
    });
    drop(driver);
}
