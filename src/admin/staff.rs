//! Staff accounts: list, create, edit (name, role, active), password reset, ending a member's
//! sessions and removing their two-factor sign-in.

use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::{done, rejected, remember_password, take_password, text};
use crate::auth::users::{self, Role, StaffAccount};
use crate::auth::{AdminUser, access, sessions, two_factor};
use crate::db::now;
use crate::error::{Error, FieldErrors, Result};
use crate::util::{looks_like_email, random_password};
use crate::web::auth::{UserAgent, start_session};
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{Answer, App, ClientIp, Html, Page, PageResult};

const MAX_NAME: usize = 100;

pub fn routes() -> Vec<Route> {
    routes![
        list_page,
        create,
        edit_page,
        save,
        end_sessions,
        reset_password,
        reset_two_factor
    ]
}

#[derive(FromForm)]
struct NewStaffForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    role: String,
    /// Empty: generate one and show it once.
    #[field(default = String::new())]
    password: String,
}

impl CsrfForm for NewStaffForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(FromForm)]
struct EditStaffForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    role: String,
    active: bool,
    /// Ticked: works every category; else only `categories`.
    all_categories: bool,
    /// Category ids (unknown ones are ignored).
    categories: Vec<String>,
    /// Sent by the page's access fieldset. A post without it (an older script) leaves the
    /// member's access as it was rather than reading "nothing ticked" as "no categories".
    #[field(default = false)]
    access_shown: bool,
}

impl CsrfForm for EditStaffForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// The account a freshly generated password belongs to, for the one-time notice.
fn shown_password(account: &StaffAccount, password: String) -> Value {
    json!({ "name": account.name, "email": account.email, "password": password })
}

async fn render_list(
    page: &Page<'_>,
    app: &App,
    form: Value,
    errors: FieldErrors,
    shown: Option<(i64, String)>,
) -> Result<Html> {
    let accounts = app.db.read(users::list).await?;
    let new_password = shown.and_then(|(id, pw)| {
        accounts
            .iter()
            .find(|a| a.id == id)
            .map(|a| shown_password(a, pw))
    });
    super::render(
        page,
        app,
        "admin/staff.html",
        json!({ "accounts": accounts, "form": form, "errors": errors, "new_password": new_password }),
    )
    .await
}

#[get("/staff")]
async fn list_page(
    _admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    cookies: &CookieJar<'_>,
) -> Result<Html> {
    let shown = take_password(cookies);
    render_list(
        &page,
        app,
        json!({ "role": "agent" }),
        FieldErrors::new(),
        shown,
    )
    .await
}

#[post("/staff", data = "<form>")]
async fn create(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    cookies: &CookieJar<'_>,
    form: Checked<NewStaffForm>,
) -> PageResult {
    let form = form.0;
    let email = form.email.trim().to_lowercase();
    let name = text(&form.name, MAX_NAME);
    let role = Role::parse(&form.role);
    let mut refusals = FieldErrors::new();
    if !looks_like_email(&email) {
        refusals.add("email", "error_email_invalid");
    }
    if name.is_none() {
        refusals.add("name", "admin_error_name");
    }
    if role.is_none() {
        refusals.add("role", "admin_error_role");
    }
    let generated = form.password.is_empty();
    let password = if generated {
        random_password()
    } else {
        form.password.clone()
    };
    if let Err(key) = users::check_password_strength(&password) {
        refusals.add("password", key);
    }
    let values = json!({ "email": form.email.trim(), "name": form.name, "role": form.role });
    let (Some(name), Some(role), true) = (name, role, refusals.is_empty()) else {
        return rejected_list(&page, app, values, refusals).await;
    };
    let lookup = email.clone();
    if app
        .db
        .read(move |c| users::find_by_email(c, &lookup))
        .await?
        .is_some()
    {
        return rejected_list(
            &page,
            app,
            values,
            FieldErrors::one("email", "admin_error_email_taken"),
        )
        .await;
    }
    let password_hash = app.hash_password(password.clone()).await?;
    let admin_id = admin.0.id;
    let created = app
        .write_refdata(move |c| {
            // Checked again inside the transaction: another admin may have been quicker.
            if users::find_by_email(c, &email)?.is_some() {
                return Ok(None);
            }
            let id = users::create(c, &email, &name, role, &password_hash)?;
            let detail = format!("id={id} email={email} role={}", role.as_str());
            crate::audit::record(c, Some(admin_id), "staff_create", &detail, Some(&ip.0))?;
            Ok(Some(id))
        })
        .await?;
    let Some(id) = created else {
        return rejected_list(
            &page,
            app,
            values,
            FieldErrors::one("email", "admin_error_email_taken"),
        )
        .await;
    };
    if generated {
        remember_password(cookies, id, &password);
    }
    done("/admin/staff".into(), "admin_flash_staff_created")
}

