//! The pages the accessibility checks (`a11y`) open, and the data that gives them content: the
//! demo data (`helpdesk demo`: tickets with conversations, articles, agents, service levels), plus
//! through the app's own forms an article in Markdown, a rule, a webhook, a recurring ticket and
//! a canned reply; a mail without a sender in quarantine; an API token.
//!
//! The list follows the route tables (`#[get]` routes of src/portal, src/kb, src/staff,
//! src/admin) and names every HTML page there; left out are downloads (attachments, article
//! files, CSV, raw mail, `/suggest` and `/staff/kb/links` JSON), `/staff/tickets/<id>/canned/<cid>`
//! (JSON for the reply box), `/tickets/<tid>/rate` (a GET that records a rating, reached from a
//! mail) and `/staff/login/code` (only during a sign-in with two-factor codes).

use std::path::Path;

use crate::common::server::run;
use crate::common::*;
use helpdesk::Config;
use helpdesk::auth::{Role, users};
use helpdesk::db::Db;
use rocket::http::Status;
use rocket::local::blocking::Client;

/// The seeded records the pages show.
pub struct Seeded {
    /// A ticket with a conversation, and the secret token of its link.
    pub ticket_id: i64,
    pub tracking_id: String,
    pub token: String,
    /// Another ticket, opened without its link: the access page.
    pub other_tracking_id: String,
    pub article_id: i64,
    pub article_slug: String,
    pub rule_id: i64,
    pub webhook_id: i64,
    pub recurring_id: i64,
    pub canned_id: i64,
    pub sla_id: i64,
    pub agent_id: i64,
    pub quarantine_id: i64,
}

/// Who opens a page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Who {
    Employee,
    Staff,
}

pub struct PageSpec {
    pub path: String,
    pub who: Who,
}

/// The article the checks and the search page show: Markdown with emphasis, a list and a link.
pub const ARTICLE_SLUG: &str = "connect-to-the-vpn";
pub const ARTICLE_BODY: &str = "Install the **VPN** client, then:\n\n1. Open it.\n2. Sign in with \
    your *office* account.\n\nSee [the network page](/kb) when it still fails.";

