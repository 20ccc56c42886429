//! Civil's discussion on a publisher's pages: `GET /embed/thread?url=` answers the whole
//! discussion block as an HTML fragment, which a CMS includes in the page it renders (so the
//! discussion is real HTML for readers without JavaScript and for search engines) and a script
//! can fetch. The first view of an article on an allowed site creates its thread.
//!
//! `GET /embed/frame?url=` is the same block as a small page of its own, for the iframe that
//! `assets/embed.js` puts on the publisher's page. Everything a reader does inside that frame
//! (signing in, posting, moderating) happens on Civil's origin; `in_frame` tells those requests
//! apart, for their cookies (`frame_cookies`) and their `frame-ancestors`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use std::sync::Arc;

use super::cache::{Links, WholeKey};
use super::compress::{Effort, Precompressed};
use super::extract::Viewer;
use super::pages::articles::Draft;
use super::pages::{context, public_page, public_token, render, PageResult};
use super::State;
use crate::domain::canonical_url::Origin;
use crate::error::Error;
use crate::services::articles::Article;
use crate::services::embeds;
use crate::services::threads::{self, ThreadQuery};
use crate::views::article::{discussion, CommentFormState, Discussion};
use crate::views::embed::frame_page;

#[derive(Debug, Deserialize)]
pub struct EmbedQuery {
    url: Option<String>,
    title: Option<String>,
    sort: Option<String>,
    /// The page of a large thread (a cursor, as on Civil's pages).
    after: Option<String>,
    /// Open the reply form under this comment (the no-JavaScript reply flow).
    reply: Option<i64>,
    /// The comment this reader just flagged, to thank them under it.
    flagged: Option<i64>,
}

pub async fn thread(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    query: web::Query<EmbedQuery>,
) -> PageResult {
    let article = embeds::thread_for(&state.app, query.url()?, query.title.as_deref()).await?;
    let next = format!("/articles/{}", article.slug);
    let mut response = if viewer.user().is_some() {
        let csrf_token = viewer.csrf_token();
        let markup = block(&state, &viewer, &csrf_token, &article, &query, Links::Absolute, &next).await?;
        render(&viewer, StatusCode::OK, markup)
    } else {
        // Every signed-out reader of this page of the thread gets the same fragment, with a
        // signed form token and no cookie: it is made once per version of the discussion,
        // compressed once, and kept whole, like Civil's own article page.
        let thread_query = ThreadQuery::parse(query.sort.as_deref(), query.after.as_deref(), None)?;
        let at = WholeKey {
            article_id: article.id,
            links: Links::Absolute,
            sort: thread_query.sort,
            after: thread_query.after,
            epoch: crate::services::tokens::FormKey::epoch(state.app.clock.now()),
        };
        let body = match state.thread_cache.get_whole(at, article.comment_version) {
            Some(body) => body,
            None => {
                let token = public_token(&state);
                let markup = block(&state, &viewer, &token, &article, &query, Links::Absolute, &next).await?;
                let body = Arc::new(Precompressed::new(markup.into_string(), Effort::Page));
                let known = match thread_query.after {
                    None => true,
                    Some(cursor) => threads::is_known_cursor(&state.app, article.id, thread_query.sort, cursor).await?,
                };
                if known {
                    state.thread_cache.put_whole(at, article.comment_version, body.clone());
                }
                body
            }
        };
        body.respond(&req, public_page(StatusCode::OK))
    };
    allow_origin(&state, &req, &mut response).await?;
    Ok(response)
}

/// The frame: the discussion block as a page of its own, with relative links, since the frame
/// is on Civil's origin. Forms in it lead to Civil's page for the thread, which sends a
/// request from inside a frame back here (`pages::articles::show`), so the reader stays in the
/// frame and sees the result.
pub async fn frame(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    query: web::Query<EmbedQuery>,
) -> PageResult {
    let article = embeds::thread_for(&state.app, query.url()?, query.title.as_deref()).await?;
    // Opened as a page of its own (the embed's `<noscript>` link), it is Civil's page for the
    // thread, which links back to the article.
    if req.headers().get("sec-fetch-dest").is_some_and(|dest| dest == "document") {
        return Ok(super::pages::see_other(&format!("/articles/{}", article.slug)));
    }
    let ctx = context(&state, &mut viewer, &req);
    let sort = query.sort.as_deref().map(|s| format!("sort={}", urlencoding::encode(s))).unwrap_or_default();
    let next = frame_path(&article, &sort);
    let markup = block(&state, &viewer, &ctx.csrf_token, &article, &query, Links::Local, &next).await?;
    Ok(render(&viewer, StatusCode::OK, frame_page(&ctx, &article, markup)))
}

