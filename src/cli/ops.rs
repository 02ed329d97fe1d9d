//! The operator's commands: serve, user, backup, restore, check, mail, jobs.

use std::io::BufRead;
use std::time::Instant;

use rusqlite::{Connection, OpenFlags};

use super::UserCommand;
use crate::auth::{Role, sessions, two_factor, users};
use crate::config::Config;
use crate::db::{Db, SCHEMA_VERSION};
use crate::error::{Error, Result};

pub fn serve(config: Config) -> Result<()> {
    let db = Db::open(&config.db)?;
    if let Some((email, password)) = crate::bootstrap_admin(&db, config.bcrypt_cost)? {
        println!("Created the first admin account (shown only this once):");
        println!("  email:    {email}");
        println!("  password: {password}");
        println!("Log in at /staff/login and change it under Admin > Staff.");
    }
    let bind = config.bind;
    let runtime = runtime(config.workers)?;
    let rocket = crate::build_rocket_with(db, config)?;
    println!("Helpdesk listening on http://{bind}");
    runtime
        .block_on(async move { rocket.launch().await })
        .map(|_| ())
        .map_err(|e| Error::internal(format!("server failed: {e}")))
}

/// Threads for blocking work (database, files): more than the readers and the writer can use
/// at once would only wait, each holding memory.
const BLOCKING_THREADS: usize = 8;

/// The async runtime, built here rather than by `rocket::execute`, which reads its thread
/// counts from Rocket's own configuration sources and so would ignore `workers`.
fn runtime(workers: usize) -> Result<rocket::tokio::runtime::Runtime> {
    let workers = if workers > 0 {
        workers
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    rocket::tokio::runtime::Builder::new_multi_thread()
        .thread_name("helpdesk-worker")
        .worker_threads(workers)
        .max_blocking_threads(BLOCKING_THREADS)
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("cannot start the async runtime: {e}")))
}

fn read_password() -> Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    users::check_password_strength(&password).map_err(|key| {
        Error::BadRequest(match key {
            "password_too_long" => "the password is longer than 72 bytes".into(),
            "password_too_common" => {
                "that password is one of the most common ones; choose another".into()
            }
            _ => "the password must have at least 10 characters".into(),
        })
    })?;
    Ok(password)
}

pub fn user(config: Config, cmd: UserCommand) -> Result<()> {
    // Read the password before touching the database, so a refused one creates nothing.
    let password = match &cmd {
        UserCommand::Add { .. } | UserCommand::Passwd { .. } => Some(read_password()?),
        UserCommand::List | UserCommand::Reset2fa { .. } => None,
    };
    let password = password.unwrap_or_default();
    let db = Db::open(&config.db)?;
    match cmd {
        UserCommand::Add {
            role, email, name, ..
        } => {
            let role = Role::parse(&role)
                .ok_or_else(|| Error::BadRequest("role must be admin or agent".into()))?;
            let email = email.trim().to_lowercase();
            if !crate::util::looks_like_email(&email) && !email.ends_with("@localhost") {
                return Err(Error::BadRequest(format!(
                    "{email:?} is not an email address"
                )));
            }
            let name = crate::util::clean(&name, 100);
            if name.is_empty() {
                return Err(Error::BadRequest("the name is empty".into()));
            }
            let hash = users::hash_password(&password, config.bcrypt_cost)?;
            db.write_blocking(|c| {
                let id = users::create(c, &email, &name, role, &hash)?;
                crate::audit::record(
                    c,
                    None,
                    "cli_user_add",
                    &format!("id={id} email={email} role={}", role.as_str()),
                    None,
                )
            })?;
            println!("Added {} {email}", role.as_str());
        }
        UserCommand::Passwd { email, .. } => {
            let email = email.trim().to_lowercase();
            let account = db
                .read_blocking(|c| users::find_by_email(c, &email))?
                .ok_or_else(|| Error::BadRequest(format!("no staff account with email {email}")))?;
            let hash = users::hash_password(&password, config.bcrypt_cost)?;
            db.write_blocking(|c| {
                users::set_password(c, account.id, &hash)?;
                crate::audit::record(
                    c,
                    None,
                    "cli_user_passwd",
                    &format!("id={}", account.id),
                    None,
                )
            })?;
            println!("Password changed for {email}; their sessions were ended.");
        }
        UserCommand::Reset2fa { email } => {
            let email = email.trim().to_lowercase();
            let account = db
                .read_blocking(|c| users::find_by_email(c, &email))?
                .ok_or_else(|| Error::BadRequest(format!("no staff account with email {email}")))?;
            let was_on = db.write_blocking(|c| {
                let was_on = two_factor::remove(c, account.id)?;
                let ended = sessions::end_all(c, account.id)?;
                let detail = format!("id={} was_on={was_on} sessions={ended}", account.id);
                crate::audit::record(c, None, "cli_2fa_reset", &detail, None)?;
                Ok(was_on)
            })?;
            if was_on {
                println!(
                    "Two-factor sign-in removed for {email}; their sessions were ended. \
                     They sign in with their password alone until they set it up again."
                );
            } else {
                println!(
                    "{email} had no two-factor sign-in; their sessions were ended all the same."
                );
            }
        }
        UserCommand::List => {
            for u in db.read_blocking(users::list)? {
                let state = if u.active { "active" } else { "inactive" };
                println!("{}\t{}\t{}\t{}", u.email, u.role.as_str(), state, u.name);
            }
        }
    }
    Ok(())
}

