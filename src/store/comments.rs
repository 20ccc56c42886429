use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{articles, comment_votes, comments, users};
use super::DbConnection;
use crate::domain::thread::{Cursor, Sort};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = comments)]
pub struct CommentRow {
    pub id: i64,
    pub article_id: i64,
    pub parent_id: Option<i64>,
    pub root_id: i64,
    pub path: String,
    pub depth: i32,
    pub author_id: i64,
    pub body_raw: String,
    pub body_html: String,
    pub status: String,
    pub score: i64,
    pub live_replies: i64,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub reported: bool,
    pub flag_weight: i64,
    pub system_reasons: String,
    pub queued_at: Option<NaiveDateTime>,
    pub removal_reason: Option<String>,
    pub removal_note: Option<String>,
    pub moderated_at: Option<NaiveDateTime>,
    pub moderated_by: Option<i64>,
    pub featured_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = comments)]
pub struct NewComment<'a> {
    pub article_id: i64,
    pub parent_id: Option<i64>,
    pub depth: i32,
    pub author_id: i64,
    pub body_raw: &'a str,
    pub body_html: &'a str,
    pub status: &'a str,
    pub created_at: NaiveDateTime,
    pub reported: bool,
    pub system_reasons: &'a str,
    pub queued_at: Option<NaiveDateTime>,
}

/// A comment as a thread shows it: no raw text, with its author's public names.
#[derive(Debug, Clone, Queryable)]
pub struct ThreadRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub root_id: i64,
    pub path: String,
    pub depth: i32,
    pub author_id: i64,
    pub body_html: String,
    pub status: String,
    pub score: i64,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub featured_at: Option<NaiveDateTime>,
    pub removal_reason: Option<String>,
    pub removal_note: Option<String>,
    /// Why the rules held or reported it (`code<TAB>detail` lines): a held comment's author reads
    /// why it waits.
    pub system_reasons: String,
    pub author_username: String,
    pub author_display_name: Option<String>,
    pub author_role: String,
}

type ThreadColumns = (
    comments::id,
    comments::parent_id,
    comments::root_id,
    comments::path,
    comments::depth,
    comments::author_id,
    comments::body_html,
    comments::status,
    comments::score,
    comments::created_at,
    comments::edited_at,
    comments::featured_at,
    comments::removal_reason,
    comments::removal_note,
    comments::system_reasons,
    users::username,
    users::display_name,
    users::role,
);

const THREAD_COLUMNS: ThreadColumns = (
    comments::id,
    comments::parent_id,
    comments::root_id,
    comments::path,
    comments::depth,
    comments::author_id,
    comments::body_html,
    comments::status,
    comments::score,
    comments::created_at,
    comments::edited_at,
    comments::featured_at,
    comments::removal_reason,
    comments::removal_note,
    comments::system_reasons,
    users::username,
    users::display_name,
    users::role,
);

pub fn insert(conn: &mut DbConnection, new: &NewComment<'_>) -> QueryResult<i64> {
    diesel::insert_into(comments::table).values(new).returning(comments::id).get_result(conn)
}

