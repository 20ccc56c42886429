//! The live event log (`live_events`). A stream that comes back with the id of the last event it
//! received reads what came after, so ids must become visible in the order they grow. A
//! PostgreSQL sequence hands out ids at insert, not at commit: a transaction that took id 10 may
//! commit after one that took 11, and a stream that read 11 would never see 10. So events are
//! not inserted where the change is made: `record` keeps them with the transaction, and
//! `write_transaction` writes them last, under one lock held until the commit (on SQLite,
//! writers take turns anyway). Taken last, after every row the transaction locks, the lock
//! cannot close a cycle with a row lock. The commit also wakes the other instances (`NOTIFY`).

use std::cell::{Cell, RefCell};

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::schema::{articles, live_events};
use super::DbConnection;

/// The channel the other instances `LISTEN` on.
pub const CHANNEL: &str = "civil_live";

/// Any constant will do, as long as nothing else in the database takes the same advisory lock.
const ORDER_LOCK: i64 = 0x6369_7669_6c00; // "civil\0"

/// An event about to be written with the change that causes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub article_id: i64,
    pub kind: &'static str,
    pub staff: bool,
    pub comment_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = live_events)]
pub struct EventRow {
    pub id: i64,
    pub article_id: i64,
    pub kind: String,
    pub staff: bool,
    pub comment_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub comment_count: i64,
    pub created_at: NaiveDateTime,
}

thread_local! {
    /// The events of the write transaction running on this thread (`None` outside one).
    static PENDING: RefCell<Option<Vec<NewEvent>>> = const { RefCell::new(None) };
    /// Whether the last write transaction on this thread wrote any event.
    static FLUSHED: Cell<bool> = const { Cell::new(false) };
}

/// Keep `event` to be written when the transaction running on this thread commits. Outside a
/// write transaction there is nothing to write it with: that is a bug, reported as an error.
pub fn record(event: NewEvent) -> QueryResult<()> {
    PENDING.with(|pending| match pending.borrow_mut().as_mut() {
        Some(events) => {
            events.push(event);
            Ok(())
        }
        None => {
            Err(diesel::result::Error::QueryBuilderError("a live event is recorded outside a write transaction".into()))
        }
    })
}

/// A write transaction starts on this thread.
pub(crate) fn begin() {
    PENDING.with(|p| *p.borrow_mut() = Some(Vec::new()));
    FLUSHED.with(|f| f.set(false));
}

/// The transaction rolls back: its events never happened.
pub(crate) fn discard() {
    PENDING.with(|p| *p.borrow_mut() = None);
}

/// Write the transaction's events, last, just before the commit. Each carries the article's
/// count of published comments as the transaction leaves it.
pub(crate) fn flush(conn: &mut DbConnection) -> QueryResult<()> {
    let events = PENDING.with(|p| p.borrow_mut().take()).unwrap_or_default();
    if events.is_empty() {
        return Ok(());
    }
    if let DbConnection::Pg(pg) = conn {
        pg.batch_execute(&format!("SELECT pg_advisory_xact_lock({ORDER_LOCK}); NOTIFY {CHANNEL}"))?;
    }
    let mut counts: Vec<(i64, i64)> = Vec::new();
    for event in events {
        let count = match counts.iter().find(|(id, _)| *id == event.article_id) {
            Some(&(_, count)) => count,
            None => {
                let count: i64 = articles::table
                    .find(event.article_id)
                    .select(articles::comment_count)
                    .first(conn)
                    .optional()?
                    .unwrap_or(0);
                counts.push((event.article_id, count));
                count
            }
        };
        diesel::insert_into(live_events::table)
            .values((
                live_events::article_id.eq(event.article_id),
                live_events::kind.eq(event.kind),
                live_events::staff.eq(event.staff),
                live_events::comment_id.eq(event.comment_id),
                live_events::parent_id.eq(event.parent_id),
                live_events::comment_count.eq(count),
                live_events::created_at.eq(event.created_at),
            ))
            .execute(conn)?;
    }
    FLUSHED.with(|f| f.set(true));
    Ok(())
}

/// Whether the write transaction that just ended on this thread wrote events (and so the
/// streams have news).
pub fn take_flushed() -> bool {
    FLUSHED.with(|f| f.replace(false))
}

