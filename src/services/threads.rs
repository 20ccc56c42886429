//! A thread as a whole: reading it a page at a time, moving a comment between statuses with
//! every count kept right, and opening and closing the discussion. Writing comments
//! (`comments`) and moderating them (`moderation`) build on these.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};

use super::live;
use super::webhooks::{self, Detail};
use super::{require_role, App};
use crate::domain::account::User;
use crate::domain::moderation::{FlagReason, HeldNotice};
use crate::domain::role::Role;
use crate::domain::site::{Discussion, SiteSettings};
use crate::domain::thread::{self, Cursor, Node, Sort, Status, Threaded};
use crate::domain::webhook::Event;
use crate::domain::Invalid;
use crate::error::Error;
use crate::store::articles::{self, ArticleRow};
pub use crate::store::comments::Reader;
use crate::store::comments::{self, CommentRow, ThreadRow};
use crate::store::live as store_live;
use crate::store::moderation as store_moderation;
use crate::store::moderation_log::{self, NewLogEntry};
use crate::store::{settings, DbConnection};

/// A comment as readers see it.
#[derive(Debug, Clone)]
pub struct Comment {
    pub id: i64,
    /// The comment it answers.
    pub parent_id: Option<i64>,
    /// The comment it hangs under in the thread: its parent, except for a reply to a comment
    /// at the deepest level, which sits beside its parent (see `domain::thread`).
    pub thread_parent_id: Option<i64>,
    pub depth: i32,
    pub author_id: i64,
    pub author_username: String,
    pub author_display_name: Option<String>,
    /// Staff are badged in the thread.
    pub author_role: Role,
    /// Sanitised, masked HTML; empty for a placeholder.
    pub body_html: String,
    pub status: Status,
    pub score: i64,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub featured: bool,
    /// Why a moderator removed it, with their note: shown only to its author.
    pub removal: Option<(String, Option<String>)>,
    /// Why it waits for a moderator, and what happens next: shown only to its author.
    pub held: Option<HeldNotice>,
}

impl Comment {
    pub fn author_name(&self) -> &str {
        self.author_display_name.as_deref().unwrap_or(&self.author_username)
    }

    pub fn is_placeholder(&self) -> bool {
        self.status != Status::Published
    }
}

impl From<ThreadRow> for Comment {
    fn from(row: ThreadRow) -> Comment {
        Comment::seen_by(row, None)
    }
}

impl Comment {
    /// A comment as `viewer` sees it: its author also sees why a moderator removed it.
    pub fn seen_by(row: ThreadRow, viewer: Option<i64>) -> Comment {
        let status = Status::from_db(&row.status);
        let own = viewer == Some(row.author_id);
        Comment {
            id: row.id,
            parent_id: row.parent_id,
            thread_parent_id: thread::thread_parent(&row.path),
            depth: row.depth,
            author_id: row.author_id,
            author_username: row.author_username,
            author_display_name: row.author_display_name,
            author_role: Role::parse(&row.author_role).unwrap_or(Role::Reader),
            // The text of a deleted or removed comment never leaves the database in a thread; a
            // held one reaches only its author.
            body_html: if matches!(status, Status::Published | Status::Pending) {
                row.body_html
            } else {
                String::new()
            },
            status,
            score: row.score,
            created_at: row.created_at,
            edited_at: row.edited_at,
            featured: row.featured_at.is_some(),
            removal: (own && status == Status::Removed)
                .then(|| (row.removal_reason.unwrap_or_else(|| "other".into()), row.removal_note)),
            held: (own && status == Status::Pending).then(|| HeldNotice::from_stored(&row.system_reasons)),
        }
    }
}

impl Threaded for Comment {
    fn id(&self) -> i64 {
        self.id
    }
    fn thread_parent_id(&self) -> Option<i64> {
        self.thread_parent_id
    }
}

/// One page of a thread: top-level comments in the chosen order, each with all its replies.
#[derive(Debug, Clone)]
pub struct ThreadPage {
    pub comments: Vec<Node<Comment>>,
    /// Comments moderators featured, shown first in their own block.
    pub featured: Vec<Comment>,
    pub next: Option<String>,
    /// The way back, on every page but the first.
    pub previous: Option<PageBack>,
    /// Published comments on the whole article.
    pub total: i64,
}

/// Where the page before this one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageBack {
    /// The first page, which has no cursor.
    First,
    /// A later page, starting after this cursor.
    After(String),
}

#[derive(Debug, Clone, Copy)]
pub struct ThreadQuery {
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub limit: i64,
}

