use std::sync::Arc;

use actix_web::http::header::{self, ContentEncoding};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{public_context, public_page, render, PageResult};
use crate::error::Error;
use crate::http::cache::{Links, WholeKey};
use crate::http::compress::{self, Effort, GzipJoin, Precompressed};
use crate::http::extract::Viewer;
use crate::http::State;
use crate::services::articles::{self, Article};
use crate::services::threads::{self, ThreadQuery};
use crate::views::article::{article_page, ArticlePage, CommentFormState, Discussion};
use crate::views::thread::{Landed, Landing};

pub async fn home(state: web::Data<State>, mut viewer: Viewer, req: HttpRequest) -> PageResult {
    let list = articles::list_published(&state.app, 50).await?;
    let ctx = public_context(&state, &mut viewer, &req);
    let markup = crate::views::article::home(&ctx, &list);
    if viewer.user().is_some() {
        return Ok(render(&viewer, StatusCode::OK, markup));
    }
    Ok(compress::tagged(&req, public_page(StatusCode::OK), markup.into_string()))
}

#[derive(Debug, Deserialize)]
pub struct ArticleQuery {
    sort: Option<String>,
    after: Option<String>,
    /// Open the reply form under this comment (the no-JavaScript reply flow).
    reply: Option<i64>,
    /// What the reader just did, and to which comment: announced under it.
    posted: Option<i64>,
    edited: Option<i64>,
    deleted: Option<i64>,
    voted: Option<i64>,
    flagged: Option<i64>,
}

/// The marks a write leaves in the address it sends the reader to (`?posted=7`), so the page
/// announces the result where the reader acted. The embed's frame reads them too.
pub fn landing(
    posted: Option<i64>,
    edited: Option<i64>,
    deleted: Option<i64>,
    voted: Option<i64>,
    flagged: Option<i64>,
) -> Option<Landing> {
    Landing::from_query([
        (Landed::Posted, posted),
        (Landed::Edited, edited),
        (Landed::Deleted, deleted),
        (Landed::Voted, voted),
        (Landed::Flagged, flagged),
    ])
}

pub async fn show(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<ArticleQuery>,
) -> PageResult {
    let reader = viewer.user().map(|u| u.id);
    let (article, default_sort, reading) =
        threads::article_to_read(&state.app, slug.into_inner(), viewer.is_admin(), reader).await?;
    // Inside the embed's frame, an external thread's page is the frame: forms and sign-in that
    // come back here land the reader where they were (the fragment survives the redirect).
    if article.canonical_url.is_some() && crate::http::embed::in_frame(&req) {
        return Ok(super::see_other(&crate::http::embed::frame_path(&article, req.query_string())));
    }
    let thread_query = ThreadQuery::parse_or(query.sort.as_deref(), query.after.as_deref(), default_sort)?;
    let draft = Draft {
        parent_id: query.reply,
        landing: landing(query.posted, query.edited, query.deleted, query.voted, query.flagged),
        ..Draft::default()
    };
    render_article(&state, &mut viewer, &req, article, thread_query, draft, StatusCode::OK, reading).await
}

/// A comment being written: empty on a fresh page, the reader's text after a failed post.
#[derive(Default)]
pub struct Draft {
    pub body: String,
    pub error: Option<String>,
    /// Set when the draft is a reply, so its form opens under that comment.
    pub parent_id: Option<i64>,
    /// What the reader just did, if anything.
    pub landing: Option<Landing>,
    /// A flag that could not be sent as it was, to show again.
    pub flagging: Option<FlagAgain>,
}

impl Draft {
    /// Nothing written, nothing just done: the page as it is for this reader at any time.
    pub fn is_blank(&self) -> bool {
        self.body.is_empty()
            && self.error.is_none()
            && self.parent_id.is_none()
            && self.landing.is_none()
            && self.flagging.is_none()
    }
}

/// A flag sent without what it needs, with the reader's choices and the reason.
pub struct FlagAgain {
    pub comment_id: i64,
    pub reason: String,
    pub note: String,
    pub error: String,
}

