//! Which error belongs where:
//! - `domain::Invalid`: input refused at the edge, with the field and a message for the person.
//! - `Error` (here): what a service can fail with. Store errors become `Unavailable` (the
//!   database is down or the pool is exhausted) or `Internal` (our fault) in the `From` impls
//!   below, which are the one place infrastructure errors are translated.
//! - The HTTP layer maps `Error` to a status code with `Error::status` and renders it as a page
//!   or as JSON, chosen once by the route's scope (`http::errors`).

use actix_web::http::StatusCode;

use crate::domain::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The request is well formed but clashes with what exists (a taken username, say).
    #[error("{0}")]
    Conflict(Invalid),
    /// The request itself is malformed (say, a control character in a field): nothing a form
    /// could have sent, so no field to point at.
    #[error("{0}")]
    BadRequest(String),
    #[error("The request body is too large.")]
    PayloadTooLarge,
    #[error("{0}")]
    NotFound(String),
    #[error("Sign in to do that.")]
    Unauthenticated,
    #[error("That username or password is not right.")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(String),
    /// A single sign-on token was refused (expired, forged, replayed...): the message says why.
    #[error("{0}")]
    SsoRefused(String),
    #[error("This form has expired or did not come from this site. Reload the page and try again.")]
    Csrf,
    #[error("The discussion on this article is closed.")]
    Closed,
    /// Too many attempts: try again after `retry_after` seconds.
    #[error("{message}")]
    RateLimited { retry_after: u64, message: String },
    #[error("The service is unavailable right now. Try again in a moment.")]
    Unavailable(#[source] anyhow::Error),
    #[error("Something went wrong on our side. Try again in a moment.")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    pub fn not_found(what: &str) -> Error {
        Error::NotFound(format!("{what} was not found."))
    }

    pub fn forbidden(message: impl Into<String>) -> Error {
        Error::Forbidden(message.into())
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Error {
        Error::Internal(error.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Unauthenticated | Error::BadCredentials | Error::SsoRefused(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) | Error::Csrf => StatusCode::FORBIDDEN,
            Error::Closed => StatusCode::CONFLICT,
            Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable, machine-readable code for the JSON API.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid",
            Error::Conflict(_) => "conflict",
            Error::BadRequest(_) => "bad_request",
            Error::PayloadTooLarge => "payload_too_large",
            Error::NotFound(_) => "not_found",
            Error::Unauthenticated => "unauthenticated",
            Error::BadCredentials => "invalid_credentials",
            Error::Forbidden(_) => "forbidden",
            Error::SsoRefused(_) => "sso_refused",
            Error::Csrf => "csrf",
            Error::Closed => "closed",
            Error::RateLimited { .. } => "rate_limited",
            Error::Unavailable(_) => "unavailable",
            Error::Internal(_) => "internal",
        }
    }

    /// Seconds to put in `Retry-After`, for a rate limit.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// The form field a message is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::Invalid(invalid) | Error::Conflict(invalid) => Some(invalid.field),
            _ => None,
        }
    }

    /// Log what the user is not shown.
    pub fn log(&self) {
        match self {
            Error::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            Error::Unavailable(cause) => tracing::warn!(error = ?cause, "service unavailable"),
            _ => {}
        }
    }
}

const CANNOT_STORE: &str = "The request contains characters that cannot be stored, such as a NUL byte.";

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Error {
        use diesel::result::{DatabaseErrorKind, Error as D};
        match error {
            D::NotFound => Error::NotFound("That was not found.".into()),
            D::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => {
                Error::Unavailable(error.into())
            }
            D::DatabaseError(DatabaseErrorKind::Unknown, ref info) if info.message().contains("database is locked") => {
                Error::Unavailable(error.into())
            }
            // PostgreSQL refuses text it cannot store (a NUL byte: "invalid byte sequence for
            // encoding"). The edge rejects control characters before they get here; this keeps a
            // route that slips past it from answering 500 for what is the sender's fault.
            D::DatabaseError(_, ref info) if info.message().contains("invalid byte sequence") => {
                tracing::warn!(error = %info.message(), "the database refused text that reached it");
                Error::BadRequest(CANNOT_STORE.into())
            }
            // SQLite on a full disk: the write is rolled back whole; it is the server's
            // trouble, for now, not a bug to answer with a 500.
            D::DatabaseError(DatabaseErrorKind::Unknown, ref info)
                if info.message().contains("database or disk is full") =>
            {
                Error::Unavailable(error.into())
            }
            other => Error::Internal(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(error: diesel::r2d2::PoolError) -> Error {
        Error::Unavailable(error.into())
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(error: tokio::task::JoinError) -> Error {
        Error::Internal(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_unavailable_not_internal() {
        use diesel::result::{DatabaseErrorKind, Error as D};
        let full = D::DatabaseError(DatabaseErrorKind::Unknown, Box::new("database or disk is full".to_owned()));
        assert_eq!(Error::from(full).status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
