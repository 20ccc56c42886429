//! The outbox: every e-mail and webhook delivery, written in the same transaction as the change that causes it, then
//! claimed atomically by a worker, sent, and retried with backoff. Each row names its kind of
//! job, parsed here into `JobKind`; `crate::outbox` has one deliverer per kind.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::deserialize::FromSql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::schema::{outbox, workers};
use super::DbConnection;
use crate::email::templates;

/// What a row asks for, which decides who delivers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::deserialize::FromSqlRow)]
pub enum JobKind {
    /// An e-mail written whole when it was queued.
    Email,
    /// One issue of the newsletter for one subscriber, put together when it is sent, so that a
    /// send to every subscriber writes one small row each.
    NewsletterIssue,
    /// One announcement for one webhook endpoint (`webhook_id`): the row holds what happened, as
    /// JSON (`body_text`), and the event's name (`subject`); it is signed when it is sent.
    Webhook,
}

impl JobKind {
    pub const ALL: [JobKind; 3] = [JobKind::Email, JobKind::NewsletterIssue, JobKind::Webhook];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Email => "email",
            JobKind::NewsletterIssue => "newsletter_issue",
            JobKind::Webhook => "webhook",
        }
    }
}

/// A row of a kind this version of Civil does not know (written by a newer one, or by hand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown outbox job kind {0:?}")]
pub struct UnknownKind(pub String);

impl TryFrom<String> for JobKind {
    type Error = UnknownKind;

    fn try_from(kind: String) -> Result<JobKind, UnknownKind> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == kind).ok_or(UnknownKind(kind))
    }
}

/// Read as text; a kind we do not know is a deserialisation error, not a guess.
impl<DB> FromSql<Text, DB> for JobKind
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<JobKind> {
        Ok(JobKind::try_from(String::from_sql(bytes)?)?)
    }
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: JobKind,
    pub purpose: String,
    pub dedup_key: String,
    pub recipient: String,
    pub issue_id: Option<i64>,
    pub subscriber_id: Option<i64>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub unsubscribe_url: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub webhook_id: Option<i64>,
}

/// A message to queue. `dedup_key` makes each (purpose, recipient, cause) go out at most once.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewMessage {
    kind: &'static str,
    pub purpose: &'static str,
    pub dedup_key: String,
    pub recipient: String,
    pub issue_id: Option<i64>,
    pub subscriber_id: Option<i64>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub unsubscribe_url: Option<String>,
    pub status: &'static str,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub webhook_id: Option<i64>,
}

impl NewMessage {
    /// An e-mail (`JobKind::Email`), due now.
    pub fn email(
        purpose: &'static str,
        dedup_key: String,
        to: &str,
        message: templates::Message,
        now: NaiveDateTime,
    ) -> NewMessage {
        NewMessage {
            kind: JobKind::Email.as_str(),
            purpose,
            dedup_key,
            recipient: to.to_owned(),
            issue_id: None,
            subscriber_id: None,
            subject: message.subject,
            body_text: message.text,
            body_html: Some(message.html.into_string()),
            unsubscribe_url: None,
            status: "queued",
            next_attempt_at: now,
            created_at: now,
            webhook_id: None,
        }
    }

    /// A webhook delivery (`JobKind::Webhook`) of `announcement` (JSON) to one endpoint, due now.
    pub fn webhook(
        endpoint_id: i64,
        url: &str,
        event: &str,
        announcement: String,
        dedup_key: String,
        now: NaiveDateTime,
    ) -> NewMessage {
        NewMessage {
            kind: JobKind::Webhook.as_str(),
            purpose: "webhook",
            dedup_key,
            recipient: url.to_owned(),
            issue_id: None,
            subscriber_id: None,
            subject: event.to_owned(),
            body_text: announcement,
            body_html: None,
            unsubscribe_url: None,
            status: "queued",
            next_attempt_at: now,
            created_at: now,
            webhook_id: Some(endpoint_id),
        }
    }
}

