use std::collections::HashSet;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use serde::Deserialize;

use super::{context, render, PageError, PageResult};
use crate::error::Error;
use crate::http::extract::Viewer;
use crate::http::State;
use crate::services::articles::{self, Article};
use crate::services::comments::{self, ThreadQuery};
use crate::services::moderation;
use crate::store;
use crate::views::article::{article_page, ArticlePage, CommentFormState};
use crate::views::thread::{discussion_body, ReaderControls, ReplyForm, ThreadView};

pub async fn home(state: web::Data<State>, mut viewer: Viewer, req: HttpRequest) -> PageResult {
    let list = articles::list_published(&state.app, 50).await?;
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, crate::views::article::home(&ctx, &list)))
}

#[derive(Debug, Deserialize)]
pub struct ArticleQuery {
    sort: Option<String>,
    after: Option<String>,
    /// Open the reply form under this comment (the no-JavaScript reply flow).
    reply: Option<i64>,
    /// The comment this reader just flagged, to thank them under it.
    flagged: Option<i64>,
}

pub async fn show(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<ArticleQuery>,
) -> PageResult {
    let article = articles::find_by_slug(&state.app, slug.into_inner(), viewer.is_admin()).await?;
    let thread_query = ThreadQuery::parse(query.sort.as_deref(), query.after.as_deref(), None)?;
    let draft = Draft { body: String::new(), error: None, parent_id: query.reply, flagged: query.flagged };
    render_article(&state, &mut viewer, &req, article, thread_query, draft, StatusCode::OK).await
}

/// A comment being written: empty on a fresh page, the reader's text after a failed post.
pub struct Draft {
    pub body: String,
    pub error: Option<String>,
    /// Set when the draft is a reply, so its form opens under that comment.
    pub parent_id: Option<i64>,
    /// The comment the reader just flagged, if any.
    pub flagged: Option<i64>,
}

pub async fn render_article(
    state: &State,
    viewer: &mut Viewer,
    req: &HttpRequest,
    article: Article,
    query: ThreadQuery,
    draft: Draft,
    status: StatusCode,
) -> PageResult {
    let ctx = context(state, viewer, req);
    let sort = query.sort;
    let thread = thread_markup(state, viewer, &ctx.csrf_token, &article, query, &draft).await?;
    let top_level_draft = draft.parent_id.is_none();
    let user = viewer.user();
    let page = ArticlePage {
        is_staff: user.is_some_and(|u| u.is_staff()),
        restriction: user.and_then(|u| u.restriction(store::now())),
        is_draft: !articles::is_public(&article),
        article: &article,
        sort,
        thread: &thread,
        form: CommentFormState {
            body: if top_level_draft { &draft.body } else { "" },
            error: draft.error.as_deref().filter(|_| top_level_draft),
        },
    };
    Ok(render(viewer, status, article_page(&ctx, &page)))
}

/// The comment list. Anonymous readers share one rendering per article version; signed-in
/// readers get their own controls.
async fn thread_markup(
    state: &State,
    viewer: &Viewer,
    csrf_token: &str,
    article: &Article,
    query: ThreadQuery,
    draft: &Draft,
) -> Result<Arc<str>, PageError> {
    let slug = article.slug.clone();
    let sort = query.sort;
    let after = query.after;
    let Some(user) = viewer.user() else {
        if let Some(html) = state.thread_cache.get(article.id, sort, after, article.comment_version) {
            return Ok(html);
        }
        let page = comments::page(&state.app, article.clone(), query, None).await?;
        let summary = moderation::removal_summary(&state.app, article.id).await?;
        let view = ThreadView { slug: &slug, sort, reader: None };
        let html: Arc<str> = Arc::from(discussion_body(&view, &page, summary.as_deref()).into_string());
        // A made-up cursor gets its page, but no room in the cache.
        let known = match after {
            None => true,
            Some(cursor) => comments::is_known_cursor(&state.app, article.id, sort, cursor).await?,
        };
        if known {
            state.thread_cache.put(article.id, sort, after, article.comment_version, html.clone());
        }
        return Ok(html);
    };
    let page = comments::page(&state.app, article.clone(), query, Some(user.id)).await?;
    let voted: HashSet<i64> = comments::votes_by(&state.app, user.id, &page).await?;
    let summary = moderation::removal_summary(&state.app, article.id).await?;
    let view = ThreadView {
        slug: &slug,
        sort,
        reader: Some(ReaderControls {
            user_id: user.id,
            csrf_token,
            voted: &voted,
            editable_after: store::now() - chrono::Duration::minutes(state.app.settings.edit_window_minutes),
            comments_open: article.comments_open,
            replying: draft.parent_id.map(|parent_id| ReplyForm {
                parent_id,
                body: &draft.body,
                error: draft.error.as_deref(),
            }),
            is_staff: user.is_staff(),
            can_participate: user.restriction(store::now()).is_none(),
            flagged: draft.flagged,
        }),
    };
    Ok(Arc::from(discussion_body(&view, &page, summary.as_deref()).into_string()))
}

/// Show a failed post again with the reader's text and the reason, or an error page when
/// there is no article to show it on.
pub async fn reshow_with_error(
    state: &State,
    viewer: &mut Viewer,
    req: &HttpRequest,
    slug: String,
    sort: Option<&str>,
    draft: Draft,
    error: Error,
) -> PageResult {
    let status = error.status();
    let article = match articles::find_by_slug(&state.app, slug, viewer.is_admin()).await {
        Ok(article) => article,
        Err(_) => return Err(error.into()),
    };
    let query = ThreadQuery::parse(sort, None, None).unwrap_or_default();
    let mut response = render_article(state, viewer, req, article, query, draft, status).await?;
    super::add_retry_after(&mut response, &error);
    Ok(response)
}
