//! Subscribers, newsletter issues and account e-mail tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{email_tokens, newsletter_issues, outbox, subscribers};
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = subscribers)]
pub struct SubscriberRow {
    pub id: i64,
    pub email: String,
    pub email_key: String,
    pub status: String,
    pub user_id: Option<i64>,
    pub confirm_token_hash: Option<String>,
    pub confirm_expires_at: Option<NaiveDateTime>,
    pub confirm_sent_at: Option<NaiveDateTime>,
    pub unsubscribe_token: String,
    pub created_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub unsubscribed_at: Option<NaiveDateTime>,
}

pub fn find_subscriber_by_key(conn: &mut DbConnection, email_key: &str) -> QueryResult<Option<SubscriberRow>> {
    subscribers::table
        .filter(subscribers::email_key.eq(email_key))
        .select(SubscriberRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_subscriber_by_confirm_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<SubscriberRow>> {
    subscribers::table
        .filter(subscribers::confirm_token_hash.eq(hash))
        .select(SubscriberRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_subscriber_by_unsubscribe_token(
    conn: &mut DbConnection,
    token: &str,
) -> QueryResult<Option<SubscriberRow>> {
    subscribers::table
        .filter(subscribers::unsubscribe_token.eq(token))
        .select(SubscriberRow::as_select())
        .first(conn)
        .optional()
}

pub fn unsubscribe_token_of(conn: &mut DbConnection, id: i64) -> QueryResult<Option<String>> {
    subscribers::table.find(id).select(subscribers::unsubscribe_token).first(conn).optional()
}

pub fn insert_subscriber(
    conn: &mut DbConnection,
    email: &str,
    email_key: &str,
    status: &str,
    user_id: Option<i64>,
    unsubscribe_token: &str,
    now: NaiveDateTime,
) -> QueryResult<SubscriberRow> {
    diesel::insert_into(subscribers::table)
        .values((
            subscribers::email.eq(email),
            subscribers::email_key.eq(email_key),
            subscribers::status.eq(status),
            subscribers::user_id.eq(user_id),
            subscribers::unsubscribe_token.eq(unsubscribe_token),
            subscribers::created_at.eq(now),
            subscribers::confirmed_at.eq((status == "confirmed").then_some(now)),
        ))
        .returning(subscribers::all_columns)
        .get_result(conn)
}

/// Start (or restart) double opt-in: a new confirmation token, valid until `expires`.
pub fn set_confirmation(
    conn: &mut DbConnection,
    id: i64,
    token_hash: &str,
    expires: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(subscribers::table.find(id))
        .set((
            subscribers::confirm_token_hash.eq(Some(token_hash)),
            subscribers::confirm_expires_at.eq(Some(expires)),
            subscribers::confirm_sent_at.eq(Some(now)),
        ))
        .execute(conn)
}

pub fn mark_reminded(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(subscribers::table.find(id)).set(subscribers::confirm_sent_at.eq(Some(now))).execute(conn)
}

pub fn set_subscriber_address(conn: &mut DbConnection, id: i64, email: &str, email_key: &str) -> QueryResult<usize> {
    diesel::update(subscribers::table.find(id))
        .set((subscribers::email.eq(email), subscribers::email_key.eq(email_key)))
        .execute(conn)
}

pub fn set_subscriber_status(conn: &mut DbConnection, id: i64, status: &str, now: NaiveDateTime) -> QueryResult<usize> {
    let confirmed = status == "confirmed";
    let gone = matches!(status, "unsubscribed" | "bounced");
    let query = diesel::update(subscribers::table.find(id));
    if confirmed {
        query
            .set((
                subscribers::status.eq(status),
                subscribers::confirmed_at.eq(Some(now)),
                subscribers::unsubscribed_at.eq(None::<NaiveDateTime>),
                subscribers::confirm_token_hash.eq(None::<String>),
                subscribers::confirm_expires_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
    } else if gone {
        query
            .set((
                subscribers::status.eq(status),
                subscribers::unsubscribed_at.eq(Some(now)),
                subscribers::confirm_token_hash.eq(None::<String>),
                subscribers::confirm_expires_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
    } else {
        query.set(subscribers::status.eq(status)).execute(conn)
    }
}

pub fn subscriber_counts(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    subscribers::table.group_by(subscribers::status).select((subscribers::status, diesel::dsl::count_star())).load(conn)
}

pub fn list_subscribers(
    conn: &mut DbConnection,
    search: Option<&str>,
    status: Option<&str>,
    limit: Option<i64>,
) -> QueryResult<Vec<SubscriberRow>> {
    let mut query = subscribers::table.select(SubscriberRow::as_select()).into_boxed();
    if let Some(fragment) = search.map(str::trim).filter(|s| !s.is_empty()) {
        query =
            query.filter(subscribers::email_key.like(format!("%{}%", fragment.to_lowercase().replace(['%', '_'], ""))));
    }
    if let Some(status) = status.filter(|s| !s.is_empty()) {
        query = query.filter(subscribers::status.eq(status.to_owned()));
    }
    let query = query.order(subscribers::id.desc());
    match limit {
        Some(limit) => query.limit(limit).load(conn),
        None => query.load(conn),
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = newsletter_issues)]
pub struct IssueRow {
    pub id: i64,
    pub subject: String,
    pub body_md: String,
    pub body_html: String,
    pub body_text: String,
    pub kind: String,
    pub status: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub queued_at: Option<NaiveDateTime>,
    pub recipients: i64,
}

pub struct IssueContent<'a> {
    pub subject: &'a str,
    pub body_md: &'a str,
    pub body_html: &'a str,
    pub body_text: &'a str,
}

pub fn insert_issue(
    conn: &mut DbConnection,
    content: &IssueContent<'_>,
    kind: &str,
    created_by: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<IssueRow> {
    diesel::insert_into(newsletter_issues::table)
        .values((
            newsletter_issues::subject.eq(content.subject),
            newsletter_issues::body_md.eq(content.body_md),
            newsletter_issues::body_html.eq(content.body_html),
            newsletter_issues::body_text.eq(content.body_text),
            newsletter_issues::kind.eq(kind),
            newsletter_issues::status.eq("draft"),
            newsletter_issues::created_by.eq(created_by),
            newsletter_issues::created_at.eq(now),
            newsletter_issues::updated_at.eq(now),
        ))
        .returning(newsletter_issues::all_columns)
        .get_result(conn)
}

pub fn update_issue(
    conn: &mut DbConnection,
    id: i64,
    content: &IssueContent<'_>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(newsletter_issues::table.find(id).filter(newsletter_issues::status.eq("draft")))
        .set((
            newsletter_issues::subject.eq(content.subject),
            newsletter_issues::body_md.eq(content.body_md),
            newsletter_issues::body_html.eq(content.body_html),
            newsletter_issues::body_text.eq(content.body_text),
            newsletter_issues::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn find_issue(conn: &mut DbConnection, id: i64) -> QueryResult<Option<IssueRow>> {
    newsletter_issues::table.find(id).select(IssueRow::as_select()).first(conn).optional()
}

pub fn list_issues(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<IssueRow>> {
    newsletter_issues::table.order(newsletter_issues::id.desc()).limit(limit).select(IssueRow::as_select()).load(conn)
}

pub fn latest_digest_since(conn: &mut DbConnection, since: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        newsletter_issues::table
            .filter(newsletter_issues::kind.eq("digest"))
            .filter(newsletter_issues::status.ne("draft"))
            .filter(newsletter_issues::queued_at.ge(since)),
    ))
    .get_result(conn)
}

/// Claim a draft for sending; 0 when it is no longer a draft.
pub fn start_sending(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(newsletter_issues::table.find(id).filter(newsletter_issues::status.eq("draft")))
        .set((newsletter_issues::status.eq("sending"), newsletter_issues::queued_at.eq(Some(now))))
        .execute(conn)
}

pub fn set_recipients(conn: &mut DbConnection, id: i64, recipients: i64) -> QueryResult<usize> {
    diesel::update(newsletter_issues::table.find(id)).set(newsletter_issues::recipients.eq(recipients)).execute(conn)
}

/// An issue whose every message has left the queue is sent.
pub fn finish_sent_issues(conn: &mut DbConnection) -> QueryResult<usize> {
    let busy = outbox::table
        .filter(outbox::issue_id.eq(newsletter_issues::id.nullable()))
        .filter(outbox::status.eq_any(["queued", "sending"]));
    diesel::update(
        newsletter_issues::table
            .filter(newsletter_issues::status.eq("sending"))
            .filter(diesel::dsl::not(diesel::dsl::exists(busy))),
    )
    .set(newsletter_issues::status.eq("sent"))
    .execute(conn)
}

pub fn insert_email_token(
    conn: &mut DbConnection,
    user_id: i64,
    purpose: &str,
    token_hash: &str,
    expires: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::user_id.eq(user_id),
            email_tokens::purpose.eq(purpose),
            email_tokens::token_hash.eq(token_hash),
            email_tokens::expires_at.eq(expires),
            email_tokens::created_at.eq(now),
        ))
        .execute(conn)
}

/// A live (unused, unexpired) token: its user.
pub fn live_email_token(
    conn: &mut DbConnection,
    purpose: &str,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(i64, i64)>> {
    email_tokens::table
        .filter(email_tokens::purpose.eq(purpose))
        .filter(email_tokens::token_hash.eq(token_hash))
        .filter(email_tokens::used_at.is_null())
        .filter(email_tokens::expires_at.gt(now))
        .select((email_tokens::id, email_tokens::user_id))
        .first(conn)
        .optional()
}

/// Use a token once; 0 when it was already used.
/// A link that moves `user_id` to `new_email` once it is followed.
pub fn insert_email_change_token(
    conn: &mut DbConnection,
    user_id: i64,
    new_email: &str,
    token_hash: &str,
    expires: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::user_id.eq(user_id),
            email_tokens::purpose.eq("change_email"),
            email_tokens::token_hash.eq(token_hash),
            email_tokens::expires_at.eq(expires),
            email_tokens::created_at.eq(now),
            email_tokens::new_email.eq(Some(new_email)),
        ))
        .execute(conn)
}

/// A live e-mail change link: its id, its account and the address it moves the account to.
pub fn live_email_change(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(i64, i64, Option<String>)>> {
    email_tokens::table
        .filter(email_tokens::purpose.eq("change_email"))
        .filter(email_tokens::token_hash.eq(token_hash))
        .filter(email_tokens::used_at.is_null())
        .filter(email_tokens::expires_at.gt(now))
        .select((email_tokens::id, email_tokens::user_id, email_tokens::new_email))
        .first(conn)
        .optional()
}

/// Forget every link an account was sent (its account is being deleted).
pub fn delete_email_tokens(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(email_tokens::table.filter(email_tokens::user_id.eq(user_id))).execute(conn)
}

/// Links of one purpose not yet followed, made void (a newer one replaces them).
pub fn void_email_tokens(
    conn: &mut DbConnection,
    user_id: i64,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user_id))
            .filter(email_tokens::purpose.eq(purpose))
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(Some(now)))
    .execute(conn)
}

pub fn use_email_token(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(email_tokens::table.find(id).filter(email_tokens::used_at.is_null()))
        .set(email_tokens::used_at.eq(Some(now)))
        .execute(conn)
}

pub fn latest_email_token_at(
    conn: &mut DbConnection,
    user_id: i64,
    purpose: &str,
) -> QueryResult<Option<NaiveDateTime>> {
    email_tokens::table
        .filter(email_tokens::user_id.eq(user_id))
        .filter(email_tokens::purpose.eq(purpose))
        .select(diesel::dsl::max(email_tokens::created_at))
        .first(conn)
}
