//! Isso's HTTP API under `/isso/`, for Isso's own published client (`embed.min.js`,
//! `count.min.js`): a page that ran Isso points `data-isso` here and keeps working. What the
//! calls mean is in `services::isso`; this is the wire: Isso's parameters, JSON shapes, status
//! codes and cookies, and CORS for the allowed embed origins.
//!
//! Isso's client cannot send Civil's CSRF token. Its writes are proved instead by
//! `EmbedOrigin`: the `Origin` header is an allowed embed origin and the body is JSON. A page
//! elsewhere cannot forge that in its visitor's browser: the browser sets `Origin` itself, and a
//! cross-site request with a JSON body is preflighted, which Civil answers only for the
//! allowed origins (`cors`).

use std::future::Future;
use std::pin::Pin;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::api::ApiResult;
use super::errors::HttpError;
use super::extract::{client_ip, Viewer};
use super::State;
use crate::domain::canonical_url::Origin;
use crate::error::Error;
use crate::services::embeds;
use crate::services::isso::{self, EditCookie, ListQuery, Order, Writer};

/// The origin of the page a request comes from: its `Origin`, else its `Referer`'s.
fn stated_origin(req: &HttpRequest) -> Option<Origin> {
    let text = |name: header::HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok());
    text(header::ORIGIN)
        .filter(|origin| *origin != "null")
        .and_then(|origin| Origin::parse(origin).ok())
        .or_else(|| text(header::REFERER).and_then(Origin::of_page))
}

/// The site whose thread a reading request names: the page's, or, for a request that names
/// none (a feed reader), the one site allowed to embed when there is only one.
async fn reading_origin(state: &State, req: &HttpRequest) -> Result<Origin, Error> {
    if let Some(origin) = stated_origin(req) {
        return Ok(origin);
    }
    match embeds::sites(&state.app).await?.as_slice() {
        [only] => Ok(only.origin.clone()),
        _ => Err(Error::BadRequest(
            "Isso's threads are named by path: send the request from the site's page (with Origin or Referer).".into(),
        )),
    }
}

/// The proof of an Isso write (`routes::Proof::EmbedOrigin`): a JSON body, from a page on an
/// allowed embed origin.
pub struct EmbedOrigin(pub Origin);

impl FromRequest for EmbedOrigin {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<EmbedOrigin, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let refused = |why: &str| -> actix_web::Error { HttpError::from(Error::forbidden(why.to_owned())).into() };
            let json = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("application/json"));
            if !json {
                return Err(refused("CSRF: Isso's API takes writes only as JSON (Content-Type: application/json)."));
            }
            let origin = req
                .headers()
                .get(header::ORIGIN)
                .and_then(|v| v.to_str().ok())
                .and_then(|o| Origin::parse(o).ok())
                .ok_or_else(|| refused("CSRF: a write through Isso's API must come from a page (Origin)."))?;
            let state = req.app_data::<web::Data<State>>().expect("the app has its state");
            if !embeds::is_allowed(&state.app, &origin).await.map_err(HttpError::from)? {
                return Err(refused(&format!(
                    "CSRF: pages on {origin} may not write here: an admin can allow the site."
                )));
            }
            Ok(EmbedOrigin(origin))
        })
    }
}

/// CORS for Isso's client, which sends every request with credentials and a JSON content type
/// (so the browser asks first): the allowed embed origins may call and read, with their
/// cookies, and read `X-Set-Cookie` and `Date`; any other origin gets no CORS header at all.
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).and_then(|o| Origin::parse(o).ok());
    let allowed = match (&origin, req.app_data::<web::Data<State>>()) {
        (Some(origin), Some(state)) => embeds::is_allowed(&state.app, origin).await.unwrap_or(false),
        _ => false,
    };
    let mut response = if req.method() == Method::OPTIONS {
        let mut preflight = HttpResponse::NoContent().finish();
        if allowed {
            let headers = preflight.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, PUT, DELETE"));
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Content-Type"));
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        }
        req.into_response(preflight)
    } else {
        next.call(req).await?.map_into_boxed_body()
    };
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let (true, Some(origin)) = (allowed, origin) {
        if let Ok(value) = HeaderValue::from_str(origin.as_str()) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
            headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("X-Set-Cookie, Date"));
        }
    }
    Ok(response)
}

fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, Error> {
    value.as_deref().filter(|v| !v.trim().is_empty()).ok_or_else(|| Error::BadRequest(format!("{name} is missing")))
}

