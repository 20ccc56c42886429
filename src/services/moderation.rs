//! Flags, the moderators' queue and their actions, sanctions, and the audit log. Every action
//! writes its log entry in the same transaction.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};

use super::account_emails::{self, Site};
use super::live;
use super::rate_limits;
use super::settings;
use super::threads::{change_status, find_comment, lock_comment};
use super::tokens;
use super::webhooks::{self, Detail};
use super::{require_role, App};
use crate::domain::account::User;
use crate::domain::moderation::{self as policy, Check, RemovalReason};
use crate::domain::role::Role;
use crate::domain::thread::Status;
use crate::domain::username::Username;
use crate::domain::webhook::Event;
use crate::domain::Invalid;
use crate::error::Error;
use crate::store::comments::CommentRow;
use crate::store::moderation::{self as store_moderation, QueueCursor, Tab};
use crate::store::moderation_log::{self, LogFilter, NewLogEntry};
use crate::store::moderation_undo::{self, NewUndo, UndoRow};
use crate::store::{articles, sessions, users, DbConnection};

pub use crate::store::comments::CommentRow as QueuedComment;
pub use crate::store::moderation::FlagView;
pub use crate::store::moderation::Tab as QueueTab;
pub use crate::store::moderation_log::LogRow;

pub const QUEUE_PAGE_SIZE: i64 = 25;

/// Nobody acts on an account of equal or higher role.
fn outranks(actor: &User, target_role: &str) -> Result<(), Error> {
    let target = Role::parse(target_role).unwrap_or(Role::Reader);
    if target >= actor.role {
        return Err(Error::forbidden("You cannot act on an account of your rank or higher."));
    }
    Ok(())
}

/// Who may decide on a comment: nobody on their own, and only an admin on one an admin removed
/// (a moderator cannot overturn or rewrite an admin's removal).
fn may_decide(conn: &mut DbConnection, moderator: &User, comment: &CommentRow) -> Result<(), Error> {
    if comment.author_id == moderator.id {
        return Err(Error::forbidden("You cannot moderate your own comment: another moderator decides on it."));
    }
    if Status::from_db(&comment.status) == Status::Removed && !moderator.is_admin() {
        let remover = comment.moderated_by.map(|id| users::find(conn, id)).transpose()?.flatten();
        if remover.is_some_and(|r| Role::parse(&r.role).unwrap_or(Role::Reader) == Role::Admin) {
            return Err(Error::forbidden("An admin removed this comment: only an admin can change that decision."));
        }
    }
    Ok(())
}

fn place(comment: &CommentRow) -> (i64, i64, i64) {
    (comment.id, comment.author_id, comment.article_id)
}

/// What a reader hears back after flagging.
pub struct Flagged {
    pub hidden: bool,
}

/// A reader flags a comment (not their own, once). When the weighted flags reach the threshold
/// the comment leaves public view for the queue.
pub async fn flag(
    app: &App,
    reader: &User,
    comment_id: i64,
    reason: &str,
    note: Option<&str>,
) -> Result<Flagged, Error> {
    reader.ensure_can_participate(app.clock.now())?;
    let (reason, note) = policy::validate_flag(reason, note)?;
    let site = settings::current(app).await?;
    let reader = reader.clone();
    let limit = app.limits_on().then_some(app.settings.limits.flags_per_day);
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        // Locked: the status and flag weight read here decide what is written below.
        let comment = lock_comment(conn, comment_id)?;
        if Status::from_db(&comment.status) != Status::Published {
            return Err(Error::not_found("That comment"));
        }
        if comment.author_id == reader.id {
            return Err(Error::forbidden("You cannot flag your own comment."));
        }
        if let Some(max) = limit {
            let (count, earliest) = store_moderation::flags_by_user_since(conn, reader.id, now - Duration::days(1))?;
            if count >= max {
                let wait = rate_limits::seconds_until(now, earliest.unwrap_or(now) + Duration::days(1));
                return Err(rate_limits::limited(
                    wait,
                    format!("You can flag {max} comments a day. Try again in {}.", rate_limits::human_wait(wait)),
                ));
            }
        }
        let account = users::find(conn, reader.id)?.ok_or(Error::Unauthenticated)?;
        let weight = policy::flag_weight_milli(account.flags_upheld, account.flags_dismissed);
        if store_moderation::insert_flag(conn, comment_id, reader.id, reason.as_str(), note.as_deref(), weight, now)?
            == 0
        {
            return Err(Error::Conflict(Invalid::new(
                "reason",
                "You have already flagged this comment. Thank you: moderators will look at it.",
            )));
        }
        let queued_at = if comment.reported { comment.queued_at.unwrap_or(now) } else { now };
        store_moderation::add_flag_weight(conn, comment_id, weight, queued_at)?;
        let total = comment.flag_weight + weight;
        let hidden = policy::flags_reach_threshold(total, site.policy.flag_threshold);
        if hidden {
            change_status(conn, &comment, Status::Pending, now)?;
            let weight_text = format!(
                "flag weight {:.2} reached the threshold {}",
                total as f64 / 1000.0,
                site.policy.flag_threshold
            );
            moderation_log::write(conn, &NewLogEntry::hidden_by_flags(place(&comment), &weight_text, now))?;
        }
        webhooks::announce(
            conn,
            Event::ReaderFlagged,
            comment_id,
            Detail::Flag { reason: reason.as_str(), hidden },
            now,
        )?;
        live::record_queue(comment.article_id, comment_id, now)?;
        Ok(Flagged { hidden })
    })
    .await
}

