use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{sessions, setup_tokens, users};
use super::users::UserRow;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: i64,
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    /// The absolute end, for the longest lifetime the account's role had at sign-in; shorter
    /// limits (idle time, a role's) are checked when the session is used.
    pub expires_at: NaiveDateTime,
    /// Written at most every few minutes, not on every request.
    pub last_seen_at: NaiveDateTime,
    /// The browser's User-Agent when the session was last marked seen, to tell devices apart.
    pub user_agent: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub csrf_token: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, new: &NewSession<'_>) -> QueryResult<usize> {
    diesel::insert_into(sessions::table).values(new).execute(conn)
}

/// The session for a token hash, with its account, live or not: the caller checks its
/// lifetimes (and deletes it when they are over).
pub fn find(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<(SessionRow, UserRow)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .select((SessionRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()
}

pub fn delete_by_hash(conn: &mut DbConnection, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(token_hash))).execute(conn)
}

pub fn delete_for_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id)).execute(conn)
}

pub fn mark_seen(conn: &mut DbConnection, id: i64, now: NaiveDateTime, user_agent: Option<&str>) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .set((sessions::last_seen_at.eq(now), sessions::user_agent.eq(user_agent)))
        .execute(conn)
}

/// An account's sessions, the most recently used first.
pub fn for_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .order((sessions::last_seen_at.desc(), sessions::id.desc()))
        .select(SessionRow::as_select())
        .load(conn)
}

/// End one of an account's sessions; 0 when it has no session with that id.
pub fn delete_for_user_by_id(conn: &mut DbConnection, user_id: i64, id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id)).filter(sessions::id.eq(id))).execute(conn)
}

/// End every session of an account but the one with `keep_hash`.
pub fn delete_others(conn: &mut DbConnection, user_id: i64, keep_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id)).filter(sessions::token_hash.ne(keep_hash)))
        .execute(conn)
}

/// Delete sessions past their absolute end, or unused since `idle_before`.
pub fn delete_expired(conn: &mut DbConnection, now: NaiveDateTime, idle_before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now).or(sessions::last_seen_at.le(idle_before))))
        .execute(conn)
}

pub fn insert_setup_token(conn: &mut DbConnection, token_hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(setup_tokens::table)
        .values((setup_tokens::token_hash.eq(token_hash), setup_tokens::created_at.eq(now)))
        .execute(conn)
}

pub fn setup_token_exists(conn: &mut DbConnection, token_hash: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(setup_tokens::table.filter(setup_tokens::token_hash.eq(token_hash))))
        .get_result(conn)
}

pub fn delete_setup_tokens(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(setup_tokens::table).execute(conn)
}
