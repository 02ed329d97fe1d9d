//! The one error type, and the one type for problems with a form's fields. Every failure a user
//! can meet maps to an HTTP status in `status()`; the web layer renders it as the error page in
//! the user's language (`web::error_page`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use rocket::http::Status;
use serde::Serialize;

#[derive(Debug)]
pub enum Error {
    NotFound,
    /// Missing or wrong CSRF token, or a role that may not do this.
    Forbidden,
    BadRequest(String),
    TooManyRequests,
    PayloadTooLarge,
    /// The disk is full (SQLITE_FULL): nothing was written.
    StorageFull,
    /// The database file cannot be written (read-only file or file system).
    ReadOnly,
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn internal(msg: impl Into<String>) -> Error {
        Error::Internal(msg.into())
    }

    pub fn status(&self) -> Status {
        match self {
            Error::NotFound => Status::NotFound,
            Error::Forbidden => Status::Forbidden,
            Error::BadRequest(_) => Status::BadRequest,
            Error::TooManyRequests => Status::TooManyRequests,
            Error::PayloadTooLarge => Status::PayloadTooLarge,
            Error::StorageFull => Status::InsufficientStorage,
            Error::ReadOnly => Status::ServiceUnavailable,
            Error::Internal(_) => Status::InternalServerError,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::BadRequest(msg) | Error::Internal(msg) => write!(f, "{}: {msg}", self.status()),
            other => write!(f, "{}", other.status()),
        }
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => Error::StorageFull,
            Some(ErrorCode::ReadOnly) | Some(ErrorCode::CannotOpen) => Error::ReadOnly,
            _ if matches!(e, rusqlite::Error::QueryReturnedNoRows) => Error::NotFound,
            _ => Error::Internal(format!("database: {e}")),
        }
    }
}

impl From<tera::Error> for Error {
    fn from(e: tera::Error) -> Error {
        use std::error::Error as _;
        let mut msg = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            msg.push_str(&format!(": {s}"));
            source = s.source();
        }
        Error::Internal(format!("template: {msg}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Internal(format!("io: {e}"))
    }
}

/// What is wrong with a form's fields: for each field the first problem found, as a catalog key
/// and the values of the message's placeholders (`{file}`, `{max}`…). Domain code finds them; a page
/// shows each, translated, next to its field (`web::Page::render` does it for the `errors` of
/// every template), and an API can answer them as they are.
///
/// A field is named by a `&'static str` of the form's own, or by a `String` for the fields an
/// admin defined (`field_<id>`, see `crate::fields`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(BTreeMap<Cow<'static, str>, FieldError>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub key: &'static str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<&'static str, String>,
}

impl FieldErrors {
    pub fn new() -> FieldErrors {
        FieldErrors::default()
    }

    /// Just one problem.
    pub fn one(field: &'static str, key: &'static str) -> FieldErrors {
        let mut errors = FieldErrors::new();
        errors.add(field, key);
        errors
    }

    /// Records a problem with `field` unless it already has one.
    pub fn add(&mut self, field: impl Into<Cow<'static, str>>, key: &'static str) {
        self.0.entry(field.into()).or_insert(FieldError {
            key,
            args: BTreeMap::new(),
        });
    }

    /// As `add`, for a message with a placeholder: `{name}` in it stands for `value`.
    pub fn add_with(
        &mut self,
        field: impl Into<Cow<'static, str>>,
        key: &'static str,
        name: &'static str,
        value: &str,
    ) {
        self.0.entry(field.into()).or_insert(FieldError {
            key,
            args: BTreeMap::from([(name, value.to_string())]),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.get(field)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &FieldError)> {
        self.0.iter().map(|(field, error)| (field.as_ref(), error))
    }
}
