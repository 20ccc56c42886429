//! What a reader's own data is, for the download of it and for deleting the account: their
//! comments (every status), votes and flags. Sessions, subscriptions and the account itself
//! live in their own modules.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{articles, comment_flags, comment_votes, comments};
use super::DbConnection;

/// One of the reader's comments, with the text they wrote, whatever its status.
#[derive(Debug, Clone, Queryable)]
pub struct OwnComment {
    pub id: i64,
    pub article_slug: String,
    pub article_title: String,
    pub parent_id: Option<i64>,
    pub body_raw: String,
    pub status: String,
    pub score: i64,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub removal_reason: Option<String>,
}

pub fn comments_by(conn: &mut DbConnection, author_id: i64) -> QueryResult<Vec<OwnComment>> {
    comments::table
        .inner_join(articles::table)
        .filter(comments::author_id.eq(author_id))
        .order(comments::id.asc())
        .select((
            comments::id,
            articles::slug,
            articles::title,
            comments::parent_id,
            comments::body_raw,
            comments::status,
            comments::score,
            comments::created_at,
            comments::edited_at,
            comments::removal_reason,
        ))
        .load(conn)
}

/// The ids of every comment the reader wrote, oldest first.
pub fn comment_ids_by(conn: &mut DbConnection, author_id: i64) -> QueryResult<Vec<i64>> {
    comments::table.filter(comments::author_id.eq(author_id)).order(comments::id.asc()).select(comments::id).load(conn)
}

/// Empty the text of every comment the reader wrote. Run after each has left the thread
/// (deleted, or removed by a moderator), so that no page shows an empty comment.
pub fn erase_texts_by(conn: &mut DbConnection, author_id: i64) -> QueryResult<usize> {
    diesel::update(comments::table.filter(comments::author_id.eq(author_id)))
        .set((comments::body_raw.eq(""), comments::body_html.eq("")))
        .execute(conn)
}

/// The reader's votes: the comment, the value and when.
pub fn votes_by(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<(i64, i32, NaiveDateTime)>> {
    comment_votes::table
        .filter(comment_votes::user_id.eq(user_id))
        .order((comment_votes::created_at.asc(), comment_votes::comment_id.asc()))
        .select((comment_votes::comment_id, comment_votes::value, comment_votes::created_at))
        .load(conn)
}

/// One flag the reader raised.
#[derive(Debug, Clone, Queryable)]
pub struct OwnFlag {
    pub comment_id: i64,
    pub reason: String,
    pub note: Option<String>,
    pub status: String,
    pub created_at: NaiveDateTime,
}

pub fn flags_by(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<OwnFlag>> {
    comment_flags::table
        .filter(comment_flags::user_id.eq(user_id))
        .order(comment_flags::id.asc())
        .select((
            comment_flags::comment_id,
            comment_flags::reason,
            comment_flags::note,
            comment_flags::status,
            comment_flags::created_at,
        ))
        .load(conn)
}

/// Empty the notes of the reader's flags: a note is their own words. The flag itself stays
/// (its reason and weight), so a moderator's queue does not change under them.
pub fn erase_flag_notes_by(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::update(comment_flags::table.filter(comment_flags::user_id.eq(user_id)))
        .set(comment_flags::note.eq(None::<String>))
        .execute(conn)
}

/// The articles the reader commented on, whose rendered threads show their name.
pub fn articles_commented_on(conn: &mut DbConnection, author_id: i64) -> QueryResult<Vec<i64>> {
    comments::table.filter(comments::author_id.eq(author_id)).select(comments::article_id).distinct().load(conn)
}
