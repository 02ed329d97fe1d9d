//! Learned triage (issue 17 item 3): trained on demo data by `helpdesk triage train`, measured
//! by `helpdesk triage eval` on held-out tickets, used by the portal's "I don't know" category
//! (tickets written here, in plain office language, not from the demo's pools), shown to staff
//! with one click to accept, and harmless on an empty desk or odd text.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rocket::http::Status;

use crate::common::server;
use crate::common::{
    self, ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, TicketInput, get_ok, login, post_form,
};

/// A demo database of 3,000 tickets, made once; each test works on its own copy.
fn demo_db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("demo.db");
        let run = server::run(
            &db,
            &["demo", "--tickets", "3000", "--articles", "0"],
            &[],
            b"",
        );
        assert_eq!(run.code, Some(0), "demo: {}", run.stderr);
        (dir, db)
    })
    .1
}

/// A copy of the demo database in `dir`.
fn copy_demo(dir: &tempfile::TempDir) -> PathBuf {
    let db = dir.path().join("helpdesk.db");
    let source = rusqlite::Connection::open(demo_db()).expect("open demo");
    source
        .execute("VACUUM INTO ?1", [db.to_string_lossy()])
        .expect("copy demo");
    db
}

/// The accuracy and baseline (percent) `triage eval`/`train` printed for `field`.
fn scores(stdout: &str, field: &str) -> (f64, f64) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} line in:\n{stdout}"));
    let nums: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .take(2)
        .map(|n| n.trim_end_matches('%').parse().expect("a percentage"))
        .collect();
    (nums[0], nums[1])
}

#[test]
fn eval_prints_per_field_accuracy_well_above_the_majority_baseline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = copy_demo(&dir);
    let run = server::run(&db, &["triage", "eval"], &[], b"");
    assert_eq!(run.code, Some(0), "eval: {}", run.stderr);
    let out = run.stdout;
    assert!(out.contains("Held out: the newest"), "{out}");
    let (category, baseline) = scores(&out, "category");
    assert!(category >= 90.0 && category > baseline + 50.0, "{out}");
    let (assignee, baseline) = scores(&out, "assignee");
    assert!(assignee > baseline + 20.0, "{out}");
    let (priority, baseline) = scores(&out, "priority");
    assert!(priority >= baseline, "{out}");
    assert!(out.contains("Category confusion"), "{out}");
    // Eval stores nothing: no model, triage still off.
    let c = rusqlite::Connection::open(&db).expect("open");
    let models: i64 = c
        .query_row("SELECT COUNT(*) FROM triage_models", [], |r| r.get(0))
        .expect("count");
    assert_eq!(models, 0);
}

/// Tickets no demo pool holds, in everyday words: (expected category, subject, message).
const UNSEEN: &[(&str, &str, &str)] = &[
    (
        "Printers",
        "The big printer by reception keeps jamming",
        "Every time I print a report the paper gets stuck inside and the machine beeps.",
    ),
    (
        "Printers",
        "La impresora de recepción no saca las hojas",
        "Cada vez que mando algo a imprimir se queda parada y el papel se atasca.",
    ),
    (
        "Email",
        "Can't get my emails",
        "My inbox in Outlook hasn't updated since lunch and the messages I send stay in the outbox.",
    ),
    (
        "Email",
        "No recibo correos",
        "Desde ayer mi bandeja de entrada no se actualiza y los mensajes que envío no salen.",
    ),
    (
        "Phones",
        "My office phone is dead",
        "The phone on my desk has no line at all and I can't call customers back.",
    ),
    (
        "Phones",
        "El teléfono de mi mesa no tiene línea",
        "No puedo llamar a los clientes, el aparato no da tono desde esta mañana.",
    ),
    (
        "New hires & leavers",
        "Someone new joins finance next month",
        "A new colleague starts in finance on the 3rd; please get a laptop and a login ready for her.",
    ),
    (
        "New hires & leavers",
        "Nueva persona en el equipo",
        "El día 3 se incorpora una persona nueva en finanzas y necesita portátil y usuario.",
    ),
    (
        "Network & Wi-Fi",
        "Internet keeps cutting out",
        "The wireless connection in the east wing drops all the time and our video meetings freeze.",
    ),
    (
        "Network & Wi-Fi",
        "Se corta internet",
        "La conexión del wifi en el ala este se cae todo el rato y no podemos trabajar.",
    ),
    (
        "Accounts & access",
        "Can't sign in anymore",
        "My password stopped working after the holidays and now it says the account is locked.",
    ),
    (
        "Accounts & access",
        "No puedo entrar con mi usuario",
        "Mi contraseña dejó de funcionar después de las vacaciones y ahora la cuenta está bloqueada.",
    ),
    (
        "Hardware",
        "Laptop charger stopped working",
        "My notebook won't charge anymore, the battery stays at zero even when plugged in.",
    ),
    (
        "Hardware",
        "El portátil no carga",
        "El cargador del portátil ya no funciona y la batería se queda a cero.",
    ),
    (
        "Software",
        "Word keeps crashing",
        "The program closes by itself whenever I open a big document; maybe the update broke it.",
    ),
    (
        "Software",
        "El programa se cierra solo",
        "La aplicación de Excel se cierra cada vez que abro un archivo grande desde la última actualización.",
    ),
    (
        "General",
        "Question about backups of my files",
        "Is everything in my documents folder backed up somewhere, or should I copy it myself?",
    ),
    (
        "General",
        "Pregunta sobre las normas",
        "¿Hay alguna norma sobre usar mi propia tableta para trabajar? ¿Dónde la puedo leer?",
    ),
];

