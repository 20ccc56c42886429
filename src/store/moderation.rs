//! Flags, the moderators' queue, and sanctions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::comments::CommentRow;
use super::schema::{articles, comment_flags, comments, users};
use super::DbConnection;

/// Record a reader's flag unless they already flagged this comment; returns 1 when recorded.
pub fn insert_flag(
    conn: &mut DbConnection,
    comment_id: i64,
    user_id: i64,
    reason: &str,
    note: Option<&str>,
    weight: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    diesel::sql_query(
        "INSERT INTO comment_flags (comment_id, user_id, reason, note, weight, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6) ON CONFLICT DO NOTHING",
    )
    .bind::<BigInt, _>(comment_id)
    .bind::<BigInt, _>(user_id)
    .bind::<Text, _>(reason)
    .bind::<Nullable<Text>, _>(note)
    .bind::<BigInt, _>(weight)
    .bind::<Timestamp, _>(now)
    .execute(conn)
}

pub fn flags_by_user_since(
    conn: &mut DbConnection,
    user_id: i64,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let recent =
        comment_flags::table.filter(comment_flags::user_id.eq(user_id)).filter(comment_flags::created_at.gt(since));
    let count = recent.count().get_result(conn)?;
    let earliest = recent.select(diesel::dsl::min(comment_flags::created_at)).first(conn)?;
    Ok((count, earliest))
}

/// Add a flag's weight to a comment and put it in the Reported tab.
pub fn add_flag_weight(conn: &mut DbConnection, id: i64, weight: i64, queued_at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(comments::table.find(id))
        .set((
            comments::flag_weight.eq(comments::flag_weight + weight),
            comments::reported.eq(true),
            comments::queued_at.eq(Some(queued_at)),
        ))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable)]
pub struct FlagView {
    pub comment_id: i64,
    pub reason: String,
    pub note: Option<String>,
    pub weight: i64,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub flagger: String,
}

/// Flags on these comments, oldest first, with who flagged.
pub fn flags_on(conn: &mut DbConnection, comment_ids: &[i64]) -> QueryResult<Vec<FlagView>> {
    if comment_ids.is_empty() {
        return Ok(Vec::new());
    }
    comment_flags::table
        .inner_join(users::table)
        .filter(comment_flags::comment_id.eq_any(comment_ids))
        .order(comment_flags::id.asc())
        .select((
            comment_flags::comment_id,
            comment_flags::reason,
            comment_flags::note,
            comment_flags::weight,
            comment_flags::status,
            comment_flags::created_at,
            users::username,
        ))
        .load(conn)
}

/// Close a comment's open flags as upheld or dismissed, and count the decision on each flagger's
/// record (their later flags weigh by it).
pub fn resolve_flags(conn: &mut DbConnection, comment_id: i64, upheld: bool, now: NaiveDateTime) -> QueryResult<usize> {
    let flaggers: Vec<i64> = comment_flags::table
        .filter(comment_flags::comment_id.eq(comment_id))
        .filter(comment_flags::status.eq("open"))
        .select(comment_flags::user_id)
        .load(conn)?;
    if flaggers.is_empty() {
        return Ok(0);
    }
    diesel::update(
        comment_flags::table.filter(comment_flags::comment_id.eq(comment_id)).filter(comment_flags::status.eq("open")),
    )
    .set((
        comment_flags::status.eq(if upheld { "upheld" } else { "dismissed" }),
        comment_flags::resolved_at.eq(Some(now)),
    ))
    .execute(conn)?;
    let flaggers = users::table.filter(users::id.eq_any(&flaggers));
    if upheld {
        diesel::update(flaggers).set(users::flags_upheld.eq(users::flags_upheld + 1)).execute(conn)
    } else {
        diesel::update(flaggers).set(users::flags_dismissed.eq(users::flags_dismissed + 1)).execute(conn)
    }
}

/// Record a moderator's decision on a comment: it leaves the queue.
pub fn decide(
    conn: &mut DbConnection,
    id: i64,
    moderator: i64,
    removal: Option<(&str, Option<&str>)>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(comments::table.find(id))
        .set((
            comments::reported.eq(false),
            comments::flag_weight.eq(0),
            comments::moderated_at.eq(Some(now)),
            comments::moderated_by.eq(Some(moderator)),
            comments::removal_reason.eq(removal.map(|(reason, _)| reason)),
            comments::removal_note.eq(removal.and_then(|(_, note)| note)),
        ))
        .execute(conn)
}

/// Take a comment out of the Reported tab but leave it held for a decision.
pub fn queue_without_report(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::update(comments::table.find(id))
        .set((comments::reported.eq(false), comments::flag_weight.eq(0)))
        .execute(conn)
}

/// Clear the rules' reasons once a moderator has approved the comment.
pub fn clear_reasons(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::update(comments::table.find(id)).set(comments::system_reasons.eq("")).execute(conn)
}

pub fn set_featured(conn: &mut DbConnection, id: i64, at: Option<NaiveDateTime>) -> QueryResult<usize> {
    diesel::update(comments::table.find(id)).set(comments::featured_at.eq(at)).execute(conn)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Pending,
    Reported,
    Removed,
    Approved,
}

