//! How an error reaches the client. Handlers, extractors and guards fail with `HttpError` (or
//! any error actix raises itself); `render` then turns every error response into the shape its
//! scope promises, once: JSON under `/api/v1` (`{"error": {"code", "message", "field"}}`), a
//! page in the site's layout, with the signed-in reader, everywhere else. The scope chooses the
//! shape when the route table wraps it (`routes::configure`), never the handler.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, ResponseError};

use super::api::types::{ErrorBody, ErrorDetail};
use super::extract::Viewer;
use super::pages::context;
use super::State;
use crate::domain::Invalid;
use crate::error::Error;
use crate::views;

/// An error as the client is told it: status, a stable code, a message for people, the form or
/// JSON field it is about, and for a rate limit the seconds to wait.
#[derive(Debug, Clone)]
pub struct HttpError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<&'static str>,
    pub retry_after: Option<u64>,
}

impl HttpError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> HttpError {
        HttpError { status, code, message: message.into(), field: None, retry_after: None }
    }

    /// An error actix raised itself (a body it could not read, say), in our terms.
    fn from_actix(status: StatusCode, error: &actix_web::Error) -> HttpError {
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            s if s.is_server_error() => "internal",
            _ => "bad_request",
        };
        match status {
            s if s.is_server_error() => Error::internal(anyhow::anyhow!("{error}")).into(),
            StatusCode::NOT_FOUND => HttpError::new(status, code, "There is nothing at this address."),
            _ => HttpError::new(status, code, format!("The request could not be read: {error}.")),
        }
    }
}

impl From<Error> for HttpError {
    fn from(error: Error) -> HttpError {
        error.log();
        HttpError {
            status: error.status(),
            code: error.code(),
            message: error.to_string(),
            field: error.field(),
            retry_after: error.retry_after(),
        }
    }
}

impl From<Invalid> for HttpError {
    fn from(invalid: Invalid) -> HttpError {
        Error::from(invalid).into()
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Only the status and the message: `render` gives the response its real body. Plain text is
/// what a client would see if a route ever escaped its scope's renderer.
impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).content_type("text/plain; charset=utf-8").body(self.message.clone())
    }
}

/// The shape errors take in a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Json,
    Page,
}

/// Middleware for a scope: renders each error response from it in the scope's shape.
pub async fn render(
    shape: Shape,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(req).await?.map_into_boxed_body();
    let Some(error) = response.response().error() else {
        return Ok(response);
    };
    let status = response.status();
    let error = match error.as_error::<HttpError>() {
        Some(ours) => ours.clone(),
        None => HttpError::from_actix(status, error),
    };
    let extra_headers: Vec<_> = [header::ALLOW]
        .iter()
        .filter_map(|name| response.headers().get(name).map(|value| (name.clone(), value.clone())))
        .collect();
    let (req, _) = response.into_parts();
    let mut rendered = match shape {
        Shape::Json => json(&error),
        Shape::Page => page(&req, &error),
    };
    for (name, value) in extra_headers {
        rendered.headers_mut().insert(name, value);
    }
    if let Some(seconds) = error.retry_after {
        rendered.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    Ok(ServiceResponse::new(req, rendered))
}

fn json(error: &HttpError) -> HttpResponse {
    HttpResponse::build(error.status).json(ErrorBody {
        error: ErrorDetail {
            code: error.code.to_owned(),
            message: error.message.clone(),
            field: error.field.map(str::to_owned),
        },
    })
}

/// The error in the site's layout, for whoever is looking: the reader's session was looked up
/// before the handler failed (or could not be, and then the page is an anonymous one).
fn page(req: &HttpRequest, error: &HttpError) -> HttpResponse {
    let Some(state) = req.app_data::<web::Data<State>>() else {
        return error.error_response();
    };
    let mut viewer = req.extensions().get::<Viewer>().cloned().unwrap_or_else(|| Viewer::anonymous(req, state));
    let ctx = context(state, &mut viewer, req);
    let title = match error.status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::UNAUTHORIZED => "Please sign in",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::METHOD_NOT_ALLOWED => "Not here",
        StatusCode::SERVICE_UNAVAILABLE => "Unavailable",
        StatusCode::INTERNAL_SERVER_ERROR => "Something went wrong",
        _ => "That did not work",
    };
    // A reader who reports a failure can quote this, and it leads to the log line.
    let reference = error.status.is_server_error().then(|| super::observe::request_id(req)).flatten();
    let markup = views::article::error_page(&ctx, error.status.as_u16(), title, &error.message, reference.as_deref());
    super::pages::render(&viewer, error.status, markup)
}