/// A moderator's decision on comments in the queue.
#[derive(Debug, Clone)]
pub enum CommentAction {
    Approve,
    Remove { reason: RemovalReason, note: Option<String> },
    DismissFlags,
    RemoveAndBan { reason: RemovalReason, note: Option<String> },
}

impl CommentAction {
    /// Parse an action from its name and the form's reason and note.
    pub fn parse(action: &str, reason: Option<&str>, note: Option<&str>) -> Result<CommentAction, Invalid> {
        let note = note.map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
        if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
            return Err(Invalid::new("note", "A note to the author has at most 1000 characters."));
        }
        let removal_reason = || -> Result<RemovalReason, Invalid> {
            RemovalReason::parse(reason.unwrap_or(""))
                .map_err(|_| Invalid::new("reason", "Choose a reason for the removal."))
        };
        match action {
            "approve" => Ok(CommentAction::Approve),
            "remove" => Ok(CommentAction::Remove { reason: removal_reason()?, note }),
            "dismiss-flags" | "dismiss_flags" => Ok(CommentAction::DismissFlags),
            "remove-and-ban" | "remove_and_ban" | "ban" => {
                Ok(CommentAction::RemoveAndBan { reason: removal_reason()?, note })
            }
            _ => Err(Invalid::new("action", "Choose approve, remove, dismiss flags, or remove and ban.")),
        }
    }
}

/// How long a moderator may undo a decision on comments. The reply notification an approval
/// sends waits this long, so that an undone approval has told nobody.
pub const UNDO_SECONDS: i64 = 30;

fn undo_window() -> Duration {
    Duration::seconds(UNDO_SECONDS)
}

impl CommentAction {
    fn name(&self) -> &'static str {
        match self {
            CommentAction::Approve => "approve",
            CommentAction::Remove { .. } => "remove",
            CommentAction::DismissFlags => "dismiss-flags",
            CommentAction::RemoveAndBan { .. } => "remove-and-ban",
        }
    }
}

/// What a decision did, and how to undo it while it can be.
#[derive(Debug, Clone)]
pub struct Decision {
    pub done: usize,
    /// The token that undoes it, for `UNDO_SECONDS`. None for remove-and-ban: a ban ends the
    /// author's sessions, which no undo can give back, so it is confirmed before instead.
    pub undo: Option<String>,
}

/// Apply one action to comments (one or many, for bulk actions), in one transaction.
pub async fn act_on_comments(
    app: &App,
    moderator: &User,
    mut ids: Vec<i64>,
    action: CommentAction,
) -> Result<Decision, Error> {
    require_role(moderator, Role::Moderator)?;
    if ids.is_empty() {
        return Err(Invalid::new("ids", "Select at least one comment.").into());
    }
    if matches!(action, CommentAction::RemoveAndBan { .. }) && !moderator.is_admin() {
        return Err(Error::forbidden("Only admins can ban readers."));
    }
    let moderator = moderator.clone();
    let site = Site::of(app);
    // Each comment's row is locked in turn: in id order, so two bulk actions on PostgreSQL take
    // their locks in the same order and never wait on each other in a cycle.
    ids.sort_unstable();
    ids.dedup();
    let clock = app.clock.clone();
    let batch = (!matches!(action, CommentAction::RemoveAndBan { .. })).then(tokens::random_token);
    app.write(move |conn| {
        let now = clock.now();
        for id in &ids {
            act_on_comment(conn, &site, &moderator, *id, &action, batch.as_deref(), now)?;
        }
        Ok(Decision { done: ids.len(), undo: batch })
    })
    .await
}