/// Fills a new database at `db` and returns what the pages show; staff sign in as the
/// `common` admin (`ADMIN_EMAIL`, `ADMIN_PASSWORD`).
pub fn seed(db: &Path) -> Seeded {
    let demo = run(
        db,
        &["demo", "--tickets", "40", "--articles", "8"],
        &[],
        b"",
    );
    assert_eq!(demo.code, Some(0), "demo data: {demo:?}");
    let quarantined = run(
        db,
        &["mail", "pipe"],
        &[],
        b"Subject: A message without a sender\r\n\r\nHello.\r\n",
    );
    assert_eq!(quarantined.code, Some(0), "mail pipe: {quarantined:?}");

    let config = Config {
        db: db.to_path_buf(),
        bcrypt_cost: 4,
        ..Config::default()
    };
    let database = Db::open(db).expect("open db");
    database
        .write_blocking(|c| {
            let h = users::hash_password(ADMIN_PASSWORD, 4)?;
            users::create(c, ADMIN_EMAIL, "Alice Admin", Role::Admin, &h)?;
            Ok(())
        })
        .expect("create the admin");
    let token = run(
        db,
        &[
            "token",
            "create",
            "--email",
            ADMIN_EMAIL,
            "--name",
            "Reports",
        ],
        &[],
        b"",
    );
    assert_eq!(token.code, Some(0), "token create: {token:?}");

    let rocket = helpdesk::build_rocket_with(database.clone(), config).expect("build app");
    let admin = Client::tracked(rocket).expect("client");
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let article_id = create_article(&admin);
    create(
        &admin,
        "/admin/rules/new",
        "/admin/rules",
        &[
            ("name", "Printers to hardware"),
            ("active", "true"),
            ("event", "created"),
            ("by", "any"),
            ("match_mode", "all"),
            ("subject_words", "printer"),
            ("add_note", "true"),
            ("note", "A printer: check the floor's spare toner first."),
        ],
    );
    create(
        &admin,
        "/admin/webhooks",
        "/admin/webhooks",
        &[
            ("name", "Ops tools"),
            ("url", "https://hooks.example.com/helpdesk"),
            ("events", "ticket.created"),
            ("preset", "generic"),
            ("active", "on"),
        ],
    );
    let recurring: Vec<(&str, String)> = crate::recurring::with(&[]);
    let recurring: Vec<(&str, &str)> = recurring.iter().map(|(k, v)| (*k, v.as_str())).collect();
    create(&admin, "/admin/recurring", "/admin/recurring", &recurring);
    create(
        &admin,
        "/staff/canned/new",
        "/staff/canned/new",
        &[
            ("title", "Password reset"),
            (
                "body",
                "Hello {{ requester.name }}, your password was reset.",
            ),
            ("scope", "shared"),
            ("category", ""),
            ("status", ""),
            ("priority", ""),
        ],
    );

    let one = |sql: &'static str| -> i64 {
        database
            .read_blocking(move |c| Ok(c.query_row(sql, [], |r| r.get(0))?))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    // The demo ticket with the longest conversation.
    let ticket_id = one(
        "SELECT ticket_id FROM messages GROUP BY ticket_id ORDER BY count(*) DESC, ticket_id LIMIT 1",
    );
    let (tracking_id, token, other_tracking_id) = database
        .read_blocking(move |c| {
            let (tid, token): (String, String) = c.query_row(
                "SELECT tracking_id, access_token FROM tickets WHERE id = ?1",
                [ticket_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let other: String = c.query_row(
                "SELECT tracking_id FROM tickets WHERE id != ?1 ORDER BY id LIMIT 1",
                [ticket_id],
                |r| r.get(0),
            )?;
            Ok((tid, token, other))
        })
        .expect("the tickets");
    Seeded {
        ticket_id,
        tracking_id,
        token,
        other_tracking_id,
        article_id,
        article_slug: ARTICLE_SLUG.to_string(),
        rule_id: one("SELECT max(id) FROM rules"),
        webhook_id: one("SELECT max(id) FROM webhooks"),
        recurring_id: one("SELECT max(id) FROM recurring_tickets"),
        canned_id: one("SELECT max(id) FROM canned_replies"),
        sla_id: one("SELECT min(id) FROM sla_policies"),
        agent_id: one("SELECT min(id) FROM staff WHERE role = 'agent'"),
        quarantine_id: one("SELECT max(id) FROM mail_quarantine"),
    }
}

fn create_article(admin: &Client) -> i64 {
    let token = csrf(admin, "/staff/kb/new");
    let res = post_form(
        admin,
        "/staff/kb/new",
        &[
            ("csrf_token", &token),
            ("slug", ARTICLE_SLUG),
            ("category", ""),
            ("state", "published"),
            ("sort", "0"),
            ("title_en", "Connect to the VPN"),
            ("body_en", ARTICLE_BODY),
            ("title_es", "Conectarse a la VPN"),
            (
                "body_es",
                "Instala el cliente **VPN** y entra con tu cuenta de *oficina*.",
            ),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther, "the article is saved");
    location(&res)
        .trim_start_matches("/staff/kb/")
        .parse()
        .expect("redirect to the article's editor")
}

/// Sends a creating form (its CSRF token from `form_page`); it must be saved.
fn create(admin: &Client, form_page: &str, action: &str, fields: &[(&str, &str)]) {
    let token = csrf(admin, form_page);
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    let res = post_form(admin, action, &all);
    assert_eq!(
        res.status(),
        Status::SeeOther,
        "{action} saves {fields:?}: {:?}",
        res.into_string()
    );
}

/// Every HTML page of the portal, the desk and the admin, with content.
pub fn pages(s: &Seeded) -> Vec<PageSpec> {
    let employee = [
        "/".to_string(),
        "/tickets/new".to_string(),
        format!("/tickets/{}?token={}", s.tracking_id, s.token),
        // Opened without the link or the cookie: the page asking for the email.
        format!("/tickets/{}", s.other_tracking_id),
        "/kb".to_string(),
        "/kb?q=vpn".to_string(),
        format!("/kb/{}", s.article_slug),
        "/kb/no-such-article".to_string(),
        "/staff/login".to_string(),
        "/staff/password/forgot".to_string(),
        "/staff/password/reset?token=not-a-real-token".to_string(),
        "/tickets/mine".to_string(),
    ];
    let staff = [
        "/staff".to_string(),
        "/staff/tickets".to_string(),
        format!("/staff/tickets/{}", s.ticket_id),
        format!("/staff/tickets/{}/print", s.ticket_id),
        "/staff/tickets/new".to_string(),
        "/staff/tickets/999999".to_string(),
        "/staff/kb".to_string(),
        "/staff/kb/new".to_string(),
        format!("/staff/kb/{}", s.article_id),
        "/staff/kb/categories".to_string(),
        "/staff/canned".to_string(),
        "/staff/canned/new".to_string(),
        format!("/staff/canned/{}", s.canned_id),
        "/staff/reports".to_string(),
        "/staff/preferences".to_string(),
        "/staff/preferences/api-tokens".to_string(),
        "/staff/preferences/two-factor".to_string(),
        // `/admin` itself redirects here.
        "/admin/staff".to_string(),
        format!("/admin/staff/{}", s.agent_id),
        "/admin/categories".to_string(),
        "/admin/categories/1".to_string(),
        "/admin/workflow".to_string(),
        "/admin/settings".to_string(),
        "/admin/mail".to_string(),
        "/admin/mail/outbox".to_string(),
        "/admin/mail/quarantine".to_string(),
        format!("/admin/mail/quarantine/{}", s.quarantine_id),
        "/admin/jobs".to_string(),
        "/admin/audit".to_string(),
        "/admin/api-tokens".to_string(),
        "/admin/rules".to_string(),
        "/admin/rules/new".to_string(),
        format!("/admin/rules/{}", s.rule_id),
        format!("/admin/rules/{}/test", s.rule_id),
        "/admin/sla".to_string(),
        format!("/admin/sla/{}", s.sla_id),
        "/admin/recurring".to_string(),
        "/admin/recurring/new".to_string(),
        format!("/admin/recurring/{}", s.recurring_id),
        "/admin/webhooks".to_string(),
        format!("/admin/webhooks/{}", s.webhook_id),
        "/admin/fields".to_string(),
        "/admin/fields/new".to_string(),
        "/admin/bans".to_string(),
        "/admin/tags".to_string(),
    ];
    let spec = |who: Who| move |path: String| PageSpec { path, who };
    employee
        .into_iter()
        .map(spec(Who::Employee))
        .chain(staff.into_iter().map(spec(Who::Staff)))
        .collect()
}
