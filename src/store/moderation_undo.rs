//! What a moderator's decision on a comment changed, so that they can undo it for a few seconds.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{comment_flags, comments, moderation_log, moderation_undo, outbox, users};
use super::DbConnection;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = moderation_undo)]
pub struct NewUndo {
    pub batch: String,
    pub actor_id: i64,
    pub comment_id: i64,
    pub action: &'static str,
    pub log_id: i64,
    pub status: String,
    pub status_after: String,
    pub reported: bool,
    pub flag_weight: i64,
    pub system_reasons: String,
    pub queued_at: Option<NaiveDateTime>,
    pub removal_reason: Option<String>,
    pub removal_note: Option<String>,
    pub moderated_at: Option<NaiveDateTime>,
    pub moderated_by: Option<i64>,
    pub resolved_flags: String,
    pub flags_upheld: bool,
    pub counted_approval: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = moderation_undo)]
pub struct UndoRow {
    pub id: i64,
    pub batch: String,
    pub actor_id: i64,
    pub comment_id: i64,
    pub action: String,
    pub log_id: i64,
    pub status: String,
    pub status_after: String,
    pub reported: bool,
    pub flag_weight: i64,
    pub system_reasons: String,
    pub queued_at: Option<NaiveDateTime>,
    pub removal_reason: Option<String>,
    pub removal_note: Option<String>,
    pub moderated_at: Option<NaiveDateTime>,
    pub moderated_by: Option<i64>,
    pub resolved_flags: String,
    pub flags_upheld: bool,
    pub counted_approval: bool,
    pub created_at: NaiveDateTime,
    pub undone_at: Option<NaiveDateTime>,
}

impl UndoRow {
    pub fn resolved_flag_ids(&self) -> Vec<i64> {
        self.resolved_flags.split(',').filter_map(|id| id.trim().parse().ok()).collect()
    }
}

pub fn insert(conn: &mut DbConnection, undo: &NewUndo) -> QueryResult<usize> {
    diesel::insert_into(moderation_undo::table).values(undo).execute(conn)
}

/// A batch's rows with the comment authors' usernames, in comment order.
pub fn batch(conn: &mut DbConnection, batch: &str) -> QueryResult<Vec<(UndoRow, String)>> {
    moderation_undo::table
        .inner_join(comments::table.on(comments::id.eq(moderation_undo::comment_id)))
        .inner_join(users::table.on(users::id.eq(comments::author_id)))
        .filter(moderation_undo::batch.eq(batch))
        .order(moderation_undo::comment_id.asc())
        .select((UndoRow::as_select(), users::username))
        .load(conn)
}

pub fn mark_undone(conn: &mut DbConnection, batch: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(moderation_undo::table.filter(moderation_undo::batch.eq(batch)))
        .set(moderation_undo::undone_at.eq(Some(now)))
        .execute(conn)
}

/// The newest log entry on a comment.
pub fn latest_log_id(conn: &mut DbConnection, comment_id: i64) -> QueryResult<Option<i64>> {
    moderation_log::table
        .filter(moderation_log::comment_id.eq(comment_id))
        .select(diesel::dsl::max(moderation_log::id))
        .first(conn)
}

/// The comment's open flags, which a decision is about to close.
pub fn open_flag_ids(conn: &mut DbConnection, comment_id: i64) -> QueryResult<Vec<i64>> {
    comment_flags::table
        .filter(comment_flags::comment_id.eq(comment_id))
        .filter(comment_flags::status.eq("open"))
        .order(comment_flags::id.asc())
        .select(comment_flags::id)
        .load(conn)
}

/// Open again flags a decision closed, and take the decision off each flagger's record.
pub fn reopen_flags(conn: &mut DbConnection, ids: &[i64], upheld: bool) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    let flaggers: Vec<i64> =
        comment_flags::table.filter(comment_flags::id.eq_any(ids)).select(comment_flags::user_id).load(conn)?;
    let reopened = diesel::update(comment_flags::table.filter(comment_flags::id.eq_any(ids)))
        .set((comment_flags::status.eq("open"), comment_flags::resolved_at.eq(None::<NaiveDateTime>)))
        .execute(conn)?;
    let flaggers = users::table.filter(users::id.eq_any(&flaggers));
    if upheld {
        diesel::update(flaggers).set(users::flags_upheld.eq(users::flags_upheld - 1)).execute(conn)?;
    } else {
        diesel::update(flaggers).set(users::flags_dismissed.eq(users::flags_dismissed - 1)).execute(conn)?;
    }
    Ok(reopened)
}

/// Put back the moderation state a decision replaced (the status is changed separately, with
/// its counts).
pub fn restore(conn: &mut DbConnection, undo: &UndoRow) -> QueryResult<usize> {
    diesel::update(comments::table.find(undo.comment_id))
        .set((
            comments::reported.eq(undo.reported),
            comments::flag_weight.eq(undo.flag_weight),
            comments::system_reasons.eq(&undo.system_reasons),
            comments::queued_at.eq(undo.queued_at),
            comments::removal_reason.eq(&undo.removal_reason),
            comments::removal_note.eq(&undo.removal_note),
            comments::moderated_at.eq(undo.moderated_at),
            comments::moderated_by.eq(undo.moderated_by),
        ))
        .execute(conn)
}

pub fn uncount_approval(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::approved_comments.eq(users::approved_comments - 1))
        .execute(conn)
}

/// Hold a queued message until `until` (a reply notification waits out the undo window).
pub fn postpone_message(conn: &mut DbConnection, dedup_key: &str, until: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table.filter(outbox::dedup_key.eq(dedup_key)).filter(outbox::status.eq("queued")))
        .set(outbox::next_attempt_at.eq(until))
        .execute(conn)
}

/// Drop a message that has not gone out yet.
pub fn cancel_message(conn: &mut DbConnection, dedup_key: &str) -> QueryResult<usize> {
    diesel::delete(outbox::table.filter(outbox::dedup_key.eq(dedup_key)).filter(outbox::status.eq("queued")))
        .execute(conn)
}
