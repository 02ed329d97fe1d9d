//! The knowledge base as staff keep it: the article list (search, filters, pages), the
//! categories (names in both languages, order, delete only when empty), the editor's language
//! tabs and Markdown preview, all without JavaScript; and the Spanish list marking the articles
//! it shows in English.

use crate::common::*;
use helpdesk::i18n::Lang;
use helpdesk::kb::store::{self, ArticleInput};
use rocket::http::Status;
use rocket::local::blocking::Client;

fn agent(app: &TestApp) -> Client {
    let client = app.other_client();
    login(&client, AGENT_EMAIL, AGENT_PASSWORD);
    client
}

fn page_in(client: &Client, path: &str, lang: &str) -> String {
    let res = client.get(path).header(accept_language(lang)).dispatch();
    assert_eq!(res.status(), Status::Ok, "GET {path}");
    res.into_string().unwrap_or_default()
}

/// Categories "Printing" and "Network" and 35 articles: 30 printer guides in English only
/// (published, in Printing), 3 Wi-Fi articles in both languages (published, in Network) and 2
/// uncategorised drafts. Returns the two categories' ids.
fn library(app: &TestApp) -> (i64, i64) {
    app.db
        .write_blocking(|c| {
            let printing = helpdesk::kb::categories::create(c, "Printing", "", 10)?;
            let network = helpdesk::kb::categories::create(c, "Network", "Red", 20)?;
            let save = |slug: String, category, state: &str, tr: Vec<(Lang, String, String)>| {
                let input = ArticleInput {
                    slug,
                    category_id: category,
                    state: state.into(),
                    sort: 0,
                    translations: tr,
                };
                store::save(c, None, &input, 1)
            };
            for n in 1..=30 {
                let title = format!("Printer guide {n:02}");
                let body = format!("Step {n}: clear the paper tray.");
                save(
                    format!("printer-{n}"),
                    Some(printing),
                    "published",
                    vec![(Lang::En, title, body)],
                )?;
            }
            for n in 1..=3 {
                save(
                    format!("wifi-{n}"),
                    Some(network),
                    "published",
                    vec![
                        (
                            Lang::En,
                            format!("Wi-Fi setup {n}"),
                            "Join the office Wi-Fi.".into(),
                        ),
                        (
                            Lang::Es,
                            format!("Configurar la wifi {n}"),
                            "Conéctese a la wifi.".into(),
                        ),
                    ],
                )?;
            }
            for n in 1..=2 {
                save(
                    format!("draft-{n}"),
                    None,
                    "draft",
                    vec![(Lang::En, format!("Unfinished notes {n}"), "Later.".into())],
                )?;
            }
            Ok((printing, network))
        })
        .unwrap()
}

/// The text of the list's range line ("Articles 1–25 of 35").
fn range(page: &str) -> String {
    let start = page.find("id=\"kb-range\">").expect("range line") + "id=\"kb-range\">".len();
    page[start..start + page[start..].find('<').unwrap()].to_string()
}

fn rows(page: &str) -> usize {
    page.matches("<td class=\"kb-title\">").count()
}