fn act_on_comment(
    conn: &mut DbConnection,
    site: &Site,
    moderator: &User,
    id: i64,
    action: &CommentAction,
    undo_batch: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), Error> {
    // Locked: the decision depends on the status and flags read here.
    let comment = lock_comment(conn, id)?;
    let status = Status::from_db(&comment.status);
    if status == Status::Deleted {
        return Err(Error::not_found("That comment"));
    }
    may_decide(conn, moderator, &comment)?;
    let closing_flags = moderation_undo::open_flag_ids(conn, id)?;
    decide_on_comment(conn, site, moderator, &comment, action, now)?;
    if let Some(batch) = undo_batch {
        let after = find_comment(conn, id)?;
        let log_id = moderation_undo::latest_log_id(conn, id)?.unwrap_or_default();
        let undo = NewUndo {
            batch: batch.to_owned(),
            actor_id: moderator.id,
            comment_id: id,
            action: action.name(),
            log_id,
            status: comment.status.clone(),
            status_after: after.status,
            reported: comment.reported,
            flag_weight: comment.flag_weight,
            system_reasons: comment.system_reasons.clone(),
            queued_at: comment.queued_at,
            removal_reason: comment.removal_reason.clone(),
            removal_note: comment.removal_note.clone(),
            moderated_at: comment.moderated_at,
            moderated_by: comment.moderated_by,
            resolved_flags: closing_flags.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
            flags_upheld: matches!(action, CommentAction::Remove { .. }),
            counted_approval: matches!(action, CommentAction::Approve) && status == Status::Pending,
            created_at: now,
        };
        moderation_undo::insert(conn, &undo)?;
    }
    Ok(())
}

fn decide_on_comment(
    conn: &mut DbConnection,
    site: &Site,
    moderator: &User,
    comment: &CommentRow,
    action: &CommentAction,
    now: NaiveDateTime,
) -> Result<(), Error> {
    let id = comment.id;
    let status = Status::from_db(&comment.status);
    let author = users::find(conn, comment.author_id)?.ok_or_else(|| Error::not_found("That comment's author"))?;
    match action {
        CommentAction::Approve => {
            if status != Status::Published {
                change_status(conn, comment, Status::Published, now)?;
            }
            if status == Status::Pending {
                store_moderation::count_approval(conn, comment.author_id)?;
                // A held reply is news to its parent's author only now that it is published,
                // and only once the approval can no longer be undone.
                if let Some(parent) = comment.parent_id.map(|p| find_comment(conn, p)).transpose()? {
                    let title = articles::find(conn, comment.article_id)?.map(|a| a.title).unwrap_or_default();
                    account_emails::queue_reply_notification(
                        conn,
                        site,
                        id,
                        comment.author_id,
                        parent.author_id,
                        &title,
                        now,
                    )?;
                    moderation_undo::postpone_message(conn, &reply_notification_key(id), now + undo_window())?;
                }
            }
            store_moderation::resolve_flags(conn, id, false, now)?;
            store_moderation::decide(conn, id, moderator.id, None, now)?;
            store_moderation::clear_reasons(conn, id)?;
            moderation_log::write(conn, &NewLogEntry::approved(moderator.id, place(comment), now))?;
            webhooks::announce(conn, Event::CommentApproved, id, Detail::None, now)?;
        }
        CommentAction::DismissFlags => {
            store_moderation::resolve_flags(conn, id, false, now)?;
            if status == Status::Removed {
                // The removal stands, with its reason and who decided it: only the flags go.
                store_moderation::queue_without_report(conn, id)?;
                moderation_log::write(conn, &NewLogEntry::flags_dismissed(moderator.id, place(comment), now))?;
                live::record_queue(comment.article_id, id, now)?;
                return Ok(());
            }
            // Hidden by flags alone, it comes back; held by a rule, it stays for a decision.
            if status == Status::Pending && comment.system_reasons.is_empty() {
                change_status(conn, comment, Status::Published, now)?;
            }
            if comment.system_reasons.is_empty() || status == Status::Published {
                store_moderation::decide(conn, id, moderator.id, None, now)?;
            } else {
                store_moderation::queue_without_report(conn, id)?;
            }
            moderation_log::write(conn, &NewLogEntry::flags_dismissed(moderator.id, place(comment), now))?;
        }
        CommentAction::Remove { reason, note } | CommentAction::RemoveAndBan { reason, note } => {
            outranks(moderator, &author.role)?;
            store_moderation::resolve_flags(conn, id, true, now)?;
            store_moderation::decide(conn, id, moderator.id, Some((reason.as_str(), note.as_deref())), now)?;
            // After the decision, so that the announcement of the removal carries its reason.
            if status != Status::Removed {
                change_status(conn, comment, Status::Removed, now)?;
            }
            moderation_log::write(
                conn,
                &NewLogEntry::removed(moderator.id, place(comment), reason.as_str(), note.as_deref(), now),
            )?;
            if matches!(action, CommentAction::RemoveAndBan { .. }) && author.banned_at.is_none() {
                ban_in(conn, moderator, &author, reason.label(), now)?;
            }
        }
    }
    // Every decision takes the comment out of a tab of the queue or moves it between tabs.
    live::record_queue(comment.article_id, id, now)?;
    Ok(())
}