#[allow(clippy::too_many_arguments)]
pub async fn render_article(
    state: &State,
    viewer: &mut Viewer,
    req: &HttpRequest,
    article: Article,
    query: ThreadQuery,
    draft: Draft,
    status: StatusCode,
    // Read with the article, when the reader is signed in; read here otherwise.
    reading: Option<threads::Reading>,
) -> PageResult {
    // What every signed-out reader of this page of the thread sees alike is made once per
    // version of the discussion, compressed once, and kept whole (`cache`).
    let whole = (viewer.user().is_none()
        && status == StatusCode::OK
        && only_thread_parameters(req)
        && !crate::http::embed::in_frame(req))
    .then(|| WholeKey {
        article_id: article.id,
        links: Links::Local,
        sort: query.sort,
        after: query.after,
        epoch: crate::services::tokens::FormKey::epoch(state.app.clock.now()),
    });
    if let Some(at) = whole {
        if let Some(body) = state.cached_whole(at, article.comment_version) {
            return Ok(body.respond(req, public_page(status)));
        }
    }
    let mut ctx = public_context(state, viewer, req);
    if whole.is_some() {
        // The same page for every spelling of its address.
        ctx.path = canonical_path(&article.slug, &query);
    }
    let sort = query.sort;
    let after_cursor = query.after;
    let after = after_cursor.map(|c| c.encode(sort));
    let (live_from, marks) = match reading {
        Some(reading) => (reading.live_from, Some(reading.marks)),
        None => (crate::services::live::newest(&state.app).await?, None),
    };
    // A signed-in reader's page is mostly the thread every reader shares, compressed ahead in
    // pieces: sent as gzip, it is joined from those pieces around what is the reader's own.
    let personal = match viewer.user() {
        Some(user)
            if status == StatusCode::OK && viewer.response_cookies().is_none() && compress::accepts_gzip(req) =>
        {
            let user = user.clone();
            crate::http::thread::personal(state, &user, &ctx.csrf_token, &article, query, &draft, Links::Local, marks)
                .await?
        }
        _ => None,
    };
    let thread: Arc<str> = match personal {
        Some(_) => Arc::from(THREAD_MARK),
        None => {
            crate::http::thread::markup(state, viewer, &ctx.csrf_token, &article, query, &draft, Links::Local).await?
        }
    };
    let top_level_draft = draft.parent_id.is_none();
    let user = viewer.user();
    let page = ArticlePage {
        is_draft: !articles::is_public(&article, state.app.clock.now()),
        discussion: Discussion {
            is_staff: user.is_some_and(|u| u.is_staff()),
            restriction: user.and_then(|u| u.restriction(state.app.clock.now())),
            article: &article,
            sort,
            after: after.as_deref(),
            thread: &thread,
            form: CommentFormState {
                body: if top_level_draft { &draft.body } else { "" },
                error: draft.error.as_deref().filter(|_| top_level_draft),
            },
            base: "",
            return_to: None,
            next: &ctx.path,
            live_from,
        },
    };
    let markup = article_page(&ctx, &page);
    if let Some(personal) = personal {
        let html = markup.into_string();
        let (head, tail) = html.split_once(THREAD_MARK).expect("the page holds its thread");
        let mut join = GzipJoin::new();
        join.text(head);
        personal.gzip_into(&mut join);
        join.text(tail);
        return Ok(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header(ContentEncoding::Gzip)
            .insert_header((header::VARY, "Accept-Encoding"))
            .body(join.finish()));
    }
    if viewer.user().is_some() {
        return Ok(render(viewer, status, markup));
    }
    let Some(at) = whole else {
        return Ok(compress::tagged(req, public_page(status), markup.into_string()));
    };
    let body = Arc::new(Precompressed::new(markup.into_string(), Effort::Page));
    // As with the thread alone: a made-up cursor gets its page, but no room in the cache.
    let known = crate::services::threads::is_known_page(&state.app, article.id, sort, after_cursor).await?;
    if known {
        state.thread_cache.put_whole(at, article.comment_version, body.clone());
    }
    Ok(body.respond(req, public_page(status)))
}

/// Where the thread goes in a signed-in reader's page while the rest is rendered around it. An
/// HTML comment: neither escaped text nor sanitised HTML can hold one.
const THREAD_MARK: &str = "<!--civil:thread-->";

/// Whether the query names nothing but the page of the thread (`sort`, `after`): only then is
/// the signed-out page the same for everyone who asks.
fn only_thread_parameters(req: &HttpRequest) -> bool {
    form_urlencoded::parse(req.query_string().as_bytes()).all(|(name, _)| name == "sort" || name == "after")
}

/// The address of a page of the thread, spelled as the page's own links spell it.
fn canonical_path(slug: &str, query: &ThreadQuery) -> String {
    match (query.sort == Default::default(), query.after) {
        (true, None) => format!("/articles/{slug}"),
        (false, None) => format!("/articles/{slug}?sort={}", query.sort.as_str()),
        (_, Some(after)) => format!("/articles/{slug}?sort={}&after={}", query.sort.as_str(), after.encode(query.sort)),
    }
}

/// Show a failed post again with the reader's text and the reason, or an error page when
/// there is no article to show it on.
#[allow(clippy::too_many_arguments)]
pub async fn reshow_with_error(
    state: &State,
    viewer: &mut Viewer,
    req: &HttpRequest,
    slug: String,
    sort: Option<&str>,
    after: Option<&str>,
    draft: Draft,
    error: Error,
) -> PageResult {
    let status = error.status();
    let article = match articles::find_by_slug(&state.app, slug, viewer.is_admin()).await {
        Ok(article) => article,
        Err(_) => return Err(error.into()),
    };
    // The page the reader was on, so the draft and the error come back where they wrote them.
    let default_sort = threads::default_sort(&state.app).await?;
    let query = ThreadQuery::parse_or(sort, after, default_sort)
        .or_else(|_| ThreadQuery::parse_or(sort, None, default_sort))
        .unwrap_or_default();
    // Posted from the embed's frame, the form comes back in the frame, not on Civil's page.
    let mut response = if article.canonical_url.is_some() && crate::http::embed::in_frame(req) {
        crate::http::embed::render_frame(state, viewer, req, &article, query, &draft, status).await?
    } else {
        render_article(state, viewer, req, article, query, draft, status, None).await?
    };
    super::add_retry_after(&mut response, &error);
    Ok(response)
}
