use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};

use super::account_emails;
use super::settings::{self, SiteSettings};
use super::{rate_limits, App};
use crate::domain::account::User;
use crate::domain::comment_body::CommentBody;
use crate::domain::markdown::{self, MASK_PLACEHOLDER};
use crate::domain::moderation::{self, Author, Check, Decision, Submission, Verdict};
use crate::domain::profanity::TextAnalysis;
use crate::domain::role::Role;
use crate::domain::thread::{self, Cursor, Node, Sort, Status, Threaded};
use crate::domain::Invalid;
use crate::error::Error;
use crate::store::articles::{self, ArticleRow};
use crate::store::comments::{self, CommentRow, NewComment, ThreadRow};
use crate::store::moderation_log::{self, NewLogEntry};
use crate::store::users;
use crate::store::{self, DbConnection};

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
    /// Sanitised, masked HTML; empty for a placeholder.
    pub body_html: String,
    pub status: Status,
    pub score: i64,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub featured: bool,
    /// Why a moderator removed it, with their note: shown only to its author.
    pub removal: Option<(String, Option<String>)>,
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
    /// Published comments on the whole article.
    pub total: i64,
}

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
    pub fn parse(sort: Option<&str>, after: Option<&str>, limit: Option<i64>) -> Result<ThreadQuery, Invalid> {
        let sort = Sort::parse(sort)?;
        let after = after.filter(|a| !a.is_empty()).map(|a| Cursor::parse(a, sort)).transpose()?;
        Ok(ThreadQuery { sort, after, limit: thread::page_size(limit)? })
    }
}

