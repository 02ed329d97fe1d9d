//! The knowledge base in the agents' work: articles started from ticket replies, article links
//! inserted into replies, images and files in articles, and which suggested articles employees
//! saw before submitting a ticket anyway.

use crate::common::*;
use rocket::http::{Accept, Status};
use rocket::local::blocking::Client;
use serde_json::Value;

/// Saves a new article through the staff editor; returns its id.
fn create_article(staff: &Client, slug: &str, state: &str, title: &str, body: &str) -> i64 {
    let token = csrf(staff, "/staff/kb/new");
    let res = post_form(
        staff,
        "/staff/kb/new",
        &[
            ("csrf_token", &token),
            ("slug", slug),
            ("state", state),
            ("sort", "0"),
            ("title_en", title),
            ("body_en", body),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther, "article should be saved");
    location(&res)
        .trim_start_matches("/staff/kb/")
        .parse()
        .expect("redirect to the article's editor")
}

fn staff_client(app: &TestApp, email: &str, password: &str) -> Client {
    let staff = app.other_client();
    login(&staff, email, password);
    staff
}

fn agent(app: &TestApp) -> Client {
    staff_client(app, AGENT_EMAIL, AGENT_PASSWORD)
}

/// The value of the input or text of the textarea named `name` in `html`.
fn field_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker).expect("field present");
    let tag_start = html[..at].rfind('<').expect("tag");
    if html[tag_start..].starts_with("<textarea") {
        let open_end = html[at..].find('>').expect("tag end") + at + 1;
        let close = html[open_end..].find("</textarea>").expect("closing") + open_end;
        html[open_end..close].to_string()
    } else {
        let tag_end = html[at..].find('>').expect("tag end") + at;
        let tag = &html[tag_start..tag_end];
        let v = tag.find("value=\"").expect("value attribute") + 7;
        let end = tag[v..].find('"').expect("quote") + v;
        tag[v..end].to_string()
    }
}

fn message_id(app: &TestApp, body: &str) -> i64 {
    let body = body.to_string();
    app.db
        .read_blocking(move |c| {
            Ok(
                c.query_row("SELECT id FROM messages WHERE body = ?1", [&body], |r| {
                    r.get(0)
                })?,
            )
        })
        .expect("message exists")
}

fn staff_reply(staff: &Client, ticket: i64, kind: &str, message: &str) {
    let token = csrf(staff, &format!("/staff/tickets/{ticket}"));
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("kind", kind)
        .text("status", "")
        .text("message", message);
    let res = form.post(staff, &format!("/staff/tickets/{ticket}/reply"));
    assert_eq!(res.status(), Status::SeeOther);
}