impl Default for ThreadQuery {
    fn default() -> ThreadQuery {
        ThreadQuery { sort: Sort::default(), after: None, limit: thread::DEFAULT_PAGE_SIZE }
    }
}

impl ThreadQuery {
    /// A reader's page of the thread: without a sort in the query, the site's default order.
    pub fn parse_or(sort: Option<&str>, after: Option<&str>, default: Sort) -> Result<ThreadQuery, Invalid> {
        let sort = match sort.map(str::trim).filter(|s| !s.is_empty()) {
            None => default.as_str(),
            Some(asked) => asked,
        };
        ThreadQuery::parse(Some(sort), after, None)
    }

    pub fn parse(sort: Option<&str>, after: Option<&str>, limit: Option<i64>) -> Result<ThreadQuery, Invalid> {
        let sort = Sort::parse(sort)?;
        let after = after.filter(|a| !a.is_empty()).map(|a| Cursor::parse(a, sort)).transpose()?;
        Ok(ThreadQuery { sort, after, limit: thread::page_size(limit)? })
    }
}

/// Load a page of the thread as `reader` sees it (their own held comments included, and every
/// held comment for a moderator): a fixed number of queries, whatever the number of comments.
pub fn load_page(
    conn: &mut DbConnection,
    article: &ArticleRow,
    query: &ThreadQuery,
    reader: Reader,
) -> Result<ThreadPage, Error> {
    let viewer = reader.account();
    let mut roots = comments::roots_page(conn, article.id, query.sort, query.after, query.limit, reader)?;
    let next = if roots.len() as i64 > query.limit {
        roots.truncate(query.limit as usize);
        roots.last().map(|last| Cursor { score: last.score, id: last.id }.encode(query.sort))
    } else {
        None
    };
    let root_ids: Vec<i64> = roots.iter().map(|r| r.id).collect();
    let mut by_root: HashMap<i64, Vec<Comment>> = HashMap::new();
    for reply in comments::replies_under(conn, &root_ids, reader)? {
        by_root.entry(reply.root_id).or_default().push(Comment::seen_by(reply, viewer));
    }
    let mut flat = Vec::with_capacity(roots.len() + by_root.values().map(Vec::len).sum::<usize>());
    for root in roots {
        let id = root.id;
        flat.push(Comment::seen_by(root, viewer));
        if let Some(group) = by_root.remove(&id) {
            flat.extend(group);
        }
    }
    let previous = match query.after {
        None => None,
        Some(after) => {
            let back = comments::roots_before(conn, article.id, query.sort, after, true, reader, query.limit + 1)?;
            Some(match back.get(query.limit as usize) {
                Some(start) => PageBack::After(start.encode(query.sort)),
                None => PageBack::First,
            })
        }
    };
    // Featured comments head the first page only.
    let featured = if query.after.is_none() {
        comments::featured(conn, article.id)?.into_iter().map(Comment::from).collect()
    } else {
        Vec::new()
    };
    Ok(ThreadPage { comments: thread::nest(flat), featured, next, previous, total: article.comment_count })
}

pub async fn page(app: &App, article: ArticleRow, query: ThreadQuery, reader: Reader) -> Result<ThreadPage, Error> {
    app.db(move |conn| load_page(conn, &article, &query, reader)).await
}

/// Whether a page cursor starts after a top-level comment this article really has, rather than
/// being made up: only such pages are worth keeping in a cache.
pub async fn is_known_page(app: &App, article_id: i64, sort: Sort, after: Option<Cursor>) -> Result<bool, Error> {
    let Some(cursor) = after else { return Ok(true) };
    app.db(move |conn| Ok(comments::cursor_names_root(conn, article_id, sort, cursor)?)).await
}

/// Which comments on this page the reader has upvoted.
pub async fn votes_by(app: &App, user_id: i64, page: &ThreadPage) -> Result<HashSet<i64>, Error> {
    fn collect(nodes: &[Node<Comment>], ids: &mut Vec<i64>) {
        for node in nodes {
            ids.push(node.item.id);
            collect(&node.replies, ids);
        }
    }
    let mut ids = Vec::new();
    collect(&page.comments, &mut ids);
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    app.db(move |conn| Ok(comments::voted_among(conn, user_id, &ids)?.into_iter().collect())).await
}

/// What makes an article's thread personal to a reader: their own comments on it (with their
/// status) and the comments on it they upvoted.
pub struct ReaderMarks {
    pub own: Vec<(i64, Status)>,
    pub voted: HashSet<i64>,
}

impl ReaderMarks {
    /// Whether one of their comments there waits for a moderator, which only they see.
    pub fn holds_pending(&self) -> bool {
        self.own.iter().any(|(_, status)| *status == Status::Pending)
    }
}

