//! Writing comments: posting, replying, editing, deleting and voting, each screened against
//! the site's policy before it is stored (`screening`).

mod screening;

use chrono::{Duration, NaiveDateTime};

use super::account_emails;
use super::live;
use super::settings;
use super::threads::{change_status, find_comment, find_thread_comment, lock_comment, Comment};
use super::webhooks::{self, Detail};
use super::{rate_limits, App};
use crate::domain::account::User;
use crate::domain::comment_body::CommentBody;
use crate::domain::markdown::MASK_PLACEHOLDER;
use crate::domain::moderation::{Decision, HeldNotice};
use crate::domain::role::Role;
use crate::domain::thread::{self, Status};
use crate::domain::webhook::Event;
use crate::domain::Invalid;
use crate::error::Error;
use crate::store::articles::{self, ArticleRow};
use crate::store::comments::{self, CommentRow, NewComment};
use crate::store::DbConnection;
use screening::{judge, judge_in, log_verdict, reject, standing, PostingLimits, Screened};

/// The article a comment is posted to. Admins see drafts (the API shows them one), so to them a
/// draft exists: it is not missing but not yet open for comments.
fn find_article_to_post_on(
    conn: &mut DbConnection,
    slug: &str,
    author: &User,
    now: NaiveDateTime,
) -> Result<ArticleRow, Error> {
    match articles::find_by_slug(conn, slug)? {
        Some(a) if super::articles::is_public(&a, now) => Ok(a),
        Some(_) if author.is_admin() => Err(Error::Conflict(Invalid::new(
            "slug",
            "This article is a draft: it takes comments once it is published.",
        ))),
        _ => Err(Error::not_found("That article")),
    }
}

/// Post a comment, or a reply when `parent_id` is given.
pub async fn post(
    app: &App,
    author: &User,
    slug: String,
    body: &str,
    parent_id: Option<i64>,
) -> Result<Comment, Error> {
    author.ensure_can_participate(app.clock.now())?;
    let body = CommentBody::parse(body)?;
    let site = settings::current(app).await?;
    let screened = Screened::new(app, &site, body);
    let standing = standing(app, &site, author, None).await?;
    let site_links = account_emails::Site::of(app);
    let author = author.clone();
    let posting_limits = (app.limits_on() && author.role == Role::Reader).then(|| PostingLimits::new(app, &author));
    let clock = app.clock.clone();
    let outcome = app
        .write(move |conn| {
            if let Some(limits) = &posting_limits {
                limits.check(conn)?;
            }
            let now = clock.now();
            let article = find_article_to_post_on(conn, &slug, &author, now)?;
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
                return Ok(Err(reject(conn, posting_limits.as_ref(), &verdict, author.id, article.id, now)?));
            }
            let status = verdict.status().unwrap_or(Status::Published);
            if parent.as_ref().is_some_and(|p| Status::from_db(&p.status) != Status::Published) {
                return Err(Invalid::new("parent_id", "The comment you are replying to has been taken down.").into());
            }
            let queued = verdict.needs_moderator();
            let reasons = verdict.encode_reasons();
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
            let event = if status == Status::Published { Event::CommentPublished } else { Event::CommentHeld };
            webhooks::announce(conn, event, id, Detail::None, now)?;
            live::record_new(article.id, id, parent_id, status, now)?;
            if queued && status == Status::Published {
                // Published and reported: moderators hear of it too.
                live::record_queue(article.id, id, now)?;
            }
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
            Ok(Ok(find_thread_comment(conn, id, author.id)?))
        })
        .await?;
    outcome
}

/// Previews a reader may ask for in a minute. The comment forms ask once a pause in typing,
/// so a reader writing steadily asks far fewer.
pub const PREVIEW_LIMIT: rate_limits::Limit = rate_limits::Limit { max: 60, window: Duration::minutes(1) };

