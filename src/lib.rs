//! Helpdesk: a self-contained help desk over one SQLite file.
//!
//! `build_rocket` assembles the whole web application from a `Config`; the binary and the tests
//! build the very same app.

pub mod admin;
pub mod api;
pub mod audit;
pub mod auth;
pub mod automation;
pub mod cli;
pub mod config;
pub mod csv_export;
pub mod db;
pub mod desk_time;
pub mod error;
pub mod fields;
pub mod i18n;
pub mod incidents;
pub mod jobs;
pub mod kb;
pub mod live;
pub mod mail;
pub mod notify;
pub mod outbox;
pub mod portal;
pub mod reports;
pub mod rules;
pub mod search;
pub mod settings;
pub mod sla;
pub mod staff;
pub mod tickets;
pub mod triage;
pub mod util;
pub mod web;
pub mod webhooks;
pub mod workflow;

use rocket::data::{Limits, ToByteUnit};
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket};

pub use config::Config;
use db::Db;
use error::Result;
use settings::Settings;
use web::App;

/// Opens the database (creating and migrating it if needed) and builds the web application.
pub fn build_rocket(config: Config) -> Result<Rocket<Build>> {
    let db = Db::open(&config.db)?;
    build_rocket_with(db, config)
}

pub fn build_rocket_with(db: Db, config: Config) -> Result<Rocket<Build>> {
    let (secret, settings) =
        db.write_blocking(|c| Ok((settings::secret_key(c)?, Settings::load(c)?)))?;
    let upload = config.max_upload_mb.mebibytes();
    let limits = Limits::default()
        .limit("form", 1.mebibytes())
        .limit("data-form", upload)
        .limit("file", upload)
        .limit("string", 1.mebibytes())
        .limit("json", 1.mebibytes());
    let mut figment = Figment::from(rocket::Config::default())
        .merge(("address", config.bind.ip()))
        .merge(("port", config.bind.port()))
        .merge(("limits", limits))
        .merge(("secret_key", secret))
        .merge(("log_level", config.log_level.as_str()))
        .merge(("cli_colors", false))
        .merge(("ident", "Helpdesk"))
        .merge(("shutdown.grace", 2))
        .merge(("shutdown.mercy", 2));
    figment = if config.ip_header.is_empty() {
        figment.merge(("ip_header", false))
    } else {
        figment.merge(("ip_header", config.ip_header.as_str()))
    };
    if config.workers > 0 {
        figment = figment.merge(("workers", config.workers));
    }
    let headers = web::headers::SecurityHeaders::for_base_url(&config.base_url);
    let api_limiter = api::RateLimiter::new(config.api_rate_per_minute);
    let portal_limits = portal::abuse::Limits::new(&config);
    let app = App::new(db, config, settings)?;
    let openapi = api::openapi::Document::assemble().map_err(error::Error::Internal)?;
    Ok(rocket::custom(figment)
        .manage(app)
        .manage(api_limiter)
        .manage(portal_limits)
        .manage(openapi)
        .attach(headers)
        .attach(jobs_at_liftoff())
        .register("/", web::catchers())
        .register("/staff", web::staff_catchers())
        .register("/admin", web::staff_catchers())
        .register("/api/v1", api::catchers())
        .mount("/", rocket::routes![web::assets::asset])
        .mount("/", portal::routes())
        .mount("/", kb::suggest_routes())
        .mount("/kb", kb::routes())
        .mount("/staff", staff::routes())
        .mount("/staff", kb::staff_routes())
        .mount("/admin", admin::routes())
        .mount("/api/v1", api::routes()))
}

/// Starts the background jobs (`jobs::start`) once the server is up.
fn jobs_at_liftoff() -> AdHoc {
    AdHoc::on_liftoff("Background jobs", |rocket| {
        Box::pin(async move {
            if let Some(app) = rocket.state::<App>() {
                jobs::start(app.db.clone(), app.config.clone());
                // The live streams' fan-out (`live::hub`), for the life of the server.
                tokio::spawn(live::hub::run(app.live.clone(), app.db.clone()));
            }
        })
    })
}

/// On first start with no staff account, creates an admin with a generated password.
/// Returns the email and password so the caller can print them once.
pub fn bootstrap_admin(db: &Db, bcrypt_cost: u32) -> Result<Option<(String, String)>> {
    let has_staff = db.read_blocking(|c| Ok(auth::users::count(c)? > 0))?;
    if has_staff {
        return Ok(None);
    }
    let email = "admin@localhost".to_string();
    let password = util::random_password();
    let hash = auth::users::hash_password(&password, bcrypt_cost)?;
    let created = db.write_blocking(|c| {
        if auth::users::count(c)? > 0 {
            return Ok(false);
        }
        auth::users::create(c, &email, "Administrator", auth::Role::Admin, &hash)?;
        Ok(true)
    })?;
    Ok(created.then_some((email, password)))
}
