//! The mail page: the SMTP server, sender and Reply-To an admin sets (on top of the
//! configuration, see `crate::mail::settings`), and a test message sent at once with them.

use lettre::message::Mailbox;
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::mail_store;
use super::rejected;
use crate::auth::AdminUser;
use crate::error::{Error, FieldErrors, Result};
use crate::mail::settings::{self as mail_settings, MailSettings, Saved, Security, valid_host};
use crate::mail::{Outgoing, build_message, send_now};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{Answer, App, ClientIp, Html, Page, PageResult};

const MAX_FIELD: usize = 254;
/// Longest server answer or error kept in the flash cookie (cookies hold about 4 KB).
const MAX_FLASH: usize = 1000;

pub fn routes() -> Vec<Route> {
    routes![mail_page, save, send_test]
}

#[derive(FromForm)]
struct SmtpForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    host: String,
    #[field(default = String::new())]
    port: String,
    #[field(default = String::new())]
    security: String,
    #[field(default = String::new())]
    user: String,
    /// Write-only: empty keeps the stored password.
    #[field(default = String::new())]
    password: String,
    #[field(default = false)]
    clear_password: bool,
    #[field(default = String::new())]
    from: String,
    #[field(default = String::new())]
    reply_to: String,
}

impl CsrfForm for SmtpForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(FromForm)]
struct TestForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    to: String,
}

impl CsrfForm for TestForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// The form's values as the page shows them; the password only as whether one is stored.
fn form_values(saved: &Saved) -> Value {
    json!({
        "host": saved.host,
        "port": saved.port.map(|p| p.to_string()).unwrap_or_default(),
        "security": saved.security.as_str(),
        "user": saved.user,
        "from": saved.from,
        "reply_to": saved.reply_to,
    })
}

/// Everything the page shows besides the form itself.
async fn page_data(
    app: &App,
    admin: &AdminUser,
    form: Value,
    test_to: &str,
    errors: FieldErrors,
) -> Result<Value> {
    let config = app.config.clone();
    let (saved, alerts, waiting) = app
        .db
        .read(move |c| {
            Ok((
                Saved::load(c)?,
                mail_store::alerts(c)?,
                crate::outbox::waiting_count(c)?,
            ))
        })
        .await?;
    let effective = MailSettings::merge(&saved, &config);
    let source = match effective.server {
        mail_settings::Server::Off => "off",
        mail_settings::Server::Url(_) => "config",
        mail_settings::Server::Admin { .. } => "admin",
    };
    let test_to = if test_to.is_empty() {
        admin.0.email.as_str()
    } else {
        test_to
    };
    Ok(json!({
        "form": form,
        "smtp_errors": errors.iter().any(|(field, _)| field != "test_to"),
        "errors": errors,
        "password_set": !saved.password.is_empty(),
        "effective": {
            "source": source,
            "server": effective.describe(),
            "from": effective.from,
            "reply_to": effective.reply_to,
        },
        "config_server": MailSettings::from_config(&config).describe(),
        "test_to": test_to,
        "mail_alerts": alerts,
        "waiting": waiting,
    }))
}

#[get("/mail")]
async fn mail_page(admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let saved = app.db.read(Saved::load).await?;
    let data = page_data(app, &admin, form_values(&saved), "", FieldErrors::new()).await?;
    page.render("admin/mail.html", data)
}

/// An address `lettre` accepts (`addr` or `Name <addr>`); `None` for empty input.
fn address(s: &str) -> Option<std::result::Result<String, ()>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    Some(match s.parse::<Mailbox>() {
        Ok(_) if s.len() <= MAX_FIELD => Ok(s.to_string()),
        _ => Err(()),
    })
}

/// The saved settings the form asks for, or the errors to show next to its fields.
fn check(form: &SmtpForm, stored_password: &str) -> Result<Saved, FieldErrors> {
    let mut errors = FieldErrors::new();
    let host = form.host.trim().to_ascii_lowercase();
    if !host.is_empty() && !valid_host(&host) {
        errors.add("host", "admin_mail_error_host");
    }
    let port = match form.port.trim() {
        "" => None,
        p => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                errors.add("port", "admin_mail_error_port");
                None
            }
        },
    };
    let security = Security::parse(form.security.trim()).unwrap_or_else(|| {
        errors.add("security", "admin_mail_error_security");
        Security::StartTls
    });
    let user = form.user.trim().to_string();
    if user.chars().count() > MAX_FIELD || user.chars().any(char::is_control) {
        errors.add("user", "admin_mail_error_user");
    }
    if form.password.chars().count() > MAX_FIELD {
        errors.add("password", "admin_mail_error_password");
    }
    let mut addr = |field: &'static str, value: &str| match address(value) {
        None => String::new(),
        Some(Ok(a)) => a,
        Some(Err(())) => {
            errors.add(field, "admin_mail_error_address");
            String::new()
        }
    };
    let from = addr("from", &form.from);
    let reply_to = addr("reply_to", &form.reply_to);
    // A server without a host would be ignored silently: say so instead.
    if host.is_empty() && (port.is_some() || !user.is_empty()) {
        errors.add("host", "admin_mail_error_host_needed");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let password = if form.clear_password {
        String::new()
    } else if form.password.is_empty() {
        stored_password.to_string()
    } else {
        form.password.clone()
    };
    Ok(Saved {
        host,
        port,
        security,
        user,
        password,
        from,
        reply_to,
    })
}