/// A body as a post would treat it, before posting: masked and rendered by the same functions,
/// and judged by the same policy (in an open thread, as the author stands now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// What posting it would do.
    pub outcome: PreviewOutcome,
    /// The HTML readers would see; empty when the body is refused before it is read (empty or
    /// too long).
    pub html: String,
    /// The markdown with each masked word masked as readers will see it ("f******").
    pub masked_text: String,
    /// The words that will be masked, as written, each once.
    pub masked: Vec<String>,
    /// Each of `masked` as readers will see it ("f******").
    pub masked_as: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewOutcome {
    /// Published at once (reports to moderators are not the author's business).
    Publish,
    /// Held for a moderator, and why.
    Hold(HeldNotice),
    /// Refused, with what a post would be told.
    Refuse(String),
}

/// What posting `body` would do. Writes nothing; counted per reader in this process.
pub async fn preview(app: &App, author: &User, body: &str) -> Result<Preview, Error> {
    let now = app.clock.now();
    author.ensure_can_participate(now)?;
    if app.limits_on() {
        app.previews.take(author.id, now, "You are asking for previews very quickly.")?;
    }
    let body = match CommentBody::parse(body) {
        Ok(body) => body,
        Err(invalid) => {
            return Ok(Preview {
                outcome: PreviewOutcome::Refuse(invalid.message),
                html: String::new(),
                masked_text: String::new(),
                masked: Vec::new(),
                masked_as: Vec::new(),
            })
        }
    };
    let site = settings::current(app).await?;
    let screened = Screened::new(app, &site, body);
    let standing = standing(app, &site, author, None).await?;
    let verdict = judge_in(&site, &standing, &screened, false);
    let outcome = match verdict.decision {
        Decision::Reject => PreviewOutcome::Refuse(verdict.author_message.clone().unwrap_or_default()),
        Decision::Hold => PreviewOutcome::Hold(HeldNotice::of(&verdict).unwrap_or(HeldNotice { reasons: Vec::new() })),
        Decision::Publish | Decision::PublishAndReport => PreviewOutcome::Publish,
    };
    let text = screened.body.as_str();
    let masked_text = screened.masked_markdown.replace(MASK_PLACEHOLDER, "*");
    let (mut masked, mut masked_as) = (Vec::new(), Vec::new());
    for span in &screened.analysis.masked_spans {
        let word = text[span.clone()].to_owned();
        if !masked.contains(&word) {
            // The masked text is char for char the text as written.
            let skip = text[..span.start].chars().count();
            masked_as.push(masked_text.chars().skip(skip).take(word.chars().count()).collect());
            masked.push(word);
        }
    }
    Ok(Preview { outcome, html: screened.html, masked_text, masked, masked_as })
}

/// The HTML `body` would show as, masked and rendered as a post would be, for a client that
/// has no account to judge (Isso's preview). Counted under `key` like `preview`.
pub async fn rendered(app: &App, key: i64, body: &str) -> Result<String, Error> {
    if app.limits_on() {
        app.previews.take(key, app.clock.now(), "You are asking for previews very quickly.")?;
    }
    let body = CommentBody::parse(body)?;
    let site = settings::current(app).await?;
    Ok(Screened::new(app, &site, body).html)
}

/// `raw` with each masked word masked as readers see it ("f******"), still markdown.
pub fn masked_text(app: &App, site: &crate::domain::site::SiteSettings, raw: &str) -> String {
    let probe = crate::domain::markdown::without_emphasis_markers(raw);
    let analysis = app.filters.for_lists(&site.words).analyze(&probe, MASK_PLACEHOLDER);
    crate::domain::markdown::carry_mask(raw, &probe, &analysis.masked).replace(MASK_PLACEHOLDER, "*")
}

fn own_comment(comment: &CommentRow, user: &User, verb: &str) -> Result<(), Error> {
    if comment.author_id != user.id {
        return Err(Error::forbidden(format!("You can only {verb} your own comments.")));
    }
    Ok(())
}