fn reply_notification_key(reply_id: i64) -> String {
    format!("reply:{reply_id}")
}

/// A decision as the queue confirms it: what was done to whose comments, and whether the one
/// reading may still undo it.
#[derive(Debug, Clone)]
pub struct DecisionNotice {
    /// `approve`, `remove` or `dismiss-flags`.
    pub action: String,
    pub count: usize,
    /// The authors' usernames, each once, in comment order.
    pub authors: Vec<String>,
    /// Until when Undo works, if it still does for this moderator.
    pub undo_until: Option<NaiveDateTime>,
    pub undone: bool,
}

impl DecisionNotice {
    /// "Approved the comment by @ada.", "Removed 3 comments by @ada and @bob.", or once undone,
    /// "Undone: the comment by @ada is back as it was."
    pub fn describe(&self) -> String {
        let names: Vec<String> = self.authors.iter().map(|a| format!("@{a}")).collect();
        let by = match names.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        };
        let what =
            if self.count == 1 { format!("the comment by {by}") } else { format!("{} comments by {by}", self.count) };
        if self.undone {
            let verb = if self.count == 1 { "is" } else { "are" };
            return format!("Undone: {what} {verb} back as before.");
        }
        match self.action.as_str() {
            "approve" => format!("Approved {what}."),
            "remove" => format!("Removed {what}."),
            _ => format!("Dismissed the flags on {what}."),
        }
    }
}

fn notice_of(rows: &[(UndoRow, String)], moderator: &User, now: NaiveDateTime) -> Option<DecisionNotice> {
    let (first, _) = rows.first()?;
    let mut authors: Vec<String> = Vec::new();
    for (_, author) in rows {
        if !authors.contains(author) {
            authors.push(author.clone());
        }
    }
    let until = first.created_at + undo_window();
    let undone = first.undone_at.is_some();
    Some(DecisionNotice {
        action: first.action.clone(),
        count: rows.len(),
        authors,
        undo_until: (!undone && first.actor_id == moderator.id && now < until).then_some(until),
        undone,
    })
}

/// The confirmation of one's own decision (None for a token that is not theirs or not known).
pub async fn decision(app: &App, moderator: &User, batch: &str) -> Result<Option<DecisionNotice>, Error> {
    require_role(moderator, Role::Moderator)?;
    let batch = batch.to_owned();
    let moderator = moderator.clone();
    let clock = app.clock.clone();
    app.db(move |conn| {
        let rows = moderation_undo::batch(conn, &batch)?;
        if rows.first().is_some_and(|(row, _)| row.actor_id != moderator.id) {
            return Ok(None);
        }
        Ok(notice_of(&rows, &moderator, clock.now()))
    })
    .await
}

