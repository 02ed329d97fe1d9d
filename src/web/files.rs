//! Files over HTTP: reading uploaded files against the desk's limits, and serving them back
//! safely (always as a download, with a content type we choose, never the uploader's).

use rocket::fs::TempFile;
use rocket::http::{ContentType, Header};
use rocket::tokio::io::AsyncReadExt;

use crate::error::FieldErrors;
use crate::settings::Settings;
use crate::tickets::uploads::{
    MAX_FILES, Upload, UploadProblem, content_type_for, extension, sanitize_filename,
};

/// Reads the uploaded files, skipping the empty part browsers send when no file was chosen.
pub async fn read_uploads(
    files: &[TempFile<'_>],
    settings: &Settings,
) -> Result<Vec<Upload>, UploadProblem> {
    let limit = settings.max_attachment_mb * 1024 * 1024;
    let mut out = Vec::new();
    for file in files {
        let raw_name = file
            .raw_name()
            .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str())
            .unwrap_or("");
        if file.len() == 0 && raw_name.is_empty() {
            continue;
        }
        let filename = sanitize_filename(raw_name);
        if out.len() >= MAX_FILES {
            return Err(UploadProblem {
                key: "upload_too_many",
                filename,
            });
        }
        let ext = extension(&filename);
        if !settings.allowed_extensions.contains(&ext) {
            return Err(UploadProblem {
                key: "upload_type_not_allowed",
                filename,
            });
        }
        if file.len() > limit {
            return Err(UploadProblem {
                key: "upload_too_large",
                filename,
            });
        }
        if file.len() == 0 {
            return Err(UploadProblem {
                key: "upload_empty",
                filename,
            });
        }
        let mut data = Vec::with_capacity(file.len() as usize);
        let read = match file.open().await {
            Ok(mut reader) => reader.read_to_end(&mut data).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if read.is_err() {
            return Err(UploadProblem {
                key: "upload_failed",
                filename,
            });
        }
        out.push(Upload {
            content_type: content_type_for(&ext).to_string(),
            filename,
            data,
        });
    }
    Ok(out)
}

/// An attachment sent as a download.
#[derive(rocket::Responder)]
pub struct Download {
    body: Vec<u8>,
    kind: ContentType,
    disposition: Header<'static>,
    csp: Header<'static>,
}

impl Download {
    pub fn new(filename: &str, content_type: &str, data: Vec<u8>) -> Download {
        let ascii: String = filename
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() && c != '"' && c != '\\' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let disposition = format!(
            "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
            crate::util::url_encode(filename)
        );
        Download {
            body: data,
            kind: ContentType::parse_flexible(content_type).unwrap_or(ContentType::Binary),
            disposition: Header::new("Content-Disposition", disposition),
            csp: Header::new("Content-Security-Policy", "sandbox; default-src 'none'"),
        }
    }
}

/// The uploaded files, or none and an error next to the field when one breaks the desk's rules.
pub async fn checked_uploads(
    files: &[TempFile<'_>],
    settings: &Settings,
    errors: &mut FieldErrors,
) -> Vec<Upload> {
    match read_uploads(files, settings).await {
        Ok(uploads) => uploads,
        Err(problem) => {
            errors.add_with("attachments", problem.key, "file", &problem.filename);
            Vec::new()
        }
    }
}
