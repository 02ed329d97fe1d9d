//! The background jobs page: each job's interval, last and next run, counts and last outcome,
//! whether a running process holds its lock, and "Run now", which wakes it in this server's
//! runner.

use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use crate::auth::AdminUser;
use crate::error::{Error, Result};
use crate::jobs;
use crate::web::csrf::{Checked, TokenOnly};
use crate::web::{Answer, App, ClientIp, Html, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![jobs_page, run_now]
}

#[get("/jobs")]
async fn jobs_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let (db, config) = (app.db.clone(), app.config.clone());
    let jobs = rocket::tokio::task::spawn_blocking(move || jobs::status(&db, &config))
        .await
        .map_err(|e| Error::internal(format!("jobs task failed: {e}")))??;
    super::render(
        &page,
        app,
        "admin/jobs.html",
        json!({ "jobs": jobs, "now": crate::db::now() }),
    )
    .await
}

#[post("/jobs/<name>/run", data = "<_form>")]
async fn run_now(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    name: &str,
    _form: Checked<TokenOnly>,
) -> PageResult {
    let job = jobs::find(name).ok_or(Error::NotFound)?;
    let to = Redirect::to("/admin/jobs");
    if !(job.enabled)(&app.config) {
        return Ok(Answer::from(Flash::error(to, "admin_jobs_flash_off")));
    }
    let (me, name) = (admin.0.id, job.name);
    app.db
        .write(move |c| {
            crate::audit::record(c, Some(me), "job_run", &format!("job={name}"), Some(&ip.0))?;
            jobs::wake::after_commit(name);
            Ok(())
        })
        .await?;
    Ok(Answer::from(Flash::success(to, "admin_jobs_flash_woken")))
}
