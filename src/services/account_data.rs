//! A reader's own data: the download of all of it, and deleting the account.
//!
//! Deleting follows what the big discussion sites do (Reddit, The Guardian, Coral): the thread
//! keeps its shape, the reader's words go.
//! - Each comment leaves the thread as a deletion by its author would: one with replies stays
//!   as a "[deleted]" placeholder, so the replies stay readable where they were; one without
//!   disappears. A comment a moderator removed stays removed. The text of every comment is
//!   erased from the database, and so are the notes written with flags.
//! - Votes and flags stay counted, anonymised: they belong to an emptied account that names no
//!   one, so scores and the moderation queue do not shift.
//! - Every session ends, every link sent by e-mail stops working, and the address is taken off
//!   the newsletter.
//! - The account row stays as a tombstone without an address, a display name, a password or a
//!   single sign-on id. Its username stays reserved, so nobody can take it and pass for the
//!   reader, and it is shown nowhere (the profile answers 404).
//! - The moderation log records the deletion.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::accounts::{self, Device};
use super::newsletter;
use super::threads;
use super::App;
use crate::domain::account::User;
use crate::domain::role::Role;
use crate::domain::thread::{self, Status};
use crate::domain::Invalid;
use crate::error::Error;
use crate::store::moderation_log::{self, NewLogEntry};
use crate::store::newsletter as newsletter_store;
use crate::store::{comments, own_data, sessions, users};

/// Everything Civil holds about a reader, as they download it.
#[derive(Debug, Serialize)]
pub struct Export {
    pub exported_at: NaiveDateTime,
    pub profile: Profile,
    pub comments: Vec<ExportComment>,
    pub votes: Vec<ExportVote>,
    pub flags: Vec<ExportFlag>,
    pub newsletter: Option<ExportSubscription>,
    pub sessions: Vec<Device>,
}

#[derive(Debug, Serialize)]
pub struct Profile {
    pub username: String,
    pub display_name: Option<String>,
    pub email: String,
    pub email_verified_at: Option<NaiveDateTime>,
    pub role: String,
    pub created_at: NaiveDateTime,
    pub reply_notifications: bool,
    pub single_sign_on: bool,
    pub always_review: bool,
    pub suspended_until: Option<NaiveDateTime>,
    pub banned: bool,
    pub sanction_reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ExportComment {
    pub id: i64,
    pub article: String,
    pub article_title: String,
    pub parent_id: Option<i64>,
    /// What the reader wrote (the markdown, before masking).
    pub text: String,
    pub status: String,
    pub removal_reason: Option<String>,
    pub score: i64,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
}

#[derive(Debug, Serialize)]
pub struct ExportVote {
    pub comment_id: i64,
    pub value: i32,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Serialize)]
pub struct ExportFlag {
    pub comment_id: i64,
    pub reason: String,
    pub note: Option<String>,
    pub status: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Serialize)]
pub struct ExportSubscription {
    pub email: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub unsubscribed_at: Option<NaiveDateTime>,
}