async fn rejected_list(
    page: &Page<'_>,
    app: &App,
    values: Value,
    refusals: FieldErrors,
) -> PageResult {
    let html = render_list(page, app, values, refusals, None).await?;
    Ok(Answer::from((Status::UnprocessableEntity, html)))
}

async fn load(app: &App, id: i64) -> Result<StaffAccount> {
    app.db
        .read(move |c| users::get(c, id))
        .await?
        .ok_or(Error::NotFound)
}

/// What the member's page shows besides the form: their open sessions and two-factor state.
struct Signins {
    open_sessions: i64,
    two_factor: two_factor::Status,
}

fn edit_data(
    account: &StaffAccount,
    me: i64,
    form: Value,
    errors: FieldErrors,
    new_password: Option<Value>,
    signins: Signins,
) -> Value {
    json!({
        "account": account, "is_self": account.id == me, "form": form, "errors": errors,
        "new_password": new_password, "open_sessions": signins.open_sessions,
        "two_factor": signins.two_factor,
    })
}

async fn signins(app: &App, id: i64) -> Result<Signins> {
    app.db
        .read(move |c| {
            Ok(Signins {
                open_sessions: sessions::count(c, id, now())?,
                two_factor: two_factor::status(c, id)?,
            })
        })
        .await
}

#[get("/staff/<id>")]
async fn edit_page(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    cookies: &CookieJar<'_>,
    id: i64,
) -> Result<Html> {
    let account = load(app, id).await?;
    let shown = take_password(cookies)
        .filter(|(sid, _)| *sid == id)
        .map(|(_, pw)| shown_password(&account, pw));
    let chosen = app.db.read(move |c| access::categories(c, id)).await?;
    let form = json!({
        "name": account.name, "role": account.role, "active": account.active,
        "all_categories": account.all_categories, "categories": chosen,
    });
    let mut data = edit_data(
        &account,
        admin.0.id,
        form,
        FieldErrors::new(),
        shown,
        signins(app, id).await?,
    );
    data["categories"] = json!(app.refdata(page.lang).await?.categories);
    page.render("admin/staff_edit.html", data)
}

#[post("/staff/<id>", data = "<form>")]
async fn save(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    form: Checked<EditStaffForm>,
) -> PageResult {
    let form = form.0;
    let me = admin.0.id;
    let name = text(&form.name, MAX_NAME);
    let role = Role::parse(&form.role);
    let active = form.active;
    let mut refusals = FieldErrors::new();
    if name.is_none() {
        refusals.add("name", "admin_error_name");
    }
    if role.is_none() {
        refusals.add("role", "admin_error_role");
    }
    if id == me && !active {
        refusals.add("active", "admin_error_deactivate_self");
    }
    let chosen: Vec<i64> = form
        .categories
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect();
    let access = if !form.access_shown && !form.all_categories && chosen.is_empty() {
        None
    } else {
        if !form.all_categories && chosen.is_empty() && role != Some(Role::Admin) {
            refusals.add("categories", "admin_error_categories_none");
        }
        Some((form.all_categories, chosen.clone()))
    };
    let values = json!({
        "name": form.name, "role": form.role, "active": active,
        "all_categories": form.all_categories || !form.access_shown && chosen.is_empty(),
        "categories": chosen,
    });
    if let (Some(name), Some(role), true) = (name, role, refusals.is_empty()) {
        let outcome = app
            .write_refdata(move |c| {
                let before = users::get(c, id)?.ok_or(Error::NotFound)?;
                let loses_admin =
                    before.active && before.role == Role::Admin && (role != Role::Admin || !active);
                if loses_admin && users::active_admins(c)? <= 1 {
                    let field = if active { "role" } else { "active" };
                    return Ok(Some((field, "admin_error_last_admin")));
                }
                users::update(c, id, &name, role, active)?;
                if let Some((all, chosen)) = &access {
                    access::set(c, id, *all, chosen)?;
                }
                let scope = match access::of_staff(c, id)? {
                    access::Access::All => "all".to_string(),
                    access::Access::Only(ids) => format!("{ids:?}"),
                };
                let detail = format!(
                    "id={id} email={} name={name} role={} active={active} categories={scope}",
                    before.email,
                    role.as_str()
                );
                crate::audit::record(c, Some(me), "staff_update", &detail, Some(&ip.0))?;
                Ok(None)
            })
            .await?;
        match outcome {
            None if id == me && role != Role::Admin => {
                // Demoted themselves: the admin pages are closed to them now.
                return done("/staff/tickets".into(), "admin_flash_staff_saved");
            }
            None => return done(format!("/admin/staff/{id}"), "admin_flash_staff_saved"),
            Some((field, key)) => refusals.add(field, key),
        }
    }
    let account = load(app, id).await?;
    let mut data = edit_data(
        &account,
        me,
        values,
        refusals,
        None,
        signins(app, id).await?,
    );
    data["categories"] = json!(app.refdata(page.lang).await?.categories);
    rejected(&page, "admin/staff_edit.html", data)
}

