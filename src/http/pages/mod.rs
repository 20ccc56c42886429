//! Server-rendered pages. They work without JavaScript; forms post back here and redirect.

pub mod account;
pub mod account_emails;
pub mod accounts;
pub mod admin;
pub mod admin_embeds;
pub mod admin_newsletter;
pub mod admin_webhooks;
pub mod articles;
pub mod comments;
pub mod moderation;
pub mod newsletter;
pub mod sso;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::Markup;

use super::errors::HttpError;
use super::extract::Viewer;
use super::State;
use crate::error::Error;
use crate::views::PageContext;

pub type PageResult = Result<HttpResponse, HttpError>;

pub fn context(state: &State, viewer: &mut Viewer, req: &HttpRequest) -> PageContext {
    PageContext {
        site_name: state.app.settings.site_name.clone(),
        user: viewer.user().cloned(),
        csrf_token: viewer.csrf_token(),
        path: req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into()),
        framed: crate::http::embed::in_frame(req),
    }
}

/// `context` for the pages every signed-out visitor sees alike (the home page, an article): for
/// them, forms carry a signed token (`tokens::FormKey`) instead of one tied to a cookie, so the
/// page sets no cookie and a CDN or proxy may keep it (`public_page`). Signed-in readers get
/// `context`.
pub fn public_context(state: &State, viewer: &mut Viewer, req: &HttpRequest) -> PageContext {
    if viewer.user().is_some() {
        return context(state, viewer, req);
    }
    PageContext {
        site_name: state.app.settings.site_name.clone(),
        user: None,
        csrf_token: public_token(state),
        path: req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into()),
        framed: crate::http::embed::in_frame(req),
    }
}

/// The signed form token for pages without a cookie, as of now.
pub fn public_token(state: &State) -> String {
    state.form_key.token(state.app.clock.now())
}

/// The status and headers of a page that is the same for every signed-out visitor: any cache may
/// keep it, but must ask again before using it (`no-cache`), which costs a 304 while the page
/// has not changed, so no cache serves a discussion older than the database. It differs for a
/// visitor with a session cookie (`Vary: Cookie`).
pub fn public_page(status: StatusCode) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, no-cache"))
        .append_header((header::VARY, "Cookie"));
    response
}

/// A rendered page, with the anonymous CSRF cookie if this response introduced one and a form on
/// the page carries it: a page without such a form (a profile, an error) sets no cookie.
pub fn render(viewer: &Viewer, status: StatusCode, markup: Markup) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.content_type("text/html; charset=utf-8");
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    let body = markup.into_string();
    if let Some(cookie) = viewer.response_cookies() {
        if body.contains(cookie.value()) {
            response.cookie(cookie);
        }
    }
    response.body(body)
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

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

pub async fn not_found() -> PageResult {
    Err(Error::NotFound("There is no page at this address.".into()).into())
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
