//! A thread's comment list as HTML: the fragment Civil's article pages show, and the one the
//! embed, the server-side include and live updates will serve. Anonymous readers share one
//! cached rendering per article version (see `cache`); signed-in readers get their own
//! controls.

use std::collections::HashSet;
use std::sync::Arc;

use super::cache::Links;
use super::extract::Viewer;
use super::pages::articles::Draft;
use super::State;
use crate::error::Error;
use crate::services::articles::Article;
use crate::services::threads::{self, ThreadQuery};
use crate::views::thread::{discussion_body, FlagDraft, ReaderControls, ReplyForm, ThreadView};

/// The comment list. Anonymous readers share one rendering per article version; signed-in
/// readers get their own controls.
pub async fn markup(
    state: &State,
    viewer: &Viewer,
    csrf_token: &str,
    article: &Article,
    query: ThreadQuery,
    draft: &Draft,
    links: Links,
) -> Result<Arc<str>, Error> {
    let slug = article.slug.clone();
    let (base, return_to) = match links {
        Links::Local => ("", None),
        Links::Absolute => (state.app.settings.base_url.as_str(), article.canonical_url.as_deref()),
    };
    let sort = query.sort;
    let after = query.after;
    let after_text = after.map(|c| c.encode(sort));
    let Some(user) = viewer.user() else {
        let cached = state.thread_cache.get(article.id, links, sort, after, article.comment_version);
        state.app.metrics.cache(cached.is_some());
        if let Some(html) = cached {
            return Ok(html);
        }
        let page = threads::page(&state.app, article.clone(), query, threads::Reader::Anyone).await?;
        let summary = threads::removal_summary(&state.app, article.id).await?;
        let view = ThreadView { base, slug: &slug, return_to, sort, after: after_text.as_deref(), reader: None };
        let html: Arc<str> = Arc::from(discussion_body(&view, &page, summary.as_deref()).into_string());
        // A made-up cursor gets its page, but no room in the cache.
        let known = threads::is_known_page(&state.app, article.id, sort, after).await?;
        if known {
            state.thread_cache.put(article.id, links, sort, after, article.comment_version, html.clone());
        }
        return Ok(html);
    };
    // Moderators see held comments in place, to approve or remove them there.
    let reader = threads::Reader::for_account(user.id, user.is_staff());
    let page = threads::page(&state.app, article.clone(), query, reader).await?;
    let voted: HashSet<i64> = threads::votes_by(&state.app, user.id, &page).await?;
    let summary = threads::removal_summary(&state.app, article.id).await?;
    let view = ThreadView {
        base,
        slug: &slug,
        return_to,
        sort,
        after: after_text.as_deref(),
        reader: Some(ReaderControls {
            user_id: user.id,
            csrf_token,
            voted: &voted,
            editable_after: state.app.clock.now() - chrono::Duration::minutes(state.app.settings.edit_window_minutes),
            comments_open: article.comments_open,
            replying: draft.parent_id.map(|parent_id| ReplyForm {
                parent_id,
                body: &draft.body,
                error: draft.error.as_deref(),
            }),
            is_staff: user.is_staff(),
            can_participate: user.restriction(state.app.clock.now()).is_none(),
            landing: draft.landing,
            flagging: draft.flagging.as_ref().map(|f| FlagDraft {
                comment_id: f.comment_id,
                reason: &f.reason,
                note: &f.note,
                error: &f.error,
            }),
        }),
    };
    Ok(Arc::from(discussion_body(&view, &page, summary.as_deref()).into_string()))
}
