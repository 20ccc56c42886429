//! The moderation log: every moderator and automatic action, written in the same transaction
//! as the action. Entries are built by named constructors, one per kind of action.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{articles, comments, moderation_log, users};
use super::DbConnection;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = moderation_log)]
pub struct NewLogEntry {
    pub actor_id: Option<i64>,
    pub rule: Option<String>,
    pub action: &'static str,
    pub comment_id: Option<i64>,
    pub target_user_id: Option<i64>,
    pub article_id: Option<i64>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Who acted: a moderator, or a rule of the policy.
#[derive(Debug, Clone)]
pub enum Actor {
    Moderator(i64),
    Rule(String),
}

impl NewLogEntry {
    fn new(actor: Actor, action: &'static str, now: NaiveDateTime) -> NewLogEntry {
        let (actor_id, rule) = match actor {
            Actor::Moderator(id) => (Some(id), None),
            Actor::Rule(rule) => (None, Some(rule)),
        };
        NewLogEntry {
            actor_id,
            rule,
            action,
            comment_id: None,
            target_user_id: None,
            article_id: None,
            reason: None,
            note: None,
            created_at: now,
        }
    }

    fn on_comment(mut self, comment_id: i64, author_id: i64, article_id: i64) -> NewLogEntry {
        self.comment_id = Some(comment_id);
        self.target_user_id = Some(author_id);
        self.article_id = Some(article_id);
        self
    }

    fn because(mut self, reason: Option<&str>, note: Option<&str>) -> NewLogEntry {
        self.reason = reason.map(str::to_owned);
        self.note = note.map(str::to_owned).filter(|n| !n.is_empty());
        self
    }

    pub fn held(rule: &str, comment: (i64, i64, i64), detail: &str, now: NaiveDateTime) -> NewLogEntry {
        NewLogEntry::new(Actor::Rule(rule.to_owned()), "hold", now)
            .on_comment(comment.0, comment.1, comment.2)
            .because(Some(rule), Some(detail))
    }

    pub fn reported(rule: &str, comment: (i64, i64, i64), detail: &str, now: NaiveDateTime) -> NewLogEntry {
        NewLogEntry::new(Actor::Rule(rule.to_owned()), "report", now)
            .on_comment(comment.0, comment.1, comment.2)
            .because(Some(rule), Some(detail))
    }

    pub fn rejected(rule: &str, author_id: i64, article_id: i64, detail: &str, now: NaiveDateTime) -> NewLogEntry {
        let mut entry = NewLogEntry::new(Actor::Rule(rule.to_owned()), "reject", now).because(Some(rule), Some(detail));
        entry.target_user_id = Some(author_id);
        entry.article_id = Some(article_id);
        entry
    }

    pub fn hidden_by_flags(comment: (i64, i64, i64), weight: &str, now: NaiveDateTime) -> NewLogEntry {
        NewLogEntry::new(Actor::Rule("flag_threshold".into()), "hide", now)
            .on_comment(comment.0, comment.1, comment.2)
            .because(Some("flag_threshold"), Some(weight))
    }

    pub fn approved(moderator: i64, comment: (i64, i64, i64), now: NaiveDateTime) -> NewLogEntry {
        NewLogEntry::new(Actor::Moderator(moderator), "approve", now).on_comment(comment.0, comment.1, comment.2)
    }

    pub fn removed(
        moderator: i64,
        comment: (i64, i64, i64),
        reason: &str,
        note: Option<&str>,
        now: NaiveDateTime,
    ) -> NewLogEntry {
        NewLogEntry::new(Actor::Moderator(moderator), "remove", now)
            .on_comment(comment.0, comment.1, comment.2)
            .because(Some(reason), note)
    }

    /// A moderator undid their decision (`action`) on a comment within the undo window.
    pub fn undone(moderator: i64, comment: (i64, i64, i64), action: &str, now: NaiveDateTime) -> NewLogEntry {
        NewLogEntry::new(Actor::Moderator(moderator), "undo", now)
            .on_comment(comment.0, comment.1, comment.2)
            .because(Some(action), None)
    }

    pub fn flags_dismissed(moderator: i64, comment: (i64, i64, i64), now: NaiveDateTime) -> NewLogEntry {
        NewLogEntry::new(Actor::Moderator(moderator), "dismiss_flags", now).on_comment(comment.0, comment.1, comment.2)
    }

    pub fn featured(moderator: i64, comment: (i64, i64, i64), featured: bool, now: NaiveDateTime) -> NewLogEntry {
        NewLogEntry::new(Actor::Moderator(moderator), if featured { "feature" } else { "unfeature" }, now)
            .on_comment(comment.0, comment.1, comment.2)
    }

    fn on_user(
        moderator: i64,
        action: &'static str,
        user_id: i64,
        reason: Option<&str>,
        note: Option<&str>,
        now: NaiveDateTime,
    ) -> NewLogEntry {
        let mut entry = NewLogEntry::new(Actor::Moderator(moderator), action, now).because(reason, note);
        entry.target_user_id = Some(user_id);
        entry
    }

    pub fn suspended(
        moderator: i64,
        user_id: i64,
        reason: &str,
        until: NaiveDateTime,
        now: NaiveDateTime,
    ) -> NewLogEntry {
        let until = format!("until {}", until.format("%Y-%m-%d %H:%M UTC"));
        NewLogEntry::on_user(moderator, "suspend", user_id, Some(reason), Some(&until), now)
    }