/// Ends every session of the account: it is signed out of every browser at once.
#[post("/staff/<id>/sessions/end", data = "<_form>")]
async fn end_sessions(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    cookies: &CookieJar<'_>,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    let account = load(app, id).await?;
    let me = admin.0.id;
    app.db
        .write(move |c| {
            let ended = sessions::end_all(c, id)?;
            let detail = format!("id={id} email={} sessions={ended}", account.email);
            crate::audit::record(c, Some(me), "staff_sessions_end", &detail, Some(&ip.0))
        })
        .await?;
    if id == me {
        // Their own sessions too: this browser is signed out with the rest.
        crate::web::auth::end_session(app, cookies).await?;
        return Ok(Answer::from(Flash::success(
            Redirect::to("/staff/login"),
            "admin_flash_sessions_ended",
        )));
    }
    done(format!("/admin/staff/{id}"), "admin_flash_sessions_ended")
}

#[post("/staff/<id>/password", data = "<_form>")]
async fn reset_password(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    user_agent: UserAgent,
    cookies: &CookieJar<'_>,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    load(app, id).await?;
    let client = ip.0.clone();
    let password = random_password();
    let password_hash = app.hash_password(password.clone()).await?;
    let me = admin.0.id;
    let account = app
        .write_refdata(move |c| {
            let account = users::get(c, id)?.ok_or(Error::NotFound)?;
            users::set_password(c, id, &password_hash)?;
            let detail = format!("id={id} email={}", account.email);
            crate::audit::record(c, Some(me), "staff_password_reset", &detail, Some(&ip.0))?;
            users::get(c, id)?.ok_or(Error::NotFound)
        })
        .await?;
    if id == me {
        // Setting a password ends every session of the account, this one included: start anew.
        start_session(app, cookies, &account, &client, user_agent.0).await?;
    }
    remember_password(cookies, id, &password);
    done(format!("/admin/staff/{id}"), "admin_flash_password_reset")
}

/// Removes the member's two-factor sign-in (secret and recovery codes; a lost phone) and ends
/// their sessions: they sign in with their password alone, and set it up again.
#[post("/staff/<id>/two-factor/reset", data = "<_form>")]
async fn reset_two_factor(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    cookies: &CookieJar<'_>,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    let account = load(app, id).await?;
    let me = admin.0.id;
    app.db
        .write(move |c| {
            let was_on = two_factor::remove(c, id)?;
            let ended = sessions::end_all(c, id)?;
            let detail = format!(
                "id={id} email={} was_on={was_on} sessions={ended}",
                account.email
            );
            crate::audit::record(c, Some(me), "2fa_reset", &detail, Some(&ip.0))
        })
        .await?;
    if id == me {
        crate::web::auth::end_session(app, cookies).await?;
        return Ok(Answer::from(Flash::success(
            Redirect::to("/staff/login"),
            "admin_flash_2fa_reset",
        )));
    }
    done(format!("/admin/staff/{id}"), "admin_flash_2fa_reset")
}