fn number<T: std::str::FromStr>(value: &Option<String>, name: &str) -> Result<Option<T>, Error> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| Error::BadRequest(format!("{name} should be integer"))),
    }
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    uri: Option<String>,
    after: Option<String>,
    limit: Option<String>,
    nested_limit: Option<String>,
    parent: Option<String>,
    offset: Option<String>,
    sort: Option<String>,
    plain: Option<String>,
}

/// `GET /isso/?uri=`: a thread, or the replies to `parent`, paged by `after` (0.13) or
/// `offset` (0.14) and `limit`.
pub async fn list(state: web::Data<State>, req: HttpRequest, params: web::Query<ListParams>) -> ApiResult {
    let uri = required(&params.uri, "uri")?;
    let after = match params.after.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(
            v.parse::<f64>()
                .ok()
                .filter(|a| a.is_finite())
                .ok_or_else(|| Error::BadRequest("after should be a number (seconds since 1970)".into()))?,
        ),
    };
    let query = ListQuery {
        parent: number(&params.parent, "parent")?,
        after: after.filter(|a| *a > 0.0),
        limit: number(&params.limit, "limit")?,
        nested_limit: number(&params.nested_limit, "nested_limit")?,
        offset: number(&params.offset, "offset")?.unwrap_or(0),
        order: Order::parse(params.sort.as_deref())?,
        plain: params.plain.as_deref() == Some("1"),
    };
    let origin = reading_origin(&state, &req).await?;
    let listing = isso::list(&state.app, &state.form_key, &origin, uri, &query).await?;
    Ok(HttpResponse::Ok().json(listing))
}

/// `GET /isso/config`.
pub async fn config() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "config": isso::client_config() }))
}

#[derive(Debug, Deserialize)]
pub struct UriParam {
    uri: Option<String>,
}

/// What Isso's form sends. `website` and `notification` are accepted and not kept.
#[derive(Debug, Deserialize)]
pub struct NewComment {
    text: Option<String>,
    author: Option<String>,
    email: Option<String>,
    parent: Option<i64>,
    title: Option<String>,
}

fn cookie_headers(state: &State, response: &mut HttpResponse, cookie: &EditCookie) -> Result<(), Error> {
    let secure = state.app.settings.base_url.starts_with("https://");
    // Cross-site, a cookie must be `SameSite=None; Secure` to come back at all; over plain
    // HTTP (a test, a site on one host) `Lax` is what browsers accept.
    let site = if secure { "SameSite=None; Secure" } else { "SameSite=Lax" };
    let (value, flag) = if cookie.value.is_empty() { ("", "") } else { (cookie.value.as_str(), "1") };
    let ours = format!("{}={value}; Max-Age={}; Path=/isso; HttpOnly; {site}", cookie.id, cookie.max_age);
    // What the client keeps on the page only tells it to show Edit and Delete: it holds no
    // secret, so no script on the page can lift the real cookie.
    let theirs = format!("isso-{}={flag}; Max-Age={}; Path=/; SameSite=Lax", cookie.id, cookie.max_age);
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, HeaderValue::from_str(&ours).map_err(Error::internal)?);
    headers.append(
        header::HeaderName::from_static("x-set-cookie"),
        HeaderValue::from_str(&theirs).map_err(Error::internal)?,
    );
    Ok(())
}

/// `POST /isso/new?uri=`: a comment, or a reply (`parent`), as a guest or the signed-in
/// reader. 201 when it is public, 202 when it waits for a moderator.
pub async fn create(
    state: web::Data<State>,
    viewer: Viewer,
    proof: EmbedOrigin,
    req: HttpRequest,
    params: web::Query<UriParam>,
    body: web::Json<NewComment>,
) -> ApiResult {
    let EmbedOrigin(origin) = proof;
    let uri = required(&params.uri, "uri")?;
    let body = body.into_inner();
    let text = body.text.as_deref().ok_or_else(|| Error::BadRequest("text is missing".into()))?;
    let writer = match viewer.user() {
        Some(user) => Writer::Member(user.clone()),
        None => Writer::Guest { name: body.author, email: body.email },
    };
    let address = client_ip(&req, &state.app.settings.trusted_proxies);
    let posted = isso::post(
        &state.app,
        &state.form_key,
        &origin,
        uri,
        body.title.as_deref(),
        writer,
        text,
        body.parent,
        &address,
    )
    .await?;
    let status = if posted.held { StatusCode::ACCEPTED } else { StatusCode::CREATED };
    let mut response = HttpResponse::build(status).json(&posted.comment);
    cookie_headers(&state, &mut response, &posted.cookie)?;
    Ok(response)
}

fn edit_cookie_of(req: &HttpRequest, id: i64) -> Option<String> {
    req.cookie(&id.to_string()).map(|c| c.value().to_owned())
}

#[derive(Debug, Deserialize)]
pub struct PlainParam {
    plain: Option<String>,
}