/// Undo a decision on comments within `UNDO_SECONDS`: each comment gets back the status,
/// reasons, flags and decision it had, the flaggers' records and the author's approvals lose
/// what the decision added, an approval's reply notification is cancelled, and the log says so.
/// Only the moderator who decided may undo it, and not after anyone has acted on the comment.
pub async fn undo(app: &App, moderator: &User, batch: &str) -> Result<DecisionNotice, Error> {
    require_role(moderator, Role::Moderator)?;
    let batch = batch.to_owned();
    let moderator = moderator.clone();
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        let rows = moderation_undo::batch(conn, &batch)?;
        let gone = || Error::not_found("That decision");
        let (first, _) = rows.first().ok_or_else(gone)?;
        if first.actor_id != moderator.id {
            return Err(gone());
        }
        let refuse = |message: &str| Error::Conflict(Invalid::new("undo", message));
        if first.undone_at.is_some() {
            return Err(refuse("That decision has already been undone."));
        }
        if now >= first.created_at + undo_window() {
            return Err(refuse(&format!(
                "A decision can be undone for {UNDO_SECONDS} seconds. Decide on the comment again from the queue."
            )));
        }
        for (row, _) in &rows {
            let comment = lock_comment(conn, row.comment_id)?;
            let acted_since = comment.status != row.status_after
                || comment.flag_weight != 0
                || moderation_undo::latest_log_id(conn, row.comment_id)? != Some(row.log_id);
            if acted_since {
                return Err(refuse(
                    "The comment has changed since (another decision, or a new flag): it stays as it is now.",
                ));
            }
            let before = Status::from_db(&row.status);
            if comment.status != row.status {
                change_status(conn, &comment, before, now)?;
            }
            moderation_undo::restore(conn, row)?;
            moderation_undo::reopen_flags(conn, &row.resolved_flag_ids(), row.flags_upheld)?;
            if row.counted_approval {
                moderation_undo::uncount_approval(conn, comment.author_id)?;
                moderation_undo::cancel_message(conn, &reply_notification_key(row.comment_id))?;
            }
            moderation_log::write(conn, &NewLogEntry::undone(moderator.id, place(&comment), &row.action, now))?;
            live::record_queue(comment.article_id, row.comment_id, now)?;
        }
        moderation_undo::mark_undone(conn, &batch, now)?;
        let rows = moderation_undo::batch(conn, &batch)?;
        Ok(notice_of(&rows, &moderator, now).expect("the batch has rows"))
    })
    .await
}

fn ban_in(
    conn: &mut DbConnection,
    admin: &User,
    target: &users::UserRow,
    reason: &str,
    now: NaiveDateTime,
) -> Result<(), Error> {
    outranks(admin, &target.role)?;
    store_moderation::set_ban(conn, target.id, Some(now), Some(reason))?;
    // The ban takes effect at once, on every instance: sessions live in the database.
    sessions::delete_for_user(conn, target.id)?;
    moderation_log::write(conn, &NewLogEntry::banned(admin.id, target.id, reason, now))?;
    Ok(())
}

/// A sanction or setting on a reader's account.
#[derive(Debug, Clone)]
pub enum UserAction {
    Suspend { reason: String, days: u32 },
    Ban { reason: String },
    Unban,
    AlwaysReview(bool),
}

fn sanction_reason(reason: &str) -> Result<String, Invalid> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Invalid::new("reason", "Give a reason: the reader is told it."));
    }
    if reason.chars().count() > 500 {
        return Err(Invalid::new("reason", "A reason has at most 500 characters."));
    }
    Ok(reason.to_owned())
}

impl UserAction {
    /// An action on an account as the page and the API name it (`suspend`, `ban`, `unban`,
    /// `review`), with what it needs.
    pub fn parse(action: &str, reason: Option<&str>, days: Option<i64>, on: Option<bool>) -> Result<UserAction, Error> {
        Ok(match action {
            "suspend" => UserAction::suspend(reason.unwrap_or(""), days)?,
            "ban" => UserAction::ban(reason.unwrap_or(""))?,
            "unban" => UserAction::Unban,
            "review" => UserAction::AlwaysReview(on.unwrap_or(true)),
            _ => return Err(Error::NotFound("There is no such moderation action.".into())),
        })
    }

    pub fn suspend(reason: &str, days: Option<i64>) -> Result<UserAction, Invalid> {
        let days = match days {
            Some(d) if (1..=365).contains(&d) => d as u32,
            _ => return Err(Invalid::new("days", "Suspend for 1 to 365 days.")),
        };
        Ok(UserAction::Suspend { reason: sanction_reason(reason)?, days })
    }