/// Every event after `id`, oldest first, at most `limit`.
pub fn after(conn: &mut DbConnection, id: i64, limit: i64) -> QueryResult<Vec<EventRow>> {
    live_events::table
        .filter(live_events::id.gt(id))
        .order(live_events::id)
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
}

/// The public events of one article after `id`, oldest first, at most `limit`.
pub fn public_after(conn: &mut DbConnection, article_id: i64, id: i64, limit: i64) -> QueryResult<Vec<EventRow>> {
    live_events::table
        .filter(live_events::article_id.eq(article_id))
        .filter(live_events::staff.eq(false))
        .filter(live_events::id.gt(id))
        .order(live_events::id)
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
}

/// The oldest and newest ids the log holds.
pub fn bounds(conn: &mut DbConnection) -> QueryResult<(Option<i64>, Option<i64>)> {
    Ok((oldest_query().first(conn)?, newest(conn)?))
}

/// The newest id the log holds: where a page's stream starts, read for every article page.
pub fn newest(conn: &mut DbConnection) -> QueryResult<Option<i64>> {
    newest_query().first(conn)
}

// One aggregate each: SQLite finds a lone `min` or `max` in the index, but reads every row to
// answer both in one statement (a page view then cost a day of events).
fn oldest_query() -> diesel::helper_types::Select<live_events::table, diesel::helper_types::min<live_events::id>> {
    live_events::table.select(diesel::dsl::min(live_events::id))
}

fn newest_query() -> diesel::helper_types::Select<live_events::table, diesel::helper_types::max<live_events::id>> {
    live_events::table.select(diesel::dsl::max(live_events::id))
}

/// Forget events created before `before`, except the newest, which marks how far the ids
/// have reached (so that an id is never given out twice, and a stream knows what it missed).
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    let Some(newest) = newest(conn)? else { return Ok(0) };
    diesel::delete(live_events::table.filter(live_events::created_at.lt(before)).filter(live_events::id.lt(newest)))
        .execute(conn)
}

/// A PostgreSQL connection of its own that listens for other instances' events.
pub struct Listener(diesel::pg::PgConnection);

impl Listener {
    pub fn connect(url: &str) -> anyhow::Result<Listener> {
        let mut conn = diesel::pg::PgConnection::establish(url)?;
        conn.batch_execute(&format!("LISTEN {CHANNEL}"))?;
        Ok(Listener(conn))
    }

    /// Whether a notification arrived since the last call. Reads only what the socket already
    /// holds: it never waits. An error means the connection is lost.
    pub fn heard(&mut self) -> QueryResult<bool> {
        let mut heard = false;
        for notification in self.0.notifications_iter() {
            notification?;
            heard = true;
        }
        Ok(heard)
    }

    /// A round trip, to find out that a quiet connection is still there.
    pub fn ping(&mut self) -> QueryResult<()> {
        self.0.batch_execute("SELECT 1")
    }
}

#[cfg(test)]
mod tests {
    use diesel::sql_types::Text;
    use diesel::sqlite::{Sqlite, SqliteConnection};

    use super::*;

    #[derive(QueryableByName)]
    struct PlanStep {
        #[diesel(sql_type = Text)]
        detail: String,
    }

    fn plan(conn: &mut SqliteConnection, query: &impl diesel::query_builder::QueryFragment<Sqlite>) -> String {
        let sql = diesel::debug_query::<Sqlite, _>(query).to_string();
        let steps: Vec<PlanStep> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(conn).unwrap();
        steps.into_iter().map(|step| step.detail).collect::<Vec<_>>().join("; ")
    }

    #[test]
    fn the_logs_bounds_are_looked_up_not_scanned() {
        let mut conn = DbConnection::Sqlite(SqliteConnection::establish(":memory:").unwrap());
        crate::store::db::run_migrations(&mut conn).unwrap();
        let DbConnection::Sqlite(conn) = &mut conn else { unreachable!() };
        for query_plan in [plan(conn, &oldest_query()), plan(conn, &newest_query())] {
            assert!(query_plan.starts_with("SEARCH live_events"), "{query_plan}");
        }
    }
}
