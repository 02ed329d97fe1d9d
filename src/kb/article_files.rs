//! Images and files of an article: uploaded from its editor (within the desk's attachment size
//! and types), each offered as the Markdown that shows it.

use rocket::form::FromForm;
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, post, routes};

use super::editor::{View, article_values, render_editor};
use super::store;
use crate::auth::StaffUser;
use crate::error::{Error, FieldErrors};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{Answer, App, Page, PageResult};

/// The Markdown that shows a file in an article: an image inline, anything else as a link.
pub(super) fn snippet(f: &store::FileMeta) -> String {
    let url = format!("/kb/files/{}", f.id);
    // Brackets would end the link text early.
    let text: String = f
        .filename
        .chars()
        .map(|c| if matches!(c, '[' | ']') { ' ' } else { c })
        .collect();
    if is_image(&f.filename) {
        let alt = text
            .rsplit_once('.')
            .map_or(text.as_str(), |(stem, _)| stem);
        format!("![{alt}]({url})")
    } else {
        format!("[{text}]({url})")
    }
}

/// Files shown inside articles rather than downloaded.
pub fn is_image(filename: &str) -> bool {
    matches!(
        crate::tickets::uploads::extension(filename).as_str(),
        "png" | "jpg" | "jpeg" | "gif" | "webp"
    )
}

#[derive(FromForm)]
struct FilesForm<'r> {
    #[field(default = String::new())]
    csrf_token: String,
    files: Vec<TempFile<'r>>,
}

impl CsrfForm for FilesForm<'_> {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Adds images and other files to an article, within the desk's attachment size and types.
// Ranked after `/kb/categories/<id>`, whose paths it would match too.
#[post("/kb/<id>/files", data = "<form>", rank = 2)]
async fn upload_files(
    _staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    form: Checked<FilesForm<'_>>,
) -> PageResult {
    let article = app
        .db
        .read(move |c| store::get(c, id))
        .await?
        .ok_or(Error::NotFound)?;
    let mut errors = FieldErrors::new();
    let uploads =
        crate::web::files::checked_uploads(&form.0.files, &app.settings(), &mut errors).await;
    if uploads.is_empty() && errors.is_empty() {
        errors.add("attachments", "kb_error_no_file");
    }
    if !errors.is_empty() {
        let r = render_editor(
            &page,
            app,
            Some(id),
            article_values(&article),
            errors,
            Status::UnprocessableEntity,
            View::tab(None),
        );
        return Ok(Answer::from(r.await?));
    }
    app.db
        .write(move |c| {
            for upload in &uploads {
                store::add_file(c, id, upload)?;
            }
            Ok(())
        })
        .await?;
    Ok(Answer::from(Flash::success(
        Redirect::to(format!("/staff/kb/{id}#files")),
        "kb_flash_files_added",
    )))
}

pub fn routes() -> Vec<Route> {
    routes![upload_files]
}