/// Load a page of the thread: two queries, whatever the number of comments.
/// Load a page of the thread as `viewer` sees it (their own held comments included): a fixed
/// number of queries, whatever the number of comments.
pub fn load_page(
    conn: &mut DbConnection,
    article: &ArticleRow,
    query: &ThreadQuery,
    viewer: Option<i64>,
) -> Result<ThreadPage, Error> {
    let mut roots = comments::roots_page(conn, article.id, query.sort, query.after, query.limit, viewer)?;
    let next = if roots.len() as i64 > query.limit {
        roots.truncate(query.limit as usize);
        roots.last().map(|last| Cursor { score: last.score, id: last.id }.encode(query.sort))
    } else {
        None
    };
    let root_ids: Vec<i64> = roots.iter().map(|r| r.id).collect();
    let mut by_root: HashMap<i64, Vec<Comment>> = HashMap::new();
    for reply in comments::replies_under(conn, &root_ids, viewer)? {
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
    // Featured comments head the first page only.
    let featured = if query.after.is_none() {
        comments::featured(conn, article.id)?.into_iter().map(Comment::from).collect()
    } else {
        Vec::new()
    };
    Ok(ThreadPage { comments: thread::nest(flat), featured, next, total: article.comment_count })
}

pub async fn page(
    app: &App,
    article: ArticleRow,
    query: ThreadQuery,
    viewer: Option<i64>,
) -> Result<ThreadPage, Error> {
    app.db(move |conn| load_page(conn, &article, &query, viewer)).await
}

/// Whether a page cursor starts after a top-level comment this article really has, rather than
/// being made up: only such pages are worth keeping in a cache.
pub async fn is_known_cursor(app: &App, article_id: i64, sort: Sort, cursor: Cursor) -> Result<bool, Error> {
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

/// The article a comment is posted to. Admins see drafts (the API shows them one), so to them a
/// draft exists: it is not missing but not yet open for comments.
fn find_article_to_post_on(conn: &mut DbConnection, slug: &str, author: &User) -> Result<ArticleRow, Error> {
    match articles::find_by_slug(conn, slug)? {
        Some(a) if super::articles::is_public(&a) => Ok(a),
        Some(_) if author.is_admin() => Err(Error::Conflict(Invalid::new(
            "slug",
            "This article is a draft: it takes comments once it is published.",
        ))),
        _ => Err(Error::not_found("That article")),
    }
}

fn find_comment(conn: &mut DbConnection, id: i64) -> Result<CommentRow, Error> {
    comments::find(conn, id)?.ok_or_else(|| Error::not_found("That comment"))
}

/// A comment read to be changed: its row stays locked until the transaction ends.
pub(crate) fn lock_comment(conn: &mut DbConnection, id: i64) -> Result<CommentRow, Error> {
    comments::find_for_update(conn, id)?.ok_or_else(|| Error::not_found("That comment"))
}

fn find_thread_comment(conn: &mut DbConnection, id: i64) -> Result<Comment, Error> {
    comments::find_in_thread(conn, id)?.map(Comment::from).ok_or_else(|| Error::not_found("That comment"))
}

/// Post a comment, or a reply when `parent_id` is given.
pub async fn post(
    app: &App,
    author: &User,
    slug: String,
    body: &str,
    parent_id: Option<i64>,
) -> Result<Comment, Error> {
    author.ensure_can_participate()?;
    let body = CommentBody::parse(body)?;
    let site = settings::current(app).await?;
    let screened = Screened::new(app, &site, body);
    let standing = standing(app, &site, author, None).await?;
    let site_links = account_emails::Site::of(app);
    let author = author.clone();
    let posting_limits = (app.limits_on() && author.role == Role::Reader).then(|| PostingLimits::new(app, &author));
    let outcome = app
        .write(move |conn| {
            if let Some(limits) = &posting_limits {
                limits.check(conn)?;
            }
            let now = store::now();
            let article = find_article_to_post_on(conn, &slug, &author)?;
            let parent = match parent_id {
                None => None,
                Some(id) => {
                    let not_here =
                        || Invalid::new("parent_id", "The comment you are replying to is not on this article.");
                    // Locked: that the parent is still up is read here and relied on below.
                    let parent = comments::find_for_update(conn, id)?.ok_or_else(not_here)?;
                    if parent.article_id != article.id {
                        return Err(not_here().into());
                    }
                    Some(parent)
                }
            };
            let verdict = judge(&site, &standing, &article, &screened, now);
            if verdict.decision == Decision::Reject {
                if let Some(limits) = &posting_limits {
                    limits.record_rejection(conn, now)?;
                }
                log_rejection(conn, &verdict, author.id, article.id, now)?;
                return Ok(Err(rejection(&verdict)));
            }
            let status = verdict.status().unwrap_or(Status::Published);
            if parent.as_ref().is_some_and(|p| Status::from_db(&p.status) != Status::Published) {
                return Err(Invalid::new("parent_id", "The comment you are replying to has been taken down.").into());
            }
            let queued = verdict.needs_moderator();
            let reasons = encode_reasons(&verdict);
            let new = NewComment {
                article_id: article.id,
                parent_id,
                depth: thread::child_depth(parent.as_ref().map(|p| p.depth)),
                author_id: author.id,
                body_raw: screened.body.as_str(),
                body_html: &screened.html,
                status: status.as_str(),
                created_at: now,
                reported: verdict.decision == Decision::PublishAndReport,
                system_reasons: &reasons,
                queued_at: queued.then_some(now),
            };
            let id = comments::insert(conn, &new)?;
            let path = thread::child_path(parent.as_ref().map(|p| p.path.as_str()), id);
            comments::set_place(conn, id, parent.as_ref().map_or(id, |p| p.root_id), &path)?;
            if status == Status::Published {
                // The comment it hangs under (its parent, or at the deepest level the parent's
                // own) holds one more shown reply. That one is published or a placeholder
                // already shown, so nothing above it changes.
                if let Some(holder) = thread::thread_parent(&path) {
                    comments::add_live_replies(conn, holder, 1)?;
                }
            }
            articles::touch_discussion(conn, article.id, i64::from(status == Status::Published))?;
            log_verdict(conn, &verdict, (id, author.id, article.id), now)?;
            if let (Status::Published, Some(parent)) = (status, &parent) {
                account_emails::queue_reply_notification(
                    conn,
                    &site_links,
                    id,
                    author.id,
                    parent.author_id,
                    &article.title,
                    now,
                )?;
            }
            Ok(Ok(find_thread_comment(conn, id)?))
        })
        .await?;
    outcome
}

/// A body analysed and rendered, before the transaction: masking and markdown are CPU work
/// that need not hold the write lock.
struct Screened {
    body: CommentBody,
    analysis: TextAnalysis,
    html: String,
}

impl Screened {
    fn new(app: &App, site: &SiteSettings, body: CommentBody) -> Screened {
        // Analyse the words without markdown's emphasis markers, then carry the masking back
        // onto the text as written, so markdown still renders.
        let probe = markdown::without_emphasis_markers(body.as_str());
        let analysis = app.filters.for_lists(&site.words).analyze(&probe, MASK_PLACEHOLDER);
        let html = markdown::render_comment(&markdown::carry_mask(body.as_str(), &probe, &analysis.masked));
        Screened { body, analysis, html }
    }
}

/// What the policy needs to know about an author, read before the write transaction so the
/// write lock is held only for the writes.
struct Standing {
    author: Author,
    recent_bodies: Vec<String>,
}

async fn standing(app: &App, site: &SiteSettings, author: &User, editing: Option<i64>) -> Result<Standing, Error> {
    let (author_id, is_staff) = (author.id, author.is_staff());
    let window = site.policy.repeat_window();
    // Only "fewer than N" matters to the policy, so counting stops there.
    let enough = i64::from(site.policy.new_commenter_comments);
    app.db(move |conn| {
        let now = store::now();
        // Read the account afresh: a moderator may have set always-review a moment ago.
        let account = users::find(conn, author_id)?.ok_or(Error::Unauthenticated)?;
        Ok(Standing {
            author: Author {
                is_staff,
                always_review: account.always_review,
                account_age: now - account.created_at,
                published_comments: comments::count_published_by_author_up_to(conn, author_id, enough)?,
                approved_comments: account.approved_comments,
            },
            recent_bodies: comments::recent_bodies_by_author(conn, author_id, now - window, editing)?,
        })
    })
    .await
}

fn judge(
    site: &SiteSettings,
    standing: &Standing,
    article: &ArticleRow,
    screened: &Screened,
    now: NaiveDateTime,
) -> Verdict {
    let submission = Submission {
        body: screened.body.as_str(),
        analysis: &screened.analysis,
        thread_closed: is_closed(article, site, now),
        author: &standing.author,
        recent_bodies: &standing.recent_bodies,
    };
    moderation::evaluate(&site.policy, &submission)
}

/// Closed by a moderator, or automatically some days after publication (a setting) unless a
/// moderator reopened it.
pub fn is_closed(article: &ArticleRow, site: &SiteSettings, now: NaiveDateTime) -> bool {
    !article.comments_open
        || (site.auto_close_days > 0
            && article.reopened_at.is_none()
            && article.published_at.is_some_and(|at| at + Duration::days(i64::from(site.auto_close_days)) <= now))
}

fn rejection(verdict: &Verdict) -> Error {
    if verdict.reasons.iter().any(|r| r.check == Check::ThreadClosed) {
        return Error::Closed;
    }
    let message = verdict.author_message.clone().unwrap_or_else(|| "This comment cannot be posted.".into());
    Invalid::new("body", message).into()
}

/// Reasons are stored one per line as `code<TAB>detail`, for the queue to show.
fn encode_reasons(verdict: &Verdict) -> String {
    verdict
        .reasons
        .iter()
        .filter(|r| r.decision >= Decision::PublishAndReport)
        .map(|r| format!("{}\t{}", r.check.as_str(), r.detail.replace(['\n', '\t'], " ")))
        .collect::<Vec<_>>()
        .join("\n")
}

fn log_verdict(
    conn: &mut DbConnection,
    verdict: &Verdict,
    comment: (i64, i64, i64),
    now: NaiveDateTime,
) -> Result<(), Error> {
    for reason in &verdict.reasons {
        let entry = match reason.decision {
            Decision::Hold => NewLogEntry::held(reason.check.as_str(), comment, &reason.detail, now),
            Decision::PublishAndReport => NewLogEntry::reported(reason.check.as_str(), comment, &reason.detail, now),
            Decision::Publish | Decision::Reject => continue,
        };
        moderation_log::write(conn, &entry)?;
    }
    Ok(())
}

fn log_rejection(
    conn: &mut DbConnection,
    verdict: &Verdict,
    author_id: i64,
    article_id: i64,
    now: NaiveDateTime,
) -> Result<(), Error> {
    if let Some(reason) = verdict.reasons.iter().find(|r| r.decision == Decision::Reject) {
        moderation_log::write(
            conn,
            &NewLogEntry::rejected(reason.check.as_str(), author_id, article_id, &reason.detail, now),
        )?;
    }
    Ok(())
}

/// How often a reader may post: one comment per interval (longer for accounts less than a day
/// old), and on an account's first day at most so many comments.
struct PostingLimits {
    author_id: i64,
    author_since: NaiveDateTime,
    interval: Duration,
    new_account_interval: Duration,
    first_day_comments: i64,
}

impl PostingLimits {
    fn new(app: &App, author: &User) -> PostingLimits {
        let limits = &app.settings.limits;
        PostingLimits {
            author_id: author.id,
            author_since: author.created_at,
            interval: Duration::seconds(limits.post_interval_seconds),
            new_account_interval: Duration::seconds(limits.new_account_post_interval_seconds),
            first_day_comments: limits.first_day_comments,
        }
    }

    fn interval(&self, now: NaiveDateTime) -> (Duration, bool) {
        let new_account = now < self.author_since + Duration::days(1);
        (if new_account { self.new_account_interval } else { self.interval }, new_account)
    }

    /// A rejected comment or edit also waits out the interval before the next try, so that a
    /// loop of them cannot flood the moderation log (each rejection writes an entry there).
    fn check_rejections(&self, conn: &mut DbConnection) -> Result<(), Error> {
        let now = store::now();
        let (interval, _) = self.interval(now);
        let subject = self.author_id.to_string();
        rate_limits::check_interval(conn, rate_limits::Action::RejectedPost, &subject, interval, now, |wait| {
            format!(
                "Your last comment could not be posted. Wait {} before trying again.",
                rate_limits::human_wait(wait)
            )
        })
    }

    fn record_rejection(&self, conn: &mut DbConnection, now: NaiveDateTime) -> Result<(), Error> {
        rate_limits::record(conn, rate_limits::Action::RejectedPost, &self.author_id.to_string(), now)?;
        Ok(())
    }

    fn check(&self, conn: &mut DbConnection) -> Result<(), Error> {
        self.check_rejections(conn)?;
        let now = store::now();
        let first_day_ends = self.author_since + Duration::days(1);
        let (interval, new_account) = self.interval(now);
        if let Some(last) = comments::latest_by_author(conn, self.author_id)? {
            if last + interval > now {
                let wait = rate_limits::seconds_until(now, last + interval);
                return Err(rate_limits::limited(
                    wait,
                    format!(
                        "You are posting too quickly: one comment every {}{}. Try again in {}.",
                        rate_limits::human_wait(interval.num_seconds().max(1) as u64),
                        if new_account { " while your account is new" } else { "" },
                        rate_limits::human_wait(wait)
                    ),
                ));
            }
        }
        if new_account
            && comments::count_by_author_since(conn, self.author_id, self.author_since)? >= self.first_day_comments
        {
            let wait = rate_limits::seconds_until(now, first_day_ends);
            return Err(rate_limits::limited(
                wait,
                format!(
                    "New accounts can post {} comments on their first day. You can post again in {}.",
                    self.first_day_comments,
                    rate_limits::human_wait(wait)
                ),
            ));
        }
        Ok(())
    }
}

fn own_comment(comment: &CommentRow, user: &User, verb: &str) -> Result<(), Error> {
    if comment.author_id != user.id {
        return Err(Error::forbidden(format!("You can only {verb} your own comments.")));
    }
    Ok(())
}

/// Edit one's own comment within the edit window.
pub async fn edit(app: &App, author: &User, id: i64, body: &str) -> Result<Comment, Error> {
    author.ensure_can_participate()?;
    let body = CommentBody::parse(body)?;
    let site = settings::current(app).await?;
    let screened = Screened::new(app, &site, body);
    let standing = standing(app, &site, author, Some(id)).await?;
    let author = author.clone();
    let window = app.settings.edit_window_minutes;
    let posting_limits = (app.limits_on() && author.role == Role::Reader).then(|| PostingLimits::new(app, &author));
    let outcome = app
        .write(move |conn| {
            let comment = lock_comment(conn, id)?;
            own_comment(&comment, &author, "edit")?;
            if let Some(limits) = &posting_limits {
                limits.check_rejections(conn)?;
            }
            let status = Status::from_db(&comment.status);
            if !matches!(status, Status::Published | Status::Pending) {
                return Err(Error::not_found("That comment"));
            }
            let now = store::now();
            if now > comment.created_at + Duration::minutes(window) {
                return Err(Error::forbidden(format!(
                    "Comments can be edited for {window} minutes after posting, and that time has passed."
                )));
            }
            let article = articles::find(conn, comment.article_id)?.ok_or_else(|| Error::not_found("That article"))?;
            let verdict = judge(&site, &standing, &article, &screened, now);
            if verdict.decision == Decision::Reject {
                if let Some(limits) = &posting_limits {
                    limits.record_rejection(conn, now)?;
                }
                log_rejection(conn, &verdict, author.id, article.id, now)?;
                return Ok(Err(rejection(&verdict)));
            }
            comments::update_body(conn, id, screened.body.as_str(), &screened.html, now)?;
            if verdict.needs_moderator() {
                comments::queue(
                    conn,
                    id,
                    verdict.decision == Decision::PublishAndReport,
                    &encode_reasons(&verdict),
                    now,
                )?;
                log_verdict(conn, &verdict, (id, author.id, article.id), now)?;
            }
            if verdict.decision == Decision::Hold && status == Status::Published {
                // The edit is held: the comment leaves public view until a moderator decides.
                change_status(conn, &comment, Status::Pending)?;
            } else {
                articles::touch_discussion(conn, comment.article_id, 0)?;
            }
            Ok(Ok(find_thread_comment(conn, id)?))
        })
        .await?;
    outcome
}

/// When the edit window of a comment closes, for the edit form.
pub fn edit_deadline(app: &App, created_at: NaiveDateTime) -> NaiveDateTime {
    created_at + Duration::minutes(app.settings.edit_window_minutes)
}

/// A comment as its author edits it: the original text.
pub async fn for_editing(app: &App, author: &User, id: i64) -> Result<(CommentRow, String), Error> {
    let author = author.clone();
    app.db(move |conn| {
        let comment = find_comment(conn, id)?;
        own_comment(&comment, &author, "edit")?;
        let article = articles::find(conn, comment.article_id)?.ok_or_else(|| Error::not_found("That article"))?;
        Ok((comment, article.slug))
    })
    .await
}

/// Delete one's own comment. With shown replies it stays as a placeholder; without, it goes,
/// and so do placeholders above it that no longer hold anything up. A comment a moderator
/// removed stays removed: deleting it would take it out of the Removed tab, the public count
/// of removals and its author's record.
pub async fn delete(app: &App, author: &User, id: i64) -> Result<(), Error> {
    let author = author.clone();
    app.write(move |conn| {
        let before = lock_comment(conn, id)?;
        own_comment(&before, &author, "delete")?;
        if Status::from_db(&before.status) == Status::Removed {
            return Err(Error::Conflict(Invalid::new(
                "comment",
                "A moderator removed this comment, so it cannot be deleted; it is already hidden from readers.",
            )));
        }
        change_status(conn, &before, Status::Deleted)
    })
    .await
}

/// Move a comment to a new status and keep every count right: the article's published count,
/// and each ancestor's count of shown replies (so a placeholder appears or disappears with the
/// last reply it holds up). Bumps the article's comment version. `NotFound` when the comment
/// already had that status. `before` must come from `lock_comment` in this transaction, so
/// the status it had is the status it has.
pub(crate) fn change_status(conn: &mut DbConnection, before: &CommentRow, status: Status) -> Result<(), Error> {
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
    Ok(())
}

/// A comment started or stopped being shown: each ancestor holds one shown reply more or
/// fewer, and a placeholder whose shown-ness changes with it passes the change further up.
fn adjust_ancestors(conn: &mut DbConnection, path: &str, delta: i64) -> Result<(), Error> {
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

/// Upvote (`up = true`) or take the vote back. Idempotent. Returns the new score.
pub async fn vote(app: &App, voter: &User, id: i64, up: bool) -> Result<i64, Error> {
    voter.ensure_can_participate()?;
    let voter_id = voter.id;
    // Each vote that changes a score invalidates the article's cached thread: bound them.
    let limit = app
        .limits_on()
        .then(|| rate_limits::Limit { max: app.settings.limits.votes_per_minute, window: Duration::minutes(1) });
    app.write(move |conn| {
        if let Some(limit) = limit {
            let message = format!("You are voting very quickly: at most {} votes a minute.", limit.max);
            rate_limits::take(conn, rate_limits::Action::Vote, &voter_id.to_string(), limit, store::now(), &message)?;
        }
        let comment = find_comment(conn, id)?;
        if Status::from_db(&comment.status) != Status::Published {
            return Err(Error::not_found("That comment"));
        }
        if comment.author_id == voter_id {
            return Err(Error::forbidden("You cannot vote on your own comment."));
        }
        let delta = if up {
            comments::insert_vote(conn, id, voter_id, 1, store::now())? as i64
        } else {
            -(comments::delete_vote(conn, id, voter_id)? as i64)
        };
        if delta != 0 {
            comments::add_score(conn, id, delta)?;
            articles::touch_discussion(conn, comment.article_id, 0)?;
        }
        Ok(find_comment(conn, id)?.score)
    })
    .await
}

/// Where a permalink lands: the article, and the page of its thread (in the default order)
/// that holds the comment.
pub struct Place {
    pub slug: String,
    pub page_after: Option<String>,
}

pub async fn locate(app: &App, id: i64) -> Result<Place, Error> {
    app.db(move |conn| {
        let comment = find_comment(conn, id)?;
        let article = articles::find(conn, comment.article_id)?.ok_or_else(|| Error::not_found("That comment"))?;
        if !super::articles::is_public(&article)
            || !thread::is_shown(Status::from_db(&comment.status), comment.live_replies)
        {
            return Err(Error::not_found("That comment"));
        }
        let earlier_roots = comments::count_shown_roots_before(conn, article.id, comment.root_id)?;
        // Past the first page, start the page at this comment's top-level comment.
        let page_after = (earlier_roots >= thread::DEFAULT_PAGE_SIZE)
            .then(|| Cursor { score: 0, id: comment.root_id - 1 }.encode(Sort::Oldest));
        Ok(Place { slug: article.slug, page_after })
    })
    .await
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

pub async fn by_author(app: &App, author_id: i64) -> Result<(Vec<comments::ProfileComment>, i64), Error> {
    app.db(move |conn| {
        Ok((
            comments::published_by_author(conn, author_id, store::now(), 100)?,
            comments::count_published_by_author(conn, author_id)?,
        ))
    })
    .await
}

pub use crate::store::comments::ProfileComment;