    pub fn ban(reason: &str) -> Result<UserAction, Invalid> {
        Ok(UserAction::Ban { reason: sanction_reason(reason)? })
    }
}

pub async fn act_on_user(app: &App, moderator: &User, user_id: i64, action: UserAction) -> Result<User, Error> {
    require_role(moderator, Role::Moderator)?;
    if matches!(action, UserAction::Ban { .. }) && !moderator.is_admin() {
        return Err(Error::forbidden("Only admins can ban readers."));
    }
    let moderator = moderator.clone();
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        let target = users::find(conn, user_id)?.ok_or_else(|| Error::not_found("That reader"))?;
        outranks(&moderator, &target.role)?;
        match &action {
            UserAction::Suspend { reason, days } => {
                let until = now + Duration::days(i64::from(*days));
                store_moderation::set_suspension(conn, user_id, Some(until), Some(reason))?;
                moderation_log::write(conn, &NewLogEntry::suspended(moderator.id, user_id, reason, until, now))?;
            }
            UserAction::Ban { reason } => ban_in(conn, &moderator, &target, reason, now)?,
            UserAction::Unban => {
                if target.banned_at.is_some() && !moderator.is_admin() {
                    return Err(Error::forbidden("Only admins can lift a ban."));
                }
                store_moderation::lift_sanctions(conn, user_id)?;
                moderation_log::write(conn, &NewLogEntry::unbanned(moderator.id, user_id, now))?;
            }
            UserAction::AlwaysReview(on) => {
                store_moderation::set_always_review(conn, user_id, *on)?;
                moderation_log::write(conn, &NewLogEntry::always_review(moderator.id, user_id, *on, now))?;
            }
        }
        Ok(User::from(users::find(conn, user_id)?.expect("the reader exists")))
    })
    .await
}

/// Feature a comment (shown first, in a "Featured" block), or stop featuring it.
pub async fn feature(app: &App, moderator: &User, comment_id: i64, featured: bool) -> Result<String, Error> {
    require_role(moderator, Role::Moderator)?;
    let moderator_id = moderator.id;
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        let comment = lock_comment(conn, comment_id)?;
        if featured && Status::from_db(&comment.status) != Status::Published {
            return Err(Invalid::new("comment", "Only published comments can be featured.").into());
        }
        store_moderation::set_featured(conn, comment_id, featured.then_some(now))?;
        articles::touch_discussion(conn, comment.article_id, 0)?;
        moderation_log::write(conn, &NewLogEntry::featured(moderator_id, place(&comment), featured, now))?;
        let article = articles::find(conn, comment.article_id)?.ok_or_else(|| Error::not_found("That article"))?;
        Ok(article.slug)
    })
    .await
}

/// Everything a moderator needs to decide on one comment.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub comment: CommentRow,
    pub article_slug: String,
    pub article_title: String,
    pub author_id: i64,
    pub author_username: String,
    pub author_display_name: Option<String>,
    pub author_role: Role,
    pub author_since: NaiveDateTime,
    pub author_always_review: bool,
    pub author_suspended_until: Option<NaiveDateTime>,
    pub author_banned: bool,
    pub author_published: i64,
    pub author_removed: i64,
    /// Removed by an admin: only an admin may change that decision.
    pub removed_by_admin: bool,
    /// The parent comment, for context: (author username, masked HTML, status).
    pub parent: Option<(String, String, Status)>,
    pub flags: Vec<FlagView>,
    /// Why the rules held or reported it.
    pub reasons: Vec<(Option<Check>, String)>,
}

