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
use crate::domain::canonical_url::{Origin, Requester};
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
    /// What the reader just did (`pages::articles::landing`), announced under the comment.
    posted: Option<i64>,
    edited: Option<i64>,
    deleted: Option<i64>,
    voted: Option<i64>,
    flagged: Option<i64>,
}

pub async fn thread(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    query: web::Query<EmbedQuery>,
) -> PageResult {
    let article =
        embeds::thread_for(&state.app, query.url()?, query.title.as_deref(), &requester(&state, &req)).await?;
    let next = format!("/articles/{}", article.slug);
    let (thread_query, draft) = query.thread_and_draft(&state).await?;
    let plain = draft.parent_id.is_none() && draft.landing.is_none();
    let mut response = if viewer.user().is_some() || !plain {
        let csrf_token = viewer.csrf_token();
        let markup =
            block(&state, &viewer, &csrf_token, &article, thread_query, &draft, Links::Absolute, &next).await?;
        render(&viewer, StatusCode::OK, markup)
    } else {
        // Every signed-out reader of this page of the thread gets the same fragment, with a
        // signed form token and no cookie: it is made once per version of the discussion,
        // compressed once, and kept whole, like Civil's own article page.
        let (sort, after) = (thread_query.sort, thread_query.after);
        let at = WholeKey {
            article_id: article.id,
            links: Links::Absolute,
            sort,
            after,
            epoch: crate::services::tokens::FormKey::epoch(state.app.clock.now()),
        };
        let body = match state.cached_whole(at, article.comment_version) {
            Some(body) => body,
            None => {
                let token = public_token(&state);
                let markup =
                    block(&state, &viewer, &token, &article, thread_query, &draft, Links::Absolute, &next).await?;
                let body = Arc::new(Precompressed::new(markup.into_string(), Effort::Page));
                let known = threads::is_known_page(&state.app, article.id, sort, after).await?;
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
    let article =
        embeds::thread_for(&state.app, query.url()?, query.title.as_deref(), &requester(&state, &req)).await?;
    // Opened as a page of its own (the embed's `<noscript>` link), it is Civil's page for the
    // thread, which links back to the article.
    if req.headers().get("sec-fetch-dest").is_some_and(|dest| dest == "document") {
        return Ok(super::pages::see_other(&format!("/articles/{}", article.slug)));
    }
    let (thread_query, draft) = query.thread_and_draft(&state).await?;
    render_frame(&state, &mut viewer, &req, &article, thread_query, &draft, StatusCode::OK).await
}

/// The frame's page for `article` at `thread_query`, with `draft` in its form: a fresh one,
/// or one the policy refused, shown again with the reason beside the form it came from
/// (`pages::articles::reshow_with_error`), so a refused post stays in the frame.
pub async fn render_frame(
    state: &State,
    viewer: &mut Viewer,
    req: &HttpRequest,
    article: &Article,
    thread_query: ThreadQuery,
    draft: &Draft,
    status: StatusCode,
) -> PageResult {
    let ctx = context(state, viewer, req);
    // Where the reader is: the page of a large thread too, for the newsletter form and
    // signing out to come back to.
    let mut rest = vec![];
    rest.push(format!("sort={}", thread_query.sort.as_str()));
    if let Some(after) = thread_query.after {
        rest.push(format!("after={}", urlencoding::encode(&after.encode(thread_query.sort))));
    }
    let here = frame_path(article, &rest.join("&"));
    let markup = block(state, viewer, &ctx.csrf_token, article, thread_query, draft, Links::Local, &here).await?;
    Ok(render(viewer, status, frame_page(&ctx, article, &here, markup)))
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
    /// The page of the thread asked for (in the site's default order unless another is asked
    /// for), and what the reader just did there.
    async fn thread_and_draft(&self, state: &State) -> Result<(ThreadQuery, Draft), Error> {
        let default_sort = crate::services::threads::default_sort(&state.app).await?;
        let thread_query = ThreadQuery::parse_or(self.sort.as_deref(), self.after.as_deref(), default_sort)?;
        let landing = super::pages::articles::landing(self.posted, self.edited, self.deleted, self.voted, self.flagged);
        Ok((thread_query, Draft { parent_id: self.reply, landing, ..Draft::default() }))
    }

    fn url(&self) -> Result<&str, Error> {
        self.url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| Error::BadRequest("Give the article's address: /embed/thread?url=https://…".into()))
    }
}

/// The discussion block (`views::article::discussion`), shared by the fragment and the frame.
#[allow(clippy::too_many_arguments)]
async fn block(
    state: &State,
    viewer: &Viewer,
    csrf_token: &str,
    article: &Article,
    thread_query: ThreadQuery,
    draft: &Draft,
    links: Links,
    next: &str,
) -> Result<maud::Markup, Error> {
    let sort = thread_query.sort;
    let after = thread_query.after.map(|c| c.encode(sort));
    let live_from = crate::services::live::newest(&state.app).await?;
    let thread = super::thread::markup(state, viewer, csrf_token, article, thread_query, draft, links).await?;
    let user = viewer.user();
    let now = state.app.clock.now();
    let (base, return_to) = match links {
        Links::Local => ("", None),
        Links::Absolute => (state.app.settings.base_url.as_str(), article.canonical_url.as_deref()),
    };
    // A reply's draft shows under its comment (`thread::markup`); a new comment's, in the form.
    let top_level = draft.parent_id.is_none();
    let block = Discussion {
        is_staff: user.is_some_and(|u| u.is_staff()),
        restriction: user.and_then(|u| u.restriction(now)),
        article,
        sort,
        after: after.as_deref(),
        thread: &thread,
        form: CommentFormState {
            body: if top_level { &draft.body } else { "" },
            error: draft.error.as_deref().filter(|_| top_level),
        },
        base,
        return_to,
        next,
        live_from,
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

/// Where a request for an embed comes from, as the browser says (`embeds::thread_for` lets only
/// Civil and the article's own site start a thread): `Sec-Fetch-Site` for Civil's own pages,
/// else the `Origin` a script's request carries, else the origin of the `Referer` a frame or a
/// link sends (`embed.js` asks for it on its frame). A page elsewhere that hides both is still
/// marked cross-site by `Sec-Fetch-Site`.
pub fn requester(state: &State, req: &HttpRequest) -> Requester {
    let text = |name: header::HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok());
    let fetch_site = req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site == Some("same-origin") {
        return Requester::Civil;
    }
    let stated = text(header::ORIGIN)
        .filter(|origin| *origin != "null")
        .and_then(|origin| Origin::parse(origin).ok())
        .or_else(|| text(header::REFERER).and_then(Origin::of_page));
    match stated {
        Some(origin) if super::extract::is_own_origin(req, state, origin.as_str()) => Requester::Civil,
        Some(origin) => Requester::Page(origin),
        None if matches!(fetch_site, Some("cross-site" | "same-site")) => Requester::Undisclosed,
        None => Requester::Unstated,
    }
}

/// `frame-ancestors` for the frame's pages (`routes::Framing::InEmbed`): Civil itself and the
/// allowed sites.
pub async fn frame_ancestors(state: &State) -> Result<String, Error> {
    let mut ancestors = String::from("'self'");
    for origin in embeds::origins(&state.app).await? {
        ancestors.push(' ');
        ancestors.push_str(&origin);
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
