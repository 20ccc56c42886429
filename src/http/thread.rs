//! A thread's comment list as HTML: the fragment Civil's article pages show, and the one the
//! embed, the server-side include and live updates will serve.
//!
//! Anonymous readers share one cached rendering per article version (see `cache`). Signed-in
//! readers mostly share one too: a comment's markup does not depend on the session (the vote
//! and flag buttons submit the page's one form of each kind, which alone holds the session's
//! token, `views::thread::reader_forms`), so the thread is rendered once per version for "a
//! reader who wrote and voted nothing here" (`SharedThread`, compressed ahead in pieces), and a
//! reader's request renders only their own comments and the ones they voted, put in place of
//! the shared ones (`Personal`). Whatever else makes a page personal (a moderator's controls,
//! held comments, a restriction, a draft or a landing after a write) takes the full rendering.

use std::collections::HashSet;
use std::sync::Arc;

use super::cache::{Links, ReaderKey};
use super::compress::{GzipJoin, Piece};
use super::extract::Viewer;
use super::pages::articles::Draft;
use super::State;
use crate::domain::account::User;
use crate::domain::thread::Status;
use crate::error::Error;
use crate::services::articles::Article;
use crate::services::threads::{self, ThreadPage, ThreadQuery};
use crate::views::thread::{
    discussion_body, reader_forms, render_picked, FlagDraft, ReaderControls, ReplyForm, ThreadView, COMMENT_END,
    COMMENT_START,
};

/// The comment list. Anonymous readers share one rendering per article version; signed-in
/// readers share most of theirs (`personal`).
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
    let (base, return_to) = link_base(state, article, links);
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
    if let Some(personal) = personal(state, user, csrf_token, article, query, draft, links).await? {
        return Ok(Arc::from(personal.html()));
    }
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
            editable_after: editable_after(state),
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
            shared: false,
        }),
    };
    let mut html = reader_forms(&view, csrf_token).into_string();
    html.push_str(&discussion_body(&view, &page, summary.as_deref()).into_string());
    Ok(Arc::from(html))
}

fn link_base<'a>(state: &'a State, article: &'a Article, links: Links) -> (&'a str, Option<&'a str>) {
    match links {
        Links::Local => ("", None),
        Links::Absolute => (state.app.settings.base_url.as_str(), article.canonical_url.as_deref()),
    }
}

fn editable_after(state: &State) -> chrono::NaiveDateTime {
    state.app.clock.now() - chrono::Duration::minutes(state.app.settings.edit_window_minutes)
}

/// No account has this id: the shared rendering's reader, who wrote nothing.
const NOBODY: i64 = i64::MIN;

/// A page of a thread as every participating signed-in reader sees it before their own
/// comments and votes are put in: the markup in parts, one per comment (with the text before
/// it), each compressed ahead (`Piece`), and the page it was made from, to render a reader's
/// own comments from.
pub struct SharedThread {
    page: ThreadPage,
    parts: Vec<Part>,
    tail: String,
    tail_piece: Piece,
}

struct Part {
    id: i64,
    /// The text between the previous comment and this one (list items, reply lists).
    gap: usize,
    /// The gap and the comment's markup.
    text: String,
    piece: Piece,
}

impl SharedThread {
    /// Split a rendering made with `shared` controls at its comment marks.
    fn new(html: &str, page: ThreadPage) -> SharedThread {
        let mut parts = Vec::new();
        let mut clean = String::with_capacity(html.len());
        let mut rest = html;
        while let Some(at) = rest.find(COMMENT_START) {
            let (gap, marked) = rest.split_at(at);
            let marked = &marked[COMMENT_START.len()..];
            let close = marked.find("-->").expect("a comment mark ends");
            let id: i64 = marked[..close].parse().expect("a comment mark holds its id");
            let body = &marked[close + 3..];
            let end = body.find(COMMENT_END).expect("a marked comment ends");
            let mut text = String::with_capacity(gap.len() + end);
            text.push_str(gap);
            text.push_str(&body[..end]);
            let piece = Piece::new(clean.as_bytes(), text.as_bytes());
            clean.push_str(&text);
            parts.push(Part { id, gap: gap.len(), text, piece });
            rest = &body[end + COMMENT_END.len()..];
        }
        let tail_piece = Piece::new(clean.as_bytes(), rest.as_bytes());
        SharedThread { page, parts, tail: rest.to_owned(), tail_piece }
    }

    /// The bytes held, for the cache's budget (the page it was made from, roughly as its HTML).
    pub fn weight(&self) -> usize {
        let parts: usize = self.parts.iter().map(|p| 2 * p.text.len() + p.piece.weight()).sum();
        parts + self.tail.len() + self.tail_piece.weight()
    }
}

