//! What imports write beyond what posting does: the source ids already imported, and comments
//! with their original time, state and score.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{comments, import_sources};
use super::DbConnection;

/// What a source id was imported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Comment,
    Author,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Comment => "comment",
            Kind::Author => "author",
        }
    }
}

pub fn find(conn: &mut DbConnection, kind: Kind, source_key: &str) -> QueryResult<Option<i64>> {
    import_sources::table
        .filter(import_sources::kind.eq(kind.as_str()).and(import_sources::source_key.eq(source_key)))
        .select(import_sources::target_id)
        .first(conn)
        .optional()
}

pub fn record(
    conn: &mut DbConnection,
    kind: Kind,
    source_key: &str,
    target_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(import_sources::table)
        .values((
            import_sources::kind.eq(kind.as_str()),
            import_sources::source_key.eq(source_key),
            import_sources::target_id.eq(target_id),
            import_sources::imported_at.eq(now),
        ))
        .execute(conn)
}

/// A comment as the source had it. `root_id` and `path` are set once the id is known
/// (`comments::set_place`).
#[derive(Debug, Insertable)]
#[diesel(table_name = comments)]
pub struct ImportedComment<'a> {
    pub article_id: i64,
    pub parent_id: Option<i64>,
    pub depth: i32,
    pub author_id: i64,
    pub body_raw: &'a str,
    pub body_html: &'a str,
    pub status: &'a str,
    pub score: i64,
    pub created_at: NaiveDateTime,
    pub reported: bool,
    pub system_reasons: &'a str,
    pub queued_at: Option<NaiveDateTime>,
    pub removal_reason: Option<&'a str>,
    pub removal_note: Option<&'a str>,
    pub moderated_at: Option<NaiveDateTime>,
}

pub fn insert_comment(conn: &mut DbConnection, new: &ImportedComment<'_>) -> QueryResult<i64> {
    diesel::insert_into(comments::table).values(new).returning(comments::id).get_result(conn)
}
