//! Accessibility through a real browser: axe-core (`a11y_axe`) on every page of the portal, the
//! desk and the admin (`a11y_pages`), in light and dark mode, in English and Spanish, at desktop
//! (1366x900) and phone (390x844) width; any serious or critical violation fails, named with its
//! rule, page and elements. At phone width no page may scroll sideways either.
//!
//! One browser session per mode (light/dark × desktop/phone), each going through every page in
//! both languages; no waits beyond each page's load. `HELPDESK_A11Y_ONLY=/admin/webhooks,/kb` checks
//! only the pages whose path contains one of those texts (while fixing them).

use std::time::Instant;

use crate::a11y_axe::{self, MODES, Mode};
use crate::a11y_pages::{self, PageSpec, Who};
use crate::common;
use crate::common::browser::{Driver, click, type_into, wait_for};
use crate::common::server::Server;
use fantoccini::{Client, Locator};

/// What went wrong on one page in one mode and language.
fn problem(mode: Mode, lang: &str, path: &str, what: &str) -> String {
    format!("[{} · {lang}] {path}\n    {what}", mode.name)
}

async fn switch_language(client: &Client, server: &Server, lang: &str) {
    client.delete_all_cookies().await.expect("clear cookies");
    client
        .goto(&server.url("/"))
        .await
        .expect("open the portal");
    if lang != "en" {
        click(client, &format!("button[name='lang'][value='{lang}']")).await;
    }
    wait_for(
        client,
        Locator::Css(&format!("html[lang='{lang}']")),
        "the page in the chosen language",
    )
    .await;
}

async fn staff_signs_in(client: &Client, server: &Server) {
    client
        .goto(&server.url("/staff/login"))
        .await
        .expect("open the login page");
    type_into(client, "#email", common::ADMIN_EMAIL).await;
    type_into(client, "#password", common::ADMIN_PASSWORD).await;
    click(client, "form[action='/staff/login'] button[type='submit']").await;
    wait_for(
        client,
        Locator::Css("form[action='/staff/logout']"),
        "the staff navigation after signing in",
    )
    .await;
}

/// Opens `page` and returns what is wrong with it in `mode`.
async fn check_page(
    client: &Client,
    server: &Server,
    axe: &str,
    mode: Mode,
    lang: &str,
    page: &PageSpec,
) -> Vec<String> {
    client
        .goto(&server.url(&page.path))
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", page.path));
    let mut problems = Vec::new();
    // The page itself, not a sign-in page it sent us to.
    let at = client.current_url().await.expect("current url");
    let wanted = page.path.split('?').next().unwrap_or("");
    if at.path() != wanted {
        problems.push(problem(
            mode,
            lang,
            &page.path,
            &format!("went to {} instead", at.path()),
        ));
        return problems;
    }
    for violation in a11y_axe::serious_violations(client, axe).await {
        problems.push(problem(mode, lang, &page.path, &violation));
    }
    if mode.is_phone()
        && let Some(wide) = a11y_axe::sideways_scroll(client).await
    {
        problems.push(problem(
            mode,
            lang,
            &page.path,
            &format!("scrolls sideways: {wide}"),
        ));
    }
    problems
}

async fn check_mode(
    driver: &Driver,
    profiles: &std::path::Path,
    server: &Server,
    axe: &str,
    pages: &[PageSpec],
    mode: Mode,
) -> Vec<String> {
    let started = Instant::now();
    let client = a11y_axe::session(driver, profiles, mode, axe).await;
    let mut problems = Vec::new();
    for lang in ["en", "es"] {
        switch_language(&client, server, lang).await;
        a11y_axe::assert_mode(&client, mode).await;
        for who in [Who::Employee, Who::Staff] {
            if who == Who::Staff {
                staff_signs_in(&client, server).await;
            }
            for page in pages.iter().filter(|p| p.who == who) {
                problems.extend(check_page(&client, server, axe, mode, lang, page).await);
            }
        }
    }
    client.close().await.expect("close the browser");
    eprintln!(
        "a11y: {}: {} page views in {:?}",
        mode.name,
        pages.len() * 2,
        started.elapsed()
    );
    problems
}

#[test]
fn every_page_is_accessible_in_light_and_dark_english_and_spanish_desktop_and_phone() {
    let _heavy = common::heavy_test_lock();
    let axe = a11y_axe::axe_source();
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let seeded = a11y_pages::seed(&db);
    let mut pages = a11y_pages::pages(&seeded);
    if let Ok(only) = std::env::var("HELPDESK_A11Y_ONLY") {
        pages.retain(|p| only.split(',').any(|o| p.path.contains(o)));
    }
    let server = Server::start(&db);
    let driver = Driver::start();
    let profiles = dir.path().join("profiles");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    // The four sessions side by side: while one waits for the server or WebDriver, another's
    // page renders or axe runs.
    let problems: Vec<String> = rt.block_on(async {
        let check = |mode| check_mode(&driver, &profiles, &server, &axe, &pages, mode);
        let (a, b, c, d) = tokio::join!(
            check(MODES[0]),
            check(MODES[1]),
            check(MODES[2]),
            check(MODES[3])
        );
        [a, b, c, d].concat()
    });
    drop(driver);
    let checked = pages.len() * MODES.len() * 2;
    assert!(
        problems.is_empty(),
        "{} problems on {checked} page views:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // How long it took, for whoever keeps it short (no limit asserted: a busy machine is slower).
    eprintln!("a11y: {checked} page views in {:?}", started.elapsed());
}
