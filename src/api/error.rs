//! The API's one error shape, `{"error": {"code": "...", "message": "..."}}`, with its status
//! (and `Retry-After` on 429). Guards leave theirs in the request's cache, so the catcher that
//! answers a failed guard says what went wrong rather than only the status.

use rocket::http::{Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::serde::json::Json;
use rocket::{Catcher, catch, catchers};
use serde_json::json;

use crate::error::Error;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: Status,
    /// A stable machine-readable code: `not_found`, `validation_failed`, ...
    pub code: &'static str,
    pub message: String,
    /// Seconds, on 429.
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<Json<T>, ApiError>;

impl ApiError {
    pub fn new(status: Status, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(Status::BadRequest, "bad_request", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(Status::Unauthorized, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(Status::Forbidden, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(Status::NotFound, "not_found", message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(Status::Conflict, "conflict", message)
    }

    /// A well-formed request whose values are refused (a field's rule).
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(Status::UnprocessableEntity, "validation_failed", message)
    }

    pub fn too_many(retry_after: u64) -> ApiError {
        ApiError {
            retry_after: Some(retry_after.max(1)),
            ..ApiError::new(
                Status::TooManyRequests,
                "rate_limited",
                "too many requests for this token; retry later",
            )
        }
    }

    /// The error for a bare status (what a catcher knows when no guard left one).
    pub fn for_status(status: Status) -> ApiError {
        let (code, message) = match status.code {
            400 => ("bad_request", "the request is malformed"),
            401 => (
                "unauthorized",
                "a valid token is required: Authorization: Bearer TOKEN",
            ),
            403 => ("forbidden", "this token may not do that"),
            404 => ("not_found", "no such resource"),
            405 => ("method_not_allowed", "method not allowed"),
            409 => (
                "conflict",
                "the request conflicts with the resource's state",
            ),
            413 => ("payload_too_large", "the request body is too large"),
            415 => (
                "unsupported_media_type",
                "send JSON (Content-Type: application/json)",
            ),
            422 => ("validation_failed", "the request body is not valid"),
            429 => ("rate_limited", "too many requests; retry later"),
            503 => ("unavailable", "the service is unavailable"),
            507 => (
                "storage_full",
                "the server's disk is full; nothing was stored",
            ),
            c if c >= 500 => ("internal", "internal error"),
            _ => ("error", "the request failed"),
        };
        ApiError::new(status, code, message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match e {
            Error::BadRequest(msg) => ApiError::invalid(msg),
            Error::Internal(msg) => {
                log::error!("API: {msg}");
                ApiError::for_status(Status::InternalServerError)
            }
            other => ApiError::for_status(other.status()),
        }
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut res = Response::build_from(Json(body).respond_to(req)?);
        res.status(self.status);
        if let Some(secs) = self.retry_after {
            res.header(Header::new("Retry-After", secs.to_string()));
        }
        Ok(res.finalize())
    }
}

/// What a failed guard leaves for the catcher (see `guard`).
pub(crate) struct GuardFailure(pub Option<ApiError>);

/// Records a guard's error for this request's catcher.
pub(crate) fn leave_for_catcher(req: &Request<'_>, e: ApiError) {
    req.local_cache(|| GuardFailure(Some(e)));
}

#[catch(default)]
fn api_catcher(status: Status, req: &Request<'_>) -> ApiError {
    match &req.local_cache(|| GuardFailure(None)).0 {
        Some(e) if e.status == status => e.clone(),
        _ => ApiError::for_status(status),
    }
}

pub fn catchers() -> Vec<Catcher> {
    catchers![api_catcher]
}
