//! Attachments: the rules every file must meet (names, types), wherever it comes from (a form,
//! an email, later the API). Reading uploads from a request and serving files back are the web
//! layer's (`web::files`).

pub const MAX_FILES: usize = 10;

#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Why an upload was refused: a catalog key and the file concerned.
#[derive(Debug, Clone)]
pub struct UploadProblem {
    pub key: &'static str,
    pub filename: String,
}

/// Keeps the last path component, drops control and path characters, caps the length.
pub fn sanitize_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    let cleaned = crate::util::clean(&cleaned, 120);
    if cleaned.is_empty() {
        "attachment".into()
    } else {
        cleaned
    }
}

pub fn extension(filename: &str) -> String {
    match filename.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    }
}

/// The content type we serve a file with, chosen from its extension alone.
pub fn content_type_for(ext: &str) -> &'static str {
    match ext {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" | "log" | "csv" => "text/plain; charset=utf-8",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}
