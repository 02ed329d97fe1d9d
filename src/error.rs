//! The one error type. Every failure a user can meet maps to a status code in `status()` and is
//! rendered as the HTML error page in the user's language.

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};

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

impl<'r> Responder<'r, 'static> for Error {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let status = self.status();
        if status.code >= 500 {
            log::error!("error on {} {}: {self}", req.method(), req.uri());
        }
        crate::web::error_page(req, status).respond_to(req)
    }
}
