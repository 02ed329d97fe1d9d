//! axe-core in a real Chromium, for the accessibility checks (`a11y`, `portal_suggest`): the
//! browser sessions of each mode (light or dark, desktop or phone width), axe's script, a run of
//! it on the open page that keeps the serious and critical violations, and the check that a page
//! does not scroll sideways.
//!
//! axe-core comes from npm: `tests/run.sh` installs it under `target/a11y` when it is missing;
//! `HELPDESK_AXE_JS` may name another copy of `axe.min.js`.

use std::path::{Path, PathBuf};

use crate::common::browser::Driver;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

/// One way of looking at the pages.
#[derive(Clone, Copy, Debug)]
pub struct Mode {
    pub name: &'static str,
    pub dark: bool,
    pub width: u32,
    pub height: u32,
}

pub const DESKTOP: (u32, u32) = (1366, 900);
pub const PHONE: (u32, u32) = (390, 844);

pub const MODES: [Mode; 4] = [
    Mode {
        name: "light desktop",
        dark: false,
        width: DESKTOP.0,
        height: DESKTOP.1,
    },
    Mode {
        name: "dark desktop",
        dark: true,
        width: DESKTOP.0,
        height: DESKTOP.1,
    },
    Mode {
        name: "light phone",
        dark: false,
        width: PHONE.0,
        height: PHONE.1,
    },
    Mode {
        name: "dark phone",
        dark: true,
        width: PHONE.0,
        height: PHONE.1,
    },
];

impl Mode {
    pub fn is_phone(&self) -> bool {
        self.width == PHONE.0
    }
}

/// Where `axe.min.js` is: `HELPDESK_AXE_JS`, else where `tests/run.sh` installs it.
pub fn axe_path() -> PathBuf {
    match std::env::var_os("HELPDESK_AXE_JS") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/a11y/node_modules/axe-core/axe.min.js"),
    }
}

/// axe-core's script, or a panic saying how to get it.
pub fn axe_source() -> String {
    let path = axe_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is missing ({}: {e}). `bash tests/run.sh` installs it \
             (npm install --no-save --prefix target/a11y axe-core@4), or set HELPDESK_AXE_JS \
             to an axe.min.js",
            path.display()
        )
    })
}

/// A browser session for `mode`, with its own profile under `profiles`: dark mode is Blink's
/// preferred colour scheme (what `prefers-color-scheme` reads; the app has no switch of its own),
/// the viewport is set to the mode's size, and every page gets axe-core (`axe`).
pub async fn session(driver: &Driver, profiles: &Path, mode: Mode, axe: &str) -> Client {
    let profile = profiles.join(mode.name.replace(' ', "-"));
    std::fs::create_dir_all(&profile).expect("profile dir");
    // 0 is dark, 1 light.
    let scheme = if mode.dark { 0 } else { 1 };
    let caps = json!({
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        // axe on a long page of a busy machine takes a few seconds.
        "timeouts": { "pageLoad": 20_000, "script": 30_000, "implicit": 0 },
        "goog:chromeOptions": {
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                format!("--blink-settings=preferredColorScheme={scheme}"),
                format!("--user-data-dir={}", profile.display()),
                format!("--window-size={},{}", mode.width, mode.height),
            ],
        },
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    let client = match ClientBuilder::native()
        .capabilities(caps)
        .connect(&driver.url())
        .await
    {
        Ok(client) => client,
        Err(e) => panic!(
            "could not start a Chromium session ({e}); chromedriver log:\n{}",
            driver.log_tail()
        ),
    };
    client
        .set_window_size(mode.width, mode.height)
        .await
        .expect("set the window size");
    load_on_every_page(driver, &client, axe).await;
    client
}

/// Has Chromium run axe-core's script at the start of every page this session opens (DevTools'
/// `Page.addScriptToEvaluateOnNewDocument`, through chromedriver): sent once per session rather
/// than with each page, where sending and parsing it took longer than axe's run.
async fn load_on_every_page(driver: &Driver, client: &Client, axe: &str) {
    let session = client
        .session_id()
        .await
        .expect("session id")
        .expect("a session");
    let url = format!("{}/session/{session}/goog/cdp/execute", driver.url());
    let body = json!({
        "cmd": "Page.addScriptToEvaluateOnNewDocument",
        "params": { "source": axe },
    });
    tokio::task::spawn_blocking(move || {
        ureq::post(&url)
            .set("Content-Type", "application/json")
            .send_string(&body.to_string())
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .await
    .expect("the DevTools call")
    .unwrap_or_else(|e| panic!("register axe-core with Chromium: {e}"));
}

/// Checks that the open page is seen as `mode` says: its viewport width and colour scheme.
pub async fn assert_mode(client: &Client, mode: Mode) {
    let seen = client
        .execute(
            "return [window.innerWidth, matchMedia('(prefers-color-scheme: dark)').matches];",
            vec![],
        )
        .await
        .expect("read the viewport");
    assert_eq!(
        seen,
        json!([mode.width, mode.dark]),
        "{}: the browser's viewport width and dark mode",
        mode.name
    );
}

/// Runs axe-core on the open page; each serious or critical violation as a readable line (rule,
/// impact, what it asks, and each node's selector with axe's summary).
pub async fn serious_violations(client: &Client, axe: &str) -> Vec<String> {
    let loaded = client
        .execute("return typeof axe !== 'undefined';", vec![])
        .await
        .expect("look for axe-core");
    if loaded != json!(true) {
        client.execute(axe, vec![]).await.expect("inject axe-core");
    }
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ['violations'], performanceTimer: false }).then((r) => {
          done(r.violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                           nodes: v.nodes.slice(0, 8).map((n) => ({
                             target: n.target.join(' '),
                             summary: (n.failureSummary || '').replace(/\s+/g, ' ') })),
                           more: Math.max(0, v.nodes.length - 8) })));
        }, (e) => done({ error: String(e) }));
    "#;
    let result = client
        .execute_async(script, vec![])
        .await
        .expect("run axe-core");
    if let Some(error) = result.get("error") {
        panic!("axe-core failed: {error}");
    }
    result
        .as_array()
        .expect("axe's violations")
        .iter()
        .map(|v| {
            let mut line = format!("{} ({}): {}", v["id"], v["impact"], v["help"]);
            for node in v["nodes"].as_array().into_iter().flatten() {
                line.push_str(&format!(
                    "\n      {} — {}",
                    node["target"].as_str().unwrap_or(""),
                    node["summary"].as_str().unwrap_or("")
                ));
            }
            if v["more"].as_u64().unwrap_or(0) > 0 {
                line.push_str(&format!("\n      … and {} more", v["more"]));
            }
            line.replace('"', "")
        })
        .collect()
}