fn category_of(app: &TestApp, tracking_id: &str) -> String {
    let tid = tracking_id.to_string();
    app.db
        .read_blocking(move |c| {
            Ok(c.query_row(
                "SELECT c.name FROM tickets t JOIN categories c ON c.id = t.category_id
                 WHERE t.tracking_id = ?1",
                [&tid],
                |r| r.get(0),
            )?)
        })
        .expect("ticket")
}

#[test]
fn unseen_tickets_with_i_dont_know_land_in_the_right_category_and_staff_accept_a_suggestion() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = copy_demo(&dir);
    let run = server::run(&db, &["triage", "train"], &[], b"");
    assert_eq!(run.code, Some(0), "train: {}", run.stderr);
    assert!(run.stdout.contains("triage is on"), "{}", run.stdout);
    let app = TestApp::with_config(|c| c.db = db.clone());

    // The form offers "I don't know", chosen by default; in Spanish "No lo sé".
    let form = get_ok(&app.client, "/tickets/new");
    assert!(
        form.contains(r#"<option value="unknown" selected>I don&#x27;t know</option>"#)
            || form.contains(r#"<option value="unknown" selected>I don't know</option>"#),
        "{form}"
    );
    let es = app
        .client
        .get("/tickets/new")
        .header(common::accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(es.contains("No lo sé"));

    let mut right = 0;
    let mut wrong = Vec::new();
    for (expected, subject, message) in UNSEEN {
        let tid = common::submit_ticket(
            &app.client,
            &TicketInput {
                category: "unknown",
                subject,
                message,
                ..TicketInput::default()
            },
            &[],
        );
        let got = category_of(&app, &tid);
        if got == *expected {
            right += 1;
        } else {
            wrong.push(format!("{subject}: {got} (expected {expected})"));
        }
    }
    // Mostly right: at least 14 of the 18, in both languages.
    assert!(
        right >= 14,
        "{right}/{} right; wrong: {wrong:#?}",
        UNSEEN.len()
    );

    // Staff see the prediction with its confidence, and accept it in one click.
    let tid = common::submit_ticket(
        &app.client,
        &TicketInput {
            category: "1",
            subject: "Toner cartridge for the printer",
            message: "The printer on our floor is out of toner, nothing prints.",
            ..TicketInput::default()
        },
        &[],
    );
    let id = common::ticket_id(&app, &tid);
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let page = get_ok(&app.client, &format!("/staff/tickets/{id}"));
    assert!(page.contains("Suggested triage"), "{page}");
    assert!(page.contains("% sure)"), "{page}");
    let token = common::csrf_in(&page);
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{id}/triage/accept"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(category_of(&app, &tid), "Printers");
    let history = app.count(&format!(
        "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = {id} AND field = 'category'"
    ));
    assert_eq!(history, 1, "the change is in the ticket's history");
    // Without the token: refused, nothing changes.
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{id}/triage/accept"),
        &[],
    );
    assert_ne!(res.status(), Status::SeeOther);

    // Admin > Triage shows the last training, accuracy per field and the confusion table.
    let admin = get_ok(&app.client, "/admin/triage");
    assert!(admin.contains("Accuracy on held-out tickets"), "{admin}");
    assert!(admin.contains("Category confusion"), "{admin}");
    assert!(admin.contains("Network &amp; Wi-Fi"), "{admin}");
}

#[test]
fn empty_desk_and_odd_text_never_break_anything() {
    let app = TestApp::new();
    // No resolved tickets: train and eval say so, store nothing.
    let run = server::run(&app.config.db, &["triage", "train"], &[], b"");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("nothing to learn from"),
        "{}",
        run.stdout
    );
    let run = server::run(&app.config.db, &["triage", "eval"], &[], b"");
    assert!(run.stdout.contains("nothing to evaluate"), "{}", run.stdout);
    assert_eq!(app.count("SELECT COUNT(*) FROM triage_models"), 0);

    // Triage on without a model: Admin > Triage says nothing is predicted; "I don't know"
    // tickets go to the desk's default category; no suggestion is made.
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let page = get_ok(&app.client, "/admin/triage");
    assert!(
        page.contains("No model yet: nothing is predicted."),
        "{page}"
    );
    let token = common::csrf_in(&page);
    // A bad threshold is refused next to the field, and nothing is saved.
    let res = post_form(
        &app.client,
        "/admin/triage",
        &[
            ("csrf_token", &token),
            ("enabled", "true"),
            ("threshold", "150"),
            ("retrain_after", "200"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(
        body.contains("Enter a whole number from 0 to 100."),
        "{body}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM settings WHERE key = 'triage_enabled'"),
        0
    );
    let res = post_form(
        &app.client,
        "/admin/triage",
        &[
            ("csrf_token", &token),
            ("enabled", "true"),
            ("threshold", "60"),
            ("retrain_after", "200"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let default = app.count("SELECT id FROM categories WHERE active = 1 ORDER BY sort, id LIMIT 1");
    let other = app.other_client();
    let tid = common::submit_ticket(
        &other,
        &TicketInput {
            category: "unknown",
            subject: "🙂🙂🙂",
            message: "🔥🔥🔥 !!! ???",
            ..TicketInput::default()
        },
        &[],
    );
    let id = common::ticket_id(&app, &tid);
    assert_eq!(
        app.count(&format!("SELECT category_id FROM tickets WHERE id = {id}")),
        default
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM triage_suggestions"), 0);
    // The job's pass with triage on and nothing resolved: a clear summary, no model.
    let ctx = helpdesk::jobs::JobCtx {
        db: app.db.clone(),
        config: std::sync::Arc::new(app.config.clone()),
        now: helpdesk::db::now(),
        first: true,
    };
    let summary = helpdesk::triage::train_pass(&ctx).expect("pass");
    assert_eq!(summary, "0 newly resolved, retraining at 200");
    assert_eq!(app.count("SELECT COUNT(*) FROM triage_models"), 0);
}

#[test]
fn a_trained_model_answers_emoji_a_megabyte_and_a_single_category_desk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = copy_demo(&dir);
    // Trained by the job: triage on, no model yet, resolved tickets there.
    let store = helpdesk::db::Db::open(&db).expect("open");
    store
        .write_blocking(|c| helpdesk::settings::set(c, "triage_enabled", "1"))
        .expect("triage on");
    let ctx = helpdesk::jobs::JobCtx {
        db: store.clone(),
        config: std::sync::Arc::new(helpdesk::config::Config::default()),
        now: helpdesk::db::now(),
        first: true,
    };
    let summary = helpdesk::triage::train_pass(&ctx).expect("pass");
    assert!(summary.starts_with("trained on "), "{summary}");
    let summary = helpdesk::triage::train_pass(&ctx).expect("pass");
    assert!(
        summary.contains("newly resolved, retraining at 200"),
        "{summary}"
    );
    let huge = "printer toner paper jam ".repeat(45_000);
    let (emoji, big) = store
        .read_blocking(|c| {
            Ok((
                helpdesk::triage::predict(c, "🙂", "🔥🔥🔥")?,
                helpdesk::triage::predict(c, "help", &huge)?,
            ))
        })
        .expect("predict");
    // No words: the prior's guess, never an error.
    assert!(emoji.is_some_and(|s| s.category_id.is_some()));
    assert!(huge.len() > 1_000_000);
    assert!(big.is_some_and(|s| s.category_id.is_some()));

    // A desk where every resolved ticket has one category: the model says that one.
    store
        .write_blocking(|c| {
            c.execute(
                "UPDATE tickets SET category_id = (SELECT MIN(id) FROM categories)",
                [],
            )?;
            Ok(())
        })
        .expect("one category");
    drop(store);
    let run = server::run(&db, &["triage", "eval"], &[], b"");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let (accuracy, baseline) = scores(&run.stdout, "category");
    assert_eq!((accuracy, baseline), (100.0, 100.0), "{}", run.stdout);
}