pub fn check(config: &Config) -> Result<()> {
    println!(
        "configuration: ok (database {}, bind {})",
        config.db.display(),
        config.bind
    );
    if !config.db.exists() {
        println!("database: not created yet (it will be on first start)");
        return Ok(());
    }
    let conn = Connection::open_with_flags(&config.db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    // The checks read every page: a minute or more for millions of tickets, so each says when
    // it starts and how long it took (on standard error, as the backup's progress).
    let started = Instant::now();
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    eprintln!("check: reading all {pages} pages (integrity)...");
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let problems: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?
        .into_iter()
        .filter(|s| s != "ok")
        .collect();
    eprintln!(
        "check: integrity read in {:.1} s; foreign keys...",
        started.elapsed().as_secs_f64()
    );
    let fk: i64 = conn.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    let checked = started.elapsed().as_secs_f64();
    let tickets = crate::tickets::store::count(&conn).unwrap_or(-1);
    println!("schema version: {version} (this binary: {SCHEMA_VERSION})");
    println!("tickets: {tickets}");
    let mail_on =
        crate::mail::settings::configured(&conn, config).unwrap_or(!config.smtp_url.is_empty());
    println!(
        "mail: {}",
        if mail_on {
            "on"
        } else {
            "off (no SMTP server on the admin mail page, smtp_url is empty)"
        }
    );
    // Absent before the first start of this version (check does not migrate).
    let waiting = crate::outbox::waiting_and_last_error(&conn);
    if let Ok((waiting, last_error)) = waiting {
        println!("outbox: {waiting} waiting");
        if let Some(e) = last_error {
            println!("outbox: last error: {e}");
        }
    }
    if problems.is_empty() && fk == 0 && version <= SCHEMA_VERSION {
        println!("integrity: ok (checked in {checked:.1} s)");
        Ok(())
    } else {
        for p in &problems {
            println!("integrity: {p}");
        }
        if fk > 0 {
            println!("foreign keys: {fk} broken references");
        }
        Err(Error::internal("the database has problems (see above)"))
    }
}

/// `mail test --to ADDR`: one message through the SMTP server in effect, sent at once.
pub fn mail_test(config: &Config, to: &str) -> Result<()> {
    let tag = crate::util::random_hex(8);
    let mail = crate::mail::Outgoing {
        id: 0,
        to_addr: to.trim().to_string(),
        subject: "Helpdesk test message".into(),
        body_text: format!(
            "This is a test message from the help desk at {}.\nOutgoing mail works.\n",
            config.base_url
        ),
        body_html: None,
        message_id: format!("<test-{tag}@helpdesk>"),
        in_reply_to: None,
        attempts: 0,
    };
    // The settings an admin saved win over the configuration, as for the server's own mail; a
    // database that does not exist yet holds none.
    let settings = if config.db.exists() {
        let conn = Connection::open_with_flags(&config.db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        crate::mail::settings::effective(&conn, config)?
    } else {
        crate::mail::MailSettings::from_config(config)
    };
    let message = crate::mail::build_message(&settings, &mail)?;
    let answer = crate::mail::send_now(&settings, &message)?;
    println!(
        "sent a test message to {} (server answered: {answer})",
        mail.to_addr
    );
    Ok(())
}

/// Largest message `mail pipe` accepts.
const MAX_PIPED_MAIL: u64 = 30 * 1024 * 1024;
/// sysexits.h EX_TEMPFAIL: the MTA keeps the message and tries again later.
const EX_TEMPFAIL: u8 = 75;

/// `mail pipe`: imports the message on standard input and prints what became of it. Exit 0
/// whenever the message was dealt with (imported, ignored or quarantined); 75 when it could not
/// be stored, so the MTA keeps it.
pub fn mail_pipe(config: &Config) -> std::process::ExitCode {
    use std::io::Read;
    use std::process::ExitCode;
    let mut raw = Vec::new();
    if let Err(e) = std::io::stdin()
        .lock()
        .take(MAX_PIPED_MAIL + 1)
        .read_to_end(&mut raw)
    {
        eprintln!("helpdesk: reading the message from standard input: {e}");
        return ExitCode::from(EX_TEMPFAIL);
    }
    if raw.len() as u64 > MAX_PIPED_MAIL {
        eprintln!(
            "helpdesk: the message is larger than {} MB; not imported",
            MAX_PIPED_MAIL / (1024 * 1024)
        );
        return ExitCode::from(EX_TEMPFAIL);
    }
    let result = Db::open(&config.db).and_then(|db| {
        let settings = db.read_blocking(crate::settings::Settings::load)?;
        db.write_blocking(|c| crate::mail::incoming::import(c, &raw, &settings, config))
    });
    match result {
        Ok(outcome) => {
            println!("{outcome}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("helpdesk: the message could not be stored, try again later: {e}");
            ExitCode::from(EX_TEMPFAIL)
        }
    }
}

/// `mail fetch`: one IMAP poll with `--once`, else a poll every `imap_interval_secs` forever
/// (errors are printed and the next poll tries again).
pub fn mail_fetch(config: &Config, once: bool) -> Result<()> {
    if config.imap_host.is_empty() {
        return Err(Error::BadRequest(
            "IMAP polling is off: set imap_host (HELPDESK_IMAP_HOST)".into(),
        ));
    }
    let db = Db::open(&config.db)?;
    // One poller per database: two at once would fetch the same messages.
    let Some(_lease) = crate::jobs::lease::try_take(&config.db, crate::jobs::MAIL_FETCH)? else {
        return Err(Error::BadRequest(format!(
            "another process (a running server?) already polls the mailbox for {}",
            config.db.display()
        )));
    };
    // Each poll is a pass of the mail_fetch job, recorded like the server's (`helpdesk jobs`).
    let job = crate::jobs::find(crate::jobs::MAIL_FETCH)
        .ok_or_else(|| Error::internal("the mail_fetch job is missing"))?;
    let config = std::sync::Arc::new(config.clone());
    let mut first = true;
    loop {
        let pass = crate::jobs::run_pass(job, &db, &config, first)?;
        first = false;
        match pass.outcome {
            Ok(summary) => println!("{summary}"),
            Err(e) if once => return Err(Error::BadRequest(e)),
            Err(e) => eprintln!("helpdesk: {e}"),
        }
        if once {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_secs(config.imap_interval_secs));
    }
}

/// A time for the jobs listing, to the second.
fn when(unix: Option<i64>) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    unix.and_then(|u| time::OffsetDateTime::from_unix_timestamp(u).ok())
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| "never".to_string())
}

/// `jobs`: one line per job, then its last outcome indented under it.
pub fn jobs_list(config: &Config) -> Result<()> {
    let db = Db::open(&config.db)?;
    println!(
        "{:<12} {:<9} {:<23}  {:<23}  {:>8} {:>8}  LOCK",
        "JOB", "EVERY", "LAST RUN", "NEXT RUN", "RUNS", "FAILURES"
    );
    for job in crate::jobs::status(&db, config)? {
        let state = job.state.clone().unwrap_or_default();
        let next = match (job.enabled, state.next_run_at) {
            (false, _) => "-".to_string(),
            (true, None) => "at once".to_string(),
            (true, next) => when(next),
        };
        let lock = if job.locked {
            "held by a running process"
        } else {
            "free"
        };
        println!(
            "{:<12} {:<9} {:<23}  {:<23}  {:>8} {:>8}  {lock}",
            job.name,
            format!("{}s", job.interval_secs),
            when(state.last_run_at),
            next,
            state.runs,
            state.failures,
        );
        if !job.enabled {
            println!("  off in this configuration");
        }
        let took = state
            .last_duration_ms
            .map(|ms| format!(" in {ms} ms"))
            .unwrap_or_default();
        match (&state.last_error, &state.last_summary) {
            (Some(e), _) => println!("  last run failed{took}: {e}"),
            (None, Some(s)) if state.last_run_at.is_some() => println!("  last run ok{took}: {s}"),
            _ => {}
        }
    }
    Ok(())
}

/// `jobs run NAME`: one pass now, in this process, recorded like the server's.
pub fn jobs_run(config: &Config, name: &str) -> Result<()> {
    let db = Db::open(&config.db)?;
    let pass = crate::jobs::run_now(&db, config, name)?;
    match pass.outcome {
        Ok(summary) => {
            println!("{name}: ok in {} ms: {summary}", pass.duration_ms);
            Ok(())
        }
        Err(e) => Err(Error::internal(format!(
            "{name} failed after {} ms: {e}",
            pass.duration_ms
        ))),
    }
}