pub async fn reader_marks(app: &App, article_id: i64, user_id: i64) -> Result<ReaderMarks, Error> {
    app.lookup(move |conn| marks_on(conn, article_id, user_id)).await
}

fn marks_on(conn: &mut DbConnection, article_id: i64, user_id: i64) -> Result<ReaderMarks, Error> {
    let own = comments::own_on_article(conn, article_id, user_id)?;
    let voted = comments::voted_on_article(conn, article_id, user_id)?;
    Ok(ReaderMarks {
        own: own.into_iter().map(|(id, status)| (id, Status::from_db(&status))).collect(),
        voted: voted.into_iter().collect(),
    })
}

pub(crate) fn find_comment(conn: &mut DbConnection, id: i64) -> Result<CommentRow, Error> {
    comments::find(conn, id)?.ok_or_else(|| Error::not_found("That comment"))
}

/// A comment read to be changed: its row stays locked until the transaction ends.
pub(crate) fn lock_comment(conn: &mut DbConnection, id: i64) -> Result<CommentRow, Error> {
    comments::find_for_update(conn, id)?.ok_or_else(|| Error::not_found("That comment"))
}

/// One comment as `viewer` sees it (its author, after writing it).
pub(crate) fn find_thread_comment(conn: &mut DbConnection, id: i64, viewer: i64) -> Result<Comment, Error> {
    comments::find_in_thread(conn, id)?
        .map(|row| Comment::seen_by(row, Some(viewer)))
        .ok_or_else(|| Error::not_found("That comment"))
}

/// Whether the article's discussion takes no more comments (see `SiteSettings::is_discussion_closed`).
pub fn is_closed(article: &ArticleRow, site: &SiteSettings, now: NaiveDateTime) -> bool {
    let discussion = Discussion {
        open: article.comments_open,
        published_at: article.published_at,
        reopened_at: article.reopened_at,
    };
    site.is_discussion_closed(&discussion, now)
}

/// Move a comment to a new status and keep every count right: the article's published count,
/// and each ancestor's count of shown replies (so a placeholder appears or disappears with the
/// last reply it holds up). Bumps the article's comment version. `NotFound` when the comment
/// already had that status. `before` must come from `lock_comment` in this transaction, so
/// the status it had is the status it has. Announces the change to webhooks: a comment
/// published, held or removed (a deletion by its author is no one else's business).
pub(crate) fn change_status(
    conn: &mut DbConnection,
    before: &CommentRow,
    status: Status,
    now: NaiveDateTime,
) -> Result<(), Error> {
    if comments::change_status(conn, before.id, status.as_str())? == 0 {
        return Err(Error::not_found("That comment"));
    }
    // Read again now that the row is locked: a reply may have arrived meanwhile.
    let after = find_comment(conn, before.id)?;
    let was = Status::from_db(&before.status);
    let was_shown = thread::is_shown(was, after.live_replies);
    let now_shown = thread::is_shown(status, after.live_replies);
    if was_shown != now_shown {
        adjust_ancestors(conn, &after.path, if now_shown { 1 } else { -1 })?;
    }
    let published_delta = i64::from(status == Status::Published) - i64::from(was == Status::Published);
    articles::touch_discussion(conn, after.article_id, published_delta)?;
    let event = match status {
        Status::Published => Some(Event::CommentPublished),
        Status::Pending => Some(Event::CommentHeld),
        Status::Removed => Some(Event::CommentRemoved),
        Status::Deleted => None,
    };
    if let Some(event) = event {
        webhooks::announce(conn, event, before.id, Detail::None, now)?;
    }
    live::record_status(after.article_id, before.id, before.parent_id, was, status, now)?;
    Ok(())
}

/// A comment started or stopped being shown: each ancestor holds one shown reply more or
/// fewer, and a placeholder whose shown-ness changes with it passes the change further up.
pub(crate) fn adjust_ancestors(conn: &mut DbConnection, path: &str, delta: i64) -> Result<(), Error> {
    for ancestor_id in thread::ancestor_ids(path) {
        comments::add_live_replies(conn, ancestor_id, delta)?;
        let ancestor = find_comment(conn, ancestor_id)?;
        let status = Status::from_db(&ancestor.status);
        if thread::is_shown(status, ancestor.live_replies) == thread::is_shown(status, ancestor.live_replies - delta) {
            break;
        }
    }
    Ok(())
}