/// The frame's own address for a thread (an external one: only those have a frame), with the
/// rest of a query for Civil's page of the thread (`sort`, `after`, `reply`, `flagged`), so a
/// reader sent back into the frame lands on the same page of a large thread.
pub fn frame_path(article: &Article, query: &str) -> String {
    let url = article.canonical_url.as_deref().unwrap_or_default();
    let rest = if query.is_empty() { String::new() } else { format!("&{query}") };
    format!("/embed/frame?url={}{rest}", urlencoding::encode(url))
}

impl EmbedQuery {
    fn url(&self) -> Result<&str, Error> {
        self.url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| Error::BadRequest("Give the article's address: /embed/thread?url=https://…".into()))
    }
}

/// The discussion block (`views::article::discussion`), shared by the fragment and the frame.
async fn block(
    state: &State,
    viewer: &Viewer,
    csrf_token: &str,
    article: &Article,
    query: &EmbedQuery,
    links: Links,
    next: &str,
) -> Result<maud::Markup, Error> {
    let thread_query = ThreadQuery::parse(query.sort.as_deref(), query.after.as_deref(), None)?;
    let sort = thread_query.sort;
    let draft = Draft { body: String::new(), error: None, parent_id: query.reply, flagged: query.flagged };
    let thread = super::thread::markup(state, viewer, csrf_token, article, thread_query, &draft, links).await?;
    let user = viewer.user();
    let now = state.app.clock.now();
    let (base, return_to) = match links {
        Links::Local => ("", None),
        Links::Absolute => (state.app.settings.base_url.as_str(), article.canonical_url.as_deref()),
    };
    let block = Discussion {
        is_staff: user.is_some_and(|u| u.is_staff()),
        restriction: user.and_then(|u| u.restriction(now)),
        article,
        sort,
        thread: &thread,
        form: CommentFormState { body: "", error: None },
        base,
        return_to,
        next,
    };
    Ok(discussion(csrf_token, user.is_some(), &block))
}

/// Whether a request comes from inside a frame: a navigation the browser marks as one
/// (`Sec-Fetch-Dest`, sent by every current browser), or a script in the frame that says so
/// (`Civil-Frame`; a page elsewhere cannot send that header without our CORS consent).
pub fn in_frame(req: &HttpRequest) -> bool {
    let dest = req.headers().get("sec-fetch-dest").and_then(|v| v.to_str().ok());
    matches!(dest, Some("iframe" | "frame")) || req.headers().contains_key(FRAME_HEADER)
}

pub const FRAME_HEADER: &str = "Civil-Frame";

/// `frame-ancestors` for pages shown inside the frame: Civil itself and the allowed sites.
/// The admin area never gets framed.
pub async fn frame_ancestors(state: &State, path: &str) -> Result<String, Error> {
    let mut ancestors = String::from("'self'");
    if path == "/admin" || path.starts_with("/admin/") {
        return Ok(ancestors);
    }
    for site in embeds::sites(&state.app).await? {
        ancestors.push(' ');
        ancestors.push_str(site.origin.as_str());
    }
    Ok(ancestors)
}

/// Let a page on an allowed site read this response from a script. Without credentials: the
/// browser sends no cookies with such a request and will not hand a reply to one that has
/// them, so what crosses is what anonymous readers see.
pub async fn allow_origin(state: &State, req: &HttpRequest, response: &mut HttpResponse) -> Result<(), Error> {
    response.headers_mut().append(header::VARY, HeaderValue::from_static("Origin"));
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return Ok(());
    };
    let Ok(origin) = Origin::parse(origin) else { return Ok(()) };
    if embeds::is_allowed(&state.app, &origin).await? {
        let value = HeaderValue::from_str(origin.as_str()).map_err(Error::internal)?;
        response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    Ok(())
}