/// One item of the queue: the comment with its article and author.
#[derive(Debug, Clone, Queryable)]
pub struct QueueRow {
    pub comment: CommentRow,
    pub article_slug: String,
    pub article_title: String,
    pub author_username: String,
    pub author_display_name: Option<String>,
    pub author_role: String,
    pub author_created_at: NaiveDateTime,
    pub author_always_review: bool,
    pub author_suspended_until: Option<NaiveDateTime>,
    pub author_banned_at: Option<NaiveDateTime>,
}

/// Where a queue page starts: after this (time, id) in the tab's order.
pub type QueueCursor = (NaiveDateTime, i64);

/// The tabs, written as literal SQL matching the partial indexes in the migration: SQLite uses
/// a partial index only when the query's condition is spelled out, not bound as a parameter.
fn tab_condition(tab: Tab) -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql::<diesel::sql_types::Bool>(match tab {
        Tab::Pending => "comments.status = 'pending' AND NOT comments.reported",
        Tab::Reported => "comments.reported AND comments.status IN ('published', 'pending')",
        Tab::Removed => "comments.status = 'removed'",
        Tab::Approved => {
            "comments.status = 'published' AND NOT comments.reported AND comments.moderated_at IS NOT NULL"
        }
    })
}

/// A page of a tab: Pending and Reported oldest first (by when they entered the queue); Removed
/// and Approved newest decision first. Returns one more than `limit` when there is more.
pub fn queue_page(
    conn: &mut DbConnection,
    tab: Tab,
    after: Option<QueueCursor>,
    limit: i64,
) -> QueryResult<Vec<QueueRow>> {
    let query = comments::table
        .inner_join(articles::table)
        .inner_join(users::table)
        .select((
            CommentRow::as_select(),
            articles::slug,
            articles::title,
            users::username,
            users::display_name,
            users::role,
            users::created_at,
            users::always_review,
            users::suspended_until,
            users::banned_at,
        ))
        .into_boxed();
    let query = query.filter(tab_condition(tab));
    let query = match (tab, after) {
        (Tab::Pending | Tab::Reported, Some((at, id))) => {
            query.filter(comments::queued_at.gt(at).or(comments::queued_at.eq(at).and(comments::id.gt(id))))
        }
        (Tab::Removed | Tab::Approved, Some((at, id))) => {
            query.filter(comments::moderated_at.lt(at).or(comments::moderated_at.eq(at).and(comments::id.lt(id))))
        }
        (_, None) => query,
    };
    let query = match tab {
        Tab::Pending | Tab::Reported => query.order((comments::queued_at.asc(), comments::id.asc())),
        Tab::Removed | Tab::Approved => query.order((comments::moderated_at.desc(), comments::id.desc())),
    };
    query.limit(limit + 1).load(conn)
}

pub fn tab_count(conn: &mut DbConnection, tab: Tab) -> QueryResult<i64> {
    comments::table.filter(tab_condition(tab)).count().get_result(conn)
}

/// For each author: published comments and comments removed by moderators.
pub fn author_records(conn: &mut DbConnection, author_ids: &[i64]) -> QueryResult<Vec<(i64, String, i64)>> {
    if author_ids.is_empty() {
        return Ok(Vec::new());
    }
    comments::table
        .filter(comments::author_id.eq_any(author_ids))
        .filter(comments::status.eq_any(["published", "removed"]))
        .group_by((comments::author_id, comments::status))
        .select((comments::author_id, comments::status, diesel::dsl::count_star()))
        .load(conn)
}

/// Parent comments, for context: (id, author username, masked HTML, status).
pub fn parents(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<(i64, String, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    comments::table
        .inner_join(users::table)
        .filter(comments::id.eq_any(ids))
        .select((comments::id, users::username, comments::body_html, comments::status))
        .load(conn)
}

pub fn set_suspension(
    conn: &mut DbConnection,
    user_id: i64,
    until: Option<NaiveDateTime>,
    reason: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((users::suspended_until.eq(until), users::sanction_reason.eq(reason)))
        .execute(conn)
}

pub fn set_ban(
    conn: &mut DbConnection,
    user_id: i64,
    at: Option<NaiveDateTime>,
    reason: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((users::banned_at.eq(at), users::sanction_reason.eq(reason)))
        .execute(conn)
}

pub fn lift_sanctions(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((
            users::banned_at.eq(None::<NaiveDateTime>),
            users::suspended_until.eq(None::<NaiveDateTime>),
            users::sanction_reason.eq(None::<String>),
        ))
        .execute(conn)
}

pub fn set_always_review(conn: &mut DbConnection, user_id: i64, on: bool) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id)).set(users::always_review.eq(on)).execute(conn)
}

pub fn count_approval(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::approved_comments.eq(users::approved_comments + 1))
        .execute(conn)
}

/// Open or close an article's discussion. Opening records when, so the automatic closing by
/// age leaves the discussion open until someone closes it again.
pub fn set_comments_open(
    conn: &mut DbConnection,
    article_id: i64,
    open: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(articles::table.find(article_id))
        .set((
            articles::comments_open.eq(open),
            articles::reopened_at.eq(open.then_some(now)),
            articles::updated_at.eq(now),
            articles::comment_version.eq(articles::comment_version + 1),
        ))
        .execute(conn)
}
