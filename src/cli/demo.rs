//! `helpdesk demo --tickets N --articles M`: realistic office tickets, replies, categories and
//! agents, and satisfaction answers (`demo_csat`), written in one transaction with prepared
//! statements (100,000 tickets in seconds). Each new demo agent gets its own random password,
//! printed once. A database holding tickets that are not demo ones (whose requester is outside
//! `@office.example`) is refused unless `--force` is given.

use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rusqlite::params;

use crate::auth::{Role, users};
use crate::config::Config;
use crate::db::{Db, now};
use crate::desk_time::next_business_time;
use crate::error::{Error, Result};
use crate::sla;
use crate::tickets::store::{self, TicketRow};
use crate::tickets::{Actor, MessageKind, new_tracking_id};

/// Every demo ticket's requester has an address in this domain.
const REQUESTER_DOMAIN: &str = "@office.example";

const AGENTS: &[(&str, &str)] = &[
    ("Marta Ruiz", "marta@demo.example"),
    ("Tom Becker", "tom@demo.example"),
    ("Aisha Khan", "aisha@demo.example"),
    ("Luis Ortega", "luis@demo.example"),
];

const EXTRA_CATEGORIES: &[&str] = &["Printers", "Email", "Phones", "New hires & leavers"];

const FIRST: &[&str] = &[
    "Ana", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Irene", "Jon", "Kim",
    "Lena", "Mateo", "Nora", "Omar", "Paula", "Quentin", "Rosa", "Sam", "Tara", "Umar", "Vera",
    "Will", "Xenia", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Garcia", "Smith", "Müller", "Rossi", "Dubois", "Novak", "Silva", "Jensen", "Kowalski",
    "Haddad", "Brown", "Nguyen", "López", "Martin", "Fischer",
];

const STAFF_REPLIES: &[&str] = &[
    "Thanks for reporting this. I'm on it and will update you shortly.",
    "Could you send a photo of the error message? That will help a lot.",
    "I've restarted the device remotely. Can you try again and tell me if it works?",
    "This is fixed now. Let us know if it happens again.",
    "We've ordered a replacement; it should arrive in two days.",
    "I've reset it for you. You'll get a temporary password by phone.",
];

const REQUESTER_REPLIES: &[&str] = &[
    "Thanks, it works now!",
    "Still the same problem, unfortunately.",
    "Here is the photo you asked for.",
    "Great, thank you for the quick help.",
    "It happened again this morning.",
];

const NOTES: &[&str] = &[
    "Same issue as last month; the switch on that floor needs replacing.",
    "Checked the logs: driver update failed overnight.",
    "Waiting for the vendor to call back.",
];

/// Refuses a database holding tickets that are not demo data, unless `force`.
fn check_only_demo_tickets(db: &Db, force: bool) -> Result<()> {
    if force {
        return Ok(());
    }
    let others = db.read_blocking(|c| store::count_requesters_outside(c, REQUESTER_DOMAIN))?;
    if others == 0 {
        return Ok(());
    }
    Err(Error::BadRequest(format!(
        "the database holds {others} ticket(s) that are not demo data (requester outside \
         {REQUESTER_DOMAIN}); not adding demo data to it. Use a new database (--db), or \
         --force to add it anyway"
    )))
}

