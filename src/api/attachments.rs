//! Files through the API. Upload: `multipart/form-data` (the format every HTTP client and
//! `curl -F` speak, with no base64 inflation), one or more `file` parts and optionally `body`,
//! `kind` (`note`, the default, or `reply`) and `notify`; the files become one message, as on
//! the desk's reply form, within the desk's size limit (413) and allowed types (422). Download:
//! the bytes as the desk serves them (`web::files::Download`: always as an attachment, with the
//! type chosen from the extension).

use rocket::form::{self, Form, FromForm, Strict};
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{State, get, post, routes};
use serde_json::Value;

use super::messages::{Kind, add};
use super::tickets::{invalid_fields, visible};
use super::{ApiError, ApiUser, ApiWriter};
use crate::error::FieldErrors;
use crate::tickets::actions::NewMessage;
use crate::tickets::{self, validate};
use crate::web::App;
use crate::web::files::{Download, read_uploads};

pub fn routes() -> Vec<rocket::Route> {
    routes![upload, not_multipart, download]
}

#[derive(FromForm)]
struct UploadForm<'r> {
    file: Vec<TempFile<'r>>,
    body: Option<String>,
    kind: Option<String>,
    notify: Option<bool>,
}

/// Rocket's form errors in the API's shape: the status it chose (413 past the upload limit,
/// else 422 or 400) and each problem with the field it concerns.
fn form_error(errors: &form::Errors<'_>) -> ApiError {
    let status = match errors.status() {
        s if s.code >= 500 => Status::BadRequest,
        s => s,
    };
    let parts: Vec<String> = errors
        .iter()
        .map(|e| match e.name.as_ref() {
            Some(name) => format!("{name}: {}", e.kind),
            None => e.kind.to_string(),
        })
        .collect();
    let message = if parts.is_empty() {
        "the form could not be read".to_string()
    } else {
        parts.join("; ")
    };
    let code = match status.code {
        413 => "payload_too_large",
        422 => "validation_failed",
        _ => "bad_request",
    };
    ApiError::new(status, code, message)
}

/// Attaches the files to a new message on the ticket and answers that message (201).
#[post("/tickets/<tracking_id>/attachments", data = "<form>")]
async fn upload(
    app: &State<App>,
    writer: ApiWriter,
    tracking_id: &str,
    form: Result<Form<Strict<UploadForm<'_>>>, form::Errors<'_>>,
) -> Result<(Status, Json<Value>), ApiError> {
    let staff = writer.0.staff;
    let form = form.map_err(|e| form_error(&e))?.into_inner().into_inner();
    let ticket = visible(app, &staff, tracking_id).await?;
    let kind = match form.kind.as_deref().map(str::trim) {
        None | Some("") | Some("note") => Kind::Note,
        Some("reply") => Kind::Reply,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "kind: expected `reply` or `note`, got `{other}`"
            )));
        }
    };
    let settings = app.settings();
    let files = read_uploads(&form.file, &settings).await.map_err(|p| {
        let errors = {
            let mut e = FieldErrors::new();
            e.add_with("file", p.key, "file", &p.filename);
            e
        };
        let e = invalid_fields(app, &errors, &[]);
        if p.key == "upload_too_large" {
            ApiError::new(Status::PayloadTooLarge, "payload_too_large", e.message)
        } else {
            e
        }
    })?;
    if files.is_empty() {
        return Err(ApiError::invalid("file: send at least one file"));
    }
    // Without a text, the message says what was attached.
    let body = match form.body.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => text.to_string(),
        _ => {
            let names: Vec<&str> = files.iter().map(|f| f.filename.as_str()).collect();
            format!("Attached: {}", names.join(", "))
        }
    };
    let mut errors = FieldErrors::new();
    validate::message(&body, &mut errors);
    if !errors.is_empty() {
        return Err(invalid_fields(app, &errors, &[("message", "body")]));
    }
    let message = NewMessage {
        kind: kind.message_kind(),
        body,
        attachments: files,
    };
    add(app, &staff, &ticket, message, form.notify.unwrap_or(true)).await
}

/// What an upload that is not `multipart/form-data` gets (the form guard passes it on).
#[post("/tickets/<tracking_id>/attachments", rank = 2)]
fn not_multipart(_writer: ApiWriter, tracking_id: &str) -> ApiError {
    ApiError::new(
        Status::UnsupportedMediaType,
        "unsupported_media_type",
        format!("uploads to {tracking_id} are multipart/form-data with one or more `file` parts"),
    )
}

/// One file of the ticket; another ticket's file is not found under this one's path.
#[get("/tickets/<tracking_id>/attachments/<id>")]
async fn download(
    app: &State<App>,
    user: ApiUser,
    tracking_id: &str,
    id: i64,
) -> Result<Download, ApiError> {
    let ticket = visible(app, &user.staff, tracking_id).await?;
    let file = app
        .db
        .read(move |c| Ok(tickets::attachment(c, id)?.filter(|f| f.ticket_id == ticket.id)))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no attachment {id} on this ticket")))?;
    Ok(Download::new(&file.filename, &file.content_type, file.data))
}