#[test]
fn the_staff_list_searches_filters_and_pages() {
    let app = TestApp::new();
    let (_, network) = library(&app);
    let staff = agent(&app);

    let first = get_ok(&staff, "/staff/kb");
    assert_eq!(range(&first), "Articles 1–25 of 35");
    assert_eq!(rows(&first), 25);
    assert!(first.contains("rel=\"next\" href=\"/staff/kb?page=2\""));
    assert!(
        !first.contains("rel=\"prev\""),
        "no previous page on the first"
    );
    // The title keeps its room: five columns, the counts in one of them, no order numbers.
    assert_eq!(first.matches("<th scope=\"col\">").count(), 5);

    let second = get_ok(&staff, "/staff/kb?page=2");
    assert_eq!(range(&second), "Articles 26–35 of 35");
    assert_eq!(rows(&second), 10);
    assert!(second.contains("rel=\"prev\" href=\"/staff/kb?\""));
    assert!(second.contains(">First page</a>"));
    assert!(!second.contains("rel=\"next\""));
    // Past the end: the last page. Nonsense: the first.
    assert_eq!(
        range(&get_ok(&staff, "/staff/kb?page=9")),
        "Articles 26–35 of 35"
    );
    assert_eq!(
        range(&get_ok(&staff, "/staff/kb?page=x&state=bogus")),
        "Articles 1–25 of 35"
    );

    // Search: the knowledge base's full-text index, any language of an article.
    let wifi = get_ok(&staff, "/staff/kb?q=wifi");
    assert_eq!(range(&wifi), "Articles 1–3 of 3");
    assert!(wifi.contains("Wi-Fi setup 1"));
    assert_eq!(
        range(&get_ok(&staff, "/staff/kb?q=conectese")),
        "Articles 1–3 of 3"
    );
    let printers = get_ok(&staff, "/staff/kb?q=paper");
    assert_eq!(range(&printers), "Articles 1–25 of 30");
    // The next page keeps the search.
    assert!(
        printers.contains("href=\"/staff/kb?q=paper&amp;page=2\""),
        "pager keeps q"
    );
    assert_eq!(
        range(&get_ok(&staff, "/staff/kb?q=paper&page=2")),
        "Articles 26–30 of 30"
    );

    // Filters, alone and together.
    assert_eq!(
        range(&get_ok(&staff, "/staff/kb?state=draft")),
        "Articles 1–2 of 2"
    );
    assert_eq!(
        range(&get_ok(&staff, &format!("/staff/kb?category={network}"))),
        "Articles 1–3 of 3"
    );
    assert_eq!(
        range(&get_ok(&staff, "/staff/kb?category=none")),
        "Articles 1–2 of 2"
    );
    assert_eq!(
        range(&get_ok(&staff, "/staff/kb?lang=es")),
        "Articles 1–3 of 3"
    );
    assert_eq!(
        range(&get_ok(&staff, "/staff/kb?lang=no_es")),
        "Articles 1–25 of 32"
    );
    let none = get_ok(&staff, "/staff/kb?q=wifi&state=draft");
    assert_eq!(range(&none), "No articles");
    assert!(none.contains("No article matches these filters."));
    // The form shows what was chosen.
    let chosen = get_ok(
        &staff,
        &format!("/staff/kb?category={network}&lang=es&q=wifi"),
    );
    assert!(chosen.contains(&format!(
        "<option value=\"{network}\" selected>Network</option>"
    )));
    assert!(chosen.contains("<option value=\"es\" selected>"));
    assert!(chosen.contains("value=\"wifi\""));
    // A Spanish viewer: titles and category names in Spanish where written.
    let es = page_in(&staff, &format!("/staff/kb?category={network}"), "es");
    assert!(es.contains("Configurar la wifi 1") && es.contains("<td>Red</td>"));
    assert_eq!(range(&es), "Artículos 1–3 de 3");
}