/// Place a new comment in its thread once its id is known.
pub fn set_place(conn: &mut DbConnection, id: i64, root_id: i64, path: &str) -> QueryResult<usize> {
    diesel::update(comments::table.find(id)).set((comments::root_id.eq(root_id), comments::path.eq(path))).execute(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<CommentRow>> {
    comments::table.find(id).select(CommentRow::as_select()).first(conn).optional()
}

/// Read a comment and lock its row until the transaction ends, for a change that depends on
/// what it read (its status, flag weight or reply count): on PostgreSQL a concurrent flag or
/// moderator action waits here and then reads what the other one wrote. SQLite's write
/// transactions (`BEGIN IMMEDIATE`) already run one at a time, so there a read is enough.
pub fn find_for_update(conn: &mut DbConnection, id: i64) -> QueryResult<Option<CommentRow>> {
    match conn {
        DbConnection::Pg(pg) => {
            comments::table.find(id).select(CommentRow::as_select()).for_update().first(pg).optional()
        }
        DbConnection::Sqlite(sqlite) => {
            comments::table.find(id).select(CommentRow::as_select()).first(sqlite).optional()
        }
    }
}

/// Whether a page cursor names a top-level comment of this article (with its score, when the
/// order is by score): only such cursors are pages the thread can really have.
pub fn cursor_names_root(conn: &mut DbConnection, article_id: i64, sort: Sort, cursor: Cursor) -> QueryResult<bool> {
    let root = comments::table
        .filter(comments::id.eq(cursor.id))
        .filter(comments::article_id.eq(article_id))
        .filter(comments::depth.eq(0));
    match sort {
        Sort::Top => {
            diesel::select(diesel::dsl::exists(root.filter(comments::score.eq(cursor.score)))).get_result(conn)
        }
        Sort::Oldest | Sort::Newest => diesel::select(diesel::dsl::exists(root)).get_result(conn),
    }
}

pub fn find_in_thread(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ThreadRow>> {
    comments::table.inner_join(users::table).filter(comments::id.eq(id)).select(THREAD_COLUMNS).first(conn).optional()
}

/// A comment is shown while published, or as a placeholder while shown replies hang below it.
macro_rules! shown {
    () => {
        comments::status
            .eq("published")
            .or(comments::status.eq_any(["deleted", "removed"]).and(comments::live_replies.gt(0)))
    };
    // What one reader sees: the public thread, plus their own held and removed comments, and,
    // for a moderator, every held comment, to decide on in place.
    ($viewer:expr, $staff:expr) => {
        shown!()
            .or(comments::author_id.eq($viewer).and(comments::status.eq_any(["pending", "removed"])))
            .or(comments::status.eq_any(if $staff { &["pending"][..] } else { &[][..] }))
    };
}

/// Who reads a thread: anyone, or an account (whose own held and removed comments show), or a
/// moderator (who sees every held comment too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Anyone,
    Account(i64),
    Moderator(i64),
}

impl Reader {
    /// A signed-in account, a moderator's or anyone else's.
    pub fn for_account(id: i64, staff: bool) -> Reader {
        if staff {
            Reader::Moderator(id)
        } else {
            Reader::Account(id)
        }
    }

    pub fn account(self) -> Option<i64> {
        match self {
            Reader::Anyone => None,
            Reader::Account(id) | Reader::Moderator(id) => Some(id),
        }
    }

    fn id(self) -> i64 {
        match self {
            Reader::Anyone => 0,
            Reader::Account(id) | Reader::Moderator(id) => id,
        }
    }

    fn staff(self) -> bool {
        matches!(self, Reader::Moderator(_))
    }
}

/// One comment with its article's id, if `reader` sees it in the thread (as the comment, or as
/// its placeholder).
pub fn find_shown(conn: &mut DbConnection, id: i64, reader: Reader) -> QueryResult<Option<(ThreadRow, i64)>> {
    comments::table
        .inner_join(users::table)
        .filter(comments::id.eq(id))
        .filter(shown!(reader.id(), reader.staff()))
        .select((THREAD_COLUMNS, comments::article_id))
        .first(conn)
        .optional()
}

/// One page of shown top-level comments in the sort order, after the cursor. Returns one more
/// than `limit` when there is a next page.
pub fn roots_page(
    conn: &mut DbConnection,
    article_id: i64,
    sort: Sort,
    after: Option<Cursor>,
    limit: i64,
    reader: Reader,
) -> QueryResult<Vec<ThreadRow>> {
    let mut query = comments::table
        .inner_join(users::table)
        .filter(comments::article_id.eq(article_id))
        .filter(comments::depth.eq(0))
        .filter(shown!(reader.id(), reader.staff()))
        .select(THREAD_COLUMNS)
        .into_boxed();
    query = match (sort, after) {
        (Sort::Oldest, Some(c)) => query.filter(comments::id.gt(c.id)),
        (Sort::Newest, Some(c)) => query.filter(comments::id.lt(c.id)),
        (Sort::Top, Some(c)) => {
            query.filter(comments::score.lt(c.score).or(comments::score.eq(c.score).and(comments::id.gt(c.id))))
        }
        (_, None) => query,
    };
    query = match sort {
        Sort::Oldest => query.order(comments::id.asc()),
        Sort::Newest => query.order(comments::id.desc()),
        Sort::Top => query.order((comments::score.desc(), comments::id.asc())),
    };
    query.limit(limit + 1).load(conn)
}

pub fn count_shown_roots_before(conn: &mut DbConnection, article_id: i64, root_id: i64) -> QueryResult<i64> {
    comments::table
        .filter(comments::article_id.eq(article_id))
        .filter(comments::depth.eq(0))
        .filter(comments::id.lt(root_id))
        .filter(shown!())
        .count()
        .get_result(conn)
}

/// The shown top-level comments that come before `position` in the sort order (and the one at
/// it, when `inclusive`), nearest first, at most `limit`: what paging backwards and finding a
/// comment's page need, by keyset, without OFFSET.
pub fn roots_before(
    conn: &mut DbConnection,
    article_id: i64,
    sort: Sort,
    position: Cursor,
    inclusive: bool,
    reader: Reader,
    limit: i64,
) -> QueryResult<Vec<Cursor>> {
    let mut query = comments::table
        .filter(comments::article_id.eq(article_id))
        .filter(comments::depth.eq(0))
        .filter(shown!(reader.id(), reader.staff()))
        .select((comments::score, comments::id))
        .into_boxed();
    let (c, at) = (position, if inclusive { 1 } else { 0 });
    query = match sort {
        Sort::Oldest => query.filter(comments::id.lt(c.id + at)).order(comments::id.desc()),
        Sort::Newest => query.filter(comments::id.gt(c.id - at)).order(comments::id.asc()),
        Sort::Top => query
            .filter(comments::score.gt(c.score).or(comments::score.eq(c.score).and(comments::id.lt(c.id + at))))
            .order((comments::score.asc(), comments::id.desc())),
    };
    let rows: Vec<(i64, i64)> = query.limit(limit).load(conn)?;
    Ok(rows.into_iter().map(|(score, id)| Cursor { score, id }).collect())
}

/// How many shown top-level comments come before `position` in the sort order.
pub fn count_roots_before(
    conn: &mut DbConnection,
    article_id: i64,
    sort: Sort,
    position: Cursor,
    reader: Reader,
) -> QueryResult<i64> {
    let query = comments::table
        .filter(comments::article_id.eq(article_id))
        .filter(comments::depth.eq(0))
        .filter(shown!(reader.id(), reader.staff()))
        .into_boxed();
    let c = position;
    let query = match sort {
        Sort::Oldest => query.filter(comments::id.lt(c.id)),
        Sort::Newest => query.filter(comments::id.gt(c.id)),
        Sort::Top => {
            query.filter(comments::score.gt(c.score).or(comments::score.eq(c.score).and(comments::id.lt(c.id))))
        }
    };
    query.count().get_result(conn)
}

/// Featured comments on an article, in the order they were featured.
pub fn featured(conn: &mut DbConnection, article_id: i64) -> QueryResult<Vec<ThreadRow>> {
    comments::table
        .inner_join(users::table)
        .filter(comments::article_id.eq(article_id))
        .filter(comments::featured_at.is_not_null())
        .filter(comments::status.eq("published"))
        .order(comments::featured_at.asc())
        .limit(20)
        .select(THREAD_COLUMNS)
        .load(conn)
}

/// Every shown reply under the given top-level comments, in reading order.
pub fn replies_under(conn: &mut DbConnection, root_ids: &[i64], reader: Reader) -> QueryResult<Vec<ThreadRow>> {
    if root_ids.is_empty() {
        return Ok(Vec::new());
    }
    comments::table
        .inner_join(users::table)
        .filter(comments::root_id.eq_any(root_ids))
        .filter(comments::depth.gt(0))
        .filter(shown!(reader.id(), reader.staff()))
        .order(comments::path.asc())
        .select(THREAD_COLUMNS)
        .load(conn)
}

pub fn update_body(
    conn: &mut DbConnection,
    id: i64,
    body_raw: &str,
    body_html: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(comments::table.find(id))
        .set((comments::body_raw.eq(body_raw), comments::body_html.eq(body_html), comments::edited_at.eq(Some(now))))
        .execute(conn)
}

/// Change a comment's status unless it already has it; returns the rows changed. The update
/// takes the row lock, so concurrent changes to one comment happen one after the other.
pub fn change_status(conn: &mut DbConnection, id: i64, status: &str) -> QueryResult<usize> {
    diesel::update(comments::table.find(id).filter(comments::status.ne(status)))
        .set(comments::status.eq(status))
        .execute(conn)
}

pub fn add_live_replies(conn: &mut DbConnection, id: i64, delta: i64) -> QueryResult<usize> {
    diesel::update(comments::table.find(id))
        .set(comments::live_replies.eq(comments::live_replies + delta))
        .execute(conn)
}

/// A reader's published comments, newest first, with the article each belongs to.
#[derive(Debug, Clone, Queryable)]
pub struct ProfileComment {
    pub id: i64,
    pub body_html: String,
    pub score: i64,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub article_slug: String,
    pub article_title: String,
}

pub fn published_by_author(
    conn: &mut DbConnection,
    author_id: i64,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<ProfileComment>> {
    comments::table
        .inner_join(articles::table)
        .filter(comments::author_id.eq(author_id))
        .filter(comments::status.eq("published"))
        .filter(articles::published_at.le(now))
        .order(comments::id.desc())
        .limit(limit)
        .select((
            comments::id,
            comments::body_html,
            comments::score,
            comments::created_at,
            comments::edited_at,
            articles::slug,
            articles::title,
        ))
        .load(conn)
}

/// The author's own recent comment texts, for the repeated-text check.
pub fn recent_bodies_by_author(
    conn: &mut DbConnection,
    author_id: i64,
    since: NaiveDateTime,
    except: Option<i64>,
) -> QueryResult<Vec<String>> {
    comments::table
        .filter(comments::author_id.eq(author_id))
        .filter(comments::created_at.ge(since))
        .filter(comments::status.eq_any(["published", "pending", "removed"]))
        .filter(comments::id.ne(except.unwrap_or(0)))
        .order(comments::created_at.desc())
        .limit(50)
        .select(comments::body_raw)
        .load(conn)
}

/// Put a comment in the moderators' queue (again), with the reasons the rules found.
pub fn queue(
    conn: &mut DbConnection,
    id: i64,
    reported: bool,
    reasons: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(comments::table.find(id))
        .set((comments::reported.eq(reported), comments::system_reasons.eq(reasons), comments::queued_at.eq(Some(now))))
        .execute(conn)
}

pub fn latest_by_author(conn: &mut DbConnection, author_id: i64) -> QueryResult<Option<NaiveDateTime>> {
    comments::table.filter(comments::author_id.eq(author_id)).select(diesel::dsl::max(comments::created_at)).first(conn)
}

pub fn count_by_author_since(conn: &mut DbConnection, author_id: i64, since: NaiveDateTime) -> QueryResult<i64> {
    comments::table
        .filter(comments::author_id.eq(author_id))
        .filter(comments::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// The author's published comments, counting no further than `cap`.
pub fn count_published_by_author_up_to(conn: &mut DbConnection, author_id: i64, cap: i64) -> QueryResult<i64> {
    let ids: Vec<i64> = comments::table
        .filter(comments::author_id.eq(author_id))
        .filter(comments::status.eq("published"))
        .select(comments::id)
        .limit(cap)
        .load(conn)?;
    Ok(ids.len() as i64)
}

pub fn count_published_by_author(conn: &mut DbConnection, author_id: i64) -> QueryResult<i64> {
    comments::table
        .filter(comments::author_id.eq(author_id))
        .filter(comments::status.eq("published"))
        .count()
        .get_result(conn)
}

/// Record a vote unless the reader already voted; returns 1 when a vote was added. Safe when
/// the same reader votes twice at once.
pub fn insert_vote(
    conn: &mut DbConnection,
    comment_id: i64,
    user_id: i64,
    value: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Integer, Timestamp};
    diesel::sql_query(
        "INSERT INTO comment_votes (comment_id, user_id, value, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind::<BigInt, _>(comment_id)
    .bind::<BigInt, _>(user_id)
    .bind::<Integer, _>(value)
    .bind::<Timestamp, _>(now)
    .execute(conn)
}

pub fn delete_vote(conn: &mut DbConnection, comment_id: i64, user_id: i64) -> QueryResult<usize> {
    diesel::delete(comment_votes::table.find((comment_id, user_id))).execute(conn)
}

pub fn add_score(conn: &mut DbConnection, comment_id: i64, delta: i64) -> QueryResult<usize> {
    diesel::update(comments::table.find(comment_id)).set(comments::score.eq(comments::score + delta)).execute(conn)
}

/// A reader's comments on an article, with their status.
pub fn own_on_article(conn: &mut DbConnection, article_id: i64, user_id: i64) -> QueryResult<Vec<(i64, String)>> {
    comments::table
        .filter(comments::author_id.eq(user_id))
        .filter(comments::article_id.eq(article_id))
        .select((comments::id, comments::status))
        .load(conn)
}

/// The comments on an article a reader has upvoted.
pub fn voted_on_article(conn: &mut DbConnection, article_id: i64, user_id: i64) -> QueryResult<Vec<i64>> {
    comment_votes::table
        .inner_join(comments::table)
        .filter(comment_votes::user_id.eq(user_id))
        .filter(comments::article_id.eq(article_id))
        .select(comment_votes::comment_id)
        .load(conn)
}

/// Which of these comments the reader has upvoted.
pub fn voted_among(conn: &mut DbConnection, user_id: i64, comment_ids: &[i64]) -> QueryResult<Vec<i64>> {
    if comment_ids.is_empty() {
        return Ok(Vec::new());
    }
    comment_votes::table
        .filter(comment_votes::user_id.eq(user_id))
        .filter(comment_votes::comment_id.eq_any(comment_ids))
        .select(comment_votes::comment_id)
        .load(conn)
}

/// Every shown comment of an article (published, and placeholders holding shown replies), in
/// the order they were written: Isso's client pages a thread by time.
pub fn shown_in_article(conn: &mut DbConnection, article_id: i64) -> QueryResult<Vec<ThreadRow>> {
    comments::table
        .inner_join(users::table)
        .filter(comments::article_id.eq(article_id))
        .filter(shown!())
        .order((comments::created_at.asc(), comments::id.asc()))
        .select(THREAD_COLUMNS)
        .load(conn)
}

/// Record a like from a visitor without an account (Isso's client) unless that visitor already
/// liked the comment; returns 1 when it is new. Safe when the same visitor likes twice at once.
pub fn insert_guest_vote(
    conn: &mut DbConnection,
    comment_id: i64,
    voter: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    diesel::sql_query(
        "INSERT INTO guest_votes (comment_id, voter, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind::<BigInt, _>(comment_id)
    .bind::<Text, _>(voter)
    .bind::<Timestamp, _>(now)
    .execute(conn)
}