/// Queue a message; returns 0 when one with the same key was already queued.
pub fn enqueue(conn: &mut DbConnection, message: &NewMessage) -> QueryResult<usize> {
    let exists = diesel::select(diesel::dsl::exists(outbox::table.filter(outbox::dedup_key.eq(&message.dedup_key))))
        .get_result::<bool>(conn)?;
    if exists {
        return Ok(0);
    }
    diesel::insert_into(outbox::table).values(message).execute(conn)
}

/// Queue one `JobKind::NewsletterIssue` job for every confirmed subscriber, in one statement.
/// The unique key on (issue, subscriber) makes a second call add nothing.
pub fn enqueue_issue(conn: &mut DbConnection, issue_id: i64, subject: &str, now: NaiveDateTime) -> QueryResult<usize> {
    // SQLite numbers `$n` parameters in the order they first appear, so they appear in order.
    diesel::sql_query(
        "INSERT INTO outbox (purpose, dedup_key, recipient, issue_id, subscriber_id, subject, body_text, status, attempts, next_attempt_at, created_at, kind) \
         SELECT 'newsletter', 'issue:' || CAST($1 AS TEXT) || ':' || CAST(s.id AS TEXT), s.email, $1, s.id, $2, '', 'queued', 0, $3, $3, $4 \
         FROM subscribers s WHERE s.status = 'confirmed' \
         ON CONFLICT (dedup_key) DO NOTHING",
    )
    .bind::<BigInt, _>(issue_id)
    .bind::<Text, _>(subject)
    .bind::<Timestamp, _>(now)
    .bind::<Text, _>(JobKind::NewsletterIssue.as_str())
    .execute(conn)
}

/// Claim the next due message for `worker`, atomically: on PostgreSQL with `FOR UPDATE SKIP
/// LOCKED`, so instances never take the same row; on SQLite with one claiming `UPDATE`, which
/// SQLite's single writer makes atomic. Only kinds this version knows are claimed: a row of a
/// newer kind waits for a worker that can deliver it (several versions run during an upgrade),
/// and the worker names the kinds it takes now (`JobKind::ALL`, or not e-mail while the relay
/// is failing).
pub fn claim_next(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    kinds: &[JobKind],
) -> QueryResult<Option<OutboxRow>> {
    if kinds.is_empty() {
        return Ok(None);
    }
    let lock = match conn {
        DbConnection::Pg(_) => " FOR UPDATE SKIP LOCKED",
        DbConnection::Sqlite(_) => "",
    };
    // The kinds are our own constants, never input.
    let kinds = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "UPDATE outbox SET status = 'sending', claimed_by = $1, claimed_at = $2, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= $2 AND kind IN ({kinds}) \
                     ORDER BY next_attempt_at, id LIMIT 1{lock}) \
         RETURNING *"
    );
    let mut rows: Vec<OutboxRow> =
        diesel::sql_query(sql).bind::<Text, _>(worker).bind::<Timestamp, _>(now).load(conn)?;
    Ok(rows.pop())
}

pub fn mark_sent(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id).filter(outbox::status.eq("sending")))
        .set((outbox::status.eq("sent"), outbox::sent_at.eq(Some(now)), outbox::last_error.eq(None::<String>)))
        .execute(conn)
}

pub fn mark_retry(conn: &mut DbConnection, id: i64, error: &str, next: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id).filter(outbox::status.eq("sending")))
        .set((outbox::status.eq("queued"), outbox::next_attempt_at.eq(next), outbox::last_error.eq(Some(error))))
        .execute(conn)
}

pub fn mark_failed(conn: &mut DbConnection, id: i64, error: &str) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id).filter(outbox::status.eq("sending")))
        .set((outbox::status.eq("failed"), outbox::last_error.eq(Some(error))))
        .execute(conn)
}

/// Back to the queue as it was before it was claimed, due at `next`: the relay failed, not this
/// message, so the claim's attempt is given back.
pub fn put_back(conn: &mut DbConnection, id: i64, error: &str, next: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id).filter(outbox::status.eq("sending")))
        .set((
            outbox::status.eq("queued"),
            outbox::attempts.eq(outbox::attempts - 1),
            outbox::next_attempt_at.eq(next),
            outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)
}