#[post("/mail", data = "<form>")]
async fn save(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<SmtpForm>,
) -> PageResult {
    let form = form.0;
    let stored = app.db.read(Saved::load).await?;
    let new = match check(&form, &stored.password) {
        Ok(new) => new,
        Err(errors) => {
            let values = json!({
                "host": form.host, "port": form.port, "security": form.security,
                "user": form.user, "from": form.from, "reply_to": form.reply_to,
            });
            let data = page_data(app, &admin, values, "", errors).await?;
            return rejected(&page, "admin/mail.html", data);
        }
    };
    let me = admin.0.id;
    app.db
        .write(move |c| {
            new.save(c)?;
            // Never the password itself: only whether it changed.
            let detail = format!(
                "host={} port={} security={} user={} from={} reply_to={} password={}",
                new.host,
                new.port.map(|p| p.to_string()).unwrap_or_default(),
                new.security.as_str(),
                new.user,
                new.from,
                new.reply_to,
                if new.password == stored.password {
                    "unchanged"
                } else if new.password.is_empty() {
                    "cleared"
                } else {
                    "changed"
                },
            );
            crate::audit::record(c, Some(me), "mail_settings_update", &detail, Some(&ip.0))
        })
        .await?;
    // Mail that waited for a server may go now.
    crate::mail::wake();
    super::done("/admin/mail".into(), "admin_mail_flash_saved")
}

/// The text of an error without its status prefix: the admin wants the server's words.
pub(super) fn error_text(e: &Error) -> String {
    let text = match e {
        Error::BadRequest(m) | Error::Internal(m) => m.clone(),
        other => other.to_string(),
    };
    text.chars().take(MAX_FLASH).collect()
}

/// Sends the test message and waits for the server's answer; SMTP errors are an answer too.
async fn deliver_test(app: &App, to: String) -> Result<std::result::Result<String, String>> {
    let config = app.config.clone();
    let settings = app
        .db
        .read(move |c| mail_settings::effective(c, &config))
        .await?;
    let mail = Outgoing {
        id: 0,
        to_addr: to,
        subject: format!("{}: test message", app.settings().desk_name),
        body_text: format!(
            "This is a test message from the help desk at {}.\nOutgoing mail works.\n",
            app.config.base_url
        ),
        body_html: None,
        message_id: format!("<test-{}@helpdesk>", crate::util::random_hex(8)),
        in_reply_to: None,
        attempts: 0,
    };
    let sent = rocket::tokio::task::spawn_blocking(move || {
        build_message(&settings, &mail).and_then(|m| send_now(&settings, &m))
    })
    .await
    .map_err(|e| Error::internal(format!("test mail task failed: {e}")))?;
    Ok(sent.map_err(|e| error_text(&e)))
}

#[post("/mail/test", data = "<form>")]
async fn send_test(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<TestForm>,
) -> PageResult {
    let to = form.0.to.trim().to_string();
    // Whatever lettre takes as a recipient: the first admin's default address,
    // admin@localhost, has no dot in its domain and is still a fine test recipient.
    if to.len() > MAX_FIELD || !to.contains('@') || to.parse::<Mailbox>().is_err() {
        let mut errors = FieldErrors::new();
        errors.add("test_to", "admin_mail_error_address");
        let saved = app.db.read(Saved::load).await?;
        let data = page_data(app, &admin, form_values(&saved), &to, errors).await?;
        return rejected(&page, "admin/mail.html", data);
    }
    let result = deliver_test(app, to.clone()).await?;
    let (me, outcome) = (admin.0.id, result.clone());
    app.db
        .write(move |c| {
            let detail = match &outcome {
                Ok(answer) => format!("to={to} answer={answer}"),
                Err(error) => format!("to={to} error={error}"),
            };
            crate::audit::record(c, Some(me), "mail_test", &detail, Some(&ip.0))
        })
        .await?;
    let redirect = Redirect::to("/admin/mail");
    Ok(Answer::from(match result {
        Ok(answer) => Flash::success(
            redirect,
            page.t("admin_mail_flash_test_sent")
                .replace("{answer}", &answer),
        ),
        Err(error) => Flash::error(
            redirect,
            page.t("admin_mail_flash_test_failed")
                .replace("{error}", &error),
        ),
    }))
}