/// A signed-in reader's thread: the page's forms with their token, then the shared parts with
/// the reader's own comments and votes put in.
pub struct Personal {
    forms: String,
    shared: Arc<SharedThread>,
    /// Rendered for this reader, by comment id, in page order.
    own: Vec<(i64, String)>,
}

impl Personal {
    fn mine(&self, id: i64) -> Option<&str> {
        // A handful at most: a scan beats hashing.
        self.own.iter().find(|(own, _)| *own == id).map(|(_, html)| html.as_str())
    }

    pub fn html(&self) -> String {
        let mut html = String::with_capacity(self.len());
        html.push_str(&self.forms);
        for part in &self.shared.parts {
            match self.mine(part.id) {
                Some(mine) => {
                    html.push_str(&part.text[..part.gap]);
                    html.push_str(mine);
                }
                None => html.push_str(&part.text),
            }
        }
        html.push_str(&self.shared.tail);
        html
    }

    fn len(&self) -> usize {
        let parts: usize = self.shared.parts.iter().map(|p| p.text.len()).sum();
        self.forms.len() + parts + self.shared.tail.len() + self.own.iter().map(|(_, h)| h.len()).sum::<usize>()
    }

    /// Into a gzip body: the shared parts as compressed ahead, the reader's own compressed now.
    pub fn gzip_into(&self, join: &mut GzipJoin) {
        join.text(&self.forms);
        for part in &self.shared.parts {
            match self.mine(part.id) {
                Some(mine) => {
                    join.text(&part.text[..part.gap]);
                    join.text(mine);
                }
                None => join.piece(&part.piece),
            }
        }
        join.piece(&self.shared.tail_piece);
    }
}

/// The thread for a signed-in reader from the shared rendering, when nothing on the page needs
/// the full one (see the module's comment); `None` otherwise.
pub async fn personal(
    state: &State,
    user: &User,
    csrf_token: &str,
    article: &Article,
    query: ThreadQuery,
    draft: &Draft,
    links: Links,
) -> Result<Option<Personal>, Error> {
    let now = state.app.clock.now();
    if user.is_staff() || user.restriction(now).is_some() || !draft.is_blank() {
        return Ok(None);
    }
    let marks = threads::reader_marks(&state.app, article.id, user.id).await?;
    // Held comments sit in the reader's page (and can change what is on it); a removed one
    // shows its author why. Both are rare, and take the full rendering.
    if marks.own.iter().any(|(_, status)| matches!(status, Status::Pending | Status::Removed)) {
        return Ok(None);
    }
    let key = ReaderKey {
        article_id: article.id,
        links,
        sort: query.sort,
        after: query.after,
        comments_open: article.comments_open,
    };
    let (base, return_to) = link_base(state, article, links);
    let after_text = query.after.map(|c| c.encode(query.sort));
    let cached = state.thread_cache.get_reader(key, article.comment_version);
    state.app.metrics.cache(cached.is_some());
    let shared = match cached {
        Some(shared) => shared,
        None => {
            let page = threads::page(&state.app, article.clone(), query, threads::Reader::Anyone).await?;
            let summary = threads::removal_summary(&state.app, article.id).await?;
            let nothing = HashSet::new();
            let view = ThreadView {
                base,
                slug: &article.slug,
                return_to,
                sort: query.sort,
                after: after_text.as_deref(),
                reader: Some(ReaderControls {
                    user_id: NOBODY,
                    csrf_token: "",
                    voted: &nothing,
                    editable_after: now,
                    comments_open: article.comments_open,
                    replying: None,
                    is_staff: false,
                    can_participate: true,
                    landing: None,
                    flagging: None,
                    shared: true,
                }),
            };
            let html = discussion_body(&view, &page, summary.as_deref()).into_string();
            let shared = Arc::new(SharedThread::new(&html, page));
            if threads::is_known_page(&state.app, article.id, query.sort, query.after).await? {
                state.thread_cache.put_reader(key, article.comment_version, shared.clone());
            }
            shared
        }
    };
    let view = ThreadView {
        base,
        slug: &article.slug,
        return_to,
        sort: query.sort,
        after: after_text.as_deref(),
        reader: Some(ReaderControls {
            user_id: user.id,
            csrf_token,
            voted: &marks.voted,
            editable_after: editable_after(state),
            comments_open: article.comments_open,
            replying: None,
            is_staff: false,
            can_participate: true,
            landing: None,
            flagging: None,
            shared: false,
        }),
    };
    let mut own = Vec::new();
    if !marks.own.is_empty() || !marks.voted.is_empty() {
        let pick = |c: &threads::Comment| c.author_id == user.id || marks.voted.contains(&c.id);
        render_picked(&view, &shared.page, &pick, &mut own);
    }
    let forms = reader_forms(&view, csrf_token).into_string();
    Ok(Some(Personal { forms, shared, own }))
}