/// Let an admin send a message in doubt (or failed) again.
pub fn requeue(
    conn: &mut DbConnection,
    ids_of_issue: Option<i64>,
    status: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let query =
        diesel::update(outbox::table.filter(outbox::status.eq(status)).filter(outbox::issue_id.eq(ids_of_issue)));
    query.set((outbox::status.eq("queued"), outbox::next_attempt_at.eq(now), outbox::attempts.eq(0))).execute(conn)
}

/// One statement, so that two beats of a new worker at once (its delivery loop and its heartbeat
/// start together) cannot both find no row and both insert one.
pub fn heartbeat(conn: &mut DbConnection, worker: &str, now: NaiveDateTime) -> QueryResult<usize> {
    use diesel::sql_types::{Text, Timestamp};
    diesel::sql_query(
        "INSERT INTO workers (id, heartbeat_at) VALUES ($1, $2) \
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
    )
    .bind::<Text, _>(worker)
    .bind::<Timestamp, _>(now)
    .execute(conn)
}

/// A worker that stopped cleanly, with nothing in flight, leaves.
pub fn forget_worker(conn: &mut DbConnection, worker: &str) -> QueryResult<usize> {
    diesel::delete(workers::table.find(worker)).execute(conn)
}

/// Messages claimed by a worker that stopped beating (killed in the middle of sending) were in
/// an SMTP conversation: they may or may not have arrived. Mark them `unknown` for an admin.
pub fn abandon_dead_claims(conn: &mut DbConnection, alive_since: NaiveDateTime) -> QueryResult<usize> {
    let live_workers = workers::table.filter(workers::heartbeat_at.ge(alive_since)).select(workers::id);
    let abandoned = diesel::update(
        outbox::table
            .filter(outbox::status.eq("sending"))
            .filter(outbox::claimed_by.is_null().or(outbox::claimed_by.ne_all(live_workers.nullable()))),
    )
    .set((
        outbox::status.eq("unknown"),
        outbox::last_error.eq(Some("the worker stopped while sending; delivery unknown")),
    ))
    .execute(conn)?;
    diesel::delete(workers::table.filter(workers::heartbeat_at.lt(alive_since))).execute(conn)?;
    Ok(abandoned)
}

/// Messages of an issue by status, and how many were sent since `since`.
pub fn issue_progress(conn: &mut DbConnection, issue_id: i64) -> QueryResult<Vec<(String, i64)>> {
    outbox::table
        .filter(outbox::issue_id.eq(issue_id))
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .load(conn)
}

pub fn sent_since(conn: &mut DbConnection, issue_id: i64, since: NaiveDateTime) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::issue_id.eq(issue_id))
        .filter(outbox::status.eq("sent"))
        .filter(outbox::sent_at.ge(since))
        .count()
        .get_result(conn)
}

/// Jobs not yet sent, by kind and status. Sent jobs are left out: they only accumulate.
pub fn depth(conn: &mut DbConnection) -> QueryResult<Vec<(String, String, i64)>> {
    outbox::table
        .filter(outbox::status.ne("sent"))
        .group_by((outbox::kind, outbox::status))
        .select((outbox::kind, outbox::status, diesel::dsl::count_star()))
        .order((outbox::kind, outbox::status))
        .load(conn)
}

pub fn count_by_status(conn: &mut DbConnection, status: &str) -> QueryResult<i64> {
    outbox::table.filter(outbox::status.eq(status)).count().get_result(conn)
}

/// Messages to one address, newest first (for tests and the admin's view).
pub fn for_recipient(conn: &mut DbConnection, recipient: &str) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::recipient.eq(recipient))
        .order(outbox::id.desc())
        .select(OutboxRow::as_select())
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_kinds_round_trip_and_unknown_kinds_are_refused() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::try_from(kind.as_str().to_owned()), Ok(kind));
        }
        assert_eq!(JobKind::try_from("sms".to_owned()), Err(UnknownKind("sms".to_owned())));
        assert_eq!(JobKind::try_from("Email".to_owned()), Err(UnknownKind("Email".to_owned())));
    }
}