/// `GET /isso/id/{id}`: the author's own comment (its markdown with `plain=1`), for editing.
pub async fn view(
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<i64>,
    params: web::Query<PlainParam>,
) -> ApiResult {
    let id = id.into_inner();
    let plain = params.plain.as_deref() == Some("1");
    let comment = isso::view(&state.app, &state.form_key, id, edit_cookie_of(&req, id).as_deref(), plain).await?;
    Ok(HttpResponse::Ok().json(comment))
}

#[derive(Debug, Deserialize)]
pub struct EditBody {
    text: Option<String>,
}

/// `PUT /isso/id/{id}`: the author edits, within the edit window.
pub async fn edit(
    state: web::Data<State>,
    _proof: EmbedOrigin,
    req: HttpRequest,
    id: web::Path<i64>,
    body: web::Json<EditBody>,
) -> ApiResult {
    let id = id.into_inner();
    let text = body.text.as_deref().ok_or_else(|| Error::BadRequest("text is missing".into()))?;
    let (comment, cookie) =
        isso::edit(&state.app, &state.form_key, id, edit_cookie_of(&req, id).as_deref(), text).await?;
    let mut response = HttpResponse::Ok().json(comment);
    cookie_headers(&state, &mut response, &cookie)?;
    Ok(response)
}

/// `DELETE /isso/id/{id}`: the author deletes, within the edit window. `null`, or the
/// placeholder that stays for its replies.
pub async fn delete(state: web::Data<State>, _proof: EmbedOrigin, req: HttpRequest, id: web::Path<i64>) -> ApiResult {
    let id = id.into_inner();
    let placeholder = isso::delete(&state.app, &state.form_key, id, edit_cookie_of(&req, id).as_deref()).await?;
    let mut response = HttpResponse::Ok().json(placeholder);
    cookie_headers(&state, &mut response, &EditCookie { id, value: String::new(), max_age: 0 })?;
    Ok(response)
}

/// `POST /isso/id/{id}/like`.
pub async fn like(state: web::Data<State>, _proof: EmbedOrigin, req: HttpRequest, id: web::Path<i64>) -> ApiResult {
    vote(&state, &req, id.into_inner(), true).await
}

/// `POST /isso/id/{id}/dislike`: answered with the counts, and kept nowhere.
pub async fn dislike(state: web::Data<State>, _proof: EmbedOrigin, req: HttpRequest, id: web::Path<i64>) -> ApiResult {
    vote(&state, &req, id.into_inner(), false).await
}

async fn vote(state: &State, req: &HttpRequest, id: i64, up: bool) -> ApiResult {
    let address = client_ip(req, &state.app.settings.trusted_proxies);
    let votes = isso::vote(&state.app, &state.form_key, id, &address, up).await?;
    Ok(HttpResponse::Ok().json(votes))
}

/// `POST /isso/count`: the published-comment count of each thread named, in order. It reads
/// only.
pub async fn count(state: web::Data<State>, req: HttpRequest, body: web::Json<Vec<String>>) -> ApiResult {
    let origin = reading_origin(&state, &req).await?;
    let counts = isso::counts(&state.app, &origin, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(counts))
}

#[derive(Debug, Deserialize)]
pub struct PreviewBody {
    text: Option<String>,
}

/// `POST /isso/preview`: the text as it will show, masked. It reads only.
pub async fn preview(state: web::Data<State>, req: HttpRequest, body: web::Json<PreviewBody>) -> ApiResult {
    let text = body.text.as_deref().ok_or_else(|| Error::BadRequest("no text given".into()))?;
    let address = client_ip(&req, &state.app.settings.trusted_proxies);
    let html = isso::preview(&state.app, &state.form_key, &address, text).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "text": html })))
}

/// `GET /isso/feed?uri=`: the thread's Atom feed, Civil's own (`feeds::thread_feed`).
pub async fn feed(state: web::Data<State>, req: HttpRequest, params: web::Query<UriParam>) -> ApiResult {
    let uri = required(&params.uri, "uri")?;
    let origin = reading_origin(&state, &req).await?;
    let article = embeds::existing_thread(&state.app, &isso::thread_url(&origin, uri)).await?;
    let canonical = article.canonical_url.clone().ok_or_else(|| Error::not_found("That thread"))?;
    let self_url =
        format!("{}/embed/comments.atom?url={}", state.app.settings.base_url, urlencoding::encode(&canonical));
    super::feeds::thread_feed(&state, &req, &article, &self_url, &canonical).await
}

pub async fn not_found() -> ApiResult {
    Err(Error::NotFound("Isso's API has nothing at this address.".into()).into())
}
