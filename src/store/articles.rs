use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{articles, site_settings};
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = articles)]
pub struct ArticleRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_md: String,
    pub body_html: String,
    pub author_name: String,
    pub published_at: Option<NaiveDateTime>,
    pub comments_open: bool,
    pub comment_count: i64,
    pub comment_version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When a moderator last reopened the discussion: it then stays open until closed by hand.
    pub reopened_at: Option<NaiveDateTime>,
    /// The normalised address of an external article (which then has no body on Civil).
    pub canonical_url: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = articles)]
pub struct NewArticle<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub body_md: &'a str,
    pub body_html: &'a str,
    pub author_name: &'a str,
    pub published_at: Option<NaiveDateTime>,
    pub comments_open: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub canonical_url: Option<&'a str>,
}

#[derive(Debug, AsChangeset)]
#[diesel(table_name = articles)]
pub struct ArticleChanges<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub body_md: &'a str,
    pub body_html: &'a str,
    pub author_name: &'a str,
    pub comments_open: bool,
    pub reopened_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, new: &NewArticle<'_>) -> QueryResult<ArticleRow> {
    diesel::insert_into(articles::table).values(new).returning(articles::all_columns).get_result(conn)
}

pub fn update(conn: &mut DbConnection, id: i64, changes: &ArticleChanges<'_>) -> QueryResult<usize> {
    diesel::update(articles::table.find(id))
        .set((changes, articles::comment_version.eq(articles::comment_version + 1)))
        .execute(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ArticleRow>> {
    articles::table.find(id).select(ArticleRow::as_select()).first(conn).optional()
}

pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<ArticleRow>> {
    articles::table.filter(articles::slug.eq(slug)).select(ArticleRow::as_select()).first(conn).optional()
}

/// An article by slug, read with the order its discussion opens in (the `default_sort`
/// setting), in one statement.
pub fn find_with_default_sort(
    conn: &mut DbConnection,
    slug: &str,
) -> QueryResult<Option<(ArticleRow, Option<String>)>> {
    let default_sort = site_settings::table.find("default_sort").select(site_settings::value).single_value();
    articles::table
        .filter(articles::slug.eq(slug))
        .select((ArticleRow::as_select(), default_sort))
        .first(conn)
        .optional()
}

pub fn slug_taken(conn: &mut DbConnection, slug: &str, except_id: Option<i64>) -> QueryResult<bool> {
    let query = articles::table.filter(articles::slug.eq(slug)).filter(articles::id.ne(except_id.unwrap_or(0)));
    diesel::select(diesel::dsl::exists(query)).get_result(conn)
}

/// Civil's own published articles (not external ones), newest first.
pub fn list_published(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<ArticleRow>> {
    articles::table
        .filter(articles::published_at.le(now))
        .filter(articles::canonical_url.is_null())
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(limit)
        .select(ArticleRow::as_select())
        .load(conn)
}

/// Every one of Civil's own articles, drafts first, then newest first.
pub fn list_all(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<ArticleRow>> {
    articles::table
        .filter(articles::canonical_url.is_null())
        .order((articles::published_at.is_null().desc(), articles::published_at.desc(), articles::id.desc()))
        .limit(limit)
        .select(ArticleRow::as_select())
        .load(conn)
}

pub fn set_published_at(
    conn: &mut DbConnection,
    id: i64,
    at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(articles::table.find(id))
        .set((articles::published_at.eq(at), articles::updated_at.eq(now)))
        .execute(conn)
}

/// Record a change to an article's discussion: the count of published comments moves by
/// `delta`, and the version moves on so every instance's cached thread goes stale.
pub fn touch_discussion(conn: &mut DbConnection, id: i64, delta: i64) -> QueryResult<usize> {
    diesel::update(articles::table.find(id))
        .set((
            articles::comment_count.eq(articles::comment_count + delta),
            articles::comment_version.eq(articles::comment_version + 1),
        ))
        .execute(conn)
}

/// Articles still open for comments that were published before `cutoff`, except those a
/// moderator reopened.
pub fn open_published_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<Vec<i64>> {
    articles::table
        .filter(articles::comments_open.eq(true))
        .filter(articles::reopened_at.is_null())
        .filter(articles::published_at.le(cutoff))
        .select(articles::id)
        .load(conn)
}