/// One comment as `reader` sees it in its thread, with its article and whether the reader
/// upvoted it: what a page that heard of the comment live shows in place. `NotFound` when the
/// reader does not see it (held for someone else, or gone).
pub async fn shown_comment(app: &App, id: i64, reader: Reader) -> Result<(Comment, ArticleRow, bool), Error> {
    app.db(move |conn| {
        let (row, article_id) =
            comments::find_shown(conn, id, reader)?.ok_or_else(|| Error::not_found("That comment"))?;
        let article = articles::find(conn, article_id)?.ok_or_else(|| Error::not_found("That article"))?;
        let voted = match reader.account() {
            Some(user_id) => !comments::voted_among(conn, user_id, &[id])?.is_empty(),
            None => false,
        };
        Ok((Comment::seen_by(row, reader.account()), article, voted))
    })
    .await
}

/// Where a permalink lands: the article, and the page of its thread (in the default order)
/// that holds the comment.
pub struct Place {
    pub slug: String,
    pub sort: Sort,
    pub page_after: Option<String>,
}

/// The order discussions open in when the reader has not chosen one (an admin's choice).
pub async fn default_sort(app: &App) -> Result<Sort, Error> {
    let stored = app.db(|conn| Ok(settings::get(conn, "default_sort")?)).await?;
    Ok(sort_or_default(stored))
}

/// The stored `default_sort` setting as an order; the default when unset or unreadable.
fn sort_or_default(stored: Option<String>) -> Sort {
    stored.and_then(|s| Sort::parse(Some(&s)).ok()).unwrap_or_default()
}

/// An article to read by slug (drafts only when `include_drafts`, for admins), with the order its
/// discussion opens in when the reader chose none, and for a signed-in reader (`reader`) what
/// their view needs besides: what every view of an article page needs first, in one trip to the
/// database.
pub async fn article_to_read(
    app: &App,
    slug: String,
    include_drafts: bool,
    reader: Option<i64>,
) -> Result<(ArticleRow, Sort, Option<Reading>), Error> {
    article_with(app, slug, include_drafts, move |conn, article| {
        reader.map(|user_id| reading_of(conn, article, user_id)).transpose()
    })
    .await
}

/// `article_to_read` for a signed-in reader, whose view it always reads.
pub async fn article_for_reader(
    app: &App,
    slug: String,
    include_drafts: bool,
    user_id: i64,
) -> Result<(ArticleRow, Sort, Reading), Error> {
    article_with(app, slug, include_drafts, move |conn, article| reading_of(conn, article, user_id)).await
}

/// The article with its default order and what `also` reads beside it, in one trip.
async fn article_with<T: Send + 'static>(
    app: &App,
    slug: String,
    include_drafts: bool,
    also: impl FnOnce(&mut DbConnection, &ArticleRow) -> Result<T, Error> + Send + 'static,
) -> Result<(ArticleRow, Sort, T), Error> {
    let found = app
        .lookup(move |conn| {
            let Some((article, stored)) = articles::find_with_default_sort(conn, &slug)? else {
                return Ok(None);
            };
            let more = also(conn, &article)?;
            Ok(Some((article, stored, more)))
        })
        .await?;
    match found {
        Some((article, stored, more)) if include_drafts || super::articles::is_public(&article, app.clock.now()) => {
            Ok((article, sort_or_default(stored), more))
        }
        _ => Err(Error::not_found("That article")),
    }
}

fn reading_of(conn: &mut DbConnection, article: &ArticleRow, user_id: i64) -> Result<Reading, Error> {
    Ok(Reading { marks: marks_on(conn, article.id, user_id)?, live_from: store_live::newest(conn)?.unwrap_or(0) })
}

/// A signed-in reader's view of an article, read with it: their marks on it, and the newest
/// live event (where the page's stream starts).
pub struct Reading {
    pub marks: ReaderMarks,
    pub live_from: i64,
}

/// Where a comment is, for the permalink: its page in the site's default order.
pub async fn locate(app: &App, id: i64) -> Result<Place, Error> {
    let sort = default_sort(app).await?;
    locate_in(app, id, sort, None, Reader::Anyone).await
}