    pub fn banned(moderator: i64, user_id: i64, reason: &str, now: NaiveDateTime) -> NewLogEntry {
        NewLogEntry::on_user(moderator, "ban", user_id, Some(reason), None, now)
    }

    pub fn unbanned(moderator: i64, user_id: i64, now: NaiveDateTime) -> NewLogEntry {
        NewLogEntry::on_user(moderator, "unban", user_id, None, None, now)
    }

    pub fn always_review(moderator: i64, user_id: i64, on: bool, now: NaiveDateTime) -> NewLogEntry {
        NewLogEntry::on_user(moderator, if on { "review_on" } else { "review_off" }, user_id, None, None, now)
    }

    /// `admin: None` is the operator at the command line.
    pub fn role_changed(admin: Option<i64>, user_id: i64, role: &str, now: NaiveDateTime) -> NewLogEntry {
        let actor = match admin {
            Some(id) => Actor::Moderator(id),
            None => Actor::Rule("command_line".into()),
        };
        let mut entry = NewLogEntry::new(actor, "set_role", now).because(Some(role), None);
        entry.target_user_id = Some(user_id);
        entry
    }

    pub fn thread(moderator: Option<i64>, article_id: i64, open: bool, now: NaiveDateTime) -> NewLogEntry {
        let actor = match moderator {
            Some(id) => Actor::Moderator(id),
            None => Actor::Rule("auto_close".into()),
        };
        let mut entry = NewLogEntry::new(actor, if open { "reopen" } else { "close" }, now);
        entry.article_id = Some(article_id);
        entry
    }

    /// An admin renamed (`rename_thread`), moved (`move_thread`) or merged (`merge_thread`) an
    /// external thread; `note` says what it was before, or which thread went into it.
    pub fn thread_changed(
        admin: i64,
        article_id: i64,
        action: &'static str,
        note: &str,
        now: NaiveDateTime,
    ) -> NewLogEntry {
        let mut entry = NewLogEntry::new(Actor::Moderator(admin), action, now).because(None, Some(note));
        entry.article_id = Some(article_id);
        entry
    }

    /// A reader deleted their own account; `note` says what became of their comments.
    pub fn account_deleted(user_id: i64, note: &str, now: NaiveDateTime) -> NewLogEntry {
        let mut entry = NewLogEntry::new(Actor::Moderator(user_id), "delete_account", now).because(None, Some(note));
        entry.target_user_id = Some(user_id);
        entry
    }

    pub fn settings_changed(admin: i64, what: &str, now: NaiveDateTime) -> NewLogEntry {
        NewLogEntry::new(Actor::Moderator(admin), "settings", now).because(None, Some(what))
    }
}

pub fn write(conn: &mut DbConnection, entry: &NewLogEntry) -> QueryResult<usize> {
    diesel::insert_into(moderation_log::table).values(entry).execute(conn)
}

/// A log entry as moderators read it, with names instead of ids.
#[derive(Debug, Clone, Queryable)]
pub struct LogRow {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub action: String,
    pub actor_id: Option<i64>,
    pub rule: Option<String>,
    pub comment_id: Option<i64>,
    pub target_user_id: Option<i64>,
    pub article_id: Option<i64>,
    pub reason: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub action: Option<String>,
    pub actor_id: Option<i64>,
    pub target_user_id: Option<i64>,
    pub article_id: Option<i64>,
    pub automatic_only: bool,
    /// Entries older than this id (newest first paging).
    pub before: Option<i64>,
}

pub fn list(conn: &mut DbConnection, filter: &LogFilter, limit: i64) -> QueryResult<Vec<LogRow>> {
    let mut query = moderation_log::table
        .select((
            moderation_log::id,
            moderation_log::created_at,
            moderation_log::action,
            moderation_log::actor_id,
            moderation_log::rule,
            moderation_log::comment_id,
            moderation_log::target_user_id,
            moderation_log::article_id,
            moderation_log::reason,
            moderation_log::note,
        ))
        .into_boxed();
    if let Some(action) = &filter.action {
        query = query.filter(moderation_log::action.eq(action.clone()));
    }
    if let Some(actor) = filter.actor_id {
        query = query.filter(moderation_log::actor_id.eq(actor));
    }
    if filter.automatic_only {
        query = query.filter(moderation_log::actor_id.is_null());
    }
    if let Some(target) = filter.target_user_id {
        query = query.filter(moderation_log::target_user_id.eq(target));
    }
    if let Some(article) = filter.article_id {
        query = query.filter(moderation_log::article_id.eq(article));
    }
    if let Some(before) = filter.before {
        query = query.filter(moderation_log::id.lt(before));
    }
    query.order(moderation_log::id.desc()).limit(limit).load(conn)
}

/// Names for the ids a page of log entries mentions.
pub fn usernames(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    users::table.filter(users::id.eq_any(ids)).select((users::id, users::username)).load(conn)
}

pub fn article_titles(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<(i64, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    articles::table.filter(articles::id.eq_any(ids)).select((articles::id, articles::slug, articles::title)).load(conn)
}

/// Removed comments on an article by reason code, for the public summary.
pub fn removals_by_reason(conn: &mut DbConnection, article_id: i64) -> QueryResult<Vec<(Option<String>, i64)>> {
    comments::table
        .filter(comments::article_id.eq(article_id))
        .filter(comments::status.eq("removed"))
        .group_by(comments::removal_reason)
        .select((comments::removal_reason, diesel::dsl::count_star()))
        .load(conn)
}
