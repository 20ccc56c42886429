//! Embedding: the sites allowed to embed, and the external articles (threads keyed by the
//! normalised address of a publisher's page).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::articles::ArticleRow;
use super::schema::{articles, comments, embed_sites, moderation_log};
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = embed_sites)]
pub struct EmbedSiteRow {
    pub id: i64,
    pub origin: String,
    pub meaningful_params: String,
    pub created_at: NaiveDateTime,
}

pub fn list_sites(conn: &mut DbConnection) -> QueryResult<Vec<EmbedSiteRow>> {
    embed_sites::table.order(embed_sites::origin).select(EmbedSiteRow::as_select()).load(conn)
}

pub fn find_site(conn: &mut DbConnection, origin: &str) -> QueryResult<Option<EmbedSiteRow>> {
    embed_sites::table.filter(embed_sites::origin.eq(origin)).select(EmbedSiteRow::as_select()).first(conn).optional()
}

pub fn insert_site(
    conn: &mut DbConnection,
    origin: &str,
    meaningful_params: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(embed_sites::table)
        .values((
            embed_sites::origin.eq(origin),
            embed_sites::meaningful_params.eq(meaningful_params),
            embed_sites::created_at.eq(now),
        ))
        .execute(conn)
}

pub fn delete_site(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(embed_sites::table.find(id)).execute(conn)
}

pub fn find_external(conn: &mut DbConnection, canonical_url: &str) -> QueryResult<Option<ArticleRow>> {
    articles::table
        .filter(articles::canonical_url.eq(canonical_url))
        .select(ArticleRow::as_select())
        .first(conn)
        .optional()
}

/// External articles, newest first.
pub fn list_external(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<ArticleRow>> {
    articles::table
        .filter(articles::canonical_url.is_not_null())
        .order((articles::created_at.desc(), articles::id.desc()))
        .limit(limit)
        .select(ArticleRow::as_select())
        .load(conn)
}

/// The published-comment counts of the external articles among `urls`, in one query.
pub fn counts(conn: &mut DbConnection, urls: &[String]) -> QueryResult<Vec<(Option<String>, i64)>> {
    articles::table
        .filter(articles::canonical_url.eq_any(urls))
        .select((articles::canonical_url, articles::comment_count))
        .load(conn)
}

pub fn rename(conn: &mut DbConnection, id: i64, title: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(articles::table.find(id))
        .set((articles::title.eq(title), articles::updated_at.eq(now)))
        .execute(conn)
}

pub fn set_canonical_url(conn: &mut DbConnection, id: i64, url: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(articles::table.find(id))
        .set((articles::canonical_url.eq(url), articles::updated_at.eq(now)))
        .execute(conn)
}

/// Hand every comment of article `from` to article `into`, with the log entries about them.
/// Paths hold only comment ids, so each reply keeps its place under its parent.
pub fn move_comments(conn: &mut DbConnection, from: i64, into: i64) -> QueryResult<usize> {
    diesel::update(moderation_log::table.filter(moderation_log::article_id.eq(from)))
        .set(moderation_log::article_id.eq(into))
        .execute(conn)?;
    diesel::update(comments::table.filter(comments::article_id.eq(from)))
        .set(comments::article_id.eq(into))
        .execute(conn)
}

pub fn delete_article(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(articles::table.find(id)).execute(conn)
}