pub fn run(config: &Config, count: u64, articles: u64, force: bool) -> Result<()> {
    let db = Db::open(&config.db)?;
    check_only_demo_tickets(&db, force)?;
    let mut rng = StdRng::seed_from_u64(count);
    // Their own sequence, so the tickets stay the ones the same count always made.
    let mut answers = StdRng::seed_from_u64(count ^ 0xC5A7);
    // Each agent's own password (used only for the accounts that do not exist yet).
    let mut logins = Vec::new();
    for _ in AGENTS {
        let password = crate::util::random_password();
        let hash = users::hash_password(&password, config.bcrypt_cost.min(10))?;
        logins.push((password, hash));
    }
    let bar = ProgressBar::new(count);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} demo tickets [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let start = std::time::Instant::now();
    let (created, tickets) = db.write_blocking(|c| {
        let mut agent_ids = Vec::new();
        // Per agent: whether it was created now (with its password) or already there.
        let mut created = Vec::new();
        for ((name, email), (_, hash)) in AGENTS.iter().zip(&logins) {
            let id = match users::find_by_email(c, email)? {
                Some(a) => {
                    created.push(false);
                    a.id
                }
                None => {
                    created.push(true);
                    users::create(c, email, name, Role::Agent, hash)?
                }
            };
            agent_ids.push((id, name.to_string()));
        }
        for name in EXTRA_CATEGORIES {
            c.execute(
                "INSERT OR IGNORE INTO categories (name, default_priority_id, sort)
                 VALUES (?1, (SELECT id FROM priorities WHERE slug = 'medium'), 60)",
                [name],
            )?;
        }
        let categories: Vec<(i64, String, i64)> = c
            .prepare("SELECT id, name, default_priority_id FROM categories")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (i, (cat, _, _)) in categories.iter().enumerate() {
            let (agent, _) = &agent_ids[i % agent_ids.len()];
            c.execute(
                "INSERT OR IGNORE INTO category_agents (category_id, staff_id) VALUES (?1, ?2)",
                params![cat, agent],
            )?;
        }
        let statuses: Vec<(i64, String, bool, String)> = c
            .prepare("SELECT id, COALESCE(slug, name), is_closed, name FROM statuses")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let status = |slug: &str| {
            statuses
                .iter()
                .find(|s| s.1 == slug)
                .map(|s| s.0)
                .unwrap_or(statuses[0].0)
        };
        let status_name = |slug: &str| {
            statuses
                .iter()
                .find(|s| s.1 == slug)
                .map(|s| s.3.clone())
                .unwrap_or_default()
        };
        let priorities: Vec<i64> = c
            .prepare("SELECT id FROM priorities ORDER BY rank")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let now = now();
        super::demo_sla::add_policies(c, now)?;
        let demo_fields = super::demo_fields::add(c, now)?;
        // Each ticket's clock, as the desk would have kept it: loaded once for the whole run.
        let sla_setup = sla::Setup::load(c)?;
        // Resolved tickets older than this the desk's auto-close would have closed already: the
        // demo leaves none for it, so a freshly started desk has no backlog of closing to do.
        let auto_close_days = crate::settings::Settings::load(c)?.auto_close_days;
        let auto_closed_by = now - i64::from(auto_close_days) * 86_400;
        let mut report_calendar = crate::reports::metrics::Calendar::lazy();
        let span = 730 * 86_400; // two years of history
        let mut people: Vec<(String, String)> = Vec::new();
        for f in FIRST {
            for l in LAST {
                let email = format!(
                    "{}.{}{REQUESTER_DOMAIN}",
                    f.to_lowercase(),
                    l.to_lowercase().replace(['ü', 'ó'], "o")
                );
                people.push((format!("{f} {l}"), email));
            }
        }
        for i in 0..count {
            // Older tickets are mostly closed; the last few weeks hold the open backlog.
            let age = ((i as f64 / count.max(1) as f64) * span as f64) as i64;
            let arrived = now - span + age - rng.gen_range(0..3600);
            // Most tickets come in while the office works, spread over its day (the rest at night
            // and on weekends).
            let created = match next_business_time(arrived, &sla_setup.calendar) {
                opening if opening > arrived && rng.gen_bool(0.85) => (opening
                    + rng.gen_range(0..8 * 3600))
                .min(now - 60)
                .max(arrived),
                _ => arrived,
            };
            let recent = now - created < 21 * 86_400;
            let (name, email) = people.choose(&mut rng).cloned().unwrap_or_default();
            let n = rng.gen_range(1..9).to_string();
            let other = format!(
                "{} {}",
                FIRST.choose(&mut rng).unwrap_or(&"Ana"),
                LAST.choose(&mut rng).unwrap_or(&"Garcia")
            );
            let (cat_name, subject, body, spanish) = super::demo_text::ticket(&mut rng, &n, &other);
            let lang = if spanish { "es" } else { "en" };
            let cat_index = categories.iter().position(|c| c.1 == cat_name).unwrap_or(0);
            let (cat, _, default_priority) = categories[cat_index].clone();
            let priority = if rng.gen_bool(0.8) {
                default_priority
            } else {
                *priorities.choose(&mut rng).unwrap_or(&default_priority)
            };
            let slug = if recent {
                ["new", "in_progress", "waiting", "on_hold", "resolved"][rng.gen_range(0..5)]
            } else if rng.gen_bool(0.9) {
                "closed"
            } else {
                "resolved"
            };
            // Mostly the agent who works the category (as the desk assigns), now and then another.
            let assignee = if slug == "new" && rng.gen_bool(0.6) {
                None
            } else if rng.gen_bool(0.75) {
                agent_ids.get(cat_index % agent_ids.len()).cloned()
            } else {
                agent_ids.choose(&mut rng).cloned()
            };
            let replies = if slug == "new" {
                0
            } else {
                rng.gen_range(1..4)
            };
            let mut t = created;
            let mut first_response = None;
            let mut messages: Vec<(&str, Option<i64>, String, String, i64)> =
                vec![("requester", None, name.clone(), body.clone(), t)];
            for r in 0..replies {
                // Staff answer in the desk's hours, mostly within a few of them (one in ten takes
                // days); requesters write back at any time.
                t = if r % 2 == 0 {
                    let wait = if rng.gen_bool(0.1) {
                        rng.gen_range(4 * 3600..3 * 86_400)
                    } else {
                        rng.gen_range(300..4 * 3600)
                    };
                    next_business_time(t + wait, &sla_setup.calendar)
                } else {
                    t + rng.gen_range(600..86_400)
                };
                if let Some((aid, aname)) = &assignee {
                    if r % 2 == 0 {
                        first_response.get_or_insert(t);
                        let replies = if spanish {
                            super::demo_text::STAFF_REPLIES_ES
                        } else {
                            STAFF_REPLIES
                        };
                        let text = replies.choose(&mut rng).unwrap_or(&replies[0]).to_string();
                        messages.push(("staff", Some(*aid), aname.clone(), text, t));
                        if rng.gen_bool(0.15) {
                            let note = NOTES.choose(&mut rng).unwrap_or(&NOTES[0]).to_string();
                            messages.push(("note", Some(*aid), aname.clone(), note, t + 60));
                        }
                    } else {
                        let replies = if spanish {
                            super::demo_text::REQUESTER_REPLIES_ES
                        } else {
                            REQUESTER_REPLIES
                        };
                        let text = replies.choose(&mut rng).unwrap_or(&replies[0]).to_string();
                        messages.push(("requester", None, name.clone(), text, t));
                    }
                }
            }
            let updated = t.min(now);
            let slug = if slug == "resolved" && auto_close_days > 0 && updated < auto_closed_by {
                "closed"
            } else {
                slug
            };
            let closed = statuses.iter().any(|s| s.1 == slug && s.2);
            let tracking_id = new_tracking_id();
            let token = crate::util::random_hex(20);
            let ticket_id = store::insert_ticket(
                c,
                &TicketRow {
                    tracking_id: &tracking_id,
                    access_token: &token,
                    subject: &subject,
                    requester_name: &name,
                    requester_email: &email,
                    category_id: cat,
                    priority_id: priority,
                    status_id: status(slug),
                    assignee_id: assignee.as_ref().map(|a| a.0),
                    created_by_staff_id: None,
                    channel: "portal",
                    lang,
                    created_at: created,
                    updated_at: updated,
                    first_response_at: first_response,
                    resolved_at: closed.then_some(updated),
                    message_count: messages.len() as i64,
                },
            )?;
            let requester = Actor::requester(&name);
            for (kind, staff, author, text, at) in &messages {
                let by = match staff {
                    Some(id) => Actor::staff(*id, author),
                    None => requester.clone(),
                };
                store::insert_message(c, ticket_id, MessageKind::parse(kind), &by, text, *at)?;
            }
            store::insert_history(c, ticket_id, &requester, "created", None, None, created)?;
            super::demo_fields::fill(c, &mut rng, &demo_fields, ticket_id, cat)?;
            if let Some((aid, aname)) = &assignee {
                let agent = Actor::staff(*aid, aname);
                store::insert_history(
                    c,
                    ticket_id,
                    &agent,
                    "assignee",
                    None,
                    Some(aname),
                    created + 300,
                )?;
                if slug != "new" {
                    let (from, to) = (status_name("new"), status_name(slug));
                    store::insert_history(
                        c,
                        ticket_id,
                        &agent,
                        "status",
                        Some(&from),
                        Some(&to),
                        updated,
                    )?;
                }
            }
            if closed {
                super::demo_csat::resolve(c, &mut answers, ticket_id, &name, updated, now)?;
            }
            // Its clock at its last change: a ticket waiting, on hold or closed since then stands
            // still from that moment.
            sla::refresh(c, &sla_setup, ticket_id, true, updated)?;
            // What the reports count, as the ticket actions would have stored it.
            crate::reports::metrics::refresh(c, &mut report_calendar, ticket_id, updated)?;
            if i % 1000 == 0 {
                bar.set_position(i);
            }
        }
        bar.set_position(count);
        Ok((created, count))
    })?;
    bar.finish();
    // The accounts exist from here on: their passwords are shown now, whatever happens next.
    println!("Demo agents (log in at /staff/login; each password is shown only this once):");
    for (((_, email), (password, _)), new) in AGENTS.iter().zip(&logins).zip(&created) {
        if *new {
            println!("  {email}  {password}");
        } else {
            println!("  {email}  (account already there, password unchanged)");
        }
    }
    let agents = created.iter().filter(|new| **new).count();
    let articles = super::demo_kb::run(&db, articles)?;
    db.write_blocking(|c| Ok(c.execute_batch("ANALYZE")?))?;
    println!(
        "Added {tickets} demo tickets, {articles} articles and {agents} agents in {:.1}s.",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