#[test]
fn categories_are_named_in_both_languages_ordered_and_deleted_only_when_empty() {
    let app = TestApp::new();
    let (printing, network) = library(&app);
    let staff = agent(&app);
    let page = get_ok(&staff, "/staff/kb/categories");
    assert!(page.contains("value=\"Printing\"") && page.contains("value=\"Red\""));
    let token = csrf_in(&page);

    // Renamed in Spanish and moved after Network.
    let res = post_form(
        &staff,
        &format!("/staff/kb/categories/{printing}"),
        &[
            ("csrf_token", &token),
            ("name", "Printing"),
            ("name_es", "Impresión"),
            ("sort", "30"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let kb = page_in(&app.client, "/kb", "es");
    let (red, impresion) = (
        kb.find("<h2>Red</h2>").expect("Network in Spanish"),
        kb.find("<h2>Impresión</h2>").expect("Printing in Spanish"),
    );
    assert!(red < impresion, "listed in their order");
    assert!(page_in(&app.client, "/kb", "en").contains("<h2>Printing</h2>"));

    // A name another category has (in either language) is refused next to the field.
    let res = post_form(
        &staff,
        &format!("/staff/kb/categories/{printing}"),
        &[
            ("csrf_token", &token),
            ("name", "Printing"),
            ("name_es", "red"),
            ("sort", "30"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(body.contains(&format!("id=\"kc{printing}-name_es-error\"")));
    assert!(body.contains("A category with this name already exists."));
    let res = post_form(
        &staff,
        "/staff/kb/categories",
        &[("csrf_token", &token), ("name", ""), ("sort", "x")],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(body.contains("id=\"cat-name-error\"") && body.contains("id=\"cat-sort-error\""));
    assert_eq!(app.count("SELECT COUNT(*) FROM kb_categories"), 2);

    // Delete: refused while it holds articles, with the reason on its row.
    let res = post_form(
        &staff,
        &format!("/staff/kb/categories/{network}/delete"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::Conflict);
    let body = res.into_string().unwrap_or_default();
    assert!(
        body.contains("Not deleted: it still holds 3 articles."),
        "{body}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM kb_categories WHERE id = {network}"
        )),
        1
    );
    // An empty one goes.
    let res = post_form(
        &staff,
        "/staff/kb/categories",
        &[
            ("csrf_token", &token),
            ("name", "Phones"),
            ("name_es", ""),
            ("sort", ""),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let phones = app.count("SELECT id FROM kb_categories WHERE name = 'Phones'");
    let res = post_form(
        &staff,
        &format!("/staff/kb/categories/{phones}/delete"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM kb_categories WHERE name = 'Phones'"),
        0
    );
    // Without its token nothing is deleted.
    let res = post_form(
        &staff,
        &format!("/staff/kb/categories/{printing}/delete"),
        &[],
    );
    assert_eq!(res.status(), Status::Forbidden);
}

#[test]
fn the_spanish_list_marks_the_articles_it_shows_in_english() {
    let app = TestApp::new();
    library(&app);
    let es = page_in(&app.client, "/kb", "es");
    let item = |title: &str| {
        let at = es.find(title).expect("listed");
        let start = es[..at].rfind("<li>").unwrap();
        es[start..at + es[at..].find("</li>").unwrap()].to_string()
    };
    let english = item("Printer guide 01");
    assert!(english.contains("hreflang=\"en\" lang=\"en\""), "{english}");
    assert!(
        english.contains("<span lang=\"en\">English</span>"),
        "{english}"
    );
    let spanish = item("Configurar la wifi 1");
    assert!(
        !spanish.contains("English") && !spanish.contains("lang=\"en\""),
        "{spanish}"
    );
    // In search results too; the English list marks nothing that is in English.
    let results = page_in(&app.client, "/kb?q=paper", "es");
    assert!(results.contains("<span lang=\"en\">English</span>"));
    assert!(!page_in(&app.client, "/kb", "en").contains("badge-lang"));
}

/// The editor's form fields for an article, `extra` after them.
fn editor_post<'c>(
    staff: &'c Client,
    path: &str,
    token: &str,
    extra: &[(&str, &str)],
) -> rocket::local::blocking::LocalResponse<'c> {
    let mut fields = vec![
        ("csrf_token", token),
        ("slug", ""),
        ("category", ""),
        ("state", "draft"),
        ("sort", "0"),
    ];
    fields.extend_from_slice(extra);
    post_form(staff, path, &fields)
}

#[test]
fn the_preview_renders_the_markdown_sanitised_and_saves_nothing() {
    let app = TestApp::new();
    let staff = agent(&app);
    let token = csrf(&staff, "/staff/kb/new");
    let markdown = "# Reset the router\n\n<script>alert(1)</script>\n\n**Hold** the button. \
                    [x](javascript:alert(2)) <img src=x onerror=alert(3)>";
    let res = editor_post(
        &staff,
        "/staff/kb/new",
        &token,
        &[
            ("title_en", "Router"),
            ("body_en", markdown),
            ("title_es", ""),
            ("body_es", ""),
            ("tab", "en"),
            ("action", "preview"),
        ],
    );
    assert_eq!(res.status(), Status::Ok);
    let page = res.into_string().unwrap_or_default();
    let preview = {
        let start = page
            .find("<section class=\"kb-preview\"")
            .expect("a preview");
        &page[start..start + page[start..].find("</section>").unwrap()]
    };
    assert!(preview.contains("<h1>Reset the router</h1>"), "{preview}");
    assert!(preview.contains("<strong>Hold</strong>"), "{preview}");
    for unsafe_bit in ["<script", "javascript:", "onerror"] {
        assert!(!preview.contains(unsafe_bit), "{unsafe_bit} in {preview}");
    }
    assert!(
        !page.contains("<script>alert(1)"),
        "no script anywhere on the page"
    );
    // The text stays in the form as typed (escaped), and nothing was saved.
    assert!(page.contains("&lt;script&gt;alert(1)"));
    assert!(
        page.contains("Nothing to preview in this language yet."),
        "the empty Spanish tab"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM kb_articles"), 0);
    // Like every form, it needs its token.
    let res = editor_post(&staff, "/staff/kb/new", "wrong", &[("action", "preview")]);
    assert_eq!(res.status(), Status::Forbidden);
}

#[test]
fn language_tabs_show_one_language_at_a_time_and_mark_a_missing_one_without_javascript() {
    let app = TestApp::new();
    let staff = agent(&app);
    let token = csrf(&staff, "/staff/kb/new");
    let res = editor_post(
        &staff,
        "/staff/kb/new",
        &token,
        &[
            ("title_en", "Printer offline"),
            ("body_en", "Turn it off and on."),
            ("title_es", ""),
            ("body_es", ""),
            ("tab", "en"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let id: i64 = location(&res)
        .trim_start_matches("/staff/kb/")
        .parse()
        .unwrap();

    let checked = |page: &str, lang: &str| {
        page.contains(&format!(
            "id=\"tab-{lang}\" class=\"lang-tab-radio\" checked"
        ))
    };
    let page = get_ok(&staff, &format!("/staff/kb/{id}"));
    assert!(
        checked(&page, "en") && !checked(&page, "es"),
        "English open"
    );
    // Spanish is missing, and its tab says so; English is not marked.
    let tab = |page: &str, lang: &str| {
        let start = page
            .find(&format!("<label for=\"tab-{lang}\""))
            .expect("tab");
        page[start..start + page[start..].find("</label>").unwrap()].to_string()
    };
    assert!(
        tab(&page, "es").contains("(not written yet)"),
        "{}",
        tab(&page, "es")
    );
    assert!(!tab(&page, "en").contains("not written yet"));
    // Both languages' fields are in the one form: switching tabs loses nothing typed.
    assert!(page.contains("name=\"title_es\"") && page.contains("name=\"title_en\""));
    // A link opens the Spanish tab.
    let page = get_ok(&staff, &format!("/staff/kb/{id}?lang=es"));
    assert!(
        checked(&page, "es") && !checked(&page, "en"),
        "Spanish open"
    );

    // A mistake in Spanish brings the form back on the Spanish tab, marked.
    let res = editor_post(
        &staff,
        &format!("/staff/kb/{id}"),
        &token,
        &[
            ("title_en", "Printer offline"),
            ("body_en", "Turn it off and on."),
            ("title_es", "Impresora desconectada"),
            ("body_es", ""),
            ("tab", "en"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let page = res.into_string().unwrap_or_default();
    assert!(checked(&page, "es"), "opened where the error is");
    assert!(tab(&page, "es").contains("(has errors)"));
    assert!(page.contains("id=\"body_es-error\""));

    // Saved from the Spanish tab, the editor comes back on it.
    let res = editor_post(
        &staff,
        &format!("/staff/kb/{id}"),
        &token,
        &[
            ("title_en", "Printer offline"),
            ("body_en", "Turn it off and on."),
            ("title_es", "Impresora desconectada"),
            ("body_es", "Apáguela y vuelva a encenderla."),
            ("tab", "es"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), format!("/staff/kb/{id}?lang=es"));
    let page = get_ok(&staff, &format!("/staff/kb/{id}?lang=es"));
    assert!(!tab(&page, "es").contains("not written yet"));
}
