//! Webhook endpoints. Their deliveries are outbox jobs (`JobKind::Webhook`) naming the endpoint.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::webhooks;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: i64,
    pub url: String,
    pub events: String,
    pub secret: String,
    pub created_at: NaiveDateTime,
    pub last_status: Option<String>,
    pub last_status_at: Option<NaiveDateTime>,
}

pub fn insert(
    conn: &mut DbConnection,
    url: &str,
    events: &str,
    secret: &str,
    now: NaiveDateTime,
) -> QueryResult<WebhookRow> {
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::url.eq(url),
            webhooks::events.eq(events),
            webhooks::secret.eq(secret),
            webhooks::created_at.eq(now),
        ))
        .returning(webhooks::all_columns)
        .get_result(conn)
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<WebhookRow>> {
    webhooks::table.order(webhooks::id).select(WebhookRow::as_select()).load(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<WebhookRow>> {
    webhooks::table.find(id).select(WebhookRow::as_select()).first(conn).optional()
}

/// Remove an endpoint; its deliveries go with it (`ON DELETE CASCADE`).
pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(webhooks::table.find(id)).execute(conn)
}

pub fn set_events(conn: &mut DbConnection, id: i64, events: &str) -> QueryResult<usize> {
    diesel::update(webhooks::table.find(id)).set(webhooks::events.eq(events)).execute(conn)
}

/// What the latest delivery attempt to the endpoint came to, for the admin page.
pub fn record_status(conn: &mut DbConnection, id: i64, status: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(webhooks::table.find(id))
        .set((webhooks::last_status.eq(Some(status)), webhooks::last_status_at.eq(Some(at))))
        .execute(conn)
}
