//! A thread's comment list as HTML: the fragment Civil's article pages show, and the one the
//! embed, the server-side include and live updates will serve.
//!
//! Anonymous readers share one cached rendering per article version (see `cache`). Signed-in
//! readers mostly share one too: a comment's markup does not depend on the session (the vote
//! and flag buttons submit the page's one form of each kind, which alone holds the session's
//! token, `views::thread::reader_forms`), so the thread is rendered once per version for "a
//! reader who wrote and voted nothing here" (`SharedThread`, compressed ahead in pieces, with
//! each comment's controls also as a voter sees them), and a reader's request renders only the
//! controls on their own comments (all else that differs for them is a piece chosen per comment,
//! `Personal`). Whatever else makes a page personal (a moderator's controls, held comments, a
//! restriction, a draft or a landing after a write) takes the full rendering.

use std::collections::HashSet;
use std::sync::Arc;

use super::cache::{Links, ReaderKey};
use super::compress::{GzipJoin, Piece};
use super::extract::Viewer;
use super::pages::articles::Draft;
use super::State;
use crate::domain::account::User;
use crate::domain::thread::{Node, Status};
use crate::error::Error;
use crate::services::articles::Article;
use crate::services::threads::{self, ThreadPage, ThreadQuery};
use crate::views::thread::{
    discussion_body, reader_forms, render_picked, FlagDraft, ReaderControls, ReplyForm, ThreadView, CONTROLS_END,
    CONTROLS_START,
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
    if let Some(personal) = personal(state, user, csrf_token, article, query, draft, links, None).await? {
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
/// controls are put in: the markup in parts, one per comment's controls (with the text before
/// them), each compressed ahead (`Piece`), with the controls as a reader who upvoted the comment
/// sees them; and the page it was made from, to render a reader's controls on their own comments.
pub struct SharedThread {
    page: ThreadPage,
    parts: Vec<Part>,
    tail: String,
    tail_piece: Piece,
}

struct Part {
    id: i64,
    /// The text since the previous comment's controls (this comment's header and body).
    gap: usize,
    /// The gap and the comment's controls.
    text: String,
    piece: Piece,
    /// The gap alone: what goes before other controls.
    gap_piece: Piece,
    /// The controls with the reader's upvote on.
    voted: String,
    voted_piece: Piece,
}

/// A rendering made with `shared` controls, split at its marks: each comment's id, the text
/// before its controls and the controls; then the text after the last.
fn split_at_controls(html: &str) -> (Vec<(i64, &str, &str)>, &str) {
    let mut parts = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(CONTROLS_START) {
        let (gap, marked) = rest.split_at(at);
        let marked = &marked[CONTROLS_START.len()..];
        let close = marked.find("-->").expect("a controls mark ends");
        let id: i64 = marked[..close].parse().expect("a controls mark holds its comment's id");
        let controls = &marked[close + 3..];
        let end = controls.find(CONTROLS_END).expect("marked controls end");
        parts.push((id, gap, &controls[..end]));
        rest = &controls[end + CONTROLS_END.len()..];
    }
    (parts, rest)
}

impl SharedThread {
    /// From the rendering of `page` for a reader who voted nothing and for one who voted
    /// everything (both with `shared` controls).
    fn new(html: &str, voted_html: &str, page: ThreadPage) -> SharedThread {
        let (marked, tail) = split_at_controls(html);
        let (voted, _) = split_at_controls(voted_html);
        assert_eq!(marked.len(), voted.len(), "both renderings mark the same comments");
        let mut parts = Vec::with_capacity(marked.len());
        let mut clean = String::with_capacity(html.len());
        for ((id, gap, controls), (voted_id, _, voted)) in marked.into_iter().zip(voted) {
            debug_assert_eq!(id, voted_id);
            let mut text = String::with_capacity(gap.len() + controls.len());
            text.push_str(gap);
            text.push_str(controls);
            let piece = Piece::new(clean.as_bytes(), text.as_bytes());
            let gap_piece = Piece::new(clean.as_bytes(), gap.as_bytes());
            clean.push_str(gap);
            let voted_piece = Piece::new(clean.as_bytes(), voted.as_bytes());
            clean.push_str(controls);
            parts.push(Part { id, gap: gap.len(), text, piece, gap_piece, voted: voted.to_owned(), voted_piece });
        }
        let tail_piece = Piece::new(clean.as_bytes(), tail.as_bytes());
        SharedThread { page, parts, tail: tail.to_owned(), tail_piece }
    }

    /// The bytes held, for the cache's budget (the page it was made from, roughly as its HTML).
    pub fn weight(&self) -> usize {
        let parts: usize = self
            .parts
            .iter()
            .map(|p| {
                2 * p.text.len() + p.voted.len() + p.piece.weight() + p.gap_piece.weight() + p.voted_piece.weight()
            })
            .sum();
        parts + self.tail.len() + self.tail_piece.weight()
    }
}

/// A signed-in reader's thread: the page's forms with their token, then the shared parts with
/// the reader's upvotes on and their own controls put in.
pub struct Personal {
    forms: String,
    shared: Arc<SharedThread>,
    voted: HashSet<i64>,
    /// The controls on the reader's own comments, by comment id, in page order.
    own: Vec<(i64, String)>,
}

/// How a reader sees a comment's controls.
enum Controls<'a> {
    Shared,
    Voted,
    Own(&'a str),
}

impl Personal {
    fn controls(&self, id: i64) -> Controls<'_> {
        // A handful at most: a scan beats hashing.
        if let Some((_, html)) = self.own.iter().find(|(own, _)| *own == id) {
            Controls::Own(html)
        } else if self.voted.contains(&id) {
            Controls::Voted
        } else {
            Controls::Shared
        }
    }

    pub fn html(&self) -> String {
        let mut html = String::with_capacity(self.len());
        html.push_str(&self.forms);
        for part in &self.shared.parts {
            match self.controls(part.id) {
                Controls::Shared => html.push_str(&part.text),
                Controls::Voted => {
                    html.push_str(&part.text[..part.gap]);
                    html.push_str(&part.voted);
                }
                Controls::Own(mine) => {
                    html.push_str(&part.text[..part.gap]);
                    html.push_str(mine);
                }
            }
        }
        html.push_str(&self.shared.tail);
        html
    }

    /// About the page's length: a voter's controls are as long as the shared ones, give or take.
    fn len(&self) -> usize {
        let parts: usize = self.shared.parts.iter().map(|p| p.text.len()).sum();
        self.forms.len() + parts + self.shared.tail.len() + self.own.iter().map(|(_, h)| h.len()).sum::<usize>()
    }

    /// Into a gzip body: the shared parts as compressed ahead, the reader's own sent as they are.
    pub fn gzip_into(&self, join: &mut GzipJoin) {
        join.text(&self.forms);
        for part in &self.shared.parts {
            match self.controls(part.id) {
                Controls::Shared => join.piece(&part.piece),
                Controls::Voted => {
                    join.piece(&part.gap_piece);
                    join.variant(&part.voted_piece);
                }
                Controls::Own(mine) => {
                    join.piece(&part.gap_piece);
                    join.text(mine);
                }
            }
        }
        join.piece(&self.shared.tail_piece);
    }
}

/// The thread for a signed-in reader from the shared rendering, when nothing on the page needs
/// the full one (see the module's comment); `None` otherwise. The reader's `marks` on the
/// article are read here unless the caller read them with it.
#[allow(clippy::too_many_arguments)]
pub async fn personal(
    state: &State,
    user: &User,
    csrf_token: &str,
    article: &Article,
    query: ThreadQuery,
    draft: &Draft,
    links: Links,
    marks: Option<threads::ReaderMarks>,
) -> Result<Option<Personal>, Error> {
    let now = state.app.clock.now();
    if user.is_staff() || user.restriction(now).is_some() || !draft.is_blank() {
        return Ok(None);
    }
    let marks = match marks {
        Some(marks) => marks,
        None => threads::reader_marks(&state.app, article.id, user.id).await?,
    };
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
                reader: Some(participant(NOBODY, "", &nothing, now, article.comments_open, true)),
            };
            let html = discussion_body(&view, &page, summary.as_deref()).into_string();
            let everything = comment_ids(&page);
            let view = ThreadView {
                reader: Some(participant(NOBODY, "", &everything, now, article.comments_open, true)),
                ..view
            };
            let voted_html = discussion_body(&view, &page, summary.as_deref()).into_string();
            let shared = Arc::new(SharedThread::new(&html, &voted_html, page));
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
        reader: Some(participant(
            user.id,
            csrf_token,
            &marks.voted,
            editable_after(state),
            article.comments_open,
            false,
        )),
    };
    let own = own_controls(&view, &shared.page, user.id);
    let forms = reader_forms(&view, csrf_token).into_string();
    Ok(Some(Personal { forms, shared, voted: marks.voted, own }))
}