pub struct QueuePage {
    pub tab: Tab,
    pub items: Vec<QueueItem>,
    pub next: Option<String>,
    pub counts: [(Tab, i64); 4],
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Pending, Tab::Reported, Tab::Removed, Tab::Approved];

    pub fn parse(s: Option<&str>) -> Result<Tab, Invalid> {
        match s.unwrap_or("pending") {
            "pending" | "" => Ok(Tab::Pending),
            "reported" => Ok(Tab::Reported),
            "removed" => Ok(Tab::Removed),
            "approved" => Ok(Tab::Approved),
            _ => Err(Invalid::new("tab", "The tabs are pending, reported, removed and approved.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tab::Pending => "pending",
            Tab::Reported => "reported",
            Tab::Removed => "removed",
            Tab::Approved => "approved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tab::Pending => "Pending",
            Tab::Reported => "Reported",
            Tab::Removed => "Removed",
            Tab::Approved => "Approved",
        }
    }
}

fn encode_cursor(at: NaiveDateTime, id: i64) -> String {
    format!("{}_{id}", at.and_utc().timestamp_micros())
}

fn parse_cursor(s: &str) -> Result<QueueCursor, Invalid> {
    let invalid = || Invalid::new("after", "That page cursor is not valid. Start again from the first page.");
    let (micros, id) = s.split_once('_').ok_or_else(invalid)?;
    // As the API documents it: up to 17 digits of microseconds since 1970 (before the year 5000;
    // PostgreSQL cannot hold every time an i64 can) and up to 18 of an id, unsigned.
    let digits = |part: &str, most: usize| part.len() <= most && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(micros, 17) || !digits(id, 18) {
        return Err(invalid());
    }
    let micros: i64 = micros.parse().map_err(|_| invalid())?;
    let at = chrono::DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?.naive_utc();
    Ok((at, id.parse().map_err(|_| invalid())?))
}

fn decode_reasons(stored: &str) -> Vec<(Option<Check>, String)> {
    stored
        .lines()
        .filter(|l| !l.is_empty())
        .map(|line| match line.split_once('\t') {
            Some((code, detail)) => (Check::parse(code), detail.to_owned()),
            None => (None, line.to_owned()),
        })
        .collect()
}

/// A page of the queue, with counts for every tab. A fixed number of queries, whatever the size.
pub async fn queue(app: &App, moderator: &User, tab: Tab, after: Option<&str>) -> Result<QueuePage, Error> {
    require_role(moderator, Role::Moderator)?;
    let after = after.filter(|a| !a.is_empty()).map(parse_cursor).transpose()?;
    app.db(move |conn| {
        let mut rows = store_moderation::queue_page(conn, tab, after, QUEUE_PAGE_SIZE)?;
        let next = if rows.len() as i64 > QUEUE_PAGE_SIZE {
            rows.truncate(QUEUE_PAGE_SIZE as usize);
            rows.last().and_then(|r| {
                let at = match tab {
                    Tab::Pending | Tab::Reported => r.comment.queued_at,
                    Tab::Removed | Tab::Approved => r.comment.moderated_at,
                };
                at.map(|at| encode_cursor(at, r.comment.id))
            })
        } else {
            None
        };
        let ids: Vec<i64> = rows.iter().map(|r| r.comment.id).collect();
        let parent_ids: Vec<i64> = rows.iter().filter_map(|r| r.comment.parent_id).collect();
        let mut author_ids: Vec<i64> = rows.iter().map(|r| r.comment.author_id).collect();
        author_ids.sort_unstable();
        author_ids.dedup();
        let mut flags: HashMap<i64, Vec<FlagView>> = HashMap::new();
        for flag in store_moderation::flags_on(conn, &ids)? {
            flags.entry(flag.comment_id).or_default().push(flag);
        }
        let parents: HashMap<i64, (String, String, Status)> = store_moderation::parents(conn, &parent_ids)?
            .into_iter()
            .map(|(id, author, html, status)| (id, (author, html, Status::from_db(&status))))
            .collect();
        let mut deciders: Vec<i64> = rows
            .iter()
            .filter(|r| r.comment.status == Status::Removed.as_str())
            .filter_map(|r| r.comment.moderated_by)
            .collect();
        deciders.sort_unstable();
        deciders.dedup();
        let admins = users::admins_among(conn, &deciders)?;
        let mut records: HashMap<i64, (i64, i64)> = HashMap::new();
        for (author, status, count) in store_moderation::author_records(conn, &author_ids)? {
            let entry = records.entry(author).or_default();
            if status == "published" {
                entry.0 = count;
            } else {
                entry.1 = count;
            }
        }
        let items = rows
            .into_iter()
            .map(|r| {
                let (published, removed) = records.get(&r.comment.author_id).copied().unwrap_or_default();
                QueueItem {
                    parent: r.comment.parent_id.and_then(|p| parents.get(&p).cloned()),
                    flags: flags.remove(&r.comment.id).unwrap_or_default(),
                    reasons: decode_reasons(&r.comment.system_reasons),
                    author_id: r.comment.author_id,
                    author_username: r.author_username,
                    author_display_name: r.author_display_name,
                    author_role: Role::parse(&r.author_role).unwrap_or(Role::Reader),
                    author_since: r.author_created_at,
                    author_always_review: r.author_always_review,
                    author_suspended_until: r.author_suspended_until,
                    author_banned: r.author_banned_at.is_some(),
                    author_published: published,
                    author_removed: removed,
                    removed_by_admin: r.comment.status == Status::Removed.as_str()
                        && r.comment.moderated_by.is_some_and(|id| admins.contains(&id)),
                    article_slug: r.article_slug,
                    article_title: r.article_title,
                    comment: r.comment,
                }
            })
            .collect();
        let counts = Tab::ALL.map(|t| (t, 0));
        let mut counts = counts;
        for entry in counts.iter_mut() {
            entry.1 = store_moderation::tab_count(conn, entry.0)?;
        }
        Ok(QueuePage { tab, items, next, counts })
    })
    .await
}

/// Counts per tab, for live badges.
pub async fn queue_counts(app: &App, moderator: &User) -> Result<[(Tab, i64); 4], Error> {
    require_role(moderator, Role::Moderator)?;
    app.db(|conn| {
        let mut counts = Tab::ALL.map(|t| (t, 0));
        for entry in counts.iter_mut() {
            entry.1 = store_moderation::tab_count(conn, entry.0)?;
        }
        Ok(counts)
    })
    .await
}

/// A log entry with names.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub row: LogRow,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub article: Option<(String, String)>,
}