/// `None` when the open page fits its viewport's width; else how much wider it is and the
/// elements that break out (each wider than the page while its parent fits, and not inside a
/// box that scrolls or clips it), to find what to fix.
pub async fn sideways_scroll(client: &Client) -> Option<String> {
    let script = r#"
        const root = document.documentElement;
        const width = root.clientWidth;
        if (root.scrollWidth <= width) return null;
        // Clipped by a scrolling or clipping box between it and what positions it.
        const clipped = (el) => {
          let p = el.parentElement;
          // An absolutely placed box is clipped only from its containing block outwards.
          const pos = getComputedStyle(el).position;
          if (pos === 'fixed') return false;
          if (pos === 'absolute') {
            while (p && p !== document.body && getComputedStyle(p).position === 'static') p = p.parentElement;
          }
          for (; p && p !== document.body; p = p.parentElement) {
            if (getComputedStyle(p).overflowX !== 'visible') return true;
          }
          return false;
        };
        const out = [];
        for (const el of document.body.querySelectorAll('*')) {
          const r = el.getBoundingClientRect();
          if (r.right <= width + 1 || r.width === 0 || clipped(el)) continue;
          const parent = el.parentElement.getBoundingClientRect();
          if (el.parentElement !== document.body && parent.right > width + 1) continue;
          const id = el.id ? '#' + el.id : '';
          const cls = typeof el.className === 'string' && el.className.trim()
            ? '.' + el.className.trim().split(/\s+/).join('.') : '';
          out.push(el.tagName.toLowerCase() + id + cls + ' (right edge ' + Math.round(r.right) + ')');
          if (out.length === 6) break;
        }
        if (!out.length) {
          // None found breaking out on its own: name the widest boxes.
          const wide = [...document.body.querySelectorAll('*')]
            .map((el) => [el, el.getBoundingClientRect().right])
            .filter(([, right]) => right > width + 1)
            .sort((a, b) => b[1] - a[1]).slice(0, 6);
          for (const [el, right] of wide) out.push(el.tagName.toLowerCase() + ' (right edge ' + Math.round(right) + ')');
        }
        return 'scrollWidth ' + root.scrollWidth + ' > ' + width + ': ' + out.join(', ');
    "#;
    let seen = client
        .execute(script, vec![])
        .await
        .expect("measure the page");
    seen.as_str().map(str::to_string)
}
