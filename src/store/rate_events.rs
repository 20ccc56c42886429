use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::rate_events;
use super::DbConnection;

/// How many times `subject` did `action` since `since`, and when the earliest of those was.
pub fn count_since(
    conn: &mut DbConnection,
    action: &str,
    subject: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let filtered = rate_events::table
        .filter(rate_events::action.eq(action))
        .filter(rate_events::subject.eq(subject))
        .filter(rate_events::created_at.gt(since));
    let count = filtered.count().get_result(conn)?;
    let earliest =
        if count > 0 { filtered.select(diesel::dsl::min(rate_events::created_at)).first(conn)? } else { None };
    Ok((count, earliest))
}

/// The latest time `subject` did `action`.
pub fn latest(conn: &mut DbConnection, action: &str, subject: &str) -> QueryResult<Option<NaiveDateTime>> {
    rate_events::table
        .filter(rate_events::action.eq(action))
        .filter(rate_events::subject.eq(subject))
        .select(diesel::dsl::max(rate_events::created_at))
        .first(conn)
}

/// Record one event and return its id, so that it can be taken back.
pub fn record(conn: &mut DbConnection, action: &str, subject: &str, at: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(rate_events::table)
        .values((rate_events::action.eq(action), rate_events::subject.eq(subject), rate_events::created_at.eq(at)))
        .returning(rate_events::id)
        .get_result(conn)
}

pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(rate_events::table.find(id)).execute(conn)
}

/// Make every other transaction that locks the same key wait until this one ends. SQLite needs
/// nothing: a write transaction there already holds the only write lock.
pub fn lock(conn: &mut DbConnection, key: i64) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(pg) => {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
                .bind::<diesel::sql_types::BigInt, _>(key)
                .execute(pg)?;
        }
        DbConnection::Sqlite(_) => {}
    }
    Ok(())
}

pub fn clear(conn: &mut DbConnection, action: &str, subject: &str) -> QueryResult<usize> {
    diesel::delete(rate_events::table.filter(rate_events::action.eq(action)).filter(rate_events::subject.eq(subject)))
        .execute(conn)
}

/// Forget events older than any window looks back.
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(rate_events::table.filter(rate_events::created_at.lt(before))).execute(conn)
}