/// All of the reader's data. `current_token` marks the session the download was asked from.
pub async fn export(app: &App, user: &User, current_token: &str) -> Result<Export, Error> {
    let devices = accounts::devices(app, user, current_token).await?;
    let user_id = user.id;
    let now = app.clock.now();
    app.db(move |conn| {
        let row = users::find(conn, user_id)?.ok_or(Error::Unauthenticated)?;
        // An address that belongs to another account (see `UserRow::email_attached`) is not
        // this reader's to see the subscription of.
        let subscription = match row.email_attached() {
            true => newsletter_store::find_subscriber_by_key(conn, &row.email_key)?,
            false => None,
        };
        Ok(Export {
            exported_at: now,
            comments: own_data::comments_by(conn, user_id)?
                .into_iter()
                .map(|c| ExportComment {
                    id: c.id,
                    article: c.article_slug,
                    article_title: c.article_title,
                    parent_id: c.parent_id,
                    text: c.body_raw,
                    status: c.status,
                    removal_reason: c.removal_reason,
                    score: c.score,
                    created_at: c.created_at,
                    edited_at: c.edited_at,
                })
                .collect(),
            votes: own_data::votes_by(conn, user_id)?
                .into_iter()
                .map(|(comment_id, value, created_at)| ExportVote { comment_id, value, created_at })
                .collect(),
            flags: own_data::flags_by(conn, user_id)?
                .into_iter()
                .map(|f| ExportFlag {
                    comment_id: f.comment_id,
                    reason: f.reason,
                    note: f.note,
                    status: f.status,
                    created_at: f.created_at,
                })
                .collect(),
            newsletter: subscription.map(|s| ExportSubscription {
                email: s.email,
                status: s.status,
                created_at: s.created_at,
                confirmed_at: s.confirmed_at,
                unsubscribed_at: s.unsubscribed_at,
            }),
            sessions: devices,
            profile: Profile {
                username: row.username,
                display_name: row.display_name,
                email: row.email,
                email_verified_at: row.email_verified_at,
                role: row.role,
                created_at: row.created_at,
                reply_notifications: row.notify_replies,
                single_sign_on: row.sso_subject.is_some(),
                always_review: row.always_review,
                suspended_until: row.suspended_until,
                banned: row.banned_at.is_some(),
                sanction_reason: row.sanction_reason,
            },
        })
    })
    .await
}

/// What became of the reader's comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deleted {
    /// Kept as "[deleted]" placeholders, since they hold up replies.
    pub placeholders: usize,
    /// Gone from their threads.
    pub removed: usize,
}

/// Delete the reader's account (see the top of this module). `confirmation` is the current
/// password, or for an account made by single sign-on, which has none, the username typed out.
pub async fn delete_account(app: &App, user: &User, confirmation: String) -> Result<Deleted, Error> {
    if user.role >= Role::Admin {
        return Err(Error::forbidden(
            "An admin account cannot be deleted here, so that the site always keeps an admin. \
             Ask another admin to make you a reader first.",
        ));
    }
    let status = accounts::account_status(app, user).await?;
    if status.sso {
        if confirmation.trim().to_lowercase() != user.username.to_lowercase() {
            return Err(Invalid::new("confirm", "Type your username to confirm.").into());
        }
    } else {
        accounts::check_password(app, user, confirmation).await?;
    }
    let user_id = user.id;
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        let row = users::find(conn, user_id)?.filter(|r| r.deleted_at.is_none()).ok_or(Error::Unauthenticated)?;
        let mut taken_down = Vec::new();
        for id in own_data::comment_ids_by(conn, user_id)? {
            let before = threads::lock_comment(conn, id)?;
            if matches!(Status::from_db(&before.status), Status::Published | Status::Pending) {
                threads::change_status(conn, &before, Status::Deleted, now)?;
                taken_down.push(id);
            }
        }
        // Counted once all are down: deleting a reply of the reader's own can take away the
        // placeholder above it.
        let mut deleted = Deleted { placeholders: 0, removed: 0 };
        for id in taken_down {
            let after = comments::find(conn, id)?.ok_or_else(|| Error::not_found("That comment"))?;
            match thread::is_shown(Status::from_db(&after.status), after.live_replies) {
                true => deleted.placeholders += 1,
                false => deleted.removed += 1,
            }
        }
        own_data::erase_texts_by(conn, user_id)?;
        own_data::erase_flag_notes_by(conn, user_id)?;
        sessions::delete_for_user(conn, user_id)?;
        newsletter_store::delete_email_tokens(conn, user_id)?;
        if row.email_attached() {
            newsletter::end_subscription(conn, &row.email_key, now)?;
        }
        users::erase(conn, user_id, now)?;
        let note = format!(
            "{} comment(s) kept as placeholders for their replies, {} removed",
            deleted.placeholders, deleted.removed
        );
        moderation_log::write(conn, &NewLogEntry::account_deleted(user_id, &note, now))?;
        Ok(deleted)
    })
    .await
}