/// Edit one's own comment within the edit window.
pub async fn edit(app: &App, author: &User, id: i64, body: &str) -> Result<Comment, Error> {
    author.ensure_can_participate(app.clock.now())?;
    let body = CommentBody::parse(body)?;
    let site = settings::current(app).await?;
    let screened = Screened::new(app, &site, body);
    let standing = standing(app, &site, author, Some(id)).await?;
    let author = author.clone();
    let window = app.settings.edit_window_minutes;
    let posting_limits = (app.limits_on() && author.role == Role::Reader).then(|| PostingLimits::new(app, &author));
    let clock = app.clock.clone();
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
            let now = clock.now();
            if now > comment.created_at + Duration::minutes(window) {
                return Err(Error::forbidden(format!(
                    "Comments can be edited for {window} minutes after posting, and that time has passed."
                )));
            }
            let article = articles::find(conn, comment.article_id)?.ok_or_else(|| Error::not_found("That article"))?;
            let verdict = judge(&site, &standing, &article, &screened, now);
            if verdict.decision == Decision::Reject {
                return Ok(Err(reject(conn, posting_limits.as_ref(), &verdict, author.id, article.id, now)?));
            }
            comments::update_body(conn, id, screened.body.as_str(), &screened.html, now)?;
            if verdict.needs_moderator() {
                comments::queue(
                    conn,
                    id,
                    verdict.decision == Decision::PublishAndReport,
                    &verdict.encode_reasons(),
                    now,
                )?;
                log_verdict(conn, &verdict, (id, author.id, article.id), now)?;
                live::record_queue(article.id, id, now)?;
            }
            if verdict.decision == Decision::Hold && status == Status::Published {
                // The edit is held: the comment leaves public view until a moderator decides.
                change_status(conn, &comment, Status::Pending, now)?;
            } else {
                articles::touch_discussion(conn, comment.article_id, 0)?;
                if status == Status::Published {
                    // What the public sees changed: integrations showing it hear the new text.
                    webhooks::announce(conn, Event::CommentPublished, id, Detail::Edited, now)?;
                }
                live::record_edit(article.id, id, comment.parent_id, status, now)?;
            }
            Ok(Ok(find_thread_comment(conn, id, author.id)?))
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
    let clock = app.clock.clone();
    app.write(move |conn| {
        let before = lock_comment(conn, id)?;
        own_comment(&before, &author, "delete")?;
        if Status::from_db(&before.status) == Status::Removed {
            return Err(Error::Conflict(Invalid::new(
                "comment",
                "A moderator removed this comment, so it cannot be deleted; it is already hidden from readers.",
            )));
        }
        change_status(conn, &before, Status::Deleted, clock.now())
    })
    .await
}

/// Upvote (`up = true`) or take the vote back. Idempotent. Returns the new score.
pub async fn vote(app: &App, voter: &User, id: i64, up: bool) -> Result<i64, Error> {
    voter.ensure_can_participate(app.clock.now())?;
    let voter_id = voter.id;
    // Each vote that changes a score invalidates the article's cached thread: bound them.
    let limit = app
        .limits_on()
        .then(|| rate_limits::Limit { max: app.settings.limits.votes_per_minute, window: Duration::minutes(1) });
    let clock = app.clock.clone();
    app.write(move |conn| {
        if let Some(limit) = limit {
            let message = format!("You are voting very quickly: at most {} votes a minute.", limit.max);
            rate_limits::take(conn, rate_limits::Action::Vote, &voter_id.to_string(), limit, clock.now(), &message)?;
        }
        let comment = find_comment(conn, id)?;
        if Status::from_db(&comment.status) != Status::Published {
            return Err(Error::not_found("That comment"));
        }
        if comment.author_id == voter_id {
            return Err(Error::forbidden("You cannot vote on your own comment."));
        }
        let delta = if up {
            comments::insert_vote(conn, id, voter_id, 1, clock.now())? as i64
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

pub async fn by_author(app: &App, author_id: i64) -> Result<(Vec<comments::ProfileComment>, i64), Error> {
    let clock = app.clock.clone();
    app.db(move |conn| {
        Ok((
            comments::published_by_author(conn, author_id, clock.now(), 100)?,
            comments::count_published_by_author(conn, author_id)?,
        ))
    })
    .await
}

pub use crate::store::comments::ProfileComment;