/// The controls of a reader who takes part and is doing nothing in particular: neither
/// moderating, nor replying, nor just back from a write (what `personal` serves).
fn participant<'a>(
    user_id: i64,
    csrf_token: &'a str,
    voted: &'a HashSet<i64>,
    editable_after: chrono::NaiveDateTime,
    comments_open: bool,
    shared: bool,
) -> ReaderControls<'a> {
    ReaderControls {
        user_id,
        csrf_token,
        voted,
        editable_after,
        comments_open,
        replying: None,
        is_staff: false,
        can_participate: true,
        landing: None,
        flagging: None,
        shared,
    }
}

/// The controls on the reader's own comments, the only ones rendered for them alone.
fn own_controls(view: &ThreadView<'_>, page: &ThreadPage, user_id: i64) -> Vec<(i64, String)> {
    let mut own = Vec::new();
    render_picked(view, page, &|c| c.author_id == user_id, &mut own);
    own
}

/// Every comment on the page: what a reader who voted for all of them voted.
fn comment_ids(page: &ThreadPage) -> HashSet<i64> {
    fn walk(nodes: &[Node<threads::Comment>], ids: &mut HashSet<i64>) {
        for node in nodes {
            ids.insert(node.item.id);
            walk(&node.replies, ids);
        }
    }
    let mut ids = HashSet::new();
    walk(&page.comments, &mut ids);
    ids
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use chrono::NaiveDate;

    use super::*;
    use crate::domain::role::Role;
    use crate::domain::thread::{child_path, nest, thread_parent, Sort};
    use crate::services::threads::Comment;

    fn at(day: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(2024, 5, day).unwrap().and_hms_opt(12, 0, 0).unwrap()
    }

    /// Forty comments by four authors: a chain deeper than the thread nests (so some say whom
    /// they answer), a long run of replies that folds, a deleted one and a removed one.
    fn page() -> ThreadPage {
        let mut items = Vec::new();
        let mut paths: Vec<String> = Vec::new();
        for id in 1..=40_i64 {
            let parent = match id {
                1 | 20 | 30 => None,
                2..=12 => Some(id - 1),
                13..=19 => Some(1),
                _ => Some(20),
            };
            let path = child_path(parent.map(|p| paths[p as usize - 1].as_str()), id);
            let status = match id {
                5 => Status::Deleted,
                25 => Status::Removed,
                _ => Status::Published,
            };
            items.push(Comment {
                id,
                parent_id: parent,
                thread_parent_id: thread_parent(&path),
                depth: 0,
                // The removed one's author is not among the readers: it would show them why, which
                // takes the full rendering.
                author_id: if id == 25 { 9 } else { id % 4 + 1 },
                author_username: format!("user{}", id % 4 + 1),
                author_display_name: (id % 3 == 0).then(|| "Named <Reader>".to_owned()),
                author_role: if id == 7 { Role::Moderator } else { Role::Reader },
                body_html: if status == Status::Published { format!("<p>Body {id}</p>") } else { String::new() },
                status,
                score: id % 5,
                created_at: at(1 + (id % 20) as u32),
                edited_at: (id % 7 == 0).then(|| at(25)),
                featured: id == 30,
                removal: (status == Status::Removed).then(|| ("spam".to_owned(), None)),
                held: None,
            });
            paths.push(path);
        }
        // As the store reads them: in path order.
        let mut items: Vec<(String, Comment)> = paths.into_iter().zip(items).collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let items = items.into_iter().map(|(_, c)| c).collect();
        ThreadPage { comments: nest(items), featured: Vec::new(), next: Some("n".into()), previous: None, total: 38 }
    }

    fn view<'a>(reader: ReaderControls<'a>) -> ThreadView<'a> {
        ThreadView { base: "", slug: "story", return_to: None, sort: Sort::Oldest, after: None, reader: Some(reader) }
    }

    /// Equal, or a panic that shows where they part.
    fn same(got: &str, want: &str, what: &str) {
        let at = got.bytes().zip(want.bytes()).take_while(|(g, w)| g == w).count();
        if at < got.len().max(want.len()) {
            let around = |s: &str| s.get(at.saturating_sub(200)..(at + 200).min(s.len())).unwrap_or("").to_owned();
            panic!("{what}: differs at byte {at}\n got: {}\nwant: {}", around(got), around(want));
        }
    }

    #[test]
    fn a_readers_controls_put_into_the_shared_rendering_make_their_whole_rendering() {
        let nothing = HashSet::new();
        let everything = comment_ids(&page());
        let [html, voted_html] = [&nothing, &everything].map(|voted| {
            discussion_body(&view(participant(NOBODY, "", voted, at(28), true, true)), &page(), None).into_string()
        });
        let shared = Arc::new(SharedThread::new(&html, &voted_html, page()));
        assert_eq!(shared.parts.len(), 38, "every shown comment's controls are marked");
        for user_id in 1..=4 {
            let voted: HashSet<i64> = [3, 8, 21, 22, 40].into_iter().filter(|id| id % 4 + 1 != user_id).collect();
            // Comments from the tenth on can still be edited.
            let reader = view(participant(user_id, "token", &voted, at(10), true, false));
            let whole = discussion_body(&reader, &page(), None).into_string();
            let own = own_controls(&reader, &shared.page, user_id);
            assert!(own.len() >= 8);
            let personal = Personal { forms: String::new(), shared: shared.clone(), voted, own };
            same(&personal.html(), &whole, &format!("reader {user_id}"));
            let mut join = GzipJoin::new();
            personal.gzip_into(&mut join);
            let mut unzipped = String::new();
            flate2::read::GzDecoder::new(&join.finish()[..]).read_to_string(&mut unzipped).unwrap();
            same(&unzipped, &whole, &format!("reader {user_id}, joined as gzip"));
        }
    }
}
