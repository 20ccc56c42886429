//! Server-rendered pages. They work without JavaScript; forms post back here and redirect.

pub mod accounts;
pub mod admin;
pub mod articles;
pub mod comments;
pub mod moderation;
pub mod newsletter;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use maud::Markup;

use super::extract::Viewer;
use super::State;
use crate::error::Error;
use crate::views::{self, PageContext};

/// An error shown as a page in the site layout.
#[derive(Debug)]
pub struct PageError(pub Error);

impl From<Error> for PageError {
    fn from(error: Error) -> PageError {
        PageError(error)
    }
}

impl From<crate::domain::Invalid> for PageError {
    fn from(invalid: crate::domain::Invalid) -> PageError {
        PageError(invalid.into())
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.log();
        let ctx = PageContext { site_name: "Civil".into(), user: None, csrf_token: String::new(), path: "/".into() };
        let title = match self.0.status() {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::UNAUTHORIZED => "Please sign in",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::SERVICE_UNAVAILABLE => "Unavailable",
            StatusCode::INTERNAL_SERVER_ERROR => "Something went wrong",
            _ => "That did not work",
        };
        let markup = views::article::error_page(&ctx, self.0.status().as_u16(), title, &self.0.to_string());
        let mut response =
            HttpResponse::build(self.0.status()).content_type("text/html; charset=utf-8").body(markup.into_string());
        add_retry_after(&mut response, &self.0);
        response
    }
}

pub type PageResult = Result<HttpResponse, PageError>;

pub fn context(state: &State, viewer: &mut Viewer, req: &HttpRequest) -> PageContext {
    PageContext {
        site_name: state.app.settings.site_name.clone(),
        user: viewer.user().cloned(),
        csrf_token: viewer.csrf_token(),
        path: req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into()),
    }
}

/// A rendered page, with the anonymous CSRF cookie if this response introduced one.
pub fn render(viewer: &Viewer, status: StatusCode, markup: Markup) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.content_type("text/html; charset=utf-8");
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(cookie) = viewer.response_cookies() {
        response.cookie(cookie);
    }
    response.body(markup.into_string())
}

/// A form shown again after `error`, with its status (and `Retry-After` for a rate limit).
pub fn render_failed(viewer: &Viewer, error: &Error, markup: Markup) -> HttpResponse {
    let mut response = render(viewer, error.status(), markup);
    add_retry_after(&mut response, error);
    response
}

pub fn add_retry_after(response: &mut HttpResponse, error: &Error) {
    if let Some(seconds) = error.retry_after() {
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
}

/// An error page that knows who is looking (the generic `PageError` page does not).
pub fn error_page(state: &State, viewer: &mut Viewer, req: &HttpRequest, error: Error) -> HttpResponse {
    error.log();
    let ctx = context(state, viewer, req);
    let status = error.status();
    let title = if status == StatusCode::NOT_FOUND { "Not found" } else { "That did not work" };
    render_failed(viewer, &error, views::article::error_page(&ctx, status.as_u16(), title, &error.to_string()))
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

pub async fn not_found(state: web::Data<State>, mut viewer: Viewer, req: HttpRequest) -> HttpResponse {
    error_page(&state, &mut viewer, &req, Error::NotFound("There is no page at this address.".into()))
}

pub async fn healthz(state: web::Data<State>) -> HttpResponse {
    // A short wait for a connection: a health check must answer quickly, not queue.
    let pool = state.app.pool.clone();
    let healthy = tokio::task::spawn_blocking(move || {
        pool.get_timeout(std::time::Duration::from_secs(2)).is_ok_and(|mut conn| crate::store::db::ping(&mut conn))
    })
    .await
    .unwrap_or(false);
    if healthy {
        HttpResponse::Ok().content_type("text/plain").body("ok\n")
    } else {
        HttpResponse::ServiceUnavailable().content_type("text/plain").body("database unavailable\n")
    }
}
