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

pub fn record(conn: &mut DbConnection, action: &str, subject: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(rate_events::table)
        .values((rate_events::action.eq(action), rate_events::subject.eq(subject), rate_events::created_at.eq(at)))
        .execute(conn)
}

pub fn clear(conn: &mut DbConnection, action: &str, subject: &str) -> QueryResult<usize> {
    diesel::delete(rate_events::table.filter(rate_events::action.eq(action)).filter(rate_events::subject.eq(subject)))
        .execute(conn)
}

/// Forget events older than any window looks back.
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(rate_events::table.filter(rate_events::created_at.lt(before))).execute(conn)
}