#[test]
fn a_staff_reply_or_the_first_message_becomes_an_article() {
    let app = TestApp::new();
    let staff = agent(&app);
    let tid = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Scanner <sends> blank pages",
            message: "Every scan comes out blank.",
            ..TicketInput::default()
        },
        &[],
    );
    let id = ticket_id(&app, &tid);
    staff_reply(
        &staff,
        id,
        "reply",
        "Clean the glass, then set the scanner to **colour** mode.",
    );
    staff_reply(&staff, id, "note", "Internal: the vendor owes us a part.");
    let (first, reply, note) = (
        message_id(&app, "Every scan comes out blank."),
        message_id(
            &app,
            "Clean the glass, then set the scanner to **colour** mode.",
        ),
        message_id(&app, "Internal: the vendor owes us a part."),
    );
    let page = get_ok(&staff, &format!("/staff/tickets/{id}"));
    assert!(page.contains(&format!("/staff/kb/new?from_message={first}\"")));
    assert!(page.contains(&format!("/staff/kb/new?from_message={reply}\"")));
    assert!(
        !page.contains(&format!("/staff/kb/new?from_message={note}\"")),
        "internal notes are not offered"
    );
    assert!(page.contains("Turn into an article"));

    let editor = get_ok(&staff, &format!("/staff/kb/new?from_message={reply}"));
    assert_eq!(
        field_value(&editor, "title_en"),
        "Scanner &lt;sends&gt; blank pages"
    );
    assert_eq!(
        field_value(&editor, "body_en"),
        "Clean the glass, then set the scanner to **colour** mode."
    );
    assert_eq!(field_value(&editor, "title_es"), "");
    // Saving works as usual: the article is published with the reply's text.
    let token = csrf_in(&editor);
    let res = post_form(
        &staff,
        "/staff/kb/new",
        &[
            ("csrf_token", &token),
            ("slug", ""),
            ("state", "published"),
            ("sort", "0"),
            ("title_en", "Scanner <sends> blank pages"),
            (
                "body_en",
                "Clean the glass, then set the scanner to **colour** mode.",
            ),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let article = get_ok(&app.client, "/kb/scanner-sends-blank-pages");
    assert!(article.contains("<strong>colour</strong>"));
    assert!(article.contains("Scanner &lt;sends&gt; blank pages"));

    let first_editor = get_ok(&staff, &format!("/staff/kb/new?from_message={first}"));
    assert_eq!(
        field_value(&first_editor, "body_en"),
        "Every scan comes out blank."
    );
    assert_eq!(
        staff
            .get("/staff/kb/new?from_message=999999")
            .dispatch()
            .status(),
        Status::NotFound
    );
    // Employees never reach it.
    let res = app
        .client
        .get(format!("/staff/kb/new?from_message={reply}"))
        .dispatch();
    assert_eq!(res.status(), Status::SeeOther);
    assert!(location(&res).starts_with("/staff/login"));
}

fn links(client: &Client, q: &str) -> (Status, Value) {
    let res = client
        .get(format!("/staff/kb/links?q={}", urlencode(q)))
        .header(Accept::JSON)
        .dispatch();
    let status = res.status();
    let body = res.into_string().unwrap_or_default();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[test]
fn agents_find_article_links_to_insert_in_a_reply() {
    let app = TestApp::with_config(|c| c.base_url = "https://help.example.com/".into());
    let staff = agent(&app);
    create_article(
        &staff,
        "printer-offline",
        "published",
        "Fix an offline printer",
        "Restart the printer.",
    );
    create_article(
        &staff,
        "printer-admin",
        "internal",
        "Printer admin console",
        "The printer console is at port 9100.",
    );
    create_article(
        &staff,
        "printer-draft",
        "draft",
        "Printer draft",
        "Unfinished printer notes.",
    );
    let (status, found) = links(&staff, "printer");
    assert_eq!(status, Status::Ok);
    let found = found.as_array().expect("a JSON list").clone();
    let pairs: Vec<(String, String)> = found
        .iter()
        .map(|a| {
            (
                a["title"].as_str().unwrap_or("").to_string(),
                a["url"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(pairs.len(), 2, "{pairs:?}");
    assert!(pairs.contains(&(
        "Fix an offline printer".into(),
        "https://help.example.com/kb/printer-offline".into()
    )));
    assert!(pairs.contains(&(
        "Printer admin console".into(),
        "https://help.example.com/kb/printer-admin".into()
    )));
    let (_, none) = links(&staff, "");
    assert_eq!(none, serde_json::json!([]));
    let (_, odd) = links(&staff, "\"( NEAR* :");
    assert!(odd.is_array());
    // Employees get the login page, never the list.
    let res = app.client.get("/staff/kb/links?q=printer").dispatch();
    assert_eq!(res.status(), Status::SeeOther);

    // The ticket page lists the ten most viewed published articles under the reply box.
    for i in 0..11 {
        create_article(
            &staff,
            &format!("guide-{i:02}"),
            "published",
            &format!("Guide number {i:02}"),
            "Text.",
        );
    }
    for _ in 0..3 {
        get_ok(&app.client, "/kb/guide-07");
    }
    get_ok(&app.client, "/kb/guide-03");
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let page = get_ok(&staff, &format!("/staff/tickets/{}", ticket_id(&app, &tid)));
    let start = page.find("<details class=\"kb-links\"").expect("links box");
    let end = page[start..].find("</details>").expect("closed") + start;
    let box_html = &page[start..end];
    assert!(box_html.contains("Insert an article link"));
    // Tera escapes the slashes; the browser shows (and the script reads) the plain address.
    let listed = box_html
        .matches("https:&#x2F;&#x2F;help.example.com&#x2F;kb&#x2F;")
        .count();
    assert_eq!(
        listed,
        10 * 2,
        "ten articles, each URL in a data attribute and shown"
    );
    let most = box_html
        .find("Guide number 07: ")
        .expect("most viewed listed");
    let second = box_html.find("Guide number 03: ").expect("second listed");
    assert!(most < second, "most viewed first");
    assert!(box_html.contains("help.example.com&#x2F;kb&#x2F;guide-07"));
    assert!(!box_html.contains("printer-admin") && !box_html.contains("printer-draft"));
    // The script that inserts links is a separate file (the CSP forbids inline scripts).
    assert!(page.contains("<script src=\"/static/kb_links.js\" defer></script>"));
    let js = get_ok(&staff, "/static/kb_links.js");
    assert!(js.contains("/staff/kb/links?q=") && js.contains("getElementById('message')"));
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nfake image bytes";

fn upload(staff: &Client, article: i64, token: &str, files: &[(&str, &str, &[u8])]) -> Status {
    let mut form = Multipart::new();
    form.text("csrf_token", token);
    for (name, ctype, data) in files {
        form.file("files", name, ctype, data);
    }
    form.post(staff, &format!("/staff/kb/{article}/files"))
        .status()
}

fn file_id(app: &TestApp, name: &str) -> i64 {
    app.count(&format!(
        "SELECT id FROM kb_files WHERE filename = '{name}'"
    ))
}

#[test]
fn articles_carry_images_and_files_visible_to_whoever_may_read_the_article() {
    let app = TestApp::new();
    let staff = agent(&app);
    let id = create_article(&staff, "tray", "draft", "Load the paper tray", "Soon.");
    let editor = get_ok(&staff, &format!("/staff/kb/{id}"));
    assert!(editor.contains("enctype=\"multipart/form-data\""));
    assert!(editor.contains("This article has no files yet."));
    let token = csrf_in(&editor);
    assert_eq!(
        upload(&staff, id, "", &[("tray.png", "image/png", PNG)]),
        Status::Forbidden
    );
    assert_eq!(
        upload(
            &staff,
            id,
            &token,
            &[
                ("tray.png", "image/png", PNG),
                ("manual.pdf", "application/pdf", b"%PDF-1.4 manual"),
            ],
        ),
        Status::SeeOther
    );
    let (png, pdf) = (file_id(&app, "tray.png"), file_id(&app, "manual.pdf"));
    // The snippets as the browser shows them (Tera escapes the slashes).
    let editor = get_ok(&staff, &format!("/staff/kb/{id}")).replace("&#x2F;", "/");
    assert!(
        editor.contains(&format!(
            "<code class=\"kb-snippet\">![tray](/kb/files/{png})</code>"
        )),
        "image snippet"
    );
    assert!(
        editor.contains(&format!(
            "<code class=\"kb-snippet\">[manual.pdf](/kb/files/{pdf})</code>"
        )),
        "link snippet"
    );
    // The desk's allowed types apply.
    let res = {
        let mut form = Multipart::new();
        form.text("csrf_token", &token).file(
            "files",
            "tool.exe",
            "application/octet-stream",
            b"MZ",
        );
        form.post(&staff, &format!("/staff/kb/{id}/files"))
    };
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(res.into_string().unwrap_or_default().contains("tool.exe"));
    assert_eq!(upload(&staff, id, &token, &[]), Status::UnprocessableEntity);
    assert_eq!(app.count("SELECT COUNT(*) FROM kb_files"), 2);
    // Employees cannot upload.
    let employee_token = csrf(&app.client, "/tickets/new");
    assert_eq!(
        upload(
            &app.client,
            id,
            &employee_token,
            &[("x.png", "image/png", PNG)]
        ),
        Status::SeeOther,
        "redirected to the login page"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM kb_files"), 2);

    // A draft's files are for staff only.
    let png_url = format!("/kb/files/{png}");
    let pdf_url = format!("/kb/files/{pdf}");
    assert_eq!(
        app.client.get(png_url.clone()).dispatch().status(),
        Status::NotFound
    );
    assert_eq!(
        app.client.get(pdf_url.clone()).dispatch().status(),
        Status::NotFound
    );
    assert_eq!(staff.get(png_url.clone()).dispatch().status(), Status::Ok);

    // Published with the image and a link in the text.
    let body = format!(
        "![Paper tray](/kb/files/{png})\n\nSee [the manual](/kb/files/{pdf}). [bad](javascript:alert(1))"
    );
    let res = post_form(
        &staff,
        &format!("/staff/kb/{id}"),
        &[
            ("csrf_token", &token),
            ("slug", "tray"),
            ("state", "published"),
            ("title_en", "Load the paper tray"),
            ("body_en", &body),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, "/kb/tray");
    assert!(page.contains(&format!("<img src=\"/kb/files/{png}\" alt=\"Paper tray\"")));
    assert!(page.contains(&format!("href=\"/kb/files/{pdf}\"")));
    assert!(!page.contains("javascript:"));

    let res = app.client.get(png_url).dispatch();
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.headers().get_one("Content-Type"), Some("image/png"));
    assert_eq!(res.headers().get_one("Content-Disposition"), None);
    assert_eq!(
        res.headers().get_one("X-Content-Type-Options"),
        Some("nosniff")
    );
    assert_eq!(res.into_bytes().unwrap_or_default(), PNG);
    let res = app.client.get(pdf_url).dispatch();
    assert_eq!(res.status(), Status::Ok);
    assert!(
        res.headers()
            .get_one("Content-Disposition")
            .unwrap_or("")
            .starts_with("attachment; filename=\"manual.pdf\"")
    );
    assert!(
        res.headers()
            .get_one("Content-Security-Policy")
            .unwrap_or("")
            .starts_with("sandbox")
    );
    assert_eq!(
        res.headers().get_one("X-Content-Type-Options"),
        Some("nosniff")
    );
    assert_eq!(
        app.client.get("/kb/files/999999").dispatch().status(),
        Status::NotFound
    );

    // An internal article's files: staff yes, employees no.
    let internal = create_article(&staff, "secret", "internal", "Secret", "x");
    assert_eq!(
        upload(
            &staff,
            internal,
            &token,
            &[("notes.txt", "text/plain", b"admin notes")]
        ),
        Status::SeeOther
    );
    let notes = format!("/kb/files/{}", file_id(&app, "notes.txt"));
    assert_eq!(
        app.client.get(notes.clone()).dispatch().status(),
        Status::NotFound
    );
    let res = staff.get(notes).dispatch();
    assert_eq!(res.status(), Status::Ok);
    assert!(
        res.headers()
            .get_one("Content-Disposition")
            .unwrap_or("")
            .starts_with("attachment")
    );
}

/// Submits a ticket through the portal with the articles the suggestions showed.
fn submit_with_shown(client: &Client, subject: &str, shown: &str) -> (Status, String) {
    let token = csrf(client, "/tickets/new");
    let input = TicketInput::default();
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", input.name)
        .text("email", input.email)
        .text("category", input.category)
        .text("priority", "")
        .text("subject", subject)
        .text("message", input.message)
        .text("shown_articles", shown);
    let res = form.post(client, "/tickets");
    (res.status(), res.into_string().unwrap_or_default())
}

fn shown(app: &TestApp, slug: &str) -> i64 {
    app.count(&format!(
        "SELECT shown_count FROM kb_articles WHERE slug = '{slug}'"
    ))
}

#[test]
fn articles_shown_before_a_ticket_are_counted_next_to_deflections() {
    let app = TestApp::new();
    let staff = agent(&app);
    create_article(
        &staff,
        "printer",
        "published",
        "Printer fixes",
        "Restart it.",
    );
    create_article(&staff, "vpn", "published", "VPN setup", "Open the app.");
    create_article(&staff, "hidden", "internal", "Hidden", "Staff only.");
    create_article(&staff, "draft", "draft", "Draft", "Unfinished.");

    // The form carries the hidden field the suggestion script fills in.
    let form = get_ok(&app.client, "/tickets/new");
    assert!(form.contains("type=\"hidden\" id=\"shown_articles\" name=\"shown_articles\""));
    let js = get_ok(&app.client, "/static/suggest.js");
    assert!(js.contains("getElementById('shown_articles')"));

    assert_eq!(
        submit_with_shown(
            &app.client,
            "Printer broken",
            "printer, vpn,printer,hidden,draft,nope,../etc,PRINTER"
        )
        .0,
        Status::SeeOther
    );
    assert_eq!(shown(&app, "printer"), 1);
    assert_eq!(shown(&app, "vpn"), 1);
    assert_eq!(
        shown(&app, "hidden"),
        0,
        "internal articles are never counted"
    );
    assert_eq!(shown(&app, "draft"), 0);

    // A submission with errors counts nothing and keeps the list for the next try.
    let (status, page) = submit_with_shown(&app.client, "", "printer,vpn");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("name=\"shown_articles\" value=\"printer,vpn\""));
    assert_eq!(shown(&app, "printer"), 1);

    // At most ten articles per ticket.
    let mut many = Vec::new();
    for i in 0..11 {
        let slug = format!("guide-{i:02}");
        create_article(&staff, &slug, "published", &format!("Guide {i}"), "x");
        many.push(slug);
    }
    assert_eq!(
        submit_with_shown(&app.client, "Many", &many.join(",")).0,
        Status::SeeOther
    );
    assert_eq!(
        app.count("SELECT SUM(shown_count) FROM kb_articles WHERE slug LIKE 'guide-%'"),
        10
    );
    assert_eq!(shown(&app, "guide-10"), 0);

    // "This solved my problem" is a deflection.
    let token = csrf(&app.client, "/tickets/new");
    for slug in ["printer", "printer", "vpn"] {
        let res = post_form(
            &app.client,
            "/suggest/solved",
            &[("csrf_token", &token), ("slug", slug)],
        );
        assert_eq!(res.status(), Status::NoContent);
    }
    assert_eq!(
        app.count("SELECT deflections FROM kb_articles WHERE slug = 'printer'"),
        2
    );

    // Staff see both counts per article; admins also the total.
    let list = get_ok(&staff, "/staff/kb");
    assert!(list.contains("Suggested, ticket sent anyway"));
    let row_start = list.find("Printer fixes").expect("printer row");
    let row = &list[row_start..row_start + list[row_start..].find("</tr>").expect("row end")];
    // The article's counts, each under its name in the row's "Use" column.
    let count = |name: &str| {
        let marker = format!("<dd data-count=\"{name}\">");
        let start = row.find(&marker).expect("count in the row") + marker.len();
        row[start..start + row[start..].find("</dd>").expect("end")].to_string()
    };
    let counts: Vec<String> = ["views", "helpful", "shown", "deflections"]
        .into_iter()
        .map(count)
        .collect();
    assert_eq!(counts, ["0", "0 / 0", "1", "2"], "{row}");
    assert!(
        !list.contains("tickets avoided"),
        "agents do not see the total"
    );
    let admin = staff_client(&app, ADMIN_EMAIL, ADMIN_PASSWORD);
    let list = get_ok(&admin, "/staff/kb");
    assert!(
        list.contains("<strong>3 tickets avoided</strong>"),
        "admin total"
    );
    let es = admin
        .get("/staff/kb")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(es.contains("Sugerido, pero se envió un ticket"));
}
