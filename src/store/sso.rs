//! Single sign-on tokens already used, remembered until they expire.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::sso_tokens_used;
use super::DbConnection;

/// Record a token as used. `false` when it already was: the caller refuses the replay. Two
/// requests with one token at once both insert; the database lets one of them in.
pub fn mark_used(conn: &mut DbConnection, token_hash: &str, expires_at: NaiveDateTime) -> QueryResult<bool> {
    use diesel::sql_types::{Text, Timestamp};
    let inserted = diesel::sql_query(
        "INSERT INTO sso_tokens_used (token_hash, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind::<Text, _>(token_hash)
    .bind::<Timestamp, _>(expires_at)
    .execute(conn)?;
    Ok(inserted == 1)
}

/// Forget tokens that would be refused as expired anyway.
pub fn delete_expired(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sso_tokens_used::table.filter(sso_tokens_used::expires_at.le(now))).execute(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    sso_tokens_used::table.count().get_result(conn)
}
