//! Published comments for the Atom feeds, newest first, with everything an entry names (its
//! author, its parent, its article) in one bounded query.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{articles, comments, users};
use super::DbConnection;

#[derive(Debug, Clone, Queryable)]
pub struct FeedRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    /// The masked, sanitised HTML the public sees.
    pub body_html: String,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub author_username: String,
    pub author_display_name: Option<String>,
    pub article_slug: String,
    pub article_title: String,
}

/// Which comments a feed carries.
#[derive(Debug, Clone, Copy)]
pub enum FeedScope {
    /// One thread, whose article the caller has already found fit to show.
    Article(i64),
    /// Every thread on an article published by `now`: drafts and scheduled articles stay out.
    Site { now: NaiveDateTime },
}

/// The latest `limit` published comments in the scope, newest first. Posting order is id
/// order, so the primary key gives "newest" without a sort over every comment.
pub fn latest_published(conn: &mut DbConnection, scope: FeedScope, limit: i64) -> QueryResult<Vec<FeedRow>> {
    let mut query = comments::table
        .inner_join(users::table)
        .inner_join(articles::table)
        .filter(comments::status.eq("published"))
        .select((
            comments::id,
            comments::parent_id,
            comments::body_html,
            comments::created_at,
            comments::edited_at,
            users::username,
            users::display_name,
            articles::slug,
            articles::title,
        ))
        .into_boxed();
    query = match scope {
        FeedScope::Article(id) => query.filter(comments::article_id.eq(id)),
        FeedScope::Site { now } => query.filter(articles::published_at.le(now)),
    };
    query.order(comments::id.desc()).limit(limit).load(conn)
}