pub struct LogPage {
    pub entries: Vec<LogEntry>,
    pub next: Option<i64>,
}

pub const LOG_PAGE_SIZE: i64 = 50;

/// A search of the log as typed: usernames and a slug, not ids.
#[derive(Debug, Clone, Default)]
pub struct LogSearch {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub user: Option<String>,
    pub article: Option<String>,
    /// Entries older than this id.
    pub before: Option<i64>,
}

/// The names in a search, as ids. An unknown name matches nothing (id -1).
fn log_filter(conn: &mut DbConnection, search: LogSearch) -> Result<LogFilter, Error> {
    let given = |name: Option<String>| name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let user_id = |conn: &mut DbConnection, name: Option<String>| -> Result<Option<i64>, Error> {
        let Some(name) = given(name) else { return Ok(None) };
        Ok(Some(users::find_by_username_key(conn, &Username::key_of(&name))?.map_or(-1, |u| u.id)))
    };
    let article_id = match given(search.article) {
        Some(slug) => Some(articles::find_by_slug(conn, &slug)?.map_or(-1, |a| a.id)),
        None => None,
    };
    Ok(LogFilter {
        action: given(search.action),
        actor_id: user_id(conn, search.actor)?,
        target_user_id: user_id(conn, search.user)?,
        article_id,
        automatic_only: false,
        before: search.before,
    })
}

pub async fn log(app: &App, moderator: &User, search: LogSearch) -> Result<LogPage, Error> {
    require_role(moderator, Role::Moderator)?;
    app.db(move |conn| {
        let filter = log_filter(conn, search)?;
        let mut rows = moderation_log::list(conn, &filter, LOG_PAGE_SIZE + 1)?;
        let next = if rows.len() as i64 > LOG_PAGE_SIZE {
            rows.truncate(LOG_PAGE_SIZE as usize);
            rows.last().map(|r| r.id)
        } else {
            None
        };
        let mut user_ids: Vec<i64> = rows.iter().flat_map(|r| [r.actor_id, r.target_user_id]).flatten().collect();
        user_ids.sort_unstable();
        user_ids.dedup();
        let names: HashMap<i64, String> = moderation_log::usernames(conn, &user_ids)?.into_iter().collect();
        let article_ids: Vec<i64> = rows.iter().filter_map(|r| r.article_id).collect();
        let titles: HashMap<i64, (String, String)> = moderation_log::article_titles(conn, &article_ids)?
            .into_iter()
            .map(|(id, slug, title)| (id, (slug, title)))
            .collect();
        let entries = rows
            .into_iter()
            .map(|row| LogEntry {
                actor: row.actor_id.and_then(|id| names.get(&id).cloned()),
                target: row.target_user_id.and_then(|id| names.get(&id).cloned()),
                article: row.article_id.and_then(|id| titles.get(&id).cloned()),
                row,
            })
            .collect();
        Ok(LogPage { entries, next })
    })
    .await
}