/// The page of the thread, in `sort`, that shows this comment (as `viewer` sees the thread):
/// the reader's own page (`reading`, the cursor it starts after) when the comment is on it, so
/// an action lands where it was taken; otherwise the page that holds it, counting pages of the
/// default size from the start.
pub async fn locate_in(
    app: &App,
    id: i64,
    sort: Sort,
    reading: Option<Cursor>,
    reader: Reader,
) -> Result<Place, Error> {
    let clock = app.clock.clone();
    app.db(move |conn| {
        let comment = find_comment(conn, id)?;
        let article = articles::find(conn, comment.article_id)?.ok_or_else(|| Error::not_found("That comment"))?;
        let status = Status::from_db(&comment.status);
        // Its author also sees their own held and removed comments in the thread.
        let own = reader.account() == Some(comment.author_id) && matches!(status, Status::Pending | Status::Removed);
        if !super::articles::is_public(&article, clock.now())
            || !(own || thread::is_shown(status, comment.live_replies))
        {
            return Err(Error::not_found("That comment"));
        }
        let root = find_comment(conn, comment.root_id)?;
        let at = Cursor { score: root.score, id: root.id };
        let size = thread::DEFAULT_PAGE_SIZE;
        let before = comments::roots_before(conn, article.id, sort, at, false, reader, size)?;
        let on_reading_page = match reading {
            None => (before.len() as i64) < size,
            Some(start) => before.contains(&start),
        };
        let page_after = if on_reading_page {
            reading.map(|c| c.encode(sort))
        } else {
            let count = comments::count_roots_before(conn, article.id, sort, at, reader)?;
            let page_start = count / size * size;
            // The page starts after the root just before its first comment: that many back.
            let back = count - page_start + 1;
            if page_start == 0 {
                None
            } else {
                comments::roots_before(conn, article.id, sort, at, false, reader, back)?.last().map(|c| c.encode(sort))
            }
        };
        Ok(Place { slug: article.slug, sort, page_after })
    })
    .await
}

impl Place {
    /// The article page that shows the comment, with `extra` query pairs (already encoded),
    /// anchored at the comment.
    pub fn href(&self, extra: &str, anchor: &str) -> String {
        let mut href = format!("/articles/{}?sort={}", self.slug, self.sort.as_str());
        if let Some(after) = &self.page_after {
            href.push_str("&after=");
            href.push_str(after);
        }
        if !extra.is_empty() {
            href.push('&');
            href.push_str(extra);
        }
        href.push('#');
        href.push_str(anchor);
        href
    }
}

/// The slug of the article a comment belongs to.
pub async fn article_slug_of(app: &App, id: i64) -> Result<String, Error> {
    app.db(move |conn| {
        let comment = find_comment(conn, id)?;
        let article = articles::find(conn, comment.article_id)?.ok_or_else(|| Error::not_found("That comment"))?;
        Ok(article.slug)
    })
    .await
}

/// Close or reopen the discussion on an article.
pub async fn set_thread_open(app: &App, moderator: &User, slug: String, open: bool) -> Result<(), Error> {
    require_role(moderator, Role::Moderator)?;
    let moderator_id = moderator.id;
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        let article = articles::find_by_slug(conn, &slug)?.ok_or_else(|| Error::not_found("That article"))?;
        store_moderation::set_comments_open(conn, article.id, open, now)?;
        moderation_log::write(conn, &NewLogEntry::thread(Some(moderator_id), article.id, open, now))?;
        live::record_discussion(article.id, open, now)?;
        Ok(())
    })
    .await
}

/// "N comments removed: spam ×3, abuse ×1", with no personal data.
pub async fn removal_summary(app: &App, article_id: i64) -> Result<Option<String>, Error> {
    let mut counts = app.db(move |conn| Ok(moderation_log::removals_by_reason(conn, article_id)?)).await?;
    if counts.is_empty() {
        return Ok(None);
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = counts
        .iter()
        .map(|(reason, n)| {
            let label = reason.as_deref().and_then(|r| FlagReason::parse(r).ok()).map_or("other", |r| r.as_str());
            format!("{} ×{n}", label.replace('_', "-"))
        })
        .collect();
    Ok(Some(format!("{total} {} removed: {}", if total == 1 { "comment" } else { "comments" }, parts.join(", "))))
}

/// Close discussions older than the auto-close setting. Each instance runs this every minute;
/// closing is idempotent, so several instances may race harmlessly.
pub async fn close_expired_threads(app: &App) -> Result<usize, Error> {
    let clock = app.clock.clone();
    app.write(move |conn| {
        let site = settings::load(conn)?;
        if site.auto_close_days == 0 {
            return Ok(0);
        }
        let days = i64::from(site.auto_close_days);
        let now = clock.now();
        let expired = articles::open_published_before(conn, now - Duration::days(days))?;
        for article_id in &expired {
            store_moderation::set_comments_open(conn, *article_id, false, now)?;
            moderation_log::write(conn, &NewLogEntry::thread(None, *article_id, false, now))?;
            live::record_discussion(*article_id, false, now)?;
        }
        Ok(expired.len())
    })
    .await
}
