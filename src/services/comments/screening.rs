//! Screening what a reader writes before it is stored: masking and rendering the body,
//! reading the author's standing, judging both against the site's policy, logging the
//! verdict, and the posting rate limits.

use chrono::{Duration, NaiveDateTime};

use crate::clock::Clock;
use crate::domain::account::User;
use crate::domain::comment_body::CommentBody;
use crate::domain::markdown::{self, MASK_PLACEHOLDER};
use crate::domain::moderation::{self, Author, Check, Decision, Submission, Verdict};
use crate::domain::profanity::TextAnalysis;
use crate::domain::site::SiteSettings;
use crate::domain::Invalid;
use crate::error::Error;
use crate::services::threads::is_closed;
use crate::services::{rate_limits, App};
use crate::store::articles::ArticleRow;
use crate::store::comments;
use crate::store::moderation_log::{self, NewLogEntry};
use crate::store::users;
use crate::store::DbConnection;

/// A body analysed and rendered, before the transaction: masking and markdown are CPU work
/// that need not hold the write lock.
pub(super) struct Screened {
    pub(super) body: CommentBody,
    pub(super) analysis: TextAnalysis,
    /// The markdown as written with the masked words masked (`MASK_PLACEHOLDER` for each
    /// masked char), which `html` is rendered from.
    pub(super) masked_markdown: String,
    pub(super) html: String,
}

impl Screened {
    pub(super) fn new(app: &App, site: &SiteSettings, body: CommentBody) -> Screened {
        // Analyse the words without markdown's emphasis markers, then carry the masking back
        // onto the text as written, so markdown still renders.
        let probe = markdown::without_emphasis_markers(body.as_str());
        let analysis = app.filters.for_lists(&site.words).analyze(&probe, MASK_PLACEHOLDER);
        let masked_markdown = markdown::carry_mask(body.as_str(), &probe, &analysis.masked);
        let html = markdown::render_comment(&masked_markdown);
        Screened { body, analysis, masked_markdown, html }
    }
}

/// What the policy needs to know about an author, read before the write transaction so the
/// write lock is held only for the writes.
pub(super) struct Standing {
    pub(super) author: Author,
    pub(super) recent_bodies: Vec<String>,
}

pub(super) async fn standing(
    app: &App,
    site: &SiteSettings,
    author: &User,
    editing: Option<i64>,
) -> Result<Standing, Error> {
    let (author_id, is_staff) = (author.id, author.is_staff());
    let window = site.policy.repeat_window();
    // Only "fewer than N" matters to the policy, so counting stops there.
    let enough = i64::from(site.policy.new_commenter_comments);
    let clock = app.clock.clone();
    app.db(move |conn| {
        let now = clock.now();
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

pub(super) fn judge(
    site: &SiteSettings,
    standing: &Standing,
    article: &ArticleRow,
    screened: &Screened,
    now: NaiveDateTime,
) -> Verdict {
    judge_in(site, standing, screened, is_closed(article, site, now))
}

/// The policy's verdict in a thread that is open or closed (a preview knows no thread: open).
pub(super) fn judge_in(site: &SiteSettings, standing: &Standing, screened: &Screened, thread_closed: bool) -> Verdict {
    let submission = Submission {
        body: screened.body.as_str(),
        analysis: &screened.analysis,
        thread_closed,
        author: &standing.author,
        recent_bodies: &standing.recent_bodies,
    };
    moderation::evaluate(&site.policy, &submission)
}

fn rejection(verdict: &Verdict) -> Error {
    if verdict.reasons.iter().any(|r| r.check == Check::ThreadClosed) {
        return Error::Closed;
    }
    let message = verdict.author_message.clone().unwrap_or_else(|| "This comment cannot be posted.".into());
    Invalid::new("body", message).into()
}

pub(super) fn log_verdict(
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

/// A post or edit the policy rejected: it makes the author wait out the interval before trying
/// again (`limits`, for readers), it is logged, and the error tells the author why.
pub(super) fn reject(
    conn: &mut DbConnection,
    limits: Option<&PostingLimits>,
    verdict: &Verdict,
    author_id: i64,
    article_id: i64,
    now: NaiveDateTime,
) -> Result<Error, Error> {
    if let Some(limits) = limits {
        limits.record_rejection(conn, now)?;
    }
    log_rejection(conn, verdict, author_id, article_id, now)?;
    Ok(rejection(verdict))
}

/// How often a reader may post: one comment per interval (longer for accounts less than a day
/// old), and on an account's first day at most so many comments.
pub(super) struct PostingLimits {
    author_id: i64,
    author_since: NaiveDateTime,
    clock: Clock,
    interval: Duration,
    new_account_interval: Duration,
    first_day_comments: i64,
}

impl PostingLimits {
    pub(super) fn new(app: &App, author: &User) -> PostingLimits {
        let limits = &app.settings.limits;
        PostingLimits {
            author_id: author.id,
            author_since: author.created_at,
            clock: app.clock.clone(),
            interval: Duration::seconds(limits.post_interval_seconds),
            new_account_interval: Duration::seconds(limits.new_account_post_interval_seconds),
            first_day_comments: limits.first_day_comments,
        }
    }

    pub(super) fn interval(&self, now: NaiveDateTime) -> (Duration, bool) {
        let new_account = now < self.author_since + Duration::days(1);
        (if new_account { self.new_account_interval } else { self.interval }, new_account)
    }

    /// A rejected comment or edit also waits out the interval before the next try, so that a
    /// loop of them cannot flood the moderation log (each rejection writes an entry there).
    pub(super) fn check_rejections(&self, conn: &mut DbConnection) -> Result<(), Error> {
        let now = self.clock.now();
        let (interval, _) = self.interval(now);
        let subject = self.author_id.to_string();
        rate_limits::check_interval(conn, rate_limits::Action::RejectedPost, &subject, interval, now, |wait| {
            format!(
                "Your last comment could not be posted. Wait {} before trying again.",
                rate_limits::human_wait(wait)
            )
        })
    }

    pub(super) fn record_rejection(&self, conn: &mut DbConnection, now: NaiveDateTime) -> Result<(), Error> {
        rate_limits::record(conn, rate_limits::Action::RejectedPost, &self.author_id.to_string(), now)?;
        Ok(())
    }

    pub(super) fn check(&self, conn: &mut DbConnection) -> Result<(), Error> {
        self.check_rejections(conn)?;
        let now = self.clock.now();
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
